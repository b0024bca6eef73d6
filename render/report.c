/* The report of one run, from results.db alone; see report.h. */
#define _GNU_SOURCE   /* qsort_r: comparators take their keys as an argument */
#include "render/report.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_cdf.h>

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "stats/abtest.h"
#include "stats/decision.h"
#include "render/doc.h"
#include "render/plot.h"
#include "render/fmt.h"
#include "results/checkstore.h"
#include "results/opestore.h"
#include "results/runview.h"
#include "results/results.h"
#include "results/schema.h"
#include "stats/slo.h"

#define MAX_MODES 8
#define MAX_FIGS 32
#define MAX_SPIKES 32
#define MAX_LOADTESTS 16
#define MAX_ARMS ABTEST_ARMS_MAX
#define MAX_OPE 64

struct fig {
	char base[48];      /* plots/<base>.png */
	char caption[640];
	bool in_section;    /* shown in its own section, not under "Plots" */
	bool failed;        /* gnuplot failed on it (a warning): not shown */
	struct plot_job *job;  /* still drawing */
};

/* Plots drawn at once (each a gnuplot process). */
#define PLOT_JOBS 4

struct spike {
	char name[64];
	double start_s;
};

/* A load-test run row (host measurement). */
struct loadtest {
	int64_t run_id;
	char started[40], host[128];
	struct slo_table slo;
	int fig;            /* index into figs; -1 when not drawn */
};

/* A row of ope_estimates or ope_summary, copied. */
struct ope_row {
	char target[48], reward[24], estimator[16], why[160];
	bool estimable;
	size_t rounds, truth_rounds, nonzero, replications;
	double estimate, lo, hi, truth, truth_se, model_truth, ess;
	double bias, rmse, coverage, coverage_lo, coverage_hi, width, model_bias, model_rmse,
		model_coverage;
};

struct ctx {
	const char *dir;
	char *plots_dir;
	struct results *r;
	struct runview run;
	struct config *cfg;       /* the stored scenario's, or the defaults */
	bool plots, want_md, want_html;
	char warn[1024];
	struct fig figs[MAX_FIGS];
	size_t nfigs;
	size_t njobs;             /* figures still drawing */
	size_t nmodes;
	char modes[MAX_MODES][24];
	struct abtest *ab;        /* MAX_MODES analyses */
	struct abtest_bias *bias; /* [ab] mode = both: n_arms 0 when not stored */
	size_t narms;             /* the arms' labels, control first, from the */
	char arms[MAX_ARMS][48];  /* per-arm series (SCHEMA_SERIES_EXPOSURES) */
	struct slo_table slo;
	struct results_conservation cons[16]; /* the stream's conservation */
	size_t ncons;
	struct spike spikes[MAX_SPIKES];
	size_t nspikes;
	double exp_start_s;       /* experiment start (end of the warm-up); NaN: not stored */
	double end_s;             /* the run's end: warm-up + experiment days */
	struct checkstore *val;   /* validity checks */
	struct loadtest *lt;      /* MAX_LOADTESTS */
	size_t nlt, lt_omitted;
	int64_t only_lt;          /* report_build_loadtest: that load test only */
	bool primary_set, guardrails_set;  /* [ab] primary, guardrails written in the scenario */
	struct ope_row *ope, *opesum;   /* MAX_OPE each */
	size_t nope, nopesum;
};

/* ---- reading ------------------------------------------------------------ */

static int mode_cb(const char *mode, void *ctx)
{
	struct ctx *c = ctx;

	if (c->nmodes < MAX_MODES)
		snprintf(c->modes[c->nmodes++], sizeof(c->modes[0]), "%s", mode);
	return 0;
}

/* The arms, in stored order (control first), from their exposure series. */
static int arm_series_cb(const char *name, void *ctx)
{
	struct ctx *c = ctx;
	char part[48];

	if (c->narms < MAX_ARMS && schema_match(SCHEMA_SERIES_EXPOSURES, name, part, sizeof(part)))
		snprintf(c->arms[c->narms++], sizeof(c->arms[0]), "%s", part);
	return 0;
}

static int spike_cb(const char *key, const char *value, void *ctx)
{
	struct ctx *c = ctx;
	struct spike *sp;
	double us;

	if (fmt_parse_double(value, &us) < 0)
		return 0;
	if (!strcmp(key, schema_name(SCHEMA_INFO_EXPERIMENT_START))) {
		c->exp_start_s = us / 1e6;
		return 0;
	}
	if (c->nspikes >= MAX_SPIKES)
		return 0;
	sp = &c->spikes[c->nspikes];
	if (!schema_match(SCHEMA_INFO_SPIKE_START, key, sp->name, sizeof(sp->name)))
		return 0;
	sp->start_s = us / 1e6;
	c->nspikes++;
	return 0;
}

/* Read the stored scenario (for the description and [report] keys); a
 * scenario that no longer parses (keys renamed since) is a warning, and
 * the keys' defaults are used. */
static void load_scenario(struct ctx *c)
{
	struct scenario *sc;
	struct error e;

	error_clear(&e);
	c->cfg = xmalloc(sizeof(*c->cfg));
	sc = runview_scenario(&c->run, &e);
	if (sc) {
		config_fill(c->cfg, sc);
		c->primary_set = scenario_is_set(sc, "ab", "primary");
		c->guardrails_set = scenario_is_set(sc, "ab", "guardrails");
		/* the arms' rankers and shares, for the A/B section; none when
		 * the stored [ab] no longer loads */
		if (config_ab_arms(c->cfg, sc, &e) < 0)
			c->cfg->ab.n_arms = 0;
		scenario_free(sc);
	} else {
		fmt_append(c->warn, sizeof(c->warn), "stored scenario does not parse with this "
			   "build (%s); report defaults used", e.msg);
		config_defaults(c->cfg);
	}
	c->end_s = (double)(c->cfg->run.warmup_days + c->cfg->run.experiment_days) * 86400.0;
	c->plots = c->cfg->report.plots;
	c->want_md = c->cfg->report.formats != CONFIG_FORMATS_HTML;
	c->want_html = c->cfg->report.formats != CONFIG_FORMATS_MD;
}

static int loadtest_cb(const struct results_run *run, void *ctx)
{
	struct ctx *c = ctx;
	struct loadtest *l;

	if (run->run_id == c->run.run_id || strcmp(run->name, schema_name(SCHEMA_RUN_LOADTEST)) ||
	    (c->only_lt && run->run_id != c->only_lt))
		return 0;
	if (c->nlt == MAX_LOADTESTS) {
		c->lt_omitted++;
		return 0;
	}
	l = &c->lt[c->nlt++];
	l->run_id = run->run_id;
	snprintf(l->started, sizeof(l->started), "%s", run->started_utc);
	snprintf(l->host, sizeof(l->host), "%s", run->host);
	l->fig = -1;
	return 0;
}

static int ope_cb(const struct opestore_estimate *e, void *ctx)
{
	struct ctx *c = ctx;
	struct ope_row *o;

	if (c->nope >= MAX_OPE)
		return 0;
	o = &c->ope[c->nope++];
	memset(o, 0, sizeof(*o));
	snprintf(o->target, sizeof(o->target), "%s", e->target);
	snprintf(o->reward, sizeof(o->reward), "%s", e->reward);
	snprintf(o->estimator, sizeof(o->estimator), "%s", e->estimator);
	snprintf(o->why, sizeof(o->why), "%s", e->why);
	o->estimable = e->estimable;
	o->rounds = e->rounds;
	o->truth_rounds = e->truth_rounds;
	o->nonzero = e->nonzero;
	o->estimate = e->estimate;
	o->lo = e->lo;
	o->hi = e->hi;
	o->truth = e->truth;
	o->truth_se = e->truth_se;
	o->model_truth = e->model_truth;
	o->ess = e->ess;
	return 0;
}

static int ope_sum_cb(const struct opestore_summary *e, void *ctx)
{
	struct ctx *c = ctx;
	struct ope_row *o;

	if (c->nopesum >= MAX_OPE)
		return 0;
	o = &c->opesum[c->nopesum++];
	memset(o, 0, sizeof(*o));
	snprintf(o->target, sizeof(o->target), "%s", e->target);
	snprintf(o->reward, sizeof(o->reward), "%s", e->reward);
	snprintf(o->estimator, sizeof(o->estimator), "%s", e->estimator);
	o->replications = e->replications;
	o->bias = e->mean_bias;
	o->rmse = e->rmse;
	o->coverage = e->coverage;
	o->coverage_lo = e->coverage_lo;
	o->coverage_hi = e->coverage_hi;
	o->width = e->mean_width;
	o->model_bias = e->model_mean_bias;
	o->model_rmse = e->model_rmse;
	o->model_coverage = e->model_coverage;
	return 0;
}

static int read_all(struct ctx *c, struct error *err)
{
	int rc;

	rc = results_each_abtest_mode(c->r, c->run.run_id, mode_cb, c, err);
	for (size_t i = 0; rc == 0 && i < c->nmodes; i++)
		rc = results_get_abtest(c->r, c->run.run_id, c->modes[i], &c->ab[i], err);
	if (rc == 0)
		rc = results_get_bias(c->r, c->run.run_id, c->bias, err);
	if (rc == 0)
		rc = results_get_slo(c->r, c->run.run_id, &c->slo, err);
	if (rc == 0)
		rc = results_get_conservation(c->r, c->run.run_id, c->cons,
					      sizeof(c->cons) / sizeof(c->cons[0]), &c->ncons, err);
	if (rc == 0)
		rc = results_each_series_name(c->r, c->run.run_id, arm_series_cb, c, err);
	if (rc == 0)
		rc = results_each_info(c->r, c->run.run_id, spike_cb, c, err);
	if (rc == 0)
		rc = checkstore_get(c->r, c->run.run_id, c->val, err);
	if (rc == 0)
		rc = results_each_run(c->r, loadtest_cb, c, err);
	for (size_t i = 0; rc == 0 && i < c->nlt; i++)
		rc = results_get_slo(c->r, c->lt[i].run_id, &c->lt[i].slo, err);
	if (rc == 0)
		rc = opestore_each_estimate(c->r, c->run.run_id, ope_cb, c, err);
	if (rc == 0)
		rc = opestore_each_summary(c->r, c->run.run_id, ope_sum_cb, c, err);
	return rc;
}

/* ---- plots -------------------------------------------------------------- */

/* Load a series of run `id`; 1 when present, 0 when absent, < 0 on error. */
static int load_run(struct ctx *c, int64_t id, enum schema_id name, struct results_series *s,
		    struct error *err)
{
	int rc = results_get_series(c->r, id, schema_name(name), s, err);

	if (rc == ERR_NOTFOUND) {
		error_clear(err);
		return 0;
	}
	return rc < 0 ? rc : 1;
}

static int load(struct ctx *c, enum schema_id name, struct results_series *s, struct error *err)
{
	return load_run(c, c->run.run_id, name, s, err);
}

/* Wait for figure i's drawing: a gnuplot failure becomes a warning (the
 * figure is not shown), an image that cannot be written an error. */
static int finish_fig(struct ctx *c, size_t i, struct error *err)
{
	struct fig *f = &c->figs[i];
	struct error pe;
	int rc;

	if (!f->job)
		return 0;
	error_clear(&pe);
	rc = plot_job_finish(f->job, &pe);
	f->job = NULL;
	c->njobs--;
	if (rc == 0)
		return 0;
	f->failed = true;
	if (rc == ERR_UNAVAILABLE) {
		if (c->plots)
			fmt_append(c->warn, sizeof(c->warn), "%s", pe.msg);
		c->plots = false;
		return 0;
	}
	if (rc == ERR_IO) {
		*err = pe;
		return rc;
	}
	fmt_append(c->warn, sizeof(c->warn), "plot '%s' failed: %s", f->base, pe.msg);
	return 0;
}

/* Wait for every figure still drawing; the first error is returned, the
 * rest are waited for all the same (no process or file is left). */
static int finish_figs(struct ctx *c, struct error *err)
{
	int rc = 0;

	for (size_t i = 0; i < c->nfigs; i++) {
		struct error e2;
		int r2 = finish_fig(c, i, rc < 0 ? &e2 : err);

		if (rc == 0)
			rc = r2;
	}
	return rc;
}

/* Start drawing and register a figure; at most PLOT_JOBS draw at once. */
static int render(struct ctx *c, struct plot *p, const char *base, const char *caption,
		  struct error *err)
{
	struct plot_job *job;
	struct error pe;
	char *path;
	int rc;

	for (size_t i = 0; c->njobs >= PLOT_JOBS && i < c->nfigs; i++)
		if ((rc = finish_fig(c, i, err)) < 0) {
			plot_free(p);
			return rc;
		}
	if (!c->plots || c->nfigs >= MAX_FIGS) {
		plot_free(p);
		return 0;
	}
	path = xasprintf("%s/%s", c->plots_dir, base);
	error_clear(&pe);
	rc = plot_render_start(p, path, PLOT_PNG | PLOT_SVG, &job, &pe);
	free(path);
	plot_free(p);
	if (rc == ERR_UNAVAILABLE) {
		c->plots = false;
		fmt_append(c->warn, sizeof(c->warn), "%s", pe.msg);
		return 0;
	}
	if (rc < 0) {
		if (rc == ERR_IO) {
			*err = pe;
			return rc;
		}
		fmt_append(c->warn, sizeof(c->warn), "plot '%s' failed: %s", base, pe.msg);
		return 0;
	}
	memset(&c->figs[c->nfigs], 0, sizeof(c->figs[0]));
	snprintf(c->figs[c->nfigs].base, sizeof(c->figs[0].base), "%s", base);
	snprintf(c->figs[c->nfigs].caption, sizeof(c->figs[0].caption), "%s", caption);
	c->figs[c->nfigs].job = job;
	c->njobs++;
	c->nfigs++;
	return 0;
}

/* Every time plot: the experiment's start (the warm-up before it), the
 * spikes, and an x axis that ends where the run ends. */
static void spikes_on(const struct ctx *c, struct plot *p, const struct runview_axis *ax)
{
	if (isfinite(c->exp_start_s) && c->exp_start_s > 0) {
		plot_shade(p, 0, c->exp_start_s / ax->div, "warm-up (everyone on the control)");
		plot_vline(p, c->exp_start_s / ax->div, "experiment starts");
	}
	for (size_t i = 0; i < c->nspikes; i++) {
		char *label = xasprintf("spike %s", c->spikes[i].name);

		plot_vline(p, c->spikes[i].start_s / ax->div, label);
		free(label);
	}
	if (c->end_s > 0)
		plot_set_xrange(p, 0, c->end_s / ax->div);
}

/* Most points a time plot draws per line: finer series are merged into
 * wider buckets (the report's speed and the SVGs' size depend on it; a
 * 900-pixel plot shows no more). */
