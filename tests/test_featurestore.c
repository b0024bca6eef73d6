/* Tests for engine/featurestore.c: PIT join rules one by one, online
 * latest-by-event-time, tombstones, TTL, snapshot reads, CSV export. */
#include "engine/featurestore.h"
#include "engine/fsindex.h"
#include "engine/pitjoin.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check_main.h"
#include "tests/tmpdir.h"

static const char *const feats[] = { "a", "b" };

static struct featurestore *open_group(simtime ttl, int *g)
{
	struct error err;
	struct featurestore *fs = featurestore_open(":memory:", &err);

	ck_assert_msg(fs, "%s", err.msg);
	*g = featurestore_define(fs, "grp", 1, feats, 2, ttl, &err);
	ck_assert_msg(*g >= 0, "%s", err.msg);
	return fs;
}

/* write one row (entity, event_time, write_time) with values (v, -v) */
static void put(struct featurestore *fs, int g, int64_t e, simtime et, simtime wt, double v)
{
	struct error err;
	double vals[2] = { v, -v };

	ck_assert_int_eq(featurestore_write(fs, g, &e, &et, 0, vals, 1, wt, &err), 0);
}

static double pit1(struct featurestore *fs, int g, int64_t e, simtime t,
		   enum pitjoin_mode mode, uint8_t *found)
{
	struct error err;
	double out[2];

	ck_assert_int_eq(pitjoin_run(fs, g, &e, &t, 1, mode, out, found, NULL, &err), 0);
	return out[0];
}

START_TEST(pit_bound_is_inclusive)
{
	int g;
	struct featurestore *fs = open_group(0, &g);
	uint8_t found;

	put(fs, g, 7, 100, 100, 1.0);
	put(fs, g, 7, 200, 200, 2.0);
	ck_assert(pit1(fs, g, 7, 200, PITJOIN_PIT, &found) == 2.0); /* t == event_time */
	ck_assert(pit1(fs, g, 7, 199, PITJOIN_PIT, &found) == 1.0);
	ck_assert(isnan(pit1(fs, g, 7, 99, PITJOIN_PIT, &found)));
	ck_assert_int_eq(found, 0);
	featurestore_free(fs);
}
END_TEST

START_TEST(pit_respects_ttl)
{
	int g;
	struct featurestore *fs = open_group(50, &g);
	uint8_t found;

	put(fs, g, 1, 100, 100, 1.0);
	ck_assert(pit1(fs, g, 1, 150, PITJOIN_PIT, &found) == 1.0); /* age 50 == ttl: valid */
	ck_assert_int_eq(found, 1);
	ck_assert(isnan(pit1(fs, g, 1, 151, PITJOIN_PIT, &found)));  /* age 51: expired */
	ck_assert_int_eq(found, 0);
	featurestore_free(fs);
}
END_TEST

START_TEST(pit_ties_broken_by_latest_write_time)
{
	int g;
	struct featurestore *fs = open_group(0, &g);
	uint8_t found;

	/* same event time; the later write wins even though inserted first */
	put(fs, g, 3, 100, 500, 5.0);
	put(fs, g, 3, 100, 300, 3.0);
	ck_assert(pit1(fs, g, 3, 1000, PITJOIN_PIT, &found) == 5.0);
	featurestore_free(fs);
}
END_TEST

START_TEST(pit_is_a_left_join)
{
	int g;
	struct featurestore *fs = open_group(0, &g);
	struct error err;
	int64_t e[4] = { 1, 2, 1, 9 };
	simtime t[4] = { 100, 100, 50, 100 };
	double out[8];
	uint8_t found[4];
	simtime et[4];

	put(fs, g, 1, 100, 100, 1.0);
	put(fs, g, 2, 90, 90, 2.0);
	ck_assert_int_eq(pitjoin_run(fs, g, e, t, 4, PITJOIN_PIT, out, found, et, &err), 0);
	ck_assert(out[0] == 1.0 && out[1] == -1.0 && found[0] && et[0] == 100);
	ck_assert(out[2] == 2.0 && found[1] && et[1] == 90);
	ck_assert(isnan(out[4]) && isnan(out[5]) && !found[2] && et[2] == -1); /* before first row */
	ck_assert(isnan(out[6]) && !found[3]);                                   /* unknown entity */
	featurestore_free(fs);
}
END_TEST

