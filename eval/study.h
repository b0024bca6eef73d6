#ifndef AIRTIME_STUDY_H
#define AIRTIME_STUDY_H
/*
 * A study: one scenario run as many cells (a sweep's grid cells, a
 * replication's seeds), each cell a full run in its own directory inside
 * the study directory (results/studydir.h), its summary packed into the
 * study's journal.  This file runs the cells; eval/sweep and
 * eval/replicate say what a cell is (struct study_kind) and turn the
 * stored summaries into the study's results.
 *
 * Where cells run:
 *   - started by mpirun (dist/mpi.h), on every rank: rank 0 drives (opens
 *     the study directory, hands out cells, stores results, runs cells in
 *     a thread of its own too); other ranks run the cells they are given
 *     and return with study_outcome.worker set;
 *   - otherwise on local worker processes (dist_local_run), --jobs of
 *     them (default: one per core), this process driving.
 * Either way only the driver writes the journal and the study's results,
 * and the summaries it hands back are every cell's, read back from the
 * journal in cell order: they are the same bytes whatever the number of
 * ranks or jobs, and whether the study ran in one go or was resumed.
 *
 * Resuming: a study directory that already holds this study (the same
 * manifest) is resumed: cells stored as done are skipped, the others
 * (failed ones included) run again, each in a freshly emptied directory.
 *
 * A cell that fails is stored as failed with its message, the others
 * still run.  Test hook (STYLE.md 12): AIRTIME_STUDY_FAIL_CELLS="2,5"
 * makes cells 2 and 5 fail, in whichever process runs them, with
 * "injected failure of cell N (AIRTIME_STUDY_FAIL_CELLS)".
 *
 * Ownership: the manifest and options are borrowed; study_outcome_release
 * frees what study_execute filled and releases the study's lock.
 */
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/pack.h"
#include "results/studydir.h"

/* What a cell is, for one kind of study. */
struct study_kind {
	const char *name;       /* "sweep", "replicate": the manifest's kind */
	/* What running cells needs, from the manifest: *ctx and the number of
	 * cells.  With `check`, also load and check every cell's scenario
	 * (the driver, before anything is created: a bad cell stops the
	 * study before it begins, with ERR_INPUT naming it). */
	int (*open)(const struct study_manifest *m, bool check, void **ctx, size_t *n_cells,
		    struct error *err);
	void (*close)(void *ctx);
	/* Cell i's run directory, relative to the study: a new string. */
	char *(*cell_name)(void *ctx, size_t cell);
	/* Run cell i into `dir` (which does not exist) and pack its summary. */
	int (*run_cell)(void *ctx, size_t cell, const char *dir, struct pack *summary,
			struct error *err);
};

/* One cell finished (on the driver, in the order cells finish). */
struct study_progress {
	size_t cell, cells;
	const char *name;
	bool done;                /* else failed, with error */
	const char *error;
	size_t finished, to_run;  /* this session */
	const char *worker, *host;  /* host measurements */
	double run_s;
};

struct study_options {
	const char *out;          /* the study directory, or NULL:
				   * REPORTS_BASE/NAME-KIND-<id> */
	const char *reports_base; /* "reports" when NULL */
	unsigned jobs;            /* local worker processes; 0: one per core */
	void (*progress)(void *ctx, const struct study_progress *p);
	void *progress_ctx;
};

struct study_cell {
	char *name;               /* "seed-7" */
	bool done;                /* else failed */
	char *error;              /* "" when done */
	void *summary;            /* the packed summary of a done cell */
	size_t len;
};

/* How a study went: counts, and host measurements for logs and benches. */
struct study_stats {
	size_t skipped;           /* stored as done before this session */
	size_t ran, failed;       /* run this session; failed among every cell */
	bool mpi;
	int ranks;                /* MPI ranks, or local worker processes */
	double wall_s;            /* the driver's study time (outputs not included) */
	double transfer_median_s, transfer_max_s; /* per cell: hand-out to arrival, less the run */
	double store_median_s, store_max_s;       /* per cell: the journal's durable write */
};

struct study_outcome {
	/* An MPI rank other than 0: it ran the cells it was given and has
	 * nothing to report; worker_code is rank 0's early failure (0: none). */
	bool worker;
	int worker_code;
	/* The driver: the study directory, open and locked until release. */
	struct studydir *sd;
	char dir[4096];
	size_t n_cells;
	struct study_cell *cells; /* every cell, by index */
	struct study_stats stats;
};

/* Is this process an MPI rank other than 0 (it then calls study_execute
 * with no manifest: rank 0 sends it)?  Decided from the environment,
 * before MPI_Init. */
bool study_is_worker(void);
/* Run (or resume) the study of manifest `m` (NULL on a worker).  0 once
 * every cell has been run and stored (cells may have failed: see
 * out->failed), or the error that stopped the study (ERR_INPUT: a bad
 * cell, a directory holding something else). */
int study_execute(const struct study_kind *kind, const struct study_manifest *m,
		  const struct study_options *o, struct study_outcome *out, struct error *err);
/* The driver failed before it could start the study: when started by
 * mpirun, tell the other ranks (they return with worker_code rc).
 * Returns rc. */
int study_abort(int rc);
/* Free, release the lock; after every study_execute, whatever it returned. */
void study_outcome_release(struct study_outcome *o);

#endif
