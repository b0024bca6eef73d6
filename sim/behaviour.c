/* The behaviour model and ground truth; see behaviour.h. */
#include "sim/behaviour.h"

#include "common/calendar.h"
#include "common/event.h"
#include "common/hashtab.h"
#include "common/rng.h"
#include "common/scenario.h"
#include "common/xalloc.h"
#include "sim/emitter.h"
#include "sim/world.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#define DRAWS_PER_SLOT 6
#define MAX_PAGE 100
#define FOLLOW_BIT 1u
#define NOTIFY_BIT 2u
#define LISTEN_ENDS (UINT64_C(1) << 63)
#define LISTEN_RETURNS (UINT64_C(1) << 62)  /* the user is back on the home page */
/* A listen cut by its show's end continues on another show at most this
 * many times (each hop needs a page and a pick, so the chain is short in
 * practice; the bound keeps a pathological world finite). */
#define MAX_HOPS 64

struct follow {
	uint32_t user, creator;
	uint32_t next;            /* next follow of the same creator, or EVENT_NONE */
	uint32_t flags;
};

struct listen {
	uint32_t user, show, session;
	uint16_t position;
	uint8_t source;
	uint8_t outcome;          /* LIKE/FOLLOW/NOTIFY bits decided when planned */
	uint8_t hop;              /* 0, or how many shows ended under this listen */
	uint8_t then_page;        /* a notification session's listen: a page at its end */
	uint32_t rec;             /* its session's record (struct sess), or EVENT_NONE */
	simtime start, end;
	simtime carry;            /* planned time the show's end cut off */
	uint32_t next_free;
};

/* A session in progress, for the retention model: what the user got out
 * of it so far, and how many things (its opening, listens planned,
 * continuations pending) still hold it open.  Closed when none does. */
struct sess {
	uint32_t user, id, key;   /* key: the session's draw key (= id when exogenous) */
	uint32_t pending;
	uint32_t follows, enables;
	double minutes;
	uint32_t next_free;
};

#define OUT_LIKE 1u
#define OUT_FOLLOW 2u
#define OUT_NOTIFY 4u

/* The index of follow entries: slots hold entry + 1 (0 = empty), keys
 * (user << 32 | creator) are read from the entries (common/hashtab.h). */
HASHTAB_DECLARE(follow_index, uint32_t);

struct behaviour {
	struct behaviour_config cfg;
	uint64_t seed;
	const struct world *w;
	struct calendar *cal;
	struct emitter *em;
	struct sim_ranker ranker;
	bool has_ranker;
	bool no_impressions;      /* behaviour_skip_impressions */
	double exam[MAX_PAGE];
	double pop_centre;
	double *log_quality, *log_pop;
	uint32_t *listeners;      /* per show */

	/* follows: entries, an index (user, creator) -> entry, per-creator
	 * lists (in creation order: never the index's order) */
	struct follow *follows;
	size_t n_follows, cap_follows;
	struct follow_index index;   /* ctx: this behaviour */
	uint32_t *creator_head;
	/* per user, a 128-bit filter (two words) of the creators it has an
	 * entry with: a clear bit answers "no entry" without the index (most
	 * truth lookups: a page's creators against a user's few dozen follows;
	 * the index and its entries are two cache misses a probe at scale) */
	uint64_t (*follow_filter)[2];
	size_t n_filter;

	struct listen *listens;
	size_t cap_listens, live_listens;
	uint32_t free_listen;

	/* daily listening budgets (only with cfg.listen_budget > 0): the
	 * local day each user's budget was drawn for, and what is left of it */
	int64_t *budget_day;
	simtime *budget_left;

	/* retention: open sessions (a pool), the one being processed, each
	 * user's count of endogenous sessions (their draw keys), the next
	 * endogenous session id and its bound */
	struct sess *sess;
	size_t cap_sess;
	uint32_t free_sess, cur;
	uint32_t last_listen;         /* the listen plan_listen planned last */
	uint32_t *endo_count;
	uint32_t next_id, id_limit;
	uint64_t n_returns, n_notify_sessions;
};

/* ---- follows ---- */

static inline uint64_t follow_key(uint32_t user, uint32_t creator)
{
	return (uint64_t)user << 32 | creator;
}

static inline const struct follow *follow_entry(const struct follow_index *t, uint32_t slot)
{
	return &((const struct behaviour *)t->ctx)->follows[slot - 1];
}

static inline uint64_t follow_index_hash(uint64_t key) { return hashtab_mix64(key); }
static inline bool follow_index_used(const uint32_t *e) { return *e != 0; }
static inline bool follow_index_match(const struct follow_index *t, const uint32_t *e,
				      uint64_t key)
{
	const struct follow *f = follow_entry(t, *e);

	return follow_key(f->user, f->creator) == key;
}
static inline uint64_t follow_index_entry_hash(const struct follow_index *t, const uint32_t *e)
{
	const struct follow *f = follow_entry(t, *e);

	return follow_index_hash(follow_key(f->user, f->creator));
}
HASHTAB_DEFINE(follow_index, uint32_t, uint64_t)

/* The filter word and bit of a creator: a multiplicative hash's top 7 bits. */
static inline unsigned follow_filter_word(uint32_t creator)
{
	return (unsigned)((creator * UINT64_C(0x9E3779B97F4A7C15)) >> 63);
}
static inline uint64_t follow_filter_bit(uint32_t creator)
{
	return UINT64_C(1) << ((creator * UINT64_C(0x9E3779B97F4A7C15)) >> 57 & 63);
}

