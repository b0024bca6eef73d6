/*
 * results.db, schema version 5 (PRAGMA user_version = RESULTS_SCHEMA_VERSION,
 * results/schema.h; version 2 added validity_checks, version 3 the arm of
 * ab_summary and ab_rows, version 4 the logged bandit feedback and
 * off-policy evaluation, version 5 ab_rows' test, in_family and CUPED
 * relative lift, kind 'aggregate', and ab_bias).
 * The same text, with example queries, is docs/results-schema.md; keep
 * them together.  A change of schema is a new entry in schema_steps[]
 * (a migration from the previous version), never an edit of an old one.
 * The names stored in these tables (series, metrics, info keys, ...) are
 * the rows of results/schema.h.
 *
 *   runs                  one row per run (a file may hold several: twin worlds)
 *     run_id INTEGER PK   referenced by every other table
 *     run_key TEXT        the run directory's id ('' when none)
 *     name TEXT           scenario name
 *     scenario_text TEXT  the exact scenario file
 *     overrides TEXT      --set lines, one per line
 *     seed INTEGER        master seed (a uint64 stored as its int64 bit pattern)
 *     git_rev, version    build provenance
 *     host, started_utc   host measurement: machine name, ISO-8601 UTC start
 *     wall_seconds REAL   host measurement: NULL while running
 *     status TEXT         'running' | 'ok' | 'failed'
 *   run_info (run_id, key, value)               free key/value facts; PK (run_id, key)
 *   timings (seq, run_id, phase, wall_seconds)  host measurements, in recording order
 *   metrics (seq, run_id, name, arm, value, unit, kind)
 *                         scalars; arm 'all' when not per arm; value NULL when
 *                         undefined; kind 'sim' (deterministic) or 'host'
 *                         (measured on this machine); UNIQUE (run_id, name, arm)
 *   series_info (seq, run_id, name, start_us, width_us, buckets, unit, has_hist)
 *   series (run_id, name, bucket, bucket_start_us, width_us, count, sum, min, max,
 *           last, p50, p90, p99)
 *                         every bucket of a per-interval series (common/series.h),
 *                         times in simulated microseconds; min/max/last as
 *                         series.h defines them (0 in an empty bucket; gauges
 *                         set them without counting); p* NULL without a
 *                         histogram or for a bucket with count 0;
 *                         PK (run_id, name, bucket)
 *   hist_summary (seq, run_id, name, unit, count, overflow, mean, min, p50, p90,
 *                 p95, p99, p999, max, highest, digits)
 *   histograms (run_id, name, lo, hi, count)
 *                         non-empty buckets of an HDR histogram (common/hist.h):
 *                         count values fell in [lo, hi]; PK (run_id, name, lo)
 *   workflow_transitions (seq, run_id, job_day, step, from_state, to_state, sim_us,
 *                         attempt, error_kind, message)
 *                         the daily batch workflow's state changes, in order
 *
 *   ab_summary (run_id, mode, arm, ranker, n_t, n_c, srm_chi2, srm_p, srm_flagged,
 *               alpha)   (version 3: arm, ranker)
 *                         (recording order: rowid)
 *                         one row per treatment arm of an A/B/n analysis,
 *                         per mode label (SCHEMA_AB_*: 'split', 'twin'): the
 *                         arm's label ('treatment' with two arms, else its
 *                         ranker's name), its ranker ('' when migrated from
 *                         version 2), its users and the control's; the SRM
 *                         chi-square over all arms (arms of the mode + 1
 *                         - 1 df) repeated on each; PK (run_id, mode, arm)
 *   ab_rows (seq, run_id, mode, arm, metric, kind, estimable, why, n_t, n_c, mean_t,
 *            mean_c, sd_t, sd_c, diff, diff_lo, diff_hi, p, p_adjusted, rel, rel_lo,
 *            rel_hi, cuped_theta, cuped_variance_reduction, cuped_diff, cuped_lo,
 *            cuped_hi, cuped_p, mde, mde_rel, test, in_family, cuped_rel,
 *            cuped_rel_lo, cuped_rel_hi)   (version 5: test .. cuped_rel_hi)
 *                         per metric and treatment arm of an analysis (that
 *                         arm against the control); kind 'mean' | 'ratio' |
 *                         'median' | 'aggregate'; test names the test the row
 *                         reports (stats/abtest.h: its interval and p are the
 *                         cuped_* ones when test = 'cuped'); estimable 0 with
 *                         `why` when not; NULLs for undefined numbers and
 *                         cuped_* NULL without CUPED; p_adjusted is Holm across
 *                         the rows in_family of every arm of the mode, NULL
 *                         outside it; UNIQUE (run_id, mode, arm, metric)
 *   ab_bias (seq, run_id, arm, metric, estimable, why, n_split, n_twin, split_diff,
 *            twin_diff, bias, se, lo, hi, corr, alpha)   (version 5)
 *                         [ab] mode = both: split - twin lift per treatment arm
 *                         and metric with its paired interval; UNIQUE (run_id,
 *                         arm, metric)
 *   slo_rows (seq, run_id, name, observed, target, verdict, note, value, limit_value,
 *             host_measured)
 *                         the SLO table; verdict 'pass' | 'fail' | 'no data'
 *   curves (run_id, name, seq, i, x, y, n)
 *                         model curves: 'roc' (x FPR, y TPR), 'calibration' (x
 *                         mean prediction, y observed rate, n samples); PK
 *                         (run_id, name, i)
 *   importance (seq, run_id, feature, impurity, permutation)
 *                         forest feature importance; permutation NULL when not
 *                         measured
 *   validity_checks (run_id, seq, name, statistic, value, p, threshold, verdict,
 *                    detail)   (version 2)
 *                         simulator validity checks (results/checkstore.c);
 *                         verdict 'pass' | 'fail' | 'skip'; PK (run_id, seq)
 *
 *   feature_columns (run_id, i, name, kind)      (version 4)
 *                         the columns of the features BLOBs below, in order;
 *                         kind: pit, user, creator, user_topic, user_creator,
 *                         context; PK (run_id, i)
 *   impressions (run_id, round, position, session, user, time_us, phase, arm,
 *                logging, n_candidates, show, creator, topic, live, score,
 *                propensity, propensity_marginal, model_p, tune_in,
 *                listen_minutes, liked, followed, notified, features)   (version 4)
 *                         the logged bandit feedback (results/banditstore.c):
 *                         one row per slot of a logged page; phase 'warmup' |
 *                         'experiment'; propensity = P(show at the slot | the
 *                         slots above), propensity_marginal = P(show at the
 *                         slot) under the logging policy; model_p the
 *                         behaviour model's P(tune-in) there (NULL when it
 *                         has no closed form); features float32 BLOB;
 *                         PK (run_id, round, position)
 *   ope_target_slots (run_id, round, target, position, show, model_p, features)
 *                         (version 4) the off-policy targets' pages on the
 *                         same requests; PK (run_id, round, target, position)
 *   users (run_id, user, period, arm, sessions, tune_ins, listening_minutes, likes,
 *          follows, notify_enables, engagement_actions, impressions, home_clicks)
 *                         (version 4) per-user metrics per period; PK
 *                         (run_id, user, period)
 *   ope_estimates (seq, run_id, target, reward, estimator, estimable, why, rounds,
 *                  estimate, se, lo, hi, truth, truth_se, truth_rounds,
 *                  model_truth, bias, covered, nonzero, ess, max_weight, alpha)
 *                         (version 4) one row per target, reward and
 *                         estimator (results/opestore.c); UNIQUE (run_id,
 *                         target, reward, estimator)
 *   ope_replications (run_id, target, reward, estimator, replication, seed,
 *                     estimate, lo, hi, truth, model_truth)   (version 4)
 *   ope_summary (seq, run_id, target, reward, estimator, replications, mean_bias,
 *                rmse, coverage, coverage_lo, coverage_hi, mean_width,
 *                model_mean_bias, model_rmse, model_coverage)   (version 4)
 *
 * Everything except the host measurements is a function of scenario + seed.
 */
#include "results/results.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/version.h"
#include "common/xalloc.h"

/* The stored analysis (A/B tables, SLO rows, curves, importance), part of
 * version 1 (unreleased when they were added). */
