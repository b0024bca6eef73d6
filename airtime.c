/*
 * airtime: the command line.  Parses arguments, dispatches subcommands, and
 * is the only place that prints to stdout or decides exit codes:
 *   0 success, 1 the run failed, 2 bad usage or bad scenario.
 */
#include "common/error.h"
#include "common/version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

enum { EXIT_OK = 0, EXIT_RUN = 1, EXIT_USAGE = 2 };

struct command {
	const char *name;
	const char *synopsis;
	const char *help;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[];

static int exit_for(const struct error *e)
{
	return e->code == ERR_INPUT ? EXIT_USAGE : EXIT_RUN;
}

static int fail(const struct error *e) __attribute__((unused));
static int fail(const struct error *e)
{
	fprintf(stderr, "airtime: %s\n", e->msg);
	return exit_for(e);
}

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "airtime %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'airtime %s --help'.\n", cmd);
	return EXIT_USAGE;
}

static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

static void print_usage(FILE *f);

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "help", "help [COMMAND]", "Show help for airtime or for one command.", cmd_help },
	{ NULL, NULL, NULL, NULL },
};

static const struct command *find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void print_command_help(FILE *f, const struct command *c)
{
	fprintf(f, "usage: airtime %s\n\n%s\n", c->synopsis, c->help);
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		print_usage(stdout);
		return EXIT_OK;
	}
	c = find_command(argv[1]);
	if (!c)
		return usage_error("help", "unknown command '%s'", argv[1]);
	print_command_help(stdout, c);
	return EXIT_OK;
}

static void print_usage(FILE *f)
{
	fprintf(f, "usage: airtime [--version] [--help] COMMAND [ARGS]\n\n"
		   "A simulation and evaluation workbench for live-show recommendation pipelines.\n\n"
		   "Commands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-44s\n", c->synopsis);
	fprintf(f, "\nExit codes: 0 success, 1 the run failed, 2 bad usage or bad scenario.\n"
		   "'airtime COMMAND --help' describes one command.\n");
}

int main(int argc, char **argv)
{
	const struct command *c;

	/* GSL must never abort the process: its codes are mapped to ours. */
	gsl_set_error_handler_off();
	if (argc < 2) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("airtime %s (git %s)\n", airtime_version, airtime_git_rev);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_usage(stdout);
		return EXIT_OK;
	}
	c = find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "airtime: unknown command '%s'\n", argv[1]);
		print_usage(stderr);
		return EXIT_USAGE;
	}
	if (wants_help(argc - 1, argv + 1)) {
		print_command_help(stdout, c);
		return EXIT_OK;
	}
	return c->fn(argc - 1, argv + 1);
}
