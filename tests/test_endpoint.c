/* Tests for engine/endpoint.c: the queueing model against Erlang C
 * (variability off), autoscaling under a step in load, timeouts and other
 * errors, and the variability model (tail, cold instances, pauses). */
#include "engine/endpoint.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "common/calendar.h"
#include "common/scenario.h"
#include "tests/scenfile.h"
#include "common/rng.h"

#include "tests/check_main.h"
#include "tests/defaults.h"

/* ---- a Poisson load generator on the calendar ---- */

struct load {
	struct calendar *cal;
	struct endpoint *ep;
	struct rng rng;
	double rate_per_s;       /* current arrival rate */
	simtime until;           /* no arrivals from here on */
	uint64_t next_id;
	/* outcomes, by request id (ids are 0..n-1) */
	simtime *wait;
	uint8_t *status;
	size_t cap;
	uint64_t done;
};

static void on_done(void *ctx, const struct endpoint_outcome *o, simtime now)
{
	struct load *l = ctx;

	(void)now;
	ck_assert_uint_lt(o->request_id, l->cap);
	l->wait[o->request_id] = o->wait;
	l->status[o->request_id] = (uint8_t)o->status;
	l->done++;
}

static void on_arrival(void *ctx, uint64_t arg, simtime now)
{
	struct load *l = ctx;
	double gap_s;

	(void)arg;
	if (now >= l->until || l->next_id >= l->cap)
		return;
	endpoint_submit(l->ep, l->next_id++, NULL);
	gap_s = gsl_ran_exponential(rng_gsl(&l->rng), 1.0 / l->rate_per_s);
	calendar_schedule(l->cal, now + 1 + (simtime)(gap_s * 1e6), on_arrival, l, 0);
}

static void load_init(struct load *l, struct calendar *cal, struct endpoint *ep, double rate,
		      simtime until, size_t cap, uint64_t seed)
{
	memset(l, 0, sizeof(*l));
	l->cal = cal;
	l->ep = ep;
	l->rate_per_s = rate;
	l->until = until;
	l->cap = cap;
	l->wait = calloc(cap, sizeof(*l->wait));
	l->status = calloc(cap, sizeof(*l->status));
	rng_init(&l->rng, seed, RNG_TEST, 1, 0);
	calendar_schedule(cal, calendar_now(cal), on_arrival, l, 0);
}

static void load_release(struct load *l)
{
	free(l->wait);
	free(l->status);
}

static struct endpoint_config fixed_fleet(uint32_t instances, uint32_t concurrency)
{
	struct endpoint_config c;

	c = test_defaults()->endpoint;
	c.autoscale = false;
	c.min_instances = c.initial_instances = c.max_instances = instances;
	c.concurrency = concurrency;
	c.queue_capacity = 1000000;
	c.timeout = 3600 * SIMTIME_S;
	c.network_rtt = 0;
	c.service = ENDPOINT_SERVICE_EXPONENTIAL;
	c.variability = false;     /* the M/G/c model of the theory below */
	return c;
}

/* Erlang C for c servers at offered load a = lambda / mu (< c):
 *   C(c, a) = (a^c / c!) / (1 - rho) / (sum_{k<c} a^k / k! + (a^c / c!) / (1 - rho)),
 *   rho = a / c; mean wait Wq = C(c, a) / (c mu - lambda). */
static double erlang_c(int c, double a)
{
	double term = 1, sum = 0, rho = a / c, top;

	for (int k = 0; k < c; k++) {
		sum += term;
		term *= a / (k + 1);
	}
	top = term / (1 - rho);   /* term = a^c / c! */
	return top / (sum + top);
}

/* M/M/4: 2 instances x concurrency 2, mean service 10 ms (mu = 100/s),
 * lambda = 320/s, so a = 3.2, rho = 0.8, C = 0.5964, Wq = C / 80 s = 7.46 ms.
 *
 * Estimator: requests in submission order after a warm-up of 20,000 are cut
 * into B = 20 batches of equal size; the batch means of the wait are close
 * to independent and normal when a batch spans many relaxation times (a
 * batch here is ~15,000 requests, ~47 s; the queue relaxes in well under a
 * second at rho = 0.8).  The 99.9 % confidence interval is
 * mean +- t(0.9995, 19) s / sqrt(B), t = 3.883; Wq must lie inside it.
 * The same batches bound P(wait > 0) around C. */
