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
/* An API or feed token: only the SHA-256 of its secret is kept. */
struct db_token {
	long long	 id;
	const char	*hash;		/* hex SHA-256 of the secret */
	const char	*role;		/* bureau, unit, centre */
	const char	*scope;		/* the unit or centre; NULL: bureau */
	const char	*label;
	const char	*created_at;
	const char	*revoked_at;	/* NULL while valid */
};

/* Fills t->id.  -1 with *error on failure. */
int	 db_token_insert(struct db *, struct db_token *, char **error);
/* 0 revoked, 1 no such valid token, -1 error. */
int	 db_token_revoke(struct db *, long long id, const char *when,
	    char **error);
int	 db_foreach_token(struct db *, int (*)(const struct db_token *,
	    void *), void *, char **error);

/* Who is told: an email address for the bureau, a unit or a centre. */
struct db_contact {
	long long	 id;
	const char	*kind;		/* bureau, unit, centre */
	const char	*scope;		/* the unit or centre; NULL: bureau */
	const char	*email;
	const char	*name;
	const char	*created_at;
};

int	 db_contact_insert(struct db *, struct db_contact *, char **error);
/* 0 removed, 1 no such contact, -1 error. */
int	 db_contact_delete(struct db *, long long id, char **error);
int	 db_foreach_contact(struct db *, int (*)(const struct db_contact *,
	    void *), void *, char **error);

/* Why the last call that failed did: the disk (or the file size limit)
 * full, another process holding the store's lock, or anything else.
 * Callers pick their words by it; the store is unchanged in every case. */
enum db_failure {
	DB_FAIL_OTHER,
	DB_FAIL_FULL,
	DB_FAIL_BUSY
};
enum db_failure db_last_failure(struct db *);

/* PRAGMA integrity_check says "ok". */
int	 db_check(struct db *, char **error);

#endif
