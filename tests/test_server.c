/* Tests for serve/server.c (this suite was test_serve.c): HTTP over a real
 * loopback socket (ephemeral port, plain sockets, bounded time: every
 * socket has a receive timeout). */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/xalloc.h"
#include "results/rundir.h"
#include "serve/servedir.h"
#include "serve/server.h"
#include "tests/tinyrun.h"

#include "tests/check_main.h"
#include "tests/tmpdir.h"

struct reply {
	int status;
	char head[4096];
	char *body;
};

/* Send one raw request, read the whole reply (Connection: close). */
static void http(uint16_t port, const char *request, struct reply *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 5 };
	size_t len = 0, cap = 0;
	char *buf = NULL, *sep;
	ssize_t k;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	for (;;) {
		XGROW(buf, len + 4096 + 1, cap);
		k = read(fd, buf + len, 4096);
		ck_assert_msg(k >= 0, "read timed out or failed");
		if (k == 0)
			break;
		len += (size_t)k;
	}
	close(fd);
	buf[len] = '\0';
	ck_assert_int_eq(sscanf(buf, "HTTP/1.1 %d", &r->status), 1);
	sep = strstr(buf, "\r\n\r\n");
	ck_assert_ptr_nonnull(sep);
	snprintf(r->head, sizeof(r->head), "%.*s", (int)(sep - buf), buf);
	r->body = xstrdup(sep + 4);
	free(buf);
}

static void get(uint16_t port, const char *path, struct reply *r)
{
	char req[1024];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		 path);
	http(port, req, r);
}

/* ---- a small JSON validator: value := object | array | string | number
 * | true | false | null; returns the end or NULL. ---- */
static const char *json_value(const char *p);

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\' && !*++p)
			return NULL;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_value(const char *p)
{
	p = ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';

		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				if (!(p = json_string(ws(p))))
					return NULL;
				p = ws(p);
				if (*p++ != ':')
					return NULL;
			}
			if (!(p = json_value(p)))
				return NULL;
			p = ws(p);
			if (*p == ',') {
				p++;
				continue;
			}
			return *p == close ? p + 1 : NULL;
		}
	}
	if (*p == '"')
		return json_string(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	{
		char *end;

		strtod(p, &end);
		return end == p ? NULL : end;
	}
}

static void assert_json(const char *body)
{
	const char *end = json_value(body);

	ck_assert_msg(end && *ws(end) == '\0', "not JSON: %s", body);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

struct fixture {
	struct servedir *d;
	struct server *s;
	uint16_t port;
};

static void start(struct fixture *f)
{
	struct server_options o;
	struct error err = { 0 };

	f->d = servedir_open(tinyrun_dir, NULL, &err);
	ck_assert_msg(f->d != NULL, "%s", err.msg);
	server_options_defaults(&o);
	o.port = 0;            /* ephemeral */
	o.threads = 2;
	f->s = server_start(f->d, &o, &err);
	ck_assert_msg(f->s != NULL, "%s", err.msg);
	f->port = server_port(f->s);
	ck_assert_uint_ne(f->port, 0);
}

static void stop(struct fixture *f)
{
	server_stop(f->s);
	servedir_free(f->d);
}

START_TEST(healthz_says_ok)
{
	struct fixture f;
	struct reply r;

	start(&f);
	get(f.port, "/healthz", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "application/json"));
	assert_json(r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\"status\":\"ok\""));
	ck_assert_ptr_nonnull(strstr(r.body, "\"model\":true"));
	free(r.body);
	stop(&f);
}
END_TEST

START_TEST(recommendations_are_a_json_page)
{
	struct fixture f;
	struct reply r;
	size_t want;

	start(&f);
	want = servedir_candidates(f.d) < 5 ? servedir_candidates(f.d) : 5;
	get(f.port, "/v1/recommendations?user=3&k=5", &r);
	ck_assert_int_eq(r.status, 200);
	assert_json(r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\"user\":3,"));
	ck_assert_ptr_nonnull(strstr(r.body, "\"scorer_used\":\"forest\""));
	ck_assert_ptr_nonnull(strstr(r.body, "\"cold_start\":false"));
	ck_assert_ptr_nonnull(strstr(r.body, "\"fallback\":false"));
	ck_assert_ptr_nonnull(strstr(r.body, "\"timings_us\":{\"total\":"));
	ck_assert_uint_eq(count(r.body, "{\"show\":"), want);
	free(r.body);
	get(f.port, "/v1/recommendations?user=3&scorer=heuristic", &r);
	ck_assert_int_eq(r.status, 200);
	assert_json(r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\"scorer_used\":\"heuristic\""));
	free(r.body);
	stop(&f);
}
END_TEST

