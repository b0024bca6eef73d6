/* The logged bandit feedback in memory and in results.db; see banditstore.h. */
#include "results/banditstore.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/xalloc.h"
#include "results/results.h"
#include "results/schema.h"
#include "stats/metrics.h"

static const char *const kind_names[] = {
	"unknown", "pit", "user", "creator", "user_topic", "user_creator", "context",
};
#define N_KINDS (sizeof(kind_names) / sizeof(kind_names[0]))

static const char *const table_names[] = { "impressions", "users", "ope_target_slots" };

const char *banditstore_table_name(enum banditstore_table t)
{
	ASSERT((unsigned)t < 3);
	return table_names[t];
}

int banditstore_table_from_name(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(name, table_names[i]))
			return i;
	return -1;
}

/* ---- the table in memory ---- */

void bandit_table_init(struct bandit_table *t, size_t stride, const char *const *names,
		       const uint32_t *kinds, size_t n_targets, const char *const *target_names,
		       const struct policy_config *policy, size_t max_rows)
{
	memset(t, 0, sizeof(*t));
	ASSERT(n_targets <= CONFIG_OPE_TARGETS_MAX);
	t->stride = stride;
	t->feature_names = xcalloc(stride ? stride : 1, sizeof(*t->feature_names));
	t->feature_kinds = xcalloc(stride ? stride : 1, sizeof(*t->feature_kinds));
	for (size_t i = 0; i < stride; i++) {
		t->feature_names[i] = xstrdup(names ? names[i] : "");
		t->feature_kinds[i] = kinds ? kinds[i] : 0;
	}
	t->n_targets = n_targets;
	for (size_t i = 0; i < n_targets; i++)
		snprintf(t->target_names[i], sizeof(t->target_names[i]), "%s", target_names[i]);
	if (policy)
		t->policy = *policy;
	t->max_rows = max_rows;
}

void bandit_table_set_arms(struct bandit_table *t, const char *const *labels, size_t n)
{
	ASSERT(n <= CONFIG_AB_ARMS_MAX);
	t->n_arms = n;
	for (size_t i = 0; i < n; i++)
		snprintf(t->arm_labels[i], sizeof(t->arm_labels[i]), "%s", labels[i]);
}

void bandit_table_release(struct bandit_table *t)
{
	for (size_t i = 0; i < t->stride; i++)
		free(t->feature_names[i]);
	free(t->feature_names);
	free(t->feature_kinds);
	free(t->rounds);
	free(t->row_round);
	free(t->position);
	free(t->show);
	free(t->creator);
	free(t->topic);
	free(t->live);
	free(t->score);
	free(t->p_cond);
	free(t->p_marg);
	free(t->model_p);
	free(t->features);
	free(t->tune_in);
	free(t->like);
	free(t->follow);
	free(t->notify);
	free(t->listen_us);
	free(t->tshow);
	free(t->tmodel_p);
	free(t->tfeatures);
	memset(t, 0, sizeof(*t));
}

#define GROW(a, cap) ((a) = xreallocarray((a), (cap), sizeof(*(a))))

static void grow_rows(struct bandit_table *t, size_t need)
{
	size_t cap = t->cap_rows ? t->cap_rows : 1024;

	if (need <= t->cap_rows)
		return;
	while (cap < need)
		cap *= 2;
	GROW(t->row_round, cap);
	GROW(t->position, cap);
	GROW(t->show, cap);
	GROW(t->creator, cap);
	GROW(t->topic, cap);
	GROW(t->live, cap);
	GROW(t->score, cap);
	GROW(t->p_cond, cap);
	GROW(t->p_marg, cap);
	GROW(t->model_p, cap);
	GROW(t->tune_in, cap);
	GROW(t->like, cap);
	GROW(t->follow, cap);
	GROW(t->notify, cap);
	GROW(t->listen_us, cap);
	t->features = xreallocarray(t->features, cap, (t->stride ? t->stride : 1) * sizeof(float));
	t->cap_rows = cap;
}

