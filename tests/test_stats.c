/* Tests for stats/stats.c against reference values computed independently
 * (scipy.stats 1.10 for Welch and chi-square; by hand for the rest; each
 * noted beside the test). */
#include "stats/stats.h"

#include "common/rng.h"
#include "tests/check_main.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

static const double T[] = { 27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
			    21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4 };
static const double C[] = { 27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
			    24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4 };

/* scipy.stats.ttest_ind(T, C, equal_var=False): t = -2.455356398286006,
 * p = 0.021378001462866985; Welch-Satterthwaite df = 24.988529290231416;
 * 95 % interval (-3.9840962671409264, -0.34923706619240935). */
START_TEST(welch_matches_reference)
{
	struct stats_lift l;
	struct error err;

	ck_assert_int_eq(stats_welch(T, 15, C, 15, 0.05, &l, &err), 0);
	ck_assert_double_eq_tol(l.diff, -2.166666666666668, 1e-12);
	ck_assert_double_eq_tol(l.tstat, -2.455356398286006, 1e-9);
	ck_assert_double_eq_tol(l.p, 0.021378001462866985, 1e-9);
	ck_assert_double_eq_tol(l.df, 24.988529290231416, 1e-9);
	ck_assert_double_eq_tol(l.diff_lo, -3.9840962671409264, 1e-9);
	ck_assert_double_eq_tol(l.diff_hi, -0.34923706619240935, 1e-9);
	/* Relative lift: mean_t / mean_c - 1 with mean_t = 20.82, mean_c = 22.98667. */
	ck_assert_double_eq_tol(l.rel, 20.82 / 22.986666666666668 - 1.0, 1e-12);
	ck_assert(l.rel_lo < l.rel && l.rel < l.rel_hi);
}
END_TEST

START_TEST(welch_refuses_tiny_arms)
{
	struct stats_lift l;
	struct error err;

	ck_assert_int_eq(stats_welch(T, 1, C, 15, 0.05, &l, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "two users"));
}
END_TEST

/* scipy.stats.chisquare([5200, 4800], [5000, 5000]): statistic 16.0,
 * p = 6.334248366623988e-05; [5100, 4900]: p = 0.04550026389635857. */
START_TEST(srm_matches_reference)
{
	double chi2, p;
	struct error err;

	ck_assert_int_eq(stats_srm(5200, 4800, 0.5, &chi2, &p, &err), 0);
	ck_assert_double_eq_tol(chi2, 16.0, 1e-12);
	ck_assert_double_eq_tol(p, 6.334248366623988e-05, 1e-12);
	ck_assert_int_eq(stats_srm(5100, 4900, 0.5, &chi2, &p, &err), 0);
	ck_assert_double_eq_tol(p, 0.04550026389635857, 1e-12);
	ck_assert_int_eq(stats_srm(1, 1, 1.5, &chi2, &p, &err), ERR_INPUT);
}
END_TEST

/* n arms, 2 df (the chi-square's tail is exp(-x/2)): control 500, arms 260
 * and 240 at 50/25/25 against 500, 250, 250: 0 + 0.4 + 0.4 = 0.8, p =
 * exp(-0.4); control 5200, arms 2500 and 2300: 8 + 0 + 16 = 24, p =
 * exp(-12).  Two arms give stats_srm's numbers to the last bit. */
START_TEST(srm_over_n_arms)
{
	const uint64_t a[3] = { 500, 260, 240 }, b[3] = { 5200, 2500, 2300 }, two[2] = { 4800, 5200 };
	const double shares[3] = { 0.5, 0.25, 0.25 }, half[2] = { 0.5, 0.5 };
	const double bad[3] = { 0.5, 0.5, 0.5 }, zero[3] = { 0.5, 0.5, 0 };
	double chi2, p, c1, p1;
	struct error err;

	ck_assert_int_eq(stats_srm_arms(a, shares, 3, &chi2, &p, &err), 0);
	ck_assert_double_eq_tol(chi2, 0.8, 1e-12);
	ck_assert_double_eq_tol(p, exp(-0.4), 1e-12);
	ck_assert_int_eq(stats_srm_arms(b, shares, 3, &chi2, &p, &err), 0);
	ck_assert_double_eq_tol(chi2, 24, 1e-12);
	ck_assert_double_eq_tol(p, exp(-12.0), 1e-15);
	ck_assert_int_eq(stats_srm_arms(two, half, 2, &chi2, &p, &err), 0);
	ck_assert_int_eq(stats_srm(5200, 4800, 0.5, &c1, &p1, &err), 0);
	ck_assert(chi2 == c1 && p == p1);
	ck_assert_int_eq(stats_srm_arms(a, bad, 3, &chi2, &p, &err), ERR_INPUT);
	ck_assert_int_eq(stats_srm_arms(a, zero, 3, &chi2, &p, &err), ERR_INPUT);
}
END_TEST

