/* Tests for engine/pit.c: idempotence, order independence, sessionizer, windows. */
#include "engine/pit.h"

#include <check.h>
#include <stdlib.h>

#include "common/rng.h"

#include "tests/check_main.h"
#include "tests/defaults.h"

static struct pit *new_pit(uint32_t dedup_cap)
{
	struct pit_config cfg;
	struct error err;
	struct pit *p;

	cfg = test_defaults()->stream.pit;
	cfg.n_shows = 50;
	cfg.n_creators = 10;
	cfg.dedup_capacity = dedup_cap;
	cfg.session_capacity = 4096;
	cfg.follow_capacity = 4096;
	p = pit_new(&cfg, &err);
	ck_assert_ptr_nonnull(p);
	return p;
}

static struct event mk(uint64_t id, int type, simtime t, uint32_t user, uint32_t show, int64_t v)
{
	struct event e = { .id = id, .emit_time = t, .type = (uint8_t)type, .user = user,
			   .show = show, .creator = show % 10, .value = v };
	return e;
}

/* A synthetic stream: users tune in, listen for a while, sometimes like and
 * follow.  Session ends carry their duration (the backend's contract). */
static size_t make_events(struct event *evs, size_t max, uint64_t seed)
{
	struct rng r;
	size_t n = 0;
	uint64_t id = 1;

	rng_init(&r, seed, RNG_TEST, 0, 0);
	for (uint32_t u = 0; u < 200 && n + 4 <= max; u++) {
		uint32_t show = (uint32_t)rng_below(&r, 50);
		simtime start = (simtime)rng_below(&r, 30 * SIMTIME_MIN);
		simtime dur = (simtime)rng_below(&r, 12 * SIMTIME_MIN) + 1;
		evs[n++] = mk(id++, EVENT_LISTEN_START, start, u, show, 0);
		if (rng_below(&r, 2))
			evs[n++] = mk(id++, EVENT_LIKE, start + dur / 2, u, show, 0);
		if (rng_below(&r, 3) == 0)
			evs[n++] = mk(id++, EVENT_FOLLOW, start + dur / 3, u, show, 0);
		evs[n++] = mk(id++, EVENT_LISTEN_END, start + dur, u, show, dur);
	}
	return n;
}

static void snapshot(const struct pit *p, simtime now, float *out)
{
	for (uint32_t s = 0; s < 50; s++)
		for (int f = 0; f < PIT_SHOW_FEATURES; f++)
			out[s * PIT_SHOW_FEATURES + (uint32_t)f] = pit_show_value(p, s, f, now);
	for (uint32_t c = 0; c < 10; c++)
		out[50 * PIT_SHOW_FEATURES + c] = pit_creator_value(p, c, PIT_LIVE_FOLLOWERS);
}

enum { NSNAP = 50 * PIT_SHOW_FEATURES + 10 };

START_TEST(duplicates_and_reordering_do_not_change_values)
{
	static struct event evs[1000], shuffled[3000];
	float a[NSNAP], b[NSNAP];
	size_t n = make_events(evs, 1000, 3), m = 0;
	simtime now = 2 * SIMTIME_HOUR;
	struct pit *p1 = new_pit(1 << 14), *p2 = new_pit(1 << 14);
	struct rng r;

	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(pit_apply(p1, &evs[i], now, NULL, NULL), PIT_APPLIED);
	/* Every event once, a third of them again, then a random order. */
	for (size_t i = 0; i < n; i++) {
		shuffled[m++] = evs[i];
		if (i % 3 == 0)
			shuffled[m++] = evs[i];
	}
	rng_init(&r, 5, RNG_TEST, 1, 0);
	for (size_t i = m - 1; i > 0; i--) {
		size_t j = rng_below(&r, i + 1);
		struct event t = shuffled[i];
		shuffled[i] = shuffled[j];
		shuffled[j] = t;
	}
	for (size_t i = 0; i < m; i++)
		pit_apply(p2, &shuffled[i], now, NULL, NULL);
	ck_assert_uint_eq(pit_stats(p2)->duplicates, m - n);
	ck_assert_uint_eq(pit_stats(p2)->applied, n);
	snapshot(p1, now, a);
	snapshot(p2, now, b);
	for (size_t i = 0; i < NSNAP; i++)
		ck_assert_float_eq(a[i], b[i]);
	ck_assert_uint_eq(pit_stats(p2)->dedup_evicted_live, 0);
	pit_free(p1);
	pit_free(p2);
}
END_TEST

