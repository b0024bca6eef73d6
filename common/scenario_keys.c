/*
 * The scenario keys: one row per key, the single source for the parser,
 * `airtime validate`, `airtime reference` and scenarios/README.md.
 *
 * Adding keys: append a block for your section(s) at the END of the table,
 * opened by a comment naming the module that reads them.  Keep a section's
 * rows together; the order of rows is the order of `airtime validate`
 * output and of the reference.  Bounds are in stored units (microseconds,
 * bytes, fractions, days since 1970-01-01); use SCENARIO_NO_MIN/NO_MAX for
 * an open side.  def = NULL makes a key required.  Then run `make reference
 * golden` and commit scenarios/README.md and tests/golden/ with the rows.
 */
#include "common/scenario.h"

#include "common/simtime.h"

/* 2^53 - 1: the largest integer a double bound represents exactly. */
#define INT_EXACT_MAX 9007199254740991.0
/* 1970-01-01 and 2100-01-01 as days since the epoch. */
#define DATE_MIN 0.0
#define DATE_MAX 47482.0

const struct scenario_key scenario_keys[] = {
	/* ---- [run]: the run as a whole (eval/run) ---- */
	{ "run", "seed", SCENARIO_INT, 0, INT_EXACT_MAX, "1", NULL,
	  "master seed; every random stream is derived from it and (purpose, entity)" },
	{ "run", "start_date", SCENARIO_DATE, DATE_MIN, DATE_MAX, "2022-05-02", NULL,
	  "calendar date of simulated time 0 (midnight UTC); the default is a Monday" },
	{ "run", "warmup_days", SCENARIO_INT, 1, 365, "7", NULL,
	  "days everyone gets the control ranker while history builds up and is logged for training" },
	{ "run", "experiment_days", SCENARIO_INT, 1, 365, "14", NULL,
	  "days of the A/B experiment after the warm-up" },
	{ "run", "description", SCENARIO_STRING, 0, 0, "", NULL,
	  "free text shown in the report header" },

	/* ---- [ab]: experiment design (eval/ab) ---- */
	{ "ab", "mode", SCENARIO_ENUM, 0, 0, "split", "split|twin|both",
	  "split: users are divided between arms by salted hash; twin: the same world is run "
	  "once per arm for everyone (common random numbers); both: run both designs" },
	{ "ab", "control", SCENARIO_ENUM, 0, 0, "heuristic",
	  "forest|heuristic|popularity|random|oracle",
	  "ranker of the control arm (and of everyone during the warm-up)" },
	{ "ab", "treatment", SCENARIO_ENUM, 0, 0, "forest",
	  "forest|heuristic|popularity|random|oracle", "ranker of the treatment arm" },
	{ "ab", "treatment_share", SCENARIO_PERCENT, 0.01, 0.99, "50%", NULL,
	  "share of users assigned to the treatment arm in split mode" },
	{ "ab", "salt", SCENARIO_STRING, 0, 0, "airtime-ab", NULL,
	  "salt of the assignment hash; change it to re-randomise who is in which arm" },
	{ "ab", "exploration", SCENARIO_PERCENT, 0, 1, "0%", NULL,
	  "share of home pages shown in random order (logged as such) for unbiased training data" },

	/* ---- [report]: outputs of a run (eval/report) ---- */
	{ "report", "plots", SCENARIO_BOOL, 0, 0, "true", NULL,
	  "draw plots with gnuplot (skipped with a warning when gnuplot is missing)" },
	{ "report", "formats", SCENARIO_ENUM, 0, 0, "html+md", "html+md|html|md",
	  "report files to write: report.html, report.md or both" },
	/* ---- [batch]: the batch path (engine/firehose, engine/workflow, engine/batch) ---- */
	{ "batch", "firehose_size", SCENARIO_SIZE, 48, 1073741824.0, "5MiB", NULL,
	  "firehose buffer size: a buffer holding this many bytes of events (48 B each) is flushed" },
	{ "batch", "firehose_interval", SCENARIO_DURATION, 1 * SIMTIME_S, SIMTIME_HOUR, "300s", NULL,
	  "firehose buffer interval: a buffer is flushed this long after its oldest record arrived" },
	{ "batch", "firehose_delay", SCENARIO_DURATION, 0, SIMTIME_HOUR, "60s", NULL,
	  "delivery delay from a firehose flush to the partition being readable in the lake" },
	{ "batch", "run_at", SCENARIO_TIMEOFDAY, 0, SIMTIME_DAY - 1, "22:00", NULL,
	  "time of day (UTC) the daily batch job is triggered; it summarises the window ending then" },
	{ "batch", "window", SCENARIO_DURATION, SIMTIME_DAY, 64 * SIMTIME_DAY, "60d", NULL,
	  "history window of the batch features, whole days (at most 64d)" },
	{ "batch", "feature_ttl", SCENARIO_DURATION, 0, 365 * SIMTIME_DAY, "7d", NULL,
	  "batch feature rows older than this (event time) are not served nor joined; 0s = never expire" },
	{ "batch", "retry_errors", SCENARIO_STRING, 0, 0, "injected,io,db", NULL,
	  "error kinds a failed step is retried on: comma list of injected, io, db, data, other, or all, or none" },
	{ "batch", "retry_interval", SCENARIO_DURATION, 0, SIMTIME_DAY, "30s", NULL,
	  "delay before a step's first retry" },
	{ "batch", "retry_max_attempts", SCENARIO_INT, 0, 100, "3", NULL,
	  "retries of a step after its first attempt before the catch (keep yesterday's features, alarm)" },
	{ "batch", "retry_backoff", SCENARIO_REAL, 1, 100, "2.0", NULL,
	  "retry delay multiplier: retry n (0-based) waits retry_interval * retry_backoff^n" },
	{ "batch", "retry_max_delay", SCENARIO_DURATION, 0, SIMTIME_DAY, "0s", NULL,
	  "cap on one retry delay; 0s = no cap" },
	{ "batch", "retry_jitter", SCENARIO_PERCENT, 0, 1, "0%", NULL,
	  "random reduction of each retry delay: delay * (1 - jitter * U), U uniform; 100% = full jitter" },
	{ "batch", "fail_collect", SCENARIO_PERCENT, 0, 1, "0%", NULL,
	  "injected failure probability of each attempt of the collect step" },
	{ "batch", "fail_compute", SCENARIO_PERCENT, 0, 1, "0%", NULL,
	  "injected failure probability of each attempt of the compute step" },
	{ "batch", "fail_persist", SCENARIO_PERCENT, 0, 1, "0%", NULL,
	  "injected failure probability of each attempt of the persist step" },
	{ "batch", "fail_days", SCENARIO_STRING, 0, 0, "", NULL,
	  "days (since the start date, 0-based) on which every attempt of fail_step fails: N or N..M; empty = none" },
	{ "batch", "fail_step", SCENARIO_ENUM, 0, 0, "compute", "collect|compute|persist",
	  "the step that fails on fail_days" },
	{ "batch", "cost_startup", SCENARIO_DURATION, 0, SIMTIME_HOUR, "60s", NULL,
	  "cost model: fixed duration of every step attempt (scheduling, container start)" },
	{ "batch", "cost_scan_rate", SCENARIO_REAL, 1, 1e12, "5000000", NULL,
	  "cost model: events per second the collect step scans from the lake" },
	{ "batch", "cost_compute_rate", SCENARIO_REAL, 1, 1e12, "2000000", NULL,
	  "cost model: events per second the compute step aggregates" },
	{ "batch", "cost_write_rate", SCENARIO_REAL, 1, 1e12, "100000", NULL,
	  "cost model: feature rows per second the persist step writes" },
};

const size_t scenario_key_count = sizeof(scenario_keys) / sizeof(scenario_keys[0]);
