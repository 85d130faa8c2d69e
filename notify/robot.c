/*
 * robot.c: the group robots Chinese offices use: WeCom (企业微信群机器人),
 * DingTalk (钉钉自定义机器人) and Feishu (飞书自定义机器人).
 *
 * Each gets one markdown text made from the stored payload (webhook.c)
 * in its own markdown: the words are render.c's (notify_md_*, a heading
 * naming the recipient and the day, then one block an item, in the
 * payload's order); this file owns each robot's limits, body, signature
 * and answers.  A text longer than the robot takes is split between
 * items into parts "（第 i/n 部分）", each under the limit; an item too
 * long by itself is cut, never a UTF-8 sequence.  The split depends on
 * the payload and render.c's words alone, so every attempt of one
 * release makes the same parts and a retry resumes where the last one
 * stopped.  Only the part's number is stored: a release that words items
 * otherwise splits a half-posted message differently (operations.md
 * says to upgrade when none is); storing the items posted would not.
 *
 * All three answer HTTP 200 with a JSON code: 0 is delivered; the
 * throttling codes wait (robot_codes); everything else is refused for
 * good.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/common.h"
#include "notify/notify.h"
#include "notify/notify-int.h"

#define MAX_PARTS	999	/* what the part marker has room for */

struct robot {
	size_t		 limit;		/* bytes */
	bool		 content_only;	/* the limit is on the text alone */
	struct notify_md md;		/* its markdown, for render.c */
};

/*
 * WeCom: markdown.content at most 4096 bytes.  DingTalk: a message of
 * about 20,000 bytes; its markdown wants a blank line for a break.
 * Feishu: a request body of at most 20 KB; its card has its own header,
 * and its markdown element has no quotes.
 */
static const struct robot robots[NOTIFY_FORMAT_COUNT] = {
	[NOTIFY_WECOM] = { 4096, true, { "\n", "> ", true } },
	[NOTIFY_DINGTALK] = { 20000, false, { "\n\n", "> ", true } },
	[NOTIFY_FEISHU] = { 20000, false, { "\n", "", false } },
};

struct robot_code {
	enum notify_format	 f;
	long			 code;
	enum notify_verdict	 verdict;
	long			 wait;		/* seconds, or -1 */
	const char		*what;
	const char		*msg_has;	/* only if the message says
						 * this (any case); or NULL */
};

static const struct robot_code robot_codes[] = {
	{ NOTIFY_WECOM, -1, NOTIFY_ANSWER_RETRY, -1, "系统繁忙 / busy", NULL },
	{ NOTIFY_WECOM, 45009, NOTIFY_ANSWER_THROTTLED, 60,
	    "超过每分钟 20 条 / over 20 a minute", NULL },
	{ NOTIFY_DINGTALK, -1, NOTIFY_ANSWER_RETRY, -1, "系统繁忙 / busy", NULL },
	/* DingTalk blocks a robot for ten minutes once it is over 20. */
	{ NOTIFY_DINGTALK, 130101, NOTIFY_ANSWER_THROTTLED, 600,
	    "超过每分钟 20 条 / over 20 a minute", NULL },
	{ NOTIFY_DINGTALK, 410100, NOTIFY_ANSWER_THROTTLED, 600,
	    "发送速度太快而限流 / throttled", NULL },
	/* Feishu answers 9499 to a malformed body too ("Bad Request": not
	 * the message type's shape, or over 20 KB), final like any other
	 * refusal; throttling says "too many request". */
	{ NOTIFY_FEISHU, 9499, NOTIFY_ANSWER_THROTTLED, 60,
	    "请求过多 / too many requests", "too many" },
	{ NOTIFY_FEISHU, 11232, NOTIFY_ANSWER_THROTTLED, 60,
	    "限流 / frequency limited", NULL },
};

static const char *
jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* ---- bodies ---- */

/* The body a robot is posted; ts and sign only for a signing Feishu. */
static json_t *
robot_body(enum notify_format f, const char *title, const char *text,
    const char *ts, const char *sign)
{
	json_t	*card, *body;

	switch (f) {
	case NOTIFY_WECOM:
		return json_pack("{s:s, s:{s:s}}", "msgtype", "markdown",
		    "markdown", "content", text);
	case NOTIFY_DINGTALK:
		return json_pack("{s:s, s:{s:s, s:s}}", "msgtype", "markdown",
		    "markdown", "title", title, "text", text);
	default:
		card = json_pack("{s:{s:b}, s:{s:s, s:{s:s, s:s}}, "
		    "s:[{s:s, s:s}]}", "config", "wide_screen_mode", 1,
		    "header", "template", "orange", "title", "tag",
		    "plain_text", "content", title, "elements", "tag",
		    "markdown", "content", text);
		body = json_object();
		if (ts != NULL) {
			json_object_set_new(body, "timestamp", json_string(ts));
			json_object_set_new(body, "sign", json_string(sign));
		}
		json_object_set_new(body, "msg_type",
		    json_string("interactive"));
		json_object_set_new(body, "card", card);
		return body;
	}
}

