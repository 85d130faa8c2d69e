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

/*
 * A state written later, with others, in one transaction: a sync per loop
 * turn rather than two per message (sqlite with synchronous=full syncs on
 * every commit).  "sending" is flushed before any of the turn's transfers
 * starts; "sent" on the next turn, so a crash in between leaves the row
 * "sending", sent again with the same Message-ID, as a crash mid-send.
 */
struct later {
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
	char			*idem;
	char			*recipient;
	char			*day;
	char			*body;
	size_t			 len;
	char			**rcpt;
	size_t			 nrcpt;
	struct smtp_transfer	*tr;
};

struct notify {
	struct event_base	*base;
	struct db		*db;
	struct notify_hooks	 hooks;
	struct notify_conf	 conf;
	struct smtp		*smtp;
	struct event		 due_ev;
	struct event		 kick_ev;
	TAILQ_HEAD(, delivery)	 inflight;
	size_t			 ninflight;
	struct outbox_index	 index;
	struct notify_stats	 stats;
	struct later		*later;		/* states not yet written */
	size_t			 nlater, later_cap;
	bool			 stopping;
};

static void	 run(struct notify *);

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
	memset(c, 0, sizeof(*c));
}

void
notify_set_conf(struct notify *n, const struct notify_conf *c)
{
	notify_conf_clear(&n->conf);
	conf_copy(&n->conf, c);
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
	}
}

/* Writes the states kept for later in one transaction: 0, or -1 (logged;
 * they are kept for the next try). */
static int
flush_later(struct notify *n)
{
	struct db_outbox	*rows;
	char			*why = NULL;
	size_t			 i;
	int			 rc;

	if (n->nlater == 0)
		return 0;
	rows = xcalloc(n->nlater, sizeof(*rows));
	for (i = 0; i < n->nlater; i++) {
		rows[i].id = n->later[i].id;
		rows[i].state = n->later[i].state;
		rows[i].attempts = n->later[i].attempts;
		rows[i].next_attempt = n->later[i].next;
		rows[i].last_error = n->later[i].error;
		rows[i].last_response = n->later[i].response;
		rows[i].updated_at = n->later[i].when;
	}
	rc = db_outbox_update_many(n->db, rows, n->nlater, &why);
	free(rows);
	if (rc == -1) {
		say(n, true, "outbox: %zu state(s) not written yet: %s",
		    n->nlater, why);
		free(why);
		return -1;
	}
	later_drop(n, 0);
	return 0;
}

/*
 * A message dead: its state and the bureau's notice (who, which day, why,
 * how to redeliver) in one transaction.  Without a notice to queue, or
 * when it cannot be built, the state alone is written.
 */
