/* Tests for engine/batch.c, checked against a direct computation on a
 * small hand-made event log (engine/freshness.c: test_freshness.c). */
#include "engine/batch.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check_main.h"

#define D SIMTIME_DAY
#define M SIMTIME_MIN

static struct event mk(int type, simtime t, uint32_t user, uint32_t show, uint32_t creator,
		       uint16_t topic, uint32_t session, int64_t value)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.type = (uint8_t)type;
	e.emit_time = t;
	e.user = user;
	e.show = show;
	e.creator = creator;
	e.topic = topic;
	e.session = session;
	e.value = value;
	e.position = UINT16_MAX;
	return e;
}

#define NONE EVENT_NONE
#define NT UINT16_MAX

/* Window [10d - 3d, 10d) = [7d, 10d).  User 0: two sessions (day 7, day 9),
 * user 1: one session on day 8, plus events outside the window. */
static size_t make_log(struct event *e)
{
	size_t n = 0;

	/* outside the window: ignored */
	e[n++] = mk(EVENT_APP_OPEN, 6 * D, 0, NONE, NONE, NT, 99, 0);
	e[n++] = mk(EVENT_LIKE, 10 * D, 0, 5, 2, 1, 99, 0);
	/* show 5 of creator 2 (topic 1) goes live on day 7 */
	e[n++] = mk(EVENT_SHOW_LIVE, 7 * D, NONE, 5, 2, 1, NONE, 0);
	/* user 0, session 10 on day 7: listens 30 min to show 5, likes, follows */
	e[n++] = mk(EVENT_APP_OPEN, 7 * D + 1 * M, 0, NONE, NONE, NT, 10, 0);
	e[n++] = mk(EVENT_LISTEN_START, 7 * D + 2 * M, 0, 5, 2, 1, 10, 0);
	e[n++] = mk(EVENT_LIKE, 7 * D + 10 * M, 0, 5, 2, 1, 10, 0);
	e[n++] = mk(EVENT_FOLLOW, 7 * D + 11 * M, 0, 5, 2, 1, 10, 0);
	e[n++] = mk(EVENT_LISTEN_END, 7 * D + 32 * M, 0, 5, 2, 1, 10, 30 * M);
	/* user 1, session 11 on day 8: listens 20 min to show 5, 10 min to show 6 (creator 3, topic 2) */
	e[n++] = mk(EVENT_APP_OPEN, 8 * D, 1, NONE, NONE, NT, 11, 0);
	e[n++] = mk(EVENT_LISTEN_START, 8 * D + 1 * M, 1, 5, 2, 1, 11, 0);
	e[n++] = mk(EVENT_LISTEN_END, 8 * D + 21 * M, 1, 5, 2, 1, 11, 20 * M);
	e[n++] = mk(EVENT_SHOW_LIVE, 8 * D + 21 * M, NONE, 6, 3, 2, NONE, 0);
	e[n++] = mk(EVENT_LISTEN_START, 8 * D + 22 * M, 1, 6, 3, 2, 11, 0);
	e[n++] = mk(EVENT_NOTIFY_ENABLE, 8 * D + 23 * M, 1, 6, 3, 2, 11, 0);
	e[n++] = mk(EVENT_LISTEN_END, 8 * D + 32 * M, 1, 6, 3, 2, 11, 10 * M);
	/* user 0, session 12 on day 9: listens again to show 5 for 6 min */
	e[n++] = mk(EVENT_APP_OPEN, 9 * D, 0, NONE, NONE, NT, 12, 0);
	e[n++] = mk(EVENT_LISTEN_START, 9 * D + 1 * M, 0, 5, 2, 1, 12, 0);
	e[n++] = mk(EVENT_LISTEN_END, 9 * D + 7 * M, 0, 5, 2, 1, 12, 6 * M);
	return n;
}

static const double *row(const struct batch_table *t, int64_t entity)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->entity[i] == entity)
			return t->values + i * t->k;
	return NULL;
}

