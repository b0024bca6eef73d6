#ifndef AIRTIME_REPORT_H
#define AIRTIME_REPORT_H
/*
 * The report of one run: RUN_DIR/report.md and a self-contained
 * RUN_DIR/report.html (CSS inline, plots embedded as data: URIs), plus
 * RUN_DIR/plots/ (PNG and SVG), built from RUN_DIR/results.db ALONE, so
 * `airtime report DIR` can rebuild it at any time.
 *
 * The report covers the first run recorded in results.db (the one the
 * analysis is stored under; a twin experiment's other world may be a
 * second run in the same file).  Content, in order: header (scenario,
 * description, seed, git revision, host, run date, wall time: host
 * measurement), the decision (stats/decision on the stored scenario's [ab]
 * primary and guardrails, per analysis and treatment arm, with the
 * sample-ratio-mismatch banner first), verdict summary,
 * A/B tables per mode, the interference bias when a split and a twin
 * analysis are both present, SLO table, plots, counters, run facts,
 * host timings and the scenario text.  Two more sections appear when their
 * rows exist: "Simulator validity" (table validity_checks, written by
 * `airtime validate-sim`, read through results/checkstore) and "Load test
 * (host measurement)" (every run row named SCHEMA_RUN_LOADTEST, written by
 * `airtime loadtest`, with its own plot); the verdict summary counts both.
 *
 * Time plots shade the warm-up, mark the experiment's start and the
 * spikes, end their x axis at the run's end (warm-up + experiment days),
 * drop buckets that end after it (the drain, a partial last day) and merge
 * fine buckets so a line has at most 1500 points (the caption says how).
 * Latency and reflection are on log axes against their objectives; batch
 * freshness against the bound a daily job keeps (not the streaming
 * objective); queue and workers on separate plots.  Up to four gnuplots
 * draw at once (plot_render_start).
 *
 * Each plot is drawn only when its data is in results.db; data is looked up
 * by the names of results/schema.h, the list every writer stores under
 * (results/worldstore for a run's worlds, results/loadstore for load
 * tests).  When gnuplot is missing (or the stored scenario says [report]
 * plots = false) the report is written without pictures and says so.
 *
 * report_build returns 0, or REPORT_WARNINGS (> 0, not a failure) when the
 * report was written with a warning (no gnuplot, a plot that failed):
 * err->msg then holds the warning, also printed in the report.
 */
#include <stdint.h>

#include "common/error.h"

/* Positive status: written, with warnings in err->msg. */
#define REPORT_WARNINGS 1

/* The lines drawn at objectives come from the stored scenario's [slo]
 * keys (latency_p99 on the latency plot, reflection_p99 on the reflection
 * and freshness plots; a load test: serving_p99 in process, latency_p99 for
 * an HTTP target). */

/* Build RUN_DIR/report.md, report.html and plots/ from RUN_DIR/results.db.
 * ERR_INPUT when RUN_DIR has no results.db; ERR_DB/ERR_IO/ERR_CORRUPT when
 * it cannot be read or the report cannot be written (nothing half-written:
 * the previous report stays). */
int report_build(const char *run_dir, struct error *err);

/* The report of one load test of RUN_DIR alone (run `run_id`, named
 * SCHEMA_RUN_LOADTEST): RUN_DIR/loadtest-ID.html and .md (as [report]
 * formats says) with its rates, errors, histograms, SLO table and the plot
 * of latency percentiles per wall second on a log axis (plots/loadtest-ID,
 * the scenario's spikes marked when the test followed the scenario's
 * shape).  Returns as report_build; ERR_INPUT when there is no such load
 * test. */
int report_build_loadtest(const char *run_dir, int64_t run_id, struct error *err);

#endif
