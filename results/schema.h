#ifndef AIRTIME_SCHEMA_H
#define AIRTIME_SCHEMA_H
/*
 * Every name of results.db, in one list: the tables, the special run name,
 * run facts (run_info keys), metric names, timing phases, series,
 * histograms, curves and A/B mode labels, and the tables of a sweep
 * directory's results.db.  Writers and readers name what they store and
 * look up only through this list (schema_name(SCHEMA_SERIES_SESSIONS), never
 * "sessions"), so a rename is one edit and a name cannot be written under
 * one spelling and read under another.  tests/test_schema.c checks, for
 * every row, that the real writers produce it (a tiny run, replay,
 * validate-sim, load tests and sweep in a temporary directory), that the
 * file named as its reader refers to it, and that nothing else is written;
 * docs/results-schema.md lists the same names.
 *
 * Column layout (SQL) lives with the statements in results/ (results.c,
 * checkstore.c, sweepstore.c): only results/ issues SQL on results.db, so
 * table names are spelled there, in SQL text, and the test ties them to
 * the TABLE rows below.  A change of tables or columns is a new schema
 * version (RESULTS_SCHEMA_VERSION, a migration step in results.c); adding
 * or renaming a series, metric or key is not, as they are row values.
 *
 * Row columns, in order:
 *   id       the enum constant, SCHEMA_<KIND>_<WHAT>
 *   name     the stored text; a '*' stands for one part chosen at run time
 *            (a spike's, a skew group's or an arm's name): schema_key,
 *            schema_match
 *   kind     where the name is stored (enum schema_kind)
 *   unit     the unit stored with a series, histogram or metric ("" when
 *            dimensionless or not applicable); writers store this one
 *   use      how it is read back (enum schema_use)
 *   reader   BYNAME / LISTED: the file that reads it (BYNAME: refers to the
 *            id; LISTED: lists its whole table); WRITEONLY: why it is kept
 *   meaning  one line
 *
 * Adding a name: add its row here, store it through the id (a results/
 * *store.c writer or results_put_* with schema_name), read it where the
 * row says, and add it to the Names section of docs/results-schema.md;
 * tests/test_schema.c names whichever of the four is missing.  A name kept
 * only for users' SQL is SCHEMA_WRITEONLY with the reason as its reader.
 *
 * Everything here is static data; nothing to free.
 */
#include <stdbool.h>
#include <stddef.h>

/* PRAGMA user_version of a run's results.db (results/results.c; version 3
 * added the arm column of the A/B tables, version 4 the logged bandit
 * feedback and off-policy evaluation tables, version 5 ab_rows' test and
 * family and the table ab_bias, version 6 the stream's conservation
 * table), of a sweep directory's results.db
 * (results/sweepstore.c; version 2 added sweep_cells.error), of a
 * replication's results.db (results/replstore.c) and of a study's journal,
 * cells.db (results/studydir.c). */
#define RESULTS_SCHEMA_VERSION 6
#define RESULTS_SWEEP_SCHEMA_VERSION 2
#define RESULTS_REPLICATE_SCHEMA_VERSION 1
#define RESULTS_JOURNAL_SCHEMA_VERSION 1

enum schema_kind {
	SCHEMA_KIND_TABLE,       /* a table of a run's results.db */
	SCHEMA_KIND_SWEEP_TABLE, /* a table of a sweep directory's results.db */
	SCHEMA_KIND_REPLICATE_TABLE, /* a table of a replication's results.db */
	SCHEMA_KIND_JOURNAL_TABLE, /* a table of a study's journal (cells.db) */
	SCHEMA_KIND_RUN,         /* runs.name of a special run */
	SCHEMA_KIND_INFO,        /* run_info.key */
	SCHEMA_KIND_METRIC,      /* metrics.name */
	SCHEMA_KIND_TIMING,      /* timings.phase */
	SCHEMA_KIND_SERIES,      /* series_info.name */
	SCHEMA_KIND_HIST,        /* hist_summary.name */
	SCHEMA_KIND_CURVE,       /* curves.name */
	SCHEMA_KIND_AB_MODE,     /* ab_summary.mode */
	SCHEMA_KIND_COUNT
};

enum schema_use {
	SCHEMA_BYNAME,    /* a reader looks it up by this name */
	SCHEMA_LISTED,    /* shown by a reader that lists its whole table */
	SCHEMA_WRITEONLY, /* no reader in airtime: kept for users' own SQL */
};

