/* The serving fleet as a queueing model; see endpoint.h. */
#include "engine/endpoint.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "common/rng.h"
#include "common/xalloc.h"

enum inst_state { INST_FREE = 0, INST_WARMING, INST_READY, INST_DRAINING };

/* One instance slot's variability state (see endpoint.h, Variability). */
struct inst_var {
	uint64_t launch;
	simtime ready;                /* serves from */
	bool cold;                    /* launched during the run (not initial) */
	double speed;
	uint64_t pause_k;
	simtime pause_at, pause_end;
};

enum req_state {
	REQ_FREE = 0,
	REQ_QUEUED,
	REQ_SERVING,
};

/* Calendar args carry the request index; the top bit marks the client
 * deadline of a request in service (its slot is released separately). */
#define ARG_CLIENT_DEADLINE (UINT64_C(1) << 63)

struct endpoint {
	struct endpoint_config cfg;
	struct calendar *cal;
	simtime start, end;
	uint64_t seed;
	endpoint_done_fn done;
	void *done_ctx;

	/* instances, indexed 0..max_instances-1 */
	uint8_t *inst_state;
	uint32_t *inst_busy;
	uint32_t n_warming, n_ready, n_draining;
	/* variability, per instance slot: the launch it holds (its streams),
	 * when that launch serves from, whether it starts cold, its speed,
	 * and its current pause k: [pause_at, pause_end) */
	struct inst_var *var;
	uint64_t launches;
	/* Free capacity as a max tournament tree: leaf tree_leaves + i holds
	 * instance i's key (see inst_key()), each inner node the larger of its
	 * two children, so the instance a request starts on is found by one
	 * walk from the root and a change costs one walk to it: O(log
	 * instances) instead of a scan of the fleet. */
	uint32_t *tree;               /* [2 * tree_leaves] */
	uint32_t tree_leaves;         /* power of two >= max_instances */

	/* request pool (struct of arrays) with a free list */
	uint64_t *req_id;
	simtime *req_submit, *req_start, *req_service;
	simtime *req_rtt;             /* network_rtt + this answer's jitter */
	uint32_t *req_inst;
	uint8_t *req_state;
	calendar_handle *req_timer;   /* queue timeout while queued */
	uint32_t *req_next_free;
	size_t req_cap;
	uint32_t free_head;           /* UINT32_MAX = empty */

	/* FIFO of request indices (ring) */
	uint32_t *queue;
	size_t q_head, q_len;

	/* scaler */
	uint64_t invocations;         /* this metric period */
	simtime last_out, last_in;    /* SIMTIME_NEVER-ish: INT64_MIN / 2 when never */

	/* accounting */
	simtime billed_since;
	struct endpoint_stats st;
	struct hist latency;
	struct series *s_latency, *s_requests, *s_errors, *s_instances, *s_serving;
};

static const char *const status_names[ENDPOINT_STATUS_COUNT] = {
	"ok", "timeout", "rejected", "no_capacity",
};
static const char *const service_names[] = { "cost", "exponential", "lognormal", "constant" };

const char *endpoint_status_name(enum endpoint_status s)
{
	return (unsigned)s < ENDPOINT_STATUS_COUNT ? status_names[s] : "unknown";
}

const char *endpoint_service_name(enum endpoint_service s)
{
	return (unsigned)s <= ENDPOINT_SERVICE_CONSTANT ? service_names[s] : "unknown";
}

