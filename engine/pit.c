/* Point-in-time features with exactly-once effect; see pit.h. */
#include "engine/pit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/xalloc.h"

#define MAX_BUCKETS 61

enum { SESS_EMPTY = 0, SESS_OPEN, SESS_ENDED };

/* The two hash tables keep each entry's fields together (one cache line per
 * probe: lookups land at random slots of tables of tens of megabytes, where
 * a struct of arrays costs one miss per field). */

/* A session keyed (user, show, start). */
struct sess {
	simtime start, end;
	uint32_t user, show;
	uint8_t state;
};

/* Per show: everything one event touches sits in one or two cache lines
 * (a struct of arrays cost a miss per field). */
struct show {
	uint32_t likes, listens, long_sessions;
	int32_t live;
	uint32_t seq;                   /* last write's sequence number */
	uint32_t w_likes, w_tunes;      /* window values last stored */
	uint32_t sum_likes, sum_tunes;  /* window sums as of minute sum_cur */
	uint8_t active;
	simtime asof;
	int64_t sum_cur;                /* SUM_NONE before the first count */
};

/* One minute of a show's window ring. */
struct wslot {
	int64_t min;                    /* minute index, -1 empty */
	uint32_t likes, tunes;
};

struct creator {
	simtime asof;
	uint32_t live_followers, seq;
};

#define SUM_NONE INT64_MIN

/* A (user, creator) pair with a follow or open sessions. */
struct pair {
	uint32_t user, creator;
	uint32_t open;          /* open sessions of user on creator's shows */
	uint8_t used, follows;
};

struct pit {
	struct pit_config cfg;
	int nwin;               /* buckets in the window */
	int nring;              /* nwin + 1 */

	/* dedup: open-addressing set of ids + FIFO ring in apply order */
	uint64_t *dd_table;
	size_t dd_mask;
	uint64_t *ring_id;
	simtime *ring_exp;
	size_t ring_head, ring_n;

	/* sessions keyed (user, show, start) */
	struct sess *sess;
	size_t s_mask, s_n, s_max;  /* s_max: final table size, 2 x capacity */
	unsigned s_shift;       /* 64 - log2(table size) */

	/* (user, creator) pairs */
	struct pair *pair;
	size_t f_mask, f_n, f_max;
	unsigned f_shift;

	struct show *show;
	struct wslot *ws;       /* [show * nring + minute % nring] */
	uint32_t *active_list;
	size_t n_active;
	struct creator *creator;

	/* now / bucket and its ring slot for the last `now` seen (64-bit
	 * divisions cost tens of cycles; every event asks at the same instant
	 * as its batch). */
	simtime mc_now, mc_lo;  /* mc_lo = mc_cur * bucket */
	int64_t mc_cur;
	size_t mc_slot;

	simtime last_now;
	struct pit_stats st;
};

void pit_config_init(struct pit_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->bucket = SIMTIME_MIN;
}

/* The session and follower tables start at this many slots and double
 * (rehash) whenever they would pass half full, up to twice their
 * configured capacity (the size they would have had from the start): memory
 * and cache footprint follow the entries actually held.  This is the only
 * allocation after pit_new, at most log2(capacity) times per table. */
#define TABLE_START 4096

static size_t pow2_at_least(size_t n)
{
	size_t p = 16;

	while (p < n)
		p *= 2;
	return p;
}

struct pit *pit_new(const struct pit_config *cfg, struct error *err)
{
	struct pit *p;
	size_t ns = cfg->n_shows, nc = cfg->n_creators, t;

