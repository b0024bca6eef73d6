/*
 * `airtime loadtest`: the real serving path of a run directory under an open-loop load in wall-clock time.
 */
#include "cli/cli.h"
#include "common/simtime.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "engine/rank.h"
#include "serve/httpload.h"
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

/* --ramp FROM:TO, requests per second. */
static int take_ramp(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	double *r = o->target;
	char *end, *end2;

	(void)opt;
	errno = 0;
	r[0] = strtod(val, &end);
	if (errno || end == val || *end != ':')
		goto bad;
	r[1] = strtod(end + 1, &end2);
	if (errno || end2 == end + 1 || *end2 || !(r[0] >= 0) || !(r[1] >= 0) ||
	    !isfinite(r[0]) || !isfinite(r[1]) || r[0] + r[1] <= 0)
		goto bad;
	return 0;
bad:
	return cliopt_usage_error(cmd, "bad --ramp '%s': expected FROM:TO requests per second "
				  "(e.g. 100:2000; both >= 0, not both 0)", val);
}

/* --header, repeatable: kept in a string list. */
static int take_header(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	(void)opt;
	if (!strchr(val, ':'))
		return cliopt_usage_error(cmd, "bad --header '%s': expected 'Name: value'", val);
	cli_scenario_opts_add(o->target, val);
	return 0;
}

static int take_method(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	(void)opt;
	if (!*val || strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(val))
		return cliopt_usage_error(cmd, "bad --method '%s': expected an HTTP method in "
					  "capitals (GET, POST, PUT, ...)", val);
	*(const char **)o->target = val;
	return 0;
}

/* [slo] keys given with --set to a RUN_DIR: the run's scenario with its
 * own overrides and these after them, only for [slo]. */
static int slo_overrides(const struct servedir *d, const struct cli_scenario_opts *opts,
			 struct config_slo *out)
{
	const struct scenario *base = servedir_scenario(d);
	size_t n0 = scenario_override_count(base), n = n0 + opts->n_sets;
	const char **lines = xcalloc(n + 1, sizeof(*lines));
	struct config *cfg = xmalloc(sizeof(*cfg));
	struct scenario *sc;
	struct error e;
	int code = EXIT_OK;

	for (size_t i = 0; i < n0; i++)
		lines[i] = scenario_override(base, i);
	for (size_t i = 0; i < opts->n_sets; i++)
		lines[n0 + i] = opts->sets[i];
	error_clear(&e);
	if (!(sc = scenario_parse(&config_schema, scenario_text(base), scenario_name(base), lines,
				  n, &e)) ||
	    config_load(cfg, sc, &e) < 0)
		code = cli_fail(&e) == EXIT_RUN ? EXIT_RUN : EXIT_USAGE;
	else
		*out = cfg->slo;
	scenario_free(sc);
	free(cfg);
	free(lines);
	return code;
}

/* Run a scenario into a new run directory under reports/ (kept). */
static int run_first(const char *path, struct cli_scenario_opts *opts, char *dir, size_t n,
		     struct slo_table *failed)
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
	fprintf(stderr, "airtime loadtest: run directory %s (%.1f s; SLOs of the simulated run: "
		"%zu pass, %zu fail); load testing it\n", sum.dir, cli_monotonic_s() - t0,
		sum.slo_pass, sum.slo_fail);
	snprintf(dir, n, "%s", sum.dir);
	*failed = sum.slo_failed;
	return EXIT_OK;
}

static void print_ns(const char *label, int64_t ns)
{
	printf(" %s %.3f ms", label, (double)ns / 1e6);
}

static const char *shape_label(enum loadrun_shape s)
{
	return s == LOADRUN_CONSTANT ? "constant" : s == LOADRUN_RAMP ? "ramp" : "scenario shape";
}

