/*
 * Calendar throughput in the classic "hold" model: with N callbacks
 * pending, pop the earliest and schedule a new one at now + a random
 * increment, so the pending count stays N.  One pair = one pop + one
 * schedule, including the callback and drawing the increment.  Increments:
 * uniform on [0, 2 ms) (dense: ~500 ties per microsecond at N = 1e6), and,
 * for context, exponential with mean 1 s (sparse, spread over many wheel
 * levels).  Issue 2 target: >= 10 M pairs/s at N = 1e6.  Figures are the
 * median of REPS repetitions after a warm-up of N pairs, both per second of
 * this thread's CPU time (robust on a shared host: time spent waiting for a
 * core is not counted) and per second of wall clock.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/calendar.h"
#include "common/rng.h"

enum { REPS = 5 };

struct hold {
	struct calendar *cal;
	struct rng r;
	bool expo;
};

static simtime increment(struct hold *h)
{
	if (h->expo)
		return (simtime)(-log(rng_uniform_pos(&h->r)) * (double)SIMTIME_S);
	return (simtime)(rng_u64(&h->r) % (2 * SIMTIME_MS));
}

static void on_fire(void *ctx, uint64_t arg, simtime now)
{
	struct hold *h = ctx;

	calendar_schedule(h->cal, now + increment(h), on_fire, h, arg);
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Million pairs per CPU second (*cpu) and per wall second (*wall) for one
 * run with n pending. */
static void hold_once(size_t n, uint64_t pairs, int rep, bool expo, double *cpu,
		      double *wall)
{
	struct hold h;
	double c0, c1, w0, w1;

	rng_init(&h.r, 1, RNG_TEST, n, (uint64_t)rep);
	h.expo = expo;
	h.cal = calendar_new(0, n);
	for (size_t i = 0; i < n; i++)
		calendar_schedule(h.cal, increment(&h), on_fire, &h, i);
	/* Warm up: let the heap reach its steady-state shape. */
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

int main(void)
{
	static const struct { size_t n; bool expo; } runs[] = {
		{ 1000, false }, { 100000, false }, { 1000000, false }, { 1000000, true },
	};

	printf("| pending | increment | M pairs per CPU s (median of %d; min, max) "
	       "| M pairs per wall s (median) | target |\n", REPS);
	printf("| ---: | --- | ---: | ---: | --- |\n");
	for (size_t s = 0; s < sizeof(runs) / sizeof(runs[0]); s++) {
		double cpu[REPS], wall[REPS];

		for (int rep = 0; rep < REPS; rep++)
			hold_once(runs[s].n, 5000000, rep, runs[s].expo, &cpu[rep], &wall[rep]);
		qsort(cpu, REPS, sizeof(cpu[0]), cmp_double);
		qsort(wall, REPS, sizeof(wall[0]), cmp_double);
		printf("| %zu | %s | %.1f (%.1f, %.1f) | %.1f | %s |\n", runs[s].n,
		       runs[s].expo ? "exponential, mean 1 s" : "uniform [0, 2 ms)",
		       cpu[REPS / 2], cpu[0], cpu[REPS - 1], wall[REPS / 2],
		       runs[s].n == 1000000 ? ">= 10 M/s (issue 2)" : "context");
	}
	return 0;
}
