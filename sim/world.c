/* The synthetic world; see world.h. */
#define _GNU_SOURCE   /* qsort_r: comparators take their keys as an argument */
#include "sim/world.h"

#include "common/rng.h"
#include "common/scenario.h"
#include "common/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

/* Named topics with a base weight: the mean taste profile of the population
 * (Dirichlet base measure) and how often creators pick the topic. */
static const struct {
	const char *name;
	double weight;
} topic_table[WORLD_MAX_TOPICS] = {
	{"pop", 1.6},        {"hip-hop", 1.3},   {"rock", 1.0},      {"country", 0.8},
	{"r&b", 0.8},        {"latin", 0.8},     {"baseball", 0.7},  {"basketball", 0.9},
	{"football", 1.1},   {"politics", 1.0},  {"news", 1.2},      {"comedy", 1.0},
	{"true crime", 0.9}, {"tech", 0.7},      {"soccer", 0.8},    {"electronic", 0.6},
	{"business", 0.6},   {"health", 0.5},    {"jazz", 0.4},      {"gaming", 0.7},
};

#define WEEK (7 * SIMTIME_DAY)

struct world {
	struct world_config cfg;
	uint64_t seed;
	simtime start, horizon;      /* shows start in [start, horizon) */
	uint32_t n_topics, dim;
	double topic_alpha[WORLD_MAX_TOPICS];   /* Dirichlet parameters */
	double topic_cum[WORLD_MAX_TOPICS];     /* cumulative base weights, last = 1 */
	double zone_cum[WORLD_MAX_ZONES];

	uint32_t n_creators;
	double *cr_pop;
	float *cr_quality;
	uint16_t *cr_topic;       /* 2 per creator */
	uint8_t *cr_spw;
	float *cr_hour;
	int32_t *cr_offset;
	float *cr_factor;         /* dim per creator */
	uint32_t *cr_by_rank;

	uint32_t n_shows;
	uint32_t *sh_creator;
	uint16_t *sh_topic;
	simtime *sh_announce, *sh_start, *sh_end;

	uint32_t n_users, n_base, cap_users;
	float *us_taste;          /* n_topics per user */
	float *us_factor;         /* dim per user */
	uint32_t *us_declared;
	float *us_activity;
	int32_t *us_offset;
};

int world_config_parse_zones(struct world_config *cfg, const char *text, struct error *err)
{
	const char *p = text;
	double wsum = 0;
	size_t n = 0;

	while (*p) {
		char *end;
		double hours, weight;

		if (n == WORLD_MAX_ZONES)
			return error_set(err, ERR_INPUT,
					 "bad value '%s' for [world] zones: more than %d zones", text,
					 WORLD_MAX_ZONES);
		errno = 0;
		hours = strtod(p, &end);
		if (end == p || errno || *end != ':' || hours < -12 || hours > 14)
			return error_set(err, ERR_INPUT,
					 "bad value '%s' for [world] zones: zone %zu is not OFFSET_HOURS:WEIGHT with an offset in -12..14",
					 text, n + 1);
		p = end + 1;
		errno = 0;
		weight = strtod(p, &end);
		if (end == p || errno || !(weight >= 0) || !isfinite(weight) ||
		    (*end != ',' && *end != '\0'))
			return error_set(err, ERR_INPUT,
					 "bad value '%s' for [world] zones: the weight of zone %zu is not a number >= 0",
					 text, n + 1);
		cfg->zone_offset_min[n] = (int32_t)lround(hours * 60);
		cfg->zone_weight[n] = weight;
		wsum += weight;
		n++;
		p = *end ? end + 1 : end;
	}
	if (n == 0)
		return error_set(err, ERR_INPUT,
				 "bad value '' for [world] zones: expected OFFSET_HOURS:WEIGHT,...");
	if (!(wsum > 0))
		return error_set(err, ERR_INPUT,
				 "bad value '%s' for [world] zones: weights must not all be zero", text);
	cfg->n_zones = n;
	return 0;
}

