/* A/B analysis tables; see abtest.h. */
#include "stats/abtest.h"

#include "common/rng.h"
#include "stats/exposure.h"
#include "common/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

/* The family of mean metrics analysed, in report order. */
static const enum metrics_id family[] = {
	METRIC_ENGAGEMENT, METRIC_LIKES, METRIC_FOLLOWS, METRIC_NOTIFY,
	METRIC_LISTEN_MIN, METRIC_TUNE_INS, METRIC_SESSIONS,
};
#define FAMILY_N (sizeof(family) / sizeof(family[0]))

struct arm_values {
	size_t n;
	uint32_t *users;
};

static void collect(const struct metrics *m, int arm, struct arm_values *a)
{
	size_t users = metrics_users(m);

	a->users = xcalloc(users ? users : 1, sizeof(*a->users));
	a->n = 0;
	for (uint32_t u = 0; u < users; u++)
		if (metrics_arm(m, u) == arm && metrics_active(m, u, METRICS_EXPERIMENT))
			a->users[a->n++] = u;
}

static double *values(const struct metrics *m, const struct arm_values *a, enum metrics_id id,
		      enum metrics_period p)
{
	double *v = xcalloc(a->n ? a->n : 1, sizeof(*v));

	for (size_t i = 0; i < a->n; i++)
		v[i] = metrics_value(m, a->users[i], id, p);
	return v;
}

static double median_of(const double *v, size_t n)
{
	double *s = xcalloc(n ? n : 1, sizeof(*s)), m;

	memcpy(s, v, n * sizeof(*s));
	gsl_sort(s, 1, n);
	m = n ? gsl_stats_median_from_sorted_data(s, 1, n) : NAN;
	free(s);
	return m;
}

static void set_mde(struct abtest_row *r, double alpha)
{
	r->mde = stats_mde(r->lift.t.sd, r->lift.c.sd, r->lift.t.n, r->lift.c.n, alpha, 0.8);
	r->mde_rel = r->lift.c.mean != 0 ? r->mde / fabs(r->lift.c.mean) : INFINITY;
}

static void not_estimable(struct abtest_row *r, const struct error *e)
{
	r->estimable = false;
	snprintf(r->why, sizeof(r->why), "%.159s", e->msg);
}

/* Holm across the family: the rows in_family of every treatment arm, arm
 * by arm in row order.  Rows outside it get no adjusted p. */
static void holm_family(struct abtest *out)
{
	double p[(ABTEST_ARMS_MAX - 1) * ABTEST_ROWS_MAX] = { 0 };
	double adj[(ABTEST_ARMS_MAX - 1) * ABTEST_ROWS_MAX];
	struct abtest_row *at[(ABTEST_ARMS_MAX - 1) * ABTEST_ROWS_MAX];
	size_t k = 0;

	for (size_t a = 0; a < out->n_arms; a++)
		for (size_t i = 0; i < out->arms[a].n_rows; i++) {
			struct abtest_row *r = &out->arms[a].rows[i];

			if (!r->in_family || !r->estimable)
				continue;
			at[k] = r;
			p[k++] = abtest_tested(r)->p;
		}
	for (size_t a = 0; a < out->n_arms; a++)
		for (size_t i = 0; i < out->arms[a].n_rows; i++)
			out->arms[a].rows[i].p_adjusted = NAN;
	stats_holm(p, k, adj);
	for (size_t j = 0; j < k; j++)
		at[j]->p_adjusted = adj[j];
}

static void start(struct abtest *out, const char *mode, const struct abtest_design *d,
		  double alpha)
{
	ASSERT(d->n_arms >= 2 && d->n_arms <= ABTEST_ARMS_MAX);
	memset(out, 0, sizeof(*out));
	snprintf(out->mode, sizeof(out->mode), "%s", mode);
	out->alpha = alpha;
	out->n_arms = d->n_arms - 1;
	for (size_t a = 1; a < d->n_arms; a++) {
		snprintf(out->arms[a - 1].name, sizeof(out->arms[0].name), "%s", d->names[a]);
		snprintf(out->arms[a - 1].ranker, sizeof(out->arms[0].ranker), "%s",
			 d->rankers ? d->rankers[a] : "");
	}
}

