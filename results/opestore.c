/* Off-policy evaluation rows of results.db; see opestore.h. */
#include "results/opestore.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/db.h"
#include "results/results.h"
#include "results/schema.h"

int opestore_put_estimates(struct results *r, int64_t run_id,
			   const struct opestore_estimate *rows, size_t n, struct error *err)
{
	static const char purpose[] = "recording off-policy estimates";
	struct db *db = results_db(r);
	sqlite3_stmt *st;
	int rc;

	if ((rc = results_begin(r, err)) < 0)
		return rc;
	rc = db_prepare(db, &st,
			"INSERT OR REPLACE INTO ope_estimates (run_id, target, reward, estimator, "
			"estimable, why, rounds, estimate, se, lo, hi, truth, truth_se, truth_rounds, "
			"model_truth, bias, covered, nonzero, ess, max_weight, alpha) VALUES (?, ?, ?, "
			"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", purpose, err);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct opestore_estimate *e = &rows[i];
		bool truth = !isnan(e->truth) && e->estimable;

		db_bind_int64(db, st, 1, run_id);
		db_bind_text(db, st, 2, e->target);
		db_bind_text(db, st, 3, e->reward);
		db_bind_text(db, st, 4, e->estimator);
		db_bind_int64(db, st, 5, e->estimable);
		db_bind_text(db, st, 6, e->why ? e->why : "");
		db_bind_int64(db, st, 7, (int64_t)e->rounds);
		db_bind_double_or_null(db, st, 8, e->estimate);
		db_bind_double_or_null(db, st, 9, e->se);
		db_bind_double_or_null(db, st, 10, e->lo);
		db_bind_double_or_null(db, st, 11, e->hi);
		db_bind_double_or_null(db, st, 12, e->truth);
		db_bind_double_or_null(db, st, 13, e->truth_se);
		if (isnan(e->truth))
			db_bind_null(db, st, 14);
		else
			db_bind_int64(db, st, 14, (int64_t)e->truth_rounds);
		db_bind_double_or_null(db, st, 15, e->model_truth);
		db_bind_double_or_null(db, st, 16, truth ? e->estimate - e->truth : NAN);
		if (truth)
			db_bind_int64(db, st, 17, e->lo <= e->truth && e->truth <= e->hi);
		else
			db_bind_null(db, st, 17);
		db_bind_int64(db, st, 18, (int64_t)e->nonzero);
		db_bind_double_or_null(db, st, 19, e->ess);
		db_bind_double_or_null(db, st, 20, e->max_weight);
		db_bind_double(db, st, 21, e->alpha);
		rc = db_step_done(db, st, purpose, err);
	}
	db_finalize(st);
	if (rc < 0) {
		results_rollback(r);
		return rc;
	}
	return results_commit(r, err);
}

int opestore_put_replications(struct results *r, int64_t run_id,
			      const struct opestore_replication *rows, size_t n,
			      const struct opestore_summary *summary, size_t n_summary,
			      struct error *err)
{
	static const char purpose[] = "recording off-policy replications";
	struct db *db = results_db(r);
	sqlite3_stmt *del = NULL, *st = NULL, *sum = NULL;
	int rc;

