/* Tests for engine/batchjob.c: synthetic events driven through a calendar
 * for 3 simulated days: lake partitions per hour, the daily job at 22:00,
 * published features equal to a direct batch computation, injected
 * failures keeping yesterday's features, transitions, and a lossless
 * end-of-run drain. */
#include "common/calendar.h"
#include "common/rng.h"
#include "common/scenario.h"
#include "engine/batch.h"
#include "engine/batchjob.h"
#include "engine/featurestore.h"
#include "engine/lake.h"

#include "tests/check_main.h"
#include "tests/scenfile.h"
#include "tests/defaults.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D SIMTIME_DAY
#define H SIMTIME_HOUR
#define USERS 40
#define CREATORS 6
#define TOPICS 4
#define SHOWS 12

static char tmpdir[64];

static void tmp_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/airtime-test-batchjob-XXXXXX");
	ck_assert(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Synthetic traffic: every 7 minutes some user opens a session and
 * listens to a show for a few minutes; sometimes likes, follows, enables
 * notifications; shows go live every hour.  Every hour of the 3 days holds
 * events, so every hour has a lake partition. */
static size_t gen_events(struct event **out, simtime until)
{
	size_t cap = 4096, n = 0;
	struct event *e = malloc(cap * sizeof(*e));
	struct rng r;
	uint32_t session = 0;
	uint64_t id = 1;

	rng_init(&r, 7, RNG_TEST, 0, 0);
	for (simtime t = 0; t < until; t += 7 * SIMTIME_MIN) {
		uint32_t u = (uint32_t)rng_below(&r, USERS), sh = (uint32_t)rng_below(&r, SHOWS);
		struct event b;
		simtime len = (simtime)(1 + rng_below(&r, 5)) * SIMTIME_MIN;

		if (n + 8 > cap) {
			cap *= 2;
			e = realloc(e, cap * sizeof(*e));
		}
		memset(&b, 0, sizeof(b));
		b.user = u;
		b.session = session++;
		b.show = sh;
		b.creator = sh % CREATORS;
		b.topic = (uint16_t)(sh % TOPICS);
		b.position = UINT16_MAX;
#define PUSH(ty, dt, val) do { e[n] = b; e[n].id = id++; e[n].type = (ty); \
		e[n].emit_time = t + (dt); e[n].value = (val); n++; } while (0)
		if (t % H == 0) {
			struct event live = b;

			b.user = EVENT_NONE;
			b.session = EVENT_NONE;
			PUSH(EVENT_SHOW_LIVE, 0, 0);
			b = live;
		}
		PUSH(EVENT_APP_OPEN, 1, 0);
		PUSH(EVENT_LISTEN_START, 2, 0);
		if (rng_below(&r, 3) == 0)
			PUSH(EVENT_LIKE, 3, 0);
		if (rng_below(&r, 5) == 0)
			PUSH(EVENT_FOLLOW, 4, 0);
		if (rng_below(&r, 7) == 0)
			PUSH(EVENT_NOTIFY_ENABLE, 5, 0);
		PUSH(EVENT_LISTEN_END, len, len);
#undef PUSH
	}
	/* emit order (stable by construction except listen_end overlaps) */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && e[j - 1].emit_time > e[j].emit_time; j--) {
			struct event x = e[j];

			e[j] = e[j - 1];
			e[j - 1] = x;
		}
	*out = e;
	return n;
}

/* Declared interests: user u declares topic u % TOPICS and, for even u,
 * (u + 1) % TOPICS. */
static uint32_t decl_user[2 * USERS];
static uint16_t decl_topic[2 * USERS];

static struct batch_declared make_declared(void)
{
	size_t n = 0;

	for (uint32_t u = 0; u < USERS; u++) {
		decl_user[n] = u;
		decl_topic[n++] = (uint16_t)(u % TOPICS);
		if (u % 2 == 0) {
			decl_user[n] = u;
			decl_topic[n++] = (uint16_t)((u + 1) % TOPICS);
		}
	}
	return (struct batch_declared){ decl_user, decl_topic, n };
}

#define MAX_TR 256

struct world {
	struct calendar *cal;
	struct batchjob *bj;
	struct event *evs;
	size_t n, next;
	struct workflow_transition tr[MAX_TR];
	size_t n_tr;
};