long bandit_table_add_round(struct bandit_table *t, const struct bandit_round *r)
{
	size_t n = r->n_slots, at = t->n_rows;

	if (t->max_rows && at + n > t->max_rows) {
		t->dropped += n;
		return -1;
	}
	XGROW(t->rounds, t->n_rounds + 1, t->cap_rounds);
	grow_rows(t, at + n);
	t->rounds[t->n_rounds] = *r;
	t->rounds[t->n_rounds].first = at;
	t->rounds[t->n_rounds].tfirst = UINT64_MAX;
	t->rounds[t->n_rounds].has_targets = 0;
	for (size_t j = 0; j < n; j++) {
		t->row_round[at + j] = (uint32_t)t->n_rounds;
		t->position[at + j] = (uint16_t)j;
		t->show[at + j] = t->creator[at + j] = 0;
		t->topic[at + j] = 0;
		t->live[at + j] = 0;
		t->score[at + j] = t->p_cond[at + j] = t->p_marg[at + j] = NAN;
		t->model_p[at + j] = NAN;
		t->tune_in[at + j] = t->like[at + j] = t->follow[at + j] = t->notify[at + j] = 0;
		t->listen_us[at + j] = 0;
	}
	if (t->stride)
		memset(t->features + at * t->stride, 0, n * t->stride * sizeof(float));
	t->n_rows += n;
	return (long)t->n_rounds++;
}

void bandit_table_add_targets(struct bandit_table *t, size_t i)
{
	struct bandit_round *r = &t->rounds[i];
	size_t n = t->n_targets * r->n_slots, at = t->n_tslots, cap = t->cap_tslots;

	ASSERT(i < t->n_rounds);
	if (at + n > cap) {
		cap = cap ? cap : 1024;
		while (cap < at + n)
			cap *= 2;
		GROW(t->tshow, cap);
		GROW(t->tmodel_p, cap);
		t->tfeatures = xreallocarray(t->tfeatures, cap,
					     (t->stride ? t->stride : 1) * sizeof(float));
		t->cap_tslots = cap;
	}
	for (size_t j = 0; j < n; j++) {
		t->tshow[at + j] = 0;
		t->tmodel_p[at + j] = NAN;
	}
	if (t->stride)
		memset(t->tfeatures + at * t->stride, 0, n * t->stride * sizeof(float));
	r->tfirst = at;
	r->has_targets = 1;
	t->n_tslots += n;
}

/* ---- writing ---- */

static int put_info_text(struct results *r, int64_t id, enum schema_id name, const char *v,
			 struct error *err)
{
	return results_put_info(r, id, schema_name(name), v, err);
}

static int put_info_num(struct results *r, int64_t id, enum schema_id name, double v,
			struct error *err)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.17g", v);
	return put_info_text(r, id, name, buf, err);
}

static int put_layout(struct results *r, int64_t id, const struct bandit_table *t,
		      struct error *err)
{
	struct db *db = results_db(r);
	sqlite3_stmt *st;
	int rc;

