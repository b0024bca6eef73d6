/* The 21 daily history features; see batch.h and docs/batch-features.md. */
#include "engine/batch.h"

#include "common/xalloc.h"

#include <stdbool.h>
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

/* Open-addressing map from a u64 key to a dense row index.  The empty key is
 * UINT64_MAX (user EVENT_NONE never forms a pair). */
struct pairmap {
	uint64_t *keys;
	uint32_t *row;
	size_t cap, n;   /* cap: power of two */
};

struct pairvals {   /* user x creator and user x topic rows, SoA */
	int64_t *listen_us;
	uint32_t *likes, *follows, *starts;
	simtime *last_listen;
	uint8_t *declared;
	size_t cap;
};

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

	/* users, indexed by id; [0, n_users) is in use this run */
	size_t n_users, cap_users;
	uint32_t *u_sessions, *u_likes, *u_follows, *u_notify;
	int64_t *u_listen_us;
	uint64_t *u_days;
	uint32_t *u_cur_sess, *u_n_sess;
	simtime *u_sess_first, *u_sess_last;
	int64_t *u_sess_total;

	/* creators, indexed by id */
	size_t n_creators, cap_creators;
	uint32_t *c_plays, *c_likes, *c_hosted;
	int64_t *c_listen_us;
	uint8_t *c_touched;

	struct pairmap uc_map, ut_map;
	struct pairvals uc, ut;

	uint64_t *user_show;   /* user << 32 | show of each listen start */
	size_t n_us, cap_us;
	uint64_t *sort_tmp;
	size_t cap_tmp;
	size_t *radix_count;   /* 65536 digit counters */

	struct outtab out[BATCH_TABLE_COUNT];
};

void batch_config_default(struct batch_config *cfg)
{
	cfg->window = 60 * SIMTIME_DAY;
	cfg->feature_ttl = 7 * SIMTIME_DAY;
}

int batch_config_load(struct batch_config *cfg, const struct scenario *sc, struct error *err)
{
	batch_config_default(cfg);
	cfg->window = scenario_duration(sc, "batch", "window");
	cfg->feature_ttl = scenario_duration(sc, "batch", "feature_ttl");
	if (cfg->window % SIMTIME_DAY)
		return error_set(err, ERR_INPUT,
				 "%s: [batch] window must be whole days (e.g. 60d), not %.3f days",
				 scenario_name(sc), (double)cfg->window / SIMTIME_DAY);
	return 0;
}

/* ---- growth helpers ---- */

#define GROW_ZERO(a, old, new)                                              \
	do {                                                                \
		(a) = xreallocarray((a), (new), sizeof(*(a)));              \
		memset((a) + (old), 0, ((new) - (old)) * sizeof(*(a)));     \
	} while (0)

static void users_grow(struct batch *b, size_t need)
{
	size_t old = b->cap_users, cap = old ? old : 1024;

	while (cap < need)
		cap *= 2;
	GROW_ZERO(b->u_sessions, old, cap);
	GROW_ZERO(b->u_likes, old, cap);
	GROW_ZERO(b->u_follows, old, cap);
	GROW_ZERO(b->u_notify, old, cap);
	GROW_ZERO(b->u_listen_us, old, cap);
	GROW_ZERO(b->u_days, old, cap);
	GROW_ZERO(b->u_cur_sess, old, cap);
	GROW_ZERO(b->u_n_sess, old, cap);
	GROW_ZERO(b->u_sess_first, old, cap);
	GROW_ZERO(b->u_sess_last, old, cap);
	GROW_ZERO(b->u_sess_total, old, cap);
	for (size_t i = old; i < cap; i++)
		b->u_cur_sess[i] = EVENT_NONE;
	b->cap_users = cap;
}

static void creators_grow(struct batch *b, size_t need)
{
	size_t old = b->cap_creators, cap = old ? old : 256;

	while (cap < need)
		cap *= 2;
	GROW_ZERO(b->c_plays, old, cap);
	GROW_ZERO(b->c_likes, old, cap);
	GROW_ZERO(b->c_hosted, old, cap);
	GROW_ZERO(b->c_listen_us, old, cap);
	GROW_ZERO(b->c_touched, old, cap);
	b->cap_creators = cap;
}

static void pairvals_grow(struct pairvals *v, size_t need)
{
	size_t old = v->cap, cap = old ? old : 1024;

	while (cap < need)
		cap *= 2;
	GROW_ZERO(v->listen_us, old, cap);
	GROW_ZERO(v->likes, old, cap);
	GROW_ZERO(v->follows, old, cap);
	GROW_ZERO(v->starts, old, cap);
	GROW_ZERO(v->last_listen, old, cap);
	GROW_ZERO(v->declared, old, cap);
	v->cap = cap;
}

