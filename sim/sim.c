/* The simulated population on the calendar; see sim.h. */
#define _GNU_SOURCE   /* qsort_r: comparators take their keys as an argument */
#include "sim/sim.h"

#include "common/calendar.h"
#include "common/xalloc.h"
#include "sim/emitter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CUR_SESSION, CUR_ANNOUNCE, CUR_LIVE, CUR_END, CUR_PROMO };

struct sim {
	struct sim_params p;
	struct calendar *cal;
	struct emitter em;
	struct world *w;
	struct arrivals *arr;
	struct spikes *sp;
	struct behaviour *beh;

	int64_t day;              /* arrivals day generated */
	size_t ia, is;            /* next base arrival, next spike session */
	uint64_t sessions;
	uint32_t next_announce, next_live, next_end;
	uint32_t *by_end;         /* show ids sorted by (end, id) */
};

int sim_params_check(struct sim_params *p, const struct scenario *sc, struct error *err)
{
	int rc;

	if ((rc = world_config_check(&p->world, sc, err)) != 0 ||
	    (rc = behaviour_config_check(&p->behaviour, sc, err)) != 0 ||
	    (rc = spikes_config_check(p->spikes, p->n_spikes, &p->world, sc, err)) != 0)
		return rc;
	return 0;
}

/* ---- exogenous sessions ---- */

static void on_session(void *ctx, uint64_t arg, simtime now);

static void schedule_session(struct sim *s)
{
	simtime tb = SIMTIME_NEVER, ts = SIMTIME_NEVER;

	while (s->ia >= arrivals_count(s->arr) && (s->day + 1) * SIMTIME_DAY < s->p.horizon) {
		s->day++;
		arrivals_generate_day(s->arr, s->day);
		s->ia = 0;
	}
	if (s->ia < arrivals_count(s->arr) && arrivals_time(s->arr, s->ia) < s->p.horizon)
		tb = arrivals_time(s->arr, s->ia);
	if (s->is < spikes_n_sessions(s->sp) && spikes_session_time(s->sp, s->is) < s->p.horizon)
		ts = spikes_session_time(s->sp, s->is);
	if (tb == SIMTIME_NEVER && ts == SIMTIME_NEVER)
		return;
	calendar_schedule(s->cal, tb <= ts ? tb : ts, on_session, s, tb <= ts ? 0 : 1);
}

static void on_session(void *ctx, uint64_t arg, simtime now)
{
	struct sim *s = ctx;
	struct event ev = emitter_event(EVENT_APP_OPEN, now);
	uint32_t promoted = EVENT_NONE;

	if (arg == 0) {
		ev.user = arrivals_user(s->arr, s->ia++);
	} else {
		ev.user = spikes_session_user(s->sp, s->is);
		promoted = spikes_show(s->sp, spikes_session_spike(s->sp, s->is));
		ev.source = EVENT_SOURCE_PROMO;
		s->is++;
	}
	ev.session = (uint32_t)s->sessions++;
	emitter_emit(&s->em, &ev);
	behaviour_session(s->beh, ev.user, ev.session, now, promoted);
	schedule_session(s);
}

/* ---- shows and promotions ---- */

static simtime show_time(const struct sim *s, int cursor, uint32_t i)
{
	switch (cursor) {
	case CUR_ANNOUNCE:
		return world_show_announce(s->w, i);
	case CUR_LIVE:
		return world_show_start(s->w, i);
	default:
		return world_show_end(s->w, s->by_end[i]);
	}
}

static void on_show(void *ctx, uint64_t cursor, simtime now);

static void schedule_show(struct sim *s, int cursor)
{
	uint32_t i = cursor == CUR_ANNOUNCE ? s->next_announce
		     : cursor == CUR_LIVE   ? s->next_live : s->next_end;

	if (i < world_n_shows(s->w) && show_time(s, cursor, i) < s->p.horizon)
		calendar_schedule(s->cal, show_time(s, cursor, i), on_show, s, (uint64_t)cursor);
}

