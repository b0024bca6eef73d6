#ifndef AIRTIME_TESTS_SCORERFIX_H
#define AIRTIME_TESTS_SCORERFIX_H
/*
 * Fixtures of the scorer suites (test_scorer, test_scorer_plugin,
 * test_scorer_exec): a [ranker.NAME] made in code, a page to score, tiny
 * runs with rankers, and a dump of what a run simulated for bit-for-bit
 * comparisons of rankers.
 *
 * Paths are relative to the repository root, where the suites run; the
 * plugins are built into TEST_BUILD (the Makefile's build directory).
 */
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "engine/scorer.h"
#include "eval/run.h"

/* TEST_BUILD "/tests/plugins/libNAME.so" */
#define SCORERFIX_PLUGIN(name) TEST_BUILD "/tests/plugins/lib" name ".so"
#define SCORERFIX_EXAMPLE(name) TEST_BUILD "/examples/lib" name ".so"
#define SCORERFIX_PYTHON "/usr/bin/python3"

/* A ranker called `name` of `kind`; target is its path, command or model;
 * mode (may be NULL) becomes option.mode. */
void scorerfix_config(struct scorer_config *cfg, const char *name, enum scorer_kind kind,
		      const char *target, const char *mode);
/* Three features (pit_likes, user.x, ctx_is_live), 10 topics, 100 users,
 * stderr into dir. */
void scorerfix_env(struct scorer_env *env, const char *dir);
/* A page of 5 candidates (shows 10..14) for user 7 at simulated time now;
 * valid until the next call. */
const struct airtime_page *scorerfix_page(simtime now);

/* A tiny run (300 users, 60 creators, 1 + 1 days, 10 trees, every session
 * logged, no plots, constant endpoint service so rankers of different cost
 * simulate the same) of scenarios/default.ini plus `ini` (text appended
 * to it, e.g. [ranker.NAME] sections) and the --set overrides, into out. */
int scorerfix_run(const char *ini, const char *const *sets, size_t n_sets, const char *out,
		  struct run_summary *sum, struct error *err);
/* What run directory dir simulated, as text (caller frees): every table
 * but those only a trained forest writes (curves, importance, training.*,
 * model.*, skew.* and rank.forest_rows_scored metrics, training.* facts),
 * without host measurements or the scenario's text. */
char *scorerfix_dump(const char *dir);
/* Whether the process has any child left (a zombie included). */
bool scorerfix_has_children(void);

#endif
