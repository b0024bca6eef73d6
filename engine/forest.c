/*
 * Random forest model: validation, batch inference, model file.  See forest.h.
 *
 * Model file, version 1 (all integers little-endian, floats as their IEEE
 * bit patterns, so a save/load round trip is bit-exact on any host):
 *
 *   "ATFOREST"            8 bytes magic
 *   u32 version           FOREST_FILE_VERSION
 *   params                11 x u32 (task, criterion, n_trees, mtry, max_depth,
 *                         min_leaf, max_leaves, n_bins, exact_below, bootstrap,
 *                         permutation_importance), u64 seed
 *   u32 n_features, u32 n_trees, u64 n_nodes, f64 oob_score
 *   n_features x (u32 length, bytes)   feature names, no terminator
 *   n_features x f64                   impurity importance
 *   n_trees x u32                      nodes per tree
 *   n_nodes x (f32 threshold, u32 left, u16 feature, u16 flags, f32 value)
 *   u64 FNV-1a 64 of every byte before it
 *
 * Loading checks magic, version, sizes, checksum and the structure of every
 * tree (children after parents and inside the tree, features in range,
 * canonical leaves), so a model that loads cannot make inference read out of
 * bounds or loop.
 *
 * Check, then trust: every count of the header is bounded before anything
 * is allocated for it, by the documented limits (forest.h: FOREST_MAX_*)
 * and by the bytes the file really has (a feature takes at least 12 bytes,
 * a tree at least 4 + 16), so a 101-byte file claiming 2^32 trees is
 * refused at once, naming the field, instead of allocating 16 GiB.
 */
#include "engine/forest.h"

#include "common/xalloc.h"
#include "engine/forest_fast.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

_Static_assert(sizeof(struct forest_node) == 16, "forest_node must stay 16 bytes");

#define FOREST_MAGIC "ATFOREST"
enum { FOREST_FILE_VERSION = 1, FOREST_NAME_MAX = 4096 };

struct forest {
	struct forest_params params;
	size_t n_features;
	size_t n_trees;
	size_t n_nodes;
	char **names;
	double *importance;
	double oob_score;
	struct forest_node *nodes;  /* all trees back to back */
	size_t *tree_off;           /* n_trees + 1 offsets into nodes */
	uint16_t *tree_depth;       /* lock-step walk length per tree */
	unsigned max_depth;
	struct forest_fast *fast;   /* derived inference layout, or NULL */
};

struct forest_params forest_params_defaults(void)
{
	struct forest_params p = {
		.task = FOREST_CLASSIFY,
		.criterion = FOREST_GINI,
		.n_trees = 100,
		.mtry = 0,
		.max_depth = 0,
		.min_leaf = 1,
		.max_leaves = 0,
		.n_bins = 255,
		.exact_below = 0,
		.bootstrap = 1,
		.permutation_importance = 0,
		.seed = 1,
	};
	return p;
}

void forest_free(struct forest *f)
{
	if (!f)
		return;
	if (f->names)
		for (size_t i = 0; i < f->n_features; i++)
			free(f->names[i]);
	free(f->names);
	free(f->importance);
	free(f->nodes);
	free(f->tree_off);
	free(f->tree_depth);
	forest_fast_free(f->fast);
	free(f);
}

