/*
 * test_store.c: the journal in sqlite: it keeps what was committed,
 * refuses edits, commits a batch whole or not at all, and migrates; the
 * outbox's rows and states.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"

struct fixture {
	char	 dir[64];
	char	 path[96];
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/ticd-test-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ticd.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct db *
open_or_fail(const char *path)
{
	char		*error = NULL;
	struct db	*db = db_open(path, DB_SYNC_FULL, &error);

	if (db == NULL)
		fail_msg("db_open: %s", error);
	return db;
}

static int
collect(const struct db_event *ev, void *arg)
{
	char	*out = arg;

	strcat(out, ev->id);
	strcat(out, ";");
	return 0;
}

static void
test_events_survive_reopen_in_order(void **state)
{
	struct fixture	*f = *state;
	struct db	*db = open_or_fail(f->path);
	struct db_event	 evs[] = {
		{ 0, "e1", "2026-11-28T09:00:00+08:00", "{\"type\":\"a\"}" },
		{ 0, "e2", "2026-11-28T09:00:00+08:00", "{\"type\":\"b\"}" },
	};
	char		*error = NULL, seen[64] = "";
	size_t		 rows;

	/* A new store is made, not "upgraded"; nor is a current one. */
	assert_int_equal(db_upgraded_from(db), 0);
	assert_int_equal(db_append_events(db, evs, 2, &error), 0);
	assert_true(evs[0].seq < evs[1].seq);
	db_close(db);
	db = open_or_fail(f->path);
	assert_int_equal(db_upgraded_from(db), 0);
	assert_int_equal(db_event_count(db), 2);
	assert_int_equal(db_foreach_event_after(db, 0, -1, collect, seen,
	    &rows, &error), 0);
	assert_int_equal(rows, 2);
	assert_string_equal(seen, "e1;e2;");
	assert_int_equal(db_check(db, &error), 0);
	db_close(db);
}

/* Reading the journal back by slices, and one centre's events with the
 * bureau-wide ones, through the index, in recording order. */
static void
test_events_are_read_by_slices_and_by_centre(void **state)
{
	struct fixture	*f = *state;
	struct db	*db = open_or_fail(f->path);
	struct db_event	 evs[] = {
		{ 0, "r1", "t", "{\"type\":\"round_announced\"}" },
		{ 0, "a1", "t", "{\"type\":\"x\",\"centre\":\"a\"}" },
		{ 0, "b1", "t", "{\"type\":\"x\",\"centre\":\"b\"}" },
		{ 0, "x1", "t", "{\"type\":\"retracted\",\"event\":\"b1\"}" },
		{ 0, "a2", "t", "{\"type\":\"x\",\"centre\":\"a\"}" },
		{ 0, "q1", "t", "{\"type\":\"x\",\"centre\":\"a\\\"q\"}" },
	};
	char		*error = NULL, seen[64] = "";
	size_t		 rows;

	assert_int_equal(db_event_last_seq(db), 0);
	assert_int_equal(db_append_events(db, evs, 6, &error), 0);
	assert_int_equal(db_event_last_seq(db), evs[5].seq);
	assert_int_equal(db_foreach_event_after(db, 0, 4, collect, seen,
	    &rows, &error), 0);
	assert_int_equal(rows, 4);
	assert_int_equal(db_foreach_event_after(db, evs[3].seq, 4, collect,
	    seen, &rows, &error), 0);
	assert_int_equal(rows, 2);
	assert_string_equal(seen, "r1;a1;b1;x1;a2;q1;");
	seen[0] = '\0';
	assert_int_equal(db_foreach_event_after(db, evs[5].seq, -1, collect,
	    seen, &rows, &error), 0);
	assert_int_equal(rows, 0);
	assert_int_equal(db_foreach_centre_event(db, "a", collect, seen,
	    &error), 0);
	assert_string_equal(seen, "r1;a1;x1;a2;");
	/* The id as the JSON decodes it. */
	seen[0] = '\0';
	assert_int_equal(db_foreach_centre_event(db, "a\"q", collect, seen,
	    &error), 0);
	assert_string_equal(seen, "r1;x1;q1;");
	seen[0] = '\0';
	assert_int_equal(db_foreach_centre_event(db, "none", collect, seen,
	    &error), 0);
	assert_string_equal(seen, "r1;x1;");
	db_close(db);
}

