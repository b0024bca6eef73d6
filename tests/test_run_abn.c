/* Tests for eval/run.c with A/B/n experiments, end to end on tiny worlds:
 * three arms in split and twin mode (each arm's share, rows, series and
 * worlds; Holm across arms x metrics checked by hand from the stored
 * p-values), and a 2-arm experiment written with [ab] arms giving the same
 * results.db as the same experiment written with control and treatment. */
#include "eval/run.h"

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "results/schema.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A tiny world: 600 users for 1 + 1 days, a small forest, no plots. */
static const char *const tiny[] = {
	"world.users=600",        "world.creators=80",  "run.warmup_days=1",
	"run.experiment_days=1",  "model.trees=10",     "model.sample_sessions=100%",
	"report.plots=false",     "batch.firehose_interval=1h",
};
#define TINY_N (sizeof(tiny) / sizeof(tiny[0]))

static const char three_arms[] =
	"[ab]\narms = heuristic, forest, popularity\nshares = 50%, 25%, 25%\n";

/* Run scenario `text` (named abn.ini, with the tiny overrides) into
 * TMPDIR/out; returns the run directory (caller frees). */
static char *run_text(const char *text, const char *out, struct run_summary *sum)
{
	struct run_options o = { 0 };
	struct scenario *sc;
	struct error err;
	char *dir = tmpdir_path(out);

	sc = scenario_parse(&config_schema, text, "abn.ini", tiny, TINY_N, &err);
	ck_assert_msg(sc != NULL, "%s", err.msg);
	o.out = dir;
	ck_assert_msg(run_execute(sc, &o, sum, &err) == 0, "%s", err.msg);
	scenario_free(sc);
	return dir;
}

static sqlite3 *open_db(const char *dir)
{
	char *path = xasprintf("%s/results.db", dir);
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	free(path);
	return db;
}

/* An integer from one SQL query (NULL counts as -1). */
static int64_t scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Holm by hand: p ascending (ties in input order), adj_(k) = max over j <= k
 * of min(1, (m - j) p_(j)). */
static void holm_by_hand(const double *p, size_t m, double *adj)
{
	size_t idx[64];
	double run = 0;

	ck_assert_uint_le(m, 64);
	for (size_t i = 0; i < m; i++)
		idx[i] = i;
	for (size_t i = 1; i < m; i++)
		for (size_t j = i; j > 0 && p[idx[j]] < p[idx[j - 1]]; j--) {
			size_t t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	for (size_t k = 0; k < m; k++) {
		double v = (double)(m - k) * p[idx[k]];

		run = fmax(run, v < 1 ? v : 1);
		adj[idx[k]] = run;
	}
}

/* The family of `mode` (its estimable rows in_family, every arm: the p of
 * each row's test, CUPED's when it is CUPED) adjusted by hand equals the
 * stored p_adjusted; returns the family's size. */
static size_t check_holm(sqlite3 *db, const char *mode)
{
	char *sql = xasprintf("SELECT CASE test WHEN 'cuped' THEN cuped_p ELSE p END, p_adjusted "
			      "FROM ab_rows WHERE mode = '%s' AND in_family AND estimable = 1 "
			      "ORDER BY seq", mode);
	double p[64], stored[64], adj[64];
	sqlite3_stmt *st;
	size_t n = 0;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		ck_assert_uint_lt(n, 64);
		p[n] = sqlite3_column_double(st, 0);
		stored[n++] = sqlite3_column_double(st, 1);
	}
	sqlite3_finalize(st);
	free(sql);
	holm_by_hand(p, n, adj);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(stored[i] == adj[i], "%s row %zu: stored %.17g, by hand %.17g", mode,
			      i, stored[i], adj[i]);
	return n;
}

/* Every treatment arm of `mode` has the rows of its analysis: 17 in split
 * mode (7 means, click-through, the median, 2 exposure ratios, 3 retention
 * ratios, 3 exposure aggregates), the same but the median in twin mode. */
static void check_rows(sqlite3 *db, const char *mode, const char *const *arms, size_t n,
		       int64_t rows)
{
	for (size_t i = 0; i < n; i++) {
		char *sql = xasprintf("SELECT count(*) FROM ab_rows WHERE mode = '%s' AND arm = '%s'",
				      mode, arms[i]);

		ck_assert_int_eq(scalar(db, sql), rows);
		free(sql);
	}
}

static bool is_dir(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat st;
	bool yes = stat(path, &st) == 0 && S_ISDIR(st.st_mode);

	free(path);
	return yes;
}

