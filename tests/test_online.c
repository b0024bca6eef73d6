/* Tests for engine/online.c: event-time rule, batched read, log recovery,
 * TTL, outages. */
#include "engine/online.h"

#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check_main.h"
#include "tests/tmpdir.h"
#include "tests/defaults.h"

static const struct online_table_spec tables[2] = { { 1000, 6 }, { 100, 1 } };
static char logp[128], copyp[128];

static void setup(void)
{
	tmpdir_setup();
	snprintf(logp, sizeof(logp), "%s/store.log", tmpdir);
	snprintf(copyp, sizeof(copyp), "%s/copy.log", tmpdir);
}

static struct online *mem_store(simtime ttl)
{
	struct online_config cfg;
	struct error err;
	struct online *o;

	cfg = test_defaults()->stream.online;
	cfg.ttl = ttl;
	o = online_new(&cfg, tables, 2, &err);
	ck_assert_ptr_nonnull(o);
	return o;
}

START_TEST(older_or_equal_event_time_never_overwrites)
{
	struct online *o = mem_store(0);

	ck_assert(isnan(online_get(o, 0, 5, 1, 0)));
	ck_assert_int_eq(online_write(o, 0, 5, 1, 10.0f, 100, 0, 1, NULL), 0);
	ck_assert_int_eq(online_write(o, 0, 5, 1, 7.0f, 90, 0, 2, NULL), ONLINE_STALE);
	ck_assert_int_eq(online_write(o, 0, 5, 1, 8.0f, 100, 0, 3, NULL), ONLINE_STALE);
	ck_assert_float_eq(online_get(o, 0, 5, 1, 4), 10.0f);
	ck_assert_int_eq(online_write(o, 0, 5, 1, 11.0f, 100, 1, 5, NULL), 0);  /* same time, newer seq */
	ck_assert_int_eq(online_write(o, 0, 5, 1, 12.0f, 101, 0, 6, NULL), 0);
	ck_assert_float_eq(online_get(o, 0, 5, 1, 7), 12.0f);
	ck_assert_uint_eq(online_stats(o)->stale, 2);
	ck_assert_int_eq(online_write(o, 0, 1000, 0, 1.0f, 1, 0, 1, NULL), ERR_INPUT);
	online_free(o);
}
END_TEST

START_TEST(batched_read_fills_rows_and_nan)
{
	struct online *o = mem_store(0);
	uint32_t ids[4] = { 3, 999, 5000, 3 };
	float out[4 * 6];

	for (int f = 0; f < 6; f++)
		online_write(o, 0, 3, f, (float)f, 1, 0, 1, NULL);
	online_write(o, 0, 999, 2, 42.0f, 1, 0, 1, NULL);
	ck_assert_int_eq(online_read(o, 0, ids, 4, out, 2), 0);
	for (int f = 0; f < 6; f++) {
		ck_assert_float_eq(out[f], (float)f);
		ck_assert_float_eq(out[18 + f], (float)f);
		ck_assert(isnan(out[12 + f]));   /* out of range */
	}
	ck_assert(isnan(out[6]));
	ck_assert_float_eq(out[8], 42.0f);
	online_free(o);
}
END_TEST

START_TEST(ttl_hides_old_values_until_rewritten)
{
	struct online *o = mem_store(10 * SIMTIME_S);
	uint32_t id = 1;
	float out[6];

	online_write(o, 0, 1, 0, 5.0f, 100, 0, 0, NULL);
	online_read(o, 0, &id, 1, out, 10 * SIMTIME_S - 1);
	ck_assert_float_eq(out[0], 5.0f);
	online_read(o, 0, &id, 1, out, 10 * SIMTIME_S);
	ck_assert(isnan(out[0]));
	ck_assert_uint_eq(online_stats(o)->expired_cells, 1);
	/* an expired value still wins the event-time comparison */
	ck_assert_int_eq(online_write(o, 0, 1, 0, 4.0f, 50, 0, 11 * SIMTIME_S, NULL), ONLINE_STALE);
	ck_assert_int_eq(online_write(o, 0, 1, 0, 6.0f, 200, 0, 11 * SIMTIME_S, NULL), 0);
	ck_assert_float_eq(online_get(o, 0, 1, 0, 12 * SIMTIME_S), 6.0f);
	online_free(o);
}
END_TEST

