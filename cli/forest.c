/*
 * `airtime forest train|predict|eval|importance`: the random forest on any numeric CSV.
 */
#include "cli/cli.h"
#include "cli/forest_tool.h"
#include "engine/forest.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct forest_args {
	const char *csv, *label, *model, *out;
	struct forest_params params;
	uint64_t threads;
	bool no_bootstrap;
};

/* Is `word` one of the space-separated words of `list`? */
static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* Parse the options of one forest subcommand; `allowed` lists the ones it takes. */
static int forest_parse(const char *cmd, int argc, char **argv, const char *allowed,
			struct forest_args *a)
{
	static const char *const criteria[] = { "gini", "entropy", NULL };
	static const char *const tasks[] = { "classify", "regress", NULL };
	struct forest_params *p = &a->params;
	int criterion = -1, task = -1;
	const struct cliopt all[] = {
		CLIOPT_VALUE("--csv", NULL, "a value", cliopt_string, &a->csv),
		CLIOPT_VALUE("--label", NULL, "a value", cliopt_string, &a->label),
		CLIOPT_VALUE("--model", NULL, "a value", cliopt_string, &a->model),
		CLIOPT_VALUE("-o", NULL, "a value", cliopt_string, &a->out),
		CLIOPT_UINT("--trees", cliopt_u32, &p->n_trees, 0, 100000),
		CLIOPT_UINT("--mtry", cliopt_u32, &p->mtry, 0, 65535),
		CLIOPT_UINT("--max-depth", cliopt_u32, &p->max_depth, 0, 10000),
		CLIOPT_UINT("--min-leaf", cliopt_u32, &p->min_leaf, 0, 1u << 30),
		CLIOPT_UINT("--max-leaves", cliopt_u32, &p->max_leaves, 0, 1u << 30),
		CLIOPT_UINT("--bins", cliopt_u32, &p->n_bins, 0, 255),
		CLIOPT_UINT("--exact-below", cliopt_u32, &p->exact_below, 0, 1u << 30),
		CLIOPT_UINT("--seed", cliopt_uint, &p->seed, 0, UINT64_MAX),
		CLIOPT_UINT("--threads", cliopt_uint, &a->threads, 0, 256),
		/* Both lists in the order of their enum's values. */
		CLIOPT_CHOICE("--criterion", "a value", criteria,
			      "bad --criterion '%s' (expected gini or entropy)", &criterion),
		CLIOPT_CHOICE("--task", "a value", tasks,
			      "bad --task '%s' (expected classify or regress)", &task),
		CLIOPT_FLAG("--no-bootstrap", NULL, &a->no_bootstrap),
	};
	struct cliopt table[sizeof(all) / sizeof(all[0]) + 1];
	size_t n = 0;
	int rc;

	memset(a, 0, sizeof(*a));
	a->params = forest_params_defaults();
	a->threads = 1;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (word_in(allowed, all[i].name))
			table[n++] = all[i];
	table[n] = (struct cliopt)CLIOPT_END;
	if ((rc = cliopt_parse(cmd, argc, argv, 1, table)))
		return rc;
	if (a->threads == 0)
		return cliopt_usage_error(cmd, "--threads must be at least 1, not '0'");
	if (criterion >= 0)
		p->criterion = (uint32_t)criterion;
	if (task >= 0)
		p->task = (uint32_t)task;
	if (a->no_bootstrap)
		p->bootstrap = 0;
	if (p->task == FOREST_REGRESS)
		p->criterion = FOREST_MSE;
	return 0;
}