static void print_loadrun(const struct servedir *d, const struct loadrun_options *o,
			  const struct loadrun_summary *s)
{
	if (s->http) {
		printf("load test of %s %s (HTTP, libcurl; wall clock, this host)\n",
		       o->method ? o->method : o->body ? "POST" : "GET", o->target);
		printf("users and pages from %s; {k} = %u\n", servedir_path(d),
		       o->k ? o->k : servedir_rank_config(d)->k);
		printf("schedule: %s, %zu requests over %.1f s, at most %zu connections (%llu "
		       "opened), ", shape_label(o->shape), s->requests, o->duration_s,
		       o->connections, (unsigned long long)s->opened);
		if (o->queue_bound)
			printf("at most %zu waiting\n", o->queue_bound);
		else
			printf("no bound on waiting requests\n");
	} else {
		printf("load test of %s (wall clock, this host)\n", servedir_path(d));
		printf("serving time: %.3f days; %zu candidates per request; scorer %s%s",
		       (double)servedir_time(d) / SIMTIME_DAY, s->candidates,
		       rank_scorer_name(o->scorer), s->trees ? "" : "\n");
		if (s->trees)
			printf(" (%zu trees)\n", s->trees);
		printf("schedule: %s, %zu requests over %.1f s, %zu threads, queue bound %zu\n",
		       shape_label(o->shape), s->requests, o->duration_s, o->threads,
		       o->queue_bound);
	}
	printf("rate: intended %.1f rps (peak %.1f), achieved %.1f rps\n", s->intended_rate,
	       s->peak_rate, s->achieved_rate);
	printf("requests: %llu completed, %llu errors, %llu dropped (queue full), %llu late "
	       "(started > %.3g ms after intended)\n",
	       (unsigned long long)s->completed, (unsigned long long)s->errors,
	       (unsigned long long)s->dropped, (unsigned long long)s->late, o->late_after_ms);
	if (s->http) {
		printf("errors by kind:");
		for (int k = HTTPLOAD_CONNECT; k <= HTTPLOAD_OTHER; k++)
			printf(" %s %llu", httpload_kind_name((enum httpload_kind)k),
			       (unsigned long long)s->by_kind[k]);
		printf("; %llu requests waited for a connection\n", (unsigned long long)s->queued);
	}
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
	if (!s->http)
		printf("feature read (host assembly, %llu requests): p50 %.3f ms, p99 %.3f ms, max "
		       "%.3f ms\n", (unsigned long long)s->reads, (double)s->read_p50 / 1e6,
		       (double)s->read_p99 / 1e6, (double)s->read_max / 1e6);
	printf("\nsecond  intended  achieved    failed  p99 (ms)\n");
	for (size_t i = 0; i < s->seconds; i++)
		printf("%6zu  %8.0f  %8.0f  %8.0f  %8.3f\n", i, s->intended_per_s[i],
		       s->achieved_per_s[i], s->errors_per_s[i], s->p99_per_s_us[i] / 1e3);
	printf("\nSLO verdict (host-measured; targets from [slo]):\n");
	for (size_t i = 0; i < s->slo.n; i++) {
		const struct slo_row *r = &s->slo.rows[i];

		printf("  %-7s %-48s %-12s target %-10s %s\n", slo_verdict_name(r->verdict), r->name,
		       r->observed, r->target, r->note);
	}
	if (s->run_id)
		printf("\nresults: %s/results.db (run %lld, name 'loadtest')\n", servedir_path(d),
		       (long long)s->run_id);
	if (s->csv[0])
		printf("percentiles: %s\n", s->csv);
	if (s->json[0])
		printf("summary: %s\n", s->json);
	if (s->report[0])
		printf("report: %s\n", s->report);
	if (s->plot[0])
		printf("plot: %s\n", s->plot);
	if (s->warning[0])
		fprintf(stderr, "airtime: warning: %s\n", s->warning);
}

