/* The 21 daily history features; see batch.h and docs/batch-features.md. */
#include "engine/batch.h"

#include "common/scenario.h"
#include "common/hashtab.h"
#include "common/radix.h"
#include "common/xalloc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const user_features[] = {
	"sessions", "listen_minutes", "distinct_shows", "likes",
	"follows", "notify_enables", "active_days", "mean_session_minutes",
};
static const char *const creator_features[] = {
	"plays", "followers", "likes", "shows_hosted", "minutes_per_show", "unique_listeners",
};
static const char *const user_topic_features[] = { "affinity", "likes", "declared" };
static const char *const user_creator_features[] = {
	"listen_minutes", "likes", "follows", "days_since_listen",
};

_Static_assert(sizeof(user_features) / sizeof(char *) + sizeof(creator_features) / sizeof(char *) +
			       sizeof(user_topic_features) / sizeof(char *) +
			       sizeof(user_creator_features) / sizeof(char *) ==
		       BATCH_FEATURE_COUNT,
	       "21 features");

/* Per-user state, one cache line: the scan touches a user's fields
 * together, at a random user per event, so one line per user costs one
 * cache miss where parallel arrays cost one per field. */
struct ustate {
	uint32_t sessions, likes, follows, notify;
	int64_t listen_us;
	uint64_t days;               /* bit d: an event in day d of the window */
	uint32_t cur_sess, n_sess;   /* open session id (EVENT_NONE: none) */
	simtime sess_first, sess_last;
	int64_t sess_total;
};
_Static_assert(sizeof(struct ustate) == 64, "one cache line per user");

struct cstate {
	uint32_t plays, likes, hosted, touched;
	int64_t listen_us;
};

/* A user x creator or user x topic pair with its values in the slot of an
 * open-addressing table (common/hashtab.h; no second lookup): 32 bytes,
 * two per line. */
struct pslot {
	uint64_t key;                /* user << 32 | creator or topic */
	int64_t listen_us;
	simtime last_listen;         /* user x creator: last listen_end, -1 none */
	uint32_t likes;
	uint32_t follows;            /* count, plus the flags below */
};
_Static_assert(sizeof(struct pslot) == 32, "two pair slots per line");

#define PAIR_STARTED (1u << 31)  /* user x creator: a listen_start */
#define PAIR_DECLARED (1u << 30) /* user x topic: declared interest */
#define PAIR_USED (1u << 29)     /* the slot holds a pair (zero: empty) */
#define PAIR_COUNT_MASK (PAIR_USED - 1)

HASHTAB_DECLARE(pairmap, struct pslot);

static inline uint64_t pairmap_hash(uint64_t key) { return hashtab_mix64(key); }
static inline bool pairmap_used(const struct pslot *e) { return e->follows & PAIR_USED; }
static inline bool pairmap_match(const struct pairmap *t, const struct pslot *e, uint64_t key)
{
	(void)t;
	return e->key == key;
}
static inline uint64_t pairmap_entry_hash(const struct pairmap *t, const struct pslot *e)
{
	(void)t;
	return pairmap_hash(e->key);
}
HASHTAB_DEFINE(pairmap, struct pslot, uint64_t)

struct outtab {
	struct batch_table pub;
	int64_t *entity;
	double *values;
	size_t cap_e, cap_v;
};

struct batch {
	struct batch_config cfg;
	simtime start, end;
	uint64_t events;
	bool finished;               /* finish ran since begin: its tables stand */

	struct ustate *users;        /* indexed by id; [0, n_users) in use */
	size_t n_users, cap_users;
	struct cstate *creators;
	size_t n_creators, cap_creators;
	struct pairmap uc, ut;
	size_t hint_uc, hint_ut;     /* pairs of the last finish: the maps' next size */

	uint64_t *user_show;         /* user << 32 | show of each listen start */
	size_t n_us, cap_us;
	struct radix radix;          /* sort scratch, kept across days */
	struct pslot *pairs;         /* a map's pairs, sorted by key */
	size_t cap_pairs;
	uint32_t *ucount;            /* pairs per user (counting sort) */
	size_t cap_ucount;
	uint32_t *followers, *listeners;
	size_t cap_cl;

