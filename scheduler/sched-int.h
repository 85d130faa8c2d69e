/*
 * sched-int.h: what plan.c and explain.c share inside the scheduler.
 */
#ifndef SCHED_INT_H
#define SCHED_INT_H

#include "scheduler/scheduler.h"

/* An obligation while the plan is being made. */
struct pob {
	struct sched_obligation	 o;
	size_t			 c;		/* its centre, or (size_t)-1 */
	int			 year;		/* also for non-yearly rules */
	bool			 closed;
	bool			 voided;
	bool			 deleted;	/* replaced by a later result */
};

/* The Chinese derivation of an obligation's date (--explain); reg is
 * its centre's registration, NULL for a bureau-wide one. */
char	*sched_explain(const struct sched_calendar *,
	    const struct sched_rules *, const struct pob *,
	    const struct sched_event *reg);

/* The same by the centre's number (its events' centre_index). */
void	 sched_journal_numbered_events(const struct sched_journal *,
	    size_t number, const size_t **events, size_t *n);

#endif