START_TEST(sessionizer_pairs_start_and_end)
{
	struct pit *p = new_pit(1024);
	simtime t0 = SIMTIME_HOUR;
	struct event s1 = mk(1, EVENT_LISTEN_START, t0, 1, 3, 0);
	struct event e1 = mk(2, EVENT_LISTEN_END, t0 + 6 * SIMTIME_MIN, 1, 3, 6 * SIMTIME_MIN);
	struct event s2 = mk(3, EVENT_LISTEN_START, t0, 2, 3, 0);
	struct event e2 = mk(4, EVENT_LISTEN_END, t0 + 5 * SIMTIME_MIN, 2, 3, 5 * SIMTIME_MIN);
	struct event s3 = mk(5, EVENT_LISTEN_START, t0 + SIMTIME_MIN, 3, 3, 0);
	simtime now = t0 + 10 * SIMTIME_MIN;

	pit_apply(p, &s1, now, NULL, NULL);
	pit_apply(p, &s2, now, NULL, NULL);
	pit_apply(p, &s3, now, NULL, NULL);
	ck_assert_float_eq(pit_show_value(p, 3, PIT_LIVE_LISTENERS, now), 3);
	pit_apply(p, &e1, now, NULL, NULL);
	/* exactly 5 min is not longer than 5 min */
	pit_apply(p, &e2, now, NULL, NULL);
	ck_assert_float_eq(pit_show_value(p, 3, PIT_LIVE_LISTENERS, now), 1);
	ck_assert_float_eq(pit_show_value(p, 3, PIT_LONG_SESSIONS, now), 1);
	ck_assert_float_eq(pit_show_value(p, 3, PIT_LISTENS, now), 3);
	ck_assert_uint_eq(pit_stats(p)->sessions_completed, 2);
	pit_free(p);
}
END_TEST

START_TEST(end_before_start_is_never_live)
{
	struct pit *p = new_pit(1024);
	struct event s = mk(1, EVENT_LISTEN_START, 0, 1, 4, 0);
	struct event e = mk(2, EVENT_LISTEN_END, 7 * SIMTIME_MIN, 1, 4, 7 * SIMTIME_MIN);
	simtime now = 8 * SIMTIME_MIN;

	pit_apply(p, &e, now, NULL, NULL);
	ck_assert_float_eq(pit_show_value(p, 4, PIT_LIVE_LISTENERS, now), 0);
	pit_apply(p, &s, now, NULL, NULL);
	ck_assert_float_eq(pit_show_value(p, 4, PIT_LIVE_LISTENERS, now), 0);
	ck_assert_float_eq(pit_show_value(p, 4, PIT_LONG_SESSIONS, now), 1);
	ck_assert_uint_eq(pit_stats(p)->ended_early, 1);
	pit_free(p);
}
END_TEST

START_TEST(follow_while_listening_counts_live_follower)
{
	struct pit *p = new_pit(1024);
	struct event s = mk(1, EVENT_LISTEN_START, 0, 9, 13, 0);   /* creator 3 */
	struct event f = mk(2, EVENT_FOLLOW, SIMTIME_MIN, 9, 13, 0);
	struct event f2 = mk(3, EVENT_FOLLOW, 2 * SIMTIME_MIN, 9, 13, 0);
	struct event e = mk(4, EVENT_LISTEN_END, 3 * SIMTIME_MIN, 9, 13, 3 * SIMTIME_MIN);

	pit_apply(p, &s, SIMTIME_MIN, NULL, NULL);
	ck_assert_float_eq(pit_creator_value(p, 3, PIT_LIVE_FOLLOWERS), 0);
	pit_apply(p, &f, SIMTIME_MIN, NULL, NULL);
	ck_assert_float_eq(pit_creator_value(p, 3, PIT_LIVE_FOLLOWERS), 1);
	pit_apply(p, &f2, SIMTIME_MIN, NULL, NULL);   /* second follow: no change */
	ck_assert_float_eq(pit_creator_value(p, 3, PIT_LIVE_FOLLOWERS), 1);
	pit_apply(p, &e, 4 * SIMTIME_MIN, NULL, NULL);
	ck_assert_float_eq(pit_creator_value(p, 3, PIT_LIVE_FOLLOWERS), 0);
	pit_free(p);
}
END_TEST

