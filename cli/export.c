/*
 * `airtime export`: a run's logged bandit feedback as CSV.
 */
#include "cli/cli.h"
#include "common/xalloc.h"
#include "results/banditstore.h"
#include "results/results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct first_run {
	int64_t id;
	bool found;
};

static int first_cb(const struct results_run *run, void *ctx)
{
	struct first_run *f = ctx;

	if (!f->found) {
		f->id = run->run_id;
		f->found = true;
	}
	return 0;
}

static int cmd_export(int argc, char **argv)
{
	static const char *const tables[] = { "impressions", "users", "ope_target_slots", NULL };
	const char *dir = NULL, *out = NULL;
	int table = -1;
	uint64_t run_id = 0, rows = 0;
	bool seen_run = false;
	struct first_run f = { 0, false };
	struct results *res;
	char *dbp;
	struct error e;
	int rc;
	const struct cliopt opts[] = {
		CLIOPT_CHOICE("--table", "a table", tables,
			      "unknown table '%s': expected impressions, users or ope_target_slots",
			      &table),
		CLIOPT_VALUE("--out", "-o", "a file", cliopt_string, &out),
		{ .name = "--run", .needs = "a run id", .take = cliopt_uint, .target = &run_id,
		  .lo = 1, .hi = 9007199254740991ULL, .seen = &seen_run },
		CLIOPT_ONE_OPERAND("one run directory", "missing RUN_DIR", &dir),
		CLIOPT_END,
	};

	if ((rc = cliopt_parse("export", argc, argv, 1, opts)))
		return rc;
	if (table < 0)
		return cliopt_usage_error("export", "missing --table impressions|users|ope_target_slots");
	if (!out)
		return cliopt_usage_error("export", "missing -o FILE");
	if ((rc = cli_need_run_dir(dir)))
		return rc;
	error_clear(&e);
	dbp = xasprintf("%s/results.db", dir);
	res = results_open_readonly(dbp, &e);
	free(dbp);
	if (!res)
		return cli_fail(&e);
	if (!seen_run) {
		if ((rc = results_each_run(res, first_cb, &f, &e)) < 0) {
			results_close(res);
			return cli_fail(&e);
		}
		run_id = (uint64_t)f.id;
	}
	rc = banditstore_export_csv(res, (int64_t)run_id,
				    (enum banditstore_table)table, out,
				    &rows, &e);
	results_close(res);
	if (rc == ERR_NOTFOUND) {
		fprintf(stderr, "airtime: '%s' run %llu stored no %s rows: run the scenario with "
			"--set logging.impressions=true%s\n", dir, (unsigned long long)run_id,
			tables[table], table == BANDITSTORE_TARGETS ? " --set ope.targets=RANKER" : "");
		return EXIT_USAGE;
	}
	if (rc < 0)
		return cli_fail(&e);
	printf("%s: %llu rows of %s (run %llu)\n", out, (unsigned long long)rows, tables[table],
	       (unsigned long long)run_id);
	return EXIT_OK;
}

const struct cli_command cli_export = {
	"export", "export RUN_DIR --table impressions|users|ope_target_slots -o FILE [--run ID]",
	"Write a table of the logged bandit feedback of RUN_DIR/results.db as CSV, for pandas,\n"
	"Open Bandit Pipeline or any tool: impressions (one row per slot of a logged page:\n"
	"session, user, time, position, show, propensities, outcomes, then the feature row\n"
	"as columns x_NAME), users (per-user metrics per period) or ope_target_slots (the\n"
	"off-policy targets' pages).  The columns are documented in docs/results-schema.md.\n"
	"The run is the file's first (the split world, or the control's twin) unless --run.\n"
	"The run must have logged them: [logging] impressions = true.",
	cmd_export,
};
