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
 * each part written down as it goes (the row stays pending until the
 * last); and a throttling answer is retried no sooner than it asked.
 *
 * Webhooks' states are group-committed, as the daemon's events are: each
 * change (sending, sent, retrying, …) waits at most FLUSH_MS and goes
 * with the others in one transaction, so a burst costs a commit per
 * FLUSH_MS rather than two per message.  Until its write is committed a
 * row is known to be busy from memory (in flight, or its write waiting)
 * and is not picked again.  A crash before that commit finds the row as
 * it was (pending, or sending) and sends it again at start, with the
 * same webhook-id: what happens to any row in flight.  Mail, a message a
 * second or so, keeps a commit per change.
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
#include "notify/notify.h"

#define DUE_BATCH	64	/* rows read from the store at a time */
#define RECHECK_SECONDS	60	/* the longest the timer sleeps */
#define RUN_ROUNDS	16	/* batches per wake-up, at most */
#define FLUSH_MS	50	/* the longest a state change waits */
#define QUEUE_MAX	256	/* due rows read from the store at a time */

/* A row's new state, waiting for the batch's transaction. */
struct pending_write {
	long long		 id;
	enum db_outbox_state	 state;
	int			 attempts;
	long long		 next;
	char			*error;
	char			*response;
	char			*when;
};

/* A row being sent: what the engine owns of it until the attempt ends. */
struct delivery {
	TAILQ_ENTRY(delivery)	 entry;
	struct notify		*n;
	long long		 id;
	int			 attempts;
	char			*recipient;
	char			*day;
	char			*body;
	size_t			 len;
	char			**rcpt;
	size_t			 nrcpt;
	struct smtp_transfer	*tr;
	/* Webhooks: the target, the state it was in, the parts gone. */
	bool			 webhook;
	long long		 target;
	enum notify_format	 format;
	enum db_outbox_state	 state;
	char			*message_id;
	int			 parts_sent;
	struct hook_attempt	*ha;
	/* Its "sending" write, while that waits for the group commit: the
	 * result's write takes its place. */
	size_t			 write_slot;
	unsigned long		 write_gen;
};

struct notify {
	struct event_base	*base;
	struct db		*db;
	struct notify_hooks	 hooks;
	struct notify_conf	 conf;
	struct smtp		*smtp;
	struct hook_engine	*hooks_engine;
	struct event		 due_ev;
	struct event		 kick_ev;
	struct event		 flush_ev;
	struct pending_write	*writes;
	size_t			 nwrites;
	size_t			 capwrites;
	unsigned long		 write_gen;	/* bumped by each commit */
	bool			 all_busy;	/* what was due is in hand */
	/* Due rows read ahead from the store, in its order. */
	long long		 queue[QUEUE_MAX];
	size_t			 qhead;
	size_t			 qlen;
	TAILQ_HEAD(, delivery)	 inflight;
	size_t			 ninflight;
	struct outbox_index	 index;
	struct notify_stats	 stats;
	bool			 stopping;
};

static void	 run(struct notify *);
static void	 kick(struct notify *);

static void
say(struct notify *n, bool warning, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct notify *n, bool warning, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	if (n->hooks.log != NULL)
		n->hooks.log(n->hooks.arg, warning, line);
	free(line);
}

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

static void
conf_copy(struct notify_conf *to, const struct notify_conf *from)
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

/* Transfers at once: mail's and webhooks' (each also capped per host by
 * its own multi handle). */
static size_t
capacity(const struct notify *n)
{
	return (size_t)n->conf.parallel + (size_t)n->conf.webhook_parallel;
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
	conf_copy(&n->conf, c);
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
	free(d->recipient);
	free(d->day);
	free(d->body);
	free(d->message_id);
	free(d);
}

static void
writes_clear(struct notify *n)
{
	size_t	 i;

	for (i = 0; i < n->nwrites; i++) {
		free(n->writes[i].error);
		free(n->writes[i].response);
		free(n->writes[i].when);
	}
	n->nwrites = 0;
}

/* Applies the waiting writes in one transaction.  A failure is logged:
 * a row not written stays as it was (one left "sending" is sent again at
 * the next start). */
