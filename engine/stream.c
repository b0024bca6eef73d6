/* The streaming path's driver on the calendar; see stream.h. */
#include "engine/stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/calendar.h"
#include "common/series.h"
#include "common/xalloc.h"
#include "engine/redisstore.h"

struct slot {
	struct workers_batch b;
	uint32_t attempts;     /* store-write attempts that found it down */
	bool busy;
};

struct stream {
	struct stream_config cfg;
	struct calendar *cal;
	struct bus *bus;
	struct queue *q;
	struct workers *w;
	struct pit *pit;
	struct online *store;
	struct redisstore *redis;  /* store = redis: the mirror */

	struct slot *slots;
	struct queue_msg *msgs;    /* [slot * batch_size + i] */
	struct queue_msg *scratch; /* one batch being received */
	uint32_t batch_size;

	calendar_handle pump_h;
	simtime pump_at;
	bool tick_pending, sample_pending;
	simtime idle_since;        /* pollers idle since (long polls count) */
	simtime throttled_since;   /* messages waiting, every slot under the limit busy */

	struct hist refl;
	struct hist refl_feature[PIT_TABLES][PIT_SHOW_FEATURES];
	struct series *refl_series, *depth, *inflight, *oldest, *conc;
	simtime end;

	struct stream_counts c;
	struct error err;          /* last internal error (I/O on the log) */
};

void stream_config_init(struct stream_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	queue_config_init(&cfg->queue);
	workers_config_init(&cfg->workers);
	pit_config_init(&cfg->pit);
	online_config_init(&cfg->online);
	cfg->topic = 0;
	cfg->start = 0;
	cfg->length = SIMTIME_DAY;
	cfg->reflection_highest = SIMTIME_DAY;
	cfg->seed = 1;
	snprintf(cfg->redis_prefix, sizeof(cfg->redis_prefix), "airtime");
}

/* ---- the Redis mirror (online_mirror over engine/redisstore) ---- */

static void mirror_stage(void *ctx, int table, uint32_t entity, int feature, float value,
			 simtime stored_at)
{
	redisstore_stage(ctx, table, entity, feature, value, stored_at);
}

static int mirror_flush(void *ctx)
{
	struct error e;

	return redisstore_flush(ctx, &e);
}

static int mirror_read(void *ctx, int table, const uint32_t *entities, size_t n, int nf,
		       float *values, simtime *stored_at)
{
	struct error e;

	return redisstore_read(ctx, table, entities, n, nf, values, stored_at, &e);
}

static void pump(struct stream *s, simtime now);

/* ---- calendar plumbing ---- */

static void on_pump(void *ctx, uint64_t arg, simtime now)
{
	struct stream *s = ctx;

	(void)arg;
	s->pump_h = 0;
	s->pump_at = SIMTIME_NEVER;
	pump(s, now);
}

static void want_pump(struct stream *s, simtime at)
{
	simtime now = calendar_now(s->cal);

	if (at == SIMTIME_NEVER || at >= s->pump_at)
		return;
	if (at < now)
		at = now;
	if (s->pump_h && calendar_reschedule(s->cal, s->pump_h, at)) {
		s->pump_at = at;
		return;
	}
	s->pump_h = calendar_schedule(s->cal, at, on_pump, s, 0);
	s->pump_at = at;
}

/* ---- feature writes and reflection ---- */

static bool in_range(const struct stream *s, simtime t)
{
	return t >= s->cfg.start && t < s->end;
}

static int sink(void *ctx, const struct pit_write *pw, const struct event *cause, simtime now)
{
	struct stream *s = ctx;
	int rc = online_write(s->store, pw->table, pw->entity, pw->feature, pw->value,
			      pw->event_time, pw->seq, now, NULL);

	if (rc == ONLINE_STALE)
		return 0;
	if (rc != 0) {
		s->c.write_failures++;
		return rc;
	}
	if (cause) {
		int64_t r = now - cause->emit_time;
		if (r < 0)
			r = 0;
		hist_record(&s->refl, r);
		hist_record(&s->refl_feature[pw->table][pw->feature], r);
		if (in_range(s, now))
			series_record(s->refl_series, now, r);
		s->c.reflection_writes++;
	}
	return 0;
}

