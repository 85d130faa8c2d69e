/*
 * mailer.c: the mail thread: SMTP transfers (smtp.c) on an event loop and
 * a curl multi handle of their own, fed from the daemon's loop.
 *
 * libcurl 7.88 waits for the answer to SMTP's final "." in blocking mode
 * (see smtp.c), so a server that accepts a message and then sits on its
 * answer would hold whichever loop drives the transfer.  Here that is this
 * thread's, never the daemon's (the API, the feeds, the watchdog).
 *
 * The thread owns its event_base, the smtp handle and a copy of the mail
 * settings; it never touches the store, GMime or the daemon's loop.  Jobs
 * go in and results come out through two queues under one mutex, each
 * with a pipe that wakes the other side's loop once per batch (not per
 * message).  A job borrows the caller's bytes and addresses, which stay
 * unchanged until its result is handed back on the daemon's loop (or
 * mailer_free returns).  The outbox states stay with the caller
 * (deliver.c), on the daemon's loop.
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "common/common.h"
#include "notify/notify-int.h"

struct mail_job {
	TAILQ_ENTRY(mail_job)	 entry;
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
TAILQ_HEAD(mail_jobs, mail_job);

struct mailer {
	/* The daemon's side. */
	struct event		 out_ev;	/* results to report */
	int			 out_pipe[2];
	/* Shared, under lock. */
	pthread_mutex_t		 lock;
	struct mail_jobs	 in, out;
	bool			 in_woken, out_woken, quit;
	/* The thread's side. */
	pthread_t		 thread;
	struct event_base	*base;
	struct event		 in_ev;		/* jobs to start */
	int			 in_pipe[2];
	struct smtp		*smtp;
	struct notify_conf	 conf;
	struct mail_jobs	 sending;
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

/* One byte wakes the other loop; the flag keeps it to one a batch. */
static void
wake(int fd)
{
	while (write(fd, "", 1) == -1 && errno == EINTR)
		;
}

/* With the lock held: j at the end of q, and whether the other side
 * must be woken (not yet woken since it last drained q). */
static bool
push_locked(struct mail_jobs *q, bool *woken, struct mail_job *j)
{
	bool	 must = !*woken;

	TAILQ_INSERT_TAIL(q, j, entry);
	*woken = true;
	return must;
}

static void
drain(int fd)
{
	char	 buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
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
	bool		 must;

	pthread_mutex_lock(&m->lock);
	if (m->quit) {
		pthread_mutex_unlock(&m->lock);
		return;		/* left in "sending" for mailer_free */
	}
	j->outcome = outcome;
	j->error = error != NULL ? xstrdup(error) : NULL;
	j->response = response != NULL ? xstrdup(response) : NULL;
	TAILQ_REMOVE(&m->sending, j, entry);
	must = push_locked(&m->out, &m->out_woken, j);
	pthread_mutex_unlock(&m->lock);
	if (must)
		wake(m->out_pipe[1]);
}

static void
start(struct mailer *m, struct mail_job *j)
{
	char	*error = NULL;

	TAILQ_INSERT_TAIL(&m->sending, j, entry);
	if (smtp_send(m->smtp, &m->conf, j->rcpt, j->nrcpt, j->data, j->len,
	    sent_cb, j, &error) == NULL) {
		sent_cb(NOTIFY_RETRY, error, NULL, j);
		free(error);
	}
}

/* Jobs arrived: new settings are taken, sends started, in order. */
static void
in_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mailer		*m = arg;
	struct mail_jobs	 jobs = TAILQ_HEAD_INITIALIZER(jobs);
	struct mail_job		*j;
	bool			 quit;

	(void)what;
	drain(fd);
	pthread_mutex_lock(&m->lock);
	TAILQ_CONCAT(&jobs, &m->in, entry);
	m->in_woken = false;
	quit = m->quit;
	pthread_mutex_unlock(&m->lock);
	if (quit) {
		/* Left for mailer_free, which frees them unreported. */
		pthread_mutex_lock(&m->lock);
		TAILQ_CONCAT(&m->in, &jobs, entry);
		pthread_mutex_unlock(&m->lock);
		event_base_loopbreak(m->base);
		return;
	}
	while ((j = TAILQ_FIRST(&jobs)) != NULL) {
		TAILQ_REMOVE(&jobs, j, entry);
		if (j->conf != NULL) {
			notify_conf_clear(&m->conf);
			notify_conf_copy(&m->conf, j->conf);
			job_free(j);
		} else
			start(m, j);
	}
}

static void *
thread_main(void *arg)
{
	struct mailer	*m = arg;

	event_base_dispatch(m->base);
	return NULL;
}

/* ---- the daemon's side ---- */

