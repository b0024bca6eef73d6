/* Tests for eval/operun.c (airtime ope over a run directory) and the
 * off-policy parts of eval/run.c, on tiny runs made once for the suite:
 *   - a run logging with Plackett-Luce and a target stores the estimates
 *     against its target world's truth; airtime ope finds the same truth in
 *     the run and stores its rows; a replication is summarised;
 *   - bad inputs give clear errors: a run that logged nothing, a
 *     deterministic log, an unknown ranker, a ranker not scored on the
 *     logged pages, bad estimator and reward names;
 *   - a trace exported from a Plackett-Luce run carries the propensities:
 *     its replay splits users between the arms (the forest trained on the
 *     trace's warm-up), compares the serving side per arm, and estimates
 *     the target from the trace's propensities, with no truth. */
#include "eval/operun.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "eval/run.h"
#include "render/plot.h"
#include "results/opestore.h"
#include "results/results.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

static const char *const base[] = {
	"world.users=400",      "world.creators=60",        "run.warmup_days=1",
	"run.experiment_days=1", "model.trees=10",          "spike.promo.start=30h",
	"spike.promo.magnitude=100", "report.plots=false",  "logging.sample_sessions=100%",
	"ope.reward_trees=5",   "logging.marginal_samples=20",
};
#define BASE_N (sizeof(base) / sizeof(base[0]))

static char *dir_plain, *dir_det, *dir_pl, *dir_replay, *trace;
static struct run_summary sum_pl, sum_replay;

static char *make_run(const char *name, const char *const *extra, size_t n_extra,
		      const char *trace_in, const char *trace_out, struct run_summary *sum)
{
	const char *sets[32];
	char *out = tmpdir_path(name);
	struct run_options o = { .out = out, .trace_in = trace_in, .trace_out = trace_out,
				 .no_report = true };
	struct run_summary local;
	struct scenario *sc;
	struct error err;

	memcpy(sets, base, sizeof(base));
	if (n_extra)   /* extra may be NULL: memcpy wants a pointer even for 0 bytes */
		memcpy(sets + BASE_N, extra, n_extra * sizeof(*extra));
	sc = scenario_load(&config_schema, "scenarios/default.ini", sets, BASE_N + n_extra, &err);
	ck_assert_msg(sc != NULL, "%s", err.msg);
	ck_assert_msg(run_execute(sc, &o, sum ? sum : &local, &err) == 0, "%s: %s", name, err.msg);
	scenario_free(sc);
	return out;
}

static void setup(void)
{
	static const char *const det[] = { "logging.impressions=true" };
	static const char *const pl[] = { "logging.impressions=true", "logging.policy=plackett-luce",
					  "ope.targets=popularity" };
	static const char *const exp[] = { "logging.policy=plackett-luce" };
	static const char *const rep[] = { "logging.impressions=true", "ope.targets=popularity" };

	tmpdir_setup();
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	trace = tmpdir_path("t.bin");
	dir_plain = make_run("plain", NULL, 0, NULL, NULL, NULL);
	dir_det = make_run("det", det, 1, NULL, NULL, NULL);
	dir_pl = make_run("pl", pl, 3, NULL, NULL, &sum_pl);
	free(make_run("exported", exp, 1, NULL, trace, NULL));
	dir_replay = make_run("replay", rep, 2, trace, NULL, &sum_replay);
}

static void teardown(void)
{
	free(dir_plain);
	free(dir_det);
	free(dir_pl);
	free(dir_replay);
	free(trace);
	plot_set_program(NULL);
	tmpdir_teardown();
}

static int ope(const char *dir, const char *target, const char *estimators, const char *reward,
	       size_t reps, struct operun_result *out, struct error *err)
{
	struct operun_request req = { .dir = dir, .target = target, .estimators = estimators,
				      .reward = reward, .replications = reps, .truth = true,
				      .tmp_base = tmpdir };

	return operun_run_dir(&req, out, err);
}

START_TEST(the_run_scores_its_targets_against_their_truth)
{
	const struct ope_result *r = &sum_pl.ope[0];

	ck_assert_uint_eq(sum_pl.n_ope, 1);
	ck_assert_str_eq(r->target, "popularity");
	ck_assert_uint_gt(r->rounds, 100);
	ck_assert_msg(!isnan(r->truth) && r->truth_rounds > 100, "truth %g over %zu", r->truth,
		      r->truth_rounds);
	ck_assert(!isnan(r->model_truth));
	for (int e = 0; e < OPE_ESTIMATORS; e++)
		ck_assert_msg(r->est[e].estimable, "%s: %s", ope_estimator_name(e), r->est[e].why);
}
END_TEST

