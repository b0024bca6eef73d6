/* The load test of a run directory's serving path or of an HTTP target;
 * see loadrun.h. */
#include "serve/loadrun.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/scenario.h"
#include "common/series.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "engine/forest.h"
#include "engine/serving.h"
#include "render/report.h"
#include "results/loadstore.h"
#include "results/results.h"
#include "serve/httpload.h"
#include "serve/loadtest.h"
#include "serve/servedir.h"

/* Feature-read histograms of the rankers: rank.c records ns up to 10 s. */
#define READ_HIST_HIGHEST INT64_C(10000000000)

void loadrun_options_defaults(struct loadrun_options *o)
{
	memset(o, 0, sizeof(*o));
	o->rate = 500;
	o->duration_s = 30;
	o->threads = 2;
	o->shape = LOADRUN_CONSTANT;
	o->compress = 1440;   /* a simulated day per wall minute */
	o->scorer = RANK_FOREST;
	o->queue_bound = 10000;
	o->late_after_ms = 1;
	o->seed = 1;
	o->store = true;
	o->check = HTTPLOAD_CHECK_NONE;
	o->connections = 16;
	o->timeout_s = 10;
}

/* One worker thread's serving and its first error. */
struct thread_ctx {
	const struct servedir *d;
	struct serving *s;
	enum rank_scorer scorer;
	struct error first;
};

static int handle(void *ctx, size_t i, uint32_t user)
{
	struct thread_ctx *t = ctx;
	struct servedir_page page;
	struct error err;
	int rc;

	error_clear(&err);
	rc = servedir_request(t->d, t->s, user, t->scorer, (uint64_t)i, &page, &err);
	if (rc < 0 && !t->first.code)
		t->first = err;
	return rc;
}

/* ---- schedules ---- */

static simtime window_start(const struct servedir *d, const struct loadrun_options *o)
{
	return o->from_set ? o->from : servedir_experiment_start(d);
}

/* The scenario's sessions in the compressed window, one request each. */
static int scenario_natural(const struct servedir *d, const struct loadrun_options *o,
			    simtime from, simtime sim_len, struct loadtest_schedule *s,
			    double *peak, struct error *err)
{
	simtime *t;
	uint32_t *u;
	size_t n;
	int64_t dur_ns = (int64_t)llround(o->duration_s * 1e9);
	int rc;

	if ((rc = servedir_sessions(d, from, from + sim_len, &t, &u, &n, err)) < 0)
		return rc;
	if (n == 0) {
		free(t);
		free(u);
		return error_set(err, ERR_INPUT, "scenario shape: no sessions in the window");
	}
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->at = xcalloc(n, sizeof(*s->at));
	s->user = u;
	s->time = t;
	s->duration_ns = dur_ns;
	for (size_t i = 0; i < n; i++) {
		int64_t ns = (int64_t)llround((double)(t[i] - from) / o->compress * 1e3);

		s->at[i] = ns < dur_ns ? ns : dur_ns - 1;
	}
	/* The busiest wall second. */
	*peak = 0;
	for (size_t i = 0, j = 0; i < n; i++) {
		while (s->at[i] - s->at[j] >= 1000000000)
			j++;
		if ((double)(i - j + 1) > *peak)
			*peak = (double)(i - j + 1);
	}
	return 0;
}

/* The per-minute shape scaled to a mean of o->rate; users from each
 * minute's own sessions. */
static int scenario_scaled(const struct servedir *d, const struct loadrun_options *o,
			   simtime from, simtime sim_len, struct loadtest_schedule *s,
			   double *peak, struct error *err)
{
	simtime width = SIMTIME_MIN, *t = NULL;
	uint32_t *u = NULL;
	size_t n = (size_t)((sim_len + width - 1) / width), ns = 0, *first = NULL;
	double *rate, mean = 0, seg_s;
	int rc;

	rate = xcalloc(n, sizeof(*rate));
	if ((rc = servedir_sessions(d, from, from + width * (simtime)n, &t, &u, &ns, err)) < 0)
		goto out;
	first = xcalloc(n + 1, sizeof(*first));
	for (size_t i = 0; i < ns; i++)
		rate[(t[i] - from) / width] += 1;
	for (size_t j = 0, i = 0; j <= n; j++) {
		while (i < ns && (size_t)((t[i] - from) / width) < j)
			i++;
		first[j] = i;
	}
	for (size_t j = 0; j < n; j++)
		mean += rate[j];
	mean /= (double)n;
	if (mean <= 0) {
		rc = error_set(err, ERR_INPUT, "scenario shape: no sessions in the window");
		goto out;
	}
	*peak = 0;
	for (size_t j = 0; j < n; j++) {
		rate[j] *= o->rate / mean;
		if (rate[j] > *peak)
			*peak = rate[j];
	}
	/* One simulated minute lasts 60 / compress wall seconds. */
	seg_s = 60.0 / o->compress;
	if ((rc = loadtest_schedule_piecewise(s, rate, n, (int64_t)llround(seg_s * 1e9),
					      servedir_users(d), o->seed, err)) < 0)
		goto out;
	s->time = xcalloc(s->n ? s->n : 1, sizeof(*s->time));
	for (size_t i = 0, m = 0, prev = SIZE_MAX; i < s->n; i++) {
		size_t j = (size_t)(s->at[i] / (int64_t)llround(seg_s * 1e9));
		size_t c;

		if (j >= n)
			j = n - 1;
		m = j == prev ? m + 1 : 0;
		prev = j;
		c = first[j + 1] - first[j];
		if (c)
			s->user[i] = u[first[j] + m % c];
		s->time[i] = from + (simtime)llround((double)s->at[i] / 1e3 * o->compress);
	}
out:
	free(rate);
	free(first);
	free(t);
	free(u);
	return rc;
}

