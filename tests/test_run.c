/* Tests for eval/run.c: a run end to end on tiny worlds: the run directory,
 * determinism of results.db, A/A coverage, the oracle's lift, bad input. */
#include "eval/run.h"

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "results/results.h"
#include "results/rundir.h"
#include "results/schema.h"
#include "stats/abtest.h"
#include "tests/check_main.h"
#include "tests/scenfile.h"
#include "tests/tmpdir.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A tiny world: a few hundred users for 1 + 1 days, small forest. */
static const char *const tiny[] = {
	"world.users=400",      "world.creators=60",   "run.warmup_days=1",
	"run.experiment_days=1", "model.trees=10",     "model.sample_sessions=100%",
	"spike.promo.start=30h", "spike.promo.magnitude=200", "batch.firehose_interval=1h",
};
#define TINY_N (sizeof(tiny) / sizeof(tiny[0]))

static struct scenario *load(const char *const *extra, size_t n_extra)
{
	const char *sets[32];
	struct scenario *sc;
	struct error err;
	size_t n = 0;

	for (size_t i = 0; i < TINY_N; i++)
		sets[n++] = tiny[i];
	for (size_t i = 0; i < n_extra; i++)
		sets[n++] = extra[i];
	sc = scenario_load(&config_schema, "scenarios/default.ini", sets, n, &err);
	if (!sc)
		ck_abort_msg("loading the tiny scenario: %s", err.msg);
	return sc;
}

static int run_into(const char *const *extra, size_t n_extra, const char *out,
		    struct run_summary *sum, struct error *err)
{
	struct scenario *sc = load(extra, n_extra);
	struct run_options o = { .out = out };
	int rc = run_execute(sc, &o, sum, err);

	scenario_free(sc);
	return rc;
}

static bool exists(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

/* Metric `name` (a schema row; a pattern's '*' filled with `part`) of the
 * first run in DIR/results.db; NaN when absent. */
static double metric_of(const char *dir, enum schema_id name, const char *part)
{
	char *path = xasprintf("%s/results.db", dir), *key = schema_key(name, part ? part : "");
	struct error err;
	struct results *r = results_open_readonly(path, &err);
	double v = NAN;

	ck_assert_msg(r != NULL, "%s", err.msg);
	if (results_get_metric(r, 1, key, NULL, &v, &err) < 0)
		v = NAN;
	results_close(r);
	free(key);
	free(path);
	return v;
}

static double metric(const char *dir, enum schema_id name)
{
	return metric_of(dir, name, NULL);
}

START_TEST(run_writes_a_self_describing_directory)
{
	char out[128];
	struct run_summary sum;
	struct error err;

	snprintf(out, sizeof(out), "%s/run", tmpdir);
	ck_assert_int_eq(run_into(NULL, 0, out, &sum, &err), 0);
	ck_assert_str_eq(sum.dir, out);
	ck_assert(exists(out, "results.db"));
	ck_assert(exists(out, "scenario.ini"));
	ck_assert(exists(out, "overrides.txt"));
	ck_assert(exists(out, "seed"));
	ck_assert(exists(out, "online.log"));
	ck_assert(exists(out, "model.forest"));
	ck_assert(exists(out, "features.db"));
	ck_assert(exists(out, "lake"));
	ck_assert(exists(out, "report.html"));
	ck_assert(exists(out, "report.md"));
	ck_assert_uint_gt(sum.events, 1000);
	ck_assert_uint_gt(sum.slo_pass, 0);
	/* Nothing lost on either path: the stream settled every event, and the
	 * lake holds every event the firehose accepted. */
	ck_assert_double_eq(metric(out, SCHEMA_METRIC_STREAM_UNSETTLED), 0);
	ck_assert_double_eq(metric(out, SCHEMA_METRIC_STREAM_PUBLISHED),
			    metric(out, SCHEMA_METRIC_EVENTS));
	ck_assert_double_eq(metric(out, SCHEMA_METRIC_BATCH_LAKE_EVENTS),
			    metric(out, SCHEMA_METRIC_BATCH_ACCEPTED));
	ck_assert_double_ge(metric(out, SCHEMA_METRIC_BATCH_SUCCESSES), 1);
	/* The batch features the ranker served equal the offline store's
	 * as-known-at values at the same instants: no training/serving skew. */
	ck_assert_double_gt(metric_of(out, SCHEMA_METRIC_SKEW_FOUND, "user"), 0);
	ck_assert_double_eq(metric_of(out, SCHEMA_METRIC_SKEW_MISMATCH, "user"), 0);
	ck_assert_double_eq(metric_of(out, SCHEMA_METRIC_SKEW_MISMATCH, "creator"), 0);
	ck_assert_double_eq(metric_of(out, SCHEMA_METRIC_SKEW_MISMATCH, "user_topic"), 0);
	ck_assert_double_eq(metric_of(out, SCHEMA_METRIC_SKEW_MISMATCH, "user_creator"), 0);
}
END_TEST

/* Everything simulated in results.db, as text, in a fixed order.  Host
 * measurements (timings, host metrics and histograms, wall times, dates)
 * are left out: they are the only things allowed to differ. */
static char *dump(const char *db_path)
{
	static const char *const queries[] = {
		"SELECT name, arm, value, unit FROM metrics WHERE kind = 'sim' "
		"ORDER BY name, arm",
		"SELECT name, bucket, count, sum, min, max, last, p50, p90, p99 FROM series "
		"ORDER BY name, bucket",
		"SELECT name, count, mean, p50, p99, max FROM hist_summary "
		"WHERE name NOT LIKE 'host%' ORDER BY name",
		"SELECT mode, metric, n_t, n_c, mean_t, mean_c, diff, diff_lo, diff_hi, p, rel "
		"FROM ab_rows ORDER BY mode, metric",
		"SELECT name, observed, verdict FROM slo_rows WHERE host_measured = 0 "
		"ORDER BY name",
		"SELECT key, value FROM run_info ORDER BY key",
		"SELECT feature, impurity FROM importance ORDER BY feature",
		"SELECT seed, scenario_text, overrides FROM runs ORDER BY run_id",
	};
	sqlite3 *db;
	size_t len = 0, cap = 0;
	char *text = NULL;

	ck_assert_int_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
		sqlite3_stmt *st;

		ck_assert_msg(sqlite3_prepare_v2(db, queries[q], -1, &st, NULL) == SQLITE_OK,
			      "%s: %s", queries[q], sqlite3_errmsg(db));
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(st); c++) {
				const unsigned char *v = sqlite3_column_text(st, c);
				size_t k = v ? strlen((const char *)v) : 4;

				XGROW(text, len + k + 2, cap);
				memcpy(text + len, v ? (const char *)v : "NULL", k);
				len += k;
				text[len++] = c + 1 < sqlite3_column_count(st) ? '|' : '\n';
			}
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	XGROW(text, len + 1, cap);
	text[len] = '\0';
	return text;
}

