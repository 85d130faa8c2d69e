/*
 * deliver.c: the delivery engine: walks the outbox and sends what is due.
 *
 * After OpenSMTPD's runq: the store's rows are the truth and the engine
 * keeps only one timer, armed for the earliest next attempt (at most a
 * minute ahead, so a clock step or a suspended machine is noticed), and
 * the rows in flight.  Each attempt is written to the store before it
 * starts (state sending, attempts + 1) and after it ends (sent, retrying
 * with the next time, dead, or dropped), so a crash loses nothing and
 * re-sends at most what was in flight, with the same bytes.
 *
 * A webhook row ("webhook:ID", hook.c) goes the same way with three
 * differences: it waits, without an attempt counted, while its robot's
 * pace says not yet; a robot message split in parts goes part by part,
 * each part written down as it goes (the row pending until the last);
 * and a throttling answer is retried no sooner than it asked.
 */
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event_struct.h>

#include "common/common.h"
#include "notify/notify-int.h"

#define DUE_BATCH	128	/* rows read from the store at a time */
#define RECHECK_SECONDS	60	/* the longest the timer sleeps */
#define RUN_ROUNDS	16	/* batches per wake-up, at most */
#define FLUSH_MS	10	/* the longest a result waits to be stored */
#define REWRITE_SECONDS	5	/* a write that failed is tried again */
#define FRESH_MAX	16	/* spans of rows queued under the current plan */

/*
 * A state written later, with others, in one transaction: a sync per
 * batch rather than two per message (sqlite with synchronous=full syncs
 * on every commit).  "sending" is flushed before any of the batch's
 * transfers starts; results once a wave of them is waiting (settle()), so
 * a crash in between leaves the row "sending", sent again with the same
 * Message-ID, as a crash mid-send.
 */
struct later {
	long long		 id;
	enum db_outbox_state	 state;
	int			 attempts;
	long long		 next;
	char			*error;
	char			*response;
	char			*when;
	struct kept_notice	*notice;	/* queued with a dead state */
};

/*
 * The bureau's notice of a dead row, as dead_notice builds it: p.row is
 * what is queued.  A mail's strings are p's (p.row points into p's
 * arrays, so it never moves); a webhook's are h's, but for its creation
 * time, which is "when".  When the store refuses the dead state and its
 * notice, both are kept for the later write: the notice was lost while
 * an admin's sqlite3 shell held the lock.
 */
struct kept_notice {
	struct notice_row	 p;
	struct hook_row		 h;
	char			*when;
};

/* dead_notice clears both first, so both can be freed. */
static void
kept_notice_free(struct kept_notice *k)
{
	if (k == NULL)
		return;
	notice_row_free(&k->p);
	hook_row_free(&k->h);
	free(k->when);
	free(k);
}

/* A row being sent: what the engine owns of it until the attempt ends. */
struct delivery {
	TAILQ_ENTRY(delivery)	 entry;
	struct notify		*n;
	long long		 id;
	int			 attempts;
	char			*idem;
	char			*recipient;
	char			*day;
	char			*body;
	size_t			 len;
	char			**rcpt;
	size_t			 nrcpt;
	/* Webhooks: the target, the state it was in, the parts gone. */
	bool			 webhook;
	long long		 target;
	enum db_outbox_state	 state;
	char			*message_id;
	int			 parts_sent;
	long long		 place;		/* in its robot's pace, or -1 */
	unsigned long long	 plan_gen;	/* the plan it was last looked
						 * at against */
	struct hook_attempt	*ha;
};

struct notify {
	struct event_base	*base;
	struct db		*db;
	struct notify_hooks	 hooks;
	struct notify_conf	 conf;
	struct mailer		*mailer;
	struct hook_engine	*hooks_engine;
	struct event		 due_ev;
	struct event		 kick_ev;
	struct event		 flush_ev;	/* FLUSH_MS after a result, or
						 * REWRITE_SECONDS after a
						 * failed write */
	TAILQ_HEAD(, delivery)	 inflight;
	size_t			 ninflight;
	size_t			 nmail;		/* of them, mail */
	TAILQ_HEAD(, delivery)	 ready;		/* "sending" stored, not begun */
	size_t			 nready;
	size_t			 nready_mail;	/* of them, mail */
	bool			 starting;	/* in start_ready() */
	struct outbox_index	 index;
	struct notify_stats	 stats;
	struct later		*later;		/* states not yet written */
	size_t			 nlater, later_cap;
	size_t			 mail_unwritten; /* mail answered, among them */
	/* Writes refused in a row (an admin's sqlite3 shell holding the
	 * store's lock): the first is said, the rest when it ends. */
	unsigned long		 write_failures;
	/*
	 * The rows outbox_queue made from the plan of generation fresh_gen
	 * (notify_queued).  Their last look would find each item as it was
	 * queued, so it is skipped: it parsed every row's items and looked
	 * each up, about a seventh of the loop's time a post in issue 6's
	 * burst.  A new generation empties it: those rows are looked at.
	 */
	struct fresh_span {
		long long	 first, last;
	}			 fresh[FRESH_MAX];
	size_t			 nfresh;
	unsigned long long	 fresh_gen;
	bool			 stopping;
	bool			 freeing;	/* in notify_free */
};

static void	 run(struct notify *);

void
notify_say(void (*log)(void *, bool, const char *), void *arg, bool warning,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*line;

	if (log == NULL)
		return;
	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	log(arg, warning, line);
	free(line);
}

/* A line to the daemon's log, through its hook. */
#define say(n, warning, ...) \
	notify_say((n)->hooks.log, (n)->hooks.arg, (warning), __VA_ARGS__)

