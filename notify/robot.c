/*
 * robot.c: the group robots Chinese offices use: WeCom (企业微信群机器人),
 * DingTalk (钉钉自定义机器人) and Feishu (飞书自定义机器人).
 *
 * Each gets one markdown text made from the stored payload (webhook.c):
 * a heading naming the recipient and the day, then one block an item,
 * in the payload's order (most urgent first).  A text longer than the
 * robot takes is split between items into parts "（第 i/n 部分）", each
 * under the limit; an item too long by itself is cut, never a UTF-8
 * sequence.  The split depends on the payload alone, so every attempt
 * makes the same parts and a retry resumes where the last one stopped.
 *
 * Text from data (centre names and ids, units) has markdown's and HTML's
 * ASCII metacharacters turned into their full-width forms and control
 * characters into spaces: a name cannot become a link, a heading or an
 * @-mention in a group chat.
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

#define NAME_MAX_BYTES	200	/* a name in a heading or an item */
#define TITLE_MAX_BYTES	60	/* a notification's title */
#define MAX_PARTS	999	/* what the part marker has room for */
#define MARKER_ROOM	"（第 999/999 部分）"

struct robot {
	size_t		 limit;		/* bytes */
	bool		 content_only;	/* the limit is on the text alone */
	const char	*nl;		/* a line break in its markdown */
	const char	*quote;		/* an item's detail lines */
	bool		 heading;	/* a ### heading in the text */
};

/*
 * WeCom: markdown.content at most 4096 bytes.  DingTalk: a message of
 * about 20,000 bytes; its markdown wants a blank line for a break.
 * Feishu: a request body of at most 20 KB; its card has its own header,
 * and its markdown element has no quotes.
 */
static const struct robot robots[NOTIFY_FORMAT_COUNT] = {
	[NOTIFY_WECOM] = { 4096, true, "\n", "> ", true },
	[NOTIFY_DINGTALK] = { 20000, false, "\n\n", "> ", true },
	[NOTIFY_FEISHU] = { 20000, false, "\n", "", false },
};

struct robot_code {
	enum notify_format	 f;
	long			 code;
	enum notify_verdict	 verdict;
	long			 wait;		/* seconds, or -1 */
	const char		*what;
};

static const struct robot_code robot_codes[] = {
	{ NOTIFY_WECOM, -1, NOTIFY_ANSWER_RETRY, -1, "系统繁忙 / busy" },
	{ NOTIFY_WECOM, 45009, NOTIFY_ANSWER_THROTTLED, 60,
	    "超过每分钟 20 条 / over 20 a minute" },
	{ NOTIFY_DINGTALK, -1, NOTIFY_ANSWER_RETRY, -1, "系统繁忙 / busy" },
	/* DingTalk blocks a robot for ten minutes once it is over 20. */
	{ NOTIFY_DINGTALK, 130101, NOTIFY_ANSWER_THROTTLED, 600,
	    "超过每分钟 20 条 / over 20 a minute" },
	{ NOTIFY_DINGTALK, 410100, NOTIFY_ANSWER_THROTTLED, 600,
	    "发送速度太快而限流 / throttled" },
	{ NOTIFY_FEISHU, 9499, NOTIFY_ANSWER_THROTTLED, 60,
	    "请求过多 / too many requests" },
	{ NOTIFY_FEISHU, 11232, NOTIFY_ANSWER_THROTTLED, 60,
	    "限流 / frequency limited" },
};

size_t
notify_body_limit(enum notify_format f)
{
	return f < NOTIFY_FORMAT_COUNT ? robots[f].limit : 0;
}

/* ---- text ---- */

static const char *
jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The full-width form of an ASCII character markdown or HTML would read,
 * or NULL. */
static const char *
fullwidth(unsigned char c)
{
	switch (c) {
	case '*': return "＊";
	case '_': return "＿";
	case '`': return "｀";
	case '#': return "＃";
	case '~': return "～";
	case '|': return "｜";
	case '\\': return "＼";
	case '[': return "［";
	case ']': return "］";
	case '<': return "＜";
	case '>': return "＞";
	case '!': return "！";
	case '@': return "＠";
	default: return NULL;
	}
}

/*
 * Appends text, at most max bytes of it: control characters become
 * spaces; for data (names, ids) every metacharacter becomes full-width,
 * for the rule pack's words (the operator's, and full of identifiers
 * like expert_meeting_held) only HTML's angle brackets do.
 */