static int check_config(const struct endpoint_config *c, simtime start, simtime end,
			struct error *err)
{
	if (end <= start)
		return error_set(err, ERR_INPUT, "endpoint: run end must be after its start");
	if (c->max_instances == 0 || c->max_instances > 100000)
		return error_set(err, ERR_INPUT, "endpoint: max_instances %u out of range [1, 100000]",
				 c->max_instances);
	if (c->min_instances > c->max_instances)
		return error_set(err, ERR_INPUT, "endpoint: min_instances %u exceeds max_instances %u",
				 c->min_instances, c->max_instances);
	if (c->initial_instances < c->min_instances || c->initial_instances > c->max_instances)
		return error_set(err, ERR_INPUT,
				 "endpoint: initial_instances %u outside [min_instances %u, max_instances %u]",
				 c->initial_instances, c->min_instances, c->max_instances);
	if (c->concurrency == 0)
		return error_set(err, ERR_INPUT, "endpoint: concurrency must be >= 1");
	if (c->timeout <= 0 || c->network_rtt < 0 || c->network_rtt >= c->timeout)
		return error_set(err, ERR_INPUT,
				 "endpoint: need timeout > network_rtt >= 0 (timeout %lld us, network_rtt %lld us)",
				 (long long)c->timeout, (long long)c->network_rtt);
	if (c->autoscale && (c->target_invocations <= 0 || c->metric_period <= 0))
		return error_set(err, ERR_INPUT,
				 "endpoint: target_invocations and metric_period must be > 0");
	if (c->scale_out_cooldown < 0 || c->scale_in_cooldown < 0 || c->warmup < 0)
		return error_set(err, ERR_INPUT, "endpoint: cooldowns and warmup must be >= 0");
	if ((unsigned)c->service > ENDPOINT_SERVICE_CONSTANT)
		return error_set(err, ERR_INPUT, "endpoint: unknown service mode %d", (int)c->service);
	if (c->service != ENDPOINT_SERVICE_COST && c->service_mean <= 0)
		return error_set(err, ERR_INPUT, "endpoint: service_mean must be > 0");
	if (c->service == ENDPOINT_SERVICE_LOGNORMAL && !(c->service_cv > 0))
		return error_set(err, ERR_INPUT, "endpoint: service_cv must be > 0 for lognormal");
	if (c->variability && (!(c->cost_cv >= 0) || !(c->speed_cv >= 0) ||
			       !(c->cold_factor >= 1) || c->cold_period <= 0 ||
			       c->network_jitter < 0 || !(c->pause_rate >= 0) ||
			       (c->pause_rate > 0 && c->pause_mean <= 0)))
		return error_set(err, ERR_INPUT, "endpoint: variability needs cost_cv, speed_cv, "
				 "network_jitter and pause_rate >= 0, cold_factor >= 1, cold_period "
				 "and pause_mean > 0");
	if (c->cost_base_ns < 0 || c->cost_candidate_ns < 0 || c->cost_feature_ns < 0 ||
	    c->cost_node_ns < 0 || c->cost_call_ns < 0)
		return error_set(err, ERR_INPUT, "endpoint: cost model terms must be >= 0");
	return 0;
}

/* ---- accounting ---- */

static uint32_t billed(const struct endpoint *ep)
{
	return ep->n_warming + ep->n_ready + ep->n_draining;
}

static bool in_run(const struct endpoint *ep, simtime t)
{
	return t >= ep->start && t < ep->end;
}

/* Close the billing interval before the instance count changes. */
static void bill(struct endpoint *ep, simtime now)
{
	if (now > ep->billed_since) {
		ep->st.instance_hours += (double)billed(ep) * (double)(now - ep->billed_since) /
					 (double)SIMTIME_HOUR;
		ep->billed_since = now;
	}
}

/* After the instance count changed. */
static void gauge(struct endpoint *ep, simtime now)
{
	uint32_t b = billed(ep);

	ep->st.instances = b;
	ep->st.serving = ep->n_ready;
	if (b > ep->st.peak_instances)
		ep->st.peak_instances = b;
	if (in_run(ep, now)) {
		series_gauge(ep->s_instances, now, b);
		series_gauge(ep->s_serving, now, ep->n_ready);
	}
}