/* The ratio metrics: click-through (in the family) and the exposure ratios
 * (apart), numerator / denominator summed per user. */
struct ratio_def {
	const char *name;
	enum metrics_id num, den;
};

static const struct ratio_def ratios[] = {
	{ "home_click_through", METRIC_HOME_CLICKS, METRIC_IMPRESSIONS },
	{ "high_quality_share", METRIC_HQ_SLOTS, METRIC_SLOTS },
	{ "intra_list_diversity", METRIC_DISTINCT_PAIRS, METRIC_PAIRS },
	/* retention (metrics.h): return time, day-1 and day-7 retention */
	{ "return_hours", METRIC_RETURN_HOURS, METRIC_RETURNS },
	{ "day1_retention", METRIC_D1_RETAINED, METRIC_D1_ELIGIBLE },
	{ "day7_retention", METRIC_D7_RETAINED, METRIC_D7_ELIGIBLE },
};
#define RATIOS_N (sizeof(ratios) / sizeof(ratios[0]))

static void split_ratio(const struct metrics *m, const struct arm_values *t,
			const struct arm_values *c, const struct ratio_def *def, bool in_family,
			double alpha, struct abtest_arm *out)
{
	struct abtest_row *r = &out->rows[out->n_rows++];
	double *nt = values(m, t, def->num, METRICS_EXPERIMENT);
	double *dt = values(m, t, def->den, METRICS_EXPERIMENT);
	double *nc = values(m, c, def->num, METRICS_EXPERIMENT);
	double *dc = values(m, c, def->den, METRICS_EXPERIMENT);
	struct error e;

	snprintf(r->name, sizeof(r->name), "%s", def->name);
	r->kind = ABTEST_RATIO;
	r->test = ABTEST_TEST_DELTA;
	r->in_family = in_family;
	r->estimable = stats_ratio_lift(nt, dt, t->n, nc, dc, c->n, alpha, &r->lift, &e) == 0;
	if (!r->estimable)
		not_estimable(r, &e);
	r->p_adjusted = NAN;
	r->mde = r->mde_rel = NAN;
	if (r->estimable) {
		r->mde = stats_mde_se(r->lift.se, alpha, 0.8);
		r->mde_rel = r->lift.c.mean != 0 ? r->mde / fabs(r->lift.c.mean) : INFINITY;
	}
	free(nt);
	free(dt);
	free(nc);
	free(dc);
}

/* One treatment arm against the control in a split world. */
static void split_arm(const struct metrics *m, const struct arm_values *t,
		      const struct arm_values *c, double alpha, size_t boot_reps, uint64_t seed,
		      struct abtest_arm *out)
{
	struct error e;

