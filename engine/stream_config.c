/*
 * The rules between [stream] and [faults] keys, checked once their values
 * are in the streaming path's config structs (declared in stream.h).  Kept
 * apart from the passive modules so they link without the scenario parser.
 * The keys and the fields they fill are rows of config/config_keys.c.
 */
#include "engine/stream.h"

#include "common/scenario.h"

int stream_config_check(struct stream_config *cfg, const struct scenario *sc, struct error *err)
{
	const struct workers_config *w = &cfg->workers;
	char at[SCENARIO_WHERE_MAX], val[64];

	/* No copy of a message is delivered later than its retention after it
	 * was sent (plus publish latency and a batch's run time). */
	cfg->pit.dedup_horizon = cfg->queue.retention + SIMTIME_HOUR;
	if (cfg->pit.window % SIMTIME_MIN != 0)
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
