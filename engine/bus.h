#ifndef AIRTIME_BUS_H
#define AIRTIME_BUS_H
/*
 * The event bus (the SNS role): topics with subscriptions; one published
 * event is delivered to every subscription of its topic whose filter
 * accepts its type.
 *
 * Delivery is a callback: the bus draws the subscription's publish latency
 * and hands the event and the delivery delay to the subscriber, which makes
 * it available `delay` later (the queue stores it as delayed, the firehose
 * buffers it).  So the bus holds no events and allocates nothing per event.
 * A subscriber that refuses (ERR_FULL: backpressure) makes bus_publish
 * report it; the bus counts it per subscription and never drops silently.
 *
 * Latency per subscription: min + Exp(mean_extra), drawn from the stream
 * (seed, RNG_BUS, subscription index) in publish order, so it is
 * reproducible and independent across subscriptions.
 *
 * Subscriber contexts are borrowed; the bus never frees them.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/event.h"
#include "common/simtime.h"

#define BUS_MAX_SUBS 16

/* Deliver ev, available from now + delay; 0 or a negative ERR_* (ERR_FULL). */
typedef int (*bus_deliver_fn)(void *ctx, const struct event *ev, simtime now, simtime delay);

struct bus_latency {
	simtime min;          /* fixed part */
	simtime mean_extra;   /* mean of the exponential part (0: none) */
};

struct bus_sub_stats {
	uint64_t delivered, filtered, refused;
};

/* A bus with a seed for latency draws. */
struct bus *bus_new(uint64_t seed);
void bus_free(struct bus *b);

/* Subscribe to `topic` (an application-level channel id, e.g. 0 = behaviour
 * events) with a filter: a bit per event type, 0 = all types.  Returns the
 * subscription index, or ERR_FULL beyond BUS_MAX_SUBS. */
int bus_subscribe(struct bus *b, uint32_t topic, uint32_t type_mask, struct bus_latency lat,
		  bus_deliver_fn fn, void *ctx, struct error *err);
/* Type mask helper: the bit of one event type. */
static inline uint32_t bus_type_bit(int type) { return 1u << (unsigned)type; }

/* Publish to every subscription of topic; returns 0, or the first refusal
 * code (other subscriptions are still delivered). */
int bus_publish(struct bus *b, uint32_t topic, const struct event *ev, simtime now);

size_t bus_sub_count(const struct bus *b);
const struct bus_sub_stats *bus_sub_stats(const struct bus *b, int sub);
uint64_t bus_published(const struct bus *b);

#endif
