#ifndef AIRTIME_ONLINE_H
#define AIRTIME_ONLINE_H
/*
 * The online feature store: in memory, the latest value per (table, entity,
 * feature), plus an append-only log for durability (the MemoryDB role).
 *
 * Latest by EVENT time: each write carries (event_time, seq); it replaces the
 * stored value only if its (event_time, seq) is greater, lexicographically.
 * A write with an older or equal key is counted as stale and changes nothing,
 * so late or replayed writes never overwrite newer values (writers that have
 * no sequence pass seq = 0: then an equal event time never overwrites).
 *
 * Reads: online_read() returns all features of many entities of one table in
 * one call, into a caller-provided float array (row per entity, NaN for a
 * value never written, out of range or expired).  It does no allocation and
 * no logging: it is the ranker's hot path.
 *
 * Durability: with a log path, every stored write is appended as a 40-byte
 * checksummed record.  Records are staged in memory and written by
 * online_commit(); a write is ACKNOWLEDGED when the online_commit() after it
 * returned 0 (the streaming workers commit before deleting their batch from
 * the queue).  fsync policy: ALWAYS (fsync at each commit: survives an OS
 * crash), EVERY_N (fsync after N records committed), NEVER (the kernel
 * writes back).  A process crash loses nothing acknowledged under every
 * policy (write(2) has returned); an OS crash can lose up to N - 1 records
 * under EVERY_N and all unsynced records under NEVER.  A full staging buffer
 * is written out early (not an acknowledgement).
 * Recovery on open replays the log through the same latest-by-event-time
 * rule.  A torn tail (a crash in the middle of a write: a partial record, or
 * trailing records failing their checksum) is truncated and counted; a bad
 * record followed by good ones is ERR_CORRUPT (that is not a crash).
 * refuse_torn refuses a torn tail (ERR_CORRUPT, with the count) instead.
 *
 * Like Redis's AOF (issue 18): a finished log is SEALED (online_seal: a
 * last record counting every record before it), so a reader tells a
 * complete log from one cut anywhere, even at a record boundary
 * (online_log_sealed, online_log_damage); a damaged record inside a sealed
 * log is ERR_CORRUPT.  With compact_ratio > 0 the log is COMPACTED
 * (online_compact) at a commit once it holds more than compact_ratio
 * records per live cell: rewritten as one record per live cell behind a
 * marker (online_log_compacted_at: the history before it is gone, so the
 * log can no longer serve an earlier time), through a temporary file and
 * a rename.  online_snapshot writes a sealed image of the state at one
 * time (one record per live cell) from a log.  All of it is host-side
 * storage: what the store holds, and so every simulated value, is the
 * same with or without compaction.
 *
 * TTL (optional, 0 = none): a value is readable for `ttl` after the time it
 * was stored (write time, simulated, kept in the log so it survives
 * recovery); after that reads return NaN until a newer write stores a value.
 * Expired values still take part in the event-time comparison (an expired
 * newer value still rejects an older write).
 *
 * Read-only open (read_only, with a log path): the log must exist; it is
 * replayed, never written, truncated or created; a torn tail is skipped
 * and counted, not cut; online_write and online_commit are refused
 * (ERR_INPUT).  This is how a finished run directory is served.
 *
 * Concurrency: the store has no locks.  online_read counts into the
 * store's statistics, so concurrent readers must use online_read_counted,
 * which is const and counts into the caller's own struct (one per thread);
 * concurrent reads are safe only while nobody writes.
 *
 * Outages (fault injection): during [t1, t2) writes return ERR_UNAVAILABLE
 * (the caller retries with backoff) and reads return ERR_UNAVAILABLE; both
 * counted.
 *
 * Mirror (optional, online_set_mirror): a second copy of the values kept
 * elsewhere, e.g. a real Redis (engine/redisstore, `[stream] store =
 * redis`).  Every STORED write is staged to it (stale writes are not),
 * online_commit flushes it, and online_read (not online_read_counted)
 * reads the same cells back from it, applies the same TTL rule to what
 * comes back and compares each cell with its own, bit for bit (counted in
 * mirror_cells / mirror_mismatches).  This store stays the source of
 * truth: what online_read returns, and so everything simulated, never
 * depends on the mirror.  A mirror call that fails is counted
 * (mirror_errors) and the mirror is not called again: the caller learns
 * why from the mirror itself.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/simtime.h"

/* Values are the indexes of [stream] store_fsync's choices
 * ("always|every|never"): keep both in the same order. */
