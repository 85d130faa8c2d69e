/*
 * retry.c: when a failed message is tried again, and when never.
 *
 * Issue 5's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h,
 * 24 h — about three days in all, long enough for a mail server down over
 * a weekend — then dead.  Each delay gets ±10% jitter so that messages
 * that failed together (a server outage) do not all return together.
 * A 5xx reply is the server saying "never": dead at once.
 */
#include "common/common.h"
#include "notify/notify.h"

static const long delays[NOTIFY_RETRIES] = {
	5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600,
	20 * 3600, 24 * 3600
};

long
notify_backoff(int attempts, unsigned int rnd)
{
	long	 base, spread;

	if (attempts < 1 || attempts > NOTIFY_RETRIES)
		return -1;
	base = delays[attempts - 1];
	/* rnd spread evenly over [-10%, +10%] of the delay. */
	spread = base / 5;
	return base - base / 10 + (long)((unsigned long long)rnd *
	    (unsigned long long)(spread + 1) >> 32);
}

enum notify_outcome
notify_outcome_of(bool ok, long reply)
{
	if (ok)
		return NOTIFY_SENT;
	if (reply >= 500 && reply <= 599)
		return NOTIFY_FAILED;
	/* A refused or broken connection, a timeout, a 4xx, a TLS failure
	 * that an administrator may still fix: try again. */
	return NOTIFY_RETRY;
}
