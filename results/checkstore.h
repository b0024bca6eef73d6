#ifndef AIRTIME_CHECKSTORE_H
#define AIRTIME_CHECKSTORE_H
/*
 * Simulator validity checks as results.db stores them: table
 * validity_checks (SCHEMA_TABLE_VALIDITY_CHECKS, schema version 2), one row
 * per check of `airtime validate-sim`.  eval/validity computes the checks
 * and stores them under the run's first run_id; the report reads them back
 * for its "Simulator validity" section and its verdict.
 *
 * A put replaces every check stored for the run, in one transaction
 * level (it joins a caller's transaction, like results_put_*).
 *
 * Ownership: plain structs, nothing to free; the results handle is
 * borrowed.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct results;

#define CHECKSTORE_MAX 32

enum checkstore_verdict { CHECKSTORE_PASS, CHECKSTORE_FAIL, CHECKSTORE_SKIP };

/* One stored check (NaN value, p or threshold are stored as NULL). */
struct checkstore_check {
	char name[64];             /* "sessions_hourly", "spike_size.promo", ... */
	char statistic[32];        /* "chi2(23)", "KS D", "z", "difference" */
	double value;              /* the statistic */
	double p;                  /* p-value, NaN for an exact check */
	double threshold;          /* alpha, or 0 for an exact check */
	enum checkstore_verdict verdict;
	char detail[256];          /* observed against expected in words */
};

/* The checks of a run in stored order, with their verdicts counted. */
struct checkstore {
	struct checkstore_check checks[CHECKSTORE_MAX];
	size_t n, pass, fail, skipped;
};

/* Replace the checks stored for run_id by c->checks[0 .. c->n). */
int checkstore_put(struct results *r, int64_t run_id, const struct checkstore *c,
		   struct error *err);
/* Read the checks stored for run_id (out->n == 0 when validate-sim never
 * ran), counts recomputed.  ERR_CORRUPT on an unknown verdict or more than
 * CHECKSTORE_MAX rows. */
int checkstore_get(struct results *r, int64_t run_id, struct checkstore *out,
		   struct error *err);
/* "pass", "fail", "skip": the stored text of a verdict. */
const char *checkstore_verdict_name(enum checkstore_verdict v);

#endif
