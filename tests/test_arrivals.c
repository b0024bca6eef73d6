/* Tests for sim/arrivals.c: the rate function by chi-square, Poisson gaps
 * by Kolmogorov-Smirnov, per-user streams and the sorted day buffer. */
#include "sim/arrivals.h"
#include "sim/world.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "tests/check_main.h"
#include "tests/defaults.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Hourly counts of N users (activity 1, UTC) on a Saturday against the
 * integral of the rate:  E_h = N spd/24 W (1 + A 24/(2 pi) [sin(2pi(h+1-P)/24)
 * - sin(2pi(h-P)/24)]).  Each hour's count is Poisson(E_h), independent of
 * the others, so sum (O-E)^2/E is chi-square with 24 degrees of freedom
 * (nothing is fitted); its 0.999 quantile is 51.18. */
START_TEST(hourly_counts_match_rate_function)
{
	struct arrivals_config c;
	enum { N = 20000 };
	double obs[24] = {0}, chi = 0;
	simtime buf[512];
	int64_t day = 5;   /* a Saturday with the epoch on a Monday */

	c = test_defaults()->sim.traffic;
	c.weekend_factor = 1.5;
	for (uint32_t u = 0; u < N; u++) {
		size_t n = arrivals_user_day(&c, 42, u, 1.0, 0, day, buf, 512);

		ck_assert_uint_le(n, 512);
		for (size_t i = 0; i < n; i++) {
			ck_assert(buf[i] >= day * SIMTIME_DAY && buf[i] < (day + 1) * SIMTIME_DAY);
			if (i)
				ck_assert(buf[i] >= buf[i - 1]);
			obs[(buf[i] - day * SIMTIME_DAY) / SIMTIME_HOUR]++;
		}
	}
	for (int h = 0; h < 24; h++) {
		double k = 2 * M_PI / 24, P = c.peak_hour;
		double e = N * c.sessions_per_day / 24 * c.weekend_factor *
			   (1 + c.daily_amplitude / k * (sin(k * (h + 1 - P)) - sin(k * (h - P))));

		chi += (obs[h] - e) * (obs[h] - e) / e;
	}
	ck_assert_double_lt(chi, 51.18);
}
END_TEST

/* With a flat profile the process is homogeneous: gaps are Exp(rate).
 * KS statistic D_n against 1 - exp(-rate x); the asymptotic 0.001 critical
 * value is 1.949 / sqrt(n).  (Gaps are those completed within a day; with
 * ~2400 events a day the truncation bias is ~1/2400, far below 1.949/sqrt(n).) */
START_TEST(constant_rate_gaps_pass_ks)
{
	struct arrivals_config c;
	enum { USERS = 6 };
	static double gaps[USERS * 4000];
	simtime buf[4000];
	size_t n = 0;
	double rate = 100.0 / SIMTIME_HOUR, d = 0;

	c = test_defaults()->sim.traffic;
	c.daily_amplitude = 0;
	c.weekend_factor = 1;
	c.sessions_per_day = 2400;
	for (uint32_t u = 0; u < USERS; u++) {
		size_t k = arrivals_user_day(&c, 7, u, 1.0, -300, 2, buf, 4000);
		simtime prev = 2 * SIMTIME_DAY;

		ck_assert_uint_le(k, 4000);
		for (size_t i = 0; i < k; i++) {
			gaps[n++] = (double)(buf[i] - prev);
			prev = buf[i];
		}
	}
	qsort(gaps, n, sizeof(gaps[0]), cmp_double);
	for (size_t i = 0; i < n; i++) {
		double f = 1 - exp(-rate * gaps[i]);
		double hi = (double)(i + 1) / n - f, lo = f - (double)i / n;

		d = fmax(d, fmax(hi, lo));
	}
	ck_assert_uint_gt(n, 10000);
	ck_assert_double_lt(d, 1.949 / sqrt((double)n));
}
END_TEST

START_TEST(rate_follows_local_time_and_weekend)
{
	struct arrivals_config c;

	c = test_defaults()->sim.traffic;
	/* Peak at 20:00 local: for UTC-5 that is 01:00 UTC of the next day. */
	ck_assert_double_eq_tol(arrivals_rate(&c, 1, -300, SIMTIME_DAY + SIMTIME_HOUR),
				3.0 / 24 * 1.6, 1e-9);
	ck_assert_double_eq_tol(arrivals_rate(&c, 2, 0, 5 * SIMTIME_DAY + 20 * SIMTIME_HOUR),
				2 * 3.0 / 24 * 1.6 * 1.2, 1e-9);
	ck_assert_int_eq(arrivals_weekday_of_date(0), 3);       /* 1970-01-01 Thursday */
	ck_assert_int_eq(arrivals_weekday_of_date(19114), 0);   /* 2022-05-02 Monday */
}
END_TEST

/* The day buffer is sorted by (time, user) and equals the per-user streams. */
START_TEST(day_buffer_is_sorted_and_matches_user_streams)
{
	struct world_config wc;
	struct arrivals_config c;
	struct error err;
	struct world *w;
	struct arrivals *a;
	simtime buf[512];
	size_t total = 0, n;

	wc = test_defaults()->sim.world;
	wc.n_users = 3000;
	wc.n_creators = 10;
	w = world_new(&wc, 3, SIMTIME_DAY, &err);
	ck_assert_ptr_nonnull(w);
	c = test_defaults()->sim.traffic;
	a = arrivals_new(&c, 3, w, &err);
	ck_assert_ptr_nonnull(a);
	n = arrivals_generate_day(a, 1);
	for (size_t i = 1; i < n; i++) {
		ck_assert(arrivals_time(a, i - 1) < arrivals_time(a, i) ||
			  (arrivals_time(a, i - 1) == arrivals_time(a, i) &&
			   arrivals_user(a, i - 1) < arrivals_user(a, i)));
	}
	for (uint32_t u = 0; u < 3000; u++)
		total += arrivals_user_day(&c, 3, u, world_user_activity(w, u),
					   world_user_utc_offset_min(w, u), 1, buf, 512);
	ck_assert_uint_eq(total, n);
	c.daily_amplitude = 1.5;
	ck_assert_ptr_null(arrivals_new(&c, 3, w, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	arrivals_free(a);
	world_free(w);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, hourly_counts_match_rate_function);
	tcase_add_test(tc, constant_rate_gaps_pass_ks);
	tcase_add_test(tc, rate_follows_local_time_and_weekend);
	tcase_add_test(tc, day_buffer_is_sorted_and_matches_user_streams);
}

CHECK_MAIN("arrivals", add_tests, 60)
