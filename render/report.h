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
 * measurement), verdict summary (the sample-ratio-mismatch flag first),
 * A/B tables per mode, the interference bias when a split and a twin
 * analysis are both present, SLO table, plots, counters, run facts,
 * host timings and the scenario text.  Two more sections appear when their
 * rows exist: "Simulator validity" (table validity_checks, written by
 * `airtime validate-sim`) and "Load test (host measurement)" (every run row
 * named "loadtest", written by `airtime loadtest`, with its own plot);
 * the verdict summary counts both.
 *
 * Each plot is drawn only when its data is in results.db; data is looked up
 * by the names below, which eval/run and eval/worldrun write.  When gnuplot is missing (or
 * the stored scenario says [report] plots = false) the report is written
 * without pictures and says so.
 *
 * report_build returns 0, or REPORT_WARNINGS (> 0, not a failure) when the
 * report was written with a warning (no gnuplot, a plot that failed):
 * err->msg then holds the warning, also printed in the report.
 */
#include "common/error.h"

/* Positive status: written, with warnings in err->msg. */
#define REPORT_WARNINGS 1

/* Series (results_put_series names).  Times are simulated. */
#define REPORT_SERIES_SESSIONS "sessions"                 /* count: sessions started per bucket */
#define REPORT_SERIES_QUEUE_DEPTH "queue_depth"           /* gauge: visible messages */
#define REPORT_SERIES_QUEUE_INFLIGHT "queue_inflight"     /* gauge: received, not deleted */
#define REPORT_SERIES_QUEUE_OLDEST "queue_oldest_age_us"  /* gauge: age of the oldest message */
#define REPORT_SERIES_WORKERS "worker_concurrency"        /* gauge: busy workers */
#define REPORT_SERIES_REFLECTION "reflection_us"          /* record, with histograms */
#define REPORT_SERIES_LATENCY "endpoint_latency_us"       /* record, with histograms */
#define REPORT_SERIES_INSTANCES "endpoint_instances"      /* gauge: serving instances */
#define REPORT_SERIES_REQUESTS "endpoint_requests"        /* count per bucket */
#define REPORT_SERIES_ERRORS "endpoint_errors"            /* count per bucket */
#define REPORT_SERIES_FRESHNESS "freshness_age_us"        /* record: feature age at read */
#define REPORT_SERIES_EXPOSURES_CONTROL "exposures_control"     /* count: home pages per bucket */
#define REPORT_SERIES_EXPOSURES_TREATMENT "exposures_treatment"
#define REPORT_SERIES_ENGAGEMENT_CONTROL "engagement_daily_control"     /* count: actions, width 1 day */
#define REPORT_SERIES_ENGAGEMENT_TREATMENT "engagement_daily_treatment"

/* Run info keys (results_put_info).  Spike starts are "spike.NAME.start_us"
 * (simulated microseconds, decimal). */
#define REPORT_INFO_SPIKE_PREFIX "spike."
#define REPORT_INFO_SPIKE_SUFFIX ".start_us"
#define REPORT_INFO_TRAINING_FROM "training.from_us"
#define REPORT_INFO_TRAINING_TO "training.to_us"
#define REPORT_INFO_TRAINING_ROWS "training.rows"

/* Curves (results_put_curve). */
#define REPORT_CURVE_ROC "roc"                 /* x false-positive rate, y true-positive rate */
#define REPORT_CURVE_CALIBRATION "calibration" /* x mean prediction, y observed rate, n */

/* A/B mode labels (results_put_abtest); the interference bias is shown
 * when a split-like and a twin-like label are both present. */
#define REPORT_AB_SPLIT "split"
#define REPORT_AB_TWIN "twin"
#define REPORT_AB_BOTH_SPLIT "both-split"
#define REPORT_AB_BOTH_TWIN "both-twin"

/* Load tests (serve/loadrun, `airtime loadtest`): each is a run row of its
 * own named REPORT_LOADTEST_RUN in the same results.db; everything in it
 * is a host measurement.  Series times are wall seconds since the start of
 * the test. */
#define REPORT_LOADTEST_RUN "loadtest"
#define REPORT_LT_SERIES_INTENDED "loadtest_intended"     /* count: requests due per second */
#define REPORT_LT_SERIES_ACHIEVED "loadtest_achieved"     /* count: completed per second */
#define REPORT_LT_SERIES_LATENCY "loadtest_latency_us"    /* record, with histograms */
#define REPORT_LT_HIST_LATENCY "loadtest_latency_ns"      /* from intended start */
#define REPORT_LT_HIST_SERVICE "loadtest_service_ns"
#define REPORT_LT_HIST_DELAY "loadtest_start_delay_ns"
#define REPORT_LT_HIST_READ "loadtest_feature_read_ns"
#define REPORT_LT_HIST_SCORING "loadtest_scoring_ns"
/* The serving-path target line on the load-test plot (issue 9: p99 2 ms). */
#define REPORT_LT_TARGET_MS 2.0

/* The SLO line drawn on the latency plot, and the reflection target. */
#define REPORT_LATENCY_SLO_MS 200.0
#define REPORT_REFLECTION_SLO_S 60.0

/* Build RUN_DIR/report.md, report.html and plots/ from RUN_DIR/results.db.
 * ERR_INPUT when RUN_DIR has no results.db; ERR_DB/ERR_IO/ERR_CORRUPT when
 * it cannot be read or the report cannot be written (nothing half-written:
 * the previous report stays). */
int report_build(const char *run_dir, struct error *err);

#endif
