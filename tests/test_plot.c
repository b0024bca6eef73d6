/* Tests for render/plot.c: PNG and SVG through gnuplot, a missing or failing
 * gnuplot gives a clean error and leaves no file.  Rendering tests return
 * early (pass) on a machine without gnuplot. */
#include "render/plot.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "results/rundir.h"

#include "tests/check_main.h"
#include "tests/tmpdir.h"

static void setup(void)
{
	tmpdir_setup();
	plot_set_program(NULL);
	unsetenv("AIRTIME_GNUPLOT");
}

static void teardown(void)
{
	plot_set_program(NULL);
	tmpdir_teardown();
}

/* Skip (by returning) when this machine has no working gnuplot. */
static bool have_gnuplot(void)
{
	struct error err;

	if (plot_check(&err) == 0)
		return true;
	fprintf(stderr, "test_plot: skipping a rendering test: %s\n", err.msg);
	return false;
}

static void assert_png(const char *path)
{
	static const unsigned char magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char head[8];
	FILE *f = fopen(path, "rb");
	struct stat sb;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fread(head, 1, 8, f), 8);
	fclose(f);
	ck_assert_mem_eq(head, magic, 8);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_gt(sb.st_size, 1000);
}

static void assert_svg(const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	ck_assert_int_gt(n, 100);
	ck_assert_ptr_nonnull(strstr(buf, "<svg"));
}

/* Latency percentiles over a day with an SLO line and a spike marker. */
static struct plot *latency_plot(size_t n)
{
	struct plot *p = plot_new("endpoint latency (p50, p99) with a spike's");
	double *x = xcalloc(n, sizeof(*x)), *p50 = xcalloc(n, sizeof(*x));
	double *p99 = xcalloc(n, sizeof(*x)), *inst = xcalloc(n, sizeof(*x));

	for (size_t i = 0; i < n; i++) {
		x[i] = (double)i / 60.0;
		p50[i] = 40 + 10 * sin((double)i / 100);
		p99[i] = i == n / 2 ? NAN : 150 + 40 * sin((double)i / 50); /* a gap */
		inst[i] = 4 + (double)(i / 200);
	}
	plot_set_labels(p, "simulated hour", "latency (ms)", "instances");
	plot_add(p, "p50_ms", PLOT_LINES, x, p50, n);
	plot_add(p, "p99_ms", PLOT_STEPS, x, p99, n);
	plot_add_y2(p, "instances", PLOT_STEPS, x, inst, n);
	plot_hline(p, 200, "SLO 200 ms");
	plot_vline(p, 6.5, "spike.promo1");
	free(x);
	free(p50);
	free(p99);
	free(inst);
	return p;
}

START_TEST(renders_png_and_svg)
{
	char *base, *png, *svg;
	struct error err;
	struct plot *p;

	if (!have_gnuplot())
		return;
	base = xasprintf("%s/latency", tmpdir);
	png = xasprintf("%s.png", base);
	svg = xasprintf("%s.svg", base);
	p = latency_plot(600);
	ck_assert_int_eq(plot_render(p, base, PLOT_PNG | PLOT_SVG, &err), 0);
	assert_png(png);
	assert_svg(svg);
	ck_assert_int_eq(tmpdir_entries(tmpdir), 2); /* no temporaries left */
	plot_free(p);
	plot_free(NULL);
	free(base);
	free(png);
	free(svg);
}
END_TEST

START_TEST(renders_every_style_log_scale_and_intervals)
{
	static const char *const labels[] = { "likes", "follows", "listen_minutes" };
	static const double est[] = { 0.02, -0.01, 0.05 }, lo[] = { 0.0, -0.03, 0.01 },
			    hi[] = { 0.04, 0.01, 0.09 };
	double x[20], y[20], ylo[20], yhi[20];
	enum plot_style styles[] = { PLOT_IMPULSES, PLOT_BARS, PLOT_POINTS, PLOT_LINESPOINTS };
	char *base;
	struct error err;
	struct plot *p;

	if (!have_gnuplot())
		return;
	for (int i = 0; i < 20; i++) {
		x[i] = i + 1;
		y[i] = pow(10, i / 5.0);
		ylo[i] = y[i] * 0.8;
		yhi[i] = y[i] * 1.2;
	}
	p = plot_new("styles");
	plot_set_log(p, false, true);
	plot_set_xrange(p, 0, NAN);
	for (size_t s = 0; s < sizeof(styles) / sizeof(styles[0]); s++)
		plot_add(p, "s", styles[s], x, y, 20);
	plot_add_errorbars(p, "with error bars", x, y, ylo, yhi, 20);
	base = xasprintf("%s/styles", tmpdir);
	ck_assert_int_eq(plot_render(p, base, PLOT_SVG, &err), 0);
	plot_free(p);
	free(base);

	p = plot_new("lift with 95% intervals");
	plot_set_labels(p, "relative lift", NULL, NULL);
	plot_forest(p, labels, est, lo, hi, 3);
	base = xasprintf("%s/forest", tmpdir);
	ck_assert_int_eq(plot_render(p, base, PLOT_PNG, &err), 0);
	free(base);
	base = xasprintf("%s/forest.png", tmpdir);
	assert_png(base);
	ck_assert_int_eq(tmpdir_entries(tmpdir), 2);
	plot_free(p);
	free(base);
}
END_TEST

