/* Tests for engine/freshness.c: the age of served batch features, missing
 * before any run, ages a day older after a failed day, per-interval series.
 * (The first test moved here from test_batch.c.) */
#include "engine/freshness.h"

#include <check.h>

#include "tests/check_main.h"

START_TEST(freshness_ages_grow_after_a_failed_day)
{
	struct error err;
	struct freshness *f = freshness_new(0, SIMTIME_HOUR, 72, &err);
	simtime day0 = 22 * SIMTIME_HOUR;

	ck_assert_msg(f, "%s", err.msg);
	freshness_record(f, 10 * SIMTIME_HOUR, -1);             /* before any run */
	ck_assert_uint_eq(freshness_missing(f), 1);
	ck_assert_int_eq(freshness_age(day0 + 2 * SIMTIME_HOUR, day0), 2 * SIMTIME_HOUR);
	freshness_record(f, day0 + 2 * SIMTIME_HOUR, day0);
	/* day 1's run failed: at day 2 02:00 the served data still ends day 0 22:00 */
	freshness_record(f, 2 * SIMTIME_DAY + 2 * SIMTIME_HOUR, day0);
	ck_assert_uint_eq(hist_count(freshness_hist(f)), 2);
	ck_assert_int_ge(hist_max(freshness_hist(f)),
			 SIMTIME_DAY + 4 * SIMTIME_HOUR - SIMTIME_DAY / 1000);
	freshness_free(f);
}
END_TEST

/* Ages never go negative (data_end after now: a clock at the boundary);
 * each request lands in the series bucket of its time with its age, and
 * the histogram holds every age. */
START_TEST(series_and_histogram_hold_every_age)
{
	struct error err;
	struct freshness *f = freshness_new(0, SIMTIME_HOUR, 4, &err);
	const struct series *s;

	ck_assert_msg(f, "%s", err.msg);
	ck_assert_int_eq(freshness_age(5, 10), 0);
	ck_assert_int_eq(freshness_age(10, -1), -1);
	freshness_record(f, 30 * SIMTIME_MIN, 0);                  /* bucket 0: 30 min */
	freshness_record(f, 90 * SIMTIME_MIN, 0);                  /* bucket 1: 90 min */
	freshness_record(f, 100 * SIMTIME_MIN, 40 * SIMTIME_MIN);  /* bucket 1: 60 min */
	freshness_record(f, 3 * SIMTIME_HOUR, 4 * SIMTIME_HOUR);   /* bucket 3: 0 */
	s = freshness_series(f);
	ck_assert_uint_eq(series_len(s), 4);
	ck_assert_uint_eq(series_bucket_count(s, 0), 1);
	ck_assert_uint_eq(series_bucket_count(s, 1), 2);
	ck_assert_uint_eq(series_bucket_count(s, 2), 0);
	ck_assert_uint_eq(series_bucket_count(s, 3), 1);
	ck_assert_double_eq(series_bucket_sum(s, 1), (double)(150 * SIMTIME_MIN));
	ck_assert_int_eq(series_bucket_max(s, 1), 90 * SIMTIME_MIN);
	ck_assert_int_eq(series_bucket_max(s, 3), 0);
	ck_assert_uint_eq(hist_count(freshness_hist(f)), 4);
	ck_assert_int_eq(hist_min(freshness_hist(f)), 0);
	ck_assert_int_eq(hist_max(freshness_hist(f)), 90 * SIMTIME_MIN);
	ck_assert_uint_eq(freshness_missing(f), 0);
	freshness_free(f);
	freshness_free(NULL);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, freshness_ages_grow_after_a_failed_day);
	tcase_add_test(tc, series_and_histogram_hold_every_age);
}

CHECK_MAIN("freshness", add_tests, 30)
