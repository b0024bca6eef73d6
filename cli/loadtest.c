/*
 * `airtime loadtest`: the real serving path of a run directory under an open-loop load in wall-clock time.
 */
#include "cli/cli.h"
#include "common/simtime.h"
#include "engine/rank.h"
#include "eval/run.h"
#include "serve/loadrun.h"
#include "serve/servedir.h"
#include "stats/slo.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int take_duration_s(const char *cmd, const struct cliopt *o, const char *opt,
			   const char *val)
{
	int64_t us;
	const struct cliopt as_us = { .target = &us };
	int rc = cliopt_duration(cmd, &as_us, opt, val);

	if (rc)
		return rc;
	*(double *)o->target = (double)us / 1e6;
	if (!(*(double *)o->target > 0))
		return cliopt_usage_error(cmd, "--duration must be positive, not '%s'", val);
	return 0;
}

static int take_scorer(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	int sc = rank_scorer_from_name(val);

	(void)opt;
	if (sc < 0 || sc == RANK_ORACLE)
		return cliopt_usage_error(cmd, "bad --scorer '%s' (forest, heuristic, popularity or "
					  "random)", val);
	*(enum rank_scorer *)o->target = (enum rank_scorer)sc;
	return 0;
}

/* Run a scenario into a new run directory under reports/ (kept). */
static int run_first(const char *path, struct cli_scenario_opts *opts, char *dir, size_t n)
{
	struct run_options ro = { 0 };
	struct run_summary sum;
	struct scenario *sc;
	struct error e;
	int code = EXIT_OK;
	double t0 = cli_monotonic_s();

	sc = cli_load_scenario(path, opts, &code);
	if (!sc)
		return code;
	fprintf(stderr, "airtime loadtest: '%s' is a scenario: running it first (simulated, "
			"as 'airtime run' does)...\n", path);
	ro.reports_base = "reports";
	error_clear(&e);
	if (run_execute(sc, &ro, &sum, &e) < 0) {
		scenario_free(sc);
		return cli_fail(&e);
	}
	scenario_free(sc);
	fprintf(stderr, "airtime loadtest: run directory %s (%.1f s); load testing it\n", sum.dir,
		cli_monotonic_s() - t0);
	snprintf(dir, n, "%s", sum.dir);
	return EXIT_OK;
}

static void print_ns(const char *label, int64_t ns)
{
	printf(" %s %.3f ms", label, (double)ns / 1e6);
}

static void print_loadrun(const struct servedir *d, const struct loadrun_options *o,
			  const struct loadrun_summary *s)
{
	printf("load test of %s (wall clock, this host)\n", servedir_path(d));
	printf("serving time: %.3f days; %zu candidates per request; scorer %s%s", 
	       (double)servedir_time(d) / SIMTIME_DAY, s->candidates, rank_scorer_name(o->scorer),
	       s->trees ? "" : "\n");
	if (s->trees)
		printf(" (%zu trees)\n", s->trees);
	printf("schedule: %s, %zu requests over %.1f s, %zu threads, queue bound %zu\n",
	       o->shape == LOADRUN_CONSTANT ? "constant" : "scenario shape", s->requests,
	       o->duration_s, o->threads, o->queue_bound);
	printf("rate: intended %.1f rps (peak %.1f), achieved %.1f rps\n", s->intended_rate,
	       s->peak_rate, s->achieved_rate);
	printf("requests: %llu completed, %llu errors, %llu dropped (queue full), %llu late "
	       "(started > %.3g ms after intended)\n",
	       (unsigned long long)s->completed, (unsigned long long)s->errors,
	       (unsigned long long)s->dropped, (unsigned long long)s->late, o->late_after_ms);
	if (s->first_error[0])
		printf("first error: %s\n", s->first_error);
	printf("latency from intended start:");
	print_ns("p50", s->p50);
	print_ns("p90", s->p90);
	print_ns("p99", s->p99);
	print_ns("p99.9", s->p999);
	print_ns("p99.99", s->p9999);
	print_ns("max", s->max);
	printf("\nservice time p99 %.3f ms; start delay p99 %.3f ms\n", (double)s->service_p99 / 1e6,
	       (double)s->delay_p99 / 1e6);
	printf("feature read (host assembly, %llu requests): p50 %.3f ms, p99 %.3f ms, max "
	       "%.3f ms\n", (unsigned long long)s->reads, (double)s->read_p50 / 1e6,
	       (double)s->read_p99 / 1e6, (double)s->read_max / 1e6);
	printf("\nsecond  intended  achieved  p99 (ms)\n");
	for (size_t i = 0; i < s->seconds; i++)
		printf("%6zu  %8.0f  %8.0f  %8.3f\n", i, s->intended_per_s[i], s->achieved_per_s[i],
		       s->p99_per_s_us[i] / 1e3);
	printf("\nSLO verdict (host-measured):\n");
	for (size_t i = 0; i < s->slo.n; i++) {
		const struct slo_row *r = &s->slo.rows[i];

		printf("  %-4s %-42s %-12s target %-10s %s\n", slo_verdict_name(r->verdict), r->name,
		       r->observed, r->target, r->note);
	}
	if (s->run_id)
		printf("\nresults: %s/results.db (run %lld, name 'loadtest')\n", servedir_path(d),
		       (long long)s->run_id);
	if (s->csv[0])
		printf("percentiles: %s\n", s->csv);
	if (s->plot[0])
		printf("plot: %s\n", s->plot);
	if (s->warning[0])
		fprintf(stderr, "airtime: warning: %s\n", s->warning);
}

