#ifndef AIRTIME_LOADRUN_H
#define AIRTIME_LOADRUN_H
/*
 * `airtime loadtest`: an open-loop load test in wall-clock time, of the
 * real serving path of a run directory (serve/servedir, N threads through
 * serve/loadtest) or of any HTTP endpoint (a URL template, libcurl's multi
 * interface through serve/httpload), and what it measured written down:
 *   - results.db of the run directory (through results/loadstore): a run
 *     row named SCHEMA_RUN_LOADTEST with host metrics (intended / achieved
 *     rate, completed, dropped, late, errors; for an HTTP target errors by
 *     kind and connection counts; in process candidates and trees),
 *     histograms (latency from intended start, service time, start delay;
 *     in process also feature read and scoring), per-second series
 *     (intended, achieved, errors, latency with percentiles) and the SLO
 *     table;
 *   - the full percentile spectrum as CSV (HdrHistogram's layout);
 *   - a JSON summary (loadtest-ID-summary.json);
 *   - an HTML + Markdown report of the test alone (render/report:
 *     loadtest-ID.html, latency percentiles over time on a log axis, the
 *     scenario's spikes marked), plots skipped with a warning without
 *     gnuplot.
 * Everything here is a HOST measurement: nothing of it is deterministic.
 *
 * Arrival shapes: constant (request i at i / rate); a linear ramp between
 * two rates; or the scenario's own traffic: the app sessions (base arrivals
 * with their daily cycle, and spike sessions, as the run drew them, with
 * their users) from `from` on, time-compressed `speed` times (simulated
 * seconds per wall second).  Without rate_set every session is one request
 * at its own compressed time; with it the per-minute shape is scaled so
 * the mean rate over the test is `rate`, and request m of a minute goes to
 * that minute's m-th session's user (cyclically).  Constant and ramp draw
 * users uniformly from the population.
 *
 * SLOs: the targets come from the run's scenario [slo] section (struct
 * config_slo), or from o->slo when set: latency p50/p95/p99/p99.9 and the
 * share of good answers; in process also serving_p99 at the conditions it
 * is stated for ("no data" below them).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/hist.h"
#include "common/simtime.h"
#include "config/config.h"
#include "engine/rank.h"
#include "serve/httpload.h"
#include "stats/slo.h"

struct servedir;

enum loadrun_shape { LOADRUN_CONSTANT, LOADRUN_SCENARIO, LOADRUN_RAMP };

struct loadrun_options {
	double rate;              /* mean requests per second (> 0) */
	bool rate_set;            /* scenario shape: scale to `rate` (else natural) */
	double ramp_from, ramp_to;/* LOADRUN_RAMP: requests per second */
	double duration_s;        /* wall seconds (> 0) */
	size_t threads;           /* in process: worker threads (>= 1) */
	enum loadrun_shape shape;
	double compress;          /* scenario shape: simulated s per wall s (--speed) */
	bool from_set;            /* scenario shape: window start (else experiment start) */
	simtime from;
	enum rank_scorer scorer;  /* in process */
	size_t queue_bound;       /* waiting requests at most (default 10000; 0 HTTP: none) */
	double late_after_ms;     /* start later than this = late (default 1 ms) */
	uint64_t seed;            /* user draw */
	const char *csv_path;     /* NULL: DIR/loadtest-<run id>-percentiles.csv */
	const char *plot_base;    /* unused (the report draws); kept for callers */
	const char *json_path;    /* NULL: DIR/loadtest-<run id>-summary.json */
	bool store;               /* write results.db, CSV, JSON and report (default true) */
	const struct config_slo *slo; /* NULL: the run's scenario [slo] */

	/* An HTTP target (NULL: the in-process serving path). */
	const char *target;       /* URL template */
	const char *method;       /* NULL: GET (POST with a body) */
	const char *const *headers;
	size_t n_headers;
	const char *body;
	enum httpload_check check;
	bool allow_remote;
	size_t connections;       /* pool bound (default 16) */
	double timeout_s;         /* per request (default 10) */
	uint32_t k;               /* {k}; 0: the scenario's [rank] k */
};

struct loadrun_summary {
	int64_t run_id;           /* in DIR/results.db (0 when not stored) */
	bool http;                /* an HTTP target */
	size_t requests;
	uint64_t completed, errors, dropped, late;
	uint64_t by_kind[HTTPLOAD_KINDS], queued, opened;   /* HTTP target */
	double intended_rate, achieved_rate, peak_rate, wall_s;
	int64_t p50, p90, p99, p999, p9999, max;   /* latency, ns */
	int64_t service_p99, delay_p99;            /* ns */
	int64_t read_p50, read_p99, read_max;      /* feature assembly, ns */
	uint64_t reads;                            /* requests that read features */
	size_t candidates, trees;
	struct slo_table slo;
	struct slo_table slo_failed;              /* the failing rows of slo */
	char first_error[1024];   /* first handler error; "" if none */
	char csv[4096], plot[4096], json[4096], report[4096];
	char warning[1100];       /* non-fatal (plot skipped); "" if none */
	/* Per wall second of the test (owned; loadrun_summary_release). */
	size_t seconds;
	double *intended_per_s, *achieved_per_s, *p99_per_s_us, *errors_per_s;
};

void loadrun_options_defaults(struct loadrun_options *o);

/* Run the load test against d and store its results in d's directory. */
int loadrun_execute(const struct servedir *d, const struct loadrun_options *o,
		    struct loadrun_summary *out, struct error *err);

void loadrun_summary_release(struct loadrun_summary *s);

/* Write the percentile spectrum of h (values in ns) as CSV: Value (us),
 * Percentile, TotalCount, 1/(1-Percentile); five steps per halving of the
 * remaining tail, as HdrHistogram prints it. */
int loadrun_write_percentiles(const struct hist *h, const char *path, struct error *err);

#endif
