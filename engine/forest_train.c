/*
 * Random forest training; see forest_train.h.
 *
 * Split finding, measured (bench/bench_forest, 200,000 x 32, 100 trees,
 * mtry 5, depth 12, min_leaf 5, 2 threads, this 2-core host, one run each):
 *   - histogram on 255 quantile bins everywhere (exact_below = 0, the
 *     default): 3.5 s, held-out AUC 0.8022;
 *   - histogram near the root, exact search on sorted values in nodes below
 *     64 rows (--exact-below 64): 6.9 s, held-out AUC 0.8017.
 * Exact search in small nodes bought no accuracy and doubled the time
 * (sorting many small nodes), so it is off by default but kept
 * (params.exact_below) for small data sets where 255 bins are coarse.
 * A histogram costs one pass over the node's rows per tried feature, reading
 * a 1-byte code; sorting per node (sklearn's approach) costs O(m log m) per
 * feature per node on 4-byte values, which is where the speed-up comes from.
 *
 * Full depth (min_leaf 1, the same data: ~53,000 nodes a tree, half of the
 * split searches in nodes of < 16 rows) is dominated by the many small
 * nodes deep in the trees.  What made it fast, each step leaving every
 * forest and report bit-identical (tests/test_forest.c training_is_pinned
 * holds the hashes of revision 400c794); CPU seconds of forest_train at
 * full depth, 2 threads, steps measured interleaved with the previous one
 * at load average 2-5 (+-5 %):
 *   - 25.4 s: the 255-bin histogram per tried feature: clearing and
 *     scanning 255 bins cost far more than a deep node's few rows;
 *   - 13.5 s: visit only the bins the node touched (a 256-bit bitmap, read
 *     in ascending order, so the sums and candidate thresholds come in the
 *     same order as before), and keep each in-bag row's weights in a
 *     record that the partition moves with it (struct row) instead of
 *     gathering them by row index;
 *   - ~11 s: a branch-free partition, Gini inline, the codes of the rows
 *     ahead prefetched (deep nodes' rows are scattered over the column);
 *     binning by a stable radix sort (the quantile cuts are the same bits
 *     as the stable merge sort qsort was: -0 and +0 keep row order);
 *   - ~10.5 s: out-of-bag rows ride down the partition while a tree is
 *     grown (the node walk's test: the code of x is the first cut >= x, so
 *     code <= bin iff x <= threshold) instead of each walking every deep
 *     tree afterwards, and are folded into the OOB sums in tree order;
 *   - ~8.2 s: classification's sums are integers below 2^53, exact in any
 *     order, so the partition keeps the left sums only (right = parent -
 *     left) and the scan takes the present bins' total from the node's;
 *     the scan clears each bin as it reads it; nodes of >= 512 rows mark
 *     touched bins from the counts after the fill.
 * bench/RESULTS.md has the figure against scikit-learn.  What did not pay
 * (measured, reverted): the codes also row-major for small nodes (the
 * tried features of a row then share a cache line), packed integer
 * histograms for classification (one add per row instead of three), a
 * lock-step OOB walk over 16 rows (deep trees: rows finish at very
 * different depths), and Gini gains two at a time in SSE2 lanes (the
 * staging arrays cost more than the divisions saved).  The remaining time
 * is the per-row histogram fill (the gather of the codes), the gain of
 * each candidate threshold (two divisions) and the partition.
 */
#include "engine/forest_train.h"

#include "common/rng.h"
#include "common/xalloc.h"
#include "engine/forest_score.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { MISSING_BIN = 255, PREFETCH_AHEAD = 32, SCAN_TOUCHED_FROM = 512 };

/* Read-only data shared by all trees. */
struct data {
	const struct forest_params *p;
	const float *X;
	const double *y;
	size_t n, nf;
	uint32_t mtry;
	uint8_t *codes;     /* nf x n, column-major bin codes */
	float *cuts;        /* nf x 255: bin b holds x <= cuts[b] (and > cuts[b-1]) */
	uint32_t *n_cuts;   /* bins per feature */
};

/* Per-tree results, one slot per tree so threads never share a slot. */
struct tree_out {
	struct forest_node *nodes;
	uint32_t n_nodes;
	double *imp;        /* nf impurity decreases */
	uint8_t *inbag;     /* n bits */
	float *oob_val;     /* the tree's prediction for each out-of-bag row, ascending
			     * rows; freed once folded into the OOB sums */
	int done;
};

/* Out-of-bag sums, folded in tree order as trees finish (under the lock):
 * each row's sum runs over the trees in order, whichever thread grew them,
 * and a tree's oob_val lives only until its turn. */
struct oob_fold {
	double *sum;        /* n; NULL without bootstrap */
	uint32_t *cnt;      /* n */
	size_t next;        /* first tree not folded yet */
};

struct split {
	double gain;
	float threshold;
	uint16_t feature;
	uint8_t bin;
	uint8_t missing_left;
	uint8_t exact;
};

struct pending {
	uint32_t node, lo, hi, depth;
	uint32_t olo, ohi;  /* the node's out-of-bag rows: orow[olo..ohi) */
	double w, s, ss;    /* bootstrap weight, sum w*y, sum w*y^2 */
	struct split sp;
};

struct exact_val {
	float x;
	double w, s;
};

/* One in-bag row in node order: the partition moves these records, so the
 * split search reads weights sequentially instead of gathering by row. */
struct row {
	uint32_t i;         /* row index */
	uint32_t cnt;       /* bootstrap count (the weight w) */
	double wy;          /* w * y */
	double wyy;         /* w * y * y */
};

/* A worker's histogram, all zero between searches: a search clears only the
 * bins it touched, listed by `touched` (bit b set: bin b holds rows). */
struct hist {
	double w[256], s[256];
	uint32_t n[256];
	uint64_t touched[4];
};

