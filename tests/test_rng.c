/* Tests for common/rng.c: reproducibility, independence of derived streams. */
#include "common/rng.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "tests/check_main.h"

START_TEST(same_inputs_same_stream)
{
	struct rng a, b;

	rng_init(&a, 42, RNG_TEST, 7, 0);
	rng_init(&b, 42, RNG_TEST, 7, 0);
	for (int i = 0; i < 1000; i++)
		ck_assert_uint_eq(rng_u64(&a), rng_u64(&b));
}
END_TEST

START_TEST(streams_differ_by_each_coordinate)
{
	struct rng base, other;
	uint64_t x;

	rng_init(&base, 42, RNG_TEST, 7, 0);
	x = rng_u64(&base);
	rng_init(&other, 43, RNG_TEST, 7, 0);
	ck_assert_uint_ne(x, rng_u64(&other));
	rng_init(&other, 42, RNG_TEST + 1, 7, 0);
	ck_assert_uint_ne(x, rng_u64(&other));
	rng_init(&other, 42, RNG_TEST, 8, 0);
	ck_assert_uint_ne(x, rng_u64(&other));
	rng_init(&other, 42, RNG_TEST, 7, 1);
	ck_assert_uint_ne(x, rng_u64(&other));
}
END_TEST

/* An entity's draws do not depend on how many other entities exist or in
 * which order they are visited: the property that lets a scenario grow its
 * population without moving existing users. */
START_TEST(entity_draws_independent_of_population_and_order)
{
	enum { N = 1000 };
	static double small[N], large_rev[2 * N];
	struct rng r;

	for (int u = 0; u < N; u++) {
		rng_init(&r, 9, RNG_ARRIVALS, (uint64_t)u, 0);
		small[u] = gsl_ran_exponential(rng_gsl(&r), 2.0);
	}
	for (int u = 2 * N - 1; u >= 0; u--) {
		rng_init(&r, 9, RNG_ARRIVALS, (uint64_t)u, 0);
		large_rev[u] = gsl_ran_exponential(rng_gsl(&r), 2.0);
	}
	for (int u = 0; u < N; u++)
		ck_assert(small[u] == large_rev[u]);
}
END_TEST

/* Uniformity: chi-square over 100 bins for 1e6 draws.  With 99 degrees of
 * freedom the 0.999 quantile is 148.2; a correct generator fails this once
 * in a thousand seeds, and the seed is fixed. */
START_TEST(uniform_passes_chi_square)
{
	enum { BINS = 100, DRAWS = 1000000 };
	static long counts[BINS];
	struct rng r;
	double chi = 0, expect = (double)DRAWS / BINS;

	rng_init(&r, 1, RNG_TEST, 0, 0);
	for (int i = 0; i < DRAWS; i++)
		counts[(int)(rng_uniform(&r) * BINS)]++;
	for (int b = 0; b < BINS; b++)
		chi += (counts[b] - expect) * (counts[b] - expect) / expect;
	ck_assert_double_lt(chi, 148.2);
}
END_TEST

/* Adjacent entities' streams are uncorrelated: the sample correlation of
 * 1e5 paired first draws has sd 1/sqrt(1e5) = 0.0032; 5 sd bound. */
START_TEST(adjacent_entities_uncorrelated)
{
	enum { N = 100000 };
	struct rng a, b;
	double sx = 0, sy = 0, sxy = 0, sxx = 0, syy = 0, r;

	for (int u = 0; u < N; u++) {
		double x, y;

		rng_init(&a, 5, RNG_BEHAVIOUR, (uint64_t)u, 0);
		rng_init(&b, 5, RNG_BEHAVIOUR, (uint64_t)u + 1, 0);
		x = rng_uniform(&a);
		y = rng_uniform(&b);
		sx += x; sy += y; sxy += x * y; sxx += x * x; syy += y * y;
	}
	r = (sxy - sx * sy / N) / sqrt((sxx - sx * sx / N) * (syy - sy * sy / N));
	ck_assert_double_lt(fabs(r), 5.0 / sqrt(N));
}
END_TEST

START_TEST(below_is_in_range_and_unbiased)
{
	enum { N = 600000 };
	long counts[6] = { 0 };
	struct rng r;

	rng_init(&r, 3, RNG_TEST, 0, 0);
	for (int i = 0; i < N; i++) {
		uint64_t v = rng_below(&r, 6);

		ck_assert_uint_lt(v, 6);
		counts[v]++;
	}
	/* Each count ~ Binomial(N, 1/6): sd = 288.7; 6 sd bound. */
	for (int k = 0; k < 6; k++)
		ck_assert_int_lt(labs(counts[k] - N / 6), 6 * 289);
}
END_TEST

START_TEST(works_with_gsl_alloc)
{
	gsl_rng *g = gsl_rng_alloc(rng_type_xoshiro256);
	double u;

	gsl_rng_set(g, 123);
	u = gsl_rng_uniform(g);
	ck_assert(u >= 0 && u < 1);
	gsl_rng_free(g);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, same_inputs_same_stream);
	tcase_add_test(tc, streams_differ_by_each_coordinate);
	tcase_add_test(tc, entity_draws_independent_of_population_and_order);
	tcase_add_test(tc, uniform_passes_chi_square);
	tcase_add_test(tc, adjacent_entities_uncorrelated);
	tcase_add_test(tc, below_is_in_range_and_unbiased);
	tcase_add_test(tc, works_with_gsl_alloc);
}

CHECK_MAIN("rng", add_tests, 60)
