/* serve/httpload: the open-loop HTTP generator against a small
 * libmicrohttpd server of the test's own on an ephemeral loopback port
 * (answers from memory: a page, not JSON, 404, 500, a slow page, an echo
 * of what it was sent).  Time is never asserted as an upper bound: only
 * what the server's own sleeps make certain. */
#include <check.h>
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/xalloc.h"
#include "serve/httpload.h"
#include "serve/loadtest.h"
#include "tests/check_main.h"

static struct MHD_Daemon *daemon_;
static uint16_t port;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char last_query[256], last_header[256], last_method[16], last_body[256];

struct req {
	char body[256];
	size_t len;
};

static const char page[] = "{\"user\":1,\"shows\":[{\"show\":7,\"score\":0.5}]}";

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok = MHD_queue_response(c, code, r);

	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *data,
			       size_t *size, void **con_cls)
{
	struct req *q = *con_cls;

	(void)cls;
	(void)version;
	if (!q) {
		*con_cls = xcalloc(1, sizeof(struct req));
		return MHD_YES;
	}
	if (*size) {
		size_t k = *size < sizeof(q->body) - 1 - q->len ? *size : sizeof(q->body) - 1 - q->len;

		memcpy(q->body + q->len, data, k);
		q->len += k;
		*size = 0;
		return MHD_YES;
	}
	if (!strcmp(url, "/page"))
		return answer(c, 200, page);
	if (!strcmp(url, "/empty"))
		return answer(c, 200, "{\"shows\":[]}");
	if (!strcmp(url, "/notjson"))
		return answer(c, 200, "hello");
	if (!strcmp(url, "/500"))
		return answer(c, 500, "{\"error\":\"boom\"}");
	if (!strcmp(url, "/slow")) {
		const char *ms = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ms");
		struct timespec ts = { 0, (ms ? atol(ms) : 50) * 1000000L };

		nanosleep(&ts, NULL);
		return answer(c, 200, page);
	}
	if (!strcmp(url, "/echo")) {
		const char *u = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "u");
		const char *k = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "k");
		const char *i = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "i");
		const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Test");

		pthread_mutex_lock(&mu);
		snprintf(last_query, sizeof(last_query), "u=%s k=%s i=%s", u ? u : "-",
			 k ? k : "-", i ? i : "-");
		snprintf(last_header, sizeof(last_header), "%s", h ? h : "-");
		snprintf(last_method, sizeof(last_method), "%s", method);
		snprintf(last_body, sizeof(last_body), "%.*s", (int)q->len, q->body);
		pthread_mutex_unlock(&mu);
		return answer(c, 200, page);
	}
	return answer(c, 404, "{\"error\":\"no such page\"}");
}

static void done(void *cls, struct MHD_Connection *c, void **con_cls,
		 enum MHD_RequestTerminationCode why)
{
	(void)cls;
	(void)c;
	(void)why;
	free(*con_cls);
	*con_cls = NULL;
}

/* A daemon on an ephemeral loopback port, in the calling process. */
static struct MHD_Daemon *start_daemon(uint16_t *p)
{
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
				   0, NULL, NULL, handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, done,
				   NULL, MHD_OPTION_SOCK_ADDR,
				   &(struct sockaddr_in){ .sin_family = AF_INET,
							  .sin_addr = { htonl(INADDR_LOOPBACK) } },
				   MHD_OPTION_END);
	ck_assert_ptr_nonnull(d);
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_ptr_nonnull(info);
	*p = info->port;
	return d;
}

/* Each test's own server (a checked fixture: it runs, and is stopped, in
 * the test's process). */
static void server_up(void)
{
	daemon_ = start_daemon(&port);
}

static void server_down(void)
{
	MHD_stop_daemon(daemon_);
	daemon_ = NULL;
}

