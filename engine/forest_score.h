#ifndef AIRTIME_FOREST_SCORE_H
#define AIRTIME_FOREST_SCORE_H
/*
 * Metrics of predictions against labels, for forest training (out-of-bag
 * AUC) and evaluation: ROC AUC, log loss, Brier score, R^2, calibration by
 * decile.  Pure functions on borrowed arrays; deterministic (ties in scores
 * are handled by average ranks, never by sort order).
 */
#include <stddef.h>

/* One calibration bin: rows whose predicted probability falls in it. */
struct forest_score_bin {
	double lo, hi;          /* probability range [lo, hi) (last bin closed) */
	size_t n;               /* rows in the bin */
	double mean_pred;       /* mean predicted probability (NaN if empty) */
	double mean_label;      /* observed positive rate (NaN if empty) */
};

/* ROC AUC of scores against 0/1 labels (Mann-Whitney with average ranks for
 * ties); NaN when one class is absent.  Rows with mask[i]==0 are skipped
 * (mask may be NULL).  Allocates a scratch array of n entries. */
double forest_score_auc(const double *score, const double *y, const unsigned char *mask,
			size_t n);
/* Mean log loss, predictions clipped to [1e-15, 1-1e-15]. */
double forest_score_logloss(const double *p, const double *y, size_t n);
/* Mean squared error of predictions (the Brier score for 0/1 labels). */
double forest_score_mse(const double *p, const double *y, const unsigned char *mask, size_t n);
/* Coefficient of determination 1 - MSE/Var(y); NaN if y is constant. */
double forest_score_r2(const double *p, const double *y, const unsigned char *mask, size_t n);
/* Ten equal-width bins [0,0.1), ..., [0.9,1.0] of predicted probability. */
void forest_score_calibration(const double *p, const double *y, size_t n,
			      struct forest_score_bin bins[10]);

#endif
