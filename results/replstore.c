/* A replication's results.db; see replstore.h. */
#include "results/replstore.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/xalloc.h"
#include "results/schema.h"

static const char repl_schema_v1[] =
	"CREATE TABLE replicate_study ("
	" scenario TEXT NOT NULL, scenario_text TEXT NOT NULL, overrides TEXT NOT NULL,"
	" seed_first INTEGER NOT NULL, seed_last INTEGER NOT NULL,"
	" cells INTEGER NOT NULL, failed INTEGER NOT NULL,"
	" ab_mode TEXT NOT NULL, control TEXT NOT NULL, treatment TEXT NOT NULL,"
	" aa INTEGER NOT NULL, alpha REAL NOT NULL, truth TEXT NOT NULL,"
	" git_rev TEXT NOT NULL, version TEXT NOT NULL);"
	"CREATE TABLE replicate_cells ("
	" cell INTEGER PRIMARY KEY, seed INTEGER NOT NULL, run_dir TEXT NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('done', 'failed')), error TEXT NOT NULL,"
	" events INTEGER NOT NULL, srm_flagged INTEGER NOT NULL);"
	"CREATE TABLE replicate_seeds ("
	" seq INTEGER PRIMARY KEY, seed INTEGER NOT NULL, mode TEXT NOT NULL,"
	" metric TEXT NOT NULL, kind TEXT NOT NULL, estimable INTEGER NOT NULL,"
	" n_t INTEGER NOT NULL, n_c INTEGER NOT NULL,"
	" rel REAL, rel_lo REAL, rel_hi REAL, p REAL, p_adjusted REAL,"
	" significant INTEGER NOT NULL, truth REAL, covered INTEGER,"
	" UNIQUE (seed, mode, metric));"
	"CREATE TABLE replicate_summary ("
	" seq INTEGER PRIMARY KEY, mode TEXT NOT NULL, metric TEXT NOT NULL,"
	" seeds INTEGER NOT NULL, mean REAL, sd REAL, lo REAL, hi REAL,"
	" significant INTEGER NOT NULL, share_significant REAL,"
	" rejected_raw INTEGER NOT NULL, share_rejected_raw REAL, rejected_lo REAL,"
	" rejected_hi REAL, with_truth INTEGER NOT NULL, covered INTEGER NOT NULL,"
	" coverage REAL, coverage_lo REAL, coverage_hi REAL, UNIQUE (mode, metric));";
static const char *const repl_schema_steps[] = { repl_schema_v1 };
static const struct db_schema repl_schema = {
	.kind = "replication database",
	.version = RESULTS_REPLICATE_SCHEMA_VERSION,
	.steps = repl_schema_steps,
};

_Static_assert(sizeof(repl_schema_steps) / sizeof(repl_schema_steps[0]) ==
		       RESULTS_REPLICATE_SCHEMA_VERSION, "one schema step per version");

static int write_study(struct db *db, const struct replstore_study *s, struct error *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_prepare(db, &st, "INSERT INTO replicate_study VALUES "
			     "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", "replication facts", err)) < 0)
		return rc;
	db_bind_text(db, st, 1, s->scenario);
	db_bind_text(db, st, 2, s->scenario_text);
	db_bind_text(db, st, 3, s->overrides);
	db_bind_int64(db, st, 4, (int64_t)s->seed_first);
	db_bind_int64(db, st, 5, (int64_t)s->seed_last);
	db_bind_int64(db, st, 6, (int64_t)s->cells);
	db_bind_int64(db, st, 7, (int64_t)s->failed);
	db_bind_text(db, st, 8, s->ab_mode);
	db_bind_text(db, st, 9, s->control);
	db_bind_text(db, st, 10, s->treatment);
	db_bind_int64(db, st, 11, s->aa);
	db_bind_double(db, st, 12, s->alpha);
	db_bind_text(db, st, 13, s->truth);
	db_bind_text(db, st, 14, s->git_rev);
	db_bind_text(db, st, 15, s->version);
	rc = db_step_done(db, st, "inserting the replication facts", err);
	db_finalize(st);
	return rc;
}

static int write_cells(struct db *db, const struct replstore_cell *c, size_t n,
		       struct error *err)
{
	sqlite3_stmt *st;
	int rc = 0;

