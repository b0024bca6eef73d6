#ifndef AIRTIME_STUDYDIR_H
#define AIRTIME_STUDYDIR_H
/*
 * A study directory: one scenario run as many cells (a sweep's grid
 * cells, a replication's seeds), each cell a full run directory inside
 * it, and the study's own results beside them.  Unlike a run directory it
 * exists while the study runs, so that a study whose job was killed can
 * be resumed; what makes it a study, and what it has done so far, is:
 *
 *   study.txt    the manifest: kind, scenario (name and exact text), the
 *                --set lines, the grid or the seeds.  Written once, first
 *                (atomically); a directory holding one is a study, and a
 *                command naming it resumes it when its own manifest is the
 *                same text (else it is refused)
 *   study.lock   flock()ed by the one process that drives the study (rank
 *                0, or the parent of the local workers) for its whole life;
 *                holds "pid host"; a second driver is refused
 *   cells.db     the journal (SQLite, synchronous=FULL): one row per
 *                finished cell in study_cells (status 'done' or 'failed',
 *                the error, the cell's summary as packed bytes) and one
 *                per attempt in study_attempts (host measurements: where,
 *                how long); written by the driver only, one transaction
 *                per cell
 *   scenario.ini the scenario text, for people
 *   NAME/        each cell's run directory (cell-003, seed-7), written by
 *                whichever process ran the cell
 *
 * and, once every cell has run, the study's results (results.db, report,
 * CSV, plots) written by the driver from the journal, each file under a
 * hidden temporary name renamed into place (studydir_publish).
 *
 * A cell is "stored" when its row in study_cells says 'done'; resuming
 * skips those cells and runs the others again (failed ones too: a failure
 * may have been the machine's).  Opening a study removes what a killed
 * process can leave: hidden temporaries (".NAME.tmp-*" of run directories,
 * reports, databases); the study removes the directory of a cell before
 * running it again.
 *
 * Ownership: struct studydir is opaque (studydir_close releases it and the
 * lock; NULL is a no-op); a manifest owns its strings
 * (study_manifest_release).  Strings passed in are borrowed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define STUDY_MANIFEST "study.txt"
#define STUDY_JOURNAL "cells.db"
#define STUDY_LOCK "study.lock"

struct study_manifest {
	char *kind;                 /* "sweep" | "replicate" */
	char *scenario_name;        /* the path given: names runs and messages */
	char *scenario_text;        /* the exact scenario file */
	char **sets;                /* "section.key=value", every cell */
	size_t n_sets;
	char **grid;                /* sweep: one "key=v1,v2,..." per axis */
	size_t n_grid;
	uint64_t seed_first, seed_last;  /* replicate: the seeds, inclusive */
};

void study_manifest_release(struct study_manifest *m);
/* Copy the borrowed strings of `m` into a manifest of its own. */
void study_manifest_copy(struct study_manifest *dst, const struct study_manifest *src);
/* The manifest as study.txt holds it (a new string; *len its length):
 * one canonical text per study, which is how two are compared. */
char *study_manifest_format(const struct study_manifest *m, size_t *len);
/* Parse study.txt text (`what` names it in messages): ERR_CORRUPT when it
 * is not a manifest. */
int study_manifest_parse(struct study_manifest *m, const char *text, size_t len,
			 const char *what, struct error *err);
/* DIR/study.txt into *m.  ERR_INPUT when DIR holds no study, ERR_IO when
 * it cannot be read, ERR_CORRUPT when it is not a manifest. */
int study_manifest_read(const char *dir, struct study_manifest *m, struct error *err);

/* The directory of a study without --out: BASE/NAME-KIND-<id>, where the
 * id hashes the manifest (the same study always gets the same name, so
 * running the command again resumes it).  A new string. */
char *studydir_default_path(const char *base, const struct study_manifest *m);

struct studydir;

/* Open the study `m` in `dir` with the lock held: a missing or empty
 * directory becomes a new study (parents created, manifest, scenario.ini
 * and an empty journal written); one holding the same manifest is
 * resumed (leftover temporaries removed).  ERR_INPUT: the directory holds
 * another study (naming the first line that differs), something that is
 * not a study, or a study another process is driving (naming it). */
int studydir_open(struct studydir **out, const char *dir, const struct study_manifest *m,
		  struct error *err);
/* Release the lock and free.  NULL is a no-op. */
void studydir_close(struct studydir *sd);

const char *studydir_path(const struct studydir *sd);
/* Whether studydir_open found the study already begun. */
bool studydir_resumed(const struct studydir *sd);
/* studydir_path()/rel, a new string. */
char *studydir_file(const struct studydir *sd, const char *rel);

/* One finished cell in the journal. */
struct studydir_cell {
	size_t cell;
	const char *name;         /* its run directory, relative: "seed-7" */
	bool done;                /* 'done', else 'failed' */
	const char *error;        /* "" when done */
	const void *summary;      /* packed summary (done cells) */
	size_t len;
};

/* Host facts of one attempt, for study_attempts. */
struct studydir_attempt {
	const char *worker;       /* "rank 1", "job 2" */
	const char *host;
	long pid;
	double run_s, transfer_s; /* NaN when unknown */
};

/* Record a finished cell (replacing an earlier row of it) and its
 * attempt, in one durable transaction. */
int studydir_store(struct studydir *sd, const struct studydir_cell *c,
		   const struct studydir_attempt *a, struct error *err);
/* Every stored cell, by cell index; fn's pointers live during the call. */
int studydir_each_cell(struct studydir *sd,
		       int (*fn)(void *ctx, const struct studydir_cell *c), void *ctx,
		       struct error *err);
/* Counts of a study's journal, read-only, without the lock (for progress
 * and tests): cells stored 'done' and 'failed'. */
int studydir_count(const char *dir, size_t *done, size_t *failed, struct error *err);

/* Remove DIR/rel (a cell's run directory about to be run again). */
int studydir_remove(struct studydir *sd, const char *rel, struct error *err);
/* The hidden temporary name of DIR/rel (".rel.tmp"), removed first when
 * a killed process left it; a new string. */
char *studydir_temp(struct studydir *sd, const char *rel);
/* fsync the temporary of rel and rename it into place. */
int studydir_publish(struct studydir *sd, const char *rel, struct error *err);
/* Write DIR/rel whole, through its temporary. */
int studydir_write_file(struct studydir *sd, const char *rel, const void *data, size_t len,
			struct error *err);

#endif
