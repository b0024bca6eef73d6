#ifndef AIRTIME_WORLD_H
#define AIRTIME_WORLD_H
/*
 * The synthetic world: topics, creators, their shows, and users with latent
 * tastes (the truth) and declared profile interests (a noisy view of it).
 *
 * Storage is a struct of arrays indexed by entity id (0-based, dense).  Every
 * entity is drawn from its own RNG stream: creator c from (seed,
 * RNG_WORLD_CREATORS, c), user u from (seed, RNG_WORLD_USERS, u), creator c's
 * shows of week k from (seed, RNG_WORLD_SHOWS, c, k).  Adding users therefore
 * never changes existing users, and adding creators never changes existing
 * creators or their shows (show ids, which are ordered by start time, do
 * shift).
 *
 * Truth (sim only; the engine never sees it except through eval's oracle):
 *   - topic tastes: a Dirichlet draw per user (weights sum to 1);
 *   - creator affinity: dot product of a user and a creator latent vector
 *     (affinity_dim components each, N(0, 1/sqrt(dim)) so the dot is ~N(0,1)
 *     in scale);
 *   - creator quality (lognormal, median 1) and popularity (power law: the
 *     rank-size curve of the drawn popularities has slope -zipf_exponent).
 * Declared interests: a bitmask over topics.  A user declares nothing with
 * probability declare_none_rate; otherwise 1 + Poisson(declared_topics - 1)
 * slots, each a "noise" topic (one whose true taste is below the uniform
 * share 1/n_topics) with probability declare_noise_rate, else a real interest
 * (taste >= 1/n_topics) drawn in proportion to taste, without repetition.
 *
 * Shows: each creator hosts shows_per_week shows a week (own draw, mean
 * shows_per_week) on distinct weekdays near its preferred local hour; each
 * show is announced `announce_ahead` before its start and lasts a lognormal
 * duration.  Shows start within [0, horizon) (or the span of
 * world_new_span) and are numbered by (start, creator, slot).
 *
 * Users beyond the base population can be appended before a run
 * (world_add_users) for cold-start spike arrivals; they are drawn exactly
 * like base users.
 *
 * Ownership: world_new returns an object the caller frees with world_free.
 * Returned pointers (names, arrays) are borrowed and live as long as the world.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/scenario.h"
#include "common/simtime.h"

#define WORLD_MAX_TOPICS 20     /* named topics; declared masks are uint32 */
#define WORLD_MAX_AFFINITY_DIM 16
#define WORLD_MAX_ZONES 16
#define WORLD_NO_TOPIC UINT16_MAX

/* [world]: every field up to zones is filled from its key by config_load
 * (config/config.h, which also holds the defaults); the zone table is
 * derived from zones by world_config_check. */
struct world_config {
	uint32_t n_users;            /* base population */
	uint32_t n_creators;
	uint32_t n_topics;           /* the first n of the named topic table */
	double zipf_exponent;        /* creator popularity power law */
	double quality_sigma;        /* lognormal quality, median 1 */
	double second_topic_rate;    /* share of creators with a second topic */
	double shows_per_week;       /* mean per creator (each hosts >= 1) */
	double creator_peak_hour;    /* mean preferred local start hour */
	double creator_hour_sd;      /* spread of preferred hours across creators */
	simtime show_median;         /* lognormal show duration median */
	double show_sigma;
	simtime announce_ahead;      /* show_scheduled precedes the start by this */
	double taste_concentration;  /* Dirichlet total concentration (low = picky) */
	uint32_t affinity_dim;
	double declare_none_rate;
	double declare_noise_rate;
	double declared_topics;      /* mean number of topics declared (>= 1) */
	double activity_sigma;       /* lognormal activity, mean 1 */
	char zones[SCENARIO_TEXT_MAX]; /* UTC offset mix as written, "OFFSET_HOURS:WEIGHT,..." */
	size_t n_zones;              /* the mix parsed (world_config_parse_zones) */
	int32_t zone_offset_min[WORLD_MAX_ZONES];
	double zone_weight[WORLD_MAX_ZONES];
};

enum world_show_status {
	WORLD_SHOW_UNANNOUNCED,      /* before its announcement */
	WORLD_SHOW_UPCOMING,         /* announced, not started */
	WORLD_SHOW_LIVE,
	WORLD_SHOW_ENDED,
};

