/* Tests for stats/metrics.c: attribution of events to users, periods, days. */
#include "stats/metrics.h"

#include "tests/check_main.h"

static struct event ev(int type, uint32_t user, simtime t, int source, int64_t value)
{
	struct event e = { 0 };

	e.type = (uint8_t)type;
	e.user = user;
	e.emit_time = t;
	e.source = (uint8_t)source;
	e.value = value;
	e.show = 1;
	return e;
}

START_TEST(events_count_in_their_period)
{
	struct metrics *m = metrics_new(3, 4, 3, 2 * SIMTIME_DAY);
	struct event e;

	metrics_set_arm(m, 1, 1);
	metrics_set_arm(m, 2, 2);
	e = ev(EVENT_NOTIFY_ENABLE, 2, 3 * SIMTIME_DAY + SIMTIME_HOUR, 0, 0);
	metrics_record(m, &e);
	e = ev(EVENT_APP_OPEN, 1, SIMTIME_HOUR, 0, 0);
	metrics_record(m, &e);
	e = ev(EVENT_LIKE, 1, 2 * SIMTIME_DAY, 0, 0); /* boundary: experiment */
	metrics_record(m, &e);
	e = ev(EVENT_FOLLOW, 1, 3 * SIMTIME_DAY, 0, 0);
	metrics_record(m, &e);
	e = ev(EVENT_LISTEN_START, 1, 3 * SIMTIME_DAY, EVENT_SOURCE_HOME, 0);
	metrics_record(m, &e);
	e = ev(EVENT_LISTEN_START, 1, 3 * SIMTIME_DAY, EVENT_SOURCE_NOTIFICATION, 0);
	metrics_record(m, &e);
	e = ev(EVENT_LISTEN_END, 1, 3 * SIMTIME_DAY, 0, 90 * SIMTIME_S);
	metrics_record(m, &e);
	e = ev(EVENT_SHOW_LIVE, EVENT_NONE, 3 * SIMTIME_DAY, 0, 0); /* no user: ignored */
	metrics_record(m, &e);

	ck_assert_double_eq(metrics_value(m, 1, METRIC_SESSIONS, METRICS_WARMUP), 1);
	ck_assert_double_eq(metrics_value(m, 1, METRIC_SESSIONS, METRICS_EXPERIMENT), 0);
	ck_assert_double_eq(metrics_value(m, 1, METRIC_ENGAGEMENT, METRICS_EXPERIMENT), 2);
	ck_assert_double_eq(metrics_value(m, 1, METRIC_LIKES, METRICS_EXPERIMENT), 1);
	ck_assert_double_eq(metrics_value(m, 1, METRIC_TUNE_INS, METRICS_EXPERIMENT), 2);
	ck_assert_double_eq(metrics_value(m, 1, METRIC_HOME_CLICKS, METRICS_EXPERIMENT), 1);
	ck_assert_double_eq_tol(metrics_value(m, 1, METRIC_LISTEN_MIN, METRICS_EXPERIMENT), 1.5, 1e-12);
	ck_assert_double_eq(metrics_value(m, 0, METRIC_ENGAGEMENT, METRICS_EXPERIMENT), 0);
	ck_assert_double_eq(metrics_daily(m, 2, 1, METRIC_ENGAGEMENT), 1);
	ck_assert_double_eq(metrics_daily(m, 3, 1, METRIC_ENGAGEMENT), 1);
	ck_assert_double_eq(metrics_daily(m, 3, 0, METRIC_ENGAGEMENT), 0);
	/* a third arm has days of its own */
	ck_assert_uint_eq(metrics_arms(m), 3);
	ck_assert_double_eq(metrics_daily(m, 3, 2, METRIC_ENGAGEMENT), 1);
	ck_assert_double_eq(metrics_daily(m, 3, 2, METRIC_NOTIFY), 1);
	ck_assert_double_eq(metrics_daily(m, 2, 2, METRIC_ENGAGEMENT), 0);
	ck_assert(metrics_active(m, 1, METRICS_WARMUP));
	ck_assert(!metrics_active(m, 2, METRICS_WARMUP));
	metrics_free(m);
}
END_TEST

START_TEST(names_are_stable)
{
	ck_assert_str_eq(metrics_name(METRIC_ENGAGEMENT), "engagement_actions");
	ck_assert_str_eq(metrics_unit(METRIC_LISTEN_MIN), "minutes");
	metrics_free(NULL);
}
END_TEST