static inline size_t pm_slot(uint64_t key, size_t cap)
{
	uint64_t x = key * 0x9E3779B97F4A7C15ULL;

	return (size_t)(x ^ (x >> 32)) & (cap - 1);
}

static void pm_rehash(struct pairmap *m, size_t cap)
{
	uint64_t *keys = xmalloc(cap * sizeof(*keys));
	uint32_t *row = xmalloc(cap * sizeof(*row));

	memset(keys, 0xff, cap * sizeof(*keys));
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] == UINT64_MAX)
			continue;
		size_t s = pm_slot(m->keys[i], cap);

		while (keys[s] != UINT64_MAX)
			s = (s + 1) & (cap - 1);
		keys[s] = m->keys[i];
		row[s] = m->row[i];
	}
	free(m->keys);
	free(m->row);
	m->keys = keys;
	m->row = row;
	m->cap = cap;
}

static void pm_reset(struct pairmap *m)
{
	if (!m->cap)
		pm_rehash(m, 4096);
	memset(m->keys, 0xff, m->cap * sizeof(*m->keys));
	m->n = 0;
}

/* Row of `key`, inserting a zeroed row when new. */
static inline uint32_t pm_get(struct pairmap *m, struct pairvals *v, uint64_t key)
{
	size_t s = pm_slot(key, m->cap);

	while (m->keys[s] != UINT64_MAX) {
		if (m->keys[s] == key)
			return m->row[s];
		s = (s + 1) & (m->cap - 1);
	}
	if (2 * (m->n + 1) > m->cap) {  /* load <= 1/2 */
		pm_rehash(m, m->cap * 2);
		s = pm_slot(key, m->cap);
		while (m->keys[s] != UINT64_MAX)
			s = (s + 1) & (m->cap - 1);
	}
	if (m->n + 1 > v->cap)
		pairvals_grow(v, m->n + 1);
	m->keys[s] = key;
	m->row[s] = (uint32_t)m->n;
	v->listen_us[m->n] = 0;
	v->likes[m->n] = v->follows[m->n] = v->starts[m->n] = 0;
	v->last_listen[m->n] = -1;
	v->declared[m->n] = 0;
	return (uint32_t)m->n++;
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
	b->radix_count = xmalloc(65536 * sizeof(size_t));
	b->out[BATCH_USER].pub = (struct batch_table){ "user_history", 8, user_features, 0, 0, 0 };
	b->out[BATCH_CREATOR].pub = (struct batch_table){ "creator_history", 6, creator_features, 0, 0, 0 };
	b->out[BATCH_USER_TOPIC].pub = (struct batch_table){ "user_topic", 3, user_topic_features, 0, 0, 0 };
	b->out[BATCH_USER_CREATOR].pub = (struct batch_table){ "user_creator", 4, user_creator_features, 0, 0, 0 };
	batch_begin(b, cfg->window);
	return b;
}

static void pairvals_free(struct pairvals *v)
{
	free(v->listen_us);
	free(v->likes);
	free(v->follows);
	free(v->starts);
	free(v->last_listen);
	free(v->declared);
}

void batch_free(struct batch *b)
{
	if (!b)
		return;
	free(b->u_sessions);
	free(b->u_likes);
	free(b->u_follows);
	free(b->u_notify);
	free(b->u_listen_us);
	free(b->u_days);
	free(b->u_cur_sess);
	free(b->u_n_sess);
	free(b->u_sess_first);
	free(b->u_sess_last);
	free(b->u_sess_total);
	free(b->c_plays);
	free(b->c_likes);
	free(b->c_hosted);
	free(b->c_listen_us);
	free(b->c_touched);
	free(b->uc_map.keys);
	free(b->uc_map.row);
	free(b->ut_map.keys);
	free(b->ut_map.row);
	pairvals_free(&b->uc);
	pairvals_free(&b->ut);
	free(b->user_show);
	free(b->sort_tmp);
	free(b->radix_count);
	for (int i = 0; i < BATCH_TABLE_COUNT; i++) {
		free(b->out[i].entity);
		free(b->out[i].values);
	}
	free(b);
}

