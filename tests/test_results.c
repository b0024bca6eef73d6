/* Tests for results/results.c: schema version, a round trip through every
 * table, transactions and the fault loop (no half-written put). */
#include "results/results.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/version.h"
#include "common/xalloc.h"
#include "results/rundir.h"

#include "tests/check_main.h"
#include "tests/tmpdir.h"

static void teardown(void)
{
	db_fault_after(0);
	tmpdir_teardown();
}

static int64_t scalar(struct results *r, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	ck_assert_int_eq(db_prepare(results_db(r), &st, sql, "testing", NULL), 0);
	ck_assert_int_eq(db_step(results_db(r), st, "testing", NULL), 1);
	v = sqlite3_column_int64(st, 0);
	db_finalize(st);
	return v;
}

static const struct results_run a_run = {
	.run_key = "0badc0de",
	.name = "spike",
	.scenario_text = "[world]\nusers = 100\n",
	.overrides = "world.users=100\n",
	.seed = UINT64_MAX - 5,   /* above INT64_MAX: stored as its bit pattern */
	.git_rev = "abc123",
	.version = "9.9.9",
	.host = "testhost",
	.started_utc = "2024-05-02T10:11:12Z",
};

/* Exactly the tables results/schema.h lists (tests/test_schema.c checks
 * that each is written and read). */
START_TEST(schema_version_and_tables)
{
	struct error err;
	struct results *r = results_open(":memory:", &err);
	char sql[128];
	int tables = 0;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(scalar(r, "PRAGMA user_version"), RESULTS_SCHEMA_VERSION);
	for (int i = SCHEMA_FIRST; i < SCHEMA_END; i++) {
		if (schema_rows[i].kind != SCHEMA_KIND_TABLE)
			continue;
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='%s'",
			 schema_rows[i].name);
		ck_assert_msg(scalar(r, sql) == 1, "table %s", schema_rows[i].name);
		tables++;
	}
	ck_assert_int_gt(tables, 0);
	ck_assert_int_eq(scalar(r, "SELECT count(*) FROM sqlite_master WHERE type='table' AND "
				   "name NOT LIKE 'sqlite_%'"), tables);
	ck_assert_int_eq(scalar(r, "PRAGMA foreign_keys"), 1);
	results_close(r);
	results_close(NULL);
}
END_TEST

struct run_seen {
	int n;
	struct results_run last;
	char name[64], scenario[256], host[64], started[64], git[64];
};

static int collect_run(const struct results_run *run, void *ctx)
{
	struct run_seen *s = ctx;

	s->n++;
	s->last = *run;
	snprintf(s->name, sizeof(s->name), "%s", run->name);
	snprintf(s->scenario, sizeof(s->scenario), "%s", run->scenario_text);
	snprintf(s->host, sizeof(s->host), "%s", run->host);
	snprintf(s->started, sizeof(s->started), "%s", run->started_utc);
	snprintf(s->git, sizeof(s->git), "%s", run->git_rev);
	return 0;
}

START_TEST(runs_round_trip)
{
	struct error err;
	struct results *r = results_open(":memory:", &err);
	struct results_run defaults = { .name = "d", .scenario_text = "", .seed = 1 };
	struct run_seen seen = { 0 };
	int64_t id, id2;

	ck_assert_int_eq(results_begin_run(r, &a_run, &id, &err), 0);
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(results_each_run(r, collect_run, &seen, &err), 0);
	ck_assert_int_eq(seen.n, 1);
	ck_assert_str_eq(seen.name, "spike");
	ck_assert_str_eq(seen.scenario, a_run.scenario_text);
	ck_assert_uint_eq(seen.last.seed, UINT64_MAX - 5);
	ck_assert_int_eq(seen.last.status, RESULTS_RUNNING);
	ck_assert(isnan(seen.last.wall_seconds));

	ck_assert_int_eq(results_finish_run(r, id, RESULTS_OK, 12.5, &err), 0);
	ck_assert_int_eq(results_finish_run(r, id + 100, RESULTS_OK, 1, &err), ERR_NOTFOUND);
	seen.n = 0;
	ck_assert_int_eq(results_each_run(r, collect_run, &seen, &err), 0);
	ck_assert_int_eq(seen.last.status, RESULTS_OK);
	ck_assert(seen.last.wall_seconds == 12.5);

	/* NULL provenance fields are filled in. */
	ck_assert_int_eq(results_begin_run(r, &defaults, &id2, &err), 0);
	ck_assert_int_ne(id2, id);
	seen.n = 0;
	ck_assert_int_eq(results_each_run(r, collect_run, &seen, &err), 0);
	ck_assert_int_eq(seen.n, 2);
	ck_assert_str_eq(seen.git, airtime_git_rev);
	ck_assert_int_gt(strlen(seen.host), 0);
	ck_assert_int_eq(strlen(seen.started), 20);
	ck_assert_int_eq(seen.started[19], 'Z');
	results_close(r);
}
END_TEST

