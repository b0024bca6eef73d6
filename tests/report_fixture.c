/* Synthetic results.db for report/compare tests; see report_fixture.h. */
#include "tests/report_fixture.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "common/series.h"
#include "common/xalloc.h"
#include "render/plot.h"
#include "results/checkstore.h"
#include "results/results.h"
#include "results/schema.h"
#include "tests/tmpdir.h"

static const char default_scenario[] =
	"[run]\nseed = 7\ndescription = synthetic run for the report tests\n";

#define NB 360                  /* one-minute buckets: six hours */

/* A row with relative lift `rel` +- `half` (a 95 % interval); its p is the
 * interval's own (normal), so flag and interval agree as in a real run;
 * the CUPED interval is 0.8 times as wide. */
static void lift(struct abtest_row *r, const char *name, enum abtest_kind kind, double mc,
		 double rel, double half)
{
	double p = 2 * gsl_cdf_ugaussian_Q(fabs(rel) / (half / 1.959963984540054));
	double p_cuped = 2 * gsl_cdf_ugaussian_Q(fabs(rel) / (0.8 * half / 1.959963984540054));

	struct stats_lift *l = &r->lift;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->kind = kind;
	r->estimable = true;
	l->t.n = 1000;
	l->c.n = 990;
	l->c.mean = mc;
	l->t.mean = mc * (1 + rel);
	l->t.sd = l->c.sd = mc;
	l->diff = l->t.mean - l->c.mean;
	l->diff_lo = l->diff - half * mc;
	l->diff_hi = l->diff + half * mc;
	l->p = kind == ABTEST_MEDIAN ? NAN : p;   /* a bootstrap gives no p */
	/* the family: mean rows (CUPED-tested) and ratios; the median apart */
	r->in_family = kind != ABTEST_MEDIAN;
	r->test = kind == ABTEST_MEAN ? ABTEST_TEST_CUPED : kind == ABTEST_RATIO
		  ? ABTEST_TEST_DELTA : ABTEST_TEST_BOOTSTRAP;
	r->p_adjusted = r->in_family ? fmin(1, 3 * (kind == ABTEST_MEAN ? p_cuped : p)) : NAN;
	l->rel = rel;
	l->rel_lo = rel - half;
	l->rel_hi = rel + half;
	r->mde = 0.1 * mc;
	r->mde_rel = 0.1;
	if (kind == ABTEST_MEAN) {
		r->has_cuped = true;
		r->cuped.theta = 0.8;
		r->cuped.variance_reduction = 0.36;
		r->cuped.adjusted.diff = l->diff;
		r->cuped.adjusted.diff_lo = l->diff - 0.8 * half * mc;
		r->cuped.adjusted.diff_hi = l->diff + 0.8 * half * mc;
		r->cuped.adjusted.p = p_cuped;
		r->cuped.adjusted.rel = rel;
		r->cuped.adjusted.rel_lo = rel - 0.8 * half;
		r->cuped.adjusted.rel_hi = rel + 0.8 * half;
	}
}

/* One treatment arm's rows; lifts scaled by k. */
static void make_arm(struct abtest_arm *a, const char *name, const char *ranker, double k,
		     bool srm)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->ranker, sizeof(a->ranker), "%s", ranker);
	a->n_treatment = srm ? 1200 : 1000;
	a->n_control = 990;
	lift(&a->rows[0], "tune_ins", ABTEST_MEAN, 4.0, 0.05 * k, 0.02);
	lift(&a->rows[1], "likes", ABTEST_MEAN, 0.5, 0.01 * k, 0.04);
	lift(&a->rows[2], "ctr", ABTEST_RATIO, 0.12, 0.03 * k, 0.02);
	lift(&a->rows[3], "listen_minutes_median", ABTEST_MEDIAN, 12, -0.02 * k, 0.05);
	memset(&a->rows[4], 0, sizeof(a->rows[4]));
	snprintf(a->rows[4].name, sizeof(a->rows[4].name), "notifications");
	snprintf(a->rows[4].why, sizeof(a->rows[4].why), "zero control mean");
	a->rows[4].lift.t.n = 1000;
	a->rows[4].lift.c.n = 990;
	a->n_rows = 5;
}

/* Arm labels of a fixture with `arms` treatment arms (0 or 1: the one
 * "treatment"), control first. */