#define ANALYSIS_TABLES \
	"CREATE TABLE ab_summary (" \
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE," \
	"  mode TEXT NOT NULL," \
	"  n_t INTEGER NOT NULL, n_c INTEGER NOT NULL," \
	"  srm_chi2 REAL, srm_p REAL," \
	"  srm_flagged INTEGER NOT NULL," \
	"  alpha REAL NOT NULL," \
	"  PRIMARY KEY (run_id, mode));" \
	"CREATE TABLE ab_rows (" \
	"  seq INTEGER PRIMARY KEY," \
	"  run_id INTEGER NOT NULL," \
	"  mode TEXT NOT NULL," \
	"  metric TEXT NOT NULL," \
	"  kind TEXT NOT NULL CHECK (kind IN ('mean', 'ratio', 'median'))," \
	"  estimable INTEGER NOT NULL," \
	"  why TEXT NOT NULL," \
	"  n_t INTEGER NOT NULL, n_c INTEGER NOT NULL," \
	"  mean_t REAL, mean_c REAL, sd_t REAL, sd_c REAL," \
	"  diff REAL, diff_lo REAL, diff_hi REAL, p REAL, p_adjusted REAL," \
	"  rel REAL, rel_lo REAL, rel_hi REAL," \
	"  cuped_theta REAL, cuped_variance_reduction REAL," \
	"  cuped_diff REAL, cuped_lo REAL, cuped_hi REAL, cuped_p REAL," \
	"  mde REAL, mde_rel REAL," \
	"  UNIQUE (run_id, mode, metric)," \
	"  FOREIGN KEY (run_id, mode) REFERENCES ab_summary(run_id, mode) ON DELETE CASCADE);" \
	"CREATE TABLE slo_rows (" \
	"  seq INTEGER PRIMARY KEY," \
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE," \
	"  name TEXT NOT NULL," \
	"  observed TEXT NOT NULL," \
	"  target TEXT NOT NULL," \
	"  verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'fail', 'no data'))," \
	"  note TEXT NOT NULL," \
	"  value REAL, limit_value REAL," \
	"  host_measured INTEGER NOT NULL);" \
	"CREATE INDEX slo_rows_run ON slo_rows(run_id);" \
	"CREATE TABLE curves (" \
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE," \
	"  name TEXT NOT NULL," \
	"  seq INTEGER NOT NULL," /* the curve's recording order within the run */ \
	"  i INTEGER NOT NULL," \
	"  x REAL, y REAL, n REAL," \
	"  PRIMARY KEY (run_id, name, i)) WITHOUT ROWID;" \
	"CREATE TABLE importance (" \
	"  seq INTEGER PRIMARY KEY," \
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE," \
	"  feature TEXT NOT NULL," \
	"  impurity REAL," \
	"  permutation REAL," \
	"  UNIQUE (run_id, feature));"

static const char schema_v1[] =
	"CREATE TABLE runs ("
	"  run_id INTEGER PRIMARY KEY,"
	"  run_key TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  scenario_text TEXT NOT NULL,"
	"  overrides TEXT NOT NULL,"
	"  seed INTEGER NOT NULL,"
	"  git_rev TEXT NOT NULL,"
	"  version TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  started_utc TEXT NOT NULL,"
	"  wall_seconds REAL,"
	"  status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')));"
	"CREATE TABLE run_info ("
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (run_id, key));"
	"CREATE TABLE timings ("
	"  seq INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  phase TEXT NOT NULL,"
	"  wall_seconds REAL NOT NULL);"
	"CREATE INDEX timings_run ON timings(run_id);"
	"CREATE TABLE metrics ("
	"  seq INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  arm TEXT NOT NULL,"
	"  value REAL,"
	"  unit TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('sim', 'host')),"
	"  UNIQUE (run_id, name, arm));"
	"CREATE TABLE series_info ("
	"  seq INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  start_us INTEGER NOT NULL,"
	"  width_us INTEGER NOT NULL,"
	"  buckets INTEGER NOT NULL,"
	"  unit TEXT NOT NULL,"
	"  has_hist INTEGER NOT NULL,"
	"  UNIQUE (run_id, name));"
	"CREATE TABLE series ("
	"  run_id INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  bucket INTEGER NOT NULL,"
	"  bucket_start_us INTEGER NOT NULL,"
	"  width_us INTEGER NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  sum REAL NOT NULL,"
	"  min INTEGER, max INTEGER, last INTEGER,"
	"  p50 INTEGER, p90 INTEGER, p99 INTEGER,"
	"  PRIMARY KEY (run_id, name, bucket),"
	"  FOREIGN KEY (run_id, name) REFERENCES series_info(run_id, name) ON DELETE CASCADE"
	") WITHOUT ROWID;"
	"CREATE TABLE hist_summary ("
	"  seq INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  unit TEXT NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  overflow INTEGER NOT NULL,"
	"  mean REAL NOT NULL,"
	"  min INTEGER NOT NULL, p50 INTEGER NOT NULL, p90 INTEGER NOT NULL,"
	"  p95 INTEGER NOT NULL, p99 INTEGER NOT NULL, p999 INTEGER NOT NULL,"
	"  max INTEGER NOT NULL,"
	"  highest INTEGER NOT NULL,"
	"  digits INTEGER NOT NULL,"
	"  UNIQUE (run_id, name));"
	"CREATE TABLE histograms ("
	"  run_id INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  lo INTEGER NOT NULL,"
	"  hi INTEGER NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, name, lo),"
	"  FOREIGN KEY (run_id, name) REFERENCES hist_summary(run_id, name) ON DELETE CASCADE"
	") WITHOUT ROWID;"
	"CREATE TABLE workflow_transitions ("
	"  seq INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  job_day INTEGER NOT NULL,"
	"  step TEXT NOT NULL,"
	"  from_state TEXT NOT NULL,"
	"  to_state TEXT NOT NULL,"
	"  sim_us INTEGER NOT NULL,"
	"  attempt INTEGER NOT NULL,"
	"  error_kind TEXT,"
	"  message TEXT);"
	"CREATE INDEX workflow_transitions_run ON workflow_transitions(run_id, job_day);"
	ANALYSIS_TABLES;

/* Version 2: simulator validity checks (eval/validity, airtime validate-sim). */
static const char schema_v2[] =
	"CREATE TABLE validity_checks ("
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  statistic TEXT NOT NULL,"
	"  value REAL,"
	"  p REAL,"
	"  threshold REAL,"
	"  verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'fail', 'skip')),"
	"  detail TEXT NOT NULL,"
	"  PRIMARY KEY (run_id, seq),"
	"  UNIQUE (run_id, name));";

/* Version 3: A/B/n.  ab_summary and ab_rows gain the arm (and ab_summary
 * its ranker), keyed by (run, mode, arm).  A version-2 file's rows were
 * 2-arm analyses: they are carried over as arm 'treatment', ranker ''. */
#define AB_TABLES_V3 \
	"CREATE TABLE ab_summary (" \
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE," \
	"  mode TEXT NOT NULL," \
	"  arm TEXT NOT NULL," \
	"  ranker TEXT NOT NULL," \
	"  n_t INTEGER NOT NULL, n_c INTEGER NOT NULL," \
	"  srm_chi2 REAL, srm_p REAL," \
	"  srm_flagged INTEGER NOT NULL," \
	"  alpha REAL NOT NULL," \
	"  PRIMARY KEY (run_id, mode, arm));" \
	"CREATE TABLE ab_rows (" \
	"  seq INTEGER PRIMARY KEY," \
	"  run_id INTEGER NOT NULL," \
	"  mode TEXT NOT NULL," \
	"  arm TEXT NOT NULL," \
	"  metric TEXT NOT NULL," \
	"  kind TEXT NOT NULL CHECK (kind IN ('mean', 'ratio', 'median'))," \
	"  estimable INTEGER NOT NULL," \
	"  why TEXT NOT NULL," \
	"  n_t INTEGER NOT NULL, n_c INTEGER NOT NULL," \
	"  mean_t REAL, mean_c REAL, sd_t REAL, sd_c REAL," \
	"  diff REAL, diff_lo REAL, diff_hi REAL, p REAL, p_adjusted REAL," \
	"  rel REAL, rel_lo REAL, rel_hi REAL," \
	"  cuped_theta REAL, cuped_variance_reduction REAL," \
	"  cuped_diff REAL, cuped_lo REAL, cuped_hi REAL, cuped_p REAL," \
	"  mde REAL, mde_rel REAL," \
	"  UNIQUE (run_id, mode, arm, metric)," \
	"  FOREIGN KEY (run_id, mode, arm) REFERENCES ab_summary(run_id, mode, arm) " \
	"    ON DELETE CASCADE);"

#define AB_ROW_COLUMNS_V3 \
	"metric, kind, estimable, why, n_t, n_c, mean_t, mean_c, sd_t, sd_c, diff, diff_lo, " \
	"diff_hi, p, p_adjusted, rel, rel_lo, rel_hi, cuped_theta, cuped_variance_reduction, " \
	"cuped_diff, cuped_lo, cuped_hi, cuped_p, mde, mde_rel"

static const char schema_v3[] =
	"ALTER TABLE ab_rows RENAME TO ab_rows_v2;"
	"ALTER TABLE ab_summary RENAME TO ab_summary_v2;"
	AB_TABLES_V3
	"INSERT INTO ab_summary (run_id, mode, arm, ranker, n_t, n_c, srm_chi2, srm_p, "
	"  srm_flagged, alpha) "
	"  SELECT run_id, mode, 'treatment', '', n_t, n_c, srm_chi2, srm_p, srm_flagged, alpha "
	"  FROM ab_summary_v2 ORDER BY rowid;"
	"INSERT INTO ab_rows (seq, run_id, mode, arm, " AB_ROW_COLUMNS_V3 ") "
	"  SELECT seq, run_id, mode, 'treatment', " AB_ROW_COLUMNS_V3 " FROM ab_rows_v2 ORDER BY seq;"
	"DROP TABLE ab_rows_v2;"
	"DROP TABLE ab_summary_v2;";

/* Version 4: the logged bandit feedback (results/banditstore.c: the
 * impressions of a sample of sessions with propensities, features and
 * outcomes, the off-policy targets' pages, the feature columns, per-user
 * metrics) and off-policy evaluation (results/opestore.c). */
static const char schema_v4[] =
	"CREATE TABLE feature_columns ("
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  i INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  PRIMARY KEY (run_id, i)) WITHOUT ROWID;"
	"CREATE TABLE impressions ("
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  round INTEGER NOT NULL,"
	"  position INTEGER NOT NULL,"
	"  session INTEGER NOT NULL,"
	"  user INTEGER NOT NULL,"
	"  time_us INTEGER NOT NULL,"
	"  phase TEXT NOT NULL CHECK (phase IN ('warmup', 'experiment')),"
	"  arm TEXT NOT NULL,"
	"  logging INTEGER NOT NULL,"
	"  n_candidates INTEGER NOT NULL,"
	"  show INTEGER NOT NULL,"
	"  creator INTEGER NOT NULL,"
	"  topic INTEGER NOT NULL,"
	"  live INTEGER NOT NULL,"
	"  score REAL,"
	"  propensity REAL,"
	"  propensity_marginal REAL,"
	"  model_p REAL,"
	"  tune_in INTEGER NOT NULL,"
	"  listen_minutes REAL NOT NULL,"
	"  liked INTEGER NOT NULL,"
	"  followed INTEGER NOT NULL,"
	"  notified INTEGER NOT NULL,"
	"  features BLOB,"
	"  PRIMARY KEY (run_id, round, position)) WITHOUT ROWID;"
	"CREATE TABLE ope_target_slots ("
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  round INTEGER NOT NULL,"
	"  target TEXT NOT NULL,"
	"  position INTEGER NOT NULL,"
	"  show INTEGER NOT NULL,"
	"  model_p REAL,"
	"  features BLOB,"
	"  PRIMARY KEY (run_id, round, target, position)) WITHOUT ROWID;"
	"CREATE TABLE users ("
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  user INTEGER NOT NULL,"
	"  period TEXT NOT NULL CHECK (period IN ('warmup', 'experiment')),"
	"  arm TEXT NOT NULL,"
	"  sessions REAL, tune_ins REAL, listening_minutes REAL, likes REAL, follows REAL,"
	"  notify_enables REAL, engagement_actions REAL, impressions REAL, home_clicks REAL,"
	"  PRIMARY KEY (run_id, user, period)) WITHOUT ROWID;"
	"CREATE TABLE ope_estimates ("
	"  seq INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  target TEXT NOT NULL,"
	"  reward TEXT NOT NULL,"
	"  estimator TEXT NOT NULL,"
	"  estimable INTEGER NOT NULL,"
	"  why TEXT NOT NULL,"
	"  rounds INTEGER NOT NULL,"
	"  estimate REAL, se REAL, lo REAL, hi REAL,"
	"  truth REAL, truth_se REAL, truth_rounds INTEGER, model_truth REAL,"
	"  bias REAL, covered INTEGER,"
	"  nonzero INTEGER, ess REAL, max_weight REAL,"
	"  alpha REAL NOT NULL,"
	"  UNIQUE (run_id, target, reward, estimator));"
	"CREATE TABLE ope_replications ("
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  target TEXT NOT NULL,"
	"  reward TEXT NOT NULL,"
	"  estimator TEXT NOT NULL,"
	"  replication INTEGER NOT NULL,"
	"  seed INTEGER NOT NULL,"
	"  estimate REAL, lo REAL, hi REAL,"
	"  truth REAL, model_truth REAL,"
	"  PRIMARY KEY (run_id, target, reward, estimator, replication)) WITHOUT ROWID;"
	"CREATE TABLE ope_summary ("
	"  seq INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  target TEXT NOT NULL,"
	"  reward TEXT NOT NULL,"
	"  estimator TEXT NOT NULL,"
	"  replications INTEGER NOT NULL,"
	"  mean_bias REAL, rmse REAL, coverage REAL, coverage_lo REAL, coverage_hi REAL,"
	"  mean_width REAL, model_mean_bias REAL, model_rmse REAL, model_coverage REAL,"
	"  UNIQUE (run_id, target, reward, estimator));";

