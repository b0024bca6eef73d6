/*
 * Tests for engine/scorer.c (the scorer interface), engine/scorer_builtin.c
 * and the [ranker.NAME] sections end to end.
 *
 * airtime's own scorers answer through the same page as a plugin; a
 * scorer's NaN is refused when its scores are checked; [ranker.NAME]
 * sections are refused when their kind lacks its key or they take a
 * built-in's name, and a misspelt ranker name lists the scenario's.  Three
 * ways into one model: the forest trained in a run, the same model file as
 * `kind = forest`, as a C plugin (examples/rankers/forest_echo.c) and as a
 * Python process (examples/rankers/forest_echo.py) simulate the same run
 * bit for bit.  The example rankers (numpy logistic regression,
 * scikit-learn gradient boosting, the C plugin of docs/ranker-plugins.md)
 * run on a tiny scenario, in split and twin worlds.
 */
#include "engine/scorer.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "engine/scorer_builtin.h"
#include "results/results.h"
#include "results/schema.h"
#include "tests/check_main.h"
#include "tests/scorerfix.h"
#include "tests/tmpdir.h"

START_TEST(simulated_time_reads_as_day_and_clock)
{
	char buf[64];

	ck_assert_str_eq(scorer_format_time(0, buf, sizeof(buf)), "day 0 00:00:00.000");
	ck_assert_str_eq(scorer_format_time(8 * SIMTIME_DAY + 19 * SIMTIME_HOUR + 2 * SIMTIME_MIN +
						    13500 * SIMTIME_MS, buf, sizeof(buf)),
			 "day 8 19:02:13.500");
	ck_assert_str_eq(scorer_format_time(-SIMTIME_MS, buf, sizeof(buf)), "day -1 23:59:59.999");
}
END_TEST

static int truth(void *ctx, uint32_t user, const uint32_t *shows, size_t n, simtime now,
		 double *out, struct error *err)
{
	(void)ctx, (void)now, (void)err;
	for (size_t i = 0; i < n; i++)
		out[i] = (double)shows[i] + user;
	return 0;
}

/* The built-ins score the public page like any plugin. */
START_TEST(builtins_score_the_public_page)
{
	const struct airtime_page *p = scorerfix_page(SIMTIME_HOUR);
	struct scorer *h = scorer_heuristic_new(), *pop = scorer_popularity_new(0, 2);
	struct scorer *rnd = scorer_random_new(5), *orc = scorer_oracle_new(truth, NULL, 16);
	struct scorer_cost cost = { 0 };
	struct error err;
	double s[5], again[5];

	ck_assert(!scorer_needs_features(h) && scorer_needs_features(pop));
	ck_assert(!scorer_has_fit(h) && scorer_host_ns(h) == NULL);
	/* heuristic: declared topics 3 and 1 first, then by start */
	ck_assert_int_eq(scorer_score(h, p, s, &cost, &err), 0);
	ck_assert(s[1] > s[3] && s[3] > s[0] && s[0] > s[2] && s[2] > s[4]);
	/* popularity: column 2 (live listeners here) + listens / (listens + 1) of column 0 */
	ck_assert_int_eq(scorer_score(pop, p, s, &cost, &err), 0);
	ck_assert(s[0] == 0.5 && s[1] == 1.5 && s[4] == 4.0);
	/* random: a stream per request id, the same again */
	ck_assert_int_eq(scorer_score(rnd, p, s, &cost, &err), 0);
	ck_assert_int_eq(scorer_score(rnd, p, again, &cost, &err), 0);
	ck_assert(!memcmp(s, again, sizeof(s)) && s[0] != s[1]);
	ck_assert_int_eq(scorer_score(orc, p, s, &cost, &err), 0);
	ck_assert(s[4] == 14 + 7);
	ck_assert_uint_eq(cost.trees + cost.nodes_visited + cost.service_ns, 0);
	scorer_free(h);
	scorer_free(pop);
	scorer_free(rnd);
	scorer_free(orc);
}
END_TEST

static int nan_score(void *self, const struct airtime_page *p, double *out,
		     struct scorer_cost *cost, struct error *err)
{
	(void)self, (void)cost, (void)err;
	for (uint32_t i = 0; i < p->n; i++)
		out[i] = i == 3 ? -INFINITY : 1.0;
	return 0;
}

