/* One loader for every module's config; see config.h.  The table is in
 * config_keys.c. */
#include "config/config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"
#include "common/xalloc.h"
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

/* The arms' rankers by name: the built-in scorers, then the scenario's
 * [ranker.NAME] sections (config_scorer_from_name's ids). */
static int find_ranker(const struct config *cfg, const char *name, enum rank_scorer *out)
{
	int s = config_scorer_from_name(cfg, name);

	if (s < 0)
		return -1;
	*out = (enum rank_scorer)s;
	return 0;
}

/* "forest, heuristic, popularity, random, oracle", then the scenario's
 * own rankers. */
static void ranker_names(const struct config *cfg, char *buf, size_t n)
{
	size_t len = 0, total = RANK_SCORER_COUNT + cfg->n_rankers;

	buf[0] = '\0';
	for (size_t i = 0; i < total && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "",
					config_scorer_name(cfg, (unsigned)i));
}

/* The next comma-separated item of *p, trimmed, into item (cap bytes);
 * false after the last one (*p is then NULL).  "a," has two items, the
 * second empty.  An item too long is cut: callers refuse it as an unknown
 * name or a bad number anyway. */
static bool next_item(const char **p, char *item, size_t cap)
{
	const char *s = *p, *e;
	size_t len;

	if (!s)
		return false;
	e = strchr(s, ',');
	if (e) {
		*p = e + 1;
	} else {
		e = s + strlen(s);
		*p = NULL;
	}
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	len = (size_t)(e - s);
	snprintf(item, cap, "%.*s", (int)(len < cap ? len : cap - 1), s);
	return true;
}

/* Is the text empty or blank? */
static bool blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return !*s;
}

/* Labels from the arms' names: "control", "treatment" with two arms, else
 * the ranker's name. */
static void set_labels(struct config_ab *ab)
{
	for (size_t i = 0; i < ab->n_arms; i++) {
		struct config_arm *a = &ab->arm[i];

		snprintf(a->label, sizeof(a->label), "%s",
			 i == 0 ? "control" : ab->n_arms == 2 ? "treatment" : a->name);
	}
}

/* [ab] arms: 2 to CONFIG_AB_ARMS_MAX distinct rankers, the control first. */
static int parse_arms(const struct config *cfg, struct config_ab *ab, const struct scenario *sc,
		      struct error *err)
{
	char at[SCENARIO_WHERE_MAX], item[SCENARIO_TEXT_MAX], names[1024];
	const char *p = ab->arms;
	size_t n = 0;

	scenario_where(sc, "ab", "arms", at, sizeof(at));
	ranker_names(cfg, names, sizeof(names));
	while (next_item(&p, item, sizeof(item))) {
		enum rank_scorer s;

		if (!*item)
			return error_set(err, ERR_INPUT, "%s: bad value '%s' for [ab] arms: arm %zu "
					 "has no name: expected rankers separated by commas, the "
					 "control first", at, ab->arms, n + 1);
		if (find_ranker(cfg, item, &s) < 0)
			return error_set(err, ERR_INPUT, "%s: bad value '%s' for [ab] arms: unknown "
					 "ranker '%s': expected one of %s", at, ab->arms, item,
					 names);
		for (size_t j = 0; j < n; j++)
			if (ab->arm[j].scorer == s)
				return error_set(err, ERR_INPUT, "%s: bad value '%s' for [ab] arms: "
						 "ranker '%s' is both arm %zu and arm %zu: each arm "
						 "needs a ranker of its own", at, ab->arms, item,
						 j + 1, n + 1);
		if (n == CONFIG_AB_ARMS_MAX)
			return error_set(err, ERR_INPUT, "%s: bad value '%s' for [ab] arms: more "
					 "than %d arms", at, ab->arms, CONFIG_AB_ARMS_MAX);
		ab->arm[n].scorer = s;
		/* the name as written: a ranker is known by it (and a name
		 * longer than a ranker's cannot have been found) */
		snprintf(ab->arm[n++].name, sizeof(ab->arm[0].name), "%.*s",
			 (int)sizeof(ab->arm[0].name) - 1, item);
	}
	if (n < 2)
		return error_set(err, ERR_INPUT, "%s: bad value '%s' for [ab] arms: %zu arm%s: an "
				 "experiment needs at least 2, the control first", at, ab->arms, n,
				 n == 1 ? "" : "s");
	if (ab->arm[0].scorer == RANK_FOREST)
		return error_set(err, ERR_INPUT, "%s: bad value '%s' for [ab] arms: the control "
				 "(the first arm) also ranks the warm-up, before any model is "
				 "trained; put heuristic, popularity, random, oracle or a [ranker.NAME] "
				 "of the scenario first", at,
				 ab->arms);
	ab->n_arms = n;
	return 0;
}

