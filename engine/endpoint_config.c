/* [endpoint] scenario keys -> struct endpoint_config; see endpoint.h.  Kept
 * apart from endpoint.c so the model links without the scenario parser. */
#include "engine/endpoint.h"

#include <string.h>

#include "common/scenario.h"

int endpoint_config_load(struct endpoint_config *cfg, const struct scenario *sc,
			 struct error *err)
{
	const char *mode = scenario_enum(sc, "endpoint", "service");

	endpoint_config_defaults(cfg);
	cfg->min_instances = (uint32_t)scenario_int(sc, "endpoint", "min_instances");
	cfg->max_instances = (uint32_t)scenario_int(sc, "endpoint", "max_instances");
	cfg->initial_instances = (uint32_t)scenario_int(sc, "endpoint", "initial_instances");
	cfg->concurrency = (uint32_t)scenario_int(sc, "endpoint", "concurrency");
	cfg->queue_capacity = (uint32_t)scenario_int(sc, "endpoint", "queue_capacity");
	cfg->timeout = scenario_duration(sc, "endpoint", "timeout");
	cfg->network_rtt = scenario_duration(sc, "endpoint", "network_rtt");
	cfg->autoscale = scenario_bool(sc, "endpoint", "autoscale");
	cfg->target_invocations = scenario_real(sc, "endpoint", "target_invocations");
	cfg->metric_period = scenario_duration(sc, "endpoint", "metric_period");
	cfg->scale_out_cooldown = scenario_duration(sc, "endpoint", "scale_out_cooldown");
	cfg->scale_in_cooldown = scenario_duration(sc, "endpoint", "scale_in_cooldown");
	cfg->warmup = scenario_duration(sc, "endpoint", "warmup");
	cfg->service_mean = scenario_duration(sc, "endpoint", "service_mean");
	cfg->service_cv = scenario_real(sc, "endpoint", "service_cv");
	cfg->cost_base_ns = scenario_real(sc, "endpoint", "cost_base_ns");
	cfg->cost_candidate_ns = scenario_real(sc, "endpoint", "cost_candidate_ns");
	cfg->cost_feature_ns = scenario_real(sc, "endpoint", "cost_feature_ns");
	cfg->cost_node_ns = scenario_real(sc, "endpoint", "cost_node_ns");
	cfg->cost_call_ns = scenario_real(sc, "endpoint", "cost_call_ns");
	if (!strcmp(mode, "cost"))
		cfg->service = ENDPOINT_SERVICE_COST;
	else if (!strcmp(mode, "exponential"))
		cfg->service = ENDPOINT_SERVICE_EXPONENTIAL;
	else if (!strcmp(mode, "lognormal"))
		cfg->service = ENDPOINT_SERVICE_LOGNORMAL;
	else
		cfg->service = ENDPOINT_SERVICE_CONSTANT;
	/* cross-key checks the table's per-key bounds cannot express */
	if (cfg->min_instances > cfg->max_instances)
		return scenario_order_error(err, sc, "endpoint", "min_instances", "at most",
					    "endpoint", "max_instances");
	if (cfg->initial_instances < cfg->min_instances)
		return scenario_order_error(err, sc, "endpoint", "initial_instances", "at least",
					    "endpoint", "min_instances");
	if (cfg->initial_instances > cfg->max_instances)
		return scenario_order_error(err, sc, "endpoint", "initial_instances", "at most",
					    "endpoint", "max_instances");
	if (cfg->network_rtt >= cfg->timeout)
		return scenario_order_error(err, sc, "endpoint", "network_rtt", "below", "endpoint",
					    "timeout");
	return 0;
}
