/*
 * store.h: ticd's sqlite database, the only module that talks to sqlite.
 *
 * It owns the journal (append-only: corrections are retractions, never
 * edits), contacts, API and feed tokens, the feeds' revisions, webhook
 * targets and the outbox.  Every write is a BEGIN IMMEDIATE transaction; events that arrive together are committed
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
/* Until this is called the store waits up to 30 s for a lock another
 * process holds (start-up); after, 250 ms, so that the loop is never held
 * long and a busy store answers 503. */
void	 db_started(struct db *);
void	 db_close(struct db *);
/* The schema version this build writes, and the one of an open store. */
int	 db_schema_version(void);
int	 db_user_version(struct db *);
/* The version an existing store was upgraded from by db_open, or 0 (it
 * was new, or already this build's). */
int	 db_upgraded_from(const struct db *);
/*
 * Appends events in one transaction: all are stored or none is.  Fills
 * each seq.  Returns 0, or -1 with *error (the store is unchanged).
 */
int	 db_append_events(struct db *, struct db_event *, size_t n,
	    char **error);
/* Calls fn for at most "limit" stored events (-1: all) after seq
 * "after", in recording order; stops at fn's -1.  *rows says how many
 * were read. */
int	 db_foreach_event_after(struct db *, long long after, long long limit,
	    int (*fn)(const struct db_event *, void *), void *arg,
	    size_t *rows, char **error);
/* The same for one centre's events and the bureau-wide ones, through an
 * index: a few rows, whatever the size of the journal. */
int	 db_foreach_centre_event(struct db *, const char *centre,
	    int (*fn)(const struct db_event *, void *), void *arg,
	    char **error);
long long db_event_count(struct db *);
/* The last event's seq (0: none; -1: unreadable), at once: the journal
 * is append-only, so no more events than that are stored. */
long long db_event_last_seq(struct db *);
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
 * The outbox: one row per message, written (with its built bytes) before
 * anything is sent.  idem is the idempotency key (recipient, channel,
 * day): a key already queued is never queued again.  The states:
 *
 *   pending → sending → sent
 *                     ↘ retrying → sending …  (after a transient failure)
 *                     ↘ dead                  (permanent, or out of tries)
 *   pending/retrying → dropped  (every obligation it named closed first)
 *
 * A row left in "sending" by a crash goes back to pending at start and is
 * sent again with the same bytes (the same Message-ID).
 */
enum db_outbox_state {
	DB_OUT_PENDING,
	DB_OUT_SENDING,
	DB_OUT_SENT,
	DB_OUT_RETRYING,
	DB_OUT_DEAD,
	DB_OUT_DROPPED,
	DB_OUT_COUNT
};

/* One row.  Strings and body are borrowed: from the caller when writing,
 * from sqlite (valid during the callback) when reading. */
struct db_outbox {
	long long	 id;
	const char	*idem;
	const char	*recipient;	/* bureau, unit:NAME, centre:ID */
	const char	*channel;	/* email */
	const char	*day;		/* YYYY-MM-DD: the day it goes */
	const char	*planned;	/* YYYY-MM-DD: the day it was meant for */
	int		 catch_up;	/* folds what was missed */
	const char	*message_id;
	const char	*rcpt;		/* JSON [{"email", "name"}] */
	const char	*items;		/* JSON: the obligations it names */
	const void	*body;		/* the built message (db_outbox_get) */
	size_t		 body_len;
	enum db_outbox_state state;
	int		 attempts;
	long long	 next_attempt;	/* Unix time */
	const char	*last_error;
	const char	*last_response;
	const char	*created_at;
	const char	*updated_at;
	int		 parts_sent;	/* a split robot message's parts gone */
};

const char *db_outbox_state_name(enum db_outbox_state);
int	 db_outbox_state_from_name(const char *, enum db_outbox_state *);
/*
 * Queues rows in one transaction, and with them (when meta_name is not
 * NULL) one remembered value, so that "planned up to day D" and the
 * messages of D are stored together or not at all.  Each row's id is set,
 * or 0 when its key was queued before.
 */
int	 db_outbox_enqueue(struct db *, struct db_outbox *rows, size_t n,
	    const char *meta_name, const char *meta_value, char **error);
/* A remembered value (the caller frees it), or NULL. */
char	*db_outbox_meta(struct db *, const char *name);
/* Remembers a value, in a transaction of its own. */
int	 db_outbox_meta_put(struct db *, const char *name, const char *value,
	    char **error);
/* Whether a row has this idempotency key already (a read that fails
 * says no: the insert then ignores it as before). */
bool	 db_outbox_has_idem(struct db *, const char *idem);
/* Up to max ids of rows pending or retrying whose time has come. */
size_t	 db_outbox_due(struct db *, long long now, long long *ids,
	    size_t max);
/* The earliest next attempt of a row waiting: 0, 1 when none waits, -1
 * when the store could not be read. */
int	 db_outbox_next_attempt(struct db *, long long *when);
/* Calls fn with the row and its body: 0, 1 no such row, -1 error (with
 * *error) or fn's -1 (*error untouched). */
int	 db_outbox_get(struct db *, long long id,
	    int (*fn)(const struct db_outbox *, void *), void *arg,
	    char **error);
/* Writes state, attempts, next_attempt, last_error (a NULL keeps the one
 * there), last_response and updated_at of row r->id. */
