/*
 * db.c: opening the store, its schema and migrations, and the journal.
 *
 * The schema is a list of migrations; PRAGMA user_version records how
 * many have run.  Opening runs the missing ones, each in its own
 * transaction, so a store written by an older ticd is brought up to date
 * and a newer one is refused rather than misread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/common.h"
#include "store/store.h"

/* How long a writer waits for another process's lock.  Short on purpose:
 * a wait blocks ticd's only loop (and its watchdog). */
#define DB_BUSY_MS	250
/* At start-up nothing is waiting on ticd yet, while another process (an
 * administrator's sqlite3 shell, a VACUUM) may hold the store a while:
 * wait longer before giving up rather than exit. */
#define DB_START_BUSY_MS	30000

static const char *migrations[] = {
	/* 1: the journal. */
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  id TEXT NOT NULL UNIQUE,"
	"  recorded_at TEXT NOT NULL,"
	"  json TEXT NOT NULL CHECK (json_valid(json))"
	");"
	"CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events "
	"BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;"
	"CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events "
	"BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;",
	/* 2: API tokens (only their SHA-256) and contacts. */
	"CREATE TABLE tokens ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  hash TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL CHECK (role IN ('bureau', 'unit', 'centre')),"
	"  scope TEXT CHECK ((role = 'bureau') = (scope IS NULL)),"
	"  label TEXT NOT NULL DEFAULT '',"
	"  created_at TEXT NOT NULL,"
	"  revoked_at TEXT"
	");"
	"CREATE TABLE contacts ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  kind TEXT NOT NULL CHECK (kind IN ('bureau', 'unit', 'centre')),"
	"  scope TEXT CHECK ((kind = 'bureau') = (scope IS NULL)),"
	"  email TEXT NOT NULL,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  created_at TEXT NOT NULL"
	");",
	/* 3: the outbox (issue 5): one row per message, written before it is
	 * sent; and what the reminder timer remembers across restarts. */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  idem TEXT NOT NULL UNIQUE,"
	"  recipient TEXT NOT NULL,"
	"  channel TEXT NOT NULL,"
	"  day TEXT NOT NULL,"
	"  planned TEXT NOT NULL,"
	"  catch_up INTEGER NOT NULL DEFAULT 0,"
	"  message_id TEXT NOT NULL,"
	"  rcpt TEXT NOT NULL CHECK (json_valid(rcpt)),"
	"  items TEXT NOT NULL CHECK (json_valid(items)),"
	"  body BLOB NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent',"
	"    'retrying', 'dead', 'dropped')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  last_response TEXT,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL"
	");"
	"CREATE INDEX outbox_due ON outbox (state, next_attempt);"
	"CREATE TABLE outbox_meta ("
	"  name TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	");",
	/* 4: calendar feeds: their tokens (only the SHA-256, as for API
	 * tokens, but a table of their own so that neither kind opens the
	 * other's door), and what each obligation looked like when a feed
	 * last showed it (its fingerprint), so that SEQUENCE and
	 * LAST-MODIFIED survive a restart.  modified is Unix seconds. */
	"CREATE TABLE feed_tokens ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  hash TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('bureau', 'unit', 'centre')),"
	"  scope TEXT CHECK ((kind = 'bureau') = (scope IS NULL)),"
	"  label TEXT NOT NULL DEFAULT '',"
	"  created_at TEXT NOT NULL,"
	"  last_used_at TEXT,"
	"  revoked_at TEXT"
	");"
	"CREATE TABLE feed_revisions ("
	"  key TEXT PRIMARY KEY,"
	"  fingerprint TEXT NOT NULL,"
	"  sequence INTEGER NOT NULL CHECK (sequence >= 0),"
	"  modified INTEGER NOT NULL"
	") WITHOUT ROWID;",
	/* 5: webhook targets (issue 6): where a recipient's reminders are
	 * also posted.  The secret stays in its file; only the path is
	 * kept.  failing_since starts a failure streak (Unix time), cleared
	 * by a success; a target failing too long is disabled. */
	"CREATE TABLE webhooks ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  kind TEXT NOT NULL CHECK (kind IN ('bureau', 'unit', 'centre')),"
	"  scope TEXT CHECK ((kind = 'bureau') = (scope IS NULL)),"
	"  url TEXT NOT NULL,"
	"  format TEXT NOT NULL CHECK (format IN ('standard', 'wecom',"
	"    'dingtalk', 'feishu')),"
	"  secret_file TEXT,"
	"  label TEXT NOT NULL DEFAULT '',"
	"  created_at TEXT NOT NULL,"
	"  failing_since INTEGER,"
	"  last_ok INTEGER,"
	"  last_error TEXT,"
	"  disabled_at TEXT,"
	"  disabled_reason TEXT"
	");"
	/* How many parts of a robot message split under its size limit
	 * went: a retry resumes at the next one. */
	"ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;",
	/* 6: the journal by centre (NULL: bureau-wide), so that one
	 * centre's events are found without reading the whole journal
	 * (a centre answered while ticd is still loading it). */
	"CREATE INDEX events_by_centre ON events "
	"(json_extract(json, '$.centre'));",
	/* 7: a message's bytes in a table of their own.  sqlite rewrites a
	 * whole record (a 7 KB body and its overflow pages) on every UPDATE,
	 * and a row's state is written twice per attempt: measured on 1,000
	 * rows, 12 per transaction, 93 → 31 µs of CPU per message. */
	"CREATE TABLE outbox_body ("
	"  id INTEGER PRIMARY KEY REFERENCES outbox (id),"
	"  body BLOB NOT NULL"
	");"
	"INSERT INTO outbox_body (id, body) SELECT id, body FROM outbox;"
	"ALTER TABLE outbox DROP COLUMN body;",
	/* 8: the state's CHECK as a chain of "=".  For an IN list sqlite
	 * builds and drops an ephemeral table each time the statement runs,
	 * and the state is set twice a message: about 2.5 µs of the loop's
	 * 32 a webhook post (docs/PERFORMANCE.md).  sqlite cannot alter a
	 * CHECK, so the table is made again by its documented procedure
	 * (lang_altertable.html, "other kinds of table schema changes"):
	 * migrate() turns foreign keys off around it (outbox_body refers to
	 * outbox) and checks them before the commit; the AUTOINCREMENT
	 * high-water mark is carried over, so no id is ever given twice. */
	"CREATE TABLE outbox_new ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  idem TEXT NOT NULL UNIQUE,"
	"  recipient TEXT NOT NULL,"
	"  channel TEXT NOT NULL,"
	"  day TEXT NOT NULL,"
	"  planned TEXT NOT NULL,"
	"  catch_up INTEGER NOT NULL DEFAULT 0,"
	"  message_id TEXT NOT NULL,"
	"  rcpt TEXT NOT NULL CHECK (json_valid(rcpt)),"
	"  items TEXT NOT NULL CHECK (json_valid(items)),"
	"  state TEXT NOT NULL CHECK (state = 'pending' OR state = 'sending'"
	"    OR state = 'sent' OR state = 'retrying' OR state = 'dead'"
	"    OR state = 'dropped'),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  last_response TEXT,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  parts_sent INTEGER NOT NULL DEFAULT 0"
	");"
	"INSERT INTO outbox_new (id, idem, recipient, channel, day, planned,"
	"  catch_up, message_id, rcpt, items, state, attempts, next_attempt,"
	"  last_error, last_response, created_at, updated_at, parts_sent)"
	"  SELECT id, idem, recipient, channel, day, planned, catch_up,"
	"  message_id, rcpt, items, state, attempts, next_attempt, last_error,"
	"  last_response, created_at, updated_at, parts_sent FROM outbox;"
	"DELETE FROM sqlite_sequence WHERE name = 'outbox_new';"
	"INSERT INTO sqlite_sequence (name, seq)"
	"  SELECT 'outbox_new', seq FROM sqlite_sequence WHERE name = 'outbox';"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox_new RENAME TO outbox;"
	"CREATE INDEX outbox_due ON outbox (state, next_attempt);",
	/* 9: the unit whose token made a centre's feed: once the centre is
	 * registered under another unit, that unit's staff no longer read
	 * it (NULL: made by the bureau or the centre itself). */
	"ALTER TABLE feed_tokens ADD COLUMN unit TEXT;",
};

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_INSERT_EVENT,
	ST_COUNT_EVENTS,
	ST_LAST_SEQ,
	ST_SELECT_EVENTS_AFTER,
	ST_SELECT_CENTRE_EVENTS,
	ST_INSERT_TOKEN,
	ST_REVOKE_TOKEN,
	ST_SELECT_TOKENS,
	ST_INSERT_CONTACT,
	ST_DELETE_CONTACT,
	ST_SELECT_CONTACTS,
	ST_OUT_INSERT,
	ST_OUT_META_SET,
	ST_OUT_META_GET,
	ST_OUT_DUE,
	ST_OUT_NEXT,
	ST_OUT_GET,
	ST_OUT_UPDATE,
	ST_OUT_UPDATE_IDS,
	ST_OUT_CONTENT,
	ST_OUT_RESET,
	ST_OUT_LIST,
	ST_OUT_COUNTS,
	ST_OUT_REDELIVER,
	ST_OUT_STATE,
	ST_OUT_HAS_IDEM,
	ST_INSERT_FEED_TOKEN,
	ST_REVOKE_FEED_TOKEN,
	ST_USE_FEED_TOKEN,
	ST_SELECT_FEED_TOKENS,
	ST_PUT_FEED_REVISION,
	ST_SELECT_FEED_REVISIONS,
	ST_INSERT_WEBHOOK,
	ST_DELETE_WEBHOOK,
	ST_SELECT_WEBHOOKS,
	ST_SELECT_WEBHOOK,
	ST_WEBHOOK_OK,
	ST_WEBHOOK_FAILED,
	ST_WEBHOOK_DISABLE,
	ST_WEBHOOK_ENABLE,
	ST_OUT_PARTS,
	ST_OUT_BODY_PUT,
	ST_COUNT
};

