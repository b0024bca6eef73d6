/* Point-in-time features with exactly-once effect; see pit.h. */
#include "engine/pit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/hashtab.h"
#include "common/xalloc.h"

#define MAX_BUCKETS 61

enum { SESS_EMPTY = 0, SESS_OPEN, SESS_ENDED };

/* The three hash tables (common/hashtab.h) keep each entry's fields
 * together (one cache line per probe: lookups land at random slots of
 * tables of tens of megabytes, where a struct of arrays costs one miss per
 * field). */

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

/* The dedup set: event ids, 0 = empty (id 0 is never applied).  Event ids
 * are monotonic per run, so the ids held are nearly a contiguous range: a
 * near-identity hash puts them in consecutive slots (cache friendly, few
 * collisions); linear probing handles the rest. */
HASHTAB_DECLARE(dedup, uint64_t);

static inline uint64_t dedup_hash(uint64_t id) { return id ^ (id >> 40); }
static inline bool dedup_used(const uint64_t *e) { return *e != 0; }
static inline bool dedup_match(const struct dedup *t, const uint64_t *e, uint64_t id)
{
	(void)t;
	return *e == id;
}
static inline uint64_t dedup_entry_hash(const struct dedup *t, const uint64_t *e)
{
	(void)t;
	return dedup_hash(*e);
}
HASHTAB_DEFINE(dedup, uint64_t, uint64_t)

/* Sessions, keyed (user, show, start). */
struct sess_key {
	uint32_t user, show;
	simtime start;
};
HASHTAB_DECLARE(sesstab, struct sess);

static inline uint64_t sesstab_hash(struct sess_key k)
{
	return hashtab_mix2((uint64_t)k.user << 32 | k.show, (uint64_t)k.start);
}
static inline bool sesstab_used(const struct sess *e) { return e->state != SESS_EMPTY; }
static inline bool sesstab_match(const struct sesstab *t, const struct sess *e, struct sess_key k)
{
	(void)t;
	return e->user == k.user && e->show == k.show && e->start == k.start;
}
static inline uint64_t sesstab_entry_hash(const struct sesstab *t, const struct sess *e)
{
	(void)t;
	return sesstab_hash((struct sess_key){ e->user, e->show, e->start });
}
HASHTAB_DEFINE(sesstab, struct sess, struct sess_key)

/* (user, creator) pairs, keyed user << 32 | creator. */
HASHTAB_DECLARE(pairtab, struct pair);

static inline uint64_t pair_key(uint32_t user, uint32_t creator)
{
	return (uint64_t)user << 32 | creator;
}
static inline uint64_t pairtab_hash(uint64_t key) { return hashtab_mix64(key); }
static inline bool pairtab_used(const struct pair *e) { return e->used; }
static inline bool pairtab_match(const struct pairtab *t, const struct pair *e, uint64_t key)
{
	(void)t;
	return pair_key(e->user, e->creator) == key;
}
static inline uint64_t pairtab_entry_hash(const struct pairtab *t, const struct pair *e)
{
	(void)t;
	return pairtab_hash(pair_key(e->user, e->creator));
}
HASHTAB_DEFINE(pairtab, struct pair, uint64_t)

struct pit {
	struct pit_config cfg;
	int nwin;               /* buckets in the window */
	int nring;              /* nwin + 1 */

	/* dedup: set of ids + FIFO ring in apply order */
	struct dedup dd;
	uint64_t *ring_id;
	simtime *ring_exp;
	size_t ring_head, ring_n;

	struct sesstab sess;
	struct pairtab pair;

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
 * (rehash) whenever they would pass half full; entries are capped at the
 * configured capacity, so a table ends at most at twice that (the size it
 * would have had from the start): memory and cache footprint follow the
 * entries actually held.  This is the only allocation after pit_new, at
 * most log2(capacity) times per table. */
#define TABLE_START 4096

static size_t table_start(uint32_t capacity)
{
	size_t final = hashtab_pow2(2 * (size_t)capacity);

	return final < TABLE_START ? final : TABLE_START;
}

struct pit *pit_new(const struct pit_config *cfg, struct error *err)
{
	struct pit *p;
	size_t ns = cfg->n_shows, nc = cfg->n_creators;

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

	/* full size from the start: it never holds more than dedup_capacity */
	dedup_init(&p->dd, 2 * (size_t)cfg->dedup_capacity);
	p->ring_id = xcalloc_large(cfg->dedup_capacity, sizeof(*p->ring_id));
	p->ring_exp = xcalloc_large(cfg->dedup_capacity, sizeof(*p->ring_exp));