/* Check one tree and compute its depth; ERR_CORRUPT with the reason. */
static int check_tree(const struct forest_node *t, size_t n, size_t n_features,
		      size_t tree, uint16_t *depth_out, uint16_t *scratch, struct error *err)
{
	unsigned depth = 0;

	if (n == 0)
		return error_set(err, ERR_CORRUPT, "tree %zu has no nodes", tree);
	memset(scratch, 0, n * sizeof(*scratch));
	for (size_t i = 0; i < n; i++) {
		const struct forest_node *nd = &t[i];

		if (!isfinite(nd->value))
			return error_set(err, ERR_CORRUPT, "tree %zu node %zu: non-finite value",
					 tree, i);
		if (nd->flags & ~(unsigned)(FOREST_LEAF | FOREST_MISSING_LEFT | FOREST_EXACT))
			return error_set(err, ERR_CORRUPT, "tree %zu node %zu: unknown flags 0x%x",
					 tree, i, (unsigned)nd->flags);
		if (nd->flags & FOREST_LEAF) {
			if (nd->left != i || !(nd->flags & FOREST_MISSING_LEFT) ||
			    !(isinf(nd->threshold) && nd->threshold > 0) || nd->feature != 0)
				return error_set(err, ERR_CORRUPT,
						 "tree %zu node %zu: malformed leaf", tree, i);
			if (scratch[i] > depth)
				depth = scratch[i];
			continue;
		}
		if (nd->feature >= n_features)
			return error_set(err, ERR_CORRUPT,
					 "tree %zu node %zu: feature %u out of range (%zu features)",
					 tree, i, (unsigned)nd->feature, n_features);
		if (nd->left <= i || (size_t)nd->left + 1 >= n)
			return error_set(err, ERR_CORRUPT,
					 "tree %zu node %zu: child %u out of range", tree, i,
					 (unsigned)nd->left);
		if (isnan(nd->threshold))
			return error_set(err, ERR_CORRUPT, "tree %zu node %zu: NaN threshold",
					 tree, i);
		if (scratch[i] >= 65535)
			return error_set(err, ERR_CORRUPT, "tree %zu is too deep", tree);
		scratch[nd->left] = scratch[nd->left + 1] = (uint16_t)(scratch[i] + 1);
	}
	*depth_out = (uint16_t)depth;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A name held twice, or NULL: sorted copies, O(n log n) (a model may have
 * 65,535 features; the pairwise check took seconds). */
static const char *first_duplicate(char *const *names, size_t n)
{
	char **sorted = xmalloc((n ? n : 1) * sizeof(*sorted));
	const char *dup = NULL;

	memcpy(sorted, names, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), name_cmp);
	for (size_t i = 1; i < n && !dup; i++)
		if (!strcmp(sorted[i], sorted[i - 1]))
			dup = sorted[i];
	free(sorted);
	return dup;
}

struct forest *forest_assemble(const struct forest_params *p, size_t n_features,
			       const char *const *feature_names, size_t n_trees,
			       const uint32_t *tree_sizes, const struct forest_node *nodes,
			       const double *importance, double oob_score, struct error *err)
{
	struct forest *f;
	uint16_t *scratch = NULL;
	size_t total = 0, biggest = 0;

	if (n_features == 0 || n_features > FOREST_MAX_FEATURES) {
		error_set(err, ERR_INPUT, "a forest needs 1..65535 features, not %zu", n_features);
		return NULL;
	}
	if (n_trees == 0) {
		error_set(err, ERR_INPUT, "a forest needs at least one tree");
		return NULL;
	}
	for (size_t t = 0; t < n_trees; t++) {
		total += tree_sizes[t];
		if (tree_sizes[t] > biggest)
			biggest = tree_sizes[t];
	}
	f = xcalloc(1, sizeof(*f));
	f->params = *p;
	f->n_features = n_features;
	f->n_trees = n_trees;
	f->n_nodes = total;
	f->oob_score = oob_score;
	f->names = xcalloc(n_features, sizeof(*f->names));
	for (size_t i = 0; i < n_features; i++) {
		f->names[i] = feature_names && feature_names[i] ? xstrdup(feature_names[i])
								: xasprintf("f%zu", i);
	}
	{
		const char *dup = first_duplicate(f->names, n_features);

		if (dup) {
			error_set(err, ERR_INPUT, "duplicate feature name '%s'", dup);
			goto out_free;
		}
	}
	f->importance = xcalloc(n_features, sizeof(*f->importance));
	if (importance)
		memcpy(f->importance, importance, n_features * sizeof(*importance));
	f->nodes = xmalloc(total * sizeof(*f->nodes));
	memcpy(f->nodes, nodes, total * sizeof(*nodes));
	f->tree_off = xmalloc((n_trees + 1) * sizeof(*f->tree_off));
	f->tree_depth = xmalloc(n_trees * sizeof(*f->tree_depth));
	scratch = xmalloc((biggest ? biggest : 1) * sizeof(*scratch));
	f->tree_off[0] = 0;
	for (size_t t = 0; t < n_trees; t++) {
		f->tree_off[t + 1] = f->tree_off[t] + tree_sizes[t];
		if (check_tree(f->nodes + f->tree_off[t], tree_sizes[t], n_features, t,
			       &f->tree_depth[t], scratch, err) < 0)
			goto out_free;
		if (f->tree_depth[t] > f->max_depth)
			f->max_depth = f->tree_depth[t];
	}
	free(scratch);
	f->fast = forest_fast_new(f->nodes, f->tree_off, f->tree_depth, n_trees, n_features);
	return f;

out_free:
	free(scratch);
	forest_free(f);
	return NULL;
}

