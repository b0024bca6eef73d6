/* Tests for engine/workers.c: scaling, cold starts, batching, cost, failures. */
#include "engine/workers.h"

#include <check.h>
#include <stdlib.h>

#include "tests/check_main.h"
#include "tests/defaults.h"

static struct workers *new_workers(struct workers_config *cfg)
{
	struct error err;
	struct workers *w = workers_new(cfg, &err);

	ck_assert_msg(w != NULL, "%s", err.msg);
	return w;
}

START_TEST(starts_at_five_and_scales_300_per_minute)
{
	struct workers_config cfg;
	struct workers *w;
	struct workers_batch b;

	cfg = test_defaults()->stream.workers;
	w = new_workers(&cfg);
	ck_assert_uint_eq(workers_free_slots(w, 0, true), 5);
	for (int i = 0; i < 5; i++)
		workers_start(w, 0, 10, &b);
	ck_assert_uint_eq(workers_free_slots(w, 0, true), 0);
	/* one more slot per 200 ms while saturated with a backlog */
	ck_assert_int_eq(workers_next_scale(w, true), 200 * SIMTIME_MS);
	ck_assert_uint_eq(workers_free_slots(w, 200 * SIMTIME_MS, true), 1);
	/* hold the backlog for a minute, filling every new slot */
	for (simtime t = 200 * SIMTIME_MS; t <= SIMTIME_MIN; t += 100 * SIMTIME_MS) {
		uint32_t f = workers_free_slots(w, t, true);
		for (uint32_t i = 0; i < f; i++)
			workers_start(w, t, 10, &b);
	}
	ck_assert_uint_eq(workers_limit(w), 5 + 300);
	workers_free(w);
}
END_TEST

START_TEST(limit_capped_and_shrinks_when_idle)
{
	struct workers_config cfg;
	struct workers *w;
	struct workers_batch b[20];

	cfg = test_defaults()->stream.workers;
	cfg.max_concurrency = 20;
	w = new_workers(&cfg);
	for (simtime t = 0; t <= 10 * SIMTIME_S; t += 100 * SIMTIME_MS) {
		uint32_t f = workers_free_slots(w, t, true);
		for (uint32_t i = 0; i < f; i++)
			workers_start(w, t, 10, &b[workers_in_use(w)]);
	}
	ck_assert_uint_eq(workers_limit(w), 20);
	ck_assert_int_eq(workers_next_scale(w, true), SIMTIME_NEVER);
	for (int i = 0; i < 20; i++)
		workers_finish(w, b[i].slot, 11 * SIMTIME_S);
	workers_free_slots(w, 3 * SIMTIME_MIN, false);
	ck_assert_uint_eq(workers_limit(w), 5);
	ck_assert_uint_ge(workers_stats(w)->scale_downs, 1);
	workers_free(w);
}
END_TEST

START_TEST(cold_then_warm_then_reclaimed)
{
	struct workers_config cfg;
	struct workers *w;
	struct workers_batch b;

	cfg = test_defaults()->stream.workers;
	w = new_workers(&cfg);
	workers_start(w, 0, 10, &b);
	ck_assert(b.cold);
	/* cold start + overhead + 10 messages + store write */
	ck_assert_int_eq(b.done_at, cfg.cold_start + cfg.invoke_overhead + 10 * cfg.per_message +
				    cfg.store_write);
	workers_finish(w, b.slot, b.done_at);
	workers_start(w, b.done_at + 1, 3, &b);
	ck_assert(!b.cold);
	ck_assert_int_eq(b.done_at - b.start, cfg.invoke_overhead + 3 * cfg.per_message +
					      cfg.store_write);
	workers_finish(w, b.slot, b.done_at);
	workers_start(w, b.done_at + cfg.env_idle_ttl, 1, &b);
	ck_assert(b.cold);
	ck_assert_uint_eq(workers_stats(w)->envs_reclaimed, 1);
	workers_free(w);
}
END_TEST

START_TEST(batching_window_waits_for_full_batch)
{
	struct workers_config cfg;
	struct workers *w;
	simtime wake;

	cfg = test_defaults()->stream.workers;
	cfg.batch_window = SIMTIME_S;
	w = new_workers(&cfg);
	ck_assert_uint_eq(workers_take(w, 0, 3, &wake), 0);
	ck_assert_int_eq(wake, SIMTIME_S);
	ck_assert_uint_eq(workers_take(w, 500 * SIMTIME_MS, 12, &wake), 10);
	ck_assert_uint_eq(workers_take(w, 600 * SIMTIME_MS, 4, &wake), 0);
	ck_assert_uint_eq(workers_take(w, 1600 * SIMTIME_MS, 4, &wake), 4);
	cfg.batch_window = 0;
	workers_free(w);
	w = new_workers(&cfg);
	ck_assert_uint_eq(workers_take(w, 0, 3, &wake), 3);
	workers_free(w);
}
END_TEST

/* 4000 batches at failure rate 0.2: failures ~ Binomial(4000, 0.2), mean
 * 800, sd 25.3; [700, 900] is a ~4 sd band.  The failure point is uniform
 * on 0..9, mean 4.5, so the mean over ~800 failures has sd ~ 2.87/sqrt(800)
 * = 0.1: [4.0, 5.0] is a 5 sd band. */
START_TEST(failure_rate_and_point)
{
	struct workers_config cfg;
	struct workers *w;
	struct workers_batch b;
	uint64_t fails = 0, sum = 0;

	cfg = test_defaults()->stream.workers;
	cfg.failure_rate = 0.2;
	cfg.seed = 77;
	w = new_workers(&cfg);
	for (int i = 0; i < 4000; i++) {
		workers_start(w, i, 10, &b);
		if (b.fail_at < 10) {
			fails++;
			sum += b.fail_at;
		}
		workers_finish(w, b.slot, i);
	}
	ck_assert_uint_ge(fails, 700);
	ck_assert_uint_le(fails, 900);
	ck_assert((double)sum / (double)fails > 4.0 && (double)sum / (double)fails < 5.0);
	ck_assert_uint_eq(workers_stats(w)->failed_batches, fails);
	ck_assert_int_eq(workers_retry_delay(w, 1), 50 * SIMTIME_MS);
	ck_assert_int_eq(workers_retry_delay(w, 3), 200 * SIMTIME_MS);
	ck_assert_int_eq(workers_retry_delay(w, 20), 5 * SIMTIME_S);
	workers_free(w);
}
END_TEST

START_TEST(bad_config_rejected)
{
	struct workers_config cfg;
	struct error err;

	cfg = test_defaults()->stream.workers;
	cfg.initial_concurrency = 2000;
	ck_assert_ptr_null(workers_new(&cfg, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	cfg = test_defaults()->stream.workers;
	cfg.failure_rate = -0.1;
	ck_assert_ptr_null(workers_new(&cfg, &err));
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, starts_at_five_and_scales_300_per_minute);
	tcase_add_test(tc, limit_capped_and_shrinks_when_idle);
	tcase_add_test(tc, cold_then_warm_then_reclaimed);
	tcase_add_test(tc, batching_window_waits_for_full_batch);
	tcase_add_test(tc, failure_rate_and_point);
	tcase_add_test(tc, bad_config_rejected);
}

CHECK_MAIN("workers", add_tests, 20)
