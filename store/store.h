/*
 * store.h: ticd's sqlite database, the only module that talks to sqlite.
 *
 * It owns the journal (append-only: corrections are retractions, never
 * edits), and will own contacts, tokens and the outbox.  Every write is a
 * BEGIN IMMEDIATE transaction; events that arrive together are committed
 * together (group commit) and acknowledged only after COMMIT returns.
 * Statements are prepared once and kept for the life of the handle.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>

/* The journal as stored: the event's JSON exactly as accepted. */
struct db_event {
	long long	 seq;		/* recording order, from 1 */
	const char	*id;
	const char	*recorded_at;	/* ISO 8601, +08:00 */
	const char	*json;
};

enum db_sync {
	DB_SYNC_NORMAL,
	DB_SYNC_FULL
};

/* Owner: whoever calls db_open; closed by db_close. */
struct db;

/* Opens (creating and migrating as needed); NULL with *error on failure. */
struct db *db_open(const char *path, enum db_sync, char **error);
void	 db_close(struct db *);
/* The schema version this build writes, and the one of an open store. */
int	 db_schema_version(void);
int	 db_user_version(struct db *);
/*
 * Appends events in one transaction: all are stored or none is.  Fills
 * each seq.  Returns 0, or -1 with *error (the store is unchanged).
 */
int	 db_append_events(struct db *, struct db_event *, size_t n,
	    char **error);
/* Calls fn for each stored event in recording order; stops at fn's -1. */
int	 db_foreach_event(struct db *, int (*fn)(const struct db_event *,
	    void *), void *arg, char **error);
long long db_event_count(struct db *);
/* PRAGMA integrity_check says "ok". */
int	 db_check(struct db *, char **error);

#endif
