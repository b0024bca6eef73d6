#ifndef AIRTIME_FEATURESTORE_H
#define AIRTIME_FEATURESTORE_H
/*
 * The feature store (SQLite): versioned feature groups with an offline
 * history, an online latest-value table, an in-memory serving snapshot and
 * point-in-time (PIT) joins for training sets.
 *
 * A feature group (name, version) has an ordered list of REAL features and
 * a TTL.  Each group has two tables in the database file:
 *   <name>_v<version>_offline(entity, event_time, write_time, is_deleted, f...)
 *       every write ever made, append-only (history);
 *   <name>_v<version>_online(entity PRIMARY KEY, event_time, write_time,
 *       is_deleted, f...)  the latest row per entity BY EVENT TIME.
 * plus fs_group(name, version, features, ttl_us) describing the groups.
 * Times are simtime microseconds; entity ids are int64 (pairs are packed by
 * the caller, e.g. user << 32 | creator).  A NaN value is stored as NULL.
 *
 * Online rule: a write replaces the online row only when its event_time is
 * strictly newer than the online row's; an older-or-equal event time goes to
 * history only (so late or replayed writes never overwrite newer values).
 * Deletes are tombstones: a row with is_deleted = 1 and NULL features,
 * written to history and, by the same rule, online.
 *
 * TTL rule: with ttl > 0, a row with event_time e is valid at time t iff
 * e <= t and t - e <= ttl (the bound is inclusive); ttl = 0 means rows never
 * expire.  Online reads and snapshots apply it at the read time; PIT joins
 * at each query time.
 *
 * PIT join: for each query (entity, t) the row with the latest event_time
 * <= t (inclusive) wins, ties broken by the latest write_time, then by the
 * latest insertion; if that row is a tombstone or outside the TTL the
 * features are missing.  Every query yields one output row (left join;
 * missing = found 0 and NaN values).  FEATURESTORE_AS_KNOWN_AT also requires
 * write_time <= t, so a late backfill cannot leak into a training example
 * dated before it was written.  Implementation: history keys are read in
 * insertion order, sorted in memory and merged with the sorted queries; only
 * the winning rows' values are then fetched by rowid.
 *
 * Writes: one transaction per call (nested in the caller's when one is open:
 * featurestore_begin), prepared statements: the history rows are appended
 * one prepared insert each, then the online table is updated by ONE
 * set-based upsert over the rowids just appended (INSERT ... SELECT ... ON
 * CONFLICT DO UPDATE ... WHERE excluded.event_time > event_time), which
 * applies the online rule row by row in insertion order inside SQLite.
 * All functions return 0 or a negative ERR_*; on error nothing of the call
 * is written.  Arguments are borrowed.
 *
 * File: SQLite through common/db (PRAGMA user_version = 1: tables fs_group
 * and fs_meta; group tables are created by define).  Journal mode DELETE with
 * synchronous = OFF, as every database of a run (common/db.h says why):
 * features.db is one self-contained file of a run directory, opened
 * read-only by `airtime features export` and by `sqlite3`, with no
 * concurrent reader during the run, so WAL's -wal/-shm sidecars and its
 * double write of every page (log, then checkpoint) buy nothing; the bulk
 * daily writes are atomic through the rollback journal either way.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/simtime.h"

struct featurestore;
struct featurestore_snapshot;

enum featurestore_pit_mode {
	FEATURESTORE_PIT = 0,        /* event_time <= t */
	FEATURESTORE_AS_KNOWN_AT,    /* event_time <= t and write_time <= t */
};

#define FEATURESTORE_MAX_FEATURES 64

/* Open or create a store at `path` (":memory:" for tests). */
struct featurestore *featurestore_open(const char *path, struct error *err);
/* Open an existing store read-only (ERR_IO naming the path when missing);
 * featurestore_group() then finds its groups, writes fail. */
struct featurestore *featurestore_open_readonly(const char *path, struct error *err);
void featurestore_free(struct featurestore *fs);

/* Define (or re-open) group name@version with k features and a TTL (0 =
 * none); returns a group handle >= 0.  Names are [a-z0-9_], 1..48 chars.
 * Re-defining with a different feature list or TTL is ERR_INPUT. */
int featurestore_define(struct featurestore *fs, const char *name, int version,
			const char *const *features, size_t k, simtime ttl, struct error *err);
/* Look up an existing group; ERR_NOTFOUND when absent. */
int featurestore_group(struct featurestore *fs, const char *name, int version,
		       struct error *err);
/* Open every group registered in the file (name, version order), so the
 * group handles 0..featurestore_group_count()-1 cover the whole store. */
int featurestore_open_all(struct featurestore *fs, struct error *err);
/* Store-level metadata (fs_meta: key TEXT, value TEXT), e.g. "epoch_date"
 * (YYYY-MM-DD of simtime 0) written by engine/batchjob.  get: *value is
 * the caller's; ERR_NOTFOUND when the key is absent. */
int featurestore_set_meta(struct featurestore *fs, const char *key, const char *value,
			  struct error *err);
int featurestore_get_meta(struct featurestore *fs, const char *key, char **value,
			  struct error *err);
