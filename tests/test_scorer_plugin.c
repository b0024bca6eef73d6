/*
 * Tests for engine/scorer_plugin.c: rankers loaded with dlopen.
 *
 * Each way a plugin can be unusable (no entry symbol, another API version,
 * a short function table, no score(), create() refusing, a file that is
 * not there) is one line naming the ranker and the file; each way it can
 * fail on a page (NaN, a score left unwritten, an error with and without a
 * message) names the ranker, the page's simulated time and what was wrong;
 * a crash inside a plugin kills airtime (checked on a forked airtime
 * process: the run directory is not made).  fit() receives exactly the rows
 * the forest trains on: their count and a checksum agree with the
 * impression log the forest was trained from.
 */
#include "engine/scorer_plugin.h"

#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "eval/implog.h"
#include "eval/worldrun.h"
#include "results/results.h"
#include "results/schema.h"
#include "tests/check_main.h"
#include "tests/scorerfix.h"
#include "tests/tmpdir.h"

/* The message of a plugin that cannot be made. */
static void expect_refused(const char *plugin, const char *mode, const char *want)
{
	struct scorer_config cfg;
	struct scorer_env env;
	struct error err;

	scorerfix_config(&cfg, "mine", SCORER_PLUGIN, plugin, mode);
	scorerfix_env(&env, tmpdir);
	ck_assert_ptr_null(scorer_new_ranker(&cfg, &env, &err));
	ck_assert_msg(strstr(err.msg, "ranker 'mine'") && strstr(err.msg, plugin) &&
			      strstr(err.msg, want) && !strchr(err.msg, '\n'),
		      "%s: %s", plugin, err.msg);
	if (!mode)  /* what can be checked before a run, without create() */
		ck_assert_int_eq(scorer_check_ranker(&cfg, &err), ERR_INPUT);
}

START_TEST(unusable_plugins_are_named_with_their_file)
{
	expect_refused(SCORERFIX_PLUGIN("nosym"), NULL, "has no symbol 'airtime_scorer_v1'");
	expect_refused(SCORERFIX_PLUGIN("v2"), NULL,
		       "built for scorer API version 2; this airtime speaks version 1");
	expect_refused(SCORERFIX_PLUGIN("small"), NULL, "a function table of 16 bytes");
	expect_refused(SCORERFIX_PLUGIN("noscore"), NULL, "has no score()");
	expect_refused(TEST_BUILD "/tests/plugins/libnothere.so", NULL, "cannot load plugin");
	expect_refused(SCORERFIX_PLUGIN("misbehave"), "create",
		       "create() of plugin '" SCORERFIX_PLUGIN("misbehave")
		       "' failed: refused: no model for world 0");
}
END_TEST

