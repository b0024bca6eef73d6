/*
 * Chunked complete-tree layout and its AVX-512 walk.  See forest_fast.h.
 *
 * Why this shape: the node walk in forest.c costs a dependent load of a
 * 16-byte node, a load of the feature and a compare per level, about 3.5
 * cycles per node visit even with many rows in flight.  Deciding three
 * levels per step with one permute + one compare (the row stays in two
 * registers) cuts the work per level by about three, and dropping stored
 * links lets the padding make every path the same length, so the walk has
 * no exit test.
 *
 * Four levels per step (16-lane chunks of 128 bytes, a 32K-entry exit
 * table) were tried: 11 % faster on a trained depth-10 forest of a large
 * run (rows 54 % NaN), but 8-34 % slower on bench_forest's depth-12 forest,
 * whose rows spread over the whole tree (two cache lines per step instead
 * of one), so three levels stay.
 */
#include "engine/forest_fast.h"

#include "common/error.h"
#include "common/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define FOREST_FAST_X86 1
#include <immintrin.h>
#else
#define FOREST_FAST_X86 0
#endif

enum {
	FF_MAX_LEVELS = 5,         /* chunk levels: trees of depth <= 15 */
	FF_MAX_FEATURES = 32,      /* two 16-float registers */
	FF_ROW_BLOCK = 64,         /* rows (8 KB at 32 features) per pass over a tree group */
	FF_GROUP = 16,             /* trees walked together per row */
};
/* How a step treats missing values: the row has none; a second compare
 * finds them and the lanes' missing-left bits decide; the lanes' words
 * substitute them (lane_word()). */
enum { FF_NAN_NONE = 0, FF_NAN_COMPARE = 1, FF_NAN_FIXUP = 2 };
/* Layout budget for the whole forest; bigger forests use the node walk. */
#define FF_MAX_BYTES ((size_t)64 << 20)
/* Transparent huge page size the layout is aligned to. */
#define FF_HUGE ((size_t)2 << 20)
/* The signalling NaN every missing value becomes under FF_NAN_FIXUP. */
#define FF_SNAN 0x7fa00000

/* Three levels of splits in breadth-first order: lane 0 is the chunk's
 * root, lanes 1-2 its children, lanes 3-6 its grandchildren, whose two
 * children each are exits 0..7.  feat[7] holds the missing-left bits of
 * lanes 0..6 (lane 7's compare is ignored); thr[7] is unused.  64 bytes,
 * one cache line; feature indices are 32-bit so they load straight into
 * the permute's index register. */
struct ff_chunk {
	uint32_t feat[8];
	float thr[8];
};

/* Every tree is padded to the same number of chunk levels, so tree t's
 * chunks start at t * n_chunks and its leaf slots at t * n_leaves. */
struct forest_fast {
	size_t n_trees;
	size_t n_chunks;             /* per tree: (8^levels - 1) / 7 */
	size_t n_leaves;             /* per tree: 8^levels */
	unsigned levels;             /* chunk levels; 0 = every tree is one leaf */
	int fixup;                   /* lanes carry NaN substitutes (see place()) */
	uint16_t mask_lo, mask_hi;   /* features 0..15 and 16..31 that exist */
	uint16_t exit[256];          /* split bits of a chunk -> 64 * exit (0..7) */
	void *chunk_mem;             /* allocation behind chunks and leaves */
	struct ff_chunk *chunks;
	float *leaves;               /* inside chunk_mem, after the chunks */
};

void forest_fast_free(struct forest_fast *ff)
{
	if (!ff)
		return;
	free(ff->chunk_mem);
	free(ff);
}

/* Bit k of m = "go right at lane k"; follow lanes 0 -> 1|2 -> 3..6. */
static void fill_exit_table(uint16_t *exit)
{
	for (unsigned m = 0; m < 256; m++) {
		unsigned a = (m >> 0) & 1, b = (m >> (1 + a)) & 1, c = (m >> (3 + 2 * a + b)) & 1;
		exit[m] = (uint16_t)(sizeof(struct ff_chunk) * (4 * a + 2 * b + c));
	}
}

/* A lane's 32-bit word: the permute reads bits 0-4 (the feature: bit 4
 * picks the upper register), VFIXUPIMMPS reads one 4-bit token per class
 * of the value it is given.  Rows reach the walk with every NaN made a
 * signalling NaN (class 1, bits 4-7); every other class (bits 8-31) keeps
 * the value (token 1).  The SNaN token is the missing value's substitute:
 * missing-left needs one that is <= every threshold, -INF (token 4), or
 * -FLT_MAX (15) when bit 4 must be 1, which is <= every threshold but
 * -INF; missing-right keeps a NaN (token 2, a quiet copy, or 1), which
 * compares "not <=" and goes right.  Both tokens fit the feature's bit 4;
 * fixup_ok() checks that no split needs the one case they miss. */
