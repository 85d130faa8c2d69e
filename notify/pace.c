/*
 * pace.c: keeping each robot under its rate limit, so that a burst of
 * reminders (the bureau's digest split in parts, many centres behind one
 * unit's robot) waits its turn here instead of being refused there.
 *
 * A limit is "at most count posts in any window": the next post may go
 * once the count-th most recent one is a window old.  Each window has a
 * second's margin, since the robot's clock and ours differ and a robot
 * that counts one post too many blocks for minutes (DingTalk: ten).
 * A throttling answer blocks the endpoint for the wait it implies.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "notify/notify.h"

#define MARGIN_MS	1000

struct pace_rule {
	enum notify_format	 f;
	size_t			 count;
	long long		 window_ms;
};

static const struct pace_rule pace_rules[] = {
	{ NOTIFY_WECOM, 20, 60000 + MARGIN_MS },
	{ NOTIFY_DINGTALK, 20, 60000 + MARGIN_MS },
	{ NOTIFY_FEISHU, 5, 1000 + MARGIN_MS / 5 },
	{ NOTIFY_FEISHU, 100, 60000 + MARGIN_MS },
};

void
notify_pace_init(struct notify_pacer *p)
{
	memset(p, 0, sizeof(*p));
}

static int
later_first(const void *a, const void *b)
{
	long long	 x = *(const long long *)a, y = *(const long long *)b;

	return (x < y) - (x > y);
}

long long
notify_pace_next(const struct notify_pacer *p, enum notify_format f,
    long long now_ms)
{
	long long	 t = now_ms, at, by_time[NOTIFY_PACE_SLOTS];
	size_t		 i;

	if (p->blocked_until > t)
		t = p->blocked_until;
	/* By time, the latest first: a place taken ahead is stamped again
	 * when its post leaves, so the ring is not always in time order
	 * (at most 100 entries, and robots only). */
	memcpy(by_time, p->sent, p->n * sizeof(*by_time));
	qsort(by_time, p->n, sizeof(*by_time), later_first);
	for (i = 0; i < nitems(pace_rules); i++) {
		if (pace_rules[i].f != f || p->n < pace_rules[i].count)
			continue;
		/* The count-th most recent post. */
		at = by_time[pace_rules[i].count - 1] + pace_rules[i].window_ms;
		if (at > t)
			t = at;
	}
	return t;
}

unsigned long long
notify_pace_sent(struct notify_pacer *p, long long now_ms)
{
	p->sent[p->head] = now_ms;
	p->head = (p->head + 1) % NOTIFY_PACE_SLOTS;
	if (p->n < NOTIFY_PACE_SLOTS)
		p->n++;
	return p->total++;
}

void
notify_pace_restamp(struct notify_pacer *p, unsigned long long place,
    long long now_ms)
{
	size_t	 at = (size_t)(place % NOTIFY_PACE_SLOTS);

	/* head is total modulo the ring's size: place's slot, while it
	 * is one of the last n. */
	if (place >= p->total || p->total - place > p->n)
		return;
	if (p->sent[at] < now_ms)
		p->sent[at] = now_ms;
}

void
notify_pace_block(struct notify_pacer *p, long long until_ms)
{
	if (until_ms > p->blocked_until)
		p->blocked_until = until_ms;
}