/* Version 5: one test per row and the exposure rows.  ab_rows gains the
 * test its interval and p come from, whether it is in the Holm family, the
 * CUPED relative lift, and kind 'aggregate'; ab_bias holds the interference
 * bias of [ab] mode = both with its interval.  A version-4 row's test is
 * what produced its printed interval then (raw Welch, paired, delta,
 * bootstrap), in_family its old family (the mean rows). */
#define AB_ROWS_V5 \
	"CREATE TABLE ab_rows (" \
	"  seq INTEGER PRIMARY KEY," \
	"  run_id INTEGER NOT NULL," \
	"  mode TEXT NOT NULL," \
	"  arm TEXT NOT NULL," \
	"  metric TEXT NOT NULL," \
	"  kind TEXT NOT NULL CHECK (kind IN ('mean', 'ratio', 'median', 'aggregate'))," \
	"  estimable INTEGER NOT NULL," \
	"  why TEXT NOT NULL," \
	"  n_t INTEGER NOT NULL, n_c INTEGER NOT NULL," \
	"  mean_t REAL, mean_c REAL, sd_t REAL, sd_c REAL," \
	"  diff REAL, diff_lo REAL, diff_hi REAL, p REAL, p_adjusted REAL," \
	"  rel REAL, rel_lo REAL, rel_hi REAL," \
	"  cuped_theta REAL, cuped_variance_reduction REAL," \
	"  cuped_diff REAL, cuped_lo REAL, cuped_hi REAL, cuped_p REAL," \
	"  mde REAL, mde_rel REAL," \
	"  test TEXT NOT NULL, in_family INTEGER NOT NULL," \
	"  cuped_rel REAL, cuped_rel_lo REAL, cuped_rel_hi REAL," \
	"  UNIQUE (run_id, mode, arm, metric)," \
	"  FOREIGN KEY (run_id, mode, arm) REFERENCES ab_summary(run_id, mode, arm) " \
	"    ON DELETE CASCADE);"

#define AB_ROW_COLUMNS AB_ROW_COLUMNS_V3 ", test, in_family, cuped_rel, cuped_rel_lo, cuped_rel_hi"

static const char schema_v5[] =
	"ALTER TABLE ab_rows RENAME TO ab_rows_v4;"
	AB_ROWS_V5
	"INSERT INTO ab_rows (seq, run_id, mode, arm, " AB_ROW_COLUMNS_V3 ", test, in_family) "
	"  SELECT seq, run_id, mode, arm, " AB_ROW_COLUMNS_V3 ","
	"    CASE WHEN kind = 'ratio' THEN 'delta' WHEN kind = 'median' THEN 'bootstrap' "
	"         WHEN mode = 'twin' THEN 'paired' ELSE 'welch' END,"
	"    kind = 'mean' FROM ab_rows_v4 ORDER BY seq;"
	"DROP TABLE ab_rows_v4;"
	"CREATE TABLE ab_bias ("
	"  seq INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  arm TEXT NOT NULL,"
	"  metric TEXT NOT NULL,"
	"  estimable INTEGER NOT NULL,"
	"  why TEXT NOT NULL,"
	"  n_split INTEGER NOT NULL, n_twin INTEGER NOT NULL,"
	"  split_diff REAL, twin_diff REAL, bias REAL, se REAL, lo REAL, hi REAL, corr REAL,"
	"  alpha REAL NOT NULL,"
	"  UNIQUE (run_id, arm, metric));";


/* Version 6: the streaming path's conservation (issue 18): one row per
 * outcome, in the order of the identity published = filtered + rejected +
 * applied + ignored + dead-lettered + expired + in flight; the copies of
 * already-applied events are rows of their own (never counted twice). */
static const char schema_v6[] =
	"CREATE TABLE stream_conservation ("
	"  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  outcome TEXT NOT NULL,"
	"  events INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, seq),"
	"  UNIQUE (run_id, outcome));";

static const char *const schema_steps[] = { schema_v1, schema_v2, schema_v3, schema_v4,
					    schema_v5, schema_v6 };

static const struct db_schema results_schema = {
	.kind = "results database",
	.version = RESULTS_SCHEMA_VERSION,
	.steps = schema_steps,
};

_Static_assert(sizeof(schema_steps) / sizeof(schema_steps[0]) == RESULTS_SCHEMA_VERSION,
	       "one schema step per version");

/* Cached insert statements, prepared on first use. */
enum stmt_id {
	ST_RUN,
	ST_FINISH,
	ST_INFO,
	ST_TIMING,
	ST_METRIC,
	ST_SERIES_INFO,
	ST_SERIES,
	ST_HIST_SUMMARY,
	ST_HIST,
	ST_TRANSITION,
	ST_COUNT
};

