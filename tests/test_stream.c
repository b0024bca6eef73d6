/* Tests for engine/stream.c: conservation under failures and duplicates,
 * reflection time, a spike through a low concurrency limit, store outage. */
#include "engine/stream.h"
#include "engine/workers.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "common/scenario.h"
#include "tests/scenfile.h"
#include "common/calendar.h"
#include "common/rng.h"
#include "common/series.h"

#include "tests/check_main.h"
#include "tests/defaults.h"

enum { NSHOWS = 50, NCREATORS = 10 };

static void base_config(struct stream_config *cfg)
{
	*cfg = test_defaults()->stream;
	cfg->pit.n_shows = NSHOWS;
	cfg->pit.n_creators = NCREATORS;
	cfg->pit.dedup_capacity = 1 << 16;
	cfg->pit.session_capacity = 1 << 14;
	cfg->pit.follow_capacity = 1 << 14;
	cfg->queue.max_messages = 1 << 16;
	cfg->length = 3 * SIMTIME_HOUR;
	cfg->seed = 11;
}

static struct event mk(uint64_t id, int type, simtime t, uint32_t user, uint32_t show, int64_t v)
{
	struct event e = { .id = id, .emit_time = t, .type = (uint8_t)type, .user = user,
			   .show = show, .creator = show % NCREATORS, .value = v,
			   .session = EVENT_NONE, .topic = UINT16_MAX, .position = UINT16_MAX };
	return e;
}

static int by_time(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->emit_time != y->emit_time)
		return x->emit_time < y->emit_time ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Listening sessions, likes, follows and some impressions over 30 minutes,
 * sorted by emit time. */
static size_t make_events(struct event *evs, size_t max)
{
	struct rng r;
	size_t n = 0;
	uint64_t id = 1;

	rng_init(&r, 21, RNG_TEST, 0, 0);
	for (uint32_t u = 0; u < 600 && n + 5 <= max; u++) {
		uint32_t show = (uint32_t)rng_below(&r, NSHOWS);
		simtime start = (simtime)rng_below(&r, 30 * SIMTIME_MIN);
		simtime dur = (simtime)rng_below(&r, 12 * SIMTIME_MIN) + 1;
		evs[n++] = mk(id++, EVENT_IMPRESSION, start - 1 > 0 ? start - 1 : 0, u, show, 0);
		evs[n++] = mk(id++, EVENT_LISTEN_START, start, u, show, 0);
		if (rng_below(&r, 2))
			evs[n++] = mk(id++, EVENT_LIKE, start + dur / 2, u, show, 0);
		if (rng_below(&r, 3) == 0)
			evs[n++] = mk(id++, EVENT_FOLLOW, start + dur / 3, u, show, 0);
		evs[n++] = mk(id++, EVENT_LISTEN_END, start + dur, u, show, dur);
	}
	qsort(evs, n, sizeof(*evs), by_time);
	return n;
}

struct run {
	struct calendar *cal;
	struct stream *s;
};

static void run_events(struct run *r, const struct stream_config *cfg, const struct event *evs,
		       size_t n, simtime until)
{
	struct error err;

	r->cal = calendar_new(0, 1024);
	r->s = stream_new(cfg, r->cal, &err);
	ck_assert_msg(r->s != NULL, "%s", err.msg);
	for (size_t i = 0; i < n; i++) {
		calendar_run_until(r->cal, evs[i].emit_time);
		ck_assert_int_eq(stream_publish(r->s, &evs[i]), 0);
	}
	calendar_run_until(r->cal, until);
}

static void run_free(struct run *r)
{
	stream_free(r->s);
	calendar_free(r->cal);
}

static void assert_conserved(const struct stream *s, uint64_t n)
{
	const struct stream_counts *c = stream_counts(s);

	ck_assert(stream_idle(s));
	ck_assert_uint_eq(c->published, n);
	ck_assert_uint_eq(stream_unsettled(s), 0);
	ck_assert_uint_eq(c->filtered + c->rejected + c->applied + c->ignored + c->dead_unapplied +
			  c->expired_unapplied, n);
}

