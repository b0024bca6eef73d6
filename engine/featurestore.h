#ifndef AIRTIME_FEATURESTORE_H
#define AIRTIME_FEATURESTORE_H
/*
 * The feature store (SQLite): versioned feature groups with an offline
 * history and an online latest-value table.  Two readers are built on it,
 * each in its own file: point-in-time joins for training sets
 * (engine/pitjoin.h) and the in-memory serving index (engine/fsindex.h).
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
 * TTL rule (featurestore_within_ttl): with ttl > 0, a row with event_time
 * e is valid at time t iff e <= t and t - e <= ttl (the bound is
 * inclusive); ttl = 0 means rows never expire.  Online reads and the
 * serving index apply it at the read time; PIT joins at each query time.
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

#include "common/error.h"
#include "common/simtime.h"

struct db;
struct featurestore;

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

/* Rows in the offline / online tables of a group. */
int featurestore_count(struct featurestore *fs, int group, bool online, int64_t *count,
		       struct error *err);

/* TTL rule: whether a row with event time e is valid at time t. */
static inline bool featurestore_within_ttl(simtime ttl, simtime e, simtime t)
{
	return e <= t && (ttl == 0 || t - e <= ttl);
}

/* ---- for the readers built on the store (pitjoin, fsindex) ---- */

/* The store's database (borrowed). */
struct db *featurestore_db(const struct featurestore *fs);
/* A group's history (online false) or online table name, quoted for SQL. */
const char *featurestore_table(const struct featurestore *fs, int group, bool online);

#endif