static const struct {
	const char *sql;
	const char *purpose;
} stmt_def[ST_COUNT] = {
	[ST_RUN] = { "INSERT INTO runs (run_key, name, scenario_text, overrides, seed, "
		     "git_rev, version, host, started_utc, status) "
		     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running')", "recording a run" },
	[ST_FINISH] = { "UPDATE runs SET status = ?, wall_seconds = ? WHERE run_id = ?",
			"finishing a run" },
	[ST_INFO] = { "INSERT OR REPLACE INTO run_info (run_id, key, value) VALUES (?, ?, ?)",
		      "recording run info" },
	[ST_TIMING] = { "INSERT INTO timings (run_id, phase, wall_seconds) VALUES (?, ?, ?)",
			"recording a timing" },
	[ST_METRIC] = { "INSERT INTO metrics (run_id, name, arm, value, unit, kind) "
			"VALUES (?, ?, ?, ?, ?, ?)", "recording a metric" },
	[ST_SERIES_INFO] = { "INSERT INTO series_info (run_id, name, start_us, width_us, "
			     "buckets, unit, has_hist) VALUES (?, ?, ?, ?, ?, ?, ?)",
			     "recording a series" },
	[ST_SERIES] = { "INSERT INTO series (run_id, name, bucket, bucket_start_us, width_us, "
			"count, sum, min, max, last, p50, p90, p99) "
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			"recording a series bucket" },
	[ST_HIST_SUMMARY] = { "INSERT INTO hist_summary (run_id, name, unit, count, overflow, "
			      "mean, min, p50, p90, p95, p99, p999, max, highest, digits) "
			      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			      "recording a histogram" },
	[ST_HIST] = { "INSERT INTO histograms (run_id, name, lo, hi, count) "
		      "VALUES (?, ?, ?, ?, ?)", "recording a histogram bucket" },
	[ST_TRANSITION] = { "INSERT INTO workflow_transitions (run_id, job_day, step, "
			    "from_state, to_state, sim_us, attempt, error_kind, message) "
			    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			    "recording a workflow transition" },
};

struct results {
	struct db *db;
	sqlite3_stmt *st[ST_COUNT];
};

static const char *const status_names[] = { "running", "ok", "failed" };
static const char *const kind_names[] = { "sim", "host" };

const char *results_status_name(enum results_status s)
{
	ASSERT((unsigned)s < 3);
	return status_names[s];
}

const char *results_kind_name(enum results_kind k)
{
	ASSERT((unsigned)k < 2);
	return kind_names[k];
}

static struct results *open_mode(const char *path, enum db_mode mode, struct error *err)
{
	struct results *r;
	struct db *db;

	if (db_open(&db, path, mode, err) < 0)
		return NULL;
	if (db_schema_apply(db, &results_schema, err) < 0) {
		db_close(db);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->db = db;
	return r;
}

struct results *results_open(const char *path, struct error *err)
{
	return open_mode(path, DB_CREATE, err);
}

struct results *results_open_readonly(const char *path, struct error *err)
{
	return open_mode(path, DB_READONLY, err);
}

void results_close(struct results *r)
{
	if (!r)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		db_finalize(r->st[i]);
	db_close(r->db);
	free(r);
}

struct db *results_db(struct results *r)
{
	return r->db;
}

int results_begin(struct results *r, struct error *err)
{
	return db_begin(r->db, err);
}

int results_commit(struct results *r, struct error *err)
{
	return db_commit(r->db, err);
}

void results_rollback(struct results *r)
{
	db_rollback(r->db);
}

/* Open a transaction level and fetch the cached statement `id`. */
static int put_begin(struct results *r, enum stmt_id id, sqlite3_stmt **st,
		     struct error *err)
{
	int rc = db_begin(r->db, err);

	if (rc < 0)
		return rc;
	if (!r->st[id]) {
		rc = db_prepare(r->db, &r->st[id], stmt_def[id].sql, stmt_def[id].purpose, err);
		if (rc < 0) {
			db_rollback(r->db);
			return rc;
		}
	}
	*st = r->st[id];
	return 0;
}

/* Close the level opened by put_begin: commit on success, undo on failure. */
static int put_end(struct results *r, int rc, struct error *err)
{
	if (rc < 0) {
		db_rollback(r->db);
		return rc;
	}
	return db_commit(r->db, err);
}

/* A cached statement, prepared now if needed (inside an open level). */
static int stmt(struct results *r, enum stmt_id id, sqlite3_stmt **st, struct error *err)
{
	if (!r->st[id]) {
		int rc = db_prepare(r->db, &r->st[id], stmt_def[id].sql, stmt_def[id].purpose,
				    err);
		if (rc < 0)
			return rc;
	}
	*st = r->st[id];
	return 0;
}

static void utc_now(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!gmtime_r(&now, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "unknown");
}

int results_begin_run(struct results *r, const struct results_run *run, int64_t *run_id,
		      struct error *err)
{
	char host[256], started[32];
	sqlite3_stmt *st;
	int rc;

	*run_id = 0;
	if (!run->host) {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "unknown");
		host[sizeof(host) - 1] = '\0';
	}
	if (!run->started_utc)
		utc_now(started, sizeof(started));
	rc = put_begin(r, ST_RUN, &st, err);
	if (rc < 0)
		return rc;
	db_bind_text(r->db, st, 1, run->run_key ? run->run_key : "");
	db_bind_text(r->db, st, 2, run->name ? run->name : "");
	db_bind_text(r->db, st, 3, run->scenario_text ? run->scenario_text : "");
	db_bind_text(r->db, st, 4, run->overrides ? run->overrides : "");
	db_bind_int64(r->db, st, 5, (int64_t)run->seed);
	db_bind_text(r->db, st, 6, run->git_rev ? run->git_rev : airtime_git_rev);
	db_bind_text(r->db, st, 7, run->version ? run->version : airtime_version);
	db_bind_text(r->db, st, 8, run->host ? run->host : host);
	db_bind_text(r->db, st, 9, run->started_utc ? run->started_utc : started);
	rc = db_step_done(r->db, st, stmt_def[ST_RUN].purpose, err);
	if (rc == 0)
		*run_id = sqlite3_last_insert_rowid(db_handle(r->db));
	rc = put_end(r, rc, err);
	if (rc < 0)
		*run_id = 0;
	return rc;
}

int results_finish_run(struct results *r, int64_t run_id, enum results_status status,
		       double wall_seconds, struct error *err)
{
	sqlite3_stmt *st;
	int rc = put_begin(r, ST_FINISH, &st, err);

	if (rc < 0)
		return rc;
	db_bind_text(r->db, st, 1, results_status_name(status));
	db_bind_double_or_null(r->db, st, 2, wall_seconds);
	db_bind_int64(r->db, st, 3, run_id);
	rc = db_step_done(r->db, st, stmt_def[ST_FINISH].purpose, err);
	if (rc == 0 && sqlite3_changes(db_handle(r->db)) != 1)
		rc = error_set(err, ERR_NOTFOUND, "finishing run %lld in '%s': no such run",
			       (long long)run_id, db_path(r->db));
	return put_end(r, rc, err);
}

int results_put_info(struct results *r, int64_t run_id, const char *key,
		     const char *value, struct error *err)
{
	sqlite3_stmt *st;
	int rc = put_begin(r, ST_INFO, &st, err);

	if (rc < 0)
		return rc;
	db_bind_int64(r->db, st, 1, run_id);
	db_bind_text(r->db, st, 2, key);
	db_bind_text(r->db, st, 3, value ? value : "");
	rc = db_step_done(r->db, st, stmt_def[ST_INFO].purpose, err);
	return put_end(r, rc, err);
}

int results_put_timing(struct results *r, int64_t run_id, const char *phase,
		       double wall_seconds, struct error *err)
{
	sqlite3_stmt *st;
	int rc = put_begin(r, ST_TIMING, &st, err);

	if (rc < 0)
		return rc;
	db_bind_int64(r->db, st, 1, run_id);
	db_bind_text(r->db, st, 2, phase);
	db_bind_double(r->db, st, 3, wall_seconds);
	rc = db_step_done(r->db, st, stmt_def[ST_TIMING].purpose, err);
	return put_end(r, rc, err);
}

int results_put_metric(struct results *r, int64_t run_id, const char *name, const char *arm,
		       double value, const char *unit, enum results_kind kind,
		       struct error *err)
{
	sqlite3_stmt *st;
	int rc = put_begin(r, ST_METRIC, &st, err);

	if (rc < 0)
		return rc;
	db_bind_int64(r->db, st, 1, run_id);
	db_bind_text(r->db, st, 2, name);
	db_bind_text(r->db, st, 3, arm ? arm : "all");
	db_bind_double_or_null(r->db, st, 4, isfinite(value) ? value : NAN);
	db_bind_text(r->db, st, 5, unit ? unit : "");
	db_bind_text(r->db, st, 6, results_kind_name(kind));
	rc = db_step_done(r->db, st, stmt_def[ST_METRIC].purpose, err);
	if (rc < 0)
		error_prefix(err, "metric '%s' (arm '%s'): ", name, arm ? arm : "all");
	return put_end(r, rc, err);
}

int results_put_series(struct results *r, int64_t run_id, const struct series *s,
		       const char *unit, struct error *err)
{
	return results_put_series_as(r, run_id, series_name(s), s, unit, err);
}

int results_put_series_as(struct results *r, int64_t run_id, const char *name,
			  const struct series *s, const char *unit, struct error *err)
{
	size_t n = series_len(s);
	bool has_hist = series_has_hist(s);
	simtime start = series_start(s), width = series_width(s);
	sqlite3_stmt *st;
	int rc;

	rc = put_begin(r, ST_SERIES_INFO, &st, err);
	if (rc < 0)
		return rc;
	db_bind_int64(r->db, st, 1, run_id);
	db_bind_text(r->db, st, 2, name);
	db_bind_int64(r->db, st, 3, start);
	db_bind_int64(r->db, st, 4, width);
	db_bind_int64(r->db, st, 5, (int64_t)n);
	db_bind_text(r->db, st, 6, unit ? unit : "");
	db_bind_int64(r->db, st, 7, has_hist);
	rc = db_step_done(r->db, st, stmt_def[ST_SERIES_INFO].purpose, err);
	if (rc == 0)
		rc = stmt(r, ST_SERIES, &st, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		uint64_t count = series_bucket_count(s, i);

		db_bind_int64(r->db, st, 1, run_id);
		db_bind_text(r->db, st, 2, name);
		db_bind_int64(r->db, st, 3, (int64_t)i);
		db_bind_int64(r->db, st, 4, start + (simtime)i * width);
		db_bind_int64(r->db, st, 5, width);
		db_bind_int64(r->db, st, 6, (int64_t)count);
		db_bind_double(r->db, st, 7, series_bucket_sum(s, i));
		/* min, max and last as series.h gives them (0 in an empty
		 * bucket): gauges set them without counting, so count == 0 does
		 * not mean they are void. */
		db_bind_int64(r->db, st, 8, series_bucket_min(s, i));
		db_bind_int64(r->db, st, 9, series_bucket_max(s, i));
		db_bind_int64(r->db, st, 10, series_bucket_last(s, i));
		if (has_hist && count > 0) {
			db_bind_int64(r->db, st, 11, series_bucket_quantile(s, i, 0.50));
			db_bind_int64(r->db, st, 12, series_bucket_quantile(s, i, 0.90));
			db_bind_int64(r->db, st, 13, series_bucket_quantile(s, i, 0.99));
		}
		rc = db_step_done(r->db, st, stmt_def[ST_SERIES].purpose, err);
	}
	if (rc < 0)
		error_prefix(err, "series '%s': ", name);
	return put_end(r, rc, err);
}

int results_put_hist(struct results *r, int64_t run_id, const char *name,
		     const struct hist *h, const char *unit, struct error *err)
{
	size_t cursor = 0;
	int64_t lo, hi;
	uint64_t count;
	sqlite3_stmt *st;
	int rc;

	rc = put_begin(r, ST_HIST_SUMMARY, &st, err);
	if (rc < 0)
		return rc;
	db_bind_int64(r->db, st, 1, run_id);
	db_bind_text(r->db, st, 2, name);
	db_bind_text(r->db, st, 3, unit ? unit : "");
	db_bind_int64(r->db, st, 4, (int64_t)hist_count(h));
	db_bind_int64(r->db, st, 5, (int64_t)h->overflow);
	db_bind_double(r->db, st, 6, hist_mean(h));
	db_bind_int64(r->db, st, 7, hist_min(h));
	db_bind_int64(r->db, st, 8, hist_quantile(h, 0.50));
	db_bind_int64(r->db, st, 9, hist_quantile(h, 0.90));
	db_bind_int64(r->db, st, 10, hist_quantile(h, 0.95));
	db_bind_int64(r->db, st, 11, hist_quantile(h, 0.99));
	db_bind_int64(r->db, st, 12, hist_quantile(h, 0.999));
	db_bind_int64(r->db, st, 13, hist_max(h));
	db_bind_int64(r->db, st, 14, h->highest);
	db_bind_int64(r->db, st, 15, h->digits);
	rc = db_step_done(r->db, st, stmt_def[ST_HIST_SUMMARY].purpose, err);
	if (rc == 0)
		rc = stmt(r, ST_HIST, &st, err);
	while (rc == 0 && hist_next_bucket(h, &cursor, &lo, &hi, &count)) {
		db_bind_int64(r->db, st, 1, run_id);
		db_bind_text(r->db, st, 2, name);
		db_bind_int64(r->db, st, 3, lo);
		db_bind_int64(r->db, st, 4, hi);
		db_bind_int64(r->db, st, 5, (int64_t)count);
		rc = db_step_done(r->db, st, stmt_def[ST_HIST].purpose, err);
	}
	if (rc < 0)
		error_prefix(err, "histogram '%s': ", name);
	return put_end(r, rc, err);
}

int results_put_transition(struct results *r, int64_t run_id,
			   const struct results_transition *t, struct error *err)
{
	sqlite3_stmt *st;
	int rc = put_begin(r, ST_TRANSITION, &st, err);

	if (rc < 0)
		return rc;
	db_bind_int64(r->db, st, 1, run_id);
	db_bind_int64(r->db, st, 2, t->job_day);
	db_bind_text(r->db, st, 3, t->step);
	db_bind_text(r->db, st, 4, t->from_state);
	db_bind_text(r->db, st, 5, t->to_state);
	db_bind_int64(r->db, st, 6, t->at);
	db_bind_int64(r->db, st, 7, t->attempt);
	db_bind_text(r->db, st, 8, t->error_kind);
	db_bind_text(r->db, st, 9, t->message);
	rc = db_step_done(r->db, st, stmt_def[ST_TRANSITION].purpose, err);
	return put_end(r, rc, err);
}

/* ---- readers ---------------------------------------------------------- */

/*
 * Readers prepare their statement per call (not cached) so that a callback
 * may itself call another reader.  query_* run the common loop: bind run_id
 * (and an optional name), step, hand each row to `row`, stop on non-zero.
 */
/* Callbacks travel through query() as a generic function pointer and are
 * cast back to their real type by the row function that knows it. */
typedef void (*any_fn)(void);
typedef int (*row_fn)(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err);

static int query(struct results *r, const char *sql, const char *purpose, int64_t run_id,
		 const char *name, const char *name2, row_fn row, any_fn fn, void *ctx,
		 struct error *err)
{
	sqlite3_stmt *st;
	int rc, idx = 1;

	rc = db_prepare(r->db, &st, sql, purpose, err);
	if (rc < 0)
		return rc;
	if (run_id >= 0)
		db_bind_int64(r->db, st, idx++, run_id);
	if (name)
		db_bind_text(r->db, st, idx++, name);
	if (name2)
		db_bind_text(r->db, st, idx++, name2);
	while ((rc = db_step(r->db, st, purpose, err)) == 1) {
		rc = row(st, fn, ctx, err);
		if (rc != 0)
			break;
	}
	db_finalize(st);
	return rc;
}

static enum results_status status_from(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, status_names[i]))
			return (enum results_status)i;
	/* The CHECK constraint admits nothing else. */
	BUG("unknown run status '%s'", s);
}

