/* Tests for stats/ope.c.  The formulas on a hand-computed example; then a
 * synthetic slate bandit whose value is known in closed form: contexts x
 * uniform over C, M candidates, pages of L slots drawn by engine/policy's
 * Plackett-Luce from one score table, rewards Bernoulli(exam_k attr(x, a))
 * at each slot (independent slots: every estimator's assumption holds),
 * a deterministic target ranking another score table.  Over 40 seeds IPS,
 * DR, IIPS, RIPS and cascade-DR are unbiased within their intervals and
 * the 95 % intervals cover the truth as often as Binomial(40, 0.95)
 * allows (the bound is that distribution's 0.001 quantile, computed here,
 * not taken from observed output); SNIPS equals IPS within 1e-12 when
 * every weight is 1. */
#include "stats/ope.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "common/rng.h"
#include "engine/policy.h"
#include "tests/check_main.h"

/* ---- the formulas on two rounds of two slots ---- */

START_TEST(formulas_by_hand)
{
	/* round 0: both slots match the target; round 1: slot 1 does not. */
	static const size_t first[] = { 0, 2, 4 };
	static const double r[] = { 1, 0, 0, 1 };
	static const double c[] = { 0.5, 0.25, 0.5, 0.5 };
	static const double m[] = { 0.4, 0.2, 0.4, 0.3 };
	static const double e[] = { 1, 1, 1, 0 };
	static const double f[] = { 1, 1, 1, 0 };
	static const double q[] = { 0.3, 0.1, 0.2, 0.4 };
	static const double g[] = { 0.3, 0.1, 0.2, 0.5 };
	static const double dm[] = { 0.4, 0.7 };
	struct ope_data d = { 2, first, r, c, m, e, f, q, g, dm };
	struct ope_estimate o;
	struct error err;
	/* per-round terms by the definitions of ope.h */
	double ips[] = { 8 * 1, 0 }, iips[] = { 1 / 0.4, 0 }, rips[] = { 2 * 1 + 8 * 0, 2 * 0 };
	double dr[] = { 0.4 + 8 * (1 - 0.4), 0.7 + 0 * (1 - 0.6) };
	double cdr[] = { 2 * (1 - 0.3) + 1 * 0.3 + 8 * (0 - 0.1) + 2 * 0.1,
			 2 * (0 - 0.2) + 1 * 0.2 + 0 * (1 - 0.4) + 2 * 0.5 };
	const struct {
		enum ope_estimator e;
		double v;
	} want[] = {
		{ OPE_IPS, (ips[0] + ips[1]) / 2 },    { OPE_SNIPS, 8.0 / 8.0 },
		{ OPE_DM, (0.4 + 0.7) / 2 },            { OPE_DR, (dr[0] + dr[1]) / 2 },
		{ OPE_IIPS, (iips[0] + iips[1]) / 2 },  { OPE_RIPS, (rips[0] + rips[1]) / 2 },
		{ OPE_CASCADE_DR, (cdr[0] + cdr[1]) / 2 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(ope_estimate(&d, want[i].e, 0.05, &o, &err), 0);
		ck_assert_msg(o.estimable, "%s: %s", ope_estimator_name(want[i].e), o.why);
		ck_assert_msg(fabs(o.value - want[i].v) < 1e-12, "%s: %.15g, want %.15g",
			      ope_estimator_name(want[i].e), o.value, want[i].v);
		ck_assert(o.lo <= o.value && o.value <= o.hi);
	}
	/* the IPS interval: mean +- 1.96 sd / sqrt(2) */
	ope_estimate(&d, OPE_IPS, 0.05, &o, &err);
	ck_assert(fabs(o.se - sqrt(((8 - 4) * (8 - 4) + 16) / 1.0 / 2)) < 1e-12);
	ck_assert(fabs(o.hi - o.value - gsl_cdf_ugaussian_Pinv(0.975) * o.se) < 1e-12);
	ck_assert_uint_eq(o.nonzero, 1);
	ck_assert(o.max_weight == 8);
}
END_TEST

START_TEST(not_estimable_and_bad_input)
{
	static const size_t first[] = { 0, 1 };
	static const double r[] = { 1 }, c0[] = { 0 }, one[] = { 1 };
	struct ope_data d = { 1, first, r, c0, one, one, one, NULL, NULL, NULL };
	struct ope_estimate o;
	struct error err;
	unsigned mask;

	ck_assert_int_eq(ope_estimate(&d, OPE_IPS, 0.05, &o, &err), 0);
	ck_assert(!o.estimable && isnan(o.value));
	ck_assert(strstr(o.why, "propensity"));
	d.p_cond = one;
	ck_assert_int_eq(ope_estimate(&d, OPE_DR, 0.05, &o, &err), 0);
	ck_assert(!o.estimable && strstr(o.why, "reward model"));
	d.p_marg = NULL;
	ck_assert_int_eq(ope_estimate(&d, OPE_IIPS, 0.05, &o, &err), 0);
	ck_assert(!o.estimable && strstr(o.why, "marginal"));
	d.n = 0;
	ck_assert_int_eq(ope_estimate(&d, OPE_IPS, 0.05, &o, &err), 0);
	ck_assert(!o.estimable);
	ck_assert_int_eq(ope_estimate(&d, OPE_IPS, 1.5, &o, &err), ERR_INPUT);

	ck_assert_int_eq(ope_parse_estimators("all", "--estimators", &mask, &err), 0);
	ck_assert_uint_eq(mask, OPE_ALL);
	ck_assert_int_eq(ope_parse_estimators(" ips, cascade-dr ", "--estimators", &mask, &err), 0);
	ck_assert_uint_eq(mask, (1u << OPE_IPS) | (1u << OPE_CASCADE_DR));
	ck_assert_int_eq(ope_parse_estimators("ips,magic", "--estimators", &mask, &err), ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "unknown estimator 'magic'") && strstr(err.msg, "--estimators"),
		      "%s", err.msg);
	ck_assert_int_eq(ope_parse_estimators("", "--estimators", &mask, &err), ERR_INPUT);
}
END_TEST