static void
test_a_batch_is_stored_whole_or_not_at_all(void **state)
{
	struct fixture	*f = *state;
	struct db	*db = open_or_fail(f->path);
	struct db_event	 first = { 0, "dup", "t", "{}" };
	struct db_event	 batch[] = {
		{ 0, "new", "t", "{}" },
		{ 0, "dup", "t", "{}" },	/* the id is taken */
	};
	char		*error = NULL;

	assert_int_equal(db_append_events(db, &first, 1, &error), 0);
	assert_int_equal(db_append_events(db, batch, 2, &error), -1);
	assert_non_null(strstr(error, "UNIQUE"));
	free(error);
	assert_int_equal(db_event_count(db), 1);
	db_close(db);
}

static void
test_the_journal_cannot_be_edited(void **state)
{
	struct fixture	*f = *state;
	struct db	*db = open_or_fail(f->path);
	struct db_event	 ev = { 0, "e1", "t", "{}" };
	sqlite3		*raw;
	char		*msg = NULL, *error = NULL;

	assert_int_equal(db_append_events(db, &ev, 1, &error), 0);
	db_close(db);
	assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(raw, "UPDATE events SET json='{}'",
	    NULL, NULL, &msg), SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	sqlite3_free(msg);
	assert_int_not_equal(sqlite3_exec(raw, "DELETE FROM events", NULL,
	    NULL, &msg), SQLITE_OK);
	sqlite3_free(msg);
	sqlite3_close(raw);
}

static void
test_schema_is_migrated_once_and_newer_is_refused(void **state)
{
	struct fixture	*f = *state;
	struct db	*db = open_or_fail(f->path);
	sqlite3		*raw;
	char		*error = NULL, sql[64];

	assert_int_equal(db_user_version(db), db_schema_version());
	db_close(db);
	db = open_or_fail(f->path);	/* again: nothing left to run */
	assert_int_equal(db_user_version(db), db_schema_version());
	db_close(db);
	assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    db_schema_version() + 1);
	assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	assert_null(db_open(f->path, DB_SYNC_FULL, &error));
	assert_non_null(strstr(error, "newer"));
	/* Said as it is: no system reason added (the disk has none). */
	assert_non_null(strstr(error, "upgrade ticd"));
	assert_string_equal(strstr(error, "upgrade ticd"), "upgrade ticd");
	free(error);
}

static void
test_an_unwritable_path_is_a_clear_error(void **state)
{
	char	*error = NULL;

	(void)state;
	assert_null(db_open("/nonexistent-dir/ticd.db", DB_SYNC_FULL, &error));
	assert_non_null(strstr(error, "/nonexistent-dir/ticd.db"));
	free(error);
}

/* ---- the outbox ---- */

static struct db_outbox
out_row(const char *idem, long long next)
{
	struct db_outbox	 r;

	memset(&r, 0, sizeof(r));
	r.idem = idem;
	r.recipient = "centre:yq-001";
	r.channel = "email";
	r.day = r.planned = "2026-12-01";
	r.message_id = "ticd.x@example";
	r.rcpt = "[{\"email\":\"a@b.example\",\"name\":\"\"}]";
	r.items = "[{\"key\":\"k1\"}]";
	r.body = "Subject: x\r\n\r\nbody\r\n";
	r.body_len = strlen(r.body);
	r.next_attempt = next;
	r.created_at = "2026-12-01T09:00:00+08:00";
	return r;
}

