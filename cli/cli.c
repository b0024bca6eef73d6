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

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Static_assert(CLIOPT_USAGE == EXIT_USAGE, "cliopt's usage errors exit 2");

int cli_exit_for(const struct error *e)
{
	return e->code == ERR_INPUT ? EXIT_USAGE : EXIT_RUN;
}

int cli_fail(const struct error *e)
{
	fprintf(stderr, "airtime: %s\n", e->msg);
	return cli_exit_for(e);
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

void cli_progress_init(struct cli_progress *p, bool quiet)
{
	memset(p, 0, sizeof(*p));
	p->enabled = !quiet && isatty(STDERR_FILENO);
	p->started = p->last = cli_monotonic_s();
}

/* One overwritten status line: simulated day, events per second, ETA. */
void cli_progress_show(void *ctx, const struct run_progress *p)
{
	struct cli_progress *st = ctx;
	double now = cli_monotonic_s(), frac, eta, rate;

	if (!st->enabled || now - st->last < 0.25)
		return;
	frac = ((double)(p->world_index - 1) + (double)p->now / (double)p->end) / p->worlds;
	rate = now > st->last ? (double)(p->events - st->last_events) / (now - st->last) : 0;
	if (p->events < st->last_events)
		rate = 0;
	eta = frac > 0.001 ? (now - st->started) * (1 - frac) / frac : 0;
	fprintf(stderr, "\r\033[Kworld %d/%d %s: day %.1f of %.1f, %.0fk events/s, ETA %.0fs",
		p->world_index, p->worlds, p->world, simtime_to_s(p->now) / 86400.0,
		simtime_to_s(p->end) / 86400.0, rate / 1e3, eta);
	st->last = now;
	st->last_events = p->events;
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->enabled)
		fprintf(stderr, "\r\033[K");
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
