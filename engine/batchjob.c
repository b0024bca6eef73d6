/* The batch path wired on a calendar; see batchjob.h. */
#include "engine/batchjob.h"

#include "common/xalloc.h"
#include "engine/featurestore.h"
#include "engine/fsindex.h"
#include "engine/lake.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct batchjob {
	struct batchjob_config cfg;
	struct calendar *cal;
	struct firehose *fh;
	struct lake *lake;
	struct workflow *wf;
	struct batch *batch;
	struct featurestore *fs;
	int group[BATCH_TABLE_COUNT];
	struct fsindex *snap[BATCH_TABLE_COUNT];
	simtime data_end;            /* window end of the served snapshots */

	/* declared interests (owned copy) */
	uint32_t *decl_user;
	uint16_t *decl_topic;
	struct batch_declared declared;

	batchjob_transition_fn on_transition;
	void *ctx;

	/* calendar callbacks: at most one pending for each */
	calendar_handle fh_handle, wf_handle;
	simtime fh_at;               /* time of the pending firehose callback */
	simtime last_arrival;

	uint64_t accepted, lake_events, last_events, last_rows;
	uint64_t history_events;     /* written by batchjob_history_write */
	bool drained, failed;
	struct error fatal;
};

int batchjob_config_check(struct batchjob_config *cfg, const struct scenario *sc,
			  struct error *err)
{
	int rc;

	if ((rc = workflow_config_check(&cfg->workflow, sc, err)) ||
	    (rc = batch_config_check(&cfg->batch, sc, err)))
		return rc;
	return 0;
}

simtime batchjob_window_end(const struct batchjob *bj, simtime trigger)
{
	simtime h = trigger - bj->cfg.firehose.interval - bj->cfg.firehose.delay;

	/* floor, also for negative times (a trigger in the first hour) */
	return h >= 0 ? h - h % SIMTIME_HOUR : -((-h + SIMTIME_HOUR - 1) / SIMTIME_HOUR) * SIMTIME_HOUR;
}

/* ---- firehose -> lake ---- */

static void fatal(struct batchjob *bj, const struct error *err)
{
	if (!bj->failed) {
		bj->fatal = *err;
		bj->failed = true;
	}
	calendar_stop(bj->cal);
}

static int lake_sink(void *ctx, const struct firehose_object *obj, struct error *err)
{
	struct batchjob *bj = ctx;
	int rc = lake_write(bj->lake, obj->hour, obj->evs, obj->n, err);

	if (!rc)
		bj->lake_events += obj->n;
	return rc;
}

static void fh_fire(void *ctx, uint64_t arg, simtime now);

/* Keep exactly one firehose callback pending at firehose_next_time(). */
static void fh_schedule(struct batchjob *bj)
{
	simtime t = firehose_next_time(bj->fh), now = calendar_now(bj->cal);

	if (t == SIMTIME_NEVER || bj->failed)
		return;
	if (t < now)
		t = now;
	if (bj->fh_handle) {
		if (t >= bj->fh_at)
			return;
		if (calendar_reschedule(bj->cal, bj->fh_handle, t)) {
			bj->fh_at = t;
			return;
		}
	}
	bj->fh_handle = calendar_schedule(bj->cal, t, fh_fire, bj, 0);
	bj->fh_at = t;
}

static void fh_fire(void *ctx, uint64_t arg, simtime now)
{
	struct batchjob *bj = ctx;
	struct error err;

	(void)arg;
	bj->fh_handle = 0;
	error_clear(&err);
	if (firehose_advance(bj->fh, now, &err)) {
		fatal(bj, &err);
		return;
	}
	fh_schedule(bj);
}

static void accept_at(struct batchjob *bj, const struct event *ev, simtime arrival)
{
	ASSERT(!bj->drained);
	/* arrivals must not go backwards: a later publish with a shorter bus
	 * latency joins the buffer at the latest arrival so far */
	if (arrival < bj->last_arrival)
		arrival = bj->last_arrival;
	bj->last_arrival = arrival;
	firehose_accept(bj->fh, ev, arrival);
	bj->accepted++;
	/* O(1): only an empty buffer's first event or a size flush moves the
	 * next firehose time earlier */
	if (!bj->fh_handle || firehose_next_time(bj->fh) < bj->fh_at)
		fh_schedule(bj);
}