static void on_transition(void *ctx, const struct workflow_transition *tr)
{
	struct world *w = ctx;

	ck_assert(w->n_tr < MAX_TR);
	w->tr[w->n_tr] = *tr;
	w->tr[w->n_tr].message = NULL;  /* borrowed for the call only */
	w->n_tr++;
}

/* Feeds the events at their emit times, one pending callback at a time. */
static void feed(void *ctx, uint64_t arg, simtime now)
{
	struct world *w = ctx;

	(void)arg;
	while (w->next < w->n && w->evs[w->next].emit_time <= now)
		batchjob_accept(w->bj, &w->evs[w->next++]);
	if (w->next < w->n)
		calendar_schedule(w->cal, w->evs[w->next].emit_time, feed, w, 0);
}

static void test_config(struct batchjob_config *cfg)
{
	*cfg = test_defaults()->batch;
	cfg->batch.window = 2 * D;
	cfg->batch.feature_ttl = 3 * D;
	cfg->firehose.max_bytes = 48 * 40;  /* size flushes too */
	cfg->workflow.seed = 3;
}

static void world_start(struct world *w, const struct batchjob_config *cfg, simtime until)
{
	struct batch_declared decl = make_declared();
	struct error err;

	memset(w, 0, sizeof(*w));
	w->n = gen_events(&w->evs, until);
	w->cal = calendar_new(0, 64);
	w->bj = batchjob_new(cfg, tmpdir, w->cal, &decl, on_transition, w, &err);
	ck_assert_msg(w->bj, "%s", err.msg);
	calendar_schedule(w->cal, w->evs[0].emit_time, feed, w, 0);
}

static void world_stop(struct world *w)
{
	batchjob_free(w->bj);
	calendar_free(w->cal);
	free(w->evs);
}

/* The direct computation: batch over the generated events for the window
 * ending at `end`. */
static struct batch *direct(const struct batchjob_config *cfg, const struct world *w, simtime end)
{
	struct batch_declared decl = make_declared();
	struct error err;
	struct batch *b = batch_new(&cfg->batch, &err);

	ck_assert(b);
	batch_begin(b, end);
	batch_add(b, w->evs, w->n, &err);
	batch_finish(b, &decl);
	return b;
}

/* Every row of the direct tables is served with the same values (as floats). */
static void assert_served_equals(const struct world *w, const struct batch *b, simtime now)
{
	for (int id = 0; id < BATCH_TABLE_COUNT; id++) {
		const struct batch_table *t = batch_table(b, (enum batch_table_id)id);

		ck_assert_uint_gt(t->n, 0);
		for (size_t i = 0; i < t->n; i++) {
			uint32_t a = (uint32_t)(t->entity[i] >> 32), c = (uint32_t)t->entity[i];
			uint16_t tp = (uint16_t)c;
			float out[8];
			size_t hit = 0;

			switch (id) {
			case BATCH_USER: hit = batchjob_user_features(w->bj, &c, 1, now, out); break;
			case BATCH_CREATOR: hit = batchjob_creator_features(w->bj, &c, 1, now, out); break;
			case BATCH_USER_TOPIC:
				hit = batchjob_user_topic_features(w->bj, &a, &tp, 1, now, out);
				break;
			default: hit = batchjob_user_creator_features(w->bj, &a, &c, 1, now, out); break;
			}
			ck_assert_uint_eq(hit, 1);
			for (size_t j = 0; j < t->k; j++)
				ck_assert_msg(out[j] == (float)t->values[i * t->k + j],
					      "%s entity %lld feature %zu: served %g, direct %g", t->name,
					      (long long)t->entity[i], j, (double)out[j],
					      t->values[i * t->k + j]);
		}
	}
}

static size_t count_tr(const struct world *w, int step, const char *to, int day)
{
	size_t n = 0;

	for (size_t i = 0; i < w->n_tr; i++)
		if (w->tr[i].step == step && !strcmp(w->tr[i].to, to) && (day < 0 || w->tr[i].day == day))
			n++;
	return n;
}

