/* Tests for engine/queue.c: visibility timeout, DLQ, retention, backpressure. */
#include "engine/queue.h"

#include <check.h>
#include <stdlib.h>

#include "common/rng.h"

#include "tests/check_main.h"
#include "tests/defaults.h"

static struct event ev_id(uint64_t id, simtime t)
{
	struct event e = { .id = id, .emit_time = t, .type = EVENT_LIKE, .show = 1, .user = 2 };
	return e;
}

static struct queue *small_queue(uint32_t cap)
{
	struct queue_config cfg;
	struct error err;
	struct queue *q;

	cfg = test_defaults()->stream.queue;
	cfg.max_messages = cap;
	q = queue_new(&cfg, &err);
	ck_assert_ptr_nonnull(q);
	return q;
}

struct outcomes { int deleted, dead, expired; enum queue_reason last_reason; };

static void count_outcome(void *ctx, const struct event *ev, enum queue_outcome out,
			  enum queue_reason reason, simtime now)
{
	struct outcomes *o = ctx;

	(void)ev; (void)now;
	if (out == QUEUE_OUT_DELETED) o->deleted++;
	if (out == QUEUE_OUT_DEAD_LETTER) o->dead++;
	if (out == QUEUE_OUT_EXPIRED) o->expired++;
	o->last_reason = reason;
}

START_TEST(receive_delete_roundtrip)
{
	struct queue *q = small_queue(16);
	struct queue_msg m[4];
	struct event e = ev_id(7, 0);
	struct outcomes o = { 0 };

	queue_set_outcome_fn(q, count_outcome, &o);
	ck_assert_int_eq(queue_send(q, &e, 0, 0), 0);
	ck_assert_uint_eq(queue_receive(q, 0, 4, m), 1);
	ck_assert_uint_eq(m[0].ev.id, 7);
	ck_assert_uint_eq(m[0].receive_count, 1);
	ck_assert_uint_eq(queue_receive(q, 1, 4, m + 1), 0);  /* invisible while in flight */
	ck_assert_int_eq(queue_delete(q, m[0].handle, 2), 0);
	ck_assert_int_eq(o.deleted, 1);
	ck_assert_uint_eq(queue_size(q), 0);
	queue_free(q);
}
END_TEST

START_TEST(visibility_timeout_redelivers)
{
	struct queue *q = small_queue(16);
	struct queue_msg m[2];
	struct event e = ev_id(1, 0);
	simtime vt = 30 * SIMTIME_S;

	queue_send(q, &e, 0, 0);
	ck_assert_uint_eq(queue_receive(q, 0, 1, m), 1);
	ck_assert_int_eq(queue_next_time(q), vt);
	ck_assert_uint_eq(queue_receive(q, vt - 1, 1, m + 1), 0);
	ck_assert_uint_eq(queue_receive(q, vt, 1, m + 1), 1);
	ck_assert_uint_eq(m[1].ev.id, 1);
	ck_assert_uint_eq(m[1].receive_count, 2);
	/* the first receipt is stale now */
	ck_assert_int_eq(queue_delete(q, m[0].handle, vt), ERR_NOTFOUND);
	ck_assert_int_eq(queue_delete(q, m[1].handle, vt), 0);
	ck_assert_uint_eq(queue_stats(q)->redelivered, 1);
	ck_assert_uint_eq(queue_stats(q)->stale_deletes, 1);
	queue_free(q);
}
END_TEST

START_TEST(dead_letter_after_max_receives_with_reason)
{
	struct queue *q = small_queue(16);
	struct queue_msg m;
	struct event e = ev_id(5, 0);
	struct outcomes o = { 0 };
	simtime t = 0, vt = 30 * SIMTIME_S;

	queue_set_outcome_fn(q, count_outcome, &o);
	queue_send(q, &e, 0, 0);
	for (int i = 1; i <= 5; i++) {
		ck_assert_uint_eq(queue_receive(q, t, 1, &m), 1);
		ck_assert_uint_eq(m.receive_count, (unsigned)i);
		queue_note_failure(q, m.handle, QUEUE_REASON_BATCH_FAILED);
		t += vt;
	}
	queue_advance(q, t);
	ck_assert_int_eq(o.dead, 1);
	ck_assert_int_eq(o.last_reason, QUEUE_REASON_BATCH_FAILED);
	ck_assert_uint_eq(queue_dead_count(q), 1);
	ck_assert_uint_eq(queue_dead_get(q, 0)->event_id, 5);
	ck_assert_uint_eq(queue_dead_get(q, 0)->receive_count, 5);
	ck_assert_str_eq(queue_reason_name(queue_dead_get(q, 0)->reason), "batch_failed");
	ck_assert_uint_eq(queue_stats(q)->dead_by_reason[QUEUE_REASON_BATCH_FAILED], 1);
	ck_assert_uint_eq(queue_size(q), 0);
	queue_free(q);
}
END_TEST

