#ifndef AIRTIME_EVAL_OPE_H
#define AIRTIME_EVAL_OPE_H
/*
 * Off-policy evaluation scored against the truth.
 *
 * The log: the pages a world logged ([logging] impressions) that the
 * control ranker served under the logging policy in the experiment, with
 * each target's greedy page on the same request (the targets score the
 * same candidates and feature rows at serving time: [ope] targets).  For
 * a target, per slot k of a logged page a_1..a_K:
 *   e_k = 1 when a_k is the target's choice given the logged prefix (its
 *         best-scored show not among a_1..a_{k-1}), else 0; f_k = 1 when a_k
 *         is the target's k-th show;
 *   the reward r_k ([ope] reward) and the logged propensities;
 *   the reward model q(x, a, k): a random forest on the logged slots'
 *         feature rows plus the slot position (classification for 0/1
 *         rewards, regression for listening minutes), cross-fitted: rounds
 *         are split in two folds by hash of the session, and each fold's
 *         slots are predicted by the forest trained on the other fold;
 *         g_k = q(x, target's choice given the prefix, k), dm = sum_k
 *         q(x, target's k-th show, k).
 * stats/ope.h computes the estimators and their intervals.
 *
 * The truth of a target is measured online: a twin world in which the
 * target ranks everyone's pages after the same warm-up (common random
 * numbers), its pages of the same sampled sessions logged the same way;
 * the truth is the mean total reward of those pages, over the users the
 * logging policy served (the control arm's in a split world, everyone in
 * a control twin).  A second truth, model_truth, needs no second world:
 * the behaviour model's closed-form expected tune-ins of the target's pages
 * on the logged requests (position-based model with independent taps
 * only; NaN otherwise).  The online truth includes what a page changes in
 * the world later (social proof, follows, features); the closed form does
 * not, and is what the estimators estimate without bias.
 *
 * Replications (airtime ope --replications) simulate, for each seed, the
 * logging world and the target's twin world in a temporary directory,
 * then evaluate as above.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "config/config.h"
#include "stats/ope.h"

struct bandit_table;
struct scenario;

struct ope_options {
	unsigned estimators;             /* mask of (1u << enum ope_estimator) */
	enum config_ope_reward reward;
	uint32_t reward_trees;
	struct forest_params forest;     /* the reward model's other settings ([model]) */
	int threads;
	double alpha;
	uint64_t seed;                   /* folds and the reward model's trees */
};

/* The options of a loaded config: [ope] estimators (ERR_INPUT naming the
 * key when bad), reward, reward_trees, [model] forest and threads. */
int ope_options_from_config(const struct config *cfg, const struct scenario *sc,
			    struct ope_options *o, struct error *err);

struct ope_result {
	char target[SCENARIO_NAME_MAX + 1];
	enum config_ope_reward reward;
	unsigned estimators;
	size_t rounds;                   /* logged pages evaluated on */
	double logged_value;             /* the logging policy's own mean page reward there */
	struct ope_estimate est[OPE_ESTIMATORS];
	double truth, truth_se;          /* online, NaN without a truth world */
	size_t truth_rounds;
	double model_truth;              /* closed form on the logged requests, NaN if none */
	double reward_model_rows;        /* slots the reward model was trained on */
};

/* The target named `target` of a log: its index, or ERR_INPUT listing the
 * targets the log holds (none: [ope] targets was empty). */
int ope_find_target(const struct bandit_table *log, const char *target, size_t *index,
		    struct error *err);

/* Whether the log's pages were drawn with propensities other than 1 (a
 * stochastic logging policy, or exploration shuffles). */
bool ope_log_is_stochastic(const struct bandit_table *log);

/* Estimate target `target` of log with o; out->truth NaN (ope_truth fills it). */
int ope_evaluate(const struct bandit_table *log, size_t target, const struct ope_options *o,
		 struct ope_result *out, struct error *err);

/* Who the logging policy served: every user (policy 0: the control twin)
 * or the control arm's users of a split (WORLDRUN_SPLIT). */
struct ope_population {
	bool split;
	uint64_t salt;
	size_t n_arms;
	double share[CONFIG_AB_ARMS_MAX];
};
void ope_population_init(struct ope_population *p, const struct config *cfg, int policy);
bool ope_population_has(const struct ope_population *p, uint32_t user);

/* The online truth from the target world's log: mean total reward of its
 * experiment pages of users in the population. */
void ope_truth(const struct bandit_table *truth_log, const struct ope_population *pop,
	       enum config_ope_reward reward, struct ope_result *out);

/* Bias and interval coverage of an estimate against a truth. */
bool ope_covers(const struct ope_estimate *e, double truth);

/* One replication: the scenario sc under seed `seed` (its [ope] targets
 * replaced by the one target), the logging world under `policy`
 * (WORLDRUN_SPLIT or 0) and the target's twin world, simulated in a
 * temporary directory under tmp_base (NULL: $TMPDIR or /tmp) and removed;
 * out evaluated against both truths.  progress (may be NULL) is told each
 * world as it starts. */
int ope_replicate(const struct scenario *sc, const char *target, int policy, uint64_t seed,
		  const struct ope_options *o, const char *tmp_base,
		  void (*progress)(void *ctx, const char *what), void *progress_ctx,
		  struct ope_result *out, struct error *err);

/* The truth alone: the target's twin world of sc under `seed` simulated in
 * a temporary directory (as ope_replicate does), out's truth filled. */
int ope_truth_simulated(const struct scenario *sc, const char *target, int policy,
			uint64_t seed, enum config_ope_reward reward, const char *tmp_base,
			void (*progress)(void *ctx, const char *what), void *progress_ctx,
			struct ope_result *out, struct error *err);

struct results;

/* Store a result's rows in ope_estimates under run_id (one per estimator
 * of out->estimators). */
int ope_store(struct results *r, int64_t run_id, const struct ope_result *res,
	      struct error *err);

/* Store replications res[0..n) (seeds[i] each) of one target and reward in
 * ope_replications, and per estimator the mean bias, RMSE, coverage of the
 * 1 - alpha intervals (with its Clopper-Pearson 95 % interval) and mean
 * width against the online truth, and against the closed-form one, in
 * ope_summary.  out (may be NULL) receives the summaries, OPE_ESTIMATORS
 * entries (replications 0 for an estimator not reported). */
struct opestore_summary;
int ope_store_replications(struct results *r, int64_t run_id, const struct ope_result *res,
			   const uint64_t *seeds, size_t n, struct opestore_summary *out,
			   struct error *err);

#endif