/* X(id, name, kind, unit, use, reader or why, meaning) */
#define SCHEMA_LIST(X) \
	/* tables of a run's results.db (columns: docs/results-schema.md) */ \
	X(SCHEMA_TABLE_RUNS, "runs", TABLE, "", BYNAME, "results/results.c", \
	  "one row per run: scenario, seed, provenance, status") \
	X(SCHEMA_TABLE_RUN_INFO, "run_info", TABLE, "", BYNAME, "results/results.c", \
	  "key/value facts about a run (SCHEMA_INFO_*)") \
	X(SCHEMA_TABLE_TIMINGS, "timings", TABLE, "", BYNAME, "results/results.c", \
	  "host measurement: wall seconds per phase (SCHEMA_TIMING_*)") \
	X(SCHEMA_TABLE_METRICS, "metrics", TABLE, "", BYNAME, "results/results.c", \
	  "scalars per run and arm (SCHEMA_METRIC_*)") \
	X(SCHEMA_TABLE_SERIES_INFO, "series_info", TABLE, "", BYNAME, "results/results.c", \
	  "one row per time series (SCHEMA_SERIES_*)") \
	X(SCHEMA_TABLE_SERIES, "series", TABLE, "", BYNAME, "results/results.c", \
	  "every bucket of every series") \
	X(SCHEMA_TABLE_HIST_SUMMARY, "hist_summary", TABLE, "", BYNAME, "results/results.c", \
	  "one row per HDR histogram (SCHEMA_HIST_*): count, mean, quantiles") \
	X(SCHEMA_TABLE_HISTOGRAMS, "histograms", TABLE, "", BYNAME, "results/results.c", \
	  "the non-empty buckets of every histogram") \
	X(SCHEMA_TABLE_WORKFLOW_TRANSITIONS, "workflow_transitions", TABLE, "", WRITEONLY, \
	  "for users' SQL: which daily batch jobs retried or failed, and why", \
	  "the daily batch workflow's state changes, in order") \
	X(SCHEMA_TABLE_AB_SUMMARY, "ab_summary", TABLE, "", BYNAME, "results/results.c", \
	  "one row per mode label (SCHEMA_AB_*) and treatment arm: arm sizes, SRM, alpha") \
	X(SCHEMA_TABLE_AB_ROWS, "ab_rows", TABLE, "", BYNAME, "results/results.c", \
	  "one row per metric and treatment arm of an A/B analysis") \
	X(SCHEMA_TABLE_AB_BIAS, "ab_bias", TABLE, "", BYNAME, "results/results.c", \
	  "interference bias of [ab] mode = both: split - twin per arm and metric, interval") \
	X(SCHEMA_TABLE_SLO_ROWS, "slo_rows", TABLE, "", BYNAME, "results/results.c", \
	  "the SLO table, in order") \
	X(SCHEMA_TABLE_CURVES, "curves", TABLE, "", BYNAME, "results/results.c", \
	  "model curves, one row per point (SCHEMA_CURVE_*)") \
	X(SCHEMA_TABLE_IMPORTANCE, "importance", TABLE, "", BYNAME, "results/results.c", \
	  "forest feature importance") \
	X(SCHEMA_TABLE_VALIDITY_CHECKS, "validity_checks", TABLE, "", BYNAME, \
	  "results/checkstore.c", "simulator validity checks of airtime validate-sim") \
	X(SCHEMA_TABLE_STREAM_CONSERVATION, "stream_conservation", TABLE, "", BYNAME, \
	  "results/results.c", "where every event published to the stream ended, per world") \
	X(SCHEMA_TABLE_FEATURE_COLUMNS, "feature_columns", TABLE, "", BYNAME, \
	  "results/banditstore.c", "the names and kinds of the features BLOB columns, in order") \
	X(SCHEMA_TABLE_IMPRESSIONS, "impressions", TABLE, "", BYNAME, "results/banditstore.c", \
	  "the logged bandit feedback: one row per slot of a logged page ([logging] impressions)") \
	X(SCHEMA_TABLE_OPE_TARGET_SLOTS, "ope_target_slots", TABLE, "", BYNAME, \
	  "results/banditstore.c", "the off-policy targets' pages on the logged requests") \
	X(SCHEMA_TABLE_USERS, "users", TABLE, "", BYNAME, "results/banditstore.c", \
	  "per-user metrics per period ([logging] impressions)") \
	X(SCHEMA_TABLE_OPE_ESTIMATES, "ope_estimates", TABLE, "", BYNAME, "results/opestore.c", \
	  "off-policy estimates per target, reward and estimator, against the truth") \
	X(SCHEMA_TABLE_OPE_REPLICATIONS, "ope_replications", TABLE, "", BYNAME, \
	  "results/opestore.c", "each replication's estimate and truth (airtime ope --replications)") \
	X(SCHEMA_TABLE_OPE_SUMMARY, "ope_summary", TABLE, "", BYNAME, "results/opestore.c", \
	  "bias, RMSE and interval coverage over the replications") \
	/* tables of a sweep directory's results.db */ \
	X(SCHEMA_SWEEP_AXES, "sweep_axes", SWEEP_TABLE, "", WRITEONLY, \
	  "for users' SQL: sweep.csv and the sweep plot show the same grid", \
	  "one row per axis: its scenario key and values") \
	X(SCHEMA_SWEEP_CELLS, "sweep_cells", SWEEP_TABLE, "", WRITEONLY, \
	  "for users' SQL: sweep.csv holds the same cells", \
	  "one row per cell: overrides, run directory, cost, p99, availability, verdicts") \
	X(SCHEMA_SWEEP_VALUES, "sweep_values", SWEEP_TABLE, "", WRITEONLY, \
	  "for users' SQL: joins cells to axis values", "the value of each axis in each cell") \
	/* tables of a replication's results.db (airtime replicate) */ \
	X(SCHEMA_REPL_STUDY, "replicate_study", REPLICATE_TABLE, "", BYNAME, \
	  "results/replstore.c", "one row: scenario, seeds, arms, A/A, the truth used") \
	X(SCHEMA_REPL_CELLS, "replicate_cells", REPLICATE_TABLE, "", BYNAME, \
	  "results/replstore.c", "one row per seed: run directory, done or failed and why") \
	X(SCHEMA_REPL_SEEDS, "replicate_seeds", REPLICATE_TABLE, "", BYNAME, \
	  "results/replstore.c", "one row per seed, A/B mode and metric: lift, interval, p") \
	X(SCHEMA_REPL_SUMMARY, "replicate_summary", REPLICATE_TABLE, "", BYNAME, \
	  "results/replstore.c", \
	  "one row per A/B mode and metric: mean lift over seeds, t interval, shares") \
	/* tables of a study's journal, cells.db (sweep and replicate) */ \
	X(SCHEMA_JOURNAL_CELLS, "study_cells", JOURNAL_TABLE, "", BYNAME, "results/studydir.c", \
	  "one row per finished cell: done or failed, the error, its packed summary") \
	X(SCHEMA_JOURNAL_ATTEMPTS, "study_attempts", JOURNAL_TABLE, "", WRITEONLY, \
	  "for users' SQL: where and how long each cell ran (host measurement)", \
	  "one row per cell run: worker, host, pid, seconds") \
	/* special runs */ \
	X(SCHEMA_RUN_LOADTEST, "loadtest", RUN, "", BYNAME, "render/report.c", \
	  "a load test (airtime loadtest): every row of it is a host measurement") \
	/* run facts of a simulated world (eval/worldrun) */ \
	X(SCHEMA_INFO_TRAINING_FROM, "training.from_us", INFO, "", LISTED, "render/report.c", \
	  "simulated time of the first training impression (us)") \
	X(SCHEMA_INFO_TRAINING_TO, "training.to_us", INFO, "", LISTED, "render/report.c", \
	  "simulated time of the last training impression (us)") \
	X(SCHEMA_INFO_TRAINING_ROWS, "training.rows", INFO, "", LISTED, "render/report.c", \
	  "impressions in the last training set") \
	X(SCHEMA_INFO_EXPERIMENT_START, "experiment.start_us", INFO, "", LISTED, \
	  "render/report.c", "end of the warm-up: simulated time the experiment began (us)") \
	X(SCHEMA_INFO_SPIKE_START, "spike.*.start_us", INFO, "", BYNAME, "render/report.c", \
	  "simulated start of spike * (us): dashed lines on the time plots") \
	X(SCHEMA_INFO_WORLD, "world", INFO, "", LISTED, "render/report.c", \
	  "which world of the run: split, control, treatment or replay") \
	X(SCHEMA_INFO_TRACE_AFTER_HORIZON, "trace.events_after_horizon", INFO, "", LISTED, \
	  "render/report.c", "replayed trace: events left out for falling after the horizon") \
	X(SCHEMA_INFO_LOGGING_POLICY, "logging.policy", INFO, "", BYNAME, \
	  "results/banditstore.c", "the logging policy: deterministic, plackett-luce or epsilon") \
	X(SCHEMA_INFO_LOGGING_TEMPERATURE, "logging.temperature", INFO, "", BYNAME, \
	  "results/banditstore.c", "plackett-luce temperature (standard deviations of the scores)") \
	X(SCHEMA_INFO_LOGGING_EPSILON, "logging.epsilon", INFO, "", BYNAME, \
	  "results/banditstore.c", "epsilon-greedy swap probability") \
	X(SCHEMA_INFO_LOGGING_SAMPLES, "logging.marginal_samples", INFO, "", BYNAME, \
	  "results/banditstore.c", "Monte Carlo prefixes per slot of the plackett-luce marginals") \
	X(SCHEMA_INFO_OPE_TARGET, "ope.target.*", INFO, "", BYNAME, "results/banditstore.c", \
	  "off-policy target number * (0-based): the ranker's name") \
	X(SCHEMA_INFO_TRACE_IDS, "trace.ids", INFO, "", LISTED, "render/report.c", \
	  "replayed trace: how its ids were mapped (dense, or mapped from strings or sparse ids)") \
	/* run facts of a load test (serve/loadrun) */ \
	X(SCHEMA_INFO_LT_SHAPE, "loadtest.shape", INFO, "", BYNAME, "render/report.c", \
	  "arrival shape: constant or scenario") \
	X(SCHEMA_INFO_LT_SCORER, "loadtest.scorer", INFO, "", BYNAME, "render/report.c", \
	  "the scorer served") \
	X(SCHEMA_INFO_LT_DURATION, "loadtest.duration_s", INFO, "", BYNAME, "render/report.c", \
	  "wall seconds of arrivals") \
	X(SCHEMA_INFO_LT_COMPRESS, "loadtest.compress", INFO, "", BYNAME, "render/report.c", \
	  "scenario shape: simulated seconds per wall second (--speed)") \
	X(SCHEMA_INFO_LT_SERVING_TIME, "loadtest.serving_time_us", INFO, "", WRITEONLY, \
	  "for users' SQL: which catalog snapshot was served", \
	  "simulated time the requests were served as of (us)") \
	X(SCHEMA_INFO_LT_TARGET, "loadtest.target", INFO, "", BYNAME, "render/report.c", \
	  "HTTP target: the URL template (absent: the in-process serving path)") \
	X(SCHEMA_INFO_LT_METHOD, "loadtest.method", INFO, "", BYNAME, "render/report.c", \
	  "HTTP target: the request method") \
	X(SCHEMA_INFO_LT_FROM, "loadtest.from_us", INFO, "", BYNAME, "render/report.c", \
	  "scenario shape: simulated start of the window (spikes are marked from it)") \
	X(SCHEMA_INFO_LT_SERIES_TIME, "loadtest.series_time", INFO, "", WRITEONLY, \
	  "for users' SQL: says in words what the series' time axis is", \
	  "the time axis of the load test's series (wall seconds since its start)") \
	/* counters of a simulated world (eval/worldrun), shown as a table */ \
	X(SCHEMA_METRIC_EVENTS, "events", METRIC, "events", LISTED, "render/report.c", \
	  "backend events emitted") \
	X(SCHEMA_METRIC_SESSIONS, "sessions", METRIC, "sessions", BYNAME, "eval/validity.c", \
	  "app sessions started (validate-sim replays must match it)") \
	X(SCHEMA_METRIC_SESSIONS_SPIKE, "sessions.spike", METRIC, "sessions", LISTED, \
	  "render/report.c", "sessions drawn by promotional spikes") \
	X(SCHEMA_METRIC_SESSIONS_RETURNS, "sessions.returns", METRIC, "sessions", LISTED, \
	  "render/report.c", "sessions a finished session brought back ([retention] return_rate)") \
	X(SCHEMA_METRIC_SESSIONS_NOTIFY, "sessions.notifications", METRIC, "sessions", LISTED, \
	  "render/report.c", "sessions opened by a \"creator is live\" notification ([retention] notify_sessions)") \
	X(SCHEMA_METRIC_SESSIONS_NEW_USERS, "sessions.new_users", METRIC, "sessions", LISTED, \
	  "render/report.c", "sessions of users who arrived during the run (cold start)") \
	X(SCHEMA_METRIC_PAGES_NEW_USERS, "pages.new_users", METRIC, "pages", LISTED, \
	  "render/report.c", "home pages served to new users") \
	X(SCHEMA_METRIC_REQUESTS, "requests", METRIC, "requests", LISTED, "render/report.c", \
	  "home-page requests") \
	X(SCHEMA_METRIC_RANK_CANDIDATES, "rank.candidates_per_request", METRIC, "shows", \
	  LISTED, "render/report.c", "mean candidates ranked per request") \
	X(SCHEMA_METRIC_RANK_SLOTS, "rank.slots_per_page", METRIC, "shows", LISTED, \
	  "render/report.c", "mean shows per home page") \
	X(SCHEMA_METRIC_RANK_FOREST_ROWS, "rank.forest_rows_scored", METRIC, "rows", LISTED, \
	  "render/report.c", "feature rows scored by the forest") \
	X(SCHEMA_METRIC_EXPLORED_PAGES, "explored_pages", METRIC, "pages", LISTED, \
	  "render/report.c", "pages shuffled for exploration") \
	X(SCHEMA_METRIC_STREAM_PUBLISHED, "stream.published", METRIC, "events", LISTED, \
	  "render/report.c", "events published to the bus") \
	X(SCHEMA_METRIC_STREAM_FILTERED, "stream.filtered", METRIC, "events", LISTED, \
	  "render/report.c", "events the PIT subscription filtered out") \
	X(SCHEMA_METRIC_STREAM_REJECTED, "stream.rejected", METRIC, "events", LISTED, \
	  "render/report.c", "events the queue refused") \
	X(SCHEMA_METRIC_STREAM_APPLIED, "stream.applied", METRIC, "events", LISTED, \
	  "render/report.c", "events applied to the PIT store") \
	X(SCHEMA_METRIC_STREAM_DUPLICATES, "stream.duplicates", METRIC, "messages", LISTED, \
	  "render/report.c", "redelivered messages the PIT store ignored") \
	X(SCHEMA_METRIC_STREAM_DEAD, "stream.dead_lettered", METRIC, "events", LISTED, \
	  "render/report.c", "events dead-lettered without being applied") \
	X(SCHEMA_METRIC_STREAM_EXPIRED, "stream.expired", METRIC, "events", LISTED, \
	  "render/report.c", "events expired from the queue without being applied") \
	X(SCHEMA_METRIC_STREAM_UNSETTLED, "stream.unsettled", METRIC, "events", LISTED, \
	  "render/report.c", "events still queued or in flight at the end") \
	X(SCHEMA_METRIC_STREAM_BATCHES, "stream.batches", METRIC, "batches", LISTED, \
	  "render/report.c", "worker batches run") \
	X(SCHEMA_METRIC_STREAM_DEDUP_EVICTED, "stream.dedup_evicted_live", METRIC, "ids", \
	  LISTED, "render/report.c", "event ids evicted from the dedup window while live") \
	X(SCHEMA_METRIC_STREAM_BATCH_FAILURES, "stream.batch_failures", METRIC, "batches", \
	  LISTED, "render/report.c", "worker batches that failed") \
	X(SCHEMA_METRIC_STREAM_STORE_RETRIES, "stream.store_retries", METRIC, "writes", LISTED, \
	  "render/report.c", "online-store writes retried") \
	X(SCHEMA_METRIC_STREAM_COLD_STARTS, "stream.cold_starts", METRIC, "batches", LISTED, \
	  "render/report.c", "worker batches that started a new execution environment ([stream] cold_start)") \
	X(SCHEMA_METRIC_STREAM_WARM_STARTS, "stream.warm_starts", METRIC, "batches", LISTED, \
	  "render/report.c", "worker batches run in an idle warm environment") \
	X(SCHEMA_METRIC_STREAM_THROTTLES, "stream.throttles", METRIC, "episodes", LISTED, \
	  "render/report.c", "concurrency-limit throttles: episodes with messages visible and every worker slot under the limit busy") \
	X(SCHEMA_METRIC_STREAM_THROTTLED, "stream.throttled_time", METRIC, "s", LISTED, \
	  "render/report.c", "time spent throttled at the workers' concurrency limit") \
	X(SCHEMA_METRIC_ENDPOINT_SUBMITTED, "endpoint.submitted", METRIC, "requests", LISTED, \
	  "render/report.c", "requests submitted to the endpoint model") \
	X(SCHEMA_METRIC_ENDPOINT_OK, "endpoint.ok", METRIC, "requests", LISTED, \
	  "render/report.c", "requests answered in time") \
	X(SCHEMA_METRIC_ENDPOINT_TIMEOUT, "endpoint.timeout", METRIC, "requests", LISTED, \
	  "render/report.c", "requests timed out") \
	X(SCHEMA_METRIC_ENDPOINT_REJECTED, "endpoint.rejected", METRIC, "requests", LISTED, \
	  "render/report.c", "requests rejected by a full instance queue") \
	X(SCHEMA_METRIC_ENDPOINT_NO_CAPACITY, "endpoint.no_capacity", METRIC, "requests", \
	  LISTED, "render/report.c", "requests that found no serving instance") \
	X(SCHEMA_METRIC_ENDPOINT_AVAILABILITY, "endpoint.availability", METRIC, "", BYNAME, \
	  "eval/sweep.c", "share of requests answered in time") \
	X(SCHEMA_METRIC_ENDPOINT_SCALE_OUTS, "endpoint.scale_outs", METRIC, "", LISTED, \
	  "render/report.c", "autoscaling scale-outs") \
	X(SCHEMA_METRIC_ENDPOINT_SCALE_INS, "endpoint.scale_ins", METRIC, "", LISTED, \
	  "render/report.c", "autoscaling scale-ins") \
	X(SCHEMA_METRIC_ENDPOINT_PEAK_INSTANCES, "endpoint.peak_instances", METRIC, \
	  "instances", LISTED, "render/report.c", "most instances at once") \
	X(SCHEMA_METRIC_ENDPOINT_INSTANCE_HOURS, "endpoint.instance_hours", METRIC, \
	  "instance-hours", BYNAME, "eval/sweep.c", "serving cost: instance-hours") \
	X(SCHEMA_METRIC_RANK_FALLBACKS, "rank.fallbacks", METRIC, "requests", LISTED, \
	  "render/report.c", "requests served by a fallback scorer") \
	X(SCHEMA_METRIC_BATCH_ACCEPTED, "batch.accepted", METRIC, "events", LISTED, \
	  "render/report.c", "events the firehose accepted") \
	X(SCHEMA_METRIC_HISTORY_SESSIONS, "history.sessions", METRIC, "sessions", LISTED, \
	  "render/report.c", "sessions of the history phase before time 0 ([run] history_days)") \
	X(SCHEMA_METRIC_HISTORY_EVENTS, "history.events", METRIC, "events", LISTED, \
	  "render/report.c", "history events written straight into the lake (not accepted)") \
	X(SCHEMA_METRIC_HISTORY_FOLLOWS, "history.follows", METRIC, "pairs", LISTED, \
	  "render/report.c", "(user, creator) follow or notification settings the history left") \
	X(SCHEMA_METRIC_BATCH_LAKE_EVENTS, "batch.lake_events", METRIC, "events", LISTED, \
	  "render/report.c", "events written to the lake") \
	X(SCHEMA_METRIC_BATCH_PARTITIONS, "batch.partitions", METRIC, "files", LISTED, \
	  "render/report.c", "lake partition files") \
	X(SCHEMA_METRIC_BATCH_SUCCESSES, "batch.successes", METRIC, "days", LISTED, \
	  "render/report.c", "daily batch jobs that succeeded") \
	X(SCHEMA_METRIC_BATCH_ALARMS, "batch.alarms", METRIC, "days", LISTED, \
	  "render/report.c", "daily batch jobs that raised an alarm") \
	X(SCHEMA_METRIC_BATCH_FRESHNESS_MISSING, "batch.freshness_missing", METRIC, "requests", \
	  LISTED, "render/report.c", "requests ranked before any batch features existed") \
	X(SCHEMA_METRIC_TRAINING_ROWS, "training.rows", METRIC, "impressions", LISTED, \
	  "render/report.c", "impressions in the last training set") \
	X(SCHEMA_METRIC_TRAINING_POSITIVES, "training.positives", METRIC, "tune-ins", LISTED, \
	  "render/report.c", "positive labels in the last training set") \
	X(SCHEMA_METRIC_TRAINING_DROPPED, "training.dropped", METRIC, "impressions", LISTED, \
	  "render/report.c", "impressions not logged: the log was full") \
	X(SCHEMA_METRIC_TRAINING_RUNS, "training.runs", METRIC, "", LISTED, "render/report.c", \
	  "trainings (the first, then each retraining)") \
	X(SCHEMA_METRIC_MODEL_OOB_AUC, "model.oob_auc", METRIC, "", LISTED, "render/report.c", \
	  "out-of-bag AUC of the last training") \
	X(SCHEMA_METRIC_SERVING_REQUESTS, "serving.requests", METRIC, "requests", LISTED, \
	  "render/report.c", "replayed trace, per arm: requests its ranker served") \
	X(SCHEMA_METRIC_SERVING_CANDIDATES, "serving.candidates_per_request", METRIC, "shows", \
	  LISTED, "render/report.c", "replayed trace, per arm: mean candidates scored per request") \
	X(SCHEMA_METRIC_SERVING_NODES, "serving.tree_nodes_per_request", METRIC, "nodes", LISTED, \
	  "render/report.c", "replayed trace, per arm: mean tree nodes visited per request") \
	X(SCHEMA_METRIC_SERVING_SCORER_US, "serving.scorer_us_per_request", METRIC, "us", LISTED, \
	  "render/report.c", "replayed trace, per arm: mean simulated scorer service time charged per request") \
	X(SCHEMA_METRIC_SERVING_FALLBACKS, "serving.fallbacks", METRIC, "requests", LISTED, \
	  "render/report.c", "replayed trace, per arm: requests served by the fallback scorer") \
	X(SCHEMA_METRIC_LOGGING_ROUNDS, "logging.rounds", METRIC, "pages", LISTED, \
	  "render/report.c", "pages logged in the impressions table") \
	X(SCHEMA_METRIC_LOGGING_IMPRESSIONS, "logging.impressions", METRIC, "impressions", \
	  LISTED, "render/report.c", "slots logged in the impressions table") \
	X(SCHEMA_METRIC_LOGGING_DROPPED, "logging.dropped", METRIC, "impressions", LISTED, \
	  "render/report.c", "slots not logged: [logging] max_rows was reached") \
	X(SCHEMA_METRIC_TRAINING_WALL, "training.wall_seconds", METRIC, "s", LISTED, \
	  "render/report.c", "host measurement: wall seconds spent training") \
	X(SCHEMA_METRIC_MODEL_OOB_LOGLOSS, "model.oob_logloss", METRIC, "", LISTED, \
	  "render/report.c", "out-of-bag log loss of the last training") \
	X(SCHEMA_METRIC_SKEW_CELLS, "skew.*.cells", METRIC, "cells", LISTED, "render/report.c", \
	  "training/serving skew of feature group *: cells compared") \
	X(SCHEMA_METRIC_SKEW_MISMATCH, "skew.*.mismatch_share", METRIC, "", LISTED, \
	  "render/report.c", "share of those cells where serving differed from as-known-at") \
	X(SCHEMA_METRIC_SKEW_FOUND, "skew.*.found_share", METRIC, "", LISTED, \
	  "render/report.c", "share of those cells with a value in the offline store") \
	/* exposure of a simulated world's served pages, per arm (stats/exposure.h; \
	 * experiment period) */ \
	X(SCHEMA_METRIC_EXPOSURE_TOPIC_COVERAGE, "exposure.topic_coverage", METRIC, "", LISTED, \
	  "render/report.c", "topics with at least one served slot / topics") \
	X(SCHEMA_METRIC_EXPOSURE_CREATOR_COVERAGE, "exposure.creator_coverage", METRIC, "", \
	  LISTED, "render/report.c", "creators with at least one served slot / creators") \
	X(SCHEMA_METRIC_EXPOSURE_CREATOR_GINI, "exposure.creator_gini", METRIC, "", LISTED, \
	  "render/report.c", "Gini of served slots across all creators (0 equal)") \
	X(SCHEMA_METRIC_EXPOSURE_HIGH_QUALITY, "exposure.high_quality_share", METRIC, "", \
	  LISTED, "render/report.c", \
	  "served slots of creators above the 80th percentile of quality / served slots") \
	X(SCHEMA_METRIC_EXPOSURE_DIVERSITY, "exposure.intra_list_diversity", METRIC, "", \
	  LISTED, "render/report.c", "share of a page's slot pairs with different topics " \
	  "(pair-weighted over pages)") \
	X(SCHEMA_METRIC_EXPOSURE_SLOTS, "exposure.served_slots", METRIC, "slots", LISTED, \
	  "render/report.c", "home-page slots served") \
	/* host metrics of a load test (serve/loadrun) */ \
	X(SCHEMA_METRIC_LT_REQUESTS, "loadtest.requests", METRIC, "requests", BYNAME, \
	  "render/report.c", "requests scheduled") \
	X(SCHEMA_METRIC_LT_COMPLETED, "loadtest.completed", METRIC, "requests", BYNAME, \
	  "render/report.c", "requests answered") \
	X(SCHEMA_METRIC_LT_ERRORS, "loadtest.errors", METRIC, "requests", BYNAME, \
	  "render/report.c", "requests whose handler failed") \
	X(SCHEMA_METRIC_LT_DROPPED, "loadtest.dropped", METRIC, "requests", BYNAME, \
	  "render/report.c", "requests refused: the wait queue was full") \
	X(SCHEMA_METRIC_LT_LATE, "loadtest.late", METRIC, "requests", BYNAME, \
	  "render/report.c", "requests started later than the late threshold") \
	X(SCHEMA_METRIC_LT_RATE_INTENDED, "loadtest.rate_intended", METRIC, "requests/s", \
	  BYNAME, "render/report.c", "mean intended arrival rate") \
	X(SCHEMA_METRIC_LT_RATE_ACHIEVED, "loadtest.rate_achieved", METRIC, "requests/s", \
	  BYNAME, "render/report.c", "mean completion rate") \
	X(SCHEMA_METRIC_LT_RATE_PEAK, "loadtest.rate_peak", METRIC, "requests/s", BYNAME, \
	  "render/report.c", "highest intended rate in any second") \
	X(SCHEMA_METRIC_LT_THREADS, "loadtest.threads", METRIC, "", BYNAME, \
	  "render/report.c", "worker threads") \
	X(SCHEMA_METRIC_LT_CANDIDATES, "loadtest.candidates", METRIC, "shows", BYNAME, \
	  "render/report.c", "candidates per request") \
	X(SCHEMA_METRIC_LT_TREES, "loadtest.trees", METRIC, "trees", BYNAME, \
	  "render/report.c", "trees of the served forest") \
	X(SCHEMA_METRIC_LT_LATENCY_P99, "loadtest.latency_p99", METRIC, "us", BYNAME, \
	  "render/report.c", "p99 latency from intended start") \
	/* host metrics of a load test of an HTTP target (--target) */ \
	X(SCHEMA_METRIC_LT_ERR_CONNECT, "loadtest.errors_connect", METRIC, "requests", BYNAME, \
	  "render/report.c", "HTTP target: the connection could not be made") \
	X(SCHEMA_METRIC_LT_ERR_TIMEOUT, "loadtest.errors_timeout", METRIC, "requests", BYNAME, \
	  "render/report.c", "HTTP target: no complete answer within the timeout") \
	X(SCHEMA_METRIC_LT_ERR_4XX, "loadtest.errors_http_4xx", METRIC, "requests", BYNAME, \
	  "render/report.c", "HTTP target: answered with a 4xx status") \
	X(SCHEMA_METRIC_LT_ERR_5XX, "loadtest.errors_http_5xx", METRIC, "requests", BYNAME, \
	  "render/report.c", "HTTP target: answered with a 5xx status") \
	X(SCHEMA_METRIC_LT_ERR_BODY, "loadtest.errors_bad_body", METRIC, "requests", BYNAME, \
	  "render/report.c", "HTTP target: 2xx whose body failed the --check") \
	X(SCHEMA_METRIC_LT_ERR_OTHER, "loadtest.errors_other", METRIC, "requests", BYNAME, \
	  "render/report.c", "HTTP target: other transport errors and statuses (1xx, 3xx)") \
	X(SCHEMA_METRIC_LT_CONNECTIONS, "loadtest.connections", METRIC, "connections", BYNAME, \
	  "render/report.c", "HTTP target: the connection-pool bound (--connections)") \
	X(SCHEMA_METRIC_LT_OPENED, "loadtest.connections_opened", METRIC, "connections", \
	  BYNAME, "render/report.c", "HTTP target: connections opened (the rest were reused)") \
	X(SCHEMA_METRIC_LT_QUEUED, "loadtest.queued", METRIC, "requests", BYNAME, \
	  "render/report.c", "HTTP target: requests that waited for a free connection") \
	/* host metrics of [stream] store = redis (eval/worldrun) */ \
	X(SCHEMA_METRIC_REDIS_READS, "redis.reads", METRIC, "reads", BYNAME, \
	  "render/report.c", "MGET round trips (one per page's shows, one per its creators)") \
	X(SCHEMA_METRIC_REDIS_READ_KEYS, "redis.read_keys", METRIC, "keys", BYNAME, \
	  "render/report.c", "keys read") \
	X(SCHEMA_METRIC_REDIS_WRITES, "redis.writes", METRIC, "writes", BYNAME, \
	  "render/report.c", "feature writes sent (SETRANGE)") \
	X(SCHEMA_METRIC_REDIS_FLUSHES, "redis.flushes", METRIC, "pipelines", BYNAME, \
	  "render/report.c", "pipelines sent (one per store commit with writes)") \
	X(SCHEMA_METRIC_REDIS_CELLS_COMPARED, "redis.cells_compared", METRIC, "cells", BYNAME, \
	  "render/report.c", "feature values read back and compared with the embedded store") \
	X(SCHEMA_METRIC_REDIS_MISMATCHES, "redis.mismatches", METRIC, "cells", BYNAME, \
	  "render/report.c", "of those, values that differed (0, or the run failed)") \
	/* host timings of a run (eval/run) */ \
	X(SCHEMA_TIMING_SIMULATION, "simulation", TIMING, "s", LISTED, "render/report.c", \
	  "building and simulating one world") \
	X(SCHEMA_TIMING_HISTORY, "history", TIMING, "s", LISTED, "render/report.c", \
	  "the history phase of one world (part of its simulation time)") \
	X(SCHEMA_TIMING_REPORT, "report", TIMING, "s", LISTED, "render/report.c", \
	  "writing report.md, report.html and the plots") \
	/* series of a simulated world, per simulated minute unless noted */ \
	X(SCHEMA_SERIES_SESSIONS, "sessions", SERIES, "sessions", BYNAME, "render/report.c", \
	  "count: sessions started") \
	X(SCHEMA_SERIES_EXPOSURES, "exposures_*", SERIES, "requests", BYNAME, "render/report.c", \
	  "count: home pages served to the users of arm * (its label: control, treatment, or " \
	  "a ranker's name with more than two arms)") \
	X(SCHEMA_SERIES_ENGAGEMENT, "engagement_daily_*", SERIES, "actions", BYNAME, \
	  "render/report.c", "count per simulated day: engagement actions of arm *") \
	X(SCHEMA_SERIES_FRESHNESS, "freshness_age_us", SERIES, "us", BYNAME, "render/report.c", \
	  "record, with histograms: age of the batch features a page was ranked with") \
	X(SCHEMA_SERIES_REFLECTION, "reflection_us", SERIES, "us", BYNAME, "render/report.c", \
	  "record, with histograms: event emitted to value readable") \
	X(SCHEMA_SERIES_QUEUE_DEPTH, "queue_depth", SERIES, "messages", BYNAME, \
	  "render/report.c", "gauge: visible messages in the PIT queue") \
	X(SCHEMA_SERIES_QUEUE_INFLIGHT, "queue_inflight", SERIES, "messages", BYNAME, \
	  "render/report.c", "gauge: messages received, not deleted") \
	X(SCHEMA_SERIES_QUEUE_OLDEST, "queue_oldest_age_us", SERIES, "us", BYNAME, \
	  "render/report.c", "gauge: age of the oldest queued message") \
	X(SCHEMA_SERIES_WORKERS, "worker_concurrency", SERIES, "batches", BYNAME, \
	  "render/report.c", "gauge: busy stream workers") \
	X(SCHEMA_SERIES_LATENCY, "endpoint_latency_us", SERIES, "us", BYNAME, \
	  "render/report.c", "record, with histograms: end-to-end endpoint latency") \
	X(SCHEMA_SERIES_REQUESTS, "endpoint_requests", SERIES, "requests", BYNAME, \
	  "render/report.c", "count: requests submitted to the endpoint") \
	X(SCHEMA_SERIES_ERRORS, "endpoint_errors", SERIES, "requests", BYNAME, \
	  "render/report.c", "count: failed requests (timeouts, rejections)") \
	X(SCHEMA_SERIES_INSTANCES, "endpoint_instances", SERIES, "instances", BYNAME, \
	  "render/report.c", "gauge: serving instances") \
	/* series of a load test, per wall second since its start (host) */ \
	X(SCHEMA_SERIES_LT_INTENDED, "loadtest_intended", SERIES, "requests", BYNAME, \
	  "render/report.c", "count: requests due") \
	X(SCHEMA_SERIES_LT_ACHIEVED, "loadtest_achieved", SERIES, "requests", BYNAME, \
	  "render/report.c", "count: requests completed") \
	X(SCHEMA_SERIES_LT_ERRORS, "loadtest_errors", SERIES, "requests", BYNAME, \
	  "render/report.c", "count: requests that failed (any kind) or were dropped") \
	X(SCHEMA_SERIES_LT_LATENCY, "loadtest_latency_us", SERIES, "us", BYNAME, \
	  "render/report.c", "record, with histograms: latency from intended start") \
	/* histograms of a simulated world */ \
	X(SCHEMA_HIST_FRESHNESS, "freshness_age_us", HIST, "us", WRITEONLY, \
	  "for users' SQL: the report plots the per-minute series instead", \
	  "age of the batch features a page was ranked with, whole run") \
	X(SCHEMA_HIST_LATENCY, "endpoint_latency_us", HIST, "us", BYNAME, "eval/sweep.c", \
	  "end-to-end endpoint latency, whole run") \
	X(SCHEMA_HIST_REFLECTION, "reflection_us", HIST, "us", WRITEONLY, \
	  "for users' SQL: the SLO table holds its quantiles", \
	  "reflection time, whole run") \
	X(SCHEMA_HIST_HOST_ASSEMBLY, "host_assembly_ns", HIST, "ns", WRITEONLY, \
	  "for users' SQL: the SLO table holds its p99 (host measurement)", \
	  "host measurement: feature assembly time per request") \
	X(SCHEMA_HIST_HOST_SCORING, "host_scoring_ns", HIST, "ns", WRITEONLY, \
	  "for users' SQL: the SLO table holds its p99 (host measurement)", \
	  "host measurement: scoring time per request") \
	X(SCHEMA_HIST_HOST_RANKER, "host_ranker_*_ns", HIST, "ns", BYNAME, "render/report.c", \
	  "host measurement: time per page in the scenario's ranker * (plugin call, or the " \
	  "process's whole round trip)") \
	X(SCHEMA_HIST_HOST_FIT, "host_fit_*_ns", HIST, "ns", BYNAME, "render/report.c", \
	  "host measurement: time per fit of the scenario's ranker *") \
	/* histograms of a load test (host) */ \
	X(SCHEMA_HIST_LT_LATENCY, "loadtest_latency_ns", HIST, "ns", BYNAME, "render/report.c", \
	  "latency from each request's intended start") \
	X(SCHEMA_HIST_LT_SERVICE, "loadtest_service_ns", HIST, "ns", BYNAME, "render/report.c", \
	  "service time") \
	X(SCHEMA_HIST_LT_DELAY, "loadtest_start_delay_ns", HIST, "ns", BYNAME, \
	  "render/report.c", "start delay behind the intended time") \
	X(SCHEMA_HIST_LT_READ, "loadtest_feature_read_ns", HIST, "ns", BYNAME, \
	  "render/report.c", "feature assembly (the ranker's host assembly time)") \
	X(SCHEMA_HIST_LT_SCORING, "loadtest_scoring_ns", HIST, "ns", BYNAME, "render/report.c", \
	  "scoring time") \
	X(SCHEMA_HIST_HOST_REDIS_READ, "host_redis_read_ns", HIST, "ns", BYNAME, \
	  "render/report.c", "host measurement, store = redis: one MGET round trip") \
	X(SCHEMA_HIST_HOST_REDIS_WRITE, "host_redis_write_ns", HIST, "ns", BYNAME, \
	  "render/report.c", "host measurement, store = redis: one pipeline of writes") \
	/* model curves */ \
	X(SCHEMA_CURVE_ROC, "roc", CURVE, "", BYNAME, "render/report.c", \
	  "x false-positive rate, y true-positive rate (out-of-bag)") \
	X(SCHEMA_CURVE_CALIBRATION, "calibration", CURVE, "", BYNAME, "render/report.c", \
	  "x mean prediction of a bin, y observed rate, n samples") \
	/* A/B mode labels ([ab] mode = both stores both) */ \
	X(SCHEMA_AB_SPLIT, "split", AB_MODE, "", BYNAME, "render/report.c", \
	  "users split between arms by salted hash, in one world") \
	X(SCHEMA_AB_TWIN, "twin", AB_MODE, "", BYNAME, "render/report.c", \
	  "one world per arm, everyone on that arm's ranker, users paired with the control world")

