/*
 * db.c: opening the store, its schema and migrations, and the journal.
 *
 * The schema is a list of migrations; PRAGMA user_version records how
 * many have run.  Opening runs the missing ones, each in its own
 * transaction, so a store written by an older ticd is brought up to date
 * and a newer one is refused rather than misread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/common.h"
#include "store/store.h"

/* How long a writer waits for another process's lock.  Short on purpose:
 * a wait blocks ticd's only loop (and its watchdog). */
#define DB_BUSY_MS	250

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
};

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_INSERT_EVENT,
	ST_SELECT_EVENTS,
	ST_COUNT_EVENTS,
	ST_INSERT_TOKEN,
	ST_REVOKE_TOKEN,
	ST_SELECT_TOKENS,
	ST_INSERT_CONTACT,
	ST_DELETE_CONTACT,
	ST_SELECT_CONTACTS,
	ST_COUNT
};

static const char *stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_INSERT_EVENT] =
	    "INSERT INTO events (id, recorded_at, json) VALUES (?, ?, ?)",
	[ST_SELECT_EVENTS] =
	    "SELECT seq, id, recorded_at, json FROM events ORDER BY seq",
	[ST_COUNT_EVENTS] = "SELECT count(*) FROM events",
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
};

struct db {
	sqlite3		*sql;
	sqlite3_stmt	*stmt[ST_COUNT];
	enum db_failure	 failure;	/* of the last error described */
};

int
db_schema_version(void)
{
	return (int)nitems(migrations);
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
	for (; v < n; v++) {
		/* user_version cannot be bound: it is our own integer. */
		sql = xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; "
		    "COMMIT;", migrations[v], v + 1);
		if (exec(db, sql, error) == -1) {
			free(sql);
			(void)sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		free(sql);
	}
	return 0;
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

struct db *
db_open(const char *path, enum db_sync sync, char **error)
{
	struct db	*db = xcalloc(1, sizeof(*db));
	int		 rc;

	rc = sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		*error = xasprintf("%s: %s", path, db->sql != NULL ?
		    sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
		db_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db->sql, DB_BUSY_MS);
	if (exec(db, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;",
	    error) == -1 || exec(db, sync == DB_SYNC_FULL ?
	    "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
	    error) == -1 || migrate(db, error) == -1 ||
	    prepare_all(db, error) == -1) {
		char *why = xasprintf("%s: %s", path, *error);

		free(*error);
		*error = why;
		db_close(db);
		return NULL;
	}
	return db;
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

int
db_foreach_event(struct db *db, int (*fn)(const struct db_event *, void *),
    void *arg, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_SELECT_EVENTS];
	struct db_event	 ev;
	int		 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ev.seq = sqlite3_column_int64(st, 0);
		ev.id = (const char *)sqlite3_column_text(st, 1);
		ev.recorded_at = (const char *)sqlite3_column_text(st, 2);
		ev.json = (const char *)sqlite3_column_text(st, 3);
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

long long
db_event_count(struct db *db)
{
	sqlite3_stmt	*st = db->stmt[ST_COUNT_EVENTS];
	long long	 n = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
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

int
db_token_insert(struct db *db, struct db_token *t, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_INSERT_TOKEN];

	bind_text(st, 1, t->hash);
	bind_text(st, 2, t->role);
	bind_text(st, 3, t->scope);
	bind_text(st, 4, t->label);
	bind_text(st, 5, t->created_at);
	if (write_one(db, ST_INSERT_TOKEN, "storing a token", error) == -1)
		return -1;
	t->id = sqlite3_last_insert_rowid(db->sql);
	return 0;
}

int
db_token_revoke(struct db *db, long long id, const char *when, char **error)
{
	sqlite3_stmt	*st = db->stmt[ST_REVOKE_TOKEN];

	bind_text(st, 1, when);
	sqlite3_bind_int64(st, 2, id);
	if (write_one(db, ST_REVOKE_TOKEN, "revoking a token", error) == -1)
		return -1;
	return sqlite3_changes(db->sql) == 1 ? 0 : 1;
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
	if (write_one(db, ST_INSERT_CONTACT, "storing a contact", error) == -1)
		return -1;
	c->id = sqlite3_last_insert_rowid(db->sql);
	return 0;
}

int
db_contact_delete(struct db *db, long long id, char **error)
{
	sqlite3_bind_int64(db->stmt[ST_DELETE_CONTACT], 1, id);
	if (write_one(db, ST_DELETE_CONTACT, "removing a contact", error) == -1)
		return -1;
	return sqlite3_changes(db->sql) == 1 ? 0 : 1;
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
