/* Tests for engine/catalog.c: candidates (live by id, then announced by
 * start within the horizon and grace), transitions between the indexes,
 * out-of-order and late events, bad show events, and a randomized event
 * stream against a linear scan.  (The first two tests moved here from
 * test_rank.c; the catalog is tests/catfix.h's.) */
#include "engine/catalog.h"

#include <check.h>
#include <string.h>

#include "common/rng.h"
#include "tests/catfix.h"
#include "tests/check_main.h"

#define NOW CATFIX_NOW

START_TEST(candidates_live_then_upcoming_within_horizon)
{
	struct catalog *c = catfix_sample();
	uint32_t out[16];
	static const uint32_t want[] = { 3, 7, 6, 1, 9, 2 };
	size_t n = catalog_candidates(c, NOW, 6 * SIMTIME_HOUR, 30 * SIMTIME_MIN, out, 16);

	ck_assert_uint_eq(n, 6);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(out[i], want[i]);
	/* a shorter horizon drops show 2; a cap truncates in the same order */
	n = catalog_candidates(c, NOW, 4 * SIMTIME_HOUR, 30 * SIMTIME_MIN, out, 16);
	ck_assert_uint_eq(n, 5);
	n = catalog_candidates(c, NOW, 6 * SIMTIME_HOUR, 30 * SIMTIME_MIN, out, 3);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(out[2], 6);
	/* going live moves a show from the upcoming to the live index */
	catfix_apply(c, EVENT_SHOW_LIVE, 1, 10, 2, NOW + SIMTIME_HOUR, 0);
	n = catalog_candidates(c, NOW + SIMTIME_HOUR, 6 * SIMTIME_HOUR, 30 * SIMTIME_MIN, out, 16);
	ck_assert_uint_eq(catalog_state(c, 1), CATALOG_LIVE);
	ck_assert_uint_eq(out[0], 1);
	ck_assert_uint_eq(catalog_live_count(c), 3);
	ck_assert_uint_eq(catalog_state(c, 5), CATALOG_ENDED);
	ck_assert_uint_eq(catalog_state(c, 100), CATALOG_UNKNOWN);
	catalog_free(c);
}
END_TEST

START_TEST(catalog_refuses_bad_show_events)
{
	struct catalog *c = catalog_new(0);
	struct event ev = { .id = 1, .show = 3, .creator = EVENT_NONE, .topic = 2,
			    .type = EVENT_SHOW_SCHEDULED };
	struct error err;

	ck_assert_int_eq(catalog_apply(c, &ev, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "show_scheduled"));
	ev.creator = 4;
	ev.show = EVENT_NONE;
	ck_assert_int_eq(catalog_apply(c, &ev, &err), ERR_INPUT);
	ev.type = EVENT_LIKE; /* other events are not the catalog's business */
	ck_assert_int_eq(catalog_apply(c, &ev, &err), 0);
	ck_assert_uint_eq(catalog_announced_count(c), 0);
	catalog_free(c);
}
END_TEST

/* The facts of a show: creator, topic, scheduled start, go-live time;
 * unknown ids answer "none"; every show event bumps the version, other
 * events do not; the topic bound is the largest topic + 1. */
