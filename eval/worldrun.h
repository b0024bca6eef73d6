#ifndef AIRTIME_WORLDRUN_H
#define AIRTIME_WORLDRUN_H
/*
 * One simulated world, start to end: the synthetic population (sim/) wired
 * to the pipeline under test (engine/) on one calendar.
 *
 *   sim emit -> metrics (per user), catalog (show events), impression
 *               labels, stream_publish (bus -> PIT queue -> workers -> pit
 *               -> online store; bus -> batch job -> lake -> daily features)
 *   sim page -> arm of the user -> serving (candidates, features, scorer,
 *               top-K) -> endpoint queueing model (latency, availability)
 *
 * A policy says which arm's ranker each user gets after the warm-up: by
 * salted hash among the [ab] arms (split, WORLDRUN_SPLIT), or everyone the
 * same arm (a twin world: the arm's index, 0 for the control).  The
 * exogenous world (users, arrivals, shows, spikes) is identical across
 * policies: only what the pages show differs (common random numbers).
 *
 * The scenario's own rankers ([ranker.NAME]) an arm of this world uses are
 * started with the world (a plugin's instance, a child process), fitted
 * where the forest is trained, on the same rows, and ended with it: in
 * order by worldrun_execute when the world went well, in any case by
 * worldrun_free.
 *
 * The page a user sees is the ranker's answer at request time; the
 * endpoint model measures how long that answer would have taken and
 * whether it came within the timeout, but a late answer does not change
 * what the simulated user saw (documented limitation).
 */
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/simtime.h"

struct config;
struct endpoint;
struct forest;
struct implog;
struct exposure;
struct metrics;
struct results;
struct scenario;
struct serving;
struct sim;
struct stream;

/* The split policy; a twin world's policy is its arm's index (0 .. n-1). */
#define WORLDRUN_SPLIT (-1)

/* Progress and interruption of a world.  fn (may be NULL) is called at
 * simulated time 0 and every simulated hour, and around each training:
 * `training` true just before the forest is trained (and the scenario's
 * rankers fitted), false again when it is done.  When *stop (may be NULL)
 * is nonzero at one of those hourly checks, or after a training, the world
 * stops there and worldrun_execute returns ERR_INTERRUPTED; the flag is
 * set by a signal handler (cli/), so it is only read. */
struct worldrun_progress_fn {
	void (*fn)(void *ctx, const char *world, bool training, simtime now, simtime end,
		   uint64_t events);
	void *ctx;
	const volatile sig_atomic_t *stop;
};

struct replay;
struct trace_writer;

/* Optional inputs and outputs of a world. */
struct worldrun_io {
	struct replay *replay;           /* events from a trace instead of the sim (borrowed) */
	struct trace_writer *trace_out;  /* every event is also written here (borrowed) */
	uint32_t world;                  /* 0-based index of this world in its run */
	/* Checkpoints (issue 18): each training's model and outputs are kept
	 * in this directory, and a training whose checkpoint is there (a
	 * resumed run replaying up to it) loads them instead of training
	 * again: the same bits, as training is deterministic and consumes no
	 * stream of the simulation.  NULL: none. */
	const char *checkpoint_dir;
};

struct worldrun;

/* Set up a world under `policy` (WORLDRUN_SPLIT or an arm index of
 * cfg->ab) with its stores in `dir` (created by the caller), from cfg,
 * loaded from sc by config_load (both borrowed for the call; sc names where
 * values came from in messages). */
struct worldrun *worldrun_new(const struct config *cfg, const struct scenario *sc,
			      int policy, const char *name, const char *dir,
			      const struct worldrun_progress_fn *progress,
			      const struct worldrun_io *io, struct error *err);
void worldrun_free(struct worldrun *w);
/* The rules between a loaded config and how this run uses it, which
 * config_load cannot know (a replayed trace has no truth for an oracle
 * control; a [ranker.NAME] plugin that does not load or speaks another API
 * version, a model file that does not load), building nothing: ERR_INPUT
 * naming file, line and key.  A run
 * calls it, after config_load, before it creates anything.  What depends
 * on the built world ([model] mtry against the ranker's features, a
 * spike's drawn cascade) is still checked by worldrun_new. */
int worldrun_check(const struct config *cfg, const struct scenario *sc, bool replay,
		   struct error *err);

/* Simulate warm-up, training and experiment to the end. */
int worldrun_execute(struct worldrun *w, struct error *err);

/* Store this world's series, histograms, counters, training facts and
 * workflow transitions under run_id: gathered here, named and written by
 * results/worldstore. */
int worldrun_store(struct worldrun *w, struct results *r, int64_t run_id, struct error *err);

const char *worldrun_name(const struct worldrun *w);
const struct metrics *worldrun_metrics(const struct worldrun *w);
/* What the served pages exposed (stats/exposure.h); NULL for a replay. */
const struct exposure *worldrun_exposure(const struct worldrun *w);
const struct endpoint *worldrun_endpoint(const struct worldrun *w);
const struct stream *worldrun_stream(const struct worldrun *w);
const struct serving *worldrun_serving(const struct worldrun *w);
const struct forest *worldrun_model(const struct worldrun *w);
/* The impression log: the training set (after the last training, its rows
 * joined as known at training time), for tests. */
const struct implog *worldrun_implog(const struct worldrun *w);
/* What one arm's requests cost the serving side (a replayed trace's A/B
 * compares these: its outcomes are the trace's, whatever was served). */
struct worldrun_arm_serving {
	uint64_t requests, candidates, fallbacks;
	double nodes, scorer_ns;         /* tree nodes visited; simulated scorer service time */
};
const struct worldrun_arm_serving *worldrun_arm_serving(const struct worldrun *w, size_t arm);
/* Whether the world replayed a trace. */
bool worldrun_replayed(const struct worldrun *w);

/* The logged bandit feedback ([logging] impressions), or NULL. */
struct bandit_table;
const struct bandit_table *worldrun_bandit(const struct worldrun *w);
uint64_t worldrun_events(const struct worldrun *w);
simtime worldrun_experiment_start(const struct worldrun *w);
/* The simulated time the world runs until. */
simtime worldrun_end(const struct worldrun *w);

#endif
