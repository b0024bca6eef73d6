/*
 * Off-policy estimation speed (issue 17: "estimating 6 estimators on 1 M
 * logged impressions takes under 2 s on one core").  1,000,000 logged
 * impressions: 100,000 pages of 10 slots, propensities from a
 * Plackett-Luce policy's range, a deterministic target agreeing with a
 * share of the slots.  Timed on this thread's CPU clock (one core; robust
 * on a shared host), medians of REPS:
 *   1. the estimators alone (stats/ope): all 7 over the per-slot arrays,
 *      the reward model's predictions given;
 *   2. eval/ope end to end on a logged table of 1 M slots (33 features):
 *      the per-slot arrays built from the log (the target's choice given
 *      the logged prefix, rewards, propensities), the 4 estimators without
 *      a reward model (IPS, SNIPS, IIPS, RIPS);
 *   3. the same with the reward model for DM, DR and cascade-DR (a 10-tree
 *      forest, cross-fitted: 2 trainings on half the log each, capped at
 *      300,000 rows, then 1 M + 1 M predictions), 1 thread.
 */
#include "bench/bench.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/rng.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "eval/ope.h"
#include "results/banditstore.h"
#include "stats/ope.h"

enum { REPS = 3, ROUNDS = 100000, SLOTS = 10, FEATURES = 33 };

/* A logged table of ROUNDS pages, each with one target's page. */
static void make_table(struct bandit_table *t)
{
	const char *names[FEATURES], *target = "forest";
	char buf[FEATURES][16];
	struct policy_config pc = { POLICY_PLACKETT_LUCE, 1, 0, 100 };
	struct rng r;

	for (int i = 0; i < FEATURES; i++) {
		snprintf(buf[i], sizeof(buf[i]), "f%d", i);
		names[i] = buf[i];
	}
	bandit_table_init(t, FEATURES, names, NULL, 1, &target, &pc, 0);
	rng_init(&r, 1, RNG_TEST, 0, 0);
	for (size_t i = 0; i < ROUNDS; i++) {
		struct bandit_round b = { .session = (uint32_t)i, .user = (uint32_t)(i % 5000),
					  .n_candidates = 140, .n_slots = SLOTS, .phase = 1,
					  .logging = 1 };
		long k = bandit_table_add_round(t, &b);
		const struct bandit_round *rb;

		bandit_table_add_targets(t, (size_t)k);
		rb = &t->rounds[k];
		for (size_t j = 0; j < SLOTS; j++) {
			size_t at = rb->first + j, ts = rb->tfirst + j;
			bool agree = rng_uniform(&r) < 0.4;

			t->show[at] = (uint32_t)(j * 7 + rng_below(&r, 7));
			t->tshow[ts] = agree ? t->show[at] : 1000 + (uint32_t)j;
			t->p_cond[at] = 0.05 + 0.9 * rng_uniform(&r);
			t->p_marg[at] = 0.02 + 0.5 * rng_uniform(&r);
			t->tune_in[at] = rng_uniform(&r) < 0.05;
			for (size_t f = 0; f < FEATURES; f++) {
				t->features[at * FEATURES + f] = (float)rng_uniform(&r);
				t->tfeatures[ts * FEATURES + f] = (float)rng_uniform(&r);
			}
		}
	}
}

int main(void)
{
	static size_t first[ROUNDS + 1];
	size_t n = (size_t)ROUNDS * SLOTS;
	double *rw = xcalloc(n, sizeof(double)), *pc = xcalloc(n, sizeof(double)),
	       *pm = xcalloc(n, sizeof(double)), *ec = xcalloc(n, sizeof(double)),
	       *em = xcalloc(n, sizeof(double)), *ql = xcalloc(n, sizeof(double)),
	       *qt = xcalloc(n, sizeof(double)), *dm = xcalloc(ROUNDS, sizeof(double));
	double t_est[REPS], t_eval[REPS], t_model[REPS], checksum = 0;
	struct bandit_table table;
	struct ope_options o;
	struct ope_result res;
	struct error err;
	struct rng r;

	rng_init(&r, 2, RNG_TEST, 0, 0);
	for (size_t i = 0; i < ROUNDS; i++) {
		first[i] = i * SLOTS;
		for (size_t j = 0; j < SLOTS; j++) {
			size_t at = i * SLOTS + j;

			rw[at] = rng_uniform(&r) < 0.05;
			pc[at] = 0.05 + 0.9 * rng_uniform(&r);
			pm[at] = 0.02 + 0.5 * rng_uniform(&r);
			ec[at] = rng_uniform(&r) < 0.6;
			em[at] = rng_uniform(&r) < 0.4;
			ql[at] = 0.05 * rng_uniform(&r);
			qt[at] = 0.05 * rng_uniform(&r);
			dm[i] += qt[at];
		}
	}
	first[ROUNDS] = n;
	for (int rep = 0; rep < REPS; rep++) {
		struct ope_data d = { ROUNDS, first, rw, pc, pm, ec, em, ql, qt, dm };
		double t0 = bench_thread_cpu();

		for (int e = 0; e < OPE_ESTIMATORS; e++) {
			struct ope_estimate x;

			ope_estimate(&d, (enum ope_estimator)e, 0.05, &x, &err);
			checksum += x.estimable ? x.value : 0;
		}
		t_est[rep] = bench_thread_cpu() - t0;
	}
	make_table(&table);
	memset(&o, 0, sizeof(o));
	o.reward = CONFIG_REWARD_TUNE_IN;
	o.reward_trees = 10;
	o.forest = forest_params_defaults();
	o.forest.max_depth = 10;
	o.forest.min_leaf = 20;
	o.forest.n_bins = 64;
	o.threads = 1;
	o.alpha = 0.05;
	o.seed = 3;
	for (int rep = 0; rep < REPS; rep++) {
		double t0;

		o.estimators = (1u << OPE_IPS) | (1u << OPE_SNIPS) | (1u << OPE_IIPS) | (1u << OPE_RIPS);
		t0 = bench_thread_cpu();
		if (ope_evaluate(&table, 0, &o, &res, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		t_eval[rep] = bench_thread_cpu() - t0;
		checksum += res.est[OPE_IPS].value;
	}
	for (int rep = 0; rep < 1; rep++) {
		double t0;

		o.estimators = OPE_ALL;
		t0 = bench_thread_cpu();
		if (ope_evaluate(&table, 0, &o, &res, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		t_model[rep] = bench_thread_cpu() - t0;
		checksum += res.est[OPE_DR].value;
	}
	printf("1,000,000 logged impressions (%d pages x %d slots), one core (thread CPU time), "
	       "median of %d:\n\n", ROUNDS, SLOTS, REPS);
	printf("| what | CPU seconds |\n| --- | --- |\n");
	printf("| the 7 estimators (stats/ope: ips, snips, dm, dr, iips, rips, cascade-dr), "
	       "reward model given | **%.3f** |\n", bench_median(t_est, REPS));
	printf("| eval/ope from the logged table: per-slot arrays + ips, snips, iips, rips | "
	       "**%.3f** |\n", bench_median(t_eval, REPS));
	printf("| the same, all 7, with the reward model (10-tree forest, 2 folds, 1 thread; "
	       "once) | %.3f |\n", t_model[0]);
	printf("\n(checksum %.6g; target < 2 s for the estimators)\n", checksum);
	bandit_table_release(&table);
	free(rw);
	free(pc);
	free(pm);
	free(ec);
	free(em);
	free(ql);
	free(qt);
	free(dm);
	return 0;
}
