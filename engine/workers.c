/* Serverless worker pool model; see workers.h. */
#include "engine/workers.h"

#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/xalloc.h"

struct workers {
	struct workers_config cfg;
	simtime step;              /* 1 min / scale_up_per_min */
	uint32_t limit, in_use;
	simtime scale_credit_from; /* growth accrues from here while saturated */
	simtime period_start;      /* scale-down observation period */
	uint32_t period_peak;
	bool saturated;

	uint32_t *free_slots;      /* stack of free slot ids */
	uint32_t n_free;
	uint32_t *slot_env;        /* environment running in a slot */
	/* idle environments: deque, bottom = least recently used */
	uint32_t *idle_env;
	simtime *idle_since;
	uint32_t idle_bottom, n_idle;
	uint32_t *free_envs;       /* never-used or reclaimed env ids */
	uint32_t n_free_envs, n_envs;

	simtime gather_since;      /* batching window start, or SIMTIME_NEVER */
	uint64_t next_seq;
	struct workers_stats st;
};

void workers_config_init(struct workers_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 1;
}

struct workers *workers_new(const struct workers_config *cfg, struct error *err)
{
	struct workers *w;
	uint32_t n = cfg->max_concurrency;

	if (cfg->batch_size == 0 || cfg->batch_size > 10000)
		return error_set(err, ERR_INPUT, "workers: batch_size %u not in 1..10000",
				 cfg->batch_size), NULL;
	if (n == 0 || cfg->initial_concurrency == 0 || cfg->initial_concurrency > n)
		return error_set(err, ERR_INPUT,
				 "workers: need 0 < initial_concurrency (%u) <= max_concurrency (%u)",
				 cfg->initial_concurrency, n), NULL;
	if (cfg->scale_up_per_min == 0 || cfg->scale_down_after <= 0 || cfg->env_idle_ttl <= 0)
		return error_set(err, ERR_INPUT, "workers: scaling rates and periods must be positive"),
		       NULL;
	if (cfg->batch_window < 0 || cfg->cold_start < 0 || cfg->invoke_overhead < 0 ||
	    cfg->per_message < 0 || cfg->store_write < 0 || cfg->retry_base <= 0 ||
	    cfg->retry_max < cfg->retry_base || cfg->retry_attempts == 0)
		return error_set(err, ERR_INPUT, "workers: negative duration or bad retry policy"), NULL;
	if (!(cfg->failure_rate >= 0 && cfg->failure_rate <= 1))
		return error_set(err, ERR_INPUT, "workers: failure_rate %g not in [0, 1]",
				 cfg->failure_rate), NULL;
	w = xcalloc(1, sizeof(*w));
	w->cfg = *cfg;
	w->step = SIMTIME_MIN / cfg->scale_up_per_min;
	if (w->step < 1)
		w->step = 1;
	w->limit = cfg->initial_concurrency;
	w->st.peak_limit = w->limit;
	w->free_slots = xcalloc(n, sizeof(*w->free_slots));
	w->slot_env = xcalloc(n, sizeof(*w->slot_env));
	w->idle_env = xcalloc(n, sizeof(*w->idle_env));
	w->idle_since = xcalloc(n, sizeof(*w->idle_since));
	w->free_envs = xcalloc(n, sizeof(*w->free_envs));
	for (uint32_t i = 0; i < n; i++) {
		w->free_slots[i] = n - 1 - i;   /* slot 0 on top */
		w->free_envs[i] = n - 1 - i;
	}
	w->n_free = n;
	w->n_free_envs = n;
	w->gather_since = SIMTIME_NEVER;
	w->scale_credit_from = INT64_MIN;
	w->period_start = INT64_MIN;
	return w;
}

void workers_free(struct workers *w)
{
	if (!w)
		return;
	free(w->free_slots);
	free(w->slot_env);
	free(w->idle_env);
	free(w->idle_since);
	free(w->free_envs);
	free(w);
}

/* Shrink to max(peak, in use, initial) when that is below the limit. */
static void shrink_to(struct workers *w, uint32_t peak)
{
	uint32_t target = peak > w->in_use ? peak : w->in_use;

	if (target < w->cfg.initial_concurrency)
		target = w->cfg.initial_concurrency;
	if (target < w->limit) {
		w->limit = target;
		w->st.scale_downs++;
	}
}

static void scale(struct workers *w, simtime now, bool backlogged)
{
	simtime per = w->cfg.scale_down_after;

	if (w->period_start == INT64_MIN)
		w->period_start = now;
	/* Scale down: a full observation period whose peak stayed below the
	 * limit.  Later whole periods saw only the current use. */
	if (now - w->period_start >= per) {
		shrink_to(w, w->period_peak);
		w->period_start += per;
		w->period_peak = w->in_use;
		if (now - w->period_start >= per) {
			shrink_to(w, w->in_use);
			w->period_start = now - (now - w->period_start) % per;
		}
	}
	/* Scale up: credit accrues while messages wait (AWS: pollers add
	 * concurrency while the queue has messages). */
	w->saturated = backlogged && w->limit < w->cfg.max_concurrency;
	if (!w->saturated) {
		w->scale_credit_from = INT64_MIN;
		return;
	}
	if (w->scale_credit_from == INT64_MIN) {
		w->scale_credit_from = now;
		return;
	}
	if (now - w->scale_credit_from >= w->step) {
		int64_t steps = (now - w->scale_credit_from) / w->step;
		int64_t room = (int64_t)w->cfg.max_concurrency - w->limit;
		if (steps > room)
			steps = room;
		w->limit += (uint32_t)steps;
		w->scale_credit_from += steps * w->step;
		w->st.scale_ups += (uint64_t)steps;
		if (w->limit > w->st.peak_limit)
			w->st.peak_limit = w->limit;
		/* the limit rose: the current period counts as busy */
		w->period_peak = w->limit;
	}
}