static void finish(struct endpoint *ep, uint32_t r, enum endpoint_status status,
		   simtime latency, simtime now)
{
	struct endpoint_outcome o = {
		.request_id = ep->req_id[r],
		.status = status,
		.submitted = ep->req_submit[r],
		.latency = latency,
		.wait = ep->req_state[r] == REQ_SERVING ? ep->req_start[r] - ep->req_submit[r] : 0,
		.service = ep->req_state[r] == REQ_SERVING ? ep->req_service[r] : 0,
	};

	ep->st.by_status[status]++;
	if (status == ENDPOINT_OK || status == ENDPOINT_TIMEOUT) {
		hist_record(&ep->latency, latency);
		if (in_run(ep, now))
			series_record(ep->s_latency, now, latency);
	}
	if (status != ENDPOINT_OK && in_run(ep, now))
		series_count(ep->s_errors, now, 1);
	if (ep->done)
		ep->done(ep->done_ctx, &o, now);
}

/* ---- request pool ---- */

static uint32_t req_alloc(struct endpoint *ep)
{
	uint32_t r;

	if (ep->free_head == UINT32_MAX) {
		size_t old = ep->req_cap, cap = old ? old * 2 : 256;

		ASSERT(cap < UINT32_MAX);
		ep->req_id = xreallocarray(ep->req_id, cap, sizeof(*ep->req_id));
		ep->req_submit = xreallocarray(ep->req_submit, cap, sizeof(*ep->req_submit));
		ep->req_start = xreallocarray(ep->req_start, cap, sizeof(*ep->req_start));
		ep->req_service = xreallocarray(ep->req_service, cap, sizeof(*ep->req_service));
		ep->req_rtt = xreallocarray(ep->req_rtt, cap, sizeof(*ep->req_rtt));
		ep->req_inst = xreallocarray(ep->req_inst, cap, sizeof(*ep->req_inst));
		ep->req_state = xreallocarray(ep->req_state, cap, sizeof(*ep->req_state));
		ep->req_timer = xreallocarray(ep->req_timer, cap, sizeof(*ep->req_timer));
		ep->req_next_free = xreallocarray(ep->req_next_free, cap, sizeof(*ep->req_next_free));
		/* push new slots so that the lowest index is handed out first */
		for (size_t i = cap; i-- > old;) {
			ep->req_state[i] = REQ_FREE;
			ep->req_next_free[i] = ep->free_head;
			ep->free_head = (uint32_t)i;
		}
		ep->req_cap = cap;
	}
	r = ep->free_head;
	ep->free_head = ep->req_next_free[r];
	return r;
}

static void req_release(struct endpoint *ep, uint32_t r)
{
	ep->req_state[r] = REQ_FREE;
	ep->req_next_free[r] = ep->free_head;
	ep->free_head = r;
}

/* ---- service ---- */

simtime endpoint_cost_time(const struct endpoint_config *c, const struct rank_cost *k)
{
	double ns = c->cost_base_ns + c->cost_candidate_ns * k->candidates +
		    c->cost_feature_ns * (double)k->features_read +
		    c->cost_node_ns * (double)k->nodes_visited + c->cost_call_ns * k->source_calls;
	simtime us = (simtime)ceil(ns / 1000.0);

	return us > 0 ? us : 1;
}

/* A lognormal draw of mean 1 and coefficient of variation cv. */
static double lognormal_unit(struct rng *g, double cv)
{
	double s2 = log1p(cv * cv);

	return gsl_ran_lognormal(rng_gsl(g), -s2 / 2, sqrt(s2));
}

/* Service time of request `id`: its own stream, so the draw does not depend
 * on the order requests are served in. */
