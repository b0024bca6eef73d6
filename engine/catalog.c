/* The engine's show catalog and candidate generation; see catalog.h. */
#include "engine/catalog.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct catalog {
	/* per show id; ids >= n_ids are unknown */
	uint8_t *state;
	uint32_t *creator;
	uint16_t *topic;
	simtime *start;
	simtime *live_at;
	size_t n_ids, cap_ids;
	/* live shows, ascending id */
	uint32_t *live;
	size_t n_live, cap_live;
	/* announced shows, ascending (start, id) */
	uint32_t *ann;
	size_t n_ann, cap_ann;
	uint32_t topic_bound;
	uint64_t version;            /* show events applied */
};

/* Make ids 0..n-1 addressable; new ids start unknown. */
static void ensure_ids(struct catalog *c, size_t n)
{
	if (n > c->cap_ids) {
		size_t cap = c->cap_ids ? c->cap_ids : 16;

		while (cap < n)
			cap *= 2;
		c->state = xreallocarray(c->state, cap, sizeof(*c->state));
		c->creator = xreallocarray(c->creator, cap, sizeof(*c->creator));
		c->topic = xreallocarray(c->topic, cap, sizeof(*c->topic));
		c->start = xreallocarray(c->start, cap, sizeof(*c->start));
		c->live_at = xreallocarray(c->live_at, cap, sizeof(*c->live_at));
		c->cap_ids = cap;
	}
	for (size_t i = c->n_ids; i < n; i++) {
		c->state[i] = CATALOG_UNKNOWN;
		c->creator[i] = EVENT_NONE;
		c->topic[i] = UINT16_MAX;
		c->start[i] = SIMTIME_NEVER;
		c->live_at[i] = SIMTIME_NEVER;
	}
	if (n > c->n_ids)
		c->n_ids = n;
}

struct catalog *catalog_new(size_t show_hint)
{
	struct catalog *c = xcalloc(1, sizeof(*c));

	ensure_ids(c, show_hint);
	c->n_ids = 0;
	return c;
}

void catalog_free(struct catalog *c)
{
	if (!c)
		return;
	free(c->state);
	free(c->creator);
	free(c->topic);
	free(c->start);
	free(c->live_at);
	free(c->live);
	free(c->ann);
	free(c);
}

/* Position of the first live id >= show. */
static size_t live_lower(const struct catalog *c, uint32_t show)
{
	size_t lo = 0, hi = c->n_live;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->live[mid] < show)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* (start, id) strictly before (t, show)? */
static bool ann_before(const struct catalog *c, uint32_t a, simtime t, uint32_t show)
{
	return c->start[a] < t || (c->start[a] == t && a < show);
}

/* Position of the first announced entry not before (t, show). */
static size_t ann_lower(const struct catalog *c, simtime t, uint32_t show)
{
	size_t lo = 0, hi = c->n_ann;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ann_before(c, c->ann[mid], t, show))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void live_insert(struct catalog *c, uint32_t show)
{
	size_t at = live_lower(c, show);

	XGROW(c->live, c->n_live + 1, c->cap_live);
	memmove(c->live + at + 1, c->live + at, (c->n_live - at) * sizeof(*c->live));
	c->live[at] = show;
	c->n_live++;
}

static void live_remove(struct catalog *c, uint32_t show)
{
	size_t at = live_lower(c, show);

	ASSERT(at < c->n_live && c->live[at] == show);
	memmove(c->live + at, c->live + at + 1, (c->n_live - at - 1) * sizeof(*c->live));
	c->n_live--;
}

/* The show's start must already be stored. */
static void ann_insert(struct catalog *c, uint32_t show)
{
	size_t at = ann_lower(c, c->start[show], show);

	XGROW(c->ann, c->n_ann + 1, c->cap_ann);
	memmove(c->ann + at + 1, c->ann + at, (c->n_ann - at) * sizeof(*c->ann));
	c->ann[at] = show;
	c->n_ann++;
}

static void ann_remove(struct catalog *c, uint32_t show)
{
	size_t at = ann_lower(c, c->start[show], show);

	ASSERT(at < c->n_ann && c->ann[at] == show);
	memmove(c->ann + at, c->ann + at + 1, (c->n_ann - at - 1) * sizeof(*c->ann));
	c->n_ann--;
}