static char *
dump(json_t *obj)
{
	char	*s = json_dumps(obj, JSON_COMPACT);

	json_decref(obj);
	if (s == NULL)	/* only when out of memory */
		abort();
	return s;
}

/* What counts against the robot's limit, with room for a signature. */
static size_t
measure(enum notify_format f, const char *title, const char *text)
{
	char	*s;
	size_t	 n;

	if (robots[f].content_only)
		return strlen(text);
	s = dump(robot_body(f, title, text, "0000000000",
	    "00000000000000000000000000000000000000000000"));
	n = strlen(s);
	free(s);
	return n;
}

/* ---- splitting ---- */

struct split {
	enum notify_format	 f;
	const json_t		*payload;
	char			*room;		/* the longest part marker */
	char			*title;		/* with room for it */
	char			**parts;	/* the items of each part */
	size_t			 n;
};

static bool
fits(struct split *s, const char *items)
{
	struct buf	 b;
	bool		 ok;

	buf_init(&b);
	notify_md_head(&b, &robots[s->f].md, s->payload, s->room);
	buf_adds(&b, items);
	ok = measure(s->f, s->title, b.data) <= robots[s->f].limit;
	buf_free(&b);
	return ok;
}

/* Cuts an item that cannot fit even alone, at a UTF-8 boundary. */
static int
cut_item(struct split *s, struct buf *item)
{
	struct buf	 b;
	size_t		 size, keep;

	for (;;) {
		buf_init(&b);
		notify_md_head(&b, &robots[s->f].md, s->payload, s->room);
		buf_add(&b, item->data, item->len);
		size = measure(s->f, s->title, b.data);
		buf_free(&b);
		if (size <= robots[s->f].limit)
			return 0;
		if (item->len <= size - robots[s->f].limit + 8)
			return -1;	/* the heading alone is too long */
		keep = item->len - (size - robots[s->f].limit) - 3;
		while (keep > 0 && ((unsigned char)item->data[keep] & 0xc0) ==
		    0x80)
			keep--;
		item->len = keep;
		item->data[keep] = '\0';
		buf_adds(item, "…");
	}
}

static void
push_part(struct split *s, struct buf *cur)
{
	s->parts = xreallocarray(s->parts, s->n + 1, sizeof(*s->parts));
	s->parts[s->n++] = buf_take(cur);
}

/* Fills s->parts: the item blocks of each part. */
static int
split_items(struct split *s)
{
	const struct robot	*r = &robots[s->f];
	const json_t		*items, *it;
	struct buf		 cur, one, cand;
	size_t			 i, count = 0;

	items = json_object_get(json_object_get(s->payload, "data"), "items");
	buf_init(&cur);
	json_array_foreach(items, i, it) {
		buf_init(&one);
		buf_adds(&one, "\n\n");
		notify_md_item(&one, &r->md, it, i + 1);
		buf_init(&cand);
		buf_printf(&cand, "%s%s", cur.data ? cur.data : "", one.data);
		if (fits(s, cand.data)) {
			buf_free(&cur);
			cur = cand;
			count++;
		} else {
			buf_free(&cand);
			if (count > 0) {
				push_part(s, &cur);
				buf_init(&cur);
			}
			if (!fits(s, one.data) && cut_item(s, &one) == -1) {
				buf_free(&one);
				buf_free(&cur);
				return -1;
			}
			buf_adds(&cur, one.data);
			count = 1;
		}
		buf_free(&one);
	}
	if (count > 0 || s->n == 0)
		push_part(s, &cur);
	else
		buf_free(&cur);
	return s->n > MAX_PARTS ? -1 : 0;
}

static void
split_free(struct split *s)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		free(s->parts[i]);
	free(s->parts);
	free(s->title);
	free(s->room);
}

/* ---- requests ---- */

/*
 * DingTalk's URL with timestamp and sign appended to its query.  Plain
 * text appending: libcurl's URL API would re-case the escapes (%2b),
 * which is equivalent but not what DingTalk's documentation shows.  The
 * URL was checked when the target was added: it has a query and no
 * fragment.
 */
static char *
dingtalk_url(const char *url, const char *secret, long long now_ms)
{
	char	*sig, *esc, *out;

	if (secret == NULL || *secret == '\0')
		return xstrdup(url);
	if ((sig = notify_sign_dingtalk(secret, now_ms)) == NULL)
		return NULL;
	/* curl_easy_escape's handle is ignored since curl 7.82. */
	esc = curl_easy_escape(NULL, sig, 0);
	free(sig);
	if (esc == NULL)
		return NULL;
	out = xasprintf("%s%ctimestamp=%lld&sign=%s", url,
	    strchr(url, '?') != NULL ? '&' : '?', now_ms, esc);
	curl_free(esc);
	return out;
}

