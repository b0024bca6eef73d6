/*
 * airtime: the command line.  Parses arguments, dispatches subcommands, and
 * is the only place that prints to stdout or decides exit codes:
 *   0 success, 1 the run failed, 2 bad usage or bad scenario.
 */
#include "common/error.h"
#include "common/scenario.h"
#include "common/units.h"
#include "common/version.h"
#include "common/xalloc.h"

#include <stdbool.h>
#include <stdint.h>
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
static int cmd_validate(int argc, char **argv);
static int cmd_reference(int argc, char **argv);

static const struct command commands[] = {
	{ "help", "help [COMMAND]", "Show help for airtime or for one command.", cmd_help },
	{ "validate", "validate SCENARIO [--set section.key=value]... [--seed N]",
	  "Read a scenario, apply the overrides, and print it fully resolved (every key,\n"
	  "defaults included, canonical units) as an INI file on stdout.  Problems go to\n"
	  "stderr, all of them, one per line as FILE:LINE: message; the exit code is then 2.\n"
	  "--seed N is short for --set run.seed=N.",
	  cmd_validate },
	{ "reference", "reference",
	  "Print the Markdown reference of every scenario key (type, default, accepted\n"
	  "values, description): the table in scenarios/README.md.",
	  cmd_reference },
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

/* The scenario options every scenario-reading command shares. */
struct scenario_opts {
	const char **sets;     /* "section.key=value", borrowed from argv or owned (seed) */
	size_t n_sets, cap_sets;
	char *seed_set;        /* owned "run.seed=N" for --seed */
};

static void scenario_opts_release(struct scenario_opts *o)
{
	free(o->sets);
	free(o->seed_set);
	memset(o, 0, sizeof(*o));
}

/*
 * If argv[*i] is --set X, --set=X, --seed N or --seed=N, take it (and its
 * argument), advance *i past it and return 1; return 0 for any other
 * argument; print a usage error and return -1 for a bad one.  --seed is
 * turned into the override run.seed=N so it reaches the scenario through
 * the same parser; it applies after every --set, whatever the order.
 */
static int scenario_opt(const char *cmd, int argc, char **argv, int *i,
			struct scenario_opts *o)
{
	const char *a = argv[*i], *val;
	bool seed;
	struct error e;
	int64_t n;

	if (!strcmp(a, "--set") || !strcmp(a, "--seed")) {
		if (*i + 1 >= argc)
			return usage_error(cmd, "option '%s' needs an argument", a), -1;
		val = argv[++*i];
	} else if (!strncmp(a, "--set=", 6) || !strncmp(a, "--seed=", 7)) {
		val = strchr(a, '=') + 1;
	} else {
		return 0;
	}
	seed = !strncmp(a, "--seed", 6);
	++*i;
	if (!seed) {
		XGROW(o->sets, o->n_sets + 1, o->cap_sets);
		o->sets[o->n_sets++] = val;
		return 1;
	}
	if (units_parse_int(val, &n, &e) < 0 || n < 0)
		return usage_error(cmd, "bad seed '%s': expected a non-negative integer", val), -1;
	free(o->seed_set);
	o->seed_set = xasprintf("run.seed=%s", val);
	return 1;
}

/* Load a scenario with the collected options; on failure print every
 * problem and set *code (2: a scenario that cannot be read is bad input). */
static struct scenario *load_scenario(const char *path, struct scenario_opts *o, int *code)
{
	struct scenario *sc;
	struct error e;

	if (o->seed_set) {
		XGROW(o->sets, o->n_sets + 1, o->cap_sets);
		o->sets[o->n_sets++] = o->seed_set;
	}
	error_clear(&e);
	sc = scenario_load(path, o->sets, o->n_sets, &e);
	if (o->seed_set)
		o->n_sets--;
	if (!sc) {
		/* Messages already start with the file name, compiler style. */
		fprintf(stderr, "%s%s\n", e.code == ERR_INPUT ? "" : "airtime: ", e.msg);
		*code = EXIT_USAGE;
	}
	return sc;
}

static int cmd_validate(int argc, char **argv)
{
	struct scenario_opts opts = { 0 };
	const char *path = NULL;
	struct scenario *sc;
	struct error e;
	int code = EXIT_OK, r;

	for (int i = 1; i < argc;) {
		r = scenario_opt("validate", argc, argv, &i, &opts);
		if (r < 0) {
			code = EXIT_USAGE;
			goto out;
		}
		if (r)
			continue;
		if (argv[i][0] == '-' && argv[i][1]) {
			code = usage_error("validate", "unknown option '%s'", argv[i]);
			goto out;
		}
		if (path) {
			code = usage_error("validate", "one scenario only; '%s' is extra", argv[i]);
			goto out;
		}
		path = argv[i++];
	}
	if (!path) {
		code = usage_error("validate", "%s", "missing SCENARIO");
		goto out;
	}
	sc = load_scenario(path, &opts, &code);
	if (!sc)
		goto out;
	error_clear(&e);
	if (scenario_dump(sc, stdout, &e) < 0)
		code = fail(&e);
	scenario_free(sc);
out:
	scenario_opts_release(&opts);
	return code;
}

static int cmd_reference(int argc, char **argv)
{
	struct error e;

	if (argc > 1)
		return usage_error("reference", "unexpected argument '%s'", argv[1]);
	error_clear(&e);
	if (scenario_reference_markdown(stdout, &e) < 0)
		return fail(&e);
	return EXIT_OK;
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
