/* Tests for dist/mpi.c and for studies under mpirun, every mpirun started
 * by the test itself (--oversubscribe --allow-run-as-root, --timeout), each
 * process waited for or killed:
 *   - the queue over ranks: this program run by mpirun as an MPI program
 *     (AIRTIME_TEST_MPI_CHILD set): every task once, a failed task
 *     reported, every rank given the setup, or told rank 0 failed;
 *   - `airtime replicate` on a tiny scenario (4 seeds): the same
 *     results.db bits with 2 ranks, 1 rank and local --jobs 2, and every
 *     seed's own results.db the same as .ci/simdump prints it (host rows
 *     left out); a seed made to fail is reported, the study completes, and
 *     resuming it gives the clean bits; a study whose rank 0 (or, without
 *     MPI, whose parent) is killed with SIGKILL after its first seed is
 *     stored leaves no process behind and resumes to the same bits;
 *   - `airtime sweep` under mpirun: a grid value that fails at run time
 *     (model.mtry above the ranker's features) fails its cell only, with
 *     the same bits as a local sweep.
 * Under AddressSanitizer the leaks OpenMPI keeps at exit are suppressed by
 * tests/lsan-openmpi.supp (named libraries only), passed to every rank. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "dist/dist.h"
#include "dist/mpi.h"
#include "results/studydir.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

/* Seconds mpirun may take before it kills the job (--timeout). */
#define MPI_TIMEOUT "150"
#define MAX_ARGS 48

/* ---- the MPI program (this binary under mpirun) ------------------------------- */

#define CHILD_TASKS 40
#define CHILD_FAILS 5

struct child {
	const char *marks;     /* directory of the tasks' marker files */
	int times[CHILD_TASKS], rc[CHILD_TASKS], worker[CHILD_TASKS];
	double transfer[CHILD_TASKS];
};

static int child_run(void *ctx, size_t task, struct pack *out, struct error *err)
{
	const struct child *c = ctx;
	char *mark = xasprintf("%s/task-%zu", c->marks, task);
	int fd = open(mark, O_WRONLY | O_CREAT | O_EXCL, 0644);

	free(mark);
	if (fd < 0)
		return error_set(err, ERR_RUN, "task %zu ran twice", task);
	close(fd);
	if (task == CHILD_FAILS)
		return error_set(err, ERR_INPUT, "task %zu refuses", task);
	pack_u64(out, (uint64_t)task * 7);
	return 0;
}

static int child_done(void *ctx, const struct dist_result *r, struct error *err)
{
	struct child *c = ctx;
	struct unpack u;
	uint64_t v = 0;

	(void)err;
	c->times[r->task]++;
	c->rc[r->task] = r->rc;
	c->worker[r->task] = r->worker;
	c->transfer[r->task] = r->overhead_s;
	if (r->rc == 0) {
		unpack_init(&u, r->data, r->len, "a task's output");
		if (unpack_u64(&u, &v, err) < 0 || v != (uint64_t)r->task * 7)
			c->rc[r->task] = 99;
	} else if (strcmp(r->error, "task 5 refuses")) {
		c->rc[r->task] = 98;
	}
	return 0;
}

/* argv[1]: where rank 0 writes what it saw; argv[2]: the marker directory.
 * AIRTIME_TEST_MPI_CHILD: "queue", or "refuse" (rank 0 fails its setup). */