struct worker {
	struct data *d;
	struct tree_out *out;
	pthread_mutex_t *lock;
	size_t *next_tree;
	struct oob_fold *fold;
	size_t n_trees;
	/* scratch, sized once per worker */
	uint32_t *cnt, *perm;
	struct row *rows, *tmp;
	uint32_t *orow, *otmp;  /* out-of-bag rows in node order */
	float *leafv;           /* n: leaf value of each out-of-bag row */
	struct hist *h;
	struct exact_val *ev;
	struct pending *pend;
	size_t n_pend, cap_pend;
	struct forest_node *nodes;
	size_t n_nodes, cap_nodes;
	double *imp;
	struct rng rng;
};

/* Weighted impurity of a node (w times Gini / entropy), or for MSE the part
 * of the weighted sum of squares that depends on the split (-s^2/w): in all
 * three, gain = g(parent) - g(left) - g(right).  Gini and MSE inline (the
 * split scan evaluates two per candidate threshold), entropy out of line. */
static double node_entropy(double w, double s)
{
	double q, r;

	if (s <= 0 || s >= w)
		return 0;
	q = s / w;
	r = 1 - q;
	return -w * (q * log2(q) + r * log2(r));
}

static inline double node_g(uint32_t criterion, double w, double s)
{
	switch (criterion) {
	case FOREST_GINI:
		return 2.0 * s * (w - s) / w;
	case FOREST_ENTROPY:
		return node_entropy(w, s);
	default:
		return -s * s / w;
	}
}

struct side {
	double w, s;
	uint32_t n;
};

/* Consider the split (left, right) with the missing rows m on either side.
 * With m empty, missing goes to the heavier side, except when r *is* the
 * missing rows (all present values went left): then missing goes right. */
static inline void consider(const struct data *d, double gp, struct split *best,
			    uint16_t f, struct side l, struct side r, struct side m, float thr,
			    uint8_t bin, uint8_t exact, int r_is_missing)
{
	uint32_t ml = d->p->min_leaf, crit = d->p->criterion;

	for (int side = 0; side < 2; side++) {
		struct side L = l, R = r;
		uint8_t mleft;
		double gain;

		if (m.n == 0) {
			if (side == 1)
				break;
			mleft = !r_is_missing && l.w >= r.w;
		} else if (side == 0) {
			L.w += m.w, L.s += m.s, L.n += m.n;
			mleft = 1;
		} else {
			R.w += m.w, R.s += m.s, R.n += m.n;
			mleft = 0;
		}
		if (L.n < ml || R.n < ml)
			continue;
		gain = gp - node_g(crit, L.w, L.s) - node_g(crit, R.w, R.s);
		if (gain > best->gain) {
			best->gain = gain;
			best->feature = f;
			best->threshold = thr;
			best->bin = bin;
			best->missing_left = mleft;
			best->exact = exact;
		}
	}
}

/* Histogram search on feature f; returns 0 if f is constant in the node.
 * Only the bins the node's rows touch are visited (the touched bitmap, in
 * ascending bin order), which gives the same sums, in the same order, as a
 * scan of all bins skipping the empty ones: a node deep in a full-depth tree
 * holds a handful of rows, and scanning and clearing 255 bins for each of
 * them was most of the training time. */
static int search_hist(struct worker *wk, const struct pending *pn, double gp, uint16_t f,
		       struct split *best)
{
	const struct data *d = wk->d;
	const uint8_t *col = d->codes + (size_t)f * d->n;
	const float *cuts = d->cuts + (size_t)f * 255;
	const struct row *rw = wk->rows;
	struct hist *h = wk->h;
	uint32_t nonempty = 0;
	uint64_t bits[4];
	struct side l = { 0, 0, 0 }, r = { 0, 0, 0 }, m;
	int used = 1;

	/* The codes of a deep node's rows are scattered over the column: fetch
	 * ahead.  A large node marks its touched bins by one look at the 256
	 * counts afterwards instead of one bitmap update per row. */
	if (pn->hi - pn->lo >= SCAN_TOUCHED_FROM) {
		for (uint32_t k = pn->lo; k < pn->hi; k++) {
			uint8_t b;

			if (k + PREFETCH_AHEAD < pn->hi)
				__builtin_prefetch(col + rw[k + PREFETCH_AHEAD].i);
			b = col[rw[k].i];
			h->w[b] += rw[k].cnt;
			h->s[b] += rw[k].wy;
			h->n[b]++;
		}
		for (uint32_t b = 0; b < 256; b++)
			h->touched[b >> 6] |= (uint64_t)(h->n[b] != 0) << (b & 63);
	} else {
		for (uint32_t k = pn->lo; k < pn->hi; k++) {
			uint8_t b;

			if (k + PREFETCH_AHEAD < pn->hi)
				__builtin_prefetch(col + rw[k + PREFETCH_AHEAD].i);
			b = col[rw[k].i];
			h->w[b] += rw[k].cnt;
			h->s[b] += rw[k].wy;
			h->n[b]++;
			h->touched[b >> 6] |= (uint64_t)1 << (b & 63);
		}
	}
	m.w = h->w[MISSING_BIN], m.s = h->s[MISSING_BIN], m.n = h->n[MISSING_BIN];
	/* Present bins are < n_cuts[f] <= 255: bit 255 is the missing bin. */
	memcpy(bits, h->touched, sizeof(bits));
	bits[3] &= ~((uint64_t)1 << 63);
	if (d->p->task == FOREST_CLASSIFY) {
		/* Integer-valued sums (see apply_split): the present bins hold
		 * the node less its missing rows, exactly. */
		for (int q = 0; q < 4; q++)
			nonempty += (uint32_t)__builtin_popcountll(bits[q]);
		r.w = pn->w - m.w, r.s = pn->s - m.s, r.n = pn->hi - pn->lo - m.n;
	} else {
		for (int q = 0; q < 4; q++)
			for (uint64_t v = bits[q]; v; v &= v - 1) {
				uint32_t b = (uint32_t)q * 64 + (uint32_t)__builtin_ctzll(v);

				nonempty++;
				r.w += h->w[b], r.s += h->s[b], r.n += h->n[b];
			}
	}
	if (nonempty < 2 && !(nonempty == 1 && m.n > 0)) {
		used = 0;
		for (int q = 0; q < 4; q++)
			for (uint64_t v = bits[q]; v; v &= v - 1) {
				uint32_t b = (uint32_t)q * 64 + (uint32_t)__builtin_ctzll(v);

				h->w[b] = h->s[b] = 0;
				h->n[b] = 0;
			}
		goto clear;
	}
	/* The scan clears each bin as it reads it; it always reaches the last
	 * present bin (where r.n drops to 0). */
	for (int q = 0; q < 4; q++)
		for (uint64_t v = bits[q]; v; v &= v - 1) {
			uint32_t b = (uint32_t)q * 64 + (uint32_t)__builtin_ctzll(v);

			l.w += h->w[b], l.s += h->s[b], l.n += h->n[b];
			r.w -= h->w[b], r.s -= h->s[b], r.n -= h->n[b];
			h->w[b] = h->s[b] = 0;
			h->n[b] = 0;
			if (r.n == 0) {
				/* All present values left, missing alone right. */
				if (m.n > 0) {
					struct side none = { 0, 0, 0 };
					consider(d, gp, best, f, l, m, none, cuts[b], (uint8_t)b, 0, 1);
				}
				goto clear;
			}
			consider(d, gp, best, f, l, r, m, cuts[b], (uint8_t)b, 0, 0);
		}
	ASSERT(0);      /* r.n reaches 0 at the last present bin */
clear:
	h->w[MISSING_BIN] = h->s[MISSING_BIN] = 0;
	h->n[MISSING_BIN] = 0;
	memset(h->touched, 0, sizeof(h->touched));
	return used;
}

