#ifndef AIRTIME_PITJOIN_H
#define AIRTIME_PITJOIN_H
/*
 * Point-in-time (PIT) joins against a feature group's history in the
 * feature store (engine/featurestore.h): the features of each (entity,
 * time) query as they were at that time, for training sets and exports.
 *
 * Rule: for each query (entity, t) the history row with the latest
 * event_time <= t (inclusive) wins, ties broken by the latest write_time,
 * then by the latest insertion; if that row is a tombstone or outside the
 * group's TTL at t (featurestore_within_ttl) the features are missing.
 * Every query yields one output row (a left join; missing = found 0 and
 * NaN values).  PITJOIN_AS_KNOWN_AT also requires write_time <= t, so a
 * late backfill cannot leak into a training example dated before it was
 * written.
 *
 * Implementation: the queries are sorted by (entity, time); the history
 * keys are read in insertion order, sorted in memory (a stable radix sort
 * by entity, common/radix.h, then each entity's short run by time) and
 * merged with the queries; only the winning rows' values are then
 * fetched, by rowid.  When the queries name under half the group's
 * entities (counted in the online table), a hash set of them filters the
 * scan, so memory is O(queries + the queried entities' history rows): a
 * training set naming a fraction of the entities does not pay for the
 * whole history.  Otherwise every key is kept (O(queries + history rows);
 * the probes would cost more than they save).  Freed before it returns.
 *
 * Functions return 0 or a negative ERR_* (the message names the group);
 * arguments are borrowed; outputs are the caller's.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/simtime.h"

struct featurestore;

enum pitjoin_mode {
	PITJOIN_PIT = 0,        /* event_time <= t */
	PITJOIN_AS_KNOWN_AT,    /* event_time <= t and write_time <= t */
};

/* Join n queries (entity[i], t[i]) against group's history; out: n x k
 * values (NaN when missing), found[i] 1/0 (may be NULL), row_event_time[i]
 * (may be NULL; -1 when missing).  On error every output reads missing. */
int pitjoin_run(struct featurestore *fs, int group, const int64_t *entity, const simtime *t,
		size_t n, enum pitjoin_mode mode, double *out, uint8_t *found,
		simtime *row_event_time, struct error *err);

/* CSV of every entity ever written to the group, PIT-joined at `at`:
 * header "entity,event_time,<features>", one row per entity in entity
 * order, empty fields for missing values. */
int pitjoin_export_csv(struct featurestore *fs, int group, simtime at, enum pitjoin_mode mode,
		       FILE *out, struct error *err);

#endif