/* Score the fixture page at 1 day 19:02:13.5 with a misbehaving plugin. */
static void expect_page_error(const char *mode, const char *want)
{
	struct scorer_config cfg;
	struct scorer_env env;
	struct scorer_cost cost = { 0 };
	struct scorer *s;
	struct error err;
	double scores[5];
	simtime t = SIMTIME_DAY + 19 * SIMTIME_HOUR + 2 * SIMTIME_MIN + 13500 * SIMTIME_MS;

	scorerfix_config(&cfg, "mine", SCORER_PLUGIN, SCORERFIX_PLUGIN("misbehave"), mode);
	scorerfix_env(&env, tmpdir);
	s = scorer_new_ranker(&cfg, &env, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_lt(scorer_score(s, scorerfix_page(t), scores, &cost, &err), 0);
	ck_assert_msg(strstr(err.msg, "ranker 'mine' failed at day 1 19:02:13.500") &&
			      strstr(err.msg, "(a page of 5 candidates for user 7)") &&
			      strstr(err.msg, want),
		      "%s: %s", mode, err.msg);
	scorer_free(s);
}

START_TEST(a_bad_page_names_the_ranker_the_time_and_the_problem)
{
	expect_page_error("nan", "score NaN for candidate 2 (show 12); every score must be finite");
	expect_page_error("unwritten", "score() wrote no score for candidate 4 (show 14)");
	expect_page_error("error", "score(): model not ready");
	expect_page_error("silent", "score(): score() returned 7 without a message");
}
END_TEST

/* A plugin that works: scores, cost, host time, fit. */
START_TEST(a_plugin_scores_and_is_charged_its_cost)
{
	struct scorer_config cfg;
	struct scorer_env env;
	struct scorer_cost cost = { 0 };
	struct scorer *s;
	struct error err;
	double scores[5];
	struct airtime_training_set t = { 0 };

	scorerfix_config(&cfg, "mine", SCORER_PLUGIN, SCORERFIX_PLUGIN("misbehave"), "ok");
	cfg.cost_per_candidate = 3;
	scorerfix_env(&env, tmpdir);
	s = scorer_new_ranker(&cfg, &env, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert(scorer_has_fit(s) && scorer_needs_features(s));
	ck_assert_str_eq(scorer_kind_name(s), "plugin");
	ck_assert_int_eq(scorer_score(s, scorerfix_page(SIMTIME_HOUR), scores, &cost, &err), 0);
	for (int i = 0; i < 5; i++)
		ck_assert(scores[i] == -(double)i);
	ck_assert_uint_eq(cost.service_ns, 5 * 3000);
	ck_assert_uint_eq(hist_count(scorer_host_ns(s)), 1);
	ck_assert_int_eq(scorer_fit(s, &t, SIMTIME_DAY, &err), 0);
	scorer_free(s);

	scorerfix_config(&cfg, "mine", SCORER_PLUGIN, SCORERFIX_PLUGIN("misbehave"), "fit");
	s = scorer_new_ranker(&cfg, &env, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_lt(scorer_fit(s, &t, SIMTIME_DAY, &err), 0);
	ck_assert_str_eq(err.msg, "ranker 'mine' failed to fit at day 1 00:00:00.000 (0 training "
				  "rows): fit(): cannot fit 0 rows");
	scorer_free(s);
}
END_TEST

/* A crash inside a plugin is airtime's crash: the run is killed with it
 * and no run directory appears (only the hidden temporary sibling
 * rundir.h documents for a process killed outright). */
START_TEST(a_crash_in_a_plugin_kills_airtime)
{
	char *ini = tmpdir_path("crash.ini"), *out = tmpdir_path("run");
	FILE *f = fopen(ini, "w");
	struct stat st;
	int status;
	pid_t pid;

	ck_assert_ptr_nonnull(f);
	fprintf(f, "[ranker.crash]\nkind = plugin\npath = %s\noption.mode = crash\n"
		   "[ab]\ncontrol = crash\n[world]\nusers = 300\ncreators = 60\n"
		   "[run]\nwarmup_days = 1\nexperiment_days = 1\n[report]\nplots = false\n",
		SCORERFIX_PLUGIN("misbehave"));
	fclose(f);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		freopen("/dev/null", "w", stderr);
		execl(TEST_BUILD "/airtime", "airtime", "run", ini, "--out", out, "--quiet",
		      (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer reports the SEGV and exits 1 */
	ck_assert_msg(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 1),
		      "status %d", status);
#else
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status %d", status);
#endif
	ck_assert_int_ne(stat(out, &st), 0);
	free(ini);
	free(out);
}
END_TEST

/* FNV-1a 64 as tests/plugins/fitcheck.c computes it. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* A metric of run 1 of r. */
static double metric(struct results *r, enum schema_id id)
{
	struct error err;
	double v = NAN;

	ck_assert_msg(results_get_metric(r, 1, schema_name(id), NULL, &v, &err) == 0, "%s",
		      err.msg);
	return v;
}

/* fit() gets exactly the forest's training rows: one world with a forest
 * treatment and a plugin control that records its fits, retrained once.
 * The last fit's row count and positive labels are the last training's
 * (training.rows, training.positives); its rows are the first ones of the
 * impression log (rows are only appended, and joined once, in place),
 * compared cell by cell through a checksum (labels change later when a
 * tune-in arrives after the training, so they are compared as counted
 * when it happened). */
START_TEST(fit_receives_the_rows_the_forest_trains_on)
{
	char *rec = tmpdir_path("fits.txt"), *dir = tmpdir_path("world");
	char *ini = xasprintf("[ranker.rec]\nkind = plugin\npath = %s\noption.out = %s\n"
			      "[ab]\ncontrol = rec\ntreatment = forest\n",
			      SCORERFIX_PLUGIN("fitcheck"), rec);
	const char *sets[] = { "world.users=300", "world.creators=60", "run.warmup_days=1",
			       "run.experiment_days=1", "model.trees=5",
			       "model.sample_sessions=100%", "model.retrain_every=12h" };
	struct config *cfg = xmalloc(sizeof(*cfg));
	struct results_run run = { .run_key = "", .name = "t", .scenario_text = "",
				   .overrides = "" };
	struct scenario *sc;
	struct worldrun *w;
	struct results *res;
	const struct implog *log;
	struct error err;
	char line[256], last[256] = "";
	unsigned long long rows = 0, h = 0;
	unsigned nf = 0;
	double positives = -1;
	int props = -1, fits = 0;
	int64_t id;
	uint64_t want = 0xcbf29ce484222325ULL;
	FILE *f;

	ck_assert_int_eq(mkdir(dir, 0777), 0);
	sc = scenario_parse(&config_schema, ini, "fit.ini", sets, sizeof(sets) / sizeof(sets[0]),
			    &err);
	ck_assert_msg(sc != NULL, "%s", err.msg);
	ck_assert_msg(config_load(cfg, sc, &err) == 0, "%s", err.msg);
	w = worldrun_new(cfg, sc, WORLDRUN_SPLIT, "split", dir, NULL, NULL, &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	ck_assert_msg(worldrun_execute(w, &err) == 0, "%s", err.msg);
	res = results_open(":memory:", &err);
	ck_assert_ptr_nonnull(res);
	ck_assert_int_eq(results_begin_run(res, &run, &id, &err), 0);
	ck_assert_msg(worldrun_store(w, res, id, &err) == 0, "%s", err.msg);

	f = fopen(rec, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		fits++;
		memcpy(last, line, sizeof(line));
	}
	fclose(f);
	ck_assert_int_eq(fits, 2);   /* the warm-up's end, one retrain at 36h */
	ck_assert_int_eq(metric(res, SCHEMA_METRIC_TRAINING_RUNS), 2);
	ck_assert_int_eq(sscanf(last, "%llu %u %llx %lf %d", &rows, &nf, &h, &positives, &props), 5);
	ck_assert_uint_gt(rows, 100);
	ck_assert(rows == metric(res, SCHEMA_METRIC_TRAINING_ROWS));
	ck_assert(positives == metric(res, SCHEMA_METRIC_TRAINING_POSITIVES));
	ck_assert_int_eq(props, 0);   /* no propensities yet */
	log = worldrun_implog(w);
	ck_assert_uint_ge(implog_rows(log), rows);
	ck_assert_uint_eq(nf, implog_stride(log));
	for (size_t r = 0; r < rows; r++) {
		want = mix(want, implog_features(log) + r * implog_stride(log), nf * sizeof(float));
		want = mix(want, &implog_positions(log)[r], sizeof(uint16_t));
		want = mix(want, &implog_users(log)[r], sizeof(uint32_t));
		want = mix(want, &implog_shows(log)[r], sizeof(uint32_t));
		want = mix(want, &implog_times(log)[r], sizeof(int64_t));
	}
	ck_assert_msg(h == want, "checksum %llx, the training set's %" PRIx64, h, want);
	results_close(res);
	worldrun_free(w);
	scenario_free(sc);
	free(cfg);
	free(ini);
	free(rec);
	free(dir);
}
END_TEST

static void add(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, unusable_plugins_are_named_with_their_file);
	tcase_add_test(tc, a_bad_page_names_the_ranker_the_time_and_the_problem);
	tcase_add_test(tc, a_plugin_scores_and_is_charged_its_cost);
	tcase_add_test(tc, a_crash_in_a_plugin_kills_airtime);
	tcase_add_test(tc, fit_receives_the_rows_the_forest_trains_on);
}

CHECK_MAIN("scorer_plugin", add, 120)