	if (ns == 0 || nc == 0)
		return error_set(err, ERR_INPUT, "pit: n_shows and n_creators must be positive"), NULL;
	if (cfg->bucket <= 0 || cfg->window < cfg->bucket || cfg->window % cfg->bucket != 0 ||
	    cfg->window / cfg->bucket >= MAX_BUCKETS)
		return error_set(err, ERR_INPUT,
				 "pit: window must be a multiple of bucket, at most %d buckets",
				 MAX_BUCKETS - 1), NULL;
	if (cfg->dedup_capacity == 0 || cfg->session_capacity == 0 || cfg->follow_capacity == 0 ||
	    cfg->dedup_horizon <= 0 || cfg->long_session <= 0)
		return error_set(err, ERR_INPUT, "pit: capacities and durations must be positive"), NULL;
	p = xcalloc(1, sizeof(*p));
	p->cfg = *cfg;
	p->nwin = (int)(cfg->window / cfg->bucket);
	p->nring = p->nwin + 1;

	t = pow2_at_least(2 * (size_t)cfg->dedup_capacity);
	p->dd_table = xcalloc_large(t, sizeof(*p->dd_table));
	p->dd_mask = t - 1;
	p->ring_id = xcalloc_large(cfg->dedup_capacity, sizeof(*p->ring_id));
	p->ring_exp = xcalloc_large(cfg->dedup_capacity, sizeof(*p->ring_exp));

	p->s_max = pow2_at_least(2 * (size_t)cfg->session_capacity);
	t = p->s_max < TABLE_START ? p->s_max : TABLE_START;
	p->s_mask = t - 1;
	p->s_shift = 64 - (unsigned)__builtin_ctzll(t);
	p->sess = xcalloc_large(t, sizeof(*p->sess));

	p->f_max = pow2_at_least(2 * (size_t)cfg->follow_capacity);
	t = p->f_max < TABLE_START ? p->f_max : TABLE_START;
	p->f_mask = t - 1;
	p->f_shift = 64 - (unsigned)__builtin_ctzll(t);
	p->pair = xcalloc_large(t, sizeof(*p->pair));

	p->show = xcalloc(ns, sizeof(*p->show));
	for (size_t i = 0; i < ns; i++)
		p->show[i].sum_cur = SUM_NONE;
	p->ws = xcalloc(ns * (size_t)p->nring, sizeof(*p->ws));
	for (size_t i = 0; i < ns * (size_t)p->nring; i++)
		p->ws[i].min = -1;
	p->active_list = xcalloc(ns, sizeof(*p->active_list));
	p->creator = xcalloc(nc, sizeof(*p->creator));
	p->mc_now = INT64_MIN;
	p->last_now = INT64_MIN;
	return p;
}

void pit_free(struct pit *p)
{
	if (!p)
		return;
	free(p->dd_table); free(p->ring_id); free(p->ring_exp);
	free(p->sess);
	free(p->pair);
	free(p->show); free(p->ws); free(p->active_list); free(p->creator);
	free(p);
}

/* ---- open addressing: linear probing with backward-shift deletion ---- */

/* Whether slot j (home k) may move into the hole at i. */
static bool may_fill(size_t i, size_t j, size_t k)
{
	return (j > i) ? (k <= i || k > j) : (k <= i && k > j);
}

/* Event ids are monotonic per run, so the ids in the set are nearly a
 * contiguous range: the low bits place them in consecutive slots (cache
 * friendly, few collisions); linear probing handles the rest. */
static size_t dd_home(const struct pit *p, uint64_t id)
{
	return (size_t)(id ^ (id >> 40)) & p->dd_mask;
}

static size_t dd_find(const struct pit *p, uint64_t id)
{
	size_t i = dd_home(p, id);

	while (p->dd_table[i] != 0 && p->dd_table[i] != id)
		i = (i + 1) & p->dd_mask;
	return i;
}

static void dd_delete(struct pit *p, uint64_t id)
{
	size_t i = dd_find(p, id), j = i;

	ASSERT(p->dd_table[i] == id);
	p->dd_table[i] = 0;
	for (;;) {
		j = (j + 1) & p->dd_mask;
		if (p->dd_table[j] == 0)
			break;
		if (may_fill(i, j, dd_home(p, p->dd_table[j]))) {
			p->dd_table[i] = p->dd_table[j];
			p->dd_table[j] = 0;
			i = j;
		}
	}
}

