/*
 * Ranked thresholds, four-level chunks and their vector walks.  See
 * forest_fast.h.
 *
 * Why this shape (bench_forest: 1,000 rows x 100 trees of depth 12, 32
 * features; figures in bench/RESULTS.md):
 * - The node walk in forest.c costs a dependent load of a 16-byte node, a
 *   load of the feature and a compare per level.  The layout before this
 *   one decided three levels per step with float compares (a permute of
 *   the row's 32 floats in two registers, 64-byte chunks of 7 splits):
 *   four steps for depth 12, 5.3 MB for the forest.
 * - Ranks instead of floats: a split is a byte, so a chunk of 15 splits
 *   (four levels) is 32 bytes and the row's 32 features with both NaN
 *   readings are one 64-byte register: three steps for depth 12, and the
 *   forest shrinks to 2.5 MB (chunks 8.7 kB + leaf slots 16 kB a tree).
 *   Turning a row into ranks costs two 16-wide compares per feature (about
 *   a fifth of the batch at 100 trees).
 * - Trees outer, rows inner: one tree at a time stays near the core while
 *   the rows go through it; with the trees inner (sixteen per row, the
 *   previous order) every step reached into L2 or beyond.
 * - Issue 22 (0.41 -> 0.27 ms on Zen 4, measured one change at a time with
 *   the kernel built into a test harness):  256-row blocks fetched each
 *   tree from L3 four times per 1,000-row batch (the forest, 2.5 MB, is
 *   over L2): 1,024-row blocks, -0.035 ms.  The 64 kB uint16 exit table
 *   evicted the tree from the 32 kB L1: uint8 with offsets in 8-byte units
 *   (x86 scaling does the rest), -0.006 ms.  The walk is bound by each
 *   step's latency (load 7 + permute 5 + compare and mask move 6 + table 4
 *   cycles): 20 rows in flight instead of 16 (24 spill registers and gain
 *   nothing), and the root chunk kept in registers, -0.04 ms.  The rank
 *   loop read its tables through the struct after every byte store
 *   (aliasing): restrict locals, -0.01 ms.  32-byte rows when a block has
 *   no NaN, -0.02 ms (AVX2 0.69 -> 0.51 ms).  Slower: six-level chunks (63
 *   lanes, two steps for depth 12; 0.42 against 0.34 ms: a 64-lane permute
 *   and compare and the two-table exit cost more than the step they save).
 *   No gain within the noise: leaf sums deferred to a per-16-trees vector
 *   pass, prefetching the next tree or a row's leaf line, a signed compare
 *   with a byte movemask instead of the mask register, the 16 pivots of
 *   every feature compared at once (transposed), -O3.  Not built: the
 *   root step for 64 rows at once from transposed ranks (dropping the
 *   root step altogether saved only 2 %), two rows per 512-bit permute
 *   (the inserts cost what the shared permute saves).  What is left, of
 *   0.27 ms: 0.054 ms ranking the rows (two dependent 16-wide compares per
 *   feature), about 0.04 ms reading and adding the leaf, and the two
 *   dependent steps per (row, tree), ~8 instructions each.
 * - Issue 22, third round (Zen 5 here, family 26: the 0.27 ms above were
 *   Zen 4 at load 3.4; the same code ran 0.21 ms on this host): ranking
 *   was 0.040 of 0.205 ms.  A row at a time it cost two dependent
 *   16-wide compares, popcounts and a byte store per feature; now the
 *   rows are transposed into columns and each column of 16 rows goes
 *   through an eight-level binary search whose thresholds come from
 *   registers by permutes, eight columns interleaved (4: 0.022 ms, 8:
 *   0.018, 12 and 16 slower), with an in-register transpose instead of
 *   gathers (0.016 ms).  The walk, ~0.165 ms, runs at about five
 *   instructions a cycle (~29 per (row, tree): a step is ~9.5 with the
 *   spill of its offset), so it is bound by instruction count more than
 *   by latency: cutting the step-1 latency artificially gained nothing,
 *   while dropping the root step saved 0.012 ms and the leaf load 0.022
 *   ms (0.014 of it the leaves' traffic from L3: the forest, 2.5 MB, is
 *   over L2).  Kept: the next tree(s) prefetched into L2 a few lines per
 *   group of rows (-2 %; without bound checks another -1.5 %); two trees
 *   per pass, 10 rows each (-2.5 %; 2 x 8, 11, 12, 3 x 7, 4 x 4..6 not
 *   better).  Slower or no gain: fewer rows in flight without spills (8,
 *   10, 12, 16; levels unrolled at compile time), 18, 22 or 24 rows,
 *   512-row blocks (each tree then comes from L3 twice, -15 %), a
 *   per-row prefetch of the leaf line (+25 %), the root step's bits for
 *   64 rows at once from the ranks by feature (compare + masked add per
 *   lane, then a byte interleave; +10 %), a signed compare with a byte
 *   movemask instead of VPCMPUB and KMOVW (+6 %).
 *
 * Exactness: q(x) = #{thresholds t of the feature : t < x}.  If x <= t_k
 * then every t_j with j >= k is >= x, so q(x) <= k; if x > t_k then t_0 ..
 * t_k are all below x, so q(x) >= k + 1.  So "q(x) <= k" is "x <= t_k",
 * including x = +-INF and signed zeros (the float compare decides both).
 * A NaN reads 255 (> every rank: the list holds at most 255 thresholds, so
 * k <= 254) on missing-right splits and 0 (<= every rank) on missing-left
 * ones: exactly the learned side.
 */
#include "engine/forest_fast.h"

#include "common/error.h"
#include "common/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define FF_X86 1
#include <immintrin.h>
#else
#define FF_X86 0
#endif

