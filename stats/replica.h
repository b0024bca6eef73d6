#ifndef AIRTIME_REPLICA_H
#define AIRTIME_REPLICA_H
/*
 * Statistics over replications: the same experiment run with many seeds,
 * one estimate and interval per seed (airtime replicate).
 *
 * For one metric of one A/B mode, over the seeds whose estimate exists
 * (NaN estimates are left out):
 *   - the mean of the per-seed estimates with a Student t interval,
 *     mean +- t(1 - alpha/2, k - 1) * sd / sqrt(k): the seed-to-seed
 *     spread of the estimate, which is what a reader of one run's
 *     interval is promised (k >= 2; NaN below);
 *   - how many seeds were significant: p_adjusted < alpha (the run's own
 *     verdict) and, separately, raw p < alpha; when the truth is zero (an
 *     A/A test) these are the false-positive counts;
 *   - coverage: of the seeds with a known truth (finite truth[i]), how many
 *     intervals [lo, hi] hold it.
 * Shares come with Wilson score intervals (replica_wilson), which stay
 * inside [0, 1] and are honest for the few seeds a study has.
 */
#include <stddef.h>

struct replica_summary {
	size_t n;                    /* seeds with an estimate */
	double mean, sd, lo, hi;     /* NaN when n < 2 (mean when n == 1) */
	size_t significant;          /* p_adjusted < alpha */
	size_t rejected_raw;         /* p < alpha */
	size_t with_truth, covered;  /* truth known; inside [lo, hi] */
};

/* Summarise n seeds (p, p_adj and truth may be NULL). */
void replica_summarize(const double *est, const double *lo, const double *hi, const double *p,
		       const double *p_adj, const double *truth, size_t n, double alpha,
		       struct replica_summary *out);

/* Wilson score interval of k successes in n trials at level 1 - alpha;
 * [NaN, NaN] when n == 0. */
void replica_wilson(size_t k, size_t n, double alpha, double *lo, double *hi);

#endif
