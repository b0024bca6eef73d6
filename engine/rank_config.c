/* [rank] scenario keys -> struct rank_config; see rank.h.  Kept apart from
 * rank.c so the ranker links without the scenario parser. */
#include "engine/rank.h"

#include "common/scenario.h"

int rank_config_load(struct rank_config *cfg, const struct scenario *sc, struct error *err)
{
	rank_config_defaults(cfg);
	cfg->horizon = scenario_duration(sc, "rank", "horizon");
	cfg->late_grace = scenario_duration(sc, "rank", "late_grace");
	cfg->max_candidates = (uint32_t)scenario_int(sc, "rank", "max_candidates");
	cfg->k = (uint32_t)scenario_int(sc, "rank", "k");
	cfg->host_timing = scenario_bool(sc, "rank", "host_timing");
	if (cfg->k > cfg->max_candidates)
		return scenario_order_error(err, sc, "rank", "k", "at most", "rank", "max_candidates");
	return 0;
}
