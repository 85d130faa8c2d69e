/*
 * worker.c: a thread with an event loop of its own, fed jobs from the
 * daemon's loop: the mail thread (mailer.c) and the webhook thread
 * (post.c) are each one.
 *
 * Jobs go in and results come out through two queues under one mutex,
 * each with a pipe that wakes the other side's loop once per batch (not
 * per job).  A job is the owner's struct with a struct worker_job in it;
 * the worker only queues it, calls the owner's start on the thread and the
 * owner's report on the daemon's loop.  What a job does meanwhile (a
 * transfer on the thread's loop) is the owner's, and so is keeping track
 * of the jobs started and not yet done, which only the thread touches
 * until worker_join has returned.
 *
 * Stopping is in two steps so the owner can act in between (mailer.c
 * cuts its SMTP connections there): worker_quit, from which on the thread
 * starts nothing more and leaves its loop at its next wake-up; then
 * worker_join, which joins it and reports, on the caller's thread, the
 * jobs it had finished.  worker_free drops the jobs never started.
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "common/common.h"
#include "notify/notify-int.h"

TAILQ_HEAD(worker_jobs, worker_job);

struct worker {
	char			 name[16];	/* the thread's, for top -H */
	worker_job_cb		 start;		/* on the thread */
	worker_job_cb		 report;	/* on the daemon's loop */
	void			*arg;
	/* The daemon's side. */
	struct event		 out_ev;	/* results to report */
	int			 out_pipe[2];
	struct worker_jobs	 in_pending;	/* submitted, not yet queued */
	struct event		 in_flush;
	/* Shared, under lock. */
	pthread_mutex_t		 lock;
	struct worker_jobs	 in, out;
	bool			 in_woken, out_woken, quit;
	/* The thread's side. */
	pthread_t		 thread;
	bool			 running;	/* created, not joined */
	struct event_base	*base;
	struct event		 in_ev;		/* jobs to start */
	int			 in_pipe[2];
	struct worker_jobs	 out_pending;	/* done, not yet queued */
	struct event		 out_flush;
};

/* One byte wakes the other loop; the flag keeps it to one a batch. */
static void
wake(int fd)
{
	while (write(fd, "", 1) == -1 && errno == EINTR)
		;
}

/* One read: there is at most a byte a batch, and one left over (written
 * after the read) wakes the loop again, which finds the queue empty. */
static void
drain(int fd)
{
	char	 buf[64];

	(void)!read(fd, buf, sizeof(buf));
}

/*
 * Jobs for the other side are kept on this side until the callback that
 * made them, and those already due on this loop, have run (flush, by an
 * event made active: it runs after them in the same turn of the loop);
 * then queued together, waking the other side unless it was woken since
 * it last took its queue.  Waking a sleeping thread is what costs (a
 * system call on each side, and on a virtual machine an interrupt):
 * measured with a burst of webhooks, one wake per job cost more CPU than
 * curl's whole transfer.
 */
static void
push(struct worker_jobs *pending, struct event *flush, struct worker_job *j)
{
	TAILQ_INSERT_TAIL(pending, j, entry);
	event_active(flush, EV_TIMEOUT, 1);
}

static void
flush(struct worker *w, struct worker_jobs *pending, struct worker_jobs *q,
    bool *woken, int fd)
{
	bool	 must;

	if (TAILQ_EMPTY(pending))
		return;
	pthread_mutex_lock(&w->lock);
	TAILQ_CONCAT(q, pending, entry);
	must = !*woken;
	*woken = true;
	pthread_mutex_unlock(&w->lock);
	if (must)
		wake(fd);
}

static void
in_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker	*w = arg;

	(void)fd;
	(void)what;
	flush(w, &w->in_pending, &w->in, &w->in_woken, w->in_pipe[1]);
}

static void
out_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker	*w = arg;

	(void)fd;
	(void)what;
	flush(w, &w->out_pending, &w->out, &w->out_woken, w->out_pipe[1]);
}

/* Everything in q, taken under the lock; *woken cleared. */
static void
take(struct worker *w, struct worker_jobs *q, bool *woken,
    struct worker_jobs *into, bool *quit)
{
	pthread_mutex_lock(&w->lock);
	TAILQ_CONCAT(into, q, entry);
	*woken = false;
	if (quit != NULL)
		*quit = w->quit;
	pthread_mutex_unlock(&w->lock);
}

/* ---- the thread ---- */

/* Jobs arrived: started in order; once quitting, none is, and the loop
 * ends (the jobs stay queued for worker_free). */
