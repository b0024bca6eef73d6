/*
 * Per-interval series: parallel arrays indexed by bucket, sized at
 * creation; recording is an index computation and a few stores.
 */
#include "common/series.h"

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
	struct hist *hist;        /* n of them, or NULL */
};

struct series *series_new(const char *name, simtime start, simtime width, size_t n,
			  int64_t hist_highest, int hist_digits, struct error *err)
{
	struct series *s;
	size_t made = 0;

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
	    n > SIZE_MAX / sizeof(struct hist)) {
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
	if (hist_highest > 0) {
		s->hist = xcalloc(n, sizeof(*s->hist));
		for (made = 0; made < n; made++)
			if (hist_init(&s->hist[made], hist_highest, hist_digits, err) < 0)
				goto out_hist;
	}
	return s;

out_hist:
	error_prefix(err, "series '%s': ", name);
	/* series_free releases the histograms made so far: the rest are zeroed. */
	series_free(s);
	return NULL;
}

void series_free(struct series *s)
{
	if (!s)
		return;
	if (s->hist)
		for (size_t i = 0; i < s->n; i++)
			hist_release(&s->hist[i]);
	free(s->hist);
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

void series_record(struct series *s, simtime t, int64_t v)
{
	size_t i = bucket_of(s, t);

	take_extremes(s, i, v);
	s->count[i]++;
	s->sum[i] += (double)v;
	if (s->hist)
		hist_record(&s->hist[i], v);
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
	ASSERT(i < s->n);
	for (size_t j = i + 1; j-- > 0;)
		if (s->has_last[j])
			return s->last[j];
	return 0;
}

int64_t series_bucket_quantile(const struct series *s, size_t i, double q)
{
	ASSERT(i < s->n);
	if (!s->hist)
		BUG("series '%s': quantile asked of a series without histograms", s->name);
	return hist_quantile(&s->hist[i], q);
}

const struct hist *series_bucket_hist(const struct series *s, size_t i)
{
	ASSERT(i < s->n);
	return s->hist ? &s->hist[i] : NULL;
}