START_TEST(retention_expiry_is_counted)
{
	struct queue *q = small_queue(16);
	struct outcomes o = { 0 };
	struct queue_msg m;

	queue_set_outcome_fn(q, count_outcome, &o);
	for (uint64_t i = 1; i <= 3; i++) {
		struct event e = ev_id(i, 0);
		queue_send(q, &e, (simtime)i * SIMTIME_HOUR, 0);
	}
	ck_assert_uint_eq(queue_receive(q, 3 * SIMTIME_HOUR, 1, &m), 1);  /* one in flight */
	ck_assert_int_eq(queue_oldest_age(q, 4 * SIMTIME_HOUR), 3 * SIMTIME_HOUR);
	ck_assert_int_eq(queue_next_time(q), 3 * SIMTIME_HOUR + 30 * SIMTIME_S);
	queue_advance(q, 4 * SIMTIME_DAY + 2 * SIMTIME_HOUR);
	ck_assert_int_eq(o.expired, 2);
	ck_assert_uint_eq(queue_size(q), 1);
	queue_advance(q, 4 * SIMTIME_DAY + 3 * SIMTIME_HOUR);
	ck_assert_int_eq(o.expired, 3);
	ck_assert_uint_eq(queue_stats(q)->expired, 3);
	ck_assert_uint_eq(queue_size(q), 0);
	queue_free(q);
}
END_TEST

START_TEST(backpressure_when_full)
{
	struct queue *q = small_queue(4);
	struct queue_msg m[4];

	for (uint64_t i = 1; i <= 4; i++) {
		struct event e = ev_id(i, 0);
		ck_assert_int_eq(queue_send(q, &e, 0, 0), 0);
	}
	struct event e5 = ev_id(5, 0);
	ck_assert_int_eq(queue_send(q, &e5, 0, 0), ERR_FULL);
	ck_assert_uint_eq(queue_stats(q)->rejected_full, 1);
	ck_assert_uint_eq(queue_receive(q, 0, 1, m), 1);
	ck_assert_int_eq(queue_delete(q, m[0].handle, 0), 0);
	ck_assert_int_eq(queue_send(q, &e5, 0, 0), 0);  /* room again */
	queue_free(q);
}
END_TEST

START_TEST(delay_orders_by_visible_time)
{
	struct queue *q = small_queue(16);
	struct queue_msg m[3];
	struct event a = ev_id(1, 0), b = ev_id(2, 0), c = ev_id(3, 0);

	queue_send(q, &a, 0, 50);
	queue_send(q, &b, 0, 10);
	queue_send(q, &c, 0, 10);
	ck_assert_uint_eq(queue_delayed(q), 3);
	ck_assert_int_eq(queue_next_time(q), 10);
	ck_assert_uint_eq(queue_receive(q, 100, 3, m), 3);
	ck_assert_uint_eq(m[0].ev.id, 2);  /* equal times: send order */
	ck_assert_uint_eq(m[1].ev.id, 3);
	ck_assert_uint_eq(m[2].ev.id, 1);
	queue_free(q);
}
END_TEST

/* With duplicate_rate p, each delete misses a replica with probability p:
 * the expected number of extra deliveries for n messages deleted until gone
 * is n * p / (1 - p); for n = 2000, p = 0.1 that is 222 with sd ~ 16, so
 * [150, 300] is a > 4 sigma band. */
