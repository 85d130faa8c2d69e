/*
 * test_webhook.c: the webhook formats (notify/): every signature against
 * the issue's vectors, the payload, each robot's body and its splitting
 * under the size limit, what answers mean, target URLs, and pacing.
 */
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/common.h"

#include "notify/notify.h"
#include "notify/notify-int.h"

#define WHSEC	"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define MSG_ID	"msg_p5jXN8AQM9LWM0D4loKWxJek"
#define WECOM_URL \
	"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx"
#define DING_URL "https://oapi.dingtalk.com/robot/send?access_token=abc"
#define FEISHU_URL "https://open.feishu.cn/open-apis/bot/v2/hook/f00d-1"

/* ---- signatures: the issue's vectors, exactly ---- */

static void
test_standard_webhooks_vector(void **state)
{
	const char	*body = "{\"test\": 2432232314}";
	char		*sig;

	(void)state;
	sig = notify_sign_standard(WHSEC, MSG_ID, 1614265330, body,
	    strlen(body));
	assert_string_equal(sig,
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	free(sig);
	/* Verifying is the receiver's: tests/e2e's StandardReceiver does
	 * it with its own code (hmac, base64) on every post ticd makes. */

	/* A secret being rotated: the file holds the old and the new one,
	 * a line each, and the message is signed with both (the second
	 * signature computed with Python's hmac). */
	sig = notify_sign_standard(WHSEC "\n"
	    "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n", MSG_ID,
	    1614265330, body, strlen(body));
	assert_string_equal(sig,
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= "
	    "v1,hK4CWvngkaAwjY1pABLuUbOIkEJjW9tAapq1no4ojG0=");
	free(sig);
	/* One bad one among them: nothing is signed. */
	assert_null(notify_sign_standard(WHSEC " whsec_c2hvcnQ=", MSG_ID, 1,
	    "x", 1));
}

static void
test_whsec_secrets(void **state)
{
	unsigned char	 key[NOTIFY_WHSEC_MAX];
	char		*why = NULL;

	(void)state;
	assert_int_equal(notify_whsec_decode(WHSEC, key), 24);
	/* No prefix, bad base64, padding in the middle, too short. */
	assert_int_equal(notify_whsec_decode(
	    "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key), -1);
	assert_int_equal(notify_whsec_decode("whsec_MfKQ9r8GKYqr!wjUPD8ILPZ"
	    "Io2LaLaSw", key), -1);
	assert_int_equal(notify_whsec_decode("whsec_MfK=9r8GKYqrTwjUPD8ILPZ"
	    "Io2LaLaSw", key), -1);
	assert_int_equal(notify_whsec_decode("whsec_c2hvcnQ=", key), -1);
	assert_null(notify_sign_standard("whsec_c2hvcnQ=", MSG_ID, 1, "x", 1));
	/* Too long for our buffer is refused, not overflowed. */
	assert_int_equal(notify_whsec_decode("whsec_"
	    "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
	    "QUFBQUFBQUFBQUFBQUFBQUFBQUFB", key), -1);
	assert_true(notify_secret_ok(NOTIFY_STANDARD, WHSEC, &why));
	assert_false(notify_secret_ok(NOTIFY_STANDARD, NULL, &why));
	assert_non_null(strstr(why, "standard"));
	free(why);
	assert_false(notify_secret_ok(NOTIFY_STANDARD, "whsec_c2hvcnQ=", &why));
	assert_null(strstr(why, "c2hvcnQ"));	/* never quotes the secret */
	free(why);
	assert_false(notify_secret_ok(NOTIFY_WECOM, "SECabc", &why));
	free(why);
	assert_true(notify_secret_ok(NOTIFY_WECOM, NULL, &why));
	assert_true(notify_secret_ok(NOTIFY_DINGTALK, NULL, &why));
	assert_true(notify_secret_ok(NOTIFY_FEISHU, "abc123", &why));
	assert_false(notify_secret_ok(NOTIFY_FEISHU, "abc 123", &why));
	free(why);
	/* Standard Webhooks' secrets one a line while one is rotated; a
	 * tab or a control character is still refused, and so is a line
	 * that is not a whsec_ secret. */
	assert_true(notify_secret_ok(NOTIFY_STANDARD, WHSEC "\r\n" WHSEC,
	    &why));
	assert_false(notify_secret_ok(NOTIFY_STANDARD, WHSEC "\t" WHSEC,
	    &why));
	free(why);
	assert_false(notify_secret_ok(NOTIFY_STANDARD, WHSEC "\nabc", &why));
	free(why);
	assert_false(notify_secret_ok(NOTIFY_DINGTALK, "SECa\nSECb", &why));
	free(why);
}

/* What a peer answers is kept as valid UTF-8 on one line: a GBK page's
 * bytes as U+FFFD (kept raw, the JSON of a notice could not be made and
 * ticd crashed), control characters as spaces, a cut never inside a
 * character. */
static void
test_a_peers_text_is_made_utf8(void **state)
{
	/* "该页面" in GBK, a tab, then "已删" in UTF-8. */
	static const char body[] = "\xb8\xc3\xd2\xb3\xc3\xe6\t\xe5\xb7"
	    "\xb2\xe5\x88\xa0";
	char	*e = notify_excerpt(body, sizeof(body) - 1), big[400];

	(void)state;
	assert_true(utf8_valid(e, strlen(e)));
	/* b8 and c3 are no UTF-8 here (d2 b3 happens to be one). */
	assert_string_equal(e, "\xef\xbf\xbd\xef\xbf\xbd\xd2\xb3"
	    "\xef\xbf\xbd\xef\xbf\xbd \xe5\xb7\xb2\xe5\x88\xa0");
	free(e);
	/* A long answer is cut at 160 bytes of what is kept, between two
	 * characters (each U+FFFD three bytes for one byte read), and
	 * marked cut. */
	memset(big, 0xb8, sizeof(big));
	e = notify_excerpt(big, sizeof(big));
	assert_true(utf8_valid(e, strlen(e)));
	assert_int_equal(strlen(e), 159 + strlen("…"));
	assert_string_equal(e + 159, "…");
	free(e);
}

static void
test_dingtalk_vector(void **state)
{
	char	*sig;

	(void)state;
	sig = notify_sign_dingtalk("SECabc123", 1700000000000LL);
	assert_string_equal(sig, "N5P09a4+p1AMJIJWnIvQd2Yxw9+fu/oEBnPrjCcsLXk=");
	free(sig);
}

static void
test_feishu_vector(void **state)
{
	char	*sig;

	(void)state;
	sig = notify_sign_feishu("abc123", 1700000000);
	assert_string_equal(sig, "J0suvZQ7pBIXibHw5hyQvuZiXVa3ct5lilLN472FoLk=");
	free(sig);
}

/*
 * The signatures come from one HMAC context per thread, keyed again for
 * each (sign.c): each must be keyed by its own secret only.  Keys of
 * every kind of length (none, short, a SHA-256 block, longer ones that
 * HMAC hashes first), signed in turn, each against OpenSSL's one-shot
 * HMAC() and its own base64.
 */
static void
test_signatures_keyed_each_by_its_own_secret(void **state)
{
	static const size_t	 lens[] = { 0, 1, 63, 64, 65, 200, 1, 0 };
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	char			 secret[201], msg[256], want[64], *sig;
	size_t			 i;
	long long		 ts = 1700000000000LL;

	(void)state;
	for (i = 0; i < nitems(lens); i++) {
		memset(secret, 'a' + (int)i, lens[i]);
		secret[lens[i]] = '\0';
		snprintf(msg, sizeof(msg), "%lld\n%s", ts + (long long)i,
		    secret);
		assert_non_null(HMAC(EVP_sha256(), secret, (int)lens[i],
		    (const unsigned char *)msg, strlen(msg), md, &mdlen));
		EVP_EncodeBlock((unsigned char *)want, md, (int)mdlen);
		sig = notify_sign_dingtalk(secret, ts + (long long)i);
		assert_string_equal(sig, want);
		free(sig);
	}
}

static void
test_webhook_id_is_stable_and_ascii(void **state)
{
	char	*a = notify_webhook_id("2026-11-20/unit/城区科技局/webhook:3");
	char	*b = notify_webhook_id("2026-11-20/unit/城区科技局/webhook:3");
	char	*c = notify_webhook_id("2026-11-20/unit/城区科技局/webhook:4");
	size_t	 i;

	(void)state;
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 4 + 32);
	assert_memory_equal(a, "msg_", 4);
	for (i = 4; a[i] != '\0'; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"
		    "mnopqrstuvwxyz0123456789-_", a[i]));
	free(a);
	free(b);
	free(c);
}

/* ---- a plan to remind of ---- */

struct fixture {
	struct sched_rules	*rules;
	struct sched_calendar	*cal;
	struct sched_journal	*j;
	struct sched_plan	*plan;
	struct sched_message	 msg;
};

/* n legacy centres (Art. 17's transition for each), one with a name made
 * to break markdown. */
static struct fixture *
fixture_new(size_t n)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	char		*ev, *error = NULL;
	struct sched_event *e;
	json_t		*obj;
	size_t		 i, k = 0;

	f->rules = tu_rules();
	f->cal = tu_calendar();
	f->j = sched_journal_new();
	for (i = 0; i < n; i++) {
		ev = xasprintf("{\"type\":\"registered\",\"date\":\"2025-10-0%zu\","
		    "\"centre\":\"yq-%03zu\",\"name\":\"%s\",\"unit\":"
		    "\"城区科技局\",\"legacy\":true}", 1 + i % 9, i + 1, i == 0 ?
		    "[点我](http://evil.example) <@all> **粗** #标题" :
		    "阳泉市某某新材料技术创新中心");
		obj = json_loads(ev, 0, NULL);
		assert_non_null(obj);
		e = sched_event_from_json(obj, &error);
		assert_non_null(e);
		assert_int_equal(sched_journal_add(f->j, e, f->rules,
		    D("2026-11-20"), &error), 0);
		json_decref(obj);
		free(ev);
	}
	f->plan = sched_plan(f->j, f->cal, f->rules, D("2026-11-20"),
	    D("2027-12-31"), 0);
	f->msg.to = SCHED_TO_UNIT;
	f->msg.scope = "城区科技局";
	f->msg.day = D("2026-11-20");
	f->msg.planned = D("2026-11-19");
	f->msg.items = calloc(f->plan->count, sizeof(*f->msg.items));
	for (i = 0; i < f->plan->count; i++) {
		const struct sched_obligation *o = &f->plan->obligations[i];

		if (o->rule != SCHED_R_TRANSITION)
			continue;
		f->msg.items[k].ob = o;
		f->msg.items[k].kind = SCHED_REMIND_BEFORE;
		f->msg.items[k].planned = f->msg.planned;
		f->msg.items[k].days_left = o->due - f->msg.day;
		f->msg.items[k].workdays_left = sched_calendar_working_between(
		    f->cal, f->msg.day, o->due);
		k++;
	}
	f->msg.nitems = k;
	assert_int_equal(k, n);
	return f;
}