/* The entry index of (user, creator), or EVENT_NONE. */
static uint32_t follow_find(const struct behaviour *b, uint32_t user, uint32_t creator)
{
	const uint32_t *e;

	if (user < b->n_filter &&
	    !(b->follow_filter[user][follow_filter_word(creator)] & follow_filter_bit(creator)))
		return EVENT_NONE;
	e = follow_index_find(&b->index, follow_key(user, creator));

	return e ? *e - 1 : EVENT_NONE;
}

/* The follow entry of (user, creator), created with no flags if absent. */
static struct follow *follow_get(struct behaviour *b, uint32_t user, uint32_t creator)
{
	uint64_t key = follow_key(user, creator);
	uint32_t *slot = follow_index_probe(&b->index, key), e;
	struct follow *f;

	if (*slot)
		return &b->follows[*slot - 1];
	/* the entry first: a growing index rehashes through the entries */
	XGROW(b->follows, b->n_follows + 1, b->cap_follows);
	e = (uint32_t)b->n_follows++;
	f = &b->follows[e];
	f->user = user;
	f->creator = creator;
	f->flags = 0;
	f->next = b->creator_head[creator];
	b->creator_head[creator] = e;
	if (user < b->n_filter)
		b->follow_filter[user][follow_filter_word(creator)] |= follow_filter_bit(creator);
	*follow_index_claim(&b->index, slot, key) = e + 1;
	return f;
}

/* ---- sessions and returns ---- */

static void on_return(void *ctx, uint64_t user, simtime now);

static uint32_t sess_open(struct behaviour *b, uint32_t user, uint32_t id, uint32_t key)
{
	struct sess *s;
	uint32_t i;

	if (b->free_sess == EVENT_NONE) {
		size_t old = b->cap_sess, cap = old * 2;

		ASSERT(cap < EVENT_NONE);
		b->sess = xreallocarray(b->sess, cap, sizeof(*b->sess));
		for (size_t k = old; k < cap; k++)
			b->sess[k].next_free = k + 1 < cap ? (uint32_t)(k + 1) : EVENT_NONE;
		b->free_sess = (uint32_t)old;
		b->cap_sess = cap;
	}
	i = b->free_sess;
	s = &b->sess[i];
	b->free_sess = s->next_free;
	s->user = user;
	s->id = id;
	s->key = key;
	s->pending = 1;
	s->follows = s->enables = 0;
	s->minutes = 0;
	return i;
}

/* The quality of a finished session (behaviour.h, retention). */
static double sess_quality(const struct behaviour_config *c, const struct sess *s)
{
	return s->minutes * (double)SIMTIME_MIN / (double)c->return_minutes +
	       c->return_follow_weight * s->follows + c->return_notify_weight * s->enables;
}

/* Drop one hold on session rec; the last one closes it at `now`: with
 * probability return_rate (1 - exp(-q)) the user comes back after an
 * exponential delay of mean return_delay / (1 + q). */
static void sess_release(struct behaviour *b, uint32_t rec, simtime now)
{
	const struct behaviour_config *c = &b->cfg;
	struct sess *s;
	double q, u0, u1;
	simtime at;
	uint32_t user;
	struct rng r;

	if (rec == EVENT_NONE)
		return;
	s = &b->sess[rec];
	ASSERT(s->pending > 0);
	if (--s->pending > 0)
		return;
	user = s->user;
	q = sess_quality(c, s);
	rng_init(&r, b->seed, RNG_RETURNS, user, s->key);
	s->next_free = b->free_sess;
	b->free_sess = rec;
	if (c->return_rate <= 0)
		return;
	u0 = rng_uniform(&r);
	u1 = rng_uniform(&r);
	if (u0 >= c->return_rate * -expm1(-q))
		return;
	at = now - (simtime)(log(1 - u1) * (double)c->return_delay / (1 + q));
	/* like arrivals, no session opens at or after the horizon (the
	 * calendar drains listens past it) */
	if (at >= world_horizon(b->w))
		return;
	b->n_returns++;
	calendar_schedule(b->cal, at, on_return, b, user);
}

/* Open an endogenous session of user now (a return, or a notification
 * opening the app): its app_open is emitted here.  Returns its record. */
static uint32_t endo_open(struct behaviour *b, uint32_t user, uint8_t source, simtime now)
{
	struct event ev = emitter_event(EVENT_APP_OPEN, now);
	uint32_t key = EVENT_SESSION_RETURN_BASE + b->endo_count[user]++;

	ASSERT(key < EVENT_SESSION_HISTORY_BASE && b->next_id < b->id_limit);
	ev.user = user;
	ev.session = b->next_id++;
	ev.source = source;
	emitter_emit(b->em, &ev);
	return sess_open(b, user, ev.session, key);
}

