#ifndef AIRTIME_RUN_H
#define AIRTIME_RUN_H
/*
 * The run lifecycle: one scenario + seed -> one run directory.
 *
 * A run builds the world (sim/), wires the pipeline under test (engine/:
 * streaming path, batch path, ranker, serving endpoint) and simulates:
 *   warm-up days     everyone gets the control ranker; impressions of a
 *                    sample of sessions are logged with the features served
 *   training         at the end of the warm-up the forest is trained on the
 *                    logged impressions (label: tuned in from that slot)
 *   experiment days  users are assigned to arms by salted hash (split), or
 *                    the whole world runs one arm (twin worlds)
 * then analyses the experiment (stats/abtest), checks the SLOs (stats/slo),
 * stores everything in results.db and writes the report.
 *
 * With a trace (opt->trace_in) the worlds replay the recorded events instead
 * of simulating people (split: one world, its users divided between the
 * arms; twin: one world per arm).  Each arm's ranker serves its users'
 * requests (a forest trains on the trace's warm-up impressions), but no
 * behaviour model says what users would have done with another page: the
 * trace's outcomes are the same in every arm, so no engagement A/B is made;
 * the serving side is compared per arm (run_summary.serving, metrics
 * serving.* per arm), the SLOs per world, and off-policy estimates are
 * made when the trace's impressions carry the logging policy's
 * propensities ([ope] targets; no truth: the trace has none).
 *
 * [ab] mode: split runs one world, its users divided between the arms;
 * twin runs one world per arm (everyone on that arm's ranker) with common
 * random numbers, so time and memory grow with the arms (every world is
 * kept until the analysis); both runs the split world and the twin worlds
 * and reports the interference bias of the split estimate.  Every
 * treatment arm is analysed against the control (stats/abtest).
 *
 * The run directory appears only when the run succeeded (results/rundir):
 * nothing half-written is ever left behind.  Same scenario and seed give
 * the same results.db tables byte for byte, host measurements aside.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/simtime.h"
#include "stats/slo.h"
#include "eval/ope.h"
#include "eval/worldrun.h"

struct scenario;

struct run_progress {
	const char *world;       /* "split", or a twin world's arm: "control", "treatment", ... */
	int world_index, worlds; /* 1-based index and count */
	simtime now, end;        /* simulated time */
	uint64_t events;         /* events emitted so far in this world */
};

struct run_options {
	const char *out;          /* explicit run directory, or NULL */
	const char *reports_base; /* parent of named run directories ("reports") */
	const char *trace_in;     /* replay this trace instead of the synthetic population */
	const char *trace_out;    /* write the first world's event stream here */
	bool trace_out_csv;       /* ... as CSV (else compact binary) */
	bool no_report;           /* skip report.md/html (trace export) */
	/* Called about every simulated hour; may be NULL. */
	void (*progress)(void *ctx, const struct run_progress *p);
	void *progress_ctx;
};

/* Most treatment arms of a run (arms but the control). */
#define RUN_TREATMENT_ARMS_MAX 7

/* One arm of a replayed trace: what its requests cost the serving side. */
#define RUN_SERVING_MAX 16
struct run_serving {
	char world[64], arm[48], ranker[48];
	struct worldrun_arm_serving s;
};

/* Most off-policy results of a run (targets). */
#define RUN_OPE_MAX CONFIG_OPE_TARGETS_MAX

/* One treatment arm's headline lifts (relative; NaN when not estimable). */
struct run_arm_summary {
	char name[48];            /* the arm's label ("treatment", "forest", ...) */
	char ranker[48];          /* its ranker ("forest") */
	double engagement_rel, engagement_lo, engagement_hi;
	double listening_rel, listening_lo, listening_hi;
};

struct run_summary {
	char dir[4096];           /* the committed run directory */
	char warning[1024];       /* non-fatal problems (e.g. plots skipped); "" if none */
	uint64_t events;          /* over all worlds */
	size_t slo_pass, slo_fail;
	struct slo_table slo_failed; /* the failing rows, every world's (named after it) */
	bool srm_flagged;
	/* The primary A/B result (split, else twin): the first treatment arm's. */
	double engagement_rel, engagement_lo, engagement_hi;
	double listening_rel, listening_lo, listening_hi;
	/* Every treatment arm of that analysis, in [ab] order (0 for a replay). */
	size_t n_arms;
	struct run_arm_summary arms[RUN_TREATMENT_ARMS_MAX];
	/* A replayed trace: no engagement A/B (its outcomes do not depend on
	 * the arm), the serving side per world and arm instead. */
	bool replay;
	size_t n_serving;
	struct run_serving serving[RUN_SERVING_MAX];
	/* [ope] targets: each target's estimates against its truth. */
	size_t n_ope;
	struct ope_result ope[RUN_OPE_MAX];
};

/* Apply every check a run makes to its scenario before it builds anything
 * (config_load: the modules' rules between keys; then worldrun_check): 0,
 * or ERR_INPUT naming file, line and key as the parser does.  `airtime
 * validate` uses it. */
int run_check(const struct scenario *sc, struct error *err);

/* Execute the scenario.  ERR_INPUT for a scenario the run cannot accept,
 * other codes when the run failed; in both cases no run directory remains.
 * The scenario is checked (run_check) before the directory is created; the
 * few checks that need the built world come later, and their failure
 * removes the directory like any other. */
int run_execute(const struct scenario *sc, const struct run_options *opt,
		struct run_summary *out, struct error *err);

#endif