START_TEST(features_match_direct_computation)
{
	struct batch_config cfg = { 3 * D, 0 };
	struct error err;
	struct batch *b = batch_new(&cfg, &err);
	struct event log[64];
	size_t n = make_log(log);
	uint32_t du[2] = { 0, 1 };
	uint16_t dt[2] = { 3, 1 };
	struct batch_declared decl = { du, dt, 2 };
	const struct batch_table *t;
	const double *v;

	ck_assert_msg(b, "%s", err.msg);
	batch_begin(b, 10 * D);
	/* two blocks, as the lake delivers them */
	batch_add(b, log, 7, &err);
	batch_add(b, log + 7, n - 7, &err);
	batch_finish(b, &decl);
	ck_assert_uint_eq(batch_events(b), n - 2);

	t = batch_table(b, BATCH_USER);
	ck_assert_uint_eq(t->n, 2);
	v = row(t, 0);
	/* sessions 2, minutes 36, 1 distinct show, 1 like, 1 follow, 0 notify,
	 * active on days 7 and 9, sessions of 31 and 7 min: mean 19 */
	ck_assert(v[0] == 2 && v[1] == 36 && v[2] == 1 && v[3] == 1 && v[4] == 1 && v[5] == 0);
	ck_assert(v[6] == 2 && fabs(v[7] - 19.0) < 1e-12);
	v = row(t, 1);
	ck_assert(v[0] == 1 && v[1] == 30 && v[2] == 2 && v[3] == 0 && v[5] == 1 && v[6] == 1);
	ck_assert(fabs(v[7] - 32.0) < 1e-12);

	t = batch_table(b, BATCH_CREATOR);
	ck_assert_uint_eq(t->n, 2);
	v = row(t, 2);
	/* plays 3, followers 1, likes 1, hosted 1, 56 min / 1 show, listeners 2 */
	ck_assert(v[0] == 3 && v[1] == 1 && v[2] == 1 && v[3] == 1 && v[4] == 56 && v[5] == 2);
	v = row(t, 3);
	ck_assert(v[0] == 1 && v[1] == 0 && v[2] == 0 && v[3] == 1 && v[4] == 10 && v[5] == 1);

	t = batch_table(b, BATCH_USER_CREATOR);
	ck_assert_uint_eq(t->n, 3);
	v = row(t, (int64_t)0 << 32 | 2);
	/* 36 min, 1 like, 1 follow, last listen 9d+7min: 10d - that = 1 day - 7 min */
	ck_assert(v[0] == 36 && v[1] == 1 && v[2] == 1);
	ck_assert(fabs(v[3] - (double)(D - 7 * M) / D) < 1e-12);
	v = row(t, (int64_t)1 << 32 | 3);
	ck_assert(v[0] == 10 && v[1] == 0);
	ck_assert(t->entity[0] < t->entity[1] && t->entity[1] < t->entity[2]);

	t = batch_table(b, BATCH_USER_TOPIC);
	/* (0,1) listened, (0,3) declared only, (1,1) listened and declared, (1,2) listened */
	ck_assert_uint_eq(t->n, 4);
	v = row(t, (int64_t)0 << 32 | 1);
	ck_assert(v[0] == 1.0 && v[1] == 1 && v[2] == 0);
	v = row(t, (int64_t)0 << 32 | 3);
	ck_assert(v[0] == 0 && v[1] == 0 && v[2] == 1);
	v = row(t, (int64_t)1 << 32 | 1);
	ck_assert(fabs(v[0] - 20.0 / 30.0) < 1e-12 && v[2] == 1);
	v = row(t, (int64_t)1 << 32 | 2);
	ck_assert(fabs(v[0] - 10.0 / 30.0) < 1e-12 && v[2] == 0);

	/* a second day reuses the object: an empty window yields empty tables */
	batch_begin(b, 30 * D);
	batch_add(b, log, n, &err);
	batch_finish(b, NULL);
	ck_assert_uint_eq(batch_table(b, BATCH_USER)->n, 0);
	ck_assert_uint_eq(batch_table(b, BATCH_USER_CREATOR)->n, 0);
	batch_free(b);
}
END_TEST

/* batch_trim frees everything and the tables read empty; the next day
 * computes the same tables as a fresh object would, every cell; a second
 * finish (a retried compute step) keeps the first one's tables. */
START_TEST(trim_then_recompute_gives_the_same_tables)
{
	struct batch_config cfg = { 3 * D, 0 };
	struct error err;
	struct batch *a = batch_new(&cfg, &err), *b = batch_new(&cfg, &err);
	struct event log[64];
	size_t n = make_log(log);
	uint32_t du[2] = { 0, 1 };
	uint16_t dt[2] = { 3, 1 };
	struct batch_declared decl = { du, dt, 2 };

	ck_assert(a && b);
	batch_begin(b, 10 * D);
	batch_add(b, log, n, &err);
	batch_finish(b, &decl);
	batch_trim(b);
	for (int i = 0; i < BATCH_TABLE_COUNT; i++) {
		const struct batch_table *t = batch_table(b, (enum batch_table_id)i);

		ck_assert_uint_eq(t->n, 0);
		ck_assert_ptr_nonnull(t->name);
	}
	batch_trim(b);   /* twice is harmless */
	batch_begin(a, 10 * D);
	batch_begin(b, 10 * D);
	batch_add(a, log, n, &err);
	batch_add(b, log, n, &err);
	batch_finish(a, &decl);
	batch_finish(a, &decl);   /* a retried compute: the same tables */
	batch_finish(b, &decl);
	for (int i = 0; i < BATCH_TABLE_COUNT; i++) {
		const struct batch_table *ta = batch_table(a, (enum batch_table_id)i);
		const struct batch_table *tb = batch_table(b, (enum batch_table_id)i);

		ck_assert_uint_gt(ta->n, 0);
		ck_assert_uint_eq(ta->n, tb->n);
		ck_assert_mem_eq(ta->entity, tb->entity, ta->n * sizeof(*ta->entity));
		ck_assert_mem_eq(ta->values, tb->values, ta->n * ta->k * sizeof(*ta->values));
	}
	batch_free(a);
	batch_free(b);
}
END_TEST

START_TEST(bad_window_is_refused)
{
	struct batch_config cfg = { 65 * D, 0 };
	struct error err;

	ck_assert_ptr_null(batch_new(&cfg, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	cfg.window = D + 1;
	ck_assert_ptr_null(batch_new(&cfg, &err));
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, features_match_direct_computation);
	tcase_add_test(tc, trim_then_recompute_gives_the_same_tables);
	tcase_add_test(tc, bad_window_is_refused);
}

CHECK_MAIN("batch", add_tests, 30)
