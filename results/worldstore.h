#ifndef AIRTIME_WORLDSTORE_H
#define AIRTIME_WORLDSTORE_H
/*
 * One simulated world's measurements as results.db stores them: counters,
 * run facts, the model's curves and skew, the daily batch workflow's
 * transitions, per-minute series and whole-run histograms, all under the
 * world's run_id.
 *
 * eval/worldrun gathers them from the simulation and the pipeline into the
 * plain description below (common/ and stats/ types, numbers, arrays);
 * worldstore_put gives each its name and unit from results/schema.h and
 * writes them.  The engine never learns what results.db calls its series.
 *
 * Order: rows are written in one fixed order (the counters in the order
 * given), so the same scenario and seed give the same rows with the same
 * recording order (seq) in every table.
 *
 * Ownership: everything is borrowed for the duration of the call.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/simtime.h"
#include "results/schema.h"

struct hist;
struct exposure;
struct metrics;
struct results;
struct results_transition;
struct series;

/* A counter: a SCHEMA_KIND_METRIC row and its value (NaN: undefined). */
struct worldstore_counter {
	enum schema_id id;
	double value;
};

struct worldstore_spike {
	const char *name;          /* the [spike.NAME] section's name */
	simtime start;
};

/* Training/serving skew of one feature group, over all trainings. */
struct worldstore_skew {
	const char *group;         /* "user", "creator", ... */
	uint64_t cells;            /* rows x features compared */
	uint64_t mismatched;       /* serving != as-known-at */
	uint64_t found;            /* cells with a value in the offline store */
};

/* One of the scenario's own rankers ([ranker.NAME]) the world used: the
 * host time its pages and its fits took, stored as the histograms
 * host_ranker_NAME_ns and host_fit_NAME_ns (host measurements). */
struct worldstore_ranker {
	const char *name;
	const struct hist *score_ns, *fit_ns;
};

/* [stream] store = redis: the real Redis's host measurements. */
struct worldstore_redis {
	const struct hist *read_ns, *write_ns;   /* one MGET; one pipeline flush */
	uint64_t reads, read_keys, writes, flushes, cells_compared, mismatches;
};

struct worldstore {
	/* Counters (simulated), in recording order, then the host time spent
	 * training (SCHEMA_METRIC_TRAINING_WALL). */
	const struct worldstore_counter *counters;
	size_t n_counters;
	double train_wall_s;
	/* The history phase's host time (SCHEMA_TIMING_HISTORY), stored when
	 * `history` (the world had one). */
	bool history;
	double history_wall_s;

	/* Run facts. */
	const char *world;                       /* "split", "control", ... */
	simtime experiment_start;
	const struct worldstore_spike *spikes;
	size_t n_spikes;
	bool replay;                             /* events came from a trace */
	size_t events_after_horizon;             /* replay: trace events left out */
	const char *trace_ids;                   /* replay: how its ids were read, or NULL */

	/* The model, when one was trained (nothing of it is stored else). */
	bool trained;
	simtime train_from, train_to;
	size_t train_rows;
	const double *roc_fpr, *roc_tpr;         /* roc_n points; none when 0 */
	size_t roc_n;
	const double *calib_x, *calib_y, *calib_n;  /* calib_bins bins; none when 0 */
	size_t calib_bins;
	double oob_logloss;
	const struct worldstore_skew *skew;
	size_t n_skew;

	/* The daily batch workflow's state changes, in order. */
	const struct results_transition *transitions;
	size_t n_transitions;

	/* The experiment's arms, control first, by label ("control",
	 * "treatment", or rankers' names): the per-arm series are stored
	 * under them. */
	size_t n_arms;
	const char *const *arm_labels;

	/* Per-user metrics: the daily engagement of each arm. */
	const struct metrics *metrics;
	/* What the served pages exposed, per arm (NULL: not measured). */
	const struct exposure *exposure;

	/* Series per simulated minute (any may be named anything: they are
	 * stored under their schema names). */
	const struct series *sessions;
	const struct series *const *exposures;          /* n_arms, control first */
	const struct series *freshness, *reflection, *queue_depth, *queue_inflight;
	const struct series *queue_oldest, *workers;
	const struct series *latency, *requests, *errors, *instances;

	/* Whole-run histograms. */
	const struct hist *freshness_hist, *latency_hist, *reflection_hist;
	const struct hist *host_assembly, *host_scoring;   /* host measurements, ns */
	const struct worldstore_ranker *rankers;            /* host measurements too */
	size_t n_rankers;
	const struct worldstore_redis *redis;              /* NULL: embedded store only */
};

/* Store everything of w under run_id (inside the caller's transaction when
 * one is open).  ERR_DB and friends from results_put_*. */
int worldstore_put(struct results *r, int64_t run_id, const struct worldstore *w,
		   struct error *err);

#endif