#define PLOT_POINTS_MAX 1500

/* Fit a stored series to its plot: buckets that end after the run's end
 * (the drain after the last day, a partial last day) are dropped, then
 * every f consecutive buckets are merged into one (counts and sums added,
 * max and percentiles the highest of the merged, p50 their count-weighted
 * mean, last the last).  Returns f (1: unchanged). */
static size_t fit_series(const struct ctx *c, struct results_series *s)
{
	size_t f, m;
	double w = (double)s->width / 1e6;

	while (c->end_s > 0 && s->n > 0 && s->start_s[s->n - 1] + w > c->end_s + 1e-6)
		s->n--;
	f = (s->n + PLOT_POINTS_MAX - 1) / PLOT_POINTS_MAX;
	/* whole minutes of a nice size: 5, 10, 15, 30, 60 ... */
	if (f > 1) {
		static const size_t nice[] = { 2, 5, 10, 15, 20, 30, 60, 120, 240, 360, 720, 1440 };

		for (size_t i = 0; i < sizeof(nice) / sizeof(nice[0]); i++)
			if (nice[i] >= f) {
				f = nice[i];
				break;
			}
	}
	if (f <= 1)
		return 1;
	m = s->n / f;    /* a last partial group is dropped too */
	for (size_t g = 0; g < m; g++) {
		size_t a = g * f;
		double count = 0, sum = 0, mx = -INFINITY, p50w = 0, p90 = -INFINITY,
		       p99 = -INFINITY, mn = INFINITY;

		for (size_t i = a; i < a + f; i++) {
			count += s->count[i];
			sum += s->sum[i];
			if (s->max[i] > mx)
				mx = s->max[i];
			if (s->min[i] < mn)
				mn = s->min[i];
			if (s->has_hist) {
				p50w += s->p50[i] * s->count[i];
				if (s->p90[i] > p90)
					p90 = s->p90[i];
				if (s->p99[i] > p99)
					p99 = s->p99[i];
			}
		}
		s->start_s[g] = s->start_s[a];
		s->last[g] = s->last[a + f - 1];
		s->count[g] = count;
		s->sum[g] = sum;
		s->max[g] = mx;
		s->min[g] = mn;
		if (s->has_hist) {
			s->p50[g] = count > 0 ? p50w / count : NAN;
			s->p90[g] = p90;
			s->p99[g] = p99;
		}
	}
	s->n = m;
	s->width *= (simtime)f;
	return f;
}

/* " (15-minute buckets: counts per minute averaged, p99 and max the highest
 * minute's)" for a merged series, "" otherwise. */
static void bucket_note(const struct results_series *s, size_t f, char *buf, size_t n)
{
	if (f <= 1)
		snprintf(buf, n, "%s", "");
	else
		snprintf(buf, n, " Buckets of %.0f minutes, %zu stored buckets each (rates averaged, "
			 "p99 and max the highest of them).", (double)s->width / 60e6, f);
}

/* y[i] = f(series, i) into a new array. */
static double *derive(const struct results_series *s, double (*f)(const struct results_series *, size_t, double),
		      double k)
{
	double *y = xcalloc(s->n ? s->n : 1, sizeof(double));

	for (size_t i = 0; i < s->n; i++)
		y[i] = f(s, i, k);
	return y;
}

static double per_minute(const struct results_series *s, size_t i, double k)
{
	(void)k;
	return s->count[i] / ((double)s->width / 60e6);
}

static double scaled_max(const struct results_series *s, size_t i, double k)
{
	return s->max[i] / k;
}

static double scaled_last(const struct results_series *s, size_t i, double k)
{
	return s->last[i] / k;
}

static double scaled_p50(const struct results_series *s, size_t i, double k)
{
	return s->p50[i] / k;
}

static double scaled_p99(const struct results_series *s, size_t i, double k)
{
	return s->p99[i] / k;
}

static double scaled_mean(const struct results_series *s, size_t i, double k)
{
	return s->count[i] > 0 ? s->sum[i] / s->count[i] / k : NAN;
}

/* Add one derived line for series s (left or right axis); on a log axis
 * a value of 0 or less has no place and is left out. */
static void line(struct plot *p, const struct runview_axis *ax, const struct results_series *s,
		 const char *title, double (*f)(const struct results_series *, size_t, double),
		 double k, bool y2, bool logy)
{
	double *x = runview_axis_x(ax, s), *y = derive(s, f, k);

	for (size_t i = 0; logy && !y2 && i < s->n; i++)
		if (!(y[i] > 0))
			y[i] = NAN;
	if (y2)
		plot_add_y2(p, title, PLOT_LINES, x, y, s->n);
	else
		plot_add(p, title, PLOT_LINES, x, y, s->n);
	free(x);
	free(y);
}

static struct plot *time_plot(const char *title, const struct runview_axis *ax,
			      const char *ylabel, const char *y2label)
{
	struct plot *p = plot_new(title);

	plot_set_labels(p, ax->label, ylabel, y2label);
	return p;
}

/* Up to n series by name; *loaded counts the present ones. */
static int load_many(struct ctx *c, const enum schema_id *names, struct results_series *s,
		     bool *have, size_t n, size_t *loaded, struct error *err)
{
	*loaded = 0;
	for (size_t i = 0; i < n; i++) {
		int rc = load(c, names[i], &s[i], err);

		if (rc < 0) {
			for (size_t k = 0; k < i; k++)
				if (have[k])
					results_series_release(&s[k]);
			return rc;
		}
		have[i] = rc == 1;
		*loaded += have[i];
	}
	return 0;
}

static void release_many(struct results_series *s, const bool *have, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (have[i])
			results_series_release(&s[i]);
}

static const struct results_series *first_of(const struct results_series *s, const bool *have,
					     size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (have[i])
			return &s[i];
	return NULL;
}

/* Figures of series over simulated time, drawn by plot_time: each line is
 * one series of the figure through a value function, drawn when that
 * series is present (and, for `when`, keeps histograms or not). */
enum when { ALWAYS, WITH_HIST, WITHOUT_HIST };

struct line_spec {
	const char *title;         /* NULL ends the lines */
	int series;                /* index into time_fig.series */
	double (*f)(const struct results_series *, size_t, double);
	double k;
	bool y2;                   /* on the right axis */
	enum when when;
};

struct time_fig {
	const char *base, *title, *ylabel;
	const char *y2label;       /* shown when a right-axis line is drawn */
	const char *caption;
	enum schema_id series[3];  /* by name; SCHEMA_NONE ends */
	bool needs_first;          /* drawn only with series[0] (else with any) */
	double hline;              /* an objective line; 0: from [slo] (fig_objective); NaN: none */
	const char *hlabel;
	struct line_spec lines[6];
	bool logy;                 /* log y axis (latencies spanning decades) */
	bool from0;                /* y axes start at 0 (counts, gauges) */
};

static const struct time_fig time_figs[] = {
	{ "sessions", "Sessions per minute", "sessions / min", NULL,
	  "Sessions started per minute of simulated time.",
	  { SCHEMA_SERIES_SESSIONS }, false, NAN, NULL,
	  { { "sessions started", 0, per_minute, 1, false, ALWAYS } }, false, true },
	{ "queue", "Stream queue", "messages (max per bucket)", NULL,
	  "PIT queue depth (visible messages) and messages in flight, the maximum per bucket.",
	  { SCHEMA_SERIES_QUEUE_DEPTH, SCHEMA_SERIES_QUEUE_INFLIGHT }, false, NAN, NULL,
	  { { "queue depth (visible)", 0, scaled_max, 1, false, ALWAYS },
	    { "in flight", 1, scaled_max, 1, false, ALWAYS } }, false, true },
	{ "workers", "Stream workers", "busy workers (max per bucket)", NULL,
	  "Stream worker concurrency: busy workers, the maximum per bucket.",
	  { SCHEMA_SERIES_WORKERS }, false, NAN, NULL,
	  { { "busy workers", 0, scaled_max, 1, false, ALWAYS } }, false, true },
	{ "reflection", "Streaming reflection time", "seconds (log scale)", NULL,
	  "Streaming path: reflection time (event emitted to value readable) per bucket, p50, "
	  "p99 and max, and the age of the oldest queued message, against the p99 objective "
	  "([slo] reflection_p99).",
	  { SCHEMA_SERIES_REFLECTION, SCHEMA_SERIES_QUEUE_OLDEST }, true, 0, "SLO p99",
	  { { "p50", 0, scaled_p50, 1e6, false, WITH_HIST },
	    { "p99", 0, scaled_p99, 1e6, false, WITH_HIST },
	    { "mean", 0, scaled_mean, 1e6, false, WITHOUT_HIST },
	    { "max", 0, scaled_max, 1e6, false, ALWAYS },
	    { "oldest queued message age (max)", 1, scaled_max, 1e6, false, ALWAYS } }, true,
	  false },
	{ "freshness", "Batch feature freshness", "hours", NULL,
	  "Batch path: age of the batch features a page was ranked with (now minus the end of "
	  "the window they summarise), p99 and mean per bucket. A daily job makes it a sawtooth; "
	  "the line is the age a daily job keeps it under (24 h plus the lag of the window's end "
	  "behind [batch] run_at; the job's own run time comes on top). The streaming objective "
	  "does not apply to it.",
	  { SCHEMA_SERIES_FRESHNESS }, true, 0, "daily batch bound",
	  { { "feature age at read, p99", 0, scaled_p99, 3.6e9, false, WITH_HIST },
	    { "feature age at read, mean", 0, scaled_mean, 3.6e9, false, ALWAYS } }, false, true },
	{ "latency", "Endpoint latency", "milliseconds (log scale)", "instances",
	  "End-to-end endpoint latency per bucket (p50, p99; log scale) against the p99 objective "
	  "([slo] latency_p99), with the instance count on the right axis.",
	  { SCHEMA_SERIES_LATENCY, SCHEMA_SERIES_INSTANCES }, true, 0, "SLO p99",
	  { { "p50", 0, scaled_p50, 1e3, false, WITH_HIST },
	    { "p99", 0, scaled_p99, 1e3, false, WITH_HIST },
	    { "mean", 0, scaled_mean, 1e3, false, WITHOUT_HIST },
	    { "max", 0, scaled_max, 1e3, false, WITHOUT_HIST },
	    { "instances (right axis)", 1, scaled_last, 1, true, ALWAYS } }, true, false },
	{ "requests", "Endpoint requests and errors", "requests / min", "errors / min",
	  "Home-page requests and failed requests (timeouts, rejections) per minute.",
	  { SCHEMA_SERIES_REQUESTS, SCHEMA_SERIES_ERRORS }, false, NAN, NULL,
	  { { "requests", 0, per_minute, 1, false, ALWAYS },
	    { "errors (right axis)", 1, per_minute, 1, true, ALWAYS } }, false, true },
};

/* The objective line of a figure: a time of the stored scenario's [slo]
 * (0 there: no line), in the figure's unit (f->hline: 0 marks "from
 * [slo]"; NaN: none). */
static void fig_objective(const struct ctx *c, const struct time_fig *f, struct plot *p)
{
	const struct config_slo *o = &c->cfg->slo;
	simtime us;
	double unit;
	char label[96], v[32];

	if (!isfinite(f->hline))
		return;
	if (f->hline != 0) {
		plot_hline(p, f->hline, f->hlabel);
		return;
	}
	if (!strcmp(f->base, "latency")) {
		us = o->latency_p99;
		unit = 1e3;
	} else if (!strcmp(f->base, "freshness")) {
		/* The window ends at H = floor_hour(run_at - interval - delay)
		 * (engine/batchjob.h); the next job replaces it 24 h later. */
		const struct batchjob_config *b = &c->cfg->batch;
		simtime h = b->workflow.run_at - b->firehose.interval - b->firehose.delay;

		h = h >= 0 ? h - h % SIMTIME_HOUR : -((-h + SIMTIME_HOUR - 1) / SIMTIME_HOUR) *
		    SIMTIME_HOUR;
		us = SIMTIME_DAY + b->workflow.run_at - h;
		snprintf(label, sizeof(label), "%s %.1f h", f->hlabel, (double)us / 3.6e9);
		plot_hline(p, (double)us / 3.6e9, label);
		return;
	} else {
		us = o->reflection_p99;
		unit = 1e6;
	}
	if (us <= 0)
		return;
	slo_format_us(v, sizeof(v), (double)us);
	snprintf(label, sizeof(label), "%s %s", f->hlabel, v);
	plot_hline(p, (double)us / unit, label);
}

/* One figure of time_figs; nothing when its series are absent. */
static int plot_time(struct ctx *c, const struct time_fig *f, struct error *err)
{
	struct results_series s[3];
	bool have[3];
	size_t ns = 0, n, merged = 1;
	struct runview_axis ax;
	const char *y2 = NULL;
	char caption[sizeof(c->figs[0].caption)], note[160];
	struct plot *p;
	int rc;

	while (ns < 3 && f->series[ns] != SCHEMA_NONE)
		ns++;
	rc = load_many(c, f->series, s, have, ns, &n, err);
	if (rc < 0)
		return rc;
	if (n == 0 || (f->needs_first && !have[0])) {
		release_many(s, have, ns);
		return 0;
	}
	for (size_t i = 0; i < ns; i++)
		if (have[i]) {
			size_t m = fit_series(c, &s[i]);

			if (m > merged)
				merged = m;
		}
	runview_axis_for(&ax, first_of(s, have, ns));
	for (const struct line_spec *l = f->lines; l->title; l++)
		if (l->y2 && have[l->series])
			y2 = f->y2label;
	p = time_plot(f->title, &ax, f->ylabel, y2);
	if (f->logy)
		plot_set_log(p, false, true);
	if (f->from0)
		plot_set_yrange(p, 0, NAN);
	plot_set_y2range(p, 0, NAN);    /* the right axes hold counts */
	for (const struct line_spec *l = f->lines; l->title; l++) {
		const struct results_series *ls = &s[l->series];

		if (have[l->series] && (l->when == ALWAYS || (l->when == WITH_HIST) == ls->has_hist))
			line(p, &ax, ls, l->title, l->f, l->k, l->y2, f->logy);
	}
	fig_objective(c, f, p);
	spikes_on(c, p, &ax);
	bucket_note(first_of(s, have, ns), merged, note, sizeof(note));
	snprintf(caption, sizeof(caption), "%s Shaded: the warm-up; dashed lines: the "
		 "experiment's start and spike starts.%s", f->caption, note);
	release_many(s, have, ns);
	return render(c, p, f->base, caption, err);
}

/* The arms side by side: a per-arm series (SCHEMA_SERIES_EXPOSURES or
 * _ENGAGEMENT) of each arm, per-minute counts summed up over time, or
 * daily counts as points on a day axis. */