static void on_tick(void *ctx, uint64_t arg, simtime now)
{
	struct stream *s = ctx;
	simtime next;

	(void)arg;
	s->tick_pending = false;
	if (online_available(s->store, now)) {
		pit_tick(s->pit, now, sink, s);
		if (online_commit(s->store, &s->err) != 0)
			s->c.commit_failures++;
	}
	next = pit_next_tick(s->pit);
	if (next != SIMTIME_NEVER) {
		calendar_schedule(s->cal, next > now ? next : now + s->cfg.pit.bucket, on_tick, s, 0);
		s->tick_pending = true;
	}
}

static void want_tick(struct stream *s)
{
	simtime next;

	if (s->tick_pending)
		return;
	next = pit_next_tick(s->pit);
	if (next == SIMTIME_NEVER)
		return;
	calendar_schedule(s->cal, next, on_tick, s, 0);
	s->tick_pending = true;
}

static void on_sample(void *ctx, uint64_t arg, simtime now)
{
	struct stream *s = ctx;

	(void)arg;
	if (in_range(s, now)) {
		series_gauge(s->depth, now, (int64_t)queue_visible(s->q));
		series_gauge(s->inflight, now, (int64_t)queue_inflight(s->q));
		series_gauge(s->oldest, now, queue_oldest_age(s->q, now));
		series_gauge(s->conc, now, (int64_t)workers_in_use(s->w));
	}
	if (now + s->cfg.sample_interval < s->end)
		calendar_schedule(s->cal, now + s->cfg.sample_interval, on_sample, s, 0);
	else
		s->sample_pending = false;
}

/* ---- queue outcomes ---- */

static void on_outcome(void *ctx, const struct event *ev, enum queue_outcome out,
		       enum queue_reason reason, simtime now)
{
	struct stream *s = ctx;

	(void)now;
	/* Deletes (nearly every outcome) need no lookup. */
	/* A feature event lost before it was applied never becomes readable:
	 * it counts in the reflection (freshness) sample as never fresh, at
	 * the histogram's ceiling (and in its overflow), so losing events
	 * cannot improve the percentiles by leaving the sample. */
	if (out == QUEUE_OUT_DEAD_LETTER) {
		if (pit_seen(s->pit, ev->id)) {
			s->c.dead_duplicate++;
		} else {
			s->c.dead_unapplied++;
			s->c.dead_by_reason[reason < QUEUE_REASON_COUNT ? reason : 0]++;
			hist_record(&s->refl, INT64_MAX);
			s->c.never_fresh++;
		}
	} else if (out == QUEUE_OUT_EXPIRED) {
		if (pit_seen(s->pit, ev->id)) {
			s->c.expired_duplicate++;
		} else {
			s->c.expired_unapplied++;
			hist_record(&s->refl, INT64_MAX);
			s->c.never_fresh++;
		}
	}
}

/* ---- batches ---- */

static void on_done(void *ctx, uint64_t arg, simtime now);

static void finish_slot(struct stream *s, uint32_t slot, simtime now)
{
	s->slots[slot].busy = false;
	workers_finish(s->w, slot, now);
	pump(s, now);
}

static void fail_items(struct stream *s, uint32_t slot, uint32_t from, enum queue_reason why)
{
	struct slot *sl = &s->slots[slot];
	struct queue_msg *m = &s->msgs[(size_t)slot * s->batch_size];

	for (uint32_t i = from; i < sl->b.n; i++)
		queue_note_failure(s->q, m[i].handle, why);
}

enum { PREFETCH_ITEMS = 4 };

static void prefetch_item(struct stream *s, const struct event *ev, simtime now)
{
	pit_prefetch(s->pit, ev, now);
	online_prefetch(s->store, PIT_TABLE_SHOW, ev->show);
}

