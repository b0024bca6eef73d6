/* Tests for eval/report.c (and the stored analysis it reads): a synthetic
 * results.db gives a report whose HTML is well-formed and self-contained,
 * whose Markdown holds the A/B and SLO tables, whose images exist; plots are
 * skipped when their data is absent; a missing gnuplot is a warning. */
#include "eval/report.h"

#include <check.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "common/xalloc.h"
#include "eval/plot.h"
#include "eval/results.h"
#include "eval/rundir.h"
#include "tests/report_fixture.h"

static char *dir;

static void setup(void)
{
	dir = fixture_tmpdir("report");
	plot_set_program(NULL);
}

static void teardown(void)
{
	plot_set_program(NULL);
	ck_assert_int_eq(rundir_remove_tree(dir, NULL), 0);
	free(dir);
}

static char *slurp(const char *rel)
{
	char *path = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = xcalloc((size_t)n + 1, 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	free(path);
	return buf;
}

static bool exists_nonempty(const char *rel)
{
	char *path = xasprintf("%s/%s", dir, rel);
	struct stat st;
	bool ok = stat(path, &st) == 0 && st.st_size > 0;

	free(path);
	return ok;
}

static bool is_void(const char *name, size_t n)
{
	static const char *const v[] = { "meta", "img", "br", "hr", "link", "input" };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strlen(v[i]) == n && !strncmp(v[i], name, n))
			return true;
	return false;
}

/*
 * A small well-formedness check: every '<' opens a tag (or the doctype),
 * every non-void tag is closed in order, text holds no raw '<', every
 * attribute value is quoted, and the document is one <html> element.
 * Returns NULL when fine, else a static description.
 */
static const char *check_html(const char *s)
{
	static char why[160];
	const char *stack[64];
	size_t len[64], depth = 0, roots = 0;

	while ((s = strchr(s, '<'))) {
		const char *name, *end;
		bool closing = s[1] == '/';
		size_t n;

		if (!strncmp(s, "<!DOCTYPE", 9)) {
			s = strchr(s, '>');
			if (!s)
				return "unterminated doctype";
			continue;
		}
		name = s + 1 + closing;
		for (n = 0; isalnum((unsigned char)name[n]); n++)
			;
		if (n == 0)
			return "a '<' that opens no tag";
		/* Find the end of the tag, skipping quoted attribute values. */
		for (end = name + n; *end && *end != '>'; end++) {
			if (*end == '"') {
				end = strchr(end + 1, '"');
				if (!end)
					return "unterminated attribute value";
			} else if (*end == '=' && end[1] != '"') {
				return "unquoted attribute value";
			}
		}
		if (!*end)
			return "unterminated tag";
		if (closing) {
			if (depth == 0 || len[depth - 1] != n || strncmp(stack[depth - 1], name, n)) {
				snprintf(why, sizeof(why), "unexpected </%.*s>", (int)n, name);
				return why;
			}
			depth--;
		} else if (!is_void(name, n) && end[-1] != '/') {
			if (depth == 0)
				roots++;
			if (depth == 64)
				return "nesting too deep";
			stack[depth] = name;
			len[depth++] = n;
		}
		s = end + 1;
	}
	if (depth)
		return "unclosed element";
	return roots == 1 ? NULL : "not exactly one root element";
}

static int build(struct error *e)
{
	error_clear(e);
	return report_build(dir, e);
}

static bool have_gnuplot(void)
{
	struct error e;

	return plot_check(&e) == 0;
}

/* Every <img src> is an embedded, non-empty PNG: nothing external. */
static size_t count_embedded_images(const char *html)
{
	size_t n = 0;
	const char *p = html;

	while ((p = strstr(p, "src=\""))) {
		const char *q;

		p += 5;
		ck_assert_msg(!strncmp(p, "data:image/png;base64,", 22), "external src: %.40s", p);
		q = strchr(p, '"');
		ck_assert_ptr_nonnull(q);
		ck_assert_int_gt(q - p, 22 + 100);
		n++;
	}
	ck_assert_ptr_null(strstr(html, "href=\"http"));
	ck_assert_ptr_null(strstr(html, "<link"));
	ck_assert_ptr_null(strstr(html, "<script"));
	return n;
}

