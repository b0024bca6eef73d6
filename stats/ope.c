/* Off-policy estimators with intervals; see ope.h. */
#include "stats/ope.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

static const char *const names[OPE_ESTIMATORS] = {
	"ips", "snips", "dm", "dr", "iips", "rips", "cascade-dr",
};

const char *ope_estimator_name(enum ope_estimator e)
{
	return (unsigned)e < OPE_ESTIMATORS ? names[e] : "unknown";
}

int ope_estimator_from_name(const char *name)
{
	for (int i = 0; i < OPE_ESTIMATORS; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

int ope_parse_estimators(const char *text, const char *what, unsigned *mask,
			 struct error *err)
{
	const char *p = text;
	unsigned m = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!strcmp(p, "all")) {
		*mask = OPE_ALL;
		return 0;
	}
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char item[32];
		int k;

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		snprintf(item, sizeof(item), "%.*s", (int)(len < sizeof(item) ? len : sizeof(item) - 1), p);
		if ((k = ope_estimator_from_name(item)) < 0 || len >= sizeof(item))
			return error_set(err, ERR_INPUT,
					 "%s: unknown estimator '%.*s': expected all, or names separated "
					 "by commas among ips, snips, dm, dr, iips, rips, cascade-dr",
					 what, (int)len, p);
		m |= 1u << k;
		if (!e)
			break;
		p = e + 1;
	}
	if (!m)
		return error_set(err, ERR_INPUT, "%s: no estimator named: expected all, or names "
				 "separated by commas among ips, snips, dm, dr, iips, rips, "
				 "cascade-dr", what);
	*mask = m;
	return 0;
}

void ope_mean(const double *x, size_t n, double *mean, double *se)
{
	double s = 0, ss = 0, m;

	for (size_t i = 0; i < n; i++)
		s += x[i];
	m = n ? s / (double)n : NAN;
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - m) * (x[i] - m);
	*mean = m;
	*se = n > 1 ? sqrt(ss / (double)(n - 1) / (double)n) : NAN;
}

/* Weight statistics of the weights an estimator used. */
struct wstat {
	double sum, sum2, max;
};

static void wadd(struct wstat *s, double w)
{
	s->sum += w;
	s->sum2 += w * w;
	if (w > s->max)
		s->max = w;
}

static bool probability(double p)
{
	return p > 0 && p <= 1 + 1e-9;
}

static int not_estimable(struct ope_estimate *o, const char *why)
{
	o->estimable = false;
	snprintf(o->why, sizeof(o->why), "%s", why);
	o->value = o->se = o->lo = o->hi = NAN;
	return 0;
}

/* The term of round i under estimator e; *used_nonzero when a non-zero
 * weight entered it.  W is the round's page weight (set for the page
 * estimators). */
static double term(const struct ope_data *d, enum ope_estimator e, size_t i, double *page_w,
		   double *page_r, struct wstat *ws, bool *used)
{
	size_t a = d->first[i], b = d->first[i + 1];
	double t = 0, w = 1, r = 0, qsum = 0;

	*used = false;
	switch (e) {
	case OPE_IPS:
	case OPE_SNIPS:
	case OPE_DR:
		for (size_t k = a; k < b; k++) {
			w *= d->e_cond[k] / d->p_cond[k];
			r += d->reward[k];
			if (d->q_logged)
				qsum += d->q_logged[k];
		}
		wadd(ws, w);
		*used = w != 0;
		*page_w = w;
		*page_r = r;
		if (e == OPE_DR)
			return d->dm[i] + w * (r - qsum);
		return w * r;
	case OPE_DM:
		*used = true;
		return d->dm[i];
	case OPE_IIPS:
		for (size_t k = a; k < b; k++) {
			double wk = d->e_marg[k] > 0 ? d->e_marg[k] / d->p_marg[k] : 0;

			wadd(ws, wk);
			*used = *used || wk != 0;
			t += wk * d->reward[k];
		}
		return t;
	case OPE_RIPS:
		for (size_t k = a; k < b; k++) {
			w *= d->e_cond[k] / d->p_cond[k];
			wadd(ws, w);
			*used = *used || w != 0;
			if (w == 0)
				break;   /* every later prefix weight is 0 too */
			t += w * d->reward[k];
		}
		return t;
	case OPE_CASCADE_DR:
		for (size_t k = a; k < b; k++) {
			double before = w;

			w *= d->e_cond[k] / d->p_cond[k];
			wadd(ws, w);
			*used = *used || w != 0;
			if (before == 0)
				break;
			t += w * (d->reward[k] - d->q_logged[k]) + before * d->q_target[k];
		}
		return t;
	case OPE_ESTIMATORS:
		break;
	}
	return NAN;
}

