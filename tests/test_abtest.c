/* Tests for stats/abtest.c on synthetic per-user event streams. */
#include "stats/abtest.h"

#include "common/rng.h"
#include "tests/check_main.h"

#include <string.h>

#include <gsl/gsl_randist.h>

static void emit(struct metrics *m, int type, uint32_t user, simtime t, int source)
{
	struct event e = { 0 };

	e.type = (uint8_t)type;
	e.user = user;
	e.emit_time = t;
	e.source = (uint8_t)source;
	e.value = 10 * SIMTIME_MIN;
	metrics_record(m, &e);
}

/* 4,000 users, half treated; every user opens the app once per period;
 * likes ~ Poisson(1.0) in control and Poisson(1.5) in treatment, warm-up
 * likes share a per-user propensity so CUPED has something to remove. */
static struct metrics *make_world(uint64_t seed, double lift, double share)
{
	enum { USERS = 4000 };
	struct metrics *m = metrics_new(USERS, 2, SIMTIME_DAY);
	struct rng r;

	for (uint32_t u = 0; u < USERS; u++) {
		int arm, likes0, likes1;
		double propensity;

		rng_init(&r, seed, RNG_TEST, u, 0);
		arm = rng_uniform(&r) < share;
		metrics_set_arm(m, u, arm);
		propensity = gsl_ran_gamma(rng_gsl(&r), 2.0, 0.5);
		likes0 = (int)gsl_ran_poisson(rng_gsl(&r), propensity);
		likes1 = (int)gsl_ran_poisson(rng_gsl(&r), propensity * (arm ? 1.0 + lift : 1.0));
		emit(m, EVENT_APP_OPEN, u, 0, 0);
		emit(m, EVENT_APP_OPEN, u, SIMTIME_DAY, 0);
		for (int i = 0; i < 3; i++)
			emit(m, EVENT_IMPRESSION, u, SIMTIME_DAY, 0);
		emit(m, EVENT_LISTEN_START, u, SIMTIME_DAY, EVENT_SOURCE_HOME);
		emit(m, EVENT_LISTEN_END, u, SIMTIME_DAY, 0);
		for (int i = 0; i < likes0; i++)
			emit(m, EVENT_LIKE, u, 0, 0);
		for (int i = 0; i < likes1; i++)
			emit(m, EVENT_LIKE, u, SIMTIME_DAY, 0);
	}
	return m;
}

START_TEST(split_detects_a_real_lift_and_cuped_tightens_it)
{
	struct metrics *m = make_world(1, 0.5, 0.5);
	struct abtest a;
	struct error err;
	const struct abtest_row *r;

	ck_assert_int_eq(abtest_split(m, 0.5, 0.05, 200, 1, &a, &err), 0);
	ck_assert(!a.srm_flagged);
	r = abtest_find(&a, "likes");
	ck_assert_ptr_nonnull(r);
	ck_assert(r->estimable);
	/* True relative lift is +50 %. */
	ck_assert(r->lift.rel_lo < 0.5 && 0.5 < r->lift.rel_hi);
	ck_assert(r->lift.diff_lo > 0);
	ck_assert(r->has_cuped);
	ck_assert_double_gt(r->cuped.variance_reduction, 0.1);
	ck_assert_double_lt(r->cuped.adjusted.se, r->cuped.raw.se);
	ck_assert_double_lt(r->p_adjusted, 0.001);
	/* Constant metrics are reported as estimable with zero width. */
	r = abtest_find(&a, "sessions");
	ck_assert(r->estimable);
	ck_assert_double_eq(r->lift.diff, 0);
	r = abtest_find(&a, "home_click_through");
	ck_assert(r->estimable);
	ck_assert_double_eq_tol(r->lift.t.mean, 1.0 / 3.0, 1e-12);
	ck_assert_ptr_nonnull(abtest_find(&a, "median_listening_minutes"));
	metrics_free(m);
}
END_TEST

START_TEST(srm_is_flagged)
{
	struct metrics *m = make_world(2, 0.0, 0.56); /* 56/44 where 50/50 was intended */
	struct abtest a;
	struct error err;

	ck_assert_int_eq(abtest_split(m, 0.5, 0.05, 50, 1, &a, &err), 0);
	ck_assert(a.srm_flagged);
	ck_assert_double_lt(a.srm_p, 0.001);
	metrics_free(m);
}
END_TEST

START_TEST(twin_of_identical_worlds_has_zero_lift)
{
	struct metrics *m = make_world(3, 0.0, 0.5);
	struct abtest a;
	struct error err;
	const struct abtest_row *r;

	ck_assert_int_eq(abtest_twin(m, m, 0.05, &a, &err), 0);
	r = abtest_find(&a, "engagement_actions");
	ck_assert(r->estimable);
	ck_assert_double_eq(r->lift.diff, 0);
	ck_assert_double_eq(r->lift.diff_lo, 0);
	metrics_free(m);
}
END_TEST

START_TEST(too_few_users_is_an_input_error)
{
	struct metrics *m = metrics_new(3, 2, SIMTIME_DAY);
	struct abtest a;
	struct error err;

	ck_assert_int_eq(abtest_split(m, 0.5, 0.05, 50, 1, &a, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "too few active users"));
	metrics_free(m);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, split_detects_a_real_lift_and_cuped_tightens_it);
	tcase_add_test(tc, srm_is_flagged);
	tcase_add_test(tc, twin_of_identical_worlds_has_zero_lift);
	tcase_add_test(tc, too_few_users_is_an_input_error);
}

CHECK_MAIN("abtest", add_tests, 60)
