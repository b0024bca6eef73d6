#ifndef AIRTIME_SERVER_H
#define AIRTIME_SERVER_H
/*
 * `airtime serve`: an HTTP/1.1 server (GNU libmicrohttpd, its own threads)
 * over a run directory opened with serve/servedir.
 *
 *   GET /v1/recommendations?user=ID[&k=K][&scorer=NAME]
 *       200 JSON: the page (show, score, creator, topic, live), the scorer
 *       asked and used, the fallback and cold-start flags, candidates, the
 *       serving time, and host timings (total, feature read, scoring; us).
 *       K defaults to and is at most the scenario's [rank] k; the scorer
 *       defaults to forest when the run saved a model, else heuristic.
 *       400 JSON {"error": ...} for a missing or bad parameter; 503 when the
 *       forest is asked for and the run has no model.  Users beyond the
 *       population get the cold-start page (heuristic, no declared topics).
 *   GET /healthz         200 {"status":"ok", ...}
 *   GET /metrics         Prometheus text format 0.0.4: requests by code,
 *                        request latency histogram, errors, fallbacks,
 *                        cold starts
 *   anything else        404 (405 for a method other than GET/HEAD), JSON
 *
 * Serving time: with clock FIXED every request is served as of the
 * servedir's serving time.  With clock WALL the serving time moves: it
 * starts at the servedir's and advances `speed` simulated seconds per wall
 * second (a clock thread moves it every tick_ms: servedir_advance applies
 * the show events and the store log's feature writes up to the new time),
 * until the run's horizon, where it stays.  The page says which time it
 * was ranked at (serving_time_us).
 *
 * Threads: `threads` polling threads (libmicrohttpd's thread pool); each
 * request borrows one of `threads` serving objects from a pool (one per
 * thread at most in use, see engine/serving.h), so no ranker state is shared.
 * Requests read the servedir under a read lock; the clock thread takes the
 * write lock (writers first) for each step.  Counters are C11 atomics.
 * Keep-alive: a response is queued once the request is complete, so
 * HTTP/1.1 connections stay open.  Library code: nothing is printed.
 *
 * Refusing politely (issue 18): a request line longer than max_uri bytes
 * or with more than max_params query parameters gets 414, one whose
 * headers do not fit the connection's memory (conn_memory, raised from
 * libmicrohttpd's 32 KiB so such requests are parsed and refused rather
 * than dropped) 431; at most max_connections connections (the process's
 * open-file limit is raised to fit them: libmicrohttpd's own default of
 * 1,020 let idle half-sent requests lock every client out), each closed
 * after idle_timeout_s without traffic; polling threads (io_threads) are
 * apart from the serving pool, and a page request that finds `queue`
 * requests already waiting for a serving object is answered 503 with
 * Retry-After at once (/healthz and /metrics never wait).  With a token,
 * every request but /healthz needs "Authorization: Bearer TOKEN" (401
 * otherwise, compared in constant time); server_start refuses a bind
 * address beyond loopback without one.
 *
 * Ownership: the servedir is borrowed and must outlive the server; with
 * clock WALL the server moves its serving time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct servedir;
struct server;

enum server_clock { SERVER_CLOCK_FIXED, SERVER_CLOCK_WALL };

struct server_options {
	const char *bind;         /* address, default "127.0.0.1" (IPv4 or IPv6 literal) */
	uint16_t port;            /* 0: an ephemeral port (server_port tells which) */
	size_t threads;           /* >= 1, default 2 */
	enum server_clock clock;  /* default FIXED */
	double speed;             /* WALL: simulated seconds per wall second (default 1) */
	unsigned tick_ms;         /* WALL: how often the time moves (default 50) */
	size_t max_uri;           /* request line's URI, bytes (default 8192) */
	size_t max_params;        /* query parameters (default 64) */
	size_t conn_memory;       /* per-connection memory, bytes (default 256 KiB) */
	size_t max_connections;   /* default 8192 (bounded by the open-file limit) */
	unsigned idle_timeout_s;  /* default 10 */
	size_t io_threads;        /* polling threads; 0: 2 x threads */
	size_t queue;             /* page requests waiting for a serving; 0: 4 x threads */
	const char *token;        /* bearer token (borrowed); NULL: none */
};

/* Take every serving object out of the pool (true) or give them back
 * (false): page requests then wait (up to `queue` of them) or get 503.
 * For tests of admission control, and to drain a server. */
void server_hold_pool(struct server *s, bool hold);
/* Page requests waiting for a serving object now. */
size_t server_waiting(struct server *s);
/* Page requests refused 503 by admission control so far. */
uint64_t server_shed(const struct server *s);

/* Whether `addr` (an IPv4 or IPv6 literal) is a loopback address. */
bool server_addr_is_loopback(const char *addr);

void server_options_defaults(struct server_options *o);

/* Start serving in background threads.  ERR_INPUT for a bad address,
 * ERR_IO when the port cannot be bound (the message names address:port). */
struct server *server_start(struct servedir *d, const struct server_options *o,
			    struct error *err);
/* The serving time now (simulated us). */
int64_t server_serving_time(struct server *s);
/* The port actually bound. */
uint16_t server_port(const struct server *s);
/* Requests answered so far (all paths, all codes). */
uint64_t server_requests(const struct server *s);
/* Stop listening, finish requests in flight, free.  NULL is a no-op. */
void server_stop(struct server *s);

#endif
