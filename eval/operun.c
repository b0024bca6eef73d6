/* airtime ope over a run directory; see operun.h. */
#include "eval/operun.h"

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "eval/worldrun.h"
#include "render/report.h"
#include "results/banditstore.h"
#include "results/results.h"
#include "results/rundir.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The runs of the file, by name. */
struct runs {
	size_t n, cap;
	int64_t *id;
	char **name;
	uint64_t *seed;
};

static int runs_cb(const struct results_run *run, void *ctx)
{
	struct runs *r = ctx;
	size_t c1 = r->cap, c2 = r->cap;

	XGROW(r->id, r->n + 1, c1);
	XGROW(r->seed, r->n + 1, c2);
	XGROW(r->name, r->n + 1, r->cap);
	r->id[r->n] = run->run_id;
	r->seed[r->n] = run->seed;
	r->name[r->n++] = xstrdup(run->name);
	return 0;
}

static void runs_release(struct runs *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->name[i]);
	free(r->name);
	free(r->id);
	free(r->seed);
}

/* The run named "*#world", or -1. */
static long find_world_run(const struct runs *r, const char *world)
{
	size_t wl = strlen(world);

	for (size_t i = 0; i < r->n; i++) {
		const char *hash = strrchr(r->name[i], '#');

		if (hash && strlen(hash + 1) == wl && !strcmp(hash + 1, world))
			return (long)i;
	}
	return -1;
}

/* The world of the run in which the target ranks everyone: an arm's twin
 * world, or its [ope] truth world. */
static void target_world(const struct config *cfg, int scorer, const char *target, char *buf,
			 size_t n)
{
	if (cfg->ab.mode != CONFIG_AB_SPLIT)
		for (size_t a = 0; a < cfg->ab.n_arms; a++)
			if ((int)cfg->ab.arm[a].scorer == scorer) {
				snprintf(buf, n, "%s", cfg->ab.arm[a].label);
				return;
			}
	snprintf(buf, n, "ope-%s", target);
}

static void ranker_list(const struct config *cfg, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < RANK_SCORER_COUNT + cfg->n_rankers && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "",
					config_scorer_name(cfg, i));
}

struct rep_progress {
	const struct operun_request *req;
	size_t i, n;
};

static void rep_progress(void *ctx, const char *what)
{
	struct rep_progress *p = ctx;
	char line[128];

	if (!p->req->progress)
		return;
	if (p->n)
		snprintf(line, sizeof(line), "replication %zu/%zu: %s", p->i + 1, p->n, what);
	else
		snprintf(line, sizeof(line), "truth: %s", what);
	p->req->progress(p->req->progress_ctx, line);
}

int operun_run_dir(const struct operun_request *req, struct operun_result *out,
		   struct error *err)
{
	char *dbp = xasprintf("%s/results.db", req->dir);
	struct scenario *sc = NULL;
	struct results *res = NULL;
	struct config *cfg = xmalloc(sizeof(*cfg));
	struct bandit_table log, tlog;
	struct runs runs = { 0 };
	struct ope_options opt;
	struct ope_population pop;
	struct ope_result *reps = NULL;
	uint64_t *seeds = NULL;
	char world[SCENARIO_NAME_MAX + 8], names[1024];
	bool has;
	int scorer, policy, rc;
	size_t ti;
	long tw;