int world_config_check(struct world_config *cfg, const struct scenario *sc, struct error *err)
{
	char at[SCENARIO_WHERE_MAX];

	if (world_config_parse_zones(cfg, cfg->zones, err) != 0)
		return error_prefix(err, "%s: ", scenario_where(sc, "world", "zones", at, sizeof(at)));
	/* The one rule between keys; world_new checks it again for configs
	 * made in code, but only here is there a line to name. */
	if (cfg->declared_topics > cfg->n_topics)
		return scenario_order_error(err, sc, "world", "declared_topics", "at most", "world",
					    "topics");
	return 0;
}

static int check_config(const struct world_config *c, struct error *err)
{
	double wsum = 0;

	if (c->n_topics < 2 || c->n_topics > WORLD_MAX_TOPICS)
		return error_set(err, ERR_INPUT, "[world] topics: %u out of range 2..%d",
				 c->n_topics, WORLD_MAX_TOPICS);
	if (c->affinity_dim < 1 || c->affinity_dim > WORLD_MAX_AFFINITY_DIM)
		return error_set(err, ERR_INPUT, "[world] affinity_dim: %u out of range 1..%d",
				 c->affinity_dim, WORLD_MAX_AFFINITY_DIM);
	if (c->n_creators < 1)
		return error_set(err, ERR_INPUT, "[world] creators: need at least 1");
	if (c->n_users > (1u << 27))
		return error_set(err, ERR_INPUT, "[world] users: %u above the limit 2^27",
				 c->n_users);
	if (!(c->zipf_exponent > 0) || !(c->taste_concentration > 0) || !(c->quality_sigma >= 0) ||
	    !(c->show_sigma >= 0) || !(c->activity_sigma >= 0) || !(c->creator_hour_sd >= 0))
		return error_set(err, ERR_INPUT, "[world] exponents, sigmas and concentration must be positive");
	if (!(c->shows_per_week >= 1 && c->shows_per_week <= 7))
		return error_set(err, ERR_INPUT, "[world] shows_per_week: %g out of range 1..7",
				 c->shows_per_week);
	if (!(c->declared_topics >= 1) || c->declared_topics > c->n_topics)
		return error_set(err, ERR_INPUT, "[world] declared_topics: %g out of range 1..%u",
				 c->declared_topics, c->n_topics);
	if (c->show_median <= 0 || c->announce_ahead < 0)
		return error_set(err, ERR_INPUT, "[world] show_median must be > 0 and announce_ahead >= 0");
	for (size_t i = 0; i < c->n_zones; i++)
		wsum += c->zone_weight[i];
	if (c->n_zones == 0 || !(wsum > 0))
		return error_set(err, ERR_INPUT, "[world] zones: weights must not all be zero");
	return 0;
}

static uint32_t pick_cum(const double *cum, uint32_t n, double u)
{
	for (uint32_t i = 0; i + 1 < n; i++)
		if (u < cum[i])
			return i;
	return n - 1;
}

static void draw_factor(struct rng *r, float *out, uint32_t dim)
{
	double scale = 1.0 / sqrt(sqrt((double)dim));

	/* Each side gets sd dim^-1/4, so the dot of a user and a creator vector
	 * has variance dim * dim^-1 = 1 whatever the dimension. */
	for (uint32_t k = 0; k < dim; k++)
		out[k] = (float)(gsl_ran_gaussian_ziggurat(rng_gsl(r), scale));
}

static void draw_creator(struct world *w, uint32_t c)
{
	const struct world_config *cfg = &w->cfg;
	struct rng r;
	double h;
	long n;

	rng_init(&r, w->seed, RNG_WORLD_CREATORS, c, 0);
	/* U^-s has P(X > x) = x^(-1/s): among N creators the r-th largest is
	 * about (N/r)^s, a Zipf rank-size law with exponent s. */
	w->cr_pop[c] = pow(rng_uniform_pos(&r), -cfg->zipf_exponent);
	w->cr_quality[c] = (float)exp(gsl_ran_gaussian_ziggurat(rng_gsl(&r), cfg->quality_sigma));
	w->cr_topic[2 * c] = (uint16_t)pick_cum(w->topic_cum, w->n_topics, rng_uniform(&r));
	w->cr_topic[2 * c + 1] = WORLD_NO_TOPIC;
	if (rng_uniform(&r) < cfg->second_topic_rate) {
		/* A second, different topic: redraw from the base weights. */
		for (int tries = 0; tries < 64; tries++) {
			uint16_t t = (uint16_t)pick_cum(w->topic_cum, w->n_topics, rng_uniform(&r));

			if (t != w->cr_topic[2 * c]) {
				w->cr_topic[2 * c + 1] = t;
				break;
			}
		}
	}
	n = 1 + (long)gsl_ran_poisson(rng_gsl(&r), cfg->shows_per_week - 1);
	w->cr_spw[c] = (uint8_t)(n > 7 ? 7 : n);
	h = fmod(cfg->creator_peak_hour + gsl_ran_gaussian_ziggurat(rng_gsl(&r), cfg->creator_hour_sd), 24.0);
	w->cr_hour[c] = (float)(h < 0 ? h + 24 : h);
	w->cr_offset[c] = w->cfg.zone_offset_min[pick_cum(w->zone_cum, (uint32_t)cfg->n_zones, rng_uniform(&r))];
	draw_factor(&r, w->cr_factor + (size_t)c * w->dim, w->dim);
}

