/* Tests for engine/firehose.c: flush by size and by interval from the
 * oldest record, delivery after the delay in flush order, object naming by
 * arrival hour, a failing sink retried, drain, and conservation of every
 * event in arrival order.  (Moved here from test_lake.c.) */
#include "engine/firehose.h"

#include <check.h>
#include <string.h>

#include "common/rng.h"
#include "tests/defaults.h"
#include "tests/check_main.h"

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

/* The objects delivered (events copied out: the object's are borrowed);
 * with fail_next > 0 the next delivery fails with ERR_IO. */
struct sink {
	struct firehose_object obj[256];
	size_t n;
	uint64_t ids[4096];
	size_t n_ids;
	int fail_next;
};

static int sink_fn(void *ctx, const struct firehose_object *o, struct error *err)
{
	struct sink *s = ctx;

	if (s->fail_next) {
		s->fail_next--;
		return error_set(err, ERR_IO, "sink down");
	}
	ck_assert_uint_lt(s->n, 256);
	s->obj[s->n] = *o;
	s->obj[s->n].evs = NULL;
	s->n++;
	for (size_t i = 0; i < o->n; i++) {
		ck_assert_uint_lt(s->n_ids, 4096);
		s->ids[s->n_ids++] = o->evs[i].id;
	}
	return 0;
}