START_TEST(checked_scorers_refuse_what_is_not_finite)
{
	static const struct scorer_ops ops = { .kind = "test", .score = nan_score };
	struct scorer *s = scorer_wrap("inf", &ops, NULL, SCORER_CHECKED | SCORER_TIMED);
	struct scorer_cost cost = { 0 };
	struct error err;
	double out[5];

	ck_assert_int_eq(scorer_score(s, scorerfix_page(SIMTIME_DAY), out, &cost, &err), ERR_RUN);
	ck_assert_str_eq(err.msg, "ranker 'inf' failed at day 1 00:00:00.000 (a page of 5 "
				  "candidates for user 7): score -inf for candidate 3 (show 13); "
				  "every score must be finite");
	ck_assert_uint_eq(hist_count(scorer_host_ns(s)), 1);
	scorer_free(s);
}
END_TEST

/* config_load's message for a scenario of `ini`, or "" when it loads. */
static const char *load_msg(const char *ini, const char *set)
{
	static struct error err;
	struct config *cfg = xmalloc(sizeof(*cfg));
	const char *sets[1] = { set };
	struct scenario *sc = scenario_parse(&config_schema, ini, "t.ini", sets, set ? 1 : 0, &err);

	if (sc && config_load(cfg, sc, &err) == 0)
		err.msg[0] = '\0';
	scenario_free(sc);
	free(cfg);
	return err.msg;
}

START_TEST(ranker_sections_are_checked)
{
	ck_assert_str_eq(load_msg("[ranker.forest]\nkind = exec\ncommand = x\n", NULL),
			 "t.ini:1: [ranker.forest] is named like airtime's own scorer 'forest': "
			 "choose another name");
	ck_assert_str_eq(load_msg("[ranker.m]\nkind = plugin\n", NULL),
			 "t.ini:1: missing key 'path' in [ranker.m]: kind = plugin needs it");
	ck_assert_str_eq(load_msg("[ranker.m]\nkind = forest\nmodel = f\ncommand = x\n", NULL),
			 "t.ini:4: key 'command' in [ranker.m] is for kind = exec; this ranker is "
			 "kind = forest");
	ck_assert_str_eq(load_msg("[ranker.m]\npath = x\n", NULL),
			 "t.ini:1: missing required key 'kind' in [ranker.m]");
	ck_assert_str_eq(load_msg("[ranker.py_gbm]\nkind = exec\ncommand = x\n",
				  "ab.treatment=xgboost"),
			 "--set ab.treatment=xgboost: bad value 'xgboost' for [ab] treatment: "
			 "expected one of forest, heuristic, popularity, random, oracle, the name "
			 "of a [ranker.NAME] section (this scenario has py_gbm)");
	ck_assert_str_eq(load_msg("[ab]\ncontrol = mine\n[ranker.mine]\nkind = exec\ncommand = x\n"
				  "option.a = 1\noption.a = 2\n", NULL),
			 "t.ini:7: duplicate key 'option.a' in [ranker.mine] (first set at line 6)");
	ck_assert_str_eq(load_msg("[ab]\ncontrol = mine\n[ranker.mine]\nkind = exec\ncommand = x\n",
				  "ranker.mine.option.l2=0.1"), "");
}
END_TEST

/* [ab] treatment = a ranker fills RANK_SCORER_COUNT + its index, and
 * options keep their order, a --set replacing in place or appending. */