START_TEST(window_end_is_last_complete_hour)
{
	struct batchjob_config cfg;
	struct world w;

	tmp_setup();
	test_config(&cfg);
	world_start(&w, &cfg, H);
	/* 22:00 - 300 s - 60 s = 21:54 -> 21:00 */
	ck_assert_int_eq(batchjob_window_end(w.bj, 22 * H), 21 * H);
	ck_assert_int_eq(batchjob_window_end(w.bj, D + 22 * H), D + 21 * H);
	/* exactly on an hour: 22:06 - 6 min = 22:00 is complete */
	ck_assert_int_eq(batchjob_window_end(w.bj, 22 * H + 6 * SIMTIME_MIN), 22 * H);
	ck_assert_int_eq(batchjob_window_end(w.bj, 0), -H);
	world_stop(&w);
	tmp_teardown();
}
END_TEST

START_TEST(three_days_partitions_runs_and_features)
{
	struct batchjob_config cfg;
	struct world w;
	bool hours[72] = { false };

	tmp_setup();
	test_config(&cfg);
	world_start(&w, &cfg, 3 * D);
	for (int day = 0; day < 3; day++) {
		simtime end = batchjob_window_end(w.bj, day * D + 22 * H);
		struct batch *b;

		calendar_run_until(w.cal, day * D + 23 * H);
		ck_assert_ptr_null(batchjob_error(w.bj));
		ck_assert_uint_eq(batchjob_successes(w.bj), (uint64_t)day + 1);
		ck_assert_int_eq(batchjob_data_end(w.bj), end);
		b = direct(&cfg, &w, end);
		ck_assert_uint_eq(batchjob_last_events(w.bj), batch_events(b));
		assert_served_equals(&w, b, day * D + 23 * H);
		batch_free(b);
	}
	calendar_run_until(w.cal, 3 * D);
	/* the run started at 22:00 each day */
	for (int day = 0; day < 3; day++) {
		size_t i;

		for (i = 0; i < w.n_tr; i++)
			if (w.tr[i].step == -1 && !strcmp(w.tr[i].to, "running") && w.tr[i].day == day)
				break;
		ck_assert_uint_lt(i, w.n_tr);
		ck_assert_int_eq(w.tr[i].time, day * D + 22 * H);
		ck_assert_uint_eq(count_tr(&w, -1, "succeeded", day), 1);
		for (int s = 0; s < WORKFLOW_STEP_COUNT; s++)
			ck_assert_uint_eq(count_tr(&w, s, "succeeded", day), 1);
	}
	ck_assert_uint_eq(batchjob_alarms(w.bj), 0);
	/* one or more partitions per arrival hour, named by that hour */
	for (size_t i = 0; i < batchjob_partitions(w.bj); i++) {
		const char *p = lake_partition_path(batchjob_lake(w.bj), i);
		int y, mo, d, h;

		ck_assert_int_eq(sscanf(p, "day=%d-%d-%d/hour=%d/", &y, &mo, &d, &h), 4);
		ck_assert(y == 2022 && mo == 5 && d >= 2 && d <= 4 && h >= 0 && h < 24);
		hours[(d - 2) * 24 + h] = true;
	}
	for (int h = 0; h < 71; h++)  /* the last hour is still buffered */
		ck_assert_msg(hours[h], "no partition for hour %d", h);
	world_stop(&w);
	tmp_teardown();
}
END_TEST

