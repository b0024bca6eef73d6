#ifndef AIRTIME_COMPARE_H
#define AIRTIME_COMPARE_H
/*
 * A comparison of stored runs: OUT/compare.md and a self-contained
 * OUT/compare.html (plots in OUT/plots/), built from each RUN_DIR/results.db
 * alone.  The first run is the baseline; differences are "run - baseline".
 *
 * Content: the runs (scenario, seed, revision, host, wall time), the
 * scenario keys whose resolved values differ (each run's stored scenario
 * text and overrides parsed with common/scenario.h and dumped fully
 * resolved, so a default written out and a default left implicit compare
 * equal), A/B lifts side by side per mode and metric, SLO rows side by
 * side, counters (metrics) side by side with differences, and overlaid
 * time series (sessions, endpoint p99, reflection p99, queue depth).
 *
 * Each side is a run directory and one run of its results.db (a file may
 * hold several: the worlds of a twin experiment, load tests); the same
 * directory may appear twice with two of its runs.  A side without a run
 * id takes the file's only run or, of several, the one holding the
 * experiment's analysis (see runview.h); the runs table says so.
 *
 * Returns 0, REPORT_WARNINGS (> 0) when written with warnings (no gnuplot;
 * a run's scenario that no longer parses), or a negative code: ERR_INPUT
 * for fewer than two runs, a directory without results.db (naming it), a
 * run id the file does not hold, or no run id for a file of several runs
 * of which not exactly one holds the analysis (listing their ids and
 * names).
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* At most this many runs side by side. */
#define COMPARE_MAX_RUNS 8

/* One side of a comparison. */
struct compare_run {
	const char *dir;           /* the run directory (borrowed) */
	int64_t run_id;            /* a run of its results.db; 0: its only or analysis run */
};

/* Compare runs[0..n) into out_dir (created when missing). */
int compare_build(const struct compare_run *runs, size_t n, const char *out_dir,
		  struct error *err);

#endif