void batchjob_accept(struct batchjob *bj, const struct event *ev)
{
	accept_at(bj, ev, calendar_now(bj->cal));
}

int batchjob_deliver(void *batchjob, const struct event *ev, simtime now, simtime delay)
{
	accept_at(batchjob, ev, now + delay);
	return 0;
}

int batchjob_drain(struct batchjob *bj, struct error *err)
{
	int rc;

	if (bj->failed)
		return error_set(err, bj->fatal.code, "%s", bj->fatal.msg);
	if (bj->fh_handle) {
		calendar_cancel(bj->cal, bj->fh_handle);
		bj->fh_handle = 0;
	}
	bj->drained = true;
	rc = firehose_drain(bj->fh, calendar_now(bj->cal), err);
	if (rc)
		error_prefix(err, "draining the firehose: ");
	return rc;
}

const struct error *batchjob_error(const struct batchjob *bj)
{
	return bj->failed ? &bj->fatal : NULL;
}

/* ---- the daily workflow ---- */

static uint64_t total_rows(const struct batchjob *bj)
{
	uint64_t rows = 0;

	for (int i = 0; i < BATCH_TABLE_COUNT; i++)
		rows += batch_table(bj->batch, (enum batch_table_id)i)->n;
	return rows;
}

static int op_begin(void *ctx, enum workflow_step step, int day, simtime trigger, simtime now,
		    struct workflow_work *work, struct error *err)
{
	struct batchjob *bj = ctx;
	simtime end = batchjob_window_end(bj, trigger);
	struct lake_scan_stats st;
	int rc;

	(void)day;
	(void)now;
	switch (step) {
	case WORKFLOW_COLLECT:
		batch_begin(bj->batch, end);
		rc = lake_scan(bj->lake, end - bj->cfg.batch.window, end, batch_add, bj->batch, &st,
			       err);
		if (rc)
			return error_prefix(err, "collect: ");
		work->events = st.events;
		bj->last_events = batch_events(bj->batch);
		return 0;
	case WORKFLOW_COMPUTE:
		/* idempotent, so a retried compute recomputes the same tables */
		batch_finish(bj->batch, bj->declared.n ? &bj->declared : NULL);
		work->events = batch_events(bj->batch);
		work->rows = total_rows(bj);
		return 0;
	default:
		/* the write happens at the end of the attempt (write_time) */
		work->rows = total_rows(bj);
		return 0;
	}
}

static void snapshots_swap(struct batchjob *bj, struct fsindex **fresh, simtime end)
{
	for (int i = 0; i < BATCH_TABLE_COUNT; i++) {
		fsindex_free(bj->snap[i]);
		bj->snap[i] = fresh[i];
	}
	bj->data_end = end;
}

static int persist(struct batchjob *bj, simtime end, simtime now, struct error *err)
{
	struct fsindex *fresh[BATCH_TABLE_COUNT] = { 0 };
	uint64_t rows = 0;
	int rc, i;

	/* the four groups in one transaction: a failed persist leaves the
	 * store as it was, so the catch really keeps yesterday's features */
	if ((rc = featurestore_begin(bj->fs, err)))
		return rc;
	for (i = 0; i < BATCH_TABLE_COUNT; i++) {
		const struct batch_table *t = batch_table(bj->batch, (enum batch_table_id)i);

		if (t->n && (rc = featurestore_write(bj->fs, bj->group[i], t->entity, NULL, end,
						     t->values, t->n, now, err)))
			goto out_rollback;
		rows += t->n;
	}
	if ((rc = featurestore_commit(bj->fs, err)))
		return rc; /* a failed commit has rolled back */
	bj->last_rows = rows;
	/* the tables are stored: free the job's working memory before the
	 * snapshots are read back (a retry after a failed snapshot writes
	 * nothing more and reads the same stored rows) */
	batch_trim(bj->batch);
	/* serving snapshots from the online tables: an entity absent today
	 * keeps its latest row until the TTL expires it */
	for (i = 0; i < BATCH_TABLE_COUNT; i++)
		if (!(fresh[i] = fsindex_new(bj->fs, bj->group[i], err))) {
			rc = err->code ? err->code : ERR_DB;
			goto out_snap;
		}
	snapshots_swap(bj, fresh, end);
	return 0;
out_snap:
	for (i = 0; i < BATCH_TABLE_COUNT; i++)
		fsindex_free(fresh[i]);
	return rc;
out_rollback:
	featurestore_rollback(bj->fs);
	return rc;
}