	rc = db_prepare(db, &st, "INSERT INTO feature_columns (run_id, i, name, kind) "
			"VALUES (?, ?, ?, ?)", "recording the feature columns", err);
	for (size_t i = 0; i < t->stride && rc == 0; i++) {
		db_bind_int64(db, st, 1, id);
		db_bind_int64(db, st, 2, (int64_t)i);
		db_bind_text(db, st, 3, t->feature_names[i]);
		db_bind_text(db, st, 4, kind_names[t->feature_kinds[i] < N_KINDS ? t->feature_kinds[i] : 0]);
		rc = db_step_done(db, st, "recording the feature columns", err);
	}
	db_finalize(st);
	if (rc < 0)
		return rc;
	if ((rc = put_info_text(r, id, SCHEMA_INFO_LOGGING_POLICY,
				policy_kind_name(t->policy.kind), err)) < 0 ||
	    (rc = put_info_num(r, id, SCHEMA_INFO_LOGGING_TEMPERATURE, t->policy.temperature,
			       err)) < 0 ||
	    (rc = put_info_num(r, id, SCHEMA_INFO_LOGGING_EPSILON, t->policy.epsilon, err)) < 0 ||
	    (rc = put_info_num(r, id, SCHEMA_INFO_LOGGING_SAMPLES,
			       (double)t->policy.marginal_samples, err)) < 0)
		return rc;
	for (size_t i = 0; i < t->n_targets && rc == 0; i++) {
		char part[32], *key;

		snprintf(part, sizeof(part), "%zu", i);
		key = schema_key(SCHEMA_INFO_OPE_TARGET, part);
		rc = results_put_info(r, id, key, t->target_names[i], err);
		free(key);
	}
	return rc;
}

static const char *arm_label(const struct bandit_table *t, uint8_t arm)
{
	return arm < t->n_arms ? t->arm_labels[arm] : "control";
}

static int put_rows(struct results *r, int64_t id, const struct bandit_table *t,
		    struct error *err)
{
	static const char purpose[] = "recording logged impressions";
	struct db *db = results_db(r);
	sqlite3_stmt *st;
	int rc;

	rc = db_prepare(db, &st,
			"INSERT INTO impressions (run_id, round, position, session, user, time_us, "
			"phase, arm, logging, n_candidates, show, creator, topic, live, score, "
			"propensity, propensity_marginal, model_p, tune_in, listen_minutes, liked, "
			"followed, notified, features) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", purpose, err);
	for (size_t i = 0; i < t->n_rows && rc == 0; i++) {
		const struct bandit_round *b = &t->rounds[t->row_round[i]];

		db_bind_int64(db, st, 1, id);
		db_bind_int64(db, st, 2, t->row_round[i]);
		db_bind_int64(db, st, 3, t->position[i]);
		db_bind_int64(db, st, 4, b->session);
		db_bind_int64(db, st, 5, b->user);
		db_bind_int64(db, st, 6, b->time_us);
		sqlite3_bind_text(st, 7, b->phase ? "experiment" : "warmup", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, arm_label(t, b->arm), -1, SQLITE_STATIC);
		db_bind_int64(db, st, 9, b->logging);
		db_bind_int64(db, st, 10, b->n_candidates);
		db_bind_int64(db, st, 11, t->show[i]);
		db_bind_int64(db, st, 12, t->creator[i]);
		db_bind_int64(db, st, 13, t->topic[i]);
		db_bind_int64(db, st, 14, t->live[i]);
		db_bind_double_or_null(db, st, 15, t->score[i]);
		db_bind_double_or_null(db, st, 16, t->p_cond[i]);
		db_bind_double_or_null(db, st, 17, t->p_marg[i]);
		db_bind_double_or_null(db, st, 18, t->model_p[i]);
		db_bind_int64(db, st, 19, t->tune_in[i]);
		db_bind_double(db, st, 20, (double)t->listen_us[i] / 60e6);
		db_bind_int64(db, st, 21, t->like[i]);
		db_bind_int64(db, st, 22, t->follow[i]);
		db_bind_int64(db, st, 23, t->notify[i]);
		sqlite3_bind_blob(st, 24, t->features + i * t->stride,
				  (int)(t->stride * sizeof(float)), SQLITE_STATIC);
		rc = db_step_done(db, st, purpose, err);
	}
	db_finalize(st);
	return rc;
}

static int put_targets(struct results *r, int64_t id, const struct bandit_table *t,
		       struct error *err)
{
	static const char purpose[] = "recording the off-policy targets' pages";
	struct db *db = results_db(r);
	sqlite3_stmt *st;
	int rc;

