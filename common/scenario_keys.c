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

	/* engine/rank (rank_config_load, engine/rank_config.c) */
	{ "rank", "horizon", SCENARIO_DURATION, 0, 7 * 86400e6, "6h", NULL, "candidates include upcoming shows starting within this horizon" },
	{ "rank", "late_grace", SCENARIO_DURATION, 0, 86400e6, "30min", NULL, "announced shows overdue by at most this (not yet live) stay candidates" },
	{ "rank", "max_candidates", SCENARIO_INT, 1, 1000000, "1000", NULL, "at most this many candidates per request (live first, then by start)" },
	{ "rank", "k", SCENARIO_INT, 1, 1000, "20", NULL, "home-page size: shows returned per request" },
	{ "rank", "host_timing", SCENARIO_BOOL, 0, 0, "true", NULL, "measure this host's wall-clock time for feature assembly and scoring (host_* histograms; never in simulated results)" },
	/* engine/endpoint (endpoint_config_load, engine/endpoint_config.c) */
	{ "endpoint", "min_instances", SCENARIO_INT, 0, 100000, "1", NULL, "autoscaling lower bound on instances" },
	{ "endpoint", "max_instances", SCENARIO_INT, 1, 100000, "20", NULL, "autoscaling upper bound on instances" },
	{ "endpoint", "initial_instances", SCENARIO_INT, 0, 100000, "2", NULL, "instances serving (warm) at the start of the run" },
	{ "endpoint", "concurrency", SCENARIO_INT, 1, 10000, "4", NULL, "requests one instance serves at once" },
	{ "endpoint", "queue_capacity", SCENARIO_INT, 0, 10000000, "1000", NULL, "requests waiting at the load balancer before new ones are rejected" },
	{ "endpoint", "timeout", SCENARIO_DURATION, 1000, 600e6, "1s", NULL, "client timeout: a request not answered within it counts as a timeout" },
	{ "endpoint", "network_rtt", SCENARIO_DURATION, 0, 10e6, "10ms", NULL, "network round trip added to every request's latency" },
	{ "endpoint", "autoscale", SCENARIO_BOOL, 0, 0, "true", NULL, "target-tracking autoscaling on invocations per instance per minute" },
	{ "endpoint", "target_invocations", SCENARIO_REAL, 1, 1e9, "1000", NULL, "autoscaling target: invocations per instance per minute" },
	{ "endpoint", "metric_period", SCENARIO_DURATION, 1e6, 3600e6, "1min", NULL, "autoscaler evaluation period" },
	{ "endpoint", "scale_out_cooldown", SCENARIO_DURATION, 0, 86400e6, "300s", NULL, "no scale-out (nor scale-in) within this time after a scale-out" },
	{ "endpoint", "scale_in_cooldown", SCENARIO_DURATION, 0, 86400e6, "300s", NULL, "no scale-in within this time after a scale-in" },
	{ "endpoint", "warmup", SCENARIO_DURATION, 0, 3600e6, "2min", NULL, "time from launching an instance to its first request (billed)" },
	{ "endpoint", "service", SCENARIO_ENUM, 0, 0, "cost", "cost|exponential|lognormal|constant", "service time: cost model of the ranker's real work, or a fixed distribution" },
	{ "endpoint", "service_mean", SCENARIO_DURATION, 1, 60e6, "20ms", NULL, "mean service time of the fixed distributions" },
	{ "endpoint", "service_cv", SCENARIO_REAL, 0.01, 100, "1.0", NULL, "coefficient of variation of the lognormal service time" },
	{ "endpoint", "cost_base_ns", SCENARIO_REAL, 0, 1e12, "2000000", NULL, "cost model: nanoseconds per request" },
	{ "endpoint", "cost_candidate_ns", SCENARIO_REAL, 0, 1e9, "500", NULL, "cost model: nanoseconds per candidate" },
	{ "endpoint", "cost_feature_ns", SCENARIO_REAL, 0, 1e9, "20", NULL, "cost model: nanoseconds per feature value read" },
	{ "endpoint", "cost_node_ns", SCENARIO_REAL, 0, 1e9, "2", NULL, "cost model: nanoseconds per tree node visited" },
	{ "endpoint", "cost_call_ns", SCENARIO_REAL, 0, 1e12, "1000000", NULL, "cost model: nanoseconds per feature-store round trip" },
};

const size_t scenario_key_count = sizeof(scenario_keys) / sizeof(scenario_keys[0]);