START_TEST(outage_fails_reads_and_writes)
{
	struct online *o = mem_store(0);
	uint32_t id = 0;
	float out[6];
	struct error err;

	ck_assert_int_eq(online_add_outage(o, 100, 200, &err), 0);
	ck_assert_int_eq(online_add_outage(o, 150, 120, &err), ERR_INPUT);
	ck_assert_int_eq(online_write(o, 0, 0, 0, 1.0f, 1, 0, 150, &err), ERR_UNAVAILABLE);
	ck_assert_int_eq(online_read(o, 0, &id, 1, out, 199), ERR_UNAVAILABLE);
	ck_assert_int_eq(online_available_at(o, 150), 200);
	ck_assert_int_eq(online_write(o, 0, 0, 0, 1.0f, 1, 0, 200, &err), 0);
	ck_assert_int_eq(online_read(o, 0, &id, 1, out, 200), 0);
	ck_assert_uint_eq(online_stats(o)->unavailable_writes, 1);
	ck_assert_uint_eq(online_stats(o)->unavailable_reads, 1);
	online_free(o);
}
END_TEST

static struct online *log_store(const char *path, enum online_fsync pol, struct error *err)
{
	struct online_config cfg;

	cfg = test_defaults()->stream.online;
	cfg.log_path = path;
	cfg.fsync_policy = pol;
	cfg.fsync_every = 7;
	cfg.buffer_records = 8;   /* small: exercises early flushes */
	return online_new(&cfg, tables, 2, err);
}

static void copy_prefix(const char *from, const char *to, off_t len)
{
	char buf[4096];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	off_t done = 0;

	ck_assert(in >= 0 && out >= 0);
	while (done < len) {
		size_t want = (size_t)(len - done) < sizeof(buf) ? (size_t)(len - done) : sizeof(buf);
		ssize_t k = read(in, buf, want);
		ck_assert(k > 0);
		ck_assert(write(out, buf, (size_t)k) == k);
		done += k;
	}
	close(in);
	close(out);
}

/* The value every acknowledged write left: write i stores (i % 50, i % 6) =
 * i at event time i. */
START_TEST(recovery_restores_acknowledged_writes_at_every_torn_offset)
{
	struct error err;
	struct online *o = log_store(logp, ONLINE_FSYNC_EVERY_N, &err);
	struct stat st;
	const int n = 300;
	off_t full, last_start;

	ck_assert_ptr_nonnull(o);
	for (int i = 1; i <= n; i++) {
		ck_assert_int_eq(online_write(o, 0, (uint32_t)(i % 50), i % 6, (float)i, i, 0, i, &err), 0);
		if (i % 5 == 0 || i == n)
			ck_assert_int_eq(online_commit(o, &err), 0);
	}
	/* a stale write is not logged */
	ck_assert_int_eq(online_write(o, 0, 1, 1, 0.0f, 0, 0, n + 1, &err), ONLINE_STALE);
	online_commit(o, &err);
	ck_assert_uint_eq(online_stats(o)->log_records, (uint64_t)n);
	online_free(o);
	ck_assert_int_eq(stat(logp, &st), 0);
	full = st.st_size;
	last_start = full - 40;
	/* A crash in the middle of writing the last record: every prefix. */
	for (off_t cut = last_start; cut <= full; cut++) {
		struct online *r;
		int expect_last = cut == full;

		copy_prefix(logp, copyp, cut);
		r = log_store(copyp, ONLINE_FSYNC_NEVER, &err);
		ck_assert_msg(r != NULL, "cut %ld: %s", (long)cut, err.msg);
		ck_assert_uint_eq(online_stats(r)->recovered_records, (uint64_t)(n - 1 + expect_last));
		ck_assert_uint_eq(online_stats(r)->torn_records, (cut > last_start && cut < full) ? 1 : 0);
		for (int i = n - 299; i <= n; i++) {
			float v = online_get(r, 0, (uint32_t)(i % 50), i % 6, n + 2);
			/* cell (i % 50, i % 6) is written by i, i + 150, ...: the
			 * last of them holds */
			int last = i;
			while (last + 150 <= n)
				last += 150;
			if (last == n && !expect_last) {
				/* the torn record is lost: the previous writer's value */
				ck_assert_float_eq(v, (float)(last - 150));
			} else {
				ck_assert_float_eq(v, (float)last);
			}
		}
		/* the recovered log is clean and appendable */
		ck_assert_int_eq(online_write(r, 1, 3, 0, 1.0f, 5, 0, 5, &err), 0);
		ck_assert_int_eq(online_commit(r, &err), 0);
		online_free(r);
		r = log_store(copyp, ONLINE_FSYNC_NEVER, &err);
		ck_assert_ptr_nonnull(r);
		ck_assert_uint_eq(online_stats(r)->torn_records, 0);
		ck_assert_float_eq(online_get(r, 1, 3, 0, 6), 1.0f);
		online_free(r);
	}
}
END_TEST