	if (!t->n_targets)
		return 0;
	rc = db_prepare(db, &st,
			"INSERT INTO ope_target_slots (run_id, round, target, position, show, "
			"model_p, features) VALUES (?, ?, ?, ?, ?, ?, ?)", purpose, err);
	for (size_t i = 0; i < t->n_rounds && rc == 0; i++) {
		const struct bandit_round *b = &t->rounds[i];

		if (!b->has_targets)
			continue;
		for (size_t k = 0; k < t->n_targets && rc == 0; k++)
			for (size_t j = 0; j < b->n_slots && rc == 0; j++) {
				size_t at = b->tfirst + k * b->n_slots + j;

				db_bind_int64(db, st, 1, id);
				db_bind_int64(db, st, 2, (int64_t)i);
				sqlite3_bind_text(st, 3, t->target_names[k], -1, SQLITE_STATIC);
				db_bind_int64(db, st, 4, (int64_t)j);
				db_bind_int64(db, st, 5, t->tshow[at]);
				db_bind_double_or_null(db, st, 6, t->tmodel_p[at]);
				sqlite3_bind_blob(st, 7, t->tfeatures + at * t->stride,
						  (int)(t->stride * sizeof(float)), SQLITE_STATIC);
				rc = db_step_done(db, st, purpose, err);
			}
	}
	db_finalize(st);
	return rc;
}

static int put_count(struct results *r, int64_t id, enum schema_id name, double v,
		     struct error *err)
{
	return results_put_metric(r, id, schema_name(name), NULL, v, schema_unit(name),
				  RESULTS_SIM, err);
}

int banditstore_put(struct results *r, int64_t run_id, const struct bandit_table *t,
		    struct error *err)
{
	int rc;

	if ((rc = results_begin(r, err)) < 0)
		return rc;
	if ((rc = put_layout(r, run_id, t, err)) < 0 || (rc = put_rows(r, run_id, t, err)) < 0 ||
	    (rc = put_targets(r, run_id, t, err)) < 0 ||
	    (rc = put_count(r, run_id, SCHEMA_METRIC_LOGGING_ROUNDS, (double)t->n_rounds, err)) < 0 ||
	    (rc = put_count(r, run_id, SCHEMA_METRIC_LOGGING_IMPRESSIONS, (double)t->n_rows,
			    err)) < 0 ||
	    (rc = put_count(r, run_id, SCHEMA_METRIC_LOGGING_DROPPED, (double)t->dropped, err)) < 0) {
		results_rollback(r);
		return rc;
	}
	return results_commit(r, err);
}