static int op_finish(void *ctx, enum workflow_step step, int day, simtime trigger, simtime now,
		     struct error *err)
{
	struct batchjob *bj = ctx;

	(void)day;
	if (step != WORKFLOW_PERSIST)
		return 0;
	return persist(bj, batchjob_window_end(bj, trigger), now, err);
}

static void op_transition(void *ctx, const struct workflow_transition *tr)
{
	struct batchjob *bj = ctx;

	if (bj->on_transition)
		bj->on_transition(bj->ctx, tr);
}

static void wf_fire(void *ctx, uint64_t arg, simtime now);

static void wf_schedule(struct batchjob *bj)
{
	bj->wf_handle = calendar_schedule(bj->cal, workflow_next_time(bj->wf), wf_fire, bj, 0);
}

static void wf_fire(void *ctx, uint64_t arg, simtime now)
{
	struct batchjob *bj = ctx;

	(void)arg;
	bj->wf_handle = 0;
	/* deliveries due now go into the lake before a collect starting now */
	if (bj->fh_handle && bj->fh_at <= now) {
		calendar_cancel(bj->cal, bj->fh_handle);
		fh_fire(bj, 0, now);
	}
	workflow_advance(bj->wf, now);
	wf_schedule(bj);
}

/* ---- the history phase ---- */

int batchjob_history_write(struct batchjob *bj, simtime hour, const struct event *evs, size_t n,
			   struct error *err)
{
	int rc;

	ASSERT(bj->accepted == 0 && hour + SIMTIME_HOUR <= 0);
	if (n == 0)
		return 0;
	if ((rc = lake_write(bj->lake, hour, evs, n, err)) == 0)
		bj->history_events += n;
	return rc;
}

int batchjob_history_job(struct batchjob *bj, simtime trigger, struct error *err)
{
	simtime end = batchjob_window_end(bj, trigger);
	int rc;

	batch_begin(bj->batch, end);
	if ((rc = lake_scan(bj->lake, end - bj->cfg.batch.window, end, batch_add, bj->batch, NULL,
			    err)) != 0)
		return error_prefix(err, "history job: collect: ");
	bj->last_events = batch_events(bj->batch);
	batch_finish(bj->batch, bj->declared.n ? &bj->declared : NULL);
	if ((rc = persist(bj, end, trigger, err)) != 0)
		return error_prefix(err, "history job: persist: ");
	return 0;
}

uint64_t batchjob_history_events(const struct batchjob *bj) { return bj->history_events; }

/* ---- lifecycle ---- */

struct batchjob *batchjob_new(const struct batchjob_config *cfg, const char *run_dir,
			      struct calendar *cal, const struct batch_declared *declared,
			      batchjob_transition_fn on_transition, void *ctx,
			      struct error *err)
{
	static const struct workflow_ops ops = { op_begin, op_finish, op_transition };
	struct batchjob *bj = xcalloc(1, sizeof(*bj));
	char *path = NULL, date[16];