static int cmp_exact(const void *a, const void *b)
{
	float x = ((const struct exact_val *)a)->x, z = ((const struct exact_val *)b)->x;
	return (x > z) - (x < z);
}

/* Exact search on the node's sorted raw values; 0 if f is constant. */
static int search_exact(struct worker *wk, const struct pending *pn, double gp, uint16_t f,
			struct split *best)
{
	const struct data *d = wk->d;
	struct side l = { 0, 0, 0 }, r = { 0, 0, 0 }, m = { 0, 0, 0 };
	size_t k = 0;

	for (uint32_t j = pn->lo; j < pn->hi; j++) {
		const struct row *rw = &wk->rows[j];
		float x = d->X[(size_t)rw->i * d->nf + f];
		double w = rw->cnt;

		if (isnan(x)) {
			m.w += w, m.s += rw->wy, m.n++;
		} else {
			wk->ev[k].x = x, wk->ev[k].w = w, wk->ev[k].s = rw->wy;
			r.w += w, r.s += rw->wy, r.n++;
			k++;
		}
	}
	if (k == 0)
		return 0;
	qsort(wk->ev, k, sizeof(*wk->ev), cmp_exact);
	if (wk->ev[0].x == wk->ev[k - 1].x && m.n == 0)
		return 0;
	for (size_t j = 0; j < k;) {
		float x = wk->ev[j].x, thr;

		while (j < k && wk->ev[j].x == x) {
			l.w += wk->ev[j].w, l.s += wk->ev[j].s, l.n++;
			r.w -= wk->ev[j].w, r.s -= wk->ev[j].s, r.n--;
			j++;
		}
		if (j == k) {
			if (m.n > 0) {
				struct side none = { 0, 0, 0 };
				consider(d, gp, best, f, l, m, none, x, 0, 1, 1);
			}
			break;
		}
		/* Midpoint, rounded to float, kept in [x, next) so training and
		 * inference send the same rows left. */
		thr = (float)(((double)x + (double)wk->ev[j].x) / 2);
		if (!(thr >= x && thr < wk->ev[j].x))
			thr = x;
		consider(d, gp, best, f, l, r, m, thr, 0, 1, 0);
	}
	return 1;
}

/* Find the best split of a pending node (gain -INF if none). */
static void find_split(struct worker *wk, struct pending *pn)
{
	const struct data *d = wk->d;
	const struct forest_params *p = d->p;
	uint32_t rows = pn->hi - pn->lo, tried = 0;
	size_t nf = d->nf;
	double gp;

	pn->sp.gain = -INFINITY;
	if (p->max_depth && pn->depth >= p->max_depth)
		return;
	if (rows < 2 * p->min_leaf)
		return;
	if (p->task == FOREST_CLASSIFY) {
		if (pn->s <= 0 || pn->s >= pn->w)
			return;
	} else if (pn->ss - pn->s * pn->s / pn->w <= 1e-12 * pn->w) {
		return;
	}
	gp = node_g(p->criterion, pn->w, pn->s);
	/* Draw features without replacement until mtry non-constant ones have
	 * been tried (as sklearn does) or all features are used up. */
	for (size_t j = 0; j < nf && tried < d->mtry; j++) {
		size_t pick = j + (size_t)rng_below(&wk->rng, nf - j);
		uint32_t f = wk->perm[pick];
		int used;

		wk->perm[pick] = wk->perm[j];
		wk->perm[j] = f;
		if (rows < p->exact_below)
			used = search_exact(wk, pn, gp, (uint16_t)f, &pn->sp);
		else
			used = search_hist(wk, pn, gp, (uint16_t)f, &pn->sp);
		tried += (uint32_t)used;
	}
}

static uint32_t new_node(struct worker *wk)
{
	XGROW(wk->nodes, wk->n_nodes + 1, wk->cap_nodes);
	memset(&wk->nodes[wk->n_nodes], 0, sizeof(wk->nodes[0]));
	return (uint32_t)wk->n_nodes++;
}

