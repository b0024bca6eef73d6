#ifndef AIRTIME_EMITTER_H
#define AIRTIME_EMITTER_H
/*
 * The sink of sim's events: stamps each event with the run's next id (ids
 * start at 1 and increase by one per event) and hands it to the callback
 * eval wired.  The event is borrowed for the duration of the call.
 */
#include <stdint.h>

#include "common/event.h"

struct emitter {
	void (*fn)(void *ctx, const struct event *ev);
	void *ctx;
	uint64_t last_id;                   /* ids handed out so far */
	uint64_t by_type[EVENT_TYPE_COUNT]; /* events emitted per type */
};

/* An event of `type` at `t` with every other field "not applicable". */
static inline struct event emitter_event(int type, simtime t)
{
	struct event ev = {
		.id = 0, .emit_time = t, .value = 0,
		.user = EVENT_NONE, .show = EVENT_NONE, .creator = EVENT_NONE,
		.session = EVENT_NONE, .topic = UINT16_MAX, .position = UINT16_MAX,
		.type = (uint8_t)type, .source = EVENT_SOURCE_NONE, .pad = {0, 0},
	};
	return ev;
}

/* Stamp the next id and deliver. */
static inline void emitter_emit(struct emitter *em, struct event *ev)
{
	ev->id = ++em->last_id;
	em->by_type[ev->type]++;
	if (em->fn)
		em->fn(em->ctx, ev);
}

#endif
