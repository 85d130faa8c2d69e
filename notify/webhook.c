/*
 * webhook.c: what every webhook format shares: the names of the formats
 * and what they do with a secret, the Standard Webhooks payload of a
 * reminder (the one text every format is made from), target URLs (only
 * http(s), the host allow-list, credentials redacted for logs), the
 * signed Standard Webhooks request, and what an HTTP answer means.
 *
 * URLs are parsed with libcurl's URL API, the parser the sender itself
 * uses, so what is checked here is what is later connected to.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "common/common.h"
#include "notify/notify.h"
#include "notify/notify-int.h"

#define URL_MAX		2048	/* longer is a mistake, not a webhook */
#define EXCERPT_MAX	160	/* bytes of an answer kept in why */
#define RETRY_AFTER_MAX	86400	/* a day: beyond that, our schedule rules */

static const char *format_names[NOTIFY_FORMAT_COUNT] = {
	[NOTIFY_STANDARD] = "standard",
	[NOTIFY_WECOM] = "wecom",
	[NOTIFY_DINGTALK] = "dingtalk",
	[NOTIFY_FEISHU] = "feishu",
};

const char *
notify_format_name(enum notify_format f)
{
	return f < NOTIFY_FORMAT_COUNT ? format_names[f] : "unknown";
}

int
notify_format_from_name(const char *name, enum notify_format *f)
{
	int	 i;

	for (i = 0; name != NULL && i < NOTIFY_FORMAT_COUNT; i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*f = (enum notify_format)i;
			return 0;
		}
	}
	return -1;
}

enum notify_secret_use
notify_format_secret(enum notify_format f)
{
	switch (f) {
	case NOTIFY_STANDARD:
		return NOTIFY_SECRET_REQUIRED;
	case NOTIFY_DINGTALK:
	case NOTIFY_FEISHU:
		return NOTIFY_SECRET_OPTIONAL;
	default:
		return NOTIFY_SECRET_NONE;
	}
}

bool
notify_secret_ok(enum notify_format f, const char *secret, char **why)
{
	const char	*p;

	*why = NULL;
	if (secret == NULL || *secret == '\0') {
		if (notify_format_secret(f) != NOTIFY_SECRET_REQUIRED)
			return true;
		*why = xstrdup("standard 格式须有密钥文件 / the standard format "
		    "needs a secret file");
		return false;
	}
	if (notify_format_secret(f) == NOTIFY_SECRET_NONE) {
		*why = xstrdup("wecom 格式不用密钥：凭据是 URL 中的 key / wecom "
		    "takes no secret: the key in its URL is the credential");
		return false;
	}
	for (p = secret; *p != '\0'; p++) {
		/* Standard Webhooks' secrets, several while one is rotated,
		 * go one a line (notify_sign_standard). */
		if (f == NOTIFY_STANDARD && (*p == '\n' || *p == '\r' ||
		    *p == ' '))
			continue;
		if ((unsigned char)*p < 0x21 || (unsigned char)*p == 0x7f) {
			*why = xstrdup("密钥含空白或控制字符 / the secret holds "
			    "white space or control characters");
			return false;
		}
	}
	if (f == NOTIFY_STANDARD) {
		char *sig = notify_sign_standard(secret, "msg_check", 0, "", 0);

		if (sig == NULL) {
			*why = xasprintf("密钥应为 whsec_ 加 base64 编码的 %d-%d "
			    "字节（轮换时每行一个）/ the secret must be whsec_ and "
			    "base64 of %d-%d bytes (one a line while one is "
			    "rotated)", NOTIFY_WHSEC_MIN, NOTIFY_WHSEC_MAX,
			    NOTIFY_WHSEC_MIN, NOTIFY_WHSEC_MAX);
			return false;
		}
		free(sig);
	}
	return true;
}

/* ---- the payload ---- */

static const char *
audience(int to)
{
	return sched_audience_name(to);
}

static const char *
remind_kind_name(enum sched_remind_kind k)
{
	switch (k) {
	case SCHED_REMIND_BEFORE:
		return "before";
	case SCHED_REMIND_DUE:
		return "due";
	default:
		return "overdue";
	}
}

static json_t *
date_json(int day)
{
	char	 d[SCHED_DATE_LEN];

	return day == SCHED_NO_DAY ? json_null() :
	    json_string(sched_date_format(day, d));
}

/* ISO 8601 in UTC, as Standard Webhooks' examples write it. */
static json_t *
timestamp_json(long long now)
{
	time_t		 t = (time_t)now;
	struct tm	 tm;
	char		 s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(s);
}