START_TEST(mmc_mean_wait_matches_erlang_c)
{
	enum { N = 320000, WARM = 20000, B = 20 };
	const double lambda = 320, mu = 100;
	const int c = 4;
	double wq = erlang_c(c, lambda / mu) / (c * mu - lambda) * 1e6; /* us */
	double pw = erlang_c(c, lambda / mu);
	struct endpoint_config cfg = fixed_fleet(2, 2);
	struct calendar *cal = calendar_new(0, 1024);
	struct endpoint *ep;
	struct load l;
	struct error err;
	double bm[B], bp[B], mean = 0, var = 0, pmean = 0, pvar = 0;
	size_t per = (N - WARM) / B;

	cfg.service_mean = 10 * SIMTIME_MS;
	ep = endpoint_new(&cfg, cal, 0, 2 * SIMTIME_HOUR, 7, on_done, &l, &err);
	ck_assert_msg(ep != NULL, "%s", err.msg);
	load_init(&l, cal, ep, lambda, 2 * SIMTIME_HOUR, N, 7);
	calendar_run_until(cal, 2 * SIMTIME_HOUR);
	ck_assert_uint_eq(l.done, N);
	ck_assert_uint_eq(endpoint_stats(ep)->by_status[ENDPOINT_OK], N);
	for (int b = 0; b < B; b++) {
		double s = 0, p = 0;

		for (size_t i = 0; i < per; i++) {
			simtime w = l.wait[WARM + b * per + i];

			s += (double)w;
			p += w > 0;
		}
		bm[b] = s / per;
		bp[b] = p / per;
		mean += bm[b] / B;
		pmean += bp[b] / B;
	}
	for (int b = 0; b < B; b++) {
		var += (bm[b] - mean) * (bm[b] - mean) / (B - 1);
		pvar += (bp[b] - pmean) * (bp[b] - pmean) / (B - 1);
	}
	ck_assert_msg(fabs(mean - wq) < 3.883 * sqrt(var / B),
		      "mean wait %.1f us, Erlang C %.1f us, half-width %.1f", mean, wq,
		      3.883 * sqrt(var / B));
	ck_assert_msg(fabs(pmean - pw) < 3.883 * sqrt(pvar / B),
		      "P(wait) %.4f, Erlang C %.4f", pmean, pw);
	ck_assert_double_eq(endpoint_availability(ep), 1.0);
	endpoint_free(ep);
	calendar_free(cal);
	load_release(&l);
}
END_TEST

/* Same seed and config: every request gets the same outcome. */
START_TEST(same_seed_same_outcomes)
{
	enum { N = 20000 };
	simtime *first = calloc(N, sizeof(*first));
	struct error err;

	for (int run = 0; run < 2; run++) {
		struct endpoint_config cfg = fixed_fleet(1, 3);
		struct calendar *cal = calendar_new(0, 1024);
		struct endpoint *ep;
		struct load l;

		cfg.service = ENDPOINT_SERVICE_LOGNORMAL;
		cfg.service_cv = 2.0;
		ep = endpoint_new(&cfg, cal, 0, SIMTIME_HOUR, 3, on_done, &l, &err);
		ck_assert_ptr_nonnull(ep);
		load_init(&l, cal, ep, 200, SIMTIME_HOUR, N, 3);
		calendar_run_until(cal, SIMTIME_HOUR);
		for (int i = 0; i < N; i++) {
			if (run == 0)
				first[i] = l.wait[i];
			else
				ck_assert_int_eq(first[i], l.wait[i]);
		}
		endpoint_free(ep);
		calendar_free(cal);
		load_release(&l);
	}
	free(first);
}
END_TEST

/* A step in load.  Instances: concurrency 1, exponential service of mean
 * 50 ms (20/s each), target 600 invocations per instance per minute (half
 * utilisation), warm-up 2 min, cooldowns 300 s, min 2, max 20.  Rates are
 * chosen so that invocations per minute / 600 sits mid-way between two
 * integers: a Poisson count of 3300 +- 57 or 8100 +- 90 rounds up the same
 * way with overwhelming probability, and the seed is fixed.
 *   0-30 min   10/s  -> desired 1 -> stays at min 2
 *   30-33 min  55/s  -> desired ceil(5.5) = 6: scale-out at the 31 min
 *                       evaluation; new instances serve from 33 min
 *   33-60 min 135/s  -> desired ceil(13.5) = 14, but the scale-out cooldown
 *                       holds the fleet at 6 (120/s < 135/s: overload)
 *                       until the 36 min evaluation; the new instances
 *                       serve from 38 min: 14 x 20/s at rho = 0.48
 *   60-80 min  10/s  -> scale-in back to min once cooldowns have passed
 * Latency recovers: from 45 min to 60 min no request times out and the p99
 * stays below 400 ms (M/M/14 at rho = 0.48 hardly queues; the exponential
 * service's p99 is 50 ms x ln 100 = 230 ms; + 10 ms RTT). */