	bj->cfg = *cfg;
	bj->cal = cal;
	bj->on_transition = on_transition;
	bj->ctx = ctx;
	bj->data_end = -1;
	bj->last_arrival = INT64_MIN;
	if (declared && declared->n) {
		bj->decl_user = xmalloc(declared->n * sizeof(*bj->decl_user));
		bj->decl_topic = xmalloc(declared->n * sizeof(*bj->decl_topic));
		memcpy(bj->decl_user, declared->user, declared->n * sizeof(*bj->decl_user));
		memcpy(bj->decl_topic, declared->topic, declared->n * sizeof(*bj->decl_topic));
		bj->declared = (struct batch_declared){ bj->decl_user, bj->decl_topic, declared->n };
	}
	if (!(bj->fh = firehose_new(&cfg->firehose, lake_sink, bj, err)) ||
	    !(bj->batch = batch_new(&cfg->batch, err)) ||
	    !(bj->lake = lake_open(run_dir, cfg->epoch_day, err)))
		goto out_free;
	path = xasprintf("%s/features.db", run_dir);
	if (!(bj->fs = featurestore_open(path, err)))
		goto out_free;
	/* lets tools turn calendar dates into simulated times */
	lake_format_date(cfg->epoch_day, date, sizeof(date));
	if (featurestore_set_meta(bj->fs, "epoch_date", date, err))
		goto out_free;
	for (int i = 0; i < BATCH_TABLE_COUNT; i++) {
		const struct batch_table *t = batch_table(bj->batch, (enum batch_table_id)i);
		int g = featurestore_define(bj->fs, t->name, BATCHJOB_GROUP_VERSION, t->features, t->k,
					    cfg->batch.feature_ttl, err);

		if (g < 0)
			goto out_free;
		bj->group[i] = g;
	}
	if (!(bj->wf = workflow_new(&cfg->workflow, &ops, bj, err)))
		goto out_free;
	free(path);
	wf_schedule(bj);
	return bj;
out_free:
	error_prefix(err, "batch path in '%s': ", run_dir);
	free(path);
	batchjob_free(bj);
	return NULL;
}

struct batchjob *batchjob_open_serving(const struct batchjob_config *cfg, const char *run_dir,
				       struct error *err)
{
	struct batchjob *bj = xcalloc(1, sizeof(*bj));
	char *path = xasprintf("%s/features.db", run_dir);

	bj->cfg = *cfg;
	bj->data_end = -1;
	bj->drained = true;   /* nothing is ever accepted */
	if (!(bj->batch = batch_new(&cfg->batch, err)) ||
	    !(bj->fs = featurestore_open_readonly(path, err)))
		goto out_free;
	for (int i = 0; i < BATCH_TABLE_COUNT; i++) {
		const struct batch_table *t = batch_table(bj->batch, (enum batch_table_id)i);
		int g = featurestore_group(bj->fs, t->name, BATCHJOB_GROUP_VERSION, err);
		simtime et;

		if (g < 0 || !(bj->snap[i] = fsindex_new(bj->fs, g, err)))
			goto out_free;
		bj->group[i] = g;
		et = fsindex_event_time(bj->snap[i]);
		if (et > bj->data_end)
			bj->data_end = et;
	}
	free(path);
	return bj;
out_free:
	if (!err->code)
		error_set(err, ERR_DB, "cannot read the feature store");
	error_prefix(err, "serving features from '%s': ", path);
	free(path);
	batchjob_free(bj);
	return NULL;
}

void batchjob_free(struct batchjob *bj)
{
	if (!bj)
		return;
	if (bj->fh_handle)
		calendar_cancel(bj->cal, bj->fh_handle);
	if (bj->wf_handle)
		calendar_cancel(bj->cal, bj->wf_handle);
	for (int i = 0; i < BATCH_TABLE_COUNT; i++)
		fsindex_free(bj->snap[i]);
	workflow_free(bj->wf);
	featurestore_free(bj->fs);
	lake_free(bj->lake);
	batch_free(bj->batch);
	firehose_free(bj->fh);
	free(bj->decl_user);
	free(bj->decl_topic);
	free(bj);
}

/* ---- serving reads ---- */

