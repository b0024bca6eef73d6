#ifndef AIRTIME_SWEEP_H
#define AIRTIME_SWEEP_H
/*
 * Parameter sweeps: one scenario run over the cartesian product of a grid of
 * scenario keys (e.g. endpoint.min_instances x endpoint.target_invocations),
 * to trade cost against service level.
 *
 * A sweep is a study (eval/study.h): every cell is a complete run
 * (eval/run) in DIR/cell-NNN, made from the scenario text, the caller's
 * --set overrides, then the cell's overrides (the grid wins); cells run on
 * local worker processes or MPI ranks, and a sweep whose job was killed
 * resumes where it stopped.  Once every cell has run, the sweep directory
 * holds, beside study.txt, cells.db and the cells:
 *   results.db   tables sweep_axes (axis, key, values), sweep_cells (one row
 *                per cell: its overrides, run directory, instance-hours,
 *                p99 latency, availability, whether it meets the SLO and
 *                whether it is the cheapest cell that does, the error of a
 *                cell that failed) and sweep_values, written by
 *                results/sweepstore; the same bytes for any number of
 *                ranks or jobs, resumed or not
 *   sweep.csv    the same cells as CSV, one column per axis
 *   sweep.png/.svg  cost (instance-hours) against p99 latency, the SLO line,
 *                the cells meeting the SLO apart from those that miss it and
 *                the cheapest policy meeting it marked (skipped with a
 *                warning without gnuplot)
 *   sweep-pareto.png/.svg  cost against the primary metric's lift with its
 *                interval, SLO-missing cells apart, the Pareto front of the
 *                cells meeting the SLO (least cost for the most lift)
 * Each cell's quality (the primary metric's lift, the guardrails' states
 * and the ship decision, stats/decision) goes beside cost, p99 and
 * availability into sweep.csv and the command's table (not into results.db);
 * a cell whose figures equal an earlier cell's is flagged "same as cell K"
 * (their points overlap in the plots).
 * Cells are ordered with the first axis varying slowest.  The SLO is the
 * production one: p99 < 200 ms and availability >= 99.8 % (measured over
 * the run's first world: the split world, or the control twin).
 *
 * Every cell's scenario is loaded and checked before anything is created;
 * a cell that fails later (a check that needs the built world, a crash)
 * is reported with its error and the other cells complete.
 * Ownership: the spec's strings are borrowed; sweep_result_release frees
 * what sweep_execute filled.
 */
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "eval/run.h"
#include "eval/study.h"

#define SWEEP_MAX_AXES 4
#define SWEEP_MAX_CELLS 256
#define SWEEP_SLO_P99_US (200.0 * 1000.0)
#define SWEEP_SLO_AVAILABILITY 0.998

/* One axis: a scenario key ("section.key") and its values (texts as the
 * scenario file would hold them).  Keys joined by '+' move together
 * ("endpoint.min_instances+endpoint.initial_instances=1,2,4": both take
 * each value), for keys whose bounds depend on each other. */
struct sweep_axis {
	char *key;
	char **values;
	size_t n;
};

struct sweep_spec {
	const char *scenario;             /* path of the scenario file */
	const char *const *sets;          /* --set overrides applied to every cell */
	size_t n_sets;
	struct sweep_axis axes[SWEEP_MAX_AXES];
	size_t n_axes;
	const char *resume;               /* resume this sweep directory (then scenario,
					   * sets and axes are its manifest's) */
	const char *out;                  /* sweep directory, or NULL: reports/NAME-sweep-ID */
	const char *reports_base;         /* parent of named directories ("reports") */
	unsigned jobs;                    /* local worker processes; 0: one per core */
	bool plots;                       /* draw the plot */
	/* Called as each cell finishes; may be NULL. */
	void (*progress)(void *ctx, const struct study_progress *p);
	void *progress_ctx;
};

struct sweep_cell {
	char *overrides;                  /* "a.b=1 c.d=2" */
	char *dir;                        /* the cell's run directory */
	char *error;                      /* why it failed; NULL when it ran */
	double instance_hours, p99_ms, availability;   /* NaN when it failed */
	bool meets_slo, cheapest;
	/* Quality (stats/decision on the cell's [ab] primary and guardrails,
	 * first treatment arm of the split analysis, else the twin one):
	 * the primary's relative lift and interval (NaN: none), the verdict
	 * (-1: no analysis) and a line "engagement_actions +1.2 % [...];
	 * sessions held, notify_enables HARM; don't ship". */
	double primary_rel, primary_lo, primary_hi;
	int verdict;
	char *quality;
	long same_as;                     /* an earlier cell with identical figures, or -1 */
};

struct sweep_result {
	char dir[4096];
	char warning[1024];               /* e.g. plot skipped; "" if none */
	struct sweep_cell *cells;
	size_t n_cells;
	long cheapest;                    /* index of the cheapest cell meeting the SLO, or -1 */
	size_t failed;                    /* cells that failed */
	/* An MPI rank other than 0: nothing else is filled; worker_code is
	 * the failure rank 0 reported before the study began (0: none). */
	bool worker;
	int worker_code;
	struct study_stats stats;         /* counts and host measurements */
};

/* Parse "section.key=v1,v2,..." into an axis (ERR_INPUT on a bad form). */
int sweep_axis_parse(struct sweep_axis *ax, const char *text, struct error *err);
void sweep_axis_release(struct sweep_axis *ax);

/* Run (or resume) every cell and write the sweep's results.  ERR_INPUT
 * for a bad grid or a cell whose scenario does not load (naming the cell;
 * nothing is created), or a directory that holds something else.  0 when
 * every cell has run, some perhaps failed (res->failed). */
int sweep_execute(const struct sweep_spec *spec, struct sweep_result *out, struct error *err);
void sweep_result_release(struct sweep_result *r);

#endif