static simtime draw_service(const struct endpoint *ep, uint64_t id, const struct rank_cost *cost)
{
	const struct endpoint_config *c = &ep->cfg;
	struct rng g;
	double mean = (double)c->service_mean, x;

	switch (c->service) {
	case ENDPOINT_SERVICE_COST:
		if (!c->variability || c->cost_cv <= 0)
			return endpoint_cost_time(c, cost);
		rng_init(&g, ep->seed, RNG_ENGINE_ENDPOINT, id, 0);
		x = (double)endpoint_cost_time(c, cost) * lognormal_unit(&g, c->cost_cv);
		break;
	case ENDPOINT_SERVICE_CONSTANT:
		return c->service_mean;
	case ENDPOINT_SERVICE_EXPONENTIAL:
		rng_init(&g, ep->seed, RNG_ENGINE_ENDPOINT, id, 0);
		x = gsl_ran_exponential(rng_gsl(&g), mean);
		break;
	default: { /* lognormal with the given mean and coefficient of variation */
		double s2 = log1p(c->service_cv * c->service_cv);

		rng_init(&g, ep->seed, RNG_ENGINE_ENDPOINT, id, 0);
		x = gsl_ran_lognormal(rng_gsl(&g), log(mean) - s2 / 2, sqrt(s2));
		break;
	}
	}
	/* round to the nearest microsecond, at least one */
	return x < 1.0 ? 1 : (simtime)llround(x);
}

/* The answer's network time of request `id`: network_rtt plus its jitter. */
static simtime draw_rtt(const struct endpoint *ep, uint64_t id)
{
	struct rng g;

	if (!ep->cfg.variability || ep->cfg.network_jitter <= 0)
		return ep->cfg.network_rtt;
	rng_init(&g, ep->seed, RNG_ENDPOINT_JITTER, id, 0);
	return ep->cfg.network_rtt -
	       (simtime)llround(log(rng_uniform_pos(&g)) * (double)ep->cfg.network_jitter);
}

/* ---- instance variability ---- */

/* Pause k of the launch in v, after the previous one ended at `after`. */
static void pause_draw(const struct endpoint *ep, const struct inst_var *v, uint64_t k,
		       simtime after, simtime *at, simtime *end)
{
	struct rng g;
	double gap = 3600e6 / ep->cfg.pause_rate;

	rng_init(&g, ep->seed, RNG_ENDPOINT_PAUSE, v->launch, k + 1);
	*at = after + (simtime)llround(-log(rng_uniform_pos(&g)) * gap);
	*end = *at + 1 + (simtime)llround(-log(rng_uniform_pos(&g)) * (double)ep->cfg.pause_mean);
}

/* Slot i now holds a new launch serving from `ready` (cold unless it is
 * the initial fleet). */
static void launch(struct endpoint *ep, uint32_t i, simtime ready, bool cold)
{
	struct inst_var *v = &ep->var[i];
	struct rng g;

	v->launch = ep->launches++;
	v->ready = ready;
	v->cold = cold;
	v->speed = 1;
	v->pause_k = 0;
	v->pause_at = v->pause_end = SIMTIME_NEVER;
	if (!ep->cfg.variability)
		return;
	if (ep->cfg.speed_cv > 0) {
		rng_init(&g, ep->seed, RNG_ENDPOINT_PAUSE, v->launch, 0);
		v->speed = lognormal_unit(&g, ep->cfg.speed_cv);
	}
	if (ep->cfg.pause_rate > 0)
		pause_draw(ep, v, 0, ready, &v->pause_at, &v->pause_end);
}

/* The time a request of base service `base` starting now on instance i
 * takes there: slower on a slow or cold instance, stopped by pauses. */
static simtime instance_service(struct endpoint *ep, uint32_t i, simtime base, simtime now)
{
	const struct endpoint_config *c = &ep->cfg;
	struct inst_var *v = &ep->var[i];
	double work;
	simtime t, at, end;
	uint64_t k;

	if (!c->variability)
		return base;
	work = (double)base / v->speed;
	if (v->cold && c->cold_factor > 1 && now >= v->ready)
		work *= 1 + (c->cold_factor - 1) * exp(-(double)(now - v->ready) /
						    (double)c->cold_period);
	if (c->pause_rate <= 0)
		return work < 1 ? 1 : (simtime)llround(work);
	/* starts never go back on one instance: pauses over by now are done */
	while (v->pause_end <= now) {
		v->pause_k++;
		pause_draw(ep, v, v->pause_k, v->pause_end, &v->pause_at, &v->pause_end);
	}
	/* walk the pauses the request meets, without consuming them */
	t = now;
	k = v->pause_k;
	at = v->pause_at;
	end = v->pause_end;
	for (;;) {
		if (t < at && (double)(at - t) >= work)
			break;                  /* done before the next pause */
		if (t < at)
			work -= (double)(at - t);
		t = end;                        /* stopped until the pause ends */
		k++;
		pause_draw(ep, v, k, end, &at, &end);
	}
	t += (simtime)llround(work);
	return t - now > 0 ? t - now : 1;
}