START_TEST(failed_day_keeps_previous_features_and_alarms)
{
	struct batchjob_config cfg;
	struct world w;
	struct batch *b;
	simtime end0, end2;
	size_t i;

	tmp_setup();
	test_config(&cfg);
	cfg.workflow.fail_day_from = cfg.workflow.fail_day_to = 1;
	cfg.workflow.fail_step = WORKFLOW_COMPUTE;
	cfg.workflow.retry[WORKFLOW_COMPUTE].max_attempts = 2;
	world_start(&w, &cfg, 3 * D);
	end0 = batchjob_window_end(w.bj, 22 * H);
	end2 = batchjob_window_end(w.bj, 2 * D + 22 * H);

	calendar_run_until(w.cal, D + 23 * H);
	ck_assert_uint_eq(batchjob_successes(w.bj), 1);
	ck_assert_uint_eq(batchjob_alarms(w.bj), 1);
	/* day 1 served day 0's features: a day staler */
	ck_assert_int_eq(batchjob_data_end(w.bj), end0);
	b = direct(&cfg, &w, end0);
	assert_served_equals(&w, b, D + 23 * H);
	batch_free(b);
	/* 3 attempts of compute, 2 retry waits, then the catch with an alarm */
	ck_assert_uint_eq(count_tr(&w, WORKFLOW_COMPUTE, "failed", 1), 3);
	ck_assert_uint_eq(count_tr(&w, WORKFLOW_COMPUTE, "retry_wait", 1), 2);
	ck_assert_uint_eq(count_tr(&w, WORKFLOW_PERSIST, "running", 1), 0);
	ck_assert_uint_eq(count_tr(&w, -1, "caught", 1), 1);
	for (i = 0; i < w.n_tr; i++)
		if (w.tr[i].step == -1 && !strcmp(w.tr[i].to, "caught"))
			break;
	ck_assert(w.tr[i].alarm);
	ck_assert_str_eq(w.tr[i].error_kind, "injected");

	/* nothing of day 1 reached the feature store */
	{
		struct featurestore *fs = batchjob_featurestore(w.bj);
		int64_t count, users = (int64_t)batch_table(b = direct(&cfg, &w, end0), BATCH_USER)->n;
		struct error err;

		ck_assert_int_eq(featurestore_count(fs, 0, false, &count, &err), 0);
		ck_assert_int_eq(count, users);
		batch_free(b);
	}

	/* day 2 recovers */
	calendar_run_until(w.cal, 2 * D + 23 * H);
	ck_assert_uint_eq(batchjob_successes(w.bj), 2);
	ck_assert_uint_eq(batchjob_alarms(w.bj), 1);
	ck_assert_int_eq(batchjob_data_end(w.bj), end2);
	b = direct(&cfg, &w, end2);
	assert_served_equals(&w, b, 2 * D + 23 * H);
	batch_free(b);
	world_stop(&w);
	tmp_teardown();
}
END_TEST

static int count_block(void *ctx, const struct event *evs, size_t n, struct error *err)
{
	(void)evs;
	(void)err;
	*(uint64_t *)ctx += n;
	return 0;
}

START_TEST(drain_loses_nothing)
{
	struct batchjob_config cfg;
	struct world w;
	struct error err;
	uint64_t scanned = 0;

	tmp_setup();
	test_config(&cfg);
	cfg.firehose.max_bytes = 5 * 1024 * 1024;  /* only interval flushes */
	world_start(&w, &cfg, 3 * D);
	/* stop mid-buffer: the last events are buffered or in flight */
	calendar_run_until(w.cal, 2 * D + 13 * H + 2 * SIMTIME_MIN);
	ck_assert_uint_lt(batchjob_lake_events(w.bj), batchjob_accepted(w.bj));
	ck_assert_int_eq(batchjob_drain(w.bj, &err), 0);
	ck_assert_uint_eq(batchjob_lake_events(w.bj), batchjob_accepted(w.bj));
	ck_assert_uint_eq(batchjob_accepted(w.bj), w.next);
	ck_assert_int_eq(lake_scan(batchjob_lake(w.bj), INT64_MIN, INT64_MAX, count_block, &scanned,
				   NULL, &err), 0);
	ck_assert_uint_eq(scanned, w.next);
	world_stop(&w);
	tmp_teardown();
}
END_TEST

START_TEST(bus_delivery_keeps_arrival_order)
{
	struct batchjob_config cfg;
	struct world w;
	struct error err;
	struct event e;

	tmp_setup();
	test_config(&cfg);
	world_start(&w, &cfg, H);
	memset(&e, 0, sizeof(e));
	e.user = 1;
	e.type = EVENT_APP_OPEN;
	calendar_run_until(w.cal, 10 * SIMTIME_MIN);
	/* a long latency, then a short one: the second joins the first's arrival */
	ck_assert_int_eq(batchjob_deliver(w.bj, &e, 10 * SIMTIME_MIN, 50 * SIMTIME_S), 0);
	ck_assert_int_eq(batchjob_deliver(w.bj, &e, 10 * SIMTIME_MIN, 1 * SIMTIME_S), 0);
	calendar_run_until(w.cal, 2 * H);
	ck_assert_int_eq(batchjob_drain(w.bj, &err), 0);
	ck_assert_uint_eq(batchjob_lake_events(w.bj), batchjob_accepted(w.bj));
	world_stop(&w);
	tmp_teardown();
}
END_TEST

