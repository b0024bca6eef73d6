#ifndef AIRTIME_FOREST_TRAIN_H
#define AIRTIME_FOREST_TRAIN_H
/*
 * Training a random forest (engine/forest.h is the model).
 *
 * Each tree sees a bootstrap sample (n draws with replacement, kept as a
 * count per row), tries `mtry` randomly chosen non-constant features at each
 * node, and is grown depth-first, or best-first (largest impurity decrease
 * first) when max_leaves is set, until max_depth, min_leaf, purity or
 * max_leaves stops it.  Leaves hold the weighted positive fraction
 * (classification, a probability) or the weighted mean (regression).
 *
 * Split finding: every feature is binned once into <= n_bins quantile bins
 * (uint8 codes, column-major); a node with >= exact_below rows builds a
 * histogram per tried feature and scans the bin edges; a smaller node sorts
 * its raw values and scans every midpoint (exact search).  See
 * forest_train.c for the measurements behind the defaults.
 *
 * Missing values (NaN): each split evaluates the missing rows on both sides
 * and keeps the better one; when a node saw no missing value in training,
 * missing goes to the child with more (bootstrap-weighted) rows.  The
 * direction is stored per node (FOREST_MISSING_LEFT).
 *
 * Determinism: tree t draws only from rng_init(seed, RNG_FOREST, t, 0);
 * threads take whole trees and write to per-tree slots, and everything that
 * crosses trees (importance, OOB sums) is combined in tree order, so the
 * model and report are bit-identical for any thread count.
 */
#include "common/error.h"
#include "engine/forest.h"

#include <stddef.h>

struct forest_train_report {
	size_t n_features;
	size_t n_oob;                  /* rows out-of-bag in at least one tree */
	double oob_score;              /* OOB AUC (classify) or R^2 (regress); NaN if none */
	double oob_loss;               /* OOB log loss (classify) or MSE (regress) */
	double *oob_pred;              /* n rows: OOB prediction, NaN if never OOB */
	/* Permutation importance (params.permutation_importance): drop of the
	 * OOB score when feature j is replaced by its value in another row
	 * (a fixed permutation of all rows, stream (seed, RNG_FOREST, j, 1));
	 * NULL unless requested.  n_features entries. */
	double *permutation_importance;
};

/* Free the report's arrays (the struct is the caller's). */
void forest_train_report_release(struct forest_train_report *rep);

/* Train on n rows of n_features float32 features (row-major, NaN = missing)
 * with labels y (0/1 for classification).  feature_names may be NULL
 * ("f0", "f1", ...).  threads >= 1 (more than trees is clamped).  rep may be
 * NULL.  Returns the model, or NULL with ERR_INPUT naming the bad argument
 * or row. */
struct forest *forest_train(const struct forest_params *params, const float *X, size_t n,
			    size_t n_features, const double *y,
			    const char *const *feature_names, int threads,
			    struct forest_train_report *rep, struct error *err);

/* Permutation importance on a labelled data set (not necessarily the
 * training set): out[j] = score(original) - score(feature j permuted by the
 * stream (seed, RNG_FOREST, j, 2)), score = AUC (classify) or R^2 (regress).
 * rows as in forest_predict_batch. Returns 0 or ERR_INPUT. */
int forest_train_permutation_importance(const struct forest *f, const float *rows, size_t n,
					size_t stride, const double *y, uint64_t seed,
					double *out, struct error *err);

#endif