static int count_cb(const struct opestore_estimate *e, void *ctx)
{
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

START_TEST(ope_finds_the_truth_in_the_run_and_replicates)
{
	struct operun_result *o = xcalloc(1, sizeof(*o));
	struct results *res;
	struct error err;
	char *db = xasprintf("%s/results.db", dir_pl);
	int n = 0;

	ck_assert_msg(ope(dir_pl, "popularity", "ips,iips,dr", NULL, 1, o, &err) == 0, "%s", err.msg);
	ck_assert(o->truth_from_run && !o->truth_simulated);
	ck_assert(o->res.truth == sum_pl.ope[0].truth);
	ck_assert(o->res.est[OPE_IIPS].value == sum_pl.ope[0].est[OPE_IIPS].value);
	ck_assert_uint_eq(o->res.estimators, (1u << OPE_IPS) | (1u << OPE_IIPS) | (1u << OPE_DR));
	ck_assert_uint_eq(o->replications, 1);
	ck_assert_uint_eq(o->summary[OPE_IIPS].replications, 1);
	ck_assert(!isnan(o->summary[OPE_IIPS].rmse));
	res = results_open_readonly(db, &err);
	ck_assert_ptr_nonnull(res);
	ck_assert_int_eq(opestore_each_estimate(res, o->run_id, count_cb, &n, &err), 0);
	ck_assert_int_eq(n, 7);    /* the run's 7 rows, 3 of them replaced */
	results_close(res);
	free(db);
	free(o);
}
END_TEST

START_TEST(bad_inputs_give_clear_errors)
{
	struct operun_result *o = xcalloc(1, sizeof(*o));
	struct error err;

	ck_assert_int_eq(ope(dir_plain, "popularity", NULL, NULL, 0, o, &err), ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "logged no impressions") &&
		      strstr(err.msg, "logging.impressions=true"), "%s", err.msg);
	ck_assert_int_eq(ope(dir_det, "popularity", NULL, NULL, 0, o, &err), ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "logged no propensities but 1") &&
		      strstr(err.msg, "plackett-luce"), "%s", err.msg);
	ck_assert_int_eq(ope(dir_pl, "nosuch", NULL, NULL, 0, o, &err), ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "unknown target ranker 'nosuch'") &&
		      strstr(err.msg, "heuristic"), "%s", err.msg);
	ck_assert_int_eq(ope(dir_pl, "random", NULL, NULL, 0, o, &err), ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "'random' was not scored") &&
		      strstr(err.msg, "ope.targets=random"), "%s", err.msg);
	ck_assert_int_eq(ope(dir_pl, "popularity", "ips,magic", NULL, 0, o, &err), ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "unknown estimator 'magic'"), "%s", err.msg);
	ck_assert_int_eq(ope(dir_pl, "popularity", NULL, "clicks", 0, o, &err), ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "unknown reward 'clicks'"), "%s", err.msg);
	ck_assert_int_eq(ope("/nonexistent/run", "popularity", NULL, NULL, 0, o, &err), ERR_IO);
	free(o);
}
END_TEST

START_TEST(a_replayed_trace_compares_arms_and_estimates_without_truth)
{
	struct operun_result *o = xcalloc(1, sizeof(*o));
	const struct ope_result *r = &sum_replay.ope[0];
	bool forest = false, heuristic = false;
	struct error err;

	ck_assert(sum_replay.replay);
	for (size_t i = 0; i < sum_replay.n_serving; i++) {
		const struct run_serving *v = &sum_replay.serving[i];

		if (!strcmp(v->ranker, "forest")) {
			forest = true;
			ck_assert(v->s.nodes > 0);   /* trained on the trace's warm-up */
		}
		heuristic = heuristic || !strcmp(v->ranker, "heuristic");
	}
	ck_assert(forest && heuristic);
	ck_assert_uint_eq(sum_replay.n_ope, 1);
	ck_assert_uint_gt(r->rounds, 50);
	ck_assert(isnan(r->truth) && isnan(r->model_truth));
	ck_assert_msg(r->est[OPE_IIPS].estimable, "%s", r->est[OPE_IIPS].why);
	ck_assert_msg(ope(dir_replay, "popularity", NULL, NULL, 0, o, &err) == 0, "%s", err.msg);
	ck_assert(o->replay && isnan(o->res.truth) && !o->truth_simulated);
	/* replications would simulate the synthetic world, not the trace */
	ck_assert_int_eq(ope(dir_replay, "popularity", NULL, NULL, 2, o, &err), ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "--replications") && strstr(err.msg, "replayed a trace"),
		      "%s", err.msg);
	free(o);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, the_run_scores_its_targets_against_their_truth);
	tcase_add_test(tc, ope_finds_the_truth_in_the_run_and_replicates);
	tcase_add_test(tc, bad_inputs_give_clear_errors);
	tcase_add_test(tc, a_replayed_trace_compares_arms_and_estimates_without_truth);
}

CHECK_MAIN("operun", add_tests, 600)