static void draw_user(struct world *w, uint32_t u)
{
	const struct world_config *cfg = &w->cfg;
	uint32_t nt = w->n_topics, declared = 0;
	double theta[WORLD_MAX_TOPICS], rare_threshold = 1.0 / nt;
	float *taste = w->us_taste + (size_t)u * nt;
	struct rng r;
	double s = cfg->activity_sigma;

	rng_init(&r, w->seed, RNG_WORLD_USERS, u, 0);
	gsl_ran_dirichlet(rng_gsl(&r), nt, w->topic_alpha, theta);
	for (uint32_t t = 0; t < nt; t++)
		taste[t] = (float)theta[t];
	draw_factor(&r, w->us_factor + (size_t)u * w->dim, w->dim);
	/* Lognormal with mean exactly 1: mu = -sigma^2 / 2. */
	w->us_activity[u] = (float)exp(-s * s / 2 + gsl_ran_gaussian_ziggurat(rng_gsl(&r), s));
	w->us_offset[u] = cfg->zone_offset_min[pick_cum(w->zone_cum, (uint32_t)cfg->n_zones, rng_uniform(&r))];

	if (rng_uniform(&r) >= cfg->declare_none_rate) {
		unsigned slots = 1 + gsl_ran_poisson(rng_gsl(&r), cfg->declared_topics - 1);

		for (unsigned k = 0; k < slots; k++) {
			bool noise = rng_uniform(&r) < cfg->declare_noise_rate;
			double total = 0, pick;
			uint32_t chosen = UINT32_MAX;

			/* Candidates: not yet declared, on the requested side of the
			 * threshold; noise uniformly, real interests by taste. */
			for (uint32_t t = 0; t < nt; t++) {
				bool rare = theta[t] < rare_threshold;

				if ((declared >> t & 1) || rare != noise)
					continue;
				total += noise ? 1.0 : theta[t];
			}
			if (total <= 0)
				continue;   /* that side is exhausted: the slot stays empty */
			pick = rng_uniform(&r) * total;
			for (uint32_t t = 0; t < nt; t++) {
				bool rare = theta[t] < rare_threshold;

				if ((declared >> t & 1) || rare != noise)
					continue;
				chosen = t;
				pick -= noise ? 1.0 : theta[t];
				if (pick < 0)
					break;
			}
			declared |= 1u << chosen;
		}
	}
	w->us_declared[u] = declared;
}

static void grow_users(struct world *w, uint32_t cap)
{
	w->us_taste = xreallocarray(w->us_taste, (size_t)cap * w->n_topics, sizeof(float));
	w->us_factor = xreallocarray(w->us_factor, (size_t)cap * w->dim, sizeof(float));
	w->us_declared = xreallocarray(w->us_declared, cap, sizeof(uint32_t));
	w->us_activity = xreallocarray(w->us_activity, cap, sizeof(float));
	w->us_offset = xreallocarray(w->us_offset, cap, sizeof(int32_t));
	w->cap_users = cap;
}

void world_add_users(struct world *w, uint32_t n)
{
	uint32_t want = w->n_users + n;

	ASSERT(want >= w->n_users && want <= (1u << 27));
	if (want > w->cap_users)
		grow_users(w, want);
	for (uint32_t u = w->n_users; u < want; u++)
		draw_user(w, u);
	w->n_users = want;
}

