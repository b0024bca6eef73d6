#ifndef AIRTIME_QUEUE_H
#define AIRTIME_QUEUE_H
/*
 * An SQS-standard-like message queue, as a passive state machine over
 * simulated time: every call takes `now` (non-decreasing across calls) and
 * queue_next_time() says when the queue next changes on its own (a delayed
 * message becomes visible, a visibility timeout runs out, a message reaches
 * the end of its retention period).
 *
 * Semantics (what the model promises, after the SQS documentation):
 *  - at-least-once: a received message stays in the queue, invisible, until
 *    it is deleted with the receipt of its LATEST receive; if the visibility
 *    timeout runs out first it becomes visible again (at the tail: this is
 *    where reordering comes from, besides publish-latency jitter).  With
 *    `duplicate_rate` > 0 a delete "misses a replica" with that probability:
 *    the delete succeeds for the caller but the message comes back after its
 *    visibility timeout (SQS: "a copy of the message isn't deleted on that
 *    unavailable server").
 *  - every receive increments the receive count; a message whose visibility
 *    timeout runs out after `max_receive_count` receives moves to the
 *    dead-letter queue, with the last failure the consumer noted
 *    (queue_note_failure) as the reason.
 *  - a message older than `retention` (since it was sent) is removed and
 *    counted as expired, wherever it is (visible, delayed or in flight).
 *  - bounded memory: the pool holds `max_messages` messages; queue_send on a
 *    full pool returns ERR_FULL and stores nothing (backpressure: the
 *    publisher counts and handles it).  Receives while `inflight_limit`
 *    messages are in flight return nothing (SQS's OverLimit), counted.
 *  - long polling: the queue itself does not wait; a consumer that found the
 *    queue empty records an empty receive per `receive_wait` it sits idle
 *    (the driver calls queue_empty_receives).
 *
 * Every message ends in exactly one outcome, reported once through the
 * outcome callback: deleted, dead-lettered (with reason) or expired.
 *
 * Memory: all storage is allocated by queue_new (struct of arrays over a
 * fixed pool, intrusive index lists, an index heap for delayed messages);
 * nothing is allocated per message.  Events are copied in and out.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/event.h"
#include "common/simtime.h"


/* Every field but seed is filled from a [stream] key by config_load
 * (config/config.h, which also holds the defaults). */
struct queue_config {
	simtime visibility_timeout;   /* as SQS's */
	uint32_t max_receive_count;   /* 0 disables the dead-letter queue */
	simtime retention;            /* as SQS's */
	simtime receive_wait;         /* long-poll wait (Lambda's pollers use SQS's maximum) */
	uint32_t max_messages;        /* hard memory limit, messages (pool size) */
	uint32_t inflight_limit;      /* as SQS's standard in-flight quota */
	uint32_t dlq_capacity;        /* dead-letter records kept for inspection (counts are kept beyond) */
	double duplicate_rate;        /* probability that a delete misses a replica */
	uint64_t seed;                /* for duplicate draws (RNG_ENGINE_QUEUE) */
};

/* Why a message failed, as noted by the consumer; the DLQ reason. */
enum queue_reason {
	QUEUE_REASON_NONE = 0,          /* received, never deleted, nothing noted */
	QUEUE_REASON_BATCH_FAILED,      /* the function failed the batch */
	QUEUE_REASON_STORE_UNAVAILABLE, /* the store stayed down through all retries */
	QUEUE_REASON_COUNT
};

enum queue_outcome {
	QUEUE_OUT_DELETED = 1,
	QUEUE_OUT_DEAD_LETTER,
	QUEUE_OUT_EXPIRED,
};

/* One received message: copied out; `handle` is the receipt for delete. */
struct queue_msg {
	uint64_t handle;
	simtime sent;
	uint32_t receive_count;   /* including this receive */
	struct event ev;
};

/* A dead-letter record. */
struct queue_dead {
	uint64_t event_id;
	simtime sent, dead_at;
	uint32_t receive_count;
	uint8_t reason;           /* enum queue_reason: last failure noted */
};

struct queue_stats {
	uint64_t sent, rejected_full;           /* accepted / refused by backpressure */
	uint64_t received, redelivered;         /* receives; of which not the first */
	uint64_t deleted, stale_deletes;        /* outcomes; deletes with an old receipt */
	uint64_t delete_missed;                 /* duplicates injected (delete missed a replica) */
	uint64_t visibility_expired;            /* returns to visible after the timeout */
	uint64_t dead_lettered, expired;        /* outcomes */
	uint64_t dead_by_reason[QUEUE_REASON_COUNT];
	uint64_t overlimit_receives, empty_receives;
	uint64_t peak_depth, peak_inflight;
};

/* Called once per message when it leaves the queue for good. */
typedef void (*queue_outcome_fn)(void *ctx, const struct event *ev, enum queue_outcome out,
				 enum queue_reason reason, simtime now);

/* Zero cfg but for the field no key fills: seed 1. */
void queue_config_init(struct queue_config *cfg);

/* A queue; NULL with ERR_INPUT on a bad config. */
struct queue *queue_new(const struct queue_config *cfg, struct error *err);
void queue_free(struct queue *q);

/* Outcome callback (optional; borrowed). */
void queue_set_outcome_fn(struct queue *q, queue_outcome_fn fn, void *ctx);

/* Send a copy of ev, visible from now + delay; ERR_FULL when the pool is full. */
int queue_send(struct queue *q, const struct event *ev, simtime now, simtime delay);
/* Apply everything due at or before now (delays, visibility timeouts,
 * retention); done implicitly by receive. */
void queue_advance(struct queue *q, simtime now);
/* Receive up to max visible messages into out; returns how many. */
size_t queue_receive(struct queue *q, simtime now, size_t max, struct queue_msg *out);
/* Delete by receipt; 0 on success, ERR_NOTFOUND for a stale receipt (the
 * message was received again since, or is gone). */
int queue_delete(struct queue *q, uint64_t handle, simtime now);
/* Note why a received message failed (kept as the DLQ reason); stale
 * handles are ignored. */
void queue_note_failure(struct queue *q, uint64_t handle, enum queue_reason reason);
/* Count n empty long polls (idle pollers, one per receive_wait each). */
void queue_empty_receives(struct queue *q, uint64_t n);

/* Earliest time > last now at which the queue changes by itself, or SIMTIME_NEVER. */
simtime queue_next_time(const struct queue *q);
/* Visible messages (depth), in flight, delayed, and total held. */
size_t queue_visible(const struct queue *q);
size_t queue_inflight(const struct queue *q);
size_t queue_delayed(const struct queue *q);
size_t queue_size(const struct queue *q);
/* Age of the oldest message held, 0 when empty. */
simtime queue_oldest_age(const struct queue *q, simtime now);
const struct queue_stats *queue_stats(const struct queue *q);
/* Dead-letter records kept (the most recent dlq_capacity), oldest first. */
size_t queue_dead_count(const struct queue *q);
const struct queue_dead *queue_dead_get(const struct queue *q, size_t i);
/* "batch_failed", ... */
const char *queue_reason_name(int reason);

#endif
