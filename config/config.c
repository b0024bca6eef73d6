/* One loader for every module's config; see config.h.  The table is in
 * config_keys.c. */
#include "config/config.h"

#include <string.h>

#include "sim/arrivals.h"

void config_init(struct config *cfg)
{
	struct forest_params fp = forest_params_defaults();

	memset(cfg, 0, sizeof(*cfg));
	rank_config_init(&cfg->rank);
	stream_config_init(&cfg->stream);
	/* The forest library's own settings the scenario has no key for. */
	cfg->model.forest.task = fp.task;
	cfg->model.forest.exact_below = fp.exact_below;
	cfg->model.forest.bootstrap = fp.bootstrap;
	cfg->model.forest.permutation_importance = fp.permutation_importance;
}

/* Values one key gives several modules. */
static void share(struct config *cfg)
{
	cfg->sim.seed = cfg->run.seed;
	cfg->sim.horizon = (cfg->run.warmup_days + cfg->run.experiment_days) * SIMTIME_DAY;
	cfg->sim.traffic.epoch_weekday = arrivals_weekday_of_date(cfg->run.start_date);
	cfg->batch.epoch_day = cfg->run.start_date;
	cfg->batch.workflow.seed = cfg->run.seed;
}

/* [ab]: the control also ranks the warm-up, when no model exists yet. */
static int check_ab(const struct config_ab *ab, const struct scenario *sc, struct error *err)
{
	char at[SCENARIO_WHERE_MAX];

	if (ab->control == RANK_FOREST)
		return error_set(err, ERR_INPUT,
				 "%s: bad value 'forest' for [ab] control: the control also ranks the warm-up, before any model is trained; expected heuristic, popularity, random, oracle or a [ranker.NAME] of the scenario",
				 scenario_where(sc, "ab", "control", at, sizeof(at)));
	return 0;
}

/* [ranker.NAME]: a name of its own, and the key its kind needs (and not
 * another kind's). */
static int check_rankers(const struct config *cfg, const struct scenario *sc,
			 struct error *err)
{
	static const char *const needs[] = { "model", "path", "command" };
	char at[SCENARIO_WHERE_MAX];

	for (size_t i = 0; i < cfg->n_rankers; i++) {
		const struct scorer_config *r = &cfg->rankers[i];
		const char *have[] = { r->model, r->path, r->command };

		if (rank_scorer_from_name(r->name) >= 0)
			return error_set(err, ERR_INPUT,
					 "%s: [ranker.%s] is named like airtime's own scorer '%s': choose another name",
					 scenario_inst_where(sc, "ranker", i, NULL, at, sizeof(at)),
					 r->name, r->name);
		for (int k = 0; k < 3; k++) {
			if ((int)r->kind == k && !have[k][0])
				return error_set(err, ERR_INPUT,
						 "%s: missing key '%s' in [ranker.%s]: kind = %s needs it",
						 scenario_inst_where(sc, "ranker", i, NULL, at, sizeof(at)),
						 needs[k], r->name, scorer_kind_label(r->kind));
			if ((int)r->kind != k && have[k][0])
				return error_set(err, ERR_INPUT,
						 "%s: key '%s' in [ranker.%s] is for kind = %s; this ranker is kind = %s",
						 scenario_inst_where(sc, "ranker", i, needs[k], at, sizeof(at)),
						 needs[k], r->name, scorer_kind_label((enum scorer_kind)k),
						 scorer_kind_label(r->kind));
		}
	}
	return 0;
}

/* [model]: forest_train refuses it too, but only after the warm-up has run.
 * mtry is checked against the ranker's features once they are known
 * (eval/worldrun). */
static int check_model(const struct config_model *m, const struct scenario *sc,
		       struct error *err)
{
	char at[SCENARIO_WHERE_MAX];

	if (m->forest.max_leaves == 1)
		return error_set(err, ERR_INPUT,
				 "%s: value '1' out of range for [model] max_leaves: must be 0 (unlimited) or at least 2",
				 scenario_where(sc, "model", "max_leaves", at, sizeof(at)));
	return 0;
}

/* The ranker must return every slot a user may see: page_size x
 * scroll_screens (sim's pages) within [rank] k (the ranker's page). */
