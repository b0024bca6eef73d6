/* Tests for the stored analysis in results/results.c: A/B tables, SLO rows,
 * curves and feature importance round-trip; NaN is stored as NULL and read
 * back as NaN; a failed put leaves nothing behind. */
#include "results/results.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "common/xalloc.h"

static struct results *r;
static int64_t id;

static void setup(void)
{
	struct results_run run = { .name = "t", .scenario_text = "", .git_rev = "x",
				   .version = "v", .host = "h", .started_utc = "now" };
	struct error e;

	error_clear(&e);
	r = results_open(":memory:", &e);
	ck_assert_msg(r != NULL, "%s", e.msg);
	ck_assert_int_eq(results_begin_run(r, &run, &id, &e), 0);
}

static void teardown(void)
{
	db_fault_after(0);
	results_close(r);
}

static void fill_row(struct abtest_row *m, const char *name, enum abtest_kind kind, double k)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->kind = kind;
	m->estimable = true;
	m->lift.t.n = 101;
	m->lift.c.n = 99;
	m->lift.t.mean = 1.5 * k;
	m->lift.c.mean = 1.25 * k;
	m->lift.t.sd = 0.5;
	m->lift.c.sd = 0.625;
	m->lift.diff = 0.25 * k;
	m->lift.diff_lo = 0.0625;
	m->lift.diff_hi = 0.4375;
	m->lift.p = 0.0078125;
	m->p_adjusted = 0.015625;
	m->lift.rel = 0.2;
	m->lift.rel_lo = 0.05;
	m->lift.rel_hi = 0.35;
	m->mde = 0.125;
	m->mde_rel = 0.1;
	if (kind == ABTEST_MEAN) {
		m->has_cuped = true;
		m->cuped.theta = 0.75;
		m->cuped.variance_reduction = 0.4375;
		m->cuped.adjusted.diff = 0.1875;
		m->cuped.adjusted.diff_lo = 0.125;
		m->cuped.adjusted.diff_hi = 0.25;
		m->cuped.adjusted.p = 0.001953125;
	}
}

/* Two treatment arms: "forest" (the rows below) and "popularity" (the
 * same rows, tune_ins' means doubled). */
static void fill(struct abtest *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->mode, sizeof(a->mode), "split");
	a->srm_chi2 = 0.02;
	a->srm_p = 0.8875;
	a->alpha = 0.05;
	a->n_arms = 2;
	for (size_t k = 0; k < 2; k++) {
		struct abtest_arm *arm = &a->arms[k];

		snprintf(arm->name, sizeof(arm->name), "%s", k ? "popularity" : "forest");
		snprintf(arm->ranker, sizeof(arm->ranker), "%s", arm->name);
		arm->n_treatment = 101 + k;
		arm->n_control = 99;
		fill_row(&arm->rows[0], "tune_ins", ABTEST_MEAN, 1 + (double)k);
		fill_row(&arm->rows[1], "ctr", ABTEST_RATIO, 0.1);
		fill_row(&arm->rows[2], "listen_median", ABTEST_MEDIAN, 10);
		memset(&arm->rows[3], 0, sizeof(arm->rows[3]));
		snprintf(arm->rows[3].name, sizeof(arm->rows[3].name), "follows");
		snprintf(arm->rows[3].why, sizeof(arm->rows[3].why), "zero control mean");
		arm->rows[3].lift.diff = NAN;
		arm->rows[3].p_adjusted = NAN;
		arm->n_rows = 4;
	}
}

