#ifndef AIRTIME_FOREST_TOOL_H
#define AIRTIME_FOREST_TOOL_H
/*
 * The researcher's forest commands (airtime forest train|predict|eval|
 * importance) as library functions over CSV files (common/csv.h) and model
 * files (engine/forest.h).  Each writes its human-readable output to the
 * FILE* the caller gives and returns 0 or a negative ERR_* with `err`
 * filled; nothing is printed elsewhere and nothing exits.
 *
 * Columns are matched by name: training uses every column but the label as
 * a feature, in file order; predict/eval/importance look up the model's
 * feature names in the CSV header (extra columns are ignored, a missing one
 * is an ERR_INPUT naming it).
 */
#include "common/error.h"
#include "engine/forest.h"

#include <stdio.h>

struct forest_tool_train_opts {
	const char *csv;          /* training data */
	const char *label;        /* label column name */
	const char *model;        /* output model path */
	struct forest_params params;
	int threads;
};

/* Train on opts->csv, save to opts->model, write a summary to out. */
int forest_tool_train(const struct forest_tool_train_opts *opts, FILE *out, struct error *err);
/* One prediction per CSV row, one per line. */
int forest_tool_predict(const char *model, const char *csv, FILE *out, struct error *err);
/* AUC, log loss, Brier and a calibration table by decile (classification);
 * RMSE and R^2 (regression). */
int forest_tool_eval(const char *model, const char *csv, const char *label, FILE *out,
		     struct error *err);
/* Impurity importance from the model; with csv and label (both or neither),
 * also permutation importance on that data. */
int forest_tool_importance(const char *model, const char *csv, const char *label, FILE *out,
			   struct error *err);

#endif