static int run_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	int (*cb)(const struct results_run *, void *) = (int (*)(const struct results_run *, void *))fn;
	struct results_run run = {
		.run_id = sqlite3_column_int64(st, 0),
		.run_key = db_column_text(st, 1),
		.name = db_column_text(st, 2),
		.scenario_text = db_column_text(st, 3),
		.overrides = db_column_text(st, 4),
		.seed = (uint64_t)sqlite3_column_int64(st, 5),
		.git_rev = db_column_text(st, 6),
		.version = db_column_text(st, 7),
		.host = db_column_text(st, 8),
		.started_utc = db_column_text(st, 9),
		.wall_seconds = db_column_double_or_nan(st, 10),
		.status = status_from(db_column_text(st, 11)),
	};

	(void)err;
	return cb(&run, ctx);
}

int results_each_run(struct results *r,
		     int (*fn)(const struct results_run *run, void *ctx), void *ctx,
		     struct error *err)
{
	return query(r, "SELECT run_id, run_key, name, scenario_text, overrides, seed, "
		     "git_rev, version, host, started_utc, wall_seconds, status "
		     "FROM runs ORDER BY run_id", "reading runs", -1, NULL, NULL, run_row,
		     (any_fn)fn, ctx, err);
}

static int copy_text_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	char **out = ctx;

	(void)fn;
	(void)err;
	*out = xstrdup(db_column_text(st, 0));
	return 1;
}

int results_get_info(struct results *r, int64_t run_id, const char *key, char **value,
		     struct error *err)
{
	int rc;

	*value = NULL;
	rc = query(r, "SELECT value FROM run_info WHERE run_id = ? AND key = ?",
		   "reading run info", run_id, key, NULL, copy_text_row, NULL, value, err);
	if (rc < 0)
		return rc;
	if (!*value)
		return error_set(err, ERR_NOTFOUND, "no run info '%s' for run %lld in '%s'",
				 key, (long long)run_id, db_path(r->db));
	return 0;
}

static int info_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	int (*cb)(const char *, const char *, void *) = (int (*)(const char *, const char *, void *))fn;

	(void)err;
	return cb(db_column_text(st, 0), db_column_text(st, 1), ctx);
}

int results_each_info(struct results *r, int64_t run_id,
		      int (*fn)(const char *key, const char *value, void *ctx), void *ctx,
		      struct error *err)
{
	return query(r, "SELECT key, value FROM run_info WHERE run_id = ? ORDER BY key",
		     "reading run info", run_id, NULL, NULL, info_row, (any_fn)fn, ctx, err);
}

static int timing_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	int (*cb)(const struct results_timing *, void *) = (int (*)(const struct results_timing *, void *))fn;
	struct results_timing t = {
		.phase = db_column_text(st, 0),
		.wall_seconds = sqlite3_column_double(st, 1),
	};

	(void)err;
	return cb(&t, ctx);
}

int results_each_timing(struct results *r, int64_t run_id,
			int (*fn)(const struct results_timing *t, void *ctx), void *ctx,
			struct error *err)
{
	return query(r, "SELECT phase, wall_seconds FROM timings WHERE run_id = ? ORDER BY seq",
		     "reading timings", run_id, NULL, NULL, timing_row, (any_fn)fn, ctx, err);
}

static int double_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	double *out = ctx;

	(void)fn;
	(void)err;
	*out = db_column_double_or_nan(st, 0);
	return 1;
}

int results_get_metric(struct results *r, int64_t run_id, const char *name, const char *arm,
		       double *value, struct error *err)
{
	/* Stored values are finite or NULL (put_metric maps inf to NULL, NULL
	 * reads back as NaN), so infinity marks "no row". */
	double v = INFINITY;
	int rc;

	rc = query(r, "SELECT value FROM metrics WHERE run_id = ? AND name = ? AND arm = ?",
		   "reading a metric", run_id, name, arm ? arm : "all", double_row, NULL, &v,
		   err);
	if (rc < 0)
		return rc;
	if (isinf(v))
		return error_set(err, ERR_NOTFOUND, "no metric '%s' (arm '%s') for run %lld in '%s'",
				 name, arm ? arm : "all", (long long)run_id, db_path(r->db));
	*value = v;
	return 0;
}

static int metric_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	int (*cb)(const struct results_metric *, void *) = (int (*)(const struct results_metric *, void *))fn;
	struct results_metric m = {
		.name = db_column_text(st, 0),
		.arm = db_column_text(st, 1),
		.value = db_column_double_or_nan(st, 2),
		.unit = db_column_text(st, 3),
		.kind = strcmp(db_column_text(st, 4), "host") ? RESULTS_SIM : RESULTS_HOST,
	};

	(void)err;
	return cb(&m, ctx);
}

int results_each_metric(struct results *r, int64_t run_id,
			int (*fn)(const struct results_metric *m, void *ctx), void *ctx,
			struct error *err)
{
	return query(r, "SELECT name, arm, value, unit, kind FROM metrics WHERE run_id = ? "
		     "ORDER BY seq", "reading metrics", run_id, NULL, NULL, metric_row,
		     (any_fn)fn, ctx, err);
}

static int name_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	int (*cb)(const char *, void *) = (int (*)(const char *, void *))fn;

	(void)err;
	return cb(db_column_text(st, 0), ctx);
}

int results_each_series_name(struct results *r, int64_t run_id,
			     int (*fn)(const char *name, void *ctx), void *ctx,
			     struct error *err)
{
	return query(r, "SELECT name FROM series_info WHERE run_id = ? ORDER BY seq",
		     "reading series names", run_id, NULL, NULL, name_row, (any_fn)fn, ctx, err);
}

static int series_info_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	struct results_series *s = ctx;
	int64_t n = sqlite3_column_int64(st, 2);

	(void)fn;
	(void)err;
	s->start = sqlite3_column_int64(st, 0);
	s->width = sqlite3_column_int64(st, 1);
	s->n = n > 0 ? (size_t)n : 0;
	s->unit = xstrdup(db_column_text(st, 3));
	s->has_hist = sqlite3_column_int(st, 4) != 0;
	return 1;
}

static int series_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	struct results_series *s = ctx;
	int64_t i = sqlite3_column_int64(st, 0);

	(void)fn;
	if (i < 0 || (uint64_t)i >= s->n)
		return error_set(err, ERR_CORRUPT, "series '%s' has bucket %lld outside 0..%zu",
				 s->name, (long long)i, s->n);
	s->count[i] = sqlite3_column_double(st, 1);
	s->sum[i] = sqlite3_column_double(st, 2);
	s->min[i] = db_column_double_or_nan(st, 3);
	s->max[i] = db_column_double_or_nan(st, 4);
	s->last[i] = db_column_double_or_nan(st, 5);
	s->p50[i] = db_column_double_or_nan(st, 6);
	s->p90[i] = db_column_double_or_nan(st, 7);
	s->p99[i] = db_column_double_or_nan(st, 8);
	return 0;
}

int results_get_series(struct results *r, int64_t run_id, const char *name,
		       struct results_series *out, struct error *err)
{
	double **arrays[] = { &out->count, &out->sum, &out->min, &out->max, &out->last,
			      &out->p50, &out->p90, &out->p99 };
	int rc;

	memset(out, 0, sizeof(*out));
	out->name = xstrdup(name);
	rc = query(r, "SELECT start_us, width_us, buckets, unit, has_hist FROM series_info "
		   "WHERE run_id = ? AND name = ?", "reading a series", run_id, name, NULL,
		   series_info_row, NULL, out, err);
	if (rc < 0)
		goto out_release;
	if (!out->unit) {
		rc = error_set(err, ERR_NOTFOUND, "no series '%s' for run %lld in '%s'", name,
			       (long long)run_id, db_path(r->db));
		goto out_release;
	}
	out->start_s = xcalloc(out->n ? out->n : 1, sizeof(double));
	for (size_t a = 0; a < sizeof(arrays) / sizeof(arrays[0]); a++) {
		*arrays[a] = xcalloc(out->n ? out->n : 1, sizeof(double));
		for (size_t i = 0; i < out->n; i++)
			(*arrays[a])[i] = NAN;
	}
	for (size_t i = 0; i < out->n; i++)
		out->start_s[i] = simtime_to_s(out->start + (simtime)i * out->width);
	rc = query(r, "SELECT bucket, count, sum, min, max, last, p50, p90, p99 FROM series "
		   "WHERE run_id = ? AND name = ? ORDER BY bucket", "reading a series", run_id,
		   name, NULL, series_row, NULL, out, err);
	if (rc < 0)
		goto out_release;
	return 0;

out_release:
	results_series_release(out);
	return rc;
}

