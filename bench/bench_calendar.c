/*
 * Calendar throughput in the classic "hold" model: with N callbacks
 * pending, pop the earliest and schedule a new one at now + a random
 * increment, so the pending count stays N.  One pair = one pop + one
 * schedule, including the callback and drawing the increment.
 *
 * Increments: uniform on [0, 2 ms) (dense: ~500 ties per microsecond at
 * N = 1e6); exponential with mean 1 s and mean 1 h (sparse, spread over
 * many wheel levels); bimodal (90 % within 1 ms, 10 % uniform within a
 * day); log-uniform from 1 us to 1e11 us (a day: every level at once).
 *
 * Each is run on common/calendar.c and, side by side with the same
 * increments, on a plain binary heap of (time, sequence) keys with the
 * payloads in a pool (the structure the calendar replaced), so the ratio
 * says what the wheel buys.  Targets (issues 2 and 22): >= 10 M pairs/s at
 * N = 1e6; no slower than the heap at N = 1e4.
 *
 * Figures: median of REPS repetitions, calendar and heap interleaved,
 * after a warm-up of N pairs, per second of this thread's CPU time (robust
 * on a shared host: time spent waiting for a core is not counted), and the
 * calendar per wall second.
 */
#include "bench/bench.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/calendar.h"
#include "common/rng.h"
#include "common/xalloc.h"

enum { REPS = 5 };

enum dist { UNIFORM_2MS, EXP_1S, EXP_1H, BIMODAL, LOGUNIFORM, N_DIST };

static const char *const dist_names[N_DIST] = {
	"uniform [0, 2 ms)", "exponential, mean 1 s", "exponential, mean 1 h",
	"bimodal: 90 % < 1 ms, 10 % < 1 day", "log-uniform 1 us .. 1e11 us",
};

static simtime increment(struct rng *r, enum dist d)
{
	switch (d) {
	case UNIFORM_2MS:
		return (simtime)(rng_u64(r) % (2 * SIMTIME_MS));
	case EXP_1S:
		return (simtime)(-log(rng_uniform_pos(r)) * (double)SIMTIME_S);
	case EXP_1H:
		return (simtime)(-log(rng_uniform_pos(r)) * (double)SIMTIME_HOUR);
	case BIMODAL:
		if (rng_uniform(r) < 0.9)
			return (simtime)(rng_u64(r) % SIMTIME_MS);
		return (simtime)(rng_u64(r) % (24 * SIMTIME_HOUR));
	default:
		return (simtime)exp(rng_uniform(r) * log(1e11));
	}
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the calendar ---- */

struct hold {
	struct calendar *cal;
	struct rng r;
	enum dist d;
};

static void on_fire(void *ctx, uint64_t arg, simtime now)
{
	struct hold *h = ctx;

	calendar_schedule(h->cal, now + increment(&h->r, h->d), on_fire, h, arg);
}

/* Million pairs per CPU second (*cpu) and per wall second (*wall). */
static void hold_calendar(size_t n, uint64_t pairs, int rep, enum dist d, double *cpu,
			  double *wall)
{
	struct hold h;
	double c0, c1, w0, w1;

	rng_init(&h.r, 1, RNG_TEST, n, (uint64_t)rep);
	h.d = d;
	h.cal = calendar_new(0, n);
	for (size_t i = 0; i < n; i++)
		calendar_schedule(h.cal, increment(&h.r, d), on_fire, &h, i);
	/* Warm up: let the structure reach its steady-state shape. */
	for (size_t i = 0; i < n; i++)
		calendar_step(h.cal);
	w0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	for (uint64_t i = 0; i < pairs; i++)
		calendar_step(h.cal);
	c1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	w1 = clock_s(CLOCK_MONOTONIC);
	calendar_free(h.cal);
	*cpu = (double)pairs / (c1 - c0) / 1e6;
	*wall = (double)pairs / (w1 - w0) / 1e6;
}

/* ---- the reference: a binary heap on (time, sequence) ---- */

struct heap_key {
	simtime t;
	uint64_t seq;
};

struct heap_payload {
	calendar_fn fn;
	void *ctx;
	uint64_t arg;
};

struct heap {
	struct heap_key *key;
	uint32_t *slot;            /* payload of key[i] */
	struct heap_payload *pl;
	uint32_t *free_slots;
	size_t n, n_free;
	uint64_t seq;
	struct rng r;
	enum dist d;
};

static inline int key_less(const struct heap_key *a, const struct heap_key *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void heap_push(struct heap *h, simtime t, calendar_fn fn, void *ctx, uint64_t arg)
{
	uint32_t s = h->free_slots[--h->n_free];
	struct heap_key k = { t, h->seq++ };
	size_t i = h->n++;

	h->pl[s] = (struct heap_payload){ fn, ctx, arg };
	while (i) {
		size_t p = (i - 1) / 2;

		if (!key_less(&k, &h->key[p]))
			break;
		h->key[i] = h->key[p];
		h->slot[i] = h->slot[p];
		i = p;
	}
	h->key[i] = k;
	h->slot[i] = s;
}

static void heap_pop(struct heap *h)
{
	struct heap_key top = h->key[0], last;
	uint32_t s = h->slot[0], last_slot;
	struct heap_payload p;
	size_t n = --h->n, i = 0;

	last = h->key[n];
	last_slot = h->slot[n];
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && key_less(&h->key[c + 1], &h->key[c]))
			c++;
		if (!key_less(&h->key[c], &last))
			break;
		h->key[i] = h->key[c];
		h->slot[i] = h->slot[c];
		i = c;
	}
	if (n) {
		h->key[i] = last;
		h->slot[i] = last_slot;
	}
	p = h->pl[s];
	h->free_slots[h->n_free++] = s;
	p.fn(p.ctx, p.arg, top.t);
}

