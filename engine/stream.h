#ifndef AIRTIME_STREAM_H
#define AIRTIME_STREAM_H
/*
 * The streaming path, wired and driven on the run's calendar:
 *
 *   stream_publish -> bus -> (PIT subscription) queue -> workers -> pit -> online store
 *                         -> (other subscriptions, e.g. the firehose: bus_subscribe
 *                             on stream_bus())
 *
 * The queue, workers and pit are passive state machines; this driver keeps
 * one "pump" callback on the calendar at the earliest time any of them needs
 * to act (a message becomes visible or times out, a batching window ends, the
 * concurrency limit may grow), one completion callback per running batch, a
 * per-minute window tick and a sampling tick for gauges.
 *
 * A batch completes at its done_at: if the store is down, the worker retries
 * with backoff (the batch keeps its slot); after the last attempt the batch
 * fails (reason store_unavailable).  Otherwise items before the failure point
 * are applied to the pit (writes go to the online store), the store commits
 * (the writes are acknowledged), and only then are messages deleted: all of
 * them on success, items before the failure point with partial batch
 * responses, none otherwise (they return after the visibility timeout).
 *
 * Reflection time: for each stored feature write caused by an event, the time
 * from the event's emit time to now (when the value became readable), into
 * an HDR histogram overall and per feature, and a per-minute series (count,
 * max, per-minute percentiles).  Window refreshes at minute ticks have no
 * contributing event and are not recorded.
 *
 * Conservation: every event given to stream_publish ends in exactly one of
 * filtered (not a PIT event type), rejected (backpressure: ERR_FULL returned
 * to the caller), applied (first application to the pit; also counting
 * events the pit ignores as invalid), dead-lettered before being applied
 * (with reason) or expired before being applied; stream_unsettled() is what
 * is still in flight, 0 once drained.  Message copies of already-applied
 * events (duplicates) are counted apart.  The guarantee holds within the
 * pit's dedup bound; an id evicted from the dedup set and then redelivered
 * is applied again (pit_stats()->dedup_evicted_live counts evictions of ids
 * that could still come back), and unsettled then reads 0, not negative.
 * A dead-lettered or expired event that was never applied also enters the
 * reflection histogram at its ceiling (never fresh; counts.never_fresh).
 *
 * Store = redis: stream_new connects to [stream] redis_url (ERR_IO when it
 * cannot) and mirrors the online store into it; host timings of its writes
 * and reads are in stream_redis().  A Redis failure later never changes a
 * simulated value: the mirror stops, and stream_redis_check says why.
 *
 * Ownership: the calendar is borrowed and must outlive the stream; the
 * stream owns its bus, queue, workers, pit, online store and Redis mirror.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/event.h"
#include "common/hist.h"
#include "common/scenario.h"
#include "common/simtime.h"
#include "engine/bus.h"
#include "engine/online.h"
#include "engine/pit.h"
#include "engine/queue.h"
#include "engine/workers.h"

struct calendar;
struct redisstore;
struct series;

/* Values are the indexes of [stream] store's choices ("embedded|redis"). */
enum stream_store { STREAM_STORE_EMBEDDED = 0, STREAM_STORE_REDIS };

/* [stream] and [faults]: config_load (config/config.h, which also holds
 * the defaults) fills the parts' key fields, pit_latency (publish_latency_*),
 * sample_interval and the outage from their keys; the rest is
 * stream_config_init's or the caller's. */
struct stream_config {
	struct queue_config queue;
	struct workers_config workers;
	struct pit_config pit;          /* n_shows, n_creators must be set */
	struct online_config online;
	struct bus_latency pit_latency; /* bus -> PIT queue: min + Exp(mean_extra) */
	uint32_t topic;                 /* bus topic of behaviour events, 0 */
	simtime start, length;          /* run range, for the per-minute series (0, 1 day) */
	simtime sample_interval;        /* gauges */
	simtime outage_start, outage_end; /* [faults] store outage; equal = none */
	int64_t reflection_highest;     /* histogram range, 1 day */
	uint64_t seed;                  /* 1 */
	/* [stream] store = redis: the online store is mirrored into a real
	 * Redis at redis_url (engine/redisstore, online_set_mirror); the
	 * embedded store stays the source of truth of every simulated value. */
	enum stream_store store;
	char redis_url[SCENARIO_TEXT_MAX];
	char redis_prefix[64];          /* key prefix, "airtime" (stream_config_init) */
};

struct stream_counts {
	uint64_t published, filtered, rejected;
	uint64_t applied, ignored, duplicates;
	uint64_t dead_unapplied, expired_unapplied;
	uint64_t dead_duplicate, expired_duplicate;      /* copies of applied events */
	uint64_t dead_by_reason[QUEUE_REASON_COUNT];
	uint64_t batches, batch_failures, store_retries, store_failures;
	uint64_t stale_deletes, commit_failures, write_failures;
	uint64_t reflection_writes, empty_receives;
	/* concurrency-limit throttles: episodes in which messages were visible
	 * while every slot under the workers' limit was busy, and their total
	 * time (us; an episode still open is not counted) */
	uint64_t throttles, throttled_us;
	uint64_t never_fresh;   /* lost feature events in the reflection sample */
};

/* Zero cfg but for the fields no key fills: the parts' (their *_init),
 * topic 0, a one-day range from 0, a one-day reflection range, seed 1. */
void stream_config_init(struct stream_config *cfg);
/* After loading from sc (engine/stream_config.c): set pit.dedup_horizon
 * from the queue's retention, and check the rules between [stream] and
 * [faults] keys; ERR_INPUT naming file, line and keys (scenario_where). */
int stream_config_check(struct stream_config *cfg, const struct scenario *sc, struct error *err);

/* Build the path on cal (borrowed); opens/recovers the store log. */
struct stream *stream_new(const struct stream_config *cfg, struct calendar *cal,
			  struct error *err);
void stream_free(struct stream *s);

/* Publish one backend event at the calendar's current time.  0, or ERR_FULL
 * when the PIT queue refused it (counted as rejected; the caller decides). */
int stream_publish(struct stream *s, const struct event *ev);

/* Nothing queued or running. */
bool stream_idle(const struct stream *s);
/* Published events not yet settled (see conservation above). */
uint64_t stream_unsettled(const struct stream *s);

const struct stream_counts *stream_counts(const struct stream *s);
const struct hist *stream_reflection(const struct stream *s);
const struct hist *stream_reflection_feature(const struct stream *s, int table, int feature);
/* Per-minute series: reflection (values with histograms), and gauges. */
const struct series *stream_reflection_series(const struct stream *s);
const struct series *stream_depth_series(const struct stream *s);
const struct series *stream_inflight_series(const struct stream *s);
const struct series *stream_oldest_series(const struct stream *s);
const struct series *stream_concurrency_series(const struct stream *s);

/* The parts, for reading (the ranker reads stream_online) and subscribing. */
struct bus *stream_bus(struct stream *s);
struct online *stream_online(struct stream *s);
const struct queue *stream_queue(const struct stream *s);
const struct workers *stream_workers(const struct stream *s);
const struct pit *stream_pit(const struct stream *s);
/* The Redis mirror (NULL with store = embedded). */
const struct redisstore *stream_redis(const struct stream *s);
/* With a Redis mirror: ERR_IO when a Redis call failed or Redis returned a
 * value other than the embedded store's (the message says which); else 0. */
int stream_redis_check(const struct stream *s, struct error *err);

#endif
