/* Tests for engine/workflow.c: step order and durations, retry delays of
 * interval x backoff^n, the catch keeping yesterday's features, injected
 * failures, config errors. */
#include "engine/workflow.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tests/scenfile.h"
#include "tests/check_main.h"
#include "tests/defaults.h"

struct rec {
	struct workflow_transition tr[256];
	size_t n;
	int persisted_day;           /* last day whose persist finished */
	simtime persisted_data_end;
	int begins[WORKFLOW_STEP_COUNT];
};

static int begin_fn(void *ctx, enum workflow_step step, int day, simtime data_end,
		    simtime now, struct workflow_work *work, struct error *err)
{
	struct rec *r = ctx;

	(void)day, (void)data_end, (void)now, (void)err;
	r->begins[step]++;
	work->events = 10000000;  /* 10 M events, 1 M rows */
	work->rows = 1000000;
	return 0;
}

static int finish_fn(void *ctx, enum workflow_step step, int day, simtime data_end,
		     simtime now, struct error *err)
{
	struct rec *r = ctx;

	(void)now, (void)err;
	if (step == WORKFLOW_PERSIST) {
		r->persisted_day = day;
		r->persisted_data_end = data_end;
	}
	return 0;
}

static void trans_fn(void *ctx, const struct workflow_transition *tr)
{
	struct rec *r = ctx;

	ck_assert_uint_lt(r->n, 256);
	r->tr[r->n++] = *tr;
}

static const struct workflow_ops ops = { begin_fn, finish_fn, trans_fn };

static struct workflow *make(struct workflow_config *cfg, struct rec *r)
{
	struct error err;
	struct workflow *wf;

	memset(r, 0, sizeof(*r));
	r->persisted_day = -1;
	wf = workflow_new(cfg, &ops, r, &err);
	ck_assert_msg(wf, "%s", err.msg);
	return wf;
}

static void run_until(struct workflow *wf, simtime until)
{
	while (workflow_next_time(wf) <= until)
		workflow_advance(wf, workflow_next_time(wf));
}

START_TEST(run_succeeds_with_cost_model_durations)
{
	struct workflow_config cfg;
	struct rec r;
	struct workflow *wf;
	/* collect 60 + 10e6/5e6 = 62 s, compute 60 + 5 = 65 s, persist 60 + 10 = 70 s */
	simtime t0 = 22 * SIMTIME_HOUR, end = t0 + 197 * SIMTIME_S;

	cfg = test_defaults()->batch.workflow;
	wf = make(&cfg, &r);
	ck_assert_int_eq(workflow_next_time(wf), t0);
	run_until(wf, SIMTIME_DAY);
	ck_assert_uint_eq(workflow_successes(wf), 1);
	ck_assert_int_eq(r.persisted_day, 0);
	ck_assert_int_eq(workflow_last_success_data_end(wf), t0);
	/* run idle->running, 3 x (pending->running, running->succeeded), run succeeded */
	ck_assert_uint_eq(r.n, 8);
	ck_assert_str_eq(r.tr[0].to, "running");
	ck_assert_int_eq(r.tr[0].step, -1);
	ck_assert_int_eq(r.tr[2].time, t0 + 62 * SIMTIME_S);
	ck_assert_int_eq(r.tr[4].time, t0 + 127 * SIMTIME_S);
	ck_assert_int_eq(r.tr[7].time, end);
	ck_assert_str_eq(r.tr[7].to, "succeeded");
	ck_assert_int_eq(workflow_next_time(wf), SIMTIME_DAY + t0);
	workflow_free(wf);
}
END_TEST

