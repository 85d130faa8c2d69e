/*
 * api.c: the HTTP API (docs/api.md): /healthz, /metrics and /api/v1, the
 * routes of the calendar feeds (feeds.c, feedtok.c) and the page each feed
 * entry links to (/obligations/KEY).
 *
 * Each handler checks the token's scope before anything else it reveals:
 * what the token may not see answers 404 exactly like what does not
 * exist; what it sees but may not do answers 403.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/common.h"
#include "daemon/api-int.h"
#include "daemon/log.h"
#include "notify/notify.h"

#define NOT_FOUND	HTTP_NOT_FOUND

/* ---- helpers ---- */

void
api_not_found(struct call *c)
{
	http_reply_error(c->t, c->req, 404, "not_found", NOT_FOUND);
}

void
api_forbidden(struct call *c, const char *why)
{
	http_reply_error(c->t, c->req, 403, "forbidden", why);
}

void
api_bad_request(struct call *c, const char *why)
{
	http_reply_error(c->t, c->req, 400, "bad_request", why);
}

static void
method_not_allowed(struct call *c, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Allow",
	    allow);
	http_reply_error(c->t, c->req, 405, "method_not_allowed",
	    "不支持此方法 / method not allowed");
}

static bool
authenticate(struct call *c)
{
	const char	*h;

	h = evhttp_find_header(evhttp_request_get_input_headers(c->req),
	    "Authorization");
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0)
		c->tok = auth_lookup(c->t, h + 7);
	if (c->tok == NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(c->req),
		    "WWW-Authenticate", "Bearer realm=\"ticd\"");
		http_reply_error(c->t, c->req, 401, "unauthorized",
		    "缺少或无效的令牌 / missing or invalid bearer token");
		return false;
	}
	return true;
}

/* The request body as JSON; on failure replies and returns NULL. */
static json_t *
read_body(struct call *c)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(c->req);
	size_t		 len = evbuffer_get_length(in);
	json_error_t	 jerr;
	json_t		*obj;
	char		*why;

	if (len == 0) {
		api_bad_request(c, "请求体为空 / the body is empty");
		return NULL;
	}
	obj = json_loadb((const char *)evbuffer_pullup(in, -1), len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		why = xasprintf("请求体不是有效的 JSON / the body is not valid "
		    "JSON: %s (line %d, column %d)", jerr.text, jerr.line,
		    jerr.column);
		api_bad_request(c, why);
		free(why);
	}
	return obj;
}

/*
 * The body of a request that creates a token, contact, webhook or feed:
 * a JSON object of text fields, each of them one of "fields" (NULL
 * ended).  A field the endpoint does not take (a typo such as "lable")
 * or one that is not text (a label of 5) is refused naming it, rather
 * than dropped: the caller would otherwise get a 201 without what it
 * meant to set.  null stands for a field not given.  On failure replies
 * 400 and returns NULL.
 */
json_t *
api_read_fields(struct call *c, const char *const *fields)
{
	json_t		*obj, *v;
	const char	*key;
	char		*why = NULL;
	struct buf	 known;
	size_t		 i;

	if ((obj = read_body(c)) == NULL)
		return NULL;
	if (!json_is_object(obj)) {
		api_bad_request(c, "应为一个 JSON 对象 / a JSON object is expected");
		json_decref(obj);
		return NULL;
	}
	json_object_foreach(obj, key, v) {
		for (i = 0; fields[i] != NULL; i++)
			if (strcmp(fields[i], key) == 0)
				break;
		if (fields[i] == NULL) {
			buf_init(&known);
			for (i = 0; fields[i] != NULL; i++) {
				buf_adds(&known, i > 0 ? ", " : "");
				buf_adds(&known, fields[i]);
			}
			buf_add(&known, "", 1);
			why = xasprintf("未知字段 \"%s\" / unknown field \"%s\" "
			    "(%s)", key, key, known.data);
			buf_free(&known);
			break;
		}
		if (!json_is_string(v) && !json_is_null(v)) {
			why = xasprintf("字段 \"%s\" 应为字符串 / field \"%s\" "
			    "must be a string", key, key);
			break;
		}
	}
	if (why == NULL)
		return obj;
	api_bad_request(c, why);
	free(why);
	json_decref(obj);
	return NULL;
}

/*
 * The query of a list that filters: every parameter one the endpoint
 * takes, each given once unless it is the repeatable one (NULL: none).
 * A misspelt filter (?status=overdue) was ignored, and the whole list
 * came back as if filtered; a second ?centre= was dropped.  Lists
 * without filters ignore their query, as the feeds do (calendar clients
 * add their own parameters).  Replies 400 and returns false otherwise.
 */
static bool
query_known(struct call *c, const char *const *names, const char *repeatable)
{
	struct evkeyval	*kv, *other;
	char		*why = NULL;
	size_t		 i;

	TAILQ_FOREACH(kv, &c->query, next) {
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(names[i], kv->key) == 0)
				break;
		if (names[i] == NULL) {
			why = xasprintf("未知参数 %s / unknown parameter %s",
			    kv->key, kv->key);
			break;
		}
		if (repeatable != NULL && strcmp(kv->key, repeatable) == 0)
			continue;
		for (other = TAILQ_NEXT(kv, next); other != NULL &&
		    strcmp(other->key, kv->key) != 0;
		    other = TAILQ_NEXT(other, next))
			;
		if (other != NULL) {
			why = xasprintf("参数 %s 只能给一次 / parameter %s is "
			    "given more than once", kv->key, kv->key);
			break;
		}
	}
	if (why == NULL)
		return true;
	api_bad_request(c, why);
	free(why);
	return false;
}

static const char *
query(struct call *c, const char *name)
{
	return evhttp_find_header(&c->query, name);
}

/* A date parameter: absent is fine, malformed answers 400. */
static bool
query_day(struct call *c, const char *name, int *day)
{
	const char	*v = query(c, name);
	char		*why;

	*day = SCHED_NO_DAY;
	if (v == NULL || sched_date_parse(v, day) == 0)
		return true;
	why = xasprintf("参数 %s 应为 YYYY-MM-DD 格式的真实日期 / parameter %s "
	    "must be a real day written YYYY-MM-DD", name, name);
	api_bad_request(c, why);
	free(why);
	return false;
}

static json_t *
date_or_null(int day)
{
	char	 d[SCHED_DATE_LEN];

	return day == SCHED_NO_DAY ? json_null() :
	    json_string(sched_date_format(day, d));
}

static json_t *
centre_json(const struct sched_centre *sc)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:b, s:o}",
	    "id", sc->id, "name", sc->name, "unit", sc->unit,
	    "state", sched_centre_state_name(sc->state),
	    "state_cn", sched_centre_state_cn(sc->state),
	    "since", date_or_null(sc->since),
	    "registered", date_or_null(sc->registered),
	    "legacy", sc->legacy, "ban_until", date_or_null(sc->ban_until));
}

