#ifndef AIRTIME_REPLSTORE_H
#define AIRTIME_REPLSTORE_H
/*
 * A replication's results.db (airtime replicate: one scenario over many
 * seeds), in the study directory beside the seeds' own run directories:
 * its own small schema, version RESULTS_REPLICATE_SCHEMA_VERSION
 * (results/schema.h), four tables (columns in replstore.c and
 * docs/results-schema.md):
 *   replicate_study    one row: scenario, seeds, arms, whether it is an
 *                      A/A test, the truth coverage is measured against
 *   replicate_cells    one row per seed: run directory, done or failed
 *   replicate_seeds    one row per seed, A/B mode and metric: lift,
 *                      interval, p-values, the truth and whether the
 *                      interval covers it
 *   replicate_summary  one row per A/B mode and metric: the mean lift over
 *                      seeds with its t interval, the shares significant
 *                      and covering, with Wilson intervals
 * Seeds are uint64 stored as their int64 bit pattern, as runs.seed.
 * Nothing in it is a host measurement: written to a new file, the same
 * study gives the same bytes.
 *
 * eval/replicate fills the plain description below and writes it;
 * render/replreport reads it back (replstore_read) for the report.
 * Ownership: replstore_write borrows everything; replstore_read fills a
 * struct replstore_data whose strings and arrays replstore_data_release
 * frees.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "stats/replica.h"

struct replstore_study {
	const char *scenario;        /* the scenario's name (the path given) */
	const char *scenario_text;
	const char *overrides;       /* the --set lines, one per line */
	uint64_t seed_first, seed_last;
	size_t cells, failed;
	const char *ab_mode;         /* split | twin | both */
	const char *control, *treatment;  /* rankers */
	bool aa;                     /* treatment = control: the true lift is 0 */
	double alpha;
	const char *truth;           /* what coverage is measured against, in words */
	const char *git_rev, *version;
};

struct replstore_cell {
	size_t cell;
	uint64_t seed;
	const char *run_dir;         /* relative: "seed-7" */
	bool done;
	const char *error;           /* "" when done */
	uint64_t events;             /* 0 when failed */
	bool srm_flagged;
};

struct replstore_seed {
	uint64_t seed;
	const char *mode;            /* split | twin */
	const char *metric;
	const char *kind;            /* mean | ratio | median */
	bool estimable;
	uint64_t n_t, n_c;
	double rel, rel_lo, rel_hi, p, p_adjusted;   /* NaN when not estimable */
	bool significant;            /* p_adjusted < alpha */
	double truth;                /* NaN when unknown */
	int covered;                 /* 1, 0, or -1 when the truth is unknown */
};

struct replstore_summary {
	const char *mode, *metric;
	struct replica_summary s;
	double share_significant;    /* of s.n */
	double share_rejected, rejected_lo, rejected_hi;   /* raw p < alpha, Wilson */
	double coverage, coverage_lo, coverage_hi;         /* of s.with_truth, Wilson */
};

/* Create the database at `path` (a new file) and write everything in one
 * transaction. */
int replstore_write(const char *path, const struct replstore_study *study,
		    const struct replstore_cell *cells, size_t n_cells,
		    const struct replstore_seed *seeds, size_t n_seeds,
		    const struct replstore_summary *summary, size_t n_summary, struct error *err);

/* Everything of a replication's results.db, as written (rows in order). */
struct replstore_data {
	struct replstore_study study;
	struct replstore_cell *cells;
	size_t n_cells;
	struct replstore_seed *seeds;
	size_t n_seeds;
	struct replstore_summary *summary;
	size_t n_summary;
};

/* Read DIR's results.db: ERR_INPUT when it is not a replication's. */
int replstore_read(const char *path, struct replstore_data *out, struct error *err);
void replstore_data_release(struct replstore_data *d);
/* Is the database at `path` a replication's (it has replicate_study)? */
bool replstore_is(const char *path);

#endif