/* The columns of a webhook target, in struct db_webhook's order. */
#define WEBHOOK_COLUMNS "id, kind, scope, url, format, secret_file, label, " \
	"created_at, failing_since, last_ok, last_error, disabled_at, " \
	"disabled_reason"

/* The columns of an outbox row, in struct db_outbox's order. */
#define OUT_COLUMNS "id, idem, recipient, channel, day, planned, catch_up, " \
	"message_id, rcpt, items, state, attempts, next_attempt, last_error, " \
	"last_response, created_at, updated_at, parts_sent"

static const char *stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	/* A write of several statements that is whole or nothing whether
	 * or not a caller's transaction is open (a BEGIN inside one fails). */
	[ST_SAVEPOINT] = "SAVEPOINT part",
	[ST_RELEASE] = "RELEASE part",
	[ST_ROLLBACK_TO] = "ROLLBACK TO part",
	[ST_INSERT_EVENT] =
	    "INSERT INTO events (id, recorded_at, json) VALUES (?, ?, ?)",
	[ST_COUNT_EVENTS] = "SELECT count(*) FROM events",
	/* The rowid's b-tree answers at once, where count(*) reads it all. */
	[ST_LAST_SEQ] = "SELECT ifnull(max(seq), 0) FROM events",
	[ST_SELECT_EVENTS_AFTER] = "SELECT seq, id, recorded_at, json FROM "
	    "events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	/* The expression is migration 6's index's, word for word, or
	 * sqlite would not use the index. */
	[ST_SELECT_CENTRE_EVENTS] = "SELECT seq, id, recorded_at, json FROM "
	    "events WHERE json_extract(json, '$.centre') = ?1 OR "
	    "json_extract(json, '$.centre') IS NULL ORDER BY seq",
	[ST_INSERT_TOKEN] = "INSERT INTO tokens (hash, role, scope, label, "
	    "created_at) VALUES (?, ?, ?, ?, ?)",
	[ST_REVOKE_TOKEN] = "UPDATE tokens SET revoked_at = ? "
	    "WHERE id = ? AND revoked_at IS NULL",
	[ST_SELECT_TOKENS] = "SELECT id, hash, role, scope, label, created_at, "
	    "revoked_at FROM tokens ORDER BY id",
	[ST_INSERT_CONTACT] = "INSERT INTO contacts (kind, scope, email, name, "
	    "created_at) VALUES (?, ?, ?, ?, ?)",
	[ST_DELETE_CONTACT] = "DELETE FROM contacts WHERE id = ?",
	[ST_SELECT_CONTACTS] = "SELECT id, kind, scope, email, name, created_at "
	    "FROM contacts ORDER BY id",
	[ST_OUT_INSERT] = "INSERT OR IGNORE INTO outbox (idem, recipient, "
	    "channel, day, planned, catch_up, message_id, rcpt, items, "
	    "state, next_attempt, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
	[ST_OUT_BODY_PUT] = "INSERT OR REPLACE INTO outbox_body (id, body) "
	    "VALUES (?, ?)",
	[ST_OUT_META_SET] = "INSERT INTO outbox_meta (name, value) VALUES (?, ?) "
	    "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
	[ST_OUT_META_GET] = "SELECT value FROM outbox_meta WHERE name = ?",
	/* One range of the index per state, merged: a burst of thousands
	 * of due rows is read LIMIT at a time without sorting them all at
	 * every batch (state IN (...) sorts in a temporary b-tree). */
	[ST_OUT_DUE] = "SELECT id, next_attempt FROM outbox WHERE state = "
	    "'pending' AND next_attempt <= ?1 UNION ALL SELECT id, "
	    "next_attempt FROM outbox WHERE state = 'retrying' AND "
	    "next_attempt <= ?1 ORDER BY 2, 1 LIMIT ?2",
	[ST_OUT_NEXT] = "SELECT min(next_attempt) FROM outbox WHERE state IN "
	    "('pending', 'retrying')",
	[ST_OUT_GET] = "SELECT " OUT_COLUMNS ", outbox_body.body FROM outbox "
	    "JOIN outbox_body USING (id) WHERE id = ?",
	/* The last error stays, even once sent: "sent on the 2nd attempt,
	 * after: connection refused" is what an operator wants to see. */
	[ST_OUT_UPDATE] = "UPDATE outbox SET state = ?, attempts = ?, "
	    "next_attempt = ?, last_error = coalesce(?, last_error), "
	    "last_response = ?, updated_at = ? WHERE id = ?",
	/* The same state for many rows in one statement: the delivery
	 * engine's batches mark dozens of rows alike (sending, or sent with
	 * the same answer in the same second). */
	[ST_OUT_UPDATE_IDS] = "UPDATE outbox SET state = ?, attempts = ?, "
	    "next_attempt = ?, last_error = coalesce(?, last_error), "
	    "last_response = ?, updated_at = ? "
	    "WHERE id IN (SELECT value FROM json_each(?))",
	[ST_OUT_CONTENT] = "UPDATE outbox SET items = ?, updated_at = ? "
	    "WHERE id = ?",
	[ST_OUT_RESET] = "UPDATE outbox SET state = 'pending', next_attempt = ?, "
	    "last_error = ?, updated_at = ? WHERE state = 'sending'",
	[ST_OUT_LIST] = "SELECT " OUT_COLUMNS " FROM outbox WHERE "
	    "(?1 IS NULL OR state = ?1) ORDER BY id DESC LIMIT ?2",
	[ST_OUT_COUNTS] = "SELECT state, count(*) FROM outbox GROUP BY state",
	/* Sent again whole: a robot message's parts from the first. */
	[ST_OUT_REDELIVER] = "UPDATE outbox SET state = 'pending', "
	    "attempts = 0, next_attempt = ?, last_error = NULL, updated_at = ?, "
	    "parts_sent = 0 "
	    "WHERE id = ? AND state <> 'sending'",
	[ST_OUT_STATE] = "SELECT state FROM outbox WHERE id = ?",
	[ST_OUT_HAS_IDEM] = "SELECT 1 FROM outbox WHERE idem = ?",
	[ST_INSERT_FEED_TOKEN] = "INSERT INTO feed_tokens (hash, kind, scope, "
	    "label, created_at, unit) VALUES (?, ?, ?, ?, ?, ?)",
	[ST_REVOKE_FEED_TOKEN] = "UPDATE feed_tokens SET revoked_at = ? "
	    "WHERE id = ? AND revoked_at IS NULL",
	[ST_USE_FEED_TOKEN] = "UPDATE feed_tokens SET last_used_at = ? "
	    "WHERE id = ?",
	[ST_SELECT_FEED_TOKENS] = "SELECT id, hash, kind, scope, label, "
	    "created_at, last_used_at, revoked_at, unit FROM feed_tokens "
	    "ORDER BY id",
	[ST_PUT_FEED_REVISION] = "INSERT INTO feed_revisions (key, fingerprint, "
	    "sequence, modified) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE "
	    "SET fingerprint = excluded.fingerprint, sequence = excluded.sequence, "
	    "modified = excluded.modified",
	[ST_SELECT_FEED_REVISIONS] = "SELECT key, fingerprint, sequence, "
	    "modified FROM feed_revisions",
	[ST_INSERT_WEBHOOK] = "INSERT INTO webhooks (kind, scope, url, format, "
	    "secret_file, label, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[ST_DELETE_WEBHOOK] = "DELETE FROM webhooks WHERE id = ?",
	[ST_SELECT_WEBHOOKS] = "SELECT " WEBHOOK_COLUMNS " FROM webhooks "
	    "ORDER BY id",
	[ST_SELECT_WEBHOOK] = "SELECT " WEBHOOK_COLUMNS " FROM webhooks "
	    "WHERE id = ?",
	/* Many targets at once: the successes of the same second. */
	[ST_WEBHOOK_OK] = "UPDATE webhooks SET failing_since = NULL, "
	    "last_ok = ?, last_error = NULL "
	    "WHERE id IN (SELECT value FROM json_each(?))",
	/* The streak's start stays the first failure's.  Not on a disabled
	 * target: a failure kept while the store was locked may come after
	 * its disabling. */
	[ST_WEBHOOK_FAILED] = "UPDATE webhooks SET failing_since = "
	    "coalesce(failing_since, ?), last_error = ? WHERE id = ? "
	    "AND disabled_at IS NULL RETURNING failing_since",
	[ST_WEBHOOK_DISABLE] = "UPDATE webhooks SET disabled_at = ?, "
	    "disabled_reason = ? WHERE id = ? AND disabled_at IS NULL",
	[ST_OUT_PARTS] = "UPDATE outbox SET parts_sent = ? WHERE id = ?",
	[ST_WEBHOOK_ENABLE] = "UPDATE webhooks SET disabled_at = NULL, "
	    "disabled_reason = NULL, failing_since = NULL, last_error = NULL "
	    "WHERE id = ?",
};

