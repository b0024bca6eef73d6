#ifndef AIRTIME_ENGINE_SCORER_H
#define AIRTIME_ENGINE_SCORER_H
/*
 * A scorer: what gives each candidate of a home page a score.  Every
 * scorer, airtime's own (forest, heuristic, popularity, random, oracle) and
 * the scenario's [ranker.NAME] sections, is one struct scorer behind one
 * table of operations over the public types of include/airtime/scorer.h:
 * the same page, the same training set, one score per candidate.  There are
 * three ways in:
 *   built in       engine/scorer_builtin.c (heuristic, popularity, random,
 *                  oracle) and engine/scorer_model.c (a row model: the
 *                  forest trained in the run, or `kind = forest` with a
 *                  model file trained elsewhere);
 *   kind = plugin  a shared object loaded with dlopen (engine/scorer_plugin.c);
 *   kind = exec    a child process speaking docs/ranker-protocol.md over its
 *                  standard input and output (engine/scorer_exec.c, the
 *                  frames in engine/scorer_wire.c).
 * engine/rank.c calls them all through scorer_score(), which times the
 * scorers of a scenario's own rankers on the host (a HOST measurement,
 * never part of a simulated result), checks what they return (a finite
 * score each) and names the ranker, the page's simulated time and what was
 * wrong when they fail.
 *
 * Simulated cost: a scorer says what its page cost (struct scorer_cost):
 * the forest the trees and nodes it walked, a scorer whose work airtime
 * cannot count its [ranker.NAME] cost_per_candidate per candidate.  Never
 * host time, so results stay the same bits on any machine.
 *
 * Ownership: scorer_free() ends the scorer (destroy, a child process
 * stopped and reaped); a scorer is used by one thread at a time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/hist.h"
#include "common/scenario.h"
#include "common/simtime.h"
#include "include/airtime/scorer.h"

/* [ranker.NAME] sections a scenario may have, and option.KEY lines each. */
#define SCORER_RANKERS_MAX 8
#define SCORER_OPTIONS_MAX 16

/* [ranker.NAME] kind: values are the indexes of its choices
 * ("forest|plugin|exec"); keep both in the same order. */
enum scorer_kind { SCORER_FOREST = 0, SCORER_PLUGIN, SCORER_EXEC, SCORER_BUILTIN };

/* One [ranker.NAME] section, filled by config_load (config/config_keys.c
 * holds the keys' documentation and defaults). */
struct scorer_config {
	char name[SCENARIO_NAME_MAX + 1];
	enum scorer_kind kind;
	char path[SCENARIO_TEXT_MAX];      /* plugin: the shared object */
	char command[SCENARIO_TEXT_MAX];   /* exec: run with /bin/sh -c */
	char model[SCENARIO_TEXT_MAX];     /* forest: the model file */
	simtime timeout;                   /* exec: wait per reply to SCORE (host time) */
	simtime fit_timeout;               /* exec: wait per reply to HELLO and FIT (host time) */
	simtime cost_per_candidate;        /* simulated service time per candidate (plugin, exec) */
	size_t n_options;
	struct scenario_option options[SCORER_OPTIONS_MAX];  /* option.KEY lines, file order */
};

/* What a page cost, for the endpoint's service-time model. */
struct scorer_cost {
	uint32_t trees;            /* trees evaluated per candidate (0 unless a forest) */
	uint64_t nodes_visited;    /* tree nodes visited over all candidates */
	uint64_t service_ns;       /* simulated ns charged beyond those (cost_per_candidate) */
};

/* A scorer's operations.  self is the instance the constructor made.
 * Messages written into err say what went wrong; scorer_score/_fit add the
 * ranker's name and the simulated time. */