static uint32_t lane_word(uint32_t feature, int missing_left)
{
	uint32_t hi = feature >> 4 & 1, tok = missing_left ? (hi ? 15 : 4) : (hi ? 1 : 2);

	return UINT32_C(0x11111100) | tok << 4 | (feature & 15);
}

/* Put node n of `tree` (or, below a leaf, a dummy carrying that leaf) at
 * lane `lane` of chunk c; recurse to its two children positions. */
static void place(const struct forest_node *tree, uint32_t n, struct ff_chunk *ch,
		  float *leaves, size_t n_chunks, size_t c, unsigned lane)
{
	const struct forest_node *nd = &tree[n];
	uint32_t l = n, r = n;
	size_t c_l = c, c_r = c;
	unsigned lane_l, lane_r;

	if (c >= n_chunks) {
		ASSERT(nd->flags & FOREST_LEAF);
		leaves[c - n_chunks] = nd->value;
		return;
	}
	if (nd->flags & FOREST_LEAF) {
		/* Dummy split: both sides carry the same leaf, so its outcome
		 * cannot matter; x <= +INF with NaN going left sends every row
		 * left, so rows below a leaf touch one path of dummies rather
		 * than spreading over (and caching) all of them. */
		ch[c].feat[lane] = lane_word(0, 1);
		ch[c].thr[lane] = (float)INFINITY;
		ch[c].feat[7] |= 1u << lane;
	} else {
		ch[c].feat[lane] = lane_word(nd->feature, (nd->flags & FOREST_MISSING_LEFT) != 0);
		ch[c].thr[lane] = nd->threshold;
		if (nd->flags & FOREST_MISSING_LEFT)
			ch[c].feat[7] |= 1u << lane;
		l = nd->left;
		r = nd->left + 1;
	}
	if (lane < 3) {
		lane_l = 2 * lane + 1;
		lane_r = 2 * lane + 2;
	} else {
		c_l = 8 * c + 1 + 2 * (lane - 3);
		c_r = c_l + 1;
		lane_l = lane_r = 0;
	}
	place(tree, l, ch, leaves, n_chunks, c_l, lane_l);
	place(tree, r, ch, leaves, n_chunks, c_r, lane_r);
}

#if FOREST_FAST_X86
#define FF_TARGET __attribute__((target("avx2,avx512f,avx512vl,avx512dq")))

static int cpu_ok(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
	       __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

/* One chunk step: the byte offset (64 c) of the chunk c (or, past the last
 * level, the leaf slot + n_chunks) that a row with features lo:hi goes to
 * from the chunk at byte offset off; child e of chunk c is 8c + 1 + e.
 * Offsets rather than indices keep the scaling off the dependency chain.
 * Lane k goes right iff !(x <= thr) and not (x is NaN and missing-left).
 * Under FF_NAN_FIXUP the lane words turn NaN into a value that takes the
 * learned side in that one compare, which then goes to a mask register:
 * with 512-bit uops in flight only ports 0 and 5 run vector work, and this
 * splits permute + compare (port 5) and fixup + kmov (port 0) evenly; a
 * VEX compare + movemask would put three on port 0 (measured ~3 % slower).
 * The other modes keep VEX compares into a vector + movemask. */
FF_TARGET __attribute__((always_inline)) static inline uint32_t
step(const struct forest_fast *ff, const struct ff_chunk *tree, size_t off, __m512 lo,
     __m512 hi, int nan_mode)
{
	const struct ff_chunk *ch = (const struct ff_chunk *)((const char *)tree + off);
	__m256i idx8 = _mm256_load_si256((const __m256i *)ch->feat);
	__m512i idx = _mm512_castsi256_si512(idx8);
	__m256 x = _mm512_castps512_ps256(_mm512_permutex2var_ps(lo, idx, hi));
	unsigned m;

	if (nan_mode == FF_NAN_FIXUP) {
		x = _mm256_fixupimm_ps(x, x, idx8, 0);
		m = (unsigned)_mm256_cmp_ps_mask(x, _mm256_load_ps(ch->thr), _CMP_NLE_UQ);
	} else {
		m = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(x, _mm256_load_ps(ch->thr),
							       _CMP_NLE_UQ));
	}
	if (nan_mode == FF_NAN_COMPARE)
		m &= ~((unsigned)_mm256_movemask_ps(_mm256_cmp_ps(x, x, _CMP_UNORD_Q)) &
		       ch->feat[7]);
	return 8 * off + sizeof(struct ff_chunk) + ff->exit[m];
}

/* Add trees t0 .. t0+g-1 (g <= FF_GROUP) for one row to *o, in tree order.
 * The g walks are independent, so their load/permute/compare chains
 * overlap; the sums are still added one tree at a time, in order. */
