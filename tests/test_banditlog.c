/* Tests for eval/banditlog.c and the logging policies inside a world
 * (eval/worldrun.c), results/banditstore.c's round trip and CSV, and
 * eval/ope.c on a tiny world whose truth is known in closed form.
 *
 *   - logging adds nothing to the simulation: a world with the impressions
 *     logged (deterministic policy) emits the same events and per-user
 *     metrics as one without;
 *   - every tune-in from the home page of a logged session is attributed to
 *     its slot;
 *   - an epsilon-greedy world logs the exact marginals the policy states,
 *     and conditionals consistent with the page;
 *   - the table survives results.db and CSV;
 *   - on a world where the behaviour model's closed form is exact
 *     (independent taps, no think time, 1-second listens, 2 slots out of
 *     4 candidates), IPS and DR are unbiased for the closed-form value of
 *     the target's pages over seeds, within their intervals. */
#include "eval/banditlog.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/db.h"
#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "eval/ope.h"
#include "eval/worldrun.h"
#include "results/banditstore.h"
#include "results/results.h"
#include "stats/metrics.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

static const char *const tiny[] = {
	"world.users=300",        "world.creators=50",      "run.warmup_days=1",
	"run.experiment_days=1",  "model.trees=10",         "spike.promo.start=30h",
	"spike.promo.magnitude=100", "logging.sample_sessions=100%",
};
#define TINY_N (sizeof(tiny) / sizeof(tiny[0]))

static struct scenario *scenario_with(const char *const *extra, size_t n_extra)
{
	const char *sets[32];
	struct scenario *sc;
	struct error err;

	ck_assert(TINY_N + n_extra <= 32);
	memcpy(sets, tiny, sizeof(tiny));
	if (n_extra)   /* extra may be NULL: memcpy wants a pointer even for 0 bytes */
		memcpy(sets + TINY_N, extra, n_extra * sizeof(*extra));
	sc = scenario_load(&config_schema, "scenarios/default.ini", sets, TINY_N + n_extra, &err);
	ck_assert_msg(sc != NULL, "%s", err.msg);
	return sc;
}

static struct worldrun *world_run(const struct scenario *sc, int policy, const char *name)
{
	char *dir = tmpdir_path(name);
	struct worldrun_io io = { 0 };
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct error err;
	struct worldrun *w;

	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_msg(config_load(cfg, sc, &err) == 0, "%s", err.msg);
	w = worldrun_new(cfg, sc, policy, name, dir, NULL, &io, &err);
	free(cfg);
	ck_assert_msg(w != NULL, "%s", err.msg);
	ck_assert_msg(worldrun_execute(w, &err) == 0, "%s", err.msg);
	free(dir);
	return w;
}

START_TEST(logging_changes_nothing_simulated)
{
	static const char *const on[] = { "logging.impressions=true" };
	struct scenario *a = scenario_with(NULL, 0), *b = scenario_with(on, 1);
	struct worldrun *wa = world_run(a, WORLDRUN_SPLIT, "off"), *wb = world_run(b, WORLDRUN_SPLIT, "on");
	const struct metrics *ma = worldrun_metrics(wa), *mb = worldrun_metrics(wb);

	ck_assert_ptr_null(worldrun_bandit(wa));
	ck_assert_ptr_nonnull(worldrun_bandit(wb));
	ck_assert_uint_gt(worldrun_bandit(wb)->n_rows, 0);
	ck_assert_uint_eq(worldrun_events(wa), worldrun_events(wb));
	for (uint32_t u = 0; u < metrics_users(ma); u++)
		for (int id = 0; id < METRIC_COUNT; id++)
			for (int p = 0; p < METRICS_PERIODS; p++)
				ck_assert(metrics_value(ma, u, id, p) == metrics_value(mb, u, id, p));
	worldrun_free(wa);
	worldrun_free(wb);
	scenario_free(a);
	scenario_free(b);
}
END_TEST

