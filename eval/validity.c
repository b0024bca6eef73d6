/* Simulator validity checks by deterministic replay; see validity.h. */
#include "eval/validity.h"

#include "common/calendar.h"
#include "common/event.h"
#include "common/rng.h"
#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "results/checkstore.h"
#include "results/results.h"
#include "results/rundir.h"
#include "results/schema.h"
#include "sim/sim.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

_Static_assert(VALIDITY_MAX_CHECKS <= CHECKSTORE_MAX, "every check can be stored");

#define MAX_ZONES 64
#define MAX_SLOTS 100
#define NO_TAP 255
/* Shows on a replay page end at least this long after the page, so the
 * first tune-in (after think_time) always finds the show live. */
#define PAGE_MIN_REMAINING SIMTIME_MIN
/* Extra time after the horizon for listens under way to end. */
#define DRAIN (2 * SIMTIME_DAY)

struct replay {
	uint64_t seed;
	simtime horizon;
	struct calendar *cal;
	struct sim *sim;
	struct sim_params sp;
	const struct world *w;
	simtime think_time, max_show_len;
	double exam[MAX_SLOTS];
	uint32_t *scratch;                 /* candidate shows */
	size_t scratch_cap;

	/* exogenous sessions */
	uint64_t hourly[24], weekly[7], base_sessions, promo_sessions, sessions;
	uint32_t *user_sessions;           /* base sessions per base user */
	size_t *spike_emitted;             /* per spike */

	/* home pages */
	uint8_t *first_tap;                /* per session id: lowest home tune-in slot */
	uint8_t *has_page;
	size_t sessions_cap;
	double exp_first[MAX_SLOTS + 1];   /* expected first tune-in per slot; [k] = none */
	uint64_t pages;
	uint32_t k;

	/* listens */
	double *pit;                       /* probability-integral transforms */
	size_t n_pit, cap_pit;
	uint64_t cut_listens;
	struct rng prng;                   /* randomised PIT for censored listens */
};

static enum checkstore_verdict stored_verdict(enum validity_verdict v)
{
	switch (v) {
	case VALIDITY_PASS:
		return CHECKSTORE_PASS;
	case VALIDITY_FAIL:
		return CHECKSTORE_FAIL;
	case VALIDITY_SKIP:
		return CHECKSTORE_SKIP;
	}
	BUG("unknown validity verdict %d", (int)v);
}

const char *validity_verdict_name(enum validity_verdict v)
{
	return checkstore_verdict_name(stored_verdict(v));
}

static struct validity_check *add_check(struct validity_report *rep, const char *name,
					const char *statistic, double value, double p,
					double threshold, enum validity_verdict v, const char *fmt, ...)
{
	struct validity_check *c;
	va_list ap;

	ASSERT(rep->n < VALIDITY_MAX_CHECKS);
	c = &rep->checks[rep->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->statistic, sizeof(c->statistic), "%s", statistic);
	c->value = value;
	c->p = p;
	c->threshold = threshold;
	c->verdict = v;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	if (v == VALIDITY_PASS)
		rep->pass++;
	else if (v == VALIDITY_FAIL)
		rep->fail++;
	else
		rep->skipped++;
	return c;
}

static enum validity_verdict by_p(double p)
{
	return p >= VALIDITY_ALPHA ? VALIDITY_PASS : VALIDITY_FAIL;
}

/* Two-sided normal p-value of z. */
static double z_p(double z)
{
	return 2 * gsl_cdf_ugaussian_Q(fabs(z));
}

/* ---- replay ---- */

static void grow_sessions(struct replay *r, size_t session)
{
	size_t old = r->sessions_cap;

	if (session < old)
		return;
	r->sessions_cap = old ? old : 1024;
	while (r->sessions_cap <= session)
		r->sessions_cap *= 2;
	r->first_tap = xreallocarray(r->first_tap, r->sessions_cap, 1);
	r->has_page = xreallocarray(r->has_page, r->sessions_cap, 1);
	memset(r->first_tap + old, NO_TAP, r->sessions_cap - old);
	memset(r->has_page + old, 0, r->sessions_cap - old);
}