	if ((rc = db_prepare(db, &st, "INSERT INTO replicate_cells VALUES (?,?,?,?,?,?,?)",
			     "replication cell", err)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		db_bind_int64(db, st, 1, (int64_t)c[i].cell);
		db_bind_int64(db, st, 2, (int64_t)c[i].seed);
		db_bind_text(db, st, 3, c[i].run_dir);
		db_bind_text(db, st, 4, c[i].done ? "done" : "failed");
		db_bind_text(db, st, 5, c[i].error ? c[i].error : "");
		db_bind_int64(db, st, 6, (int64_t)c[i].events);
		db_bind_int64(db, st, 7, c[i].srm_flagged);
		rc = db_step_done(db, st, "inserting a replication cell", err);
	}
	db_finalize(st);
	return rc;
}

static int write_seeds(struct db *db, const struct replstore_seed *r, size_t n,
		       struct error *err)
{
	sqlite3_stmt *st;
	int rc = 0;

	if ((rc = db_prepare(db, &st, "INSERT INTO replicate_seeds (seed, mode, metric, kind, "
			     "estimable, n_t, n_c, rel, rel_lo, rel_hi, p, p_adjusted, significant, "
			     "truth, covered) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			     "replication seed row", err)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		db_bind_int64(db, st, 1, (int64_t)r[i].seed);
		db_bind_text(db, st, 2, r[i].mode);
		db_bind_text(db, st, 3, r[i].metric);
		db_bind_text(db, st, 4, r[i].kind);
		db_bind_int64(db, st, 5, r[i].estimable);
		db_bind_int64(db, st, 6, (int64_t)r[i].n_t);
		db_bind_int64(db, st, 7, (int64_t)r[i].n_c);
		db_bind_double_or_null(db, st, 8, r[i].rel);
		db_bind_double_or_null(db, st, 9, r[i].rel_lo);
		db_bind_double_or_null(db, st, 10, r[i].rel_hi);
		db_bind_double_or_null(db, st, 11, r[i].p);
		db_bind_double_or_null(db, st, 12, r[i].p_adjusted);
		db_bind_int64(db, st, 13, r[i].significant);
		db_bind_double_or_null(db, st, 14, r[i].truth);
		if (r[i].covered < 0)
			db_bind_null(db, st, 15);
		else
			db_bind_int64(db, st, 15, r[i].covered);
		rc = db_step_done(db, st, "inserting a replication seed row", err);
	}
	db_finalize(st);
	return rc;
}

static int write_summary(struct db *db, const struct replstore_summary *r, size_t n,
			 struct error *err)
{
	sqlite3_stmt *st;
	int rc = 0;

	if ((rc = db_prepare(db, &st, "INSERT INTO replicate_summary (mode, metric, seeds, mean, "
			     "sd, lo, hi, significant, share_significant, rejected_raw, "
			     "share_rejected_raw, rejected_lo, rejected_hi, with_truth, covered, "
			     "coverage, coverage_lo, coverage_hi) VALUES "
			     "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", "replication summary", err)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct replica_summary *s = &r[i].s;

		db_bind_text(db, st, 1, r[i].mode);
		db_bind_text(db, st, 2, r[i].metric);
		db_bind_int64(db, st, 3, (int64_t)s->n);
		db_bind_double_or_null(db, st, 4, s->mean);
		db_bind_double_or_null(db, st, 5, s->sd);
		db_bind_double_or_null(db, st, 6, s->lo);
		db_bind_double_or_null(db, st, 7, s->hi);
		db_bind_int64(db, st, 8, (int64_t)s->significant);
		db_bind_double_or_null(db, st, 9, r[i].share_significant);
		db_bind_int64(db, st, 10, (int64_t)s->rejected_raw);
		db_bind_double_or_null(db, st, 11, r[i].share_rejected);
		db_bind_double_or_null(db, st, 12, r[i].rejected_lo);
		db_bind_double_or_null(db, st, 13, r[i].rejected_hi);
		db_bind_int64(db, st, 14, (int64_t)s->with_truth);
		db_bind_int64(db, st, 15, (int64_t)s->covered);
		db_bind_double_or_null(db, st, 16, r[i].coverage);
		db_bind_double_or_null(db, st, 17, r[i].coverage_lo);
		db_bind_double_or_null(db, st, 18, r[i].coverage_hi);
		rc = db_step_done(db, st, "inserting a replication summary row", err);
	}
	db_finalize(st);
	return rc;
}

int replstore_write(const char *path, const struct replstore_study *study,
		    const struct replstore_cell *cells, size_t n_cells,
		    const struct replstore_seed *seeds, size_t n_seeds,
		    const struct replstore_summary *summary, size_t n_summary, struct error *err)
{
	struct db *db = NULL;
	int rc;

	if ((rc = db_open(&db, path, DB_CREATE, err)) < 0)
		return rc;
	if ((rc = db_schema_apply(db, &repl_schema, err)) < 0 || (rc = db_begin(db, err)) < 0)
		goto out;
	if ((rc = write_study(db, study, err)) < 0 || (rc = write_cells(db, cells, n_cells, err)) < 0 ||
	    (rc = write_seeds(db, seeds, n_seeds, err)) < 0 ||
	    (rc = write_summary(db, summary, n_summary, err)) < 0) {
		db_rollback(db);
		goto out;
	}
	rc = db_commit(db, err);
out:
	db_close(db);
	return rc;
}

/* ---- reading ----------------------------------------------------------------- */

static char *text_col(sqlite3_stmt *st, int col)
{
	return xstrdup(db_column_text(st, col));
}

static int read_study(struct db *db, struct replstore_study *s, struct error *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_prepare(db, &st, "SELECT scenario, scenario_text, overrides, seed_first, "
			     "seed_last, cells, failed, ab_mode, control, treatment, aa, alpha, "
			     "truth, git_rev, version FROM replicate_study", "replication facts",
			     err)) < 0)
		return rc;
	rc = db_step(db, st, "reading the replication facts", err);
	if (rc == 0)
		rc = error_set(err, ERR_CORRUPT, "'%s' holds no replication facts", db_path(db));
	if (rc == 1) {
		s->scenario = text_col(st, 0);
		s->scenario_text = text_col(st, 1);
		s->overrides = text_col(st, 2);
		s->seed_first = (uint64_t)sqlite3_column_int64(st, 3);
		s->seed_last = (uint64_t)sqlite3_column_int64(st, 4);
		s->cells = (size_t)sqlite3_column_int64(st, 5);
		s->failed = (size_t)sqlite3_column_int64(st, 6);
		s->ab_mode = text_col(st, 7);
		s->control = text_col(st, 8);
		s->treatment = text_col(st, 9);
		s->aa = sqlite3_column_int64(st, 10) != 0;
		s->alpha = sqlite3_column_double(st, 11);
		s->truth = text_col(st, 12);
		s->git_rev = text_col(st, 13);
		s->version = text_col(st, 14);
		rc = 0;
	}
	db_finalize(st);
	return rc;
}

static int read_cells(struct db *db, struct replstore_data *d, struct error *err)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	if ((rc = db_prepare(db, &st, "SELECT cell, seed, run_dir, status, error, events, "
			     "srm_flagged FROM replicate_cells ORDER BY cell", "replication cells",
			     err)) < 0)
		return rc;
	while ((rc = db_step(db, st, "reading the replication cells", err)) == 1) {
		struct replstore_cell *c;

		XGROW(d->cells, d->n_cells + 1, cap);
		c = &d->cells[d->n_cells++];
		c->cell = (size_t)sqlite3_column_int64(st, 0);
		c->seed = (uint64_t)sqlite3_column_int64(st, 1);
		c->run_dir = text_col(st, 2);
		c->done = !strcmp(db_column_text(st, 3), "done");
		c->error = text_col(st, 4);
		c->events = (uint64_t)sqlite3_column_int64(st, 5);
		c->srm_flagged = sqlite3_column_int64(st, 6) != 0;
	}
	db_finalize(st);
	return rc;
}

static int read_seeds(struct db *db, struct replstore_data *d, struct error *err)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	if ((rc = db_prepare(db, &st, "SELECT seed, mode, metric, kind, estimable, n_t, n_c, rel, "
			     "rel_lo, rel_hi, p, p_adjusted, significant, truth, covered "
			     "FROM replicate_seeds ORDER BY seq", "replication seed rows", err)) < 0)
		return rc;
	while ((rc = db_step(db, st, "reading the replication seed rows", err)) == 1) {
		struct replstore_seed *r;

		XGROW(d->seeds, d->n_seeds + 1, cap);
		r = &d->seeds[d->n_seeds++];
		r->seed = (uint64_t)sqlite3_column_int64(st, 0);
		r->mode = text_col(st, 1);
		r->metric = text_col(st, 2);
		r->kind = text_col(st, 3);
		r->estimable = sqlite3_column_int64(st, 4) != 0;
		r->n_t = (uint64_t)sqlite3_column_int64(st, 5);
		r->n_c = (uint64_t)sqlite3_column_int64(st, 6);
		r->rel = db_column_double_or_nan(st, 7);
		r->rel_lo = db_column_double_or_nan(st, 8);
		r->rel_hi = db_column_double_or_nan(st, 9);
		r->p = db_column_double_or_nan(st, 10);
		r->p_adjusted = db_column_double_or_nan(st, 11);
		r->significant = sqlite3_column_int64(st, 12) != 0;
		r->truth = db_column_double_or_nan(st, 13);
		r->covered = sqlite3_column_type(st, 14) == SQLITE_NULL
				     ? -1 : (int)sqlite3_column_int64(st, 14);
	}
	db_finalize(st);
	return rc;
}