struct db {
	sqlite3		*sql;
	sqlite3_stmt	*stmt[ST_COUNT];
	enum db_failure	 failure;	/* of the last error described */
	int		 upgraded_from;	/* an older store's version, or 0 */
};

int
db_schema_version(void)
{
	return (int)nitems(migrations);
}

int
db_upgraded_from(const struct db *db)
{
	return db->upgraded_from;
}

/* Describes the error at hand and remembers its kind, before a ROLLBACK
 * resets sqlite's error code. */
static char *
db_error(struct db *db, const char *what)
{
	int	 os = sqlite3_system_errno(db->sql);

	switch (sqlite3_errcode(db->sql)) {
	case SQLITE_FULL:
		db->failure = DB_FAIL_FULL;
		break;
	case SQLITE_IOERR:	/* a write or fsync that found no space */
		db->failure = os == ENOSPC || os == EFBIG || os == EDQUOT ?
		    DB_FAIL_FULL : DB_FAIL_OTHER;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		db->failure = DB_FAIL_BUSY;
		break;
	default:
		db->failure = DB_FAIL_OTHER;
		break;
	}
	return xasprintf("%s: %s", what, sqlite3_errmsg(db->sql));
}

enum db_failure
db_last_failure(struct db *db)
{
	return db->failure;
}