static int build_schedule(const struct servedir *d, const struct loadrun_options *o,
			  struct loadtest_schedule *s, double *peak, struct error *err)
{
	int64_t dur_ns = (int64_t)llround(o->duration_s * 1e9);
	simtime from, sim_len;
	size_t minutes;

	*peak = o->rate;
	if (o->shape == LOADRUN_CONSTANT)
		return loadtest_schedule_constant(s, o->rate, dur_ns, servedir_users(d), o->seed,
						  err);
	if (o->shape == LOADRUN_RAMP) {
		*peak = o->ramp_from > o->ramp_to ? o->ramp_from : o->ramp_to;
		return loadtest_schedule_ramp(s, o->ramp_from, o->ramp_to, dur_ns, servedir_users(d),
					      o->seed, err);
	}
	if (!(o->compress > 0) || !isfinite(o->compress))
		return error_set(err, ERR_INPUT, "--speed must be a positive number");
	from = window_start(d, o);
	sim_len = (simtime)llround(o->duration_s * o->compress * 1e6);
	minutes = (size_t)((sim_len + SIMTIME_MIN - 1) / SIMTIME_MIN);
	if (minutes == 0 || minutes > 10 * 1000 * 1000)
		return error_set(err, ERR_INPUT, "scenario shape: %zu simulated minutes is out of "
				 "range (duration x speed)", minutes);
	if (from + SIMTIME_MIN * (simtime)minutes > servedir_horizon(d))
		return error_set(err, ERR_INPUT,
				 "scenario shape: the window [%.2f h, %.2f h) runs past the run's "
				 "horizon %.2f h (lower --duration or --speed, or move --from)",
				 (double)from / SIMTIME_HOUR,
				 (double)(from + SIMTIME_MIN * (simtime)minutes) / SIMTIME_HOUR,
				 (double)servedir_horizon(d) / SIMTIME_HOUR);
	return o->rate_set ? scenario_scaled(d, o, from, sim_len, s, peak, err)
			   : scenario_natural(d, o, from, sim_len, s, peak, err);
}

/* ---- outputs ---- */

static int write_csv(const struct hist *h, FILE *f)
{
	uint64_t total = hist_count(h);
	int ticks = 5;

	fprintf(f, "Value_us,Percentile,TotalCount,1/(1-Percentile)\n");
	if (total == 0)
		return 0;
	/* Five steps per halving of the remaining tail: 0, 10, 20 .. 50, 55 ..
	 * 75, 77.5 ...; stop at the rank of the last value. */
	for (int half = 0; half < 64; half++) {
		double lo = 1.0 - ldexp(1.0, -half), hi = 1.0 - ldexp(1.0, -(half + 1));

		for (int k = 0; k < ticks; k++) {
			double q = lo + (hi - lo) * k / ticks;
			uint64_t count = (uint64_t)ceil(q * (double)total);

			if (count >= total)
				goto last;
			fprintf(f, "%.3f,%.12f,%llu,%.2f\n", (double)hist_quantile(h, q) / 1e3, q,
				(unsigned long long)count, 1.0 / (1.0 - q));
		}
	}
last:
	fprintf(f, "%.3f,%.12f,%llu,\n", (double)hist_max(h) / 1e3, 1.0,
		(unsigned long long)total);
	return 0;
}

