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

long long
notify_pace_next(const struct notify_pacer *p, enum notify_format f,
    long long now_ms)
{
	long long	 t = now_ms, at;
	size_t		 i, k;

	if (p->blocked_until > t)
		t = p->blocked_until;
	for (i = 0; i < nitems(pace_rules); i++) {
		if (pace_rules[i].f != f || p->n < pace_rules[i].count)
			continue;
		/* The count-th most recent post, counting back from head. */
		k = (p->head + NOTIFY_PACE_SLOTS - pace_rules[i].count) %
		    NOTIFY_PACE_SLOTS;
		at = p->sent[k] + pace_rules[i].window_ms;
		if (at > t)
			t = at;
	}
	return t;
}

void
notify_pace_sent(struct notify_pacer *p, long long now_ms)
{
	p->sent[p->head] = now_ms;
	p->head = (p->head + 1) % NOTIFY_PACE_SLOTS;
	if (p->n < NOTIFY_PACE_SLOTS)
		p->n++;
}

void
notify_pace_block(struct notify_pacer *p, long long until_ms)
{
	if (until_ms > p->blocked_until)
		p->blocked_until = until_ms;
}