static void on_show(void *ctx, uint64_t cursor, simtime now)
{
	struct sim *s = ctx;
	uint32_t show;
	struct event ev;

	switch (cursor) {
	case CUR_ANNOUNCE:
		show = s->next_announce++;
		ev = emitter_event(EVENT_SHOW_SCHEDULED, now);
		ev.value = world_show_start(s->w, show);
		break;
	case CUR_LIVE:
		show = s->next_live++;
		ev = emitter_event(EVENT_SHOW_LIVE, now);
		break;
	default:
		show = s->by_end[s->next_end++];
		ev = emitter_event(EVENT_SHOW_END, now);
		ev.value = world_show_end(s->w, show) - world_show_start(s->w, show);
		break;
	}
	ev.show = show;
	ev.creator = world_show_creator(s->w, show);
	ev.topic = world_show_topic(s->w, show);
	emitter_emit(&s->em, &ev);
	if (cursor == CUR_LIVE)
		behaviour_show_live(s->beh, show, now);
	schedule_show(s, (int)cursor);
}

static void on_promo(void *ctx, uint64_t i, simtime now)
{
	struct sim *s = ctx;
	struct event ev = emitter_event(EVENT_PROMO_POST, now);

	ev.creator = spikes_creator(s->sp, i);
	ev.show = spikes_show(s->sp, i);
	if (ev.show != EVENT_NONE)
		ev.topic = world_show_topic(s->w, ev.show);
	ev.value = (int64_t)llround(spikes_expected(s->sp, i));
	ev.source = EVENT_SOURCE_PROMO;
	emitter_emit(&s->em, &ev);
}

/* ctx: the world whose show ends order the shows (qsort_r). */
static int end_cmp(const void *a, const void *b, void *ctx)
{
	const struct world *end_world = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	simtime ex = world_show_end(end_world, x), ey = world_show_end(end_world, y);

	if (ex != ey)
		return ex < ey ? -1 : 1;
	return x < y ? -1 : x > y;
}

struct sim *sim_new(const struct sim_params *p, struct calendar *cal, sim_emit_fn emit,
		    void *emit_ctx, struct error *err)
{
	struct sim *s;
	uint32_t ns;

	if (p->horizon <= 0)
		return error_set(err, ERR_INPUT, "simulation horizon must be positive"), NULL;
	ASSERT(calendar_now(cal) == 0);
	s = xcalloc(1, sizeof(*s));
	s->p = *p;
	s->cal = cal;
	s->em.fn = emit;
	s->em.ctx = emit_ctx;
	s->w = world_new(&p->world, p->seed, p->horizon, err);
	if (!s->w)
		goto out_free;
	s->sp = spikes_new(p->spikes, p->n_spikes, p->seed, s->w, err);
	if (!s->sp)
		goto out_free;
	world_add_users(s->w, spikes_new_users(s->sp));
	s->arr = arrivals_new(&p->traffic, p->seed, s->w, err);
	if (!s->arr)
		goto out_free;
	s->beh = behaviour_new(&p->behaviour, p->seed, s->w, cal, &s->em, err);
	if (!s->beh)
		goto out_free;

	ns = world_n_shows(s->w);
	s->by_end = xcalloc(ns + 1, sizeof(uint32_t));
	for (uint32_t i = 0; i < ns; i++)
		s->by_end[i] = i;
	qsort_r(s->by_end, ns, sizeof(uint32_t), end_cmp, s->w);

	s->day = 0;
	arrivals_generate_day(s->arr, 0);
	schedule_session(s);
	schedule_show(s, CUR_ANNOUNCE);
	schedule_show(s, CUR_LIVE);
	schedule_show(s, CUR_END);
	for (size_t i = 0; i < spikes_count(s->sp); i++)
		if (spikes_start(s->sp, i) < p->horizon)
			calendar_schedule(cal, spikes_start(s->sp, i), on_promo, s, i);
	return s;

out_free:
	sim_free(s);
	return NULL;
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	behaviour_free(s->beh);
	arrivals_free(s->arr);
	spikes_free(s->sp);
	world_free(s->w);
	free(s->by_end);
	free(s);
}

void sim_set_ranker(struct sim *s, const struct sim_ranker *r)
{
	behaviour_set_ranker(s->beh, r);
}

const struct world *sim_world(const struct sim *s) { return s->w; }
const struct spikes *sim_spikes(const struct sim *s) { return s->sp; }
const struct behaviour *sim_behaviour(const struct sim *s) { return s->beh; }
uint64_t sim_events(const struct sim *s) { return s->em.last_id; }
uint64_t sim_sessions(const struct sim *s) { return s->sessions; }

double sim_truth(const struct sim *s, uint32_t user, uint32_t show, simtime now)
{
	return behaviour_truth(s->beh, user, show, now);
}

uint64_t sim_events_of_type(const struct sim *s, int type)
{
	return type > 0 && type < EVENT_TYPE_COUNT ? s->em.by_type[type] : 0;
}