START_TEST(firehose_flushes_on_size)
{
	struct firehose_config cfg = { 48 * 4, 300 * SIMTIME_S, 10 * SIMTIME_S };
	struct sink s = { .n = 0 };
	struct error err;
	struct firehose *fh = firehose_new(&cfg, sink_fn, &s, &err);

	for (int i = 0; i < 9; i++) {
		struct event e = ev_at((uint64_t)i + 1, i * SIMTIME_S);

		firehose_accept(fh, &e, i * SIMTIME_S);
	}
	/* 4th and 8th arrivals filled the buffer: two flushes at 3 s and 7 s */
	ck_assert_uint_eq(firehose_in_flight(fh), 2);
	ck_assert_uint_eq(firehose_buffered(fh), 1);
	ck_assert_int_eq(firehose_next_time(fh), 13 * SIMTIME_S);  /* 3 s + delay */
	ck_assert_int_eq(firehose_advance(fh, 13 * SIMTIME_S, &err), 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(s.obj[0].flushed_at, 3 * SIMTIME_S);
	ck_assert_int_eq(s.obj[0].delivered_at, 13 * SIMTIME_S);
	ck_assert_uint_eq(s.obj[0].n, 4);
	ck_assert_int_eq(firehose_advance(fh, 17 * SIMTIME_S, &err), 0);
	ck_assert_uint_eq(s.n, 2);
	firehose_free(fh);
}
END_TEST

START_TEST(firehose_flushes_on_interval_from_oldest_record)
{
	struct firehose_config cfg = { 5 << 20, 300 * SIMTIME_S, 60 * SIMTIME_S };
	struct sink s = { .n = 0 };
	struct error err;
	struct firehose *fh = firehose_new(&cfg, sink_fn, &s, &err);
	simtime t0 = 2 * SIMTIME_HOUR - 30 * SIMTIME_S;  /* 01:59:30 */
	struct event e = ev_at(1, t0);

	firehose_accept(fh, &e, t0);
	e = ev_at(2, t0 + 100 * SIMTIME_S);
	firehose_accept(fh, &e, t0 + 100 * SIMTIME_S);
	ck_assert_int_eq(firehose_next_time(fh), t0 + 300 * SIMTIME_S);
	ck_assert_int_eq(firehose_advance(fh, t0 + 299 * SIMTIME_S, &err), 0);
	ck_assert_uint_eq(firehose_in_flight(fh), 0);
	ck_assert_int_eq(firehose_advance(fh, t0 + 300 * SIMTIME_S, &err), 0);
	ck_assert_uint_eq(firehose_in_flight(fh), 1);
	ck_assert_int_eq(firehose_next_time(fh), t0 + 360 * SIMTIME_S);
	ck_assert_int_eq(firehose_advance(fh, t0 + 1000 * SIMTIME_S, &err), 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(s.obj[0].n, 2);
	ck_assert_int_eq(s.obj[0].hour, SIMTIME_HOUR);  /* arrival hour of the oldest: 01 */
	ck_assert_int_eq(s.obj[0].delivered_at, t0 + 360 * SIMTIME_S);
	ck_assert_int_eq(firehose_next_time(fh), SIMTIME_NEVER);
	firehose_free(fh);
}
END_TEST

START_TEST(firehose_drain_delivers_everything)
{
	struct firehose_config cfg;
	struct sink s = { .n = 0 };
	struct error err;
	struct firehose *fh;
	struct event e = ev_at(1, 0);

	cfg = test_defaults()->batch.firehose;
	fh = firehose_new(&cfg, sink_fn, &s, &err);
	firehose_accept(fh, &e, 0);
	ck_assert_int_eq(firehose_drain(fh, 5, &err), 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(firehose_delivered_events(fh), 1);
	cfg.max_bytes = 10;
	ck_assert_ptr_null(firehose_new(&cfg, sink_fn, &s, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	firehose_free(fh);
}
END_TEST

/* An arrival after the interval has passed, before the owner advanced:
 * the overdue batch is flushed at oldest + interval (not at the arrival),
 * and the new record starts the next batch. */
START_TEST(late_arrival_flushes_the_overdue_batch_first)
{
	struct firehose_config cfg = { 5 << 20, 300 * SIMTIME_S, 60 * SIMTIME_S };
	struct sink s = { .n = 0 };
	struct error err;
	struct firehose *fh = firehose_new(&cfg, sink_fn, &s, &err);
	struct event e = ev_at(1, 0);

	firehose_accept(fh, &e, 0);
	e = ev_at(2, 500 * SIMTIME_S);
	firehose_accept(fh, &e, 500 * SIMTIME_S);
	ck_assert_uint_eq(firehose_in_flight(fh), 1);
	ck_assert_uint_eq(firehose_buffered(fh), 1);
	ck_assert_int_eq(firehose_next_time(fh), 360 * SIMTIME_S);
	ck_assert_int_eq(firehose_advance(fh, 360 * SIMTIME_S, &err), 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(s.obj[0].flushed_at, 300 * SIMTIME_S);
	ck_assert_uint_eq(s.obj[0].n, 1);
	ck_assert_int_eq(firehose_next_time(fh), 800 * SIMTIME_S);
	firehose_free(fh);
}
END_TEST

/* A sink that fails keeps the object in flight; the next advance delivers
 * it (with the same sequence number), nothing is lost or duplicated. */
START_TEST(failed_delivery_is_retried_by_the_next_advance)
{
	struct firehose_config cfg = { 48 * 2, 300 * SIMTIME_S, 10 * SIMTIME_S };
	struct sink s = { .fail_next = 1 };
	struct error err;
	struct firehose *fh = firehose_new(&cfg, sink_fn, &s, &err);

	for (int i = 0; i < 4; i++) {
		struct event e = ev_at((uint64_t)i + 1, i * SIMTIME_S);

		firehose_accept(fh, &e, i * SIMTIME_S);
	}
	ck_assert_uint_eq(firehose_in_flight(fh), 2);
	ck_assert_int_eq(firehose_advance(fh, 20 * SIMTIME_S, &err), ERR_IO);
	ck_assert_str_eq(err.msg, "sink down");
	ck_assert_uint_eq(firehose_in_flight(fh), 2);
	ck_assert_uint_eq(firehose_delivered_objects(fh), 0);
	ck_assert_int_eq(firehose_advance(fh, 21 * SIMTIME_S, &err), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_uint_eq(s.obj[0].seq, 0);
	ck_assert_uint_eq(s.obj[1].seq, 1);
	ck_assert_uint_eq(firehose_delivered_events(fh), 4);
	ck_assert_uint_eq(s.n_ids, 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(s.ids[i], i + 1);
	firehose_free(fh);
}
END_TEST

/* 3,000 arrivals at random gaps, advanced at random times: after a drain
 * every event was delivered exactly once, in arrival order; objects carry
 * consecutive sequence numbers, are delivered no earlier than flush +
 * delay (drain aside) in flush order, hold at most max_bytes / 48 events
 * and are named by the hour of their oldest arrival. */
START_TEST(every_event_is_delivered_once_in_arrival_order)
{
	struct firehose_config cfg = { 48 * 100, 120 * SIMTIME_S, 30 * SIMTIME_S };
	static struct sink s;
	struct error err;
	struct firehose *fh;
	struct rng r;
	simtime now = 0;

	memset(&s, 0, sizeof(s));
	fh = firehose_new(&cfg, sink_fn, &s, &err);
	rng_init(&r, 3, RNG_TEST, 0, 0);
	for (uint64_t i = 1; i <= 3000; i++) {
		struct event e;

		now += (simtime)(rng_uniform(&r) * 4 * SIMTIME_S);
		e = ev_at(i, now);
		if (rng_uniform(&r) < 0.05)
			ck_assert_int_eq(firehose_advance(fh, now, &err), 0);
		firehose_accept(fh, &e, now);
	}
	ck_assert_int_eq(firehose_drain(fh, now, &err), 0);
	ck_assert_uint_eq(firehose_buffered(fh), 0);
	ck_assert_uint_eq(firehose_in_flight(fh), 0);
	ck_assert_uint_eq(firehose_delivered_events(fh), 3000);
	ck_assert_uint_eq(s.n_ids, 3000);
	for (size_t i = 0; i < 3000; i++)
		ck_assert_uint_eq(s.ids[i], i + 1);
	ck_assert_uint_eq(firehose_delivered_objects(fh), s.n);
	for (size_t k = 0; k < s.n; k++) {
		const struct firehose_object *o = &s.obj[k];

		ck_assert_uint_eq(o->seq, k);
		ck_assert_uint_le(o->n, 100);
		ck_assert_int_eq(o->hour, o->oldest_arrival - o->oldest_arrival % SIMTIME_HOUR);
		ck_assert(o->flushed_at <= o->oldest_arrival + cfg.interval);
		ck_assert(o->delivered_at >= o->flushed_at);
		ck_assert(o->delivered_at == o->flushed_at + cfg.delay || o->delivered_at == now);
		if (k)
			ck_assert(o->delivered_at >= s.obj[k - 1].delivered_at);
	}
	firehose_free(fh);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, firehose_flushes_on_size);
	tcase_add_test(tc, firehose_flushes_on_interval_from_oldest_record);
	tcase_add_test(tc, firehose_drain_delivers_everything);
	tcase_add_test(tc, late_arrival_flushes_the_overdue_batch_first);
	tcase_add_test(tc, failed_delivery_is_retried_by_the_next_advance);
	tcase_add_test(tc, every_event_is_delivered_once_in_arrival_order);
}

CHECK_MAIN("firehose", add_tests, 60)