static void push_pending(struct worker *wk, uint32_t node, uint32_t lo, uint32_t hi,
			 uint32_t olo, uint32_t ohi, uint32_t depth, double w, double s, double ss)
{
	struct pending *pn;

	XGROW(wk->pend, wk->n_pend + 1, wk->cap_pend);
	pn = &wk->pend[wk->n_pend++];
	pn->node = node, pn->lo = lo, pn->hi = hi, pn->depth = depth;
	pn->olo = olo, pn->ohi = ohi;
	pn->w = w, pn->s = s, pn->ss = ss;
	find_split(wk, pn);
}

static void make_leaf(struct worker *wk, const struct pending *pn)
{
	struct forest_node *nd = &wk->nodes[pn->node];

	nd->threshold = INFINITY;
	nd->left = pn->node;
	nd->feature = 0;
	nd->flags = FOREST_LEAF | FOREST_MISSING_LEFT;
	nd->value = (float)(pn->s / pn->w);
	for (uint32_t k = pn->olo; k < pn->ohi; k++)
		wk->leafv[wk->orow[k]] = nd->value;
}

/* Whether row i goes left at split sp.  For a histogram split this is the
 * node walk's test (x <= threshold, NaN to the missing side): the code of
 * x is the first cut >= x and the threshold is cut `bin`, so code <= bin
 * iff x <= threshold. */
static inline uint32_t goes_left(const struct data *d, const struct split *sp,
				 const uint8_t *col, uint32_t i)
{
	if (sp->exact) {
		float x = d->X[(size_t)i * d->nf + sp->feature];
		return isnan(x) ? sp->missing_left : x <= sp->threshold;
	} else {
		uint8_t b = col[i];
		return b == MISSING_BIN ? sp->missing_left : b <= sp->bin;
	}
}

/* Split pn (already removed from the pending list) and queue its children. */
static void apply_split(struct worker *wk, const struct pending *pn)
{
	const struct data *d = wk->d;
	const struct split *sp = &pn->sp;
	uint32_t f = sp->feature, lo = pn->lo, hi = pn->hi, nl = 0, nr = 0;
	uint32_t left = new_node(wk), n;
	double lw = 0, ls = 0, lss = 0, rw = 0, rs = 0, rss = 0;
	const uint8_t *col = d->codes + (size_t)f * d->n;
	int classify = d->p->task == FOREST_CLASSIFY;
	struct forest_node *nd;

	(void)new_node(wk);
	nd = &wk->nodes[pn->node];
	nd->threshold = sp->threshold;
	nd->left = left;
	nd->feature = (uint16_t)f;
	nd->flags = (uint16_t)((sp->missing_left ? FOREST_MISSING_LEFT : 0) |
			       (sp->exact ? FOREST_EXACT : 0));
	nd->value = (float)(pn->s / pn->w);
	wk->imp[f] += sp->gain;
	/* Stable partition: rows stay ascending by index within each child,
	 * which keeps the code gathers walking memory forwards. */
	for (uint32_t k = lo; k < hi; k++) {
		struct row row = wk->rows[k];
		uint32_t i = row.i, go_left;
		double c = row.cnt, zero = 0;

		if (!sp->exact && k + PREFETCH_AHEAD < hi)
			__builtin_prefetch(col + wk->rows[k + PREFETCH_AHEAD].i);
		go_left = goes_left(d, sp, col, i);
		/* Branch-free (the direction is a coin flip to the predictor):
		 * the row is written to both sides and counted on one; adding +0
		 * to the other side's sums leaves them unchanged (they start at
		 * +0 and a sum of finite values never becomes -0). */
		wk->rows[lo + nl] = row;
		wk->tmp[nr] = row;
		nl += go_left;
		nr += 1 - go_left;
		lw += go_left ? c : zero, ls += go_left ? row.wy : zero;
		if (!classify) {
			lss += go_left ? row.wyy : zero;
			rw += go_left ? zero : c, rs += go_left ? zero : row.wy;
			rss += go_left ? zero : row.wyy;
		}
	}
	if (classify) {
		/* Weights are counts and w*y is the count or 0: every sum is an
		 * integer below 2^53, so exact in any order, the right side is
		 * the parent's less the left, and w*y^2 = w*y. */
		rw = pn->w - lw, rs = pn->s - ls;
		lss = ls, rss = rs;
	}
	memcpy(wk->rows + lo + nl, wk->tmp, nr * sizeof(*wk->tmp));
	ASSERT(nl > 0 && nr > 0);
	n = lo + nl;
	/* The out-of-bag rows follow the same test down to their leaves. */
	nl = nr = 0;
	for (uint32_t k = pn->olo; k < pn->ohi; k++) {
		uint32_t i = wk->orow[k], go_left;

		if (!sp->exact && k + PREFETCH_AHEAD < pn->ohi)
			__builtin_prefetch(col + wk->orow[k + PREFETCH_AHEAD]);
		go_left = goes_left(d, sp, col, i);
		wk->orow[pn->olo + nl] = i;
		wk->otmp[nr] = i;
		nl += go_left;
		nr += 1 - go_left;
	}
	memcpy(wk->orow + pn->olo + nl, wk->otmp, nr * sizeof(*wk->otmp));
	push_pending(wk, left, lo, n, pn->olo, pn->olo + nl, pn->depth + 1, lw, ls, lss);
	push_pending(wk, left + 1, n, hi, pn->olo + nl, pn->ohi, pn->depth + 1, rw, rs, rss);
}