static int
exec(struct db *db, const char *sql, char **error)
{
	char	*msg = NULL;

	if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) != SQLITE_OK) {
		*error = xasprintf("%s", msg != NULL ? msg :
		    sqlite3_errmsg(db->sql));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
db_user_version(struct db *db)
{
	sqlite3_stmt	*st;
	int		 v = -1;

	if (sqlite3_prepare_v2(db->sql, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static const char *column_text(sqlite3_stmt *, int);

/* Whether every foreign key of the store still finds its row (the check
 * a migration made with foreign keys off must pass to commit). */
static int
foreign_keys_hold(struct db *db, char **error)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db->sql, "PRAGMA foreign_key_check", -1, &st,
	    NULL) != SQLITE_OK) {
		*error = db_error(db, "PRAGMA foreign_key_check");
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*error = xasprintf("%s 表的外键找不到所指的行 / a foreign key of "
		    "table %s has no row to refer to", column_text(st, 0),
		    column_text(st, 0));
	else if (rc != SQLITE_DONE)
		*error = db_error(db, "PRAGMA foreign_key_check");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
migrate(struct db *db, char **error)
{
	int	 v = db_user_version(db), n = db_schema_version();
	char	*sql;

	if (v < 0) {
		*error = db_error(db, "reading the schema version");
		return -1;
	}
	if (v > n) {
		*error = xasprintf("数据库的结构版本 %d 比本程序（%d）新，请升级 "
		    "ticd / the store's schema version %d is newer than this "
		    "ticd's (%d): upgrade ticd", v, n, v, n);
		return -1;
	}
	if (v == n)
		return 0;
	db->upgraded_from = v;		/* 0: a new store, made */
	/* A migration may make a table again (8): foreign keys off while
	 * it runs (a no-op inside a transaction), checked before its
	 * commit, and on again whatever happened. */
	if (exec(db, "PRAGMA foreign_keys = OFF", error) == -1)
		return -1;
	for (; v < n; v++) {
		/* user_version cannot be bound: it is our own integer. */
		sql = xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d;",
		    migrations[v], v + 1);
		if (exec(db, sql, error) == -1 || foreign_keys_hold(db,
		    error) == -1 || exec(db, "COMMIT", error) == -1) {
			free(sql);
			(void)sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
			break;
		}
		free(sql);
	}
	if (v < n) {
		(void)sqlite3_exec(db->sql, "PRAGMA foreign_keys = ON", NULL,
		    NULL, NULL);
		return -1;
	}
	return exec(db, "PRAGMA foreign_keys = ON", error);
}

static int
prepare_all(struct db *db, char **error)
{
	int	 i;

	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(db->sql, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &db->stmt[i], NULL) != SQLITE_OK) {
			*error = db_error(db, stmt_sql[i]);
			return -1;
		}
	}
	return 0;
}

/*
 * Before sqlite's first use: no memory statistics.  They are kept under a
 * global mutex taken at every sqlite3_malloc and sqlite3_free (about a
 * twentieth of the daemon's loop in a webhook burst, for figures nothing
 * reads).  Too late once sqlite is initialized (SQLITE_MISUSE): then the
 * statistics stay, which changes nothing else.
 */
static void
db_configure(void)
{
	static bool	 done;

	if (!done)
		(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	done = true;
}

/*
 * Why a store that opened cannot be set up, in the system's words: sqlite
 * says "unable to open database file" on a read-only disk (the WAL's
 * files cannot be made) and "disk I/O error" on a full one, and its last
 * system error may be an unrelated ENOENT.  The file and its directory
 * are asked first.  A static string: ": reason", or "".
 */
static const char *
store_unwritable(struct db *db, const char *path)
{
	static char	 reason[256];
	char		*dir, *slash;
	int		 e;

	reason[0] = '\0';
	/* Only for the failures the disk explains: not for a store from a
	 * newer ticd, say, whose message says it all. */
	switch (sqlite3_errcode(db->sql) & 0xff) {
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		break;
	default:
		return reason;
	}
	if ((slash = strrchr(path, '/')) == NULL)
		dir = xstrdup(".");
	else
		dir = xstrndup(path, slash == path ? 1 :
		    (size_t)(slash - path));
	if (access(path, W_OK) == -1 && errno != ENOENT)
		snprintf(reason, sizeof(reason), ": %s", strerror(errno));
	else if (access(dir, W_OK) == -1)
		snprintf(reason, sizeof(reason), ": its directory %s: %s", dir,
		    strerror(errno));
	else if ((e = sqlite3_system_errno(db->sql)) != 0)
		snprintf(reason, sizeof(reason), ": %s", strerror(e));
	free(dir);
	return reason;
}

struct db *
db_open(const char *path, enum db_sync sync, char **error)
{
	struct db	*db = xcalloc(1, sizeof(*db));
	int		 rc;

	db_configure();
	rc = sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		/* sqlite says "unable to open database file"; the system's
		 * reason (a missing directory, a permission) is what to fix. */
		int	 e = db->sql ? sqlite3_system_errno(db->sql) : 0;

		*error = xasprintf("%s: %s%s%s", path, db->sql != NULL ?
		    sqlite3_errmsg(db->sql) : sqlite3_errstr(rc), e != 0 ?
		    ": " : "", e != 0 ? strerror(e) : "");
		db_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db->sql, DB_START_BUSY_MS);
	if (exec(db, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;",
	    error) == -1 || exec(db, sync == DB_SYNC_FULL ?
	    "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
	    error) == -1 || migrate(db, error) == -1 ||
	    prepare_all(db, error) == -1) {
		char	*why = xasprintf("%s: %s%s", path, *error,
			    store_unwritable(db, path));

		free(*error);
		*error = why;
		db_close(db);
		return NULL;
	}
	return db;
}

void
db_started(struct db *db)
{
	sqlite3_busy_timeout(db->sql, DB_BUSY_MS);
}

void
db_close(struct db *db)
{
	int	 i;

	if (db == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(db->stmt[i]);
	sqlite3_close(db->sql);
	free(db);
}

/* Runs a prepared statement that returns no rows. */
static int
step_done(struct db *db, enum stmt s)
{
	int	 rc = sqlite3_step(db->stmt[s]);

	sqlite3_reset(db->stmt[s]);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_append_events(struct db *db, struct db_event *events, size_t n,
    char **error)
{
	sqlite3_stmt	*ins = db->stmt[ST_INSERT_EVENT];
	size_t		 i;

	if (step_done(db, ST_BEGIN) == -1) {
		*error = db_error(db, "BEGIN IMMEDIATE");
		return -1;
	}
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(ins, 1, events[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, events[i].recorded_at, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, events[i].json, -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			*error = db_error(db, "storing an event");
			sqlite3_reset(ins);
			sqlite3_clear_bindings(ins);
			(void)step_done(db, ST_ROLLBACK);
			return -1;
		}
		events[i].seq = sqlite3_last_insert_rowid(db->sql);
		sqlite3_reset(ins);
		sqlite3_clear_bindings(ins);
	}
	if (step_done(db, ST_COMMIT) == -1) {
		*error = db_error(db, "COMMIT");
		(void)step_done(db, ST_ROLLBACK);
		return -1;
	}
	return 0;
}

/* Steps a statement of events (seq, id, recorded_at, json) through fn;
 * the text is sqlite's own, valid until the next step.  *rows counts
 * them. */
static int
each_event(struct db *db, sqlite3_stmt *st, int (*fn)(const struct db_event *,
    void *), void *arg, size_t *rows, char **error)
{
	struct db_event	 ev;
	int		 rc;

	*rows = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ev.seq = sqlite3_column_int64(st, 0);
		ev.id = (const char *)sqlite3_column_text(st, 1);
		ev.recorded_at = (const char *)sqlite3_column_text(st, 2);
		ev.json = (const char *)sqlite3_column_text(st, 3);
		if (ev.id == NULL || ev.recorded_at == NULL ||
		    ev.json == NULL) {
			sqlite3_reset(st);
			*error = xasprintf("stored event %lld has an empty "
			    "column", ev.seq);
			return -1;
		}
		(*rows)++;
		if (fn(&ev, arg) == -1) {
			sqlite3_reset(st);
			*error = xstrdup("stopped by the caller");
			return -1;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		*error = db_error(db, "reading the journal");
		return -1;
	}
	return 0;
}

int
db_foreach_event_after(struct db *db, long long after, long long limit,
    int (*fn)(const struct db_event *, void *), void *arg, size_t *rows,
    char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_SELECT_EVENTS_AFTER];

	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, limit);
	return each_event(db, st, fn, arg, rows, error);
}

