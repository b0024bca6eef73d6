/* Tests for results/replstore.c: a replication's rows come back as
 * written (NaN as NULL and back, the unknown truth as covered NULL), the
 * same rows give the same file byte for byte, and other databases are
 * told apart. */
#include "results/replstore.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

static const struct replstore_study study = {
	.scenario = "scenarios/default.ini", .scenario_text = "[ab]\nmode = both\n",
	.overrides = "world.users=300\n", .seed_first = 1, .seed_last = 3, .cells = 3,
	.failed = 1, .ab_mode = "both", .control = "heuristic", .treatment = "forest",
	.aa = false, .alpha = 0.05, .truth = "the twin lift", .git_rev = "abc", .version = "0.1",
};

static const struct replstore_cell cells[] = {
	{ 0, 1, "seed-1", true, "", 100, false },
	{ 1, 2, "seed-2", false, "injected failure", 0, false },
	{ 2, 3, "seed-3", true, "", 120, true },
};

static const struct replstore_seed seeds[] = {
	{ 1, "split", "engagement_actions", "mean", true, 150, 150, 0.1, -0.05, 0.25, 0.2, 0.4,
	  false, 0.12, 1 },
	{ 1, "twin", "engagement_actions", "mean", true, 300, 300, 0.12, 0.02, 0.22, 0.01, 0.03,
	  true, NAN, -1 },
	{ 3, "split", "median_listening_minutes", "median", false, 150, 150, NAN, NAN, NAN, NAN,
	  NAN, false, NAN, -1 },
};

static struct replstore_summary summary[1];

static void write_to(const char *path)
{
	struct error err;

	summary[0] = (struct replstore_summary){ .mode = "split", .metric = "engagement_actions",
		.s = { 2, 0.1, 0.02, -0.08, 0.28, 0, 1, 2, 1 }, .share_significant = 0,
		.share_rejected = 0.5, .rejected_lo = 0.09, .rejected_hi = 0.91, .coverage = 0.5,
		.coverage_lo = 0.09, .coverage_hi = 0.91 };
	ck_assert_msg(replstore_write(path, &study, cells, 3, seeds, 3, summary, 1, &err) == 0,
		      "%s", err.msg);
}

static char *slurp(const char *path, size_t *len)
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
	fclose(f);
	*len = (size_t)n;
	return buf;
}

START_TEST(rows_round_trip)
{
	char *path = tmpdir_path("results.db");
	struct replstore_data d;
	struct error err;

	write_to(path);
	ck_assert(replstore_is(path));
	ck_assert_msg(replstore_read(path, &d, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(d.study.scenario_text, study.scenario_text);
	ck_assert(d.study.seed_last == 3 && d.study.failed == 1 && !d.study.aa);
	ck_assert_uint_eq(d.n_cells, 3);
	ck_assert(!d.cells[1].done);
	ck_assert_str_eq(d.cells[1].error, "injected failure");
	ck_assert(d.cells[2].srm_flagged && d.cells[2].events == 120);
	ck_assert_uint_eq(d.n_seeds, 3);
	ck_assert_str_eq(d.seeds[1].mode, "twin");
	ck_assert(d.seeds[1].significant && d.seeds[1].covered == -1 && isnan(d.seeds[1].truth));
	ck_assert_double_eq(d.seeds[0].truth, 0.12);
	ck_assert_int_eq(d.seeds[0].covered, 1);
	ck_assert(isnan(d.seeds[2].rel) && !d.seeds[2].estimable);
	ck_assert_uint_eq(d.n_summary, 1);
	ck_assert_double_eq(d.summary[0].s.lo, -0.08);
	ck_assert_uint_eq(d.summary[0].s.covered, 1);
	replstore_data_release(&d);
	free(path);
}
END_TEST

START_TEST(the_same_rows_give_the_same_bytes)
{
	char *a = tmpdir_path("a.db"), *b = tmpdir_path("b.db"), *ta, *tb;
	size_t la, lb;

	write_to(a);
	write_to(b);
	ta = slurp(a, &la);
	tb = slurp(b, &lb);
	ck_assert_uint_eq(la, lb);
	ck_assert_int_eq(memcmp(ta, tb, la), 0);
	free(ta);
	free(tb);
	free(a);
	free(b);
}
END_TEST

START_TEST(other_files_are_not_replications)
{
	char *missing = tmpdir_path("none.db"), *text = tmpdir_path("x.db");
	struct replstore_data d;
	struct error err;
	FILE *f = fopen(text, "w");

	fputs("not sqlite", f);
	fclose(f);
	ck_assert(!replstore_is(missing));
	ck_assert(!replstore_is(text));
	ck_assert_int_eq(replstore_read(missing, &d, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "is not a replication's results.db"));
	free(missing);
	free(text);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, rows_round_trip);
	tcase_add_test(tc, the_same_rows_give_the_same_bytes);
	tcase_add_test(tc, other_files_are_not_replications);
}

CHECK_MAIN("replstore", add_tests, 30)