/* 20 % of batches fail (whole batch returns after the visibility timeout)
 * and 5 % of deletes miss a replica (duplicates).  Exactly-once effect means
 * every stored feature equals the failure-free run's.  max_receive_count is
 * raised to 10 so no message is dead-lettered: P(a message fails 10 times)
 * <= 0.2^10 = 1e-7 per message.  A failed batch's items come back only after
 * the 30 s visibility timeout, and > 1 % of messages are in failed batches
 * (20 % of batches, items at or after the failure point), so the p99 of
 * reflection grows by at least the timeout. */
START_TEST(failures_and_duplicates_give_identical_features)
{
	static struct event evs[4000];
	size_t n = make_events(evs, 4000);
	struct stream_config cfg;
	struct run a, b;
	simtime until = 2 * SIMTIME_HOUR;
	struct online *oa, *ob;

	base_config(&cfg);
	cfg.queue.max_receive_count = 10;
	run_events(&a, &cfg, evs, n, until);
	cfg.workers.failure_rate = 0.2;
	cfg.queue.duplicate_rate = 0.05;
	run_events(&b, &cfg, evs, n, until);

	assert_conserved(a.s, n);
	assert_conserved(b.s, n);
	ck_assert_uint_gt(stream_counts(b.s)->batch_failures, 0);
	ck_assert_uint_gt(stream_counts(b.s)->duplicates, 0);
	ck_assert_uint_eq(stream_counts(b.s)->dead_unapplied, 0);
	ck_assert_uint_eq(stream_counts(a.s)->duplicates, 0);
	ck_assert_uint_eq(stream_counts(a.s)->applied, stream_counts(b.s)->applied);
	ck_assert_uint_gt(stream_counts(a.s)->filtered, 0);   /* impressions */
	oa = stream_online(a.s);
	ob = stream_online(b.s);
	for (uint32_t s = 0; s < NSHOWS; s++)
		for (int f = 0; f < PIT_SHOW_FEATURES; f++) {
			float va = online_get(oa, PIT_TABLE_SHOW, s, f, until);
			float vb = online_get(ob, PIT_TABLE_SHOW, s, f, until);
			ck_assert_msg(va == vb || (isnan(va) && isnan(vb)),
				      "show %u %s: %g vs %g", s, pit_feature_name(0, f), va, vb);
		}
	for (uint32_t c = 0; c < NCREATORS; c++)
		ck_assert_float_eq(online_get(oa, PIT_TABLE_CREATOR, c, 0, until),
				   online_get(ob, PIT_TABLE_CREATOR, c, 0, until));
	ck_assert_float_eq(online_get(oa, PIT_TABLE_SHOW, 0, PIT_LIVE_LISTENERS, until), 0);
	ck_assert_int_ge(hist_quantile(stream_reflection(b.s), 0.99),
			 hist_quantile(stream_reflection(a.s), 0.99) + cfg.queue.visibility_timeout);
	ck_assert_uint_gt(hist_count(stream_reflection_feature(a.s, PIT_TABLE_SHOW, PIT_LIKES)), 0);
	run_free(&a);
	run_free(&b);
}
END_TEST

START_TEST(same_seed_same_results)
{
	static struct event evs[4000];
	size_t n = make_events(evs, 4000);
	struct stream_config cfg;
	struct run a, b;

	base_config(&cfg);
	cfg.workers.failure_rate = 0.1;
	run_events(&a, &cfg, evs, n, SIMTIME_HOUR);
	run_events(&b, &cfg, evs, n, SIMTIME_HOUR);
	ck_assert_uint_eq(stream_counts(a.s)->batches, stream_counts(b.s)->batches);
	ck_assert_uint_eq(hist_count(stream_reflection(a.s)), hist_count(stream_reflection(b.s)));
	ck_assert_int_eq(hist_max(stream_reflection(a.s)), hist_max(stream_reflection(b.s)));
	ck_assert(hist_mean(stream_reflection(a.s)) == hist_mean(stream_reflection(b.s)));
	run_free(&a);
	run_free(&b);
}
END_TEST

