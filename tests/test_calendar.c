/* Tests for common/calendar.c: order by (time, insertion), cancel,
 * reschedule, stale handles, run_until and stop, and a randomized run
 * against a linear-scan reference. */
#include "common/calendar.h"

#include <check.h>
#include <stdlib.h>

#include "common/rng.h"

#include "tests/check_main.h"

enum { LOG_MAX = 1 << 16 };

/* What fired, in order. */
struct log {
	uint64_t arg[LOG_MAX];
	simtime at[LOG_MAX];
	size_t n;
	struct calendar *cal;
};

static void note(void *ctx, uint64_t arg, simtime now)
{
	struct log *l = ctx;

	ck_assert_uint_lt(l->n, LOG_MAX);
	ck_assert_int_eq(calendar_now(l->cal), now);
	l->arg[l->n] = arg;
	l->at[l->n] = now;
	l->n++;
}

static struct log *log_new(struct calendar *cal)
{
	struct log *l = calloc(1, sizeof(*l));

	ck_assert_ptr_nonnull(l);
	l->cal = cal;
	return l;
}

START_TEST(fires_in_time_order)
{
	struct calendar *cal = calendar_new(0, 4);
	struct log *l = log_new(cal);
	static const simtime at[] = { 50, 3, 7000000, 1, 64, 63, 4096, 65, 0, 1 << 30 };
	enum { N = sizeof(at) / sizeof(at[0]) };

	for (int i = 0; i < N; i++)
		calendar_schedule(cal, at[i], note, l, (uint64_t)i);
	ck_assert_uint_eq(calendar_pending(cal), N);
	while (calendar_step(cal))
		;
	ck_assert_uint_eq(l->n, N);
	for (size_t i = 1; i < l->n; i++)
		ck_assert_int_le(l->at[i - 1], l->at[i]);
	ck_assert_int_eq(l->at[0], 0);
	ck_assert_int_eq(l->at[N - 1], 1 << 30);
	ck_assert_uint_eq(calendar_pending(cal), 0);
	ck_assert(!calendar_step(cal));
	calendar_free(cal);
	free(l);
}
END_TEST

START_TEST(ties_fire_in_insertion_order)
{
	struct calendar *cal = calendar_new(0, 0);
	struct log *l = log_new(cal);

	/* Interleave two times, and put one tie far ahead so it is
	 * redistributed through several levels before firing. */
	for (uint64_t i = 0; i < 100; i++) {
		calendar_schedule(cal, 1000, note, l, i);
		calendar_schedule(cal, 5 * SIMTIME_DAY, note, l, 1000 + i);
	}
	while (calendar_step(cal))
		;
	ck_assert_uint_eq(l->n, 200);
	for (uint64_t i = 0; i < 100; i++) {
		ck_assert_uint_eq(l->arg[i], i);
		ck_assert_uint_eq(l->arg[100 + i], 1000 + i);
	}
	calendar_free(cal);
	free(l);
}
END_TEST

/* Callbacks 100..102 each schedule one more (arg + 100) at the current time. */
static void at_now(void *ctx, uint64_t arg, simtime now)
{
	struct log *l = ctx;

	note(ctx, arg, now);
	if (arg >= 100 && arg < 103)
		calendar_schedule(l->cal, now, at_now, l, arg + 100);
}

START_TEST(callback_scheduling_at_now_fires_after_existing_ties)
{
	struct calendar *cal = calendar_new(10, 0);
	struct log *l = log_new(cal);

	calendar_schedule(cal, 20, at_now, l, 100);
	calendar_schedule(cal, 20, at_now, l, 101);
	calendar_schedule(cal, 20, at_now, l, 1);
	calendar_schedule(cal, 21, at_now, l, 2);
	while (calendar_step(cal))
		;
	/* 100 and 101 each add one at t=20, after 1 which was already there. */
	{
		static const uint64_t want[] = { 100, 101, 1, 200, 201, 2 };

		ck_assert_uint_eq(l->n, 6);
		for (int i = 0; i < 6; i++)
			ck_assert_uint_eq(l->arg[i], want[i]);
		for (int i = 0; i < 5; i++)
			ck_assert_int_eq(l->at[i], 20);
	}
	calendar_free(cal);
	free(l);
}
END_TEST

