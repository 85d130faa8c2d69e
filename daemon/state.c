/*
 * state.c: the journal in memory, the plan cache (the city's, or one
 * centre's while nothing needs the city's), the clock, and recording
 * events.
 *
 * Recording is group commit: a request's event is checked by the planner
 * (sched_journal_add, so a refusal changes nothing), queued, and its reply
 * waits; a low-priority event runs once the loop has read every request
 * that arrived together and commits them in one BEGIN IMMEDIATE
 * transaction.  Only then are they acknowledged.  If the commit fails the
 * queued events are taken back out of the journal and each request gets
 * 503: the journal in memory never holds what the store does not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "daemon/daemon.h"
#include "daemon/log.h"

#define HORIZON_DAYS	400

int
state_today(void)
{
	time_t		 now = time(NULL) + 8 * 3600;
	struct tm	 tm;

	/* Asia/Shanghai is UTC+8 all year (no daylight saving since 1991),
	 * so its civil day needs no time zone database. */
	gmtime_r(&now, &tm);
	return sched_day(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

long
state_seconds_of_day(time_t t)
{
	/* UTC+8 all year, as state_today. */
	return (long)((((long long)t + 8 * 3600) % 86400 + 86400) % 86400);
}

char *
state_timestamp(void)
{
	time_t		 now = time(NULL) + 8 * 3600;
	struct tm	 tm;
	char		 buf[32];

	gmtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+08:00", &tm);
	return xstrdup(buf);
}

/* A data file that did not load, after those before it, under the key
 * that names it: "ticd -n" shows every such file at once. */
static void
data_failed(struct buf *all, const char *key, char *error)
{
	buf_printf(all, "%s%s: %s", all->len > 0 ? "\n" : "", key, error);
	free(error);
}

int
state_load_data(const struct conf *conf, struct sched_calendar **calp,
    struct sched_rules **rulesp, char **error)
{
	struct sched_calendar	*cal = sched_calendar_new();
	struct sched_rules	*rules = sched_rules_new();
	struct buf		 failed;
	char			*path, *list, *word, *save = NULL, *why = NULL;

	buf_init(&failed);
	path = conf_data_path(CONF_HOLIDAYS);
	if (conf_load_calendar(cal, path, &why) == -1)
		data_failed(&failed, "the shipped holiday table", why);
	free(path);
	list = xstrdup(conf->holidays);
	for (word = strtok_r(list, " \t", &save); word != NULL;
	    word = strtok_r(NULL, " \t", &save))
		if (conf_load_calendar(cal, word, &why) == -1)
			data_failed(&failed, "holidays", why);
	free(list);
	path = *conf->rules ? xstrdup(conf->rules) : conf_data_path(CONF_RULES);
	if (conf_load_rules(rules, path, &why) == -1)
		data_failed(&failed, *conf->rules ? "rules" :
		    "the shipped rules", why);
	free(path);
	if (failed.len > 0) {
		sched_calendar_free(cal);
		sched_rules_free(rules);
		*error = buf_take(&failed);
		return -1;
	}
	buf_free(&failed);
	/* ticd.conf's [remind.RULE] sections go over the pack's schedules. */
	conf_apply_remind(conf, rules);
	*calp = cal;
	*rulesp = rules;
	return 0;
}

/*
 * Events stored together (an import, one group commit) share their
 * recorded_at: a run of equal stamps keeps one copy, which is why only
 * the first of a run is freed.  A copy per event was 80 MB at 100,000
 * centres.
 */
void
state_remember_stored(struct ticd *t, long long seq, const char *recorded_at)
{
	char	*stamp = NULL;

	if (t->nstored == t->capstored) {
		t->capstored = t->capstored ? t->capstored * 2 : 64;
		t->stored = xreallocarray(t->stored, t->capstored,
		    sizeof(*t->stored));
	}
	if (t->nstored > 0)
		stamp = t->stored[t->nstored - 1].recorded_at;
	if (stamp == NULL || strcmp(stamp, recorded_at) != 0)
		stamp = xstrdup(recorded_at);
	t->stored[t->nstored].seq = seq;
	t->stored[t->nstored++].recorded_at = stamp;
}

void
state_reserve_stored(struct ticd *t, size_t n)
{
	if (n > t->capstored) {
		t->capstored = n;
		t->stored = xreallocarray(t->stored, t->capstored,
		    sizeof(*t->stored));
	}
}

void
state_free_stored(struct ticd *t)
{
	size_t	 i;

	for (i = 0; i < t->nstored; i++) {
		if (i == 0 || t->stored[i].recorded_at !=
		    t->stored[i - 1].recorded_at)
			free(t->stored[i].recorded_at);
	}
	free(t->stored);
	t->stored = NULL;
	t->nstored = t->capstored = 0;
}

static void
index_free(struct plan_index *x)
{
	strmap_clear(&x->centres);
	free(x->start);
	free(x->obs);
	x->start = x->obs = NULL;
}

/* Groups the plan's obligations by centre, keeping the plan's order
 * within each (a counting sort). */
static void
index_make(struct plan_index *x, const struct sched_plan *plan)
{
	size_t	 i, k, *at = xcalloc(plan->count + 1, sizeof(*at));

	strmap_init(&x->centres);
	for (k = 0; k < plan->ncentres; k++)
		strmap_put(&x->centres, plan->centres[k].id, k);
	x->start = xcalloc(plan->ncentres + 2, sizeof(*x->start));
	for (i = 0; i < plan->count; i++) {
		const char *centre = plan->obligations[i].centre;

		at[i] = centre != NULL ? strmap_get(&x->centres, centre) :
		    STRMAP_NONE;
		if (at[i] != STRMAP_NONE)
			x->start[at[i] + 2]++;
	}
	/* Counted one place ahead: once summed, start[k + 1] is where k's
	 * obligations begin; it moves on as each is placed, and so ends
	 * where they end, which is where k + 1's begin. */
	for (k = 2; k < plan->ncentres + 2; k++)
		x->start[k] += x->start[k - 1];
	x->obs = xcalloc(plan->count + 1, sizeof(*x->obs));
	for (i = 0; i < plan->count; i++) {
		if (at[i] != STRMAP_NONE)
			x->obs[x->start[at[i] + 1]++] = i;
	}
	free(at);
}

static void
centre_plan_free(struct centre_plan *cp)
{
	sched_plan_free(cp->plan);
	sched_journal_free(cp->journal);
	free(cp->id);
	free(cp->obs);
	memset(cp, 0, sizeof(*cp));
}

void
state_invalidate(struct ticd *t)
{
	t->plan_generation++;
	sched_plan_free(t->plan);
	t->plan = NULL;
	centre_plan_free(&t->centre_plan);
	feeds_invalidate(t);
	index_free(&t->by_centre);
}

struct sched_plan *
state_plan_until(struct ticd *t, int until)
{
	struct timespec	 a, b;
	struct sched_plan *plan;

	load_finish(t);		/* the city's plan needs all its events */
	clock_gettime(CLOCK_MONOTONIC, &a);
	plan = sched_plan(t->journal, t->cal, t->rules, t->today, until, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	t->metrics.plan_seconds = (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	return plan;
}

const struct sched_plan *
state_plan(struct ticd *t)
{
	load_finish(t);		/* first: finishing may plan (reminders) */
	if (t->plan == NULL) {
		t->plan = state_plan_until(t, t->today + HORIZON_DAYS);
		index_make(&t->by_centre, t->plan);
	}
	return t->plan;
}

/* The one centre's own plan, made for this centre and horizon unless the
 * last one was. */
static const struct centre_plan *
centre_plan(struct ticd *t, const char *id, int until)
{
	struct centre_plan	*cp = &t->centre_plan;
	const struct sched_journal *j = t->journal;
	char			*error = NULL;
	size_t			 i;

	if (cp->plan != NULL && cp->plan->until == until &&
	    cp->plan->as_of == t->today && strcmp(cp->id, id) == 0)
		return cp;
	centre_plan_free(cp);
	/* While the journal loads: this centre's events, from the store. */
	if (t->loading && (j = cp->journal = load_centre(t, id,
	    &error)) == NULL) {
		log_warnx("reading centre %s's events: %s; reading the whole "
		    "journal now", id, error);
		free(error);
		load_finish(t);
		j = t->journal;
	}
	cp->plan = sched_plan_centre(j, t->cal, t->rules, id, t->today, until,
	    0);
	cp->id = xstrdup(id);
	if (cp->journal != NULL)
		log_debug("centre %s planned from its %zu stored event(s) "
		    "(with the bureau-wide ones) while the journal loads", id,
		    sched_journal_count(cp->journal));
	cp->obs = xcalloc(cp->plan->count + 1, sizeof(*cp->obs));
	for (i = 0; i < cp->plan->count; i++)
		cp->obs[i] = i;
	return cp;
}

/*
 * Whatever plans the whole city first (a list, a feed, the reminders)
 * leaves its plan and index for every later centre; until then a centre
 * is planned alone, from its own events and the bureau-wide ones, which
 * gives the same obligations (sched_plan_centre) at a few microseconds
 * instead of seconds at 100,000 centres.
 */
int
state_plan_centre(struct ticd *t, const char *id, int until,
    struct centre_part *part)
{
	const struct centre_plan *cp;
	size_t			 k;

	memset(part, 0, sizeof(*part));
	if (until == SCHED_NO_DAY)
		until = t->today + HORIZON_DAYS;
	if (t->plan != NULL && t->plan->until == until) {
		part->plan = t->plan;
		k = strmap_get(&t->by_centre.centres, id);
		if (k == STRMAP_NONE)
			return -1;
		part->centre = &t->plan->centres[k];
		part->obs = &t->by_centre.obs[t->by_centre.start[k]];
		part->nobs = t->by_centre.start[k + 1] - t->by_centre.start[k];
		return 0;
	}
	cp = centre_plan(t, id, until);
	part->plan = cp->plan;
	if (cp->plan->ncentres == 0)
		return -1;
	part->centre = &cp->plan->centres[0];
	part->obs = cp->obs;
	part->nobs = cp->plan->count;
	return 0;
}

/* Called at least once a minute: a new day (midnight, a clock step, a
 * resume after suspend) changes states, so the plan is made again. */
void
state_tick(struct ticd *t)
{
	int	 today = state_today();
	char	 a[SCHED_DATE_LEN], b[SCHED_DATE_LEN];

	if (today == t->today)
		return;
	log_info("the day is now %s (was %s)", sched_date_format(today, a),
	    sched_date_format(t->today, b));
	t->today = today;
	state_invalidate(t);
}

/* ticd's ids: "ev-" and the row the event will take, unless taken. */
static char *
assign_id(struct ticd *t)
{
	long long	 n = t->next_seq + (long long)t->npending;
	char		*id = NULL;

	do {
		free(id);
		id = xasprintf("ev-%lld", n++);
	} while (sched_journal_find_id(t->journal, id) >= 0);
	return id;
}

static char *
event_json(const struct sched_event *ev)
{
	json_t	*obj = sched_event_to_json(ev);
	char	*s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(obj);
	if (s == NULL)
		fatalx("out of memory encoding an event");
	return s;
}

int
state_record(struct ticd *t, struct evhttp_request *req, json_t *obj,
    int *status, char **error)
{
	struct sched_event	*ev;
	struct pending		*p;

	load_finish(t);		/* checked against the whole journal */
	if ((ev = sched_event_from_json(obj, error)) == NULL) {
		*status = 422;
		return -1;
	}
	if (ev->id == NULL)
		ev->id = assign_id(t);
	if (sched_journal_add(t->journal, ev, t->rules, t->today, error) == -1) {
		sched_event_free(ev);
		*status = 422;
		return -1;
	}
	p = xcalloc(1, sizeof(*p));
	p->req = req;
	p->conn = evhttp_request_get_connection(req);
	p->id = xstrdup(ev->id);
	p->json = event_json(ev);
	p->recorded_at = state_timestamp();
	if (t->npending == t->cappending) {
		t->cappending = t->cappending ? t->cappending * 2 : 64;
		t->pending = xreallocarray(t->pending, t->cappending,
		    sizeof(*t->pending));
	}
	t->pending[t->npending++] = p;
	event_active(&t->commit_ev, EV_TIMEOUT, 0);
	return 0;
}

void
state_conn_closed(struct ticd *t, struct evhttp_connection *conn)
{
	size_t	 i;

	for (i = 0; i < t->npending; i++) {
		if (t->pending[i]->conn == conn)
			t->pending[i]->req = NULL;
	}
}

static void
pending_free(struct pending *p)
{
	free(p->id);
	free(p->json);
	free(p->recorded_at);
	free(p);
}

static void
reply_committed(struct ticd *t, struct pending *p)
{
	json_t	*body, *event;

	if (p->req == NULL)
		return;		/* the client left; the event is stored */
	event = json_loads(p->json, 0, NULL);
	body = json_pack("{s:s, s:I, s:s, s:o}", "id", p->id, "seq",
	    (json_int_t)p->seq, "recorded_at", p->recorded_at, "event", event);
	http_reply_json(t, p->req, 201, body);
}

/* What a client is told when its event could not be committed. */
static const char *
commit_failure(struct db *db)
{
	switch (db_last_failure(db)) {
	case DB_FAIL_FULL:
		return "磁盘已满，事件未保存，请腾出空间后重试 / the store's disk "
		    "is full: nothing was stored; try again once there is "
		    "space";
	case DB_FAIL_BUSY:
		return "数据库被其他进程锁定，事件未保存，请稍后重试 / the store is "
		    "locked by another process: nothing was stored; try "
		    "again";
	case DB_FAIL_OTHER:
		break;
	}
	return "数据库暂时无法写入，事件未保存，请稍后重试 / the store could not "
	    "commit; nothing was stored, try again";
}

void
state_commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ticd	*t = arg;
	struct db_event	*rows;
	size_t		 i, n = t->npending;
	char		*error = NULL;

	(void)fd;
	(void)what;
	if (n == 0)
		return;
	rows = xcalloc(n, sizeof(*rows));
	for (i = 0; i < n; i++) {
		rows[i].id = t->pending[i]->id;
		rows[i].json = t->pending[i]->json;
		rows[i].recorded_at = t->pending[i]->recorded_at;
	}
	if (db_append_events(t->db, rows, n, &error) == 0) {
		t->metrics.commits++;
		for (i = 0; i < n; i++) {
			t->pending[i]->seq = rows[i].seq;
			if (rows[i].seq >= t->next_seq)
				t->next_seq = rows[i].seq + 1;
			state_remember_stored(t, rows[i].seq,
			    rows[i].recorded_at);
		}
		state_invalidate(t);
		feeds_revised(t, time(NULL));
		remind_events_changed(t);
		log_debug("committed %zu event(s)", n);
		for (i = 0; i < n; i++)
			reply_committed(t, t->pending[i]);
	} else {
		log_warnx("storing %zu event(s) failed, none kept: %s", n,
		    error);
		/* The queued events are the newest of the journal. */
		for (i = n; i-- > 0;)
			sched_event_free(sched_journal_pop(t->journal));
		/* A plan built while they were queued would still show them. */
		state_invalidate(t);
		for (i = 0; i < n; i++) {
			if (t->pending[i]->req != NULL)
				http_reply_error(t, t->pending[i]->req, 503,
				    "unavailable", commit_failure(t->db));
		}
		free(error);
	}
	for (i = 0; i < n; i++)
		pending_free(t->pending[i]);
	t->npending = 0;
	free(rows);
}

/* The stored form of an imported event, with an id if it had none. */
static char *
import_json(const struct sched_journal *j, const struct sched_event *ev,
    size_t *next, char **id)
{
	json_t	*obj = sched_event_to_json(ev);
	char	*s;

	if (ev->id == NULL) {
		*id = NULL;
		do {
			free(*id);
			*id = xasprintf("ev-%zu", (*next)++);
		} while (sched_journal_find_id(j, *id) >= 0);
		json_object_set_new(obj, "id", json_string(*id));
	} else
		*id = xstrdup(ev->id);
	s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	return s;
}

/*
 * Loads a journal file into an empty store (make run's demo), all in one
 * transaction; the journal in memory is then read back from the store
 * (load.c), so that memory and disk agree.
 */
int
state_import(struct ticd *t, const char *path, char **error)
{
	struct sched_journal	*j;
	struct db_event		*rows;
	FILE			*f;
	size_t			 i, n, next = 1;
	char			*stamp;
	int			 rc;

	if (db_event_last_seq(t->db) != 0) {
		log_info("%s not imported: -i imports into an empty store "
		    "only, and this one has events", path);
		return 0;
	}
	if ((f = fopen(path, "r")) == NULL) {
		*error = xasprintf("%s: 无法打开 / cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	j = sched_journal_new();
	rc = conf_read_journal(f, path, j, t->rules, t->today, error);
	fclose(f);
	n = sched_journal_count(j);
	if (rc == -1 || n == 0) {
		sched_journal_free(j);
		return rc;
	}
	stamp = state_timestamp();
	rows = xcalloc(n, sizeof(*rows));
	for (i = 0; i < n; i++) {
		char	*id;

		rows[i].json = import_json(j, sched_journal_event(j, i), &next,
		    &id);
		rows[i].id = id;
		rows[i].recorded_at = stamp;
	}
	rc = db_append_events(t->db, rows, n, error);
	for (i = 0; i < n; i++) {
		free((char *)rows[i].json);
		free((char *)rows[i].id);
	}
	free(rows);
	free(stamp);
	sched_journal_free(j);
	if (rc == -1)
		return -1;
	log_info("imported %zu event(s) from %s", n, path);
	return 0;
}

/* No index of units: a walk, once per thing made or asked for. */
bool
state_plan_has_unit(const struct sched_plan *plan, const char *unit)
{
	size_t	 i;

	for (i = 0; i < plan->ncentres; i++)
		if (strcmp(plan->centres[i].unit, unit) == 0)
			return true;
	return false;
}

/*
 * The reply of a new token, contact, webhook target or feed, with a
 * "warning" when no registered centre answers to its scope: it is kept (a
 * unit may be set up before its first centre is registered), but it sees
 * or gets nothing until one does, and a typo would otherwise go unnoticed.
 */
json_t *
state_scope_warned(struct ticd *t, const char *kind, const char *scope,
    json_t *reply)
{
	bool	 centre;

	if (scope == NULL || strcmp(kind, "bureau") == 0)
		return reply;
	if ((centre = strcmp(kind, "centre") == 0)) {
		load_finish(t);	/* the registration may not be read yet */
		if (sched_journal_centre(t->journal, scope) != NULL)
			return reply;
	} else if (state_plan_has_unit(state_plan(t), scope))
		return reply;
	json_object_set_new(reply, "warning", centre ? json_sprintf("尚无登记"
	    "编号为 %s 的中心：登记之前，这里看不到、也收不到任何内容 / no "
	    "centre %s is registered (yet): nothing shows or goes here until "
	    "it is", scope, scope) : json_sprintf("尚无中心属于组织管理单位 "
	    "%s：有中心登记之前，这里看不到、也收不到任何内容 / no registered "
	    "centre has the unit %s (yet): nothing shows or goes here until "
	    "one does", scope, scope));
	return reply;
}
