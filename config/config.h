#ifndef AIRTIME_CONFIG_H
#define AIRTIME_CONFIG_H
/*
 * What a scenario configures: every module's config struct in one struct
 * config, filled from one key table.
 *
 * config_schema (config/config_keys.c) is the scenario's key table.  Each
 * row is a key (section, name, type, bounds, default, choices, one-line
 * doc) and the field of struct config its value goes to, named with
 * offsetof and typed: the parser refuses a row without a field, or with a
 * field whose C type cannot hold the key's values (scenario_schema_check).
 * [spike.NAME] sections fill sim.spikes[] and its count the same way,
 * through the schema's repeats; a new repeated section ([ranker.NAME], ...)
 * is an array with a count in struct config, one repeat and its rows.
 * The parser, `airtime validate`, `airtime reference`, scenarios/README.md
 * and every default come from that table: no module keeps defaults of its
 * own, and code or tests that need them call config_defaults.
 *
 * config_load fills a struct config from a parsed scenario in four steps:
 *   1. config_init: zero, then the fields no key fills, from the modules'
 *      *_init functions (seeds, the PIT's 1-minute buckets, ...);
 *   2. scenario_fill: every key into its field;
 *   3. the values one key gives several modules: [run] seed (sim, batch
 *      workflow), start_date (arrivals' weekday, batch epoch), warmup_days
 *      + experiment_days (sim horizon);
 *   4. the rules the table cannot state, [ab] and [model] here, then each
 *      module's *_config_check in a fixed order (sim: world, behaviour,
 *      spikes; stream; batch; rank; the page-fits rule between [behaviour]
 *      and [rank]; endpoint).  The checks also derive fields from key text
 *      (the zone table, a spike's creator, the retry error kinds) and
 *      report the first broken rule as `FILE:LINE: message`
 *      (scenario_where).
 * Rules that depend on how a run uses the config (a replayed trace, the
 * features the forest sees) stay with eval/.
 *
 * Layer: above sim/ and engine/, whose config structs it embeds (each is
 * declared and documented by its module); below results/ and everything
 * else that reads a scenario.  The sections whose readers sit above this
 * layer ([run], [ab], [report], [model], [slo]) have their structs here.
 *
 * A struct config is plain data (no pointers but stream.online.log_path,
 * which config_load leaves NULL): copy it, compare it; it is tens of KiB
 * (SPIKES_MAX spikes), so keep it on the heap outside tests.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/scenario.h"
#include "common/simtime.h"
#include "engine/batchjob.h"
#include "engine/endpoint.h"
#include "engine/forest.h"
#include "engine/policy.h"
#include "engine/rank.h"
#include "engine/scorer.h"
#include "engine/stream.h"
#include "sim/sim.h"

/* [run]: the run as a whole. */
struct config_run {
	uint64_t seed;            /* master seed */
	int64_t start_date;       /* days since 1970-01-01 of simulated time 0 */
	int64_t warmup_days;
	int64_t experiment_days;
	int64_t history_days;     /* history phase before time 0 (eval/history.h) */
	char description[SCENARIO_TEXT_MAX];
};

/* Values are the indexes of [ab] mode's choices ("split|twin|both"). */
enum config_ab_mode { CONFIG_AB_SPLIT, CONFIG_AB_TWIN, CONFIG_AB_BOTH };

/* Most arms of an experiment, the control included. */
#define CONFIG_AB_ARMS_MAX 8

/* One arm of an experiment, as config_load derives it from either form of
 * [ab] (config_ab_arms).  The ranker is an opaque handle for eval/: today
 * the built-in scorer, named as in rank_scorer_name. */
struct config_arm {
	enum rank_scorer scorer;  /* the arm's ranker */
	double share;             /* split mode: expected share of users */
	char name[SCENARIO_NAME_MAX + 1];   /* the ranker's name ("forest") */
	/* How results.db, worlds and reports name the arm: "control" (arm 0),
	 * "treatment" (the one other arm of a 2-arm experiment), else the
	 * ranker's name. */
	char label[SCENARIO_NAME_MAX + 1];
};

