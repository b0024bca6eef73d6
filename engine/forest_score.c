/* Metrics for forest predictions; see forest_score.h. */
#include "engine/forest_score.h"

#include "common/xalloc.h"

#include <math.h>
#include <stdlib.h>

struct scored {
	double s;
	double y;
};

static int cmp_scored(const void *a, const void *b)
{
	double x = ((const struct scored *)a)->s, z = ((const struct scored *)b)->s;
	return (x > z) - (x < z);
}

double forest_score_auc(const double *score, const double *y, const unsigned char *mask,
			size_t n)
{
	struct scored *v = xmalloc((n ? n : 1) * sizeof(*v));
	size_t m = 0, i = 0;
	double n_pos = 0, n_neg = 0, rank_sum = 0, auc;

	for (size_t k = 0; k < n; k++)
		if (!mask || mask[k]) {
			v[m].s = score[k];
			v[m].y = y[k];
			m++;
		}
	qsort(v, m, sizeof(*v), cmp_scored);
	/* Average rank over each run of equal scores: independent of the order
	 * qsort leaves ties in. */
	while (i < m) {
		size_t j = i;
		double pos = 0, avg;

		while (j < m && v[j].s == v[i].s) {
			pos += v[j].y > 0.5;
			j++;
		}
		avg = ((double)i + 1 + (double)j) / 2.0;
		rank_sum += pos * avg;
		n_pos += pos;
		n_neg += (double)(j - i) - pos;
		i = j;
	}
	free(v);
	if (n_pos == 0 || n_neg == 0)
		return NAN;
	auc = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg);
	return auc;
}

double forest_score_logloss(const double *p, const double *y, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++) {
		double q = p[i] < 1e-15 ? 1e-15 : p[i] > 1 - 1e-15 ? 1 - 1e-15 : p[i];
		s -= y[i] > 0.5 ? log(q) : log(1 - q);
	}
	return n ? s / (double)n : NAN;
}

double forest_score_mse(const double *p, const double *y, const unsigned char *mask, size_t n)
{
	double s = 0;
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (!mask || mask[i]) {
			s += (p[i] - y[i]) * (p[i] - y[i]);
			m++;
		}
	return m ? s / (double)m : NAN;
}

double forest_score_r2(const double *p, const double *y, const unsigned char *mask, size_t n)
{
	double mean = 0, var = 0;
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (!mask || mask[i]) {
			mean += y[i];
			m++;
		}
	if (!m)
		return NAN;
	mean /= (double)m;
	for (size_t i = 0; i < n; i++)
		if (!mask || mask[i])
			var += (y[i] - mean) * (y[i] - mean);
	if (var == 0)
		return NAN;
	return 1 - forest_score_mse(p, y, mask, n) * (double)m / var;
}

void forest_score_calibration(const double *p, const double *y, size_t n,
			      struct forest_score_bin bins[10])
{
	double sp[10] = { 0 }, sy[10] = { 0 };

	for (int b = 0; b < 10; b++) {
		bins[b].lo = b / 10.0;
		bins[b].hi = (b + 1) / 10.0;
		bins[b].n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		int b = (int)floor(p[i] * 10);
		b = b < 0 ? 0 : b > 9 ? 9 : b;
		bins[b].n++;
		sp[b] += p[i];
		sy[b] += y[i];
	}
	for (int b = 0; b < 10; b++) {
		bins[b].mean_pred = bins[b].n ? sp[b] / (double)bins[b].n : NAN;
		bins[b].mean_label = bins[b].n ? sy[b] / (double)bins[b].n : NAN;
	}
}
