/*
 * recipients.c: where a recipient's reminders go, through the API:
 * /api/v1/contacts (the mail addresses of the bureau, a unit, a centre)
 * and /api/v1/webhooks (webhook and chat-robot targets, issue 6).
 *
 * Only the bureau adds, removes or enables them.  A unit or centre token
 * lists its own: a contact as it is; a target with its URL cut to the
 * scheme, host and port and its errors cut to the HTTP status or the
 * robot's code (the parts a target's secret can hide in).  What a token
 * cannot see answers 404, what it sees but may not change 403, as in
 * api.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "common/common.h"
#include "daemon/api-int.h"
#include "daemon/log.h"
#include "notify/notify.h"

/* ---- contacts ---- */

struct contact_list {
	struct call	*c;
	json_t		*list;
};

static bool
sees_contact(struct call *c, const char *kind, const char *scope)
{
	if (c->tok->role == ROLE_BUREAU)
		return true;
	if (strcmp(kind, "centre") == 0)
		return scope != NULL && auth_sees_centre(c->t, c->tok, scope);
	return c->tok->role == ROLE_UNIT && strcmp(kind, "unit") == 0 &&
	    scope != NULL && strcmp(scope, c->tok->scope) == 0;
}

static int
contact_row_cb(const struct db_contact *row, void *arg)
{
	struct contact_list	*cl = arg;

	/* "usable": false for one stored by an older ticd that the address
	 * rules now refuse: it gets no mail (and the log says so daily). */
	if (sees_contact(cl->c, row->kind, row->scope))
		json_array_append_new(cl->list, json_pack("{s:I, s:s, s:o, s:s, "
		    "s:b, s:s, s:s}", "id", (json_int_t)row->id, "kind",
		    row->kind, "scope", row->scope ? json_string(row->scope) :
		    json_null(), "email", row->email, "usable",
		    mail_address_ok(row->email), "name", row->name,
		    "created_at", row->created_at));
	return 0;
}

void
api_get_contacts(struct call *c)
{
	struct contact_list	 cl = { c, json_array() };
	char			*error = NULL;

	if (db_foreach_contact(c->t->db, contact_row_cb, &cl, &error) == -1) {
		json_decref(cl.list);
		http_reply_unavailable(c->t, c->req, error);
		return;
	}
	http_reply_json(c->t, c->req, 200, json_pack("{s:o}", "contacts",
	    cl.list));
}

/* What is wrong with a contact, field by field; NULL when nothing. */
static const char *
contact_refusal(const struct db_contact *row)
{
	const unsigned char	*p;

	if (row->kind == NULL || (strcmp(row->kind, "bureau") != 0 &&
	    strcmp(row->kind, "unit") != 0 && strcmp(row->kind, "centre") != 0))
		return "kind 应为 bureau、unit 或 centre / kind must be bureau, "
		    "unit or centre";
	if ((strcmp(row->kind, "bureau") != 0) != (row->scope != NULL))
		return "unit、centre 须有 scope，bureau 不带 scope / a unit or "
		    "centre contact needs a scope, a bureau contact has none";
	if (row->email == NULL)
		return "缺少 email / email is missing";
	for (p = (const unsigned char *)row->email; *p != '\0'; p++)
		if (*p >= 0x80)
			return "email 应为 ASCII 地址：中文域名请写成 xn-- 形式"
			    "（如 li@xn--55qx5d.xn--fiqs8s），中文用户名无法投递 / "
			    "email must be an ASCII address: write an "
			    "internationalized domain in its xn-- form; a "
			    "non-ASCII local part cannot be delivered";
	if (!mail_address_ok(row->email))
		return "email 不是可用的邮箱地址（不含空格、<>,;:\"()[]\\ 或 =?，"
		    "域名不以点结尾，xn-- 标签须为有效的国际化域名）/ email is "
		    "not a usable ASCII address (no spaces, <>,;:\"()[]\\ or "
		    "=?, no dot ending the domain, its xn-- labels valid IDNA)";
	if (strpbrk(row->name, "\r\n") != NULL)
		return "name 不能含换行 / name must be a single line";
	return NULL;
}