/* [ab]: the experiment design.  control and treatment are scorers: the
 * keys' choices are rank_scorer_name's, in enum rank_scorer order, then
 * the scenario's [ranker.NAME] sections (RANK_SCORER_COUNT + index in
 * rankers[]); config_scorer_name() names either, and an arm's `scorer`
 * holds such an id.  An experiment is written either as control +
 * treatment (+ treatment_share), two arms, or as arms (+ shares), 2 to
 * CONFIG_AB_ARMS_MAX arms, the first the control; config_load gives both
 * forms as n_arms and arm[]. */
struct config_ab {
	enum config_ab_mode mode;
	enum rank_scorer control, treatment;
	double treatment_share;   /* split mode */
	char arms[SCENARIO_TEXT_MAX];    /* "heuristic, forest, popularity"; "" = control, treatment */
	char shares[SCENARIO_TEXT_MAX];  /* "50%, 25%, 25%"; "" = equal shares */
	char salt[SCENARIO_TEXT_MAX];
	double exploration;       /* share of pages shown in random order */
	char primary[SCENARIO_TEXT_MAX];     /* the decision's metric (stats/decision.h) */
	char guardrails[SCENARIO_TEXT_MAX];  /* "METRIC:LOSS, ..." */
	/* Derived by config_load (config_ab_arms) from either form. */
	bool by_arms;             /* written as [ab] arms (else control, treatment) */
	size_t n_arms;
	struct config_arm arm[CONFIG_AB_ARMS_MAX];
};

/* Values are the indexes of [report] formats' choices ("html+md|html|md"). */
enum config_formats { CONFIG_FORMATS_BOTH, CONFIG_FORMATS_HTML, CONFIG_FORMATS_MD };

/* [report]: the outputs of a run. */
struct config_report {
	bool plots;
	enum config_formats formats;
};

/* [model]: the forest trained after the warm-up.  trees .. bins fill
 * forest (n_trees, mtry, max_depth, min_leaf, max_leaves, criterion,
 * n_bins); its other fields are forest_params_defaults()' but seed, which
 * eval/ derives from [run] seed. */
struct config_model {
	struct forest_params forest;
	uint32_t threads;         /* training threads */
	double sample_sessions;   /* share of sessions logged for training */
	uint32_t max_rows;        /* logged impressions kept */
	simtime retrain_every;    /* 0: never */
	uint32_t scoring_threads; /* rank.threads of a run's ranker */
	bool label_reminders;     /* a reminder set from a slot is a positive too */
};

/* [slo]: the objectives `airtime run` (eval/run) and `airtime loadtest`
 * (serve/loadrun) check and gate on (exit 3 when one fails).  Times in
 * microseconds; a time of 0 drops its row (not checked).  Latency and
 * availability are the production objectives: a run's simulated end-to-end
 * rows and a load test's measured ones; reflection is simulated; the
 * feature-read, scoring and store-read rows are host measurements; serving_*
 * is the in-process load test's target (issue 9) and the conditions it is
 * stated for. */
struct config_slo {
	simtime latency_p50, latency_p95, latency_p99, latency_p999, latency_max;
	double availability;            /* answered / requests, at least */
	simtime reflection_p50, reflection_p99, reflection_max;
	simtime feature_read;           /* host feature assembly p99 per page */
	uint32_t feature_read_shows;    /* ... stated for pages of this many shows */
	simtime host_scoring;           /* host scoring p99 per page */
	simtime store_read;             /* [stream] store = redis: host p99 of one read */
	simtime serving_p99;            /* in-process load test p99 ... */
	double serving_rate;            /* ... at this rate (requests/s) */
	uint32_t serving_candidates;    /* ... this many candidates */
	uint32_t serving_trees;         /* ... and a forest this large */
	int64_t data_loss;              /* lost feature events allowed; -1: not checked */
};

/* [logging]: the logging policy of the control ranker, and the logged
 * bandit feedback (eval/banditlog): the per-impression and per-user tables
 * of results.db, docs/results-schema.md. */
struct config_logging {
	struct policy_config policy;    /* policy, temperature, epsilon, marginal_samples */
	bool impressions;               /* log every page of a sample of sessions */
	double sample_sessions;         /* share of sessions logged (by hash of the session) */
	uint32_t max_rows;              /* impressions kept at most (later ones are counted) */
	bool csv;                       /* also write impressions.csv and users.csv */
};

