#ifndef AIRTIME_LAKE_H
#define AIRTIME_LAKE_H
/*
 * The data lake: the firehose's deliveries as immutable partition files
 * under a run directory, and a fast reader over a range of emit times.
 *
 * Layout:  RUN/lake/day=YYYY-MM-DD/hour=HH/part-NNNNN.evl   (UTC arrival hour)
 *          RUN/lake/manifest.tsv                            (one line per partition)
 *
 * Partition format (little-endian, version 1):
 *   header, 48 bytes: magic "AIRTLAKE", u32 version, u32 record size (48),
 *                     u64 record count, i64 min emit time, i64 max emit time,
 *                     u64 reserved (0)
 *   records:          count x struct event (common/event.h), in arrival order
 *   trailer, 8 bytes: XXH64 (seed 0) of header and records
 * A file is written to "part-NNNNN.evl.tmp" and renamed into place, then its
 * manifest line is appended with one write(2): a reader never sees a
 * half-written partition, and a partition missing from the manifest (crash
 * between rename and append) is simply not part of the lake.
 *
 * Manifest lines: path (relative to lake/), hour start (simtime), count,
 * min emit, max emit, checksum (hex), tab-separated; '#' starts a comment.
 *
 * The reader checks size, header and checksum of every file it reads and
 * refuses a truncated or corrupt one with ERR_CORRUPT naming the file.
 * Buffers are reused across files; a scan allocates only when a partition is
 * larger than any read before.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/event.h"
#include "common/simtime.h"

#define LAKE_FORMAT_VERSION 1
#define LAKE_HEADER_SIZE 48
#define LAKE_TRAILER_SIZE 8

struct lake;

struct lake_scan_stats {
	uint64_t partitions;   /* files read */
	uint64_t pruned;       /* partitions skipped by their min/max emit time */
	uint64_t events;       /* records read (before the range filter) */
	uint64_t delivered;    /* records handed to the callback */
	uint64_t bytes;        /* bytes read */
};

/* Called with a block of events whose emit times lie in the scanned range;
 * a non-zero return stops the scan and is returned by lake_scan. */
typedef int (*lake_block_fn)(void *ctx, const struct event *evs, size_t n,
			     struct error *err);

/* Open (creating if needed) RUN/lake under run_dir; an existing manifest is
 * read.  epoch_day: days since 1970-01-01 of simtime 0 (names partitions). */
struct lake *lake_open(const char *run_dir, int64_t epoch_day, struct error *err);
void lake_free(struct lake *lk);

/* Write one partition for the arrival hour starting at `hour` (a multiple of
 * SIMTIME_HOUR; negative for the history phase before time 0, named by its
 * calendar day and hour like any other); hours never go back from one call
 * to the next.  Events are copied as given.  n may not be 0. */
int lake_write(struct lake *lk, simtime hour, const struct event *evs, size_t n,
	       struct error *err);

/* Number of partitions in the manifest. */
size_t lake_partition_count(const struct lake *lk);
/* Path (relative to the lake directory) of partition i, in manifest order. */
const char *lake_partition_path(const struct lake *lk, size_t i);
/* The lake directory (RUN/lake). */
const char *lake_dir(const struct lake *lk);

/* Hand every event with from <= emit_time < to to fn, in manifest order then
 * arrival order.  st may be NULL (otherwise it is reset, then filled). */
int lake_scan(struct lake *lk, simtime from, simtime to, lake_block_fn fn, void *ctx,
	      struct lake_scan_stats *st, struct error *err);

/* Read and verify one partition file; *evs (caller frees) and *n.  Used by
 * tests and tools. */
int lake_read_file(const char *path, struct event **evs, size_t *n, struct error *err);

/* XXH64 of a buffer (the partition checksum; exposed for tests). */
uint64_t lake_xxh64(const void *data, size_t len, uint64_t seed);

/* "YYYY-MM-DD" for day `day` days since 1970-01-01; buf >= 11 bytes. */
void lake_format_date(int64_t day, char *buf, size_t len);

#endif
