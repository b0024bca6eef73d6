/* Tests for engine/workpool.c: every block gets its result whatever thread
 * runs it, a late helper is taken over and stays "busy" until it leaves,
 * inline jobs, bad arguments.  Nothing here asserts on speed. */
#include "engine/workpool.h"

#include "check_main.h"
#include "common/rng.h"
#include "common/xalloc.h"

#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

enum { MAX_ITEMS = 4096, MAX_THREADS = 4 };

/* A job: out[i] = value(seed, i) in place for the caller, into the slot's
 * own array for a helper; collect copies. */
struct job {
	uint64_t seed;
	double *out;
	double *slot_out[MAX_THREADS];
	_Atomic unsigned long ran[MAX_THREADS];   /* items per slot */
};

static double value(uint64_t seed, size_t i)
{
	return (double)rng_hash4(seed, RNG_TEST, i, 0) / 18446744073709551616.0;
}

static void run_block(void *ctx, unsigned slot, size_t begin, size_t end)
{
	struct job *j = ctx;
	double *o = slot ? j->slot_out[slot] : j->out;

	for (size_t i = begin; i < end; i++)
		o[i] = value(j->seed, i);
	atomic_fetch_add(&j->ran[slot], end - begin);
}

static void collect(void *ctx, unsigned slot, size_t begin, size_t end)
{
	struct job *j = ctx;

	memcpy(j->out + begin, j->slot_out[slot] + begin, (end - begin) * sizeof(double));
}

static void job_init(struct job *j)
{
	memset(j, 0, sizeof(*j));
	j->out = xcalloc(MAX_ITEMS, sizeof(double));
	for (int s = 1; s < MAX_THREADS; s++)
		j->slot_out[s] = xcalloc(MAX_ITEMS, sizeof(double));
}

static void job_release(struct job *j)
{
	free(j->out);
	for (int s = 1; s < MAX_THREADS; s++)
		free(j->slot_out[s]);
}

/* 500 jobs of random sizes and block sizes on 1..4 threads: every item
 * has its value (out is poisoned with NaN before each job).  Jobs are
 * handed out mostly back to back, so helpers are mostly awake and take
 * blocks, with pauses that let them sleep and wake-ups ahead of jobs;
 * two job structs alternate, each reused only once workpool_busy() says
 * no helper is in its last job (the contract of workpool.h). */
START_TEST(every_block_gets_its_result)
{
	struct error err = { 0 };

	for (unsigned threads = 1; threads <= MAX_THREADS; threads++) {
		struct workpool *p = workpool_new(threads, MAX_ITEMS, &err);
		struct job jobs[2];
		uint32_t last[2] = { 0, 0 };
		unsigned long helped = 0;
		struct rng r;

		ck_assert_msg(p != NULL, "%s", err.msg);
		ck_assert_uint_eq(workpool_threads(p), threads);
		job_init(&jobs[0]);
		job_init(&jobs[1]);
		rng_init(&r, 7, RNG_TEST, threads, 0);
		for (int k = 0; k < 500; k++) {
			struct job *j = &jobs[k % 2];
			size_t n = (size_t)rng_below(&r, 2000), block = 1 + (size_t)rng_below(&r, 100);

			while (workpool_busy(p, last[k % 2]))
				sched_yield();   /* let a preempted helper leave */
			/* Now and then let the helpers fall asleep, and wake
			 * them ahead of some jobs (workpool_wake). */
			if (k % 50 == 0) {
				struct timespec ts = { 0, 300000 };

				nanosleep(&ts, NULL);
			}
			if (k % 3 == 0)
				workpool_wake(p);
			j->seed = (uint64_t)k;
			for (size_t i = 0; i < MAX_ITEMS; i++)
				j->out[i] = NAN;
			last[k % 2] = workpool_run(p, n, block, run_block, collect, j);
			for (size_t i = 0; i < n; i++)
				ck_assert_msg(j->out[i] == value(j->seed, i),
					      "threads %u job %d item %zu of %zu", threads, k, i, n);
			ck_assert_msg(isnan(j->out[n]), "item past the end written");
		}
		for (int s = 1; s < (int)threads; s++)
			helped += atomic_load(&jobs[0].ran[s]) + atomic_load(&jobs[1].ran[s]);
		if (threads == 1)
			ck_assert_uint_eq(helped, 0);
		workpool_free(p);
		job_release(&jobs[0]);
		job_release(&jobs[1]);
	}
}
END_TEST

