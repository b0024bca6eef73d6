/* Tests for engine/forest.c and engine/forest_train.c: learning, determinism
 * across threads, model file round trip and corruption, OOB, importance,
 * missing values, regression.  Small data so the suite stays fast. */
#include "common/rng.h"
#include "common/xalloc.h"
#include "engine/forest.h"
#include "engine/forest_fast.h"
#include "engine/forest_score.h"
#include "engine/forest_train.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check_main.h"
#include "tests/tmpdir.h"

enum { NF = 4 };

struct dataset {
	size_t n, nf;
	float *X;
	double *y;
};

static void dataset_release(struct dataset *d)
{
	free(d->X);
	free(d->y);
}

/* XOR of x0 > 0.5 and x1 > 0.5; x2, x3 uniform noise; noiseless labels. */
static struct dataset make_xor(uint64_t seed, size_t n)
{
	struct dataset d = { n, NF, xmalloc(n * NF * sizeof(float)), xmalloc(n * sizeof(double)) };
	struct rng r;

	for (size_t i = 0; i < n; i++) {
		rng_init(&r, seed, RNG_TEST, i, 0);
		for (int j = 0; j < NF; j++)
			d.X[i * NF + j] = (float)rng_uniform(&r);
		d.y[i] = (d.X[i * NF] > 0.5f) != (d.X[i * NF + 1] > 0.5f);
	}
	return d;
}

/* Noisy logistic: P(y=1) = sigmoid(2.5 x0 - 1.5 x1 x2 + ...), x ~ U(-1, 1);
 * x3 is pure noise. */
static struct dataset make_logistic(uint64_t seed, size_t first, size_t n)
{
	struct dataset d = { n, NF, xmalloc(n * NF * sizeof(float)), xmalloc(n * sizeof(double)) };
	struct rng r;

	for (size_t i = 0; i < n; i++) {
		float *x = d.X + i * NF;
		double z;

		rng_init(&r, seed, RNG_TEST, first + i, 0);
		for (int j = 0; j < NF; j++)
			x[j] = (float)(2 * rng_uniform(&r) - 1);
		z = 2.5 * x[0] - 1.5 * x[1] * x[2] + 0.8 * x[1];
		d.y[i] = rng_uniform(&r) < 1 / (1 + exp(-z));
	}
	return d;
}

static struct forest_params small_params(uint32_t trees)
{
	struct forest_params p = forest_params_defaults();
	p.n_trees = trees;
	p.seed = 42;
	return p;
}