static void dd_pop_oldest(struct pit *p)
{
	dd_delete(p, p->ring_id[p->ring_head]);
	if (++p->ring_head == p->cfg.dedup_capacity)
		p->ring_head = 0;
	p->ring_n--;
}

bool pit_seen(const struct pit *p, uint64_t id)
{
	return id != 0 && p->dd_table[dd_find(p, id)] == id;
}

/* Insert id (not present); evicts expired ids, then the oldest when full. */
static void dd_insert(struct pit *p, uint64_t id, simtime now)
{
	size_t cap = p->cfg.dedup_capacity;

	while (p->ring_n > 0 && p->ring_exp[p->ring_head] <= now) {
		dd_pop_oldest(p);
		p->st.dedup_expired++;
	}
	if (p->ring_n == cap) {
		dd_pop_oldest(p);
		p->st.dedup_evicted_live++;
	}
	p->dd_table[dd_find(p, id)] = id;
	size_t tail = p->ring_head + p->ring_n;

	if (tail >= cap)
		tail -= cap;
	p->ring_id[tail] = id;
	p->ring_exp[tail] = now + p->cfg.dedup_horizon;
	p->ring_n++;
}

/* Fibonacci hashing (multiply, keep the high bits): one multiply per key
 * part; keys are user ids and times, so no adversary to defend against. */
#define FIB 0x9e3779b97f4a7c15ull

/* sessions */

static size_t s_home(const struct pit *p, uint32_t user, uint32_t show, simtime start)
{
	uint64_t h = (((uint64_t)user << 32 | show) * FIB) ^ (uint64_t)start;

	return (size_t)((h * FIB) >> p->s_shift);
}

static size_t s_find(const struct pit *p, uint32_t user, uint32_t show, simtime start)
{
	size_t i = s_home(p, user, show, start);
	const struct sess *e;

	while ((e = &p->sess[i])->state != SESS_EMPTY &&
	       !(e->user == user && e->show == show && e->start == start))
		i = (i + 1) & p->s_mask;
	return i;
}

static void s_delete(struct pit *p, size_t i)
{
	size_t j = i;

	p->sess[i].state = SESS_EMPTY;
	p->s_n--;
	for (;;) {
		struct sess *e;
		j = (j + 1) & p->s_mask;
		e = &p->sess[j];
		if (e->state == SESS_EMPTY)
			break;
		if (may_fill(i, j, s_home(p, e->user, e->show, e->start))) {
			p->sess[i] = *e;
			e->state = SESS_EMPTY;
			i = j;
		}
	}
}

/* (user, creator) pairs */

static size_t f_home(const struct pit *p, uint32_t user, uint32_t creator)
{
	return (size_t)((((uint64_t)user << 32 | creator) * FIB) >> p->f_shift);
}

static size_t f_find(const struct pit *p, uint32_t user, uint32_t creator)
{
	size_t i = f_home(p, user, creator);
	const struct pair *e;

	while ((e = &p->pair[i])->used && !(e->user == user && e->creator == creator))
		i = (i + 1) & p->f_mask;
	return i;
}

static void f_delete(struct pit *p, size_t i)
{
	size_t j = i;

	p->pair[i].used = 0;
	p->f_n--;
	for (;;) {
		struct pair *e;
		j = (j + 1) & p->f_mask;
		e = &p->pair[j];
		if (!e->used)
			break;
		if (may_fill(i, j, f_home(p, e->user, e->creator))) {
			p->pair[i] = *e;
			e->used = 0;
			i = j;
		}
	}
}

/* Make room for one more session: double the table when it would pass
 * half full (below its final size).  True when the table moved, so that
 * a slot found before is stale. */
