/*
 * `airtime compare`: stored runs side by side.
 */
#include "cli/cli.h"
#include "common/xalloc.h"
#include "render/compare.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct compare_args {
	struct compare_run *runs;
	size_t n;
	bool run_set;              /* the last RUN_DIR has its --run */
};

static int take_run_dir(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	struct compare_args *a = o->target;

	(void)cmd, (void)opt;
	a->runs[a->n++] = (struct compare_run){ val, 0 };
	a->run_set = false;
	return 0;
}

/* --run ID selects a run of the RUN_DIR just before it. */
static int take_run_id(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	struct compare_args *a = o->target;
	uint64_t id;
	const struct cliopt as_id = { .target = &id, .lo = 1, .hi = INT64_MAX };
	int rc;

	if (a->n == 0)
		return cliopt_usage_error(cmd, "--run comes after the RUN_DIR it selects from");
	if (a->run_set)
		return cliopt_usage_error(cmd, "one --run per RUN_DIR; '%s' has two",
					  a->runs[a->n - 1].dir);
	if ((rc = cliopt_uint(cmd, &as_id, opt, val)))
		return rc;
	a->runs[a->n - 1].run_id = (int64_t)id;
	a->run_set = true;
	return 0;
}

static bool dir_has_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool any = false;

	if (!d)
		return false;
	while (!any && (e = readdir(d)) != NULL)
		any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return any;
}

static int cmd_compare(int argc, char **argv)
{
	struct compare_args a = { xcalloc((size_t)argc, sizeof(struct compare_run)), 0, false };
	const char *out = NULL, *first;
	char *def = NULL;
	struct error e;
	bool force = false;
	int code;
	const struct cliopt table[] = {
		CLIOPT_VALUE("--out", NULL, "an argument", cliopt_string, &out),
		CLIOPT_FLAG("--force", NULL, &force),
		CLIOPT_VALUE("--run", NULL, "a run id", take_run_id, &a),
		CLIOPT_OPERAND("", take_run_dir, &a),
		CLIOPT_END,
	};

	if ((code = cliopt_parse("compare", argc, argv, 1, table)))
		goto out;
	if (a.n < 2) {
		code = cliopt_usage_error("compare", "needs at least two RUN_DIRs");
		goto out;
	}
	if (!out) {
		size_t len;
		const char *slash;

		/* Beside the first run: reports/a-1 (or reports/a-1/) ->
		 * reports/compare; a run directory "x" -> "compare". */
		first = a.runs[0].dir;
		len = strlen(first);
		while (len > 1 && first[len - 1] == '/')
			len--;
		slash = NULL;
		for (size_t i = len; i-- > 0;)
			if (first[i] == '/') {
				slash = first + i;
				break;
			}
		def = !slash ? xstrdup("compare")
		      : slash == first ? xstrdup("/compare")
		      : xasprintf("%.*s/compare", (int)(slash - first), first);
		out = def;
	}
	/* An earlier comparison is not overwritten by accident. */
	if (!force && cli_is_directory(out) && dir_has_entries(out)) {
		fprintf(stderr, "airtime: '%s' exists and is not empty: not overwriting it (--force "
			"replaces its compare.md, compare.html and plots)\n", out);
		code = EXIT_USAGE;
		goto out;
	}
	error_clear(&e);
	code = cli_status(compare_build(a.runs, a.n, out, &e), &e);
	if (code == EXIT_OK)
		printf("%s/compare.html\n", out);
out:
	free(def);
	free(a.runs);
	return code;
}

const struct cli_command cli_compare = {
	"compare", "compare RUN_DIR [--run ID] RUN_DIR [--run ID]... [--out DIR] [--force]",
	"Compare runs (the first is the baseline) into DIR/compare.md and DIR/compare.html\n"
	"(default DIR: 'compare' beside the first run): scenario keys that differ, A/B lifts,\n"
	"SLO rows and counters side by side with differences, and overlaid time series.\n"
	"A RUN_DIR's results.db may hold several runs (the worlds of a twin experiment,\n"
	"load tests): --run ID after it selects one.  Without --run, compare takes the\n"
	"run holding the experiment's analysis (A/B tables or SLO rows; never a load\n"
	"test) and says so in compare.md; when none or several hold one, it exits 2\n"
	"listing the runs' ids and names.  The same RUN_DIR may be given twice, with two\n"
	"of its runs.  Runs are labelled R1, R2, ... with the scenario keys that set them\n"
	"apart; lifts are compared with an interval on their difference (percentage\n"
	"points, runs taken as independent) and drawn side by side.  An existing,\n"
	"non-empty DIR is refused (exit 2) unless --force is given.",
	cmd_compare,
};
