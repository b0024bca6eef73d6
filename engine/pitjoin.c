/* Point-in-time joins against the feature store's history; see pitjoin.h. */
#include "engine/pitjoin.h"

#include "common/db.h"
#include "common/hashtab.h"
#include "common/radix.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/featurestore.h"

#include <inttypes.h>
#include <stdbool.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

struct hkey {
	int64_t entity;
	simtime event_time, write_time;
	int64_t rowid;   /* bit 62: tombstone */
};

#define HKEY_DELETED ((int64_t)1 << 62)

struct qkey {
	int64_t entity;
	simtime t;
	size_t idx;
};

static int cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }

static int hkey_cmp(const void *pa, const void *pb)
{
	const struct hkey *a = pa, *b = pb;
	int c;

	if ((c = cmp_i64(a->entity, b->entity)))
		return c;
	if ((c = cmp_i64(a->event_time, b->event_time)))
		return c;
	if ((c = cmp_i64(a->write_time, b->write_time)))
		return c;
	return cmp_i64(a->rowid & ~HKEY_DELETED, b->rowid & ~HKEY_DELETED);
}

static int qkey_cmp(const void *pa, const void *pb)
{
	const struct qkey *a = pa, *b = pb;
	int c;

	if ((c = cmp_i64(a->entity, b->entity)))
		return c;
	if ((c = cmp_i64(a->t, b->t)))
		return c;
	return (a->idx > b->idx) - (a->idx < b->idx);
}

struct win {
	int64_t rowid;
	size_t idx;
};

/* Sort n records of `size` bytes by (entity, then cmp): the common stable
 * radix sort on the entity (entity ids are dense, so most of its passes
 * are skipped), then each run of one entity is finished by insertion sort
 * (short, nearly sorted runs: history rows are appended day after day) or
 * qsort (long runs; cmp is a total order, so the result is unique).
 * Stability keeps the scan order (rowid, query index) for ties.  `off` is
 * the entity's offset. */
static void sort_by_entity(void *base, size_t n, size_t size, size_t off,
			   int (*cmp)(const void *, const void *), struct radix *r)
{
	unsigned char *a = base, hold[64];

	ASSERT(size <= sizeof(hold));
	radix_sort_records(a, n, size, off, RADIX_I64, r);
	for (size_t lo = 0, hi; lo < n; lo = hi) {
		int64_t e0, e1;

		memcpy(&e0, a + lo * size + off, sizeof(e0));
		for (hi = lo + 1; hi < n; hi++) {
			memcpy(&e1, a + hi * size + off, sizeof(e1));
			if (e1 != e0)
				break;
		}
		if (hi - lo > 32) {
			qsort(a + lo * size, hi - lo, size, cmp);
			continue;
		}
		for (size_t i = lo + 1; i < hi; i++) {
			size_t j = i;

			memcpy(hold, a + i * size, size);
			for (; j > lo && cmp(a + (j - 1) * size, hold) > 0; j--)
				memcpy(a + j * size, a + (j - 1) * size, size);
			memcpy(a + j * size, hold, size);
		}
	}
}

