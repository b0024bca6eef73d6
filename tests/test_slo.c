/* Tests for stats/slo.c: rows from histograms, times, availabilities and
 * plain values, with their verdicts (strict "<" for times, ">=" for
 * availability, "<=" for values), "no data" counted as neither, the error
 * budget note, the unit formatting, and a full table. */
#include "stats/slo.h"

#include <check.h>
#include <math.h>
#include <string.h>

#include "tests/check_main.h"

static void hist_of(struct hist *h, int64_t value, int n)
{
	struct error err;

	ck_assert_int_eq(hist_init(h, 3600LL * 1000000, 3, &err), 0);
	for (int i = 0; i < n; i++)
		hist_record(h, value);
}

START_TEST(times_print_with_a_readable_unit)
{
	char b[32];

	slo_format_us(b, sizeof(b), 2.5);
	ck_assert_str_eq(b, "2.50 us");
	slo_format_us(b, sizeof(b), 10);
	ck_assert_str_eq(b, "10 us");
	slo_format_us(b, sizeof(b), 999);
	ck_assert_str_eq(b, "999 us");
	slo_format_us(b, sizeof(b), 1000);
	ck_assert_str_eq(b, "1.0 ms");
	slo_format_us(b, sizeof(b), 12345);
	ck_assert_str_eq(b, "12.3 ms");
	slo_format_us(b, sizeof(b), 1e6);
	ck_assert_str_eq(b, "1.0 s");
	slo_format_us(b, sizeof(b), 119e6);
	ck_assert_str_eq(b, "119.0 s");
	slo_format_us(b, sizeof(b), 186e6);
	ck_assert_str_eq(b, "3.1 min");
}
END_TEST

/* A quantile row passes only strictly below its limit; an empty
 * histogram is "no data". */
START_TEST(quantile_rows_and_their_verdicts)
{
	struct slo_table t;
	struct hist h, empty;
	size_t pass, fail;

	hist_of(&h, 5000, 100);
	hist_of(&empty, 0, 0);
	slo_init(&t);
	slo_add_quantile(&t, "latency p99", &h, 0.99, 10000, false);
	slo_add_quantile(&t, "latency p99 at its limit", &h, 0.99, 5000, false);
	slo_add_quantile(&t, "nothing measured", &empty, 0.99, 10000, false);
	slo_add_max(&t, "scoring max", &h, 6000, true);
	ck_assert_uint_eq(t.n, 4);
	ck_assert_str_eq(t.rows[0].name, "latency p99");
	ck_assert_str_eq(t.rows[0].observed, "5.0 ms");
	ck_assert_str_eq(t.rows[0].target, "< 10.0 ms");
	ck_assert_str_eq(t.rows[0].note, "100 samples");
	ck_assert_double_eq(t.rows[0].value, 5000);
	ck_assert_double_eq(t.rows[0].limit, 10000);
	ck_assert_int_eq(t.rows[0].verdict, SLO_PASS);
	ck_assert(!t.rows[0].host_measured);
	ck_assert_int_eq(t.rows[1].verdict, SLO_FAIL);
	ck_assert_int_eq(t.rows[2].verdict, SLO_NO_DATA);
	ck_assert_str_eq(t.rows[2].observed, "no data");
	ck_assert_int_eq(t.rows[3].verdict, SLO_PASS);
	ck_assert(t.rows[3].host_measured);
	ck_assert_str_eq(t.rows[3].note, "100 samples; host wall-clock");
	slo_counts(&t, &pass, &fail);
	ck_assert_uint_eq(pass, 2);
	ck_assert_uint_eq(fail, 1);
	hist_release(&h);
	hist_release(&empty);
}
END_TEST

START_TEST(time_rows_need_samples)
{
	struct slo_table t;

	slo_init(&t);
	slo_add_time(&t, "feature read p99", 850, 1000, 12, true);
	slo_add_time(&t, "feature read p99 (none)", 850, 1000, 0, true);
	slo_add_time(&t, "slow", 1500, 1000, 3, false);
	ck_assert_int_eq(t.rows[0].verdict, SLO_PASS);
	ck_assert_str_eq(t.rows[0].observed, "850 us");
	ck_assert_str_eq(t.rows[0].target, "< 1.0 ms");
	ck_assert_str_eq(t.rows[0].note, "12 samples; host wall-clock");
	ck_assert_int_eq(t.rows[1].verdict, SLO_NO_DATA);
	ck_assert_int_eq(t.rows[2].verdict, SLO_FAIL);
	ck_assert_str_eq(t.rows[2].note, "3 samples");
}
END_TEST