/* Split, 50/25/25: every arm gets its share of the active users within
 * binomial bounds (5 sd), has its rows, series and headline; the SRM check
 * over three arms passes; one Holm family spans both treatment arms. */
START_TEST(three_arms_split)
{
	static const char *const arms[] = { "forest", "popularity" };
	static const double share[] = { 0.5, 0.25, 0.25 };
	struct run_summary sum;
	char *dir = run_text(three_arms, "split", &sum);
	sqlite3 *db = open_db(dir);
	int64_t n[3], total;

	ck_assert_uint_eq(sum.n_arms, 2);
	ck_assert_str_eq(sum.arms[0].name, "forest");
	ck_assert_str_eq(sum.arms[1].ranker, "popularity");
	ck_assert(!sum.srm_flagged);
	ck_assert(!isnan(sum.arms[1].engagement_rel));
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM ab_summary WHERE mode = 'split'"), 2);
	ck_assert_int_eq(scalar(db, "SELECT count(DISTINCT n_c) FROM ab_summary"), 1);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM ab_summary WHERE arm = 'popularity' "
				"AND ranker = 'popularity'"), 1);
	n[0] = scalar(db, "SELECT n_c FROM ab_summary WHERE arm = 'forest'");
	n[1] = scalar(db, "SELECT n_t FROM ab_summary WHERE arm = 'forest'");
	n[2] = scalar(db, "SELECT n_t FROM ab_summary WHERE arm = 'popularity'");
	total = n[0] + n[1] + n[2];
	ck_assert_int_gt(total, 300);
	for (int a = 0; a < 3; a++) {
		double e = (double)total * share[a];

		ck_assert_msg(fabs((double)n[a] - e) <= 5 * sqrt(e * (1 - share[a])),
			      "arm %d: %lld of %lld users", a, (long long)n[a], (long long)total);
	}
	/* chi-square over 3 arms: the stored one is the hand-computed one */
	{
		double e0 = (double)total - (double)total * 0.25 - (double)total * 0.25, chi2 = 0;
		sqlite3_stmt *st;

		for (int a = 1; a < 3; a++) {
			double e = (double)total * 0.25;

			chi2 += ((double)n[a] - e) * ((double)n[a] - e) / e;
		}
		chi2 += ((double)n[0] - e0) * ((double)n[0] - e0) / e0;
		ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT srm_chi2, srm_p FROM ab_summary "
						    "WHERE arm = 'forest'", -1, &st, NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_double_eq_tol(sqlite3_column_double(st, 0), chi2, 1e-9);
		/* 2 df: the tail is exp(-chi2 / 2) */
		ck_assert_double_eq_tol(sqlite3_column_double(st, 1), exp(-chi2 / 2), 1e-9);
		sqlite3_finalize(st);
	}
	check_rows(db, "split", arms, 2, 17);
	ck_assert_uint_ge(check_holm(db, "split"), 8);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM ab_rows WHERE arm = 'treatment'"), 0);
	/* each arm's exposures and daily engagement; pages only after the
	 * warm-up for the treatments */
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM series_info WHERE name IN "
				"('exposures_control', 'exposures_forest', 'exposures_popularity', "
				"'engagement_daily_control', 'engagement_daily_forest', "
				"'engagement_daily_popularity')"), 6);
	ck_assert_int_gt(scalar(db, "SELECT sum(count) FROM series WHERE name = "
				"'exposures_popularity'"), 0);
	ck_assert_int_eq(scalar(db, "SELECT sum(count) FROM series WHERE name = "
				"'exposures_popularity' AND bucket_start_us < 86400000000"), 0);
	sqlite3_close(db);
	free(dir);
}
END_TEST

/* Twin: one world per arm (NAME#control, NAME#forest, NAME#popularity,
 * each with its directory but the first), everyone on the arm's ranker,
 * the analysis paired per treatment world against the control world. */
