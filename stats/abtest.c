/* A/B analysis tables; see abtest.h. */
#include "stats/abtest.h"

#include "common/rng.h"
#include "common/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The retention rows: ratio metrics (delta method) of per-user sums,
 * listed apart from the Holm family. */
static const struct {
	const char *name;
	enum metrics_id num, den;
} retention_rows[] = {
	{ "return_hours", METRIC_RETURN_HOURS, METRIC_RETURNS },
	{ "day1_retention", METRIC_D1_RETAINED, METRIC_D1_ELIGIBLE },
	{ "day7_retention", METRIC_D7_RETAINED, METRIC_D7_ELIGIBLE },
};
#define RETENTION_N (sizeof(retention_rows) / sizeof(retention_rows[0]))

static double *values_of(const struct metrics *m, const uint32_t *users, size_t n,
			 enum metrics_id id)
{
	double *v = xcalloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = metrics_value(m, users[i], id, METRICS_EXPERIMENT);
	return v;
}

/* Append the retention rows: treatment users ut of mt against control
 * users uc of mc, independent samples (in twin mode the same users in two
 * worlds: the unpaired interval is conservative). */
static void retention_append(const struct metrics *mt, const uint32_t *ut, size_t nt,
			     const struct metrics *mc, const uint32_t *uc, size_t nc, double alpha,
			     struct abtest_arm *out)
{
	for (size_t k = 0; k < RETENTION_N; k++) {
		struct abtest_row *r = &out->rows[out->n_rows++];
		double *a = values_of(mt, ut, nt, retention_rows[k].num);
		double *b = values_of(mt, ut, nt, retention_rows[k].den);
		double *c = values_of(mc, uc, nc, retention_rows[k].num);
		double *d = values_of(mc, uc, nc, retention_rows[k].den);
		struct error e;

		snprintf(r->name, sizeof(r->name), "%s", retention_rows[k].name);
		r->kind = ABTEST_RATIO;
		r->estimable = stats_ratio_lift(a, b, nt, c, d, nc, alpha, &r->lift, &e) == 0;
		if (!r->estimable)
			not_estimable(r, &e);
		r->p_adjusted = r->lift.p;
		r->mde = r->mde_rel = NAN;
		free(a);
		free(b);
		free(c);
		free(d);
	}
}

/* Holm across the family: the mean rows of every treatment arm, arm by
 * arm in metric order (with one arm, the 2-arm family as before). */
static void holm_family(struct abtest *out)
{
	double p[(ABTEST_ARMS_MAX - 1) * FAMILY_N] = { 0 }, adj[(ABTEST_ARMS_MAX - 1) * FAMILY_N];
	struct abtest_row *at[(ABTEST_ARMS_MAX - 1) * FAMILY_N];
	size_t k = 0;

	for (size_t a = 0; a < out->n_arms; a++)
		for (size_t i = 0; i < out->arms[a].n_rows; i++) {
			struct abtest_row *r = &out->arms[a].rows[i];

			if (r->kind != ABTEST_MEAN || !r->estimable)
				continue;
			at[k] = r;
			p[k++] = r->has_cuped ? r->cuped.adjusted.p : r->lift.p;
		}
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
		r->estimable = stats_welch(yt, t->n, yc, c->n, alpha, &r->lift, &e) == 0;
		if (!r->estimable)
			not_estimable(r, &e);
		else {
			r->has_cuped = stats_cuped(yt, xt, t->n, yc, xc, c->n, alpha, &r->cuped,
						   &e) == 0;
			r->p_adjusted = r->lift.p;
			set_mde(r, alpha);
		}
		free(yt);
		free(yc);
		free(xt);
		free(xc);
	}
	{
		struct abtest_row *r = &out->rows[out->n_rows++];
		double *nt = values(m, t, METRIC_HOME_CLICKS, METRICS_EXPERIMENT);
		double *dt = values(m, t, METRIC_IMPRESSIONS, METRICS_EXPERIMENT);
		double *nc = values(m, c, METRIC_HOME_CLICKS, METRICS_EXPERIMENT);
		double *dc = values(m, c, METRIC_IMPRESSIONS, METRICS_EXPERIMENT);

		snprintf(r->name, sizeof(r->name), "home_click_through");
		r->kind = ABTEST_RATIO;
		r->estimable = stats_ratio_lift(nt, dt, t->n, nc, dc, c->n, alpha, &r->lift,
						&e) == 0;
		if (!r->estimable)
			not_estimable(r, &e);
		r->p_adjusted = r->lift.p;
		r->mde = r->mde_rel = NAN;
		free(nt);
		free(dt);
		free(nc);
		free(dc);
	}
	retention_append(m, t->users, t->n, m, c->users, c->n, alpha, out);
	{
		struct abtest_row *r = &out->rows[out->n_rows++];
		double *yt = values(m, t, METRIC_LISTEN_MIN, METRICS_EXPERIMENT);
		double *yc = values(m, c, METRIC_LISTEN_MIN, METRICS_EXPERIMENT);
		double est, lo, hi;

		snprintf(r->name, sizeof(r->name), "median_listening_minutes");
		r->kind = ABTEST_MEDIAN;
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
	retention_append(treatment, ids, n, control, ids, n, alpha, out);
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