START_TEST(retry_delays_follow_interval_times_backoff_power)
{
	struct workflow_config cfg;
	struct rec r;
	struct workflow *wf;
	simtime expect[3] = { 30 * SIMTIME_S, 75 * SIMTIME_S, 187500 * SIMTIME_MS };
	size_t k = 0;

	cfg = test_defaults()->batch.workflow;
	for (int s = 0; s < WORKFLOW_STEP_COUNT; s++)
		cfg.retry[s].backoff = 2.5;
	cfg.fail_day_from = cfg.fail_day_to = 0;
	cfg.fail_step = WORKFLOW_COMPUTE;
	wf = make(&cfg, &r);
	run_until(wf, SIMTIME_DAY);
	for (size_t i = 0; i < r.n; i++)
		if (!strcmp(r.tr[i].to, "retry_wait")) {
			ck_assert_uint_lt(k, 3);
			ck_assert_int_eq(r.tr[i].delay, expect[k]);
			ck_assert_str_eq(r.tr[i].error_kind, "injected");
			/* the next transition (retry starts) is exactly delay later */
			ck_assert_int_eq(r.tr[i + 1].time - r.tr[i].time, expect[k]);
			ck_assert_int_eq(r.tr[i + 1].attempt, (int)k + 2);
			k++;
		}
	ck_assert_uint_eq(k, 3);
	ck_assert_int_eq(r.begins[WORKFLOW_COMPUTE], 4);   /* 1 + 3 retries */
	ck_assert_int_eq(workflow_retry_delay(wf, WORKFLOW_COMPUTE, 0, 3), 468750 * SIMTIME_MS);
	workflow_free(wf);
}
END_TEST

START_TEST(catch_keeps_yesterdays_features_and_alarms)
{
	struct workflow_config cfg;
	struct rec r;
	struct workflow *wf;
	bool caught = false;

	cfg = test_defaults()->batch.workflow;
	cfg.fail_day_from = cfg.fail_day_to = 1;
	cfg.fail_step = WORKFLOW_PERSIST;
	wf = make(&cfg, &r);
	run_until(wf, SIMTIME_DAY);               /* day 0 succeeds */
	ck_assert_int_eq(r.persisted_day, 0);
	run_until(wf, 2 * SIMTIME_DAY);           /* day 1 persist always fails */
	ck_assert_int_eq(r.persisted_day, 0);     /* yesterday's version stays */
	ck_assert_int_eq(r.persisted_data_end, 22 * SIMTIME_HOUR);
	ck_assert_uint_eq(workflow_alarms(wf), 1);
	ck_assert_int_eq(workflow_last_success_data_end(wf), 22 * SIMTIME_HOUR);
	for (size_t i = 0; i < r.n; i++)
		if (r.tr[i].step == -1 && !strcmp(r.tr[i].to, "caught")) {
			caught = true;
			ck_assert(r.tr[i].alarm);
			ck_assert_int_eq(r.tr[i].day, 1);
		}
	ck_assert(caught);
	run_until(wf, 3 * SIMTIME_DAY);           /* day 2 recovers */
	ck_assert_int_eq(r.persisted_day, 2);
	ck_assert_uint_eq(workflow_successes(wf), 2);
	workflow_free(wf);
}
END_TEST

START_TEST(non_retryable_error_goes_straight_to_catch)
{
	struct workflow_config cfg;
	struct rec r;
	struct workflow *wf;

	cfg = test_defaults()->batch.workflow;
	for (int s = 0; s < WORKFLOW_STEP_COUNT; s++)
		cfg.retry[s].errors = WORKFLOW_ERR_IO;   /* injected failures not retried */
	cfg.fail_day_from = 0;
	cfg.fail_day_to = 0;
	cfg.fail_step = WORKFLOW_COLLECT;
	wf = make(&cfg, &r);
	run_until(wf, SIMTIME_DAY);
	ck_assert_int_eq(r.begins[WORKFLOW_COLLECT], 1);
	ck_assert_int_eq(r.begins[WORKFLOW_COMPUTE], 0);
	ck_assert_uint_eq(workflow_alarms(wf), 1);
	workflow_free(wf);
}
END_TEST

/* With failure probability p per attempt and 3 retries, a step is caught
 * with probability p^4; over 200 days x 3 steps with p = 0.5 the expected
 * number of caught runs is 200 * (1 - (15/16)^3) = 35.2, sd = 5.4 (binomial);
 * bounds of about 6 sd: [4, 68]. */
START_TEST(probabilistic_failures_hit_expected_rate)
{
	struct workflow_config cfg;
	struct rec *r = calloc(1, sizeof(*r));
	struct workflow *wf;
	struct error err;

	cfg = test_defaults()->batch.workflow;
	for (int s = 0; s < WORKFLOW_STEP_COUNT; s++)
		cfg.fail_prob[s] = 0.5;
	cfg.seed = 7;
	wf = workflow_new(&cfg, &(struct workflow_ops){ begin_fn, finish_fn, NULL }, r, &err);
	run_until(wf, 200 * SIMTIME_DAY);
	ck_assert_uint_eq(workflow_alarms(wf) + workflow_successes(wf), 200);
	ck_assert_uint_ge(workflow_alarms(wf), 4);
	ck_assert_uint_le(workflow_alarms(wf), 68);
	workflow_free(wf);
	free(r);
}
END_TEST