/* Capacity: a batch of 10 costs 5 + 10 * 10 + 2 = 107 ms, so 2 slots process
 * ~187 msg/s.  The spike brings 600 msg/s for 60 s (36,000 messages), the
 * queue grows by ~25,000 and drains at ~167 msg/s over the 20 msg/s base:
 * ~2.5 min.  Ten minutes after the spike the queue is back near empty and
 * reflection back to a few hundred ms. */
START_TEST(spike_through_low_concurrency_limit_recovers)
{
	static struct event evs[60000];
	struct stream_config cfg;
	struct run r;
	struct rng g;
	size_t n = 0;
	uint64_t id = 1;
	const struct series *depth, *refl;

	base_config(&cfg);
	cfg.workers.max_concurrency = 2;
	cfg.workers.initial_concurrency = 2;
	cfg.workers.per_message = 10 * SIMTIME_MS;
	cfg.queue.max_messages = 100000;
	cfg.pit.dedup_capacity = 1 << 17;
	cfg.queue.visibility_timeout = 15 * SIMTIME_MIN;  /* long batches never time out */
	rng_init(&g, 3, RNG_TEST, 0, 0);
	for (simtime t = 0; t < 30 * SIMTIME_MIN && n < 60000; ) {
		bool spike = t >= 10 * SIMTIME_MIN && t < 11 * SIMTIME_MIN;
		uint32_t show = (uint32_t)rng_below(&g, NSHOWS);
		evs[n] = mk(id, EVENT_LIKE, t, (uint32_t)id, show, 0);
		n++;
		id++;
		t += spike ? SIMTIME_S / 600 : SIMTIME_S / 20;
	}
	run_events(&r, &cfg, evs, n, SIMTIME_HOUR);
	assert_conserved(r.s, n);
	depth = stream_depth_series(r.s);
	refl = stream_reflection_series(r.s);
	/* before the spike (minute 5), in it (minute 10), and well after (25) */
	ck_assert_int_lt(series_bucket_max(depth, 5), 50);
	ck_assert_int_gt(series_bucket_max(depth, 10), 10000);
	ck_assert_int_lt(series_bucket_max(depth, 25), 50);
	ck_assert_int_lt(series_bucket_quantile(refl, 5, 0.99), SIMTIME_S);
	ck_assert_int_gt(series_bucket_max(refl, 12), 60 * SIMTIME_S);
	ck_assert_int_lt(series_bucket_quantile(refl, 25, 0.99), SIMTIME_S);
	ck_assert_int_lt(series_bucket_max(stream_concurrency_series(r.s), 10), 3);
	/* the backlog is a throttle at the limit of 2 (minutes long), and every
	 * batch started cold or warm, the first two cold */
	ck_assert_uint_ge(stream_counts(r.s)->throttles, 1);
	ck_assert_uint_gt(stream_counts(r.s)->throttled_us, 60 * SIMTIME_S);
	ck_assert_uint_lt(stream_counts(r.s)->throttled_us, 30 * SIMTIME_MIN);
	ck_assert_uint_ge(workers_stats(stream_workers(r.s))->cold_starts, 2);
	ck_assert_uint_eq(workers_stats(stream_workers(r.s))->cold_starts +
				  workers_stats(stream_workers(r.s))->warm_starts,
			  stream_counts(r.s)->batches);
	run_free(&r);
}
END_TEST

/* A store outage of 2 minutes: batches retry with backoff and then fail
 * (8 attempts span 50 ms .. 5 s, ~16 s), messages come back and apply after
 * the outage; nothing is lost and reads during the outage fail. */
