/*
 * calendar.h: iCalendar feeds of obligations (RFC 5545, with RFC 7986's
 * calendar properties), built with libical.
 *
 * A feed is a pure transform: a plan, the rule pack's words and a few
 * options in, bytes out.  Nothing here reads the clock, a file or the
 * store: the revision time and each obligation's SEQUENCE come from the
 * caller (the daemon keeps them; ticctl uses the as-of day's midnight and
 * 0), so the same plan with the same options gives the same bytes.
 *
 * Modules:
 *   feed.c	the VCALENDAR, its VEVENTs or VTODOs and VALARMs, libical
 *   text.c	all that needs no libical: options, scope and retention,
 *		the words (names, summaries, descriptions), UIDs, links,
 *		fingerprints
 *
 * Only this folder includes <libical/ical.h>; this header does not.
 */
#ifndef CALENDAR_H
#define CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "scheduler/scheduler.h"

/* Done and void obligations stay this many days after their due date. */
#define CAL_RETENTION_DAYS	400
/* Lines of the feed: REFRESH-INTERVAL and X-PUBLISHED-TTL. */
#define CAL_REFRESH_SECONDS	3600
/* cal_fingerprint's hex digits and NUL. */
#define CAL_FINGERPRINT_LEN	17
/* The right-hand side of every UID: fixed, so a UID never changes. */
#define CAL_UID_DOMAIN		"ticd"
/* An obligation's link: public_url, this path, then its key (escaped). */
#define CAL_OBLIGATION_PATH	"/obligations/"

/* Whose feed it is; names the calendar and picks the default filter. */
enum cal_scope {
	CAL_SCOPE_BUREAU,	/* every obligation */
	CAL_SCOPE_UNIT,		/* a unit's centres, and bureau-wide ones
				 * addressed to units */
	CAL_SCOPE_CENTRE	/* one centre's */
};

/* What the store remembers of one obligation across revisions. */
struct cal_revision {
	int	 sequence;	/* SEQUENCE: 0, raised when the fingerprint
				 * changes */
	time_t	 modified;	/* DTSTAMP and LAST-MODIFIED: when it last
				 * changed */
};

/* Whether an obligation belongs in the feed (retention comes after). */
typedef bool (*cal_filter_cb)(const struct sched_obligation *, void *arg);
/* Fills *rev for one obligation; it arrives as { 0, revision }. */
typedef void (*cal_revision_cb)(const struct sched_obligation *,
    struct cal_revision *rev, void *arg);

/*
 * Options of one feed.  Strings are borrowed for the call.  Set them up
 * with cal_feed_options_init, then change what differs.
 */
struct cal_feed_options {
	enum cal_scope	 scope;
	const char	*scope_id;	/* the unit's name or centre's id */
	const char	*scope_name;	/* for the title: a centre's name;
					 * NULL: scope_id */
	int		 as_of;		/* the plan's day: retention, alarms */
	int		 retention_days; /* >= 0 */
	bool		 alarms;	/* VALARMs 7 days and 1 day before */
	bool		 todo;		/* VTODOs instead of VEVENTs */
	const char	*public_url;	/* base of the links; NULL, "": none */
	time_t		 revision;	/* the store's revision time: each
					 * obligation's unless revision_cb
					 * says otherwise */
	cal_revision_cb	 revision_cb;	/* NULL: SEQUENCE 0, DTSTAMP and
					 * LAST-MODIFIED at revision */
	void		*revision_arg;
};

/* The bureau's feed as of a day: retention CAL_RETENTION_DAYS, no
 * variants, no links, revision at the day's 00:00 in Asia/Shanghai. */
void	 cal_feed_options_init(struct cal_feed_options *, int as_of);
/*
 * The feed: one VEVENT (or VTODO) per obligation of the plan that the
 * filter takes and retention keeps, in the plan's order.  A NULL filter
 * takes what cal_scope_includes does for opts.  The plan should be made
 * with SCHED_PLAN_EXPLAIN (else descriptions say no derivation).
 * Returns the bytes, NUL-terminated, with their length in *len (the
 * caller frees them), or NULL if libical failed.
 */
char	*cal_render_feed(const struct sched_plan *, const struct sched_rules *,
	    const struct cal_feed_options *, cal_filter_cb, void *filter_arg,
	    size_t *len);
/*
 * The given obligations alone, in their order, as one VCALENDAR with
 * METHOD "method" (RFC 5546: "PUBLISH" for a reminder's attachment),
 * each component as in a feed made with opts (VEVENT or VTODO, SEQUENCE
 * and LAST-MODIFIED through revision_cb); NAME from opts's scope; no
 * retention, no filter, no refresh interval.  NULL for a method libical
 * does not know, or if libical failed.
 */
char	*cal_render_obligations(const struct sched_obligation *const *,
	    size_t, const struct sched_rules *,
	    const struct cal_feed_options *, const char *method, size_t *len);
/* The API's rule (docs/api.md): a centre's obligations to its centre,
 * its unit and the bureau; bureau-wide ones to the bureau, and to units
 * when the rule is addressed to units. */
bool	 cal_scope_includes(const struct cal_feed_options *,
	    const struct sched_rules *, const struct sched_obligation *);
/* Whether retention keeps an obligation: open and overdue always; done
 * and void until retention_days after their due date. */
bool	 cal_feed_keeps(const struct sched_obligation *, int as_of,
	    int retention_days);
/*
 * A stable digest (16 hex digits) of what a user sees of an obligation in
 * any feed: its due date, state, closing day and every word of its summary
 * and description.  The daemon raises SEQUENCE (and LAST-MODIFIED) when it
 * changes.  It does not depend on the scope, the as-of day, public_url or
 * the variants.
 */
void	 cal_fingerprint(const struct sched_obligation *,
	    const struct sched_rules *, char out[CAL_FINGERPRINT_LEN]);
/* The UID of an obligation's VEVENT (or VTODO): its key, '%' and non-ASCII
 * bytes as %XX, then "@" CAL_UID_DOMAIN (VTODOs: "@todo." CAL_UID_DOMAIN).
 * The caller frees it. */
char	*cal_uid(const char *key, bool todo);
/* The calendar's name (NAME, X-WR-CALNAME): 阳泉市技术创新中心义务（全市）.
 * The caller frees it. */
char	*cal_feed_name(const struct cal_feed_options *);
/* 00:00 of a civil day in Asia/Shanghai (UTC+8, no daylight saving). */
time_t	 cal_day_start(int day);

#endif
