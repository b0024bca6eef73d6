/* Derived random streams on a GSL generator type; see rng.h. */
#include "common/rng.h"

#include "common/error.h"

#include <string.h>

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t next64(uint64_t *s)
{
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

static void seed_state(uint64_t *s, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		s[i] = splitmix64(&x);
	/* xoshiro must not start from all zeros; splitmix64 of any seed never
	 * yields four zero words, but keep the invariant explicit. */
	ASSERT(s[0] | s[1] | s[2] | s[3]);
}

/* GSL generator type callbacks.  GSL's interface returns unsigned long in
 * [min, max]; we expose the top 32 bits so the range is the same on every
 * platform, and the full 53 bits through get_double. */
static void gsl_set(void *state, unsigned long seed)
{
	seed_state(state, (uint64_t)seed);
}

static unsigned long gsl_get(void *state)
{
	return (unsigned long)(next64(state) >> 32);
}

static double gsl_get_double(void *state)
{
	return (double)(next64(state) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xoshiro256_type = {
	"xoshiro256**", 0xffffffffUL, 0, sizeof(uint64_t[4]),
	gsl_set, gsl_get, gsl_get_double,
};

const gsl_rng_type *rng_type_xoshiro256 = &xoshiro256_type;

uint64_t rng_hash4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t x = a, h;

	h = splitmix64(&x);
	x = h ^ b;
	h = splitmix64(&x);
	x = h ^ c;
	h = splitmix64(&x);
	x = h ^ d;
	return splitmix64(&x);
}

void rng_init(struct rng *r, uint64_t seed, uint32_t purpose, uint64_t entity,
	      uint64_t counter)
{
	r->gsl.type = &xoshiro256_type;
	r->gsl.state = r->state;
	seed_state(r->state, rng_hash4(seed, purpose, entity, counter));
}

uint64_t rng_u64(struct rng *r)
{
	return next64(r->state);
}

double rng_uniform(struct rng *r)
{
	return (double)(next64(r->state) >> 11) * 0x1.0p-53;
}

double rng_uniform_pos(struct rng *r)
{
	double u;

	do
		u = rng_uniform(r);
	while (u == 0.0);
	return u;
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	/* Lemire's nearly divisionless method, with rejection for exactness. */
	__uint128_t m;
	uint64_t l;

	ASSERT(n > 0);
	m = (__uint128_t)next64(r->state) * n;
	l = (uint64_t)m;
	if (l < n) {
		uint64_t t = -n % n;

		while (l < t) {
			m = (__uint128_t)next64(r->state) * n;
			l = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}