static void build_tree(struct worker *wk, size_t t)
{
	const struct data *d = wk->d;
	const struct forest_params *p = d->p;
	struct tree_out *out = &wk->out[t];
	size_t n = d->n, m = 0, no = 0, splits = 0;
	double w = 0, s = 0, ss = 0;

	rng_init(&wk->rng, p->seed, RNG_FOREST, t, 0);
	memset(wk->cnt, 0, n * sizeof(*wk->cnt));
	if (p->bootstrap)
		for (size_t k = 0; k < n; k++)
			wk->cnt[rng_below(&wk->rng, n)]++;
	else
		for (size_t k = 0; k < n; k++)
			wk->cnt[k] = 1;
	out->inbag = xcalloc((n + 7) / 8, 1);
	for (size_t i = 0; i < n; i++) {
		if (!wk->cnt[i]) {
			wk->orow[no++] = (uint32_t)i;
			continue;
		}
		struct row *r = &wk->rows[m++];

		out->inbag[i / 8] |= (uint8_t)(1u << (i % 8));
		r->i = (uint32_t)i;
		r->cnt = wk->cnt[i];
		r->wy = wk->cnt[i] * d->y[i];
		r->wyy = r->wy * d->y[i];
		w += r->cnt, s += r->wy, ss += r->wyy;
	}
	for (size_t j = 0; j < d->nf; j++)
		wk->perm[j] = (uint32_t)j;
	memset(wk->imp, 0, d->nf * sizeof(*wk->imp));
	wk->n_nodes = 0;
	wk->n_pend = 0;
	push_pending(wk, new_node(wk), 0, (uint32_t)m, 0, (uint32_t)no, 0, w, s, ss);
	while (wk->n_pend > 0) {
		size_t pick = wk->n_pend - 1;
		struct pending pn;

		if (p->max_leaves) {
			/* Best-first: largest gain, ties to the older node. */
			for (size_t k = 0; k < wk->n_pend; k++) {
				const struct pending *a = &wk->pend[k], *b = &wk->pend[pick];
				if (a->sp.gain > b->sp.gain ||
				    (a->sp.gain == b->sp.gain && a->node < b->node))
					pick = k;
			}
		}
		pn = wk->pend[pick];
		if (p->max_leaves)
			wk->pend[pick] = wk->pend[wk->n_pend - 1];
		wk->n_pend--;
		if (pn.sp.gain == -INFINITY || (p->max_leaves && splits + 1 >= p->max_leaves)) {
			make_leaf(wk, &pn);
			continue;
		}
		splits++;
		apply_split(wk, &pn);
	}
	out->n_nodes = (uint32_t)wk->n_nodes;
	out->nodes = xmalloc(wk->n_nodes * sizeof(*out->nodes));
	memcpy(out->nodes, wk->nodes, wk->n_nodes * sizeof(*out->nodes));
	out->imp = xmalloc(d->nf * sizeof(*out->imp));
	memcpy(out->imp, wk->imp, d->nf * sizeof(*out->imp));
	/* Out-of-bag predictions, in ascending row order (the order out_of_bag
	 * reads them). */
	out->oob_val = xmalloc((no ? no : 1) * sizeof(*out->oob_val));
	for (size_t k = 0, i = 0; i < n; i++)
		if (!wk->cnt[i])
			out->oob_val[k++] = wk->leafv[i];
}

static int in_bag(const struct tree_out *t, size_t i)
{
	return (t->inbag[i / 8] >> (i % 8)) & 1;
}

/* Fold the finished trees next in order into the OOB sums (lock held). */
static void fold_oob(struct worker *wk)
{
	struct oob_fold *fo = wk->fold;

	while (fo->next < wk->n_trees && wk->out[fo->next].done) {
		struct tree_out *t = &wk->out[fo->next++];

		if (fo->sum)
			for (size_t k = 0, i = 0; i < wk->d->n; i++)
				if (!in_bag(t, i)) {
					fo->sum[i] += t->oob_val[k++];
					fo->cnt[i]++;
				}
		free(t->oob_val);
		t->oob_val = NULL;
	}
}

static void *tree_worker(void *arg)
{
	struct worker *wk = arg;
	size_t t = SIZE_MAX;

	for (;;) {
		pthread_mutex_lock(wk->lock);
		if (t != SIZE_MAX) {
			wk->out[t].done = 1;
			fold_oob(wk);
		}
		t = (*wk->next_tree)++;
		pthread_mutex_unlock(wk->lock);
		if (t >= wk->n_trees)
			break;
		build_tree(wk, t);
	}
	return NULL;
}

static void worker_init(struct worker *wk, struct data *d)
{
	memset(wk, 0, sizeof(*wk));
	wk->d = d;
	wk->cnt = xmalloc(d->n * sizeof(*wk->cnt));
	wk->rows = xmalloc(d->n * sizeof(*wk->rows));
	wk->orow = xmalloc(d->n * sizeof(*wk->orow));
	wk->otmp = xmalloc(d->n * sizeof(*wk->otmp));
	wk->leafv = xmalloc(d->n * sizeof(*wk->leafv));
	wk->tmp = xmalloc(d->n * sizeof(*wk->tmp));
	wk->h = xcalloc(1, sizeof(*wk->h));
	wk->perm = xmalloc(d->nf * sizeof(*wk->perm));
	wk->imp = xmalloc(d->nf * sizeof(*wk->imp));
	wk->ev = d->p->exact_below ? xmalloc(d->n * sizeof(*wk->ev)) : NULL;
}

static void worker_release(struct worker *wk)
{
	free(wk->cnt);
	free(wk->rows);
	free(wk->orow);
	free(wk->otmp);
	free(wk->leafv);
	free(wk->tmp);
	free(wk->h);
	free(wk->perm);
	free(wk->imp);
	free(wk->ev);
	free(wk->pend);
	free(wk->nodes);
}

/* Run fn(arg_k) on `threads` threads (the first on the caller's). */
static void run_threads(int threads, void *(*fn)(void *), void *args, size_t arg_size)
{
	pthread_t *tid = xcalloc((size_t)threads, sizeof(*tid));

	for (int k = 1; k < threads; k++)
		if (pthread_create(&tid[k], NULL, fn, (char *)args + (size_t)k * arg_size) != 0)
			BUG("cannot create a training thread");
	fn(args);
	for (int k = 1; k < threads; k++)
		pthread_join(tid[k], NULL);
	free(tid);
}

/* ---- binning ---- */

struct bin_job {
	struct data *d;
	pthread_mutex_t *lock;
	size_t *next;
	float *scratch;         /* n sorted values */
	uint64_t *pairs, *tmp;  /* n (key << 32 | row) each */
};

