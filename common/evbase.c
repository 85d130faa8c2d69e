/*
 * evbase.c: every libevent loop of ticd (the daemon's, the mail and the
 * webhook threads') is made here, with epoll's changes batched.
 *
 * Without the changelist each change of what a descriptor waits for is an
 * epoll_ctl call at once: evhttp turns a connection's read and write
 * interest on and off several times for each request (the most costly
 * part of a 304), and curl's socket callback (notify/curlev.c) moves a
 * transfer's socket from writing to reading and back, one to three calls
 * a webhook post.  Batched, the changes of one turn of the loop are
 * applied together before it waits, and one undone in the same turn
 * costs nothing.  Measured 2026-11-29 (docs/PERFORMANCE.md, webhooks):
 * the webhook thread made 3,510 epoll_ctl calls for 5,000 posts instead
 * of 7,416, and a bare curl sender on libevent used 36-56 µs of CPU a
 * post instead of 46-66.
 *
 * The changelist's one caveat, a dup()ed descriptor, does not arise:
 * ticd dups none, and neither does curl.
 */
#include <event2/event.h>

#include "common/common.h"

struct event_base *
evbase_new(void)
{
	struct event_config	*cfg = event_config_new();
	struct event_base	*base;

	if (cfg == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}
