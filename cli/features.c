/*
 * `airtime features export`: a point-in-time-correct CSV of a run's feature store.
 */
#include "cli/cli.h"
#include "cli/features_tool.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmd_features(int argc, char **argv)
{
	struct features_export_opts o = { 0 };
	struct error err = { 0 };
	int rc;
	const struct cliopt table[] = {
		CLIOPT_FLAG("--as-known-at", NULL, &o.as_known_at),
		CLIOPT_VALUE("--at", NULL, "a value", cliopt_string, &o.at),
		CLIOPT_VALUE("--group", NULL, "a value", cliopt_string, &o.group),
		CLIOPT_VALUE("-o", NULL, "a value", cliopt_string, &o.out),
		CLIOPT_ONE_OPERAND("one RUN_DIR", "missing RUN_DIR", &o.run_dir),
		CLIOPT_END,
	};

	if (argc < 2)
		return cliopt_usage_error("features", "missing subcommand (export)");
	if (strcmp(argv[1], "export"))
		return cliopt_usage_error("features", "unknown subcommand '%s' (export)", argv[1]);
	if ((rc = cliopt_parse("features export", argc, argv, 2, table)))
		return rc;
	if (!o.at)
		return cliopt_usage_error("features export", "--at TIME is required");
	rc = features_tool_export(&o, stdout, &err);
	return rc < 0 ? cli_fail(&err) : EXIT_OK;
}

const struct cli_command cli_features = {
	"features", "features export RUN_DIR --at TIME [--group NAME] [--as-known-at] [-o FILE]",
	"Write a point-in-time-correct CSV of the run's feature store RUN_DIR/features.db:\n"
	"for every entity ever written to a group, its latest row with event_time <= TIME\n"
	"(ties: the latest write_time), within the group's TTL; an entity without one\n"
	"keeps its row with empty fields.  Header: entity,event_time,<features>.\n\n"
	"  --at TIME        a duration since the run's epoch (9d12h, 36h, 90min) or an ISO\n"
	"                   date-time in UTC (2022-05-11, 2022-05-11T12:00[:SS][Z])\n"
	"  --group NAME     one group (user_history, creator_history, user_topic,\n"
	"                   user_creator); default all, each after a '# group NAME vN' line\n"
	"  --as-known-at    also require write_time <= TIME: what was known at TIME, so\n"
	"                   later backfills do not leak into it\n"
	"  -o FILE          write FILE (replaced whole, never half-written); default stdout",
	cmd_features,
};
