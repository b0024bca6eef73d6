/*
 * `airtime run`: simulate a scenario end to end into a run directory.
 */
#include "cli/cli.h"
#include "config/config.h"
#include "eval/run.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "arm forest: engagement actions +1.20 % [+0.10, +2.30], listening
 * minutes ..." ("not estimable" for a lift without a number). */
static void print_arm(const struct run_arm_summary *a)
{
	printf("arm %s: engagement actions ", a->name);
	if (isnan(a->engagement_rel))
		printf("not estimable");
	else
		printf("%+.2f %% [%+.2f, %+.2f]", 100 * a->engagement_rel, 100 * a->engagement_lo,
		       100 * a->engagement_hi);
	printf(", listening minutes ");
	if (isnan(a->listening_rel))
		printf("not estimable\n");
	else
		printf("%+.2f %% [%+.2f, %+.2f]\n", 100 * a->listening_rel, 100 * a->listening_lo,
		       100 * a->listening_hi);
}

static int cmd_run(int argc, char **argv)
{
	struct cli_scenario_opts opts = { 0 };
	struct cli_progress prog = { 0 };
	struct run_options ro = { 0 };
	struct run_summary sum;
	const char *path = NULL;
	struct scenario *sc;
	struct error e;
	bool quiet = false, no_fail = false;
	int code, r;
	const struct cliopt table[] = {
		CLI_SCENARIO_OPTIONS(&opts),
		CLIOPT_FLAG("--quiet", "-q", &quiet),
		CLIOPT_FLAG("--no-fail-on-slo", NULL, &no_fail),
		CLIOPT_VALUE("--out", "-o", "a directory", cliopt_string, &ro.out),
		CLIOPT_VALUE("--trace", NULL, "a trace file", cliopt_string, &ro.trace_in),
		CLIOPT_ONE_OPERAND("one scenario", "missing SCENARIO", &path),
		CLIOPT_END,
	};

	if ((code = cliopt_parse("run", argc, argv, 1, table)))
		goto out;
	sc = cli_load_scenario(path, &opts, &code);
	if (!sc)
		goto out;
	cli_progress_init(&prog, quiet);
	ro.reports_base = "reports";
	ro.progress = cli_progress_show;
	ro.progress_ctx = &prog;
	error_clear(&e);
	r = run_execute(sc, &ro, &sum, &e);
	cli_progress_end(&prog);
	scenario_free(sc);
	if (r < 0) {
		code = cli_fail(&e);
		goto out;
	}
	if (sum.warning[0])
		fprintf(stderr, "airtime: warning: %s\n", sum.warning);
	printf("run directory: %s\n", sum.dir);
	printf("events: %llu\n", (unsigned long long)sum.events);
	if (sum.n_arms <= 1) {
		if (!isnan(sum.engagement_rel))
			printf("engagement actions: %+.2f %% [%+.2f, %+.2f]\n",
			       100 * sum.engagement_rel, 100 * sum.engagement_lo,
			       100 * sum.engagement_hi);
		if (!isnan(sum.listening_rel))
			printf("listening minutes:  %+.2f %% [%+.2f, %+.2f]\n",
			       100 * sum.listening_rel, 100 * sum.listening_lo,
			       100 * sum.listening_hi);
	}
	/* A/B/n: a line per treatment arm, against the control. */
	for (size_t i = 0; sum.n_arms > 1 && i < sum.n_arms; i++)
		print_arm(&sum.arms[i]);
	if (sum.replay) {
		printf("replayed trace: no engagement A/B (the trace's outcomes are what its users "
		       "did with the recorded pages, whatever an arm serves); serving per arm:\n");
		for (size_t i = 0; i < sum.n_serving; i++) {
			const struct run_serving *v = &sum.serving[i];
			double q = (double)v->s.requests;

			printf("  %s, arm %s (%s): %llu requests, %.1f candidates, %.0f tree nodes, "
			       "%.1f us scorer time per request, %llu fallbacks\n", v->world, v->arm,
			       v->ranker, (unsigned long long)v->s.requests,
			       (double)v->s.candidates / q, v->s.nodes / q, v->s.scorer_ns / q / 1e3,
			       (unsigned long long)v->s.fallbacks);
		}
	}
	for (size_t i = 0; i < sum.n_ope; i++) {
		const struct ope_result *o = &sum.ope[i];

		printf("off-policy %s (%s per page, %zu logged pages): ", o->target,
		       config_reward_name(o->reward), o->rounds);
		if (!isnan(o->truth))
			printf("truth %.4f; ", o->truth);
		for (int k = 0; k < OPE_ESTIMATORS; k++)
			if ((o->estimators & (1u << k)) && o->est[k].estimable)
				printf("%s %.4f%s", ope_estimator_name(k), o->est[k].value,
				       k + 1 < OPE_ESTIMATORS ? ", " : "");
		printf("\n");
	}
	printf("SLOs: %zu pass, %zu fail%s\n", sum.slo_pass, sum.slo_fail,
	       sum.srm_flagged ? "; SAMPLE RATIO MISMATCH: the split is suspect" : "");
	printf("report: %s/report.html\n", sum.dir);
	fflush(stdout);
	code = cli_slo_gate(&sum.slo_failed, no_fail);
out:
	cli_scenario_opts_release(&opts);
	return code;
}

const struct cli_command cli_run = {
	"run", "run SCENARIO [--out DIR] [--seed N] [--set section.key=value]... [--trace FILE] [--quiet]\n"
	"         [--no-fail-on-slo]",
	"Simulate the scenario end to end (warm-up, training, A/B experiment) and write a\n"
	"run directory: reports/NAME-<id>/ (or --out DIR, which must not exist or be empty)\n"
	"with results.db, features.db, lake/, model.forest, report.md, report.html, plots/,\n"
	"and the exact scenario text and seed it was made from.  The directory appears only\n"
	"when the run succeeded.  A progress line is shown on stderr when it is a terminal\n"
	"(not with --quiet).  --seed N is short for --set run.seed=N.\n"
	"--trace FILE replays a recorded trace (airtime trace import checks one) through\n"
	"the pipeline instead of the synthetic population.  Each arm's ranker serves its\n"
	"users' requests ([ab] mode split; twin replays the trace once per arm; a forest\n"
	"trains on the trace's warm-up impressions), but no behaviour model runs: the\n"
	"trace's outcomes are what its users did with the recorded pages, so there is no\n"
	"engagement A/B, only the serving side per arm (requests, candidates, scoring cost,\n"
	"SLOs per world), and off-policy estimates ([ope] targets) when its impressions carry\n"
	"the logging policy's propensities.  A CSV trace may have text or sparse ids (mapped\n"
	"to dense ones, the mapping in trace-ids.csv) and absolute times (column emit_time:\n"
	"ISO 8601 or seconds since 1970, counted from [run] start_date).\n"
	"SLOs: the run is checked against the scenario's [slo] keys (latency percentiles,\n"
	"availability, reflection time, host feature-read and scoring time, Redis reads).\n"
	"When one fails, each failing objective is printed on stderr, one line each, and\n"
	"the exit status is 3 (the run directory is complete); --no-fail-on-slo prints the\n"
	"lines and exits 0.",
	cmd_run,
};
