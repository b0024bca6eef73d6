/* Tests for common/series.c: bucketing, counts and sums, extremes, gauges
 * carried forward, per-bucket histograms, bad parameters. */
#include "common/series.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check_main.h"

START_TEST(records_land_in_their_buckets)
{
	struct error err;
	struct series *s = series_new("latency", 1000, SIMTIME_MIN, 3, 0, 0, &err);

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(series_name(s), "latency");
	ck_assert_int_eq(series_start(s), 1000);
	ck_assert_int_eq(series_width(s), SIMTIME_MIN);
	ck_assert_uint_eq(series_len(s), 3);
	ck_assert_int_eq(series_bucket_start(s, 2), 1000 + 2 * SIMTIME_MIN);
	series_record(s, 1000, 10);                         /* first instant */
	series_record(s, 1000 + SIMTIME_MIN - 1, 30);       /* last of bucket 0 */
	series_record(s, 1000 + SIMTIME_MIN, -4);           /* first of bucket 1 */
	series_record(s, 1000 + 3 * SIMTIME_MIN - 1, 7);    /* last instant */
	ck_assert_uint_eq(series_bucket_count(s, 0), 2);
	ck_assert_double_eq(series_bucket_sum(s, 0), 40);
	ck_assert_double_eq(series_bucket_mean(s, 0), 20);
	ck_assert_int_eq(series_bucket_min(s, 0), 10);
	ck_assert_int_eq(series_bucket_max(s, 0), 30);
	ck_assert_int_eq(series_bucket_min(s, 1), -4);
	ck_assert_int_eq(series_bucket_max(s, 1), -4);
	ck_assert_uint_eq(series_bucket_count(s, 2), 1);
	ck_assert_ptr_null(series_bucket_hist(s, 0));
	series_free(s);
	series_free(NULL);
}
END_TEST

START_TEST(empty_buckets_report_zeros)
{
	struct error err;
	struct series *s = series_new("x", 0, 10, 2, 0, 0, &err);

	series_record(s, 15, 5);
	ck_assert_uint_eq(series_bucket_count(s, 0), 0);
	ck_assert_double_eq(series_bucket_mean(s, 0), 0);
	ck_assert_int_eq(series_bucket_min(s, 0), 0);
	ck_assert_int_eq(series_bucket_max(s, 0), 0);
	ck_assert_int_eq(series_bucket_last(s, 0), 0);
	series_free(s);
}
END_TEST

START_TEST(count_adds_without_values)
{
	struct error err;
	struct series *s = series_new("events", 0, SIMTIME_S, 4, 0, 0, &err);

	series_count(s, 0, 3);
	series_count(s, SIMTIME_S / 2, 4);
	series_count(s, 3 * SIMTIME_S, 1);
	ck_assert_uint_eq(series_bucket_count(s, 0), 7);
	ck_assert_uint_eq(series_bucket_count(s, 1), 0);
	ck_assert_uint_eq(series_bucket_count(s, 3), 1);
	ck_assert_double_eq(series_bucket_sum(s, 0), 0);
	ck_assert_int_eq(series_bucket_max(s, 0), 0);
	series_free(s);
}
END_TEST

START_TEST(gauges_keep_last_and_extremes_and_carry_forward)
{
	struct error err;
	struct series *s = series_new("instances", 0, 100, 5, 0, 0, &err);

	series_gauge(s, 10, 4);
	series_gauge(s, 20, 9);
	series_gauge(s, 30, 6);
	series_gauge(s, 250, 2);
	ck_assert_int_eq(series_bucket_last(s, 0), 6);
	ck_assert_int_eq(series_bucket_max(s, 0), 9);
	ck_assert_int_eq(series_bucket_min(s, 0), 4);
	ck_assert_int_eq(series_bucket_last(s, 1), 6);      /* carried */
	ck_assert_int_eq(series_bucket_max(s, 1), 0);       /* nothing set there */
	ck_assert_int_eq(series_bucket_last(s, 2), 2);
	ck_assert_int_eq(series_bucket_last(s, 4), 2);
	ck_assert_uint_eq(series_bucket_count(s, 0), 0);
	series_free(s);
}
END_TEST

