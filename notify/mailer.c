/*
 * mailer.c: the mail thread: SMTP transfers (smtp.c) on an event loop and
 * a curl multi handle of their own, fed from the daemon's loop.
 *
 * libcurl 7.88 waits for the answer to SMTP's final "." in blocking mode
 * (see smtp.c), so a server that accepts a message and then sits on its
 * answer would hold whichever loop drives the transfer.  Here that is this
 * thread's, never the daemon's (the API, the feeds, the watchdog).
 *
 * The thread (worker.c) owns its event_base, the smtp handle and a copy
 * of the mail settings; it never touches the store, GMime or the daemon's
 * loop.  A job borrows the caller's bytes and addresses, which stay
 * unchanged until its result is handed back on the daemon's loop (or
 * mailer_free returns).  The outbox states stay with the caller
 * (deliver.c), on the daemon's loop.
 */
#include <stdlib.h>

#include <event2/event.h>

#include "common/common.h"
#include "notify/notify-int.h"

struct mail_job {
	struct worker_job	 job;		/* first: the worker's */
	struct mailer		*m;
	struct notify_conf	*conf;		/* set: new settings, no send */
	const char *const	*rcpt;		/* borrowed */
	size_t			 nrcpt;
	const char		*data;		/* borrowed */
	size_t			 len;
	smtp_done_cb		 cb;
	void			*arg;
	/* The result, filled in on the thread. */
	enum notify_outcome	 outcome;
	char			*error;
	char			*response;
};

struct mailer {
	struct worker		*w;
	/* The thread's. */
	struct smtp		*smtp;
	struct notify_conf	 conf;
	TAILQ_HEAD(, worker_job) sending;
};

static void
job_free(struct mail_job *j)
{
	if (j->conf != NULL) {
		notify_conf_clear(j->conf);
		free(j->conf);
	}
	free(j->error);
	free(j->response);
	free(j);
}

/* ---- the thread ---- */

/* A transfer ended (smtp.c's callback, on the thread): the result queued
 * for the daemon's loop.  Once mailer_free has begun, an end is most
 * likely its own doing (the connections cut): not reported, so the row
 * goes back to the outbox as cut off, not as a failed attempt. */
static void
sent_cb(enum notify_outcome outcome, const char *error, const char *response,
    void *arg)
{
	struct mail_job	*j = arg;
	struct mailer	*m = j->m;

	if (worker_quitting(m->w))
		return;		/* left in "sending" for mailer_free */
	j->outcome = outcome;
	j->error = error != NULL ? xstrdup(error) : NULL;
	j->response = response != NULL ? xstrdup(response) : NULL;
	TAILQ_REMOVE(&m->sending, &j->job, entry);
	worker_done(m->w, &j->job);
}

/* A job, on the thread: new settings taken, or a send started. */
static void
start_cb(struct worker_job *wj, void *arg)
{
	struct mailer	*m = arg;
	struct mail_job	*j = (struct mail_job *)wj;
	char		*error = NULL;

	if (j->conf != NULL) {
		notify_conf_clear(&m->conf);
		notify_conf_copy(&m->conf, j->conf);
		job_free(j);
		return;
	}
	TAILQ_INSERT_TAIL(&m->sending, &j->job, entry);
	if (smtp_send(m->smtp, &m->conf, j->rcpt, j->nrcpt, j->data, j->len,
	    sent_cb, j, &error) == NULL) {
		sent_cb(NOTIFY_RETRY, error, NULL, j);
		free(error);
	}
}

/* ---- the daemon's side ---- */

/* A result, reported to its caller on the daemon's loop. */
static void
report_cb(struct worker_job *wj, void *arg)
{
	struct mail_job	*j = (struct mail_job *)wj;

	(void)arg;
	j->cb(j->outcome, j->error, j->response, j->arg);
	job_free(j);
}

static void
drop_cb(struct worker_job *wj, void *arg)
{
	(void)arg;
	job_free((struct mail_job *)wj);
}

static void
submit(struct mailer *m, struct mail_job *j)
{
	j->m = m;
	worker_submit(m->w, &j->job);
}

struct mailer *
mailer_new(struct event_base *main_base, const struct notify_conf *conf,
    char **error)
{
	struct mailer	*m = xcalloc(1, sizeof(*m));

	TAILQ_INIT(&m->sending);
	notify_conf_copy(&m->conf, conf);
	if ((m->w = worker_new("ticd-mail", main_base, start_cb, report_cb, m,
	    error)) == NULL)
		goto fail;
	if ((m->smtp = smtp_new(worker_base(m->w), error)) == NULL ||
	    worker_run(m->w, error) == -1)
		goto fail;
	return m;
fail:
	if (m->smtp != NULL)
		smtp_free(m->smtp);
	worker_free(m->w, drop_cb);
	notify_conf_clear(&m->conf);
	free(m);
	return NULL;
}

void
mailer_set_conf(struct mailer *m, const struct notify_conf *conf)
{
	struct mail_job	*j = xcalloc(1, sizeof(*j));

	j->conf = xcalloc(1, sizeof(*j->conf));
	notify_conf_copy(j->conf, conf);
	submit(m, j);
}

void
mailer_send(struct mailer *m, const char *const *rcpt, size_t nrcpt,
    const char *data, size_t len, smtp_done_cb cb, void *arg)
{
	struct mail_job	*j = xcalloc(1, sizeof(*j));

	j->rcpt = rcpt;
	j->nrcpt = nrcpt;
	j->data = data;
	j->len = len;
	j->cb = cb;
	j->arg = arg;
	submit(m, j);
}

void
mailer_free(struct mailer *m)
{
	struct worker_job	*j;

	if (m == NULL)
		return;
	/* Results from here on are not reported (sent_cb); then the
	 * connections are cut, so a wait inside curl returns at once and no
	 * final "." of a message cut short leaves. */
	worker_quit(m->w);
	smtp_shutdown(m->smtp);
	/* What ended is reported; what did not is dropped unreported. */
	worker_join(m->w);
	smtp_free(m->smtp);
	while ((j = TAILQ_FIRST(&m->sending)) != NULL) {
		TAILQ_REMOVE(&m->sending, j, entry);
		drop_cb(j, m);
	}
	worker_free(m->w, drop_cb);
	notify_conf_clear(&m->conf);
	free(m);
}
