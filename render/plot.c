/* gnuplot through a pipe, data inline, images renamed into place; see plot.h. */
#define _GNU_SOURCE   /* F_SETPIPE_SZ: a script fits the pipe, so starting never waits */
#include "render/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/xalloc.h"

extern char **environ;

enum item_kind { ITEM_SERIES, ITEM_ERRORBARS, ITEM_FOREST };

struct item {
	enum item_kind kind;
	enum plot_style style;
	bool y2;
	char *title;
	size_t n;
	double *x, *y, *lo, *hi;   /* lo/hi for error bars and forest rows */
	char **labels;             /* forest rows */
	double offset;             /* forest series: rows drawn at index + offset */
	bool grouped;              /* forest series: its own colour and key entry */
};

struct mark {
	double at;
	char *label;
};

struct plot {
	char *title, *xlabel, *ylabel, *y2label;
	bool logx, logy;
	double xlo, xhi, ylo, yhi, y2lo, y2hi;
	int width, height;
	struct item *items;
	size_t nitems, cap_items;
	struct mark *hlines, *vlines;
	size_t nh, cap_h, nv, cap_v;
	double shade_lo, shade_hi;     /* a shaded x span (NaN: none) */
	char *shade_label;
};

static char *program_override;

void plot_set_program(const char *program)
{
	free(program_override);
	program_override = program ? xstrdup(program) : NULL;
}

const char *plot_program(void)
{
	const char *env;

	if (program_override)
		return program_override;
	env = getenv("AIRTIME_GNUPLOT");
	return env && *env ? env : "gnuplot";
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct plot *plot_new(const char *title)
{
	struct plot *p = xcalloc(1, sizeof(*p));

	p->title = dup_or_null(title);
	p->xlo = p->xhi = p->ylo = p->yhi = p->y2lo = p->y2hi = NAN;
	p->shade_lo = p->shade_hi = NAN;
	p->width = 900;
	p->height = 500;
	return p;
}

void plot_free(struct plot *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nitems; i++) {
		struct item *it = &p->items[i];

		free(it->title);
		free(it->x);
		free(it->y);
		free(it->lo);
		free(it->hi);
		if (it->labels)
			for (size_t k = 0; k < it->n; k++)
				free(it->labels[k]);
		free(it->labels);
	}
	for (size_t i = 0; i < p->nh; i++)
		free(p->hlines[i].label);
	for (size_t i = 0; i < p->nv; i++)
		free(p->vlines[i].label);
	free(p->items);
	free(p->hlines);
	free(p->vlines);
	free(p->shade_label);
	free(p->title);
	free(p->xlabel);
	free(p->ylabel);
	free(p->y2label);
	free(p);
}

void plot_set_labels(struct plot *p, const char *xlabel, const char *ylabel,
		     const char *y2label)
{
	free(p->xlabel);
	free(p->ylabel);
	free(p->y2label);
	p->xlabel = dup_or_null(xlabel);
	p->ylabel = dup_or_null(ylabel);
	p->y2label = dup_or_null(y2label);
}

void plot_set_log(struct plot *p, bool logx, bool logy)
{
	p->logx = logx;
	p->logy = logy;
}

void plot_set_xrange(struct plot *p, double lo, double hi)
{
	p->xlo = lo;
	p->xhi = hi;
}

void plot_set_yrange(struct plot *p, double lo, double hi)
{
	p->ylo = lo;
	p->yhi = hi;
}

void plot_set_y2range(struct plot *p, double lo, double hi)
{
	p->y2lo = lo;
	p->y2hi = hi;
}

void plot_set_size(struct plot *p, int width, int height)
{
	ASSERT(width > 0 && height > 0);
	p->width = width;
	p->height = height;
}

static double *copy(const double *a, size_t n)
{
	double *c = xcalloc(n ? n : 1, sizeof(*c));

	if (n)
		memcpy(c, a, n * sizeof(*c));
	return c;
}

