/*
 * remind.c: when reminders are queued, and the daemon's side of delivery.
 *
 * One timer: at the configured time of day (Asia/Shanghai, from time())
 * the day's reminders are planned (sched_reminders) and queued in the
 * outbox; once the journal is loaded at start, what was missed while
 * ticd was down is queued too (sched_reminders_missed), from the day
 * after the last one planned, which the store remembers in the same
 * transaction as the messages.
 * The timer never sleeps more than a minute, so a clock that steps (or a
 * faked one) is followed.  Delivery itself is notify/'s.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "daemon/daemon.h"
#include "daemon/log.h"

#define REMIND_RECHECK	60	/* seconds the timer sleeps at most */
/* Seconds after a commit before today's reminders are planned again: a
 * burst of events costs one plan of the city, not one each; and at least
 * twenty times what the last one took (the city's plan holds the loop:
 * about 0.7 s for 10,000 centres), so that it costs 5% of the loop at
 * most. */
#define REMIND_TOPUP_SECONDS	10
#define REMIND_TOPUP_SHARE	20
#define META_DATES	"provisional_dates"	/* remind_dates_keep's */

/* Once the last send ends, the replies still due get this long. */
static const struct timeval drain_flush = { 0, 200000 };

/* ---- notify's hooks ---- */

static const struct sched_plan *
hook_plan(void *arg)
{
	struct ticd	*t = arg;

	state_tick(t);		/* the day may have turned since the tick */
	return state_plan(t);
}

static unsigned long long
hook_plan_generation(void *arg)
{
	return ((struct ticd *)arg)->plan_generation;
}

static const struct sched_rules *
hook_rules(void *arg)
{
	return ((struct ticd *)arg)->rules;
}

static const struct sched_calendar *
hook_calendar(void *arg)
{
	return ((struct ticd *)arg)->cal;
}

static void
hook_drained(void *arg)
{
	struct ticd	*t = arg;

	log_info("no message in flight any more: stopping");
	event_base_loopexit(t->base, &drain_flush);
}

static void
hook_log(void *arg, bool warning, const char *line)
{
	(void)arg;
	if (warning)
		log_warnx("%s", line);
	else
		log_info("%s", line);
}

/* ---- settings ---- */

/* The password file's first line; never logged. */
static int
read_password(const char *path, char **password, char **error)
{
	char	*text;
	size_t	 len;

	*password = NULL;
	if (path == NULL || *path == '\0')
		return 0;
	if (conf_read_file(path, &text, &len, error) == -1) {
		/* Which setting, and the usual cause under the unit. */
		text = *error;
		*error = xasprintf("[mail] password_file: %s（服务以专用用户运行："
		    "root 专有的文件请经 LoadCredential= 交给它）/ (the service "
		    "runs as a user of its own: hand it a root-only file with "
		    "LoadCredential=)", text);
		free(text);
		return -1;
	}
	text[strcspn(text, "\r\n")] = '\0';
	*password = xstrdup(text);
	explicit_bzero(text, len);
	free(text);
	return 0;
}

int
remind_mail_conf(const struct conf *c, struct notify_conf *nc, char **error)
{
	memset(nc, 0, sizeof(*nc));
	if (read_password(c->smtp_password_file, &nc->password, error) == -1)
		return -1;
	nc->smtp_url = xstrdup(c->smtp_url);
	nc->starttls = xstrdup(c->starttls);
	nc->username = xstrdup(c->smtp_username);
	nc->ca_file = xstrdup(c->smtp_ca_file);
	nc->from = xstrdup(c->mail_from);
	nc->from_name = xstrdup(c->mail_from_name);
	nc->spool_dir = conf_spool_dir(c);
	nc->timeout = c->smtp_timeout;
	nc->parallel = c->smtp_parallel;
	nc->webhook_allow_hosts = xstrdup(c->webhook_allow_hosts);
	nc->webhook_timeout = c->webhook_timeout;
	nc->webhook_parallel = c->webhook_parallel;
	nc->webhook_disable_days = c->webhook_disable_days;
	return 0;
}