static void
fixture_free(struct fixture *f)
{
	free(f->msg.items);
	sched_plan_free(f->plan);
	sched_journal_free(f->j);
	sched_calendar_free(f->cal);
	sched_rules_free(f->rules);
	free(f);
}

static char *
payload_text(struct fixture *f)
{
	struct notify_recipient	 r = { SCHED_TO_UNIT, "城区科技局", NULL };
	json_t			*p;
	char			*s;

	p = notify_payload_reminder(&f->msg, &r, f->rules, 1763600400);
	s = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return s;
}

static void
test_payload_carries_the_obligation_fields(void **state)
{
	struct fixture	*f = fixture_new(2);
	char		*s = payload_text(f);
	json_t		*p = json_loads(s, 0, NULL), *data, *it;

	(void)state;
	assert_string_equal(json_string_value(json_object_get(p, "type")),
	    "reminder.digest");
	assert_string_equal(json_string_value(json_object_get(p, "timestamp")),
	    "2025-11-20T01:00:00Z");
	data = json_object_get(p, "data");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    data, "recipient"), "kind")), "unit");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    data, "recipient"), "scope")), "城区科技局");
	assert_string_equal(json_string_value(json_object_get(data, "day")),
	    "2026-11-20");
	assert_true(json_is_true(json_object_get(data, "late")));
	assert_int_equal(json_array_size(json_object_get(data, "items")), 2);
	it = json_array_get(json_object_get(data, "items"), 1);
	assert_string_equal(json_string_value(json_object_get(it, "key")),
	    f->msg.items[1].ob->key);
	assert_string_equal(json_string_value(json_object_get(it, "rule")),
	    "transition");
	assert_string_equal(json_string_value(json_object_get(it, "article")),
	    "17");
	assert_string_equal(json_string_value(json_object_get(it, "due")),
	    "2027-12-31");
	assert_string_equal(json_string_value(json_object_get(it, "state")),
	    "open");
	assert_true(json_is_false(json_object_get(it, "provisional")));
	assert_string_equal(json_string_value(json_object_get(it, "centre")),
	    "yq-002");
	assert_string_equal(json_string_value(json_object_get(it,
	    "article_cn")), sched_rule_article_cn(SCHED_R_TRANSITION));
	assert_string_equal(json_string_value(json_object_get(it, "remind")),
	    "before");
	assert_int_equal(json_integer_value(json_object_get(it, "days_left")),
	    D("2027-12-31") - D("2026-11-20"));
	assert_non_null(json_string_value(json_object_get(it, "closed_by")));
	json_decref(p);
	free(s);
	fixture_free(f);
}

