/* Off-policy evaluation against the truth; see ope.h. */
#include "eval/ope.h"

#include "common/rng.h"
#include "common/scenario.h"
#include "common/xalloc.h"
#include "engine/forest.h"
#include "engine/forest_train.h"
#include "eval/assign.h"
#include "eval/worldrun.h"
#include "results/banditstore.h"
#include "results/opestore.h"
#include "results/rundir.h"

#include <gsl/gsl_cdf.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rows the reward model trains on per fold, at most (a sample by hash). */
#define REWARD_ROWS_MAX 300000

int ope_options_from_config(const struct config *cfg, const struct scenario *sc,
			    struct ope_options *o, struct error *err)
{
	char at[SCENARIO_WHERE_MAX], what[SCENARIO_WHERE_MAX + 32];
	int rc;

	memset(o, 0, sizeof(*o));
	snprintf(what, sizeof(what), "%s: [ope] estimators",
		 scenario_where(sc, "ope", "estimators", at, sizeof(at)));
	if ((rc = ope_parse_estimators(cfg->ope.estimators, what, &o->estimators, err)) < 0)
		return rc;
	o->reward = cfg->ope.reward;
	o->reward_trees = cfg->ope.reward_trees;
	o->forest = cfg->model.forest;
	o->threads = (int)cfg->model.threads;
	o->alpha = 0.05;
	o->seed = rng_hash4(cfg->run.seed, RNG_OPE, 0, 0);
	return 0;
}

int ope_find_target(const struct bandit_table *log, const char *target, size_t *index,
		    struct error *err)
{
	char list[CONFIG_OPE_TARGETS_MAX * (SCENARIO_NAME_MAX + 2) + 1];
	size_t len = 0;

	for (size_t i = 0; i < log->n_targets; i++)
		if (!strcmp(log->target_names[i], target)) {
			*index = i;
			return 0;
		}
	list[0] = '\0';
	for (size_t i = 0; i < log->n_targets; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
					log->target_names[i]);
	if (!log->n_targets)
		return error_set(err, ERR_INPUT,
				 "target '%s' was not scored on the logged pages: the run had no "
				 "[ope] targets; run it again with --set ope.targets=%s",
				 target, target);
	return error_set(err, ERR_INPUT,
			 "target '%s' was not scored on the logged pages: the run's [ope] targets "
			 "are %s; run it again with --set ope.targets=%s", target, list, target);
}

bool ope_log_is_stochastic(const struct bandit_table *log)
{
	for (size_t i = 0; i < log->n_rounds; i++) {
		const struct bandit_round *b = &log->rounds[i];

		if (!b->logging)
			continue;
		for (size_t j = 0; j < b->n_slots; j++)
			if (log->p_cond[b->first + j] < 1)
				return true;
	}
	return false;
}

static double slot_reward(const struct bandit_table *t, size_t at, enum config_ope_reward r)
{
	switch (r) {
	case CONFIG_REWARD_TUNE_IN:
		return t->tune_in[at];
	case CONFIG_REWARD_LISTEN_MINUTES:
		return (double)t->listen_us[at] / 60e6;
	case CONFIG_REWARD_LIKE:
		return t->like[at];
	case CONFIG_REWARD_FOLLOW:
		return t->follow[at];
	case CONFIG_REWARD_NOTIFY:
		return t->notify[at];
	case CONFIG_REWARD_COUNT:
		break;
	}
	return NAN;
}

static bool evaluated(const struct bandit_round *b)
{
	return b->logging && b->phase == 1 && b->has_targets;
}

/* ---- the reward model ---- */

struct reward_model {
	struct forest *f[2];
	size_t stride;             /* the log's features + the position */
	size_t rows;
};

static int fold_of(uint64_t seed, uint32_t session)
{
	return (int)(rng_hash4(seed, RNG_OPE, session, 1) & 1);
}

/* A row of the model: the slot's features, then its position. */
static void model_row(const float *features, size_t stride, size_t position, float *out)
{
	memcpy(out, features, stride * sizeof(float));
	out[stride] = (float)position;
}

static int train_fold(const struct bandit_table *t, const struct ope_options *o, int fold,
		      struct reward_model *m, struct error *err)
{
	size_t n = 0, cap = t->n_rows, keep_every = 1, seen = 0, w = m->stride;
	float *x;
	double *y;
	const char **names = xcalloc(w, sizeof(*names));
	struct forest_params fp = o->forest;
	int rc = 0;