struct capture { int n; struct pit_write last[64]; };

static int cap_sink(void *ctx, const struct pit_write *w, const struct event *cause, simtime now)
{
	struct capture *c = ctx;

	(void)cause; (void)now;
	if (c->n < 64)
		c->last[c->n] = *w;
	c->n++;
	return 0;
}

START_TEST(sliding_window_counts_last_15_minutes)
{
	struct pit *p = new_pit(1024);
	struct capture c = { 0 };
	simtime m = SIMTIME_MIN;

	for (int i = 0; i < 20; i++) {
		struct event l = mk((uint64_t)i + 1, EVENT_LIKE, i * m + 1, 1, 7, 0);
		pit_apply(p, &l, i * m + 2, cap_sink, &c);
	}
	/* at minute 19 the window (4, 19] holds minutes 5..19: 15 likes */
	ck_assert_float_eq(pit_show_value(p, 7, PIT_LIKES_WINDOW, 19 * m + 3), 15);
	ck_assert_float_eq(pit_show_value(p, 7, PIT_LIKES, 19 * m + 3), 20);
	/* a late like from minute 2 is counted in the total, not the window */
	struct event late = mk(100, EVENT_LIKE, 2 * m, 1, 7, 0);
	pit_apply(p, &late, 19 * m + 4, cap_sink, &c);
	ck_assert_float_eq(pit_show_value(p, 7, PIT_LIKES, 19 * m + 5), 21);
	ck_assert_float_eq(pit_show_value(p, 7, PIT_LIKES_WINDOW, 19 * m + 5), 15);
	ck_assert_uint_eq(pit_stats(p)->late_window, 1);
	/* ticks decay it to zero and write the decayed values */
	ck_assert_int_eq(pit_next_tick(p), 20 * m);
	c.n = 0;
	pit_tick(p, 30 * m, cap_sink, &c);
	ck_assert_float_eq(pit_show_value(p, 7, PIT_LIKES_WINDOW, 30 * m), 4);
	ck_assert_int_eq(c.n, 1);
	ck_assert_int_eq(c.last[0].feature, PIT_LIKES_WINDOW);
	ck_assert_float_eq(c.last[0].value, 4);
	pit_tick(p, 40 * m, cap_sink, &c);
	ck_assert_float_eq(c.last[1].value, 0);
	ck_assert_int_eq(pit_next_tick(p), SIMTIME_NEVER);
	pit_free(p);
}
END_TEST

START_TEST(writes_carry_increasing_keys)
{
	struct pit *p = new_pit(1024);
	struct capture c = { 0 };
	struct event a = mk(1, EVENT_LIKE, 100, 1, 2, 0), b = mk(2, EVENT_LIKE, 50, 2, 2, 0);

	pit_apply(p, &a, 200, cap_sink, &c);
	pit_apply(p, &b, 300, cap_sink, &c);
	/* the late like's count write keeps event time 100 but a larger seq */
	ck_assert_int_eq(c.last[0].feature, PIT_LIKES);
	ck_assert_int_eq(c.last[2].feature, PIT_LIKES);
	ck_assert_int_eq(c.last[2].event_time, 100);
	ck_assert_uint_gt(c.last[2].seq, c.last[0].seq);
	ck_assert_float_eq(c.last[2].value, 2);
	pit_free(p);
}
END_TEST