	memset(out, 0, sizeof(*out));
	memset(&log, 0, sizeof(log));
	memset(&tlog, 0, sizeof(tlog));
	if (!(sc = rundir_load_scenario(req->dir, err))) {
		rc = err->code == ERR_IO ? error_prefix(err, "'%s' is not a run directory: ", req->dir)
					 : err->code;
		goto out;
	}
	if ((rc = config_load(cfg, sc, err)) < 0)
		goto out;
	if ((scorer = config_scorer_from_name(cfg, req->target)) < 0) {
		ranker_list(cfg, names, sizeof(names));
		rc = error_set(err, ERR_INPUT, "unknown target ranker '%s': the run's scenario "
			       "knows %s", req->target, names);
		goto out;
	}
	if ((rc = ope_options_from_config(cfg, sc, &opt, err)) < 0)
		goto out;
	if (req->estimators &&
	    (rc = ope_parse_estimators(req->estimators, "--estimators", &opt.estimators, err)) < 0)
		goto out;
	if (req->reward) {
		int k = -1;

		for (int i = 0; i < CONFIG_REWARD_COUNT; i++)
			if (!strcmp(req->reward, config_reward_name((enum config_ope_reward)i)))
				k = i;
		if (k < 0) {
			rc = error_set(err, ERR_INPUT, "--reward: unknown reward '%s': expected "
				       "tune_in, listen_minutes, like, follow or notify", req->reward);
			goto out;
		}
		opt.reward = (enum config_ope_reward)k;
	}
	if (!(res = results_open(dbp, err))) {
		rc = err->code;
		goto out;
	}
	if ((rc = results_each_run(res, runs_cb, &runs, err)) < 0)
		goto out;
	if (!runs.n) {
		rc = error_set(err, ERR_CORRUPT, "'%s' holds no run", dbp);
		goto out;
	}
	out->run_id = runs.id[0];
	policy = find_world_run(&runs, "split") == 0 || find_world_run(&runs, "replay") == 0
			 ? WORLDRUN_SPLIT : 0;
	out->replay = strstr(runs.name[0], "#replay") != NULL;
	if (out->replay && req->replications) {
		rc = error_set(err, ERR_INPUT, "--replications: '%s' replayed a trace, and a "
			       "replication would simulate the scenario's synthetic world instead "
			       "of the trace: nothing of the trace to replicate", req->dir);
		goto out;
	}
	if ((rc = banditstore_has(res, out->run_id, &has, err)) < 0)
		goto out;
	if (!has) {
		rc = error_set(err, ERR_INPUT, "'%s' logged no impressions: run the scenario with "
			       "--set logging.impressions=true --set logging.policy=plackett-luce "
			       "--set ope.targets=%s", req->dir, req->target);
		goto out;
	}
	if ((rc = banditstore_get(res, out->run_id, &log, err)) < 0)
		goto out;
	out->policy = log.policy;
	if (!ope_log_is_stochastic(&log)) {
		rc = error_set(err, ERR_INPUT, "'%s' logged no propensities but 1: its logging policy "
			       "was deterministic, so no page but the control ranker's own had a "
			       "chance to be seen; run the scenario with --set "
			       "logging.policy=plackett-luce (or epsilon)", req->dir);
		goto out;
	}
	if ((rc = ope_find_target(&log, req->target, &ti, err)) < 0)
		goto out;
	if ((rc = ope_evaluate(&log, ti, &opt, &out->res, err)) < 0)
		goto out;
	ope_population_init(&pop, cfg, policy);
	if (req->truth && !out->replay) {
		target_world(cfg, scorer, req->target, world, sizeof(world));
		tw = find_world_run(&runs, world);
		if (tw > 0) {
			if ((rc = banditstore_get(res, runs.id[tw], &tlog, err)) < 0)
				goto out;
			ope_truth(&tlog, &pop, opt.reward, &out->res);
			out->truth_from_run = true;
		} else {
			struct rep_progress p = { req, 0, 0 };

			if ((rc = ope_truth_simulated(sc, req->target, policy, cfg->run.seed,
						      opt.reward, req->tmp_base, rep_progress, &p,
						      &out->res, err)) < 0)
				goto out;
			out->truth_simulated = true;
		}
	}
	if ((rc = ope_store(res, out->run_id, &out->res, err)) < 0)
		goto out;
	if (req->replications) {
		size_t n = req->replications;

		out->first_seed = req->has_first_seed ? req->first_seed : cfg->run.seed + 1;
		reps = xcalloc(n, sizeof(*reps));
		seeds = xcalloc(n, sizeof(*seeds));
		for (size_t i = 0; i < n; i++) {
			struct rep_progress p = { req, i, n };

			seeds[i] = out->first_seed + i;
			if ((rc = ope_replicate(sc, req->target, policy, seeds[i], &opt, req->tmp_base,
						rep_progress, &p, &reps[i], err)) < 0)
				goto out;
		}
		out->replications = n;
		if ((rc = ope_store_replications(res, out->run_id, reps, seeds, n, out->summary,
						 err)) < 0)
			goto out;
	}
	results_close(res);
	res = NULL;
	if (req->report) {
		struct error rerr;

		error_clear(&rerr);
		rc = report_build(req->dir, &rerr);
		if (rc < 0) {
			*err = rerr;
			rc = error_prefix(err, "rebuilding the report: ");
			goto out;
		}
		if (rc > 0)
			snprintf(out->warning, sizeof(out->warning), "%.500s", rerr.msg);
		rc = 0;
	}
out:
	results_close(res);
	bandit_table_release(&log);
	bandit_table_release(&tlog);
	runs_release(&runs);
	scenario_free(sc);
	free(reps);
	free(seeds);
	free(cfg);
	free(dbp);
	return rc;
}
