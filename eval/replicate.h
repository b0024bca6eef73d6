#ifndef AIRTIME_REPLICATE_H
#define AIRTIME_REPLICATE_H
/*
 * Replications: one scenario run with every seed of a range, to see what
 * one run's A/B result is worth: how much the lift moves from seed to
 * seed, how often a seed calls it significant, how often an A/A test
 * (treatment = control) raises a false alarm, and how often the intervals
 * cover the truth when the simulator knows it.
 *
 * A replication is a study (eval/study.h): seed N is a complete run
 * (eval/run) in DIR/seed-N made from the scenario text, the --set
 * overrides, then run.seed=N; seeds run on local worker processes or MPI
 * ranks, and a replication whose job was killed resumes where it stopped.
 * Once every seed has run, the study directory holds:
 *   results.db   results/replstore: per seed, per A/B mode and metric, the
 *                lift with its interval and p-values; per mode and metric,
 *                the mean lift over seeds with a t interval, the share of
 *                seeds significant (Holm-adjusted p < alpha, the run's own
 *                verdict), the share with raw p < alpha, and the coverage
 *   report.md, report.html, plots/  render/replreport: the tables and a
 *                forest plot of the per-seed intervals
 *
 * The truth coverage is measured against:
 *   - A/A ([ab] treatment = control): 0 for every metric and mode, exactly
 *     (both arms rank with the same ranker, so no effect exists);
 *   - otherwise, with [ab] mode = both: for the split intervals of seed N,
 *     the twin lift of seed N: the all-treatment world against the
 *     all-control world, same users and common random numbers.  That is
 *     the effect of giving everyone the treatment in that seed's world,
 *     measured without the split's sampling noise; a split interval
 *     missing it is sampling error or interference between the arms (the
 *     split's users share shows, counters and the endpoint);
 *   - otherwise no truth is known and no coverage is reported.
 *
 * Ownership: the spec's strings are borrowed; replicate_result_release
 * frees what replicate_execute filled.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "eval/study.h"
#include "results/replstore.h"

#define REPLICATE_MAX_SEEDS 4096

struct replicate_spec {
	const char *scenario;             /* path of the scenario file */
	const char *const *sets;          /* --set overrides applied to every seed */
	size_t n_sets;
	uint64_t seed_first, seed_last;   /* inclusive */
	const char *resume;               /* resume this directory (its manifest says the rest) */
	const char *out;                  /* study directory, or NULL: reports/NAME-replicate-ID */
	const char *reports_base;         /* parent of named directories ("reports") */
	unsigned jobs;                    /* local worker processes; 0: one per core */
	/* Called as each seed finishes; may be NULL. */
	void (*progress)(void *ctx, const struct study_progress *p);
	void *progress_ctx;
};

struct replicate_result {
	char dir[4096];
	char warning[1024];               /* e.g. plots skipped; "" if none */
	struct replstore_data data;       /* what results.db holds */
	/* An MPI rank other than 0: nothing else is filled; worker_code is
	 * the failure rank 0 reported before the study began (0: none). */
	bool worker;
	int worker_code;
	struct study_stats stats;         /* counts and host measurements */
};

/* "A-B" (inclusive) or "N": ERR_INPUT on a bad form, B < A, or more than
 * REPLICATE_MAX_SEEDS seeds. */
int replicate_parse_seeds(const char *text, uint64_t *first, uint64_t *last, struct error *err);

/* Run (or resume) every seed and write the study's results.  ERR_INPUT for
 * a scenario that does not load or check (nothing is created), or a
 * directory that holds something else.  0 when every seed has run, some
 * perhaps failed (out->data.study.failed). */
int replicate_execute(const struct replicate_spec *spec, struct replicate_result *out,
		      struct error *err);
void replicate_result_release(struct replicate_result *r);

#endif