int pitjoin_run(struct featurestore *fs, int group, const int64_t *entity, const simtime *t,
		size_t n, enum pitjoin_mode mode, double *out, uint8_t *found,
		simtime *row_event_time, struct error *err)
{
	struct db *db = featurestore_db(fs);
	size_t k = featurestore_width(fs, group);
	simtime ttl = featurestore_ttl(fs, group);
	struct hkey *h = NULL;
	struct qkey *q = NULL;
	struct win *w = NULL;
	size_t nh = 0, cap_h = 0, nw = 0, hi = 0;
	uint64_t n_ent = 0;
	bool filter;
	struct hashtab_u64 wanted = { 0 };
	sqlite3_stmt *st = NULL;
	struct strbuf cols = STRBUF_INIT;
	struct radix scratch;
	char *sql = NULL;
	int rc = 0, s;

	radix_init(&scratch);
	for (size_t i = 0; i < n * k; i++)
		out[i] = NAN;
	if (found)
		memset(found, 0, n);
	if (row_event_time)
		for (size_t i = 0; i < n; i++)
			row_event_time[i] = -1;
	if (n == 0)
		return 0;

	/* 1. queries sorted by (entity, t), and the set of their entities */
	q = xmalloc(n * sizeof(*q));
	for (size_t i = 0; i < n; i++)
		q[i] = (struct qkey){ entity[i], t[i], i };
	sort_by_entity(q, n, sizeof(*q), offsetof(struct qkey, entity), qkey_cmp, &scratch);
	radix_release(&scratch);
	for (size_t i = 0; i < n; i++)
		n_ent += i == 0 || q[i].entity != q[i - 1].entity;

	/* 2. the history keys of those entities, in table order.  A training
	 * set's queries name a fraction of the group's entities: keeping only
	 * theirs bounds memory by what the join can use, not by the history.
	 * The filter is used when the queries name under half the group's
	 * entities (the online table has a row per entity); when they name
	 * most of them it would save little and cost a probe a row. */
	sql = xasprintf("SELECT count(*) FROM %s", featurestore_table(fs, group, true));
	if ((rc = db_prepare(db, &st, sql, "counting feature entities", err)))
		goto out;
	if ((s = db_step(db, st, "counting feature entities", err)) != 1) {
		rc = s < 0 ? s : error_set(err, ERR_DB, "counting feature entities: no row");
		goto out;
	}
	filter = n_ent < (uint64_t)sqlite3_column_int64(st, 0) / 2;
	db_finalize(st);
	st = NULL;
	free(sql);
	if (filter) {
		hashtab_u64_init(&wanted, n_ent);
		for (size_t i = 0; i < n; i++)
			if (i == 0 || q[i].entity != q[i - 1].entity)
				hashtab_u64_put(&wanted, (uint64_t)q[i].entity, 0);
	}
	sql = xasprintf("SELECT rowid, entity, event_time, write_time, is_deleted FROM %s",
			featurestore_table(fs, group, false));
	if ((rc = db_prepare(db, &st, sql, "reading feature history keys", err)))
		goto out;
	while ((s = db_step(db, st, "reading feature history keys", err)) == 1) {
		int64_t e = sqlite3_column_int64(st, 1);

		if (filter && !hashtab_u64_get(&wanted, (uint64_t)e, NULL))
			continue;
		XGROW(h, nh + 1, cap_h);
		h[nh].rowid = sqlite3_column_int64(st, 0);
		h[nh].entity = e;
		h[nh].event_time = sqlite3_column_int64(st, 2);
		h[nh].write_time = sqlite3_column_int64(st, 3);
		if (sqlite3_column_int(st, 4))
			h[nh].rowid |= HKEY_DELETED;
		nh++;
	}
	hashtab_u64_release(&wanted);
	if (s < 0) {
		rc = s;
		goto out;
	}
	db_finalize(st);
	st = NULL;
	sort_by_entity(h, nh, sizeof(*h), offsetof(struct hkey, entity), hkey_cmp, &scratch);
	radix_release(&scratch);   /* sized for the history: not kept for the rest */

	/* 3. merge: per entity, a pointer walks history forward as query times
	 * grow (queries are sorted by (entity, t)): linear in n + history */
	w = xmalloc(n * sizeof(*w));
	for (size_t i = 0, p = 0; i < n; i++) {
		const struct hkey *best = NULL;

		if (i == 0 || q[i - 1].entity != q[i].entity) {
			while (hi < nh && h[hi].entity < q[i].entity)
				hi++;
			p = hi;  /* hi: the entity's first history row */
		}
		while (p < nh && h[p].entity == q[i].entity && h[p].event_time <= q[i].t)
			p++;
		/* rows [hi, p) have event_time <= t, ascending by (event_time,
		 * write_time, insertion): the last is the PIT row; as-known-at takes
		 * the last of them already written at t */
		for (size_t r = p; r > hi; r--)
			if (mode == PITJOIN_PIT || h[r - 1].write_time <= q[i].t) {
				best = &h[r - 1];
				break;
			}
		if (best && !(best->rowid & HKEY_DELETED) &&
		    featurestore_within_ttl(ttl, best->event_time, q[i].t)) {
			w[nw].rowid = best->rowid;
			w[nw].idx = q[i].idx;
			nw++;
			if (row_event_time)
				row_event_time[q[i].idx] = best->event_time;
		}
	}

	/* the keys are done with: free them before the winners' sort */
	free(h);
	h = NULL;
	free(q);
	q = NULL;

	/* 4. fetch winners' values in rowid order (a winner's rowid comes
	 * with each query it wins: equal keys, any order among them) */
	radix_sort_records(w, nw, sizeof(*w), offsetof(struct win, rowid), RADIX_I64, &scratch);
	for (size_t j = 0; j < k; j++)
		strbuf_addf(&cols, "%s\"%s\"", j ? ", " : "", featurestore_feature(fs, group, j));
	free(sql);
	sql = xasprintf("SELECT %s FROM %s WHERE rowid = ?", cols.buf,
			featurestore_table(fs, group, false));
	if ((rc = db_prepare(db, &st, sql, "reading feature history rows", err)))
		goto out;
	for (size_t i = 0; i < nw; i++) {
		double *row = out + w[i].idx * k;

		if (i > 0 && w[i].rowid == w[i - 1].rowid) {
			memcpy(row, out + w[i - 1].idx * k, k * sizeof(double));
		} else {
			db_bind_int64(db, st, 1, w[i].rowid);
			if ((s = db_step(db, st, "reading a feature history row", err)) != 1) {
				if (s == 0)
					BUG("history row %lld vanished", (long long)w[i].rowid);
				rc = s;
				goto out;
			}
			for (size_t j = 0; j < k; j++)
				row[j] = db_column_double_or_nan(st, (int)j);
			db_reset(st);
		}
		if (found)
			found[w[i].idx] = 1;
	}
out:
	hashtab_u64_release(&wanted);
	if (rc) {
		for (size_t i = 0; i < n * k; i++)
			out[i] = NAN;
		if (found)
			memset(found, 0, n);
		error_prefix(err, "PIT join on '%s' v%d: ", featurestore_group_name(fs, group),
			     featurestore_group_version(fs, group));
	}
	db_finalize(st);
	free(sql);
	strbuf_release(&cols);
	radix_release(&scratch);
	free(h);
	free(q);
	free(w);
	return rc;
}