static struct item *new_item(struct plot *p, enum item_kind kind, const char *title,
			     size_t n)
{
	struct item *it;

	XGROW(p->items, p->nitems + 1, p->cap_items);
	it = &p->items[p->nitems++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->title = dup_or_null(title);
	it->n = n;
	return it;
}

void plot_add(struct plot *p, const char *title, enum plot_style style, const double *x,
	      const double *y, size_t n)
{
	struct item *it = new_item(p, ITEM_SERIES, title, n);

	it->style = style;
	it->x = copy(x, n);
	it->y = copy(y, n);
}

void plot_add_y2(struct plot *p, const char *title, enum plot_style style, const double *x,
		 const double *y, size_t n)
{
	plot_add(p, title, style, x, y, n);
	p->items[p->nitems - 1].y2 = true;
}

void plot_add_errorbars(struct plot *p, const char *title, const double *x,
			const double *y, const double *lo, const double *hi, size_t n)
{
	struct item *it = new_item(p, ITEM_ERRORBARS, title, n);

	it->x = copy(x, n);
	it->y = copy(y, n);
	it->lo = copy(lo, n);
	it->hi = copy(hi, n);
}

static const struct item *forest_of(const struct plot *p)
{
	for (size_t i = 0; i < p->nitems; i++)
		if (p->items[i].kind == ITEM_FOREST)
			return &p->items[i];
	return NULL;
}

void plot_forest(struct plot *p, const char *const *labels, const double *est,
		 const double *lo, const double *hi, size_t n)
{
	struct item *it = new_item(p, ITEM_FOREST, NULL, n);

	it->x = copy(est, n);
	it->lo = copy(lo, n);
	it->hi = copy(hi, n);
	it->labels = xcalloc(n ? n : 1, sizeof(*it->labels));
	for (size_t i = 0; i < n; i++)
		it->labels[i] = xstrdup(labels[i]);
	plot_vline(p, 0, NULL);
}

void plot_forest_series(struct plot *p, const char *title, const char *const *labels,
			const double *est, const double *lo, const double *hi, size_t n,
			size_t k, size_t of)
{
	bool first = !forest_of(p);
	struct item *it;

	ASSERT(of >= 1 && k < of);
	it = new_item(p, ITEM_FOREST, title, n);
	it->x = copy(est, n);
	it->lo = copy(lo, n);
	it->hi = copy(hi, n);
	it->labels = xcalloc(n ? n : 1, sizeof(*it->labels));
	for (size_t i = 0; i < n; i++)
		it->labels[i] = xstrdup(labels[i]);
	/* Side by side within a row's band of height 1: at most 0.6 of it. */
	it->offset = of > 1 ? 0.6 * ((double)k / (double)(of - 1) - 0.5) : 0;
	it->grouped = true;
	if (first)
		plot_vline(p, 0, NULL);
}

void plot_hline(struct plot *p, double y, const char *label)
{
	XGROW(p->hlines, p->nh + 1, p->cap_h);
	p->hlines[p->nh].at = y;
	p->hlines[p->nh++].label = dup_or_null(label);
}

void plot_shade(struct plot *p, double lo, double hi, const char *label)
{
	p->shade_lo = lo;
	p->shade_hi = hi;
	free(p->shade_label);
	p->shade_label = dup_or_null(label);
}

void plot_vline(struct plot *p, double x, const char *label)
{
	XGROW(p->vlines, p->nv + 1, p->cap_v);
	p->vlines[p->nv].at = x;
	p->vlines[p->nv++].label = dup_or_null(label);
}

/* ---- the script -------------------------------------------------------- */

/* A gnuplot single-quoted string: quotes doubled, newlines flattened. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; s && *s; s++) {
		if (*s == '\'')
			fputs("''", f);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

static void put_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.17g", v);
	else
		fputc('?', f);
}

static void put_range(FILE *f, const char *axis, double lo, double hi)
{
	if (isnan(lo) && isnan(hi))
		return;
	fprintf(f, "set %srange [", axis);
	if (!isnan(lo))
		put_num(f, lo);
	fputc(':', f);
	if (!isnan(hi))
		put_num(f, hi);
	fputs("]\n", f);
}

static const char *style_with(enum plot_style s)
{
	switch (s) {
	case PLOT_LINES: return "lines lw 1.5";
	case PLOT_STEPS: return "steps lw 1.5";
	case PLOT_IMPULSES: return "impulses lw 2";
	case PLOT_BARS: return "boxes";
	case PLOT_POINTS: return "points pt 7 ps 0.6";
	case PLOT_LINESPOINTS: return "linespoints lw 1.5 pt 7 ps 0.6";
	}
	BUG("bad plot style %d", (int)s);
}

static void put_data(FILE *f, const struct plot *p)
{
	for (size_t i = 0; i < p->nitems; i++) {
		const struct item *it = &p->items[i];

		fprintf(f, "$D%zu << EOD\n", i);
		for (size_t k = 0; k < it->n; k++) {
			if (it->kind == ITEM_FOREST && it->offset == 0)
				fprintf(f, "%zu", k);
			else if (it->kind == ITEM_FOREST)
				put_num(f, (double)k + it->offset);
			else
				put_num(f, it->x[k]);
			fputc(' ', f);
			put_num(f, it->kind == ITEM_FOREST ? it->x[k] : it->y[k]);
			if (it->kind != ITEM_SERIES) {
				fputc(' ', f);
				put_num(f, it->lo[k]);
				fputc(' ', f);
				put_num(f, it->hi[k]);
			}
			fputc('\n', f);
		}
		fputs("EOD\n", f);
	}
}

static void put_setup(FILE *f, const struct plot *p)
{
	const struct item *forest = NULL;
	bool any_y2 = false;

	/* Key below the graph: report plots carry several series and a key
	 * inside would hide data.  The top offset leaves headroom so a
	 * reference line at the data's maximum stays visible. */
	fputs("set datafile missing '?'\nset grid\nset key below\n"
	      "set style fill solid 0.5 border\nset boxwidth 0.8 relative\n", f);
	if (!forest_of(p))
		fputs("set offsets 0, 0, graph 0.05, 0\n", f);
	if (p->title) {
		fputs("set title ", f);
		put_quoted(f, p->title);
		fputc('\n', f);
	}
	if (p->xlabel) {
		fputs("set xlabel ", f);
		put_quoted(f, p->xlabel);
		fputc('\n', f);
	}
	if (p->ylabel) {
		fputs("set ylabel ", f);
		put_quoted(f, p->ylabel);
		fputc('\n', f);
	}
	for (size_t i = 0; i < p->nitems; i++) {
		any_y2 |= p->items[i].y2;
		if (p->items[i].kind == ITEM_FOREST)
			forest = &p->items[i];
	}
	if (any_y2) {
		fputs("set y2tics\nset ytics nomirror\n", f);
		put_range(f, "y2", p->y2lo, p->y2hi);
		if (p->y2label) {
			fputs("set y2label ", f);
			put_quoted(f, p->y2label);
			fputc('\n', f);
		}
	}
	if (p->logx)
		fputs("set logscale x\n", f);
	if (p->logy)
		fputs("set logscale y\n", f);
	put_range(f, "x", p->xlo, p->xhi);
	if (forest) {
		/* One row per label, first at the top. */
		fputs("set ytics (", f);
		for (size_t k = 0; k < forest->n; k++) {
			if (k)
				fputs(", ", f);
			put_quoted(f, forest->labels[k]);
			fprintf(f, " %zu", k);
		}
		fprintf(f, ")\nset yrange [%g:-0.5]\nset grid noytics\n",
			forest->n ? (double)forest->n - 0.5 : 0.5);
	} else {
		put_range(f, "y", p->ylo, p->yhi);
	}
	for (size_t i = 0; i < p->nv; i++) {
		fputs("set arrow from first ", f);
		put_num(f, p->vlines[i].at);
		fputs(", graph 0 to first ", f);
		put_num(f, p->vlines[i].at);
		fputs(", graph 1 nohead dashtype 2 lc rgb '#808080' front\n", f);
		if (p->vlines[i].label) {
			/* Labels of nearby lines must not overprint: each a row lower. */
			fputs("set label ", f);
			put_quoted(f, p->vlines[i].label);
			fputs(" at first ", f);
			put_num(f, p->vlines[i].at);
			fprintf(f, ", graph %.2f left offset 0.5,0 front\n", 0.97 - 0.06 * (double)(i % 3));
		}
	}
	if (isfinite(p->shade_lo) && isfinite(p->shade_hi)) {
		fputs("set object rectangle from first ", f);
		put_num(f, p->shade_lo);
		fputs(", graph 0 to first ", f);
		put_num(f, p->shade_hi);
		fputs(", graph 1 behind fillcolor rgb '#eeeeee' fillstyle solid 1.0 noborder\n", f);
		if (p->shade_label) {
			fputs("set label ", f);
			put_quoted(f, p->shade_label);
			fputs(" at first ", f);
			put_num(f, (p->shade_lo + p->shade_hi) / 2);
			fputs(", graph 0.03 center front textcolor rgb '#606060'\n", f);
		}
	}
}