int behaviour_config_check(const struct behaviour_config *c, const struct scenario *sc,
			   struct error *err)
{
	if ((c->continue_rate > 0 || c->scroll_screens > 1) && c->choice != BEHAVIOUR_MNL) {
		const char *key = c->continue_rate > 0 ? "continue_rate" : "scroll_screens";
		char at[SCENARIO_WHERE_MAX], at2[SCENARIO_WHERE_MAX], val[64];

		return error_set(err, ERR_INPUT,
				 "%s: value '%s' out of range for [behaviour] %s: needs [behaviour] choice_model = mnl (%s)",
				 scenario_where(sc, "behaviour", key, at, sizeof(at)),
				 scenario_format(sc, "behaviour", key, val, sizeof(val)), key,
				 scenario_where(sc, "behaviour", "choice_model", at2, sizeof(at2)));
	}
	if ((size_t)c->page_size * c->scroll_screens > MAX_PAGE) {
		char at[SCENARIO_WHERE_MAX], at2[SCENARIO_WHERE_MAX];

		return error_set(err, ERR_INPUT,
				 "%s: value '%u' out of range for [behaviour] scroll_screens: [behaviour] page_size = %u (%s) times it must be at most %d",
				 scenario_where(sc, "behaviour", "scroll_screens", at, sizeof(at)),
				 c->scroll_screens, c->page_size,
				 scenario_where(sc, "behaviour", "page_size", at2, sizeof(at2)), MAX_PAGE);
	}
	return 0;
}

double behaviour_examination(const struct behaviour_config *cfg, uint32_t slot)
{
	if (cfg->model == BEHAVIOUR_CASCADE)
		return pow(cfg->cascade_continue, slot);
	return pow(slot + 1.0, -cfg->exam_power);
}

struct behaviour *behaviour_new(const struct behaviour_config *cfg, uint64_t seed,
				const struct world *w, struct calendar *cal,
				struct emitter *em, struct error *err)
{
	struct behaviour *b;
	uint32_t nc = world_n_creators(w), ns = world_n_shows(w);
	size_t n;

	if (cfg->page_size < 1 || cfg->page_size > MAX_PAGE)
		return error_set(err, ERR_INPUT, "[behaviour] page_size: %u out of range 1..%d",
				 cfg->page_size, MAX_PAGE), NULL;
	if (cfg->scroll_screens < 1 || (size_t)cfg->page_size * cfg->scroll_screens > MAX_PAGE)
		return error_set(err, ERR_INPUT,
				 "[behaviour] scroll_screens: page_size x scroll_screens must be 1..%d",
				 MAX_PAGE), NULL;
	if (cfg->listen_median <= 0 || cfg->notify_delay <= 0 || cfg->think_time < 0)
		return error_set(err, ERR_INPUT,
				 "[behaviour] listen_median and notify_delay must be > 0"), NULL;
	if (!(cfg->return_rate >= 0 && cfg->return_rate < 1) || cfg->return_minutes <= 0 ||
	    cfg->return_delay <= 0 || !(cfg->return_follow_weight >= 0) ||
	    !(cfg->return_notify_weight >= 0))
		return error_set(err, ERR_INPUT,
				 "[retention] needs return_rate in [0, 1), return_minutes and return_delay > 0, weights >= 0"), NULL;
	if (cfg->listen_budget < 0 || !(cfg->listen_budget_sigma >= 0))
		return error_set(err, ERR_INPUT,
				 "[behaviour] listen_budget and listen_budget_sigma must be >= 0"), NULL;
	b = xcalloc(1, sizeof(*b));
	b->cfg = *cfg;
	b->seed = seed;
	b->w = w;
	b->cal = cal;
	b->em = em;
	for (uint32_t i = 0; i < MAX_PAGE; i++)
		b->exam[i] = behaviour_examination(cfg, i);
	/* log of U^-s is s Exp(1): mean s, the centre of the popularity term. */
	b->pop_centre = world_config(w)->zipf_exponent;
	b->log_quality = xcalloc(nc, sizeof(double));
	b->log_pop = xcalloc(nc, sizeof(double));
	for (uint32_t c = 0; c < nc; c++) {
		b->log_quality[c] = log(world_creator_quality(w, c));
		b->log_pop[c] = log(world_creator_popularity(w, c));
	}
	b->listeners = xcalloc(ns + 1, sizeof(uint32_t));
	b->creator_head = xcalloc(nc, sizeof(uint32_t));
	for (uint32_t c = 0; c < nc; c++)
		b->creator_head[c] = EVENT_NONE;
	n = world_n_users(w) > 512 ? world_n_users(w) : 512;
	if (n > (size_t)1 << 29)
		n = (size_t)1 << 29;
	follow_index_init(&b->index, 2 * n);
	b->index.ctx = b;
	b->n_filter = world_n_users(w);
	b->follow_filter = xcalloc(b->n_filter ? b->n_filter : 1, sizeof(*b->follow_filter));
	b->cap_follows = follow_index_slots(&b->index) / 2;
	b->follows = xcalloc(b->cap_follows, sizeof(*b->follows));
	b->cap_listens = 1024 + world_n_users(w) / 16;
	b->listens = xcalloc(b->cap_listens, sizeof(*b->listens));
	for (size_t i = 0; i < b->cap_listens; i++)
		b->listens[i].next_free = i + 1 < b->cap_listens ? (uint32_t)(i + 1) : EVENT_NONE;
	b->free_listen = 0;
	b->cap_sess = 1024;
	b->sess = xcalloc(b->cap_sess, sizeof(*b->sess));
	for (size_t i = 0; i < b->cap_sess; i++)
		b->sess[i].next_free = i + 1 < b->cap_sess ? (uint32_t)(i + 1) : EVENT_NONE;
	b->free_sess = 0;
	b->cur = EVENT_NONE;
	b->endo_count = xcalloc(world_n_users(w) ? world_n_users(w) : 1, sizeof(uint32_t));
	b->next_id = EVENT_SESSION_RETURN_BASE;
	b->id_limit = EVENT_SESSION_HISTORY_BASE;
	if (cfg->listen_budget > 0) {
		uint32_t nu = world_n_users(w);

		b->budget_day = xcalloc(nu ? nu : 1, sizeof(int64_t));
		b->budget_left = xcalloc(nu ? nu : 1, sizeof(simtime));
		for (uint32_t u = 0; u < nu; u++)
			b->budget_day[u] = INT64_MIN;
	}
	return b;
}