void batch_begin(struct batch *b, simtime end)
{
	size_t nu = b->n_users, nc = b->n_creators;

	b->end = end;
	b->start = end - b->cfg.window;
	b->events = 0;
	if (nu) {
		memset(b->u_sessions, 0, nu * sizeof(*b->u_sessions));
		memset(b->u_likes, 0, nu * sizeof(*b->u_likes));
		memset(b->u_follows, 0, nu * sizeof(*b->u_follows));
		memset(b->u_notify, 0, nu * sizeof(*b->u_notify));
		memset(b->u_listen_us, 0, nu * sizeof(*b->u_listen_us));
		memset(b->u_days, 0, nu * sizeof(*b->u_days));
		memset(b->u_cur_sess, 0xff, nu * sizeof(*b->u_cur_sess));
		memset(b->u_n_sess, 0, nu * sizeof(*b->u_n_sess));
		memset(b->u_sess_total, 0, nu * sizeof(*b->u_sess_total));
	}
	if (nc) {
		memset(b->c_plays, 0, nc * sizeof(*b->c_plays));
		memset(b->c_likes, 0, nc * sizeof(*b->c_likes));
		memset(b->c_hosted, 0, nc * sizeof(*b->c_hosted));
		memset(b->c_listen_us, 0, nc * sizeof(*b->c_listen_us));
		memset(b->c_touched, 0, nc);
	}
	b->n_users = b->n_creators = 0;
	pm_reset(&b->uc_map);
	pm_reset(&b->ut_map);
	b->n_us = 0;
	for (int i = 0; i < BATCH_TABLE_COUNT; i++)
		b->out[i].pub.n = 0;
}

/* ---- the hot loop ---- */

static inline void touch_user(struct batch *b, uint32_t u)
{
	if (u >= b->cap_users)
		users_grow(b, (size_t)u + 1);
	if (u >= b->n_users)
		b->n_users = (size_t)u + 1;
}

static inline void touch_creator(struct batch *b, uint32_t c)
{
	if (c >= b->cap_creators)
		creators_grow(b, (size_t)c + 1);
	if (c >= b->n_creators)
		b->n_creators = (size_t)c + 1;
	b->c_touched[c] = 1;
}

/* Sessions of one user do not interleave, so a session ends when the
 * user's next session id shows up (or at finish). */
static inline void track_session(struct batch *b, uint32_t u, uint32_t s, simtime t)
{
	if (b->u_cur_sess[u] == s) {
		if (t > b->u_sess_last[u])
			b->u_sess_last[u] = t;
		if (t < b->u_sess_first[u])
			b->u_sess_first[u] = t;
		return;
	}
	if (b->u_cur_sess[u] != EVENT_NONE) {
		b->u_sess_total[u] += b->u_sess_last[u] - b->u_sess_first[u];
		b->u_n_sess[u]++;
	}
	b->u_cur_sess[u] = s;
	b->u_sess_first[u] = b->u_sess_last[u] = t;
}