START_TEST(rankers_fill_their_config)
{
	struct config *cfg = xmalloc(sizeof(*cfg));
	const char *sets[] = { "ranker.b.option.y=3", "ranker.b.option.new=4" };
	struct error err;
	struct scenario *sc = scenario_parse(&config_schema,
					     "[ranker.a]\nkind = plugin\npath = p.so\n"
					     "[ranker.b]\nkind = exec\ncommand = run me\n"
					     "option.x = 1\noption.y = 2\ntimeout = 250ms\n"
					     "[ab]\ntreatment = b\ncontrol = a\n",
					     "t.ini", sets, 2, &err);

	ck_assert_msg(sc != NULL, "%s", err.msg);
	ck_assert_msg(config_load(cfg, sc, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(cfg->n_rankers, 2);
	ck_assert_int_eq(cfg->ab.treatment, RANK_SCORER_COUNT + 1);
	ck_assert_int_eq(cfg->ab.control, RANK_SCORER_COUNT);
	ck_assert_str_eq(config_scorer_name(cfg, RANK_SCORER_COUNT + 1), "b");
	ck_assert_int_eq(config_scorer_from_name(cfg, "a"), RANK_SCORER_COUNT);
	ck_assert_int_eq(config_scorer_from_name(cfg, "random"), RANK_RANDOM);
	ck_assert_int_eq(config_ranker_of(cfg, RANK_FOREST), -1);
	ck_assert_int_eq(cfg->rankers[1].kind, SCORER_EXEC);
	ck_assert_str_eq(cfg->rankers[1].command, "run me");
	ck_assert_int_eq(cfg->rankers[1].timeout, 250 * SIMTIME_MS);
	ck_assert_int_eq(cfg->rankers[1].cost_per_candidate, 2);
	ck_assert_uint_eq(cfg->rankers[1].n_options, 3);
	ck_assert_str_eq(cfg->rankers[1].options[0].key, "x");
	ck_assert_str_eq(cfg->rankers[1].options[1].value, "3");
	ck_assert_str_eq(cfg->rankers[1].options[2].key, "new");
	ck_assert_uint_eq(cfg->rankers[0].n_options, 0);
	scenario_free(sc);
	free(cfg);
}
END_TEST

static char *run_dir(const char *name)
{
	return tmpdir_path(name);
}

/* The built-in forest of a run, the same model file loaded as kind =
 * forest, the C plugin and the Python process reading it: the same
 * simulated run, bit for bit (all but what only a training writes). */
START_TEST(three_ways_into_one_model_simulate_the_same_run)
{
	char *a = run_dir("builtin"), *dirs[3], *dumps[4], *ini;
	static const char *const kinds[3] = { "file_forest", "c_forest", "py_forest" };
	struct run_summary sum;
	struct error err;

	ck_assert_msg(scorerfix_run(NULL, NULL, 0, a, &sum, &err) == 0, "%s", err.msg);
	dumps[0] = scorerfix_dump(a);
	ini = xasprintf("[ranker.file_forest]\nkind = forest\nmodel = %s/model.forest\n"
			"[ranker.c_forest]\nkind = plugin\npath = %s\noption.model = %s/model.forest\n"
			"[ranker.py_forest]\nkind = exec\n"
			"command = " SCORERFIX_PYTHON " examples/rankers/forest_echo.py\n"
			"option.model = %s/model.forest\n",
			a, SCORERFIX_EXAMPLE("forest_echo"), a, a);
	for (int i = 0; i < 3; i++) {
		char set[64];
		const char *sets[1] = { set };

		snprintf(set, sizeof(set), "ab.treatment=%s", kinds[i]);
		dirs[i] = run_dir(kinds[i]);
		ck_assert_msg(scorerfix_run(ini, sets, 1, dirs[i], &sum, &err) == 0, "%s: %s",
			      kinds[i], err.msg);
		dumps[i + 1] = scorerfix_dump(dirs[i]);
		ck_assert_msg(strlen(dumps[i + 1]) > 10000 && !strcmp(dumps[0], dumps[i + 1]),
			      "%s simulates another run than the built-in forest", kinds[i]);
	}
	for (int i = 0; i < 4; i++)
		free(dumps[i]);
	for (int i = 0; i < 3; i++)
		free(dirs[i]);
	free(ini);
	free(a);
	ck_assert(!scorerfix_has_children());
}
END_TEST

/* A histogram's count in run `run` of dir/results.db, -1 when absent. */
static long long hist_n(const char *dir, int64_t run, enum schema_id id, const char *part)
{
	char *path = xasprintf("%s/results.db", dir), *name = schema_key(id, part);
	struct results *r;
	struct results_hist_summary h;
	struct error err;
	long long n = -1;

	r = results_open_readonly(path, &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	if (results_get_hist_summary(r, run, name, &h, &err) == 0)
		n = (long long)h.count;
	results_close(r);
	free(path);
	free(name);
	return n;
}

static bool report_has(const char *dir, const char *text)
{
	char *path = xasprintf("%s/report.md", dir), line[1024];
	FILE *f = fopen(path, "r");
	bool found = false;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, text) != NULL;
	fclose(f);
	free(path);
	return found;
}

/* The numpy logistic regression learns from the warm-up and ranks its arm;
 * its host time is in results.db and the report. */
START_TEST(the_logreg_example_runs)
{
	static const char *const sets[] = { "ab.treatment=py_logreg" };
	char *out = run_dir("logreg");
	struct run_summary sum;
	struct error err;

	ck_assert_msg(scorerfix_run("[ranker.py_logreg]\nkind = exec\ncommand = " SCORERFIX_PYTHON
				    " examples/rankers/logreg.py\noption.l2 = 0.01\n",
				    sets, 1, out, &sum, &err) == 0, "%s", err.msg);
	ck_assert_int_gt(hist_n(out, 1, SCHEMA_HIST_HOST_RANKER, "py_logreg"), 100);
	ck_assert_int_eq(hist_n(out, 1, SCHEMA_HIST_HOST_FIT, "py_logreg"), 1);
	ck_assert(report_has(out, "Your rankers (host measurement)"));
	ck_assert(report_has(out, "py_logreg (fit)"));
	free(out);
}
END_TEST

/* The manual's C plugin (docs/ranker-plugins.md) learns and ranks its arm. */
START_TEST(the_cell_rate_plugin_example_runs)
{
	static const char *const sets[] = { "ab.treatment=cells", "ranker.cells.option.prior=10" };
	char *out = run_dir("cells");
	char *ini = xasprintf("[ranker.cells]\nkind = plugin\npath = %s\n",
			      SCORERFIX_EXAMPLE("cell_rate"));
	struct run_summary sum;
	struct error err;

	ck_assert_msg(scorerfix_run(ini, sets, 2, out, &sum, &err) == 0, "%s", err.msg);
	ck_assert_int_gt(hist_n(out, 1, SCHEMA_HIST_HOST_RANKER, "cells"), 100);
	ck_assert_int_eq(hist_n(out, 1, SCHEMA_HIST_HOST_FIT, "cells"), 1);
	free(ini);
	free(out);
}
END_TEST

/* The scikit-learn ranker, in twin worlds: started in the treatment world
 * only, its standard error kept in that world's directory. */
START_TEST(the_gbm_example_runs_in_twin_worlds)
{
	static const char *const sets[] = { "ab.treatment=py_gbm", "ab.mode=twin" };
	char *out = run_dir("gbm"), *err_file;
	struct run_summary sum;
	struct error err;
	struct stat st;

	ck_assert_msg(scorerfix_run("[ranker.py_gbm]\nkind = exec\ncommand = " SCORERFIX_PYTHON
				    " examples/rankers/gbm.py\noption.max_iter = 20\n",
				    sets, 2, out, &sum, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(hist_n(out, 1, SCHEMA_HIST_HOST_RANKER, "py_gbm"), -1);
	ck_assert_int_gt(hist_n(out, 2, SCHEMA_HIST_HOST_RANKER, "py_gbm"), 100);
	err_file = xasprintf("%s/world-treatment/rankers/py_gbm.stderr", out);
	ck_assert_int_eq(stat(err_file, &st), 0);
	free(err_file);
	free(out);
}
END_TEST

static void setup(void)
{
	tmpdir_setup();
	setenv("TMPDIR", tmpdir, 1);
}

static void add(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, tmpdir_teardown);
	tcase_add_test(tc, simulated_time_reads_as_day_and_clock);
	tcase_add_test(tc, builtins_score_the_public_page);
	tcase_add_test(tc, checked_scorers_refuse_what_is_not_finite);
	tcase_add_test(tc, ranker_sections_are_checked);
	tcase_add_test(tc, rankers_fill_their_config);
	tcase_add_test(tc, three_ways_into_one_model_simulate_the_same_run);
	tcase_add_test(tc, the_logreg_example_runs);
	tcase_add_test(tc, the_cell_rate_plugin_example_runs);
	tcase_add_test(tc, the_gbm_example_runs_in_twin_worlds);
}

CHECK_MAIN("scorer", add, 120)
