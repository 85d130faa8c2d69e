/*
 * curlev.c: libcurl's multi interface on a libevent loop, the glue that
 * smtp.c (on the mail thread's loop) and post.c (on the webhook thread's)
 * share.
 *
 * curl's hiperfifo pattern: curl says which sockets it waits on
 * (CURLMOPT_SOCKETFUNCTION) and when it next needs the time
 * (CURLMOPT_TIMERFUNCTION); we keep one libevent event per socket and one
 * timer, and call curl_multi_socket_action from their callbacks.  curl's
 * own callbacks only (re)arm events: curl is called from libevent's
 * callbacks, never from its own.  Each finished transfer is taken out of
 * the multi handle and handed to the owner's callback, which may start
 * the next one at once (a robot message's next part).
 */
#include <stdlib.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "common/common.h"
#include "notify/notify-int.h"

struct curlev {
	struct event_base	*base;
	CURLM			*multi;
	struct event		 timer_ev;
	size_t			 handles;	/* added, not yet removed */
	curlev_done_cb		 done;
	void			*arg;
};

/* One socket curl waits on. */
struct curlev_sock {
	struct curlev		*cev;
	struct event		 ev;
	bool			 armed;
};

/* Hands each finished transfer to the owner, out of the multi handle. */
static void
check_done(struct curlev *cev)
{
	CURLMsg		*msg;
	CURL		*easy;
	CURLcode	 result;
	int		 left;

	while ((msg = curl_multi_info_read(cev->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		/* msg is curl's until the handle is removed: copied first. */
		easy = msg->easy_handle;
		result = msg->data.result;
		curlev_remove(cev, easy);
		cev->done(easy, result, cev->arg);
	}
}

static void
socket_event_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct curlev_sock	*sock = arg;
	struct curlev		*cev = sock->cev;	/* sock may go below */
	int			 action = 0, running;

	if (kind & EV_READ)
		action |= CURL_CSELECT_IN;
	if (kind & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(cev->multi, fd, action, &running);
	check_done(cev);
	/* "running" was counted before the owner's callbacks: one of them
	 * may have started the next transfer, arming the timer for it.
	 * Keep the timer then, or that transfer would never start. */
	if (running <= 0 && cev->handles == 0 &&
	    evtimer_pending(&cev->timer_ev, NULL))
		evtimer_del(&cev->timer_ev);
}

static void
timer_event_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct curlev	*cev = arg;
	int		 running;

	(void)fd;
	(void)kind;
	curl_multi_socket_action(cev->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(cev);
}

/* CURLMOPT_TIMERFUNCTION: only (re)arms the libevent timer. */
static int
curl_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct curlev	*cev = arg;
	struct timeval	 tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(&cev->timer_ev);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(&cev->timer_ev, &tv);
	return 0;
}

/* CURLMOPT_SOCKETFUNCTION: one persistent event per socket, changed to
 * what curl now waits for, freed when curl is done with the socket. */
static int
curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *sockp)
{
	struct curlev		*cev = arg;
	struct curlev_sock	*sock = sockp;
	short			 kind = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (sock != NULL) {
			if (sock->armed)
				event_del(&sock->ev);
			free(sock);
			curl_multi_assign(cev->multi, fd, NULL);
		}
		return 0;
	}
	if (sock == NULL) {
		sock = xcalloc(1, sizeof(*sock));
		sock->cev = cev;
		curl_multi_assign(cev->multi, fd, sock);
	} else if (sock->armed)
		event_del(&sock->ev);
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	event_assign(&sock->ev, cev->base, fd, kind, socket_event_cb, sock);
	event_add(&sock->ev, NULL);
	sock->armed = true;
	return 0;
}

struct curlev *
curlev_new(struct event_base *base, curlev_done_cb done, void *arg,
    char **error)
{
	struct curlev	*cev = xcalloc(1, sizeof(*cev));

	if ((cev->multi = curl_multi_init()) == NULL) {
		*error = xstrdup("curl_multi_init failed");
		free(cev);
		return NULL;
	}
	cev->base = base;
	cev->done = done;
	cev->arg = arg;
	evtimer_assign(&cev->timer_ev, base, timer_event_cb, cev);
	curl_multi_setopt(cev->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	curl_multi_setopt(cev->multi, CURLMOPT_SOCKETDATA, cev);
	curl_multi_setopt(cev->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	curl_multi_setopt(cev->multi, CURLMOPT_TIMERDATA, cev);
	return cev;
}

CURLM *
curlev_multi(struct curlev *cev)
{
	return cev->multi;
}

int
curlev_add(struct curlev *cev, CURL *easy)
{
	if (curl_multi_add_handle(cev->multi, easy) != CURLM_OK)
		return -1;
	cev->handles++;
	return 0;
}

void
curlev_remove(struct curlev *cev, CURL *easy)
{
	if (curl_multi_remove_handle(cev->multi, easy) == CURLM_OK)
		cev->handles--;
}

void
curlev_free(struct curlev *cev)
{
	if (cev == NULL)
		return;
	/* Before the event base goes: curl may still remove sockets. */
	curl_multi_cleanup(cev->multi);
	evtimer_del(&cev->timer_ev);
	free(cev);
}