uint32_t workers_free_slots(struct workers *w, simtime now, bool backlogged)
{
	scale(w, now, backlogged);
	return w->in_use < w->limit ? w->limit - w->in_use : 0;
}

uint32_t workers_take(struct workers *w, simtime now, size_t visible, simtime *wake)
{
	*wake = SIMTIME_NEVER;
	if (visible == 0) {
		w->gather_since = SIMTIME_NEVER;
		return 0;
	}
	if (visible >= w->cfg.batch_size) {
		w->gather_since = SIMTIME_NEVER;
		return w->cfg.batch_size;
	}
	if (w->cfg.batch_window == 0)
		return (uint32_t)visible;
	if (w->gather_since == SIMTIME_NEVER)
		w->gather_since = now;
	if (now >= w->gather_since + w->cfg.batch_window) {
		w->gather_since = SIMTIME_NEVER;
		return (uint32_t)visible;
	}
	*wake = w->gather_since + w->cfg.batch_window;
	return 0;
}

static void reclaim_idle(struct workers *w, simtime now)
{
	uint32_t cap = w->cfg.max_concurrency;

	while (w->n_idle > 0 && now - w->idle_since[w->idle_bottom] >= w->cfg.env_idle_ttl) {
		w->free_envs[w->n_free_envs++] = w->idle_env[w->idle_bottom];
		w->idle_bottom = (w->idle_bottom + 1) % cap;
		w->n_idle--;
		w->n_envs--;
		w->st.envs_reclaimed++;
	}
}

void workers_start(struct workers *w, simtime now, uint32_t n, struct workers_batch *out)
{
	const struct workers_config *c = &w->cfg;
	uint32_t cap = c->max_concurrency, slot, env;
	struct rng r;
	simtime d;

	ASSERT(n > 0 && w->in_use < w->limit && w->n_free > 0);
	slot = w->free_slots[--w->n_free];
	reclaim_idle(w, now);
	if (w->n_idle > 0) {
		/* most recently used: top of the deque */
		env = w->idle_env[(w->idle_bottom + w->n_idle - 1) % cap];
		w->n_idle--;
		out->cold = false;
		w->st.warm_starts++;
	} else {
		ASSERT(w->n_free_envs > 0);
		env = w->free_envs[--w->n_free_envs];
		w->n_envs++;
		if (w->n_envs > w->st.peak_envs)
			w->st.peak_envs = w->n_envs;
		out->cold = true;
		w->st.cold_starts++;
	}
	w->slot_env[slot] = env;
	w->in_use++;
	if (w->in_use > w->period_peak)
		w->period_peak = w->in_use;
	if (w->in_use > w->st.peak_in_use)
		w->st.peak_in_use = w->in_use;

	out->slot = slot;
	out->n = n;
	out->seq = w->next_seq++;
	out->start = now;
	out->fail_at = n;
	if (c->failure_rate > 0) {
		rng_init(&r, c->seed, RNG_ENGINE_WORKERS, out->seq, 0);
		if (rng_uniform(&r) < c->failure_rate) {
			out->fail_at = (uint32_t)rng_below(&r, n);
			w->st.failed_batches++;
		}
	}
	d = (out->cold ? c->cold_start : 0) + c->invoke_overhead +
	    (simtime)out->fail_at * c->per_message + (out->fail_at > 0 ? c->store_write : 0);
	out->done_at = now + d;
	w->st.batches++;
	w->st.messages += n;
}

void workers_finish(struct workers *w, uint32_t slot, simtime now)
{
	uint32_t cap = w->cfg.max_concurrency;

	ASSERT(slot < cap && w->in_use > 0);
	w->idle_env[(w->idle_bottom + w->n_idle) % cap] = w->slot_env[slot];
	w->idle_since[(w->idle_bottom + w->n_idle) % cap] = now;
	w->n_idle++;
	w->in_use--;
	w->free_slots[w->n_free++] = slot;
}

simtime workers_next_scale(const struct workers *w, bool backlogged)
{
	if (!backlogged || !w->saturated || w->scale_credit_from == INT64_MIN)
		return SIMTIME_NEVER;
	return w->scale_credit_from + w->step;
}

simtime workers_retry_delay(const struct workers *w, uint32_t attempt)
{
	simtime d = w->cfg.retry_base;

	for (uint32_t i = 1; i < attempt && d < w->cfg.retry_max; i++)
		d *= 2;
	return d < w->cfg.retry_max ? d : w->cfg.retry_max;
}

uint32_t workers_limit(const struct workers *w) { return w->limit; }
uint32_t workers_in_use(const struct workers *w) { return w->in_use; }
uint32_t workers_envs(const struct workers *w) { return w->n_envs; }
const struct workers_config *workers_config(const struct workers *w) { return &w->cfg; }
const struct workers_stats *workers_stats(const struct workers *w) { return &w->st; }