	struct outtab out[BATCH_TABLE_COUNT];
};

int batch_config_check(const struct batch_config *cfg, const struct scenario *sc,
		       struct error *err)
{
	if (cfg->window % SIMTIME_DAY) {
		char at[SCENARIO_WHERE_MAX], val[64];

		return error_set(err, ERR_INPUT,
				 "%s: bad value '%s' for [batch] window: expected whole days (e.g. 60d), not %.3f days",
				 scenario_where(sc, "batch", "window", at, sizeof(at)),
				 scenario_format(sc, "batch", "window", val, sizeof(val)),
				 (double)cfg->window / SIMTIME_DAY);
	}
	return 0;
}

/* ---- growth ---- */

static void users_grow(struct batch *b, size_t need)
{
	size_t old = b->cap_users, cap = old ? old : 1024;
	struct ustate *u;

	while (cap < need)
		cap *= 2;
	/* one line per user: cache-line aligned (and on huge pages when big:
	 * users are read at random) */
	u = xcalloc_aligned(cap, sizeof(*u));
	if (old)
		memcpy(u, b->users, old * sizeof(*u));
	free(b->users);
	b->users = u;
	for (size_t i = old; i < cap; i++)
		b->users[i].cur_sess = EVENT_NONE;
	b->cap_users = cap;
}

static void creators_grow(struct batch *b, size_t need)
{
	size_t old = b->cap_creators, cap = old ? old : 256;

	while (cap < need)
		cap *= 2;
	b->creators = xreallocarray(b->creators, cap, sizeof(struct cstate));
	memset(b->creators + old, 0, (cap - old) * sizeof(struct cstate));
	b->cap_creators = cap;
}

/* Empty m; a released map is allocated for `hint` pairs (the last day's
 * count: one allocation instead of a dozen doublings and rehashes). */
static void pm_reset(struct pairmap *m, size_t hint)
{
	if (!m->slot)
		pairmap_init(m, 2 * hint > 4096 ? 2 * hint : 4096);
	else
		pairmap_reset(m);
}

/* The pair of `key`, claimed (zero counts, no listen) when new; valid
 * until the next pm_get. */
static inline struct pslot *pm_get(struct pairmap *m, uint64_t key)
{
	bool fresh;
	struct pslot *p = pairmap_get(m, key, &fresh);

	if (fresh)
		*p = (struct pslot){ .key = key, .last_listen = -1, .follows = PAIR_USED };
	return p;
}

/* ---- lifecycle ---- */

struct batch *batch_new(const struct batch_config *cfg, struct error *err)
{
	struct batch *b;

	if (cfg->window <= 0 || cfg->window % SIMTIME_DAY ||
	    cfg->window > BATCH_MAX_WINDOW_DAYS * SIMTIME_DAY) {
		error_set(err, ERR_INPUT, "bad batch window %lld us: whole days, 1d..%dd",
			  (long long)cfg->window, BATCH_MAX_WINDOW_DAYS);
		return NULL;
	}
	b = xcalloc(1, sizeof(*b));
	b->cfg = *cfg;
	radix_init(&b->radix);
	b->out[BATCH_USER].pub = (struct batch_table){ "user_history", 8, user_features, 0, 0, 0 };
	b->out[BATCH_CREATOR].pub = (struct batch_table){ "creator_history", 6, creator_features, 0, 0, 0 };
	b->out[BATCH_USER_TOPIC].pub = (struct batch_table){ "user_topic", 3, user_topic_features, 0, 0, 0 };
	b->out[BATCH_USER_CREATOR].pub = (struct batch_table){ "user_creator", 4, user_creator_features, 0, 0, 0 };
	batch_begin(b, cfg->window);
	return b;
}

void batch_free(struct batch *b)
{
	if (!b)
		return;
	batch_trim(b);
	free(b);
}

