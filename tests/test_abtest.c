/* Tests for stats/abtest.c on synthetic per-user event streams. */
#include "stats/abtest.h"

#include "common/rng.h"
#include "common/xalloc.h"
#include "tests/check_main.h"

#include <math.h>
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

/* 4,000 users split by `shares` (n arms, arm 0 the control); every user
 * opens the app once per period; likes ~ Poisson(propensity) in the
 * control and Poisson(propensity x (1 + lift[arm])) in arm `arm`, warm-up
 * likes share the per-user propensity so CUPED has something to remove. */
static struct metrics *make_arms(uint64_t seed, const double *lift, const double *shares,
				 size_t n)
{
	enum { USERS = 4000 };
	struct metrics *m = metrics_new(USERS, 2, n, SIMTIME_DAY);
	struct rng r;

	for (uint32_t u = 0; u < USERS; u++) {
		int arm = 0, likes0, likes1;
		double propensity, x, upto = 0;

		rng_init(&r, seed, RNG_TEST, u, 0);
		x = rng_uniform(&r);
		for (size_t a = 1; a < n; a++)
			if (x >= upto && x < (upto += shares[a]))
				arm = (int)a;
		metrics_set_arm(m, u, arm);
		propensity = gsl_ran_gamma(rng_gsl(&r), 2.0, 0.5);
		likes0 = (int)gsl_ran_poisson(rng_gsl(&r), propensity);
		likes1 = (int)gsl_ran_poisson(rng_gsl(&r), propensity * (1.0 + lift[arm]));
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

/* Two arms, the treatment share `share`. */
static struct metrics *make_world(uint64_t seed, double lift, double share)
{
	const double lifts[2] = { 0, lift }, shares[2] = { 1 - share, share };

	return make_arms(seed, lifts, shares, 2);
}

static const char *const names2[] = { "control", "treatment" };
static const char *const rankers2[] = { "heuristic", "forest" };
static const double half[] = { 0.5, 0.5 };
static const struct abtest_design two = { 2, names2, rankers2, half };

START_TEST(split_detects_a_real_lift_and_cuped_tightens_it)
{
	struct metrics *m = make_world(1, 0.5, 0.5);
	struct abtest *a = xcalloc(1, sizeof(*a));
	struct error err;
	const struct abtest_row *r;

	ck_assert_int_eq(abtest_split(m, &two, 0.05, 200, 1, a, &err), 0);
	ck_assert(!a->srm_flagged);
	ck_assert_uint_eq(a->n_arms, 1);
	ck_assert_str_eq(a->arms[0].name, "treatment");
	ck_assert_str_eq(a->arms[0].ranker, "forest");
	r = abtest_find(&a->arms[0], "likes");
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
	r = abtest_find(&a->arms[0], "sessions");
	ck_assert(r->estimable);
	ck_assert_double_eq(r->lift.diff, 0);
	r = abtest_find(&a->arms[0], "home_click_through");
	ck_assert(r->estimable);
	ck_assert_double_eq_tol(r->lift.t.mean, 1.0 / 3.0, 1e-12);
	ck_assert_ptr_nonnull(abtest_find(&a->arms[0], "median_listening_minutes"));
	metrics_free(m);
	free(a);
}
END_TEST

START_TEST(srm_is_flagged)
{
	struct metrics *m = make_world(2, 0.0, 0.56); /* 56/44 where 50/50 was intended */
	struct abtest *a = xcalloc(1, sizeof(*a));
	struct error err;

	ck_assert_int_eq(abtest_split(m, &two, 0.05, 50, 1, a, &err), 0);
	ck_assert(a->srm_flagged);
	ck_assert_double_lt(a->srm_p, 0.001);
	metrics_free(m);
	free(a);
}
END_TEST

START_TEST(twin_of_identical_worlds_has_zero_lift)
{
	struct metrics *m = make_world(3, 0.0, 0.5);
	const struct metrics *worlds[2] = { m, m };
	struct abtest *a = xcalloc(1, sizeof(*a));
	struct error err;
	const struct abtest_row *r;

	ck_assert_int_eq(abtest_twin(worlds, &two, 0.05, a, &err), 0);
	r = abtest_find(&a->arms[0], "engagement_actions");
	ck_assert(r->estimable);
	ck_assert_double_eq(r->lift.diff, 0);
	ck_assert_double_eq(r->lift.diff_lo, 0);
	metrics_free(m);
	free(a);
}
END_TEST

START_TEST(too_few_users_is_an_input_error)
{
	struct metrics *m = metrics_new(3, 2, 2, SIMTIME_DAY);
	struct abtest *a = xcalloc(1, sizeof(*a));
	struct error err;

	ck_assert_int_eq(abtest_split(m, &two, 0.05, 50, 1, a, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "too few active users"));
	metrics_free(m);
	free(a);
}
END_TEST

/* Holm by hand: sort ascending, adj_(k) = max_{j<=k} min(1, (m - j) p_(j)). */
static void holm_by_hand(const double *p, size_t m, double *adj)
{
	size_t idx[64];
	double run = 0;

	ck_assert_uint_le(m, 64);
	for (size_t i = 0; i < m; i++)
		idx[i] = i;
	for (size_t i = 1; i < m; i++)     /* insertion sort: ties keep input order */
		for (size_t j = i; j > 0 && p[idx[j]] < p[idx[j - 1]]; j--) {
			size_t t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	for (size_t k = 0; k < m; k++) {
		double v = (double)(m - k) * p[idx[k]];

		run = fmax(run, v < 1 ? v : 1);
		adj[idx[k]] = run;
	}
}

/* The p-value Holm sees for a mean row: CUPED's when there is one. */
static double family_p(const struct abtest_row *r)
{
	return r->has_cuped ? r->cuped.adjusted.p : r->lift.p;
}

/* Three arms, 50/25/25: arm 1 lifts likes by 30 %, arm 2 does nothing.
 * Each arm is analysed against the control; the family is both arms' 7
 * mean metrics (14 hypotheses), Holm-adjusted together. */
START_TEST(three_arms_share_one_holm_family)
{
	const double lifts[3] = { 0, 0.3, 0 }, shares[3] = { 0.5, 0.25, 0.25 };
	static const char *const names[] = { "control", "forest", "popularity" };
	const struct abtest_design d = { 3, names, NULL, shares };
	struct metrics *m = make_arms(4, lifts, shares, 3);
	struct abtest *a = xcalloc(1, sizeof(*a));
	double p[14], adj[14];
	size_t nf, k = 0;
	struct error err;

	abtest_family(&nf);
	ck_assert_uint_eq(nf, 7);
	ck_assert_int_eq(abtest_split(m, &d, 0.05, 50, 1, a, &err), 0);
	ck_assert_uint_eq(a->n_arms, 2);
	ck_assert_str_eq(a->arms[0].name, "forest");
	ck_assert_str_eq(a->arms[1].name, "popularity");
	ck_assert_str_eq(a->arms[1].ranker, "");
	/* the same control users against each arm; the arms near their shares */
	ck_assert_uint_eq(a->arms[0].n_control, a->arms[1].n_control);
	ck_assert_uint_eq(a->arms[0].n_control + a->arms[0].n_treatment +
			  a->arms[1].n_treatment, 4000);
	for (size_t i = 0; i < 2; i++)   /* Binomial(4000, 0.25): sd 27.4 */
		ck_assert_double_lt(fabs((double)a->arms[i].n_treatment - 1000), 5 * 27.4);
	ck_assert(!a->srm_flagged);
	ck_assert_double_gt(a->srm_p, 0.001);
	ck_assert(abtest_find(&a->arms[0], "likes")->lift.diff_lo > 0);
	ck_assert(abtest_find(&a->arms[1], "likes")->lift.rel_lo < 0);
	ck_assert_ptr_null(abtest_arm_find(a, "control"));
	ck_assert_ptr_eq(abtest_arm_find(a, "popularity"), &a->arms[1]);
	/* follows and notify_enables never happen here: not estimable, out
	 * of the family; the other 5 mean metrics of each arm are in it */
	for (size_t arm = 0; arm < 2; arm++)
		for (size_t i = 0; i < a->arms[arm].n_rows; i++) {
			const struct abtest_row *r = &a->arms[arm].rows[i];

			if (r->kind == ABTEST_MEAN && r->estimable)
				p[k++] = family_p(r);
		}
	ck_assert_uint_eq(k, 10);
	holm_by_hand(p, k, adj);
	k = 0;
	for (size_t arm = 0; arm < 2; arm++)
		for (size_t i = 0; i < a->arms[arm].n_rows; i++) {
			const struct abtest_row *r = &a->arms[arm].rows[i];

			if (r->kind == ABTEST_MEAN && r->estimable)
				ck_assert_double_eq(r->p_adjusted, adj[k++]);
			else if (r->kind == ABTEST_RATIO)   /* outside the family: raw */
				ck_assert_double_eq(r->p_adjusted, r->lift.p);
		}
	metrics_free(m);
	free(a);
}
END_TEST

/* With two arms the family is the 7 mean metrics of the one treatment
 * arm: Holm over those alone, as before A/B/n. */
START_TEST(two_arms_keep_the_seven_metric_family)
{
	struct metrics *m = make_world(5, 0.2, 0.5);
	struct abtest *a = xcalloc(1, sizeof(*a));
	double p[7], adj[7];
	size_t k = 0;
	struct error err;

	ck_assert_int_eq(abtest_split(m, &two, 0.05, 50, 1, a, &err), 0);
	for (size_t i = 0; i < 7; i++) {
		ck_assert_int_eq(a->arms[0].rows[i].kind, ABTEST_MEAN);
		if (a->arms[0].rows[i].estimable)
			p[k++] = family_p(&a->arms[0].rows[i]);
	}
	ck_assert_uint_eq(k, 5);
	holm_by_hand(p, k, adj);
	k = 0;
	for (size_t i = 0; i < 7; i++)
		if (a->arms[0].rows[i].estimable)
			ck_assert_double_eq(a->arms[0].rows[i].p_adjusted, adj[k++]);
	metrics_free(m);
	free(a);
}
END_TEST

/* Twin worlds of three arms: each treatment world paired with the
 * control's, one Holm family. */
START_TEST(twin_of_three_worlds)
{
	const double none[3] = { 0, 0, 0 }, lifts[3] = { 0.4, 0.4, 0.4 };
	const double shares[3] = { 1, 0, 0 };   /* everyone in arm 0 of each world */
	static const char *const names[] = { "control", "forest", "popularity" };
	const struct abtest_design d = { 3, names, names, NULL };
	struct metrics *c = make_arms(6, none, shares, 3), *t = make_arms(6, lifts, shares, 3);
	const struct metrics *worlds[3] = { c, c, t };
	struct abtest *a = xcalloc(1, sizeof(*a));
	double p[14], adj[14];
	size_t k = 0;
	struct error err;

	ck_assert_int_eq(abtest_twin(worlds, &d, 0.05, a, &err), 0);
	ck_assert_uint_eq(a->n_arms, 2);
	ck_assert_double_eq(abtest_find(&a->arms[0], "likes")->lift.diff, 0);
	ck_assert(abtest_find(&a->arms[1], "likes")->lift.diff_lo > 0);
	ck_assert_uint_eq(a->arms[1].n_treatment, a->arms[1].n_control);
	for (size_t arm = 0; arm < 2; arm++)
		for (size_t i = 0; i < 7; i++)
			if (a->arms[arm].rows[i].estimable)
				p[k++] = family_p(&a->arms[arm].rows[i]);
	ck_assert_uint_ge(k, 2);
	holm_by_hand(p, k, adj);
	k = 0;
	for (size_t arm = 0; arm < 2; arm++)
		for (size_t i = 0; i < 7; i++)
			if (a->arms[arm].rows[i].estimable)
				ck_assert_double_eq(a->arms[arm].rows[i].p_adjusted, adj[k++]);
	metrics_free(c);
	metrics_free(t);
	free(a);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, split_detects_a_real_lift_and_cuped_tightens_it);
	tcase_add_test(tc, srm_is_flagged);
	tcase_add_test(tc, twin_of_identical_worlds_has_zero_lift);
	tcase_add_test(tc, too_few_users_is_an_input_error);
	tcase_add_test(tc, three_arms_share_one_holm_family);
	tcase_add_test(tc, two_arms_keep_the_seven_metric_family);
	tcase_add_test(tc, twin_of_three_worlds);
}

CHECK_MAIN("abtest", add_tests, 60)