START_TEST(store_outage_retries_and_recovers)
{
	static struct event evs[4000];
	size_t n = make_events(evs, 4000);
	struct stream_config cfg;
	struct run a, b;
	uint32_t ids[NSHOWS];
	float out[NSHOWS * PIT_SHOW_FEATURES];

	base_config(&cfg);
	cfg.queue.max_receive_count = 50;
	run_events(&a, &cfg, evs, n, 2 * SIMTIME_HOUR);
	cfg.outage_start = 10 * SIMTIME_MIN;
	cfg.outage_end = 12 * SIMTIME_MIN;
	run_events(&b, &cfg, evs, n, 2 * SIMTIME_HOUR);
	assert_conserved(b.s, n);
	ck_assert_uint_gt(stream_counts(b.s)->store_retries, 0);
	ck_assert_uint_gt(stream_counts(b.s)->store_failures, 0);
	ck_assert_uint_gt(queue_stats(stream_queue(b.s))->visibility_expired, 0);
	for (uint32_t i = 0; i < NSHOWS; i++)
		ids[i] = i;
	ck_assert_int_eq(online_read(stream_online(b.s), 0, ids, NSHOWS, out, 11 * SIMTIME_MIN),
			 ERR_UNAVAILABLE);
	ck_assert_uint_eq(online_stats(stream_online(b.s))->unavailable_reads, 1);
	for (uint32_t s = 0; s < NSHOWS; s++)
		for (int f = 0; f < PIT_SHOW_FEATURES; f++) {
			float va = online_get(stream_online(a.s), 0, s, f, 2 * SIMTIME_HOUR);
			float vb = online_get(stream_online(b.s), 0, s, f, 2 * SIMTIME_HOUR);
			ck_assert(va == vb || (isnan(va) && isnan(vb)));
		}
	run_free(&a);
	run_free(&b);
}
END_TEST

START_TEST(backpressure_reported_to_publisher)
{
	struct stream_config cfg;
	struct calendar *cal = calendar_new(0, 64);
	struct stream *s;
	struct error err;
	int full = 0;

	base_config(&cfg);
	cfg.queue.max_messages = 100;
	s = stream_new(&cfg, cal, &err);
	ck_assert_ptr_nonnull(s);
	for (uint64_t i = 1; i <= 150; i++) {
		struct event e = mk(i, EVENT_LIKE, 0, 1, 1, 0);
		if (stream_publish(s, &e) == ERR_FULL)
			full++;
	}
	ck_assert_int_eq(full, 50);
	ck_assert_uint_eq(stream_counts(s)->rejected, 50);
	calendar_run_until(cal, SIMTIME_MIN);
	assert_conserved(s, 150);
	stream_free(s);
	calendar_free(cal);
	base_config(&cfg);
	cfg.pit.n_shows = 0;
	ck_assert_ptr_null(stream_new(&cfg, cal = calendar_new(0, 4), &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	calendar_free(cal);
}
END_TEST

/* The rules between [stream] and [faults] keys name file, line and keys. */
static void expect_stream_error(const char *text, int line, const char *what)
{
	struct config cfg;
	struct scenfile f;
	struct error err;

	scenfile_load(&f, text, NULL, 0);
	ck_assert_int_eq(config_load(&cfg, f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, line, what);
	scenfile_release(&f);
}

START_TEST(load_errors_name_file_line_and_key)
{
	expect_stream_error("[stream]\nwindow = 90s\n", 2,
			    "bad value '90s' for [stream] window: expected whole minutes");
	expect_stream_error("[stream]\nmax_concurrency = 10\ninitial_concurrency = 20\n", 3,
			    "value '20' out of range for [stream] initial_concurrency: must be at "
			    "most [stream] max_concurrency = 10");
	expect_stream_error("[stream]\nstore_retry_max = 10ms\n", 2,
			    "value '10ms' out of range for [stream] store_retry_max: must be at "
			    "least [stream] store_retry_base = 50ms");
	expect_stream_error("[faults]\nstore_outage_start = 2h\nstore_outage_end = 1h\n", 3,
			    "value '1h' out of range for [faults] store_outage_end: must be at "
			    "least [faults] store_outage_start = 2h");
	/* only the start written: the rule is stated from its side */
	expect_stream_error("[faults]\n\nstore_outage_start = 2h\n", 3,
			    "value '2h' out of range for [faults] store_outage_start: must be at "
			    "most [faults] store_outage_end = 0s");
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, failures_and_duplicates_give_identical_features);
	tcase_add_test(tc, same_seed_same_results);
	tcase_add_test(tc, spike_through_low_concurrency_limit_recovers);
	tcase_add_test(tc, store_outage_retries_and_recovers);
	tcase_add_test(tc, backpressure_reported_to_publisher);
	tcase_add_test(tc, load_errors_name_file_line_and_key);
}

CHECK_MAIN("stream", add_tests, 60)
