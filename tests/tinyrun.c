/* A tiny run directory for the serving tests; see tinyrun.h. */
#include "tests/tinyrun.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "eval/run.h"
#include "tests/tmpdir.h"

char *tinyrun_dir;

char *tinyrun_make(const char *parent, struct error *err)
{
	static const char *const sets[] = {
		"world.users=500",       "world.creators=100",      "run.warmup_days=1",
		"run.experiment_days=1", "model.trees=10",          "model.sample_sessions=100%",
		"spike.promo.start=30h", "spike.promo.magnitude=200", "report.plots=false",
	};
	struct run_options ro = { 0 };
	struct run_summary sum;
	struct scenario *sc;
	char *out = xasprintf("%s/run", parent);

	sc = scenario_load(&config_schema, "scenarios/default.ini", sets, sizeof(sets) / sizeof(sets[0]), err);
	if (!sc) {
		free(out);
		return NULL;
	}
	ro.out = out;
	if (run_execute(sc, &ro, &sum, err) < 0) {
		scenario_free(sc);
		free(out);
		return NULL;
	}
	scenario_free(sc);
	return out;
}

void tinyrun_setup(void)
{
	struct error err = { 0 };

	tmpdir_setup();
	tinyrun_dir = tinyrun_make(tmpdir, &err);
	if (!tinyrun_dir)
		fprintf(stderr, "tinyrun: %s\n", err.msg);
	ck_assert_ptr_nonnull(tinyrun_dir);
}

void tinyrun_teardown(void)
{
	tmpdir_teardown();
	free(tinyrun_dir);
	tinyrun_dir = NULL;
}