void results_series_release(struct results_series *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->unit);
	free(s->start_s);
	free(s->count);
	free(s->sum);
	free(s->min);
	free(s->max);
	free(s->last);
	free(s->p50);
	free(s->p90);
	free(s->p99);
	memset(s, 0, sizeof(*s));
}

int results_each_hist_name(struct results *r, int64_t run_id,
			   int (*fn)(const char *name, void *ctx), void *ctx,
			   struct error *err)
{
	return query(r, "SELECT name FROM hist_summary WHERE run_id = ? ORDER BY seq",
		     "reading histogram names", run_id, NULL, NULL, name_row, (any_fn)fn, ctx,
		     err);
}

static int hist_summary_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	struct results_hist_summary *h = ctx;

	(void)fn;
	(void)err;
	snprintf(h->unit, sizeof(h->unit), "%s", db_column_text(st, 0));
	h->count = (uint64_t)sqlite3_column_int64(st, 1);
	h->overflow = (uint64_t)sqlite3_column_int64(st, 2);
	h->mean = sqlite3_column_double(st, 3);
	h->min = sqlite3_column_int64(st, 4);
	h->p50 = sqlite3_column_int64(st, 5);
	h->p90 = sqlite3_column_int64(st, 6);
	h->p95 = sqlite3_column_int64(st, 7);
	h->p99 = sqlite3_column_int64(st, 8);
	h->p999 = sqlite3_column_int64(st, 9);
	h->max = sqlite3_column_int64(st, 10);
	h->highest = sqlite3_column_int64(st, 11);
	h->digits = sqlite3_column_int(st, 12);
	return 1;
}

int results_get_hist_summary(struct results *r, int64_t run_id, const char *name,
			     struct results_hist_summary *out, struct error *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->digits = -1;
	rc = query(r, "SELECT unit, count, overflow, mean, min, p50, p90, p95, p99, p999, max, "
		   "highest, digits FROM hist_summary WHERE run_id = ? AND name = ?",
		   "reading a histogram", run_id, name, NULL, hist_summary_row, NULL, out, err);
	if (rc < 0)
		return rc;
	if (out->digits < 0)
		return error_set(err, ERR_NOTFOUND, "no histogram '%s' for run %lld in '%s'",
				 name, (long long)run_id, db_path(r->db));
	return 0;
}

static int hist_bucket_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	int (*cb)(int64_t, int64_t, uint64_t, void *) = (int (*)(int64_t, int64_t, uint64_t, void *))fn;

	(void)err;
	return cb(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		  (uint64_t)sqlite3_column_int64(st, 2), ctx);
}

int results_each_hist_bucket(struct results *r, int64_t run_id, const char *name,
			     int (*fn)(int64_t lo, int64_t hi, uint64_t count, void *ctx),
			     void *ctx, struct error *err)
{
	return query(r, "SELECT lo, hi, count FROM histograms WHERE run_id = ? AND name = ? "
		     "ORDER BY lo", "reading histogram buckets", run_id, name, NULL,
		     hist_bucket_row, (any_fn)fn, ctx, err);
}

static int transition_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	int (*cb)(const struct results_transition *, void *) = (int (*)(const struct results_transition *, void *))fn;
	struct results_transition t = {
		.job_day = sqlite3_column_int64(st, 0),
		.step = db_column_text(st, 1),
		.from_state = db_column_text(st, 2),
		.to_state = db_column_text(st, 3),
		.at = sqlite3_column_int64(st, 4),
		.attempt = sqlite3_column_int(st, 5),
		.error_kind = sqlite3_column_type(st, 6) == SQLITE_NULL ? NULL
			: db_column_text(st, 6),
		.message = sqlite3_column_type(st, 7) == SQLITE_NULL ? NULL
			: db_column_text(st, 7),
	};

	(void)err;
	return cb(&t, ctx);
}

int results_each_transition(struct results *r, int64_t run_id,
			    int (*fn)(const struct results_transition *t, void *ctx),
			    void *ctx, struct error *err)
{
	return query(r, "SELECT job_day, step, from_state, to_state, sim_us, attempt, "
		     "error_kind, message FROM workflow_transitions WHERE run_id = ? "
		     "ORDER BY seq", "reading workflow transitions", run_id, NULL, NULL,
		     transition_row, (any_fn)fn, ctx, err);
}

/* ---- the stored analysis ---------------------------------------------- */

/*
 * These are written once per run, so their statements are prepared per
 * call rather than cached.  Each put is one transaction level.
 */

static const char *const ab_kind_names[] = { "mean", "ratio", "median", "aggregate" };

static const char *ab_kind_name(enum abtest_kind k)
{
	ASSERT((unsigned)k < 4);
	return ab_kind_names[k];
}

static const char *verdict_db_name(enum slo_verdict v)
{
	switch (v) {
	case SLO_PASS:
		return "pass";
	case SLO_FAIL:
		return "fail";
	case SLO_NO_DATA:
		return "no data";
	}
	BUG("unknown SLO verdict %d", (int)v);
}

/* Prepare `sql` inside an open level; on failure the level is rolled back. */
static int put_prepare(struct results *r, sqlite3_stmt **st, const char *sql,
		       const char *purpose, struct error *err)
{
	int rc = db_begin(r->db, err);

	if (rc < 0)
		return rc;
	rc = db_prepare(r->db, st, sql, purpose, err);
	if (rc < 0)
		db_rollback(r->db);
	return rc;
}

/* A double, NULL when not finite (NaN or infinite). */
static void bind_num(struct results *r, sqlite3_stmt *st, int idx, double v)
{
	db_bind_double_or_null(r->db, st, idx, isfinite(v) ? v : NAN);
}

/* One treatment arm's summary row and metric rows (inside an open level). */
static int put_ab_arm(struct results *r, sqlite3_stmt *st, sqlite3_stmt *row, int64_t run_id,
		      const char *mode, const struct abtest *a, const struct abtest_arm *arm,
		      struct error *err)
{
	const char *purpose = "recording an A/B analysis";
	int rc;

	db_bind_int64(r->db, st, 1, run_id);
	db_bind_text(r->db, st, 2, mode);
	db_bind_text(r->db, st, 3, arm->name);
	db_bind_text(r->db, st, 4, arm->ranker);
	db_bind_int64(r->db, st, 5, (int64_t)arm->n_treatment);
	db_bind_int64(r->db, st, 6, (int64_t)arm->n_control);
	bind_num(r, st, 7, a->srm_chi2);
	bind_num(r, st, 8, a->srm_p);
	db_bind_int64(r->db, st, 9, a->srm_flagged);
	db_bind_double(r->db, st, 10, a->alpha);
	rc = db_step_done(r->db, st, purpose, err);
	for (size_t i = 0; rc == 0 && i < arm->n_rows; i++) {
		const struct abtest_row *m = &arm->rows[i];
		const struct stats_lift *l = &m->lift;
		const struct stats_lift *c = &m->cuped.adjusted;
		bool cu = m->has_cuped;

		db_bind_int64(r->db, row, 1, run_id);
		db_bind_text(r->db, row, 2, mode);
		db_bind_text(r->db, row, 3, arm->name);
		db_bind_text(r->db, row, 4, m->name);
		db_bind_text(r->db, row, 5, ab_kind_name(m->kind));
		db_bind_int64(r->db, row, 6, m->estimable);
		db_bind_text(r->db, row, 7, m->why);
		db_bind_int64(r->db, row, 8, (int64_t)l->t.n);
		db_bind_int64(r->db, row, 9, (int64_t)l->c.n);
		bind_num(r, row, 10, l->t.mean);
		bind_num(r, row, 11, l->c.mean);
		bind_num(r, row, 12, l->t.sd);
		bind_num(r, row, 13, l->c.sd);
		bind_num(r, row, 14, l->diff);
		bind_num(r, row, 15, l->diff_lo);
		bind_num(r, row, 16, l->diff_hi);
		bind_num(r, row, 17, l->p);
		bind_num(r, row, 18, m->p_adjusted);
		bind_num(r, row, 19, l->rel);
		bind_num(r, row, 20, l->rel_lo);
		bind_num(r, row, 21, l->rel_hi);
		bind_num(r, row, 22, cu ? m->cuped.theta : NAN);
		bind_num(r, row, 23, cu ? m->cuped.variance_reduction : NAN);
		bind_num(r, row, 24, cu ? c->diff : NAN);
		bind_num(r, row, 25, cu ? c->diff_lo : NAN);
		bind_num(r, row, 26, cu ? c->diff_hi : NAN);
		bind_num(r, row, 27, cu ? c->p : NAN);
		bind_num(r, row, 28, m->mde);
		bind_num(r, row, 29, m->mde_rel);
		db_bind_text(r->db, row, 30, abtest_test_name(m->test));
		db_bind_int64(r->db, row, 31, m->in_family);
		bind_num(r, row, 32, cu ? c->rel : NAN);
		bind_num(r, row, 33, cu ? c->rel_lo : NAN);
		bind_num(r, row, 34, cu ? c->rel_hi : NAN);
		rc = db_step_done(r->db, row, purpose, err);
		if (rc < 0)
			error_prefix(err, "metric '%s': ", m->name);
	}
	if (rc < 0)
		error_prefix(err, "arm '%s': ", arm->name);
	return rc;
}