START_TEST(step_in_load_scales_out_after_cooldown_and_recovers)
{
	enum { CAP = 400000 };
	struct endpoint_config cfg;
	struct calendar *cal = calendar_new(0, 1024);
	struct endpoint *ep;
	const struct series *inst, *lat, *errs;
	struct load l;
	struct error err;
	uint64_t errors_overload = 0;

	cfg = test_defaults()->endpoint;
	cfg.variability = false;
	cfg.min_instances = cfg.initial_instances = 2;
	cfg.max_instances = 20;
	cfg.concurrency = 1;
	cfg.target_invocations = 600;
	cfg.timeout = 2 * SIMTIME_S;
	cfg.service = ENDPOINT_SERVICE_EXPONENTIAL;
	cfg.service_mean = 50 * SIMTIME_MS;
	cfg.queue_capacity = 5000;
	ep = endpoint_new(&cfg, cal, 0, 80 * SIMTIME_MIN, 5, on_done, &l, &err);
	ck_assert_msg(ep != NULL, "%s", err.msg);
	load_init(&l, cal, ep, 10, 80 * SIMTIME_MIN, CAP, 5);
	calendar_run_until(cal, 30 * SIMTIME_MIN);
	ck_assert_uint_eq(endpoint_stats(ep)->instances, 2);
	ck_assert_uint_eq(endpoint_stats(ep)->scale_outs, 0);
	l.rate_per_s = 55;
	calendar_run_until(cal, 33 * SIMTIME_MIN);
	ck_assert_uint_eq(endpoint_stats(ep)->scale_outs, 1);
	ck_assert_uint_eq(endpoint_stats(ep)->instances, 6);
	l.rate_per_s = 135;
	calendar_run_until(cal, 35 * SIMTIME_MIN + 30 * SIMTIME_S);
	ck_assert_uint_eq(endpoint_stats(ep)->instances, 6);      /* cooldown */
	calendar_run_until(cal, 36 * SIMTIME_MIN + 30 * SIMTIME_S);
	ck_assert_uint_eq(endpoint_stats(ep)->scale_outs, 2);
	ck_assert_uint_eq(endpoint_stats(ep)->instances, 14);
	ck_assert_uint_eq(endpoint_stats(ep)->serving, 6);        /* still warming */
	calendar_run_until(cal, 38 * SIMTIME_MIN + 30 * SIMTIME_S);
	ck_assert_uint_eq(endpoint_stats(ep)->serving, 14);
	calendar_run_until(cal, 60 * SIMTIME_MIN);
	l.rate_per_s = 10;
	calendar_run_until(cal, 80 * SIMTIME_MIN);
	endpoint_flush(ep, 80 * SIMTIME_MIN);

	inst = endpoint_series_instances(ep);
	lat = endpoint_series_latency(ep);
	errs = endpoint_series_errors(ep);
	ck_assert_int_eq(series_bucket_max(inst, 40), 14);
	for (size_t m = 33; m < 39; m++)
		errors_overload += series_bucket_count(errs, m);
	for (size_t m = 45; m < 60; m++) {
		ck_assert_uint_eq(series_bucket_count(errs, m), 0);
		ck_assert_int_lt(series_bucket_quantile(lat, m, 0.99), 400 * SIMTIME_MS);
	}
	/* the overload (135/s on 120/s of capacity from 33 to 38 min) queues
	 * requests up to the timeout */
	ck_assert_int_ge(series_bucket_quantile(lat, 37, 0.99), SIMTIME_S);
	ck_assert_uint_gt(errors_overload, 0);
	/* back to the minimum after the load drops and the cooldowns pass */
	ck_assert_uint_eq(endpoint_stats(ep)->instances, 2);
	ck_assert_uint_ge(endpoint_stats(ep)->scale_ins, 1);
	ck_assert_uint_eq(endpoint_stats(ep)->peak_instances, 14);
	/* billed: 2 instances all along, 4 more from 31 min and 8 more from
	 * 36 min until the scale-in at 61 min at the earliest */
	ck_assert_double_gt(endpoint_stats(ep)->instance_hours,
			    (2 * 80 + 4 * 30 + 8 * 25) / 60.0 - 1e-9);
	ck_assert_double_lt(endpoint_stats(ep)->instance_hours, 20 * 80 / 60.0);
	endpoint_free(ep);
	calendar_free(cal);
	load_release(&l);
}
END_TEST

struct recorder {
	struct endpoint_outcome o[16];
	simtime at[16];
	size_t n;
};