static int count_cb(const char *key, const char *value, void *ctx)
{
	(void)key;
	(void)value;
	++*(int *)ctx;
	return 0;
}

START_TEST(info_round_trip)
{
	struct error err;
	struct results *r = results_open(":memory:", &err);
	char *v;
	int64_t id;
	int n = 0;

	ck_assert_int_eq(results_begin_run(r, &a_run, &id, &err), 0);
	ck_assert_int_eq(results_put_info(r, id, "train_from_us", "0", &err), 0);
	ck_assert_int_eq(results_put_info(r, id, "train_to_us", "604800000000", &err), 0);
	ck_assert_int_eq(results_put_info(r, id, "train_from_us", "86400000000", &err), 0);
	ck_assert_int_eq(results_get_info(r, id, "train_from_us", &v, &err), 0);
	ck_assert_str_eq(v, "86400000000");
	free(v);
	ck_assert_int_eq(results_get_info(r, id, "nope", &v, &err), ERR_NOTFOUND);
	ck_assert_ptr_null(v);
	ck_assert_ptr_nonnull(strstr(err.msg, "nope"));
	ck_assert_int_eq(results_each_info(r, id, count_cb, &n, &err), 0);
	ck_assert_int_eq(n, 2);
	/* Foreign keys hold: info for a run that does not exist is refused. */
	ck_assert_int_eq(results_put_info(r, id + 7, "k", "v", &err), ERR_DB);
	ck_assert_ptr_nonnull(strstr(err.msg, "FOREIGN KEY"));
	results_close(r);
}
END_TEST

struct timing_seen {
	int n;
	char phases[4][16];
	double secs[4];
};

static int collect_timing(const struct results_timing *t, void *ctx)
{
	struct timing_seen *s = ctx;

	ck_assert_int_lt(s->n, 4);
	snprintf(s->phases[s->n], sizeof(s->phases[0]), "%s", t->phase);
	s->secs[s->n++] = t->wall_seconds;
	return 0;
}

START_TEST(timings_keep_order)
{
	struct error err;
	struct results *r = results_open(":memory:", &err);
	struct timing_seen s = { 0 };
	int64_t id;

	ck_assert_int_eq(results_begin_run(r, &a_run, &id, &err), 0);
	ck_assert_int_eq(results_put_timing(r, id, "simulation", 3.25, &err), 0);
	ck_assert_int_eq(results_put_timing(r, id, "training", 1.5, &err), 0);
	ck_assert_int_eq(results_put_timing(r, id, "report", 0.25, &err), 0);
	ck_assert_int_eq(results_each_timing(r, id, collect_timing, &s, &err), 0);
	ck_assert_int_eq(s.n, 3);
	ck_assert_str_eq(s.phases[0], "simulation");
	ck_assert_str_eq(s.phases[2], "report");
	ck_assert(s.secs[1] == 1.5);
	results_close(r);
}
END_TEST

struct metric_seen {
	int n, host, nan;
	char first[32];
};

static int collect_metric(const struct results_metric *m, void *ctx)
{
	struct metric_seen *s = ctx;

	if (s->n++ == 0)
		snprintf(s->first, sizeof(s->first), "%s/%s", m->name, m->arm);
	s->host += m->kind == RESULTS_HOST;
	s->nan += isnan(m->value);
	return 0;
}

static int stop_after_one(const struct results_metric *m, void *ctx)
{
	(void)m;
	++*(int *)ctx;
	return 5;
}