int results_put_abtest(struct results *r, int64_t run_id, const char *mode,
		       const struct abtest *a, struct error *err)
{
	const char *purpose = "recording an A/B analysis";
	sqlite3_stmt *st = NULL, *row = NULL;
	int rc;

	if (!mode)
		mode = a->mode;
	rc = put_prepare(r, &st, "INSERT INTO ab_summary (run_id, mode, arm, ranker, n_t, n_c, "
			 "srm_chi2, srm_p, srm_flagged, alpha) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			 purpose, err);
	if (rc < 0)
		return error_prefix(err, "A/B mode '%s': ", mode);
	rc = db_prepare(r->db, &row, "INSERT INTO ab_rows (run_id, mode, arm, " AB_ROW_COLUMNS
			") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", purpose, err);
	for (size_t k = 0; rc == 0 && k < a->n_arms; k++)
		rc = put_ab_arm(r, st, row, run_id, mode, a, &a->arms[k], err);
	db_finalize(row);
	db_finalize(st);
	if (rc < 0)
		error_prefix(err, "A/B mode '%s': ", mode);
	return put_end(r, rc, err);
}

int results_each_abtest_mode(struct results *r, int64_t run_id,
			     int (*fn)(const char *mode, void *ctx), void *ctx,
			     struct error *err)
{
	return query(r, "SELECT mode FROM ab_summary WHERE run_id = ? GROUP BY mode "
		     "ORDER BY min(rowid)", "reading A/B modes", run_id, NULL, NULL, name_row,
		     (any_fn)fn, ctx, err);
}

static int ab_summary_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	struct abtest *a = ctx;
	struct abtest_arm *arm;

	(void)fn;
	if (a->n_arms >= sizeof(a->arms) / sizeof(a->arms[0]))
		return error_set(err, ERR_CORRUPT, "A/B mode '%s' has more than %zu treatment arms",
				 a->mode, sizeof(a->arms) / sizeof(a->arms[0]));
	arm = &a->arms[a->n_arms++];
	memset(arm, 0, sizeof(*arm));
	snprintf(arm->name, sizeof(arm->name), "%s", db_column_text(st, 0));
	snprintf(arm->ranker, sizeof(arm->ranker), "%s", db_column_text(st, 1));
	arm->n_treatment = (uint64_t)sqlite3_column_int64(st, 2);
	arm->n_control = (uint64_t)sqlite3_column_int64(st, 3);
	a->srm_chi2 = db_column_double_or_nan(st, 4);
	a->srm_p = db_column_double_or_nan(st, 5);
	a->srm_flagged = sqlite3_column_int(st, 6) != 0;
	a->alpha = sqlite3_column_double(st, 7);
	return 0;
}

static int ab_row_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	struct abtest_arm *a = ctx;
	struct abtest_row *m;
	struct stats_lift *l, *c;
	const char *kind = db_column_text(st, 1);
	int col = 0;

	(void)fn;
	if (a->n_rows >= sizeof(a->rows) / sizeof(a->rows[0]))
		return error_set(err, ERR_CORRUPT, "A/B arm '%s' has more than %zu metrics",
				 a->name, sizeof(a->rows) / sizeof(a->rows[0]));
	m = &a->rows[a->n_rows++];
	memset(m, 0, sizeof(*m));
	l = &m->lift;
	c = &m->cuped.adjusted;
	snprintf(m->name, sizeof(m->name), "%s", db_column_text(st, col++));
	col++;
	m->kind = !strcmp(kind, "ratio") ? ABTEST_RATIO
		: !strcmp(kind, "median") ? ABTEST_MEDIAN
		: !strcmp(kind, "aggregate") ? ABTEST_AGGREGATE : ABTEST_MEAN;
	m->estimable = sqlite3_column_int(st, col++) != 0;
	snprintf(m->why, sizeof(m->why), "%s", db_column_text(st, col++));
	l->t.n = (size_t)sqlite3_column_int64(st, col++);
	l->c.n = (size_t)sqlite3_column_int64(st, col++);
	l->t.mean = db_column_double_or_nan(st, col++);
	l->c.mean = db_column_double_or_nan(st, col++);
	l->t.sd = db_column_double_or_nan(st, col++);
	l->c.sd = db_column_double_or_nan(st, col++);
	l->t.var = l->t.sd * l->t.sd;
	l->c.var = l->c.sd * l->c.sd;
	l->diff = db_column_double_or_nan(st, col++);
	l->diff_lo = db_column_double_or_nan(st, col++);
	l->diff_hi = db_column_double_or_nan(st, col++);
	l->p = db_column_double_or_nan(st, col++);
	m->p_adjusted = db_column_double_or_nan(st, col++);
	l->rel = db_column_double_or_nan(st, col++);
	l->rel_lo = db_column_double_or_nan(st, col++);
	l->rel_hi = db_column_double_or_nan(st, col++);
	l->se = l->df = l->tstat = l->rel_se = NAN;
	m->has_cuped = sqlite3_column_type(st, col) != SQLITE_NULL;
	m->cuped.theta = db_column_double_or_nan(st, col++);
	m->cuped.variance_reduction = db_column_double_or_nan(st, col++);
	m->cuped.raw = *l;
	*c = *l;
	c->diff = db_column_double_or_nan(st, col++);
	c->diff_lo = db_column_double_or_nan(st, col++);
	c->diff_hi = db_column_double_or_nan(st, col++);
	c->p = db_column_double_or_nan(st, col++);
	m->mde = db_column_double_or_nan(st, col++);
	m->mde_rel = db_column_double_or_nan(st, col++);
	m->test = abtest_test_parse(db_column_text(st, col++));
	if (m->test == ABTEST_TESTS)
		return error_set(err, ERR_CORRUPT, "A/B row '%s' names an unknown test '%s'",
				 m->name, db_column_text(st, col - 1));
	m->in_family = sqlite3_column_int(st, col++) != 0;
	c->rel = db_column_double_or_nan(st, col++);
	c->rel_lo = db_column_double_or_nan(st, col++);
	c->rel_hi = db_column_double_or_nan(st, col++);
	if (m->test == ABTEST_TEST_CUPED && !m->has_cuped)
		return error_set(err, ERR_CORRUPT, "A/B row '%s' is tested with CUPED but holds "
				 "no CUPED lift", m->name);
	return 0;
}

int results_get_abtest(struct results *r, int64_t run_id, const char *mode,
		       struct abtest *out, struct error *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->alpha = NAN;
	snprintf(out->mode, sizeof(out->mode), "%s", mode);
	rc = query(r, "SELECT arm, ranker, n_t, n_c, srm_chi2, srm_p, srm_flagged, alpha "
		   "FROM ab_summary WHERE run_id = ? AND mode = ? ORDER BY rowid",
		   "reading an A/B summary", run_id, mode, NULL, ab_summary_row, NULL, out, err);
	if (rc < 0)
		return rc;
	if (out->n_arms == 0)
		return error_set(err, ERR_NOTFOUND, "no A/B analysis '%s' for run %lld in '%s'",
				 mode, (long long)run_id, db_path(r->db));
	for (size_t k = 0; rc == 0 && k < out->n_arms; k++)
		rc = query(r, "SELECT " AB_ROW_COLUMNS " FROM ab_rows WHERE run_id = ? AND mode = ? "
			   "AND arm = ? ORDER BY seq", "reading A/B rows", run_id, mode,
			   out->arms[k].name, ab_row_row, NULL, &out->arms[k], err);
	return rc;
}

int results_put_bias(struct results *r, int64_t run_id, const struct abtest_bias *b,
		     struct error *err)
{
	const char *purpose = "recording an interference bias";
	sqlite3_stmt *st;
	int rc;

	rc = put_prepare(r, &st, "INSERT INTO ab_bias (run_id, arm, metric, estimable, why, "
			 "n_split, n_twin, split_diff, twin_diff, bias, se, lo, hi, corr, alpha) "
			 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", purpose, err);
	if (rc < 0)
		return rc;
	for (size_t a = 0; rc == 0 && a < b->n_arms; a++)
		for (size_t i = 0; rc == 0 && i < b->arms[a].n_rows; i++) {
			const struct abtest_bias_row *x = &b->arms[a].rows[i];

			db_bind_int64(r->db, st, 1, run_id);
			db_bind_text(r->db, st, 2, b->arms[a].name);
			db_bind_text(r->db, st, 3, x->name);
			db_bind_int64(r->db, st, 4, x->estimable);
			db_bind_text(r->db, st, 5, x->why);
			db_bind_int64(r->db, st, 6, (int64_t)x->n_split);
			db_bind_int64(r->db, st, 7, (int64_t)x->n_twin);
			bind_num(r, st, 8, x->split_diff);
			bind_num(r, st, 9, x->twin_diff);
			bind_num(r, st, 10, x->bias);
			bind_num(r, st, 11, x->se);
			bind_num(r, st, 12, x->lo);
			bind_num(r, st, 13, x->hi);
			bind_num(r, st, 14, x->corr);
			db_bind_double(r->db, st, 15, b->alpha);
			rc = db_step_done(r->db, st, purpose, err);
			if (rc < 0)
				error_prefix(err, "arm '%s', metric '%s': ", b->arms[a].name, x->name);
		}
	db_finalize(st);
	return put_end(r, rc, err);
}

static int bias_row_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	struct abtest_bias *b = ctx;
	const char *arm = db_column_text(st, 0);
	struct abtest_bias_arm *a = NULL;
	struct abtest_bias_row *x;
	int col = 1;

	(void)fn;
	for (size_t i = 0; i < b->n_arms; i++)
		if (!strcmp(b->arms[i].name, arm))
			a = &b->arms[i];
	if (!a) {
		if (b->n_arms >= sizeof(b->arms) / sizeof(b->arms[0]))
			return error_set(err, ERR_CORRUPT, "ab_bias holds more than %zu arms",
					 sizeof(b->arms) / sizeof(b->arms[0]));
		a = &b->arms[b->n_arms++];
		snprintf(a->name, sizeof(a->name), "%s", arm);
	}
	if (a->n_rows >= sizeof(a->rows) / sizeof(a->rows[0]))
		return error_set(err, ERR_CORRUPT, "ab_bias arm '%s' holds more than %zu metrics",
				 arm, sizeof(a->rows) / sizeof(a->rows[0]));
	x = &a->rows[a->n_rows++];
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", db_column_text(st, col++));
	x->estimable = sqlite3_column_int(st, col++) != 0;
	snprintf(x->why, sizeof(x->why), "%s", db_column_text(st, col++));
	x->n_split = (size_t)sqlite3_column_int64(st, col++);
	x->n_twin = (size_t)sqlite3_column_int64(st, col++);
	x->split_diff = db_column_double_or_nan(st, col++);
	x->twin_diff = db_column_double_or_nan(st, col++);
	x->bias = db_column_double_or_nan(st, col++);
	x->se = db_column_double_or_nan(st, col++);
	x->lo = db_column_double_or_nan(st, col++);
	x->hi = db_column_double_or_nan(st, col++);
	x->corr = db_column_double_or_nan(st, col++);
	b->alpha = sqlite3_column_double(st, col++);
	return 0;
}