	out->n_treatment = t->n;
	out->n_control = c->n;
	for (size_t k = 0; k < FAMILY_N; k++) {
		struct abtest_row *r = &out->rows[out->n_rows++];
		double *yt = values(m, t, family[k], METRICS_EXPERIMENT);
		double *yc = values(m, c, family[k], METRICS_EXPERIMENT);
		double *xt = values(m, t, family[k], METRICS_WARMUP);
		double *xc = values(m, c, family[k], METRICS_WARMUP);

		snprintf(r->name, sizeof(r->name), "%s", metrics_name(family[k]));
		r->kind = ABTEST_MEAN;
		r->test = ABTEST_TEST_WELCH;
		r->in_family = true;
		r->estimable = stats_welch(yt, t->n, yc, c->n, alpha, &r->lift, &e) == 0;
		if (!r->estimable)
			not_estimable(r, &e);
		else {
			r->has_cuped = stats_cuped(yt, xt, t->n, yc, xc, c->n, alpha, &r->cuped,
						   &e) == 0;
			set_mde(r, alpha);
			if (r->has_cuped) {
				/* the test is CUPED: its interval, p and MDE */
				r->test = ABTEST_TEST_CUPED;
				r->mde = stats_mde_se(r->cuped.adjusted.se, alpha, 0.8);
				r->mde_rel = r->lift.c.mean != 0 ? r->mde / fabs(r->lift.c.mean)
								 : INFINITY;
			}
		}
		free(yt);
		free(yc);
		free(xt);
		free(xc);
	}
	split_ratio(m, t, c, &ratios[0], true, alpha, out);
	{
		struct abtest_row *r = &out->rows[out->n_rows++];
		double *yt = values(m, t, METRIC_LISTEN_MIN, METRICS_EXPERIMENT);
		double *yc = values(m, c, METRIC_LISTEN_MIN, METRICS_EXPERIMENT);
		double est, lo, hi;

		snprintf(r->name, sizeof(r->name), "median_listening_minutes");
		r->kind = ABTEST_MEDIAN;
		r->test = ABTEST_TEST_BOOTSTRAP;
		r->mde = r->mde_rel = NAN;
		stats_summarize(yt, t->n, &r->lift.t);
		stats_summarize(yc, c->n, &r->lift.c);
		/* In a median row the arm "means" are the arms' medians. */
		r->lift.t.mean = median_of(yt, t->n);
		r->lift.c.mean = median_of(yc, c->n);
		r->estimable = stats_bootstrap_quantile_diff(yt, t->n, yc, c->n, 0.5, boot_reps,
							     seed, 1, alpha, &est, &lo, &hi,
							     &e) == 0;
		if (!r->estimable)
			not_estimable(r, &e);
		else {
			r->lift.diff = est;
			r->lift.diff_lo = lo;
			r->lift.diff_hi = hi;
			/* The bootstrap gives an interval for the difference of
			 * medians only; no p-value, no relative lift, no MDE. */
			r->lift.p = NAN;
			r->p_adjusted = NAN;
			r->lift.rel = r->lift.rel_lo = r->lift.rel_hi = NAN;
			r->mde = r->mde_rel = NAN;
		}
		free(yt);
		free(yc);
	}
	for (size_t k = 1; k < RATIOS_N; k++)
		split_ratio(m, t, c, &ratios[k], false, alpha, out);
}

int abtest_split(const struct metrics *m, const struct abtest_design *d, double alpha,
		 size_t boot_reps, uint64_t seed, struct abtest *out, struct error *err)
{
	struct arm_values arm[ABTEST_ARMS_MAX];
	uint64_t sizes[ABTEST_ARMS_MAX];
	struct error e;
	int rc = 0;

	start(out, "split", d, alpha);
	ASSERT(metrics_arms(m) >= d->n_arms);
	for (size_t a = 0; a < d->n_arms; a++) {
		collect(m, (int)a, &arm[a]);
		sizes[a] = arm[a].n;
	}
	for (size_t a = 1; a < d->n_arms && rc == 0; a++)
		if (arm[a].n < 2 || arm[0].n < 2)
			rc = d->n_arms == 2
				? error_set(err, ERR_INPUT, "too few active users to analyse "
					    "(treatment %zu, control %zu)", arm[a].n, arm[0].n)
				: error_set(err, ERR_INPUT, "too few active users to analyse "
					    "(arm '%s' %zu, control %zu)", d->names[a], arm[a].n,
					    arm[0].n);
	if (rc < 0) {
		/* what was counted still tells the reader why */
		for (size_t a = 1; a < d->n_arms; a++) {
			out->arms[a - 1].n_treatment = arm[a].n;
			out->arms[a - 1].n_control = arm[0].n;
		}
		goto out;
	}
	if (stats_srm_arms(sizes, d->shares, d->n_arms, &out->srm_chi2, &out->srm_p, &e) == 0)
		out->srm_flagged = out->srm_p < 0.001;
	for (size_t a = 1; a < d->n_arms; a++)
		/* the first treatment arm keeps the run's seed, as with two arms */
		split_arm(m, &arm[a], &arm[0], alpha, boot_reps,
			  a == 1 ? seed : rng_hash4(seed, RNG_STATS, a, 0), &out->arms[a - 1]);
	holm_family(out);
out:
	for (size_t a = 0; a < d->n_arms; a++)
		free(arm[a].users);
	return rc;
}