static void
test_standard_request_is_the_payload_signed(void **state)
{
	struct notify_batch	 b;
	const char		*payload = "{\"type\":\"x\"}";
	char			*why = NULL, *sig;

	(void)state;
	assert_int_equal(notify_build(NOTIFY_STANDARD, "https://h.example/in",
	    WHSEC, MSG_ID, payload, strlen(payload), 1614265330999LL, &b,
	    &why), 0);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.req[0].url, "https://h.example/in");
	assert_string_equal(b.req[0].body, payload);
	assert_int_equal(b.req[0].nheaders, 4);
	assert_string_equal(b.req[0].headers[1], "webhook-id: " MSG_ID);
	assert_string_equal(b.req[0].headers[2],
	    "webhook-timestamp: 1614265330");
	/* The header is the payload's signature (its value checked against
	 * the issue's vector in test_standard_webhooks_vector). */
	sig = notify_sign_standard(WHSEC, MSG_ID, 1614265330, payload,
	    strlen(payload));
	assert_string_equal(b.req[0].headers[3] + strlen("webhook-signature: "),
	    sig);
	free(sig);
	notify_batch_clear(&b);
	/* No secret, no standard request. */
	assert_int_equal(notify_build(NOTIFY_STANDARD, "https://h.example/in",
	    NULL, MSG_ID, payload, strlen(payload), 0, &b, &why), -1);
	free(why);
}