int results_get_bias(struct results *r, int64_t run_id, struct abtest_bias *out,
		     struct error *err)
{
	memset(out, 0, sizeof(*out));
	out->alpha = NAN;
	return query(r, "SELECT arm, metric, estimable, why, n_split, n_twin, split_diff, "
		     "twin_diff, bias, se, lo, hi, corr, alpha FROM ab_bias WHERE run_id = ? "
		     "ORDER BY seq", "reading the interference bias", run_id, NULL, NULL,
		     bias_row_row, NULL, out, err);
}

int results_put_slo(struct results *r, int64_t run_id, const struct slo_table *t,
		    struct error *err)
{
	const char *purpose = "recording an SLO row";
	sqlite3_stmt *st;
	int rc;

	rc = put_prepare(r, &st, "INSERT INTO slo_rows (run_id, name, observed, target, verdict, "
			 "note, value, limit_value, host_measured) VALUES (?, ?, ?, ?, ?, ?, ?, "
			 "?, ?)", purpose, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < t->n; i++) {
		const struct slo_row *s = &t->rows[i];

		db_bind_int64(r->db, st, 1, run_id);
		db_bind_text(r->db, st, 2, s->name);
		db_bind_text(r->db, st, 3, s->observed);
		db_bind_text(r->db, st, 4, s->target);
		db_bind_text(r->db, st, 5, verdict_db_name(s->verdict));
		db_bind_text(r->db, st, 6, s->note);
		/* A row without data has no measured value. */
		bind_num(r, st, 7, s->verdict == SLO_NO_DATA ? NAN : s->value);
		bind_num(r, st, 8, s->limit);
		db_bind_int64(r->db, st, 9, s->host_measured);
		rc = db_step_done(r->db, st, purpose, err);
		if (rc < 0)
			error_prefix(err, "SLO '%s': ", s->name);
	}
	db_finalize(st);
	return put_end(r, rc, err);
}

int results_put_conservation(struct results *r, int64_t run_id,
			     const struct results_conservation *rows, size_t n, struct error *err)
{
	const char *purpose = "recording the stream's conservation";
	sqlite3_stmt *st;
	int rc;

	rc = put_prepare(r, &st, "INSERT INTO stream_conservation (run_id, seq, outcome, events) "
			 "VALUES (?, ?, ?, ?)", purpose, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		db_bind_int64(r->db, st, 1, run_id);
		db_bind_int64(r->db, st, 2, (int64_t)i);
		db_bind_text(r->db, st, 3, rows[i].outcome);
		db_bind_int64(r->db, st, 4, rows[i].events);
		rc = db_step_done(r->db, st, purpose, err);
	}
	db_finalize(st);
	return put_end(r, rc, err);
}

int results_get_conservation(struct results *r, int64_t run_id,
			     struct results_conservation *rows, size_t cap, size_t *n,
			     struct error *err)
{
	const char *purpose = "reading the stream's conservation";
	sqlite3_stmt *st;
	int rc, s;

	*n = 0;
	if (db_prepare(r->db, &st, "SELECT outcome, events FROM stream_conservation "
		       "WHERE run_id = ? ORDER BY seq", purpose, err) < 0)
		return err->code;
	db_bind_int64(r->db, st, 1, run_id);
	rc = 0;
	while ((s = db_step(r->db, st, purpose, err)) == 1) {
		if (*n < cap) {
			snprintf(rows[*n].outcome_buf, sizeof(rows[*n].outcome_buf), "%s",
				 db_column_text(st, 0));
			rows[*n].outcome = rows[*n].outcome_buf;
			rows[*n].events = sqlite3_column_int64(st, 1);
			(*n)++;
		}
	}
	if (s < 0)
		rc = s;
	db_finalize(st);
	return rc;
}

static int slo_row_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	struct slo_table *t = ctx;
	struct slo_row *s;
	const char *verdict = db_column_text(st, 3);

	(void)fn;
	if (t->n >= sizeof(t->rows) / sizeof(t->rows[0]))
		return error_set(err, ERR_CORRUPT, "more than %zu SLO rows",
				 sizeof(t->rows) / sizeof(t->rows[0]));
	s = &t->rows[t->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", db_column_text(st, 0));
	snprintf(s->observed, sizeof(s->observed), "%s", db_column_text(st, 1));
	snprintf(s->target, sizeof(s->target), "%s", db_column_text(st, 2));
	s->verdict = !strcmp(verdict, "pass") ? SLO_PASS
		: !strcmp(verdict, "fail") ? SLO_FAIL : SLO_NO_DATA;
	snprintf(s->note, sizeof(s->note), "%s", db_column_text(st, 4));
	s->value = sqlite3_column_type(st, 5) == SQLITE_NULL ? 0 : sqlite3_column_double(st, 5);
	s->limit = db_column_double_or_nan(st, 6);
	s->host_measured = sqlite3_column_int(st, 7) != 0;
	return 0;
}

int results_get_slo(struct results *r, int64_t run_id, struct slo_table *t,
		    struct error *err)
{
	slo_init(t);
	return query(r, "SELECT name, observed, target, verdict, note, value, limit_value, "
		     "host_measured FROM slo_rows WHERE run_id = ? ORDER BY seq",
		     "reading SLO rows", run_id, NULL, NULL, slo_row_row, NULL, t, err);
}

int results_put_curve(struct results *r, int64_t run_id, const char *name, const double *x,
		      const double *y, const double *n, size_t len, struct error *err)
{
	const char *purpose = "recording a curve";
	sqlite3_stmt *st;
	int rc;

	rc = put_prepare(r, &st, "INSERT INTO curves (run_id, name, seq, i, x, y, n) VALUES "
			 "(?1, ?2, COALESCE((SELECT seq FROM curves WHERE run_id = ?1 AND name = ?2 "
			 "LIMIT 1), (SELECT COUNT(DISTINCT name) FROM curves WHERE run_id = ?1)), "
			 "?3, ?4, ?5, ?6)", purpose, err);
	if (rc < 0)
		return error_prefix(err, "curve '%s': ", name);
	for (size_t i = 0; rc == 0 && i < len; i++) {
		db_bind_int64(r->db, st, 1, run_id);
		db_bind_text(r->db, st, 2, name);
		db_bind_int64(r->db, st, 3, (int64_t)i);
		bind_num(r, st, 4, x[i]);
		bind_num(r, st, 5, y[i]);
		bind_num(r, st, 6, n ? n[i] : NAN);
		rc = db_step_done(r->db, st, purpose, err);
	}
	db_finalize(st);
	if (rc < 0)
		error_prefix(err, "curve '%s': ", name);
	return put_end(r, rc, err);
}

static int curve_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	struct results_curve *c = ctx;
	size_t cap = c->len;

	(void)fn;
	(void)err;
	/* Grow by doubling: len is only known once all rows are read. */
	if ((c->len & (c->len - 1)) == 0) {
		cap = c->len ? 2 * c->len : 1;
		c->x = xreallocarray(c->x, cap, sizeof(double));
		c->y = xreallocarray(c->y, cap, sizeof(double));
		c->n = xreallocarray(c->n, cap, sizeof(double));
	}
	c->x[c->len] = db_column_double_or_nan(st, 0);
	c->y[c->len] = db_column_double_or_nan(st, 1);
	c->n[c->len] = db_column_double_or_nan(st, 2);
	c->len++;
	return 0;
}

int results_get_curve(struct results *r, int64_t run_id, const char *name,
		      struct results_curve *out, struct error *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->name = xstrdup(name);
	rc = query(r, "SELECT x, y, n FROM curves WHERE run_id = ? AND name = ? ORDER BY i",
		   "reading a curve", run_id, name, NULL, curve_row, NULL, out, err);
	if (rc == 0 && out->len == 0)
		rc = error_set(err, ERR_NOTFOUND, "no curve '%s' for run %lld in '%s'", name,
			       (long long)run_id, db_path(r->db));
	if (rc < 0)
		results_curve_release(out);
	return rc;
}

void results_curve_release(struct results_curve *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->x);
	free(c->y);
	free(c->n);
	memset(c, 0, sizeof(*c));
}

int results_each_curve_name(struct results *r, int64_t run_id,
			    int (*fn)(const char *name, void *ctx), void *ctx,
			    struct error *err)
{
	return query(r, "SELECT name FROM curves WHERE run_id = ? GROUP BY name "
		     "ORDER BY MIN(seq)", "reading curve names", run_id, NULL, NULL, name_row,
		     (any_fn)fn, ctx, err);
}

int results_put_importance(struct results *r, int64_t run_id, const char *const *features,
			   const double *impurity, const double *permutation, size_t n,
			   struct error *err)
{
	const char *purpose = "recording feature importance";
	sqlite3_stmt *st;
	int rc;

	rc = put_prepare(r, &st, "INSERT INTO importance (run_id, feature, impurity, "
			 "permutation) VALUES (?, ?, ?, ?)", purpose, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		db_bind_int64(r->db, st, 1, run_id);
		db_bind_text(r->db, st, 2, features[i]);
		bind_num(r, st, 3, impurity[i]);
		bind_num(r, st, 4, permutation ? permutation[i] : NAN);
		rc = db_step_done(r->db, st, purpose, err);
		if (rc < 0)
			error_prefix(err, "feature '%s': ", features[i]);
	}
	db_finalize(st);
	return put_end(r, rc, err);
}

static int importance_row(sqlite3_stmt *st, any_fn fn, void *ctx, struct error *err)
{
	int (*cb)(const char *, double, double, void *) =
		(int (*)(const char *, double, double, void *))fn;

	(void)err;
	return cb(db_column_text(st, 0), db_column_double_or_nan(st, 1),
		  db_column_double_or_nan(st, 2), ctx);
}

int results_each_importance(struct results *r, int64_t run_id,
			    int (*fn)(const char *feature, double impurity, double permutation,
				      void *ctx),
			    void *ctx, struct error *err)
{
	return query(r, "SELECT feature, impurity, permutation FROM importance WHERE run_id = ? "
		     "ORDER BY seq", "reading feature importance", run_id, NULL, NULL,
		     importance_row, (any_fn)fn, ctx, err);
}