static int
copy_state(const struct db_outbox *r, void *arg)
{
	struct db_outbox	*out = arg;

	out->state = r->state;
	out->attempts = r->attempts;
	out->body_len = r->body_len;
	return 0;
}

/* The row's last error into arg, a char[64] ("" for none). */
static int
copy_error(const struct db_outbox *r, void *arg)
{
	snprintf(arg, 64, "%s", r->last_error != NULL ? r->last_error : "");
	return 0;
}

/* A state for db_outbox_update to write to row id. */
static struct db_outbox
state_row(long long id, enum db_outbox_state state, int attempts,
    long long next)
{
	struct db_outbox	 r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.state = state;
	r.attempts = attempts;
	r.next_attempt = next;
	r.updated_at = "now";
	return r;
}

/* Row id's state, attempts and body length as db_outbox_get gives them
 * back; the row must be there. */
static struct db_outbox
stored_row(struct db *db, long long id)
{
	struct db_outbox	 got;
	char			*error = NULL;

	memset(&got, 0, sizeof(got));
	assert_int_equal(db_outbox_get(db, id, copy_state, &got, &error), 0);
	return got;
}

/* The length of row id's stored body. */
static size_t
stored_body_len(struct db *db, long long id)
{
	return stored_row(db, id).body_len;
}

/* Row id's bytes rewritten to 4 bytes inside a batch transaction, then
 * committed or rolled back; the stored body's length after. */
static size_t
rewritten_in_batch(struct db *db, long long id, bool commit)
{
	char	*error = NULL;

	assert_int_equal(db_begin(db, &error), 0);
	assert_int_equal(db_outbox_set_content(db, id, "[]", "abcd", 4, "now",
	    &error), 0);
	if (commit)
		assert_int_equal(db_commit(db, &error), 0);
	else
		db_rollback(db);
	return stored_body_len(db, id);
}

/* A key is queued once; the day planned is kept with the rows; due rows
 * come in order; "sending" goes back to pending; redelivery. */