int ope_estimate(const struct ope_data *d, enum ope_estimator e, double alpha,
		 struct ope_estimate *out, struct error *err)
{
	struct wstat ws = { 0, 0, 0 };
	double z, sum = 0, sumw = 0, sumwr = 0, mean, ss = 0;
	bool snips = e == OPE_SNIPS;
	size_t n = d->n, slots = n ? d->first[n] - d->first[0] : 0;

	memset(out, 0, sizeof(*out));
	out->estimator = e;
	out->alpha = alpha;
	out->n = n;
	if (!(alpha > 0 && alpha < 1))
		return error_set(err, ERR_INPUT, "alpha %g is not in (0, 1)", alpha);
	if ((unsigned)e >= OPE_ESTIMATORS)
		return error_set(err, ERR_INPUT, "unknown estimator %d", (int)e);
	if (n == 0)
		return not_estimable(out, "no logged page of the logging policy to evaluate on");
	if ((e == OPE_DM || e == OPE_DR || e == OPE_CASCADE_DR) && !(d->q_logged && d->dm && d->q_target))
		return not_estimable(out, "no reward model");
	if (e == OPE_IIPS && !(d->p_marg && d->e_marg))
		return not_estimable(out, "no position-marginal propensities logged");
	for (size_t k = d->first[0]; k < d->first[0] + slots; k++) {
		if (!probability(d->p_cond[k]))
			return not_estimable(out, "a logged slot has a propensity that is not a "
					     "probability > 0");
		/* a marginal is divided by only where the target shows the
		 * logged show there */
		if (e == OPE_IIPS && d->e_marg[k] > 0 && !probability(d->p_marg[k]))
			return not_estimable(out, "a slot the target agrees with has no marginal "
					     "propensity > 0 (a Monte Carlo 0: raise [logging] "
					     "marginal_samples; or a trace without one)");
	}

	/* One pass: the terms' sum (and SNIPS's sums); a second for the spread. */
	for (size_t i = 0; i < n; i++) {
		double pw = 1, pr = 0, t;
		bool used;

		t = term(d, e, i, &pw, &pr, &ws, &used);
		out->nonzero += used;
		sum += t;
		if (snips) {
			sumw += pw;
			sumwr += pw * pr;
		}
	}
	if (snips) {
		if (sumw == 0)
			return not_estimable(out, "no logged page has a non-zero weight: the target's "
					     "pages were never logged");
		mean = sumwr / sumw;
		for (size_t i = 0; i < n; i++) {
			double pw = 1, pr = 0, dev;
			struct wstat skip = { 0, 0, 0 };
			bool used;

			term(d, e, i, &pw, &pr, &skip, &used);
			dev = pw * (pr - mean);
			ss += dev * dev;
		}
		out->se = n > 1 ? sqrt(ss * (double)n / (double)(n - 1)) / sumw : NAN;
	} else {
		mean = sum / (double)n;
		for (size_t i = 0; i < n; i++) {
			double pw, pr, dev;
			struct wstat skip = { 0, 0, 0 };
			bool used;

			dev = term(d, e, i, &pw, &pr, &skip, &used) - mean;
			ss += dev * dev;
		}
		out->se = n > 1 ? sqrt(ss / (double)(n - 1) / (double)n) : NAN;
	}
	z = gsl_cdf_ugaussian_Pinv(1 - alpha / 2);
	out->estimable = true;
	out->value = mean;
	out->lo = mean - z * out->se;
	out->hi = mean + z * out->se;
	out->ess = ws.sum2 > 0 ? ws.sum * ws.sum / ws.sum2 : 0;
	out->max_weight = ws.max;
	return 0;
}