enum {
	FF_MAX_LEVELS = 4,         /* chunk levels: trees of depth <= 16 */
	FF_MAX_FEATURES = 32,      /* 2 x 32 rank bytes = one 64-byte register */
	FF_MAX_THRESHOLDS = 255,   /* distinct thresholds per feature */
	FF_LIST = 256,             /* a feature's sorted thresholds, padded with +INF */
	FF_ROW_BLOCK = 1024,       /* rows ranked and walked per pass over the trees */
	FF_LANES = 16,             /* bytes per chunk half; lane 15 is never "right" */
	FF_CHUNK = 32,             /* bytes per chunk: 16 feature bytes, 16 rank bytes */
	FF_UNIT = 8,               /* a walk's offsets count 8-byte units (x86 scale 8) */
};
_Static_assert(FF_UNIT * sizeof(float) == FF_CHUNK, "a walk's end offset is its leaf's byte offset");
/* Layout budget for the whole forest; bigger forests use the node walk. */
#define FF_MAX_BYTES ((size_t)64 << 20)
/* Transparent huge page size the layout is aligned to. */
#define FF_HUGE ((size_t)2 << 20)
/* A feature byte with this bit reads the row's NaN-as-0 half (missing goes
 * left); without it, the NaN-as-255 half. */
#define FF_LEFT_HALF 32

/* Four levels of splits in breadth-first order: lane 0 is the chunk's
 * root, 1-2 its children, 3-6 and 7-14 the next levels, whose two children
 * each are exits 0..15.  Lane 15 tests nothing (rank 255: never right). */
struct ff_chunk {
	uint8_t feat[FF_LANES];
	uint8_t rank[FF_LANES];
};

struct forest_fast {
	enum forest_fast_path path;
	size_t n_trees, n_features;
	size_t n_chunks;             /* per tree: (16^levels - 1) / 15 */
	size_t n_leaves;             /* per tree: 16^levels */
	unsigned levels;             /* chunk levels; 0 = every tree is one leaf */
	float *list;                 /* [n_features][FF_LIST] sorted thresholds */
	float *pivot;                /* [n_features][16]: list[16 j + 15] */
	float *bst;                  /* [n_features][256]: list by search level */
	void *mem;                   /* allocation behind chunks and leaves */
	struct ff_chunk *chunks;     /* [n_trees][n_chunks] */
	float *leaves;               /* [n_trees][n_leaves] */
	uint8_t exit[1u << 15];      /* 15 split bits -> (1 + exit) chunks, in FF_UNITs */
};

static enum forest_fast_path forced = FOREST_FAST_AUTO;

enum forest_fast_path forest_fast_force(enum forest_fast_path p)
{
	enum forest_fast_path old = forced;

	forced = p;
	return old;
}

const char *forest_fast_path_name(enum forest_fast_path p)
{
	switch (p) {
	case FOREST_FAST_AUTO: return "auto";
	case FOREST_FAST_AVX512: return "avx512";
	case FOREST_FAST_AVX2: return "avx2";
	default: return "none";
	}
}

enum forest_fast_path forest_fast_path(const struct forest_fast *ff)
{
	return ff ? ff->path : FOREST_FAST_NONE;
}

void forest_fast_free(struct forest_fast *ff)
{
	if (!ff)
		return;
	free(ff->mem);
	free(ff->list);
	free(ff->pivot);
	free(ff->bst);
	free(ff);
}

/* Bit k of m = "go right at lane k"; follow lanes 0 -> 1|2 -> 3..6 -> 7..14. */
static void fill_exit_table(uint8_t *exit)
{
	for (unsigned m = 0; m < (1u << 15); m++) {
		unsigned a = m & 1, b = (m >> (1 + a)) & 1, c = (m >> (3 + 2 * a + b)) & 1;
		unsigned d = (m >> (7 + 4 * a + 2 * b + c)) & 1;

		exit[m] = (uint8_t)(FF_CHUNK / FF_UNIT * (1 + 8 * a + 4 * b + 2 * c + d));
	}
}

/* A feature's sorted list by binary search level, for the column ranker:
 * after levels 0 .. L-1 a row is at node n = 2^L + b (b: the L high bits
 * of its rank decided so far) and level L compares x with list[(b << (8 -
 * L)) + 2^(7 - L) - 1]; that threshold is stored at bst[n] for L <= 3
 * (one 16-float table for the first four levels) and at bst[2^L + b] for
 * L = 4..7 (16, 32, 64 and 128 floats), so n itself, or its low L bits,
 * indexes each level's table; bst[0] is unused. */