static bool s_reserve(struct pit *p)
{
	size_t n = p->s_mask + 1, t = 2 * n;
	struct sess *old = p->sess;

	if (2 * (p->s_n + 1) <= n || n >= p->s_max)
		return false;
	p->sess = xcalloc_large(t, sizeof(*p->sess));
	p->s_mask = t - 1;
	p->s_shift--;
	for (size_t k = 0; k < n; k++)
		if (old[k].state != SESS_EMPTY)
			p->sess[s_find(p, old[k].user, old[k].show, old[k].start)] = old[k];
	free(old);
	return true;
}

static bool f_reserve(struct pit *p)
{
	size_t n = p->f_mask + 1, t = 2 * n;
	struct pair *old = p->pair;

	if (2 * (p->f_n + 1) <= n || n >= p->f_max)
		return false;
	p->pair = xcalloc_large(t, sizeof(*p->pair));
	p->f_mask = t - 1;
	p->f_shift--;
	for (size_t k = 0; k < n; k++)
		if (old[k].used)
			p->pair[f_find(p, old[k].user, old[k].creator)] = old[k];
	free(old);
	return true;
}

/* ---- writes ---- */

static int emit_show(struct pit *p, uint32_t show, int f, float v, simtime et,
		     const struct event *cause, simtime now, pit_sink_fn sink, void *ctx)
{
	struct pit_write w = {
		.table = PIT_TABLE_SHOW, .feature = (uint8_t)f, .entity = show, .value = v,
		.event_time = et, .seq = ++p->show[show].seq,
	};

	p->st.writes++;
	return sink ? sink(ctx, &w, cause, now) : 0;
}

static void emit_creator(struct pit *p, uint32_t creator, const struct event *ev, simtime now,
			 pit_sink_fn sink, void *ctx)
{
	struct creator *c = &p->creator[creator];
	struct pit_write w = {
		.table = PIT_TABLE_CREATOR, .feature = PIT_LIVE_FOLLOWERS, .entity = creator,
		.value = (float)c->live_followers, .seq = ++c->seq,
	};

	if (ev->emit_time > c->asof)
		c->asof = ev->emit_time;
	w.event_time = c->asof;
	p->st.writes++;
	if (sink)
		sink(ctx, &w, ev, now);
}

/* ---- sliding windows ----
 *
 * The window of minute `cur` is the minutes (cur - nwin, cur]; a ring of
 * nwin + 1 slots holds one minute each.  Each show caches its sums for
 * minute sum_cur, kept exact under two invariants: the sums are those of
 * the slots whose minute lies in sum_cur's window, and no slot holds a
 * minute after sum_cur (an add first advances the cache to its own minute).
 * Advancing by k minutes then only subtracts the k minutes that left, so
 * the hot path never rescans the ring.  A read for an earlier minute than
 * the cache's (never on the streaming path: time only moves forward)
 * scans. */

static void window_scan(const struct pit *p, uint32_t show, int64_t cur, uint32_t *likes,
			uint32_t *tunes)
{
	const struct wslot *w = &p->ws[(size_t)show * (size_t)p->nring];

	*likes = *tunes = 0;
	for (int i = 0; i < p->nring; i++) {
		if (w[i].min > cur - p->nwin && w[i].min <= cur) {
			*likes += w[i].likes;
			*tunes += w[i].tunes;
		}
	}
}

/* The minute of now (C division, as everywhere here). */
static int64_t minute_now(struct pit *p, simtime now)
{
	if (now != p->mc_now) {
		p->mc_now = now;
		p->mc_cur = now / p->cfg.bucket;
		p->mc_lo = p->mc_cur * p->cfg.bucket;
		p->mc_slot = p->mc_cur >= 0 ? (size_t)(p->mc_cur % p->nring) : 0;
	}
	return p->mc_cur;
}

static bool in_cached_window(const struct pit *p, const struct show *sh, int64_t m)
{
	return m > sh->sum_cur - p->nwin && m <= sh->sum_cur;
}