enum online_fsync { ONLINE_FSYNC_ALWAYS = 0, ONLINE_FSYNC_EVERY_N, ONLINE_FSYNC_NEVER };

/* fsync_policy, fsync_every and ttl are filled from [stream] store_fsync,
 * store_fsync_every and store_ttl by config_load (config/config.h, which
 * also holds the defaults); the caller sets log_path and read_only. */
struct online_config {
	const char *log_path;          /* NULL: memory only (borrowed) */
	enum online_fsync fsync_policy;
	uint32_t fsync_every;          /* N for EVERY_N */
	simtime ttl;                   /* 0: values never expire */
	size_t buffer_records;         /* staging buffer, 4096 records (online_config_init) */
	bool read_only;                /* open an existing log for reading only (below) */
	bool refuse_torn;              /* a torn tail on open is ERR_CORRUPT, not cut */
	double compact_ratio;          /* [stream] store_compact_ratio; 0: never compact */
};

/* Compaction waits for at least this many records in the log. */
#define ONLINE_COMPACT_MIN 65536

struct online_table_spec {
	uint32_t n_entities;
	uint16_t n_features;
};

#define ONLINE_STALE 1         /* online_write: older or equal key, not stored */
#define ONLINE_MAX_TABLES 8
#define ONLINE_MAX_OUTAGES 32

struct online_stats {
	uint64_t writes, stored, stale, unavailable_writes, bad_writes;
	uint64_t reads, read_cells, missing_cells, expired_cells, unavailable_reads;
	uint64_t log_records, log_bytes, commits, fsyncs;
	uint64_t recovered_records, recovered_stale, torn_records, torn_bytes;
	uint64_t mirror_reads, mirror_cells, mirror_mismatches, mirror_errors;
	uint64_t compactions, unsealed;
};

/* A mirror of the store's values (above); ctx is borrowed. */
struct online_mirror {
	void *ctx;
	/* Stage one stored write (the value and the simulated time it was
	 * stored at). */
	void (*stage)(void *ctx, int table, uint32_t entity, int feature, float value,
		      simtime stored_at);
	/* Make the staged writes durable there: 0 or < 0. */
	int (*flush)(void *ctx);
	/* Read n entities' nf features: values and stored_at (NaN and
	 * INT64_MIN for a cell never written): 0 or < 0. */
	int (*read)(void *ctx, int table, const uint32_t *entities, size_t n, int nf,
		    float *values, simtime *stored_at);
};

/* Zero cfg but for the field no key fills: a 4096-record buffer. */
void online_config_init(struct online_config *cfg);
/* "always" | "every" | "never" -> policy; -1 when unknown. */
int online_fsync_from_name(const char *name);

/* A store with the given tables; with a log path, creates the log or
 * recovers from it (ERR_IO, ERR_CORRUPT, ERR_INPUT for a log written with
 * other tables). */
struct online *online_new(const struct online_config *cfg, const struct online_table_spec *tables,
			  size_t n_tables, struct error *err);
/* Writes out staged records (not fsynced unless policy ALWAYS) and frees. */
void online_free(struct online *o);

/* Add an outage window [t1, t2). */
int online_add_outage(struct online *o, simtime t1, simtime t2, struct error *err);
/* Whether the store is up at now. */
bool online_available(const struct online *o, simtime now);
/* End of the outage containing now (now when available). */
simtime online_available_at(const struct online *o, simtime now);

/* Store a value: 0 stored, ONLINE_STALE, ERR_UNAVAILABLE, ERR_INPUT (bad
 * table/entity/feature, counted), ERR_IO (log write failed). */