/* y = 3x + e with e orthogonal to x and summing to zero, so the pooled
 * least-squares slope is exactly 3 and var(y_adj) = var(e). */
START_TEST(cuped_recovers_known_theta)
{
	enum { N = 400 };
	static double yt[N], xt[N], yc[N], xc[N];
	static const double e[4] = { 1, -1, -1, 1 };
	struct stats_cuped cu;
	struct error err;
	double var_e, var_y;

	for (int i = 0; i < N; i++) {
		xt[i] = xc[i] = i % 4;
		yt[i] = 3.0 * xt[i] + e[i % 4] + 0.5; /* treatment adds 0.5 */
		yc[i] = 3.0 * xc[i] + e[i % 4];
	}
	ck_assert_int_eq(stats_cuped(yt, xt, N, yc, xc, N, 0.05, &cu, &err), 0);
	ck_assert_double_eq_tol(cu.theta, 3.0, 1e-12);
	/* var(e) over 800 values = 800/799; var(y) pooled: computed by hand:
	 * 9 var(x) + var(e) + var(arm shift), the three uncorrelated by
	 * construction; x has var 1.25*800/799.  What CUPED cannot remove is
	 * var(e) + var(arm shift). */
	var_e = 800.0 / 799.0 + 0.0625 * 800.0 / 799.0;
	var_y = 9.0 * 1.25 * 800.0 / 799.0 + var_e;
	ck_assert_double_eq_tol(cu.variance_reduction, 1.0 - var_e / var_y, 1e-9);
	ck_assert_double_eq_tol(cu.adjusted.diff, 0.5, 1e-12);
	ck_assert_double_eq_tol(cu.raw.diff, 0.5, 1e-12);
	ck_assert(cu.adjusted.se < cu.raw.se / 2);
}
END_TEST

/* With den = 1 for every user the ratio is the mean of num and its
 * delta-method variance must equal var(num)/n exactly; with num = 2 den the
 * ratio is constant and its variance zero. */
START_TEST(delta_method_on_known_ratios)
{
	double num[5] = { 1, 2, 3, 4, 10 }, one[5] = { 1, 1, 1, 1, 1 };
	double den[5] = { 1, 3, 2, 5, 4 }, twice[5];
	double r, v;
	struct error err;

	ck_assert_int_eq(stats_ratio_var(num, one, 5, &r, &v, &err), 0);
	ck_assert_double_eq_tol(r, 4.0, 1e-12);
	ck_assert_double_eq_tol(v, 12.5 / 5.0, 1e-12); /* var(num) = 12.5 */
	for (int i = 0; i < 5; i++)
		twice[i] = 2 * den[i];
	ck_assert_int_eq(stats_ratio_var(twice, den, 5, &r, &v, &err), 0);
	ck_assert_double_eq_tol(r, 2.0, 1e-12);
	ck_assert_double_eq_tol(v, 0.0, 1e-12);
	/* By hand for num/den above: my = 4, mx = 3, vy = 12.5, vx = 2.5,
	 * cov = 13/4; var = (12.5/9 - 2*4*3.25/27 + 16*2.5/81)/5. */
	ck_assert_int_eq(stats_ratio_var(num, den, 5, &r, &v, &err), 0);
	ck_assert_double_eq_tol(v, (12.5 / 9 - 26.0 / 27 + 40.0 / 81) / 5, 1e-12);
	ck_assert_int_eq(stats_ratio_var(num, (double[5]){ 0 }, 5, &r, &v, &err), ERR_INPUT);
}
END_TEST

/* Hand-computed: Holm on (0.01, 0.04, 0.03, 0.005) = (0.03, 0.06, 0.06, 0.02);
 * BH = (0.02, 0.04, 0.04, 0.02). */
START_TEST(multiplicity_adjustments)
{
	const double p[4] = { 0.01, 0.04, 0.03, 0.005 };
	const double holm[4] = { 0.03, 0.06, 0.06, 0.02 }, bh[4] = { 0.02, 0.04, 0.04, 0.02 };
	double out[4];

	stats_holm(p, 4, out);
	for (int i = 0; i < 4; i++)
		ck_assert_double_eq_tol(out[i], holm[i], 1e-12);
	stats_bh(p, 4, out);
	for (int i = 0; i < 4; i++)
		ck_assert_double_eq_tol(out[i], bh[i], 1e-12);
}
END_TEST

/* Paired differences d = t - c: with c = t - 1 exactly the difference is 1
 * with zero width; with noise the interval is a t interval on d. */