static void twin_ratio(const struct metrics *control, const struct metrics *treatment,
		       const uint32_t *ids, size_t n, const struct ratio_def *def, bool in_family,
		       double alpha, struct abtest_arm *out)
{
	struct abtest_row *r = &out->rows[out->n_rows++];
	double *v = xcalloc(4 * n, sizeof(*v));
	struct error e;

	for (size_t i = 0; i < n; i++) {
		v[i] = metrics_value(treatment, ids[i], def->num, METRICS_EXPERIMENT);
		v[n + i] = metrics_value(treatment, ids[i], def->den, METRICS_EXPERIMENT);
		v[2 * n + i] = metrics_value(control, ids[i], def->num, METRICS_EXPERIMENT);
		v[3 * n + i] = metrics_value(control, ids[i], def->den, METRICS_EXPERIMENT);
	}
	snprintf(r->name, sizeof(r->name), "%s", def->name);
	r->kind = ABTEST_RATIO;
	r->test = ABTEST_TEST_DELTA_PAIRED;
	r->in_family = in_family;
	r->p_adjusted = NAN;
	r->mde = r->mde_rel = NAN;
	r->estimable = stats_ratio_paired(v, v + n, v + 2 * n, v + 3 * n, n, alpha, &r->lift,
					  &e) == 0;
	if (!r->estimable)
		not_estimable(r, &e);
	else {
		r->mde = stats_mde_se(r->lift.se, alpha, 0.8);
		r->mde_rel = r->lift.c.mean != 0 ? r->mde / fabs(r->lift.c.mean) : INFINITY;
	}
	free(v);
}

/* One treatment world against the control world, paired per user. */
static int twin_arm(const struct metrics *control, const struct metrics *treatment,
		    const char *name, double alpha, struct abtest_arm *out, struct error *err)
{
	size_t users = metrics_users(control), n = 0;
	uint32_t *ids;
	struct error e;
	int rc = 0;

	if (metrics_users(treatment) != users)
		return error_set(err, ERR_INPUT, "twin worlds differ in population (%zu vs %zu "
				 "users in world '%s')", users, metrics_users(treatment), name);
	ids = xcalloc(users ? users : 1, sizeof(*ids));
	/* Sessions are exogenous, so a user is active in both worlds or neither. */
	for (uint32_t u = 0; u < users; u++)
		if (metrics_active(control, u, METRICS_EXPERIMENT) ||
		    metrics_active(treatment, u, METRICS_EXPERIMENT))
			ids[n++] = u;
	out->n_treatment = out->n_control = n;
	if (n < 2) {
		rc = error_set(err, ERR_INPUT, "too few active users to analyse (%zu)", n);
		goto out;
	}
	for (size_t k = 0; k < FAMILY_N; k++) {
		struct abtest_row *r = &out->rows[out->n_rows++];
		double *yt = xcalloc(n, sizeof(*yt)), *yc = xcalloc(n, sizeof(*yc));

		for (size_t i = 0; i < n; i++) {
			yt[i] = metrics_value(treatment, ids[i], family[k], METRICS_EXPERIMENT);
			yc[i] = metrics_value(control, ids[i], family[k], METRICS_EXPERIMENT);
		}
		snprintf(r->name, sizeof(r->name), "%s", metrics_name(family[k]));
		r->kind = ABTEST_MEAN;
		r->test = ABTEST_TEST_PAIRED;
		r->in_family = true;
		r->estimable = stats_paired(yt, yc, n, alpha, &r->lift, &e) == 0;
		if (!r->estimable)
			not_estimable(r, &e);
		else {
			/* Paired: the standard error is that of the mean difference. */
			r->mde = stats_mde_se(r->lift.se, alpha, 0.8);
			r->mde_rel = r->lift.c.mean != 0 ? r->mde / fabs(r->lift.c.mean) : INFINITY;
		}
		free(yt);
		free(yc);
	}
	for (size_t k = 0; k < RATIOS_N; k++)
		twin_ratio(control, treatment, ids, n, &ratios[k], k == 0, alpha, out);
out:
	free(ids);
	return rc;
}