START_TEST(metrics_round_trip)
{
	struct error err;
	struct results *r = results_open(":memory:", &err);
	struct metric_seen s = { 0 };
	double v;
	int64_t id;
	int calls = 0;

	ck_assert_int_eq(results_begin_run(r, &a_run, &id, &err), 0);
	ck_assert_int_eq(results_put_metric(r, id, "likes", "control", 0.125, "per user",
					    RESULTS_SIM, &err), 0);
	ck_assert_int_eq(results_put_metric(r, id, "likes", "treatment", 0.25, "per user",
					    RESULTS_SIM, &err), 0);
	ck_assert_int_eq(results_put_metric(r, id, "srm_p", NULL, NAN, "", RESULTS_SIM, &err), 0);
	ck_assert_int_eq(results_put_metric(r, id, "score_us_p99", NULL, 812, "us",
					    RESULTS_HOST, &err), 0);
	ck_assert_int_eq(results_get_metric(r, id, "likes", "treatment", &v, &err), 0);
	ck_assert(v == 0.25);
	ck_assert_int_eq(results_get_metric(r, id, "srm_p", NULL, &v, &err), 0);
	ck_assert(isnan(v));
	ck_assert_int_eq(results_get_metric(r, id, "likes", NULL, &v, &err), ERR_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "'likes'"));

	/* A duplicate is an error naming the metric, and changes nothing. */
	ck_assert_int_eq(results_put_metric(r, id, "likes", "control", 9, "per user",
					    RESULTS_SIM, &err), ERR_DB);
	ck_assert_ptr_nonnull(strstr(err.msg, "metric 'likes' (arm 'control')"));
	ck_assert_ptr_nonnull(strstr(err.msg, "UNIQUE"));
	ck_assert_int_eq(results_get_metric(r, id, "likes", "control", &v, &err), 0);
	ck_assert(v == 0.125);

	ck_assert_int_eq(results_each_metric(r, id, collect_metric, &s, &err), 0);
	ck_assert_int_eq(s.n, 4);
	ck_assert_str_eq(s.first, "likes/control");
	ck_assert_int_eq(s.host, 1);
	ck_assert_int_eq(s.nan, 1);
	ck_assert_int_eq(results_each_metric(r, id, stop_after_one, &calls, &err), 5);
	ck_assert_int_eq(calls, 1);
	results_close(r);
}
END_TEST

static struct series *make_series(bool with_hist)
{
	struct error err;
	struct series *s = series_new(with_hist ? "latency_ms" : "sessions", 10 * SIMTIME_S,
				      SIMTIME_MIN, 6, with_hist ? 1000000 : 0, 2, &err);

	ck_assert_ptr_nonnull(s);
	/* Bucket 2 stays empty. */
	/* In time order, as percentile series require. */
	for (int b = 0; b < 2; b++)
		for (int i = b; i < 100; i += 2)
			series_record(s, 10 * SIMTIME_S + (i % 2) * SIMTIME_MIN + i, 100 + i);
	series_record(s, 10 * SIMTIME_S + 3 * SIMTIME_MIN, 7);
	for (int i = 0; i < 100; i++)
		series_record(s, 10 * SIMTIME_S + 5 * SIMTIME_MIN + i, 1000 * (i + 1));
	return s;
}

static int collect_name(const char *name, void *ctx)
{
	char *out = ctx;

	strncat(out, name, 63 - strlen(out));
	strncat(out, ",", 63 - strlen(out));
	return 0;
}