START_TEST(paired_intervals)
{
	double t[6] = { 3, 5, 4, 8, 6, 7 }, c[6];
	struct stats_lift l;
	struct error err;

	for (int i = 0; i < 6; i++)
		c[i] = t[i] - 1;
	ck_assert_int_eq(stats_paired(t, c, 6, 0.05, &l, &err), 0);
	ck_assert_double_eq_tol(l.diff, 1.0, 1e-12);
	ck_assert_double_eq_tol(l.diff_lo, 1.0, 1e-12);
	c[0] = 1; /* d = (2,1,1,1,1,1): mean 7/6, sd 0.408248, t(5) q = 2.570582 */
	ck_assert_int_eq(stats_paired(t, c, 6, 0.05, &l, &err), 0);
	ck_assert_double_eq_tol(l.diff, 7.0 / 6.0, 1e-12);
	ck_assert_double_eq_tol(l.diff_hi - l.diff, 2.5705818366147395 * 0.408248290463863 / sqrt(6.0), 1e-9);
}
END_TEST

/* Bootstrap of the median difference between N(1,1) and N(0,1) samples of
 * 2,000: the true difference 1 lies inside the 95 % interval (fixed seed),
 * the interval width is near 2 * 1.96 * sqrt(2 * pi/2 / 2000) = 0.0777*2. */
START_TEST(bootstrap_median_interval)
{
	enum { N = 2000 };
	static double t[N], c[N];
	struct rng r;
	struct error err;
	double est, lo, hi, half;

	rng_init(&r, 11, RNG_TEST, 0, 0);
	for (int i = 0; i < N; i++) {
		t[i] = 1.0 + gsl_ran_gaussian(rng_gsl(&r), 1.0);
		c[i] = gsl_ran_gaussian(rng_gsl(&r), 1.0);
	}
	ck_assert_int_eq(stats_bootstrap_quantile_diff(t, N, c, N, 0.5, 400, 1, 0, 0.05, &est,
						       &lo, &hi, &err), 0);
	ck_assert(lo < 1.0 && 1.0 < hi);
	/* sd of a sample median ~ sqrt(pi/2)/sqrt(n) = 0.028; of the difference 0.0396. */
	half = (hi - lo) / 2;
	ck_assert_double_gt(half, 0.5 * 1.96 * 0.0396);
	ck_assert_double_lt(half, 1.5 * 1.96 * 0.0396);
}
END_TEST

/* The resample-as-counts bootstrap against the plain one it replaced
 * (copy each resample, sort it, gsl quantile): the same bits, on values
 * with many ties (most users listen 0 minutes, the rest whole minutes) and
 * on continuous ones, odd and even sizes, several quantiles. */
static double sorted_quantile(double *x, size_t n, double q)
{
	gsl_sort(x, 1, n);
	return gsl_stats_quantile_from_sorted_data(x, 1, n, q);
}

static void plain_bootstrap(const double *t, size_t nt, const double *c, size_t nc, double q,
			    size_t reps, uint64_t seed, double alpha, double out[3])
{
	double *bt = calloc(nt, sizeof(*bt)), *bc = calloc(nc, sizeof(*bc));
	double *diffs = calloc(reps, sizeof(*diffs));
	struct rng r;

	memcpy(bt, t, nt * sizeof(*bt));
	memcpy(bc, c, nc * sizeof(*bc));
	out[0] = sorted_quantile(bt, nt, q) - sorted_quantile(bc, nc, q);
	rng_init(&r, seed, RNG_STATS, 1, 0);
	for (size_t b = 0; b < reps; b++) {
		for (size_t i = 0; i < nt; i++)
			bt[i] = t[rng_below(&r, nt)];
		for (size_t i = 0; i < nc; i++)
			bc[i] = c[rng_below(&r, nc)];
		diffs[b] = sorted_quantile(bt, nt, q) - sorted_quantile(bc, nc, q);
	}
	gsl_sort(diffs, 1, reps);
	out[1] = gsl_stats_quantile_from_sorted_data(diffs, 1, reps, alpha / 2.0);
	out[2] = gsl_stats_quantile_from_sorted_data(diffs, 1, reps, 1.0 - alpha / 2.0);
	free(bt), free(bc), free(diffs);
}

