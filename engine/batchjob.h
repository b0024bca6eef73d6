#ifndef AIRTIME_BATCHJOB_H
#define AIRTIME_BATCHJOB_H
/*
 * The batch path as one object, driven by the run's calendar:
 *
 *   batchjob_accept(ev)  -> engine/firehose (buffer by size or interval,
 *                           deliver after a delay)
 *   delivery             -> engine/lake (RUN_DIR/lake, one partition per
 *                           object, named by its arrival hour)
 *   [batch] run_at daily -> engine/workflow: collect (lake_scan of the
 *                           window into engine/batch) -> compute
 *                           (batch_finish with the declared interests) ->
 *                           persist (engine/featurestore, RUN_DIR/features.db,
 *                           the four groups in one transaction), then the
 *                           in-memory serving snapshots are refreshed
 *   serving reads        -> batchjob_user_features() etc., from the
 *                           snapshots only (no SQLite per request)
 *
 * Window end.  The workflow triggers at T (22:00 UTC).  The lake is only
 * complete up to the last hour H whose arrivals have all been delivered by
 * T: an event arriving at a is flushed by a + interval and delivered by
 * a + interval + delay, so
 *     H = floor_hour(T - firehose_interval - firehose_delay)
 * (21:00 with the defaults) and the day's window is [H - window, H) of emit
 * times.  Ending the window at T instead would make the features depend on
 * the firehose's buffering (the last minutes before T are partly missing
 * and the split varies with firehose_size/interval) and would claim data up
 * to T that the lake does not hold yet; ending at H makes the features
 * exactly "the direct computation over the events emitted in [H - window,
 * H)", whatever the buffering, and makes freshness honest (the served
 * data_end is H, not T).  This assumes events reach the firehose when they
 * are emitted (the bus delivers at emit time); an event the bus hands over
 * later than emit_time + (T - H) is counted on a later day only.
 * Every feature row is written with event_time = H and write_time = the
 * instant the persist step completed.
 *
 * Failures.  A lake write error at a firehose delivery is fatal to the run:
 * it is recorded (batchjob_error) and the calendar is stopped.  Step errors
 * are the workflow's business (retries, then the catch: yesterday's
 * snapshots stay served, an alarm is counted).
 *
 * Memory: the firehose buffers, the batch arrays and the snapshots are
 * allocated at set-up and per daily job; accept and the serving reads
 * allocate nothing.  Arguments are borrowed unless noted; the calendar must
 * outlive the batchjob.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/calendar.h"
#include "common/error.h"
#include "common/event.h"
#include "common/scenario.h"
#include "common/simtime.h"
#include "engine/batch.h"
#include "engine/firehose.h"
#include "engine/workflow.h"

struct batchjob;

/* Widths of the four served groups (docs/batch-features.md). */
#define BATCHJOB_USER_WIDTH 8
#define BATCHJOB_CREATOR_WIDTH 6
#define BATCHJOB_USER_TOPIC_WIDTH 3
#define BATCHJOB_USER_CREATOR_WIDTH 4

/* Version of the feature groups written to features.db. */
#define BATCHJOB_GROUP_VERSION 1

/* The [batch] section, filled by config_load (config/config.h: keys,
 * defaults, and epoch_day from [run] start_date). */
struct batchjob_config {
	struct firehose_config firehose;
	struct workflow_config workflow;
	struct batch_config batch;
	int64_t epoch_day;      /* [run] start_date: days since 1970-01-01 of simtime 0 */
};

/* Workflow transitions, forwarded as they happen (the lead stores them in
 * results.db).  tr and its strings are borrowed for the call. */
typedef void (*batchjob_transition_fn)(void *ctx, const struct workflow_transition *tr);

/* After loading from sc: the parts' checks (workflow, then batch). */
int batchjob_config_check(struct batchjob_config *cfg, const struct scenario *sc,
			  struct error *err);

/* The batch path for a run writing under run_dir (lake/ and features.db),
 * its callbacks scheduled on `cal` from now on.  `declared` (may be NULL:
 * no declared interests) is copied.  on_transition may be NULL. */
struct batchjob *batchjob_new(const struct batchjob_config *cfg, const char *run_dir,
			      struct calendar *cal, const struct batch_declared *declared,
			      batchjob_transition_fn on_transition, void *ctx,
			      struct error *err);
void batchjob_free(struct batchjob *bj);
/* Serving only, over a finished run: RUN_DIR/features.db opened read-only
 * and the four groups' snapshots loaded (the run's latest daily job);
 * only the serving reads, batchjob_data_end and batchjob_feature_names may
 * be used.  The reads are const and allocate nothing, so threads may
 * share it.  ERR_IO / ERR_NOTFOUND naming the file or the missing group. */