/* A helper stuck in its block: the caller runs that block itself, returns
 * with every result, and workpool_busy() reports the job until the helper
 * has left it.  The caller's first block waits (up to 10 s) for the helper
 * to start one, so the takeover happens unless the helper is never
 * scheduled at all, in which case only the results are checked. */
struct stuck {
	struct job job;
	_Atomic int entered, release;
};

static void wait_flag(_Atomic int *flag)
{
	struct timespec ts = { 0, 100000 };

	for (int i = 0; i < 100000 && !atomic_load(flag); i++)
		nanosleep(&ts, NULL);
}

static void stuck_block(void *ctx, unsigned slot, size_t begin, size_t end)
{
	struct stuck *s = ctx;

	if (slot) {
		atomic_store(&s->entered, 1);
		wait_flag(&s->release);
	} else if (begin == 0) {
		wait_flag(&s->entered);
	}
	run_block(&s->job, slot, begin, end);
}

static void stuck_collect(void *ctx, unsigned slot, size_t begin, size_t end)
{
	collect(&((struct stuck *)ctx)->job, slot, begin, end);
}

START_TEST(late_helper_is_taken_over_and_busy_until_it_leaves)
{
	struct error err = { 0 };
	struct workpool *p = workpool_new(2, 1000, &err);
	struct stuck *s = xcalloc(1, sizeof(*s));
	uint32_t job;

	ck_assert_msg(p != NULL, "%s", err.msg);
	job_init(&s->job);
	s->job.seed = 11;
	job = workpool_run(p, 64, 1, stuck_block, stuck_collect, s);
	ck_assert_uint_ne(job, 0);
	for (size_t i = 0; i < 64; i++)
		ck_assert(s->job.out[i] == value(11, i));
	if (atomic_load(&s->entered)) {
		/* The helper sits in its block until released. */
		ck_assert(workpool_busy(p, job));
		ck_assert(!workpool_busy(p, job + 1));
		atomic_store(&s->release, 1);
		for (int i = 0; i < 100000 && workpool_busy(p, job); i++) {
			struct timespec ts = { 0, 100000 };

			nanosleep(&ts, NULL);
		}
		ck_assert(!workpool_busy(p, job));
	}
	atomic_store(&s->release, 1);
	/* The pool goes on working after a takeover. */
	s->job.seed = 12;
	job = workpool_run(p, 1000, 7, stuck_block, stuck_collect, s);
	for (size_t i = 0; i < 1000; i++)
		ck_assert(s->job.out[i] == value(12, i));
	workpool_free(p);
	job_release(&s->job);
	free(s);
}
END_TEST

/* One block, no items, or one thread: the caller alone, job number 0. */
START_TEST(small_jobs_run_inline)
{
	struct error err = { 0 };
	struct workpool *p = workpool_new(3, 4, &err);
	struct job j;

	ck_assert_msg(p != NULL, "%s", err.msg);
	job_init(&j);
	j.seed = 3;
	ck_assert_uint_eq(workpool_run(p, 50, 64, run_block, collect, &j), 0);
	ck_assert_uint_eq(atomic_load(&j.ran[0]), 50);
	ck_assert(j.out[49] == value(3, 49));
	ck_assert_uint_eq(workpool_run(p, 0, 64, run_block, collect, &j), 0);
	ck_assert_uint_eq(atomic_load(&j.ran[0]), 50);
	ck_assert(!workpool_busy(p, 0));
	workpool_free(p);
	workpool_free(NULL);
	job_release(&j);
}
END_TEST

START_TEST(bad_arguments_are_input_errors)
{
	struct error err = { 0 };

	ck_assert_ptr_null(workpool_new(0, 4, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "threads"));
	ck_assert_ptr_null(workpool_new(65, 4, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_null(workpool_new(2, 0, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "blocks"));
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, every_block_gets_its_result);
	tcase_add_test(tc, late_helper_is_taken_over_and_busy_until_it_leaves);
	tcase_add_test(tc, small_jobs_run_inline);
	tcase_add_test(tc, bad_arguments_are_input_errors);
}

CHECK_MAIN("workpool", add_tests, 120)
