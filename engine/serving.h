#ifndef AIRTIME_SERVING_H
#define AIRTIME_SERVING_H
/*
 * The serving path of one home-page request, assembled from real parts:
 * candidate generation from the catalog, point-in-time show features from
 * the online store, batch features from the batch job's serving snapshots,
 * scoring (forest, heuristic, popularity, random, oracle) and top-K
 * (engine/rank).  eval/worldrun drives it inside the simulation; the load
 * test and the HTTP server (serve/) drive it in real time over a run
 * directory.
 *
 * This file is the glue: it implements engine/rank's source interface over
 * engine/online and engine/batchjob, which do not know about each other.  The catalog, profile, stores, model and oracle are borrowed
 * and must outlive the serving object.  A request allocates nothing.
 *
 * Not thread-safe: one struct serving per thread.  Stores may be shared by
 * several servings when nobody writes them and parts.concurrent is set:
 * then online-store reads are counted in the serving (serving_online_counts)
 * instead of the store, so the read path touches no shared mutable state
 * (the catalog, profile and forest are only read).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/simtime.h"
#include "engine/rank.h"

struct batchjob;
struct catalog;
struct forest;
struct online;
struct online_stats;
struct profile;

/* The simulator's truth for the oracle scorer: out[i] for shows[i]. */
typedef double (*serving_truth_fn)(void *ctx, uint32_t user, uint32_t show, simtime now);

struct serving_parts {
	const struct rank_config *rank;
	const struct catalog *catalog;
	const struct profile *profile;
	struct online *online;             /* PIT features; NULL: all missing */
	const struct batchjob *batch;      /* batch features; NULL: none */
	serving_truth_fn truth;            /* oracle; NULL: the oracle scorer fails */
	void *truth_ctx;
	uint64_t seed;                     /* random scorer stream */
	bool concurrent;                   /* other threads read the same stores */
};

struct serving;

struct serving *serving_new(const struct serving_parts *parts, struct error *err);
void serving_free(struct serving *s);

/* Use this model for the forest scorer from now on (NULL: none).  The
 * model's feature names must all be in the serving row layout. */
int serving_set_model(struct serving *s, const struct forest *model, struct error *err);
const struct forest *serving_model(const struct serving *s);

/* Use scorer sc (borrowed; NULL detaches) as scorer id, one of the
 * scenario's rankers (RANK_SCORER_COUNT <= id < RANK_SCORERS_MAX), from now
 * on, also after serving_set_model. */
void serving_set_scorer(struct serving *s, unsigned id, struct scorer *sc);

/* Rank a home page.  The result points into scratch valid until the next
 * request. */
int serving_request(struct serving *s, const struct rank_request *req, struct rank_result *res,
		    struct error *err);

/* Score the last request's page again with scorer id (rank_rescore). */
int serving_rescore(struct serving *s, const struct rank_request *req, unsigned id,
		    double *scores, bool *fell_back, struct error *err);

/* Online-store read counts of this serving (concurrent mode only; zeros
 * otherwise, where the store counts). */
const struct online_stats *serving_online_counts(const struct serving *s);

/* The ranker (feature names, stats, host histograms). */
const struct rank *serving_rank(const struct serving *s);

#endif