/* [ab] shares: one percentage per arm, summing to 100 %; equal without. */
static int parse_shares(struct config_ab *ab, const struct scenario *sc, struct error *err)
{
	char at[SCENARIO_WHERE_MAX], at2[SCENARIO_WHERE_MAX], item[SCENARIO_TEXT_MAX];
	const char *p = ab->shares;
	double sum = 0;
	size_t n = 0;

	if (blank(p)) {
		for (size_t i = 0; i < ab->n_arms; i++)
			ab->arm[i].share = 1.0 / (double)ab->n_arms;
		return 0;
	}
	scenario_where(sc, "ab", "shares", at, sizeof(at));
	while (next_item(&p, item, sizeof(item))) {
		struct error e;
		double v;

		if (units_parse_percent(item, &v, &e) < 0)
			return error_set(err, ERR_INPUT, "%s: bad value '%s' for [ab] shares: share "
					 "%zu ('%s') is not a percentage: expected one per arm, "
					 "e.g. 50%%, 25%%, 25%%", at, ab->shares, n + 1, item);
		if (!(v >= 0.01 && v <= 0.99))
			return error_set(err, ERR_INPUT, "%s: value '%s' out of range for [ab] "
					 "shares: share %zu ('%s') must be between 1%% and 99%%", at,
					 ab->shares, n + 1, item);
		if (n < CONFIG_AB_ARMS_MAX)
			ab->arm[n].share = v;
		n++;
		sum += v;
	}
	if (n != ab->n_arms)
		return error_set(err, ERR_INPUT, "%s: bad value '%s' for [ab] shares: %zu share%s "
				 "for %zu arms ([ab] arms, %s): give one per arm", at, ab->shares, n,
				 n == 1 ? "" : "s", ab->n_arms,
				 scenario_where(sc, "ab", "arms", at2, sizeof(at2)));
	if (fabs(sum - 1.0) > 1e-9)
		return error_set(err, ERR_INPUT, "%s: bad value '%s' for [ab] shares: the shares "
				 "sum to %.10g%%, not 100%%", at, ab->shares, 100 * sum);
	return 0;
}

/* "[ab] control (t.ini:3), treatment (t.ini:4)": the 2-arm keys written
 * with another value than their default.  `airtime validate` writes every
 * key, so a resolved A/B/n scenario holds them at their defaults: those
 * read back without complaint. */
static bool two_arm_keys(const struct config_ab *ab, const struct scenario *sc, char *buf,
			 size_t n)
{
	static const char *const keys[] = { "control", "treatment", "treatment_share" };
	struct config *def = xmalloc(sizeof(*def));
	struct scenario *empty;
	struct error e;
	bool differs[3];
	size_t len = 0;

	empty = scenario_parse(scenario_schema(sc), "", "defaults", NULL, 0, &e);
	if (!empty)
		BUG("the defaults do not parse: %s", e.msg);
	config_fill(def, empty);
	scenario_free(empty);
	differs[0] = ab->control != def->ab.control;
	differs[1] = ab->treatment != def->ab.treatment;
	differs[2] = ab->treatment_share != def->ab.treatment_share;
	free(def);
	buf[0] = '\0';
	for (size_t i = 0; i < 3 && len < n; i++) {
		char at[SCENARIO_WHERE_MAX];

		if (!differs[i] || !scenario_is_set(sc, "ab", keys[i]))
			continue;
		len += (size_t)snprintf(buf + len, n - len, "%s%s (%s)", len ? ", " : "[ab] ",
					keys[i], scenario_where(sc, "ab", keys[i], at, sizeof(at)));
	}
	return len > 0;
}

