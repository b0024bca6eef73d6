#ifndef AIRTIME_WORKPOOL_H
#define AIRTIME_WORKPOOL_H
/*
 * A pool of persistent helper threads for one parallel loop at a time: the
 * caller splits [0, n) into blocks, then the caller and the helpers claim
 * blocks from a shared counter until none is left; workpool_run() returns
 * once every block has a result.  Built for scoring one home page's
 * candidates on the host's cores (engine/rank): a job of ~0.1 ms that
 * recurs every few tenths of a millisecond, so handing it over must cost
 * microseconds: no allocation, no thread creation and no system call per
 * job while a helper is awake.
 *
 * The caller never depends on a helper being scheduled.  Blocks nobody has
 * claimed are the caller's; a block a helper claimed but has not finished
 * within WORKPOOL_TAKEOVER_US is run again by the caller (a helper
 * preempted by another process would otherwise stall the caller for a
 * whole time slice).  Hence the split of outputs:
 *   fn(ctx, 0, b, e)      the caller: writes the results of [b, e) in place;
 *   fn(ctx, s, b, e)      helper s >= 1: writes them into storage of slot s
 *                         only (e.g. its own score array at [b, e));
 *   collect(ctx, s, b, e) the caller, once helper s finished [b, e) in time:
 *                         moves those results in place.
 * A helper whose block was taken over may still be running fn when
 * workpool_run() has returned.  It only reads the job's inputs, so they
 * must stay unchanged until workpool_busy() says the job is over (keep
 * several input buffers and reuse one whose job is not busy); and it only
 * writes its slot's storage, which the caller reads through collect() for
 * a later block only after that helper has finished it.  Each block's
 * results must not depend on which thread ran it (each item a pure
 * function of the inputs): then the results are the same bits for any
 * number of threads and any timing.
 *
 * After a job a helper polls for the next one for a while
 * (WORKPOOL_SPIN_US), then sleeps on a condition variable: an idle pool
 * uses no CPU.  A caller that knows a job is coming (e.g. before it
 * assembles the rows) calls workpool_wake() to have the helpers up in time.  One caller thread per pool; not reentrant.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* How long an idle helper polls for the next job before sleeping. */
#define WORKPOOL_SPIN_US 50
/* How long a helper woken by workpool_wake() polls for the job. */
#define WORKPOOL_WAKE_SPIN_US 500
/* How long the caller waits for a helper's started block before running it
 * itself (a block is meant to be ~10-20 us of work). */
#define WORKPOOL_TAKEOVER_US 40

struct workpool;

/* See above: slot 0 is the caller, 1 .. threads-1 the helpers. */
typedef void (*workpool_fn)(void *ctx, unsigned slot, size_t begin, size_t end);

/* A pool running jobs of at most max_blocks blocks on `threads` threads in
 * all: the caller and threads-1 helpers (1: no helper, every job runs in
 * the caller).  ERR_RUN if a thread cannot be started; ERR_INPUT if threads
 * is outside [1, 64] or max_blocks is 0. */
struct workpool *workpool_new(unsigned threads, size_t max_blocks, struct error *err);
/* Stop and join the helpers (waiting for a late one to finish); NULL is a
 * no-op. */
void workpool_free(struct workpool *p);
/* Threads in all (the caller included). */
unsigned workpool_threads(const struct workpool *p);
/* Run fn over [0, n) in blocks of `block` items (the last one shorter),
 * at most max_blocks of them, and collect helpers' blocks; returns the
 * job's number (> 0) for workpool_busy().  A job of one block runs in the
 * caller alone. */
uint32_t workpool_run(struct workpool *p, size_t n, size_t block, workpool_fn fn,
		      workpool_fn collect, void *ctx);
/* A job is coming soon: wake sleeping helpers now, so that they are
 * polling when it is posted instead of starting to wake up then (waking a
 * thread takes tens of microseconds, a job is ~100).  Cheap when no helper
 * sleeps (one atomic load). */
void workpool_wake(struct workpool *p);
/* Whether a helper may still be reading the inputs of job `job` (0: never
 * a job; false). */
bool workpool_busy(const struct workpool *p, uint32_t job);

#endif