	/* the rows of the other fold's rounds, at most REWARD_ROWS_MAX of them */
	for (size_t i = 0; i < t->n_rounds; i++)
		if (fold_of(o->seed, t->rounds[i].session) != fold)
			seen += t->rounds[i].n_slots;
	while (seen / keep_every > REWARD_ROWS_MAX)
		keep_every++;
	x = xcalloc_large((cap ? cap : 1) * w, sizeof(*x));
	y = xcalloc(cap ? cap : 1, sizeof(*y));
	seen = 0;
	for (size_t i = 0; i < t->n_rounds; i++) {
		const struct bandit_round *b = &t->rounds[i];

		if (fold_of(o->seed, b->session) == fold)
			continue;
		for (size_t j = 0; j < b->n_slots; j++, seen++) {
			size_t at = b->first + j;

			if (seen % keep_every)
				continue;
			model_row(t->features + at * t->stride, t->stride, j, x + n * w);
			y[n++] = slot_reward(t, at, o->reward);
		}
	}
	for (size_t i = 0; i < t->stride; i++)
		names[i] = t->feature_names[i];
	names[t->stride] = "position";
	fp.n_trees = o->reward_trees;
	fp.permutation_importance = 0;
	fp.seed = rng_hash4(o->seed, RNG_OPE, 2, (uint64_t)fold);
	if (o->reward == CONFIG_REWARD_LISTEN_MINUTES) {
		fp.task = FOREST_REGRESS;
		fp.criterion = FOREST_MSE;
		fp.mtry = 0;
	} else {
		fp.task = FOREST_CLASSIFY;
		if (fp.criterion == FOREST_MSE)
			fp.criterion = FOREST_GINI;
	}
	if (n < 2) {
		rc = error_set(err, ERR_INPUT, "the reward model has %zu logged slots to learn from", n);
	} else if (!(m->f[fold] = forest_train(&fp, x, n, w, y, names, o->threads > 0 ? o->threads : 1,
					      NULL, err))) {
		rc = error_prefix(err, "training the reward model: ");
	}
	m->rows += n;
	free(x);
	free(y);
	free(names);
	return rc;
}

/* q of rows (n_rows x stride features) at positions pos[], with fold `fold`'s
 * model (the one trained on the other fold). */
static int predict(const struct reward_model *m, int fold, const float *features, size_t stride,
		   const size_t *pos, size_t n, double *out, float *scratch)
{
	for (size_t i = 0; i < n; i++)
		model_row(features + i * stride, stride, pos[i], scratch + i * m->stride);
	return forest_predict_batch(m->f[fold], scratch, n, m->stride, out);
}

/* ---- evaluation ---- */

struct ope_arrays {
	size_t *first;
	double *reward, *p_cond, *p_marg, *e_cond, *e_marg, *q_logged, *q_target, *dm;
};

static void arrays_free(struct ope_arrays *a)
{
	free(a->first);
	free(a->reward);
	free(a->p_cond);
	free(a->p_marg);
	free(a->e_cond);
	free(a->e_marg);
	free(a->q_logged);
	free(a->q_target);
	free(a->dm);
}

int ope_evaluate(const struct bandit_table *log, size_t target, const struct ope_options *o,
		 struct ope_result *out, struct error *err)
{
	size_t n = 0, slots = 0, k = 0, maxk = 1;
	struct ope_arrays a = { 0 };
	struct reward_model m = { { NULL, NULL }, log->stride + 1, 0 };
	bool model = o->estimators & ((1u << OPE_DM) | (1u << OPE_DR) | (1u << OPE_CASCADE_DR));
	double model_sum = 0, logged_sum = 0;
	bool model_known = o->reward == CONFIG_REWARD_TUNE_IN;
	float *scratch = NULL;
	size_t *pos = NULL;
	double *q = NULL;
	int rc = 0;