START_TEST(delete_miss_makes_duplicates)
{
	struct queue_config cfg;
	struct error err;
	struct queue *q;
	struct queue_msg m[64];
	struct outcomes o = { 0 };
	simtime t = 0;

	cfg = test_defaults()->stream.queue;
	cfg.max_messages = 4096;
	cfg.max_receive_count = 0;
	cfg.duplicate_rate = 0.1;
	q = queue_new(&cfg, &err);
	queue_set_outcome_fn(q, count_outcome, &o);
	for (uint64_t i = 1; i <= 2000; i++) {
		struct event e = ev_id(i, 0);
		queue_send(q, &e, 0, 0);
	}
	while (queue_size(q) > 0) {
		size_t n = queue_receive(q, t, 64, m);
		for (size_t i = 0; i < n; i++)
			queue_delete(q, m[i].handle, t);
		t += n ? 1 : 30 * SIMTIME_S;
	}
	ck_assert_int_eq(o.deleted, 2000);
	ck_assert_uint_ge(queue_stats(q)->redelivered, 150);
	ck_assert_uint_le(queue_stats(q)->redelivered, 300);
	ck_assert_uint_eq(queue_stats(q)->redelivered, queue_stats(q)->delete_missed);
	queue_free(q);
}
END_TEST

/* Many delayed messages, with ties and some expiring while delayed (taken
 * out of the middle of the delay heap): the survivors become visible in
 * (visible-at, send order), checked against a sort. */
struct dmsg { simtime due; uint64_t seq; bool survives; };

static int cmp_dmsg(const void *a, const void *b)
{
	const struct dmsg *x = a, *y = b;

	if (x->due != y->due)
		return (x->due > y->due) - (x->due < y->due);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

START_TEST(many_delays_pop_in_order_with_removals)
{
	enum { N = 3000, STEP = 1000 };
	struct queue_config cfg;
	struct error err;
	struct queue *q;
	static struct dmsg d[N];
	static struct queue_msg out[N];
	struct rng r;
	size_t got = 0, want = 0, k = 0;
	simtime now = 0;

	cfg = test_defaults()->stream.queue;
	cfg.max_messages = N;
	cfg.retention = 40 * STEP;
	q = queue_new(&cfg, &err);
	ck_assert_ptr_nonnull(q);
	rng_init(&r, 5, RNG_TEST, 0, 0);
	/* send at 100 us steps, delay 0..60 ms in whole ms (ties); advance
	 * and receive everything every STEP */
	for (uint64_t i = 0; i < N; i++) {
		simtime t = (simtime)i * 100, delay = (simtime)rng_below(&r, 61) * 1000;
		while (now + STEP <= t) {
			now += STEP;
			got += queue_receive(q, now, N - got, out + got);
		}
		ck_assert_int_eq(queue_send(q, &(struct event){ .id = i + 1, .type = EVENT_LIKE },
					    t, delay), 0);
		d[i] = (struct dmsg){ .due = t + delay, .seq = i };
	}
	while (queue_delayed(q) > 0) {
		now += STEP;
		got += queue_receive(q, now, N - got, out + got);
	}
	/* a message survives when the first advance at or after its due
	 * finds it within retention (expiry is checked first) */
	for (size_t i = 0; i < N; i++) {
		simtime first = (d[i].due + STEP - 1) / STEP * STEP;
		simtime sent = (simtime)d[i].seq * 100;
		d[i].survives = sent + cfg.retention > first;
		want += d[i].survives;
	}
	qsort(d, N, sizeof(*d), cmp_dmsg);
	ck_assert_uint_gt(want, N / 2);
	ck_assert_uint_lt(want, N);
	ck_assert_uint_eq(got, want);
	for (size_t i = 0; i < N; i++) {
		if (!d[i].survives)
			continue;
		ck_assert_uint_eq(out[k].ev.id, d[i].seq + 1);
		k++;
	}
	queue_free(q);
}
END_TEST

START_TEST(bad_config_rejected)
{
	struct queue_config cfg;
	struct error err;

	cfg = test_defaults()->stream.queue;
	cfg.max_messages = 0;
	ck_assert_ptr_null(queue_new(&cfg, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	cfg = test_defaults()->stream.queue;
	cfg.duplicate_rate = 1.5;
	ck_assert_ptr_null(queue_new(&cfg, &err));
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, receive_delete_roundtrip);
	tcase_add_test(tc, visibility_timeout_redelivers);
	tcase_add_test(tc, dead_letter_after_max_receives_with_reason);
	tcase_add_test(tc, retention_expiry_is_counted);
	tcase_add_test(tc, backpressure_when_full);
	tcase_add_test(tc, delay_orders_by_visible_time);
	tcase_add_test(tc, delete_miss_makes_duplicates);
	tcase_add_test(tc, bad_config_rejected);
	tcase_add_test(tc, many_delays_pop_in_order_with_removals);
}

CHECK_MAIN("queue", add_tests, 20)