static void put_plot(FILE *f, const struct plot *p)
{
	const char *sep = "plot ";

	for (size_t i = 0; i < p->nitems; i++) {
		const struct item *it = &p->items[i];

		fprintf(f, "%s$D%zu ", sep, i);
		switch (it->kind) {
		case ITEM_SERIES:
			fprintf(f, "using 1:2 axes x1y%d with %s", it->y2 ? 2 : 1,
				style_with(it->style));
			break;
		case ITEM_ERRORBARS:
			fputs("using 1:2:3:4 with yerrorbars pt 7 ps 0.8", f);
			break;
		case ITEM_FOREST:
			if (it->grouped)
				fprintf(f, "using 2:1:3:4 with xerrorbars pt %d ps 1 lc %zu",
					(int)(5 + 2 * (i % 4)), i + 1);
			else
				fputs("using 2:1:3:4 with xerrorbars pt 7 ps 1 lc rgb '#1f4e9c'", f);
			break;
		}
		fputs(" title ", f);
		put_quoted(f, it->title ? it->title : "");
		sep = ", \\\n     ";
	}
	for (size_t i = 0; i < p->nh; i++) {
		fputs(sep, f);
		put_num(f, p->hlines[i].at);
		fputs(" with lines dashtype 2 lw 1.5 lc rgb '#c00000' title ", f);
		put_quoted(f, p->hlines[i].label ? p->hlines[i].label : "");
		sep = ", \\\n     ";
	}
	if (p->nitems == 0 && p->nh == 0)
		fputs("plot NaN notitle", f);
	fputc('\n', f);
}

