/* Golden scenario tests (STYLE.md habit 11): each tiny scenario of
 * tests/golden/NAME.ini is run end to end and a summary of what it
 * simulated, printed with fixed precision, must equal tests/golden/NAME.txt
 * byte for byte.  The summary holds only simulated results (counts, A/B
 * rows, SLO rows that are not host-measured, series and histogram totals),
 * never a host measurement, so it is the same on any machine and under
 * any load.
 *
 * `make golden` regenerates the files: with AIRTIME_GOLDEN_UPDATE=1 in the
 * environment this suite writes tests/golden/NAME.txt instead of comparing.
 * A difference is a change in what is simulated: regenerate only when the
 * change is meant to have that effect. */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/scenario.h"
#include "common/xalloc.h"
#include "eval/run.h"
#include "config/config.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

struct text {
	char *s;
	size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	XGROW(t->s, t->len + (size_t)n + 1, t->cap);
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

/* A value with fixed precision: integers exactly, other reals to six
 * significant digits, NULL as "-". */
static void add_value(struct text *t, sqlite3_stmt *st, int col)
{
	double v;

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		add(t, "-");
		return;
	case SQLITE_INTEGER:
		add(t, "%lld", (long long)sqlite3_column_int64(st, col));
		return;
	case SQLITE_FLOAT:
		v = sqlite3_column_double(st, col);
		if (v == floor(v) && fabs(v) < 9007199254740992.0)
			add(t, "%.0f", v);
		else
			add(t, "%.6g", v);
		return;
	default:
		add(t, "%s", (const char *)sqlite3_column_text(st, col));
	}
}

/* One section: a heading, then each row of the query, columns separated
 * by " | ". */
static void section(struct text *t, sqlite3 *db, const char *heading, const char *sql)
{
	sqlite3_stmt *st;
	int rc;

	add(t, "\n## %s\n", heading);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			if (c)
				add(t, " | ");
			add_value(t, st, c);
		}
		add(t, "\n");
	}
	ck_assert_int_eq(rc, SQLITE_DONE);
	sqlite3_finalize(st);
}

/* The summary of a run directory's results.db. */
static char *summary(const char *name, const char *dir)
{
	struct text t = { 0 };
	char *path = xasprintf("%s/results.db", dir);
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	add(&t, "# %s: tests/golden/%s.ini, simulated results only\n", name, name);
	section(&t, db, "runs (id, name, seed, status)",
		"SELECT run_id, name, seed, status FROM runs ORDER BY run_id");
	section(&t, db, "counts (run, name, arm, value)",
		"SELECT run_id, name, arm, value FROM metrics WHERE kind = 'sim' "
		"ORDER BY run_id, name, arm");
	section(&t, db, "A/B (mode, metric, n_t, n_c, mean_t, mean_c, rel, rel_lo, rel_hi, p, "
			"p_adjusted)",
		"SELECT mode, metric, n_t, n_c, mean_t, mean_c, rel, rel_lo, rel_hi, p, p_adjusted "
		"FROM ab_rows ORDER BY run_id, mode, metric");
	section(&t, db, "SLOs, simulated (run, name, observed, target, verdict)",
		"SELECT run_id, name, observed, target, verdict FROM slo_rows "
		"WHERE host_measured = 0 ORDER BY run_id, seq");
	section(&t, db, "series (run, name, buckets, count, sum, max)",
		"SELECT run_id, name, COUNT(*), SUM(count), SUM(sum), MAX(max) FROM series "
		"WHERE name NOT LIKE 'host%' GROUP BY run_id, name ORDER BY run_id, name");
	section(&t, db, "histograms (run, name, count, p50, p99, max)",
		"SELECT run_id, name, count, p50, p99, max FROM hist_summary "
		"WHERE name NOT LIKE 'host%' ORDER BY run_id, name");
	sqlite3_close(db);
	free(path);
	return t.s;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct text t = { 0 };
	char buf[4096];
	size_t n;

	if (!f)
		return NULL;
	add(&t, "%s", "");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		XGROW(t.s, t.len + n + 1, t.cap);
		memcpy(t.s + t.len, buf, n);
		t.len += n;
		t.s[t.len] = '\0';
	}
	fclose(f);
	return t.s;
}

/* The first line where a and b differ, for the failure message. */
static void first_difference(const char *a, const char *b, char *out, size_t n)
{
	int line = 1;
	const char *la = a, *lb = b;

	while (*a && *a == *b) {
		if (*a == '\n') {
			line++;
			la = a + 1;
			lb = b + 1;
		}
		a++;
		b++;
	}
	snprintf(out, n, "line %d: expected '%.*s', got '%.*s'", line,
		 (int)strcspn(la, "\n"), la, (int)strcspn(lb, "\n"), lb);
}

static void golden(const char *name)
{
	char *ini = xasprintf("tests/golden/%s.ini", name);
	char *txt = xasprintf("tests/golden/%s.txt", name);
	char *out = tmpdir_path("run");
	struct run_options o = { .out = out, .no_report = true };
	struct run_summary sum;
	struct error err;
	struct scenario *sc = scenario_load(&config_schema, ini, NULL, 0, &err);
	char *got, *want, diff[512];

	ck_assert_msg(sc != NULL, "%s", err.msg);
	ck_assert_msg(run_execute(sc, &o, &sum, &err) == 0, "%s", err.msg);
	got = summary(name, out);
	if (getenv("AIRTIME_GOLDEN_UPDATE")) {
		char *tmp = xasprintf("%s.tmp", txt);
		FILE *f = fopen(tmp, "wb");

		ck_assert_msg(f != NULL, "cannot write %s", tmp);
		ck_assert_uint_eq(fwrite(got, 1, strlen(got), f), strlen(got));
		ck_assert_int_eq(fclose(f), 0);
		ck_assert_int_eq(rename(tmp, txt), 0);
		free(tmp);
	} else {
		want = slurp(txt);
		ck_assert_msg(want != NULL, "cannot read %s: run 'make golden'", txt);
		if (strcmp(want, got) != 0) {
			first_difference(want, got, diff, sizeof(diff));
			ck_abort_msg("%s differs from this run's summary at %s; if the change "
				     "is meant to change what is simulated, run 'make golden'",
				     txt, diff);
		}
		free(want);
	}
	free(got);
	scenario_free(sc);
	free(ini);
	free(txt);
	free(out);
}

START_TEST(tiny_split)
{
	golden("tiny-split");
}
END_TEST

START_TEST(tiny_twin)
{
	golden("tiny-twin");
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, tiny_split);
	tcase_add_test(tc, tiny_twin);
}

CHECK_MAIN("golden", add_tests, 120)