/* Whether a token sees an obligation: its centre's, or a bureau-wide
 * one addressed to its role. */
static bool
sees_obligation(struct call *c, const struct sched_obligation *o)
{
	if (o->centre != NULL)
		return auth_sees_centre(c->t, c->tok, o->centre);
	switch (c->tok->role) {
	case ROLE_BUREAU:
		return true;
	case ROLE_UNIT:
		return (c->t->rules->text[o->rule].to & SCHED_TO_UNIT) != 0;
	case ROLE_CENTRE:
		return false;
	}
	return false;
}

/* ---- /healthz, /metrics ---- */

/* Answered at once, also while the journal loads (a monitor's probe
 * must not make ticd read the rest of it in one go): then "events" is
 * the number stored, which is what the journal will hold. */
static void
get_healthz(struct call *c)
{
	char	 d[SCHED_DATE_LEN];

	http_reply_json(c->t, c->req, 200, json_pack("{s:s, s:s, s:I, s:b}",
	    "status", "ok", "today", sched_date_format(c->t->today, d),
	    "events", c->t->loading ? (json_int_t)c->t->load_total :
	    (json_int_t)sched_journal_count(c->t->journal), "loading",
	    c->t->loading));
}

/* The outbox by state, and what delivery has done since the start. */
static void
outbox_metrics(struct ticd *t, struct evbuffer *buf)
{
	long long			 counts[DB_OUT_COUNT];
	const struct notify_stats	*st;
	int				 k;

	if (db_outbox_counts(t->db, counts) == 0) {
		evbuffer_add_printf(buf, "# HELP ticd_outbox Messages in the "
		    "outbox by state.\n# TYPE ticd_outbox gauge\n");
		for (k = 0; k < DB_OUT_COUNT; k++)
			evbuffer_add_printf(buf, "ticd_outbox{state=\"%s\"} "
			    "%lld\n", db_outbox_state_name(
			    (enum db_outbox_state)k), counts[k]);
	}
	/* No sender yet (early in start-up, or a harness without one). */
	if (t->notify == NULL)
		return;
	st = notify_stats(t->notify);
	evbuffer_add_printf(buf, "# HELP ticd_mail_attempts_total Delivery "
	    "attempts since the start, by outcome.\n"
	    "# TYPE ticd_mail_attempts_total counter\n"
	    "ticd_mail_attempts_total{outcome=\"sent\"} %llu\n"
	    "ticd_mail_attempts_total{outcome=\"retry\"} %llu\n"
	    "ticd_mail_attempts_total{outcome=\"dead\"} %llu\n"
	    "ticd_mail_attempts_total{outcome=\"dropped\"} %llu\n",
	    st->sent, st->retried, st->failed, st->dropped);
	evbuffer_add_printf(buf, "# HELP ticd_mail_in_flight Messages being "
	    "sent now.\n# TYPE ticd_mail_in_flight gauge\n"
	    "ticd_mail_in_flight %zu\n", notify_inflight(t->notify));
}

