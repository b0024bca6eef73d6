/*
 * What the commands share: errors to exit codes, the scenario options, the
 * progress line.
 */
#include "cli/cli.h"

#include "common/simtime.h"
#include "common/units.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "eval/run.h"
#include "eval/study.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Static_assert(CLIOPT_USAGE == EXIT_USAGE, "cliopt's usage errors exit 2");

volatile sig_atomic_t cli_stop;

int cli_exit_for(const struct error *e)
{
	if (e->code == ERR_INTERRUPTED)
		return 128 + (cli_stop ? cli_stop : SIGINT);
	return e->code == ERR_INPUT ? EXIT_USAGE : EXIT_RUN;
}

int cli_fail(const struct error *e)
{
	if (e->code == ERR_INTERRUPTED)
		fprintf(stderr, "airtime: %s by %s: temporary files removed, nothing written "
			"(%s)\n", cli_stop == SIGTERM ? "stopped" : "interrupted",
			cli_stop == SIGTERM ? "SIGTERM" : "SIGINT", e->msg);
	else
		fprintf(stderr, "airtime: %s\n", e->msg);
	return cli_exit_for(e);
}

static struct sigaction old_int, old_term;
static bool signals_installed;

static void on_stop_signal(int sig)
{
	if (cli_stop) {
		/* A second signal: the user means it. */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	cli_stop = sig;
}

void cli_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	cli_stop = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signals_installed = true;
}

void cli_signals_restore(void)
{
	if (!signals_installed)
		return;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	signals_installed = false;
}

int cli_status(int rc, const struct error *e)
{
	if (rc < 0)
		return cli_fail(e);
	if (rc > 0)
		fprintf(stderr, "airtime: warning: %s\n", e->msg);
	return EXIT_OK;
}

void cli_scenario_opts_release(struct cli_scenario_opts *o)
{
	free(o->sets);
	free(o->seed_set);
	memset(o, 0, sizeof(*o));
}

void cli_scenario_opts_add(struct cli_scenario_opts *o, const char *set)
{
	XGROW(o->sets, o->n_sets + 1, o->cap_sets);
	o->sets[o->n_sets++] = set;
}

int cli_take_set(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	(void)cmd, (void)opt;
	cli_scenario_opts_add(o->target, val);
	return 0;
}

/* --seed N is turned into the override run.seed=N so it reaches the
 * scenario through the same parser; it applies after every --set,
 * whatever the order. */
int cli_take_seed(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	struct cli_scenario_opts *so = o->target;
	struct error e;
	int64_t n;

	(void)opt;
	if (units_parse_int(val, &n, &e) < 0 || n < 0)
		return cliopt_usage_error(cmd, "bad seed '%s': expected a non-negative integer", val);
	free(so->seed_set);
	so->seed_set = xasprintf("run.seed=%s", val);
	return 0;
}

size_t cli_scenario_opts_seal(struct cli_scenario_opts *o)
{
	if (o->seed_set)
		cli_scenario_opts_add(o, o->seed_set);
	return o->n_sets;
}

void cli_scenario_opts_unseal(struct cli_scenario_opts *o)
{
	if (o->seed_set)
		o->n_sets--;
}

struct scenario *cli_load_scenario(const char *path, struct cli_scenario_opts *o, int *code)
{
	struct scenario *sc;
	struct error e;

	error_clear(&e);
	cli_scenario_opts_seal(o);
	sc = scenario_load(&config_schema, path, o->sets, o->n_sets, &e);
	cli_scenario_opts_unseal(o);
	if (!sc) {
		/* Messages already start with the file name, compiler style. */
		fprintf(stderr, "%s%s\n", e.code == ERR_INPUT ? "" : "airtime: ", e.msg);
		*code = EXIT_USAGE;
	}
	return sc;
}

double cli_monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_progress_init(struct cli_progress *p, bool quiet, bool forced)
{
	memset(p, 0, sizeof(*p));
	p->out = stderr;
	p->forced = forced;
	if (quiet)
		p->mode = CLI_PROGRESS_OFF;
	else if (!forced && isatty(STDERR_FILENO))
		p->mode = CLI_PROGRESS_TTY;
	else
		p->mode = CLI_PROGRESS_LINES;
	p->every = forced ? CLI_PROGRESS_FORCED_S : CLI_PROGRESS_EVERY_S;
	p->started = p->last = p->phase_started = cli_monotonic_s();
}

/* "world 1/2 split" (just "split" with one world). */
static void world_label(const struct run_progress *p, char *buf, size_t n)
{
	if (p->worlds > 1)
		snprintf(buf, n, "world %d/%d %s", p->world_index, p->worlds, p->world);
	else
		snprintf(buf, n, "world %s", p->world);
}

/* The text of a phase's line while it runs (no newline). */
static void phase_text(struct cli_progress *st, const struct run_progress *p, double now,
		       char *buf, size_t n)
{
	char who[96];
	double frac, eta, rate;

	world_label(p, who, sizeof(who));
	switch (p->phase) {
	case RUN_PHASE_SIMULATION:
		frac = ((double)(p->world_index - 1) + (p->end > 0 ? (double)p->now /
			(double)p->end : 0)) / p->worlds;
		rate = now > st->last && p->events >= st->last_events ?
		       (double)(p->events - st->last_events) / (now - st->last) : 0;
		eta = frac > 0.001 ? (now - st->started) * (1 - frac) / frac : 0;
		snprintf(buf, n, "simulation, %s: day %.1f of %.1f, %.0fk events/s, ETA %.0f s",
			 who, simtime_to_s(p->now) / 86400.0, simtime_to_s(p->end) / 86400.0,
			 rate / 1e3, eta);
		break;
	case RUN_PHASE_TRAINING:
		snprintf(buf, n, "training, %s: at day %.1f, %.0f s so far", who,
			 simtime_to_s(p->now) / 86400.0, now - st->phase_started);
		break;
	case RUN_PHASE_REPORT:
		snprintf(buf, n, "report: report.md, report.html and plots, %.0f s so far",
			 now - st->phase_started);
		break;
	}
}