void behaviour_free(struct behaviour *b)
{
	if (!b)
		return;
	free(b->log_quality);
	free(b->log_pop);
	free(b->listeners);
	free(b->creator_head);
	follow_index_release(&b->index);
	free(b->follow_filter);
	free(b->follows);
	free(b->listens);
	free(b->budget_day);
	free(b->budget_left);
	free(b->sess);
	free(b->endo_count);
	free(b);
}

void behaviour_import_follows(struct behaviour *b, const struct behaviour *from)
{
	for (size_t e = 0; e < from->n_follows; e++) {
		const struct follow *f = &from->follows[e];

		if (f->flags && f->user < world_n_users(b->w) && f->creator < world_n_creators(b->w))
			follow_get(b, f->user, f->creator)->flags |= f->flags;
	}
}

void behaviour_set_session_ids(struct behaviour *b, uint32_t first, uint32_t limit)
{
	ASSERT(first < limit);
	b->next_id = first;
	b->id_limit = limit;
}

uint64_t behaviour_returns(const struct behaviour *b) { return b->n_returns; }
uint64_t behaviour_notify_sessions(const struct behaviour *b) { return b->n_notify_sessions; }

void behaviour_skip_impressions(struct behaviour *b)
{
	b->no_impressions = true;
}

void behaviour_set_ranker(struct behaviour *b, const struct sim_ranker *r)
{
	b->has_ranker = r != NULL && r->page != NULL;
	if (b->has_ranker)
		b->ranker = *r;
}

bool behaviour_follows(const struct behaviour *b, uint32_t user, uint32_t creator)
{
	uint32_t e = follow_find(b, user, creator);

	return e != EVENT_NONE && (b->follows[e].flags & FOLLOW_BIT);
}

bool behaviour_notifies(const struct behaviour *b, uint32_t user, uint32_t creator)
{
	uint32_t e = follow_find(b, user, creator);

	return e != EVENT_NONE && (b->follows[e].flags & NOTIFY_BIT);
}

static void emit_user_show(struct behaviour *b, int type, simtime t, uint32_t user,
			   uint32_t show, uint32_t session)
{
	struct event ev = emitter_event(type, t);

	ev.user = user;
	ev.show = show;
	ev.creator = world_show_creator(b->w, show);
	ev.topic = world_show_topic(b->w, show);
	ev.session = session;
	emitter_emit(b->em, &ev);
}

static void enable_notify(struct behaviour *b, uint32_t user, uint32_t show, uint32_t session,
			  simtime t)
{
	struct follow *f = follow_get(b, user, world_show_creator(b->w, show));

	if (f->flags & NOTIFY_BIT)
		return;
	f->flags |= NOTIFY_BIT;
	if (b->cur != EVENT_NONE)
		b->sess[b->cur].enables++;
	emit_user_show(b, EVENT_NOTIFY_ENABLE, t, user, show, session);
}

/* ---- truth ---- */

double behaviour_truth(const struct behaviour *b, uint32_t user, uint32_t show, simtime now)
{
	const struct behaviour_config *c = &b->cfg;
	enum world_show_status st = world_show_status(b->w, show, now);
	uint32_t cr = world_show_creator(b->w, show);
	double taste = world_user_tastes(b->w, user)[world_show_topic(b->w, show)], z;

	if (st != WORLD_SHOW_LIVE && st != WORLD_SHOW_UPCOMING)
		return 0;
	if (taste < 1e-6)
		taste = 1e-6;
	z = c->bias + c->w_topic * log(world_n_topics(b->w) * taste) +
	    c->w_affinity * world_affinity(b->w, user, cr) + c->w_quality * b->log_quality[cr] +
	    c->w_popularity * (b->log_pop[cr] - b->pop_centre);
	if (st == WORLD_SHOW_LIVE && c->w_social != 0)
		z += c->w_social * log1p((double)b->listeners[show]);
	if (c->w_follow != 0 && behaviour_follows(b, user, cr))
		z += c->w_follow;
	return 1 / (1 + exp(-z));
}

/* ---- listens ---- */

static void on_listen(void *ctx, uint64_t arg, simtime now);
static void continue_listening(struct behaviour *b, uint32_t user, uint32_t session,
			       uint32_t key, uint8_t hop, simtime now, simtime carry);
static void notify_page(struct behaviour *b, uint32_t rec, simtime now);

static uint32_t listen_alloc(struct behaviour *b)
{
	uint32_t i;

	if (b->free_listen == EVENT_NONE) {
		size_t old = b->cap_listens, cap = old * 2;

		ASSERT(cap < EVENT_NONE);
		b->listens = xreallocarray(b->listens, cap, sizeof(*b->listens));
		for (size_t k = old; k < cap; k++)
			b->listens[k].next_free = k + 1 < cap ? (uint32_t)(k + 1) : EVENT_NONE;
		b->free_listen = (uint32_t)old;
		b->cap_listens = cap;
	}
	i = b->free_listen;
	b->free_listen = b->listens[i].next_free;
	b->live_listens++;
	return i;
}