/* Move the show's cached sums forward to minute cur (>= sum_cur). */
static void window_advance(struct pit *p, uint32_t show, int64_t cur)
{
	struct show *sh = &p->show[show];
	const struct wslot *w = &p->ws[(size_t)show * (size_t)p->nring];

	if (sh->sum_cur == SUM_NONE || cur - sh->sum_cur >= p->nwin) {
		/* every stored minute is <= sum_cur <= cur - nwin: none is left */
		sh->sum_likes = sh->sum_tunes = 0;
	} else {
		/* minutes (sum_cur - nwin, cur - nwin] left the window */
		for (int64_t x = sh->sum_cur - p->nwin + 1; x <= cur - p->nwin; x++) {
			const struct wslot *ws;
			if (x < 0)
				continue;
			ws = &w[x % p->nring];
			if (ws->min == x) {
				sh->sum_likes -= ws->likes;
				sh->sum_tunes -= ws->tunes;
			}
		}
	}
	sh->sum_cur = cur;
}

/* The window sums at now (advancing the cache when now is not earlier). */
static void window_sums(struct pit *p, uint32_t show, simtime now, uint32_t *likes,
			uint32_t *tunes)
{
	int64_t cur = minute_now(p, now);
	struct show *sh = &p->show[show];

	if (cur < sh->sum_cur) {
		window_scan(p, show, cur, likes, tunes);
		return;
	}
	if (cur > sh->sum_cur)
		window_advance(p, show, cur);
	*likes = sh->sum_likes;
	*tunes = sh->sum_tunes;
}

/* Count one like or tune-in into its emit-time bucket; false when too old. */
static bool window_add(struct pit *p, uint32_t show, simtime emit, simtime now, bool like)
{
	int64_t cur = minute_now(p, now), m;
	struct show *sh = &p->show[show];
	struct wslot *w;
	size_t slot;

	/* Usually emitted in the current minute: no division. */
	m = emit >= p->mc_lo && emit >= 0 && cur >= 0 ? cur : emit / p->cfg.bucket;
	if (m > cur)
		m = cur;  /* emit after processing cannot happen; clamp defensively */
	if (m <= cur - p->nwin) {
		p->st.late_window++;
		return false;
	}
	if (cur > sh->sum_cur)
		window_advance(p, show, cur);
	slot = m == cur && cur >= 0 ? p->mc_slot : (size_t)(m % p->nring);
	w = &p->ws[(size_t)show * (size_t)p->nring + slot];
	if (w->min != m) {
		/* A slot holds one minute; any other minute in it is older than
		 * the window (the ring is one longer than the window). */
		if (in_cached_window(p, sh, w->min)) {
			sh->sum_likes -= w->likes;
			sh->sum_tunes -= w->tunes;
		}
		w->min = m;
		w->likes = w->tunes = 0;
	}
	if (like)
		w->likes++;
	else
		w->tunes++;
	if (in_cached_window(p, sh, m)) {
		if (like)
			sh->sum_likes++;
		else
			sh->sum_tunes++;
	}
	if (!sh->active) {
		sh->active = 1;
		p->active_list[p->n_active++] = show;
	}
	return true;
}

static void window_write(struct pit *p, uint32_t show, bool likes_feature,
			 const struct event *cause, simtime now, pit_sink_fn sink, void *ctx)
{
	uint32_t l, t;

	window_sums(p, show, now, &l, &t);
	if (likes_feature) {
		if (emit_show(p, show, PIT_LIKES_WINDOW, (float)l, now, cause, now, sink, ctx) == 0)
			p->show[show].w_likes = l;
	} else {
		if (emit_show(p, show, PIT_TUNEINS_WINDOW, (float)t, now, cause, now, sink, ctx) == 0)
			p->show[show].w_tunes = t;
	}
}

/* ---- follower pairs ---- */

/* Adjust the pair (user, creator): open += d_open, follows |= follow.  Writes
 * the creator's count when it changed. */
