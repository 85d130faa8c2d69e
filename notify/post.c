/*
 * post.c: webhook POSTs with libcurl's multi interface on ticd's libevent
 * loop.
 *
 * The loop's glue is curlev.c's, as for mail, on a multi handle of its
 * own: webhooks get their own connection cache and their own cap on
 * connections per host, so a hanging endpoint can hold at most its share
 * of transfers and never delays mail.
 *
 * A transfer owns its request (moved out of the caller's batch): curl
 * copies neither the body nor the header list.  Redirects are not
 * followed: a target's URL is the one the bureau set, and the allow-list
 * was checked against it.  What comes back is kept bounded: the status,
 * Retry-After, and the first few KiB of the body (robots answer a line of
 * JSON).
 */
#include <sys/queue.h>

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

struct post_transfer {
	TAILQ_ENTRY(post_transfer) entry;
	struct post		*post;
	CURL			*easy;
	struct curl_slist	*headers;	/* curl does not copy these */
	char			*url;
	char			*body;
	size_t			 len;
	struct buf		 answer;
	char			 retry_after[RETRY_AFTER_MAX];
	char			 errbuf[CURL_ERROR_SIZE];
	post_done_cb		 cb;
	void			*arg;
};

struct post {
	struct curlev		*cev;
	TAILQ_HEAD(, post_transfer) transfers;
};

static void
transfer_free(struct post_transfer *tr)
{
	curl_easy_cleanup(tr->easy);
	curl_slist_free_all(tr->headers);
	free(tr->url);
	free(tr->body);
	buf_free(&tr->answer);
	free(tr);
}

/* A finished transfer, out of the multi handle: its result to its owner,
 * then freed. */
static void
done_cb(CURL *easy, CURLcode result, void *arg)
{
	struct post		*p = arg;
	struct post_transfer	*tr;
	struct post_result	 r;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &tr);
	memset(&r, 0, sizeof(r));
	r.curl_code = (int)result;
	curl_easy_getinfo(tr->easy, CURLINFO_RESPONSE_CODE, &r.status);
	r.retry_after = tr->retry_after[0] ? tr->retry_after : NULL;
	r.body = tr->answer.data;
	r.len = tr->answer.len;
	r.detail = tr->errbuf[0] ? tr->errbuf : NULL;
	TAILQ_REMOVE(&p->transfers, tr, entry);
	tr->cb(&r, tr->arg);
	transfer_free(tr);
}

struct post *
post_new(struct event_base *base, long per_host, char **error)
{
	struct post	*p = xcalloc(1, sizeof(*p));

	if ((p->cev = curlev_new(base, done_cb, p, error)) == NULL) {
		free(p);
		return NULL;
	}
	TAILQ_INIT(&p->transfers);
	post_set_per_host(p, per_host);
	return p;
}

void
post_set_per_host(struct post *p, long per_host)
{
	if (per_host < 1)
		per_host = 1;
	curl_multi_setopt(curlev_multi(p->cev), CURLMOPT_MAX_HOST_CONNECTIONS,
	    per_host);
	/* Keep the connections: a burst to one host reuses them all. */
	curl_multi_setopt(curlev_multi(p->cev), CURLMOPT_MAXCONNECTS,
	    per_host * 4);
}

void
post_cancel(struct post *p, struct post_transfer *tr)
{
	curlev_remove(p->cev, tr->easy);
	TAILQ_REMOVE(&p->transfers, tr, entry);
	transfer_free(tr);
}

void
post_free(struct post *p)
{
	struct post_transfer	*tr;

	if (p == NULL)
		return;
	while ((tr = TAILQ_FIRST(&p->transfers)) != NULL)
		post_cancel(p, tr);
	curlev_free(p->cev);
	free(p);
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
set_options(struct post_transfer *tr, long timeout)
{
	CURL	*e = tr->easy;

	curl_easy_setopt(e, CURLOPT_URL, tr->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, tr->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)tr->len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, tr->headers);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, timeout < CONNECT_MAX ?
	    timeout : (long)CONNECT_MAX);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, tr);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, tr->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, tr);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, tr);
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

struct post_transfer *
post_send(struct post *p, struct notify_request *r, long timeout,
    post_done_cb cb, void *arg, char **error)
{
	struct post_transfer	*tr = xcalloc(1, sizeof(*tr));
	size_t			 i;

	if ((tr->easy = curl_easy_init()) == NULL) {
		free(tr);
		*error = xstrdup("curl_easy_init failed");
		return NULL;
	}
	tr->post = p;
	tr->cb = cb;
	tr->arg = arg;
	/* Moved, not copied: the request is ours until the transfer ends. */
	tr->url = r->url;
	tr->body = r->body;
	tr->len = r->len;
	r->url = r->body = NULL;
	buf_init(&tr->answer);
	for (i = 0; i < r->nheaders; i++)
		add_header(tr, r->headers[i]);
	add_header(tr, "User-Agent: ticd");
	/* No "Expect: 100-continue" wait before a larger body. */
	add_header(tr, "Expect:");
	set_options(tr, timeout);
	if (curlev_add(p->cev, tr->easy) == -1) {
		*error = xstrdup("curl_multi_add_handle failed");
		transfer_free(tr);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&p->transfers, tr, entry);
	return tr;
}