static void on_done(void *ctx, uint64_t arg, simtime now)
{
	struct stream *s = ctx;
	uint32_t slot = (uint32_t)arg;
	struct slot *sl = &s->slots[slot];
	struct queue_msg *m = &s->msgs[(size_t)slot * s->batch_size];
	uint32_t k = sl->b.fail_at, n_del;

	if (!online_available(s->store, now)) {
		sl->attempts++;
		if (sl->attempts < s->cfg.workers.retry_attempts) {
			s->c.store_retries++;
			calendar_schedule(s->cal, now + workers_retry_delay(s->w, sl->attempts), on_done,
					  s, slot);
			return;
		}
		s->c.store_failures++;
		s->c.batch_failures++;
		fail_items(s, slot, 0, QUEUE_REASON_STORE_UNAVAILABLE);
		finish_slot(s, slot, now);
		return;
	}
	/* Start the scattered loads of the next few items while applying
	 * one (hints only). */
	for (uint32_t i = 0; i < k && i < PREFETCH_ITEMS; i++)
		prefetch_item(s, &m[i].ev, now);
	for (uint32_t i = 0; i < k; i++) {
		if (i + PREFETCH_ITEMS < k)
			prefetch_item(s, &m[i + PREFETCH_ITEMS].ev, now);
		switch (pit_apply(s->pit, &m[i].ev, now, sink, s)) {
		case PIT_APPLIED: s->c.applied++; break;
		case PIT_IGNORED: s->c.ignored++; break;
		case PIT_DUPLICATE: s->c.duplicates++; break;
		}
	}
	if (online_commit(s->store, &s->err) != 0) {
		/* Not acknowledged: nothing is deleted, all of it comes back. */
		s->c.commit_failures++;
		s->c.batch_failures++;
		fail_items(s, slot, 0, QUEUE_REASON_STORE_UNAVAILABLE);
		finish_slot(s, slot, now);
		return;
	}
	if (k < sl->b.n) {
		s->c.batch_failures++;
		fail_items(s, slot, s->cfg.workers.partial_batch_response ? k : 0,
			   QUEUE_REASON_BATCH_FAILED);
	}
	n_del = k == sl->b.n ? k : (s->cfg.workers.partial_batch_response ? k : 0);
	for (uint32_t i = 0; i < n_del; i++)
		if (queue_delete(s->q, m[i].handle, now) != 0)
			s->c.stale_deletes++;
	want_tick(s);
	finish_slot(s, slot, now);
}

static void pump(struct stream *s, simtime now)
{
	simtime wake = SIMTIME_NEVER, t;

	queue_advance(s->q, now);
	for (;;) {
		size_t visible = queue_visible(s->q);
		uint32_t free = workers_free_slots(s->w, now, visible > 0), take, n, slot;
		struct workers_batch b;

		/* a throttle: messages visible and no slot free under the current
		 * concurrency limit (max_concurrency, or the limit still scaling) */
		if (visible > 0 && free == 0) {
			if (s->throttled_since == SIMTIME_NEVER) {
				s->c.throttles++;
				s->throttled_since = now;
			}
		} else if (s->throttled_since != SIMTIME_NEVER) {
			s->c.throttled_us += (uint64_t)(now - s->throttled_since);
			s->throttled_since = SIMTIME_NEVER;
		}
		if (visible == 0) {
			if (s->idle_since == SIMTIME_NEVER)
				s->idle_since = now;
			break;
		}
		if (s->idle_since != SIMTIME_NEVER) {
			uint64_t polls = (uint64_t)((now - s->idle_since) / s->cfg.queue.receive_wait);
			polls *= workers_limit(s->w);
			queue_empty_receives(s->q, polls);
			s->c.empty_receives += polls;
			s->idle_since = SIMTIME_NEVER;
		}
		if (free == 0)
			break;
		take = workers_take(s->w, now, visible, &t);
		if (take == 0) {
			if (t < wake)
				wake = t;
			break;
		}
		n = (uint32_t)queue_receive(s->q, now, take, s->scratch);
		if (n == 0)
			break;  /* in-flight limit reached */
		workers_start(s->w, now, n, &b);
		slot = b.slot;
		memcpy(&s->msgs[(size_t)slot * s->batch_size], s->scratch, n * sizeof(*s->scratch));
		s->slots[slot].b = b;
		s->slots[slot].attempts = 0;
		s->slots[slot].busy = true;
		s->c.batches++;
		calendar_schedule(s->cal, b.done_at, on_done, s, slot);
	}
	t = queue_next_time(s->q);
	if (t < wake)
		wake = t;
	t = workers_next_scale(s->w, queue_visible(s->q) > 0);
	if (t < wake)
		wake = t;
	if (wake <= now)
		wake = now + 1;
	want_pump(s, wake);
}

/* ---- publish ---- */

static int deliver_pit(void *ctx, const struct event *ev, simtime now, simtime delay)
{
	struct stream *s = ctx;
	int rc = queue_send(s->q, ev, now, delay);

	if (rc == 0)
		want_pump(s, now + delay);
	return rc;
}