/* ---- free capacity ---- */

/* An instance's key in the tree: 0 unless ready, else 1 + its free slots,
 * so a ready instance with no free slot (1) still ranks above any other. */
static uint32_t inst_key(const struct endpoint *ep, uint32_t i)
{
	if (ep->inst_state[i] != INST_READY)
		return 0;
	return 1 + ep->cfg.concurrency - ep->inst_busy[i];
}

/* Instance i's state or busy count changed: refresh its path to the root. */
static void inst_changed(struct endpoint *ep, uint32_t i)
{
	uint32_t n = ep->tree_leaves + i;

	ep->tree[n] = inst_key(ep, i);
	for (n /= 2; n; n /= 2) {
		uint32_t l = ep->tree[2 * n], r = ep->tree[2 * n + 1];

		ep->tree[n] = l >= r ? l : r;
	}
}

/* The instance with the largest key, lowest index on ties (highest with
 * `highest`), if that key is at least `min_key`; else -1.  Going down the
 * side that holds the root's key finds the first (last) leaf holding it. */
static long tree_best(const struct endpoint *ep, uint32_t min_key, bool highest)
{
	uint32_t n = 1, best = ep->tree[1];

	if (best < min_key)
		return -1;
	while (n < ep->tree_leaves) {
		n *= 2;
		if (highest ? ep->tree[n + 1] == best : ep->tree[n] != best)
			n++;
	}
	return (long)(n - ep->tree_leaves);
}

/* Ready instance with the most free slots (lowest index on ties), or -1. */
static long pick_instance(const struct endpoint *ep)
{
	return tree_best(ep, 2, false);
}

static void on_complete(void *ctx, uint64_t arg, simtime now);
static void on_queue_timeout(void *ctx, uint64_t arg, simtime now);

static void start_service(struct endpoint *ep, uint32_t r, uint32_t inst, simtime now)
{
	simtime latency;

	ep->inst_busy[inst]++;
	inst_changed(ep, inst);
	ep->req_inst[r] = inst;
	ep->req_start[r] = now;
	ep->req_state[r] = REQ_SERVING;
	ep->req_service[r] = instance_service(ep, inst, ep->req_service[r], now);
	ep->st.started++;
	ep->st.wait_sum_us += (double)(now - ep->req_submit[r]);
	calendar_schedule(ep->cal, now + ep->req_service[r], on_complete, ep, r);
	latency = now + ep->req_service[r] - ep->req_submit[r] + ep->req_rtt[r];
	if (latency > ep->cfg.timeout) {
		/* (with jitter, a request started late may be past it already) */
		simtime deadline = ep->req_submit[r] + ep->cfg.timeout - ep->req_rtt[r];

		calendar_schedule(ep->cal, deadline > now ? deadline : now, on_complete, ep,
				  r | ARG_CLIENT_DEADLINE);
	}
}

/* Start queued requests while a ready instance has a free slot. */
static void drain_queue(struct endpoint *ep, simtime now)
{
	while (ep->q_len) {
		long inst = pick_instance(ep);
		uint32_t r;

		if (inst < 0)
			return;
		r = ep->queue[ep->q_head];
		ep->q_head = (ep->q_head + 1) % ep->cfg.queue_capacity;
		ep->q_len--;
		calendar_cancel(ep->cal, ep->req_timer[r]);
		start_service(ep, r, (uint32_t)inst, now);
	}
}