static void record(void *ctx, const struct endpoint_outcome *o, simtime now)
{
	struct recorder *r = ctx;

	ck_assert_uint_lt(r->n, 16);
	r->o[r->n] = *o;
	r->at[r->n++] = now;
}

static void submit_at(void *ctx, uint64_t arg, simtime now)
{
	(void)now;
	endpoint_submit(ctx, arg, NULL);
}

/* One instance, concurrency 1, constant 500 ms service, timeout 1 s, RTT
 * 100 ms, queue of 2; four requests at t = 0:
 *   #0 served 0-0.5 s: latency 0.6 s, OK
 *   #1 served 0.5-1.0 s: latency 1.1 s > 1 s: timeout at the client's
 *      deadline 0.9 s (the instance still works until 1.0 s)
 *   #2 queued; still waiting at 0.9 s: timeout
 *   #3 finds the queue full: rejected at once
 * #4 at 1.2 s is served at once: OK, 0.6 s. */
START_TEST(timeouts_and_rejections_counted)
{
	struct endpoint_config cfg = fixed_fleet(1, 1);
	struct calendar *cal = calendar_new(0, 64);
	struct recorder rec = { .n = 0 };
	struct endpoint *ep;
	const struct endpoint_stats *st;
	struct error err;

	cfg.service = ENDPOINT_SERVICE_CONSTANT;
	cfg.service_mean = 500 * SIMTIME_MS;
	cfg.timeout = SIMTIME_S;
	cfg.network_rtt = 100 * SIMTIME_MS;
	cfg.queue_capacity = 2;
	ep = endpoint_new(&cfg, cal, 0, SIMTIME_MIN, 1, record, &rec, &err);
	ck_assert_ptr_nonnull(ep);
	for (uint64_t i = 0; i < 4; i++)
		endpoint_submit(ep, i, NULL);
	calendar_schedule(cal, 1200 * SIMTIME_MS, submit_at, ep, 4);
	calendar_run_until(cal, SIMTIME_MIN - 1);
	ck_assert_uint_eq(rec.n, 5);
	ck_assert_uint_eq(rec.o[0].request_id, 3);
	ck_assert_int_eq(rec.o[0].status, ENDPOINT_REJECTED);
	ck_assert_uint_eq(rec.o[1].request_id, 0);
	ck_assert_int_eq(rec.o[1].status, ENDPOINT_OK);
	ck_assert_int_eq(rec.o[1].latency, 600 * SIMTIME_MS);
	ck_assert_int_eq(rec.at[1], 500 * SIMTIME_MS);
	/* #1 (in service) and #2 (queued) both time out at 0.9 s; #2's queue
	 * deadline was scheduled at 0 s, #1's client deadline at 0.5 s when it
	 * started, so the calendar reports #2 first. */
	ck_assert_uint_eq(rec.o[2].request_id, 2);
	ck_assert_int_eq(rec.o[2].status, ENDPOINT_TIMEOUT);
	ck_assert_int_eq(rec.at[2], 900 * SIMTIME_MS);
	ck_assert_uint_eq(rec.o[3].request_id, 1);
	ck_assert_int_eq(rec.o[3].status, ENDPOINT_TIMEOUT);
	ck_assert_int_eq(rec.o[3].latency, SIMTIME_S);
	ck_assert_int_eq(rec.o[3].wait, 500 * SIMTIME_MS);
	ck_assert_uint_eq(rec.o[4].request_id, 4);
	ck_assert_int_eq(rec.o[4].status, ENDPOINT_OK);
	ck_assert_int_eq(rec.o[4].latency, 600 * SIMTIME_MS);
	st = endpoint_stats(ep);
	ck_assert_uint_eq(st->submitted, 5);
	ck_assert_uint_eq(st->by_status[ENDPOINT_OK], 2);
	ck_assert_uint_eq(st->by_status[ENDPOINT_TIMEOUT], 2);
	ck_assert_uint_eq(st->by_status[ENDPOINT_REJECTED], 1);
	ck_assert_double_eq_tol(endpoint_availability(ep), 0.4, 1e-12);
	/* OK and timed-out requests are in the latency histogram */
	ck_assert_uint_eq(hist_count(endpoint_latency(ep)), 4);
	ck_assert_uint_eq(series_bucket_count(endpoint_series_errors(ep), 0), 3);
	endpoint_free(ep);
	calendar_free(cal);
}
END_TEST