static double listen_duration(const struct behaviour *b, uint32_t user, uint32_t show, double u)
{
	double aff = world_affinity(b->w, user, world_show_creator(b->w, show));
	double z = gsl_cdf_ugaussian_Pinv(u < 1e-12 ? 1e-12 : (u > 1 - 1e-12 ? 1 - 1e-12 : u));

	return (double)b->cfg.listen_median * exp(b->cfg.listen_affinity_gain * aff + b->cfg.listen_sigma * z);
}

int64_t behaviour_local_day(const struct behaviour *b, uint32_t user, simtime now)
{
	simtime t = now + (simtime)world_user_utc_offset_min(b->w, user) * SIMTIME_MIN;

	/* floor division: a negative offset puts the first hours on day -1 */
	return t >= 0 ? t / SIMTIME_DAY : -((-t + SIMTIME_DAY - 1) / SIMTIME_DAY);
}

simtime behaviour_listen_budget(const struct behaviour *b, uint32_t user, int64_t day)
{
	struct rng r;
	double z;

	if (b->cfg.listen_budget <= 0)
		return 0;
	/* Its own stream per (user, day): the budget is the same in both arms
	 * and whatever order sessions and notifications arrive in. */
	rng_init(&r, b->seed, RNG_LISTEN_BUDGET, user, (uint64_t)day);
	z = gsl_ran_ugaussian(rng_gsl(&r));
	return (simtime)((double)b->cfg.listen_budget * exp(b->cfg.listen_budget_sigma * z));
}

/* What is left of user's budget for the local day of `now` (planning
 * time, which never decreases, so one counter per user suffices). */
static simtime *budget_left(struct behaviour *b, uint32_t user, simtime now)
{
	int64_t day = behaviour_local_day(b, user, now);

	if (b->budget_day[user] != day) {
		b->budget_day[user] = day;
		b->budget_left[user] = behaviour_listen_budget(b, user, day);
	}
	return &b->budget_left[user];
}

/* Like, follow and notification bits of a listen of length len: like and
 * follow odds scale with engage_floor + p and, with engage_delay > 0, with
 * the chance 1 - exp(-len / engage_delay) that the listen lasts until the
 * moment the user would act. */
static uint8_t decide_outcome(const struct behaviour *b, double p, const double *u, simtime len)
{
	const struct behaviour_config *c = &b->cfg;
	double exposure = c->engage_delay > 0 ? -expm1(-(double)len / (double)c->engage_delay) : 1;
	uint8_t out = 0;

	if (u[3] < c->like_rate * (c->engage_floor + p) * exposure)
		out |= OUT_LIKE;
	if (u[4] < c->follow_rate * (c->engage_floor + p) * exposure)
		out |= OUT_FOLLOW;
	if (u[5] < c->notify_rate)
		out |= OUT_NOTIFY;
	return out;
}

/* Plan, at `now`, a listen starting at `start`; returns its end (or start
 * when the show is over by then, or the day's listening budget is spent,
 * and nothing is planned). */
static simtime plan_listen(struct behaviour *b, uint32_t user, uint32_t show, uint32_t session,
			   uint16_t position, uint8_t source, uint8_t hop, simtime now,
			   simtime start, double dur, double p, const double *u)
{
	simtime end = world_show_end(b->w, show), len, want, carry;
	struct listen *l;
	uint32_t i;

	if (start >= end)
		return start;
	/* a lognormal draw can exceed any sensible length: a week bounds it */
	want = dur < SIMTIME_S ? SIMTIME_S : (dur > 7.0 * SIMTIME_DAY ? 7 * SIMTIME_DAY : (simtime)dur);
	len = want > end - start ? end - start : want;
	carry = want - len;
	if (b->budget_left) {
		simtime *left = budget_left(b, user, now);

		if (*left < SIMTIME_S)
			return start;
		if (len > *left) {
			len = *left;
			carry = 0;        /* the budget, not the show, ended it */
		}
		*left -= len;
	}
	i = listen_alloc(b);
	l = &b->listens[i];
	l->user = user;
	l->show = show;
	l->session = session;
	l->position = position;
	l->source = source;
	l->outcome = decide_outcome(b, p, u, len);
	l->hop = hop;
	l->then_page = 0;
	b->last_listen = i;
	l->rec = b->cur;
	if (b->cur != EVENT_NONE)
		b->sess[b->cur].pending++;
	l->start = start;
	l->end = start + len;
	l->carry = carry;
	calendar_schedule(b->cal, start, on_listen, b, i);
	return l->end;
}