static double lognormal_cdf(const struct replay *r, uint32_t user, uint32_t creator, double us)
{
	const struct behaviour_config *b = &r->sp.behaviour;
	double mu = log((double)b->listen_median) +
		    b->listen_affinity_gain * world_affinity(r->w, user, creator);

	if (us <= 0)
		return 0;
	if (b->listen_sigma <= 0)
		return log(us) >= mu ? 1 : 0;
	return gsl_cdf_ugaussian_P((log(us) - mu) / b->listen_sigma);
}

/* A listen of length d: uniform under the model once censoring at the
 * show's end (d == cap) and at the 1 s floor is randomised. */
static void on_listen_end(struct replay *r, const struct event *ev)
{
	simtime d = ev->value, start = ev->emit_time - d;
	simtime cap = world_show_end(r->w, ev->show) - start;
	double u, lo;

	XGROW(r->pit, r->n_pit + 1, r->cap_pit);
	if (d >= cap) {
		lo = lognormal_cdf(r, ev->user, ev->creator, (double)cap);
		u = lo + rng_uniform(&r->prng) * (1 - lo);
		r->cut_listens++;
	} else if (d <= SIMTIME_S) {
		u = rng_uniform(&r->prng) * lognormal_cdf(r, ev->user, ev->creator, (double)SIMTIME_S + 1);
	} else {
		/* The duration was truncated to whole microseconds. */
		u = lognormal_cdf(r, ev->user, ev->creator, (double)d + 0.5);
	}
	r->pit[r->n_pit++] = u;
}

static void on_emit(void *ctx, const struct event *ev)
{
	struct replay *r = ctx;

	switch (ev->type) {
	case EVENT_APP_OPEN:
		r->sessions++;
		grow_sessions(r, ev->session);
		if (ev->source == EVENT_SOURCE_PROMO) {
			r->promo_sessions++;
		} else {
			int64_t day = ev->emit_time / SIMTIME_DAY;

			r->base_sessions++;
			r->hourly[(ev->emit_time % SIMTIME_DAY) / SIMTIME_HOUR]++;
			r->weekly[(day + r->sp.traffic.epoch_weekday) % 7]++;
			if (ev->user < world_n_base_users(r->w))
				r->user_sessions[ev->user]++;
		}
		break;
	case EVENT_LISTEN_START:
		if (ev->source == EVENT_SOURCE_HOME && ev->session != EVENT_NONE &&
		    ev->session < r->sessions_cap && ev->position < r->first_tap[ev->session])
			r->first_tap[ev->session] = (uint8_t)ev->position;
		break;
	case EVENT_LISTEN_END:
		on_listen_end(r, ev);
		break;
	default:
		break;
	}
}

/* A uniform-random page of live shows (ending at least a minute later),
 * with the expected position of the first tune-in accumulated. */