START_TEST(missing_gnuplot_is_unavailable)
{
	char *base = xasprintf("%s/x", tmpdir);
	struct plot *p = latency_plot(10);
	struct error err;

	plot_set_program("/nonexistent/airtime-no-gnuplot");
	ck_assert_int_eq(plot_check(&err), ERR_UNAVAILABLE);
	ck_assert_int_eq(plot_render(p, base, PLOT_PNG | PLOT_SVG, &err), ERR_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(err.msg, "gnuplot not found"));
	ck_assert_ptr_nonnull(strstr(err.msg, "install gnuplot-nox"));
	ck_assert_int_eq(tmpdir_entries(tmpdir), 0);

	/* The environment variable works the same way; the setter wins. */
	plot_set_program(NULL);
	setenv("AIRTIME_GNUPLOT", "airtime-no-such-gnuplot", 1);
	ck_assert_str_eq(plot_program(), "airtime-no-such-gnuplot");
	ck_assert_int_eq(plot_render(p, base, PLOT_SVG, &err), ERR_UNAVAILABLE);
	plot_set_program("gnuplot");
	ck_assert_str_eq(plot_program(), "gnuplot");
	unsetenv("AIRTIME_GNUPLOT");
	ck_assert_int_eq(tmpdir_entries(tmpdir), 0);
	plot_free(p);
	free(base);
}
END_TEST

/* A "gnuplot" that reads everything, complains and exits 3. */
START_TEST(failing_gnuplot_leaves_no_file)
{
	char *fake = xasprintf("%s/fake-gnuplot", tmpdir);
	char *base = xasprintf("%s/out/x", tmpdir), *dir = xasprintf("%s/out", tmpdir);
	FILE *f = fopen(fake, "w");
	struct plot *p = latency_plot(100);
	struct error err;

	ck_assert_ptr_nonnull(f);
	fputs("#!/bin/sh\ncat >/dev/null\necho '         line 3: boom' >&2\nexit 3\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(fake, 0755), 0);
	ck_assert_int_eq(mkdir(dir, 0777), 0);
	plot_set_program(fake);
	ck_assert_int_eq(plot_render(p, base, PLOT_PNG | PLOT_SVG, &err), ERR_RUN);
	ck_assert_ptr_nonnull(strstr(err.msg, "exit status 3"));
	ck_assert_ptr_nonnull(strstr(err.msg, "line 3: boom"));
	ck_assert_ptr_nonnull(strstr(err.msg, base));
	ck_assert_int_eq(tmpdir_entries(dir), 0);
	plot_free(p);
	free(fake);
	free(base);
	free(dir);
}
END_TEST

/* A program that exits without reading: our write hits a closed pipe, which
 * must be an error, not a SIGPIPE that kills the process. */
START_TEST(early_exit_is_an_error_not_a_signal)
{
	char *base = xasprintf("%s/x", tmpdir);
	struct plot *p = latency_plot(200000); /* several MB: more than a pipe holds */
	struct error err;

	plot_set_program("false");
	ck_assert_int_eq(plot_render(p, base, PLOT_PNG, &err), ERR_RUN);
	ck_assert_ptr_nonnull(strstr(err.msg, "exit status 1"));
	ck_assert_int_eq(tmpdir_entries(tmpdir), 0);
	plot_free(p);
	free(base);
}
END_TEST

/* Real gnuplot refusing a plot (log scale of non-positive data). */
START_TEST(gnuplot_error_leaves_no_file)
{
	double x[3] = { 1, 2, 3 }, y[3] = { -1, -2, -3 };
	char *base = xasprintf("%s/bad", tmpdir);
	struct error err;
	struct plot *p;

	if (!have_gnuplot()) {
		free(base);
		return;
	}
	p = plot_new("bad");
	plot_set_log(p, false, true);
	plot_add(p, "negative", PLOT_LINES, x, y, 3);
	ck_assert_int_eq(plot_render(p, base, PLOT_PNG | PLOT_SVG, &err), ERR_RUN);
	ck_assert_ptr_nonnull(strstr(err.msg, "gnuplot failed"));
	ck_assert_int_eq(tmpdir_entries(tmpdir), 0);
	plot_free(p);
	free(base);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, renders_png_and_svg);
	tcase_add_test(tc, renders_every_style_log_scale_and_intervals);
	tcase_add_test(tc, missing_gnuplot_is_unavailable);
	tcase_add_test(tc, failing_gnuplot_leaves_no_file);
	tcase_add_test(tc, early_exit_is_an_error_not_a_signal);
	tcase_add_test(tc, gnuplot_error_leaves_no_file);
}

CHECK_MAIN("plot", add_tests, 60)