static int plot_arms(struct ctx *c, enum schema_id name, bool daily, const char *title,
		     const char *ylabel, const char *base, const char *caption,
		     struct error *err)
{
	struct results_series s[MAX_ARMS];
	bool have[MAX_ARMS] = { false };
	size_t n = 0;
	struct runview_axis ax;
	struct plot *p;
	int rc = 0;

	for (size_t a = 0; a < c->narms && rc == 0; a++) {
		char *key = schema_key(name, c->arms[a]);

		rc = results_get_series(c->r, c->run.run_id, key, &s[a], err);
		free(key);
		if (rc == ERR_NOTFOUND) {
			error_clear(err);
			rc = 0;
			continue;
		}
		have[a] = rc == 0;
		n += have[a];
	}
	if (rc < 0 || n == 0) {
		release_many(s, have, c->narms);
		return rc;
	}
	/* A partial last bucket (the drain after the last day) is dropped. */
	for (size_t a = 0; a < c->narms; a++)
		if (have[a])
			fit_series(c, &s[a]);
	if (daily) {
		ax.div = 86400;
		ax.label = "simulated time (days)";
	} else {
		runview_axis_for(&ax, first_of(s, have, c->narms));
	}
	p = time_plot(title, &ax, ylabel, NULL);
	plot_set_yrange(p, 0, NAN);
	for (size_t a = 0; a < c->narms; a++) {
		double *x, *y, sum = 0;

		if (!have[a])
			continue;
		x = runview_axis_x(&ax, &s[a]);
		y = xcalloc(s[a].n ? s[a].n : 1, sizeof(double));
		/* Cumulative counts start at the experiment: the warm-up's pages
		 * all went to the control and are no part of the split. */
		for (size_t i = 0; i < s[a].n; i++)
			y[i] = daily ? s[a].count[i] : isfinite(c->exp_start_s) &&
			       s[a].start_s[i] < c->exp_start_s ? NAN : (sum += s[a].count[i]);
		plot_add(p, c->arms[a], daily ? PLOT_LINESPOINTS : PLOT_LINES, x, y, s[a].n);
		free(x);
		free(y);
	}
	spikes_on(c, p, &ax);
	release_many(s, have, c->narms);
	return render(c, p, base, caption, err);
}

static int plot_exposures(struct ctx *c, struct error *err)
{
	return plot_arms(c, SCHEMA_SERIES_EXPOSURES, false, "Cumulative exposures per arm, "
			 "from the experiment's start", "home pages served", "exposures",
			 "Cumulative home-page exposures per arm, counted from the experiment's start "
			 "(during the warm-up, shaded, every user gets the control ranker). Dashed lines: "
			 "the experiment's start and spike starts.", err);
}

static int plot_engagement(struct ctx *c, struct error *err)
{
	return plot_arms(c, SCHEMA_SERIES_ENGAGEMENT, true, "Daily engagement per arm",
			 "engagement actions per day", "engagement", "Engagement actions (likes, "
			 "follows, notification enables) per simulated day and arm; warm-up days "
			 "are all control-ranked (shaded: the arms' users differ only after it); a "
			 "partial last day is not drawn.", err);
}

/* "forest" or, when the label is not the ranker's name, "treatment (forest)". */
static void arm_title(const struct abtest_arm *a, char *buf, size_t n)
{
	if (*a->ranker && strcmp(a->ranker, a->name))
		snprintf(buf, n, "%s (%s)", a->name, a->ranker);
	else
		snprintf(buf, n, "%s", a->name);
}

/* A metric's relative lift is drawable: estimable, with a finite interval. */
static bool drawable(const struct abtest_row *r)
{
	return r && r->estimable && isfinite(abtest_tested(r)->rel) &&
	       isfinite(abtest_tested(r)->rel_lo) && isfinite(abtest_tested(r)->rel_hi);
}

/* Per mode, the relative lift of each metric with its interval: one row
 * per metric, one series (point + interval) per treatment arm. */