/* Every Markdown image link names an existing, non-empty file. */
static size_t check_md_images(const char *md)
{
	size_t n = 0;
	const char *p = md;

	while ((p = strstr(p, "](plots/"))) {
		const char *q = strchr(p, ')');
		char *rel;

		ck_assert_ptr_nonnull(q);
		rel = xasprintf("%.*s", (int)(q - p - 2), p + 2);
		ck_assert_msg(exists_nonempty(rel), "missing image %s", rel);
		free(rel);
		n++;
		p = q;
	}
	return n;
}

START_TEST(test_full_report)
{
	struct fixture_opts o = { .forest = true };
	struct error e;
	char *html, *md;
	const char *why;
	int rc;

	fixture_write_run(dir, &o);
	rc = build(&e);
	if (have_gnuplot())
		ck_assert_msg(rc == 0, "rc %d: %s", rc, e.msg);
	else
		ck_assert_int_eq(rc, REPORT_WARNINGS);
	html = slurp("report.html");
	md = slurp("report.md");
	why = check_html(html);
	ck_assert_msg(why == NULL, "report.html is not well-formed: %s", why);
	/* Header. */
	ck_assert_ptr_nonnull(strstr(md, "synthetic run for the report tests"));
	ck_assert_ptr_nonnull(strstr(md, "Seed: 7"));
	ck_assert_ptr_nonnull(strstr(md, "0123456789ab"));
	ck_assert_ptr_nonnull(strstr(md, "testhost"));
	ck_assert_ptr_nonnull(strstr(md, "12.5 s (host measurement"));
	/* A/B table: significant tune_ins marked, the non-estimable row explained. */
	ck_assert_ptr_nonnull(strstr(md, "## A/B results (split)"));
	ck_assert_ptr_nonnull(strstr(md, "| **tune_ins ▲** | 1000 / 990 |"));
	ck_assert_ptr_nonnull(strstr(md, "| likes | 1000 / 990 |"));
	ck_assert_ptr_nonnull(strstr(md, "+5.00 % [+3.00 %, +7.00 %]"));
	ck_assert_ptr_nonnull(strstr(md, "not estimable: zero control mean"));
	ck_assert_ptr_nonnull(strstr(md, "36.0 %"));          /* CUPED variance reduction */
	/* SLO table and counts: latency p99 300 ms fails, max fails, feature read fails. */
	ck_assert_ptr_nonnull(strstr(md, "## Service-level objectives"));
	ck_assert_ptr_nonnull(strstr(md, "| end-to-end latency p99 |"));
	ck_assert_ptr_nonnull(strstr(md, "| reflection time p99 | no data |"));
	ck_assert_ptr_nonnull(strstr(md, "SLO: 1 pass, **3 fail**, 1 no data."));
	ck_assert_ptr_null(strstr(md, "Sample ratio mismatch"));
	/* Tables of the rest. */
	ck_assert_ptr_nonnull(strstr(md, "| creator_likes_7d | 0.31 | 0.05 |"));
	ck_assert_ptr_nonnull(strstr(md, "| scoring_us_p99 | all | 850 | us | host measurement |"));
	ck_assert_ptr_nonnull(strstr(md, "| spike.promo.start_us | 7200000000 (day 0 02:00:00) |"));
	if (have_gnuplot()) {
		static const char *const plots[] = {
			"sessions", "queue", "reflection", "freshness", "latency", "requests",
			"exposures", "engagement", "lifts-split", "importance", "roc", "calibration",
		};

		for (size_t i = 0; i < sizeof(plots) / sizeof(plots[0]); i++) {
			char *png = xasprintf("plots/%s.png", plots[i]);
			char *svg = xasprintf("plots/%s.svg", plots[i]);

			ck_assert_msg(exists_nonempty(png), "missing %s", png);
			ck_assert_msg(exists_nonempty(svg), "missing %s", svg);
			free(png);
			free(svg);
		}
		ck_assert_uint_eq(count_embedded_images(html), 12);
		ck_assert_uint_eq(check_md_images(md), 12);
	}
	free(html);
	free(md);
}
END_TEST

START_TEST(test_absent_data_skipped)
{
	struct fixture_opts o = { .forest = false };
	struct error e;
	char *md;

	fixture_write_run(dir, &o);
	ck_assert_int_ge(build(&e), 0);
	md = slurp("report.md");
	ck_assert_ptr_null(strstr(md, "Feature importance"));
	ck_assert_ptr_null(strstr(md, "plots/roc.png"));
	ck_assert_ptr_null(strstr(md, "plots/importance.png"));
	ck_assert(!exists_nonempty("plots/roc.png"));
	ck_assert(!exists_nonempty("plots/calibration.png"));
	ck_assert(!exists_nonempty("plots/importance.png"));
	check_md_images(md);
	free(md);
}
END_TEST

