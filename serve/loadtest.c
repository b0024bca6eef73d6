/* Open-loop load generator; see loadtest.h. */
#include "serve/loadtest.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/rng.h"
#include "common/xalloc.h"

/* More requests than this in one schedule is a mistake, not a test. */
#define MAX_REQUESTS (UINT64_C(100) * 1000 * 1000)

static int64_t mono_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void mono_sleep_until(void *ctx, int64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000), (long)(t % 1000000000) };

	(void)ctx;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

void loadtest_clock_monotonic(struct loadtest_clock *c)
{
	c->now = mono_now;
	c->sleep_until = mono_sleep_until;
	c->ctx = NULL;
}

static void pick_users(struct loadtest_schedule *s, uint32_t users, uint64_t seed)
{
	for (size_t i = 0; i < s->n; i++)
		s->user[i] = users ? (uint32_t)(rng_hash4(seed, RNG_RANKER, i, 0x10ad) % users) : 0;
}

int loadtest_schedule_piecewise(struct loadtest_schedule *s, const double *rate, size_t nseg,
				int64_t seg_ns, uint32_t users, uint64_t seed, struct error *err)
{
	double total = 0, acc = 0;
	size_t i = 0;

	memset(s, 0, sizeof(*s));
	if (nseg == 0 || seg_ns <= 0)
		return error_set(err, ERR_INPUT, "load schedule: empty window");
	for (size_t j = 0; j < nseg; j++) {
		if (!(rate[j] >= 0) || !isfinite(rate[j]))
			return error_set(err, ERR_INPUT, "load schedule: bad rate %g in segment %zu",
					 rate[j], j);
		total += rate[j] * (double)seg_ns / 1e9;
	}
	if (total > (double)MAX_REQUESTS)
		return error_set(err, ERR_INPUT, "load schedule: %.0f requests is more than %llu",
				 total, (unsigned long long)MAX_REQUESTS);
	s->duration_ns = seg_ns * (int64_t)nseg;
	s->at = xcalloc((size_t)total + 1, sizeof(*s->at));
	s->user = xcalloc((size_t)total + 1, sizeof(*s->user));
	/* Request i arrives where the integrated rate reaches i. */
	for (size_t j = 0; j < nseg; j++) {
		double w = (double)seg_ns / 1e9, next = acc + rate[j] * w;

		for (; rate[j] > 0 && (double)i < next && i <= (size_t)total; i++) {
			double t = (double)j * w + ((double)i - acc) / rate[j];
			int64_t ns = (int64_t)llround(t * 1e9);

			if (ns >= (int64_t)(j + 1) * seg_ns)
				ns = (int64_t)(j + 1) * seg_ns - 1;   /* rounding at the edge */
			if (i > 0 && ns < s->at[i - 1])
				ns = s->at[i - 1];
			s->at[i] = ns;
		}
		acc = next;
	}
	s->n = i;
	pick_users(s, users, seed);
	return 0;
}

int loadtest_schedule_constant(struct loadtest_schedule *s, double rate, int64_t duration_ns,
			       uint32_t users, uint64_t seed, struct error *err)
{
	if (!(rate > 0) || !isfinite(rate) || duration_ns <= 0)
		return memset(s, 0, sizeof(*s)),
		       error_set(err, ERR_INPUT, "load schedule: rate and duration must be positive");
	return loadtest_schedule_piecewise(s, &rate, 1, duration_ns, users, seed, err);
}

int loadtest_schedule_ramp(struct loadtest_schedule *s, double from, double to,
			   int64_t duration_ns, uint32_t users, uint64_t seed, struct error *err)
{
	double d = (double)duration_ns / 1e9, total = (from + to) / 2 * d, c2;
	size_t n;

	memset(s, 0, sizeof(*s));
	if (!(from >= 0) || !(to >= 0) || !isfinite(from) || !isfinite(to) || from + to <= 0 ||
	    duration_ns <= 0)
		return error_set(err, ERR_INPUT, "load schedule: a ramp needs rates >= 0, not both "
				 "0, and a positive duration");
	if (total > (double)MAX_REQUESTS)
		return error_set(err, ERR_INPUT, "load schedule: %.0f requests is more than %llu",
				 total, (unsigned long long)MAX_REQUESTS);
	/* N(t) = from t + c2 t^2 with c2 = (to - from) / (2 d); request i at
	 * N(t) = i, t = 2 i / (from + sqrt(from^2 + 4 c2 i)) (no cancellation). */
	c2 = (to - from) / (2 * d);
	n = (size_t)floor(total - 1e-9) + 1;
	s->at = xcalloc(n, sizeof(*s->at));
	s->user = xcalloc(n, sizeof(*s->user));
	for (size_t i = 0; i < n; i++) {
		double disc = from * from + 4 * c2 * (double)i, t;
		int64_t ns;

		t = i == 0 ? 0 : 2 * (double)i / (from + sqrt(disc > 0 ? disc : 0));
		ns = (int64_t)llround(t * 1e9);
		if (ns >= duration_ns)
			ns = duration_ns - 1;
		if (i > 0 && ns < s->at[i - 1])
			ns = s->at[i - 1];
		s->at[i] = ns;
	}
	s->n = n;
	s->duration_ns = duration_ns;
	pick_users(s, users, seed);
	return 0;
}

