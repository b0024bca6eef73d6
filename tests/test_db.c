/* Tests for common/db.c: messages, transactions, schema versions, and the
 * fault loop (every fallible call failing in turn leaves nothing half-written). */
#include "common/db.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "results/rundir.h"

#include "tests/check_main.h"
#include "tests/tmpdir.h"

static void teardown(void)
{
	db_fault_after(0);
	tmpdir_teardown();
}

static const char *const steps_v2[] = {
	"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE);",
	"ALTER TABLE t ADD COLUMN w INTEGER NOT NULL DEFAULT 7;",
};
static const struct db_schema schema_v1 = { "test database", 1, steps_v2 };
static const struct db_schema schema_v2 = { "test database", 2, steps_v2 };

static int64_t count_rows(struct db *db, const char *table)
{
	char *sql = xasprintf("SELECT count(*) FROM %s", table);
	sqlite3_stmt *st;
	int64_t n;

	ck_assert_int_eq(db_prepare(db, &st, sql, "counting", NULL), 0);
	ck_assert_int_eq(db_step(db, st, "counting", NULL), 1);
	n = sqlite3_column_int64(st, 0);
	db_finalize(st);
	free(sql);
	return n;
}

static int insert(struct db *db, const char *v, struct error *err)
{
	sqlite3_stmt *st;
	int rc = db_prepare(db, &st, "INSERT INTO t (v) VALUES (?)", "inserting a row", err);

	if (rc < 0)
		return rc;
	db_bind_text(db, st, 1, v);
	rc = db_step_done(db, st, "inserting a row", err);
	db_finalize(st);
	return rc;
}

START_TEST(memory_round_trip)
{
	struct error err;
	struct db *db;
	sqlite3_stmt *st;
	int v;

	ck_assert_int_eq(db_open(&db, ":memory:", DB_CREATE, &err), 0);
	ck_assert_int_eq(db_schema_apply(db, &schema_v2, &err), 0);
	ck_assert_int_eq(db_user_version(db, &v, &err), 0);
	ck_assert_int_eq(v, 2);
	ck_assert_int_eq(insert(db, "a", &err), 0);
	ck_assert_int_eq(db_prepare(db, &st, "SELECT v, w FROM t", "reading", &err), 0);
	ck_assert_int_eq(db_step(db, st, "reading", &err), 1);
	ck_assert_str_eq(db_column_text(st, 0), "a");
	ck_assert_int_eq(sqlite3_column_int(st, 1), 7);
	ck_assert_int_eq(db_step(db, st, "reading", &err), 0);
	db_finalize(st);
	db_close(db);
	db_close(NULL);
}
END_TEST

START_TEST(error_names_file_and_purpose)
{
	struct error err;
	char *path = xasprintf("%s/x.db", tmpdir);
	struct db *db;

	ck_assert_int_eq(db_open(&db, path, DB_CREATE, &err), 0);
	ck_assert_int_eq(db_schema_apply(db, &schema_v1, &err), 0);
	ck_assert_int_eq(insert(db, "dup", &err), 0);
	ck_assert_int_eq(insert(db, "dup", &err), ERR_DB);
	ck_assert_ptr_nonnull(strstr(err.msg, "inserting a row"));
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_ptr_nonnull(strstr(err.msg, "UNIQUE"));
	ck_assert_int_eq(db_exec(db, "SELEC 1", "a typo", &err), ERR_DB);
	ck_assert_ptr_nonnull(strstr(err.msg, "a typo"));
	db_close(db);
	free(path);
}
END_TEST

START_TEST(missing_file_read_only_is_io_error)
{
	struct error err;
	char *path = xasprintf("%s/nope.db", tmpdir);
	struct db *db;

	ck_assert_int_eq(db_open(&db, path, DB_READONLY, &err), ERR_IO);
	ck_assert_ptr_null(db);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_int_eq(access(path, F_OK), -1); /* not created */
	free(path);
}
END_TEST

START_TEST(not_a_database_is_refused)
{
	struct error err;
	char *path = xasprintf("%s/junk.db", tmpdir);
	FILE *f = fopen(path, "w");
	struct db *db;

	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not an sqlite file\n", f);
	fclose(f);
	ck_assert_int_eq(db_open(&db, path, DB_READWRITE, &err), ERR_DB);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_ptr_nonnull(strstr(err.msg, "not a database"));
	free(path);
}
END_TEST