START_TEST(test_no_gnuplot_warns)
{
	struct fixture_opts o = { .forest = true };
	struct error e;
	char *md, *html;

	fixture_write_run(dir, &o);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	ck_assert_int_eq(build(&e), REPORT_WARNINGS);
	ck_assert_msg(strstr(e.msg, "gnuplot") != NULL, "%s", e.msg);
	md = slurp("report.md");
	html = slurp("report.html");
	ck_assert_ptr_nonnull(strstr(md, "> **Warning:**"));
	ck_assert_ptr_nonnull(strstr(md, "gnuplot not found"));
	ck_assert_ptr_nonnull(strstr(html, "class=\"warn\""));
	ck_assert_ptr_null(strstr(html, "<img"));
	ck_assert_ptr_nonnull(strstr(md, "## A/B results (split)"));
	ck_assert_ptr_null(check_html(html));
	free(md);
	free(html);
}
END_TEST

START_TEST(test_srm_first)
{
	struct fixture_opts o = { .srm_flagged = true };
	struct error e;
	char *md, *srm, *ab;

	fixture_write_run(dir, &o);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	ck_assert_int_eq(build(&e), REPORT_WARNINGS);
	md = slurp("report.md");
	srm = strstr(md, "**Sample ratio mismatch**");
	ab = strstr(md, "## A/B results");
	ck_assert_ptr_nonnull(srm);
	ck_assert_ptr_nonnull(ab);
	/* The flag comes before everything else in the verdict. */
	ck_assert(srm < strstr(md, "## Verdict") + 40);
	ck_assert(srm < ab);
	free(md);
}
END_TEST

START_TEST(test_interference_bias)
{
	struct fixture_opts o = { .both = true };
	struct error e;
	char *md;

	fixture_write_run(dir, &o);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	ck_assert_int_eq(build(&e), REPORT_WARNINGS);
	md = slurp("report.md");
	ck_assert_ptr_nonnull(strstr(md, "## A/B results (both-split)"));
	ck_assert_ptr_nonnull(strstr(md, "## A/B results (both-twin)"));
	ck_assert_ptr_nonnull(strstr(md, "## Interference bias"));
	/* tune_ins: control mean 4, split +5 % = +0.2, twin +3 % = +0.12: bias +0.08
	 * absolute, +2 points relative. */
	ck_assert_msg(strstr(md, "| tune_ins | +0.2 [+0.12, +0.28] | +0.12 [+0.04, +0.2] | "
			     "+0.08 | +5.00 % [+3.00 %, +7.00 %] | +3.00 % [+1.00 %, +5.00 %] "
			     "| +2.00 % |") != NULL, "%s", strstr(md, "## Interference"));
	free(md);
}
END_TEST

START_TEST(test_rebuild_identical)
{
	struct fixture_opts o = { .forest = true };
	struct error e;
	char *a, *b;

	fixture_write_run(dir, &o);
	ck_assert_int_ge(build(&e), 0);
	a = slurp("report.md");
	ck_assert_int_ge(build(&e), 0);
	b = slurp("report.md");
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_missing_results_db)
{
	struct error e;
	int rc = build(&e);

	ck_assert_int_eq(rc, ERR_INPUT);
	ck_assert_msg(strstr(e.msg, "results.db") && strstr(e.msg, dir), "%s", e.msg);
	ck_assert(!exists_nonempty("report.md"));
	ck_assert(!exists_nonempty("report.html"));
}
END_TEST

START_TEST(test_not_a_results_db)
{
	char *path = xasprintf("%s/results.db", dir);
	FILE *f = fopen(path, "w");
	struct error e;

	ck_assert_ptr_nonnull(f);
	fputs("this is not sqlite\n", f);
	fclose(f);
	ck_assert_int_lt(build(&e), 0);
	ck_assert_msg(strstr(e.msg, path) != NULL, "%s", e.msg);
	ck_assert(!exists_nonempty("report.md"));
	free(path);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_full_report);
	tcase_add_test(tc, test_absent_data_skipped);
	tcase_add_test(tc, test_no_gnuplot_warns);
	tcase_add_test(tc, test_srm_first);
	tcase_add_test(tc, test_interference_bias);
	tcase_add_test(tc, test_rebuild_identical);
	tcase_add_test(tc, test_missing_results_db);
	tcase_add_test(tc, test_not_a_results_db);
}

CHECK_MAIN("report", add_tests, 60)