int abtest_twin(const struct metrics *const *worlds, const struct abtest_design *d, double alpha,
		struct abtest *out, struct error *err)
{
	int rc = 0;

	start(out, "twin", d, alpha);
	/* the same users in every world: no sample ratio to check */
	out->srm_p = 1;
	for (size_t a = 1; a < d->n_arms && rc == 0; a++)
		rc = twin_arm(worlds[0], worlds[a], d->names[a], alpha, &out->arms[a - 1], err);
	if (rc == 0)
		holm_family(out);
	return rc;
}

const enum metrics_id *abtest_family(size_t *n)
{
	*n = FAMILY_N;
	return family;
}

const struct abtest_arm *abtest_arm_find(const struct abtest *a, const char *name)
{
	for (size_t i = 0; i < a->n_arms; i++)
		if (!strcmp(a->arms[i].name, name))
			return &a->arms[i];
	return NULL;
}

const struct abtest_row *abtest_find(const struct abtest_arm *a, const char *name)
{
	for (size_t i = 0; i < a->n_rows; i++)
		if (!strcmp(a->rows[i].name, name))
			return &a->rows[i];
	return NULL;
}

static const char *const test_names[ABTEST_TESTS] = {
	[ABTEST_TEST_WELCH] = "welch",
	[ABTEST_TEST_CUPED] = "cuped",
	[ABTEST_TEST_PAIRED] = "paired",
	[ABTEST_TEST_DELTA] = "delta",
	[ABTEST_TEST_DELTA_PAIRED] = "paired delta",
	[ABTEST_TEST_BOOTSTRAP] = "bootstrap",
	[ABTEST_TEST_GROUPS] = "group bootstrap",
};

const char *abtest_test_name(enum abtest_test t)
{
	return t < ABTEST_TESTS ? test_names[t] : "unknown";
}

enum abtest_test abtest_test_parse(const char *name)
{
	for (int t = 0; t < ABTEST_TESTS; t++)
		if (!strcmp(test_names[t], name))
			return (enum abtest_test)t;
	return ABTEST_TESTS;
}

const struct stats_lift *abtest_tested(const struct abtest_row *r)
{
	return r->test == ABTEST_TEST_CUPED && r->has_cuped ? &r->cuped.adjusted : &r->lift;
}

bool abtest_significant(const struct abtest *a, const struct abtest_row *r)
{
	const struct stats_lift *l = abtest_tested(r);

	if (!r->estimable)
		return false;
	if (r->in_family)
		return isfinite(r->p_adjusted) && r->p_adjusted < a->alpha;
	return l->diff_lo > 0 || l->diff_hi < 0;
}

