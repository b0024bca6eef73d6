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
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/simtime.h"
#include "stats/slo.h"
#include "eval/ope.h"
#include "eval/worldrun.h"

struct scenario;

/* The phases of a run, as the progress callback sees them. */
enum run_phase {
	RUN_PHASE_SIMULATION,    /* a world is simulated (about every simulated hour) */
	RUN_PHASE_TRAINING,      /* the forest is trained, the scenario's rankers fitted */
	RUN_PHASE_REPORT,        /* report.md, report.html and the plots are written */
};

/* One call of the progress callback.  `started` is true on the first call
 * of a phase (for a world, of its simulation), `done` on the last (the
 * report and a training are announced once each way).  Between a phase's
 * start and its end the simulation calls about every simulated hour. */
struct run_progress {
	enum run_phase phase;
	bool started, done;
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
	/* Refuse a run whose estimated peak memory (eval/budget.h) is above
	 * this many bytes, before allocating; 0: the machine's available
	 * memory; UINT64_MAX: no limit. */
	uint64_t max_memory;
	/* Resume a killed run: its temporary directory (.NAME.tmp-XXXXXX,
	 * results/rundir.h); the scenario must be the one read back from it
	 * (rundir_load_scenario).  The run is replayed from its start into
	 * that directory, its trainings loaded from the checkpoints the killed
	 * run left (eval/worldrun.h): the results are those of an
	 * uninterrupted run, bit for bit.  NULL: a new run. */
	const char *resume;
	/* Called about every simulated hour and at each phase's start and
	 * end; may be NULL. */
	void (*progress)(void *ctx, const struct run_progress *p);
	void *progress_ctx;
	/* When *stop (may be NULL) becomes nonzero (a signal handler of the
	 * CLI sets it), the run stops at its next check (every simulated
	 * hour, after a training, before the report and before the commit)
	 * and run_execute returns ERR_INTERRUPTED with no run directory left. */
	const volatile sig_atomic_t *stop;
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
	char decision[600];       /* "don't ship: guardrail ... is harmed: ..." (stats/decision) */
};

struct run_summary {
	char dir[4096];           /* the committed run directory */
	char warning[1024];       /* non-fatal problems (e.g. plots skipped); "" if none */
	char notes[2048];         /* dead runs' directories found (rundir_notes); "" if none */
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
 * ERR_INTERRUPTED when opt->stop was raised, other codes when the run
 * failed; in every case no run directory (nor its temporary) remains.
 * The scenario is checked (run_check) before the directory is created; the
 * few checks that need the built world come later, and their failure
 * removes the directory like any other. */
/* The estimated peak memory of sc's run (eval/budget.h), after
 * run_check's checks. */
struct run_budget;
int run_estimate(const struct scenario *sc, struct run_budget *b, struct error *err);

int run_execute(const struct scenario *sc, const struct run_options *opt,
		struct run_summary *out, struct error *err);

#endif