/* ---- the timer ---- */

/* Minutes after midnight in Asia/Shanghai. */
static int
minute_of_day(time_t now)
{
	return (int)(state_seconds_of_day(now) / 60);
}

static void
arm(struct ticd *t, time_t now, int through)
{
	struct timeval	 tv = { REMIND_RECHECK, 0 };
	int		 today = state_today(), send = t->conf.remind_send_time;
	long		 secs_of_day = state_seconds_of_day(now);
	long		 wait;

	/* Today's time, or tomorrow's once today is planned. */
	wait = (long)send * 60 - secs_of_day;
	if (through >= today)
		wait += 86400;
	if (wait < REMIND_RECHECK)
		tv.tv_sec = wait > 0 ? wait : 0;
	evtimer_add(&t->remind_ev, &tv);
}

/* The last day planned, as the store remembers it; none: yesterday (a
 * first start sends nothing of the past), written down at once. */
static int
last_planned(struct ticd *t, int today, bool *first)
{
	char	*v = db_outbox_meta(t->db, NOTIFY_META_LAST_DAY);
	int	 day;

	*first = v == NULL || sched_date_parse(v, &day) == -1;
	free(v);
	return *first ? today - 1 : day;
}

/* Queues the sets; -1 when the store refused (logged).  A top-up says
 * nothing of recipients without a contact: the day's queueing did. */
static int
queue(struct ticd *t, const struct sched_reminders *const *sets,
    size_t nsets, int through, time_t now, bool topup)
{
	struct buf		 notes;
	struct outbox_queued	 queued;
	char			*error = NULL, d[SCHED_DATE_LEN], *line;
	char			*save = NULL;

	buf_init(&notes);
	if (outbox_queue(t->db, notify_get_conf(t->notify), sets, nsets,
	    t->rules, t->cal, through, now, &queued, topup ? NULL : &notes,
	    &error) == -1) {
		log_warnx("reminders through %s not queued (tried again in "
		    "%s): %s", sched_date_format(through, d), topup ?
		    "a while" : "a minute", error);
		free(error);
		buf_free(&notes);
		return -1;
	}
	for (line = notes.data ? strtok_r(notes.data, "\n", &save) : NULL;
	    line != NULL; line = strtok_r(NULL, "\n", &save))
		log_warnx("%s", line);
	buf_free(&notes);
	if (queued.count > 0) {
		log_info("%zu reminder message(s) queued, planned through %s",
		    queued.count, sched_date_format(through, d));
		notify_queued(t->notify, &queued);
		notify_kick(t->notify);
	}
	return 0;
}

/* Says once that the reminders of the days since "last" wait for the next
 * send_time on a working day. */
static void
missed_wait(struct ticd *t, int last)
{
	char	 d[SCHED_DATE_LEN];

	if (t->remind_waiting_said == last)
		return;
	t->remind_waiting_said = last;
	log_info("reminders missed since %s wait for %02d:%02d on a working "
	    "day", sched_date_format(last + 1, d),
	    t->conf.remind_send_time / 60, t->conf.remind_send_time % 60);
}

/*
 * The store says the reminders were planned through a day after today:
 * the clock was ahead (a machine started with a wrong clock, then set
 * right by NTP) and went back.  Waiting for that day to come again would
 * send nothing for weeks, without a word: today is planned again
 * instead, said once, loudly.  What went out while the clock was ahead
 * cannot be taken back.
 */
static int
clock_went_back(struct ticd *t, int last, int today)
{
	char	 a[SCHED_DATE_LEN], b[SCHED_DATE_LEN], *error = NULL;

	if (t->remind_back_said != last) {
		t->remind_back_said = last;
		log_warnx("reminders were planned through %s, after today %s: "
		    "the clock was ahead and went back; planning again from "
		    "today (check what was sent while it was ahead: ticctl "
		    "deliveries)", sched_date_format(last, a),
		    sched_date_format(today, b));
	}
	/* Written down, so that a restart before send_time does not find
	 * the future day again and say it again. */
	if (db_outbox_meta_put(t->db, NOTIFY_META_LAST_DAY,
	    sched_date_format(today - 1, a), &error) == -1) {
		log_warnx("remembering the last day planned: %s", error);
		free(error);
	}
	return today - 1;
}

