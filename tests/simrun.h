#ifndef AIRTIME_TESTS_SIMRUN_H
#define AIRTIME_TESTS_SIMRUN_H
/*
 * A small simulation with every event logged (tests/eventlog.h), for the
 * sim and behaviour tests.  The ranker shows the first k shows live at
 * `now` in id order, or (reverse) live and upcoming shows from the highest
 * id down.  Each call fails the test when the sim cannot be built.
 */
#include <stdbool.h>

#include "sim/sim.h"
#include "tests/eventlog.h"

struct calendar;

/* The ranker (ctx: struct simrun_ranker). */
struct simrun_ranker {
	const struct sim *sim;
	bool reverse;
};
size_t simrun_page(void *ctx, uint32_t user, uint32_t session, simtime now, uint32_t *out,
		   size_t k);

/* Defaults with seed 5, 2 days, 2,000 users, 100 creators and one spike of
 * magnitude 300 at 20 h. */
void simrun_small_params(struct sim_params *p);

/* Run p to the horizon plus a day into l, then free the sim. */
void simrun_log(const struct sim_params *p, bool reverse, struct eventlog *l);

/* The same on the caller's calendar (time 0), in id order; the sim is
 * handed back (the caller frees it, then the calendar) to be asked about
 * its state.  One at a time: the ranker is static. */
struct sim *simrun_keep(const struct sim_params *p, struct calendar *cal, struct eventlog *l);

#endif