int config_ab_arms(struct config *cfg, const struct scenario *sc, struct error *err)
{
	struct config_ab *ab = &cfg->ab;
	char at[SCENARIO_WHERE_MAX], other[3 * SCENARIO_WHERE_MAX + 64];
	int rc;

	ab->n_arms = 0;
	ab->by_arms = !blank(ab->arms);
	memset(ab->arm, 0, sizeof(ab->arm));
	if (!ab->by_arms) {
		/* The 2-arm form: the control also ranks the warm-up, when no
		 * model exists yet. */
		if (!blank(ab->shares))
			return error_set(err, ERR_INPUT, "%s: [ab] shares needs [ab] arms: with "
					 "control and treatment, write treatment_share",
					 scenario_where(sc, "ab", "shares", at, sizeof(at)));
		if (ab->control == RANK_FOREST)
			return error_set(err, ERR_INPUT,
					 "%s: bad value 'forest' for [ab] control: the control also ranks the warm-up, before any model is trained; expected heuristic, popularity, random, oracle or a [ranker.NAME] of the scenario",
					 scenario_where(sc, "ab", "control", at, sizeof(at)));
		ab->n_arms = 2;
		ab->arm[0] = (struct config_arm){ .scorer = ab->control,
						  .share = 1.0 - ab->treatment_share };
		ab->arm[1] = (struct config_arm){ .scorer = ab->treatment,
						  .share = ab->treatment_share };
		for (size_t i = 0; i < 2; i++)
			snprintf(ab->arm[i].name, sizeof(ab->arm[i].name), "%s",
				 config_scorer_name(cfg, (unsigned)ab->arm[i].scorer));
		set_labels(ab);
		return 0;
	}
	scenario_where(sc, "ab", "arms", at, sizeof(at));
	if (two_arm_keys(ab, sc, other, sizeof(other)))
		return error_set(err, ERR_INPUT, "%s: [ab] arms and %s both given: write an "
				 "experiment either as arms (and shares) or as control, treatment "
				 "and treatment_share", at, other);
	if ((rc = parse_arms(cfg, ab, sc, err)) < 0 || (rc = parse_shares(ab, sc, err)) < 0) {
		ab->n_arms = 0;
		return rc;
	}
	set_labels(ab);
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

static const char *const reward_names[CONFIG_REWARD_COUNT] = {
	"tune_in", "listen_minutes", "like", "follow", "notify",
};

const char *config_reward_name(enum config_ope_reward r)
{
	return (unsigned)r < CONFIG_REWARD_COUNT ? reward_names[r] : "unknown";
}

/* [logging] beside [ab] exploration: two sources of randomness for one
 * page would make the logged propensities wrong. */
static int check_logging(const struct config *cfg, const struct scenario *sc, struct error *err)
{
	char at[SCENARIO_WHERE_MAX], at2[SCENARIO_WHERE_MAX];

	if (cfg->logging.policy.kind == POLICY_DETERMINISTIC || cfg->ab.exploration <= 0)
		return 0;
	return error_set(err, ERR_INPUT,
			 "%s: [logging] policy = %s cannot be combined with [ab] exploration (%s): "
			 "a shuffled page would not have the propensities logged; set exploration = 0%%",
			 scenario_where(sc, "logging", "policy", at, sizeof(at)),
			 policy_kind_name(cfg->logging.policy.kind),
			 scenario_where(sc, "ab", "exploration", at2, sizeof(at2)));
}

/* [ope] targets: known, distinct rankers, at most CONFIG_OPE_TARGETS_MAX,
 * and only with the impressions logged. */
static int parse_targets(struct config *cfg, const struct scenario *sc, struct error *err)
{
	struct config_ope *o = &cfg->ope;
	char at[SCENARIO_WHERE_MAX], at2[SCENARIO_WHERE_MAX], item[SCENARIO_TEXT_MAX], names[1024];
	const char *p = o->targets;
	size_t n = 0;

	o->n_targets = 0;
	if (blank(o->targets))
		return 0;
	scenario_where(sc, "ope", "targets", at, sizeof(at));
	ranker_names(cfg, names, sizeof(names));
	while (next_item(&p, item, sizeof(item))) {
		enum rank_scorer s;

		if (!*item)
			return error_set(err, ERR_INPUT, "%s: bad value '%s' for [ope] targets: target "
					 "%zu has no name: expected rankers separated by commas", at,
					 o->targets, n + 1);
		if (find_ranker(cfg, item, &s) < 0)
			return error_set(err, ERR_INPUT, "%s: bad value '%s' for [ope] targets: unknown "
					 "ranker '%s': expected one of %s", at, o->targets, item, names);
		for (size_t j = 0; j < n; j++)
			if (o->target[j] == s)
				return error_set(err, ERR_INPUT, "%s: bad value '%s' for [ope] targets: "
						 "ranker '%s' is named twice", at, o->targets, item);
		if (n == CONFIG_OPE_TARGETS_MAX)
			return error_set(err, ERR_INPUT, "%s: bad value '%s' for [ope] targets: more "
					 "than %d targets", at, o->targets, CONFIG_OPE_TARGETS_MAX);
		o->target[n++] = s;
	}
	if (o->truth && cfg->ab.exploration > 0)
		return error_set(err, ERR_INPUT, "%s: [ope] truth cannot be combined with [ab] "
				 "exploration (%s): the truth world would shuffle the target's pages "
				 "too, and the estimates are of its unshuffled pages; set exploration "
				 "= 0%% and log with [logging] policy = plackett-luce or epsilon, or "
				 "set [ope] truth = false", at,
				 scenario_where(sc, "ab", "exploration", at2, sizeof(at2)));
	if (!cfg->logging.impressions)
		return error_set(err, ERR_INPUT, "%s: [ope] targets needs the logged impressions: "
				 "set [logging] impressions = true (%s)", at,
				 scenario_where(sc, "logging", "impressions", at2, sizeof(at2)));
	o->n_targets = n;
	return 0;
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
	if ((rc = check_rankers(cfg, sc, err)) < 0 || (rc = config_ab_arms(cfg, sc, err)) < 0 ||
	    (rc = check_model(&cfg->model, sc, err)) < 0 ||
	    (rc = check_logging(cfg, sc, err)) < 0 || (rc = parse_targets(cfg, sc, err)) < 0 ||
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
