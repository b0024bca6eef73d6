/* Tests for common/hist.c: quantile error bound against exact quantiles,
 * lossless merge, overflow, empty, reset, bucket layout, bad parameters. */
#include "common/hist.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "common/rng.h"

#include "tests/check_main.h"

enum { N = 200000 };

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Samples from distribution `which` (fixed seed per distribution). */
static void draw(int64_t *v, size_t n, int which)
{
	struct rng r;

	rng_init(&r, 77, RNG_TEST, (uint64_t)which, 0);
	for (size_t i = 0; i < n; i++) {
		double x;

		switch (which) {
		case 0: x = rng_uniform(&r) * 1e6; break;                      /* uniform */
		case 1: x = gsl_ran_exponential(rng_gsl(&r), 5000); break;     /* exponential */
		case 2: x = gsl_ran_lognormal(rng_gsl(&r), 9, 1.5); break;     /* latency-like */
		case 3: x = gsl_ran_pareto(rng_gsl(&r), 1.1, 10); break;       /* heavy tail */
		default: x = (double)rng_below(&r, 300); break;                /* small integers */
		}
		if (x > 1e12)
			x = 1e12;
		v[i] = (int64_t)x;
	}
}

/*
 * The bound: with 2^k >= 2 * 10^d sub-buckets, a value x shares its
 * sub-bucket only with values in [x - w + 1, x + w - 1] where w = 1 for
 * x < 2^k and w = 2^b <= x * 2^(1-k) <= x * 10^-d otherwise.  The reported
 * quantile is the top of the sub-bucket holding the exact rank-th value x
 * (capped at the max, which is >= x), so 0 <= reported - x <= x * 10^-d,
 * with equality to x when x < 2^k.  The exact quantile uses the same rank,
 * ceil(q * n).
 */
START_TEST(quantiles_within_relative_error_bound)
{
	static int64_t v[N], sorted[N];
	static const double qs[] = { 0.0001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99,
				     0.999, 0.9999, 1.0 };
	struct error err;

	for (int dist = 0; dist < 5; dist++) {
		draw(v, N, dist);
		memcpy(sorted, v, sizeof(v));
		qsort(sorted, N, sizeof(sorted[0]), cmp_i64);
		for (int d = 1; d <= 4; d++) {
			struct hist h;
			double bound = pow(10, -d), sum = 0;

			ck_assert_int_eq(hist_init(&h, 1000000000000LL, d, &err), 0);
			for (size_t i = 0; i < N; i++) {
				hist_record(&h, v[i]);
				sum += (double)v[i];
			}
			ck_assert_uint_eq(hist_count(&h), N);
			ck_assert_int_eq(hist_min(&h), sorted[0]);
			ck_assert_int_eq(hist_max(&h), sorted[N - 1]);
			ck_assert_double_eq_tol(hist_mean(&h), sum / N, 1e-9 * (sum / N) + 1e-9);
			for (size_t j = 0; j < sizeof(qs) / sizeof(qs[0]); j++) {
				size_t rank = (size_t)ceil(qs[j] * N);
				int64_t exact = sorted[rank - 1], got = hist_quantile(&h, qs[j]);

				ck_assert_int_ge(got, exact);
				ck_assert_msg((double)(got - exact) <= bound * (double)exact,
					      "dist %d digits %d q %g: got %lld exact %lld", dist, d,
					      qs[j], (long long)got, (long long)exact);
			}
			ck_assert_int_eq(hist_quantile(&h, 0), sorted[0]);
			hist_release(&h);
		}
	}
}
END_TEST