void batch_trim(struct batch *b)
{
	free(b->users);
	free(b->creators);
	pairmap_release(&b->uc);
	pairmap_release(&b->ut);
	free(b->user_show);
	radix_release(&b->radix);
	free(b->pairs);
	free(b->ucount);
	free(b->followers);
	free(b->listeners);
	b->users = NULL;
	b->creators = NULL;
	b->user_show = NULL;
	b->pairs = NULL;
	b->ucount = NULL;
	b->followers = b->listeners = NULL;
	b->n_users = b->cap_users = b->n_creators = b->cap_creators = 0;
	b->n_us = b->cap_us = b->cap_pairs = b->cap_ucount = b->cap_cl = 0;
	for (int i = 0; i < BATCH_TABLE_COUNT; i++) {
		struct outtab *o = &b->out[i];

		free(o->entity);
		free(o->values);
		o->entity = NULL;
		o->values = NULL;
		o->cap_e = o->cap_v = 0;
		o->pub.entity = NULL;
		o->pub.values = NULL;
		o->pub.n = 0;
	}
}

void batch_begin(struct batch *b, simtime end)
{
	b->end = end;
	b->start = end - b->cfg.window;
	b->events = 0;
	b->finished = false;
	if (b->n_users) {
		memset(b->users, 0, b->n_users * sizeof(*b->users));
		for (size_t i = 0; i < b->n_users; i++)
			b->users[i].cur_sess = EVENT_NONE;
	}
	if (b->n_creators)
		memset(b->creators, 0, b->n_creators * sizeof(*b->creators));
	b->n_users = b->n_creators = 0;
	pm_reset(&b->uc, b->hint_uc);
	pm_reset(&b->ut, b->hint_ut);
	b->n_us = 0;
	for (int i = 0; i < BATCH_TABLE_COUNT; i++)
		b->out[i].pub.n = 0;
}

/* ---- the hot loop ---- */

static inline struct ustate *touch_user(struct batch *b, uint32_t u)
{
	if (u >= b->n_users) {
		if (u >= b->cap_users)
			users_grow(b, (size_t)u + 1);
		b->n_users = (size_t)u + 1;
	}
	return &b->users[u];
}

static inline struct cstate *touch_creator(struct batch *b, uint32_t c)
{
	if (c >= b->n_creators) {
		if (c >= b->cap_creators)
			creators_grow(b, (size_t)c + 1);
		b->n_creators = (size_t)c + 1;
	}
	b->creators[c].touched = 1;
	return &b->creators[c];
}

/* Sessions of one user do not interleave, so a session ends when the
 * user's next session id shows up (or at finish). */
static inline void track_session(struct ustate *us, uint32_t s, simtime t)
{
	if (us->cur_sess == s) {
		if (t > us->sess_last)
			us->sess_last = t;
		if (t < us->sess_first)
			us->sess_first = t;
		return;
	}
	if (us->cur_sess != EVENT_NONE) {
		us->sess_total += us->sess_last - us->sess_first;
		us->n_sess++;
	}
	us->cur_sess = s;
	us->sess_first = us->sess_last = t;
}

#define PREFETCH_AHEAD 8

