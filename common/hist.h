#ifndef AIRTIME_HIST_H
#define AIRTIME_HIST_H
/*
 * An HDR-style log-linear histogram of non-negative integer values (e.g.
 * latencies in microseconds).
 *
 * Values in [0, highest] are recorded with a relative error of at most
 * 10^-significant_digits: buckets double in width every power of two, and
 * each is split into 2^k linear sub-buckets with 2^k >= 2 * 10^digits.
 * Memory is fixed at creation; recording never allocates.  Values above
 * `highest` are clamped to it and counted in `overflow` (never dropped
 * silently).  Two histograms with the same parameters merge losslessly.
 *
 * struct hist is caller-visible so it can be embedded; treat fields as
 * private and use the functions.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct hist {
	int64_t highest;         /* largest trackable value */
	int digits;              /* significant decimal digits (1..5) */
	int sub_bits;            /* log2 of sub-buckets per power of two */
	size_t nbuckets;         /* length of counts */
	uint64_t *counts;
	uint64_t total;
	uint64_t overflow;       /* values clamped to `highest` */
	int64_t min, max;        /* exact; min = INT64_MAX when empty */
	double sum;              /* exact-ish sum for the mean */
};

/* Set up storage for values in [0, highest] with `digits` significant digits
 * (1..5).  ERR_INPUT on bad parameters. */
int hist_init(struct hist *h, int64_t highest, int digits, struct error *err);
void hist_release(struct hist *h);
/* Empty, keeping parameters and memory. */
void hist_reset(struct hist *h);

/* Record one value (negative values are a BUG). */
void hist_record(struct hist *h, int64_t value);
/* Record `count` occurrences of a value. */
void hist_record_n(struct hist *h, int64_t value, uint64_t count);
/* dst += src; ERR_INPUT when their parameters differ. */
int hist_merge(struct hist *dst, const struct hist *src, struct error *err);

uint64_t hist_count(const struct hist *h);
double hist_mean(const struct hist *h);
int64_t hist_min(const struct hist *h);   /* 0 when empty */
int64_t hist_max(const struct hist *h);   /* 0 when empty */
/* Value at quantile q in [0, 1] (q=0.99 -> p99): the highest value
 * equivalent to the bucket holding that rank, capped at max; 0 when empty. */
int64_t hist_quantile(const struct hist *h, double q);

/* Iterate non-empty buckets: returns false at the end.  *lo..*hi is the
 * bucket's value range, *count its count.  Start with *cursor = 0. */
bool hist_next_bucket(const struct hist *h, size_t *cursor, int64_t *lo,
		      int64_t *hi, uint64_t *count);

#endif