/* Results arrived: each reported to its caller, on the daemon's loop. */
static void
out_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mailer		*m = arg;
	struct mail_jobs	 done = TAILQ_HEAD_INITIALIZER(done);
	struct mail_job		*j;

	(void)what;
	drain(fd);
	pthread_mutex_lock(&m->lock);
	TAILQ_CONCAT(&done, &m->out, entry);
	m->out_woken = false;
	pthread_mutex_unlock(&m->lock);
	while ((j = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, j, entry);
		j->cb(j->outcome, j->error, j->response, j->arg);
		job_free(j);
	}
}

/* Queues a job for the thread, waking it if it is not yet woken. */
static void
submit(struct mailer *m, struct mail_job *j)
{
	bool	 must;

	j->m = m;
	pthread_mutex_lock(&m->lock);
	must = push_locked(&m->in, &m->in_woken, j);
	pthread_mutex_unlock(&m->lock);
	if (must)
		wake(m->in_pipe[1]);
}

static int
pipe_open(int fds[2], char **error)
{
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1) {
		*error = xasprintf("pipe: %s", strerror(errno));
		fds[0] = fds[1] = -1;
		return -1;
	}
	return 0;
}

static void
pipe_close(int fds[2])
{
	if (fds[0] != -1)
		close(fds[0]);
	if (fds[1] != -1)
		close(fds[1]);
}

/* The thread's loop, its pipes and its smtp handle; 0 or -1. */
static int
setup(struct mailer *m, struct event_base *main_base, char **error)
{
	m->in_pipe[0] = m->in_pipe[1] = m->out_pipe[0] = m->out_pipe[1] = -1;
	if (pipe_open(m->in_pipe, error) == -1 ||
	    pipe_open(m->out_pipe, error) == -1)
		return -1;
	if ((m->base = event_base_new()) == NULL) {
		*error = xstrdup("event_base_new failed");
		return -1;
	}
	if ((m->smtp = smtp_new(m->base, error)) == NULL)
		return -1;
	event_assign(&m->in_ev, m->base, m->in_pipe[0], EV_READ | EV_PERSIST,
	    in_cb, m);
	event_add(&m->in_ev, NULL);
	event_assign(&m->out_ev, main_base, m->out_pipe[0],
	    EV_READ | EV_PERSIST, out_cb, m);
	event_add(&m->out_ev, NULL);
	return 0;
}

static void
teardown(struct mailer *m)
{
	if (event_initialized(&m->out_ev))
		event_del(&m->out_ev);
	if (m->smtp != NULL)
		smtp_free(m->smtp);
	if (m->base != NULL) {
		if (event_initialized(&m->in_ev))
			event_del(&m->in_ev);
		event_base_free(m->base);
	}
	pipe_close(m->in_pipe);
	pipe_close(m->out_pipe);
	notify_conf_clear(&m->conf);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

struct mailer *
mailer_new(struct event_base *main_base, const struct notify_conf *conf,
    char **error)
{
	struct mailer	*m = xcalloc(1, sizeof(*m));
	sigset_t	 all, old;
	int		 rc;

	pthread_mutex_init(&m->lock, NULL);
	TAILQ_INIT(&m->in);
	TAILQ_INIT(&m->out);
	TAILQ_INIT(&m->sending);
	notify_conf_copy(&m->conf, conf);
	if (setup(m, main_base, error) == -1) {
		teardown(m);
		return NULL;
	}
	/* Signals are the daemon's loop's: the thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&m->thread, NULL, thread_main, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		*error = xasprintf("pthread_create: %s", strerror(rc));
		teardown(m);
		return NULL;
	}
	return m;
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
	struct mail_job	*j;

	if (m == NULL)
		return;
	/* Results from here on are not reported (sent_cb); then the
	 * connections are cut, so a wait inside curl returns at once and no
	 * final "." of a message cut short leaves. */
	pthread_mutex_lock(&m->lock);
	m->quit = true;
	pthread_mutex_unlock(&m->lock);
	smtp_shutdown(m->smtp);
	wake(m->in_pipe[1]);
	pthread_join(m->thread, NULL);
	/* The thread is gone: everything below is this thread's.  What
	 * ended is reported; what did not is dropped unreported. */
	out_cb(m->out_pipe[0], EV_READ, m);
	while ((j = TAILQ_FIRST(&m->in)) != NULL) {
		TAILQ_REMOVE(&m->in, j, entry);
		job_free(j);
	}
	smtp_free(m->smtp);
	m->smtp = NULL;
	while ((j = TAILQ_FIRST(&m->sending)) != NULL) {
		TAILQ_REMOVE(&m->sending, j, entry);
		job_free(j);
	}
	teardown(m);
}