struct batchjob *batchjob_open_serving(const struct batchjob_config *cfg, const char *run_dir,
				       struct error *err);

/* One event arriving at the calendar's current time (the bus subscription
 * callback).  Allocates nothing. */
void batchjob_accept(struct batchjob *bj, const struct event *ev);

/* The same with the engine/bus delivery signature (ctx = the batchjob):
 * the event arrives at now + delay (the bus's publish latency); arrivals
 * are kept in order (a shorter latency after a longer one arrives with it).
 * Always 0: the firehose never refuses. */
int batchjob_deliver(void *batchjob, const struct event *ev, simtime now, simtime delay);

/* End of run: flush the firehose at the calendar's time and deliver
 * everything into the lake (no delay); no more accepts afterwards. */
int batchjob_drain(struct batchjob *bj, struct error *err);

/* The history phase (before time 0, before any accept): write one lake
 * partition of history events for the hour starting at `hour` (< 0, hours
 * in increasing order), straight into the lake as the firehose would have
 * delivered them; n == 0 writes nothing. */
int batchjob_history_write(struct batchjob *bj, simtime hour, const struct event *evs, size_t n,
			   struct error *err);
/* Then the daily job of trigger time `trigger` (< 0) at once, without the
 * workflow's schedule, cost model or faults: collect the window ending at
 * batchjob_window_end(trigger), compute, persist with write_time =
 * trigger, serve.  So the run starts with the features of its history. */
int batchjob_history_job(struct batchjob *bj, simtime trigger, struct error *err);
/* Events the history phase wrote (not counted as accepted nor delivered). */
uint64_t batchjob_history_events(const struct batchjob *bj);

/* The first fatal error (lake write at a delivery), or NULL when none.  The
 * calendar was stopped when it happened. */
const struct error *batchjob_error(const struct batchjob *bj);

/* ---- serving reads (snapshots; TTL applied at `now`; NaN when missing) ---- */

/* out: n x BATCHJOB_USER_WIDTH.  Returns the number of users found. */
size_t batchjob_user_features(const struct batchjob *bj, const uint32_t *users, size_t n,
			      simtime now, float *out);
/* out: n x BATCHJOB_CREATOR_WIDTH. */
size_t batchjob_creator_features(const struct batchjob *bj, const uint32_t *creators,
				 size_t n, simtime now, float *out);
/* Pairs (users[i], topics[i]); out: n x BATCHJOB_USER_TOPIC_WIDTH. */
size_t batchjob_user_topic_features(const struct batchjob *bj, const uint32_t *users,
				    const uint16_t *topics, size_t n, simtime now, float *out);
/* Pairs (users[i], creators[i]); out: n x BATCHJOB_USER_CREATOR_WIDTH. */
size_t batchjob_user_creator_features(const struct batchjob *bj, const uint32_t *users,
				      const uint32_t *creators, size_t n, simtime now,
				      float *out);
/* Window end H of the features served now (what freshness is measured
 * against), or -1 before the first successful run. */
simtime batchjob_data_end(const struct batchjob *bj);
/* Feature names of group `id` (batch.h order) and their count (*k). */
const char *const *batchjob_feature_names(const struct batchjob *bj, enum batch_table_id id,
					  size_t *k);

/* ---- state ---- */

/* Window end H for a trigger at T (see above). */
simtime batchjob_window_end(const struct batchjob *bj, simtime trigger);
/* Daily runs that succeeded / were caught (alarms). */
uint64_t batchjob_successes(const struct batchjob *bj);
uint64_t batchjob_alarms(const struct batchjob *bj);
/* Events accepted; events delivered into the lake; lake partitions. */
uint64_t batchjob_accepted(const struct batchjob *bj);
uint64_t batchjob_lake_events(const struct batchjob *bj);
size_t batchjob_partitions(const struct batchjob *bj);
/* Events aggregated by the last collect, rows written by the last persist. */
uint64_t batchjob_last_events(const struct batchjob *bj);
uint64_t batchjob_last_rows(const struct batchjob *bj);
/* The feature-store group holding table `id` (for point-in-time joins). */
int batchjob_group(const struct batchjob *bj, enum batch_table_id id);
/* The parts, for inspection and tools (borrowed). */
const struct workflow *batchjob_workflow(const struct batchjob *bj);
struct featurestore *batchjob_featurestore(struct batchjob *bj);
struct lake *batchjob_lake(struct batchjob *bj);

#endif
