/* Simulator validity checks in results.db; see checkstore.h. */
#include "results/checkstore.h"

#include <stdio.h>
#include <string.h>

#include "common/db.h"
#include "results/results.h"

static const char *const verdict_names[] = { "pass", "fail", "skip" };

const char *checkstore_verdict_name(enum checkstore_verdict v)
{
	ASSERT((unsigned)v < sizeof(verdict_names) / sizeof(verdict_names[0]));
	return verdict_names[v];
}

int checkstore_put(struct results *r, int64_t run_id, const struct checkstore *c,
		   struct error *err)
{
	static const char purpose[] = "storing a validity check";
	struct db *db = results_db(r);
	sqlite3_stmt *del = NULL, *ins = NULL;
	int rc;

	ASSERT(c->n <= CHECKSTORE_MAX);
	if ((rc = db_begin(db, err)) < 0)
		return rc;
	if ((rc = db_prepare(db, &del, "DELETE FROM validity_checks WHERE run_id = ?",
			     "clearing validity checks", err)) < 0 ||
	    (rc = db_prepare(db, &ins, "INSERT INTO validity_checks (run_id, seq, name, statistic,"
				       " value, p, threshold, verdict, detail)"
				       " VALUES (?,?,?,?,?,?,?,?,?)", purpose, err)) < 0)
		goto out_rollback;
	db_bind_int64(db, del, 1, run_id);
	if ((rc = db_step_done(db, del, "clearing validity checks", err)) < 0)
		goto out_rollback;
	for (size_t i = 0; i < c->n; i++) {
		const struct checkstore_check *k = &c->checks[i];

		db_bind_int64(db, ins, 1, run_id);
		db_bind_int64(db, ins, 2, (int64_t)i);
		db_bind_text(db, ins, 3, k->name);
		db_bind_text(db, ins, 4, k->statistic);
		db_bind_double_or_null(db, ins, 5, k->value);
		db_bind_double_or_null(db, ins, 6, k->p);
		db_bind_double_or_null(db, ins, 7, k->threshold);
		db_bind_text(db, ins, 8, checkstore_verdict_name(k->verdict));
		db_bind_text(db, ins, 9, k->detail);
		rc = db_step_done(db, ins, purpose, err);
		db_reset(ins);
		if (rc < 0) {
			error_prefix(err, "check '%s': ", k->name);
			goto out_rollback;
		}
	}
	db_finalize(del);
	db_finalize(ins);
	return db_commit(db, err);
out_rollback:
	db_finalize(del);
	db_finalize(ins);
	db_rollback(db);
	return rc;
}

/* The verdict stored as `text`; -1 when unknown. */
static int verdict_of(const char *text)
{
	for (size_t v = 0; v < sizeof(verdict_names) / sizeof(verdict_names[0]); v++)
		if (!strcmp(text, verdict_names[v]))
			return (int)v;
	return -1;
}

int checkstore_get(struct results *r, int64_t run_id, struct checkstore *out,
		   struct error *err)
{
	static const char purpose[] = "reading validity checks";
	struct db *db = results_db(r);
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_prepare(db, &st, "SELECT name, statistic, value, p, threshold, verdict,"
				      " detail FROM validity_checks WHERE run_id = ? ORDER BY seq",
			     purpose, err)) < 0)
		return rc;
	db_bind_int64(db, st, 1, run_id);
	while ((rc = db_step(db, st, purpose, err)) == 1) {
		const char *verdict = db_column_text(st, 5);
		struct checkstore_check *k;
		int v = verdict_of(verdict);

		if (out->n == CHECKSTORE_MAX) {
			rc = error_set(err, ERR_CORRUPT, "'%s': more than %d validity checks stored",
				       db_path(db), CHECKSTORE_MAX);
			break;
		}
		k = &out->checks[out->n];
		snprintf(k->name, sizeof(k->name), "%s", db_column_text(st, 0));
		if (v < 0) {
			rc = error_set(err, ERR_CORRUPT, "'%s': validity check '%s' has verdict '%s'",
				       db_path(db), k->name, verdict);
			break;
		}
		snprintf(k->statistic, sizeof(k->statistic), "%s", db_column_text(st, 1));
		k->value = db_column_double_or_nan(st, 2);
		k->p = db_column_double_or_nan(st, 3);
		k->threshold = db_column_double_or_nan(st, 4);
		k->verdict = (enum checkstore_verdict)v;
		snprintf(k->detail, sizeof(k->detail), "%s", db_column_text(st, 6));
		out->pass += k->verdict == CHECKSTORE_PASS;
		out->fail += k->verdict == CHECKSTORE_FAIL;
		out->skipped += k->verdict == CHECKSTORE_SKIP;
		out->n++;
	}
	db_finalize(st);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc < 0 ? rc : 0;
}