START_TEST(no_instance_means_no_capacity)
{
	struct endpoint_config cfg = fixed_fleet(1, 1);
	struct calendar *cal = calendar_new(0, 64);
	struct recorder rec = { .n = 0 };
	struct endpoint *ep;
	struct error err;

	cfg.min_instances = cfg.initial_instances = 0;
	ep = endpoint_new(&cfg, cal, 0, SIMTIME_MIN, 1, record, &rec, &err);
	ck_assert_ptr_nonnull(ep);
	endpoint_submit(ep, 1, NULL);
	ck_assert_uint_eq(rec.n, 1);
	ck_assert_int_eq(rec.o[0].status, ENDPOINT_NO_CAPACITY);
	ck_assert_uint_eq(endpoint_stats(ep)->by_status[ENDPOINT_NO_CAPACITY], 1);
	ck_assert_str_eq(endpoint_status_name(ENDPOINT_NO_CAPACITY), "no_capacity");
	endpoint_free(ep);
	calendar_free(cal);
}
END_TEST

/* Cost mode: the service time is the cost model of the work done. */
START_TEST(cost_model_service_time)
{
	struct endpoint_config cfg = fixed_fleet(1, 1);
	struct calendar *cal = calendar_new(0, 64);
	struct recorder rec = { .n = 0 };
	struct rank_cost cost = { .candidates = 1000, .scored = 1000, .features_read = 30000,
				  .source_calls = 4, .trees = 100, .nodes_visited = 1000000 };
	struct endpoint *ep;
	struct error err;
	simtime want;

	cfg.service = ENDPOINT_SERVICE_COST;
	cfg.network_rtt = 5 * SIMTIME_MS;
	/* 2 ms + 1000 x 500 ns + 30000 x 20 ns + 1e6 x 2 ns + 4 x 1 ms = 9.1 ms */
	want = 9100;
	ck_assert_int_eq(endpoint_cost_time(&cfg, &cost), want);
	ep = endpoint_new(&cfg, cal, 0, SIMTIME_MIN, 1, record, &rec, &err);
	ck_assert_ptr_nonnull(ep);
	endpoint_submit(ep, 1, &cost);
	calendar_run_until(cal, SIMTIME_S);
	ck_assert_uint_eq(rec.n, 1);
	ck_assert_int_eq(rec.o[0].service, want);
	ck_assert_int_eq(rec.o[0].latency, want + 5 * SIMTIME_MS);
	endpoint_free(ep);
	calendar_free(cal);
}
END_TEST

/* Which instance a request starts on (most free slots, lowest index on
 * ties) and which one a scale-in drains (least busy, highest index on
 * ties), seen through the billed count: 3 instances x 2 slots take A..D at
 * t = 0 (A, D on 0; B on 1; C on 2); scaling in to 2 at t = 1 s drains
 * instance 2 (busy 1, like instance 1, but higher), which leaves when C
 * ends at 30 s, not when B ends at 20 s.  Then with 1000 instances the
 * same rules hold at the far end of the fleet. */
static struct rank_cost seconds_of_work(uint32_t s)
{
	/* cost_candidate_ns = 1 ms: 1000 candidates a second */
	return (struct rank_cost){ .candidates = 1000 * s, .scored = 1000 * s };
}