void loadrun_summary_release(struct loadrun_summary *s)
{
	free(s->intended_per_s);
	free(s->achieved_per_s);
	free(s->p99_per_s_us);
	free(s->errors_per_s);
	s->intended_per_s = s->achieved_per_s = s->p99_per_s_us = s->errors_per_s = NULL;
	s->seconds = 0;
}

/* Write through a temporary name; fn fills the file. */
static int write_file(const char *path, int (*fn)(FILE *, const void *), const void *ctx,
		      struct error *err)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int rc = 0;

	if (!f) {
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	fn(f, ctx);
	if (ferror(f) | (fclose(f) != 0)) {
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		remove(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		rc = error_set(err, ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path,
			       strerror(errno));
		remove(tmp);
	}
out:
	free(tmp);
	return rc;
}

static int csv_fn(FILE *f, const void *h)
{
	return write_csv(h, f);
}

int loadrun_write_percentiles(const struct hist *h, const char *path, struct error *err)
{
	return write_file(path, csv_fn, h, err);
}

/* Per wall second: intended arrivals, achieved completions, errors (by
 * intended second), latency (us, by intended second; the stored series),
 * and the exact latencies of each second's answered requests, sorted (ns;
 * lat[off[i] .. off[i + 1]) for second i) for its percentiles. */
struct per_second {
	struct series *intended, *achieved, *latency, *errors;
	size_t n;
	int64_t *lat;
	size_t *off;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank quantile q of second i (ns); NaN when it has none. */
static double second_quantile(const struct per_second *ps, size_t i, double q)
{
	size_t n = ps->off[i + 1] - ps->off[i], r;

	if (n == 0)
		return NAN;
	r = (size_t)ceil(q * (double)n);
	r = r < 1 ? 1 : r > n ? n : r;
	return (double)ps->lat[ps->off[i] + r - 1];
}

static int make_series(const struct loadtest_schedule *s, const struct loadtest_report *rep,
		       struct per_second *ps, struct error *err)
{
	int64_t last = s->duration_ns;

	for (size_t i = 0; i < rep->n; i++)
		if (rep->end[i] > last)
			last = rep->end[i];
	ps->n = (size_t)(last / 1000000000) + 1;
	/* Labels only: results/loadstore stores them under their schema names. */
	if (!(ps->intended = series_new("intended requests", 0, SIMTIME_S, ps->n, 0, 0, err)) ||
	    !(ps->achieved = series_new("achieved requests", 0, SIMTIME_S, ps->n, 0, 0, err)) ||
	    !(ps->errors = series_new("failed requests", 0, SIMTIME_S, ps->n, 0, 0, err)) ||
	    !(ps->latency = series_new("latency (us)", 0, SIMTIME_S, ps->n,
				       LOADTEST_HIST_HIGHEST / 1000, 2, err)))
		return err->code;
	ps->off = xcalloc(ps->n + 1, sizeof(*ps->off));
	for (size_t i = 0; i < rep->n; i++) {
		/* Series count microseconds since the start of the test. */
		series_count(ps->intended, s->at[i] / 1000, 1);
		if (rep->status[i] == LOADTEST_OK) {
			series_count(ps->achieved, rep->end[i] / 1000, 1);
			series_record(ps->latency, s->at[i] / 1000, (rep->end[i] - s->at[i]) / 1000);
			ps->off[(size_t)(s->at[i] / 1000000000) + 1]++;
		} else {
			series_count(ps->errors, s->at[i] / 1000, 1);
		}
	}
	for (size_t i = 0; i < ps->n; i++)
		ps->off[i + 1] += ps->off[i];
	ps->lat = xcalloc(ps->off[ps->n] ? ps->off[ps->n] : 1, sizeof(*ps->lat));
	{
		size_t *fill = xcalloc(ps->n, sizeof(*fill));

		for (size_t i = 0; i < rep->n; i++)
			if (rep->status[i] == LOADTEST_OK) {
				size_t k = (size_t)(s->at[i] / 1000000000);

				ps->lat[ps->off[k] + fill[k]++] = rep->end[i] - s->at[i];
			}
		free(fill);
	}
	for (size_t i = 0; i < ps->n; i++)
		qsort(ps->lat + ps->off[i], ps->off[i + 1] - ps->off[i], sizeof(*ps->lat), cmp_i64);
	return 0;
}

static void free_series(struct per_second *ps)
{
	series_free(ps->intended);
	series_free(ps->achieved);
	series_free(ps->latency);
	series_free(ps->errors);
	free(ps->lat);
	free(ps->off);
}

static void set_note(struct slo_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_note(struct slo_table *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->rows[t->n - 1].note, sizeof(t->rows[t->n - 1].note), fmt, ap);
	va_end(ap);
}

static void make_slo(const struct config_slo *o, bool http, const struct loadtest_report *rep,
		     const struct loadrun_summary *sum, const struct hist *lat_us,
		     struct slo_table *t)
{
	static const struct {
		const char *name;
		double q;
		size_t off;
	} rows[] = {
		{ "latency p50", 0.50, offsetof(struct config_slo, latency_p50) },
		{ "latency p95", 0.95, offsetof(struct config_slo, latency_p95) },
		{ "latency p99", 0.99, offsetof(struct config_slo, latency_p99) },
		{ "latency p99.9", 0.999, offsetof(struct config_slo, latency_p999) },
	};
	const char *who = http ? "target" : "load test";
	char name[80];

	slo_init(t);
	if (!http && o->serving_p99 > 0) {
		bool at_target = sum->achieved_rate >= 0.99 * o->serving_rate &&
				 sum->candidates >= o->serving_candidates &&
				 sum->trees >= o->serving_trees;

		slo_add_quantile(t, "load test latency p99 (issue target)", lat_us, 0.99,
				 o->serving_p99, true);
		if (!at_target && t->rows[t->n - 1].verdict != SLO_NO_DATA)
			t->rows[t->n - 1].verdict = SLO_NO_DATA;
		set_note(t, "%s: %.0f rps achieved, %zu candidates, %zu trees (stated for >= %.0f "
			 "rps, %u, %u: [slo] serving_*)", at_target ? "at target load" :
			 "NOT at target load: not judged", sum->achieved_rate, sum->candidates,
			 sum->trees, o->serving_rate, o->serving_candidates, o->serving_trees);
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		simtime target = *(const simtime *)((const char *)o + rows[i].off);

		if (target <= 0)
			continue;
		snprintf(name, sizeof(name), "%s %s (production SLO)", who, rows[i].name);
		slo_add_quantile(t, name, lat_us, rows[i].q, target, true);
	}
	snprintf(name, sizeof(name), "%s requests answered%s", who, http ? " well (2xx, body ok)"
									  : "");
	slo_add_availability(t, name, rep->completed, rep->n, o->availability);
	for (size_t i = 0; i < t->n; i++)
		t->rows[i].host_measured = true;
}

static char *join_overrides(const struct scenario *sc)
{
	size_t n = scenario_override_count(sc), len = 1;
	char *s, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(scenario_override(sc, i)) + 1;
	p = s = xcalloc(len, 1);
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(scenario_override(sc, i));

		memcpy(p, scenario_override(sc, i), k);
		p[k] = '\n';
		p += k + 1;
	}
	return s;
}

static const char *shape_name(enum loadrun_shape s)
{
	return s == LOADRUN_CONSTANT ? "constant" : s == LOADRUN_RAMP ? "ramp" : "scenario";
}

/* What the test measured, as results/loadstore stores it. */
static int store(const struct servedir *d, const struct loadrun_options *o,
		 const struct loadtest_report *rep, const struct httpload_report *hrep,
		 const struct per_second *ps, const struct hist *read, const struct hist *scoring,
		 struct loadrun_summary *sum, struct error *err)
{
	const struct scenario *sc = servedir_scenario(d);
	char *path = xasprintf("%s/results.db", servedir_path(d)), *ovr = join_overrides(sc);
	struct results *r = results_open(path, err);
	struct loadstore l = {
		.scenario_text = scenario_text(sc),
		.overrides = ovr,
		.seed = servedir_config(d)->run.seed,
		.wall_s = sum->wall_s,
		.requests = rep->n,
		.completed = rep->completed,
		.errors = rep->errors,
		.dropped = rep->dropped,
		.late = rep->late,
		.rate_intended = sum->intended_rate,
		.rate_achieved = sum->achieved_rate,
		.rate_peak = sum->peak_rate,
		.threads = hrep ? 1 : o->threads,
		.candidates = sum->candidates,
		.trees = sum->trees,
		.latency_p99_ns = sum->p99,
		.shape = shape_name(o->shape),
		.compress = o->shape == LOADRUN_SCENARIO ? o->compress : NAN,
		.scorer = hrep ? "(HTTP target)" : rank_scorer_name(o->scorer),
		.serving_time = servedir_time(d),
		.duration_s = o->duration_s,
		.from_set = o->shape == LOADRUN_SCENARIO,
		.from = window_start(d, o),
		.latency = &rep->latency,
		.service = &rep->service,
		.delay = &rep->delay,
		.read = hrep ? NULL : read,
		.scoring = hrep ? NULL : scoring,
		.intended = ps->intended,
		.achieved = ps->achieved,
		.latency_us = ps->latency,
		.failed = ps->errors,
		.slo = &sum->slo,
	};
	int rc;

	if (hrep) {
		l.target = o->target;
		l.method = o->method ? o->method : o->body ? "POST" : "GET";
		l.connections = o->connections;
		l.err_connect = hrep->by_kind[HTTPLOAD_CONNECT];
		l.err_timeout = hrep->by_kind[HTTPLOAD_TIMEOUT];
		l.err_4xx = hrep->by_kind[HTTPLOAD_4XX];
		l.err_5xx = hrep->by_kind[HTTPLOAD_5XX];
		l.err_body = hrep->by_kind[HTTPLOAD_BAD_BODY];
		l.err_other = hrep->by_kind[HTTPLOAD_OTHER];
		l.queued = hrep->queued;
		l.opened = hrep->opened;
	}
	free(path);
	if (!r) {
		free(ovr);
		return err->code;
	}
	rc = loadstore_put(r, &l, &sum->run_id, err);
	results_close(r);
	free(ovr);
	return rc;
}

static void summarize(const struct loadtest_schedule *s, const struct loadtest_report *rep,
		      const struct hist *read, struct loadrun_summary *sum)
{
	sum->requests = rep->n;
	sum->completed = rep->completed;
	sum->errors = rep->errors;
	sum->dropped = rep->dropped;
	sum->late = rep->late;
	sum->wall_s = rep->wall_s;
	sum->intended_rate = (double)s->n / ((double)s->duration_ns / 1e9);
	sum->achieved_rate = rep->wall_s > 0 ? (double)rep->completed / rep->wall_s : 0;
	sum->p50 = hist_quantile(&rep->latency, 0.50);
	sum->p90 = hist_quantile(&rep->latency, 0.90);
	sum->p99 = hist_quantile(&rep->latency, 0.99);
	sum->p999 = hist_quantile(&rep->latency, 0.999);
	sum->p9999 = hist_quantile(&rep->latency, 0.9999);
	sum->max = hist_max(&rep->latency);
	sum->service_p99 = hist_quantile(&rep->service, 0.99);
	sum->delay_p99 = hist_quantile(&rep->delay, 0.99);
	if (read) {
		sum->reads = hist_count(read);
		sum->read_p50 = hist_quantile(read, 0.50);
		sum->read_p99 = hist_quantile(read, 0.99);
		sum->read_max = hist_max(read);
	}
}

/* ---- the JSON summary ---- */

struct json_ctx {
	const struct servedir *d;
	const struct loadrun_options *o;
	const struct loadrun_summary *sum;
	const struct loadtest_report *rep;
	const struct per_second *ps;
};

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fprintf(f, "null");
}

