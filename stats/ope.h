#ifndef AIRTIME_OPE_H
#define AIRTIME_OPE_H
/*
 * Off-policy estimators: the value of a target policy pi_e estimated from
 * pages logged under a logging policy pi_0, with confidence intervals.
 *
 * Data: n rounds (logged pages) i, each of L_i slots k = 1..L_i: the shown
 * show a_k, its reward r_k, the logging policy's conditional propensity
 * c_k = pi_0(a_k | x, a_1..a_{k-1}) and marginal m_k = pi_0(a_k at k | x),
 * the target's e_k = pi_e(a_k | x, a_1..a_{k-1}) and its marginal f_k =
 * pi_e(a_k at k | x), and a reward model: q_k = q(x, a_1..a_k) at the
 * logged slot, g_k = E_{a' ~ pi_e(. | x, a_1..a_{k-1})} q(x, a_1..a_{k-1}, a')
 * under the target given the logged prefix, and dm_i = E_{a ~ pi_e} sum_k
 * q(x, a_1..a_k), the modelled reward of the target's page.  The value of
 * a policy is the expected total reward of a page, V = E[sum_k r_k].
 *
 * With the page weight W = prod_k e_k / c_k, the prefix weights W_{1:k} =
 * prod_{j<=k} e_j / c_j (W_{1:0} = 1) and R = sum_k r_k, each estimator is
 * the mean over rounds of a per-round term t_i (SNIPS a ratio):
 *   ips          W R                                  slate IPS (the whole page
 *                                                     as one action)
 *   snips        sum W R / sum W                      self-normalised
 *   dm           dm_i                                 direct method
 *   dr           dm_i + W (R - sum_k q_k)             doubly robust (slate)
 *   iips         sum_k (f_k / m_k) r_k                independence: position-
 *                                                     marginal weights (Li et
 *                                                     al., KDD 2018)
 *   rips         sum_k W_{1:k} r_k                    cascade: a slot's reward
 *                                                     depends on the slots above
 *                                                     (McInerney et al., 2020;
 *                                                     OBP's RIPS)
 *   cascade-dr   sum_k [W_{1:k} (r_k - q_k) + W_{1:k-1} g_k]
 *                                                     (Kiyohara et al., WSDM 2022)
 *
 * Intervals (level 1 - alpha): normal approximation of the per-round
 * terms, value +- z_{1-alpha/2} sd(t) / sqrt(n) with the sample standard
 * deviation (n - 1); SNIPS by the delta method for the ratio: se^2 =
 * n / (n - 1) * sum_i (W_i (R_i - V))^2 / (sum_i W_i)^2.  With every W = 1
 * SNIPS and its interval are IPS's (the same sums in the same order).
 * Rounds are treated as independent (a user's pages are not clustered).
 *
 * Not estimable (estimable = false, `why` says so): no round; a logged
 * slot with a propensity that is not a probability > 0; the reward model
 * missing (DM, DR, cascade-DR) or the marginals missing (IIPS); SNIPS when
 * no logged page has a non-zero weight.
 *
 * Pure computation over borrowed arrays; allocates nothing.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum ope_estimator {
	OPE_IPS = 0,
	OPE_SNIPS,
	OPE_DM,
	OPE_DR,
	OPE_IIPS,
	OPE_RIPS,
	OPE_CASCADE_DR,
	OPE_ESTIMATORS
};

/* Every estimator, as a mask of (1u << estimator). */
#define OPE_ALL ((1u << OPE_ESTIMATORS) - 1)

/* "ips", "snips", "dm", "dr", "iips", "rips", "cascade-dr", and back (-1). */
const char *ope_estimator_name(enum ope_estimator e);
int ope_estimator_from_name(const char *name);
/* "all", or names separated by commas, into a mask; ERR_INPUT naming the
 * bad one and listing the names.  `what` prefixes the message ("--estimators"). */
int ope_parse_estimators(const char *text, const char *what, unsigned *mask,
			 struct error *err);

struct ope_data {
	size_t n;                  /* rounds */
	const size_t *first;       /* n + 1: round i's slots are first[i] .. first[i+1]-1 */
	const double *reward;      /* r_k */
	const double *p_cond;      /* c_k */
	const double *p_marg;      /* m_k; NULL: IIPS not estimable */
	const double *e_cond;      /* e_k */
	const double *e_marg;      /* f_k */
	const double *q_logged;    /* q_k; NULL: no reward model */
	const double *q_target;    /* g_k */
	const double *dm;          /* n: dm_i */
};

struct ope_estimate {
	enum ope_estimator estimator;
	bool estimable;
	char why[160];
	size_t n;                  /* rounds */
	double value, se, lo, hi;
	double alpha;
	size_t nonzero;            /* rounds whose term used a non-zero weight */
	double ess;                /* effective sample size (sum w)^2 / sum w^2 of the weights used */
	double max_weight;         /* largest weight used */
};

/* One estimator over d; out is filled in every case (value NaN when not
 * estimable).  0, or ERR_INPUT for a bad alpha. */
int ope_estimate(const struct ope_data *d, enum ope_estimator e, double alpha,
		 struct ope_estimate *out, struct error *err);

/* Mean and its standard error of per-round totals (for a truth measured
 * online: x[i] the reward of page i). */
void ope_mean(const double *x, size_t n, double *mean, double *se);

#endif