START_TEST(three_arms_twin)
{
	static const char *const arms[] = { "forest", "popularity" };
	char *text = xasprintf("%smode = twin\n", three_arms);
	struct run_summary sum;
	char *dir = run_text(text, "twin", &sum);
	sqlite3 *db = open_db(dir);

	ck_assert_uint_eq(sum.n_arms, 2);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM runs"), 3);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM runs WHERE name IN ('abn#control', "
				"'abn#forest', 'abn#popularity')"), 3);
	ck_assert(is_dir(dir, "world-forest"));
	ck_assert(is_dir(dir, "world-popularity"));
	ck_assert(!is_dir(dir, "world-control"));
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM ab_summary WHERE mode = 'twin' AND "
				"n_t = n_c"), 2);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM ab_summary WHERE mode = 'split'"), 0);
	check_rows(db, "twin", arms, 2, 16);
	ck_assert_uint_ge(check_holm(db, "twin"), 8);
	/* the popularity world served pages to its arm only, after the warm-up */
	ck_assert_int_gt(scalar(db, "SELECT sum(s.count) FROM series s JOIN runs r USING (run_id) "
				"WHERE r.name = 'abn#popularity' AND s.name = 'exposures_popularity'"),
			 0);
	ck_assert_int_eq(scalar(db, "SELECT sum(s.count) FROM series s JOIN runs r USING (run_id) "
				"WHERE r.name = 'abn#popularity' AND s.name = 'exposures_forest'"),
			 0);
	/* the SLO table holds every world's rows */
	ck_assert_int_gt(scalar(db, "SELECT count(*) FROM slo_rows WHERE name LIKE 'popularity: %'"),
			 0);
	sqlite3_close(db);
	free(text);
	free(dir);
}
END_TEST

/* Everything simulated in a results.db as text, as .ci/simdump prints it
 * (host measurements out), and the scenario text out too: the two forms
 * are different texts of one experiment. */
static char *dump(const char *dir)
{
	sqlite3 *db = open_db(dir);
	sqlite3_stmt *tables, *st;
	size_t len = 0, cap = 0;
	char *text = NULL;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = "
					    "'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
					    -1, &tables, NULL), SQLITE_OK);
	while (sqlite3_step(tables) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(tables, 0);
		char *sql;

		if (!strcmp(t, "timings"))
			continue;
		if (!strcmp(t, "runs"))
			sql = xasprintf("SELECT run_id, name, overrides, seed, status FROM runs");
		else if (!strcmp(t, "metrics"))
			sql = xasprintf("SELECT * FROM metrics WHERE kind <> 'host'");
		else if (!strcmp(t, "hist_summary") || !strcmp(t, "histograms"))
			sql = xasprintf("SELECT * FROM %s WHERE name NOT LIKE 'host%%'", t);
		else if (!strcmp(t, "slo_rows"))
			sql = xasprintf("SELECT * FROM slo_rows WHERE host_measured = 0");
		else
			sql = xasprintf("SELECT * FROM %s", t);
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		XGROW(text, len + strlen(t) + 8, cap);
		len += (size_t)snprintf(text + len, cap - len, "== %s\n", t);
		while (sqlite3_step(st) == SQLITE_ROW)
			for (int c = 0; c < sqlite3_column_count(st); c++) {
				const char *v = (const char *)sqlite3_column_text(st, c);
				size_t k = v ? strlen(v) : 4;

				XGROW(text, len + k + 2, cap);
				memcpy(text + len, v ? v : "NULL", k);
				len += k;
				text[len++] = c + 1 < sqlite3_column_count(st) ? '|' : '\n';
			}
		sqlite3_finalize(st);
		free(sql);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
	XGROW(text, len + 1, cap);
	text[len] = '\0';
	return text;
}

/* The same 2-arm experiment (70/30, split and twin worlds) written with
 * [ab] arms and shares, and with control, treatment and treatment_share:
 * the same users in the same arms, the same results.db bit for bit. */
START_TEST(two_arms_by_either_form_are_identical)
{
	struct run_summary sa, sb;
	char *a = run_text("[ab]\nmode = both\ncontrol = heuristic\ntreatment = forest\n"
			   "treatment_share = 30%\n", "two-old", &sa);
	char *b = run_text("[ab]\nmode = both\narms = heuristic, forest\nshares = 70%, 30%\n",
			   "two-arms", &sb);
	char *ta = dump(a), *tb = dump(b);

	ck_assert_uint_gt(strlen(ta), 100000);
	ck_assert_msg(strcmp(ta, tb) == 0, "the two forms give different results");
	ck_assert_ptr_nonnull(strstr(ta, "|split|treatment|forest|"));
	ck_assert_ptr_nonnull(strstr(ta, "abn#treatment"));
	ck_assert(sa.engagement_rel == sb.engagement_rel);
	ck_assert_uint_eq(sb.n_arms, 1);
	ck_assert(is_dir(b, "world-treatment"));
	free(ta);
	free(tb);
	free(a);
	free(b);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, three_arms_split);
	tcase_add_test(tc, three_arms_twin);
	tcase_add_test(tc, two_arms_by_either_form_are_identical);
}

CHECK_MAIN("run_abn", add_tests, 300)
