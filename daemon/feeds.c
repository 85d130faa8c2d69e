/*
 * feeds.c: the calendar feeds ticd serves: GET /feeds/TOKEN.ics (the
 * token decides the scope) and GET /api/v1/feed (an API token's scope).
 *
 * A feed is rendered once per change and then served from memory: each
 * reply references the rendered bytes (evbuffer_add_reference) and holds
 * one count of them, so a thousand clients cost no copy, and a render
 * replaced while replies are still being written lives until the last of
 * them is done.
 *
 * What a change is: the journal, the day or the configuration changes
 * the plan's inputs (feeds_invalidate, feeds_revised, feeds_reload).
 * The next fetch brings every obligation's revision up to date
 * (feedrev.c: SEQUENCE rises where the fingerprint changed), stores the
 * changed ones, and drops only the renders that show a changed
 * obligation: an event about one centre re-renders the bureau's feed,
 * its unit's and its own, and leaves every other centre's bytes, ETag
 * and Last-Modified as they were.  A new day drops them all, once.
 *
 * Dates: every change is dated with the revision time, when the plan's
 * inputs last changed (a commit, a reload, the start, or 00:00 of a new
 * day), not with the moment of the fetch that noticed it, and the dates
 * and SEQUENCEs are kept in the store.  So the same journal on the same
 * day gives the same bytes, however often the feed is fetched and across
 * restarts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>

#include "common/common.h"
#include "daemon/feed-int.h"
#include "daemon/log.h"

#define FEED_HORIZON_DAYS	400	/* yearly duties, as the API's plan */
/* A client may reuse a reply for five minutes without asking: short, as
 * a revoked token should stop working soon even for a client's cache. */
#define FEED_CACHE_CONTROL	"private, max-age=300"
#define FEED_FLUSH_SECONDS	60	/* last uses reach the store so often */
/* Scopes and variants kept rendered.  Feed tokens bound them; only the
 * bureau's API token could ask for endless unit names, which past this
 * are rendered for the one reply and not kept. */
#define FEED_MAX_SLOTS		4096
#define FEED_MAX_SCOPE		256	/* bytes of a unit or centre asked */

/* ---- renders ---- */

static void
render_unref(struct feed_render *r)
{
	if (r == NULL || --r->refs > 0)
		return;
	free(r->bytes);
	free(r);
}

/* evbuffer's cleanup: the reply that referenced the bytes is written
 * (or its connection gone). */
static void
render_unref_cb(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	render_unref(arg);
}

/* A strong ETag: the first 128 bits of the bytes' SHA-256, quoted. */
static int
etag_of(const char *bytes, size_t len, char out[36])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;

	if (EVP_Digest(bytes, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen < 16)
		return -1;
	out[0] = '"';
	for (i = 0; i < 16; i++)
		snprintf(out + 1 + i * 2, 3, "%02x", md[i]);
	out[33] = '"';
	out[34] = '\0';
	return 0;
}