static char *
now_stamp(time_t t)
{
	struct tm	 tm;
	time_t		 local = t + 8 * 3600;
	char		 buf[40];

	gmtime_r(&local, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+08:00", &tm);
	return xstrdup(buf);
}

/* ---- settings ---- */

static char *
dup_or_empty(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

void
notify_conf_copy(struct notify_conf *to, const struct notify_conf *from)
{
	to->smtp_url = dup_or_empty(from->smtp_url);
	to->starttls = dup_or_empty(from->starttls);
	to->username = dup_or_empty(from->username);
	to->password = from->password != NULL ? xstrdup(from->password) : NULL;
	to->ca_file = dup_or_empty(from->ca_file);
	to->from = dup_or_empty(from->from);
	to->from_name = dup_or_empty(from->from_name);
	to->spool_dir = dup_or_empty(from->spool_dir);
	to->timeout = from->timeout > 0 ? from->timeout : 60;
	to->parallel = from->parallel > 0 ? from->parallel : 1;
	to->webhook_allow_hosts = dup_or_empty(from->webhook_allow_hosts);
	to->webhook_timeout = from->webhook_timeout > 0 ?
	    from->webhook_timeout : 10;
	to->webhook_parallel = from->webhook_parallel > 0 ?
	    from->webhook_parallel : 1;
	to->webhook_disable_days = from->webhook_disable_days > 0 ?
	    from->webhook_disable_days : 3;
}

/*
 * Deliveries under way at once: mail's parallel, and webhooks' several
 * times theirs.  The webhook thread posts at most webhook_parallel at once
 * (post.c) and keeps the rest waiting, in order: so it keeps posting while
 * this loop stores a batch's states (a commit waits for the disk), instead
 * of running dry after each wave.  The mail thread would queue mail beyond
 * parallel in curl, where a message's timeout runs while it waits, and a
 * crash would repeat every message it had sent meanwhile: so no more.
 */
#define HOOK_QUEUE	4

static size_t
mail_room(const struct notify *n)
{
	return (size_t)n->conf.parallel;
}

static size_t
hook_room(const struct notify *n)
{
	return HOOK_QUEUE * (size_t)n->conf.webhook_parallel;
}

/*
 * Mail on the wire and mail answered but not yet written together stay
 * within parallel: a slot is taken again only once the last result in it
 * is on disk, so a crash re-sends at most parallel messages.  (Started
 * at once, the next message went out before the commit of the one before,
 * and a kill -9 in a burst repeated six with parallel = 4.)
 */
static bool
mail_has_room(const struct notify *n)
{
	return n->nmail + n->mail_unwritten < mail_room(n);
}

static bool
hook_has_room(const struct notify *n)
{
	return n->ninflight - n->nmail < hook_room(n);
}

static size_t
capacity(const struct notify *n)
{
	return mail_room(n) + hook_room(n);
}

/* Whether d's kind has room for one more under way. */
static bool
has_room(const struct notify *n, const struct delivery *d)
{
	return d->webhook ? hook_has_room(n) : mail_has_room(n);
}

/*
 * Rows marked "sending" ahead of their transfer: twice as many as go at
 * once, fetched again when fewer than capacity() are left, so that one
 * commit marks many rows and a transfer that ends is followed at once by
 * the next (already on disk as sending).  A crash puts them back to
 * pending like the rows in flight; they had not gone, so no reader gets
 * them twice.
 */
static size_t
lookahead(const struct notify *n)
{
	return 2 * capacity(n);
}

/* Results stored together: a wave of webhook transfers (the most that go
 * to one host at once), at most FLUSH_MS after the first of them. */
static size_t
flush_rows(const struct notify *n)
{
	return (size_t)n->conf.webhook_parallel;
}

void
notify_conf_clear(struct notify_conf *c)
{
	free(c->smtp_url);
	free(c->starttls);
	free(c->username);
	if (c->password != NULL)	/* a secret: not left in freed memory */
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c->ca_file);
	free(c->from);
	free(c->from_name);
	free(c->spool_dir);
	free(c->webhook_allow_hosts);
	memset(c, 0, sizeof(*c));
}

void
notify_set_conf(struct notify *n, const struct notify_conf *c)
{
	notify_conf_clear(&n->conf);
	notify_conf_copy(&n->conf, c);
	mailer_set_conf(n->mailer, &n->conf);
	hook_engine_conf(n->hooks_engine, &n->conf);
	notify_kick(n);
}

const struct notify_conf *
notify_get_conf(const struct notify *n)
{
	return &n->conf;
}

/* ---- one attempt ---- */

static void
delivery_free(struct delivery *d)
{
	size_t	 i;

	for (i = 0; i < d->nrcpt; i++)
		free(d->rcpt[i]);
	free(d->rcpt);
	free(d->idem);
	free(d->message_id);
	free(d->recipient);
	free(d->day);
	free(d->body);
	free(d);
}

/* Writes a row's new state; a failure is logged (the row stays as it was
 * and is looked at again). */
static void
write_state(struct notify *n, long long id, enum db_outbox_state state,
    int attempts, long long next, const char *error, const char *response)
{
	struct db_outbox	 r;
	char			*why = NULL, *when = now_stamp(time(NULL));

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.state = state;
	r.attempts = attempts;
	r.next_attempt = next;
	r.last_error = error;
	r.last_response = response;
	r.updated_at = when;
	if (db_outbox_update(n->db, &r, &why) == -1) {
		say(n, true, "outbox row %lld: %s", id, why);
		free(why);
	}
	free(when);
}

static void
write_later(struct notify *n, long long id, enum db_outbox_state state,
    int attempts, long long next, const char *error, const char *response)
{
	struct later	*l;

	if (n->nlater == n->later_cap) {
		n->later_cap = n->later_cap ? n->later_cap * 2 : 16;
		n->later = xreallocarray(n->later, n->later_cap,
		    sizeof(*n->later));
	}
	l = &n->later[n->nlater++];
	l->id = id;
	l->state = state;
	l->attempts = attempts;
	l->next = next;
	l->error = error != NULL ? xstrdup(error) : NULL;
	l->response = response != NULL ? xstrdup(response) : NULL;
	l->when = now_stamp(time(NULL));
	l->notice = NULL;
}

/* Forgets the states kept from index "from" on. */
static void
later_drop(struct notify *n, size_t from)
{
	while (n->nlater > from) {
		n->nlater--;
		free(n->later[n->nlater].error);
		free(n->later[n->nlater].response);
		free(n->later[n->nlater].when);
		kept_notice_free(n->later[n->nlater].notice);
	}
}

static bool
same_text(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* Whether two kept states write the same columns (rows apart). */
static bool
later_alike(const struct later *a, const struct later *b)
{
	return a->notice == NULL && b->notice == NULL &&
	    a->state == b->state && a->attempts == b->attempts &&
	    a->next == b->next && same_text(a->error, b->error) &&
	    same_text(a->response, b->response) && same_text(a->when, b->when);
}

/*
 * The kept states from l[0] on that are alike, max at most, written inside
 * the caller's transaction: one statement for all of them (a batch marks
 * dozens of rows sending, or sent with the same answer in the same
 * second; measured alone, two updates a post cost 20-22 µs of CPU row by
 * row and 15.5-20 µs grouped).  How many were written, or -1 with *why.
 */
static ssize_t
later_write(struct notify *n, const struct later *l, size_t max, char **why)
{
	struct db_outbox	 r;
	long long		*ids;
	size_t			 i, k;
	int			 rc;

	memset(&r, 0, sizeof(r));
	r.id = l->id;
	r.state = l->state;
	r.attempts = l->attempts;
	r.next_attempt = l->next;
	r.last_error = l->error;
	r.last_response = l->response;
	r.updated_at = l->when;
	if (l->notice != NULL)
		return db_outbox_update_queue(n->db, &r, &l->notice->p.row, 1,
		    why) == -1 ? -1 : 1;
	for (k = 1; k < max && later_alike(&l[0], &l[k]); k++)
		;
	if (k == 1)
		return db_outbox_update(n->db, &r, why) == -1 ? -1 : 1;
	ids = xreallocarray(NULL, k, sizeof(*ids));
	for (i = 0; i < k; i++)
		ids[i] = l[i].id;
	rc = db_outbox_update_ids(n->db, &r, ids, k, why);
	free(ids);
	return rc == -1 ? -1 : (ssize_t)k;
}

/* The states kept for later and the webhook targets' successes (hook.c),
 * written inside the caller's transaction; -1 with *why (the caller rolls
 * back, and all of it is kept for the next try). */
static int
later_store(struct notify *n, char **why)
{
	size_t	 i;
	ssize_t	 k;

	if (hook_dirty(n->hooks_engine) && hook_flush(n->hooks_engine,
	    why) == -1)
		return -1;
	for (i = 0; i < n->nlater; i += (size_t)k)
		if ((k = later_write(n, &n->later[i], n->nlater - i, why)) ==
		    -1)
			return -1;
	return 0;
}

/* The bureau's notices stored with their dead rows' states, said, and
 * a turn asked for to send them (nothing else may be due to bring one). */
static void
later_told(struct notify *n)
{
	size_t	 i;

	for (i = 0; i < n->nlater; i++)
		if (n->later[i].notice != NULL &&
		    n->later[i].notice->p.row.id != 0) {
			say(n, false, "outbox %lld: the bureau is told (outbox "
			    "%lld)", n->later[i].id,
			    n->later[i].notice->p.row.id);
			notify_kick(n);
		}
}

/*
 * Writes what later_store writes and commits the caller's transaction
 * (begun with db_begin); then what was written is forgotten.  -1 with
 * *why, rolled back, all of it kept for the next try.
 */
static int
later_commit(struct notify *n, char **why)
{
	if (later_store(n, why) == -1) {
		db_rollback(n->db);
		return -1;
	}
	if (db_commit(n->db, why) == -1)
		return -1;
	hook_flushed(n->hooks_engine);
	later_told(n);
	later_drop(n, 0);
	n->mail_unwritten = 0;
	evtimer_del(&n->flush_ev);
	if (n->write_failures > 0)
		say(n, false, "outbox: the store takes writes again (%lu "
		    "tries refused)", n->write_failures);
	n->write_failures = 0;
	return 0;
}

/* A write that failed: said once until one succeeds (it is tried again
 * every REWRITE_SECONDS), and nothing lost (kept, or still in the store
 * as it was). */
static void
later_failed(struct notify *n, char *why)
{
	if (n->write_failures++ == 0)
		say(n, true, "outbox: %zu state(s) not written yet, tried "
		    "again every %d s: %s", n->nlater, REWRITE_SECONDS, why);
	free(why);
}

/*
 * The states kept for later in a transaction of their own: one sync for
 * whatever came back in a turn of the loop.  0, or -1 (logged; all of it
 * is kept for the next try).
 */
static int
flush_later(struct notify *n)
{
	char	*why = NULL;

	if (n->nlater == 0 && !hook_dirty(n->hooks_engine))
		return 0;
	if (db_begin(n->db, &why) == -1 || later_commit(n, &why) == -1) {
		later_failed(n, why);
		return -1;
	}
	return 0;
}

/*
 * The bureau's notice of a dead row, in p->row: a mail's own (who, which
 * day, why, how to redeliver); a webhook post's, its target's one notice
 * of its failure streak (hook.c).  0, 1 none, -1 with *why.
 */
static int
dead_notice(struct notify *n, struct delivery *d, time_t now,
    const char *reason, const char *created, struct notice_row *p,
    struct hook_row *h, char **why)
{
	char			*who = outbox_recipient_cn(d->recipient,
				    n->hooks.plan(n->hooks.arg));
	struct notice_dead	 nd = { .id = d->id, .idem = d->idem,
				    .recipient = d->recipient, .who = who,
				    .day = d->day,
				    .rcpt = (const char *const *)d->rcpt,
				    .nrcpt = d->nrcpt, .reason = reason };
	struct hook_dead	 hd = { .target = d->target, .row = d->id,
				    .recipient = who, .day = d->day,
				    .reason = reason };
	int			 rc;

	memset(p, 0, sizeof(*p));
	memset(h, 0, sizeof(*h));
	if (!d->webhook)
		rc = notice_dead_row(n->db, &n->conf, &nd, now, p, why);
	else if ((rc = hook_dead_notice(n->hooks_engine, &hd, now, created, h,
	    why)) == 0)
		p->row = h->row;
	free(who);
	return rc;
}

/*
 * A message dead: its state and the bureau's notice in one transaction.
 * Without a notice to queue, or when it cannot be built, the state alone
 * is written.
 */
static void
go_dead(struct notify *n, struct delivery *d, time_t now, const char *error,
    const char *response)
{
	struct kept_notice	*k = xcalloc(1, sizeof(*k));
	struct db_outbox	 r;
	char			*why = NULL, *when;
	int			 rc;

	when = k->when = now_stamp(now);
	rc = dead_notice(n, d, now, error != NULL ? error : response != NULL ?
	    response : "?", when, &k->p, &k->h, &why);
	if (rc == -1) {
		say(n, true, "outbox %lld: no notice to the bureau: %s", d->id,
		    why);
		free(why);
		why = NULL;
	} else if (rc == NOTICE_NOBODY)
		say(n, true, "outbox %lld: the bureau cannot be told: no "
		    "bureau contact has an address mail can go to (ticctl "
		    "contacts)", d->id);
	memset(&r, 0, sizeof(r));
	r.id = d->id;
	r.state = DB_OUT_DEAD;
	r.attempts = d->attempts;
	r.next_attempt = (long long)now;
	r.last_error = error;
	r.last_response = response;
	r.updated_at = when;
	if (db_outbox_update_queue(n->db, &r, &k->p.row, rc == 0 ? 1 : 0,
	    &why) == -1) {
		/* Kept for the turn's write, retried until the store takes
		 * it: left "sending", the row was stuck until a restart, and
		 * then sent again; the notice, dropped, never went. */
		say(n, true, "outbox %lld dead, kept to be written again%s: "
		    "%s", d->id, rc == 0 ? " with the bureau's notice" : "",
		    why);
		free(why);
		write_later(n, d->id, DB_OUT_DEAD, d->attempts,
		    (long long)now, error, response);
		if (rc == 0) {
			n->later[n->nlater - 1].notice = k;
			k = NULL;
		}
	} else if (rc == 0 && k->p.row.id != 0)
		say(n, false, "outbox %lld: the bureau is told (outbox %lld)",
		    d->id, k->p.row.id);
	kept_notice_free(k);
}

static void	 start_ready(struct notify *);

/* An attempt is over and its row's state kept: the delivery goes, the
 * next row already marked sending takes its place, and the next turn
 * writes the states and fetches more. */
static void
finished(struct delivery *d)
{
	struct notify	*n = d->n;

	TAILQ_REMOVE(&n->inflight, d, entry);
	n->ninflight--;
	if (!d->webhook)
		n->nmail--;
	delivery_free(d);
	if (n->freeing)
		return;		/* notify_free writes and frees the rest */
	if (n->stopping) {
		if (n->ninflight == 0)
			(void)flush_later(n);
		if (n->ninflight == 0 && n->hooks.drained != NULL)
			n->hooks.drained(n->hooks.arg);
	} else {
		start_ready(n);
		notify_kick(n);
	}
}

/* How an attempt ended: the row's next state, the log, the counters. */
static void
finish(struct delivery *d, enum notify_outcome outcome, const char *error,
    const char *response)
{
	struct notify	*n = d->n;
	time_t		 now = time(NULL);
	long		 delay = -1;

	if (outcome == NOTIFY_RETRY)
		delay = notify_backoff(d->attempts, arc4random());
	/* Its slot is free again only once this is on disk (has_room); a
	 * file in the spool is written again under the same name. */
	if (!d->webhook && *n->conf.smtp_url != '\0' &&
	    (outcome == NOTIFY_SENT || delay >= 0))
		n->mail_unwritten++;
	if (outcome == NOTIFY_SENT) {
		n->stats.sent++;
		write_later(n, d->id, DB_OUT_SENT, d->attempts, (long long)now,
		    NULL, response);
		say(n, false, "outbox %lld (%s, %s) sent: %s", d->id,
		    d->recipient, d->day, response ? response : "ok");
	} else if (delay >= 0) {
		n->stats.retried++;
		write_later(n, d->id, DB_OUT_RETRYING, d->attempts,
		    (long long)now + delay, error, response);
		say(n, true, "outbox %lld (%s, %s) attempt %d failed, again in "
		    "%ld s: %s", d->id, d->recipient, d->day, d->attempts, delay,
		    error);
	} else {
		n->stats.failed++;
		go_dead(n, d, now, error, response);
		say(n, true, "outbox %lld (%s, %s) dead after %d attempt(s), "
		    "see ticctl deliveries: %s", d->id, d->recipient, d->day,
		    d->attempts, error);
	}
	finished(d);
}

/* The mail thread's result, on the daemon's loop. */
static void
mail_done(enum notify_outcome outcome, const char *error,
    const char *response, void *arg)
{
	finish(arg, outcome, error, response);
}

/* How a webhook attempt ended.  A part delivered with parts left waits
 * for the pace (pending, its attempts forgiven: the failures counted are
 * the current part's); a throttled one waits as long as it was asked,
 * and at least the schedule's delay. */
static void
hook_finish(struct delivery *d, const struct hook_result *r)
{
	struct notify	*n = d->n;
	time_t		 now = time(NULL);
	long		 delay;

	switch (r->verdict) {
	case NOTIFY_ANSWER_SENT:
		if (r->parts_sent < r->parts) {
			write_later(n, d->id, DB_OUT_PENDING, 0,
			    (r->next_ms + 999) / 1000, NULL, r->response);
			say(n, false, "outbox %lld (%s, %s) part %d of %d sent",
			    d->id, d->recipient, d->day, r->parts_sent,
			    r->parts);
			finished(d);
			return;
		}
		finish(d, NOTIFY_SENT, NULL, r->response ? r->response :
		    "HTTP 2xx");
		return;
	case NOTIFY_ANSWER_RETRY:
	case NOTIFY_ANSWER_THROTTLED:
		delay = notify_backoff(d->attempts, arc4random());
		if (delay < 0)
			break;
		if (r->retry_after > delay)
			delay = r->retry_after;
		n->stats.retried++;
		write_later(n, d->id, DB_OUT_RETRYING, d->attempts,
		    (long long)now + delay, r->why, r->response);
		say(n, true, "outbox %lld (%s, %s) attempt %d %s, again in %ld "
		    "s: %s", d->id, d->recipient, d->day, d->attempts,
		    r->verdict == NOTIFY_ANSWER_THROTTLED ? "throttled" :
		    "failed", delay, r->why);
		finished(d);
		return;
	default:
		break;
	}
	finish(d, NOTIFY_FAILED, r->why, r->response);
}

static void
hook_done(struct hook_result *r, void *arg)
{
	struct delivery	*d = arg;

	d->ha = NULL;
	hook_finish(d, r);
}

static int
fsync_dir(const char *dir)
{
	int	 fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* The spool: the same bytes as a file a person can open.  Written under
 * a temporary name and renamed, so a reader never sees half a message;
 * a second attempt overwrites the first. */
static int
spool_write(const struct notify_conf *c, const struct delivery *d,
    char **error)
{
	char	*tmp, *path;
	int	 fd, rc = -1;
	size_t	 off = 0;
	ssize_t	 w;

	if (mkdir(c->spool_dir, 0750) == -1 && errno != EEXIST) {
		*error = xasprintf("%s: %s", c->spool_dir, strerror(errno));
		return -1;
	}
	tmp = xasprintf("%s/.%lld.tmp", c->spool_dir, d->id);
	path = xasprintf("%s/%s-%06lld.eml", c->spool_dir, d->day, d->id);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0640)) == -1) {
		*error = xasprintf("%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < d->len) {
		if ((w = write(fd, d->body + off, d->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	if (off != d->len || fsync(fd) == -1) {
		*error = xasprintf("%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) == -1) {
		*error = xasprintf("%s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) == -1) {
		*error = xasprintf("%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* The rename itself made durable before the row says "sent". */
	if (fsync_dir(c->spool_dir) == -1) {
		*error = xasprintf("%s: %s", c->spool_dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(path);
	return rc;
}

/* Whether row id was queued from the plan as it still is: the plan's
 * generation read after hooks.plan (which may have turned the day). */
static bool
queued_from_this_plan(struct notify *n, long long id)
{
	size_t	 i;

	if (n->nfresh == 0 || n->hooks.plan_generation(n->hooks.arg) !=
	    n->fresh_gen)
		return false;
	for (i = 0; i < n->nfresh; i++)
		if (id >= n->fresh[i].first && id <= n->fresh[i].last)
			return true;
	return false;
}

void
notify_queued(struct notify *n, const struct outbox_queued *q)
{
	unsigned long long	 gen;

	if (n == NULL || q->count == 0 || n->hooks.plan_generation == NULL)
		return;
	gen = n->hooks.plan_generation(n->hooks.arg);
	if (gen != n->fresh_gen)
		n->nfresh = 0;
	n->fresh_gen = gen;
	/* Full: the oldest span goes (its rows are looked at as before). */
	if (n->nfresh == FRESH_MAX)
		memmove(&n->fresh[0], &n->fresh[1], --n->nfresh *
		    sizeof(n->fresh[0]));
	n->fresh[n->nfresh].first = q->first;
	n->fresh[n->nfresh++].last = q->last;
}

/* What the engine copies of a row read from the store. */
struct fetched {
	struct notify		*n;
	struct delivery		*d;
	enum outbox_check	 verdict;
	char			*items;		/* rebuilt */
	char			*why;
	char			*error;
};

/*
 * The row's addresses; -1 unless its JSON is an array of objects each with
 * a string "email".  ticd writes nothing else, but a row edited by hand
 * once stopped ticd at every start (an element without "email"): such a
 * row now goes dead, and the bureau is told.
 */
static int
rcpt_list(struct delivery *d, const char *json)
{
	json_t		*a = json_loads(json, 0, NULL), *v;
	const char	*email;
	size_t		 i;
	int		 rc = 0;

	if (!json_is_array(a)) {
		json_decref(a);
		return -1;
	}
	d->rcpt = xcalloc(json_array_size(a) + 1, sizeof(*d->rcpt));
	json_array_foreach(a, i, v) {
		if ((email = json_string_value(json_object_get(v,
		    "email"))) == NULL) {
			rc = -1;
			break;
		}
		d->rcpt[d->nrcpt++] = xstrdup(email);
	}
	json_decref(a);
	return rc;
}

static unsigned long long
plan_generation(struct notify *n)
{
	return n->hooks.plan_generation != NULL ?
	    n->hooks.plan_generation(n->hooks.arg) : 0;
}

static int
fetch_cb(const struct db_outbox *row, void *arg)
{
	struct fetched		*f = arg;
	struct notify		*n = f->n;
	struct delivery		*d = xcalloc(1, sizeof(*d));
	const struct sched_plan	*plan;
	char			*body = NULL;
	size_t			 len = 0;

	d->n = n;
	d->id = row->id;
	d->attempts = row->attempts;
	d->idem = xstrdup(row->idem != NULL ? row->idem : "");
	d->recipient = xstrdup(row->recipient);
	d->day = xstrdup(row->day);
	d->state = row->state;
	d->message_id = xstrdup(row->message_id);
	d->parts_sent = row->parts_sent;
	d->place = -1;
	d->plan_gen = plan_generation(n);
	d->webhook = hook_channel(row->channel, &d->target);
	f->d = d;
	if (!d->webhook && rcpt_list(d, row->rcpt) == -1) {
		f->error = xstrdup("收件人列表无法读取 / the recipients cannot be "
		    "read");
		return 0;
	}
	/* The current plan decides: a closed obligation is not reminded. */
	plan = n->hooks.plan(n->hooks.arg);
	if (queued_from_this_plan(n, row->id))
		f->verdict = OUTBOX_SEND;
	else if (outbox_check(row, &n->conf, &n->index, plan,
	    n->hooks.rules(n->hooks.arg), n->hooks.calendar(n->hooks.arg),
	    &f->verdict, &f->items, &body, &len, &f->why, &f->error) == -1)
		return 0;
	/* A robot's message some parts of which went: the rest goes as it
	 * was built.  Made again, it would be split again and posted from
	 * its first part, the group getting what it had (and, on a deadline
	 * day with items closing every minute, again each minute). */
	if (f->verdict == OUTBOX_REBUILT && d->webhook && d->parts_sent > 0) {
		free(body);
		body = NULL;
		free(f->items);
		f->items = NULL;
		free(f->why);
		f->why = NULL;
		f->verdict = OUTBOX_SEND;
	}
	if (f->verdict == OUTBOX_REBUILT) {
		d->body = body;
		d->len = len;
	} else {
		d->body = xmalloc(row->body_len + 1);
		memcpy(d->body, row->body, row->body_len);
		d->len = row->body_len;
	}
	return 0;
}

static void
start_transfer(struct notify *n, struct delivery *d)
{
	char	*error = NULL;

	TAILQ_INSERT_TAIL(&n->inflight, d, entry);
	n->ninflight++;
	if (!d->webhook)
		n->nmail++;
	if (d->webhook) {
		struct hook_result	 r;

		d->ha = hook_send(n->hooks_engine, d->id, d->target,
		    d->message_id, d->body, d->len, d->parts_sent, d->place,
		    hook_done, d, &r);
		if (d->ha == NULL) {
			hook_finish(d, &r);
			free(r.why);
			free(r.response);
		}
		return;
	}
	if (*n->conf.smtp_url == '\0') {
		if (spool_write(&n->conf, d, &error) == 0)
			finish(d, NOTIFY_SENT, NULL, "spool");
		else
			finish(d, NOTIFY_RETRY, error, NULL);
	} else if (d->nrcpt == 0) {
		finish(d, NOTIFY_FAILED, "没有收件地址（排队时未配置 SMTP）/ no "
		    "address: queued while mail went to the spool", NULL);
	} else	/* The delivery keeps its bytes and addresses until then. */
		mailer_send(n->mailer, (const char *const *)d->rcpt, d->nrcpt,
		    d->body, d->len, mail_done, d);
	free(error);
}

/*
 * Whether a webhook row must wait for its target's pace; if so its next
 * attempt is moved (its state and attempts kept).
 */
static bool
paced(struct notify *n, struct delivery *d)
{
	struct timespec	 ts;
	long long	 now, at;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	/* Let go, it takes its place in the pace at once: a batch holds
	 * many rows for one robot (centres sharing a unit's group), and
	 * each would otherwise see the pace as the last post left it. */
	if ((at = hook_pace_claim(n->hooks_engine, d->target, now,
	    &d->place)) <= now)
		return false;
	write_state(n, d->id, d->state, d->attempts, (at + 999) / 1000,
	    "按机器人的频率限制等待 / waiting for the robot's rate limit", NULL);
	return true;
}

/* A row whose obligations all closed before it went: dropped, with the
 * attempts made (why says which closed), and said. */
static void
go_dropped(struct notify *n, const struct delivery *d, int attempts,
    const char *why)
{
	n->stats.dropped++;
	write_state(n, d->id, DB_OUT_DROPPED, attempts, (long long)time(NULL),
	    why, NULL);
	say(n, false, "outbox %lld (%s, %s) dropped: %s", d->id, d->recipient,
	    d->day, why);
}

/* What a look at a row left, freed (its delivery too, unless taken). */
static void
fetched_clear(struct fetched *f)
{
	if (f->d != NULL)
		delivery_free(f->d);
	free(f->items);
	free(f->why);
	free(f->error);
}

/* A message made again without what closed: its new items and bytes
 * stored (a failure is said; the row keeps its old ones) and said. */
static void
keep_rebuilt(struct notify *n, long long id, const struct fetched *f)
{
	char	*error = NULL, *when = now_stamp(time(NULL));

	if (db_outbox_set_content(n->db, id, f->items, f->d->body, f->d->len,
	    when, &error) == -1) {
		say(n, true, "outbox row %lld: %s", id, error);
		free(error);
	}
	free(when);
	say(n, false, "outbox %lld: %s", id, f->why);
}

/* One due row: the last look, and "sending" kept for the turn's write;
 * the delivery to start once it is written, or NULL. */
static struct delivery *
prepare(struct notify *n, long long id)
{
	struct delivery	*d = NULL;
	struct fetched	 f = { .n = n };
	char		*error = NULL;
	int		 rc;

	rc = db_outbox_get(n->db, id, fetch_cb, &f, &error);
	if (rc != 0 || f.d == NULL) {
		if (rc == -1)
			say(n, true, "outbox row %lld: %s", id, error);
		free(error);
		return NULL;
	}
	if (f.error != NULL) {
		/* It cannot go, however often it is tried: dead, and the
		 * bureau told, as for a message refused for good. */
		say(n, true, "outbox %lld dead: %s", id, f.error);
		go_dead(n, f.d, time(NULL), f.error, NULL);
	} else if (f.verdict == OUTBOX_DROPPED) {
		go_dropped(n, f.d, f.d->attempts, f.why);
	} else {
		if (f.verdict == OUTBOX_REBUILT)
			keep_rebuilt(n, id, &f);
		/* A robot's pace first: waiting is no attempt. */
		if (f.d->webhook && paced(n, f.d)) {
			fetched_clear(&f);
			return NULL;
		}
		/* Stored before the first byte leaves: a crash from here on
		 * re-sends this row, and only rows in this state. */
		f.d->attempts++;
		write_later(n, id, DB_OUT_SENDING, f.d->attempts,
		    (long long)time(NULL), f.verdict == OUTBOX_REBUILT ? f.why :
		    NULL, NULL);
		d = f.d;
		f.d = NULL;
	}
	fetched_clear(&f);
	return d;
}

/* ---- the timer ---- */

static void
arm(struct notify *n, time_t now)
{
	struct timeval	 tv = { RECHECK_SECONDS, 0 };
	long long	 when;
	int		 rc;

	if (n->stopping || n->nready >= capacity(n) ||
	    (rc = db_outbox_next_attempt(n->db, &when)) == 1)
		return;
	/* A store that could not be read is asked again in a while. */
	if (rc == 0 && when - (long long)now < RECHECK_SECONDS)
		tv.tv_sec = when > (long long)now ? (time_t)(when - now) : 0;
	evtimer_add(&n->due_ev, &tv);
}

static void
ready_add(struct notify *n, struct delivery *d)
{
	TAILQ_INSERT_TAIL(&n->ready, d, entry);
	n->nready++;
	if (!d->webhook)
		n->nready_mail++;
}

static void
ready_remove(struct notify *n, struct delivery *d)
{
	TAILQ_REMOVE(&n->ready, d, entry);
	n->nready--;
	if (!d->webhook)
		n->nready_mail--;
}

/* Whether a ready row of some kind has room to start.  Without it the
 * walk below went through every ready row each time a transfer ended
 * (a webhook burst keeps a hundred ready while mail's room is free):
 * about 2% of the loop's time a post in issue 6's burst. */
static bool
ready_can_start(const struct notify *n)
{
	return (n->nready_mail > 0 && mail_has_room(n)) ||
	    (n->nready > n->nready_mail && hook_has_room(n));
}

/*
 * A row marked sending waits for a slot (mail behind a slow server, a
 * minute and more in a burst): looked at again if events came meanwhile,
 * so a message does not remind what was closed while it waited (the
 * unit's group was told without it, its mailbox with it).  False when it
 * is not to go: dropped (written), d freed; a robot's place taken for it
 * then costs its robot a window.  A row that cannot be read again goes
 * as it was.
 */
static bool
relook(struct notify *n, struct delivery *d)
{
	struct fetched	 f = { .n = n };
	char		*error = NULL;
	bool		 go = true;

	if (d->plan_gen == plan_generation(n))
		return true;
	if (db_outbox_get(n->db, d->id, fetch_cb, &f, &error) != 0 ||
	    f.d == NULL || f.error != NULL) {
		free(error);
	} else if (f.verdict == OUTBOX_DROPPED) {
		/* The attempt marked for it was not made. */
		go_dropped(n, d, d->attempts - 1, f.why);
		delivery_free(d);
		go = false;
	} else if (f.verdict == OUTBOX_REBUILT) {
		keep_rebuilt(n, d->id, &f);
		free(d->body);
		d->body = f.d->body;
		d->len = f.d->len;
		f.d->body = NULL;
	}
	if (go)
		d->plan_gen = plan_generation(n);
	fetched_clear(&f);
	return go;
}

/* Starts rows marked sending, in order, each while its kind has room;
 * not again from inside itself (a transfer that ends at once calls
 * finished()). */
static void
start_ready(struct notify *n)
{
	struct delivery	*d, *next;

	if (n->starting)
		return;
	n->starting = true;
	for (d = TAILQ_FIRST(&n->ready); d != NULL && !n->stopping &&
	    ready_can_start(n); d = next) {
		next = TAILQ_NEXT(d, entry);
		if (!has_room(n, d))
			continue;
		ready_remove(n, d);
		if (!relook(n, d))
			continue;
		start_transfer(n, d);
	}
	n->starting = false;
}

/* Frees the rows marked sending that never started: the store puts them
 * back to pending (db_outbox_reset_sending). */
static void
ready_clear(struct notify *n)
{
	struct delivery	*d;

	while ((d = TAILQ_FIRST(&n->ready)) != NULL) {
		ready_remove(n, d);
		delivery_free(d);
	}
}

/* The states kept for later written now; if the store refuses (an
 * admin's sqlite3 shell holds its lock), tried again in REWRITE_SECONDS:
 * mail waits for its results to be written, and nothing else may come
 * to write them. */
static void
flush_or_retry(struct notify *n)
{
	struct timeval	 tv = { REWRITE_SECONDS, 0 };

	if (flush_later(n) == -1)
		evtimer_add(&n->flush_ev, &tv);
}

/*
 * The results of the turn: stored now when a wave of them is waiting,
 * nothing is in flight any more, or a mail's is among them (SMTP is slow
 * enough for a commit a turn, and the mail that waited for it starts
 * after); else within FLUSH_MS (a crash in between sends them again, with
 * the same id: at least once).
 */
static void
settle(struct notify *n)
{
	struct timeval	 tv = { 0, FLUSH_MS * 1000 };
	bool		 hooks = hook_dirty(n->hooks_engine);

	if (n->nlater == 0 && !hooks)
		return;
	if (n->ninflight == 0 || n->mail_unwritten > 0 ||
	    n->nlater >= flush_rows(n))
		flush_or_retry(n);
	else if (!evtimer_pending(&n->flush_ev, NULL))
		evtimer_add(&n->flush_ev, &tv);
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify	*n = arg;

	(void)fd;
	(void)what;
	flush_or_retry(n);
	start_ready(n);
}

/*
 * One batch of a turn: the due rows read and looked at, and their
 * "sending" written with whatever the last transfers left to write, in
 * one transaction (one sync, and no read transaction of its own for each
 * row).  Nothing due, nothing written (and no write lock taken: an admin's
 * sqlite3 shell may hold it).  The deliveries to start once committed are
 * in ready[]; their number, or -1 when the store failed (logged; nothing
 * is started, and the rows are still pending, looked at again on the next
 * turn).
 */
static ssize_t
prepare_batch(struct notify *n, time_t now, size_t want,
    struct delivery **ready)
{
	long long	 ids[DUE_BATCH];
	size_t		 got, i, k = 0, mark = n->nlater;
	char		*why = NULL;

	if ((got = db_outbox_due(n->db, (long long)now, ids, want)) == 0)
		return 0;
	if (db_begin(n->db, &why) == -1)
		goto fail;
	for (i = 0; i < got && !n->stopping; i++)
		if ((ready[k] = prepare(n, ids[i])) != NULL)
			k++;
	if (later_commit(n, &why) == 0)
		return (ssize_t)k;
fail:
	/* The batch's own states go first: they were not written, and the
	 * rows are still pending in the store. */
	while (k > 0)
		delivery_free(ready[--k]);
	later_drop(n, mark);
	later_failed(n, why);
	return -1;
}

/* One turn: batches prepared and started as far as there is room (the
 * rest waits, marked, in n->ready). */
static void
run(struct notify *n)
{
	struct delivery	*ready[DUE_BATCH];
	struct timeval	 later = { REWRITE_SECONDS, 0 };
	size_t		 want, i, room;
	ssize_t		 k = 0;
	time_t		 now = time(NULL);
	int		 round;

	evtimer_del(&n->due_ev);
	for (round = 0; round < RUN_ROUNDS && !n->stopping; round++) {
		/* A reload may have lowered parallel below what is under
		 * way already: then nothing more is marked. */
		room = capacity(n) + lookahead(n);
		if (n->nready >= capacity(n) ||
		    n->ninflight + n->nready >= room)
			break;
		want = room - n->ninflight - n->nready;
		if (want > DUE_BATCH)
			want = DUE_BATCH;
		if ((k = prepare_batch(n, now, want, ready)) <= 0)
			break;
		for (i = 0; i < (size_t)k; i++)
			ready_add(n, ready[i]);
		start_ready(n);
	}
	settle(n);
	/* What a commit above let start (mail whose slot was waiting for
	 * its result to be written), whichever commit it was. */
	start_ready(n);
	/* The store refused the batch (its lock held elsewhere): the rows
	 * are due still, and asked for at once they would be refused again
	 * after each wait for the lock, holding the loop. */
	if (k == -1 && !n->stopping)
		evtimer_add(&n->due_ev, &later);
	else
		arm(n, now);
}

static void
due_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run(arg);
}

/* hook.c queues the bureau's notice of a disabled target, and logs. */
static void
kick_cb(void *arg)
{
	notify_kick(arg);
}

static void
log_cb(void *arg, bool warning, const char *line)
{
	struct notify	*n = arg;

	if (n->hooks.log != NULL)
		n->hooks.log(n->hooks.arg, warning, line);
}

void
notify_targets_changed(struct notify *n)
{
	hook_targets_changed(n->hooks_engine);
}

void
notify_target_enabled(struct notify *n, long long target)
{
	hook_target_enabled(n->hooks_engine, target);
}

void
notify_kick(struct notify *n)
{
	struct timeval	 now = { 0, 0 };

	/* From the loop, never from inside curl's or the store's callback
	 * that is reporting: run() starts transfers and writes rows.  No
	 * sender (a harness without one): the row waits for the next. */
	if (n != NULL && !n->stopping)
		evtimer_add(&n->kick_ev, &now);
}

int
notify_redeliver_check(struct notify *n, long long id, char **why)
{
	struct fetched	 f = { .n = n };
	int		 rc;

	*why = NULL;
	if (n == NULL)		/* a harness without a sender */
		return 0;
	if ((rc = db_outbox_get(n->db, id, fetch_cb, &f, why)) != 0 ||
	    f.d == NULL)
		return rc == -1 ? -1 : 0;
	if (f.verdict == OUTBOX_DROPPED) {
		*why = xasprintf("没有可重发的内容：%s / nothing left to send: "
		    "%s", f.why, f.why);
	} else if (f.d->webhook && hook_target_refusal(n->hooks_engine,
	    f.d->target, why) == -1)
		rc = -1;
	delivery_free(f.d);
	free(f.items);
	free(f.why);
	free(f.error);
	return rc == -1 ? -1 : *why != NULL;
}

struct notify *
notify_new(struct event_base *base, struct db *db,
    const struct notify_hooks *hooks, const struct notify_conf *conf,
    char **error)
{
	struct notify	*n = xcalloc(1, sizeof(*n));
	long long	 reset;
	char		*when;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*error = xstrdup("curl_global_init failed");
		free(n);
		return NULL;
	}
	mail_init();
	n->base = base;
	n->db = db;
	n->hooks = *hooks;
	notify_conf_copy(&n->conf, conf);
	if ((n->mailer = mailer_new(base, &n->conf, error)) == NULL) {
		notify_conf_clear(&n->conf);
		mail_shutdown();
		curl_global_cleanup();
		free(n);
		return NULL;
	}
	if ((n->hooks_engine = hook_engine_new(base, db, &n->conf, kick_cb,
	    log_cb, n, error)) == NULL) {
		mailer_free(n->mailer);
		notify_conf_clear(&n->conf);
		mail_shutdown();
		curl_global_cleanup();
		free(n);
		return NULL;
	}
	TAILQ_INIT(&n->inflight);
	TAILQ_INIT(&n->ready);
	evtimer_assign(&n->due_ev, base, due_cb, n);
	evtimer_assign(&n->kick_ev, base, due_cb, n);
	evtimer_assign(&n->flush_ev, base, flush_cb, n);
	when = now_stamp(time(NULL));
	reset = db_outbox_reset_sending(db, (long long)time(NULL),
	    "发送中 ticd 停止，重新发送 / ticd stopped during the send: sent "
	    "again", when, error);
	free(when);
	if (reset == -1) {
		notify_free(n);
		return NULL;
	}
	if (reset > 0)
		say(n, true, "%lld message(s) were in flight when ticd stopped: "
		    "sending them again (same Message-ID)", reset);
	notify_kick(n);
	return n;
}

size_t
notify_stop(struct notify *n)
{
	n->stopping = true;
	evtimer_del(&n->due_ev);
	evtimer_del(&n->kick_ev);
	(void)flush_later(n);
	return n->ninflight;
}

size_t
notify_inflight(const struct notify *n)
{
	return n->ninflight;
}

const struct notify_stats *
notify_stats(const struct notify *n)
{
	return &n->stats;
}

void
notify_free(struct notify *n)
{
	struct delivery	*d;
	char		*error = NULL, *when;
	long long	 left;

	if (n == NULL)
		return;
	n->stopping = true;
	n->freeing = true;
	/* The mail thread joined: what it finished is reported (finish()
	 * keeps those states) and the rest is cut off. */
	mailer_free(n->mailer);
	n->mailer = NULL;
	/* The same for the webhook thread (nothing more starts). */
	hook_engine_stop(n->hooks_engine);
	/* What ended is stored as ended before the rest is put back. */
	(void)flush_later(n);
	while ((d = TAILQ_FIRST(&n->inflight)) != NULL) {
		TAILQ_REMOVE(&n->inflight, d, entry);
		if (d->ha != NULL)
			hook_cancel(n->hooks_engine, d->ha);
		delivery_free(d);
	}
	n->ninflight = n->nmail = 0;
	ready_clear(n);
	/* What was cut off goes back to the outbox, to be sent again. */
	when = now_stamp(time(NULL));
	left = db_outbox_reset_sending(n->db, (long long)time(NULL),
	    "ticd 停止时发送中断 / interrupted by ticd's stop", when, &error);
	if (left > 0)
		say(n, true, "%lld message(s) left in the outbox, sent at the "
		    "next start", left);
	else if (left == -1) {
		say(n, true, "outbox: %s", error);
		free(error);
	}
	free(when);
	if (event_initialized(&n->due_ev)) {
		evtimer_del(&n->due_ev);
		evtimer_del(&n->kick_ev);
		evtimer_del(&n->flush_ev);
	}
	hook_engine_free(n->hooks_engine);
	later_drop(n, 0);
	free(n->later);
	outbox_index_clear(&n->index);
	notify_conf_clear(&n->conf);
	mail_shutdown();
	curl_global_cleanup();
	free(n);
}