/* Number of features of a group, and the i-th feature's name. */
size_t featurestore_width(const struct featurestore *fs, int group);
const char *featurestore_feature(const struct featurestore *fs, int group, size_t i);
simtime featurestore_ttl(const struct featurestore *fs, int group);
/* Number of groups defined in this handle; name and version of group g. */
size_t featurestore_group_count(const struct featurestore *fs);
const char *featurestore_group_name(const struct featurestore *fs, int group);
int featurestore_group_version(const struct featurestore *fs, int group);

/* Write n rows (values: n x k, row-major) with event time event_times[i],
 * or `event_time` for all when event_times is NULL, at `write_time`. */
int featurestore_write(struct featurestore *fs, int group, const int64_t *entities,
		       const simtime *event_times, simtime event_time, const double *values,
		       size_t n, simtime write_time, struct error *err);
/* Tombstones for n entities at event_time, written at write_time. */
int featurestore_delete(struct featurestore *fs, int group, const int64_t *entities,
			size_t n, simtime event_time, simtime write_time, struct error *err);

/* Group several writes into one transaction (nestable: inner levels are
 * savepoints); every begin is matched by a commit or a rollback. */
int featurestore_begin(struct featurestore *fs, struct error *err);
int featurestore_commit(struct featurestore *fs, struct error *err);
void featurestore_rollback(struct featurestore *fs);

/* Online value of one entity at time `now` (TTL applied): 0 and values
 * (k doubles) and *event_time; ERR_NOTFOUND when absent, deleted or expired. */
int featurestore_online_get(struct featurestore *fs, int group, int64_t entity, simtime now,
			    double *values, simtime *event_time, struct error *err);

/* PIT join of n queries (entity[i], t[i]); out: n x k values (NaN when
 * missing), found[i] 1/0 (may be NULL), row_event_time[i] (may be NULL;
 * -1 when missing). */
int featurestore_pit_join(struct featurestore *fs, int group, const int64_t *entity,
			  const simtime *t, size_t n, enum featurestore_pit_mode mode,
			  double *out, uint8_t *found, simtime *row_event_time,
			  struct error *err);

/* CSV of every entity ever written to the group, PIT-joined at `at`:
 * header "entity,event_time,<features>", one row per entity in entity
 * order, empty fields for missing values. */
int featurestore_export_csv(struct featurestore *fs, int group, simtime at,
			    enum featurestore_pit_mode mode, FILE *out, struct error *err);

/* Rows in the offline / online tables of a group. */
int featurestore_count(struct featurestore *fs, int group, bool online, int64_t *count,
		       struct error *err);

/* ---- serving snapshot ---- */

/* An immutable in-memory copy of a group's online table (tombstones left
 * out) with a hash index: batched reads without touching SQLite. */
struct featurestore_snapshot *featurestore_snapshot(struct featurestore *fs, int group,
						    struct error *err);
void featurestore_snapshot_free(struct featurestore_snapshot *snap);
/* Rows held. */
size_t featurestore_snapshot_size(const struct featurestore_snapshot *snap);
/* Latest event_time held (the end of the newest data window), or -1 when
 * empty: what freshness is measured against. */
simtime featurestore_snapshot_event_time(const struct featurestore_snapshot *snap);
/* Read n entities at `now` (TTL applied): out n x k (NaN when missing),
 * found[i] (may be NULL).  Returns the number found.  Allocates nothing. */
size_t featurestore_snapshot_get(const struct featurestore_snapshot *snap,
				 const int64_t *entities, size_t n, simtime now, double *out,
				 uint8_t *found);
/* The row (k doubles, NaN = missing value) of one entity valid at `now`, or
 * NULL when absent or expired.  Allocates nothing. */
const double *featurestore_snapshot_row(const struct featurestore_snapshot *snap,
					int64_t entity, simtime now);

/* The rows of a snapshot whose entity has a given high 32-bit half (a pair
 * key (a << 32 | b) with a given a): a run [first, first + count), and a
 * 64-bit filter of their low halves (featurestore_span_may_hold). */
struct featurestore_span {
	size_t first, count;
	uint64_t filter;
};

/* The filter bit of a low half: a multiplicative hash's top 6 bits. */
static inline unsigned featurestore_span_bit(uint32_t low)
{
	return (unsigned)((low * UINT64_C(0x9E3779B97F4A7C15)) >> 58);
}

/* False when no row of the span has this low half (most lookups of a
 * user's pairs: a page's candidates against the few the user has); true
 * means "maybe": ask featurestore_snapshot_row_in. */
static inline bool featurestore_span_may_hold(const struct featurestore_span *span,
					      uint32_t low)
{
	return span->filter >> featurestore_span_bit(low) & 1;
}
/* The span of entities with high half `high` (count 0 when none). */
void featurestore_snapshot_span(const struct featurestore_snapshot *snap, uint32_t high,
				struct featurestore_span *span);
/* featurestore_snapshot_row() for an entity in that span (the same answer,
 * by a binary search of the span instead of a probe of the whole index:
 * reading one user's pairs for a page's candidates stays in a few cache
 * lines). */
const double *featurestore_snapshot_row_in(const struct featurestore_snapshot *snap,
					   const struct featurestore_span *span, int64_t entity,
					   simtime now);

#endif
