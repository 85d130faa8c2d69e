/*
 * feedtok.c: the secrets in calendar feed URLs, and /api/v1/feeds.
 *
 * A feed token is "ticf_" and 256 random bits (base64url), made and
 * hashed as API tokens are (auth.c) but kept in a table of their own: an
 * API token never opens a feed and a feed token never opens the API.  It
 * only ever reads one scope's calendar, so it may travel in a URL that
 * calendar clients store and sync.  Only its SHA-256 is stored; the
 * valid ones are in memory, found by hash.
 *
 * The last use is noted in memory on every fetch and written to the
 * store by a timer at most once a minute (feeds.c): a calendar client
 * polling every few minutes must not cost a disk write each time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "common/common.h"
#include "daemon/feed-int.h"
#include "daemon/log.h"

/* Bytes of a scope or label, so that a listing stays readable. */
#define FEEDTOK_MAX_TEXT	256
#define FEEDS_PER_SCOPE		100	/* feeds in force of one scope */
#define FEEDS_PER_SCOPE_S	"100"

static const char *kind_names[] = {
	[CAL_SCOPE_BUREAU] = "bureau",
	[CAL_SCOPE_UNIT] = "unit",
	[CAL_SCOPE_CENTRE] = "centre",
};

const char *
feedtok_kind_name(enum cal_scope k)
{
	return kind_names[k];
}

static int
kind_from_name(const char *name, enum cal_scope *k)
{
	size_t	 i;

	for (i = 0; name != NULL && i < nitems(kind_names); i++) {
		if (strcmp(name, kind_names[i]) == 0) {
			*k = (enum cal_scope)i;
			return 0;
		}
	}
	return -1;
}