/* Availability passes at or above its target; the note says how much of
 * the error budget (1 - target) x total was spent. */
START_TEST(availability_and_error_budget)
{
	struct slo_table t;

	slo_init(&t);
	slo_add_availability(&t, "availability", 990, 1000, 0.99);
	slo_add_availability(&t, "availability low", 980, 1000, 0.99);
	slo_add_availability(&t, "idle", 0, 0, 0.99);
	slo_add_availability(&t, "perfect target", 999, 1000, 1.0);
	slo_add_availability(&t, "perfect and met", 1000, 1000, 1.0);
	ck_assert_int_eq(t.rows[0].verdict, SLO_PASS);
	ck_assert_str_eq(t.rows[0].observed, "99.000 %");
	ck_assert_str_eq(t.rows[0].target, ">= 99.00 %");
	ck_assert_str_eq(t.rows[0].note, "10 of 1000 failed; error budget spent: 100 %");
	ck_assert_int_eq(t.rows[1].verdict, SLO_FAIL);
	ck_assert_str_eq(t.rows[1].note, "20 of 1000 failed; error budget spent: 200 %");
	ck_assert_int_eq(t.rows[2].verdict, SLO_NO_DATA);
	ck_assert_int_eq(t.rows[3].verdict, SLO_FAIL);
	ck_assert_str_eq(t.rows[3].note, "1 of 1000 failed; error budget spent: inf %");
	ck_assert_int_eq(t.rows[4].verdict, SLO_PASS);
	ck_assert_str_eq(t.rows[4].note, "0 of 1000 failed; error budget spent: 0 %");
}
END_TEST

START_TEST(at_most_rows)
{
	struct slo_table t;
	size_t pass, fail;

	slo_init(&t);
	slo_add_at_most(&t, "reflection", 0.5, 0.5, "min");
	slo_add_at_most(&t, "reflection over", 0.51, 0.5, "min");
	slo_add_at_most(&t, "reflection unknown", NAN, 0.5, "min");
	ck_assert_int_eq(t.rows[0].verdict, SLO_PASS);
	ck_assert_str_eq(t.rows[0].observed, "0.50 min");
	ck_assert_str_eq(t.rows[0].target, "<= 0.50 min");
	ck_assert_int_eq(t.rows[1].verdict, SLO_FAIL);
	ck_assert_int_eq(t.rows[2].verdict, SLO_NO_DATA);
	slo_counts(&t, &pass, &fail);
	ck_assert_uint_eq(pass, 1);
	ck_assert_uint_eq(fail, 1);
	ck_assert_str_eq(slo_verdict_name(SLO_PASS), "pass");
	ck_assert_str_eq(slo_verdict_name(SLO_FAIL), "FAIL");
	ck_assert_str_eq(slo_verdict_name(SLO_NO_DATA), "no data");
}
END_TEST

/* A full table takes no more rows (and never writes past its end); a long
 * name is cut to the row's field. */
START_TEST(a_full_table_ignores_further_rows)
{
	struct slo_table t;
	char name[200];
	size_t cap = sizeof(t.rows) / sizeof(t.rows[0]);

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	slo_init(&t);
	for (size_t i = 0; i < cap + 5; i++)
		slo_add_at_most(&t, name, 1, 2, "x");
	ck_assert_uint_eq(t.n, cap);
	ck_assert_uint_eq(strlen(t.rows[0].name), sizeof(t.rows[0].name) - 1);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, times_print_with_a_readable_unit);
	tcase_add_test(tc, quantile_rows_and_their_verdicts);
	tcase_add_test(tc, time_rows_need_samples);
	tcase_add_test(tc, availability_and_error_budget);
	tcase_add_test(tc, at_most_rows);
	tcase_add_test(tc, a_full_table_ignores_further_rows);
}

CHECK_MAIN("slo", add_tests, 30)