START_TEST(unknown_user_gets_a_cold_start_page)
{
	struct fixture f;
	struct reply r;

	start(&f);
	get(f.port, "/v1/recommendations?user=4000000000", &r);
	ck_assert_int_eq(r.status, 200);
	assert_json(r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\"cold_start\":true"));
	ck_assert_ptr_nonnull(strstr(r.body, "\"scorer_used\":\"heuristic\""));
	free(r.body);
	stop(&f);
}
END_TEST

START_TEST(bad_parameters_get_400_with_a_json_error)
{
	static const char *const bad[] = {
		"/v1/recommendations",                       /* no user */
		"/v1/recommendations?user=abc",
		"/v1/recommendations?user=-1",
		"/v1/recommendations?user=99999999999",
		"/v1/recommendations?user=1&k=0",
		"/v1/recommendations?user=1&k=1000",
		"/v1/recommendations?user=1&k=2x",
		"/v1/recommendations?user=1&scorer=oracle",
		"/v1/recommendations?user=1&scorer=nope",
	};
	struct fixture f;
	struct reply r;

	start(&f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		get(f.port, bad[i], &r);
		ck_assert_msg(r.status == 400, "%s: status %d", bad[i], r.status);
		assert_json(r.body);
		ck_assert_ptr_nonnull(strstr(r.body, "\"error\":"));
		free(r.body);
	}
	get(f.port, "/nope", &r);
	ck_assert_int_eq(r.status, 404);
	assert_json(r.body);
	free(r.body);
	http(f.port, "POST /v1/recommendations?user=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		     "Content-Length: 2\r\n\r\nhi", &r);
	ck_assert_int_eq(r.status, 405);
	assert_json(r.body);
	free(r.body);
	stop(&f);
}
END_TEST

START_TEST(metrics_count_requests_in_prometheus_format)
{
	struct fixture f;
	struct reply r;
	unsigned long long ok = 0, bad = 0, inf = 0, cnt = 0;
	const char *p;

	start(&f);
	for (int i = 0; i < 3; i++) {
		get(f.port, "/v1/recommendations?user=7", &r);
		ck_assert_int_eq(r.status, 200);
		free(r.body);
	}
	get(f.port, "/v1/recommendations?user=x", &r);
	free(r.body);
	get(f.port, "/metrics", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "text/plain; version=0.0.4"));
	ck_assert_ptr_nonnull(strstr(r.body, "# TYPE airtime_http_requests_total counter"));
	ck_assert_ptr_nonnull(strstr(r.body,
				     "# TYPE airtime_recommendation_duration_seconds histogram"));
	ck_assert_ptr_nonnull(p = strstr(r.body, "airtime_http_requests_total{code=\"200\"} "));
	sscanf(strchr(p, '}') + 2, "%llu", &ok);
	ck_assert_ptr_nonnull(p = strstr(r.body, "airtime_http_requests_total{code=\"400\"} "));
	sscanf(strchr(p, '}') + 2, "%llu", &bad);
	ck_assert_ptr_nonnull(p = strstr(r.body, "_bucket{le=\"+Inf\"} "));
	sscanf(strchr(p, '}') + 2, "%llu", &inf);
	ck_assert_ptr_nonnull(p = strstr(r.body, "airtime_recommendation_duration_seconds_count "));
	sscanf(strchr(p, ' ') + 1, "%llu", &cnt);
	ck_assert_uint_eq(ok, 3);
	ck_assert_uint_eq(bad, 1);
	ck_assert_uint_eq(inf, 3);
	ck_assert_uint_eq(cnt, 3);
	ck_assert_ptr_nonnull(strstr(r.body, "airtime_http_errors_total 0\n"));
	free(r.body);
	stop(&f);
}
END_TEST