static void same_row(const struct abtest_row *x, const struct abtest_row *y)
{
	ck_assert_str_eq(x->name, y->name);
	ck_assert_int_eq(x->kind, y->kind);
	ck_assert_int_eq(x->estimable, y->estimable);
	ck_assert_str_eq(x->why, y->why);
	ck_assert_uint_eq(x->lift.t.n, y->lift.t.n);
	ck_assert_uint_eq(x->lift.c.n, y->lift.c.n);
	ck_assert_int_eq(x->has_cuped, y->has_cuped);
	if (!x->estimable) {
		ck_assert(isnan(y->lift.diff));
		ck_assert(isnan(y->p_adjusted));
		return;
	}
	/* Exactly representable values: the round trip is exact. */
	ck_assert(x->lift.t.mean == y->lift.t.mean && x->lift.c.mean == y->lift.c.mean);
	ck_assert(x->lift.t.sd == y->lift.t.sd && x->lift.c.sd == y->lift.c.sd);
	ck_assert(x->lift.diff == y->lift.diff && x->lift.diff_lo == y->lift.diff_lo &&
		  x->lift.diff_hi == y->lift.diff_hi);
	ck_assert(x->lift.p == y->lift.p && x->p_adjusted == y->p_adjusted);
	ck_assert(x->lift.rel == y->lift.rel && x->lift.rel_lo == y->lift.rel_lo &&
		  x->lift.rel_hi == y->lift.rel_hi);
	ck_assert(x->mde == y->mde && x->mde_rel == y->mde_rel);
	if (x->has_cuped) {
		ck_assert(x->cuped.theta == y->cuped.theta);
		ck_assert(x->cuped.variance_reduction == y->cuped.variance_reduction);
		ck_assert(x->cuped.adjusted.diff == y->cuped.adjusted.diff);
		ck_assert(x->cuped.adjusted.diff_lo == y->cuped.adjusted.diff_lo);
		ck_assert(x->cuped.adjusted.diff_hi == y->cuped.adjusted.diff_hi);
		ck_assert(x->cuped.adjusted.p == y->cuped.adjusted.p);
	}
}

/* Append "s," to a 128-byte buffer. */
static void append(char *buf, const char *s)
{
	size_t used = strlen(buf);

	snprintf(buf + used, 128 - used, "%s,", s);
}

static int collect_mode(const char *mode, void *ctx)
{
	append(ctx, mode);
	return 0;
}