static int mpi_child(int argc, char **argv)
{
	const char *mode = getenv("AIRTIME_TEST_MPI_CHILD");
	struct child *c = calloc(1, sizeof(*c));
	struct error err;
	int rank, size;
	FILE *f;

	if (argc < 3 || !c || dist_mpi_init(&rank, &size, &err) < 0)
		return 3;
	c->marks = argv[2];
	if (rank != 0) {
		struct pack setup;
		int code = 0, rc = 0;

		pack_init(&setup);
		if (dist_mpi_recv_setup(&code, &setup, &err) < 0)
			rc = 4;
		else if (code < 0) {
			char *seen = xasprintf("%s/rank-%d-saw-%d", c->marks, rank, code);

			fclose(fopen(seen, "w"));
			free(seen);
		} else if (setup.len != 5 || memcmp(setup.data, "hello", 5)) {
			rc = 5;
		} else {
			struct dist_job job = { .run = child_run, .run_ctx = c };

			rc = dist_mpi_worker(&job, &err) < 0 ? 6 : 0;
		}
		pack_release(&setup);
		dist_mpi_finalize();
		free(c);
		return rc;
	}
	if (!strcmp(mode, "refuse")) {
		dist_mpi_send_setup(ERR_INPUT, NULL, 0);
		dist_mpi_finalize();
		free(c);
		return 0;
	}
	{
		size_t tasks[CHILD_TASKS];
		struct dist_job job = { .run = child_run, .run_ctx = c, .done = child_done,
					.done_ctx = c, .tasks = tasks, .n_tasks = CHILD_TASKS };

		for (size_t i = 0; i < CHILD_TASKS; i++)
			tasks[i] = i;
		dist_mpi_send_setup(0, "hello", 5);
		if (dist_mpi_master(&job, &err) < 0)
			return 7;
	}
	dist_mpi_finalize();
	if (!(f = fopen(argv[1], "w")))
		return 8;
	fprintf(f, "ranks %d\n", size);
	for (size_t i = 0; i < CHILD_TASKS; i++)
		fprintf(f, "%zu %d %d %d %.6f\n", i, c->times[i], c->rc[i], c->worker[i],
			c->transfer[i]);
	fclose(f);
	free(c);
	return 0;
}

/* ---- processes ---------------------------------------------------------------------- */

static char *top;             /* the tree's top (the suite runs there) */
static char *airtime;         /* build/airtime beside this test */
static char *self;            /* this test program */
static char *reference;       /* a clean replication, made once for the suite */

static const char *const tiny[] = {
	"--set", "world.users=300", "--set", "world.creators=50", "--set", "run.warmup_days=1",
	"--set", "run.experiment_days=1", "--set", "model.trees=4", "--set",
	"model.sample_sessions=100%", "--set", "report.plots=false",
};
#define N_TINY (sizeof(tiny) / sizeof(tiny[0]))

struct cmd {
	const char *argv[MAX_ARGS + 1];
	size_t n;
};

static void arg(struct cmd *c, const char *a)
{
	ck_assert_uint_lt(c->n, MAX_ARGS);
	c->argv[c->n++] = a;
	c->argv[c->n] = NULL;
}

/* mpirun -np N with the environment the ranks need, then the program. */
static void mpirun(struct cmd *c, const char *np)
{
	static const char *const head[] = {
		/* --bind-to none: on a shared machine a rank pinned to a busy
		 * core would crawl (OpenMPI pins small jobs by default) */
		"mpirun", "--oversubscribe", "--allow-run-as-root", "--bind-to", "none",
		"--timeout", MPI_TIMEOUT,
		"-x", "LSAN_OPTIONS", "-x", "AIRTIME_STUDY_FAIL_CELLS", "-x", "AIRTIME_TEST_MPI_CHILD",
		"-np",
	};

	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		arg(c, head[i]);
	arg(c, np);
}

static void replicate_args(struct cmd *c, const char *out)
{
	arg(c, airtime);
	arg(c, "replicate");
	arg(c, "scenarios/default.ini");
	arg(c, "--seeds");
	arg(c, "1-4");
	for (size_t i = 0; i < N_TINY; i++)
		arg(c, tiny[i]);
	arg(c, "--out");
	arg(c, out);
}

/* Start the command in a process group of its own, outputs into
 * TMPDIR/NAME.out and NAME.err. */