static void
test_outbox_rows(void **state)
{
	struct fixture		*f = *state;
	struct db		*db = open_or_fail(f->path);
	struct db_outbox	 rows[2] = { out_row("a|email|d", 100),
				    out_row("b|email|d", 50) };
	struct db_outbox	 again = out_row("a|email|d", 10), got, upd;
	struct db_outbox	 notice = out_row("bureau|email|d|dead", 10);
	long long		 ids[4], when, counts[DB_OUT_COUNT];
	char			*error = NULL, *v;

	assert_int_equal(db_outbox_enqueue(db, rows, 2, "last", "2026-12-01",
	    &error), 0);
	assert_true(rows[0].id > 0 && rows[1].id > 0);
	assert_int_equal(db_outbox_enqueue(db, &again, 1, "last", "2026-12-02",
	    &error), 0);
	assert_int_equal(again.id, 0);		/* queued before: ignored */
	v = db_outbox_meta(db, "last");
	assert_string_equal(v, "2026-12-02");
	free(v);
	assert_null(db_outbox_meta(db, "nothing"));

	assert_int_equal(db_outbox_due(db, 60, ids, 4), 1);
	assert_int_equal(ids[0], rows[1].id);
	assert_int_equal(db_outbox_due(db, 100, ids, 4), 2);
	assert_int_equal(ids[0], rows[1].id);	/* earliest first */
	assert_int_equal(db_outbox_next_attempt(db, &when), 0);
	assert_int_equal(when, 50);

	upd = state_row(rows[1].id, DB_OUT_SENDING, 1, 50);
	assert_int_equal(db_outbox_update(db, &upd, &error), 0);
	assert_int_equal(db_outbox_due(db, 1000, ids, 4), 1);
	assert_int_equal(db_outbox_redeliver(db, rows[1].id, 0, "now",
	    &error), 2);			/* in flight */
	db_close(db);

	/* A crash: the row in flight is due again, with the same bytes. */
	db = open_or_fail(f->path);
	assert_int_equal(db_outbox_reset_sending(db, 70, "crash", "now",
	    &error), 1);
	got = stored_row(db, rows[1].id);
	assert_int_equal(got.state, DB_OUT_PENDING);
	assert_int_equal(got.attempts, 1);
	assert_int_equal(got.body_len, rows[1].body_len);
	assert_int_equal(db_outbox_get(db, 999, copy_state, &got, &error), 1);
	assert_int_equal(db_outbox_counts(db, counts), 0);
	assert_int_equal(counts[DB_OUT_PENDING], 2);
	upd.state = DB_OUT_DEAD;
	assert_int_equal(db_outbox_update(db, &upd, &error), 0);
	assert_int_equal(db_outbox_redeliver(db, rows[1].id, 5, "now",
	    &error), 0);
	got = stored_row(db, rows[1].id);
	assert_int_equal(got.state, DB_OUT_PENDING);
	assert_int_equal(got.attempts, 0);
	assert_int_equal(db_outbox_redeliver(db, 999, 5, "now", &error), 1);
	/* A message rebuilt: its new bytes (kept beside the row since
	 * migration 7) come back with it. */
	assert_int_equal(db_outbox_set_content(db, rows[1].id, "[]", "abc", 3,
	    "now", &error), 0);
	assert_int_equal(stored_body_len(db, rows[1].id), 3);
	assert_int_equal(stored_body_len(db, rows[0].id), rows[0].body_len);
	/* And inside the delivery engine's batch transaction: undone with
	 * it, or kept with it. */
	assert_int_equal(rewritten_in_batch(db, rows[0].id, false),
	    rows[0].body_len);
	assert_int_equal(rewritten_in_batch(db, rows[0].id, true), 4);
	/* A message's end and the bureau's notice, in a batch too. */
	assert_int_equal(db_begin(db, &error), 0);
	upd.id = rows[0].id;
	assert_int_equal(db_outbox_update_queue(db, &upd, &notice, 1, &error),
	    0);
	assert_int_equal(db_commit(db, &error), 0);
	got = stored_row(db, rows[0].id);
	assert_int_equal(got.state, DB_OUT_DEAD);
	assert_true(notice.id > rows[1].id);
	assert_int_equal(stored_body_len(db, notice.id), notice.body_len);
	db_close(db);
}

/* The outbox as migration 7 left it: the state's CHECK an IN list.  Made
 * from a current store by sqlite's own procedure, user_version 7. */
static void
outbox_as_of_7(const char *path)
{
	sqlite3	*raw;
	char	*msg = NULL;

	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw,
	    "PRAGMA foreign_keys = OFF; BEGIN;"
	    "CREATE TABLE old (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    " idem TEXT NOT NULL UNIQUE, recipient TEXT NOT NULL,"
	    " channel TEXT NOT NULL, day TEXT NOT NULL, planned TEXT NOT NULL,"
	    " catch_up INTEGER NOT NULL DEFAULT 0, message_id TEXT NOT NULL,"
	    " rcpt TEXT NOT NULL CHECK (json_valid(rcpt)),"
	    " items TEXT NOT NULL CHECK (json_valid(items)),"
	    " state TEXT NOT NULL CHECK (state IN ('pending', 'sending',"
	    " 'sent', 'retrying', 'dead', 'dropped')),"
	    " attempts INTEGER NOT NULL DEFAULT 0,"
	    " next_attempt INTEGER NOT NULL, last_error TEXT,"
	    " last_response TEXT, created_at TEXT NOT NULL,"
	    " updated_at TEXT NOT NULL,"
	    " parts_sent INTEGER NOT NULL DEFAULT 0);"
	    "INSERT INTO old SELECT * FROM outbox;"
	    "DELETE FROM sqlite_sequence WHERE name = 'old';"
	    "INSERT INTO sqlite_sequence SELECT 'old', seq FROM sqlite_sequence"
	    " WHERE name = 'outbox';"
	    "DROP TABLE outbox; ALTER TABLE old RENAME TO outbox;"
	    "CREATE INDEX outbox_due ON outbox (state, next_attempt);"
	    "ALTER TABLE feed_tokens DROP COLUMN unit;"
	    "PRAGMA user_version = 7; COMMIT;", NULL, NULL, &msg), SQLITE_OK);
	sqlite3_close(raw);
}

