/* Tests for engine/policy.c: the greedy page is engine/rank's, every
 * policy's propensities sum to 1 over the candidates at every slot, the
 * pages drawn follow the probabilities stated (frequency checks with bounds
 * from the binomial), and a deterministic policy draws nothing. */
#include "engine/policy.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "tests/check_main.h"

#define N 40
#define K 6

static void make_scores(double *s, uint32_t *ids, size_t n, uint64_t seed)
{
	struct rng r;

	rng_init(&r, seed, RNG_TEST, 1, 0);
	for (size_t i = 0; i < n; i++) {
		s[i] = 3 * rng_uniform(&r) - 1;
		ids[i] = (uint32_t)(1000 + 7 * i);
	}
	s[3] = s[5];   /* a tie: the lower id first */
}

static struct policy *make(enum policy_kind kind, double t, double e, uint32_t samples)
{
	struct policy_config c = { kind, t, e, samples };

	return policy_new(&c, N, K);
}

START_TEST(greedy_is_rank_order)
{
	double s[N];
	uint32_t ids[N], page[K];
	size_t k;

	make_scores(s, ids, N, 1);
	s[7] = NAN;
	k = policy_top_k(s, ids, N, K, page);
	ck_assert_uint_eq(k, K);
	for (size_t j = 1; j < k; j++) {
		double a = s[page[j - 1]], b = s[page[j]];

		ck_assert(a > b || (a == b && ids[page[j - 1]] < ids[page[j]]));
	}
	for (size_t i = 0; i < N; i++) {
		bool in = false;

		for (size_t j = 0; j < k; j++)
			in = in || page[j] == i;
		if (!in && !isnan(s[i]))
			ck_assert(s[i] <= s[page[k - 1]]);
	}
	/* fewer candidates than slots */
	ck_assert_uint_eq(policy_top_k(s, ids, 3, K, page), 3);
}
END_TEST

START_TEST(deterministic_draws_nothing)
{
	struct policy *p = make(POLICY_DETERMINISTIC, 1, 0.1, 10);
	double s[N], cond[K], marg[K];
	uint32_t ids[N], page[K], greedy[K];
	struct rng a, b, ref;
	size_t k;

	make_scores(s, ids, N, 2);
	rng_init(&a, 1, RNG_TEST, 2, 0);
	rng_init(&b, 1, RNG_TEST, 3, 0);
	rng_init(&ref, 1, RNG_TEST, 2, 0);
	k = policy_draw(p, s, ids, N, K, &a, &b, page, cond, marg);
	ck_assert_uint_eq(k, policy_top_k(s, ids, N, K, greedy));
	for (size_t j = 0; j < k; j++) {
		ck_assert_uint_eq(page[j], greedy[j]);
		ck_assert(cond[j] == 1 && marg[j] == 1);
	}
	ck_assert_uint_eq(rng_u64(&a), rng_u64(&ref));   /* the stream is untouched */
	policy_free(p);
}
END_TEST

/* Over many random pages, at every slot: the conditionals over all
 * candidates sum to 1, so do the marginals, and the shown show's entries
 * are the ones policy_draw reported. */
static void check_sums(enum policy_kind kind, size_t n)
{
	struct policy *p = make(kind, 0.7, 0.3, 4000);
	double s[N], cond[K], marg[K], ca[N], ma[N];
	uint32_t ids[N], page[K];

	for (uint64_t seed = 0; seed < (kind == POLICY_PLACKETT_LUCE ? 6u : 30u); seed++) {
		struct rng d, mc, mc2;
		size_t k;

		make_scores(s, ids, n, 100 + seed);
		rng_init(&d, seed, RNG_TEST, 4, 0);
		rng_init(&mc, seed, RNG_TEST, 5, 0);
		k = policy_draw(p, s, ids, n, K, &d, &mc, page, cond, marg);
		ck_assert_uint_eq(k, n < K ? n : K);
		for (size_t j = 0; j < k; j++) {
			double sc = 0, sm = 0;

			rng_init(&mc2, seed, RNG_TEST, 6, j);
			policy_slot_distribution(p, s, ids, n, k, page, j, &mc2, ca, ma);
			for (size_t c = 0; c < n; c++) {
				ck_assert(ca[c] >= 0 && ma[c] >= 0);
				sc += ca[c];
				sm += ma[c];
			}
			ck_assert_msg(fabs(sc - 1) < 1e-9, "slot %zu: conditionals sum to %.12f", j, sc);
			/* exact but for Plackett-Luce's Monte Carlo marginals (4000
			 * prefixes per candidate: the sum's sd is below 0.004) */
			ck_assert_msg(fabs(sm - 1) < (kind == POLICY_PLACKETT_LUCE ? 0.02 : 1e-9),
				      "slot %zu: marginals sum to %.12f", j, sm);
			ck_assert_msg(fabs(ca[page[j]] - cond[j]) < 1e-12, "slot %zu: %g vs %g", j,
				      ca[page[j]], cond[j]);
			ck_assert(cond[j] > 0 && marg[j] > 0);
			if (kind != POLICY_PLACKETT_LUCE || j == 0)
				ck_assert_msg(fabs(ma[page[j]] - marg[j]) < 1e-12, "slot %zu", j);
		}
	}
	policy_free(p);
}

START_TEST(propensities_sum_to_one_plackett_luce) { check_sums(POLICY_PLACKETT_LUCE, N); }
END_TEST
START_TEST(propensities_sum_to_one_epsilon) { check_sums(POLICY_EPSILON, N); }
END_TEST
START_TEST(propensities_sum_to_one_epsilon_short_tail) { check_sums(POLICY_EPSILON, K + 2); }
END_TEST
START_TEST(propensities_sum_to_one_deterministic) { check_sums(POLICY_DETERMINISTIC, N); }
END_TEST