START_TEST(binds_loopback_by_default_and_refuses_bad_addresses)
{
	struct server_options o;
	struct error err = { 0 };
	struct servedir *d = servedir_open(tinyrun_dir, NULL, &err);

	server_options_defaults(&o);
	ck_assert_str_eq(o.bind, "127.0.0.1");
	o.bind = "localhost:80";
	ck_assert_ptr_null(server_start(d, &o, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "localhost:80"));
	servedir_free(d);
}
END_TEST

/* Two requests on one connection: HTTP/1.1 keep-alive (the response is
 * queued once the request is complete, so no "Connection: close"). */
START_TEST(connections_are_kept_alive)
{
	struct fixture f;
	struct reply r;
	const char *two = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
			  "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

	start(&f);
	http(f.port, two, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(strstr(r.head, "Connection: close"));
	/* Both answers came back on the one connection. */
	ck_assert_ptr_nonnull(strstr(r.body, "HTTP/1.1 200"));
	free(r.body);
	stop(&f);
}
END_TEST

static long long field(const char *body, const char *key)
{
	const char *p = strstr(body, key);

	ck_assert_msg(p != NULL, "no %s in %s", key, body);
	return strtoll(p + strlen(key), NULL, 10);
}

/* --clock wall: the serving time starts at --at and only moves forward,
 * up to the horizon; pages say which time they were ranked at. */
START_TEST(a_wall_clock_moves_the_serving_time)
{
	struct servedir_options so = { .at_set = true, .at = 24 * SIMTIME_HOUR };
	struct server_options o;
	struct error err = { 0 };
	struct servedir *d = servedir_open(tinyrun_dir, &so, &err);
	struct server *s;
	struct reply r;
	long long t1, t2, horizon;
	struct timespec nap = { 0, 100 * 1000000 };

	ck_assert_msg(d != NULL, "%s", err.msg);
	server_options_defaults(&o);
	o.port = 0;
	o.clock = SERVER_CLOCK_WALL;
	o.speed = 36000;          /* 10 simulated hours per wall second */
	o.tick_ms = 10;
	s = server_start(d, &o, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	get(server_port(s), "/healthz", &r);
	ck_assert_ptr_nonnull(strstr(r.body, "\"clock\":\"wall\""));
	t1 = field(r.body, "\"serving_time_us\":");
	horizon = field(r.body, "\"horizon_us\":");
	free(r.body);
	ck_assert_int_ge(t1, 24 * SIMTIME_HOUR);
	nanosleep(&nap, NULL);
	get(server_port(s), "/v1/recommendations?user=3&k=2", &r);
	ck_assert_int_eq(r.status, 200);
	t2 = field(r.body, "\"serving_time_us\":");
	free(r.body);
	ck_assert_int_gt(t2, t1);       /* 100 ms slept: at least one tick */
	ck_assert_int_le(t2, horizon);
	server_stop(s);
	/* The servedir's own time moved with it. */
	ck_assert_int_ge(servedir_time(d), t2);
	servedir_free(d);
}
END_TEST

/* Send an oversized request in chunks, watching for the answer between
 * them (the server answers and closes before reading it all; a reset
 * would discard an answer read only at the end): its status code. */
static int http_flood(uint16_t port, const char *request)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 5 };
	size_t len = strlen(request), sent = 0, got = 0;
	char buf[8192];
	int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	while (sent < len && got == 0) {
		size_t n = len - sent < 1024 ? len - sent : 1024;
		ssize_t k = send(fd, request + sent, n, MSG_NOSIGNAL);

		if (k <= 0)
			break;
		sent += (size_t)k;
		k = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (k > 0)
			got = (size_t)k;
	}
	if (got == 0) {
		ssize_t k = recv(fd, buf, sizeof(buf) - 1, 0);

		got = k > 0 ? (size_t)k : 0;
	}
	buf[got] = '\0';
	close(fd);
	ck_assert_msg(got > 0, "no answer after %zu of %zu bytes", sent, len);
	ck_assert_int_eq(sscanf(buf, "HTTP/1.1 %d", &status), 1);
	return status;
}

