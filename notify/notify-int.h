/*
 * notify-int.h: what notify/'s own files share and nobody else needs.
 */
#ifndef NOTIFY_INT_H
#define NOTIFY_INT_H

#include <sys/queue.h>

#include <stdarg.h>

#include <curl/curl.h>

#include "notify/notify.h"

/* curlev.c: libcurl's multi interface on a libevent loop */
struct curlev;
/* A transfer finished, already out of the multi handle: the owner's. */
typedef void (*curlev_done_cb)(CURL *easy, CURLcode result, void *arg);
/* Owner: smtp.c or post.c, freed (curlev_free) before the event base. */
struct curlev	*curlev_new(struct event_base *, curlev_done_cb, void *arg,
		    char **error);
/* For the owner's CURLMOPT_* settings. */
CURLM		*curlev_multi(struct curlev *);
int		 curlev_add(struct curlev *, CURL *);
/* Takes a transfer out before it ends; its callback is not called. */
void		 curlev_remove(struct curlev *, CURL *);
void		 curlev_free(struct curlev *);

/* worker.c: a thread with its own event loop, fed jobs by the daemon's */
struct worker;
/* In the owner's job; its entry is the worker's while queued, and the
 * owner's while the job runs on the thread. */
struct worker_job {
	TAILQ_ENTRY(worker_job)	 entry;
};
typedef void (*worker_job_cb)(struct worker_job *, void *arg);
/* start is called on the thread, report on main_base's loop.  name: the
 * thread's (top -H, ps -L), at most 15 bytes. */
struct worker	*worker_new(const char *name, struct event_base *main_base,
		    worker_job_cb start, worker_job_cb report, void *arg,
		    char **error);
/* The thread's loop, for the owner's handles (set up before worker_run,
 * freed after worker_join). */
struct event_base *worker_base(struct worker *);
int		 worker_run(struct worker *, char **error);
/* The daemon's loop: a job for the thread. */
void		 worker_submit(struct worker *, struct worker_job *);
/* The thread: a job ended, to be reported. */
void		 worker_done(struct worker *, struct worker_job *);
/* Any thread: whether worker_quit was called. */
bool		 worker_quitting(struct worker *);
/* Nothing more starts; the thread leaves its loop when woken. */
void		 worker_quit(struct worker *);
/* Quits, wakes and joins the thread, then reports (on the caller's
 * thread) the jobs it finished. */
void		 worker_join(struct worker *);
/* Joins if needed; drop gets each job never started. */
void		 worker_free(struct worker *, worker_job_cb drop);

/* deliver.c */
/* Formats a line and hands it to log (the daemon's, through its hooks);
 * nothing when log is NULL. */
void	 notify_say(void (*log)(void *, bool, const char *), void *arg,
	    bool warning, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* A copy of c with its defaults filled in; notify_conf_clear frees it. */
void	 notify_conf_copy(struct notify_conf *to, const struct notify_conf *c);

/* webhook.c */
/* The value after "name=" in a raw query string, or NULL. */
const char *notify_query_value(const char *query, const char *name);
/* A new, zeroed request at the end of a batch. */
struct notify_request *notify_batch_add(struct notify_batch *);
void	 notify_request_header(struct notify_request *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* At most a short line of an answer, control characters blanked, never
 * cutting a UTF-8 sequence.  The caller frees it. */
char	*notify_excerpt(const char *body, size_t len);

/* robot.c */
int	 notify_robot_build(enum notify_format, const char *url,
	    const char *secret, const json_t *payload, long long now_ms,
	    struct notify_batch *, char **why);
void	 notify_robot_classify(enum notify_format, long status,
	    const char *body, size_t len, struct notify_answer *);

#endif
