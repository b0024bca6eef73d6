#ifndef AIRTIME_RUNVIEW_H
#define AIRTIME_RUNVIEW_H
/*
 * A stored run as reports and comparisons read it: RUN_DIR/results.db
 * opened read-only, one run of it (a report reads the first one recorded:
 * the analysis is stored under it; a comparison reads the one it is told,
 * or else the one holding the experiment's analysis, as a file may hold
 * several: the worlds of a twin experiment, load tests), its scenario
 * parsed back, and the time axis its plots use.
 *
 * The run holding the experiment's analysis is the one that is not a load
 * test (SCHEMA_RUN_LOADTEST) and has A/B tables (ab_summary) or SLO rows
 * (slo_rows): eval/run stores both under its first world only, while the
 * other worlds keep their own counters and series and a load test stores
 * SLO rows of its own.
 *
 * Ownership: struct runview's strings are owned (runview_release frees
 * them); the results handle from runview_open belongs to the caller
 * (results_close).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/scenario.h"
#include "results/results.h"

struct runview {
	int64_t run_id;
	char *run_key, *name, *scenario_text, *overrides, *git_rev, *version, *host;
	char *started_utc;
	uint64_t seed;
	double wall_seconds;       /* host measurement; NaN when not recorded */
	enum results_status status;
	size_t file_runs;          /* how many runs its results.db holds */
	char *file_list;           /* those runs, "1 'a#control', 2 'a#treatment'" */
	bool analysis_pick;        /* RUNVIEW_ANALYSIS chose it among several */
};

/* Open RUN_DIR/results.db read-only and read its first run into *run.
 * ERR_INPUT naming the path when RUN_DIR has no results.db; ERR_DB/ERR_IO
 * when it cannot be read; ERR_CORRUPT when it records no run.  NULL on
 * error (with *run released). */
struct results *runview_open(const char *run_dir, struct runview *run, struct error *err);

/* Which run runview_open_run reads: a run id (> 0), or one of these. */
#define RUNVIEW_FIRST 0        /* the first one recorded */
#define RUNVIEW_ANALYSIS (-1)  /* the only one, or the one holding the analysis */

/* As runview_open, for run `run_id`: ERR_INPUT naming the file and listing
 * its runs (id and name) when it has no such run, or when RUNVIEW_ANALYSIS
 * finds several and not exactly one of them holds the experiment's
 * analysis. */
struct results *runview_open_run(const char *run_dir, int64_t run_id, struct runview *run,
				 struct error *err);
void runview_release(struct runview *run);

/* Parse the run's stored scenario text with its overrides (one
 * "section.key=value" per line) against config_schema.  NULL with err on
 * failure. */
struct scenario *runview_scenario(const struct runview *run, struct error *err);

/* The unit of a plot's time axis, chosen from a series' span. */
struct runview_axis {
	double div;                /* seconds per unit */
	const char *label;         /* "simulated time (days)" */
};

/* Days for spans over three days, hours over three hours, else minutes. */
void runview_axis_for(struct runview_axis *ax, const struct results_series *s);
/* Bucket starts of s in axis units (a new array of s->n; caller frees). */
double *runview_axis_x(const struct runview_axis *ax, const struct results_series *s);

#endif
