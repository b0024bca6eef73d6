#ifndef AIRTIME_LOADTEST_H
#define AIRTIME_LOADTEST_H
/*
 * An open-loop load generator in wall-clock time (not simulated): requests
 * arrive on a schedule fixed in advance, whatever the service does, and are
 * served by N worker threads from one bounded FIFO queue.
 *
 * No coordinated omission: each request's latency is measured from its
 * INTENDED start (its time in the schedule) to its completion, so a slow
 * service shows as growing latency of the requests queued behind it, not as
 * a lower request rate (wrk2's correction, done by construction).
 *
 * The queue: an arrival that finds `queue_bound` requests already waiting
 * (not counting those in service) is dropped and counted.  Arrivals are
 * admitted lazily by whichever worker looks at the queue next, in schedule
 * order; because workers only take from the queue right after admitting,
 * the queue length each arrival sees is exactly that of a FIFO queue fed at
 * the intended times.  An idle worker sleeps until the next intended time
 * (one sleeper at a time; the others wait on a condition variable).
 *
 * A request is late when it starts more than late_after_ns after its
 * intended time.  Per-thread histograms (latency, service, start delay;
 * nanoseconds) are merged at the end; per-request start and end times are
 * kept too (for per-second series), each written by one thread only.
 *
 * The clock is an interface, so tests drive the scheduler with a fake
 * clock and a handler that advances it (no assertion on real speed).
 *
 * Ownership: schedules and reports own their arrays (x_release); handler
 * contexts are borrowed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/hist.h"
#include "common/simtime.h"

/* Nanoseconds on some monotonic clock. */
struct loadtest_clock {
	int64_t (*now)(void *ctx);
	void (*sleep_until)(void *ctx, int64_t t);   /* return at or after t */
	void *ctx;
};

/* Intended start times (ns from the start, non-decreasing) and the user
 * each request is for. */
struct loadtest_schedule {
	size_t n;
	int64_t *at;
	uint32_t *user;
	simtime *time;           /* [n] simulated time of each request, or NULL */
	int64_t duration_ns;     /* length of the schedule's window */
};

/* Request outcome. */
enum loadtest_status { LOADTEST_PENDING = 0, LOADTEST_OK, LOADTEST_ERROR, LOADTEST_DROPPED };

/* Serve request i (for `user`) on the thread whose context is ctx: 0 or a
 * negative ERR_* (counted as an error; the run goes on). */
typedef int (*loadtest_handler)(void *ctx, size_t i, uint32_t user);

struct loadtest_config {
	size_t threads;              /* >= 1 */
	size_t queue_bound;          /* waiting requests at most (>= 1) */
	int64_t late_after_ns;       /* a start later than this is late */
	const struct loadtest_clock *clock;   /* NULL: CLOCK_MONOTONIC */
};

struct loadtest_report {
	size_t n;
	uint64_t completed, errors, dropped, late;
	struct hist latency;     /* intended start -> completion, ns */
	struct hist service;     /* actual start -> completion, ns */
	struct hist delay;       /* intended start -> actual start, ns */
	int64_t *start, *end;    /* [n] ns from the run's start; -1 when dropped */
	uint8_t *status;         /* [n] enum loadtest_status */
	double wall_s;           /* first intended start to last completion */
};

/* Highest latency the histograms track (60 s), with 3 significant digits. */
#define LOADTEST_HIST_HIGHEST (INT64_C(60) * 1000000000)
#define LOADTEST_HIST_DIGITS 3

/* The host's CLOCK_MONOTONIC. */
void loadtest_clock_monotonic(struct loadtest_clock *c);

/* Evenly spaced arrivals at `rate` per second for duration_ns: request i
 * at i / rate.  Users drawn uniformly from [0, users) by a hash of (seed,
 * i): the same schedule for the same arguments. */
int loadtest_schedule_constant(struct loadtest_schedule *s, double rate, int64_t duration_ns,
			       uint32_t users, uint64_t seed, struct error *err);
/* Piecewise-constant rates: rate[j] per second over segment j of seg_ns.
 * Request i arrives when the integrated rate reaches i (deterministic
 * spacing, no Poisson noise), so a constant rate gives i / rate. */
int loadtest_schedule_piecewise(struct loadtest_schedule *s, const double *rate, size_t nseg,
				int64_t seg_ns, uint32_t users, uint64_t seed, struct error *err);
/* A linear ramp from rate `from` to rate `to` per second over
 * duration_ns (both >= 0, not both 0): request i arrives where the
 * integrated rate reaches i (exactly, by the quadratic's root).  Users as
 * for the constant schedule. */
int loadtest_schedule_ramp(struct loadtest_schedule *s, double from, double to,
			   int64_t duration_ns, uint32_t users, uint64_t seed, struct error *err);
void loadtest_schedule_release(struct loadtest_schedule *s);

/* Run the schedule: thread t calls fn(ctx[t], ...).  ERR_INPUT on a bad
 * config; ERR_RUN when threads cannot be started.  The report is filled
 * (loadtest_report_release it) even when handlers failed. */
int loadtest_run(const struct loadtest_config *cfg, const struct loadtest_schedule *s,
		 loadtest_handler fn, void *const *ctx, struct loadtest_report *rep,
		 struct error *err);
void loadtest_report_release(struct loadtest_report *rep);

#endif