START_TEST(cancel_removes_and_refuses_twice)
{
	struct calendar *cal = calendar_new(0, 0);
	struct log *l = log_new(cal);
	calendar_handle a, b, c;

	a = calendar_schedule(cal, 5, note, l, 1);
	b = calendar_schedule(cal, 5, note, l, 2);
	c = calendar_schedule(cal, 9, note, l, 3);
	ck_assert(calendar_cancel(cal, a));
	ck_assert(!calendar_cancel(cal, a));
	ck_assert_uint_eq(calendar_pending(cal), 2);
	ck_assert_int_eq(calendar_next_time(cal), 5);
	ck_assert(calendar_cancel(cal, b));
	ck_assert_int_eq(calendar_next_time(cal), 9);
	while (calendar_step(cal))
		;
	ck_assert_uint_eq(l->n, 1);
	ck_assert_uint_eq(l->arg[0], 3);
	ck_assert(!calendar_cancel(cal, c));      /* already fired */
	ck_assert_int_eq(calendar_next_time(cal), SIMTIME_NEVER);
	calendar_free(cal);
	free(l);
}
END_TEST

START_TEST(reschedule_moves_and_takes_new_sequence)
{
	struct calendar *cal = calendar_new(0, 0);
	struct log *l = log_new(cal);
	calendar_handle a, far;

	a = calendar_schedule(cal, 100, note, l, 1);
	calendar_schedule(cal, 50, note, l, 2);
	far = calendar_schedule(cal, 3 * SIMTIME_HOUR, note, l, 3);
	ck_assert(calendar_reschedule(cal, a, 50));   /* now after 2 at t=50 */
	ck_assert(calendar_reschedule(cal, far, 10));
	ck_assert(calendar_reschedule(cal, far, 10)); /* the handle stays valid */
	ck_assert_uint_eq(calendar_pending(cal), 3);
	ck_assert_int_eq(calendar_next_time(cal), 10);
	while (calendar_step(cal))
		;
	ck_assert_uint_eq(l->n, 3);
	ck_assert_uint_eq(l->arg[0], 3);
	ck_assert_uint_eq(l->arg[1], 2);
	ck_assert_uint_eq(l->arg[2], 1);
	ck_assert_int_eq(l->at[2], 50);
	ck_assert(!calendar_reschedule(cal, a, 500)); /* fired: stale */
	ck_assert_int_eq(calendar_now(cal), 50);
	calendar_free(cal);
	free(l);
}
END_TEST

START_TEST(stale_handles_are_refused)
{
	struct calendar *cal = calendar_new(0, 0);
	struct log *l = log_new(cal);
	calendar_handle a, b;

	ck_assert(!calendar_cancel(cal, 0));
	ck_assert(!calendar_cancel(cal, 12345));
	ck_assert(!calendar_cancel(cal, UINT64_MAX));
	ck_assert(!calendar_reschedule(cal, 0, 5));
	a = calendar_schedule(cal, 5, note, l, 1);
	ck_assert(calendar_cancel(cal, a));
	/* The slot is reused at once; the old handle must not reach it. */
	b = calendar_schedule(cal, 6, note, l, 2);
	ck_assert_uint_ne(a, b);
	ck_assert(!calendar_cancel(cal, a));
	ck_assert(!calendar_reschedule(cal, a, 7));
	ck_assert_uint_eq(calendar_pending(cal), 1);
	ck_assert(calendar_step(cal));
	ck_assert_uint_eq(l->n, 1);
	ck_assert_uint_eq(l->arg[0], 2);
	ck_assert(!calendar_cancel(cal, b));
	calendar_free(cal);
	free(l);
}
END_TEST

/* A callback that cancels its own (already fired) handle. */
struct selfcancel {
	struct calendar *cal;
	calendar_handle h;
	bool result;
	bool ran;
};

