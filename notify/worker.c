/*
 * worker.c: a thread with an event loop of its own, fed jobs from the
 * daemon's loop: the mail thread (mailer.c) and the webhook thread
 * (post.c) are each one.
 *
 * Jobs go in and results come out through two lanes alike: the jobs of
 * one turn of the sender's loop are handed over together, under one
 * mutex, and a pipe wakes the receiver's loop once per batch (not per
 * job).  A job is the owner's struct with a struct worker_job in it;
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

/*
 * One direction of jobs ("in": the daemon's loop to the thread; "out":
 * back).  The sender keeps the jobs of its loop's turn in pending, and its
 * flush event hands them over to queued once the turn's callbacks have run
 * (made active: it runs after them, in the same turn); then the receiver
 * is woken unless it was woken since it last took its queue.  Waking a
 * sleeping thread is what costs (a system call on each side, and on a
 * virtual machine an interrupt): measured with a burst of webhooks, one
 * wake per job cost more CPU than curl's whole transfer.
 */
struct lane {
	struct worker		*w;
	struct worker_jobs	 pending;	/* the sender's */
	struct event		 flush;		/* on the sender's loop */
	struct worker_jobs	 queued;	/* under w->lock */
	bool			 woken;		/* under w->lock */
	int			 pipe[2];
	struct event		 ready;		/* on the receiver's loop */
};

struct worker {
	char			 name[16];	/* the thread's, for top -H */
	worker_job_cb		 start;		/* on the thread */
	worker_job_cb		 report;	/* on the daemon's loop */
	void			*arg;
	pthread_mutex_t		 lock;
	bool			 quit;		/* under lock */
	struct lane		 in, out;
	pthread_t		 thread;
	bool			 running;	/* created, not joined */
	struct event_base	*base;		/* the thread's */
};

/* One byte wakes the other loop; the flag keeps it to one a batch. */
static void
wake(int fd)
{
	while (write(fd, "", 1) == -1 && errno == EINTR)
		;
}

static void
push(struct lane *l, struct worker_job *j)
{
	TAILQ_INSERT_TAIL(&l->pending, j, entry);
	event_active(&l->flush, EV_TIMEOUT, 1);
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lane	*l = arg;
	bool		 must;

	(void)fd;
	(void)what;
	if (TAILQ_EMPTY(&l->pending))
		return;
	pthread_mutex_lock(&l->w->lock);
	TAILQ_CONCAT(&l->queued, &l->pending, entry);
	must = !l->woken;
	l->woken = true;
	pthread_mutex_unlock(&l->w->lock);
	if (must)
		wake(l->pipe[1]);
}

/* The receiver: everything queued, into "into"; whether the worker is
 * quitting.  One read of the pipe: there is at most a byte a batch, and
 * one written after the read wakes the loop again, to an empty queue. */
static bool
take(struct lane *l, struct worker_jobs *into)
{
	char	 buf[64];
	bool	 quit;

	(void)!read(l->pipe[0], buf, sizeof(buf));
	pthread_mutex_lock(&l->w->lock);
	TAILQ_CONCAT(into, &l->queued, entry);
	l->woken = false;
	quit = l->w->quit;
	pthread_mutex_unlock(&l->w->lock);
	return quit;
}

/* ---- the thread ---- */

/* Jobs arrived: started in order; once quitting, none is, and the loop
 * ends (the jobs stay queued for worker_free). */
static void
in_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker		*w = arg;
	struct worker_jobs	 jobs = TAILQ_HEAD_INITIALIZER(jobs);
	struct worker_job	*j;

	(void)fd;
	(void)what;
	if (take(&w->in, &jobs)) {
		pthread_mutex_lock(&w->lock);
		TAILQ_CONCAT(&jobs, &w->in.queued, entry);
		TAILQ_CONCAT(&w->in.queued, &jobs, entry);
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
	push(&w->out, j);
}

/* ---- the daemon's side ---- */

/* Results arrived: each reported, on the daemon's loop. */
static void
out_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker		*w = arg;
	struct worker_jobs	 done = TAILQ_HEAD_INITIALIZER(done);
	struct worker_job	*j;

	(void)fd;
	(void)what;
	(void)take(&w->out, &done);
	while ((j = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, j, entry);
		w->report(j, w->arg);
	}
}

void
worker_submit(struct worker *w, struct worker_job *j)
{
	push(&w->in, j);
}

/* A lane from the sender's loop to the receiver's; 0 or -1. */
static int
lane_open(struct lane *l, struct worker *w, struct event_base *sender,
    struct event_base *receiver, event_callback_fn ready_cb, char **error)
{
	if (pipe2(l->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		*error = xasprintf("pipe: %s", strerror(errno));
		l->pipe[0] = l->pipe[1] = -1;
		return -1;
	}
	event_assign(&l->flush, sender, -1, 0, flush_cb, l);
	event_assign(&l->ready, receiver, l->pipe[0], EV_READ | EV_PERSIST,
	    ready_cb, w);
	event_add(&l->ready, NULL);
	return 0;
}

static void
lane_close(struct lane *l)
{
	if (event_initialized(&l->flush))
		event_del(&l->flush);
	if (event_initialized(&l->ready))
		event_del(&l->ready);
	if (l->pipe[0] != -1)
		close(l->pipe[0]);
	if (l->pipe[1] != -1)
		close(l->pipe[1]);
}

static void
lane_init(struct lane *l, struct worker *w)
{
	l->w = w;
	TAILQ_INIT(&l->pending);
	TAILQ_INIT(&l->queued);
	l->pipe[0] = l->pipe[1] = -1;
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
	lane_init(&w->in, w);
	lane_init(&w->out, w);
	if ((w->base = evbase_new()) == NULL) {
		*error = xstrdup("event_base_new failed");
		goto fail;
	}
	if (lane_open(&w->in, w, main_base, w->base, in_ready_cb,
	    error) == -1 || lane_open(&w->out, w, w->base, main_base,
	    out_ready_cb, error) == -1)
		goto fail;
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
		wake(w->in.pipe[1]);
		pthread_join(w->thread, NULL);
		w->running = false;
	}
	/* The thread is gone: what it finished is reported here, with what
	 * it had not handed over yet. */
	TAILQ_CONCAT(&w->out.queued, &w->out.pending, entry);
	out_ready_cb(-1, EV_READ, w);
}

void
worker_free(struct worker *w, worker_job_cb drop)
{
	struct worker_job	*j;

	if (w == NULL)
		return;
	if (w->running)
		worker_join(w);
	TAILQ_CONCAT(&w->in.queued, &w->in.pending, entry);
	while ((j = TAILQ_FIRST(&w->in.queued)) != NULL) {
		TAILQ_REMOVE(&w->in.queued, j, entry);
		if (drop != NULL)
			drop(j, w->arg);
	}
	/* Every event off both loops before the thread's is freed. */
	lane_close(&w->in);
	lane_close(&w->out);
	if (w->base != NULL)
		event_base_free(w->base);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