static double heldout_auc(const struct forest *f, const struct dataset *t)
{
	double *pred = xmalloc(t->n * sizeof(*pred)), auc;

	ck_assert_int_eq(forest_predict_batch(f, t->X, t->n, t->nf, pred), 0);
	auc = forest_score_auc(pred, t->y, NULL, t->n);
	free(pred);
	return auc;
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *p;
	long len;

	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	p = xmalloc((size_t)len + 1);
	ck_assert_uint_eq(fread(p, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	*n = (size_t)len;
	return p;
}

static void spit(const char *path, const unsigned char *p, size_t n)
{
	FILE *fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(p, 1, n, fp), n);
	fclose(fp);
}

/* Noiseless XOR: the Bayes AUC is 1, and unlimited-depth trees carve the
 * four quadrants; only rows within a bin-width of a boundary can be
 * mis-ranked, a few percent of 1,000 held-out rows at most, so AUC > 0.99. */
START_TEST(learns_xor)
{
	struct dataset tr = make_xor(1, 2000), te = make_xor(2, 1000);
	struct forest_params p = small_params(50);
	struct error err = { 0 };
	struct forest *f;

	p.mtry = 2;
	f = forest_train(&p, tr.X, tr.n, tr.nf, tr.y, NULL, 2, NULL, &err);
	ck_assert_msg(f != NULL, "%s", err.msg);
	ck_assert_double_gt(heldout_auc(f, &te), 0.99);
	forest_free(f);
	/* Entropy and the exact-search path learn it too. */
	p.criterion = FOREST_ENTROPY;
	p.exact_below = 1u << 30;
	f = forest_train(&p, tr.X, tr.n, tr.nf, tr.y, NULL, 1, NULL, &err);
	ck_assert_msg(f != NULL, "%s", err.msg);
	ck_assert_double_gt(heldout_auc(f, &te), 0.99);
	forest_free(f);
	dataset_release(&tr);
	dataset_release(&te);
}
END_TEST

/* The same seed gives the same model for 1, 2 and 3 threads: identical
 * predictions, OOB report, permutation importance and saved bytes. */
START_TEST(thread_count_invariance)
{
	struct dataset tr = make_logistic(3, 0, 1500), te = make_logistic(3, 1500, 500);
	struct forest_params p = small_params(23);
	struct forest_train_report rep[3];
	unsigned char *bytes[3];
	size_t len[3];
	double *pred[3];
	struct error err = { 0 };

	tmpdir_setup();
	p.permutation_importance = 1;
	p.max_leaves = 40;
	for (size_t i = 0; i < tr.n; i += 7)
		tr.X[i * NF + 1] = NAN;
	for (int k = 0; k < 3; k++) {
		struct forest *f = forest_train(&p, tr.X, tr.n, tr.nf, tr.y, NULL, k + 1, &rep[k],
						&err);
		char *path = tmpdir_path("m.bin");

		ck_assert_msg(f != NULL, "%s", err.msg);
		pred[k] = xmalloc(te.n * sizeof(double));
		forest_predict_batch(f, te.X, te.n, te.nf, pred[k]);
		ck_assert_int_eq(forest_save(f, path, &err), 0);
		bytes[k] = slurp(path, &len[k]);
		remove(path);
		free(path);
		forest_free(f);
	}
	for (int k = 1; k < 3; k++) {
		ck_assert_uint_eq(len[k], len[0]);
		ck_assert(memcmp(bytes[k], bytes[0], len[0]) == 0);
		ck_assert(memcmp(pred[k], pred[0], te.n * sizeof(double)) == 0);
		ck_assert(rep[k].oob_score == rep[0].oob_score);
		ck_assert(memcmp(rep[k].permutation_importance, rep[0].permutation_importance,
				 NF * sizeof(double)) == 0);
	}
	for (int k = 0; k < 3; k++) {
		free(bytes[k]);
		free(pred[k]);
		forest_train_report_release(&rep[k]);
	}
	tmpdir_teardown();
	dataset_release(&tr);
	dataset_release(&te);
}
END_TEST

START_TEST(save_load_bit_exact)
{
	struct dataset tr = make_logistic(4, 0, 1000), te = make_logistic(4, 1000, 400);
	struct forest_params p = small_params(15);
	struct error err = { 0 };
	struct forest *f, *g;
	double *a = xmalloc(te.n * sizeof(double)), *b = xmalloc(te.n * sizeof(double));
	char *path, *path2;
	unsigned char *b1, *b2;
	size_t n1, n2;
	const char *names[NF] = { "alpha", "beta", "gamma", "delta" };

	tmpdir_setup();
	path = tmpdir_path("m.bin");
	path2 = tmpdir_path("m2.bin");
	p.max_depth = 9;
	f = forest_train(&p, tr.X, tr.n, tr.nf, tr.y, names, 2, NULL, &err);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(forest_save(f, path, &err), 0);
	g = forest_load(path, &err);
	ck_assert_msg(g != NULL, "%s", err.msg);
	forest_predict_batch(f, te.X, te.n, te.nf, a);
	forest_predict_batch(g, te.X, te.n, te.nf, b);
	ck_assert(memcmp(a, b, te.n * sizeof(double)) == 0);
	ck_assert_uint_eq(forest_n_nodes(g), forest_n_nodes(f));
	ck_assert_uint_le(forest_max_depth(g), 9);
	ck_assert_str_eq(forest_feature_name(g, 2), "gamma");
	ck_assert_int_eq(forest_feature_index(g, "delta"), 3);
	ck_assert(forest_oob_score(g) == forest_oob_score(f));
	ck_assert(forest_importance(g, 0) == forest_importance(f, 0));
	ck_assert_uint_eq(forest_params(g)->seed, 42);
	ck_assert_uint_eq(forest_params(g)->max_depth, 9);
	ck_assert_uint_eq(forest_params(g)->n_trees, 15);
	ck_assert_uint_eq(forest_params(g)->criterion, forest_params(f)->criterion);
	ck_assert_int_eq(forest_save(g, path2, &err), 0);
	b1 = slurp(path, &n1);
	b2 = slurp(path2, &n2);
	ck_assert_uint_eq(n1, n2);
	ck_assert(memcmp(b1, b2, n1) == 0);
	/* A stride wider than the features is fine; narrower is refused. */
	ck_assert_int_eq(forest_predict_batch(f, te.X, te.n / 2, 2 * NF, a), 0);
	ck_assert_int_eq(forest_predict_batch(f, te.X, te.n, NF - 1, a), ERR_INPUT);
	free(b1), free(b2);
	remove(path), remove(path2);
	free(path), free(path2);
	tmpdir_teardown();
	forest_free(f), forest_free(g);
	free(a), free(b);
	dataset_release(&tr);
	dataset_release(&te);
}
END_TEST

/* OOB AUC estimates the AUC on new data from the same distribution.  With
 * 3,000 rows each and AUC around 0.8, the Hanley-McNeil standard error of
 * each estimate is about 0.008; the two are nearly independent, so their
 * difference has SE ~0.012.  OOB predictions average only ~37% of the trees,
 * which biases OOB AUC down by about 0.01 at 60 trees.  |diff| < 0.05 is
 * > 3 SE beyond that bias. */
START_TEST(oob_auc_close_to_heldout)
{
	struct dataset tr = make_logistic(5, 0, 3000), te = make_logistic(5, 3000, 3000);
	struct forest_params p = small_params(60);
	struct forest_train_report rep;
	struct error err = { 0 };
	struct forest *f;
	double held;

	p.min_leaf = 5;
	f = forest_train(&p, tr.X, tr.n, tr.nf, tr.y, NULL, 2, &rep, &err);
	ck_assert_ptr_nonnull(f);
	held = heldout_auc(f, &te);
	ck_assert_uint_gt(rep.n_oob, tr.n * 99 / 100);   /* (1-0.37)^60 misses none */
	ck_assert_double_lt(fabs(rep.oob_score - held), 0.05);
	ck_assert(forest_oob_score(f) == rep.oob_score);
	forest_train_report_release(&rep);
	forest_free(f);
	dataset_release(&tr);
	dataset_release(&te);
}
END_TEST

/* x0 carries most of the signal and x3 none: permuting x0 must cost more
 * OOB AUC than permuting x3 (whose expected drop is 0), and the impurity
 * importance must rank x0 first too. */
START_TEST(importance_ranks_informative_above_noise)
{
	struct dataset tr = make_logistic(6, 0, 2000), te = make_logistic(6, 2000, 1000);
	struct forest_params p = small_params(40);
	struct forest_train_report rep;
	struct error err = { 0 };
	struct forest *f;
	double held[NF], sum = 0;

	p.permutation_importance = 1;
	p.min_leaf = 3;
	f = forest_train(&p, tr.X, tr.n, tr.nf, tr.y, NULL, 2, &rep, &err);
	ck_assert_ptr_nonnull(f);
	ck_assert_double_gt(rep.permutation_importance[0], rep.permutation_importance[3] + 0.05);
	ck_assert_double_lt(fabs(rep.permutation_importance[3]), 0.02);
	for (int j = 0; j < NF; j++)
		sum += forest_importance(f, j);
	ck_assert_double_lt(fabs(sum - 1), 1e-9);
	for (int j = 1; j < NF; j++)
		ck_assert_double_gt(forest_importance(f, 0), forest_importance(f, j));
	/* The same ranking on held-out data. */
	ck_assert_int_eq(forest_train_permutation_importance(f, te.X, te.n, NF, te.y, 1, held,
							     &err), 0);
	ck_assert_double_gt(held[0], held[3] + 0.05);
	forest_train_report_release(&rep);
	forest_free(f);
	dataset_release(&tr);
	dataset_release(&te);
}
END_TEST

/* Informative missingness: x0 is NaN in a third of the rows and those rows
 * are all positive; elsewhere y = [x0 > 0.5].  The split on x0 must learn to
 * send NaN to the positive side.  A node that never saw NaN sends it to its
 * heavier child, so any row with NaN still gets a probability. */
START_TEST(missing_values_learn_a_direction)
{
	enum { N = 1500 };
	struct dataset d = make_xor(7, N);
	struct forest_params p = small_params(30);
	struct error err = { 0 };
	struct forest *f;
	float row[NF] = { NAN, 0.3f, 0.3f, 0.3f }, row2[NF] = { 0.2f, NAN, NAN, NAN };
	double out[2];
	float rows[2 * NF];

	for (size_t i = 0; i < N; i++) {
		if (i % 3 == 0) {
			d.X[i * NF] = NAN;
			d.y[i] = 1;
		} else {
			d.y[i] = d.X[i * NF] > 0.5f;
		}
	}
	p.mtry = NF;
	f = forest_train(&p, d.X, N, NF, d.y, NULL, 2, NULL, &err);
	ck_assert_ptr_nonnull(f);
	memcpy(rows, row, sizeof(row));
	memcpy(rows + NF, row2, sizeof(row2));
	forest_predict_batch(f, rows, 2, NF, out);
	ck_assert_double_gt(out[0], 0.9);
	ck_assert_double_lt(out[1], 0.1);
	/* A NaN-free row scores the same alone (fast path) as in a block
	 * holding a NaN, and as the mean of its trees. */
	{
		float clean[2 * NF] = { 0.7f, 0.2f, 0.4f, 0.9f, NAN, 0.1f, 0.1f, 0.1f };
		double both[2], alone, sum = 0;

		forest_predict_batch(f, clean, 2, NF, both);
		forest_predict_batch(f, clean, 1, NF, &alone);
		for (size_t t = 0; t < forest_n_trees(f); t++)
			sum += forest_predict_tree(f, t, clean);
		ck_assert(both[0] == alone);
		ck_assert(alone == sum / (double)forest_n_trees(f));
	}
	forest_free(f);
	dataset_release(&d);
}
END_TEST

/* y = 2 sin(3 x0) + x1 on x ~ U(-1,1), no noise: Var(y) ~ 2.3 while a
 * 50-tree forest with 2,000 rows approximates the smooth surface to an RMSE
 * of ~0.15 (bias of piecewise-constant leaves ~ slope x leaf width), so
 * held-out R^2 > 0.95 leaves a wide margin. */
START_TEST(regression_on_known_function)
{
	struct dataset tr = make_logistic(8, 0, 2000), te = make_logistic(8, 2000, 1000);
	struct forest_params p = small_params(50);
	struct forest_train_report rep;
	struct error err = { 0 };
	struct forest *f;
	double *pred = xmalloc(te.n * sizeof(double));
	struct dataset *sets[2] = { &tr, &te };

	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < sets[s]->n; i++) {
			const float *x = sets[s]->X + i * NF;
			sets[s]->y[i] = 2 * sin(3 * x[0]) + x[1];
		}
	p.task = FOREST_REGRESS;
	p.criterion = FOREST_MSE;
	p.mtry = 2;
	f = forest_train(&p, tr.X, tr.n, tr.nf, tr.y, NULL, 2, &rep, &err);
	ck_assert_msg(f != NULL, "%s", err.msg);
	forest_predict_batch(f, te.X, te.n, NF, pred);
	ck_assert_double_gt(forest_score_r2(pred, te.y, NULL, te.n), 0.95);
	ck_assert_double_gt(rep.oob_score, 0.9);
	forest_train_report_release(&rep);
	forest_free(f);
	free(pred);
	dataset_release(&tr);
	dataset_release(&te);
}
END_TEST

