/*
 * `airtime validate`: a scenario checked and printed fully resolved.
 */
#include "cli/cli.h"
#include "eval/budget.h"
#include "eval/run.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmd_validate(int argc, char **argv)
{
	struct cli_scenario_opts opts = { 0 };
	const char *path = NULL;
	struct scenario *sc;
	struct error e;
	struct run_budget b;
	char est[32];
	uint64_t max_memory = 0;
	int code;
	const struct cliopt table[] = {
		CLI_SCENARIO_OPTIONS(&opts),
		CLIOPT_VALUE("--max-memory", NULL, "a size", cliopt_bytes, &max_memory),
		CLIOPT_ONE_OPERAND("one scenario", "missing SCENARIO", &path),
		CLIOPT_END,
	};

	if ((code = cliopt_parse("validate", argc, argv, 1, table)))
		goto out;
	sc = cli_load_scenario(path, &opts, &code);
	if (!sc)
		goto out;
	error_clear(&e);
	/* The modules' own checks too; their messages are in the parser's form. */
	if (run_check(sc, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		code = cli_exit_for(&e);
	} else if (scenario_dump(sc, stdout, &e) < 0) {
		code = cli_fail(&e);
	} else if (run_estimate(sc, &b, &e) == 0) {
		/* an INI comment: stdout stays a valid scenario */
		uint64_t limit = max_memory ? max_memory : run_budget_available();

		run_budget_format(b.bytes, est, sizeof(est));
		printf("; estimated peak memory: %s (driven by %s)\n", est, b.drivers);
		if (limit != UINT64_MAX && run_budget_check(&b, limit, &e) < 0) {
			fprintf(stderr, "%s\n", e.msg);
			code = cli_exit_for(&e);
		}
	}
	scenario_free(sc);
out:
	cli_scenario_opts_release(&opts);
	return code;
}

const struct cli_command cli_validate = {
	"validate", "validate SCENARIO [--set section.key=value]... [--seed N]",
	"Read a scenario, apply the overrides, and print it fully resolved (every key,\n"
	"defaults included, canonical units) as an INI file on stdout.  Problems go to\n"
	"stderr, all of them, one per line as FILE:LINE: message; the exit code is then 2.\n"
	"A scenario that parses is then checked as a run would check it (rules between\n"
	"keys), reporting the first problem in the same form.  The last line is a comment\n"
	"with the run's estimated peak memory; above --max-memory (default: the machine's\n"
	"available memory; none: no limit) it is an error naming the keys that drive it.\n"
	"--seed N is short for --set run.seed=N.",
	cmd_validate,
};