/* Run the test scenario twice (overrides sa, then sb; no plots, which
 * are not results) and dump both results.db (host measurements aside)
 * into *ta, *tb (caller frees). */
static void run_twice(const char *const *sa, size_t na, const char *const *sb, size_t nb,
		      char **ta, char **tb)
{
	const char *xa[16], *xb[16];
	char a[128], b[128], db[160];
	struct run_summary sum;
	struct error err;

	ck_assert_uint_lt(na, 15);
	ck_assert_uint_lt(nb, 15);
	for (size_t i = 0; i < na; i++)
		xa[i] = sa[i];
	for (size_t i = 0; i < nb; i++)
		xb[i] = sb[i];
	xa[na++] = xb[nb++] = "report.plots=false";
	snprintf(a, sizeof(a), "%s/a", tmpdir);
	snprintf(b, sizeof(b), "%s/b", tmpdir);
	ck_assert_msg(run_into(xa, na, a, &sum, &err) == 0, "%s", err.msg);
	ck_assert_msg(run_into(xb, nb, b, &sum, &err) == 0, "%s", err.msg);
	snprintf(db, sizeof(db), "%s/results.db", a);
	*ta = dump(db);
	snprintf(db, sizeof(db), "%s/results.db", b);
	*tb = dump(db);
	ck_assert_uint_gt(strlen(*ta), 10000);
}

START_TEST(same_scenario_and_seed_give_identical_results)
{
	char *ta, *tb;

	run_twice(NULL, 0, NULL, 0, &ta, &tb);
	ck_assert_msg(strcmp(ta, tb) == 0, "two runs with the same seed differ");
	free(ta);
	free(tb);
}
END_TEST

/* The same under the mnl session model, whose continuations schedule
 * pages from inside listens, and on three scoring threads. */
START_TEST(mnl_sessions_give_identical_results)
{
	static const char *const mnl[] = {
		"behaviour.choice_model=mnl", "behaviour.no_choice_mass=0.01",
		"behaviour.scroll_screens=2", "behaviour.continue_rate=100%",
		"behaviour.engage_delay=30min", "model.scoring_threads=3",
	};
	char *ta, *tb;

	run_twice(mnl, 6, mnl, 6, &ta, &tb);
	ck_assert_msg(strcmp(ta, tb) == 0, "two mnl runs with the same seed differ");
	free(ta);
	free(tb);
}
END_TEST

START_TEST(another_seed_gives_other_results)
{
	static const char *const seed2[] = { "run.seed=2" };
	char *ta, *tb;

	run_twice(NULL, 0, seed2, 1, &ta, &tb);
	ck_assert(strcmp(ta, tb) != 0);
	free(ta);
	free(tb);
}
END_TEST

