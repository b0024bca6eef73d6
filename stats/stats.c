/* A/B statistics; see stats.h for the choices made. */
#define _GNU_SOURCE   /* qsort_r: comparators take their keys as an argument */
#include "stats/stats.h"

#include "common/rng.h"
#include "common/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

void stats_summarize(const double *x, size_t n, struct stats_summary *out)
{
	memset(out, 0, sizeof(*out));
	out->n = n;
	if (n == 0)
		return;
	out->mean = gsl_stats_mean(x, 1, n);
	if (n > 1) {
		out->var = gsl_stats_variance_m(x, 1, n, out->mean);
		out->sd = sqrt(out->var);
	}
}

static double z_for(double alpha)
{
	return gsl_cdf_ugaussian_Pinv(1.0 - alpha / 2.0);
}

/* Fill the relative lift from means and the variances of the two means. */
static int relative_lift(struct stats_lift *o, double mt, double vmt, double mc, double vmc,
			 double cov, double alpha, struct error *err)
{
	double z = z_for(alpha), var;

	if (mc == 0.0)
		return error_set(err, ERR_INPUT, "relative lift undefined: control mean is zero");
	o->rel = mt / mc - 1.0;
	/* Var(mt/mc) ~ vmt/mc^2 - 2 mt cov/mc^3 + mt^2 vmc/mc^4. */
	var = vmt / (mc * mc) - 2.0 * mt * cov / (mc * mc * mc) + mt * mt * vmc / (mc * mc * mc * mc);
	if (var < 0)
		var = 0;
	o->rel_se = sqrt(var);
	o->rel_lo = o->rel - z * o->rel_se;
	o->rel_hi = o->rel + z * o->rel_se;
	return 0;
}

int stats_welch(const double *t, size_t nt, const double *c, size_t nc, double alpha,
		struct stats_lift *out, struct error *err)
{
	double at, ac, q;

	memset(out, 0, sizeof(*out));
	if (nt < 2 || nc < 2)
		return error_set(err, ERR_INPUT, "welch interval needs two users per arm (have %zu and %zu)",
				 nt, nc);
	stats_summarize(t, nt, &out->t);
	stats_summarize(c, nc, &out->c);
	at = out->t.var / (double)nt;
	ac = out->c.var / (double)nc;
	out->diff = out->t.mean - out->c.mean;
	out->se = sqrt(at + ac);
	if (out->se == 0.0) {
		/* Both arms constant: the difference is known exactly. */
		out->df = (double)(nt + nc - 2);
		out->diff_lo = out->diff_hi = out->diff;
		out->tstat = out->diff == 0.0 ? 0.0 : copysign(INFINITY, out->diff);
		out->p = out->diff == 0.0 ? 1.0 : 0.0;
	} else {
		out->df = (at + ac) * (at + ac) /
			  (at * at / (double)(nt - 1) + ac * ac / (double)(nc - 1));
		q = gsl_cdf_tdist_Pinv(1.0 - alpha / 2.0, out->df);
		out->diff_lo = out->diff - q * out->se;
		out->diff_hi = out->diff + q * out->se;
		out->tstat = out->diff / out->se;
		out->p = 2.0 * gsl_cdf_tdist_Q(fabs(out->tstat), out->df);
	}
	return relative_lift(out, out->t.mean, at, out->c.mean, ac, 0.0, alpha, err);
}

int stats_ratio_var(const double *num, const double *den, size_t n, double *ratio,
		    double *var, struct error *err)
{
	double mx, my, vx, vy, cxy;

	if (n < 2)
		return error_set(err, ERR_INPUT, "ratio variance needs two users (have %zu)", n);
	my = gsl_stats_mean(num, 1, n);
	mx = gsl_stats_mean(den, 1, n);
	if (mx == 0.0)
		return error_set(err, ERR_INPUT, "ratio undefined: denominator sums to zero");
	vy = gsl_stats_variance_m(num, 1, n, my);
	vx = gsl_stats_variance_m(den, 1, n, mx);
	cxy = gsl_stats_covariance_m(num, 1, den, 1, n, my, mx);
	*ratio = my / mx;
	*var = (vy / (mx * mx) - 2.0 * my * cxy / (mx * mx * mx) +
		my * my * vx / (mx * mx * mx * mx)) / (double)n;
	if (*var < 0)
		*var = 0;
	return 0;
}

