/* The serving-path load test of a run directory; see loadrun.h. */
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
#include "serve/loadtest.h"
#include "render/plot.h"
#include "results/loadstore.h"
#include "results/results.h"
#include "serve/servedir.h"
#include "engine/serving.h"

/* Feature-read histograms of the rankers: rank.c records ns up to 10 s. */
#define READ_HIST_HIGHEST INT64_C(10000000000)

void loadrun_options_defaults(struct loadrun_options *o)
{
	memset(o, 0, sizeof(*o));
	o->rate = LOADRUN_TARGET_RATE;
	o->duration_s = 30;
	o->threads = 2;
	o->shape = LOADRUN_CONSTANT;
	o->compress = 1440;   /* a simulated day per wall minute */
	o->scorer = RANK_FOREST;
	o->queue_bound = 10000;
	o->late_after_ms = 1;
	o->seed = 1;
	o->store = true;
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

static int build_schedule(const struct servedir *d, const struct loadrun_options *o,
			  struct loadtest_schedule *s, double *peak, struct error *err)
{
	int64_t dur_ns = (int64_t)llround(o->duration_s * 1e9);
	simtime from, sim_len, width = SIMTIME_MIN;
	double *sessions, mean = 0, seg_s;
	size_t n;
	int rc;

	*peak = o->rate;
	if (o->shape == LOADRUN_CONSTANT)
		return loadtest_schedule_constant(s, o->rate, dur_ns, servedir_users(d), o->seed,
						  err);
	if (!(o->compress > 0) || !isfinite(o->compress))
		return error_set(err, ERR_INPUT, "--compress must be a positive number");
	from = o->from_set ? o->from : servedir_experiment_start(d);
	sim_len = (simtime)llround(o->duration_s * o->compress * 1e6);
	n = (size_t)((sim_len + width - 1) / width);
	if (n == 0 || n > 10 * 1000 * 1000)
		return error_set(err, ERR_INPUT, "scenario shape: %zu simulated minutes is out of "
				 "range (duration x compress)", n);
	if (from + width * (simtime)n > servedir_horizon(d))
		return error_set(err, ERR_INPUT,
				 "scenario shape: the window [%.2f h, %.2f h) runs past the run's "
				 "horizon %.2f h (lower --duration or --compress, or move --from)",
				 (double)from / SIMTIME_HOUR,
				 (double)(from + width * (simtime)n) / SIMTIME_HOUR,
				 (double)servedir_horizon(d) / SIMTIME_HOUR);
	sessions = xcalloc(n, sizeof(*sessions));
	if ((rc = servedir_traffic(d, from, width, n, sessions, err)) < 0)
		goto out;
	for (size_t j = 0; j < n; j++)
		mean += sessions[j];
	mean /= (double)n;
	if (mean <= 0) {
		rc = error_set(err, ERR_INPUT, "scenario shape: no sessions in the window");
		goto out;
	}
	*peak = 0;
	for (size_t j = 0; j < n; j++) {
		sessions[j] *= o->rate / mean;
		if (sessions[j] > *peak)
			*peak = sessions[j];
	}
	/* One simulated minute lasts 60 / compress wall seconds. */
	seg_s = 60.0 / o->compress;
	rc = loadtest_schedule_piecewise(s, sessions, n, (int64_t)llround(seg_s * 1e9),
					 servedir_users(d), o->seed, err);
out:
	free(sessions);
	return rc;
}

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
	s->intended_per_s = s->achieved_per_s = s->p99_per_s_us = NULL;
	s->seconds = 0;
}

int loadrun_write_percentiles(const struct hist *h, const char *path, struct error *err)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int rc = 0;

	if (!f) {
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	write_csv(h, f);
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

/* Per wall second: intended arrivals, achieved completions, latency (us). */
struct per_second {
	struct series *intended, *achieved, *latency;
	size_t n;
};

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
	    !(ps->latency = series_new("latency (us)", 0, SIMTIME_S, ps->n,
				       LOADTEST_HIST_HIGHEST / 1000, 2, err)))
		return err->code;
	for (size_t i = 0; i < rep->n; i++) {
		/* Series count microseconds since the start of the test. */
		series_count(ps->intended, s->at[i] / 1000, 1);
		if (rep->status[i] == LOADTEST_OK) {
			series_count(ps->achieved, rep->end[i] / 1000, 1);
			series_record(ps->latency, s->at[i] / 1000, (rep->end[i] - s->at[i]) / 1000);
		}
	}
	return 0;
}

static void free_series(struct per_second *ps)
{
	series_free(ps->intended);
	series_free(ps->achieved);
	series_free(ps->latency);
}

static void add_note(struct slo_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_note(struct slo_table *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->rows[t->n - 1].note, sizeof(t->rows[t->n - 1].note), fmt, ap);
	va_end(ap);
}

