#ifndef AIRTIME_REPLAY_H
#define AIRTIME_REPLAY_H
/*
 * A recorded trace as the event source of a world, instead of the synthetic
 * population (`airtime run SCENARIO --trace FILE`).
 *
 * The whole file is read and validated first: a trace with any malformed
 * row is refused with the rows named (nothing runs on a half-read input).
 * Events are then replayed in emit-time order (ties by id) on the run's
 * calendar through the world's event handler; app_open events also ask the
 * serving path for a home page, so the pipeline (stream, batch, ranker,
 * endpoint) is load-tested on the recorded traffic.  No behaviour model
 * runs: the pages served do not change what the trace says users did.
 * Ids are the trace's (mapped to dense ids first when they were text or
 * sparse: replay_ids says how).
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/event.h"
#include "common/simtime.h"

struct calendar;

struct replay;

/* Documented limits of a replayed world, by id (the world.users and
 * world.creators keys' own bounds; shows: a creator's daily show for a
 * year at most): a larger id is refused (ERR_INPUT) before anything is
 * sized by it, and the run's memory budget (eval/budget.h) applies to
 * what the ids imply below them. */
#define REPLAY_MAX_USERS 134217728u
#define REPLAY_MAX_CREATORS 10000000u
#define REPLAY_MAX_SHOWS 134217728u

struct trace_options;
struct trace_ids;

/* Read and validate the trace.  opts (NULL: the plain format) lets a CSV
 * trace recorded elsewhere have text or sparse ids, mapped to dense ones,
 * and absolute times (common/trace.h). */
struct replay *replay_open(const char *path, const struct trace_options *opts,
			   struct error *err);
/* How the trace's ids were read (opts->map_ids), or NULL. */
const struct trace_ids *replay_ids(const struct replay *r);
void replay_free(struct replay *r);

/* Entity counts implied by the ids in the trace (max id + 1). */
uint32_t replay_users(const struct replay *r);
uint32_t replay_shows(const struct replay *r);
uint32_t replay_creators(const struct replay *r);
size_t replay_events(const struct replay *r);
/* Events emitted at or after `end` are not replayed; how many that is. */
size_t replay_beyond(const struct replay *r, simtime end);

/* Replay on cal: emit(ctx, ev) for each event before `end`; session(ctx,
 * user, session, now) for each app_open after its event. */
void replay_start(struct replay *r, struct calendar *cal, simtime end,
		  void (*emit)(void *ctx, const struct event *ev),
		  void (*session)(void *ctx, uint32_t user, uint32_t session, simtime now),
		  void *ctx);

#endif
