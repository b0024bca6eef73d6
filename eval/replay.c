/* Trace replay as a world's event source; see replay.h. */
#include "eval/replay.h"

#include "common/calendar.h"
#include "common/trace.h"
#include "common/xalloc.h"

#include <stdlib.h>
#include <string.h>

struct replay {
	struct trace_ids ids;
	bool mapped;
	struct event *ev;
	size_t n, cap, next;
	uint32_t users, shows, creators;
	struct calendar *cal;
	simtime end;
	void (*emit)(void *ctx, const struct event *ev);
	void (*session)(void *ctx, uint32_t user, uint32_t session, simtime now);
	void *ctx;
};

static int collect(void *ctx, const struct event *ev)
{
	struct replay *r = ctx;

	XGROW(r->ev, r->n + 1, r->cap);
	r->ev[r->n++] = *ev;
	return 0;
}

/* Entity counts (largest id + 1) of the final ids. */
static void count(struct replay *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct event *ev = &r->ev[i];

		if (ev->user != EVENT_NONE && ev->user + 1 > r->users)
			r->users = ev->user + 1;
		if (ev->show != EVENT_NONE && ev->show + 1 > r->shows)
			r->shows = ev->show + 1;
		if (ev->creator != EVENT_NONE && ev->creator + 1 > r->creators)
			r->creators = ev->creator + 1;
	}
}

static int by_time_then_id(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->emit_time != y->emit_time)
		return x->emit_time < y->emit_time ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

struct replay *replay_open(const char *path, const struct trace_options *opts,
			   struct error *err)
{
	struct replay *r = xcalloc(1, sizeof(*r));
	struct trace_report rep;
	int rc;

	rc = trace_read_ext(path, opts, collect, r, &rep, &r->ids, err);
	if (rc < 0) {
		/* The reader names the first bad rows; say how many in all. */
		if (rep.malformed)
			error_prefix(err, "trace '%s': %llu of %llu rows malformed, nothing replayed:\n",
				     path, (unsigned long long)rep.malformed,
				     (unsigned long long)rep.rows);
		replay_free(r);
		return NULL;
	}
	if (r->n == 0) {
		error_set(err, ERR_INPUT, "trace '%s' holds no events", path);
		replay_free(r);
		return NULL;
	}
	if (opts && opts->map_ids) {
		trace_ids_finish(&r->ids);
		r->mapped = true;
		for (size_t i = 0; i < r->n; i++)
			trace_ids_apply(&r->ids, &r->ev[i]);
	}
	count(r);
	for (size_t i = 0; i < r->n; i++)
		if (r->ev[i].emit_time < 0) {
			error_set(err, ERR_INPUT, "trace '%s': event id %llu has a negative emit time",
				  path, (unsigned long long)r->ev[i].id);
			replay_free(r);
			return NULL;
		}
	/* Check, then trust: the world is sized by the largest ids. */
	{
		static const char *const kind[] = { "user", "show", "creator" };
		const uint32_t got[] = { r->users, r->shows, r->creators };
		const uint32_t most[] = { REPLAY_MAX_USERS, REPLAY_MAX_SHOWS, REPLAY_MAX_CREATORS };

		for (int k = 0; k < 3; k++)
			if (got[k] > most[k]) {
				error_set(err, ERR_INPUT, "trace '%s': %s id %u is beyond the largest "
					  "world a run builds (%u %ss; the world is sized by the "
					  "largest id): renumber the ids densely from 0", path,
					  kind[k], got[k] - 1, most[k], kind[k]);
				replay_free(r);
				return NULL;
			}
	}
	qsort(r->ev, r->n, sizeof(*r->ev), by_time_then_id);
	/* Shows and creators sized at least 1 so the engine's tables exist. */
	if (!r->shows)
		r->shows = 1;
	if (!r->creators)
		r->creators = 1;
	if (!r->users)
		r->users = 1;
	return r;
}

void replay_free(struct replay *r)
{
	if (!r)
		return;
	trace_ids_release(&r->ids);
	free(r->ev);
	free(r);
}

const struct trace_ids *replay_ids(const struct replay *r)
{
	return r->mapped ? &r->ids : NULL;
}

uint32_t replay_users(const struct replay *r) { return r->users; }
uint32_t replay_shows(const struct replay *r) { return r->shows; }
uint32_t replay_creators(const struct replay *r) { return r->creators; }
size_t replay_events(const struct replay *r) { return r->n; }

size_t replay_beyond(const struct replay *r, simtime end)
{
	size_t k = 0;

	for (size_t i = 0; i < r->n; i++)
		k += r->ev[i].emit_time >= end;
	return k;
}

/* One calendar entry walks the sorted events: all events of one instant
 * per call, then it reschedules itself at the next instant. */
static void step(void *ctx, uint64_t arg, simtime now)
{
	struct replay *r = ctx;

	(void)arg;
	while (r->next < r->n && r->ev[r->next].emit_time == now) {
		const struct event *ev = &r->ev[r->next++];

		r->emit(r->ctx, ev);
		if (ev->type == EVENT_APP_OPEN && ev->user != EVENT_NONE && r->session)
			r->session(r->ctx, ev->user, ev->session, now);
	}
	if (r->next < r->n && r->ev[r->next].emit_time < r->end)
		calendar_schedule(r->cal, r->ev[r->next].emit_time, step, r, 0);
}

void replay_start(struct replay *r, struct calendar *cal, simtime end,
		  void (*emit)(void *ctx, const struct event *ev),
		  void (*session)(void *ctx, uint32_t user, uint32_t session, simtime now),
		  void *ctx)
{
	r->cal = cal;
	r->end = end;
	r->emit = emit;
	r->session = session;
	r->ctx = ctx;
	r->next = 0;
	if (r->n && r->ev[0].emit_time < end)
		calendar_schedule(cal, r->ev[0].emit_time, step, r, 0);
}
