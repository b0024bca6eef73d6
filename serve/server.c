/* HTTP server over a run directory; see server.h. */
#define _GNU_SOURCE   /* pthread_rwlockattr_setkind_np: writers first */
#include "serve/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/catalog.h"
#include "engine/forest.h"
#include "engine/rank.h"
#include "serve/servedir.h"
#include "engine/serving.h"

/* Prometheus latency buckets, seconds (upper bounds; +Inf implied). */
static const double bucket_s[] = { 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
				   0.05,    0.1,    0.2,   0.5,   1.0,   2.5 };
#define N_BUCKETS (sizeof(bucket_s) / sizeof(bucket_s[0]))

/* Status codes counted one by one; others go to "other". */
static const unsigned codes[] = { 200, 400, 401, 404, 405, 414, 431, 500, 503 };
#define N_CODES (sizeof(codes) / sizeof(codes[0]))

struct server {
	struct servedir *d;
	struct MHD_Daemon *daemon;
	uint16_t port;
	enum rank_scorer default_scorer;

	/* Pool of servings: at most `threads` requests run at once. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct serving **pool;
	size_t n_pool, n_free;
	struct serving **free_list;

	atomic_uint_fast64_t by_code[N_CODES + 1];
	atomic_uint_fast64_t buckets[N_BUCKETS + 1];   /* non-cumulative; last = +Inf */
	atomic_uint_fast64_t latency_ns_sum, latency_count;
	atomic_uint_fast64_t errors, fallbacks, cold_starts, requests;
	atomic_uint_fast64_t id;

	/* The serving time: read under `lock`, moved by the clock thread. */
	pthread_rwlock_t lock;
	enum server_clock clock;
	double speed;
	unsigned tick_ms;
	bool clock_running, stopping;
	pthread_t clock_thread;
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cv;
	atomic_uint_fast64_t advances, advance_errors;

	/* Limits (server.h "Refusing politely"). */
	size_t max_uri, max_params, queue, waiting, held;
	struct serving **held_list;   /* server_hold_pool */
	char *token;
	atomic_uint_fast64_t shed, refused_uri, unauthorized;
};

/* What the URI callback found of a request, carried in its con_cls until
 * the handler's first call (then READY). */
enum { REQ_OK = 1, REQ_URI_TOO_LONG, REQ_TOO_MANY_PARAMS, REQ_READY };
static char req_tags[REQ_READY + 1];
#define REQ_TAG(t) ((void *)&req_tags[t])
#define REQ_OF(p) ((int)((const char *)(p) - req_tags))

void server_options_defaults(struct server_options *o)
{
	o->bind = "127.0.0.1";
	o->port = 8080;
	o->threads = 2;
	o->clock = SERVER_CLOCK_FIXED;
	o->speed = 1;
	o->tick_ms = 50;
	o->max_uri = 8192;
	o->max_params = 64;
	o->conn_memory = 256 * 1024;
	o->max_connections = 8192;
	o->idle_timeout_s = 10;
	o->io_threads = 0;
	o->queue = 0;
	o->token = NULL;
}

bool server_addr_is_loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- JSON into a strbuf ---- */

/* A JSON string literal. */
static void json_string(struct strbuf *b, const char *s)
{
	strbuf_addch(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			strbuf_addch(b, '\\');
			strbuf_addch(b, c);
		} else if (c < 0x20) {
			strbuf_addf(b, "\\u%04x", c);
		} else {
			strbuf_addch(b, c);
		}
	}
	strbuf_addch(b, '"');
}

static void json_number(struct strbuf *b, double v)
{
	if (isfinite(v))
		strbuf_addf(b, "%.17g", v);
	else
		strbuf_addstr(b, "null");
}

/* ---- responses ---- */

static void count_code(struct server *s, unsigned code)
{
	size_t i;

	for (i = 0; i < N_CODES && codes[i] != code; i++)
		;
	atomic_fetch_add(&s->by_code[i], 1);
	if (code >= 500)
		atomic_fetch_add(&s->errors, 1);
}

static enum MHD_Result respond(struct server *s, struct MHD_Connection *c, unsigned code,
			    const char *type, struct strbuf *body)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	r = MHD_create_response_from_buffer(body->len, body->buf, MHD_RESPMEM_MUST_COPY);
	strbuf_release(body);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ok = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	count_code(s, code);
	atomic_fetch_add(&s->requests, 1);
	return ok;
}