static pid_t start(const struct cmd *c, const char *name)
{
	char *out = xasprintf("%s/%s.out", tmpdir, name), *err = xasprintf("%s/%s.err", tmpdir, name);
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0666);

		setpgid(0, 0);
		if (in < 0 || fo < 0 || fe < 0 || dup2(in, 0) < 0 || dup2(fo, 1) < 0 ||
		    dup2(fe, 2) < 0)
			_exit(127);
		execvp(c->argv[0], (char *const *)c->argv);
		_exit(127);
	}
	setpgid(pid, pid);
	free(out);
	free(err);
	return pid;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait for pid at most `seconds`; then kill its whole group.  The exit
 * status, or -signal. */
static int finish(pid_t pid, double seconds)
{
	double until = now_s() + seconds;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		ck_assert_int_eq(r, 0);
		if (now_s() > until) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			ck_abort_msg("a process ran longer than %.0f s: killed", seconds);
		}
		nap_ms(20);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static int run_cmd(const struct cmd *c, const char *name)
{
	return finish(start(c, name), 200);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open '%s'", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static char *output(const char *name, const char *ext)
{
	char *path = xasprintf("%s/%s.%s", tmpdir, name, ext), *text = slurp(path, NULL);

	free(path);
	return text;
}

/* Do two files hold the same bytes? */
static bool same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *ta = slurp(a, &la), *tb = slurp(b, &lb);
	bool same = la == lb && !memcmp(ta, tb, la);

	free(ta);
	free(tb);
	return same;
}

/* .ci/simdump of a results.db (host rows left out) into a file. */
static char *simdump(const char *db, const char *name)
{
	char *out = xasprintf("%s/%s.dump", tmpdir, name);
	char *cmd = xasprintf("sh '%s/.ci/simdump' '%s' > '%s'", top, db, out);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	return out;
}

/* The study's results.db is the reference's, byte for byte, and so is
 * every seed's simulation as simdump prints it. */
static void assert_reference(const char *dir)
{
	char *db = xasprintf("%s/results.db", dir), *ref = xasprintf("%s/results.db", reference);

	ck_assert_msg(same_file(db, ref), "%s differs from the reference %s", db, ref);
	for (int s = 1; s <= 4; s++) {
		char *a = xasprintf("%s/seed-%d/results.db", dir, s);
		char *b = xasprintf("%s/seed-%d/results.db", reference, s);
		char *da = simdump(a, "mine"), *dbb = simdump(b, "ref");

		ck_assert_msg(same_file(da, dbb), "seed %d simulated otherwise", s);
		free(a);
		free(b);
		free(da);
		free(dbb);
	}
	free(db);
	free(ref);
}

/* Any process whose command line names `needle` (a study directory):
 * none may outlive its study. */
static int processes_naming(const char *needle)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		char path[300], buf[4096];
		ssize_t len;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		if ((fd = open(path, O_RDONLY)) < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		for (ssize_t i = 0; i < len; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[len] = '\0';
		n += strstr(buf, needle) != NULL;
	}
	closedir(d);
	return n;
}

static void assert_no_process_left(const char *dir)
{
	double until = now_s() + 10;

	/* the kernel may take a moment to deliver the deaths */
	while (processes_naming(dir) > 0 && now_s() < until)
		nap_ms(50);
	ck_assert_msg(processes_naming(dir) == 0, "a process of '%s' outlived its study", dir);
}

/* Wait until the study in `dir` has stored `n` seeds (or its process ended). */
static void wait_stored(const char *dir, size_t n, pid_t pid)
{
	double until = now_s() + 150;

	for (;;) {
		size_t done = 0, failed = 0;
		struct error err;
		int status;

		if (studydir_count(dir, &done, &failed, &err) == 0 && done >= n)
			return;
		ck_assert_msg(waitpid(pid, &status, WNOHANG) == 0, "the study ended first");
		ck_assert_msg(now_s() < until, "no seed stored in time");
		nap_ms(10);
	}
}

/* ---- fixtures -------------------------------------------------------------------- */

static char *beside_self(const char *name)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	if (!name)
		return xstrdup(buf);
	for (int up = 0; up < 2; up++) {
		slash = strrchr(buf, '/');
		ck_assert_ptr_nonnull(slash);
		*slash = '\0';
	}
	return xasprintf("%s/%s", buf, name);
}

