/* Tests for eval/replicate.c, in this process with local worker processes
 * (the same study under mpirun: test_mpi): seed ranges parsed; an A/A
 * replication (treatment = control) is detected, every seed's rows are
 * those of the seed's own results.db, the truth is 0 and the counts of the
 * summary follow from the rows; with [ab] mode = both the truth of a
 * seed's split interval is that seed's twin lift; a scenario that does not
 * load leaves nothing; a finished replication resumed changes not one
 * byte of its results.db. */
#include "eval/replicate.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "render/plot.h"
#include "results/results.h"
#include "stats/abtest.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

/* 300 users for 1 + 1 days a seed, no forest (heuristic and popularity). */
#define TINY "world.users=300", "world.creators=50", "run.warmup_days=1", \
	"run.experiment_days=1", "spike.promo.magnitude=100", "report.plots=false"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

START_TEST(seed_ranges)
{
	uint64_t a, b;
	struct error err;

	ck_assert_int_eq(replicate_parse_seeds("1-20", &a, &b, &err), 0);
	ck_assert(a == 1 && b == 20);
	ck_assert_int_eq(replicate_parse_seeds("7", &a, &b, &err), 0);
	ck_assert(a == 7 && b == 7);
	ck_assert_int_eq(replicate_parse_seeds("18446744073709551614-18446744073709551615", &a, &b,
					       &err), 0);
	ck_assert_int_eq(replicate_parse_seeds("5-2", &a, &b, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "below the first"));
	ck_assert_int_eq(replicate_parse_seeds("1-5000", &a, &b, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "at most 4096"));
	ck_assert_int_eq(replicate_parse_seeds("-3", &a, &b, &err), ERR_INPUT);
	ck_assert_int_eq(replicate_parse_seeds("1-", &a, &b, &err), ERR_INPUT);
	ck_assert_int_eq(replicate_parse_seeds("a-b", &a, &b, &err), ERR_INPUT);
	ck_assert_int_eq(replicate_parse_seeds("1 - 3", &a, &b, &err), ERR_INPUT);
}
END_TEST

static bool same(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0 || (isnan(a) && isnan(b));
}

/* The seed's own analysis, as its run stored it. */
static void own_abtest(const char *study, uint64_t seed, const char *mode, struct abtest *a)
{
	char *path = xasprintf("%s/seed-%llu/results.db", study, (unsigned long long)seed);
	struct error err;
	struct results *r = results_open_readonly(path, &err);

	ck_assert_msg(r != NULL, "%s", err.msg);
	/* the first world's run holds the analyses */
	ck_assert_int_eq(results_get_abtest(r, 1, mode, a, &err), 0);
	results_close(r);
	free(path);
}