static void bst_levels(float *bst, const float *list)
{
	bst[0] = (float)INFINITY;
	for (unsigned L = 0; L < 8; L++)
		for (size_t b = 0; b < ((size_t)1 << L); b++)
			bst[((size_t)1 << L) + b] = list[(b << (8 - L)) + ((size_t)1 << (7 - L)) - 1];
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* Each feature's distinct thresholds, sorted, padded with +INF; 0 when a
 * feature has more than FF_MAX_THRESHOLDS. */
static int build_lists(struct forest_fast *ff, const struct forest_node *nodes, size_t n_nodes)
{
	size_t nf = ff->n_features, *count = xcalloc(nf, sizeof(*count)), *at;
	float *all = xmalloc((n_nodes ? n_nodes : 1) * sizeof(*all));
	int ok = 1;

	for (size_t i = 0; i < n_nodes; i++)
		if (!(nodes[i].flags & FOREST_LEAF))
			count[nodes[i].feature]++;
	at = xcalloc(nf + 1, sizeof(*at));
	for (size_t j = 0; j < nf; j++)
		at[j + 1] = at[j] + count[j];
	memset(count, 0, nf * sizeof(*count));
	for (size_t i = 0; i < n_nodes; i++)
		if (!(nodes[i].flags & FOREST_LEAF)) {
			size_t j = nodes[i].feature;

			all[at[j] + count[j]++] = nodes[i].threshold;
		}
	ff->list = xmalloc(nf * FF_LIST * sizeof(*ff->list));
	ff->pivot = xmalloc(nf * 16 * sizeof(*ff->pivot));
	ff->bst = xcalloc_aligned(nf * FF_LIST, sizeof(*ff->bst));
	for (size_t j = 0; j < nf && ok; j++) {
		float *v = all + at[j], *list = ff->list + j * FF_LIST;
		size_t m = 0;

		qsort(v, count[j], sizeof(*v), cmp_float);
		for (size_t i = 0; i < count[j]; i++) {
			/* -0.0 == 0.0: one rank for both, as the compare sees them */
			if (m && v[i] == list[m - 1])
				continue;
			if (m == FF_MAX_THRESHOLDS) {
				ok = 0;
				break;
			}
			list[m++] = v[i];
		}
		for (; m < FF_LIST; m++)
			list[m] = (float)INFINITY;
		for (size_t k = 0; k < 16; k++)
			ff->pivot[j * 16 + k] = list[16 * k + 15];
		bst_levels(ff->bst + j * FF_LIST, list);
	}
	free(at);
	free(count);
	free(all);
	return ok;
}

/* The rank of threshold t in feature f's list (it is there). */
static uint8_t rank_of(const struct forest_fast *ff, unsigned f, float t)
{
	const float *list = ff->list + (size_t)f * FF_LIST;
	size_t lo = 0, hi = FF_MAX_THRESHOLDS;

	while (lo < hi) {   /* first entry >= t */
		size_t mid = (lo + hi) / 2;

		if (list[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	ASSERT(lo < FF_MAX_THRESHOLDS && list[lo] == t);
	return (uint8_t)lo;
}

/* Put node n of `tree` (or, below a leaf, a dummy carrying that leaf) at
 * lane `lane` of chunk c; recurse to its two children positions. */
static void place(const struct forest_fast *ff, const struct forest_node *tree, uint32_t n,
		  struct ff_chunk *ch, float *leaves, size_t c, unsigned lane)
{
	const struct forest_node *nd = &tree[n];
	uint32_t l = n, r = n;
	size_t c_l = c, c_r = c;
	unsigned lane_l, lane_r;

	if (c >= ff->n_chunks) {
		ASSERT(nd->flags & FOREST_LEAF);
		leaves[c - ff->n_chunks] = nd->value;
		return;
	}
	if (nd->flags & FOREST_LEAF) {
		/* Dummy: the NaN-as-0 half of feature 0 is <= rank 255 always,
		 * so every row goes left and touches one path of dummies. */
		ch[c].feat[lane] = FF_LEFT_HALF;
		ch[c].rank[lane] = 255;
	} else {
		ch[c].feat[lane] = (uint8_t)(nd->feature |
					     ((nd->flags & FOREST_MISSING_LEFT) ? FF_LEFT_HALF : 0));
		ch[c].rank[lane] = rank_of(ff, nd->feature, nd->threshold);
		l = nd->left;
		r = nd->left + 1;
	}
	if (lane < 7) {
		lane_l = 2 * lane + 1;
		lane_r = 2 * lane + 2;
	} else {
		c_l = 16 * c + 1 + 2 * (lane - 7);
		c_r = c_l + 1;
		lane_l = lane_r = 0;
	}
	place(ff, tree, l, ch, leaves, c_l, lane_l);
	place(ff, tree, r, ch, leaves, c_r, lane_r);
}

/* ---- the walks ---- */

#if FF_X86
#define FF_AVX512 __attribute__((target("avx2,avx512f,avx512vl,avx512bw,avx512vbmi,popcnt")))
#define FF_AVX2 __attribute__((target("avx2,popcnt")))

/* Rows per interleaved group: independent chains the core overlaps (the
 * walk is bound by each step's latency, so more chains help until the
 * general registers run out: 20 beat 16 and 24 on Zen 4, and 8, 10, 12,
 * 16 and 24 on Zen 5). */
enum { FF_R512 = 20, FF_R2 = 8 };
/* Trees walked together on AVX-512, and rows per group through them (2 x
 * 10 beat 1 x 20 by 2.5 % on Zen 5; 2 x 8, 11, 12, 3 x 7, 4 x 4..6 did
 * not). */
enum { FF_TREES512 = 2, FF_PAIR512 = 10 };
/* Lines of the next tree's chunks and leaves prefetched per 20 rows
 * (depth 12: 137 and 256 lines a tree, 50 groups in a 1,000-row block). */
enum { FF_PREFETCH_CHUNKS = 3, FF_PREFETCH_LEAVES = 6 };

/* Columns ranked at once by rank_cols_avx512: FF_COLS x 16 rows share a
 * feature's tables and overlap their eight dependent search levels. */
enum { FF_COLS = 8 };

/* The ranks of FF_COLS x 16 rows' values x[c] of one feature (bst: its
 * tables, see bst_levels), each plus 256, into n[c]: eight levels of a
 * branch-free binary search over the feature's 255 sorted thresholds, 16
 * rows a register; the thresholds a level compares with come from
 * registers by permutes (levels 0-4: one 16-float table each, 5: 32
 * floats, 6: 64, 7: 128).  "t < x" is monotone along the sorted list, so
 * the search counts exactly the thresholds below x (a NaN: none). */
FF_AVX512 __attribute__((always_inline)) static inline void
rank16_avx512(const float *restrict bst, const __m512 *x, __m512i *n)
{
	const __m512i one = _mm512_set1_epi32(1), two = _mm512_set1_epi32(2);
	const __m512i b5 = _mm512_set1_epi32(32), b6 = _mm512_set1_epi32(64);
	const __m512 t03 = _mm512_load_ps(bst), t4 = _mm512_load_ps(bst + 16), t0 = _mm512_set1_ps(bst[1]);
	const __m512 t50 = _mm512_load_ps(bst + 32), t51 = _mm512_load_ps(bst + 48);
	const __m512 t60 = _mm512_load_ps(bst + 64), t61 = _mm512_load_ps(bst + 80);
	const __m512 t62 = _mm512_load_ps(bst + 96), t63 = _mm512_load_ps(bst + 112);
	const __m512 t70 = _mm512_load_ps(bst + 128), t71 = _mm512_load_ps(bst + 144);
	const __m512 t72 = _mm512_load_ps(bst + 160), t73 = _mm512_load_ps(bst + 176);
	const __m512 t74 = _mm512_load_ps(bst + 192), t75 = _mm512_load_ps(bst + 208);
	const __m512 t76 = _mm512_load_ps(bst + 224), t77 = _mm512_load_ps(bst + 240);

#define FF_LEVEL(expr)                                                           \
	_Pragma("GCC unroll 8") for (unsigned c = 0; c < FF_COLS; c++) {         \
		__m512 v_ = (expr);                                              \
		__mmask16 k_ = _mm512_cmp_ps_mask(v_, x[c], _CMP_LT_OQ);         \
		__m512i d_ = _mm512_add_epi32(n[c], n[c]);                       \
		n[c] = _mm512_mask_add_epi32(d_, k_, d_, one);                   \
	}
	_Pragma("GCC unroll 8") for (unsigned c = 0; c < FF_COLS; c++)
		n[c] = _mm512_mask_add_epi32(two, _mm512_cmp_ps_mask(t0, x[c], _CMP_LT_OQ), two, one);
	FF_LEVEL(_mm512_permutexvar_ps(n[c], t03))
	FF_LEVEL(_mm512_permutexvar_ps(n[c], t03))
	FF_LEVEL(_mm512_permutexvar_ps(n[c], t03))
	FF_LEVEL(_mm512_permutexvar_ps(n[c], t4))
	FF_LEVEL(_mm512_permutex2var_ps(t50, n[c], t51))
	FF_LEVEL(_mm512_mask_blend_ps(_mm512_test_epi32_mask(n[c], b5),
				      _mm512_permutex2var_ps(t60, n[c], t61),
				      _mm512_permutex2var_ps(t62, n[c], t63)))
	FF_LEVEL(_mm512_mask_blend_ps(
		_mm512_test_epi32_mask(n[c], b6),
		_mm512_mask_blend_ps(_mm512_test_epi32_mask(n[c], b5),
				     _mm512_permutex2var_ps(t70, n[c], t71),
				     _mm512_permutex2var_ps(t72, n[c], t73)),
		_mm512_mask_blend_ps(_mm512_test_epi32_mask(n[c], b5),
				     _mm512_permutex2var_ps(t74, n[c], t75),
				     _mm512_permutex2var_ps(t76, n[c], t77))))
#undef FF_LEVEL
}

/* 16 rows of 16 floats -> 16 columns (c[j]: float j of the 16 rows). */
FF_AVX512 __attribute__((always_inline)) static inline void
transpose16_avx512(const __m512 *r, __m512 *c)
{
	__m512 t[16], u[16], v[16];

	for (unsigned i = 0; i < 8; i++) {   /* t: pairs of rows, per 128-bit block */
		t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
		t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
	}
	for (unsigned i = 0; i < 4; i++) {   /* block b of u[4i + k]: float 4b + k, rows 4i.. */
		__m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
		__m512d e = _mm512_castps_pd(t[4 * i + 2]), f = _mm512_castps_pd(t[4 * i + 3]);

		u[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, e));
		u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, e));
		u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, f));
		u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, f));
	}
	for (unsigned k = 0; k < 4; k++) {
		v[k] = _mm512_shuffle_f32x4(u[k], u[4 + k], 0x88);
		v[4 + k] = _mm512_shuffle_f32x4(u[k], u[4 + k], 0xdd);
		v[8 + k] = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0x88);
		v[12 + k] = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0xdd);
	}
	for (unsigned k = 0; k < 4; k++) {
		c[k] = _mm512_shuffle_f32x4(v[k], v[8 + k], 0x88);
		c[8 + k] = _mm512_shuffle_f32x4(v[k], v[8 + k], 0xdd);
		c[4 + k] = _mm512_shuffle_f32x4(v[4 + k], v[12 + k], 0x88);
		c[12 + k] = _mm512_shuffle_f32x4(v[4 + k], v[12 + k], 0xdd);
	}
}

