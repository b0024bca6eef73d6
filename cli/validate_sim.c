/*
 * `airtime validate-sim`: the simulated world checked against its configuration.
 */
#include "cli/cli.h"
#include "eval/validity.h"
#include "render/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmd_validate_sim(int argc, char **argv)
{
	struct validity_report rep;
	const char *dir = NULL;
	bool quiet = false, no_report = false;
	struct error e;
	int rc;
	const struct cliopt table[] = {
		CLIOPT_FLAG("--quiet", "-q", &quiet),
		CLIOPT_FLAG("--no-report", NULL, &no_report),
		CLIOPT_ONE_OPERAND("one run directory", "missing RUN_DIR", &dir),
		CLIOPT_END,
	};

	if ((rc = cliopt_parse("validate-sim", argc, argv, 1, table)) ||
	    (rc = cli_need_run_dir(dir)))
		return rc;
	error_clear(&e);
	if (validity_run_dir(dir, &rep, &e) < 0)
		return cli_fail(&e);
	if (!quiet) {
		printf("%-28s %-12s %14s %12s %10s  %s\n", "check", "statistic", "value", "p",
		       "threshold", "verdict");
		for (size_t i = 0; i < rep.n; i++) {
			const struct validity_check *c = &rep.checks[i];

			printf("%-28s %-12s %14.4g %12.4g %10.4g  %s\n", c->name, c->statistic,
			       c->value, c->p, c->threshold, validity_verdict_name(c->verdict));
			if (c->detail[0])
				printf("    %s\n", c->detail);
		}
	}
	printf("validity: %zu pass, %zu fail, %zu skipped\n", rep.pass, rep.fail, rep.skipped);
	if (!no_report) {
		/* The checks are stored whatever happens here: a report that cannot
		 * be rebuilt is a warning, not a failed validation. */
		error_clear(&e);
		rc = report_build(dir, &e);
		if (rc < 0)
			fprintf(stderr, "airtime: warning: report not rebuilt: %s\n", e.msg);
		else if (rc > 0)
			fprintf(stderr, "airtime: warning: %s\n", e.msg);
	}
	return rep.fail ? EXIT_RUN : EXIT_OK;
}

const struct cli_command cli_validate_sim = {
	"validate-sim", "validate-sim RUN_DIR [--quiet] [--no-report]",
	"Check the simulator against its own configuration: replay the run's world from\n"
	"scenario.ini, overrides.txt and seed (the simulation is deterministic; a uniform-\n"
	"random page of live shows stands in for the ranker) and test the observed marginals\n"
	"against the configured ones: hourly and weekly session profiles (chi-square), sessions\n"
	"per user (Poisson dispersion), first tune-in position against the examination curve\n"
	"(chi-square), listening duration against the lognormal (KS, censoring\n"
	"handled), spike sizes against magnitude / (1 - branching), declared against true\n"
	"interests.  Prints one line per check and stores them in RUN_DIR/results.db table\n"
	"validity_checks, then rebuilds RUN_DIR/report.md and report.html so their\n"
	"\"Simulator validity\" section shows the checks (--no-report: leave the report;\n"
	"a report that cannot be rebuilt is a warning).  Exit code 0 when every check\n"
	"passes, 1 when one fails.",
	cmd_validate_sim,
};