/* ---- running gnuplot --------------------------------------------------- */

/* The first lines of gnuplot's captured stderr, flattened to one line. */
static void read_stderr(FILE *ef, char *buf, size_t len)
{
	size_t n, o = 0;
	char raw[512];

	buf[0] = '\0';
	rewind(ef);
	n = fread(raw, 1, sizeof(raw) - 1, ef);
	raw[n] = '\0';
	for (size_t i = 0; i < n && o + 1 < len; i++) {
		char c = raw[i] == '\n' || raw[i] == '\t' ? ' ' : raw[i];

		/* Collapse gnuplot's indentation runs. */
		if (c == ' ' && (o == 0 || buf[o - 1] == ' '))
			continue;
		buf[o++] = c;
	}
	while (o > 0 && buf[o - 1] == ' ')
		o--;
	buf[o] = '\0';
}

static int unavailable(struct error *err)
{
	const char *prog = plot_program();

	if (!strcmp(prog, "gnuplot"))
		return error_set(err, ERR_UNAVAILABLE,
				 "gnuplot not found: plots skipped; install gnuplot-nox");
	return error_set(err, ERR_UNAVAILABLE,
			 "gnuplot not found (tried '%s'): plots skipped; install gnuplot-nox",
			 prog);
}

/* A started gnuplot: its pid and captured stderr. */
struct gp {
	pid_t pid;
	FILE *ef;
	int write_errno;
};