static void
get_metrics(struct call *c)
{
	const struct sched_plan	*plan = state_plan(c->t);
	struct metrics		*m = &c->t->metrics;
	struct evbuffer		*buf = evbuffer_new();
	size_t			 i, states[4] = { 0 };
	int			 k;

	for (i = 0; i < plan->count; i++)
		states[plan->obligations[i].state]++;
	evbuffer_add_printf(buf, "# HELP ticd_events_total Events in the "
	    "journal.\n# TYPE ticd_events_total counter\n"
	    "ticd_events_total %zu\n", sched_journal_count(c->t->journal));
	evbuffer_add_printf(buf, "# HELP ticd_centres Registered centres.\n"
	    "# TYPE ticd_centres gauge\nticd_centres %zu\n", plan->ncentres);
	evbuffer_add_printf(buf, "# HELP ticd_obligations Obligations by "
	    "state, today.\n# TYPE ticd_obligations gauge\n");
	for (k = 0; k < 4; k++)
		evbuffer_add_printf(buf, "ticd_obligations{state=\"%s\"} %zu\n",
		    sched_state_name((enum sched_state)k), states[k]);
	evbuffer_add_printf(buf, "# HELP ticd_http_requests_total HTTP "
	    "replies by status class.\n# TYPE ticd_http_requests_total "
	    "counter\n");
	for (k = 1; k <= 5; k++)
		evbuffer_add_printf(buf, "ticd_http_requests_total{code=\"%dxx\"}"
		    " %llu\n", k, m->requests[k]);
	evbuffer_add_printf(buf, "# HELP ticd_http_errors_total Replies with "
	    "status 400 or more.\n# TYPE ticd_http_errors_total counter\n"
	    "ticd_http_errors_total %llu\n", m->errors);
	evbuffer_add_printf(buf, "# HELP ticd_commits_total Store "
	    "transactions of events.\n# TYPE ticd_commits_total counter\n"
	    "ticd_commits_total %llu\n", m->commits);
	evbuffer_add_printf(buf, "# HELP ticd_plan_seconds Duration of the "
	    "last planning.\n# TYPE ticd_plan_seconds gauge\n"
	    "ticd_plan_seconds %.6f\n", m->plan_seconds);
	outbox_metrics(c->t, buf);
	feeds_metrics(c->t, buf);
	evhttp_add_header(evhttp_request_get_output_headers(c->req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	m->requests[2]++;
	http_send(c->req, 200, buf);
	evbuffer_free(buf);
}

/* ---- events ---- */

/* What a unit may record for its own centres (issue 3, "Roles"). */
static bool
unit_may_record(enum sched_event_type type)
{
	switch (type) {
	case SCHED_EV_REGISTERED:
	case SCHED_EV_APPLIED:
	case SCHED_EV_RECOMMENDED:
	case SCHED_EV_COMMITTEE_FORMED:
	case SCHED_EV_EXPERT_MEETING_HELD:
	case SCHED_EV_EVALUATION_SUBMITTED:
	case SCHED_EV_RECTIFICATION_COMPLETED:
	case SCHED_EV_DIRECTOR_CHANGED:
		return true;
	default:
		return false;
	}
}

/*
 * Did another unit ever register this centre id, even in a registration
 * retracted since?  A unit taking the id over would see that unit's
 * retracted events (notes, a director's birth date) and inherit the
 * centre's contacts, webhooks and tokens.
 */
static bool
registered_before_elsewhere(struct call *c, const char *centre,
    const char *unit)
{
	const struct sched_event	*ev;
	size_t				 i, n;

	load_finish(c->t);
	n = sched_journal_count(c->t->journal);
	for (i = 0; i < n; i++) {
		ev = sched_journal_event(c->t->journal, i);
		if (ev->type == SCHED_EV_REGISTERED && ev->centre != NULL &&
		    strcmp(ev->centre, centre) == 0 && ev->unit != NULL &&
		    strcmp(ev->unit, unit) != 0)
			return true;
	}
	return false;
}

/* The scope check of a new event, before the planner sees it.  Returns
 * true when the caller may go on; else it has replied. */
static bool
may_record(struct call *c, json_t *obj)
{
	const char	*type = json_string_value(json_object_get(obj, "type"));
	const char	*centre = json_string_value(json_object_get(obj,
			    "centre"));
	const char	*unit = json_string_value(json_object_get(obj, "unit"));
	bool		 registering = type && strcmp(type, "registered") == 0;
	int		 t;

	if (c->tok->role == ROLE_BUREAU)
		return true;
	for (t = 0; t < SCHED_EV_COUNT; t++) {
		if (type != NULL && strcmp(type,
		    sched_event_type_name((enum sched_event_type)t)) == 0)
			break;
	}
	/* A centre's token records nothing, whatever the centre: saying so
	 * first tells it no more than that (a 404 for another centre read
	 * as a wrong id). */
	if (c->tok->role == ROLE_CENTRE) {
		api_forbidden(c, t < SCHED_EV_COUNT &&
		    unit_may_record((enum sched_event_type)t) ?
		    "中心的令牌不能记录事件：请由本中心的组织管理单位或市科技局记录 "
		    "/ a centre's token records no event: its unit or the "
		    "bureau records it" :
		    "中心的令牌不能记录事件：这类事件由市科技局记录 / a centre's "
		    "token records no event: the bureau records this kind");
		return false;
	}
	/* Registering a new centre is the one way to name a centre one does
	 * not see yet; an existing one of another unit stays unseen. */
	if (centre != NULL && (!registering ||
	    sched_journal_centre(c->t->journal, centre) != NULL) &&
	    !auth_sees_centre(c->t, c->tok, centre)) {
		api_not_found(c);
		return false;
	}
	if (registering && centre != NULL && unit != NULL &&
	    registered_before_elsewhere(c, centre, unit)) {
		api_forbidden(c, "这个中心编号曾由其他单位登记（已撤回），只有市科技局"
		    "可以再次登记 / this centre id was registered by another "
		    "unit before (retracted since): only the bureau may "
		    "register it again");
		return false;
	}
	/* A legacy registration says the centre was recognized under the
	 * old measures: the bureau's to know, and it starts evaluations. */
	if (registering && json_is_true(json_object_get(obj, "legacy"))) {
		api_forbidden(c, "legacy（旧办法认定）由市科技局记录 / a legacy "
		    "registration (recognized under the old measures) is the "
		    "bureau's to record");
		return false;
	}
	if (c->tok->role == ROLE_UNIT && t < SCHED_EV_COUNT &&
	    unit_may_record((enum sched_event_type)t) &&
	    (!registering || (unit != NULL &&
	    strcmp(unit, c->tok->scope) == 0)))
		return true;
	if (registering)
		api_forbidden(c, "组织管理单位只能登记本单位的中心 / a unit may "
		    "register centres of its own unit only");
	else
		api_forbidden(c, "这类事件由市科技局记录，组织管理单位不能记录 / the "
		    "bureau records this kind of event, a unit may not");
	return false;
}

static bool	 sees_event(struct call *, const struct sched_event *);

/*
 * An event's id taken by one the token does not see: refused without
 * naming that event (the journal's own refusal gives its type and date,
 * and ids ticd assigns run ev-1, ev-2…: a unit could read the whole city's
 * journal so).  That the id is taken cannot be hidden: ids are the
 * city's.  True when the caller may go on.
 */
static bool
id_free_or_seen(struct call *c, const json_t *obj)
{
	const char	*id = json_string_value(json_object_get(obj, "id"));
	long		 i;

	if (id == NULL || c->tok->role == ROLE_BUREAU)
		return true;
	load_finish(c->t);	/* an id may be in what is not read yet */
	if ((i = sched_journal_find_id(c->t->journal, id)) < 0 ||
	    sees_event(c, sched_journal_event(c->t->journal, (size_t)i)))
		return true;
	http_reply_error(c->t, c->req, 422, "refused", "id 已被使用，请换一个"
	    "或不给 id（由 ticd 编号）/ the id is already used: choose "
	    "another, or give none (ticd numbers it)");
	return false;
}

/*
 * A new event's text with a control character: a centre id or name with
 * CR, LF or ESC in it printed fake rows and terminal escapes in ticctl's
 * tables, and put characters RFC 5545 forbids into every feed.  A note or
 * a reason may hold line breaks and tabs.  Checked here, on what comes
 * in, not when the journal is read back: a store holding such an event
 * still loads.  Returns the field at fault, or NULL.
 */
static const char *
control_in_text(const json_t *obj)
{
	const char		*key;
	const unsigned char	*p;
	json_t			*v;
	bool			 free_text;

	json_object_foreach((json_t *)obj, key, v) {
		if (!json_is_string(v))
			continue;
		free_text = strcmp(key, "note") == 0 ||
		    strcmp(key, "reason") == 0;
		for (p = (const unsigned char *)json_string_value(v); *p;
		    p++) {
			if (free_text && (*p == '\n' || *p == '\t'))
				continue;
			/* C0, DEL, and C1 (U+0080-U+009F: C2 80-9F). */
			if (*p < 0x20 || *p == 0x7f || (*p == 0xc2 &&
			    p[1] >= 0x80 && p[1] <= 0x9f))
				return key;
		}
	}
	return NULL;
}

/*
 * The same event posted again with its id, as stored (a client retrying
 * after a lost reply, a script run twice): 200 and the stored event,
 * nothing stored twice, so that a retry is safe.  The two are compared
 * as the journal reads them (key order, "14" or 14 alike).  A different
 * event under that id, or one since retracted, goes on to be refused.
 */
static bool
already_recorded(struct call *c, const json_t *obj)
{
	const char			*id = json_string_value(
					    json_object_get(obj, "id"));
	const struct sched_event	*ev;
	struct sched_event		*given;
	json_t				*stored, *posted;
	char				*error = NULL;
	long				 i;
	bool				 same;

	if (id == NULL)
		return false;
	load_finish(c->t);
	i = sched_journal_find_id(c->t->journal, id);
	/* Only a committed one: a queued one has no seq yet. */
	if (i < 0 || (size_t)i >= c->t->nstored)
		return false;
	ev = sched_journal_event(c->t->journal, (size_t)i);
	if (ev->retracted || !sees_event(c, ev))
		return false;
	if ((given = sched_event_from_json(obj, &error)) == NULL) {
		free(error);
		return false;
	}
	stored = sched_event_to_json(ev);
	posted = sched_event_to_json(given);
	sched_event_free(given);
	same = json_equal(stored, posted);
	json_decref(posted);
	if (!same) {
		json_decref(stored);
		return false;
	}
	http_reply_json(c->t, c->req, 200, json_pack("{s:s, s:I, s:s, s:o}",
	    "id", id, "seq", (json_int_t)c->t->stored[i].seq, "recorded_at",
	    c->t->stored[i].recorded_at, "event", stored));
	return true;
}

/* A client that leaves before its event is committed gets no reply;
 * the event is still stored. */
static void
conn_closed_cb(struct evhttp_connection *conn, void *arg)
{
	state_conn_closed(arg, conn);
}

static void
post_event(struct call *c)
{
	json_t		*obj;
	const char	*field;
	char		*why = NULL;
	int		 status;

	if ((obj = read_body(c)) == NULL)
		return;
	if (!json_is_object(obj))
		api_bad_request(c, "事件应为一个 JSON 对象 / an event must be a JSON "
		    "object");
	else if ((field = control_in_text(obj)) != NULL) {
		why = xasprintf("字段 \"%s\" 含控制字符（换行、制表符只可用于 "
		    "note 和 reason）/ field \"%s\" holds a control character "
		    "(line breaks and tabs only in note and reason)", field,
		    field);
		http_reply_error(c->t, c->req, 422, "refused", why);
	} else if (!may_record(c, obj) || !id_free_or_seen(c, obj) ||
	    already_recorded(c, obj))
		;	/* replied */
	else if (state_record(c->t, c->req, obj, &status, &why) == -1)
		http_reply_error(c->t, c->req, status, "refused", why);
	else
		evhttp_connection_set_closecb(evhttp_request_get_connection(
		    c->req), conn_closed_cb, c->t);
	free(why);
	json_decref(obj);
}

/*
 * The unit a centre's event was recorded under: that of the last
 * registration of the centre before it (a retracted one too).  A centre
 * the bureau registered again under another unit keeps its past: the old
 * unit's registration, notes and retractions are not the new unit's.
 */
static const char *
unit_when_recorded(struct call *c, const struct sched_event *ev)
{
	const struct sched_event	*e;
	const size_t			*idx;
	const char			*unit = NULL;
	size_t				 i, n;

	sched_journal_centre_events(c->t->journal, ev->centre, &idx, &n);
	for (i = 0; i < n; i++) {
		e = sched_journal_event(c->t->journal, idx[i]);
		if (e->type == SCHED_EV_REGISTERED)
			unit = e->unit;
		if (e == ev)
			break;
	}
	return unit;
}

/*
 * Whether the token sees the event; "then" is the unit it was recorded
 * under (unit_when_recorded), when the caller knows it, else NULL.
 */
static bool
sees_event_then(struct call *c, const struct sched_event *ev,
    const char *then)
{
	const char	*now;
	long		 i;

	if (ev->centre != NULL) {
		if (!auth_sees_centre(c->t, c->tok, ev->centre))
			return false;
		if (c->tok->role == ROLE_BUREAU)
			return true;
		if (then == NULL)
			then = unit_when_recorded(c, ev);
		now = c->tok->role == ROLE_UNIT ? c->tok->scope :
		    auth_centre_unit(c->t, ev->centre);
		return then == NULL || (now != NULL && strcmp(then, now) == 0);
	}
	if (ev->type != SCHED_EV_RETRACTED || c->tok->role == ROLE_BUREAU)
		return true;
	i = sched_journal_find_id(c->t->journal, ev->target);
	return i >= 0 && sees_event_then(c, sched_journal_event(c->t->journal,
	    (size_t)i), NULL);
}

static bool
sees_event(struct call *c, const struct sched_event *ev)
{
	return sees_event_then(c, ev, NULL);
}

static void
get_events(struct call *c)
{
	static const char *const params[] = { "centre", NULL };
	const char	*centre = query(c, "centre");
	json_t		*list, *then;
	size_t		 i, n;
	bool		 known = false;

	/* As for obligations: a centre out of sight does not exist. */
	if (!query_known(c, params, NULL) || (centre != NULL &&
	    !auth_sees_centre(c->t, c->tok, centre))) {
		if (centre != NULL)
			api_not_found(c);
		return;
	}
	/* The stored events only: those queued for the next commit are
	 * the newest of the journal and have no seq yet (a request read
	 * in the same turn as a POST comes before its commit). */
	n = sched_journal_count(c->t->journal);
	if (n > c->t->nstored)
		n = c->t->nstored;
	list = json_array();
	/* The unit each centre's events are recorded under, as the walk
	 * meets its registrations (a walk of the centre's events for each
	 * event was the square of a busy centre's count). */
	then = json_object();
	for (i = 0; i < n; i++) {
		const struct sched_event *ev =
		    sched_journal_event(c->t->journal, i);

		if (ev->type == SCHED_EV_REGISTERED && ev->centre != NULL &&
		    ev->unit != NULL)
			json_object_set_new(then, ev->centre,
			    json_string(ev->unit));
		if (!sees_event_then(c, ev, ev->centre != NULL ?
		    json_string_value(json_object_get(then, ev->centre)) :
		    NULL) || (centre != NULL && (ev->centre == NULL ||
		    strcmp(ev->centre, centre) != 0)))
			continue;
		known = true;
		json_array_append_new(list, json_pack("{s:I, s:s, s:b, s:o}",
		    "seq", (json_int_t)c->t->stored[i].seq, "recorded_at",
		    c->t->stored[i].recorded_at, "retracted", ev->retracted,
		    "event", sched_event_to_json(ev)));
	}
	json_decref(then);
	/* A centre no event names (even a retracted registration does):
	 * 404, as /centres/ID; the bureau's empty list of a mistyped id
	 * read as "nothing there". */
	if (centre != NULL && !known) {
		json_decref(list);
		api_not_found(c);
		return;
	}
	http_reply_json(c->t, c->req, 200, json_pack("{s:o}", "events", list));
}

/* ---- centres and obligations ---- */

static void
get_centres(struct call *c)
{
	const struct sched_plan	*plan = state_plan(c->t);
	json_t			*list = json_array();
	char			 d[SCHED_DATE_LEN];
	size_t			 i;

	for (i = 0; i < plan->ncentres; i++) {
		if (auth_sees_centre(c->t, c->tok, plan->centres[i].id))
			json_array_append_new(list,
			    centre_json(&plan->centres[i]));
	}
	http_reply_json(c->t, c->req, 200, json_pack("{s:s, s:o}", "today",
	    sched_date_format(c->t->today, d), "centres", list));
}

static void
get_centre(struct call *c, const char *id)
{
	struct centre_part	 part;
	json_t			*obs;
	size_t			 k;

	if (!auth_sees_centre(c->t, c->tok, id) ||
	    state_plan_centre(c->t, id, SCHED_NO_DAY, &part) == -1) {
		api_not_found(c);
		return;
	}
	obs = json_array();
	for (k = 0; k < part.nobs; k++)
		json_array_append_new(obs, sched_obligation_to_json(
		    &part.plan->obligations[part.obs[k]], c->t->rules));
	http_reply_json(c->t, c->req, 200, json_pack("{s:o, s:o}", "centre",
	    centre_json(part.centre), "obligations", obs));
}

/* state=open,overdue or state=open&state=overdue; 0 means any. */
static int
state_filter(struct call *c, bool *ok)
{
	struct evkeyval	*kv;
	char		*copy, *w, *save = NULL;
	int		 mask = 0, s;

	*ok = true;
	TAILQ_FOREACH(kv, &c->query, next) {
		if (strcmp(kv->key, "state") != 0)
			continue;
		copy = xstrdup(kv->value);
		for (w = strtok_r(copy, ",", &save); w != NULL;
		    w = strtok_r(NULL, ",", &save)) {
			for (s = 0; s < 4; s++) {
				if (strcmp(w, sched_state_name(
				    (enum sched_state)s)) == 0)
					break;
			}
			if (s == 4)
				*ok = false;
			mask |= 1 << s;
		}
		free(copy);
	}
	return mask;
}

#define UNTIL_MAX_DAYS	3653	/* ?until=, ten years ahead at most */

static int
day_cmp(const void *a, const void *b)
{
	int	 x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * ticd's own count of the working days from as_of to each due date still
 * ahead among these obligations: {"2026-12-18":{"left":14,
 * "provisional":false},…}.  ticctl's tables show it; counted on ticctl's
 * machine, with only the tables it ships, it stayed "约…，暂定" after
 * ticd had loaded next year's schedule.
 */
static void
add_workdays(struct call *c, json_t *reply, json_t *obligations, int as_of)
{
	json_t		*map = json_object(), *o;
	char		 d[SCHED_DATE_LEN];
	size_t		 i, n = 0;
	int		*days, due, prev = as_of, work = 0;
	bool		 guess = false;

	/* The distinct dates ahead, counted in one walk from as_of (the
	 * counts add up over consecutive spans): day by day from as_of for
	 * each date was the square of the horizon. */
	days = xcalloc(json_array_size(obligations) + 1, sizeof(*days));
	json_array_foreach(obligations, i, o) {
		const char *s = json_string_value(json_object_get(o, "due"));

		if (s != NULL && sched_date_parse(s, &due) == 0 && due > as_of)
			days[n++] = due;
	}
	qsort(days, n, sizeof(*days), day_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && days[i] == days[i - 1])
			continue;
		work += sched_calendar_working_between(c->t->cal, prev,
		    days[i]);
		guess = guess || sched_calendar_guess_between(c->t->cal, prev,
		    days[i]);
		prev = days[i];
		json_object_set_new(map, sched_date_format(days[i], d),
		    json_pack("{s:i, s:b}", "left", work, "provisional",
		    guess));
	}
	free(days);
	json_object_set_new(reply, "workdays", map);
}

/* A unit no registered centre has: 404 (an empty list read as "nothing
 * due there", and a misspelt unit went unnoticed). */
static void
unknown_unit(struct call *c, const char *unit)
{
	char	*msg = xasprintf("没有中心属于组织管理单位 %s / no registered "
		    "centre has the unit %s", unit, unit);

	http_reply_error(c->t, c->req, 404, "not_found", msg);
	free(msg);
}

/* Whether unit is the token's own: a unit's name, or a centre's unit
 * (from the centre's own part of the plan, which is answered while the
 * journal still loads, as a centre's obligations are). */
static bool
own_unit(struct call *c, const char *unit)
{
	struct centre_part	 part;

	if (c->tok->role == ROLE_UNIT)
		return strcmp(unit, c->tok->scope) == 0;
	return state_plan_centre(c->t, c->tok->scope, SCHED_NO_DAY,
	    &part) == 0 && part.centre != NULL && part.centre->unit != NULL &&
	    strcmp(part.centre->unit, unit) == 0;
}

static void
get_obligations(struct call *c)
{
	const char	*centre = query(c, "centre"), *unit = query(c, "unit");
	const char	*rule = query(c, "rule");
	struct sched_plan *own = NULL;
	const struct sched_plan *plan;
	struct centre_part part;
	const size_t	*mine = NULL;
	enum sched_rule	 r = SCHED_R_COUNT;
	json_t		*list, *reply;
	char		 d[SCHED_DATE_LEN], u[SCHED_DATE_LEN];
	int		 from, to, until, mask;
	bool		 ok;
	size_t		 i, n;
	static const char *const params[] = { "centre", "unit", "rule",
	    "state", "due_from", "due_to", "until", NULL };

	if (!query_known(c, params, "state") ||
	    !query_day(c, "due_from", &from) || !query_day(c, "due_to", &to) ||
	    !query_day(c, "until", &until))
		return;
	/* The city planned to a far horizon holds the loop for seconds
	 * (until=2999-12-31: 7 s for 12 centres), whoever asks. */
	if (until != SCHED_NO_DAY && until > c->t->today + UNTIL_MAX_DAYS) {
		api_bad_request(c, "until 至多为今天起10年 / until is at most ten "
		    "years ahead");
		return;
	}
	/* Both would answer an empty or short list that reads as "nothing
	 * due": the plan reaches from today on, and a range may not end
	 * before it starts. */
	if (until != SCHED_NO_DAY && until < c->t->today) {
		api_bad_request(c, "until 不能早于今天（已逾期的义务总会列出）/ until "
		    "cannot be before today (overdue obligations are always "
		    "listed)");
		return;
	}
	if (from != SCHED_NO_DAY && to != SCHED_NO_DAY && from > to) {
		api_bad_request(c, "due_from 晚于 due_to / due_from is after "
		    "due_to");
		return;
	}
	mask = state_filter(c, &ok);
	if (!ok || (rule != NULL && sched_rule_from_name(rule, &r) == -1)) {
		api_bad_request(c, "state 应为 open、overdue、done、void；rule 应为规则"
		    "名 / state must be open, overdue, done or void; rule a "
		    "rule's name");
		return;
	}
	/* Not centre_filter_ok: one centre's obligations are answered while
	 * the journal still loads; state_plan_centre below knows them. */
	if (centre != NULL && !auth_sees_centre(c->t, c->tok, centre)) {
		api_not_found(c);
		return;
	}
	/* Another unit's list would be empty, which reads as "nothing due
	 * there": refused, as a feed of another unit is. */
	if (unit != NULL && c->tok->role != ROLE_BUREAU &&
	    !own_unit(c, unit)) {
		api_forbidden(c, "只能查看本单位 / a unit or centre sees its own "
		    "unit only");
		return;
	}
	/* One centre's without planning the city; else every one. */
	if (centre != NULL) {
		/* A centre ticd does not know: 404, as for /centres/ID (the
		 * bureau's empty list read as "nothing due"). */
		if (state_plan_centre(c->t, centre, until, &part) == -1) {
			api_not_found(c);
			return;
		}
		plan = part.plan;
		mine = part.obs;
		n = part.nobs;
	} else if (until != SCHED_NO_DAY) {
		plan = own = state_plan_until(c->t, until);
		n = plan->count;
	} else {
		plan = state_plan(c->t);
		n = plan->count;
	}
	if (unit != NULL && centre == NULL &&
	    !state_plan_has_unit(plan, unit)) {
		unknown_unit(c, unit);
		sched_plan_free(own);
		return;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		const struct sched_obligation *o =
		    &plan->obligations[mine != NULL ? mine[i] : i];

		if (!sees_obligation(c, o) ||
		    (centre && (!o->centre || strcmp(o->centre, centre))) ||
		    (unit && (!o->unit || strcmp(o->unit, unit))) ||
		    (rule && o->rule != r) || (mask && !(mask & (1 << o->state))) ||
		    (from != SCHED_NO_DAY && o->due < from) ||
		    (to != SCHED_NO_DAY && o->due > to))
			continue;
		json_array_append_new(list,
		    sched_obligation_to_json(o, c->t->rules));
	}
	reply = json_pack("{s:s, s:s, s:o}", "as_of",
	    sched_date_format(plan->as_of, d), "until",
	    sched_date_format(plan->until, u), "obligations", list);
	add_workdays(c, reply, list, plan->as_of);
	http_reply_json(c->t, c->req, 200, reply);
	sched_plan_free(own);
}

/* ---- tokens (the bureau's) ---- */

static int
token_row_cb(const struct db_token *row, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I, s:s, s:o, s:s, s:s, s:o}",
	    "id", (json_int_t)row->id, "role", row->role, "scope",
	    row->scope ? json_string(row->scope) : json_null(), "label",
	    row->label, "created_at", row->created_at, "revoked_at",
	    row->revoked_at ? json_string(row->revoked_at) : json_null()));
	return 0;
}