struct show_tmp {
	simtime start, end;
	uint32_t creator, slot;
	uint16_t topic;
};

static int show_cmp(const void *a, const void *b)
{
	const struct show_tmp *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->creator != y->creator)
		return x->creator < y->creator ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static void build_shows(struct world *w)
{
	const struct world_config *cfg = &w->cfg;
	struct show_tmp *tmp = NULL;
	size_t n = 0, cap = 0;
	/* Local weeks overlapping [start, horizon): one before (negative offsets
	 * push local time back) to one after.  Week wk's draws are the same
	 * whatever the span, so a history world before time 0 continues the
	 * creators' schedules of the run's world. */
	int64_t weeks = w->horizon / WEEK + 2;
	int64_t first = (w->start >= 0 ? w->start / WEEK : -((-w->start + WEEK - 1) / WEEK)) - 1;

	for (uint32_t c = 0; c < w->n_creators; c++) {
		for (int64_t wk = first; wk < weeks; wk++) {
			struct rng r;
			int days[7] = {0, 1, 2, 3, 4, 5, 6};

			rng_init(&r, w->seed, RNG_WORLD_SHOWS, c, (uint64_t)(wk + 1));
			for (uint32_t k = 0; k < w->cr_spw[c]; k++) {
				/* Partial Fisher-Yates: distinct weekdays. */
				uint32_t j = k + (uint32_t)rng_below(&r, 7 - k);
				int d = days[j];
				double jitter = gsl_ran_gaussian_ziggurat(rng_gsl(&r), 20.0);   /* minutes */
				double dur = cfg->show_median *
					exp(gsl_ran_gaussian_ziggurat(rng_gsl(&r), cfg->show_sigma));
				uint16_t topic = w->cr_topic[2 * c];
				simtime local, start;

				days[j] = days[k];
				days[k] = d;
				if (w->cr_topic[2 * c + 1] != WORLD_NO_TOPIC && rng_uniform(&r) < 0.3)
					topic = w->cr_topic[2 * c + 1];
				/* Start on a 5-minute grid, as announced shows are. */
				local = wk * WEEK + d * SIMTIME_DAY +
					(simtime)llround((w->cr_hour[c] * 60 + jitter) / 5) * 5 * SIMTIME_MIN;
				start = local - (simtime)w->cr_offset[c] * SIMTIME_MIN;
				if (start < w->start || start >= w->horizon)
					continue;
				if (dur < 5 * SIMTIME_MIN)
					dur = 5 * SIMTIME_MIN;
				if (dur > 60 * SIMTIME_DAY)
					dur = 60 * SIMTIME_DAY;
				XGROW(tmp, n + 1, cap);
				tmp[n].start = start;
				tmp[n].end = start + (simtime)dur;
				tmp[n].creator = c;
				tmp[n].slot = (uint32_t)((wk + 1) * 8 + k);
				tmp[n].topic = topic;
				n++;
			}
		}
	}
	if (n)
		qsort(tmp, n, sizeof(*tmp), show_cmp);
	ASSERT(n < UINT32_MAX);
	w->n_shows = (uint32_t)n;
	w->sh_creator = xcalloc(n + 1, sizeof(uint32_t));
	w->sh_topic = xcalloc(n + 1, sizeof(uint16_t));
	w->sh_announce = xcalloc(n + 1, sizeof(simtime));
	w->sh_start = xcalloc(n + 1, sizeof(simtime));
	w->sh_end = xcalloc(n + 1, sizeof(simtime));
	for (size_t i = 0; i < n; i++) {
		simtime a = tmp[i].start - cfg->announce_ahead;

		w->sh_creator[i] = tmp[i].creator;
		w->sh_topic[i] = tmp[i].topic;
		w->sh_announce[i] = a < w->start ? w->start : a;
		w->sh_start[i] = tmp[i].start;
		w->sh_end[i] = tmp[i].end;
	}
	free(tmp);
}