START_TEST(series_round_trip)
{
	struct error err;
	struct results *r = results_open(":memory:", &err);
	struct series *h = make_series(true), *c = make_series(false);
	struct results_series rs;
	char names[64] = "";
	int64_t id;

	ck_assert_int_eq(results_begin_run(r, &a_run, &id, &err), 0);
	ck_assert_int_eq(results_put_series(r, id, h, "ms", &err), 0);
	ck_assert_int_eq(results_put_series(r, id, c, NULL, &err), 0);
	ck_assert_int_eq(results_each_series_name(r, id, collect_name, names, &err), 0);
	ck_assert_str_eq(names, "latency_ms,sessions,");

	ck_assert_int_eq(results_get_series(r, id, "latency_ms", &rs, &err), 0);
	ck_assert_uint_eq(rs.n, 6);
	ck_assert_int_eq(rs.start, 10 * SIMTIME_S);
	ck_assert_int_eq(rs.width, SIMTIME_MIN);
	ck_assert_str_eq(rs.unit, "ms");
	ck_assert(rs.has_hist);
	ck_assert(rs.start_s[1] == 70.0);
	for (size_t i = 0; i < rs.n; i++) {
		ck_assert(rs.count[i] == (double)series_bucket_count(h, i));
		ck_assert(rs.sum[i] == series_bucket_sum(h, i));
		ck_assert(rs.min[i] == (double)series_bucket_min(h, i));
		ck_assert(rs.max[i] == (double)series_bucket_max(h, i));
		ck_assert(rs.last[i] == (double)series_bucket_last(h, i));
		if (series_bucket_count(h, i) == 0) {
			ck_assert(isnan(rs.p50[i]));
			continue;
		}
		ck_assert(rs.p50[i] == (double)series_bucket_quantile(h, i, 0.5));
		ck_assert(rs.p90[i] == (double)series_bucket_quantile(h, i, 0.9));
		ck_assert(rs.p99[i] == (double)series_bucket_quantile(h, i, 0.99));
	}
	ck_assert(rs.count[2] == 0);
	results_series_release(&rs);

	ck_assert_int_eq(results_get_series(r, id, "sessions", &rs, &err), 0);
	ck_assert(!rs.has_hist);
	ck_assert(isnan(rs.p50[0]));
	ck_assert(rs.count[0] == 50);
	results_series_release(&rs);
	ck_assert_int_eq(results_get_series(r, id, "nope", &rs, &err), ERR_NOTFOUND);
	ck_assert_ptr_null(rs.count);

	/* A second put of the same name is refused whole: no extra rows. */
	ck_assert_int_eq(results_put_series(r, id, c, NULL, &err), ERR_DB);
	ck_assert_ptr_nonnull(strstr(err.msg, "series 'sessions'"));
	ck_assert_int_eq(scalar(r, "SELECT count(*) FROM series"), 12);
	series_free(h);
	series_free(c);
	results_close(r);
}
END_TEST

struct bucket_sum {
	uint64_t total;
	int64_t prev_lo;
	int n;
	struct hist *h;
	size_t cursor;
};

static int check_bucket(int64_t lo, int64_t hi, uint64_t count, void *ctx)
{
	struct bucket_sum *b = ctx;
	int64_t elo, ehi;
	uint64_t ecount;

	ck_assert(hist_next_bucket(b->h, &b->cursor, &elo, &ehi, &ecount));
	ck_assert_int_eq(lo, elo);
	ck_assert_int_eq(hi, ehi);
	ck_assert_uint_eq(count, ecount);
	ck_assert_int_gt(lo, b->prev_lo);
	b->prev_lo = lo;
	b->total += count;
	b->n++;
	return 0;
}

START_TEST(hist_round_trip)
{
	struct error err;
	struct results *r = results_open(":memory:", &err);
	struct results_hist_summary sum;
	struct bucket_sum b = { .prev_lo = -1 };
	struct hist h;
	int64_t id;

	ck_assert_int_eq(hist_init(&h, 60 * 1000000, 3, &err), 0);
	for (int64_t v = 1; v <= 20000; v++)
		hist_record(&h, v * 37 % 250000);
	hist_record(&h, 61 * 1000000); /* clamped, counted in overflow */
	ck_assert_int_eq(results_begin_run(r, &a_run, &id, &err), 0);
	ck_assert_int_eq(results_put_hist(r, id, "e2e_latency", &h, "us", &err), 0);
	ck_assert_int_eq(results_get_hist_summary(r, id, "e2e_latency", &sum, &err), 0);
	ck_assert_uint_eq(sum.count, hist_count(&h));
	ck_assert_uint_eq(sum.overflow, 1);
	ck_assert(sum.mean == hist_mean(&h));
	ck_assert_int_eq(sum.min, hist_min(&h));
	ck_assert_int_eq(sum.p50, hist_quantile(&h, 0.5));
	ck_assert_int_eq(sum.p99, hist_quantile(&h, 0.99));
	ck_assert_int_eq(sum.p999, hist_quantile(&h, 0.999));
	ck_assert_int_eq(sum.max, hist_max(&h));
	ck_assert_int_eq(sum.highest, h.highest);
	ck_assert_int_eq(sum.digits, 3);
	ck_assert_str_eq(sum.unit, "us");
	b.h = &h;
	ck_assert_int_eq(results_each_hist_bucket(r, id, "e2e_latency", check_bucket, &b, &err), 0);
	ck_assert_uint_eq(b.total, hist_count(&h));
	ck_assert_int_gt(b.n, 100);
	ck_assert_int_eq(results_get_hist_summary(r, id, "nope", &sum, &err), ERR_NOTFOUND);
	hist_release(&h);
	results_close(r);
}
END_TEST

