/* Tests for render/replreport.c, on a replication's results.db written by
 * results/replstore (no simulation): the report says what was replicated
 * and against which truth, lists failed seeds with their errors, tabulates
 * every metric per mode with counts and Wilson intervals, marks an A/A
 * test, and draws the forest plots (PNG and SVG) when gnuplot runs; without
 * gnuplot it is written all the same and returns the warning. */
#include "render/replreport.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "render/plot.h"
#include "render/report.h"
#include "results/replstore.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Three seeds, the second failed; split and twin rows of the primary
 * metric; aa as asked. */
static void fixture(bool aa)
{
	struct replstore_study study = {
		.scenario = "scenarios/default.ini", .scenario_text = "[ab]\nmode = both\n",
		.overrides = "", .seed_first = 1, .seed_last = 3, .cells = 3, .failed = 1,
		.ab_mode = "both", .control = "heuristic",
		.treatment = aa ? "heuristic" : "forest", .aa = aa, .alpha = 0.05,
		.truth = aa ? "0 (A/A)" : "the twin lift", .git_rev = "abc", .version = "0.1",
	};
	const struct replstore_cell cells[] = {
		{ 0, 1, "seed-1", true, "", 100, false },
		{ 1, 2, "seed-2", false, "seed 2: injected failure", 0, false },
		{ 2, 3, "seed-3", true, "", 120, false },
	};
	const struct replstore_seed seeds[] = {
		{ 1, "split", "engagement_actions", "mean", true, 150, 150, 0.1, -0.05, 0.25, 0.2,
		  0.4, false, 0.12, 1 },
		{ 1, "twin", "engagement_actions", "mean", true, 300, 300, 0.12, 0.02, 0.22, 0.01,
		  0.01, true, NAN, -1 },
		{ 3, "split", "engagement_actions", "mean", true, 150, 150, 0.3, 0.2, 0.4, 0.001,
		  0.004, true, 0.1, 0 },
		{ 3, "twin", "engagement_actions", "mean", true, 300, 300, 0.1, 0.0, 0.2, 0.04,
		  0.06, false, NAN, -1 },
	};
	const struct replstore_summary summary[] = {
		{ "split", "engagement_actions", { 2, 0.2, 0.14, -1.07, 1.47, 1, 1, 2, 1 }, 0.5, 0.5,
		  0.09, 0.91, 0.5, 0.09, 0.91 },
		{ "twin", "engagement_actions", { 2, 0.11, 0.014, -0.02, 0.24, 1, 2, 0, 0 }, 0.5, 1,
		  0.34, 1, NAN, NAN, NAN },
	};
	char *db = tmpdir_path("results.db");
	struct error err;

	ck_assert_msg(replstore_write(db, &study, cells, 3, seeds, 4, summary, 2, &err) == 0,
		      "%s", err.msg);
	free(db);
}

START_TEST(the_report_tells_the_study)
{
	char *md, *path = tmpdir_path("report.md"), *png, *svg;
	struct error err;
	int rc;

	fixture(false);
	rc = replreport_build(tmpdir, true, &err);
	ck_assert_msg(rc == 0, "%d: %s", rc, err.msg);
	md = slurp(path);
	ck_assert_ptr_nonnull(strstr(md, "# airtime replication: scenarios/default.ini over seeds 1-3"));
	ck_assert_ptr_nonnull(strstr(md, "truth for coverage: the twin lift"));
	ck_assert_ptr_nonnull(strstr(md, "- seed 2: seed 2: injected failure"));
	ck_assert_ptr_nonnull(strstr(md, "| engagement_actions | 2 | +20.0 % | [-107.0 %, +147.0 %] | 14 % |"));
	ck_assert_ptr_nonnull(strstr(md, "1/2 (50 %) [9 %, 91 %]"));
	ck_assert_ptr_nonnull(strstr(md, "### split mode"));
	ck_assert_ptr_nonnull(strstr(md, "### twin mode"));
	/* per seed: the second seed's split lift is significant and misses */
	ck_assert_ptr_nonnull(strstr(md, "| 3 | **+30.0 %** |"));
	ck_assert_ptr_nonnull(strstr(md, "| **no** |"));
	ck_assert_ptr_null(strstr(md, "**A/A test**"));
	png = tmpdir_path("plots/forest-split-engagement_actions.png");
	svg = tmpdir_path("plots/forest-twin-engagement_actions.svg");
	ck_assert_int_eq(access(png, F_OK), 0);
	ck_assert_int_eq(access(svg, F_OK), 0);
	free(png);
	free(svg);
	free(md);
	free(path);
}
END_TEST

START_TEST(an_aa_test_is_marked_and_drawn_without_gnuplot_is_a_warning)
{
	char *md, *path = tmpdir_path("report.md"), *html = tmpdir_path("report.html");
	struct error err;

	fixture(true);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	ck_assert_int_eq(replreport_build(tmpdir, true, &err), REPORT_WARNINGS);
	plot_set_program(NULL);
	ck_assert_ptr_nonnull(strstr(err.msg, "gnuplot not found"));
	md = slurp(path);
	ck_assert_ptr_nonnull(strstr(md, "**A/A test**"));
	ck_assert_ptr_nonnull(strstr(md, "gnuplot not found"));
	ck_assert_ptr_null(strstr(md, "## Forest plots"));
	ck_assert_int_eq(access(html, F_OK), 0);
	free(md);
	free(html);
	free(path);
}
END_TEST

/* airtime report DIR: the stored scenario says whether to draw. */
START_TEST(rebuilt_from_the_stored_scenario)
{
	struct error err;

	ck_assert(!replreport_is_replication(tmpdir));
	fixture(false);
	ck_assert(replreport_is_replication(tmpdir));
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	/* [report] plots defaults to true: drawing was tried */
	ck_assert_int_eq(replreport_rebuild(tmpdir, &err), REPORT_WARNINGS);
	plot_set_program(NULL);
	ck_assert_ptr_nonnull(strstr(err.msg, "gnuplot not found"));
}
END_TEST

START_TEST(a_directory_without_a_replication_is_refused)
{
	struct error err;

	ck_assert_int_eq(replreport_build(tmpdir, false, &err), ERR_INPUT);
	ck_assert_int_eq(tmpdir_entries(tmpdir), 0);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, the_report_tells_the_study);
	tcase_add_test(tc, an_aa_test_is_marked_and_drawn_without_gnuplot_is_a_warning);
	tcase_add_test(tc, rebuilt_from_the_stored_scenario);
	tcase_add_test(tc, a_directory_without_a_replication_is_refused);
}

CHECK_MAIN("replreport", add_tests, 60)