/* A/A: both arms run the heuristic, so every difference is noise and the
 * 95 % interval of engagement covers 0 with probability 0.95 per seed.
 * Over 30 seeds the number of covering intervals is Binomial(30, 0.95):
 * mean 28.5, sd 1.19.  Requiring >= 24 fails with probability 0.06 % for a
 * correct procedure; an anti-conservative one (e.g. a pooled test on
 * correlated data) is caught with probability 39 % at a true coverage of
 * 80 %, 65 % at 75 % and 84 % at 70 %.
 *
 * One test case per seed (a tiny run each, far from any timeout, however
 * busy the machine): each records in aa_tally whether its interval covered
 * 0; aa_intervals_cover_zero, registered after them, counts. */
#define AA_SEEDS 30
static char aa_tally[64];

static void aa_setup(void)
{
	snprintf(aa_tally, sizeof(aa_tally), "/tmp/airtime-aa-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(aa_tally));
}

static void aa_teardown(void)
{
	ck_assert_int_eq(rundir_remove_tree(aa_tally, NULL), 0);
}

START_TEST(aa_interval_of_one_seed)
{
	char seed[32], out[128], mark[128];
	const char *extra[] = { "ab.treatment=heuristic", seed, "report.plots=false" };
	struct run_summary sum;
	struct error err;
	FILE *f;

	snprintf(seed, sizeof(seed), "run.seed=%d", _i);
	snprintf(out, sizeof(out), "%s/aa", tmpdir);
	ck_assert_msg(run_into(extra, 3, out, &sum, &err) == 0, "%s", err.msg);
	snprintf(mark, sizeof(mark), "%s/seed-%02d", aa_tally, _i);
	f = fopen(mark, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%d\n", sum.engagement_lo <= 0 && 0 <= sum.engagement_hi);
	ck_assert_int_eq(fclose(f), 0);
}
END_TEST

START_TEST(aa_intervals_cover_zero)
{
	int covered = 0, seeds = 0;

	for (int s = 1; s <= AA_SEEDS; s++) {
		char mark[128];
		FILE *f;
		int c;

		snprintf(mark, sizeof(mark), "%s/seed-%02d", aa_tally, s);
		if (!(f = fopen(mark, "r")))
			continue;
		if (fscanf(f, "%d", &c) == 1) {
			covered += c;
			seeds++;
		}
		fclose(f);
	}
	ck_assert_msg(seeds == AA_SEEDS, "%d of %d seeds ran (see aa_interval_of_one_seed)", seeds,
		      AA_SEEDS);
	ck_assert_msg(covered >= 24, "%d of %d A/A intervals cover 0", covered, seeds);
}
END_TEST

/* Significance says only what the printed interval says, on every row of
 * a sample of tiny runs ([ab] mode = both, the oracle against the
 * heuristic, one seed per case): read back from results.db, a significant
 * row's interval (its own test's) excludes 0; in the Holm family the test's
 * p < alpha exactly when the interval excludes 0; outside it the flag is
 * the interval.  The report bolds exactly the significant rows, and the
 * interference bias is stored with an interval around it. */
#define FLAG_SEEDS 4

static int mode_name_cb(const char *mode, void *ctx)
{
	char (*modes)[16] = ctx;

	for (int i = 0; i < 2; i++)
		if (!modes[i][0]) {
			snprintf(modes[i], sizeof(modes[i]), "%s", mode);
			return 0;
		}
	return 0;
}

START_TEST(flags_agree_with_intervals_in_tiny_runs)
{
	char seed[32], out[128], modes[2][16] = { "", "" };
	const char *extra[] = { "ab.mode=both", "ab.treatment=oracle", seed,
				"report.plots=false", "world.users=1200" };
	struct abtest *a = xcalloc(1, sizeof(*a));
	struct abtest_bias *b = xcalloc(1, sizeof(*b));
	struct run_summary sum;
	struct error err;
	struct results *r;
	size_t sig = 0, bold = 0, estimable = 0;
	char *path, *md;
	FILE *f;
	long len;

	snprintf(seed, sizeof(seed), "run.seed=%d", 40 + _i);
	snprintf(out, sizeof(out), "%s/flags", tmpdir);
	ck_assert_msg(run_into(extra, 5, out, &sum, &err) == 0, "%s", err.msg);
	path = xasprintf("%s/results.db", out);
	r = results_open_readonly(path, &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	ck_assert_int_eq(results_each_abtest_mode(r, 1, mode_name_cb, modes, &err), 0);
	ck_assert_str_eq(modes[0], "split");
	ck_assert_str_eq(modes[1], "twin");
	for (int m = 0; m < 2; m++) {
		ck_assert_int_eq(results_get_abtest(r, 1, modes[m], a, &err), 0);
		for (size_t i = 0; i < a->arms[0].n_rows; i++) {
			const struct abtest_row *row = &a->arms[0].rows[i];
			const struct stats_lift *l = abtest_tested(row);
			bool flag = abtest_significant(a, row), out0 = l->diff_lo > 0 || l->diff_hi < 0;

			if (!row->estimable)
				continue;
			estimable++;
			sig += flag;
			ck_assert_msg(!flag || out0, "%s %s: flagged, interval holds 0", modes[m],
				      row->name);
			if (row->in_family)
				ck_assert_msg((l->p < a->alpha) == out0, "%s %s (%s): p %g, [%g, %g]",
					      modes[m], row->name, abtest_test_name(row->test), l->p,
					      l->diff_lo, l->diff_hi);
			else
				ck_assert_msg(flag == out0 && isnan(row->p_adjusted), "%s %s",
					      modes[m], row->name);
			if (!strcmp(modes[m], "split") && row->kind == ABTEST_MEAN)
				ck_assert_int_eq(row->test, ABTEST_TEST_CUPED);
		}
		/* the exposure rows are there, in both modes */
		ck_assert_ptr_nonnull(abtest_find(&a->arms[0], "intra_list_diversity"));
		ck_assert(abtest_find(&a->arms[0], "creator_exposure_gini")->estimable);
	}
	ck_assert_int_eq(results_get_bias(r, 1, b, &err), 0);
	ck_assert_uint_eq(b->n_arms, 1);
	for (size_t i = 0; i < b->arms[0].n_rows; i++) {
		const struct abtest_bias_row *x = &b->arms[0].rows[i];

		ck_assert(x->estimable);
		ck_assert(x->lo <= x->bias && x->bias <= x->hi);
		ck_assert_double_eq_tol(x->bias, x->split_diff - x->twin_diff, 1e-12);
	}
	results_close(r);
	free(path);
	/* the report bolds the significant rows of the A/B tables, no others */
	path = xasprintf("%s/report.md", out);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	md = xcalloc((size_t)len + 1, 1);
	ck_assert_uint_eq(fread(md, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	for (const char *p = md; (p = strstr(p, "\n| **")) != NULL; p++)
		bold++;
	ck_assert_uint_eq(bold, sig);
	ck_assert_ptr_nonnull(strstr(md, "Twin intervals are conditional on the drawn world"));
	ck_assert_ptr_nonnull(strstr(md, "interference bias [CI]"));
	/* not vacuous: the oracle moves something, and not everything */
	ck_assert_uint_gt(sig, 0);
	ck_assert_uint_lt(sig, estimable);
	free(md);
	free(path);
	free(a);
	free(b);
}
END_TEST

/* The oracle ranks by the true engagement probability: against the
 * heuristic it must win clearly even on a small world. */
START_TEST(oracle_beats_the_heuristic)
{
	const char *extra[] = { "ab.treatment=oracle", "world.users=3000",
				"run.experiment_days=3" };
	char out[128];
	struct run_summary sum;
	struct error err;

	snprintf(out, sizeof(out), "%s/oracle", tmpdir);
	ck_assert_msg(run_into(extra, 3, out, &sum, &err) == 0, "%s", err.msg);
	ck_assert_double_gt(sum.engagement_lo, 0);
	ck_assert_double_gt(sum.listening_lo, 0);
}
END_TEST

START_TEST(a_non_empty_out_is_refused_untouched)
{
	char out[128], keep[160];
	struct run_summary sum;
	struct error err;
	FILE *f;

	snprintf(out, sizeof(out), "%s/full", tmpdir);
	ck_assert_int_eq(mkdir(out, 0755), 0);
	snprintf(keep, sizeof(keep), "%s/keep.txt", out);
	f = fopen(keep, "w");
	ck_assert_ptr_nonnull(f);
	fputs("precious\n", f);
	fclose(f);
	ck_assert_int_eq(run_into(NULL, 0, out, &sum, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, out));
	ck_assert(exists(out, "keep.txt"));
	ck_assert(!exists(out, "results.db"));
}
END_TEST

/* A run that fails midway (here: the forest cannot be trained because no
 * impression is logged) leaves no run directory behind. */
START_TEST(a_failed_run_leaves_nothing)
{
	const char *extra[] = { "model.sample_sessions=0%" };
	char out[128];
	struct run_summary sum;
	struct error err;

	snprintf(out, sizeof(out), "%s/failed", tmpdir);
	ck_assert_int_ne(run_into(extra, 1, out, &sum, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot train the forest"));
	ck_assert_ptr_nonnull(strstr(err.msg, "[model] sample_sessions = 0% "
					      "(--set model.sample_sessions=0%)"));
	ck_assert(access(out, F_OK) != 0);
}
END_TEST

/* Export a run's event stream, replay it through the pipeline: the same
 * events reach the stream and the lake, and no behaviour model runs. */
START_TEST(trace_export_and_replay)
{
	char out[128], trace[128], replay[128];
	struct scenario *sc = load(NULL, 0);
	struct run_options o = { 0 };
	struct run_summary sum, sum2;
	struct error err;

	snprintf(out, sizeof(out), "%s/exported", tmpdir);
	snprintf(trace, sizeof(trace), "%s/t.csv", tmpdir);
	snprintf(replay, sizeof(replay), "%s/replayed", tmpdir);
	o.out = out;
	o.trace_out = trace;
	o.trace_out_csv = true;
	o.no_report = true;
	ck_assert_msg(run_execute(sc, &o, &sum, &err) == 0, "%s", err.msg);
	ck_assert(!exists(out, "report.html"));
	memset(&o, 0, sizeof(o));
	o.out = replay;
	o.trace_in = trace;
	ck_assert_msg(run_execute(sc, &o, &sum2, &err) == 0, "%s", err.msg);
	/* Listens still under way at the horizon end after it; those events
	 * are past the replay's horizon and counted, not replayed. */
	ck_assert_uint_le(sum2.events, sum.events);
	ck_assert_uint_ge(sum2.events + 200, sum.events);
	ck_assert_double_eq(metric(replay, SCHEMA_METRIC_STREAM_PUBLISHED), (double)sum2.events);
	ck_assert_double_eq(metric(replay, SCHEMA_METRIC_BATCH_LAKE_EVENTS), (double)sum2.events);
	ck_assert_double_eq(metric(replay, SCHEMA_METRIC_SESSIONS),
			    metric(out, SCHEMA_METRIC_SESSIONS));
	ck_assert_double_eq(metric(replay, SCHEMA_METRIC_REQUESTS),
			    metric(out, SCHEMA_METRIC_SESSIONS));
	scenario_free(sc);
}
END_TEST

/* The stream's conservation rows of DIR's first run, by outcome. */
static int64_t conservation(const char *dir, const char *outcome)
{
	char *path = xasprintf("%s/results.db", dir);
	struct results_conservation rows[16];
	struct error err;
	struct results *r = results_open_readonly(path, &err);
	int64_t v = -1;
	size_t n;

	ck_assert_msg(r != NULL, "%s", err.msg);
	ck_assert_msg(results_get_conservation(r, 1, rows, 16, &n, &err) == 0, "%s", err.msg);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].outcome, outcome))
			v = rows[i].events;
	results_close(r);
	free(path);
	ck_assert_msg(v >= 0 || !strcmp(outcome, "unaccounted"), "no row '%s'", outcome);
	return v;
}

/* Issue 18: 20 % of worker batches fail (every failed message comes back
 * after its visibility timeout); the conservation table accounts for every
 * published event exactly once: nothing lost, nothing counted twice, and
 * the data-loss objective passes. */
START_TEST(conservation_under_worker_failures)
{
	static const char *const extra[] = { "faults.batch_failure_rate=20%",
					     "stream.max_receive_count=50" };
	struct run_summary sum;
	struct error err;
	char out[128];
	int64_t published, settled;

	snprintf(out, sizeof(out), "%s/failures", tmpdir);
	ck_assert_msg(run_into(extra, 2, out, &sum, &err) == 0, "%s", err.msg);
	published = conservation(out, "published");
	settled = conservation(out, "filtered") + conservation(out, "rejected") +
		  conservation(out, "applied") + conservation(out, "ignored") +
		  conservation(out, "dead_lettered") + conservation(out, "expired") +
		  conservation(out, "in_flight");
	ck_assert_int_gt(published, 0);
	ck_assert_int_eq(settled, published);
	ck_assert_int_eq(conservation(out, "unaccounted"), 0);
	ck_assert_int_eq(conservation(out, "dead_lettered"), 0);
	ck_assert_int_eq(conservation(out, "expired"), 0);
	ck_assert_int_eq(conservation(out, "in_flight"), 0);
	ck_assert_int_eq(conservation(out, "reapplied_beyond_dedup"), 0);
	ck_assert_double_eq(metric(out, SCHEMA_METRIC_STREAM_APPLIED),
			    (double)conservation(out, "applied"));
	ck_assert_double_gt(metric(out, SCHEMA_METRIC_STREAM_BATCH_FAILURES), 0);
	for (size_t i = 0; i < sum.slo_failed.n; i++)
		ck_assert_msg(!strstr(sum.slo_failed.rows[i].name, "data loss"), "%s",
			      sum.slo_failed.rows[i].observed);
}
END_TEST

/* Issue 18: with 2 receives before dead-lettering and a store outage,
 * feature events went to the dead-letter queue while every SLO passed and
 * the reflection p99 improved.  Now the data-loss objective fails (exit
 * 3 at the CLI), and the lost events are in the reflection sample as never
 * fresh. */
START_TEST(lost_events_fail_the_data_loss_objective)
{
	static const char *const extra[] = { "stream.max_receive_count=2",
					     "faults.store_outage_start=18h",
					     "faults.store_outage_end=20h" };
	struct run_summary sum;
	struct error err;
	char out[128];
	bool named = false;

	snprintf(out, sizeof(out), "%s/loss", tmpdir);
	ck_assert_msg(run_into(extra, 3, out, &sum, &err) == 0, "%s", err.msg);
	ck_assert_int_gt(conservation(out, "dead_lettered"), 0);
	ck_assert_int_eq(conservation(out, "unaccounted"), 0);
	for (size_t i = 0; i < sum.slo_failed.n; i++)
		named |= strstr(sum.slo_failed.rows[i].name, "data loss") != NULL;
	ck_assert_msg(named, "the data-loss objective did not fail");
	ck_assert_double_eq(metric(out, SCHEMA_METRIC_STREAM_DEAD),
			    (double)conservation(out, "dead_lettered"));
}
END_TEST

/* A progress callback that kills its own process (SIGKILL: nothing runs
 * after it, as after kill -9) once the second world is past its warm-up
 * end, so checkpoints exist and the first world is finished. */
static void die_after_training(void *ctx, const struct run_progress *p)
{
	(void)ctx;
	if (p->world_index == p->worlds && p->now > 30 * SIMTIME_HOUR)
		kill(getpid(), SIGKILL);
}

/* The one hidden temporary directory under parent, or NULL. */
static char *temp_dir_in(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *de;
	char *found = NULL;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp-")) {
			ck_assert_ptr_null(found);
			found = xasprintf("%s/%s", parent, de->d_name);
		}
	closedir(d);
	return found;
}

/* Issue 18: a run killed (SIGKILL) after its trainings leaves its hidden
 * directory with checkpoints; the next run in the same place names it
 * (and removes a dead run's directory without checkpoints);
 * run --resume continues it, and results.db is the uninterrupted run's,
 * bit for bit (.ci/simdump, every simulated table), with the same model
 * file.  Twin worlds: the first finished before the kill is replayed,
 * the second resumes from its checkpoint. */
START_TEST(a_killed_run_resumes_to_the_same_bits)
{
	static const char *const extra[] = { "ab.mode=twin" };
	char whole[128], parent[128], killed[192], other[192], *tmp, *cmd;
	struct run_summary sum;
	struct error err;
	struct scenario *sc;
	struct run_options o = { 0 };
	pid_t pid;
	int status;

	snprintf(whole, sizeof(whole), "%s/whole", tmpdir);
	ck_assert_msg(run_into(extra, 1, whole, &sum, &err) == 0, "%s", err.msg);
	snprintf(parent, sizeof(parent), "%s/runs", tmpdir);
	ck_assert_int_eq(mkdir(parent, 0777), 0);
	snprintf(killed, sizeof(killed), "%s/killed", parent);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		sc = load(extra, 1);
		o.out = killed;
		o.progress = die_after_training;
		run_execute(sc, &o, &sum, &err);
		_exit(0);   /* not reached: killed first */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert(access(killed, F_OK) != 0);
	tmp = temp_dir_in(parent);
	ck_assert_ptr_nonnull(tmp);
	ck_assert(exists(tmp, RUNDIR_CHECKPOINT "/phase"));
	ck_assert(exists(tmp, RUNDIR_CHECKPOINT "/world1-training0.forest"));
	/* a dead run without checkpoints: removed by the next run */
	snprintf(other, sizeof(other), "%s/.gone.tmp-ABCDEF", parent);
	ck_assert_int_eq(mkdir(other, 0777), 0);
	cmd = xasprintf("echo 99999 > %s/" RUNDIR_LOCK, other);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	/* the next run in the same place reports it and leaves it */
	{
		char next[192];

		snprintf(next, sizeof(next), "%s/next", parent);
		ck_assert_msg(run_into(NULL, 0, next, &sum, &err) == 0, "%s", err.msg);
		ck_assert_msg(strstr(sum.notes, "--resume") && strstr(sum.notes, tmp), "%s",
			      sum.notes);
		ck_assert_msg(strstr(sum.notes, "removed stale run directory"), "%s", sum.notes);
		ck_assert(access(other, F_OK) != 0);
		ck_assert(access(tmp, F_OK) == 0);
	}
	sc = rundir_load_scenario(tmp, &err);
	ck_assert_msg(sc != NULL, "%s", err.msg);
	memset(&o, 0, sizeof(o));
	o.resume = tmp;
	ck_assert_msg(run_execute(sc, &o, &sum, &err) == 0, "%s", err.msg);
	scenario_free(sc);
	ck_assert_str_eq(sum.dir, killed);
	ck_assert(!exists(killed, RUNDIR_CHECKPOINT));
	ck_assert(!exists(killed, RUNDIR_LOCK));
	cmd = xasprintf("sh .ci/simdump %s/results.db > %s/a.txt && sh .ci/simdump %s/results.db > "
			"%s/b.txt && cmp -s %s/a.txt %s/b.txt && cmp -s %s/model.forest "
			"%s/model.forest", whole, tmpdir, killed, tmpdir, tmpdir, tmpdir, whole, killed);
	ck_assert_msg(system(cmd) == 0, "the resumed run differs: %s", cmd);
	free(cmd);
	free(tmp);
}
END_TEST

START_TEST(a_malformed_trace_runs_nothing)
{
	char trace[128], out[128];
	struct scenario *sc = load(NULL, 0);
	struct run_options o = { 0 };
	struct run_summary sum;
	struct error err;
	FILE *f;

	snprintf(trace, sizeof(trace), "%s/bad.csv", tmpdir);
	snprintf(out, sizeof(out), "%s/never", tmpdir);
	f = fopen(trace, "w");
	ck_assert_ptr_nonnull(f);
	fputs("id,emit_time_us,type,user,show,creator,session,topic,position,source,value\n"
	      "1,0,app_open,3,,,0,,,none,0\n"
	      "2,x,like,3,1,1,,1,,none,0\n", f);
	fclose(f);
	o.out = out;
	o.trace_in = trace;
	ck_assert_int_eq(run_execute(sc, &o, &sum, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "bad.csv:3"));
	ck_assert_ptr_nonnull(strstr(err.msg, "emit_time_us"));
	ck_assert(access(out, F_OK) != 0);
	scenario_free(sc);
}
END_TEST

/* An output directory that cannot be made is bad input (exit 2), and
 * leaves nothing. */
START_TEST(an_unwritable_out_is_bad_input)
{
	char out[160];
	struct run_summary sum;
	struct error err;
	FILE *f;

	/* A regular file where a parent directory should be: fails as root too. */
	snprintf(out, sizeof(out), "%s/file", tmpdir);
	f = fopen(out, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	snprintf(out, sizeof(out), "%s/file/run", tmpdir);
	ck_assert_int_eq(run_into(NULL, 0, out, &sum, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "file"));
}
END_TEST

/* Nothing at all in the test directory (no run, no hidden .tmp- sibling). */
static void assert_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		ck_assert_msg(!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."),
			      "'%s' left in %s", de->d_name, dir);
	closedir(d);
}

/* Run the scenario file `text` (with the tiny overrides); it must fail with
 * ERR_INPUT naming the file's `line` and `what`, leaving nothing. */
static void expect_run_error(const char *text, const char *const *extra, size_t n_extra,
			     int line, const char *what)
{
	const char *sets[32];
	struct run_options o = { 0 };
	struct run_summary sum;
	struct scenfile f;
	struct error err;
	char out[128];
	size_t n = 0;

	for (size_t i = 0; i < TINY_N; i++)
		sets[n++] = tiny[i];
	for (size_t i = 0; i < n_extra; i++)
		sets[n++] = extra[i];
	scenfile_load(&f, text, sets, n);
	snprintf(out, sizeof(out), "%s/never", tmpdir);
	o.out = out;
	ck_assert_int_eq(run_execute(f.sc, &o, &sum, &err), ERR_INPUT);
	if (line > 0)
		scenfile_expect(&f, err.msg, line, what);
	else
		ck_assert_msg(!strncmp(err.msg, what, strlen(what)), "'%s' does not start with '%s'",
			      err.msg, what);
	assert_empty(tmpdir);
	scenfile_release(&f);
}

/* Problems a module finds after parsing name file, line and key, and are
 * found before the run directory exists: [ab] control = forest (no model
 * in the warm-up), a rule between [endpoint] keys, [model] max_leaves. */
START_TEST(late_scenario_errors_name_the_line_and_create_nothing)
{
	static const char *const min30[] = { "endpoint.min_instances=30" };

	expect_run_error("[ab]\ncontrol = forest\n[spike.promo]\n", NULL, 0, 2,
			 "bad value 'forest' for [ab] control");
	expect_run_error("[spike.promo]\n[model]\nmax_leaves = 1\n", NULL, 0, 3,
			 "value '1' out of range for [model] max_leaves");
	expect_run_error("[spike.promo]\n[endpoint]\nmax_instances = 3\n", min30, 1, 0,
			 "--set endpoint.min_instances=30: value '30' out of range for [endpoint] "
			 "min_instances: must be at most [endpoint] max_instances = 3");
}
END_TEST

/* [model] mtry is checked against the ranker's features once the world is
 * built, after the run directory was begun: it is removed again. */
START_TEST(mtry_above_the_features_leaves_nothing)
{
	expect_run_error("[spike.promo]\n\n[model]\nmtry = 900\n", NULL, 0, 4,
			 "value '900' out of range for [model] mtry: must be at most");
}
END_TEST

/* A replay has no simulator truth: [ab] control = oracle is refused with
 * its line before anything is created. */
START_TEST(replay_refuses_the_oracle_control_by_line)
{
	struct run_options o = { 0 };
	struct run_summary sum;
	struct scenfile f;
	struct error err;
	char trace[128], outdir[128], out[160];
	FILE *t;

	snprintf(trace, sizeof(trace), "%s/t.csv", tmpdir);
	snprintf(outdir, sizeof(outdir), "%s/out", tmpdir);
	snprintf(out, sizeof(out), "%s/never", outdir);
	ck_assert_int_eq(mkdir(outdir, 0755), 0);
	t = fopen(trace, "w");
	ck_assert_ptr_nonnull(t);
	fputs("id,emit_time_us,type,user,show,creator,session,topic,position,source,value\n"
	      "1,0,app_open,3,,,0,,,none,0\n", t);
	ck_assert_int_eq(fclose(t), 0);
	scenfile_load(&f, "[run]\nwarmup_days = 1\n[ab]\ncontrol = oracle\n", NULL, 0);
	o.out = out;
	o.trace_in = trace;
	ck_assert_int_eq(run_execute(f.sc, &o, &sum, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 4, "bad value 'oracle' for [ab] control: a replayed trace");
	assert_empty(outdir);
	scenfile_release(&f);
	/* the same control written as the first of [ab] arms */
	scenfile_load(&f, "[run]\nwarmup_days = 1\n[ab]\narms = oracle, forest, heuristic\n",
		      NULL, 0);
	ck_assert_int_eq(run_execute(f.sc, &o, &sum, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 4, "bad value 'oracle, forest, heuristic' for [ab] arms: "
				       "the control (the first arm) is 'oracle', but a replayed trace");
	assert_empty(outdir);
	scenfile_release(&f);
}
END_TEST

/* run_check (airtime validate) applies the same checks. */
START_TEST(run_check_applies_the_run_checks)
{
	struct scenfile f;
	struct error err;

	scenfile_load(&f, "[rank]\nmax_candidates = 5\n", NULL, 0);
	ck_assert_int_eq(run_check(f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 2, "[rank] max_candidates: must be at least [rank] k = 20");
	scenfile_release(&f);
	scenfile_load(&f, "[spike.promo]\n", NULL, 0);
	ck_assert_msg(run_check(f.sc, &err) == 0, "%s", err.msg);
	scenfile_release(&f);
	/* the decision's metrics are rows of the analysis */
	scenfile_load(&f, "[ab]\nprimary = likes\nguardrails = sessions:2%, clicks:1%\n", NULL, 0);
	ck_assert_int_eq(run_check(f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 3, "[ab] guardrails: unknown metric 'clicks' in the "
				       "guardrails");
	scenfile_release(&f);
	scenfile_load(&f, "[ab]\nprimary = engagement\n", NULL, 0);
	ck_assert_int_eq(run_check(f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 2, "[ab] primary: unknown metric 'engagement'");
	scenfile_release(&f);
	/* every slot a user may scroll to must come back from the ranker */
	scenfile_load(&f, "[behaviour]\nchoice_model = mnl\nscroll_screens = 3\n", NULL, 0);
	ck_assert_int_eq(run_check(f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 3, "[behaviour] scroll_screens: [behaviour] page_size x "
				       "scroll_screens = 10 x 3 = 30 slots must fit in [rank] k = 20");
	scenfile_release(&f);
	scenfile_load(&f, "[rank]\nk = 25\n[behaviour]\nchoice_model = mnl\nscroll_screens = 3\n",
		      NULL, 0);
	ck_assert_int_eq(run_check(f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 2, "value '25' out of range for [rank] k: must be at least "
				       "[behaviour] page_size x scroll_screens = 10 x 3 = 30");
	scenfile_release(&f);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, an_unwritable_out_is_bad_input);
	tcase_add_test(tc, trace_export_and_replay);
	tcase_add_test(tc, a_malformed_trace_runs_nothing);
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, run_writes_a_self_describing_directory);
	tcase_add_test(tc, same_scenario_and_seed_give_identical_results);
	tcase_add_test(tc, mnl_sessions_give_identical_results);
	tcase_add_test(tc, another_seed_gives_other_results);
	tcase_add_test(tc, oracle_beats_the_heuristic);
	tcase_add_test(tc, a_non_empty_out_is_refused_untouched);
	tcase_add_test(tc, a_failed_run_leaves_nothing);
	tcase_add_test(tc, late_scenario_errors_name_the_line_and_create_nothing);
	tcase_add_test(tc, mtry_above_the_features_leaves_nothing);
	tcase_add_test(tc, run_check_applies_the_run_checks);
	tcase_add_test(tc, replay_refuses_the_oracle_control_by_line);
	tcase_add_test(tc, conservation_under_worker_failures);
	tcase_add_test(tc, lost_events_fail_the_data_loss_objective);
	tcase_add_test(tc, a_killed_run_resumes_to_the_same_bits);
}

static Suite *suite(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("run");

	tcase_set_timeout(tc, 300);
	add_tests(tc);
	suite_add_tcase(s, tc);
	tc = tcase_create("aa");
	tcase_set_timeout(tc, 300);
	tcase_add_unchecked_fixture(tc, aa_setup, aa_teardown);
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_loop_test(tc, aa_interval_of_one_seed, 1, AA_SEEDS + 1);
	tcase_add_test(tc, aa_intervals_cover_zero);
	suite_add_tcase(s, tc);
	tc = tcase_create("flags");
	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_loop_test(tc, flags_agree_with_intervals_in_tiny_runs, 0, FLAG_SEEDS);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN_SUITE(suite)
