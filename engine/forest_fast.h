#ifndef AIRTIME_FOREST_FAST_H
#define AIRTIME_FOREST_FAST_H
/*
 * A derived, inference-only layout of a forest's trees, built once when the
 * model is assembled and kept inside it (engine/forest.c); the model file
 * and struct forest_node are unchanged.
 *
 * Thresholds become ranks.  For each feature, the distinct thresholds its
 * splits use are sorted (at most 255 of them); a row's value x is replaced
 * by q(x) = the number of those thresholds below x, one byte, and a split
 * at the k-th threshold sends the row left iff q(x) <= k: exactly x <=
 * threshold, decided on integers.  A missing value (NaN) has two bytes, 255
 * and 0, and each split reads the one that takes its learned side (255 goes
 * right of every split, 0 left of every one), so NaN costs nothing more.
 * A row is then 64 bytes: one vector register.  A block of rows without
 * any NaN keeps one copy, 32 bytes a row (half the bytes streamed per
 * tree, and a cheaper 256-bit permute or two PSHUFB instead of four).
 * On AVX-512 the ranks are computed a column at a time: 16 rows are
 * transposed in registers, and each feature's 16 values go through an
 * eight-level branch-free binary search over its sorted thresholds (laid
 * out by level, 1 kB a feature, so each level's candidates are one to
 * eight registers picked by permutes), eight columns interleaved; the
 * ranks are packed and transposed back into rows.  AVX2 ranks a row at a
 * time: 16 "pivots" (every 16th threshold) compared at once give the
 * block of 16 holding the rank, a second compare the rest.
 *
 * Each tree is padded to a complete binary tree whose depth is a multiple
 * of four and cut into "chunks" of four levels (15 split nodes, 16 exits),
 * 32 bytes each (15 feature bytes, 15 rank bytes).  Chunks form a complete
 * 16-ary tree in breadth-first order, so a chunk's children are found by
 * arithmetic (child e of chunk c is 16c + 1 + e) and no links are stored.
 * Below a real leaf, the padding nodes are dummies that send every row left
 * and the leaf's value is copied into every leaf slot under it.  One step
 * decides a chunk's 15 splits at once: one byte permute fetches the 15
 * features it tests from the row, one unsigned byte compare decides them,
 * and a 32,768-entry byte table (32 kB) maps the 15 bits to the exit taken.
 * A depth-12 tree is three steps; the first, on the root chunk, is the
 * same chunk for every row and reads it from registers.
 *
 * Trees outer, rows inner: a tree's chunks and leaves (25 kB at depth 12)
 * stay near the core while a block of up to 1,024 rows (64 kB of ranks on
 * the stack) goes through it, so each tree comes from L2/L3 once per block,
 * and the rows walk it in groups whose walks are independent chains the
 * core overlaps (hiding each step's load -> permute -> compare -> table
 * latency): on AVX-512 two trees at a time, ten rows through both (a
 * row's sum is then loaded and stored once per pair, its two additions
 * still in tree order), with the next pair's lines prefetched into L2 as
 * the rows go; on AVX2 one tree, eight rows.
 *
 * Paths, chosen at run time from the CPU: AVX-512 (F, BW, VL, VBMI) does a
 * step with VPERMB and VPCMPUB; AVX2 with four PSHUFB and two blends; other
 * CPUs and models that do not fit (more than 32 features, a feature with
 * more than 255 distinct thresholds, a tree deeper than 16, past a memory
 * budget) are left to the caller's node walk (forest_fast_new returns
 * NULL).  All paths give the same bits.
 *
 * Predictions are exactly the nodes' leaf values, summed per row in tree
 * order in double and divided by the number of trees: the node walk's
 * operations, so the same bits.
 *
 * Ownership: immutable once built; safe to share between threads.
 * Arguments are borrowed; nothing is allocated per call.
 */
#include "engine/forest.h"

#include <stddef.h>
#include <stdint.h>

/* Which kernel a layout uses (FOREST_FAST_AUTO: the best this CPU has). */
enum forest_fast_path {
	FOREST_FAST_AUTO = 0,
	FOREST_FAST_AVX512,    /* AVX-512 F, BW, VL, VBMI */
	FOREST_FAST_AVX2,
	FOREST_FAST_NONE,      /* no layout: the node walk */
};

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

/* The kernel the layout runs. */
enum forest_fast_path forest_fast_path(const struct forest_fast *ff);
/* Name of a path ("avx512", "avx2", "none", "auto"). */
const char *forest_fast_path_name(enum forest_fast_path p);

/* For tests and benchmarks: layouts built from now on use path p (AUTO:
 * the best the CPU has; NONE: no layout, the node walk; a path the CPU
 * lacks: also none).  Process-wide; not thread-safe against concurrent
 * forest_fast_new.  Returns the previous setting. */
enum forest_fast_path forest_fast_force(enum forest_fast_path p);

#endif