int
db_foreach_centre_event(struct db *db, const char *centre,
    int (*fn)(const struct db_event *, void *), void *arg, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_SELECT_CENTRE_EVENTS];
	size_t		 rows;
	int		 rc;

	sqlite3_bind_text(st, 1, centre, -1, SQLITE_STATIC);
	rc = each_event(db, st, fn, arg, &rows, error);
	sqlite3_clear_bindings(st);
	return rc;
}

/* The one integer a statement answers, or -1. */
static long long
integer_of(struct db *db, enum stmt s)
{
	sqlite3_stmt	*st = db->stmt[s];
	long long	 n = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

long long
db_event_count(struct db *db)
{
	return integer_of(db, ST_COUNT_EVENTS);
}

long long
db_event_last_seq(struct db *db)
{
	return integer_of(db, ST_LAST_SEQ);
}

int
db_check(struct db *db, char **error)
{
	sqlite3_stmt	*st;
	const char	*r;
	int		 ok = -1;

	if (sqlite3_prepare_v2(db->sql, "PRAGMA integrity_check", -1, &st,
	    NULL) != SQLITE_OK) {
		*error = db_error(db, "integrity_check");
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (r = (const char *)sqlite3_column_text(st, 0)) != NULL) {
		if (strcmp(r, "ok") == 0)
			ok = 0;
		else
			*error = xstrdup(r);
	}
	sqlite3_finalize(st);
	return ok;
}

/* Binds text, or NULL for a NULL pointer. */
static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static const char *
column_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Runs a bound single-statement write (its own implicit transaction). */
static int
write_one(struct db *db, enum stmt s, const char *what, char **error)
{
	int	 rc = sqlite3_step(db->stmt[s]);

	sqlite3_reset(db->stmt[s]);
	sqlite3_clear_bindings(db->stmt[s]);
	if (rc != SQLITE_DONE) {
		*error = db_error(db, what);
		return -1;
	}
	return 0;
}

/* write_one for an INSERT: *id is the new row's. */
static int
insert_one(struct db *db, enum stmt s, const char *what, long long *id,
    char **error)
{
	if (write_one(db, s, what, error) == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(db->sql);
	return 0;
}

/* write_one for a change of one row by id: 0, 1 when there is no such
 * row, -1 with *error. */
static int
change_one(struct db *db, enum stmt s, const char *what, char **error)
{
	if (write_one(db, s, what, error) == -1)
		return -1;
	return sqlite3_changes(db->sql) == 1 ? 0 : 1;
}

int
db_token_insert(struct db *db, struct db_token *t, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_INSERT_TOKEN];

	bind_text(st, 1, t->hash);
	bind_text(st, 2, t->role);
	bind_text(st, 3, t->scope);
	bind_text(st, 4, t->label);
	bind_text(st, 5, t->created_at);
	return insert_one(db, ST_INSERT_TOKEN, "storing a token",
	    &t->id, error);
}

int
db_token_revoke(struct db *db, long long id, const char *when, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_REVOKE_TOKEN];

	bind_text(st, 1, when);
	sqlite3_bind_int64(st, 2, id);
	return change_one(db, ST_REVOKE_TOKEN, "revoking a token", error);
}

int
db_foreach_token(struct db *db, int (*fn)(const struct db_token *, void *),
    void *arg, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_SELECT_TOKENS];
	struct db_token	 t;
	int		 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t.id = sqlite3_column_int64(st, 0);
		t.hash = column_text(st, 1);
		t.role = column_text(st, 2);
		t.scope = column_text(st, 3);
		t.label = column_text(st, 4);
		t.created_at = column_text(st, 5);
		t.revoked_at = column_text(st, 6);
		if (fn(&t, arg) == -1)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*error = db_error(db, "reading tokens");
		return -1;
	}
	return 0;
}

int
db_contact_insert(struct db *db, struct db_contact *c, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_INSERT_CONTACT];

	bind_text(st, 1, c->kind);
	bind_text(st, 2, c->scope);
	bind_text(st, 3, c->email);
	bind_text(st, 4, c->name);
	bind_text(st, 5, c->created_at);
	return insert_one(db, ST_INSERT_CONTACT, "storing a contact",
	    &c->id, error);
}

int
db_contact_delete(struct db *db, long long id, char **error)
{
	sqlite3_bind_int64(db->stmt[ST_DELETE_CONTACT], 1, id);
	return change_one(db, ST_DELETE_CONTACT, "removing a contact", error);
}

int
db_foreach_contact(struct db *db,
    int (*fn)(const struct db_contact *, void *), void *arg, char **error)
{
	sqlite3_stmt		*st = db->stmt[ST_SELECT_CONTACTS];
	struct db_contact	 c;
	int			 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c.id = sqlite3_column_int64(st, 0);
		c.kind = column_text(st, 1);
		c.scope = column_text(st, 2);
		c.email = column_text(st, 3);
		c.name = column_text(st, 4);
		c.created_at = column_text(st, 5);
		if (fn(&c, arg) == -1)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*error = db_error(db, "reading contacts");
		return -1;
	}
	return 0;
}

/* ---- the outbox ---- */

static const char *out_states[DB_OUT_COUNT] = {
	"pending", "sending", "sent", "retrying", "dead", "dropped"
};

const char *
db_outbox_state_name(enum db_outbox_state s)
{
	return out_states[s];
}

int
db_outbox_state_from_name(const char *name, enum db_outbox_state *s)
{
	int	 i;

	for (i = 0; i < DB_OUT_COUNT; i++) {
		if (strcmp(name, out_states[i]) == 0) {
			*s = (enum db_outbox_state)i;
			return 0;
		}
	}
	return -1;
}

