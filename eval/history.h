#ifndef AIRTIME_HISTORY_H
#define AIRTIME_HISTORY_H
/*
 * The history phase: the days before a run's warm-up, simulated fast, so
 * that the batch features' 60-day window (docs/batch-features.md) holds 60
 * days of the same world when the run starts.
 *
 * What it does ([run] history_days = D > 0):
 *   1. sim_new_history runs the population over [-D days, 0): the same
 *      users, creators and weekly show schedules, their arrivals, the
 *      behaviour model (sessions, listens, likes, follows, notification
 *      enables, go-live notifications), on a calendar of its own;
 *   2. its events (app_open, listen_start, listen_end, like, follow,
 *      notify_enable, show_live) go straight into the run's lake, one
 *      partition per emit hour, with show ids moved past the run's (so
 *      distinct_shows counts history and run shows apart);
 *   3. the follows and notification settings it made are carried into the
 *      run's population (sim_import_history);
 *   4. the daily job of day -1 (trigger at [batch] run_at) runs at once, so
 *      the feature store serves 60-day features from the start.
 *
 * The shortcut, and what it changes.  Only the population runs: no
 * ranker, serving path, endpoint, stream, online store, metrics or
 * impression log, and no spikes.  Home pages come from a stand-in ranker
 * (the live shows in a random order, then the upcoming ones: sim.h), not
 * the control ranker, so the history's listening is less concentrated on
 * the declared topics than the warm-up's; impressions, show announcements
 * and show ends are not written (no batch feature reads them, except that
 * a session's span ends at its last written event: a continuation page
 * without a pick no longer extends it); listens still under way at time 0
 * are cut (their ends are not written).  Measured on default.ini: about
 * 1/30 of the cost of simulating the same days (scenarios/README.md).
 *
 * Deterministic: the history depends on the scenario and seed only, so
 * every world of a run (split, twins) gets the same history, bit for bit.
 */
#include <stdint.h>

#include "common/error.h"

struct batchjob;
struct config;
struct sim;

struct history_stats {
	uint64_t sessions;       /* history sessions simulated */
	uint64_t events;         /* events written to the lake */
	uint64_t follows;        /* follow and notification entries carried over */
	double wall_s;           /* host time (not simulated) */
};

/* Run the history of cfg ([run] history_days before time 0) into bj's
 * lake and feature store, and carry its follows into run_sim (both
 * borrowed; bj has accepted nothing yet, run_sim's calendar has not
 * started).  n_run_shows: the run world's show count (history show ids
 * are written as n_run_shows + id).  Nothing happens with history_days 0. */
int history_fill(const struct config *cfg, struct sim *run_sim, uint32_t n_run_shows,
		 struct batchjob *bj, struct history_stats *st, struct error *err);

#endif