static int cmd_loadtest(int argc, char **argv)
{
	struct cli_scenario_opts opts = { 0 }, headers = { 0 };
	struct loadrun_options o;
	struct loadrun_summary sum;
	struct servedir_options so = { 0 };
	struct servedir *d = NULL;
	struct config_slo slo;
	struct slo_table run_failed;
	const char *path = NULL;
	static const char *const shapes[] = { "constant", "scenario", "ramp", NULL }; /* enum order */
	static const char *const checks[] = { "none", "json", "page", NULL };         /* enum order */
	int shape = -1, check = -1;
	int64_t late_us, timeout_us = 0;
	double ramp[2] = { 0, 0 };
	bool late_set = false, ramp_set = false, no_fail = false, timeout_set = false;
	bool queue_set = false;
	uint64_t k = 0;
	char dir[4096];
	struct error e;
	int code;
	const struct cliopt table[] = {
		CLIOPT_VALUE("--set", NULL, "an argument", cli_take_set, &opts),
		{ .name = "--rate", .needs = "a value", .take = cliopt_positive, .target = &o.rate,
		  .seen = &o.rate_set },
		{ .name = "--ramp", .needs = "FROM:TO", .take = take_ramp, .target = ramp,
		  .seen = &ramp_set },
		CLIOPT_VALUE("--duration", NULL, "a value", take_duration_s, &o.duration_s),
		CLIOPT_UINT("--threads", cliopt_size, &o.threads, 1, 1024),
		{ .name = "--queue", .needs = "a value", .take = cliopt_size, .target = &o.queue_bound,
		  .lo = 0, .hi = 100000000, .seen = &queue_set },
		CLIOPT_UINT("--seed", cliopt_uint, &o.seed, 0, UINT64_MAX),
		CLIOPT_CHOICE("--shape", "a value", shapes,
			      "bad --shape '%s' (constant, scenario or ramp)", &shape),
		CLIOPT_VALUE("--speed", NULL, "a value", cliopt_positive, &o.compress),
		CLIOPT_VALUE("--compress", NULL, "a value", cliopt_positive, &o.compress),
		{ .name = "--from", .needs = "a value", .take = cliopt_duration, .target = &o.from,
		  .seen = &o.from_set },
		{ .name = "--at", .needs = "a value", .take = cliopt_duration, .target = &so.at,
		  .seen = &so.at_set },
		{ .name = "--late-after", .needs = "a value", .take = cliopt_duration,
		  .target = &late_us, .seen = &late_set },
		CLIOPT_VALUE("--scorer", NULL, "a value", take_scorer, &o.scorer),
		CLIOPT_VALUE("--out", "-o", "a value", cliopt_string, &o.csv_path),
		CLIOPT_VALUE("--json", NULL, "a value", cliopt_string, &o.json_path),
		CLIOPT_VALUE("--target", NULL, "a URL", cliopt_string, &o.target),
		CLIOPT_VALUE("--method", NULL, "a value", take_method, &o.method),
		CLIOPT_VALUE("--header", "-H", "'Name: value'", take_header, &headers),
		CLIOPT_VALUE("--body", NULL, "a value", cliopt_string, &o.body),
		CLIOPT_CHOICE("--check", "a value", checks, "bad --check '%s' (none, json or page)",
			      &check),
		CLIOPT_FLAG("--allow-remote", NULL, &o.allow_remote),
		CLIOPT_UINT("--connections", cliopt_size, &o.connections, 1, 10000),
		{ .name = "--timeout", .needs = "a value", .take = cliopt_duration,
		  .target = &timeout_us, .seen = &timeout_set },
		CLIOPT_UINT("--k", cliopt_uint, &k, 1, 100000),
		CLIOPT_FLAG("--no-fail-on-slo", NULL, &no_fail),
		CLIOPT_ONE_OPERAND("one run directory or scenario", "missing RUN_DIR or SCENARIO",
				   &path),
		CLIOPT_END,
	};

	loadrun_options_defaults(&o);
	memset(&sum, 0, sizeof(sum));
	slo_init(&run_failed);
	if ((code = cliopt_parse("loadtest", argc, argv, 1, table)))
		goto out;
	if (shape >= 0)
		o.shape = (enum loadrun_shape)shape;
	if (ramp_set) {
		if (shape >= 0 && o.shape != LOADRUN_RAMP) {
			code = cliopt_usage_error("loadtest", "--ramp makes the shape a ramp: it does "
						  "not go with --shape %s", shapes[shape]);
			goto out;
		}
		o.shape = LOADRUN_RAMP;
		o.ramp_from = ramp[0];
		o.ramp_to = ramp[1];
	} else if (o.shape == LOADRUN_RAMP) {
		code = cliopt_usage_error("loadtest", "--shape ramp needs --ramp FROM:TO");
		goto out;
	}
	if (check >= 0)
		o.check = (enum httpload_check)check;
	if (late_set)
		o.late_after_ms = (double)late_us / 1e3;
	if (timeout_set) {
		if (timeout_us <= 0) {
			code = cliopt_usage_error("loadtest", "--timeout must be positive");
			goto out;
		}
		o.timeout_s = (double)timeout_us / 1e6;
	}
	o.k = (uint32_t)k;
	o.headers = headers.sets;
	o.n_headers = headers.n_sets;
	if (!o.target && (o.method || o.n_headers || o.body || check >= 0 || o.allow_remote ||
			  k)) {
		code = cliopt_usage_error("loadtest", "--method, --header, --body, --check, --k and "
					  "--allow-remote apply to an HTTP --target only");
		goto out;
	}
	if (o.target) {
		error_clear(&e);
		if (httpload_template_check(o.target, "--target", &e) < 0 ||
		    (o.body && httpload_template_check(o.body, "--body", &e) < 0)) {
			code = cliopt_usage_error("loadtest", "%s", e.msg);
			goto out;
		}
		for (size_t i = 0; i < o.n_headers; i++)
			if (httpload_template_check(o.headers[i], "--header", &e) < 0) {
				code = cliopt_usage_error("loadtest", "%s", e.msg);
				goto out;
			}
		/* A target's requests wait for a connection without a bound
		 * unless --queue says otherwise. */
		if (!queue_set)
			o.queue_bound = 0;
	} else if (o.queue_bound == 0) {
		code = cliopt_usage_error("loadtest", "--queue 0 (no bound) is for an HTTP --target; "
					  "in process the queue needs a bound");
		goto out;
	}
	if (cli_is_directory(path)) {
		for (size_t i = 0; i < opts.n_sets; i++)
			if (strncmp(opts.sets[i], "slo.", 4) != 0) {
				code = cliopt_usage_error("loadtest", "--set %s: a run directory keeps its "
							  "scenario; only [slo] keys can be set for "
							  "its load test", opts.sets[i]);
				goto out;
			}
		snprintf(dir, sizeof(dir), "%s", path);
	} else if ((code = run_first(path, &opts, dir, sizeof(dir), &run_failed)) != EXIT_OK) {
		goto out;
	}
	error_clear(&e);
	if (!(d = servedir_open(dir, &so, &e))) {
		code = cli_fail(&e);
		goto out;
	}
	if (servedir_store_warning(d))
		fprintf(stderr, "airtime: warning: %s\n", servedir_store_warning(d));
	if (cli_is_directory(path) && opts.n_sets) {
		if ((code = slo_overrides(d, &opts, &slo)) != EXIT_OK)
			goto out;
		o.slo = &slo;
	}
	if (loadrun_execute(d, &o, &sum, &e) < 0) {
		code = cli_fail(&e);
		goto out;
	}
	print_loadrun(d, &o, &sum);
	fflush(stdout);
	/* Every failing objective: the simulated run's (when this command ran
	 * it) and the load test's. */
	for (size_t i = 0; i < sum.slo_failed.n && run_failed.n < sizeof(run_failed.rows) /
						sizeof(run_failed.rows[0]); i++)
		run_failed.rows[run_failed.n++] = sum.slo_failed.rows[i];
	code = cli_slo_gate(&run_failed, no_fail);
out:
	loadrun_summary_release(&sum);
	servedir_free(d);
	cli_scenario_opts_release(&opts);
	cli_scenario_opts_release(&headers);
	return code;
}

