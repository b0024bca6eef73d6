/* Tests for engine/lake.c: round trip, corrupt and truncated partitions
 * named in errors, range scans (the firehose's flush rules are in
 * test_firehose.c). */
#include "engine/lake.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check_main.h"
#include "tests/tmpdir.h"

static struct event ev_at(uint64_t id, simtime t)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.id = id;
	e.emit_time = t;
	e.type = EVENT_LIKE;
	e.user = (uint32_t)id;
	return e;
}

struct collect {
	struct event evs[1000];
	size_t n;
};

static int collect_fn(void *ctx, const struct event *evs, size_t n, struct error *err)
{
	struct collect *c = ctx;

	(void)err;
	memcpy(c->evs + c->n, evs, n * sizeof(*evs));
	c->n += n;
	return 0;
}

START_TEST(round_trip_and_reopen)
{
	struct error err;
	struct lake *lk = lake_open(tmpdir, 19114 /* 2022-05-02 */, &err);
	struct event evs[100];
	struct collect *c = calloc(1, sizeof(*c));
	struct lake_scan_stats st;

	ck_assert_msg(lk, "%s", err.msg);
	for (int i = 0; i < 100; i++)
		evs[i] = ev_at((uint64_t)i + 1, 13 * SIMTIME_HOUR + i * SIMTIME_MIN);
	ck_assert_int_eq(lake_write(lk, 13 * SIMTIME_HOUR, evs, 50, &err), 0);
	ck_assert_int_eq(lake_write(lk, 13 * SIMTIME_HOUR, evs + 50, 50, &err), 0);
	ck_assert_str_eq(lake_partition_path(lk, 0), "day=2022-05-02/hour=13/part-00000.evl");
	ck_assert_str_eq(lake_partition_path(lk, 1), "day=2022-05-02/hour=13/part-00001.evl");
	lake_free(lk);
	lk = lake_open(tmpdir, 19114, &err);
	ck_assert_uint_eq(lake_partition_count(lk), 2);
	ck_assert_int_eq(lake_scan(lk, 0, SIMTIME_DAY, collect_fn, c, &st, &err), 0);
	ck_assert_uint_eq(c->n, 100);
	ck_assert_int_eq(memcmp(c->evs, evs, sizeof(evs)), 0);
	/* a range [13:10, 13:20): the second partition is pruned */
	c->n = 0;
	ck_assert_int_eq(lake_scan(lk, 13 * SIMTIME_HOUR + 10 * SIMTIME_MIN,
				   13 * SIMTIME_HOUR + 20 * SIMTIME_MIN, collect_fn, c, &st, &err), 0);
	ck_assert_uint_eq(c->n, 10);
	ck_assert_uint_eq(st.pruned, 1);
	ck_assert_int_eq(c->evs[0].emit_time, 13 * SIMTIME_HOUR + 10 * SIMTIME_MIN);
	/* next partition of the same hour continues numbering after reopen */
	ck_assert_int_eq(lake_write(lk, 13 * SIMTIME_HOUR, evs, 1, &err), 0);
	ck_assert_str_eq(lake_partition_path(lk, 2), "day=2022-05-02/hour=13/part-00002.evl");
	lake_free(lk);
	free(c);
}
END_TEST

static char *part_path(struct lake *lk, size_t i)
{
	size_t len = strlen(lake_dir(lk)) + strlen(lake_partition_path(lk, i)) + 2;
	char *p = malloc(len);

	snprintf(p, len, "%s/%s", lake_dir(lk), lake_partition_path(lk, i));
	return p;
}

START_TEST(corrupt_file_is_refused_naming_it)
{
	struct error err;
	struct lake *lk = lake_open(tmpdir, 0, &err);
	struct event evs[10];
	struct collect *c = calloc(1, sizeof(*c));
	char *p;
	FILE *f;

	for (int i = 0; i < 10; i++)
		evs[i] = ev_at((uint64_t)i + 1, i);
	ck_assert_int_eq(lake_write(lk, 0, evs, 10, &err), 0);
	p = part_path(lk, 0);
	f = fopen(p, "r+b");
	fseek(f, 48 + 5 * 48 + 3, SEEK_SET);  /* flip a byte inside record 5 */
	fputc(0x5a, f);
	fclose(f);
	ck_assert_int_eq(lake_scan(lk, 0, SIMTIME_DAY, collect_fn, c, NULL, &err), ERR_CORRUPT);
	ck_assert_msg(strstr(err.msg, p) && strstr(err.msg, "checksum"), "%s", err.msg);
	ck_assert_uint_eq(c->n, 0);
	free(p);
	free(c);
	lake_free(lk);
}
END_TEST

START_TEST(truncated_file_is_refused_naming_it)
{
	struct error err;
	struct lake *lk = lake_open(tmpdir, 0, &err);
	struct event evs[10], *out;
	size_t n;
	char *p;

	for (int i = 0; i < 10; i++)
		evs[i] = ev_at((uint64_t)i + 1, i);
	ck_assert_int_eq(lake_write(lk, 0, evs, 10, &err), 0);
	p = part_path(lk, 0);
	ck_assert_int_eq(lake_read_file(p, &out, &n, &err), 0);
	ck_assert_uint_eq(n, 10);
	free(out);
	ck_assert_int_eq(truncate(p, 48 + 7 * 48), 0);
	ck_assert_int_eq(lake_read_file(p, &out, &n, &err), ERR_CORRUPT);
	ck_assert_msg(strstr(err.msg, p) && strstr(err.msg, "truncated"), "%s", err.msg);
	ck_assert_int_eq(truncate(p, 20), 0);
	ck_assert_int_eq(lake_read_file(p, &out, &n, &err), ERR_CORRUPT);
	ck_assert_msg(strstr(err.msg, "truncated"), "%s", err.msg);
	free(p);
	lake_free(lk);
}
END_TEST

START_TEST(xxh64_known_values)
{
	/* reference values of XXH64 with seed 0 */
	ck_assert_uint_eq(lake_xxh64("", 0, 0), 0xEF46DB3751D8E999ULL);
	ck_assert_uint_eq(lake_xxh64("a", 1, 0), 0xD24EC4F1A98C6E5BULL);
	ck_assert_uint_eq(lake_xxh64("abc", 3, 0), 0x44BC2CF5AD770999ULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("lake");
	TCase *tc = tcase_create("lake");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, round_trip_and_reopen);
	tcase_add_test(tc, corrupt_file_is_refused_naming_it);
	tcase_add_test(tc, truncated_file_is_refused_naming_it);
	tcase_add_test(tc, xxh64_known_values);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN_SUITE(suite)