/* ---- robots ---- */

static json_t *
body_of(const struct notify_request *r)
{
	json_t	*obj = json_loadb(r->body, r->len, 0, NULL);

	assert_non_null(obj);
	return obj;
}

static const char *
robot_text(enum notify_format f, const json_t *body)
{
	if (f == NOTIFY_WECOM)
		return json_string_value(json_object_get(json_object_get(body,
		    "markdown"), "content"));
	if (f == NOTIFY_DINGTALK)
		return json_string_value(json_object_get(json_object_get(body,
		    "markdown"), "text"));
	return json_string_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(body, "card"), "elements"), 0),
	    "content"));
}

static void
test_dingtalk_request_signs_in_the_query(void **state)
{
	struct fixture		*f = fixture_new(1);
	struct notify_batch	 b;
	char			*s = payload_text(f), *why = NULL;
	json_t			*body;

	(void)state;
	assert_int_equal(notify_build(NOTIFY_DINGTALK, DING_URL, "SECabc123",
	    MSG_ID, s, strlen(s), 1700000000000LL, &b, &why), 0);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.req[0].url, DING_URL "&timestamp=1700000000000"
	    "&sign=N5P09a4%2Bp1AMJIJWnIvQd2Yxw9%2Bfu%2FoEBnPrjCcsLXk%3D");
	body = body_of(&b.req[0]);
	assert_string_equal(json_string_value(json_object_get(body, "msgtype")),
	    "markdown");
	assert_non_null(strstr(json_string_value(json_object_get(
	    json_object_get(body, "markdown"), "title")), "城区科技局"));
	assert_non_null(strstr(robot_text(NOTIFY_DINGTALK, body), "第十七条"));
	json_decref(body);
	notify_batch_clear(&b);
	/* Without 加签 the URL is left as it is. */
	assert_int_equal(notify_build(NOTIFY_DINGTALK, DING_URL, NULL, MSG_ID,
	    s, strlen(s), 1700000000000LL, &b, &why), 0);
	assert_string_equal(b.req[0].url, DING_URL);
	notify_batch_clear(&b);
	free(s);
	fixture_free(f);
}

static void
test_feishu_request_signs_in_the_body(void **state)
{
	struct fixture		*f = fixture_new(1);
	struct notify_batch	 b;
	char			*s = payload_text(f), *why = NULL;
	json_t			*body;

	(void)state;
	assert_int_equal(notify_build(NOTIFY_FEISHU, FEISHU_URL, "abc123",
	    MSG_ID, s, strlen(s), 1700000000123LL, &b, &why), 0);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.req[0].url, FEISHU_URL);
	body = body_of(&b.req[0]);
	assert_string_equal(json_string_value(json_object_get(body,
	    "timestamp")), "1700000000");
	assert_string_equal(json_string_value(json_object_get(body, "sign")),
	    "J0suvZQ7pBIXibHw5hyQvuZiXVa3ct5lilLN472FoLk=");
	assert_string_equal(json_string_value(json_object_get(body,
	    "msg_type")), "interactive");
	assert_non_null(strstr(robot_text(NOTIFY_FEISHU, body), "2027-12-31"));
	json_decref(body);
	notify_batch_clear(&b);
	assert_int_equal(notify_build(NOTIFY_FEISHU, FEISHU_URL, NULL, MSG_ID,
	    s, strlen(s), 1700000000123LL, &b, &why), 0);
	body = body_of(&b.req[0]);
	assert_null(json_object_get(body, "sign"));
	json_decref(body);
	notify_batch_clear(&b);
	free(s);
	fixture_free(f);
}

static void
test_data_cannot_inject_markdown(void **state)
{
	struct fixture		*f = fixture_new(1);
	struct notify_batch	 b;
	char			*s = payload_text(f), *why = NULL;
	json_t			*body;
	const char		*text;

	(void)state;
	assert_int_equal(notify_build(NOTIFY_WECOM, WECOM_URL, NULL, MSG_ID,
	    s, strlen(s), 0, &b, &why), 0);
	body = body_of(&b.req[0]);
	text = robot_text(NOTIFY_WECOM, body);
	assert_null(strstr(text, "[点我]"));
	assert_null(strstr(text, "<@all>"));
	assert_null(strstr(text, "**粗**"));
	assert_non_null(strstr(text, "［点我］"));
	json_decref(body);
	notify_batch_clear(&b);
	free(s);
	fixture_free(f);
}