static void config(struct httpload_config *c, const char *path)
{
	static char url[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", (unsigned)port, path);
	memset(c, 0, sizeof(*c));
	c->url = url;
	c->check = HTTPLOAD_CHECK_PAGE;
	c->page_key = "shows";
	c->connections = 4;
	c->timeout_ns = INT64_C(5) * 1000000000;
	c->late_after_ns = 1000000;
}

static void run(const struct httpload_config *c, double rate, double seconds,
		struct httpload_report *rep)
{
	struct loadtest_schedule s;
	struct httpload_vars v = { .k = 20, .time = NULL, .now = 12345 };
	struct error e;

	ck_assert_int_eq(loadtest_schedule_constant(&s, rate, (int64_t)(seconds * 1e9), 100, 1, &e),
			 0);
	ck_assert_msg(httpload_run(c, &s, &v, rep, &e) == 0, "%s", e.msg);
	loadtest_schedule_release(&s);
}

START_TEST(templates_refuse_unknown_placeholders)
{
	struct error e;

	ck_assert_int_eq(httpload_template_check("/x?u={user}&k={k}&i={i}&t={time}", "--target",
						 &e), 0);
	ck_assert_int_eq(httpload_template_check("{{\"literal\": {user}}", "--body", &e), 0);
	ck_assert_int_eq(httpload_template_check("/x?u={usr}", "--target", &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "--target '/x?u={usr}': unknown placeholder '{usr}' (known: "
				"{user}, {k}, {i}, {time})");
	ck_assert_int_eq(httpload_template_check("/x?u={user", "--target", &e), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "unclosed '{'"));
}
END_TEST

START_TEST(only_loopback_without_allow_remote)
{
	char pin[600];
	struct error e;

	ck_assert_int_eq(httpload_check_target("http://127.0.0.1:8080/v1?u={user}", false, pin,
					       sizeof(pin), &e), 0);
	ck_assert_str_eq(pin, "");
	ck_assert_int_eq(httpload_check_target("http://127.9.9.9/", false, pin, sizeof(pin), &e),
			 0);
	ck_assert_int_eq(httpload_check_target("http://[::1]:81/", false, pin, sizeof(pin), &e),
			 0);
	ck_assert_int_eq(httpload_check_target("http://localhost:8080/", false, pin, sizeof(pin),
					       &e), 0);
	ck_assert_msg(!strncmp(pin, "localhost:8080:", 15), "%s", pin);   /* pinned */
	ck_assert_int_eq(httpload_check_target("http://10.1.2.3:8080/", false, pin, sizeof(pin),
					       &e), ERR_INPUT);
	ck_assert_msg(strstr(e.msg, "'10.1.2.3' resolves to 10.1.2.3, outside loopback") &&
			      strstr(e.msg, "--allow-remote"), "%s", e.msg);
	ck_assert_int_eq(httpload_check_target("https://192.0.2.1/", false, pin, sizeof(pin), &e),
			 ERR_INPUT);
	/* Allowed (nothing is sent by the check). */
	ck_assert_int_eq(httpload_check_target("http://10.1.2.3:8080/", true, pin, sizeof(pin), &e),
			 0);
	ck_assert_int_eq(httpload_check_target("ftp://127.0.0.1/", false, pin, sizeof(pin), &e),
			 ERR_INPUT);
	ck_assert_int_eq(httpload_check_target("http://{user}.example/", true, pin, sizeof(pin),
					       &e), ERR_INPUT);
	ck_assert_int_eq(httpload_check_target("http://127.0.0.1:99999/", false, pin, sizeof(pin),
					       &e), ERR_INPUT);
}
END_TEST

START_TEST(body_checks)
{
	ck_assert(httpload_body_ok(page, strlen(page), "shows"));
	ck_assert(httpload_body_ok(page, strlen(page), NULL));
	ck_assert(!httpload_body_ok("{\"shows\":[]}", 12, "shows"));
	ck_assert(httpload_body_ok("{\"shows\":[]}", 12, NULL));
	ck_assert(!httpload_body_ok("{\"pages\":[1]}", 13, "shows"));
	ck_assert(!httpload_body_ok("{\"shows\":3}", 11, "shows"));
	ck_assert(!httpload_body_ok("hello", 5, NULL));
	ck_assert(!httpload_body_ok("{\"a\":1", 6, NULL));
	ck_assert(!httpload_body_ok("{\"a\":1} x", 9, NULL));
	ck_assert(httpload_body_ok(" [1, 2.5e3, -0.1, true, null, \"a\\u00e9\\n\"] ", 43, NULL));
	ck_assert(!httpload_body_ok("[01]", 4, NULL));
}
END_TEST

START_TEST(good_pages_over_kept_alive_connections)
{
	struct httpload_config c;
	struct httpload_report r;

	config(&c, "/page");
	run(&c, 200, 0.5, &r);
	ck_assert_uint_eq(r.base.n, 100);
	ck_assert_uint_eq(r.by_kind[HTTPLOAD_OK], 100);
	ck_assert_uint_eq(r.base.completed, 100);
	ck_assert_uint_eq(r.base.errors, 0);
	/* Keep-alive: at most one connection per handle of the pool. */
	ck_assert_uint_le(r.opened, c.connections);
	ck_assert_uint_ge(r.opened, 1);
	ck_assert_uint_eq(hist_count(&r.base.latency), 100);
	for (size_t i = 0; i < r.base.n; i++) {
		ck_assert_int_eq(r.http_status[i], 200);
		ck_assert_int_ge(r.base.end[i], r.base.start[i]);
	}
	httpload_report_release(&r);
}
END_TEST

START_TEST(errors_are_split_by_kind)
{
	static const struct {
		const char *path;
		enum httpload_check check;
		enum httpload_kind kind;
	} cases[] = {
		{ "/nosuch", HTTPLOAD_CHECK_PAGE, HTTPLOAD_4XX },
		{ "/500", HTTPLOAD_CHECK_PAGE, HTTPLOAD_5XX },
		{ "/notjson", HTTPLOAD_CHECK_JSON, HTTPLOAD_BAD_BODY },
		{ "/empty", HTTPLOAD_CHECK_PAGE, HTTPLOAD_BAD_BODY },
		{ "/empty", HTTPLOAD_CHECK_JSON, HTTPLOAD_OK },
		{ "/notjson", HTTPLOAD_CHECK_NONE, HTTPLOAD_OK },
		{ "/slow?ms=300", HTTPLOAD_CHECK_PAGE, HTTPLOAD_TIMEOUT },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct httpload_config c;
		struct httpload_report r;

		config(&c, cases[k].path);
		c.check = cases[k].check;
		if (cases[k].kind == HTTPLOAD_TIMEOUT)
			c.timeout_ns = 100 * 1000000;
		run(&c, 50, 0.1, &r);
		ck_assert_msg(r.by_kind[cases[k].kind] == r.base.n, "%s: %llu of %zu are %s (%s)",
			      cases[k].path, (unsigned long long)r.by_kind[cases[k].kind], r.base.n,
			      httpload_kind_name(cases[k].kind), r.first_error);
		if (cases[k].kind != HTTPLOAD_OK)
			ck_assert_str_ne(r.first_error, "");
		httpload_report_release(&r);
	}
}
END_TEST

START_TEST(a_closed_port_is_a_connect_error)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	struct httpload_config c;
	struct httpload_report r;
	static char url[128];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* A port bound, not listening: connections are refused. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	config(&c, "/page");
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/page", (unsigned)ntohs(a.sin_port));
	c.url = url;
	run(&c, 50, 0.1, &r);
	close(fd);
	ck_assert_uint_eq(r.by_kind[HTTPLOAD_CONNECT], r.base.n);
	ck_assert_ptr_nonnull(strstr(r.first_error, "cannot connect"));
	httpload_report_release(&r);
}
END_TEST

