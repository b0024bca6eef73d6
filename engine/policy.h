#ifndef AIRTIME_POLICY_H
#define AIRTIME_POLICY_H
/*
 * Logging policies: how a scorer's scores become the page a user sees, with
 * the exact probability of what was shown (the propensities off-policy
 * evaluation needs).
 *
 * A page is K slots drawn from the n candidates of a request.  The greedy
 * page is engine/rank's: the top K by score, ties to the lower show id, NaN
 * last.  Three policies:
 *
 *   deterministic  the greedy page.  Every shown slot has probability 1.
 *
 *   plackett-luce  the page is drawn slot by slot without replacement,
 *                  P(c) proportional to exp(z_c / temperature), z the
 *                  scores standardised over the request's candidates
 *                  ((s - mean) / sd; all z = 0 when sd = 0; a NaN score
 *                  counts as the lowest finite one).  Temperature is thus
 *                  in standard deviations of the page's scores, the same
 *                  for every scorer whatever its scale.
 *                  Conditional   P(a_j | a_1..a_{j-1}) = w_a / (sum of w over
 *                                the candidates not yet shown), exact.
 *                  Marginal      P(a at slot j) has no closed form over
 *                                hundreds of candidates: it is estimated by
 *                                Monte Carlo with importance sampling: S
 *                                prefixes of length j-1 drawn from the policy
 *                                without a, each weighted by its probability
 *                                ratio prod_i (R_i - w_a) / R_i, times a's
 *                                exact conditional after it, w_a / R_j (R_i
 *                                the weight not yet drawn before slot i, a's
 *                                included).  S = marginal_samples; slot 1 is
 *                                exact.  Unbiased and never 0 (a plain count,
 *                                or the mean conditional over unrestricted
 *                                prefixes, gives 0 for a show the policy
 *                                nearly always shows higher up, and IIPS
 *                                divides by it); the estimates over all
 *                                candidates sum to 1 in expectation only.
 *                                Cost: S (K-1) K / 2 draws per page.
 *
 *   epsilon        epsilon-greedy swaps: each slot j of the greedy page d,
 *                  in order and independently, is swapped with probability
 *                  epsilon for a show drawn uniformly, without replacement,
 *                  from the candidates below the page (the T = n - K
 *                  others); once they are used up, a slot keeps d_j.
 *                  Conditional   P(d_j | prefix) = 1 - epsilon and P(c | prefix)
 *                                = epsilon / (T - m) for every unused tail
 *                                show c, m the swaps in the prefix (the
 *                                slots with a_i != d_i); P(d_j) = 1 when
 *                                m = T.  Exact.
 *                  Marginal      q_j = epsilon P(Binomial(j - 1, epsilon) < T)
 *                                is the chance slot j is swapped; P(d_j at j)
 *                                = 1 - q_j and P(c at j) = q_j / T for a tail
 *                                show c (a swap's show is uniform over the
 *                                tail by exchangeability).  Exact.
 *
 * Randomness comes from the caller's streams: `draw` for the page, `mc` for
 * the Monte Carlo marginals (separate, so the number of samples never
 * changes the page).  A deterministic policy draws nothing.
 *
 * Memory: scratch for max_candidates candidates, reserved at policy_new; a
 * page allocates nothing.  Not thread-safe: one struct policy per thread.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/rng.h"

/* Values are the indexes of [logging] policy's choices
 * ("deterministic|plackett-luce|epsilon"): keep both in the same order. */
enum policy_kind { POLICY_DETERMINISTIC = 0, POLICY_PLACKETT_LUCE, POLICY_EPSILON };

/* [logging] policy keys, filled by config_load (config/config_keys.c holds
 * their documentation and defaults). */
struct policy_config {
	enum policy_kind kind;
	double temperature;          /* plackett-luce, in standard deviations of the scores */
	double epsilon;              /* epsilon: per-slot swap probability */
	uint32_t marginal_samples;   /* plackett-luce: Monte Carlo prefixes per slot of a page */
};

struct policy;

/* "plackett-luce" and back (-1 if unknown). */
const char *policy_kind_name(enum policy_kind k);

/* Scratch for up to max_candidates candidates and pages of up to max_k slots. */
struct policy *policy_new(const struct policy_config *cfg, size_t max_candidates, size_t max_k);
void policy_free(struct policy *p);
const struct policy_config *policy_config(const struct policy *p);

/* The greedy page: indexes (into scores/ids) of the top min(k, n) by score,
 * ties to the lower id, NaN last, best first.  Returns how many. */
size_t policy_top_k(const double *scores, const uint32_t *ids, size_t n, size_t k,
		    uint32_t *out);

/* Draw a page of min(k, n) slots from n candidates: out[j] the index of
 * slot j's candidate; cond[j] and marg[j] (either may be NULL) its
 * conditional and position-marginal probability.  draw and mc are the
 * caller's streams (unused by a deterministic policy; mc only for
 * plackett-luce marginals).  Returns the page length. */
size_t policy_draw(struct policy *p, const double *scores, const uint32_t *ids, size_t n,
		   size_t k, struct rng *draw, struct rng *mc, uint32_t *out, double *cond,
		   double *marg);

/* The same probabilities for a given page page[0..k) (indexes, distinct). */
void policy_propensities(struct policy *p, const double *scores, const uint32_t *ids,
			 size_t n, const uint32_t *page, size_t k, struct rng *mc, double *cond,
			 double *marg);

/* The propensities of an exploration shuffle ([ab] exploration): with
 * probability share the greedy page greedy[0..k) is shown in a uniformly
 * random order, else as is.  cond[j] = P(page[j] | page[0..j)) and marg[j]
 * = P(page[j] at slot j) of the shown order page[0..k) (a permutation of
 * greedy), exactly. */
void policy_shuffle_propensities(double share, const uint32_t *greedy, const uint32_t *page,
				 size_t k, double *cond, double *marg);

/* Slot j's whole distribution given the page's first j slots: cond_all[c]
 * = P(candidate c at slot j | page[0..j)) and marg_all[c] = P(c at slot j),
 * for every candidate c < n (each sums to 1; for tests and checks). */
void policy_slot_distribution(struct policy *p, const double *scores, const uint32_t *ids,
			      size_t n, size_t k, const uint32_t *page, size_t j,
			      struct rng *mc, double *cond_all, double *marg_all);

#endif