	ASSERT(target < log->n_targets);
	memset(out, 0, sizeof(*out));
	snprintf(out->target, sizeof(out->target), "%s", log->target_names[target]);
	out->reward = o->reward;
	out->estimators = o->estimators;
	out->truth = out->truth_se = out->model_truth = NAN;
	for (size_t i = 0; i < log->n_rounds; i++)
		if (evaluated(&log->rounds[i])) {
			n++;
			slots += log->rounds[i].n_slots;
			if (log->rounds[i].n_slots > maxk)
				maxk = log->rounds[i].n_slots;
		}
	out->rounds = n;
	a.first = xcalloc(n + 1, sizeof(*a.first));
	a.reward = xcalloc(slots + 1, sizeof(double));
	a.p_cond = xcalloc(slots + 1, sizeof(double));
	a.p_marg = xcalloc(slots + 1, sizeof(double));
	a.e_cond = xcalloc(slots + 1, sizeof(double));
	a.e_marg = xcalloc(slots + 1, sizeof(double));
	a.dm = xcalloc(n + 1, sizeof(double));
	if (model && n) {
		if ((rc = train_fold(log, o, 0, &m, err)) < 0 ||
		    (rc = train_fold(log, o, 1, &m, err)) < 0)
			goto out;
		out->reward_model_rows = (double)m.rows;
		a.q_logged = xcalloc(slots + 1, sizeof(double));
		a.q_target = xcalloc(slots + 1, sizeof(double));
		scratch = xcalloc(maxk * m.stride, sizeof(*scratch));
		pos = xcalloc(maxk, sizeof(*pos));
		q = xcalloc(maxk, sizeof(*q));
	}
	for (size_t i = 0, r = 0; i < log->n_rounds; i++) {
		const struct bandit_round *b = &log->rounds[i];
		const uint32_t *e;
		double page_model = 0, page_reward = 0;
		int fold;

		if (!evaluated(b))
			continue;
		e = log->tshow + b->tfirst + target * b->n_slots;
		a.first[r] = k;
		for (size_t j = 0; j < b->n_slots; j++) {
			size_t at = b->first + j, c = 0;
			uint32_t shown = log->show[at];

			/* the target's choice given the logged prefix: its best
			 * show not shown above (within its top n_slots) */
			for (c = 0; c < b->n_slots; c++) {
				bool above = false;

				for (size_t h = 0; h < j && !above; h++)
					above = log->show[b->first + h] == e[c];
				if (!above)
					break;
			}
			ASSERT(c < b->n_slots);
			a.reward[k + j] = slot_reward(log, at, o->reward);
			a.p_cond[k + j] = log->p_cond[at];
			a.p_marg[k + j] = log->p_marg[at];
			a.e_cond[k + j] = shown == e[c];
			a.e_marg[k + j] = shown == e[j];
			page_reward += a.reward[k + j];
			page_model += log->tmodel_p[b->tfirst + target * b->n_slots + j];
			if (a.q_target)
				a.q_target[k + j] = (double)c;   /* the index, for now */
		}
		logged_sum += page_reward;
		if (isnan(page_model))
			model_known = false;
		model_sum += page_model;
		if (a.q_logged) {
			fold = fold_of(o->seed, b->session);
			for (size_t j = 0; j < b->n_slots; j++)
				pos[j] = j;
			/* q at the logged slots */
			if ((rc = predict(&m, fold, log->features + b->first * log->stride, log->stride,
					  pos, b->n_slots, a.q_logged + k, scratch)) < 0)
				goto model_fail;
			/* q of the target's shows at their slots: dm, and g_k = q of
			 * the target's choice given the prefix, at slot k */
			if ((rc = predict(&m, fold,
					  log->tfeatures + (b->tfirst + target * b->n_slots) * log->stride,
					  log->stride, pos, b->n_slots, q, scratch)) < 0)
				goto model_fail;
			for (size_t j = 0; j < b->n_slots; j++)
				a.dm[r] += q[j];
			for (size_t j = 0; j < b->n_slots; j++) {
				size_t c = (size_t)a.q_target[k + j];

				if (c == j) {
					a.q_target[k + j] = q[j];
				} else {
					/* the target's c-th show at slot j: its row, at j */
					size_t one = j;

					if ((rc = predict(&m, fold,
							  log->tfeatures + (b->tfirst + target * b->n_slots + c) * log->stride,
							  log->stride, &one, 1, &a.q_target[k + j],
							  scratch)) < 0)
						goto model_fail;
				}
			}
		}
		k += b->n_slots;
		r++;
	}
	a.first[n] = k;
	out->logged_value = n ? logged_sum / (double)n : NAN;
	out->model_truth = n && model_known ? model_sum / (double)n : NAN;
	{
		struct ope_data d = { n, a.first, a.reward, a.p_cond, a.p_marg, a.e_cond, a.e_marg,
				      a.q_logged, a.q_target, a.q_logged ? a.dm : NULL };

		for (int e = 0; e < OPE_ESTIMATORS && rc == 0; e++) {
			if (!(o->estimators & (1u << e)))
				continue;
			rc = ope_estimate(&d, (enum ope_estimator)e, o->alpha, &out->est[e], err);
		}
	}
	goto out;
model_fail:
	rc = error_set(err, ERR_RUN, "the reward model could not score the logged rows");
out:
	forest_free(m.f[0]);
	forest_free(m.f[1]);
	free(scratch);
	free(pos);
	free(q);
	arrays_free(&a);
	return rc;
}

