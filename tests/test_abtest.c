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
		/* one served page of 3 slots per period: high-quality slots
		 * Binomial(3, 0.3 x (1 + lift)), distinct-topic pairs uniform 0..3 */
		for (int p = 0; p < 2; p++)
			metrics_record_page(m, u, p * SIMTIME_DAY, 3,
					    gsl_ran_binomial(rng_gsl(&r), p ? 0.3 * (1 + lift[arm])
							     : 0.3, 3), 3,
					    (uint32_t)rng_below(&r, 4));
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

/* In the family: the 7 mean metrics and click-through, nothing else. */
static bool family_member(const struct abtest_row *r)
{
	return r->kind == ABTEST_MEAN || !strcmp(r->name, "home_click_through");
}

/* Three arms, 50/25/25: arm 1 lifts likes by 30 %, arm 2 does nothing.
 * Each arm is analysed against the control; the family is both arms' 7
 * mean metrics and click-through (16 hypotheses), Holm-adjusted together. */
START_TEST(three_arms_share_one_holm_family)
{
	const double lifts[3] = { 0, 0.3, 0 }, shares[3] = { 0.5, 0.25, 0.25 };
	static const char *const names[] = { "control", "forest", "popularity" };
	const struct abtest_design d = { 3, names, NULL, shares };
	struct metrics *m = make_arms(4, lifts, shares, 3);
	struct abtest *a = xcalloc(1, sizeof(*a));
	double p[16], adj[16];
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
	 * of the family; the other 5 mean metrics and click-through of each
	 * arm are in it */
	for (size_t arm = 0; arm < 2; arm++)
		for (size_t i = 0; i < a->arms[arm].n_rows; i++) {
			const struct abtest_row *r = &a->arms[arm].rows[i];

			ck_assert_int_eq(r->in_family, family_member(r));
			if (r->in_family && r->estimable)
				p[k++] = family_p(r);
		}
	ck_assert_uint_eq(k, 12);
	holm_by_hand(p, k, adj);
	k = 0;
	for (size_t arm = 0; arm < 2; arm++)
		for (size_t i = 0; i < a->arms[arm].n_rows; i++) {
			const struct abtest_row *r = &a->arms[arm].rows[i];

			if (r->in_family && r->estimable)
				ck_assert_double_eq(r->p_adjusted, adj[k++]);
			else   /* outside the family: no adjusted p */
				ck_assert(isnan(r->p_adjusted));
		}
	metrics_free(m);
	free(a);
}
END_TEST

/* With two arms the family is the 7 mean metrics and click-through of the
 * one treatment arm: Holm over those alone. */
START_TEST(two_arms_keep_the_eight_metric_family)
{
	struct metrics *m = make_world(5, 0.2, 0.5);
	struct abtest *a = xcalloc(1, sizeof(*a));
	double p[8], adj[8];
	size_t k = 0;
	struct error err;

	ck_assert_int_eq(abtest_split(m, &two, 0.05, 50, 1, a, &err), 0);
	for (size_t i = 0; i < 8; i++) {
		ck_assert_int_eq(a->arms[0].rows[i].kind, i < 7 ? ABTEST_MEAN : ABTEST_RATIO);
		ck_assert(a->arms[0].rows[i].in_family);
		if (a->arms[0].rows[i].estimable)
			p[k++] = family_p(&a->arms[0].rows[i]);
	}
	for (size_t i = 8; i < a->arms[0].n_rows; i++)
		ck_assert(!a->arms[0].rows[i].in_family);
	ck_assert_uint_eq(k, 6);
	holm_by_hand(p, k, adj);
	k = 0;
	for (size_t i = 0; i < 8; i++)
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
	double p[16], adj[16];
	size_t k = 0;
	struct error err;

	ck_assert_int_eq(abtest_twin(worlds, &d, 0.05, a, &err), 0);
	ck_assert_uint_eq(a->n_arms, 2);
	ck_assert_double_eq(abtest_find(&a->arms[0], "likes")->lift.diff, 0);
	ck_assert(abtest_find(&a->arms[1], "likes")->lift.diff_lo > 0);
	ck_assert_uint_eq(a->arms[1].n_treatment, a->arms[1].n_control);
	for (size_t arm = 0; arm < 2; arm++)
		for (size_t i = 0; i < 8; i++)
			if (a->arms[arm].rows[i].estimable)
				p[k++] = family_p(&a->arms[arm].rows[i]);
	ck_assert_uint_ge(k, 2);
	holm_by_hand(p, k, adj);
	k = 0;
	for (size_t arm = 0; arm < 2; arm++)
		for (size_t i = 0; i < 8; i++) {
			ck_assert(a->arms[arm].rows[i].in_family);
			if (a->arms[arm].rows[i].estimable)
				ck_assert_double_eq(a->arms[arm].rows[i].p_adjusted, adj[k++]);
		}
	metrics_free(c);
	metrics_free(t);
	free(a);
}
END_TEST

