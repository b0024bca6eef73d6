#ifndef AIRTIME_LOADRUN_H
#define AIRTIME_LOADRUN_H
/*
 * `airtime loadtest`: the real serving path of a run directory
 * (serve/servedir) driven in wall-clock time by the open-loop generator
 * (serve/loadtest), and what it measured written down:
 *   - results.db of the run directory (through results/loadstore): a run
 *     row named SCHEMA_RUN_LOADTEST with host metrics (intended / achieved
 *     rate, completed, dropped, late, errors, candidates, trees),
 *     histograms (latency from intended start,
 *     service time, start delay, feature read = the ranker's host
 *     assembly time, scoring), per-second series (intended and achieved
 *     requests, latency with p50/p90/p99) and the SLO table;
 *   - the full percentile spectrum as CSV (HdrHistogram's layout);
 *   - a plot of latency and rate over time (gnuplot; skipped with a
 *     warning when gnuplot is missing).
 * Everything here is a HOST measurement: nothing of it is deterministic.
 *
 * Arrival shapes: constant (request i at i / rate), or the scenario's own
 * traffic (base sessions with their daily cycle, and spike sessions, as the
 * run drew them, per simulated minute) from `from` on, compressed `compress`
 * times (simulated seconds per wall second) and scaled so the mean rate
 * over the test is `rate`.  Every request is served as of the servedir's
 * serving time (one catalog snapshot); users are drawn uniformly from the
 * population.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/hist.h"
#include "common/simtime.h"
#include "engine/rank.h"
#include "stats/slo.h"

struct servedir;

enum loadrun_shape { LOADRUN_CONSTANT, LOADRUN_SCENARIO };

/* The serving-path target: p99 < 2 ms at 500 rps for 1,000
 * candidates and a 100-tree forest; and the production SLO. */
#define LOADRUN_TARGET_P99_US 2000
#define LOADRUN_TARGET_RATE 500.0
#define LOADRUN_TARGET_CANDIDATES 1000
#define LOADRUN_TARGET_TREES 100
#define LOADRUN_SLO_US (200 * 1000)

struct loadrun_options {
	double rate;              /* mean requests per second (> 0) */
	double duration_s;        /* wall seconds (> 0) */
	size_t threads;           /* worker threads (>= 1) */
	enum loadrun_shape shape;
	double compress;          /* scenario shape: simulated s per wall s */
	bool from_set;            /* scenario shape: window start (else experiment start) */
	simtime from;
	enum rank_scorer scorer;
	size_t queue_bound;       /* waiting requests at most (default 10000) */
	double late_after_ms;     /* start later than this = late (default 1 ms) */
	uint64_t seed;            /* user draw */
	const char *csv_path;     /* NULL: DIR/loadtest-<run id>-percentiles.csv */
	const char *plot_base;    /* NULL: DIR/loadtest-<run id>-latency(.png|.svg) */
	bool store;               /* write results.db, CSV and plot (default true) */
};

struct loadrun_summary {
	int64_t run_id;           /* in DIR/results.db (0 when not stored) */
	size_t requests;
	uint64_t completed, errors, dropped, late;
	double intended_rate, achieved_rate, peak_rate, wall_s;
	int64_t p50, p90, p99, p999, p9999, max;   /* latency, ns */
	int64_t service_p99, delay_p99;            /* ns */
	int64_t read_p50, read_p99, read_max;      /* feature assembly, ns */
	uint64_t reads;                            /* requests that read features */
	size_t candidates, trees;
	struct slo_table slo;
	char first_error[1024];   /* first handler error; "" if none */
	char csv[4096], plot[4096];
	char warning[1100];       /* non-fatal (plot skipped); "" if none */
	/* Per wall second of the test (owned; loadrun_summary_release). */
	size_t seconds;
	double *intended_per_s, *achieved_per_s, *p99_per_s_us;
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
