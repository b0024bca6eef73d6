/* The simulated population on the calendar; see sim.h. */
#define _GNU_SOURCE   /* qsort_r: comparators take their keys as an argument */
#include "sim/sim.h"

#include "common/calendar.h"
#include "common/rng.h"
#include "common/xalloc.h"
#include "sim/emitter.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { CUR_SESSION, CUR_ANNOUNCE, CUR_LIVE, CUR_END, CUR_PROMO };

#define HISTORY_ENDO_OFFSET (UINT32_C(1) << 30)

struct sim {
	struct sim_params p;
	simtime start;            /* the sim covers [start, p.horizon) */
	bool history;             /* sim_new_history: pages from history_page */
	uint32_t session_base;    /* first session id */
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

	/* history pages: the shows live now (unordered), and the next show to
	 * start (ids are in start order) */
	uint32_t *live, *scratch;
	size_t n_live;
	uint32_t next_start;
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
	/* history: exogenous ids in the first half of its range, endogenous
	 * (behaviour_set_session_ids) in the second */
	ASSERT(s->sessions < (s->history ? HISTORY_ENDO_OFFSET : EVENT_SESSION_RETURN_BASE));
	ev.session = s->session_base + (uint32_t)s->sessions++;
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

/* ---- history pages ---- */

/* The history phase's ranker (sim_new_history): the shows live now in a
 * random order, then upcoming shows starting within HISTORY_HORIZON in
 * start order, up to k.  It stands in for the control ranker, which lives
 * in engine/ and would cost as much as the run itself. */
#define HISTORY_HORIZON (6 * SIMTIME_HOUR)

static size_t history_page(void *ctx, uint32_t user, uint32_t session, simtime now,
			   uint32_t *out, size_t k)
{
	struct sim *s = ctx;
	uint32_t ns = world_n_shows(s->w);
	size_t n = 0, m = 0;
	struct rng r;

	(void)user;
	/* the live list stays in id order: appended in start order, compacted */
	while (s->next_start < ns && world_show_start(s->w, s->next_start) <= now)
		s->live[s->n_live++] = s->next_start++;
	for (size_t i = 0; i < s->n_live; i++)
		if (world_show_end(s->w, s->live[i]) > now)
			s->live[m++] = s->live[i];
	s->n_live = m;
	/* k of them in a random order (partial Fisher-Yates on a copy) */
	memcpy(s->scratch, s->live, m * sizeof(*s->scratch));
	rng_init(&r, s->p.seed, RNG_HISTORY, session, 1);
	for (size_t i = 0; i < m && n < k; i++) {
		size_t j = i + (size_t)rng_below(&r, m - i);
		uint32_t t = s->scratch[j];

		s->scratch[j] = s->scratch[i];
		s->scratch[i] = t;
		out[n++] = t;
	}
	for (uint32_t i = s->next_start; i < ns && n < k; i++) {
		if (world_show_start(s->w, i) > now + HISTORY_HORIZON)
			break;
		if (world_show_announce(s->w, i) <= now)
			out[n++] = i;
	}
	return n;
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

/* A sim over [start, p->horizon); history: see sim_new_history. */
static struct sim *sim_build(const struct sim_params *p, simtime start, bool history,
			     struct calendar *cal, sim_emit_fn emit, void *emit_ctx,
			     struct error *err)
{
	struct sim *s;
	uint32_t ns;

	if (p->horizon <= start)
		return error_set(err, ERR_INPUT, "simulation horizon must be after its start"), NULL;
	ASSERT(calendar_now(cal) == start);
	s = xcalloc(1, sizeof(*s));
	s->p = *p;
	s->start = start;
	s->history = history;
	s->session_base = history ? EVENT_SESSION_HISTORY_BASE : 0;
	s->cal = cal;
	s->em.fn = emit;
	s->em.ctx = emit_ctx;
	s->w = world_new_span(&p->world, p->seed, start, p->horizon, err);
	if (!s->w)
		goto out_free;
	s->sp = spikes_new(p->spikes, history ? 0 : p->n_spikes, p->seed, s->w, err);
	if (!s->sp)
		goto out_free;
	world_add_users(s->w, spikes_new_users(s->sp));
	s->arr = arrivals_new(&p->traffic, p->seed, s->w, err);
	if (!s->arr)
		goto out_free;
	/* History draws its own behaviour: its session ids are not the run's */
	s->beh = behaviour_new(&p->behaviour, history ? rng_hash4(p->seed, RNG_HISTORY, 0, 0)
						      : p->seed, s->w, cal, &s->em, err);
	if (!s->beh)
		goto out_free;

	ns = world_n_shows(s->w);
	s->by_end = xcalloc(ns + 1, sizeof(uint32_t));
	for (uint32_t i = 0; i < ns; i++)
		s->by_end[i] = i;
	qsort_r(s->by_end, ns, sizeof(uint32_t), end_cmp, s->w);

	s->day = start >= 0 ? start / SIMTIME_DAY : -((-start + SIMTIME_DAY - 1) / SIMTIME_DAY);
	arrivals_generate_day(s->arr, s->day);
	/* the first day's sessions before start (a start within a day) */
	while (s->ia < arrivals_count(s->arr) && arrivals_time(s->arr, s->ia) < start)
		s->ia++;
	schedule_session(s);
	schedule_show(s, CUR_ANNOUNCE);
	schedule_show(s, CUR_LIVE);
	schedule_show(s, CUR_END);
	for (size_t i = 0; i < spikes_count(s->sp); i++)
		if (spikes_start(s->sp, i) < p->horizon)
			calendar_schedule(cal, spikes_start(s->sp, i), on_promo, s, i);
	if (history) {
		s->live = xcalloc(ns + 1, sizeof(*s->live));
		s->scratch = xcalloc(ns + 1, sizeof(*s->scratch));
		behaviour_set_ranker(s->beh, &(struct sim_ranker){ .ctx = s, .page = history_page });
		behaviour_skip_impressions(s->beh);
		behaviour_set_session_ids(s->beh, EVENT_SESSION_HISTORY_BASE + HISTORY_ENDO_OFFSET,
					  EVENT_NONE);
	}
	return s;

out_free:
	sim_free(s);
	return NULL;
}

struct sim *sim_new(const struct sim_params *p, struct calendar *cal, sim_emit_fn emit,
		    void *emit_ctx, struct error *err)
{
	return sim_build(p, 0, false, cal, emit, emit_ctx, err);
}

struct sim *sim_new_history(const struct sim_params *p, simtime start, struct calendar *cal,
			    sim_emit_fn emit, void *emit_ctx, struct error *err)
{
	struct sim_params h = *p;

	h.horizon = 0;
	h.n_spikes = 0;
	return sim_build(&h, start, true, cal, emit, emit_ctx, err);
}

void sim_import_history(struct sim *s, const struct sim *history)
{
	behaviour_import_follows(s->beh, history->beh);
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
	free(s->live);
	free(s->scratch);
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
uint64_t sim_follow_entries(const struct sim *s) { return behaviour_follow_entries(s->beh); }

double sim_truth(const struct sim *s, uint32_t user, uint32_t show, simtime now)
{
	return behaviour_truth(s->beh, user, show, now);
}

uint64_t sim_events_of_type(const struct sim *s, int type)
{
	return type > 0 && type < EVENT_TYPE_COUNT ? s->em.by_type[type] : 0;
}