static size_t replay_page(void *ctx, uint32_t user, uint32_t session, simtime now,
			  uint32_t *shows_out, size_t k)
{
	struct replay *r = ctx;
	uint32_t n_shows = world_n_shows(r->w), s, end_id;
	size_t n = 0, m;
	struct rng g;
	double none = 1;

	s = world_show_first_starting_at(r->w, now > r->max_show_len ? now - r->max_show_len : 0);
	end_id = world_show_first_starting_at(r->w, now + 1);
	for (; s < end_id && s < n_shows; s++) {
		if (world_show_status(r->w, s, now) != WORLD_SHOW_LIVE ||
		    world_show_end(r->w, s) < now + r->think_time + PAGE_MIN_REMAINING)
			continue;
		XGROW(r->scratch, n + 1, r->scratch_cap);
		r->scratch[n++] = s;
	}
	m = n < k ? n : k;
	rng_init(&g, r->seed, RNG_VALIDITY, session, 0);
	for (size_t i = 0; i < m; i++) {
		size_t j = i + (size_t)rng_below(&g, n - i);
		uint32_t t = r->scratch[i];

		r->scratch[i] = r->scratch[j];
		r->scratch[j] = t;
		shows_out[i] = r->scratch[i];
	}
	if (m == 0)
		return 0;
	grow_sessions(r, session);
	r->has_page[session] = 1;
	r->pages++;
	if (r->sp.behaviour.choice == BEHAVIOUR_MNL) {
		/* one logit pick on the first screen (every slot is live, so no
		 * scrolling): slot i with exam_i odds_i / (mass + sum) */
		double a[MAX_SLOTS], total = r->sp.behaviour.no_choice_mass;
		size_t screen = m < r->k ? m : r->k;

		for (size_t i = 0; i < screen; i++) {
			double p = sim_truth(r->sim, user, shows_out[i], now);

			a[i] = r->exam[i] * (p < 1 ? p / (1 - p) : 1e300);
			total += a[i];
		}
		for (size_t i = 0; i < screen; i++)
			r->exp_first[i] += a[i] / total;
		r->exp_first[r->k] += r->sp.behaviour.no_choice_mass / total;
		return m;
	}
	for (size_t i = 0; i < m; i++) {
		double q = r->exam[i] * sim_truth(r->sim, user, shows_out[i], now);

		r->exp_first[i] += none * q;
		none *= 1 - q;
	}
	r->exp_first[r->k] += none;
	return m;
}

static void replay_release(struct replay *r)
{
	sim_free(r->sim);
	calendar_free(r->cal);
	free(r->scratch);
	free(r->user_sessions);
	free(r->spike_emitted);
	free(r->first_tap);
	free(r->has_page);
	free(r->pit);
}

static int replay_run(struct replay *r, const struct scenario *sc, struct error *err)
{
	struct config *cfg = xmalloc(sizeof(*cfg));
	int rc = config_load(cfg, sc, err);

	r->sp = cfg->sim;
	/* the exogenous world only: returns and notification sessions depend
	 * on the ranker, and the checks below are of arrivals and reactions */
	r->sp.behaviour.return_rate = 0;
	r->sp.behaviour.notify_sessions = false;
	free(cfg);
	if (rc < 0)
		return rc;
	r->seed = r->sp.seed;
	r->horizon = r->sp.horizon;
	r->k = r->sp.behaviour.page_size;
	if (r->k > MAX_SLOTS)
		return error_set(err, ERR_INPUT, "validity: page size %u above %d", r->k, MAX_SLOTS);
	for (uint32_t i = 0; i < r->k; i++)
		r->exam[i] = behaviour_examination(&r->sp.behaviour, i);
	r->think_time = r->sp.behaviour.think_time;
	/* The daily listening budget cuts listens at a point the events do
	 * not record, which would bend the duration PIT; the replay tests the
	 * unbudgeted marginals (the budget has its own tests in test_behaviour). */
	r->sp.behaviour.listen_budget = 0;
	/* Likewise a continuation listens for the carried-over time, not a
	 * fresh draw, and asks a second page in the session: the replay tests
	 * the pick and the planned length (continuations: test_behaviour). */
	r->sp.behaviour.continue_rate = 0;
	rng_init(&r->prng, r->seed, RNG_VALIDITY, UINT32_MAX, 1);
	r->cal = calendar_new(0, 1 << 16);
	if (!(r->sim = sim_new(&r->sp, r->cal, on_emit, r, err)))
		return err->code;
	r->w = sim_world(r->sim);
	for (uint32_t s = 0; s < world_n_shows(r->w); s++) {
		simtime len = world_show_end(r->w, s) - world_show_start(r->w, s);

		if (len > r->max_show_len)
			r->max_show_len = len;
	}
	r->user_sessions = xcalloc(world_n_base_users(r->w) + 1, sizeof(uint32_t));
	r->spike_emitted = xcalloc(spikes_count(sim_spikes(r->sim)) + 1, sizeof(size_t));
	sim_set_ranker(r->sim, &(struct sim_ranker){ .ctx = r, .page = replay_page });
	calendar_run_until(r->cal, r->horizon + DRAIN);
	return 0;
}