/* ---- the synthetic slate bandit ---- */

#define C 5        /* contexts */
#define M 6        /* candidates */
#define L 3        /* slots */
#define ROUNDS 4000
#define SEEDS 40

struct bandit {
	double s0[C][M];    /* logging scores */
	double s1[C][M];    /* target scores */
	double attr[C][M];  /* P(reward | examined) */
	double exam[L];
	uint32_t ids[M];
	double truth;       /* V(target) = mean_x sum_k exam_k attr(x, e_k(x)) */
};

static void make_bandit(struct bandit *b)
{
	struct rng r;

	rng_init(&r, 77, RNG_TEST, 0, 0);
	for (int x = 0; x < C; x++)
		for (int a = 0; a < M; a++) {
			b->attr[x][a] = 0.05 + 0.6 * rng_uniform(&r);
			b->s1[x][a] = b->attr[x][a] + 0.2 * rng_uniform(&r);
			b->s0[x][a] = b->s1[x][a] + 0.3 * rng_uniform(&r);
		}
	for (int k = 0; k < L; k++)
		b->exam[k] = pow(k + 1, -0.8);
	for (int a = 0; a < M; a++)
		b->ids[a] = (uint32_t)a;
	b->truth = 0;
	for (int x = 0; x < C; x++) {
		uint32_t e[L];

		policy_top_k(b->s1[x], b->ids, M, L, e);
		for (int k = 0; k < L; k++)
			b->truth += b->exam[k] * b->attr[x][e[k]] / C;
	}
}

/* The log of one seed and every estimator on it.  q is the reward model:
 * a deliberately wrong one (half the truth) so that DR's unbiasedness comes
 * from its weights, not from a perfect model. */
static void simulate(const struct bandit *b, uint64_t seed, bool target_is_logger,
		     struct ope_estimate *out)
{
	struct policy_config pc = { POLICY_PLACKETT_LUCE, 1.0, 0, 200 };
	struct policy *pol;
	static size_t first[ROUNDS + 1];
	static double rw[ROUNDS * L], pc_[ROUNDS * L], pm[ROUNDS * L], ec[ROUNDS * L],
		em[ROUNDS * L], ql[ROUNDS * L], qt[ROUNDS * L], dm[ROUNDS];
	struct ope_data d = { ROUNDS, first, rw, pc_, pm, ec, em, ql, qt, dm };
	struct error err;

	if (target_is_logger)
		pc.kind = POLICY_DETERMINISTIC;
	pol = policy_new(&pc, M, L);
	for (size_t i = 0; i < ROUNDS; i++) {
		struct rng r, draw, mc;
		uint32_t page[L], e[L];
		double cond[L], marg[L];
		int x;
		bool prefix = true;

		rng_init(&r, seed, RNG_TEST, 100, i);
		rng_init(&draw, seed, RNG_TEST, 101, i);
		rng_init(&mc, seed, RNG_TEST, 102, i);
		x = (int)rng_below(&r, C);
		policy_draw(pol, b->s0[x], b->ids, M, L, &draw, &mc, page, cond, marg);
		policy_top_k(target_is_logger ? b->s0[x] : b->s1[x], b->ids, M, L, e);
		first[i] = i * L;
		dm[i] = 0;
		for (int k = 0; k < L; k++) {
			size_t at = i * L + (size_t)k;
			double p = b->exam[k] * b->attr[x][page[k]];
			uint32_t next = 0;

			/* the target's choice at k given the logged prefix */
			for (int j = 0; j < L; j++) {
				bool used = false;

				for (int h = 0; h < k; h++)
					used = used || page[h] == e[j];
				if (!used) {
					next = e[j];
					break;
				}
			}
			rw[at] = rng_uniform(&r) < p;
			pc_[at] = cond[k];
			pm[at] = marg[k];
			ec[at] = page[k] == next;
			em[at] = page[k] == e[k];
			ql[at] = 0.5 * p;
			qt[at] = 0.5 * b->exam[k] * b->attr[x][next];
			dm[i] += 0.5 * b->exam[k] * b->attr[x][e[k]];
			prefix = prefix && page[k] == e[k];
		}
		(void)prefix;
	}
	first[ROUNDS] = ROUNDS * L;
	for (int e = 0; e < OPE_ESTIMATORS; e++)
		ck_assert_int_eq(ope_estimate(&d, (enum ope_estimator)e, 0.05, &out[e], &err), 0);
	policy_free(pol);
}