static void
add_text(struct buf *b, const char *s, size_t max, bool data)
{
	size_t		 i, n = s ? strlen(s) : 0;
	unsigned char	 c;
	const char	*fw;

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			buf_adds(b, " ");
		else if ((fw = fullwidth(c)) != NULL && (data || c == '<' ||
		    c == '>'))
			buf_adds(b, fw);
		else
			buf_add(b, s + i, 1);
	}
	if (n < (s ? strlen(s) : 0))
		buf_adds(b, "…");
}

static void
add_clean(struct buf *b, const char *s, size_t max)
{
	add_text(b, s, max, true);
}

static void
add_words(struct buf *b, const char *s, size_t max)
{
	add_text(b, s, max, false);
}

/* Who the message is for, as people say it. */
static void
add_who(struct buf *b, const json_t *data)
{
	const json_t	*r = json_object_get(data, "recipient");
	const char	*kind = jstr(r, "kind"), *scope = jstr(r, "scope");
	const char	*name = jstr(r, "name");

	if (kind == NULL || strcmp(kind, "bureau") == 0 || scope == NULL) {
		buf_adds(b, "市科技局");
		return;
	}
	add_clean(b, scope, NAME_MAX_BYTES);
	if (strcmp(kind, "unit") == 0)
		buf_adds(b, "（组织管理单位）");
	else if (name != NULL) {
		buf_adds(b, " ");
		add_clean(b, name, NAME_MAX_BYTES);
	}
}

static void
add_weekday(struct buf *b, const char *date)
{
	int	 day;

	if (date != NULL && sched_date_parse(date, &day) == 0)
		buf_printf(b, "（%s）", sched_weekday_cn(day));
}

/* How much time is left, or how late it is. */
static void
add_left(struct buf *b, const json_t *it)
{
	json_int_t	 days = json_integer_value(json_object_get(it,
			    "days_left"));
	json_int_t	 work = json_integer_value(json_object_get(it,
			    "workdays_left"));
	const char	*state = jstr(it, "state");

	if (days < 0 || (state != NULL && strcmp(state, "overdue") == 0))
		buf_printf(b, "**已逾期 %" JSON_INTEGER_FORMAT " 天**",
		    days < 0 ? -days : 0);
	else if (days == 0)
		buf_adds(b, "**今天到期**");
	else
		buf_printf(b, "还剩 %" JSON_INTEGER_FORMAT " 天（%"
		    JSON_INTEGER_FORMAT " 个工作日）", days, work);
}

static void
add_line(struct buf *b, const struct robot *r, const char *label)
{
	buf_adds(b, r->nl);
	buf_adds(b, r->quote);
	buf_adds(b, label);
}

/* One item's block. */
static void
render_item(struct buf *b, const struct robot *r, const json_t *it,
    size_t n)
{
	const char	*centre = jstr(it, "centre");
	json_t		*year = json_object_get(it, "year");

	buf_printf(b, "**%zu. ", n);
	add_words(b, jstr(it, "title"), NAME_MAX_BYTES);
	if (json_is_integer(year))
		buf_printf(b, "（%" JSON_INTEGER_FORMAT " 年度）",
		    json_integer_value(year));
	buf_adds(b, "**");
	if (centre != NULL) {
		add_line(b, r, "中心：");
		add_clean(b, centre, NAME_MAX_BYTES);
		if (jstr(it, "centre_name") != NULL) {
			buf_adds(b, " ");
			add_clean(b, jstr(it, "centre_name"), NAME_MAX_BYTES);
		}
	} else
		add_line(b, r, "范围：全市");
	add_line(b, r, "依据：《办法》");
	add_words(b, jstr(it, "article_cn"), NAME_MAX_BYTES);
	add_line(b, r, "截止：");
	add_clean(b, jstr(it, "due"), SCHED_DATE_LEN);
	add_weekday(b, jstr(it, "due"));
	if (json_is_true(json_object_get(it, "provisional")))
		buf_adds(b, "（暂定：放假安排未公布）");
	buf_adds(b, "，");
	add_left(b, it);
	add_line(b, r, "应办：");
	add_words(b, jstr(it, "action"), 4 * NAME_MAX_BYTES);
	add_line(b, r, "办结：");
	add_words(b, jstr(it, "closed_by"), 4 * NAME_MAX_BYTES);
}

