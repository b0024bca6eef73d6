/* Tests for eval/compare.c: two synthetic runs whose scenarios differ in
 * known keys; the differing-keys table lists exactly those keys (a default
 * written out equals a default left implicit; an override counts). */
#include "eval/compare.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_main.h"
#include "common/xalloc.h"
#include "eval/plot.h"
#include "eval/report.h"
#include "eval/rundir.h"
#include "tests/report_fixture.h"

static char *base;

static void setup(void)
{
	base = fixture_tmpdir("compare");
	plot_set_program(NULL);
}

static void teardown(void)
{
	plot_set_program(NULL);
	ck_assert_int_eq(rundir_remove_tree(base, NULL), 0);
	free(base);
}

static char *make_run(const char *name, const struct fixture_opts *o)
{
	char *dir = xasprintf("%s/%s", base, name);

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
	const char *dirs[2] = { da, db };
	char *out = xasprintf("%s/cmp", base), *mdpath = xasprintf("%s/compare.md", out);
	char *md, *keys;
	struct error e;
	int rc;

	error_clear(&e);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	rc = compare_build(dirs, 2, out, &e);
	ck_assert_msg(rc == REPORT_WARNINGS, "rc %d: %s", rc, e.msg);
	md = slurp(mdpath);
	keys = table_keys(md, "## Scenario keys that differ");
	ck_assert_str_eq(keys, "run.description,ab.mode,rank.k");
	ck_assert_ptr_nonnull(strstr(md, "| rank.k | 20 | 10 |"));
	ck_assert_ptr_nonnull(strstr(md, "| ab.mode | split | twin |"));
	/* Lifts side by side: tune_ins +5 % vs +10 %: +5 points. */
	ck_assert_ptr_nonnull(strstr(md, "| tune_ins | **+5.00 % [+3.00 %, +7.00 %]** | "
				     "**+10.0 % [+8.00 %, +12.0 %]** | +5.00 % |"));
	/* Counters: sessions 36000 vs 72000. */
	ck_assert_ptr_nonnull(strstr(md, "| sessions (all) [sessions] | 36000 | 72000 | "
				     "+36000 (+100.0 %) |"));
	ck_assert_ptr_nonnull(strstr(md, "## Service-level objectives"));
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
	const char *dirs[2] = { da, db };
	char *out = xasprintf("%s/cmp", base), *mdpath = xasprintf("%s/compare.md", out);
	char *md;
	struct error e;

	error_clear(&e);
	ck_assert_int_ge(compare_build(dirs, 2, out, &e), 0);
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
	char *da = make_run("a", &o), *missing = xasprintf("%s/nope", base);
	const char *dirs[2] = { da, missing };
	char *out = xasprintf("%s/cmp", base);
	struct error e;
	struct stat st;

	error_clear(&e);
	ck_assert_int_eq(compare_build(dirs, 1, out, &e), ERR_INPUT);
	ck_assert_int_eq(compare_build(dirs, 2, out, &e), ERR_INPUT);
	ck_assert_msg(strstr(e.msg, missing) && strstr(e.msg, "results.db"), "%s", e.msg);
	ck_assert_int_ne(stat(out, &st), 0);
	free(out);
	free(missing);
	free(da);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_differing_keys);
	tcase_add_test(tc, test_same_scenario);
	tcase_add_test(tc, test_bad_input);
}

CHECK_MAIN("compare", add_tests, 60)
