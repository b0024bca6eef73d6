#ifndef AIRTIME_BUDGET_H
#define AIRTIME_BUDGET_H
/*
 * A run's memory budget: its peak memory estimated from the scenario
 * before anything is allocated, so `airtime validate` can print it and
 * `airtime run` can refuse a run that would not fit (issue 18: a scenario
 * that validates must never end in an out-of-memory abort).
 *
 * The estimate (bytes) is a model calibrated against measured peak RSS
 * (`/usr/bin/time -v`, bench/RESULTS.md's method): a base, a per-user
 * cost, a per-user-day cost (the population's metrics, sessions and
 * follows grow with both), a per-user-day cost of the history phase
 * ([run] history_days: the batch features' window held in memory; none
 * for a replay, which has no history phase), creators and their shows,
 * and per extra world
 * of a twin design (every world is kept until the analysis); on top of
 * it, what is allocated up front at its full size whatever is used: the
 * stream's dedup set (stream.dedup_capacity), the queue's message pool
 * (stream.max_messages) and dead-letter ring (stream.dlq_records), and the
 * training log (model.max_rows).  Checked against measured peak RSS (docs/engineers.md
 * "Memory budget": the default scenario and scenarios/large.ini); it errs
 * high, most for tiny runs (a few thousand users, 2 days: the base
 * dominates).
 *
 * A replay is sized by its trace: the largest user, show and creator ids.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct config;
struct scenario;

struct run_budget {
	double bytes;          /* estimated peak */
	double population;     /* the population part (users x days, creators) */
	double upfront;        /* allocated at full size: dedup set, training log */
	double worlds;         /* worlds held at once */
	char drivers[256];     /* the keys that drive it, largest part first */
	char upfront_keys[128];/* the keys of `upfront`, largest first */
};

/* Sizes of a replayed trace (max id + 1 of each kind); NULL: synthetic. */
struct run_budget_replay {
	uint32_t users, shows, creators;
};

/* Estimate the budget of cfg's run (replay may be NULL). */
void run_budget_estimate(const struct config *cfg, const struct run_budget_replay *replay,
			 struct run_budget *b);

/* The machine's available memory (MemAvailable of /proc/meminfo), bytes;
 * 0 when unknown. */
uint64_t run_budget_available(void);

/* 0 when the budget fits max_bytes (0: no limit), else ERR_INPUT with one
 * line naming the estimate, the limit and the keys that drive it. */
int run_budget_check(const struct run_budget *b, uint64_t max_bytes, struct error *err);

/* "1.2 GiB" */
void run_budget_format(double bytes, char *buf, size_t n);

/* Rules between keys for runs that would fit in memory but not in time:
 * world.creators against world.users (ERR_INPUT naming both, with the
 * scenario's file and line). */
int run_budget_rules(const struct config *cfg, const struct scenario *sc, struct error *err);

/* Most creators a run may have: max(BUDGET_CREATORS_FLOOR, this many per user). */
#define BUDGET_CREATORS_FLOOR 100000
#define BUDGET_CREATORS_PER_USER 10

#endif
