#ifndef AIRTIME_RESULTS_H
#define AIRTIME_RESULTS_H
/*
 * results.db: everything a run measured, in SQLite, with a versioned schema
 * (PRAGMA user_version = RESULTS_SCHEMA_VERSION) documented at the top of
 * results.c and in docs/results-schema.md.  Every name stored in it (series,
 * histograms, metrics, run facts, curves, A/B modes, ...) is a row of
 * results/schema.h: callers pass schema_name(SCHEMA_...), never a literal.
 * `sqlite3 results.db` is a first-class way to look at a run, and `airtime
 * report DIR` rebuilds a report from this file alone through the readers
 * below.  Only results/ issues SQL on results.db.
 *
 * One file may hold several runs (e.g. the two worlds of a twin
 * experiment); every row names its run by the integer run_id that
 * results_begin_run returns.
 *
 * Writes go through cached prepared statements; every put_* is one
 * transaction level (db_begin/db_commit), so it either lands whole or not
 * at all, and joins a caller's larger transaction opened with
 * results_begin (recommended around many small puts: one commit, one fsync).
 *
 * Determinism: everything is a function of scenario + seed except the host
 * measurements, which are labelled as such: runs.host, runs.started_utc,
 * runs.wall_seconds, runs.git_rev/version (build provenance), the timings
 * table, and metrics with kind 'host'.
 *
 * Ownership: struct results is opaque (results_close frees it, NULL is a
 * no-op).  Strings passed in are borrowed.  Rows handed to each_* callbacks
 * are borrowed for the duration of the call only.  A callback returning
 * non-zero stops the iteration, and the each_* function returns that value
 * (a callback that fails should set err and return a negative code).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/db.h"
#include "common/error.h"
#include "common/hist.h"
#include "common/series.h"
#include "common/simtime.h"
#include "results/schema.h"
#include "stats/abtest.h"
#include "stats/slo.h"

struct results;

/* Is a value simulated (deterministic) or measured on this host? */
enum results_kind { RESULTS_SIM, RESULTS_HOST };

enum results_status { RESULTS_RUNNING, RESULTS_OK, RESULTS_FAILED };

/* A row of `runs`.  On write, NULL git_rev/version/host/started_utc take the
 * build's revision and version, this host's name and the current UTC time;
 * run_id, wall_seconds and status are ignored.  On read, all are filled
 * (wall_seconds is NaN while the run is still running). */
struct results_run {
	int64_t run_id;
	const char *run_key;        /* the run directory's id (rundir_id); "" if none */
	const char *name;           /* scenario name */
	const char *scenario_text;  /* the exact scenario file text */
	const char *overrides;      /* --set lines, one per line; "" if none */
	uint64_t seed;
	const char *git_rev;
	const char *version;
	const char *host;
	const char *started_utc;    /* ISO 8601, e.g. 2024-05-02T10:11:12Z */
	double wall_seconds;
	enum results_status status;
};

struct results_metric {
	const char *name;
	const char *arm;            /* "all" when not per arm */
	double value;               /* NaN when undefined (stored as NULL) */
	const char *unit;           /* "" when dimensionless */
	enum results_kind kind;
};

struct results_timing {
	const char *phase;
	double wall_seconds;        /* host measurement */
};

/* One state change of a daily batch workflow step (engine/workflow). */
struct results_transition {
	int64_t job_day;            /* simulated day index of the daily job */
	const char *step;
	const char *from_state;
	const char *to_state;
	simtime at;                 /* when it happened, simulated */
	int attempt;                /* 1 for the first try */
	const char *error_kind;     /* NULL when no error */
	const char *message;        /* NULL when none */
};

/* A histogram's summary as stored in hist_summary. */
struct results_hist_summary {
	uint64_t count, overflow;
	double mean;
	int64_t min, p50, p90, p95, p99, p999, max;
	int64_t highest;            /* the histogram's parameters, to rebuild it */
	int digits;
	char unit[32];
};

/* A series read back into arrays of length n (NaN where a value is NULL:
 * percentiles of a series without histograms or of a bucket with count 0;
 * min/max/last are 0 in an empty bucket, as in series.h).  Owned by the
 * caller: results_series_release. */
struct results_series {
	char *name;
	char *unit;
	size_t n;
	simtime start, width;
	bool has_hist;
	double *start_s;            /* bucket start in simulated seconds, for plots */
	double *count, *sum, *min, *max, *last, *p50, *p90, *p99;
};

