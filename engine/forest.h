#ifndef AIRTIME_FOREST_H
#define AIRTIME_FOREST_H
/*
 * A trained random forest: the model, batch inference and the model file.
 * Training lives in engine/forest_train.h; this half is what a ranker needs.
 *
 * Layout.  Every tree is a run of `struct forest_node` (16 bytes) in one
 * contiguous array; a tree's child indices are local to the tree.  An
 * internal node sends a row left when x[feature] <= threshold, right
 * otherwise (right = left + 1).  A missing value (NaN) goes to the side the
 * split learned (FOREST_MISSING_LEFT; see forest_train.h for how).  A leaf
 * has threshold +INF, the missing-left flag and left = itself, so stepping
 * from a leaf stays on it: inference walks every row of a block exactly
 * `depth(tree)` steps in lock-step, without a data-dependent loop exit,
 * which keeps many independent node loads in flight per core.
 *
 * forest_assemble (and so forest_load) also derives an inference-only
 * layout when the CPU and model allow (engine/forest_fast.h: thresholds as
 * byte ranks, four levels a step, AVX-512 or AVX2 chosen at run time);
 * batch scoring then uses it, with the same results bit for bit.
 *
 * Prediction is the mean over trees of the leaf values, summed in tree
 * order in double: a probability of the positive class (classification) or
 * the regression estimate.  Same model + same rows => same bits.
 *
 * Ownership: a `struct forest` is immutable once built and may be shared by
 * threads for inference.  Arguments are borrowed; returned models belong to
 * the caller (forest_free).
 */
#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

/* Documented limits of a model (checked by forest_load before allocating;
 * forest_assemble refuses more features): features, trees, nodes over all
 * trees, and the model file's size in bytes. */
#define FOREST_MAX_FEATURES 65535
#define FOREST_MAX_TREES 1000000
#define FOREST_MAX_NODES 1000000000ULL
#define FOREST_MAX_FILE (32ULL << 30)

enum forest_task { FOREST_CLASSIFY = 0, FOREST_REGRESS = 1 };
enum forest_criterion { FOREST_GINI = 0, FOREST_ENTROPY = 1, FOREST_MSE = 2 };

enum {
	FOREST_LEAF = 1u << 0,          /* node is a leaf: value is the prediction */
	FOREST_MISSING_LEFT = 1u << 1,  /* NaN goes left (else right) */
	FOREST_EXACT = 1u << 2,         /* split found by exact search (informational) */
};

/* One node, 16 bytes (checked at compile time in forest.c). */
struct forest_node {
	float threshold;   /* go left iff x <= threshold; +INF in leaves */
	uint32_t left;     /* tree-local index of the left child; leaves: itself */
	uint16_t feature;  /* feature index; 0 in leaves */
	uint16_t flags;    /* FOREST_LEAF | FOREST_MISSING_LEFT | FOREST_EXACT */
	float value;       /* leaf: prediction; internal: the node's mean label */
};

/* Training parameters; recorded in the model file. */
struct forest_params {
	uint32_t task;            /* enum forest_task */
	uint32_t criterion;       /* enum forest_criterion (MSE for regression) */
	uint32_t n_trees;
	uint32_t mtry;            /* features tried per split; 0 = sqrt(p) (classify), p/3 (regress) */
	uint32_t max_depth;       /* 0 = unlimited (root has depth 0) */
	uint32_t min_leaf;        /* min distinct in-bag rows per leaf, >= 1 */
	uint32_t max_leaves;      /* 0 = unlimited (depth-first); else best-first growth */
	uint32_t n_bins;          /* histogram bins per feature, 2..255 */
	uint32_t exact_below;     /* nodes with fewer rows use exact search on sorted values */
	uint32_t bootstrap;       /* 1 = sample n rows with replacement per tree */
	uint32_t permutation_importance; /* 1 = compute OOB permutation importance */
	uint64_t seed;
};

struct forest;

/* Default parameters (100 trees, Gini, sqrt mtry, unlimited depth, min_leaf 1). */
struct forest_params forest_params_defaults(void);

/* Assemble a model from trees built elsewhere.  `nodes` holds the trees
 * back to back, tree t having tree_sizes[t] nodes; the arrays are copied.
 * importance (n_features, may be NULL) is the impurity importance.  The
 * trees are validated: returns NULL with ERR_INPUT/ERR_CORRUPT on a bad one. */
struct forest *forest_assemble(const struct forest_params *p, size_t n_features,
			       const char *const *feature_names, size_t n_trees,
			       const uint32_t *tree_sizes, const struct forest_node *nodes,
			       const double *importance, double oob_score, struct error *err);

/* Free a model; NULL is a no-op. */
void forest_free(struct forest *f);

/* Number of features a row must have (stride >= this). */
size_t forest_n_features(const struct forest *f);
/* Name of feature i (< forest_n_features). */
const char *forest_feature_name(const struct forest *f, size_t i);
/* Index of the feature called `name`, or -1. */
long forest_feature_index(const struct forest *f, const char *name);
/* Number of trees. */
size_t forest_n_trees(const struct forest *f);
/* Total number of nodes over all trees. */
size_t forest_n_nodes(const struct forest *f);
/* Deepest tree's depth (steps from root to its deepest leaf). */
unsigned forest_max_depth(const struct forest *f);
/* The parameters the model was trained with. */
const struct forest_params *forest_params(const struct forest *f);
/* Normalised mean-decrease-in-impurity importance of feature i (sums to 1). */
double forest_importance(const struct forest *f, size_t i);
/* Out-of-bag score recorded at training (AUC or R^2; NaN if none). */
double forest_oob_score(const struct forest *f);
/* Tree t's nodes (count in *n_nodes); for inspection and tests. */
const struct forest_node *forest_tree(const struct forest *f, size_t t, size_t *n_nodes);

/* Score n_rows rows (row-major float32, row r at rows + r*stride, NaN =
 * missing) into out[0..n_rows).  Allocates nothing.  Returns 0, or
 * ERR_INPUT if stride < forest_n_features. */
int forest_predict_batch(const struct forest *f, const float *rows, size_t n_rows,
			 size_t stride, double *out);

/* How forest_predict_batch runs on this model and CPU: "avx512" or "avx2"
 * (the ranked layout of engine/forest_fast.h) or "node walk". */
const char *forest_inference_path(const struct forest *f);

/* One tree's prediction for one row (early-exit walk); for OOB and tests. */
double forest_predict_tree(const struct forest *f, size_t t, const float *row);

/* Write the model to `path` (written to a temporary name, then renamed, so
 * a failed save leaves no half-written file).  Little-endian, versioned,
 * checksummed; see forest.c for the format. */
int forest_save(const struct forest *f, const char *path, struct error *err);

/* Read a model.  ERR_IO if unreadable; ERR_INPUT naming the file and the
 * field when a header count is impossible or beyond the FOREST_MAX_*
 * limits (checked before anything is allocated for it); ERR_CORRUPT
 * (naming the file and what is wrong) if not a forest file, of another
 * version, shorter than its header promises, or failing its checksum or
 * structure checks. */
struct forest *forest_load(const char *path, struct error *err);

#endif