static void
flush_writes(struct notify *n)
{
	bool			 own_txn = true;
	struct db_outbox	 r;
	char			*why = NULL;
	size_t			 i;

	if (n->nwrites == 0 && !hook_dirty(n->hooks_engine))
		return;
	if (db_begin(n->db, &why) == -1) {
		say(n, true, "outbox: %s", why);
		free(why);
		why = NULL;
		own_txn = false;	/* each write on its own, then */
	}
	for (i = 0; i < n->nwrites; i++) {
		memset(&r, 0, sizeof(r));
		r.id = n->writes[i].id;
		r.state = n->writes[i].state;
		r.attempts = n->writes[i].attempts;
		r.next_attempt = n->writes[i].next;
		r.last_error = n->writes[i].error;
		r.last_response = n->writes[i].response;
		r.updated_at = n->writes[i].when;
		if (db_outbox_update(n->db, &r, &why) == -1) {
			say(n, true, "outbox row %lld: %s", r.id, why);
			free(why);
			why = NULL;
		}
	}
	hook_flush(n->hooks_engine);
	n->write_gen++;
	if (own_txn && db_commit(n->db, &why) == -1) {
		say(n, true, "outbox: %zu state(s) not written (rows left "
		    "sending go again at the next start): %s", n->nwrites, why);
		free(why);
	}
	writes_clear(n);
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify	*n = arg;

	(void)fd;
	(void)what;
	flush_writes(n);
	/* What was busy is settled: a row left pending (a robot's next
	 * part) may be due. */
	notify_kick(n);
}