/* The sql sqlite keeps for a table or index, or "" (a static buffer). */
static const char *
schema_of(const char *path, const char *name)
{
	static char	 out[2048];
	sqlite3		*raw;
	sqlite3_stmt	*st;

	out[0] = '\0';
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT sql FROM "
	    "sqlite_master WHERE name = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, sizeof(out), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(raw);
	return out;
}

/* One statement for rows alike (the delivery engine's batches): only the
 * ids listed change, each as db_outbox_update would change it alone (an
 * error kept when none is given). */
static void
test_alike_states_are_written_in_one_statement(void **state)
{
	struct fixture		*f = *state;
	struct db		*db = open_or_fail(f->path);
	struct db_outbox	 rows[3] = { out_row("a|email|d", 10),
				    out_row("b|email|d", 10),
				    out_row("c|email|d", 10) };
	struct db_outbox	 upd, got;
	long long		 ids[2];
	char			*error = NULL, last_error[64];

	assert_int_equal(db_outbox_enqueue(db, rows, 3, "last", "2026-12-01",
	    &error), 0);
	upd = state_row(rows[0].id, DB_OUT_RETRYING, 1, 20);
	upd.last_error = "HTTP 500";
	assert_int_equal(db_outbox_update(db, &upd, &error), 0);
	upd = state_row(0, DB_OUT_SENT, 2, 30);
	upd.last_response = "HTTP 204";
	ids[0] = rows[0].id;
	ids[1] = rows[2].id;
	assert_int_equal(db_outbox_update_ids(db, &upd, ids, 2, &error), 0);
	got = stored_row(db, rows[0].id);
	assert_int_equal(got.state, DB_OUT_SENT);
	assert_int_equal(got.attempts, 2);
	got = stored_row(db, rows[1].id);
	assert_int_equal(got.state, DB_OUT_PENDING);
	assert_int_equal(got.attempts, 0);
	got = stored_row(db, rows[2].id);
	assert_int_equal(got.state, DB_OUT_SENT);
	/* The first row's error stays ("sent, after: HTTP 500"). */
	assert_int_equal(db_outbox_get(db, rows[0].id, copy_error, last_error,
	    &error), 0);
	assert_string_equal(last_error, "HTTP 500");
	db_close(db);
}

/* Migration 8 makes the outbox again with its CHECK as a chain of "=":
 * every row, state and body kept, the CHECK still refusing a bad state,
 * the index back, and no id given twice (the top row had been removed). */
