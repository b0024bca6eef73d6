/* Tests for render/report.c (and the stored analysis it reads): a synthetic
 * results.db gives a report whose HTML is well-formed and self-contained,
 * whose Markdown holds the A/B and SLO tables, whose images exist; plots are
 * skipped when their data is absent; a missing gnuplot is a warning. */
#include "render/report.h"

#include <check.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "common/xalloc.h"
#include "render/fmt.h"
#include "render/plot.h"
#include "results/results.h"
#include "results/rundir.h"
#include "tests/report_fixture.h"
#include "tests/tmpdir.h"

static char *slurp(const char *rel)
{
	char *path = xasprintf("%s/%s", tmpdir, rel);
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
	char *path = xasprintf("%s/%s", tmpdir, rel);
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
	return report_build(tmpdir, e);
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

	fixture_write_run(tmpdir, &o);
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
	/* A/B table: significant tune_ins marked, the non-estimable row
	 * explained; one test per row: tune_ins is CUPED-tested, so its
	 * interval is the CUPED one (0.8 times the raw), the raw one stays as
	 * a reference; the median is outside the family (†). */
	ck_assert_ptr_nonnull(strstr(md, "## A/B results (split)"));
	ck_assert_ptr_nonnull(strstr(md, "| **tune_ins ▲** | cuped | 1000 / 990 |"));
	ck_assert_ptr_nonnull(strstr(md, "| likes | cuped | 1000 / 990 |"));
	ck_assert_ptr_nonnull(strstr(md, "+5.00 % [+3.40 %, +6.60 %]"));
	ck_assert_ptr_nonnull(strstr(md, "+0.2 [+0.12, +0.28], p < 0.001"));
	ck_assert_ptr_nonnull(strstr(md, "| listen_minutes_median (median) † | bootstrap |"));
	ck_assert_ptr_nonnull(strstr(md, "| apart |"));
	ck_assert_ptr_nonnull(strstr(md, "- A/B split: **tune_ins up** +5.00 % [+3.40 %, +6.60 %] "
				     "(cuped; adjusted p < 0.001)"));
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
			"sessions", "queue", "workers", "reflection", "freshness", "latency",
			"requests", "exposures", "engagement", "lifts-split", "importance", "roc",
			"calibration",
		};

		for (size_t i = 0; i < sizeof(plots) / sizeof(plots[0]); i++) {
			char *png = xasprintf("plots/%s.png", plots[i]);
			char *svg = xasprintf("plots/%s.svg", plots[i]);

			ck_assert_msg(exists_nonempty(png), "missing %s", png);
			ck_assert_msg(exists_nonempty(svg), "missing %s", svg);
			free(png);
			free(svg);
		}
		ck_assert_uint_eq(count_embedded_images(html), 13);
		ck_assert_uint_eq(check_md_images(md), 13);
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

	fixture_write_run(tmpdir, &o);
	ck_assert_int_ge(build(&e), 0);
	md = slurp("report.md");
	ck_assert_ptr_null(strstr(md, "Feature importance"));
	ck_assert_ptr_null(strstr(md, "plots/roc.png"));
	ck_assert_ptr_null(strstr(md, "plots/importance.png"));
	ck_assert(!exists_nonempty("plots/roc.png"));
	ck_assert(!exists_nonempty("plots/calibration.png"));
	ck_assert(!exists_nonempty("plots/importance.png"));
	/* No validate-sim, no load test: neither section nor summary line. */
	ck_assert_ptr_null(strstr(md, "Simulator validity"));
	ck_assert_ptr_null(strstr(md, "Load test"));
	ck_assert(!exists_nonempty("plots/loadtest-2.png"));
	check_md_images(md);
	free(md);
}
END_TEST