void ope_population_init(struct ope_population *p, const struct config *cfg, int policy)
{
	memset(p, 0, sizeof(*p));
	p->split = policy == WORLDRUN_SPLIT;
	p->salt = assign_salt_hash(cfg->ab.salt);
	p->n_arms = cfg->ab.n_arms;
	for (size_t i = 0; i < p->n_arms; i++)
		p->share[i] = cfg->ab.arm[i].share;
}

bool ope_population_has(const struct ope_population *p, uint32_t user)
{
	return !p->split || assign_arm(p->salt, user, p->share, p->n_arms) == ASSIGN_CONTROL;
}

void ope_truth(const struct bandit_table *t, const struct ope_population *pop,
	       enum config_ope_reward reward, struct ope_result *out)
{
	double *x = xcalloc(t->n_rounds + 1, sizeof(*x));
	size_t n = 0;

	for (size_t i = 0; i < t->n_rounds; i++) {
		const struct bandit_round *b = &t->rounds[i];

		if (b->phase != 1 || !ope_population_has(pop, b->user))
			continue;
		x[n] = 0;
		for (size_t j = 0; j < b->n_slots; j++)
			x[n] += slot_reward(t, b->first + j, reward);
		n++;
	}
	out->truth_rounds = n;
	ope_mean(x, n, &out->truth, &out->truth_se);
	free(x);
}

bool ope_covers(const struct ope_estimate *e, double truth)
{
	return e->estimable && e->lo <= truth && truth <= e->hi;
}

/* ---- replications ---- */

