/*
 * airtime scorer API, version 1: how a ranker of your own scores a home page
 * inside an airtime simulation.
 *
 * This is the only header a scorer plugin includes.  It needs nothing but
 * the C standard headers below and defines nothing else of airtime.  The
 * manual is docs/ranker-plugins.md (build line, life cycle, rules, errors,
 * a complete plugin); the same interface spoken over a pipe by another
 * process is docs/ranker-protocol.md.  airtime's own scorers (forest,
 * heuristic, popularity, random, oracle) implement it too.
 *
 * A scorer is named in a scenario:
 *
 *     [ranker.mine]
 *     kind = plugin
 *     path = build/examples/libforest_echo.so   ; relative to the working directory
 *     option.model = model.forest                ; passed to create()
 *
 *     [ab]
 *     control = heuristic
 *     treatment = mine
 *
 * and airtime loads it with dlopen(3), looks up the one symbol
 * AIRTIME_SCORER_ENTRY ("airtime_scorer_v1"), calls it once, and checks the
 * table it returns (api_version, struct_size, create and score set) before
 * calling anything else.  Each failure is one line naming the ranker and
 * the file.
 *
 * Life cycle, per ranker instance (one per simulated world that uses it):
 *   create(schema)    once, before the simulation: the feature schema, the
 *                     ranker's name, its options and a seed
 *   fit(training)     optional, 0..n times: at the end of the warm-up and
 *                     at each retrain ([model] retrain_every), each time
 *                     with the whole training window: exactly the rows the
 *                     built-in forest trains on.  A score() may come before
 *                     any fit() (a scorer used as [ab] control ranks the
 *                     warm-up).
 *   score(page)       once per home page with at least one candidate: one
 *                     score per candidate, in candidate order; higher ranks
 *                     first, ties go to the lower show id
 *   destroy(self)     optional, once at the end of the world, also when the
 *                     run failed
 *
 * Rules a scorer must follow (airtime checks what it can):
 *   - Deterministic: the scores may depend only on the arguments and on the
 *     scorer's own state built from earlier calls, never on wall-clock time,
 *     addresses or an unseeded random generator.  Then the same scenario
 *     and seed give the same results bit for bit.
 *   - One call at a time per instance: airtime never calls into the same
 *     `self` from two threads at once.  Instances of one plugin share its
 *     global variables: keep state in `self`.
 *   - Arguments are borrowed and valid only during the call; copy what you
 *     keep.  Write exactly page->n scores; each must be finite (a NaN or an
 *     infinity fails the run, naming the ranker, the simulated time and the
 *     candidate).
 *   - Errors: return non-zero and write a one-line message (NUL-terminated,
 *     at most err_size bytes, err_size >= 256) into err; the run fails
 *     cleanly with it, naming the ranker and the simulated time.
 *   - The process is airtime's: do not exit, do not install signal handlers,
 *     do not write to stdout.  A crash inside the plugin kills airtime (use
 *     kind = exec to keep a ranker in a process of its own).
 */
#ifndef AIRTIME_SCORER_H
#define AIRTIME_SCORER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The major version of this API.  A change that breaks compiled plugins
 * increments it; fields added at the end of struct airtime_scorer do not
 * (struct_size tells which fields a table has). */
#define AIRTIME_SCORER_API_VERSION 1

/* The symbol a plugin exports: `const struct airtime_scorer
 * *airtime_scorer_v1(void);` (use AIRTIME_SCORER_DEFINE below). */
#define AIRTIME_SCORER_ENTRY "airtime_scorer_v1"

/* What a feature column is (its source in the pipeline).  More kinds may be
 * added without a new API version: treat a kind you do not know as opaque. */
enum airtime_feature_kind {
	AIRTIME_FEATURE_PIT = 1,          /* the show, point in time (streaming path) */
	AIRTIME_FEATURE_USER = 2,         /* the user's history (daily batch) */
	AIRTIME_FEATURE_CREATOR = 3,      /* the show's creator's history (batch) */
	AIRTIME_FEATURE_USER_TOPIC = 4,   /* the user x the show's topic (batch) */
	AIRTIME_FEATURE_USER_CREATOR = 5, /* the user x the show's creator (batch) */
	AIRTIME_FEATURE_CONTEXT = 6,      /* computed for the request (live, minutes to start...) */
};