static void pair_update(struct pit *p, const struct event *ev, int d_open, bool follow,
			simtime now, pit_sink_fn sink, void *ctx)
{
	uint32_t user = ev->user, creator = ev->creator;
	size_t i;
	struct pair *e;
	bool before, after;

	if (creator >= p->cfg.n_creators || user == EVENT_NONE)
		return;
	i = f_find(p, user, creator);
	e = &p->pair[i];
	if (!e->used) {
		if (d_open < 0)
			return;  /* the pair's open session was never tracked (table full) */
		if (p->f_n >= p->cfg.follow_capacity) {
			p->st.follow_table_full++;
			return;
		}
		if (f_reserve(p)) {
			i = f_find(p, user, creator);
			e = &p->pair[i];
		}
		*e = (struct pair){ .used = 1, .user = user, .creator = creator };
		p->f_n++;
	}
	before = e->follows && e->open > 0;
	if (d_open < 0 && e->open > 0)
		e->open--;
	else if (d_open > 0)
		e->open++;
	if (follow)
		e->follows = 1;
	after = e->follows && e->open > 0;
	if (!e->follows && e->open == 0)
		f_delete(p, i);
	if (before != after) {
		if (after)
			p->creator[creator].live_followers++;
		else
			p->creator[creator].live_followers--;
		emit_creator(p, creator, ev, now, sink, ctx);
	}
}

/* ---- apply ---- */

static void touch_show(struct pit *p, uint32_t show, simtime emit)
{
	if (emit > p->show[show].asof)
		p->show[show].asof = emit;
}

static void complete_session(struct pit *p, uint32_t show, simtime start, simtime end,
			     const struct event *ev, simtime now, pit_sink_fn sink, void *ctx)
{
	struct show *sh = &p->show[show];

	p->st.sessions_completed++;
	if (end - start > p->cfg.long_session) {
		sh->long_sessions++;
		emit_show(p, show, PIT_LONG_SESSIONS, (float)sh->long_sessions, sh->asof, ev, now,
			  sink, ctx);
	}
}

static void apply_listen_start(struct pit *p, const struct event *ev, simtime now,
			       pit_sink_fn sink, void *ctx)
{
	uint32_t show = ev->show;
	struct show *sh = &p->show[show];
	size_t i;

	touch_show(p, show, ev->emit_time);
	sh->listens++;
	emit_show(p, show, PIT_LISTENS, (float)sh->listens, sh->asof, ev, now, sink, ctx);
	if (window_add(p, show, ev->emit_time, now, false))
		window_write(p, show, false, ev, now, sink, ctx);

	i = s_find(p, ev->user, show, ev->emit_time);
	if (p->sess[i].state == SESS_ENDED) {
		/* Its end came first: the session is complete, never live. */
		simtime end = p->sess[i].end;
		s_delete(p, i);
		complete_session(p, show, ev->emit_time, end, ev, now, sink, ctx);
		return;
	}
	if (p->sess[i].state == SESS_OPEN)
		return;  /* two starts at the same instant: same session */
	if (p->s_n >= p->cfg.session_capacity) {
		p->st.session_table_full++;
		return;
	}
	if (s_reserve(p))
		i = s_find(p, ev->user, show, ev->emit_time);
	p->sess[i] = (struct sess){ .state = SESS_OPEN, .user = ev->user, .show = show,
				    .start = ev->emit_time };
	p->s_n++;
	sh->live++;
	emit_show(p, show, PIT_LIVE_LISTENERS, (float)sh->live, sh->asof, ev, now, sink, ctx);
	pair_update(p, ev, +1, false, now, sink, ctx);
}

