#ifndef AIRTIME_RANK_H
#define AIRTIME_RANK_H
/*
 * The ranker: for one home-page request (user, time) it generates
 * candidates from the catalog, assembles a feature row per candidate from
 * the feature sources, scores the candidates with one scorer and keeps the
 * top K.
 *
 * Feature sources are function pointers (struct rank_sources) that
 * engine/serving.c wires to the real stores (engine/online for point-in-time
 * show features, the batch job's serving snapshots, engine/batchjob, for
 * batch features), so this file has no compile-time
 * dependency on them, and tests can hand in fakes that fail on demand.  A
 * source returning ERR_UNAVAILABLE (a store down under fault injection)
 * makes the request fall back to the heuristic scorer; the fallback is
 * counted.  Any other error is returned to the caller.
 *
 * Feature row layout (one row per candidate, float32, NaN = missing), in
 * this order; rank_feature_name() gives the names the model must use:
 *   [0, RANK_PIT_COUNT)                point-in-time show features (enum rank_pit)
 *   then n_user     batch user features       (same for every row)
 *   then n_creator  batch creator features    (of the show's creator)
 *   then n_topic    batch user x topic        (the user and the show's topic)
 *   then n_pair     batch user x creator      (the user and the show's creator)
 *   then RANK_CTX_COUNT context features      (enum rank_ctx)
 * The batch widths and names come from the sources (the batch job owns its
 * feature list).
 *
 * Scorers, higher score ranks first; ties are broken by ascending show id,
 * so a page is a pure function of the scores.  Every scorer is a struct
 * scorer (engine/scorer.h) handed the same page (include/airtime/scorer.h:
 * the request, the candidates, the feature matrix when it needs one).  The
 * ranker makes airtime's own, by id (enum rank_scorer):
 *   forest      the model's probability (struct rank_model, e.g. the random
 *               forest through rank_forest_model(), engine/rank_forest.h;
 *               engine/scorer_model.h)
 *   heuristic, popularity, random, oracle   engine/scorer_builtin.h (the
 *               oracle through the sources' oracle callback)
 * and ids RANK_SCORER_COUNT .. RANK_SCORERS_MAX - 1 are the scenario's own
 * rankers ([ranker.NAME], in file order), attached with rank_set_scorer().
 *
 * Memory: every buffer is sized at rank_new() for cfg->max_candidates; a
 * request allocates nothing.  Results point into the ranker's scratch and
 * are valid until the next request.  The catalog, profile, sources, model
 * and attached scorers are borrowed and must outlive the ranker.
 *
 * Threads: a ranker is used by one thread at a time.  With cfg->threads > 1
 * and a model, the forest scorer owns cfg->threads - 1 helper threads
 * (engine/workpool.h) that score blocks of a page's rows while the calling
 * thread scores the others; scores, pages and results are the same bits
 * for any thread count.
 *
 * Wall clock: the host time spent assembling features and scoring is
 * measured (CLOCK_MONOTONIC) into two histograms labelled host_*; they are
 * never part of rank_result, so they cannot leak into simulated results.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/hist.h"
#include "common/simtime.h"
#include "engine/catalog.h"
#include "engine/profile.h"
#include "engine/scorer.h"

struct scenario;

/* Point-in-time show features, as the streaming path keeps them. */
enum rank_pit {
	RANK_PIT_LIKES = 0,              /* likes so far */
	RANK_PIT_LISTENS,                /* tune-ins so far */
	RANK_PIT_LIVE_LISTENERS,         /* listening right now */
	RANK_PIT_SESSIONS_5MIN,          /* listening sessions longer than 5 minutes */
	RANK_PIT_LIKES_15MIN,            /* likes in the last 15 minutes */
	RANK_PIT_TUNEINS_15MIN,          /* tune-ins in the last 15 minutes */
	RANK_PIT_CREATOR_FOLLOWERS_LIVE, /* the creator's followers listening now */
	RANK_PIT_COUNT
};

/* Context features computed by the ranker itself. */
enum rank_ctx {
	RANK_CTX_IS_LIVE = 0,          /* 1 live, 0 upcoming */
	RANK_CTX_MINUTES_TO_START,     /* scheduled start - now, minutes (negative once started) */
	RANK_CTX_DECLARED_MATCH,       /* 1 if the show's topic is one the user declared */
	RANK_CTX_DECLARED_COUNT,       /* how many topics the user declared */
	RANK_CTX_COUNT
};

