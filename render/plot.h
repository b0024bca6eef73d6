#ifndef AIRTIME_PLOT_H
#define AIRTIME_PLOT_H
/*
 * Plots through a gnuplot pipe.
 *
 * A struct plot collects a figure: title, axis labels, scales, data series
 * (copied in), reference lines and markers.  plot_render starts gnuplot,
 * writes the script to its standard input with the data inline as
 * datablocks ($D0 << EOD ... EOD), and draws PNG (pngcairo) and/or SVG.
 * Images are drawn to temporary names beside the target and renamed only
 * when gnuplot exits with status 0 and the image is non-empty, so a failed
 * plot leaves no half-written file.  gnuplot's stderr is captured, never
 * shown: its first lines go into the error message.
 *
 * When gnuplot cannot be started, plot_render and plot_check return
 * ERR_UNAVAILABLE with "gnuplot not found: plots skipped; install
 * gnuplot-nox"; callers write their report without pictures.  The program
 * is `gnuplot` unless overridden by plot_set_program() or the environment
 * variable AIRTIME_GNUPLOT (the setter wins), which is how tests simulate a
 * missing or failing gnuplot.
 *
 * Values that are NaN or infinite are sent as gnuplot's missing value, so
 * a series with gaps draws as a broken line.  Text is drawn literally
 * (noenhanced): underscores in metric names stay underscores.
 *
 * Ownership: struct plot is opaque; plot_free releases it (NULL is a no-op).
 * Arrays and strings passed in are copied.  Not thread-safe while rendering
 * (SIGPIPE is blocked in the calling thread around the pipe write).
 */
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct plot;

enum plot_style {
	PLOT_LINES,
	PLOT_STEPS,        /* a value holds until the next x (per-bucket counts) */
	PLOT_IMPULSES,
	PLOT_BARS,         /* filled boxes */
	PLOT_POINTS,
	PLOT_LINESPOINTS,
};

enum plot_format { PLOT_PNG = 1, PLOT_SVG = 2 };

/* A new empty figure (title may be NULL). */
struct plot *plot_new(const char *title);
void plot_free(struct plot *p);

/* Axis labels (NULL = none); y2 is the right-hand axis. */
void plot_set_labels(struct plot *p, const char *xlabel, const char *ylabel,
		     const char *y2label);
void plot_set_log(struct plot *p, bool logx, bool logy);
/* Fix an axis range; NaN for an end leaves it automatic. */
void plot_set_xrange(struct plot *p, double lo, double hi);
void plot_set_yrange(struct plot *p, double lo, double hi);
/* The same for the right-hand axis. */
void plot_set_y2range(struct plot *p, double lo, double hi);
/* Image size in pixels (default 900 x 500). */
void plot_set_size(struct plot *p, int width, int height);

/* A series y(x) of n points on the left axis. */
void plot_add(struct plot *p, const char *title, enum plot_style style, const double *x,
	      const double *y, size_t n);
/* The same on the right-hand axis (e.g. instance count beside latency). */
void plot_add_y2(struct plot *p, const char *title, enum plot_style style, const double *x,
		 const double *y, size_t n);
/* Points y(x) with vertical error bars from lo to hi. */
void plot_add_errorbars(struct plot *p, const char *title, const double *x,
			const double *y, const double *lo, const double *hi, size_t n);
/* A forest plot: one row per label with estimate and [lo, hi] as a
 * horizontal interval, and a vertical reference line at 0. */
void plot_forest(struct plot *p, const char *const *labels, const double *est,
		 const double *lo, const double *hi, size_t n);
/* One series of a grouped forest plot (e.g. the lifts of one arm among
 * `of`): rows as plot_forest's, with a colour, marker and key entry
 * (`title`) of its own, drawn slightly above or below the row's centre so
 * that series k of `of` sit side by side.  Every series gives the same n
 * labels (the first forest item names the rows); a NaN estimate leaves
 * its row empty for that series. */
void plot_forest_series(struct plot *p, const char *title, const char *const *labels,
			const double *est, const double *lo, const double *hi, size_t n,
			size_t k, size_t of);
/* A horizontal reference line (e.g. the 200 ms SLO), in the legend. */
void plot_hline(struct plot *p, double y, const char *label);
/* A shaded span of x from lo to hi behind the data (e.g. a warm-up),
 * labelled at the bottom (label may be NULL).  One per figure. */
void plot_shade(struct plot *p, double lo, double hi, const char *label);
/* A vertical marker at x (e.g. a spike), labelled at the top (the labels
 * of successive markers step down a row, so nearby ones stay legible). */
void plot_vline(struct plot *p, double x, const char *label);

/* Draw to base.png and/or base.svg (formats: PLOT_PNG | PLOT_SVG).
 * ERR_UNAVAILABLE without gnuplot; ERR_RUN when gnuplot fails; ERR_IO when
 * the image cannot be written.  Nothing is left behind on failure. */
int plot_render(const struct plot *p, const char *base, unsigned formats,
		struct error *err);

/* The same in two steps, so that several plots draw at once:
 * plot_render_start starts gnuplot on the figure (the script is written
 * whole into its pipe, so this does not wait for the drawing) and gives a
 * job; plot_job_finish waits for it, checks and renames the images, and
 * frees the job (NULL is a no-op).  Errors as plot_render's, from either. */
struct plot_job;
int plot_render_start(const struct plot *p, const char *base, unsigned formats,
		      struct plot_job **job, struct error *err);
int plot_job_finish(struct plot_job *job, struct error *err);

/* Override the gnuplot program (NULL: AIRTIME_GNUPLOT, else "gnuplot"). */
void plot_set_program(const char *program);
/* The program plot_render will run. */
const char *plot_program(void);
/* 0 when the program starts and runs a trivial script; ERR_UNAVAILABLE
 * (with the install hint) otherwise. */
int plot_check(struct error *err);

#endif