static void
bind_row(sqlite3_stmt *st, const struct db_outbox *r)
{
	bind_text(st, 1, r->idem);
	bind_text(st, 2, r->recipient);
	bind_text(st, 3, r->channel);
	bind_text(st, 4, r->day);
	bind_text(st, 5, r->planned);
	sqlite3_bind_int(st, 6, r->catch_up ? 1 : 0);
	bind_text(st, 7, r->message_id);
	bind_text(st, 8, r->rcpt);
	bind_text(st, 9, r->items);
	sqlite3_bind_int64(st, 10, r->next_attempt);
	bind_text(st, 11, r->created_at);
	bind_text(st, 12, r->created_at);
}

static int
meta_set(struct db *db, const char *name, const char *value)
{
	sqlite3_stmt	*st = db->stmt[ST_OUT_META_SET];

	bind_text(st, 1, name);
	bind_text(st, 2, value);
	return step_done(db, ST_OUT_META_SET);
}

/* A message's bytes, beside its row (migration 7). */
static int
body_put(struct db *db, long long id, const void *body, size_t len)
{
	sqlite3_stmt	*st = db->stmt[ST_OUT_BODY_PUT];

	int		 rc;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_blob64(st, 2, body, len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Inserts rows inside the caller's transaction; each row's id is set, or
 * 0 when its key was queued before. */
static int
insert_rows(struct db *db, struct db_outbox *rows, size_t n)
{
	sqlite3_stmt	*ins = db->stmt[ST_OUT_INSERT];
	size_t		 i;
	int		 rc;

	for (i = 0; i < n; i++) {
		bind_row(ins, &rows[i]);
		rc = sqlite3_step(ins);
		sqlite3_reset(ins);
		sqlite3_clear_bindings(ins);
		if (rc != SQLITE_DONE)
			return -1;
		/* An idempotency key already queued is not queued again. */
		rows[i].id = sqlite3_changes(db->sql) == 1 ?
		    sqlite3_last_insert_rowid(db->sql) : 0;
		if (rows[i].id != 0 && body_put(db, rows[i].id, rows[i].body,
		    rows[i].body_len) == -1)
			return -1;
	}
	return 0;
}

int
db_outbox_enqueue(struct db *db, struct db_outbox *rows, size_t n,
    const char *meta_name, const char *meta_value, char **error)
{
	if (step_done(db, ST_BEGIN) == -1) {
		*error = db_error(db, "BEGIN IMMEDIATE");
		return -1;
	}
	if (insert_rows(db, rows, n) == -1) {
		*error = db_error(db, "queueing a message");
		(void)step_done(db, ST_ROLLBACK);
		return -1;
	}
	if (meta_name != NULL && meta_set(db, meta_name, meta_value) == -1) {
		*error = db_error(db, "remembering the day planned");
		(void)step_done(db, ST_ROLLBACK);
		return -1;
	}
	if (step_done(db, ST_COMMIT) == -1) {
		*error = db_error(db, "COMMIT");
		(void)step_done(db, ST_ROLLBACK);
		return -1;
	}
	return 0;
}

bool
db_outbox_has_idem(struct db *db, const char *idem)
{
	sqlite3_stmt	*st = db->stmt[ST_OUT_HAS_IDEM];
	bool		 found;

	bind_text(st, 1, idem);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return found;
}

char *
db_outbox_meta(struct db *db, const char *name)
{
	sqlite3_stmt	*st = db->stmt[ST_OUT_META_GET];
	char		*v = NULL;

	bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW && column_text(st, 0) != NULL)
		v = xstrdup(column_text(st, 0));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return v;
}

int
db_outbox_meta_put(struct db *db, const char *name, const char *value,
    char **error)
{
	if (meta_set(db, name, value) == -1) {
		*error = db_error(db, "remembering a value");
		sqlite3_clear_bindings(db->stmt[ST_OUT_META_SET]);
		return -1;
	}
	sqlite3_clear_bindings(db->stmt[ST_OUT_META_SET]);
	return 0;
}

size_t
db_outbox_due(struct db *db, long long now, long long *ids, size_t max)
{
	sqlite3_stmt	*st = db->stmt[ST_OUT_DUE];
	size_t		 n = 0;

	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return n;
}

int
db_outbox_next_attempt(struct db *db, long long *when)
{
	sqlite3_stmt	*st = db->stmt[ST_OUT_NEXT];
	int		 rc, found = 1;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*when = sqlite3_column_int64(st, 0);
		found = 0;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		found = -1;
	sqlite3_reset(st);
	return found;
}

static void
read_row(sqlite3_stmt *st, struct db_outbox *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->idem = column_text(st, 1);
	r->recipient = column_text(st, 2);
	r->channel = column_text(st, 3);
	r->day = column_text(st, 4);
	r->planned = column_text(st, 5);
	r->catch_up = sqlite3_column_int(st, 6) != 0;
	r->message_id = column_text(st, 7);
	r->rcpt = column_text(st, 8);
	r->items = column_text(st, 9);
	if (db_outbox_state_from_name(column_text(st, 10), &r->state) == -1)
		r->state = DB_OUT_DEAD;	/* the CHECK makes this impossible */
	r->attempts = sqlite3_column_int(st, 11);
	r->next_attempt = sqlite3_column_int64(st, 12);
	r->last_error = column_text(st, 13);
	r->last_response = column_text(st, 14);
	r->created_at = column_text(st, 15);
	r->updated_at = column_text(st, 16);
	r->parts_sent = sqlite3_column_int(st, 17);
}

int
db_outbox_get(struct db *db, long long id,
    int (*fn)(const struct db_outbox *, void *), void *arg, char **error)
{
	sqlite3_stmt		*st = db->stmt[ST_OUT_GET];
	struct db_outbox	 r;
	int			 rc, found = 1;

	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_row(st, &r);
		r.body = sqlite3_column_blob(st, 18);
		r.body_len = (size_t)sqlite3_column_bytes(st, 18);
		found = fn(&r, arg) == -1 ? -1 : 0;
	} else if (rc != SQLITE_DONE) {
		*error = db_error(db, "reading the outbox");
		found = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return found;
}

/* The new state's columns, parameters 1 to 6 of both updates. */
static void
bind_out_state(sqlite3_stmt *st, const struct db_outbox *r)
{
	bind_text(st, 1, out_states[r->state]);
	sqlite3_bind_int(st, 2, r->attempts);
	sqlite3_bind_int64(st, 3, r->next_attempt);
	bind_text(st, 4, r->last_error);
	bind_text(st, 5, r->last_response);
	bind_text(st, 6, r->updated_at);
}

int
db_outbox_update(struct db *db, const struct db_outbox *r, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_OUT_UPDATE];

	bind_out_state(st, r);
	sqlite3_bind_int64(st, 7, r->id);
	return write_one(db, ST_OUT_UPDATE, "updating the outbox", error);
}

/*
 * The n ids as the JSON array json_each reads ("[4,5,9]") into b: the
 * statements that change many rows at once take them as one parameter,
 * whatever their number (sqlite binds no arrays without an extension
 * Debian does not build).  Only integers are written: nothing to escape.
 */