static int run_world(const struct config *cfg, const struct scenario *sc, int policy,
		     const char *name, const char *dir, struct worldrun **out, struct error *err)
{
	struct worldrun_io io = { 0 };
	struct worldrun *w;
	int rc;

	if (mkdir(dir, 0777) < 0)
		return error_set(err, ERR_IO, "cannot create '%s': %s", dir, strerror(errno));
	if (!(w = worldrun_new(cfg, sc, policy, name, dir, NULL, &io, err)))
		return err->code ? err->code : ERR_RUN;
	if ((rc = worldrun_execute(w, err)) < 0) {
		worldrun_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

/* The scenario sc0 again with run.seed and ope.targets overridden, its
 * config, and the target's world config: the control, then the target for
 * everyone after the warm-up, nothing scored beside. */
struct reconfig {
	struct scenario *sc;
	struct config *cfg, *tcfg;
	char *tmp;
};

static void reconfig_release(struct reconfig *rc)
{
	if (rc->tmp)
		rundir_remove_tree(rc->tmp, NULL);
	free(rc->tmp);
	scenario_free(rc->sc);
	free(rc->cfg);
	free(rc->tcfg);
}

static int reconfigure(const struct scenario *sc0, const char *target, uint64_t seed,
		       const char *tmp_base, struct reconfig *out, struct error *err)
{
	const char *base = tmp_base ? tmp_base : getenv("TMPDIR");
	size_t n_over = scenario_override_count(sc0);
	const char **over = xcalloc(n_over + 3, sizeof(*over));
	char *seed_set = xasprintf("run.seed=%llu", (unsigned long long)seed);
	char *target_set = xasprintf("ope.targets=%s", target);
	int ts, rc = 0;

	memset(out, 0, sizeof(*out));
	out->cfg = xmalloc(sizeof(*out->cfg));
	out->tcfg = xmalloc(sizeof(*out->tcfg));
	for (size_t i = 0; i < n_over; i++)
		over[i] = scenario_override(sc0, i);
	over[n_over] = seed_set;
	over[n_over + 1] = target_set;
	out->tmp = xasprintf("%s/airtime-ope-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(out->tmp)) {
		rc = error_set(err, ERR_IO, "cannot create a directory like '%s': %s", out->tmp,
			       strerror(errno));
		free(out->tmp);
		out->tmp = NULL;
	} else if (!(out->sc = scenario_parse(scenario_schema(sc0), scenario_text(sc0),
					      scenario_name(sc0), over, n_over + 2, err))) {
		rc = err->code;
	} else if ((rc = config_load(out->cfg, out->sc, err)) == 0) {
		*out->tcfg = *out->cfg;
		ts = config_scorer_from_name(out->cfg, target);
		ASSERT(ts >= 0);
		out->tcfg->ab.n_arms = 2;
		out->tcfg->ab.arm[1] = out->tcfg->ab.arm[0];
		out->tcfg->ab.arm[1].scorer = (enum rank_scorer)ts;
		snprintf(out->tcfg->ab.arm[1].name, sizeof(out->tcfg->ab.arm[1].name), "%s", target);
		snprintf(out->tcfg->ab.arm[1].label, sizeof(out->tcfg->ab.arm[1].label), "%s", target);
		out->tcfg->ope.n_targets = 0;
	}
	free(over);
	free(seed_set);
	free(target_set);
	if (rc < 0)
		reconfig_release(out);
	return rc;
}

static int target_truth(struct reconfig *rc, const char *target, int policy,
			enum config_ope_reward reward,
			void (*progress)(void *ctx, const char *what), void *progress_ctx,
			struct ope_result *out, struct error *err)
{
	struct worldrun *tw = NULL;
	struct ope_population pop;
	char *dir = xasprintf("%s/target", rc->tmp);
	int r;

	if (progress)
		progress(progress_ctx, "target world");
	r = run_world(rc->tcfg, rc->sc, 1, target, dir, &tw, err);
	free(dir);
	if (r < 0)
		return r;
	ope_population_init(&pop, rc->cfg, policy);
	ope_truth(worldrun_bandit(tw), &pop, reward, out);
	worldrun_free(tw);
	return 0;
}

int ope_truth_simulated(const struct scenario *sc, const char *target, int policy,
			uint64_t seed, enum config_ope_reward reward, const char *tmp_base,
			void (*progress)(void *ctx, const char *what), void *progress_ctx,
			struct ope_result *out, struct error *err)
{
	struct reconfig rc;
	int r;

	if ((r = reconfigure(sc, target, seed, tmp_base, &rc, err)) < 0)
		return r;
	r = target_truth(&rc, target, policy, reward, progress, progress_ctx, out, err);
	reconfig_release(&rc);
	return r;
}

int ope_replicate(const struct scenario *sc0, const char *target, int policy, uint64_t seed,
		  const struct ope_options *o, const char *tmp_base,
		  void (*progress)(void *ctx, const char *what), void *progress_ctx,
		  struct ope_result *out, struct error *err)
{
	struct reconfig rc;
	struct worldrun *lw = NULL;
	struct ope_options oo = *o;
	char *dir;
	size_t ti;
	int r;

	if ((r = reconfigure(sc0, target, seed, tmp_base, &rc, err)) < 0)
		goto out_err;
	oo.seed = rng_hash4(rc.cfg->run.seed, RNG_OPE, 0, 0);
	if (progress)
		progress(progress_ctx, "logging world");
	dir = xasprintf("%s/logging", rc.tmp);
	r = run_world(rc.cfg, rc.sc, policy, "logging", dir, &lw, err);
	free(dir);
	if (r == 0 && (r = ope_find_target(worldrun_bandit(lw), target, &ti, err)) == 0)
		r = ope_evaluate(worldrun_bandit(lw), ti, &oo, out, err);
	worldrun_free(lw);
	if (r == 0)
		r = target_truth(&rc, target, policy, o->reward, progress, progress_ctx, out, err);
	reconfig_release(&rc);
out_err:
	return r < 0 ? error_prefix(err, "replication with seed %llu: ",
				    (unsigned long long)seed) : 0;
}

/* ---- storing ---- */

int ope_store(struct results *r, int64_t run_id, const struct ope_result *res,
	      struct error *err)
{
	struct opestore_estimate rows[OPE_ESTIMATORS];
	size_t n = 0;

	for (int e = 0; e < OPE_ESTIMATORS; e++) {
		const struct ope_estimate *x = &res->est[e];

		if (!(res->estimators & (1u << e)))
			continue;
		rows[n++] = (struct opestore_estimate){
			.target = res->target,
			.reward = config_reward_name(res->reward),
			.estimator = ope_estimator_name((enum ope_estimator)e),
			.estimable = x->estimable,
			.why = x->why,
			.rounds = res->rounds,
			.estimate = x->value,
			.se = x->se,
			.lo = x->lo,
			.hi = x->hi,
			.truth = res->truth,
			.truth_se = res->truth_se,
			.truth_rounds = res->truth_rounds,
			.model_truth = res->model_truth,
			.nonzero = x->nonzero,
			.ess = x->ess,
			.max_weight = x->max_weight,
			.alpha = x->alpha,
		};
	}
	return opestore_put_estimates(r, run_id, rows, n, err);
}

/* Bias, RMSE and coverage of one estimator against a truth per replication. */
static void summarise(const struct ope_result *res, size_t n, int e, bool model,
		      double *bias, double *rmse, double *cover, double *cov_lo, double *cov_hi,
		      double *width)
{
	double sb = 0, s2 = 0, sw = 0;
	size_t m = 0, hit = 0;

	for (size_t i = 0; i < n; i++) {
		const struct ope_estimate *x = &res[i].est[e];
		double t = model ? res[i].model_truth : res[i].truth;

		if (!x->estimable || isnan(t))
			continue;
		sb += x->value - t;
		s2 += (x->value - t) * (x->value - t);
		sw += x->hi - x->lo;
		hit += ope_covers(x, t);
		m++;
	}
	*bias = m ? sb / (double)m : NAN;
	*rmse = m ? sqrt(s2 / (double)m) : NAN;
	*cover = m ? (double)hit / (double)m : NAN;
	if (width)
		*width = m ? sw / (double)m : NAN;
	if (cov_lo) {
		/* Clopper-Pearson 95 % */
		*cov_lo = !m ? NAN : hit == 0 ? 0 : gsl_cdf_beta_Pinv(0.025, (double)hit, (double)(m - hit + 1));
		*cov_hi = !m ? NAN : hit == m ? 1 : gsl_cdf_beta_Pinv(0.975, (double)(hit + 1), (double)(m - hit));
	}
}

int ope_store_replications(struct results *r, int64_t run_id, const struct ope_result *res,
			   const uint64_t *seeds, size_t n, struct opestore_summary *out,
			   struct error *err)
{
	struct opestore_replication *rows = xcalloc(n * OPE_ESTIMATORS + 1, sizeof(*rows));
	struct opestore_summary sum[OPE_ESTIMATORS];
	size_t nr = 0, ns = 0;
	int rc;

	if (out)
		memset(out, 0, OPE_ESTIMATORS * sizeof(*out));
	if (!n) {
		free(rows);
		return 0;
	}
	for (int e = 0; e < OPE_ESTIMATORS; e++) {
		struct opestore_summary *s;

		if (!(res[0].estimators & (1u << e)))
			continue;
		for (size_t i = 0; i < n; i++) {
			const struct ope_estimate *x = &res[i].est[e];

			rows[nr++] = (struct opestore_replication){
				.target = res[i].target,
				.reward = config_reward_name(res[i].reward),
				.estimator = ope_estimator_name((enum ope_estimator)e),
				.replication = (int)i,
				.seed = seeds[i],
				.estimate = x->value,
				.lo = x->lo,
				.hi = x->hi,
				.truth = res[i].truth,
				.model_truth = res[i].model_truth,
			};
		}
		s = &sum[ns++];
		memset(s, 0, sizeof(*s));
		s->target = res[0].target;
		s->reward = config_reward_name(res[0].reward);
		s->estimator = ope_estimator_name((enum ope_estimator)e);
		s->replications = n;
		summarise(res, n, e, false, &s->mean_bias, &s->rmse, &s->coverage, &s->coverage_lo,
			  &s->coverage_hi, &s->mean_width);
		summarise(res, n, e, true, &s->model_mean_bias, &s->model_rmse, &s->model_coverage,
			  NULL, NULL, NULL);
		if (out)
			out[e] = *s;
	}
	rc = opestore_put_replications(r, run_id, rows, nr, sum, ns, err);
	free(rows);
	return rc;
}