static int
add_request(enum notify_format f, const char *url, const char *secret,
    const char *title, const char *text, long long now_ms,
    struct notify_batch *b, char **why)
{
	struct notify_request	*r;
	char			*ts = NULL, *sig = NULL, *target;

	target = f == NOTIFY_DINGTALK ? dingtalk_url(url, secret, now_ms) :
	    xstrdup(url);
	if (f == NOTIFY_FEISHU && secret != NULL && *secret != '\0') {
		ts = xasprintf("%lld", now_ms / 1000);
		sig = notify_sign_feishu(secret, now_ms / 1000);
	}
	if (target == NULL || (ts != NULL && sig == NULL)) {
		*why = xstrdup("无法签名或拼接 URL / cannot sign or build the "
		    "URL");
		free(target);
		free(ts);
		return -1;
	}
	r = notify_batch_add(b);
	r->url = target;
	r->body = dump(robot_body(f, title, text, ts, sig));
	r->len = strlen(r->body);
	notify_request_header(r, "Content-Type: application/json");
	free(ts);
	free(sig);
	return 0;
}

int
notify_robot_build(enum notify_format f, const char *url, const char *secret,
    const json_t *payload, long long now_ms, struct notify_batch *b,
    char **why)
{
	struct split	 s = { .f = f, .payload = payload };
	struct buf	 text;
	char		*marker, *title;
	size_t		 i;
	int		 rc = 0;

	if (f == NOTIFY_STANDARD || f >= NOTIFY_FORMAT_COUNT) {
		*why = xstrdup("不是机器人格式 / not a robot's format");
		return -1;
	}
	s.room = notify_md_marker(MAX_PARTS, MAX_PARTS);
	s.title = notify_md_title(payload, s.room);
	if (split_items(&s) == -1) {
		*why = xstrdup("消息无法在机器人的长度限制内拆分 / the message "
		    "cannot be split under the robot's size limit");
		split_free(&s);
		return -1;
	}
	for (i = 0; i < s.n && rc == 0; i++) {
		marker = notify_md_marker(i + 1, s.n);
		title = notify_md_title(payload, marker);
		buf_init(&text);
		notify_md_head(&text, &robots[f].md, payload, marker);
		buf_adds(&text, s.parts[i]);
		rc = add_request(f, url, secret, title, text.data, now_ms, b,
		    why);
		buf_free(&text);
		free(title);
		free(marker);
	}
	split_free(&s);
	return rc;
}

/* ---- answers ---- */

void
notify_robot_classify(enum notify_format f, long status, const char *body,
    size_t len, struct notify_answer *a)
{
	json_t		*obj;
	const json_t	*code;
	const char	*msg;
	char		*ex;
	long		 c;
	size_t		 i;

	obj = body ? json_loadb(body, len, 0, NULL) : NULL;
	code = json_object_get(obj, f == NOTIFY_FEISHU ? "code" : "errcode");
	/* Feishu's older answer: {"StatusCode":0,"StatusMessage":"success"} */
	if (f == NOTIFY_FEISHU && code == NULL)
		code = json_object_get(obj, "StatusCode");
	if (!json_is_integer(code)) {
		ex = notify_excerpt(body ? body : "", body ? len : 0);
		a->verdict = NOTIFY_ANSWER_RETRY;
		a->why = xasprintf("HTTP %ld 但没有机器人的应答码 / but no "
		    "robot's answer code: %s", status, ex);
		free(ex);
		json_decref(obj);
		return;
	}
	c = (long)json_integer_value(code);
	msg = jstr(obj, f == NOTIFY_FEISHU ? "msg" : "errmsg");
	if (msg == NULL)
		msg = jstr(obj, "StatusMessage");
	ex = notify_excerpt(msg ? msg : "", msg ? strlen(msg) : 0);
	a->why = xasprintf("%s %ld: %s", f == NOTIFY_FEISHU ? "code" :
	    "errcode", c, ex);
	free(ex);
	a->verdict = c == 0 ? NOTIFY_ANSWER_SENT : NOTIFY_ANSWER_DEAD;
	for (i = 0; i < nitems(robot_codes); i++) {
		if (robot_codes[i].f == f && robot_codes[i].code == c &&
		    (robot_codes[i].msg_has == NULL || (msg != NULL &&
		    strcasestr(msg, robot_codes[i].msg_has) != NULL))) {
			a->verdict = robot_codes[i].verdict;
			a->retry_after = robot_codes[i].wait;
			break;
		}
	}
	json_decref(obj);	/* msg is the answer's */
}