START_TEST(test_abtest_round_trip)
{
	struct abtest *a = xcalloc(2, sizeof(*a)), *b = a + 1;
	char modes[128] = "";
	struct error e;

	error_clear(&e);
	fill(a);
	ck_assert_msg(results_put_abtest(r, id, NULL, a, &e) == 0, "%s", e.msg);
	a->srm_flagged = true;
	ck_assert_msg(results_put_abtest(r, id, "twin", a, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(results_each_abtest_mode(r, id, collect_mode, modes, &e), 0);
	ck_assert_str_eq(modes, "split,twin,");
	ck_assert_int_eq(results_get_abtest(r, id, "split", b, &e), 0);
	ck_assert_str_eq(b->mode, "split");
	ck_assert(b->srm_chi2 == 0.02 && b->srm_p == 0.8875 && b->alpha == 0.05);
	ck_assert(!b->srm_flagged);
	/* every arm, in order, with its own rows */
	ck_assert_uint_eq(b->n_arms, 2);
	for (size_t k = 0; k < 2; k++) {
		ck_assert_str_eq(b->arms[k].name, a->arms[k].name);
		ck_assert_str_eq(b->arms[k].ranker, a->arms[k].ranker);
		ck_assert_uint_eq(b->arms[k].n_treatment, 101 + k);
		ck_assert_uint_eq(b->arms[k].n_control, 99);
		ck_assert_uint_eq(b->arms[k].n_rows, 4);
		for (size_t i = 0; i < 4; i++)
			same_row(&a->arms[k].rows[i], &b->arms[k].rows[i]);
	}
	ck_assert_ptr_eq(abtest_arm_find(b, "popularity"), &b->arms[1]);
	ck_assert_ptr_null(abtest_arm_find(b, "treatment"));
	ck_assert_int_eq(results_get_abtest(r, id, "twin", b, &e), 0);
	ck_assert(b->srm_flagged);
	ck_assert_int_eq(results_get_abtest(r, id, "nope", b, &e), ERR_NOTFOUND);
	/* A mode appears once per run. */
	ck_assert_int_eq(results_put_abtest(r, id, NULL, a, &e), ERR_DB);
	ck_assert_msg(strstr(e.msg, "'split'") != NULL, "%s", e.msg);
	free(a);
}
END_TEST

START_TEST(test_abtest_fault_leaves_nothing)
{
	struct abtest *a = xcalloc(2, sizeof(*a)), *b = a + 1;
	struct error e;
	long n;

	fill(a);
	for (n = 1;; n++) {
		int rc;

		error_clear(&e);
		db_fault_after(n);
		rc = results_put_abtest(r, id, NULL, a, &e);
		db_fault_after(0);
		if (rc == 0)
			break;
		ck_assert_int_eq(rc, ERR_DB);
		ck_assert_int_eq(results_get_abtest(r, id, "split", b, &e), ERR_NOTFOUND);
		ck_assert_int_eq(db_depth(results_db(r)), 0);
	}
	ck_assert_int_gt(n, 2);
	ck_assert_int_eq(results_get_abtest(r, id, "split", b, &e), 0);
	ck_assert_uint_eq(b->n_arms, 2);
	ck_assert_uint_eq(b->arms[1].n_rows, 4);
	free(a);
}
END_TEST

START_TEST(test_slo_round_trip)
{
	struct slo_table t, u;
	struct hist h;
	struct error e;

	error_clear(&e);
	slo_init(&t);
	ck_assert_int_eq(hist_init(&h, 10 * SIMTIME_S, 2, &e), 0);
	for (int i = 1; i <= 100; i++)
		hist_record(&h, i * 1000);
	slo_add_quantile(&t, "latency p99", &h, 0.99, 200000, false);
	slo_add_availability(&t, "availability", 999, 1000, 0.998);
	slo_add_quantile(&t, "scoring p99", &h, 0.99, 20000, true);
	hist_release(&h);
	ck_assert_int_eq(hist_init(&h, 10 * SIMTIME_S, 2, &e), 0);
	slo_add_max(&t, "reflection max", &h, 60 * SIMTIME_S, false);
	hist_release(&h);
	ck_assert_int_eq(results_put_slo(r, id, &t, &e), 0);
	ck_assert_int_eq(results_get_slo(r, id, &u, &e), 0);
	ck_assert_uint_eq(u.n, t.n);
	for (size_t i = 0; i < t.n; i++) {
		ck_assert_str_eq(u.rows[i].name, t.rows[i].name);
		ck_assert_str_eq(u.rows[i].observed, t.rows[i].observed);
		ck_assert_str_eq(u.rows[i].target, t.rows[i].target);
		ck_assert_str_eq(u.rows[i].note, t.rows[i].note);
		ck_assert_int_eq(u.rows[i].verdict, t.rows[i].verdict);
		ck_assert_int_eq(u.rows[i].host_measured, t.rows[i].host_measured);
		ck_assert(u.rows[i].value == t.rows[i].value);
		ck_assert(u.rows[i].limit == t.rows[i].limit);
	}
	ck_assert_int_eq(u.rows[3].verdict, SLO_NO_DATA);
	ck_assert(u.rows[2].host_measured);
	/* Another run has none. */
	ck_assert_int_eq(results_get_slo(r, id + 1, &u, &e), 0);
	ck_assert_uint_eq(u.n, 0);
}
END_TEST

static int collect_name(const char *name, void *ctx)
{
	append(ctx, name);
	return 0;
}

START_TEST(test_curve_round_trip)
{
	double x[37], y[37], n[37];
	struct results_curve c;
	char names[128] = "";
	struct error e;

	error_clear(&e);
	for (int i = 0; i < 37; i++) {
		x[i] = i / 36.0;
		y[i] = sqrt(x[i]);
		n[i] = i == 5 ? NAN : 10 + i;
	}
	ck_assert_int_eq(results_put_curve(r, id, "roc", x, y, NULL, 37, &e), 0);
	ck_assert_int_eq(results_put_curve(r, id, "calibration", x, y, n, 10, &e), 0);
	ck_assert_int_eq(results_put_curve(r, id, "aaa", x, y, n, 3, &e), 0);
	ck_assert_int_eq(results_each_curve_name(r, id, collect_name, names, &e), 0);
	ck_assert_str_eq(names, "roc,calibration,aaa,");
	ck_assert_int_eq(results_get_curve(r, id, "roc", &c, &e), 0);
	ck_assert_uint_eq(c.len, 37);
	for (int i = 0; i < 37; i++) {
		ck_assert(c.x[i] == x[i] && c.y[i] == y[i]);
		ck_assert(isnan(c.n[i]));
	}
	results_curve_release(&c);
	ck_assert_int_eq(results_get_curve(r, id, "calibration", &c, &e), 0);
	ck_assert_uint_eq(c.len, 10);
	ck_assert(c.n[4] == 14 && isnan(c.n[5]));
	results_curve_release(&c);
	ck_assert_int_eq(results_get_curve(r, id, "nope", &c, &e), ERR_NOTFOUND);
	ck_assert_ptr_null(c.x);
	/* (run, name, i) is unique. */
	ck_assert_int_eq(results_put_curve(r, id, "roc", x, y, NULL, 2, &e), ERR_DB);
}
END_TEST

struct imp {
	size_t n;
	char names[128];
	double impurity[4], permutation[4];
};

static int collect_importance(const char *f, double imp, double perm, void *ctx)
{
	struct imp *im = ctx;

	append(im->names, f);
	im->impurity[im->n] = imp;
	im->permutation[im->n++] = perm;
	return 0;
}

START_TEST(test_importance_round_trip)
{
	static const char *const f[] = { "b_feature", "a_feature", "c_feature" };
	static const double imp[] = { 0.5, 0.25, 0.125 };
	static const double perm[] = { 0.0625, NAN, 0.03125 };
	struct imp got = { 0 };
	struct error e;

	error_clear(&e);
	ck_assert_int_eq(results_put_importance(r, id, f, imp, perm, 3, &e), 0);
	ck_assert_int_eq(results_each_importance(r, id, collect_importance, &got, &e), 0);
	ck_assert_str_eq(got.names, "b_feature,a_feature,c_feature,");
	ck_assert(got.impurity[0] == 0.5 && got.impurity[2] == 0.125);
	ck_assert(got.permutation[0] == 0.0625 && isnan(got.permutation[1]));
	/* Without permutation importance: all NULL. */
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(results_put_importance(r, id + 0, (const char *const[]){ "d" }, imp, NULL,
						1, &e), 0);
	ck_assert_int_eq(results_each_importance(r, id, collect_importance, &got, &e), 0);
	ck_assert_uint_eq(got.n, 4);
	ck_assert(isnan(got.permutation[3]));
	/* A feature appears once per run; the failed put adds nothing. */
	ck_assert_int_eq(results_put_importance(r, id, f, imp, perm, 3, &e), ERR_DB);
	ck_assert_msg(strstr(e.msg, "b_feature") != NULL, "%s", e.msg);
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(results_each_importance(r, id, collect_importance, &got, &e), 0);
	ck_assert_uint_eq(got.n, 4);
}
END_TEST

/* A version-2 file (2-arm analyses, no arm column) opened read-write is
 * migrated in place: its rows become arm 'treatment' (ranker unknown), in
 * their order.  Only the tables the step touches are made here. */
START_TEST(test_version_2_analyses_become_arm_treatment)
{
	static const char v2[] =
		"CREATE TABLE runs (run_id INTEGER PRIMARY KEY);"
		"INSERT INTO runs VALUES (1);"
		"CREATE TABLE ab_summary (run_id INTEGER NOT NULL REFERENCES runs(run_id) "
		"ON DELETE CASCADE, mode TEXT NOT NULL, n_t INTEGER NOT NULL, n_c INTEGER NOT NULL, "
		"srm_chi2 REAL, srm_p REAL, srm_flagged INTEGER NOT NULL, alpha REAL NOT NULL, "
		"PRIMARY KEY (run_id, mode));"
		"CREATE TABLE ab_rows (seq INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, "
		"mode TEXT NOT NULL, metric TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN "
		"('mean', 'ratio', 'median')), estimable INTEGER NOT NULL, why TEXT NOT NULL, "
		"n_t INTEGER NOT NULL, n_c INTEGER NOT NULL, mean_t REAL, mean_c REAL, sd_t REAL, "
		"sd_c REAL, diff REAL, diff_lo REAL, diff_hi REAL, p REAL, p_adjusted REAL, "
		"rel REAL, rel_lo REAL, rel_hi REAL, cuped_theta REAL, "
		"cuped_variance_reduction REAL, cuped_diff REAL, cuped_lo REAL, cuped_hi REAL, "
		"cuped_p REAL, mde REAL, mde_rel REAL, UNIQUE (run_id, mode, metric), "
		"FOREIGN KEY (run_id, mode) REFERENCES ab_summary(run_id, mode) "
		"ON DELETE CASCADE);"
		"INSERT INTO ab_summary VALUES (1, 'split', 101, 99, 0.02, 0.8875, 0, 0.05);"
		"INSERT INTO ab_rows (seq, run_id, mode, metric, kind, estimable, why, n_t, n_c, "
		"p, p_adjusted, rel) VALUES (7, 1, 'split', 'likes', 'mean', 1, '', 101, 99, "
		"0.25, 0.5, 0.125), (9, 1, 'split', 'ctr', 'ratio', 1, '', 101, 99, 0.5, 0.5, "
		"0.0625);"
		"PRAGMA user_version = 2;";
	char dir[] = "/tmp/airtime-v2-XXXXXX", path[64];
	struct abtest *a = xcalloc(1, sizeof(*a));
	struct results *old;
	struct db *db;
	struct error e;
	int v;

	error_clear(&e);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/results.db", dir);
	ck_assert_int_eq(db_open(&db, path, DB_CREATE, &e), 0);
	ck_assert_msg(db_exec(db, v2, "making a version-2 file", &e) == 0, "%s", e.msg);
	db_close(db);
	/* read-only: refused, untouched */
	ck_assert_ptr_null(results_open_readonly(path, &e));
	ck_assert_msg(strstr(e.msg, "schema version 2") != NULL, "%s", e.msg);
	old = results_open(path, &e);
	ck_assert_msg(old != NULL, "%s", e.msg);
	ck_assert_int_eq(db_user_version(results_db(old), &v, &e), 0);
	ck_assert_int_eq(v, RESULTS_SCHEMA_VERSION);
	ck_assert_msg(results_get_abtest(old, 1, "split", a, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(a->n_arms, 1);
	ck_assert_str_eq(a->arms[0].name, "treatment");
	ck_assert_str_eq(a->arms[0].ranker, "");
	ck_assert_uint_eq(a->arms[0].n_treatment, 101);
	ck_assert(a->srm_p == 0.8875 && a->alpha == 0.05);
	ck_assert_uint_eq(a->arms[0].n_rows, 2);
	ck_assert_str_eq(a->arms[0].rows[0].name, "likes");
	ck_assert(a->arms[0].rows[0].p_adjusted == 0.5 && a->arms[0].rows[0].lift.rel == 0.125);
	ck_assert_str_eq(a->arms[0].rows[1].name, "ctr");
	/* version 5: the test that made each stored interval, the old family
	 * (mean rows); no bias stored */
	ck_assert_int_eq(a->arms[0].rows[0].test, ABTEST_TEST_WELCH);
	ck_assert(a->arms[0].rows[0].in_family);
	ck_assert_int_eq(a->arms[0].rows[1].test, ABTEST_TEST_DELTA);
	ck_assert(!a->arms[0].rows[1].in_family);
	{
		struct abtest_bias *b = xcalloc(1, sizeof(*b));

		ck_assert_msg(results_get_bias(old, 1, b, &e) == 0, "%s", e.msg);
		ck_assert_uint_eq(b->n_arms, 0);
		free(b);
	}
	results_close(old);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	free(a);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_abtest_round_trip);
	tcase_add_test(tc, test_abtest_fault_leaves_nothing);
	tcase_add_test(tc, test_slo_round_trip);
	tcase_add_test(tc, test_curve_round_trip);
	tcase_add_test(tc, test_importance_round_trip);
	tcase_add_test(tc, test_version_2_analyses_become_arm_treatment);
}

CHECK_MAIN("results_analysis", add_tests, 30)