/* With every session logged, the slots' tune-ins are the home clicks. */
START_TEST(tune_ins_are_attributed)
{
	static const char *const on[] = { "logging.impressions=true",
					  "logging.policy=plackett-luce", "logging.temperature=2" };
	struct scenario *sc = scenario_with(on, 3);
	struct worldrun *w = world_run(sc, WORLDRUN_SPLIT, "w");
	const struct bandit_table *t = worldrun_bandit(w);
	const struct metrics *m = worldrun_metrics(w);
	double clicks = 0, impressions = 0;
	uint64_t tuned = 0, listen = 0;

	ck_assert_uint_eq(t->dropped, 0);
	for (uint32_t u = 0; u < metrics_users(m); u++)
		for (int p = 0; p < METRICS_PERIODS; p++) {
			clicks += metrics_value(m, u, METRIC_HOME_CLICKS, p);
			impressions += metrics_value(m, u, METRIC_IMPRESSIONS, p);
		}
	for (size_t i = 0; i < t->n_rows; i++) {
		tuned += t->tune_in[i];
		listen += t->listen_us[i] > 0;
		ck_assert_msg(t->p_cond[i] > 0 && t->p_cond[i] <= 1, "row %zu (round %u, slot %u, "
			      "logging %d): %.17g", i, t->row_round[i], t->position[i],
			      t->rounds[t->row_round[i]].logging, t->p_cond[i]);
		ck_assert(t->p_marg[i] > 0 && t->p_marg[i] <= 1);
		ck_assert(!t->tune_in[i] || t->live[i]);
	}
	ck_assert(clicks > 50);
	ck_assert_msg((double)tuned == clicks, "%llu tune-ins logged, %g home clicks",
		      (unsigned long long)tuned, clicks);
	ck_assert((double)t->n_rows == impressions);
	ck_assert_uint_le(listen, tuned);
	worldrun_free(w);
	scenario_free(sc);
}
END_TEST

/* P(Binomial(m, e) < t), as engine/policy.h states the marginal. */
static double below(size_t m, double e, size_t t)
{
	double cdf = 0;

	for (size_t i = 0; i < t && i <= m; i++)
		cdf += exp(lgamma((double)m + 1) - lgamma((double)i + 1) - lgamma((double)(m - i) + 1) +
			   (double)i * log(e) + (double)(m - i) * log1p(-e));
	return cdf > 1 ? 1 : cdf;
}

START_TEST(epsilon_marginals_are_exact)
{
	static const char *const on[] = { "logging.impressions=true", "logging.policy=epsilon",
					  "logging.epsilon=30%" };
	struct scenario *sc = scenario_with(on, 3);
	struct worldrun *w = world_run(sc, WORLDRUN_SPLIT, "w");
	const struct bandit_table *t = worldrun_bandit(w);
	size_t swaps = 0;

	for (size_t i = 0; i < t->n_rounds; i++) {
		const struct bandit_round *b = &t->rounds[i];
		size_t tail = b->n_candidates - b->n_slots, m = 0;

		if (!b->logging)
			continue;
		for (size_t j = 0; j < b->n_slots; j++) {
			size_t at = b->first + j;
			double q = 0.3 * below(j, 0.3, tail);
			bool greedy = fabs(t->p_marg[at] - (1 - q)) < 1e-12;

			if (!greedy) {
				ck_assert_msg(fabs(t->p_marg[at] - q / (double)tail) < 1e-12,
					      "round %zu slot %zu: %g", i, j, t->p_marg[at]);
				ck_assert(fabs(t->p_cond[at] - 0.3 / (double)(tail - m)) < 1e-12);
				m++;
				swaps++;
			} else {
				ck_assert(fabs(t->p_cond[at] - (m < tail ? 0.7 : 1)) < 1e-12);
			}
		}
	}
	ck_assert_uint_gt(swaps, 100);
	worldrun_free(w);
	scenario_free(sc);
}
END_TEST