static char suite_dir[64];

/* Once for the suite: paths, the environment of every rank, and the
 * reference replication (local workers, no MPI). */
static void suite_setup(void)
{
	char cwd[4096], *supp;
	struct cmd c = { .n = 0 };
	char *name;
	int rc;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	top = xstrdup(cwd);
	airtime = beside_self("airtime");
	self = beside_self(NULL);
	/* Under AddressSanitizer: OpenMPI's leaks at exit are suppressed by
	 * library name, which needs whole stacks (OpenMPI's libraries have no
	 * frame pointers: the slow unwinder) and its plugins still mapped at
	 * exit (no dlclose).  Harmless without a sanitizer. */
	supp = xasprintf("suppressions=%s/tests/lsan-openmpi.supp:print_suppressions=0:"
			 "fast_unwind_on_malloc=0", top);
	setenv("LSAN_OPTIONS", supp, 1);
	setenv("OMPI_MCA_mca_base_component_disable_dlclose", "1", 1);
	free(supp);
	unsetenv("AIRTIME_STUDY_FAIL_CELLS");
	setenv("AIRTIME_TEST_MPI_CHILD", "", 1);
	snprintf(suite_dir, sizeof(suite_dir), "/tmp/airtime-mpi-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(suite_dir));
	reference = xasprintf("%s/reference", suite_dir);
	replicate_args(&c, reference);
	arg(&c, "--jobs");
	arg(&c, "2");
	/* start() writes its outputs in tmpdir: the suite's own, here */
	memcpy(tmpdir, suite_dir, sizeof(suite_dir));
	name = "reference";
	rc = run_cmd(&c, name);
	ck_assert_msg(rc == 0, "the reference replication failed (%d): see %s/%s.err", rc,
		      suite_dir, name);
}

static void suite_teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", suite_dir);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", suite_dir);
	free(cmd);
	free(reference);
	free(airtime);
	free(self);
	free(top);
}

/* ---- tests --------------------------------------------------------------------------- */

static void queue_child(const char *np, const char *mode, char **result, char **marks)
{
	struct cmd c = { .n = 0 };

	*result = tmpdir_path("child.txt");
	*marks = tmpdir_path("marks");
	ck_assert_int_eq(mkdir(*marks, 0777), 0);
	setenv("AIRTIME_TEST_MPI_CHILD", mode, 1);
	mpirun(&c, np);
	arg(&c, self);
	arg(&c, *result);
	arg(&c, *marks);
	ck_assert_msg(run_cmd(&c, "child") == 0, "the MPI program failed: %s",
		      output("child", "err"));
	setenv("AIRTIME_TEST_MPI_CHILD", "", 1);
}

START_TEST(the_queue_gives_every_task_once_over_the_ranks)
{
	char *result, *marks, *text, *line;
	int ranks = 0, seen = 0;

	queue_child("3", "queue", &result, &marks);
	text = slurp(result, NULL);
	ck_assert_int_eq(sscanf(text, "ranks %d", &ranks), 1);
	ck_assert_int_eq(ranks, 3);
	for (line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
		int task, times, rc, worker;
		double transfer;

		ck_assert_int_eq(sscanf(line + 1, "%d %d %d %d %lf", &task, &times, &rc, &worker,
					&transfer), 5);
		ck_assert_int_eq(times, 1);
		ck_assert_int_eq(rc, task == CHILD_FAILS ? ERR_INPUT : 0);
		ck_assert(worker >= 0 && worker < 3);
		seen++;
	}
	ck_assert_int_eq(seen, CHILD_TASKS);
	ck_assert_int_eq(tmpdir_entries(marks), CHILD_TASKS);
	free(text);
	free(result);
	free(marks);
}
END_TEST