static const char *const two_arms[] = { "control", "treatment" };
static const char *const more_arms[] = { "control", "forest", "popularity", "random" };

static const char *const *arm_labels(const struct fixture_opts *o, size_t *n)
{
	if (o->arms <= 1) {
		*n = 2;
		return two_arms;
	}
	ck_assert_int_le(o->arms, 3);
	*n = (size_t)o->arms + 1;
	return more_arms;
}

/* The interference bias of every arm of twin analysis `t`: split diff =
 * twin diff / 0.6; tune_ins with se 0.05 (its interval holds 0), likes
 * with se 0.0001 (a bias). */
static void write_bias(struct results *r, int64_t id, const struct abtest *t)
{
	struct abtest_bias *b = xcalloc(1, sizeof(*b));
	struct error e;

	b->alpha = 0.05;
	b->n_arms = t->n_arms;
	for (size_t k = 0; k < t->n_arms; k++) {
		snprintf(b->arms[k].name, sizeof(b->arms[k].name), "%s", t->arms[k].name);
		for (size_t i = 0; i < 2; i++) {
			const struct abtest_row *tw = &t->arms[k].rows[i];
			struct abtest_bias_row *x = &b->arms[k].rows[b->arms[k].n_rows++];

			snprintf(x->name, sizeof(x->name), "%s", tw->name);
			x->estimable = true;
			x->n_split = 1990;
			x->n_twin = 1990;
			x->twin_diff = tw->lift.diff;
			x->split_diff = tw->lift.diff / 0.6;
			x->bias = x->split_diff - x->twin_diff;
			x->se = i == 0 ? 0.05 : 0.0001;
			x->lo = x->bias - 1.96 * x->se;
			x->hi = x->bias + 1.96 * x->se;
			x->corr = 0.3;
		}
	}
	ck_assert_msg(results_put_bias(r, id, b, &e) == 0, "%s", e.msg);
	free(b);
}

/* Treatment arm i (0-based) has i + 1 times the lifts. */
static void make_abtest(struct abtest *a, const char *mode, const struct fixture_opts *o,
			double k, bool srm)
{
	size_t n;
	const char *const *labels = arm_labels(o, &n);

	memset(a, 0, sizeof(*a));
	snprintf(a->mode, sizeof(a->mode), "%s", mode);
	a->srm_chi2 = srm ? 20.9 : 0.05;
	a->srm_p = srm ? 4.8e-6 : 0.82;
	a->srm_flagged = srm;
	a->alpha = 0.05;
	a->n_arms = n - 1;
	for (size_t i = 1; i < n; i++)
		make_arm(&a->arms[i - 1], labels[i], n == 2 ? "forest" : labels[i],
			 (double)i * k, srm);
}

static void put_series(struct results *r, int64_t id, struct series *s, const char *unit)
{
	struct error e;

	error_clear(&e);
	ck_assert_msg(results_put_series(r, id, s, unit, &e) == 0, "%s", e.msg);
	series_free(s);
}

static struct series *mk(enum schema_id name, simtime width, size_t n, bool hist)
{
	struct error e;
	struct series *s = series_new(schema_name(name), 0, width, n, hist ? 10 * SIMTIME_S : 0,
				      2, &e);

	ck_assert_msg(s != NULL, "%s", e.msg);
	return s;
}

/* A per-arm series (SCHEMA_SERIES_EXPOSURES, _ENGAGEMENT) of arm `arm`. */
static struct series *mk_arm(enum schema_id name, const char *arm, simtime width, size_t n)
{
	struct error e;
	char *key = schema_key(name, arm);
	struct series *s = series_new(key, 0, width, n, 0, 2, &e);

	ck_assert_msg(s != NULL, "%s", e.msg);
	free(key);
	return s;
}