/* Queues what is due now: missed days with today's, once its time has
 * come on a working day.  Idempotent: a day is planned once, a message
 * queued once. */
void
remind_check(struct ticd *t)
{
	const struct sched_reminders *sets[2] = { NULL, NULL };
	struct sched_reminders	*missed = NULL, *todays = NULL;
	time_t			 now = time(NULL);
	int			 today, through, last;
	bool			 first;

	if (t->stopping)
		return;
	state_tick(t);
	today = t->today;
	through = minute_of_day(now) >= t->conf.remind_send_time ?
	    today : today - 1;
	last = last_planned(t, today, &first);
	if (!first && last > today)
		last = clock_went_back(t, last, today);
	/* Missed days go out with a day's own messages, at send_time on a
	 * working day (docs/reminders.md): a start at 03:00 or on a Sunday
	 * sent them then, to every group and mailbox. */
	if (!first && last + 1 <= today - 1 && (through < today ||
	    !sched_calendar_is_working(t->cal, today))) {
		missed_wait(t, last);
		arm(t, now, through);
		return;
	}
	if (through > last || first) {
		const struct sched_plan *plan = state_plan(t);

		if (last + 1 <= today - 1)
			sets[0] = missed = sched_reminders_missed(plan, t->rules,
			    t->cal, last + 1, today, t->conf.remind_fold_after);
		if (through == today)
			sets[1] = todays = sched_reminders(plan, t->rules,
			    t->cal, today, today);
		(void)queue(t, sets, 2, through > last ? through : last, now,
		    false);
		sched_reminders_free(missed);
		sched_reminders_free(todays);
	}
	arm(t, now, through);
}

/*
 * What the holiday data says of each day ticd may count through, as a
 * short hex digest (FNV-1a over each day's working flag and provisional
 * year): equal digests, no date moved by it.  Written by hand: a digest
 * of a few thousand bytes of our own, not a secret.
 */
static void
calendar_fingerprint(const struct sched_calendar *cal, char *out,
    size_t len)
{
	uint64_t	 h = 14695981039346656037ULL;
	int		 day, v;

	for (day = sched_day(2024, 1, 1); day <= sched_day(2040, 12, 31);
	    day++) {
		v = sched_calendar_is_working(cal, day) ? 1 : 0;
		v |= sched_calendar_provisional_year(cal, day) << 1;
		h = (h ^ (uint64_t)v) * 1099511628211ULL;
	}
	snprintf(out, len, "%016llx", (unsigned long long)h);
}

/* The centres with an event stored after seq ({id: true}), or NULL when a
 * city-wide one was (a round, a retraction: anything may have moved). */
static json_t *
touched_since(struct ticd *t, json_int_t seq)
{
	const struct sched_event	*ev;
	json_t				*set = json_object();
	size_t				 i;

	for (i = t->nstored; i-- > 0 && t->stored[i].seq > seq;) {
		ev = sched_journal_event(t->journal, i);
		if (ev->centre == NULL) {
			json_decref(set);
			return NULL;
		}
		json_object_set_new(set, ev->centre, json_true());
	}
	return set;
}

/*
 * Holiday data can come with a restart as well as with a reload: an
 * upgrade ships next year's table, or an admin restarts instead of
 * reloading.  The provisional dates remembered before (at the last start,
 * reload or stop) are compared with this start's plan, and the moved ones
 * told as a reload tells them.  A store from before this knows none.
 */
