#include "engine/scorer_exec.h"

struct scorer *scorer_exec_new(const struct scorer_config *cfg,
			       const struct airtime_schema *schema, const char *stderr_dir,
			       struct error *err)
{
	(void)schema, (void)stderr_dir;
	error_set(err, ERR_INPUT, "ranker '%s': exec not yet", cfg->name);
	return NULL;
}