int online_write(struct online *o, int table, uint32_t entity, int feature, float value,
		 simtime event_time, uint32_t seq, simtime now, struct error *err);
/* Rewrite the log as one record per live cell now (see above). */
int online_compact(struct online *o, struct error *err);
/* Seal the log (see above) and close it: nothing more is appended.  0
 * without a log. */
int online_seal(struct online *o, struct error *err);
/* Write a sealed snapshot of the state at `at` (records stored at or
 * before it) of the log at log_path to snap_path (via snap_path.tmp). */
int online_snapshot(const char *log_path, const char *snap_path, simtime at, simtime ttl,
		    struct error *err);

/* A hint only: start loading the cells of (table, entity) (out of range:
 * nothing). */
void online_prefetch(const struct online *o, int table, uint32_t entity);
/* Acknowledge the writes so far: write staged records, fsync per policy. */
int online_commit(struct online *o, struct error *err);

/* Features of n entities into out[n * n_features] (row-major); NaN where
 * missing.  ERR_UNAVAILABLE during an outage (out untouched). */
int online_read(struct online *o, int table, const uint32_t *entities, size_t n, float *out,
		simtime now);
/* The same without touching the store: reads, read_cells, expired_cells
 * and unavailable_reads are added to *counts (the caller's, e.g. one per
 * thread) instead of the store's statistics. */
int online_read_counted(const struct online *o, int table, const uint32_t *entities, size_t n,
			float *out, simtime now, struct online_stats *counts);
/* One value (NaN when missing or unavailable); not counted as a read. */
float online_get(const struct online *o, int table, uint32_t entity, int feature, simtime now);
/* Event time of the stored value (INT64_MIN when none). */
simtime online_event_time(const struct online *o, int table, uint32_t entity, int feature);
int online_feature_count(const struct online *o, int table);

const struct online_stats *online_stats(const struct online *o);

/* One record of a store log, as online_log_scan hands it out. */
struct online_record {
	int table;
	uint32_t entity;
	int feature;
	float value;
	uint32_t seq;
	simtime event_time;     /* the event's time (latest-by rule) */
	simtime write_time;     /* simulated time the value was stored */
};

/* A store log read without opening a store (the run's online.log, for
 * serving at a moving time and for replays): online_log_open checks the
 * header (magic, version, checksum) and gives the table specs (at most
 * ONLINE_MAX_TABLES); online_log_next hands every valid record whose
 * write_time is before `before` to fn, in log order (write times never
 * decrease), and stops at the first later one, which the next call starts
 * with.  A torn tail (a record failing its checks) ends the log.  fn's
 * non-zero return stops the call and is returned.  The file is only read. */
struct online_log;
struct online_log *online_log_open(const char *path, struct online_table_spec *tables,
				   size_t *n_tables, struct error *err);
int online_log_next(struct online_log *l, simtime before,
		    int (*fn)(void *ctx, const struct online_record *r), void *ctx,
		    struct error *err);
/* Records handed out so far. */
uint64_t online_log_records(const struct online_log *l);
/* Whether the log ends with a valid seal; its time into *seal_time (a
 * snapshot's time, or a run's last write), may be NULL. */
bool online_log_sealed(const struct online_log *l, simtime *seal_time);
/* The valid records, and for an unsealed log what follows them (records,
 * a partial one counted, and bytes): the damaged tail a reader skips. */
void online_log_damage(const struct online_log *l, uint64_t *good, uint64_t *torn_records,
		       uint64_t *torn_bytes);
/* When the log was compacted (0: never; known once the first record was
 * read). */
simtime online_log_compacted_at(const struct online_log *l);
void online_log_close(struct online_log *l);

/* The same in one call: records with write_time in [from, to). */
int online_log_scan(const char *path, simtime from, simtime to,
		    int (*fn)(void *ctx, const struct online_record *r), void *ctx,
		    struct online_table_spec *tables, size_t *n_tables, struct error *err);

/* Mirror the store from now on (m copied; NULL: none).  Writes stored
 * before are not staged: set it on a new, empty store. */
void online_set_mirror(struct online *o, const struct online_mirror *m);

#endif
