/*
 * http.c: the HTTP server (evhttp): listening, limits, JSON replies.
 *
 * Every reply goes through http_reply_json or http_reply_error, so the
 * headers, the status counters and the error shape are decided here once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "common/common.h"
#include "daemon/daemon.h"
#include "daemon/log.h"

#define HTTP_TIMEOUT	30		/* seconds a client may idle */
#define ACCEPT_PAUSE	1		/* seconds not accepting, out of fds */
#define ACCEPT_SAY	60		/* seconds between warnings of it */
#define HTTP_MAX_HEADERS (32 * 1024)
/*
 * A bufferevent writes at most 16 KiB per call by default, so a feed of
 * some megabytes, served from memory, would take a hundred turns of the
 * loop.  Up to this much goes to the socket at once (the kernel takes
 * what its buffer holds).
 */
#define HTTP_MAX_WRITE	(1024 * 1024)

static void
count_status(struct ticd *t, int status)
{
	if (status >= 100 && status < 600)
		t->metrics.requests[status / 100]++;
	if (status >= 400)
		t->metrics.errors++;
}

/* The reason phrase where libevent 2.1 has none of its own: it calls 422
 * "Client Error" (RFC 9110 §15.5.21: Unprocessable Content); NULL lets it
 * choose. */
static const char *
reason_of(int status)
{
	return status == 422 ? "Unprocessable Content" : NULL;
}

void
http_send(struct evhttp_request *req, int status, struct evbuffer *body)
{
	char	 len[32];

	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		/* evhttp 2.1 would send a HEAD reply's body, which a
		 * keep-alive client then reads as the next reply: send
		 * none, and say how long the GET's is. */
		snprintf(len, sizeof(len), "%zu", evbuffer_get_length(body));
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Length", len);
		evhttp_send_reply(req, status, reason_of(status), NULL);
		return;
	}
	evhttp_send_reply(req, status, reason_of(status), body);
}

/* Every reply with a body: its type and caching, counted, sent; the
 * buffer is freed. */
static void
reply(struct ticd *t, struct evhttp_request *req, int status,
    const char *type, const char *cache, struct evbuffer *buf)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", cache);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	count_status(t, status);
	http_send(req, status, buf);
	evbuffer_free(buf);
}

void
http_reply_json(struct ticd *t, struct evhttp_request *req, int status,
    json_t *body)
{
	struct evbuffer	*buf = evbuffer_new();
	char		*s;

	s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	if (s == NULL || buf == NULL)
		fatalx("out of memory encoding a reply");
	evbuffer_add(buf, s, strlen(s));
	evbuffer_add(buf, "\n", 1);
	free(s);
	reply(t, req, status, "application/json; charset=utf-8", "no-store",
	    buf);
}

/* A page for people (the obligation page): no script, style or frame of
 * any origin, and it may be kept a while (it changes with the rule pack). */
void
http_reply_html(struct ticd *t, struct evhttp_request *req, char *html)
{
	struct evbuffer	*buf = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (buf == NULL)
		fatalx("out of memory for a reply");
	evbuffer_add(buf, html, strlen(html));
	free(html);
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	reply(t, req, 200, "text/html; charset=utf-8", "public, max-age=300",
	    buf);
}

void
http_reply_error(struct ticd *t, struct evhttp_request *req, int status,
    const char *code, const char *message)
{
	json_t	*body;

	/* A message quoting what the client sent may not be UTF-8, which
	 * jansson refuses: the reply then goes without the quote, never
	 * without a reply (encoding a NULL body is fatal). */
	if ((body = json_pack("{s:{s:s, s:s}}", "error", "code", code,
	    "message", message)) == NULL)
		body = json_pack("{s:{s:s, s:s}}", "error", "code", code,
		    "message", "请求有误（其中有非 UTF-8 的内容）/ the request is "
		    "wrong (and holds text that is not UTF-8)");
	http_reply_json(t, req, status, body);
}

void
http_reply_unavailable(struct ticd *t, struct evhttp_request *req,
    char *error)
{
	http_reply_error(t, req, 503, "unavailable", error);
	free(error);
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct ticd	*t = arg;

	if (t->stopping) {
		http_reply_error(t, req, 503, "unavailable",
		    "ticd 正在停止 / ticd is stopping");
		return;
	}
	api_dispatch(t, req);
}

/* Each connection's bufferevent, made as evhttp would but with a larger
 * write size; evhttp sets its socket. */