static int cmd_loadtest(int argc, char **argv)
{
	struct cli_scenario_opts opts = { 0 };
	struct loadrun_options o;
	struct loadrun_summary sum;
	struct servedir_options so = { 0 };
	struct servedir *d = NULL;
	const char *path = NULL;
	static const char *const shapes[] = { "constant", "scenario", NULL }; /* enum order */
	int shape = -1;
	int64_t late_us;
	bool late_set = false;
	char dir[4096];
	struct error e;
	int code;
	const struct cliopt table[] = {
		CLIOPT_VALUE("--set", NULL, "an argument", cli_take_set, &opts),
		CLIOPT_VALUE("--rate", NULL, "a value", cliopt_positive, &o.rate),
		CLIOPT_VALUE("--duration", NULL, "a value", take_duration_s, &o.duration_s),
		CLIOPT_UINT("--threads", cliopt_size, &o.threads, 1, 1024),
		CLIOPT_UINT("--queue", cliopt_size, &o.queue_bound, 1, 100000000),
		CLIOPT_UINT("--seed", cliopt_uint, &o.seed, 0, UINT64_MAX),
		CLIOPT_CHOICE("--shape", "a value", shapes, "bad --shape '%s' (constant or scenario)",
			      &shape),
		CLIOPT_VALUE("--compress", NULL, "a value", cliopt_positive, &o.compress),
		{ .name = "--from", .needs = "a value", .take = cliopt_duration, .target = &o.from,
		  .seen = &o.from_set },
		{ .name = "--at", .needs = "a value", .take = cliopt_duration, .target = &so.at,
		  .seen = &so.at_set },
		{ .name = "--late-after", .needs = "a value", .take = cliopt_duration,
		  .target = &late_us, .seen = &late_set },
		CLIOPT_VALUE("--scorer", NULL, "a value", take_scorer, &o.scorer),
		CLIOPT_VALUE("--out", "-o", "a value", cliopt_string, &o.csv_path),
		CLIOPT_ONE_OPERAND("one run directory or scenario", "missing RUN_DIR or SCENARIO",
				   &path),
		CLIOPT_END,
	};

	loadrun_options_defaults(&o);
	memset(&sum, 0, sizeof(sum));
	if ((code = cliopt_parse("loadtest", argc, argv, 1, table)))
		goto out;
	if (shape >= 0)
		o.shape = (enum loadrun_shape)shape;
	if (late_set)
		o.late_after_ms = (double)late_us / 1e3;
	if (cli_is_directory(path)) {
		if (opts.n_sets) {
			code = cliopt_usage_error("loadtest", "--set applies to a SCENARIO, not to a run "
						  "directory (it keeps its own)");
			goto out;
		}
		snprintf(dir, sizeof(dir), "%s", path);
	} else if ((code = run_first(path, &opts, dir, sizeof(dir))) != EXIT_OK) {
		goto out;
	}
	error_clear(&e);
	if (!(d = servedir_open(dir, &so, &e))) {
		code = cli_fail(&e);
		goto out;
	}
	if (loadrun_execute(d, &o, &sum, &e) < 0) {
		code = cli_fail(&e);
		goto out;
	}
	print_loadrun(d, &o, &sum);
out:
	loadrun_summary_release(&sum);
	servedir_free(d);
	cli_scenario_opts_release(&opts);
	return code;
}

const struct cli_command cli_loadtest = {
	"loadtest",
	"loadtest RUN_DIR|SCENARIO [--rate R] [--duration D] [--threads N]\n"
	"         [--shape constant|scenario] [--compress X] [--from TIME] [--scorer NAME]\n"
	"         [--at TIME] [--queue N] [--late-after D] [--seed N] [--out FILE.csv]\n"
	"         [--set section.key=value]...",
	"Drive the real serving path of a run directory (candidates, online-store reads,\n"
	"scoring, top-K) in WALL-CLOCK time from N threads with an open-loop arrival\n"
	"schedule, and measure latency from each request's intended start (no coordinated\n"
	"omission).  Given a SCENARIO file instead of a directory, it is run first (as\n"
	"'airtime run' would, --set applies) into a new directory under reports/, which is\n"
	"kept: the load test's results go into it.\n\n"
	"  --rate R         mean requests per second (default 500)\n"
	"  --duration D     wall-clock length, e.g. 30s, 2min (default 30s)\n"
	"  --threads N      worker threads (default 2)\n"
	"  --shape S        constant (request i at i/R), or scenario: the run's own sessions\n"
	"                   per simulated minute (daily cycle, spikes) from --from on,\n"
	"                   compressed --compress times, scaled to a mean of R\n"
	"  --compress X     simulated seconds per wall second (default 1440: a day a minute)\n"
	"  --from TIME      start of the scenario window, e.g. 8d or 200h (default: the\n"
	"                   start of the experiment)\n"
	"  --scorer NAME    forest (default), heuristic, popularity, random\n"
	"  --at TIME        serve as of this simulated time (default: the end of the\n"
	"                   experiment); the catalog is that instant's live + upcoming shows\n"
	"  --queue N        waiting requests at most; later arrivals are dropped (10000)\n"
	"  --late-after D   a request starting later than this is counted late (1ms)\n"
	"  --seed N         user draw (default 1)\n"
	"  --out FILE.csv   the percentile spectrum (default RUN_DIR/loadtest-ID-percentiles.csv)\n\n"
	"Prints intended vs achieved rate per second, p50/p90/p99/p99.9/p99.99/max, the\n"
	"feature-read histogram and an SLO verdict (the issue's target: p99 < 2 ms at 500\n"
	"rps, 1,000 candidates, 100 trees; the production SLO: 200 ms), and stores them in\n"
	"RUN_DIR/results.db as a run named 'loadtest' with a latency-over-time plot.\n"
	"Exit status 0 even when an SLO fails (the verdict is the result).",
	cmd_loadtest,
};