START_TEST(jitter_shrinks_delay_within_bounds)
{
	struct workflow_config cfg;
	struct rec r;
	struct workflow *wf;

	cfg = test_defaults()->batch.workflow;
	for (int s = 0; s < WORKFLOW_STEP_COUNT; s++)
		cfg.retry[s].jitter = 0.5;
	wf = make(&cfg, &r);
	for (int d = 0; d < 50; d++) {
		simtime x = workflow_retry_delay(wf, WORKFLOW_COLLECT, d, 1);

		ck_assert_int_le(x, 60 * SIMTIME_S);
		ck_assert_int_gt(x, 30 * SIMTIME_S);
		ck_assert_int_eq(x, workflow_retry_delay(wf, WORKFLOW_COLLECT, d, 1));
	}
	workflow_free(wf);
}
END_TEST

START_TEST(config_load_reads_batch_keys)
{
	static const char text[] = "[batch]\nretry_interval = 10s\nretry_backoff = 3\n"
				   "fail_days = 2..4\nfail_step = persist\nrun_at = 21:30\n";
	static const char bad[] = "[batch]\nfail_days = 4..2\n";
	struct error err;
	struct scenario *sc = scenario_parse(&config_schema, text, "t.ini", NULL, 0, &err);
	struct config all;
	const struct workflow_config *c = &all.batch.workflow;

	ck_assert_msg(sc, "%s", err.msg);
	ck_assert_int_eq(config_load(&all, sc, &err), 0);
	ck_assert_int_eq(c->retry[0].interval, 10 * SIMTIME_S);
	ck_assert(c->retry[2].backoff == 3.0);
	ck_assert_int_eq(c->fail_day_from, 2);
	ck_assert_int_eq(c->fail_day_to, 4);
	ck_assert_int_eq(c->fail_step, WORKFLOW_PERSIST);
	ck_assert_int_eq(c->run_at, 21 * SIMTIME_HOUR + 30 * SIMTIME_MIN);
	scenario_free(sc);
	sc = scenario_parse(&config_schema, bad, "b.ini", NULL, 0, &err);
	ck_assert_int_eq(config_load(&all, sc, &err), ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "b.ini") && strstr(err.msg, "fail_days"), "%s", err.msg);
	scenario_free(sc);
}
END_TEST

/* A bad retry_errors or fail_days names the file, the line and the key,
 * or the --set argument that gave it. */
START_TEST(load_errors_name_file_line_and_key)
{
	static const char *const set_bad[] = { "batch.fail_days=x" };
	struct config cfg;
	struct scenfile f;
	struct error err;

	scenfile_load(&f, "[batch]\nrun_at = 21:00\nfail_days = 4..2\n", NULL, 0);
	ck_assert_int_eq(config_load(&cfg, f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 3, "bad value '4..2' for [batch] fail_days: expected N or N..M");
	scenfile_release(&f);

	scenfile_load(&f, "[batch]\n\nretry_errors = io,disk\n", NULL, 0);
	ck_assert_int_eq(config_load(&cfg, f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 3, "bad value 'io,disk' for [batch] retry_errors");
	scenfile_release(&f);

	scenfile_load(&f, "[batch]\nfail_days = 1\n", set_bad, 1);
	ck_assert_int_eq(config_load(&cfg, f.sc, &err), ERR_INPUT);
	ck_assert_str_eq(err.msg, "--set batch.fail_days=x: bad value 'x' for [batch] fail_days: "
				  "expected N or N..M with 0 <= N <= M <= 100000, or empty");
	scenfile_release(&f);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, run_succeeds_with_cost_model_durations);
	tcase_add_test(tc, retry_delays_follow_interval_times_backoff_power);
	tcase_add_test(tc, catch_keeps_yesterdays_features_and_alarms);
	tcase_add_test(tc, non_retryable_error_goes_straight_to_catch);
	tcase_add_test(tc, probabilistic_failures_hit_expected_rate);
	tcase_add_test(tc, jitter_shrinks_delay_within_bounds);
	tcase_add_test(tc, config_load_reads_batch_keys);
	tcase_add_test(tc, load_errors_name_file_line_and_key);
}

CHECK_MAIN("workflow", add_tests, 30)
