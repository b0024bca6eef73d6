/* Statistics over replications; see replica.h. */
#include "stats/replica.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

void replica_summarize(const double *est, const double *lo, const double *hi, const double *p,
		       const double *p_adj, const double *truth, size_t n, double alpha,
		       struct replica_summary *out)
{
	double sum = 0, ss = 0;

	memset(out, 0, sizeof(*out));
	out->mean = out->sd = out->lo = out->hi = NAN;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(est[i]))
			continue;
		out->n++;
		sum += est[i];
		if (p_adj && p_adj[i] < alpha)
			out->significant++;
		if (p && p[i] < alpha)
			out->rejected_raw++;
		if (truth && isfinite(truth[i]) && isfinite(lo[i]) && isfinite(hi[i])) {
			out->with_truth++;
			out->covered += lo[i] <= truth[i] && truth[i] <= hi[i];
		}
	}
	if (out->n == 0)
		return;
	out->mean = sum / (double)out->n;
	if (out->n < 2)
		return;
	/* Two passes: the mean first, then squares about it (no cancellation). */
	for (size_t i = 0; i < n; i++)
		if (isfinite(est[i]))
			ss += (est[i] - out->mean) * (est[i] - out->mean);
	out->sd = sqrt(ss / (double)(out->n - 1));
	{
		double q = gsl_cdf_tdist_Pinv(1.0 - alpha / 2.0, (double)(out->n - 1));
		double half = q * out->sd / sqrt((double)out->n);

		out->lo = out->mean - half;
		out->hi = out->mean + half;
	}
}

void replica_wilson(size_t k, size_t n, double alpha, double *lo, double *hi)
{
	double z, ph, den, centre, half;

	if (n == 0) {
		*lo = *hi = NAN;
		return;
	}
	z = gsl_cdf_ugaussian_Pinv(1.0 - alpha / 2.0);
	ph = (double)k / (double)n;
	den = 1.0 + z * z / (double)n;
	centre = (ph + z * z / (2.0 * (double)n)) / den;
	half = z * sqrt(ph * (1.0 - ph) / (double)n + z * z / (4.0 * (double)n * (double)n)) / den;
	*lo = centre - half < 0 ? 0 : centre - half;
	*hi = centre + half > 1 ? 1 : centre + half;
}