static void retire_if_idle(struct endpoint *ep, uint32_t inst, simtime now)
{
	if (ep->inst_state[inst] == INST_DRAINING && ep->inst_busy[inst] == 0) {
		bill(ep, now);
		ep->inst_state[inst] = INST_FREE;
		ep->n_draining--;
		inst_changed(ep, inst);
		gauge(ep, now);
	}
}

static void on_complete(void *ctx, uint64_t arg, simtime now)
{
	struct endpoint *ep = ctx;
	uint32_t r = (uint32_t)(arg & ~ARG_CLIENT_DEADLINE);
	simtime latency = now - ep->req_submit[r] + ep->req_rtt[r];
	uint32_t inst = ep->req_inst[r];

	if (arg & ARG_CLIENT_DEADLINE) {
		/* the client gives up; the instance keeps working on it */
		finish(ep, r, ENDPOINT_TIMEOUT, ep->cfg.timeout, now);
		return;
	}
	if (latency <= ep->cfg.timeout)
		finish(ep, r, ENDPOINT_OK, latency, now);
	ep->inst_busy[inst]--;
	inst_changed(ep, inst);
	req_release(ep, r);
	retire_if_idle(ep, inst, now);
	drain_queue(ep, now);
}

static void on_queue_timeout(void *ctx, uint64_t arg, simtime now)
{
	struct endpoint *ep = ctx;
	uint32_t r = (uint32_t)arg;

	/* Every request has the same deadline offset, so the queue's head is
	 * always the first to expire. */
	ASSERT(ep->q_len && ep->queue[ep->q_head] == r);
	ep->q_head = (ep->q_head + 1) % ep->cfg.queue_capacity;
	ep->q_len--;
	finish(ep, r, ENDPOINT_TIMEOUT, ep->cfg.timeout, now);
	req_release(ep, r);
}

void endpoint_submit(struct endpoint *ep, uint64_t request_id, const struct rank_cost *cost)
{
	simtime now = calendar_now(ep->cal);
	uint32_t r = req_alloc(ep);
	long inst;

	ASSERT(ep->cfg.service != ENDPOINT_SERVICE_COST || cost);
	ep->req_id[r] = request_id;
	ep->req_submit[r] = now;
	ep->req_start[r] = now;
	ep->req_service[r] = draw_service(ep, request_id, cost);
	ep->req_rtt[r] = draw_rtt(ep, request_id);
	ep->req_state[r] = REQ_QUEUED;
	ep->st.submitted++;
	ep->invocations++;
	if (in_run(ep, now))
		series_count(ep->s_requests, now, 1);

	if (ep->n_ready + ep->n_warming == 0) {
		ep->req_state[r] = REQ_FREE;
		finish(ep, r, ENDPOINT_NO_CAPACITY, ep->req_rtt[r], now);
		req_release(ep, r);
		return;
	}
	inst = ep->q_len ? -1 : pick_instance(ep);
	if (inst >= 0) {
		start_service(ep, r, (uint32_t)inst, now);
		return;
	}
	if (ep->q_len >= ep->cfg.queue_capacity) {
		ep->req_state[r] = REQ_FREE;
		finish(ep, r, ENDPOINT_REJECTED, ep->req_rtt[r], now);
		req_release(ep, r);
		return;
	}
	ep->queue[(ep->q_head + ep->q_len) % ep->cfg.queue_capacity] = r;
	ep->q_len++;
	ep->req_timer[r] = calendar_schedule(ep->cal, now + ep->cfg.timeout - ep->cfg.network_rtt,
					     on_queue_timeout, ep, r);
}

/* ---- instances and scaling ---- */

static void on_warm(void *ctx, uint64_t arg, simtime now)
{
	struct endpoint *ep = ctx;
	uint32_t i = (uint32_t)arg;

	if (ep->inst_state[i] != INST_WARMING)
		return;  /* removed while warming */
	bill(ep, now);
	ep->inst_state[i] = INST_READY;
	ep->n_warming--;
	ep->n_ready++;
	inst_changed(ep, i);
	gauge(ep, now);
	drain_queue(ep, now);
}