int stream_publish(struct stream *s, const struct event *ev)
{
	simtime now = calendar_now(s->cal);
	const struct bus_sub_stats *st = bus_sub_stats(s->bus, 0);
	uint64_t filtered = st->filtered;
	int rc;

	s->c.published++;
	rc = bus_publish(s->bus, s->cfg.topic, ev, now);
	if (st->filtered != filtered)
		s->c.filtered++;
	if (rc == ERR_FULL)
		s->c.rejected++;
	return rc;
}

/* ---- life cycle ---- */

struct stream *stream_new(const struct stream_config *cfg, struct calendar *cal,
			  struct error *err)
{
	struct stream *s;
	struct online_table_spec tables[PIT_TABLES];
	size_t nmin;
	uint32_t mask = bus_type_bit(EVENT_LIKE) | bus_type_bit(EVENT_LISTEN_START) |
			bus_type_bit(EVENT_LISTEN_END) | bus_type_bit(EVENT_FOLLOW);

	if (cfg->length <= 0 || cfg->sample_interval <= 0 || cfg->reflection_highest <= 0)
		return error_set(err, ERR_INPUT, "stream: run length, sample interval and "
				 "reflection range must be positive"), NULL;
	if (cfg->outage_end < cfg->outage_start)
		return error_set(err, ERR_INPUT, "stream: store outage ends before it starts"), NULL;
	s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	s->cal = cal;
	s->end = cfg->start + cfg->length;
	s->pump_at = SIMTIME_NEVER;
	s->idle_since = SIMTIME_NEVER;
	s->throttled_since = SIMTIME_NEVER;
	s->batch_size = cfg->workers.batch_size;
	if (!(s->q = queue_new(&cfg->queue, err)) || !(s->w = workers_new(&cfg->workers, err)) ||
	    !(s->pit = pit_new(&cfg->pit, err)))
		goto out_free;
	tables[PIT_TABLE_SHOW] = (struct online_table_spec){ cfg->pit.n_shows, PIT_SHOW_FEATURES };
	tables[PIT_TABLE_CREATOR] =
		(struct online_table_spec){ cfg->pit.n_creators, PIT_CREATOR_FEATURES };
	if (!(s->store = online_new(&cfg->online, tables, PIT_TABLES, err)))
		goto out_free;
	if (cfg->outage_end > cfg->outage_start &&
	    online_add_outage(s->store, cfg->outage_start, cfg->outage_end, err) != 0)
		goto out_free;
	if (cfg->store == STREAM_STORE_REDIS) {
		struct online_mirror m = { NULL, mirror_stage, mirror_flush, mirror_read };

		if (!(s->redis = redisstore_open(cfg->redis_url, cfg->redis_prefix, 5000, err))) {
			error_prefix(err, "[stream] store = redis: ");
			goto out_free;
		}
		m.ctx = s->redis;
		online_set_mirror(s->store, &m);
	}
	queue_set_outcome_fn(s->q, on_outcome, s);
	s->bus = bus_new(cfg->seed);
	if (bus_subscribe(s->bus, cfg->topic, mask, cfg->pit_latency, deliver_pit, s, err) < 0)
		goto out_free;
	s->slots = xcalloc(cfg->workers.max_concurrency, sizeof(*s->slots));
	s->msgs = xcalloc((size_t)cfg->workers.max_concurrency * s->batch_size, sizeof(*s->msgs));
	s->scratch = xcalloc(s->batch_size, sizeof(*s->scratch));
	if (hist_init(&s->refl, cfg->reflection_highest, 3, err) != 0)
		goto out_free;
	for (int t = 0; t < PIT_TABLES; t++)
		for (int f = 0; f < pit_feature_count(t); f++)
			if (hist_init(&s->refl_feature[t][f], cfg->reflection_highest, 2, err) != 0)
				goto out_free;
	nmin = (size_t)((cfg->length + SIMTIME_MIN - 1) / SIMTIME_MIN);
	/* Labels for people: whoever stores a series names it (eval/worldrun
	 * hands them to results/worldstore). */
	if (!(s->refl_series = series_new("stream reflection (us)", cfg->start, SIMTIME_MIN, nmin,
					  cfg->reflection_highest, 2, err)) ||
	    !(s->depth = series_new("stream queue depth", cfg->start, SIMTIME_MIN, nmin, 0, 0,
				    err)) ||
	    !(s->inflight = series_new("stream queue in flight", cfg->start, SIMTIME_MIN, nmin, 0,
				       0, err)) ||
	    !(s->oldest = series_new("stream queue oldest age (us)", cfg->start, SIMTIME_MIN, nmin,
				     0, 0, err)) ||
	    !(s->conc = series_new("stream workers in use", cfg->start, SIMTIME_MIN, nmin, 0, 0,
				   err)))
		goto out_free;
	{
		simtime now = calendar_now(cal), first = now > cfg->start ? now : cfg->start;
		if (first < s->end) {
			calendar_schedule(cal, first, on_sample, s, 0);
			s->sample_pending = true;
		}
	}
	return s;
out_free:
	stream_free(s);
	return NULL;
}