static int read_summary(struct db *db, struct replstore_data *d, struct error *err)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	if ((rc = db_prepare(db, &st, "SELECT mode, metric, seeds, mean, sd, lo, hi, significant, "
			     "share_significant, rejected_raw, share_rejected_raw, rejected_lo, "
			     "rejected_hi, with_truth, covered, coverage, coverage_lo, coverage_hi "
			     "FROM replicate_summary ORDER BY seq", "replication summary", err)) < 0)
		return rc;
	while ((rc = db_step(db, st, "reading the replication summary", err)) == 1) {
		struct replstore_summary *r;

		XGROW(d->summary, d->n_summary + 1, cap);
		r = &d->summary[d->n_summary++];
		r->mode = text_col(st, 0);
		r->metric = text_col(st, 1);
		r->s.n = (size_t)sqlite3_column_int64(st, 2);
		r->s.mean = db_column_double_or_nan(st, 3);
		r->s.sd = db_column_double_or_nan(st, 4);
		r->s.lo = db_column_double_or_nan(st, 5);
		r->s.hi = db_column_double_or_nan(st, 6);
		r->s.significant = (size_t)sqlite3_column_int64(st, 7);
		r->share_significant = db_column_double_or_nan(st, 8);
		r->s.rejected_raw = (size_t)sqlite3_column_int64(st, 9);
		r->share_rejected = db_column_double_or_nan(st, 10);
		r->rejected_lo = db_column_double_or_nan(st, 11);
		r->rejected_hi = db_column_double_or_nan(st, 12);
		r->s.with_truth = (size_t)sqlite3_column_int64(st, 13);
		r->s.covered = (size_t)sqlite3_column_int64(st, 14);
		r->coverage = db_column_double_or_nan(st, 15);
		r->coverage_lo = db_column_double_or_nan(st, 16);
		r->coverage_hi = db_column_double_or_nan(st, 17);
	}
	db_finalize(st);
	return rc;
}