/* Does the row's printed interval (its test's) exclude 0? */
static bool excludes_zero(const struct abtest_row *r)
{
	const struct stats_lift *l = abtest_tested(r);

	return l->diff_lo > 0 || l->diff_hi < 0;
}

/* Every row: the significance flag agrees with the printed interval (a
 * significant row's interval excludes 0; in the family, the test's own p <
 * alpha exactly when its interval excludes 0, and Holm only removes
 * rejections; outside it, the flag is the interval); rows outside the
 * family carry no adjusted p.  Counts flags and nominal exclusions. */
static void check_rows(const struct abtest *a, size_t *sig, size_t *excl)
{
	for (size_t k = 0; k < a->n_arms; k++)
		for (size_t i = 0; i < a->arms[k].n_rows; i++) {
			const struct abtest_row *r = &a->arms[k].rows[i];
			bool flag = abtest_significant(a, r);

			if (!r->estimable) {
				ck_assert(!flag);
				continue;
			}
			*sig += flag;
			*excl += excludes_zero(r);
			ck_assert_msg(!flag || excludes_zero(r), "%s: flagged, interval holds 0",
				      r->name);
			if (r->in_family)
				ck_assert_msg((abtest_tested(r)->p < a->alpha) == excludes_zero(r),
					      "%s (%s): p %g against [%g, %g]", r->name,
					      abtest_test_name(r->test), abtest_tested(r)->p,
					      abtest_tested(r)->diff_lo, abtest_tested(r)->diff_hi);
			else
				ck_assert(isnan(r->p_adjusted) && flag == excludes_zero(r));
			if (r->test == ABTEST_TEST_CUPED)
				ck_assert(r->has_cuped);
		}
}

/* 40 synthetic experiments with lifts from 0 to 12 %, split and twin:
 * every row's flag agrees with its interval, and both flags and
 * non-flags occur (the check is not vacuous). */
START_TEST(significance_agrees_with_the_printed_interval)
{
	size_t sig = 0, excl = 0, rows = 0;
	struct error err;

	for (uint64_t seed = 0; seed < 40; seed++) {
		double lift = 0.003 * (double)seed;
		const double lifts[2] = { 0, lift }, shares[2] = { 1, 0 }, none[2] = { 0, 0 };
		struct metrics *m = make_world(100 + seed, lift, 0.5);
		struct metrics *c = make_arms(200 + seed, none, shares, 2);
		struct metrics *t = make_arms(200 + seed, lifts, shares, 2);
		const struct metrics *worlds[2] = { c, t };
		struct abtest *a = xcalloc(1, sizeof(*a));

		ck_assert_int_eq(abtest_split(m, &two, 0.05, 50, seed, a, &err), 0);
		check_rows(a, &sig, &excl);
		rows += a->arms[0].n_rows;
		ck_assert_int_eq(abtest_twin(worlds, &two, 0.05, a, &err), 0);
		check_rows(a, &sig, &excl);
		rows += a->arms[0].n_rows;
		metrics_free(m);
		metrics_free(c);
		metrics_free(t);
		free(a);
	}
	ck_assert_uint_gt(sig, 20);
	ck_assert_uint_lt(sig, rows - 20);
	ck_assert_uint_ge(excl, sig);
}
END_TEST

/* A user's events on day `day`: one session and `likes` likes. */
static void likes_on(struct metrics *m, uint32_t u, int day, int likes)
{
	emit(m, EVENT_APP_OPEN, u, day * SIMTIME_DAY, 0);
	for (int i = 0; i < likes; i++)
		emit(m, EVENT_LIKE, u, day * SIMTIME_DAY, 0);
}

/* Interference bias of likes on 8 users against numpy: split likes
 * [1,3,0,2,2,4,1,1] with arms alternating, twin control [1,2,0,1,2,3,1,0]
 * and treatment [2,3,1,2,2,4,1,2].  Influence per user: split
 * (y - mean_arm) / sqrt(n_arm (n_arm - 1)) (signed by arm), twin (d - mean
 * d) / sqrt(n (n - 1)); var = Welch var + paired var - 2 sum(IF_s IF_w). */
