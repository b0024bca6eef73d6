/* The rules between [rank] keys; see rank.h.  Kept apart from rank.c so the
 * ranker links without the scenario parser. */
#include "engine/rank.h"

#include "common/scenario.h"

int rank_config_check(const struct rank_config *cfg, const struct scenario *sc,
		      struct error *err)
{
	if (cfg->k > cfg->max_candidates)
		return scenario_order_error(err, sc, "rank", "k", "at most", "rank", "max_candidates");
	return 0;
}
