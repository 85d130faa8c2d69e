/*
 * post.c: webhook POSTs with libcurl's multi interface, on a thread of
 * their own (worker.c) with its own event loop and curl multi handle.
 *
 * In a burst the daemon's loop was busy with everything a post costs: the
 * store, the signing and curl's own work per transfer (a handle set up,
 * the connection looked up and checked, sockets re-armed, the answer
 * parsed): issue 6's bench had ticd at 0.22x a bare libcurl sender.  Now
 * the loop keeps the outbox, the store and the targets; a post's request
 * is built here (notify_build is pure: the signature, a robot's body and
 * parts) and sent here, and the loop takes the results a batch per
 * wake-up.  The thread never touches the store, the targets or the
 * daemon's loop.
 *
 * The glue to the thread's loop is curlev.c's, as for mail: webhooks get
 * their own connection cache and connections, so a hanging endpoint never
 * delays mail.  It can hold every webhook transfer, though, until they
 * time out ([webhooks] timeout): the cap per host is the same "parallel"
 * as the cap on all of them.  A transfer owns its request (moved out of
 * the caller's batch): curl copies neither the body nor the header list.
 * Redirects are not followed: a target's URL is the one the bureau set,
 * and the allow-list was checked against it.  What comes back is kept
 * bounded: the status, Retry-After, and the first few KiB of the body
 * (robots answer a line of JSON).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "common/common.h"
#include "notify/notify-int.h"

#define ANSWER_MAX	8192	/* bytes of an answer's body kept */
#define RETRY_AFTER_MAX	64	/* bytes of a Retry-After value kept */
#define CONNECT_MAX	10	/* seconds to connect, at most */
#define IDLE_MAX	32	/* easy handles kept for reuse */

struct post_transfer {
	struct worker_job	 job;		/* first: the worker's */
	long			 parallel;	/* > 0: a new cap, no POST */
	/* What to build, copied from the caller's post_spec. */
	enum notify_format	 format;
	char			*target;	/* the target's URL */
	char			*secret;	/* wiped when freed */
	char			*message_id;
	char			*payload;
	size_t			 payload_len;
	long long		 now_ms;
	size_t			 part;
	long			 timeout;
	/* The request, built on the thread. */
	CURL			*easy;
	struct curl_slist	*headers;	/* curl does not copy these */
	char			*url;
	char			*body;
	size_t			 len;
	/* The answer, filled in on the thread. */
	size_t			 parts;
	bool			 none;		/* no such part: all went */
	char			*build_error;
	CURLcode		 result;
	long			 status;
	struct buf		 answer;
	char			 retry_after[RETRY_AFTER_MAX];
	char			 errbuf[CURL_ERROR_SIZE];
	/* The daemon's side. */
	bool			 cancelled;	/* dropped unreported */
	post_done_cb		 cb;
	void			*arg;
};

struct post {
	struct worker		*w;
	/* The thread's, until worker_join: the transfers in curl's hands,
	 * at most parallel of them, and those waiting their turn. */
	struct curlev		*cev;
	TAILQ_HEAD(, worker_job) sending, waiting;
	size_t			 nsending;
	long			 parallel;
	/* Easy handles of finished transfers, reset for the next ones (a
	 * new handle is an allocation and a setup per post). */
	CURL			*idle[IDLE_MAX];
	size_t			 nidle;
};

static void
transfer_free(struct post_transfer *tr)
{
	if (tr->easy != NULL)
		curl_easy_cleanup(tr->easy);
	curl_slist_free_all(tr->headers);
	free(tr->target);
	notify_secret_free(tr->secret);
	free(tr->message_id);
	free(tr->payload);
	free(tr->build_error);
	free(tr->url);
	free(tr->body);
	buf_free(&tr->answer);
	free(tr);
}

/* ---- the thread ---- */

static void	 over(struct post *, struct post_transfer *);
static void	 begin_waiting(struct post *);

/* A finished transfer, out of the multi handle: its answer kept, its
 * handle freed, the rest queued for the daemon's loop. */
static void
done_cb(CURL *easy, CURLcode result, void *arg)
{
	struct post		*p = arg;
	struct post_transfer	*tr;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &tr);
	tr->result = result;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &tr->status);
	if (p->nidle < IDLE_MAX) {
		curl_easy_reset(easy);
		p->idle[p->nidle++] = easy;
	} else
		curl_easy_cleanup(easy);
	tr->easy = NULL;
	over(p, tr);
	begin_waiting(p);
}

static void
set_parallel(struct post *p, long parallel)
{
	p->parallel = parallel;
	curl_multi_setopt(curlev_multi(p->cev), CURLMOPT_MAX_HOST_CONNECTIONS,
	    parallel);
	/* Keep the connections: a burst to one host reuses them all. */
	curl_multi_setopt(curlev_multi(p->cev), CURLMOPT_MAXCONNECTS,
	    parallel * 4);
}

/* The answer's body, at most ANSWER_MAX bytes of it; the rest is read
 * and dropped, so a chatty endpoint cannot grow our memory. */