static void apply_listen_end(struct pit *p, const struct event *ev, simtime now,
			     pit_sink_fn sink, void *ctx)
{
	uint32_t show = ev->show;
	struct show *sh = &p->show[show];
	simtime start = ev->emit_time - ev->value;
	size_t i;

	touch_show(p, show, ev->emit_time);
	if (ev->value <= 0) {
		p->st.bad_end++;
		return;
	}
	i = s_find(p, ev->user, show, start);
	if (p->sess[i].state == SESS_OPEN) {
		s_delete(p, i);
		sh->live--;
		emit_show(p, show, PIT_LIVE_LISTENERS, (float)sh->live, sh->asof, ev, now, sink,
			  ctx);
		pair_update(p, ev, -1, false, now, sink, ctx);
		complete_session(p, show, start, ev->emit_time, ev, now, sink, ctx);
		return;
	}
	if (p->sess[i].state == SESS_ENDED)
		return;  /* a second end for the same session: nothing more to count */
	if (p->s_n >= p->cfg.session_capacity) {
		p->st.session_table_full++;
		return;
	}
	if (s_reserve(p))
		i = s_find(p, ev->user, show, start);
	p->st.ended_early++;
	p->sess[i] = (struct sess){ .state = SESS_ENDED, .user = ev->user, .show = show,
				    .start = start, .end = ev->emit_time };
	p->s_n++;
}

enum pit_result pit_apply(struct pit *p, const struct event *ev, simtime now, pit_sink_fn sink,
			  void *ctx)
{
	bool show_event = ev->type == EVENT_LIKE || ev->type == EVENT_LISTEN_START ||
			  ev->type == EVENT_LISTEN_END;

	if (now > p->last_now)
		p->last_now = now;
	if (ev->id == 0) {
		p->st.invalid++;
		p->st.ignored++;
		return PIT_IGNORED;
	}
	if (pit_seen(p, ev->id)) {
		p->st.duplicates++;
		return PIT_DUPLICATE;
	}
	/* Ignored events are remembered too, so that every delivered id has
	 * exactly one first outcome. */
	dd_insert(p, ev->id, now);
	if (ev->type != EVENT_FOLLOW && !show_event) {
		p->st.ignored++;
		return PIT_IGNORED;
	}
	if ((show_event && (ev->show >= p->cfg.n_shows || ev->user == EVENT_NONE)) ||
	    (ev->type == EVENT_FOLLOW && (ev->creator >= p->cfg.n_creators || ev->user == EVENT_NONE))) {
		p->st.invalid++;
		p->st.ignored++;
		return PIT_IGNORED;
	}
	p->st.applied++;
	switch (ev->type) {
	case EVENT_LIKE:
		touch_show(p, ev->show, ev->emit_time);
		p->show[ev->show].likes++;
		emit_show(p, ev->show, PIT_LIKES, (float)p->show[ev->show].likes,
			  p->show[ev->show].asof, ev, now, sink, ctx);
		if (window_add(p, ev->show, ev->emit_time, now, true))
			window_write(p, ev->show, true, ev, now, sink, ctx);
		break;
	case EVENT_LISTEN_START:
		apply_listen_start(p, ev, now, sink, ctx);
		break;
	case EVENT_LISTEN_END:
		apply_listen_end(p, ev, now, sink, ctx);
		break;
	case EVENT_FOLLOW:
		pair_update(p, ev, 0, true, now, sink, ctx);
		break;
	default:
		BUG("pit: unhandled event type %d", ev->type);
	}
	return PIT_APPLIED;
}