/* Splits 80 items for each robot: every part under its limit, every item
 * once and in order, parts numbered, and the same split every time. */
static void
test_split_under_each_robots_limit(void **state)
{
	static const enum notify_format robots[] = { NOTIFY_WECOM,
	    NOTIFY_DINGTALK, NOTIFY_FEISHU };
	static const char *urls[] = { WECOM_URL, DING_URL, FEISHU_URL };
	struct fixture		*f = fixture_new(80);
	struct notify_batch	 b, again;
	char			*s = payload_text(f), *why = NULL, want[64];
	const char		*text, *p;
	size_t			 r, i, next;
	json_t			*body;

	(void)state;
	for (r = 0; r < TU_NITEMS(robots); r++) {
		assert_int_equal(notify_build(robots[r], urls[r], NULL, MSG_ID,
		    s, strlen(s), 1700000000000LL, &b, &why), 0);
		assert_true(b.n > 1);
		next = 1;
		for (i = 0; i < b.n; i++) {
			body = body_of(&b.req[i]);
			text = robot_text(robots[r], body);
			if (robots[r] == NOTIFY_WECOM)
				assert_true(strlen(text) <= 4096);
			else
				assert_true(b.req[i].len <= 20000);
			snprintf(want, sizeof(want), "（第 %zu/%zu 部分）", i + 1,
			    b.n);
			assert_non_null(strstr(text, want));
			/* Items numbered on from the last part, none lost. */
			for (p = text; (p = strstr(p, "**")) != NULL; p += 2) {
				if (strtoul(p + 2, NULL, 10) == next)
					next++;
			}
			json_decref(body);
		}
		assert_int_equal(next, 81);
		assert_int_equal(notify_build(robots[r], urls[r], NULL, MSG_ID,
		    s, strlen(s), 1700000000000LL, &again, &why), 0);
		assert_int_equal(again.n, b.n);
		for (i = 0; i < b.n; i++)
			assert_string_equal(again.req[i].body, b.req[i].body);
		notify_batch_clear(&again);
		notify_batch_clear(&b);
	}
	free(s);
	fixture_free(f);
}

/* ---- answers ---- */

struct answer_case {
	enum notify_format	 f;
	long			 status;
	const char		*retry_after;
	const char		*body;
	enum notify_verdict	 want;
	long			 wait;
};