/* Start the plot program on `script` (written whole into its pipe, made
 * large enough to hold it so that this does not wait for the drawing). */
static int gp_start(const char *script, size_t len, struct gp *gp, struct error *err)
{
	const char *prog = plot_program();
	char *argv[] = { (char *)prog, NULL };
	posix_spawn_file_actions_t fa;
	int pfd[2], rc = 0, se;

	memset(gp, 0, sizeof(*gp));
	gp->ef = tmpfile();
	if (!gp->ef)
		return error_set(err, ERR_IO, "cannot capture gnuplot's messages: %s",
				 strerror(errno));
	if (pipe(pfd) != 0) {
		rc = error_set(err, ERR_IO, "cannot make a pipe to gnuplot: %s", strerror(errno));
		goto out_ef;
	}
	/* Our end must not leak into the child, or it never sees EOF. */
	fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
#ifdef F_SETPIPE_SZ
	if (len > 65536)
		fcntl(pfd[1], F_SETPIPE_SZ, (int)(len < (1u << 20) ? len : 1u << 20));
#endif
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[0], STDIN_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fileno(gp->ef), STDERR_FILENO);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	se = posix_spawnp(&gp->pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[0]);
	if (se != 0) {
		close(pfd[1]);
		if (se == ENOENT || se == EACCES || se == ENOTDIR)
			rc = unavailable(err);
		else
			rc = error_set(err, ERR_RUN, "cannot start '%s': %s", prog, strerror(se));
		goto out_ef;
	}
	gp->write_errno = fdio_write_all(pfd[1], script, len);
	close(pfd[1]);
	return 0;
out_ef:
	fclose(gp->ef);
	gp->ef = NULL;
	return rc;
}