/* Seconds on clock since *a. */
static double
seconds_since(clockid_t clock, const struct timespec *a)
{
	struct timespec	 b;

	clock_gettime(clock, &b);
	return (double)(b.tv_sec - a->tv_sec) +
	    (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

struct revision_arg {
	const struct feeds	*f;
	time_t			 newest;
};

/* SEQUENCE, DTSTAMP and LAST-MODIFIED of one obligation, from its row. */
static void
revision_cb(const struct sched_obligation *o, struct cal_revision *rev,
    void *arg)
{
	struct revision_arg		*ra = arg;
	const struct feedrev_row	*row;

	if ((row = feedrev_find(&ra->f->revs, o->key)) != NULL) {
		rev->sequence = row->sequence;
		rev->modified = row->modified;
	}
	if (rev->modified > ra->newest)
		ra->newest = rev->modified;
}

static const char *
centre_name(const struct sched_plan *plan, const char *id)
{
	size_t	 i;

	for (i = 0; id != NULL && i < plan->ncentres; i++) {
		if (strcmp(plan->centres[i].id, id) == 0)
			return plan->centres[i].name;
	}
	return NULL;
}

/*
 * Last-Modified: the newest change the feed shows, and never before the
 * day's start (retention and alarms follow the day) or this process's
 * start (what happened while it was down is not known).  Bytes that
 * changed with no newer obligation (one left the feed, or the
 * configuration changed) are dated later than the previous render, so
 * that If-Modified-Since never answers 304 to bytes a client lacks.
 */
static void
last_modified(const struct feeds *f, const struct feed_slot *s,
    struct feed_render *r, time_t newest)
{
	time_t	 lm = newest, now = time(NULL);

	if (lm < cal_day_start(f->plan->as_of))
		lm = cal_day_start(f->plan->as_of);
	if (lm < f->started)
		lm = f->started;
	if (s->last_etag[0] != '\0') {
		if (strcmp(s->last_etag, r->etag) == 0) {
			r->modified = s->last_modified;
			r->same_second = s->same_second;
			return;
		}
		if (lm <= s->last_modified)
			lm = f->revision > s->last_modified ? f->revision :
			    s->last_modified + 1;
	}
	/* Never later than the Date header.  Two versions within one
	 * second then share a date, which a client's If-Modified-Since
	 * cannot tell apart: that date proves nothing (below). */
	if (lm > now)
		lm = now;
	r->modified = lm;
	r->same_second = s->last_etag[0] != '\0' && lm <= s->last_modified;
}

/* Renders a slot's feed from the current plan; NULL if libical failed. */
static struct feed_render *
render(struct ticd *t, const struct feed_slot *s)
{
	struct feeds		*f = t->feeds;
	struct cal_feed_options	 opts;
	struct revision_arg	 ra = { f, 0 };
	struct feed_render	*r;
	struct timespec		 start, cpu;

	/* Wall time and this thread's CPU time: on a shared machine the
	 * first includes waiting for a core, the second is the work. */
	clock_gettime(CLOCK_MONOTONIC, &start);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	cal_feed_options_init(&opts, f->plan->as_of);
	opts.scope = s->kind;
	opts.scope_id = s->id;
	if (s->kind == CAL_SCOPE_CENTRE)
		opts.scope_name = centre_name(f->plan, s->id);
	opts.retention_days = t->conf.feed_retention;
	opts.alarms = s->alarms;
	opts.todo = s->todo;
	opts.public_url = t->conf.public_url;
	opts.revision = f->revision;
	opts.revision_cb = revision_cb;
	opts.revision_arg = &ra;
	r = xcalloc(1, sizeof(*r));
	r->refs = 1;
	r->bytes = cal_render_feed(f->plan, t->rules, &opts, NULL, NULL,
	    &r->len);
	if (r->bytes == NULL || etag_of(r->bytes, r->len, r->etag) == -1) {
		log_warnx("rendering a %s feed failed",
		    feedtok_kind_name(s->kind));
		render_unref(r);
		return NULL;
	}
	last_modified(f, s, r, ra.newest);
	cond_date_format(r->modified, r->date);
	f->renders++;
	f->render_seconds = seconds_since(CLOCK_MONOTONIC, &start);
	f->render_cpu_seconds = seconds_since(CLOCK_THREAD_CPUTIME_ID, &cpu);
	log_debug("rendered a %s feed%s%s%s: %zu bytes in %.1f ms",
	    feedtok_kind_name(s->kind), s->id ? " (" : "", s->id ? s->id : "",
	    s->id ? ")" : "", r->len, f->render_seconds * 1e3);
	return r;
}

/* ---- slots ---- */

static void
slot_drop(struct feed_slot *s)
{
	render_unref(s->render);
	s->render = NULL;
}

static void
drop_all(struct feeds *f)
{
	size_t	 i;

	for (i = 0; i < f->nslots; i++)
		slot_drop(f->slots[i]);
}

static char *
slot_key(enum cal_scope kind, const char *id, bool alarms, bool todo)
{
	return xasprintf("%d%d%d/%s", (int)kind, alarms, todo,
	    id != NULL ? id : "");
}

/* The slot of a scope and variant, made on first use; NULL when there
 * are FEED_MAX_SLOTS already.  id must be UTF-8 (a JSON key). */
static struct feed_slot *
slot_get(struct feeds *f, enum cal_scope kind, const char *id, bool alarms,
    bool todo)
{
	struct feed_slot	*s;
	char			*key = slot_key(kind, id, alarms, todo);
	json_t			*v = json_object_get(f->slot_index, key);

	if (v != NULL) {
		free(key);
		return f->slots[json_integer_value(v)];
	}
	if (f->nslots >= FEED_MAX_SLOTS) {
		free(key);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->kind = kind;
	s->id = id != NULL ? xstrdup(id) : NULL;
	s->alarms = alarms;
	s->todo = todo;
	f->slots = xreallocarray(f->slots, f->nslots + 1, sizeof(*f->slots));
	f->slots[f->nslots] = s;
	json_object_set_new(f->slot_index, key,
	    json_integer((json_int_t)f->nslots++));
	free(key);
	return s;
}

/* What changed, by scope, to drop only the renders that show it. */
struct touched {
	json_t	*centres;
	json_t	*units;
	bool	 any;
	bool	 all_units;	/* a bureau-wide duty of units changed */
	bool	 everything;	/* an obligation left: its scope is gone */
};

static void
touched_add(struct touched *tc, const struct sched_rules *rules,
    const struct feedrev_change *c)
{
	tc->any = true;
	if (c->o == NULL)
		tc->everything = true;
	else if (c->o->centre == NULL)
		tc->all_units |= (rules->text[c->o->rule].to &
		    SCHED_TO_UNIT) != 0;
	else {
		json_object_set_new(tc->centres, c->o->centre, json_true());
		if (c->o->unit != NULL)
			json_object_set_new(tc->units, c->o->unit,
			    json_true());
	}
}

static bool
slot_touched(const struct feed_slot *s, const struct touched *tc)
{
	switch (s->kind) {
	case CAL_SCOPE_BUREAU:
		return tc->any;
	case CAL_SCOPE_UNIT:
		return tc->everything || tc->all_units ||
		    json_object_get(tc->units, s->id) != NULL;
	case CAL_SCOPE_CENTRE:
		return tc->everything ||
		    json_object_get(tc->centres, s->id) != NULL;
	}
	return true;
}

static void
drop_touched(struct ticd *t, const struct feedrev_change *changes, size_t n)
{
	struct feeds	*f = t->feeds;
	struct touched	 tc = { json_object(), json_object(), false, false,
			    false };
	size_t		 i;

	for (i = 0; i < n; i++)
		touched_add(&tc, t->rules, &changes[i]);
	/* A centre moved to another unit (its registration retracted and
	 * made again) leaves the old unit's feed too: the unit it had in the
	 * plan being replaced is touched as well. */
	for (i = 0; f->plan != NULL && json_object_size(tc.centres) > 0 &&
	    i < f->plan->ncentres; i++) {
		if (f->plan->centres[i].unit != NULL &&
		    json_object_get(tc.centres, f->plan->centres[i].id) != NULL)
			json_object_set_new(tc.units, f->plan->centres[i].unit,
			    json_true());
	}
	for (i = 0; i < f->nslots; i++) {
		if (slot_touched(f->slots[i], &tc))
			slot_drop(f->slots[i]);
	}
	json_decref(tc.centres);
	json_decref(tc.units);
}

/* ---- bringing the revisions up to the journal ---- */

static void
store_changes(struct ticd *t, const struct feedrev_change *changes,
    size_t n)
{
	struct db_feed_revision	*rows = xcalloc(n + 1, sizeof(*rows));
	const struct feedrev_row *r;
	char			*error = NULL;
	size_t			 i;

	for (i = 0; i < n; i++) {
		r = feedrev_find(&t->feeds->revs, changes[i].key);
		rows[i].key = r->key;
		rows[i].fingerprint = r->fp;
		rows[i].sequence = r->sequence;
		rows[i].modified = (long long)r->modified;
	}
	/* Memory is ahead of a store that failed: a restart finds the same
	 * changes again and raises SEQUENCE from the stored one, so a
	 * client never sees it go back. */
	if (db_feed_revisions_put(t->db, rows, n, &error) == -1) {
		log_warnx("storing %zu feed revision(s) failed: %s", n, error);
		free(error);
	}
	free(rows);
}

/* Makes the plan feeds are rendered from, if its inputs changed. */
static void
feeds_update(struct ticd *t)
{
	struct feeds		*f = t->feeds;
	struct sched_plan	*plan;
	struct feedrev_change	*changes;
	struct timespec		 start;
	size_t			 n;

	if (!f->stale && f->plan != NULL)
		return;
	load_finish(t);		/* feeds show the whole journal's plan */
	/* Only committed events: those still queued are committed now,
	 * rather than shown and then maybe taken back. */
	if (t->npending > 0)
		state_commit_cb(-1, 0, t);
	clock_gettime(CLOCK_MONOTONIC, &start);
	plan = sched_plan(t->journal, t->cal, t->rules, t->today,
	    t->today + FEED_HORIZON_DAYS, SCHED_PLAN_EXPLAIN);
	/* What changed with the day is dated at its start (and nothing
	 * noticed today is dated earlier, even if ticd has run since
	 * yesterday without a fetch). */
	if (f->revision < cal_day_start(plan->as_of))
		f->revision = cal_day_start(plan->as_of);
	if (f->plan != NULL && f->plan->as_of != plan->as_of)
		drop_all(f);
	n = feedrev_update(&f->revs, plan, t->rules, f->revision, &changes);
	if (n > 0) {
		store_changes(t, changes, n);
		drop_touched(t, changes, n);
	}
	free(changes);
	sched_plan_free(f->plan);
	f->plan = plan;
	f->stale = false;
	f->syncs++;
	f->sync_seconds = seconds_since(CLOCK_MONOTONIC, &start);
	log_debug("feeds: %zu obligation(s) changed, %zu in the plan", n,
	    plan->count);
}

/* ---- serving ---- */

static void
add_header(struct evhttp_request *req, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), name, value);
}

/* Replies with a render: 304 when the client has these bytes, else the
 * bytes by reference. */
static void
reply_render(struct ticd *t, struct evhttp_request *req,
    struct feed_render *r)
{
	struct evkeyvalq	*in = evhttp_request_get_input_headers(req);
	struct evbuffer		*body;

	add_header(req, "Content-Type", "text/calendar; charset=utf-8");
	add_header(req, "ETag", r->etag);
	add_header(req, "Last-Modified", r->date);
	add_header(req, "Cache-Control", FEED_CACHE_CONTROL);
	add_header(req, "X-Content-Type-Options", "nosniff");
	/* A date shared with an earlier version is "not modified" only for a
	 * client whose date is later. */
	if (cond_not_modified(evhttp_find_header(in, "If-None-Match"),
	    evhttp_find_header(in, "If-Modified-Since"), r->etag,
	    r->modified + (r->same_second ? 1 : 0), time(NULL))) {
		t->metrics.requests[3]++;
		evhttp_send_reply(req, 304, "Not Modified", NULL);
		return;
	}
	/* By reference: the render's bytes are never copied; http_send
	 * moves the reference into the reply (or, for HEAD, only counts
	 * it). */
	if ((body = evbuffer_new()) == NULL) {
		http_reply_error(t, req, 503, "unavailable", "内存不足 / out of "
		    "memory");
		return;
	}
	r->refs++;
	if (evbuffer_add_reference(body, r->bytes, r->len, render_unref_cb,
	    r) == -1) {
		r->refs--;
		evbuffer_free(body);
		http_reply_error(t, req, 503, "unavailable", "内存不足 / out of "
		    "memory");
		return;
	}
	t->metrics.requests[2]++;
	http_send(req, 200, body);
	evbuffer_free(body);
}

static void
serve(struct ticd *t, struct evhttp_request *req, enum cal_scope kind,
    const char *id, bool alarms, bool todo)
{
	struct feeds		*f = t->feeds;
	struct feed_slot	*s, once;
	struct feed_render	*r;

	feeds_update(t);
	if ((s = slot_get(f, kind, id, alarms, todo)) == NULL) {
		/* Past the cap: rendered for this reply alone. */
		memset(&once, 0, sizeof(once));
		once.kind = kind;
		once.id = (char *)id;
		once.alarms = alarms;
		once.todo = todo;
		s = &once;
	}
	if (s->render == NULL && (s->render = render(t, s)) != NULL) {
		memcpy(s->last_etag, s->render->etag, sizeof(s->last_etag));
		s->last_modified = s->render->modified;
		s->same_second = s->render->same_second;
	}
	if ((r = s->render) == NULL) {
		http_reply_error(t, req, 503, "unavailable", "无法生成日历 / the "
		    "feed could not be built");
		return;
	}
	reply_render(t, req, r);
	if (s == &once)
		render_unref(r);
}

/* A variant flag of the query: absent, 0, 1, false, true, no, yes. */
static bool
variant(const struct evkeyvalq *query, const char *name, bool *on)
{
	const char	*v = evhttp_find_header(query, name);

	*on = false;
	if (v == NULL || *v == '\0' || strcmp(v, "0") == 0 ||
	    strcmp(v, "false") == 0 || strcmp(v, "no") == 0)
		return true;
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "yes") == 0) {
		*on = true;
		return true;
	}
	return false;
}

