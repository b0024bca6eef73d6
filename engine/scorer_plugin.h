#ifndef AIRTIME_SCORER_PLUGIN_H
#define AIRTIME_SCORER_PLUGIN_H
/*
 * A [ranker.NAME] with kind = plugin: a shared object of the scorer API
 * (include/airtime/scorer.h; manual: docs/ranker-plugins.md) loaded with
 * dlopen(3) from `path` (relative to the working directory; a bare file
 * name is taken from the working directory too, never searched for).
 *
 * Loading checks, each failure one line naming the ranker and the file:
 * the file loads; it exports AIRTIME_SCORER_ENTRY; the table it returns
 * is of API version AIRTIME_SCORER_API_VERSION and at least as large as
 * that version's (struct_size); create and score are set; create() returns
 * an instance.  A plugin runs inside airtime: a crash in it is airtime's
 * crash (kind = exec keeps a ranker in a process of its own).
 *
 * Scores the plugin leaves unwritten, NaN or infinite fail the run, naming
 * the candidate; its own failures (a non-zero return) carry its message.
 * Each page is charged cost_per_candidate of simulated service time per
 * candidate.
 */
#include "common/error.h"
#include "engine/scorer.h"

/* Load cfg->path, check it and create an instance for schema. */
struct scorer *scorer_plugin_new(const struct scorer_config *cfg,
				 const struct airtime_schema *schema, struct error *err);
/* Load and check cfg->path without creating an instance (validate). */
int scorer_plugin_check(const struct scorer_config *cfg, struct error *err);

#endif
