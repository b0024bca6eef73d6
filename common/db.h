#ifndef AIRTIME_DB_H
#define AIRTIME_DB_H
/*
 * Thin SQLite helpers shared by every module that keeps data in SQLite
 * (results/results: results.db; engine/featurestore: features.db).
 *
 * What they add over the raw API: every failure becomes ERR_DB with a
 * message naming the database file and the purpose of the statement
 *     sqlite 'reports/x/results.db': inserting a metric: disk I/O error
 * nested transactions (the outermost is BEGIN IMMEDIATE, inner ones are
 * SAVEPOINTs, so a helper that wraps its writes in db_begin/db_commit can be
 * called inside a caller's larger transaction), a schema version kept in
 * PRAGMA user_version with migrations and a clear refusal of a newer or
 * unknown version, and a test-only fault-injection hook (STYLE.md 12).
 *
 * Pragmas on open: journal_mode=DELETE (not WAL) because a database here is
 * a single file written by one process and then archived, copied and opened
 * read-only with `sqlite3 results.db`; WAL would add -wal/-shm sidecar files
 * that must travel with it and makes read-only opens on read-only media
 * fail.  We gain nothing from WAL's reader/writer concurrency.
 * synchronous=OFF: no fsync per commit.  The rollback journal still makes
 * every transaction atomic against a crash of the process; only an OS crash
 * or power loss could tear a file, and our databases live in a run
 * directory that is built aside and published by rundir_commit, which
 * fsyncs every file before the rename.  An interrupted run is discarded
 * whole, so per-commit fsyncs would buy nothing and cost a lot (hundreds of
 * small puts per run).  db_set_durable() turns FULL on for a database that
 * outlives a run.
 * foreign_keys=ON; busy_timeout 5 s so a `sqlite3` shell reading the file
 * does not make a writer fail at once.
 *
 * Ownership: struct db is opaque; db_close frees it (NULL is a no-op).
 * Statements from db_prepare belong to the caller: db_finalize them before
 * db_close.  Strings passed in are borrowed.  Not thread-safe: one struct db
 * per thread.
 *
 * Fault injection: db_fault_after(n) makes the n-th subsequent fallible db_*
 * call (open, exec, prepare, step, begin, commit, user-version access) fail
 * with ERR_DB as if SQLite had said no.  Cleanup calls (rollback, finalize,
 * close, reset, bind) never fail by injection, so a test can loop n = 1, 2,
 * ... until an operation succeeds with the fault unfired and assert each time
 * a clean error, nothing half-written and no leak.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "common/error.h"

struct db;

enum db_mode {
	DB_CREATE,    /* read-write; create the file when missing */
	DB_READWRITE, /* read-write; the file must exist */
	DB_READONLY,  /* read-only; the file must exist */
};

/* Open `path` (":memory:" for an in-memory database) and set the pragmas
 * above.  ERR_DB (or ERR_IO when a read-only/read-write file is missing). */
int db_open(struct db **out, const char *path, enum db_mode mode, struct error *err);
/* Close; unfinalized statements are a BUG.  NULL is a no-op. */
void db_close(struct db *db);

/* The path the database was opened with (for messages). */
const char *db_path(const struct db *db);
/* The raw handle, for sqlite3_column_* readers. */
sqlite3 *db_handle(struct db *db);
/* True when opened DB_READONLY. */
bool db_readonly(const struct db *db);

/* synchronous=FULL (durable) or OFF (the default, see above). */
int db_set_durable(struct db *db, bool durable, struct error *err);

/* Run one or more SQL statements without results; `purpose` names them in
 * errors ("creating the results schema"). */
int db_exec(struct db *db, const char *sql, const char *purpose, struct error *err);
/* Compile one statement into *st (NULL on failure). */
int db_prepare(struct db *db, sqlite3_stmt **st, const char *sql, const char *purpose,
	       struct error *err);
/* Step: returns 1 with a row, 0 when done, ERR_DB on failure (the statement
 * is reset on failure and when done). */
int db_step(struct db *db, sqlite3_stmt *st, const char *purpose, struct error *err);
/* Step a statement that returns no row (INSERT/UPDATE), then reset it and
 * clear its bindings.  A returned row is a BUG. */
int db_step_done(struct db *db, sqlite3_stmt *st, const char *purpose, struct error *err);
/* Reset a statement and clear its bindings for reuse; never fails. */
void db_reset(sqlite3_stmt *st);
/* Finalize; NULL is a no-op. */
void db_finalize(sqlite3_stmt *st);

/* Binding never fails by itself: a bad index or type is a BUG, and an
 * out-of-memory/too-big value is remembered and reported by the next
 * db_step/db_step_done on that database.  Text is copied (SQLITE_TRANSIENT)
 * unless noted; NULL text binds SQL NULL. */
void db_bind_int64(struct db *db, sqlite3_stmt *st, int idx, int64_t v);
void db_bind_double(struct db *db, sqlite3_stmt *st, int idx, double v);
/* A double that may be NaN: NaN binds SQL NULL. */
void db_bind_double_or_null(struct db *db, sqlite3_stmt *st, int idx, double v);
void db_bind_text(struct db *db, sqlite3_stmt *st, int idx, const char *s);
void db_bind_null(struct db *db, sqlite3_stmt *st, int idx);
/* A byte run (copied; len 0 binds an empty blob, not NULL). */
void db_bind_blob(struct db *db, sqlite3_stmt *st, int idx, const void *data, size_t len);

/* Column readers: NULL text reads as "", NULL double as NaN. */
const char *db_column_text(sqlite3_stmt *st, int col);
double db_column_double_or_nan(sqlite3_stmt *st, int col);

/* Transactions, nestable: the outermost begin is BEGIN IMMEDIATE, inner
 * ones are savepoints.  Every begin is matched by a commit or a rollback. */
int db_begin(struct db *db, struct error *err);
int db_commit(struct db *db, struct error *err);
/* Roll back the innermost open transaction level; never fails by
 * injection (it is the cleanup path).  Without an open level, a BUG. */
void db_rollback(struct db *db);
/* Number of open transaction levels (0 outside any). */
int db_depth(const struct db *db);

/* PRAGMA user_version. */
int db_user_version(struct db *db, int *version, struct error *err);

/*
 * A versioned schema.  steps[v] moves a database from version v to v+1;
 * steps[0] creates everything from an empty file.  `version` is the number
 * of steps (the version this build writes).  `kind` names the database in
 * messages ("results database").
 */
struct db_schema {
	const char *kind;
	int version;
	const char *const *steps;
};

/* Bring the database to schema->version inside one transaction: create on
 * an empty file, migrate an older one.  Refuses, with ERR_INPUT and nothing
 * changed: a newer version ("upgrade airtime"), a negative one, a version-0
 * file that already holds tables (not ours), and a read-only database that
 * is not exactly at schema->version. */
int db_schema_apply(struct db *db, const struct db_schema *schema, struct error *err);

/* Test-only: the n-th (n >= 1) subsequent fallible db_* call fails with
 * ERR_DB; n = 0 disarms.  Process-wide (tests are single-threaded). */
void db_fault_after(long n);
/* True when the armed fault has fired since the last db_fault_after. */
bool db_fault_fired(void);

#endif
