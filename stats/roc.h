#ifndef AIRTIME_ROC_H
#define AIRTIME_ROC_H
/*
 * ROC curve points of a scorer against 0/1 labels, for the report's model
 * section: (false-positive rate, true-positive rate) at every distinct
 * score threshold, thinned to at most `max_points` (always keeping (0,0)
 * and (1,1)).  Rows whose score is NaN (e.g. never out-of-bag) are skipped.
 */
#include <stddef.h>

/* Fill fpr/tpr (capacity max_points >= 2); returns the number of points, 0
 * when either class is absent. */
size_t roc_curve(const double *score, const double *label, size_t n, size_t max_points,
		 double *fpr, double *tpr);

#endif
