/*
 * Per-interval series: parallel arrays indexed by bucket, sized at
 * creation; recording is an index computation and a few stores.
 */
#include "common/series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct series {
	char *name;
	simtime start, width;
	size_t n;
	uint64_t *count;
	double *sum;
	int64_t *min, *max;       /* meaningful where seen */
	int64_t *last;            /* meaningful where has_last */
	uint8_t *seen;            /* a value was recorded or a gauge set */
	uint8_t *has_last;
	size_t last_gauge;        /* bucket of the latest gauge set, SIZE_MAX if none */
	size_t *prev_gauge;       /* bucket <= i holding the gauge value seen from i */
	/* Per-bucket percentiles without a histogram per bucket (which would
	 * cost n x hundreds of KB): values arrive in time order, so one working
	 * histogram holds the open bucket, and a bucket's percentiles are kept
	 * when the next bucket opens. */
	bool has_hist, open;
	size_t cur;               /* the open bucket */
	struct hist work;
	int64_t *pct;             /* n x SERIES_PCT_N, closed buckets */
	uint8_t *closed;
};

static const double pct_q[SERIES_PCT_N] = { 0.50, 0.90, 0.95, 0.99, 0.999 };

struct series *series_new(const char *name, simtime start, simtime width, size_t n,
			  int64_t hist_highest, int hist_digits, struct error *err)
{
	struct series *s;
	if (!name || !*name) {
		error_set(err, ERR_INPUT, "series: a name is required");
		return NULL;
	}
	if (width <= 0) {
		error_set(err, ERR_INPUT, "series '%s': bucket width %lld must be positive",
			  name, (long long)width);
		return NULL;
	}
	if (n == 0 || n > (size_t)((INT64_MAX - (start > 0 ? start : 0)) / width) ||
	    n > SIZE_MAX / (sizeof(int64_t) * SERIES_PCT_N)) {
		error_set(err, ERR_INPUT, "series '%s': bucket count %zu out of range", name, n);
		return NULL;
	}
	if (hist_highest < 0) {
		error_set(err, ERR_INPUT, "series '%s': histogram highest value %lld is negative",
			  name, (long long)hist_highest);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(name);
	s->start = start;
	s->width = width;
	s->n = n;
	s->count = xcalloc(n, sizeof(*s->count));
	s->sum = xcalloc(n, sizeof(*s->sum));
	s->min = xcalloc(n, sizeof(*s->min));
	s->max = xcalloc(n, sizeof(*s->max));
	s->last = xcalloc(n, sizeof(*s->last));
	s->seen = xcalloc(n, sizeof(*s->seen));
	s->has_last = xcalloc(n, sizeof(*s->has_last));
	s->prev_gauge = xcalloc(n, sizeof(*s->prev_gauge));
	s->last_gauge = SIZE_MAX;
	if (hist_highest > 0) {
		if (hist_init(&s->work, hist_highest, hist_digits, err) < 0) {
			error_prefix(err, "series '%s': ", name);
			series_free(s);
			return NULL;
		}
		s->has_hist = true;
		s->pct = xcalloc(n * SERIES_PCT_N, sizeof(*s->pct));
		s->closed = xcalloc(n, sizeof(*s->closed));
	}
	return s;
}

void series_free(struct series *s)
{
	if (!s)
		return;
	if (s->has_hist)
		hist_release(&s->work);
	free(s->pct);
	free(s->closed);
	free(s->prev_gauge);
	free(s->has_last);
	free(s->seen);
	free(s->last);
	free(s->max);
	free(s->min);
	free(s->sum);
	free(s->count);
	free(s->name);
	free(s);
}

const char *series_name(const struct series *s) { return s->name; }
simtime series_start(const struct series *s) { return s->start; }
simtime series_width(const struct series *s) { return s->width; }
size_t series_len(const struct series *s) { return s->n; }

simtime series_bucket_start(const struct series *s, size_t i)
{
	ASSERT(i < s->n);
	return s->start + (simtime)i * s->width;
}

static inline size_t bucket_of(const struct series *s, simtime t)
{
	size_t i;

	if (t < s->start)
		BUG("series '%s': time %lld before its start %lld", s->name, (long long)t,
		    (long long)s->start);
	i = (size_t)((t - s->start) / s->width);
	if (i >= s->n)
		BUG("series '%s': time %lld past its end %lld", s->name, (long long)t,
		    (long long)(s->start + (simtime)s->n * s->width));
	return i;
}

static inline void take_extremes(struct series *s, size_t i, int64_t v)
{
	if (!s->seen[i]) {
		s->seen[i] = 1;
		s->min[i] = s->max[i] = v;
	} else if (v < s->min[i]) {
		s->min[i] = v;
	} else if (v > s->max[i]) {
		s->max[i] = v;
	}
}

/* Keep the percentiles of the open bucket and start bucket i. */
static void close_open_bucket(struct series *s)
{
	for (int k = 0; k < SERIES_PCT_N; k++)
		s->pct[s->cur * SERIES_PCT_N + (size_t)k] = hist_quantile(&s->work, pct_q[k]);
	s->closed[s->cur] = 1;
	hist_reset(&s->work);
}

static void record_pct(struct series *s, size_t i, int64_t v)
{
	if (s->open && i != s->cur) {
		if (i < s->cur)
			BUG("series '%s': value for bucket %zu after bucket %zu was opened; "
			    "values of a series with percentiles must arrive in time order",
			    s->name, i, s->cur);
		close_open_bucket(s);
	}
	s->open = true;
	s->cur = i;
	hist_record(&s->work, v);
}

void series_record(struct series *s, simtime t, int64_t v)
{
	size_t i = bucket_of(s, t);

	take_extremes(s, i, v);
	s->count[i]++;
	s->sum[i] += (double)v;
	if (s->has_hist)
		record_pct(s, i, v);
}

void series_count(struct series *s, simtime t, uint64_t n)
{
	s->count[bucket_of(s, t)] += n;
}

void series_gauge(struct series *s, simtime t, int64_t v)
{
	size_t i = bucket_of(s, t);

	take_extremes(s, i, v);
	s->last[i] = v;
	s->has_last[i] = 1;
	/* Buckets between the previous gauge and this one carry the previous
	 * value forward; filling them now keeps series_bucket_last O(1). */
	if (s->last_gauge == SIZE_MAX || i >= s->last_gauge) {
		size_t from = s->last_gauge == SIZE_MAX ? 0 : s->last_gauge + 1;

		for (size_t j = from; j < i; j++)
			s->prev_gauge[j] = s->last_gauge;
		s->prev_gauge[i] = i;
		s->last_gauge = i;
	} else {
		/* An earlier bucket set late: it now leads up to the next set one. */
		for (size_t j = i; j < s->last_gauge && (j == i || !s->has_last[j]); j++)
			s->prev_gauge[j] = i;
	}
}

uint64_t series_bucket_count(const struct series *s, size_t i)
{
	ASSERT(i < s->n);
	return s->count[i];
}

double series_bucket_sum(const struct series *s, size_t i)
{
	ASSERT(i < s->n);
	return s->sum[i];
}

double series_bucket_mean(const struct series *s, size_t i)
{
	ASSERT(i < s->n);
	return s->count[i] ? s->sum[i] / (double)s->count[i] : 0.0;
}

int64_t series_bucket_min(const struct series *s, size_t i)
{
	ASSERT(i < s->n);
	return s->seen[i] ? s->min[i] : 0;
}

int64_t series_bucket_max(const struct series *s, size_t i)
{
	ASSERT(i < s->n);
	return s->seen[i] ? s->max[i] : 0;
}

int64_t series_bucket_last(const struct series *s, size_t i)
{
	size_t j;

	ASSERT(i < s->n);
	if (s->last_gauge == SIZE_MAX)
		return 0;
	j = i >= s->last_gauge ? s->last_gauge : s->prev_gauge[i];
	return j == SIZE_MAX ? 0 : s->last[j];
}

int64_t series_bucket_quantile(const struct series *s, size_t i, double q)
{
	ASSERT(i < s->n);
	if (!s->has_hist)
		BUG("series '%s': quantile asked of a series without histograms", s->name);
	if (s->open && i == s->cur)
		return hist_quantile(&s->work, q);
	if (!s->closed[i])
		return 0;
	for (int k = 0; k < SERIES_PCT_N; k++)
		if (fabs(q - pct_q[k]) < 1e-12)
			return s->pct[i * SERIES_PCT_N + (size_t)k];
	BUG("series '%s': closed buckets keep p50, p90, p95, p99 and p99.9 only (asked %g)",
	    s->name, q);
}

bool series_has_hist(const struct series *s)
{
	return s->has_hist;
}

const struct hist *series_bucket_hist(const struct series *s, size_t i)
{
	ASSERT(i < s->n);
	return s->has_hist && s->open && i == s->cur ? &s->work : NULL;
}