int banditstore_put_users(struct results *r, int64_t run_id, const struct metrics *m,
			  const char *const *arm_labels, struct error *err)
{
	static const char purpose[] = "recording per-user metrics";
	static const enum metrics_id cols[] = {
		METRIC_SESSIONS, METRIC_TUNE_INS, METRIC_LISTEN_MIN, METRIC_LIKES, METRIC_FOLLOWS,
		METRIC_NOTIFY, METRIC_ENGAGEMENT, METRIC_IMPRESSIONS, METRIC_HOME_CLICKS,
	};
	struct db *db = results_db(r);
	sqlite3_stmt *st;
	int rc;

	if ((rc = results_begin(r, err)) < 0)
		return rc;
	rc = db_prepare(db, &st,
			"INSERT INTO users (run_id, user, period, arm, sessions, tune_ins, "
			"listening_minutes, likes, follows, notify_enables, engagement_actions, "
			"impressions, home_clicks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			purpose, err);
	for (size_t u = 0; u < metrics_users(m) && rc == 0; u++)
		for (int p = 0; p < METRICS_PERIODS && rc == 0; p++) {
			db_bind_int64(db, st, 1, run_id);
			db_bind_int64(db, st, 2, (int64_t)u);
			sqlite3_bind_text(st, 3, p ? "experiment" : "warmup", -1, SQLITE_STATIC);
			db_bind_text(db, st, 4, arm_labels[metrics_arm(m, (uint32_t)u)]);
			for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
				db_bind_double(db, st, 5 + (int)c,
					       metrics_value(m, (uint32_t)u, cols[c],
							     (enum metrics_period)p));
			rc = db_step_done(db, st, purpose, err);
		}
	db_finalize(st);
	if (rc < 0) {
		results_rollback(r);
		return rc;
	}
	return results_commit(r, err);
}

/* ---- reading ---- */

int banditstore_has(struct results *r, int64_t run_id, bool *has, struct error *err)
{
	struct db *db = results_db(r);
	sqlite3_stmt *st;
	int rc;

	*has = false;
	rc = db_prepare(db, &st, "SELECT 1 FROM impressions WHERE run_id = ? LIMIT 1",
			"looking for logged impressions", err);
	if (rc < 0)
		return rc;
	db_bind_int64(db, st, 1, run_id);
	rc = db_step(db, st, "looking for logged impressions", err);
	*has = rc == 1;
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

static int kind_of(const char *name)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (!strcmp(name, kind_names[i]))
			return (int)i;
	return 0;
}

static int read_layout(struct results *r, int64_t id, struct bandit_table *t, struct error *err)
{
	struct db *db = results_db(r);
	sqlite3_stmt *st;
	char **names = NULL;
	uint32_t *kinds = NULL;
	size_t n = 0, cap = 0, cap2 = 0;
	const char *tnames[CONFIG_OPE_TARGETS_MAX];
	char *tbuf[CONFIG_OPE_TARGETS_MAX] = { 0 };
	size_t nt = 0;
	struct policy_config pc = { 0 };
	char *v = NULL;
	int rc;

	rc = db_prepare(db, &st, "SELECT name, kind FROM feature_columns WHERE run_id = ? "
			"ORDER BY i", "reading the feature columns", err);
	if (rc < 0)
		return rc;
	db_bind_int64(db, st, 1, id);
	while ((rc = db_step(db, st, "reading the feature columns", err)) == 1) {
		size_t c2 = cap;

		XGROW(names, n + 1, c2);
		XGROW(kinds, n + 1, cap2);
		cap = c2;
		names[n] = xstrdup(db_column_text(st, 0));
		kinds[n++] = (uint32_t)kind_of(db_column_text(st, 1));
	}
	db_finalize(st);
	if (rc == 0 && results_get_info(r, id, schema_name(SCHEMA_INFO_LOGGING_POLICY), &v,
					err) == 0) {
		for (int k = 0; k < 3; k++)
			if (!strcmp(v, policy_kind_name((enum policy_kind)k)))
				pc.kind = (enum policy_kind)k;
		free(v);
		v = NULL;
		if (results_get_info(r, id, schema_name(SCHEMA_INFO_LOGGING_TEMPERATURE), &v,
				     err) == 0)
			pc.temperature = strtod(v, NULL);
		free(v);
		v = NULL;
		if (results_get_info(r, id, schema_name(SCHEMA_INFO_LOGGING_EPSILON), &v, err) == 0)
			pc.epsilon = strtod(v, NULL);
		free(v);
		v = NULL;
		if (results_get_info(r, id, schema_name(SCHEMA_INFO_LOGGING_SAMPLES), &v, err) == 0)
			pc.marginal_samples = (uint32_t)strtoul(v, NULL, 10);
		free(v);
		v = NULL;
	}
	for (size_t i = 0; rc == 0 && i < CONFIG_OPE_TARGETS_MAX; i++) {
		char part[32], *key;

		snprintf(part, sizeof(part), "%zu", i);
		key = schema_key(SCHEMA_INFO_OPE_TARGET, part);
		if (results_get_info(r, id, key, &tbuf[i], err) == 0)
			tnames[nt++] = tbuf[i];
		free(key);
		if (!tbuf[i])
			break;
	}
	error_clear(err);
	if (rc == 0)
		bandit_table_init(t, n, (const char *const *)names, kinds, nt, tnames, &pc, 0);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(kinds);
	for (size_t i = 0; i < CONFIG_OPE_TARGETS_MAX; i++)
		free(tbuf[i]);
	return rc;
}

static uint8_t arm_index(struct bandit_table *t, const char *label)
{
	for (size_t i = 0; i < t->n_arms; i++)
		if (!strcmp(t->arm_labels[i], label))
			return (uint8_t)i;
	if (t->n_arms == CONFIG_AB_ARMS_MAX)
		return 0;
	snprintf(t->arm_labels[t->n_arms], sizeof(t->arm_labels[0]), "%s", label);
	return (uint8_t)t->n_arms++;
}

static void copy_blob(sqlite3_stmt *st, int col, float *out, size_t stride)
{
	const void *b = sqlite3_column_blob(st, col);
	size_t bytes = (size_t)sqlite3_column_bytes(st, col), want = stride * sizeof(float);

	if (b && bytes == want)
		memcpy(out, b, want);
	else
		for (size_t i = 0; i < stride; i++)
			out[i] = NAN;
}

static int read_rows(struct results *r, int64_t id, struct bandit_table *t, struct error *err)
{
	static const char purpose[] = "reading logged impressions";
	struct db *db = results_db(r);
	sqlite3_stmt *st;
	int64_t last = -1;
	long cur = -1;
	int rc;

	/* the arms in the order of their first row: control first in practice */
	rc = db_prepare(db, &st,
			"SELECT round, position, session, user, time_us, phase, arm, logging, "
			"n_candidates, show, creator, topic, live, score, propensity, "
			"propensity_marginal, model_p, tune_in, listen_minutes, liked, followed, "
			"notified, features FROM impressions WHERE run_id = ? ORDER BY round, position",
			purpose, err);
	if (rc < 0)
		return rc;
	db_bind_int64(db, st, 1, id);
	while ((rc = db_step(db, st, purpose, err)) == 1) {
		int64_t round = sqlite3_column_int64(st, 0);
		size_t pos = (size_t)sqlite3_column_int64(st, 1), at;

		if (round != last) {
			struct bandit_round b = { 0 };
			int rc2;
			sqlite3_stmt *cnt;

			if (round != (int64_t)t->n_rounds) {
				rc = error_set(err, ERR_CORRUPT, "%s: impressions of run %lld: round %lld "
					       "where %zu was expected (rounds are numbered 0, 1, ...)",
					       db_path(db), (long long)id, (long long)round, t->n_rounds);
				break;
			}
			rc2 = db_prepare(db, &cnt, "SELECT count(*) FROM impressions WHERE run_id = ? "
					 "AND round = ?", purpose, err);
			if (rc2 < 0) {
				rc = rc2;
				break;
			}
			db_bind_int64(db, cnt, 1, id);
			db_bind_int64(db, cnt, 2, round);
			rc2 = db_step(db, cnt, purpose, err);
			b.n_slots = rc2 == 1 ? (uint16_t)sqlite3_column_int64(cnt, 0) : 0;
			db_finalize(cnt);
			if (rc2 < 0) {
				rc = rc2;
				break;
			}
			b.session = (uint32_t)sqlite3_column_int64(st, 2);
			b.user = (uint32_t)sqlite3_column_int64(st, 3);
			b.time_us = sqlite3_column_int64(st, 4);
			b.phase = !strcmp(db_column_text(st, 5), "experiment");
			b.arm = arm_index(t, db_column_text(st, 6));
			b.logging = (uint8_t)sqlite3_column_int64(st, 7);
			b.n_candidates = (uint32_t)sqlite3_column_int64(st, 8);
			cur = bandit_table_add_round(t, &b);
			ASSERT(cur >= 0);
			last = round;
		}
		if (pos >= t->rounds[cur].n_slots) {
			rc = error_set(err, ERR_CORRUPT, "%s: impressions of run %lld: round %lld has "
				       "position %zu beyond its %u slots", db_path(db), (long long)id,
				       (long long)round, pos, t->rounds[cur].n_slots);
			break;
		}
		at = t->rounds[cur].first + pos;
		t->show[at] = (uint32_t)sqlite3_column_int64(st, 9);
		t->creator[at] = (uint32_t)sqlite3_column_int64(st, 10);
		t->topic[at] = (uint16_t)sqlite3_column_int64(st, 11);
		t->live[at] = (uint8_t)sqlite3_column_int64(st, 12);
		t->score[at] = db_column_double_or_nan(st, 13);
		t->p_cond[at] = db_column_double_or_nan(st, 14);
		t->p_marg[at] = db_column_double_or_nan(st, 15);
		t->model_p[at] = db_column_double_or_nan(st, 16);
		t->tune_in[at] = (uint8_t)sqlite3_column_int64(st, 17);
		t->listen_us[at] = (int64_t)llround(sqlite3_column_double(st, 18) * 60e6);
		t->like[at] = (uint8_t)sqlite3_column_int64(st, 19);
		t->follow[at] = (uint8_t)sqlite3_column_int64(st, 20);
		t->notify[at] = (uint8_t)sqlite3_column_int64(st, 21);
		copy_blob(st, 22, t->features + at * t->stride, t->stride);
	}
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

static int read_targets(struct results *r, int64_t id, struct bandit_table *t,
			struct error *err)
{
	static const char purpose[] = "reading the off-policy targets' pages";
	struct db *db = results_db(r);
	sqlite3_stmt *st;
	int rc;

	if (!t->n_targets)
		return 0;
	rc = db_prepare(db, &st, "SELECT round, target, position, show, model_p, features "
			"FROM ope_target_slots WHERE run_id = ? ORDER BY round, target, position",
			purpose, err);
	if (rc < 0)
		return rc;
	db_bind_int64(db, st, 1, id);
	while ((rc = db_step(db, st, purpose, err)) == 1) {
		int64_t round = sqlite3_column_int64(st, 0);
		const char *target = db_column_text(st, 1);
		size_t pos = (size_t)sqlite3_column_int64(st, 2), k = 0, at;
		struct bandit_round *b;

		while (k < t->n_targets && strcmp(t->target_names[k], target))
			k++;
		if (round < 0 || (size_t)round >= t->n_rounds || k == t->n_targets ||
		    pos >= t->rounds[round].n_slots) {
			rc = error_set(err, ERR_CORRUPT, "%s: ope_target_slots of run %lld: a row "
				       "(round %lld, target '%s', position %zu) without its logged page",
				       db_path(db), (long long)id, (long long)round, target, pos);
			break;
		}
		b = &t->rounds[round];
		if (!b->has_targets)
			bandit_table_add_targets(t, (size_t)round);
		at = b->tfirst + k * b->n_slots + pos;
		t->tshow[at] = (uint32_t)sqlite3_column_int64(st, 3);
		t->tmodel_p[at] = db_column_double_or_nan(st, 4);
		copy_blob(st, 5, t->tfeatures + at * t->stride, t->stride);
	}
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

int banditstore_get(struct results *r, int64_t run_id, struct bandit_table *out,
		    struct error *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = read_layout(r, run_id, out, err)) < 0)
		return rc;
	if ((rc = read_rows(r, run_id, out, err)) < 0 ||
	    (rc = read_targets(r, run_id, out, err)) < 0) {
		bandit_table_release(out);
		return rc;
	}
	return 0;
}

/* ---- CSV ---- */

/* A field for CSV: names are plain identifiers here, but quote anything
 * that is not. */
static void put_name(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\n\r")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
}

static void put_value(FILE *f, sqlite3_stmt *st, int col)
{
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		break;
	case SQLITE_INTEGER:
		fprintf(f, "%lld", (long long)sqlite3_column_int64(st, col));
		break;
	case SQLITE_FLOAT:
		fprintf(f, "%.17g", sqlite3_column_double(st, col));
		break;
	default:
		put_name(f, (const char *)sqlite3_column_text(st, col));
		break;
	}
}