static void write_series(struct results *r, int64_t id, const struct fixture_opts *o, double k)
{
	struct series *ses = mk(SCHEMA_SERIES_SESSIONS, SIMTIME_MIN, NB, false);
	struct series *qd = mk(SCHEMA_SERIES_QUEUE_DEPTH, SIMTIME_MIN, NB, false);
	struct series *qi = mk(SCHEMA_SERIES_QUEUE_INFLIGHT, SIMTIME_MIN, NB, false);
	struct series *qo = mk(SCHEMA_SERIES_QUEUE_OLDEST, SIMTIME_MIN, NB, false);
	struct series *wk = mk(SCHEMA_SERIES_WORKERS, SIMTIME_MIN, NB, false);
	struct series *rf = mk(SCHEMA_SERIES_REFLECTION, SIMTIME_MIN, NB, true);
	struct series *lat = mk(SCHEMA_SERIES_LATENCY, SIMTIME_MIN, NB, true);
	struct series *ins = mk(SCHEMA_SERIES_INSTANCES, SIMTIME_MIN, NB, false);
	struct series *req = mk(SCHEMA_SERIES_REQUESTS, SIMTIME_MIN, NB, false);
	struct series *er = mk(SCHEMA_SERIES_ERRORS, SIMTIME_MIN, NB, false);
	struct series *fr = mk(SCHEMA_SERIES_FRESHNESS, SIMTIME_MIN, NB, false);
	size_t narms;
	const char *const *labels = arm_labels(o, &narms);
	struct series *ex[4], *dy[4];

	for (size_t a = 0; a < narms; a++) {
		ex[a] = mk_arm(SCHEMA_SERIES_EXPOSURES, labels[a], SIMTIME_MIN, NB);
		dy[a] = mk_arm(SCHEMA_SERIES_ENGAGEMENT, labels[a], SIMTIME_DAY, 7);
	}

	for (size_t i = 0; i < NB; i++) {
		simtime t = (simtime)i * SIMTIME_MIN + SIMTIME_S;
		/* A spike at 2 h: load triples for half an hour. */
		uint64_t load = (uint64_t)((i >= 120 && i < 150 ? 300 : 100) * k);

		series_count(ses, t, load);
		series_gauge(qd, t, (int64_t)load / 10);
		series_gauge(qi, t, (int64_t)load / 20);
		series_gauge(qo, t, (int64_t)load * 100000);
		series_gauge(wk, t, (int64_t)load / 25);
		for (int v = 1; v <= 20; v++) {
			series_record(rf, t, (int64_t)v * (int64_t)load * 10000);
			series_record(lat, t, (int64_t)v * (int64_t)load * 500);
			series_record(fr, t, (int64_t)v * 1000000);
		}
		series_gauge(ins, t, (int64_t)load / 50);
		series_count(req, t, load * 5);
		series_count(er, t, load / 100);
		for (size_t a = 0; a < narms; a++)
			series_count(ex[a], t, load * 2 + 3 * a);
	}
	for (size_t d = 0; d < 7; d++)
		for (size_t a = 0; a < narms; a++)
			series_count(dy[a], (simtime)d * SIMTIME_DAY,
				     a ? (uint64_t)(1000 + 50 * a + 12 * d * k) : 1000 + 10 * d);
	put_series(r, id, ses, "sessions");
	put_series(r, id, qd, "messages");
	put_series(r, id, qi, "messages");
	put_series(r, id, qo, "us");
	put_series(r, id, wk, "workers");
	put_series(r, id, rf, "us");
	put_series(r, id, lat, "us");
	put_series(r, id, ins, "instances");
	put_series(r, id, req, "requests");
	put_series(r, id, er, "requests");
	put_series(r, id, fr, "us");
	for (size_t a = 0; a < narms; a++)
		put_series(r, id, ex[a], "pages");
	for (size_t a = 0; a < narms; a++)
		put_series(r, id, dy[a], "actions");
}

static void write_slo(struct results *r, int64_t id)
{
	struct slo_table t;
	struct hist h;
	struct error e;

	error_clear(&e);
	slo_init(&t);
	ck_assert_int_eq(hist_init(&h, 10 * SIMTIME_S, 2, &e), 0);
	for (int i = 1; i <= 100; i++)
		hist_record(&h, i * 3000);
	slo_add_quantile(&t, "end-to-end latency p99", &h, 0.99, 200000, false);
	slo_add_max(&t, "end-to-end latency max", &h, 250000, false);
	slo_add_availability(&t, "availability", 9990, 10000, 0.998);
	slo_add_quantile(&t, "feature read + scoring p99", &h, 0.99, 20000, true);
	hist_release(&h);
	ck_assert_int_eq(hist_init(&h, 10 * SIMTIME_S, 2, &e), 0);
	slo_add_quantile(&t, "reflection time p99", &h, 0.99, 60 * SIMTIME_S, false);
	hist_release(&h);
	ck_assert_msg(results_put_slo(r, id, &t, &e) == 0, "%s", e.msg);
}

