/*
 * Calendar throughput in the classic "hold" model: with N callbacks
 * pending, pop the earliest and schedule a new one at now + a random
 * increment (uniform on [0, 2 ms), mean 1 ms), so the pending count stays N.
 * One pair = one pop + one schedule.  Issue 2 target: >= 10 M pairs/s at
 * N = 1e6.  Figures are the median of REPS repetitions, wall clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/calendar.h"
#include "common/rng.h"

enum { REPS = 5 };

struct hold {
	struct calendar *cal;
	struct rng r;
};

static simtime increment(struct rng *r)
{
	return (simtime)(rng_u64(r) % (2 * SIMTIME_MS));
}

static void on_fire(void *ctx, uint64_t arg, simtime now)
{
	struct hold *h = ctx;

	calendar_schedule(h->cal, now + increment(&h->r), on_fire, h, arg);
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Million pairs per second for one run with n pending. */
static double hold_once(size_t n, uint64_t pairs, int rep)
{
	struct hold h;
	double t0, t1;

	rng_init(&h.r, 1, RNG_TEST, n, (uint64_t)rep);
	h.cal = calendar_new(0, n);
	for (size_t i = 0; i < n; i++)
		calendar_schedule(h.cal, increment(&h.r), on_fire, &h, i);
	/* Warm up: let the heap reach its steady-state shape. */
	for (size_t i = 0; i < n; i++)
		calendar_step(h.cal);
	t0 = wall();
	for (uint64_t i = 0; i < pairs; i++)
		calendar_step(h.cal);
	t1 = wall();
	calendar_free(h.cal);
	return (double)pairs / (t1 - t0) / 1e6;
}

int main(void)
{
	static const size_t sizes[] = { 1000, 100000, 1000000 };

	printf("| pending | M schedule+pop pairs/s (median of %d) | target |\n", REPS);
	printf("| ---: | ---: | --- |\n");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		double v[REPS];

		for (int rep = 0; rep < REPS; rep++)
			v[rep] = hold_once(sizes[s], 5000000, rep);
		qsort(v, REPS, sizeof(v[0]), cmp_double);
		printf("| %zu | %.1f (min %.1f, max %.1f) | %s |\n", sizes[s], v[REPS / 2],
		       v[0], v[REPS - 1],
		       sizes[s] == 1000000 ? ">= 10 (issue 2)" : "context");
	}
	return 0;
}