static int count_leaves(const struct forest_node *t, size_t n)
{
	int leaves = 0;
	for (size_t i = 0; i < n; i++)
		leaves += (t[i].flags & FOREST_LEAF) != 0;
	return leaves;
}

/* Growth limits hold in every tree: depth, leaves (best-first) and the
 * per-leaf minimum of distinct in-bag rows (checked on a no-bootstrap
 * forest, where the training rows reaching each leaf are exactly its rows). */
START_TEST(growth_limits_hold)
{
	struct dataset tr = make_logistic(9, 0, 1200);
	struct forest_params p = small_params(10);
	struct error err = { 0 };
	struct forest *f;

	p.max_leaves = 17;
	f = forest_train(&p, tr.X, tr.n, tr.nf, tr.y, NULL, 2, NULL, &err);
	ck_assert_ptr_nonnull(f);
	for (size_t t = 0; t < forest_n_trees(f); t++) {
		size_t n;
		const struct forest_node *nodes = forest_tree(f, t, &n);
		ck_assert_int_eq(count_leaves(nodes, n), 17);
	}
	forest_free(f);

	p.max_leaves = 0;
	p.max_depth = 4;
	p.bootstrap = 0;
	p.min_leaf = 25;
	f = forest_train(&p, tr.X, tr.n, tr.nf, tr.y, NULL, 1, NULL, &err);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_le(forest_max_depth(f), 4);
	for (size_t t = 0; t < forest_n_trees(f); t++) {
		size_t n;
		const struct forest_node *nodes = forest_tree(f, t, &n);
		int *hits = xcalloc(n, sizeof(int));

		for (size_t i = 0; i < tr.n; i++) {
			uint32_t k = 0;
			while (!(nodes[k].flags & FOREST_LEAF)) {
				float x = tr.X[i * NF + nodes[k].feature];
				int left = x <= nodes[k].threshold ||
					   (isnan(x) && (nodes[k].flags & FOREST_MISSING_LEFT));
				k = nodes[k].left + (left ? 0 : 1);
			}
			hits[k]++;
		}
		for (size_t k = 0; k < n; k++)
			if (nodes[k].flags & FOREST_LEAF)
				ck_assert_int_ge(hits[k], 25);
		free(hits);
	}
	forest_free(f);
	dataset_release(&tr);
}
END_TEST

