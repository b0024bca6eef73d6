/*
 * How many bootstrap resamples the A/B table needs (issue 19): the
 * Monte-Carlo noise of a percentile interval's ends against the number of
 * resamples, measured, and the time one interval takes.
 *
 * Median row (stats_bootstrap_quantile_diff): per-user listening minutes
 * shaped like the default world's (45 % of users at 0, the rest lognormal,
 * median e^2.2 = 9 minutes, sigma 1.3; the treatment 10 % longer), two arms
 * of N users.  The data stay fixed; only the bootstrap's seed changes:
 * SEEDS intervals per resample count R give the SD of each end across
 * seeds.  That SD is reported against the interval's standard error
 * (width / 3.92): the choice is the smallest R whose ends move by at most
 * 5 % of a standard error (so the printed 3 significant digits of an end
 * are the data's, not the resampling's).
 *
 * Exposure rows (exposure_compare, 64 groups of users): the Gini of
 * exposure across 1,000 creators (the default world), the same
 * measurement.
 *
 * Times are this thread's CPU seconds (robust on a shared host), median
 * over the seeds.
 */
#include "bench/bench.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_statistics_double.h>

#include "common/rng.h"
#include "common/xalloc.h"
#include "stats/exposure.h"
#include "stats/stats.h"

enum { SEEDS = 30 };

static void minutes(double *y, size_t n, double scale, uint64_t seed)
{
	struct rng r;

	rng_init(&r, seed, RNG_TEST, 0, 0);
	for (size_t i = 0; i < n; i++)
		y[i] = rng_uniform(&r) < 0.45 ? 0
		       : scale * exp(2.2 + 1.3 * gsl_ran_ugaussian(rng_gsl(&r)));
}

static const size_t reps[] = { 200, 400, 1000, 2000, 4000, 8000 };
#define NREPS (sizeof(reps) / sizeof(reps[0]))

/* One table row: SD of the ends over SEEDS bootstrap seeds. */
static void row(size_t r, const double *lo, const double *hi, double *t, const char *extra)
{
	double se = (gsl_stats_mean(hi, 1, SEEDS) - gsl_stats_mean(lo, 1, SEEDS)) / 3.92;
	double slo = gsl_stats_sd(lo, 1, SEEDS), shi = gsl_stats_sd(hi, 1, SEEDS);

	printf("| %zu | %.4g | %.4g | %.4g | %.1f %% | %.1f %% | %.3g |%s\n", r,
	       gsl_stats_mean(lo, 1, SEEDS), gsl_stats_mean(hi, 1, SEEDS), se, 100 * slo / se,
	       100 * shi / se, 1e3 * bench_median(t, SEEDS), extra);
}

static void bench_median_interval(size_t n)
{
	double *yt = xcalloc(n, sizeof(*yt)), *yc = xcalloc(n, sizeof(*yc));
	struct error err;

	minutes(yt, n, 1.1, 1);
	minutes(yc, n, 1.0, 2);
	printf("\nmedian of listening minutes, %zu users per arm:\n\n", n);
	printf("| resamples | mean lo | mean hi | SE (width / 3.92) | SD(lo) / SE | SD(hi) / SE "
	       "| ms per interval (CPU, median) |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (size_t k = 0; k < NREPS; k++) {
		double lo[SEEDS], hi[SEEDS], t[SEEDS], est;

		for (int s = 0; s < SEEDS; s++) {
			double t0 = bench_thread_cpu();

			if (stats_bootstrap_quantile_diff(yt, n, yc, n, 0.5, reps[k], (uint64_t)s + 10,
							  1, 0.05, &est, &lo[s], &hi[s], &err) < 0) {
				fprintf(stderr, "bench_bootstrap: %s\n", err.msg);
				exit(1);
			}
			t[s] = bench_thread_cpu() - t0;
		}
		row(reps[k], lo, hi, t, "");
	}
	free(yt);
	free(yc);
}

/* Exposure of 10,000 users per arm over 1,000 creators, Zipf-like: arm 1
 * spreads its slots a little more (exponent 0.95 against 1.0). */
static void bench_gini(void)
{
	enum { CREATORS = 1000, USERS = 20000, SLOTS = 10 };
	uint32_t *cr = xcalloc(CREATORS, sizeof(*cr));
	uint16_t *tp = xcalloc(CREATORS, sizeof(*tp));
	uint8_t *hq = xcalloc(CREATORS, sizeof(*hq));
	double cum[2][CREATORS];
	struct exposure *e;
	struct exposure_page pg;
	struct error err;
	struct rng r;

	for (uint32_t c = 0; c < CREATORS; c++) {
		cr[c] = c;
		tp[c] = (uint16_t)(c % 16);
	}
	for (int a = 0; a < 2; a++) {
		double sum = 0;

		for (uint32_t c = 0; c < CREATORS; c++)
			sum += pow(c + 1.0, a ? -0.95 : -1.0);
		for (uint32_t c = 0, acc = 0; c < CREATORS; c++, acc++)
			cum[a][c] = (c ? cum[a][c - 1] : 0) + pow(c + 1.0, a ? -0.95 : -1.0) / sum;
	}
	e = exposure_new(2, CREATORS, cr, tp, hq, CREATORS, 16);
	rng_init(&r, 3, RNG_TEST, 0, 0);
	for (uint32_t u = 0; u < USERS; u++) {
		uint32_t page[SLOTS];
		int a = (int)(u % 2);

		for (int k = 0; k < SLOTS; k++) {
			double x = rng_uniform(&r);
			uint32_t c = 0;

			while (c + 1 < CREATORS && cum[a][c] < x)
				c++;
			page[k] = c;
		}
		exposure_page(e, a, u, page, SLOTS, true, &pg);
	}
	printf("\nGini of exposure across %d creators, %d users per arm, %d slots each, 64 groups:\n\n",
	       CREATORS, USERS / 2, SLOTS);
	printf("| resamples | mean lo | mean hi | SE (width / 3.92) | SD(lo) / SE | SD(hi) / SE "
	       "| ms per interval (CPU, median) |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (size_t k = 0; k < NREPS - 1; k++) {
		double lo[SEEDS], hi[SEEDS], t[SEEDS];
		struct exposure_diff d;

		for (int s = 0; s < SEEDS; s++) {
			double t0 = bench_thread_cpu();

			if (exposure_compare(e, 1, e, 0, EXPOSURE_CREATOR_GINI, reps[k], (uint64_t)s + 10,
					     0, 0.05, &d, &err) < 0) {
				fprintf(stderr, "bench_bootstrap: %s\n", err.msg);
				exit(1);
			}
			lo[s] = d.diff_lo;
			hi[s] = d.diff_hi;
			t[s] = bench_thread_cpu() - t0;
		}
		row(reps[k], lo, hi, t, "");
	}
	exposure_free(e);
	free(cr);
	free(tp);
	free(hq);
}

int main(void)
{
	printf("### bootstrap resamples\n\n");
	printf("SD of each interval end over %d bootstrap seeds on fixed data, in units of the "
	       "interval's standard error; choice: the smallest count with both ends under 5 %%.\n",
	       SEEDS);
	bench_median_interval(10000);
	bench_median_interval(600);
	bench_gini();
	return 0;
}
