#ifndef AIRTIME_TRACE_H
#define AIRTIME_TRACE_H
/*
 * Trace files: a run's event stream on disk, to export, inspect and replay.
 *
 * Binary (.bin or any name): a 64-byte header then `count` records, each a
 * `struct event` as laid out in memory (48 bytes, little-endian):
 *     0  magic "AIRTRACE"         8  u32 version (1)
 *     12 u32 endian mark 0x01020304  16 u32 record size (48)  20 u32 zero
 *     24 u64 record count        32 u64 FNV-1a 64 of the record bytes
 *     40 24 zero bytes
 * CSV: a header line then one row per event, columns
 *     id,emit_time_us,type,user,show,creator,session,topic,position,source,value
 * id > 0, strictly increasing; emit_time_us (integer microseconds since the
 * scenario epoch) never decreasing; type an event name (app_open, impression,
 * listen_start, listen_end, like, follow, notify_enable, show_scheduled,
 * show_live, show_end, promo_post); user/show/creator/session integers below
 * 4294967295, topic/position below 65535, or empty for "not applicable";
 * source none|home|notification|promo|trace; value a signed 64-bit integer.
 * Binary records pass the same field checks (and a zero padding), ids
 * strictly increasing; their times may be out of order (a replay sorts
 * them).
 *
 * Traces recorded elsewhere (trace_read_ext with opts->map_ids and an
 * epoch), CSV only:
 *   - ids: user, show, creator, session and topic may be any text without
 *     a comma ("u_8f3a", "9876543210"); each kind is mapped to dense ids
 *     0, 1, 2, ... in order of first appearance, unless every id of that
 *     kind is a decimal integer below 4294967295 and they are dense enough
 *     (largest + 1 <= 2 x distinct + 1024): then they are kept as written.
 *     trace_ids_write_csv stores the mapping (kind,original,id).
 *   - times: a header naming the second column emit_time (instead of
 *     emit_time_us) gives absolute times, each ISO 8601 UTC or with an
 *     offset (2022-05-02T20:15:03Z, 2022-05-02 20:15:03.250+02:00) or
 *     seconds since 1970-01-01 UTC (1651522503, 1651522503.25); they
 *     become microseconds since midnight UTC of opts->epoch_day (a time
 *     before it is a malformed row).
 *   - propensities: two more columns, propensity,propensity_marginal,
 *     may follow value: on impression rows the logging policy's
 *     conditional and marginal propensities (empty: none), kept in the
 *     event's value (event_pack_propensities).
 *
 * Writers write to PATH.tmp and rename on close, so a failed export leaves
 * nothing half-written.  The CSV reader checks every row, passes the valid
 * ones on, and counts and reports the malformed ones (row number and
 * column); none is dropped silently.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/event.h"

enum trace_format { TRACE_BINARY, TRACE_CSV };

#define TRACE_CSV_HEADER "id,emit_time_us,type,user,show,creator,session,topic,position,source,value"
#define TRACE_MAX_MESSAGES 16

struct trace_writer;

/* What a read found.  messages[] holds the first TRACE_MAX_MESSAGES problems
 * as "PATH:ROW: column 'NAME': ..." lines. */
struct trace_report {
	enum trace_format format;
	uint64_t rows;          /* data rows (CSV) or records (binary) seen */
	uint64_t accepted;      /* handed to the callback */
	uint64_t malformed;     /* rejected rows */
	size_t n_messages;
	char messages[TRACE_MAX_MESSAGES][256];
};

/* Open PATH for writing (through PATH.tmp).  NULL + ERR_IO on failure. */
struct trace_writer *trace_writer_open(const char *path, enum trace_format fmt,
				       struct error *err);
/* Append one event. */
int trace_writer_add(struct trace_writer *tw, const struct event *ev, struct error *err);
/* An emit callback (ctx = the writer) for sim_new; the first failure is kept
 * and reported by trace_writer_close. */
void trace_writer_emit(void *ctx, const struct event *ev);
/* Finish the file (header, fsync-free rename to PATH) and free the writer;
 * on any earlier or current failure the temporary file is removed. */
int trace_writer_close(struct trace_writer *tw, struct error *err);
/* Give up: remove the temporary file and free the writer (NULL is a no-op). */
void trace_writer_abort(struct trace_writer *tw);
/* Events written so far. */
uint64_t trace_writer_count(const struct trace_writer *tw);

/* Read a trace (format detected from the first bytes), calling fn for each
 * valid event in file order; fn returning non-zero stops the read with that
 * code.  Binary: ERR_CORRUPT on a bad header, size or checksum (nothing is
 * passed on before the checksum verifies).  CSV: ERR_INPUT when any row is
 * malformed, after reading the whole file; rep says which.  ERR_IO when the
 * file cannot be read.  rep may be NULL. */
int trace_read(const char *path, int (*fn)(void *ctx, const struct event *ev), void *ctx,
	       struct trace_report *rep, struct error *err);

/* How a trace recorded elsewhere is read (trace_read_ext). */
struct trace_options {
	bool map_ids;            /* ids may be text: map them (above) */
	int64_t epoch_day;       /* absolute times: days since 1970-01-01 of time 0 */
};

/* The id kinds of a trace. */
enum trace_id_kind {
	TRACE_ID_USER, TRACE_ID_SHOW, TRACE_ID_CREATOR, TRACE_ID_SESSION, TRACE_ID_TOPIC,
	TRACE_ID_KINDS
};

struct idmap;

/* The ids of a trace read with map_ids: while reading, every id is a
 * provisional dense id (first appearance); trace_ids_finish decides, per
 * kind, to keep the ids as written or to map them, and trace_ids_final
 * gives an event's final id. */
struct trace_ids {
	struct idmap *map[TRACE_ID_KINDS];
	bool mapped[TRACE_ID_KINDS];    /* after finish: mapped (else kept as written) */
	uint32_t *final[TRACE_ID_KINDS];/* after finish: provisional -> final */
	bool absolute_times;            /* the CSV gave absolute times */
};

/* "user", "show", "creator", "session", "topic". */
const char *trace_id_kind_name(enum trace_id_kind k);

/* trace_read with options: ids (may be NULL unless opts->map_ids) receives
 * the id maps. */
int trace_read_ext(const char *path, const struct trace_options *opts,
		   int (*fn)(void *ctx, const struct event *ev), void *ctx,
		   struct trace_report *rep, struct trace_ids *ids, struct error *err);
void trace_ids_finish(struct trace_ids *ids);
/* The final id of a provisional one (EVENT_NONE stays; topics UINT16_MAX). */
uint32_t trace_ids_final(const struct trace_ids *ids, enum trace_id_kind k, uint32_t provisional);
/* Rewrite an event's ids to their final values. */
void trace_ids_apply(const struct trace_ids *ids, struct event *ev);
/* "users mapped from text (1,234), shows kept, ..." into buf. */
void trace_ids_describe(const struct trace_ids *ids, char *buf, size_t n);
/* The mapping of every mapped kind as CSV kind,original,id (through
 * path.tmp and a rename). */
int trace_ids_write_csv(const struct trace_ids *ids, const char *path, struct error *err);
void trace_ids_release(struct trace_ids *ids);

/* Format one event as a CSV row (no newline) into buf; returns the length
 * snprintf would have written. */
int trace_csv_row(const struct event *ev, char *buf, size_t size);

#endif
