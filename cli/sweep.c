/*
 * `airtime sweep`: one run per cell of a grid of scenario keys.
 */
#include "cli/cli.h"
#include "eval/run.h"
#include "eval/study.h"
#include "eval/sweep.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	struct cli_scenario_opts opts = { 0 };
	struct sweep_spec spec = { 0 };
	struct sweep_result res = { 0 };
	struct error e;
	bool quiet = false;
	uint32_t jobs = 0;
	int code, r;
	const struct cliopt table[] = {
		CLI_SCENARIO_OPTIONS(&opts),
		CLIOPT_FLAG("--quiet", "-q", &quiet),
		CLIOPT_VALUE("--out", "-o", "an argument", cliopt_string, &spec.out),
		CLIOPT_VALUE("--grid", NULL, "an argument", take_grid, &spec),
		CLIOPT_VALUE("--resume", NULL, "a directory", cliopt_string, &spec.resume),
		CLIOPT_UINT("--jobs", cliopt_u32, &jobs, 1, 4096),
		{ .needs = "one scenario", .take = cliopt_operand, .target = &spec.scenario },
		CLIOPT_END,
	};

	if ((code = cliopt_parse("sweep", argc, argv, 1, table)))
		goto out;
	if (spec.resume && (spec.scenario || spec.n_axes || opts.n_sets || opts.seed_set ||
			    spec.out)) {
		code = cliopt_usage_error("sweep", "--resume DIR takes the sweep from DIR: no "
					  "SCENARIO, --grid, --set, --seed or --out with it");
		goto out;
	}
	if (!spec.resume && !spec.scenario) {
		code = cliopt_usage_error("sweep", "missing SCENARIO");
		goto out;
	}
	if (!spec.resume && spec.n_axes == 0) {
		code = cliopt_usage_error("sweep", "missing --grid section.key=v1,v2,...");
		goto out;
	}
	if (!spec.resume && (code = cli_need_input(spec.scenario, "scenario")))
		goto out;
	spec.n_sets = cli_scenario_opts_seal(&opts);
	spec.sets = opts.sets;
	spec.reports_base = "reports";
	spec.jobs = jobs;
	spec.plots = true;
	spec.progress = cli_study_progress;
	spec.progress_ctx = &quiet;
	error_clear(&e);
	r = sweep_execute(&spec, &res, &e);
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
	printf("sweep directory: %s\n", res.dir);
	printf("%-4s %-60s %14s %10s %12s %-6s %s\n", "cell", "policy", "instance-h", "p99 ms",
	       "availability", "SLO", "quality (primary [95 % CI]; guardrails; decision)");
	for (size_t i = 0; i < res.n_cells; i++) {
		const struct sweep_cell *c = &res.cells[i];

		if (c->error) {
			printf("%-4zu %-60s FAILED: %s\n", i, c->overrides, c->error);
			continue;
		}
		printf("%-4zu %-60s %14.2f %10.1f %11.4f%% %-6s %s%s", i, c->overrides,
		       c->instance_hours, c->p99_ms, 100 * c->availability,
		       c->meets_slo ? "meets" : "misses", c->quality ? c->quality : "-",
		       c->cheapest ? " (cheapest meeting the SLO)" : "");
		if (c->same_as >= 0)
			printf(" (same figures as cell %ld)", c->same_as);
		printf("\n");
	}
	if (res.cheapest >= 0)
		printf("cheapest policy meeting the SLO: %s\n", res.cells[res.cheapest].overrides);
	else
		printf("no policy of the grid meets the SLO\n");
	cli_study_print_stats(&res.stats);
	if (res.failed) {
		fprintf(stderr, "airtime: %zu cell%s failed (see above); airtime sweep --resume %s "
			"runs them again\n", res.failed, res.failed == 1 ? "" : "s", res.dir);
		code = EXIT_RUN;
	}
	sweep_result_release(&res);
out:
	for (size_t a = 0; a < spec.n_axes; a++)
		sweep_axis_release(&spec.axes[a]);
	cli_scenario_opts_release(&opts);
	return code;
}

const struct cli_command cli_sweep = {
	"sweep", "sweep SCENARIO --grid section.key=v1,v2,... [--grid ...] [--out DIR] [--set ...]... [--seed N] [--jobs N] [--quiet]\n"
	"       airtime sweep --resume DIR [--jobs N] [--quiet]",
	"Run the scenario once per cell of the cartesian grid (first --grid varies slowest,\n"
	"at most 4 axes and 256 cells), e.g.\n"
	"    airtime sweep scenarios/capacity-sweep.ini \\\n"
	"        --grid endpoint.min_instances+endpoint.initial_instances=1,2,4 \\\n"
	"        --grid endpoint.target_invocations=300,600,1200\n"
	"Keys joined by '+' take the same value (for keys whose bounds depend on each other).\n"
	"Each cell is a full run in DIR/cell-NNN.  The sweep directory (reports/NAME-sweep-<id>/\n"
	"or --out DIR) holds results.db (sweep_axes, sweep_cells, sweep_values), sweep.csv\n"
	"and sweep.png/.svg: cost (instance-hours) against p99 latency, marking the cheapest\n"
	"policy meeting p99 < 200 ms and availability >= 99.8 %; sweep-pareto.png/.svg: cost\n"
	"against the primary metric's lift ([ab] primary) with the Pareto front.  Each cell's\n"
	"quality (primary lift, guardrails, ship decision) is printed and in sweep.csv;\n"
	"cells with identical figures are flagged.\n"
	"Cells run on --jobs local worker processes (default: one per core), or on the ranks\n"
	"of `mpirun -np N airtime sweep ...` (docs/cluster.md); results.db is the same either\n"
	"way.  A cell that fails is reported and the others complete (exit 1).  A sweep whose\n"
	"job was killed resumes where it stopped: run the same command again, or\n"
	"`airtime sweep --resume DIR`; cells already stored are skipped.",
	cmd_sweep,
};