/* Whether two scopes are the same (NULL: the bureau's). */
static bool
same_scope(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/*
 * After a search for what a new contact or target would repeat (rc and
 * error its result, id the one found or 0): replies 503, or 409 naming
 * the one found, and says true; false when there is none.
 */
static bool
reply_taken(struct call *c, int rc, char *error, long long id,
    const char *what_cn, const char *what_en)
{
	char	*msg;

	if (rc == -1) {
		http_reply_unavailable(c->t, c->req, error);
		return true;
	}
	if (id == 0)
		return false;
	msg = xasprintf("%s（编号 %lld）/ %s (id %lld)", what_cn, id, what_en,
	    id);
	http_reply_error(c->t, c->req, 409, "duplicate", msg);
	free(msg);
	return true;
}

struct contact_same {
	const struct db_contact	*want;
	long long		 id;
};

static int
contact_same_cb(const struct db_contact *row, void *arg)
{
	struct contact_same	*cs = arg;

	if (strcmp(row->kind, cs->want->kind) == 0 &&
	    same_scope(row->scope, cs->want->scope) &&
	    strcasecmp(row->email, cs->want->email) == 0)
		cs->id = row->id;
	return 0;
}

/* Whether the recipient has this address already, its case aside (a
 * second copy mailed every reminder twice): replied to if so. */
static bool
contact_taken(struct call *c, const struct db_contact *want)
{
	struct contact_same	 cs = { want, 0 };
	char			*error = NULL;
	int			 rc;

	rc = db_foreach_contact(c->t->db, contact_same_cb, &cs, &error);
	return reply_taken(c, rc, error, cs.id, "已有此联系人",
	    "already a contact");
}

void
api_post_contact(struct call *c)
{
	struct db_contact	 row = { 0 };
	json_t			*obj;
	const char		*why;
	char			*error = NULL;

	static const char *const fields[] = { "kind", "scope", "email",
	    "name", NULL };

	if ((obj = api_read_fields(c, fields)) == NULL)
		return;
	row.kind = json_string_value(json_object_get(obj, "kind"));
	row.scope = json_string_value(json_object_get(obj, "scope"));
	row.email = json_string_value(json_object_get(obj, "email"));
	row.name = json_string_value(json_object_get(obj, "name"));
	if (row.name == NULL)
		row.name = "";
	if ((why = contact_refusal(&row)) != NULL) {
		api_bad_request(c, why);
		json_decref(obj);
		return;
	}
	if (contact_taken(c, &row))
		goto out;
	row.created_at = state_timestamp();
	if (db_contact_insert(c->t->db, &row, &error) == -1) {
		http_reply_unavailable(c->t, c->req, error);
	} else
		http_reply_json(c->t, c->req, 201, state_scope_warned(c->t,
		    row.kind, row.scope, json_pack("{s:I, s:s, s:o, s:s, s:s}",
		    "id", (json_int_t)row.id, "kind", row.kind, "scope",
		    row.scope ? json_string(row.scope) : json_null(), "email",
		    row.email, "name", row.name)));
	free((char *)row.created_at);
out:
	json_decref(obj);
}

struct contact_find {
	struct call	*c;
	long long	 id;
	bool		 seen;
};

static int
contact_find_cb(const struct db_contact *row, void *arg)
{
	struct contact_find	*cf = arg;

	if (row->id == cf->id && sees_contact(cf->c, row->kind, row->scope))
		cf->seen = true;
	return 0;
}

/* Whether the token sees contact ID; replies 503 and says false when the
 * store cannot be read. */
static bool
contact_visible(struct call *c, long long id, bool *seen)
{
	struct contact_find	 cf = { c, id, false };
	char			*error = NULL;

	if (db_foreach_contact(c->t->db, contact_find_cb, &cf, &error) == -1) {
		http_reply_unavailable(c->t, c->req, error);
		return false;
	}
	*seen = cf.seen;
	return true;
}

void
api_delete_contact(struct call *c, const char *sid)
{
	long long	 id;
	char		*error = NULL;
	bool		 seen;
	int		 rc;

	if (!api_parse_id(sid, &id)) {
		api_not_found(c);
		return;
	}
	if (c->tok->role != ROLE_BUREAU) {
		/* What the token cannot see does not exist for it; what it
		 * sees it may still not remove. */
		if (!contact_visible(c, id, &seen))
			return;
		if (seen)
			api_forbidden(c, "只有市科技局可以管理联系人 / only the "
			    "bureau manages contacts");
		else
			api_not_found(c);
		return;
	}
	rc = db_contact_delete(c->t->db, id, &error);
	if (rc == -1) {
		http_reply_unavailable(c->t, c->req, error);
	} else if (rc == 1)
		api_not_found(c);
	else
		http_reply_json(c->t, c->req, 200, json_pack("{s:I, s:b}", "id",
		    (json_int_t)id, "removed", 1));
}

/* ---- webhook targets ---- */

static json_t *
time_or_null(long long t)
{
	char		 s[32];
	time_t		 tt = (time_t)t + 8 * 3600;
	struct tm	 tm;

	if (t == 0)
		return json_null();
	/* Asia/Shanghai is UTC+8 all year, as everywhere in ticd. */
	gmtime_r(&tt, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S+08:00", &tm);
	return json_string(s);
}

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A target as the API shows it: the URL redacted (a robot's URL is its
 * credential), the secret's file only to the bureau. */
/*
 * Where a target posts, as a unit or centre sees it: the scheme, host
 * and port only.  Services keep their secret in the path (Slack's,
 * Discord's hooks) or the user name as well as in the query, which is
 * all notify_url_redact hides: the bureau, who added it, sees that much.
 */
static char *
url_origin(const char *url)
{
	CURLU	*u = curl_url();
	char	*scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	char	*out;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		(void)curl_url_get(u, CURLUPART_PORT, &port, 0);
		(void)curl_url_get(u, CURLUPART_PATH, &path, 0);
		out = xasprintf("%s://%s%s%s%s", scheme, host, port ? ":" : "",
		    port ? port : "", path != NULL && strcmp(path, "/") != 0 ?
		    "/…" : "/");
	} else
		out = xstrdup("…");
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return out;
}

/*
 * A target's error as a unit or centre token sees it: up to the HTTP
 * status or a robot's error code, without the excerpt of the endpoint's
 * reply after it, which may echo the path and query the masked URL hides
 * (a key, a token).
 */
static json_t *
status_only(const char *error)
{
	const char	*p;

	if (error == NULL)
		return json_null();
	for (p = strstr(error, "HTTP "); p != NULL; p = strstr(p + 5,
	    "HTTP ")) {
		if (p[5] >= '0' && p[5] <= '9' && p[6] >= '0' && p[6] <= '9' &&
		    p[7] >= '0' && p[7] <= '9')
			return json_stringn(error, (size_t)(p + 8 - error));
	}
	/* A robot's answer, "errcode N: …" or Feishu's "code N: …": its
	 * code, not its message (robot.c). */
	for (p = strstr(error, "code "); p != NULL; p = strstr(p + 5,
	    "code ")) {
		p += 5;
		if (*p == '-')
			p++;
		if (*p < '0' || *p > '9')
			continue;
		while (*p >= '0' && *p <= '9')
			p++;
		return json_stringn(error, (size_t)(p - error));
	}
	return json_string(error);
}

static json_t *
webhook_json(const struct db_webhook *w, bool bureau)
{
	enum notify_format	 f = NOTIFY_STANDARD;
	json_t			*obj;
	char			*url;

	(void)notify_format_from_name(w->format, &f);
	url = bureau ? notify_url_redact(f, w->url) : url_origin(w->url);
	obj = json_pack("{s:I, s:s, s:o, s:s, s:s, s:b, s:s, s:s, s:s}",
	    "id", (json_int_t)w->id, "kind", w->kind, "scope",
	    str_or_null(w->scope), "url", url, "format", w->format,
	    "signed", w->secret_file != NULL, "label", w->label,
	    "created_at", w->created_at, "state", w->disabled_at ? "disabled" :
	    w->failing_since ? "failing" : "enabled");
	free(url);
	if (bureau)
		json_object_set_new(obj, "secret_file",
		    str_or_null(w->secret_file));
	json_object_set_new(obj, "failing_since",
	    time_or_null(w->failing_since));
	json_object_set_new(obj, "last_ok", time_or_null(w->last_ok));
	json_object_set_new(obj, "last_error", bureau ?
	    str_or_null(w->last_error) : status_only(w->last_error));
	json_object_set_new(obj, "disabled_at", str_or_null(w->disabled_at));
	json_object_set_new(obj, "disabled_reason", bureau ?
	    str_or_null(w->disabled_reason) : status_only(w->disabled_reason));
	return obj;
}

struct webhook_list {
	struct call	*c;
	json_t		*list;
	long long	 id;		/* one target, or 0: all */
	bool		 seen;
};

static int
webhook_row_cb(const struct db_webhook *w, void *arg)
{
	struct webhook_list	*wl = arg;

	if ((wl->id == 0 || w->id == wl->id) &&
	    sees_contact(wl->c, w->kind, w->scope)) {
		wl->seen = true;
		if (wl->list != NULL)
			json_array_append_new(wl->list, webhook_json(w,
			    wl->c->tok->role == ROLE_BUREAU));
	}
	return 0;
}

void
api_get_webhooks(struct call *c)
{
	struct webhook_list	 wl = { c, json_array(), 0, false };
	char			*error = NULL;

	if (db_foreach_webhook(c->t->db, webhook_row_cb, &wl, &error) == -1) {
		json_decref(wl.list);
		http_reply_unavailable(c->t, c->req, error);
		return;
	}
	http_reply_json(c->t, c->req, 200, json_pack("{s:o}", "webhooks",
	    wl.list));
}

static bool
bad_recipient(const char *kind, const char *scope)
{
	return kind == NULL || (strcmp(kind, "bureau") != 0 &&
	    strcmp(kind, "unit") != 0 && strcmp(kind, "centre") != 0) ||
	    (strcmp(kind, "bureau") != 0) != (scope != NULL && *scope != '\0');
}

/* The checks of a new target, before anything is stored; NULL when it
 * may be, else why not (the caller frees) with *status: 400 for a
 * malformed request, 422 for a target ticd will not post to. */
static char *
webhook_problem(struct call *c, json_t *obj, enum notify_format *f,
    int *status)
{
	const char	*kind = json_string_value(json_object_get(obj, "kind"));
	const char	*scope = json_string_value(json_object_get(obj, "scope"));
	const char	*format = json_string_value(json_object_get(obj,
			    "format"));
	const char	*url = json_string_value(json_object_get(obj, "url"));
	const char	*file = json_string_value(json_object_get(obj,
			    "secret_file"));
	const char	*label = json_string_value(json_object_get(obj,
			    "label"));
	char		*why = NULL, *secret = NULL, *shown;

	*status = 400;
	if (bad_recipient(kind, scope))
		return xstrdup("kind 应为 bureau、unit 或 centre（unit、centre 须有 "
		    "scope）/ kind must be bureau, unit or centre (unit and "
		    "centre with a scope)");
	if (notify_format_from_name(format, f) == -1)
		return xstrdup("format 应为 standard、wecom、dingtalk 或 feishu / "
		    "format must be standard, wecom, dingtalk or feishu");
	if (label != NULL && (strlen(label) > 200 ||
	    strpbrk(label, "\r\n\t") != NULL))
		return xstrdup("label 应为一行、至多 200 字节 / label must be one "
		    "line of at most 200 bytes");
	if (url == NULL)
		return xstrdup("缺少 url / url is missing");
	if (file != NULL && notify_format_secret(*f) == NOTIFY_SECRET_NONE)
		return xstrdup("wecom 格式不用密钥：凭据是 URL 中的 key / wecom "
		    "takes no secret: the key in its URL is the credential");
	if (file == NULL && notify_format_secret(*f) ==
	    NOTIFY_SECRET_REQUIRED)
		return xstrdup("standard 格式须有 secret_file（内容为 whsec_ 加 "
		    "base64）/ the standard format needs a secret_file (holding "
		    "whsec_ and base64)");
	*status = 422;
	if (!notify_url_ok(*f, url, c->t->conf.webhook_allow_hosts, &why))
		return why;
	if (notify_url_has_user(url)) {
		shown = notify_url_redact(*f, url);
		why = xasprintf("%s: URL 不能含用户名或密码，请用密钥文件 / no user "
		    "name or password in the URL: use a secret file", shown);
		free(shown);
		return why;
	}
	/* Read now, so a wrong path or secret is told to the one adding it
	 * rather than found at the first reminder. */
	if (file != NULL && (notify_secret_read(file, &secret, &why) == -1 ||
	    !notify_secret_ok(*f, secret, &why))) {
		notify_secret_free(secret);
		return why;
	}
	notify_secret_free(secret);
	return NULL;
}

struct webhook_same {
	const struct db_webhook	*want;
	long long		 id;
};

static int
webhook_same_cb(const struct db_webhook *row, void *arg)
{
	struct webhook_same	*ws = arg;

	if (strcmp(row->kind, ws->want->kind) == 0 &&
	    same_scope(row->scope, ws->want->scope) &&
	    strcmp(row->url, ws->want->url) == 0)
		ws->id = row->id;
	return 0;
}

/* Whether the recipient posts to this URL already (a second target
 * posted every reminder twice to the same group): replied to if so. */
static bool
webhook_taken(struct call *c, const struct db_webhook *want)
{
	struct webhook_same	 ws = { want, 0 };
	char			*error = NULL;
	int			 rc;

	rc = db_foreach_webhook(c->t->db, webhook_same_cb, &ws, &error);
	return reply_taken(c, rc, error, ws.id, "此对象已有同一地址的 webhook",
	    "the recipient has a webhook to this URL already");
}

void
api_post_webhook(struct call *c)
{
	struct db_webhook	 row = { 0 };
	enum notify_format	 f;
	json_t			*obj;
	char			*why, *error = NULL, *shown, *created;
	int			 status;

	static const char *const fields[] = { "kind", "scope", "url",
	    "format", "secret_file", "label", NULL };

	if ((obj = api_read_fields(c, fields)) == NULL)
		return;
	if ((why = webhook_problem(c, obj, &f, &status)) != NULL) {
		http_reply_error(c->t, c->req, status, status == 400 ?
		    "bad_request" : "refused", why);
		free(why);
		json_decref(obj);
		return;
	}
	row.kind = json_string_value(json_object_get(obj, "kind"));
	row.scope = json_string_value(json_object_get(obj, "scope"));
	row.url = json_string_value(json_object_get(obj, "url"));
	row.format = notify_format_name(f);
	row.secret_file = json_string_value(json_object_get(obj,
	    "secret_file"));
	row.label = json_string_value(json_object_get(obj, "label"));
	if (row.label == NULL)
		row.label = "";
	if (webhook_taken(c, &row)) {
		json_decref(obj);
		return;
	}
	row.created_at = created = state_timestamp();
	if (db_webhook_insert(c->t->db, &row, &error) == -1) {
		http_reply_unavailable(c->t, c->req, error);
	} else {
		notify_targets_changed(c->t->notify);
		shown = notify_url_redact(f, row.url);
		log_info("webhook %lld added: %s for %s%s%s at %s", row.id,
		    row.format, row.kind, row.scope ? " " : "",
		    row.scope ? row.scope : "", shown);
		free(shown);
		http_reply_json(c->t, c->req, 201, state_scope_warned(c->t,
		    row.kind, row.scope, webhook_json(&row, true)));
	}
	free(created);
	json_decref(obj);
}

/* Whether a non-bureau token sees target ID: 404 if not, 403 if so
 * (only the bureau changes targets).  Replies in every case. */
static void
webhook_not_yours(struct call *c, long long id)
{
	struct webhook_list	 wl = { c, NULL, id, false };
	char			*error = NULL;

	if (db_foreach_webhook(c->t->db, webhook_row_cb, &wl, &error) == -1) {
		http_reply_unavailable(c->t, c->req, error);
	} else if (wl.seen)
		api_forbidden(c, "只有市科技局可以管理 webhook / only the bureau "
		    "manages webhooks");
	else
		api_not_found(c);
}

/* The id of a target to change, which only the bureau may do; false
 * once a refusal is sent. */
static bool
bureau_target_id(struct call *c, const char *sid, long long *id)
{
	if (!api_parse_id(sid, id)) {
		api_not_found(c);
		return false;
	}
	if (c->tok->role != ROLE_BUREAU) {
		webhook_not_yours(c, *id);
		return false;
	}
	return true;
}

void
api_delete_webhook(struct call *c, const char *sid)
{
	long long	 id;
	char		*error = NULL;
	int		 rc;

	if (!bureau_target_id(c, sid, &id))
		return;
	rc = db_webhook_delete(c->t->db, id, &error);
	if (rc == -1) {
		http_reply_unavailable(c->t, c->req, error);
	} else if (rc == 1)
		api_not_found(c);
	else {
		notify_targets_changed(c->t->notify);
		log_info("webhook %lld removed", id);
		http_reply_json(c->t, c->req, 200, json_pack("{s:I, s:b}", "id",
		    (json_int_t)id, "removed", 1));
	}
}

/* What a target was before POST .../enable: "enabled", "failing" or
 * "disabled"; left NULL when there is no such target. */
static int
state_before_cb(const struct db_webhook *w, void *arg)
{
	*(const char **)arg = w->disabled_at ? "disabled" : w->failing_since ?
	    "failing" : "enabled";
	return 0;
}

struct enabled_reply {
	struct call	*c;
	const char	*was;
};

static int
enabled_reply_cb(const struct db_webhook *w, void *arg)
{
	struct enabled_reply	*er = arg;
	json_t			*obj = webhook_json(w, true);

	json_object_set_new(obj, "was", json_string(er->was));
	http_reply_json(er->c->t, er->c->req, 200, obj);
	return 0;
}

/* POST /api/v1/webhooks/ID/enable: back on after being disabled, its
 * failure streak forgotten; the reply says what it was ("was"), so that
 * enabling one that was never off is not reported as done. */
void
api_enable_webhook(struct call *c, const char *sid)
{
	struct enabled_reply	 er = { c, NULL };
	long long		 id;
	char			*error = NULL;
	int			 rc;

	if (!bureau_target_id(c, sid, &id))
		return;
	rc = db_webhook_get(c->t->db, id, state_before_cb, &er.was, &error);
	if (rc == 0)
		rc = db_webhook_enable(c->t->db, id, &error);
	if (rc == 0)
		rc = db_webhook_get(c->t->db, id, enabled_reply_cb, &er,
		    &error);
	if (rc == -1) {
		http_reply_unavailable(c->t, c->req, error);
	} else if (rc == 1)
		api_not_found(c);
	else {
		notify_target_enabled(c->t->notify, id);
		notify_targets_changed(c->t->notify);
		log_info("webhook %lld enabled (it was %s)", id, er.was);
	}
}