START_TEST(show_facts_and_version)
{
	struct catalog *c = catfix_sample();
	struct event like = { .id = 99, .type = EVENT_LIKE, .show = 7, .creator = 70, .topic = 1 };
	struct error err;
	uint64_t v = catalog_version(c);

	ck_assert_uint_eq(v, 13);                 /* events applied by catfix_sample */
	ck_assert_uint_eq(catalog_creator(c, 7), 70);
	ck_assert_uint_eq(catalog_topic(c, 9), 3);
	ck_assert(catalog_start(c, 1) == NOW + SIMTIME_HOUR);
	ck_assert(catalog_live_at(c, 7) == NOW - 40 * SIMTIME_MIN);
	ck_assert(catalog_live_at(c, 1) == SIMTIME_NEVER);
	ck_assert_uint_eq(catalog_topic_bound(c), 4);
	ck_assert_uint_eq(catalog_live_count(c), 2);
	ck_assert_uint_eq(catalog_announced_count(c), 6);
	ck_assert_uint_eq(catalog_creator(c, 1000), EVENT_NONE);
	ck_assert_uint_eq(catalog_topic(c, 1000), UINT16_MAX);
	ck_assert(catalog_start(c, 1000) == SIMTIME_NEVER);
	ck_assert_int_eq(catalog_apply(c, &like, &err), 0);
	ck_assert_uint_eq(catalog_version(c), v);
	catfix_schedule(c, 2, 20, 1, NOW + 6 * SIMTIME_HOUR);   /* re-announced later */
	ck_assert_uint_eq(catalog_version(c), v + 1);
	ck_assert(catalog_start(c, 2) == NOW + 6 * SIMTIME_HOUR);
	ck_assert_uint_eq(catalog_announced_count(c), 6);
	catalog_free(c);
}
END_TEST

/* Events out of order are taken as the backend would: a show first seen
 * live is entered live (start = go-live time), a re-announcement of a
 * live show changes nothing, anything after the end is ignored. */
START_TEST(out_of_order_events_latest_state_wins)
{
	struct catalog *c = catalog_new(0);
	uint32_t out[8];

	catfix_apply(c, EVENT_SHOW_LIVE, 40, 4, 0, 100, 0);      /* never announced */
	ck_assert_int_eq(catalog_state(c, 40), CATALOG_LIVE);
	ck_assert(catalog_start(c, 40) == 100);
	catfix_schedule(c, 40, 4, 0, 5000);                        /* too late: on air */
	ck_assert_int_eq(catalog_state(c, 40), CATALOG_LIVE);
	ck_assert(catalog_start(c, 40) == 100);
	ck_assert_uint_eq(catalog_announced_count(c), 0);
	catfix_apply(c, EVENT_SHOW_END, 40, 4, 0, 200, 100);
	catfix_apply(c, EVENT_SHOW_LIVE, 40, 4, 0, 300, 0);       /* a late duplicate */
	catfix_schedule(c, 40, 4, 0, 400);
	ck_assert_int_eq(catalog_state(c, 40), CATALOG_ENDED);
	ck_assert_uint_eq(catalog_live_count(c), 0);
	ck_assert_uint_eq(catalog_candidates(c, 300, SIMTIME_DAY, SIMTIME_HOUR, out, 8), 0);
	/* an announced show that ends without going live leaves the index */
	catfix_schedule(c, 41, 4, 0, 1000);
	ck_assert_uint_eq(catalog_announced_count(c), 1);
	catfix_apply(c, EVENT_SHOW_END, 41, 4, 0, 900, 0);
	ck_assert_uint_eq(catalog_announced_count(c), 0);
	catalog_free(c);
}
END_TEST

START_TEST(show_ids_beyond_the_limit_are_refused)
{
	struct catalog *c = catalog_new(0);
	struct event ev = { .id = 1, .show = CATALOG_MAX_SHOW, .creator = 1, .topic = 0,
			    .type = EVENT_SHOW_LIVE };
	struct error err;

	ck_assert_int_eq(catalog_apply(c, &ev, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "show id"));
	ck_assert_uint_eq(catalog_version(c), 0);
	ck_assert_int_eq(catalog_state(c, CATALOG_MAX_SHOW), CATALOG_UNKNOWN);
	catalog_free(c);
}
END_TEST

/* A reference: the same states kept in plain arrays, candidates by a
 * linear scan in the documented order. */
#define REF_SHOWS 300

struct ref {
	int state[REF_SHOWS];
	simtime start[REF_SHOWS];
};