static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct post_transfer	*tr = arg;
	size_t			 n = size * nmemb, room;

	room = tr->answer.len < ANSWER_MAX ? ANSWER_MAX - tr->answer.len : 0;
	buf_add(&tr->answer, data, n < room ? n : room);
	return n;
}

/* Keeps Retry-After (of the last response: a 100 Continue has none). */
static size_t
header_cb(char *line, size_t size, size_t nmemb, void *arg)
{
	struct post_transfer	*tr = arg;
	size_t			 n = size * nmemb, k = strlen("Retry-After:");
	size_t			 i, len;

	if (n > k && strncasecmp(line, "Retry-After:", k) == 0) {
		for (i = k; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
			;
		for (len = 0; i + len < n && line[i + len] != '\r' &&
		    line[i + len] != '\n' && len < sizeof(tr->retry_after) - 1;
		    len++)
			tr->retry_after[len] = line[i + len];
		tr->retry_after[len] = '\0';
	}
	return n;
}

static void
set_options(struct post_transfer *tr)
{
	CURL	*e = tr->easy;

	curl_easy_setopt(e, CURLOPT_URL, tr->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, tr->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)tr->len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, tr->headers);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, tr->timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, tr->timeout < CONNECT_MAX ?
	    tr->timeout : (long)CONNECT_MAX);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, tr);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, tr->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, tr);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, tr);
}

/* A transfer that could not start: reported as curl's failure. */
static void
done_failed(struct post *p, struct post_transfer *tr, const char *why)
{
	if (tr->easy != NULL)
		curl_easy_cleanup(tr->easy);
	tr->easy = NULL;
	tr->result = CURLE_FAILED_INIT;
	snprintf(tr->errbuf, sizeof(tr->errbuf), "%s", why);
	over(p, tr);
}

/* Appends a header line; curl_slist_append fails only out of memory. */
static void
add_header(struct post_transfer *tr, const char *line)
{
	struct curl_slist	*l;

	if ((l = curl_slist_append(tr->headers, line)) == NULL)
		abort();
	tr->headers = l;
}

/*
 * The message's parts built (notify_build: signed, a robot's split under
 * its size limit, always the same way) and part tr->part made the request;
 * false when there is nothing to post: the message cannot be built
 * (build_error), or every part already went (none).
 */
static bool
build(struct post_transfer *tr)
{
	struct notify_batch	 b;
	struct notify_request	*r;
	size_t			 i;

	if (notify_build(tr->format, tr->target, tr->secret, tr->message_id,
	    tr->payload, tr->payload_len, tr->now_ms, &b,
	    &tr->build_error) == -1)
		return false;
	tr->parts = b.n;
	if (tr->part >= b.n) {
		tr->none = true;
		notify_batch_clear(&b);
		return false;
	}
	r = &b.req[tr->part];
	/* Moved, not copied: curl reads them until the transfer ends. */
	tr->url = r->url;
	tr->body = r->body;
	tr->len = r->len;
	r->url = r->body = NULL;
	for (i = 0; i < r->nheaders; i++)
		add_header(tr, r->headers[i]);
	add_header(tr, "User-Agent: ticd");
	/* No "Expect: 100-continue" wait before a larger body. */
	add_header(tr, "Expect:");
	notify_batch_clear(&b);
	return true;
}

/* Hands tr to curl, once built; or reports it at once. */
static void
begin(struct post *p, struct post_transfer *tr)
{
	TAILQ_INSERT_TAIL(&p->sending, &tr->job, entry);
	p->nsending++;
	if (!build(tr)) {
		over(p, tr);
		return;
	}
	if (p->nidle > 0)
		tr->easy = p->idle[--p->nidle];
	else if ((tr->easy = curl_easy_init()) == NULL) {
		done_failed(p, tr, "curl_easy_init failed");
		return;
	}
	set_options(tr);
	if (curlev_add(p->cev, tr->easy) == -1)
		done_failed(p, tr, "curl_multi_add_handle failed");
}

/* Starts waiting transfers while fewer than parallel are in curl's
 * hands.  They wait here rather than in curl's own queue of pending
 * transfers, so a transfer's timeout starts when it does. */
static void
begin_waiting(struct post *p)
{
	struct worker_job	*j;

	while ((size_t)p->parallel > p->nsending &&
	    (j = TAILQ_FIRST(&p->waiting)) != NULL) {
		TAILQ_REMOVE(&p->waiting, j, entry);
		begin(p, (struct post_transfer *)j);
	}
}

/*
 * The request of a transfer that is over, freed here: the thread
 * allocated it, and memory freed by another thread goes back to its
 * arena under that arena's lock (in a burst the loop spent about a tenth
 * of its time a post freeing the body and header lists this way).  The
 * secret is wiped as soon as it is no longer needed.
 */
static void
request_free(struct post_transfer *tr)
{
	curl_slist_free_all(tr->headers);
	tr->headers = NULL;
	free(tr->url);
	tr->url = NULL;
	free(tr->body);
	tr->body = NULL;
	notify_secret_free(tr->secret);
	tr->secret = NULL;
}