START_TEST(bad_arguments_are_input_errors)
{
	struct dataset tr = make_xor(10, 100);
	struct forest_params p = small_params(5);
	struct error err = { 0 };

	p.mtry = NF + 1;
	ck_assert_ptr_null(forest_train(&p, tr.X, tr.n, NF, tr.y, NULL, 1, NULL, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "mtry 5 exceeds the 4 features") != NULL, "%s", err.msg);
	p.mtry = 0;
	tr.y[41] = 2;
	ck_assert_ptr_null(forest_train(&p, tr.X, tr.n, NF, tr.y, NULL, 1, NULL, &err));
	ck_assert_msg(strstr(err.msg, "label of row 42 is 2") != NULL, "%s", err.msg);
	tr.y[41] = 1;
	p.criterion = FOREST_MSE;
	ck_assert_ptr_null(forest_train(&p, tr.X, tr.n, NF, tr.y, NULL, 1, NULL, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	p.criterion = FOREST_GINI;
	p.n_bins = 1;
	ck_assert_ptr_null(forest_train(&p, tr.X, tr.n, NF, tr.y, NULL, 1, NULL, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	dataset_release(&tr);
}
END_TEST

/* Every truncation, a flipped byte anywhere, a foreign file, another
 * version and a missing file are clean errors, never a crash. */
START_TEST(corrupt_model_files_are_refused)
{
	struct dataset tr = make_xor(11, 300);
	struct forest_params p = small_params(3);
	struct error err = { 0 };
	struct forest *f;
	char *path, *bad;
	unsigned char *b;
	size_t n;

	tmpdir_setup();
	path = tmpdir_path("m.bin");
	bad = tmpdir_path("bad.bin");
	p.max_depth = 3;
	f = forest_train(&p, tr.X, tr.n, NF, tr.y, NULL, 1, NULL, &err);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(forest_save(f, path, &err), 0);
	forest_free(f);
	b = slurp(path, &n);
	for (size_t len = 0; len < n; len++) {
		spit(bad, b, len);
		ck_assert_ptr_null(forest_load(bad, &err));
		ck_assert_int_eq(err.code, ERR_CORRUPT);
	}
	spit(bad, b, 5);
	forest_load(bad, &err);
	ck_assert_msg(strstr(err.msg, "not an airtime forest model") != NULL, "%s", err.msg);
	spit(bad, b, n - 3);
	forest_load(bad, &err);
	ck_assert_msg(strstr(err.msg, "truncated") != NULL, "%s", err.msg);
	for (size_t k = 12; k < n; k += 3) {
		b[k] ^= 0x10;
		spit(bad, b, n);
		ck_assert_ptr_null(forest_load(bad, &err));
		/* an impossible header field is bad input (named), the rest corrupt */
		ck_assert_msg(err.code == ERR_CORRUPT ||
			      (err.code == ERR_INPUT && strstr(err.msg, "field '")), "%s", err.msg);
		b[k] ^= 0x10;
	}
	b[n / 2] ^= 1;
	spit(bad, b, n);
	forest_load(bad, &err);
	ck_assert_msg(strstr(err.msg, "checksum mismatch") != NULL, "%s", err.msg);
	b[n / 2] ^= 1;
	b[8] = 9;
	spit(bad, b, n);
	forest_load(bad, &err);
	ck_assert_msg(strstr(err.msg, "unsupported model format version 9") != NULL, "%s",
		      err.msg);
	spit(bad, (const unsigned char *)"label,x\n1,2\n", 12);
	forest_load(bad, &err);
	ck_assert_msg(strstr(err.msg, "bad magic") != NULL, "%s", err.msg);
	remove(bad);
	ck_assert_ptr_null(forest_load(bad, &err));
	ck_assert_int_eq(err.code, ERR_IO);
	remove(path);
	free(b), free(path), free(bad);
	tmpdir_teardown();
	dataset_release(&tr);
}
END_TEST

/* ---- batch inference against the plain walk on random trees ---- */

/* Values thresholds and features are drawn from, so that x == threshold,
 * signed zeros and infinities all occur. */
static const float grid[] = { -1.0f, -0.5f, -0.0f, 0.0f, 0.25f, 0.5f, 1.0f };

/* Whether grow() draws split points at -INF (with NaN going left or right:
 * the vector layouts must rank -INF itself below every other value). */
static int neg_inf_splits = 1;

/* Grow a random tree below node i: internal with probability 0.85 until
 * max_depth; random feature, grid threshold, random missing direction. */
static void grow(struct forest_node *nd, uint32_t *n, uint32_t i, unsigned depth,
		 unsigned max_depth, size_t nf, struct rng *r)
{
	if (depth == max_depth || rng_uniform(r) < 0.15) {
		nd[i] = (struct forest_node){ .threshold = INFINITY, .left = i, .feature = 0,
					      .flags = FOREST_LEAF | FOREST_MISSING_LEFT,
					      .value = (float)rng_uniform(r) };
		return;
	}
	nd[i] = (struct forest_node){ .threshold = grid[rng_below(r, 7)], .left = *n,
				      .feature = (uint16_t)rng_below(r, nf),
				      .flags = rng_below(r, 2) ? FOREST_MISSING_LEFT : 0,
				      .value = (float)rng_uniform(r) };
	if (rng_below(r, 10) == 0)   /* occasional infinite split point */
		nd[i].threshold = rng_below(r, 2) || !neg_inf_splits ? INFINITY : -INFINITY;
	*n += 2;
	grow(nd, n, nd[i].left, depth + 1, max_depth, nf, r);
	grow(nd, n, nd[i].left + 1, depth + 1, max_depth, nf, r);
}

/* Build n_trees random trees (depths up to max_depth, some single leaves),
 * score n_rows random rows (NaN with probability nan_p) with a stride wider
 * than the feature count, and require forest_predict_batch to equal, bit
 * for bit, the tree-order sum of forest_predict_tree divided by n_trees. */
static void check_batch_vs_walk(uint64_t seed, size_t nf, size_t n_trees, unsigned max_depth,
				size_t n_rows, double nan_p)
{
	struct forest_params p = forest_params_defaults();
	size_t cap = (size_t)2 << max_depth, stride = nf + 3;
	struct forest_node *nodes = xmalloc(n_trees * cap * sizeof(*nodes));
	uint32_t *sizes = xmalloc(n_trees * sizeof(*sizes));
	float *rows = xmalloc(n_rows * stride * sizeof(*rows));
	double *out = xmalloc(n_rows * sizeof(*out));
	struct error err = { 0 };
	struct forest *f;
	struct rng r;
	size_t total = 0;

	for (size_t t = 0; t < n_trees; t++) {
		uint32_t n = 1;

		rng_init(&r, seed, RNG_TEST, t, 0);
		grow(nodes + total, &n, 0, 0,
		     t % 5 == 4 || max_depth <= t % 3 ? 0 : max_depth - (unsigned)(t % 3), nf, &r);
		sizes[t] = n;
		total += n;
	}
	for (size_t i = 0; i < n_rows; i++) {
		rng_init(&r, seed, RNG_TEST, 1000000 + i, 0);
		for (size_t j = 0; j < stride; j++) {
			double u = rng_uniform(&r);

			rows[i * stride + j] = j >= nf ? NAN
					       : u < nan_p ? NAN
					       : u < nan_p + 0.05 ? (rng_below(&r, 2) ? INFINITY : -INFINITY)
					       : rng_below(&r, 2) ? grid[rng_below(&r, 7)]
					       : (float)(4 * rng_uniform(&r) - 2);
		}
	}
	/* Every kernel this CPU has (engine/forest_fast.h), and the node walk. */
	for (int path = FOREST_FAST_AVX512; path <= FOREST_FAST_NONE; path++) {
		enum forest_fast_path old = forest_fast_force((enum forest_fast_path)path);

		f = forest_assemble(&p, nf, NULL, n_trees, sizes, nodes, NULL, NAN, &err);
		forest_fast_force(old);
		ck_assert_msg(f, "%s", err.msg);
		ck_assert_int_eq(forest_predict_batch(f, rows, n_rows, stride, out), 0);
		for (size_t i = 0; i < n_rows; i++) {
			double want = 0;

			for (size_t t = 0; t < n_trees; t++)
				want += forest_predict_tree(f, t, rows + i * stride);
			want /= (double)n_trees;
			ck_assert_msg(memcmp(&want, &out[i], sizeof(want)) == 0,
				      "path %s nf %zu row %zu: batch %.17g, walk %.17g",
				      forest_fast_path_name((enum forest_fast_path)path), nf, i,
				      out[i], want);
		}
		forest_free(f);
	}
	free(nodes), free(sizes), free(rows), free(out);
}

/* Feature counts on both sides of the 16- and 32-feature limits of the
 * vector layout (engine/forest_fast.h), tree counts not a multiple of its
 * group of 16 (29 = 16 + 8 + 4 + 1 takes every remainder path), row counts
 * across its row blocks, depths 12 and 15 (the deepest it takes) and 17
 * (left to the node walk). */
START_TEST(batch_matches_tree_walk)
{
	static const size_t nfs[] = { 1, 5, 16, 17, 32, 33 };

	for (size_t k = 0; k < sizeof(nfs) / sizeof(nfs[0]); k++) {
		check_batch_vs_walk(100 + k, nfs[k], 11, 12, 300, 0);
		check_batch_vs_walk(200 + k, nfs[k], 11, 12, 300, 0.1);
	}
	check_batch_vs_walk(300, 32, 6, 15, 40, 0.05);
	check_batch_vs_walk(301, 8, 3, 17, 20, 0.05);
	check_batch_vs_walk(302, 8, 1, 1, 5, 0.3);
	check_batch_vs_walk(303, 20, 29, 7, 130, 0.05);
	neg_inf_splits = 0;
	for (size_t k = 0; k < sizeof(nfs) / sizeof(nfs[0]); k++)
		check_batch_vs_walk(400 + k, nfs[k], 29, 12, 300, 0.3);
	check_batch_vs_walk(410, 32, 6, 15, 40, 0.5);
	neg_inf_splits = 1;
}
END_TEST

/* The vector walks' edges (engine/forest_fast.h): one row; row counts
 * around its group of 20 (AVX-512) and 8 (AVX2) rows and its 1,024-row
 * block, with and without a NaN (a block without walks 32-byte rows);
 * depth 16 (four chunk levels, the deepest it takes); shallow forests
 * (one chunk level, and every tree a single leaf: no chunks); one tree.
 * NaN, +-INF and signed zeros as in check_batch_vs_walk. */
START_TEST(batch_matches_tree_walk_at_the_edges)
{
	static const size_t rows[] = { 1, 7, 19, 20, 21, 41, 1023, 1024, 1025, 2100 };

	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		check_batch_vs_walk(500 + k, 32, 7, 12, rows[k], 0.1);
		check_batch_vs_walk(550 + k, 32, 7, 12, rows[k], 0);   /* 32-byte rows */
	}
	/* a NaN in some 1,024-row blocks and not in others */
	check_batch_vs_walk(541, 17, 5, 12, 3100, 0.00003);
	check_batch_vs_walk(520, 32, 4, 16, 300, 0.1);
	check_batch_vs_walk(521, 9, 3, 16, 21, 0.3);
	for (unsigned d = 0; d <= 5; d++)
		check_batch_vs_walk(530 + d, 12, 5, d, 45, 0.1);
	check_batch_vs_walk(540, 32, 1, 12, 61, 0.05);
}
END_TEST

/* A model header as forest.c lays it out: magic, version, 11 u32
 * parameters (n_trees the third), the seed, then n_features, n_trees,
 * n_nodes and the OOB score; `pad` zero bytes after it. */
static size_t hostile_header(unsigned char *b, uint32_t nf, uint32_t nt, uint64_t nn, size_t pad)
{
	size_t k = 0;

	memcpy(b, "ATFOREST", 8);
	k = 8;
#define PUT32(v) do { uint32_t v_ = (v); for (int i_ = 0; i_ < 4; i_++) b[k++] = (unsigned char)(v_ >> (8 * i_)); } while (0)
#define PUT64(v) do { uint64_t v_ = (v); for (int i_ = 0; i_ < 8; i_++) b[k++] = (unsigned char)(v_ >> (8 * i_)); } while (0)
	PUT32(1);
	for (int i = 0; i < 11; i++)
		PUT32(i == 2 ? nt : 0);
	PUT64(7);
	PUT32(nf);
	PUT32(nt);
	PUT64(nn);
	PUT64(0);
#undef PUT32
#undef PUT64
	memset(b + k, 0, pad);
	return k + pad;
}

/* Issue 18: a 101-byte model whose header claims 2^32 - 1 trees made
 * every reader allocate 16 GiB and abort; 2^27 trees took 28 s and 530 MB
 * before "truncated".  Both are refused at once, naming the field, with
 * nothing allocated for the claimed counts (under ASan a 16 GiB
 * allocation fails the test by itself). */
START_TEST(hostile_model_headers_are_refused_before_allocating)
{
	unsigned char b[256];
	struct error err = { 0 };
	char *bad;
	size_t n;

	tmpdir_setup();
	bad = tmpdir_path("hostile.forest");
	n = hostile_header(b, 3, UINT32_MAX, UINT32_MAX, 101 - 88);
	ck_assert_uint_eq(n, 101);
	spit(bad, b, n);
	ck_assert_ptr_null(forest_load(bad, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "hostile.forest") && strstr(err.msg, "field 'n_trees'"),
		      "%s", err.msg);
	n = hostile_header(b, 3, 1u << 27, 1u << 27, 13);
	spit(bad, b, n);
	ck_assert_ptr_null(forest_load(bad, &err));
	ck_assert_msg(err.code == ERR_INPUT && strstr(err.msg, "field 'n_trees' is 134217728"),
		      "%s", err.msg);
	n = hostile_header(b, 3, 1u << 19, 1u << 19, 13);
	spit(bad, b, n);
	ck_assert_ptr_null(forest_load(bad, &err));
	ck_assert_int_eq(err.code, ERR_CORRUPT);
	ck_assert_msg(strstr(err.msg, "truncated") && strstr(err.msg, "524288 trees"), "%s",
		      err.msg);
	n = hostile_header(b, 65535, 1, 1, 13);
	spit(bad, b, n);
	ck_assert_ptr_null(forest_load(bad, &err));
	ck_assert_msg(strstr(err.msg, "truncated"), "%s", err.msg);
	n = hostile_header(b, 0, 1, 1, 13);
	spit(bad, b, n);
	ck_assert_ptr_null(forest_load(bad, &err));
	ck_assert_msg(err.code == ERR_INPUT && strstr(err.msg, "field 'n_features'"), "%s", err.msg);
	n = hostile_header(b, 3, 2, 1, 13);
	spit(bad, b, n);
	ck_assert_ptr_null(forest_load(bad, &err));
	ck_assert_msg(err.code == ERR_INPUT && strstr(err.msg, "field 'n_nodes'"), "%s", err.msg);
	free(bad);
	tmpdir_teardown();
}
END_TEST

/* The ranked layout holds at most 255 distinct thresholds per feature
 * (engine/forest_fast.h): a complete depth-8 tree with 255 distinct splits
 * on feature 0 (in order, so rows reach every leaf) fits; one more
 * threshold in a second tree does not, and the forest then walks its
 * nodes.  Either way every row, on each threshold, between two, at +-INF,
 * -0.0 or NaN, scores as the plain walk does. */
static uint32_t build_bst(struct forest_node *nd, uint32_t *n, uint32_t i, int lo, int hi,
			  unsigned depth)
{
	int mid = (lo + hi) / 2;

	if (depth == 8) {
		nd[i] = (struct forest_node){ .threshold = INFINITY, .left = i,
					      .flags = FOREST_LEAF | FOREST_MISSING_LEFT,
					      .value = (float)lo / 256.0f };
		return i;
	}
	nd[i] = (struct forest_node){ .threshold = (float)mid * 0.5f - 64.0f, .left = *n,
				      .feature = 0, .flags = mid % 2 ? FOREST_MISSING_LEFT : 0,
				      .value = 0.5f };
	*n += 2;
	build_bst(nd, n, nd[i].left, lo, mid, depth + 1);
	build_bst(nd, n, nd[i].left + 1, mid + 1, hi, depth + 1);
	return i;
}

START_TEST(threshold_ranks_at_their_limits)
{
	struct forest_params p = forest_params_defaults();
	struct forest_node nodes[520];
	uint32_t sizes[2], n = 1;
	float rows[600 * 2];
	size_t n_rows = 0;
	struct error err = { 0 };

	build_bst(nodes, &n, 0, 0, 255, 0);
	ck_assert_uint_eq(n, 511);
	sizes[0] = n;
	/* a second tree: one split at a 256th value, or at one already used */
	nodes[n] = (struct forest_node){ .threshold = 100.0f, .left = 1, .feature = 0 };
	nodes[n + 1] = (struct forest_node){ .threshold = INFINITY, .left = 1,
					     .flags = FOREST_LEAF | FOREST_MISSING_LEFT, .value = 0.25f };
	nodes[n + 2] = (struct forest_node){ .threshold = INFINITY, .left = 2,
					     .flags = FOREST_LEAF | FOREST_MISSING_LEFT, .value = 0.75f };
	sizes[1] = 3;
	for (int k = -1; k <= 256; k++) {
		float t = (float)k * 0.5f - 64.0f;

		rows[2 * n_rows++] = t;
		rows[2 * n_rows++] = t + 0.25f;
	}
	rows[2 * n_rows++] = INFINITY;
	rows[2 * n_rows++] = -INFINITY;
	rows[2 * n_rows++] = -0.0f;
	rows[2 * n_rows++] = 0.0f;
	rows[2 * n_rows++] = NAN;
	rows[2 * n_rows++] = 100.0f;
	for (size_t i = 0; i < n_rows; i++)
		rows[2 * i + 1] = (float)i;
	for (int fits = 1; fits >= 0; fits--) {
		struct forest *f;
		double out[600];

		nodes[n].threshold = fits ? 0.0f : 100.0f;   /* 0.0 is mid 128's */
		f = forest_assemble(&p, 2, NULL, 2, sizes, nodes, NULL, NAN, &err);
		ck_assert_msg(f, "%s", err.msg);
		if (fits) {
			/* a kernel on this CPU takes a one-split forest; then this too */
			struct forest *probe = forest_assemble(&p, 2, NULL, 1, &sizes[1], nodes + n,
							       NULL, NAN, &err);

			ck_assert_msg(probe, "%s", err.msg);
			if (strcmp(forest_inference_path(probe), "node walk"))
				ck_assert_str_ne(forest_inference_path(f), "node walk");
			forest_free(probe);
		} else {
			ck_assert_str_eq(forest_inference_path(f), "node walk");
		}
		ck_assert_int_eq(forest_predict_batch(f, rows, n_rows, 2, out), 0);
		for (size_t i = 0; i < n_rows; i++) {
			double want = (forest_predict_tree(f, 0, rows + 2 * i) +
				       forest_predict_tree(f, 1, rows + 2 * i)) / 2;

			ck_assert_msg(memcmp(&want, &out[i], sizeof(want)) == 0,
				      "fits %d row %zu (x = %g): batch %.17g, walk %.17g", fits, i,
				      (double)rows[2 * i], out[i], want);
		}
		forest_free(f);
	}
}
END_TEST

/* The AVX-512 path ranks a column of 16 rows at a time by a binary
 * search over each feature's sorted thresholds, rows transposed in and
 * out of registers (engine/forest_fast.c): every feature of 32 with its
 * own 255 thresholds (one depth-8 tree each, plus a depth-12 tree over all
 * of them so the walk goes past the root chunk), rows on each threshold
 * and between two, +-INF, signed zeros and NaN on every feature, row
 * counts around the 16-row columns and the 128-row passes, a stride
 * wider than the features; without NaN and with: each path scores as the
 * plain walk does, bit for bit. */
START_TEST(column_ranks_on_every_feature)
{
	enum { NFC = 32, STRIDE = NFC + 3, BST = 511, DEEP = 8191, MAXR = 300 };
	static const size_t counts[] = { 1, 15, 16, 17, 127, 128, 129, MAXR };
	struct forest_params p = forest_params_defaults();
	struct forest_node *nodes = xcalloc(NFC * BST + DEEP, sizeof(*nodes));
	uint32_t sizes[NFC + 1];
	float *rows = xmalloc(MAXR * STRIDE * sizeof(*rows));
	double out[MAXR];
	struct error err = { 0 };
	struct rng r;

	for (uint32_t j = 0; j < NFC; j++) {
		struct forest_node *nd = nodes + (size_t)j * BST;
		uint32_t n = 1;

		build_bst(nd, &n, 0, 0, 255, 0);
		ck_assert_uint_eq(n, BST);
		for (uint32_t i = 0; i < n; i++)
			if (!(nd[i].flags & FOREST_LEAF)) {
				nd[i].feature = (uint16_t)j;
				nd[i].threshold += (float)j * 0.125f;
			}
		sizes[j] = n;
	}
	/* a complete depth-12 tree on the same thresholds, features mixed */
	{
		struct forest_node *nd = nodes + (size_t)NFC * BST;

		for (uint32_t i = 0; i < DEEP; i++) {
			uint32_t j = (i * 7 + 3) % NFC;

			if (i >= DEEP / 2)
				nd[i] = (struct forest_node){ .threshold = INFINITY, .left = i,
							      .flags = FOREST_LEAF | FOREST_MISSING_LEFT,
							      .value = (float)i / 8192.0f };
			else
				nd[i] = (struct forest_node){
					/* one of feature j's 255 (build_bst's mids) */
					.threshold = (float)(i % 255) * 0.5f - 64.0f + (float)j * 0.125f,
					.left = 2 * i + 1, .feature = (uint16_t)j,
					.flags = i % 3 ? FOREST_MISSING_LEFT : 0, .value = 0.5f };
		}
		sizes[NFC] = DEEP;
	}
	for (int nan = 0; nan <= 1; nan++) {
		rng_init(&r, 77, RNG_TEST, (uint64_t)nan, 0);
		for (size_t i = 0; i < MAXR; i++)
			for (size_t j = 0; j < STRIDE; j++) {
				uint32_t k = (uint32_t)rng_below(&r, 260);
				float t = (float)k * 0.5f - 64.5f + (float)j * 0.125f;

				rows[i * STRIDE + j] =
					j >= NFC ? NAN
					: k == 257 ? INFINITY
					: k == 258 ? -INFINITY
					: k == 259 ? (rng_below(&r, 2) ? -0.0f : 0.0f)
					: rng_below(&r, 2) ? t : t + 0.25f;
				if (nan && rng_below(&r, 40) == 0 && j < NFC)
					rows[i * STRIDE + j] = NAN;
			}
		for (int path = FOREST_FAST_AVX512; path <= FOREST_FAST_NONE; path++) {
			enum forest_fast_path old = forest_fast_force((enum forest_fast_path)path);
			struct forest *f = forest_assemble(&p, NFC, NULL, NFC + 1, sizes, nodes, NULL, NAN,
							   &err);

			struct forest *probe;

			ck_assert_msg(f, "%s", err.msg);
			/* a kernel this CPU has takes one of the small trees; then all */
			probe = forest_assemble(&p, NFC, NULL, 1, sizes, nodes, NULL, NAN, &err);
			forest_fast_force(old);
			ck_assert_msg(probe, "%s", err.msg);
			ck_assert_str_eq(forest_inference_path(f), forest_inference_path(probe));
			forest_free(probe);
			for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
				ck_assert_int_eq(forest_predict_batch(f, rows, counts[c], STRIDE, out), 0);
				for (size_t i = 0; i < counts[c]; i++) {
					double want = 0;

					for (size_t t = 0; t <= NFC; t++)
						want += forest_predict_tree(f, t, rows + i * STRIDE);
					want /= (double)(NFC + 1);
					ck_assert_msg(memcmp(&want, &out[i], sizeof(want)) == 0,
						      "path %s nan %d rows %zu row %zu: batch %.17g, walk %.17g",
						      forest_inference_path(f), nan, counts[c], i, out[i], want);
				}
			}
			forest_free(f);
		}
	}
	free(nodes), free(rows);
}
END_TEST

/* Cut values come from the feature's values sorted stably: -0 and +0
 * compare equal, so the cut at zero is whichever sign the first zero row
 * (in row order) has, bit for bit (binning once used a stable merge sort,
 * now a stable radix sort; models must not change). */
START_TEST(signed_zero_cut_keeps_row_order)
{
	for (int neg_first = 0; neg_first < 2; neg_first++) {
		float first = neg_first ? -0.0f : 0.0f, second = neg_first ? 0.0f : -0.0f;
		float X[8] = { first, second, first, second, 1, 1, 1, 1 };
		double y[8] = { 0, 0, 0, 0, 1, 1, 1, 1 };
		struct forest_params p = small_params(1);
		struct error err = { 0 };
		const struct forest_node *nd;
		struct forest *f;
		size_t n_nodes;

		p.bootstrap = 0;
		p.mtry = 1;
		f = forest_train(&p, X, 8, 1, y, NULL, 1, NULL, &err);
		ck_assert_msg(f != NULL, "%s", err.msg);
		nd = forest_tree(f, 0, &n_nodes);
		ck_assert_uint_eq(n_nodes, 3);
		ck_assert(nd[0].threshold == 0);
		ck_assert_int_eq(!!signbit(nd[0].threshold), neg_first);
		forest_free(f);
	}
}
END_TEST

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ull;
	return h;
}

/*
 * Training is pinned bit for bit: the simulation trains forests, so a
 * change to the trainer (a faster split search, binning, partition) must
 * leave every split, threshold, leaf value, importance and OOB figure as
 * they were.  Each case hashes the model file (its trailing FNV-1a
 * checksum covers every byte) and the report (OOB predictions, score,
 * permutation importance); the constants were produced by the trainer of
 * revision 400c794, before the split search visited touched bins only and
 * binning used a radix sort.  Data: NaN in x1, ties and signed zeros in x2
 * and x3, 3,000 rows.
 */
START_TEST(training_is_pinned)
{
	static const struct {
		uint32_t task, criterion, depth, min_leaf, leaves, bins, exact, perm;
		uint64_t model, report;
	} cases[] = {
		{ FOREST_CLASSIFY, FOREST_GINI, 0, 1, 0, 255, 0, 1,
		  0x001dbcb62d6b3b95ull, 0xe3ae85f65f363330ull },
		{ FOREST_CLASSIFY, FOREST_ENTROPY, 0, 3, 0, 255, 40, 0,
		  0x39f901c53bfb486eull, 0x7ef8b7b8240ed628ull },
		{ FOREST_CLASSIFY, FOREST_GINI, 9, 2, 30, 16, 0, 0,
		  0xdc62465117bd60ecull, 0x52e043689b13dff6ull },
		{ FOREST_REGRESS, FOREST_MSE, 0, 1, 0, 255, 0, 1,
		  0x5f819c08dfef7924ull, 0x4e786acc0c03a5fdull },
		{ FOREST_REGRESS, FOREST_MSE, 0, 2, 50, 64, 30, 0,
		  0x5a0cebb032ddac87ull, 0x6f092333a2c72d2full },
	};
	struct dataset d = make_logistic(5, 0, 3000);
	double *yr = xmalloc(d.n * sizeof(double));
	struct error err = { 0 };
	int bad = 0;

	tmpdir_setup();
	for (size_t i = 0; i < d.n; i++) {
		float *x = d.X + i * NF;

		yr[i] = 2 * x[0] - x[1] * x[2] + 0.1 * (double)(i % 5);
		if (i % 7 == 3)
			x[1] = NAN;
		x[2] = fabsf(x[2]) < 0.2f ? (i % 2 ? 0.0f : -0.0f) : x[2];
		x[3] = (float)(int)(x[3] * 8) / 8;
		if (x[3] == 0)
			x[3] = i % 3 ? -0.0f : 0.0f;
	}
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct forest_params p = small_params(12);
		struct forest_train_report rep;
		char *path = tmpdir_path("pin.bin");
		unsigned char *bytes;
		uint64_t model, report = 0xcbf29ce484222325ull;
		size_t len;
		struct forest *f;

		p.task = cases[c].task, p.criterion = cases[c].criterion;
		p.max_depth = cases[c].depth, p.min_leaf = cases[c].min_leaf;
		p.max_leaves = cases[c].leaves, p.n_bins = cases[c].bins;
		p.exact_below = cases[c].exact, p.permutation_importance = cases[c].perm;
		f = forest_train(&p, d.X, d.n, NF, p.task == FOREST_CLASSIFY ? d.y : yr, NULL,
				 (int)(c % 2) + 1, &rep, &err);
		ck_assert_msg(f != NULL, "%s", err.msg);
		ck_assert_int_eq(forest_save(f, path, &err), 0);
		bytes = slurp(path, &len);
		ck_assert_uint_ge(len, 8);
		memcpy(&model, bytes + len - 8, 8);
		report = fnv_bytes(report, &rep.oob_score, sizeof(double));
		report = fnv_bytes(report, rep.oob_pred, d.n * sizeof(double));
		if (rep.permutation_importance)
			report = fnv_bytes(report, rep.permutation_importance, NF * sizeof(double));
		if (model != cases[c].model || report != cases[c].report) {
			fprintf(stderr, "training_is_pinned case %zu: model 0x%016llxull, report "
				"0x%016llxull\n", c, (unsigned long long)model,
				(unsigned long long)report);
			bad = 1;
		}
		free(bytes);
		remove(path);
		free(path);
		forest_train_report_release(&rep);
		forest_free(f);
	}
	ck_assert_msg(!bad, "a trained forest or its report changed (see stderr)");
	free(yr);
	dataset_release(&d);
	tmpdir_teardown();
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, learns_xor);
	tcase_add_test(tc, thread_count_invariance);
	tcase_add_test(tc, save_load_bit_exact);
	tcase_add_test(tc, oob_auc_close_to_heldout);
	tcase_add_test(tc, importance_ranks_informative_above_noise);
	tcase_add_test(tc, missing_values_learn_a_direction);
	tcase_add_test(tc, regression_on_known_function);
	tcase_add_test(tc, growth_limits_hold);
	tcase_add_test(tc, bad_arguments_are_input_errors);
	tcase_add_test(tc, corrupt_model_files_are_refused);
	tcase_add_test(tc, hostile_model_headers_are_refused_before_allocating);
	tcase_add_test(tc, batch_matches_tree_walk);
	tcase_add_test(tc, batch_matches_tree_walk_at_the_edges);
	tcase_add_test(tc, threshold_ranks_at_their_limits);
	tcase_add_test(tc, column_ranks_on_every_feature);
	tcase_add_test(tc, signed_zero_cut_keeps_row_order);
	tcase_add_test(tc, training_is_pinned);
}

CHECK_MAIN("forest", add_tests, 60)
