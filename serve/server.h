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
 * Threads: `threads` polling threads (libmicrohttpd's thread pool); each
 * request borrows one of `threads` serving objects from a pool (one per
 * thread at most in use, see engine/serving.h), so no ranker state is shared.
 * Counters are C11 atomics.  Library code: nothing is printed.
 *
 * Ownership: the servedir is borrowed and must outlive the server.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct servedir;
struct server;

struct server_options {
	const char *bind;         /* address, default "127.0.0.1" (IPv4 or IPv6 literal) */
	uint16_t port;            /* 0: an ephemeral port (server_port tells which) */
	size_t threads;           /* >= 1, default 2 */
};

void server_options_defaults(struct server_options *o);

/* Start serving in background threads.  ERR_INPUT for a bad address,
 * ERR_IO when the port cannot be bound (the message names address:port). */
struct server *server_start(const struct servedir *d, const struct server_options *o,
			    struct error *err);
/* The port actually bound. */
uint16_t server_port(const struct server *s);
/* Requests answered so far (all paths, all codes). */
uint64_t server_requests(const struct server *s);
/* Stop listening, finish requests in flight, free.  NULL is a no-op. */
void server_stop(struct server *s);

#endif