	if ((rc = results_begin(r, err)) < 0)
		return rc;
	if ((rc = db_prepare(db, &del, "DELETE FROM ope_replications WHERE run_id = ? AND "
			     "target = ? AND reward = ?", purpose, err)) < 0 ||
	    (rc = db_prepare(db, &st, "INSERT INTO ope_replications (run_id, target, reward, "
			     "estimator, replication, seed, estimate, lo, hi, truth, model_truth) "
			     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", purpose, err)) < 0 ||
	    (rc = db_prepare(db, &sum, "INSERT OR REPLACE INTO ope_summary (run_id, target, "
			     "reward, estimator, replications, mean_bias, rmse, coverage, "
			     "coverage_lo, coverage_hi, mean_width, model_mean_bias, model_rmse, "
			     "model_coverage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			     purpose, err)) < 0)
		goto out;
	for (size_t i = 0; i < n_summary && rc == 0; i++) {
		db_bind_int64(db, del, 1, run_id);
		db_bind_text(db, del, 2, summary[i].target);
		db_bind_text(db, del, 3, summary[i].reward);
		rc = db_step_done(db, del, purpose, err);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct opestore_replication *e = &rows[i];

		db_bind_int64(db, st, 1, run_id);
		db_bind_text(db, st, 2, e->target);
		db_bind_text(db, st, 3, e->reward);
		db_bind_text(db, st, 4, e->estimator);
		db_bind_int64(db, st, 5, e->replication);
		db_bind_int64(db, st, 6, (int64_t)e->seed);
		db_bind_double_or_null(db, st, 7, e->estimate);
		db_bind_double_or_null(db, st, 8, e->lo);
		db_bind_double_or_null(db, st, 9, e->hi);
		db_bind_double_or_null(db, st, 10, e->truth);
		db_bind_double_or_null(db, st, 11, e->model_truth);
		rc = db_step_done(db, st, purpose, err);
	}
	for (size_t i = 0; i < n_summary && rc == 0; i++) {
		const struct opestore_summary *s = &summary[i];

		db_bind_int64(db, sum, 1, run_id);
		db_bind_text(db, sum, 2, s->target);
		db_bind_text(db, sum, 3, s->reward);
		db_bind_text(db, sum, 4, s->estimator);
		db_bind_int64(db, sum, 5, (int64_t)s->replications);
		db_bind_double_or_null(db, sum, 6, s->mean_bias);
		db_bind_double_or_null(db, sum, 7, s->rmse);
		db_bind_double_or_null(db, sum, 8, s->coverage);
		db_bind_double_or_null(db, sum, 9, s->coverage_lo);
		db_bind_double_or_null(db, sum, 10, s->coverage_hi);
		db_bind_double_or_null(db, sum, 11, s->mean_width);
		db_bind_double_or_null(db, sum, 12, s->model_mean_bias);
		db_bind_double_or_null(db, sum, 13, s->model_rmse);
		db_bind_double_or_null(db, sum, 14, s->model_coverage);
		rc = db_step_done(db, sum, purpose, err);
	}
out:
	db_finalize(del);
	db_finalize(st);
	db_finalize(sum);
	if (rc < 0) {
		results_rollback(r);
		return rc;
	}
	return results_commit(r, err);
}

int opestore_each_estimate(struct results *r, int64_t run_id,
			   int (*fn)(const struct opestore_estimate *e, void *ctx), void *ctx,
			   struct error *err)
{
	static const char purpose[] = "reading off-policy estimates";
	struct db *db = results_db(r);
	sqlite3_stmt *st;
	int rc;

	rc = db_prepare(db, &st,
			"SELECT target, reward, estimator, estimable, why, rounds, estimate, se, lo, "
			"hi, truth, truth_se, truth_rounds, model_truth, nonzero, ess, max_weight, "
			"alpha FROM ope_estimates WHERE run_id = ? ORDER BY seq", purpose, err);
	if (rc < 0)
		return rc;
	db_bind_int64(db, st, 1, run_id);
	while ((rc = db_step(db, st, purpose, err)) == 1) {
		struct opestore_estimate e = {
			.target = db_column_text(st, 0),
			.reward = db_column_text(st, 1),
			.estimator = db_column_text(st, 2),
			.estimable = sqlite3_column_int64(st, 3) != 0,
			.why = db_column_text(st, 4),
			.rounds = (size_t)sqlite3_column_int64(st, 5),
			.estimate = db_column_double_or_nan(st, 6),
			.se = db_column_double_or_nan(st, 7),
			.lo = db_column_double_or_nan(st, 8),
			.hi = db_column_double_or_nan(st, 9),
			.truth = db_column_double_or_nan(st, 10),
			.truth_se = db_column_double_or_nan(st, 11),
			.truth_rounds = (size_t)sqlite3_column_int64(st, 12),
			.model_truth = db_column_double_or_nan(st, 13),
			.nonzero = (size_t)sqlite3_column_int64(st, 14),
			.ess = db_column_double_or_nan(st, 15),
			.max_weight = db_column_double_or_nan(st, 16),
			.alpha = db_column_double_or_nan(st, 17),
		};

		if ((rc = fn(&e, ctx)) != 0)
			break;
	}
	db_finalize(st);
	return rc;
}

int opestore_each_summary(struct results *r, int64_t run_id,
			  int (*fn)(const struct opestore_summary *s, void *ctx), void *ctx,
			  struct error *err)
{
	static const char purpose[] = "reading off-policy summaries";
	struct db *db = results_db(r);
	sqlite3_stmt *st;
	int rc;

	rc = db_prepare(db, &st,
			"SELECT target, reward, estimator, replications, mean_bias, rmse, coverage, "
			"coverage_lo, coverage_hi, mean_width, model_mean_bias, model_rmse, "
			"model_coverage FROM ope_summary WHERE run_id = ? ORDER BY seq", purpose, err);
	if (rc < 0)
		return rc;
	db_bind_int64(db, st, 1, run_id);
	while ((rc = db_step(db, st, purpose, err)) == 1) {
		struct opestore_summary s = {
			.target = db_column_text(st, 0),
			.reward = db_column_text(st, 1),
			.estimator = db_column_text(st, 2),
			.replications = (size_t)sqlite3_column_int64(st, 3),
			.mean_bias = db_column_double_or_nan(st, 4),
			.rmse = db_column_double_or_nan(st, 5),
			.coverage = db_column_double_or_nan(st, 6),
			.coverage_lo = db_column_double_or_nan(st, 7),
			.coverage_hi = db_column_double_or_nan(st, 8),
			.mean_width = db_column_double_or_nan(st, 9),
			.model_mean_bias = db_column_double_or_nan(st, 10),
			.model_rmse = db_column_double_or_nan(st, 11),
			.model_coverage = db_column_double_or_nan(st, 12),
		};

		if ((rc = fn(&s, ctx)) != 0)
			break;
	}
	db_finalize(st);
	return rc;
}

int opestore_each_replication(struct results *r, int64_t run_id,
			      int (*fn)(const struct opestore_replication *e, void *ctx),
			      void *ctx, struct error *err)
{
	static const char purpose[] = "reading off-policy replications";
	struct db *db = results_db(r);
	sqlite3_stmt *st;
	int rc;

	rc = db_prepare(db, &st,
			"SELECT target, reward, estimator, replication, seed, estimate, lo, hi, truth, "
			"model_truth FROM ope_replications WHERE run_id = ? ORDER BY target, reward, "
			"estimator, replication", purpose, err);
	if (rc < 0)
		return rc;
	db_bind_int64(db, st, 1, run_id);
	while ((rc = db_step(db, st, purpose, err)) == 1) {
		struct opestore_replication e = {
			.target = db_column_text(st, 0),
			.reward = db_column_text(st, 1),
			.estimator = db_column_text(st, 2),
			.replication = (int)sqlite3_column_int64(st, 3),
			.seed = (uint64_t)sqlite3_column_int64(st, 4),
			.estimate = db_column_double_or_nan(st, 5),
			.lo = db_column_double_or_nan(st, 6),
			.hi = db_column_double_or_nan(st, 7),
			.truth = db_column_double_or_nan(st, 8),
			.model_truth = db_column_double_or_nan(st, 9),
		};

		if ((rc = fn(&e, ctx)) != 0)
			break;
	}
	db_finalize(st);
	return rc;
}