static void on_fire_heap(void *ctx, uint64_t arg, simtime now)
{
	struct heap *h = ctx;

	heap_push(h, now + increment(&h->r, h->d), on_fire_heap, h, arg);
}

static double hold_heap(size_t n, uint64_t pairs, int rep, enum dist d)
{
	struct heap h = { 0 };
	double c0;

	h.key = xcalloc(n, sizeof(*h.key));
	h.slot = xcalloc(n, sizeof(*h.slot));
	h.pl = xcalloc(n, sizeof(*h.pl));
	h.free_slots = xcalloc(n, sizeof(*h.free_slots));
	for (size_t i = 0; i < n; i++)
		h.free_slots[h.n_free++] = (uint32_t)(n - 1 - i);
	rng_init(&h.r, 1, RNG_TEST, n, (uint64_t)rep);
	h.d = d;
	for (size_t i = 0; i < n; i++)
		heap_push(&h, increment(&h.r, d), on_fire_heap, &h, i);
	for (size_t i = 0; i < n; i++)
		heap_pop(&h);
	c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	for (uint64_t i = 0; i < pairs; i++)
		heap_pop(&h);
	c0 = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	free(h.key), free(h.slot), free(h.pl), free(h.free_slots);
	return (double)pairs / c0 / 1e6;
}

/* bench_calendar [PENDING ...]: the pending counts to run (1000, 10000,
 * 1000000 by default). */
int main(int argc, char **argv)
{
	size_t sizes[16] = { 1000, 10000, 1000000 }, nsizes = 3;

	if (argc > 1) {
		nsizes = 0;
		for (int i = 1; i < argc && nsizes < 16; i++) {
			char *end;
			unsigned long long v = strtoull(argv[i], &end, 10);

			if (*end || v < 1 || v > 100000000) {
				fprintf(stderr, "bench_calendar: bad pending count '%s'\n", argv[i]);
				return 2;
			}
			sizes[nsizes++] = (size_t)v;
		}
	}

	printf("| pending | increment | calendar: M pairs per CPU s (median of %d; min, max) "
	       "| per wall s | binary heap: M pairs per CPU s | calendar / heap | target |\n",
	       REPS);
	printf("| ---: | --- | ---: | ---: | ---: | ---: | --- |\n");
	for (size_t k = 0; k < nsizes; k++)
		for (int d = 0; d < N_DIST; d++) {
			size_t n = sizes[k];
			double cpu[REPS], wall[REPS], heap[REPS];
			const char *target = n == 1000000 ? ">= 10 M/s (issues 2, 22)"
					     : n == 10000 ? ">= heap (issue 22)" : "context";

			for (int rep = 0; rep < REPS; rep++) {
				hold_calendar(n, 3000000, rep, (enum dist)d, &cpu[rep], &wall[rep]);
				heap[rep] = hold_heap(n, 3000000, rep, (enum dist)d);
			}
			qsort(cpu, REPS, sizeof(cpu[0]), bench_cmp_double);
			qsort(wall, REPS, sizeof(wall[0]), bench_cmp_double);
			qsort(heap, REPS, sizeof(heap[0]), bench_cmp_double);
			printf("| %zu | %s | %.1f (%.1f, %.1f) | %.1f | %.1f | %.2fx | %s |\n", n,
			       dist_names[d], cpu[REPS / 2], cpu[0], cpu[REPS - 1], wall[REPS / 2],
			       heap[REPS / 2], cpu[REPS / 2] / heap[REPS / 2], target);
			fflush(stdout);
		}
	return 0;
}