static int check_page_fits(const struct behaviour_config *b, const struct rank_config *rc,
			   const struct scenario *sc, struct error *err)
{
	size_t want = (size_t)b->page_size * b->scroll_screens;
	char at[SCENARIO_WHERE_MAX], at2[SCENARIO_WHERE_MAX], at3[SCENARIO_WHERE_MAX];

	if (rc->k >= want)
		return 0;
	if (!scenario_is_set(sc, "rank", "k")) {
		/* lead with what the user wrote, as the parser's rules do */
		const char *key = scenario_is_set(sc, "behaviour", "scroll_screens") ? "scroll_screens"
										: "page_size";

		return error_set(err, ERR_INPUT,
				 "%s: value '%u' out of range for [behaviour] %s: [behaviour] page_size x "
				 "scroll_screens = %u x %u = %zu slots must fit in [rank] k = %u (%s)",
				 scenario_where(sc, "behaviour", key, at, sizeof(at)),
				 strcmp(key, "page_size") == 0 ? b->page_size : b->scroll_screens, key,
				 b->page_size, b->scroll_screens, want, rc->k,
				 scenario_where(sc, "rank", "k", at2, sizeof(at2)));
	}
	return error_set(err, ERR_INPUT,
			 "%s: value '%u' out of range for [rank] k: must be at least [behaviour] "
			 "page_size x scroll_screens = %u x %u = %zu (%s; %s), the slots a user may see",
			 scenario_where(sc, "rank", "k", at, sizeof(at)), rc->k, b->page_size,
			 b->scroll_screens, want, scenario_where(sc, "behaviour", "page_size", at2, sizeof(at2)),
			 scenario_where(sc, "behaviour", "scroll_screens", at3, sizeof(at3)));
}

void config_fill(struct config *cfg, const struct scenario *sc)
{
	ASSERT(scenario_schema(sc) == &config_schema);
	config_init(cfg);
	scenario_fill(sc, cfg);
	share(cfg);
}

int config_load(struct config *cfg, const struct scenario *sc, struct error *err)
{
	int rc;

	config_fill(cfg, sc);
	if ((rc = check_ab(&cfg->ab, sc, err)) < 0 || (rc = check_model(&cfg->model, sc, err)) < 0 ||
	    (rc = check_rankers(cfg, sc, err)) < 0 ||
	    (rc = sim_params_check(&cfg->sim, sc, err)) < 0 ||
	    (rc = stream_config_check(&cfg->stream, sc, err)) < 0 ||
	    (rc = batchjob_config_check(&cfg->batch, sc, err)) < 0 ||
	    (rc = rank_config_check(&cfg->rank, sc, err)) < 0 ||
	    (rc = check_page_fits(&cfg->sim.behaviour, &cfg->rank, sc, err)) < 0 ||
	    (rc = endpoint_config_check(&cfg->endpoint, sc, err)) < 0)
		return rc;
	return 0;
}

void config_defaults(struct config *cfg)
{
	struct error err;
	struct scenario *sc = scenario_parse(&config_schema, "", "defaults", NULL, 0, &err);

	if (!sc || config_load(cfg, sc, &err) < 0)
		BUG("the defaults do not load: %s", err.msg);
	scenario_free(sc);
}

const char *config_scorer_name(const struct config *cfg, unsigned id)
{
	if (id < RANK_SCORER_COUNT)
		return rank_scorer_name((enum rank_scorer)id);
	if (id - RANK_SCORER_COUNT < cfg->n_rankers)
		return cfg->rankers[id - RANK_SCORER_COUNT].name;
	return "unknown";
}

int config_scorer_from_name(const struct config *cfg, const char *name)
{
	int id = rank_scorer_from_name(name);

	for (size_t i = 0; id < 0 && i < cfg->n_rankers; i++)
		if (!strcmp(cfg->rankers[i].name, name))
			id = RANK_SCORER_COUNT + (int)i;
	return id;
}

int config_ranker_of(const struct config *cfg, unsigned id)
{
	return id >= RANK_SCORER_COUNT && id - RANK_SCORER_COUNT < cfg->n_rankers
		       ? (int)(id - RANK_SCORER_COUNT) : -1;
}
