/* SQLite helpers: messages naming file and purpose, nested transactions,
 * schema versions, fault injection.  See db.h. */
#include "common/db.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/xalloc.h"

struct db {
	sqlite3 *h;
	char *path;
	bool ro;
	int depth;      /* open transaction levels */
	int bind_rc;    /* first failed bind since the last step, SQLITE_OK if none */
};

/* Fault injection state.  Process-wide on purpose: the test arms it, then
 * calls a high-level function that opens and writes databases. */
static long fault_countdown;
static bool fault_fired;

void db_fault_after(long n)
{
	fault_countdown = n > 0 ? n : 0;
	fault_fired = false;
}

bool db_fault_fired(void)
{
	return fault_fired;
}

/* True when this fallible call is the one chosen to fail. */
static bool fault_hit(void)
{
	if (fault_countdown <= 0)
		return false;
	if (--fault_countdown > 0)
		return false;
	fault_fired = true;
	return true;
}

static int fail_injected(const struct db *db, const char *path, const char *purpose,
			 struct error *err)
{
	return error_set(err, ERR_DB, "%s in '%s': injected fault", purpose,
			 db ? db->path : path);
}

static int fail_sqlite(struct db *db, const char *purpose, struct error *err)
{
	return error_set(err, ERR_DB, "%s in '%s': %s", purpose, db->path,
			 sqlite3_errmsg(db->h));
}

const char *db_path(const struct db *db)
{
	return db->path;
}

sqlite3 *db_handle(struct db *db)
{
	return db->h;
}

bool db_readonly(const struct db *db)
{
	return db->ro;
}

int db_depth(const struct db *db)
{
	return db->depth;
}

/* exec without the fault hook: for the cleanup paths. */
static int exec_raw(struct db *db, const char *sql)
{
	return sqlite3_exec(db->h, sql, NULL, NULL, NULL);
}

int db_set_durable(struct db *db, bool durable, struct error *err)
{
	return db_exec(db, durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = OFF",
		       "setting durability", err);
}

int db_exec(struct db *db, const char *sql, const char *purpose, struct error *err)
{
	if (fault_hit())
		return fail_injected(db, NULL, purpose, err);
	if (exec_raw(db, sql) != SQLITE_OK)
		return fail_sqlite(db, purpose, err);
	return 0;
}

int db_open(struct db **out, const char *path, enum db_mode mode, struct error *err)
{
	static const char pragmas_rw[] =
		"PRAGMA foreign_keys = ON;"
		"PRAGMA busy_timeout = 5000;"
		"PRAGMA journal_mode = DELETE;"
		"PRAGMA synchronous = OFF;";
	static const char pragmas_ro[] =
		"PRAGMA foreign_keys = ON;"
		"PRAGMA busy_timeout = 5000;";
	bool memory = !strcmp(path, ":memory:");
	struct db *db;
	struct stat sb;
	int flags, rc;

	*out = NULL;
	if (!memory && mode != DB_CREATE && stat(path, &sb) != 0)
		return error_set(err, ERR_IO, "cannot open database '%s': %s", path,
				 strerror(errno));
	if (fault_hit())
		return fail_injected(NULL, path, "opening the database", err);

	switch (mode) {
	case DB_CREATE: flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
	case DB_READWRITE: flags = SQLITE_OPEN_READWRITE; break;
	case DB_READONLY: flags = SQLITE_OPEN_READONLY; break;
	default: BUG("bad db mode %d", (int)mode);
	}
	db = xcalloc(1, sizeof(*db));
	db->path = xstrdup(path);
	db->ro = mode == DB_READONLY;
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		rc = error_set(err, ERR_DB, "cannot open database '%s': %s", path,
			  db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto out_close;
	}
	sqlite3_extended_result_codes(db->h, 1);
	rc = db_exec(db, db->ro ? pragmas_ro : pragmas_rw, "setting pragmas", err);
	if (rc < 0)
		goto out_close;
	/* Reading the schema makes a file that is not a database fail here,
	 * with its name, rather than at some later statement. */
	rc = db_exec(db, "SELECT count(*) FROM sqlite_master;", "reading the schema", err);
	if (rc < 0)
		goto out_close;
	*out = db;
	return 0;

out_close:
	sqlite3_close(db->h);
	free(db->path);
	free(db);
	return rc;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	/* Closing with an open transaction rolls it back (SQLite does it);
	 * a statement left unfinalized is a programming error. */
	if (sqlite3_close(db->h) != SQLITE_OK)
		BUG("closing '%s': %s (statement not finalized?)", db->path,
		    sqlite3_errmsg(db->h));
	free(db->path);
	free(db);
}