static void on_listen(void *ctx, uint64_t arg, simtime now)
{
	struct behaviour *b = ctx;
	uint32_t i = (uint32_t)(arg & ~(LISTEN_ENDS | LISTEN_RETURNS));
	struct listen *l = &b->listens[i];
	struct event ev;

	if (arg & LISTEN_RETURNS) {
		/* copy before the slot is reused: the new page plans a listen */
		uint32_t user = l->user, session = l->session, rec = l->rec;
		uint32_t key = rec != EVENT_NONE ? b->sess[rec].key : session;
		simtime carry = l->carry;
		uint8_t hop = l->hop;

		l->next_free = b->free_listen;
		b->free_listen = i;
		b->cur = rec;
		continue_listening(b, user, session, key, hop, now, carry);
		b->cur = EVENT_NONE;
		sess_release(b, rec, now);
		return;
	}
	if (!(arg & LISTEN_ENDS)) {
		b->listeners[l->show]++;
		ev = emitter_event(EVENT_LISTEN_START, now);
		ev.user = l->user;
		ev.show = l->show;
		ev.creator = world_show_creator(b->w, l->show);
		ev.topic = world_show_topic(b->w, l->show);
		ev.session = l->session;
		ev.position = l->position;
		ev.source = l->source;
		emitter_emit(b->em, &ev);
		calendar_schedule(b->cal, l->end, on_listen, b, i | LISTEN_ENDS);
		return;
	}
	b->listeners[l->show]--;
	ev = emitter_event(EVENT_LISTEN_END, now);
	ev.user = l->user;
	ev.show = l->show;
	ev.creator = world_show_creator(b->w, l->show);
	ev.topic = world_show_topic(b->w, l->show);
	ev.session = l->session;
	ev.position = l->position;
	ev.source = l->source;
	ev.value = l->end - l->start;
	emitter_emit(b->em, &ev);
	b->cur = l->rec;
	if (l->rec != EVENT_NONE)
		b->sess[l->rec].minutes += (double)(l->end - l->start) / (double)SIMTIME_MIN;
	if (l->outcome & OUT_LIKE)
		emit_user_show(b, EVENT_LIKE, now, l->user, l->show, l->session);
	if (l->outcome & OUT_FOLLOW) {
		struct follow *f = follow_get(b, l->user, ev.creator);

		if (!(f->flags & FOLLOW_BIT)) {
			f->flags |= FOLLOW_BIT;
			if (l->rec != EVENT_NONE)
				b->sess[l->rec].follows++;
			emit_user_show(b, EVENT_FOLLOW, now, l->user, l->show, l->session);
			if (l->outcome & OUT_NOTIFY)
				enable_notify(b, l->user, l->show, l->session, now);
		}
	}
	b->cur = EVENT_NONE;
	b->live_listens--;
	if (l->carry >= SIMTIME_MIN && l->session != EVENT_NONE && l->hop < MAX_HOPS &&
	    b->cfg.continue_rate > 0) {
		uint32_t key = l->rec != EVENT_NONE ? b->sess[l->rec].key : l->session;
		struct rng r;

		/* The next hop's stream: whether the user goes back, and after how
		 * long (exponential, mean think_time: the listeners of a show
		 * that ends do not all ask for a page in the same microsecond). */
		rng_init(&r, b->seed, RNG_BEHAVIOUR, l->user, key | (uint64_t)(l->hop + 1) << 32);
		if (rng_uniform(&r) < b->cfg.continue_rate) {
			simtime back = now - (simtime)(log(1 - rng_uniform(&r)) * (double)b->cfg.think_time);

			l->hop++;
			calendar_schedule(b->cal, back, on_listen, b, i | LISTEN_RETURNS);
			return;   /* the slot carries the continuation until then */
		}
	}
	{
		uint32_t rec = l->rec;
		bool page = l->then_page;

		l->next_free = b->free_listen;
		b->free_listen = i;
		/* a notification session: the user, in the app, sees the home page */
		if (page)
			notify_page(b, rec, now);
		sess_release(b, rec, now);
	}
}

/* ---- sessions ---- */

/* choice = mnl, one screen: shows[0..n) at slots first.., u their draws,
 * pu the screen's own DRAWS_PER_SLOT uniforms: [0] the pick, [2..5] the
 * picked listen's length and outcome, whichever slot is picked (so twin
 * worlds that pick different shows plan the same listen).  One
 * multinomial-logit pick among the live slots, each weighted by its
 * examination probability on the screen; upcoming slots are tapped
 * independently for a reminder (behaviour.h).  A continuation (hop > 0)
 * listens for the carried-over time.  Returns whether the screen held a
 * live show (if not, the user may scroll on). */
static bool screen_choose(struct behaviour *b, uint32_t user, uint32_t session, uint8_t hop,
			  simtime now, simtime carry, const uint32_t *shows, size_t first,
			  size_t n, const double *u, const double *pu)
{
	const struct behaviour_config *c = &b->cfg;
	double attraction[MAX_PAGE], p[MAX_PAGE], total = c->no_choice_mass, x;
	bool any_live = false;

	for (size_t i = 0; i < n; i++) {
		const double *us = u + i * DRAWS_PER_SLOT;
		enum world_show_status st = world_show_status(b->w, shows[i], now);

		attraction[i] = 0;
		p[i] = behaviour_truth(b, user, shows[i], now);
		if (st == WORLD_SHOW_UPCOMING) {
			if (us[0] < b->exam[i] && us[1] < p[i] && us[5] < c->remind_rate)
				enable_notify(b, user, shows[i], session, now);
		} else if (st == WORLD_SHOW_LIVE && world_show_end(b->w, shows[i]) > now + c->think_time) {
			/* (a show over before the user gets there is not a choice)
			 * the truth is a logistic, so its odds are exp(z): the MNL weight */
			attraction[i] = b->exam[i] * (p[i] < 1 ? p[i] / (1 - p[i]) : 1e300);
			total += attraction[i];
			any_live = true;
		}
	}
	if (!any_live)
		return false;
	x = pu[0] * total;
	for (size_t i = 0; i < n; i++) {
		if (attraction[i] <= 0)
			continue;
		if (x >= attraction[i]) {
			x -= attraction[i];
			continue;
		}
		plan_listen(b, user, shows[i], session, (uint16_t)(first + i), EVENT_SOURCE_HOME, hop,
			    now, now + c->think_time,
			    carry > 0 ? (double)carry : listen_duration(b, user, shows[i], pu[2]),
			    p[i], pu);
		break;
	}
	/* else x fell in the no-choice mass: the user leaves without a listen */
	return true;
}