int stats_ratio_lift(const double *num_t, const double *den_t, size_t nt,
		     const double *num_c, const double *den_c, size_t nc, double alpha,
		     struct stats_lift *out, struct error *err)
{
	double rt, vt, rc, vc, z = z_for(alpha);
	int rc_;

	memset(out, 0, sizeof(*out));
	if ((rc_ = stats_ratio_var(num_t, den_t, nt, &rt, &vt, err)) < 0)
		return error_prefix(err, "treatment: ");
	if ((rc_ = stats_ratio_var(num_c, den_c, nc, &rc, &vc, err)) < 0)
		return error_prefix(err, "control: ");
	out->t.n = nt;
	out->t.mean = rt;
	out->t.sd = sqrt(vt);
	out->t.var = vt;
	out->c.n = nc;
	out->c.mean = rc;
	out->c.sd = sqrt(vc);
	out->c.var = vc;
	out->diff = rt - rc;
	out->se = sqrt(vt + vc);
	out->df = INFINITY;
	out->diff_lo = out->diff - z * out->se;
	out->diff_hi = out->diff + z * out->se;
	out->tstat = out->se > 0 ? out->diff / out->se : 0.0;
	out->p = out->se > 0 ? 2.0 * gsl_cdf_ugaussian_Q(fabs(out->tstat)) : (out->diff == 0 ? 1.0 : 0.0);
	return relative_lift(out, rt, vt, rc, vc, 0.0, alpha, err);
}

int stats_cuped(const double *y_t, const double *x_t, size_t nt, const double *y_c,
		const double *x_c, size_t nc, double alpha, struct stats_cuped *out,
		struct error *err)
{
	size_t n = nt + nc;
	double *y, *x, *adj_t, *adj_c, my, mx, vx, vy, cxy, vadj;
	int rc;

	memset(out, 0, sizeof(*out));
	if (nt < 2 || nc < 2)
		return error_set(err, ERR_INPUT, "cuped needs two users per arm (have %zu and %zu)", nt, nc);
	y = xcalloc(n, sizeof(*y));
	x = xcalloc(n, sizeof(*x));
	memcpy(y, y_t, nt * sizeof(*y));
	memcpy(y + nt, y_c, nc * sizeof(*y));
	memcpy(x, x_t, nt * sizeof(*x));
	memcpy(x + nt, x_c, nc * sizeof(*x));
	my = gsl_stats_mean(y, 1, n);
	mx = gsl_stats_mean(x, 1, n);
	vx = gsl_stats_variance_m(x, 1, n, mx);
	vy = gsl_stats_variance_m(y, 1, n, my);
	cxy = gsl_stats_covariance_m(y, 1, x, 1, n, my, mx);
	/* A constant covariate carries no information: theta = 0, no adjustment. */
	out->theta = vx > 0 ? cxy / vx : 0.0;
	for (size_t i = 0; i < n; i++)
		y[i] -= out->theta * (x[i] - mx);
	vadj = gsl_stats_variance(y, 1, n);
	out->variance_reduction = vy > 0 ? 1.0 - vadj / vy : 0.0;
	adj_t = y;
	adj_c = y + nt;
	if ((rc = stats_welch(y_t, nt, y_c, nc, alpha, &out->raw, err)) < 0)
		goto out;
	rc = stats_welch(adj_t, nt, adj_c, nc, alpha, &out->adjusted, err);
	/* The adjusted means are shifted by theta * (mean_x_arm - mean_x); the
	 * relative lift is reported against the raw control mean, which the
	 * adjustment leaves unbiased in expectation. */
	if (rc == 0 && out->raw.c.mean != 0.0) {
		double z = z_for(alpha);

		out->adjusted.rel = out->adjusted.diff / out->raw.c.mean;
		out->adjusted.rel_se = out->adjusted.se / fabs(out->raw.c.mean);
		out->adjusted.rel_lo = out->adjusted.rel - z * out->adjusted.rel_se;
		out->adjusted.rel_hi = out->adjusted.rel + z * out->adjusted.rel_se;
	}
out:
	free(x);
	free(y);
	return rc;
}

int stats_paired(const double *t, const double *c, size_t n, double alpha,
		 struct stats_lift *out, struct error *err)
{
	double *d, q, mt, mc, vt, vc, cov;