int db_prepare(struct db *db, sqlite3_stmt **st, const char *sql, const char *purpose,
	       struct error *err)
{
	*st = NULL;
	if (fault_hit())
		return fail_injected(db, NULL, purpose, err);
	if (sqlite3_prepare_v2(db->h, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return fail_sqlite(db, purpose, err);
	}
	return 0;
}

void db_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

void db_finalize(sqlite3_stmt *st)
{
	sqlite3_finalize(st);
}

int db_step(struct db *db, sqlite3_stmt *st, const char *purpose, struct error *err)
{
	int rc;

	if (db->bind_rc != SQLITE_OK) {
		rc = db->bind_rc;
		db->bind_rc = SQLITE_OK;
		sqlite3_reset(st);
		return error_set(err, ERR_DB, "%s in '%s': binding a value: %s", purpose,
				 db->path, sqlite3_errstr(rc));
	}
	if (fault_hit()) {
		sqlite3_reset(st);
		return fail_injected(db, NULL, purpose, err);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	error_set(err, ERR_DB, "%s in '%s': %s", purpose, db->path, sqlite3_errmsg(db->h));
	sqlite3_reset(st);
	return ERR_DB;
}

int db_step_done(struct db *db, sqlite3_stmt *st, const char *purpose, struct error *err)
{
	int rc = db_step(db, st, purpose, err);

	if (rc == 1)
		BUG("%s: statement returned a row: %s", purpose, sqlite3_sql(st));
	sqlite3_clear_bindings(st);
	return rc;
}

/* A failed bind is remembered for the next step (see db.h). */
static void bind_check(struct db *db, sqlite3_stmt *st, int idx, int rc)
{
	if (rc == SQLITE_OK)
		return;
	if (rc == SQLITE_RANGE || rc == SQLITE_MISUSE)
		BUG("binding parameter %d of '%s': %s", idx, sqlite3_sql(st), sqlite3_errstr(rc));
	if (db->bind_rc == SQLITE_OK)
		db->bind_rc = rc;
}

void db_bind_int64(struct db *db, sqlite3_stmt *st, int idx, int64_t v)
{
	bind_check(db, st, idx, sqlite3_bind_int64(st, idx, v));
}

void db_bind_double(struct db *db, sqlite3_stmt *st, int idx, double v)
{
	bind_check(db, st, idx, sqlite3_bind_double(st, idx, v));
}

void db_bind_double_or_null(struct db *db, sqlite3_stmt *st, int idx, double v)
{
	if (isnan(v))
		db_bind_null(db, st, idx);
	else
		db_bind_double(db, st, idx, v);
}

void db_bind_text(struct db *db, sqlite3_stmt *st, int idx, const char *s)
{
	if (!s)
		db_bind_null(db, st, idx);
	else
		bind_check(db, st, idx, sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT));
}

void db_bind_blob(struct db *db, sqlite3_stmt *st, int idx, const void *data, size_t len)
{
	ASSERT(len <= INT_MAX);
	bind_check(db, st, idx, sqlite3_bind_blob(st, idx, len ? data : "", (int)len,
						  SQLITE_TRANSIENT));
}

void db_bind_null(struct db *db, sqlite3_stmt *st, int idx)
{
	bind_check(db, st, idx, sqlite3_bind_null(st, idx));
}

const char *db_column_text(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? (const char *)s : "";
}

double db_column_double_or_nan(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NAN;
	return sqlite3_column_double(st, col);
}

int db_begin(struct db *db, struct error *err)
{
	char sql[64];

	if (db->depth == 0)
		snprintf(sql, sizeof(sql), "%s", db->ro ? "BEGIN" : "BEGIN IMMEDIATE");
	else
		snprintf(sql, sizeof(sql), "SAVEPOINT db_sp_%d", db->depth);
	int rc;

	rc = db_exec(db, sql, "starting a transaction", err);
	if (rc < 0)
		return rc;
	db->depth++;
	return 0;
}

void db_rollback(struct db *db)
{
	char sql[96];

	ASSERT(db->depth > 0);
	db->depth--;
	if (db->depth == 0) {
		/* SQLite may already have rolled back on its own (I/O error,
		 * out of memory); then there is nothing left to undo. */
		if (!sqlite3_get_autocommit(db->h))
			exec_raw(db, "ROLLBACK");
		return;
	}
	snprintf(sql, sizeof(sql), "ROLLBACK TO db_sp_%d; RELEASE db_sp_%d;", db->depth,
		 db->depth);
	exec_raw(db, sql);
}

int db_commit(struct db *db, struct error *err)
{
	char sql[64];
	int rc;

	ASSERT(db->depth > 0);
	if (db->depth == 1)
		snprintf(sql, sizeof(sql), "COMMIT");
	else
		snprintf(sql, sizeof(sql), "RELEASE db_sp_%d", db->depth - 1);
	rc = db_exec(db, sql, "committing a transaction", err);
	if (rc < 0) {
		/* A failed commit undoes its level, so callers have one rule:
		 * after a failed db_commit nothing of the level remains. */
		db_rollback(db);
		return rc;
	}
	db->depth--;
	return 0;
}

int db_user_version(struct db *db, int *version, struct error *err)
{
	sqlite3_stmt *st;
	int rc;

	*version = 0;
	rc = db_prepare(db, &st, "PRAGMA user_version", "reading the schema version", err);
	if (rc < 0)
		return rc;
	rc = db_step(db, st, "reading the schema version", err);
	if (rc == 1) {
		*version = sqlite3_column_int(st, 0);
		rc = 0;
	} else if (rc == 0) {
		BUG("PRAGMA user_version returned no row");
	}
	db_finalize(st);
	return rc;
}

/* True when a version-0 file already holds tables: somebody else's database. */
static int has_foreign_tables(struct db *db, bool *yes, struct error *err)
{
	static const char sql[] =
		"SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'";
	sqlite3_stmt *st;
	int rc;

	*yes = false;
	rc = db_prepare(db, &st, sql, "reading the schema", err);
	if (rc < 0)
		return rc;
	rc = db_step(db, st, "reading the schema", err);
	if (rc == 1) {
		*yes = sqlite3_column_int(st, 0) > 0;
		rc = 0;
	}
	db_finalize(st);
	return rc;
}

int db_schema_apply(struct db *db, const struct db_schema *schema, struct error *err)
{
	char purpose[128], sql[64];
	bool foreign;
	int v, rc;

	rc = db_user_version(db, &v, err);
	if (rc < 0)
		return rc;
	if (v == schema->version)
		return 0;
	if (v < 0)
		return error_set(err, ERR_INPUT, "'%s' has unknown %s schema version %d",
				 db->path, schema->kind, v);
	if (v > schema->version)
		return error_set(err, ERR_INPUT,
				 "'%s' is a %s of schema version %d, newer than this airtime "
				 "reads (%d); use a newer airtime", db->path, schema->kind, v,
				 schema->version);
	if (db->ro)
		return v == 0
			? error_set(err, ERR_INPUT, "'%s' is not a %s (no schema version)",
				    db->path, schema->kind)
			: error_set(err, ERR_INPUT,
				    "'%s' is a %s of schema version %d; this airtime reads %d: "
				    "open it read-write to migrate it", db->path, schema->kind, v,
				    schema->version);
	if (v == 0) {
		rc = has_foreign_tables(db, &foreign, err);
		if (rc < 0)
			return rc;
		if (foreign)
			return error_set(err, ERR_INPUT,
					 "'%s' is not a %s (it holds other tables and no schema "
					 "version)", db->path, schema->kind);
	}

	rc = db_begin(db, err);
	if (rc < 0)
		return rc;
	for (int s = v; s < schema->version; s++) {
		snprintf(purpose, sizeof(purpose), "%s %s schema version %d",
			 s == 0 ? "creating" : "migrating to", schema->kind, s + 1);
		rc = db_exec(db, schema->steps[s], purpose, err);
		if (rc < 0)
			goto out_rollback;
	}
	/* user_version is part of the database header, so it commits or
	 * rolls back with the schema it describes. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", schema->version);
	rc = db_exec(db, sql, "setting the schema version", err);
	if (rc < 0)
		goto out_rollback;
	return db_commit(db, err);

out_rollback:
	db_rollback(db);
	return rc;
}
