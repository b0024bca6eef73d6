#ifndef AIRTIME_DIST_H
#define AIRTIME_DIST_H
/*
 * Running numbered tasks in other processes, with a dynamic work queue: a
 * master hands out task indices one at a time to whichever worker is
 * idle, workers run them and send back the task's output bytes (or its
 * error), the master hands each finished task to a `done` callback and
 * the worker its next task.  Two transports, same contract:
 *
 *   dist_local_run   worker processes forked on this machine, talking
 *                    over pipes (`airtime sweep/replicate --jobs N`)
 *   dist_mpi_*       the ranks of an MPI job (dist/mpi.h; `mpirun -np N
 *                    airtime ...`): rank 0 is the master and runs tasks
 *                    too, in a thread of its own
 *
 * The contract, which eval/study builds on:
 * - every task of the queue is handed out exactly once: a task is never
 *   run twice, not even when its worker dies (it is then reported failed);
 * - a task that fails is reported with its code and message, and the
 *   other tasks still run;
 * - `done` runs on the master only, in the order tasks finish, which
 *   depends on timing: callers that want results independent of the
 *   number of workers order them by task index, never by arrival;
 * - what a task sends back is its output bytes alone: where it ran and how
 *   long it took (struct dist_result's host fields) are host measurements,
 *   for logs, never for results.
 *
 * This folder is a layer of its own above common/ (the only code that
 * knows processes and MPI exist); only eval/ and cli/ use it.  dist/mpi.c
 * is the only file compiled with MPI's headers.
 *
 * Ownership: everything passed in is borrowed for the duration of the
 * call; bytes handed to `done` are valid during the callback only.
 */
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/pack.h"

/* One finished task, as the master sees it. */
struct dist_result {
	size_t task;            /* its index */
	int rc;                 /* 0, or the task's negative ERR_* code */
	const char *error;      /* the task's message when rc < 0, else "" */
	const void *data;       /* the task's output when rc == 0 */
	size_t len;
	/* host measurements */
	int worker;             /* MPI rank (0: rank 0's own thread) or local job 1..N */
	const char *host;       /* the worker's host name */
	long pid;               /* the worker's process id */
	double run_s;           /* seconds the task ran, on its worker's clock */
	double overhead_s;      /* the master's round trip from hand-out to
				 * the result's arrival, less run_s: what the
				 * transport and the queue cost this task */
};

struct dist_job {
	/* Run task `task` in this process; append its output to `out` and
	 * return 0, or return a negative code with err filled. */
	int (*run)(void *ctx, size_t task, struct pack *out, struct error *err);
	void *run_ctx;
	/* On the master, once per finished task.  A negative return stops
	 * the queue: no further task is handed out, the tasks running are
	 * waited for (their results dropped) and the runner returns that
	 * error. */
	int (*done)(void *ctx, const struct dist_result *r, struct error *err);
	void *done_ctx;
	/* The queue: task indices in the order they are handed out. */
	const size_t *tasks;
	size_t n_tasks;
};

/* Worker processes for --jobs 0: the processors online (at least 1). */
unsigned dist_default_jobs(void);

/* Run the queue on `jobs` worker processes forked from this one (at most
 * one per task; jobs 0 means dist_default_jobs()).  Each worker closes
 * every inherited descriptor but its pipes and standard streams and dies
 * with its parent (PR_SET_PDEATHSIG), so a killed master leaves no worker
 * behind.  A worker that dies while running a task (a crash, the OOM
 * killer) makes that task fail with ERR_RUN naming the signal or status;
 * a new worker takes its place.  Returns 0 once every task has been
 * handed to `done`, or the error that stopped the queue (ERR_IO when a
 * worker cannot be started). */
int dist_local_run(const struct dist_job *job, unsigned jobs, struct error *err);

/* Seconds on the monotonic clock. */
double dist_now(void);

#endif