static bool
variants(struct ticd *t, struct evhttp_request *req,
    const struct evkeyvalq *query, bool bad_query, bool *alarms, bool *todo)
{
	if (!bad_query && variant(query, "alarms", alarms) &&
	    variant(query, "todo", todo))
		return true;
	http_reply_error(t, req, 400, "bad_request", "参数 alarms、todo 应为 "
	    "1/0、true/false 或 yes/no / the parameters alarms and todo must be "
	    "1 or 0 (true/false, yes/no)");
	return false;
}

void
feeds_get_token(struct ticd *t, struct evhttp_request *req,
    const char *segment, const struct evkeyvalq *query, bool bad_query)
{
	struct feed_token	*tok;
	char			 secret[FEEDTOK_LEN + 1];
	size_t			 n = strlen(segment);
	bool			 alarms, todo;

	/* Nothing tells an unknown or revoked token from a missing page. */
	if (n != FEEDTOK_LEN + 4 || strcmp(segment + FEEDTOK_LEN, ".ics") != 0) {
		http_reply_error(t, req, 404, "not_found", HTTP_NOT_FOUND);
		return;
	}
	memcpy(secret, segment, FEEDTOK_LEN);
	secret[FEEDTOK_LEN] = '\0';
	if ((tok = feedtok_lookup(t, secret)) == NULL) {
		http_reply_error(t, req, 404, "not_found", HTTP_NOT_FOUND);
		return;
	}
	/* A refused query is not a use: bad input changes nothing. */
	if (variants(t, req, query, bad_query, &alarms, &todo)) {
		feedtok_used(tok);
		serve(t, req, tok->kind, tok->scope, alarms, todo);
	}
}