START_TEST(table_round_trips_through_results_db_and_csv)
{
	static const char *const on[] = { "logging.impressions=true",
					  "logging.policy=plackett-luce", "ope.targets=popularity" };
	struct scenario *sc = scenario_with(on, 3);
	struct worldrun *w = world_run(sc, WORLDRUN_SPLIT, "w");
	const struct bandit_table *t = worldrun_bandit(w);
	struct results_run run = { .name = "t", .scenario_text = "", .overrides = "", .seed = 1 };
	struct bandit_table back;
	struct results *r;
	struct error err;
	int64_t id;
	uint64_t rows;
	char *csv = tmpdir_path("imp.csv"), line[256];
	FILE *f;

	r = results_open(":memory:", &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(results_begin_run(r, &run, &id, &err), 0);
	ck_assert_msg(banditstore_put(r, id, t, &err) == 0, "%s", err.msg);
	ck_assert_msg(banditstore_get(r, id, &back, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(back.n_rounds, t->n_rounds);
	ck_assert_uint_eq(back.n_rows, t->n_rows);
	ck_assert_uint_eq(back.n_tslots, t->n_tslots);
	ck_assert_uint_eq(back.stride, t->stride);
	ck_assert_str_eq(back.target_names[0], "popularity");
	ck_assert_int_eq(back.policy.kind, POLICY_PLACKETT_LUCE);
	for (size_t i = 0; i < t->n_rows; i++) {
		ck_assert_uint_eq(back.show[i], t->show[i]);
		ck_assert(back.p_cond[i] == t->p_cond[i] && back.p_marg[i] == t->p_marg[i]);
		ck_assert_uint_eq(back.tune_in[i], t->tune_in[i]);
		ck_assert(memcmp(back.features + i * t->stride, t->features + i * t->stride,
				 t->stride * sizeof(float)) == 0);
	}
	for (size_t i = 0; i < t->n_rounds; i++) {
		ck_assert_uint_eq(back.rounds[i].session, t->rounds[i].session);
		ck_assert_uint_eq(back.rounds[i].has_targets, t->rounds[i].has_targets);
		if (t->rounds[i].has_targets)
			for (size_t j = 0; j < t->rounds[i].n_slots; j++)
				ck_assert_uint_eq(back.tshow[back.rounds[i].tfirst + j],
						  t->tshow[t->rounds[i].tfirst + j]);
	}
	ck_assert_int_eq(banditstore_export_csv(r, id, BANDITSTORE_IMPRESSIONS, csv, &rows, &err), 0);
	ck_assert_uint_eq(rows, t->n_rows);
	f = fopen(csv, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_msg(!strncmp(line, "round,position,session,user,time_us,phase,arm,",
			       strlen("round,position,session,user,time_us,phase,arm,")), "%s", line);
	fclose(f);
	ck_assert_int_eq(banditstore_export_csv(r, id, BANDITSTORE_USERS, csv, &rows, &err),
			 ERR_NOTFOUND);
	bandit_table_release(&back);
	results_close(r);
	free(csv);
	worldrun_free(w);
	scenario_free(sc);
}
END_TEST

/* The closed form is exact here: independent taps, no think time, 1-second
 * listens (a show hardly ends between the page and the tune-in); 2 slots of
 * 4 candidates, so whole pages match the target's often enough for IPS. */
START_TEST(ips_and_dr_unbiased_on_a_closed_form_world)
{
	enum { SEEDS = 12 };
	double sb[OPE_ESTIMATORS] = { 0 }, ss[OPE_ESTIMATORS] = { 0 };
	int covered[OPE_ESTIMATORS] = { 0 };

	for (int s = 0; s < SEEDS; s++) {
		char seed[32], name[16];
		const char *on[] = {
			"logging.impressions=true", "logging.policy=plackett-luce",
			"logging.temperature=1", "ope.targets=popularity", "rank.max_candidates=4",
			"rank.k=2", "behaviour.page_size=2", "behaviour.think_time=0s",
			"behaviour.listen_median=1s", "behaviour.listen_sigma=0",
			"run.experiment_days=2", "ope.reward_trees=10", seed,
		};
		struct scenario *sc;
		struct worldrun *w;
		struct config *cfg = xcalloc(1, sizeof(*cfg));
		struct ope_options o;
		struct ope_result res;
		struct error err;

		snprintf(seed, sizeof(seed), "run.seed=%d", 100 + s);
		snprintf(name, sizeof(name), "s%d", s);
		sc = scenario_with(on, sizeof(on) / sizeof(on[0]));
		w = world_run(sc, WORLDRUN_SPLIT, name);
		ck_assert_int_eq(config_load(cfg, sc, &err), 0);
		ck_assert_int_eq(ope_options_from_config(cfg, sc, &o, &err), 0);
		ck_assert_msg(ope_evaluate(worldrun_bandit(w), 0, &o, &res, &err) == 0, "%s", err.msg);
		ck_assert(!isnan(res.model_truth));
		for (int e = 0; e < OPE_ESTIMATORS; e++) {
			ck_assert_msg(res.est[e].estimable, "%s: %s", ope_estimator_name(e),
				      res.est[e].why);
			sb[e] += res.est[e].value - res.model_truth;
			ss[e] += res.est[e].se;
			covered[e] += ope_covers(&res.est[e], res.model_truth);
		}
		worldrun_free(w);
		scenario_free(sc);
		free(cfg);
	}
	for (int e = 0; e < OPE_ESTIMATORS; e++) {
		double bias = sb[e] / SEEDS, se = ss[e] / SEEDS / sqrt(SEEDS);

		printf("closed-form world: %-10s mean bias %+.5f (se of the mean %.5f), covers %d/%d\n",
		       ope_estimator_name(e), bias, se, covered[e], SEEDS);
		fflush(stdout);
		if (e == OPE_IPS || e == OPE_DR)
			ck_assert_msg(fabs(bias) <= 3.29 * se, "%s: mean bias %g, se %g",
				      ope_estimator_name(e), bias, se);
	}
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, logging_changes_nothing_simulated);
	tcase_add_test(tc, tune_ins_are_attributed);
	tcase_add_test(tc, epsilon_marginals_are_exact);
	tcase_add_test(tc, table_round_trips_through_results_db_and_csv);
	tcase_add_test(tc, ips_and_dr_unbiased_on_a_closed_form_world);
}

CHECK_MAIN("banditlog", add_tests, 600)
