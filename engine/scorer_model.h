#ifndef AIRTIME_SCORER_MODEL_H
#define AIRTIME_SCORER_MODEL_H
/*
 * A scorer over a row model (struct rank_model, engine/rank.h): the forest.
 * The model names its features; at creation they are mapped by name onto
 * the ranker's row layout (ERR_INPUT naming a feature the layout lacks), so
 * a model trained elsewhere, on columns in another order, scores the same
 * rows.  Its score of a row depends on that row only, so with threads > 1
 * a page's rows are scored in blocks on helper threads (engine/workpool.h)
 * and the scores are the same bits for any thread count.  Cost: the trees
 * and the nodes the forest walked (rank_model's n_trees, nodes_per_row).
 *
 * The rows a page hands in are read during the call only: with helpers,
 * they are copied into one of threads + 1 buffers of the scorer's own,
 * since a helper too late for its block may still read the last page's
 * copy after the call returned.
 */
#include <stddef.h>

#include "common/error.h"
#include "engine/scorer.h"

struct forest;
struct rank_model;

/* A scorer named `name` over m (borrowed: must outlive the scorer), for
 * rows of the layout `names` (n_features columns, borrowed for the call),
 * pages of at most max_rows, scored on `threads` threads (1..64). */
struct scorer *scorer_model_new(const char *name, const struct rank_model *m,
				const char *const *names, size_t n_features, unsigned threads,
				size_t max_rows, struct error *err);
/* The same over forest f, which the scorer takes (freed with it, also on
 * failure). */
struct scorer *scorer_model_new_owned(const char *name, struct forest *f,
				      const char *const *names, size_t n_features,
				      unsigned threads, size_t max_rows, struct error *err);

#endif