static void
test_answers(void **state)
{
	static const struct answer_case cases[] = {
		{ NOTIFY_STANDARD, 200, NULL, "", NOTIFY_ANSWER_SENT, -1 },
		{ NOTIFY_STANDARD, 204, NULL, NULL, NOTIFY_ANSWER_SENT, -1 },
		{ NOTIFY_STANDARD, 500, NULL, "oops", NOTIFY_ANSWER_RETRY, -1 },
		{ NOTIFY_STANDARD, 503, "120", "", NOTIFY_ANSWER_RETRY, 120 },
		{ NOTIFY_STANDARD, 429, "7", "", NOTIFY_ANSWER_THROTTLED, 7 },
		{ NOTIFY_STANDARD, 429, "Thu, 20 Nov 2025 01:01:40 GMT", "",
		    NOTIFY_ANSWER_THROTTLED, 100 },
		{ NOTIFY_STANDARD, 429, "Thu, 20 Nov 2025 00:00:00 GMT", "",
		    NOTIFY_ANSWER_THROTTLED, 0 },
		{ NOTIFY_STANDARD, 429, "soon", "", NOTIFY_ANSWER_THROTTLED, -1 },
		{ NOTIFY_STANDARD, 429, "99999999", "", NOTIFY_ANSWER_THROTTLED,
		    86400 },
		{ NOTIFY_STANDARD, 408, NULL, "", NOTIFY_ANSWER_RETRY, -1 },
		{ NOTIFY_STANDARD, 404, NULL, "", NOTIFY_ANSWER_DEAD, -1 },
		{ NOTIFY_STANDARD, 401, NULL, "", NOTIFY_ANSWER_DEAD, -1 },
		{ NOTIFY_STANDARD, 410, NULL, "", NOTIFY_ANSWER_GONE, -1 },
		{ NOTIFY_STANDARD, 301, NULL, "", NOTIFY_ANSWER_RETRY, -1 },
		{ NOTIFY_WECOM, 200, NULL, "{\"errcode\":0,\"errmsg\":\"ok\"}",
		    NOTIFY_ANSWER_SENT, -1 },
		{ NOTIFY_WECOM, 200, NULL, "{\"errcode\":45009,\"errmsg\":"
		    "\"api freq out of limit\"}", NOTIFY_ANSWER_THROTTLED, 60 },
		{ NOTIFY_WECOM, 200, NULL, "{\"errcode\":93000,\"errmsg\":"
		    "\"invalid webhook url\"}", NOTIFY_ANSWER_DEAD, -1 },
		{ NOTIFY_WECOM, 200, NULL, "{\"errcode\":-1,\"errmsg\":"
		    "\"system busy\"}", NOTIFY_ANSWER_RETRY, -1 },
		{ NOTIFY_WECOM, 200, NULL, "<html>proxy</html>", NOTIFY_ANSWER_RETRY,
		    -1 },
		{ NOTIFY_WECOM, 502, NULL, "", NOTIFY_ANSWER_RETRY, -1 },
		{ NOTIFY_DINGTALK, 200, NULL, "{\"errcode\":0,\"errmsg\":\"ok\"}",
		    NOTIFY_ANSWER_SENT, -1 },
		{ NOTIFY_DINGTALK, 200, NULL, "{\"errcode\":130101,\"errmsg\":"
		    "\"send too fast, exceed 20 times per minute\"}",
		    NOTIFY_ANSWER_THROTTLED, 600 },
		{ NOTIFY_DINGTALK, 200, NULL, "{\"errcode\":310000,\"errmsg\":"
		    "\"sign not match\"}", NOTIFY_ANSWER_DEAD, -1 },
		{ NOTIFY_FEISHU, 200, NULL, "{\"code\":0,\"msg\":\"success\","
		    "\"data\":{}}", NOTIFY_ANSWER_SENT, -1 },
		{ NOTIFY_FEISHU, 200, NULL, "{\"StatusCode\":0,"
		    "\"StatusMessage\":\"success\"}", NOTIFY_ANSWER_SENT, -1 },
		{ NOTIFY_FEISHU, 200, NULL, "{\"code\":19021,\"msg\":\"sign "
		    "match fail or timestamp is not within one hour from "
		    "current time\",\"data\":{}}", NOTIFY_ANSWER_DEAD, -1 },
		{ NOTIFY_FEISHU, 200, NULL, "{\"code\":9499,\"msg\":\"too many "
		    "request\",\"data\":{}}", NOTIFY_ANSWER_THROTTLED, 60 },
		/* 9499 is also Feishu's answer to a malformed body. */
		{ NOTIFY_FEISHU, 200, NULL, "{\"code\":9499,\"msg\":\"Bad "
		    "Request\",\"data\":{}}", NOTIFY_ANSWER_DEAD, -1 },
		{ NOTIFY_FEISHU, 200, NULL, "{\"code\":11232,\"msg\":"
		    "\"frequency limited\"}", NOTIFY_ANSWER_THROTTLED, 60 },
	};
	struct notify_answer	 a;
	size_t			 i;

	(void)state;
	for (i = 0; i < TU_NITEMS(cases); i++) {
		const struct answer_case *c = &cases[i];

		/* now: 2025-11-20 01:00:00 UTC */
		notify_classify(c->f, c->status, c->retry_after, c->body,
		    c->body ? strlen(c->body) : 0, 1763600400, &a);
		if (a.verdict != c->want || a.retry_after != c->wait)
			fail_msg("case %zu (%s %ld %s): %s %ld, want %s %ld "
			    "(%s)", i, notify_format_name(c->f), c->status,
			    c->body ? c->body : "", notify_verdict_name(
			    a.verdict), a.retry_after, notify_verdict_name(
			    c->want), c->wait, a.why);
		assert_non_null(a.why);
		notify_answer_clear(&a);
	}
	notify_classify(NOTIFY_WECOM, 200, NULL, cases[15].body,
	    strlen(cases[15].body), 0, &a);
	assert_string_equal(a.why, "errcode 45009: api freq out of limit");
	notify_answer_clear(&a);
	/* An answer is quoted short, controls blanked. */
	notify_classify(NOTIFY_STANDARD, 500, NULL, "line\r\nX-Evil: 1"
	    "................................................................"
	    "................................................................"
	    "................................................................",
	    210, 0, &a);
	assert_null(strchr(a.why, '\n'));
	assert_true(strlen(a.why) < 200);
	notify_answer_clear(&a);
	notify_classify_transport(28, "Operation timed out after 10000 ms", &a);
	assert_int_equal(a.verdict, NOTIFY_ANSWER_RETRY);
	notify_answer_clear(&a);
	notify_classify_transport(1, NULL, &a);	/* unsupported protocol */
	assert_int_equal(a.verdict, NOTIFY_ANSWER_DEAD);
	notify_answer_clear(&a);
}

/* ---- target URLs ---- */