START_TEST(as_known_at_ignores_later_backfills)
{
	int g;
	struct featurestore *fs = open_group(0, &g);
	uint8_t found;

	put(fs, g, 4, 100, 110, 1.0);
	put(fs, g, 4, 200, 900, 2.0);   /* backfilled at 900 for event time 200 */
	ck_assert(pit1(fs, g, 4, 300, PITJOIN_PIT, &found) == 2.0);        /* leaks */
	ck_assert(pit1(fs, g, 4, 300, PITJOIN_AS_KNOWN_AT, &found) == 1.0); /* does not */
	ck_assert(pit1(fs, g, 4, 900, PITJOIN_AS_KNOWN_AT, &found) == 2.0);
	ck_assert(isnan(pit1(fs, g, 4, 105, PITJOIN_AS_KNOWN_AT, &found))); /* not yet written */
	featurestore_free(fs);
}
END_TEST

START_TEST(tombstone_hides_entity_from_its_event_time)
{
	int g;
	struct featurestore *fs = open_group(0, &g);
	struct error err;
	int64_t e = 5;
	uint8_t found;
	double v[2];

	put(fs, g, 5, 100, 100, 1.0);
	ck_assert_int_eq(featurestore_delete(fs, g, &e, 1, 200, 200, &err), 0);
	ck_assert(pit1(fs, g, 5, 150, PITJOIN_PIT, &found) == 1.0);
	ck_assert(isnan(pit1(fs, g, 5, 250, PITJOIN_PIT, &found)));
	ck_assert_int_eq(featurestore_online_get(fs, g, 5, 300, v, NULL, &err), ERR_NOTFOUND);
	featurestore_free(fs);
}
END_TEST

START_TEST(late_write_never_overwrites_newer_online)
{
	int g;
	struct featurestore *fs = open_group(0, &g);
	struct error err;
	double v[2];
	simtime et;
	int64_t n;

	put(fs, g, 8, 200, 200, 2.0);
	put(fs, g, 8, 100, 300, 1.0);  /* older event time, later write: history only */
	put(fs, g, 8, 200, 400, 9.0);  /* equal event time: history only */
	ck_assert_int_eq(featurestore_online_get(fs, g, 8, 1000, v, &et, &err), 0);
	ck_assert(v[0] == 2.0 && et == 200);
	ck_assert_int_eq(featurestore_count(fs, g, false, &n, &err), 0);
	ck_assert_int_eq(n, 3);
	put(fs, g, 8, 201, 500, 3.0);  /* newer event time replaces */
	ck_assert_int_eq(featurestore_online_get(fs, g, 8, 1000, v, &et, &err), 0);
	ck_assert(v[0] == 3.0 && et == 201);
	featurestore_free(fs);
}
END_TEST

START_TEST(snapshot_reads_batches_with_ttl)
{
	int g;
	struct featurestore *fs = open_group(100, &g);
	struct fsindex *snap;
	struct error err;
	int64_t e[3] = { 2, 1, 3 };
	float out[6];
	uint8_t found[3];

	put(fs, g, 1, 100, 100, 1.0);
	put(fs, g, 2, 150, 150, 2.0);
	snap = fsindex_new(fs, g, &err);
	ck_assert_msg(snap, "%s", err.msg);
	ck_assert_uint_eq(fsindex_size(snap), 2);
	ck_assert_int_eq(fsindex_event_time(snap), 150);
	ck_assert_uint_eq(fsindex_get(snap, e, 3, 200, out, found), 2);
	ck_assert(out[0] == 2.0 && out[2] == 1.0 && found[0] && found[1] && !found[2] && isnan(out[4]));
	ck_assert_uint_eq(fsindex_get(snap, e, 3, 201, out, found), 1); /* 1 expired */
	ck_assert(!found[1] && isnan(out[2]));
	fsindex_free(snap);
	featurestore_free(fs);
}
END_TEST

