/*
 * `airtime replicate`: one scenario over a range of seeds.
 */
#include "cli/cli.h"
#include "eval/replicate.h"
#include "eval/study.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int take_seeds(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	struct replicate_spec *spec = o->target;
	struct error e;

	(void)opt;
	error_clear(&e);
	if (replicate_parse_seeds(val, &spec->seed_first, &spec->seed_last, &e) < 0)
		return cliopt_usage_error(cmd, "%s", e.msg);
	return 0;
}

/* The headline of one summary row. */
static void print_row(const struct replstore_summary *s, const char *label, bool aa)
{
	printf("%s (%s): ", label, s->mode);
	if (s->s.n == 0) {
		printf("no seed could estimate it\n");
		return;
	}
	printf("mean %+.2f %%", 100 * s->s.mean);
	if (!isnan(s->s.lo))
		printf(" [%+.2f, %+.2f]", 100 * s->s.lo, 100 * s->s.hi);
	printf(" over %zu seeds; significant in %zu", s->s.n, s->s.significant);
	if (aa)
		printf("; false positives (raw p < alpha) %zu/%zu = %.0f %% [%.0f, %.0f]",
		       s->s.rejected_raw, s->s.n, 100 * s->share_rejected, 100 * s->rejected_lo,
		       100 * s->rejected_hi);
	if (s->s.with_truth)
		printf("; coverage %zu/%zu = %.0f %% [%.0f, %.0f]", s->s.covered, s->s.with_truth,
		       100 * s->coverage, 100 * s->coverage_lo, 100 * s->coverage_hi);
	printf("\n");
}

static int cmd_replicate(int argc, char **argv)
{
	struct cli_scenario_opts opts = { 0 };
	struct replicate_spec spec = { 0 };
	struct replicate_result res;
	struct error e;
	bool quiet = false, seeds = false;
	uint32_t jobs = 0;
	int code, r;
	struct cliopt seeds_row = { .name = "--seeds", .needs = "a range A-B", .take = take_seeds,
				    .target = &spec, .seen = &seeds };
	const struct cliopt table[] = {
		CLIOPT_VALUE("--set", NULL, "an argument", cli_take_set, &opts),
		CLIOPT_FLAG("--quiet", "-q", &quiet),
		CLIOPT_VALUE("--out", "-o", "a directory", cliopt_string, &spec.out),
		seeds_row,
		CLIOPT_VALUE("--resume", NULL, "a directory", cliopt_string, &spec.resume),
		CLIOPT_UINT("--jobs", cliopt_u32, &jobs, 1, 4096),
		{ .needs = "one scenario", .take = cliopt_operand, .target = &spec.scenario },
		CLIOPT_END,
	};

	memset(&res, 0, sizeof(res));
	if ((code = cliopt_parse("replicate", argc, argv, 1, table)))
		goto out;
	if (spec.resume && (spec.scenario || seeds || opts.n_sets || spec.out)) {
		code = cliopt_usage_error("replicate", "--resume DIR takes the replication from "
					  "DIR: no SCENARIO, --seeds, --set or --out with it");
		goto out;
	}
	if (!spec.resume && !spec.scenario) {
		code = cliopt_usage_error("replicate", "missing SCENARIO");
		goto out;
	}
	if (!spec.resume && !seeds) {
		code = cliopt_usage_error("replicate", "missing --seeds A-B");
		goto out;
	}
	if (!spec.resume && (code = cli_need_input(spec.scenario, "scenario")))
		goto out;
	spec.sets = opts.sets;
	spec.n_sets = opts.n_sets;
	spec.reports_base = "reports";
	spec.jobs = jobs;
	spec.progress = cli_study_progress;
	spec.progress_ctx = &quiet;
	error_clear(&e);
	r = replicate_execute(&spec, &res, &e);
	if (res.worker) {
		/* An MPI rank other than 0: rank 0 reports. */
		code = r < 0 ? cli_fail(&e) : res.worker_code ? cli_exit_for(&(struct error){
				.code = res.worker_code }) : EXIT_OK;
		goto out;
	}
	if (r < 0) {
		code = cli_fail(&e);
		goto out;
	}
	if (res.warning[0])
		fprintf(stderr, "airtime: warning: %s\n", res.warning);
	printf("replication directory: %s\n", res.dir);
	if (res.data.study.aa)
		printf("A/A test: treatment = control = %s; the true lift is 0\n",
		       res.data.study.control);
	printf("truth for coverage: %s\n", res.data.study.truth);
	for (size_t i = 0; i < res.data.n_summary; i++) {
		const struct replstore_summary *s = &res.data.summary[i];

		if (!strcmp(s->metric, "engagement_actions"))
			print_row(s, "engagement actions", res.data.study.aa);
		else if (!strcmp(s->metric, "listening_minutes"))
			print_row(s, "listening minutes", res.data.study.aa);
	}
	cli_study_print_stats(&res.stats);
	printf("report: %s/report.html\n", res.dir);
	if (res.data.study.failed) {
		fprintf(stderr, "airtime: %zu seed%s failed (see above); airtime replicate --resume "
			"%s runs them again\n", res.data.study.failed,
			res.data.study.failed == 1 ? "" : "s", res.dir);
		code = EXIT_RUN;
	}
out:
	replicate_result_release(&res);
	cli_scenario_opts_release(&opts);
	return code;
}

const struct cli_command cli_replicate = {
	"replicate", "replicate SCENARIO --seeds A-B [--out DIR] [--set section.key=value]... [--jobs N] [--quiet]\n"
	"       airtime replicate --resume DIR [--jobs N] [--quiet]",
	"Run the scenario once per seed A, A+1, ..., B (at most 4096), each a full run in\n"
	"DIR/seed-N, and report what the A/B result is worth across seeds.  The study\n"
	"directory (reports/NAME-replicate-<id>/ or --out DIR) holds results.db (per seed and\n"
	"across seeds: mean lift with a t interval, share of seeds significant, the\n"
	"false-positive rate of an A/A test, interval coverage) and report.md/.html with\n"
	"forest plots of the per-seed intervals.\n"
	"A/A: with [ab] treatment = control the true lift is 0 and the share of seeds with\n"
	"p < alpha is the false-positive rate.  Coverage: with [ab] mode = both, each seed's\n"
	"twin lift (all-treatment world against all-control world) is that seed's truth for\n"
	"its split interval.\n"
	"Seeds run on --jobs local worker processes (default: one per core), or on the\n"
	"ranks of `mpirun -np N airtime replicate ...` (docs/cluster.md); results.db is the\n"
	"same either way.  A seed that fails is reported and the others complete (exit 1).\n"
	"A replication whose job was killed resumes where it stopped: run the same command\n"
	"again, or `airtime replicate --resume DIR`; seeds already stored are skipped.",
	cmd_replicate,
};