static void json_ms(FILE *f, const char *key, int64_t ns, bool comma)
{
	fprintf(f, "\"%s\": ", key);
	json_num(f, (double)ns / 1e6);
	if (comma)
		fprintf(f, ", ");
}

static void json_hist(FILE *f, const char *key, const struct hist *h)
{
	fprintf(f, "  \"%s\": {\"count\": %llu, ", key, (unsigned long long)hist_count(h));
	json_ms(f, "p50", hist_quantile(h, 0.5), true);
	json_ms(f, "p90", hist_quantile(h, 0.9), true);
	json_ms(f, "p99", hist_quantile(h, 0.99), true);
	json_ms(f, "p99.9", hist_quantile(h, 0.999), true);
	json_ms(f, "p99.99", hist_quantile(h, 0.9999), true);
	json_ms(f, "max", hist_max(h), false);
	fprintf(f, "},\n");
}

static int json_fn(FILE *f, const void *arg)
{
	const struct json_ctx *c = arg;
	const struct loadrun_options *o = c->o;
	const struct loadrun_summary *s = c->sum;
	const struct per_second *ps = c->ps;

	fprintf(f, "{\n  \"tool\": \"airtime loadtest\",\n  \"host_measurement\": true,\n");
	fprintf(f, "  \"run_dir\": ");
	json_str(f, servedir_path(c->d));
	fprintf(f, ",\n  \"run_id\": %lld,\n  \"mode\": \"%s\",\n", (long long)s->run_id,
		s->http ? "http" : "in-process");
	if (s->http) {
		fprintf(f, "  \"target\": ");
		json_str(f, o->target);
		fprintf(f, ",\n  \"method\": ");
		json_str(f, o->method ? o->method : o->body ? "POST" : "GET");
		fprintf(f, ",\n  \"connections\": %zu,\n", o->connections);
	} else {
		fprintf(f, "  \"scorer\": \"%s\",\n  \"threads\": %zu,\n  \"candidates\": %zu,\n"
			   "  \"trees\": %zu,\n", rank_scorer_name(o->scorer), o->threads,
			s->candidates, s->trees);
	}
	fprintf(f, "  \"schedule\": {\"shape\": \"%s\", \"duration_s\": ", shape_name(o->shape));
	json_num(f, o->duration_s);
	if (o->shape == LOADRUN_RAMP) {
		fprintf(f, ", \"ramp_from\": ");
		json_num(f, o->ramp_from);
		fprintf(f, ", \"ramp_to\": ");
		json_num(f, o->ramp_to);
	}
	if (o->shape == LOADRUN_SCENARIO) {
		fprintf(f, ", \"speed\": ");
		json_num(f, o->compress);
		fprintf(f, ", \"from_us\": %lld, \"scaled\": %s", (long long)window_start(c->d, o),
			o->rate_set ? "true" : "false");
	}
	fprintf(f, "},\n  \"rate\": {\"intended\": ");
	json_num(f, s->intended_rate);
	fprintf(f, ", \"achieved\": ");
	json_num(f, s->achieved_rate);
	fprintf(f, ", \"peak_intended\": ");
	json_num(f, s->peak_rate);
	fprintf(f, "},\n  \"requests\": %zu,\n  \"completed\": %llu,\n  \"dropped\": %llu,\n"
		   "  \"late\": %llu,\n", s->requests, (unsigned long long)s->completed,
		(unsigned long long)s->dropped, (unsigned long long)s->late);
	if (s->http) {
		fprintf(f, "  \"queued\": %llu,\n  \"connections_opened\": %llu,\n  \"errors\": {",
			(unsigned long long)s->queued, (unsigned long long)s->opened);
		for (int k = HTTPLOAD_CONNECT; k <= HTTPLOAD_OTHER; k++)
			fprintf(f, "%s\"%s\": %llu", k == HTTPLOAD_CONNECT ? "" : ", ",
				httpload_kind_name((enum httpload_kind)k),
				(unsigned long long)s->by_kind[k]);
		fprintf(f, "},\n");
	} else {
		fprintf(f, "  \"errors\": {\"handler\": %llu},\n", (unsigned long long)s->errors);
	}
	fprintf(f, "  \"first_error\": ");
	json_str(f, s->first_error);
	fprintf(f, ",\n");
	json_hist(f, "latency_ms", &c->rep->latency);
	json_hist(f, "service_ms", &c->rep->service);
	json_hist(f, "start_delay_ms", &c->rep->delay);
	fprintf(f, "  \"intervals\": [\n");
	for (size_t i = 0; i < ps->n; i++) {
		static const double qs[] = { 0.5, 0.9, 0.99, 0.999, 0.9999, 1 };
		static const char *const qn[] = { "p50", "p90", "p99", "p99.9", "p99.99", "max" };

		fprintf(f, "    {\"second\": %zu, \"intended\": %llu, \"achieved\": %llu, "
			   "\"failed\": %llu", i,
			(unsigned long long)series_bucket_count(ps->intended, i),
			(unsigned long long)series_bucket_count(ps->achieved, i),
			(unsigned long long)series_bucket_count(ps->errors, i));
		for (size_t q = 0; q < 6; q++) {
			fprintf(f, ", \"%s_ms\": ", qn[q]);
			json_num(f, second_quantile(ps, i, qs[q]) / 1e6);
		}
		fprintf(f, "}%s\n", i + 1 < ps->n ? "," : "");
	}
	fprintf(f, "  ],\n  \"slo\": [\n");
	for (size_t i = 0; i < s->slo.n; i++) {
		const struct slo_row *r = &s->slo.rows[i];

		fprintf(f, "    {\"name\": ");
		json_str(f, r->name);
		fprintf(f, ", \"observed\": ");
		json_str(f, r->observed);
		fprintf(f, ", \"target\": ");
		json_str(f, r->target);
		fprintf(f, ", \"verdict\": \"%s\", \"note\": ",
			r->verdict == SLO_PASS ? "pass" : r->verdict == SLO_FAIL ? "fail" : "no data");
		json_str(f, r->note);
		fprintf(f, "}%s\n", i + 1 < s->slo.n ? "," : "");
	}
	fprintf(f, "  ],\n  \"slo_failed\": %zu,\n  \"files\": {\"percentiles_csv\": ",
		s->slo_failed.n);
	json_str(f, s->csv);
	fprintf(f, ", \"report_html\": ");
	json_str(f, s->report);
	fprintf(f, "}\n}\n");
	return 0;
}