FF_TARGET __attribute__((always_inline)) static inline void
group(const struct forest_fast *ff, size_t t0, unsigned g, unsigned levels, __m512 lo,
      __m512 hi, int nan_mode, double *o)
{
	/* The per-tree sizes follow from `levels`, a constant here, so the
	 * trees' bases are one pointer plus immediates (no spilled pointers). */
	const size_t nl = (size_t)1 << (3 * levels), nc = (nl - 1) / 7;
	const struct ff_chunk *base = ff->chunks + t0 * nc;
	const float *leaves = ff->leaves + t0 * nl - nc;
	size_t c[FF_GROUP];
	double sum = *o;

#pragma GCC unroll 16
	for (unsigned k = 0; k < g; k++)
		c[k] = 0;
#pragma GCC unroll 5
	for (unsigned lv = 0; lv < levels; lv++)
#pragma GCC unroll 16
		for (unsigned k = 0; k < g; k++)
			c[k] = step(ff, base + k * nc, c[k], lo, hi, nan_mode);
#pragma GCC unroll 16
	for (unsigned k = 0; k < g; k++)
		sum += leaves[k * nl + c[k] / sizeof(struct ff_chunk)];
	*o = sum;
}

/* A remainder group (fewer than FF_GROUP trees), for rows with NaN. */
FF_TARGET __attribute__((always_inline)) static inline void
rest(const struct forest_fast *ff, size_t t0, unsigned g, unsigned levels, __m512 lo,
     __m512 hi, int mode, double *o)
{
	if (mode == FF_NAN_FIXUP)
		group(ff, t0, g, levels, lo, hi, FF_NAN_FIXUP, o);
	else
		group(ff, t0, g, levels, lo, hi, FF_NAN_COMPARE, o);
}

/* The walk for a given number of chunk levels (a constant after inlining,
 * so the group's loops unroll into straight-line code). */
FF_TARGET __attribute__((always_inline)) static inline void
predict_levels(const struct forest_fast *ff, const float *rows, size_t n_rows, size_t stride,
	       double *out, unsigned levels)
{
	__mmask16 mlo = ff->mask_lo, mhi = ff->mask_hi;
	const int fixup = ff->fixup;
	const __m512 snan = _mm512_castsi512_ps(_mm512_set1_epi32(FF_SNAN));

	for (size_t r = 0; r < n_rows; r++)
		out[r] = 0;
	for (size_t r0 = 0; r0 < n_rows; r0 += FF_ROW_BLOCK) {
		size_t r1 = n_rows - r0 < FF_ROW_BLOCK ? n_rows : r0 + FF_ROW_BLOCK;

		for (size_t t0 = 0; t0 < ff->n_trees; t0 += FF_GROUP) {
			size_t left = ff->n_trees - t0;

			for (size_t r = r0; r < r1; r++) {
				const float *x = rows + r * stride;
				__m512 lo = _mm512_maskz_loadu_ps(mlo, x);
				__m512 hi = mhi ? _mm512_maskz_loadu_ps(mhi, x + 16)
						: _mm512_setzero_ps();
				__mmask16 nlo = _mm512_cmp_ps_mask(lo, lo, _CMP_UNORD_Q);
				__mmask16 nhi = _mm512_cmp_ps_mask(hi, hi, _CMP_UNORD_Q);
				int any = (nlo | nhi) != 0;

				if (any && fixup) {
					/* Every NaN the same signalling one: see lane_word(). */
					lo = _mm512_mask_mov_ps(lo, nlo, snan);
					hi = _mm512_mask_mov_ps(hi, nhi, snan);
				}
				if (left >= FF_GROUP) {
					if (!any)
						group(ff, t0, FF_GROUP, levels, lo, hi, FF_NAN_NONE,
						      &out[r]);
					else if (fixup)
						group(ff, t0, FF_GROUP, levels, lo, hi, FF_NAN_FIXUP,
						      &out[r]);
					else
						group(ff, t0, FF_GROUP, levels, lo, hi,
						      FF_NAN_COMPARE, &out[r]);
				} else {
					size_t t = t0;
					int mode = fixup ? FF_NAN_FIXUP : FF_NAN_COMPARE;

					if (left >= FF_GROUP / 2) {
						rest(ff, t, FF_GROUP / 2, levels, lo, hi, mode,
						     &out[r]);
						t += FF_GROUP / 2;
					}
					if (ff->n_trees - t >= FF_GROUP / 4) {
						rest(ff, t, FF_GROUP / 4, levels, lo, hi, mode,
						     &out[r]);
						t += FF_GROUP / 4;
					}
					for (; t < ff->n_trees; t++)
						rest(ff, t, 1, levels, lo, hi, mode, &out[r]);
				}
			}
		}
	}
	for (size_t r = 0; r < n_rows; r++)
		out[r] /= (double)ff->n_trees;
}