/* Start `n` instances, serving after `delay`. */
static void add_instances(struct endpoint *ep, uint32_t n, simtime delay, simtime now)
{
	bill(ep, now);
	for (uint32_t i = 0; i < ep->cfg.max_instances && n; i++) {
		if (ep->inst_state[i] != INST_FREE)
			continue;
		ep->inst_busy[i] = 0;
		launch(ep, i, now + delay, now > ep->start);
		if (delay == 0) {
			ep->inst_state[i] = INST_READY;
			ep->n_ready++;
		} else {
			ep->inst_state[i] = INST_WARMING;
			ep->n_warming++;
			calendar_schedule(ep->cal, now + delay, on_warm, ep, i);
		}
		inst_changed(ep, i);
		n--;
	}
	gauge(ep, now);
}

/* Remove `n` instances: warming ones first, then the least busy ready ones
 * (highest index on ties); busy ones drain. */
static void remove_instances(struct endpoint *ep, uint32_t n, simtime now)
{
	bill(ep, now);
	for (uint32_t i = ep->cfg.max_instances; i-- > 0 && n;) {
		if (ep->inst_state[i] == INST_WARMING) {
			ep->inst_state[i] = INST_FREE;
			ep->n_warming--;
			n--;
		}
	}
	while (n) {
		/* least busy = most free slots; warming ones are gone already */
		long best = tree_best(ep, 1, true);

		if (best < 0)
			break;
		ep->n_ready--;
		if (ep->inst_busy[best] == 0) {
			ep->inst_state[best] = INST_FREE;
		} else {
			ep->inst_state[best] = INST_DRAINING;
			ep->n_draining++;
		}
		inst_changed(ep, (uint32_t)best);
		n--;
	}
	gauge(ep, now);
}

static void on_metric(void *ctx, uint64_t arg, simtime now)
{
	struct endpoint *ep = ctx;
	const struct endpoint_config *c = &ep->cfg;
	double per_min = (double)ep->invocations * (double)SIMTIME_MIN / (double)c->metric_period;
	double want = ceil(per_min / c->target_invocations - 1e-9);
	uint32_t current = ep->n_ready + ep->n_warming, desired;

	(void)arg;
	ep->invocations = 0;
	if (want < c->min_instances)
		want = c->min_instances;
	if (want > c->max_instances)
		want = c->max_instances;
	desired = (uint32_t)want;
	if (desired > current && now - ep->last_out >= c->scale_out_cooldown) {
		add_instances(ep, desired - current, c->warmup, now);
		ep->last_out = now;
		ep->st.scale_outs++;
	} else if (desired < current && now - ep->last_out >= c->scale_out_cooldown &&
		   now - ep->last_in >= c->scale_in_cooldown) {
		remove_instances(ep, current - desired, now);
		ep->last_in = now;
		ep->st.scale_ins++;
	}
	gauge(ep, now);
	if (now + c->metric_period < ep->end)
		calendar_schedule(ep->cal, now + c->metric_period, on_metric, ep, 0);
}

/* ---- life cycle and outputs ---- */