void abtest_add_exposure(struct abtest *a, const struct exposure *const *worlds,
			 const int *arms, size_t reps, uint64_t seed)
{
	for (size_t k = 0; k < a->n_arms; k++) {
		struct abtest_arm *arm = &a->arms[k];

		for (int g = 0; g < EXPOSURE_AGGREGATES; g++) {
			struct abtest_row *r;
			struct exposure_diff x;
			struct error e;

			if (arm->n_rows >= ABTEST_ROWS_MAX)
				break;
			r = &arm->rows[arm->n_rows++];
			memset(r, 0, sizeof(*r));
			snprintf(r->name, sizeof(r->name), "%s", exposure_name((enum exposure_aggregate)g));
			r->kind = ABTEST_AGGREGATE;
			r->test = ABTEST_TEST_GROUPS;
			r->p_adjusted = r->mde = r->mde_rel = NAN;
			r->lift.t.n = arm->n_treatment;
			r->lift.c.n = arm->n_control;
			r->estimable = exposure_compare(worlds[k + 1], arms[k + 1], worlds[0], arms[0],
							(enum exposure_aggregate)g, reps,
							rng_hash4(seed, RNG_STATS, k + 1, 1),
							(uint64_t)g, a->alpha, &x, &e) == 0;
			if (!r->estimable) {
				not_estimable(r, &e);
				continue;
			}
			r->lift.t.mean = x.t;
			r->lift.c.mean = x.c;
			r->lift.t.sd = r->lift.c.sd = NAN;
			r->lift.diff = x.diff;
			r->lift.diff_lo = x.diff_lo;
			r->lift.diff_hi = x.diff_hi;
			r->lift.rel = x.rel;
			r->lift.rel_lo = x.rel_lo;
			r->lift.rel_hi = x.rel_hi;
			r->lift.p = NAN;
			r->lift.se = (x.diff_hi - x.diff_lo) / 2 / 1.959963984540054;
		}
	}
}

/* Influence of each user on a ratio-of-sums difference (den NULL: a mean),
 * scaled by sqrt(n / (n - 1)) so its sum of squares is the usual unbiased
 * variance of the estimate (Welch's s^2 / n for a mean). */
static void add_influence(const struct metrics *m, const uint32_t *ids, size_t n,
			  enum metrics_id num, int den, double sign, double *inf, double *est)
{
	double sn = 0, sd = 0, r, md, scale;

	for (size_t i = 0; i < n; i++) {
		sn += metrics_value(m, ids[i], num, METRICS_EXPERIMENT);
		sd += den < 0 ? 1 : metrics_value(m, ids[i], (enum metrics_id)den,
						  METRICS_EXPERIMENT);
	}
	if (n < 2 || sd == 0) {
		*est = NAN;
		return;
	}
	r = sn / sd;
	md = sd / (double)n;
	scale = sqrt((double)n / (double)(n - 1));
	*est += sign * r;
	for (size_t i = 0; i < n; i++) {
		double y = metrics_value(m, ids[i], num, METRICS_EXPERIMENT);
		double x = den < 0 ? 1 : metrics_value(m, ids[i], (enum metrics_id)den,
						       METRICS_EXPERIMENT);

		inf[ids[i]] += sign * scale * (y - r * x) / (md * (double)n);
	}
}

/* Bias of one metric (num / den, den < 0 for a mean) for arm `arm`:
 * split users ids_t / ids_c, twin users ids_w over worlds ct (control) and
 * tw (treatment); inf_s, inf_w zeroed scratch of `users` entries. */
static void bias_row(const struct metrics *split, const struct metrics *ct,
		     const struct metrics *tw, const uint32_t *ids_t, size_t nt,
		     const uint32_t *ids_c, size_t nc, const uint32_t *ids_w, size_t nw,
		     enum metrics_id num, int den, double alpha, double *inf_s, double *inf_w,
		     size_t users, struct abtest_bias_row *out)
{
	double vs = 0, vw = 0, cov = 0, var, z = gsl_cdf_ugaussian_Pinv(1 - alpha / 2);

	memset(inf_s, 0, users * sizeof(*inf_s));
	memset(inf_w, 0, users * sizeof(*inf_w));
	out->split_diff = out->twin_diff = 0;
	out->n_split = nt + nc;
	out->n_twin = nw;
	add_influence(split, ids_t, nt, num, den, 1, inf_s, &out->split_diff);
	add_influence(split, ids_c, nc, num, den, -1, inf_s, &out->split_diff);
	add_influence(tw, ids_w, nw, num, den, 1, inf_w, &out->twin_diff);
	add_influence(ct, ids_w, nw, num, den, -1, inf_w, &out->twin_diff);
	if (!isfinite(out->split_diff) || !isfinite(out->twin_diff)) {
		out->estimable = false;
		snprintf(out->why, sizeof(out->why), "too few users or a zero denominator");
		out->bias = out->se = out->lo = out->hi = out->corr = NAN;
		return;
	}
	for (size_t u = 0; u < users; u++) {
		vs += inf_s[u] * inf_s[u];
		vw += inf_w[u] * inf_w[u];
		cov += inf_s[u] * inf_w[u];
	}
	var = vs + vw - 2 * cov;
	out->estimable = true;
	out->bias = out->split_diff - out->twin_diff;
	out->se = sqrt(var > 0 ? var : 0);
	out->lo = out->bias - z * out->se;
	out->hi = out->bias + z * out->se;
	out->corr = vs > 0 && vw > 0 ? cov / sqrt(vs * vw) : NAN;
}

