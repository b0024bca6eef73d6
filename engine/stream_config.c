/*
 * Loading [stream] and [faults] keys into the streaming path's config
 * structs (declared in stream.h).  Kept apart from the passive modules so
 * they link without the scenario parser; keys are read once, at set-up.
 * The rows are in common/scenario_keys_stream.inc.
 */
#include "engine/stream.h"

#include <string.h>

#include "common/scenario.h"

int stream_config_load(struct stream_config *cfg, const struct scenario *sc, struct error *err)
{
	struct queue_config *q = &cfg->queue;
	struct workers_config *w = &cfg->workers;
	struct pit_config *p = &cfg->pit;
	struct online_config *o = &cfg->online;
	const char *fs;
	char at[SCENARIO_WHERE_MAX], val[64];

	q->visibility_timeout = scenario_duration(sc, "stream", "visibility_timeout");
	q->max_receive_count = (uint32_t)scenario_int(sc, "stream", "max_receive_count");
	q->retention = scenario_duration(sc, "stream", "retention");
	q->receive_wait = scenario_duration(sc, "stream", "receive_wait");
	q->max_messages = (uint32_t)scenario_int(sc, "stream", "max_messages");
	q->inflight_limit = (uint32_t)scenario_int(sc, "stream", "inflight_limit");
	q->dlq_capacity = (uint32_t)scenario_int(sc, "stream", "dlq_records");
	q->duplicate_rate = scenario_percent(sc, "stream", "duplicate_rate");
	cfg->pit_latency.min = scenario_duration(sc, "stream", "publish_latency_min");
	cfg->pit_latency.mean_extra = scenario_duration(sc, "stream", "publish_latency_mean_extra");

	w->batch_size = (uint32_t)scenario_int(sc, "stream", "batch_size");
	w->batch_window = scenario_duration(sc, "stream", "batch_window");
	w->initial_concurrency = (uint32_t)scenario_int(sc, "stream", "initial_concurrency");
	w->scale_up_per_min = (uint32_t)scenario_int(sc, "stream", "scale_up_per_min");
	w->max_concurrency = (uint32_t)scenario_int(sc, "stream", "max_concurrency");
	w->scale_down_after = scenario_duration(sc, "stream", "scale_down_after");
	w->cold_start = scenario_duration(sc, "stream", "cold_start");
	w->env_idle_ttl = scenario_duration(sc, "stream", "env_idle_ttl");
	w->invoke_overhead = scenario_duration(sc, "stream", "invoke_overhead");
	w->per_message = scenario_duration(sc, "stream", "per_message_cost");
	w->store_write = scenario_duration(sc, "stream", "store_write_latency");
	w->partial_batch_response = scenario_bool(sc, "stream", "partial_batch_response");
	w->retry_base = scenario_duration(sc, "stream", "store_retry_base");
	w->retry_max = scenario_duration(sc, "stream", "store_retry_max");
	w->retry_attempts = (uint32_t)scenario_int(sc, "stream", "store_retry_attempts");
	w->failure_rate = scenario_percent(sc, "faults", "batch_failure_rate");

	p->long_session = scenario_duration(sc, "stream", "long_session");
	p->window = scenario_duration(sc, "stream", "window");
	p->dedup_capacity = (uint32_t)scenario_int(sc, "stream", "dedup_capacity");
	p->session_capacity = (uint32_t)scenario_int(sc, "stream", "session_capacity");
	p->follow_capacity = (uint32_t)scenario_int(sc, "stream", "follow_capacity");
	/* No copy of a message is delivered later than its retention after it
	 * was sent (plus publish latency and a batch's run time). */
	p->dedup_horizon = q->retention + SIMTIME_HOUR;

	fs = scenario_enum(sc, "stream", "store_fsync");
	o->fsync_policy = (enum online_fsync)online_fsync_from_name(fs);
	o->fsync_every = (uint32_t)scenario_int(sc, "stream", "store_fsync_every");
	o->ttl = scenario_duration(sc, "stream", "store_ttl");
	cfg->sample_interval = scenario_duration(sc, "stream", "sample_interval");
	cfg->outage_start = scenario_duration(sc, "faults", "store_outage_start");
	cfg->outage_end = scenario_duration(sc, "faults", "store_outage_end");

	if (p->window % SIMTIME_MIN != 0)
		return error_set(err, ERR_INPUT,
				 "%s: bad value '%s' for [stream] window: expected whole minutes (e.g. 15min)",
				 scenario_where(sc, "stream", "window", at, sizeof(at)),
				 scenario_format(sc, "stream", "window", val, sizeof(val)));
	if (w->initial_concurrency > w->max_concurrency)
		return scenario_order_error(err, sc, "stream", "initial_concurrency", "at most",
					    "stream", "max_concurrency");
	if (w->retry_max < w->retry_base)
		return scenario_order_error(err, sc, "stream", "store_retry_max", "at least", "stream",
					    "store_retry_base");
	if (cfg->outage_end < cfg->outage_start)
		return scenario_order_error(err, sc, "faults", "store_outage_end", "at least",
					    "faults", "store_outage_start");
	return 0;
}
