#ifndef AIRTIME_RUNDIR_H
#define AIRTIME_RUNDIR_H
/*
 * The life cycle of a run directory: there is never a partial one.
 *
 * rundir_begin makes a hidden temporary sibling (BASE/.NAME-ID.tmp-XXXXXX,
 * or next to --out), the run writes everything into rundir_path(), and
 * rundir_commit fsyncs every file in it and renames it into place in one
 * step (so databases inside may run without per-commit fsyncs).  rundir_free of an
 * uncommitted directory removes the temporary tree, so a failed run leaves
 * nothing behind (a process killed outright leaves only the hidden
 * .tmp- sibling, which no reader mistakes for a run).
 *
 * Run id: the first 8 hex digits of a 64-bit FNV-1a hash of (scenario text,
 * overrides, seed).  It is deterministic so the same experiment always gets
 * the same name, runs of one configuration group together in `ls`, and a
 * replay shows at a glance that it used the same inputs; when the name is
 * taken (a rerun, e.g. after a code change) the directory gets a suffix -2,
 * -3, ...  The wall-clock start time lives in results.db (runs.started_utc),
 * not in the name, so names never depend on the clock.  The directory is
 * self-describing because the caller writes the scenario text and seed into
 * it (rundir_write_file).
 *
 * An explicit --out DIR must not exist or be an empty directory; a
 * non-empty one is refused (ERR_INPUT) and left untouched.  Parents are
 * created as needed; one that cannot be written is ERR_IO naming the path.
 *
 * Kill and resume (issue 18): the temporary directory holds a lock file
 * (RUNDIR_LOCK, the owner's pid, flock'ed while it runs: the lock dies with
 * the process however it dies).  rundir_begin looks at the other temporary
 * directories of its parent: a dead run's (its lock free) is removed, or,
 * when it holds checkpoints (RUNDIR_CHECKPOINT), left and reported
 * (rundir_notes) for `airtime run --resume`; a live run's is left alone.
 * rundir_resume adopts a dead run's temporary directory, keeping its
 * inputs and checkpoints and removing the rest, so the run is replayed into
 * it from the start.  Checkpoints and the lock are removed at commit.
 *
 * Ownership: struct rundir is opaque; rundir_free releases it (NULL is a
 * no-op).  Returned path strings belong to the rundir unless noted.  Close
 * every file inside before rundir_commit: paths change at commit.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct rundir;
struct scenario;

struct rundir_spec {
	const char *base;          /* parent of named directories, e.g. "reports" */
	const char *name;          /* scenario name: BASE/NAME-<id>; no '/' */
	const char *out;           /* explicit --out DIR (base and name unused), or NULL */
	const char *scenario_text; /* hashed into the run id */
	const char *overrides;     /* --set lines, hashed into the run id; NULL = none */
	uint64_t seed;
};

/* Create the temporary directory.  ERR_INPUT: bad name, non-empty --out;
 * ERR_IO: a parent cannot be created or written. */
int rundir_begin(struct rundir **out, const struct rundir_spec *spec, struct error *err);
/* The lock file and the checkpoint directory inside a temporary directory. */
#define RUNDIR_LOCK ".airtime-lock"
#define RUNDIR_CHECKPOINT "checkpoint"

/* Adopt `tmp`, the temporary directory of a dead run (its lock free), to
 * run it again from its start (see above); spec gives the run id (the
 * inputs read back from tmp).  ERR_INPUT when tmp is not a run's temporary
 * directory or its run is alive. */
int rundir_resume(struct rundir **out, const char *tmp, const struct rundir_spec *spec,
		  struct error *err);
/* Scan `parent` for dead runs' temporary directories (see above): remove
 * those without checkpoints, report every one in *notes (appended, one
 * line each; the caller frees).  Returns how many were found. */
int rundir_stale_scan(const char *parent, char **notes);
/* Lock a scratch directory of one's own as rundir_begin locks its
 * temporary directory (so rundir_stale_scan knows it alive, and removes
 * it once its process is dead): the fd to keep open, or -1. */
int rundir_lock(const char *dir);
/* What rundir_begin found of dead runs (lines), or NULL. */
const char *rundir_notes(const struct rundir *rd);
/* Release; an uncommitted directory is removed first.  NULL is a no-op. */
void rundir_free(struct rundir *rd);

/* The run id (8 hex digits), a function of scenario text, overrides, seed. */
const char *rundir_id(const struct rundir *rd);
/* Where files are to be written: the temporary directory until commit,
 * the final one after. */
const char *rundir_path(const struct rundir *rd);
/* rundir_path()/rel in a new string (caller frees). */
char *rundir_file(const struct rundir *rd, const char *rel);
/* Make a subdirectory (e.g. "plots"). */
int rundir_mkdir(struct rundir *rd, const char *rel, struct error *err);
/* Write a whole file (e.g. "scenario.ini", "seed"). */
int rundir_write_file(struct rundir *rd, const char *rel, const void *data, size_t len,
		      struct error *err);
/* Move the directory into place (BASE/NAME-<id>[-k] or --out).  Afterwards
 * rundir_path() is the final path.  On failure the temporary directory is
 * kept until rundir_free removes it. */
int rundir_commit(struct rundir *rd, struct error *err);

/* The id for (scenario text, overrides, seed), as rundir_id would give it;
 * buf must hold 9 bytes. */
void rundir_make_id(const char *scenario_text, const char *overrides, uint64_t seed,
		    char buf[9]);
/* Remove a directory tree (like rm -rf, without following symlinks);
 * a missing path is not an error. */
int rundir_remove_tree(const char *path, struct error *err);

/* The scenario a committed run directory was run with: DIR/scenario.ini
 * with the --set lines of DIR/overrides.txt, read against config_schema and
 * checked against DIR/seed.
 * ERR_IO names a file that cannot be read; ERR_CORRUPT when the seed file
 * disagrees with the scenario (the directory was edited); the parser's
 * errors otherwise.  The caller frees the scenario. */
struct scenario *rundir_load_scenario(const char *dir, struct error *err);

#endif