START_TEST(per_bucket_histograms_give_quantiles)
{
	struct error err;
	struct series *s = series_new("p99", 0, SIMTIME_MIN, 2, SIMTIME_MIN, 3, &err);

	ck_assert_ptr_nonnull(s);
	/* Percentile series take values in time order (the engine records
	 * at the current simulated time). */
	for (int64_t v = 1; v <= 1000; v++)
		series_record(s, v, v);                      /* bucket 0: 1..1000 */
	for (int64_t v = 1; v <= 1000; v++)
		series_record(s, SIMTIME_MIN + v, 10 * v);   /* bucket 1: 10..10000 */
	/* Values below 2^11 are exact with 3 digits; above, within 0.1 %. */
	ck_assert_int_eq(series_bucket_quantile(s, 0, 0.5), 500);
	ck_assert_int_eq(series_bucket_quantile(s, 0, 0.99), 990);
	ck_assert_int_ge(series_bucket_quantile(s, 1, 0.99), 9900);
	ck_assert_int_le(series_bucket_quantile(s, 1, 0.99), 9910);
	ck_assert_uint_eq(hist_count(series_bucket_hist(s, 1)), 1000);
	ck_assert_int_eq(series_bucket_max(s, 1), 10000);
	/* The closed bucket kept p50/p90/p95/p99/p99.9 and nothing else. */
	ck_assert_ptr_null(series_bucket_hist(s, 0));
	ck_assert_int_eq(series_bucket_quantile(s, 0, 0.9), 900);
	ck_assert_int_eq(series_bucket_quantile(s, 0, 0.999), 999);
	series_free(s);
}
END_TEST

static void record_back_in_time(void)
{
	struct error err;
	struct series *s = series_new("p99", 0, SIMTIME_MIN, 2, SIMTIME_MIN, 3, &err);

	series_record(s, SIMTIME_MIN, 1);
	series_record(s, 0, 1); /* bucket 0 after bucket 1 opened: BUG */
	series_free(s);
}

START_TEST(percentile_values_must_come_in_time_order)
{
	record_back_in_time();
}
END_TEST

START_TEST(gauges_carry_forward_in_constant_time)
{
	struct error err;
	struct series *s = series_new("g", 0, 1, 10, 0, 0, &err);

	series_gauge(s, 2, 5);
	series_gauge(s, 6, 9);
	ck_assert_int_eq(series_bucket_last(s, 1), 0);
	ck_assert_int_eq(series_bucket_last(s, 2), 5);
	ck_assert_int_eq(series_bucket_last(s, 5), 5);
	ck_assert_int_eq(series_bucket_last(s, 6), 9);
	ck_assert_int_eq(series_bucket_last(s, 9), 9);
	series_gauge(s, 4, 7); /* late set of an earlier bucket */
	ck_assert_int_eq(series_bucket_last(s, 3), 5);
	ck_assert_int_eq(series_bucket_last(s, 4), 7);
	ck_assert_int_eq(series_bucket_last(s, 5), 7);
	ck_assert_int_eq(series_bucket_last(s, 6), 9);
	series_free(s);
}
END_TEST

START_TEST(bad_parameters_are_input_errors)
{
	struct error err;

	error_clear(&err);
	ck_assert_ptr_null(series_new("w", 0, 0, 10, 0, 0, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "series 'w': bucket width 0"));
	ck_assert_ptr_null(series_new("n", 0, 10, 0, 0, 0, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "bucket count"));
	ck_assert_ptr_null(series_new("big", 0, SIMTIME_DAY, SIZE_MAX / 2, 0, 0, &err));
	ck_assert_ptr_null(series_new("", 0, 10, 10, 0, 0, &err));
	ck_assert_ptr_null(series_new(NULL, 0, 10, 10, 0, 0, &err));
	ck_assert_ptr_null(series_new("h", 0, 10, 10, -1, 2, &err));
	error_clear(&err);
	ck_assert_ptr_null(series_new("d", 0, 10, 10, 1000, 9, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "series 'd': histogram: significant digits 9"));
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, records_land_in_their_buckets);
	tcase_add_test(tc, empty_buckets_report_zeros);
	tcase_add_test(tc, count_adds_without_values);
	tcase_add_test(tc, gauges_keep_last_and_extremes_and_carry_forward);
	tcase_add_test(tc, per_bucket_histograms_give_quantiles);
	tcase_add_test_raise_signal(tc, percentile_values_must_come_in_time_order, SIGABRT);
	tcase_add_test(tc, gauges_carry_forward_in_constant_time);
	tcase_add_test(tc, bad_parameters_are_input_errors);
}

CHECK_MAIN("series", add_tests, 30)
