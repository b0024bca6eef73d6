#ifndef AIRTIME_ENDPOINT_H
#define AIRTIME_ENDPOINT_H
/*
 * The serving fleet as a queueing model driven by the event calendar.
 *
 * Model.  A load balancer holds one FIFO queue (at most queue_capacity
 * waiting requests) in front of a fleet of instances, each serving up to
 * `concurrency` requests at once; a request is started on the ready
 * instance with the most free slots (ties: lowest index), found in
 * O(log instances) (a tournament tree of free slots, not a scan).  With a fixed
 * fleet of I instances this is the M/G/c queue with c = I x concurrency
 * (M/M/c with exponential service: tests/test_endpoint.c checks Erlang C).
 * Concurrency slots are independent servers: a busy instance does not slow
 * its other requests down (no processor sharing).
 *
 * Timing of one request, as the client sees it:
 *     latency = network_rtt (+ jitter) + queue wait + service time
 * The client gives up at `timeout`.  A request still queued when its
 * latency would exceed the timeout is dropped from the queue then
 * (ENDPOINT_TIMEOUT); one already in service whose answer would come too
 * late is reported as a timeout at the client's deadline, while its
 * instance keeps working until the service ends (as a real server would).
 * Requests find the queue full -> ENDPOINT_REJECTED; no instance ready or
 * warming -> ENDPOINT_NO_CAPACITY; both answered at once with latency =
 * network_rtt.
 *
 * Service time: from the cost of the real work (struct rank_cost: base +
 * per candidate + per feature read + per tree node + per store call), or
 * drawn from a fixed distribution (exponential / lognormal / constant, mean
 * service_mean) from a stream per request (seed, RNG_ENGINE_ENDPOINT,
 * request id): the same request gets the same time whatever else happens.
 *
 * Variability (variability = true, the default; false gives the model
 * above exactly, as the Erlang C test needs).  What makes a real tail:
 *   - cost mode: the cost-model time times a lognormal factor of mean 1 and
 *     coefficient of variation cost_cv, from the request's stream (the same
 *     work does not take the same time twice: caches, allocator, CPU);
 *   - each instance launch gets a speed factor (lognormal, mean 1, CV
 *     speed_cv) from (seed, RNG_ENDPOINT_PAUSE, launch): service times are
 *     divided by it (hosts differ);
 *   - a launched instance is cold: a request starting at age a (from the
 *     moment it serves) takes 1 + (cold_factor - 1) exp(-a / cold_period)
 *     times longer (JIT, caches, connection pools); the initial fleet is
 *     warm;
 *   - pauses: each launch has a Poisson process of pauses (pause_rate per
 *     hour from the moment it serves, exponential lengths of mean
 *     pause_mean, drawn from (seed, RNG_ENDPOINT_PAUSE, launch, k)); a
 *     request in service when a pause starts stops for its length, and one
 *     starting during a pause waits for its end (stop-the-world GC, a
 *     noisy neighbour);
 *   - the answer's way back takes an extra exponential delay of mean
 *     network_jitter, from (seed, RNG_ENDPOINT_JITTER, request id); the
 *     load balancer still drops queued requests at submit + timeout -
 *     network_rtt, so the queue expires in order.
 * All of it depends on the request id, the launch count and the times
 * only: the same scenario and seed give the same latencies.
 *
 * Autoscaling: target tracking on invocations per instance per minute.
 * Every metric_period the scaler computes desired = ceil(invocations per
 * minute / target), clamped to [min_instances, max_instances], and compares
 * it with the instances in service or warming up.  Scale-out adds the
 * difference at once (new instances serve after `warmup`) unless a
 * scale-out happened less than scale_out_cooldown ago; scale-in removes the
 * difference unless a scale-out or scale-in happened less than the
 * respective cooldown ago (no flapping right after growing).  Removed
 * instances drain: they take no new request and leave when idle.  Warming,
 * serving and draining instances are all billed (instance-hours).
 *
 * Outputs: latency histogram (microseconds; answered requests and timeouts,
 * the latter at the timeout value, so a saturated fleet cannot look fast),
 * per-minute series (latency with percentiles, requests, errors, instances),
 * counts by outcome, availability, instance-hours.
 *
 * Memory: request records come from a pool that grows by doubling up to the
 * run's peak of requests in flight, then never allocates.  The calendar and
 * the done callback's context are borrowed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/calendar.h"
#include "common/error.h"
#include "common/hist.h"
#include "common/series.h"
#include "common/simtime.h"
#include "engine/rank.h"

struct scenario;

/* Values are the indexes of [endpoint] service's choices
 * ("cost|exponential|lognormal|constant"): keep both in the same order. */
enum endpoint_service {
	ENDPOINT_SERVICE_COST = 0,     /* from struct rank_cost */
	ENDPOINT_SERVICE_EXPONENTIAL,
	ENDPOINT_SERVICE_LOGNORMAL,
	ENDPOINT_SERVICE_CONSTANT,
};

enum endpoint_status {
	ENDPOINT_OK = 0,
	ENDPOINT_TIMEOUT,
	ENDPOINT_REJECTED,       /* queue full */
	ENDPOINT_NO_CAPACITY,    /* no instance serving or warming */
	ENDPOINT_STATUS_COUNT
};