static void
test_urls(void **state)
{
	char	*why = NULL, *s;

	(void)state;
	assert_true(notify_url_ok(NOTIFY_STANDARD, "https://h.example.cn/in",
	    "", &why));
	assert_true(notify_url_ok(NOTIFY_STANDARD, "http://127.0.0.1:8080/x",
	    NULL, &why));
	assert_false(notify_url_ok(NOTIFY_STANDARD, "ftp://h.example.cn/in",
	    "", &why));
	assert_non_null(strstr(why, "http"));
	free(why);
	assert_false(notify_url_ok(NOTIFY_STANDARD, "h.example.cn/in", "",
	    &why));
	free(why);
	assert_false(notify_url_ok(NOTIFY_STANDARD, "https://h.example.cn/in "
	    "x", "", &why));
	free(why);
	assert_false(notify_url_ok(NOTIFY_STANDARD, "https://u:pw@h.example.cn"
	    "/in", "", &why));
	assert_null(strstr(why, "pw"));
	free(why);
	/* A token as the user name is a credential too: refused for a new
	 * target (the API's check), one stored before still posts. */
	assert_true(notify_url_has_user("https://sk_live_T0KEN@h.example.cn/"
	    "in"));
	assert_false(notify_url_has_user("https://h.example.cn/in"));
	assert_true(notify_url_ok(NOTIFY_STANDARD, "https://sk_live_T0KEN@"
	    "h.example.cn/in", "", &why));
	assert_false(notify_url_ok(NOTIFY_STANDARD, "https://h.example.cn/#x",
	    "", &why));
	free(why);
	/* Each robot's own shape; the message never shows the key. */
	assert_true(notify_url_ok(NOTIFY_WECOM, WECOM_URL, "", &why));
	assert_false(notify_url_ok(NOTIFY_WECOM, "https://qyapi.weixin.qq.com/"
	    "cgi-bin/webhook/send?token=secret1", "", &why));
	assert_null(strstr(why, "secret1"));
	free(why);
	assert_true(notify_url_ok(NOTIFY_DINGTALK, DING_URL, "", &why));
	assert_false(notify_url_ok(NOTIFY_DINGTALK, WECOM_URL, "", &why));
	assert_null(strstr(why, "693a91f6"));
	free(why);
	assert_true(notify_url_ok(NOTIFY_FEISHU, FEISHU_URL, "", &why));
	assert_false(notify_url_ok(NOTIFY_FEISHU, "https://open.feishu.cn/"
	    "open-apis/bot/v2/hook/", "", &why));
	free(why);

	s = notify_url_redact(NOTIFY_WECOM, WECOM_URL);
	assert_string_equal(s,
	    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***");
	free(s);
	s = notify_url_redact(NOTIFY_DINGTALK, DING_URL "&x=1&flag");
	assert_string_equal(s, "https://oapi.dingtalk.com/robot/send?"
	    "access_token=***&x=***&flag");
	free(s);
	s = notify_url_redact(NOTIFY_FEISHU, FEISHU_URL);
	assert_string_equal(s,
	    "https://open.feishu.cn/open-apis/bot/v2/hook/***");
	free(s);
	s = notify_url_redact(NOTIFY_STANDARD, "https://u:pw@h.example/in");
	assert_string_equal(s, "https://***@h.example/in");
	free(s);
	s = notify_url_redact(NOTIFY_STANDARD, "https://sk_T0KEN@h.example/in");
	assert_string_equal(s, "https://***@h.example/in");
	free(s);
}

/* The allow-list: exact names and *.suffix; a listed name covers its
 * scheme's own port only, another port is listed with it (an allowed
 * host's other services stay out). */
static void
test_allow_list(void **state)
{
	static const struct {
		const char	*url, *allow;
		bool		 ok;
	} cases[] = {
		{ "https://a.example.cn/in", "h.gov.cn *.example.cn", true },
		{ "https://H.gov.cn/in", "h.gov.cn *.example.cn", true },
		{ "https://example.cn/in", "hooks.gov.cn *.example.cn", false },
		{ "https://a.example.cn.evil.com/in", "*.example.cn", false },
		{ "https://xhooks.gov.cn/in", "hooks.gov.cn", false },
		{ "https://hooks.gov.cn:443/in", "hooks.gov.cn", true },
		{ "http://hooks.gov.cn/in", "hooks.gov.cn", true },
		{ "http://hooks.gov.cn:443/in", "hooks.gov.cn", false },
		{ "http://a.example.cn:8080/in", "h.cn *.example.cn:8080",
		    true },
		{ "http://a.example.cn/in", "*.example.cn:8080", false },
		{ "http://[::1]:9000/in", "[::1]:9000", true },
		{ "http://[::1]:9001/in", "[::1]:9000", false },
		{ "http://[::1]/in", "[::1]", true },
	};
	char	*why = NULL;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(notify_url_ok(NOTIFY_STANDARD, cases[i].url,
		    cases[i].allow, &why), cases[i].ok);
		if (!cases[i].ok)
			assert_non_null(strstr(why, "allow_hosts"));
		free(why);
		why = NULL;
	}
	/* Another port: the refusal names the entry that would allow it. */
	assert_false(notify_url_ok(NOTIFY_STANDARD, "http://hooks.gov.cn:6379/"
	    "in", "hooks.gov.cn", &why));
	assert_non_null(strstr(why, "listed as hooks.gov.cn:6379"));
	free(why);
}

