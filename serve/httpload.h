#ifndef AIRTIME_HTTPLOAD_H
#define AIRTIME_HTTPLOAD_H
/*
 * An open-loop HTTP load generator over libcurl's multi interface: the
 * requests of a schedule (serve/loadtest.h: intended start times and users)
 * are sent to any HTTP endpoint, from one event-loop thread, over a bounded
 * pool of keep-alive connections.
 *
 * Requests.  The URL, each header and the body are templates: {user},
 * {k}, {i} (the request's index) and {time} (its simulated time, us) are
 * replaced per request; "{{" is a literal '{'.  Anything else in braces is
 * refused when the templates are compiled.  The scheme, host and port
 * cannot hold a placeholder.  Only http:// and https:// are accepted; no
 * proxy is used (whatever the environment says) and redirects are not
 * followed (a 3xx is an "other" answer).
 *
 * Loopback.  The host is resolved before the test: every address must be
 * in 127.0.0.0/8 or ::1 (localhost is), unless allow_remote.  The checked
 * address is then pinned (CURLOPT_RESOLVE), so the test cannot reach
 * another host than the one that was checked.
 *
 * Open loop, no coordinated omission.  Request i becomes due at its
 * intended time s->at[i], whatever happened before.  The pool holds
 * `connections` easy handles, each reused from request to request (its
 * connection is kept alive: HTTP/1.1, no pipelining), so at most that many
 * requests are in flight and at most that many connections are open.  A
 * due request that finds every handle busy waits in one FIFO queue
 * (counted as queued; unbounded, or at most queue_bound waiting, beyond
 * which arrivals are dropped and counted).  Latency is measured from the
 * INTENDED time to the completion, so waiting for a connection is part of
 * it; service (start -> completion) and start delay (intended -> start)
 * are kept apart.  The loop sleeps in curl_multi_poll with a timerfd armed
 * at the next intended time (nanoseconds, no 1 ms tick).
 *
 * Outcomes, one per request (enum httpload_kind): ok (2xx and the body
 * passes the check), connect (could not connect or resolve), timeout (no
 * complete answer within timeout_ns, connecting included), http_4xx,
 * http_5xx, bad_body (2xx, body fails the check: not JSON, or no non-empty
 * array `page_key` at the top level), other (transport errors, 1xx/3xx),
 * dropped (the wait queue was full).
 *
 * Everything measured is a host measurement: nothing here is simulated.
 * Library code: nothing printed.  Ownership: the schedule and strings are
 * borrowed; the report owns its arrays (httpload_report_release).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/simtime.h"
#include "serve/loadtest.h"

enum httpload_kind {
	HTTPLOAD_PENDING = 0,
	HTTPLOAD_OK,
	HTTPLOAD_CONNECT,
	HTTPLOAD_TIMEOUT,
	HTTPLOAD_4XX,
	HTTPLOAD_5XX,
	HTTPLOAD_BAD_BODY,
	HTTPLOAD_OTHER,
	HTTPLOAD_DROPPED,
	HTTPLOAD_KINDS
};

enum httpload_check { HTTPLOAD_CHECK_NONE, HTTPLOAD_CHECK_JSON, HTTPLOAD_CHECK_PAGE };

struct httpload_config {
	const char *url;                /* template */
	const char *method;             /* NULL: GET, or POST when there is a body */
	const char *const *headers;     /* "Name: value" templates */
	size_t n_headers;
	const char *body;               /* template; NULL: none */
	enum httpload_check check;
	const char *page_key;           /* CHECK_PAGE: the array member ("shows") */
	bool allow_remote;
	size_t connections;             /* pool bound, 1..10000 */
	size_t queue_bound;             /* waiting requests at most; 0: unbounded */
	int64_t timeout_ns;             /* per request, > 0 */
	int64_t late_after_ns;          /* a start later than this is late */
};

/* Per-request values of the templates besides {user} and {i}. */
struct httpload_vars {
	uint32_t k;                     /* {k} */
	const simtime *time;            /* {time} of request i; NULL: `now` for all */
	simtime now;
};

struct httpload_report {
	struct loadtest_report base;    /* status: LOADTEST_OK = kind ok, else ERROR/DROPPED */
	uint8_t *kind;                  /* [n] enum httpload_kind */
	uint16_t *http_status;          /* [n] HTTP status, 0 without an answer */
	uint64_t by_kind[HTTPLOAD_KINDS];
	uint64_t queued;                /* waited for a free connection */
	uint64_t opened;                /* connections opened (libcurl's count) */
	char first_error[512];          /* the first failure, described; "" if none */
};

/* Its name: "ok", "connect", "timeout", "http_4xx", "http_5xx", "bad_body",
 * "other", "dropped". */
const char *httpload_kind_name(enum httpload_kind k);

/* Compile-check a template: ERR_INPUT naming the unknown placeholder. */
int httpload_template_check(const char *tmpl, const char *what, struct error *err);

/* The target's scheme and host checked (http/https, no placeholder) and
 * resolved; ERR_INPUT when it resolves outside loopback and !allow_remote,
 * or cannot be resolved.  Fills pin ("host:port:addr" for CURLOPT_RESOLVE,
 * "" for an address literal). */
int httpload_check_target(const char *url, bool allow_remote, char *pin, size_t pin_cap,
			  struct error *err);

/* Run the schedule against cfg's target.  ERR_INPUT for a bad config or
 * target (checked first: nothing is sent); ERR_RUN when libcurl cannot be
 * set up.  Request failures are outcomes, not errors. */
int httpload_run(const struct httpload_config *cfg, const struct loadtest_schedule *s,
		 const struct httpload_vars *vars, struct httpload_report *rep,
		 struct error *err);
void httpload_report_release(struct httpload_report *rep);

/* Is the body (n bytes) JSON?  With key: a JSON object whose member key is
 * a non-empty array.  Depth is limited to 64. */
bool httpload_body_ok(const char *body, size_t n, const char *key);

#endif
