#ifndef AIRTIME_FIREHOSE_H
#define AIRTIME_FIREHOSE_H
/*
 * The firehose: a buffered delivery stream from the fan-out bus to the lake,
 * modelled on managed delivery streams (buffer by size or by time, then
 * deliver an object after a delay).
 *
 * Rules:
 *  - events are appended in arrival order (`now` at firehose_accept);
 *  - the buffer is flushed when it holds >= max_bytes (48 bytes per event,
 *    checked on accept, so the flush happens at the arrival that fills it)
 *    or when `interval` has passed since the oldest buffered record arrived,
 *    whichever comes first;
 *  - a flushed batch is delivered (handed to the sink) `delay` after the
 *    flush; deliveries keep flush order;
 *  - a delivered object is named by the UTC arrival hour of its oldest
 *    record (`hour`, a multiple of SIMTIME_HOUR) and a per-stream sequence.
 *
 * Passive state machine: the firehose never reads a clock.  The owner calls
 * firehose_accept() as events arrive, asks firehose_next_time() when it
 * next needs to act, and calls firehose_advance(now) then (the lead drives it
 * from the calendar).  Accept never calls the sink; advance does.
 *
 * Memory: the buffer holds ceil(max_bytes / 48) events, allocated at
 * creation; flushed batches move to in-flight buffers recycled through a
 * free list, so steady state allocates nothing.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/event.h"
#include "common/simtime.h"

struct firehose;

/* Filled from [batch] firehose_size, firehose_interval and firehose_delay
 * by config_load (config/config.h, which also holds the defaults). */
struct firehose_config {
	int64_t max_bytes;   /* flush at this buffer size */
	simtime interval;    /* flush this long after the oldest record arrived */
	simtime delay;       /* flush -> delivery */
};

/* One delivered object. */
struct firehose_object {
	uint64_t seq;            /* 0, 1, 2, ... per stream */
	simtime hour;            /* arrival hour of the oldest record (its start) */
	simtime oldest_arrival;  /* arrival time of the oldest record */
	simtime flushed_at;
	simtime delivered_at;
	const struct event *evs; /* borrowed for the duration of the call */
	size_t n;
};

/* Receives each object at delivery; a non-zero return aborts advance. */
typedef int (*firehose_sink_fn)(void *ctx, const struct firehose_object *obj,
				struct error *err);

/* A stream delivering to sink(ctx, ...).  ERR_INPUT on a bad config. */
struct firehose *firehose_new(const struct firehose_config *cfg, firehose_sink_fn sink,
			      void *ctx, struct error *err);
void firehose_free(struct firehose *fh);

/* Buffer one event arriving at `now` (now never decreases); flushes when the
 * buffer is full.  The bus subscription callback. */
void firehose_accept(struct firehose *fh, const struct event *ev, simtime now);

/* Earliest time at which firehose_advance has work (an interval flush or a
 * delivery), or SIMTIME_NEVER. */
simtime firehose_next_time(const struct firehose *fh);

/* Do everything due at or before `now`: interval flushes, then deliveries in
 * flush order.  Stops at the first sink error (the object stays in flight
 * and is retried by the next advance). */
int firehose_advance(struct firehose *fh, simtime now, struct error *err);

/* End of run: flush the buffer at `now` and deliver everything in flight
 * at once, ignoring the delay. */
int firehose_drain(struct firehose *fh, simtime now, struct error *err);

/* Events buffered (not yet flushed), objects in flight, objects delivered,
 * and events delivered. */
size_t firehose_buffered(const struct firehose *fh);
size_t firehose_in_flight(const struct firehose *fh);
uint64_t firehose_delivered_objects(const struct firehose *fh);
uint64_t firehose_delivered_events(const struct firehose *fh);

#endif