/* Draw many pages of one request; each (slot, candidate) frequency must be
 * within 5 binomial standard deviations (+ 1/R) of its stated marginal. */
static void check_frequencies(enum policy_kind kind, size_t n, double t, double e)
{
	enum { R = 40000 };
	struct policy *p = make(kind, t, e, 4000);
	double s[N], cond[K], marg[K], ca[N], ma[N];
	static unsigned count[K][N];
	uint32_t ids[N], page[K];
	size_t k = 0;

	memset(count, 0, sizeof(count));
	make_scores(s, ids, n, 7);
	for (int r = 0; r < R; r++) {
		struct rng d;

		rng_init(&d, 9, RNG_TEST, 10, (uint64_t)r);
		k = policy_draw(p, s, ids, n, K, &d, NULL, page, NULL, NULL);
		for (size_t j = 0; j < k; j++)
			count[j][page[j]]++;
	}
	(void)cond;
	(void)marg;
	for (size_t j = 0; j < k; j++) {
		struct rng mc;

		rng_init(&mc, 9, RNG_TEST, 11, j);
		policy_slot_distribution(p, s, ids, n, k, page, j, &mc, ca, ma);
		for (size_t c = 0; c < n; c++) {
			double f = count[j][c] / (double)R;
			double sd = sqrt(ma[c] * (1 - ma[c]) / R);

			ck_assert_msg(fabs(f - ma[c]) <= 5 * sd + 1.0 / R + 0.004 * (kind == POLICY_PLACKETT_LUCE && j > 0),
				      "slot %zu candidate %zu: frequency %.5f, marginal %.5f", j, c, f,
				      ma[c]);
		}
	}
	policy_free(p);
}

START_TEST(plackett_luce_pages_follow_the_marginals)
{
	check_frequencies(POLICY_PLACKETT_LUCE, 12, 0.8, 0);
}
END_TEST

START_TEST(epsilon_pages_follow_the_marginals)
{
	check_frequencies(POLICY_EPSILON, 20, 1, 0.25);
	check_frequencies(POLICY_EPSILON, K + 2, 1, 0.5);   /* the tail runs out */
}
END_TEST

/* The first slot of a Plackett-Luce page is a softmax of the standardised
 * scores: the same for scores times 10 plus 3 (scale-free temperature). */
START_TEST(plackett_luce_temperature_is_in_standard_deviations)
{
	struct policy *p = make(POLICY_PLACKETT_LUCE, 0.5, 0, 16);
	double s[N], s2[N], ca[N], ma[N], cb[N], mb[N], z[N], sum = 0, mean = 0, sd = 0;
	uint32_t ids[N], page[K];

	make_scores(s, ids, N, 3);
	for (size_t i = 0; i < N; i++) {
		s2[i] = 10 * s[i] + 3;
		mean += s[i] / N;
	}
	for (size_t i = 0; i < N; i++)
		sd += (s[i] - mean) * (s[i] - mean) / N;
	sd = sqrt(sd);
	for (size_t i = 0; i < N; i++) {
		z[i] = exp((s[i] - mean) / sd / 0.5);
		sum += z[i];
	}
	policy_top_k(s, ids, N, K, page);
	policy_slot_distribution(p, s, ids, N, K, page, 0, NULL, ca, ma);
	policy_slot_distribution(p, s2, ids, N, K, page, 0, NULL, cb, mb);
	for (size_t c = 0; c < N; c++) {
		ck_assert(fabs(ca[c] - z[c] / sum) < 1e-12);
		ck_assert(fabs(ca[c] - cb[c]) < 1e-12);
	}
	policy_free(p);
}
END_TEST

/* A very low temperature gives the greedy page; the draw's probabilities
 * are those of the page drawn (policy_propensities agrees with it). */
START_TEST(draw_and_propensities_agree)
{
	struct policy *p = make(POLICY_PLACKETT_LUCE, 1e-3, 0, 32);
	double s[N], c1[K], m1[K], c2[K], m2[K];
	uint32_t ids[N], page[K], greedy[K];
	struct rng d, mc, mc2;
	size_t k;

	make_scores(s, ids, N, 5);
	s[5] += 1e-6;   /* break the tie: scores far apart in sd units */
	rng_init(&d, 1, RNG_TEST, 12, 0);
	rng_init(&mc, 1, RNG_TEST, 13, 0);
	rng_init(&mc2, 1, RNG_TEST, 13, 0);
	k = policy_draw(p, s, ids, N, K, &d, &mc, page, c1, m1);
	policy_top_k(s, ids, N, K, greedy);
	for (size_t j = 0; j < k; j++)
		ck_assert_uint_eq(page[j], greedy[j]);
	policy_propensities(p, s, ids, N, page, k, &mc2, c2, m2);
	for (size_t j = 0; j < k; j++) {
		ck_assert(c1[j] == c2[j]);
		ck_assert(m1[j] == m2[j]);
		ck_assert(c1[j] > 0.999);
	}
	policy_free(p);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, greedy_is_rank_order);
	tcase_add_test(tc, deterministic_draws_nothing);
	tcase_add_test(tc, propensities_sum_to_one_plackett_luce);
	tcase_add_test(tc, propensities_sum_to_one_epsilon);
	tcase_add_test(tc, propensities_sum_to_one_epsilon_short_tail);
	tcase_add_test(tc, propensities_sum_to_one_deterministic);
	tcase_add_test(tc, plackett_luce_pages_follow_the_marginals);
	tcase_add_test(tc, epsilon_pages_follow_the_marginals);
	tcase_add_test(tc, plackett_luce_temperature_is_in_standard_deviations);
	tcase_add_test(tc, draw_and_propensities_agree);
}

CHECK_MAIN("policy", add_tests, 120)