/* Pair entities (a << 32 | b) of a few users, some high halves with one
 * row, negative-free; every (a, b) probe, present or not, expired or not,
 * answers the same through the user's span as through the whole index, and
 * the span's filter rejects many absent ones but never a present one. */
START_TEST(snapshot_span_reads_match_whole_index)
{
	int g;
	struct featurestore *fs = open_group(1000, &g);
	struct fsindex *snap;
	struct fsindex_span span;
	struct error err;
	size_t hits = 0, probes = 0, rejected = 0;

	for (int64_t a = 0; a < 40; a++)
		for (int64_t b = 0; b < 60; b++)
			if ((a * 7 + b * 13) % (a % 5 + 2) == 0)
				put(fs, g, a << 32 | b, 100 + (a * 31 + b) % 2000, 5000, (double)(a * b));
	put(fs, g, (int64_t)41 << 32 | UINT32_MAX, 100, 5000, 1.0);
	snap = fsindex_new(fs, g, &err);
	ck_assert_msg(snap, "%s", err.msg);
	fsindex_span(snap, 77, &span);
	ck_assert_uint_eq(span.count, 0);
	fsindex_span(snap, 41, &span);
	ck_assert_uint_eq(span.count, 1);
	for (int64_t a = 0; a < 42; a++) {
		fsindex_span(snap, (uint32_t)a, &span);
		for (int64_t b = -1; b < 62; b++) {
			int64_t e = a << 32 | (uint32_t)b;

			for (simtime now = 0; now < 3200; now += 400) {
				const float *whole = fsindex_row(snap, e, now);
				const float *in = fsindex_row_in(snap, &span, e, now);

				ck_assert_msg(whole == in, "a %lld b %lld at %lld", (long long)a,
					      (long long)b, (long long)now);
				/* The filter may say "maybe" wrongly, never "no". */
				ck_assert(!whole || fsindex_span_may_hold(&span, (uint32_t)e));
				rejected += !fsindex_span_may_hold(&span, (uint32_t)e);
				hits += whole != NULL;
				probes++;
			}
		}
	}
	ck_assert_uint_gt(hits, probes / 20);
	ck_assert_uint_gt(rejected, probes / 4);
	ck_assert_uint_lt(hits, probes / 2);
	fsindex_free(snap);
	featurestore_free(fs);
}
END_TEST

START_TEST(schema_change_needs_new_version)
{
	int g;
	struct featurestore *fs = open_group(0, &g);
	struct error err;
	static const char *const other[] = { "a", "c" };
	char *db;
	struct featurestore *fs2;

	featurestore_free(fs);
	tmpdir_setup();
	db = tmpdir_path("f.db");
	fs = featurestore_open(db, &err);
	ck_assert_int_ge(featurestore_define(fs, "grp", 1, feats, 2, 0, &err), 0);
	featurestore_free(fs);
	fs2 = featurestore_open(db, &err);
	ck_assert_int_eq(featurestore_define(fs2, "grp", 1, other, 2, 0, &err), ERR_INPUT);
	ck_assert(strstr(err.msg, "another schema"));
	ck_assert_int_ge(featurestore_group(fs2, "grp", 1, &err), 0);
	ck_assert_int_ge(featurestore_define(fs2, "grp", 2, other, 2, 0, &err), 0);
	ck_assert_int_eq(featurestore_define(fs2, "Bad-Name", 1, other, 2, 0, &err), ERR_INPUT);
	featurestore_free(fs2);
	tmpdir_teardown();
	free(db);
}
END_TEST