START_TEST(start_and_drain_pick_by_free_slots_then_index)
{
	struct endpoint_config cfg = fixed_fleet(3, 2);
	struct calendar *cal = calendar_new(0, 64);
	struct recorder rec = { .n = 0 };
	struct rank_cost cost;
	struct endpoint *ep;
	struct error err;
	static const uint32_t work[] = { 10, 20, 30, 40 };

	cfg.service = ENDPOINT_SERVICE_COST;
	cfg.cost_base_ns = cfg.cost_feature_ns = cfg.cost_node_ns = cfg.cost_call_ns = 0;
	cfg.cost_candidate_ns = 1e6;
	cfg.autoscale = true;
	cfg.min_instances = 2;
	cfg.target_invocations = 1e9;
	cfg.metric_period = SIMTIME_S;
	cfg.scale_in_cooldown = cfg.scale_out_cooldown = 0;
	ep = endpoint_new(&cfg, cal, 0, SIMTIME_HOUR, 1, record, &rec, &err);
	ck_assert_ptr_nonnull(ep);
	for (size_t i = 0; i < 4; i++) {
		cost = seconds_of_work(work[i]);
		endpoint_submit(ep, i, &cost);
	}
	calendar_run_until(cal, 2 * SIMTIME_S);
	ck_assert_uint_eq(endpoint_stats(ep)->serving, 2);
	ck_assert_uint_eq(endpoint_stats(ep)->instances, 3);
	calendar_run_until(cal, 25 * SIMTIME_S);
	ck_assert_uint_eq(endpoint_stats(ep)->instances, 3);   /* B ended; 2 still drains */
	calendar_run_until(cal, 35 * SIMTIME_S);
	ck_assert_uint_eq(endpoint_stats(ep)->instances, 2);
	endpoint_free(ep);
	calendar_free(cal);

	/* 1000 instances x 1 slot: requests fill 0, 1, 2, ... in order; the
	 * scale-in to 998 drains the two highest busy ones of equal load. */
	cfg.max_instances = cfg.initial_instances = 1000;
	cfg.min_instances = 998;
	cfg.concurrency = 1;
	cal = calendar_new(0, 4096);
	ep = endpoint_new(&cfg, cal, 0, SIMTIME_HOUR, 1, NULL, NULL, &err);
	ck_assert_ptr_nonnull(ep);
	for (uint32_t i = 0; i < 1000; i++) {
		cost = seconds_of_work(i == 999 ? 50 : i == 998 ? 60 : 10);
		endpoint_submit(ep, 100 + i, &cost);
	}
	cost = seconds_of_work(10);
	endpoint_submit(ep, 2000, &cost);   /* queued: every slot is busy */
	ck_assert_uint_eq(endpoint_queue_length(ep), 1);
	calendar_run_until(cal, calendar_now(cal) + 2 * SIMTIME_S);
	ck_assert_uint_eq(endpoint_stats(ep)->serving, 998);
	/* the 998 others end at 10 s, the queued one then runs for 10 s */
	calendar_run_until(cal, calendar_now(cal) + 50 * SIMTIME_S);
	ck_assert_uint_eq(endpoint_stats(ep)->instances, 999);   /* 999 ended at ~45 s */
	calendar_run_until(cal, calendar_now(cal) + 20 * SIMTIME_S);
	ck_assert_uint_eq(endpoint_stats(ep)->instances, 998);
	ck_assert_uint_eq(endpoint_stats(ep)->by_status[ENDPOINT_OK], 1001);
	endpoint_free(ep);
	calendar_free(cal);
}
END_TEST

