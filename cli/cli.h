/*
 * The command line: one file per command (cli/run.c, cli/compare.c, ...),
 * each exporting a `struct cli_command`; airtime.c dispatches among them.
 * This header holds what the commands share: the exit-code table, the
 * scenario options (--set, --seed) and their loading, the progress line.
 *
 * The CLI is the only layer that prints to stdout or decides exit codes;
 * everything below it returns a status and fills a `struct error`.
 */
#ifndef AIRTIME_CLI_H
#define AIRTIME_CLI_H

#include "cli/cliopt.h"
#include "common/error.h"
#include "common/scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The exit codes of every command (README "Exit codes"). */
enum cli_exit {
	EXIT_OK = 0,            /* success */
	EXIT_RUN = 1,           /* the run (or the check it made) failed */
	EXIT_USAGE = 2,         /* bad usage or bad input: scenario, file, argument */
	EXIT_SLO = 3,           /* it ran, and an SLO failed (run, loadtest; not with
				 * --no-fail-on-slo) */
};

/* One command: its name, the synopsis of `airtime help`, the text of
 * `airtime help NAME`, and its entry point (argv[0] is the command name). */
struct cli_command {
	const char *name;
	const char *synopsis;
	const char *help;
	int (*fn)(int argc, char **argv);
};

/* The exit code for an error: 2 for bad input (ERR_INPUT), else 1. */
int cli_exit_for(const struct error *e);

/* Print "airtime: MESSAGE" on stderr and return cli_exit_for(e). */
int cli_fail(const struct error *e);

/* A library call that may succeed with a warning (rc > 0): print it, exit 0. */
int cli_status(int rc, const struct error *e);

/* The scenario options every scenario-reading command shares. */
struct cli_scenario_opts {
	const char **sets;     /* "section.key=value", borrowed from argv or owned (seed) */
	size_t n_sets, cap_sets;
	char *seed_set;        /* owned "run.seed=N" for --seed */
};

void cli_scenario_opts_release(struct cli_scenario_opts *o);

/* Append one "section.key=value" (borrowed) to the options. */
void cli_scenario_opts_add(struct cli_scenario_opts *o, const char *set);

/* cliopt takers of --set and --seed (target: a struct cli_scenario_opts). */
int cli_take_set(const char *cmd, const struct cliopt *o, const char *opt, const char *val);
int cli_take_seed(const char *cmd, const struct cliopt *o, const char *opt, const char *val);

/* The rows of --set and --seed in a command's option table. */
#define CLI_SCENARIO_OPTIONS(so) \
	CLIOPT_VALUE("--set", NULL, "an argument", cli_take_set, so), \
	CLIOPT_VALUE("--seed", NULL, "an argument", cli_take_seed, so)

/* The --set list with --seed's override last (it wins whatever the order);
 * undo with cli_scenario_opts_unseal.  Returns the number of sets. */
size_t cli_scenario_opts_seal(struct cli_scenario_opts *o);
void cli_scenario_opts_unseal(struct cli_scenario_opts *o);

/* Load a scenario with the collected options; on failure print every
 * problem and set *code (2: a scenario that cannot be read is bad input). */
struct scenario *cli_load_scenario(const char *path, struct cli_scenario_opts *o, int *code);

/* Seconds on the monotonic clock. */
double cli_monotonic_s(void);

/* The simulation's progress line (on stderr, overwritten in place). */
struct cli_progress {
	bool enabled;
	double started, last;
	uint64_t last_events;
};

/* Start a progress line: enabled unless quiet and only on a terminal. */
void cli_progress_init(struct cli_progress *p, bool quiet);

/* A run_progress callback (eval/run.h); ctx is a struct cli_progress. */
struct run_progress;
void cli_progress_show(void *ctx, const struct run_progress *p);

/* Clear the line when it was shown. */
void cli_progress_end(struct cli_progress *p);

/* The SLO gate of run and loadtest: print one line per failing row of t
 * on stderr ("airtime: SLO failed: NAME: OBSERVED, target TARGET"), and
 * return EXIT_SLO when any failed, unless no_fail (then the lines say the
 * gate is off and EXIT_OK is returned). */
struct slo_table;
int cli_slo_gate(const struct slo_table *t, bool no_fail);

/* Is PATH an existing directory? */
bool cli_is_directory(const char *path);

/* Studies (sweep, replicate): the line printed as each cell finishes (a
 * study_progress callback, eval/study.h; ctx is a bool *quiet), and the
 * closing lines on how the cells ran (host measurements). */
struct study_progress;
struct study_stats;
void cli_study_progress(void *ctx, const struct study_progress *p);
void cli_study_print_stats(const struct study_stats *s);

/* The commands, in the order `airtime help` lists them. */
extern const struct cli_command cli_help, cli_run, cli_trace, cli_sweep, cli_replicate,
	cli_validate_sim, cli_validate, cli_reference, cli_forest, cli_loadtest, cli_serve,
	cli_redis_replay, cli_features, cli_report, cli_compare, cli_ope, cli_export;

/* The table of every command, NULL-terminated (cli/help.c). */
extern const struct cli_command *const cli_commands[];

/* The command named NAME, or NULL. */
const struct cli_command *cli_find(const char *name);

/* "usage: airtime SYNOPSIS\n\nHELP\n". */
void cli_print_command_help(FILE *f, const struct cli_command *c);

/* The list of commands and the exit codes. */
void cli_print_usage(FILE *f);

#endif
