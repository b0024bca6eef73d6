#ifndef AIRTIME_FOREST_FAST_H
#define AIRTIME_FOREST_FAST_H
/*
 * A derived, inference-only layout of a forest's trees, built once when the
 * model is assembled and kept inside it (engine/forest.c); the model file
 * and struct forest_node are unchanged.
 *
 * Each tree is padded to a complete binary tree whose depth is a multiple
 * of three and cut into "chunks" of three levels (7 split nodes, 8 exits).
 * Chunks form a complete 8-ary tree in breadth-first order, so a chunk's
 * children are found by arithmetic (child e of chunk c is 8c + 1 + e) and no
 * links are stored.  Below a real leaf, the padding nodes are dummies and
 * the leaf's value is copied into every leaf slot under it, so whatever way
 * a row goes through the padding (NaN included), it lands on that value.
 * A chunk is evaluated at once with AVX-512: the row's features sit in two
 * vector registers, one permute fetches the 7 features the chunk tests,
 * one compare decides the 7 splits, and a 128-entry table maps the
 * resulting bits to the exit taken.  Missing values (NaN) are decided in
 * the same compare: each lane's word also tells VFIXUPIMMPS what a NaN
 * becomes there (-INF or -FLT_MAX when missing goes left, a NaN, which goes
 * right, otherwise); only a forest with a missing-left split at -INF on a
 * feature >= 16 falls back to a second compare and the lanes' missing-left
 * bits.  So this path needs an x86-64 CPU with
 * AVX-512 (F, VL, DQ) and at most 32 features; forests with a tree deeper
 * than 15 or past a memory budget are left to the caller's node walk.
 * Trees are walked sixteen at a time per row (independent chains overlap in
 * the core; the walk is bound by each step's load -> permute -> compare
 * -> table chain, so more chains in flight is what pays), rows in blocks.
 * The layout sits on 2 MB transparent huge pages when it is large.
 *
 * Predictions are exactly the nodes' leaf values: the same splits are
 * decided with the same float comparisons (x <= threshold; NaN by the
 * learned default direction), only several at a time.
 *
 * Ownership: immutable once built; safe to share between threads.
 * Arguments are borrowed; nothing is allocated per call.
 */
#include "engine/forest.h"

#include <stddef.h>
#include <stdint.h>

struct forest_fast;

/* Build the layout for all trees (tree t = nodes[tree_off[t] ..
 * tree_off[t+1]), depth tree_depth[t]), or return NULL when this CPU or
 * this model cannot use it (the caller then walks the nodes).  The trees
 * must have passed validation. */
struct forest_fast *forest_fast_new(const struct forest_node *nodes, const size_t *tree_off,
				    const uint16_t *tree_depth, size_t n_trees,
				    size_t n_features);

/* Free the layout; NULL is a no-op. */
void forest_fast_free(struct forest_fast *ff);

/* out[r] = mean over trees of the leaf values for row rows[r*stride], r <
 * n_rows: 0, plus each tree's leaf value as a double in tree order, then
 * divided by the number of trees -- the node walk's exact operations, so
 * the same bits.  stride >= the feature count; allocates nothing. */
void forest_fast_predict(const struct forest_fast *ff, const float *rows, size_t n_rows,
			 size_t stride, double *out);

#endif
