/*
 * `airtime run`: simulate a scenario end to end into a run directory.
 */
#include "cli/cli.h"
#include "results/rundir.h"
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
	bool quiet = false, no_fail = false, progress = false;
	int code, r;
	const struct cliopt table[] = {
		CLI_SCENARIO_OPTIONS(&opts),
		CLIOPT_FLAG("--quiet", "-q", &quiet),
		CLIOPT_FLAG("--progress", NULL, &progress),
		CLIOPT_FLAG("--no-fail-on-slo", NULL, &no_fail),
		CLIOPT_VALUE("--out", "-o", "a directory", cliopt_string, &ro.out),
		CLIOPT_VALUE("--trace", NULL, "a trace file", cliopt_string, &ro.trace_in),
		CLIOPT_VALUE("--max-memory", NULL, "a size", cliopt_bytes, &ro.max_memory),
		CLIOPT_VALUE("--resume", NULL, "a directory", cliopt_string, &ro.resume),
		CLIOPT_OPERAND("one scenario", cliopt_operand, &path),
		CLIOPT_END,
	};

	if ((code = cliopt_parse("run", argc, argv, 1, table)))
		goto out;
	if (ro.resume) {
		/* The killed run's own inputs, read back from its directory. */
		if (path || opts.n_sets) {
			code = cliopt_usage_error("run", "--resume DIR takes the scenario, overrides "
						  "and seed from DIR: no SCENARIO, --set or --seed");
			goto out;
		}
		error_clear(&e);
		if (!(sc = rundir_load_scenario(ro.resume, &e))) {
			code = cli_fail(&e);
			goto out;
		}
	} else if (!path) {
		code = cliopt_usage_error("run", "missing SCENARIO");
		goto out;
	} else if (!(sc = cli_load_scenario(path, &opts, &code))) {
		goto out;
	}
	cli_progress_init(&prog, quiet, progress);
	ro.reports_base = "reports";
	ro.progress = cli_progress_show;
	ro.progress_ctx = &prog;
	ro.stop = &cli_stop;
	error_clear(&e);
	cli_signals_install();
	r = run_execute(sc, &ro, &sum, &e);
	cli_signals_restore();
	cli_progress_end(&prog);
	scenario_free(sc);
	if (r < 0) {
		code = cli_fail(&e);
		goto out;
	}
	if (sum.warning[0])
		fprintf(stderr, "airtime: warning: %s\n", sum.warning);
	if (sum.notes[0])
		fprintf(stderr, "airtime: note: %s\n", sum.notes);
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
	for (size_t i = 0; i < sum.n_arms; i++) {
		if (sum.n_arms > 1)
			printf("decision, arm %s: %s\n", sum.arms[i].name, sum.arms[i].decision);
		else
			printf("decision: %s\n", sum.arms[i].decision);
	}
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
	"         [--progress] [--no-fail-on-slo] [--max-memory SIZE]\n"
	"     run --resume DIR",
	"Simulate the scenario end to end (warm-up, training, A/B experiment) and write a\n"
	"run directory: reports/NAME-<id>/ (or --out DIR, which must not exist or be empty)\n"
	"with results.db, features.db, lake/, model.forest, report.md, report.html, plots/,\n"
	"and the exact scenario text and seed it was made from.  The directory appears only\n"
	"when the run succeeded.  Progress goes to stderr (not with --quiet): on a terminal\n"
	"one line per phase (each world's simulation, each training, the report), updated\n"
	"in place; otherwise, and with --progress, a plain line every 30 s (5 s with\n"
	"--progress) and one as each phase ends.  Ctrl-C or SIGTERM stops the run at its\n"
	"next check, removes the temporary directory and exits 130 or 143 with one line\n"
	"saying so (a second signal ends it at once).  --seed N is short for --set\n"
	"run.seed=N.\n"
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
	"Memory: the run's peak memory is estimated from the scenario first (airtime\n"
	"validate prints it); above --max-memory SIZE (default: the machine's available\n"
	"memory; none: no limit) the run is refused, naming the keys that drive it.\n"
	"Kill and resume: a run works in a hidden temporary directory next to its final\n"
	"one, locked while it runs, with checkpoints after every training (the end of the\n"
	"warm-up, retrains).  The next run in the same place removes a dead run's\n"
	"directory, or names it when it has checkpoints; --resume DIR continues that run:\n"
	"it is replayed from its start into DIR, loading its trainings from the\n"
	"checkpoints, with results identical to an uninterrupted run.\n"
	"SLOs: the run is checked against the scenario's [slo] keys (latency percentiles,\n"
	"availability, reflection time, host feature-read and scoring time, Redis reads).\n"
	"When one fails, each failing objective is printed on stderr, one line each, and\n"
	"the exit status is 3 (the run directory is complete); --no-fail-on-slo prints the\n"
	"lines and exits 0.",
	cmd_run,
};