/* The heading of every part; marker is "" or the part's marker. */
static void
render_head(struct buf *b, const struct robot *r, const json_t *payload,
    const char *marker)
{
	const json_t	*data = json_object_get(payload, "data");
	const char	*type = jstr(payload, "type");

	if (type != NULL && strcmp(type, NOTIFY_TYPE_DISABLED) == 0) {
		if (r->heading)
			buf_printf(b, "### 技术创新中心义务提醒：webhook 已停用%s",
			    r->nl);
		buf_printf(b, "目标 %" JSON_INTEGER_FORMAT "：",
		    json_integer_value(json_object_get(data, "target")));
		add_clean(b, jstr(data, "url"), 4 * NAME_MAX_BYTES);
		add_line(b, r, "原因：");
		add_words(b, jstr(data, "reason"), 4 * NAME_MAX_BYTES);
		add_line(b, r, "恢复：ticctl webhooks enable ID");
		return;
	}
	if (r->heading)
		buf_printf(b, "### 技术创新中心义务提醒%s", r->nl);
	add_who(b, data);
	buf_adds(b, " · ");
	add_clean(b, jstr(data, "day"), SCHED_DATE_LEN);
	add_weekday(b, jstr(data, "day"));
	if (json_is_true(json_object_get(data, "late"))) {
		buf_adds(b, " · 补发（原定 ");
		add_clean(b, jstr(data, "planned"), SCHED_DATE_LEN);
		buf_adds(b, "）");
	}
	if (json_is_true(json_object_get(data, "catch_up")))
		buf_adds(b, " · 汇总此前未送达的提醒");
	buf_printf(b, "，共 %zu 项%s", json_array_size(json_object_get(data,
	    "items")), marker);
}

/* A notification's title: short, plain. */
static char *
render_title(const json_t *payload, const char *marker)
{
	const json_t	*r = json_object_get(json_object_get(payload, "data"),
			    "recipient");
	const char	*type = jstr(payload, "type");
	const char	*scope = jstr(r, "scope");
	struct buf	 b;

	buf_init(&b);
	/* Robots with custom keywords take only messages holding one: every
	 * title (and so every Feishu card) names 技术创新中心 and 提醒. */
	if (type != NULL && strcmp(type, NOTIFY_TYPE_DISABLED) == 0)
		buf_adds(&b, "技术创新中心义务提醒：webhook 已停用");
	else {
		buf_adds(&b, "技术创新中心义务提醒：");
		if (scope != NULL)
			add_clean(&b, scope, TITLE_MAX_BYTES);
		else
			buf_adds(&b, "市科技局");
	}
	buf_adds(&b, marker);
	return buf_take(&b);
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
	char			*title;		/* with MARKER_ROOM */
	char			**parts;	/* the items of each part */
	size_t			 n;
};

static bool
fits(struct split *s, const char *items)
{
	struct buf	 b;
	bool		 ok;

	buf_init(&b);
	render_head(&b, &robots[s->f], s->payload, MARKER_ROOM);
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
		render_head(&b, &robots[s->f], s->payload, MARKER_ROOM);
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
		render_item(&one, r, it, i + 1);
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
	s.title = render_title(payload, MARKER_ROOM);
	if (split_items(&s) == -1) {
		*why = xstrdup("消息无法在机器人的长度限制内拆分 / the message "
		    "cannot be split under the robot's size limit");
		split_free(&s);
		return -1;
	}
	for (i = 0; i < s.n && rc == 0; i++) {
		marker = s.n > 1 ? xasprintf("（第 %zu/%zu 部分）", i + 1, s.n) :
		    xstrdup("");
		title = render_title(payload, marker);
		buf_init(&text);
		render_head(&text, &robots[f], payload, marker);
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
	json_decref(obj);
	if (c == 0) {
		a->verdict = NOTIFY_ANSWER_SENT;
		return;
	}
	a->verdict = NOTIFY_ANSWER_DEAD;
	for (i = 0; i < nitems(robot_codes); i++) {
		if (robot_codes[i].f == f && robot_codes[i].code == c) {
			a->verdict = robot_codes[i].verdict;
			a->retry_after = robot_codes[i].wait;
			break;
		}
	}
}