static json_t *
item_json(const struct sched_remind_item *it, const struct sched_rules *rules)
{
	const struct sched_obligation	*o = it->ob;
	const struct sched_rule_text	*txt = &rules->text[o->rule];
	const char			*action;
	json_t				*obj;

	obj = sched_obligation_to_json(o, rules);
	json_object_set_new(obj, "centre_name", o->centre_name ?
	    json_string(o->centre_name) : json_null());
	json_object_set_new(obj, "article_cn",
	    json_string(sched_rule_article_cn(o->rule)));
	json_object_set_new(obj, "due_weekday",
	    json_string(sched_weekday_cn(o->due)));
	json_object_set_new(obj, "remind",
	    json_string(remind_kind_name(it->kind)));
	json_object_set_new(obj, "planned", date_json(it->planned));
	json_object_set_new(obj, "days_left", json_integer(it->days_left));
	json_object_set_new(obj, "workdays_left",
	    json_integer(it->workdays_left));
	json_object_set_new(obj, "workdays_provisional",
	    json_boolean(it->workdays_guess));
	/* What is to be done now: past due, the pack's overdue_action
	 * where it has one (an annual meeting's year is gone). */
	action = sched_rule_action(rules, o, sched_remind_item_late(it));
	json_object_set_new(obj, "action", json_string(action ? action : ""));
	json_object_set_new(obj, "closed_by", json_string(txt->closed_by ?
	    txt->closed_by : ""));
	return obj;
}

static json_t *
recipient_json(const struct notify_recipient *r)
{
	return json_pack("{s:s, s:o, s:o}", "kind", audience(r->to),
	    "scope", r->scope ? json_string(r->scope) : json_null(),
	    "name", r->name ? json_string(r->name) : json_null());
}

json_t *
notify_payload_reminder(const struct sched_message *m,
    const struct notify_recipient *r, const struct sched_rules *rules,
    long long now)
{
	json_t	*items = json_array();
	size_t	 i;

	for (i = 0; i < m->nitems; i++)
		json_array_append_new(items, item_json(&m->items[i], rules));
	return json_pack("{s:s, s:o, s:{s:o, s:o, s:o, s:b, s:b, s:o}}",
	    "type", NOTIFY_TYPE_REMINDER, "timestamp", timestamp_json(now),
	    "data", "recipient", recipient_json(r), "day", date_json(m->day),
	    "planned", date_json(m->planned), "late", m->planned < m->day,
	    "catch_up", m->catch_up, "items", items);
}

json_t *
notify_payload_disabled(long long target_id, const char *url_shown,
    const char *reason, long long now)
{
	return json_pack("{s:s, s:o, s:{s:{s:s, s:n, s:n}, s:I, s:s, s:s}}",
	    "type", NOTIFY_TYPE_DISABLED, "timestamp", timestamp_json(now),
	    "data", "recipient", "kind", "bureau", "scope", "name",
	    "target", (json_int_t)target_id, "url", url_shown,
	    "reason", reason);
}

/* ---- target URLs ---- */

/* A part of a parsed URL, or NULL; curl_free() it. */
static char *
url_part(CURLU *u, CURLUPart what)
{
	char	*s = NULL;

	if (curl_url_get(u, what, &s, 0) != CURLUE_OK)
		return NULL;
	return s;
}

static CURLU *
url_parse(const char *url)
{
	CURLU		*u;
	const char	*p;

	if (url == NULL || strlen(url) > URL_MAX)
		return NULL;
	for (p = url; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return NULL;
	}
	if ((u = curl_url()) == NULL)
		return NULL;
	/* No default scheme: "example.cn/hook" is a mistake to report. */
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return NULL;
	}
	return u;
}

/* "*.example.cn" covers every name under example.cn; anything else is
 * compared whole, ignoring case. */
static bool
host_matches(const char *host, const char *pattern, size_t plen)
{
	size_t	 hlen = strlen(host);

	if (plen > 2 && pattern[0] == '*' && pattern[1] == '.')
		return hlen > plen - 1 && strncasecmp(host + hlen - (plen - 1),
		    pattern + 1, plen - 1) == 0;
	return hlen == plen && strncasecmp(host, pattern, plen) == 0;
}

/*
 * One entry of the list, "name", "*.suffix" or "[v6]", each with an
 * optional ":port".  Without a port it covers the scheme's own port only:
 * an allowed name on any port would let a target reach whatever else
 * listens on that host (a database, an admin page), which the list is
 * there to prevent.
 */