START_TEST(bias_interval_matches_numpy)
{
	const int ys[8] = { 1, 3, 0, 2, 2, 4, 1, 1 }, yc[8] = { 1, 2, 0, 1, 2, 3, 1, 0 };
	const int yt[8] = { 2, 3, 1, 2, 2, 4, 1, 2 };
	struct metrics *s = metrics_new(8, 2, 2, SIMTIME_DAY), *c = metrics_new(8, 2, 2, SIMTIME_DAY);
	struct metrics *t = metrics_new(8, 2, 2, SIMTIME_DAY), *other = metrics_new(9, 2, 2, 0);
	const struct metrics *twins[2] = { c, t }, *bad[2] = { c, other };
	struct abtest_bias *b = xcalloc(1, sizeof(*b));
	struct abtest *a = xcalloc(1, sizeof(*a));
	const struct abtest_bias_row *r = NULL;
	struct error err;

	for (uint32_t u = 0; u < 8; u++) {
		metrics_set_arm(s, u, (int)(u % 2));
		metrics_set_arm(t, u, 1);
		likes_on(s, u, 1, ys[u]);
		likes_on(c, u, 1, yc[u]);
		likes_on(t, u, 1, yt[u]);
	}
	ck_assert_int_eq(abtest_bias(s, twins, &two, 0.05, b, &err), 0);
	ck_assert_uint_eq(b->n_arms, 1);
	ck_assert_str_eq(b->arms[0].name, "treatment");
	ck_assert_uint_eq(b->arms[0].n_rows, 8);   /* 7 mean metrics, click-through */
	for (size_t i = 0; i < b->arms[0].n_rows; i++)
		if (!strcmp(b->arms[0].rows[i].name, "likes"))
			r = &b->arms[0].rows[i];
	ck_assert_ptr_nonnull(r);
	ck_assert(r->estimable);
	ck_assert_uint_eq(r->n_split, 8);
	ck_assert_uint_eq(r->n_twin, 8);
	ck_assert_double_eq_tol(r->split_diff, 1.5, 1e-15);
	ck_assert_double_eq_tol(r->twin_diff, 0.875, 1e-15);
	ck_assert_double_eq_tol(r->bias, 0.625, 1e-15);
	ck_assert_double_eq_tol(r->se, 0.82051718844771437, 1e-14);
	ck_assert_double_eq_tol(r->lo, -0.98318413805358462, 1e-14);
	ck_assert_double_eq_tol(r->hi, 2.2331841380535846, 1e-14);
	ck_assert_double_eq_tol(r->corr, -0.11145564251507056, 1e-14);
	ck_assert(abtest_bias_null(r));
	/* the estimates are the A/B tables' own */
	ck_assert_int_eq(abtest_split(s, &two, 0.05, 50, 1, a, &err), 0);
	ck_assert_double_eq_tol(abtest_find(&a->arms[0], "likes")->lift.diff, r->split_diff, 1e-15);
	ck_assert_int_eq(abtest_twin(twins, &two, 0.05, a, &err), 0);
	ck_assert_double_eq_tol(abtest_find(&a->arms[0], "likes")->lift.diff, r->twin_diff, 1e-15);
	/* sessions: one each everywhere, no bias, a zero-width interval */
	for (size_t i = 0; i < b->arms[0].n_rows; i++)
		if (!strcmp(b->arms[0].rows[i].name, "sessions")) {
			ck_assert_double_eq(b->arms[0].rows[i].bias, 0);
			ck_assert(abtest_bias_null(&b->arms[0].rows[i]));
		}
	/* a population that differs is a bad input, named */
	ck_assert_int_eq(abtest_bias(s, bad, &two, 0.05, b, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "twin world 'treatment' holds 9 users"));
	metrics_free(s);
	metrics_free(c);
	metrics_free(t);
	metrics_free(other);
	free(b);
	free(a);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, significance_agrees_with_the_printed_interval);
	tcase_add_test(tc, bias_interval_matches_numpy);
	tcase_add_test(tc, split_detects_a_real_lift_and_cuped_tightens_it);
	tcase_add_test(tc, srm_is_flagged);
	tcase_add_test(tc, twin_of_identical_worlds_has_zero_lift);
	tcase_add_test(tc, too_few_users_is_an_input_error);
	tcase_add_test(tc, three_arms_share_one_holm_family);
	tcase_add_test(tc, two_arms_keep_the_eight_metric_family);
	tcase_add_test(tc, twin_of_three_worlds);
}

CHECK_MAIN("abtest", add_tests, 60)