/* Open (creating and migrating as needed) a results database for writing;
 * ":memory:" works.  NULL on error. */
struct results *results_open(const char *path, struct error *err);
/* Open an existing results database read-only (for reports); refuses a
 * file of another schema version.  NULL on error. */
struct results *results_open_readonly(const char *path, struct error *err);
void results_close(struct results *r);
/* The underlying database, for ad-hoc queries (tests); airtime's own SQL
 * on results.db stays in results/. */
struct db *results_db(struct results *r);

/* Group many writes in one transaction (each put also nests inside). */
int results_begin(struct results *r, struct error *err);
int results_commit(struct results *r, struct error *err);
void results_rollback(struct results *r);

/* Insert a run with status 'running'; *run_id receives its id. */
int results_begin_run(struct results *r, const struct results_run *run, int64_t *run_id,
		      struct error *err);
/* Set the final status and the wall-clock duration (host measurement). */
int results_finish_run(struct results *r, int64_t run_id, enum results_status status,
		       double wall_seconds, struct error *err);
/* A key/value fact about the run (e.g. training-set time bounds); a second
 * put of the same key replaces the value. */
int results_put_info(struct results *r, int64_t run_id, const char *key,
		     const char *value, struct error *err);
/* A labelled host measurement: how long a phase took on this machine. */
int results_put_timing(struct results *r, int64_t run_id, const char *phase,
		       double wall_seconds, struct error *err);
/* A scalar; arm NULL means "all"; (name, arm) is unique within a run. */
int results_put_metric(struct results *r, int64_t run_id, const char *name, const char *arm,
		       double value, const char *unit, enum results_kind kind,
		       struct error *err);
/* Every bucket of a series (named by series_name), with p50/p90/p99 when it
 * keeps histograms. */
int results_put_series(struct results *r, int64_t run_id, const struct series *s,
		       const char *unit, struct error *err);
/* The same under another name (the name a writer takes from schema.h, not
 * the label the series was made with). */
int results_put_series_as(struct results *r, int64_t run_id, const char *name,
			  const struct series *s, const char *unit, struct error *err);
/* A histogram: its summary and its non-empty buckets. */
int results_put_hist(struct results *r, int64_t run_id, const char *name,
		     const struct hist *h, const char *unit, struct error *err);
int results_put_transition(struct results *r, int64_t run_id,
			   const struct results_transition *t, struct error *err);

/* Readers.  Iteration order is recording order unless noted. */
int results_each_run(struct results *r,
		     int (*fn)(const struct results_run *run, void *ctx), void *ctx,
		     struct error *err);
/* Value of one info key, copied into a new string (*value; caller frees);
 * ERR_NOTFOUND when absent. */
int results_get_info(struct results *r, int64_t run_id, const char *key, char **value,
		     struct error *err);
int results_each_info(struct results *r, int64_t run_id,
		      int (*fn)(const char *key, const char *value, void *ctx), void *ctx,
		      struct error *err);
int results_each_timing(struct results *r, int64_t run_id,
			int (*fn)(const struct results_timing *t, void *ctx), void *ctx,
			struct error *err);
/* One metric's value (arm NULL = "all"); ERR_NOTFOUND when absent. */
int results_get_metric(struct results *r, int64_t run_id, const char *name, const char *arm,
		       double *value, struct error *err);
int results_each_metric(struct results *r, int64_t run_id,
			int (*fn)(const struct results_metric *m, void *ctx), void *ctx,
			struct error *err);
/* Series names of a run, in recording order. */
int results_each_series_name(struct results *r, int64_t run_id,
			     int (*fn)(const char *name, void *ctx), void *ctx,
			     struct error *err);
/* Read a series back into arrays; ERR_NOTFOUND when absent. */
int results_get_series(struct results *r, int64_t run_id, const char *name,
		       struct results_series *out, struct error *err);
void results_series_release(struct results_series *s);
/* Histogram names of a run, in recording order. */
int results_each_hist_name(struct results *r, int64_t run_id,
			   int (*fn)(const char *name, void *ctx), void *ctx,
			   struct error *err);
int results_get_hist_summary(struct results *r, int64_t run_id, const char *name,
			     struct results_hist_summary *out, struct error *err);
/* Non-empty buckets of a histogram in increasing value order. */
int results_each_hist_bucket(struct results *r, int64_t run_id, const char *name,
			     int (*fn)(int64_t lo, int64_t hi, uint64_t count, void *ctx),
			     void *ctx, struct error *err);
