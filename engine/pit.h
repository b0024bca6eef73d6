#ifndef AIRTIME_PIT_H
#define AIRTIME_PIT_H
/*
 * Point-in-time (PIT) features, computed from backend events as they are
 * processed by the streaming workers.
 *
 * Per show:  like count, listen count (tune-ins), live listeners (sessions
 * open now), listening sessions longer than `long_session` (5 min), likes and
 * tune-ins in the last `window` (15 min).  Per creator: live followers
 * listening (followers of the creator with an open session on one of the
 * creator's shows).
 *
 * Exactly-once effect under at-least-once delivery: pit_apply() remembers the
 * ids of applied events in a fixed-size set and reports a redelivered id as a
 * duplicate without touching any feature.  Bound: the set keeps the
 * `dedup_capacity` most recently applied ids, each for at most
 * `dedup_horizon` (set it >= the queue's retention: no copy of a message can
 * be delivered later than that after it was sent).  An id is forgotten only
 * when its horizon passed (harmless) or when the set is full and it is the
 * oldest (counted in dedup_evicted_live: a redelivery of such an id would be
 * applied twice).  Size the set to the number of events applied within one
 * horizon, or at least to the queue's max_messages plus the events applied
 * while the oldest message can still be redelivered; the stream reports the
 * counter so a run can show the bound held.
 *
 * Out-of-order delivery (redelivery, publish jitter):
 *  - counts are sums, so their final values do not depend on order;
 *  - sessions are paired by (user, show, start time): a listen_end carries its
 *    duration in `value`, so its start is emit_time - value; an end that
 *    arrives before its start is kept as "ended early" and completed when the
 *    start arrives (live listeners never counts it).  So the sessionizer is
 *    exact under any order, as long as start.emit_time == end.emit_time -
 *    end.value (the backend's contract, common/event.h).
 *  - live followers: per (user, creator) the pit keeps "follows" and the number
 *    of open sessions; the creator's count is the number of pairs with both,
 *    which is order independent (a follow arriving after the listen_start,
 *    as when a user follows while listening, counts at once).
 *  - sliding windows bucket events by EMIT time into per-minute buckets; an
 *    event older than the window at processing time is counted in the totals
 *    but not in the window (late_window); window values are "as of now".
 * Each feature write carries an event time for the online store's
 * latest-by-event-time rule: for counts the greatest emit time that
 * contributed, for windows the processing time (their value is a function of
 * now); `seq` increases per entity so a newer value with an equal event time
 * still supersedes.
 *
 * Memory is bounded by the config sizes: the dedup set, per-show and
 * per-creator state are allocated at pit_new; the session and follow tables
 * start small and double (rehash) as entries arrive, up to twice their
 * capacity (the only allocation after pit_new, a few times per run, never
 * in steady state).  A full session or follow table (by entries, not
 * slots) is counted (session_table_full, follow_table_full) and the event's
 * other effects still apply.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/event.h"
#include "common/simtime.h"

enum pit_table { PIT_TABLE_SHOW = 0, PIT_TABLE_CREATOR = 1, PIT_TABLES };

enum pit_show_feature {
	PIT_LIKES = 0,
	PIT_LISTENS,
	PIT_LIVE_LISTENERS,
	PIT_LONG_SESSIONS,
	PIT_LIKES_WINDOW,
	PIT_TUNEINS_WINDOW,
	PIT_SHOW_FEATURES
};

enum pit_creator_feature { PIT_LIVE_FOLLOWERS = 0, PIT_CREATOR_FEATURES };

/* long_session, window and the three capacities are filled from their
 * [stream] keys by config_load (config/config.h, which also holds the
 * defaults); stream_config_check sets dedup_horizon from the queue's
 * retention; the caller sets n_shows and n_creators. */
struct pit_config {
	uint32_t n_shows, n_creators;   /* dense ids [0, n) */
	simtime long_session;
	simtime window;
	simtime bucket;                 /* 1 min (pit_config_init); window / bucket <= 60 */
	uint32_t dedup_capacity;        /* ids remembered */
	simtime dedup_horizon;          /* >= queue retention */
	uint32_t session_capacity;      /* open (or ended-early) sessions at once */
	uint32_t follow_capacity;       /* (user, creator) pairs with a follow or an open session */
};

/* One feature value to store. */
struct pit_write {
	uint8_t table;        /* enum pit_table */
	uint8_t feature;
	uint32_t entity;      /* show or creator id */
	float value;
	simtime event_time;
	uint32_t seq;
};

/* Receives each write: cause is the applied event, NULL for window ticks.
 * Returns 0 when the value was stored (non-zero: the pit rewrites a window
 * value at the next tick). */
typedef int (*pit_sink_fn)(void *ctx, const struct pit_write *w, const struct event *cause,
			   simtime now);

enum pit_result { PIT_APPLIED = 0, PIT_DUPLICATE = 1, PIT_IGNORED = 2 };

struct pit_stats {
	uint64_t applied, duplicates, ignored, invalid;
	uint64_t late_window;              /* too old for the window when applied */
	uint64_t sessions_completed, ended_early, bad_end;
	uint64_t session_table_full, follow_table_full;
	uint64_t dedup_expired, dedup_evicted_live;
	uint64_t writes, tick_writes;
};

/* Zero cfg but for the field no key fills: bucket 1 min.  n_shows and
 * n_creators must then be set. */
void pit_config_init(struct pit_config *cfg);

struct pit *pit_new(const struct pit_config *cfg, struct error *err);
void pit_free(struct pit *p);

/* Apply one delivered event at processing time now (>= emit_time); writes go
 * to sink.  Listen start/end, like and follow change features; other types
 * and out-of-range ids are PIT_IGNORED. */
enum pit_result pit_apply(struct pit *p, const struct event *ev, simtime now, pit_sink_fn sink,
			  void *ctx);
/* A hint only (no effect on results): start loading what pit_apply(ev, now)
 * will touch, so that a batch overlaps its cache misses. */
void pit_prefetch(struct pit *p, const struct event *ev, simtime now);
/* Whether an event id is in the dedup set (applied and remembered). */
bool pit_seen(const struct pit *p, uint64_t id);
/* Next time windows need refreshing (a bucket boundary), or SIMTIME_NEVER. */
simtime pit_next_tick(const struct pit *p);
/* Refresh window values at now; writes go to sink. */
void pit_tick(struct pit *p, simtime now, pit_sink_fn sink, void *ctx);

/* Current in-memory values (for tests and reports). */
float pit_show_value(const struct pit *p, uint32_t show, enum pit_show_feature f, simtime now);
float pit_creator_value(const struct pit *p, uint32_t creator, enum pit_creator_feature f);
const struct pit_stats *pit_stats(const struct pit *p);
/* "likes", "listens", ... ; creator table: "live_followers". */
const char *pit_feature_name(int table, int feature);
/* Features in a table. */
int pit_feature_count(int table);

#endif