START_TEST(a_failed_setup_sends_every_rank_home)
{
	char *result, *marks, *saw1, *saw2;

	queue_child("3", "refuse", &result, &marks);
	saw1 = xasprintf("%s/rank-1-saw-%d", marks, ERR_INPUT);
	saw2 = xasprintf("%s/rank-2-saw-%d", marks, ERR_INPUT);
	ck_assert_int_eq(access(saw1, F_OK), 0);
	ck_assert_int_eq(access(saw2, F_OK), 0);
	free(saw1);
	free(saw2);
	free(result);
	free(marks);
}
END_TEST

START_TEST(replicate_gives_the_same_bits_with_any_ranks)
{
	static const char *const np[] = { "2", "1" };

	for (size_t k = 0; k < 2; k++) {
		struct cmd c = { .n = 0 };
		char name[16], *out, *text;

		snprintf(name, sizeof(name), "np%s", np[k]);
		out = tmpdir_path(name);
		mpirun(&c, np[k]);
		replicate_args(&c, out);
		ck_assert_msg(run_cmd(&c, name) == 0, "mpirun -np %s failed: %s", np[k],
			      output(name, "err"));
		text = output(name, "out");
		ck_assert_ptr_nonnull(strstr(text, np[k][0] == '1' ? "1 MPI rank\n" : "2 MPI ranks\n"));
		/* rank 0 alone reports */
		ck_assert_ptr_nonnull(strstr(text, "replication directory"));
		ck_assert_ptr_null(strstr(strstr(text, "replication directory") + 1,
					  "replication directory"));
		assert_reference(out);
		free(text);
		free(out);
	}
}
END_TEST

START_TEST(a_failed_seed_is_reported_and_the_study_completes)
{
	struct cmd c = { .n = 0 }, r = { .n = 0 };
	char *out = tmpdir_path("failing"), *err, *db, *rows;
	int rc;

	setenv("AIRTIME_STUDY_FAIL_CELLS", "2", 1);
	mpirun(&c, "2");
	replicate_args(&c, out);
	rc = run_cmd(&c, "failing");
	unsetenv("AIRTIME_STUDY_FAIL_CELLS");
	ck_assert_int_eq(rc, 1);
	err = output("failing", "err");
	ck_assert_ptr_nonnull(strstr(err, "seed-3 FAILED"));
	ck_assert_ptr_nonnull(strstr(err, "injected failure of cell 2 (AIRTIME_STUDY_FAIL_CELLS)"));
	ck_assert_ptr_nonnull(strstr(err, "1 seed failed"));
	db = xasprintf("%s/results.db", out);
	rows = xasprintf("sqlite3 '%s' \"select status from replicate_cells order by cell\" > '%s/rows.txt'",
			 db, tmpdir);
	ck_assert_int_eq(system(rows), 0);
	free(rows);
	rows = output("rows", "txt");
	ck_assert_str_eq(rows, "done\ndone\nfailed\ndone\n");
	/* the failed seed runs again on resume, and only it */
	mpirun(&r, "2");
	arg(&r, airtime);
	arg(&r, "replicate");
	arg(&r, "--resume");
	arg(&r, out);
	ck_assert_int_eq(run_cmd(&r, "resumed"), 0);
	free(err);
	err = output("resumed", "out");
	ck_assert_ptr_nonnull(strstr(err, "cells: 1 run now, 3 stored before (skipped), 0 failed"));
	assert_reference(out);
	free(err);
	free(rows);
	free(db);
	free(out);
}
END_TEST

/* Kill the driver (rank 0 under mpirun, else the parent) with SIGKILL once
 * the first seed is stored; no process may survive it; resume. */
