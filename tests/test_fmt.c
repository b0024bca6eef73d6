/* Tests for render/fmt.c: every number format of the reports, exactly,
 * with NaN and infinities as "n/a", cut to the buffer; the warnings list
 * (moved here from test_report.c); strict parsing of doubles. */
#include "render/fmt.h"

#include <check.h>
#include <math.h>
#include <string.h>

#include "common/error.h"
#include "tests/check_main.h"

START_TEST(numbers_have_four_significant_digits)
{
	char b[32];

	ck_assert_str_eq(fmt_num(b, sizeof(b), 1234.4), "1234");
	ck_assert_str_eq(fmt_num(b, sizeof(b), 0.01234), "0.01234");
	ck_assert_str_eq(fmt_num(b, sizeof(b), 1.5e9), "1.5e+09");
	ck_assert_str_eq(fmt_num(b, sizeof(b), 5e-5), "5e-05");
	ck_assert_str_eq(fmt_num(b, sizeof(b), 0), "0");
	ck_assert_str_eq(fmt_num(b, sizeof(b), -3), "-3");
	ck_assert_str_eq(fmt_num(b, sizeof(b), 12.3456), "12.35");
	ck_assert_str_eq(fmt_num(b, sizeof(b), 999999), "999999");
	ck_assert_str_eq(fmt_num(b, sizeof(b), NAN), "n/a");
	ck_assert_str_eq(fmt_num(b, sizeof(b), INFINITY), "n/a");
	ck_assert_str_eq(fmt_signed(b, sizeof(b), 0.25), "+0.25");
	ck_assert_str_eq(fmt_signed(b, sizeof(b), -3), "-3");
	ck_assert_str_eq(fmt_signed(b, sizeof(b), 0), "0");
	ck_assert_str_eq(fmt_signed(b, sizeof(b), 2e7), "+2e+07");
	ck_assert_str_eq(fmt_signed(b, sizeof(b), -INFINITY), "n/a");
}
END_TEST

START_TEST(percentages_and_intervals)
{
	char b[48];

	ck_assert_str_eq(fmt_pct(b, sizeof(b), 0.031), "+3.10 %");
	ck_assert_str_eq(fmt_pct(b, sizeof(b), -0.25), "-25.0 %");
	ck_assert_str_eq(fmt_pct(b, sizeof(b), 0.0005), "+0.050 %");
	ck_assert_str_eq(fmt_pct(b, sizeof(b), 0), "+0.00 %");
	ck_assert_str_eq(fmt_pct(b, sizeof(b), NAN), "n/a");
	ck_assert_str_eq(fmt_ci(b, sizeof(b), -0.12, 0.4), "[-0.12, +0.4]");
	ck_assert_str_eq(fmt_ci(b, sizeof(b), -0.12, NAN), "n/a");
	ck_assert_str_eq(fmt_pct_ci(b, sizeof(b), 0.01, 0.052), "[+1.00 %, +5.20 %]");
	ck_assert_str_eq(fmt_pct_ci(b, sizeof(b), INFINITY, 0.052), "n/a");
	ck_assert_str_eq(fmt_p(b, sizeof(b), 0.0002), "< 0.001");
	ck_assert_str_eq(fmt_p(b, sizeof(b), 0.001), "0.001");
	ck_assert_str_eq(fmt_p(b, sizeof(b), 0.61), "0.610");
	ck_assert_str_eq(fmt_p(b, sizeof(b), NAN), "n/a");
}
END_TEST

/* Simulated time as "day D HH:MM:SS", floor to the second; before the
 * epoch counts back from day -1. */
START_TEST(simulated_times)
{
	char b[48];

	ck_assert_str_eq(fmt_simtime(b, sizeof(b), 0), "day 0 00:00:00");
	ck_assert_str_eq(fmt_simtime(b, sizeof(b), 90123e6 + 999999), "day 1 01:02:03");
	ck_assert_str_eq(fmt_simtime(b, sizeof(b), -1e6), "day -1 23:59:59");
	ck_assert_str_eq(fmt_simtime(b, sizeof(b), 14 * 86400e6), "day 14 00:00:00");
	ck_assert_str_eq(fmt_simtime(b, sizeof(b), NAN), "n/a");
}
END_TEST

/* A buffer too small cuts the text, always terminated. */
START_TEST(small_buffers_cut_and_terminate)
{
	char b[4];

	ck_assert_str_eq(fmt_num(b, sizeof(b), 1234.4), "123");
	ck_assert_str_eq(fmt_pct(b, sizeof(b), 0.5), "+50");
	ck_assert_str_eq(fmt_p(b, sizeof(b), NAN), "n/a");
	ck_assert_str_eq(fmt_simtime(b, sizeof(b), 0), "day");
}
END_TEST

/* The warnings list of reports and comparisons: "; "-separated, cut to
 * the buffer, always terminated. */
START_TEST(append_joins_and_cuts)
{
	char buf[16] = "";

	ck_assert_str_eq(fmt_append(buf, sizeof(buf), "%s", "no gnuplot"), "no gnuplot");
	ck_assert_str_eq(fmt_append(buf, sizeof(buf), "p%d", 9), "no gnuplot; p9");
	ck_assert_str_eq(fmt_append(buf, sizeof(buf), "%s", "more"), "no gnuplot; p9");
	ck_assert_uint_eq(strlen(buf), 14);
	buf[0] = '\0';
	ck_assert_str_eq(fmt_append(buf, sizeof(buf), "%s", "a long warning text"),
			 "a long warning ");
}
END_TEST

START_TEST(doubles_parse_whole_and_finite)
{
	double v = -1;

	ck_assert_int_eq(fmt_parse_double("1.5", &v), 0);
	ck_assert_double_eq(v, 1.5);
	ck_assert_int_eq(fmt_parse_double("-2e3", &v), 0);
	ck_assert_double_eq(v, -2000);
	v = 7;
	ck_assert_int_eq(fmt_parse_double("1.5x", &v), ERR_INPUT);
	ck_assert_int_eq(fmt_parse_double("", &v), ERR_INPUT);
	ck_assert_int_eq(fmt_parse_double("inf", &v), ERR_INPUT);
	ck_assert_int_eq(fmt_parse_double("nan", &v), ERR_INPUT);
	ck_assert_int_eq(fmt_parse_double("1e999", &v), ERR_INPUT);
	ck_assert_double_eq(v, 7);                 /* untouched on failure */
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, numbers_have_four_significant_digits);
	tcase_add_test(tc, percentages_and_intervals);
	tcase_add_test(tc, simulated_times);
	tcase_add_test(tc, small_buffers_cut_and_terminate);
	tcase_add_test(tc, append_joins_and_cuts);
	tcase_add_test(tc, doubles_parse_whole_and_finite);
}

CHECK_MAIN("fmt", add_tests, 30)