START_TEST(bootstrap_same_bits_as_sorting_each_resample)
{
	enum { N = 1501 };
	static double t[N], c[N];
	static const double qs[] = { 0.5, 0.1, 0.9, 0.999 };
	struct rng r;
	struct error err;

	for (int ties = 0; ties < 2; ties++) {
		rng_init(&r, 21, RNG_TEST, (uint64_t)ties, 0);
		for (int i = 0; i < N; i++) {
			double u = rng_uniform(&r);

			t[i] = ties ? (u < 0.6 ? 0.0 : floor(40 * rng_uniform(&r)))
				    : gsl_ran_gaussian(rng_gsl(&r), 1.0);
			c[i] = ties ? (u < 0.65 ? 0.0 : floor(35 * rng_uniform(&r)))
				    : gsl_ran_gaussian(rng_gsl(&r), 1.0);
		}
		for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
			size_t nt = N - (k % 2), nc = N - 1 - 2 * (k % 2);
			double want[3], est, lo, hi;

			plain_bootstrap(t, nt, c, nc, qs[k], 50, 3, 0.05, want);
			ck_assert_int_eq(stats_bootstrap_quantile_diff(t, nt, c, nc, qs[k], 50, 3, 1,
								       0.05, &est, &lo, &hi, &err),
					 0);
			ck_assert_msg(memcmp(&est, &want[0], sizeof(est)) == 0 &&
				      memcmp(&lo, &want[1], sizeof(lo)) == 0 &&
				      memcmp(&hi, &want[2], sizeof(hi)) == 0,
				      "ties %d q %g: %.17g [%.17g, %.17g] against %.17g [%.17g, %.17g]",
				      ties, qs[k], est, lo, hi, want[0], want[1], want[2]);
		}
	}
	t[7] = NAN;
	ck_assert_int_eq(stats_bootstrap_quantile_diff(t, N, c, N, 0.5, 50, 3, 1, 0.05, &t[0],
						       &t[1], &t[2], &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "NaN"));
}
END_TEST

/* MDE at alpha 0.05, power 0.8 is (1.959964 + 0.841621) * se. */
/* Paired ratio (twin click-through): against numpy's delta method on the
 * 4 x 4 covariance of the four per-user means (ddof 1):
 *   g = [1/m_dt, -m_nt/m_dt^2, -1/m_dc, m_nc/m_dc^2]; var = g' S g / n. */
START_TEST(paired_ratio_matches_numpy)
{
	const double nt[6] = { 3, 0, 2, 5, 1, 4 }, dt[6] = { 10, 4, 8, 12, 5, 9 };
	const double nc[6] = { 2, 1, 1, 4, 0, 3 }, dc[6] = { 9, 5, 7, 11, 6, 10 };
	const double zero[6] = { 0 };
	struct stats_lift l;
	struct error err;

	ck_assert_int_eq(stats_ratio_paired(nt, dt, nc, dc, 6, 0.05, &l, &err), 0);
	ck_assert_double_eq_tol(l.diff, 0.083333333333333343, 1e-15);
	ck_assert_double_eq_tol(l.se, 0.03366668170722989, 1e-14);
	ck_assert_double_eq_tol(l.diff_lo, 0.017347849708189297, 1e-14);
	ck_assert_double_eq_tol(l.diff_hi, 0.14931881695847737, 1e-14);
	ck_assert_double_eq_tol(l.p, 0.013314427507147271, 1e-13);
	ck_assert_double_eq_tol(l.rel, 0.36363636363636376, 1e-14);
	ck_assert_double_eq_tol(l.rel_se, 0.18820091313088522, 1e-14);
	/* bad input: one user, a zero denominator */
	ck_assert_int_eq(stats_ratio_paired(nt, dt, nc, dc, 1, 0.05, &l, &err), ERR_INPUT);
	ck_assert_int_eq(stats_ratio_paired(nt, zero, nc, dc, 6, 0.05, &l, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "treatment: ratio undefined"));
}
END_TEST

START_TEST(mde_and_power)
{
	double mde = stats_mde(1.0, 1.0, 100, 100, 0.05, 0.8);

	ck_assert_double_eq_tol(mde, 2.8015852 * sqrt(0.02), 1e-6);
	ck_assert_double_eq_tol(stats_power(mde, 1.0, 1.0, 100, 100, 0.05), 0.8, 1e-3);
	ck_assert_double_eq_tol(stats_power(0.0, 1.0, 1.0, 100, 100, 0.05), 0.05, 1e-9);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, welch_matches_reference);
	tcase_add_test(tc, welch_refuses_tiny_arms);
	tcase_add_test(tc, srm_matches_reference);
	tcase_add_test(tc, srm_over_n_arms);
	tcase_add_test(tc, cuped_recovers_known_theta);
	tcase_add_test(tc, delta_method_on_known_ratios);
	tcase_add_test(tc, multiplicity_adjustments);
	tcase_add_test(tc, paired_intervals);
	tcase_add_test(tc, bootstrap_median_interval);
	tcase_add_test(tc, bootstrap_same_bits_as_sorting_each_resample);
	tcase_add_test(tc, mde_and_power);
	tcase_add_test(tc, paired_ratio_matches_numpy);
}

CHECK_MAIN("stats", add_tests, 60)