	sesstab_init(&p->sess, table_start(cfg->session_capacity));
	pairtab_init(&p->pair, table_start(cfg->follow_capacity));

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
	dedup_release(&p->dd); free(p->ring_id); free(p->ring_exp);
	sesstab_release(&p->sess);
	pairtab_release(&p->pair);
	free(p->show); free(p->ws); free(p->active_list); free(p->creator);
	free(p);
}

/* ---- dedup ---- */

static void dd_pop_oldest(struct pit *p)
{
	uint64_t *e = dedup_find(&p->dd, p->ring_id[p->ring_head]);

	ASSERT(e);
	dedup_remove(&p->dd, e);
	if (++p->ring_head == p->cfg.dedup_capacity)
		p->ring_head = 0;
	p->ring_n--;
}

bool pit_seen(const struct pit *p, uint64_t id)
{
	return id != 0 && dedup_find(&p->dd, id) != NULL;
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
	*dedup_claim(&p->dd, dedup_probe(&p->dd, id), id) = id;
	size_t tail = p->ring_head + p->ring_n;

	if (tail >= cap)
		tail -= cap;
	p->ring_id[tail] = id;
	p->ring_exp[tail] = now + p->cfg.dedup_horizon;
	p->ring_n++;
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
	uint64_t key = pair_key(user, creator);
	struct pair *e;
	bool before, after;

	if (creator >= p->cfg.n_creators || user == EVENT_NONE)
		return;
	e = pairtab_probe(&p->pair, key);
	if (!e->used) {
		if (d_open < 0)
			return;  /* the pair's open session was never tracked (table full) */
		if (pairtab_count(&p->pair) >= p->cfg.follow_capacity) {
			p->st.follow_table_full++;
			return;
		}
		e = pairtab_claim(&p->pair, e, key);
		*e = (struct pair){ .used = 1, .user = user, .creator = creator };
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
		pairtab_remove(&p->pair, e);
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
	struct sess_key key = { ev->user, show, ev->emit_time };
	struct sess *e;

	touch_show(p, show, ev->emit_time);
	sh->listens++;
	emit_show(p, show, PIT_LISTENS, (float)sh->listens, sh->asof, ev, now, sink, ctx);
	if (window_add(p, show, ev->emit_time, now, false))
		window_write(p, show, false, ev, now, sink, ctx);

	e = sesstab_probe(&p->sess, key);
	if (e->state == SESS_ENDED) {
		/* Its end came first: the session is complete, never live. */
		simtime end = e->end;
		sesstab_remove(&p->sess, e);
		complete_session(p, show, ev->emit_time, end, ev, now, sink, ctx);
		return;
	}
	if (e->state == SESS_OPEN)
		return;  /* two starts at the same instant: same session */
	if (sesstab_count(&p->sess) >= p->cfg.session_capacity) {
		p->st.session_table_full++;
		return;
	}
	e = sesstab_claim(&p->sess, e, key);
	*e = (struct sess){ .state = SESS_OPEN, .user = ev->user, .show = show,
			    .start = ev->emit_time };
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
	struct sess_key key = { ev->user, show, start };
	struct sess *e;

	touch_show(p, show, ev->emit_time);
	if (ev->value <= 0) {
		p->st.bad_end++;
		return;
	}
	e = sesstab_probe(&p->sess, key);
	if (e->state == SESS_OPEN) {
		sesstab_remove(&p->sess, e);
		sh->live--;
		emit_show(p, show, PIT_LIVE_LISTENERS, (float)sh->live, sh->asof, ev, now, sink,
			  ctx);
		pair_update(p, ev, -1, false, now, sink, ctx);
		complete_session(p, show, start, ev->emit_time, ev, now, sink, ctx);
		return;
	}
	if (e->state == SESS_ENDED)
		return;  /* a second end for the same session: nothing more to count */
	if (sesstab_count(&p->sess) >= p->cfg.session_capacity) {
		p->st.session_table_full++;
		return;
	}
	e = sesstab_claim(&p->sess, e, key);
	p->st.ended_early++;
	*e = (struct sess){ .state = SESS_ENDED, .user = ev->user, .show = show, .start = start,
			    .end = ev->emit_time };
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
		__builtin_prefetch(dedup_home(&p->dd, ev->id));
	if (show < p->cfg.n_shows && ev->type != EVENT_FOLLOW) {
		__builtin_prefetch(&p->show[show], 1);
		if (cur >= 0)
			__builtin_prefetch(&p->ws[(size_t)show * (size_t)p->nring + p->mc_slot], 1);
		if (ev->type == EVENT_LISTEN_START)
			__builtin_prefetch(sesstab_home(
				&p->sess, (struct sess_key){ ev->user, show, ev->emit_time }));
		else if (ev->type == EVENT_LISTEN_END)
			__builtin_prefetch(sesstab_home(
				&p->sess,
				(struct sess_key){ ev->user, show, ev->emit_time - ev->value }));
	}
	if (creator < p->cfg.n_creators && ev->type != EVENT_LIKE) {
		__builtin_prefetch(pairtab_home(&p->pair, pair_key(ev->user, creator)));
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