/* ---- checks ---- */

struct zone {
	int32_t offset_min;
	double activity;          /* summed over base users */
	double by_hour[24], by_weekday[7], total;  /* rate integrals at activity 1 */
};

/* Integrals of the rate function per zone, by UTC hour of day and weekday,
 * by the midpoint rule on one-minute steps (the rate is a cosine plus steps
 * at local midnights, which fall on whole minutes). */
static size_t zones_build(const struct replay *r, struct zone *z)
{
	size_t nz = 0;
	uint32_t users = world_n_base_users(r->w);

	for (uint32_t u = 0; u < users; u++) {
		int32_t off = world_user_utc_offset_min(r->w, u);
		size_t i = 0;

		while (i < nz && z[i].offset_min != off)
			i++;
		if (i == nz) {
			ASSERT(nz < MAX_ZONES);
			memset(&z[nz], 0, sizeof(z[nz]));
			z[nz++].offset_min = off;
		}
		z[i].activity += world_user_activity(r->w, u);
	}
	for (size_t i = 0; i < nz; i++)
		for (simtime t = 0; t < r->horizon; t += SIMTIME_MIN) {
			double v = arrivals_rate(&r->sp.traffic, 1.0, z[i].offset_min,
						 t + SIMTIME_MIN / 2) / 60.0;
			int64_t day = t / SIMTIME_DAY;

			z[i].by_hour[(t % SIMTIME_DAY) / SIMTIME_HOUR] += v;
			z[i].by_weekday[(day + r->sp.traffic.epoch_weekday) % 7] += v;
			z[i].total += v;
		}
	return nz;
}

/* Pearson chi-square of observed against expected counts, merging
 * neighbouring bins until each expects at least 5; *df is the number of
 * bins used (the caller subtracts what its constraints fix). */
static void chisq(const double *obs, const double *expd, size_t n, double *x2, size_t *df)
{
	double o = 0, e = 0;
	size_t bins = 0;

	*x2 = 0;
	for (size_t i = 0; i < n; i++) {
		o += obs[i];
		e += expd[i];
		if (e >= 5 || i + 1 == n) {
			if (e > 0) {
				*x2 += (o - e) * (o - e) / e;
				bins++;
			}
			o = e = 0;
		}
	}
	*df = bins;
}