/* The rules between [endpoint] keys name file, line and keys. */
static void expect_endpoint_error(const char *text, int line, const char *what)
{
	struct config cfg;
	struct scenfile f;
	struct error err;

	scenfile_load(&f, text, NULL, 0);
	ck_assert_int_eq(config_load(&cfg, f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, line, what);
	scenfile_release(&f);
}

START_TEST(load_errors_name_file_line_and_key)
{
	expect_endpoint_error("[endpoint]\nmax_instances = 4\nmin_instances = 6\n"
			      "initial_instances = 6\n", 3,
			      "value '6' out of range for [endpoint] min_instances: must be at most "
			      "[endpoint] max_instances = 4");
	expect_endpoint_error("[endpoint]\nmin_instances = 2\ninitial_instances = 1\n", 3,
			      "value '1' out of range for [endpoint] initial_instances: must be at "
			      "least [endpoint] min_instances = 2");
	expect_endpoint_error("[endpoint]\nmax_instances = 1\n", 2,
			      "value '1' out of range for [endpoint] max_instances: must be at least "
			      "[endpoint] initial_instances = 2");
	expect_endpoint_error("[endpoint]\ntimeout = 50ms\nnetwork_rtt = 50ms\n", 3,
			      "value '50ms' out of range for [endpoint] network_rtt: must be below "
			      "[endpoint] timeout = 50ms");
}
END_TEST

START_TEST(bad_config_refused)
{
	struct endpoint_config cfg = fixed_fleet(2, 1);
	struct calendar *cal = calendar_new(0, 64);
	struct error err;

	cfg.min_instances = 3;
	ck_assert_ptr_null(endpoint_new(&cfg, cal, 0, SIMTIME_MIN, 1, NULL, NULL, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "min_instances"));
	cfg = fixed_fleet(2, 1);
	cfg.network_rtt = cfg.timeout;
	ck_assert_ptr_null(endpoint_new(&cfg, cal, 0, SIMTIME_MIN, 1, NULL, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "network_rtt"));
	cfg = fixed_fleet(2, 0);
	ck_assert_ptr_null(endpoint_new(&cfg, cal, 0, SIMTIME_MIN, 1, NULL, NULL, &err));
	cfg = fixed_fleet(2, 1);
	ck_assert_ptr_null(endpoint_new(&cfg, cal, SIMTIME_MIN, 0, 1, NULL, NULL, &err));
	endpoint_free(NULL);
	calendar_free(cal);
}
END_TEST


/* ---- variability ---- */

/* Service times of a load through a fixed fleet, by request id. */
struct services {
	simtime *service, *latency;
	size_t cap, n;
};

static void on_service(void *ctx, const struct endpoint_outcome *o, simtime now)
{
	struct services *v = ctx;

	(void)now;
	ck_assert_uint_lt(o->request_id, v->cap);
	v->service[o->request_id] = o->service;
	v->latency[o->request_id] = o->latency;
	v->n++;
}

static void submit_costed(void *ctx, uint64_t id, simtime now)
{
	static const struct rank_cost cost = { .candidates = 1000 };

	(void)now;
	endpoint_submit(ctx, id, &cost);
}

/* Cost mode with the default variability but equal instance speeds, one
 * request every 10 ms on 2 x 4 slots (utilisation ~0.1: queueing plays no
 * part).  The cost time is 2 ms + 1000 x 500 ns = 2.5 ms; with a lognormal
 * factor of mean 1 and CV 0.3 per request (the mean of 20,000 has a
 * relative sd of 0.2 %) and rare pauses (12 an hour of 60 ms: ~0.02 % of
 * requests), the mean service is 2.5 ms within 3 %; the latency
 * distribution has a tail (p50 < p99 < p99.9 < max) and the run is the
 * same twice. */
START_TEST(variability_gives_a_tail)
{
	enum { N = 20000 };
	simtime first_max = 0;

	for (int run = 0; run < 2; run++) {
		struct endpoint_config cfg = fixed_fleet(2, 4);
		struct calendar *cal = calendar_new(0, 1024);
		struct services v = { calloc(N, sizeof(simtime)), calloc(N, sizeof(simtime)), N, 0 };
		const struct hist *h;
		struct endpoint *ep;
		struct error err;
		double mean = 0;

		cfg.variability = true;
		cfg.service = ENDPOINT_SERVICE_COST;
		cfg.network_rtt = 10 * SIMTIME_MS;
		cfg.speed_cv = 0;
		ep = endpoint_new(&cfg, cal, 0, SIMTIME_HOUR, 5, on_service, &v, &err);
		ck_assert_msg(ep != NULL, "%s", err.msg);
		for (uint64_t i = 0; i < N; i++)
			calendar_schedule(cal, (simtime)i * 10 * SIMTIME_MS, submit_costed, ep, i);
		calendar_run_until(cal, SIMTIME_HOUR);
		ck_assert_uint_eq(v.n, N);
		for (size_t i = 0; i < N; i++)
			mean += (double)v.service[i] / N;
		ck_assert_msg(fabs(mean / 2500.0 - 1) < 0.03, "mean service %.0f us", mean);
		h = endpoint_latency(ep);
		ck_assert_int_lt(hist_quantile(h, 0.5), hist_quantile(h, 0.99));
		ck_assert_int_lt(hist_quantile(h, 0.99), hist_quantile(h, 0.999));
		ck_assert_int_lt(hist_quantile(h, 0.999), hist_max(h));
		if (run == 0)
			first_max = hist_max(h);
		else
			ck_assert_int_eq(first_max, hist_max(h));
		endpoint_free(ep);
		calendar_free(cal);
		free(v.service);
		free(v.latency);
	}
}
END_TEST

/* Constant 10 ms service, no other variability but cold starts: one warm
 * instance (concurrency 1) at a request every 5 ms (target 600 per minute:
 * the scaler wants 20, max 8) scales out at the first evaluation (1 min);
 * the new instances serve from 3 min (warm-up 2 min) and take the requests
 * that find instance 0 busy, first at cold_factor 3 (30 ms), decaying with
 * a time constant of 1 min.  The initial instance is warm: no request
 * takes longer than 30 ms, some take more than 25 ms, and from 13 min on
 * (e^-10 x 20 ms < 1 us) every request takes 10 ms, rounded. */
START_TEST(cold_instances_serve_slower)
{
	enum { N = 200 * 60 * 20 };
	struct endpoint_config cfg = fixed_fleet(1, 1);
	struct calendar *cal = calendar_new(0, 1024);
	struct services v = { calloc(N, sizeof(simtime)), calloc(N, sizeof(simtime)), N, 0 };
	struct endpoint *ep;
	struct error err;
	size_t slow = 0;

	cfg.variability = true;
	cfg.cost_cv = cfg.speed_cv = 0;
	cfg.network_jitter = 0;
	cfg.pause_rate = 0;
	cfg.cold_factor = 3;
	cfg.cold_period = SIMTIME_MIN;
	cfg.service = ENDPOINT_SERVICE_CONSTANT;
	cfg.service_mean = 10 * SIMTIME_MS;
	cfg.autoscale = true;
	cfg.max_instances = 8;
	cfg.target_invocations = 600;
	cfg.warmup = 2 * SIMTIME_MIN;
	ep = endpoint_new(&cfg, cal, 0, 30 * SIMTIME_MIN, 5, on_service, &v, &err);
	ck_assert_msg(ep != NULL, "%s", err.msg);
	for (uint64_t i = 0; i < N; i++)
		calendar_schedule(cal, (simtime)i * 5 * SIMTIME_MS, submit_costed, ep, i);
	calendar_run_until(cal, 30 * SIMTIME_MIN);
	ck_assert_uint_eq(v.n, N);
	ck_assert_uint_gt(endpoint_stats(ep)->scale_outs, 0);
	for (size_t i = 0; i < N; i++) {
		ck_assert_int_ge(v.service[i], 10 * SIMTIME_MS);
		ck_assert_int_le(v.service[i], 30 * SIMTIME_MS);
		slow += v.service[i] > 25 * SIMTIME_MS;
		if (i >= 13 * 60 * 200)   /* from 13 min on */
			ck_assert_int_le(v.service[i], 10 * SIMTIME_MS + 1);
	}
	ck_assert_uint_gt(slow, 0);
	endpoint_free(ep);
	calendar_free(cal);
	free(v.service);
	free(v.latency);
}
END_TEST

/* Pauses only: constant 10 ms service, one request every 50 ms on one
 * instance (no queueing but behind a pause), pauses once a second on
 * average (exponential gaps, so pauses cover L / (1 s + L) of the time)
 * with mean L = 100 ms.  A request meets a pause when one starts during its
 * 10 ms or it starts during one: about (10 + 100) / 1100 = 10 % of them;
 * those take their 10 ms plus the rest of the pause (a full exponential
 * length when it starts inside, by memorylessness).  Bounds: the share in
 * [7 %, 13 %] (binomial sd 0.7 % at n = 12,000 plus the pauses' own
 * clustering), the excess mean service within [5, 15] ms (theory ~ 9.6). */
START_TEST(pauses_stop_requests)
{
	enum { N = 12000 };
	struct endpoint_config cfg = fixed_fleet(1, 4);
	struct calendar *cal = calendar_new(0, 1024);
	struct services v = { calloc(N, sizeof(simtime)), calloc(N, sizeof(simtime)), N, 0 };
	struct endpoint *ep;
	struct error err;
	double hit = 0, excess = 0;

	cfg.variability = true;
	cfg.cost_cv = cfg.speed_cv = 0;
	cfg.network_jitter = 0;
	cfg.cold_factor = 1;
	cfg.pause_rate = 3600;
	cfg.pause_mean = 100 * SIMTIME_MS;
	cfg.service = ENDPOINT_SERVICE_CONSTANT;
	cfg.service_mean = 10 * SIMTIME_MS;
	ep = endpoint_new(&cfg, cal, 0, SIMTIME_HOUR, 9, on_service, &v, &err);
	ck_assert_msg(ep != NULL, "%s", err.msg);
	for (uint64_t i = 0; i < N; i++)
		calendar_schedule(cal, (simtime)i * 50 * SIMTIME_MS, submit_costed, ep, i);
	calendar_run_until(cal, SIMTIME_HOUR);
	ck_assert_uint_eq(v.n, N);
	for (size_t i = 0; i < N; i++) {
		ck_assert_int_ge(v.service[i], 10 * SIMTIME_MS);
		hit += v.service[i] > 10 * SIMTIME_MS;
		excess += (double)(v.service[i] - 10 * SIMTIME_MS) / N;
	}
	ck_assert_msg(hit / N > 0.07 && hit / N < 0.13, "share paused %.3f", hit / N);
	ck_assert_msg(excess > 5000 && excess < 15000, "excess %.0f us", excess);
	endpoint_free(ep);
	calendar_free(cal);
	free(v.service);
	free(v.latency);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, mmc_mean_wait_matches_erlang_c);
	tcase_add_test(tc, same_seed_same_outcomes);
	tcase_add_test(tc, step_in_load_scales_out_after_cooldown_and_recovers);
	tcase_add_test(tc, timeouts_and_rejections_counted);
	tcase_add_test(tc, no_instance_means_no_capacity);
	tcase_add_test(tc, cost_model_service_time);
	tcase_add_test(tc, start_and_drain_pick_by_free_slots_then_index);
	tcase_add_test(tc, bad_config_refused);
	tcase_add_test(tc, load_errors_name_file_line_and_key);
	tcase_add_test(tc, variability_gives_a_tail);
	tcase_add_test(tc, cold_instances_serve_slower);
	tcase_add_test(tc, pauses_stop_requests);
}

CHECK_MAIN("endpoint", add_tests, 60)