START_TEST(merge_equals_recording_into_one)
{
	static int64_t v[N];
	struct hist all, a, b;
	struct error err;
	size_t ca = 0, cb = 0;
	int64_t lo1, hi1, lo2, hi2;
	uint64_t n1, n2;

	draw(v, N, 2);
	ck_assert_int_eq(hist_init(&all, 1000000, 3, &err), 0);
	ck_assert_int_eq(hist_init(&a, 1000000, 3, &err), 0);
	ck_assert_int_eq(hist_init(&b, 1000000, 3, &err), 0);
	for (size_t i = 0; i < N; i++) {
		hist_record(&all, v[i]);
		hist_record(i % 3 ? &a : &b, v[i]);
	}
	ck_assert_int_eq(hist_merge(&a, &b, &err), 0);
	ck_assert_uint_eq(hist_count(&a), hist_count(&all));
	ck_assert_uint_eq(a.overflow, all.overflow);
	ck_assert_uint_gt(all.overflow, 0);
	ck_assert_int_eq(hist_min(&a), hist_min(&all));
	ck_assert_int_eq(hist_max(&a), hist_max(&all));
	ck_assert_double_eq_tol(hist_mean(&a), hist_mean(&all), 1e-9 * hist_mean(&all));
	for (double q = 0; q <= 1.0; q += 0.001)
		ck_assert_int_eq(hist_quantile(&a, q), hist_quantile(&all, q));
	while (hist_next_bucket(&all, &ca, &lo1, &hi1, &n1)) {
		ck_assert(hist_next_bucket(&a, &cb, &lo2, &hi2, &n2));
		ck_assert_int_eq(lo1, lo2);
		ck_assert_int_eq(hi1, hi2);
		ck_assert_uint_eq(n1, n2);
	}
	ck_assert(!hist_next_bucket(&a, &cb, &lo2, &hi2, &n2));
	/* Merging an empty histogram changes nothing. */
	hist_reset(&b);
	ck_assert_int_eq(hist_merge(&a, &b, &err), 0);
	ck_assert_int_eq(hist_min(&a), hist_min(&all));
	hist_release(&all);
	hist_release(&a);
	hist_release(&b);
}
END_TEST

START_TEST(merge_refuses_different_parameters)
{
	struct hist a, b, c;
	struct error err;

	ck_assert_int_eq(hist_init(&a, 1000, 2, &err), 0);
	ck_assert_int_eq(hist_init(&b, 1000, 3, &err), 0);
	ck_assert_int_eq(hist_init(&c, 2000, 2, &err), 0);
	hist_record(&b, 5);
	hist_record(&c, 5);
	error_clear(&err);
	ck_assert_int_eq(hist_merge(&a, &b, &err), ERR_INPUT);
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot merge"));
	ck_assert_int_eq(hist_merge(&a, &c, &err), ERR_INPUT);
	ck_assert_uint_eq(hist_count(&a), 0);   /* nothing half-merged */
	hist_release(&a);
	hist_release(&b);
	hist_release(&c);
}
END_TEST

START_TEST(overflow_is_clamped_and_counted)
{
	struct hist h;
	struct error err;

	ck_assert_int_eq(hist_init(&h, 10000, 2, &err), 0);
	hist_record(&h, 5);
	hist_record(&h, 10000);
	hist_record(&h, 10001);
	hist_record_n(&h, INT64_MAX, 3);
	ck_assert_uint_eq(hist_count(&h), 6);
	ck_assert_uint_eq(h.overflow, 4);
	ck_assert_int_eq(hist_max(&h), 10000);
	ck_assert_int_eq(hist_quantile(&h, 1.0), 10000);
	ck_assert_int_eq(hist_quantile(&h, 0.99), 10000);
	ck_assert_int_eq(hist_quantile(&h, 0.1), 5);
	hist_release(&h);
}
END_TEST

START_TEST(empty_reports_zeros)
{
	struct hist h;
	struct error err;
	size_t cur = 0;
	int64_t lo, hi;
	uint64_t n;

	ck_assert_int_eq(hist_init(&h, 100, 1, &err), 0);
	ck_assert_uint_eq(hist_count(&h), 0);
	ck_assert_double_eq(hist_mean(&h), 0);
	ck_assert_int_eq(hist_min(&h), 0);
	ck_assert_int_eq(hist_max(&h), 0);
	ck_assert_int_eq(hist_quantile(&h, 0.5), 0);
	ck_assert(!hist_next_bucket(&h, &cur, &lo, &hi, &n));
	hist_release(&h);
	hist_release(&h);       /* released storage may be released again */
}
END_TEST

