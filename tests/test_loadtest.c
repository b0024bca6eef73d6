/* serve/loadtest: the open-loop scheduler.  No assertion on wall-clock
 * speed: a fake clock that only handlers move, or counts and equalities. */
#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "common/hist.h"
#include "serve/loadtest.h"
#include "serve/loadrun.h"

#include "tests/check_main.h"
#include "tests/tmpdir.h"

#define MS INT64_C(1000000)

/* Fake time: sleeping jumps to the wake-up time; service advances it. */
struct fake {
	_Atomic int64_t now;
	int64_t service;          /* ns each request takes */
	atomic_size_t calls;
};

static int64_t fake_now(void *ctx)
{
	return atomic_load(&((struct fake *)ctx)->now);
}

static void fake_sleep_until(void *ctx, int64_t t)
{
	struct fake *f = ctx;
	int64_t cur = atomic_load(&f->now);

	while (cur < t && !atomic_compare_exchange_weak(&f->now, &cur, t))
		;
}

static int fake_handler(void *ctx, size_t i, uint32_t user)
{
	struct fake *f = ctx;

	(void)i;
	(void)user;
	atomic_fetch_add(&f->now, f->service);
	atomic_fetch_add(&f->calls, 1);
	return 0;
}

static void run_fake(struct fake *f, const struct loadtest_schedule *s, size_t queue,
		     struct loadtest_report *rep)
{
	struct loadtest_clock clk = { fake_now, fake_sleep_until, f };
	struct loadtest_config cfg = { .threads = 1, .queue_bound = queue, .late_after_ns = MS,
				       .clock = &clk };
	void *ctx[1] = { f };
	struct error err = { 0 };

	ck_assert_int_eq(loadtest_run(&cfg, s, fake_handler, ctx, rep, &err), 0);
}

START_TEST(constant_schedule_is_i_over_rate)
{
	struct loadtest_schedule s;
	struct error err = { 0 };

	ck_assert_int_eq(loadtest_schedule_constant(&s, 500, 2000 * MS, 1000, 7, &err), 0);
	ck_assert_uint_eq(s.n, 1000);
	for (size_t i = 0; i < s.n; i++) {
		ck_assert_int_eq(s.at[i], (int64_t)i * 2 * MS);
		ck_assert_uint_lt(s.user[i], 1000);
	}
	loadtest_schedule_release(&s);
}
END_TEST

/* Segments of 1 s at 10, 0 and 30 per second: 10 arrivals in the first
 * second, none in the second, 30 in the third, each in its segment. */
START_TEST(piecewise_schedule_follows_the_rates)
{
	const double rate[3] = { 10, 0, 30 };
	struct loadtest_schedule s;
	struct error err = { 0 };
	size_t per[3] = { 0 };

	ck_assert_int_eq(loadtest_schedule_piecewise(&s, rate, 3, 1000 * MS, 50, 1, &err), 0);
	ck_assert_uint_eq(s.n, 40);
	for (size_t i = 0; i < s.n; i++) {
		per[s.at[i] / (1000 * MS)]++;
		if (i)
			ck_assert_int_ge(s.at[i], s.at[i - 1]);
	}
	ck_assert_uint_eq(per[0], 10);
	ck_assert_uint_eq(per[1], 0);
	ck_assert_uint_eq(per[2], 30);
	loadtest_schedule_release(&s);
	ck_assert_int_eq(loadtest_schedule_piecewise(&s, (const double[]){ -1 }, 1, MS, 1, 1, &err),
			 ERR_INPUT);
}
END_TEST

/* The schedule does not depend on the service: a fast and a slow handler
 * get the same requests, every one of them, at the same intended times. */
