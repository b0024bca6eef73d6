#ifndef AIRTIME_REDISSTORE_H
#define AIRTIME_REDISSTORE_H
/*
 * A real Redis holding the online store's values: written through hiredis
 * with pipelining, read back with one MGET per read (a page's 1,000 shows
 * in one round trip).  `[stream] store = redis` mirrors engine/online into
 * it (online_set_mirror); `airtime redis-replay` writes a finished run's
 * store log into it at wall-clock speed.
 *
 * Layout: one Redis string per (table, entity), key
 * "PREFIX:NONCE:TABLE:ENTITY", holding the entity's features as 16-byte
 * cells at offset 16 * feature, little-endian:
 *     float value, u32 REDISSTORE_CELL_MAGIC, i64 stored_at (simulated us)
 * A write is one SETRANGE of its cell, so a write never touches another
 * feature's cell; a cell never written reads as zero bytes (no magic) or
 * past the end of the string, both "missing".  NONCE (process id and a
 * monotonic clock reading) keeps two runs on one Redis apart; the keys are
 * deleted (SCAN + DEL) when the store is freed.
 *
 * Writes are staged into hiredis' output buffer (redisstore_stage: no
 * network) and sent as one pipeline by redisstore_flush, which waits for
 * every reply: one round trip per flush.  Reads flush first, so a read
 * always sees every staged write.
 *
 * Host measurements: the wall time of each flush (send + all replies) and
 * of each read round trip, in nanoseconds, into two histograms; counters
 * of commands, keys and bytes.  Nothing here is simulated.
 *
 * Errors: a connection or protocol error (or an error reply) is kept: the
 * first message stays in redisstore_error, later calls return ERR_IO at
 * once without touching the network (a dead server costs one timeout, not
 * one per call).  URL: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] (HOST a
 * name, an IPv4 literal or [IPv6]; port 6379, db 0 by default).
 *
 * Not thread-safe: one store per thread.  Library code: nothing printed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/hist.h"
#include "common/simtime.h"

#define REDISSTORE_CELL 16
#define REDISSTORE_CELL_MAGIC 0x31524941u    /* "AIR1" */

struct redisstore;

/* A parsed redis:// URL. */
struct redisstore_url {
	char host[256];
	int port;
	int db;
	char user[128], password[256];
};

struct redisstore_stats {
	uint64_t staged;           /* SETRANGE commands staged */
	uint64_t flushes;          /* pipelines sent */
	uint64_t reads;            /* MGET round trips */
	uint64_t read_keys;        /* keys asked for */
	uint64_t read_bytes;       /* bytes of values returned */
	uint64_t errors;           /* calls refused or failed */
};

/* Parse URL; ERR_INPUT naming it and what is wrong. */
int redisstore_parse_url(const char *url, struct redisstore_url *out, struct error *err);

/* Connect (timeout_ms for the connection and for every reply), AUTH and
 * SELECT as the URL says, PING.  Keys are "prefix:NONCE:...".  ERR_INPUT
 * for a bad URL, ERR_IO when Redis cannot be reached (the message names
 * host:port and says what to check). */
struct redisstore *redisstore_open(const char *url, const char *prefix, int timeout_ms,
				   struct error *err);
/* Delete this store's keys (best effort) and disconnect.  NULL: no-op. */
void redisstore_free(struct redisstore *rs);

/* Stage one cell write (no network).  Nothing happens after an error. */
void redisstore_stage(struct redisstore *rs, int table, uint32_t entity, int feature,
		      float value, simtime stored_at);
/* Commands staged and not yet flushed. */
size_t redisstore_pending(const struct redisstore *rs);
/* Send the staged writes as one pipeline and wait for every reply; the
 * round trip goes into the write histogram.  0, or ERR_IO. */
int redisstore_flush(struct redisstore *rs, struct error *err);

/* Read n entities' nf features of `table` in one MGET: values[i * nf + f]
 * and stored_at[...] (NaN and INT64_MIN for a missing cell).  Flushes
 * staged writes first.  0, or ERR_IO. */
int redisstore_read(struct redisstore *rs, int table, const uint32_t *entities, size_t n,
		    int nf, float *values, simtime *stored_at, struct error *err);

/* Delete every key of this store now (SCAN + DEL); 0 or ERR_IO. */
int redisstore_clear(struct redisstore *rs, struct error *err);

/* Keys of this store currently in Redis (SCAN); < 0 on error. */
int64_t redisstore_count_keys(struct redisstore *rs, struct error *err);

/* Host histograms, ns: one flush (pipeline round trip), one read. */
const struct hist *redisstore_write_ns(const struct redisstore *rs);
const struct hist *redisstore_read_ns(const struct redisstore *rs);
const struct redisstore_stats *redisstore_stats(const struct redisstore *rs);
/* The first error ("" when none). */
const char *redisstore_error(const struct redisstore *rs);
bool redisstore_failed(const struct redisstore *rs);
/* "host:port/db" for messages. */
const char *redisstore_where(const struct redisstore *rs);

#endif