/* Values are the indexes of [ope] reward's choices
 * ("tune_in|listen_minutes|like|follow|notify"): keep both in the same order. */
enum config_ope_reward {
	CONFIG_REWARD_TUNE_IN = 0,
	CONFIG_REWARD_LISTEN_MINUTES,
	CONFIG_REWARD_LIKE,
	CONFIG_REWARD_FOLLOW,
	CONFIG_REWARD_NOTIFY,
	CONFIG_REWARD_COUNT
};

/* Most target policies of off-policy evaluation in one run. */
#define CONFIG_OPE_TARGETS_MAX 4

/* [ope]: off-policy evaluation of target rankers from the logged pages
 * (eval/ope).  targets is parsed by config_load into n_targets and
 * target[] (scorer ids as config_scorer_from_name gives them). */
struct config_ope {
	char targets[SCENARIO_TEXT_MAX];    /* "forest, popularity"; "" = none */
	bool truth;                         /* a twin world per target: the online truth */
	char estimators[SCENARIO_TEXT_MAX]; /* "all" or names separated by commas */
	enum config_ope_reward reward;
	uint32_t reward_trees;              /* trees of the reward model (DM, DR) */
	/* Derived by config_load. */
	size_t n_targets;
	enum rank_scorer target[CONFIG_OPE_TARGETS_MAX];
};

/* "tune_in" ... (the [ope] reward choices). */
const char *config_reward_name(enum config_ope_reward r);

struct config {
	struct config_run run;          /* [run] */
	struct config_ab ab;            /* [ab] */
	struct config_report report;    /* [report] */
	struct rank_config rank;        /* [rank] */
	struct endpoint_config endpoint;/* [endpoint] */
	struct sim_params sim;          /* [world] [traffic] [spike.NAME] [behaviour] */
	struct batchjob_config batch;   /* [batch] */
	struct stream_config stream;    /* [stream] [faults] */
	struct config_model model;      /* [model] */
	struct config_logging logging;  /* [logging] */
	struct config_ope ope;          /* [ope] */
	/* [ranker.NAME]: the scenario's own rankers, file order */
	struct scorer_config rankers[SCORER_RANKERS_MAX];
	size_t n_rankers;
	struct config_slo slo;          /* [slo] */
};

/* The scenario key table over struct config (config/config_keys.c). */
extern const struct scenario_schema config_schema;

/* Zero cfg, then set the fields no key fills (step 1 above). */
void config_init(struct config *cfg);
/* Fill cfg from sc (read against config_schema), steps 1 to 4 above.
 * ERR_INPUT with the first broken rule, named by file and line. */
int config_load(struct config *cfg, const struct scenario *sc, struct error *err);
/* Steps 1 to 3 only: every key's value in its field, no rule checked and
 * nothing derived from key text.  For readers that only look at values
 * of a scenario stored earlier (a run directory's seed, [report]). */
void config_fill(struct config *cfg, const struct scenario *sc);
/* The [ab] step of config_load: cfg->ab.n_arms and arm[] from [ab] arms
 * and shares, or, when arms is empty, from control, treatment and
 * treatment_share, for a cfg filled from sc (config_fill).  ERR_INPUT, as
 * `FILE:LINE: message`, for an unknown or repeated ranker, fewer than 2 or
 * more than CONFIG_AB_ARMS_MAX arms, shares that are not one per arm or do
 * not sum to 100 %, shares without arms, a forest control, or both forms
 * at once: arms beside a 2-arm key written with another value than its
 * default (at their defaults they are what `airtime validate` writes for
 * every key, and are ignored).  Readers of a stored scenario (the report)
 * call it after config_fill and may ignore a failure. */
int config_ab_arms(struct config *cfg, const struct scenario *sc, struct error *err);
/* Every default: config_load of an empty scenario (which always loads). */
void config_defaults(struct config *cfg);

/* The name of scorer id (enum rank_scorer, or RANK_SCORER_COUNT + i for
 * rankers[i]), and back (-1 if none is called so). */
const char *config_scorer_name(const struct config *cfg, unsigned id);
int config_scorer_from_name(const struct config *cfg, const char *name);
/* rankers[] index of scorer id, or -1 for one of airtime's own. */
int config_ranker_of(const struct config *cfg, unsigned id);

#endif