/* ---- pacing ---- */

static void
test_pacing(void **state)
{
	struct notify_pacer	 p;
	long long		 t;
	int			 i;

	(void)state;
	notify_pace_init(&p);
	/* WeCom: 20, then the 21st a minute (and a second) after the 1st. */
	for (i = 0; i < 20; i++) {
		t = notify_pace_next(&p, NOTIFY_WECOM, 1000 + i * 10);
		assert_int_equal(t, 1000 + i * 10);
		notify_pace_sent(&p, t);
	}
	assert_int_equal(notify_pace_next(&p, NOTIFY_WECOM, 2000), 62000);
	notify_pace_sent(&p, 62000);
	assert_int_equal(notify_pace_next(&p, NOTIFY_WECOM, 62000), 62010);
	/* Standard Webhooks are not paced; a block holds any format. */
	assert_int_equal(notify_pace_next(&p, NOTIFY_STANDARD, 2000), 2000);
	notify_pace_block(&p, 900000);
	assert_int_equal(notify_pace_next(&p, NOTIFY_STANDARD, 2000), 900000);

	/* Feishu: 5 in a second (and a fifth), 100 in a minute. */
	notify_pace_init(&p);
	for (i = 0; i < 5; i++)
		notify_pace_sent(&p, 0);
	assert_int_equal(notify_pace_next(&p, NOTIFY_FEISHU, 10), 1200);
	notify_pace_init(&p);
	for (t = 0, i = 0; i < 100; i++) {
		t = notify_pace_next(&p, NOTIFY_FEISHU, t);
		notify_pace_sent(&p, t);
	}
	assert_true(t >= 19 * 1200);
	assert_int_equal(notify_pace_next(&p, NOTIFY_FEISHU, t), 61000);
}

/* A place taken ahead (a row let go) counts at once, and counts from
 * when its post left once stamped again; a place long gone from the ring
 * is not stamped. */
static void
test_pacing_places_taken_ahead(void **state)
{
	struct notify_pacer	 p;
	unsigned long long	 first = 0, place;
	int			 i;

	(void)state;
	notify_pace_init(&p);
	for (i = 0; i < 20; i++) {
		assert_int_equal(notify_pace_next(&p, NOTIFY_WECOM, 1000),
		    1000);
		place = notify_pace_sent(&p, 1000);
		if (i == 0)
			first = place;
	}
	/* The 21st waits for the first place's minute... */
	assert_int_equal(notify_pace_next(&p, NOTIFY_WECOM, 1000), 62000);
	/* ...which starts when its post left, 5 s late; out of the ring's
	 * order, still the oldest of the twenty by time but one. */
	notify_pace_restamp(&p, first, 6000);
	assert_int_equal(notify_pace_next(&p, NOTIFY_WECOM, 1000), 62000);
	for (i = 1; i < 20; i++)
		notify_pace_restamp(&p, first + (unsigned long long)i, 7000);
	assert_int_equal(notify_pace_next(&p, NOTIFY_WECOM, 1000), 67000);
	/* Stamping never moves a post earlier; an unknown place is left. */
	notify_pace_restamp(&p, first, 2000);
	notify_pace_restamp(&p, first + 500, 90000);
	assert_int_equal(notify_pace_next(&p, NOTIFY_WECOM, 1000), 67000);
	for (i = 0; i < NOTIFY_PACE_SLOTS; i++)
		notify_pace_sent(&p, 100000);
	notify_pace_restamp(&p, first, 900000);
	assert_int_equal(notify_pace_next(&p, NOTIFY_WECOM, 100000), 161000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standard_webhooks_vector),
		cmocka_unit_test(test_whsec_secrets),
		cmocka_unit_test(test_a_peers_text_is_made_utf8),
		cmocka_unit_test(test_dingtalk_vector),
		cmocka_unit_test(test_feishu_vector),
		cmocka_unit_test(test_signatures_keyed_each_by_its_own_secret),
		cmocka_unit_test(test_webhook_id_is_stable_and_ascii),
		cmocka_unit_test(test_payload_carries_the_obligation_fields),
		cmocka_unit_test(test_standard_request_is_the_payload_signed),
		cmocka_unit_test(test_dingtalk_request_signs_in_the_query),
		cmocka_unit_test(test_feishu_request_signs_in_the_body),
		cmocka_unit_test(test_data_cannot_inject_markdown),
		cmocka_unit_test(test_split_under_each_robots_limit),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_pacing),
		cmocka_unit_test(test_pacing_places_taken_ahead),
	};

	return cmocka_run_group_tests_name("webhook", tests, NULL, NULL);
}