/* Issue 18: a query of 458 parameters (3.1 KB) got an empty reply and one
 * of 3,000 was held 30 s; a URI or headers too large for the connection
 * were dropped.  Each is refused at once: 414 or 431. */
START_TEST(oversized_requests_are_refused_with_414_and_431)
{
	struct fixture f;
	struct reply r;
	struct strbuf q = STRBUF_INIT;
	const size_t counts[] = { 458, 3000 };

	start(&f);
	for (size_t c = 0; c < 2; c++) {
		strbuf_reset(&q);
		strbuf_addstr(&q, "GET /v1/recommendations?user=1");
		for (size_t i = 0; i < counts[c]; i++)
			strbuf_addf(&q, "&p%zu=1", i);
		strbuf_addstr(&q, " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
		http(f.port, q.buf, &r);
		ck_assert_int_eq(r.status, 414);
		ck_assert_msg(strstr(r.body, c == 0 ? "more than 64 query parameters" :
				     "longer than 8192 bytes"), "%s", r.body);
		free(r.body);
	}
	strbuf_reset(&q);
	strbuf_addstr(&q, "GET /v1/recommendations?user=1&x=");
	for (size_t i = 0; i < 20000; i++)
		strbuf_addch(&q, 'a');
	strbuf_addstr(&q, " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
	ck_assert_int_eq(http_flood(f.port, q.buf), 414);
	strbuf_reset(&q);
	strbuf_addstr(&q, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n");
	for (size_t i = 0; i < 6000; i++)
		strbuf_addf(&q, "X-H%zu: vvvvvvvvvvvvvvvvvvvv\r\n", i);
	strbuf_addstr(&q, "Connection: close\r\n\r\n");
	ck_assert_int_eq(http_flood(f.port, q.buf), 431);
	/* the server still answers */
	get(f.port, "/healthz", &r);
	ck_assert_int_eq(r.status, 200);
	free(r.body);
	strbuf_release(&q);
	stop(&f);
}
END_TEST

/* Issue 18: about 1,020 idle half-sent requests (libmicrohttpd's default
 * connection limit, the process's 1,024 open files) locked every client
 * out: /healthz timed out.  With 2,000 of them open on loopback, every
 * probe of /healthz is answered 200 within its socket's 5 s timeout.  How
 * fast is measured in `make bench` (bench/robust.sh: the 100 ms),
 * never asserted here.  Bounded: 2,000 connections, 5 s timeouts. */
START_TEST(slowloris_does_not_stall_legitimate_clients)
{
	enum { IDLE = 2000, PROBES = 9 };
	static int fds[IDLE];
	struct rlimit rl;
	struct fixture f;
	size_t open_n = 0;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < IDLE + 256) {
		rl.rlim_cur = rl.rlim_max < IDLE + 256 ? rl.rlim_max : IDLE + 256;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	ck_assert_msg(rl.rlim_cur >= IDLE + 256, "RLIMIT_NOFILE hard limit %llu too low",
		      (unsigned long long)rl.rlim_max);
	start(&f);
	for (size_t i = 0; i < IDLE; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(f.port) };
		struct timeval tv = { .tv_sec = 5 };
		static const char half[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n";
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		ck_assert_int_ge(fd, 0);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		ck_assert_int_eq(write(fd, half, sizeof(half) - 1), (ssize_t)sizeof(half) - 1);
		fds[open_n++] = fd;
	}
	usleep(200 * 1000);   /* let the server accept them all */
	for (int p = 0; p < PROBES; p++) {
		struct reply r;

		get(f.port, "/healthz", &r);
		ck_assert_int_eq(r.status, 200);
		free(r.body);
	}
	for (size_t i = 0; i < open_n; i++)
		close(fds[i]);
	stop(&f);
}
END_TEST

/* Admission control: with every serving object taken, one page request
 * may wait (queue = 1); the next is answered 503 with Retry-After at once,
 * and /healthz is never queued. */
START_TEST(a_full_queue_is_answered_503_with_retry_after)
{
	struct server_options o;
	struct error err = { 0 };
	struct servedir *d = servedir_open(tinyrun_dir, NULL, &err);
	struct server *s;
	struct reply r;
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 5 };
	static const char req[] = "GET /v1/recommendations?user=1 HTTP/1.1\r\nHost: localhost\r\n"
				  "Connection: close\r\n\r\n";
	char buf[4096];
	int fd, tries = 0;
	ssize_t k;

	ck_assert_msg(d != NULL, "%s", err.msg);
	server_options_defaults(&o);
	o.port = 0;
	o.threads = 1;
	o.io_threads = 4;
	o.queue = 1;
	s = server_start(d, &o, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	server_hold_pool(s, true);
	/* the first request waits for a serving object */
	a.sin_port = htons(server_port(s));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	while (server_waiting(s) < 1 && ++tries < 500)
		usleep(10000);
	ck_assert_uint_eq(server_waiting(s), 1);
	/* the next one is shed at once */
	get(server_port(s), "/v1/recommendations?user=2", &r);
	ck_assert_int_eq(r.status, 503);
	ck_assert_ptr_nonnull(strstr(r.head, "Retry-After: 1"));
	assert_json(r.body);
	free(r.body);
	ck_assert_uint_ge(server_shed(s), 1);
	get(server_port(s), "/healthz", &r);
	ck_assert_int_eq(r.status, 200);
	free(r.body);
	server_hold_pool(s, false);
	k = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_gt(k, 0);
	buf[k] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 200"));
	close(fd);
	server_stop(s);
	servedir_free(d);
}
END_TEST

/* A bearer token: required beyond loopback; with one, every request but
 * /healthz needs it (401 otherwise). */
START_TEST(a_bearer_token_guards_the_server)
{
	struct server_options o;
	struct error err = { 0 };
	struct servedir *d = servedir_open(tinyrun_dir, NULL, &err);
	struct server *s;
	struct reply r;
	char req[256];

	server_options_defaults(&o);
	o.port = 0;
	o.bind = "0.0.0.0";
	ck_assert_ptr_null(server_start(d, &o, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "--token-file"));
	ck_assert(server_addr_is_loopback("127.0.0.1") && server_addr_is_loopback("::1") &&
		  !server_addr_is_loopback("0.0.0.0") && !server_addr_is_loopback("10.1.2.3"));
	o.bind = "127.0.0.1";
	o.token = "s3cret-token";
	s = server_start(d, &o, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	get(server_port(s), "/v1/recommendations?user=1", &r);
	ck_assert_int_eq(r.status, 401);
	free(r.body);
	get(server_port(s), "/healthz", &r);
	ck_assert_int_eq(r.status, 200);
	free(r.body);
	snprintf(req, sizeof(req), "GET /v1/recommendations?user=1 HTTP/1.1\r\nHost: localhost\r\n"
		 "Authorization: Bearer s3cret-tokeX\r\nConnection: close\r\n\r\n");
	http(server_port(s), req, &r);
	ck_assert_int_eq(r.status, 401);
	free(r.body);
	snprintf(req, sizeof(req), "GET /v1/recommendations?user=1 HTTP/1.1\r\nHost: localhost\r\n"
		 "Authorization: Bearer s3cret-token\r\nConnection: close\r\n\r\n");
	http(server_port(s), req, &r);
	ck_assert_int_eq(r.status, 200);
	free(r.body);
	server_stop(s);
	servedir_free(d);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_unchecked_fixture(tc, tinyrun_setup, tinyrun_teardown);
	tcase_add_test(tc, connections_are_kept_alive);
	tcase_add_test(tc, a_wall_clock_moves_the_serving_time);
	tcase_add_test(tc, healthz_says_ok);
	tcase_add_test(tc, recommendations_are_a_json_page);
	tcase_add_test(tc, unknown_user_gets_a_cold_start_page);
	tcase_add_test(tc, bad_parameters_get_400_with_a_json_error);
	tcase_add_test(tc, metrics_count_requests_in_prometheus_format);
	tcase_add_test(tc, binds_loopback_by_default_and_refuses_bad_addresses);
	tcase_add_test(tc, oversized_requests_are_refused_with_414_and_431);
	tcase_add_test(tc, slowloris_does_not_stall_legitimate_clients);
	tcase_add_test(tc, a_full_queue_is_answered_503_with_retry_after);
	tcase_add_test(tc, a_bearer_token_guards_the_server);
}

CHECK_MAIN("server", add_tests, 120)