static int plot_lifts(struct ctx *c, struct error *err)
{
	for (size_t m = 0; m < c->nmodes; m++) {
		const struct abtest *a = &c->ab[m];
		const struct abtest_arm *first = a->n_arms ? &a->arms[0] : NULL;
		const char *labels[ABTEST_ROWS_MAX];
		double est[ABTEST_ROWS_MAX], lo[ABTEST_ROWS_MAX], hi[ABTEST_ROWS_MAX];
		size_t n = 0;
		char base[48], title[96], caption[240], name[100];
		struct plot *p;
		int rc;

		/* the rows: metrics drawable in at least one arm, in the first
		 * arm's order */
		for (size_t i = 0; first && i < first->n_rows; i++)
			for (size_t k = 0; k < a->n_arms; k++)
				if (drawable(abtest_find(&a->arms[k], first->rows[i].name))) {
					labels[n++] = first->rows[i].name;
					break;
				}
		if (n == 0)
			continue;
		snprintf(base, sizeof(base), "lifts-%s", c->modes[m]);
		snprintf(title, sizeof(title), "Relative lifts (%s)", c->modes[m]);
		if (a->n_arms == 1)
			snprintf(caption, sizeof(caption), "Relative lift of each metric, treatment "
				 "vs control (%s), with the %.0f %% interval of the row's test (not "
				 "adjusted for multiplicity); 0 = no effect.",
				 c->modes[m], 100 * (1 - a->alpha));
		else
			snprintf(caption, sizeof(caption), "Relative lift of each metric, each "
				 "treatment arm vs control (%s; one colour per arm), with %.0f %% "
				 "intervals (not adjusted for multiplicity); 0 = no effect.",
				 c->modes[m], 100 * (1 - a->alpha));
		p = plot_new(title);
		plot_set_labels(p, "relative lift (%)", NULL, NULL);
		plot_set_size(p, 900, 140 + (int)n * (a->n_arms > 1 ? 16 * (int)a->n_arms + 12 : 28));
		for (size_t k = 0; k < a->n_arms; k++) {
			for (size_t i = 0; i < n; i++) {
				const struct abtest_row *r = abtest_find(&a->arms[k], labels[i]);
				bool ok = drawable(r);

				est[i] = ok ? 100 * abtest_tested(r)->rel : NAN;
				lo[i] = ok ? 100 * abtest_tested(r)->rel_lo : NAN;
				hi[i] = ok ? 100 * abtest_tested(r)->rel_hi : NAN;
			}
			if (a->n_arms == 1) {
				plot_forest(p, labels, est, lo, hi, n);
				continue;
			}
			arm_title(&a->arms[k], name, sizeof(name));
			plot_forest_series(p, name, labels, est, lo, hi, n, k, a->n_arms);
		}
		rc = render(c, p, base, caption, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Off-policy evaluation: per (target, reward), each estimator's estimate
 * minus the truth with its interval (0 = the truth); over replications,
 * each replication's estimate against its truth. */
static bool same_group(const struct ope_row *a, const struct ope_row *b)
{
	return !strcmp(a->target, b->target) && !strcmp(a->reward, b->reward);
}

static int plot_ope_run(struct ctx *c, size_t first, struct error *err)
{
	const struct ope_row *g = &c->ope[first];
	const char *labels[MAX_OPE];
	double est[MAX_OPE], lo[MAX_OPE], hi[MAX_OPE];
	bool truth = !isnan(g->truth);
	char base[48], title[128], caption[240];
	struct plot *p;
	size_t n = 0;

	for (size_t i = first; i < c->nope && same_group(&c->ope[i], g); i++) {
		const struct ope_row *o = &c->ope[i];
		double t = truth ? o->truth : 0;

		labels[n] = o->estimator;
		est[n] = o->estimable ? o->estimate - t : NAN;
		lo[n] = o->estimable ? o->lo - t : NAN;
		hi[n++] = o->estimable ? o->hi - t : NAN;
	}
	snprintf(base, sizeof(base), "ope-%.20s-%.14s", g->target, g->reward);
	snprintf(title, sizeof(title), "Off-policy estimates of '%s' (%s)%s", g->target, g->reward,
		 truth ? " minus the truth" : "");
	if (truth)
		snprintf(caption, sizeof(caption), "Each estimator's estimate of the value of '%s' "
			 "(%s per page) minus the truth measured online in its twin world, with "
			 "its interval; 0 = the truth (%.4g).", g->target, g->reward, g->truth);
	else
		snprintf(caption, sizeof(caption), "Each estimator's estimate of the value of '%s' "
			 "(%s per page) with its interval (no truth world).", g->target, g->reward);
	p = plot_new(title);
	plot_set_labels(p, truth ? "estimate - truth" : "estimate", NULL, NULL);
	plot_set_size(p, 900, 140 + 28 * (int)n);
	plot_forest(p, labels, est, lo, hi, n);
	if (truth && !isnan(g->model_truth))
		plot_vline(p, g->model_truth - g->truth, "closed form");
	return render(c, p, base, caption, err);
}

struct rep_points {
	char target[48], reward[24];
	size_t n[OPE_ESTIMATORS];
	double *x[OPE_ESTIMATORS], *y[OPE_ESTIMATORS], *lo[OPE_ESTIMATORS], *hi[OPE_ESTIMATORS];
	size_t cap[OPE_ESTIMATORS];
	double xmin, xmax;
};

static int rep_cb(const struct opestore_replication *e, void *ctx)
{
	struct rep_points *r = ctx;
	int k = ope_estimator_from_name(e->estimator);
	size_t i;

	if (k < 0 || strcmp(e->target, r->target) || strcmp(e->reward, r->reward) ||
	    isnan(e->truth) || isnan(e->estimate))
		return 0;
	if (r->n[k] == r->cap[k]) {
		size_t cap = r->cap[k] ? 2 * r->cap[k] : 16;

		r->x[k] = xreallocarray(r->x[k], cap, sizeof(double));
		r->y[k] = xreallocarray(r->y[k], cap, sizeof(double));
		r->lo[k] = xreallocarray(r->lo[k], cap, sizeof(double));
		r->hi[k] = xreallocarray(r->hi[k], cap, sizeof(double));
		r->cap[k] = cap;
	}
	i = r->n[k]++;
	r->x[k][i] = e->truth;
	r->y[k][i] = e->estimate;
	r->lo[k][i] = e->lo;
	r->hi[k][i] = e->hi;
	r->xmin = fmin(r->xmin, fmin(e->truth, e->estimate));
	r->xmax = fmax(r->xmax, fmax(e->truth, e->estimate));
	return 0;
}

static int plot_ope_replications(struct ctx *c, const struct ope_row *g, struct error *err)
{
	struct rep_points r;
	char base[64], title[128], caption[240];
	struct plot *p;
	int rc;

	memset(&r, 0, sizeof(r));
	snprintf(r.target, sizeof(r.target), "%s", g->target);
	snprintf(r.reward, sizeof(r.reward), "%s", g->reward);
	r.xmin = INFINITY;
	r.xmax = -INFINITY;
	rc = opestore_each_replication(c->r, c->run.run_id, rep_cb, &r, err);
	if (rc == 0 && isfinite(r.xmin)) {
		double dx[2] = { r.xmin, r.xmax };

		snprintf(base, sizeof(base), "ope-%.20s-%.14s-replications", g->target, g->reward);
		snprintf(title, sizeof(title), "Estimate vs truth of '%s' (%s), %zu replications",
			 g->target, g->reward, g->replications);
		snprintf(caption, sizeof(caption), "Each replication (a seed): an estimator's "
			 "estimate of '%s' with its interval against the truth measured online; "
			 "on the diagonal, estimate = truth.", g->target);
		p = plot_new(title);
		plot_set_labels(p, "truth (online, twin world)", "estimate", NULL);
		plot_set_size(p, 900, 600);
		plot_add(p, "estimate = truth", PLOT_LINES, dx, dx, 2);
		for (int k = 0; k < OPE_ESTIMATORS; k++)
			if (r.n[k])
				plot_add_errorbars(p, ope_estimator_name((enum ope_estimator)k), r.x[k],
						   r.y[k], r.lo[k], r.hi[k], r.n[k]);
		rc = render(c, p, base, caption, err);
	}
	for (int k = 0; k < OPE_ESTIMATORS; k++) {
		free(r.x[k]);
		free(r.y[k]);
		free(r.lo[k]);
		free(r.hi[k]);
	}
	return rc;
}

static int plot_ope(struct ctx *c, struct error *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < c->nope; i++)
		if (i == 0 || !same_group(&c->ope[i], &c->ope[i - 1])) {
			size_t before = c->nfigs;

			rc = plot_ope_run(c, i, err);
			if (c->nfigs > before)
				c->figs[before].in_section = true;
		}
	for (size_t i = 0; rc == 0 && i < c->nopesum; i++)
		if (i == 0 || !same_group(&c->opesum[i], &c->opesum[i - 1])) {
			size_t before = c->nfigs;

			rc = plot_ope_replications(c, &c->opesum[i], err);
			if (c->nfigs > before)
				c->figs[before].in_section = true;
		}
	return rc;
}

struct importance {
	size_t n, cap;
	char **feature;
	double *impurity, *permutation;
};

static int importance_cb(const char *feature, double impurity, double permutation, void *ctx)
{
	struct importance *im = ctx;

	if (im->n == im->cap) {
		im->cap = im->cap ? 2 * im->cap : 32;
		im->feature = xreallocarray(im->feature, im->cap, sizeof(char *));
		im->impurity = xreallocarray(im->impurity, im->cap, sizeof(double));
		im->permutation = xreallocarray(im->permutation, im->cap, sizeof(double));
	}
	im->feature[im->n] = xstrdup(feature);
	im->impurity[im->n] = impurity;
	im->permutation[im->n] = permutation;
	im->n++;
	return 0;
}

static void importance_release(struct importance *im)
{
	for (size_t i = 0; i < im->n; i++)
		free(im->feature[i]);
	free(im->feature);
	free(im->impurity);
	free(im->permutation);
	memset(im, 0, sizeof(*im));
}

/* Order of features by decreasing impurity importance, ties by name
 * (ctx: the struct importance, qsort_r). */
static int by_impurity(const void *a, const void *b, void *ctx)
{
	const struct importance *sort_im = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	double x = sort_im->impurity[i], y = sort_im->impurity[j];

	if (isnan(x))
		x = -INFINITY;
	if (isnan(y))
		y = -INFINITY;
	if (x != y)
		return x > y ? -1 : 1;
	return strcmp(sort_im->feature[i], sort_im->feature[j]);
}

static size_t *importance_order(const struct importance *im)
{
	size_t *idx = xcalloc(im->n ? im->n : 1, sizeof(size_t));

	for (size_t i = 0; i < im->n; i++)
		idx[i] = i;
	qsort_r(idx, im->n, sizeof(size_t), by_impurity, (void *)im);
	return idx;
}

static int plot_importance(struct ctx *c, const struct importance *im, struct error *err)
{
	size_t n = im->n < 25 ? im->n : 25, *idx;
	const char **labels;
	double *est, *lo;
	struct plot *p;

	if (n == 0)
		return 0;
	idx = importance_order(im);
	labels = xcalloc(n, sizeof(char *));
	est = xcalloc(n, sizeof(double));
	lo = xcalloc(n, sizeof(double));
	for (size_t i = 0; i < n; i++) {
		labels[i] = im->feature[idx[i]];
		est[i] = im->impurity[idx[i]];
	}
	p = plot_new("Forest feature importance (mean decrease in impurity)");
	plot_set_labels(p, "importance", NULL, NULL);
	plot_set_size(p, 900, 120 + 24 * (int)n);
	/* A bar from 0 to the value: an interval plot with lo = 0, hi = est. */
	plot_forest(p, labels, est, lo, est, n);
	free(idx);
	free(labels);
	free(est);
	free(lo);
	return render(c, p, "importance", "Impurity importance of the forest's features "
		      "(largest first; at most 25 shown).", err);
}

/* Area under a curve given as points in order of x (trapezoid rule). */
static double trapezoid(const double *x, const double *y, size_t n)
{
	double area = 0;

	for (size_t i = 1; i < n; i++)
		area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
	return area;
}

static int plot_curves(struct ctx *c, double *auc, struct error *err)
{
	static const double diag[2] = { 0, 1 };
	struct results_curve cv;
	struct plot *p;
	char caption[200];
	int rc;

	*auc = NAN;
	rc = results_get_curve(c->r, c->run.run_id, schema_name(SCHEMA_CURVE_ROC), &cv, err);
	if (rc == 0) {
		*auc = trapezoid(cv.x, cv.y, cv.len);
		p = plot_new("ROC of the model");
		plot_set_labels(p, "false-positive rate", "true-positive rate", NULL);
		plot_set_xrange(p, 0, 1);
		plot_set_yrange(p, 0, 1);
		plot_set_size(p, 600, 560);
		plot_add(p, "model", PLOT_LINES, cv.x, cv.y, cv.len);
		plot_add(p, "chance", PLOT_LINES, diag, diag, 2);
		results_curve_release(&cv);
		snprintf(caption, sizeof(caption), "ROC curve of the trained forest on held-out "
			 "impressions (AUC %.3f).", *auc);
		rc = render(c, p, "roc", caption, err);
		if (rc < 0)
			return rc;
	} else if (rc != ERR_NOTFOUND) {
		return rc;
	}
	error_clear(err);
	rc = results_get_curve(c->r, c->run.run_id, schema_name(SCHEMA_CURVE_CALIBRATION), &cv,
			       err);
	if (rc == ERR_NOTFOUND) {
		error_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	p = plot_new("Calibration of the model");
	plot_set_labels(p, "mean predicted probability", "observed rate", NULL);
	plot_set_xrange(p, 0, 1);
	plot_set_yrange(p, 0, 1);
	plot_set_size(p, 600, 560);
	plot_add(p, "model", PLOT_LINESPOINTS, cv.x, cv.y, cv.len);
	plot_add(p, "perfect", PLOT_LINES, diag, diag, 2);
	results_curve_release(&cv);
	return render(c, p, "calibration", "Calibration: observed engagement rate against "
		      "the mean prediction per bin.", err);
}

/* A load test's run fact; NULL when absent (caller frees). */
static char *lt_info(struct ctx *c, const struct loadtest *l, enum schema_id name)
{
	char *v = NULL;
	struct error e;

	error_clear(&e);
	if (results_get_info(c->r, l->run_id, schema_name(name), &v, &e) < 0)
		return NULL;
	return v;
}

/* Where the scenario's spikes fall in a scenario-shaped load test, in wall
 * seconds since its start: (spike start - window start) / speed. */
static void lt_spikes_on(struct ctx *c, const struct loadtest *l, struct plot *p, double wall_s)
{
	char *from = lt_info(c, l, SCHEMA_INFO_LT_FROM), *speed = lt_info(c, l,
									   SCHEMA_INFO_LT_COMPRESS);
	double f, x;

	if (from && speed && fmt_parse_double(from, &f) == 0 && fmt_parse_double(speed, &x) == 0 &&
	    x > 0)
		for (size_t i = 0; i < c->nspikes; i++) {
			double at = (c->spikes[i].start_s * 1e6 - f) / x / 1e6;
			char *label;

			if (at < 0 || at > wall_s)
				continue;
			label = xasprintf("spike %s", c->spikes[i].name);
			plot_vline(p, at, label);
			free(label);
		}
	free(from);
	free(speed);
}

/* Latency over time of one load test, from its stored per-second series:
 * p50, p90, p99 and max per wall second on a log axis, intended, achieved
 * and failed requests per second on the right axis, the objective and the
 * scenario's spikes. */
static int plot_loadtest(struct ctx *c, struct loadtest *l, struct error *err)
{
	static const enum schema_id names[] = { SCHEMA_SERIES_LT_LATENCY, SCHEMA_SERIES_LT_INTENDED,
					     SCHEMA_SERIES_LT_ACHIEVED, SCHEMA_SERIES_LT_ERRORS };
	static const char *const y2names[] = { NULL, "intended rps (right axis)",
					       "achieved rps (right axis)",
					       "failed rps (right axis)" };
	struct results_series s[4];
	bool have[4] = { false, false, false, false };
	double *y[7], wall = 0;
	char base[48], caption[300], label[96], v[32];
	char *target = lt_info(c, l, SCHEMA_INFO_LT_TARGET);
	simtime objective = target ? c->cfg->slo.latency_p99 : c->cfg->slo.serving_p99;
	struct plot *p;
	size_t before = c->nfigs;
	int rc = 0;

	for (size_t i = 0; i < 4 && rc >= 0; i++) {
		rc = load_run(c, l->run_id, names[i], &s[i], err);
		have[i] = rc == 1;
	}
	if (rc < 0 || !have[0]) {
		release_many(s, have, 4);
		free(target);
		return rc < 0 ? rc : 0;
	}
	for (size_t k = 0; k < 7; k++)
		y[k] = xcalloc(s[0].n ? s[0].n : 1, sizeof(double));
	for (size_t i = 0; i < s[0].n; i++) {
		/* The y axis is logarithmic: a 0 ms bucket (or an empty one) has
		 * no place on it and is left out. */
		y[0][i] = s[0].p50[i] > 0 ? s[0].p50[i] / 1e3 : NAN;
		y[1][i] = s[0].p90[i] > 0 ? s[0].p90[i] / 1e3 : NAN;
		y[2][i] = s[0].p99[i] > 0 ? s[0].p99[i] / 1e3 : NAN;
		y[3][i] = s[0].count[i] > 0 && s[0].max[i] > 0 ? s[0].max[i] / 1e3 : NAN;
	}
	if (s[0].n)
		wall = s[0].start_s[s[0].n - 1] + (double)s[0].width / 1e6;
	snprintf(base, sizeof(base), "loadtest-%lld", (long long)l->run_id);
	p = plot_new(target ? "Load test of an HTTP target: latency from intended start (host "
			      "measurement)"
			    : "Load test: latency from intended start (host measurement)");
	plot_set_labels(p, "wall-clock seconds since the start of the test", "latency (ms)",
			have[1] || have[2] || have[3] ? "requests per second" : NULL);
	plot_set_log(p, false, true);
	plot_add(p, "p50", PLOT_STEPS, s[0].start_s, y[0], s[0].n);
	plot_add(p, "p90", PLOT_STEPS, s[0].start_s, y[1], s[0].n);
	plot_add(p, "p99", PLOT_STEPS, s[0].start_s, y[2], s[0].n);
	plot_add(p, "max", PLOT_STEPS, s[0].start_s, y[3], s[0].n);
	for (size_t k = 1; k < 4; k++) {
		size_t n = s[k].n < s[0].n ? s[k].n : s[0].n;   /* y[3 + k] holds s[0].n */

		if (!have[k])
			continue;
		for (size_t i = 0; i < n; i++)
			y[3 + k][i] = s[k].count[i] / ((double)s[k].width / 1e6);
		plot_add_y2(p, y2names[k], PLOT_STEPS, s[k].start_s, y[3 + k], n);
	}
	if (objective > 0) {
		slo_format_us(v, sizeof(v), (double)objective);
		snprintf(label, sizeof(label), "p99 objective %s (%s)", v,
			 target ? "[slo] latency_p99" : "[slo] serving_p99");
		plot_hline(p, (double)objective / 1e3, label);
	}
	lt_spikes_on(c, l, p, wall);
	snprintf(caption, sizeof(caption), "Load test run %lld: latency from each request's "
		 "intended start per wall second (p50, p90, p99, max; log scale), with intended, "
		 "achieved and failed requests per second on the right axis; dashed lines mark "
		 "the scenario's spikes.", (long long)l->run_id);
	for (size_t k = 0; k < 7; k++)
		free(y[k]);
	release_many(s, have, 4);
	free(target);
	rc = render(c, p, base, caption, err);
	if (rc == 0 && c->nfigs > before) {
		c->figs[before].in_section = true;
		l->fig = (int)before;
	}
	return rc;
}

/* ---- writing -------------------------------------------------------------- */

static void write_header(struct ctx *c, struct doc *d)
{
	char wall[64];
	const char *desc = c->cfg->run.description;

	doc_heading(d, 1, "airtime report: %s", c->run.name);
	if (*desc)
		doc_para(d, "%s", desc);
	doc_item(d, "Scenario: %s%s", c->run.name,
		 *c->run.overrides ? " (with overrides, listed at the end)" : "");
	doc_item(d, "Seed: %llu", (unsigned long long)c->run.seed);
	doc_item(d, "Run: %s (status %s)", *c->run.run_key ? c->run.run_key : "-",
		 results_status_name(c->run.status));
	doc_item(d, "Git revision: %s (airtime %s)", c->run.git_rev, c->run.version);
	doc_item(d, "Host: %s (host measurement)", c->run.host);
	doc_item(d, "Run date: %s", c->run.started_utc);
	if (isfinite(c->run.wall_seconds))
		snprintf(wall, sizeof(wall), "%.1f s", c->run.wall_seconds);
	else
		snprintf(wall, sizeof(wall), "not recorded");
	doc_item(d, "Wall time: %s (host measurement, not simulated)", wall);
}

static bool significant(const struct abtest *a, const struct abtest_row *m)
{
	return abtest_significant(a, m);
}

static void write_summary_validity(struct ctx *c, struct doc *d)
{
	const struct checkstore *v = c->val;

	if (v->n == 0)
		return;
	doc_item(d, "Simulator validity: %zu pass, %s%zu fail%s, %zu skipped.", v->pass,
		 v->fail ? "**" : "", v->fail, v->fail ? "**" : "", v->skipped);
	for (size_t i = 0; i < v->n; i++)
		if (v->checks[i].verdict == CHECKSTORE_FAIL)
			doc_item(d, "Validity check failed: **%s** (%s)", v->checks[i].name,
				 v->checks[i].detail);
}

/* A host metric of a load test; NaN when absent. */
static double lt_metric(struct ctx *c, const struct loadtest *l, enum schema_id name)
{
	struct error e;
	double v;

	error_clear(&e);
	return results_get_metric(c->r, l->run_id, schema_name(name), NULL, &v, &e) == 0 ? v
											: NAN;
}

static void write_summary_loadtests(struct ctx *c, struct doc *d)
{
	for (size_t k = 0; k < c->nlt; k++) {
		const struct loadtest *l = &c->lt[k];
		size_t pass = 0, fail = 0, nodata = 0;
		char p99[48], ach[48], intended[48];

		for (size_t i = 0; i < l->slo.n; i++) {
			pass += l->slo.rows[i].verdict == SLO_PASS;
			fail += l->slo.rows[i].verdict == SLO_FAIL;
			nodata += l->slo.rows[i].verdict == SLO_NO_DATA;
		}
		fmt_num(p99, sizeof(p99), lt_metric(c, l, SCHEMA_METRIC_LT_LATENCY_P99) / 1e3);
		fmt_num(ach, sizeof(ach), lt_metric(c, l, SCHEMA_METRIC_LT_RATE_ACHIEVED));
		fmt_num(intended, sizeof(intended), lt_metric(c, l, SCHEMA_METRIC_LT_RATE_INTENDED));
		doc_item(d, "Load test %lld (host measurement): p99 %s ms, %s of %s requests/s "
			 "achieved; SLO %zu pass, %s%zu fail%s, %zu no data.", (long long)l->run_id,
			 p99, ach, intended, pass, fail ? "**" : "", fail, fail ? "**" : "", nodata);
	}
}

/* "A/B split" with one treatment arm; "A/B split, forest" with more. */
static void ab_prefix(const struct ctx *c, size_t m, const struct abtest_arm *arm, char *buf,
		      size_t n)
{
	if (c->ab[m].n_arms == 1)
		snprintf(buf, n, "A/B %s", c->modes[m]);
	else
		snprintf(buf, n, "A/B %s, %s", c->modes[m], arm->name);
}

/* "1234 treatment vs 1240 control users" or, with more arms, "1240
 * control, 620 forest, 611 popularity users". */
static void arm_sizes(const struct abtest *a, char *buf, size_t n)
{
	size_t len;

	if (a->n_arms == 1) {
		snprintf(buf, n, "%llu treatment vs %llu control users",
			 (unsigned long long)a->arms[0].n_treatment,
			 (unsigned long long)a->arms[0].n_control);
		return;
	}
	len = (size_t)snprintf(buf, n, "%llu control",
			       a->n_arms ? (unsigned long long)a->arms[0].n_control : 0ULL);
	for (size_t k = 0; k < a->n_arms && len < n; k++)
		len += (size_t)snprintf(buf + len, n - len, ", %llu %s",
					(unsigned long long)a->arms[k].n_treatment, a->arms[k].name);
	if (len < n)
		snprintf(buf + len, n - len, " users");
}

/* The Holm family of an analysis, in words: the first arm's rows in it
 * (every arm has the same rows). */
static void family_text(const struct abtest *a, char *buf, size_t n)
{
	const struct abtest_arm *arm = a->n_arms ? &a->arms[0] : NULL;
	size_t nf = 0, len;

	for (size_t i = 0; arm && i < arm->n_rows; i++)
		nf += arm->rows[i].in_family;
	len = (size_t)snprintf(buf, n, "the %zu metrics (", nf);
	for (size_t i = 0, j = 0; arm && i < arm->n_rows && len < n; i++)
		if (arm->rows[i].in_family)
			len += (size_t)snprintf(buf + len, n - len, "%s%s", j++ ? ", " : "",
						arm->rows[i].name);
	if (len < n && a->n_arms > 1)
		snprintf(buf + len, n - len, ") x %zu treatment arms = %zu hypotheses", a->n_arms,
			 a->n_arms * nf);
	else if (len < n)
		snprintf(buf + len, n - len, ")");
}

/* A row's tested lift in words: relative with its interval, or, without a
 * relative lift (the median), absolute. */
static void tested_text(const struct abtest_row *r, char *buf, size_t n)
{
	const struct stats_lift *l = abtest_tested(r);
	char v[48], ci[64];

	if (isfinite(l->rel)) {
		fmt_pct(v, sizeof(v), l->rel);
		fmt_pct_ci(ci, sizeof(ci), l->rel_lo, l->rel_hi);
	} else {
		fmt_signed(v, sizeof(v), l->diff);
		fmt_ci(ci, sizeof(ci), l->diff_lo, l->diff_hi);
	}
	snprintf(buf, n, "%s %s", v, ci);
}

static void write_summary(struct ctx *c, struct doc *d)
{
	size_t pass = 0, fail = 0, nodata = 0;

	doc_heading(d, 2, "Verdict");
	if (c->warn[0])
		doc_warning(d, "%s", c->warn);
	for (size_t m = 0; m < c->nmodes; m++) {
		const struct abtest *a = &c->ab[m];

		for (size_t k = 0; k < a->n_arms; k++) {
			const struct abtest_arm *arm = &a->arms[k];
			size_t nsig = 0, nest = 0, napart = 0;
			char pre[96], apart[1024] = "";

			ab_prefix(c, m, arm, pre, sizeof(pre));
			for (size_t i = 0; i < arm->n_rows; i++) {
				const struct abtest_row *r = &arm->rows[i];
				char lift[160], pb[24];

				nest += r->estimable && r->in_family;
				if (!significant(a, r))
					continue;
				tested_text(r, lift, sizeof(lift));
				if (!r->in_family) {
					size_t len = strlen(apart);

					snprintf(apart + len, sizeof(apart) - len, "%s%s %s %s",
						 napart++ ? "; " : "", r->name,
						 abtest_tested(r)->diff > 0 ? "up" : "down", lift);
					continue;
				}
				nsig++;
				doc_item(d, "%s: **%s %s** %s (%s; adjusted p %s)", pre, r->name,
					 abtest_tested(r)->diff > 0 ? "up" : "down", lift,
					 abtest_test_name(r->test), fmt_p(pb, sizeof(pb), r->p_adjusted));
			}
			if (a->n_arms == 1)
				doc_item(d, "%s: %zu of %zu estimable metrics of the Holm family moved "
					 "significantly at alpha = %g; %llu treatment, %llu control "
					 "users.", pre, nsig, nest, a->alpha,
					 (unsigned long long)arm->n_treatment,
					 (unsigned long long)arm->n_control);
			else
				doc_item(d, "%s: %zu of %zu estimable metrics of the Holm family (%zu "
					 "arms x its metrics) moved significantly at alpha = %g; %llu "
					 "%s, %llu control users.", pre, nsig, nest, a->n_arms, a->alpha,
					 (unsigned long long)arm->n_treatment, arm->name,
					 (unsigned long long)arm->n_control);
			if (napart)
				doc_item(d, "%s, outside the Holm family (secondary, each by its own "
					 "unadjusted %.0f %% interval): %s.", pre, 100 * (1 - a->alpha),
					 apart);
		}
	}
	if (c->nmodes == 0)
		doc_item(d, "No A/B analysis recorded.");
	for (size_t i = 0; i < c->slo.n; i++) {
		pass += c->slo.rows[i].verdict == SLO_PASS;
		fail += c->slo.rows[i].verdict == SLO_FAIL;
		nodata += c->slo.rows[i].verdict == SLO_NO_DATA;
	}
	if (c->slo.n)
		doc_item(d, "SLO: %zu pass, %s%zu fail%s, %zu no data.", pass, fail ? "**" : "",
			 fail, fail ? "**" : "", nodata);
	for (size_t i = 0; i < c->slo.n; i++)
		if (c->slo.rows[i].verdict == SLO_FAIL)
			doc_item(d, "SLO failed: **%s** %s (target %s)", c->slo.rows[i].name,
				 c->slo.rows[i].observed, c->slo.rows[i].target);
	write_summary_validity(c, d);
	write_summary_loadtests(c, d);
}

/* ---- the decision ---------------------------------------------------------- */

/* "+19.5 % [+16.0, +22.9]"; "-" when missing. */
static void decision_lift(const struct decision_metric *m, char *buf, size_t n)
{
	if (m->state == DECISION_MISSING)
		snprintf(buf, n, "not estimable");
	else
		snprintf(buf, n, "%+.1f %% [%+.1f, %+.1f]", 100 * m->rel, 100 * m->rel_lo,
			 100 * m->rel_hi);
}

/* One arm's decision: the banner (coloured by verdict) and the table of
 * the primary metric and the guardrails. */
static void write_decision_arm(struct ctx *c, struct doc *d, size_t m, size_t k,
			       const struct decision_spec *spec)
{
	static const char *const head[] = { "role", "metric", "rel. lift [95 % CI]", "rule",
					    "state" };
	static const enum doc_tone tone[] = { DOC_GOOD, DOC_BAD, DOC_NEUTRAL };
	const struct abtest *a = &c->ab[m];
	struct decision dec;
	char who[160], name[100], lift[96], rule[96], state[48];
	const char *cp[5] = { NULL, NULL, lift, rule, state };

	decision_make(spec, a, k, &dec);
	arm_title(&a->arms[k], name, sizeof(name));
	snprintf(who, sizeof(who), "%s vs control (%s)", name, c->modes[m]);
	doc_banner(d, tone[dec.verdict], "**%s**: %s: %s.", dec.verdict == DECISION_SHIP ? "SHIP" :
		   dec.verdict == DECISION_DONT_SHIP ? "DON'T SHIP" : "INCONCLUSIVE", who,
		   dec.reason);
	doc_table(d, 5, "llrll", head);
	cp[0] = "primary";
	cp[1] = dec.primary.metric;
	decision_lift(&dec.primary, lift, sizeof(lift));
	snprintf(rule, sizeof(rule), "ship when the interval is above 0");
	snprintf(state, sizeof(state), "%s", dec.primary.state == DECISION_HELD ? "up" :
		 dec.primary.state == DECISION_HARM ? "**down**" :
		 dec.primary.state == DECISION_UNCLEAR ? "no detectable effect" : "missing");
	doc_row(d, cp);
	for (size_t i = 0; i < dec.n_guardrails; i++) {
		const struct decision_metric *g = &dec.guardrails[i];

		cp[0] = "guardrail";
		cp[1] = g->metric;
		decision_lift(g, lift, sizeof(lift));
		snprintf(rule, sizeof(rule), "harm when the interval is below -%.4g %%",
			 100 * g->max_loss);
		snprintf(state, sizeof(state), "%s", g->state == DECISION_HARM ? "**HARM**" :
			 decision_state_name(g->state));
		doc_row(d, cp);
	}
	doc_table_end(d);
}

/* The decision section, first after the header: the sample-ratio banner
 * when the check failed, then per analysis and treatment arm the verdict
 * of stats/decision on [ab] primary and guardrails. */
static void write_decision(struct ctx *c, struct doc *d)
{
	struct decision_spec spec;
	struct error e;

	if (c->nmodes == 0)
		return;
	doc_heading(d, 2, "Decision");
	for (size_t m = 0; m < c->nmodes; m++) {
		const struct abtest *a = &c->ab[m];
		char sizes[512];

		arm_sizes(a, sizes, sizeof(sizes));
		if (a->srm_flagged)
			doc_banner(d, DOC_BAD, "**Sample ratio mismatch** in %s: %s (chi-square "
				   "%.2f, %zu df, p = %.2g < 0.001). The assignment is suspect; do not "
				   "trust any lift of this analysis.", c->modes[m], sizes, a->srm_chi2,
				   a->n_arms, a->srm_p);
	}
	error_clear(&e);
	if (decision_spec_parse(&spec, c->cfg->ab.primary, c->cfg->ab.guardrails, false,
				&e) < 0) {
		doc_warning(d, "no decision: the stored [ab] primary or guardrails do not parse "
			    "with this build (%s)", e.msg);
		return;
	}
	doc_para(d, "[ab] primary = %s%s; [ab] guardrails = %s%s. Ship when the primary's "
		 "95 %% interval lies above 0 and every guardrail held (its interval above "
		 "-LOSS); don't ship when a guardrail's interval lies wholly below -LOSS or the "
		 "primary's below 0; otherwise inconclusive. Intervals are per metric, not "
		 "adjusted for multiplicity (the metrics are declared before the run).",
		 spec.primary, c->primary_set ? "" : " (default)",
		 *c->cfg->ab.guardrails ? c->cfg->ab.guardrails : "none",
		 c->guardrails_set ? "" : " (default)");
	for (size_t m = 0; m < c->nmodes; m++)
		for (size_t k = 0; k < c->ab[m].n_arms; k++)
			write_decision_arm(c, d, m, k, &spec);
}

static void write_abtable(struct doc *d, const struct abtest *a, const struct abtest_arm *arm)
{
	static const char *const head[] = { "metric", "test", "n T / C", "mean T", "mean C",
					    "abs. lift [CI]", "rel. lift [CI]", "p", "p adj.",
					    "raw lift [CI] (reference)", "theta", "var. red.",
					    "MDE (rel.)" };
	enum { NC = 13 };
	char cells[NC][160];
	const char *cp[NC];

	for (int i = 0; i < NC; i++)
		cp[i] = cells[i];
	doc_table(d, NC, "llrrrrrrrrrrr", head);
	for (size_t i = 0; i < arm->n_rows; i++) {
		const struct abtest_row *r = &arm->rows[i];
		const struct stats_lift *l = abtest_tested(r);
		bool sig = significant(a, r);
		char v[48], ci[64], pb[24];

		snprintf(cells[0], sizeof(cells[0]), "%s%s%s%s%s%s", sig ? "**" : "", r->name,
			 r->kind == ABTEST_RATIO ? " (ratio)" : r->kind == ABTEST_MEDIAN ?
			 " (median)" : r->kind == ABTEST_AGGREGATE ? " (aggregate)" : "",
			 sig ? (l->diff > 0 ? " ▲" : " ▼") : "", r->in_family ? "" : " †",
			 sig ? "**" : "");
		snprintf(cells[1], sizeof(cells[1]), "%s", abtest_test_name(r->test));
		snprintf(cells[2], sizeof(cells[2]), "%zu / %zu", r->lift.t.n, r->lift.c.n);
		if (!r->estimable) {
			snprintf(cells[3], sizeof(cells[3]), "not estimable: %s", r->why);
			for (int k = 4; k < NC; k++)
				snprintf(cells[k], sizeof(cells[k]), "-");
			doc_row(d, cp);
			continue;
		}
		fmt_num(cells[3], sizeof(cells[3]), r->lift.t.mean);
		fmt_num(cells[4], sizeof(cells[4]), r->lift.c.mean);
		fmt_signed(v, sizeof(v), l->diff);
		fmt_ci(ci, sizeof(ci), l->diff_lo, l->diff_hi);
		snprintf(cells[5], sizeof(cells[5]), "%s %s", v, ci);
		fmt_pct(v, sizeof(v), l->rel);
		fmt_pct_ci(ci, sizeof(ci), l->rel_lo, l->rel_hi);
		snprintf(cells[6], sizeof(cells[6]), "%s %s", v, ci);
		if (!isfinite(l->rel))
			snprintf(cells[6], sizeof(cells[6]), "-");
		snprintf(cells[7], sizeof(cells[7]), "%s", isfinite(l->p) ? fmt_p(pb, sizeof(pb),
										     l->p) : "-");
		if (r->in_family)
			snprintf(cells[8], sizeof(cells[8]), "%s%s%s", sig ? "**" : "",
				 fmt_p(pb, sizeof(pb), r->p_adjusted), sig ? "**" : "");
		else
			snprintf(cells[8], sizeof(cells[8]), "apart");
		if (r->test == ABTEST_TEST_CUPED) {
			fmt_signed(v, sizeof(v), r->lift.diff);
			fmt_ci(ci, sizeof(ci), r->lift.diff_lo, r->lift.diff_hi);
			snprintf(cells[9], sizeof(cells[9]), "%s %s, p %s", v, ci,
				 fmt_p(pb, sizeof(pb), r->lift.p));
			fmt_num(cells[10], sizeof(cells[10]), r->cuped.theta);
			snprintf(cells[11], sizeof(cells[11]), "%.1f %%",
				 100 * r->cuped.variance_reduction);
		} else {
			for (int k = 9; k <= 11; k++)
				snprintf(cells[k], sizeof(cells[k]), "-");
		}
		fmt_num(v, sizeof(v), r->mde);
		fmt_pct(ci, sizeof(ci), r->mde_rel);
		snprintf(cells[12], sizeof(cells[12]), "%s (%s)", v, ci);
		if (!isfinite(r->mde))
			snprintf(cells[12], sizeof(cells[12]), "-");
		doc_row(d, cp);
	}
	doc_table_end(d);
}

static int find_mode(const struct ctx *c, enum schema_id mode)
{
	for (size_t m = 0; m < c->nmodes; m++)
		if (!strcmp(c->modes[m], schema_name(mode)))
			return (int)m;
	return -1;
}

/* The stored bias of an arm, or NULL. */
static const struct abtest_bias_arm *bias_arm(const struct ctx *c, const char *name)
{
	for (size_t k = 0; k < c->bias->n_arms; k++)
		if (!strcmp(c->bias->arms[k].name, name))
			return &c->bias->arms[k];
	return NULL;
}

/* Split against twin, one treatment arm: each estimate with its interval,
 * and the bias with its paired interval (ab_bias). */
static void write_bias_arm(struct doc *d, const struct abtest_arm *s, const struct abtest_arm *t,
			   const struct abtest_bias_arm *b, double alpha)
{
	static const char *const head[] = { "metric", "split lift [CI]", "twin lift [CI]",
					    "interference bias [CI]", "bias / split SE",
					    "corr.", "verdict" };
	char cells[7][160];
	const char *cp[7];

	for (int i = 0; i < 7; i++)
		cp[i] = cells[i];
	doc_table(d, 7, "lrrrrrl", head);
	for (size_t i = 0; b && i < b->n_rows; i++) {
		const struct abtest_bias_row *x = &b->rows[i];
		const struct abtest_row *rs = abtest_find(s, x->name), *rt = abtest_find(t, x->name);
		char v[48], ci[64];

		if (!x->estimable || !rs || !rt || !rs->estimable || !rt->estimable)
			continue;
		snprintf(cells[0], sizeof(cells[0]), "%s", x->name);
		/* the raw split estimate: the bias compares raw with paired */
		fmt_signed(v, sizeof(v), rs->lift.diff);
		fmt_ci(ci, sizeof(ci), rs->lift.diff_lo, rs->lift.diff_hi);
		snprintf(cells[1], sizeof(cells[1]), "%s %s", v, ci);
		fmt_signed(v, sizeof(v), rt->lift.diff);
		fmt_ci(ci, sizeof(ci), rt->lift.diff_lo, rt->lift.diff_hi);
		snprintf(cells[2], sizeof(cells[2]), "%s %s", v, ci);
		fmt_signed(v, sizeof(v), x->bias);
		fmt_ci(ci, sizeof(ci), x->lo, x->hi);
		snprintf(cells[3], sizeof(cells[3]), "%s %s", v, ci);
		fmt_signed(cells[4], sizeof(cells[4]),
			   (rs->lift.diff_hi - rs->lift.diff_lo) > 0
			   ? x->bias / ((rs->lift.diff_hi - rs->lift.diff_lo) / 2 /
					gsl_cdf_ugaussian_Pinv(1 - alpha / 2)) : NAN);
		fmt_num(cells[5], sizeof(cells[5]), x->corr);
		snprintf(cells[6], sizeof(cells[6]), "%s", abtest_bias_null(x)
			 ? "indistinguishable from 0" : "**bias**");
		doc_row(d, cp);
	}
	doc_table_end(d);
}

static void write_bias(struct ctx *c, struct doc *d)
{
	int si = find_mode(c, SCHEMA_AB_SPLIT);
	int ti = find_mode(c, SCHEMA_AB_TWIN);
	const struct abtest *s, *t;

	if (si < 0 || ti < 0)
		return;
	s = &c->ab[si];
	t = &c->ab[ti];
	doc_heading(d, 2, "Interference bias (split vs twin worlds)");
	doc_para(d, "The twin estimate compares the all-control world with a world where "
		 "everyone gets the arm's ranker (same users, arrivals and spikes); the split "
		 "shares show-level features between arms. Bias = split estimate (raw) - twin "
		 "estimate (paired), with a %.0f %% normal interval from both estimates' "
		 "per-user influence functions: the same users are in both, so Var(bias) = "
		 "Var(split) + Var(twin) - 2 Cov (corr. is the estimates' correlation). A bias "
		 "whose interval holds 0 is indistinguishable from 0 in this world; one seed "
		 "alone cannot tell a bias from noise across worlds (`airtime replicate`).",
		 100 * (1 - (isfinite(c->bias->alpha) ? c->bias->alpha : s->alpha)));
	if (c->bias->n_arms == 0)
		doc_para(d, "This run stored no bias interval (results.db older than schema "
			 "version 5).");
	for (size_t k = 0; k < s->n_arms; k++) {
		const struct abtest_arm *ta = abtest_arm_find(t, s->arms[k].name);
		char name[100];

		if (!ta)
			continue;
		if (s->n_arms > 1) {
			arm_title(&s->arms[k], name, sizeof(name));
			doc_heading(d, 3, "%s vs control", name);
		}
		write_bias_arm(d, &s->arms[k], ta, bias_arm(c, s->arms[k].name), s->alpha);
	}
}

/* "control heuristic (50 %), forest (25 %), popularity (25 %)" from the
 * stored scenario; false when it does not give the arms. */
static bool arms_text(const struct ctx *c, bool shares, char *buf, size_t n)
{
	const struct config_ab *ab = &c->cfg->ab;
	size_t len = 0;

	if (ab->n_arms < 2)
		return false;
	for (size_t i = 0; i < ab->n_arms && len < n; i++) {
		char pct[48];

		snprintf(pct, sizeof(pct), "%.4g %%", 100 * ab->arm[i].share);
		len += (size_t)snprintf(buf + len, n - len, "%s%s%s%s%s%s%s", i ? ", " : "",
					ab->arm[i].label, strcmp(ab->arm[i].label, ab->arm[i].name)
					? " = " : "", strcmp(ab->arm[i].label, ab->arm[i].name)
					? ab->arm[i].name : "", shares ? " (" : "",
					shares ? pct : "", shares ? ")" : "");
	}
	return true;
}

static void write_ab(struct ctx *c, struct doc *d)
{
	for (size_t m = 0; m < c->nmodes; m++) {
		const struct abtest *a = &c->ab[m];
		bool twin = !strcmp(c->modes[m], schema_name(SCHEMA_AB_TWIN));
		char pb[24], srm[160], fam[400], arms[512];

		if (twin)
			snprintf(srm, sizeof(srm), "none needed (twin worlds hold the same users)");
		else
			snprintf(srm, sizeof(srm), "chi-square %.3g (%zu df, over all arms), p = %s%s",
				 a->srm_chi2, a->n_arms, fmt_p(pb, sizeof(pb), a->srm_p),
				 a->srm_flagged ? " (**flagged**)" : "");
		family_text(a, fam, sizeof(fam));
		doc_heading(d, 2, "A/B results (%s)", c->modes[m]);
		if (arms_text(c, !twin, arms, sizeof(arms)))
			doc_para(d, "Arms: %s.%s", arms, a->n_arms > 1 ? " Each treatment arm is "
				 "compared with the control." : "");
		doc_para(d, "Sample-ratio check: %s. One test per row: the row's test (column "
			 "\"test\") gives its lift, %.0f %% interval, p and significance: CUPED "
			 "(Welch on the metric adjusted by the same metric in the warm-up period) "
			 "for split mean metrics, its raw Welch lift shown for reference only; "
			 "paired t for twin mean metrics; the delta method for ratios; a user-"
			 "clustered bootstrap (%s) for the median and the exposure aggregates, "
			 "which give an interval and no p. p adj. is Holm-adjusted across the "
			 "family of %s; a row in it is significant when p adj. < %g. Rows marked "
			 "† are outside the family (secondary: listed apart, judged by their own "
			 "unadjusted interval). MDE at 80 %% power for the row's test. Significant "
			 "rows are in bold (▲ up, ▼ down).", srm, 100 * (1 - a->alpha),
			 "resamples of users for the median, of 64 groups of users for the "
			 "aggregates", fam, a->alpha);
		doc_para(d, "Exposure (served home-page slots, experiment period): "
			 "intra_list_diversity is the share of a page's slot pairs whose shows "
			 "differ in topic (pair-weighted over pages); high_quality_share the "
			 "share of slots whose creator's quality is above the 80th percentile of "
			 "the world's quality distribution (exp(0.8416 x quality_sigma)); "
			 "topic_coverage and creator_coverage the share of topics and creators "
			 "with at least one slot; creator_exposure_gini the Gini coefficient of "
			 "slots across all creators (0 = equal).");
		if (twin)
			doc_para(d, "Twin intervals are conditional on the drawn world: the same "
				 "users, shows and arrivals in every arm's world, so they measure "
				 "the noise of behaviour within this one world (seed %llu), not the "
				 "spread of the lift across worlds a new seed would draw. The "
				 "across-world interval comes from `airtime replicate` over seeds "
				 "(its report shows it beside the per-seed twin intervals).",
				 (unsigned long long)c->run.seed);
		for (size_t k = 0; k < a->n_arms; k++) {
			char name[100];

			if (a->n_arms > 1) {
				arm_title(&a->arms[k], name, sizeof(name));
				doc_heading(d, 3, "%s vs control (%s)", name, c->modes[m]);
			}
			write_abtable(d, a, &a->arms[k]);
		}
	}
	write_bias(c, d);
}

static void write_slo_table(struct doc *d, const struct slo_table *t)
{
	static const char *const head[] = { "objective", "observed", "target", "verdict",
					    "note" };
	const char *cp[5];
	char verdict[32], note[160];

	doc_table(d, 5, "lrlll", head);
	for (size_t i = 0; i < t->n; i++) {
		const struct slo_row *s = &t->rows[i];

		snprintf(verdict, sizeof(verdict), "%s%s%s", s->verdict == SLO_FAIL ? "**" : "",
			 s->verdict == SLO_PASS ? "pass" : s->verdict == SLO_FAIL ? "FAIL" :
			 "no data", s->verdict == SLO_FAIL ? "**" : "");
		snprintf(note, sizeof(note), "%s%s%s", s->note,
			 s->host_measured && !strstr(s->note, "host") ? (*s->note ? "; " : "") : "",
			 s->host_measured && !strstr(s->note, "host") ? "host measurement" : "");
		cp[0] = s->name;
		cp[1] = s->observed;
		cp[2] = s->target;
		cp[3] = verdict;
		cp[4] = note;
		doc_row(d, cp);
	}
	doc_table_end(d);
}

static void write_slo(struct ctx *c, struct doc *d)
{
	if (c->slo.n == 0)
		return;
	doc_heading(d, 2, "Service-level objectives");
	write_slo_table(d, &c->slo);
}

/* Where every event published to the streaming path ended (issue 18): the
 * identity's terms, then the copies counted apart. */
static void write_conservation(struct ctx *c, struct doc *d)
{
	static const char *const head[] = { "outcome", "events" };
	char v[32];
	const char *cp[2];

	if (c->ncons == 0)
		return;
	doc_heading(d, 2, "Streaming path conservation");
	doc_para(d, "published = filtered + rejected + applied + ignored + dead-lettered + "
		 "expired + in flight; `unaccounted` is the remainder (0: nothing lost or "
		 "counted twice).  Copies of events already applied are counted apart.");
	doc_table(d, 2, "lr", head);
	for (size_t i = 0; i < c->ncons; i++) {
		snprintf(v, sizeof(v), "%lld", (long long)c->cons[i].events);
		cp[0] = c->cons[i].outcome;
		cp[1] = v;
		doc_row(d, cp);
	}
	doc_table_end(d);
}

/* [stream] store = redis: the real Redis's host timings. */
static void write_redis(struct ctx *c, struct doc *d)
{
	static const char *const head[] = { "Redis (ms)", "count", "p50", "p90", "p99", "p99.9",
					    "max" };
	static const struct {
		enum schema_id name;
		const char *label;
	} hists[] = {
		{ SCHEMA_HIST_HOST_REDIS_READ, "read: one MGET of a page's shows or creators" },
		{ SCHEMA_HIST_HOST_REDIS_WRITE, "write: one pipeline of a commit's SETRANGEs" },
	};
	struct results_hist_summary h;
	struct error e;
	double reads = NAN, keys = NAN, writes, flushes, cells, mism;
	char a[48], b[48], cc[48], dd[48];

	error_clear(&e);
	if (results_get_metric(c->r, c->run.run_id, schema_name(SCHEMA_METRIC_REDIS_READS), NULL,
			       &reads, &e) < 0)
		return;
	results_get_metric(c->r, c->run.run_id, schema_name(SCHEMA_METRIC_REDIS_READ_KEYS), NULL,
			   &keys, &e);
	writes = flushes = cells = mism = NAN;
	results_get_metric(c->r, c->run.run_id, schema_name(SCHEMA_METRIC_REDIS_WRITES), NULL,
			   &writes, &e);
	results_get_metric(c->r, c->run.run_id, schema_name(SCHEMA_METRIC_REDIS_FLUSHES), NULL,
			   &flushes, &e);
	results_get_metric(c->r, c->run.run_id, schema_name(SCHEMA_METRIC_REDIS_CELLS_COMPARED),
			   NULL, &cells, &e);
	results_get_metric(c->r, c->run.run_id, schema_name(SCHEMA_METRIC_REDIS_MISMATCHES), NULL,
			   &mism, &e);
	doc_heading(d, 2, "Redis online store (host measurement)");
	fmt_num(a, sizeof(a), writes);
	fmt_num(b, sizeof(b), flushes);
	fmt_num(cc, sizeof(cc), reads);
	fmt_num(dd, sizeof(dd), reads > 0 ? keys / reads : NAN);
	doc_para(d, "[stream] store = redis: every stored feature write went to a real Redis as "
		 "well (%s writes in %s pipelines) and every page's features were read back from "
		 "it (%s MGET round trips of %s keys on average). The embedded store stayed the "
		 "source of truth of the simulation; Redis held the same values:", a, b, cc, dd);
	fmt_num(a, sizeof(a), cells);
	fmt_num(b, sizeof(b), mism);
	doc_item(d, "%s feature values compared, %s%s%s differed.", a, mism > 0 ? "**" : "", b,
		 mism > 0 ? "**" : "");
	doc_para(d, "Wall-clock times of this host (not simulated):");
	doc_table(d, 7, "lrrrrrr", head);
	for (size_t i = 0; i < sizeof(hists) / sizeof(hists[0]); i++) {
		char cells_[7][64];
		const char *cp[7];

		if (results_get_hist_summary(c->r, c->run.run_id, schema_name(hists[i].name), &h,
					     &e) < 0)
			continue;
		snprintf(cells_[0], sizeof(cells_[0]), "%s", hists[i].label);
		snprintf(cells_[1], sizeof(cells_[1]), "%llu", (unsigned long long)h.count);
		fmt_num(cells_[2], sizeof(cells_[2]), (double)h.p50 / 1e6);
		fmt_num(cells_[3], sizeof(cells_[3]), (double)h.p90 / 1e6);
		fmt_num(cells_[4], sizeof(cells_[4]), (double)h.p99 / 1e6);
		fmt_num(cells_[5], sizeof(cells_[5]), (double)h.p999 / 1e6);
		fmt_num(cells_[6], sizeof(cells_[6]), (double)h.max / 1e6);
		for (int k = 0; k < 7; k++)
			cp[k] = cells_[k];
		doc_row(d, cp);
	}
	doc_table_end(d);
}

static void write_validity(struct ctx *c, struct doc *d)
{
	static const char *const head[] = { "check", "statistic", "value", "p", "threshold",
					    "verdict", "detail" };
	const struct checkstore *v = c->val;
	char value[48], p[24], thr[48], verdict[16];
	const char *cp[7] = { NULL, NULL, value, p, thr, verdict, NULL };

	if (v->n == 0)
		return;
	doc_heading(d, 2, "Simulator validity");
	doc_para(d, "Observed marginals of the replayed world against the configured ones "
		 "(`airtime validate-sim`): %zu pass, %zu fail, %zu skipped. A test fails when "
		 "p < threshold; an exact check (no p) fails on any difference.",
		 v->pass, v->fail, v->skipped);
	doc_table(d, 7, "llrrrll", head);
	for (size_t i = 0; i < v->n; i++) {
		const struct checkstore_check *k = &v->checks[i];

		cp[0] = k->name;
		cp[1] = k->statistic;
		fmt_num(value, sizeof(value), k->value);
		if (isfinite(k->p))
			fmt_p(p, sizeof(p), k->p);
		else
			snprintf(p, sizeof(p), "-");
		fmt_num(thr, sizeof(thr), k->threshold);
		snprintf(verdict, sizeof(verdict), "%s", k->verdict == CHECKSTORE_FAIL ? "**FAIL**" :
			 checkstore_verdict_name(k->verdict));
		cp[6] = k->detail;
		doc_row(d, cp);
	}
	doc_table_end(d);
}

/* The p-quantile of a stored histogram, in the stored unit, from its
 * buckets exactly as hist_quantile computes it (rank ceil(q n), the top of
 * the bucket holding it, capped at the maximum); NaN when absent or empty. */
struct lt_quantile {
	uint64_t rank, seen;
	int64_t hi;
	bool found;
};

static int lt_quantile_cb(int64_t lo, int64_t hi, uint64_t count, void *ctx)
{
	struct lt_quantile *q = ctx;

	(void)lo;
	if (q->found)
		return 0;
	q->seen += count;
	if (q->seen >= q->rank) {
		q->hi = hi;
		q->found = true;
	}
	return 0;
}

static double lt_quantile(struct ctx *c, const struct loadtest *l, enum schema_id name,
			  const struct results_hist_summary *h, double q)
{
	struct lt_quantile x = { 0, 0, 0, false };
	struct error e;

	x.rank = (uint64_t)ceil(q * (double)h->count);
	if (x.rank < 1)
		x.rank = 1;
	error_clear(&e);
	if (results_each_hist_bucket(c->r, l->run_id, schema_name(name), lt_quantile_cb, &x,
				     &e) < 0 ||
	    !x.found)
		return NAN;
	return (double)(x.hi < h->max ? x.hi : h->max);
}

/* One row of the load-test histogram table (values in ms). */
static void lt_hist_row(struct ctx *c, struct doc *d, const struct loadtest *l,
			enum schema_id name, const char *label)
{
	struct results_hist_summary h;
	struct error e;
	char cells[8][48];
	const char *cp[8];
	double scale;

	error_clear(&e);
	if (results_get_hist_summary(c->r, l->run_id, schema_name(name), &h, &e) < 0)
		return;
	/* Stored in ns (serve/loadrun); a histogram in us is shown the same way. */
	scale = !strcmp(h.unit, "us") ? 1e3 : 1e6;
	for (int i = 0; i < 8; i++)
		cp[i] = cells[i];
	snprintf(cells[0], sizeof(cells[0]), "%s", label);
	snprintf(cells[1], sizeof(cells[1]), "%llu", (unsigned long long)h.count);
	if (h.count == 0) {
		for (int i = 2; i < 8; i++)
			snprintf(cells[i], sizeof(cells[i]), "-");
	} else {
		fmt_num(cells[2], sizeof(cells[2]), (double)h.p50 / scale);
		fmt_num(cells[3], sizeof(cells[3]), (double)h.p90 / scale);
		fmt_num(cells[4], sizeof(cells[4]), (double)h.p99 / scale);
		fmt_num(cells[5], sizeof(cells[5]), (double)h.p999 / scale);
		fmt_num(cells[6], sizeof(cells[6]), lt_quantile(c, l, name, &h, 0.9999) / scale);
		fmt_num(cells[7], sizeof(cells[7]), (double)h.max / scale);
	}
	doc_row(d, cp);
}

static int write_loadtests(struct ctx *c, struct doc *d, struct error *err)
{
	static const char *const rate_head[] = { "intended rate", "achieved rate",
						 "peak intended", "requests", "completed", "late",
						 "dropped", "errors" };
	static const enum schema_id rate_names[] = {
		SCHEMA_METRIC_LT_RATE_INTENDED, SCHEMA_METRIC_LT_RATE_ACHIEVED,
		SCHEMA_METRIC_LT_RATE_PEAK, SCHEMA_METRIC_LT_REQUESTS, SCHEMA_METRIC_LT_COMPLETED,
		SCHEMA_METRIC_LT_LATE, SCHEMA_METRIC_LT_DROPPED, SCHEMA_METRIC_LT_ERRORS,
	};
	static const char *const hist_head[] = { "histogram (ms)", "count", "p50", "p90", "p99",
						 "p99.9", "p99.99", "max" };
	static const char *const err_head[] = { "connect", "timeout", "HTTP 4xx", "HTTP 5xx",
						"bad body", "other" };
	static const enum schema_id err_names[] = {
		SCHEMA_METRIC_LT_ERR_CONNECT, SCHEMA_METRIC_LT_ERR_TIMEOUT, SCHEMA_METRIC_LT_ERR_4XX,
		SCHEMA_METRIC_LT_ERR_5XX, SCHEMA_METRIC_LT_ERR_BODY, SCHEMA_METRIC_LT_ERR_OTHER,
	};

	if (c->nlt == 0)
		return 0;
	doc_heading(d, 2, "Load test (host measurement)");
	doc_para(d, "Wall-clock measurements on host %s of the real serving path in process, "
		 "or of an HTTP target (`airtime loadtest`, `--target`: errors by kind, "
		 "connections), not simulated and not deterministic. Requests follow an "
		 "open-loop schedule; latency is measured from each request's intended start "
		 "(no coordinated omission). Late: started more than the late threshold after "
		 "its intended time; dropped: refused because the wait queue was full; errors: "
		 "failed requests of any kind.%s",
		 c->lt[0].host, c->lt_omitted ? " Only the first 16 load tests are shown." : "");
	for (size_t k = 0; k < c->nlt; k++) {
		const struct loadtest *l = &c->lt[k];
		char cells[8][48], *shape = NULL, *scorer = NULL, *dur = NULL, *target, *method;
		const char *cp[8];
		struct error e;

		error_clear(&e);
		results_get_info(c->r, l->run_id, schema_name(SCHEMA_INFO_LT_SHAPE), &shape, &e);
		results_get_info(c->r, l->run_id, schema_name(SCHEMA_INFO_LT_SCORER), &scorer, &e);
		results_get_info(c->r, l->run_id, schema_name(SCHEMA_INFO_LT_DURATION), &dur, &e);
		doc_heading(d, 3, "Load test %lld (%s, host %s)", (long long)l->run_id, l->started,
			    l->host);
		target = lt_info(c, l, SCHEMA_INFO_LT_TARGET);
		method = lt_info(c, l, SCHEMA_INFO_LT_METHOD);
		if (target) {
			fmt_num(cells[0], sizeof(cells[0]), lt_metric(c, l, SCHEMA_METRIC_LT_CONNECTIONS));
			fmt_num(cells[1], sizeof(cells[1]), lt_metric(c, l, SCHEMA_METRIC_LT_OPENED));
			fmt_num(cells[2], sizeof(cells[2]), lt_metric(c, l, SCHEMA_METRIC_LT_QUEUED));
			doc_para(d, "HTTP target %s %s (libcurl, keep-alive): arrivals %s for %s s, at "
				 "most %s connections (%s opened), %s requests waited for a free "
				 "connection (their wait is part of their latency).",
				 method ? method : "GET", target, shape ? shape : "?", dur ? dur : "?",
				 cells[0], cells[1], cells[2]);
		} else {
			fmt_num(cells[0], sizeof(cells[0]), lt_metric(c, l, SCHEMA_METRIC_LT_THREADS));
			fmt_num(cells[1], sizeof(cells[1]), lt_metric(c, l, SCHEMA_METRIC_LT_CANDIDATES));
			fmt_num(cells[2], sizeof(cells[2]), lt_metric(c, l, SCHEMA_METRIC_LT_TREES));
			doc_para(d, "Arrivals %s for %s s, scorer %s, %s threads, %s candidates per "
				 "request, %s trees.", shape ? shape : "?", dur ? dur : "?",
				 scorer ? scorer : "?", cells[0], cells[1], cells[2]);
		}
		free(shape);
		free(scorer);
		free(dur);
		free(method);
		for (int i = 0; i < 8; i++) {
			double v = lt_metric(c, l, rate_names[i]);

			cp[i] = cells[i];
			fmt_num(cells[i], sizeof(cells[i]), v);
			if (i < 3 && isfinite(v))
				snprintf(cells[i] + strlen(cells[i]), sizeof(cells[i]) - strlen(cells[i]),
					 " /s");
		}
		doc_table(d, 8, "rrrrrrrr", rate_head);
		doc_row(d, cp);
		doc_table_end(d);
		if (target) {
			for (int i = 0; i < 6; i++)
				fmt_num(cells[i], sizeof(cells[i]), lt_metric(c, l, err_names[i]));
			doc_table(d, 6, "rrrrrr", err_head);
			doc_row(d, cp);
			doc_table_end(d);
		}
		free(target);
		doc_table(d, 8, "lrrrrrrr", hist_head);
		lt_hist_row(c, d, l, SCHEMA_HIST_LT_LATENCY, "latency from intended start");
		lt_hist_row(c, d, l, SCHEMA_HIST_LT_SERVICE, "service time");
		lt_hist_row(c, d, l, SCHEMA_HIST_LT_DELAY, "start delay");
		lt_hist_row(c, d, l, SCHEMA_HIST_LT_READ, "feature read");
		lt_hist_row(c, d, l, SCHEMA_HIST_LT_SCORING, "scoring");
		doc_table_end(d);
		if (l->slo.n)
			write_slo_table(d, &l->slo);
		if (l->fig >= 0 && !c->figs[l->fig].failed) {
			char *rel = xasprintf("plots/%s.png", c->figs[l->fig].base);
			int rc = doc_image(d, rel, c->figs[l->fig].caption, err);

			free(rel);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int write_figs(struct ctx *c, struct doc *d, struct error *err)
{
	size_t general = 0;

	for (size_t i = 0; i < c->nfigs; i++)
		general += !c->figs[i].in_section && !c->figs[i].failed;
	if (general == 0)
		return 0;
	doc_heading(d, 2, "Plots");
	for (size_t i = 0; i < c->nfigs; i++) {
		char *rel;
		int rc;

		if (c->figs[i].in_section || c->figs[i].failed)
			continue;
		rel = xasprintf("plots/%s.png", c->figs[i].base);
		rc = doc_image(d, rel, c->figs[i].caption, err);
		free(rel);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int ope_image(struct ctx *c, struct doc *d, const char *base, struct error *err)
{
	for (size_t f = 0; f < c->nfigs; f++)
		if (!strcmp(c->figs[f].base, base)) {
			char *rel = xasprintf("plots/%s.png", base);
			int rc = doc_image(d, rel, c->figs[f].caption, err);

			free(rel);
			return rc;
		}
	return 0;
}

static void cell_num(char *buf, size_t n, double v)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.4g", v);
}

static int write_ope(struct ctx *c, struct doc *d, struct error *err)
{
	static const char *const head[] = { "estimator", "estimate", "interval", "truth",
					     "estimate - truth", "covers", "closed form",
					     "non-zero", "ESS" };
	static const char *const shead[] = { "estimator", "replications", "mean bias", "RMSE",
					      "coverage", "coverage 95 % CI", "mean width",
					      "closed form: bias", "RMSE", "coverage" };
	int rc = 0;

	if (!c->nope && !c->nopesum)
		return 0;
	doc_heading(d, 2, "Off-policy evaluation");
	doc_para(d, "Each target's value (mean reward of a page) estimated from the pages the "
		 "logging policy served, against the truth measured online: the target ranking "
		 "everyone in a twin world with the same random numbers; \"closed form\" is the "
		 "behaviour model's expected tune-ins of the target's pages on the logged requests "
		 "(what the estimators estimate without bias; feedback through the world is not in "
		 "it).  Intervals: normal approximation of the per-page terms (SNIPS: delta method).");
	for (size_t i = 0; rc == 0 && i < c->nope; i++) {
		const struct ope_row *o = &c->ope[i];
		char cells[9][64], base[48];
		const char *row[9];

		if (i == 0 || !same_group(o, &c->ope[i - 1])) {
			if (i)
				doc_table_end(d);
			doc_heading(d, 3, "Target %s, reward %s", o->target, o->reward);
			doc_para(d, "%zu logged pages evaluated; truth over %zu pages of the target's "
				 "world.", o->rounds, isnan(o->truth) ? 0 : o->truth_rounds);
			doc_table(d, 9, "lrrrrlrrr", head);
		}
		snprintf(cells[0], 64, "%s", o->estimator);
		cell_num(cells[1], 64, o->estimate);
		if (o->estimable)
			snprintf(cells[2], 64, "[%.4g, %.4g]", o->lo, o->hi);
		else
			snprintf(cells[2], 64, "%.60s", o->why);
		cell_num(cells[3], 64, o->truth);
		cell_num(cells[4], 64, o->estimable ? o->estimate - o->truth : NAN);
		snprintf(cells[5], 64, "%s", !o->estimable || isnan(o->truth) ? "-" :
			 (o->lo <= o->truth && o->truth <= o->hi) ? "yes" : "no");
		cell_num(cells[6], 64, o->model_truth);
		snprintf(cells[7], 64, "%zu", o->nonzero);
		cell_num(cells[8], 64, o->ess);
		for (int k = 0; k < 9; k++)
			row[k] = cells[k];
		doc_row(d, row);
		if (i + 1 == c->nope || !same_group(&c->ope[i + 1], o)) {
			doc_table_end(d);
			snprintf(base, sizeof(base), "ope-%.20s-%.14s", o->target, o->reward);
			rc = ope_image(c, d, base, err);
		}
	}
	for (size_t i = 0; rc == 0 && i < c->nopesum; i++) {
		const struct ope_row *o = &c->opesum[i];
		char cells[10][64], base[64];
		const char *row[10];

		if (i == 0 || !same_group(o, &c->opesum[i - 1])) {
			doc_heading(d, 3, "Replications: target %s, reward %s", o->target, o->reward);
			doc_para(d, "Each replication simulates the logging world and the target's "
				 "world under its own seed.  Coverage of the nominal %s intervals, "
				 "with a Clopper-Pearson 95 %% interval.", "95 %");
			doc_table(d, 10, "lrrrrrrrrr", shead);
		}
		snprintf(cells[0], 64, "%s", o->estimator);
		snprintf(cells[1], 64, "%zu", o->replications);
		cell_num(cells[2], 64, o->bias);
		cell_num(cells[3], 64, o->rmse);
		cell_num(cells[4], 64, o->coverage);
		snprintf(cells[5], 64, "[%.3g, %.3g]", o->coverage_lo, o->coverage_hi);
		cell_num(cells[6], 64, o->width);
		cell_num(cells[7], 64, o->model_bias);
		cell_num(cells[8], 64, o->model_rmse);
		cell_num(cells[9], 64, o->model_coverage);
		for (int k = 0; k < 10; k++)
			row[k] = cells[k];
		doc_row(d, row);
		if (i + 1 == c->nopesum || !same_group(&c->opesum[i + 1], o)) {
			doc_table_end(d);
			snprintf(base, sizeof(base), "ope-%.20s-%.14s-replications", o->target,
				 o->reward);
			rc = ope_image(c, d, base, err);
		}
	}
	return rc;
}

static void write_importance(struct doc *d, const struct importance *im)
{
	static const char *const head[] = { "feature", "impurity", "permutation" };
	size_t *idx;
	char a[48], b[48];
	const char *cp[3] = { NULL, a, b };

	bool perm = false;

	if (im->n == 0)
		return;
	/* A column of nothing but n/a says nothing: permutation importance
	 * is shown only when it was computed. */
	for (size_t i = 0; i < im->n; i++)
		perm |= isfinite(im->permutation[i]);
	idx = importance_order(im);
	doc_heading(d, 2, "Feature importance");
	if (!perm)
		doc_para(d, "Impurity importance (mean decrease in impurity) of the trained forest. "
			 "Permutation importance was not computed for this run; `airtime forest "
			 "importance --model MODEL --csv FILE --label COL` computes it on data.");
	doc_table(d, perm ? 3 : 2, perm ? "lrr" : "lr", head);
	for (size_t i = 0; i < im->n; i++) {
		cp[0] = im->feature[idx[i]];
		fmt_num(a, sizeof(a), im->impurity[idx[i]]);
		fmt_num(b, sizeof(b), im->permutation[idx[i]]);
		doc_row(d, cp);
	}
	doc_table_end(d);
	free(idx);
}

struct table_ctx {
	struct doc *d;
	size_t n;
};

static int metric_cb(const struct results_metric *m, void *ctx)
{
	static const char *const head[] = { "metric", "arm", "value", "unit", "kind" };
	struct table_ctx *t = ctx;
	char v[48];
	const char *cp[5] = { m->name, m->arm, v, m->unit,
			      m->kind == RESULTS_HOST ? "host measurement" : "simulated" };

	if (t->n++ == 0) {
		doc_heading(t->d, 2, "Counters and metrics");
		doc_table(t->d, 5, "llrll", head);
	}
	fmt_num(v, sizeof(v), m->value);
	doc_row(t->d, cp);
	return 0;
}

static int info_cb(const char *key, const char *value, void *ctx)
{
	static const char *const head[] = { "key", "value" };
	struct table_ctx *t = ctx;
	char v[160];
	const char *cp[2] = { key, v };
	size_t lk = strlen(key);
	double us;

	if (t->n++ == 0) {
		doc_heading(t->d, 2, "Run facts");
		doc_table(t->d, 2, "ll", head);
	}
	if (lk > 3 && !strcmp(key + lk - 3, "_us") && fmt_parse_double(value, &us) == 0) {
		char when[48];

		fmt_simtime(when, sizeof(when), us);
		snprintf(v, sizeof(v), "%s (%s)", value, when);
	} else {
		snprintf(v, sizeof(v), "%s", value);
	}
	doc_row(t->d, cp);
	return 0;
}

static int timing_cb(const struct results_timing *tm, void *ctx)
{
	static const char *const head[] = { "phase", "wall seconds" };
	struct table_ctx *t = ctx;
	char v[48];
	const char *cp[2] = { tm->phase, v };

	if (t->n++ == 0) {
		doc_heading(t->d, 2, "Timings (host measurement)");
		doc_table(t->d, 2, "lr", head);
	}
	snprintf(v, sizeof(v), "%.3f", tm->wall_seconds);
	doc_row(t->d, cp);
	return 0;
}

/* Host time in the scenario's own rankers ([ranker.NAME]), every world of
 * the file: histograms host_ranker_NAME_ns (per page) and host_fit_NAME_ns
 * (per fit). */
struct ranker_rows {
	struct ctx *c;
	struct doc *d;
	int64_t run_id;
	const char *world;
	size_t n;
};

static int ranker_hist_cb(const char *name, void *ctx)
{
	static const char *const head[] = { "world", "ranker", "calls", "p50 ms", "p99 ms",
					    "max ms", "total s" };
	struct ranker_rows *t = ctx;
	char part[SCENARIO_NAME_MAX + 8], who[SCENARIO_NAME_MAX + 16], cells[5][48];
	const char *cp[7] = { t->world, who, cells[0], cells[1], cells[2], cells[3], cells[4] };
	struct results_hist_summary h;
	bool fit = false;
	struct error e;

	if (schema_match(SCHEMA_HIST_HOST_FIT, name, part, sizeof(part)))
		fit = true;
	else if (!schema_match(SCHEMA_HIST_HOST_RANKER, name, part, sizeof(part)))
		return 0;
	error_clear(&e);
	if (results_get_hist_summary(t->c->r, t->run_id, name, &h, &e) < 0 || h.count == 0)
		return 0;
	if (t->n++ == 0) {
		doc_heading(t->d, 2, "Your rankers (host measurement)");
		doc_para(t->d, "Host wall-clock time spent in the scenario's own rankers: per page "
			 "(a plugin's score() call; an external process's whole round trip, "
			 "protocol included) and per fit.  Simulated results never depend on "
			 "it: the simulated endpoint charges each ranker's cost_per_candidate "
			 "instead.");
		doc_table(t->d, 7, "llrrrrr", head);
	}
	snprintf(who, sizeof(who), "%s%s", part, fit ? " (fit)" : "");
	snprintf(cells[0], sizeof(cells[0]), "%llu", (unsigned long long)h.count);
	fmt_num(cells[1], sizeof(cells[1]), (double)h.p50 / 1e6);
	fmt_num(cells[2], sizeof(cells[2]), (double)h.p99 / 1e6);
	fmt_num(cells[3], sizeof(cells[3]), (double)h.max / 1e6);
	fmt_num(cells[4], sizeof(cells[4]), h.mean * (double)h.count / 1e9);
	doc_row(t->d, cp);
	return 0;
}

static int ranker_run_cb(const struct results_run *run, void *ctx)
{
	struct ranker_rows *t = ctx;
	struct error e;
	const char *hash = strchr(run->name, '#');

	t->run_id = run->run_id;
	t->world = hash ? hash + 1 : run->name;
	error_clear(&e);
	results_each_hist_name(t->c->r, run->run_id, ranker_hist_cb, t, &e);
	return 0;
}

static int write_rankers(struct ctx *c, struct doc *d, struct error *err)
{
	struct ranker_rows t = { c, d, 0, "", 0 };
	int rc = results_each_run(c->r, ranker_run_cb, &t, err);

	if (rc < 0)
		return rc;
	if (t.n)
		doc_table_end(d);
	return 0;
}

static int write_tables(struct ctx *c, struct doc *d, struct error *err)
{
	struct table_ctx t = { d, 0 };
	int rc;

	rc = results_each_metric(c->r, c->run.run_id, metric_cb, &t, err);
	if (rc < 0)
		return rc;
	if (t.n)
		doc_table_end(d);
	t.n = 0;
	rc = results_each_info(c->r, c->run.run_id, info_cb, &t, err);
	if (rc < 0)
		return rc;
	if (t.n)
		doc_table_end(d);
	t.n = 0;
	rc = results_each_timing(c->r, c->run.run_id, timing_cb, &t, err);
	if (rc < 0)
		return rc;
	if (t.n)
		doc_table_end(d);
	return 0;
}

static int write_doc(struct ctx *c, const struct importance *im, struct error *err)
{
	unsigned formats = (c->want_md ? DOC_MD : 0) | (c->want_html ? DOC_HTML : 0);
	char *title = xasprintf("airtime report: %s", c->run.name);
	struct doc *d = doc_open(c->dir, "report", formats, title, err);
	int rc;

	free(title);
	if (!d)
		return err->code;
	write_header(c, d);
	write_decision(c, d);
	write_summary(c, d);
	write_ab(c, d);
	write_slo(c, d);
	write_conservation(c, d);
	write_redis(c, d);
	write_validity(c, d);
	rc = write_ope(c, d, err);
	if (rc == 0)
		rc = write_loadtests(c, d, err);
	if (rc == 0)
		rc = write_figs(c, d, err);
	if (rc == 0) {
		write_importance(d, im);
		rc = write_rankers(c, d, err);
	}
	if (rc == 0)
		rc = write_tables(c, d, err);
	if (rc < 0) {
		doc_free(d);
		return rc;
	}
	doc_heading(d, 2, "Scenario");
	doc_pre(d, c->run.scenario_text);
	if (*c->run.overrides) {
		doc_para(d, "Overrides (--set):");
		doc_pre(d, c->run.overrides);
	}
	return doc_close(d, err);
}

/* Plots directory and gnuplot check; c->plots false (with a warning)
 * when gnuplot cannot run. */
static int prepare_plots(struct ctx *c, const char *run_dir, struct error *err)
{
	struct error pe;

	if (!c->plots)
		return 0;
	error_clear(&pe);
	c->plots_dir = xasprintf("%s/plots", run_dir);
	if (mkdir(c->plots_dir, 0777) != 0 && errno != EEXIST)
		return error_set(err, ERR_IO, "cannot create '%s': %s", c->plots_dir,
				 strerror(errno));
	if (plot_check(&pe) < 0) {
		c->plots = false;
		fmt_append(c->warn, sizeof(c->warn), "%s", pe.msg);
	}
	return 0;
}

int report_build_loadtest(const char *run_dir, int64_t run_id, struct error *err)
{
	struct ctx *c = xcalloc(1, sizeof(*c));
	struct doc *d = NULL;
	char *base = NULL, *title = NULL;
	int rc;

	c->exp_start_s = NAN;
	c->dir = run_dir;
	c->only_lt = run_id;
	c->ab = xcalloc(MAX_MODES, sizeof(*c->ab));
	c->bias = xcalloc(1, sizeof(*c->bias));
	c->val = xcalloc(1, sizeof(*c->val));
	c->lt = xcalloc(MAX_LOADTESTS, sizeof(*c->lt));
	c->r = runview_open(run_dir, &c->run, err);
	if (!c->r) {
		rc = err->code;
		goto out;
	}
	load_scenario(c);
	rc = results_each_info(c->r, c->run.run_id, spike_cb, c, err);
	if (rc == 0)
		rc = results_each_run(c->r, loadtest_cb, c, err);
	if (rc == 0 && c->nlt == 0)
		rc = error_set(err, ERR_INPUT, "'%s' holds no load test with run id %lld", run_dir,
			       (long long)run_id);
	if (rc == 0)
		rc = results_get_slo(c->r, c->lt[0].run_id, &c->lt[0].slo, err);
	if (rc == 0)
		rc = prepare_plots(c, run_dir, err);
	if (rc == 0 && c->plots)
		rc = plot_loadtest(c, &c->lt[0], err);
	if (rc == 0)
		rc = finish_figs(c, err);
	if (rc < 0)
		goto out;
	base = xasprintf("loadtest-%lld", (long long)run_id);
	title = xasprintf("airtime load test %lld of %s", (long long)run_id, c->run.name);
	d = doc_open(run_dir, base, (c->want_md ? DOC_MD : 0) | (c->want_html ? DOC_HTML : 0),
		     title, err);
	if (!d) {
		rc = err->code;
		goto out;
	}
	doc_para(d, "Run directory %s (run %s, seed %llu). Everything below is a host "
		 "measurement of %s on %s; the full percentile spectrum is in "
		 "loadtest-%lld-percentiles.csv and a JSON summary in "
		 "loadtest-%lld-summary.json.", run_dir, c->run.name,
		 (unsigned long long)c->run.seed, c->lt[0].started, c->lt[0].host,
		 (long long)run_id, (long long)run_id);
	if (c->warn[0])
		doc_warning(d, "%s", c->warn);
	write_summary_loadtests(c, d);
	if ((rc = write_loadtests(c, d, err)) < 0) {
		doc_free(d);
		goto out;
	}
	rc = doc_close(d, err);
	if (rc == 0 && c->warn[0]) {
		error_set(err, ERR_OK, "load-test report written with warnings: %s", c->warn);
		rc = REPORT_WARNINGS;
	}
out:
	if (c->njobs) {
		struct error ignored;

		finish_figs(c, &ignored);
	}
	free(base);
	free(title);
	free(c->cfg);
	runview_release(&c->run);
	results_close(c->r);
	free(c->plots_dir);
	free(c->ab);
	free(c->bias);
	free(c->val);
	free(c->lt);
	free(c);
	return rc;
}

int report_build(const char *run_dir, struct error *err)
{
	struct ctx *c = xcalloc(1, sizeof(*c));
	struct importance im = { 0 };
	double auc;
	int rc;

	c->exp_start_s = NAN;
	c->dir = run_dir;
	c->ab = xcalloc(MAX_MODES, sizeof(*c->ab));
	c->bias = xcalloc(1, sizeof(*c->bias));
	c->val = xcalloc(1, sizeof(*c->val));
	c->lt = xcalloc(MAX_LOADTESTS, sizeof(*c->lt));
	c->ope = xcalloc(MAX_OPE, sizeof(*c->ope));
	c->opesum = xcalloc(MAX_OPE, sizeof(*c->opesum));
	c->r = runview_open(run_dir, &c->run, err);
	if (!c->r) {
		rc = err->code;
		goto out;
	}
	load_scenario(c);
	rc = read_all(c, err);
	if (rc == 0)
		rc = results_each_importance(c->r, c->run.run_id, importance_cb, &im, err);
	if (rc < 0)
		goto out;
	if ((rc = prepare_plots(c, run_dir, err)) < 0)
		goto out;
	if (c->plots) {
		int (*const plots[])(struct ctx *, struct error *) = {
			plot_exposures, plot_engagement, plot_lifts,
		};

		for (size_t i = 0; rc == 0 && i < sizeof(time_figs) / sizeof(time_figs[0]); i++)
			rc = plot_time(c, &time_figs[i], err);
		for (size_t i = 0; rc == 0 && i < sizeof(plots) / sizeof(plots[0]); i++)
			rc = plots[i](c, err);
		if (rc == 0)
			rc = plot_importance(c, &im, err);
		if (rc == 0)
			rc = plot_curves(c, &auc, err);
		for (size_t i = 0; rc == 0 && i < c->nlt; i++)
			rc = plot_loadtest(c, &c->lt[i], err);
		if (rc == 0)
			rc = plot_ope(c, err);
	}
	if (rc == 0)
		rc = finish_figs(c, err);
	if (rc < 0)
		goto out;
	rc = write_doc(c, &im, err);
	if (rc == 0 && c->warn[0]) {
		error_set(err, ERR_OK, "report written with warnings: %s", c->warn);
		rc = REPORT_WARNINGS;
	}
out:
	if (c->njobs) {
		struct error ignored;

		finish_figs(c, &ignored);
	}
	importance_release(&im);
	free(c->cfg);
	runview_release(&c->run);
	results_close(c->r);
	free(c->plots_dir);
	free(c->ab);
	free(c->bias);
	free(c->val);
	free(c->lt);
	free(c->ope);
	free(c->opesum);
	free(c);
	return rc;
}