/* The line a phase leaves when it ends. */
static void phase_done_text(struct cli_progress *st, const struct run_progress *p, double now,
			    char *buf, size_t n)
{
	char who[96];

	world_label(p, who, sizeof(who));
	switch (p->phase) {
	case RUN_PHASE_SIMULATION:
		snprintf(buf, n, "simulation, %s: %.1f days, %llu events in %.1f s", who,
			 simtime_to_s(p->end) / 86400.0, (unsigned long long)p->events,
			 now - st->phase_started);
		break;
	case RUN_PHASE_TRAINING:
		snprintf(buf, n, "training, %s: at day %.1f, done in %.1f s", who,
			 simtime_to_s(p->now) / 86400.0, now - st->phase_started);
		break;
	case RUN_PHASE_REPORT:
		snprintf(buf, n, "report: written in %.1f s", now - st->phase_started);
		break;
	}
}

void cli_progress_show(void *ctx, const struct run_progress *p)
{
	struct cli_progress *st = ctx;
	double now = cli_monotonic_s();
	char text[256];

	if (st->mode == CLI_PROGRESS_OFF)
		return;
	if (p->started) {
		st->phase_started = now;
		st->last_events = p->events;
		st->last = now;
	}
	if (p->done) {
		/* The phase's own line stays: on a terminal always, in plain
		 * lines once the run is long enough to be watched. */
		phase_done_text(st, p, now, text, sizeof(text));
		if (st->mode == CLI_PROGRESS_TTY)
			fprintf(st->out, "\r\033[K%s\n", text);
		else if (st->forced || now - st->started >= st->every)
			fprintf(st->out, "airtime: %s\n", text);
		st->shown = false;
		st->last = now;
		st->last_events = p->events;
		fflush(st->out);
		return;
	}
	if (st->mode == CLI_PROGRESS_TTY) {
		if (!p->started && now - st->last < 0.25)
			return;
		phase_text(st, p, now, text, sizeof(text));
		fprintf(st->out, "\r\033[K%s", text);
		st->shown = true;
	} else {
		if (now - st->last < st->every)
			return;
		phase_text(st, p, now, text, sizeof(text));
		fprintf(st->out, "airtime: [%.0f s] %s\n", now - st->started, text);
	}
	fflush(st->out);
	st->last = now;
	st->last_events = p->events;
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->mode == CLI_PROGRESS_TTY && p->shown)
		fprintf(p->out, "\r\033[K");
	p->shown = false;
}

int cli_need_input(const char *path, const char *what)
{
	if (access(path, R_OK) == 0)
		return 0;
	fprintf(stderr, "airtime: cannot open %s '%s': %s\n", what, path, strerror(errno));
	return EXIT_USAGE;
}

int cli_need_run_dir(const char *dir)
{
	char *db;
	int ok;

	if (!cli_is_directory(dir)) {
		fprintf(stderr, "airtime: '%s' is not a run directory: %s\n", dir,
			access(dir, F_OK) == 0 ? "not a directory" : strerror(errno));
		return EXIT_USAGE;
	}
	db = xasprintf("%s/results.db", dir);
	ok = access(db, R_OK) == 0;
	if (!ok)
		fprintf(stderr, "airtime: '%s' is not a run directory: '%s' not found\n", dir, db);
	free(db);
	return ok ? 0 : EXIT_USAGE;
}

bool cli_is_directory(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int cli_slo_gate(const struct slo_table *t, bool no_fail)
{
	size_t failed = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct slo_row *r = &t->rows[i];

		if (r->verdict != SLO_FAIL)
			continue;
		failed++;
		fprintf(stderr, "airtime: SLO failed: %s: %s, target %s%s%s\n", r->name, r->observed,
			r->target, r->host_measured ? " (host measurement)" : "",
			no_fail ? " (--no-fail-on-slo: not gating)" : "");
	}
	return failed && !no_fail ? EXIT_SLO : EXIT_OK;
}

void cli_study_progress(void *ctx, const struct study_progress *p)
{
	const bool *quiet = ctx;

	if (*quiet)
		return;
	if (p->done)
		fprintf(stderr, "[%zu/%zu] %s done in %.1f s (%s on %s)\n", p->finished, p->to_run,
			p->name, p->run_s, p->worker, p->host);
	else
		fprintf(stderr, "[%zu/%zu] %s FAILED after %.1f s (%s on %s): %s\n", p->finished,
			p->to_run, p->name, p->run_s, p->worker, p->host, p->error);
}

void cli_study_print_stats(const struct study_stats *s)
{
	printf("cells: %zu run now, %zu stored before (skipped), %zu failed; ", s->ran, s->skipped,
	       s->failed);
	if (s->mpi)
		printf("%d MPI rank%s\n", s->ranks, s->ranks == 1 ? "" : "s");
	else
		printf("%d local worker process%s\n", s->ranks, s->ranks == 1 ? "" : "es");
	if (s->ran)
		printf("host: %.1f s of cells; per cell, transfer %.1f ms median (max %.1f), "
		       "durable store %.1f ms median (max %.1f)\n", s->wall_s,
		       1e3 * s->transfer_median_s, 1e3 * s->transfer_max_s,
		       1e3 * s->store_median_s, 1e3 * s->store_max_s);
}