static int
id_cmp(const void *a, const void *b)
{
	long long	 x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* The rows in hand, sorted: in flight, or their new state not yet
 * committed (the store still shows them as they were).  The caller
 * frees it. */
static long long *
busy_set(struct notify *n, size_t *count)
{
	struct delivery	*d;
	long long	*v;
	size_t		 i, k = 0;

	v = xreallocarray(NULL, n->ninflight + n->nwrites + 1, sizeof(*v));
	TAILQ_FOREACH(d, &n->inflight, entry)
		v[k++] = d->id;
	for (i = 0; i < n->nwrites; i++)
		v[k++] = n->writes[i].id;
	qsort(v, k, sizeof(*v), id_cmp);
	*count = k;
	return v;
}

/* A row's new state, written at once. */
static void
write_now(struct notify *n, long long id, enum db_outbox_state state,
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

/*
 * A row's new state.  Mail's is written at once (a message a second or
 * so: a commit each costs nothing, and "sending" is on disk before the
 * first byte leaves).  A webhook's goes with the others of the next
 * FLUSH_MS in one commit (thousands a second: commits would be the
 * cost); its "sending" write, while it waits, is replaced by the
 * result's: one row, one write per commit.
 */
static void
write_state_of(struct notify *n, struct delivery *d, long long id,
    enum db_outbox_state state, int attempts, long long next,
    const char *error, const char *response)
{
	struct timeval		 soon = { 0, FLUSH_MS * 1000 };
	struct pending_write	*w;

	if (d == NULL || !d->webhook) {
		write_now(n, id, state, attempts, next, error, response);
		return;
	}
	if (d->write_gen == n->write_gen + 1 &&
	    d->write_slot < n->nwrites && n->writes[d->write_slot].id == id) {
		w = &n->writes[d->write_slot];
		free(w->error);
		free(w->response);
		free(w->when);
	} else {
		if (n->nwrites == n->capwrites) {
			n->capwrites = n->capwrites ? n->capwrites * 2 : 64;
			n->writes = xreallocarray(n->writes, n->capwrites,
			    sizeof(*n->writes));
		}
		if (d != NULL) {
			d->write_slot = n->nwrites;
			d->write_gen = n->write_gen + 1;
		}
		w = &n->writes[n->nwrites++];
	}
	w->id = id;
	w->state = state;
	w->attempts = attempts;
	w->next = next;
	w->error = error ? xstrdup(error) : NULL;
	w->response = response ? xstrdup(response) : NULL;
	w->when = now_stamp(time(NULL));
	if (event_initialized(&n->flush_ev) &&
	    !evtimer_pending(&n->flush_ev, NULL))
		evtimer_add(&n->flush_ev, &soon);
}


/* An attempt is over and its row written: the delivery goes. */
static void
finished(struct delivery *d)
{
	struct notify	*n = d->n;

	TAILQ_REMOVE(&n->inflight, d, entry);
	n->ninflight--;
	delivery_free(d);
	if (n->stopping) {
		if (n->ninflight == 0 && n->hooks.drained != NULL)
			n->hooks.drained(n->hooks.arg);
	} else
		kick(n);
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
	if (outcome == NOTIFY_SENT) {
		n->stats.sent++;
		write_state_of(n, d, d->id, DB_OUT_SENT, d->attempts, (long long)now,
		    NULL, response);
		say(n, false, "outbox %lld (%s, %s) sent: %s", d->id,
		    d->recipient, d->day, response ? response : "ok");
	} else if (delay >= 0) {
		n->stats.retried++;
		write_state_of(n, d, d->id, DB_OUT_RETRYING, d->attempts,
		    (long long)now + delay, error, response);
		say(n, true, "outbox %lld (%s, %s) attempt %d failed, again in "
		    "%ld s: %s", d->id, d->recipient, d->day, d->attempts, delay,
		    error);
	} else {
		n->stats.failed++;
		write_state_of(n, d, d->id, DB_OUT_DEAD, d->attempts, (long long)now,
		    error, response);
		say(n, true, "outbox %lld (%s, %s) dead after %d attempt(s), "
		    "see ticctl deliveries: %s", d->id, d->recipient, d->day,
		    d->attempts, error);
	}
	finished(d);
}

static void
smtp_done(enum notify_outcome outcome, const char *error,
    const char *response, void *arg)
{
	struct delivery	*d = arg;

	d->tr = NULL;
	finish(d, outcome, error, response);
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
			write_state_of(n, d, d->id, DB_OUT_PENDING, 0,
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
		write_state_of(n, d, d->id, DB_OUT_RETRYING, d->attempts,
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
	if (off != d->len || fsync(fd) == -1 || close(fd) == -1) {
		*error = xasprintf("%s: %s", tmp, strerror(errno));
		if (off != d->len)
			close(fd);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) == -1) {
		*error = xasprintf("%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(path);
	return rc;
}

/* What the engine copies of a row read from the store. */
struct fetched {
	struct notify		*n;
	bool			 stale;		/* no longer due */
	struct delivery		*d;
	enum outbox_check	 verdict;
	char			*items;		/* rebuilt */
	char			*why;
	char			*error;
};

static int
rcpt_list(struct delivery *d, const char *json)
{
	json_t	*a = json_loads(json, 0, NULL), *v;
	size_t	 i;

	if (a == NULL)
		return -1;
	d->rcpt = xcalloc(json_array_size(a) + 1, sizeof(*d->rcpt));
	json_array_foreach(a, i, v)
		d->rcpt[d->nrcpt++] = xstrdup(json_string_value(
		    json_object_get(v, "email")));
	json_decref(a);
	return 0;
}

static int
fetch_cb(const struct db_outbox *row, void *arg)
{
	struct fetched		*f = arg;
	struct notify		*n = f->n;
	struct delivery		*d = xcalloc(1, sizeof(*d));
	char			*body = NULL;
	size_t			 len = 0;

	d->n = n;
	d->id = row->id;
	d->attempts = row->attempts;
	d->recipient = xstrdup(row->recipient);
	d->day = xstrdup(row->day);
	d->state = row->state;
	d->message_id = xstrdup(row->message_id);
	d->parts_sent = row->parts_sent;
	d->webhook = hook_channel(row->channel, &d->target);
	f->d = d;
	/* Read ahead: what changed since (sent, paced, redelivered later)
	 * is no longer due. */
	if ((row->state != DB_OUT_PENDING && row->state != DB_OUT_RETRYING) ||
	    row->next_attempt > (long long)time(NULL)) {
		f->stale = true;
		return 0;
	}
	if (d->webhook) {
		json_t	*rc = json_loads(row->rcpt, 0, NULL);

		if (notify_format_from_name(json_string_value(json_object_get(
		    rc, "format")), &d->format) == -1)
			d->format = NOTIFY_STANDARD;
		json_decref(rc);
	}
	if (!d->webhook && rcpt_list(d, row->rcpt) == -1) {
		f->error = xstrdup("收件人列表无法读取 / the recipients cannot be "
		    "read");
		return 0;
	}
	/* The current plan decides: a closed obligation is not reminded. */
	if (outbox_check(row, &n->conf, &n->index, n->hooks.plan(n->hooks.arg),
	    n->hooks.rules(n->hooks.arg), n->hooks.calendar(n->hooks.arg),
	    &f->verdict, &f->items, &body, &len, &f->why, &f->error) == -1)
		return 0;
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
	if (d->webhook) {
		struct hook_result	 r;

		d->ha = hook_send(n->hooks_engine, d->id, d->target,
		    d->message_id, d->body, d->len, d->parts_sent, hook_done,
		    d, &r);
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
	} else if ((d->tr = smtp_send(n->smtp, &n->conf,
	    (const char *const *)d->rcpt, d->nrcpt, d->body, d->len,
	    smtp_done, d, &error)) == NULL)
		finish(d, NOTIFY_RETRY, error, NULL);
	free(error);
}

/*
 * Whether a webhook row must wait for its target's pace; if so its next
 * attempt is moved (its state and attempts kept) and the delivery freed.
 */
static bool
paced(struct notify *n, struct delivery *d, enum outbox_check verdict)
{
	struct timespec	 ts;
	long long	 now, at;
	char		*error = NULL;

	if (verdict == OUTBOX_REBUILT && d->parts_sent > 0) {
		d->parts_sent = 0;
		if (db_outbox_set_parts(n->db, d->id, 0, &error) == -1) {
			say(n, true, "outbox row %lld: %s", d->id, error);
			free(error);
		}
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if ((at = hook_not_before(n->hooks_engine, d->target, d->format,
	    now)) <= now)
		return false;
	write_state_of(n, d, d->id, d->state, d->attempts, (at + 999) / 1000,
	    "按机器人的频率限制等待 / waiting for the robot's rate limit", NULL);
	delivery_free(d);
	return true;
}

/* One due row: the last look, "sending" stored, then the attempt. */
static void
start(struct notify *n, long long id)
{
	struct fetched	 f = { .n = n };
	char		*error = NULL, *when;
	int		 rc;

	rc = db_outbox_get(n->db, id, fetch_cb, &f, &error);
	if (rc != 0 || f.d == NULL || f.stale) {
		if (f.d != NULL)
			delivery_free(f.d);
		if (rc == -1)
			say(n, true, "outbox row %lld: %s", id, error);
		free(error);
		return;
	}
	if (f.error != NULL) {
		write_state_of(n, f.d, id, DB_OUT_DEAD, f.d->attempts,
		    (long long)time(NULL), f.error, NULL);
		say(n, true, "outbox %lld dead: %s", id, f.error);
	} else if (f.verdict == OUTBOX_DROPPED) {
		n->stats.dropped++;
		write_state_of(n, f.d, id, DB_OUT_DROPPED, f.d->attempts,
		    (long long)time(NULL), f.why, NULL);
		say(n, false, "outbox %lld (%s, %s) dropped: %s", id,
		    f.d->recipient, f.d->day, f.why);
	} else {
		if (f.verdict == OUTBOX_REBUILT) {
			when = now_stamp(time(NULL));
			if (db_outbox_set_content(n->db, id, f.items, f.d->body,
			    f.d->len, when, &error) == -1) {
				say(n, true, "outbox row %lld: %s", id, error);
				free(error);
				error = NULL;
			}
			free(when);
			say(n, false, "outbox %lld: %s", id, f.why);
		}
		/* A robot's pace first: waiting is no attempt.  A message
		 * made again is posted again whole. */
		if (f.d->webhook && paced(n, f.d, f.verdict)) {
			free(f.items);
			free(f.why);
			return;
		}
		/* Stored before the first byte leaves: a crash from here on
		 * re-sends this row, and only rows in this state. */
		f.d->attempts++;
		write_state_of(n, f.d, id, DB_OUT_SENDING, f.d->attempts,
		    (long long)time(NULL), f.verdict == OUTBOX_REBUILT ? f.why :
		    NULL, NULL);
		start_transfer(n, f.d);
		f.d = NULL;
	}
	if (f.d != NULL)
		delivery_free(f.d);
	free(f.items);
	free(f.why);
	free(f.error);
}

/* ---- the timer ---- */

static void
arm(struct notify *n, time_t now)
{
	struct timeval	 tv = { RECHECK_SECONDS, 0 };
	long long	 when;

	if (n->stopping || n->ninflight >= capacity(n) ||
	    db_outbox_next_attempt(n->db, &when) != 0)
		return;
	if (when - (long long)now < RECHECK_SECONDS)
		tv.tv_sec = when > (long long)now ? (time_t)(when - now) : 0;
	/* What is due is in hand: the flush's kick comes back for it. */
	if (tv.tv_sec == 0 && n->all_busy) {
		tv.tv_usec = FLUSH_MS * 1000 * 2;
	}
	evtimer_add(&n->due_ev, &tv);
}

/*
 * Reads the next due rows that are not in hand into the queue; returns
 * how many.  The store still shows the rows in hand as due, so it is
 * asked for enough to get past them.
 */
static size_t
refill(struct notify *n, time_t now)
{
	long long	*ids, *busy;
	size_t		 nbusy, max, got, i;

	busy = busy_set(n, &nbusy);
	max = QUEUE_MAX + nbusy;
	ids = xreallocarray(NULL, max, sizeof(*ids));
	got = db_outbox_due(n->db, (long long)now, ids, max);
	n->qhead = n->qlen = 0;
	for (i = 0; i < got && n->qlen < QUEUE_MAX; i++) {
		if (bsearch(&ids[i], busy, nbusy, sizeof(*busy),
		    id_cmp) == NULL)
			n->queue[n->qlen++] = ids[i];
	}
	n->all_busy = got > 0 && n->qlen == 0;
	free(ids);
	free(busy);
	return n->qlen;
}

static void
run(struct notify *n)
{
	time_t		 now = time(NULL);
	size_t		 started = 0;

	evtimer_del(&n->due_ev);
	n->all_busy = false;
	while (!n->stopping && n->ninflight < capacity(n) &&
	    started < RUN_ROUNDS * DUE_BATCH) {
		if (n->qlen == 0 && refill(n, now) == 0)
			break;
		n->qlen--;
		start(n, n->queue[n->qhead++]);
		started++;
	}
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
	say(arg, warning, "%s", line);
}

/* Looks at the outbox again on the loop's next turn, going on with the
 * rows read ahead. */
static void
kick(struct notify *n)
{
	struct timeval	 now = { 0, 0 };

	if (!n->stopping)
		evtimer_add(&n->kick_ev, &now);
}

void
notify_targets_changed(struct notify *n)
{
	hook_targets_changed(n->hooks_engine);
}

/* Something outside changed the outbox (queued, redelivered): what was
 * read ahead is read again. */
void
notify_kick(struct notify *n)
{
	n->qhead = n->qlen = 0;
	/* From the loop, never from inside curl's or the store's callback
	 * that is reporting: run() starts transfers and writes rows. */
	kick(n);
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
	if ((n->smtp = smtp_new(base, error)) == NULL) {
		curl_global_cleanup();
		free(n);
		return NULL;
	}
	mail_init();
	n->base = base;
	n->db = db;
	n->hooks = *hooks;
	conf_copy(&n->conf, conf);
	if ((n->hooks_engine = hook_engine_new(base, db, &n->conf, kick_cb,
	    log_cb, n, error)) == NULL) {
		smtp_free(n->smtp);
		notify_conf_clear(&n->conf);
		mail_shutdown();
		curl_global_cleanup();
		free(n);
		return NULL;
	}
	TAILQ_INIT(&n->inflight);
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
	while ((d = TAILQ_FIRST(&n->inflight)) != NULL) {
		TAILQ_REMOVE(&n->inflight, d, entry);
		if (d->tr != NULL)
			smtp_cancel(n->smtp, d->tr);
		if (d->ha != NULL)
			hook_cancel(n->hooks_engine, d->ha);
		delivery_free(d);
	}
	n->ninflight = 0;
	/* What came back is written, then what was cut off goes back to the
	 * outbox, to be sent again. */
	flush_writes(n);
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
	free(n->writes);
	smtp_free(n->smtp);
	hook_engine_free(n->hooks_engine);
	outbox_index_clear(&n->index);
	notify_conf_clear(&n->conf);
	mail_shutdown();
	curl_global_cleanup();
	free(n);
}