void loadtest_schedule_release(struct loadtest_schedule *s)
{
	free(s->at);
	free(s->user);
	free(s->time);
	memset(s, 0, sizeof(*s));
}

/* ---- the run ---- */

struct shared {
	const struct loadtest_config *cfg;
	const struct loadtest_schedule *s;
	struct loadtest_clock clock;
	loadtest_handler fn;
	struct loadtest_report *rep;
	int64_t t0;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t next;          /* next arrival to admit */
	size_t *ring;         /* queue_bound entries */
	size_t head, count;
	bool sleeper;         /* a worker is sleeping until the next arrival */
};

struct worker {
	struct shared *sh;
	void *ctx;
	struct hist latency, service, delay;
	uint64_t completed, errors, late;
};

static int64_t since_start(struct shared *sh)
{
	return sh->clock.now(sh->clock.ctx) - sh->t0;
}

/* Admit every arrival due at `now` (called with the lock held). */
static void admit(struct shared *sh, int64_t now)
{
	const struct loadtest_schedule *s = sh->s;
	size_t bound = sh->cfg->queue_bound;

	while (sh->next < s->n && s->at[sh->next] <= now) {
		size_t i = sh->next++;

		if (sh->count >= bound) {
			sh->rep->status[i] = LOADTEST_DROPPED;
			sh->rep->dropped++;
			continue;
		}
		sh->ring[(sh->head + sh->count) % bound] = i;
		sh->count++;
	}
}

static void serve_one(struct worker *w, size_t i)
{
	struct shared *sh = w->sh;
	const struct loadtest_schedule *s = sh->s;
	int64_t start = since_start(sh), end;
	int rc = sh->fn(w->ctx, i, s->user[i]);

	end = since_start(sh);
	if (end < start)
		end = start;
	sh->rep->start[i] = start;
	sh->rep->end[i] = end;
	sh->rep->status[i] = rc < 0 ? LOADTEST_ERROR : LOADTEST_OK;
	if (rc < 0)
		w->errors++;
	else
		w->completed++;
	if (start - s->at[i] > sh->cfg->late_after_ns)
		w->late++;
	hist_record(&w->latency, end - s->at[i] > 0 ? end - s->at[i] : 0);
	hist_record(&w->service, end - start);
	hist_record(&w->delay, start - s->at[i] > 0 ? start - s->at[i] : 0);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	size_t bound = sh->cfg->queue_bound;

#ifdef PR_SET_TIMERSLACK
	/* Wake at the intended time, not up to 50 us later (the default slack). */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
	pthread_mutex_lock(&sh->mu);
	for (;;) {
		admit(sh, since_start(sh));
		if (sh->count > 0) {
			size_t i = sh->ring[sh->head];

			sh->head = (sh->head + 1) % bound;
			sh->count--;
			if (sh->count > 0)
				pthread_cond_signal(&sh->cv);
			pthread_mutex_unlock(&sh->mu);
			serve_one(w, i);
			pthread_mutex_lock(&sh->mu);
			continue;
		}
		if (sh->next >= sh->s->n)
			break;
		if (sh->sleeper) {
			pthread_cond_wait(&sh->cv, &sh->mu);
			continue;
		}
		sh->sleeper = true;
		{
			int64_t t = sh->t0 + sh->s->at[sh->next];

			pthread_mutex_unlock(&sh->mu);
			sh->clock.sleep_until(sh->clock.ctx, t);
			pthread_mutex_lock(&sh->mu);
		}
		sh->sleeper = false;
		/* Someone else watches for the arrival after this one. */
		pthread_cond_signal(&sh->cv);
	}
	pthread_cond_broadcast(&sh->cv);
	pthread_mutex_unlock(&sh->mu);
	return NULL;
}