int batch_add(void *batch, const struct event *evs, size_t n, struct error *err)
{
	struct batch *b = batch;
	const simtime start = b->start, end = b->end;
	uint64_t events = 0;

	(void)err;
	for (size_t i = 0; i < n; i++) {
		const struct event *ev = &evs[i];
		const simtime t = ev->emit_time;

		/* the user's line and the pair slots of an event a few ahead are
		 * random memory: start fetching them now, so the misses overlap
		 * instead of stalling one after another */
		if (i + PREFETCH_AHEAD < n) {
			const struct event *f = &evs[i + PREFETCH_AHEAD];
			uint64_t fk = (uint64_t)f->user << 32;

			if (f->user < b->n_users)
				__builtin_prefetch(&b->users[f->user], 1);
			if (f->creator != EVENT_NONE)
				__builtin_prefetch(pairmap_home(&b->uc, fk | f->creator), 1);
			if (f->topic != UINT16_MAX)
				__builtin_prefetch(pairmap_home(&b->ut, fk | f->topic), 1);
		}
		const uint32_t u = ev->user, c = ev->creator;
		const uint64_t uk = (uint64_t)u << 32;
		struct ustate *us;
		struct pslot *p;

		if (t < start || t >= end)
			continue;
		events++;
		if (u == EVENT_NONE) {
			/* the only user-less event counted: a show going live */
			if (ev->type == EVENT_SHOW_LIVE && c != EVENT_NONE)
				touch_creator(b, c)->hosted++;
			continue;
		}
		us = touch_user(b, u);
		us->days |= (uint64_t)1 << ((t - start) / SIMTIME_DAY);
		if (ev->session != EVENT_NONE)
			track_session(us, ev->session, t);
		switch (ev->type) {
		case EVENT_APP_OPEN:
			us->sessions++;
			break;
		case EVENT_LISTEN_START:
			if (c == EVENT_NONE)
				break;
			touch_creator(b, c)->plays++;
			pm_get(&b->uc, uk | c)->follows |= PAIR_STARTED;
			if (b->n_us == b->cap_us) {
				b->cap_us = b->cap_us ? 2 * b->cap_us : 65536;
				b->user_show = xreallocarray(b->user_show, b->cap_us, sizeof(uint64_t));
			}
			b->user_show[b->n_us++] = uk | ev->show;
			break;
		case EVENT_LISTEN_END:
			if (ev->value <= 0)
				break;
			us->listen_us += ev->value;
			if (c != EVENT_NONE) {
				touch_creator(b, c)->listen_us += ev->value;
				p = pm_get(&b->uc, uk | c);
				p->listen_us += ev->value;
				if (t > p->last_listen)
					p->last_listen = t;
			}
			if (ev->topic != UINT16_MAX)
				pm_get(&b->ut, uk | ev->topic)->listen_us += ev->value;
			break;
		case EVENT_LIKE:
			us->likes++;
			if (c != EVENT_NONE) {
				touch_creator(b, c)->likes++;
				pm_get(&b->uc, uk | c)->likes++;
			}
			if (ev->topic != UINT16_MAX)
				pm_get(&b->ut, uk | ev->topic)->likes++;
			break;
		case EVENT_FOLLOW:
			us->follows++;
			if (c != EVENT_NONE) {
				touch_creator(b, c);
				pm_get(&b->uc, uk | c)->follows++;
			}
			break;
		case EVENT_NOTIFY_ENABLE:
			us->notify++;
			break;
		case EVENT_SHOW_LIVE:
			if (c != EVENT_NONE)
				touch_creator(b, c)->hosted++;
			break;
		default:
			break;
		}
	}
	b->events += events;
	return 0;
}

/* ---- finish ---- */

static void out_reserve(struct outtab *o, size_t n)
{
	XGROW(o->entity, n, o->cap_e);
	XGROW(o->values, n * o->pub.k, o->cap_v);
}

static void out_publish(struct outtab *o, size_t n)
{
	o->pub.n = n;
	o->pub.entity = o->entity;
	o->pub.values = o->values;
}

static int pslot_cmp(const void *pa, const void *pb)
{
	const struct pslot *a = pa, *b = pb;

	return (a->key > b->key) - (a->key < b->key);
}

/* A map's pairs, compacted into b->pairs and sorted by key; returns n
 * (slot order never reaches the tables).  User ids are dense, so a
 * counting sort by user (one scatter pass) then a sort of each user's few
 * pairs beats a full radix sort; sparse ids fall back to the radix sort.
 * The map is released once copied and the scratch once sorted, so the
 * map, the copy and the sorted pairs are never all held at once (a
 * 60-day window's user x creator map is the job's largest structure). */