static void write_forest(struct results *r, int64_t id)
{
	static const char *const feat[] = { "creator_likes_7d", "topic_match", "live_listeners",
					    "hour_of_day", "follows_creator" };
	static const double imp[] = { 0.31, 0.22, 0.18, 0.05, 0.24 };
	static const double perm[] = { 0.05, 0.03, NAN, 0.001, 0.04 };
	double fpr[11], tpr[11], px[10], py[10], pn[10];
	struct error e;

	error_clear(&e);
	for (int i = 0; i <= 10; i++) {
		fpr[i] = i / 10.0;
		tpr[i] = sqrt(fpr[i]);
	}
	for (int i = 0; i < 10; i++) {
		px[i] = (i + 0.5) / 10;
		py[i] = px[i] * 0.9 + 0.02;
		pn[i] = 100 + i;
	}
	ck_assert_msg(results_put_importance(r, id, feat, imp, perm, 5, &e) == 0, "%s", e.msg);
	ck_assert_msg(results_put_curve(r, id, schema_name(SCHEMA_CURVE_ROC), fpr, tpr, NULL, 11, &e) == 0,
		      "%s", e.msg);
	ck_assert_msg(results_put_curve(r, id, schema_name(SCHEMA_CURVE_CALIBRATION), px, py, pn, 10, &e) == 0,
		      "%s", e.msg);
}

static void write_validity(struct results *r, int64_t id)
{
	static const struct checkstore_check rows[] = {
		{ "sessions_hourly", "chi2(24)", 21.5, 0.61, 0.001, CHECKSTORE_PASS,
		  "observed 35812 vs expected 36000" },
		{ "listen_duration", "KS D", 0.0123, 0.00002, 0.001, CHECKSTORE_FAIL,
		  "median 7.1 min vs configured 8 min" },
		{ "sessions_weekly", "chi2(7)", NAN, NAN, 0.001, CHECKSTORE_SKIP,
		  "under 7 days simulated" },
		{ "replay_sessions", "difference", 0, NAN, 0, CHECKSTORE_PASS,
		  "replay 36000 sessions, run 36000" },
	};
	struct checkstore *c = xcalloc(1, sizeof(*c));
	struct error e;

	error_clear(&e);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		c->checks[c->n++] = rows[i];
	ck_assert_msg(checkstore_put(r, id, c, &e) == 0, "%s", e.msg);
	free(c);
}

void fixture_loadtest_latency(struct hist *h)
{
	struct error e;

	error_clear(&e);
	ck_assert_int_eq(hist_init(h, INT64_C(60000000000), 3, &e), 0);
	for (int64_t i = 1; i <= 10000; i++)
		hist_record(h, i * 1000);
}

static void lt_metric(struct results *r, int64_t id, enum schema_id name, double v)
{
	struct error e;

	error_clear(&e);
	ck_assert_msg(results_put_metric(r, id, schema_name(name), NULL, v, schema_unit(name),
					 RESULTS_HOST, &e) == 0, "%s", e.msg);
}

