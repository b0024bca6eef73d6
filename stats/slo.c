/* SLO tables; see slo.h. */
#include "stats/slo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void slo_init(struct slo_table *t)
{
	memset(t, 0, sizeof(*t));
}

static struct slo_row *add_row(struct slo_table *t, const char *name)
{
	struct slo_row *r;

	if (t->n >= sizeof(t->rows) / sizeof(t->rows[0]))
		return NULL;
	r = &t->rows[t->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

void slo_format_us(char *buf, size_t n, double us)
{
	if (us < 10)
		snprintf(buf, n, "%.2f us", us);
	else if (us < 1000)
		snprintf(buf, n, "%.0f us", us);
	else if (us < 1e6)
		snprintf(buf, n, "%.1f ms", us / 1e3);
	else if (us < 120e6)
		snprintf(buf, n, "%.1f s", us / 1e6);
	else
		snprintf(buf, n, "%.1f min", us / 60e6);
}

static void finish_time_row(struct slo_row *r, const struct hist *h, double v, int64_t limit_us,
			    bool host)
{
	char lim[32];

	r->host_measured = host;
	r->limit = (double)limit_us;
	slo_format_us(lim, sizeof(lim), (double)limit_us);
	snprintf(r->target, sizeof(r->target), "< %s", lim);
	if (!h || hist_count(h) == 0) {
		r->verdict = SLO_NO_DATA;
		snprintf(r->observed, sizeof(r->observed), "no data");
		return;
	}
	r->value = v;
	slo_format_us(r->observed, sizeof(r->observed), v);
	r->verdict = v < (double)limit_us ? SLO_PASS : SLO_FAIL;
	snprintf(r->note, sizeof(r->note), "%llu samples%s", (unsigned long long)hist_count(h),
		 host ? "; host wall-clock" : "");
}

void slo_add_quantile(struct slo_table *t, const char *name, const struct hist *h, double q,
		      int64_t limit_us, bool host_measured)
{
	struct slo_row *r = add_row(t, name);

	if (r)
		finish_time_row(r, h, h && hist_count(h) ? (double)hist_quantile(h, q) : 0, limit_us,
				host_measured);
}

void slo_add_time(struct slo_table *t, const char *name, double value_us, int64_t limit_us,
		  uint64_t samples, bool host_measured)
{
	struct slo_row *r = add_row(t, name);
	char lim[32];

	if (!r)
		return;
	r->host_measured = host_measured;
	r->limit = (double)limit_us;
	slo_format_us(lim, sizeof(lim), (double)limit_us);
	snprintf(r->target, sizeof(r->target), "< %s", lim);
	if (samples == 0) {
		r->verdict = SLO_NO_DATA;
		snprintf(r->observed, sizeof(r->observed), "no data");
		return;
	}
	r->value = value_us;
	slo_format_us(r->observed, sizeof(r->observed), value_us);
	r->verdict = value_us < (double)limit_us ? SLO_PASS : SLO_FAIL;
	snprintf(r->note, sizeof(r->note), "%llu samples%s", (unsigned long long)samples,
		 host_measured ? "; host wall-clock" : "");
}

void slo_add_max(struct slo_table *t, const char *name, const struct hist *h, int64_t limit_us,
		 bool host_measured)
{
	struct slo_row *r = add_row(t, name);

	if (r)
		finish_time_row(r, h, h && hist_count(h) ? (double)hist_max(h) : 0, limit_us,
				host_measured);
}

void slo_add_availability(struct slo_table *t, const char *name, uint64_t good, uint64_t total,
			  double target)
{
	struct slo_row *r = add_row(t, name);
	double avail, budget, spent;

	if (!r)
		return;
	r->limit = target;
	snprintf(r->target, sizeof(r->target), ">= %.2f %%", target * 100);
	if (total == 0) {
		r->verdict = SLO_NO_DATA;
		snprintf(r->observed, sizeof(r->observed), "no data");
		return;
	}
	avail = (double)good / (double)total;
	r->value = avail;
	snprintf(r->observed, sizeof(r->observed), "%.3f %%", avail * 100);
	r->verdict = avail >= target ? SLO_PASS : SLO_FAIL;
	budget = (1.0 - target) * (double)total;
	spent = budget > 0 ? (double)(total - good) / budget : (total == good ? 0 : INFINITY);
	snprintf(r->note, sizeof(r->note), "%llu of %llu failed; error budget spent: %.0f %%",
		 (unsigned long long)(total - good), (unsigned long long)total, spent * 100);
}

void slo_add_at_most(struct slo_table *t, const char *name, double value, double limit,
		     const char *unit)
{
	struct slo_row *r = add_row(t, name);

	if (!r)
		return;
	r->value = value;
	r->limit = limit;
	snprintf(r->observed, sizeof(r->observed), "%.2f %s", value, unit);
	snprintf(r->target, sizeof(r->target), "<= %.2f %s", limit, unit);
	r->verdict = isnan(value) ? SLO_NO_DATA : value <= limit ? SLO_PASS : SLO_FAIL;
}

void slo_counts(const struct slo_table *t, size_t *pass, size_t *fail)
{
	*pass = *fail = 0;
	for (size_t i = 0; i < t->n; i++) {
		*pass += t->rows[i].verdict == SLO_PASS;
		*fail += t->rows[i].verdict == SLO_FAIL;
	}
}

const char *slo_verdict_name(enum slo_verdict v)
{
	return v == SLO_PASS ? "pass" : v == SLO_FAIL ? "FAIL" : "no data";
}