static void cancel_self(void *ctx, uint64_t arg, simtime now)
{
	struct selfcancel *s = ctx;

	(void)arg;
	(void)now;
	s->ran = true;
	s->result = calendar_cancel(s->cal, s->h);
}

START_TEST(running_callback_cannot_cancel_itself)
{
	struct selfcancel s = { .cal = calendar_new(0, 0) };

	s.h = calendar_schedule(s.cal, 3, cancel_self, &s, 0);
	ck_assert(calendar_step(s.cal));
	ck_assert(s.ran);
	ck_assert(!s.result);
	calendar_free(s.cal);
}
END_TEST

START_TEST(run_until_is_inclusive_and_sets_the_clock)
{
	struct calendar *cal = calendar_new(0, 0);
	struct log *l = log_new(cal);

	calendar_schedule(cal, 10, note, l, 1);
	calendar_schedule(cal, 20, note, l, 2);
	calendar_schedule(cal, 20, note, l, 3);
	calendar_schedule(cal, 5000, note, l, 4);
	ck_assert_uint_eq(calendar_run_until(cal, 19), 1);
	ck_assert_int_eq(calendar_now(cal), 19);
	ck_assert_uint_eq(calendar_run_until(cal, 20), 2);
	ck_assert_int_eq(calendar_now(cal), 20);
	ck_assert_uint_eq(calendar_run_until(cal, 4000), 0);
	ck_assert_int_eq(calendar_now(cal), 4000);
	/* The clock moved past where the wheel last looked: scheduling just
	 * after it must still order correctly against the pending 5000. */
	calendar_schedule(cal, 4000, note, l, 5);
	calendar_schedule(cal, 4999, note, l, 6);
	ck_assert_int_eq(calendar_next_time(cal), 4000);
	/* A past `until` runs nothing and leaves the clock. */
	ck_assert_uint_eq(calendar_run_until(cal, 100), 0);
	ck_assert_int_eq(calendar_now(cal), 4000);
	ck_assert_uint_eq(calendar_run_until(cal, SIMTIME_DAY), 3);
	ck_assert_int_eq(calendar_now(cal), SIMTIME_DAY);
	{
		static const uint64_t want[] = { 1, 2, 3, 5, 6, 4 };

		ck_assert_uint_eq(l->n, 6);
		for (int i = 0; i < 6; i++)
			ck_assert_uint_eq(l->arg[i], want[i]);
	}
	calendar_free(cal);
	free(l);
}
END_TEST

static void stop_at_2(void *ctx, uint64_t arg, simtime now)
{
	struct log *l = ctx;

	note(ctx, arg, now);
	if (arg == 2)
		calendar_stop(l->cal);
}

START_TEST(stop_returns_after_the_current_callback)
{
	struct calendar *cal = calendar_new(0, 0);
	struct log *l = log_new(cal);

	for (uint64_t i = 1; i <= 4; i++)
		calendar_schedule(cal, (simtime)i * 100, stop_at_2, l, i);
	ck_assert_uint_eq(calendar_run_until(cal, 1000), 2);
	ck_assert_int_eq(calendar_now(cal), 200);
	ck_assert_uint_eq(calendar_pending(cal), 2);
	ck_assert_uint_eq(calendar_run_until(cal, 1000), 2);
	ck_assert_int_eq(calendar_now(cal), 1000);
	/* A stop requested outside a run holds for the next one. */
	calendar_schedule(cal, 2000, note, l, 9);
	calendar_stop(cal);
	ck_assert_uint_eq(calendar_run_until(cal, 3000), 0);
	ck_assert_int_eq(calendar_now(cal), 1000);
	ck_assert_uint_eq(calendar_run_until(cal, 3000), 1);
	calendar_free(cal);
	free(l);
}
END_TEST