START_TEST(test_no_gnuplot_warns)
{
	struct fixture_opts o = { .forest = true };
	struct error e;
	char *md, *html;

	fixture_write_run(tmpdir, &o);
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

	fixture_write_run(tmpdir, &o);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	ck_assert_int_eq(build(&e), REPORT_WARNINGS);
	md = slurp("report.md");
	srm = strstr(md, "**Sample ratio mismatch**");
	ab = strstr(md, "## A/B results");
	ck_assert_ptr_nonnull(srm);
	ck_assert_ptr_nonnull(ab);
	/* The flag is a banner of the decision, before everything else. */
	ck_assert(srm < strstr(md, "## Verdict"));
	ck_assert(strstr(md, "## Decision") < srm);
	ck_assert(srm < ab);
	ck_assert_ptr_nonnull(strstr(md, "> **INCONCLUSIVE**: treatment (forest) vs control "
				      "(split): the sample-ratio check failed"));
	free(md);
}
END_TEST

/* The decision comes first, on the scenario's [ab] primary and guardrails:
 * ship (green) when the primary is up and the guardrail held; don't ship
 * (red, the harm in bold) when the guardrail's interval is below its
 * tolerated loss; the defaults are said to be defaults. */
START_TEST(test_decision_first)
{
	struct fixture_opts ship = { .scenario_text = "[run]\nseed = 7\n[ab]\nprimary = tune_ins\n"
						      "guardrails = likes:5%\n" };
	struct fixture_opts harm = { .scenario_text = "[run]\nseed = 7\n[ab]\nprimary = tune_ins\n"
						      "guardrails = listen_minutes_median:0.1%\n",
				     .lift_scale = 6 };
	struct fixture_opts dflt = { 0 };
	struct error e;
	char *md, *html;

	plot_set_program("/nonexistent/airtime-no-gnuplot");
	fixture_write_run(tmpdir, &ship);
	ck_assert_int_eq(build(&e), REPORT_WARNINGS);
	md = slurp("report.md");
	html = slurp("report.html");
	ck_assert(strstr(md, "## Decision") && strstr(md, "## Decision") < strstr(md, "## Verdict"));
	ck_assert_ptr_nonnull(strstr(md, "[ab] primary = tune_ins; [ab] guardrails = likes:5%. "));
	ck_assert_ptr_nonnull(strstr(md, "> **SHIP**: treatment (forest) vs control (split): "
				      "tune_ins is up +5.0 % [+3.4, +6.6] and every guardrail held."));
	ck_assert_ptr_nonnull(strstr(md, "| guardrail | likes | +1.0 % [-2.2, +4.2] | harm when "
				      "the interval is below -5 % | held |"));
	ck_assert_ptr_nonnull(strstr(html, "<p class=\"good\"><strong>SHIP</strong>"));
	free(md);
	free(html);
	tmpdir_teardown();
	tmpdir_setup();
	fixture_write_run(tmpdir, &harm);
	ck_assert_int_eq(build(&e), REPORT_WARNINGS);
	md = slurp("report.md");
	html = slurp("report.html");
	ck_assert_ptr_nonnull(strstr(md, "> **DON'T SHIP**: treatment (forest) vs control (split): "
				      "guardrail listen_minutes_median is harmed: -12.0 % [-17.0, -7.0], "
				      "worse than the 0.1 % loss it tolerates."));
	ck_assert_ptr_nonnull(strstr(md, "| **HARM** |"));
	ck_assert_ptr_nonnull(strstr(html, "<p class=\"bad\">"));
	free(md);
	free(html);
	tmpdir_teardown();
	tmpdir_setup();
	fixture_write_run(tmpdir, &dflt);
	ck_assert_int_eq(build(&e), REPORT_WARNINGS);
	md = slurp("report.md");
	ck_assert_ptr_nonnull(strstr(md, "[ab] primary = engagement_actions (default); [ab] "
				      "guardrails = sessions:2%, notify_enables:5% (default)."));
	ck_assert_ptr_nonnull(strstr(md, "> **INCONCLUSIVE**: treatment (forest) vs control "
				      "(split): the primary metric engagement_actions has no "
				      "estimable lift."));
	free(md);
}
END_TEST