static void
dates_moved_while_down(struct ticd *t)
{
	char		*text = db_outbox_meta(t->db, META_DATES), fp[32];
	const char	*was;
	json_t		*kept, *before, *touched;
	json_int_t	 seq;

	kept = text != NULL ? json_loads(text, 0, NULL) : NULL;
	free(text);
	calendar_fingerprint(t->cal, fp, sizeof(fp));
	/* The same holiday data: nothing moved by it (and the city is not
	 * planned at every start for nothing). */
	was = json_string_value(json_object_get(kept, "calendar"));
	if (was != NULL && strcmp(fp, was) == 0) {
		json_decref(kept);
		return;
	}
	before = json_object_get(kept, "dates");
	seq = json_integer_value(json_object_get(kept, "seq"));
	if (json_is_object(before) && (touched = touched_since(t,
	    seq)) != NULL) {
		/* A date an event recorded since the snapshot moved is not
		 * the holiday data's doing: not told as such. */
		remind_dates_moved(t, before, touched);
		json_decref(touched);
	}
	json_decref(kept);
	remind_dates_keep(t);
}

/* At the first reminder check after a start, or before a reload that
 * comes first (it would keep its own dates over the ones to compare). */
void
remind_dates_check_start(struct ticd *t)
{
	if (t->remind_dates_checked || t->stopping)
		return;
	t->remind_dates_checked = true;
	dates_moved_while_down(t);
}

/*
 * Today's reminders once more, after events recorded since they went: a
 * committee formed out of order at 10:00 makes its composition due today,
 * a reminder the morning's plan did not have; it went nowhere, and no
 * later start sent it late (the day was planned).  The outbox's keys make
 * it idempotent: a recipient that had its message today is not sent
 * another (the new item waits for its next reminder), one that had none
 * gets it now.
 */
static void
remind_topup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ticd		*t = arg;
	const struct sched_reminders *sets[1];
	struct sched_reminders	*todays;
	struct timespec		 start, end;
	bool			 first, failed;

	(void)fd;
	(void)what;
	if (t->stopping || t->notify == NULL)
		return;
	state_tick(t);
	if (last_planned(t, t->today, &first) != t->today || first ||
	    minute_of_day(time(NULL)) < t->conf.remind_send_time)
		return;
	clock_gettime(CLOCK_MONOTONIC, &start);
	sets[0] = todays = sched_reminders(state_plan(t), t->rules, t->cal,
	    t->today, t->today);
	failed = queue(t, sets, 1, t->today, time(NULL), true) == -1;
	sched_reminders_free(todays);
	clock_gettime(CLOCK_MONOTONIC, &end);
	t->remind_topup_wait = (long)(((double)(end.tv_sec - start.tv_sec) +
	    (double)(end.tv_nsec - start.tv_nsec) / 1e9) *
	    REMIND_TOPUP_SHARE) + 1;
	if (failed)
		remind_events_changed(t);
}

static void
remind_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ticd	*t = arg;

	(void)fd;
	(void)what;
	remind_dates_check_start(t);
	remind_check(t);
}

void
remind_start(struct ticd *t)
{
	static const struct timeval now = { 0, 0 };
	struct notify_hooks	 hooks = {
		.arg = t, .plan = hook_plan,
		.plan_generation = hook_plan_generation, .rules = hook_rules,
		.calendar = hook_calendar, .drained = hook_drained,
		.log = hook_log,
	};
	struct notify_conf	 nc;
	char			*error = NULL;

	if (remind_mail_conf(&t->conf, &nc, &error) == -1)
		fatalx("%s", error);
	if ((t->notify = notify_new(t->base, t->db, &hooks, &nc,
	    &error)) == NULL)
		fatalx("%s", error);
	log_info("reminders at %02d:%02d on working days; mail %s%s",
	    t->conf.remind_send_time / 60, t->conf.remind_send_time % 60,
	    *nc.smtp_url ? "by " : "to the spool ", *nc.smtp_url ?
	    nc.smtp_url : nc.spool_dir);
	notify_conf_clear(&nc);
	evtimer_assign(&t->remind_ev, t->base, remind_cb, t);
	evtimer_assign(&t->remind_topup_ev, t->base, remind_topup_cb, t);
	/* On the next turn of the loop, not inside whatever finished
	 * loading the journal: a catch-up plans the whole city. */
	evtimer_add(&t->remind_ev, &now);
}