START_TEST(next_time_sees_far_and_negative_times)
{
	struct calendar *cal = calendar_new(-5 * SIMTIME_DAY, 0);
	struct log *l = log_new(cal);
	calendar_handle h;

	ck_assert_int_eq(calendar_next_time(cal), SIMTIME_NEVER);
	calendar_schedule(cal, 40 * SIMTIME_DAY, note, l, 1);
	ck_assert_int_eq(calendar_next_time(cal), 40 * SIMTIME_DAY);
	h = calendar_schedule(cal, -SIMTIME_HOUR, note, l, 2);
	calendar_schedule(cal, -SIMTIME_HOUR + 7, note, l, 3);
	ck_assert_int_eq(calendar_next_time(cal), -SIMTIME_HOUR);
	ck_assert(calendar_cancel(cal, h));
	ck_assert_int_eq(calendar_next_time(cal), -SIMTIME_HOUR + 7);
	ck_assert(calendar_step(cal));
	ck_assert_int_eq(calendar_now(cal), -SIMTIME_HOUR + 7);
	ck_assert(calendar_step(cal));
	ck_assert_int_eq(calendar_now(cal), 40 * SIMTIME_DAY);
	ck_assert_uint_eq(l->n, 2);
	calendar_free(cal);
	free(l);
}
END_TEST

START_TEST(grows_past_the_capacity_hint)
{
	enum { N = 100000 };
	struct calendar *cal = calendar_new(0, 8);
	struct log *l = log_new(cal);

	for (uint64_t i = 0; i < N; i++)
		calendar_schedule(cal, (simtime)((i * 7919) % 1000), note, l, i);
	ck_assert_uint_eq(calendar_pending(cal), N);
	ck_assert_uint_eq(calendar_run_until(cal, 0), N / 1000);
	for (size_t i = 1; i < l->n; i++)
		ck_assert_uint_lt(l->arg[i - 1], l->arg[i]);
	calendar_free(cal);
	free(l);
}
END_TEST

START_TEST(mass_cancel_keeps_order_and_memory_bounded)
{
	enum { N = 20000 };
	struct calendar *cal = calendar_new(0, 0);
	struct log *l = log_new(cal);
	static calendar_handle h[N];

	/* Far ahead, in one high bucket, interleaved: cancelling 9 in 10
	 * leaves tombstones that outnumber the pending and get swept. */
	for (uint64_t i = 0; i < N; i++)
		h[i] = calendar_schedule(cal, SIMTIME_HOUR + (simtime)(i % 7), note, l, i);
	for (uint64_t i = 0; i < N; i++)
		if (i % 10)
			ck_assert(calendar_cancel(cal, h[i]));
	ck_assert_uint_eq(calendar_pending(cal), N / 10);
	ck_assert_int_eq(calendar_next_time(cal), SIMTIME_HOUR);
	calendar_run_until(cal, 2 * SIMTIME_HOUR);
	ck_assert_uint_eq(l->n, N / 10);
	for (size_t i = 1; i < l->n; i++) {
		ck_assert_int_le(l->at[i - 1], l->at[i]);
		if (l->at[i - 1] == l->at[i])
			ck_assert_uint_lt(l->arg[i - 1], l->arg[i]);
	}
	/* Cancel everything, then schedule near: the emptied wheel restarts
	 * from the clock. */
	for (uint64_t i = 0; i < 100; i++)
		h[i] = calendar_schedule(cal, 3 * SIMTIME_DAY, note, l, i);
	for (uint64_t i = 0; i < 100; i++)
		ck_assert(calendar_cancel(cal, h[i]));
	ck_assert_int_eq(calendar_next_time(cal), SIMTIME_NEVER);
	calendar_schedule(cal, 2 * SIMTIME_HOUR + 1, note, l, 7);
	ck_assert_int_eq(calendar_next_time(cal), 2 * SIMTIME_HOUR + 1);
	ck_assert(calendar_step(cal));
	ck_assert_uint_eq(l->arg[l->n - 1], 7);
	calendar_free(cal);
	free(l);
}
END_TEST