/* One connection, a server that takes 50 ms, a request every 10 ms: the
 * requests queue for the connection, are counted as queued, and their
 * latency from the intended start includes the wait (the server's sleeps
 * make these lower bounds certain). */
START_TEST(the_pool_bound_queues_and_latency_counts_the_wait)
{
	struct httpload_config c;
	struct httpload_report r;

	config(&c, "/slow?ms=50");
	c.connections = 1;
	run(&c, 100, 0.05, &r);
	ck_assert_uint_eq(r.base.n, 5);
	ck_assert_uint_eq(r.by_kind[HTTPLOAD_OK], 5);
	ck_assert_uint_ge(r.queued, 4);
	ck_assert_uint_le(r.opened, 1);
	/* Request 4 is due at 40 ms and cannot start before 4 x 50 ms. */
	ck_assert_int_ge(r.base.start[4] - 40 * 1000000, 150 * 1000000);
	ck_assert_int_ge(r.base.end[4] - 40 * 1000000, 200 * 1000000);
	ck_assert_int_ge(hist_max(&r.base.latency), 200 * 1000000);
	ck_assert_int_lt(hist_quantile(&r.base.service, 0.5), hist_max(&r.base.latency));
	httpload_report_release(&r);

	/* Bounded: at most one waiting; the rest are dropped, counted. */
	config(&c, "/slow?ms=50");
	c.connections = 1;
	c.queue_bound = 1;
	run(&c, 100, 0.05, &r);
	ck_assert_uint_ge(r.by_kind[HTTPLOAD_DROPPED], 1);
	ck_assert_uint_eq(r.base.dropped, r.by_kind[HTTPLOAD_DROPPED]);
	ck_assert_uint_eq(r.by_kind[HTTPLOAD_OK] + r.by_kind[HTTPLOAD_DROPPED], 5);
	httpload_report_release(&r);
}
END_TEST

