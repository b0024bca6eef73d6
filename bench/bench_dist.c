/*
 * The cost of handing out a cell, without the cell: a queue of null tasks
 * (each packs 64 bytes and returns at once) over local worker processes
 * (dist_local_run, 2 jobs) and over 2 MPI ranks (dist/mpi.c under mpirun;
 * rank 0 also runs tasks in its thread).  Per task: the master's round
 * trip from hand-out to the result's arrival less the task's own run time
 * (dist_result.overhead_s), median and maximum, and the tasks per second
 * of the whole queue.  Issue 21 asks for an MPI overhead per cell under
 * 50 ms; a study adds one durable journal write per cell (airtime prints
 * both in its closing lines; make bench reports them for real cells too).
 *
 * Under MPI it also times the exchange docs/scale-out.md designs for one
 * world across ranks: an in-place sum of shared counters over every rank
 * (dist_mpi_sum_u64, MPI_Allreduce) at each simulated-time barrier, for
 * vectors of 1 K to 256 K counters; microseconds per exchange (median).
 *
 * Run plainly it measures the local workers, then starts itself under
 * `mpirun -np 2` (when mpirun exists) for the MPI figures.
 */
#include "bench/bench.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "common/pack.h"
#include "dist/dist.h"
#include "dist/mpi.h"

enum { TASKS = 2000 };

struct seen {
	double over[TASKS];
	size_t n;
};

static int null_task(void *ctx, size_t task, struct pack *out, struct error *err)
{
	static const char payload[64] = "a cell's summary rows would be here";

	(void)ctx, (void)err, (void)task;
	pack_bytes(out, payload, sizeof(payload));
	return 0;
}

static int record(void *ctx, const struct dist_result *r, struct error *err)
{
	struct seen *s = ctx;

	(void)err;
	s->over[s->n++] = r->overhead_s;
	return 0;
}

static void report(const char *what, struct seen *s, double wall)
{
	qsort(s->over, s->n, sizeof(double), bench_cmp_double);
	printf("| %s | %zu | %.3f | %.3f | %.3f | %.0f |\n", what, s->n, 1e3 * s->over[s->n / 2],
	       1e3 * s->over[s->n * 99 / 100], 1e3 * s->over[s->n - 1], (double)s->n / wall);
}

static void queue(struct seen *s, struct dist_job *job, size_t *tasks)
{
	for (size_t i = 0; i < TASKS; i++)
		tasks[i] = i;
	job->run = null_task;
	job->done = record;
	job->done_ctx = s;
	job->tasks = tasks;
	job->n_tasks = TASKS;
}

/* The barrier exchange: sums of n counters over the ranks, timed. */
static void exchange(int rank, int size)
{
	static const size_t sizes[] = { 1024, 16384, 262144 };
	struct error err;

	if (rank == 0)
		printf("\nBarrier exchange (%d ranks): in-place sum of n 64-bit counters "
		       "(MPI_Allreduce)\n\n| counters | bytes | median us | p99 us |\n"
		       "| ---: | ---: | ---: | ---: |\n", size);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k], reps = n > 100000 ? 200 : 2000;
		uint64_t *v = calloc(n, sizeof(*v));
		double *t = calloc(reps, sizeof(*t));

		if (!v || !t)
			exit(1);
		for (size_t r = 0; r < reps; r++) {
			double t0;

			for (size_t i = 0; i < n; i++)
				v[i] = i + (size_t)rank;
			t0 = dist_now();
			if (dist_mpi_sum_u64(v, n, &err) < 0)
				exit(1);
			t[r] = dist_now() - t0;
		}
		qsort(t, reps, sizeof(*t), bench_cmp_double);
		if (rank == 0)
			printf("| %zu | %zu | %.1f | %.1f |\n", n, n * 8, 1e6 * t[reps / 2],
			       1e6 * t[reps * 99 / 100]);
		free(v);
		free(t);
	}
}

int main(int argc, char **argv)
{
	static struct seen s;
	static size_t tasks[TASKS];
	struct dist_job job = { 0 };
	struct error err;
	double t0;

	queue(&s, &job, tasks);
	if (dist_mpi_launched()) {
		int rank, size;

		if (dist_mpi_init(&rank, &size, &err) < 0)
			return 1;
		if (rank != 0) {
			struct pack p;
			int code;

			pack_init(&p);
			dist_mpi_recv_setup(&code, &p, &err);
			dist_mpi_worker(&job, &err);
			pack_release(&p);
			exchange(rank, size);
			dist_mpi_finalize();
			return 0;
		}
		dist_mpi_send_setup(0, NULL, 0);
		t0 = dist_now();
		if (dist_mpi_master(&job, &err) < 0)
			return 1;
		report("MPI, 2 ranks (rank 0 works too)", &s, dist_now() - t0);
		fflush(stdout);
		exchange(rank, size);
		dist_mpi_finalize();
		return 0;
	}
	printf("%d null tasks; overhead per task = the master's round trip less the task's own "
	       "time\n\n", TASKS);
	printf("| transport | tasks | median ms | p99 ms | max ms | tasks/s |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
	t0 = dist_now();
	if (dist_local_run(&job, 2, &err) < 0) {
		fprintf(stderr, "bench_dist: %s\n", err.msg);
		return 1;
	}
	report("local worker processes, 2 jobs", &s, dist_now() - t0);
	fflush(stdout);
	if (argc > 0 && system("command -v mpirun > /dev/null 2>&1") == 0) {
		char *cmd = NULL;
		size_t len = strlen(argv[0]) + 256;

		cmd = malloc(len);
		if (!cmd)
			return 1;
		snprintf(cmd, len, "mpirun --oversubscribe --allow-run-as-root --timeout 120 "
			 "-np 2 %s 2>/dev/null", argv[0]);
		if (system(cmd) != 0)
			printf("| MPI, 2 ranks | mpirun failed | | | | |\n");
		free(cmd);
	}
	return 0;
}
