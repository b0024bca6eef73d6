#ifndef AIRTIME_SERIES_H
#define AIRTIME_SERIES_H
/*
 * Per-interval time series over simulated time: for each bucket of fixed
 * width (e.g. one minute) a count, a sum, a min and max, and optionally a
 * histogram of values (for per-minute percentiles).
 *
 * Buckets cover [start, start + n * width); the number of buckets is fixed
 * at creation from the run's length, so recording never allocates.  A time
 * outside the range is a BUG (the run length is known up front).  With
 * histograms, values must be >= 0, and memory is n histograms allocated at
 * creation (a 3-digit histogram up to 60 s is ~120 KB: mind n).
 *
 * The name is copied.  Buckets are stored as parallel arrays (counts, sums,
 * ...), indexed by (t - start) / width.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/hist.h"
#include "common/simtime.h"

struct series;

/* A series of n buckets of `width` from `start`.  With hist_highest > 0 each
 * bucket also keeps a histogram (hist_highest, hist_digits).  Returns NULL
 * with ERR_INPUT on bad parameters. */
struct series *series_new(const char *name, simtime start, simtime width, size_t n,
			  int64_t hist_highest, int hist_digits, struct error *err);
void series_free(struct series *s);

const char *series_name(const struct series *s);
simtime series_start(const struct series *s);
simtime series_width(const struct series *s);
size_t series_len(const struct series *s);

/* Add a value observed at time t (count += 1, sum += v, min/max, hist). */
void series_record(struct series *s, simtime t, int64_t v);
/* Add to the count only (events per bucket). */
void series_count(struct series *s, simtime t, uint64_t n);
/* Set a gauge sample: the bucket keeps the last value set, and its min and
 * max take it in (count and sum are left alone). */
void series_gauge(struct series *s, simtime t, int64_t v);

uint64_t series_bucket_count(const struct series *s, size_t i);
double series_bucket_sum(const struct series *s, size_t i);
double series_bucket_mean(const struct series *s, size_t i);  /* 0 when empty */
int64_t series_bucket_min(const struct series *s, size_t i);  /* 0 when empty */
int64_t series_bucket_max(const struct series *s, size_t i);  /* 0 when empty */
/* Gauges: the last value set at or before the bucket's end, carried forward
 * over buckets where none was set; 0 before the first. */
int64_t series_bucket_last(const struct series *s, size_t i);
/* Start time of bucket i. */
simtime series_bucket_start(const struct series *s, size_t i);
/* Per-bucket percentiles kept once a bucket is closed (the next bucket
 * received a value): these quantiles, exactly. */
#define SERIES_PCT_N 5
/* Per-bucket quantile; needs the series made with a histogram (else a BUG).
 * The open (latest) bucket answers any q; closed buckets answer q in
 * {0.5, 0.9, 0.95, 0.99, 0.999}; a bucket without values answers 0. */
int64_t series_bucket_quantile(const struct series *s, size_t i, double q);
/* Whether the series keeps per-bucket percentiles. */
bool series_has_hist(const struct series *s);
/* The open bucket's working histogram (i must be the open bucket), else NULL. */
const struct hist *series_bucket_hist(const struct series *s, size_t i);

#endif
