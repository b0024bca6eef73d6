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
 *
 * Writers write to PATH.tmp and rename on close, so a failed export leaves
 * nothing half-written.  The CSV reader checks every row, passes the valid
 * ones on, and counts and reports the malformed ones (row number and
 * column); none is dropped silently.
 */
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

/* Format one event as a CSV row (no newline) into buf; returns the length
 * snprintf would have written. */
int trace_csv_row(const struct event *ev, char *buf, size_t size);

#endif