static int cmd_forest(int argc, char **argv)
{
	static const char train_opts[] = "--csv --label -o --trees --mtry --max-depth --min-leaf "
		"--max-leaves --criterion --task --seed --threads --bins --exact-below --no-bootstrap";
	struct forest_args a;
	struct error err = { 0 };
	const char *sub;
	int rc;

	if (argc < 2)
		return cliopt_usage_error("forest", "missing subcommand (train, predict, eval, importance)");
	sub = argv[1];
	if (!strcmp(sub, "train")) {
		struct forest_tool_train_opts o;

		if ((rc = forest_parse("forest train", argc - 1, argv + 1, train_opts, &a)))
			return rc;
		if (!a.csv || !a.label || !a.out)
			return cliopt_usage_error("forest train", "--csv FILE, --label COL and -o MODEL are required");
		if (cli_need_input(a.csv, "CSV"))
			return EXIT_USAGE;
		o.csv = a.csv, o.label = a.label, o.model = a.out;
		o.params = a.params, o.threads = (int)a.threads;
		rc = forest_tool_train(&o, stdout, &err);
	} else if (!strcmp(sub, "predict")) {
		if ((rc = forest_parse("forest predict", argc - 1, argv + 1, "--model --csv", &a)))
			return rc;
		if (!a.model || !a.csv)
			return cliopt_usage_error("forest predict", "--model MODEL and --csv FILE are required");
		if (cli_need_input(a.model, "model") || cli_need_input(a.csv, "CSV"))
			return EXIT_USAGE;
		rc = forest_tool_predict(a.model, a.csv, stdout, &err);
	} else if (!strcmp(sub, "eval")) {
		if ((rc = forest_parse("forest eval", argc - 1, argv + 1, "--model --csv --label", &a)))
			return rc;
		if (!a.model || !a.csv || !a.label)
			return cliopt_usage_error("forest eval", "%s",
					   "--model MODEL, --csv FILE and --label COL are required");
		if (cli_need_input(a.model, "model") || cli_need_input(a.csv, "CSV"))
			return EXIT_USAGE;
		rc = forest_tool_eval(a.model, a.csv, a.label, stdout, &err);
	} else if (!strcmp(sub, "importance")) {
		if ((rc = forest_parse("forest importance", argc - 1, argv + 1,
				       "--model --csv --label", &a)))
			return rc;
		if (!a.model)
			return cliopt_usage_error("forest importance", "--model MODEL is required");
		if (!a.csv != !a.label)
			return cliopt_usage_error("forest importance", "%s",
					   "--csv FILE and --label COL go together (permutation importance)");
		if (cli_need_input(a.model, "model") || (a.csv && cli_need_input(a.csv, "CSV")))
			return EXIT_USAGE;
		rc = forest_tool_importance(a.model, a.csv, a.label, stdout, &err);
	} else {
		return cliopt_usage_error("forest", "unknown subcommand '%s' (train, predict, eval, importance)", sub);
	}
	return rc < 0 ? cli_fail(&err) : EXIT_OK;
}

const struct cli_command cli_forest = {
	"forest", "forest train|predict|eval|importance ...",
	"Train, apply and inspect a random forest on a numeric CSV (header row; empty or NA\n"
	"is missing).\n\n"
	"  forest train --csv FILE --label COL -o MODEL [--trees N] [--mtry N]\n"
	"        [--max-depth N] [--min-leaf N] [--max-leaves N] [--criterion gini|entropy]\n"
	"        [--task classify|regress] [--seed N] [--threads N] [--bins N]\n"
	"        [--exact-below N] [--no-bootstrap]\n"
	"      every column but COL is a feature; writes MODEL, prints OOB AUC (or R^2).\n"
	"  forest predict --model MODEL --csv FILE\n"
	"      one prediction (probability) per row to stdout.\n"
	"  forest eval --model MODEL --csv FILE --label COL\n"
	"      AUC, log loss, Brier and a calibration table by decile (RMSE, R^2 if regression).\n"
	"  forest importance --model MODEL [--csv FILE --label COL]\n"
	"      impurity importance; with data, permutation importance too.\n\n"
	"Defaults: 100 trees, mtry sqrt(features) (features/3 for regression), unlimited depth,\n"
	"min leaf 1, no leaf limit, gini, 255 bins, seed 1, 1 thread.\n"
	"Columns are matched by name; the same seed gives the same model for any --threads.",
	cmd_forest,
};
