/* Tests for common/units.c: every accepted form, every rejected one, and
 * that canonical text reads back to the identical value. */
#include "common/units.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check_main.h"

START_TEST(integers_accept_separators_only_between_digits)
{
	struct error e;
	int64_t v;

	ck_assert_int_eq(units_parse_int("20000", &v, &e), 0);
	ck_assert_int_eq(v, 20000);
	ck_assert_int_eq(units_parse_int("20_000", &v, &e), 0);
	ck_assert_int_eq(v, 20000);
	ck_assert_int_eq(units_parse_int("-3", &v, &e), 0);
	ck_assert_int_eq(v, -3);
	ck_assert_int_eq(units_parse_int("9223372036854775807", &v, &e), 0);
	ck_assert_int_eq(v, INT64_MAX);
	const char *bad[] = { "", "_1", "1_", "1__0", "1e6", "0x10", "12a", " 1", "+", "1.0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(units_parse_int(bad[i], &v, &e) == ERR_INPUT, "'%s' accepted", bad[i]);
		ck_assert_str_eq(e.msg, "");
	}
	ck_assert_int_eq(units_parse_int("9223372036854775808", &v, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "too large for a 64-bit integer");
}
END_TEST

START_TEST(reals_reject_inf_nan_and_hex)
{
	struct error e;
	double v;

	ck_assert_int_eq(units_parse_real("0.85", &v, &e), 0);
	ck_assert(v == 0.85);
	ck_assert_int_eq(units_parse_real("1e-3", &v, &e), 0);
	ck_assert(v == 1e-3);
	ck_assert_int_eq(units_parse_real("1_000.5", &v, &e), 0);
	ck_assert(v == 1000.5);
	const char *bad[] = { "", "inf", "nan", "0x1p3", "1.2.3", "e", "1,5", "." };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(units_parse_real(bad[i], &v, &e) == ERR_INPUT, "'%s' accepted", bad[i]);
	ck_assert_int_eq(units_parse_real("1e400", &v, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "too large");
}
END_TEST

START_TEST(booleans)
{
	struct error e;
	bool v;

	ck_assert_int_eq(units_parse_bool("YES", &v, &e), 0);
	ck_assert(v);
	ck_assert_int_eq(units_parse_bool("off", &v, &e), 0);
	ck_assert(!v);
	ck_assert_int_eq(units_parse_bool("0", &v, &e), 0);
	ck_assert(!v);
	ck_assert_int_eq(units_parse_bool("maybe", &v, &e), ERR_INPUT);
	ck_assert_int_eq(units_parse_bool("", &v, &e), ERR_INPUT);
}
END_TEST

START_TEST(durations_need_a_unit_and_are_exact)
{
	struct error e;
	int64_t v;

	ck_assert_int_eq(units_parse_duration("250ms", &v, &e), 0);
	ck_assert_int_eq(v, 250000);
	ck_assert_int_eq(units_parse_duration("30s", &v, &e), 0);
	ck_assert_int_eq(v, 30000000);
	ck_assert_int_eq(units_parse_duration("5min", &v, &e), 0);
	ck_assert_int_eq(v, 300000000);
	ck_assert_int_eq(units_parse_duration("1.5h", &v, &e), 0);
	ck_assert_int_eq(v, 5400000000LL);
	ck_assert_int_eq(units_parse_duration("3d", &v, &e), 0);
	ck_assert_int_eq(v, 3 * 86400000000LL);
	ck_assert_int_eq(units_parse_duration("7us", &v, &e), 0);
	ck_assert_int_eq(v, 7);
	/* 0.1 has no exact binary form; integer arithmetic keeps it exact. */
	ck_assert_int_eq(units_parse_duration("0.1s", &v, &e), 0);
	ck_assert_int_eq(v, 100000);
	ck_assert_int_eq(units_parse_duration("-2s", &v, &e), 0);
	ck_assert_int_eq(v, -2000000);

	ck_assert_int_eq(units_parse_duration("30", &v, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "");
	ck_assert_int_eq(units_parse_duration("s", &v, &e), ERR_INPUT);
	ck_assert_int_eq(units_parse_duration("1.s", &v, &e), ERR_INPUT);
	ck_assert_int_eq(units_parse_duration("30 s", &v, &e), ERR_INPUT);
	ck_assert_int_eq(units_parse_duration("5sec", &v, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "unknown unit 'sec'");
	ck_assert_int_eq(units_parse_duration("0.5us", &v, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "not a whole number of microseconds");
	ck_assert_int_eq(units_parse_duration("200000d", &v, &e), 0);
	ck_assert_int_eq(units_parse_duration("2000000000d", &v, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "too large");
}
END_TEST

START_TEST(sizes_binary_and_decimal)
{
	struct error e;
	int64_t v;

	ck_assert_int_eq(units_parse_size("512B", &v, &e), 0);
	ck_assert_int_eq(v, 512);
	ck_assert_int_eq(units_parse_size("64KiB", &v, &e), 0);
	ck_assert_int_eq(v, 65536);
	ck_assert_int_eq(units_parse_size("5MiB", &v, &e), 0);
	ck_assert_int_eq(v, 5 * 1048576);
	ck_assert_int_eq(units_parse_size("1GiB", &v, &e), 0);
	ck_assert_int_eq(v, 1073741824);
	ck_assert_int_eq(units_parse_size("5MB", &v, &e), 0);
	ck_assert_int_eq(v, 5000000);
	ck_assert_int_eq(units_parse_size("2kB", &v, &e), 0);
	ck_assert_int_eq(v, 2000);
	ck_assert_int_eq(units_parse_size("1.5KiB", &v, &e), 0);
	ck_assert_int_eq(v, 1536);
	ck_assert_int_eq(units_parse_size("1024", &v, &e), ERR_INPUT);
	ck_assert_int_eq(units_parse_size("1.5B", &v, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "not a whole number of bytes");
	ck_assert_int_eq(units_parse_size("5mb", &v, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "unknown unit 'mb'");
}
END_TEST

START_TEST(percentages_are_fractions)
{
	struct error e;
	double v;

	ck_assert_int_eq(units_parse_percent("50%", &v, &e), 0);
	ck_assert(v == 0.5);
	ck_assert_int_eq(units_parse_percent("12.5%", &v, &e), 0);
	ck_assert(v == 0.125);
	ck_assert_int_eq(units_parse_percent("0.5", &v, &e), ERR_INPUT);
	ck_assert_int_eq(units_parse_percent("%", &v, &e), ERR_INPUT);
	ck_assert_int_eq(units_parse_percent("50 %", &v, &e), ERR_INPUT);
}
END_TEST

START_TEST(times_of_day_and_dates)
{
	struct error e;
	int64_t v;

	ck_assert_int_eq(units_parse_timeofday("22:00", &v, &e), 0);
	ck_assert_int_eq(v, 22 * 3600000000LL);
	ck_assert_int_eq(units_parse_timeofday("7:05:09", &v, &e), 0);
	ck_assert_int_eq(v, (7 * 3600 + 5 * 60 + 9) * 1000000LL);
	ck_assert_int_eq(units_parse_timeofday("24:00", &v, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "no such time of day");
	ck_assert_int_eq(units_parse_timeofday("22", &v, &e), ERR_INPUT);
	ck_assert_int_eq(units_parse_timeofday("22:0", &v, &e), ERR_INPUT);
	ck_assert_int_eq(units_parse_timeofday("22h", &v, &e), ERR_INPUT);

	ck_assert_int_eq(units_parse_date("1970-01-01", &v, &e), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(units_parse_date("2022-05-02", &v, &e), 0);
	ck_assert_int_eq(v, 19114);
	/* 19114 days after a Thursday is a Monday: 19114 % 7 == 4. */
	ck_assert_int_eq((v + 3) % 7, 0);
	ck_assert_int_eq(units_parse_date("2024-02-29", &v, &e), 0);
	ck_assert_int_eq(units_parse_date("2023-02-29", &v, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "day 29 does not exist in 2023-02");
	ck_assert_int_eq(units_parse_date("2022-13-01", &v, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "month 13 does not exist");
	ck_assert_int_eq(units_parse_date("2022-5-2", &v, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "");
}
END_TEST

START_TEST(civil_days_round_trip)
{
	for (int64_t d = -800000; d <= 800000; d += 37) {
		int64_t y;
		unsigned m, dd;

		units_civil_from_days(d, &y, &m, &dd);
		ck_assert_int_eq(units_days_from_civil(y, m, dd), d);
	}
}
END_TEST

START_TEST(canonical_forms)
{
	char b[UNITS_FORMAT_MAX];

	ck_assert_str_eq(units_format_duration(0, b, sizeof(b)), "0s");
	ck_assert_str_eq(units_format_duration(90 * 60000000LL, b, sizeof(b)), "90min");
	ck_assert_str_eq(units_format_duration(2 * 86400000000LL, b, sizeof(b)), "2d");
	ck_assert_str_eq(units_format_duration(250000, b, sizeof(b)), "250ms");
	ck_assert_str_eq(units_format_duration(1500001, b, sizeof(b)), "1500001us");
	ck_assert_str_eq(units_format_duration(-30000000, b, sizeof(b)), "-30s");
	ck_assert_str_eq(units_format_size(0, b, sizeof(b)), "0B");
	ck_assert_str_eq(units_format_size(5 * 1048576, b, sizeof(b)), "5MiB");
	ck_assert_str_eq(units_format_size(5000000, b, sizeof(b)), "5MB");
	ck_assert_str_eq(units_format_size(1536, b, sizeof(b)), "1536B");
	ck_assert_str_eq(units_format_percent(0.5, b, sizeof(b)), "50%");
	ck_assert_str_eq(units_format_percent(0.125, b, sizeof(b)), "12.5%");
	ck_assert_str_eq(units_format_percent(1, b, sizeof(b)), "100%");
	ck_assert_str_eq(units_format_real(0.85, b, sizeof(b)), "0.85");
	ck_assert_str_eq(units_format_real(20000, b, sizeof(b)), "20000");
	ck_assert_str_eq(units_format_real(1e-9, b, sizeof(b)), "1e-09");
	ck_assert_str_eq(units_format_timeofday(22 * 3600000000LL, b, sizeof(b)), "22:00");
	ck_assert_str_eq(units_format_timeofday(61000000, b, sizeof(b)), "00:01:01");
	ck_assert_str_eq(units_format_date(19114, b, sizeof(b)), "2022-05-02");
	ck_assert_str_eq(units_format_int(-42, b, sizeof(b)), "-42");
	ck_assert_str_eq(units_format_bool(true, b, sizeof(b)), "true");
}
END_TEST

/* Whatever a formatter writes, the parser reads back bit for bit: the
 * property `airtime validate` output relies on to re-read as the same
 * scenario.  Values come from a fixed LCG so the test is deterministic. */
START_TEST(formatted_values_read_back_identically)
{
	uint64_t x = 12345;
	char b[UNITS_FORMAT_MAX];
	struct error e;

	for (int i = 0; i < 20000; i++) {
		int64_t iv, back;
		double dv, dback;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		iv = (int64_t)(x >> 20) - (int64_t)(1ULL << 43);
		ck_assert_int_eq(units_parse_duration(units_format_duration(iv, b, sizeof(b)),
						      &back, &e), 0);
		ck_assert_int_eq(back, iv);
		ck_assert_int_eq(units_parse_size(units_format_size(iv, b, sizeof(b)), &back, &e), 0);
		ck_assert_int_eq(back, iv);
		/* fractions like those written as percentages: k / 10^j */
		dv = (double)(x % 100000) / pow(10, (double)(x >> 60));
		dv = dv / 100.0;
		ck_assert_int_eq(units_parse_percent(units_format_percent(dv, b, sizeof(b)),
						     &dback, &e), 0);
		ck_assert_msg(dback == dv, "%.17g -> %s -> %.17g", dv, b, dback);
		dv = ldexp((double)(x >> 11), (int)(x % 200) - 100 - 53);
		ck_assert_int_eq(units_parse_real(units_format_real(dv, b, sizeof(b)), &dback, &e), 0);
		ck_assert_msg(dback == dv, "%.17g -> %s -> %.17g", dv, b, dback);
	}
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, integers_accept_separators_only_between_digits);
	tcase_add_test(tc, reals_reject_inf_nan_and_hex);
	tcase_add_test(tc, booleans);
	tcase_add_test(tc, durations_need_a_unit_and_are_exact);
	tcase_add_test(tc, sizes_binary_and_decimal);
	tcase_add_test(tc, percentages_are_fractions);
	tcase_add_test(tc, times_of_day_and_dates);
	tcase_add_test(tc, civil_days_round_trip);
	tcase_add_test(tc, canonical_forms);
	tcase_add_test(tc, formatted_values_read_back_identically);
}

CHECK_MAIN("units", add_tests, 20)