struct airtime_feature {
	const char *name;                 /* e.g. "pit_likes", "user.listen_minutes_7d"; unique */
	uint32_t kind;                    /* enum airtime_feature_kind */
};

/* Given once to create(): what every later call will carry. */
struct airtime_schema {
	uint32_t n_features;              /* columns of every feature matrix */
	const struct airtime_feature *features;
	uint32_t n_topics;                /* topic ids are 0 .. n_topics-1 */
	uint32_t n_users;                 /* users at the start; ids of users arriving
					   * later (cold start) may be n_users or more */
	const char *ranker;               /* the NAME of [ranker.NAME] */
	/* The section's `option.KEY = VALUE` lines, KEY without the prefix,
	 * unique, in file order (a --set of a new key comes last). */
	uint32_t n_options;
	const char *const *option_keys;
	const char *const *option_values;
	/* For the scorer's own random numbers: derived from [run] seed and the
	 * ranker's name, the same in every world of a run (common random
	 * numbers), different for another seed or name. */
	uint64_t seed;
	uint32_t world;                   /* 0-based index of the simulated world */
};

/* The request being ranked. */
struct airtime_context {
	uint32_t user;
	uint32_t n_declared;              /* the user's declared topics, most preferred first */
	const uint16_t *declared_topics;
	int64_t now_us;                   /* simulated time, microseconds since the scenario
					   * epoch (midnight UTC of [run] start_date) */
	uint64_t request_id;              /* unique per request in a world */
};

struct airtime_candidate {
	uint32_t show;
	uint32_t creator;
	uint16_t topic;                   /* < schema n_topics */
	uint8_t live;                     /* 1 live now, 0 upcoming */
	uint8_t reserved;                 /* 0 */
	int64_t start_us;                 /* scheduled start, simulated microseconds */
};

/* One home page to score: n >= 1 candidates and their features, row-major
 * float32 (NaN = missing), row i at features + i * stride. */
struct airtime_page {
	const struct airtime_context *context;
	uint32_t n;
	uint32_t stride;                  /* >= schema n_features */
	const struct airtime_candidate *candidates;
	const float *features;
};

/* The logged impressions the built-in forest trains on: features as of the
 * as-known-at point-in-time join, the label (1: the user tuned in from that
 * slot), the slot position (0 = top), the probability with which the
 * logging policy showed that show at that position (NULL until airtime has
 * stochastic logging policies), and who, what and when.  Each fit() gets
 * the whole window logged so far, not only the rows since the last one. */
struct airtime_training_set {
	uint64_t n;                       /* rows; may be 0 */
	uint32_t n_features;
	uint32_t stride;                  /* >= n_features */
	const float *features;            /* n x stride */
	const float *labels;              /* n: 0 or 1 */
	const uint16_t *positions;        /* n */
	const double *propensities;       /* n, or NULL */
	const uint32_t *users;            /* n */
	const uint32_t *shows;            /* n */
	const int64_t *times_us;          /* n: simulated time of the impression */
};

/* The function table a plugin returns. */
struct airtime_scorer {
	uint32_t api_version;             /* AIRTIME_SCORER_API_VERSION */
	uint32_t struct_size;             /* sizeof(struct airtime_scorer) */
	const char *name;                 /* for messages, e.g. "forest_echo 1" */
	/* Required.  Returns the instance (non-NULL) or NULL with err set. */
	void *(*create)(const struct airtime_schema *schema, char *err, size_t err_size);
	/* Optional (NULL: training rows are not needed). */
	int (*fit)(void *self, const struct airtime_training_set *set, char *err,
		   size_t err_size);
	/* Required: scores[0 .. page->n-1]. */
	int (*score)(void *self, const struct airtime_page *page, double *scores, char *err,
		     size_t err_size);
	/* Optional. */
	void (*destroy)(void *self);
};

/* Define the entry point of a plugin from a `static const struct
 * airtime_scorer` table:  AIRTIME_SCORER_DEFINE(my_table) */
#define AIRTIME_SCORER_DEFINE(table) \
	__attribute__((visibility("default"))) const struct airtime_scorer *airtime_scorer_v1(void); \
	const struct airtime_scorer *airtime_scorer_v1(void) { return &(table); }

#ifdef __cplusplus
}
#endif

#endif