/* A scope named in a query: bounded UTF-8. */
static bool
good_scope(const char *s)
{
	json_t	*j;

	if (strlen(s) == 0 || strlen(s) > FEED_MAX_SCOPE ||
	    (j = json_string(s)) == NULL)
		return false;
	json_decref(j);
	return true;
}

void
feeds_get_api(struct ticd *t, struct evhttp_request *req,
    const struct token *tok, const struct evkeyvalq *query)
{
	const char	*unit = evhttp_find_header(query, "unit");
	const char	*centre = evhttp_find_header(query, "centre");
	const char	*id = tok->scope;
	enum cal_scope	 kind = CAL_SCOPE_BUREAU;
	bool		 alarms, todo, bureau;
	int		 status;

	if (!variant(query, "bureau", &bureau) ||
	    bureau + (unit != NULL) + (centre != NULL) > 1 ||
	    (unit != NULL && !good_scope(unit)) ||
	    (centre != NULL && !good_scope(centre))) {
		http_reply_error(t, req, 400, "bad_request", "bureau=1、unit、"
		    "centre 至多给一个，且不能为空 / give at most one of bureau=1, "
		    "unit and centre, not empty");
		return;
	}
	if (!variants(t, req, query, false, &alarms, &todo))
		return;
	if (bureau)
		id = NULL;
	else if (unit != NULL) {
		kind = CAL_SCOPE_UNIT;
		id = unit;
	} else if (centre != NULL) {
		kind = CAL_SCOPE_CENTRE;
		id = centre;
	} else if (tok->role == ROLE_UNIT)
		kind = CAL_SCOPE_UNIT;		/* the token's own scope */
	else if (tok->role == ROLE_CENTRE)
		kind = CAL_SCOPE_CENTRE;
	if ((status = feedtok_scope_check(t, tok, kind, id)) != 0)
		feedtok_reply_refused(t, req, status);
	else
		serve(t, req, kind, kind == CAL_SCOPE_BUREAU ? NULL : id, alarms,
		    todo);
}

