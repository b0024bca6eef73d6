/*
 * airtime: the command line.  Parses arguments (each command's option table
 * goes to cliopt_parse, see cliopt.h), dispatches subcommands, and
 * is the only place that prints to stdout or decides exit codes:
 *   0 success, 1 the run failed, 2 bad usage or bad scenario.
 */
#include "cliopt.h"
#include "common/error.h"
#include "common/scenario.h"
#include "common/units.h"
#include "common/version.h"
#include "common/xalloc.h"
#include "engine/forest.h"
#include "eval/compare.h"
#include "eval/features_tool.h"
#include "eval/forest_tool.h"
#include "eval/loadrun.h"
#include "eval/report.h"
#include "eval/run.h"
#include "eval/sweep.h"
#include "eval/validity.h"
#include "eval/rundir.h"
#include "common/trace.h"
#include "common/event.h"
#include "eval/servedir.h"
#include "eval/server.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

enum { EXIT_OK = 0, EXIT_RUN = 1, EXIT_USAGE = 2 };
_Static_assert(CLIOPT_USAGE == EXIT_USAGE, "cliopt's usage errors exit 2");

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
static int cmd_forest(int argc, char **argv);
static int cmd_features(int argc, char **argv);
static int cmd_report(int argc, char **argv);
static int cmd_compare(int argc, char **argv);
static int cmd_run(int argc, char **argv);
static int cmd_sweep(int argc, char **argv);
static int cmd_validate_sim(int argc, char **argv);
static int cmd_trace(int argc, char **argv);
static int cmd_loadtest(int argc, char **argv);
static int cmd_serve(int argc, char **argv);