/* Wait for a started gnuplot; `what` names the plot in errors. */
static int gp_wait(struct gp *gp, const char *what, struct error *err)
{
	const char *prog = plot_program();
	char msg[400];
	int status, rc = 0;

	while (waitpid(gp->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = error_set(err, ERR_RUN, "waiting for '%s': %s", prog, strerror(errno));
			goto out_ef;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		rc = unavailable(err);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		read_stderr(gp->ef, msg, sizeof(msg));
		if (WIFEXITED(status))
			rc = error_set(err, ERR_RUN, "gnuplot failed drawing '%s' (exit status %d)%s%s",
				       what, WEXITSTATUS(status), msg[0] ? ": " : "", msg);
		else
			rc = error_set(err, ERR_RUN, "gnuplot failed drawing '%s' (signal %d)%s%s",
				       what, WTERMSIG(status), msg[0] ? ": " : "", msg);
	} else if (gp->write_errno != 0) {
		rc = error_set(err, ERR_RUN, "gnuplot stopped reading while drawing '%s': %s",
			       what, strerror(gp->write_errno));
	}
out_ef:
	fclose(gp->ef);
	gp->ef = NULL;
	return rc;
}

/* Run the plot program on `script`; `what` names the plot in errors. */
static int run_gnuplot(const char *script, size_t len, const char *what, struct error *err)
{
	struct gp gp;
	int rc = gp_start(script, len, &gp, err);

	return rc < 0 ? rc : gp_wait(&gp, what, err);
}

int plot_check(struct error *err)
{
	static const char script[] = "exit\n";
	char why[sizeof(err->msg)];
	int rc = run_gnuplot(script, sizeof(script) - 1, "a check", err);

	if (rc < 0 && rc != ERR_UNAVAILABLE && err) {
		memcpy(why, err->msg, sizeof(why));
		return error_set(err, ERR_UNAVAILABLE, "'%s' does not work: plots skipped (%.900s)",
				 plot_program(), why);
	}
	return rc < 0 ? ERR_UNAVAILABLE : 0;
}

/* A fresh temporary file name beside `final`, with readable permissions. */
static int make_tmp(const char *final, char **out, struct error *err)
{
	char *tmpl = xasprintf("%s.tmp-XXXXXX", final);
	int fd = mkstemp(tmpl);

	*out = NULL;
	if (fd < 0) {
		int rc = error_set(err, ERR_IO, "cannot write '%s': %s", final,
				   strerror(errno));

		free(tmpl);
		return rc;
	}
	/* mkstemp makes it 0600; an image in a report is for everyone. */
	fchmod(fd, 0644);
	close(fd);
	*out = tmpl;
	return 0;
}

static bool non_empty(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && sb.st_size > 0;
}

struct plot_job {
	struct gp gp;
	char *base;
	char *final[2], *tmp[2];
};

static void job_free(struct plot_job *j)
{
	for (int k = 0; k < 2; k++) {
		if (j->tmp[k])
			unlink(j->tmp[k]);
		free(j->tmp[k]);
		free(j->final[k]);
	}
	free(j->base);
	free(j);
}

int plot_render_start(const struct plot *p, const char *base, unsigned formats,
		      struct plot_job **out, struct error *err)
{
	static const char *const ext[2] = { "png", "svg" };
	struct plot_job *j;
	char *script = NULL;
	size_t len = 0;
	FILE *f;
	int rc = 0;

	*out = NULL;
	ASSERT(formats && !(formats & ~(unsigned)(PLOT_PNG | PLOT_SVG)));
	if (strchr(base, '\n'))
		return error_set(err, ERR_INPUT, "plot path '%s' contains a newline", base);
	j = xcalloc(1, sizeof(*j));
	j->base = xstrdup(base);
	for (int k = 0; k < 2; k++) {
		if (!(formats & (1u << k)))
			continue;
		j->final[k] = xasprintf("%s.%s", base, ext[k]);
		rc = make_tmp(j->final[k], &j->tmp[k], err);
		if (rc < 0)
			goto out_job;
	}

	f = open_memstream(&script, &len);
	if (!f)
		BUG("open_memstream: %s", strerror(errno));
	put_data(f, p);
	put_setup(f, p);
	for (int k = 0; k < 2; k++) {
		if (!j->tmp[k])
			continue;
		if (k == 0)
			fprintf(f, "set terminal pngcairo size %d,%d noenhanced font 'sans,10'\n",
				p->width, p->height);
		else
			fprintf(f, "set terminal svg size %d,%d noenhanced font 'sans,10' "
				"background '#ffffff'\n", p->width, p->height);
		fputs("set output ", f);
		put_quoted(f, j->tmp[k]);
		fputc('\n', f);
		put_plot(f, p);
		fputs("unset output\n", f);
	}
	if (fclose(f) != 0)
		BUG("building a gnuplot script: %s", strerror(errno));
	rc = gp_start(script, len, &j->gp, err);
	free(script);
	if (rc < 0)
		goto out_job;
	*out = j;
	return 0;
out_job:
	job_free(j);
	return rc;
}

int plot_job_finish(struct plot_job *j, struct error *err)
{
	int rc;

	if (!j)
		return 0;
	rc = gp_wait(&j->gp, j->base, err);
	for (int k = 0; rc == 0 && k < 2; k++)
		if (j->tmp[k] && !non_empty(j->tmp[k]))
			rc = error_set(err, ERR_RUN, "gnuplot wrote an empty image for '%s'",
				       j->final[k]);
	for (int k = 0; rc == 0 && k < 2; k++) {
		if (!j->tmp[k])
			continue;
		if (rename(j->tmp[k], j->final[k]) != 0) {
			rc = error_set(err, ERR_IO, "cannot write '%s': %s", j->final[k],
				       strerror(errno));
			break;
		}
		free(j->tmp[k]);
		j->tmp[k] = NULL;
	}
	job_free(j);
	return rc;
}

int plot_render(const struct plot *p, const char *base, unsigned formats, struct error *err)
{
	struct plot_job *j;
	int rc = plot_render_start(p, base, formats, &j, err);

	return rc < 0 ? rc : plot_job_finish(j, err);
}