void stream_free(struct stream *s)
{
	if (!s)
		return;
	/* Pending calendar entries point at s: run the calendar no further
	 * once the stream is freed (free the calendar with it). */
	series_free(s->refl_series);
	series_free(s->depth);
	series_free(s->inflight);
	series_free(s->oldest);
	series_free(s->conc);
	hist_release(&s->refl);
	for (int t = 0; t < PIT_TABLES; t++)
		for (int f = 0; f < PIT_SHOW_FEATURES; f++)
			hist_release(&s->refl_feature[t][f]);
	free(s->slots);
	free(s->msgs);
	free(s->scratch);
	bus_free(s->bus);
	online_free(s->store);
	redisstore_free(s->redis);
	pit_free(s->pit);
	workers_free(s->w);
	queue_free(s->q);
	free(s);
}

bool stream_idle(const struct stream *s)
{
	return queue_size(s->q) == 0 && workers_in_use(s->w) == 0;
}

uint64_t stream_unsettled(const struct stream *s)
{
	const struct stream_counts *c = &s->c;
	uint64_t settled = c->filtered + c->rejected + c->applied + c->ignored + c->dead_unapplied +
			   c->expired_unapplied;

	/* Beyond the dedup bound (pit.h) a redelivered event may be applied a
	 * second time and is then counted twice: a documented limit of bounded
	 * memory, visible in pit_stats()->dedup_evicted_live, not a broken
	 * invariant. */
	return settled <= c->published ? c->published - settled : 0;
}

const struct stream_counts *stream_counts(const struct stream *s) { return &s->c; }
const struct hist *stream_reflection(const struct stream *s) { return &s->refl; }

const struct hist *stream_reflection_feature(const struct stream *s, int table, int feature)
{
	ASSERT(table >= 0 && table < PIT_TABLES && feature >= 0 &&
	       feature < pit_feature_count(table));
	return &s->refl_feature[table][feature];
}

const struct series *stream_reflection_series(const struct stream *s) { return s->refl_series; }
const struct series *stream_depth_series(const struct stream *s) { return s->depth; }
const struct series *stream_inflight_series(const struct stream *s) { return s->inflight; }
const struct series *stream_oldest_series(const struct stream *s) { return s->oldest; }
const struct series *stream_concurrency_series(const struct stream *s) { return s->conc; }
struct bus *stream_bus(struct stream *s) { return s->bus; }
struct online *stream_online(struct stream *s) { return s->store; }
const struct redisstore *stream_redis(const struct stream *s) { return s->redis; }

int stream_redis_check(const struct stream *s, struct error *err)
{
	const struct online_stats *st;

	if (!s->redis)
		return 0;
	if (redisstore_failed(s->redis))
		return error_set(err, ERR_IO, "[stream] store = redis: %s",
				 redisstore_error(s->redis));
	st = online_stats(s->store);
	if (st->mirror_mismatches)
		return error_set(err, ERR_IO, "[stream] store = redis: Redis at %s returned %llu of "
				 "%llu feature values that differ from the embedded store's",
				 redisstore_where(s->redis),
				 (unsigned long long)st->mirror_mismatches,
				 (unsigned long long)st->mirror_cells);
	return 0;
}
const struct queue *stream_queue(const struct stream *s) { return s->q; }
const struct workers *stream_workers(const struct stream *s) { return s->w; }
const struct pit *stream_pit(const struct stream *s) { return s->pit; }