START_TEST(reset_empties_and_keeps_parameters)
{
	struct hist h;
	struct error err;

	ck_assert_int_eq(hist_init(&h, 1000000, 3, &err), 0);
	for (int64_t i = 0; i < 1000; i++)
		hist_record(&h, i * 997);
	hist_record(&h, 2000000);
	hist_reset(&h);
	ck_assert_uint_eq(hist_count(&h), 0);
	ck_assert_uint_eq(h.overflow, 0);
	ck_assert_int_eq(hist_max(&h), 0);
	ck_assert_int_eq(h.highest, 1000000);
	ck_assert_int_eq(h.digits, 3);
	hist_record(&h, 42);
	ck_assert_int_eq(hist_min(&h), 42);
	ck_assert_int_eq(hist_quantile(&h, 0.5), 42);
	ck_assert_double_eq(hist_mean(&h), 42);
	hist_release(&h);
}
END_TEST

/* Every value lands in a bucket whose range contains it, ranges tile the
 * line in order, and widths respect the bound. */
START_TEST(buckets_tile_and_contain_their_values)
{
	struct hist h;
	struct error err;
	int64_t prev_hi = -1, lo, hi;
	uint64_t n, total = 0;
	size_t cur = 0;

	ck_assert_int_eq(hist_init(&h, INT64_MAX, 2, &err), 0);
	for (int bit = 0; bit < 63; bit++)
		for (int64_t d = -2; d <= 2; d++) {
			int64_t v = ((int64_t)1 << bit) + d;

			if (v >= 0)
				hist_record(&h, v);
		}
	hist_record(&h, INT64_MAX);
	for (int64_t v = 0; v < 5000; v++)
		hist_record(&h, v);
	while (hist_next_bucket(&h, &cur, &lo, &hi, &n)) {
		ck_assert_int_gt(lo, prev_hi);
		ck_assert_int_le(lo, hi);
		ck_assert((double)(hi - lo) <= 0.01 * (double)lo);
		prev_hi = hi;
		total += n;
	}
	ck_assert_uint_eq(total, hist_count(&h));
	ck_assert_uint_eq(h.overflow, 0);
	ck_assert_int_eq(prev_hi, INT64_MAX);
	/* Each single value maps into its own bucket's range. */
	for (int64_t v = 1; v > 0 && v < INT64_MAX / 3; v = v * 3 + 1) {
		hist_reset(&h);
		hist_record(&h, v);
		cur = 0;
		ck_assert(hist_next_bucket(&h, &cur, &lo, &hi, &n));
		ck_assert_int_le(lo, v);
		ck_assert_int_ge(hi, v);
	}
	hist_release(&h);
}
END_TEST

START_TEST(bad_parameters_are_input_errors)
{
	struct hist h;
	struct error err;

	error_clear(&err);
	ck_assert_int_eq(hist_init(&h, 1000, 0, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "significant digits 0"));
	ck_assert_ptr_null(h.counts);
	hist_release(&h);
	ck_assert_int_eq(hist_init(&h, 1000, 6, &err), ERR_INPUT);
	ck_assert_int_eq(hist_init(&h, 0, 2, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "highest"));
	ck_assert_int_eq(hist_init(&h, -5, 2, &err), ERR_INPUT);
	ck_assert_int_eq(hist_init(&h, 1, 5, &err), 0);
	hist_record(&h, 1);
	ck_assert_int_eq(hist_quantile(&h, 0.5), 1);
	hist_release(&h);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, quantiles_within_relative_error_bound);
	tcase_add_test(tc, merge_equals_recording_into_one);
	tcase_add_test(tc, merge_refuses_different_parameters);
	tcase_add_test(tc, overflow_is_clamped_and_counted);
	tcase_add_test(tc, empty_reports_zeros);
	tcase_add_test(tc, reset_empties_and_keeps_parameters);
	tcase_add_test(tc, buckets_tile_and_contain_their_values);
	tcase_add_test(tc, bad_parameters_are_input_errors);
}

CHECK_MAIN("hist", add_tests, 60)