static void make_slo(const struct loadtest_report *rep, const struct loadrun_summary *sum,
		     const struct hist *lat_us, struct slo_table *t)
{
	bool at_target = sum->achieved_rate >= 0.99 * LOADRUN_TARGET_RATE &&
			 sum->candidates >= LOADRUN_TARGET_CANDIDATES &&
			 sum->trees >= LOADRUN_TARGET_TREES;

	slo_init(t);
	slo_add_quantile(t, "load test latency p99 (issue target)", lat_us, 0.99,
			 LOADRUN_TARGET_P99_US, true);
	add_note(t, "%s: %.0f rps achieved, %zu candidates, %zu trees (target conditions: "
		 ">= 500 rps, 1000, 100)", at_target ? "at target load" : "NOT at target load",
		 sum->achieved_rate, sum->candidates, sum->trees);
	slo_add_quantile(t, "load test latency p99 (production SLO)", lat_us, 0.99,
			 LOADRUN_SLO_US, true);
	slo_add_quantile(t, "load test latency p99.9 (production SLO)", lat_us, 0.999,
			 LOADRUN_SLO_US, true);
	slo_add_availability(t, "load test requests answered", rep->completed, rep->n, 0.998);
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

/* What the test measured, as results/loadstore stores it. */
static int store(const struct servedir *d, const struct loadrun_options *o,
		 const struct loadtest_report *rep, const struct per_second *ps,
		 const struct hist *read, const struct hist *scoring, struct loadrun_summary *sum,
		 struct error *err)
{
	const struct scenario *sc = servedir_scenario(d);
	char *path = xasprintf("%s/results.db", servedir_path(d)), *ovr = join_overrides(sc);
	struct results *r = results_open(path, err);
	const struct loadstore l = {
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
		.threads = o->threads,
		.candidates = sum->candidates,
		.trees = sum->trees,
		.latency_p99_ns = sum->p99,
		.shape = o->shape == LOADRUN_CONSTANT ? "constant" : "scenario",
		.compress = o->shape == LOADRUN_SCENARIO ? o->compress : NAN,
		.scorer = rank_scorer_name(o->scorer),
		.serving_time = servedir_time(d),
		.duration_s = o->duration_s,
		.latency = &rep->latency,
		.service = &rep->service,
		.delay = &rep->delay,
		.read = read,
		.scoring = scoring,
		.intended = ps->intended,
		.achieved = ps->achieved,
		.latency_us = ps->latency,
		.slo = &sum->slo,
	};
	int rc;

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

static void plot_over_time(const struct per_second *ps, const char *base,
			   struct loadrun_summary *sum)
{
	struct plot *p = plot_new("serving-path load test: latency from intended start");
	double *x = xcalloc(ps->n, sizeof(*x)), *p50 = xcalloc(ps->n, sizeof(*p50));
	double *p99 = xcalloc(ps->n, sizeof(*p99)), *mx = xcalloc(ps->n, sizeof(*mx));
	double *in = xcalloc(ps->n, sizeof(*in)), *ach = xcalloc(ps->n, sizeof(*ach));
	struct error err;

	for (size_t i = 0; i < ps->n; i++) {
		bool any = series_bucket_count(ps->latency, i) > 0;

		x[i] = (double)i;
		p50[i] = any ? (double)series_bucket_quantile(ps->latency, i, 0.5) / 1e3 : NAN;
		p99[i] = any ? (double)series_bucket_quantile(ps->latency, i, 0.99) / 1e3 : NAN;
		mx[i] = any ? (double)series_bucket_max(ps->latency, i) / 1e3 : NAN;
		in[i] = (double)series_bucket_count(ps->intended, i);
		ach[i] = (double)series_bucket_count(ps->achieved, i);
	}
	plot_set_labels(p, "wall-clock seconds since start", "latency (ms)", "requests per second");
	plot_set_log(p, false, true);
	plot_add(p, "p50", PLOT_STEPS, x, p50, ps->n);
	plot_add(p, "p99", PLOT_STEPS, x, p99, ps->n);
	plot_add(p, "max", PLOT_STEPS, x, mx, ps->n);
	plot_add_y2(p, "intended rps", PLOT_STEPS, x, in, ps->n);
	plot_add_y2(p, "achieved rps", PLOT_STEPS, x, ach, ps->n);
	plot_hline(p, LOADRUN_TARGET_P99_US / 1e3, "2 ms target (p99)");
	error_clear(&err);
	if (plot_render(p, base, PLOT_PNG | PLOT_SVG, &err) < 0)
		snprintf(sum->warning, sizeof(sum->warning), "latency plot skipped: %.900s", err.msg);
	else
		snprintf(sum->plot, sizeof(sum->plot), "%s.png", base);
	plot_free(p);
	free(x);
	free(p50);
	free(p99);
	free(mx);
	free(in);
	free(ach);
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
	sum->reads = hist_count(read);
	sum->read_p50 = hist_quantile(read, 0.50);
	sum->read_p99 = hist_quantile(read, 0.99);
	sum->read_max = hist_max(read);
}

int loadrun_execute(const struct servedir *d, const struct loadrun_options *o,
		    struct loadrun_summary *sum, struct error *err)
{
	struct loadtest_schedule sched = { 0 };
	struct loadtest_report rep = { 0 };
	struct loadtest_config cfg = { 0 };
	struct per_second ps = { 0 };
	struct thread_ctx *tc = NULL;
	void **ctx = NULL;
	struct hist read = { 0 }, scoring = { 0 }, lat_us = { 0 };
	size_t made = 0;
	int rc;

	memset(sum, 0, sizeof(*sum));
	if (!(o->rate > 0) || !isfinite(o->rate) || !(o->duration_s > 0) ||
	    !isfinite(o->duration_s) || o->threads == 0 || o->threads > 1024)
		return error_set(err, ERR_INPUT, "load test: rate and duration must be positive and "
				 "threads 1..1024");
	if (o->scorer == RANK_FOREST && !servedir_model(d))
		return error_set(err, ERR_INPUT, "load test: scorer 'forest' asked for, but the run "
				 "saved no model ('%s' is missing); use --scorer heuristic",
				 servedir_model_path(d));
	if (o->scorer == RANK_ORACLE)
		return error_set(err, ERR_INPUT, "load test: the oracle needs the simulator's truth, "
				 "which exists only inside a run");
	sum->candidates = servedir_candidates(d);
	sum->trees = servedir_model(d) && o->scorer == RANK_FOREST
			     ? forest_n_trees(servedir_model(d)) : 0;
	if ((rc = build_schedule(d, o, &sched, &sum->peak_rate, err)) < 0)
		goto out;
	tc = xcalloc(o->threads, sizeof(*tc));
	ctx = xcalloc(o->threads, sizeof(*ctx));
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
	if ((rc = loadtest_run(&cfg, &sched, handle, ctx, &rep, err)) < 0)
		goto out;
	for (size_t t = 0; t < o->threads; t++)
		if (tc[t].first.code) {
			snprintf(sum->first_error, sizeof(sum->first_error), "%s", tc[t].first.msg);
			break;
		}

	/* Per-thread ranker histograms, merged. */
	if ((rc = hist_init(&read, READ_HIST_HIGHEST, 3, err)) < 0 ||
	    (rc = hist_init(&scoring, READ_HIST_HIGHEST, 3, err)) < 0 ||
	    (rc = hist_init(&lat_us, LOADTEST_HIST_HIGHEST / 1000, 3, err)) < 0)
		goto out;
	for (size_t t = 0; t < o->threads; t++) {
		const struct rank *rk = serving_rank(tc[t].s);

		if ((rc = hist_merge(&read, rank_host_assembly_ns(rk), err)) < 0 ||
		    (rc = hist_merge(&scoring, rank_host_scoring_ns(rk), err)) < 0)
			goto out;
	}
	for (size_t i = 0; i < rep.n; i++)
		if (rep.status[i] == LOADTEST_OK)
			hist_record(&lat_us, (rep.end[i] - sched.at[i]) / 1000);
	summarize(&sched, &rep, &read, sum);
	make_slo(&rep, sum, &lat_us, &sum->slo);
	if ((rc = make_series(&sched, &rep, &ps, err)) < 0)
		goto out;
	sum->seconds = ps.n;
	sum->intended_per_s = xcalloc(ps.n, sizeof(double));
	sum->achieved_per_s = xcalloc(ps.n, sizeof(double));
	sum->p99_per_s_us = xcalloc(ps.n, sizeof(double));
	for (size_t i = 0; i < ps.n; i++) {
		sum->intended_per_s[i] = (double)series_bucket_count(ps.intended, i);
		sum->achieved_per_s[i] = (double)series_bucket_count(ps.achieved, i);
		sum->p99_per_s_us[i] = series_bucket_count(ps.latency, i)
					       ? (double)series_bucket_quantile(ps.latency, i, 0.99)
					       : NAN;
	}
	if (!o->store)
		goto out;
	if ((rc = store(d, o, &rep, &ps, &read, &scoring, sum, err)) < 0)
		goto out;
	if (o->csv_path)
		snprintf(sum->csv, sizeof(sum->csv), "%s", o->csv_path);
	else
		snprintf(sum->csv, sizeof(sum->csv), "%s/loadtest-%lld-percentiles.csv",
			 servedir_path(d), (long long)sum->run_id);
	if ((rc = loadrun_write_percentiles(&rep.latency, sum->csv, err)) < 0)
		goto out;
	{
		char *base = o->plot_base ? xstrdup(o->plot_base)
					  : xasprintf("%s/loadtest-%lld-latency", servedir_path(d),
						      (long long)sum->run_id);

		plot_over_time(&ps, base, sum);
		free(base);
	}
out:
	for (size_t t = 0; t < made; t++)
		serving_free(tc[t].s);
	free(tc);
	free(ctx);
	free_series(&ps);
	if (read.counts)
		hist_release(&read);
	if (scoring.counts)
		hist_release(&scoring);
	if (lat_us.counts)
		hist_release(&lat_us);
	loadtest_report_release(&rep);
	loadtest_schedule_release(&sched);
	return rc;
}