struct endpoint *endpoint_new(const struct endpoint_config *cfg, struct calendar *cal,
			      simtime start, simtime end, uint64_t seed, endpoint_done_fn done,
			      void *done_ctx, struct error *err)
{
	struct endpoint *ep;
	size_t minutes;
	int64_t highest;

	if (check_config(cfg, start, end, err))
		return NULL;
	ep = xcalloc(1, sizeof(*ep));
	ep->cfg = *cfg;
	ep->cal = cal;
	ep->start = start;
	ep->end = end;
	ep->seed = seed;
	ep->done = done;
	ep->done_ctx = done_ctx;
	ep->inst_state = xcalloc(cfg->max_instances, sizeof(*ep->inst_state));
	ep->inst_busy = xcalloc(cfg->max_instances, sizeof(*ep->inst_busy));
	ep->var = xcalloc(cfg->max_instances, sizeof(*ep->var));
	ep->tree_leaves = 1;
	while (ep->tree_leaves < cfg->max_instances)
		ep->tree_leaves *= 2;
	ep->tree = xcalloc(2 * (size_t)ep->tree_leaves, sizeof(*ep->tree));
	ep->queue = xcalloc(cfg->queue_capacity ? cfg->queue_capacity : 1, sizeof(*ep->queue));
	ep->free_head = UINT32_MAX;
	/* "never scaled": far enough in the past for any cooldown */
	ep->last_out = ep->last_in = INT64_MIN / 4;
	ep->billed_since = start;
	minutes = (size_t)((end - start + SIMTIME_MIN - 1) / SIMTIME_MIN);
	highest = cfg->timeout * 2 > 60 * SIMTIME_S ? cfg->timeout * 2 : 60 * SIMTIME_S;
	if (hist_init(&ep->latency, highest, 3, err))
		goto out_free;
	ep->s_latency = series_new("endpoint latency (us)", start, SIMTIME_MIN, minutes, highest,
				   2, err);
	ep->s_requests = series_new("endpoint requests", start, SIMTIME_MIN, minutes, 0, 0, err);
	ep->s_errors = series_new("endpoint errors", start, SIMTIME_MIN, minutes, 0, 0, err);
	ep->s_instances = series_new("endpoint instances", start, SIMTIME_MIN, minutes, 0, 0, err);
	ep->s_serving = series_new("endpoint instances serving", start, SIMTIME_MIN, minutes, 0, 0,
				   err);
	if (!ep->s_latency || !ep->s_requests || !ep->s_errors || !ep->s_instances ||
	    !ep->s_serving)
		goto out_free;
	/* the initial fleet is warm at the start of the run */
	add_instances(ep, cfg->initial_instances, 0, start);
	if (cfg->autoscale && start + cfg->metric_period < end)
		calendar_schedule(cal, start + cfg->metric_period, on_metric, ep, 0);
	return ep;

out_free:
	endpoint_free(ep);
	return NULL;
}

void endpoint_free(struct endpoint *ep)
{
	if (!ep)
		return;
	free(ep->inst_state);
	free(ep->inst_busy);
	free(ep->var);
	free(ep->tree);
	free(ep->req_id);
	free(ep->req_submit);
	free(ep->req_start);
	free(ep->req_service);
	free(ep->req_rtt);
	free(ep->req_inst);
	free(ep->req_state);
	free(ep->req_timer);
	free(ep->req_next_free);
	free(ep->queue);
	if (ep->latency.counts)
		hist_release(&ep->latency);
	series_free(ep->s_latency);
	series_free(ep->s_requests);
	series_free(ep->s_errors);
	series_free(ep->s_instances);
	series_free(ep->s_serving);
	free(ep);
}

void endpoint_flush(struct endpoint *ep, simtime now)
{
	bill(ep, now);
}

const struct endpoint_stats *endpoint_stats(const struct endpoint *ep)
{
	return &ep->st;
}

double endpoint_availability(const struct endpoint *ep)
{
	if (!ep->st.submitted)
		return 1.0;
	return (double)ep->st.by_status[ENDPOINT_OK] / (double)ep->st.submitted;
}

const struct hist *endpoint_latency(const struct endpoint *ep)
{
	return &ep->latency;
}

const struct series *endpoint_series_latency(const struct endpoint *ep)
{
	return ep->s_latency;
}

const struct series *endpoint_series_requests(const struct endpoint *ep)
{
	return ep->s_requests;
}

const struct series *endpoint_series_errors(const struct endpoint *ep)
{
	return ep->s_errors;
}

const struct series *endpoint_series_instances(const struct endpoint *ep)
{
	return ep->s_instances;
}

const struct series *endpoint_series_serving(const struct endpoint *ep)
{
	return ep->s_serving;
}

size_t endpoint_queue_length(const struct endpoint *ep)
{
	return ep->q_len;
}
