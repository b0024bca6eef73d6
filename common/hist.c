/*
 * HDR-style log-linear histogram (the layout of Gil Tene's HdrHistogram with
 * a unit of 1).
 *
 * With 2^k sub-buckets (k = sub_bits), index range [0, 2^k) holds values
 * 0 .. 2^k - 1 exactly; after that, "bucket" b >= 1 holds [2^(k-1+b),
 * 2^(k+b)) in 2^(k-1) sub-buckets of width 2^b.  Counts are one flat array:
 * bucket b's sub-buckets follow bucket b-1's, so the index of a value is
 *   b = (bit length of (v | (2^k - 1))) - k,   index = (b << (k-1)) + (v >> b)
 * (one clz, two shifts, no loop).  A value v in bucket b >= 1 is at least
 * 2^(k-1+b) and shares its sub-bucket with values up to 2^b - 1 above, so
 * the relative error is below 2^b / 2^(k-1+b) = 2^(1-k) <= 10^-digits
 * because 2^k >= 2 * 10^digits.
 */
#include "common/hist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* Bit length of x (x > 0). */
static inline int bitlen(uint64_t x)
{
	return 64 - __builtin_clzll(x);
}

static inline size_t value_index(const struct hist *h, uint64_t v)
{
	int b = bitlen(v | (((uint64_t)1 << h->sub_bits) - 1)) - h->sub_bits;

	return ((size_t)b << (h->sub_bits - 1)) + (size_t)(v >> b);
}

/* The value range of counts[i]. */
static void index_range(const struct hist *h, size_t i, int64_t *lo, int64_t *hi)
{
	size_t half = (size_t)1 << (h->sub_bits - 1);
	size_t b;

	if (i < 2 * half) {
		*lo = *hi = (int64_t)i;
		return;
	}
	b = i / half - 1;
	*lo = (int64_t)((uint64_t)(i - b * half) << b);
	*hi = (int64_t)((uint64_t)*lo + (((uint64_t)1 << b) - 1));
}

int hist_init(struct hist *h, int64_t highest, int digits, struct error *err)
{
	int k = 1;
	uint64_t need = 2;

	memset(h, 0, sizeof(*h));
	h->min = INT64_MAX;
	if (digits < 1 || digits > 5)
		return error_set(err, ERR_INPUT,
				 "histogram: significant digits %d out of range (1..5)", digits);
	if (highest < 1)
		return error_set(err, ERR_INPUT,
				 "histogram: highest trackable value %lld must be at least 1",
				 (long long)highest);
	for (int d = 0; d < digits; d++)
		need *= 10;
	while (((uint64_t)1 << k) < need)
		k++;
	h->highest = highest;
	h->digits = digits;
	h->sub_bits = k;
	h->nbuckets = value_index(h, (uint64_t)highest) + 1;
	h->counts = xcalloc(h->nbuckets, sizeof(*h->counts));
	return 0;
}

void hist_release(struct hist *h)
{
	if (!h)
		return;
	free(h->counts);
	memset(h, 0, sizeof(*h));
	h->min = INT64_MAX;
}

void hist_reset(struct hist *h)
{
	memset(h->counts, 0, h->nbuckets * sizeof(*h->counts));
	h->total = 0;
	h->overflow = 0;
	h->min = INT64_MAX;
	h->max = 0;
	h->sum = 0;
}

void hist_record_n(struct hist *h, int64_t value, uint64_t count)
{
	if (value < 0)
		BUG("histogram: negative value %lld", (long long)value);
	if (count == 0)
		return;
	if (value > h->highest) {
		h->overflow += count;
		value = h->highest;
	}
	h->counts[value_index(h, (uint64_t)value)] += count;
	h->total += count;
	h->sum += (double)value * (double)count;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
}

void hist_record(struct hist *h, int64_t value)
{
	hist_record_n(h, value, 1);
}

int hist_merge(struct hist *dst, const struct hist *src, struct error *err)
{
	if (dst->highest != src->highest || dst->digits != src->digits)
		return error_set(err, ERR_INPUT,
				 "histogram: cannot merge (highest %lld, %d digits) into "
				 "(highest %lld, %d digits)",
				 (long long)src->highest, src->digits,
				 (long long)dst->highest, dst->digits);
	for (size_t i = 0; i < dst->nbuckets; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->overflow += src->overflow;
	dst->sum += src->sum;
	if (src->total) {
		if (src->min < dst->min)
			dst->min = src->min;
		if (src->max > dst->max)
			dst->max = src->max;
	}
	return 0;
}

uint64_t hist_count(const struct hist *h)
{
	return h->total;
}

double hist_mean(const struct hist *h)
{
	return h->total ? h->sum / (double)h->total : 0.0;
}

int64_t hist_min(const struct hist *h)
{
	return h->total ? h->min : 0;
}

int64_t hist_max(const struct hist *h)
{
	return h->total ? h->max : 0;
}

int64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->total == 0)
		return 0;
	if (!(q > 0))           /* also NaN */
		return h->min;
	if (q >= 1)
		return h->max;
	/* The rank-th smallest value, rank = ceil(q * total) (1-based). */
	rank = (uint64_t)ceil(q * (double)h->total);
	if (rank < 1)
		rank = 1;
	if (rank > h->total)
		rank = h->total;
	for (size_t i = 0; i < h->nbuckets; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			int64_t lo, hi;

			index_range(h, i, &lo, &hi);
			return hi < h->max ? hi : h->max;
		}
	}
	BUG("histogram: counts sum to %llu, total says %llu", (unsigned long long)seen,
	    (unsigned long long)h->total);
}

bool hist_next_bucket(const struct hist *h, size_t *cursor, int64_t *lo,
		      int64_t *hi, uint64_t *count)
{
	for (size_t i = *cursor; i < h->nbuckets; i++) {
		if (!h->counts[i])
			continue;
		index_range(h, i, lo, hi);
		*count = h->counts[i];
		*cursor = i + 1;
		return true;
	}
	*cursor = h->nbuckets;
	return false;
}