static void check_profiles(const struct replay *r, struct validity_report *rep)
{
	struct zone z[MAX_ZONES];
	size_t nz = zones_build(r, z), df;
	double obs[24], expd[24], x2, p, tot_e = 0;

	for (int h = 0; h < 24; h++) {
		obs[h] = (double)r->hourly[h];
		expd[h] = 0;
		for (size_t i = 0; i < nz; i++)
			expd[h] += z[i].activity * z[i].by_hour[h];
		tot_e += expd[h];
	}
	chisq(obs, expd, 24, &x2, &df);
	/* The total is random too (Poisson), so every bin is a free cell: df = bins. */
	p = gsl_cdf_chisq_Q(x2, (double)df);
	add_check(rep, "sessions_hourly", "chi2", x2, p, VALIDITY_ALPHA, by_p(p),
		  "%llu base sessions (expected %.0f) over %zu UTC hours, df %zu",
		  (unsigned long long)r->base_sessions, tot_e, (size_t)24, df);

	if (r->horizon < 7 * SIMTIME_DAY) {
		add_check(rep, "sessions_weekly", "chi2", NAN, NAN, VALIDITY_ALPHA, VALIDITY_SKIP,
			  "fewer than 7 simulated days");
	} else {
		for (int d = 0; d < 7; d++) {
			obs[d] = (double)r->weekly[d];
			expd[d] = 0;
			for (size_t i = 0; i < nz; i++)
				expd[d] += z[i].activity * z[i].by_weekday[d];
		}
		chisq(obs, expd, 7, &x2, &df);
		p = gsl_cdf_chisq_Q(x2, (double)df);
		add_check(rep, "sessions_weekly", "chi2", x2, p, VALIDITY_ALPHA, by_p(p),
			  "Mon..Sun observed %llu %llu %llu %llu %llu %llu %llu; expected Sat %.0f Mon %.0f",
			  (unsigned long long)r->weekly[0], (unsigned long long)r->weekly[1],
			  (unsigned long long)r->weekly[2], (unsigned long long)r->weekly[3],
			  (unsigned long long)r->weekly[4], (unsigned long long)r->weekly[5],
			  (unsigned long long)r->weekly[6], expd[5], expd[0]);
	}

	/* Sessions per user: Poisson with mean activity_u x the zone's integral;
	 * the dispersion statistic sum (N - L)^2 / L is chi-square with one df
	 * per user (two-sided: over- and under-dispersion both fail). */
	{
		double x = 0, dfu = 0, lo, hi;
		uint32_t users = world_n_base_users(r->w);

		for (uint32_t u = 0; u < users; u++) {
			int32_t off = world_user_utc_offset_min(r->w, u);
			double lam = 0;

			for (size_t i = 0; i < nz; i++)
				if (z[i].offset_min == off)
					lam = world_user_activity(r->w, u) * z[i].total;
			if (lam <= 0)
				continue;
			x += ((double)r->user_sessions[u] - lam) * ((double)r->user_sessions[u] - lam) / lam;
			dfu += 1;
		}
		if (dfu < 1) {
			add_check(rep, "sessions_per_user", "chi2", NAN, NAN, VALIDITY_ALPHA,
				  VALIDITY_SKIP, "no base users");
		} else {
			lo = gsl_cdf_chisq_P(x, dfu);
			hi = gsl_cdf_chisq_Q(x, dfu);
			p = 2 * (lo < hi ? lo : hi);
			add_check(rep, "sessions_per_user", "chi2", x, p, VALIDITY_ALPHA, by_p(p),
				  "Poisson dispersion over %.0f users: %.4f (1 expected)", dfu, x / dfu);
		}
	}
}

static void check_positions(const struct replay *r, struct validity_report *rep)
{
	double obs[MAX_SLOTS + 1] = { 0 }, x2, p;
	size_t df;

	if (r->sp.behaviour.model != BEHAVIOUR_PBM) {
		add_check(rep, "first_tunein_position", "chi2", NAN, NAN, VALIDITY_ALPHA,
			  VALIDITY_SKIP, "cascade position model (exam curve depends on relevance)");
		return;
	}
	if (r->pages == 0) {
		add_check(rep, "first_tunein_position", "chi2", NAN, NAN, VALIDITY_ALPHA,
			  VALIDITY_SKIP, "no home page had a live show");
		return;
	}
	for (size_t s = 0; s < r->sessions_cap; s++) {
		if (!r->has_page[s])
			continue;
		/* replay pages are all live, so no tap comes from a deeper screen */
		ASSERT(r->first_tap[s] == NO_TAP || r->first_tap[s] < r->k);
		obs[r->first_tap[s] == NO_TAP ? r->k : r->first_tap[s]] += 1;
	}
	/* Each page is one multinomial draw over k slots + "none": the totals
	 * are fixed, df = bins - 1. */
	chisq(obs, r->exp_first, r->k + 1, &x2, &df);
	p = gsl_cdf_chisq_Q(x2, (double)(df > 1 ? df - 1 : 1));
	add_check(rep, "first_tunein_position", "chi2", x2, p, VALIDITY_ALPHA, by_p(p),
		  "%llu pages; first tune-in at slot 0: %.0f (expected %.1f), slot %u: %.0f "
		  "(expected %.1f); exam(%u)/exam(0) = %.3f",
		  (unsigned long long)r->pages, obs[0], r->exp_first[0], r->k - 1, obs[r->k - 1],
		  r->exp_first[r->k - 1], r->k - 1, r->exam[r->k - 1] / r->exam[0]);
}