static bool
entry_matches(const char *host, long port, bool default_port,
    const char *entry, size_t len)
{
	const char	*colon = NULL, *p;

	for (p = entry + len; p > entry; p--)
		if (p[-1] == ':' || p[-1] == ']')
			break;
	if (p > entry && p[-1] == ':')
		colon = p - 1;
	if (colon == NULL)
		return default_port && host_matches(host, entry, len);
	return strtol(colon + 1, NULL, 10) == port &&
	    host_matches(host, entry, (size_t)(colon - entry));
}

/* Whether allow_hosts (empty: any) lists the host on this port. */
static bool
host_allowed(const char *host, long port, bool default_port,
    const char *allow_hosts)
{
	const char	*p = allow_hosts, *end;

	if (allow_hosts == NULL)
		return true;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return true;
	while (*p != '\0') {
		end = p + strcspn(p, " ");
		if (entry_matches(host, port, default_port, p,
		    (size_t)(end - p)))
			return true;
		p = end;
		while (*p == ' ')
			p++;
	}
	return false;
}

/* Why allow_hosts refuses the URL's host and port, or NULL.  The host is
 * no secret: it is named, so the fix is plain. */
static char *
not_allowed(const char *scheme, const char *host, const char *port_text,
    const char *allow_hosts)
{
	long	 scheme_port = strcasecmp(scheme, "https") == 0 ? 443 : 80;
	long	 port = port_text != NULL ? strtol(port_text, NULL, 10) :
		    scheme_port;

	if (host_allowed(host, port, port == scheme_port, allow_hosts))
		return NULL;
	if (port == scheme_port)
		return xasprintf("主机 %s 不在 ticd.conf 的 [webhooks] "
		    "allow_hosts 中 / host %s is not in ticd.conf's "
		    "[webhooks] allow_hosts", host, host);
	return xasprintf("主机 %s 的端口 %ld 不在 ticd.conf 的 [webhooks] "
	    "allow_hosts 中（应写作 %s:%ld）/ port %ld of host %s is not in "
	    "ticd.conf's [webhooks] allow_hosts (listed as %s:%ld)", host, port,
	    host, port, port, host, host, port);
}

/* The robot's own URL shape: the credential where the robot wants it. */
static const char *
robot_shape_problem(enum notify_format f, const char *path,
    const char *query)
{
	switch (f) {
	case NOTIFY_WECOM:
		if (query == NULL || notify_query_value(query, "key") == NULL)
			return "企业微信机器人 URL 应含 key= 参数 / a WeCom "
			    "robot's URL has a key= parameter";
		break;
	case NOTIFY_DINGTALK:
		if (query == NULL ||
		    notify_query_value(query, "access_token") == NULL)
			return "钉钉机器人 URL 应含 access_token= 参数 / a "
			    "DingTalk robot's URL has an access_token= "
			    "parameter";
		break;
	case NOTIFY_FEISHU:
		if (path == NULL || strstr(path, "/hook/") == NULL ||
		    strstr(path, "/hook/")[6] == '\0')
			return "飞书机器人 URL 应形如 …/bot/v2/hook/TOKEN / a "
			    "Feishu robot's URL looks like …/bot/v2/hook/TOKEN";
		break;
	default:
		break;
	}
	return NULL;
}

bool
notify_url_ok(enum notify_format f, const char *url, const char *allow_hosts,
    char **why)
{
	CURLU		*u;
	char		*scheme = NULL, *host = NULL, *frag = NULL;
	char		*path = NULL, *query = NULL, *pass = NULL, *shown;
	char		*port_text = NULL;
	const char	*problem = NULL;

	*why = NULL;
	if ((u = url_parse(url)) == NULL) {
		*why = xstrdup("URL 无效（应为 http:// 或 https:// 开头的完整地址，"
		    "不含空白）/ not a valid URL (a full http:// or https:// "
		    "address without white space)");
		return false;
	}
	scheme = url_part(u, CURLUPART_SCHEME);
	host = url_part(u, CURLUPART_HOST);
	frag = url_part(u, CURLUPART_FRAGMENT);
	path = url_part(u, CURLUPART_PATH);
	query = url_part(u, CURLUPART_QUERY);
	pass = url_part(u, CURLUPART_PASSWORD);
	port_text = url_part(u, CURLUPART_PORT);	/* NULL: the scheme's */
	if (scheme == NULL || (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0))
		problem = "只接受 http 和 https / only http and https are "
		    "accepted";
	else if (host == NULL || *host == '\0')
		problem = "URL 缺少主机名 / the URL has no host";
	else if (frag != NULL)
		problem = "URL 不能含 # 片段 / the URL cannot have a #fragment";
	else if (pass != NULL)
		problem = "URL 不能含密码，请用密钥文件 / no password in the "
		    "URL: use a secret file";
	else
		problem = robot_shape_problem(f, path, query);
	if (problem == NULL)
		*why = not_allowed(scheme, host, port_text, allow_hosts);
	else {
		shown = notify_url_redact(f, url);
		*why = xasprintf("%s: %s", shown, problem);
		free(shown);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(frag);
	curl_free(path);
	curl_free(query);
	curl_free(pass);
	curl_free(port_text);
	curl_url_cleanup(u);
	return *why == NULL;
}

const char *
notify_query_value(const char *query, const char *name)
{
	size_t		 n = strlen(name);
	const char	*p = query;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && p[n] == '=' && p[n + 1] != '\0'
		    && p[n + 1] != '&')
			return p + n + 1;
		if ((p = strchr(p, '&')) != NULL)
			p++;
	}
	return NULL;
}

