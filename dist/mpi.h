#ifndef AIRTIME_DIST_MPI_H
#define AIRTIME_DIST_MPI_H
/*
 * The dist/ work queue over MPI (OpenMPI): the ranks of one `mpirun -np N
 * airtime ...` job.  Rank 0 is the master: it decides the study, sends
 * every rank the setup (dist_mpi_send_setup), hands out tasks one at a
 * time to whichever rank is idle and runs tasks itself in a thread of its
 * own (so N ranks on N cores keep N cores busy; only the main thread
 * calls MPI: MPI_THREAD_FUNNELED).  Other ranks receive the setup, then
 * run tasks until told to stop (dist_mpi_worker).
 *
 * MPI is used only when the process was started by mpirun
 * (dist_mpi_launched: OMPI_COMM_WORLD_SIZE is set); a plain `airtime`
 * never calls MPI_Init, so it needs no MPI runtime.  Waiting is polling
 * with sleeps of at most a millisecond (MPI_Iprobe), never MPI's busy
 * wait: an idle rank must not take a core from a rank that is working on
 * the same machine.
 *
 * MPI errors are fatal (MPI's default handler): a rank that dies takes
 * the job down, and the study is resumed from its journal.  This file is
 * the only one compiled with MPI's headers; the rest of the library does
 * not know MPI exists.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/pack.h"
#include "dist/dist.h"

/* Was this process started by mpirun (OMPI_COMM_WORLD_SIZE set)? */
bool dist_mpi_launched(void);

/* MPI_Init_thread; *rank and *size of MPI_COMM_WORLD.  Once per process. */
int dist_mpi_init(int *rank, int *size, struct error *err);
/* MPI_Finalize (when initialised). */
void dist_mpi_finalize(void);

/* Rank 0: send every other rank the study's setup: code 0 and the bytes
 * the workers need, or the negative code of a study that failed before
 * it started (the bytes are then ignored). */
void dist_mpi_send_setup(int code, const void *data, size_t len);
/* Other ranks: wait for rank 0's setup; *code as sent, the bytes
 * appended to `out`. */
int dist_mpi_recv_setup(int *code, struct pack *out, struct error *err);

/* Every rank: replace v (n counters) by their sum over the ranks
 * (MPI_Allreduce in place).  Integers, so the sum is exact and the same
 * whatever the number of ranks: the exchange of shared counters at a
 * simulated-time barrier that docs/scale-out.md designs, here so that its
 * cost can be measured (bench/bench_dist.c). */
int dist_mpi_sum_u64(uint64_t *v, size_t n, struct error *err);

/* Rank 0: run the queue over every rank, rank 0's own thread included;
 * every other rank is told to stop at the end.  Returns as
 * dist_local_run. */
int dist_mpi_master(const struct dist_job *job, struct error *err);
/* Other ranks: run the tasks rank 0 hands out until it says stop. */
int dist_mpi_worker(const struct dist_job *job, struct error *err);

#endif