/* Take the show out of whichever index its state puts it in. */
static void unindex(struct catalog *c, uint32_t show)
{
	if (c->state[show] == CATALOG_LIVE)
		live_remove(c, show);
	else if (c->state[show] == CATALOG_ANNOUNCED)
		ann_remove(c, show);
}

int catalog_apply(struct catalog *c, const struct event *ev, struct error *err)
{
	uint32_t s = ev->show;

	if (ev->type != EVENT_SHOW_SCHEDULED && ev->type != EVENT_SHOW_LIVE &&
	    ev->type != EVENT_SHOW_END)
		return 0;
	if (s == EVENT_NONE || s >= CATALOG_MAX_SHOW)
		return error_set(err, ERR_INPUT, "catalog: %s event %llu has show id %u (expected < %u)",
				 event_type_name(ev->type), (unsigned long long)ev->id, s,
				 CATALOG_MAX_SHOW);
	if (ev->creator == EVENT_NONE || ev->topic == UINT16_MAX)
		return error_set(err, ERR_INPUT, "catalog: %s event %llu for show %u lacks creator or topic",
				 event_type_name(ev->type), (unsigned long long)ev->id, s);
	ensure_ids(c, (size_t)s + 1);
	c->version++;
	if (c->state[s] == CATALOG_ENDED)
		return 0;  /* a late duplicate; an ended show stays ended */
	c->creator[s] = ev->creator;
	c->topic[s] = ev->topic;
	if ((uint32_t)ev->topic + 1 > c->topic_bound)
		c->topic_bound = (uint32_t)ev->topic + 1;
	switch (ev->type) {
	case EVENT_SHOW_SCHEDULED:
		if (c->state[s] == CATALOG_LIVE)
			return 0;  /* re-announcement of a show already on air */
		unindex(c, s);
		c->start[s] = ev->value;
		c->state[s] = CATALOG_ANNOUNCED;
		ann_insert(c, s);
		break;
	case EVENT_SHOW_LIVE:
		if (c->state[s] == CATALOG_LIVE)
			return 0;
		unindex(c, s);
		if (c->start[s] == SIMTIME_NEVER)
			c->start[s] = ev->emit_time;
		c->live_at[s] = ev->emit_time;
		c->state[s] = CATALOG_LIVE;
		live_insert(c, s);
		break;
	default: /* EVENT_SHOW_END */
		unindex(c, s);
		if (c->start[s] == SIMTIME_NEVER)
			c->start[s] = ev->emit_time;
		c->state[s] = CATALOG_ENDED;
		break;
	}
	return 0;
}

enum catalog_state catalog_state(const struct catalog *c, uint32_t show)
{
	return show < c->n_ids ? (enum catalog_state)c->state[show] : CATALOG_UNKNOWN;
}

uint32_t catalog_creator(const struct catalog *c, uint32_t show)
{
	return show < c->n_ids ? c->creator[show] : EVENT_NONE;
}

uint16_t catalog_topic(const struct catalog *c, uint32_t show)
{
	return show < c->n_ids ? c->topic[show] : UINT16_MAX;
}

simtime catalog_start(const struct catalog *c, uint32_t show)
{
	return show < c->n_ids ? c->start[show] : SIMTIME_NEVER;
}

simtime catalog_live_at(const struct catalog *c, uint32_t show)
{
	return show < c->n_ids ? c->live_at[show] : SIMTIME_NEVER;
}

size_t catalog_live_count(const struct catalog *c)
{
	return c->n_live;
}

size_t catalog_announced_count(const struct catalog *c)
{
	return c->n_ann;
}

uint64_t catalog_version(const struct catalog *c)
{
	return c->version;
}

uint32_t catalog_topic_bound(const struct catalog *c)
{
	return c->topic_bound;
}

size_t catalog_candidates(const struct catalog *c, simtime now, simtime horizon,
			  simtime late_grace, uint32_t *out, size_t cap)
{
	size_t n = c->n_live < cap ? c->n_live : cap;
	simtime from = now - late_grace, until = now + horizon;

	if (n)
		memcpy(out, c->live, n * sizeof(*out));
	for (size_t i = ann_lower(c, from, 0); i < c->n_ann && n < cap; i++) {
		uint32_t s = c->ann[i];

		if (c->start[s] > until)
			break;
		out[n++] = s;
	}
	return n;
}