struct tr_seen {
	int n;
	int nulls;
	char last_to[16];
	simtime last_at;
};

static int collect_transition(const struct results_transition *t, void *ctx)
{
	struct tr_seen *s = ctx;

	s->n++;
	s->nulls += t->error_kind == NULL;
	snprintf(s->last_to, sizeof(s->last_to), "%s", t->to_state);
	s->last_at = t->at;
	return 0;
}

START_TEST(transitions_round_trip)
{
	struct error err;
	struct results *r = results_open(":memory:", &err);
	struct results_transition t = { .job_day = 3, .step = "compute", .from_state = "pending",
					.to_state = "running", .at = 3 * SIMTIME_DAY + 22 * SIMTIME_HOUR,
					.attempt = 1 };
	struct tr_seen s = { 0 };
	int64_t id;

	ck_assert_int_eq(results_begin_run(r, &a_run, &id, &err), 0);
	ck_assert_int_eq(results_put_transition(r, id, &t, &err), 0);
	t.from_state = "running";
	t.to_state = "retrying";
	t.error_kind = "unavailable";
	t.message = "lake partition day=3 missing";
	t.at += 5 * SIMTIME_MIN;
	ck_assert_int_eq(results_put_transition(r, id, &t, &err), 0);
	t.from_state = "retrying";
	t.to_state = "succeeded";
	t.error_kind = NULL;
	t.message = NULL;
	t.attempt = 2;
	t.at += 10 * SIMTIME_MIN;
	ck_assert_int_eq(results_put_transition(r, id, &t, &err), 0);
	ck_assert_int_eq(results_each_transition(r, id, collect_transition, &s, &err), 0);
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(s.nulls, 2);
	ck_assert_str_eq(s.last_to, "succeeded");
	ck_assert_int_eq(s.last_at, t.at);
	results_close(r);
}
END_TEST

START_TEST(rollback_of_a_batch_leaves_nothing)
{
	struct error err;
	struct results *r = results_open(":memory:", &err);
	struct series *c = make_series(false);
	int64_t id;

	ck_assert_int_eq(results_begin_run(r, &a_run, &id, &err), 0);
	ck_assert_int_eq(results_begin(r, &err), 0);
	ck_assert_int_eq(results_put_metric(r, id, "m", NULL, 1, "", RESULTS_SIM, &err), 0);
	ck_assert_int_eq(results_put_series(r, id, c, "", &err), 0);
	results_rollback(r);
	ck_assert_int_eq(scalar(r, "SELECT count(*) FROM metrics"), 0);
	ck_assert_int_eq(scalar(r, "SELECT count(*) FROM series"), 0);
	ck_assert_int_eq(scalar(r, "SELECT count(*) FROM runs"), 1);

	ck_assert_int_eq(results_begin(r, &err), 0);
	ck_assert_int_eq(results_put_metric(r, id, "m", NULL, 1, "", RESULTS_SIM, &err), 0);
	ck_assert_int_eq(results_commit(r, &err), 0);
	ck_assert_int_eq(scalar(r, "SELECT count(*) FROM metrics"), 1);
	series_free(c);
	results_close(r);
}
END_TEST

