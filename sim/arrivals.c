/* App sessions by thinning a daily/weekly rate; see arrivals.h. */
#include "sim/arrivals.h"

#include "common/radix.h"
#include "common/rng.h"
#include "common/xalloc.h"
#include "sim/world.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A day's session is packed as (microsecond of the day << 27 | user): the
 * day has < 2^37 microseconds and the world < 2^27 users, so one 64-bit sort
 * orders by (time, user). */
#define USER_BITS 27
#define USER_MASK ((UINT64_C(1) << USER_BITS) - 1)

struct arrivals {
	struct arrivals_config cfg;
	uint64_t seed;
	const struct world *w;
	int64_t day;
	size_t n, cap;
	uint64_t *keys;
	struct radix radix;       /* sort scratch, kept across days */
};

int arrivals_weekday_of_date(int64_t days)
{
	/* 1970-01-01 was a Thursday (3 with Monday = 0). */
	int64_t w = (days + 3) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

/* Rate in sessions per hour at local hours-since-epoch `lh`. */
static inline double rate_local(const struct arrivals_config *c, double base, double lh)
{
	double ld = floor(lh / 24.0), h = lh - 24.0 * ld;
	int64_t wd = ((int64_t)ld + c->epoch_weekday) % 7;
	double r = base * (1 + c->daily_amplitude * cos(2 * M_PI * (h - c->peak_hour) / 24.0));

	if (wd < 0)
		wd += 7;
	return wd >= 5 ? r * c->weekend_factor : r;
}

double arrivals_rate(const struct arrivals_config *cfg, double activity, int32_t offset_min,
		     simtime t)
{
	double lh = (double)t / (double)SIMTIME_HOUR + offset_min / 60.0;

	return rate_local(cfg, cfg->sessions_per_day / 24.0 * activity, lh);
}

size_t arrivals_user_day(const struct arrivals_config *cfg, uint64_t seed, uint32_t user,
			 double activity, int32_t offset_min, int64_t day, simtime *out,
			 size_t cap)
{
	double base = cfg->sessions_per_day / 24.0 * activity;
	double lmax = base * (1 + cfg->daily_amplitude) *
		      (cfg->weekend_factor > 1 ? cfg->weekend_factor : 1);
	double lh0 = (double)day * 24.0 + offset_min / 60.0, t = 0;
	size_t n = 0;
	struct rng r;

	if (!(lmax > 0))
		return 0;
	rng_init(&r, seed, RNG_ARRIVALS, user, (uint64_t)day);
	/* Thinning (Lewis & Shedler): candidates at the constant rate lmax,
	 * each kept with probability lambda(t) / lmax. */
	for (;;) {
		t -= log(rng_uniform_pos(&r)) / lmax;
		if (t >= 24.0)
			break;
		if (rng_uniform(&r) * lmax < rate_local(cfg, base, lh0 + t)) {
			simtime at = (simtime)(t * (double)SIMTIME_HOUR);

			if (n < cap)
				out[n] = day * SIMTIME_DAY + (at < SIMTIME_DAY ? at : SIMTIME_DAY - 1);
			n++;
		}
	}
	return n;
}

struct arrivals *arrivals_new(const struct arrivals_config *cfg, uint64_t seed,
			      const struct world *w, struct error *err)
{
	struct arrivals *a;

	if (!(cfg->sessions_per_day >= 0) || !(cfg->daily_amplitude >= 0 && cfg->daily_amplitude < 1) ||
	    !(cfg->weekend_factor >= 0) || !(cfg->peak_hour >= 0 && cfg->peak_hour <= 24) ||
	    cfg->epoch_weekday < 0 || cfg->epoch_weekday > 6)
		return error_set(err, ERR_INPUT,
				 "[traffic] needs sessions_per_day >= 0, daily_amplitude in [0, 1), "
				 "weekend_factor >= 0 and peak_hour in [0, 24]"), NULL;
	a = xcalloc(1, sizeof(*a));
	a->cfg = *cfg;
	a->seed = seed;
	a->w = w;
	a->day = -1;
	radix_init(&a->radix);
	return a;
}

void arrivals_free(struct arrivals *a)
{
	if (!a)
		return;
	free(a->keys);
	radix_release(&a->radix);
	free(a);
}

size_t arrivals_generate_day(struct arrivals *a, int64_t day)
{
	uint32_t nu = world_n_base_users(a->w);
	simtime buf[256];

	a->n = 0;
	a->day = day;
	for (uint32_t u = 0; u < nu; u++) {
		size_t k = arrivals_user_day(&a->cfg, a->seed, u, world_user_activity(a->w, u),
					     world_user_utc_offset_min(a->w, u), day, buf, 256);

		if (k > 256) {
			/* Rare (an extremely active user): regenerate into a big enough buffer. */
			simtime *big = xcalloc(k, sizeof(*big));

			arrivals_user_day(&a->cfg, a->seed, u, world_user_activity(a->w, u),
					  world_user_utc_offset_min(a->w, u), day, big, k);
			XGROW(a->keys, a->n + k, a->cap);
			for (size_t i = 0; i < k; i++)
				a->keys[a->n++] = (uint64_t)(big[i] - day * SIMTIME_DAY) << USER_BITS | u;
			free(big);
			continue;
		}
		XGROW(a->keys, a->n + k, a->cap);
		for (size_t i = 0; i < k; i++)
			a->keys[a->n++] = (uint64_t)(buf[i] - day * SIMTIME_DAY) << USER_BITS | u;
	}
	radix_sort_u64(a->keys, a->n, &a->radix);
	return a->n;
}

size_t arrivals_count(const struct arrivals *a)
{
	return a->n;
}

simtime arrivals_time(const struct arrivals *a, size_t i)
{
	ASSERT(i < a->n);
	return a->day * SIMTIME_DAY + (simtime)(a->keys[i] >> USER_BITS);
}

uint32_t arrivals_user(const struct arrivals *a, size_t i)
{
	ASSERT(i < a->n);
	return (uint32_t)(a->keys[i] & USER_MASK);
}