static void
get_tokens(struct call *c)
{
	json_t	*list = json_array();
	char	*error = NULL;

	if (db_foreach_token(c->t->db, token_row_cb, list, &error) == -1) {
		json_decref(list);
		http_reply_unavailable(c->t, c->req, error);
		return;
	}
	http_reply_json(c->t, c->req, 200, json_pack("{s:o}", "tokens", list));
}

static void
post_token(struct call *c)
{
	json_t		*obj, *reply;
	const char	*role, *scope, *label;
	enum role	 r;
	long long	 id;
	char		*secret, *error = NULL;

	static const char *const fields[] = { "role", "scope", "label",
	    NULL };

	if ((obj = api_read_fields(c, fields)) == NULL)
		return;
	role = json_string_value(json_object_get(obj, "role"));
	scope = json_string_value(json_object_get(obj, "scope"));
	label = json_string_value(json_object_get(obj, "label"));
	if (role == NULL || auth_role_from_name(role, &r) == -1 ||
	    (r != ROLE_BUREAU && (scope == NULL || *scope == '\0')) ||
	    (r == ROLE_BUREAU && json_object_get(obj, "scope") != NULL &&
	    !json_is_null(json_object_get(obj, "scope")))) {
		api_bad_request(c, "role 应为 bureau、unit 或 centre；unit 与 centre "
		    "须有 scope（单位名或中心编号），bureau 不能有 / role must be "
		    "bureau, unit or centre; unit and centre need a scope, bureau "
		    "has none");
	} else if (auth_create(c->t, r, scope, label, &id, &secret,
	    &error) == -1) {
		http_reply_unavailable(c->t, c->req, error);
	} else {
		reply = json_pack("{s:I, s:s, s:s, s:o, s:s}", "id",
		    (json_int_t)id, "token", secret, "role", role, "scope",
		    r == ROLE_BUREAU ? json_null() : json_string(scope),
		    "label", label ? label : "");
		http_reply_json(c->t, c->req, 201, state_scope_warned(c->t,
		    role, r == ROLE_BUREAU ? NULL : scope, reply));
		free(secret);
	}
	json_decref(obj);
}

