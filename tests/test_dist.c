/* Tests for dist/local.c and dist/dist_msg.c: the work queue over local
 * worker processes.  Tasks mark a file of their own with O_EXCL, so a task
 * run twice fails; the tests check that every task is handed to `done`
 * exactly once with its output, that a failed task comes back with its
 * code and message while the others complete, that a worker dying in a
 * task (SIGKILL) fails that task only and is replaced, that `done`
 * refusing stops the queue with its error, and that results do not
 * depend on the number of workers.  (dist/mpi.c: test_mpi.) */
#include "dist/dist.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

#define MAX_TASKS 64

/* What the tasks do, by index. */
struct plan {
	int fail[MAX_TASKS];   /* 1: return ERR_INPUT; 2: the worker dies */
};

/* What the master saw. */
struct seen {
	int times[MAX_TASKS];
	int rc[MAX_TASKS];
	char error[MAX_TASKS][256];
	uint64_t output[MAX_TASKS];
	int workers[MAX_TASKS];
	size_t n;
	long refuse_after;     /* done refuses the n-th result (0: never) */
};

static int run(void *ctx, size_t task, struct pack *out, struct error *err)
{
	const struct plan *p = ctx;
	char *mark = xasprintf("%s/task-%zu", tmpdir, task);
	int fd = open(mark, O_WRONLY | O_CREAT | O_EXCL, 0644);

	free(mark);
	if (fd < 0)
		return error_set(err, ERR_RUN, "task %zu ran twice", task);
	close(fd);
	if (p->fail[task] == 1)
		return error_set(err, ERR_INPUT, "task %zu refuses", task);
	if (p->fail[task] == 2)
		raise(SIGKILL);
	pack_u64(out, (uint64_t)task * task);
	return 0;
}

static int done(void *ctx, const struct dist_result *r, struct error *err)
{
	struct seen *s = ctx;
	struct unpack u;

	ck_assert_uint_lt(r->task, MAX_TASKS);
	s->times[r->task]++;
	s->rc[r->task] = r->rc;
	s->workers[r->task] = r->worker;
	snprintf(s->error[r->task], sizeof(s->error[0]), "%s", r->error);
	if (r->rc == 0) {
		unpack_init(&u, r->data, r->len, "a task's output");
		ck_assert_int_eq(unpack_u64(&u, &s->output[r->task], err), 0);
		ck_assert_int_eq(unpack_end(&u, err), 0);
		ck_assert(r->run_s >= 0);
		ck_assert(*r->host);
	}
	s->n++;
	if (s->refuse_after && (long)s->n == s->refuse_after)
		return error_set(err, ERR_IO, "the store is full");
	return 0;
}

static int run_queue(struct plan *p, struct seen *s, size_t n, unsigned jobs, struct error *err)
{
	size_t tasks[MAX_TASKS];
	struct dist_job job = { .run = run, .run_ctx = p, .done = done, .done_ctx = s,
				.tasks = tasks, .n_tasks = n };

	/* out of order on purpose: the queue's order is the caller's */
	for (size_t i = 0; i < n; i++)
		tasks[i] = n - 1 - i;
	return dist_local_run(&job, jobs, err);
}

START_TEST(every_task_runs_once_whatever_the_workers)
{
	static const unsigned jobs[] = { 1, 2, 3, 40 };

	for (size_t k = 0; k < sizeof(jobs) / sizeof(jobs[0]); k++) {
		struct plan p = { { 0 } };
		struct seen s = { .n = 0 };
		struct error err;
		char cmd[128];

		ck_assert_msg(run_queue(&p, &s, 20, jobs[k], &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(s.n, 20);
		for (size_t i = 0; i < 20; i++) {
			ck_assert_int_eq(s.times[i], 1);
			ck_assert_int_eq(s.rc[i], 0);
			ck_assert_uint_eq(s.output[i], i * i);
			ck_assert_int_ge(s.workers[i], 1);
			ck_assert_int_le(s.workers[i], (int)(jobs[k] < 20 ? jobs[k] : 20));
		}
		snprintf(cmd, sizeof(cmd), "rm -f %s/task-*", tmpdir);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

START_TEST(a_failed_task_is_reported_and_the_rest_complete)
{
	struct plan p = { { 0 } };
	struct seen s = { .n = 0 };
	struct error err;

	p.fail[3] = 1;
	p.fail[7] = 1;
	ck_assert_msg(run_queue(&p, &s, 10, 2, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(s.n, 10);
	for (size_t i = 0; i < 10; i++) {
		ck_assert_int_eq(s.times[i], 1);
		if (i == 3 || i == 7) {
			char want[64];

			snprintf(want, sizeof(want), "task %zu refuses", i);
			ck_assert_int_eq(s.rc[i], ERR_INPUT);
			ck_assert_str_eq(s.error[i], want);
		} else {
			ck_assert_int_eq(s.rc[i], 0);
		}
	}
}
END_TEST

/* The worker of task 4 is killed: task 4 fails naming the signal, is not
 * run again, and a new worker runs the rest. */
START_TEST(a_dying_worker_fails_its_task_only)
{
	struct plan p = { { 0 } };
	struct seen s = { .n = 0 };
	struct error err;

	p.fail[4] = 2;
	ck_assert_msg(run_queue(&p, &s, 12, 2, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(s.n, 12);
	for (size_t i = 0; i < 12; i++) {
		ck_assert_int_eq(s.times[i], 1);
		ck_assert_int_eq(s.rc[i], i == 4 ? ERR_RUN : 0);
	}
	ck_assert_ptr_nonnull(strstr(s.error[4], "killed by signal 9"));
}
END_TEST

/* `done` refuses the 3rd result: nothing more is handed out, the queue
 * returns the refusal, no worker is left behind. */
START_TEST(a_refusing_store_stops_the_queue)
{
	struct plan p = { { 0 } };
	struct seen s = { .refuse_after = 3 };
	struct error err;
	int handed = 0;

	ck_assert_int_eq(run_queue(&p, &s, 20, 2, &err), ERR_IO);
	ck_assert_str_eq(err.msg, "the store is full");
	ck_assert_uint_eq(s.n, 3);
	for (size_t i = 0; i < 20; i++) {
		char *mark = xasprintf("%s/task-%zu", tmpdir, i);

		handed += access(mark, F_OK) == 0;
		free(mark);
	}
	/* the three stored, plus at most one running on the other worker */
	ck_assert_int_le(handed, 4);
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}
END_TEST

START_TEST(no_tasks_start_no_worker)
{
	struct plan p = { { 0 } };
	struct seen s = { .n = 0 };
	struct error err;

	ck_assert_int_eq(run_queue(&p, &s, 0, 4, &err), 0);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_ge(dist_default_jobs(), 1);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, every_task_runs_once_whatever_the_workers);
	tcase_add_test(tc, a_failed_task_is_reported_and_the_rest_complete);
	tcase_add_test(tc, a_dying_worker_fails_its_task_only);
	tcase_add_test(tc, a_refusing_store_stops_the_queue);
	tcase_add_test(tc, no_tasks_start_no_worker);
}

CHECK_MAIN("dist", add_tests, 60)