int pitjoin_export_csv(struct featurestore *fs, int group, simtime at, enum pitjoin_mode mode,
		       FILE *out, struct error *err)
{
	struct db *db = featurestore_db(fs);
	size_t k = featurestore_width(fs, group);
	int64_t *ents = NULL;
	simtime *ts = NULL, *ets = NULL;
	double *vals = NULL;
	uint8_t *found = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	char *sql = xasprintf("SELECT DISTINCT entity FROM %s ORDER BY entity",
			      featurestore_table(fs, group, false));
	int rc, s;

	if ((rc = db_prepare(db, &st, sql, "listing entities", err)))
		goto out;
	while ((s = db_step(db, st, "listing entities", err)) == 1) {
		XGROW(ents, n + 1, cap);
		ents[n++] = sqlite3_column_int64(st, 0);
	}
	if (s < 0) {
		rc = s;
		goto out;
	}
	ts = xcalloc(n + 1, sizeof(*ts));
	ets = xcalloc(n + 1, sizeof(*ets));
	vals = xcalloc((n + 1) * k, sizeof(*vals));
	found = xcalloc(n + 1, 1);
	for (size_t i = 0; i < n; i++)
		ts[i] = at;
	if ((rc = pitjoin_run(fs, group, ents, ts, n, mode, vals, found, ets, err)))
		goto out;
	fprintf(out, "entity,event_time");
	for (size_t j = 0; j < k; j++)
		fprintf(out, ",%s", featurestore_feature(fs, group, j));
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%" PRId64 ",", ents[i]);
		if (found[i])
			fprintf(out, "%" PRId64, ets[i]);
		for (size_t j = 0; j < k; j++) {
			double v = vals[i * k + j];

			if (isnan(v))
				fputc(',', out);
			else
				fprintf(out, ",%.17g", v);
		}
		fputc('\n', out);
	}
	if (ferror(out))
		rc = error_set(err, ERR_IO, "cannot write CSV export of '%s'",
			       featurestore_group_name(fs, group));
out:
	db_finalize(st);
	free(sql);
	free(ents);
	free(ts);
	free(ets);
	free(vals);
	free(found);
	return rc;
}