START_TEST(test_interference_bias)
{
	struct fixture_opts o = { .both = true };
	struct error e;
	char *md;

	fixture_write_run(tmpdir, &o);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	ck_assert_int_eq(build(&e), REPORT_WARNINGS);
	md = slurp("report.md");
	ck_assert_ptr_nonnull(strstr(md, "## A/B results (split)"));
	ck_assert_ptr_nonnull(strstr(md, "## A/B results (twin)"));
	ck_assert_ptr_nonnull(strstr(md, "## Interference bias"));
	/* tune_ins: control mean 4, split +5 % = +0.2, twin +3 % = +0.12: bias +0.08
	 * with se 0.05 (its interval holds 0); likes a bias with se 0.0001. */
	ck_assert_msg(strstr(md, "| tune_ins | +0.2 [+0.12, +0.28] | +0.12 [+0.04, +0.2] | "
			     "+0.08 [-0.018, +0.178] | +1.96 | 0.3 | indistinguishable from 0 |")
		      != NULL, "%s", strstr(md, "## Interference"));
	ck_assert_msg(strstr(md, "| likes | +0.005 [-0.015, +0.025] | +0.003 [-0.017, +0.023] | "
			     "+0.002 [+0.001804, +0.002196] | +0.196 | 0.3 | **bias** |") != NULL,
		      "%s", strstr(md, "## Interference"));
	ck_assert_ptr_nonnull(strstr(md, "Twin intervals are conditional on the drawn world"));
	free(md);
}
END_TEST

/* A/B/n: two treatment arms in split and twin.  Each arm has its own
 * table against the control, the verdict a line per arm, the Holm family
 * is stated, the bias is per arm, and the lifts plot has one series per
 * arm (the arms' exposure and engagement plots one line per arm). */
START_TEST(test_three_arms)
{
	struct fixture_opts o = {
		.arms = 2, .both = true,
		.scenario_text = "[run]\nseed = 7\n[ab]\narms = heuristic, forest, popularity\n"
				 "shares = 50%, 25%, 25%\nmode = both\n",
	};
	struct error e;
	char *md;
	int rc;

	fixture_write_run(tmpdir, &o);
	rc = build(&e);
	ck_assert_msg(rc >= 0, "%s", e.msg);
	md = slurp("report.md");
	ck_assert_ptr_nonnull(strstr(md, "Arms: control = heuristic (50 %), forest (25 %), "
				     "popularity (25 %). Each treatment arm is compared with the "
				     "control."));
	ck_assert_ptr_nonnull(strstr(md, "### forest vs control (split)"));
	ck_assert_ptr_nonnull(strstr(md, "### popularity vs control (split)"));
	ck_assert_ptr_nonnull(strstr(md, "### popularity vs control (twin)"));
	ck_assert_ptr_nonnull(strstr(md, "chi-square 0.05 (2 df, over all arms)"));
	ck_assert_ptr_nonnull(strstr(md, "p adj. is Holm-adjusted across the family of the 3 "
				     "metrics (tune_ins, likes, ctr) x 2 treatment arms = 6 "
				     "hypotheses"));
	/* popularity has twice forest's lifts: tune_ins +10 % (CUPED interval) */
	ck_assert_ptr_nonnull(strstr(md, "- A/B split, popularity: **tune_ins up** +10.0 % "
				     "[+8.40 %, +11.6 %]"));
	ck_assert_ptr_nonnull(strstr(md, "- A/B split, forest: **tune_ins up** +5.00 %"));
	ck_assert_ptr_nonnull(strstr(md, "of the Holm family (2 arms x its metrics) moved "
				     "significantly at alpha = 0.05; 1000 popularity, 990 control "
				     "users."));
	/* bias per arm: split +10 % against twin +6 % for popularity */
	ck_assert_ptr_nonnull(strstr(md, "## Interference bias"));
	ck_assert_msg(strstr(md, "### popularity vs control\n\n| metric | split lift [CI]") != NULL,
		      "%s", strstr(md, "## Interference"));
	ck_assert_ptr_nonnull(strstr(md, "| tune_ins | +0.4 [+0.32, +0.48] | +0.24 [+0.16, +0.32] | "
				     "+0.16 [+0.062, +0.258] |"));
	if (have_gnuplot()) {
		ck_assert(exists_nonempty("plots/lifts-split.png"));
		ck_assert(exists_nonempty("plots/lifts-split.svg"));
		ck_assert(exists_nonempty("plots/lifts-twin.svg"));
		ck_assert(exists_nonempty("plots/exposures.png"));
		ck_assert(exists_nonempty("plots/engagement.png"));
		check_md_images(md);
	}
	free(md);
}
END_TEST