/* Kolmogorov distribution tail Q(lambda) = 2 sum (-1)^(j-1) exp(-2 j^2 lambda^2). */
static double ks_q(double lambda)
{
	double sum = 0, sign = 1;

	if (lambda < 0.2)
		return 1;
	for (int j = 1; j <= 100; j++) {
		double term = sign * 2 * exp(-2.0 * j * j * lambda * lambda);

		sum += term;
		if (fabs(term) < 1e-12)
			break;
		sign = -sign;
	}
	return sum < 0 ? 0 : (sum > 1 ? 1 : sum);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void check_listens(struct replay *r, struct validity_report *rep)
{
	double d = 0, n = (double)r->n_pit, p, sq;

	if (r->n_pit < 10) {
		add_check(rep, "listen_duration", "KS D", NAN, NAN, VALIDITY_ALPHA, VALIDITY_SKIP,
			  "%zu listens", r->n_pit);
		return;
	}
	qsort(r->pit, r->n_pit, sizeof(double), cmp_double);
	for (size_t i = 0; i < r->n_pit; i++) {
		double a = r->pit[i] - (double)i / n, b = (double)(i + 1) / n - r->pit[i];

		if (a > d)
			d = a;
		if (b > d)
			d = b;
	}
	sq = sqrt(n);
	p = ks_q((sq + 0.12 + 0.11 / sq) * d);
	add_check(rep, "listen_duration", "KS D", d, p, VALIDITY_ALPHA, by_p(p),
		  "%zu listens against lognormal(median %.1f min x exp(%.2f affinity), sigma %.2f); "
		  "%llu cut at the show's end",
		  r->n_pit, simtime_to_s(r->sp.behaviour.listen_median) / 60,
		  r->sp.behaviour.listen_affinity_gain, r->sp.behaviour.listen_sigma,
		  (unsigned long long)r->cut_listens);
}

static void check_spikes(const struct replay *r, struct validity_report *rep)
{
	const struct spikes *sp = sim_spikes(r->sim);
	size_t n = spikes_count(sp);

	for (size_t i = 0; i < n; i++) {
		const struct spike_config *c = &r->sp.spikes[i];
		double expected = spikes_expected(sp, i), got = (double)spikes_sessions_of(sp, i);
		double b = c->branching, var = c->magnitude / ((1 - b) * (1 - b) * (1 - b));
		char name[64];

		snprintf(name, sizeof(name), "spike_size.%s", spikes_name(sp, i));
		if (var <= 0) {
			add_check(rep, name, "z", NAN, NAN, VALIDITY_ALPHA, VALIDITY_SKIP,
				  "magnitude 0");
			continue;
		}
		{
			double z = (got - expected) / sqrt(var), p = z_p(z);

			add_check(rep, name, "z", z, p, VALIDITY_ALPHA, by_p(p),
				  "%.0f sessions drawn (%zu within the horizon) against "
				  "magnitude / (1 - branching) = %.0f / (1 - %.2f) = %.0f, sd %.0f",
				  got, r->spike_emitted[i], c->magnitude, b, expected, sqrt(var));
		}
	}
	if (n == 0)
		add_check(rep, "spike_size", "z", NAN, NAN, VALIDITY_ALPHA, VALIDITY_SKIP,
			  "no [spike.*] section");
}

/* P(Poisson(mu) = j) for j = 0..n-1 into pk. */
static void poisson_pmf(double mu, double *pk, size_t n)
{
	pk[0] = exp(-mu);
	for (size_t j = 1; j < n; j++)
		pk[j] = pk[j - 1] * mu / (double)j;
}

/* Expected declared noise topics of one declaring user (and its variance):
 * slots S = 1 + Poisson(m - 1); each slot is a noise slot with probability
 * q; a side with no topic left leaves its slot empty, so the user declares
 * min(noise slots, N) noise topics where N counts the topics below the
 * uniform taste. */
static void noise_moments(double m, double q, unsigned noise_topics, double *mean, double *var)
{
	enum { SMAX = 48 };
	double ps[SMAX], e1 = 0, e2 = 0;

	poisson_pmf(m - 1, ps, SMAX);
	for (size_t s0 = 0; s0 < SMAX; s0++) {
		unsigned s = (unsigned)s0 + 1;

		for (unsigned j = 0; j <= s; j++) {
			double pb = gsl_ran_binomial_pdf(j, q, s);
			double v = (double)(j < noise_topics ? j : noise_topics);

			e1 += ps[s0] * pb * v;
			e2 += ps[s0] * pb * v * v;
		}
	}
	*mean = e1;
	*var = e2 - e1 * e1;
}

static void check_declared(const struct replay *r, struct validity_report *rep)
{
	const struct world_config *wc = world_config(r->w);
	uint32_t users = world_n_users(r->w), nt = world_n_topics(r->w);
	double none = 0, noise = 0, declared = 0, e_noise = 0, v_noise = 0, z, p;
	double q = wc->declare_none_rate;

	for (uint32_t u = 0; u < users; u++) {
		uint32_t mask = world_user_declared(r->w, u);
		const float *taste = world_user_tastes(r->w, u);
		unsigned rare = 0;
		double mean, var;

		if (!mask) {
			none++;
			continue;
		}
		for (uint32_t t = 0; t < nt; t++) {
			/* world.c compares the double draw; the float copy can sit on
			 * the other side of 1/n only within float rounding. */
			bool is_rare = taste[t] < 1.0f / (float)nt;

			rare += is_rare;
			if (mask >> t & 1) {
				declared++;
				noise += is_rare;
			}
		}
		noise_moments(wc->declared_topics, wc->declare_noise_rate, rare, &mean, &var);
		/* Conditional on declaring something: the user might have drawn
		 * only noise slots on an exhausted side; rare enough to ignore. */
		e_noise += mean;
		v_noise += var;
	}
	/* None: a user declares nothing with probability q, or (rarely) when
	 * every slot found its side exhausted; the binomial test uses q. */
	z = (none - q * users) / sqrt(q * (1 - q) * users + 1e-300);
	p = users ? z_p(z) : NAN;
	add_check(rep, "declared_none", "z", z, p, VALIDITY_ALPHA, users ? by_p(p) : VALIDITY_SKIP,
		  "%.0f of %u users declare no interest (%.2f %%; configured %.2f %%)", none, users,
		  users ? 100 * none / users : 0.0, 100 * q);
	if (declared < 1 || v_noise <= 0) {
		add_check(rep, "declared_noise", "z", NAN, NAN, VALIDITY_ALPHA, VALIDITY_SKIP,
			  "no declared topics");
		return;
	}
	z = (noise - e_noise) / sqrt(v_noise);
	p = z_p(z);
	add_check(rep, "declared_noise", "z", z, p, VALIDITY_ALPHA, by_p(p),
		  "%.0f of %.0f declared topics are not true interests (%.2f %%; expected %.0f; "
		  "declare_noise_rate %.0f %%); declared-true agreement %.2f %%",
		  noise, declared, 100 * noise / declared, e_noise, 100 * wc->declare_noise_rate,
		  100 * (1 - noise / declared));
}

static void note_spike_emitted(struct replay *r)
{
	const struct spikes *sp = sim_spikes(r->sim);
	size_t n = spikes_n_sessions(sp);

	for (size_t j = 0; j < n && j < r->promo_sessions; j++)
		r->spike_emitted[spikes_session_spike(sp, j)]++;
}

int validity_check_scenario(const struct scenario *sc, struct validity_report *out,
			    struct error *err)
{
	struct replay *r = xcalloc(1, sizeof(*r));
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = replay_run(r, sc, err)) < 0)
		goto out;
	note_spike_emitted(r);
	out->sessions = r->sessions;
	check_profiles(r, out);
	check_positions(r, out);
	check_listens(r, out);
	check_spikes(r, out);
	check_declared(r, out);