static void
ids_json(struct buf *b, const long long *ids, size_t n)
{
	char	 one[24];
	size_t	 i;

	buf_init(b);
	buf_adds(b, "[");
	for (i = 0; i < n; i++) {
		snprintf(one, sizeof(one), "%s%lld", i > 0 ? "," : "", ids[i]);
		buf_adds(b, one);
	}
	buf_adds(b, "]");
}

int
db_outbox_update_ids(struct db *db, const struct db_outbox *r,
    const long long *ids, size_t n, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_OUT_UPDATE_IDS];
	struct buf	 json;
	int		 rc;

	ids_json(&json, ids, n);
	bind_out_state(st, r);
	bind_text(st, 7, json.data);
	rc = write_one(db, ST_OUT_UPDATE_IDS, "updating the outbox", error);
	buf_free(&json);
	return rc;
}

/*
 * A write of several statements, whole or nothing, whether or not the
 * caller has a transaction open (a BEGIN inside one fails: the delivery
 * engine writes inside its batch's).  part_end(db, 0, …) releases it;
 * part_end(db, -1, …) undoes it, and keeps the caller's *error.
 */
static int
part_begin(struct db *db, char **error)
{
	if (step_done(db, ST_SAVEPOINT) == 0)
		return 0;
	*error = db_error(db, "SAVEPOINT");
	return -1;
}

static int
part_end(struct db *db, int rc, char **error)
{
	if (rc == 0 && step_done(db, ST_RELEASE) == 0)
		return 0;
	if (rc == 0)
		*error = db_error(db, "RELEASE");
	(void)step_done(db, ST_ROLLBACK_TO);
	(void)step_done(db, ST_RELEASE);
	return -1;
}

int
db_outbox_update_queue(struct db *db, const struct db_outbox *r,
    struct db_outbox *rows, size_t n, char **error)
{
	int	 rc;

	if (part_begin(db, error) == -1)
		return -1;
	if ((rc = db_outbox_update(db, r, error)) == 0 &&
	    (rc = insert_rows(db, rows, n)) == -1)
		*error = db_error(db, "queueing a notice");
	return part_end(db, rc, error);
}

int
db_outbox_set_content(struct db *db, long long id, const char *items,
    const void *body, size_t len, const char *when, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_OUT_CONTENT];
	int		 rc;

	if (part_begin(db, error) == -1)
		return -1;
	bind_text(st, 1, items);
	bind_text(st, 2, when);
	sqlite3_bind_int64(st, 3, id);
	if ((rc = write_one(db, ST_OUT_CONTENT, "rewriting a message",
	    error)) == 0 && (rc = body_put(db, id, body, len)) == -1)
		*error = db_error(db, "rewriting a message");
	return part_end(db, rc, error);
}

long long
db_outbox_reset_sending(struct db *db, long long now, const char *why,
    const char *when, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_OUT_RESET];

	sqlite3_bind_int64(st, 1, now);
	bind_text(st, 2, why);
	bind_text(st, 3, when);
	if (write_one(db, ST_OUT_RESET, "resetting messages in flight",
	    error) == -1)
		return -1;
	return sqlite3_changes(db->sql);
}

int
db_outbox_foreach(struct db *db, const char *state, int limit,
    int (*fn)(const struct db_outbox *, void *), void *arg, char **error)
{
	sqlite3_stmt		*st = db->stmt[ST_OUT_LIST];
	struct db_outbox	 r;
	int			 rc;

	bind_text(st, 1, state);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_row(st, &r);
		if (fn(&r, arg) == -1)
			break;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*error = db_error(db, "reading the outbox");
		return -1;
	}
	return 0;
}

int
db_outbox_counts(struct db *db, long long counts[DB_OUT_COUNT])
{
	sqlite3_stmt		*st = db->stmt[ST_OUT_COUNTS];
	enum db_outbox_state	 s;
	int			 rc;

	memset(counts, 0, sizeof(long long) * DB_OUT_COUNT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (db_outbox_state_from_name(column_text(st, 0), &s) == 0)
			counts[s] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_outbox_redeliver(struct db *db, long long id, long long now,
    const char *when, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_OUT_REDELIVER];
	int		 rc;

	sqlite3_bind_int64(st, 1, now);
	bind_text(st, 2, when);
	sqlite3_bind_int64(st, 3, id);
	if (write_one(db, ST_OUT_REDELIVER, "redelivering", error) == -1)
		return -1;
	if (sqlite3_changes(db->sql) == 1)
		return 0;
	/* Not changed: no such row, or one in flight. */
	st = db->stmt[ST_OUT_STATE];
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st) == SQLITE_ROW ? 2 : 1;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* ---- calendar feeds ---- */

int
db_feed_token_insert(struct db *db, struct db_feed_token *t, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_INSERT_FEED_TOKEN];

	bind_text(st, 1, t->hash);
	bind_text(st, 2, t->kind);
	bind_text(st, 3, t->scope);
	bind_text(st, 4, t->label);
	bind_text(st, 5, t->created_at);
	bind_text(st, 6, t->unit);
	return insert_one(db, ST_INSERT_FEED_TOKEN, "storing a feed token",
	    &t->id, error);
}

int
db_feed_token_revoke(struct db *db, long long id, const char *when,
    char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_REVOKE_FEED_TOKEN];

	bind_text(st, 1, when);
	sqlite3_bind_int64(st, 2, id);
	return change_one(db, ST_REVOKE_FEED_TOKEN,
	    "revoking a feed token", error);
}

int
db_foreach_feed_token(struct db *db,
    int (*fn)(const struct db_feed_token *, void *), void *arg, char **error)
{
	sqlite3_stmt		*st = db->stmt[ST_SELECT_FEED_TOKENS];
	struct db_feed_token	 t;
	int			 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t.id = sqlite3_column_int64(st, 0);
		t.hash = column_text(st, 1);
		t.kind = column_text(st, 2);
		t.scope = column_text(st, 3);
		t.label = column_text(st, 4);
		t.created_at = column_text(st, 5);
		t.last_used_at = column_text(st, 6);
		t.revoked_at = column_text(st, 7);
		t.unit = column_text(st, 8);
		if (fn(&t, arg) == -1)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*error = db_error(db, "reading feed tokens");
		return -1;
	}
	return 0;
}

/* Opens a write transaction for a batch; -1 with *error. */
static int
batch_begin(struct db *db, char **error)
{
	if (step_done(db, ST_BEGIN) == -1) {
		*error = db_error(db, "BEGIN IMMEDIATE");
		return -1;
	}
	return 0;
}

/* Steps one bound statement of a batch; on failure rolls the batch back
 * and says what failed. */
static int
batch_step(struct db *db, enum stmt s, const char *what, char **error)
{
	int	 rc = sqlite3_step(db->stmt[s]);

	if (rc != SQLITE_DONE)
		*error = db_error(db, what);
	sqlite3_reset(db->stmt[s]);
	sqlite3_clear_bindings(db->stmt[s]);
	if (rc != SQLITE_DONE) {
		(void)step_done(db, ST_ROLLBACK);
		return -1;
	}
	return 0;
}