/* SCHEMA_NONE (0) is no name: a terminator for tables of ids. */
enum schema_id {
	SCHEMA_NONE,
#define SCHEMA_ENUM_ROW(id, ...) id,
	SCHEMA_LIST(SCHEMA_ENUM_ROW)
#undef SCHEMA_ENUM_ROW
	SCHEMA_END
};

/* The first real id: rows are SCHEMA_FIRST .. SCHEMA_END - 1. */
#define SCHEMA_FIRST (SCHEMA_NONE + 1)

struct schema_row {
	const char *ident;         /* "SCHEMA_SERIES_SESSIONS" */
	const char *name;          /* "sessions" */
	enum schema_kind kind;
	const char *unit;
	enum schema_use use;
	const char *reader;        /* a file, or why it is written only */
	const char *meaning;
};

/* Indexed by enum schema_id; [SCHEMA_NONE] is an empty row. */
extern const struct schema_row schema_rows[SCHEMA_END];

/* The stored text and unit of a row (id must be a real row). */
const char *schema_name(enum schema_id id);
const char *schema_unit(enum schema_id id);
/* Does the name have a '*' part chosen at run time? */
bool schema_is_pattern(enum schema_id id);
/* A pattern's name with its '*' replaced by `part`, in a new string
 * (caller frees); a plain name is copied as is. */
char *schema_key(enum schema_id id, const char *part);
/* Does `name` match row id (a '*' matches one or more characters)?  When
 * it does and part is not NULL, the characters the '*' matched are copied
 * into part (cap bytes, truncated; "" for a plain name). */
bool schema_match(enum schema_id id, const char *name, char *part, size_t cap);
/* The row a stored name of `kind` belongs to, or SCHEMA_NONE when the list
 * has none (patterns match too). */
enum schema_id schema_find(enum schema_kind kind, const char *name);
/* "table", "sweep table", "run", "info", "metric", ... */
const char *schema_kind_name(enum schema_kind kind);

#endif