START_TEST(dedup_bound_evicts_oldest_and_counts)
{
	struct pit *p = new_pit(16);
	struct event e;

	for (uint64_t i = 1; i <= 40; i++) {
		e = mk(i, EVENT_LIKE, 0, 1, 1, 0);
		pit_apply(p, &e, 1, NULL, NULL);
	}
	ck_assert_uint_eq(pit_stats(p)->dedup_evicted_live, 24);
	ck_assert(pit_seen(p, 40) && pit_seen(p, 25) && !pit_seen(p, 24));
	e = mk(40, EVENT_LIKE, 0, 1, 1, 0);
	ck_assert_int_eq(pit_apply(p, &e, 2, NULL, NULL), PIT_DUPLICATE);
	/* beyond the horizon ids expire (counted apart, harmless) */
	e = mk(41, EVENT_LIKE, 0, 1, 1, 0);
	pit_apply(p, &e, 10 * SIMTIME_DAY, NULL, NULL);
	ck_assert_uint_eq(pit_stats(p)->dedup_expired, 16);
	pit_free(p);
}
END_TEST

/* Window writes checked against a rescan of the ring (pit_show_value) at
 * the same instant: the streaming path keeps cached sums, which must equal
 * the rescan whatever the order of processing times. */
struct wcheck { const struct pit *p; int checked, wrong; };

static int check_sink(void *ctx, const struct pit_write *w, const struct event *cause,
		      simtime now)
{
	struct wcheck *c = ctx;

	(void)cause;
	if (w->table == PIT_TABLE_SHOW &&
	    (w->feature == PIT_LIKES_WINDOW || w->feature == PIT_TUNEINS_WINDOW)) {
		c->checked++;
		if (w->value != pit_show_value(c->p, w->entity, w->feature, now))
			c->wrong++;
	}
	return 0;
}

START_TEST(window_writes_equal_rescan_in_any_time_order)
{
	struct pit *p = new_pit(1u << 16);
	struct wcheck c = { .p = p };
	struct rng r;
	simtime now = 0, m = SIMTIME_MIN;

	rng_init(&r, 11, RNG_TEST, 0, 0);
	for (uint64_t id = 1; id <= 20000; id++) {
		uint32_t show = (uint32_t)rng_below(&r, 5);
		struct event e;
		/* mostly forward by up to 3 minutes, sometimes back by up to 20 */
		if (rng_below(&r, 10) == 0)
			now -= (simtime)rng_below(&r, 20 * (uint64_t)m);
		else
			now += (simtime)rng_below(&r, 3 * (uint64_t)m);
		if (now < 0)
			now = 0;
		e = mk(id, rng_below(&r, 2) ? EVENT_LIKE : EVENT_LISTEN_START,
		       now - (simtime)rng_below(&r, 20 * (uint64_t)m), (uint32_t)id, show, 0);
		if (e.emit_time < 0)
			e.emit_time = 0;
		pit_apply(p, &e, now, check_sink, &c);
		if (rng_below(&r, 50) == 0)
			pit_tick(p, now + (simtime)rng_below(&r, 30 * (uint64_t)m), check_sink, &c);
	}
	ck_assert_int_gt(c.checked, 10000);
	ck_assert_int_eq(c.wrong, 0);
	pit_free(p);
}
END_TEST

/* Many more sessions and follower pairs than the tables' starting size:
 * counts survive the tables' doubling, and capacities bound by entries. */