/* Every value of a query replaced by ***: robots keep credentials there,
 * and so may any integrator's endpoint. */
static char *
redact_query(const char *query)
{
	struct buf	 b;
	const char	*p = query, *amp, *eq;

	buf_init(&b);
	while (*p != '\0') {
		amp = p + strcspn(p, "&");
		eq = memchr(p, '=', (size_t)(amp - p));
		if (b.len > 0)
			buf_adds(&b, "&");
		if (eq != NULL) {
			buf_add(&b, p, (size_t)(eq - p));
			buf_adds(&b, "=***");
		} else
			buf_add(&b, p, (size_t)(amp - p));
		p = *amp ? amp + 1 : amp;
	}
	return buf_take(&b);
}

bool
notify_url_has_user(const char *url)
{
	CURLU	*u;
	char	*user = NULL;
	bool	 has;

	if ((u = url_parse(url)) != NULL)
		user = url_part(u, CURLUPART_USER);
	has = user != NULL;
	curl_url_cleanup(u);
	curl_free(user);
	return has;
}

char *
notify_url_redact(enum notify_format f, const char *url)
{
	CURLU	*u;
	char	*query, *path, *hook, *out = NULL, *s;

	(void)f;
	if ((u = url_parse(url)) == NULL)
		return xstrdup("（无效 URL / invalid URL）");
	curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
	if ((s = url_part(u, CURLUPART_USER)) != NULL) {
		curl_free(s);
		curl_url_set(u, CURLUPART_USER, "***", 0);
	}
	curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if ((query = url_part(u, CURLUPART_QUERY)) != NULL) {
		s = redact_query(query);
		curl_url_set(u, CURLUPART_QUERY, s, 0);
		free(s);
		curl_free(query);
	}
	/* Feishu's token is the last part of its path. */
	if ((path = url_part(u, CURLUPART_PATH)) != NULL &&
	    (hook = strstr(path, "/hook/")) != NULL && hook[6] != '\0') {
		s = xasprintf("%.*s/hook/***", (int)(hook - path), path);
		curl_url_set(u, CURLUPART_PATH, s, 0);
		free(s);
	}
	curl_free(path);
	if (curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK) {
		out = xstrdup(s);
		curl_free(s);
	} else
		out = xstrdup("（无效 URL / invalid URL）");
	curl_url_cleanup(u);
	return out;
}

/* ---- requests ---- */

void
notify_request_header(struct notify_request *r, const char *fmt, ...)
{
	va_list	 ap;

	if (r->nheaders == NOTIFY_MAX_HEADERS)
		abort();	/* our own formats' count: a build bug */
	va_start(ap, fmt);
	r->headers[r->nheaders++] = xvasprintf(fmt, ap);
	va_end(ap);
}

