#ifndef AIRTIME_STATS_H
#define AIRTIME_STATS_H
/*
 * A/B statistics on per-user metrics (the user is the unit of
 * randomisation), built on GSL.
 *
 * Every function takes borrowed arrays and fills caller-owned result
 * structs.  Intervals are two-sided at level 1 - alpha.  Functions return
 * ERR_INPUT when the data cannot support the estimate (fewer than two users
 * in an arm, a zero control mean for a relative lift, zero variance where a
 * ratio needs one), with a message naming the reason; the caller reports the
 * metric as "not estimable" instead of printing NaN.
 *
 * Choices, each the standard one in online experimentation:
 *  - absolute lift: Welch's t interval (unequal variances, Welch-Satterthwaite
 *    degrees of freedom), not the pooled-variance t-test;
 *  - relative lift: delta method on mean_t / mean_c - 1 (normal quantile);
 *  - ratio metrics (click-through = sum clicks / sum impressions per arm):
 *    delta method with the user-level covariance of numerator and denominator;
 *  - CUPED: theta = cov(y, x) / var(x) pooled over both arms, x the same
 *    metric in the warm-up period;
 *  - multiplicity: Holm (family-wise) and Benjamini-Hochberg (FDR) adjusted
 *    p-values;
 *  - quantiles: user-clustered bootstrap (resample users, i.e. whole per-user
 *    values) with its own RNG stream, percentile intervals;
 *  - sample-ratio mismatch: chi-square goodness of fit on arm sizes.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct stats_summary {
	size_t n;
	double mean, sd, var;
};

struct stats_lift {
	struct stats_summary t, c;  /* treatment, control */
	double diff, diff_lo, diff_hi;   /* mean_t - mean_c and its interval */
	double se, df, tstat, p;         /* Welch */
	double rel, rel_lo, rel_hi, rel_se; /* mean_t / mean_c - 1 (delta method) */
};

/* n, mean, sample sd (n - 1 denominator).  n == 0 gives zeros. */
void stats_summarize(const double *x, size_t n, struct stats_summary *out);

/* Welch interval for mean(t) - mean(c) and delta-method relative lift. */
int stats_welch(const double *t, size_t nt, const double *c, size_t nc, double alpha,
		struct stats_lift *out, struct error *err);

/* Ratio metric sum(num)/sum(den) per arm, per-user num/den pairs: lift of the
 * ratios with delta-method standard errors.  out->t/out->c hold the per-arm
 * ratio in .mean and its standard error in .sd (n = users). */
int stats_ratio_lift(const double *num_t, const double *den_t, size_t nt,
		     const double *num_c, const double *den_c, size_t nc, double alpha,
		     struct stats_lift *out, struct error *err);

/* Delta-method variance of the ratio of means mean(num)/mean(den) over n
 * users (the variance of the estimator, not of a user). */
int stats_ratio_var(const double *num, const double *den, size_t n, double *ratio,
		    double *var, struct error *err);

struct stats_cuped {
	double theta;              /* cov(y, x) / var(x), pooled over arms */
	double variance_reduction; /* 1 - var(y_adj) / var(y), pooled */
	struct stats_lift raw, adjusted;
};

/* CUPED with covariate x (the metric in the warm-up period). */
int stats_cuped(const double *y_t, const double *x_t, size_t nt, const double *y_c,
		const double *x_c, size_t nc, double alpha, struct stats_cuped *out,
		struct error *err);

/* Paired differences (twin worlds: the same user in both worlds).  Fills
 * diff (mean of d = t - c) with a t interval; rel = mean(t)/mean(c) - 1 with a
 * delta-method interval that uses the pairing covariance. */
int stats_paired(const double *t, const double *c, size_t n, double alpha,
		 struct stats_lift *out, struct error *err);

/* Ratio metrics on paired users (twin worlds): R_w = sum(num_w) / sum(den_w)
 * per world over the same n users; diff = R_t - R_c with a normal interval
 * from the per-user influence (num - R den) / mean(den), differenced per
 * user (so the pairing covariance counts); rel = R_t / R_c - 1 by the delta
 * method with that covariance.  out->t/out->c hold the ratios in .mean and
 * their standard errors in .sd, as stats_ratio_lift. */
int stats_ratio_paired(const double *num_t, const double *den_t, const double *num_c,
		       const double *den_c, size_t n, double alpha, struct stats_lift *out,
		       struct error *err);

/* Sample-ratio mismatch: chi-square (1 df) of observed arm sizes against the
 * expected treatment share (stats_srm_arms with two arms). */
int stats_srm(uint64_t n_t, uint64_t n_c, double expected_share, double *chi2,
	      double *p, struct error *err);
/* The same over k >= 2 arms: chi-square (k - 1 df) of the arm sizes n[0..k-1]
 * against expected shares; shares[0], the control's, is not read: arm 0
 * expects what the others leave (N minus their expected counts).  ERR_INPUT
 * when a share of arms 1..k-1 is not in (0, 1), they sum to 1 or more, or
 * there is no user. */
int stats_srm_arms(const uint64_t *n, const double *shares, size_t k, double *chi2, double *p,
		   struct error *err);

/* Adjusted p-values (same order as input); out may alias p. */
void stats_holm(const double *p, size_t n, double *out);
void stats_bh(const double *p, size_t n, double *out);

/* User-clustered bootstrap interval for quantile_q(t) - quantile_q(c), with
 * `reps` resamples from the stream (seed, RNG_STATS, stream_id); O(n) per
 * resample (counts over the once-sorted sample).  ERR_INPUT on fewer than
 * two values per arm, under 20 resamples or a NaN value. */
int stats_bootstrap_quantile_diff(const double *t, size_t nt, const double *c, size_t nc,
				  double q, size_t reps, uint64_t seed, uint64_t stream_id,
				  double alpha, double *est, double *lo, double *hi,
				  struct error *err);

/* Minimum detectable absolute effect for a two-sample comparison with these
 * sds and sizes, at two-sided level alpha and the given power (normal
 * approximation). */
double stats_mde(double sd_t, double sd_c, size_t nt, size_t nc, double alpha, double power);
/* The same from a standard error of the difference (paired designs). */
double stats_mde_se(double se, double alpha, double power);
/* Power to detect absolute effect `delta` under the same approximation. */
double stats_power(double delta, double sd_t, double sd_c, size_t nt, size_t nc, double alpha);

#endif