struct scorer_ops {
	const char *kind;          /* "forest", "plugin", "exec", "heuristic", ... */
	bool needs_features;       /* the page must carry its feature matrix */
	/* Optional: learn from the training window (now: simulated time). */
	int (*fit)(void *self, const struct airtime_training_set *set, simtime now,
		   struct error *err);
	/* Required: scores[0 .. page->n - 1] for a page of n >= 1. */
	int (*score)(void *self, const struct airtime_page *page, double *scores,
		     struct scorer_cost *cost, struct error *err);
	/* Optional: a page for this scorer is coming (wake helper threads). */
	void (*prepare)(void *self);
	/* Optional: the world is over and went well: end in order (BYE). */
	int (*close)(void *self, struct error *err);
	/* Optional: release everything (also after a failure). */
	void (*destroy)(void *self);
};

enum {
	SCORER_CHECKED = 1u << 0,  /* check every score is finite (scorers not airtime's own) */
	SCORER_TIMED = 1u << 1,    /* record host ns per page (scorer_host_ns) */
};

struct scorer;

/* A scorer over ops and self (taken: destroyed by scorer_free), named
 * `name` in messages, with SCORER_* flags. */
struct scorer *scorer_wrap(const char *name, const struct scorer_ops *ops, void *self,
			   unsigned flags);
/* End it: close() is not called (see scorer_close), destroy() is; NULL is
 * a no-op. */
void scorer_free(struct scorer *s);

/* The instance behind s when s runs `ops`, else NULL (for the module that
 * made it). */
void *scorer_self(const struct scorer *s, const struct scorer_ops *ops);

/* The name ("forest", "py_logreg") and the kind of its operations. */
const char *scorer_name(const struct scorer *s);
const char *scorer_kind_name(const struct scorer *s);
bool scorer_needs_features(const struct scorer *s);
bool scorer_has_fit(const struct scorer *s);
/* Host ns per page of a SCORER_TIMED scorer, else NULL (HOST measurement). */
const struct hist *scorer_host_ns(const struct scorer *s);
/* Host ns per fit of a SCORER_TIMED scorer, else NULL. */
const struct hist *scorer_host_fit_ns(const struct scorer *s);

/* A page is coming (prepare()); cheap when the scorer has nothing to do. */
void scorer_prepare(struct scorer *s);
/* Score a page of n >= 1 candidates into scores[0..n) and add its cost.
 * On failure the message reads "ranker 'NAME' failed at day D HH:MM:SS.mmm
 * (a page of N candidates for user U): WHAT". */
int scorer_score(struct scorer *s, const struct airtime_page *page, double *scores,
		 struct scorer_cost *cost, struct error *err);
/* Learn from the training set (a no-op without fit()), at simulated time now. */
int scorer_fit(struct scorer *s, const struct airtime_training_set *set, simtime now,
	       struct error *err);
/* The world went well: end in order (a no-op without close()). */
int scorer_close(struct scorer *s, struct error *err);

/* What a scenario's ranker is made with besides its section. */
struct scorer_env {
	const struct airtime_feature *features;  /* the ranker's row layout */
	uint32_t n_features;
	uint32_t n_topics, n_users;
	uint64_t seed;                /* [run] seed: the ranker's own is derived from it */
	uint32_t world;               /* 0-based index of the world */
	unsigned threads;             /* kind = forest: threads scoring a page */
	size_t max_candidates;        /* per page */
	const char *stderr_dir;       /* kind = exec: NAME.stderr goes here */
};

/* The [ranker.NAME] section's scorer: a forest loaded from its model file,
 * a plugin or a child process, set up and checked (version, schema).
 * ERR_INPUT naming the ranker and the file when it cannot be used. */
struct scorer *scorer_new_ranker(const struct scorer_config *cfg, const struct scorer_env *env,
				 struct error *err);
/* What can be checked of a [ranker.NAME] section without starting it: a
 * plugin loads and is of this API version, a model file loads. */
int scorer_check_ranker(const struct scorer_config *cfg, struct error *err);
/* The seed a ranker's schema carries (struct airtime_schema seed). */
uint64_t scorer_ranker_seed(uint64_t run_seed, const char *name);
/* "forest", "plugin", "exec". */
const char *scorer_kind_label(enum scorer_kind k);

/* "day 8 19:02:13.500" (days from 0, the scenario's start date). */
char *scorer_format_time(simtime t, char *buf, size_t n);

#endif
