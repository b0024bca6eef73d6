#ifndef AIRTIME_SLO_H
#define AIRTIME_SLO_H
/*
 * Service-level objective tables: each row states what was measured, the
 * target, and a pass/fail verdict.  Rows are added from histograms (a
 * quantile against an upper bound) or from plain values (availability
 * against a lower bound, with the share of the error budget spent).
 * A row whose measurement is missing (no samples) is reported as "no data"
 * and counts as neither pass nor fail.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hist.h"

enum slo_verdict { SLO_PASS, SLO_FAIL, SLO_NO_DATA };

struct slo_row {
	char name[80];       /* "end-to-end latency p99" */
	char observed[40];   /* formatted with unit */
	char target[40];     /* "< 200 ms" */
	char note[120];      /* e.g. "error budget spent: 40 %" */
	double value, limit;
	enum slo_verdict verdict;
	bool host_measured;  /* wall-clock on this host, not simulated */
};

struct slo_table {
	size_t n;
	struct slo_row rows[64];   /* 4 worlds x 16 rows (data_loss made 13 a world) */
};

void slo_init(struct slo_table *t);
/* Quantile q of h (values in microseconds) must be below limit_us. */
void slo_add_quantile(struct slo_table *t, const char *name, const struct hist *h, double q,
		      int64_t limit_us, bool host_measured);
/* A time already reduced to microseconds (e.g. a quantile of a histogram
 * kept in nanoseconds) must be below limit_us; `samples` for the note. */
void slo_add_time(struct slo_table *t, const char *name, double value_us, int64_t limit_us,
		  uint64_t samples, bool host_measured);
/* Max of h must be below limit_us. */
void slo_add_max(struct slo_table *t, const char *name, const struct hist *h, int64_t limit_us,
		 bool host_measured);
/* Availability: good / total must be at least `target` (e.g. 0.998); the
 * note reports the error budget spent. */
void slo_add_availability(struct slo_table *t, const char *name, uint64_t good, uint64_t total,
			  double target);
/* A plain value with unit that must be at most `limit`. */
void slo_add_at_most(struct slo_table *t, const char *name, double value, double limit,
		     const char *unit);
/* Counts: pass, fail. */
void slo_counts(const struct slo_table *t, size_t *pass, size_t *fail);
const char *slo_verdict_name(enum slo_verdict v);
/* Format microseconds with a readable unit ("850 us", "12.3 ms", "4.2 s", "3.1 min"). */
void slo_format_us(char *buf, size_t n, double us);

#endif