/* ---- the run ---- */

static int run_in_process(const struct servedir *d, const struct loadrun_options *o,
			  const struct loadtest_schedule *sched, struct loadtest_report *rep,
			  struct hist *read, struct hist *scoring, struct loadrun_summary *sum,
			  struct error *err)
{
	struct loadtest_config cfg = { 0 };
	struct thread_ctx *tc = xcalloc(o->threads, sizeof(*tc));
	void **ctx = xcalloc(o->threads, sizeof(*ctx));
	size_t made = 0;
	int rc = 0;

	for (; made < o->threads; made++) {
		tc[made].d = d;
		tc[made].scorer = o->scorer;
		if (!(tc[made].s = servedir_serving_new(d, made, err))) {
			rc = err->code;
			goto out;
		}
		ctx[made] = &tc[made];
	}
	cfg.threads = o->threads;
	cfg.queue_bound = o->queue_bound ? o->queue_bound : 1;
	cfg.late_after_ns = (int64_t)llround(o->late_after_ms * 1e6);
	if ((rc = loadtest_run(&cfg, sched, handle, ctx, rep, err)) < 0)
		goto out;
	for (size_t t = 0; t < o->threads; t++)
		if (tc[t].first.code) {
			snprintf(sum->first_error, sizeof(sum->first_error), "%s", tc[t].first.msg);
			break;
		}
	/* Per-thread ranker histograms, merged. */
	for (size_t t = 0; t < o->threads && rc == 0; t++) {
		const struct rank *rk = serving_rank(tc[t].s);

		if ((rc = hist_merge(read, rank_host_assembly_ns(rk), err)) == 0)
			rc = hist_merge(scoring, rank_host_scoring_ns(rk), err);
	}
out:
	for (size_t t = 0; t < made; t++)
		serving_free(tc[t].s);
	free(tc);
	free(ctx);
	return rc;
}