struct world;

/* After loading from sc: parse zones into the zone table, and check
 * declared_topics against topics; ERR_INPUT naming the file, line and key
 * (scenario_where). */
int world_config_check(struct world_config *cfg, const struct scenario *sc, struct error *err);
/* Parse a zone mix "OFFSET:WEIGHT,..." (offset in hours, e.g. "-5:0.4,5.5:0.1")
 * into cfg's zone table (not cfg->zones); ERR_INPUT naming the bad item
 * ("bad value '...' for [world] zones: ...", the caller adds where it was
 * written), also when every weight is zero. */
int world_config_parse_zones(struct world_config *cfg, const char *text, struct error *err);

/* Build the world for a run of `horizon` (shows start in [0, horizon)).
 * NULL with ERR_INPUT on inconsistent parameters. */
struct world *world_new(const struct world_config *cfg, uint64_t seed, simtime horizon,
			struct error *err);
/* The same world (topics, creators, users) with the shows starting in
 * [start, horizon): start < 0 gives the history before a run (the shows of
 * a week come from the same draws whatever the span; ids count from 0 in
 * each world, and announcements before `start` are clamped to it). */
struct world *world_new_span(const struct world_config *cfg, uint64_t seed, simtime start,
			     simtime horizon, struct error *err);
void world_free(struct world *w);
/* Append n users (ids n_users .. n_users+n-1), drawn like base users. */
void world_add_users(struct world *w, uint32_t n);

const struct world_config *world_config(const struct world *w);
uint32_t world_n_users(const struct world *w);      /* base + added */
uint32_t world_n_base_users(const struct world *w);
uint32_t world_n_creators(const struct world *w);
uint32_t world_n_shows(const struct world *w);
uint32_t world_n_topics(const struct world *w);
simtime world_horizon(const struct world *w);

/* Topic name ("true crime"); NULL out of range. */
const char *world_topic_name(const struct world *w, uint32_t topic);
/* Name of the t-th entry of the full named table (for docs/tests). */
const char *world_topic_table_name(uint32_t t);

/* Creators. */
double world_creator_popularity(const struct world *w, uint32_t c);
double world_creator_quality(const struct world *w, uint32_t c);
/* Topic k (0 or 1) of a creator; WORLD_NO_TOPIC when it has one topic. */
uint16_t world_creator_topic(const struct world *w, uint32_t c, int k);
uint32_t world_creator_shows_per_week(const struct world *w, uint32_t c);
double world_creator_hour(const struct world *w, uint32_t c);     /* local */
int32_t world_creator_utc_offset_min(const struct world *w, uint32_t c);
/* The creator of popularity rank r (0 = most popular; ties by id). */
uint32_t world_creator_by_rank(const struct world *w, uint32_t r);
/* Latent vector (affinity_dim floats). */
const float *world_creator_factor(const struct world *w, uint32_t c);

/* Shows (ids ordered by start, then creator). */
uint32_t world_show_creator(const struct world *w, uint32_t s);
uint16_t world_show_topic(const struct world *w, uint32_t s);
simtime world_show_announce(const struct world *w, uint32_t s);
simtime world_show_start(const struct world *w, uint32_t s);
simtime world_show_end(const struct world *w, uint32_t s);
enum world_show_status world_show_status(const struct world *w, uint32_t s, simtime t);
/* First show id with start >= t (binary search; n_shows when none). */
uint32_t world_show_first_starting_at(const struct world *w, simtime t);

/* Users. */
const float *world_user_tastes(const struct world *w, uint32_t u);  /* n_topics, sum 1 */
const float *world_user_factor(const struct world *w, uint32_t u);  /* affinity_dim */
uint32_t world_user_declared(const struct world *w, uint32_t u);    /* topic bitmask */
double world_user_activity(const struct world *w, uint32_t u);
int32_t world_user_utc_offset_min(const struct world *w, uint32_t u);
/* True creator affinity of user u for creator c (latent dot product). */
double world_affinity(const struct world *w, uint32_t u, uint32_t c);

/* Bytes held by the world's arrays (for benchmarks). */
size_t world_memory(const struct world *w);

#endif