/* The lifts plot draws one series per arm through gnuplot: a fake
 * gnuplot records the script it is fed. */
START_TEST(test_lifts_plot_has_a_series_per_arm)
{
	struct fixture_opts o = { .arms = 3 };
	char *fake = xasprintf("%s/fake-gnuplot", tmpdir), *log = xasprintf("%s/script.log", tmpdir);
	char *script;
	struct error e;
	FILE *f;

	fixture_write_run(tmpdir, &o);
	f = fopen(fake, "w");
	ck_assert_ptr_nonnull(f);
	/* a gnuplot that accepts anything and draws nothing (each plot is an
	 * empty image: a warning); it keeps what it was sent */
	fprintf(f, "#!/bin/sh\ncat >> '%s'\n", log);
	fclose(f);
	ck_assert_int_eq(chmod(fake, 0755), 0);
	plot_set_program(fake);
	ck_assert_int_eq(build(&e), REPORT_WARNINGS);
	script = slurp("script.log");
	ck_assert_msg(strstr(script, "title 'forest'") && strstr(script, "title 'popularity'") &&
		      strstr(script, "title 'random'"), "%s", script);
	ck_assert_ptr_nonnull(strstr(script, "set title 'Relative lifts (split)'"));
	ck_assert_ptr_nonnull(strstr(script, "with xerrorbars pt 5 ps 1 lc 1"));
	free(script);
	free(fake);
	free(log);
}
END_TEST

START_TEST(test_rebuild_identical)
{
	struct fixture_opts o = { .forest = true };
	struct error e;
	char *a, *b;

	fixture_write_run(tmpdir, &o);
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
	ck_assert_msg(strstr(e.msg, "results.db") && strstr(e.msg, tmpdir), "%s", e.msg);
	ck_assert(!exists_nonempty("report.md"));
	ck_assert(!exists_nonempty("report.html"));
}
END_TEST

