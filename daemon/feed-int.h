/*
 * feed-int.h: what the calendar feeds' files inside daemon/ share.
 *
 *   feeds.c	the feeds' state (struct feeds): bringing the revisions up
 *		to the journal, rendering once per change, the cache of
 *		renders and serving them by reference, GET /feeds/TOKEN.ics
 *		and GET /api/v1/feed
 *   feedtok.c	feed tokens: creation, lookup, last use, revocation, and
 *		/api/v1/feeds
 *   feedrev.c	pure: each obligation's fingerprint, SEQUENCE and
 *		LAST-MODIFIED across revisions of the plan
 *   cond.c	pure: HTTP-dates, entity tags, If-None-Match and
 *		If-Modified-Since
 */
#ifndef FEED_INT_H
#define FEED_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <event2/event_struct.h>
#include <jansson.h>

#include "calendar/calendar.h"
#include "daemon/daemon.h"

/* ---- cond.c ---- */

/* "Sun, 06 Nov 1994 08:49:37 GMT" and its NUL. */
#define COND_DATE_LEN	30

/* t as an HTTP-date (IMF-fixdate). */
void	 cond_date_format(time_t, char out[COND_DATE_LEN]);
/* Any of the three HTTP-date forms; "now" places a two-digit year.
 * -1 when s is none of them or names no real time. */
int	 cond_date_parse(const char *s, time_t now, time_t *out);
/* Whether an If-None-Match value lists etag (weak comparison), or is
 * "*".  A malformed list matches nothing. */
bool	 cond_etag_listed(const char *list, const char *etag);
/* Whether a GET with these conditions (NULL: absent) is answered 304:
 * If-None-Match decides when present, else If-Modified-Since. */
bool	 cond_not_modified(const char *if_none_match,
	    const char *if_modified_since, const char *etag,
	    time_t last_modified, time_t now);

/* ---- feedrev.c ---- */

/* What a feed last showed of one obligation. */
struct feedrev_row {
	char	*key;
	char	 fp[CAL_FINGERPRINT_LEN];	/* "": not in the plan now */
	int	 sequence;
	time_t	 modified;
	bool	 seen;				/* during an update */
};

/* Every obligation ever shown, sorted by key.  Owner: struct feeds. */
struct feedrev {
	struct feedrev_row *rows;
	size_t		 n;
	size_t		 cap;
};

/* One row an update changed: its key (the row's own string) and the
 * obligation, or NULL when the obligation left the plan. */
struct feedrev_change {
	const char			*key;
	const struct sched_obligation	*o;
};

void	 feedrev_init(struct feedrev *);
void	 feedrev_clear(struct feedrev *);
/* Adds a stored row (then call feedrev_sort once).  A fingerprint that
 * is not ours (too long) counts as "not in the plan". */
void	 feedrev_load(struct feedrev *, const char *key, const char *fp,
	    int sequence, time_t modified);
void	 feedrev_sort(struct feedrev *);
const struct feedrev_row *feedrev_find(const struct feedrev *,
	    const char *key);
/*
 * Brings the rows up to a plan: an obligation seen for the first time
 * gets SEQUENCE 0, one whose fingerprint changed (or that comes back)
 * SEQUENCE + 1, and either is dated "revision"; one that left the plan
 * keeps its SEQUENCE with an empty fingerprint.  Returns how many rows
 * changed, listed in *changes (the caller frees the array, valid until
 * the next update).
 */
size_t	 feedrev_update(struct feedrev *, const struct sched_plan *,
	    const struct sched_rules *, time_t revision,
	    struct feedrev_change **changes);

/* ---- feedtok.c ---- */

#define FEEDTOK_PREFIX	"ticf_"
/* The prefix, 43 characters of base64url (256 bits), and nothing else. */
#define FEEDTOK_LEN	(sizeof(FEEDTOK_PREFIX) - 1 + 43)

/* A valid feed token.  Owner: struct feeds. */
struct feed_token {
	long long	 id;
	enum cal_scope	 kind;
	char		*scope;		/* NULL for the bureau */
	char		*unit;		/* a centre's feed a unit made: it,
					 * else NULL */
	time_t		 used;		/* the last use, 0: none yet */
	time_t		 stored;	/* the last use the store has */
	bool		 revoked;	/* since it was read */
};

/* The tokens read (at start, on SIGHUP); those known stay on -1. */
int	 feedtok_load(struct ticd *, char **error);
void	 feedtok_clear(struct feeds *);
/* The token whose secret this is, or NULL. */
struct feed_token *feedtok_lookup(struct ticd *, const char *secret);
/* Notes that the token's feed was served now (feedtok_flush stores it). */
void	 feedtok_used(struct feed_token *);
/* Writes the uses noted since the last flush, in one transaction. */
void	 feedtok_flush(struct ticd *);
const char *feedtok_kind_name(enum cal_scope);
/*
 * Whether a token may see (and so make) the feed of a scope: 0, or the
 * HTTP status to answer (403 for a unit or the bureau beyond the
 * token's, 404 for a centre it does not see, as the API hides them).
 */
int	 feedtok_scope_check(struct ticd *, const struct token *,
	    enum cal_scope, const char *id);
/* Replies 403 or 404 as feedtok_scope_check said. */
void	 feedtok_reply_refused(struct ticd *, struct evhttp_request *,
	    int status);

/* ---- feeds.c ---- */

/* One rendering of a feed: shared by the cache and every reply still
 * sending it, freed by the last of them. */
struct feed_render {
	int		 refs;
	char		*bytes;
	size_t		 len;
	char		 etag[36];		/* "\"" 32 hex "\"" */
	time_t		 modified;		/* Last-Modified */
	bool		 same_second;		/* another version has it */
	char		 date[COND_DATE_LEN];	/* the same as an HTTP-date */
};

/* A scope and variant that somebody asked for. */
struct feed_slot {
	enum cal_scope	 kind;
	char		*id;		/* NULL for the bureau */
	bool		 alarms;
	bool		 todo;
	struct feed_render *render;	/* NULL: to render */
	char		 last_etag[36];	/* of the previous render, or "" */
	time_t		 last_modified;
	bool		 same_second;
};

/* The daemon's feeds.  Owner: struct ticd (feeds_start, feeds_stop). */
struct feeds {
	struct sched_plan *plan;	/* with explanations; NULL at first */
	bool		 stale;		/* the plan's inputs changed */
	struct feedrev	 revs;
	time_t		 revision;	/* when the inputs last changed */
	time_t		 started;
	json_t		*slot_index;	/* slot key → index into slots */
	struct feed_slot **slots;
	size_t		 nslots;
	json_t		*tok_index;	/* hex SHA-256 → index into toks */
	struct feed_token **toks;
	size_t		 ntoks;
	struct event	 flush_ev;
	unsigned long long renders;
	unsigned long long syncs;
	double		 render_seconds;	/* the last render's */
	double		 render_cpu_seconds;
	double		 sync_seconds;		/* the last update's */
};

#endif
