#ifndef AIRTIME_WORKERS_H
#define AIRTIME_WORKERS_H
/*
 * The serverless workers behind a queue (the Lambda event-source-mapping
 * role), as a passive state machine: concurrency, scaling, execution
 * environments, batching, the cost of a batch and injected failures.  It
 * does not touch the queue; the driver (engine/stream) asks how much to take,
 * starts batches here and finishes them.
 *
 * Model (after the AWS documentation for SQS event sources):
 *  - pollers start with `initial_concurrency` (5) concurrent batches; while
 *    messages wait in the queue, the limit grows by one every
 *    1 min / scale_up_per_min (300/min) up to `max_concurrency` (1,000).
 *    When a whole `scale_down_after` period passes with the peak of busy
 *    slots below the limit, the limit shrinks to that peak (not below the
 *    initial concurrency).
 *  - a batch takes `batch_size` (10) messages when that many are visible;
 *    otherwise what is visible once `batch_window` (0) has passed since the
 *    poller first saw a message.
 *  - a batch runs in an execution environment: the most recently used idle
 *    one (warm), or a new one that first pays `cold_start`.  Idle
 *    environments are reclaimed after `env_idle_ttl`.
 *  - duration = [cold_start] + invoke_overhead + n * per_message +
 *    store_write.  A failed batch stops at a uniformly drawn item k (items
 *    before k were processed: their effects happened): duration =
 *    [cold_start] + invoke_overhead + k * per_message (+ store_write if k > 0).
 *  - failures: each batch fails with probability `failure_rate`, drawn from
 *    the stream (seed, RNG_ENGINE_WORKERS, batch sequence); without
 *    `partial_batch_response` the whole batch returns to the queue after its
 *    visibility timeout, with it only items k.. return.
 *  - store writes that find the store unavailable retry with exponential
 *    backoff (retry_base doubling up to retry_max, retry_attempts tries).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/simtime.h"

struct scenario;

/* Every field but seed is filled from a [stream] key (failure_rate from
 * [faults] batch_failure_rate) by config_load (config/config.h, which also
 * holds the defaults). */
struct workers_config {
	uint32_t batch_size;
	simtime batch_window;
	uint32_t initial_concurrency;
	uint32_t scale_up_per_min;
	uint32_t max_concurrency;
	simtime scale_down_after;
	simtime cold_start;
	simtime env_idle_ttl;
	simtime invoke_overhead;
	simtime per_message;           /* per_message_cost */
	simtime store_write;           /* store_write_latency */
	double failure_rate;           /* [faults] batch_failure_rate */
	bool partial_batch_response;
	simtime retry_base;            /* store_retry_base */
	simtime retry_max;             /* store_retry_max */
	uint32_t retry_attempts;       /* store_retry_attempts */
	uint64_t seed;
};

/* A started batch. */
struct workers_batch {
	uint32_t slot;        /* [0, max_concurrency) until workers_finish */
	uint32_t n;           /* messages */
	uint32_t fail_at;     /* first failed item; n when the batch succeeds */
	bool cold;
	uint64_t seq;         /* batch sequence number */
	simtime start, done_at;
};

struct workers_stats {
	uint64_t batches, messages, failed_batches, cold_starts, warm_starts;
	uint64_t envs_reclaimed, scale_ups, scale_downs;
	uint32_t peak_in_use, peak_limit, peak_envs;
};

/* Zero cfg but for the field no key fills: seed 1. */
void workers_config_init(struct workers_config *cfg);

struct workers *workers_new(const struct workers_config *cfg, struct error *err);
void workers_free(struct workers *w);

/* Bring scaling up to now (backlogged: messages are waiting for a slot);
 * returns free slots under the current limit. */
uint32_t workers_free_slots(struct workers *w, simtime now, bool backlogged);
/* How many of `visible` messages a free poller takes now; 0 = wait, with
 * *wake set to the end of the batching window (SIMTIME_NEVER when none). */
uint32_t workers_take(struct workers *w, simtime now, size_t visible, simtime *wake);
/* Start a batch of n messages in a free slot (a BUG when none is free). */
void workers_start(struct workers *w, simtime now, uint32_t n, struct workers_batch *out);
/* Release the batch's slot and environment at now. */
void workers_finish(struct workers *w, uint32_t slot, simtime now);
/* When the limit may next grow (backlogged and saturated), or SIMTIME_NEVER. */
simtime workers_next_scale(const struct workers *w, bool backlogged);
/* Backoff before store-write retry `attempt` (1-based). */
simtime workers_retry_delay(const struct workers *w, uint32_t attempt);

uint32_t workers_limit(const struct workers *w);
uint32_t workers_in_use(const struct workers *w);
uint32_t workers_envs(const struct workers *w);
const struct workers_config *workers_config(const struct workers *w);
const struct workers_stats *workers_stats(const struct workers *w);

#endif