size_t forest_n_features(const struct forest *f) { return f->n_features; }
size_t forest_n_trees(const struct forest *f) { return f->n_trees; }
size_t forest_n_nodes(const struct forest *f) { return f->n_nodes; }
unsigned forest_max_depth(const struct forest *f) { return f->max_depth; }
const struct forest_params *forest_params(const struct forest *f) { return &f->params; }
double forest_oob_score(const struct forest *f) { return f->oob_score; }

const char *forest_feature_name(const struct forest *f, size_t i)
{
	ASSERT(i < f->n_features);
	return f->names[i];
}

long forest_feature_index(const struct forest *f, const char *name)
{
	for (size_t i = 0; i < f->n_features; i++)
		if (!strcmp(f->names[i], name))
			return (long)i;
	return -1;
}

double forest_importance(const struct forest *f, size_t i)
{
	ASSERT(i < f->n_features);
	return f->importance[i];
}

const struct forest_node *forest_tree(const struct forest *f, size_t t, size_t *n_nodes)
{
	ASSERT(t < f->n_trees);
	if (n_nodes)
		*n_nodes = f->tree_off[t + 1] - f->tree_off[t];
	return f->nodes + f->tree_off[t];
}

const char *forest_inference_path(const struct forest *f)
{
	return f->fast ? forest_fast_path_name(forest_fast_path(f->fast)) : "node walk";
}

double forest_predict_tree(const struct forest *f, size_t t, const float *row)
{
	const struct forest_node *tree = f->nodes + f->tree_off[t];
	uint32_t i = 0;

	while (!(tree[i].flags & FOREST_LEAF)) {
		float x = row[tree[i].feature];
		int left = x <= tree[i].threshold ||
			   (isnan(x) && (tree[i].flags & FOREST_MISSING_LEFT));
		i = tree[i].left + (uint32_t)!left;
	}
	return tree[i].value;
}

/*
 * Trees outer, rows inner, in blocks of BLOCK rows: one tree's top levels
 * stay in L1 while a block walks it, and the lock-step inner loop over rows
 * has no dependence between iterations, so the core overlaps the node loads
 * of many rows instead of waiting on one root-to-leaf chain at a time.
 * A block without any NaN takes a simpler step (x <= threshold alone: NaN
 * handling is the only use of the flags, and leaves' +INF threshold keeps a
 * row on its leaf).  Measured on bench_forest's forest (1,000 rows x 100
 * trees, depth 12, mean path 11.8 steps): early-exit walk per (tree, row)
 * 7.0 ms; lock-step with NaN handling 2.2 ms; NaN-free lock-step 1.5 ms;
 * an AVX-512 gather version of the lock-step 2.8 ms (four gathers per step
 * cost more than the scalar loads), so it is not used.  When the model
 * fits engine/forest_fast.h (an AVX2 or AVX-512 CPU, <= 32 features, <= 255
 * distinct thresholds per feature, depth <= 16), forest_predict_batch uses
 * that derived layout instead, same bits (bench/RESULTS.md has each path's
 * figure).
 */