/* ---- the daemon's side ---- */

static int
load_revision_cb(const struct db_feed_revision *row, void *arg)
{
	feedrev_load(arg, row->key, row->fingerprint, row->sequence,
	    (time_t)row->modified);
	return 0;
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	feedtok_flush(arg);
}

void
feeds_start(struct ticd *t)
{
	struct feeds	*f = xcalloc(1, sizeof(*f));
	struct timeval	 tv = { FEED_FLUSH_SECONDS, 0 };
	char		*error = NULL;

	t->feeds = f;
	feedrev_init(&f->revs);
	f->slot_index = json_object();
	if (db_foreach_feed_revision(t->db, load_revision_cb, &f->revs,
	    &error) == -1 || feedtok_load(t, &error) == -1)
		fatalx("%s: %s", t->conf.database, error);
	feedrev_sort(&f->revs);
	f->started = f->revision = time(NULL);
	f->stale = true;
	event_assign(&f->flush_ev, t->base, -1, EV_PERSIST, flush_cb, t);
	evtimer_add(&f->flush_ev, &tv);
}

void
feeds_stop(struct ticd *t)
{
	struct feeds	*f = t->feeds;
	size_t		 i;

	if (f == NULL)
		return;
	event_del(&f->flush_ev);
	feedtok_flush(t);
	for (i = 0; i < f->nslots; i++) {
		slot_drop(f->slots[i]);
		free(f->slots[i]->id);
		free(f->slots[i]);
	}
	free(f->slots);
	json_decref(f->slot_index);
	feedtok_clear(f);
	feedrev_clear(&f->revs);
	sched_plan_free(f->plan);
	free(f);
	t->feeds = NULL;
}