/* Buckets are chains of fixed-size chunks (67 elements, calendar.c): long
 * runs of ties cross chunk boundaries at level 0 and on a high level, with
 * tombstones at the boundaries and a whole chunk of them at the front
 * (next_time and pops look past it), then the drained chunks are reused. */
START_TEST(ties_across_chunk_boundaries_keep_order)
{
	enum { N = 700, CHUNK = 67 };
	struct calendar *cal = calendar_new(0, 0);
	struct log *l = log_new(cal);
	static calendar_handle h[N];

	for (int round = 0; round < 2; round++) {
		simtime base = calendar_now(cal);
		size_t first = l->n, want = 0, pending;

		for (uint64_t i = 0; i < N; i++) {
			/* Even i: all at base + 1 day (one high bucket, then one
			 * level-0 bucket); odd i: at now (level 0 at once). */
			simtime at = i % 2 ? base : base + SIMTIME_DAY;

			h[i] = calendar_schedule(cal, at, note, l, i);
		}
		/* Cancel the first 2 * CHUNK + 1 (a whole chunk of tombstones
		 * in each bucket, and one more), and each element on either
		 * side of a chunk boundary. */
		for (uint64_t i = 0; i < N; i++) {
			uint64_t pos = i / 2;  /* position within its bucket */

			if (i < 2 * CHUNK + 1 || pos % CHUNK == 0 || pos % CHUNK == CHUNK - 1)
				ck_assert(calendar_cancel(cal, h[i]));
		}
		ck_assert_int_eq(calendar_next_time(cal), base);
		pending = calendar_pending(cal);
		ck_assert_uint_eq(pending % 2, 0);
		ck_assert_uint_eq(calendar_run_until(cal, base + SIMTIME_DAY - 1), pending / 2);
		ck_assert_int_eq(calendar_next_time(cal), base + SIMTIME_DAY);
		while (calendar_step(cal))
			;
		/* Odd ones first (at base), then even ones, each in order. */
		for (int parity = 1; parity >= 0; parity--)
			for (uint64_t i = (uint64_t)parity; i < N; i += 2) {
				uint64_t pos = i / 2;

				if (i < 2 * CHUNK + 1 || pos % CHUNK == 0 || pos % CHUNK == CHUNK - 1)
					continue;
				ck_assert_uint_lt(first + want, l->n);
				ck_assert_uint_eq(l->arg[first + want], i);
				want++;
			}
		ck_assert_uint_eq(l->n, first + want);
	}
	calendar_free(cal);
	free(l);
}
END_TEST

/* A lone element in the lowest non-empty bucket fires from that bucket
 * (no redistribution); a lone tombstone there is dropped; an `until`
 * before a lone element leaves it where it is. */
START_TEST(lone_far_elements_fire_in_order)
{
	struct calendar *cal = calendar_new(0, 0);
	struct log *l = log_new(cal);
	calendar_handle a;

	a = calendar_schedule(cal, SIMTIME_DAY, note, l, 1);
	calendar_schedule(cal, 2 * SIMTIME_DAY, note, l, 2);
	calendar_schedule(cal, 2 * SIMTIME_DAY + 1, note, l, 3);
	calendar_schedule(cal, 40 * SIMTIME_DAY, note, l, 4);
	ck_assert(calendar_cancel(cal, a));
	ck_assert_uint_eq(calendar_run_until(cal, 2 * SIMTIME_DAY - 1), 0);
	ck_assert_int_eq(calendar_now(cal), 2 * SIMTIME_DAY - 1);
	ck_assert_int_eq(calendar_next_time(cal), 2 * SIMTIME_DAY);
	ck_assert(calendar_step(cal));
	ck_assert_int_eq(calendar_now(cal), 2 * SIMTIME_DAY);
	/* Scheduled after the lone one fired: between it and the next. */
	calendar_schedule(cal, 2 * SIMTIME_DAY + 1, note, l, 5);
	calendar_schedule(cal, 3 * SIMTIME_DAY, note, l, 6);
	while (calendar_step(cal))
		;
	{
		static const uint64_t want[] = { 2, 3, 5, 6, 4 };

		ck_assert_uint_eq(l->n, 5);
		for (int i = 0; i < 5; i++)
			ck_assert_uint_eq(l->arg[i], want[i]);
	}
	ck_assert_int_eq(calendar_now(cal), 40 * SIMTIME_DAY);
	calendar_free(cal);
	free(l);
}
END_TEST