/* Sort key of a float: unsigned order = float order, with -0 and +0 the
 * same key (they compare equal). */
static uint32_t float_key(float x)
{
	uint32_t u;

	if (x == 0)
		x = 0;
	memcpy(&u, &x, sizeof(u));
	return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* Stable LSD radix sort of m (key << 32 | row) pairs by key, 4 passes of 8
 * bits (a pass whose byte is the same in every key is skipped).  Stable, as
 * glibc's merge sort qsort was on the float values: equal values (and -0
 * beside +0) keep their row order, so the cut values are the same bits. */
static uint64_t *radix_sort(uint64_t *a, uint64_t *tmp, size_t m)
{
	for (int pass = 0; pass < 4; pass++) {
		size_t count[256] = { 0 }, sum = 0;
		int shift = 32 + 8 * pass;
		uint64_t *t;

		for (size_t i = 0; i < m; i++)
			count[(a[i] >> shift) & 255]++;
		if (m == 0 || count[(a[0] >> shift) & 255] == m)
			continue;
		for (int b = 0; b < 256; b++) {
			size_t c = count[b];
			count[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < m; i++)
			tmp[count[(a[i] >> shift) & 255]++] = a[i];
		t = a, a = tmp, tmp = t;
	}
	return a;
}

static void bin_feature(struct data *d, size_t f, struct bin_job *j)
{
	float *cuts = d->cuts + f * 255, *v = j->scratch;
	uint8_t *col = d->codes + f * d->n;
	uint32_t nb = d->p->n_bins, nc = 0, c = 0;
	size_t m = 0, distinct = 0;
	uint64_t *sorted;

	for (size_t i = 0; i < d->n; i++) {
		float x = d->X[i * d->nf + f];
		if (isnan(x))
			col[i] = MISSING_BIN;
		else
			j->pairs[m++] = (uint64_t)float_key(x) << 32 | i;
	}
	sorted = radix_sort(j->pairs, j->tmp, m);
	for (size_t k = 0; k < m; k++)
		v[k] = d->X[(sorted[k] & 0xffffffffu) * d->nf + f];
	for (size_t i = 0; i < m; i++)
		distinct += i == 0 || v[i] != v[i - 1];
	if (distinct <= nb) {
		for (size_t i = 0; i < m; i++)
			if (i == 0 || v[i] != v[i - 1])
				cuts[nc++] = v[i];
	} else {
		/* Quantile edges: the value at rank k*m/nb - 1; duplicates merge. */
		for (uint32_t k = 1; k <= nb; k++) {
			float e = v[(size_t)((double)k * (double)m / nb) - 1];
			if (nc == 0 || e > cuts[nc - 1])
				cuts[nc++] = e;
		}
	}
	d->n_cuts[f] = nc;
	/* Code = the first cut >= x, walking the values in ascending order. */
	for (size_t k = 0; k < m; k++) {
		while (c < nc && cuts[c] < v[k])
			c++;
		col[sorted[k] & 0xffffffffu] = (uint8_t)c;
	}
}

static void *bin_worker(void *arg)
{
	struct bin_job *j = arg;

	for (;;) {
		size_t f;

		pthread_mutex_lock(j->lock);
		f = (*j->next)++;
		pthread_mutex_unlock(j->lock);
		if (f >= j->d->nf)
			break;
		bin_feature(j->d, f, j);
	}
	return NULL;
}

/* ---- out-of-bag ---- */

struct oob_job {
	const struct forest *f;
	const struct data *d;
	struct tree_out *trees;
	const uint32_t *cnt;    /* n: trees each row is out of bag in */
	/* permutation importance: feature queue */
	pthread_mutex_t *lock;
	size_t *next;
	double *perm_score;     /* nf */
	unsigned char *mask;
	double *pred;           /* per-thread n */
	float *row;             /* per-thread nf */
	uint32_t *perm;         /* per-thread n */
};

static double oob_metric(const struct data *d, const double *pred, const unsigned char *mask)
{
	if (d->p->task == FOREST_CLASSIFY)
		return forest_score_auc(pred, d->y, mask, d->n);
	return forest_score_r2(pred, d->y, mask, d->n);
}

static void *perm_worker(void *arg)
{
	struct oob_job *j = arg;
	const struct data *d = j->d;
	size_t nt = forest_n_trees(j->f), nf = d->nf, n = d->n;

	for (;;) {
		size_t f;
		struct rng r;

		pthread_mutex_lock(j->lock);
		f = (*j->next)++;
		pthread_mutex_unlock(j->lock);
		if (f >= nf)
			break;
		rng_init(&r, d->p->seed, RNG_FOREST, f, 1);
		for (size_t i = 0; i < n; i++)
			j->perm[i] = (uint32_t)i;
		for (size_t i = n - 1; i > 0; i--) {
			size_t k = (size_t)rng_below(&r, i + 1);
			uint32_t tmp = j->perm[i];
			j->perm[i] = j->perm[k];
			j->perm[k] = tmp;
		}
		memset(j->pred, 0, n * sizeof(*j->pred));
		for (size_t t = 0; t < nt; t++)
			for (size_t i = 0; i < n; i++) {
				if (in_bag(&j->trees[t], i))
					continue;
				memcpy(j->row, d->X + i * nf, nf * sizeof(*j->row));
				j->row[f] = d->X[(size_t)j->perm[i] * nf + f];
				j->pred[i] += forest_predict_tree(j->f, t, j->row);
			}
		for (size_t i = 0; i < n; i++)
			j->pred[i] = j->cnt[i] ? j->pred[i] / j->cnt[i] : 0;
		j->perm_score[f] = oob_metric(d, j->pred, j->mask);
	}
	return NULL;
}

/* sum and cnt: the folded OOB sums (struct oob_fold).  Each tree routed
 * its out-of-bag rows to their leaves while it was grown, by the node
 * walk's test, so the sums are those of forest_predict_tree. */
static void out_of_bag(const struct forest *f, struct data *d, struct tree_out *trees,
		       int threads, double *sum, const uint32_t *cnt,
		       struct forest_train_report *rep)
{
	size_t n = d->n, nf = d->nf, next = 0;
	struct oob_job *jobs = xcalloc((size_t)threads, sizeof(*jobs));
	unsigned char *mask = xcalloc(n, 1);
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

	for (int k = 0; k < threads; k++) {
		jobs[k].f = f, jobs[k].d = d, jobs[k].trees = trees;
		jobs[k].cnt = cnt;
	}
	rep->oob_pred = xmalloc(n * sizeof(*rep->oob_pred));
	rep->n_oob = 0;
	for (size_t i = 0; i < n; i++) {
		mask[i] = cnt[i] > 0;
		rep->n_oob += mask[i];
		rep->oob_pred[i] = cnt[i] ? sum[i] / cnt[i] : NAN;
		sum[i] = cnt[i] ? sum[i] / cnt[i] : 0;
	}
	rep->oob_score = oob_metric(d, sum, mask);
	if (d->p->task == FOREST_CLASSIFY) {
		double ll = 0;
		for (size_t i = 0; i < n; i++)
			if (mask[i])
				ll += forest_score_logloss(&sum[i], &d->y[i], 1);
		rep->oob_loss = rep->n_oob ? ll / (double)rep->n_oob : NAN;
	} else {
		rep->oob_loss = forest_score_mse(sum, d->y, mask, n);
	}
	if (d->p->permutation_importance) {
		double *score = xcalloc(nf, sizeof(*score));

		for (int k = 0; k < threads; k++) {
			jobs[k].lock = &lock, jobs[k].next = &next;
			jobs[k].perm_score = score, jobs[k].mask = mask;
			jobs[k].pred = xmalloc(n * sizeof(double));
			jobs[k].row = xmalloc(nf * sizeof(float));
			jobs[k].perm = xmalloc(n * sizeof(uint32_t));
		}
		run_threads(threads, perm_worker, jobs, sizeof(*jobs));
		rep->permutation_importance = xmalloc(nf * sizeof(double));
		for (size_t j = 0; j < nf; j++)
			rep->permutation_importance[j] = rep->oob_score - score[j];
		for (int k = 0; k < threads; k++) {
			free(jobs[k].pred);
			free(jobs[k].row);
			free(jobs[k].perm);
		}
		free(score);
	}
	free(mask);
	free(jobs);
}

void forest_train_report_release(struct forest_train_report *rep)
{
	if (!rep)
		return;
	free(rep->oob_pred);
	free(rep->permutation_importance);
	rep->oob_pred = NULL;
	rep->permutation_importance = NULL;
}

static int check_args(const struct forest_params *p, const float *X, size_t n, size_t nf,
		      const double *y, int threads, struct error *err)
{
	(void)X;
	if (n < 2)
		return error_set(err, ERR_INPUT, "training needs at least 2 rows, not %zu", n);
	if (n > UINT32_MAX)
		return error_set(err, ERR_INPUT, "too many training rows (%zu)", n);
	if (nf == 0 || nf > 65535)
		return error_set(err, ERR_INPUT, "training needs 1..65535 features, not %zu", nf);
	if (threads < 1)
		return error_set(err, ERR_INPUT, "threads must be >= 1, not %d", threads);
	if (p->task > FOREST_REGRESS)
		return error_set(err, ERR_INPUT, "unknown task %u", p->task);
	if (p->task == FOREST_CLASSIFY && p->criterion == FOREST_MSE)
		return error_set(err, ERR_INPUT, "classification needs criterion gini or entropy");
	if (p->task == FOREST_REGRESS && p->criterion != FOREST_MSE)
		return error_set(err, ERR_INPUT, "regression needs criterion mse");
	if (p->criterion > FOREST_MSE)
		return error_set(err, ERR_INPUT, "unknown criterion %u", p->criterion);
	if (p->n_trees == 0)
		return error_set(err, ERR_INPUT, "trees must be >= 1");
	if (p->mtry > nf)
		return error_set(err, ERR_INPUT, "mtry %u exceeds the %zu features", p->mtry, nf);
	if (p->min_leaf == 0)
		return error_set(err, ERR_INPUT, "min_leaf must be >= 1");
	if (p->max_leaves == 1)
		return error_set(err, ERR_INPUT, "max_leaves must be 0 (unlimited) or >= 2");
	if (p->n_bins < 2 || p->n_bins > 255)
		return error_set(err, ERR_INPUT, "bins must be in 2..255, not %u", p->n_bins);
	for (size_t i = 0; i < n; i++) {
		if (p->task == FOREST_CLASSIFY && y[i] != 0 && y[i] != 1)
			return error_set(err, ERR_INPUT,
					 "label of row %zu is %g; classification needs 0 or 1",
					 i + 1, y[i]);
		if (!isfinite(y[i]))
			return error_set(err, ERR_INPUT, "label of row %zu is not finite", i + 1);
	}
	return 0;
}

struct forest *forest_train(const struct forest_params *params, const float *X, size_t n,
			    size_t n_features, const double *y,
			    const char *const *feature_names, int threads,
			    struct forest_train_report *rep, struct error *err)
{
	struct data d = { 0 };
	struct tree_out *trees;
	struct worker *wk;
	struct bin_job *bj;
	struct forest *f = NULL;
	struct forest_node *all;
	uint32_t *sizes;
	double *imp;
	size_t total = 0, next = 0, nt;
	struct oob_fold fold = { NULL, NULL, 0 };
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

	if (rep)
		memset(rep, 0, sizeof(*rep));
	if (check_args(params, X, n, n_features, y, threads, err) < 0)
		return NULL;
	nt = params->n_trees;
	d.p = params;
	d.X = X, d.y = y, d.n = n, d.nf = n_features;
	d.mtry = params->mtry;
	if (!d.mtry) {
		d.mtry = params->task == FOREST_CLASSIFY ? (uint32_t)sqrt((double)n_features)
							 : (uint32_t)(n_features / 3);
		if (d.mtry < 1)
			d.mtry = 1;
	}
	d.codes = xmalloc(n * n_features);
	d.cuts = xmalloc(n_features * 255 * sizeof(*d.cuts));
	d.n_cuts = xmalloc(n_features * sizeof(*d.n_cuts));

	bj = xcalloc((size_t)threads, sizeof(*bj));
	for (int k = 0; k < threads; k++) {
		bj[k].d = &d, bj[k].lock = &lock, bj[k].next = &next;
		bj[k].scratch = xmalloc(n * sizeof(float));
		bj[k].pairs = xmalloc(n * sizeof(uint64_t));
		bj[k].tmp = xmalloc(n * sizeof(uint64_t));
	}
	run_threads(threads, bin_worker, bj, sizeof(*bj));
	for (int k = 0; k < threads; k++) {
		free(bj[k].scratch);
		free(bj[k].pairs);
		free(bj[k].tmp);
	}
	free(bj);

	if ((size_t)threads > nt)
		threads = (int)nt;
	trees = xcalloc(nt, sizeof(*trees));
	if (params->bootstrap) {
		fold.sum = xcalloc(n, sizeof(*fold.sum));
		fold.cnt = xcalloc(n, sizeof(*fold.cnt));
	}
	wk = xcalloc((size_t)threads, sizeof(*wk));
	next = 0;
	for (int k = 0; k < threads; k++) {
		worker_init(&wk[k], &d);
		wk[k].out = trees, wk[k].lock = &lock, wk[k].next_tree = &next;
		wk[k].fold = &fold;
		wk[k].n_trees = nt;
	}
	run_threads(threads, tree_worker, wk, sizeof(*wk));
	ASSERT(fold.next == nt);
	for (int k = 0; k < threads; k++)
		worker_release(&wk[k]);
	free(wk);

	/* Combine in tree order: per-tree importance normalised to sum 1, then
	 * averaged (as sklearn does). */
	sizes = xmalloc(nt * sizeof(*sizes));
	imp = xcalloc(n_features, sizeof(*imp));
	for (size_t t = 0; t < nt; t++) {
		double tot = 0;

		sizes[t] = trees[t].n_nodes;
		total += trees[t].n_nodes;
		for (size_t j = 0; j < n_features; j++)
			tot += trees[t].imp[j];
		if (tot > 0)
			for (size_t j = 0; j < n_features; j++)
				imp[j] += trees[t].imp[j] / tot / (double)nt;
	}
	all = xmalloc(total * sizeof(*all));
	total = 0;
	for (size_t t = 0; t < nt; t++) {
		memcpy(all + total, trees[t].nodes, trees[t].n_nodes * sizeof(*all));
		total += trees[t].n_nodes;
	}
	f = forest_assemble(params, n_features, feature_names, nt, sizes, all, imp, NAN, err);
	if (f && params->bootstrap) {
		struct forest_train_report local;
		struct forest_train_report *r = rep ? rep : &local;

		memset(&local, 0, sizeof(local));
		r->n_features = n_features;
		out_of_bag(f, &d, trees, threads, fold.sum, fold.cnt, r);
		/* The model records the OOB score; forest_assemble copied NAN. */
		forest_free(f);
		f = forest_assemble(params, n_features, feature_names, nt, sizes, all, imp,
				    r->oob_score, err);
		if (r == &local)
			forest_train_report_release(&local);
	} else if (rep) {
		rep->n_features = n_features;
		rep->oob_score = rep->oob_loss = NAN;
	}
	for (size_t t = 0; t < nt; t++) {
		free(trees[t].nodes);
		free(trees[t].imp);
		free(trees[t].inbag);
		free(trees[t].oob_val);
	}
	free(trees);
	free(fold.sum);
	free(fold.cnt);
	free(all);
	free(imp);
	free(sizes);
	free(d.codes);
	free(d.cuts);
	free(d.n_cuts);
	return f;
}

int forest_train_permutation_importance(const struct forest *f, const float *rows, size_t n,
					size_t stride, const double *y, uint64_t seed,
					double *out, struct error *err)
{
	size_t nf = forest_n_features(f);
	int classify = forest_params(f)->task == FOREST_CLASSIFY;
	double *pred, base;
	float *copy;
	uint32_t *perm;
	struct rng r;

	if (stride < nf)
		return error_set(err, ERR_INPUT, "rows have %zu columns, the model needs %zu",
				 stride, nf);
	if (n < 2)
		return error_set(err, ERR_INPUT, "permutation importance needs at least 2 rows");
	pred = xmalloc(n * sizeof(*pred));
	copy = xmalloc(n * stride * sizeof(*copy));
	perm = xmalloc(n * sizeof(*perm));
	memcpy(copy, rows, n * stride * sizeof(*copy));
	forest_predict_batch(f, rows, n, stride, pred);
	base = classify ? forest_score_auc(pred, y, NULL, n) : forest_score_r2(pred, y, NULL, n);
	for (size_t j = 0; j < nf; j++) {
		rng_init(&r, seed, RNG_FOREST, j, 2);
		for (size_t i = 0; i < n; i++)
			perm[i] = (uint32_t)i;
		for (size_t i = n - 1; i > 0; i--) {
			size_t k = (size_t)rng_below(&r, i + 1);
			uint32_t tmp = perm[i];
			perm[i] = perm[k];
			perm[k] = tmp;
		}
		for (size_t i = 0; i < n; i++)
			copy[i * stride + j] = rows[(size_t)perm[i] * stride + j];
		forest_predict_batch(f, copy, n, stride, pred);
		out[j] = base - (classify ? forest_score_auc(pred, y, NULL, n)
					  : forest_score_r2(pred, y, NULL, n));
		for (size_t i = 0; i < n; i++)
			copy[i * stride + j] = rows[i * stride + j];
	}
	free(perm);
	free(copy);
	free(pred);
	return 0;
}
