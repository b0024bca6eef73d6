#ifndef AIRTIME_OPESTORE_H
#define AIRTIME_OPESTORE_H
/*
 * Off-policy evaluation in results.db: per target, reward and estimator
 * the estimate with its interval against the truth (ope_estimates), each
 * replication's (ope_replications) and the bias, RMSE and coverage over
 * them (ope_summary).  eval/ope computes, this file names and writes the
 * rows; docs/results-schema.md documents the columns.  A second store of
 * the same (target, reward, estimator) replaces the first.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "stats/ope.h"

struct results;

/* One row of ope_estimates (strings borrowed). */
struct opestore_estimate {
	const char *target, *reward, *estimator;
	bool estimable;
	const char *why;
	size_t rounds;
	double estimate, se, lo, hi;
	double truth, truth_se;           /* NaN: no truth world */
	size_t truth_rounds;
	double model_truth;               /* NaN: no closed form */
	size_t nonzero;
	double ess, max_weight, alpha;
};

/* One row of ope_replications. */
struct opestore_replication {
	const char *target, *reward, *estimator;
	int replication;
	uint64_t seed;
	double estimate, lo, hi, truth, model_truth;
};

/* One row of ope_summary. */
struct opestore_summary {
	const char *target, *reward, *estimator;
	size_t replications;
	double mean_bias, rmse, coverage, coverage_lo, coverage_hi, mean_width;
	double model_mean_bias, model_rmse, model_coverage;
};

int opestore_put_estimates(struct results *r, int64_t run_id,
			   const struct opestore_estimate *rows, size_t n, struct error *err);
/* Replaces every replication row of the (target, reward) first. */
int opestore_put_replications(struct results *r, int64_t run_id,
			      const struct opestore_replication *rows, size_t n,
			      const struct opestore_summary *summary, size_t n_summary,
			      struct error *err);

/* Readers, in recording order; rows (strings included) are borrowed for
 * the call. */
int opestore_each_estimate(struct results *r, int64_t run_id,
			   int (*fn)(const struct opestore_estimate *e, void *ctx), void *ctx,
			   struct error *err);
int opestore_each_summary(struct results *r, int64_t run_id,
			  int (*fn)(const struct opestore_summary *s, void *ctx), void *ctx,
			  struct error *err);
int opestore_each_replication(struct results *r, int64_t run_id,
			      int (*fn)(const struct opestore_replication *e, void *ctx),
			      void *ctx, struct error *err);

#endif