enum { BLOCK = 128 };

static void walk_block(const struct forest *f, const float *base, size_t nb, size_t stride,
		       int has_nan, double *o)
{
	uint32_t idx[BLOCK];

	for (size_t r = 0; r < nb; r++)
		o[r] = 0;
	for (size_t t = 0; t < f->n_trees; t++) {
		const struct forest_node *tree = f->nodes + f->tree_off[t];
		unsigned depth = f->tree_depth[t];

		for (size_t r = 0; r < nb; r++)
			idx[r] = 0;
		if (has_nan) {
			for (unsigned d = 0; d < depth; d++)
				for (size_t r = 0; r < nb; r++) {
					const struct forest_node *nd = &tree[idx[r]];
					float x = base[r * stride + nd->feature];
					uint32_t left = (uint32_t)(x <= nd->threshold) |
							((uint32_t)isnan(x) &
							 ((uint32_t)nd->flags >> 1));

					idx[r] = nd->left + 1 - (left & 1);
				}
		} else {
			for (unsigned d = 0; d < depth; d++)
				for (size_t r = 0; r < nb; r++) {
					const struct forest_node *nd = &tree[idx[r]];
					float x = base[r * stride + nd->feature];

					idx[r] = nd->left + (uint32_t)!(x <= nd->threshold);
				}
		}
		for (size_t r = 0; r < nb; r++)
			o[r] += tree[idx[r]].value;
	}
	for (size_t r = 0; r < nb; r++)
		o[r] /= (double)f->n_trees;
}

int forest_predict_batch(const struct forest *f, const float *rows, size_t n_rows,
			 size_t stride, double *out)
{
	if (stride < f->n_features)
		return ERR_INPUT;
	if (f->fast) {
		forest_fast_predict(f->fast, rows, n_rows, stride, out);
		return 0;
	}
	for (size_t r0 = 0; r0 < n_rows; r0 += BLOCK) {
		size_t nb = n_rows - r0 < BLOCK ? n_rows - r0 : BLOCK;
		const float *base = rows + r0 * stride;
		int has_nan = 0;

		for (size_t r = 0; r < nb && !has_nan; r++)
			for (size_t j = 0; j < f->n_features; j++)
				has_nan |= isnan(base[r * stride + j]);
		walk_block(f, base, nb, stride, has_nan, out + r0);
	}
	return 0;
}

/* ---- model file ---- */

struct wbuf {
	unsigned char *p;
	size_t n, cap;
};

static void put(struct wbuf *b, const void *src, size_t n)
{
	XGROW(b->p, b->n + n, b->cap);
	memcpy(b->p + b->n, src, n);
	b->n += n;
}

static void put_u16(struct wbuf *b, uint16_t v)
{
	unsigned char c[2] = { (unsigned char)v, (unsigned char)(v >> 8) };
	put(b, c, 2);
}

static void put_u32(struct wbuf *b, uint32_t v)
{
	unsigned char c[4];
	for (int i = 0; i < 4; i++)
		c[i] = (unsigned char)(v >> (8 * i));
	put(b, c, 4);
}

static void put_u64(struct wbuf *b, uint64_t v)
{
	unsigned char c[8];
	for (int i = 0; i < 8; i++)
		c[i] = (unsigned char)(v >> (8 * i));
	put(b, c, 8);
}

static void put_f32(struct wbuf *b, float v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	put_u32(b, u);
}

static void put_f64(struct wbuf *b, double v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	put_u64(b, u);
}

static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void put_params(struct wbuf *b, const struct forest_params *p)
{
	put_u32(b, p->task);
	put_u32(b, p->criterion);
	put_u32(b, p->n_trees);
	put_u32(b, p->mtry);
	put_u32(b, p->max_depth);
	put_u32(b, p->min_leaf);
	put_u32(b, p->max_leaves);
	put_u32(b, p->n_bins);
	put_u32(b, p->exact_below);
	put_u32(b, p->bootstrap);
	put_u32(b, p->permutation_importance);
	put_u64(b, p->seed);
}

