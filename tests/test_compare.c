/* Tests for render/compare.c: two synthetic runs whose scenarios differ in
 * known keys; the differing-keys table lists exactly those keys (a default
 * written out equals a default left implicit; an override counts). */
#include "render/compare.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_main.h"
#include "common/xalloc.h"
#include "render/plot.h"
#include "render/report.h"
#include "results/rundir.h"
#include "tests/report_fixture.h"
#include "tests/tmpdir.h"

static char *make_run(const char *name, const struct fixture_opts *o)
{
	char *dir = xasprintf("%s/%s", tmpdir, name);

	ck_assert_int_eq(mkdir(dir, 0777), 0);
	fixture_write_run(dir, o);
	return dir;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xcalloc((size_t)n + 1, 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* The first column of the rows of the table under `heading` (up to the
 * next heading), joined with ','. */
static char *table_keys(const char *md, const char *heading)
{
	const char *s = strstr(md, heading), *end;
	char *out = xcalloc(1, 1);
	int row = 0;

	ck_assert_ptr_nonnull(s);
	end = strstr(s + 1, "\n#");
	if (!end)
		end = s + strlen(s);
	while ((s = strstr(s, "\n| ")) && s < end) {
		const char *cell = s + 3, *bar = strstr(cell, " |");
		char *next;

		if (row++ >= 2) {      /* skip the header and rule rows */
			next = xasprintf("%s%s%.*s", out, *out ? "," : "", (int)(bar - cell), cell);
			free(out);
			out = next;
		}
		s = bar;
	}
	return out;
}

START_TEST(test_differing_keys)
{
	/* run.description differs; [ab] treatment_share is written as its
	 * default in A (not a difference from B, which leaves it implicit);
	 * [ab] mode differs; rank.k differs through an override. */
	struct fixture_opts a = {
		.scenario_text = "[run]\nseed = 7\ndescription = first\n[ab]\n"
				 "treatment_share = 50%\nmode = split\n",
	};
	struct fixture_opts b = {
		.scenario_text = "[run]\nseed = 7\ndescription = second\n[ab]\nmode = twin\n",
		.overrides = "rank.k=10\n",
		.lift_scale = 2,
	};
	char *da = make_run("a", &a), *db = make_run("b", &b);
	const struct compare_run runs[2] = { { da, 0 }, { db, 0 } };
	char *out = xasprintf("%s/cmp", tmpdir), *mdpath = xasprintf("%s/compare.md", out);
	char *md, *keys;
	struct error e;
	int rc;

	error_clear(&e);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	rc = compare_build(runs, 2, out, &e);
	ck_assert_msg(rc == REPORT_WARNINGS, "rc %d: %s", rc, e.msg);
	md = slurp(mdpath);
	keys = table_keys(md, "## Scenario keys that differ");
	ck_assert_str_eq(keys, "run.description,ab.mode,rank.k");
	ck_assert_ptr_nonnull(strstr(md, "| rank.k | 20 | 10 |"));
	ck_assert_ptr_nonnull(strstr(md, "| ab.mode | split | twin |"));
	/* Lifts side by side: tune_ins +5 % vs +10 %: +5 points. */
	ck_assert_ptr_nonnull(strstr(md, "| tune_ins | **+5.00 % [+3.40 %, +6.60 %]** | "
				     "**+10.0 % [+8.40 %, +11.6 %]** | +5.00 pp [+2.74, +7.26] |"));
	/* Counters: sessions 36000 vs 72000. */
	ck_assert_ptr_nonnull(strstr(md, "| sessions (all) [sessions] | 36000 | 72000 | "
				     "+36000 (+100.0 %) |"));
	ck_assert_ptr_nonnull(strstr(md, "## Service-level objectives"));
	/* Each run's decision (the fixture has no engagement_actions row). */
	ck_assert_ptr_nonnull(strstr(md, "| decision (each run's [ab] primary, guardrails) | "
				     "inconclusive (engagement_actions) | inconclusive "
				     "(engagement_actions) | - |"));
	/* Runs labelled by what sets them apart. */
	ck_assert_ptr_nonnull(strstr(md, " | run.description=second, ab.mode=twin, rank.k=10 | "));
	ck_assert_ptr_nonnull(strstr(md, " | run.description=first, ab.mode=split, rank.k=20 | "));
	/* Units on every row: SLO differences in the row's unit, counters too. */
	ck_assert_ptr_nonnull(strstr(md, "| availability | 99.900 % (pass) | 99.900 % (pass) | "
				     "+0.000 pp |"));
	ck_assert_ptr_nonnull(strstr(md, "| **299.0 ms (FAIL)** | +0.00 us |"));
	ck_assert_ptr_nonnull(strstr(md, "| tune_ins (treatment) [unitless] | 4200 | 8400 |"));
	free(keys);
	free(md);
	free(mdpath);
	free(out);
	free(da);
	free(db);
}
END_TEST

START_TEST(test_same_scenario)
{
	struct fixture_opts o = { 0 };
	char *da = make_run("a", &o), *db = make_run("b", &o);
	const struct compare_run runs[2] = { { da, 0 }, { db, 0 } };
	char *out = xasprintf("%s/cmp", tmpdir), *mdpath = xasprintf("%s/compare.md", out);
	char *md;
	struct error e;

	error_clear(&e);
	ck_assert_int_ge(compare_build(runs, 2, out, &e), 0);
	md = slurp(mdpath);
	ck_assert_ptr_nonnull(strstr(md, "None: every run resolves to the same scenario."));
	if (plot_check(&e) == 0) {
		char *png = xasprintf("%s/plots/latency-p99.png", out);
		struct stat st;

		ck_assert_int_eq(stat(png, &st), 0);
		ck_assert_int_gt(st.st_size, 0);
		ck_assert_ptr_nonnull(strstr(md, "](plots/latency-p99.png)"));
		free(png);
	}
	free(md);
	free(mdpath);
	free(out);
	free(da);
	free(db);
}
END_TEST

START_TEST(test_bad_input)
{
	struct fixture_opts o = { 0 };
	char *da = make_run("a", &o), *missing = xasprintf("%s/nope", tmpdir);
	const struct compare_run runs[2] = { { da, 0 }, { missing, 0 } };
	char *out = xasprintf("%s/cmp", tmpdir);
	struct error e;
	struct stat st;

	error_clear(&e);
	ck_assert_int_eq(compare_build(runs, 1, out, &e), ERR_INPUT);
	ck_assert_int_eq(compare_build(runs, 2, out, &e), ERR_INPUT);
	ck_assert_msg(strstr(e.msg, missing) && strstr(e.msg, "results.db"), "%s", e.msg);
	ck_assert_int_ne(stat(out, &st), 0);
	free(out);
	free(missing);
	free(da);
}
END_TEST

/* A results.db of two runs (as a twin experiment writes one per world):
 * run 1 with the fixture's lifts, run 2 with twice those. */
static char *make_two_run_dir(const char *name)
{
	struct fixture_opts one = { 0 }, two = { .lift_scale = 2 };
	char *dir = make_run(name, &one);

	fixture_write_run(dir, &two);
	return dir;
}

START_TEST(test_several_runs_need_a_selector)
{
	struct fixture_opts o = { 0 };
	char *da = make_two_run_dir("twin"), *db = make_run("b", &o);
	const struct compare_run unselected[2] = { { da, 0 }, { db, 0 } };
	const struct compare_run missing[2] = { { da, 3 }, { db, 0 } };
	const struct compare_run on_b[2] = { { db, 2 }, { da, 1 } };
	char *out = xasprintf("%s/cmp", tmpdir);
	struct error e;
	struct stat st;

	/* Both hold an analysis, so neither is picked: the error lists both. */
	error_clear(&e);
	ck_assert_int_eq(compare_build(unselected, 2, out, &e), ERR_INPUT);
	ck_assert_msg(strstr(e.msg, da) && strstr(e.msg, "holds 2 runs") &&
		      strstr(e.msg, "1 'synthetic', 2 'synthetic'") &&
		      strstr(e.msg, "2 of them hold an experiment's analysis") &&
		      strstr(e.msg, "--run"), "%s", e.msg);
	ck_assert_int_eq(compare_build(missing, 2, out, &e), ERR_INPUT);
	ck_assert_msg(strstr(e.msg, "has no run 3 (its runs: 1 'synthetic', 2 'synthetic')"),
		      "%s", e.msg);
	ck_assert_int_eq(compare_build(on_b, 2, out, &e), ERR_INPUT);
	ck_assert_msg(strstr(e.msg, db) && strstr(e.msg, "has no run 2 (its runs: 1 'synthetic')"),
		      "%s", e.msg);
	ck_assert_int_ne(stat(out, &st), 0);
	free(out);
	free(da);
	free(db);
}
END_TEST

START_TEST(test_two_runs_of_one_file)
{
	char *da = make_two_run_dir("twin");
	const struct compare_run runs[2] = { { da, 1 }, { da, 2 } };
	char *out = xasprintf("%s/cmp", tmpdir), *mdpath = xasprintf("%s/compare.md", out);
	char *md, *row;
	struct error e;

	error_clear(&e);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	ck_assert_msg(compare_build(runs, 2, out, &e) >= 0, "%s", e.msg);
	md = slurp(mdpath);
	/* The runs table names each side's run id. */
	row = xasprintf("| R1 | %s | 1 | synthetic |", da);
	ck_assert_msg(strstr(md, row), "no '%s' in\n%s", row, md);
	free(row);
	row = xasprintf("| R2 | %s | 2 | synthetic |", da);
	ck_assert_msg(strstr(md, row), "no '%s' in\n%s", row, md);
	free(row);
	/* Each side's own rows: tune_ins +5 % in run 1, +10 % in run 2. */
	ck_assert_ptr_nonnull(strstr(md, "| tune_ins | **+5.00 % [+3.40 %, +6.60 %]** | "
				     "**+10.0 % [+8.40 %, +11.6 %]** | +5.00 pp [+2.74, +7.26] |"));
	ck_assert_ptr_nonnull(strstr(md, "| sessions (all) [sessions] | 36000 | 72000 | "
				     "+36000 (+100.0 %) |"));
	free(md);
	free(mdpath);
	free(out);
	free(da);
}
END_TEST

/* A twin-like run directory: one run per world, the analysis (A/B tables,
 * SLO rows) under one of them only, as eval/run stores it.  `analysis_first`
 * puts it under run 1 (as eval/run does), else under run 2 (so the choice
 * cannot be "the first run"); the analysis run has the fixture's lifts and
 * counters scaled by `k`, the other world twice that. */
static char *make_twin_dir(const char *name, bool analysis_first, double k)
{
	struct fixture_opts with = { .name = "synthetic#control", .lift_scale = k };
	struct fixture_opts without = { .name = "synthetic#treatment", .no_analysis = true,
					.lift_scale = 2 * k };
	char *dir = xasprintf("%s/%s", tmpdir, name);

	ck_assert_int_eq(mkdir(dir, 0777), 0);
	fixture_write_run(dir, analysis_first ? &with : &without);
	fixture_write_run(dir, analysis_first ? &without : &with);
	return dir;
}

START_TEST(test_a_twin_file_defaults_to_its_analysis_run)
{
	/* da: analysis under run 1 (lifts x1); db: under run 2 (lifts x2). */
	char *da = make_twin_dir("twin-a", true, 1), *db = make_twin_dir("twin-b", false, 2);
	const struct compare_run runs[2] = { { da, 0 }, { db, 0 } };
	char *out = xasprintf("%s/cmp", tmpdir), *mdpath = xasprintf("%s/compare.md", out);
	char *md, *want;
	struct error e;

	error_clear(&e);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	ck_assert_msg(compare_build(runs, 2, out, &e) >= 0, "%s", e.msg);
	md = slurp(mdpath);
	/* The runs table and a note say which run each side took, and why. */
	want = xasprintf("| R1 | %s | 1 (analysis run) | synthetic#control |", da);
	ck_assert_msg(strstr(md, want), "no '%s' in\n%s", want, md);
	free(want);
	want = xasprintf("| R2 | %s | 2 (analysis run) | synthetic#control |", db);
	ck_assert_msg(strstr(md, want), "no '%s' in\n%s", want, md);
	free(want);
	want = xasprintf("R1: the results.db of '%s' holds 2 runs (1 'synthetic#control', "
			 "2 'synthetic#treatment'); without --run, compare took run 1, the only "
			 "one holding the experiment's analysis", da);
	ck_assert_msg(strstr(md, want), "no '%s' in\n%s", want, md);
	free(want);
	want = xasprintf("R2: the results.db of '%s' holds 2 runs (1 'synthetic#treatment', "
			 "2 'synthetic#control'); without --run, compare took run 2", db);
	ck_assert_msg(strstr(md, want), "no '%s' in\n%s", want, md);
	free(want);
	/* Each side's analysis run's rows: lifts +5 % and +10 %, sessions
	 * 36000 and 72000 (the other worlds hold twice those). */
	ck_assert_ptr_nonnull(strstr(md, "| tune_ins | **+5.00 % [+3.40 %, +6.60 %]** | "
				     "**+10.0 % [+8.40 %, +11.6 %]** | +5.00 pp [+2.74, +7.26] |"));
	ck_assert_ptr_nonnull(strstr(md, "| sessions (all) [sessions] | 36000 | 72000 | "
				     "+36000 (+100.0 %) |"));
	ck_assert_ptr_nonnull(strstr(md, "## Service-level objectives"));
	free(md);
	free(mdpath);
	free(out);
	free(da);
	free(db);
}
END_TEST

START_TEST(test_a_file_without_an_analysis_run_needs_a_selector)
{
	struct fixture_opts bare = { .no_analysis = true }, o = { 0 };
	char *da = make_run("bare", &bare), *db = make_run("b", &o);
	const struct compare_run unselected[2] = { { da, 0 }, { db, 0 } };
	const struct compare_run selected[2] = { { da, 2 }, { db, 0 } };
	char *out = xasprintf("%s/cmp", tmpdir), *mdpath = xasprintf("%s/compare.md", out);
	char *md, *want;
	struct error e;
	struct stat st;

	fixture_write_run(da, &bare);
	error_clear(&e);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	ck_assert_int_eq(compare_build(unselected, 2, out, &e), ERR_INPUT);
	ck_assert_msg(strstr(e.msg, da) && strstr(e.msg, "holds 2 runs (1 'synthetic', 2 "
						 "'synthetic') and none of them holds an "
						 "experiment's analysis: select one with --run ID"),
		      "%s", e.msg);
	ck_assert_int_ne(stat(out, &st), 0);
	/* An explicit --run is taken as given, and the table shows no choice. */
	ck_assert_msg(compare_build(selected, 2, out, &e) >= 0, "%s", e.msg);
	md = slurp(mdpath);
	want = xasprintf("| R1 | %s | 2 | synthetic |", da);
	ck_assert_msg(strstr(md, want), "no '%s' in\n%s", want, md);
	ck_assert_ptr_null(strstr(md, "analysis run"));
	ck_assert_ptr_null(strstr(md, "without --run"));
	free(want);
	free(md);
	free(mdpath);
	free(out);
	free(da);
	free(db);
}
END_TEST

START_TEST(test_a_loadtested_run_defaults_to_its_experiment)
{
	/* a: the experiment (run 1) and two load tests (runs 2, 3), which
	 * hold SLO rows of their own; b: a load test beside a run without
	 * analysis, which is never reason enough to take the load test. */
	struct fixture_opts lt = { .loadtests = 2 }, bare = { .no_analysis = true, .loadtests = 1 };
	struct fixture_opts o = { 0 };
	char *da = make_run("a", &lt), *db = make_run("b", &bare), *dc = make_run("c", &o);
	const struct compare_run unselected[2] = { { da, 0 }, { dc, 0 } };
	const struct compare_run bare_side[2] = { { dc, 0 }, { db, 0 } };
	char *out = xasprintf("%s/cmp", tmpdir), *mdpath = xasprintf("%s/compare.md", out);
	char *md, *want;
	struct error e;

	error_clear(&e);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	ck_assert_msg(compare_build(unselected, 2, out, &e) >= 0, "%s", e.msg);
	md = slurp(mdpath);
	want = xasprintf("| R1 | %s | 1 (analysis run) | synthetic |", da);
	ck_assert_msg(strstr(md, want), "no '%s' in\n%s", want, md);
	free(want);
	ck_assert_ptr_nonnull(strstr(md, "holds 3 runs (1 'synthetic', 2 'loadtest', "
				     "3 'loadtest'); without --run, compare took run 1"));
	/* The experiment's SLO rows, not the load test's. */
	ck_assert_ptr_null(strstr(md, "load test latency"));
	free(md);
	ck_assert_int_eq(compare_build(bare_side, 2, out, &e), ERR_INPUT);
	ck_assert_msg(strstr(e.msg, db) && strstr(e.msg, "(1 'synthetic', 2 'loadtest') and "
						 "none of them holds"), "%s", e.msg);
	free(mdpath);
	free(out);
	free(da);
	free(db);
	free(dc);
}
END_TEST

/* Multi-arm runs: one table per mode and arm, arms matched by name
 * across runs ("treatment" in 2-arm runs, the ranker's name with more),
 * differences only between arms of the same name. */
START_TEST(test_arms_matched_by_name)
{
	struct fixture_opts three = { .arms = 2 }, three_x2 = { .arms = 2, .lift_scale = 2 };
	struct fixture_opts two = { 0 };
	char *da = make_run("a", &three), *db = make_run("b", &three_x2), *dc = make_run("c", &two);
	const struct compare_run runs[3] = { { da, 0 }, { db, 0 }, { dc, 0 } };
	char *out = xasprintf("%s/cmp", tmpdir), *mdpath = xasprintf("%s/compare.md", out);
	char *md, *forest, *pop, *trt;
	struct error e;

	error_clear(&e);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	ck_assert_int_eq(compare_build(runs, 3, out, &e), REPORT_WARNINGS);
	md = slurp(mdpath);
	forest = strstr(md, "## A/B relative lifts (split, arm forest)");
	pop = strstr(md, "## A/B relative lifts (split, arm popularity)");
	trt = strstr(md, "## A/B relative lifts (split, arm treatment)");
	ck_assert_ptr_nonnull(forest);
	ck_assert_ptr_nonnull(pop);
	ck_assert_ptr_nonnull(trt);
	ck_assert(forest < pop && pop < trt);
	/* forest: +5 % and +10 %, R3 has no such arm; popularity: +10 %, +20 % */
	ck_assert_ptr_nonnull(strstr(forest, "| tune_ins | **+5.00 % [+3.40 %, +6.60 %]** | "
					     "**+10.0 % [+8.40 %, +11.6 %]** | - | +5.00 pp [+2.74, +7.26] | - |"));
	ck_assert_ptr_nonnull(strstr(pop, "| tune_ins | **+10.0 % [+8.40 %, +11.6 %]** | "
					  "**+20.0 % [+18.4 %, +21.6 %]** | - | +10.00 pp [+7.74, +12.26] | - |"));
	ck_assert_ptr_nonnull(strstr(trt, "| tune_ins | - | - | **+5.00 % [+3.40 %, +6.60 %]** | "
					  "- | - |"));
	free(md);
	free(mdpath);
	free(out);
	free(da);
	free(db);
	free(dc);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_differing_keys);
	tcase_add_test(tc, test_arms_matched_by_name);
	tcase_add_test(tc, test_same_scenario);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_several_runs_need_a_selector);
	tcase_add_test(tc, test_two_runs_of_one_file);
	tcase_add_test(tc, test_a_twin_file_defaults_to_its_analysis_run);
	tcase_add_test(tc, test_a_file_without_an_analysis_run_needs_a_selector);
	tcase_add_test(tc, test_a_loadtested_run_defaults_to_its_experiment);
}

CHECK_MAIN("compare", add_tests, 60)