static void
go_dead(struct notify *n, struct delivery *d, time_t now, const char *error,
    const char *response)
{
	struct notice_dead	 nd = { .id = d->id, .idem = d->idem,
				    .recipient = d->recipient, .day = d->day,
				    .rcpt = (const char *const *)d->rcpt,
				    .nrcpt = d->nrcpt };
	struct notice_row	 p;
	struct db_outbox	 r;
	char			*why = NULL, *when = now_stamp(now);
	int			 rc;

	nd.reason = error != NULL ? error : response != NULL ? response : "?";
	rc = notice_dead_row(n->db, &n->conf, &nd, now, &p, &why);
	if (rc == -1) {
		say(n, true, "outbox %lld: no notice to the bureau: %s", d->id,
		    why);
		free(why);
		why = NULL;
	}
	memset(&r, 0, sizeof(r));
	r.id = d->id;
	r.state = DB_OUT_DEAD;
	r.attempts = d->attempts;
	r.next_attempt = (long long)now;
	r.last_error = error;
	r.last_response = response;
	r.updated_at = when;
	if (db_outbox_update_queue(n->db, &r, &p.row, rc == 0 ? 1 : 0,
	    &why) == -1) {
		say(n, true, "outbox row %lld: %s", d->id, why);
		free(why);
	} else if (rc == 0 && p.row.id != 0)
		say(n, false, "outbox %lld: the bureau is told (outbox %lld)",
		    d->id, p.row.id);
	if (rc == 0)
		notice_row_free(&p);
	free(when);
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
		write_later(n, d->id, DB_OUT_SENT, d->attempts, (long long)now,
		    NULL, response);
		say(n, false, "outbox %lld (%s, %s) sent: %s", d->id,
		    d->recipient, d->day, response ? response : "ok");
	} else if (delay >= 0) {
		n->stats.retried++;
		write_state(n, d->id, DB_OUT_RETRYING, d->attempts,
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
	TAILQ_REMOVE(&n->inflight, d, entry);
	n->ninflight--;
	delivery_free(d);
	if (n->stopping) {
		if (n->ninflight == 0)
			(void)flush_later(n);
		if (n->ninflight == 0 && n->hooks.drained != NULL)
			n->hooks.drained(n->hooks.arg);
	} else
		notify_kick(n);
}

static void
smtp_done(enum notify_outcome outcome, const char *error,
    const char *response, void *arg)
{
	struct delivery	*d = arg;

	d->tr = NULL;
	finish(d, outcome, error, response);
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
	d->idem = xstrdup(row->idem != NULL ? row->idem : "");
	d->recipient = xstrdup(row->recipient);
	d->day = xstrdup(row->day);
	f->d = d;
	if (rcpt_list(d, row->rcpt) == -1) {
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

/* One due row: the last look, and "sending" kept for the turn's write;
 * the delivery to start once it is written, or NULL. */
static struct delivery *
prepare(struct notify *n, long long id)
{
	struct delivery	*d = NULL;
	struct fetched	 f = { .n = n };
	char		*error = NULL, *when;
	int		 rc;

	rc = db_outbox_get(n->db, id, fetch_cb, &f, &error);
	if (rc != 0 || f.d == NULL) {
		if (rc == -1)
			say(n, true, "outbox row %lld: %s", id, error);
		free(error);
		return NULL;
	}
	if (f.error != NULL) {
		write_state(n, id, DB_OUT_DEAD, f.d->attempts, (long long)time(
		    NULL), f.error, NULL);
		say(n, true, "outbox %lld dead: %s", id, f.error);
	} else if (f.verdict == OUTBOX_DROPPED) {
		n->stats.dropped++;
		write_state(n, id, DB_OUT_DROPPED, f.d->attempts,
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
		/* Stored before the first byte leaves: a crash from here on
		 * re-sends this row, and only rows in this state. */
		f.d->attempts++;
		write_later(n, id, DB_OUT_SENDING, f.d->attempts,
		    (long long)time(NULL), f.verdict == OUTBOX_REBUILT ? f.why :
		    NULL, NULL);
		d = f.d;
		f.d = NULL;
	}
	if (f.d != NULL)
		delivery_free(f.d);
	free(f.items);
	free(f.why);
	free(f.error);
	return d;
}

/* ---- the timer ---- */

static void
arm(struct notify *n, time_t now)
{
	struct timeval	 tv = { RECHECK_SECONDS, 0 };
	long long	 when;

	if (n->stopping || n->ninflight >= (size_t)n->conf.parallel ||
	    db_outbox_next_attempt(n->db, &when) != 0)
		return;
	if (when - (long long)now < RECHECK_SECONDS)
		tv.tv_sec = when > (long long)now ? (time_t)(when - now) : 0;
	evtimer_add(&n->due_ev, &tv);
}

static void
run(struct notify *n)
{
	long long	 ids[DUE_BATCH];
	struct delivery	*ready[DUE_BATCH];
	size_t		 want, got, i, k, mark;
	time_t		 now = time(NULL);
	int		 round;

	evtimer_del(&n->due_ev);
	for (round = 0; round < RUN_ROUNDS && !n->stopping; round++) {
		if (n->ninflight >= (size_t)n->conf.parallel)
			break;
		want = (size_t)n->conf.parallel - n->ninflight;
		if (want > DUE_BATCH)
			want = DUE_BATCH;
		if ((got = db_outbox_due(n->db, (long long)now, ids,
		    want)) == 0)
			break;
		mark = n->nlater;
		for (i = 0, k = 0; i < got && !n->stopping; i++)
			if ((ready[k] = prepare(n, ids[i])) != NULL)
				k++;
		/* Every "sending" stored before the first byte leaves: a
		 * crash from here on re-sends these rows, and only those. */
		if (flush_later(n) == -1) {
			/* Not started, still pending in the store: tried
			 * again on the next turn. */
			while (k > 0)
				delivery_free(ready[--k]);
			later_drop(n, mark);
			break;
		}
		for (i = 0; i < k; i++)
			start_transfer(n, ready[i]);
	}
	(void)flush_later(n);
	arm(n, now);
}

static void
due_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run(arg);
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
	TAILQ_INIT(&n->inflight);
	evtimer_assign(&n->due_ev, base, due_cb, n);
	evtimer_assign(&n->kick_ev, base, due_cb, n);
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
	/* What ended is stored as ended before the rest is put back. */
	(void)flush_later(n);
	while ((d = TAILQ_FIRST(&n->inflight)) != NULL) {
		TAILQ_REMOVE(&n->inflight, d, entry);
		if (d->tr != NULL)
			smtp_cancel(n->smtp, d->tr);
		delivery_free(d);
	}
	n->ninflight = 0;
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
	}
	smtp_free(n->smtp);
	later_drop(n, 0);
	free(n->later);
	outbox_index_clear(&n->index);
	notify_conf_clear(&n->conf);
	mail_shutdown();
	curl_global_cleanup();
	free(n);
}