START_TEST(intended_times_do_not_depend_on_service_time)
{
	struct loadtest_schedule s;
	struct loadtest_report fast, slow;
	struct fake f1 = { .service = 0 }, f2 = { .service = 10 * MS };
	struct error err = { 0 };

	ck_assert_int_eq(loadtest_schedule_constant(&s, 1000, 100 * MS, 10, 1, &err), 0);
	run_fake(&f1, &s, 1000, &fast);
	run_fake(&f2, &s, 1000, &slow);
	ck_assert_uint_eq(atomic_load(&f1.calls), s.n);
	ck_assert_uint_eq(atomic_load(&f2.calls), s.n);
	ck_assert_uint_eq(fast.completed, s.n);
	ck_assert_uint_eq(slow.completed, s.n);
	/* Fast: every request starts on time and takes nothing. */
	for (size_t i = 0; i < s.n; i++) {
		ck_assert_int_eq(fast.start[i], s.at[i]);
		ck_assert_int_eq(fast.end[i], s.at[i]);
	}
	ck_assert_uint_eq(fast.late, 0);
	loadtest_report_release(&fast);
	loadtest_report_release(&slow);
	loadtest_schedule_release(&s);
}
END_TEST

/* One worker, arrivals every 1 ms, 10 ms of service each: request i
 * starts when i-1 ends, at 10 i ms, and ends at 10 (i + 1) ms, so its
 * latency from the intended start (i ms) is 10 + 9 i ms, growing without
 * bound.  A closed-loop tool would report 10 ms for every request. */
START_TEST(slow_handler_shows_latency_growing_from_intended_start)
{
	struct loadtest_schedule s;
	struct loadtest_report rep;
	struct fake f = { .service = 10 * MS };
	struct error err = { 0 };

	ck_assert_int_eq(loadtest_schedule_constant(&s, 1000, 100 * MS, 10, 1, &err), 0);
	run_fake(&f, &s, 1000, &rep);
	for (size_t i = 0; i < s.n; i++) {
		ck_assert_int_eq(rep.start[i], 10 * MS * (int64_t)i);
		ck_assert_int_eq(rep.end[i] - s.at[i], 10 * MS + 9 * MS * (int64_t)i);
	}
	ck_assert_int_eq(hist_quantile(&rep.service, 0.99) / MS, 10);
	/* p99 of 100 values is the 99th smallest, i = 98: 10 + 9 * 98 = 892 ms
	 * (within 0.1 %: 3 significant digits). */
	ck_assert_int_ge(hist_quantile(&rep.latency, 0.99), 891 * MS);
	ck_assert_int_le(hist_quantile(&rep.latency, 0.99), 893 * MS);
	ck_assert_int_le(hist_max(&rep.latency), 902 * MS);
	ck_assert_uint_eq(rep.late, 99);    /* all but the first */
	loadtest_report_release(&rep);
	loadtest_schedule_release(&s);
}
END_TEST

/* A reference FIFO tail-drop queue with one server and deterministic
 * service, fed at the intended times: the count the lazy admission must
 * reproduce. */
static size_t reference_drops(const struct loadtest_schedule *s, int64_t service, size_t bound)
{
	int64_t free_at = 0;
	size_t dropped = 0, served = 0;
	int64_t *starts = calloc(s->n, sizeof(*starts));

	for (size_t i = 0; i < s->n; i++) {
		size_t waiting = 0;

		/* Accepted requests not yet started when i arrives. */
		for (size_t j = 0; j < served; j++)
			if (starts[j] > s->at[i])
				waiting++;
		if (waiting >= bound) {
			dropped++;
			continue;
		}
		starts[served] = free_at > s->at[i] ? free_at : s->at[i];
		free_at = starts[served] + service;
		served++;
	}
	free(starts);
	return dropped;
}

START_TEST(a_full_queue_drops_arrivals_as_a_fifo_would)
{
	struct loadtest_schedule s;
	struct loadtest_report rep;
	struct fake f = { .service = 10 * MS };
	struct error err = { 0 };
	size_t expect, dropped = 0;

	ck_assert_int_eq(loadtest_schedule_constant(&s, 1000, 200 * MS, 10, 1, &err), 0);
	expect = reference_drops(&s, 10 * MS, 5);
	ck_assert_uint_gt(expect, 0);
	run_fake(&f, &s, 5, &rep);
	ck_assert_uint_eq(rep.dropped, expect);
	ck_assert_uint_eq(rep.completed + rep.dropped, s.n);
	for (size_t i = 0; i < s.n; i++)
		if (rep.status[i] == LOADTEST_DROPPED) {
			dropped++;
			ck_assert_int_eq(rep.start[i], -1);
		}
	ck_assert_uint_eq(dropped, expect);
	ck_assert_uint_eq(hist_count(&rep.latency), rep.completed);
	loadtest_report_release(&rep);
	loadtest_schedule_release(&s);
}
END_TEST