const struct cli_command cli_loadtest = {
	"loadtest",
	"loadtest RUN_DIR|SCENARIO [--rate R | --ramp FROM:TO] [--duration D]\n"
	"         [--shape constant|scenario|ramp] [--speed X] [--from TIME] [--at TIME]\n"
	"         [--target URL [--method M] [--header H]... [--body B] [--check none|json|page]\n"
	"          [--connections N] [--timeout D] [--k K] [--allow-remote]]\n"
	"         [--threads N] [--scorer NAME] [--queue N] [--late-after D] [--seed N]\n"
	"         [--out FILE.csv] [--json FILE] [--no-fail-on-slo] [--set section.key=value]...",
	"An open-loop load test in WALL-CLOCK time, with latency measured from each\n"
	"request's intended start (no coordinated omission), of either\n"
	"  - the real serving path of a run directory, in process (candidates, online-store\n"
	"    reads, scoring, top-K) from N threads (no --target); or\n"
	"  - any HTTP endpoint (--target URL): libcurl's multi interface from one thread,\n"
	"    keep-alive connections, at most --connections of them; requests beyond the pool\n"
	"    wait in a FIFO (counted; their wait is part of their latency).\n"
	"Given a SCENARIO file instead of a directory, it is run first (as 'airtime run'\n"
	"would, --set applies) into a new directory under reports/, which is kept.  With a\n"
	"RUN_DIR, --set may change [slo] keys only.\n\n"
	"Arrivals:\n"
	"  --rate R         requests per second (default 500)\n"
	"  --ramp FROM:TO   a linear ramp from FROM to TO requests per second\n"
	"  --duration D     wall-clock length, e.g. 30s, 2min (default 30s)\n"
	"  --shape S        constant (request i at i/R); ramp (with --ramp); or scenario: the\n"
	"                   run's own app sessions (daily cycle, spikes) and their users from\n"
	"                   --from on, time-compressed --speed times: one request per session\n"
	"                   at its compressed time, or with --rate the shape scaled to a mean\n"
	"                   of R (each minute's requests go to that minute's users)\n"
	"  --speed X        simulated seconds per wall second (default 1440: a day a minute);\n"
	"                   --compress is the older name\n"
	"  --from TIME      start of the scenario window, e.g. 8d or 200h (default: the\n"
	"                   start of the experiment)\n"
	"  --seed N         user draw of constant and ramp (default 1)\n\n"
	"HTTP target:\n"
	"  --target URL     a URL template: {user}, {k}, {i} (request index) and {time}\n"
	"                   (simulated time of the request, us) are replaced per request,\n"
	"                   e.g. 'http://127.0.0.1:8080/v1/recommendations?user={user}&k={k}'\n"
	"  --method M       GET (default; POST with --body), POST, PUT, ...\n"
	"  --header H       'Name: value' (a template; repeatable)\n"
	"  --body B         request body (a template)\n"
	"  --check C        none (default); json: a 2xx body must be JSON; page: a JSON object\n"
	"                   with a non-empty array \"shows\" (airtime serve's page)\n"
	"  --connections N  connection-pool bound (default 16)\n"
	"  --timeout D      per request, connecting included (default 10s)\n"
	"  --k K            {k} (default: the scenario's [rank] k)\n"
	"  --allow-remote   a target outside loopback (127.0.0.0/8, ::1); without it the\n"
	"                   host is resolved first and anything else is refused\n"
	"Errors are split by kind: connect, timeout, http_4xx, http_5xx, bad_body, other.\n\n"
	"In process:\n"
	"  --threads N      worker threads (default 2)\n"
	"  --scorer NAME    forest (default), heuristic, popularity, random\n"
	"  --at TIME        serve as of this simulated time (default: the end of the\n"
	"                   experiment); the catalog is that instant's live + upcoming shows\n\n"
	"Both:\n"
	"  --queue N        waiting requests at most; later arrivals are dropped (in process\n"
	"                   10000; an HTTP target: no bound, or 0 = no bound)\n"
	"  --late-after D   a request starting later than this is counted late (1ms)\n"
	"  --out FILE.csv   the percentile spectrum (default RUN_DIR/loadtest-ID-percentiles.csv)\n"
	"  --json FILE      the JSON summary (default RUN_DIR/loadtest-ID-summary.json)\n\n"
	"Prints intended vs achieved rate and failures per second, p50/p90/p99/p99.9/p99.99/\n"
	"max overall, and the SLO verdicts against the scenario's [slo] keys (latency p50,\n"
	"p95, p99, p99.9, share of good answers; in process also serving_p99 at the\n"
	"conditions it is stated for).  Stores them in RUN_DIR/results.db as a run named\n"
	"'loadtest' and writes RUN_DIR/loadtest-ID.html (latency percentiles per second on\n"
	"a log axis, spikes marked).  Exit status 3 when an SLO failed (one line per failing\n"
	"objective on stderr; with a SCENARIO, the simulated run's objectives count too),\n"
	"unless --no-fail-on-slo.",
	cmd_loadtest,
};