/* [endpoint] scenario section: every field is filled from the key of its
 * name by config_load (config/config.h, which also holds the defaults). */
struct endpoint_config {
	uint32_t min_instances;        /* autoscaling bounds */
	uint32_t max_instances;
	uint32_t initial_instances;    /* warm at the start */
	uint32_t concurrency;          /* per instance */
	uint32_t queue_capacity;       /* waiting requests */
	simtime timeout;               /* client timeout */
	simtime network_rtt;           /* round trip added to every request */
	bool autoscale;
	double target_invocations;     /* per instance per minute */
	simtime metric_period;         /* scaler evaluation period */
	simtime scale_out_cooldown;
	simtime scale_in_cooldown;
	simtime warmup;                /* new instance serves after */
	enum endpoint_service service;
	simtime service_mean;          /* distributions' mean */
	double service_cv;             /* lognormal coefficient of variation */
	/* cost model, nanoseconds */
	double cost_base_ns;           /* per request */
	double cost_candidate_ns;      /* per candidate */
	double cost_feature_ns;        /* per feature value read */
	double cost_node_ns;           /* per tree node visited */
	double cost_call_ns;           /* per feature-store round trip */
	/* variability (see "Variability" above); all ignored when off */
	bool variability;
	double cost_cv;                /* lognormal factor on the cost-model time */
	double speed_cv;               /* per-launch speed factor */
	double cold_factor;            /* slowdown of a fresh instance, decaying */
	simtime cold_period;
	simtime network_jitter;        /* mean exponential extra on the way back */
	double pause_rate;             /* per instance per hour */
	simtime pause_mean;            /* exponential */
};

/* What happened to one request, handed to the done callback. */
struct endpoint_outcome {
	uint64_t request_id;
	enum endpoint_status status;
	simtime submitted;       /* calendar time of endpoint_submit */
	simtime latency;         /* client-observed; = timeout for timeouts */
	simtime wait;            /* time queued (0 if never started) */
	simtime service;         /* service time drawn or costed (0 if never started) */
};

/* Called once per request, at the time its outcome is known to the client. */
typedef void (*endpoint_done_fn)(void *ctx, const struct endpoint_outcome *o, simtime now);

struct endpoint_stats {
	uint64_t submitted;
	uint64_t by_status[ENDPOINT_STATUS_COUNT];
	uint64_t started;             /* requests that reached an instance */
	double wait_sum_us;           /* over started requests */
	uint64_t scale_outs, scale_ins;
	uint32_t instances;           /* billed now (warming + serving + draining) */
	uint32_t serving;             /* ready now */
	uint32_t peak_instances;
	double instance_hours;        /* up to the last endpoint_flush() */
};

struct endpoint;

/* After loading from sc (engine/endpoint_config.c): ERR_INPUT naming file,
 * line and keys (scenario_where) when min, initial and max instances
 * disagree or network_rtt is not below timeout. */
int endpoint_config_check(const struct endpoint_config *cfg, const struct scenario *sc,
			  struct error *err);
/* Name of a status ("timeout") and of a service mode ("lognormal"). */
const char *endpoint_status_name(enum endpoint_status s);
const char *endpoint_service_name(enum endpoint_service s);

/* A fleet for the run [start, end) on `cal` (series cover that span; the
 * scaler stops at `end`).  ERR_INPUT on an inconsistent config, naming the
 * key. */
struct endpoint *endpoint_new(const struct endpoint_config *cfg, struct calendar *cal,
			      simtime start, simtime end, uint64_t seed, endpoint_done_fn done,
			      void *done_ctx, struct error *err);
void endpoint_free(struct endpoint *ep);

/* A request arrives now (calendar time).  cost is required in cost mode and
 * ignored otherwise.  request_id must be unique in the run (it seeds the
 * service-time draw).  The outcome comes through the done callback, maybe
 * before this returns (rejections). */
void endpoint_submit(struct endpoint *ep, uint64_t request_id, const struct rank_cost *cost);

/* Service time the cost model gives for `cost`. */
simtime endpoint_cost_time(const struct endpoint_config *cfg, const struct rank_cost *cost);

/* Bring instance-hours up to `now` (call at the end of a run). */
void endpoint_flush(struct endpoint *ep, simtime now);

const struct endpoint_stats *endpoint_stats(const struct endpoint *ep);
/* Share of submitted requests answered OK within the timeout (1 when none). */
double endpoint_availability(const struct endpoint *ep);
/* Client latency histogram (us) over the run. */
const struct hist *endpoint_latency(const struct endpoint *ep);
/* Per-minute series: latency (with percentiles), requests, errors, instances
 * (gauge: billed), serving (gauge: ready). */
const struct series *endpoint_series_latency(const struct endpoint *ep);
const struct series *endpoint_series_requests(const struct endpoint *ep);
const struct series *endpoint_series_errors(const struct endpoint *ep);
const struct series *endpoint_series_instances(const struct endpoint *ep);
const struct series *endpoint_series_serving(const struct endpoint *ep);
/* Waiting requests now. */
size_t endpoint_queue_length(const struct endpoint *ep);

#endif