void
feeds_invalidate(struct ticd *t)
{
	if (t->feeds != NULL)
		t->feeds->stale = true;
}

void
feeds_revised(struct ticd *t, time_t when)
{
	if (t->feeds == NULL)
		return;
	if (when > t->feeds->revision)
		t->feeds->revision = when;
	t->feeds->stale = true;
}

void
feeds_reload(struct ticd *t)
{
	char	*error = NULL;

	if (t->feeds == NULL)
		return;
	/* The rule pack's words, public_url and retention are in every
	 * feed: all are rendered again; SEQUENCE rises where a word of an
	 * obligation changed. */
	feeds_revised(t, time(NULL));
	drop_all(t->feeds);
	if (feedtok_load(t, &error) == -1) {
		log_warnx("reloading feed tokens: %s", error);
		free(error);
	}
}

void
feeds_metrics(struct ticd *t, struct evbuffer *buf)
{
	struct feeds	*f = t->feeds;
	size_t		 i, bytes = 0;

	for (i = 0; i < f->nslots; i++)
		bytes += f->slots[i]->render ? f->slots[i]->render->len : 0;
	evbuffer_add_printf(buf, "# HELP ticd_feed_tokens Valid feed tokens.\n"
	    "# TYPE ticd_feed_tokens gauge\nticd_feed_tokens %zu\n",
	    (size_t)json_object_size(f->tok_index));
	evbuffer_add_printf(buf, "# HELP ticd_feed_renders_total Feeds "
	    "rendered.\n# TYPE ticd_feed_renders_total counter\n"
	    "ticd_feed_renders_total %llu\n", f->renders);
	evbuffer_add_printf(buf, "# HELP ticd_feed_render_seconds Duration of "
	    "the last render.\n# TYPE ticd_feed_render_seconds gauge\n"
	    "ticd_feed_render_seconds %.6f\n", f->render_seconds);
	evbuffer_add_printf(buf, "# HELP ticd_feed_render_cpu_seconds CPU time "
	    "of the last render.\n# TYPE ticd_feed_render_cpu_seconds gauge\n"
	    "ticd_feed_render_cpu_seconds %.6f\n", f->render_cpu_seconds);
	evbuffer_add_printf(buf, "# HELP ticd_feed_updates_total Revisions "
	    "brought up to the journal.\n# TYPE ticd_feed_updates_total "
	    "counter\nticd_feed_updates_total %llu\n", f->syncs);
	evbuffer_add_printf(buf, "# HELP ticd_feed_update_seconds Duration of "
	    "the last (plan and fingerprints).\n# TYPE "
	    "ticd_feed_update_seconds gauge\nticd_feed_update_seconds %.6f\n",
	    f->sync_seconds);
	evbuffer_add_printf(buf, "# HELP ticd_feed_cached_bytes Bytes of "
	    "rendered feeds kept.\n# TYPE ticd_feed_cached_bytes gauge\n"
	    "ticd_feed_cached_bytes %zu\n", bytes);
}