static int odd_fails(void *ctx, size_t i, uint32_t user)
{
	(void)ctx;
	(void)user;
	return (i & 1) ? ERR_IO : 0;
}

/* Real threads on the real clock: the merged per-thread histogram equals
 * one histogram of every request's latency (no speed asserted). */
START_TEST(merged_thread_histograms_equal_a_single_one)
{
	struct loadtest_schedule s;
	struct loadtest_report rep;
	struct loadtest_config cfg = { .threads = 4, .queue_bound = 100000, .late_after_ns = MS };
	void *ctx[4] = { 0 };
	struct error err = { 0 };
	struct hist one;
	size_t cur_a = 0, cur_b = 0;
	int64_t lo_a, hi_a, lo_b, hi_b;
	uint64_t n_a, n_b;

	ck_assert_int_eq(loadtest_schedule_constant(&s, 20000, 20 * MS, 10, 1, &err), 0);
	ck_assert_int_eq(loadtest_run(&cfg, &s, odd_fails, ctx, &rep, &err), 0);
	ck_assert_uint_eq(rep.completed + rep.errors + rep.dropped, s.n);
	ck_assert_uint_eq(rep.errors, s.n / 2);
	ck_assert_int_eq(hist_init(&one, LOADTEST_HIST_HIGHEST, LOADTEST_HIST_DIGITS, &err), 0);
	for (size_t i = 0; i < s.n; i++)
		if (rep.status[i] == LOADTEST_OK || rep.status[i] == LOADTEST_ERROR)
			hist_record(&one, rep.end[i] - s.at[i] > 0 ? rep.end[i] - s.at[i] : 0);
	ck_assert_uint_eq(hist_count(&one), hist_count(&rep.latency));
	ck_assert_int_eq(hist_max(&one), hist_max(&rep.latency));
	while (hist_next_bucket(&one, &cur_a, &lo_a, &hi_a, &n_a)) {
		ck_assert(hist_next_bucket(&rep.latency, &cur_b, &lo_b, &hi_b, &n_b));
		ck_assert_int_eq(lo_a, lo_b);
		ck_assert_uint_eq(n_a, n_b);
	}
	ck_assert(!hist_next_bucket(&rep.latency, &cur_b, &lo_b, &hi_b, &n_b));
	hist_release(&one);
	loadtest_report_release(&rep);
	loadtest_schedule_release(&s);
}
END_TEST

START_TEST(bad_config_is_refused)
{
	struct loadtest_schedule s;
	struct loadtest_report rep;
	struct loadtest_config cfg = { .threads = 0, .queue_bound = 1 };
	struct error err = { 0 };

	ck_assert_int_eq(loadtest_schedule_constant(&s, 10, 100 * MS, 1, 1, &err), 0);
	ck_assert_int_eq(loadtest_run(&cfg, &s, odd_fails, NULL, &rep, &err), ERR_INPUT);
	loadtest_report_release(&rep);
	cfg.threads = 1;
	cfg.queue_bound = 0;
	ck_assert_int_eq(loadtest_run(&cfg, &s, odd_fails, NULL, &rep, &err), ERR_INPUT);
	loadtest_report_release(&rep);
	loadtest_schedule_release(&s);
	ck_assert_int_eq(loadtest_schedule_constant(&s, 0, MS, 1, 1, &err), ERR_INPUT);
}
END_TEST