START_TEST(templates_reach_the_server)
{
	struct httpload_config c;
	struct httpload_report r;
	const char *headers[] = { "X-Test: user {user} request {i}" };
	struct loadtest_schedule s;
	struct httpload_vars v = { .k = 7, .time = NULL, .now = 5 };
	struct error e;

	config(&c, "/echo?u={user}&k={k}&i={i}");
	c.headers = headers;
	c.n_headers = 1;
	c.body = "{{\"user\": {user}, \"t\": {time}}";
	c.method = "PUT";
	c.connections = 1;
	ck_assert_int_eq(loadtest_schedule_constant(&s, 100, 10 * 1000000, 1000, 1, &e), 0);
	ck_assert_uint_eq(s.n, 1);
	s.user[0] = 42;
	ck_assert_msg(httpload_run(&c, &s, &v, &r, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(r.by_kind[HTTPLOAD_OK], 1);
	pthread_mutex_lock(&mu);
	ck_assert_str_eq(last_query, "u=42 k=7 i=0");
	ck_assert_str_eq(last_header, "user 42 request 0");
	ck_assert_str_eq(last_method, "PUT");
	ck_assert_str_eq(last_body, "{\"user\": 42, \"t\": 5}");
	pthread_mutex_unlock(&mu);
	httpload_report_release(&r);
	loadtest_schedule_release(&s);
}
END_TEST

START_TEST(a_remote_target_is_refused_before_anything_is_sent)
{
	struct httpload_config c;
	struct httpload_report r;
	struct loadtest_schedule s;
	struct httpload_vars v = { 1, NULL, 0 };
	struct error e;

	config(&c, "/page");
	c.url = "http://192.0.2.7:8080/v1?user={user}";
	ck_assert_int_eq(loadtest_schedule_constant(&s, 10, 100000000, 10, 1, &e), 0);
	ck_assert_int_eq(httpload_run(&c, &s, &v, &r, &e), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "--allow-remote"));
	httpload_report_release(&r);
	loadtest_schedule_release(&s);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, server_up, server_down);
	tcase_add_test(tc, templates_refuse_unknown_placeholders);
	tcase_add_test(tc, only_loopback_without_allow_remote);
	tcase_add_test(tc, body_checks);
	tcase_add_test(tc, good_pages_over_kept_alive_connections);
	tcase_add_test(tc, errors_are_split_by_kind);
	tcase_add_test(tc, a_closed_port_is_a_connect_error);
	tcase_add_test(tc, the_pool_bound_queues_and_latency_counts_the_wait);
	tcase_add_test(tc, templates_reach_the_server);
	tcase_add_test(tc, a_remote_target_is_refused_before_anything_is_sent);
}

CHECK_MAIN("httpload", add_tests, 60)
