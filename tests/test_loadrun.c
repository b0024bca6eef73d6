/* serve/loadrun end to end on a tiny run: the scenario's traffic shape with
 * its sessions' users, an HTTP target (airtime's own server, started here
 * on an ephemeral loopback port, with a moving clock), the [slo] rows and
 * every output (results.db, CSV, JSON, report).  No assertion on speed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/xalloc.h"
#include "config/config.h"
#include "serve/loadrun.h"
#include "serve/loadtest.h"
#include "serve/servedir.h"
#include "serve/server.h"
#include "render/plot.h"
#include "tests/check_main.h"
#include "tests/tinyrun.h"
#include "tests/tmpdir.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The natural scenario shape: one request per session of the window, at
 * its compressed time, for its user. */
START_TEST(the_scenario_shape_replays_its_sessions_users)
{
	struct error err = { 0 };
	struct servedir *d = servedir_open(tinyrun_dir, NULL, &err);
	struct loadrun_options o;
	struct loadrun_summary sum;
	simtime *t, from;
	uint32_t *u;
	size_t n;

	ck_assert_msg(d != NULL, "%s", err.msg);
	from = servedir_experiment_start(d);
	/* 0.5 s at 86400x: 12 simulated hours. */
	ck_assert_int_eq(servedir_sessions(d, from, from + 12 * SIMTIME_HOUR, &t, &u, &n, &err), 0);
	ck_assert_uint_gt(n, 10);
	for (size_t i = 1; i < n; i++)
		ck_assert_int_ge(t[i], t[i - 1]);
	loadrun_options_defaults(&o);
	o.shape = LOADRUN_SCENARIO;
	o.compress = 86400;
	o.duration_s = 0.5;
	o.scorer = RANK_HEURISTIC;
	o.store = false;
	ck_assert_msg(loadrun_execute(d, &o, &sum, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(sum.requests, n);
	ck_assert_uint_eq(sum.completed, n);
	loadrun_summary_release(&sum);
	free(t);
	free(u);
	servedir_free(d);
}
END_TEST

/* The HTTP target: airtime serve over the same run, moving its clock;
 * the scenario's shape with its users; every output written. */
START_TEST(an_http_target_is_load_tested_and_reported)
{
	struct error err = { 0 };
	struct servedir *d = servedir_open(tinyrun_dir, NULL, &err);
	struct servedir_options so = { .at_set = true };
	struct servedir *sd;
	struct server_options srv;
	struct server *s;
	struct loadrun_options o;
	struct loadrun_summary sum;
	char url[256], *json, *html;
	struct stat sb;
	simtime t0;

	ck_assert_msg(d != NULL, "%s", err.msg);
	so.at = servedir_experiment_start(d);
	sd = servedir_open(tinyrun_dir, &so, &err);
	ck_assert_msg(sd != NULL, "%s", err.msg);
	server_options_defaults(&srv);
	srv.port = 0;
	srv.clock = SERVER_CLOCK_WALL;
	srv.speed = 86400;
	srv.tick_ms = 10;
	s = server_start(sd, &srv, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	t0 = server_serving_time(s);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/recommendations?user={user}&k={k}",
		 (unsigned)server_port(s));
	loadrun_options_defaults(&o);
	o.target = url;
	o.check = HTTPLOAD_CHECK_PAGE;
	o.shape = LOADRUN_SCENARIO;
	o.compress = 86400;
	o.duration_s = 0.4;
	o.connections = 2;
	ck_assert_msg(loadrun_execute(d, &o, &sum, &err) == 0, "%s", err.msg);
	ck_assert_msg(sum.http && sum.requests > 0 && sum.completed == sum.requests,
		      "%llu of %zu answered well: %s", (unsigned long long)sum.completed,
		      sum.requests, sum.first_error);
	ck_assert_uint_le(sum.opened, 2);
	ck_assert_int_gt(sum.run_id, 0);
	/* The server's clock moved while it answered. */
	ck_assert_int_gt(server_serving_time(s), t0);
	/* SLO rows from [slo]: p50, p95, p99, p99.9 and the good answers. */
	ck_assert_uint_eq(sum.slo.n, 5);
	ck_assert_str_eq(sum.slo.rows[4].name, "target requests answered well (2xx, body ok)");
	json = slurp(sum.json);
	ck_assert_ptr_nonnull(strstr(json, "\"mode\": \"http\""));
	ck_assert_ptr_nonnull(strstr(json, "\"shape\": \"scenario\""));
	ck_assert_ptr_nonnull(strstr(json, "\"intervals\": ["));
	ck_assert_ptr_nonnull(strstr(json, "\"p99.99_ms\""));
	ck_assert_ptr_nonnull(strstr(json, "\"bad_body\": 0"));
	ck_assert_int_eq(stat(sum.csv, &sb), 0);
	ck_assert_int_eq(stat(sum.report, &sb), 0);
	html = slurp(sum.report);
	ck_assert_ptr_nonnull(strstr(html, "HTTP target GET http://127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(html, "bad body"));
	free(json);
	free(html);
	loadrun_summary_release(&sum);
	server_stop(s);
	servedir_free(sd);
	servedir_free(d);
}
END_TEST

/* [slo] targets given to the load test decide its verdicts. */
START_TEST(slo_targets_come_from_the_scenario_or_the_caller)
{
	struct error err = { 0 };
	struct servedir *d = servedir_open(tinyrun_dir, NULL, &err);
	struct config_slo slo;
	struct loadrun_options o;
	struct loadrun_summary sum;

	ck_assert_msg(d != NULL, "%s", err.msg);
	loadrun_options_defaults(&o);
	o.rate = 200;
	o.duration_s = 0.2;
	o.threads = 1;
	o.scorer = RANK_HEURISTIC;
	o.store = false;
	ck_assert_msg(loadrun_execute(d, &o, &sum, &err) == 0, "%s", err.msg);
	/* Defaults: issue target (not at its conditions: not judged), p50 ..
	 * p99.9 at 200 ms, answered. */
	ck_assert_uint_eq(sum.slo.n, 6);
	ck_assert_int_eq(sum.slo.rows[0].verdict, SLO_NO_DATA);
	ck_assert_ptr_nonnull(strstr(sum.slo.rows[0].note, "NOT at target load"));
	ck_assert_uint_eq(sum.slo_failed.n, 0);
	loadrun_summary_release(&sum);
	slo = servedir_config(d)->slo;
	slo.latency_p50 = 1;        /* 1 us: fails */
	slo.latency_p95 = 0;        /* not checked */
	slo.serving_p99 = 0;
	o.slo = &slo;
	ck_assert_msg(loadrun_execute(d, &o, &sum, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(sum.slo.n, 4);
	ck_assert_uint_eq(sum.slo_failed.n, 1);
	ck_assert_str_eq(sum.slo_failed.rows[0].name, "load test latency p50 (production SLO)");
	loadrun_summary_release(&sum);
	servedir_free(d);
}
END_TEST

static void setup(void)
{
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	tinyrun_setup();
}

static void teardown(void)
{
	tinyrun_teardown();
	plot_set_program(NULL);
}

static void add_tests(TCase *tc)
{
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, the_scenario_shape_replays_its_sessions_users);
	tcase_add_test(tc, an_http_target_is_load_tested_and_reported);
	tcase_add_test(tc, slo_targets_come_from_the_scenario_or_the_caller);
}

CHECK_MAIN("loadrun", add_tests, 120)