static enum MHD_Result send_error(struct server *s, struct MHD_Connection *c, unsigned code,
				  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum MHD_Result send_error(struct server *s, struct MHD_Connection *c, unsigned code,
				  const char *fmt, ...)
{
	struct strbuf b = STRBUF_INIT;
	char msg[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	strbuf_addf(&b, "{\"error\":");
	json_string(&b, msg);
	strbuf_addf(&b, ",\"status\":%u}\n", code);
	return respond(s, c, code, "application/json", &b);
}

/* 503 with Retry-After: the queue of work is full (admission control). */
static enum MHD_Result send_busy(struct server *s, struct MHD_Connection *c)
{
	struct MHD_Response *r;
	enum MHD_Result ok;
	static const char body[] = "{\"error\":\"overloaded: too many requests waiting, retry "
				   "later\",\"status\":503}\n";

	r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	ok = MHD_queue_response(c, 503, r);
	MHD_destroy_response(r);
	count_code(s, 503);
	atomic_fetch_add(&s->requests, 1);
	return ok;
}

/* ---- the serving pool ---- */

/* A serving object, or NULL when `queue` requests already wait for one
 * (admission control: the caller answers 503). */
static struct serving *borrow(struct server *s)
{
	struct serving *v;

	pthread_mutex_lock(&s->mu);
	if (s->n_free == 0 && s->waiting >= s->queue) {
		pthread_mutex_unlock(&s->mu);
		return NULL;
	}
	s->waiting++;
	while (s->n_free == 0)
		pthread_cond_wait(&s->cv, &s->mu);
	s->waiting--;
	v = s->free_list[--s->n_free];
	pthread_mutex_unlock(&s->mu);
	return v;
}

void server_hold_pool(struct server *s, bool hold)
{
	pthread_mutex_lock(&s->mu);
	if (hold) {
		while (s->held < s->n_pool) {
			while (s->n_free == 0)
				pthread_cond_wait(&s->cv, &s->mu);
			s->held_list[s->held++] = s->free_list[--s->n_free];
		}
	} else {
		while (s->held > 0)
			s->free_list[s->n_free++] = s->held_list[--s->held];
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
}

size_t server_waiting(struct server *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = s->waiting;
	pthread_mutex_unlock(&s->mu);
	return n;
}

uint64_t server_shed(const struct server *s)
{
	return atomic_load(&((struct server *)s)->shed);
}

static void give_back(struct server *s, struct serving *v)
{
	pthread_mutex_lock(&s->mu);
	s->free_list[s->n_free++] = v;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* ---- endpoints ---- */

/* A decimal integer in [0, max] with nothing else around it. */
static bool parse_uint(const char *text, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!text || *text < '0' || *text > '9')
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static void observe_latency(struct server *s, int64_t ns)
{
	double sec = (double)ns / 1e9;
	size_t i;

	for (i = 0; i < N_BUCKETS && sec > bucket_s[i]; i++)
		;
	atomic_fetch_add(&s->buckets[i], 1);
	atomic_fetch_add(&s->latency_ns_sum, (uint64_t)(ns > 0 ? ns : 0));
	atomic_fetch_add(&s->latency_count, 1);
}

static enum MHD_Result recommendations(struct server *s, struct MHD_Connection *c)
{
	const struct servedir *d = s->d;
	const char *u = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "user");
	const char *k_text = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "k");
	const char *sc_text = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "scorer");
	uint32_t kmax = servedir_rank_config(d)->k;
	enum rank_scorer scorer = s->default_scorer;
	const struct rank *rk;
	struct servedir_page page;
	struct serving *v;
	struct error err;
	struct strbuf b = STRBUF_INIT;
	uint64_t user, k = kmax;
	double read0, score0;
	int64_t t0 = now_ns(), t1;
	size_t shown;
	int rc;

	if (!u)
		return send_error(s, c, 400, "missing parameter 'user' (a user id, 0..%u)",
				  UINT32_MAX - 1);
	if (!parse_uint(u, UINT32_MAX - 1, &user))
		return send_error(s, c, 400, "bad user '%s': expected an integer 0..%u", u,
				  UINT32_MAX - 1);
	if (k_text && (!parse_uint(k_text, kmax, &k) || k == 0))
		return send_error(s, c, 400, "bad k '%s': expected an integer 1..%u", k_text, kmax);
	if (sc_text) {
		int x = rank_scorer_from_name(sc_text);

		if (x < 0 || x == RANK_ORACLE)
			return send_error(s, c, 400, "bad scorer '%s': expected forest, heuristic, "
					  "popularity or random", sc_text);
		scorer = (enum rank_scorer)x;
	}
	if (!(v = borrow(s))) {
		atomic_fetch_add(&s->shed, 1);
		return send_busy(s, c);
	}
	pthread_rwlock_rdlock(&s->lock);
	rk = serving_rank(v);
	read0 = rank_host_assembly_ns(rk)->sum;
	score0 = rank_host_scoring_ns(rk)->sum;
	error_clear(&err);
	rc = servedir_request(d, v, (uint32_t)user, scorer, atomic_fetch_add(&s->id, 1), &page,
			      &err);
	if (rc < 0) {
		pthread_rwlock_unlock(&s->lock);
		give_back(s, v);
		return send_error(s, c, rc == ERR_UNAVAILABLE ? 503 : 500, "%s", err.msg);
	}
	shown = page.res.k < k ? page.res.k : (size_t)k;
	strbuf_addf(&b, "{\"user\":%llu,\"k\":%zu,\"cold_start\":%s,\"scorer\":\"%s\","
		       "\"scorer_used\":\"%s\",\"fallback\":%s,\"candidates\":%zu,"
		       "\"serving_time_us\":%lld,\"shows\":[",
		   (unsigned long long)user, shown, page.cold_start ? "true" : "false",
		   rank_scorer_name(page.asked), rank_scorer_name(page.res.scorer_used),
		   page.res.fell_back ? "true" : "false", page.res.n_candidates,
		   (long long)servedir_time(d));
	for (size_t i = 0; i < shown; i++) {
		uint32_t show = page.res.page[i];

		strbuf_addf(&b, "%s{\"show\":%u,\"score\":", i ? "," : "", show);
		json_number(&b, page.res.page_scores[i]);
		strbuf_addf(&b, ",\"creator\":%u,\"topic\":%u,\"live\":%s}",
			   catalog_creator(servedir_catalog(d), show),
			   (unsigned)catalog_topic(servedir_catalog(d), show),
			   catalog_state(servedir_catalog(d), show) == CATALOG_LIVE ? "true"
										    : "false");
	}
	/* This request's share of the ranker's host histograms. */
	{
		double read_us = (rank_host_assembly_ns(rk)->sum - read0) / 1e3;
		double score_us = (rank_host_scoring_ns(rk)->sum - score0) / 1e3;

		if (page.res.fell_back)
			atomic_fetch_add(&s->fallbacks, 1);
		if (page.cold_start)
			atomic_fetch_add(&s->cold_starts, 1);
		pthread_rwlock_unlock(&s->lock);
		give_back(s, v);
		t1 = now_ns();
		strbuf_addf(&b, "],\"timings_us\":{\"total\":%.1f,\"feature_read\":%.1f,"
			       "\"scoring\":%.1f}}\n",
			   (double)(t1 - t0) / 1e3, read_us, score_us);
	}
	observe_latency(s, t1 - t0);
	return respond(s, c, 200, "application/json", &b);
}

static enum MHD_Result healthz(struct server *s, struct MHD_Connection *c)
{
	struct strbuf b = STRBUF_INIT;
	const struct forest *m = servedir_model(s->d);

	pthread_rwlock_rdlock(&s->lock);
	strbuf_addf(&b, "{\"status\":\"ok\",\"users\":%u,\"candidates\":%zu,\"serving_time_us\":%lld,"
		       "\"horizon_us\":%lld,\"clock\":\"%s\",\"speed\":%g,"
		       "\"model\":%s,\"trees\":%zu,\"default_scorer\":\"%s\"}\n",
		   servedir_users(s->d), servedir_candidates(s->d), (long long)servedir_time(s->d),
		   (long long)servedir_horizon(s->d),
		   s->clock == SERVER_CLOCK_WALL ? "wall" : "fixed",
		   s->clock == SERVER_CLOCK_WALL ? s->speed : 0.0, m ? "true" : "false",
		   m ? forest_n_trees(m) : 0, rank_scorer_name(s->default_scorer));
	pthread_rwlock_unlock(&s->lock);
	return respond(s, c, 200, "application/json", &b);
}

static enum MHD_Result metrics(struct server *s, struct MHD_Connection *c)
{
	struct strbuf b = STRBUF_INIT;
	uint64_t cum = 0;

	strbuf_addf(&b, "# HELP airtime_http_requests_total HTTP requests answered, by status code.\n"
		       "# TYPE airtime_http_requests_total counter\n");
	for (size_t i = 0; i <= N_CODES; i++) {
		uint64_t n = atomic_load(&s->by_code[i]);

		if (i < N_CODES)
			strbuf_addf(&b, "airtime_http_requests_total{code=\"%u\"} %llu\n", codes[i],
				   (unsigned long long)n);
		else
			strbuf_addf(&b, "airtime_http_requests_total{code=\"other\"} %llu\n",
				   (unsigned long long)n);
	}
	strbuf_addf(&b, "# HELP airtime_recommendation_duration_seconds Time to answer "
		       "/v1/recommendations (handler, host clock).\n"
		       "# TYPE airtime_recommendation_duration_seconds histogram\n");
	for (size_t i = 0; i < N_BUCKETS; i++) {
		cum += atomic_load(&s->buckets[i]);
		strbuf_addf(&b, "airtime_recommendation_duration_seconds_bucket{le=\"%g\"} %llu\n",
			   bucket_s[i], (unsigned long long)cum);
	}
	cum += atomic_load(&s->buckets[N_BUCKETS]);
	strbuf_addf(&b, "airtime_recommendation_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
		       "airtime_recommendation_duration_seconds_sum %.9f\n"
		       "airtime_recommendation_duration_seconds_count %llu\n",
		   (unsigned long long)cum, (double)atomic_load(&s->latency_ns_sum) / 1e9,
		   (unsigned long long)atomic_load(&s->latency_count));
	strbuf_addf(&b, "# HELP airtime_http_shed_total Page requests refused 503 by admission "
		       "control (too many waiting).\n"
		       "# TYPE airtime_http_shed_total counter\n"
		       "airtime_http_shed_total %llu\n",
		   (unsigned long long)atomic_load(&s->shed));
	strbuf_addf(&b, "# HELP airtime_http_errors_total Responses with a 5xx status.\n"
		       "# TYPE airtime_http_errors_total counter\n"
		       "airtime_http_errors_total %llu\n"
		       "# HELP airtime_rank_fallbacks_total Pages that fell back to the heuristic "
		       "(a feature store unavailable).\n"
		       "# TYPE airtime_rank_fallbacks_total counter\n"
		       "airtime_rank_fallbacks_total %llu\n"
		       "# HELP airtime_cold_starts_total Pages for users beyond the population.\n"
		       "# TYPE airtime_cold_starts_total counter\n"
		       "airtime_cold_starts_total %llu\n",
		   (unsigned long long)atomic_load(&s->errors),
		   (unsigned long long)atomic_load(&s->fallbacks),
		   (unsigned long long)atomic_load(&s->cold_starts));
	strbuf_addf(&b, "# HELP airtime_serving_time_seconds Simulated time pages are ranked at "
		       "(moves with --clock wall).\n"
		       "# TYPE airtime_serving_time_seconds gauge\n"
		       "airtime_serving_time_seconds %.6f\n",
		   (double)server_serving_time(s) / 1e6);
	return respond(s, c, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
}

/* The request line as received (before libmicrohttpd parses its query):
 * its length and parameter count decide a 414 before any work. */
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct server *s = cls;
	const char *q = strchr(uri, '?');
	size_t params = 0;

	(void)c;
	if (strlen(uri) > s->max_uri)
		return REQ_TAG(REQ_URI_TOO_LONG);
	if (q)
		for (params = 1; *q; q++)
			params += *q == '&' || *q == ';';
	return params > s->max_params ? REQ_TAG(REQ_TOO_MANY_PARAMS) : REQ_TAG(REQ_OK);
}

/* "Authorization: Bearer TOKEN", compared in constant time. */
static bool authorized(const struct server *s, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	size_t n = strlen(s->token), m;
	unsigned char diff = 0;

	if (!h || strncmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	m = strlen(h);
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(s->token[i] ^ (i < m ? h[i] : 0));
	return diff == 0 && m == n;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version,
			       const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct server *s = cls;

	(void)version;
	(void)upload_data;
	/* Refused before any work (answering on the first call closes the
	 * connection, as a client sending such requests deserves). */
	if (*con_cls == REQ_TAG(REQ_URI_TOO_LONG)) {
		atomic_fetch_add(&s->refused_uri, 1);
		*con_cls = REQ_TAG(REQ_READY);
		return send_error(s, c, 414, "request URI longer than %zu bytes", s->max_uri);
	}
	if (*con_cls == REQ_TAG(REQ_TOO_MANY_PARAMS)) {
		atomic_fetch_add(&s->refused_uri, 1);
		*con_cls = REQ_TAG(REQ_READY);
		return send_error(s, c, 414, "more than %zu query parameters", s->max_params);
	}
	/* The first call comes with the headers only: answering then makes
	 * libmicrohttpd close the connection after the response ("Connection:
	 * close"), so a client could never keep it alive.  Answer on the next
	 * call, once the request is complete. */
	if (*con_cls != REQ_TAG(REQ_READY)) {
		*con_cls = REQ_TAG(REQ_READY);
		return MHD_YES;
	}
	/* A request body is not expected; drain it and answer at the end. */
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return send_error(s, c, 405, "method '%s' not allowed: GET only", method);
	if (s->token && strcmp(url, "/healthz") != 0 && !authorized(s, c)) {
		atomic_fetch_add(&s->unauthorized, 1);
		return send_error(s, c, 401, "missing or wrong bearer token (Authorization: Bearer "
				  "TOKEN)");
	}
	if (!strcmp(url, "/v1/recommendations"))
		return recommendations(s, c);
	if (!strcmp(url, "/healthz"))
		return healthz(s, c);
	if (!strcmp(url, "/metrics"))
		return metrics(s, c);
	return send_error(s, c, 404, "no such endpoint '%s' (try /v1/recommendations?user=ID, "
			  "/healthz, /metrics)", url);
}

static int64_t mono_ns(void)
{
	return now_ns();
}

/* The clock thread: every tick, move the serving time to where the wall
 * clock says it is (capped at the horizon). */
static void *clock_main(void *arg)
{
	struct server *s = arg;
	int64_t wall0 = mono_ns();
	simtime t0 = servedir_time(s->d), horizon = servedir_horizon(s->d);

	pthread_mutex_lock(&s->stop_mu);
	while (!s->stopping) {
		struct timespec until;
		int64_t deadline, elapsed;
		simtime to;

		clock_gettime(CLOCK_MONOTONIC, &until);
		deadline = (int64_t)until.tv_sec * 1000000000 + until.tv_nsec +
			   (int64_t)s->tick_ms * 1000000;
		until.tv_sec = (time_t)(deadline / 1000000000);
		until.tv_nsec = (long)(deadline % 1000000000);
		pthread_cond_timedwait(&s->stop_cv, &s->stop_mu, &until);
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->stop_mu);
		elapsed = mono_ns() - wall0;
		to = t0 + (simtime)llround((double)elapsed / 1e3 * s->speed);
		if (to > horizon)
			to = horizon;
		pthread_rwlock_wrlock(&s->lock);
		if (to > servedir_time(s->d)) {
			struct error e;

			if (servedir_advance(s->d, to, &e) < 0)
				atomic_fetch_add(&s->advance_errors, 1);
			else
				atomic_fetch_add(&s->advances, 1);
		}
		pthread_rwlock_unlock(&s->lock);
		pthread_mutex_lock(&s->stop_mu);
	}
	pthread_mutex_unlock(&s->stop_mu);
	return NULL;
}

int64_t server_serving_time(struct server *s)
{
	int64_t t;

	pthread_rwlock_rdlock(&s->lock);
	t = servedir_time(s->d);
	pthread_rwlock_unlock(&s->lock);
	return t;
}

/* Connections the process can hold: the soft open-file limit is raised to
 * the hard one, and `want` kept below it with room for the files a
 * request may open. */
static size_t connection_room(size_t want)
{
	struct rlimit rl;
	size_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want < 1000 ? want : 1000;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	room = rl.rlim_cur == RLIM_INFINITY ? want : (size_t)rl.rlim_cur;
	room = room > 128 ? room - 64 : room / 2;
	return want < room ? want : room;
}

struct server *server_start(struct servedir *d, const struct server_options *o,
			    struct error *err)
{
	pthread_rwlockattr_t la;
	struct server *s;
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;
	const struct sockaddr *addr;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
			     MHD_USE_TURBO;
	const union MHD_DaemonInfo *info;
	const char *bind_addr = o->bind ? o->bind : "127.0.0.1";
	size_t io_threads, max_conn;

	if (o->threads == 0 || o->threads > 256)
		return error_set(err, ERR_INPUT, "serve: threads must be 1..256"), NULL;
	if (!server_addr_is_loopback(bind_addr) && !(o->token && *o->token))
		return error_set(err, ERR_INPUT, "serve: binding '%s' (beyond loopback) needs a "
				 "bearer token: --token-file FILE", bind_addr), NULL;
	if (o->clock == SERVER_CLOCK_WALL && (!(o->speed > 0) || !isfinite(o->speed) ||
					      o->tick_ms == 0))
		return error_set(err, ERR_INPUT, "serve: --speed must be a positive number"), NULL;
	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, bind_addr, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons(o->port);
		addr = (const struct sockaddr *)&a4;
	} else if (inet_pton(AF_INET6, bind_addr, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(o->port);
		addr = (const struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	} else {
		return error_set(err, ERR_INPUT, "serve: bad bind address '%s' (an IPv4 or IPv6 "
				 "literal, e.g. 127.0.0.1)", bind_addr), NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->d = d;
	s->default_scorer = servedir_model(d) ? RANK_FOREST : RANK_HEURISTIC;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_rwlockattr_init(&la);
	pthread_rwlockattr_setkind_np(&la, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->lock, &la);
	pthread_rwlockattr_destroy(&la);
	pthread_mutex_init(&s->stop_mu, NULL);
	{
		pthread_condattr_t ca;   /* the clock thread's deadlines are monotonic */

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->stop_cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	s->clock = o->clock;
	s->speed = o->speed;
	s->tick_ms = o->tick_ms;
	s->max_uri = o->max_uri ? o->max_uri : 8192;
	s->max_params = o->max_params ? o->max_params : 64;
	s->queue = o->queue ? o->queue : 4 * o->threads;
	s->token = o->token && *o->token ? xstrdup(o->token) : NULL;
	io_threads = o->io_threads ? o->io_threads : 2 * o->threads;
	max_conn = connection_room(o->max_connections ? o->max_connections : 8192);
	s->pool = xcalloc(o->threads, sizeof(*s->pool));
	s->free_list = xcalloc(o->threads, sizeof(*s->free_list));
	s->held_list = xcalloc(o->threads, sizeof(*s->held_list));
	for (; s->n_pool < o->threads; s->n_pool++) {
		if (!(s->pool[s->n_pool] = servedir_serving_new(d, s->n_pool, err)))
			goto fail;
		s->free_list[s->n_free++] = s->pool[s->n_pool];
	}
	s->daemon = MHD_start_daemon(flags, o->port, NULL, NULL, handler, s,
				     MHD_OPTION_SOCK_ADDR, addr,
				     MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)io_threads,
				     MHD_OPTION_CONNECTION_TIMEOUT,
				     (unsigned int)(o->idle_timeout_s ? o->idle_timeout_s : 10),
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				     (size_t)(o->conn_memory ? o->conn_memory : 256 * 1024),
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)max_conn,
				     MHD_OPTION_URI_LOG_CALLBACK, uri_seen, s,
				     MHD_OPTION_END);
	if (!s->daemon) {
		error_set(err, ERR_IO, "serve: cannot listen on %s:%u (in use, or not an address "
			  "of this host?)", bind_addr, (unsigned)o->port);
		goto fail;
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : o->port;
	if (s->clock == SERVER_CLOCK_WALL) {
		int e = pthread_create(&s->clock_thread, NULL, clock_main, s);

		if (e != 0) {
			error_set(err, ERR_RUN, "serve: cannot start the clock thread: %s",
				  strerror(e));
			goto fail;
		}
		s->clock_running = true;
	}
	return s;
fail:
	server_stop(s);
	return NULL;
}

uint16_t server_port(const struct server *s)
{
	return s->port;
}

uint64_t server_requests(const struct server *s)
{
	return atomic_load(&((struct server *)s)->requests);
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	if (s->clock_running) {
		pthread_mutex_lock(&s->stop_mu);
		s->stopping = true;
		pthread_cond_signal(&s->stop_cv);
		pthread_mutex_unlock(&s->stop_mu);
		pthread_join(s->clock_thread, NULL);
	}
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	for (size_t i = 0; i < s->n_pool; i++)
		serving_free(s->pool[i]);
	free(s->pool);
	free(s->free_list);
	free(s->held_list);
	free(s->token);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	pthread_rwlock_destroy(&s->lock);
	pthread_cond_destroy(&s->stop_cv);
	pthread_mutex_destroy(&s->stop_mu);
	free(s);
}