START_TEST(read_only_and_newer_version)
{
	char *path = xasprintf("%s/results.db", tmpdir);
	struct error err;
	struct results *r = results_open(path, &err);
	double v;
	int64_t id;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(results_begin_run(r, &a_run, &id, &err), 0);
	ck_assert_int_eq(results_put_metric(r, id, "m", NULL, 2, "", RESULTS_SIM, &err), 0);
	results_close(r);

	r = results_open_readonly(path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(results_get_metric(r, id, "m", NULL, &v, &err), 0);
	ck_assert(v == 2);
	ck_assert_int_eq(results_put_metric(r, id, "n", NULL, 2, "", RESULTS_SIM, &err), ERR_DB);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_int_eq(db_exec(results_db(r), "SELECT 1", "probing", &err), 0);
	results_close(r);

	/* Pretend a newer airtime wrote it. */
	r = results_open(path, &err);
	ck_assert_int_eq(db_exec(results_db(r), "PRAGMA user_version = 99", "bumping", &err), 0);
	results_close(r);
	ck_assert_ptr_null(results_open(path, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "newer"));
	ck_assert_ptr_null(results_open_readonly(path, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	free(path);
}
END_TEST

/* Everything a run writes, as a unit for the fault loop. */
static int write_run(const char *path, struct error *err)
{
	struct results_transition t = { .job_day = 1, .step = "s", .from_state = "a",
					.to_state = "b", .at = 5, .attempt = 1 };
	struct results *r;
	struct series *s = make_series(true);
	struct hist h;
	int64_t id;
	int rc;

	ck_assert_int_eq(hist_init(&h, 1000000, 2, NULL), 0);
	for (int i = 0; i < 1000; i++)
		hist_record(&h, i * 13);
	r = results_open(path, err);
	if (!r) {
		rc = err->code;
		goto out;
	}
	rc = results_begin_run(r, &a_run, &id, err);
	if (rc == 0)
		rc = results_put_info(r, id, "k", "v", err);
	if (rc == 0)
		rc = results_put_metric(r, id, "m", "control", 1, "", RESULTS_SIM, err);
	if (rc == 0)
		rc = results_put_series(r, id, s, "ms", err);
	if (rc == 0)
		rc = results_put_hist(r, id, "h", &h, "us", err);
	if (rc == 0)
		rc = results_put_transition(r, id, &t, err);
	if (rc == 0)
		rc = results_put_timing(r, id, "all", 0.5, err);
	if (rc == 0)
		rc = results_finish_run(r, id, RESULTS_OK, 1.0, err);
	results_close(r);
out:
	hist_release(&h);
	series_free(s);
	return rc;
}

START_TEST(fault_loop_every_put_is_whole_or_absent)
{
	char *path = xasprintf("%s/f.db", tmpdir);
	struct error err;
	long n;

	for (n = 1; n < 5000; n++) {
		struct results *r;
		int rc;

		unlink(path);
		db_fault_after(n);
		rc = write_run(path, &err);
		if (!db_fault_fired()) {
			ck_assert_int_eq(rc, 0);
			break;
		}
		db_fault_after(0);
		ck_assert_int_eq(rc, ERR_DB);
		ck_assert_ptr_nonnull(strstr(err.msg, "injected fault"));
		ck_assert_ptr_nonnull(strstr(err.msg, path));
		if (access(path, F_OK) != 0)
			continue;
		r = results_open(path, &err);
		ck_assert_msg(r != NULL, "n=%ld: %s", n, err.msg);
		/* A series is all its buckets or nothing; a histogram's buckets
		 * add up to its count; a finished run has everything. */
		ck_assert_int_eq(scalar(r, "SELECT count(*) FROM series"),
				 scalar(r, "SELECT coalesce(sum(buckets), 0) FROM series_info"));
		ck_assert_int_eq(scalar(r, "SELECT coalesce(sum(count), 0) FROM histograms"),
				 scalar(r, "SELECT coalesce(sum(count), 0) FROM hist_summary"));
		ck_assert_int_eq(scalar(r, "SELECT count(*) FROM runs WHERE status = 'ok'"), 0);
		results_close(r);
	}
	ck_assert_int_gt(n, 20);
	ck_assert_int_lt(n, 5000);
	free(path);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, teardown);
	tcase_add_test(tc, schema_version_and_tables);
	tcase_add_test(tc, runs_round_trip);
	tcase_add_test(tc, info_round_trip);
	tcase_add_test(tc, timings_keep_order);
	tcase_add_test(tc, metrics_round_trip);
	tcase_add_test(tc, series_round_trip);
	tcase_add_test(tc, hist_round_trip);
	tcase_add_test(tc, transitions_round_trip);
	tcase_add_test(tc, rollback_of_a_batch_leaves_nothing);
	tcase_add_test(tc, read_only_and_newer_version);
	tcase_add_test(tc, fault_loop_every_put_is_whole_or_absent);
}

CHECK_MAIN("results", add_tests, 60)
