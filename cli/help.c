/*
 * `airtime help`: the list of commands, or one command's help; and the
 * table of commands the dispatcher (airtime.c) looks names up in.
 */
#include "cli/cli.h"

#include <string.h>

static int cmd_help(int argc, char **argv);

const struct cli_command cli_help = {
	"help", "help [COMMAND]", "Show help for airtime or for one command.", cmd_help,
};

const struct cli_command *const cli_commands[] = {
	&cli_help, &cli_run, &cli_trace, &cli_sweep, &cli_replicate, &cli_validate_sim,
	&cli_validate, &cli_reference, &cli_forest, &cli_loadtest, &cli_serve,
	&cli_redis_replay, &cli_features, &cli_report, &cli_compare, &cli_ope, &cli_export, NULL,
};

const struct cli_command *cli_find(const char *name)
{
	for (const struct cli_command *const *c = cli_commands; *c; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}

void cli_print_command_help(FILE *f, const struct cli_command *c)
{
	fprintf(f, "usage: airtime %s\n\n%s\n", c->synopsis, c->help);
}

void cli_print_usage(FILE *f)
{
	fprintf(f, "usage: airtime [--version] [--help] COMMAND [ARGS]\n\n"
		   "A simulation and evaluation workbench for live-show recommendation pipelines.\n\n"
		   "Commands:\n");
	for (const struct cli_command *const *c = cli_commands; *c; c++)
		fprintf(f, "  %-44s\n", (*c)->synopsis);
	fprintf(f, "\nExit codes: 0 success, 1 the run failed, 2 bad usage or bad input (scenario,\n"
		   "file, run directory), 3 an SLO failed (run, loadtest; --no-fail-on-slo turns it\n"
		   "off), 130/143 interrupted by SIGINT/SIGTERM (nothing left behind).\n"
		   "'airtime COMMAND --help' describes one command.\n");
}

static int cmd_help(int argc, char **argv)
{
	const struct cli_command *c;

	if (argc < 2) {
		cli_print_usage(stdout);
		return EXIT_OK;
	}
	c = cli_find(argv[1]);
	if (!c)
		return cliopt_usage_error("help", "unknown command '%s'", argv[1]);
	cli_print_command_help(stdout, c);
	return EXIT_OK;
}