START_TEST(test_not_a_results_db)
{
	char *path = xasprintf("%s/results.db", tmpdir);
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

START_TEST(test_validity_section)
{
	struct fixture_opts o = { .validity = true };
	struct error e;
	char *md, *html, *row, p[24];
	const char *verdict, *section, *ab;

	fixture_write_run(tmpdir, &o);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	ck_assert_int_eq(build(&e), REPORT_WARNINGS);
	md = slurp("report.md");
	html = slurp("report.html");
	ck_assert_ptr_null(check_html(html));
	/* The fixture stores 2 pass, 1 fail, 1 skip: counted in the verdict,
	 * the failure named there, before the A/B tables. */
	verdict = strstr(md, "Simulator validity: 2 pass, **1 fail**, 1 skipped.");
	ab = strstr(md, "## A/B results");
	ck_assert_ptr_nonnull(verdict);
	ck_assert(verdict < ab);
	ck_assert_ptr_nonnull(strstr(md, "Validity check failed: **listen_duration** (median 7.1 "
				     "min vs configured 8 min)"));
	section = strstr(md, "## Simulator validity");
	ck_assert_ptr_nonnull(section);
	ck_assert_ptr_nonnull(strstr(section, "2 pass, 1 fail, 1 skipped"));
	row = xasprintf("| listen_duration | KS D | 0.0123 | %s | 0.001 | **FAIL** | median 7.1 "
			"min vs configured 8 min |", fmt_p(p, sizeof(p), 0.00002));
	ck_assert_msg(strstr(section, row) != NULL, "%s", section);
	free(row);
	row = xasprintf("| sessions_hourly | chi2(24) | 21.5 | %s | 0.001 | pass |",
			fmt_p(p, sizeof(p), 0.61));
	ck_assert_ptr_nonnull(strstr(section, row));
	free(row);
	/* NULL value and p (a skipped check; an exact check has no p). */
	ck_assert_ptr_nonnull(strstr(section, "| sessions_weekly | chi2(7) | n/a | - | 0.001 | skip "
					 "| under 7 days simulated |"));
	ck_assert_ptr_nonnull(strstr(section, "| replay_sessions | difference | 0 | - | 0 | pass |"));
	ck_assert_ptr_nonnull(strstr(html, "<h2>Simulator validity</h2>"));
	free(md);
	free(html);
}
END_TEST

/* The expected cells of a histogram row: the stored quantiles in ms. */
static char *hist_cells(const struct hist *h)
{
	static const double q[] = { 0.5, 0.9, 0.99, 0.999, 0.9999, 1 };
	char v[6][48];

	for (int i = 0; i < 6; i++)
		fmt_num(v[i], sizeof(v[i]), (double)hist_quantile(h, q[i]) / 1e6);
	return xasprintf("| %llu | %s | %s | %s | %s | %s | %s |",
			 (unsigned long long)hist_count(h), v[0], v[1], v[2], v[3], v[4], v[5]);
}

START_TEST(test_loadtest_section)
{
	struct fixture_opts o = { .forest = true, .loadtests = 2 };
	struct error e;
	struct hist lat, read;
	char *md, *html, *want, *cells, p99[48];
	const char *section, *plots, *second;
	int rc;

	fixture_write_run(tmpdir, &o);
	rc = build(&e);
	ck_assert_msg(rc == (have_gnuplot() ? 0 : REPORT_WARNINGS), "rc %d: %s", rc, e.msg);
	md = slurp("report.md");
	html = slurp("report.html");
	ck_assert_msg(check_html(html) == NULL, "%s", check_html(html));
	section = strstr(md, "## Load test (host measurement)");
	ck_assert_ptr_nonnull(section);
	ck_assert_ptr_nonnull(strstr(section, "### Load test 2 (2026-01-03T00:00:00Z, host "
					 "testhost)"));
	second = strstr(section, "### Load test 3 (");
	ck_assert_ptr_nonnull(second);
	ck_assert_ptr_nonnull(strstr(section, "Arrivals constant for 20 s, scorer forest, 2 "
					 "threads, 1000 candidates per request, 100 trees."));
	/* Intended vs achieved rate, late and dropped. */
	ck_assert_ptr_nonnull(strstr(section, "| 500 /s | 498.5 /s | 500 /s | 10000 | 9997 | 12 | "
					 "3 | 0 |"));
	/* Latency from intended start: the fixture's 1..10000 us, p50 about
	 * 5 ms, p99 about 9.9 ms, p99.99 and max about 10 ms; the exact cells
	 * are hist_quantile's (p99.99 is rebuilt from the stored buckets). */
	fixture_loadtest_latency(&lat);
	cells = hist_cells(&lat);
	want = xasprintf("| latency from intended start %s", cells);
	ck_assert_msg(strstr(section, want) != NULL, "want %s in %s", want, section);
	ck_assert(hist_quantile(&lat, 0.9999) > hist_quantile(&lat, 0.999));
	free(want);
	free(cells);
	/* Feature read: 999 x 0.25 ms and one 0.8 ms; p99.99 (rank 1000) is
	 * the 0.8 ms value, p99 (rank 990) is 0.25 ms. */
	ck_assert_int_eq(hist_init(&read, INT64_C(10000000000), 3, &e), 0);
	hist_record_n(&read, 250000, 999);
	hist_record(&read, 800000);
	cells = hist_cells(&read);
	want = xasprintf("| feature read %s", cells);
	ck_assert_msg(strstr(section, want) != NULL, "want %s", want);
	ck_assert_ptr_nonnull(strstr(want, "| 0.8 | 0.8 |"));   /* p99.99 and max */
	free(want);
	free(cells);
	hist_release(&read);
	/* SLO rows of the load test and the verdict summary line. */
	ck_assert_ptr_nonnull(strstr(section, "| load test latency p99 (issue target) |"));
	ck_assert_ptr_nonnull(strstr(section, "| **FAIL** |"));
	fmt_num(p99, sizeof(p99), (double)hist_quantile(&lat, 0.99) / 1e6);
	want = xasprintf("Load test 2 (host measurement): p99 %s ms, 498.5 of 500 requests/s "
			 "achieved; SLO 2 pass, **1 fail**, 0 no data.", p99);
	ck_assert_msg(strstr(md, want) != NULL && strstr(md, want) < section, "want %s", want);
	free(want);
	hist_release(&lat);
	plots = strstr(md, "## Plots");
	if (have_gnuplot()) {
		const char *img2 = strstr(md, "](plots/loadtest-2.png)");
		const char *img3 = strstr(md, "](plots/loadtest-3.png)");

		ck_assert(exists_nonempty("plots/loadtest-2.png"));
		ck_assert(exists_nonempty("plots/loadtest-3.png"));
		ck_assert(exists_nonempty("plots/loadtest-2.svg"));
		/* Each plot sits in its own load test's subsection, not under Plots. */
		ck_assert_ptr_nonnull(img2);
		ck_assert_ptr_nonnull(img3);
		ck_assert(img2 > section && img2 < second);
		ck_assert(img3 > second && (!plots || img3 < plots));
		ck_assert_uint_eq(count_embedded_images(html), 15);
		ck_assert_uint_eq(check_md_images(md), 15);
	} else {
		ck_assert_ptr_null(strstr(html, "<img"));
	}
	free(md);
	free(html);
}
END_TEST

/* The gnuplot scripts of the time plots, captured by a stand-in gnuplot
 * that logs its input and writes a byte into each image it is asked for:
 * the warm-up shaded and the experiment's start marked on every time plot,
 * the x axis ending at the run's end (warm-up + experiment days), latency
 * on a log axis with its objective, batch freshness against its own bound
 * (not the streaming objective), workers on a panel of their own, counts
 * from 0; the permutation column is dropped when it was never computed. */
START_TEST(test_time_plots_are_honest)
{
	struct fixture_opts o = { .scenario_text = "[run]\nseed = 7\nwarmup_days = 1\n"
						   "experiment_days = 1\n", .forest = true };
	char *fake = xasprintf("%s/fake-gnuplot", tmpdir), *log = xasprintf("%s/scripts.log", tmpdir);
	char *dbp = xasprintf("%s/results.db", tmpdir), *all, *fig, *md;
	struct results *r;
	struct error e;
	FILE *f = fopen(fake, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\nscript=$(cat)\nprintf '%%s\\n' \"$script\" >> '%s'\n"
		   "printf '%%s\\n' \"$script\" | sed -n \"s/^set output '\\(.*\\)'$/\\1/p\" |\n"
		   "while read -r out; do echo x > \"$out\"; done\nexit 0\n", log);
	fclose(f);
	ck_assert_int_eq(chmod(fake, 0755), 0);
	fixture_write_run(tmpdir, &o);
	r = results_open(dbp, &e);
	ck_assert_msg(r != NULL, "%s", e.msg);
	ck_assert_int_eq(results_put_info(r, 1, schema_name(SCHEMA_INFO_EXPERIMENT_START),
					  "10800000000", &e), 0);       /* 3 h */
	results_close(r);
	plot_set_program(fake);
	ck_assert_msg(build(&e) == 0, "%s", e.msg);
	all = slurp("scripts.log");
	/* one script per figure: check each time plot's own part */
	static const char *const timed[] = { "Sessions per minute", "Stream queue'",
					     "Stream workers", "Streaming reflection time",
					     "Batch feature freshness", "Endpoint latency",
					     "Endpoint requests and errors",
					     "Cumulative exposures per arm" };
	for (size_t i = 0; i < sizeof(timed) / sizeof(timed[0]); i++) {
		char *end;

		fig = strstr(all, timed[i]);
		ck_assert_msg(fig != NULL, "no figure '%s'", timed[i]);
		end = strstr(fig, "unset output");
		ck_assert_ptr_nonnull(end);
		*end = '\0';
		ck_assert_msg(strstr(fig, "set xrange [0:48]"), "%s: x axis not to the run's end",
			      timed[i]);
		ck_assert_msg(strstr(fig, "set object rectangle from first 0, graph 0 to first 3, "
				     "graph 1 behind"), "%s: warm-up not shaded", timed[i]);
		ck_assert_msg(strstr(fig, "set label 'experiment starts' at first 3,"),
			      "%s: experiment start not marked", timed[i]);
		ck_assert_msg(strstr(fig, "set label 'spike promo' at first 2,"),
			      "%s: spike not marked", timed[i]);
		if (!strcmp(timed[i], "Endpoint latency"))
			ck_assert(strstr(fig, "set logscale y") && strstr(fig, "'SLO p99 "));
		if (!strcmp(timed[i], "Batch feature freshness")) {
			ck_assert_ptr_nonnull(strstr(fig, "'daily batch bound 25.0 h'"));
			ck_assert_ptr_null(strstr(fig, "SLO"));
		}
		if (!strcmp(timed[i], "Stream queue'"))
			ck_assert_ptr_null(strstr(fig, "worker"));
		if (!strcmp(timed[i], "Endpoint requests and errors"))
			ck_assert(strstr(fig, "set yrange [0:]") && strstr(fig, "set y2range [0:]"));
		*end = 'u';
	}
	md = slurp("report.md");
	ck_assert_ptr_nonnull(strstr(md, "| feature | impurity | permutation |"));
	free(md);
	free(all);
	free(fake);
	free(log);
	free(dbp);
}
END_TEST

/* ---- the report in a real browser (long: headless Chromium) ---------------- */

/* Run a shell command line, bounded in time by timeout(1); its exit status. */
static int shell(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Total size of a PNG's IDAT chunks (the compressed pixels) and its size;
 * 0 when the file is not a PNG. */
static size_t png_idat(const char *path, unsigned *w, unsigned *h)
{
	static const unsigned char magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char head[8], len4[4], type[4];
	size_t total = 0;
	FILE *f = fopen(path, "rb");

	*w = *h = 0;
	if (!f)
		return 0;
	if (fread(head, 1, 8, f) != 8 || memcmp(head, magic, 8)) {
		fclose(f);
		return 0;
	}
	while (fread(len4, 1, 4, f) == 4 && fread(type, 1, 4, f) == 4) {
		unsigned long n = (unsigned long)len4[0] << 24 | (unsigned long)len4[1] << 16 |
				  (unsigned long)len4[2] << 8 | len4[3];

		if (!memcmp(type, "IHDR", 4)) {
			unsigned char ih[8];

			if (fread(ih, 1, 8, f) != 8)
				break;
			*w = (unsigned)ih[0] << 24 | (unsigned)ih[1] << 16 | (unsigned)ih[2] << 8 | ih[3];
			*h = (unsigned)ih[4] << 24 | (unsigned)ih[5] << 16 | (unsigned)ih[6] << 8 | ih[7];
			n -= 8;
		} else if (!memcmp(type, "IDAT", 4)) {
			total += n;
		}
		if (fseek(f, (long)n + 4, SEEK_CUR) != 0)   /* data and CRC */
			break;
	}
	fclose(f);
	return total;
}

/* report.html of the fixture (every plot drawn) opened in headless
 * Chromium: a screenshot that is no blank page (its compressed pixels
 * several times a blank page's, rendered the same way) and every image
 * loaded (a probe script counts the <img> with pixels into the title,
 * read back from the DOM).  Skipped, saying so, only when chromium cannot
 * run here. */
START_TEST(test_report_renders_in_chromium)
{
	struct fixture_opts o = { .forest = true };
	char *profile = xasprintf("%s/chrome", tmpdir), *cmd, *html, *probe, *dom, *at, *want;
	char *blank_html = xasprintf("%s/blank.html", tmpdir), *probe_html = xasprintf("%s/probe.html",
											  tmpdir);
	char *shot_png = xasprintf("%s/shot.png", tmpdir), *blank_png = xasprintf("%s/blank.png",
										 tmpdir);
	const char *flags = "--headless --no-sandbox --disable-gpu --hide-scrollbars "
			    "--window-size=1200,3000 --virtual-time-budget=5000";
	size_t shot, blank, n_img = 0;
	unsigned w, h, bw, bh;
	struct error e;
	FILE *f;

	cmd = xasprintf("timeout 120 chromium --headless --no-sandbox --disable-gpu "
			"--user-data-dir='%s' --dump-dom about:blank >/dev/null 2>&1", profile);
	if (shell(cmd) != 0) {
		fprintf(stderr, "test_report_renders_in_chromium: SKIPPED: chromium cannot run "
			"here (not installed, or no headless start in this sandbox: '%s' failed); "
			"install Debian's chromium (.ci/deps --long)\n", cmd);
		free(cmd);
		free(profile);
		free(blank_html);
		free(probe_html);
		free(shot_png);
		free(blank_png);
		return;
	}
	free(cmd);
	fixture_write_run(tmpdir, &o);
	ck_assert_int_ge(build(&e), 0);
	/* The screenshot, and a blank page's as the yardstick. */
	f = fopen(blank_html, "w");
	ck_assert_ptr_nonnull(f);
	fputs("<!DOCTYPE html><html><body></body></html>\n", f);
	fclose(f);
	cmd = xasprintf("cd '%s' && timeout 120 chromium %s --user-data-dir='%s' "
			"--screenshot='%s/shot.png' file://%s/report.html >/dev/null 2>&1 && "
			"timeout 120 chromium %s --user-data-dir='%s' --screenshot='%s/blank.png' "
			"file://%s/blank.html >/dev/null 2>&1", tmpdir, flags, profile, tmpdir, tmpdir,
			flags, profile, tmpdir, tmpdir);
	ck_assert_msg(shell(cmd) == 0, "chromium failed: %s", cmd);
	free(cmd);
	shot = png_idat(shot_png, &w, &h);
	blank = png_idat(blank_png, &bw, &bh);
	ck_assert_msg(w == 1200 && h == 3000, "screenshot %ux%u, not 1200x3000", w, h);
	ck_assert_msg(blank > 0 && shot > 5 * blank, "the screenshot looks blank: %zu bytes of "
		      "pixels against a blank page's %zu", shot, blank);
	/* Every image loaded: a copy of the page with a probe script. */
	html = slurp("report.html");
	for (at = html; (at = strstr(at, "<img")); at++)
		n_img++;
	ck_assert_uint_eq(n_img, have_gnuplot() ? 13 : 0);
	at = strstr(html, "</body>");
	ck_assert_ptr_nonnull(at);
	probe = xasprintf("%.*s<script>window.addEventListener('load', function () {"
			  "var i = Array.prototype.slice.call(document.images);"
			  "var ok = i.filter(function (x) { return x.complete && x.naturalWidth > 0; });"
			  "document.title = 'probe: ' + ok.length + ' of ' + i.length + ' images';"
			  "});</script>%s", (int)(at - html), html, at);
	f = fopen(probe_html, "w");
	ck_assert_ptr_nonnull(f);
	fputs(probe, f);
	fclose(f);
	cmd = xasprintf("timeout 120 chromium %s --user-data-dir='%s' --dump-dom "
			"file://%s/probe.html > '%s/dom.html' 2>/dev/null", flags, profile, tmpdir,
			tmpdir);
	ck_assert_msg(shell(cmd) == 0, "chromium failed: %s", cmd);
	free(cmd);
	dom = slurp("dom.html");
	want = xasprintf("<title>probe: %zu of %zu images</title>", n_img, n_img);
	ck_assert_msg(strstr(dom, want), "not every image loaded: no '%s' in the DOM", want);
	free(want);
	free(dom);
	free(probe);
	free(html);
	free(profile);
	free(blank_html);
	free(probe_html);
	free(shot_png);
	free(blank_png);
}
END_TEST

static void add_long_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_report_renders_in_chromium);
}

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_full_report);
	tcase_add_test(tc, test_absent_data_skipped);
	tcase_add_test(tc, test_no_gnuplot_warns);
	tcase_add_test(tc, test_srm_first);
	tcase_add_test(tc, test_decision_first);
	tcase_add_test(tc, test_time_plots_are_honest);
	tcase_add_test(tc, test_interference_bias);
	tcase_add_test(tc, test_three_arms);
	tcase_add_test(tc, test_lifts_plot_has_a_series_per_arm);
	tcase_add_test(tc, test_validity_section);
	tcase_add_test(tc, test_loadtest_section);
	tcase_add_test(tc, test_rebuild_identical);
	tcase_add_test(tc, test_missing_results_db);
	tcase_add_test(tc, test_not_a_results_db);
}

CHECK_MAIN_LONG("report", add_tests, 60, add_long_tests, 400)