/*
 * Randomized: the same stream of operations drives the calendar and a
 * reference that keeps (time, seq) per pending id and pops by linear scan.
 * Firing callbacks spawn children by a rule both sides apply, so
 * scheduling from callbacks (including at the current time) is covered.
 * Times mix ties, the same 64 us block, and far levels, so redistribution,
 * tombstone sweeps (bursts of cancels) and emptying are all exercised.
 */
enum { RMAX = 20000 };

struct model {
	struct calendar *cal;
	calendar_handle h[RMAX];
	simtime at[RMAX];
	uint64_t seq[RMAX];
	bool pending[RMAX];
	uint32_t ids[RMAX];         /* pending ids, unordered */
	uint32_t pos[RMAX];
	size_t npend;
	uint64_t next_seq;
	uint32_t next_id;
	simtime now;
	uint32_t fired[RMAX];       /* calendar side */
	size_t nfired;
	simtime last_fire;
};

static simtime draw_delta(uint64_t x)
{
	switch (x % 10) {
	case 0: case 1: return 0;
	case 2: case 3: case 4: return (simtime)(x >> 8) % 64;
	case 5: case 6: return (simtime)(x >> 8) % 100000;
	case 7: case 8: return (simtime)(x >> 8) % 1000000000;
	default: return (simtime)(x >> 8) % 10000000000000;
	}
}

static void model_add(struct model *m, uint32_t id, simtime at)
{
	m->at[id] = at;
	m->seq[id] = m->next_seq++;
	if (!m->pending[id]) {
		m->pending[id] = true;
		m->pos[id] = (uint32_t)m->npend;
		m->ids[m->npend++] = id;
	}
}

static void model_remove(struct model *m, uint32_t id)
{
	uint32_t last = m->ids[--m->npend];

	m->ids[m->pos[id]] = last;
	m->pos[last] = m->pos[id];
	m->pending[id] = false;
}

static void fire_cb(void *ctx, uint64_t arg, simtime now);

/* The child rule: ids divisible by 3 spawn one, in the calendar and in the
 * reference, in the order the calendar runs them. */
static void spawn(struct model *m, uint32_t parent, simtime now)
{
	uint32_t id;
	simtime at;

	if (parent % 3 != 0 || m->next_id >= RMAX)
		return;
	id = m->next_id++;
	at = now + draw_delta(rng_hash4(parent, 77, 0, 0));
	m->h[id] = calendar_schedule(m->cal, at, fire_cb, m, id);
	model_add(m, id, at);
}

static void fire_cb(void *ctx, uint64_t arg, simtime now)
{
	struct model *m = ctx;

	m->fired[m->nfired++] = (uint32_t)arg;
	ck_assert_int_ge(now, m->last_fire);
	m->last_fire = now;
	spawn(m, (uint32_t)arg, now);
}

/* Reference pop: the pending id with the least (time, seq). */
static int64_t model_min(const struct model *m)
{
	int64_t best = -1;

	for (size_t i = 0; i < m->npend; i++) {
		uint32_t id = m->ids[i];

		if (best < 0 || m->at[id] < m->at[best] ||
		    (m->at[id] == m->at[best] && m->seq[id] < m->seq[best]))
			best = id;
	}
	return best;
}

