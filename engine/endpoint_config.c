/* The rules between [endpoint] keys; see endpoint.h.  Kept apart from
 * endpoint.c so the model links without the scenario parser. */
#include "engine/endpoint.h"

#include "common/scenario.h"

int endpoint_config_check(const struct endpoint_config *cfg, const struct scenario *sc,
			  struct error *err)
{
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
