/*
 * post.c: webhook POSTs with libcurl's multi interface on ticd's libevent
 * loop.
 *
 * The same hiperfifo pattern as smtp.c (curl names the sockets it waits
 * on and when it next needs the time; one libevent event per socket and
 * one timer call curl back), on a multi handle of its own: webhooks get
 * their own connection cache and their own cap on connections per host,
 * so a hanging endpoint can hold at most its share of transfers and never
 * delays mail.  curl is called only from libevent's callbacks; curl's own
 * callbacks only (re)arm events.
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
#include <event2/event_struct.h>

#include "common/common.h"
#include "notify/notify.h"

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
	struct event_base	*base;
	CURLM			*multi;
	struct event		 timer_ev;
	TAILQ_HEAD(, post_transfer) transfers;
};

/* One socket curl waits on. */
struct post_sock {
	struct post		*post;
	struct event		 ev;
	bool			 armed;
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

/* Reports each finished transfer to its owner, then frees it. */
static void
check_done(struct post *p)
{
	struct post_transfer	*tr;
	struct post_result	 r;
	CURLMsg			*msg;
	int			 left;

	while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &tr);
		memset(&r, 0, sizeof(r));
		r.curl_code = (int)msg->data.result;
		curl_easy_getinfo(tr->easy, CURLINFO_RESPONSE_CODE, &r.status);
		r.retry_after = tr->retry_after[0] ? tr->retry_after : NULL;
		r.body = tr->answer.data;
		r.len = tr->answer.len;
		r.detail = tr->errbuf[0] ? tr->errbuf : NULL;
		curl_multi_remove_handle(p->multi, tr->easy);
		TAILQ_REMOVE(&p->transfers, tr, entry);
		tr->cb(&r, tr->arg);
		transfer_free(tr);
	}
}

static void
socket_event_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct post_sock	*sock = arg;
	struct post		*p = sock->post;	/* sock may go below */
	int			 action = 0, running;

	if (kind & EV_READ)
		action |= CURL_CSELECT_IN;
	if (kind & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(p->multi, fd, action, &running);
	check_done(p);
	/* A callback may have started the next transfer (a robot message's
	 * next part), arming the timer for it: keep it then. */
	if (running <= 0 && TAILQ_EMPTY(&p->transfers) &&
	    evtimer_pending(&p->timer_ev, NULL))
		evtimer_del(&p->timer_ev);
}

static void
timer_event_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct post	*p = arg;
	int		 running;

	(void)fd;
	(void)kind;
	curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(p);
}

/* CURLMOPT_TIMERFUNCTION: only (re)arms the libevent timer. */
static int
curl_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct post	*p = arg;
	struct timeval	 tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(&p->timer_ev);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(&p->timer_ev, &tv);
	return 0;
}

/* CURLMOPT_SOCKETFUNCTION: one persistent event per socket, changed to
 * what curl now waits for, freed when curl is done with the socket. */
static int
curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *sockp)
{
	struct post		*p = arg;
	struct post_sock	*sock = sockp;
	short			 kind = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (sock != NULL) {
			if (sock->armed)
				event_del(&sock->ev);
			free(sock);
			curl_multi_assign(p->multi, fd, NULL);
		}
		return 0;
	}
	if (sock == NULL) {
		sock = xcalloc(1, sizeof(*sock));
		sock->post = p;
		curl_multi_assign(p->multi, fd, sock);
	} else if (sock->armed)
		event_del(&sock->ev);
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	event_assign(&sock->ev, p->base, fd, kind, socket_event_cb, sock);
	event_add(&sock->ev, NULL);
	sock->armed = true;
	return 0;
}

struct post *
post_new(struct event_base *base, long per_host, char **error)
{
	struct post	*p = xcalloc(1, sizeof(*p));

	if ((p->multi = curl_multi_init()) == NULL) {
		*error = xstrdup("curl_multi_init failed");
		free(p);
		return NULL;
	}
	p->base = base;
	TAILQ_INIT(&p->transfers);
	evtimer_assign(&p->timer_ev, base, timer_event_cb, p);
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p);
	post_set_per_host(p, per_host);
	return p;
}

void
post_set_per_host(struct post *p, long per_host)
{
	if (per_host < 1)
		per_host = 1;
	curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS, per_host);
	/* Keep the connections: a burst to one host reuses them all. */
	curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, per_host * 4);
}

void
post_cancel(struct post *p, struct post_transfer *tr)
{
	curl_multi_remove_handle(p->multi, tr->easy);
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
	/* Before the event base goes: curl may still remove sockets. */
	curl_multi_cleanup(p->multi);
	evtimer_del(&p->timer_ev);
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
	if (curl_multi_add_handle(p->multi, tr->easy) != CURLM_OK) {
		*error = xstrdup("curl_multi_add_handle failed");
		transfer_free(tr);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&p->transfers, tr, entry);
	return tr;
}