static struct bufferevent *
bufferevent_cb(struct event_base *base, void *arg)
{
	struct bufferevent	*bev;

	(void)arg;
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev != NULL && bufferevent_set_max_single_write(bev,
	    HTTP_MAX_WRITE) == -1)
		log_warnx("cannot raise a connection's write size");
	return bev;
}

static int
split_listen(const char *listen, char **host, unsigned short *port)
{
	const char	*colon = strrchr(listen, ':');

	if (colon == NULL)
		return -1;
	*host = xstrndup(listen, (size_t)(colon - listen));
	/* [::1]:8470 */
	if ((*host)[0] == '[') {
		memmove(*host, *host + 1, strlen(*host));
		(*host)[strcspn(*host, "]")] = '\0';
	}
	*port = (unsigned short)atoi(colon + 1);
	return 0;
}

/* The daemon whose listener it is: libevent calls the listener's error
 * callback with evhttp's own argument, not one of ours. */
static struct ticd	*listening;

static void
accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ticd	*t = arg;

	(void)fd;
	(void)what;
	if (t->listener != NULL)
		evconnlistener_enable(evhttp_bound_socket_get_listener(
		    t->listener));
}

/*
 * accept() failed for a reason other than a client gone: out of file
 * descriptors (EMFILE, ENFILE) or of memory.  Without this callback
 * libevent 2.1's listener warns and tries again at once: ticd spun at
 * full CPU and wrote the warning thousands of times a second until a
 * connection closed.  As tmux and OpenSMTPD do, accepting stops for
 * ACCEPT_PAUSE; the connections already open are served (an idle one is
 * closed after HTTP_TIMEOUT) and new ones wait in the listen backlog.
 * Said once a minute at most, with how often it happened since.
 */
static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct ticd	*t = listening;
	struct timeval	 pause = { ACCEPT_PAUSE, 0 };
	int		 err = EVUTIL_SOCKET_ERROR();
	time_t		 now = time(NULL);

	(void)arg;
	evconnlistener_disable(lev);
	evtimer_add(&t->accept_ev, &pause);
	t->accept_pauses++;
	if (t->accept_said != 0 && now - t->accept_said < ACCEPT_SAY)
		return;
	log_warnx("accept: %s: no new connection for %d s (%lu pause(s) "
	    "since last said); connections idle %d s are closed",
	    evutil_socket_error_to_string(err), ACCEPT_PAUSE,
	    t->accept_pauses, HTTP_TIMEOUT);
	t->accept_said = now;
	t->accept_pauses = 0;
}

int
http_start(struct ticd *t, char **error)
{
	char		*host;
	unsigned short	 port;

	if ((t->http = evhttp_new(t->base)) == NULL) {
		*error = xstrdup("evhttp_new failed");
		return -1;
	}
	evhttp_set_max_body_size(t->http, (ev_ssize_t)t->conf.max_body);
	evhttp_set_max_headers_size(t->http, HTTP_MAX_HEADERS);
	evhttp_set_timeout(t->http, HTTP_TIMEOUT);
	/* Every method reaches the router, which answers 405 with Allow
	 * (evhttp itself would answer 501 in HTML). */
	evhttp_set_allowed_methods(t->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_DELETE | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT);
	evhttp_set_gencb(t->http, request_cb, t);
	evhttp_set_bevcb(t->http, bufferevent_cb, NULL);
	if (split_listen(t->conf.listen, &host, &port) == -1) {
		*error = xasprintf("listen = %s: expected host:port",
		    t->conf.listen);
		return -1;
	}
	errno = 0;
	if ((t->listener = evhttp_bind_socket_with_handle(t->http, host,
	    port)) == NULL) {
		/* libevent keeps bind()'s errno across its close(); none
		 * when the host did not resolve. */
		*error = xasprintf("无法监听 / cannot listen on %s: %s",
		    t->conf.listen, errno != 0 ? strerror(errno) :
		    "地址无法解析 / the address does not resolve");
		free(host);
		return -1;
	}
	listening = t;
	evtimer_assign(&t->accept_ev, t->base, accept_resume_cb, t);
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(
	    t->listener), accept_error_cb);
	log_info("listening on %s", t->conf.listen);
	free(host);
	return 0;
}

void
http_stop_accepting(struct ticd *t)
{
	if (t->listener != NULL) {
		evtimer_del(&t->accept_ev);
		evhttp_del_accept_socket(t->http, t->listener);
	}
	t->listener = NULL;
}

void
http_stop(struct ticd *t)
{
	http_stop_accepting(t);
	if (t->http != NULL)
		evhttp_free(t->http);
	t->http = NULL;
}
