/* Tests for results/runview.c: a stored run opened as reports and
 * comparisons read it (tests/report_fixture.h writes the results.db): the
 * first run, its scenario parsed back with its overrides, the run holding
 * the analysis among a twin's worlds and load tests, errors naming the
 * file and listing its runs, and the time axis of plots. */
#include "results/runview.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/xalloc.h"
#include "config/config.h"
#include "tests/check_main.h"
#include "tests/report_fixture.h"
#include "tests/tmpdir.h"

static char *make_dir(const char *name)
{
	char *dir = tmpdir_path(name);

	ck_assert_int_eq(mkdir(dir, 0777), 0);
	return dir;
}

START_TEST(the_first_run_and_its_scenario)
{
	struct fixture_opts o = {
		.scenario_text = "[run]\nseed = 7\n[world]\nusers = 123\n",
		.overrides = "world.creators=45\n\nrun.warmup_days=2\n",
	};
	char *dir = make_dir("one");
	struct runview rv;
	struct results *r;
	struct scenario *sc;
	struct config *cfg;
	struct error err;

	fixture_write_run(dir, &o);
	r = runview_open(dir, &rv, &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	ck_assert_int_eq(rv.run_id, 1);
	ck_assert_str_eq(rv.name, "synthetic");
	ck_assert_uint_eq(rv.seed, 7);
	ck_assert_int_eq(rv.status, RESULTS_OK);
	ck_assert_uint_eq(rv.file_runs, 1);
	ck_assert_double_eq(rv.wall_seconds, 12.5);
	ck_assert(!rv.analysis_pick);
	sc = runview_scenario(&rv, &err);
	ck_assert_msg(sc != NULL, "%s", err.msg);
	cfg = xcalloc(1, sizeof(*cfg));
	ck_assert_msg(config_load(cfg, sc, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(cfg->sim.world.n_users, 123);
	ck_assert_uint_eq(cfg->sim.world.n_creators, 45);
	ck_assert_int_eq(cfg->run.warmup_days, 2);
	free(cfg);
	scenario_free(sc);
	runview_release(&rv);
	runview_release(NULL);
	results_close(r);
	free(dir);
}
END_TEST

/* A twin's file: the analysis under run 2; a load test after both. */
START_TEST(the_analysis_run_among_worlds_and_load_tests)
{
	struct fixture_opts plain = { .name = "x#treatment", .no_analysis = true };
	struct fixture_opts with = { .name = "x#control", .loadtests = 1 };
	char *dir = make_dir("twin");
	struct runview rv;
	struct results *r;
	struct error err;

	fixture_write_run(dir, &plain);
	fixture_write_run(dir, &with);
	r = runview_open_run(dir, RUNVIEW_ANALYSIS, &rv, &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	ck_assert_int_eq(rv.run_id, 2);
	ck_assert_str_eq(rv.name, "x#control");
	ck_assert(rv.analysis_pick);
	ck_assert_uint_eq(rv.file_runs, 3);
	ck_assert_ptr_nonnull(strstr(rv.file_list, "1 'x#treatment', 2 'x#control'"));
	runview_release(&rv);
	results_close(r);
	r = runview_open_run(dir, RUNVIEW_FIRST, &rv, &err);
	ck_assert_int_eq(rv.run_id, 1);
	runview_release(&rv);
	results_close(r);
	r = runview_open_run(dir, 1, &rv, &err);
	ck_assert_str_eq(rv.name, "x#treatment");
	runview_release(&rv);
	results_close(r);
	ck_assert_ptr_null(runview_open_run(dir, 9, &rv, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "results.db"));
	ck_assert_ptr_nonnull(strstr(err.msg, "x#treatment"));
	free(dir);
}
END_TEST

START_TEST(errors_name_the_file)
{
	struct fixture_opts a = { .name = "a" }, b = { .name = "b" };
	char *empty = make_dir("empty"), *two = make_dir("two");
	char *junk = make_dir("junk"), *jdb = xasprintf("%s/results.db", junk);
	struct runview rv;
	struct error err;
	FILE *f;

	ck_assert_ptr_null(runview_open(empty, &rv, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, empty));
	/* two runs that both hold an analysis: no pick without --run */
	fixture_write_run(two, &a);
	fixture_write_run(two, &b);
	ck_assert_ptr_null(runview_open_run(two, RUNVIEW_ANALYSIS, &rv, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "1 'a', 2 'b'"));
	f = fopen(jdb, "w");
	ck_assert_ptr_nonnull(f);
	fputs("not a database, not at all, just some text padding it out\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_null(runview_open(junk, &rv, &err));
	ck_assert_int_ne(err.code, ERR_OK);
	free(empty);
	free(two);
	free(junk);
	free(jdb);
}
END_TEST

/* Days for spans over three days, hours over three hours, else minutes. */
static void axis_of(size_t n, simtime width, struct runview_axis *ax)
{
	struct results_series s = { .n = n, .width = width };

	runview_axis_for(ax, &s);
}

START_TEST(plot_axes_follow_the_span)
{
	struct runview_axis ax;
	double start[3] = { 0, 7200, 172800 }, *x;
	struct results_series s = { .n = 3, .width = 2 * SIMTIME_DAY, .start_s = start };

	axis_of(180, SIMTIME_MIN, &ax);                 /* exactly 3 hours */
	ck_assert_double_eq(ax.div, 60);
	ck_assert_str_eq(ax.label, "simulated time (minutes)");
	axis_of(181, SIMTIME_MIN, &ax);
	ck_assert_double_eq(ax.div, 3600);
	ck_assert_str_eq(ax.label, "simulated time (hours)");
	axis_of(72, SIMTIME_HOUR, &ax);                 /* exactly 3 days */
	ck_assert_double_eq(ax.div, 3600);
	axis_of(73, SIMTIME_HOUR, &ax);
	ck_assert_double_eq(ax.div, 86400);
	ck_assert_str_eq(ax.label, "simulated time (days)");
	runview_axis_for(&ax, NULL);
	ck_assert_double_eq(ax.div, 60);
	runview_axis_for(&ax, &s);
	x = runview_axis_x(&ax, &s);
	ck_assert_double_eq(x[0], 0);
	ck_assert_double_eq_tol(x[1], 1.0 / 12, 1e-15);
	ck_assert_double_eq(x[2], 2);
	free(x);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, the_first_run_and_its_scenario);
	tcase_add_test(tc, the_analysis_run_among_worlds_and_load_tests);
	tcase_add_test(tc, errors_name_the_file);
	tcase_add_test(tc, plot_axes_follow_the_span);
}

CHECK_MAIN("runview", add_tests, 30)
