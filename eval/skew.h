#ifndef AIRTIME_SKEW_H
#define AIRTIME_SKEW_H
/*
 * Training/serving skew of the batch features, and the point-in-time
 * correct training set.
 *
 * Every logged impression carries the batch features the ranker read at
 * serving time (from the batch job's in-memory snapshots).  Before
 * training, each batch column is recomputed from the feature store's
 * offline history with an *as-known-at* point-in-time join at the
 * impression's time (event_time <= t and write_time <= t: no value written
 * after the impression can leak in), and the two are compared cell by cell.
 * The training set then uses the joined values.  Disagreement is skew: the
 * serving path saw something the offline store says was not knowable, or
 * the other way round.  Both missing counts as agreement.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/simtime.h"

struct batchjob;
struct catalog;
struct implog;

enum { SKEW_GROUPS = 4 };  /* user, creator, user x topic, user x creator */

struct skew_report {
	const char *group[SKEW_GROUPS];
	uint64_t cells[SKEW_GROUPS];      /* rows x features compared */
	uint64_t mismatched[SKEW_GROUPS]; /* serving != as-known-at */
	uint64_t found[SKEW_GROUPS];      /* cells with a value in the offline store */
	double abs_diff_sum[SKEW_GROUPS]; /* over cells where both have a value */
};

/* Replace the batch columns of every logged row (columns start at
 * offset[g] for group g, widths from the batch job) with the as-known-at
 * join, measuring skew against the logged values.  Rows before first_row
 * were joined by an earlier call (retraining) and are left alone.  The
 * catalog gives each show's creator and topic. */
int skew_join(struct implog *log, size_t first_row, struct batchjob *bj,
	      const struct catalog *cat, const size_t offset[SKEW_GROUPS],
	      struct skew_report *rep, struct error *err);

#endif
