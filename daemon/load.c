/*
 * load.c: reading the journal back from the store at start, without
 * keeping the API waiting for it.
 *
 * At 100,000 centres the store holds about 1.8 million events, and
 * reading them all back takes seconds.  So ticd listens first and reads
 * the journal on the loop, a slice a turn, at the lowest priority: a
 * request that arrives meanwhile is served before the next slice.  Only
 * one centre's obligations or page (GET /api/v1/obligations?centre=ID,
 * GET /api/v1/centres/ID) and /healthz are answered before the journal
 * is whole: the centre from its own events and the bureau-wide ones,
 * found through the store's index by centre, read into a journal of
 * their own and planned with sched_plan_centre, which gives the same
 * answer as the whole journal.  Anything else needs the whole journal
 * (to check a new event, list every centre, plan the city): load_finish
 * reads the rest at once and that request waits as it would have at
 * start.  Reminders start once the journal is whole, and only then does
 * start-up's long wait for another process's lock on the store end.
 *
 * While it loads nothing is written to the journal (recording an event
 * finishes the load first), so the slices, the rows read for one centre
 * and the journal in memory all see the same store.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "daemon/daemon.h"
#include "daemon/log.h"

/* Rows read in one turn of the loop: about 10 ms of work here, so a
 * request that arrives during a slice waits no longer than that. */
#define LOAD_SLICE	4096
#define LOAD_RETRY	1	/* seconds, after the store could not be read */

struct reader {
	struct ticd		*t;
	struct sched_journal	*j;
	bool			 whole;		/* t's journal, not a centre's */
	char			*error;
};

/*
 * One stored row into a journal.  Stored events were checked when they
 * were recorded: read back they are not judged again (by today's rule
 * pack either, so a new setting never makes the store unreadable), but
 * what cannot be read or held still stops the start.
 */
static int
read_cb(const struct db_event *row, void *arg)
{
	struct reader		*r = arg;
	struct sched_event	*ev;
	json_error_t		 jerr;
	char			*why = NULL;

	ev = sched_event_from_text(row->json, strlen(row->json), 0, &jerr,
	    &why);
	/* A centre's journal holds no other centre's events: a retraction
	 * of one of those changes nothing of this centre's plan. */
	if (ev != NULL && !r->whole && ev->type == SCHED_EV_RETRACTED &&
	    sched_journal_find_id(r->j, ev->target) < 0) {
		sched_event_free(ev);
		return 0;
	}
	if (ev != NULL && sched_journal_load(r->j, ev, &why) == 0) {
		if (r->whole) {
			if (row->seq >= r->t->next_seq)
				r->t->next_seq = row->seq + 1;
			state_remember_stored(r->t, row->seq, row->recorded_at);
		}
		return 0;
	}
	sched_event_free(ev);
	r->error = xasprintf("stored event %lld (%s) cannot be read back: %s",
	    row->seq, row->id, why != NULL ? why : jerr.text);
	free(why);
	return -1;
}

/*
 * Reads up to "limit" more rows (-1: the rest) into *rows.  An event
 * that cannot be read back is fatal, as it was when the whole journal
 * was read before listening; so is a store that cannot be read when
 * "must", else that is -1 with *error, to try again.
 */
static int
read_rows(struct ticd *t, long long limit, bool must, size_t *rows,
    char **error)
{
	struct reader	 r = { .t = t, .j = t->journal, .whole = true };

	if (db_foreach_event_after(t->db, t->next_seq - 1, limit, read_cb, &r,
	    rows, error) == 0)
		return 0;
	if (r.error != NULL || must)
		fatalx("%s: %s", t->conf.database, r.error != NULL ? r.error :
		    *error);
	return -1;
}

static void
loaded(struct ticd *t)
{
	struct timespec	 now;

	t->loading = false;
	event_del(&t->load_ev);
	clock_gettime(CLOCK_MONOTONIC, &now);
	log_info("%zu event(s) read from %s in %.3f s",
	    sched_journal_count(t->journal), t->conf.database,
	    (double)(now.tv_sec - t->load_started.tv_sec) +
	    (double)(now.tv_nsec - t->load_started.tv_nsec) / 1e9);
	/* The plan and anything made while loading came from one centre's
	 * events; from now on the whole journal answers. */
	state_invalidate(t);
	remind_start(t);
	/* Start-up ends here: its writes (the outbox's reset) done, the
	 * store now waits only briefly for another process's lock. */
	db_started(t->db);
}

/*
 * The next slice, by a timer (due at once, but for a retry), rather than
 * event_active: libevent runs an event activated from its own callback
 * again in the same pass, and the loop would read the whole journal
 * without once looking at its sockets.  A due timer waits for the next
 * pass, after a look at them.
 */
static void
next_slice(struct ticd *t, time_t after)
{
	struct timeval	 tv = { after, 0 };

	evtimer_add(&t->load_ev, &tv);
}

static void
load_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ticd	*t = arg;
	size_t		 rows;
	char		*error = NULL;

	(void)fd;
	(void)what;
	if (!t->loading || t->stopping)
		return;
	if (read_rows(t, LOAD_SLICE, false, &rows, &error) == -1) {
		/* Busy, say: the rows read so far stay read. */
		log_warnx("%s: reading the journal back: %s; trying again in "
		    "%d s", t->conf.database, error, LOAD_RETRY);
		free(error);
		next_slice(t, LOAD_RETRY);
	} else if (rows < LOAD_SLICE)
		loaded(t);
	else
		next_slice(t, 0);
}

void
load_start(struct ticd *t, int priority)
{
	long long	 last = db_event_last_seq(t->db);

	/* The journal is append-only: as many events as the last seq. */
	t->load_total = last > 0 ? last : 0;
	t->journal = sched_journal_new();
	state_free_stored(t);
	t->next_seq = 1;
	t->today = state_today();
	/* Room for every stored event at once, rather than growing the
	 * journal (and its map of ids) by doubling as it reads. */
	if (last > 0) {
		sched_journal_reserve(t->journal, (size_t)last);
		state_reserve_stored(t, (size_t)last);
	}
	clock_gettime(CLOCK_MONOTONIC, &t->load_started);
	t->loading = true;
	evtimer_assign(&t->load_ev, t->base, load_cb, t);
	event_priority_set(&t->load_ev, priority);
	next_slice(t, 0);
}

void
load_rest(struct ticd *t)
{
	size_t	 rows;
	char	*error = NULL;

	if (!t->loading)
		return;
	(void)read_rows(t, -1, true, &rows, &error);
	t->loading = false;
	event_del(&t->load_ev);
}

void
load_finish(struct ticd *t)
{
	if (!t->loading)
		return;
	load_rest(t);
	loaded(t);
}

struct sched_journal *
load_centre(struct ticd *t, const char *centre, char **error)
{
	struct reader	 r = { .t = t, .whole = false };

	r.j = sched_journal_new();
	if (db_foreach_centre_event(t->db, centre, read_cb, &r, error) == -1) {
		if (r.error != NULL) {
			free(*error);
			*error = r.error;
		}
		sched_journal_free(r.j);
		return NULL;
	}
	return r.j;
}