int	 db_outbox_update(struct db *, const struct db_outbox *r,
	    char **error);
/* The same for each of the n rows in ids, in one statement; r->id is not
 * read. */
int	 db_outbox_update_ids(struct db *, const struct db_outbox *r,
	    const long long *ids, size_t n, char **error);
/* db_outbox_update and db_outbox_enqueue's rows together: a message's end
 * and the notice it calls for are stored both or neither, inside the
 * caller's transaction if one is open. */
int	 db_outbox_update_queue(struct db *, const struct db_outbox *r,
	    struct db_outbox *rows, size_t n, char **error);
/* Replaces the items and bytes of a row (items dropped before sending),
 * both or neither; inside the caller's transaction if one is open. */
int	 db_outbox_set_content(struct db *, long long id, const char *items,
	    const void *body, size_t len, const char *when, char **error);
/* Rows left "sending" (by a crash or a stop) go back to pending, due at
 * "now"; returns how many, or -1. */
long long db_outbox_reset_sending(struct db *, long long now,
	    const char *why, const char *when, char **error);
/* The newest rows first (without bodies), of one state or (NULL) all. */
int	 db_outbox_foreach(struct db *, const char *state, int limit,
	    int (*fn)(const struct db_outbox *, void *), void *arg,
	    char **error);
int	 db_outbox_counts(struct db *, long long counts[DB_OUT_COUNT]);
/* Records that the first "parts" parts of a split message went. */
int	 db_outbox_set_parts(struct db *, long long id, int parts,
	    char **error);
/* Sends a row again from now (a split message from its first part), its
 * attempts counted afresh: 0, 1 no such row, 2 in flight, -1 error. */
int	 db_outbox_redeliver(struct db *, long long id, long long now,
	    const char *when, char **error);

/*
 * A calendar feed's token: only the SHA-256 of its secret is kept, in a
 * table apart from the API's tokens.  kind is bureau, unit or centre;
 * scope the unit's name or the centre's id (NULL for the bureau).
 */
struct db_feed_token {
	long long	 id;
	const char	*hash;
	const char	*kind;
	const char	*scope;
	const char	*label;
	const char	*created_at;
	const char	*last_used_at;	/* NULL: never used */
	const char	*revoked_at;	/* NULL while valid */
	const char	*unit;		/* a centre's feed made by a unit's
					 * token: that unit; else NULL */
};

/* When a feed token was last used, as ticd writes it back. */
struct db_feed_use {
	long long	 id;
	const char	*last_used_at;
};

/* What a feed last showed of one obligation: the fingerprint of what a
 * user sees ("" once it left the plan), SEQUENCE, and when it changed. */
struct db_feed_revision {
	const char	*key;
	const char	*fingerprint;
	int		 sequence;
	long long	 modified;	/* Unix seconds */
};

/* Fills t->id.  -1 with *error on failure. */
int	 db_feed_token_insert(struct db *, struct db_feed_token *, char **error);
/* 0 revoked, 1 no such valid token, -1 error. */
int	 db_feed_token_revoke(struct db *, long long id, const char *when,
	    char **error);
int	 db_foreach_feed_token(struct db *, int (*)(const struct db_feed_token *,
	    void *), void *, char **error);
/* Writes last uses in one transaction: all or none. */
int	 db_feed_tokens_used(struct db *, const struct db_feed_use *, size_t n,
	    char **error);
/* Inserts or replaces revisions in one transaction: all or none. */
int	 db_feed_revisions_put(struct db *, const struct db_feed_revision *,
	    size_t n, char **error);
int	 db_foreach_feed_revision(struct db *,
	    int (*)(const struct db_feed_revision *, void *), void *,
	    char **error);
/* Why the last call that failed did: the disk (or the file size limit)
 * full, another process holding the store's lock, or anything else.
 * Callers pick their words by it; the store is unchanged in every case. */
enum db_failure {
	DB_FAIL_OTHER,
	DB_FAIL_FULL,
	DB_FAIL_BUSY
};
enum db_failure db_last_failure(struct db *);

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
/* Deliveries succeeded at now, to each of the n targets in ids: their
 * failure streaks end. */
int	 db_webhook_ok(struct db *, const long long *ids, size_t n,
	    long long now, char **error);
/* A delivery failed at now: *since is when the streak began.  0, 1 no
 * such target, -1 error. */
int	 db_webhook_failed(struct db *, long long id, long long now,
	    const char *why, long long *since, char **error);
/* 0 disabled now, 1 no such target or already disabled, -1 error. */
int	 db_webhook_disable(struct db *, long long id, const char *when,
	    const char *reason, char **error);
/* Enabled again, its failure streak forgotten: 0, 1 no such, -1 error. */
int	 db_webhook_enable(struct db *, long long id, char **error);

/*
 * One transaction around several of the writes above, for writers that
 * batch (the delivery engine: one commit for a round of "sending" marks,
 * with the results that came back since the last).  Never across a turn of
 * the event loop.  A failed commit is rolled back.
 */
int	 db_begin(struct db *, char **error);
int	 db_commit(struct db *, char **error);
/* Undoes db_begin's transaction after a write in it failed. */
void	 db_rollback(struct db *);

/* PRAGMA integrity_check says "ok". */
int	 db_check(struct db *, char **error);

#endif