START_TEST(randomized_matches_reference)
{
	static struct model m;
	struct rng r;
	uint64_t ops = 0;

	m.cal = calendar_new(0, 16);
	rng_init(&r, 2024, RNG_TEST, 1, 0);
	while (m.next_id < RMAX && ops++ < 400000) {
		uint64_t x = rng_u64(&r);
		uint32_t op = (uint32_t)(x % 100);

		if (op < 40) {
			uint32_t id = m.next_id++;
			simtime at = m.now + draw_delta(x >> 7);

			m.h[id] = calendar_schedule(m.cal, at, fire_cb, &m, id);
			model_add(&m, id, at);
		} else if (op < 52 && m.next_id) {
			/* Cancel bursts now and then, to force sweeps. */
			int burst = (x >> 40) % 50 == 0 ? 200 : 1;

			for (int k = 0; k < burst; k++) {
				uint32_t id = (uint32_t)(rng_u64(&r) % m.next_id);
				bool was = m.pending[id];

				ck_assert_int_eq(calendar_cancel(m.cal, m.h[id]), was);
				if (was)
					model_remove(&m, id);
			}
		} else if (op < 62 && m.next_id) {
			uint32_t id = (uint32_t)((x >> 8) % m.next_id);
			bool was = m.pending[id];
			simtime at = m.now + draw_delta(x >> 30);

			ck_assert_int_eq(calendar_reschedule(m.cal, m.h[id], at), was);
			if (was)
				model_add(&m, id, at);
		} else if (op < 92) {
			/* One step: the calendar must fire the reference's min. */
			size_t before = m.nfired;
			int64_t want = model_min(&m);

			if (want < 0) {
				ck_assert(!calendar_step(m.cal));
				continue;
			}
			m.now = m.at[want];
			model_remove(&m, (uint32_t)want);
			ck_assert(calendar_step(m.cal));
			ck_assert_uint_eq(m.nfired, before + 1);
			ck_assert_uint_eq(m.fired[before], (uint64_t)want);
		} else {
			simtime until = m.now + draw_delta(x >> 9);
			size_t before = m.nfired;
			uint64_t ran;

			/* Everything due, checked afterwards in firing order
			 * (children spawned later never undercut an earlier
			 * firing: they are at or after their parent, with a
			 * later sequence). */
			ran = calendar_run_until(m.cal, until);
			for (size_t i = before; i < m.nfired; i++) {
				int64_t want = model_min(&m);

				ck_assert_int_ge(want, 0);
				ck_assert_int_le(m.at[want], until);
				ck_assert_uint_eq(m.fired[i], (uint64_t)want);
				m.now = m.at[want];
				model_remove(&m, (uint32_t)want);
			}
			ck_assert_uint_eq(ran, m.nfired - before);
			{
				int64_t next = model_min(&m);

				ck_assert(next < 0 || m.at[next] > until);
			}
			m.now = until;
			ck_assert_int_eq(calendar_now(m.cal), until);
		}
		ck_assert_uint_eq(calendar_pending(m.cal), m.npend);
		{
			int64_t next = model_min(&m);

			ck_assert_int_eq(calendar_next_time(m.cal),
					 next < 0 ? SIMTIME_NEVER : m.at[next]);
		}
	}
	ck_assert_uint_eq(m.next_id, RMAX);
	calendar_free(m.cal);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, fires_in_time_order);
	tcase_add_test(tc, ties_fire_in_insertion_order);
	tcase_add_test(tc, callback_scheduling_at_now_fires_after_existing_ties);
	tcase_add_test(tc, cancel_removes_and_refuses_twice);
	tcase_add_test(tc, reschedule_moves_and_takes_new_sequence);
	tcase_add_test(tc, stale_handles_are_refused);
	tcase_add_test(tc, running_callback_cannot_cancel_itself);
	tcase_add_test(tc, run_until_is_inclusive_and_sets_the_clock);
	tcase_add_test(tc, stop_returns_after_the_current_callback);
	tcase_add_test(tc, next_time_sees_far_and_negative_times);
	tcase_add_test(tc, grows_past_the_capacity_hint);
	tcase_add_test(tc, mass_cancel_keeps_order_and_memory_bounded);
	tcase_add_test(tc, ties_across_chunk_boundaries_keep_order);
	tcase_add_test(tc, lone_far_elements_fire_in_order);
	tcase_add_test(tc, randomized_matches_reference);
}

CHECK_MAIN("calendar", add_tests, 60)
