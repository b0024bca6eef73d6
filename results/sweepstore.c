/* A sweep directory's results.db; see sweepstore.h. */
#include "results/sweepstore.h"

#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/xalloc.h"
#include "results/schema.h"

static const char sweep_schema_v1[] =
	"CREATE TABLE sweep_axes ("
	" axis INTEGER PRIMARY KEY, key TEXT NOT NULL, vals TEXT NOT NULL);"
	"CREATE TABLE sweep_cells ("
	" cell INTEGER PRIMARY KEY, overrides TEXT NOT NULL, run_dir TEXT NOT NULL,"
	" instance_hours REAL, p99_ms REAL, availability REAL,"
	" meets_slo INTEGER NOT NULL, cheapest INTEGER NOT NULL);"
	"CREATE TABLE sweep_values ("
	" cell INTEGER NOT NULL REFERENCES sweep_cells(cell), axis INTEGER NOT NULL"
	" REFERENCES sweep_axes(axis), value TEXT NOT NULL, PRIMARY KEY (cell, axis));";
/* Version 2: a cell that failed is kept, with its error (NULL when it ran). */
static const char sweep_schema_v2[] = "ALTER TABLE sweep_cells ADD COLUMN error TEXT;";
static const char *const sweep_schema_steps[] = { sweep_schema_v1, sweep_schema_v2 };
static const struct db_schema sweep_schema = {
	.kind = "sweep database",
	.version = RESULTS_SWEEP_SCHEMA_VERSION,
	.steps = sweep_schema_steps,
};

_Static_assert(sizeof(sweep_schema_steps) / sizeof(sweep_schema_steps[0]) ==
		       RESULTS_SWEEP_SCHEMA_VERSION, "one schema step per version");

/* An axis's values joined by ',' (a new string). */
static char *joined(const struct sweepstore_axis *ax)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; i < ax->n; i++)
		len += strlen(ax->values[i]) + 1;
	p = s = xcalloc(len, 1);
	for (size_t i = 0; i < ax->n; i++) {
		size_t k = strlen(ax->values[i]);

		if (i)
			*p++ = ',';
		memcpy(p, ax->values[i], k);
		p += k;
	}
	return s;
}

static int write_rows(struct db *db, sqlite3_stmt *ax, sqlite3_stmt *cell, sqlite3_stmt *val,
		      const struct sweepstore_axis *axes, size_t n_axes,
		      const struct sweepstore_cell *cells, size_t n_cells, struct error *err)
{
	int rc;

	for (size_t a = 0; a < n_axes; a++) {
		char *vals = joined(&axes[a]);

		db_bind_int64(db, ax, 1, (int64_t)a);
		db_bind_text(db, ax, 2, axes[a].key);
		db_bind_text(db, ax, 3, vals);
		rc = db_step_done(db, ax, "inserting a sweep axis", err);
		db_reset(ax);
		free(vals);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < n_cells; i++) {
		const struct sweepstore_cell *c = &cells[i];

		db_bind_int64(db, cell, 1, (int64_t)i);
		db_bind_text(db, cell, 2, c->overrides);
		db_bind_text(db, cell, 3, c->dir);
		db_bind_double_or_null(db, cell, 4, c->instance_hours);
		db_bind_double_or_null(db, cell, 5, c->p99_ms);
		db_bind_double_or_null(db, cell, 6, c->availability);
		db_bind_int64(db, cell, 7, c->meets_slo);
		db_bind_int64(db, cell, 8, c->cheapest);
		db_bind_text(db, cell, 9, c->error);
		rc = db_step_done(db, cell, "inserting a sweep cell", err);
		db_reset(cell);
		if (rc < 0)
			return rc;
		for (size_t a = 0; a < n_axes; a++) {
			ASSERT(c->value[a] < axes[a].n);
			db_bind_int64(db, val, 1, (int64_t)i);
			db_bind_int64(db, val, 2, (int64_t)a);
			db_bind_text(db, val, 3, axes[a].values[c->value[a]]);
			rc = db_step_done(db, val, "inserting a sweep value", err);
			db_reset(val);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int sweepstore_write(const char *path, const struct sweepstore_axis *axes, size_t n_axes,
		     const struct sweepstore_cell *cells, size_t n_cells, struct error *err)
{
	struct db *db = NULL;
	sqlite3_stmt *ax = NULL, *cell = NULL, *val = NULL;
	int rc;

	if ((rc = db_open(&db, path, DB_CREATE, err)) < 0)
		return rc;
	if ((rc = db_schema_apply(db, &sweep_schema, err)) < 0 || (rc = db_begin(db, err)) < 0)
		goto out;
	if ((rc = db_prepare(db, &ax, "INSERT INTO sweep_axes VALUES (?,?,?)", "sweep axis",
			     err)) < 0 ||
	    (rc = db_prepare(db, &cell, "INSERT INTO sweep_cells VALUES (?,?,?,?,?,?,?,?,?)",
			     "sweep cell", err)) < 0 ||
	    (rc = db_prepare(db, &val, "INSERT INTO sweep_values VALUES (?,?,?)", "sweep value",
			     err)) < 0 ||
	    (rc = write_rows(db, ax, cell, val, axes, n_axes, cells, n_cells, err)) < 0)
		goto out_rollback;
	db_finalize(ax);
	db_finalize(cell);
	db_finalize(val);
	rc = db_commit(db, err);
	goto out;
out_rollback:
	db_finalize(ax);
	db_finalize(cell);
	db_finalize(val);
	db_rollback(db);
out:
	db_close(db);
	return rc;
}