START_TEST(schema_migrates_older_refuses_newer)
{
	struct error err;
	char *path = xasprintf("%s/m.db", tmpdir);
	struct db *db;
	int v;

	ck_assert_int_eq(db_open(&db, path, DB_CREATE, &err), 0);
	ck_assert_int_eq(db_schema_apply(db, &schema_v1, &err), 0);
	ck_assert_int_eq(insert(db, "old", &err), 0);
	db_close(db);

	/* v1 -> v2 keeps the row and adds the column. */
	ck_assert_int_eq(db_open(&db, path, DB_READWRITE, &err), 0);
	ck_assert_int_eq(db_schema_apply(db, &schema_v2, &err), 0);
	ck_assert_int_eq(db_user_version(db, &v, &err), 0);
	ck_assert_int_eq(v, 2);
	ck_assert_int_eq(count_rows(db, "t WHERE w = 7"), 1);
	db_close(db);

	/* An older build refuses the newer file and changes nothing. */
	ck_assert_int_eq(db_open(&db, path, DB_READWRITE, &err), 0);
	ck_assert_int_eq(db_schema_apply(db, &schema_v1, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "newer"));
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_int_eq(db_user_version(db, &v, &err), 0);
	ck_assert_int_eq(v, 2);
	ck_assert_int_eq(db_exec(db, "PRAGMA user_version = -3", "corrupting", &err), 0);
	ck_assert_int_eq(db_schema_apply(db, &schema_v2, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown"));
	db_close(db);
	free(path);
}
END_TEST

START_TEST(read_only_needs_exact_version)
{
	struct error err;
	char *path = xasprintf("%s/ro.db", tmpdir);
	struct db *db;

	ck_assert_int_eq(db_open(&db, path, DB_CREATE, &err), 0);
	ck_assert_int_eq(db_schema_apply(db, &schema_v1, &err), 0);
	db_close(db);
	ck_assert_int_eq(db_open(&db, path, DB_READONLY, &err), 0);
	ck_assert(db_readonly(db));
	ck_assert_int_eq(db_schema_apply(db, &schema_v1, &err), 0);
	ck_assert_int_eq(db_schema_apply(db, &schema_v2, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "read-write"));
	ck_assert_int_eq(insert(db, "x", &err), ERR_DB);
	ck_assert_ptr_nonnull(strstr(err.msg, "readonly"));
	db_close(db);
	free(path);
}
END_TEST

START_TEST(foreign_database_is_refused)
{
	struct error err;
	struct db *db;

	ck_assert_int_eq(db_open(&db, ":memory:", DB_CREATE, &err), 0);
	ck_assert_int_eq(db_exec(db, "CREATE TABLE theirs (x)", "setting up", &err), 0);
	ck_assert_int_eq(db_schema_apply(db, &schema_v1, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a test database"));
	db_close(db);
}
END_TEST

START_TEST(nested_transactions)
{
	struct error err;
	struct db *db;

	ck_assert_int_eq(db_open(&db, ":memory:", DB_CREATE, &err), 0);
	ck_assert_int_eq(db_schema_apply(db, &schema_v1, &err), 0);
	ck_assert_int_eq(db_begin(db, &err), 0);
	ck_assert_int_eq(insert(db, "outer", &err), 0);
	ck_assert_int_eq(db_begin(db, &err), 0);
	ck_assert_int_eq(db_depth(db), 2);
	ck_assert_int_eq(insert(db, "inner-undone", &err), 0);
	db_rollback(db);
	ck_assert_int_eq(db_begin(db, &err), 0);
	ck_assert_int_eq(insert(db, "inner-kept", &err), 0);
	ck_assert_int_eq(db_commit(db, &err), 0);
	ck_assert_int_eq(db_commit(db, &err), 0);
	ck_assert_int_eq(db_depth(db), 0);
	ck_assert_int_eq(count_rows(db, "t"), 2);
	ck_assert_int_eq(count_rows(db, "t WHERE v = 'inner-undone'"), 0);

	/* Rolling back the outer level undoes committed inner levels too. */
	ck_assert_int_eq(db_begin(db, &err), 0);
	ck_assert_int_eq(db_begin(db, &err), 0);
	ck_assert_int_eq(insert(db, "gone", &err), 0);
	ck_assert_int_eq(db_commit(db, &err), 0);
	db_rollback(db);
	ck_assert_int_eq(count_rows(db, "t"), 2);
	db_close(db);
}
END_TEST

START_TEST(failed_commit_rolls_back)
{
	struct error err;
	struct db *db;

	ck_assert_int_eq(db_open(&db, ":memory:", DB_CREATE, &err), 0);
	ck_assert_int_eq(db_schema_apply(db, &schema_v1, &err), 0);
	ck_assert_int_eq(db_begin(db, &err), 0);
	ck_assert_int_eq(insert(db, "a", &err), 0);
	db_fault_after(1);
	ck_assert_int_eq(db_commit(db, &err), ERR_DB);
	ck_assert(db_fault_fired());
	ck_assert_ptr_nonnull(strstr(err.msg, "committing"));
	ck_assert_int_eq(db_depth(db), 0);
	ck_assert_int_eq(count_rows(db, "t"), 0);
	db_close(db);
}
END_TEST

/* The unit of work the fault loop tortures: create, migrate, then write
 * ten rows in one transaction. */
static int write_all(const char *path, struct error *err)
{
	struct db *db;
	int rc;
	char v[16];

	rc = db_open(&db, path, DB_CREATE, err);
	if (rc < 0)
		return rc;
	rc = db_schema_apply(db, &schema_v2, err);
	if (rc < 0)
		goto out_close;
	rc = db_begin(db, err);
	if (rc < 0)
		goto out_close;
	for (int i = 0; i < 10 && rc == 0; i++) {
		snprintf(v, sizeof(v), "row%d", i);
		rc = insert(db, v, err);
	}
	if (rc < 0) {
		db_rollback(db);
		goto out_close;
	}
	rc = db_commit(db, err);
out_close:
	db_close(db);
	return rc;
}

START_TEST(fault_loop_leaves_nothing_half_written)
{
	char *path = xasprintf("%s/f.db", tmpdir);
	struct error err;
	long n;

	for (n = 1; n < 1000; n++) {
		struct db *db;
		int rc, v;

		unlink(path);
		db_fault_after(n);
		rc = write_all(path, &err);
		if (!db_fault_fired()) {
			ck_assert_int_eq(rc, 0);
			break;
		}
		db_fault_after(0);
		ck_assert_int_eq(rc, ERR_DB);
		ck_assert_ptr_nonnull(strstr(err.msg, "injected fault"));
		ck_assert_ptr_nonnull(strstr(err.msg, path));
		/* Either nothing, or the schema whole and no rows. */
		if (access(path, F_OK) != 0)
			continue;
		ck_assert_int_eq(db_open(&db, path, DB_READWRITE, &err), 0);
		ck_assert_int_eq(db_user_version(db, &v, &err), 0);
		if (v == 0) {
			ck_assert_int_eq(count_rows(db, "sqlite_master"), 0);
		} else {
			ck_assert_int_eq(v, 2);
			ck_assert_int_eq(count_rows(db, "t"), 0);
		}
		db_close(db);
	}
	/* open (1) + 2 pragma execs + version read + schema + 10 inserts ... */
	ck_assert_int_gt(n, 15);
	ck_assert_int_lt(n, 1000);
	db_fault_after(0);
	{
		struct db *db;

		ck_assert_int_eq(db_open(&db, path, DB_READONLY, &err), 0);
		ck_assert_int_eq(count_rows(db, "t"), 10);
		db_close(db);
	}
	free(path);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, teardown);
	tcase_add_test(tc, memory_round_trip);
	tcase_add_test(tc, error_names_file_and_purpose);
	tcase_add_test(tc, missing_file_read_only_is_io_error);
	tcase_add_test(tc, not_a_database_is_refused);
	tcase_add_test(tc, schema_migrates_older_refuses_newer);
	tcase_add_test(tc, read_only_needs_exact_version);
	tcase_add_test(tc, foreign_database_is_refused);
	tcase_add_test(tc, nested_transactions);
	tcase_add_test(tc, failed_commit_rolls_back);
	tcase_add_test(tc, fault_loop_leaves_nothing_half_written);
}

CHECK_MAIN("db", add_tests, 60)