int forest_save(const struct forest *f, const char *path, struct error *err)
{
	struct wbuf b = { 0 };
	char *tmp = NULL;
	FILE *fp;
	int rc = 0;

	put(&b, FOREST_MAGIC, 8);
	put_u32(&b, FOREST_FILE_VERSION);
	put_params(&b, &f->params);
	put_u32(&b, (uint32_t)f->n_features);
	put_u32(&b, (uint32_t)f->n_trees);
	put_u64(&b, f->n_nodes);
	put_f64(&b, f->oob_score);
	for (size_t i = 0; i < f->n_features; i++) {
		size_t len = strlen(f->names[i]);
		put_u32(&b, (uint32_t)len);
		put(&b, f->names[i], len);
	}
	for (size_t i = 0; i < f->n_features; i++)
		put_f64(&b, f->importance[i]);
	for (size_t t = 0; t < f->n_trees; t++)
		put_u32(&b, (uint32_t)(f->tree_off[t + 1] - f->tree_off[t]));
	for (size_t i = 0; i < f->n_nodes; i++) {
		const struct forest_node *nd = &f->nodes[i];
		put_f32(&b, nd->threshold);
		put_u32(&b, nd->left);
		put_u16(&b, nd->feature);
		put_u16(&b, nd->flags);
		put_f32(&b, nd->value);
	}
	put_u64(&b, fnv1a64(b.p, b.n));

	tmp = xasprintf("%s.tmp", path);
	fp = fopen(tmp, "wb");
	if (!fp) {
		rc = error_set(err, ERR_IO, "cannot write model '%s': %s", tmp, strerror(errno));
		goto out_buf;
	}
	if (fwrite(b.p, 1, b.n, fp) != b.n) {
		rc = error_set(err, ERR_IO, "cannot write model '%s': %s", tmp, strerror(errno));
		fclose(fp);
		goto out_tmp;
	}
	if (fclose(fp) != 0) {
		rc = error_set(err, ERR_IO, "cannot write model '%s': %s", tmp, strerror(errno));
		goto out_tmp;
	}
	if (rename(tmp, path) != 0) {
		rc = error_set(err, ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path,
			       strerror(errno));
		goto out_tmp;
	}
	goto out_buf;

out_tmp:
	remove(tmp);
out_buf:
	free(tmp);
	free(b.p);
	return rc;
}

struct rbuf {
	const unsigned char *p;
	size_t n, pos;
	int short_read;
};

static const unsigned char *take(struct rbuf *r, size_t n)
{
	const unsigned char *q;

	if (r->short_read || n > r->n - r->pos) {
		r->short_read = 1;
		return NULL;
	}
	q = r->p + r->pos;
	r->pos += n;
	return q;
}

static uint32_t get_u32(struct rbuf *r)
{
	const unsigned char *c = take(r, 4);
	uint32_t v = 0;
	if (c)
		for (int i = 0; i < 4; i++)
			v |= (uint32_t)c[i] << (8 * i);
	return v;
}

static uint16_t get_u16(struct rbuf *r)
{
	const unsigned char *c = take(r, 2);
	return c ? (uint16_t)(c[0] | (c[1] << 8)) : 0;
}

static uint64_t get_u64(struct rbuf *r)
{
	const unsigned char *c = take(r, 8);
	uint64_t v = 0;
	if (c)
		for (int i = 0; i < 8; i++)
			v |= (uint64_t)c[i] << (8 * i);
	return v;
}

static float get_f32(struct rbuf *r)
{
	uint32_t u = get_u32(r);
	float v;
	memcpy(&v, &u, 4);
	return v;
}

static double get_f64(struct rbuf *r)
{
	uint64_t u = get_u64(r);
	double v;
	memcpy(&v, &u, 8);
	return v;
}