	memset(out, 0, sizeof(*out));
	if (n < 2)
		return error_set(err, ERR_INPUT, "paired interval needs two users (have %zu)", n);
	stats_summarize(t, n, &out->t);
	stats_summarize(c, n, &out->c);
	d = xcalloc(n, sizeof(*d));
	for (size_t i = 0; i < n; i++)
		d[i] = t[i] - c[i];
	{
		struct stats_summary sd;

		stats_summarize(d, n, &sd);
		out->diff = sd.mean;
		out->se = sd.sd / sqrt((double)n);
	}
	free(d);
	out->df = (double)(n - 1);
	if (out->se > 0) {
		q = gsl_cdf_tdist_Pinv(1.0 - alpha / 2.0, out->df);
		out->diff_lo = out->diff - q * out->se;
		out->diff_hi = out->diff + q * out->se;
		out->tstat = out->diff / out->se;
		out->p = 2.0 * gsl_cdf_tdist_Q(fabs(out->tstat), out->df);
	} else {
		out->diff_lo = out->diff_hi = out->diff;
		out->p = out->diff == 0.0 ? 1.0 : 0.0;
	}
	mt = out->t.mean;
	mc = out->c.mean;
	vt = out->t.var / (double)n;
	vc = out->c.var / (double)n;
	cov = gsl_stats_covariance_m(t, 1, c, 1, n, mt, mc) / (double)n;
	return relative_lift(out, mt, vt, mc, vc, cov, alpha, err);
}

/* Influence of each user on a ratio of means: (num - R den) / mean(den). */
static int ratio_influence(const double *num, const double *den, size_t n, double *r,
			   double *inf, struct error *err)
{
	double mn = gsl_stats_mean(num, 1, n), md = gsl_stats_mean(den, 1, n);

	if (md == 0.0)
		return error_set(err, ERR_INPUT, "ratio undefined: denominator sums to zero");
	*r = mn / md;
	for (size_t i = 0; i < n; i++)
		inf[i] = (num[i] - *r * den[i]) / md;
	return 0;
}

int stats_ratio_paired(const double *num_t, const double *den_t, const double *num_c,
		       const double *den_c, size_t n, double alpha, struct stats_lift *out,
		       struct error *err)
{
	double *it, *ic, *d, rt, rc, vt, vc, cov, vd, z = z_for(alpha);
	int rc_ = 0;

	memset(out, 0, sizeof(*out));
	if (n < 2)
		return error_set(err, ERR_INPUT, "paired ratio needs two users (have %zu)", n);
	it = xcalloc(n, sizeof(*it));
	ic = xcalloc(n, sizeof(*ic));
	d = xcalloc(n, sizeof(*d));
	if ((rc_ = ratio_influence(num_t, den_t, n, &rt, it, err)) < 0) {
		error_prefix(err, "treatment: ");
		goto out;
	}
	if ((rc_ = ratio_influence(num_c, den_c, n, &rc, ic, err)) < 0) {
		error_prefix(err, "control: ");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		d[i] = it[i] - ic[i];
	/* Variances of the estimators: sample variance of the influence / n. */
	vt = gsl_stats_variance(it, 1, n) / (double)n;
	vc = gsl_stats_variance(ic, 1, n) / (double)n;
	vd = gsl_stats_variance(d, 1, n) / (double)n;
	cov = gsl_stats_covariance(it, 1, ic, 1, n) / (double)n;
	out->t.n = out->c.n = n;
	out->t.mean = rt;
	out->t.var = vt;
	out->t.sd = sqrt(vt);
	out->c.mean = rc;
	out->c.var = vc;
	out->c.sd = sqrt(vc);
	out->diff = rt - rc;
	out->se = sqrt(vd);
	out->df = INFINITY;
	out->diff_lo = out->diff - z * out->se;
	out->diff_hi = out->diff + z * out->se;
	out->tstat = out->se > 0 ? out->diff / out->se : 0.0;
	out->p = out->se > 0 ? 2.0 * gsl_cdf_ugaussian_Q(fabs(out->tstat))
			     : (out->diff == 0 ? 1.0 : 0.0);
	if (out->se == 0)
		out->diff_lo = out->diff_hi = out->diff;
	rc_ = relative_lift(out, rt, vt, rc, vc, cov, alpha, err);
out:
	free(it);
	free(ic);
	free(d);
	return rc_;
}

int stats_srm(uint64_t n_t, uint64_t n_c, double expected_share, double *chi2, double *p,
	      struct error *err)
{
	const uint64_t n[2] = { n_c, n_t };
	const double shares[2] = { 1 - expected_share, expected_share };