static int run_http(const struct servedir *d, const struct loadrun_options *o,
		    const struct loadtest_schedule *sched, struct httpload_report *hrep,
		    struct loadrun_summary *sum, struct error *err)
{
	struct httpload_config hc = {
		.url = o->target,
		.method = o->method,
		.headers = o->headers,
		.n_headers = o->n_headers,
		.body = o->body,
		.check = o->check,
		.page_key = "shows",
		.allow_remote = o->allow_remote,
		.connections = o->connections,
		.queue_bound = o->queue_bound,
		.timeout_ns = (int64_t)llround(o->timeout_s * 1e9),
		.late_after_ns = (int64_t)llround(o->late_after_ms * 1e6),
	};
	struct httpload_vars v = {
		.k = o->k ? o->k : servedir_rank_config(d)->k,
		.time = sched->time,
		.now = servedir_time(d),
	};
	int rc = httpload_run(&hc, sched, &v, hrep, err);

	if (rc == 0) {
		memcpy(sum->by_kind, hrep->by_kind, sizeof(sum->by_kind));
		sum->queued = hrep->queued;
		sum->opened = hrep->opened;
		snprintf(sum->first_error, sizeof(sum->first_error), "%s", hrep->first_error);
	}
	return rc;
}

int loadrun_execute(const struct servedir *d, const struct loadrun_options *o,
		    struct loadrun_summary *sum, struct error *err)
{
	const struct config_slo *slo = o->slo ? o->slo : &servedir_config(d)->slo;
	struct loadtest_schedule sched = { 0 };
	struct httpload_report hrep;
	struct loadtest_report *rep = &hrep.base;
	struct per_second ps = { 0 };
	struct hist read = { 0 }, scoring = { 0 }, lat_us = { 0 };
	bool http = o->target != NULL;
	int rc;

