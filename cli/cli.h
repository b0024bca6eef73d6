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
	EXIT_SIGINT = 130,      /* interrupted by Ctrl-C (128 + SIGINT); nothing left behind */
	EXIT_SIGTERM = 143,     /* stopped by SIGTERM (128 + SIGTERM); nothing left behind */
};

/* One command: its name, the synopsis of `airtime help`, the text of
 * `airtime help NAME`, and its entry point (argv[0] is the command name). */
struct cli_command {
	const char *name;
	const char *synopsis;
	const char *help;
	int (*fn)(int argc, char **argv);
};

/* The exit code for an error: 2 for bad input (ERR_INPUT), 128 + the
 * signal for an interruption (ERR_INTERRUPTED: 130 for SIGINT, 143 for
 * SIGTERM), else 1. */
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

/* Progress of a run on stderr.  On a terminal: one line per phase
 * (each world's simulation, each training, the report), overwritten in
 * place while the phase runs and left standing with its duration when it
 * ends.  Otherwise (stderr not a terminal, or --progress): a plain line
 * every `every` seconds while the run goes on, and a line at each phase's
 * end once the run has lasted that long (with --progress: always). */
enum cli_progress_mode { CLI_PROGRESS_OFF, CLI_PROGRESS_TTY, CLI_PROGRESS_LINES };

struct cli_progress {
	enum cli_progress_mode mode;
	bool forced;             /* --progress */
	double every;            /* seconds between plain lines */
	double started, last, phase_started;
	uint64_t last_events;
	bool shown;              /* a terminal line is on screen */
	FILE *out;               /* stderr (tests may point it elsewhere) */
};

/* Seconds between plain progress lines without a terminal, and with
 * --progress. */
#define CLI_PROGRESS_EVERY_S 30.0
#define CLI_PROGRESS_FORCED_S 5.0

/* Start: off when quiet; plain lines when forced (--progress) or stderr is
 * not a terminal; else the terminal line. */
void cli_progress_init(struct cli_progress *p, bool quiet, bool forced);

/* A run_progress callback (eval/run.h); ctx is a struct cli_progress. */
struct run_progress;
void cli_progress_show(void *ctx, const struct run_progress *p);

/* Clear a terminal line left unfinished (a failed or interrupted run). */
void cli_progress_end(struct cli_progress *p);

/* Ctrl-C and SIGTERM.  cli_signals_install makes the first SIGINT or
 * SIGTERM set cli_stop to the signal's number (the run stops at its next
 * check, removes its temporary directory and returns ERR_INTERRUPTED); a
 * second one ends the process at once with the default action.
 * cli_signals_restore puts the previous handlers back. */
#include <signal.h>
extern volatile sig_atomic_t cli_stop;
void cli_signals_install(void);
void cli_signals_restore(void);

/* The SLO gate of run and loadtest: print one line per failing row of t
 * on stderr ("airtime: SLO failed: NAME: OBSERVED, target TARGET"), and
 * return EXIT_SLO when any failed, unless no_fail (then the lines say the
 * gate is off and EXIT_OK is returned). */
struct slo_table;
int cli_slo_gate(const struct slo_table *t, bool no_fail);

/* Inputs the user names are bad input when missing (exit 2, whatever the
 * library would call it): 0 when PATH can be read, else print "airtime:
 * cannot open WHAT 'PATH': REASON" and return EXIT_USAGE. */
int cli_need_input(const char *path, const char *what);

/* The same for a run directory (it must hold results.db): "airtime: 'DIR'
 * is not a run directory: ...", EXIT_USAGE. */
int cli_need_run_dir(const char *dir);

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