/* Values are the indexes of [ab] control's and treatment's choices, which
 * are rank_scorer_name's names: keep both in the same order.  The choices
 * end with the scenario's [ranker.NAME] sections: RANK_SCORER_COUNT + i is
 * the i-th of them (a struct scorer attached with rank_set_scorer). */
enum rank_scorer {
	RANK_FOREST = 0,
	RANK_HEURISTIC,
	RANK_POPULARITY,
	RANK_RANDOM,
	RANK_ORACLE,
	RANK_SCORER_COUNT
};

/* Scorer ids: airtime's own, then the scenario's rankers. */
#define RANK_SCORERS_MAX (RANK_SCORER_COUNT + SCORER_RANKERS_MAX)

/* Where features come from.  Each callback fills a row-major block and
 * returns 0, ERR_UNAVAILABLE (store down: the request falls back) or
 * another ERR_* (returned to the caller).  A NULL callback, or a width of
 * 0, leaves those columns NaN.  ctx is passed back untouched. */
struct rank_sources {
	void *ctx;
	/* out[n x RANK_PIT_COUNT]: the shows' PIT features as readable at `now` */
	int (*show_pit)(void *ctx, const uint32_t *shows, size_t n, simtime now, float *out,
			struct error *err);
	/* out[n_user]: the user's batch features */
	int (*user_batch)(void *ctx, uint32_t user, simtime now, float *out, struct error *err);
	/* out[n x n_creator] */
	int (*creator_batch)(void *ctx, const uint32_t *creators, size_t n, simtime now,
			     float *out, struct error *err);
	/* out[n x n_topic]: (user, topics[i]) */
	int (*user_topic)(void *ctx, uint32_t user, const uint16_t *topics, size_t n, simtime now,
			  float *out, struct error *err);
	/* out[n x n_pair]: (user, creators[i]) */
	int (*user_creator)(void *ctx, uint32_t user, const uint32_t *creators, size_t n,
			    simtime now, float *out, struct error *err);
	size_t n_user, n_creator, n_topic, n_pair;
	/* Column names, n_user / n_creator / n_topic / n_pair entries (borrowed);
	 * NULL arrays get generated names ("user_3"). */
	const char *const *user_names, *const *creator_names, *const *topic_names,
		*const *pair_names;
	/* The oracle: out[i] = true engagement probability of shows[i] for user. */
	int (*oracle)(void *ctx, uint32_t user, const uint32_t *shows, size_t n, simtime now,
		      double *out, struct error *err);
};

/* A scoring model over named features (the forest, through
 * rank_forest_model(); tests may hand in another).  predict() scores n rows
 * (row r at rows + r*stride) into out; its features are columns of the
 * model's own order, which rank maps from its layout by name.  out[r] must
 * depend on row r alone, and predict() must be safe to call from several
 * threads at once: with cfg.threads > 1 a page's rows are scored in blocks
 * on several threads. */
struct rank_model {
	const void *ctx;
	size_t n_features;
	const char *(*feature_name)(const void *ctx, size_t i);
	int (*predict)(const void *ctx, const float *rows, size_t n, size_t stride, double *out,
		       struct error *err);
	uint32_t n_trees;          /* for the cost model; 0 if not a forest */
	uint64_t nodes_per_row;    /* node visits to score one row (sum of tree depths) */
};

/* [rank] scenario section: every field but threads is filled from the key
 * of its name by config_load (config/config.h, which also holds the
 * defaults).  Which scorer each A/B arm uses is [ab] control / treatment
 * (the choices are the scorers' names, in enum rank_scorer order). */
struct rank_config {
	simtime horizon;           /* upcoming shows starting within this */
	simtime late_grace;        /* announced shows overdue by at most this stay candidates */
	uint32_t max_candidates;   /* cap per request */
	uint32_t k;                /* page size */
	bool host_timing;          /* measure host wall-clock time */
	uint32_t threads;          /* threads scoring a page with the model (1, rank_config_init);
				    * not a [rank] key: eval/ sets it ([model] scoring_threads) */
};

