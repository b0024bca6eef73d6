#ifndef AIRTIME_CALENDAR_H
#define AIRTIME_CALENDAR_H
/*
 * The event calendar: the simulated clock and a priority queue of timed
 * callbacks, the one thing that drives a run.
 *
 * Callbacks fire in order of (time, insertion sequence): two callbacks at
 * the same microsecond fire in the order they were scheduled, never in an
 * order that depends on pointer values or memory layout.  A callback may
 * schedule, cancel and reschedule others, including at the current time
 * (they then fire after every already-scheduled callback at that time).
 *
 * Handles identify a scheduled callback until it fires or is cancelled;
 * a stale handle is detected (generation counter) and refused.
 *
 * Memory: entries live in a pool that grows by doubling, and the wheel's
 * buckets in fixed-size chunks from a shared free list that grows by
 * doubling; scheduling never allocates once both have reached the run's
 * peak, and memory is O(peak pending).  Cancelled entries are dropped
 * lazily, with memory kept O(pending).  Callbacks, contexts and arguments
 * are borrowed.  Implementation notes and measurements: calendar.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/simtime.h"

struct calendar;

/* fn(ctx, arg, now): ctx is the owner's object, arg a small payload
 * (an index, an id). */
typedef void (*calendar_fn)(void *ctx, uint64_t arg, simtime now);

typedef uint64_t calendar_handle;  /* 0 is never a valid handle */

/* A calendar whose clock starts at `start`, with room for `capacity_hint`
 * pending entries before it grows. */
struct calendar *calendar_new(simtime start, size_t capacity_hint);
void calendar_free(struct calendar *cal);

/* The current simulated time: the time of the callback being run, or of the
 * last one run. */
simtime calendar_now(const struct calendar *cal);

/* Schedule fn at `at` (>= now; an earlier time is a BUG). */
calendar_handle calendar_schedule(struct calendar *cal, simtime at, calendar_fn fn,
				  void *ctx, uint64_t arg);
/* Cancel a pending callback; false when the handle is stale or already fired. */
bool calendar_cancel(struct calendar *cal, calendar_handle h);
/* Move a pending callback to a new time (it takes a new insertion sequence);
 * false when the handle is stale. */
bool calendar_reschedule(struct calendar *cal, calendar_handle h, simtime at);

/* Number of pending callbacks. */
size_t calendar_pending(const struct calendar *cal);
/* Time of the earliest pending callback, or SIMTIME_NEVER.  O(1) when it
 * is within the current 64 us block, else a scan of the bucket holding it. */
simtime calendar_next_time(const struct calendar *cal);

/* Run the earliest callback; false when none is pending. */
bool calendar_step(struct calendar *cal);
/* Run callbacks while the earliest is at or before `until`; then the clock
 * reads `until` (unless stopped; an `until` in the past runs nothing and
 * leaves the clock).  Returns the number of callbacks run. */
uint64_t calendar_run_until(struct calendar *cal, simtime until);
/* Ask run_until to return after the current callback (e.g. on a fatal error
 * recorded by the owner); the clock then reads that callback's time.  The
 * request holds until a run_until returns because of it. */
void calendar_stop(struct calendar *cal);

#endif