static void
in_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker		*w = arg;
	struct worker_jobs	 jobs = TAILQ_HEAD_INITIALIZER(jobs);
	struct worker_job	*j;
	bool			 quit;

	(void)what;
	drain(fd);
	take(w, &w->in, &w->in_woken, &jobs, &quit);
	if (quit) {
		pthread_mutex_lock(&w->lock);
		TAILQ_CONCAT(&jobs, &w->in, entry);
		TAILQ_CONCAT(&w->in, &jobs, entry);
		pthread_mutex_unlock(&w->lock);
		event_base_loopbreak(w->base);
		return;
	}
	while ((j = TAILQ_FIRST(&jobs)) != NULL) {
		TAILQ_REMOVE(&jobs, j, entry);
		w->start(j, w->arg);
	}
}

static void *
thread_main(void *arg)
{
	struct worker	*w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

bool
worker_quitting(struct worker *w)
{
	bool	 quit;

	pthread_mutex_lock(&w->lock);
	quit = w->quit;
	pthread_mutex_unlock(&w->lock);
	return quit;
}

void
worker_done(struct worker *w, struct worker_job *j)
{
	push(&w->out_pending, &w->out_flush, j);
}

/* ---- the daemon's side ---- */

/* Results arrived: each reported, on the daemon's loop. */
static void
out_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker		*w = arg;
	struct worker_jobs	 done = TAILQ_HEAD_INITIALIZER(done);
	struct worker_job	*j;

	(void)what;
	drain(fd);
	take(w, &w->out, &w->out_woken, &done, NULL);
	while ((j = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, j, entry);
		w->report(j, w->arg);
	}
}

void
worker_submit(struct worker *w, struct worker_job *j)
{
	push(&w->in_pending, &w->in_flush, j);
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

struct worker *
worker_new(const char *name, struct event_base *main_base,
    worker_job_cb start, worker_job_cb report, void *arg, char **error)
{
	struct worker	*w = xcalloc(1, sizeof(*w));

	/* Linux keeps 15 bytes of a thread's name. */
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->start = start;
	w->report = report;
	w->arg = arg;
	pthread_mutex_init(&w->lock, NULL);
	TAILQ_INIT(&w->in);
	TAILQ_INIT(&w->out);
	TAILQ_INIT(&w->in_pending);
	TAILQ_INIT(&w->out_pending);
	w->in_pipe[0] = w->in_pipe[1] = w->out_pipe[0] = w->out_pipe[1] = -1;
	if (pipe_open(w->in_pipe, error) == -1 ||
	    pipe_open(w->out_pipe, error) == -1)
		goto fail;
	if ((w->base = event_base_new()) == NULL) {
		*error = xstrdup("event_base_new failed");
		goto fail;
	}
	event_assign(&w->in_ev, w->base, w->in_pipe[0], EV_READ | EV_PERSIST,
	    in_cb, w);
	event_add(&w->in_ev, NULL);
	event_assign(&w->out_flush, w->base, -1, 0, out_flush_cb, w);
	event_assign(&w->out_ev, main_base, w->out_pipe[0],
	    EV_READ | EV_PERSIST, out_cb, w);
	event_add(&w->out_ev, NULL);
	event_assign(&w->in_flush, main_base, -1, 0, in_flush_cb, w);
	return w;
fail:
	worker_free(w, NULL);
	return NULL;
}

struct event_base *
worker_base(struct worker *w)
{
	return w->base;
}

int
worker_run(struct worker *w, char **error)
{
	sigset_t	 all, old;
	int		 rc;

	/* Signals are the daemon's loop's: the thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, thread_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		*error = xasprintf("pthread_create: %s", strerror(rc));
		return -1;
	}
	(void)pthread_setname_np(w->thread, w->name);
	w->running = true;
	return 0;
}

void
worker_quit(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->quit = true;
	pthread_mutex_unlock(&w->lock);
}

void
worker_join(struct worker *w)
{
	worker_quit(w);
	if (w->running) {
		wake(w->in_pipe[1]);
		pthread_join(w->thread, NULL);
		w->running = false;
	}
	/* The thread is gone: what it finished is reported here, with what
	 * it had not handed over yet. */
	TAILQ_CONCAT(&w->out, &w->out_pending, entry);
	out_cb(w->out_pipe[0], EV_READ, w);
}

void
worker_free(struct worker *w, worker_job_cb drop)
{
	struct worker_job	*j;

	if (w == NULL)
		return;
	if (w->running)
		worker_join(w);
	TAILQ_CONCAT(&w->in, &w->in_pending, entry);
	while ((j = TAILQ_FIRST(&w->in)) != NULL) {
		TAILQ_REMOVE(&w->in, j, entry);
		if (drop != NULL)
			drop(j, w->arg);
	}
	if (event_initialized(&w->out_ev))
		event_del(&w->out_ev);
	if (event_initialized(&w->in_flush))
		event_del(&w->in_flush);
	if (w->base != NULL) {
		if (event_initialized(&w->in_ev))
			event_del(&w->in_ev);
		if (event_initialized(&w->out_flush))
			event_del(&w->out_flush);
		event_base_free(w->base);
	}
	pipe_close(w->in_pipe);
	pipe_close(w->out_pipe);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
