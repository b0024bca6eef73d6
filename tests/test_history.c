/* Tests for eval/history.c: a run with [run] history_days = 60 starts with
 * a lake holding 60 days before time 0 and a feature store whose first
 * daily job (day -1) equals a direct recomputation from the lake's
 * partitions, read file by file (not through lake_scan or engine/batch);
 * history_days = 0 writes nothing before time 0; the history is the same
 * bit for bit in two runs of the same seed. */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/event.h"
#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "engine/lake.h"
#include "eval/run.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

#define USERS 300
#define CREATORS 60

/* A tiny split run of scenarios/default.ini with `days` of history, in
 * tmpdir/name; returns the run directory (caller frees). */
static char *history_run(const char *name, const char *days)
{
	char hist[64];
	const char *sets[] = {
		"world.users=300",       "world.creators=60",        "run.warmup_days=1",
		"run.experiment_days=1", "model.trees=5",            "model.sample_sessions=100%",
		"spike.promo.start=30h", "spike.promo.magnitude=50", "report.plots=false",
		hist,
	};
	struct run_options ro = { 0 };
	struct run_summary sum;
	struct error err = { 0 };
	struct scenario *sc;
	char *out = xasprintf("%s/%s", tmpdir, name);

	snprintf(hist, sizeof(hist), "run.history_days=%s", days);
	sc = scenario_load(&config_schema, "scenarios/default.ini", sets,
			   sizeof(sets) / sizeof(sets[0]), &err);
	if (!sc)
		ck_abort_msg("scenario: %s", err.msg);
	ro.out = out;
	if (run_execute(sc, &ro, &sum, &err) < 0)
		ck_abort_msg("run: %s", err.msg);
	scenario_free(sc);
	return out;
}

/* Every lake event of the run, from its partition files one by one. */
static struct event *lake_all(const char *run_dir, size_t *n_out)
{
	struct error err = { 0 };
	struct lake *lk = lake_open(run_dir, 0, &err);
	struct event *all = NULL;
	size_t n = 0, cap = 0;

	ck_assert_msg(lk != NULL, "lake: %s", err.msg);
	for (size_t p = 0; p < lake_partition_count(lk); p++) {
		char *path = xasprintf("%s/%s", lake_dir(lk), lake_partition_path(lk, p));
		struct event *evs;
		size_t m;

		ck_assert_msg(lake_read_file(path, &evs, &m, &err) == 0, "read: %s", err.msg);
		XGROW(all, n + m, cap);
		memcpy(all + n, evs, m * sizeof(*evs));
		n += m;
		free(evs);
		free(path);
	}
	lake_free(lk);
	*n_out = n;
	return all;
}

static sqlite3 *features_open(const char *run_dir)
{
	char *path = xasprintf("%s/features.db", run_dir);
	sqlite3 *db = NULL;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	free(path);
	return db;
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

START_TEST(sixty_day_features_equal_a_recomputation_from_the_lake)
{
	char *dir = history_run("h60", "60");
	size_t n, rows = 0, checked = 0, bad = 0, with_sessions = 0;
	struct event *evs = lake_all(dir, &n);
	sqlite3 *db = features_open(dir);
	sqlite3_stmt *st;
	simtime end, first = SIMTIME_NEVER;
	int64_t sessions[USERS] = { 0 }, plays[CREATORS] = { 0 };
	double minutes[USERS] = { 0 };
	uint64_t old_events = 0;

	/* the first daily job's window end: the history job's (day -1) */
	end = query_int(db, "select min(event_time) from user_history_v1_offline");
	ck_assert_msg(end < 0 && end > -SIMTIME_DAY, "history job's window end %lld", (long long)end);
	for (size_t i = 0; i < n; i++) {
		const struct event *e = &evs[i];

		if (e->emit_time < first)
			first = e->emit_time;
		if (e->emit_time < end - 60 * SIMTIME_DAY || e->emit_time >= end)
			continue;
		if (e->emit_time < end - 45 * SIMTIME_DAY)
			old_events++;
		if (e->type == EVENT_APP_OPEN && e->user < USERS)
			sessions[e->user]++;
		else if (e->type == EVENT_LISTEN_END && e->user < USERS)
			minutes[e->user] += (double)e->value / 60e6;
		else if (e->type == EVENT_LISTEN_START && e->creator < CREATORS)
			plays[e->creator]++;
	}
	/* 60 days are filled: events from the window's first days */
	ck_assert_msg(first < -59 * SIMTIME_DAY, "first lake event at %.2f days",
		      (double)first / (double)SIMTIME_DAY);
	ck_assert_uint_gt(old_events, 1000);

	ck_assert_int_eq(sqlite3_prepare_v2(db,
		"select entity, sessions, listen_minutes from user_history_v1_offline "
		"where event_time = ?1 order by entity", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, end);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t u = sqlite3_column_int64(st, 0);

		rows++;
		if (u >= USERS)
			continue;   /* cold-start users of a spike: none before 0 */
		checked++;
		if (sqlite3_column_int64(st, 1) != sessions[u] ||
		    fabs(sqlite3_column_double(st, 2) - minutes[u]) > 1e-9 * (1 + minutes[u])) {
			if (bad++ < 3)
				fprintf(stderr, "user %lld: sessions %lld vs %lld, minutes %.9f vs %.9f\n",
					(long long)u, (long long)sqlite3_column_int64(st, 1),
					(long long)sessions[u], sqlite3_column_double(st, 2), minutes[u]);
		}
	}
	sqlite3_finalize(st);
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_gt(checked, USERS / 2);
	/* every user with a session in the window has a row */
	for (size_t u = 0; u < USERS; u++)
		if (sessions[u])
			with_sessions++;
	ck_assert_uint_ge(checked, with_sessions);
	ck_assert_uint_ge(rows, checked);

	ck_assert_int_eq(sqlite3_prepare_v2(db,
		"select entity, plays from creator_history_v1_offline where event_time = ?1",
		-1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, end);
	checked = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t c = sqlite3_column_int64(st, 0);

		ck_assert_int_lt(c, CREATORS);
		ck_assert_int_eq(sqlite3_column_int64(st, 1), plays[c]);
		checked++;
	}
	sqlite3_finalize(st);
	ck_assert_uint_gt(checked, CREATORS / 2);
	sqlite3_close(db);
	free(evs);
	free(dir);
}
END_TEST

START_TEST(no_history_writes_nothing_before_time_zero)
{
	char *dir = history_run("h0", "0");
	size_t n;
	struct event *evs = lake_all(dir, &n);
	sqlite3 *db = features_open(dir);

	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_ge(evs[i].emit_time, 0);
	ck_assert_int_ge(query_int(db, "select min(event_time) from user_history_v1_offline"), 0);
	sqlite3_close(db);
	free(evs);
	free(dir);
}
END_TEST

START_TEST(history_is_deterministic)
{
	char *a = history_run("ha", "3"), *b = history_run("hb", "3");
	size_t na, nb, ha = 0;
	struct event *ea = lake_all(a, &na), *eb = lake_all(b, &nb);

	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++)
		ha += ea[i].emit_time < 0;
	ck_assert_uint_gt(ha, 1000);
	ck_assert_int_eq(memcmp(ea, eb, na * sizeof(*ea)), 0);
	free(ea);
	free(eb);
	free(a);
	free(b);
}
END_TEST

static void add(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, sixty_day_features_equal_a_recomputation_from_the_lake);
	tcase_add_test(tc, no_history_writes_nothing_before_time_zero);
	tcase_add_test(tc, history_is_deterministic);
}

CHECK_MAIN("history", add, 240)