	if (expected_share <= 0.0 || expected_share >= 1.0)
		return error_set(err, ERR_INPUT, "srm check needs a treatment share in (0, 1), got %g",
				 expected_share);
	return stats_srm_arms(n, shares, 2, chi2, p, err);
}

int stats_srm_arms(const uint64_t *n, const double *shares, size_t k, double *chi2, double *p,
		   struct error *err)
{
	double total = 0, rest = 0, sum = 0, e0;

	ASSERT(k >= 2);
	for (size_t i = 1; i < k; i++) {
		if (!(shares[i] > 0.0 && shares[i] < 1.0))
			return error_set(err, ERR_INPUT, "srm check needs arm shares in (0, 1), "
					 "got %g for arm %zu", shares[i], i);
		rest += shares[i];
	}
	if (rest >= 1.0)
		return error_set(err, ERR_INPUT, "srm check needs the treatment shares to leave "
				 "the control some, got %g in all", rest);
	/* Summed and subtracted in this order, two arms give the 1-df
	 * statistic of the 2-arm check to the last bit. */
	for (size_t i = 1; i < k; i++)
		total += (double)n[i];
	total += (double)n[0];
	if (total == 0)
		return error_set(err, ERR_INPUT, "srm check needs at least one user");
	*chi2 = 0;
	for (size_t i = 1; i < k; i++) {
		double e = total * shares[i];

		sum += e;
		*chi2 += ((double)n[i] - e) * ((double)n[i] - e) / e;
	}
	e0 = total - sum;
	*chi2 += ((double)n[0] - e0) * ((double)n[0] - e0) / e0;
	*p = gsl_cdf_chisq_Q(*chi2, (double)(k - 1));
	return 0;
}

/* Sort indices by p-value (ctx: the p-values, qsort_r); ties by index so
 * the result is deterministic. */
static int by_p(const void *a, const void *b, void *ctx)
{
	const double *sort_keys = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	if (sort_keys[i] < sort_keys[j])
		return -1;
	if (sort_keys[i] > sort_keys[j])
		return 1;
	return i < j ? -1 : (i > j);
}

static size_t *order_by_p(const double *p, size_t n)
{
	size_t *idx = xcalloc(n, sizeof(*idx));

	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), by_p, (void *)p);
	return idx;
}

void stats_holm(const double *p, size_t n, double *out)
{
	size_t *idx = order_by_p(p, n);
	double *adj = xcalloc(n ? n : 1, sizeof(*adj)), run = 0.0;

	/* Step-down: adj_(k) = max_{j<=k} min(1, (n - j) p_(j)). */
	for (size_t k = 0; k < n; k++) {
		double v = fmin(1.0, (double)(n - k) * p[idx[k]]);

		run = fmax(run, v);
		adj[idx[k]] = run;
	}
	memcpy(out, adj, n * sizeof(*out));
	free(adj);
	free(idx);
}

void stats_bh(const double *p, size_t n, double *out)
{
	size_t *idx = order_by_p(p, n);
	double *adj = xcalloc(n ? n : 1, sizeof(*adj)), run = 1.0;

	/* Step-up: adj_(k) = min_{j>=k} min(1, n p_(j) / j). */
	for (size_t k = n; k-- > 0;) {
		double v = fmin(1.0, (double)n * p[idx[k]] / (double)(k + 1));

		run = fmin(run, v);
		adj[idx[k]] = run;
	}
	memcpy(out, adj, n * sizeof(*out));
	free(adj);
	free(idx);
}

/* A sample sorted once, so that a resample of it is a count per sorted
 * position: its order statistics come from a running sum of the counts,
 * with no sort per resample (at a million users, 800 sorts of 500,000
 * values were half a minute). */
struct resample {
	size_t n;
	double *sorted;    /* the sample, ascending */
	size_t *pos;       /* pos[i]: where x[i] sits in sorted */
	uint32_t *count;   /* draws per sorted position */
};

static void resample_init(struct resample *rs, const double *x, size_t n)
{
	size_t *order = xcalloc(n, sizeof(*order));

	rs->n = n;
	rs->sorted = xcalloc(n, sizeof(*rs->sorted));
	rs->pos = xcalloc(n, sizeof(*rs->pos));
	rs->count = xcalloc(n, sizeof(*rs->count));
	gsl_sort_index(order, x, 1, n);
	for (size_t j = 0; j < n; j++) {
		rs->sorted[j] = x[order[j]];
		rs->pos[order[j]] = j;
	}
	free(order);
}

static void resample_release(struct resample *rs)
{
	free(rs->sorted);
	free(rs->pos);
	free(rs->count);
}

