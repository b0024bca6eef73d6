/* Researcher forest commands over CSV files; see forest_tool.h. */
#include "cli/forest_tool.h"

#include "common/csv.h"
#include "common/xalloc.h"
#include "engine/forest_score.h"
#include "engine/forest_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Labels from column `label`; ERR_INPUT if absent or a value is missing. */
static int read_labels(const struct csv *c, const char *path, const char *label, double **y,
		       long *col, struct error *err)
{
	long j = csv_col_index(c, label);
	size_t n = csv_n_rows(c);

	if (j < 0)
		return error_set(err, ERR_INPUT, "%s: no column named '%s' (the label)", path,
				 label);
	*y = xmalloc((n ? n : 1) * sizeof(**y));
	for (size_t i = 0; i < n; i++) {
		(*y)[i] = csv_value(c, i, (size_t)j);
		if (isnan((*y)[i])) {
			free(*y);
			*y = NULL;
			return error_set(err, ERR_INPUT, "%s: row %zu, column %ld ('%s'): missing label",
					 path, i + 1, j + 1, label);
		}
	}
	*col = j;
	return 0;
}

/* The model's features from the CSV, row-major float, stride = n features. */
static int model_rows(const struct forest *f, const struct csv *c, const char *path,
		      float **X, struct error *err)
{
	size_t nf = forest_n_features(f), n = csv_n_rows(c);
	size_t *map = xmalloc(nf * sizeof(*map));

	for (size_t k = 0; k < nf; k++) {
		long j = csv_col_index(c, forest_feature_name(f, k));
		if (j < 0) {
			free(map);
			return error_set(err, ERR_INPUT, "%s: no column named '%s' (a model feature)",
					 path, forest_feature_name(f, k));
		}
		map[k] = (size_t)j;
	}
	*X = xmalloc((n ? n : 1) * nf * sizeof(**X));
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < nf; k++)
			(*X)[i * nf + k] = (float)csv_value(c, i, map[k]);
	free(map);
	return 0;
}

int forest_tool_train(const struct forest_tool_train_opts *o, FILE *out, struct error *err)
{
	struct csv *c;
	struct forest *f;
	struct forest_train_report rep;
	const char **names;
	double *y = NULL;
	float *X;
	size_t n, nc, nf, k = 0;
	long lab;
	int rc = 0;

	c = csv_load(o->csv, err);
	if (!c)
		return err ? err->code : ERR_INPUT;
	if ((rc = read_labels(c, o->csv, o->label, &y, &lab, err)) < 0)
		goto out_csv;
	n = csv_n_rows(c);
	nc = csv_n_cols(c);
	nf = nc - 1;
	if (nf == 0) {
		rc = error_set(err, ERR_INPUT, "%s: no feature columns besides the label", o->csv);
		goto out_y;
	}
	names = xmalloc(nf * sizeof(*names));
	for (size_t j = 0; j < nc; j++)
		if ((long)j != lab)
			names[k++] = csv_col_name(c, j);
	X = xmalloc((n ? n : 1) * nf * sizeof(*X));
	for (size_t i = 0; i < n; i++) {
		const double *row = csv_row(c, i);
		k = 0;
		for (size_t j = 0; j < nc; j++)
			if ((long)j != lab)
				X[i * nf + k++] = (float)row[j];
	}
	f = forest_train(&o->params, X, n, nf, y, names, o->threads, &rep, err);
	if (!f) {
		rc = error_prefix(err, "%s: ", o->csv);
		goto out_x;
	}
	rc = forest_save(f, o->model, err);
	if (rc == 0) {
		fprintf(out, "trained %zu trees on %zu rows x %zu features from '%s'\n",
			forest_n_trees(f), n, nf, o->csv);
		fprintf(out, "nodes: %zu, deepest tree: %u\n", forest_n_nodes(f),
			forest_max_depth(f));
		if (o->params.task == FOREST_CLASSIFY)
			fprintf(out, "out-of-bag: %zu rows, AUC %.4f, log loss %.4f\n", rep.n_oob,
				rep.oob_score, rep.oob_loss);
		else
			fprintf(out, "out-of-bag: %zu rows, R^2 %.4f, MSE %.6g\n", rep.n_oob,
				rep.oob_score, rep.oob_loss);
		fprintf(out, "model written to '%s'\n", o->model);
	}
	forest_train_report_release(&rep);
	forest_free(f);
out_x:
	free(X);
	free(names);
out_y:
	free(y);
out_csv:
	csv_free(c);
	return rc;
}

/* Load model and CSV, predict every row. */
static int load_and_predict(const char *model, const char *csv, struct forest **f,
			    struct csv **c, float **X, double **pred, struct error *err)
{
	size_t n;

	*f = forest_load(model, err);
	if (!*f)
		return err ? err->code : ERR_CORRUPT;
	*c = csv_load(csv, err);
	if (!*c)
		goto out_model;
	if (model_rows(*f, *c, csv, X, err) < 0)
		goto out_csv;
	n = csv_n_rows(*c);
	*pred = xmalloc((n ? n : 1) * sizeof(**pred));
	forest_predict_batch(*f, *X, n, forest_n_features(*f), *pred);
	return 0;

out_csv:
	csv_free(*c);
	*c = NULL;
out_model:
	forest_free(*f);
	*f = NULL;
	return err ? err->code : ERR_INPUT;
}