int abtest_bias(const struct metrics *split, const struct metrics *const *twins,
		const struct abtest_design *d, double alpha, struct abtest_bias *out,
		struct error *err)
{
	size_t users = metrics_users(split);
	uint32_t *ids_t, *ids_c, *ids_w;
	double *inf_s, *inf_w;

	ASSERT(d->n_arms >= 2 && d->n_arms <= ABTEST_ARMS_MAX);
	memset(out, 0, sizeof(*out));
	out->alpha = alpha;
	for (size_t a = 0; a < d->n_arms; a++)
		if (metrics_users(twins[a]) != users)
			return error_set(err, ERR_INPUT, "twin world '%s' holds %zu users, the split "
					 "world %zu", d->names[a], metrics_users(twins[a]), users);
	ids_t = xcalloc(users ? users : 1, sizeof(*ids_t));
	ids_c = xcalloc(users ? users : 1, sizeof(*ids_c));
	ids_w = xcalloc(users ? users : 1, sizeof(*ids_w));
	inf_s = xcalloc(users ? users : 1, sizeof(*inf_s));
	inf_w = xcalloc(users ? users : 1, sizeof(*inf_w));
	out->n_arms = d->n_arms - 1;
	for (size_t a = 1; a < d->n_arms; a++) {
		struct abtest_bias_arm *arm = &out->arms[a - 1];
		size_t nt = 0, nc = 0, nw = 0;

		snprintf(arm->name, sizeof(arm->name), "%s", d->names[a]);
		/* the populations of abtest_split and abtest_twin */
		for (uint32_t u = 0; u < users; u++) {
			if (metrics_active(split, u, METRICS_EXPERIMENT)) {
				if (metrics_arm(split, u) == (int)a)
					ids_t[nt++] = u;
				else if (metrics_arm(split, u) == 0)
					ids_c[nc++] = u;
			}
			if (metrics_active(twins[0], u, METRICS_EXPERIMENT) ||
			    metrics_active(twins[a], u, METRICS_EXPERIMENT))
				ids_w[nw++] = u;
		}
		for (size_t k = 0; k < FAMILY_N + 1; k++) {
			struct abtest_bias_row *r = &arm->rows[arm->n_rows++];
			bool ratio = k == FAMILY_N;

			snprintf(r->name, sizeof(r->name), "%s",
				 ratio ? ratios[0].name : metrics_name(family[k]));
			bias_row(split, twins[0], twins[a], ids_t, nt, ids_c, nc, ids_w, nw,
				 ratio ? ratios[0].num : family[k], ratio ? (int)ratios[0].den : -1,
				 alpha, inf_s, inf_w, users, r);
		}
	}
	free(ids_t);
	free(ids_c);
	free(ids_w);
	free(inf_s);
	free(inf_w);
	return 0;
}

bool abtest_bias_null(const struct abtest_bias_row *r)
{
	return r->estimable && r->lo <= 0 && r->hi >= 0;
}