/* The percentile CSV: header, increasing percentiles, the max last. */
START_TEST(percentile_csv_has_the_spectrum)
{
	char path[128], line[256];
	struct error err = { 0 };
	struct hist h;
	FILE *f;
	double last_q = -1, q, v;
	int rows = 0;

	tmpdir_setup();
	snprintf(path, sizeof(path), "%s/p.csv", tmpdir);
	ck_assert_int_eq(hist_init(&h, LOADTEST_HIST_HIGHEST, 3, &err), 0);
	for (int64_t i = 1; i <= 10000; i++)
		hist_record(&h, i * 1000);      /* 1 us .. 10 ms */
	ck_assert_int_eq(loadrun_write_percentiles(&h, path, &err), 0);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, "Value_us,Percentile,TotalCount,1/(1-Percentile)\n");
	while (fgets(line, sizeof(line), f)) {
		ck_assert_int_ge(sscanf(line, "%lf,%lf", &v, &q), 2);
		ck_assert(q > last_q);
		last_q = q;
		rows++;
	}
	fclose(f);
	ck_assert_double_eq(last_q, 1.0);
	ck_assert_double_eq_tol(v, 10000.0, 10.0);
	ck_assert_int_gt(rows, 50);   /* five per halving down to 1/10000 */
	hist_release(&h);
	tmpdir_teardown();
}
END_TEST

/* A linear ramp puts request i where the integrated rate reaches i. */
START_TEST(ramp_schedule_integrates_the_rate)
{
	struct loadtest_schedule s, c;
	struct error err = { 0 };
	size_t first_half = 0;

	/* 0 -> 100 rps over 1 s: 50 requests, 12.5 of them in the first half. */
	ck_assert_int_eq(loadtest_schedule_ramp(&s, 0, 100, 1000 * MS, 10, 1, &err), 0);
	ck_assert_uint_eq(s.n, 50);
	for (size_t i = 0; i < s.n; i++) {
		ck_assert_int_lt(s.at[i], 1000 * MS);
		if (i)
			ck_assert_int_ge(s.at[i], s.at[i - 1]);
		first_half += s.at[i] < 500 * MS;
	}
	ck_assert_uint_eq(first_half, 13);   /* i = 0 .. 12 */
	/* Request 1 at sqrt(2 / 100) s. */
	ck_assert_int_eq(s.at[1] / 1000, 141421);
	loadtest_schedule_release(&s);
	/* Flat: the constant schedule. */
	ck_assert_int_eq(loadtest_schedule_ramp(&s, 200, 200, 500 * MS, 10, 1, &err), 0);
	ck_assert_int_eq(loadtest_schedule_constant(&c, 200, 500 * MS, 10, 1, &err), 0);
	ck_assert_uint_eq(s.n, c.n);
	for (size_t i = 0; i < s.n; i++) {
		ck_assert_int_eq(s.at[i], c.at[i]);
		ck_assert_uint_eq(s.user[i], c.user[i]);
	}
	loadtest_schedule_release(&s);
	loadtest_schedule_release(&c);
	/* Down to 0: 100 -> 0 over 1 s, 50 requests, more early than late. */
	ck_assert_int_eq(loadtest_schedule_ramp(&s, 100, 0, 1000 * MS, 10, 1, &err), 0);
	ck_assert_uint_eq(s.n, 50);
	ck_assert_int_lt(s.at[24], 300 * MS);
	loadtest_schedule_release(&s);
	ck_assert_int_eq(loadtest_schedule_ramp(&s, 0, 0, 1000 * MS, 10, 1, &err), ERR_INPUT);
	ck_assert_int_eq(loadtest_schedule_ramp(&s, -1, 5, 1000 * MS, 10, 1, &err), ERR_INPUT);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, ramp_schedule_integrates_the_rate);
	tcase_add_test(tc, constant_schedule_is_i_over_rate);
	tcase_add_test(tc, piecewise_schedule_follows_the_rates);
	tcase_add_test(tc, intended_times_do_not_depend_on_service_time);
	tcase_add_test(tc, slow_handler_shows_latency_growing_from_intended_start);
	tcase_add_test(tc, a_full_queue_drops_arrivals_as_a_fifo_would);
	tcase_add_test(tc, merged_thread_histograms_equal_a_single_one);
	tcase_add_test(tc, bad_config_is_refused);
	tcase_add_test(tc, percentile_csv_has_the_spectrum);
}

CHECK_MAIN("loadtest", add_tests, 30)
