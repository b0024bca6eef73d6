#ifndef AIRTIME_SERVEDIR_H
#define AIRTIME_SERVEDIR_H
/*
 * A finished run directory opened for serving in real time (the load test
 * and the HTTP server): the real serving path (engine/serving: candidates,
 * online-store reads, scoring, top-K) over the stores the run left behind.
 *
 * Opening re-reads scenario.ini + overrides.txt (checked against the seed
 * file) and loads them as the run did (config_load), rebuilds the world
 * deterministically (sim_new; nothing is simulated), and builds:
 *   - the catalog as of the serving time T: the show_scheduled / show_live /
 *     show_end events the simulator would have emitted up to T (at or
 *     before T, and before the run's horizon, as the simulator generates
 *     none at or after it), synthesized from the world's show schedule;
 *     T defaults to the end of the experiment (the horizon);
 *   - the declared-topic profiles of every user (cold-start spike users
 *     included);
 *   - the online store as of T: every record of online.log stored at or
 *     before T, in an in-memory store (the log is only read, never written,
 *     truncated or created; fault-injection outages are not replayed: the
 *     store is up);
 *   - the forest from model.forest when the run saved one (none: the
 *     forest scorer is unavailable and servedir_request says so, naming
 *     the path).
 *   - the batch features: the serving snapshots of features.db (opened
 *     read-only), i.e. what the run's LAST daily job wrote, whatever T is
 *     (the store keeps only the latest row per entity; for T before the
 *     last job this serves features computed later than T: documented
 *     limitation).
 *
 * Threads: the servedir is immutable between servedir_advance calls; each
 * thread makes its own struct serving with servedir_serving_new()
 * (concurrent mode: no shared mutable state on the read path, see
 * engine/serving.h).  servedir_advance moves the serving time forward
 * (the catalog's show events and the log's records up to the new time);
 * the caller keeps every reader out while it runs (serve/server: a
 * read-write lock).
 *
 * Unknown users (id >= servedir_users) get a cold-start page: the heuristic
 * scorer with no declared topics (live shows, then soonest upcoming), and
 * the result says so.
 *
 * Ownership: the servedir owns everything it loaded; servings made from it
 * must be freed before it.  Strings returned live as long as it does.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/simtime.h"
#include "engine/rank.h"

struct catalog;
struct config;
struct forest;
struct scenario;
struct serving;
struct servedir;

struct servedir_options {
	bool at_set;            /* serve as of `at` (else the horizon) */
	simtime at;             /* simulated time since the scenario epoch */
	bool strict_store;      /* refuse an unsealed or damaged online.log */
};

/* Result of one request through servedir_request. */
struct servedir_page {
	struct rank_result res;        /* as rank_request gives it (scratch of the serving) */
	enum rank_scorer asked;        /* the scorer requested */
	bool cold_start;               /* unknown user: heuristic, no declared topics */
};

/* Open a run directory.  ERR_IO / ERR_INPUT naming the missing or bad file;
 * ERR_CORRUPT when the seed file disagrees with the scenario. */
struct servedir *servedir_open(const char *dir, const struct servedir_options *opt,
			       struct error *err);
void servedir_free(struct servedir *d);
/* What was wrong with the store log and served anyway (an unsealed log:
 * cut by a crash, or damaged at its tail, with the counts), or NULL.  With
 * strict_store, servedir_open refuses it instead (ERR_CORRUPT). */
const char *servedir_store_warning(const struct servedir *d);

/* A serving object for one thread (free with serving_free, before the
 * servedir).  `stream` keys the random scorer's stream. */
struct serving *servedir_serving_new(const struct servedir *d, uint64_t stream,
				     struct error *err);

/* Rank a page for user at the serving time.  ERR_UNAVAILABLE when the
 * forest is asked for and the run left no model (the message names the
 * path); ERR_INPUT for the oracle (no simulator truth outside a run). */
int servedir_request(const struct servedir *d, struct serving *s, uint32_t user,
		     enum rank_scorer scorer, uint64_t request_id, struct servedir_page *out,
		     struct error *err);

/* Move the serving time forward to `to` (>= the current one): apply the
 * show events and store records up to it.  ERR_INPUT going back. */
int servedir_advance(struct servedir *d, simtime to, struct error *err);

/* The directory, serving time, horizon and experiment start. */
const char *servedir_path(const struct servedir *d);
simtime servedir_time(const struct servedir *d);
simtime servedir_horizon(const struct servedir *d);
simtime servedir_experiment_start(const struct servedir *d);
/* Users in the population (base + spike cold-start users). */
uint32_t servedir_users(const struct servedir *d);
/* Candidates of a request at the serving time (at most max_candidates). */
size_t servedir_candidates(const struct servedir *d);
/* The model (NULL when the run saved none) and where it was looked for. */
const struct forest *servedir_model(const struct servedir *d);
const char *servedir_model_path(const struct servedir *d);
/* The catalog as of the serving time (read-only). */
const struct catalog *servedir_catalog(const struct servedir *d);
const struct rank_config *servedir_rank_config(const struct servedir *d);
const struct scenario *servedir_scenario(const struct servedir *d);
/* Everything the scenario configures (config_load). */
const struct config *servedir_config(const struct servedir *d);
/* Records applied from online.log (up to the serving time). */
uint64_t servedir_online_records(const struct servedir *d);

/* The scenario's traffic shape: app sessions (base arrivals and spike
 * sessions, exactly as the run drew them) in n buckets of `width` from
 * `from`, into out[n].  Buckets at or past the horizon are 0. */
int servedir_traffic(const struct servedir *d, simtime from, simtime width, size_t n,
		     double *out, struct error *err);

/* The same sessions one by one: every session starting in [from, to)
 * (base arrivals and spike sessions), sorted by time then user, into
 * *times and *users (caller frees; *n of them). */
int servedir_sessions(const struct servedir *d, simtime from, simtime to, simtime **times,
		      uint32_t **users, size_t *n, struct error *err);

#endif