struct notify_request *
notify_batch_add(struct notify_batch *b)
{
	struct notify_request	*r;

	b->req = xreallocarray(b->req, b->n + 1, sizeof(*b->req));
	r = &b->req[b->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

void
notify_batch_clear(struct notify_batch *b)
{
	size_t	 i, k;

	for (i = 0; i < b->n; i++) {
		free(b->req[i].url);
		free(b->req[i].body);
		for (k = 0; k < b->req[i].nheaders; k++)
			free(b->req[i].headers[k]);
	}
	free(b->req);
	b->req = NULL;
	b->n = 0;
}

static int
standard_build(const char *url, const char *secret, const char *id,
    const char *payload, size_t len, long long now_ms,
    struct notify_batch *b, char **why)
{
	struct notify_request	*r;
	long long		 ts = now_ms / 1000;
	char			*sig;

	if ((sig = notify_sign_standard(secret, id, ts, payload, len)) ==
	    NULL) {
		*why = xstrdup("无法签名：密钥或 webhook-id 无效 / cannot sign: "
		    "the secret or webhook-id is malformed");
		return -1;
	}
	r = notify_batch_add(b);
	r->url = xstrdup(url);
	r->body = xstrndup(payload, len);
	r->len = len;
	notify_request_header(r, "Content-Type: application/json");
	notify_request_header(r, "webhook-id: %s", id);
	notify_request_header(r, "webhook-timestamp: %lld", ts);
	notify_request_header(r, "webhook-signature: %s", sig);
	free(sig);
	return 0;
}

int
notify_build(enum notify_format f, const char *url, const char *secret,
    const char *webhook_id, const char *payload, size_t len,
    long long now_ms, struct notify_batch *b, char **why)
{
	json_t		*obj;
	json_error_t	 jerr;
	int		 rc;

	memset(b, 0, sizeof(*b));
	*why = NULL;
	if (!notify_secret_ok(f, secret, why))
		return -1;
	if (f == NOTIFY_STANDARD)
		return standard_build(url, secret, webhook_id, payload, len,
		    now_ms, b, why);
	if ((obj = json_loadb(payload, len, 0, &jerr)) == NULL ||
	    !json_is_object(obj)) {
		json_decref(obj);
		*why = xstrdup("存储的消息不是 JSON 对象 / the stored payload "
		    "is not a JSON object");
		return -1;
	}
	rc = notify_robot_build(f, url, secret, obj, now_ms, b, why);
	json_decref(obj);
	if (rc == -1)
		notify_batch_clear(b);
	return rc;
}

/* ---- answers ---- */

const char *
notify_verdict_name(enum notify_verdict v)
{
	static const char *names[] = { "sent", "retry", "throttled", "dead",
	    "gone" };

	return (size_t)v < nitems(names) ? names[v] : "unknown";
}

char *
notify_excerpt(const char *body, size_t len)
{
	struct buf	 b;

	buf_init(&b);
	if (buf_add_text(&b, body, len, EXCERPT_MAX) < len)
		buf_adds(&b, "…");
	return buf_take(&b);
}

/* Retry-After: delta-seconds or an HTTP date (RFC 9110 10.2.3), read
 * with curl_getdate; -1 when absent or unreadable. */
static long
retry_after(const char *h, long long now)
{
	const char	*p;
	long long	 v = 0;
	time_t		 t;

	if (h == NULL)
		return -1;
	while (*h == ' ')
		h++;
	for (p = h; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (*p - '0')) > RETRY_AFTER_MAX)
			v = RETRY_AFTER_MAX;
	if (p > h && (*p == '\0' || *p == ' '))
		return (long)v;
	if ((t = curl_getdate(h, NULL)) == -1)
		return -1;
	v = (long long)t - now;
	return (long)(v < 0 ? 0 : v > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : v);
}

void
notify_classify(enum notify_format f, long status, const char *retry_header,
    const char *body, size_t len, long long now, struct notify_answer *a)
{
	char	*ex;

	memset(a, 0, sizeof(*a));
	a->retry_after = -1;
	if (status >= 200 && status < 300) {
		if (f == NOTIFY_STANDARD) {
			a->verdict = NOTIFY_ANSWER_SENT;
			a->why = xasprintf("HTTP %ld", status);
		} else
			notify_robot_classify(f, status, body, len, a);
		return;
	}
	ex = notify_excerpt(body ? body : "", body ? len : 0);
	a->why = xasprintf("HTTP %ld%s%s", status, *ex ? ": " : "", ex);
	free(ex);
	if (status == 429 || status == 503)
		a->retry_after = retry_after(retry_header, now);
	if (status == 429)
		a->verdict = NOTIFY_ANSWER_THROTTLED;
	else if (status == 410)
		a->verdict = NOTIFY_ANSWER_GONE;
	else if (status >= 400 && status < 500 && status != 408 &&
	    status != 425)
		a->verdict = NOTIFY_ANSWER_DEAD;
	else
		/* 5xx, 408, 425; and 1xx or 3xx: redirects are not followed
		 * (a target's URL is the one the bureau set), so one that
		 * lasts ends in the endpoint being disabled. */
		a->verdict = NOTIFY_ANSWER_RETRY;
}

void
notify_classify_transport(int code, const char *detail,
    struct notify_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->retry_after = -1;
	a->why = xasprintf("curl %d: %s%s%s", code,
	    curl_easy_strerror((CURLcode)code), detail && *detail ? ": " : "",
	    detail ? detail : "");
	switch (code) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		a->verdict = NOTIFY_ANSWER_DEAD;
		break;
	default:
		a->verdict = NOTIFY_ANSWER_RETRY;
	}
}

void
notify_answer_clear(struct notify_answer *a)
{
	free(a->why);
	a->why = NULL;
}