bool replstore_is(const char *path)
{
	struct db *db;
	struct error err;
	sqlite3_stmt *st;
	bool yes = false;

	if (db_open(&db, path, DB_READONLY, &err) < 0)
		return false;
	if (db_prepare(db, &st, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
		       "name = 'replicate_study'", "looking for a replication", &err) == 0) {
		yes = db_step(db, st, "looking for a replication", &err) == 1;
		db_finalize(st);
	}
	db_close(db);
	return yes;
}

int replstore_read(const char *path, struct replstore_data *out, struct error *err)
{
	struct db *db;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!replstore_is(path))
		return error_set(err, ERR_INPUT, "'%s' is not a replication's results.db", path);
	if ((rc = db_open(&db, path, DB_READONLY, err)) < 0)
		return rc;
	if ((rc = db_schema_apply(db, &repl_schema, err)) < 0 ||
	    (rc = read_study(db, &out->study, err)) < 0 || (rc = read_cells(db, out, err)) < 0 ||
	    (rc = read_seeds(db, out, err)) < 0 || (rc = read_summary(db, out, err)) < 0)
		replstore_data_release(out);
	db_close(db);
	return rc;
}

void replstore_data_release(struct replstore_data *d)
{
	struct replstore_study *s = &d->study;

	free((char *)s->scenario);
	free((char *)s->scenario_text);
	free((char *)s->overrides);
	free((char *)s->ab_mode);
	free((char *)s->control);
	free((char *)s->treatment);
	free((char *)s->truth);
	free((char *)s->git_rev);
	free((char *)s->version);
	for (size_t i = 0; i < d->n_cells; i++) {
		free((char *)d->cells[i].run_dir);
		free((char *)d->cells[i].error);
	}
	for (size_t i = 0; i < d->n_seeds; i++) {
		free((char *)d->seeds[i].mode);
		free((char *)d->seeds[i].metric);
		free((char *)d->seeds[i].kind);
	}
	for (size_t i = 0; i < d->n_summary; i++) {
		free((char *)d->summary[i].mode);
		free((char *)d->summary[i].metric);
	}
	free(d->cells);
	free(d->seeds);
	free(d->summary);
	memset(d, 0, sizeof(*d));
}