static size_t pairs_sorted(struct batch *b, struct pairmap *m, size_t *hint)
{
	struct pslot *tmp;
	size_t n = 0, users;
	uint64_t max_user = 0;

	tmp = radix_scratch(&b->radix, (pairmap_count(m) + 1) * sizeof(struct pslot));
	for (const struct pslot *p = pairmap_next(m, NULL); p; p = pairmap_next(m, p)) {
		tmp[n] = *p;
		if (p->key >> 32 > max_user)
			max_user = p->key >> 32;
		n++;
	}
	ASSERT(n == pairmap_count(m));
	*hint = n;
	pairmap_release(m);
	XGROW(b->pairs, n + 1, b->cap_pairs);
	if (max_user > 4 * ((uint64_t)n + b->n_users) + 65536) {
		/* keys are unique: the stable order is the key order */
		memcpy(b->pairs, tmp, n * sizeof(*tmp));
		radix_sort_records(b->pairs, n, sizeof(*b->pairs), offsetof(struct pslot, key),
				   RADIX_U64, &b->radix);
		radix_release(&b->radix);
		return n;
	}
	users = (size_t)max_user + 1;
	if (users + 1 > b->cap_ucount) {
		free(b->ucount);
		b->cap_ucount = users + 1 + users / 2;
		b->ucount = xmalloc(b->cap_ucount * sizeof(*b->ucount));
	}
	memset(b->ucount, 0, (users + 1) * sizeof(*b->ucount));
	for (size_t i = 0; i < n; i++)
		b->ucount[(tmp[i].key >> 32) + 1]++;
	for (size_t u = 1; u <= users; u++)
		b->ucount[u] += b->ucount[u - 1];
	for (size_t i = 0; i < n; i++)
		b->pairs[b->ucount[tmp[i].key >> 32]++] = tmp[i];
	radix_release(&b->radix);
	/* ucount[u] is now the end of user u's run */
	for (size_t u = 0, lo = 0; u < users; u++) {
		size_t hi = b->ucount[u];

		if (hi - lo > 32) {
			qsort(b->pairs + lo, hi - lo, sizeof(struct pslot), pslot_cmp);
		} else {
			for (size_t i = lo + 1; i < hi; i++) {
				struct pslot x = b->pairs[i];
				size_t j = i;

				for (; j > lo && b->pairs[j - 1].key > x.key; j--)
					b->pairs[j] = b->pairs[j - 1];
				b->pairs[j] = x;
			}
		}
		lo = hi;
	}
	return n;
}

