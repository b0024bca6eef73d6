#ifndef AIRTIME_SPIKES_H
#define AIRTIME_SPIKES_H
/*
 * Promotional spikes: a creator posts a promotion and a self-exciting burst
 * of app sessions follows, drawn toward that creator's show.
 *
 * Each [spike.NAME] is a Hawkes process with an exponential kernel:
 * immigrant sessions ~ Poisson(magnitude) at start + Exp(half_life / ln 2)
 * (a rate decaying with the given half-life), and every session (immigrant
 * or child) spawns Poisson(branching) children, each child_delay ~ Exp later.
 * With branching < 1 the cascade is finite and its expected size is
 * magnitude / (1 - branching) (the total progeny of a Galton-Watson tree
 * with mean offspring b is 1 + b + b^2 + ... = 1 / (1 - b) per immigrant).
 *
 * Spikes are exogenous: the whole session list is drawn at set-up from
 * (seed, RNG_SPIKES, hash(name)), independent of the ranker and of other
 * spikes, so overlapping spikes simply superpose.  A session belongs to an
 * existing base user (uniformly drawn) or, with probability new_user_share,
 * to a new user (cold start) whose id is allocated in a block after the
 * world's current users: the caller appends spikes_new_users() users to the
 * world (world_add_users) before the run.
 *
 * The promoted show is the creator's first show that has not ended at the
 * spike's start (live or upcoming), or none.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/scenario.h"
#include "common/simtime.h"

struct world;
struct world_config;

/* [spike.NAME] sections a scenario may hold (sim_params' array). */
#define SPIKES_MAX 32

enum spike_target {
	SPIKE_CREATOR_ID,      /* "id:N": creator N */
	SPIKE_CREATOR_TOP,     /* "top:N": the N-th most popular (1 = top) */
	SPIKE_CREATOR_RANDOM,  /* "random": drawn from the spike's stream */
};

/* One [spike.NAME]: name, creator and start .. new_user_share are filled
 * from the section's keys by config_load (config/config.h, which also
 * holds the defaults; new_user_share is new_users); target, target_arg and
 * where are derived by spikes_config_check. */
struct spike_config {
	char name[64];
	char creator[SCENARIO_TEXT_MAX]; /* "id:N", "top:N" or "random", as written */
	enum spike_target target;
	uint32_t target_arg;
	simtime start;         /* since the epoch */
	double magnitude;      /* expected immigrant sessions */
	simtime half_life;     /* of the immigrant rate */
	double branching;      /* mean children per session, in [0, 1) */
	simtime child_delay;   /* mean delay of a child session */
	double new_user_share; /* share of sessions by new (cold-start) users */
	/* "PATH:LINE" of the [spike.NAME] header, for errors found only when
	 * the cascade is drawn; "" for a config made in code. */
	char where[SCENARIO_WHERE_MAX];
};

struct spikes;

/* Parse the creator selector "id:N", "top:N" or "random" into target and
 * target_arg; ERR_INPUT reads "bad value '...' for [spike.NAME] creator:
 * ..." (the caller adds where). */
int spike_config_parse_creator(struct spike_config *cfg, const char *text, struct error *err);
/* After loading the n spikes of sc (instance i is cfgs[i], file order):
 * set each one's where and target from its creator, and check it against
 * [world] (creator in range, existing users for new_users below 100 %,
 * expected cascade size) so that errors name file, line and key. */
int spikes_config_check(struct spike_config *cfgs, size_t n, const struct world_config *world,
			const struct scenario *sc, struct error *err);

/* Plan the spikes over a world (borrowed): resolve creators and promoted
 * shows and draw every session.  ERR_INPUT names the spike on a bad value. */
struct spikes *spikes_new(const struct spike_config *cfgs, size_t n, uint64_t seed,
			  const struct world *w, struct error *err);
void spikes_free(struct spikes *sp);

/* New-user slots the plan uses (ids first_new_user .. + n - 1). */
uint32_t spikes_new_users(const struct spikes *sp);
uint32_t spikes_first_new_user(const struct spikes *sp);

size_t spikes_count(const struct spikes *sp);
const char *spikes_name(const struct spikes *sp, size_t i);
uint32_t spikes_creator(const struct spikes *sp, size_t i);
uint32_t spikes_show(const struct spikes *sp, size_t i);      /* EVENT_NONE when none */
simtime spikes_start(const struct spikes *sp, size_t i);
double spikes_expected(const struct spikes *sp, size_t i);    /* magnitude / (1 - b) */
size_t spikes_sessions_of(const struct spikes *sp, size_t i); /* drawn for spike i */

/* All spikes' sessions, sorted by (time, spike, draw order). */
size_t spikes_n_sessions(const struct spikes *sp);
simtime spikes_session_time(const struct spikes *sp, size_t j);
uint32_t spikes_session_user(const struct spikes *sp, size_t j);
uint32_t spikes_session_spike(const struct spikes *sp, size_t j);

#endif
