/* Tests for cli/forest_tool.c (airtime forest train|predict|eval|
 * importance) on a CSV whose label is a threshold of one column (x1 > 0.5)
 * beside a noise column (x2): the model file round-trips, one prediction
 * per row, the evaluation and both importances rank x1 first, and bad
 * input names the column or the rule it broke. */
#include "cli/forest_tool.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/xalloc.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

/* n rows "x1,x2,y" (y = x1 > 0.5) from stream `seed`; extra adds a column
 * the model never saw, first. */
static char *write_csv(const char *name, uint64_t seed, size_t n, bool extra)
{
	char *path = tmpdir_path(name);
	FILE *f = fopen(path, "w");
	struct rng r;

	ck_assert_ptr_nonnull(f);
	rng_init(&r, seed, RNG_TEST, 0, 0);
	fprintf(f, "%sx1,x2,y\n", extra ? "id," : "");
	for (size_t i = 0; i < n; i++) {
		double x1 = rng_uniform(&r), x2 = rng_uniform(&r);

		if (extra)
			fprintf(f, "%zu,", i);
		fprintf(f, "%.6f,%.6f,%d\n", x1, x2, x1 > 0.5);
	}
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/* Output of one call, in memory. */
struct out {
	char *text;
	size_t len;
	FILE *f;
};

static FILE *out_open(struct out *o)
{
	o->text = NULL;
	o->f = open_memstream(&o->text, &o->len);
	ck_assert_ptr_nonnull(o->f);
	return o->f;
}

static const char *out_close(struct out *o)
{
	ck_assert_int_eq(fclose(o->f), 0);
	return o->text;
}

static char *train(const char *csv, const char *model_name)
{
	struct forest_tool_train_opts o = { 0 };
	struct out out;
	struct error err;
	char *model = tmpdir_path(model_name);

	o.csv = csv;
	o.label = "y";
	o.model = model;
	o.params = forest_params_defaults();
	o.params.n_trees = 20;
	o.params.seed = 5;
	o.threads = 2;
	ck_assert_msg(forest_tool_train(&o, out_open(&out), &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(out_close(&out), "trained 20 trees on 400 rows x 2 features"));
	ck_assert_ptr_nonnull(strstr(out.text, "model written to"));
	free(out.text);
	return model;
}

START_TEST(train_then_predict_each_row)
{
	char *csv = write_csv("train.csv", 1, 400, false);
	char *test = write_csv("test.csv", 2, 50, true);
	char *model = train(csv, "m.forest");
	struct out out;
	struct error err;
	const char *line;
	size_t n = 0, right = 0;
	struct rng r;

	ck_assert_msg(forest_tool_predict(model, test, out_open(&out), &err) == 0, "%s", err.msg);
	out_close(&out);
	/* one probability per row, in row order; columns matched by name */
	rng_init(&r, 2, RNG_TEST, 0, 0);
	for (line = out.text; *line; line = strchr(line, '\n') + 1) {
		double p = strtod(line, NULL), x1 = rng_uniform(&r);

		ck_assert_ptr_nonnull(strchr(line, '\n'));
		rng_uniform(&r);
		ck_assert(p >= 0 && p <= 1);
		right += (p > 0.5) == (x1 > 0.5);
		n++;
	}
	ck_assert_uint_eq(n, 50);
	/* The label is noiseless: the trees place the x1 split between
	 * neighbouring training values (gaps of about 1/400), so a test row is
	 * misclassified with probability of that order: well under one of 50
	 * rows is expected wrong; we allow 5. */
	ck_assert_uint_ge(right, 45);
	free(out.text);
	free(csv);
	free(test);
	free(model);
}
END_TEST

START_TEST(eval_and_importance_rank_the_signal_first)
{
	char *csv = write_csv("train.csv", 1, 400, false);
	char *test = write_csv("test.csv", 3, 200, false);
	char *model = train(csv, "m.forest");
	struct out out;
	struct error err;
	const char *text, *x1, *x2;
	double auc = 0;

	ck_assert_msg(forest_tool_eval(model, test, "y", out_open(&out), &err) == 0, "%s", err.msg);
	text = out_close(&out);
	ck_assert_ptr_nonnull(strstr(text, "rows: 200\n"));
	ck_assert_int_eq(sscanf(strstr(text, "AUC: "), "AUC: %lf", &auc), 1);
	ck_assert_double_gt(auc, 0.95);   /* noiseless: about 1 (see above) */
	ck_assert_ptr_nonnull(strstr(text, "calibration by predicted-probability decile"));
	free(out.text);

	ck_assert_int_eq(forest_tool_importance(model, NULL, NULL, out_open(&out), &err), 0);
	text = out_close(&out);
	x1 = strstr(text, "| x1 |");
	x2 = strstr(text, "| x2 |");
	ck_assert(x1 && x2 && x1 < x2);
	free(out.text);
	ck_assert_int_eq(forest_tool_importance(model, test, "y", out_open(&out), &err), 0);
	text = out_close(&out);
	ck_assert_ptr_nonnull(strstr(text, "permutation (drop in AUC"));
	x1 = strstr(text, "| x1 |");
	x2 = strstr(text, "| x2 |");
	ck_assert(x1 && x2 && x1 < x2);
	free(out.text);
	free(csv);
	free(test);
	free(model);
}
END_TEST

START_TEST(bad_input_names_what_is_wrong)
{
	char *csv = write_csv("train.csv", 1, 400, false), *model = train(csv, "m.forest");
	char *bad = tmpdir_path("bad.csv"), *none = tmpdir_path("none.forest");
	struct forest_tool_train_opts o = { 0 };
	struct out out;
	struct error err;
	FILE *f = fopen(bad, "w");

	ck_assert_ptr_nonnull(f);
	fputs("x1,z\n0.1,0.2\n", f);              /* no x2, no y */
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(forest_tool_predict(model, bad, out_open(&out), &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "x2"));
	out_close(&out);
	free(out.text);
	ck_assert_int_eq(forest_tool_eval(model, csv, "nope", out_open(&out), &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "nope"));
	out_close(&out);
	free(out.text);
	ck_assert_int_eq(forest_tool_importance(model, csv, NULL, out_open(&out), &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "both"));
	out_close(&out);
	free(out.text);
	ck_assert_int_lt(forest_tool_predict(none, csv, out_open(&out), &err), 0);
	out_close(&out);
	free(out.text);
	o.csv = csv;
	o.label = "label";
	o.model = none;
	o.params = forest_params_defaults();
	o.params.n_trees = 2;
	o.threads = 1;
	ck_assert_int_eq(forest_tool_train(&o, out_open(&out), &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "label"));
	out_close(&out);
	free(out.text);
	free(csv);
	free(model);
	free(bad);
	free(none);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, train_then_predict_each_row);
	tcase_add_test(tc, eval_and_importance_rank_the_signal_first);
	tcase_add_test(tc, bad_input_names_what_is_wrong);
}

CHECK_MAIN("forest_tool", add_tests, 60)
