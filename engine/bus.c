/* Fan-out with publish latency; see bus.h. */
#include "engine/bus.h"

#include <math.h>
#include <stdlib.h>

#include "common/rng.h"
#include "common/xalloc.h"

struct sub {
	uint32_t topic, mask;
	struct bus_latency lat;
	bus_deliver_fn fn;
	void *ctx;
	struct rng rng;
	struct bus_sub_stats st;
};

struct bus {
	uint64_t seed;
	struct sub subs[BUS_MAX_SUBS];
	size_t n;
	uint64_t published;
};

struct bus *bus_new(uint64_t seed)
{
	struct bus *b = xcalloc(1, sizeof(*b));

	b->seed = seed;
	return b;
}

void bus_free(struct bus *b)
{
	free(b);
}

int bus_subscribe(struct bus *b, uint32_t topic, uint32_t type_mask, struct bus_latency lat,
		  bus_deliver_fn fn, void *ctx, struct error *err)
{
	struct sub *s;

	if (b->n == BUS_MAX_SUBS)
		return error_set(err, ERR_FULL, "bus: at most %d subscriptions", BUS_MAX_SUBS);
	if (lat.min < 0 || lat.mean_extra < 0 || !fn)
		return error_set(err, ERR_INPUT, "bus: bad subscription (negative latency or no callback)");
	s = &b->subs[b->n];
	s->topic = topic;
	s->mask = type_mask;
	s->lat = lat;
	s->fn = fn;
	s->ctx = ctx;
	rng_init(&s->rng, b->seed, RNG_BUS, b->n, 0);
	return (int)b->n++;
}

int bus_publish(struct bus *b, uint32_t topic, const struct event *ev, simtime now)
{
	int first = 0;

	b->published++;
	for (size_t i = 0; i < b->n; i++) {
		struct sub *s = &b->subs[i];
		simtime delay = s->lat.min;
		int rc;

		if (s->topic != topic)
			continue;
		if (s->mask && (ev->type >= 32 || !(s->mask & (1u << ev->type)))) {
			s->st.filtered++;
			continue;
		}
		if (s->lat.mean_extra > 0)
			delay += (simtime)(-log(rng_uniform_pos(&s->rng)) * (double)s->lat.mean_extra);
		rc = s->fn(s->ctx, ev, now, delay);
		if (rc < 0) {
			s->st.refused++;
			if (!first)
				first = rc;
		} else {
			s->st.delivered++;
		}
	}
	return first;
}

size_t bus_sub_count(const struct bus *b) { return b->n; }

const struct bus_sub_stats *bus_sub_stats(const struct bus *b, int sub)
{
	ASSERT(sub >= 0 && (size_t)sub < b->n);
	return &b->subs[sub].st;
}

uint64_t bus_published(const struct bus *b) { return b->published; }