static size_t read_rows(const struct fsindex *snap, size_t k, const uint32_t *a, const uint32_t *b32, const uint16_t *b16, size_t n,
			simtime now, float *out)
{
	size_t hits = 0;
	struct fsindex_span span = { 0 };
	bool pair = b32 || b16;

	for (size_t i = 0; i < n; i++) {
		int64_t e = b32 ? (int64_t)((uint64_t)a[i] << 32 | b32[i])
			    : b16 ? (int64_t)((uint64_t)a[i] << 32 | b16[i]) : (int64_t)a[i];
		const float *row = NULL;
		float *o = out + i * k;

		/* Pairs come in runs of one user (a page's candidates): find
		 * the user's rows once, then look within them. */
		if (snap && pair) {
			if (i == 0 || a[i] != a[i - 1])
				fsindex_span(snap, a[i], &span);
			row = fsindex_span_may_hold(&span, (uint32_t)e)
				      ? fsindex_row_in(snap, &span, e, now) : NULL;
		} else if (snap) {
			row = fsindex_row(snap, e, now);
		}

		if (row) {
			memcpy(o, row, k * sizeof(float));
			hits++;
		} else {
			for (size_t j = 0; j < k; j++)
				o[j] = NAN;
		}
	}
	return hits;
}

size_t batchjob_user_features(const struct batchjob *bj, const uint32_t *users, size_t n,
			      simtime now, float *out)
{
	return read_rows(bj->snap[BATCH_USER], BATCHJOB_USER_WIDTH, users, NULL, NULL, n,
			 now, out);
}

size_t batchjob_creator_features(const struct batchjob *bj, const uint32_t *creators,
				 size_t n, simtime now, float *out)
{
	return read_rows(bj->snap[BATCH_CREATOR], BATCHJOB_CREATOR_WIDTH, creators, NULL,
			 NULL, n, now, out);
}

size_t batchjob_user_topic_features(const struct batchjob *bj, const uint32_t *users,
				    const uint16_t *topics, size_t n, simtime now, float *out)
{
	return read_rows(bj->snap[BATCH_USER_TOPIC], BATCHJOB_USER_TOPIC_WIDTH, users, NULL,
			 topics, n, now, out);
}

size_t batchjob_user_creator_features(const struct batchjob *bj, const uint32_t *users,
				      const uint32_t *creators, size_t n, simtime now,
				      float *out)
{
	return read_rows(bj->snap[BATCH_USER_CREATOR], BATCHJOB_USER_CREATOR_WIDTH, users,
			 creators, NULL, n, now, out);
}

simtime batchjob_data_end(const struct batchjob *bj) { return bj->data_end; }

const char *const *batchjob_feature_names(const struct batchjob *bj, enum batch_table_id id,
					  size_t *k)
{
	const struct batch_table *t = batch_table(bj->batch, id);

	*k = t->k;
	return t->features;
}

/* ---- state ---- */

uint64_t batchjob_successes(const struct batchjob *bj) { return workflow_successes(bj->wf); }
uint64_t batchjob_alarms(const struct batchjob *bj) { return workflow_alarms(bj->wf); }
uint64_t batchjob_accepted(const struct batchjob *bj) { return bj->accepted; }
uint64_t batchjob_lake_events(const struct batchjob *bj) { return bj->lake_events; }
size_t batchjob_partitions(const struct batchjob *bj) { return lake_partition_count(bj->lake); }
uint64_t batchjob_last_events(const struct batchjob *bj) { return bj->last_events; }
uint64_t batchjob_last_rows(const struct batchjob *bj) { return bj->last_rows; }
const struct workflow *batchjob_workflow(const struct batchjob *bj) { return bj->wf; }
int batchjob_group(const struct batchjob *bj, enum batch_table_id id)
{
	ASSERT(id < BATCH_TABLE_COUNT);
	return bj->group[id];
}

struct featurestore *batchjob_featurestore(struct batchjob *bj) { return bj->fs; }
struct lake *batchjob_lake(struct batchjob *bj) { return bj->lake; }