static int count_rec(void *ctx, const struct online_record *r)
{
	(void)r;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* Issue 18, like Redis's AOF: a log past compact_ratio records per live
 * cell is rewritten as one record per live cell during the run; the
 * values (what anything simulated reads) are those of a store that never
 * compacted, before and after a reopen; a sealed log tells a reader it is
 * complete, a cut one does not, and reopening strips the seal. */
START_TEST(compaction_and_seal_keep_every_value)
{
	struct online_config cfg = test_defaults()->stream.online;
	struct online_table_spec lt[ONLINE_MAX_TABLES];
	struct error err;
	struct online *o, *plain = mem_store(0), *r;
	struct online_log *l;
	struct stat st;
	uint64_t n_rec = 0, good, torn, bytes;
	size_t nt;
	simtime seal_at;
	const int n = 200000;

	cfg.log_path = logp;
	cfg.compact_ratio = 4;
	o = online_new(&cfg, tables, 2, &err);
	ck_assert_ptr_nonnull(o);
	for (int i = 1; i <= n; i++) {
		uint32_t e = (uint32_t)((i * 7919u) % 1000);

		ck_assert_int_eq(online_write(o, 0, e, i % 6, (float)i, i, 0, i, &err), 0);
		ck_assert_int_eq(online_write(plain, 0, e, i % 6, (float)i, i, 0, i, &err), 0);
		if (i % 1000 == 0)
			ck_assert_int_eq(online_commit(o, &err), 0);
	}
	ck_assert_uint_ge(online_stats(o)->compactions, 1);
	ck_assert_int_eq(online_seal(o, &err), 0);
	online_free(o);
	ck_assert_int_eq(stat(logp, &st), 0);
	/* at most ratio x live cells (6,000) records, not 200,000 */
	ck_assert_int_le(st.st_size, 100 + 40 * (4 * 6000 + 2 * 65536));
	l = online_log_open(logp, lt, &nt, &err);
	ck_assert_ptr_nonnull(l);
	ck_assert(online_log_sealed(l, &seal_at));
	ck_assert_int_eq(seal_at, n);
	ck_assert_int_eq(online_log_next(l, INT64_MAX, count_rec, &n_rec, &err), 0);
	ck_assert_int_gt(online_log_compacted_at(l), 0);
	online_log_close(l);
	r = log_store(logp, ONLINE_FSYNC_NEVER, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(online_stats(r)->unsealed, 1);
	for (uint32_t e = 0; e < 1000; e++)
		for (int f = 0; f < 6; f++)
		{
			float a = online_get(r, 0, e, f, n + 1), b = online_get(plain, 0, e, f, n + 1);

			ck_assert(memcmp(&a, &b, sizeof(a)) == 0 || (isnan(a) && isnan(b)));
		}
	/* appending after the reopen, then a cut: unsealed, the damage named */
	ck_assert_int_eq(online_write(r, 1, 3, 0, 1.0f, n + 5, 0, n + 5, &err), 0);
	ck_assert_int_eq(online_commit(r, &err), 0);
	online_free(r);
	ck_assert_int_eq(stat(logp, &st), 0);
	ck_assert_int_eq(truncate(logp, st.st_size - 13), 0);
	l = online_log_open(logp, lt, &nt, &err);
	ck_assert_ptr_nonnull(l);
	ck_assert(!online_log_sealed(l, NULL));
	online_log_damage(l, &good, &torn, &bytes);
	ck_assert_uint_eq(good, n_rec);   /* the records and the appended one, not the cut one */
	ck_assert_uint_eq(torn, 1);
	ck_assert_uint_eq(bytes, 27);
	online_log_close(l);
	/* refused on open by flag, truncated and counted without it */
	cfg = test_defaults()->stream.online;
	cfg.log_path = logp;
	cfg.refuse_torn = true;
	ck_assert_ptr_null(online_new(&cfg, tables, 2, &err));
	ck_assert_int_eq(err.code, ERR_CORRUPT);
	ck_assert_msg(strstr(err.msg, "damaged tail"), "%s", err.msg);
	r = log_store(logp, ONLINE_FSYNC_NEVER, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(online_stats(r)->torn_records, 1);
	online_free(r);
	online_free(plain);
}
END_TEST

START_TEST(corrupt_middle_and_wrong_tables_refused)
{
	struct error err;
	struct online *o = log_store(logp, ONLINE_FSYNC_ALWAYS, &err);
	struct online_config cfg;
	struct online_table_spec other[1] = { { 10, 2 } };
	int fd;
	char junk = 0x5a;

	for (int i = 1; i <= 10; i++)
		online_write(o, 0, 1, 0, (float)i, i, 0, i, &err);
	ck_assert_int_eq(online_commit(o, &err), 0);
	ck_assert_uint_ge(online_stats(o)->fsyncs, 1);
	online_free(o);
	cfg = test_defaults()->stream.online;
	cfg.log_path = logp;
	ck_assert_ptr_null(online_new(&cfg, other, 1, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	fd = open(logp, O_WRONLY);
	ck_assert(pwrite(fd, &junk, 1, 40 + 8 + 4 + 4 + 16 + 4 + 3) == 1);  /* inside record 1 */
	close(fd);
	ck_assert_ptr_null(log_store(logp, ONLINE_FSYNC_NEVER, &err));
	ck_assert_int_eq(err.code, ERR_CORRUPT);
	ck_assert_ptr_null(log_store("/nonexistent-dir/x.log", ONLINE_FSYNC_NEVER, &err));
	ck_assert_int_eq(err.code, ERR_IO);
}
END_TEST

struct collect {
	struct online_record r[64];
	size_t n;
};

static int collect(void *ctx, const struct online_record *r)
{
	struct collect *c = ctx;

	ck_assert_uint_lt(c->n, 64);
	c->r[c->n++] = *r;
	return 0;
}

/* A log read record by record up to a moving time, and in one window. */
START_TEST(log_is_read_up_to_a_time_and_in_windows)
{
	struct online_config cfg = test_defaults()->stream.online;
	struct online_table_spec got[ONLINE_MAX_TABLES];
	struct error err;
	struct online *o;
	struct online_log *l;
	struct collect c = { .n = 0 };
	size_t nt;

	cfg.log_path = logp;
	o = online_new(&cfg, tables, 2, &err);
	ck_assert_ptr_nonnull(o);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(online_write(o, i % 2, (uint32_t)i, 0, (float)i, 5, 0, 100 * i, &err),
				 0);
	ck_assert_int_eq(online_write(o, 0, 2, 0, 1.0f, 1, 0, 2000, &err), ONLINE_STALE);
	ck_assert_int_eq(online_commit(o, &err), 0);
	online_free(o);
	l = online_log_open(logp, got, &nt, &err);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(nt, 2);
	ck_assert_uint_eq(got[0].n_entities, 1000);
	ck_assert_uint_eq(got[1].n_features, 1);
	ck_assert_int_eq(online_log_next(l, 300, collect, &c, &err), 0);
	ck_assert_uint_eq(c.n, 3);                 /* written at 0, 100, 200 */
	ck_assert_int_eq(online_log_next(l, 300, collect, &c, &err), 0);
	ck_assert_uint_eq(c.n, 3);                 /* nothing new before 300 */
	ck_assert_int_eq(online_log_next(l, INT64_MAX, collect, &c, &err), 0);
	ck_assert_uint_eq(c.n, 10);                /* the stale write was never logged */
	ck_assert_uint_eq(online_log_records(l), 10);
	ck_assert_int_eq(c.r[7].table, 1);
	ck_assert_uint_eq(c.r[7].entity, 7);
	ck_assert_float_eq(c.r[7].value, 7.0f);
	ck_assert_int_eq(c.r[7].write_time, 700);
	ck_assert_int_eq(c.r[7].event_time, 5);
	online_log_close(l);
	c.n = 0;
	ck_assert_int_eq(online_log_scan(logp, 250, 650, collect, &c, got, &nt, &err), 0);
	ck_assert_uint_eq(c.n, 4);                 /* 300, 400, 500, 600 */
	ck_assert_int_eq(c.r[0].write_time, 300);
	ck_assert_ptr_null(online_log_open(tmpdir, got, &nt, &err));
}
END_TEST

/* A mirror that fails once is not called again; stale writes never reach
 * it; what it holds is compared cell by cell. */
struct fake_mirror {
	int staged, flushes, reads;
	bool fail_read;
	float value;
};

static void fm_stage(void *ctx, int t, uint32_t e, int f, float v, simtime at)
{
	(void)t, (void)e, (void)f, (void)v, (void)at;
	((struct fake_mirror *)ctx)->staged++;
}

static int fm_flush(void *ctx)
{
	((struct fake_mirror *)ctx)->flushes++;
	return 0;
}

static int fm_read(void *ctx, int t, const uint32_t *ids, size_t n, int nf, float *v,
		   simtime *at)
{
	struct fake_mirror *m = ctx;

	(void)t, (void)ids;
	m->reads++;
	if (m->fail_read)
		return -1;
	for (size_t i = 0; i < n * (size_t)nf; i++) {
		v[i] = m->value;
		at[i] = 0;
	}
	return 0;
}

START_TEST(mirror_is_staged_compared_and_dropped_after_a_failure)
{
	struct online *o = mem_store(0);
	struct fake_mirror fm = { 0, 0, 0, false, 3.0f };
	struct online_mirror m = { &fm, fm_stage, fm_flush, fm_read };
	uint32_t ids[2] = { 1, 2 };
	float out[12];

	online_set_mirror(o, &m);
	ck_assert_int_eq(online_write(o, 0, 1, 0, 3.0f, 10, 0, 1, NULL), 0);
	ck_assert_int_eq(online_write(o, 0, 1, 0, 9.0f, 5, 0, 2, NULL), ONLINE_STALE);
	ck_assert_int_eq(fm.staged, 1);
	ck_assert_int_eq(online_commit(o, NULL), 0);
	ck_assert_int_eq(fm.flushes, 1);
	/* Entity 1 feature 0 is 3 in both; the other 11 cells are NaN here. */
	ck_assert_int_eq(online_read(o, 0, ids, 2, out, 5), 0);
	ck_assert_uint_eq(online_stats(o)->mirror_cells, 12);
	ck_assert_uint_eq(online_stats(o)->mirror_mismatches, 11);
	fm.fail_read = true;
	ck_assert_int_eq(online_read(o, 0, ids, 2, out, 5), 0);   /* the store still answers */
	ck_assert_uint_eq(online_stats(o)->mirror_errors, 1);
	ck_assert_int_eq(online_read(o, 0, ids, 2, out, 5), 0);
	ck_assert_int_eq(fm.reads, 2);                            /* not called again */
	ck_assert_int_eq(online_write(o, 0, 3, 0, 1.0f, 10, 0, 1, NULL), 0);
	ck_assert_int_eq(fm.staged, 1);
	online_free(o);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, log_is_read_up_to_a_time_and_in_windows);
	tcase_add_test(tc, mirror_is_staged_compared_and_dropped_after_a_failure);
	tcase_add_checked_fixture(tc, setup, tmpdir_teardown);
	tcase_add_test(tc, older_or_equal_event_time_never_overwrites);
	tcase_add_test(tc, batched_read_fills_rows_and_nan);
	tcase_add_test(tc, ttl_hides_old_values_until_rewritten);
	tcase_add_test(tc, outage_fails_reads_and_writes);
	tcase_add_test(tc, recovery_restores_acknowledged_writes_at_every_torn_offset);
	tcase_add_test(tc, corrupt_middle_and_wrong_tables_refused);
	tcase_add_test(tc, compaction_and_seal_keep_every_value);
}

CHECK_MAIN("online", add_tests, 30)