static size_t ref_candidates(const struct ref *r, simtime now, simtime horizon, simtime grace,
			     uint32_t *out, size_t cap)
{
	size_t n = 0;
	simtime best;

	for (uint32_t s = 0; s < REF_SHOWS && n < cap; s++)
		if (r->state[s] == CATALOG_LIVE)
			out[n++] = s;
	/* announced, by (start, id): repeated minimum above the last taken */
	for (simtime last_t = INT64_MIN, last_s = -1; n < cap;) {
		uint32_t pick = UINT32_MAX;

		best = INT64_MAX;
		for (uint32_t s = 0; s < REF_SHOWS; s++) {
			simtime t = r->start[s];

			if (r->state[s] != CATALOG_ANNOUNCED || t < now - grace || t > now + horizon)
				continue;
			if (t < last_t || (t == last_t && (simtime)s <= last_s))
				continue;
			if (t < best || (t == best && s < pick)) {
				best = t;
				pick = s;
			}
		}
		if (pick == UINT32_MAX)
			break;
		out[n++] = pick;
		last_t = best;
		last_s = pick;
	}
	return n;
}

/* 5,000 random show events (announcements, go-lives, ends, in any order)
 * on 300 ids: after each, the catalog's candidates at a random time equal
 * the linear scan's, for a random cap. */
START_TEST(random_events_match_a_linear_scan)
{
	struct catalog *c = catalog_new(8);
	static struct ref r;
	struct rng g;
	uint32_t got[REF_SHOWS], want[REF_SHOWS];

	for (size_t s = 0; s < REF_SHOWS; s++) {
		r.state[s] = CATALOG_UNKNOWN;
		r.start[s] = SIMTIME_NEVER;
	}
	rng_init(&g, 17, RNG_TEST, 0, 0);
	for (int i = 0; i < 5000; i++) {
		uint32_t s = (uint32_t)rng_below(&g, REF_SHOWS);
		double u = rng_uniform(&g);
		simtime t = (simtime)rng_below(&g, 48) * SIMTIME_HOUR;
		simtime now = (simtime)rng_below(&g, 48) * SIMTIME_HOUR;
		size_t cap = 1 + (size_t)rng_below(&g, REF_SHOWS), n;

		if (u < 0.5) {
			catfix_schedule(c, s, s, (uint16_t)(s % 7), t);
			if (r.state[s] != CATALOG_LIVE && r.state[s] != CATALOG_ENDED) {
				r.state[s] = CATALOG_ANNOUNCED;
				r.start[s] = t;
			}
		} else if (u < 0.8) {
			catfix_apply(c, EVENT_SHOW_LIVE, s, s, (uint16_t)(s % 7), t, 0);
			if (r.state[s] != CATALOG_ENDED) {
				if (r.start[s] == SIMTIME_NEVER)
					r.start[s] = t;
				r.state[s] = CATALOG_LIVE;
			}
		} else {
			catfix_apply(c, EVENT_SHOW_END, s, s, (uint16_t)(s % 7), t, 0);
			if (r.state[s] != CATALOG_ENDED && r.start[s] == SIMTIME_NEVER)
				r.start[s] = t;
			r.state[s] = CATALOG_ENDED;
		}
		n = catalog_candidates(c, now, 6 * SIMTIME_HOUR, 30 * SIMTIME_MIN, got, cap);
		ck_assert_uint_eq(n, ref_candidates(&r, now, 6 * SIMTIME_HOUR, 30 * SIMTIME_MIN,
						    want, cap));
		for (size_t k = 0; k < n; k++)
			ck_assert_msg(got[k] == want[k], "event %d slot %zu: %u vs %u", i, k, got[k],
				      want[k]);
		ck_assert_int_eq(catalog_state(c, s), r.state[s]);
	}
	catalog_free(c);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, candidates_live_then_upcoming_within_horizon);
	tcase_add_test(tc, catalog_refuses_bad_show_events);
	tcase_add_test(tc, show_facts_and_version);
	tcase_add_test(tc, out_of_order_events_latest_state_wins);
	tcase_add_test(tc, show_ids_beyond_the_limit_are_refused);
	tcase_add_test(tc, random_events_match_a_linear_scan);
}

CHECK_MAIN("catalog", add_tests, 60)
