/*
 * airtime: the dispatcher.  Each command lives in its own file under cli/
 * (git's builtin/ habit) and exports a struct cli_command; this file finds
 * the one named by argv[1], answers --version and --help, and returns the
 * command's exit code (the table is in cli/cli.h and the README).
 */
#include "cli/cli.h"
#include "common/version.h"

#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const struct cli_command *c;

	/* GSL must never abort the process: its codes are mapped to ours. */
	gsl_set_error_handler_off();
	if (argc < 2) {
		cli_print_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("airtime %s (git %s)\n", airtime_version, airtime_git_rev);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		cli_print_usage(stdout);
		return EXIT_OK;
	}
	c = cli_find(argv[1]);
	if (!c) {
		fprintf(stderr, "airtime: unknown command '%s'\n", argv[1]);
		cli_print_usage(stderr);
		return EXIT_USAGE;
	}
	if (wants_help(argc - 1, argv + 1)) {
		cli_print_command_help(stdout, c);
		return EXIT_OK;
	}
	return c->fn(argc - 1, argv + 1);
}