static const struct command commands[] = {
	{ "help", "help [COMMAND]", "Show help for airtime or for one command.", cmd_help },
	{ "run", "run SCENARIO [--out DIR] [--seed N] [--set section.key=value]... [--trace FILE] [--quiet]",
	  "Simulate the scenario end to end (warm-up, training, A/B experiment) and write a\n"
	  "run directory: reports/NAME-<id>/ (or --out DIR, which must not exist or be empty)\n"
	  "with results.db, features.db, lake/, model.forest, report.md, report.html, plots/,\n"
	  "and the exact scenario text and seed it was made from.  The directory appears only\n"
	  "when the run succeeded.  A progress line is shown on stderr when it is a terminal\n"
	  "(not with --quiet).  --seed N is short for --set run.seed=N.\n"
	  "--trace FILE replays a recorded trace (airtime trace import checks one) through\n"
	  "the pipeline instead of the synthetic population: no behaviour model runs, every\n"
	  "page is ranked by the control ranker, and no A/B analysis is made.",
	  cmd_run },
	{ "trace", "trace export SCENARIO -o FILE [--format binary|csv] [--seed N] [--set s.k=v]...\n"
		   "  trace import FILE",
	  "export: run the scenario (its first world) and write every backend event it\n"
	  "emitted to FILE, as compact binary (default) or CSV with the columns\n"
	  "  " TRACE_CSV_HEADER "\n"
	  "(times in microseconds since the scenario epoch; see common/trace.h).  No run\n"
	  "directory is kept.\n"
	  "import: read and validate a trace (binary or CSV) and summarise it; every\n"
	  "malformed row is reported with its row number and column, and the exit code is\n"
	  "then 2.  A valid trace can be replayed with 'airtime run SCENARIO --trace FILE'.",
	  cmd_trace },
	{ "sweep", "sweep SCENARIO --grid section.key=v1,v2,... [--grid ...] [--out DIR] [--set ...]... [--seed N] [--quiet]",
	  "Run the scenario once per cell of the cartesian grid (first --grid varies slowest,\n"
	  "at most 4 axes and 256 cells), e.g.\n"
	  "    airtime sweep scenarios/capacity-sweep.ini \\\n"
	  "        --grid endpoint.min_instances+endpoint.initial_instances=1,2,4 \\\n"
	  "        --grid endpoint.target_invocations=300,600,1200\n"
	  "Keys joined by '+' take the same value (for keys whose bounds depend on each other).\n"
	  "Each cell is a full run in DIR/cell-NNN.  The sweep directory (reports/NAME-sweep-<id>/\n"
	  "or --out DIR) holds results.db (sweep_axes, sweep_cells, sweep_values), sweep.csv\n"
	  "and sweep.png/.svg: cost (instance-hours) against p99 latency, marking the cheapest\n"
	  "policy meeting p99 < 200 ms and availability >= 99.8 %.",
	  cmd_sweep },
	{ "validate-sim", "validate-sim RUN_DIR [--quiet] [--no-report]",
	  "Check the simulator against its own configuration: replay the run's world from\n"
	  "scenario.ini, overrides.txt and seed (the simulation is deterministic; a uniform-\n"
	  "random page of live shows stands in for the ranker) and test the observed marginals\n"
	  "against the configured ones: hourly and weekly session profiles (chi-square), sessions\n"
	  "per user (Poisson dispersion), first tune-in position against the examination curve\n"
	  "(chi-square), listening duration against the lognormal (KS, censoring\n"
	  "handled), spike sizes against magnitude / (1 - branching), declared against true\n"
	  "interests.  Prints one line per check and stores them in RUN_DIR/results.db table\n"
	  "validity_checks, then rebuilds RUN_DIR/report.md and report.html so their\n"
	  "\"Simulator validity\" section shows the checks (--no-report: leave the report;\n"
	  "a report that cannot be rebuilt is a warning).  Exit code 0 when every check\n"
	  "passes, 1 when one fails.",
	  cmd_validate_sim },
	{ "validate", "validate SCENARIO [--set section.key=value]... [--seed N]",
	  "Read a scenario, apply the overrides, and print it fully resolved (every key,\n"
	  "defaults included, canonical units) as an INI file on stdout.  Problems go to\n"
	  "stderr, all of them, one per line as FILE:LINE: message; the exit code is then 2.\n"
	  "A scenario that parses is then checked as a run would check it (rules between\n"
	  "keys), reporting the first problem in the same form.\n"
	  "--seed N is short for --set run.seed=N.",
	  cmd_validate },
	{ "reference", "reference",
	  "Print the Markdown reference of every scenario key (type, default, accepted\n"
	  "values, description): the table in scenarios/README.md.",
	  cmd_reference },
	{ "forest", "forest train|predict|eval|importance ...",
	  "Train, apply and inspect a random forest on a numeric CSV (header row; empty or NA\n"
	  "is missing).\n\n"
	  "  forest train --csv FILE --label COL -o MODEL [--trees N] [--mtry N]\n"
	  "        [--max-depth N] [--min-leaf N] [--max-leaves N] [--criterion gini|entropy]\n"
	  "        [--task classify|regress] [--seed N] [--threads N] [--bins N]\n"
	  "        [--exact-below N] [--no-bootstrap]\n"
	  "      every column but COL is a feature; writes MODEL, prints OOB AUC (or R^2).\n"
	  "  forest predict --model MODEL --csv FILE\n"
	  "      one prediction (probability) per row to stdout.\n"
	  "  forest eval --model MODEL --csv FILE --label COL\n"
	  "      AUC, log loss, Brier and a calibration table by decile (RMSE, R^2 if regression).\n"
	  "  forest importance --model MODEL [--csv FILE --label COL]\n"
	  "      impurity importance; with data, permutation importance too.\n\n"
	  "Defaults: 100 trees, mtry sqrt(features) (features/3 for regression), unlimited depth,\n"
	  "min leaf 1, no leaf limit, gini, 255 bins, seed 1, 1 thread.\n"
	  "Columns are matched by name; the same seed gives the same model for any --threads.",
	  cmd_forest },
	{ "loadtest",
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
	  cmd_loadtest },
	{ "serve", "serve RUN_DIR [--port P] [--bind ADDR] [--threads N] [--at TIME]",
	  "Serve home pages of a run directory over HTTP (libmicrohttpd) until interrupted:\n"
	  "  GET /v1/recommendations?user=ID[&k=K][&scorer=NAME]   JSON page\n"
	  "  GET /healthz                                           JSON status\n"
	  "  GET /metrics                                           Prometheus text format\n"
	  "Binds 127.0.0.1:8080 by default (--port 0 picks a free port, printed).  Bad\n"
	  "parameters get 400 with a JSON error; users beyond the population get the\n"
	  "cold-start page (heuristic, no declared topics).  --at as for loadtest.",
	  cmd_serve },
	{ "features", "features export RUN_DIR --at TIME [--group NAME] [--as-known-at] [-o FILE]",
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
	  cmd_features },
	{ "report", "report RUN_DIR",
	  "Rebuild RUN_DIR/report.md, RUN_DIR/report.html (self-contained) and RUN_DIR/plots/\n"
	  "from RUN_DIR/results.db alone.  Without gnuplot the report is written without\n"
	  "pictures and a warning is printed (exit 0).",
	  cmd_report },
	{ "compare", "compare RUN_DIR [--run ID] RUN_DIR [--run ID]... [--out DIR]",
	  "Compare runs (the first is the baseline) into DIR/compare.md and DIR/compare.html\n"
	  "(default DIR: 'compare' beside the first run): scenario keys that differ, A/B lifts,\n"
	  "SLO rows and counters side by side with differences, and overlaid time series.\n"
	  "A RUN_DIR's results.db may hold several runs (the worlds of a twin experiment,\n"
	  "load tests): --run ID after it selects one.  Without --run, compare takes the\n"
	  "run holding the experiment's analysis (A/B tables or SLO rows; never a load\n"
	  "test) and says so in compare.md; when none or several hold one, it exits 2\n"
	  "listing the runs' ids and names.  The same RUN_DIR may be given twice, with two\n"
	  "of its runs.",
	  cmd_compare },
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

static int take_set(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	struct scenario_opts *so = o->target;

	(void)cmd, (void)opt;
	XGROW(so->sets, so->n_sets + 1, so->cap_sets);
	so->sets[so->n_sets++] = val;
	return 0;
}

/* --seed N is turned into the override run.seed=N so it reaches the
 * scenario through the same parser; it applies after every --set,
 * whatever the order. */
static int take_seed(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	struct scenario_opts *so = o->target;
	struct error e;
	int64_t n;

	(void)opt;
	if (units_parse_int(val, &n, &e) < 0 || n < 0)
		return cliopt_usage_error(cmd, "bad seed '%s': expected a non-negative integer", val);
	free(so->seed_set);
	so->seed_set = xasprintf("run.seed=%s", val);
	return 0;
}

/* The rows of --set and --seed in a command's option table. */
#define SCENARIO_OPTIONS(so) \
	CLIOPT_VALUE("--set", NULL, "an argument", take_set, so), \
	CLIOPT_VALUE("--seed", NULL, "an argument", take_seed, so)

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

struct progress_state {
	bool enabled;
	double started, last;
	uint64_t last_events;
};

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One overwritten status line: simulated day, events per second, ETA. */
static void show_progress(void *ctx, const struct run_progress *p)
{
	struct progress_state *st = ctx;
	double now = monotonic_s(), frac, eta, rate;

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

static int cmd_run(int argc, char **argv)
{
	struct scenario_opts opts = { 0 };
	struct progress_state prog = { 0 };
	struct run_options ro = { 0 };
	struct run_summary sum;
	const char *path = NULL;
	struct scenario *sc;
	struct error e;
	bool quiet = false;
	int code, r;
	const struct cliopt table[] = {
		SCENARIO_OPTIONS(&opts),
		CLIOPT_FLAG("--quiet", "-q", &quiet),
		CLIOPT_VALUE("--out", "-o", "a directory", cliopt_string, &ro.out),
		CLIOPT_VALUE("--trace", NULL, "a trace file", cliopt_string, &ro.trace_in),
		CLIOPT_ONE_OPERAND("one scenario", "missing SCENARIO", &path),
		CLIOPT_END,
	};

	if ((code = cliopt_parse("run", argc, argv, 1, table)))
		goto out;
	sc = load_scenario(path, &opts, &code);
	if (!sc)
		goto out;
	prog.enabled = !quiet && isatty(STDERR_FILENO);
	prog.started = prog.last = monotonic_s();
	ro.reports_base = "reports";
	ro.progress = show_progress;
	ro.progress_ctx = &prog;
	error_clear(&e);
	r = run_execute(sc, &ro, &sum, &e);
	if (prog.enabled)
		fprintf(stderr, "\r\033[K");
	scenario_free(sc);
	if (r < 0) {
		code = fail(&e);
		goto out;
	}
	if (sum.warning[0])
		fprintf(stderr, "airtime: warning: %s\n", sum.warning);
	printf("run directory: %s\n", sum.dir);
	printf("events: %llu\n", (unsigned long long)sum.events);
	if (!isnan(sum.engagement_rel))
		printf("engagement actions: %+.2f %% [%+.2f, %+.2f]\n", 100 * sum.engagement_rel,
		       100 * sum.engagement_lo, 100 * sum.engagement_hi);
	if (!isnan(sum.listening_rel))
		printf("listening minutes:  %+.2f %% [%+.2f, %+.2f]\n", 100 * sum.listening_rel,
		       100 * sum.listening_lo, 100 * sum.listening_hi);
	printf("SLOs: %zu pass, %zu fail%s\n", sum.slo_pass, sum.slo_fail,
	       sum.srm_flagged ? "; SAMPLE RATIO MISMATCH: the split is suspect" : "");
	printf("report: %s/report.html\n", sum.dir);
out:
	scenario_opts_release(&opts);
	return code;
}

struct trace_summary {
	uint64_t by_type[EVENT_TYPE_COUNT];
	simtime first, last;
	uint64_t n;
};

static int summarise_event(void *ctx, const struct event *ev)
{
	struct trace_summary *t = ctx;

	if (ev->type < EVENT_TYPE_COUNT)
		t->by_type[ev->type]++;
	if (t->n == 0 || ev->emit_time < t->first)
		t->first = ev->emit_time;
	if (t->n == 0 || ev->emit_time > t->last)
		t->last = ev->emit_time;
	t->n++;
	return 0;
}

static int trace_import(const char *path)
{
	struct trace_summary sum = { 0 };
	struct trace_report rep;
	struct error e;
	int rc;

	error_clear(&e);
	memset(&rep, 0, sizeof(rep));
	rc = trace_read(path, summarise_event, &sum, &rep, &e);
	printf("trace: %s (%s)\n", path, rep.format == TRACE_CSV ? "csv" : "binary");
	printf("rows: %llu, valid: %llu, malformed: %llu\n", (unsigned long long)rep.rows,
	       (unsigned long long)rep.accepted, (unsigned long long)rep.malformed);
	for (size_t i = 0; i < rep.n_messages; i++)
		fprintf(stderr, "%s\n", rep.messages[i]);
	if (rep.malformed > rep.n_messages)
		fprintf(stderr, "(and %llu more malformed rows)\n",
			(unsigned long long)(rep.malformed - rep.n_messages));
	if (rc < 0) {
		if (!rep.malformed)
			fprintf(stderr, "airtime: %s\n", e.msg);
		return exit_for(&e);
	}
	if (sum.n)
		printf("time range: %.3f s .. %.3f s\n", simtime_to_s(sum.first),
		       simtime_to_s(sum.last));
	for (int t = 1; t < EVENT_TYPE_COUNT; t++)
		if (sum.by_type[t])
			printf("  %-16s %llu\n", event_type_name(t),
			       (unsigned long long)sum.by_type[t]);
	return EXIT_OK;
}

static int cmd_trace(int argc, char **argv)
{
	struct scenario_opts opts = { 0 };
	struct run_options ro = { 0 };
	struct run_summary sum;
	const char *path = NULL;
	char tmpl[] = "/tmp/airtime-trace-XXXXXX";
	struct scenario *sc;
	struct error e;
	int code, r, csv = 0;
	static const char *const formats[] = { "binary", "csv", NULL };
	const struct cliopt table[] = {
		SCENARIO_OPTIONS(&opts),
		CLIOPT_VALUE("--out", "-o", "a file", cliopt_string, &ro.trace_out),
		CLIOPT_CHOICE("--format", "binary or csv", formats,
			      "bad format '%s': expected binary or csv", &csv),
		CLIOPT_OPERAND("one scenario", cliopt_operand, &path),
		CLIOPT_END,
	};

	if (argc < 2)
		return cliopt_usage_error("trace", "missing 'export' or 'import'");
	if (!strcmp(argv[1], "import")) {
		if (argc != 3)
			return cliopt_usage_error("trace", "import takes one FILE");
		return trace_import(argv[2]);
	}
	if (strcmp(argv[1], "export"))
		return cliopt_usage_error("trace", "unknown subcommand '%s'", argv[1]);
	if ((code = cliopt_parse("trace", argc, argv, 2, table)))
		goto out;
	ro.trace_out_csv = csv;
	if (!path || !ro.trace_out) {
		code = cliopt_usage_error("trace", "export needs SCENARIO and -o FILE");
		goto out;
	}
	/* One world is one event stream: the split world. */
	XGROW(opts.sets, opts.n_sets + 1, opts.cap_sets);
	opts.sets[opts.n_sets++] = "ab.mode=split";
	sc = load_scenario(path, &opts, &code);
	if (!sc)
		goto out;
	/* The run directory is scratch: only the trace is kept. */
	if (!mkdtemp(tmpl)) {
		fprintf(stderr, "airtime: cannot make a scratch directory: %s\n", strerror(errno));
		scenario_free(sc);
		code = EXIT_RUN;
		goto out;
	}
	{
		char *out = xasprintf("%s/run", tmpl);

		ro.out = out;
		ro.no_report = true;
		error_clear(&e);
		r = run_execute(sc, &ro, &sum, &e);
		rundir_remove_tree(tmpl, NULL);
		free(out);
	}
	scenario_free(sc);
	if (r < 0) {
		code = fail(&e);
		goto out;
	}
	printf("trace: %s (%llu events)\n", ro.trace_out, (unsigned long long)sum.events);
out:
	scenario_opts_release(&opts);
	return code;
}

static void sweep_progress(void *ctx, size_t cell, size_t cells, const char *overrides)
{
	const bool *quiet = ctx;

	(void)cells;
	if (!*quiet)
		fprintf(stderr, "cell %zu: %s\n", cell, overrides);
}

static int take_grid(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	struct sweep_spec *spec = o->target;
	struct error e;

	(void)opt;
	if (spec->n_axes == SWEEP_MAX_AXES)
		return cliopt_usage_error(cmd, "at most 4 --grid axes, '%s' is extra", val);
	error_clear(&e);
	if (sweep_axis_parse(&spec->axes[spec->n_axes], val, &e) < 0)
		return cliopt_usage_error(cmd, "%s", e.msg);
	spec->n_axes++;
	return 0;
}

static int cmd_sweep(int argc, char **argv)
{
	struct scenario_opts opts = { 0 };
	struct progress_state prog = { 0 };
	struct sweep_spec spec = { 0 };
	struct sweep_result res = { 0 };
	struct error e;
	bool quiet = false;
	int code, r;
	const struct cliopt table[] = {
		SCENARIO_OPTIONS(&opts),
		CLIOPT_FLAG("--quiet", "-q", &quiet),
		CLIOPT_VALUE("--out", "-o", "an argument", cliopt_string, &spec.out),
		CLIOPT_VALUE("--grid", NULL, "an argument", take_grid, &spec),
		CLIOPT_ONE_OPERAND("one scenario", "missing SCENARIO", &spec.scenario),
		CLIOPT_END,
	};

	if ((code = cliopt_parse("sweep", argc, argv, 1, table)))
		goto out;
	if (spec.n_axes == 0) {
		code = cliopt_usage_error("sweep", "missing --grid section.key=v1,v2,...");
		goto out;
	}
	if (opts.seed_set) {
		XGROW(opts.sets, opts.n_sets + 1, opts.cap_sets);
		opts.sets[opts.n_sets++] = opts.seed_set;
	}
	spec.sets = opts.sets;
	spec.n_sets = opts.n_sets;
	spec.reports_base = "reports";
	spec.plots = true;
	spec.progress = sweep_progress;
	spec.progress_ctx = &quiet;
	prog.enabled = !quiet && isatty(STDERR_FILENO);
	prog.started = prog.last = monotonic_s();
	spec.run_progress = show_progress;
	spec.run_progress_ctx = &prog;
	error_clear(&e);
	r = sweep_execute(&spec, &res, &e);
	if (prog.enabled)
		fprintf(stderr, "\r\033[K");
	if (r < 0) {
		code = fail(&e);
		goto out;
	}
	if (res.warning[0])
		fprintf(stderr, "airtime: warning: %s\n", res.warning);
	printf("sweep directory: %s\n", res.dir);
	printf("%-4s %-60s %14s %10s %12s %s\n", "cell", "policy", "instance-h", "p99 ms",
	       "availability", "SLO");
	for (size_t i = 0; i < res.n_cells; i++) {
		const struct sweep_cell *c = &res.cells[i];

		printf("%-4zu %-60s %14.2f %10.1f %11.4f%% %s%s\n", i, c->overrides,
		       c->instance_hours, c->p99_ms, 100 * c->availability,
		       c->meets_slo ? "meets" : "misses", c->cheapest ? " (cheapest)" : "");
	}
	if (res.cheapest >= 0)
		printf("cheapest policy meeting the SLO: %s\n", res.cells[res.cheapest].overrides);
	else
		printf("no policy of the grid meets the SLO\n");
	sweep_result_release(&res);
out:
	for (size_t a = 0; a < spec.n_axes; a++)
		sweep_axis_release(&spec.axes[a]);
	scenario_opts_release(&opts);
	return code;
}

static int cmd_validate_sim(int argc, char **argv)
{
	struct validity_report rep;
	const char *dir = NULL;
	bool quiet = false, no_report = false;
	struct error e;
	int rc;
	const struct cliopt table[] = {
		CLIOPT_FLAG("--quiet", "-q", &quiet),
		CLIOPT_FLAG("--no-report", NULL, &no_report),
		CLIOPT_ONE_OPERAND("one run directory", "missing RUN_DIR", &dir),
		CLIOPT_END,
	};

	if ((rc = cliopt_parse("validate-sim", argc, argv, 1, table)))
		return rc;
	error_clear(&e);
	if (validity_run_dir(dir, &rep, &e) < 0)
		return fail(&e);
	if (!quiet) {
		printf("%-28s %-12s %14s %12s %10s  %s\n", "check", "statistic", "value", "p",
		       "threshold", "verdict");
		for (size_t i = 0; i < rep.n; i++) {
			const struct validity_check *c = &rep.checks[i];

			printf("%-28s %-12s %14.4g %12.4g %10.4g  %s\n", c->name, c->statistic,
			       c->value, c->p, c->threshold, validity_verdict_name(c->verdict));
			if (c->detail[0])
				printf("    %s\n", c->detail);
		}
	}
	printf("validity: %zu pass, %zu fail, %zu skipped\n", rep.pass, rep.fail, rep.skipped);
	if (!no_report) {
		/* The checks are stored whatever happens here: a report that cannot
		 * be rebuilt is a warning, not a failed validation. */
		error_clear(&e);
		rc = report_build(dir, &e);
		if (rc < 0)
			fprintf(stderr, "airtime: warning: report not rebuilt: %s\n", e.msg);
		else if (rc > 0)
			fprintf(stderr, "airtime: warning: %s\n", e.msg);
	}
	return rep.fail ? EXIT_RUN : EXIT_OK;
}

static int cmd_validate(int argc, char **argv)
{
	struct scenario_opts opts = { 0 };
	const char *path = NULL;
	struct scenario *sc;
	struct error e;
	int code;
	const struct cliopt table[] = {
		SCENARIO_OPTIONS(&opts),
		CLIOPT_ONE_OPERAND("one scenario", "missing SCENARIO", &path),
		CLIOPT_END,
	};

	if ((code = cliopt_parse("validate", argc, argv, 1, table)))
		goto out;
	sc = load_scenario(path, &opts, &code);
	if (!sc)
		goto out;
	error_clear(&e);
	/* The modules' own checks too; their messages are in the parser's form. */
	if (run_check(sc, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		code = exit_for(&e);
	} else if (scenario_dump(sc, stdout, &e) < 0) {
		code = fail(&e);
	}
	scenario_free(sc);
out:
	scenario_opts_release(&opts);
	return code;
}

static int cmd_reference(int argc, char **argv)
{
	struct error e;

	if (argc > 1)
		return cliopt_usage_error("reference", "unexpected argument '%s'", argv[1]);
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
		return cliopt_usage_error("help", "unknown command '%s'", argv[1]);
	print_command_help(stdout, c);
	return EXIT_OK;
}

/* ---- report, compare ---- */

/* A build that succeeded with warnings prints them and still exits 0. */
static int report_status(int rc, const struct error *e)
{
	if (rc < 0)
		return fail(e);
	if (rc > 0)
		fprintf(stderr, "airtime: warning: %s\n", e->msg);
	return EXIT_OK;
}

static int cmd_report(int argc, char **argv)
{
	const char *dir = NULL;
	struct error e;
	int rc;
	const struct cliopt table[] = {
		CLIOPT_ONE_OPERAND("one run directory", "missing RUN_DIR", &dir),
		CLIOPT_END,
	};

	if ((rc = cliopt_parse("report", argc, argv, 1, table)))
		return rc;
	error_clear(&e);
	return report_status(report_build(dir, &e), &e);
}

/* The sides of a comparison, as given: RUN_DIR [--run ID] ... */
struct compare_args {
	struct compare_run *runs;
	size_t n;
	bool run_set;              /* the last RUN_DIR has its --run */
};

static int take_run_dir(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	struct compare_args *a = o->target;

	(void)cmd, (void)opt;
	a->runs[a->n++] = (struct compare_run){ val, 0 };
	a->run_set = false;
	return 0;
}

/* --run ID selects a run of the RUN_DIR just before it. */
static int take_run_id(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	struct compare_args *a = o->target;
	uint64_t id;
	const struct cliopt as_id = { .target = &id, .lo = 1, .hi = INT64_MAX };
	int rc;

	if (a->n == 0)
		return cliopt_usage_error(cmd, "--run comes after the RUN_DIR it selects from");
	if (a->run_set)
		return cliopt_usage_error(cmd, "one --run per RUN_DIR; '%s' has two",
					  a->runs[a->n - 1].dir);
	if ((rc = cliopt_uint(cmd, &as_id, opt, val)))
		return rc;
	a->runs[a->n - 1].run_id = (int64_t)id;
	a->run_set = true;
	return 0;
}

static int cmd_compare(int argc, char **argv)
{
	struct compare_args a = { xcalloc((size_t)argc, sizeof(struct compare_run)), 0, false };
	const char *out = NULL, *first;
	char *def = NULL;
	struct error e;
	int code;
	const struct cliopt table[] = {
		CLIOPT_VALUE("--out", NULL, "an argument", cliopt_string, &out),
		CLIOPT_VALUE("--run", NULL, "a run id", take_run_id, &a),
		CLIOPT_OPERAND("", take_run_dir, &a),
		CLIOPT_END,
	};

	if ((code = cliopt_parse("compare", argc, argv, 1, table)))
		goto out;
	if (a.n < 2) {
		code = cliopt_usage_error("compare", "needs at least two RUN_DIRs");
		goto out;
	}
	if (!out) {
		size_t len;
		const char *slash;

		/* Beside the first run: reports/a-1 (or reports/a-1/) ->
		 * reports/compare; a run directory "x" -> "compare". */
		first = a.runs[0].dir;
		len = strlen(first);
		while (len > 1 && first[len - 1] == '/')
			len--;
		slash = NULL;
		for (size_t i = len; i-- > 0;)
			if (first[i] == '/') {
				slash = first + i;
				break;
			}
		def = !slash ? xstrdup("compare")
		      : slash == first ? xstrdup("/compare")
		      : xasprintf("%.*s/compare", (int)(slash - first), first);
		out = def;
	}
	error_clear(&e);
	code = report_status(compare_build(a.runs, a.n, out, &e), &e);
	if (code == EXIT_OK)
		printf("%s/compare.html\n", out);
out:
	free(def);
	free(a.runs);
	return code;
}

/* ---- forest ---- */

struct forest_args {
	const char *csv, *label, *model, *out;
	struct forest_params params;
	uint64_t threads;
	bool no_bootstrap;
};

/* Is `word` one of the space-separated words of `list`? */
static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* Parse the options of one forest subcommand; `allowed` lists the ones it takes. */
static int forest_parse(const char *cmd, int argc, char **argv, const char *allowed,
			struct forest_args *a)
{
	static const char *const criteria[] = { "gini", "entropy", NULL };
	static const char *const tasks[] = { "classify", "regress", NULL };
	struct forest_params *p = &a->params;
	int criterion = -1, task = -1;
	const struct cliopt all[] = {
		CLIOPT_VALUE("--csv", NULL, "a value", cliopt_string, &a->csv),
		CLIOPT_VALUE("--label", NULL, "a value", cliopt_string, &a->label),
		CLIOPT_VALUE("--model", NULL, "a value", cliopt_string, &a->model),
		CLIOPT_VALUE("-o", NULL, "a value", cliopt_string, &a->out),
		CLIOPT_UINT("--trees", cliopt_u32, &p->n_trees, 0, 100000),
		CLIOPT_UINT("--mtry", cliopt_u32, &p->mtry, 0, 65535),
		CLIOPT_UINT("--max-depth", cliopt_u32, &p->max_depth, 0, 10000),
		CLIOPT_UINT("--min-leaf", cliopt_u32, &p->min_leaf, 0, 1u << 30),
		CLIOPT_UINT("--max-leaves", cliopt_u32, &p->max_leaves, 0, 1u << 30),
		CLIOPT_UINT("--bins", cliopt_u32, &p->n_bins, 0, 255),
		CLIOPT_UINT("--exact-below", cliopt_u32, &p->exact_below, 0, 1u << 30),
		CLIOPT_UINT("--seed", cliopt_uint, &p->seed, 0, UINT64_MAX),
		CLIOPT_UINT("--threads", cliopt_uint, &a->threads, 0, 256),
		/* Both lists in the order of their enum's values. */
		CLIOPT_CHOICE("--criterion", "a value", criteria,
			      "bad --criterion '%s' (expected gini or entropy)", &criterion),
		CLIOPT_CHOICE("--task", "a value", tasks,
			      "bad --task '%s' (expected classify or regress)", &task),
		CLIOPT_FLAG("--no-bootstrap", NULL, &a->no_bootstrap),
	};
	struct cliopt table[sizeof(all) / sizeof(all[0]) + 1];
	size_t n = 0;
	int rc;

	memset(a, 0, sizeof(*a));
	a->params = forest_params_defaults();
	a->threads = 1;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (word_in(allowed, all[i].name))
			table[n++] = all[i];
	table[n] = (struct cliopt)CLIOPT_END;
	if ((rc = cliopt_parse(cmd, argc, argv, 1, table)))
		return rc;
	if (a->threads == 0)
		return cliopt_usage_error(cmd, "--threads must be at least 1, not '0'");
	if (criterion >= 0)
		p->criterion = (uint32_t)criterion;
	if (task >= 0)
		p->task = (uint32_t)task;
	if (a->no_bootstrap)
		p->bootstrap = 0;
	if (p->task == FOREST_REGRESS)
		p->criterion = FOREST_MSE;
	return 0;
}

static int cmd_forest(int argc, char **argv)
{
	static const char train_opts[] = "--csv --label -o --trees --mtry --max-depth --min-leaf "
		"--max-leaves --criterion --task --seed --threads --bins --exact-below --no-bootstrap";
	struct forest_args a;
	struct error err = { 0 };
	const char *sub;
	int rc;

	if (argc < 2)
		return cliopt_usage_error("forest", "missing subcommand (train, predict, eval, importance)");
	sub = argv[1];
	if (!strcmp(sub, "train")) {
		struct forest_tool_train_opts o;

		if ((rc = forest_parse("forest train", argc - 1, argv + 1, train_opts, &a)))
			return rc;
		if (!a.csv || !a.label || !a.out)
			return cliopt_usage_error("forest train", "--csv FILE, --label COL and -o MODEL are required");
		o.csv = a.csv, o.label = a.label, o.model = a.out;
		o.params = a.params, o.threads = (int)a.threads;
		rc = forest_tool_train(&o, stdout, &err);
	} else if (!strcmp(sub, "predict")) {
		if ((rc = forest_parse("forest predict", argc - 1, argv + 1, "--model --csv", &a)))
			return rc;
		if (!a.model || !a.csv)
			return cliopt_usage_error("forest predict", "--model MODEL and --csv FILE are required");
		rc = forest_tool_predict(a.model, a.csv, stdout, &err);
	} else if (!strcmp(sub, "eval")) {
		if ((rc = forest_parse("forest eval", argc - 1, argv + 1, "--model --csv --label", &a)))
			return rc;
		if (!a.model || !a.csv || !a.label)
			return cliopt_usage_error("forest eval", "%s",
					   "--model MODEL, --csv FILE and --label COL are required");
		rc = forest_tool_eval(a.model, a.csv, a.label, stdout, &err);
	} else if (!strcmp(sub, "importance")) {
		if ((rc = forest_parse("forest importance", argc - 1, argv + 1,
				       "--model --csv --label", &a)))
			return rc;
		if (!a.model)
			return cliopt_usage_error("forest importance", "--model MODEL is required");
		if (!a.csv != !a.label)
			return cliopt_usage_error("forest importance", "%s",
					   "--csv FILE and --label COL go together (permutation importance)");
		rc = forest_tool_importance(a.model, a.csv, a.label, stdout, &err);
	} else {
		return cliopt_usage_error("forest", "unknown subcommand '%s' (train, predict, eval, importance)", sub);
	}
	return rc < 0 ? fail(&err) : EXIT_OK;
}

/* ---- loadtest and serve ---- */

/* --duration: positive, in seconds. */
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

static int is_directory(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Run a scenario into a new run directory under reports/ (kept). */
static int run_first(const char *path, struct scenario_opts *opts, char *dir, size_t n)
{
	struct run_options ro = { 0 };
	struct run_summary sum;
	struct scenario *sc;
	struct error e;
	int code = EXIT_OK;
	double t0 = monotonic_s();

	sc = load_scenario(path, opts, &code);
	if (!sc)
		return code;
	fprintf(stderr, "airtime loadtest: '%s' is a scenario: running it first (simulated, "
			"as 'airtime run' does)...\n", path);
	ro.reports_base = "reports";
	error_clear(&e);
	if (run_execute(sc, &ro, &sum, &e) < 0) {
		scenario_free(sc);
		return fail(&e);
	}
	scenario_free(sc);
	fprintf(stderr, "airtime loadtest: run directory %s (%.1f s); load testing it\n", sum.dir,
		monotonic_s() - t0);
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
	struct scenario_opts opts = { 0 };
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
		CLIOPT_VALUE("--set", NULL, "an argument", take_set, &opts),
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
	if (is_directory(path)) {
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
		code = fail(&e);
		goto out;
	}
	if (loadrun_execute(d, &o, &sum, &e) < 0) {
		code = fail(&e);
		goto out;
	}
	print_loadrun(d, &o, &sum);
out:
	loadrun_summary_release(&sum);
	servedir_free(d);
	scenario_opts_release(&opts);
	return code;
}

static int cmd_serve(int argc, char **argv)
{
	struct server_options o;
	struct servedir_options so = { 0 };
	struct servedir *d = NULL;
	struct server *srv = NULL;
	const char *path = NULL;
	uint64_t port;
	struct error e;
	sigset_t set;
	int code, sig;
	const struct cliopt table[] = {
		CLIOPT_UINT("--port", cliopt_uint, &port, 0, 65535),
		CLIOPT_VALUE("--bind", NULL, "a value", cliopt_string, &o.bind),
		CLIOPT_UINT("--threads", cliopt_size, &o.threads, 1, 256),
		{ .name = "--at", .needs = "a value", .take = cliopt_duration, .target = &so.at,
		  .seen = &so.at_set },
		CLIOPT_ONE_OPERAND("one run directory", "missing RUN_DIR", &path),
		CLIOPT_END,
	};

	server_options_defaults(&o);
	port = o.port;
	if ((code = cliopt_parse("serve", argc, argv, 1, table)))
		return code;
	o.port = (uint16_t)port;
	error_clear(&e);
	if (!(d = servedir_open(path, &so, &e)))
		return fail(&e);
	/* Signals are taken by sigwait below, not by the server's threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (!(srv = server_start(d, &o, &e))) {
		code = fail(&e);
		goto out;
	}
	printf("serving %s on http://%s%s%s:%u/ (%u users, %zu candidates, %s, %zu threads)\n"
	       "  GET /v1/recommendations?user=ID&k=K   /healthz   /metrics   (Ctrl-C stops)\n",
	       path, strchr(o.bind, ':') ? "[" : "", o.bind, strchr(o.bind, ':') ? "]" : "",
	       (unsigned)server_port(srv), servedir_users(d), servedir_candidates(d),
	       servedir_model(d) ? "forest model" : "no model: heuristic", o.threads);
	fflush(stdout);
	sigwait(&set, &sig);
	printf("stopping (%s) after %llu requests\n", sig == SIGINT ? "interrupt" : "terminate",
	       (unsigned long long)server_requests(srv));
	code = EXIT_OK;
out:
	server_stop(srv);
	servedir_free(d);
	return code;
}

/* ---- features ---- */

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
	return rc < 0 ? fail(&err) : EXIT_OK;
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
