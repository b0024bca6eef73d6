#ifndef AIRTIME_LOADSTORE_H
#define AIRTIME_LOADSTORE_H
/*
 * A load test as results.db stores it: a run row of its own named
 * SCHEMA_RUN_LOADTEST beside the run it tested, holding host metrics
 * (SCHEMA_METRIC_LT_*), run facts (SCHEMA_INFO_LT_*), histograms in ns
 * (SCHEMA_HIST_LT_*), per-wall-second series (SCHEMA_SERIES_LT_*) and its
 * SLO table.  Everything in it is a host measurement.  A load test of an
 * HTTP target (airtime loadtest --target) adds the target, its errors by
 * kind and its connection counts, and has no feature-read or scoring
 * histograms (the target's insides are not seen).
 *
 * serve/loadrun measures and fills the plain description below;
 * loadstore_put names and writes it (results/schema.h), the report reads
 * it back by the same names.
 *
 * Ownership: everything is borrowed for the duration of the call.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/simtime.h"

struct hist;
struct results;
struct series;
struct slo_table;

struct loadstore {
	/* The run row: what was served. */
	const char *scenario_text;
	const char *overrides;      /* --set lines, one per line; "" if none */
	uint64_t seed;
	double wall_s;              /* length of the whole test */

	/* Counts and rates. */
	uint64_t requests, completed, errors, dropped, late;
	double rate_intended, rate_achieved, rate_peak;   /* requests per second */
	size_t threads, candidates, trees;
	int64_t latency_p99_ns;

	/* Facts. */
	const char *shape;          /* "constant" or "scenario" */
	double compress;            /* scenario shape: simulated s per wall s; NaN: none */
	const char *scorer;
	simtime serving_time;       /* the catalog snapshot served */
	double duration_s;          /* wall seconds of arrivals */

	bool from_set;              /* scenario shape: the window's simulated start */
	simtime from;

	/* An HTTP target (NULL: the in-process serving path, and the fields
	 * below are not stored). */
	const char *target, *method;
	size_t connections;
	uint64_t err_connect, err_timeout, err_4xx, err_5xx, err_body, err_other;
	uint64_t queued, opened;

	/* Histograms (ns); read and scoring NULL for an HTTP target. */
	const struct hist *latency, *service, *delay, *read, *scoring;
	/* Per wall second since the start of the test. */
	const struct series *intended, *achieved, *latency_us, *failed;
	const struct slo_table *slo;
};

/* Add the load test to r as a new run (*run_id), finished with status ok;
 * its rows land whole or not at all (the run row stays, 'running', when
 * they do not). */
int loadstore_put(struct results *r, const struct loadstore *l, int64_t *run_id,
		  struct error *err);

#endif