/* ctx: the popularity of each creator (qsort_r). */
static int rank_cmp(const void *a, const void *b, void *ctx)
{
	const double *rank_key = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (rank_key[x] != rank_key[y])
		return rank_key[x] > rank_key[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

struct world *world_new(const struct world_config *cfg, uint64_t seed, simtime horizon,
			struct error *err)
{
	return world_new_span(cfg, seed, 0, horizon, err);
}

struct world *world_new_span(const struct world_config *cfg, uint64_t seed, simtime start,
			     simtime horizon, struct error *err)
{
	struct world *w;
	double sum = 0, acc = 0;

	if (check_config(cfg, err) != 0)
		return NULL;
	if (horizon <= start)
		return error_set(err, ERR_INPUT, "world horizon must be after its start"), NULL;
	w = xcalloc(1, sizeof(*w));
	w->cfg = *cfg;
	w->seed = seed;
	w->start = start;
	w->horizon = horizon;
	w->n_topics = cfg->n_topics;
	w->dim = cfg->affinity_dim;
	for (uint32_t t = 0; t < w->n_topics; t++)
		sum += topic_table[t].weight;
	for (uint32_t t = 0; t < w->n_topics; t++) {
		acc += topic_table[t].weight / sum;
		w->topic_cum[t] = acc;
		w->topic_alpha[t] = cfg->taste_concentration * topic_table[t].weight / sum;
	}
	w->topic_cum[w->n_topics - 1] = 1.0;
	sum = acc = 0;
	for (size_t z = 0; z < cfg->n_zones; z++)
		sum += cfg->zone_weight[z];
	for (size_t z = 0; z < cfg->n_zones; z++) {
		acc += cfg->zone_weight[z] / sum;
		w->zone_cum[z] = acc;
	}
	w->zone_cum[cfg->n_zones - 1] = 1.0;

	w->n_creators = cfg->n_creators;
	w->cr_pop = xcalloc(w->n_creators, sizeof(double));
	w->cr_quality = xcalloc(w->n_creators, sizeof(float));
	w->cr_topic = xcalloc((size_t)w->n_creators * 2, sizeof(uint16_t));
	w->cr_spw = xcalloc(w->n_creators, sizeof(uint8_t));
	w->cr_hour = xcalloc(w->n_creators, sizeof(float));
	w->cr_offset = xcalloc(w->n_creators, sizeof(int32_t));
	w->cr_factor = xcalloc((size_t)w->n_creators * w->dim, sizeof(float));
	w->cr_by_rank = xcalloc(w->n_creators, sizeof(uint32_t));
	for (uint32_t c = 0; c < w->n_creators; c++) {
		draw_creator(w, c);
		w->cr_by_rank[c] = c;
	}
	qsort_r(w->cr_by_rank, w->n_creators, sizeof(uint32_t), rank_cmp, w->cr_pop);
	build_shows(w);

	grow_users(w, cfg->n_users ? cfg->n_users : 1);
	world_add_users(w, cfg->n_users);
	w->n_base = cfg->n_users;
	return w;
}

void world_free(struct world *w)
{
	if (!w)
		return;
	free(w->cr_pop);
	free(w->cr_quality);
	free(w->cr_topic);
	free(w->cr_spw);
	free(w->cr_hour);
	free(w->cr_offset);
	free(w->cr_factor);
	free(w->cr_by_rank);
	free(w->sh_creator);
	free(w->sh_topic);
	free(w->sh_announce);
	free(w->sh_start);
	free(w->sh_end);
	free(w->us_taste);
	free(w->us_factor);
	free(w->us_declared);
	free(w->us_activity);
	free(w->us_offset);
	free(w);
}

const struct world_config *world_config(const struct world *w) { return &w->cfg; }
uint32_t world_n_users(const struct world *w) { return w->n_users; }
uint32_t world_n_base_users(const struct world *w) { return w->n_base; }
uint32_t world_n_creators(const struct world *w) { return w->n_creators; }
uint32_t world_n_shows(const struct world *w) { return w->n_shows; }
uint32_t world_n_topics(const struct world *w) { return w->n_topics; }
simtime world_horizon(const struct world *w) { return w->horizon; }

const char *world_topic_name(const struct world *w, uint32_t topic)
{
	return topic < w->n_topics ? topic_table[topic].name : NULL;
}

const char *world_topic_table_name(uint32_t t)
{
	return t < WORLD_MAX_TOPICS ? topic_table[t].name : NULL;
}

double world_creator_popularity(const struct world *w, uint32_t c)
{
	ASSERT(c < w->n_creators);
	return w->cr_pop[c];
}

double world_creator_quality(const struct world *w, uint32_t c)
{
	ASSERT(c < w->n_creators);
	return w->cr_quality[c];
}

uint16_t world_creator_topic(const struct world *w, uint32_t c, int k)
{
	ASSERT(c < w->n_creators && (k == 0 || k == 1));
	return w->cr_topic[2 * c + (uint32_t)k];
}

uint32_t world_creator_shows_per_week(const struct world *w, uint32_t c)
{
	ASSERT(c < w->n_creators);
	return w->cr_spw[c];
}

double world_creator_hour(const struct world *w, uint32_t c)
{
	ASSERT(c < w->n_creators);
	return w->cr_hour[c];
}

int32_t world_creator_utc_offset_min(const struct world *w, uint32_t c)
{
	ASSERT(c < w->n_creators);
	return w->cr_offset[c];
}

uint32_t world_creator_by_rank(const struct world *w, uint32_t r)
{
	ASSERT(r < w->n_creators);
	return w->cr_by_rank[r];
}

const float *world_creator_factor(const struct world *w, uint32_t c)
{
	ASSERT(c < w->n_creators);
	return w->cr_factor + (size_t)c * w->dim;
}

uint32_t world_show_creator(const struct world *w, uint32_t s)
{
	ASSERT(s < w->n_shows);
	return w->sh_creator[s];
}

uint16_t world_show_topic(const struct world *w, uint32_t s)
{
	ASSERT(s < w->n_shows);
	return w->sh_topic[s];
}

simtime world_show_announce(const struct world *w, uint32_t s)
{
	ASSERT(s < w->n_shows);
	return w->sh_announce[s];
}

simtime world_show_start(const struct world *w, uint32_t s)
{
	ASSERT(s < w->n_shows);
	return w->sh_start[s];
}

simtime world_show_end(const struct world *w, uint32_t s)
{
	ASSERT(s < w->n_shows);
	return w->sh_end[s];
}

enum world_show_status world_show_status(const struct world *w, uint32_t s, simtime t)
{
	ASSERT(s < w->n_shows);
	if (t < w->sh_announce[s])
		return WORLD_SHOW_UNANNOUNCED;
	if (t < w->sh_start[s])
		return WORLD_SHOW_UPCOMING;
	if (t < w->sh_end[s])
		return WORLD_SHOW_LIVE;
	return WORLD_SHOW_ENDED;
}

uint32_t world_show_first_starting_at(const struct world *w, simtime t)
{
	uint32_t lo = 0, hi = w->n_shows;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (w->sh_start[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const float *world_user_tastes(const struct world *w, uint32_t u)
{
	ASSERT(u < w->n_users);
	return w->us_taste + (size_t)u * w->n_topics;
}

const float *world_user_factor(const struct world *w, uint32_t u)
{
	ASSERT(u < w->n_users);
	return w->us_factor + (size_t)u * w->dim;
}

uint32_t world_user_declared(const struct world *w, uint32_t u)
{
	ASSERT(u < w->n_users);
	return w->us_declared[u];
}

double world_user_activity(const struct world *w, uint32_t u)
{
	ASSERT(u < w->n_users);
	return w->us_activity[u];
}

int32_t world_user_utc_offset_min(const struct world *w, uint32_t u)
{
	ASSERT(u < w->n_users);
	return w->us_offset[u];
}

double world_affinity(const struct world *w, uint32_t u, uint32_t c)
{
	const float *a = world_user_factor(w, u), *b = world_creator_factor(w, c);
	double dot = 0;

	for (uint32_t k = 0; k < w->dim; k++)
		dot += (double)a[k] * b[k];
	return dot;
}

size_t world_memory(const struct world *w)
{
	size_t per_creator = sizeof(double) + sizeof(float) * (3 + w->dim) + 2 * sizeof(uint16_t) +
			     1 + sizeof(int32_t) + sizeof(uint32_t);
	size_t per_show = sizeof(uint32_t) + sizeof(uint16_t) + 3 * sizeof(simtime);
	size_t per_user = sizeof(float) * (w->n_topics + w->dim + 1) + 2 * sizeof(uint32_t);

	return sizeof(*w) + per_creator * w->n_creators + per_show * (w->n_shows + 1) +
	       per_user * w->cap_users;
}