/* 8 registers of 16 dwords (d[g]: dword g of 16 rows) -> 16 rows of 8
 * dwords, two rows a register (o[k]: rows 2k, 2k + 1). */
FF_AVX512 __attribute__((always_inline)) static inline void
transpose8x16_avx512(const __m512i *d, __m512i *o)
{
	const __m512i i32lo =
		_mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
	const __m512i i32hi =
		_mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
	const __m512i i64lo = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0);
	const __m512i i64hi = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
	const __m512i i128lo = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
	const __m512i i128hi = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
	__m512i e[8], f[8];

	/* e[2p]: rows 0..7 of (d[2p], d[2p+1]) as qwords; e[2p+1]: rows 8..15 */
	for (unsigned p = 0; p < 4; p++) {
		e[2 * p] = _mm512_permutex2var_epi32(d[2 * p], i32lo, d[2 * p + 1]);
		e[2 * p + 1] = _mm512_permutex2var_epi32(d[2 * p], i32hi, d[2 * p + 1]);
	}
	/* f[4h + 2s + u]: dwords 4h..4h+3 of rows 8s + 4u .. 8s + 4u + 3 */
	for (unsigned h = 0; h < 2; h++)
		for (unsigned sb = 0; sb < 2; sb++) {
			f[4 * h + 2 * sb] = _mm512_permutex2var_epi64(e[4 * h + sb], i64lo, e[4 * h + 2 + sb]);
			f[4 * h + 2 * sb + 1] = _mm512_permutex2var_epi64(e[4 * h + sb], i64hi, e[4 * h + 2 + sb]);
		}
	/* rows 4m .. 4m+3 (m = 2s + u) from f[m] (dwords 0..3) and f[4 + m] (4..7) */
	for (unsigned m = 0; m < 4; m++) {
		o[2 * m] = _mm512_permutex2var_epi64(f[m], i128lo, f[4 + m]);
		o[2 * m + 1] = _mm512_permutex2var_epi64(f[m], i128hi, f[4 + m]);
	}
}