int results_each_transition(struct results *r, int64_t run_id,
			    int (*fn)(const struct results_transition *t, void *ctx),
			    void *ctx, struct error *err);

/*
 * The analysis of a run, stored so that a report can be rebuilt from
 * results.db alone: A/B tables (one per mode label: SCHEMA_AB_SPLIT,
 * SCHEMA_AB_TWIN), the SLO table, model curves (SCHEMA_CURVE_*) and
 * feature importance.
 */

/* Store an A/B analysis under `mode` (NULL: a->mode): its summary (arm
 * sizes, SRM, alpha) and one row per metric.  A mode appears once per run. */
int results_put_abtest(struct results *r, int64_t run_id, const char *mode,
		       const struct abtest *a, struct error *err);
/* A/B mode labels of a run, in recording order. */
int results_each_abtest_mode(struct results *r, int64_t run_id,
			     int (*fn)(const char *mode, void *ctx), void *ctx,
			     struct error *err);
/* Read an A/B analysis back (out->mode holds the label, truncated to fit;
 * fields not stored: lift se/df/tstat/rel_se, cuped raw lift, are NaN).
 * ERR_NOTFOUND when absent. */
int results_get_abtest(struct results *r, int64_t run_id, const char *mode,
		       struct abtest *out, struct error *err);

/* Store the interference bias of [ab] mode = both (one row per treatment
 * arm and metric, table ab_bias). */
int results_put_bias(struct results *r, int64_t run_id, const struct abtest_bias *b,
		     struct error *err);
/* Read it back; out->n_arms == 0 when the run stored none (not an error). */
int results_get_bias(struct results *r, int64_t run_id, struct abtest_bias *out,
		     struct error *err);

/* One row of the streaming path's conservation table (outcome, events);
 * outcome_buf holds the name when read back. */
struct results_conservation {
	const char *outcome;
	int64_t events;
	char outcome_buf[32];
};

/* Store a world's conservation rows, in order. */
int results_put_conservation(struct results *r, int64_t run_id,
			     const struct results_conservation *rows, size_t n, struct error *err);
/* Read them back (at most cap; *n = 0 when none were stored, e.g. an older
 * file or a load test's run). */
int results_get_conservation(struct results *r, int64_t run_id,
			     struct results_conservation *rows, size_t cap, size_t *n,
			     struct error *err);

/* Store an SLO table (rows in order); a second put appends. */
int results_put_slo(struct results *r, int64_t run_id, const struct slo_table *t,
		    struct error *err);
/* Read a run's SLO rows (t->n == 0 when none were stored). */
int results_get_slo(struct results *r, int64_t run_id, struct slo_table *t,
		    struct error *err);

/* A curve of `len` points (x, y) with an optional sample count per point
 * (n NULL: none, stored as NULL), e.g. SCHEMA_CURVE_ROC (x = false-positive
 * rate, y = true-positive rate) or SCHEMA_CURVE_CALIBRATION (x = mean
 * prediction of a bin, y = observed rate, n = samples in the bin).  (run,
 * name) is unique. */
int results_put_curve(struct results *r, int64_t run_id, const char *name, const double *x,
		      const double *y, const double *n, size_t len, struct error *err);
/* A curve read back; n is NaN where not stored.  results_curve_release. */
struct results_curve {
	char *name;
	size_t len;
	double *x, *y, *n;
};
/* ERR_NOTFOUND when absent. */
int results_get_curve(struct results *r, int64_t run_id, const char *name,
		      struct results_curve *out, struct error *err);
void results_curve_release(struct results_curve *c);
/* Curve names of a run, in recording order. */
int results_each_curve_name(struct results *r, int64_t run_id,
			    int (*fn)(const char *name, void *ctx), void *ctx,
			    struct error *err);

/* Feature importance of the model: impurity (mean decrease) and, when
 * measured, permutation importance (permutation NULL, or NaN entries:
 * stored as NULL). */
int results_put_importance(struct results *r, int64_t run_id, const char *const *features,
			   const double *impurity, const double *permutation, size_t n,
			   struct error *err);
/* Rows in recording order; permutation is NaN when not measured. */
int results_each_importance(struct results *r, int64_t run_id,
			    int (*fn)(const char *feature, double impurity, double permutation,
				      void *ctx),
			    void *ctx, struct error *err);

/* "running" / "ok" / "failed", and back (ERR_CORRUPT on an unknown text). */
const char *results_status_name(enum results_status s);
const char *results_kind_name(enum results_kind k);

#endif
