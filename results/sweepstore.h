#ifndef AIRTIME_SWEEPSTORE_H
#define AIRTIME_SWEEPSTORE_H
/*
 * A parameter sweep's results.db (in the sweep directory, beside the
 * cells' own run directories): its own small schema, version
 * RESULTS_SWEEP_SCHEMA_VERSION (results/schema.h), with three tables kept
 * for users' SQL (sweep.csv holds the same cells):
 *   sweep_axes (axis, key, vals)       one row per axis; vals "v1,v2,..."
 *   sweep_cells (cell, overrides, run_dir, instance_hours, p99_ms,
 *                availability, meets_slo, cheapest, error)
 *                                      one row per cell, in grid order; a
 *                                      cell that failed has NULL figures
 *                                      and its error (version 2)
 *   sweep_values (cell, axis, value)   each cell's value on each axis
 *
 * eval/sweep runs the cells and fills the plain description below.
 * Ownership: everything is borrowed for the duration of the call.
 */
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct sweepstore_axis {
	const char *key;                /* "section.key" (or keys joined by '+') */
	const char *const *values;      /* as the scenario file would hold them */
	size_t n;
};

struct sweepstore_cell {
	const char *overrides;          /* "a.b=1 c.d=2" */
	const char *dir;                /* the cell's run directory */
	double instance_hours, p99_ms, availability;   /* NaN: stored as NULL */
	bool meets_slo, cheapest;
	const char *error;              /* why the cell failed; NULL when it ran */
	const size_t *value;            /* per axis: index into that axis's values */
};

/* Create the sweep database at `path` (which must not hold another kind
 * of database) and write axes and cells in one transaction: all or
 * nothing.  Written to a new file, the same cells give the same bytes. */
int sweepstore_write(const char *path, const struct sweepstore_axis *axes, size_t n_axes,
		     const struct sweepstore_cell *cells, size_t n_cells, struct error *err);

#endif
