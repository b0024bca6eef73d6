#ifndef AIRTIME_BENCH_H
#define AIRTIME_BENCH_H
/*
 * What every micro benchmark of bench/ measures with: clocks in seconds
 * and the median of repetitions.  Header-only (each bench is one program).
 *
 * bench_thread_cpu is the clock for work done on the calling thread alone:
 * on a shared machine other processes do not count in it.  bench_wall is
 * for what spans threads or processes, and bench_process_cpu for the whole
 * process's CPU time.
 */
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline double bench_wall(void) { return bench_clock(CLOCK_MONOTONIC); }
static inline double bench_thread_cpu(void) { return bench_clock(CLOCK_THREAD_CPUTIME_ID); }
static inline double bench_process_cpu(void) { return bench_clock(CLOCK_PROCESS_CPUTIME_ID); }

/* qsort's comparison of doubles, ascending. */
static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v[0..n) (n > 0; v is sorted in place). */
static inline double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
