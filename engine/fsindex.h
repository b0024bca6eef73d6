#ifndef AIRTIME_FSINDEX_H
#define AIRTIME_FSINDEX_H
/*
 * The serving index of a feature group: an immutable in-memory copy (the
 * serving snapshot) of its online table (engine/featurestore.h; tombstones left out) with hash
 * indexes, so that serving reads batches of rows without touching SQLite.
 *
 * Rows are held sorted by entity, values row-major (n x k floats, NaN = a
 * missing value): serving hands the ranker float32 rows (engine/rank.h),
 * so the store's doubles are rounded once, here, instead of at every read
 * (the same bits, half the memory of the biggest tables).  Two indexes (common/hashtab.h): entity -> row, and,
 * for pair entities (a << 32 | b), a -> the run of rows with that high
 * half (a span), so one user's pairs are read from a few cache lines.
 * Reads apply the group's TTL at the read time (featurestore_within_ttl).
 *
 * Ownership: fsindex_new copies what it needs (the store may be closed
 * afterwards); the caller frees the index with fsindex_free.  Returned row
 * pointers are borrowed from the index.  Reads allocate nothing and only
 * read, so any number of threads may read one index at once.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/simtime.h"

struct featurestore;
struct fsindex;

/* Load group's online table into a new index; NULL and ERR_DB on a read
 * failure (naming the group). */
struct fsindex *fsindex_new(struct featurestore *fs, int group, struct error *err);
/* Free an index; NULL is a no-op. */
void fsindex_free(struct fsindex *ix);
/* Rows held. */
size_t fsindex_size(const struct fsindex *ix);
/* Latest event_time held (the end of the newest data window), or -1 when
 * empty: what freshness is measured against. */
simtime fsindex_event_time(const struct fsindex *ix);
/* Read n entities at `now` (TTL applied): out n x k (NaN when missing),
 * found[i] (may be NULL).  Returns the number found. */
size_t fsindex_get(const struct fsindex *ix, const int64_t *entities, size_t n, simtime now,
		   float *out, uint8_t *found);
/* The row (k floats) of one entity valid at `now`, or NULL when absent or
 * expired. */
const float *fsindex_row(const struct fsindex *ix, int64_t entity, simtime now);

/* The rows whose entity has a given high 32-bit half (a pair key (a << 32
 * | b) with a given a): a run [first, first + count), and a 1,024-bit
 * filter of their low halves (fsindex_span_may_hold), built when the span
 * is looked up: a user's pairs number dozens after a 60-day window, and a
 * page asks for a thousand candidates, so a 64-bit filter would say
 * "maybe" to most of them (each then a binary search). */
#define FSINDEX_SPAN_FILTER_WORDS 16
struct fsindex_span {
	size_t first, count;
	uint64_t filter[FSINDEX_SPAN_FILTER_WORDS];
};

/* The filter bit of a low half: a multiplicative hash's top 10 bits. */
static inline unsigned fsindex_span_bit(uint32_t low)
{
	return (unsigned)((low * UINT64_C(0x9E3779B97F4A7C15)) >> 54);
}

/* False when no row of the span has this low half (most lookups of a
 * user's pairs: a page's candidates against the few dozen the user has);
 * true means "maybe": ask fsindex_row_in. */
static inline bool fsindex_span_may_hold(const struct fsindex_span *span, uint32_t low)
{
	unsigned bit = fsindex_span_bit(low);

	return span->filter[bit >> 6] >> (bit & 63) & 1;
}
/* The span of entities with high half `high` (count 0 when none). */
void fsindex_span(const struct fsindex *ix, uint32_t high, struct fsindex_span *span);
/* fsindex_row() for an entity in that span (the same answer, by a binary
 * search of the span instead of a probe of the whole index). */
const float *fsindex_row_in(const struct fsindex *ix, const struct fsindex_span *span,
			     int64_t entity, simtime now);

#endif