/* Return time and day-N retention by hand: experiment from day 1 to day
 * 12.  User 0: sessions at 1d+2h, 1d+8h, 2d+5h (day 1: in [t0+1d,
 * t0+2d)), 8d+3h (day 7), 8d+4h: gaps 6 + 21 + 142 + 1 = 170 h over 4
 * returns; eligible and retained on day 1 and day 7.  User 1: one session
 * at 6d: eligible on day 1 (6d + 2d <= 12d), not retained, not eligible on
 * day 7; no gap.  User 2: sessions at 11d and 11d+1h: eligible on neither
 * day.  Warm-up sessions count in the warm-up period only. */
START_TEST(return_time_and_retention)
{
	struct metrics *m = metrics_new(3, 12, 2, SIMTIME_DAY);
	const simtime d = SIMTIME_DAY, h = SIMTIME_HOUR;
	const simtime t0[] = { d + 2 * h, d + 8 * h, 2 * d + 5 * h, 8 * d + 3 * h, 8 * d + 4 * h };
	struct event e;

	metrics_set_horizon(m, 12 * d);
	e = ev(EVENT_APP_OPEN, 0, 3 * h, 0, 0);   /* warm-up */
	metrics_record(m, &e);
	for (size_t i = 0; i < 5; i++) {
		e = ev(EVENT_APP_OPEN, 0, t0[i], 0, 0);
		metrics_record(m, &e);
		if (i == 1) {
			e = ev(EVENT_APP_OPEN, 1, 6 * d, 0, 0);
			metrics_record(m, &e);
		}
	}
	e = ev(EVENT_APP_OPEN, 2, 11 * d, 0, 0);
	metrics_record(m, &e);
	e = ev(EVENT_APP_OPEN, 2, 11 * d + h, 0, 0);
	metrics_record(m, &e);

	ck_assert_double_eq_tol(metrics_value(m, 0, METRIC_RETURN_HOURS, METRICS_EXPERIMENT), 170,
				1e-9);
	ck_assert_double_eq(metrics_value(m, 0, METRIC_RETURNS, METRICS_EXPERIMENT), 4);
	ck_assert_double_eq(metrics_value(m, 0, METRIC_D1_ELIGIBLE, METRICS_EXPERIMENT), 1);
	ck_assert_double_eq(metrics_value(m, 0, METRIC_D1_RETAINED, METRICS_EXPERIMENT), 1);
	ck_assert_double_eq(metrics_value(m, 0, METRIC_D7_ELIGIBLE, METRICS_EXPERIMENT), 1);
	ck_assert_double_eq(metrics_value(m, 0, METRIC_D7_RETAINED, METRICS_EXPERIMENT), 1);
	ck_assert_double_eq(metrics_value(m, 0, METRIC_RETURNS, METRICS_WARMUP), 0);
	ck_assert_double_eq(metrics_value(m, 0, METRIC_D1_ELIGIBLE, METRICS_WARMUP), 0);
	ck_assert_double_eq(metrics_value(m, 1, METRIC_RETURNS, METRICS_EXPERIMENT), 0);
	ck_assert_double_eq(metrics_value(m, 1, METRIC_D1_ELIGIBLE, METRICS_EXPERIMENT), 1);
	ck_assert_double_eq(metrics_value(m, 1, METRIC_D1_RETAINED, METRICS_EXPERIMENT), 0);
	ck_assert_double_eq(metrics_value(m, 1, METRIC_D7_ELIGIBLE, METRICS_EXPERIMENT), 0);
	ck_assert_double_eq_tol(metrics_value(m, 2, METRIC_RETURN_HOURS, METRICS_EXPERIMENT), 1,
				1e-12);
	ck_assert_double_eq(metrics_value(m, 2, METRIC_D1_ELIGIBLE, METRICS_EXPERIMENT), 0);
	ck_assert_double_eq(metrics_value(m, 2, METRIC_D7_ELIGIBLE, METRICS_EXPERIMENT), 0);
	metrics_free(m);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, events_count_in_their_period);
	tcase_add_test(tc, names_are_stable);
	tcase_add_test(tc, return_time_and_retention);
}

CHECK_MAIN("metrics", add_tests, 30)