static int read_file(const char *path, unsigned char **data, size_t *size, struct error *err)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *p = NULL;
	size_t n = 0, cap = 0, got;
	struct stat st;

	if (!fp)
		return error_set(err, ERR_IO, "cannot open model '%s': %s", path, strerror(errno));
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size > FOREST_MAX_FILE) {
		fclose(fp);
		return error_set(err, ERR_INPUT, "'%s': %lld bytes, more than a model file may "
				 "have (%llu)", path, (long long)st.st_size,
				 (unsigned long long)FOREST_MAX_FILE);
	}
	do {
		if (n > FOREST_MAX_FILE) {
			fclose(fp);
			free(p);
			return error_set(err, ERR_INPUT, "'%s': more than a model file may have "
					 "(%llu bytes)", path, (unsigned long long)FOREST_MAX_FILE);
		}
		XGROW(p, n + 65536, cap);
		got = fread(p + n, 1, cap - n, fp);
		n += got;
	} while (got > 0);
	if (ferror(fp)) {
		fclose(fp);
		free(p);
		return error_set(err, ERR_IO, "cannot read model '%s'", path);
	}
	fclose(fp);
	*data = p;
	*size = n;
	return 0;
}

/* The header's counts against the limits and the `rest` bytes after it:
 * ERR_INPUT naming the field when a value is impossible, ERR_CORRUPT
 * ("truncated") when the file is too short for what it promises. */
static int header_check(const char *path, const struct forest_params *p, uint32_t nf,
			uint32_t nt, uint64_t nn, size_t rest, struct error *err)
{
	if (p->task > FOREST_REGRESS)
		return error_set(err, ERR_INPUT, "'%s': corrupt model header: field 'task' is %u",
				 path, p->task);
	if (p->criterion > FOREST_MSE)
		return error_set(err, ERR_INPUT,
				 "'%s': corrupt model header: field 'criterion' is %u", path,
				 p->criterion);
	if (nf == 0 || nf > FOREST_MAX_FEATURES)
		return error_set(err, ERR_INPUT,
				 "'%s': corrupt model header: field 'n_features' is %u (1..%d)",
				 path, nf, FOREST_MAX_FEATURES);
	if (nt == 0 || nt > FOREST_MAX_TREES)
		return error_set(err, ERR_INPUT,
				 "'%s': corrupt model header: field 'n_trees' is %u (1..%d)", path,
				 nt, FOREST_MAX_TREES);
	if (nt != p->n_trees)
		return error_set(err, ERR_INPUT,
				 "'%s': corrupt model header: field 'n_trees' is %u, the parameters "
				 "say %u", path, nt, p->n_trees);
	if (nn < nt || nn > FOREST_MAX_NODES)
		return error_set(err, ERR_INPUT,
				 "'%s': corrupt model header: field 'n_nodes' is %llu (%u trees of "
				 "at least one node, at most %llu nodes)", path,
				 (unsigned long long)nn, nt, (unsigned long long)FOREST_MAX_NODES);
	/* Each feature takes >= 12 bytes (length, importance), each tree 4,
	 * each node 16, and the checksum 8: all below 2^63, no overflow. */
	if ((uint64_t)nf * 12 + (uint64_t)nt * 4 + nn * 16 + 8 > rest)
		return error_set(err, ERR_CORRUPT,
				 "'%s': model file is truncated: the header promises %u features, "
				 "%u trees and %llu nodes, %zu bytes follow it", path, nf, nt,
				 (unsigned long long)nn, rest);
	return 0;
}

struct forest *forest_load(const char *path, struct error *err)
{
	struct rbuf r = { 0 };
	unsigned char *data = NULL;
	struct forest_params p;
	struct forest *f = NULL;
	char **names = NULL;
	double *imp = NULL, oob;
	uint32_t *sizes = NULL;
	struct forest_node *nodes = NULL;
	uint32_t version, nf = 0, nt;
	uint64_t nn, sum, stored;
	size_t size = 0;