static int init_hists(struct hist *a, struct hist *b, struct hist *c, struct error *err)
{
	if (hist_init(a, LOADTEST_HIST_HIGHEST, LOADTEST_HIST_DIGITS, err) < 0)
		return err->code;
	if (hist_init(b, LOADTEST_HIST_HIGHEST, LOADTEST_HIST_DIGITS, err) < 0) {
		hist_release(a);
		return err->code;
	}
	if (hist_init(c, LOADTEST_HIST_HIGHEST, LOADTEST_HIST_DIGITS, err) < 0) {
		hist_release(a);
		hist_release(b);
		return err->code;
	}
	return 0;
}

int loadtest_run(const struct loadtest_config *cfg, const struct loadtest_schedule *s,
		 loadtest_handler fn, void *const *ctx, struct loadtest_report *rep,
		 struct error *err)
{
	struct shared sh;
	struct worker *w;
	pthread_t *tid;
	size_t started = 0;
	int64_t last = 0;
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	if (cfg->threads == 0 || cfg->threads > 1024 || cfg->queue_bound == 0)
		return error_set(err, ERR_INPUT, "load test: threads must be 1..1024 and the queue "
				 "bound at least 1");
	if ((rc = init_hists(&rep->latency, &rep->service, &rep->delay, err)) < 0)
		return rc;
	rep->n = s->n;
	rep->start = xcalloc(s->n ? s->n : 1, sizeof(*rep->start));
	rep->end = xcalloc(s->n ? s->n : 1, sizeof(*rep->end));
	rep->status = xcalloc(s->n ? s->n : 1, sizeof(*rep->status));
	for (size_t i = 0; i < s->n; i++)
		rep->start[i] = rep->end[i] = -1;

	memset(&sh, 0, sizeof(sh));
	sh.cfg = cfg;
	sh.s = s;
	if (cfg->clock)
		sh.clock = *cfg->clock;
	else
		loadtest_clock_monotonic(&sh.clock);
	sh.fn = fn;
	sh.rep = rep;
	sh.ring = xcalloc(cfg->queue_bound, sizeof(*sh.ring));
	pthread_mutex_init(&sh.mu, NULL);
	pthread_cond_init(&sh.cv, NULL);

	w = xcalloc(cfg->threads, sizeof(*w));
	tid = xcalloc(cfg->threads, sizeof(*tid));
	for (size_t t = 0; t < cfg->threads; t++) {
		w[t].sh = &sh;
		w[t].ctx = ctx ? ctx[t] : NULL;
		if ((rc = init_hists(&w[t].latency, &w[t].service, &w[t].delay, err)) < 0) {
			for (size_t u = 0; u < t; u++) {
				hist_release(&w[u].latency);
				hist_release(&w[u].service);
				hist_release(&w[u].delay);
			}
			goto out_free;
		}
	}
	sh.t0 = sh.clock.now(sh.clock.ctx);
	for (; started < cfg->threads; started++) {
		int e = pthread_create(&tid[started], NULL, worker_main, &w[started]);

		if (e != 0) {
			rc = error_set(err, ERR_RUN, "load test: cannot start thread %zu: %s",
				       started, strerror(e));
			/* The running workers finish the schedule on their own. */
			break;
		}
	}
	if (started == 0) {
		/* Nobody to serve: every request is dropped, nothing ran. */
		for (size_t i = 0; i < s->n; i++)
			rep->status[i] = LOADTEST_DROPPED;
		rep->dropped = s->n;
	}
	for (size_t t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	for (size_t t = 0; t < cfg->threads; t++) {
		/* Same parameters by construction: the merge cannot fail. */
		ASSERT(hist_merge(&rep->latency, &w[t].latency, err) == 0);
		ASSERT(hist_merge(&rep->service, &w[t].service, err) == 0);
		ASSERT(hist_merge(&rep->delay, &w[t].delay, err) == 0);
		rep->completed += w[t].completed;
		rep->errors += w[t].errors;
		rep->late += w[t].late;
		hist_release(&w[t].latency);
		hist_release(&w[t].service);
		hist_release(&w[t].delay);
	}
	for (size_t i = 0; i < s->n; i++)
		if (rep->end[i] > last)
			last = rep->end[i];
	rep->wall_s = (double)last / 1e9;
out_free:
	pthread_cond_destroy(&sh.cv);
	pthread_mutex_destroy(&sh.mu);
	free(sh.ring);
	free(w);
	free(tid);
	return rc;
}

void loadtest_report_release(struct loadtest_report *rep)
{
	if (rep->latency.counts)
		hist_release(&rep->latency);
	if (rep->service.counts)
		hist_release(&rep->service);
	if (rep->delay.counts)
		hist_release(&rep->delay);
	free(rep->start);
	free(rep->end);
	free(rep->status);
	memset(rep, 0, sizeof(*rep));
}