/* What one request cost, for the endpoint's service-time model. */
struct rank_cost {
	uint32_t candidates;       /* candidates generated */
	uint32_t scored;           /* candidates scored (== candidates) */
	uint64_t features_read;    /* feature values read from the sources */
	uint32_t source_calls;     /* callback invocations (store round trips) */
	uint32_t trees;            /* trees evaluated per candidate (0 unless forest) */
	uint64_t nodes_visited;    /* tree nodes visited over all candidates */
	uint64_t scorer_ns;        /* simulated ns a scorer airtime cannot count charges
				    * (its cost_per_candidate x candidates) */
};

struct rank_request {
	uint32_t user;
	simtime now;
	uint64_t request_id;       /* seeds the random scorer's stream */
	enum rank_scorer scorer;   /* an id below RANK_SCORERS_MAX */
	bool want_rows;            /* assemble feature rows even if the scorer reads none */
};

/* Valid until the next rank_request() on the same ranker. */
struct rank_result {
	const uint32_t *page;      /* the top K show ids, best first */
	const double *page_scores;
	size_t k;                  /* <= cfg.k (fewer candidates than K) */
	const uint32_t *candidates;/* every candidate, generation order */
	size_t n_candidates;
	const double *scores;      /* n_candidates: every candidate's score, candidate order */
	const float *rows;         /* n_candidates x stride, candidate order; NULL if not assembled */
	size_t stride;
	enum rank_scorer scorer_used;   /* HEURISTIC when a fallback happened */
	bool fell_back;
	struct rank_cost cost;
};

/* Running totals over the ranker's life. */
struct rank_stats {
	uint64_t requests[RANK_SCORERS_MAX];    /* by requested scorer */
	uint64_t fallbacks[RANK_SCORERS_MAX];   /* by requested scorer */
	uint64_t empty_pages;                   /* no candidate at all */
};

/* Zero cfg but for the field no key fills: threads = 1. */
void rank_config_init(struct rank_config *cfg);
/* After loading from sc (engine/rank_config.c): ERR_INPUT naming file,
 * line and key (scenario_where) when k exceeds max_candidates. */
int rank_config_check(const struct rank_config *cfg, const struct scenario *sc,
		      struct error *err);
/* Scorer name ("forest") and back (-1 if unknown). */
const char *rank_scorer_name(enum rank_scorer s);
int rank_scorer_from_name(const char *name);

/* A ranker.  model may be NULL (then the forest scorer is refused per
 * request with ERR_INPUT).  ERR_INPUT when the model needs a feature the
 * layout does not have (naming it) or the config is out of range. */
struct rank *rank_new(const struct rank_config *cfg, const struct catalog *cat,
		      const struct profile *prof, const struct rank_sources *src,
		      const struct rank_model *model, uint64_t seed, struct error *err);
void rank_free(struct rank *r);

/* Width of a feature row, the name of column i and its kind (enum
 * airtime_feature_kind: where the column comes from). */
size_t rank_n_features(const struct rank *r);
const char *rank_feature_name(const struct rank *r, size_t i);
uint32_t rank_feature_kind(const struct rank *r, size_t i);

/* Use scorer s (borrowed; NULL detaches) for id, one of the scenario's
 * rankers (RANK_SCORER_COUNT <= id < RANK_SCORERS_MAX). */
void rank_set_scorer(struct rank *r, unsigned id, struct scorer *s);
/* The scorer of id, or NULL when there is none (the forest without a
 * model, the oracle without a truth source, an id nothing is attached to). */
struct scorer *rank_scorer(const struct rank *r, unsigned id);

/* Rank one request into *res (see struct rank_result for lifetime). */
int rank_request(struct rank *r, const struct rank_request *req, struct rank_result *res,
		 struct error *err);

/* Score the last request's candidates again with scorer id (another
 * ranker on the same page, e.g. a target policy of off-policy evaluation),
 * into scores[0 .. n_candidates): the same candidates, feature rows and
 * request context, nothing read again, no statistic counted.  A scorer
 * that needs feature rows the last request did not assemble scores with
 * the heuristic instead, as a request would (*fell_back, may be NULL).
 * ERR_INPUT when no scorer has that id (the forest before its model). */
int rank_rescore(struct rank *r, const struct rank_request *req, unsigned id, double *scores,
		 bool *fell_back, struct error *err);

/* Totals so far. */
const struct rank_stats *rank_stats(const struct rank *r);
/* Host wall-clock histograms, nanoseconds (HOST measurements, not simulated). */
const struct hist *rank_host_assembly_ns(const struct rank *r);
const struct hist *rank_host_scoring_ns(const struct rank *r);

#endif
