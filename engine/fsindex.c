/* The serving index of a feature group; see fsindex.h. */
#include "engine/fsindex.h"

#include "common/db.h"
#include "common/hashtab.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/featurestore.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

/* entity -> row: slots hold row + 1 (0 = empty), the keys are the rows'
 * entities (4 bytes a slot instead of 16: the index of a big pair table
 * stays small). */
HASHTAB_DECLARE(rowtab, uint32_t);

struct fsindex {
	size_t n, k;
	simtime ttl, max_event_time;
	int64_t *entity;         /* ascending */
	simtime *event_time;
	float *values;           /* n x k, float32: what serving reads */
	struct rowtab rows;      /* ctx: the entity array */
	struct hashtab_u64 spans; /* high half -> first << 32 | count */
};

static inline uint64_t rowtab_hash(int64_t e) { return hashtab_mix64((uint64_t)e); }
static inline bool rowtab_used(const uint32_t *e) { return *e != 0; }
static inline bool rowtab_match(const struct rowtab *t, const uint32_t *e, int64_t entity)
{
	return ((const int64_t *)t->ctx)[*e - 1] == entity;
}
static inline uint64_t rowtab_entry_hash(const struct rowtab *t, const uint32_t *e)
{
	return rowtab_hash(((const int64_t *)t->ctx)[*e - 1]);
}
HASHTAB_DEFINE(rowtab, uint32_t, int64_t)

static uint32_t entity_high(int64_t e)
{
	return (uint32_t)((uint64_t)e >> 32);
}

/* Both indexes (the rows are strictly ascending: the query orders by the
 * INTEGER PRIMARY KEY, so each high half is one run). */
static void build_indexes(struct fsindex *ix)
{
	size_t runs = 0;

	ASSERT(ix->n < UINT32_MAX);
	rowtab_init(&ix->rows, 2 * ix->n);
	ix->rows.ctx = ix->entity;
	for (size_t i = 0; i < ix->n; i++) {
		ASSERT(i == 0 || ix->entity[i] > ix->entity[i - 1]);
		*rowtab_claim(&ix->rows, rowtab_probe(&ix->rows, ix->entity[i]), ix->entity[i]) =
			(uint32_t)i + 1;
		runs += i == 0 || entity_high(ix->entity[i]) != entity_high(ix->entity[i - 1]);
	}
	hashtab_u64_init(&ix->spans, runs);
	for (size_t i = 0; i < ix->n;) {
		uint32_t high = entity_high(ix->entity[i]);
		size_t j = i + 1;

		while (j < ix->n && entity_high(ix->entity[j]) == high)
			j++;
		hashtab_u64_put(&ix->spans, high, (uint64_t)i << 32 | (j - i));
		i = j;
	}
}

struct fsindex *fsindex_new(struct featurestore *fs, int group, struct error *err)
{
	struct db *db = featurestore_db(fs);
	struct fsindex *ix = xcalloc(1, sizeof(*ix));
	size_t cap = 0, cap_e = 0, cap_v = 0, k = featurestore_width(fs, group);
	struct strbuf sql = STRBUF_INIT;
	sqlite3_stmt *st = NULL;
	int s;

	strbuf_addstr(&sql, "SELECT entity, event_time");
	for (size_t j = 0; j < k; j++)
		strbuf_addf(&sql, ", \"%s\"", featurestore_feature(fs, group, j));
	strbuf_addf(&sql, " FROM %s WHERE is_deleted = 0 ORDER BY entity",
		    featurestore_table(fs, group, true));
	ix->k = k;
	ix->ttl = featurestore_ttl(fs, group);
	ix->max_event_time = -1;
	if (db_prepare(db, &st, sql.buf, "reading online features", err))
		goto out_fail;
	while ((s = db_step(db, st, "reading online features", err)) == 1) {
		size_t i = ix->n;

		XGROW(ix->entity, i + 1, cap);
		XGROW(ix->event_time, i + 1, cap_e);
		XGROW(ix->values, (i + 1) * k, cap_v);
		ix->entity[i] = sqlite3_column_int64(st, 0);
		ix->event_time[i] = sqlite3_column_int64(st, 1);
		if (ix->event_time[i] > ix->max_event_time)
			ix->max_event_time = ix->event_time[i];
		for (size_t j = 0; j < k; j++)
			ix->values[i * k + j] = (float)db_column_double_or_nan(st, 2 + (int)j);
		ix->n++;
	}
	if (s < 0)
		goto out_fail;
	db_finalize(st);
	strbuf_release(&sql);
	build_indexes(ix);
	return ix;
out_fail:
	db_finalize(st);
	strbuf_release(&sql);
	fsindex_free(ix);
	error_prefix(err, "snapshot of '%s' v%d: ", featurestore_group_name(fs, group),
		     featurestore_group_version(fs, group));
	return NULL;
}

void fsindex_free(struct fsindex *ix)
{
	if (!ix)
		return;
	free(ix->entity);
	free(ix->event_time);
	free(ix->values);
	if (ix->rows.slot) {
		rowtab_release(&ix->rows);
		hashtab_u64_release(&ix->spans);
	}
	free(ix);
}

size_t fsindex_size(const struct fsindex *ix) { return ix->n; }
simtime fsindex_event_time(const struct fsindex *ix) { return ix->max_event_time; }

/* The row of entity, or -1. */
static inline long find_row(const struct fsindex *ix, int64_t entity)
{
	const uint32_t *e = rowtab_find(&ix->rows, entity);

	return e ? (long)*e - 1 : -1;
}

const float *fsindex_row(const struct fsindex *ix, int64_t entity, simtime now)
{
	long i = find_row(ix, entity);

	if (i < 0 || !featurestore_within_ttl(ix->ttl, ix->event_time[i], now))
		return NULL;
	return ix->values + (size_t)i * ix->k;
}

size_t fsindex_get(const struct fsindex *ix, const int64_t *entities, size_t n, simtime now,
		   float *out, uint8_t *found)
{
	size_t hits = 0;

	for (size_t i = 0; i < n; i++) {
		const float *src = fsindex_row(ix, entities[i], now);
		float *row = out + i * ix->k;

		if (src) {
			memcpy(row, src, ix->k * sizeof(float));
			hits++;
		} else {
			for (size_t j = 0; j < ix->k; j++)
				row[j] = NAN;
		}
		if (found)
			found[i] = src != NULL;
	}
	return hits;
}

void fsindex_span(const struct fsindex *ix, uint32_t high, struct fsindex_span *span)
{
	uint64_t v;

	span->first = span->count = 0;
	memset(span->filter, 0, sizeof(span->filter));
	if (!hashtab_u64_get(&ix->spans, high, &v))
		return;
	span->first = (size_t)(v >> 32);
	span->count = (size_t)(v & UINT32_MAX);
	for (size_t i = span->first; i < span->first + span->count; i++) {
		unsigned bit = fsindex_span_bit((uint32_t)ix->entity[i]);

		span->filter[bit >> 6] |= UINT64_C(1) << (bit & 63);
	}
}

const float *fsindex_row_in(const struct fsindex *ix, const struct fsindex_span *span,
			     int64_t entity, simtime now)
{
	size_t lo = span->first, hi = span->first + span->count;

	/* First row >= entity in the span (ascending). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->entity[mid] < entity)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == span->first + span->count || ix->entity[lo] != entity)
		return NULL;
	return featurestore_within_ttl(ix->ttl, ix->event_time[lo], now)
		       ? ix->values + lo * ix->k
		       : NULL;
}
