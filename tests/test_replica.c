/* Tests for stats/replica.c: the mean over seeds with its Student t
 * interval against values worked by hand, seeds without an estimate left
 * out, the significance and coverage counts, and Wilson intervals against
 * published values. */
#include "stats/replica.h"

#include <check.h>
#include <math.h>

#include "tests/check_main.h"

/* est 1..5: mean 3, sd sqrt(2.5); t(0.975, 4) = 2.776445; half-width
 * 2.776445 * 1.581139 / sqrt(5) = 1.963243. */
START_TEST(mean_and_t_interval)
{
	const double est[] = { 1, 2, 3, 4, 5, NAN };
	const double lo[] = { 0, 1, 2.5, 3.9, 4, 0 }, hi[] = { 2, 3, 3.5, 4.1, 6, 0 };
	const double p[] = { 0.5, 0.01, 0.04, 0.2, 0.001, 0.001 };
	const double pa[] = { 0.5, 0.03, 0.08, 0.2, 0.004, 0.001 };
	const double truth[] = { 3, 3, 3, 3, NAN, 3 };
	struct replica_summary s;

	replica_summarize(est, lo, hi, p, pa, truth, 6, 0.05, &s);
	ck_assert_uint_eq(s.n, 5);
	ck_assert_double_eq_tol(s.mean, 3.0, 1e-12);
	ck_assert_double_eq_tol(s.sd, sqrt(2.5), 1e-12);
	ck_assert_double_eq_tol(s.lo, 3.0 - 1.963243, 1e-5);
	ck_assert_double_eq_tol(s.hi, 3.0 + 1.963243, 1e-5);
	ck_assert_uint_eq(s.significant, 2);   /* 0.03, 0.004 (the NaN seed is out) */
	ck_assert_uint_eq(s.rejected_raw, 3);  /* 0.01, 0.04, 0.001 */
	ck_assert_uint_eq(s.with_truth, 4);
	ck_assert_uint_eq(s.covered, 2);       /* [0, 2] and [3.9, 4.1] miss 3 */
}
END_TEST

START_TEST(too_few_seeds_give_no_interval)
{
	const double one[] = { 0.2 }, lo[] = { 0.1 }, hi[] = { 0.3 };
	struct replica_summary s;

	replica_summarize(one, lo, hi, NULL, NULL, NULL, 1, 0.05, &s);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_double_eq(s.mean, 0.2);
	ck_assert(isnan(s.sd) && isnan(s.lo) && isnan(s.hi));
	ck_assert_uint_eq(s.with_truth, 0);
	replica_summarize(one, lo, hi, NULL, NULL, NULL, 0, 0.05, &s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert(isnan(s.mean));
}
END_TEST

/* Wilson 95 %: 0/10 -> [0, 0.2775]; 5/10 -> [0.2366, 0.7634];
 * 10/10 -> [0.7225, 1] (Brown, Cai, DasGupta 2001, table values). */
START_TEST(wilson_intervals)
{
	double lo, hi;

	replica_wilson(0, 10, 0.05, &lo, &hi);
	ck_assert_double_eq_tol(lo, 0, 1e-12);
	ck_assert_double_eq_tol(hi, 0.2775, 1e-4);
	replica_wilson(5, 10, 0.05, &lo, &hi);
	ck_assert_double_eq_tol(lo, 0.2366, 1e-4);
	ck_assert_double_eq_tol(hi, 0.7634, 1e-4);
	replica_wilson(10, 10, 0.05, &lo, &hi);
	ck_assert_double_eq_tol(lo, 0.7225, 1e-4);
	ck_assert_double_eq_tol(hi, 1, 1e-12);
	replica_wilson(0, 0, 0.05, &lo, &hi);
	ck_assert(isnan(lo) && isnan(hi));
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, mean_and_t_interval);
	tcase_add_test(tc, too_few_seeds_give_no_interval);
	tcase_add_test(tc, wilson_intervals);
}

CHECK_MAIN("replica", add_tests, 10)