FF_TARGET static void predict(const struct forest_fast *ff, const float *rows, size_t n_rows,
			      size_t stride, double *out)
{
	switch (ff->levels) {
	case 0: predict_levels(ff, rows, n_rows, stride, out, 0); break;
	case 1: predict_levels(ff, rows, n_rows, stride, out, 1); break;
	case 2: predict_levels(ff, rows, n_rows, stride, out, 2); break;
	case 3: predict_levels(ff, rows, n_rows, stride, out, 3); break;
	case 4: predict_levels(ff, rows, n_rows, stride, out, 4); break;
	case 5: predict_levels(ff, rows, n_rows, stride, out, 5); break;
	default: BUG("forest_fast: bad level count");
	}
}
#else
static int cpu_ok(void)
{
	return 0;
}
#endif

/* Whether lane_word()'s substitutes decide every split as the node walk
 * does: all but a missing-left split at -INF on a feature >= 16. */
static int fixup_ok(const struct forest_node *nodes, const size_t *tree_off, size_t n_trees)
{
	for (size_t i = 0; i < tree_off[n_trees]; i++) {
		const struct forest_node *nd = &nodes[i];

		if (!(nd->flags & FOREST_LEAF) && (nd->flags & FOREST_MISSING_LEFT) &&
		    nd->feature >= 16 && nd->threshold == -(float)INFINITY)
			return 0;
	}
	return 1;
}

struct forest_fast *forest_fast_new(const struct forest_node *nodes, const size_t *tree_off,
				    const uint16_t *tree_depth, size_t n_trees,
				    size_t n_features)
{
	struct forest_fast *ff;
	unsigned depth = 0, levels;
	size_t nc, nl, bytes, align;

	if (!cpu_ok() || n_features > FF_MAX_FEATURES)
		return NULL;
	for (size_t t = 0; t < n_trees; t++)
		if (tree_depth[t] > depth)
			depth = tree_depth[t];
	levels = (depth + 2) / 3;
	if (levels > FF_MAX_LEVELS)
		return NULL;
	nl = (size_t)1 << (3 * levels);
	nc = (nl - 1) / 7;
	if (n_trees > FF_MAX_BYTES / (nc * sizeof(struct ff_chunk) + nl * sizeof(float)))
		return NULL;
	ff = xcalloc(1, sizeof(*ff));
	ff->n_trees = n_trees;
	ff->n_chunks = nc;
	ff->n_leaves = nl;
	ff->levels = levels;
	ff->mask_lo = (uint16_t)(n_features >= 16 ? 0xffffu : (1u << n_features) - 1);
	ff->mask_hi = (uint16_t)(n_features >= 32 ? 0xffffu
				 : n_features > 16 ? (1u << (n_features - 16)) - 1 : 0);
	ff->fixup = fixup_ok(nodes, tree_off, n_trees);
	fill_exit_table(ff->exit);
	/* Chunks then leaves in one block, whole 2 MB pages from a 2 MB
	 * boundary: the walk reads a few lines from each of many trees at
	 * once, which on 4 kB pages costs a TLB miss on most steps (megabytes
	 * of layout, against ~2,000 small-page TLB entries).  The chunks start
	 * on the boundary (or, for a layout under 1 MB, which is not worth
	 * whole huge pages, on a 64-byte one), so each is one cache line. */
	bytes = n_trees * nc * sizeof(struct ff_chunk) + n_trees * nl * sizeof(float);
	align = bytes < FF_HUGE / 2 ? sizeof(struct ff_chunk) : FF_HUGE;
	bytes = (bytes + align - 1) / align * align;
	ff->chunk_mem = align == FF_HUGE ? xcalloc_large(bytes + align, 1)
					 : xcalloc(bytes + align, 1);
	ff->chunks = (struct ff_chunk *)(((uintptr_t)ff->chunk_mem + align - 1) &
					 ~(uintptr_t)(align - 1));
	ff->leaves = (float *)(ff->chunks + n_trees * nc);
	for (size_t t = 0; t < n_trees; t++)
		place(nodes + tree_off[t], 0, ff->chunks + t * nc, ff->leaves + t * nl, nc, 0, 0);
	return ff;
}

void forest_fast_predict(const struct forest_fast *ff, const float *rows, size_t n_rows,
			 size_t stride, double *out)
{
#if FOREST_FAST_X86
	predict(ff, rows, n_rows, stride, out);
#else
	(void)ff, (void)rows, (void)n_rows, (void)stride, (void)out;
	BUG("forest_fast layout built on a CPU without AVX-512");
#endif
}