START_TEST(unbiased_and_covering_on_a_known_bandit)
{
	static const enum ope_estimator checked[] = { OPE_IPS, OPE_DR, OPE_IIPS, OPE_RIPS,
						      OPE_CASCADE_DR, OPE_SNIPS };
	struct bandit b;
	double sum_bias[OPE_ESTIMATORS] = { 0 }, sum_se[OPE_ESTIMATORS] = { 0 };
	int covered[OPE_ESTIMATORS] = { 0 };
	unsigned bound = 0;

	make_bandit(&b);
	/* The bound: the largest c with P(Binomial(40, 0.95) < c) <= 0.001, a
	 * false alarm once in a thousand runs when coverage is nominal. */
	while (gsl_cdf_binomial_P(bound, 0.95, SEEDS) <= 0.001)
		bound++;
	for (uint64_t s = 0; s < SEEDS; s++) {
		struct ope_estimate o[OPE_ESTIMATORS];

		simulate(&b, 1000 + s, false, o);
		for (int e = 0; e < OPE_ESTIMATORS; e++) {
			ck_assert_msg(o[e].estimable, "%s: %s", ope_estimator_name(e), o[e].why);
			sum_bias[e] += o[e].value - b.truth;
			sum_se[e] += o[e].se;
			covered[e] += o[e].lo <= b.truth && b.truth <= o[e].hi;
		}
	}
	for (size_t i = 0; i < sizeof(checked) / sizeof(checked[0]); i++) {
		enum ope_estimator e = checked[i];
		double bias = sum_bias[e] / SEEDS, se = sum_se[e] / SEEDS / sqrt(SEEDS);

		printf("ope bandit: %-10s truth %.5f, mean bias %+.5f (se of the mean %.5f), "
		       "coverage %d/%d (bound %u)\n", ope_estimator_name(e), b.truth, bias, se,
		       covered[e], SEEDS, bound);
		fflush(stdout);
		/* unbiased: the mean error over seeds within 3.29 se of the mean
		 * (two-sided 0.001) */
		if (e != OPE_SNIPS)
			ck_assert_msg(fabs(bias) <= 3.29 * se, "%s: mean bias %g, se %g",
				      ope_estimator_name(e), bias, se);
		ck_assert_msg((unsigned)covered[e] >= bound, "%s covers %d of %d, below %u",
			      ope_estimator_name(e), covered[e], SEEDS, bound);
	}
	/* the direct method with a model half the truth is biased: far off */
	ck_assert(sum_bias[OPE_DM] / SEEDS < -0.3 * b.truth);
}
END_TEST

START_TEST(snips_is_ips_when_every_weight_is_one)
{
	struct bandit b;
	struct ope_estimate o[OPE_ESTIMATORS];

	make_bandit(&b);
	simulate(&b, 5, true, o);
	ck_assert(o[OPE_IPS].estimable && o[OPE_SNIPS].estimable);
	ck_assert_msg(fabs(o[OPE_SNIPS].value - o[OPE_IPS].value) <= 1e-12, "%.17g vs %.17g",
		      o[OPE_SNIPS].value, o[OPE_IPS].value);
	ck_assert(fabs(o[OPE_SNIPS].se - o[OPE_IPS].se) <= 1e-12);
	ck_assert(fabs(o[OPE_RIPS].value - o[OPE_IPS].value) <= 1e-12);
	ck_assert(fabs(o[OPE_IIPS].value - o[OPE_IPS].value) <= 1e-12);
	ck_assert(o[OPE_IPS].ess == (double)ROUNDS);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, formulas_by_hand);
	tcase_add_test(tc, not_estimable_and_bad_input);
	tcase_add_test(tc, unbiased_and_covering_on_a_known_bandit);
	tcase_add_test(tc, snips_is_ips_when_every_weight_is_one);
}

CHECK_MAIN("ope", add_tests, 120)