START_TEST(an_aa_replication_counts_false_positives)
{
	static const char *const sets[] = { TINY, "ab.treatment=heuristic" };
	struct replicate_spec spec = {
		.scenario = "scenarios/default.ini", .sets = sets,
		.n_sets = sizeof(sets) / sizeof(sets[0]), .seed_first = 11, .seed_last = 13,
		.jobs = 2,
	};
	struct replicate_result res;
	struct abtest *a = xcalloc(1, sizeof(*a));
	struct error err;
	char *out = tmpdir_path("aa");
	size_t checked = 0;

	spec.out = out;
	ck_assert_msg(replicate_execute(&spec, &res, &err) == 0, "%s", err.msg);
	ck_assert(res.data.study.aa);
	ck_assert_str_eq(res.data.study.control, "heuristic");
	ck_assert_str_eq(res.data.study.ab_mode, "split");
	ck_assert_uint_eq(res.data.n_cells, 3);
	ck_assert_uint_eq(res.data.study.failed, 0);
	for (size_t i = 0; i < res.data.n_seeds; i++) {
		const struct replstore_seed *r = &res.data.seeds[i];
		const struct abtest_row *own;

		ck_assert_str_eq(r->mode, "split");
		ck_assert_double_eq(r->truth, 0);
		own_abtest(out, r->seed, "split", a);
		own = abtest_find(&a->arms[0], r->metric);
		ck_assert_ptr_nonnull(own);
		ck_assert_int_eq(r->estimable, own->estimable);
		if (!r->estimable)
			continue;
		/* bit for bit (NaN too): copied from the row's own test (CUPED
		 * for split mean metrics), never recomputed */
		ck_assert(same(r->rel, abtest_tested(own)->rel) &&
			  same(r->rel_lo, abtest_tested(own)->rel_lo) &&
			  same(r->rel_hi, abtest_tested(own)->rel_hi) &&
			  same(r->p, abtest_tested(own)->p) && same(r->p_adjusted, own->p_adjusted));
		/* an interval that does not exist covers nothing, nor misses */
		ck_assert_int_eq(r->covered, isfinite(r->rel_lo) && isfinite(r->rel_hi)
					     ? r->rel_lo <= 0 && 0 <= r->rel_hi : -1);
		ck_assert_int_eq(r->significant, r->p_adjusted < 0.05);
		checked++;
	}
	ck_assert_uint_gt(checked, 10);
	for (size_t k = 0; k < res.data.n_summary; k++) {
		const struct replstore_summary *s = &res.data.summary[k];
		size_t n = 0, rej = 0, cov = 0;
		double sum = 0;

		for (size_t i = 0; i < res.data.n_seeds; i++) {
			const struct replstore_seed *r = &res.data.seeds[i];

			if (strcmp(r->metric, s->metric) || !r->estimable || !isfinite(r->rel))
				continue;
			n++;
			sum += r->rel;
			rej += r->p < 0.05;
			cov += r->covered == 1;
		}
		ck_assert_uint_eq(s->s.n, n);
		ck_assert_uint_eq(s->s.rejected_raw, rej);
		ck_assert_uint_eq(s->s.covered, cov);
		ck_assert_uint_le(s->s.with_truth, n);
		if (n)
			ck_assert_double_eq_tol(s->s.mean, sum / (double)n, 1e-12);
	}
	replicate_result_release(&res);
	free(a);
	free(out);
}
END_TEST