/* Rows [0, n) ranked into q, w bytes a row (64: bytes 0..31 with NaN as
 * 255, 32..63 with NaN as 0; 32: no row has a NaN), FF_COLS x 16 rows at a
 * time: 16 rows transposed in registers into one register per feature
 * (gathers cost three times as much), each ranked by rank16_avx512, four
 * features' ranks packed per 32-bit lane, then transposed back into rows.
 * Features past n_features rank 0.  q has room for whole groups of 16 rows
 * (FF_ROW_BLOCK is a multiple of 16); rows past n are ranked as zeros and
 * never read. */
FF_AVX512 static void rank_cols_avx512(const struct forest_fast *ff, const float *rows, size_t n,
				       size_t stride, uint8_t *q, const int w)
{
	const size_t nf = ff->n_features;
	const float *restrict bst = ff->bst;
	__mmask16 mlo = (__mmask16)(nf >= 16 ? 0xffff : (1u << nf) - 1);
	__mmask16 mhi = (__mmask16)(nf >= 32 ? 0xffff : nf > 16 ? (1u << (nf - 16)) - 1 : 0);

	for (size_t r0 = 0; r0 < n; r0 += 16 * FF_COLS) {
		_Alignas(64) __m512i d[FF_COLS][8], dn[FF_COLS][8];
		_Alignas(64) __m512 col[FF_COLS][32];

		/* the columns: rows past n read as zeros (their ranks are not used) */
		for (unsigned c = 0; c < FF_COLS; c++) {
			__m512 lo[16], hi[16];

			for (unsigned i = 0; i < 16; i++) {
				size_t r = r0 + 16 * c + i;

				lo[i] = r < n ? _mm512_maskz_loadu_ps(mlo, rows + r * stride)
					      : _mm512_setzero_ps();
				hi[i] = r < n ? _mm512_maskz_loadu_ps(mhi, rows + r * stride + 16)
					      : _mm512_setzero_ps();
			}
			transpose16_avx512(lo, col[c]);
			if (nf > 16)
				transpose16_avx512(hi, col[c] + 16);
		}
		for (size_t g = 0; g < 8; g++) {
			for (unsigned c = 0; c < FF_COLS; c++)
				d[c][g] = dn[c][g] = _mm512_setzero_si512();
			for (unsigned jj = 0; jj < 4 && 4 * g + jj < nf; jj++) {
				size_t j = 4 * g + jj;
				const __m512i m = _mm512_set1_epi32((int)(0xffu << (8 * jj)));
				const __m128i sh = _mm_cvtsi32_si128((int)(8 * jj));
				__m512 x[FF_COLS];
				__m512i r[FF_COLS];

				_Pragma("GCC unroll 8") for (unsigned c = 0; c < FF_COLS; c++)
					x[c] = col[c][j];
				rank16_avx512(bst + j * FF_LIST, x, r);
				_Pragma("GCC unroll 8") for (unsigned c = 0; c < FF_COLS; c++) {
					__m512i v = _mm512_sll_epi32(r[c], sh);

					d[c][g] = _mm512_ternarylogic_epi32(d[c][g], v, m, 0xd8);   /* m ? v : d */
					if (w == 64)
						dn[c][g] = _mm512_ternarylogic_epi32(
							dn[c][g],
							_mm512_mask_mov_epi32(v, _mm512_cmp_ps_mask(x[c], x[c], _CMP_UNORD_Q), m),
							m, 0xd8);
				}
			}
		}
		for (unsigned c = 0; c < FF_COLS && r0 + 16 * c < n; c++) {
			uint8_t *qb = q + (r0 + 16 * c) * (size_t)w;
			__m512i o[8], on[8];

			transpose8x16_avx512(d[c], o);
			if (w == 32) {
				for (unsigned k = 0; k < 8; k++)
					_mm512_store_si512(qb + 64 * k, o[k]);
				continue;
			}
			transpose8x16_avx512(dn[c], on);
			for (unsigned k = 0; k < 8; k++) {
				_mm512_store_si512(qb + 128 * k, _mm512_shuffle_i64x2(on[k], o[k], 0x44));
				_mm512_store_si512(qb + 128 * k + 64, _mm512_shuffle_i64x2(on[k], o[k], 0xee));
			}
		}
	}
}

/* The rank bytes that a chunk's feature bytes idx select from a row of w
 * bytes: 64 (both NaN readings, feature bit 5 picks the half) or 32, a
 * block without NaN (both halves equal: the 32-byte permute ignores bit 5;
 * half the rows' cache footprint and a cheaper permute, -6 %). */
FF_AVX512 __attribute__((always_inline)) static inline __m128i
pick_avx512(__m128i idx, const uint8_t *row, int w)
{
	if (w == 32)
		return _mm256_castsi256_si128(_mm256_permutexvar_epi8(
			_mm256_castsi128_si256(idx), _mm256_load_si256((const __m256i *)row)));
	return _mm512_castsi512_si128(
		_mm512_permutexvar_epi8(_mm512_castsi128_si512(idx), _mm512_load_si512(row)));
}

/* One chunk step of a row: from the chunk at offset off (FF_UNITs from
 * the tree's chunks tb) to the offset of the chunk, or leaf slot +
 * chunks, it goes to.  Lane k goes right iff the rank its feature byte
 * reads is above the lane's rank. */
FF_AVX512 __attribute__((always_inline)) static inline size_t
step_avx512(const struct forest_fast *ff, const char *tb, size_t off, const uint8_t *row, int w)
{
	const struct ff_chunk *ch = (const struct ff_chunk *)(tb + off * FF_UNIT);
	unsigned m = _mm_cmpgt_epu8_mask(pick_avx512(_mm_load_si128((const __m128i *)ch->feat),
						     row, w),
					 _mm_load_si128((const __m128i *)ch->rank));

	return (off << 4) + ff->exit[m];
}