int batch_add(void *batch, const struct event *evs, size_t n, struct error *err)
{
	struct batch *b = batch;
	const simtime start = b->start, end = b->end;

	(void)err;
	for (size_t i = 0; i < n; i++) {
		const struct event *ev = &evs[i];
		simtime t = ev->emit_time;
		uint32_t u = ev->user, c = ev->creator;
		uint32_t r;

		if (t < start || t >= end)
			continue;
		b->events++;
		if (u != EVENT_NONE) {
			touch_user(b, u);
			b->u_days[u] |= (uint64_t)1 << ((t - start) / SIMTIME_DAY);
			if (ev->session != EVENT_NONE)
				track_session(b, u, ev->session, t);
		}
		switch (ev->type) {
		case EVENT_APP_OPEN:
			if (u != EVENT_NONE)
				b->u_sessions[u]++;
			break;
		case EVENT_LISTEN_START:
			if (u == EVENT_NONE || c == EVENT_NONE)
				break;
			touch_creator(b, c);
			b->c_plays[c]++;
			r = pm_get(&b->uc_map, &b->uc, (uint64_t)u << 32 | c);
			b->uc.starts[r]++;
			if (b->n_us == b->cap_us) {
				b->cap_us = b->cap_us ? 2 * b->cap_us : 65536;
				b->user_show = xreallocarray(b->user_show, b->cap_us, sizeof(uint64_t));
			}
			b->user_show[b->n_us++] = (uint64_t)u << 32 | ev->show;
			break;
		case EVENT_LISTEN_END:
			if (u == EVENT_NONE || ev->value <= 0)
				break;
			b->u_listen_us[u] += ev->value;
			if (c != EVENT_NONE) {
				touch_creator(b, c);
				b->c_listen_us[c] += ev->value;
				r = pm_get(&b->uc_map, &b->uc, (uint64_t)u << 32 | c);
				b->uc.listen_us[r] += ev->value;
				if (t > b->uc.last_listen[r])
					b->uc.last_listen[r] = t;
			}
			if (ev->topic != UINT16_MAX) {
				r = pm_get(&b->ut_map, &b->ut, (uint64_t)u << 32 | ev->topic);
				b->ut.listen_us[r] += ev->value;
			}
			break;
		case EVENT_LIKE:
			if (u == EVENT_NONE)
				break;
			b->u_likes[u]++;
			if (c != EVENT_NONE) {
				touch_creator(b, c);
				b->c_likes[c]++;
				r = pm_get(&b->uc_map, &b->uc, (uint64_t)u << 32 | c);
				b->uc.likes[r]++;
			}
			if (ev->topic != UINT16_MAX) {
				r = pm_get(&b->ut_map, &b->ut, (uint64_t)u << 32 | ev->topic);
				b->ut.likes[r]++;
			}
			break;
		case EVENT_FOLLOW:
			if (u == EVENT_NONE)
				break;
			b->u_follows[u]++;
			if (c != EVENT_NONE) {
				touch_creator(b, c);
				r = pm_get(&b->uc_map, &b->uc, (uint64_t)u << 32 | c);
				b->uc.follows[r]++;
			}
			break;
		case EVENT_NOTIFY_ENABLE:
			if (u != EVENT_NONE)
				b->u_notify[u]++;
			break;
		case EVENT_SHOW_LIVE:
			if (c != EVENT_NONE) {
				touch_creator(b, c);
				b->c_hosted[c]++;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

/* ---- finish ---- */

/* LSD radix sort of u64 keys, 16-bit digits; passes whose digit is constant
 * are skipped.  tmp has room for n. */
static void radix_sort_u64(uint64_t *a, uint64_t *tmp, size_t *count, size_t n)
{
	uint64_t *src = a, *dst = tmp;

	for (int shift = 0; shift < 64; shift += 16) {
		size_t sum = 0;
		bool constant;

		memset(count, 0, 65536 * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[(src[i] >> shift) & 0xffff]++;
		constant = n == 0 || count[(src[0] >> shift) & 0xffff] == n;
		if (constant)
			continue;
		for (size_t d = 0; d < 65536; d++) {
			size_t c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & 0xffff]++] = src[i];
		uint64_t *x = src;

		src = dst;
		dst = x;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}

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

static void tmp_reserve(struct batch *b, size_t n)
{
	if (n > b->cap_tmp) {
		free(b->sort_tmp);
		b->cap_tmp = n + n / 2;
		b->sort_tmp = xmalloc(b->cap_tmp * sizeof(uint64_t));
	}
}

/* Pair rows in key order: fills `order` (map rows sorted by key). */
static size_t pairs_sorted(struct batch *b, struct pairmap *m, uint64_t **keys_out)
{
	size_t n = 0;
	uint64_t *keys;

	tmp_reserve(b, 2 * m->n + 1);
	keys = xmalloc((m->n + 1) * sizeof(*keys));
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] != UINT64_MAX)
			keys[n++] = m->keys[i];
	radix_sort_u64(keys, b->sort_tmp, b->radix_count, n);
	*keys_out = keys;
	return n;
}

static uint32_t pm_find(const struct pairmap *m, uint64_t key)
{
	size_t s = pm_slot(key, m->cap);

	while (m->keys[s] != key) {
		ASSERT(m->keys[s] != UINT64_MAX);
		s = (s + 1) & (m->cap - 1);
	}
	return m->row[s];
}

void batch_finish(struct batch *b, const struct batch_declared *declared)
{
	const double us_per_min = 60e6, window_days = (double)b->cfg.window / SIMTIME_DAY;
	uint32_t *distinct = NULL;
	uint64_t *keys;
	struct outtab *o;
	size_t n, nk;

	/* close open sessions */
	for (size_t u = 0; u < b->n_users; u++)
		if (b->u_cur_sess[u] != EVENT_NONE) {
			b->u_sess_total[u] += b->u_sess_last[u] - b->u_sess_first[u];
			b->u_n_sess[u]++;
			b->u_cur_sess[u] = EVENT_NONE;
		}

	/* distinct shows per user: sort (user, show), count runs */
	distinct = xcalloc(b->n_users + 1, sizeof(*distinct));
	tmp_reserve(b, b->n_us + 1);
	radix_sort_u64(b->user_show, b->sort_tmp, b->radix_count, b->n_us);
	for (size_t i = 0; i < b->n_us; i++)
		if (i == 0 || b->user_show[i] != b->user_show[i - 1])
			distinct[b->user_show[i] >> 32]++;

	/* users: everyone with an event in the window */
	o = &b->out[BATCH_USER];
	out_reserve(o, b->n_users + 1);
	n = 0;
	for (size_t u = 0; u < b->n_users; u++) {
		double *v = o->values + n * 8;

		if (!b->u_days[u])
			continue;
		o->entity[n] = (int64_t)u;
		v[0] = b->u_sessions[u];
		v[1] = (double)b->u_listen_us[u] / us_per_min;
		v[2] = distinct[u];
		v[3] = b->u_likes[u];
		v[4] = b->u_follows[u];
		v[5] = b->u_notify[u];
		v[6] = __builtin_popcountll(b->u_days[u]);
		v[7] = b->u_n_sess[u] ? (double)b->u_sess_total[u] / b->u_n_sess[u] / us_per_min : 0;
		n++;
	}
	out_publish(o, n);
	free(distinct);

	/* user x creator (sparse) and creators' follower / listener counts */
	{
		uint32_t *followers = xcalloc(b->n_creators + 1, sizeof(uint32_t));
		uint32_t *listeners = xcalloc(b->n_creators + 1, sizeof(uint32_t));

		nk = pairs_sorted(b, &b->uc_map, &keys);
		o = &b->out[BATCH_USER_CREATOR];
		out_reserve(o, nk + 1);
		for (size_t i = 0; i < nk; i++) {
			uint32_t r = pm_find(&b->uc_map, keys[i]), c = (uint32_t)keys[i];
			double *v = o->values + i * 4;

			o->entity[i] = (int64_t)keys[i];
			v[0] = (double)b->uc.listen_us[r] / us_per_min;
			v[1] = b->uc.likes[r];
			v[2] = b->uc.follows[r];
			v[3] = b->uc.last_listen[r] >= 0
				       ? (double)(b->end - b->uc.last_listen[r]) / SIMTIME_DAY
				       : window_days;
			followers[c] += b->uc.follows[r] > 0;
			listeners[c] += b->uc.starts[r] > 0;
		}
		out_publish(o, nk);
		free(keys);

		o = &b->out[BATCH_CREATOR];
		out_reserve(o, b->n_creators + 1);
		n = 0;
		for (size_t c = 0; c < b->n_creators; c++) {
			double *v = o->values + n * 6;

			if (!b->c_touched[c])
				continue;
			o->entity[n] = (int64_t)c;
			v[0] = b->c_plays[c];
			v[1] = followers[c];
			v[2] = b->c_likes[c];
			v[3] = b->c_hosted[c];
			v[4] = (double)b->c_listen_us[c] / us_per_min / (b->c_hosted[c] ? b->c_hosted[c] : 1);
			v[5] = listeners[c];
			n++;
		}
		out_publish(o, n);
		free(followers);
		free(listeners);
	}

	/* user x topic: declared interests join the pairs seen in the window */
	if (declared)
		for (size_t i = 0; i < declared->n; i++) {
			uint32_t r = pm_get(&b->ut_map, &b->ut,
					    (uint64_t)declared->user[i] << 32 | declared->topic[i]);

			b->ut.declared[r] = 1;
		}
	nk = pairs_sorted(b, &b->ut_map, &keys);
	o = &b->out[BATCH_USER_TOPIC];
	out_reserve(o, nk + 1);
	for (size_t i = 0; i < nk; i++) {
		uint32_t r = pm_find(&b->ut_map, keys[i]), u = (uint32_t)(keys[i] >> 32);
		int64_t total = u < b->n_users ? b->u_listen_us[u] : 0;
		double *v = o->values + i * 3;

		o->entity[i] = (int64_t)keys[i];
		v[0] = total > 0 ? (double)b->ut.listen_us[r] / (double)total : 0;
		v[1] = b->ut.likes[r];
		v[2] = b->ut.declared[r];
	}
	out_publish(o, nk);
	free(keys);
}

const struct batch_table *batch_table(const struct batch *b, enum batch_table_id id)
{
	ASSERT(id >= 0 && id < BATCH_TABLE_COUNT);
	return &b->out[id].pub;
}

uint64_t batch_events(const struct batch *b) { return b->events; }
simtime batch_window_start(const struct batch *b) { return b->start; }
simtime batch_window_end(const struct batch *b) { return b->end; }
