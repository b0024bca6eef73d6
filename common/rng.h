#ifndef AIRTIME_RNG_H
#define AIRTIME_RNG_H
/*
 * Random number streams derived from (master seed, purpose, entity, counter).
 *
 * Every consumer of randomness names what it draws for (a purpose) and for
 * whom (an entity id, e.g. a user), and optionally which occurrence (a
 * counter, e.g. the user's k-th session).  The stream's seed is a hash of
 * the four, so an entity's draws depend neither on other entities nor on the
 * order in which entities are visited: adding users does not move existing
 * users' draws, and changing the ranker does not move arrivals (common
 * random numbers across arms).
 *
 * Streams are GSL generators (gsl_rng), so every gsl_ran_* variate works on
 * them.  The generator is xoshiro256** registered as a GSL generator type:
 * 256 bits of state seeded from 64-bit hashes (GSL's small generators take
 * 32-bit seeds, which would collide among a million users' streams).
 *
 * A `struct rng` is caller-owned storage: rng_init() re-seeds it in place,
 * in about 20 ns, so hot paths re-derive a stream per entity without
 * allocating.
 */
#include <stdint.h>

#include <gsl/gsl_rng.h>

/* Purposes: one per independent source of randomness.  Append only: the
 * numeric values are part of what makes a seed reproduce a run. */
enum rng_purpose {
	RNG_WORLD_TOPICS = 1,
	RNG_WORLD_CREATORS,
	RNG_WORLD_SHOWS,
	RNG_WORLD_USERS,
	RNG_ARRIVALS,
	RNG_SPIKES,
	RNG_BEHAVIOUR,
	RNG_FAULTS,
	RNG_ASSIGNMENT,
	RNG_ENGINE_QUEUE,
	RNG_ENGINE_WORKERS,
	RNG_ENGINE_ENDPOINT,
	RNG_ENGINE_BATCH,
	RNG_FOREST,
	RNG_RANKER,
	RNG_EXPLORATION,
	RNG_NOTIFICATIONS,
	RNG_BUS,
	RNG_FIREHOSE,
	RNG_STATS,
	RNG_VALIDITY,       /* eval/validity: replay pages, randomised PIT */
	RNG_LISTEN_BUDGET,  /* sim/behaviour: daily listening budget per (user, day) */
	RNG_LOGGING,        /* engine/policy: a stochastic logging policy's page, per (session, time) */
	RNG_LOGGING_MC,     /* engine/policy: Monte Carlo position marginals, per (session, time) */
	RNG_BANDIT_LOG,     /* eval/banditlog: which sessions' pages are logged */
	RNG_OPE,            /* eval/ope: cross-fitting folds and the reward model */
	RNG_TEST = 1000,
};

struct rng {
	gsl_rng gsl;          /* what gsl_ran_* functions take: &r->gsl */
	uint64_t state[4];    /* the xoshiro256** state gsl.state points to */
};

/* The GSL generator type (usable with gsl_rng_alloc too). */
extern const gsl_rng_type *rng_type_xoshiro256;

/* (Re-)seed `r` as the stream (seed, purpose, entity, counter). */
void rng_init(struct rng *r, uint64_t seed, uint32_t purpose, uint64_t entity,
	      uint64_t counter);

/* The generator to hand to gsl_ran_* functions. */
static inline gsl_rng *rng_gsl(struct rng *r) { return &r->gsl; }

/* Raw 64-bit output. */
uint64_t rng_u64(struct rng *r);
/* Uniform double in [0, 1). */
double rng_uniform(struct rng *r);
/* Uniform double in (0, 1): safe for log(). */
double rng_uniform_pos(struct rng *r);
/* Uniform integer in [0, n), unbiased; n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);

/* A well-mixed 64-bit hash of up to four words (splitmix64 finaliser chain);
 * also used for salted A/B assignment. */
uint64_t rng_hash4(uint64_t a, uint64_t b, uint64_t c, uint64_t d);

#endif