START_TEST(tables_grow_and_keep_counts_and_capacities)
{
	struct pit_config cfg;
	struct error err;
	struct pit *p;
	uint64_t id = 1;
	float live = 0, longs = 0;

	cfg = test_defaults()->stream.pit;
	cfg.n_shows = 50;
	cfg.n_creators = 10;
	cfg.session_capacity = 20000;
	cfg.follow_capacity = 20000;
	p = pit_new(&cfg, &err);
	ck_assert_ptr_nonnull(p);
	for (uint32_t u = 0; u < 10000; u++) {
		struct event f = mk(id++, EVENT_FOLLOW, 0, u, u % 10, 0);
		struct event st = mk(id++, EVENT_LISTEN_START, 1, u, u % 50, 0);
		pit_apply(p, &f, 2, NULL, NULL);
		pit_apply(p, &st, 2, NULL, NULL);
	}
	for (uint32_t s = 0; s < 50; s++)
		live += pit_show_value(p, s, PIT_LIVE_LISTENERS, 2);
	ck_assert_float_eq(live, 10000);
	for (uint32_t c = 0; c < 10; c++)
		ck_assert_float_eq(pit_creator_value(p, c, PIT_LIVE_FOLLOWERS), 1000);
	for (uint32_t u = 0; u < 10000; u++) {
		struct event en = mk(id++, EVENT_LISTEN_END, 1 + 6 * SIMTIME_MIN, u, u % 50,
				     6 * SIMTIME_MIN);
		pit_apply(p, &en, 7 * SIMTIME_MIN, NULL, NULL);
	}
	live = 0;
	for (uint32_t s = 0; s < 50; s++) {
		live += pit_show_value(p, s, PIT_LIVE_LISTENERS, 7 * SIMTIME_MIN);
		longs += pit_show_value(p, s, PIT_LONG_SESSIONS, 7 * SIMTIME_MIN);
	}
	ck_assert_float_eq(live, 0);
	ck_assert_float_eq(longs, 10000);
	for (uint32_t c = 0; c < 10; c++)
		ck_assert_float_eq(pit_creator_value(p, c, PIT_LIVE_FOLLOWERS), 0);
	ck_assert_uint_eq(pit_stats(p)->session_table_full, 0);
	ck_assert_uint_eq(pit_stats(p)->follow_table_full, 0);
	ck_assert_uint_eq(pit_stats(p)->sessions_completed, 10000);
	pit_free(p);

	/* a capacity above the starting size still bounds the entries held */
	cfg.session_capacity = 3000;
	cfg.follow_capacity = 2500;
	p = pit_new(&cfg, &err);
	ck_assert_ptr_nonnull(p);
	for (uint32_t u = 0; u < 5000; u++) {
		struct event f = mk(id++, EVENT_FOLLOW, 0, u, u % 10, 0);
		struct event st = mk(id++, EVENT_LISTEN_START, 1, u, u % 50, 0);
		pit_apply(p, &f, 2, NULL, NULL);
		pit_apply(p, &st, 2, NULL, NULL);
	}
	live = 0;
	for (uint32_t s = 0; s < 50; s++)
		live += pit_show_value(p, s, PIT_LIVE_LISTENERS, 2);
	ck_assert_float_eq(live, 3000);
	ck_assert_uint_eq(pit_stats(p)->session_table_full, 2000);
	/* 2500 refused follows, and the 500 accepted sessions of users
	 * 2500..2999 whose pair (an open session) found the table full */
	ck_assert_uint_eq(pit_stats(p)->follow_table_full, 3000);
	pit_free(p);
}
END_TEST

START_TEST(invalid_events_ignored)
{
	struct pit *p = new_pit(64);
	struct event bad = mk(1, EVENT_LIKE, 0, 1, 999, 0), other = mk(2, EVENT_IMPRESSION, 0, 1, 1, 0);
	struct pit_config cfg;
	struct error err;

	ck_assert_int_eq(pit_apply(p, &bad, 0, NULL, NULL), PIT_IGNORED);
	ck_assert_int_eq(pit_apply(p, &other, 0, NULL, NULL), PIT_IGNORED);
	ck_assert_int_eq(pit_apply(p, &other, 0, NULL, NULL), PIT_DUPLICATE);
	ck_assert_uint_eq(pit_stats(p)->invalid, 1);
	pit_free(p);
	cfg = test_defaults()->stream.pit;
	ck_assert_ptr_null(pit_new(&cfg, &err));   /* no shows */
	ck_assert_int_eq(err.code, ERR_INPUT);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, duplicates_and_reordering_do_not_change_values);
	tcase_add_test(tc, sessionizer_pairs_start_and_end);
	tcase_add_test(tc, end_before_start_is_never_live);
	tcase_add_test(tc, follow_while_listening_counts_live_follower);
	tcase_add_test(tc, sliding_window_counts_last_15_minutes);
	tcase_add_test(tc, writes_carry_increasing_keys);
	tcase_add_test(tc, dedup_bound_evicts_oldest_and_counts);
	tcase_add_test(tc, invalid_events_ignored);
	tcase_add_test(tc, window_writes_equal_rescan_in_any_time_order);
	tcase_add_test(tc, tables_grow_and_keep_counts_and_capacities);
}

CHECK_MAIN("pit", add_tests, 20)