out:
	replay_release(r);
	free(r);
	return rc;
}

/* ---- run directories ---- */


struct first_run {
	int64_t id;
	int found;
};

static int take_first(const struct results_run *run, void *ctx)
{
	struct first_run *f = ctx;

	if (!f->found) {
		f->id = run->run_id;
		f->found = 1;
	}
	return 0;
}

/* The checks as results.db stores them (results/checkstore). */
static int store(struct results *res, int64_t run_id, const struct validity_report *rep,
		 struct error *err)
{
	struct checkstore *c = xcalloc(1, sizeof(*c));
	int rc;

	ASSERT(rep->n <= CHECKSTORE_MAX);
	for (size_t i = 0; i < rep->n; i++) {
		const struct validity_check *v = &rep->checks[i];
		struct checkstore_check *k = &c->checks[c->n++];

		snprintf(k->name, sizeof(k->name), "%s", v->name);
		snprintf(k->statistic, sizeof(k->statistic), "%s", v->statistic);
		k->value = v->value;
		k->p = v->p;
		k->threshold = v->threshold;
		k->verdict = stored_verdict(v->verdict);
		snprintf(k->detail, sizeof(k->detail), "%s", v->detail);
	}
	rc = checkstore_put(res, run_id, c, err);
	free(c);
	return rc;
}

