/* [rank] scenario keys -> struct rank_config; see rank.h.  Kept apart from
 * rank.c so the ranker links without the scenario parser. */
#include "engine/rank.h"

#include "common/scenario.h"

int rank_config_load(struct rank_config *cfg, const struct scenario *sc, struct error *err)
{
	int control = rank_scorer_from_name(scenario_enum(sc, "rank", "control_scorer"));
	int treatment = rank_scorer_from_name(scenario_enum(sc, "rank", "treatment_scorer"));

	rank_config_defaults(cfg);
	if (control < 0 || treatment < 0)
		return error_set(err, ERR_INPUT, "%s: unknown scorer in [rank]", scenario_name(sc));
	cfg->horizon = scenario_duration(sc, "rank", "horizon");
	cfg->late_grace = scenario_duration(sc, "rank", "late_grace");
	cfg->max_candidates = (uint32_t)scenario_int(sc, "rank", "max_candidates");
	cfg->k = (uint32_t)scenario_int(sc, "rank", "k");
	cfg->control = (enum rank_scorer)control;
	cfg->treatment = (enum rank_scorer)treatment;
	cfg->host_timing = scenario_bool(sc, "rank", "host_timing");
	if (cfg->k > cfg->max_candidates)
		return error_set(err, ERR_INPUT, "%s: [rank] k = %u exceeds max_candidates = %u",
				 scenario_name(sc), cfg->k, cfg->max_candidates);
	return 0;
}
