/* Retention end to end ([retention] in sim/behaviour.c, the return and
 * day-N metrics of stats/metrics.c, their A/B rows in stats/abtest.c):
 * a ranker that gives better pages (the oracle against random, twin
 * worlds) brings users back more (more sessions, more returns per
 * session, a significant sessions lift); an A/A (the same ranker in both
 * twin worlds) shows exactly none, and a split A/A no significant one. */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "eval/run.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

/* A small run of scenarios/default.ini: 600 users for 1 + 3 days
 * without history, the given A/B design; returns results.db's path. */
static char *retention_run_with(const char *name, const char *mode, const char *control,
				const char *treatment, const char *extra)
{
	char m[64], c[64], t[64];
	const char *sets[] = {
		"world.users=600",       "world.creators=60",       "run.warmup_days=1",
		"run.experiment_days=3", "run.history_days=0",      "model.trees=5",
		"spike.promo.start=30h", "spike.promo.magnitude=50", "report.plots=false",
		m, c, t, extra,
	};
	struct run_options ro = { 0 };
	struct run_summary sum;
	struct error err = { 0 };
	struct scenario *sc;
	char *out = xasprintf("%s/%s", tmpdir, name), *db;

	snprintf(m, sizeof(m), "ab.mode=%s", mode);
	snprintf(c, sizeof(c), "ab.control=%s", control);
	snprintf(t, sizeof(t), "ab.treatment=%s", treatment);
	sc = scenario_load(&config_schema, "scenarios/default.ini", sets,
			   sizeof(sets) / sizeof(sets[0]) - (extra == NULL), &err);
	if (!sc)
		ck_abort_msg("scenario: %s", err.msg);
	ro.out = out;
	if (run_execute(sc, &ro, &sum, &err) < 0)
		ck_abort_msg("run: %s", err.msg);
	scenario_free(sc);
	db = xasprintf("%s/results.db", out);
	free(out);
	return db;
}

static char *retention_run(const char *name, const char *mode, const char *control,
			   const char *treatment)
{
	return retention_run_with(name, mode, control, treatment, NULL);
}

struct row {
	double diff, lo, hi, p, mean_t, mean_c;
	int estimable;
};

static struct row ab_row(sqlite3 *db, const char *mode, const char *metric)
{
	sqlite3_stmt *st;
	struct row r;

	ck_assert_int_eq(sqlite3_prepare_v2(db,
		"select diff, diff_lo, diff_hi, p, mean_t, mean_c, estimable from ab_rows "
		"where mode = ?1 and metric = ?2", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, mode, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
	ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "no %s row %s", mode, metric);
	r.diff = sqlite3_column_double(st, 0);
	r.lo = sqlite3_column_double(st, 1);
	r.hi = sqlite3_column_double(st, 2);
	r.p = sqlite3_column_double(st, 3);
	r.mean_t = sqlite3_column_double(st, 4);
	r.mean_c = sqlite3_column_double(st, 5);
	r.estimable = sqlite3_column_int(st, 6);
	sqlite3_finalize(st);
	return r;
}

/* A world counter of run (1 = control world, 2 = treatment world). */
static double counter(sqlite3 *db, int run, const char *name)
{
	sqlite3_stmt *st;
	double v;

	ck_assert_int_eq(sqlite3_prepare_v2(db,
		"select value from metrics where run_id = ?1 and name = ?2 and arm = 'all'", -1,
		&st, NULL), SQLITE_OK);
	sqlite3_bind_int(st, 1, run);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "no counter %s of run %d", name, run);
	v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

static sqlite3 *open_db(const char *path)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

START_TEST(better_pages_bring_users_back)
{
	char *path = retention_run("better", "twin", "random", "oracle");
	sqlite3 *db = open_db(path);
	struct row s = ab_row(db, "twin", "sessions");
	double rc = counter(db, 1, "sessions.returns"), sc = counter(db, 1, "sessions");
	double rt = counter(db, 2, "sessions.returns"), st = counter(db, 2, "sessions");

	/* the oracle's world: more returns per session, more sessions per user */
	ck_assert_msg(rt / st > rc / sc, "returns per session: oracle %g/%g, random %g/%g", rt, st,
		      rc, sc);
	ck_assert_msg(s.lo > 0 && s.p < 0.01, "sessions lift %g [%g, %g] p %g", s.diff, s.lo,
		      s.hi, s.p);
	sqlite3_close(db);
	free(path);
}
END_TEST

START_TEST(twin_aa_shows_no_difference)
{
	char *path = retention_run("aa", "twin", "heuristic", "heuristic");
	sqlite3 *db = open_db(path);
	const char *metrics[] = { "sessions", "return_hours", "day1_retention" };

	ck_assert_double_eq(counter(db, 1, "sessions.returns"), counter(db, 2, "sessions.returns"));
	ck_assert_double_gt(counter(db, 1, "sessions.returns"), 0);
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		struct row r = ab_row(db, "twin", metrics[i]);

		ck_assert_msg(r.estimable, "%s not estimable", metrics[i]);
		ck_assert_msg(r.diff == 0 && r.mean_t == r.mean_c, "%s: %g", metrics[i], r.diff);
	}
	sqlite3_close(db);
	free(path);
}
END_TEST

START_TEST(split_aa_finds_nothing)
{
	char *path = retention_run("splitaa", "split", "heuristic", "heuristic");
	sqlite3 *db = open_db(path);
	const char *metrics[] = { "sessions", "return_hours", "day1_retention" };

	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		struct row r = ab_row(db, "split", metrics[i]);

		ck_assert_msg(r.estimable, "%s not estimable", metrics[i]);
		/* seed fixed: one draw of three A/A tests at 1 % */
		ck_assert_msg(r.p > 0.01 && r.lo < 0 && r.hi > 0, "%s: %g [%g, %g] p %g",
			      metrics[i], r.diff, r.lo, r.hi, r.p);
	}
	sqlite3_close(db);
	free(path);
}
END_TEST

/* [model] label_reminders: a reminder set from a logged slot makes it a
 * positive too (eval/worldrun): the same logged rows, more positives. */
START_TEST(reminders_are_training_positives)
{
	char *on = retention_run_with("lab1", "split", "heuristic", "forest",
				      "model.label_reminders=true");
	char *off = retention_run_with("lab0", "split", "heuristic", "forest",
				       "model.label_reminders=false");
	sqlite3 *a = open_db(on), *b = open_db(off);

	ck_assert_double_eq(counter(a, 1, "training.rows"), counter(b, 1, "training.rows"));
	ck_assert_double_gt(counter(a, 1, "training.positives"),
			    counter(b, 1, "training.positives"));
	sqlite3_close(a);
	sqlite3_close(b);
	free(on);
	free(off);
}
END_TEST

static void add(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, better_pages_bring_users_back);
	tcase_add_test(tc, twin_aa_shows_no_difference);
	tcase_add_test(tc, split_aa_finds_nothing);
	tcase_add_test(tc, reminders_are_training_positives);
}

CHECK_MAIN("retention", add, 300)