/* A time as the API writes times: ISO 8601 in Asia/Shanghai. */
static void
iso_time(time_t t, char out[32])
{
	struct tm	 tm;
	time_t		 local = t + 8 * 3600;

	gmtime_r(&local, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

/* ---- the tokens in memory ---- */

static void
remember(struct feeds *f, const char *hash, long long id, enum cal_scope kind,
    const char *scope, const char *unit)
{
	struct feed_token	*tok = xcalloc(1, sizeof(*tok));

	tok->id = id;
	tok->kind = kind;
	tok->scope = scope != NULL ? xstrdup(scope) : NULL;
	tok->unit = unit != NULL ? xstrdup(unit) : NULL;
	f->toks = xreallocarray(f->toks, f->ntoks + 1, sizeof(*f->toks));
	f->toks[f->ntoks] = tok;
	json_object_set_new(f->tok_index, hash,
	    json_integer((json_int_t)f->ntoks++));
}

void
feedtok_clear(struct feeds *f)
{
	size_t	 i;

	for (i = 0; i < f->ntoks; i++) {
		free(f->toks[i]->scope);
		free(f->toks[i]->unit);
		free(f->toks[i]);
	}
	free(f->toks);
	f->toks = NULL;
	f->ntoks = 0;
	json_decref(f->tok_index);
	f->tok_index = NULL;
}

static int
load_cb(const struct db_feed_token *row, void *arg)
{
	struct feeds	*f = arg;
	enum cal_scope	 kind;

	if (row->revoked_at == NULL && kind_from_name(row->kind, &kind) == 0)
		remember(f, row->hash, row->id, kind, row->scope, row->unit);
	return 0;
}

/* The token of this id, or NULL: toks is in the order of ids (read in
 * that order, each new one with a larger id), so it is searched by
 * halves; a scan for each row of a listing was the square of the count. */
static struct feed_token *
tok_by_id(const struct feeds *f, long long id)
{
	size_t	 lo = 0, hi = f->ntoks, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (f->toks[mid]->id == id)
			return f->toks[mid];
		if (f->toks[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * The tokens read from the store, at start and on SIGHUP (a feed made
 * beside the daemon with ticd -F is served from then on): into a new set,
 * which replaces the old one only once read whole, so a store that cannot
 * be read leaves the tokens known.  The uses noted in memory carry over.
 */
int
feedtok_load(struct ticd *t, char **error)
{
	struct feeds		 old = *t->feeds, *f = t->feeds;
	struct feed_token	*was;
	size_t			 i;

	f->toks = NULL;
	f->ntoks = 0;
	f->tok_index = json_object();
	if (db_foreach_feed_token(t->db, load_cb, f, error) == -1) {
		feedtok_clear(f);
		f->toks = old.toks;
		f->ntoks = old.ntoks;
		f->tok_index = old.tok_index;
		return -1;
	}
	for (i = 0; i < f->ntoks; i++)
		if ((was = tok_by_id(&old, f->toks[i]->id)) != NULL) {
			f->toks[i]->used = was->used;
			f->toks[i]->stored = was->stored;
		}
	feedtok_clear(&old);
	return 0;
}

/* The shape of a secret, checked before any hashing: a path segment
 * that is not one costs nothing. */
static bool
plausible_secret(const char *s)
{
	size_t	 i, n = strlen(FEEDTOK_PREFIX);

	if (strlen(s) != FEEDTOK_LEN || strncmp(s, FEEDTOK_PREFIX, n) != 0)
		return false;
	for (i = n; s[i] != '\0'; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_'))
			return false;
	}
	return true;
}

/*
 * Whether the unit that made a centre's feed (NULL: the bureau or the
 * centre did) still has the centre: one the bureau registered again under
 * another unit is that unit's business, no longer the old unit's staff's
 * (a feed shows no more than its maker's token could read).
 */
static bool
maker_still_sees(struct ticd *t, const char *unit, const char *centre)
{
	const char	*now;

	if (unit == NULL || centre == NULL)
		return true;
	now = auth_centre_unit(t, centre);
	return now == NULL || strcmp(now, unit) == 0;
}

struct feed_token *
feedtok_lookup(struct ticd *t, const char *secret)
{
	struct feed_token	*tok;
	char			*hash;
	json_t			*v;

	if (!plausible_secret(secret) ||
	    (hash = auth_hash_secret(secret)) == NULL)
		return NULL;
	v = json_object_get(t->feeds->tok_index, hash);
	free(hash);
	if (v == NULL)
		return NULL;
	tok = t->feeds->toks[json_integer_value(v)];
	return maker_still_sees(t, tok->unit, tok->scope) ? tok : NULL;
}

void
feedtok_used(struct feed_token *tok)
{
	tok->used = time(NULL);
}

void
feedtok_flush(struct ticd *t)
{
	struct feeds		*f = t->feeds;
	struct db_feed_use	*uses;
	char			(*when)[32];
	char			*error = NULL;
	size_t			 i, n = 0;

	uses = xcalloc(f->ntoks + 1, sizeof(*uses));
	when = xcalloc(f->ntoks + 1, sizeof(*when));
	for (i = 0; i < f->ntoks; i++) {
		if (f->toks[i]->used == f->toks[i]->stored)
			continue;
		iso_time(f->toks[i]->used, when[n]);
		uses[n].id = f->toks[i]->id;
		uses[n].last_used_at = when[n];
		n++;
	}
	if (db_feed_tokens_used(t->db, uses, n, &error) == 0) {
		for (i = 0; i < f->ntoks; i++)
			f->toks[i]->stored = f->toks[i]->used;
	} else {
		/* Kept in memory: the next flush tries again. */
		log_warnx("noting the feeds' last use failed: %s", error);
		free(error);
	}
	free(uses);
	free(when);
}

/* ---- scopes ---- */

int
feedtok_scope_check(struct ticd *t, const struct token *tok,
    enum cal_scope kind, const char *id)
{
	/* A centre is named only once registered, and one the token does
	 * not see does not exist for it. */
	if (kind == CAL_SCOPE_CENTRE &&
	    (sched_journal_centre(t->journal, id) == NULL ||
	    !auth_sees_centre(t, tok, id)))
		return 404;
	switch (tok->role) {
	case ROLE_BUREAU:
		return 0;
	case ROLE_UNIT:
		if (kind == CAL_SCOPE_CENTRE)
			return 0;
		return kind == CAL_SCOPE_UNIT && strcmp(id, tok->scope) == 0 ?
		    0 : 403;
	case ROLE_CENTRE:
		return kind == CAL_SCOPE_CENTRE ? 0 : 403;
	}
	return 403;
}

void
feedtok_reply_refused(struct ticd *t, struct evhttp_request *req, int status)
{
	if (status == 404)
		http_reply_error(t, req, 404, "not_found", HTTP_NOT_FOUND);
	else
		http_reply_error(t, req, 403, "forbidden", "只能订阅本令牌可见的范围"
		    "（组织管理单位：本单位及其中心；中心：本中心）/ a feed may "
		    "show only what the token sees (a unit: itself and its "
		    "centres; a centre: itself)");
}

/* ---- /api/v1/feeds ---- */

struct listing {
	struct ticd		*t;
	const struct token	*tok;
	json_t			*list;
};

/* The last use: memory's when it has one (the store lags up to a
 * minute), else the store's. */
static json_t *
last_use(struct ticd *t, const struct db_feed_token *row)
{
	struct feed_token	*tok = tok_by_id(t->feeds, row->id);
	char			 when[32];

	if (tok != NULL && tok->used != 0) {
		iso_time(tok->used, when);
		return json_string(when);
	}
	return row->last_used_at ? json_string(row->last_used_at) :
	    json_null();
}

/* Feeds in force of one scope: a token holder could make them without
 * end (30,000 in 30 s, each listing then holding the loop).  One stopped
 * by its centre's move is not counted: nobody but the bureau sees it. */
static size_t
feeds_of_scope(struct ticd *t, enum cal_scope kind, const char *scope)
{
	const struct feeds	*f = t->feeds;
	size_t			 i, n = 0;

	for (i = 0; i < f->ntoks; i++)
		if (!f->toks[i]->revoked && f->toks[i]->kind == kind &&
		    (scope == NULL ? f->toks[i]->scope == NULL :
		    f->toks[i]->scope != NULL &&
		    strcmp(f->toks[i]->scope, scope) == 0) &&
		    maker_still_sees(t, f->toks[i]->unit, f->toks[i]->scope))
			n++;
	return n;
}

/* A listing's row; the bureau's also says which unit made a centre's
 * feed and whether the centre's move stopped it. */
static json_t *
row_json(struct ticd *t, const struct db_feed_token *row, bool bureau)
{
	json_t	*obj;

	obj = json_pack("{s:I, s:s, s:o, s:s, s:s, s:o, s:o}",
	    "id", (json_int_t)row->id, "kind", row->kind, "scope",
	    row->scope ? json_string(row->scope) : json_null(), "label",
	    row->label, "created_at", row->created_at, "last_used_at",
	    last_use(t, row), "revoked_at", row->revoked_at ?
	    json_string(row->revoked_at) : json_null());
	if (bureau) {
		json_object_set_new(obj, "made_by_unit", row->unit ?
		    json_string(row->unit) : json_null());
		json_object_set_new(obj, "stopped", json_boolean(
		    !maker_still_sees(t, row->unit, row->scope)));
	}
	return obj;
}

static bool
row_visible(struct ticd *t, const struct token *tok,
    const struct db_feed_token *row)
{
	enum cal_scope	 kind;

	return kind_from_name(row->kind, &kind) == 0 &&
	    (kind == CAL_SCOPE_BUREAU || row->scope != NULL) &&
	    feedtok_scope_check(t, tok, kind, row->scope) == 0 &&
	    (tok->role == ROLE_BUREAU || maker_still_sees(t, row->unit,
	    row->scope)) && (tok->role != ROLE_UNIT || row->unit == NULL ||
	    strcmp(row->unit, tok->scope) == 0);
}

static int
list_cb(const struct db_feed_token *row, void *arg)
{
	struct listing	*l = arg;

	if (row_visible(l->t, l->tok, row))
		json_array_append_new(l->list, row_json(l->t, row,
		    l->tok->role == ROLE_BUREAU));
	return 0;
}

void
feedtok_api_list(struct ticd *t, struct evhttp_request *req,
    const struct token *tok)
{
	struct listing	 l = { t, tok, json_array() };
	char		*error = NULL;

	if (db_foreach_feed_token(t->db, list_cb, &l, &error) == -1) {
		json_decref(l.list);
		http_reply_unavailable(t, req, error);
		return;
	}
	http_reply_json(t, req, 200, json_pack("{s:o}", "feeds", l.list));
}

/* Printable UTF-8 of a bounded length, without control characters. */
static bool
good_text(const char *s)
{
	const unsigned char	*p;

	if (strlen(s) > FEEDTOK_MAX_TEXT)
		return false;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < ' ' || *p == 0x7f)
			return false;
	}
	return true;
}

/* The kind, scope and label of a new feed; false after replying 400. */
static bool
parse_new(struct ticd *t, struct evhttp_request *req, json_t *body,
    enum cal_scope *kind, const char **scope, const char **label)
{
	json_t	*jscope = json_object_get(body, "scope");
	json_t	*jlabel = json_object_get(body, "label");

	*scope = json_string_value(jscope);
	*label = jlabel == NULL || json_is_null(jlabel) ? "" :
	    json_string_value(jlabel);
	if (json_is_object(body) &&
	    kind_from_name(json_string_value(json_object_get(body, "kind")),
	    kind) == 0 && (*kind == CAL_SCOPE_BUREAU ? jscope == NULL ||
	    json_is_null(jscope) : *scope != NULL && **scope != '\0' &&
	    good_text(*scope)) && *label != NULL && good_text(*label))
		return true;
	http_reply_error(t, req, 400, "bad_request", "kind 应为 bureau、unit 或 "
	    "centre；unit 与 centre 须有 scope（单位名或中心编号），bureau 不能有；"
	    "scope 与 label 为不超过 256 字节、无控制字符的文本 / kind must be "
	    "bureau, unit or centre; unit and centre need a scope (the unit's "
	    "name, the centre's id), bureau has none; scope and label are "
	    "text of at most 256 bytes without control characters");
	return false;
}

/* The base of feed links: public_url, else http:// and listen. */
static char *
link_base(struct ticd *t)
{
	const char	*u = t->conf.public_url;
	size_t		 n = strlen(u);

	if (n == 0)
		return xasprintf("http://%s", t->conf.listen);
	while (n > 0 && u[n - 1] == '/')
		n--;
	return xstrndup(u, n);
}

/* A feed's link: what its subscribers are given. */
static char *
feed_link(struct ticd *t, const char *secret)
{
	char	*base = link_base(t), *url;

	url = xasprintf("%s/feeds/%s.ics", base, secret);
	free(base);
	return url;
}

/*
 * A feed token made and stored (row filled in, its id set); its secret,
 * which only the caller ever sees, or NULL with *error.
 */
static char *
feed_token_make(struct ticd *t, enum cal_scope kind, const char *scope,
    const char *label, struct db_feed_token *row, char **error)
{
	char	*secret = auth_new_secret(FEEDTOK_PREFIX), *hash;

	if ((hash = auth_hash_secret(secret)) == NULL) {
		*error = xstrdup("SHA-256 failed");
		free(secret);
		return NULL;
	}
	row->hash = hash;
	row->kind = feedtok_kind_name(kind);
	row->scope = scope;
	row->label = label;
	row->created_at = state_timestamp();
	if (db_feed_token_insert(t->db, row, error) == -1) {
		free(secret);
		secret = NULL;
	}
	return secret;
}

static void
feed_row_free(struct db_feed_token *row)
{
	free((char *)row->hash);
	free((char *)row->created_at);
}

static void
reply_created(struct ticd *t, struct evhttp_request *req, long long id,
    const char *secret, enum cal_scope kind, const char *scope,
    const char *label, const char *created_at)
{
	char	*url = feed_link(t, secret), *webcal;

	/* webcal:// is what calendar applications register for: the same
	 * URL with its scheme replaced.  Clients read webcal:// as http://
	 * (Thunderbird's calendar does): behind https it is webcals://, or
	 * the secret in the link would cross the network in clear. */
	webcal = xasprintf("%s://%s", strncmp(url, "https:", 6) == 0 ?
	    "webcals" : "webcal", strstr(url, "://") + 3);
	http_reply_json(t, req, 201, state_scope_warned(t,
	    feedtok_kind_name(kind), scope, json_pack("{s:I, s:s, s:s, s:o, "
	    "s:s, s:s, s:s, s:s}", "id", (json_int_t)id, "token", secret,
	    "kind", feedtok_kind_name(kind), "scope", scope ?
	    json_string(scope) : json_null(), "label", label, "created_at",
	    created_at, "url", url, "webcal", webcal)));
	free(url);
	free(webcal);
}

void
feedtok_api_create(struct ticd *t, struct evhttp_request *req,
    const struct token *tok, json_t *body)
{
	struct db_feed_token	 row = { 0 };
	enum cal_scope		 kind;
	const char		*scope, *label;
	char			*secret, *error = NULL;
	int			 status;

	if (!parse_new(t, req, body, &kind, &scope, &label))
		return;
	if (kind == CAL_SCOPE_BUREAU)
		scope = NULL;
	if ((status = feedtok_scope_check(t, tok, kind, scope)) != 0) {
		feedtok_reply_refused(t, req, status);
		return;
	}
	if (feeds_of_scope(t, kind, scope) >= FEEDS_PER_SCOPE) {
		http_reply_error(t, req, 409, "conflict", "这个范围已有 "
		    FEEDS_PER_SCOPE_S " 个有效的日历订阅：请先吊销不用的（ticctl "
		    "feeds revoke）/ this scope has " FEEDS_PER_SCOPE_S " feeds "
		    "in force: revoke unused ones first (ticctl feeds revoke)");
		return;
	}
	/* A unit's feed of one of its centres is the unit's: kept with it,
	 * so that it stops if the centre goes to another unit. */
	if (tok->role == ROLE_UNIT && kind == CAL_SCOPE_CENTRE)
		row.unit = tok->scope;
	if ((secret = feed_token_make(t, kind, scope, label, &row,
	    &error)) == NULL) {
		http_reply_unavailable(t, req, error);
	} else {
		remember(t->feeds, row.hash, row.id, kind, scope, row.unit);
		log_info("feed token %lld created (%s%s%s)", row.id, row.kind,
		    scope ? " " : "", scope ? scope : "");
		reply_created(t, req, row.id, secret, kind, scope, label,
		    row.created_at);
	}
	feed_row_free(&row);
	free(secret);
}

/*
 * A bureau feed made without the API, as ticd -T makes a token: make run
 * prints its link, and a first set-up has one before any token exists.
 * The daemon reads it from the store at its next start (or SIGHUP).
 */
char *
feedtok_create_bureau(struct ticd *t, const char *label, char **error)
{
	struct db_feed_token	 row = { 0 };
	char			*secret, *url = NULL;

	if ((secret = feed_token_make(t, CAL_SCOPE_BUREAU, NULL, label, &row,
	    error)) != NULL)
		url = feed_link(t, secret);
	feed_row_free(&row);
	free(secret);
	return url;
}

struct finding {
	long long	 id;
	char		*kind;
	char		*scope;
	char		*unit;
	bool		 found;
	bool		 revoked;
};

static int
find_cb(const struct db_feed_token *row, void *arg)
{
	struct finding	*fd = arg;

	if (row->id != fd->id)
		return 0;
	fd->found = true;
	fd->revoked = row->revoked_at != NULL;
	fd->kind = xstrdup(row->kind);
	fd->scope = row->scope ? xstrdup(row->scope) : NULL;
	fd->unit = row->unit ? xstrdup(row->unit) : NULL;
	return -1;
}

static void
forget(struct feeds *f, long long id)
{
	const char	*hash;
	json_t		*v;

	json_object_foreach(f->tok_index, hash, v) {
		if (f->toks[json_integer_value(v)]->id == id) {
			f->toks[json_integer_value(v)]->revoked = true;
			json_object_del(f->tok_index, hash);
			break;
		}
	}
}

/* Whether the token sees the feed token of a listing row, as found. */
static bool
found_visible(struct ticd *t, const struct token *tok,
    const struct finding *fd)
{
	struct db_feed_token	 row = { 0 };

	row.kind = fd->kind;
	row.scope = fd->scope;
	row.unit = fd->unit;
	return fd->found && !fd->revoked && row_visible(t, tok, &row);
}

void
feedtok_api_revoke(struct ticd *t, struct evhttp_request *req,
    const struct token *tok, const char *sid)
{
	struct finding	 fd = { 0 };
	char		*end, *error = NULL, *when;
	int		 rc;

	errno = 0;
	fd.id = strtoll(sid, &end, 10);
	if (errno != 0 || end == sid || *end != '\0' || fd.id <= 0) {
		http_reply_error(t, req, 404, "not_found", HTTP_NOT_FOUND);
		return;
	}
	if (db_foreach_feed_token(t->db, find_cb, &fd, &error) == -1) {
		http_reply_unavailable(t, req, error);
		goto out;
	}
	/* Revoked, unknown or out of sight: all the same to the caller. */
	if (!found_visible(t, tok, &fd)) {
		http_reply_error(t, req, 404, "not_found", HTTP_NOT_FOUND);
		goto out;
	}
	when = state_timestamp();
	rc = db_feed_token_revoke(t->db, fd.id, when, &error);
	if (rc == -1) {
		http_reply_unavailable(t, req, error);
	} else if (rc == 1)
		http_reply_error(t, req, 404, "not_found", HTTP_NOT_FOUND);
	else {
		forget(t->feeds, fd.id);
		log_info("feed token %lld revoked", fd.id);
		http_reply_json(t, req, 200, json_pack("{s:I, s:s}", "id",
		    (json_int_t)fd.id, "revoked_at", when));
	}
	free(when);
out:
	free(fd.kind);
	free(fd.scope);
	free(fd.unit);
}