/* A transfer is over (or could not start): out of the count, its request
 * freed, and its result on its way to the daemon's loop.  The caller
 * begins the next. */
static void
over(struct post *p, struct post_transfer *tr)
{
	TAILQ_REMOVE(&p->sending, &tr->job, entry);
	p->nsending--;
	request_free(tr);
	worker_done(p->w, &tr->job);
}

/* A job, on the thread: a new cap taken, or a POST queued to begin in
 * its turn. */
static void
start_cb(struct worker_job *j, void *arg)
{
	struct post		*p = arg;
	struct post_transfer	*tr = (struct post_transfer *)j;

	if (tr->parallel > 0) {
		set_parallel(p, tr->parallel);
		transfer_free(tr);
	} else
		TAILQ_INSERT_TAIL(&p->waiting, &tr->job, entry);
	begin_waiting(p);
}

/* ---- the daemon's side ---- */

/* A result, to its owner; then freed. */
static void
report_cb(struct worker_job *j, void *arg)
{
	struct post_transfer	*tr = (struct post_transfer *)j;
	struct post_result	 r;

	(void)arg;
	if (!tr->cancelled) {
		memset(&r, 0, sizeof(r));
		r.curl_code = (int)tr->result;
		r.status = tr->status;
		r.retry_after = tr->retry_after[0] ? tr->retry_after : NULL;
		r.body = tr->answer.data;
		r.len = tr->answer.len;
		r.detail = tr->errbuf[0] ? tr->errbuf : NULL;
		r.parts = tr->parts;
		r.none = tr->none;
		r.build_error = tr->build_error;
		tr->cb(&r, tr->arg);
	}
	transfer_free(tr);
}

static void
drop_cb(struct worker_job *j, void *arg)
{
	(void)arg;
	transfer_free((struct post_transfer *)j);
}

struct post *
post_new(struct event_base *base, long parallel, char **error)
{
	struct post	*p = xcalloc(1, sizeof(*p));

	TAILQ_INIT(&p->sending);
	TAILQ_INIT(&p->waiting);
	if ((p->w = worker_new("ticd-webhooks", base, start_cb, report_cb, p,
	    error)) == NULL)
		goto fail;
	if ((p->cev = curlev_new(worker_base(p->w), done_cb, p,
	    error)) == NULL)
		goto fail;
	set_parallel(p, parallel < 1 ? 1 : parallel);
	if (worker_run(p->w, error) == -1)
		goto fail;
	return p;
fail:
	curlev_free(p->cev);
	worker_free(p->w, drop_cb);
	free(p);
	return NULL;
}

void
post_set_parallel(struct post *p, long parallel)
{
	struct post_transfer	*tr = xcalloc(1, sizeof(*tr));

	/* The multi handle is the thread's: the change goes as a job. */
	tr->parallel = parallel < 1 ? 1 : parallel;
	worker_submit(p->w, &tr->job);
}

void
post_cancel(struct post *p, struct post_transfer *tr)
{
	(void)p;
	/* The transfer may be on the thread: it is freed when it comes
	 * back, or by post_free, never reported. */
	tr->cancelled = true;
}

void
post_stop(struct post *p)
{
	/* Nothing more starts; what had ended is reported now. */
	worker_join(p->w);
}

void
post_free(struct post *p)
{
	struct worker_job	*j;

	if (p == NULL)
		return;
	post_stop(p);
	/* The thread is gone: its transfers are this thread's to end. */
	while ((j = TAILQ_FIRST(&p->sending)) != NULL) {
		struct post_transfer *tr = (struct post_transfer *)j;

		TAILQ_REMOVE(&p->sending, j, entry);
		if (tr->easy != NULL)
			curlev_remove(p->cev, tr->easy);
		transfer_free(tr);
	}
	while ((j = TAILQ_FIRST(&p->waiting)) != NULL) {
		TAILQ_REMOVE(&p->waiting, j, entry);
		transfer_free((struct post_transfer *)j);
	}
	while (p->nidle > 0)
		curl_easy_cleanup(p->idle[--p->nidle]);
	curlev_free(p->cev);
	worker_free(p->w, drop_cb);
	free(p);
}

struct post_transfer *
post_send(struct post *p, const struct post_spec *spec, long timeout,
    post_done_cb cb, void *arg)
{
	struct post_transfer	*tr = xcalloc(1, sizeof(*tr));

	tr->cb = cb;
	tr->arg = arg;
	tr->timeout = timeout;
	tr->format = spec->format;
	tr->target = xstrdup(spec->url);
	tr->secret = spec->secret != NULL ? xstrdup(spec->secret) : NULL;
	tr->message_id = xstrdup(spec->message_id);
	tr->payload = xmalloc(spec->len + 1);
	memcpy(tr->payload, spec->payload, spec->len);
	tr->payload[spec->len] = '\0';
	tr->payload_len = spec->len;
	tr->now_ms = spec->now_ms;
	tr->part = spec->part;
	buf_init(&tr->answer);
	worker_submit(p->w, &tr->job);
	return tr;
}
