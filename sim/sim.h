#ifndef AIRTIME_SIM_H
#define AIRTIME_SIM_H
/*
 * The simulated population as one event source: world + arrivals + spikes
 * + behaviour wired onto the run's calendar, emitting every action as a
 * `struct event` through the caller's callback.
 *
 * Exogenous streams (app sessions of the base population and of spikes,
 * show announcements, starts and ends, promotional posts) are walked by
 * cursors over pre-drawn, time-sorted arrays: each cursor holds one
 * calendar entry.  Session ids count app_open events from 0 in time order
 * (base before spike at the same microsecond); they, and every exogenous
 * event, are identical whatever the ranker (common random numbers).  Event
 * ids are 1, 2, 3, ... in emission order; emit times never decrease.
 *
 * Events at or after the horizon are not generated, except the ends of
 * listens already under way (run the calendar past the horizon to drain
 * them).  The calendar must read time 0 when sim_new is called.
 *
 * Ownership: sim_new copies the parameters; the calendar is borrowed and
 * must outlive the sim; the emit callback gets a borrowed event.
 *
 * Parameters come from a scenario through config_load (config/config.h):
 * it fills world, traffic, spikes and behaviour from their sections, seed
 * from [run] seed and horizon from [run] warmup_days + experiment_days,
 * then runs sim_params_check.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/event.h"
#include "common/simtime.h"
#include "sim/arrivals.h"
#include "sim/behaviour.h"
#include "sim/spikes.h"
#include "sim/world.h"

struct calendar;
struct scenario;

struct sim_params {
	uint64_t seed;
	simtime horizon;                 /* the run covers [0, horizon) */
	struct world_config world;
	struct arrivals_config traffic;
	struct spike_config spikes[SPIKES_MAX]; /* the first n_spikes, in file order */
	size_t n_spikes;
	struct behaviour_config behaviour;
};

typedef void (*sim_emit_fn)(void *ctx, const struct event *ev);

struct sim;

/* After loading from sc: the modules' own checks, in order (world,
 * behaviour, spikes against the world), which also derive the zone table
 * and each spike's target; ERR_INPUT naming file, line and key. */
int sim_params_check(struct sim_params *p, const struct scenario *sc, struct error *err);

/* Build the world, plan spikes (adding their cold-start users), set up the
 * behaviour model and schedule the cursors on `cal`.  NULL + ERR_INPUT on a
 * bad parameter. */
struct sim *sim_new(const struct sim_params *p, struct calendar *cal, sim_emit_fn emit,
		    void *emit_ctx, struct error *err);
/* The history before a run: the same world (users, creators, the shows
 * of [start, 0)) over [start, 0) on `cal` (reading `start`), without
 * spikes, its sessions numbered from EVENT_SESSION_HISTORY_BASE, its
 * behaviour drawn from (seed, RNG_HISTORY) streams, and its home pages from
 * a built-in ranker: the live shows in a random order, then the upcoming
 * ones starting within 6 hours (no engine, no model).  Show ids are the
 * history world's own (0 = its first show). */
struct sim *sim_new_history(const struct sim_params *p, simtime start, struct calendar *cal,
			    sim_emit_fn emit, void *emit_ctx, struct error *err);
/* Carry the follows and notification settings made in `history` into the
 * run's sim s (before its calendar starts): users arrive with them. */
void sim_import_history(struct sim *s, const struct sim *history);
void sim_free(struct sim *s);
/* The ranker sessions ask for home pages from now on (NULL: none; sessions
 * then emit app_open only, plus promo tune-ins). */
void sim_set_ranker(struct sim *s, const struct sim_ranker *r);

const struct world *sim_world(const struct sim *s);
const struct spikes *sim_spikes(const struct sim *s);
const struct behaviour *sim_behaviour(const struct sim *s);
/* True engagement probability (behaviour_truth), for the oracle and eval. */
double sim_truth(const struct sim *s, uint32_t user, uint32_t show, simtime now);
/* Events emitted so far, in total and of one type. */
uint64_t sim_events(const struct sim *s);
uint64_t sim_events_of_type(const struct sim *s, int type);
/* Sessions (app_open events) so far. */
uint64_t sim_sessions(const struct sim *s);
/* (user, creator) pairs with a follow or notification setting. */
uint64_t sim_follow_entries(const struct sim *s);

#endif