START_TEST(config_load_reads_batch_keys)
{
	static const char text[] = "[run]\nstart_date = 2023-01-10\nseed = 9\n"
				   "[batch]\nwindow = 30d\nfeature_ttl = 2d\nfirehose_size = 1MiB\n"
				   "firehose_interval = 60s\nfirehose_delay = 10s\nrun_at = 21:30\n"
				   "retry_max_attempts = 5\nfail_days = 2..3\nfail_step = persist\n";
	struct config all;
	const struct batchjob_config *c = &all.batch;
	struct error err;
	struct scenario *sc = scenario_parse(&config_schema, text, "t.ini", NULL, 0, &err);

	ck_assert_msg(sc, "%s", err.msg);
	ck_assert_int_eq(config_load(&all, sc, &err), 0);
	ck_assert_int_eq(c->batch.window, 30 * D);
	ck_assert_int_eq(c->batch.feature_ttl, 2 * D);
	ck_assert_int_eq(c->firehose.max_bytes, 1024 * 1024);
	ck_assert_int_eq(c->firehose.interval, 60 * SIMTIME_S);
	ck_assert_int_eq(c->firehose.delay, 10 * SIMTIME_S);
	ck_assert_int_eq(c->workflow.run_at, 21 * H + 30 * SIMTIME_MIN);
	ck_assert_int_eq(c->workflow.retry[WORKFLOW_PERSIST].max_attempts, 5);
	ck_assert_int_eq(c->workflow.fail_day_from, 2);
	ck_assert_int_eq(c->workflow.fail_day_to, 3);
	ck_assert_int_eq(c->workflow.fail_step, WORKFLOW_PERSIST);
	ck_assert_uint_eq(c->workflow.seed, 9);
	ck_assert_int_eq(c->epoch_day, 19367);
	scenario_free(sc);

	sc = scenario_parse(&config_schema, "[batch]\nwindow = 36h\n", "bad.ini", NULL, 0, &err);
	ck_assert_msg(sc, "%s", err.msg);
	ck_assert_int_eq(config_load(&all, sc, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "bad.ini"));
	ck_assert_ptr_nonnull(strstr(err.msg, "window"));
	scenario_free(sc);
}
END_TEST

/* [batch] window that is not whole days names file, line and key. */
START_TEST(bad_window_names_file_line_and_key)
{
	struct config cfg;
	struct scenfile f;
	struct error err;

	scenfile_load(&f, "[run]\nseed = 3\n[batch]\nwindow = 36h\n", NULL, 0);
	ck_assert_int_eq(config_load(&cfg, f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 4, "bad value '36h' for [batch] window: expected whole days");
	scenfile_release(&f);
}
END_TEST

START_TEST(bad_config_is_refused_cleanly)
{
	struct batchjob_config cfg;
	struct calendar *cal = calendar_new(0, 8);
	struct error err;

	tmp_setup();
	test_config(&cfg);
	cfg.firehose.interval = 0;
	ck_assert_ptr_null(batchjob_new(&cfg, tmpdir, cal, NULL, NULL, NULL, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "firehose"));
	ck_assert_uint_eq(calendar_pending(cal), 0);
	/* an unwritable run directory names the path */
	test_config(&cfg);
	ck_assert_ptr_null(batchjob_new(&cfg, "/proc/airtime-nope", cal, NULL, NULL, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "/proc/airtime-nope"));
	ck_assert_uint_eq(calendar_pending(cal), 0);
	calendar_free(cal);
	tmp_teardown();
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, window_end_is_last_complete_hour);
	tcase_add_test(tc, three_days_partitions_runs_and_features);
	tcase_add_test(tc, failed_day_keeps_previous_features_and_alarms);
	tcase_add_test(tc, drain_loses_nothing);
	tcase_add_test(tc, bus_delivery_keeps_arrival_order);
	tcase_add_test(tc, config_load_reads_batch_keys);
	tcase_add_test(tc, bad_config_is_refused_cleanly);
	tcase_add_test(tc, bad_window_names_file_line_and_key);
}

CHECK_MAIN("batchjob", add_tests, 60)
