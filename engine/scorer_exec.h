#ifndef AIRTIME_SCORER_EXEC_H
#define AIRTIME_SCORER_EXEC_H
#include "common/error.h"
#include "engine/scorer.h"

struct scorer *scorer_exec_new(const struct scorer_config *cfg,
			       const struct airtime_schema *schema, const char *stderr_dir,
			       struct error *err);
#endif
