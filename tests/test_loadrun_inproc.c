/* Tests for serve/loadrun.c (airtime loadtest) in process on a tiny finished run
 * (tests/tinyrun.h): a short constant-rate test issues exactly rate x
 * duration requests and accounts for every one (completed, dropped or an
 * error); stored, it adds a "loadtest" run, its percentile CSV and SLO
 * rows to the run directory; bad options are refused.  Only counts are
 * asserted: everything measured here is host time. */
#include "serve/loadrun.h"

#include <check.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/xalloc.h"
#include "serve/servedir.h"
#include "tests/check_main.h"
#include "tests/tinyrun.h"

static int count_runs(const char *name)
{
	char *path = xasprintf("%s/results.db", tinyrun_dir);
	sqlite3 *db;
	sqlite3_stmt *st;
	int n;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM runs WHERE name = ?", -1, &st,
					    NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return n;
}

static struct servedir *open_run(void)
{
	struct error err;
	struct servedir *d = servedir_open(tinyrun_dir, NULL, &err);

	ck_assert_msg(d != NULL, "%s", err.msg);
	return d;
}

/* 200 requests a second for half a second: request i is due at i / rate,
 * so 100 are issued; each is completed, dropped or an error. */
START_TEST(every_request_is_accounted_for)
{
	struct servedir *d = open_run();
	struct loadrun_options o;
	struct loadrun_summary s;
	struct error err;
	int before = count_runs("loadtest");

	loadrun_options_defaults(&o);
	o.rate = 200;
	o.duration_s = 0.5;
	o.threads = 2;
	o.scorer = RANK_HEURISTIC;
	o.store = false;
	ck_assert_msg(loadrun_execute(d, &o, &s, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(s.requests, 100);
	ck_assert_uint_eq(s.completed + s.dropped + s.errors, s.requests);
	ck_assert_uint_eq(s.errors, 0);
	ck_assert_str_eq(s.first_error, "");
	ck_assert_double_eq(s.intended_rate, 200);
	ck_assert_int_eq(s.run_id, 0);
	ck_assert_int_le(s.p50, s.p99);
	ck_assert_int_le(s.p99, s.max);
	ck_assert_uint_gt(s.candidates, 0);
	ck_assert_int_eq(count_runs("loadtest"), before);     /* nothing stored */
	loadrun_summary_release(&s);
	servedir_free(d);
}
END_TEST

START_TEST(a_stored_test_adds_its_run_csv_and_slos)
{
	struct servedir *d = open_run();
	struct loadrun_options o;
	struct loadrun_summary s;
	struct error err;
	struct stat st;
	int before = count_runs("loadtest");

	loadrun_options_defaults(&o);
	o.rate = 100;
	o.duration_s = 0.3;
	o.threads = 1;
	ck_assert_msg(loadrun_execute(d, &o, &s, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(s.requests, 30);
	ck_assert_int_gt(s.run_id, 0);
	ck_assert_int_eq(count_runs("loadtest"), before + 1);
	ck_assert_int_eq(stat(s.csv, &st), 0);
	ck_assert_int_gt(st.st_size, 0);
	ck_assert_uint_gt(s.slo.n, 0);
	loadrun_summary_release(&s);
	servedir_free(d);
}
END_TEST

START_TEST(bad_options_are_refused)
{
	struct servedir *d = open_run();
	struct loadrun_options o;
	struct loadrun_summary s;
	struct error err;

	loadrun_options_defaults(&o);
	o.rate = 0;
	o.store = false;
	ck_assert_int_eq(loadrun_execute(d, &o, &s, &err), ERR_INPUT);
	loadrun_options_defaults(&o);
	o.duration_s = 0;
	o.store = false;
	ck_assert_int_eq(loadrun_execute(d, &o, &s, &err), ERR_INPUT);
	loadrun_options_defaults(&o);
	o.threads = 0;
	o.store = false;
	ck_assert_int_eq(loadrun_execute(d, &o, &s, &err), ERR_INPUT);
	servedir_free(d);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_unchecked_fixture(tc, tinyrun_setup, tinyrun_teardown);
	tcase_add_test(tc, every_request_is_accounted_for);
	tcase_add_test(tc, a_stored_test_adds_its_run_csv_and_slos);
	tcase_add_test(tc, bad_options_are_refused);
}

CHECK_MAIN("loadrun_inproc", add_tests, 120)