int validity_run_dir(const char *dir, struct validity_report *out, struct error *err)
{
	char *dbp = xasprintf("%s/results.db", dir);
	struct scenario *sc = NULL;
	struct results *res = NULL;
	struct first_run f = { 0, 0 };
	double run_sessions;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!(sc = rundir_load_scenario(dir, err))) {
		rc = err->code == ERR_IO ? error_prefix(err, "'%s' is not a run directory: ", dir)
					 : err->code;
		goto out;
	}
	if (!(res = results_open(dbp, err))) {
		rc = err->code;
		goto out;
	}
	if ((rc = results_each_run(res, take_first, &f, err)) < 0)
		goto out;
	if (!f.found) {
		rc = error_set(err, ERR_CORRUPT, "'%s' holds no run", dbp);
		goto out;
	}
	if ((rc = validity_check_scenario(sc, out, err)) < 0)
		goto out;
	if (results_get_metric(res, f.id, schema_name(SCHEMA_METRIC_SESSIONS), NULL, &run_sessions,
			       err) < 0) {
		add_check(out, "replay_sessions", "difference", NAN, NAN, 0, VALIDITY_SKIP,
			  "the run stored no session count");
	} else {
		double endo = 0, v, diff;

		/* the run's endogenous sessions ([retention]) are not replayed */
		if (results_get_metric(res, f.id, schema_name(SCHEMA_METRIC_SESSIONS_RETURNS), NULL,
				       &v, err) == 0)
			endo += v;
		if (results_get_metric(res, f.id, schema_name(SCHEMA_METRIC_SESSIONS_NOTIFY), NULL,
				       &v, err) == 0)
			endo += v;
		diff = (double)out->sessions - (run_sessions - endo);
		add_check(out, "replay_sessions", "difference", diff, NAN, 0,
			  diff == 0 ? VALIDITY_PASS : VALIDITY_FAIL,
			  "replay %llu sessions, run %.0f exogenous (%.0f with returns and notification sessions; the exogenous world must replay exactly)",
			  out->sessions, run_sessions - endo, run_sessions);
	}
	rc = store(res, f.id, out, err);
out:
	results_close(res);
	scenario_free(sc);
	free(dbp);
	return rc;
}