/* A load-test run row as results/loadstore stores it. */
static void write_loadtest(struct results *r, const struct results_run *base)
{
	struct results_run run = *base;
	struct hist lat, read, small, us;
	struct series *in, *ach, *ls;
	struct slo_table t;
	struct error e;
	int64_t id;

	error_clear(&e);
	run.name = schema_name(SCHEMA_RUN_LOADTEST);
	run.run_key = "";
	run.started_utc = "2026-01-03T00:00:00Z";
	ck_assert_msg(results_begin_run(r, &run, &id, &e) == 0, "%s", e.msg);
	lt_metric(r, id, SCHEMA_METRIC_LT_RATE_INTENDED, FIXTURE_LT_RATE_INTENDED);
	lt_metric(r, id, SCHEMA_METRIC_LT_RATE_ACHIEVED, FIXTURE_LT_RATE_ACHIEVED);
	lt_metric(r, id, SCHEMA_METRIC_LT_RATE_PEAK, 500);
	lt_metric(r, id, SCHEMA_METRIC_LT_REQUESTS, 10000);
	lt_metric(r, id, SCHEMA_METRIC_LT_COMPLETED, 9997);
	lt_metric(r, id, SCHEMA_METRIC_LT_LATE, FIXTURE_LT_LATE);
	lt_metric(r, id, SCHEMA_METRIC_LT_DROPPED, FIXTURE_LT_DROPPED);
	lt_metric(r, id, SCHEMA_METRIC_LT_ERRORS, 0);
	lt_metric(r, id, SCHEMA_METRIC_LT_THREADS, 2);
	lt_metric(r, id, SCHEMA_METRIC_LT_CANDIDATES, 1000);
	lt_metric(r, id, SCHEMA_METRIC_LT_TREES, 100);
	fixture_loadtest_latency(&lat);
	lt_metric(r, id, SCHEMA_METRIC_LT_LATENCY_P99, (double)hist_quantile(&lat, 0.99) / 1e3);
	ck_assert_int_eq(results_put_info(r, id, schema_name(SCHEMA_INFO_LT_SHAPE), "constant", &e),
			 0);
	ck_assert_int_eq(results_put_info(r, id, schema_name(SCHEMA_INFO_LT_SCORER), "forest", &e),
			 0);
	ck_assert_int_eq(results_put_info(r, id, schema_name(SCHEMA_INFO_LT_DURATION), "20", &e),
			 0);
	/* Feature reads: 0.25 ms 999 times, once 0.8 ms; service time reuses
	 * them, start delay and scoring are 40 us. */
	ck_assert_int_eq(hist_init(&read, INT64_C(10000000000), 3, &e), 0);
	hist_record_n(&read, 250000, 999);
	hist_record(&read, 800000);
	ck_assert_int_eq(hist_init(&small, INT64_C(10000000000), 3, &e), 0);
	hist_record_n(&small, 40000, 100);
	ck_assert_int_eq(results_put_hist(r, id, schema_name(SCHEMA_HIST_LT_LATENCY), &lat, "ns", &e), 0);
	ck_assert_int_eq(results_put_hist(r, id, schema_name(SCHEMA_HIST_LT_SERVICE), &read, "ns", &e), 0);
	ck_assert_int_eq(results_put_hist(r, id, schema_name(SCHEMA_HIST_LT_DELAY), &small, "ns", &e), 0);
	ck_assert_int_eq(results_put_hist(r, id, schema_name(SCHEMA_HIST_LT_READ), &read, "ns", &e), 0);
	ck_assert_int_eq(results_put_hist(r, id, schema_name(SCHEMA_HIST_LT_SCORING), &small, "ns", &e), 0);
	hist_release(&small);
	/* Per-second series (times: us since the start of the test). */
	in = series_new(schema_name(SCHEMA_SERIES_LT_INTENDED), 0, SIMTIME_S, FIXTURE_LT_SECONDS, 0, 0, &e);
	ach = series_new(schema_name(SCHEMA_SERIES_LT_ACHIEVED), 0, SIMTIME_S, FIXTURE_LT_SECONDS, 0, 0, &e);
	ls = series_new(schema_name(SCHEMA_SERIES_LT_LATENCY), 0, SIMTIME_S, FIXTURE_LT_SECONDS,
			60 * SIMTIME_S, 2, &e);
	ck_assert(in && ach && ls);
	for (int s = 0; s < FIXTURE_LT_SECONDS; s++) {
		simtime when = (simtime)s * SIMTIME_S;

		series_count(in, when, 500);
		series_count(ach, when, 498);
		for (int64_t v = 1; v <= 500; v++)
			series_record(ls, when, v * (s + 1) * 2);
	}
	put_series(r, id, in, "requests");
	put_series(r, id, ach, "requests");
	put_series(r, id, ls, "us");
	/* SLO rows over the latency in us (1..10000): p99 9.9 ms fails the 2 ms
	 * target and passes 200 ms; 9997 of 10000 answered passes 99.8 %. */
	ck_assert_int_eq(hist_init(&us, INT64_C(60000000), 3, &e), 0);
	for (int64_t i = 1; i <= 10000; i++)
		hist_record(&us, i);
	slo_init(&t);
	slo_add_quantile(&t, "load test latency p99 (issue target)", &us, 0.99, 2000, true);
	slo_add_quantile(&t, "load test latency p99 (production SLO)", &us, 0.99, 200000, true);
	slo_add_availability(&t, "load test requests answered", 9997, 10000, 0.998);
	hist_release(&us);
	ck_assert_msg(results_put_slo(r, id, &t, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(results_finish_run(r, id, RESULTS_OK, 20.5, &e), 0);
	hist_release(&lat);
	hist_release(&read);
}

void fixture_write_run(const char *dir, const struct fixture_opts *o)
{
	char *path = xasprintf("%s/results.db", dir);
	double k = o->lift_scale > 0 ? o->lift_scale : 1;
	struct results_run run = {
		.run_key = "abcd1234",
		.name = o->name ? o->name : "synthetic",
		.scenario_text = o->scenario_text ? o->scenario_text : default_scenario,
		.overrides = o->overrides ? o->overrides : "",
		.seed = 7,
		.git_rev = "0123456789ab",
		.version = "0.1",
		.host = "testhost",
		.started_utc = "2026-01-02T03:04:05Z",
	};
	struct abtest *a = xcalloc(1, sizeof(*a));
	struct results *r;
	struct error e;
	char *spike;
	int64_t id;

	error_clear(&e);
	r = results_open(path, &e);
	ck_assert_msg(r != NULL, "%s", e.msg);
	ck_assert_int_eq(results_begin(r, &e), 0);
	ck_assert_msg(results_begin_run(r, &run, &id, &e) == 0, "%s", e.msg);
	if (!o->no_analysis) {
		make_abtest(a, schema_name(SCHEMA_AB_SPLIT), o, k, o->srm_flagged);
		ck_assert_msg(results_put_abtest(r, id, NULL, a, &e) == 0, "%s", e.msg);
		if (o->both) {
			/* The twin world sees 60 % of the split's lifts. */
			make_abtest(a, schema_name(SCHEMA_AB_TWIN), o, 0.6 * k, false);
			ck_assert_msg(results_put_abtest(r, id, NULL, a, &e) == 0, "%s", e.msg);
			write_bias(r, id, a);
		}
		write_slo(r, id);
	}
	write_series(r, id, o, k);
	if (o->forest)
		write_forest(r, id);
	spike = schema_key(SCHEMA_INFO_SPIKE_START, "promo");
	ck_assert_int_eq(results_put_info(r, id, spike, "7200000000", &e), 0);
	free(spike);
	ck_assert_int_eq(results_put_info(r, id, schema_name(SCHEMA_INFO_TRAINING_FROM), "0", &e),
			 0);
	ck_assert_int_eq(results_put_info(r, id, schema_name(SCHEMA_INFO_TRAINING_TO),
					  "3600000000", &e), 0);
	ck_assert_int_eq(results_put_info(r, id, schema_name(SCHEMA_INFO_TRAINING_ROWS), "123456",
					  &e), 0);
	ck_assert_int_eq(results_put_metric(r, id, schema_name(SCHEMA_METRIC_SESSIONS), NULL,
					    36000 * k, schema_unit(SCHEMA_METRIC_SESSIONS),
					    RESULTS_SIM, &e), 0);
	ck_assert_int_eq(results_put_metric(r, id, "tune_ins", "treatment", 4200 * k, "",
					    RESULTS_SIM, &e), 0);
	ck_assert_int_eq(results_put_metric(r, id, "scoring_us_p99", NULL, 850, "us",
					    RESULTS_HOST, &e), 0);
	ck_assert_int_eq(results_put_timing(r, id, schema_name(SCHEMA_TIMING_SIMULATION), 3.25, &e),
			 0);
	if (o->validity)
		write_validity(r, id);
	ck_assert_int_eq(results_finish_run(r, id, RESULTS_OK, 12.5, &e), 0);
	for (int i = 0; i < o->loadtests; i++)
		write_loadtest(r, &run);
	ck_assert_msg(results_commit(r, &e) == 0, "%s", e.msg);
	results_close(r);
	free(a);
	free(path);
}

void fixture_setup(void)
{
	tmpdir_setup();
	plot_set_program(NULL);
}

void fixture_teardown(void)
{
	plot_set_program(NULL);
	tmpdir_teardown();
}