/* Rows [0, n) of a block, ranked in q (w bytes a row), through every tree
 * in order (levels >= 1); out[r] += leaf value per tree, in tree order.
 * Two trees at a time, FF_PAIR512 rows through both (their 20 chains
 * overlap; a row's sum is loaded and stored once per pair of trees), a
 * last odd tree FF_R512 rows at a time.  The root chunks, the same for
 * every row, are held in registers; the next trees are prefetched into
 * L2 a few lines per group of rows (the forest is larger than L2). */
FF_AVX512 __attribute__((always_inline)) static inline void
walk_avx512(const struct forest_fast *ff, const uint8_t *q, size_t n, double *out, const int w)
{
	enum { R = FF_R512, T = FF_TREES512, P = FF_PAIR512 };
	const unsigned levels = ff->levels;
	const size_t nc = ff->n_chunks, nl = ff->n_leaves;
	const uint8_t *ex = ff->exit;
	size_t t = 0;

	for (; t + T <= ff->n_trees; t += T) {
		const char *tb[T], *lb[T];
		__m128i f0[T], r0[T];
		uintptr_t pc, pl;   /* addresses: they run past the forest's end */
		size_t r = 0;

		for (unsigned u = 0; u < T; u++) {
			tb[u] = (const char *)(ff->chunks + (t + u) * nc);
			/* a walk ends at c = FF_CHUNK / FF_UNIT * (nc + s) for leaf
			 * slot s: c bytes past lb (FF_UNIT * sizeof(float) == FF_CHUNK) */
			lb[u] = (const char *)(ff->leaves + (t + u) * nl) - sizeof(float) * nc;
			f0[u] = _mm_load_si128((const __m128i *)tb[u]);
			r0[u] = _mm_load_si128((const __m128i *)(tb[u] + FF_LANES));
		}
		/* the next T trees' chunks and leaves */
		pc = (uintptr_t)tb[0] + (t + 2 * T <= ff->n_trees ? T * nc * FF_CHUNK : 0);
		pl = (uintptr_t)lb[0] + (t + 2 * T <= ff->n_trees ? sizeof(float) * (nc + T * nl) : 0);
		for (; r + P <= n; r += P) {
			size_t c[T][P];

			/* no bounds: past the next trees' lines it fetches the
			 * ones after (a prefetch never faults) */
			_Pragma("GCC unroll 8") for (unsigned k = 0; k < FF_PREFETCH_CHUNKS * T * P / 20; k++)
				_mm_prefetch((const char *)(pc + 64 * k), _MM_HINT_T1);
			_Pragma("GCC unroll 16") for (unsigned k = 0; k < FF_PREFETCH_LEAVES * T * P / 20; k++)
				_mm_prefetch((const char *)(pl + 64 * k), _MM_HINT_T1);
			pc += 64 * (FF_PREFETCH_CHUNKS * T * P / 20);
			pl += 64 * (FF_PREFETCH_LEAVES * T * P / 20);
			_Pragma("GCC unroll 32") for (unsigned k = 0; k < P; k++)
				_Pragma("GCC unroll 8") for (unsigned u = 0; u < T; u++)
					c[u][k] = ex[_mm_cmpgt_epu8_mask(
						pick_avx512(f0[u], q + w * (r + k), w), r0[u])];
			for (unsigned l = 1; l < levels; l++)
				_Pragma("GCC unroll 32") for (unsigned k = 0; k < P; k++)
					_Pragma("GCC unroll 8") for (unsigned u = 0; u < T; u++)
						c[u][k] = step_avx512(ff, tb[u], c[u][k], q + w * (r + k), w);
			_Pragma("GCC unroll 32") for (unsigned k = 0; k < P; k++) {
				double o = out[r + k];

				_Pragma("GCC unroll 8") for (unsigned u = 0; u < T; u++)
					o += *(const float *)(lb[u] + c[u][k]);
				out[r + k] = o;
			}
		}
		for (; r < n; r++)
			for (unsigned u = 0; u < T; u++) {
				size_t c = 0;

				for (unsigned l = 0; l < levels; l++)
					c = step_avx512(ff, tb[u], c, q + w * r, w);
				out[r] += *(const float *)(lb[u] + c);
			}
	}
	for (; t < ff->n_trees; t++) {
		const char *tb = (const char *)(ff->chunks + t * nc);
		const char *lb = (const char *)(ff->leaves + t * nl) - sizeof(float) * nc;
		const __m128i f0 = _mm_load_si128((const __m128i *)tb);
		const __m128i r0 = _mm_load_si128((const __m128i *)(tb + FF_LANES));
		size_t r = 0;

		for (; r + R <= n; r += R) {
			size_t c[R];

			_Pragma("GCC unroll 32") for (unsigned k = 0; k < R; k++)
				c[k] = ex[_mm_cmpgt_epu8_mask(pick_avx512(f0, q + w * (r + k), w), r0)];
			for (unsigned l = 1; l < levels; l++)
				_Pragma("GCC unroll 32") for (unsigned k = 0; k < R; k++)
					c[k] = step_avx512(ff, tb, c[k], q + w * (r + k), w);
			_Pragma("GCC unroll 32") for (unsigned k = 0; k < R; k++)
				out[r + k] += *(const float *)(lb + c[k]);
		}
		for (; r < n; r++) {
			size_t c = 0;

			for (unsigned l = 0; l < levels; l++)
				c = step_avx512(ff, tb, c, q + w * r, w);
			out[r] += *(const float *)(lb + c);
		}
	}
}

FF_AVX512 static void walk64_avx512(const struct forest_fast *ff, const uint8_t *q, size_t n,
				    double *out)
{
	walk_avx512(ff, q, n, out, 64);
}