static int
batch_commit(struct db *db, char **error)
{
	if (step_done(db, ST_COMMIT) == -1) {
		*error = db_error(db, "COMMIT");
		(void)step_done(db, ST_ROLLBACK);
		return -1;
	}
	return 0;
}

int
db_feed_tokens_used(struct db *db, const struct db_feed_use *uses, size_t n,
    char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_USE_FEED_TOKEN];
	size_t		 i;

	if (n == 0)
		return 0;
	if (batch_begin(db, error) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		bind_text(st, 1, uses[i].last_used_at);
		sqlite3_bind_int64(st, 2, uses[i].id);
		if (batch_step(db, ST_USE_FEED_TOKEN, "noting a feed's use",
		    error) == -1)
			return -1;
	}
	return batch_commit(db, error);
}

int
db_feed_revisions_put(struct db *db, const struct db_feed_revision *revs,
    size_t n, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_PUT_FEED_REVISION];
	size_t		 i;

	if (n == 0)
		return 0;
	if (batch_begin(db, error) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		bind_text(st, 1, revs[i].key);
		bind_text(st, 2, revs[i].fingerprint);
		sqlite3_bind_int(st, 3, revs[i].sequence);
		sqlite3_bind_int64(st, 4, revs[i].modified);
		if (batch_step(db, ST_PUT_FEED_REVISION,
		    "storing an obligation's revision", error) == -1)
			return -1;
	}
	return batch_commit(db, error);
}

int
db_foreach_feed_revision(struct db *db,
    int (*fn)(const struct db_feed_revision *, void *), void *arg,
    char **error)
{
	sqlite3_stmt		*st = db->stmt[ST_SELECT_FEED_REVISIONS];
	struct db_feed_revision	 r;
	int			 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.key = column_text(st, 0);
		r.fingerprint = column_text(st, 1);
		r.sequence = sqlite3_column_int(st, 2);
		r.modified = sqlite3_column_int64(st, 3);
		if (fn(&r, arg) == -1)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*error = db_error(db, "reading the feeds' revisions");
		return -1;
	}
	return 0;
}

/* ---- webhook targets ---- */

int
db_webhook_insert(struct db *db, struct db_webhook *w, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_INSERT_WEBHOOK];

	bind_text(st, 1, w->kind);
	bind_text(st, 2, w->scope);
	bind_text(st, 3, w->url);
	bind_text(st, 4, w->format);
	bind_text(st, 5, w->secret_file);
	bind_text(st, 6, w->label);
	bind_text(st, 7, w->created_at);
	return insert_one(db, ST_INSERT_WEBHOOK, "storing a webhook",
	    &w->id, error);
}

int
db_webhook_delete(struct db *db, long long id, char **error)
{
	sqlite3_bind_int64(db->stmt[ST_DELETE_WEBHOOK], 1, id);
	return change_one(db, ST_DELETE_WEBHOOK, "removing a webhook", error);
}

static long long
column_time(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 :
	    sqlite3_column_int64(st, i);
}

static void
webhook_row(sqlite3_stmt *st, struct db_webhook *w)
{
	w->id = sqlite3_column_int64(st, 0);
	w->kind = column_text(st, 1);
	w->scope = column_text(st, 2);
	w->url = column_text(st, 3);
	w->format = column_text(st, 4);
	w->secret_file = column_text(st, 5);
	w->label = column_text(st, 6);
	w->created_at = column_text(st, 7);
	w->failing_since = column_time(st, 8);
	w->last_ok = column_time(st, 9);
	w->last_error = column_text(st, 10);
	w->disabled_at = column_text(st, 11);
	w->disabled_reason = column_text(st, 12);
}

int
db_foreach_webhook(struct db *db,
    int (*fn)(const struct db_webhook *, void *), void *arg, char **error)
{
	sqlite3_stmt		*st = db->stmt[ST_SELECT_WEBHOOKS];
	struct db_webhook	 w;
	int			 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		webhook_row(st, &w);
		if (fn(&w, arg) == -1)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*error = db_error(db, "reading webhooks");
		return -1;
	}
	return 0;
}

int
db_webhook_get(struct db *db, long long id,
    int (*fn)(const struct db_webhook *, void *), void *arg, char **error)
{
	sqlite3_stmt		*st = db->stmt[ST_SELECT_WEBHOOK];
	struct db_webhook	 w;
	int			 rc, out;

	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		webhook_row(st, &w);
		out = fn(&w, arg) == -1 ? -1 : 0;
	} else if (rc == SQLITE_DONE)
		out = 1;
	else {
		*error = db_error(db, "reading a webhook");
		out = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return out;
}

int
db_webhook_ok(struct db *db, const long long *ids, size_t n, long long now,
    char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_WEBHOOK_OK];
	struct buf	 json;
	int		 rc;

	ids_json(&json, ids, n);
	sqlite3_bind_int64(st, 1, now);
	bind_text(st, 2, json.data);
	rc = write_one(db, ST_WEBHOOK_OK, "recording webhooks' success",
	    error);
	buf_free(&json);
	return rc;
}

int
db_webhook_failed(struct db *db, long long id, long long now,
    const char *why, long long *since, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_WEBHOOK_FAILED];
	int		 rc;

	sqlite3_bind_int64(st, 1, now);
	bind_text(st, 2, why);
	sqlite3_bind_int64(st, 3, id);
	*since = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*since = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		*error = db_error(db, "recording a webhook's failure");
		return -1;
	}
	return *since == 0 ? 1 : 0;
}

int
db_webhook_disable(struct db *db, long long id, const char *when,
    const char *reason, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_WEBHOOK_DISABLE];

	bind_text(st, 1, when);
	bind_text(st, 2, reason);
	sqlite3_bind_int64(st, 3, id);
	return change_one(db, ST_WEBHOOK_DISABLE, "disabling a webhook", error);
}

int
db_webhook_enable(struct db *db, long long id, char **error)
{
	sqlite3_bind_int64(db->stmt[ST_WEBHOOK_ENABLE], 1, id);
	return change_one(db, ST_WEBHOOK_ENABLE, "enabling a webhook", error);
}

int
db_outbox_set_parts(struct db *db, long long id, int parts, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_OUT_PARTS];

	sqlite3_bind_int(st, 1, parts);
	sqlite3_bind_int64(st, 2, id);
	return write_one(db, ST_OUT_PARTS, "recording the parts sent", error);
}

/* ---- transactions the caller spans (the delivery engine's batches) ---- */

int
db_begin(struct db *db, char **error)
{
	if (step_done(db, ST_BEGIN) == -1) {
		*error = db_error(db, "BEGIN IMMEDIATE");
		return -1;
	}
	return 0;
}

void
db_rollback(struct db *db)
{
	(void)step_done(db, ST_ROLLBACK);
}

int
db_commit(struct db *db, char **error)
{
	if (step_done(db, ST_COMMIT) == -1) {
		*error = db_error(db, "COMMIT");
		(void)step_done(db, ST_ROLLBACK);
		return -1;
	}
	return 0;
}