START_TEST(export_csv_is_pit_correct)
{
	int g;
	struct featurestore *fs = open_group(0, &g);
	struct error err;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	put(fs, g, 1, 100, 100, 1.0);
	put(fs, g, 1, 200, 900, 2.0);
	put(fs, g, 2, 300, 300, 3.0);
	ck_assert_int_eq(pitjoin_export_csv(fs, g, 250, PITJOIN_AS_KNOWN_AT, f, &err), 0);
	fclose(f);
	ck_assert_str_eq(buf, "entity,event_time,a,b\n1,100,1,-1\n2,,,\n");
	free(buf);
	featurestore_free(fs);
}
END_TEST

/* Randomised check of the sort-merge join against a brute-force scan,
 * with every entity queried and with a few. */
START_TEST(pit_matches_brute_force)
{
	enum { H = 2000, Q = 500 };
	int g;
	struct featurestore *fs = open_group(300, &g);
	static int64_t he[H], qe[Q];
	static simtime het[H], hwt[H], qt[Q];
	static double hv[H * 2], out[Q * 2];
	uint8_t found[Q];
	struct error err;
	uint64_t x = 12345;

#define NEXT() (x = x * 6364136223846793005ULL + 1442695040888963407ULL, x >> 33)
	for (int i = 0; i < H; i++) {
		he[i] = (int64_t)(NEXT() % 50);
		het[i] = (simtime)(NEXT() % 1000);
		hwt[i] = het[i] + (simtime)(NEXT() % 200);
		hv[2 * i] = i;
		hv[2 * i + 1] = -i;
	}
	for (int i = 0; i < H; i++)
		ck_assert_int_eq(featurestore_write(fs, g, &he[i], &het[i], 0, &hv[2 * i], 1, hwt[i], &err), 0);
	/* every entity queried (and some absent), then a few only (the join
	 * keeps only the queried entities' history) */
	for (int pass = 0; pass < 4; pass++) {
		int mode = pass & 1;

		if (mode == 0)
			for (int i = 0; i < Q; i++) {
				qe[i] = pass < 2 ? (int64_t)(NEXT() % 55) : (int64_t)(NEXT() % 4 * 13 + 1);
				qt[i] = (simtime)(NEXT() % 1300);
			}
		ck_assert_int_eq(pitjoin_run(fs, g, qe, qt, Q, (enum pitjoin_mode)mode,
						       out, found, NULL, &err), 0);
		for (int q = 0; q < Q; q++) {
			int best = -1;

			for (int i = 0; i < H; i++) {
				if (he[i] != qe[q] || het[i] > qt[q] || (mode && hwt[i] > qt[q]))
					continue;
				if (best < 0 || het[i] > het[best] ||
				    (het[i] == het[best] && hwt[i] >= hwt[best]))
					best = i;
			}
			if (best >= 0 && qt[q] - het[best] > 300)
				best = -1;
			if (best < 0)
				ck_assert(!found[q] && isnan(out[2 * q]));
			else
				ck_assert_msg(found[q] && out[2 * q] == best, "query %d: got %g want %d", q,
					      out[2 * q], best);
		}
	}
	featurestore_free(fs);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, pit_bound_is_inclusive);
	tcase_add_test(tc, pit_respects_ttl);
	tcase_add_test(tc, pit_ties_broken_by_latest_write_time);
	tcase_add_test(tc, pit_is_a_left_join);
	tcase_add_test(tc, as_known_at_ignores_later_backfills);
	tcase_add_test(tc, tombstone_hides_entity_from_its_event_time);
	tcase_add_test(tc, late_write_never_overwrites_newer_online);
	tcase_add_test(tc, snapshot_reads_batches_with_ttl);
	tcase_add_test(tc, snapshot_span_reads_match_whole_index);
	tcase_add_test(tc, schema_change_needs_new_version);
	tcase_add_test(tc, export_csv_is_pit_correct);
	tcase_add_test(tc, pit_matches_brute_force);
}

CHECK_MAIN("featurestore", add_tests, 30)