int forest_tool_predict(const char *model, const char *csv, FILE *out, struct error *err)
{
	struct forest *f;
	struct csv *c;
	float *X;
	double *pred;
	int rc;

	if ((rc = load_and_predict(model, csv, &f, &c, &X, &pred, err)) < 0)
		return rc;
	for (size_t i = 0; i < csv_n_rows(c); i++)
		fprintf(out, "%.9g\n", pred[i]);
	free(pred);
	free(X);
	csv_free(c);
	forest_free(f);
	return 0;
}

int forest_tool_eval(const char *model, const char *csv, const char *label, FILE *out,
		     struct error *err)
{
	struct forest *f;
	struct csv *c;
	float *X;
	double *pred, *y = NULL;
	size_t n;
	long lab;
	int rc;

	if ((rc = load_and_predict(model, csv, &f, &c, &X, &pred, err)) < 0)
		return rc;
	if ((rc = read_labels(c, csv, label, &y, &lab, err)) < 0)
		goto out;
	n = csv_n_rows(c);
	fprintf(out, "rows: %zu\n", n);
	if (forest_params(f)->task == FOREST_CLASSIFY) {
		struct forest_score_bin bins[10];

		for (size_t i = 0; i < n; i++)
			if (y[i] != 0 && y[i] != 1) {
				rc = error_set(err, ERR_INPUT,
					       "%s: row %zu, column %ld ('%s'): label %g is not 0 or 1",
					       csv, i + 1, lab + 1, label, y[i]);
				goto out;
			}
		fprintf(out, "AUC: %.4f\n", forest_score_auc(pred, y, NULL, n));
		fprintf(out, "log loss: %.4f\n", forest_score_logloss(pred, y, n));
		fprintf(out, "Brier: %.4f\n", forest_score_mse(pred, y, NULL, n));
		fprintf(out, "\ncalibration by predicted-probability decile:\n");
		fprintf(out, "| bin | rows | mean predicted | observed rate |\n");
		fprintf(out, "| --- | ---: | ---: | ---: |\n");
		forest_score_calibration(pred, y, n, bins);
		for (int b = 0; b < 10; b++) {
			if (!bins[b].n)
				fprintf(out, "| [%.1f, %.1f%c | 0 | - | - |\n", bins[b].lo,
					bins[b].hi, b == 9 ? ']' : ')');
			else
				fprintf(out, "| [%.1f, %.1f%c | %zu | %.4f | %.4f |\n", bins[b].lo,
					bins[b].hi, b == 9 ? ']' : ')', bins[b].n,
					bins[b].mean_pred, bins[b].mean_label);
		}
	} else {
		fprintf(out, "RMSE: %.6g\n", sqrt(forest_score_mse(pred, y, NULL, n)));
		fprintf(out, "R^2: %.4f\n", forest_score_r2(pred, y, NULL, n));
	}
out:
	free(y);
	free(pred);
	free(X);
	csv_free(c);
	forest_free(f);
	return rc;
}

struct ranked {
	size_t j;
	double v;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *z = b;
	if (x->v != z->v)
		return x->v < z->v ? 1 : -1;
	return (x->j > z->j) - (x->j < z->j);
}

int forest_tool_importance(const char *model, const char *csv, const char *label, FILE *out,
			   struct error *err)
{
	struct forest *f = NULL;
	struct csv *c = NULL;
	struct ranked *r;
	float *X = NULL;
	double *pred = NULL, *y = NULL, *perm = NULL;
	size_t nf;
	long lab;
	int rc = 0;

	if ((csv == NULL) != (label == NULL))
		return error_set(err, ERR_INPUT,
				 "permutation importance needs both --csv and --label");
	if (csv) {
		if ((rc = load_and_predict(model, csv, &f, &c, &X, &pred, err)) < 0)
			return rc;
		if ((rc = read_labels(c, csv, label, &y, &lab, err)) < 0)
			goto out;
		nf = forest_n_features(f);
		perm = xmalloc(nf * sizeof(*perm));
		rc = forest_train_permutation_importance(f, X, csv_n_rows(c), nf, y,
							 forest_params(f)->seed, perm, err);
		if (rc < 0)
			goto out;
	} else {
		f = forest_load(model, err);
		if (!f)
			return err ? err->code : ERR_CORRUPT;
	}
	nf = forest_n_features(f);
	r = xmalloc(nf * sizeof(*r));
	for (size_t j = 0; j < nf; j++) {
		r[j].j = j;
		r[j].v = perm ? perm[j] : forest_importance(f, j);
	}
	qsort(r, nf, sizeof(*r), cmp_ranked);
	if (perm) {
		const char *metric = forest_params(f)->task == FOREST_CLASSIFY ? "AUC" : "R^2";
		fprintf(out, "| feature | permutation (drop in %s on '%s') | impurity (mean decrease) |\n",
			metric, csv);
		fprintf(out, "| --- | ---: | ---: |\n");
		for (size_t k = 0; k < nf; k++)
			fprintf(out, "| %s | %.4f | %.4f |\n", forest_feature_name(f, r[k].j),
				perm[r[k].j], forest_importance(f, r[k].j));
	} else {
		fprintf(out, "| feature | impurity (mean decrease) |\n| --- | ---: |\n");
		for (size_t k = 0; k < nf; k++)
			fprintf(out, "| %s | %.4f |\n", forest_feature_name(f, r[k].j), r[k].v);
	}
	free(r);
out:
	free(perm);
	free(y);
	free(pred);
	free(X);
	csv_free(c);
	forest_free(f);
	return rc;
}