START_TEST(twin_lifts_are_the_truth_of_split_intervals)
{
	static const char *const sets[] = { TINY, "ab.mode=both", "ab.treatment=popularity" };
	struct replicate_spec spec = {
		.scenario = "scenarios/default.ini", .sets = sets,
		.n_sets = sizeof(sets) / sizeof(sets[0]), .seed_first = 5, .seed_last = 6,
		.jobs = 2,
	};
	struct replicate_result res;
	struct error err;
	char *out = tmpdir_path("both"), *db, *again;
	size_t len, len2, n_truth = 0;

	spec.out = out;
	ck_assert_msg(replicate_execute(&spec, &res, &err) == 0, "%s", err.msg);
	ck_assert(!res.data.study.aa);
	ck_assert_ptr_nonnull(strstr(res.data.study.truth, "twin lift of the same seed"));
	for (size_t i = 0; i < res.data.n_seeds; i++) {
		const struct replstore_seed *r = &res.data.seeds[i];

		if (!strcmp(r->mode, "twin")) {
			ck_assert(isnan(r->truth) && r->covered == -1);
			continue;
		}
		for (size_t j = 0; j < res.data.n_seeds; j++) {
			const struct replstore_seed *t = &res.data.seeds[j];

			if (t->seed == r->seed && !strcmp(t->mode, "twin") &&
			    !strcmp(t->metric, r->metric) && t->estimable) {
				ck_assert(r->truth == t->rel);
				n_truth++;
			}
		}
	}
	ck_assert_uint_gt(n_truth, 10);
	/* resumed, the finished study rewrites the same bytes */
	db = xasprintf("%s/results.db", out);
	again = slurp(db, &len);
	replicate_result_release(&res);
	memset(&spec, 0, sizeof(spec));
	spec.resume = out;
	ck_assert_msg(replicate_execute(&spec, &res, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(res.stats.ran, 0);
	ck_assert_uint_eq(res.stats.skipped, 2);
	{
		char *now = slurp(db, &len2);

		ck_assert_uint_eq(len, len2);
		ck_assert_int_eq(memcmp(again, now, len), 0);
		free(now);
	}
	replicate_result_release(&res);
	free(again);
	free(db);
	free(out);
}
END_TEST

/* Three arms in both modes: one analysis per mode and treatment arm
 * ("split/popularity", "twin/random"), and the truth of each split arm's
 * interval is the twin lift of that same arm. */
START_TEST(each_arm_has_its_own_analysis_and_truth)
{
	static const char *const sets[] = { TINY, "ab.mode=both",
					    "ab.arms=heuristic, popularity, random" };
	struct replicate_spec spec = {
		.scenario = "scenarios/default.ini", .sets = sets,
		.n_sets = sizeof(sets) / sizeof(sets[0]), .seed_first = 3, .seed_last = 3,
		.jobs = 1,
	};
	static const char *const names[] = { "split/popularity", "split/random",
					     "twin/popularity", "twin/random" };
	size_t seen[4] = { 0 }, n_truth = 0;
	struct replicate_result res;
	struct error err;
	char *out = tmpdir_path("arms");

	spec.out = out;
	ck_assert_msg(replicate_execute(&spec, &res, &err) == 0, "%s", err.msg);
	ck_assert(!res.data.study.aa);
	for (size_t i = 0; i < res.data.n_seeds; i++) {
		const struct replstore_seed *r = &res.data.seeds[i];
		size_t k = 0;

		while (k < 4 && strcmp(r->mode, names[k]))
			k++;
		ck_assert_msg(k < 4, "unexpected analysis '%s'", r->mode);
		seen[k]++;
		if (k >= 2 || !r->estimable)
			continue;
		for (size_t j = 0; j < res.data.n_seeds; j++) {
			const struct replstore_seed *t = &res.data.seeds[j];

			if (!strcmp(t->mode, names[k + 2]) && !strcmp(t->metric, r->metric) &&
			    t->estimable) {
				ck_assert(r->truth == t->rel);
				n_truth++;
			}
		}
	}
	for (size_t k = 0; k < 4; k++)
		ck_assert_uint_gt(seen[k], 5);
	ck_assert_uint_gt(n_truth, 10);
	replicate_result_release(&res);
	free(out);
}
END_TEST

START_TEST(a_bad_scenario_leaves_nothing)
{
	static const char *const sets[] = { TINY, "ab.mode=sideways" };
	struct replicate_spec spec = {
		.scenario = "scenarios/default.ini", .sets = sets,
		.n_sets = sizeof(sets) / sizeof(sets[0]), .seed_first = 1, .seed_last = 2,
		.reports_base = tmpdir,
	};
	struct replicate_result res;
	struct error err;

	ck_assert_int_eq(replicate_execute(&spec, &res, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "sideways"));
	ck_assert_int_eq(tmpdir_entries(tmpdir), 0);
	memset(&spec, 0, sizeof(spec));
	spec.resume = tmpdir;
	ck_assert_int_eq(replicate_execute(&spec, &res, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "holds no study"));
	replicate_result_release(&res);
}
END_TEST

static void setup(void)
{
	tmpdir_setup();
	plot_set_program("/nonexistent/airtime-no-gnuplot");
}

static void teardown(void)
{
	plot_set_program(NULL);
	tmpdir_teardown();
}

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, seed_ranges);
	tcase_add_test(tc, an_aa_replication_counts_false_positives);
	tcase_add_test(tc, twin_lifts_are_the_truth_of_split_intervals);
	tcase_add_test(tc, each_arm_has_its_own_analysis_and_truth);
	tcase_add_test(tc, a_bad_scenario_leaves_nothing);
}

CHECK_MAIN("replicate", add_tests, 120)
