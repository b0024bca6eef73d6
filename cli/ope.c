/*
 * `airtime ope`: off-policy evaluation of a run directory against the truth.
 */
#include "cli/cli.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "eval/operun.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void progress(void *ctx, const char *what)
{
	bool *quiet = ctx;

	if (!*quiet)
		fprintf(stderr, "airtime ope: %s\n", what);
}

static void print_result(const struct operun_result *o)
{
	const struct ope_result *r = &o->res;
	bool truth = !isnan(r->truth);

	printf("off-policy evaluation of '%s', reward %s per page\n", r->target,
	       config_reward_name(r->reward));
	if (o->replay)
		printf("log: %zu pages recorded in the replayed trace, with the propensities its "
		       "impressions carry", r->rounds);
	else
		printf("log: %zu pages served by the control ranker's %s policy", r->rounds,
		       policy_kind_name(o->policy.kind));
	if (o->replay)
		;
	else if (o->policy.kind == POLICY_PLACKETT_LUCE)
		printf(" (temperature %g, marginals by Monte Carlo over %u prefixes per slot)",
		       o->policy.temperature, o->policy.marginal_samples);
	else if (o->policy.kind == POLICY_EPSILON)
		printf(" (epsilon %g)", o->policy.epsilon);
	printf("; its own value %.4f\n", r->logged_value);
	if (truth)
		printf("truth: %.4f +- %.4f (online: %zu pages of the target's twin world, %s)\n",
		       r->truth, 1.96 * r->truth_se, r->truth_rounds,
		       o->truth_from_run ? "stored in the run" : "simulated now");
	if (o->replay)
		printf("truth: none on a replayed trace (no behaviour model says what its users "
		       "would have done with the target's pages)\n");
	if (!isnan(r->model_truth))
		printf("closed form on the logged requests: %.4f\n", r->model_truth);
	printf("%-11s %10s  %-23s %10s %7s %9s %10s\n", "estimator", "estimate", "95% interval",
	       truth ? "bias" : "", truth ? "covers" : "", "non-zero", "ESS");
	for (int e = 0; e < OPE_ESTIMATORS; e++) {
		const struct ope_estimate *x = &r->est[e];
		char iv[64];

		if (!(r->estimators & (1u << e)))
			continue;
		if (!x->estimable) {
			printf("%-11s %10s  not estimable: %s\n", ope_estimator_name(e), "-", x->why);
			continue;
		}
		snprintf(iv, sizeof(iv), "[%.4f, %.4f]", x->lo, x->hi);
		printf("%-11s %10.4f  %-23s ", ope_estimator_name(e), x->value, iv);
		if (truth)
			printf("%+10.4f %7s", x->value - r->truth,
			       x->lo <= r->truth && r->truth <= x->hi ? "yes" : "no");
		else
			printf("%10s %7s", "", "");
		printf(" %9zu %10.1f\n", x->nonzero, x->ess);
	}
	if (o->replications) {
		printf("\nover %zu replications (seeds %llu..%llu), against the online truth:\n",
		       o->replications, (unsigned long long)o->first_seed,
		       (unsigned long long)(o->first_seed + o->replications - 1));
		printf("%-11s %10s %10s %9s %17s %11s\n", "estimator", "mean bias", "RMSE",
		       "coverage", "(95% CI)", "mean width");
		for (int e = 0; e < OPE_ESTIMATORS; e++) {
			const struct opestore_summary *s = &o->summary[e];

			if (!s->replications)
				continue;
			printf("%-11s %+10.4f %10.4f %9.3f   [%.3f, %.3f] %11.4f\n",
			       ope_estimator_name(e), s->mean_bias, s->rmse, s->coverage,
			       s->coverage_lo, s->coverage_hi, s->mean_width);
		}
	}
}