static void
test_outbox_made_again_keeps_rows_and_ids(void **state)
{
	struct fixture		*f = *state;
	struct db		*db = open_or_fail(f->path);
	struct db_outbox	 rows[3] = { out_row("a|email|d", 100),
				    out_row("b|email|d", 50),
				    out_row("c|email|d", 70) };
	struct db_outbox	 later = out_row("d|email|d", 80), got, upd;
	sqlite3			*raw;
	char			*error = NULL;

	assert_int_equal(db_outbox_enqueue(db, rows, 3, NULL, NULL, &error),
	    0);
	assert_true(db_outbox_has_idem(db, "b|email|d"));
	assert_false(db_outbox_has_idem(db, "z|email|d"));
	upd = state_row(rows[1].id, DB_OUT_RETRYING, 2, 60);
	upd.last_error = "timeout";
	assert_int_equal(db_outbox_update(db, &upd, &error), 0);
	db_close(db);
	assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "PRAGMA foreign_keys = OFF;"
	    "DELETE FROM outbox_body WHERE id = 3;"
	    "DELETE FROM outbox WHERE id = 3;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	outbox_as_of_7(f->path);
	assert_non_null(strstr(schema_of(f->path, "outbox"), "IN ("));

	db = open_or_fail(f->path);
	assert_int_equal(db_user_version(db), db_schema_version());
	/* ticd logs it: the upgrade's log shows when the store changed. */
	assert_int_equal(db_upgraded_from(db), 7);
	assert_null(strstr(schema_of(f->path, "outbox"), "IN ("));
	assert_non_null(strstr(schema_of(f->path, "outbox"),
	    "state = 'dropped'"));
	assert_non_null(strstr(schema_of(f->path, "outbox_due"),
	    "(state, next_attempt)"));
	/* 9: a centre's feed keeps the unit that made it. */
	assert_non_null(strstr(schema_of(f->path, "feed_tokens"), "unit"));
	got = stored_row(db, rows[0].id);
	assert_int_equal(got.state, DB_OUT_PENDING);
	assert_int_equal(got.body_len, rows[0].body_len);
	got = stored_row(db, rows[1].id);
	assert_int_equal(got.state, DB_OUT_RETRYING);
	assert_int_equal(got.attempts, 2);
	assert_int_equal(db_outbox_get(db, 3, copy_state, &got, &error), 1);
	/* Id 3 was given once: the next row takes 4. */
	assert_int_equal(db_outbox_enqueue(db, &later, 1, NULL, NULL, &error),
	    0);
	assert_int_equal(later.id, 4);
	upd.id = later.id;
	upd.state = DB_OUT_SENT;
	assert_int_equal(db_outbox_update(db, &upd, &error), 0);
	db_close(db);
	assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(raw, "UPDATE outbox SET state = "
	    "'lost' WHERE id = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
}

static int
collect_feed_token(const struct db_feed_token *t, void *arg)
{
	char	*out = arg;
	char	 line[256];

	snprintf(line, sizeof(line), "%lld %s %s %s %s %s;", t->id, t->kind,
	    t->scope ? t->scope : "-", t->label,
	    t->last_used_at ? t->last_used_at : "never",
	    t->revoked_at ? "revoked" : "valid");
	strcat(out, line);
	return 0;
}

static void
test_feed_tokens_are_kept_used_and_revoked(void **state)
{
	struct fixture		*f = *state;
	struct db		*db = open_or_fail(f->path);
	struct db_feed_token	 a = { 0, "h1", "unit", "城区科技局", "张三",
				    "t0", NULL, NULL, NULL };
	struct db_feed_token	 b = { 0, "h2", "bureau", NULL, "", "t0", NULL,
				    NULL, NULL };
	struct db_feed_token	 bad = { 0, "h3", "bureau", "x", "", "t0",
				    NULL, NULL, NULL };
	struct db_feed_use	 use = { 0, "2026-11-28T09:00:00+08:00" };
	char			*error = NULL, seen[512] = "";

	assert_int_equal(db_feed_token_insert(db, &a, &error), 0);
	assert_int_equal(db_feed_token_insert(db, &b, &error), 0);
	/* The bureau has no scope; the table says so too. */
	assert_int_equal(db_feed_token_insert(db, &bad, &error), -1);
	free(error);
	use.id = a.id;
	assert_int_equal(db_feed_tokens_used(db, &use, 1, &error), 0);
	assert_int_equal(db_feed_token_revoke(db, b.id, "t1", &error), 0);
	assert_int_equal(db_feed_token_revoke(db, b.id, "t2", &error), 1);
	assert_int_equal(db_feed_token_revoke(db, 999, "t2", &error), 1);
	db_close(db);
	db = open_or_fail(f->path);
	assert_int_equal(db_foreach_feed_token(db, collect_feed_token, seen,
	    &error), 0);
	assert_string_equal(seen, "1 unit 城区科技局 张三 "
	    "2026-11-28T09:00:00+08:00 valid;2 bureau -  never revoked;");
	db_close(db);
}

static int
collect_revision(const struct db_feed_revision *r, void *arg)
{
	char	*out = arg;
	char	 line[128];

	snprintf(line, sizeof(line), "%s=%s/%d/%lld;", r->key, r->fingerprint,
	    r->sequence, r->modified);
	strcat(out, line);
	return 0;
}

static void
test_feed_revisions_replace_whole_batches(void **state)
{
	struct fixture		*f = *state;
	struct db		*db = open_or_fail(f->path);
	struct db_feed_revision	 first[] = {
		{ "k1", "aaaa", 0, 100 },
		{ "k2", "bbbb", 0, 100 },
	};
	struct db_feed_revision	 next[] = {
		{ "k1", "cccc", 1, 200 },
		{ "k3", "dddd", -1, 200 },	/* refused: the batch goes */
	};
	char			*error = NULL, seen[256] = "";

	assert_int_equal(db_feed_revisions_put(db, first, 2, &error), 0);
	assert_int_equal(db_feed_revisions_put(db, next, 2, &error), -1);
	assert_non_null(strstr(error, "CHECK"));
	free(error);
	next[1].sequence = 0;
	db_close(db);
	db = open_or_fail(f->path);
	assert_int_equal(db_foreach_feed_revision(db, collect_revision, seen,
	    &error), 0);
	assert_string_equal(seen, "k1=aaaa/0/100;k2=bbbb/0/100;");
	assert_int_equal(db_feed_revisions_put(db, next, 2, &error), 0);
	seen[0] = '\0';
	assert_int_equal(db_foreach_feed_revision(db, collect_revision, seen,
	    &error), 0);
	assert_string_equal(seen, "k1=cccc/1/200;k2=bbbb/0/100;k3=dddd/0/200;");
	db_close(db);
}

/* A store written before feeds existed (schema 2) gains their tables and
 * keeps what it held. */
static void
test_a_schema_2_store_gains_the_feed_tables(void **state)
{
	struct fixture	*f = *state;
	struct db	*db;
	sqlite3		*raw;
	char		*error = NULL, seen[256] = "";

	assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw,
	    "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	    " id TEXT NOT NULL UNIQUE, recorded_at TEXT NOT NULL,"
	    " json TEXT NOT NULL);"
	    "INSERT INTO events (id, recorded_at, json) VALUES ('e1', 't', '{}');"
	    "CREATE TABLE tokens (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    " hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL, scope TEXT,"
	    " label TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,"
	    " revoked_at TEXT);"
	    "CREATE TABLE contacts (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    " kind TEXT NOT NULL, scope TEXT, email TEXT NOT NULL,"
	    " name TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);"
	    "PRAGMA user_version = 2;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	db = open_or_fail(f->path);
	assert_int_equal(db_user_version(db), db_schema_version());
	assert_int_equal(db_event_count(db), 1);
	assert_int_equal(db_foreach_feed_token(db, collect_feed_token, seen,
	    &error), 0);
	assert_string_equal(seen, "");
	db_close(db);
}

struct hooks_seen {
	int		 n;
	long long	 failing_since;
	char		 url[128];
	char		 disabled[64];
};

static int
webhook_cb(const struct db_webhook *w, void *arg)
{
	struct hooks_seen	*h = arg;

	h->n++;
	h->failing_since = w->failing_since;
	snprintf(h->url, sizeof(h->url), "%s", w->url);
	snprintf(h->disabled, sizeof(h->disabled), "%s",
	    w->disabled_at ? w->disabled_at : "");
	return 0;
}

static void
test_webhook_targets_keep_their_failure_streak(void **state)
{
	struct fixture		*f = *state;
	struct db		*db = open_or_fail(f->path);
	struct db_webhook	 w = { .kind = "unit", .scope = "城区科技局",
	    .url = "https://h.example/in", .format = "standard",
	    .secret_file = "/etc/ticd/whsec", .label = "", .created_at =
	    "2026-11-20T09:00:00+08:00" };
	struct db_webhook	 bad = w;
	struct hooks_seen	 h = { 0 };
	char			*error = NULL;
	long long		 since;

	assert_int_equal(db_webhook_insert(db, &w, &error), 0);
	assert_true(w.id > 0);
	/* The schema refuses what the API would: a bureau with a scope, an
	 * unknown format. */
	bad.kind = "bureau";
	assert_int_equal(db_webhook_insert(db, &bad, &error), -1);
	free(error);
	bad = w;
	bad.format = "slack";
	assert_int_equal(db_webhook_insert(db, &bad, &error), -1);
	free(error);

	assert_int_equal(db_webhook_failed(db, w.id, 1000, "HTTP 500", &since,
	    &error), 0);
	assert_int_equal(since, 1000);
	assert_int_equal(db_webhook_failed(db, w.id, 5000, "HTTP 502", &since,
	    &error), 0);
	assert_int_equal(since, 1000);		/* the streak's start */
	assert_int_equal(db_webhook_failed(db, w.id + 7, 5000, "x", &since,
	    &error), 1);
	assert_int_equal(db_webhook_ok(db, &w.id, 1, 6000, &error), 0);
	assert_int_equal(db_webhook_failed(db, w.id, 7000, "HTTP 500", &since,
	    &error), 0);
	assert_int_equal(since, 7000);		/* a new streak */
	/* Only the listed targets' streaks end. */
	assert_int_equal(db_webhook_ok(db, &w.id, 1, 7500, &error), 0);
	assert_int_equal(db_webhook_failed(db, w.id, 7600, "HTTP 500", &since,
	    &error), 0);
	assert_int_equal(since, 7600);
	assert_int_equal(db_webhook_ok(db, NULL, 0, 7700, &error), 0);
	assert_int_equal(db_webhook_failed(db, w.id, 7800, "HTTP 500", &since,
	    &error), 0);
	assert_int_equal(since, 7600);		/* not listed: it goes on */

	assert_int_equal(db_webhook_disable(db, w.id, "2026-11-23", "3 天失败",
	    &error), 0);
	assert_int_equal(db_webhook_disable(db, w.id, "2026-11-24", "again",
	    &error), 1);
	assert_int_equal(db_webhook_get(db, w.id, webhook_cb, &h, &error), 0);
	assert_string_equal(h.disabled, "2026-11-23");
	assert_int_equal(db_webhook_enable(db, w.id, &error), 0);
	db_close(db);

	db = open_or_fail(f->path);
	memset(&h, 0, sizeof(h));
	assert_int_equal(db_foreach_webhook(db, webhook_cb, &h, &error), 0);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.url, "https://h.example/in");
	assert_string_equal(h.disabled, "");
	assert_int_equal(h.failing_since, 0);
	assert_int_equal(db_webhook_delete(db, w.id, &error), 0);
	assert_int_equal(db_webhook_delete(db, w.id, &error), 1);
	assert_int_equal(db_webhook_get(db, w.id, webhook_cb, &h, &error), 1);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_events_survive_reopen_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_events_are_read_by_slices_and_by_centre, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_batch_is_stored_whole_or_not_at_all, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_the_journal_cannot_be_edited, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_schema_is_migrated_once_and_newer_is_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_an_unwritable_path_is_a_clear_error, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_outbox_made_again_keeps_rows_and_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_alike_states_are_written_in_one_statement, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_outbox_rows, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_feed_tokens_are_kept_used_and_revoked, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_feed_revisions_replace_whole_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_schema_2_store_gains_the_feed_tables, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_webhook_targets_keep_their_failure_streak, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