/* Emit the impressions of shows[first..first+n) (slots first..). */
static void emit_impressions(struct behaviour *b, uint32_t user, uint32_t session, simtime now,
			     const uint32_t *shows, size_t first, size_t n)
{
	if (b->no_impressions)
		return;
	for (size_t i = first; i < first + n; i++) {
		struct event ev;

		ASSERT(shows[i] < world_n_shows(b->w));
		ev = emitter_event(EVENT_IMPRESSION, now);
		ev.user = user;
		ev.show = shows[i];
		ev.creator = world_show_creator(b->w, shows[i]);
		ev.topic = world_show_topic(b->w, shows[i]);
		ev.session = session;
		ev.position = (uint16_t)i;
		emitter_emit(b->em, &ev);
	}
}

/* choice = mnl: one page visit.  The ranker is asked for scroll_screens
 * screens of page_size slots at once (its top-k prefix is the same whatever
 * k); the user sees the first screen and scrolls to the next only when the
 * screen held no live show.  Each screen seen emits its impressions and
 * draws page_size slots' uniforms and a pick from r. */
static void mnl_visit(struct behaviour *b, uint32_t user, uint32_t session, uint8_t hop,
		      simtime now, simtime carry, struct rng *r)
{
	const struct behaviour_config *c = &b->cfg;
	double u[MAX_PAGE * DRAWS_PER_SLOT], pu[DRAWS_PER_SLOT];
	uint32_t shows[MAX_PAGE];
	size_t k = c->page_size, n;

	n = b->ranker.page(b->ranker.ctx, user, session, now, shows, k * c->scroll_screens);
	ASSERT(n <= k * c->scroll_screens);
	for (size_t first = 0; first < n; first += k) {
		size_t m = n - first < k ? n - first : k;

		emit_impressions(b, user, session, now, shows, first, m);
		for (size_t i = 0; i < k * DRAWS_PER_SLOT; i++)
			u[i] = rng_uniform(r);
		for (size_t i = 0; i < DRAWS_PER_SLOT; i++)
			pu[i] = rng_uniform(r);
		if (screen_choose(b, user, session, hop, now, carry, shows + first, first, m, u, pu))
			return;
	}
}

/* The user of a listen cut by its show's end (`carry` of the planned time
 * left) is back on the home page: a new page in the same session, one pick,
 * listened to for the rest.  Draws continue the hop's stream (seed,
 * RNG_BEHAVIOUR, user, session | hop << 32) after its first two (whether
 * and when the user came back, drawn at the listen's end); no first page
 * uses such a stream (session ids are 32-bit). */
static void continue_listening(struct behaviour *b, uint32_t user, uint32_t session,
			       uint32_t key, uint8_t hop, simtime now, simtime carry)
{
	struct rng r;

	if (!b->has_ranker)
		return;
	rng_init(&r, b->seed, RNG_BEHAVIOUR, user, key | (uint64_t)hop << 32);
	rng_uniform(&r);
	rng_uniform(&r);
	mnl_visit(b, user, session, hop, now, carry, &r);
}

/* One home-page visit of session `session` (its draws from r): the mnl
 * pick, or the independent walk over the page's slots. */
static void page_visit(struct behaviour *b, uint32_t user, uint32_t session, uint8_t hop,
		       simtime now, struct rng *r)
{
	const struct behaviour_config *c = &b->cfg;
	double u[MAX_PAGE * DRAWS_PER_SLOT];
	uint32_t shows[MAX_PAGE];
	simtime cursor = now + c->think_time;
	size_t n, k = c->page_size;

	if (!b->has_ranker)
		return;
	if (c->choice == BEHAVIOUR_MNL) {
		mnl_visit(b, user, session, hop, now, 0, r);
		return;
	}
	n = b->ranker.page(b->ranker.ctx, user, session, now, shows, k);
	ASSERT(n <= k);
	emit_impressions(b, user, session, now, shows, 0, n);
	/* Draw all K slots' uniforms whatever the page holds (CRN). */
	for (size_t i = 0; i < k * DRAWS_PER_SLOT; i++)
		u[i] = rng_uniform(r);
	for (size_t i = 0; i < n; i++) {
		const double *us = u + i * DRAWS_PER_SLOT;
		enum world_show_status st = world_show_status(b->w, shows[i], now);
		double p;

		if (c->model == BEHAVIOUR_PBM) {
			if (us[0] >= b->exam[i])
				continue;
		} else if (i > 0 && us[0] >= c->cascade_continue) {
			break;
		}
		p = behaviour_truth(b, user, shows[i], now);
		if (us[1] >= p)
			continue;
		if (st == WORLD_SHOW_LIVE) {
			cursor = plan_listen(b, user, shows[i], session, (uint16_t)i, EVENT_SOURCE_HOME,
					     0, now, cursor, listen_duration(b, user, shows[i], us[2]),
					     p, us) + c->think_time;
			if (c->model == BEHAVIOUR_CASCADE)
				break;
		} else if (st == WORLD_SHOW_UPCOMING && us[5] < c->remind_rate) {
			enable_notify(b, user, shows[i], session, now);
		}
	}
}

/* A session (id `session`, draws keyed by `key`) in record rec: the
 * promotion, then the home page. */