void pit_prefetch(struct pit *p, const struct event *ev, simtime now)
{
	uint32_t show = ev->show, creator = ev->creator;
	int64_t cur = minute_now(p, now);   /* (a cache of now / bucket) */

	if (ev->id != 0)
		__builtin_prefetch(&p->dd_table[dd_home(p, ev->id)]);
	if (show < p->cfg.n_shows && ev->type != EVENT_FOLLOW) {
		__builtin_prefetch(&p->show[show], 1);
		if (cur >= 0)
			__builtin_prefetch(&p->ws[(size_t)show * (size_t)p->nring + p->mc_slot], 1);
		if (ev->type == EVENT_LISTEN_START)
			__builtin_prefetch(&p->sess[s_home(p, ev->user, show, ev->emit_time)]);
		else if (ev->type == EVENT_LISTEN_END)
			__builtin_prefetch(&p->sess[s_home(p, ev->user, show,
							   ev->emit_time - ev->value)]);
	}
	if (creator < p->cfg.n_creators && ev->type != EVENT_LIKE) {
		__builtin_prefetch(&p->pair[f_home(p, ev->user, creator)]);
		__builtin_prefetch(&p->creator[creator], 1);
	}
}

simtime pit_next_tick(const struct pit *p)
{
	if (p->n_active == 0 || p->last_now == INT64_MIN)
		return SIMTIME_NEVER;
	return (p->last_now / p->cfg.bucket + 1) * p->cfg.bucket;
}

void pit_tick(struct pit *p, simtime now, pit_sink_fn sink, void *ctx)
{
	size_t k = 0;

	if (now > p->last_now)
		p->last_now = now;
	while (k < p->n_active) {
		uint32_t show = p->active_list[k], l, t;
		struct show *sh = &p->show[show];

		window_sums(p, show, now, &l, &t);
		if (l != sh->w_likes &&
		    emit_show(p, show, PIT_LIKES_WINDOW, (float)l, now, NULL, now, sink, ctx) == 0) {
			sh->w_likes = l;
			p->st.tick_writes++;
		}
		if (t != sh->w_tunes &&
		    emit_show(p, show, PIT_TUNEINS_WINDOW, (float)t, now, NULL, now, sink, ctx) == 0) {
			sh->w_tunes = t;
			p->st.tick_writes++;
		}
		if (l == 0 && t == 0 && sh->w_likes == 0 && sh->w_tunes == 0) {
			sh->active = 0;
			p->active_list[k] = p->active_list[--p->n_active];
			continue;
		}
		k++;
	}
}

float pit_show_value(const struct pit *p, uint32_t show, enum pit_show_feature f, simtime now)
{
	uint32_t l, t;

	if (show >= p->cfg.n_shows)
		return NAN;
	switch (f) {
	case PIT_LIKES: return (float)p->show[show].likes;
	case PIT_LISTENS: return (float)p->show[show].listens;
	case PIT_LIVE_LISTENERS: return (float)p->show[show].live;
	case PIT_LONG_SESSIONS: return (float)p->show[show].long_sessions;
	case PIT_LIKES_WINDOW:
		window_scan(p, show, now / p->cfg.bucket, &l, &t);
		return (float)l;
	case PIT_TUNEINS_WINDOW:
		window_scan(p, show, now / p->cfg.bucket, &l, &t);
		return (float)t;
	default:
		return NAN;
	}
}

float pit_creator_value(const struct pit *p, uint32_t creator, enum pit_creator_feature f)
{
	if (creator >= p->cfg.n_creators || f != PIT_LIVE_FOLLOWERS)
		return NAN;
	return (float)p->creator[creator].live_followers;
}

const struct pit_stats *pit_stats(const struct pit *p) { return &p->st; }

const char *pit_feature_name(int table, int feature)
{
	static const char *const show_names[PIT_SHOW_FEATURES] = {
		"likes", "listens", "live_listeners", "long_sessions", "likes_15m", "tuneins_15m",
	};

	if (table == PIT_TABLE_SHOW && feature >= 0 && feature < PIT_SHOW_FEATURES)
		return show_names[feature];
	if (table == PIT_TABLE_CREATOR && feature == PIT_LIVE_FOLLOWERS)
		return "live_followers";
	return "unknown";
}

int pit_feature_count(int table)
{
	return table == PIT_TABLE_SHOW ? PIT_SHOW_FEATURES
	       : table == PIT_TABLE_CREATOR ? PIT_CREATOR_FEATURES : 0;
}