/* Draw n users with replacement (the caller's stream, one rng_below per
 * draw, as a resample array would take them). */
static void resample_draw(struct resample *rs, struct rng *r)
{
	memset(rs->count, 0, rs->n * sizeof(*rs->count));
	for (size_t i = 0; i < rs->n; i++)
		rs->count[rs->pos[rng_below(r, rs->n)]]++;
}

/* Quantile q of the last resample, by the same formula as
 * gsl_stats_quantile_from_sorted_data on the sorted resample (so the same
 * bits): values at order statistics lhs and lhs + 1, interpolated. */
static double resample_quantile(const struct resample *rs, double q)
{
	const double index = q * (double)(rs->n - 1);
	const size_t lhs = (size_t)index;
	const double delta = index - (double)lhs;
	double a = NAN, b = NAN;
	size_t seen = 0;

	for (size_t j = 0; j < rs->n; j++) {
		seen += rs->count[j];
		if (isnan(a) && seen > lhs)
			a = rs->sorted[j];
		if (seen > lhs + 1) {
			b = rs->sorted[j];
			break;
		}
	}
	if (lhs == rs->n - 1)
		return a;
	return (1 - delta) * a + delta * b;
}

int stats_bootstrap_quantile_diff(const double *t, size_t nt, const double *c, size_t nc,
				  double q, size_t reps, uint64_t seed, uint64_t stream_id,
				  double alpha, double *est, double *lo, double *hi,
				  struct error *err)
{
	struct resample rt, rc;
	double *diffs;
	struct rng r;

	if (nt < 2 || nc < 2)
		return error_set(err, ERR_INPUT, "bootstrap needs two users per arm (have %zu and %zu)",
				 nt, nc);
	if (reps < 20)
		return error_set(err, ERR_INPUT, "bootstrap needs at least 20 resamples (got %zu)", reps);
	for (size_t i = 0; i < nt; i++)
		if (isnan(t[i]))
			return error_set(err, ERR_INPUT, "bootstrap: missing value (NaN) in the treatment arm");
	for (size_t i = 0; i < nc; i++)
		if (isnan(c[i]))
			return error_set(err, ERR_INPUT, "bootstrap: missing value (NaN) in the control arm");
	resample_init(&rt, t, nt);
	resample_init(&rc, c, nc);
	diffs = xcalloc(reps, sizeof(*diffs));
	*est = gsl_stats_quantile_from_sorted_data(rt.sorted, 1, nt, q) -
	       gsl_stats_quantile_from_sorted_data(rc.sorted, 1, nc, q);
	rng_init(&r, seed, RNG_STATS, stream_id, 0);
	for (size_t b = 0; b < reps; b++) {
		/* Each per-user value is one cluster: resampling users keeps a
		 * user's sessions together. */
		resample_draw(&rt, &r);
		resample_draw(&rc, &r);
		diffs[b] = resample_quantile(&rt, q) - resample_quantile(&rc, q);
	}
	gsl_sort(diffs, 1, reps);
	*lo = gsl_stats_quantile_from_sorted_data(diffs, 1, reps, alpha / 2.0);
	*hi = gsl_stats_quantile_from_sorted_data(diffs, 1, reps, 1.0 - alpha / 2.0);
	free(diffs);
	resample_release(&rc);
	resample_release(&rt);
	return 0;
}

double stats_mde(double sd_t, double sd_c, size_t nt, size_t nc, double alpha, double power)
{
	double se;

	if (nt == 0 || nc == 0)
		return INFINITY;
	se = sqrt(sd_t * sd_t / (double)nt + sd_c * sd_c / (double)nc);
	return (z_for(alpha) + gsl_cdf_ugaussian_Pinv(power)) * se;
}

double stats_mde_se(double se, double alpha, double power)
{
	return (z_for(alpha) + gsl_cdf_ugaussian_Pinv(power)) * se;
}

double stats_power(double delta, double sd_t, double sd_c, size_t nt, size_t nc, double alpha)
{
	double se, z = z_for(alpha);

	if (nt == 0 || nc == 0)
		return 0.0;
	se = sqrt(sd_t * sd_t / (double)nt + sd_c * sd_c / (double)nc);
	if (se == 0)
		return delta != 0 ? 1.0 : 0.0;
	/* Both tails, normal approximation. */
	return gsl_cdf_ugaussian_P(fabs(delta) / se - z) + gsl_cdf_ugaussian_P(-fabs(delta) / se - z);
}