FF_AVX512 static void walk32_avx512(const struct forest_fast *ff, const uint8_t *q, size_t n,
				    double *out)
{
	walk_avx512(ff, q, n, out, 32);
}

/* Rows [0, n) of a block through the trees: ranked, then walked with
 * 32-byte rows when no row has a NaN (the NaN-as-0 halves moved down in
 * place), else 64-byte ones. */
FF_AVX512 static void block_avx512(const struct forest_fast *ff, const float *rows, size_t n,
				   size_t stride, uint8_t *q, double *out)
{
	const size_t nf = ff->n_features;
	__mmask16 mlo = (__mmask16)(nf >= 16 ? 0xffff : (1u << nf) - 1);
	__mmask16 mhi = (__mmask16)(nf >= 32 ? 0xffff : nf > 16 ? (1u << (nf - 16)) - 1 : 0);
	uint32_t nan = 0;

	for (size_t r = 0; r < n; r++) {
		__m512 a = _mm512_maskz_loadu_ps(mlo, rows + r * stride);
		__m512 b = _mm512_maskz_loadu_ps(mhi, rows + r * stride + 16);

		nan |= (uint32_t)_mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q) |
		       (uint32_t)_mm512_cmp_ps_mask(b, b, _CMP_UNORD_Q);
	}
	if (nan) {
		rank_cols_avx512(ff, rows, n, stride, q, 64);
		walk64_avx512(ff, q, n, out);
	} else {
		rank_cols_avx512(ff, rows, n, stride, q, 32);
		walk32_avx512(ff, q, n, out);
	}
}

FF_AVX2 static uint32_t rank_row_avx2(const struct forest_fast *ff, const float *x, uint8_t *q)
{
	const size_t nf = ff->n_features;
	const float *restrict pivot = ff->pivot, *restrict list = ff->list;
	_Alignas(32) uint8_t rk[32] = { 0 };
	uint32_t nan = 0;

	for (size_t j = 0; j < nf; j++) {
		__m256 v = _mm256_set1_ps(x[j]);
		const float *pv = pivot + j * 16;
		unsigned cb = (unsigned)__builtin_popcount(
			(unsigned)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(pv), v, _CMP_LT_OQ)) |
			(unsigned)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(pv + 8), v,
								   _CMP_LT_OQ)) << 8);
		const float *f = list + j * FF_LIST + 16 * cb;
		unsigned cf = (unsigned)__builtin_popcount(
			(unsigned)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(f), v, _CMP_LT_OQ)) |
			(unsigned)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(f + 8), v,
								   _CMP_LT_OQ)) << 8);

		rk[j] = (uint8_t)(16 * cb + cf);
		nan |= (uint32_t)(x[j] != x[j]) << j;
	}
	for (size_t j = 0; j < 32; j++) {
		q[j + 32] = rk[j];
		q[j] = nan >> j & 1 ? 255 : rk[j];
	}
	return nan;
}

/* The same step on AVX2: the rank bytes as 16-byte tables, PSHUFB in
 * each, feature bits 4 and 5 pick among them (a 32-byte row, w == 32, has
 * no bit-5 half: two tables instead of four); "x <= rank" is max(x, rank)
 * == rank (unsigned). */
FF_AVX2 __attribute__((always_inline)) static inline size_t
step_avx2(const struct forest_fast *ff, const char *tb, size_t off, const uint8_t *q, int w)
{
	const struct ff_chunk *ch = (const struct ff_chunk *)(tb + off * FF_UNIT);
	__m128i idx = _mm_load_si128((const __m128i *)ch->feat);
	__m128i b4 = _mm_slli_epi16(idx, 3), b5 = _mm_slli_epi16(idx, 2);
	__m128i x = _mm_blendv_epi8(_mm_shuffle_epi8(_mm_load_si128((const __m128i *)q), idx),
				    _mm_shuffle_epi8(_mm_load_si128((const __m128i *)(q + 16)), idx),
				    b4);

	if (w == 64) {
		__m128i hi = _mm_blendv_epi8(
			_mm_shuffle_epi8(_mm_load_si128((const __m128i *)(q + 32)), idx),
			_mm_shuffle_epi8(_mm_load_si128((const __m128i *)(q + 48)), idx), b4);

		x = _mm_blendv_epi8(x, hi, b5);
	}
	__m128i rank = _mm_load_si128((const __m128i *)ch->rank);
	unsigned left = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(x, rank), rank));

	return (off << 4) + ff->exit[~left & 0x7fffu];
}

/* walk_avx512's loop on AVX2, FF_R2 rows at a time. */
FF_AVX2 __attribute__((always_inline)) static inline void
walk_avx2(const struct forest_fast *ff, const uint8_t *q, size_t n, double *out, const int w)
{
	enum { R = FF_R2 };
	const unsigned levels = ff->levels;
	const size_t nc = ff->n_chunks, nl = ff->n_leaves;

	for (size_t t = 0; t < ff->n_trees; t++) {
		const char *tb = (const char *)(ff->chunks + t * nc);
		const char *lb = (const char *)(ff->leaves + t * nl) - sizeof(float) * nc;
		size_t r = 0;

		for (; r + R <= n; r += R) {
			size_t c[R];

			_Pragma("GCC unroll 16") for (unsigned k = 0; k < R; k++)
				c[k] = 0;
			for (unsigned l = 0; l < levels; l++)
				_Pragma("GCC unroll 16") for (unsigned k = 0; k < R; k++)
					c[k] = step_avx2(ff, tb, c[k], q + w * (r + k), w);
			_Pragma("GCC unroll 16") for (unsigned k = 0; k < R; k++)
				out[r + k] += *(const float *)(lb + c[k]);
		}
		for (; r < n; r++) {
			size_t c = 0;

			for (unsigned l = 0; l < levels; l++)
				c = step_avx2(ff, tb, c, q + w * r, w);
			out[r] += *(const float *)(lb + c);
		}
	}
}