bool
api_parse_id(const char *s, long long *id)
{
	char	*end;

	errno = 0;
	*id = strtoll(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *id > 0;
}

static void
delete_token(struct call *c, const char *sid)
{
	long long	 id;
	char		*error = NULL, *revoked_at = NULL;
	int		 rc;

	if (!api_parse_id(sid, &id)) {
		api_not_found(c);
		return;
	}
	rc = auth_revoke(c->t, id, &revoked_at, &error);
	if (rc == -1) {
		http_reply_unavailable(c->t, c->req, error);
	} else if (rc == 1)
		api_not_found(c);
	else if (rc == 2)
		http_reply_error(c->t, c->req, 409, "conflict", "这是唯一有效的 "
		    "bureau 令牌，吊销后将无法再经 API 管理：请先新建一个（ticctl "
		    "tokens create bureau）/ this is the only bureau token in "
		    "force: revoked, nobody could manage ticd through the API; "
		    "make another first (ticctl tokens create bureau)");
	else
		http_reply_json(c->t, c->req, 200, json_pack("{s:I, s:s}", "id",
		    (json_int_t)id, "revoked_at", revoked_at));
	free(revoked_at);
}

/* ---- the outbox (the bureau's) ---- */

static json_t *
text_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static char *
unix_stamp(long long when)
{
	time_t		 local = (time_t)when + 8 * 3600;
	struct tm	 tm;
	char		 buf[40];

	gmtime_r(&local, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+08:00", &tm);
	return xstrdup(buf);
}

/* A row as docs/api.md shows it; the items as their keys. */
static json_t *
delivery_json(const struct db_outbox *r)
{
	json_t	*items = json_loads(r->items, 0, NULL);
	json_t	*rcpt = json_loads(r->rcpt, 0, NULL), *keys = json_array();
	json_t	*emails = json_array(), *v;
	char	*next = unix_stamp(r->next_attempt);
	size_t	 i;
	long long target;

	json_array_foreach(items, i, v)
		json_array_append(keys, json_object_get(v, "key"));
	json_array_foreach(rcpt, i, v)
		json_array_append(emails, json_object_get(v, "email"));
	json_decref(items);
	json_decref(rcpt);
	v = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:o, s:o, "
	    "s:s, s:i, s:o, s:o, s:o, s:s, s:s}", "id", (json_int_t)r->id,
	    "key", r->idem, "recipient", r->recipient, "channel", r->channel,
	    "day", r->day, "planned", r->planned, "catch_up", r->catch_up != 0,
	    "message_id", r->message_id, "to", emails, "items", keys,
	    "state", db_outbox_state_name(r->state), "attempts", r->attempts,
	    "next_attempt", r->state == DB_OUT_PENDING ||
	    r->state == DB_OUT_RETRYING ? json_string(next) : json_null(),
	    "last_error", text_or_null(r->last_error), "last_response",
	    text_or_null(r->last_response), "created_at", r->created_at,
	    "updated_at", r->updated_at);
	free(next);
	/* A webhook row names its target and how many parts went. */
	if (hook_channel(r->channel, &target)) {
		json_object_set_new(v, "target", json_integer(target));
		json_object_set_new(v, "parts_sent",
		    json_integer(r->parts_sent));
	}
	return v;
}

static int
delivery_row_cb(const struct db_outbox *r, void *arg)
{
	json_array_append_new(arg, delivery_json(r));
	return 0;
}

static void
get_deliveries(struct call *c)
{
	const char		*state = query(c, "state");
	const char		*slimit = query(c, "limit");
	enum db_outbox_state	 s;
	long long		 limit = 200;
	json_t			*list;
	char			*error = NULL;
	static const char *const params[] = { "state", "limit", NULL };

	if (!query_known(c, params, NULL))
		return;

	if ((state != NULL && db_outbox_state_from_name(state, &s) == -1) ||
	    (slimit != NULL && (!api_parse_id(slimit, &limit) ||
	    limit > 10000))) {
		api_bad_request(c, "state 应为 pending、sending、sent、retrying、"
		    "dead 或 dropped；limit 为 1-10000 / state must be pending, "
		    "sending, sent, retrying, dead or dropped; limit 1-10000");
		return;
	}
	list = json_array();
	if (db_outbox_foreach(c->t->db, state, (int)limit, delivery_row_cb,
	    list, &error) == -1) {
		json_decref(list);
		http_reply_unavailable(c->t, c->req, error);
		return;
	}
	http_reply_json(c->t, c->req, 200, json_pack("{s:o}", "deliveries",
	    list));
}

static int
delivery_one_cb(const struct db_outbox *r, void *arg)
{
	*(json_t **)arg = delivery_json(r);
	return 0;
}

static void
post_redeliver(struct call *c, const char *sid)
{
	long long	 id;
	json_t		*row = NULL;
	char		*error = NULL, *when;
	int		 rc;

	if (!api_parse_id(sid, &id)) {
		api_not_found(c);
		return;
	}
	/* Refused before the row is touched: a redelivery that would send
	 * nothing rewrote a sent row's record as dropped or dead. */
	if ((rc = notify_redeliver_check(c->t->notify, id, &error)) == -1) {
		http_reply_unavailable(c->t, c->req, error);
		return;
	} else if (rc == 1) {
		http_reply_error(c->t, c->req, 409, "nothing_to_send", error);
		free(error);
		return;
	}
	when = state_timestamp();
	rc = db_outbox_redeliver(c->t->db, id, (long long)time(NULL), when,
	    &error);
	free(when);
	if (rc == -1) {
		http_reply_unavailable(c->t, c->req, error);
	} else if (rc == 1)
		api_not_found(c);
	else if (rc == 2)
		http_reply_error(c->t, c->req, 409, "in_flight", "该邮件正在发送 "
		    "/ the message is being sent now");
	else if (db_outbox_get(c->t->db, id, delivery_one_cb, &row,
	    &error) != 0 || row == NULL) {
		http_reply_error(c->t, c->req, 503, "unavailable", error ? error :
		    "?");
		free(error);
	} else {
		log_info("outbox %lld redelivered at the bureau's request", id);
		notify_kick(c->t->notify);
		http_reply_json(c->t, c->req, 200, row);
	}
}

/* ---- routing ---- */

/* Splits and decodes the path; false when it is not ours to parse. */
static bool
split_path(struct call *c, const char *path)
{
	const char	*p = path, *slash;
	char		*raw;
	size_t		 len, dlen;

	while (*p == '/')
		p++;
	while (*p != '\0') {
		if (c->nsegs == (int)nitems(c->segs))
			return false;
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		raw = xstrndup(p, len);
		c->segs[c->nsegs] = evhttp_uridecode(raw, 0, &dlen);
		free(raw);
		if (c->segs[c->nsegs] == NULL)
			return false;
		/* A %00 in a path names nothing we have. */
		if (strlen(c->segs[c->nsegs++]) != dlen)
			return false;
		p += len;
		while (*p == '/')
			p++;
	}
	return true;
}

static bool
is(struct call *c, int n, const char *a, const char *b, const char *d)
{
	const char	*want[3] = { a, b, d };
	int		 i;

	if (c->nsegs != n)
		return false;
	for (i = 0; i < n && i < 3; i++) {
		if (want[i] != NULL && strcmp(c->segs[i], want[i]) != 0)
			return false;
	}
	return true;
}

static bool
needs_bureau(struct call *c)
{
	if (c->tok->role == ROLE_BUREAU)
		return true;
	/* Other roles do not see tokens or others' contacts at all. */
	api_not_found(c);
	return false;
}

/* /api/v1/feed (a calendar) and /api/v1/feeds (their tokens). */
static void
route_feeds(struct call *c, bool get, bool post, bool del)
{
	static const char *const feed_fields[] = { "kind", "scope", "label",
	    NULL };
	json_t	*body;

	if (is(c, 3, "api", "v1", "feed")) {
		get ? feeds_get_api(c->t, c->req, c->tok, &c->query) :
		    method_not_allowed(c, "GET, HEAD");
	} else if (is(c, 3, "api", "v1", "feeds")) {
		if (get)
			feedtok_api_list(c->t, c->req, c->tok);
		else if (post) {
			if ((body = api_read_fields(c, feed_fields)) != NULL)
				feedtok_api_create(c->t, c->req, c->tok, body);
			json_decref(body);
		} else
			method_not_allowed(c, "GET, HEAD, POST");
	} else if (is(c, 4, "api", "v1", "feeds")) {
		del ? feedtok_api_revoke(c->t, c->req, c->tok, c->segs[3]) :
		    method_not_allowed(c, "DELETE");
	} else
		api_not_found(c);
}

static void
route_api(struct call *c)
{
	bool	 get = c->method == EVHTTP_REQ_GET || c->method == EVHTTP_REQ_HEAD;
	bool	 post = c->method == EVHTTP_REQ_POST;
	bool	 del = c->method == EVHTTP_REQ_DELETE;

	if (!authenticate(c))
		return;
	if (c->bad_query) {
		api_bad_request(c, "查询参数格式错误，应为 name=value&… / the query "
		    "string is malformed; write name=value&…");
		return;
	}
	if (is(c, 3, "api", "v1", "events")) {
		if (post)
			post_event(c);
		else if (get)
			get_events(c);
		else
			method_not_allowed(c, "GET, HEAD, POST");
	} else if (is(c, 3, "api", "v1", "centres")) {
		get ? get_centres(c) : method_not_allowed(c, "GET, HEAD");
	} else if (is(c, 4, "api", "v1", "centres")) {
		get ? get_centre(c, c->segs[3]) :
		    method_not_allowed(c, "GET, HEAD");
	} else if (is(c, 3, "api", "v1", "obligations")) {
		get ? get_obligations(c) : method_not_allowed(c, "GET, HEAD");
	} else if (is(c, 3, "api", "v1", "tokens")) {
		if (!needs_bureau(c))
			return;
		if (get)
			get_tokens(c);
		else if (post)
			post_token(c);
		else
			method_not_allowed(c, "GET, HEAD, POST");
	} else if (is(c, 4, "api", "v1", "tokens")) {
		if (needs_bureau(c))
			del ? delete_token(c, c->segs[3]) :
			    method_not_allowed(c, "DELETE");
	} else if (is(c, 3, "api", "v1", "contacts")) {
		if (get)
			api_get_contacts(c);
		else if (post && c->tok->role != ROLE_BUREAU)
			api_forbidden(c, "只有市科技局可以管理联系人 / only the "
			    "bureau manages contacts");
		else if (post)
			api_post_contact(c);
		else
			method_not_allowed(c, "GET, HEAD, POST");
	} else if (is(c, 4, "api", "v1", "contacts")) {
		del ? api_delete_contact(c, c->segs[3]) :
		    method_not_allowed(c, "DELETE");
	} else if (is(c, 3, "api", "v1", "deliveries")) {
		if (needs_bureau(c))
			get ? get_deliveries(c) :
			    method_not_allowed(c, "GET, HEAD");
	} else if (c->nsegs == 5 && is(c, 5, "api", "v1", "deliveries") &&
	    strcmp(c->segs[4], "redeliver") == 0) {
		if (needs_bureau(c))
			post ? post_redeliver(c, c->segs[3]) :
			    method_not_allowed(c, "POST");
	} else if (is(c, 3, "api", "v1", "webhooks")) {
		if (get)
			api_get_webhooks(c);
		else if (post && c->tok->role != ROLE_BUREAU)
			api_forbidden(c, "只有市科技局可以管理 webhook / only the "
			    "bureau manages webhooks");
		else if (post)
			api_post_webhook(c);
		else
			method_not_allowed(c, "GET, HEAD, POST");
	} else if (is(c, 4, "api", "v1", "webhooks")) {
		del ? api_delete_webhook(c, c->segs[3]) :
		    method_not_allowed(c, "DELETE");
	} else if (is(c, 5, "api", "v1", "webhooks") &&
	    strcmp(c->segs[4], "enable") == 0) {
		post ? api_enable_webhook(c, c->segs[3]) :
		    method_not_allowed(c, "POST");
	} else
		route_feeds(c, get, post, del);
}

/* /feeds/TOKEN.ics: the token in the path is the only credential. */
static void
route_feed_token(struct call *c)
{
	if (c->method != EVHTTP_REQ_GET && c->method != EVHTTP_REQ_HEAD)
		method_not_allowed(c, "GET, HEAD");
	else
		feeds_get_token(c->t, c->req, c->segs[1], &c->query,
		    c->bad_query);
}

/*
 * GET /obligations/KEY: the page a calendar entry's URL opens
 * (calendar/text.c cal_text_url).  It depends only on the key's rule, so
 * that a guessed key tells nothing of whether that centre has it.
 */
static void
get_obligation_page(struct call *c)
{
	enum sched_rule	 r;

	if (c->method != EVHTTP_REQ_GET && c->method != EVHTTP_REQ_HEAD)
		method_not_allowed(c, "GET, HEAD");
	else if (sched_key_rule(c->segs[1], &r) == -1)
		api_not_found(c);
	else
		http_reply_html(c->t, c->req, notify_rule_page(c->t->rules,
		    r));
}

/*
 * What can be answered while the journal is still loading (load.c): one
 * centre's obligations or page, from that centre's own events, and
 * /healthz.  The rest waits for the whole journal.
 */
static bool
answers_while_loading(struct call *c)
{
	if (c->method != EVHTTP_REQ_GET && c->method != EVHTTP_REQ_HEAD)
		return false;
	return is(c, 1, "healthz", NULL, NULL) ||
	    is(c, 2, "obligations", NULL, NULL) ||
	    is(c, 4, "api", "v1", "centres") || (is(c, 3, "api", "v1",
	    "obligations") && query(c, "centre") != NULL);
}

void
api_dispatch(struct ticd *t, struct evhttp_request *req)
{
	struct call		 c = { .t = t, .req = req };
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = evhttp_uri_get_path(uri);
	const char		*q = evhttp_uri_get_query(uri);
	int			 i;

	c.method = evhttp_request_get_command(req);
	TAILQ_INIT(&c.query);
	if (path == NULL || !split_path(&c, path)) {
		api_not_found(&c);
		goto out;
	}
	/* The API answers a malformed query 400 once the token is known;
	 * the query is ignored elsewhere. */
	if (q != NULL && evhttp_parse_query_str(q, &c.query) != 0) {
		evhttp_clear_headers(&c.query);
		c.bad_query = true;
	}
	if (t->loading && !answers_while_loading(&c))
		load_finish(t);
	if ((is(&c, 1, "healthz", NULL, NULL) || is(&c, 1, "metrics", NULL,
	    NULL)) && c.method != EVHTTP_REQ_GET && c.method != EVHTTP_REQ_HEAD)
		method_not_allowed(&c, "GET, HEAD");
	else if (is(&c, 1, "healthz", NULL, NULL))
		get_healthz(&c);
	else if (is(&c, 1, "metrics", NULL, NULL))
		get_metrics(&c);
	else if (c.nsegs >= 2 && strcmp(c.segs[0], "api") == 0 &&
	    strcmp(c.segs[1], "v1") == 0)
		route_api(&c);
	else if (c.nsegs == 2 && strcmp(c.segs[0], "feeds") == 0)
		route_feed_token(&c);
	else if (is(&c, 2, "obligations", NULL, NULL))
		get_obligation_page(&c);
	else
		api_not_found(&c);
out:
	evhttp_clear_headers(&c.query);
	for (i = 0; i < c.nsegs; i++)
		free(c.segs[i]);
}