	if (read_file(path, &data, &size, err) < 0)
		return NULL;
	r.p = data;
	r.n = size;
	if (size < 12 || memcmp(data, FOREST_MAGIC, 8) != 0) {
		error_set(err, ERR_CORRUPT, "'%s' is not an airtime forest model (bad magic)", path);
		goto out_data;
	}
	r.pos = 8;
	version = get_u32(&r);
	if (version != FOREST_FILE_VERSION) {
		error_set(err, ERR_CORRUPT,
			  "'%s': unsupported model format version %u (this build reads %d)", path,
			  version, FOREST_FILE_VERSION);
		goto out_data;
	}
	p.task = get_u32(&r);
	p.criterion = get_u32(&r);
	p.n_trees = get_u32(&r);
	p.mtry = get_u32(&r);
	p.max_depth = get_u32(&r);
	p.min_leaf = get_u32(&r);
	p.max_leaves = get_u32(&r);
	p.n_bins = get_u32(&r);
	p.exact_below = get_u32(&r);
	p.bootstrap = get_u32(&r);
	p.permutation_importance = get_u32(&r);
	p.seed = get_u64(&r);
	nf = get_u32(&r);
	nt = get_u32(&r);
	nn = get_u64(&r);
	oob = get_f64(&r);
	if (r.short_read)
		goto truncated;
	if (header_check(path, &p, nf, nt, nn, size - r.pos, err) < 0)
		goto out_data;
	names = xcalloc(nf, sizeof(*names));
	for (uint32_t i = 0; i < nf; i++) {
		uint32_t len = get_u32(&r);
		const unsigned char *s;

		if (len > FOREST_NAME_MAX && !r.short_read) {
			error_set(err, ERR_CORRUPT, "'%s': corrupt feature name %u", path, i);
			goto out_parts;
		}
		s = take(&r, len);
		if (!s)
			goto truncated;
		names[i] = xmalloc((size_t)len + 1);
		memcpy(names[i], s, len);
		names[i][len] = '\0';
	}
	imp = xcalloc(nf, sizeof(*imp));
	for (uint32_t i = 0; i < nf; i++)
		imp[i] = get_f64(&r);
	sizes = xcalloc(nt, sizeof(*sizes));
	sum = 0;
	for (uint32_t t = 0; t < nt; t++) {
		sizes[t] = get_u32(&r);
		sum += sizes[t];
	}
	if (r.short_read)
		goto truncated;
	if (sum != nn) {
		error_set(err, ERR_CORRUPT, "'%s': tree sizes do not add up to the node count",
			  path);
		goto out_parts;
	}
	if (nn * 16 + 8 > size - r.pos)
		goto truncated;
	nodes = xmalloc((nn ? nn : 1) * sizeof(*nodes));
	for (uint64_t i = 0; i < nn; i++) {
		nodes[i].threshold = get_f32(&r);
		nodes[i].left = get_u32(&r);
		nodes[i].feature = get_u16(&r);
		nodes[i].flags = get_u16(&r);
		nodes[i].value = get_f32(&r);
	}
	sum = fnv1a64(data, r.pos);
	stored = get_u64(&r);
	if (r.short_read)
		goto truncated;
	if (r.pos != size) {
		error_set(err, ERR_CORRUPT, "'%s': %zu unexpected bytes after the model", path,
			  size - r.pos);
		goto out_parts;
	}
	if (sum != stored) {
		error_set(err, ERR_CORRUPT, "'%s': checksum mismatch (file is corrupt)", path);
		goto out_parts;
	}
	f = forest_assemble(&p, nf, (const char *const *)names, nt, sizes, nodes, imp, oob, err);
	if (!f)
		error_prefix(err, "'%s': ", path);
	goto out_parts;

truncated:
	error_set(err, ERR_CORRUPT, "'%s': model file is truncated (%zu bytes)", path, size);
out_parts:
	if (names)
		for (uint32_t i = 0; i < nf; i++)
			free(names[i]);
	free(names);
	free(imp);
	free(sizes);
	free(nodes);
out_data:
	free(data);
	if (f && err)
		error_clear(err);
	return f;
}