void batch_finish(struct batch *b, const struct batch_declared *declared)
{
	const double us_per_min = 60e6, window_days = (double)b->cfg.window / SIMTIME_DAY;
	struct outtab *o;
	size_t n, nk;

	/* Idempotent: a second finish (a retried compute step) keeps the
	 * tables of the first; finishing consumes the window's state (the
	 * pair maps and the listen starts are released as they are turned
	 * into tables: the peak is one structure, not all of them). */
	if (b->finished)
		return;
	b->finished = true;

	/* close open sessions */
	for (size_t u = 0; u < b->n_users; u++) {
		struct ustate *us = &b->users[u];

		if (us->cur_sess != EVENT_NONE) {
			us->sess_total += us->sess_last - us->sess_first;
			us->n_sess++;
			us->cur_sess = EVENT_NONE;
		}
	}

	/* users: everyone with an event in the window; distinct shows from the
	 * sorted (user, show) starts, counted in a merge with the user loop */
	radix_sort_u64(b->user_show, b->n_us, &b->radix);
	o = &b->out[BATCH_USER];
	out_reserve(o, b->n_users + 1);
	n = 0;
	for (size_t u = 0, j = 0; u < b->n_users; u++) {
		const struct ustate *us = &b->users[u];
		double *v = o->values + n * 8;
		uint32_t distinct = 0;

		for (; j < b->n_us && (b->user_show[j] >> 32) == u; j++)
			distinct += j == 0 || b->user_show[j] != b->user_show[j - 1];
		if (!us->days)
			continue;
		o->entity[n] = (int64_t)u;
		v[0] = us->sessions;
		v[1] = (double)us->listen_us / us_per_min;
		v[2] = distinct;
		v[3] = us->likes;
		v[4] = us->follows;
		v[5] = us->notify;
		v[6] = __builtin_popcountll(us->days);
		v[7] = us->n_sess ? (double)us->sess_total / us->n_sess / us_per_min : 0;
		n++;
	}
	out_publish(o, n);
	free(b->user_show);
	b->user_show = NULL;
	b->n_us = b->cap_us = 0;
	radix_release(&b->radix);

	/* user x creator (sparse) and creators' follower / listener counts */
	if (b->n_creators + 1 > b->cap_cl) {
		b->cap_cl = b->n_creators + 1;
		free(b->followers);
		free(b->listeners);
		b->followers = xmalloc(b->cap_cl * sizeof(uint32_t));
		b->listeners = xmalloc(b->cap_cl * sizeof(uint32_t));
	}
	memset(b->followers, 0, (b->n_creators + 1) * sizeof(uint32_t));
	memset(b->listeners, 0, (b->n_creators + 1) * sizeof(uint32_t));
	nk = pairs_sorted(b, &b->uc, &b->hint_uc);
	o = &b->out[BATCH_USER_CREATOR];
	out_reserve(o, nk + 1);
	for (size_t i = 0; i < nk; i++) {
		const struct pslot *p = &b->pairs[i];
		uint32_t c = (uint32_t)p->key, follows = p->follows & PAIR_COUNT_MASK;
		double *v = o->values + i * 4;

		o->entity[i] = (int64_t)p->key;
		v[0] = (double)p->listen_us / us_per_min;
		v[1] = p->likes;
		v[2] = follows;
		v[3] = p->last_listen >= 0 ? (double)(b->end - p->last_listen) / SIMTIME_DAY
					   : window_days;
		b->followers[c] += follows > 0;
		b->listeners[c] += (p->follows & PAIR_STARTED) != 0;
	}
	out_publish(o, nk);

	o = &b->out[BATCH_CREATOR];
	out_reserve(o, b->n_creators + 1);
	n = 0;
	for (size_t c = 0; c < b->n_creators; c++) {
		const struct cstate *cs = &b->creators[c];
		double *v = o->values + n * 6;

		if (!cs->touched)
			continue;
		o->entity[n] = (int64_t)c;
		v[0] = cs->plays;
		v[1] = b->followers[c];
		v[2] = cs->likes;
		v[3] = cs->hosted;
		v[4] = (double)cs->listen_us / us_per_min / (cs->hosted ? cs->hosted : 1);
		v[5] = b->listeners[c];
		n++;
	}
	out_publish(o, n);

	/* user x topic: declared interests join the pairs seen in the window */
	if (declared)
		for (size_t i = 0; i < declared->n; i++)
			pm_get(&b->ut, (uint64_t)declared->user[i] << 32 | declared->topic[i])->follows |=
				PAIR_DECLARED;
	nk = pairs_sorted(b, &b->ut, &b->hint_ut);
	o = &b->out[BATCH_USER_TOPIC];
	out_reserve(o, nk + 1);
	for (size_t i = 0; i < nk; i++) {
		const struct pslot *p = &b->pairs[i];
		uint32_t u = (uint32_t)(p->key >> 32);
		int64_t total = u < b->n_users ? b->users[u].listen_us : 0;
		double *v = o->values + i * 3;

		o->entity[i] = (int64_t)p->key;
		v[0] = total > 0 ? (double)p->listen_us / (double)total : 0;
		v[1] = p->likes;
		v[2] = (p->follows & PAIR_DECLARED) != 0;
	}
	out_publish(o, nk);
}

const struct batch_table *batch_table(const struct batch *b, enum batch_table_id id)
{
	ASSERT(id >= 0 && id < BATCH_TABLE_COUNT);
	return &b->out[id].pub;
}

uint64_t batch_events(const struct batch *b) { return b->events; }
simtime batch_window_start(const struct batch *b) { return b->start; }
simtime batch_window_end(const struct batch *b) { return b->end; }