static void session_run(struct behaviour *b, uint32_t rec, uint32_t user, uint32_t session,
			uint32_t key, simtime now, uint32_t promoted)
{
	const struct behaviour_config *c = &b->cfg;
	struct rng r;

	b->cur = rec;
	rng_init(&r, b->seed, RNG_BEHAVIOUR, user, key);
	if (promoted != EVENT_NONE) {
		double up[DRAWS_PER_SLOT];
		enum world_show_status st = world_show_status(b->w, promoted, now);

		for (int i = 0; i < DRAWS_PER_SLOT; i++)
			up[i] = rng_uniform(&r);
		if (up[0] < c->promo_tune_in && st == WORLD_SHOW_LIVE) {
			double p = behaviour_truth(b, user, promoted, now);

			plan_listen(b, user, promoted, session, UINT16_MAX, EVENT_SOURCE_PROMO, 0, now,
				    now + c->think_time, listen_duration(b, user, promoted, up[2]), p, up);
			goto out;
		}
		if (up[0] < c->promo_tune_in && st == WORLD_SHOW_UPCOMING)
			enable_notify(b, user, promoted, session, now);
	}
	page_visit(b, user, session, 0, now, &r);
out:
	b->cur = EVENT_NONE;
	sess_release(b, rec, now);
}

void behaviour_session(struct behaviour *b, uint32_t user, uint32_t session, simtime now,
		       uint32_t promoted)
{
	session_run(b, sess_open(b, user, session, session), user, session, session, now,
		    promoted);
}

/* A return (sess_release scheduled it): a new session, ranked. */
static void on_return(void *ctx, uint64_t user, simtime now)
{
	struct behaviour *b = ctx;
	uint32_t rec = endo_open(b, (uint32_t)user, EVENT_SOURCE_NONE, now);

	session_run(b, rec, (uint32_t)user, b->sess[rec].id, b->sess[rec].key, now, EVENT_NONE);
}

/* A notification session's home page, when its listen ended (or at once
 * when there was none): the draws of (seed, RNG_RETURN_SESSION, user,
 * key). */
static void notify_page(struct behaviour *b, uint32_t rec, simtime now)
{
	const struct sess *s = &b->sess[rec];
	uint32_t user = s->user, session = s->id;
	struct rng r;

	rng_init(&r, b->seed, RNG_RETURN_SESSION, user, s->key);
	b->cur = rec;
	page_visit(b, user, session, 1, now, &r);
	b->cur = EVENT_NONE;
}

/* The notification draws of (user, show): u[0..DRAWS_PER_SLOT]. */
static void notify_draws(const struct behaviour *b, uint32_t user, uint32_t show, double *u)
{
	struct rng r;

	rng_init(&r, b->seed, RNG_NOTIFICATIONS, user, show);
	for (int i = 0; i <= DRAWS_PER_SLOT; i++)
		u[i] = rng_uniform(&r);
}

/* notify_sessions: a user tuning in from a notification opens the app (a
 * session), listens to the show, then sees a ranked home page. */
static void on_notify_open(void *ctx, uint64_t arg, simtime now)
{
	struct behaviour *b = ctx;
	uint32_t user = (uint32_t)(arg >> 32), show = (uint32_t)arg, rec;
	double u[DRAWS_PER_SLOT + 1], p;
	simtime end;

	if (world_show_end(b->w, show) <= now || now >= world_horizon(b->w))
		return;   /* over before the user got there, or past the run: no session */
	notify_draws(b, user, show, u);
	p = behaviour_truth(b, user, show, now);
	rec = endo_open(b, user, EVENT_SOURCE_NOTIFICATION, now);
	b->n_notify_sessions++;
	b->cur = rec;
	end = plan_listen(b, user, show, b->sess[rec].id, UINT16_MAX, EVENT_SOURCE_NOTIFICATION, 0,
			  now, now, listen_duration(b, user, show, u[2]), p, u);
	b->cur = EVENT_NONE;
	if (end > now)
		b->listens[b->last_listen].then_page = 1;
	else
		notify_page(b, rec, now);   /* no listen (the day's budget): the page at once */
	sess_release(b, rec, now);
}

void behaviour_show_live(struct behaviour *b, uint32_t show, simtime now)
{
	const struct behaviour_config *c = &b->cfg;
	uint32_t cr = world_show_creator(b->w, show);

	for (uint32_t e = b->creator_head[cr]; e != EVENT_NONE; e = b->follows[e].next) {
		const struct follow *f = &b->follows[e];
		double u[DRAWS_PER_SLOT + 1], p;
		simtime at;

		if (!f->flags)
			continue;
		notify_draws(b, f->user, show, u);
		if (!(f->flags & NOTIFY_BIT) && u[0] >= c->follower_notice)
			continue;
		p = behaviour_truth(b, f->user, show, now);
		if (u[1] >= c->notify_boost * p)
			continue;
		at = now - (simtime)(log(1 - u[6]) * (double)c->notify_delay);
		if (c->notify_sessions) {
			calendar_schedule(b->cal, at, on_notify_open, b,
					  (uint64_t)f->user << 32 | show);
			continue;
		}
		plan_listen(b, f->user, show, EVENT_NONE, UINT16_MAX, EVENT_SOURCE_NOTIFICATION, 0, now,
			    at, listen_duration(b, f->user, show, u[2]), p, u);
	}
}

uint32_t behaviour_listeners(const struct behaviour *b, uint32_t show)
{
	ASSERT(show < world_n_shows(b->w));
	return b->listeners[show];
}

size_t behaviour_pending_listens(const struct behaviour *b)
{
	return b->live_listens;
}

size_t behaviour_follow_entries(const struct behaviour *b)
{
	return b->n_follows;
}