static int export_rows(struct db *db, sqlite3_stmt *st, FILE *f, size_t stride,
		       uint64_t *rows, struct error *err)
{
	int cols = sqlite3_column_count(st), rc;
	float *x = xcalloc(stride ? stride : 1, sizeof(*x));

	*rows = 0;
	while ((rc = db_step(db, st, "exporting a table", err)) == 1) {
		for (int c = 0; c < cols - (stride ? 1 : 0); c++) {
			if (c)
				fputc(',', f);
			put_value(f, st, c);
		}
		if (stride) {
			copy_blob(st, cols - 1, x, stride);
			for (size_t i = 0; i < stride; i++) {
				fputc(',', f);
				if (!isnan(x[i]))
					fprintf(f, "%.9g", (double)x[i]);
			}
		}
		fputc('\n', f);
		(*rows)++;
	}
	free(x);
	return rc;
}

int banditstore_export_csv(struct results *r, int64_t run_id, enum banditstore_table table,
			   const char *path, uint64_t *rows, struct error *err)
{
	static const char *const sql[] = {
		[BANDITSTORE_IMPRESSIONS] =
			"SELECT round, position, session, user, time_us, phase, arm, logging, "
			"n_candidates, show, creator, topic, live, score, propensity, "
			"propensity_marginal, model_p, tune_in, listen_minutes, liked, followed, "
			"notified, features FROM impressions WHERE run_id = ? ORDER BY round, position",
		[BANDITSTORE_USERS] =
			"SELECT user, period, arm, sessions, tune_ins, listening_minutes, likes, "
			"follows, notify_enables, engagement_actions, impressions, home_clicks "
			"FROM users WHERE run_id = ? ORDER BY user, period DESC",
		[BANDITSTORE_TARGETS] =
			"SELECT round, target, position, show, model_p, features FROM ope_target_slots "
			"WHERE run_id = ? ORDER BY round, target, position",
	};
	struct db *db = results_db(r);
	struct bandit_table layout;
	sqlite3_stmt *st;
	char *tmp = xasprintf("%s.tmp", path);
	size_t stride = 0;
	FILE *f = NULL;
	int rc, cols;

	*rows = 0;
	memset(&layout, 0, sizeof(layout));
	ASSERT((unsigned)table < 3);
	if (table != BANDITSTORE_USERS) {
		if ((rc = read_layout(r, run_id, &layout, err)) < 0)
			goto out;
		stride = layout.stride;
	}
	if ((rc = db_prepare(db, &st, sql[table], "exporting a table", err)) < 0)
		goto out;
	db_bind_int64(db, st, 1, run_id);
	if (!(f = fopen(tmp, "w"))) {
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		db_finalize(st);
		goto out;
	}
	cols = sqlite3_column_count(st);
	for (int c = 0; c < cols - (stride ? 1 : 0); c++) {
		if (c)
			fputc(',', f);
		put_name(f, sqlite3_column_name(st, c));
	}
	for (size_t i = 0; i < stride; i++) {
		char *name = xasprintf("x_%s", layout.feature_names[i]);

		fputc(',', f);
		put_name(f, name);
		free(name);
	}
	fputc('\n', f);
	rc = export_rows(db, st, f, stride, rows, err);
	db_finalize(st);
	if (rc < 0)
		goto out;
	if (*rows == 0) {
		rc = error_set(err, ERR_NOTFOUND, "run %lld stored no %s rows", (long long)run_id,
			       table_names[table]);
		goto out;
	}
	if (ferror(f) | fclose(f)) {
		f = NULL;
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) < 0)
		rc = error_set(err, ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path,
			       strerror(errno));
out:
	if (f)
		fclose(f);
	if (rc < 0)
		remove(tmp);
	free(tmp);
	bandit_table_release(&layout);
	return rc;
}
