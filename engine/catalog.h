#ifndef AIRTIME_CATALOG_H
#define AIRTIME_CATALOG_H
/*
 * The engine's view of shows, built only from backend events
 * (EVENT_SHOW_SCHEDULED / EVENT_SHOW_LIVE / EVENT_SHOW_END, common/event.h):
 * each show's creator, topic, scheduled start, and whether it is announced,
 * live or ended.  Candidate generation for the home page reads it.
 *
 * Show ids are dense-ish (the simulator numbers shows 0..n-1); per-show
 * arrays are indexed by id and grow as new ids appear (ids above
 * CATALOG_MAX_SHOW are refused).  Two ordered indexes are maintained on
 * each transition so that a request never scans ended shows:
 *   - live shows, ascending show id;
 *   - announced (not yet live) shows, ascending (scheduled start, show id).
 * A transition costs O(live + announced) (a memmove); requests are far more
 * frequent than transitions and cost O(log n + candidates).
 *
 * Candidates are: every live show (by id), then announced shows whose
 * scheduled start lies in [now - late_grace, now + horizon] (by start, then
 * id), truncated at `cap`.  The order depends only on the events applied,
 * never on memory layout.  Events out of order for a show (live before
 * scheduled, anything after end) are accepted as the backend would: the
 * latest state wins, and a show first seen live is entered as live.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/event.h"
#include "common/simtime.h"

#define CATALOG_MAX_SHOW (1u << 26)

enum catalog_state {
	CATALOG_UNKNOWN = 0,   /* never seen */
	CATALOG_ANNOUNCED,     /* scheduled, not live yet */
	CATALOG_LIVE,
	CATALOG_ENDED,
};

struct catalog;

/* An empty catalog with room for `show_hint` show ids before it grows. */
struct catalog *catalog_new(size_t show_hint);
void catalog_free(struct catalog *c);

/* Apply one event.  Show events update the catalog; every other type is
 * ignored (returns 0).  ERR_INPUT for a show event without show id, creator
 * or topic, or with a show id above CATALOG_MAX_SHOW. */
int catalog_apply(struct catalog *c, const struct event *ev, struct error *err);

/* State, creator, topic, scheduled start and go-live time of a show
 * (EVENT_NONE / UINT16_MAX / SIMTIME_NEVER when unknown). */
enum catalog_state catalog_state(const struct catalog *c, uint32_t show);
uint32_t catalog_creator(const struct catalog *c, uint32_t show);
uint16_t catalog_topic(const struct catalog *c, uint32_t show);
simtime catalog_start(const struct catalog *c, uint32_t show);
simtime catalog_live_at(const struct catalog *c, uint32_t show);

/* Number of live shows and of announced shows right now. */
size_t catalog_live_count(const struct catalog *c);
size_t catalog_announced_count(const struct catalog *c);
/* A count of the show events applied: while it is unchanged, every
 * show's state, creator, topic and times are too (caches key on it). */
uint64_t catalog_version(const struct catalog *c);
/* Largest topic id seen + 1 (0 when none). */
uint32_t catalog_topic_bound(const struct catalog *c);

/* Write up to `cap` candidate show ids for a request at `now` into `out`
 * (order above); returns how many were written. */
size_t catalog_candidates(const struct catalog *c, simtime now, simtime horizon,
			  simtime late_grace, uint32_t *out, size_t cap);

#endif