static int cmd_ope(int argc, char **argv)
{
	struct operun_request req = { .truth = true, .report = true };
	struct operun_result *out;
	bool no_truth = false, no_report = false, quiet = false, seen_seed = false;
	uint64_t reps = 0;
	struct error e;
	int rc;
	const struct cliopt table[] = {
		CLIOPT_VALUE("--target", NULL, "a ranker", cliopt_string, &req.target),
		CLIOPT_VALUE("--estimators", NULL, "a list of estimators", cliopt_string,
			     &req.estimators),
		CLIOPT_VALUE("--reward", NULL, "a reward", cliopt_string, &req.reward),
		CLIOPT_UINT("--replications", cliopt_uint, &reps, 0, 10000),
		{ .name = "--first-seed", .needs = "a seed", .take = cliopt_uint,
		  .target = &req.first_seed, .lo = 0, .hi = 9007199254740991ULL,
		  .seen = &seen_seed },
		CLIOPT_FLAG("--no-truth", NULL, &no_truth),
		CLIOPT_FLAG("--no-report", NULL, &no_report),
		CLIOPT_FLAG("--quiet", "-q", &quiet),
		CLIOPT_ONE_OPERAND("one run directory", "missing RUN_DIR", &req.dir),
		CLIOPT_END,
	};

	if ((rc = cliopt_parse("ope", argc, argv, 1, table)))
		return rc;
	if (!req.target)
		return cliopt_usage_error("ope", "missing --target RANKER");
	if ((rc = cli_need_run_dir(req.dir)))
		return rc;
	req.replications = (size_t)reps;
	req.has_first_seed = seen_seed;
	req.truth = !no_truth;
	req.report = !no_report;
	req.progress = progress;
	req.progress_ctx = &quiet;
	if (!quiet && !isatty(STDERR_FILENO))
		quiet = false;
	out = xcalloc(1, sizeof(*out));
	error_clear(&e);
	rc = operun_run_dir(&req, out, &e);
	if (rc < 0) {
		free(out);
		return cli_fail(&e);
	}
	print_result(out);
	if (out->warning[0])
		fprintf(stderr, "airtime: warning: %s\n", out->warning);
	free(out);
	return EXIT_OK;
}

const struct cli_command cli_ope = {
	"ope",
	"ope RUN_DIR --target RANKER [--estimators LIST] [--reward R] [--replications N]\n"
	"            [--first-seed S] [--no-truth] [--no-report] [--quiet]",
	"Off-policy evaluation: estimate the value of RANKER (mean reward of a page) from the\n"
	"pages RUN_DIR logged under its stochastic logging policy, and score each estimate\n"
	"against the truth.  The run must have logged them: [logging] impressions = true,\n"
	"policy = plackett-luce or epsilon, and RANKER among [ope] targets (scored on every\n"
	"logged page at serving time).\n"
	"Estimators (--estimators all, or a list): ips, snips, dm, dr (the page as one\n"
	"action), iips, rips, cascade-dr (slot by slot); DM and the DRs use a reward model, a\n"
	"random forest on the logged slots cross-fitted in two folds.  Intervals: normal\n"
	"approximation of the per-page terms, delta method for SNIPS.  --reward: tune_in,\n"
	"listen_minutes, like, follow or notify (default: the run's [ope] reward).\n"
	"The truth: RANKER ranking everyone in a twin world of the run's scenario and seed\n"
	"(common random numbers): the run's own world when it has one, else simulated now;\n"
	"--no-truth skips it.  The closed form (the behaviour model's expected tune-ins of\n"
	"RANKER's pages on the logged requests) is shown when the model has one.\n"
	"--replications N simulates N more seeds (--first-seed S, default the run's seed + 1),\n"
	"the logging world and RANKER's world each, and reports each estimator's mean bias,\n"
	"RMSE and interval coverage.  Everything is stored in RUN_DIR/results.db\n"
	"(ope_estimates, ope_replications, ope_summary) and the report is rebuilt with an\n"
	"\"Off-policy evaluation\" section and plots (--no-report: not).",
	cmd_ope,
};