/* ---- moved dates ---- */

static bool
open_provisional(const struct sched_obligation *o)
{
	return o->provisional && (o->state == SCHED_OPEN ||
	    o->state == SCHED_OVERDUE);
}

json_t *
remind_dates_snapshot(struct ticd *t)
{
	const struct sched_plan	*plan = state_plan(t);
	json_t			*before = json_object();
	size_t			 i;

	for (i = 0; i < plan->count; i++)
		if (open_provisional(&plan->obligations[i]))
			json_object_set_new(before, plan->obligations[i].key,
			    json_integer(plan->obligations[i].due));
	return before;
}

void
remind_dates_keep(struct ticd *t)
{
	json_t	*now;
	char	*text, *error = NULL, fp[32];

	calendar_fingerprint(t->cal, fp, sizeof(fp));
	now = json_pack("{s:s, s:I, s:o}", "calendar", fp, "seq",
	    (json_int_t)(t->nstored > 0 ? t->stored[t->nstored - 1].seq : 0),
	    "dates", remind_dates_snapshot(t));
	text = json_dumps(now, JSON_COMPACT | JSON_SORT_KEYS);
	if (text != NULL && db_outbox_meta_put(t->db, META_DATES, text,
	    &error) == -1) {
		log_warnx("remembering the provisional dates: %s", error);
		free(error);
	}
	free(text);
	json_decref(now);
}

void
remind_dates_moved(struct ticd *t, json_t *before, const json_t *skip)
{
	const struct sched_plan	*plan = state_plan(t);
	const struct sched_obligation *o;
	struct notice_moved	*moved;
	json_t			*was;
	size_t			 i, n = 0, queued = 0;
	char			*error = NULL;

	moved = xcalloc(json_object_size(before) + 1, sizeof(*moved));
	for (i = 0; i < plan->count && n < json_object_size(before); i++) {
		o = &plan->obligations[i];
		if ((o->state != SCHED_OPEN && o->state != SCHED_OVERDUE) ||
		    (skip != NULL && o->centre != NULL &&
		    json_object_get(skip, o->centre) != NULL) ||
		    (was = json_object_get(before, o->key)) == NULL ||
		    json_integer_value(was) == o->due)
			continue;
		moved[n].o = o;
		moved[n++].old_due = (int)json_integer_value(was);
	}
	if (n > 0 && notice_moved_queue(t->db, notify_get_conf(t->notify),
	    t->rules, moved, n, time(NULL), &queued, &error) == -1) {
		log_warnx("moved dates: the notices are not queued: %s", error);
		free(error);
	} else if (n > 0) {
		log_info("%zu provisional date(s) moved: %zu notice(s) queued",
		    n, queued);
		notify_kick(t->notify);
	}
	free(moved);
}

/* After a reload is in place: the time of day may have moved. */
void
remind_rearm(struct ticd *t)
{
	evtimer_del(&t->remind_ev);
	remind_check(t);
}

void
remind_events_changed(struct ticd *t)
{
	struct timeval	 tv = { REMIND_TOPUP_SECONDS, 0 };

	if (t->remind_topup_wait > tv.tv_sec)
		tv.tv_sec = (time_t)t->remind_topup_wait;
	/* Before the start's reminders are set up (an import), or once
	 * queued already: nothing to do. */
	if (t->notify == NULL || !event_initialized(&t->remind_topup_ev) ||
	    evtimer_pending(&t->remind_topup_ev, NULL))
		return;
	evtimer_add(&t->remind_topup_ev, &tv);
}

void
remind_stop(struct ticd *t)
{
	if (event_initialized(&t->remind_ev))
		evtimer_del(&t->remind_ev);
	if (event_initialized(&t->remind_topup_ev))
		evtimer_del(&t->remind_topup_ev);
}
