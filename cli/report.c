/*
 * `airtime report`: rebuild a run directory's report from its results.db.
 */
#include "cli/cli.h"
#include "render/replreport.h"
#include "render/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmd_report(int argc, char **argv)
{
	const char *dir = NULL;
	struct error e;
	int rc;
	const struct cliopt table[] = {
		CLIOPT_ONE_OPERAND("one run directory", "missing RUN_DIR", &dir),
		CLIOPT_END,
	};

	if ((rc = cliopt_parse("report", argc, argv, 1, table)))
		return rc;
	error_clear(&e);
	if (replreport_is_replication(dir))
		return cli_status(replreport_rebuild(dir, &e), &e);
	return cli_status(report_build(dir, &e), &e);
}

const struct cli_command cli_report = {
	"report", "report RUN_DIR",
	"Rebuild RUN_DIR/report.md, RUN_DIR/report.html (self-contained) and RUN_DIR/plots/\n"
	"from RUN_DIR/results.db alone.  Without gnuplot the report is written without\n"
	"pictures and a warning is printed (exit 0).  RUN_DIR may also be the directory\n"
	"of `airtime replicate`: its report is rebuilt the same way.",
	cmd_report,
};