	memset(sum, 0, sizeof(*sum));
	memset(&hrep, 0, sizeof(hrep));
	sum->http = http;
	if (!(o->duration_s > 0) || !isfinite(o->duration_s) || o->threads == 0 ||
	    o->threads > 1024 || (o->shape != LOADRUN_RAMP && (!(o->rate > 0) ||
							       !isfinite(o->rate))))
		return error_set(err, ERR_INPUT, "load test: rate and duration must be positive and "
				 "threads 1..1024");
	if (!http && o->scorer == RANK_FOREST && !servedir_model(d))
		return error_set(err, ERR_INPUT, "load test: scorer 'forest' asked for, but the run "
				 "saved no model ('%s' is missing); use --scorer heuristic",
				 servedir_model_path(d));
	if (!http && o->scorer == RANK_ORACLE)
		return error_set(err, ERR_INPUT, "load test: the oracle needs the simulator's truth, "
				 "which exists only inside a run");
	if (http) {
		char pin[600];

		/* Refuse a bad or remote target before anything else happens. */
		if ((rc = httpload_check_target(o->target, o->allow_remote, pin, sizeof(pin),
						err)) < 0 ||
		    (rc = httpload_template_check(o->target, "--target", err)) < 0)
			return rc;
	} else {
		sum->candidates = servedir_candidates(d);
		sum->trees = servedir_model(d) && o->scorer == RANK_FOREST
				     ? forest_n_trees(servedir_model(d)) : 0;
	}
	if ((rc = build_schedule(d, o, &sched, &sum->peak_rate, err)) < 0)
		goto out;
	if ((rc = hist_init(&read, READ_HIST_HIGHEST, 3, err)) < 0 ||
	    (rc = hist_init(&scoring, READ_HIST_HIGHEST, 3, err)) < 0 ||
	    (rc = hist_init(&lat_us, LOADTEST_HIST_HIGHEST / 1000, 3, err)) < 0)
		goto out;
	rc = http ? run_http(d, o, &sched, &hrep, sum, err)
		  : run_in_process(d, o, &sched, rep, &read, &scoring, sum, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < rep->n; i++)
		if (rep->status[i] == LOADTEST_OK)
			hist_record(&lat_us, (rep->end[i] - sched.at[i]) / 1000);
	summarize(&sched, rep, http ? NULL : &read, sum);
	make_slo(slo, http, rep, sum, &lat_us, &sum->slo);
	slo_init(&sum->slo_failed);
	for (size_t i = 0; i < sum->slo.n; i++)
		if (sum->slo.rows[i].verdict == SLO_FAIL)
			sum->slo_failed.rows[sum->slo_failed.n++] = sum->slo.rows[i];
	if ((rc = make_series(&sched, rep, &ps, err)) < 0)
		goto out;
	sum->seconds = ps.n;
	sum->intended_per_s = xcalloc(ps.n, sizeof(double));
	sum->achieved_per_s = xcalloc(ps.n, sizeof(double));
	sum->p99_per_s_us = xcalloc(ps.n, sizeof(double));
	sum->errors_per_s = xcalloc(ps.n, sizeof(double));
	for (size_t i = 0; i < ps.n; i++) {
		sum->intended_per_s[i] = (double)series_bucket_count(ps.intended, i);
		sum->achieved_per_s[i] = (double)series_bucket_count(ps.achieved, i);
		sum->errors_per_s[i] = (double)series_bucket_count(ps.errors, i);
		sum->p99_per_s_us[i] = second_quantile(&ps, i, 0.99) / 1e3;
	}
	if (!o->store)
		goto out;
	if ((rc = store(d, o, rep, http ? &hrep : NULL, &ps, &read, &scoring, sum, err)) < 0)
		goto out;
	if (o->csv_path)
		snprintf(sum->csv, sizeof(sum->csv), "%s", o->csv_path);
	else
		snprintf(sum->csv, sizeof(sum->csv), "%s/loadtest-%lld-percentiles.csv",
			 servedir_path(d), (long long)sum->run_id);
	if ((rc = loadrun_write_percentiles(&rep->latency, sum->csv, err)) < 0)
		goto out;
	{
		struct error rerr;
		int r2;

		error_clear(&rerr);
		r2 = report_build_loadtest(servedir_path(d), sum->run_id, &rerr);
		if (r2 < 0)
			snprintf(sum->warning, sizeof(sum->warning), "load-test report not written: "
				 "%.1000s", rerr.msg);
		else {
			snprintf(sum->report, sizeof(sum->report), "%s/loadtest-%lld.html",
				 servedir_path(d), (long long)sum->run_id);
			snprintf(sum->plot, sizeof(sum->plot), "%s/plots/loadtest-%lld.png",
				 servedir_path(d), (long long)sum->run_id);
			if (r2 == REPORT_WARNINGS) {
				snprintf(sum->warning, sizeof(sum->warning), "%.1000s", rerr.msg);
				sum->plot[0] = '\0';
			}
		}
	}
	if (o->json_path)
		snprintf(sum->json, sizeof(sum->json), "%s", o->json_path);
	else
		snprintf(sum->json, sizeof(sum->json), "%s/loadtest-%lld-summary.json",
			 servedir_path(d), (long long)sum->run_id);
	{
		struct json_ctx jc = { d, o, sum, rep, &ps };

		rc = write_file(sum->json, json_fn, &jc, err);
	}
out:
	free_series(&ps);
	if (read.counts)
		hist_release(&read);
	if (scoring.counts)
		hist_release(&scoring);
	if (lat_us.counts)
		hist_release(&lat_us);
	httpload_report_release(&hrep);
	loadtest_schedule_release(&sched);
	return rc;
}
