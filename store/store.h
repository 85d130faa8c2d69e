/*
 * store.h: ticd's sqlite database, the only module that talks to sqlite.
 *
 * It owns the journal (append-only: corrections are retractions, never
 * edits), contacts, tokens, webhook targets, and will own the outbox.  Every write is a
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

/*
 * A webhook target (issue 6): a recipient's reminders are also posted to
 * url in format.  Only the path of the secret's file is kept.  Strings
 * are borrowed: from the caller when writing, from sqlite (valid during
 * the callback) when reading.
 */
struct db_webhook {
	long long	 id;
	const char	*kind;		/* bureau, unit, centre */
	const char	*scope;		/* the unit or centre; NULL: bureau */
	const char	*url;		/* a credential for robots: never log */
	const char	*format;	/* standard, wecom, dingtalk, feishu */
	const char	*secret_file;	/* NULL: none */
	const char	*label;
	const char	*created_at;
	long long	 failing_since;	/* Unix time; 0: not failing */
	long long	 last_ok;	/* Unix time; 0: never */
	const char	*last_error;
	const char	*disabled_at;	/* NULL while enabled */
	const char	*disabled_reason;
};

/* Fills w->id.  -1 with *error on failure. */
int	 db_webhook_insert(struct db *, struct db_webhook *, char **error);
/* 0 removed, 1 no such target, -1 error. */
int	 db_webhook_delete(struct db *, long long id, char **error);
int	 db_foreach_webhook(struct db *, int (*)(const struct db_webhook *,
	    void *), void *, char **error);
/* Calls fn with one target: 0, 1 no such target, -1 error or fn's -1. */
int	 db_webhook_get(struct db *, long long id,
	    int (*fn)(const struct db_webhook *, void *), void *arg,
	    char **error);
/* A delivery succeeded at now: the failure streak ends. */
int	 db_webhook_ok(struct db *, long long id, long long now,
	    char **error);
/* A delivery failed at now: *since is when the streak began.  0, 1 no
 * such target, -1 error. */
int	 db_webhook_failed(struct db *, long long id, long long now,
	    const char *why, long long *since, char **error);
/* 0 disabled now, 1 no such target or already disabled, -1 error. */
int	 db_webhook_disable(struct db *, long long id, const char *when,
	    const char *reason, char **error);
/* Enabled again, its failure streak forgotten: 0, 1 no such, -1 error. */
int	 db_webhook_enable(struct db *, long long id, char **error);

/* PRAGMA integrity_check says "ok". */
int	 db_check(struct db *, char **error);

#endif