FF_AVX2 static void walk64_avx2(const struct forest_fast *ff, const uint8_t *q, size_t n,
				double *out)
{
	walk_avx2(ff, q, n, out, 64);
}

FF_AVX2 static void walk32_avx2(const struct forest_fast *ff, const uint8_t *q, size_t n,
				double *out)
{
	walk_avx2(ff, q, n, out, 32);
}

/* block_avx512 on AVX2. */
FF_AVX2 static void block_avx2(const struct forest_fast *ff, const float *rows, size_t n,
			       size_t stride, uint8_t *q, double *out)
{
	uint32_t nan = 0;

	for (size_t r = 0; r < n; r++)
		nan |= rank_row_avx2(ff, rows + r * stride, q + 64 * r);
	if (nan) {
		walk64_avx2(ff, q, n, out);
		return;
	}
	for (size_t r = 0; r < n; r++)
		_mm256_store_si256((__m256i *)(q + 32 * r),
				   _mm256_load_si256((const __m256i *)(q + 64 * r + 32)));
	walk32_avx2(ff, q, n, out);
}

static int cpu_has(enum forest_fast_path p)
{
	__builtin_cpu_init();
	if (p == FOREST_FAST_AVX512)
		return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		       __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi") &&
		       __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
	if (p == FOREST_FAST_AVX2)
		return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
	return 0;
}
#else
static int cpu_has(enum forest_fast_path p)
{
	(void)p;
	return 0;
}
#endif

/* The path a new layout gets on this CPU. */
static enum forest_fast_path choose_path(void)
{
	if (forced != FOREST_FAST_AUTO)
		return forced != FOREST_FAST_NONE && cpu_has(forced) ? forced : FOREST_FAST_NONE;
	if (cpu_has(FOREST_FAST_AVX512))
		return FOREST_FAST_AVX512;
	if (cpu_has(FOREST_FAST_AVX2))
		return FOREST_FAST_AVX2;
	return FOREST_FAST_NONE;
}

struct forest_fast *forest_fast_new(const struct forest_node *nodes, const size_t *tree_off,
				    const uint16_t *tree_depth, size_t n_trees,
				    size_t n_features)
{
	enum forest_fast_path path = choose_path();
	struct forest_fast *ff;
	unsigned depth = 0, levels;
	size_t nc, nl, bytes, align;

	if (path == FOREST_FAST_NONE || n_features > FF_MAX_FEATURES)
		return NULL;
	for (size_t t = 0; t < n_trees; t++)
		if (tree_depth[t] > depth)
			depth = tree_depth[t];
	levels = (depth + 3) / 4;
	if (levels > FF_MAX_LEVELS)
		return NULL;
	nl = (size_t)1 << (4 * levels);
	nc = (nl - 1) / 15;
	if (n_trees > FF_MAX_BYTES / (nc * sizeof(struct ff_chunk) + nl * sizeof(float)))
		return NULL;
	ff = xcalloc(1, sizeof(*ff));
	ff->path = path;
	ff->n_trees = n_trees;
	ff->n_features = n_features;
	ff->n_chunks = nc;
	ff->n_leaves = nl;
	ff->levels = levels;
	if (!build_lists(ff, nodes, tree_off[n_trees])) {
		forest_fast_free(ff);
		return NULL;
	}
	fill_exit_table(ff->exit);
	/* Chunks then leaves in one block, whole 2 MB pages from a 2 MB
	 * boundary when large (fewer TLB misses), else on a 64-byte one. */
	bytes = n_trees * nc * sizeof(struct ff_chunk) + n_trees * nl * sizeof(float);
	align = bytes < FF_HUGE / 2 ? 64 : FF_HUGE;
	bytes = (bytes + align - 1) / align * align;
	ff->mem = align == FF_HUGE ? xcalloc_large(bytes + align, 1) : xcalloc(bytes + align, 1);
	ff->chunks = (struct ff_chunk *)(((uintptr_t)ff->mem + align - 1) & ~(uintptr_t)(align - 1));
	ff->leaves = (float *)(ff->chunks + n_trees * nc);
	for (size_t i = 0; i < n_trees * nc; i++)
		ff->chunks[i].rank[FF_LANES - 1] = 255;
	for (size_t t = 0; t < n_trees; t++)
		place(ff, nodes + tree_off[t], 0, ff->chunks + t * nc, ff->leaves + t * nl, 0, 0);
	return ff;
}

void forest_fast_predict(const struct forest_fast *ff, const float *rows, size_t n_rows,
			 size_t stride, double *out)
{
#if FF_X86
	/* 64 kB: every tree is fetched from L2/L3 once per block, so a
	 * 1,000-row batch is one block (256-row blocks cost a fifth more) */
	_Alignas(64) uint8_t q[FF_ROW_BLOCK * 64];

	for (size_t r = 0; r < n_rows; r++)
		out[r] = 0;
	if (!ff->levels) {   /* every tree is one leaf: no chunks to walk */
		for (size_t t = 0; t < ff->n_trees; t++)
			for (size_t r = 0; r < n_rows; r++)
				out[r] += ff->leaves[t * ff->n_leaves];
	}
	for (size_t r0 = 0; ff->levels && r0 < n_rows; r0 += FF_ROW_BLOCK) {
		size_t nb = n_rows - r0 < FF_ROW_BLOCK ? n_rows - r0 : FF_ROW_BLOCK;

		if (ff->path == FOREST_FAST_AVX512)
			block_avx512(ff, rows + r0 * stride, nb, stride, q, out + r0);
		else
			block_avx2(ff, rows + r0 * stride, nb, stride, q, out + r0);
	}
	for (size_t r = 0; r < n_rows; r++)
		out[r] /= (double)ff->n_trees;
#else
	(void)ff, (void)rows, (void)n_rows, (void)stride, (void)out;
	BUG("forest_fast layout built on a CPU without AVX2");
#endif
}