static void kill_and_resume(bool mpi)
{
	struct cmd c = { .n = 0 }, r = { .n = 0 };
	char *out = tmpdir_path(mpi ? "killed-mpi" : "killed-local"), *lock, *db, *text;
	long driver = 0;
	pid_t pid;
	int rc;

	if (mpi)
		mpirun(&c, "2");
	replicate_args(&c, out);
	if (!mpi) {
		arg(&c, "--jobs");
		arg(&c, "2");
	}
	pid = start(&c, "killed");
	wait_stored(out, 1, pid);
	lock = xasprintf("%s/%s", out, STUDY_LOCK);
	text = slurp(lock, NULL);
	ck_assert_int_eq(sscanf(text, "%ld", &driver), 1);
	free(text);
	ck_assert(mpi ? driver != pid : driver == pid);
	ck_assert_int_eq(kill((pid_t)driver, SIGKILL), 0);
	rc = finish(pid, 60);
	ck_assert_msg(rc != 0, "the study was not interrupted");
	db = xasprintf("%s/results.db", out);
	ck_assert_msg(access(db, F_OK) != 0, "the study finished before the kill: no test");
	assert_no_process_left(out);
	if (mpi)
		mpirun(&r, "2");
	arg(&r, airtime);
	arg(&r, "replicate");
	arg(&r, "--resume");
	arg(&r, out);
	ck_assert_msg(run_cmd(&r, "resumed") == 0, "%s", output("resumed", "err"));
	text = output("resumed", "out");
	ck_assert_ptr_null(strstr(text, "0 stored before"));
	assert_reference(out);
	free(text);
	free(db);
	free(lock);
	free(out);
}

START_TEST(a_study_whose_rank_0_was_killed_resumes_to_the_same_bits)
{
	kill_and_resume(true);
}
END_TEST

START_TEST(a_study_whose_parent_was_killed_resumes_to_the_same_bits)
{
	kill_and_resume(false);
}
END_TEST

START_TEST(a_sweep_cell_failing_at_run_time_under_mpi)
{
	struct cmd c = { .n = 0 }, l = { .n = 0 };
	char *mpi_out = tmpdir_path("sweep-mpi"), *local_out = tmpdir_path("sweep-local");
	char *a, *b, *text;
	struct cmd *both[] = { &c, &l };

	mpirun(&c, "2");
	for (int k = 0; k < 2; k++) {
		arg(both[k], airtime);
		arg(both[k], "sweep");
		arg(both[k], "scenarios/default.ini");
		arg(both[k], "--grid");
		arg(both[k], "model.mtry=2,500");
		for (size_t i = 0; i < N_TINY; i++)
			arg(both[k], tiny[i]);
		arg(both[k], "--out");
		arg(both[k], k ? local_out : mpi_out);
	}
	arg(&l, "--jobs");
	arg(&l, "1");
	ck_assert_int_eq(run_cmd(&c, "sweep-mpi"), 1);
	ck_assert_int_eq(run_cmd(&l, "sweep-local"), 1);
	text = output("sweep-mpi", "out");
	ck_assert_ptr_nonnull(strstr(text, "1    model.mtry=500"));
	ck_assert_ptr_nonnull(strstr(text, "FAILED: sweep cell 1 (model.mtry=500): --set "
				     "model.mtry=500: value '500' out of range for [model] mtry"));
	a = xasprintf("%s/results.db", mpi_out);
	b = xasprintf("%s/results.db", local_out);
	ck_assert(same_file(a, b));
	free(text);
	free(a);
	free(b);
	free(mpi_out);
	free(local_out);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("mpi");
	TCase *tc = tcase_create("mpi");

	tcase_set_timeout(tc, 400);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, the_queue_gives_every_task_once_over_the_ranks);
	tcase_add_test(tc, a_failed_setup_sends_every_rank_home);
	tcase_add_test(tc, replicate_gives_the_same_bits_with_any_ranks);
	tcase_add_test(tc, a_failed_seed_is_reported_and_the_study_completes);
	tcase_add_test(tc, a_study_whose_rank_0_was_killed_resumes_to_the_same_bits);
	tcase_add_test(tc, a_study_whose_parent_was_killed_resumes_to_the_same_bits);
	tcase_add_test(tc, a_sweep_cell_failing_at_run_time_under_mpi);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	const char *child = getenv("AIRTIME_TEST_MPI_CHILD");

	/* Run by mpirun: this program is the MPI program. */
	if (child && *child && dist_mpi_launched())
		return mpi_child(argc, argv);
	return check_main_run(make_suite());
}
