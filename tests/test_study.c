/* Tests for eval/study.c with a study kind of its own (cells that make
 * their directory, write a file and pack a number; no simulation): a
 * study runs every cell once and hands back every summary in cell order,
 * whatever the number of local workers; running it again skips what is
 * stored; an injected failure is stored with its message, the other cells
 * complete, and resuming runs only that cell; a cell directory a killed
 * worker left is emptied before the cell runs again; a cell that does not
 * check stops the study before anything is created; a directory of
 * another study is refused.  (The MPI side: test_mpi.) */
#include "eval/study.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

struct fake {
	uint64_t first;
	size_t n;
};

static int fake_open(const struct study_manifest *m, bool check, void **ctx, size_t *n,
		     struct error *err)
{
	struct fake *f;

	if (check && strstr(m->scenario_text, "bad"))
		return error_set(err, ERR_INPUT, "seed %llu: the scenario is bad",
				 (unsigned long long)m->seed_first);
	f = xcalloc(1, sizeof(*f));
	f->first = m->seed_first;
	f->n = (size_t)(m->seed_last - m->seed_first + 1);
	*ctx = f;
	*n = f->n;
	return 0;
}

static void fake_close(void *ctx)
{
	free(ctx);
}

static char *fake_name(void *ctx, size_t cell)
{
	const struct fake *f = ctx;

	return xasprintf("seed-%llu", (unsigned long long)(f->first + cell));
}

static int fake_run(void *ctx, size_t cell, const char *dir, struct pack *out, struct error *err)
{
	const struct fake *f = ctx;
	char *file;
	FILE *fp;

	/* The study hands over a directory that does not exist. */
	if (mkdir(dir, 0777) != 0)
		return error_set(err, ERR_IO, "cannot create '%s': %s", dir, strerror(errno));
	file = xasprintf("%s/ran", dir);
	fp = fopen(file, "w");
	free(file);
	if (!fp)
		return error_set(err, ERR_IO, "cannot write in '%s'", dir);
	fclose(fp);
	pack_u64(out, (f->first + cell) * 10);
	return 0;
}

static const struct study_kind fake_kind = {
	.name = "replicate", .open = fake_open, .close = fake_close, .cell_name = fake_name,
	.run_cell = fake_run,
};

static char *sets[] = { "world.users=10" };

static struct study_manifest manifest(const char *text)
{
	return (struct study_manifest){
		.kind = "replicate", .scenario_name = "fake.ini", .scenario_text = (char *)text,
		.sets = sets, .n_sets = 1, .seed_first = 4, .seed_last = 10,
	};
}

static uint64_t summary_of(const struct study_cell *c)
{
	struct unpack u;
	struct error err;
	uint64_t v = 0;

	unpack_init(&u, c->summary, c->len, "a fake summary");
	ck_assert_int_eq(unpack_u64(&u, &v, &err), 0);
	return v;
}

static void run_study(const char *dir, unsigned jobs, struct study_outcome *st)
{
	struct study_manifest m = manifest("[world]\n");
	struct study_options o = { .out = dir, .jobs = jobs };
	struct error err;

	ck_assert_msg(study_execute(&fake_kind, &m, &o, st, &err) == 0, "%s", err.msg);
	ck_assert(!st->worker);
}

START_TEST(every_cell_once_in_cell_order)
{
	static const unsigned jobs[] = { 1, 3 };

	for (size_t k = 0; k < 2; k++) {
		char name[32], *dir;
		struct study_outcome st;

		snprintf(name, sizeof(name), "study-%zu", k);
		dir = tmpdir_path(name);
		run_study(dir, jobs[k], &st);
		ck_assert_uint_eq(st.n_cells, 7);
		ck_assert_uint_eq(st.stats.ran, 7);
		ck_assert_uint_eq(st.stats.skipped, 0);
		ck_assert_uint_eq(st.stats.failed, 0);
		ck_assert_int_eq(st.stats.ranks, (int)jobs[k]);
		ck_assert(!st.stats.mpi);
		for (size_t i = 0; i < 7; i++) {
			char want[16];

			snprintf(want, sizeof(want), "seed-%zu", 4 + i);
			ck_assert_str_eq(st.cells[i].name, want);
			ck_assert(st.cells[i].done);
			ck_assert_uint_eq(summary_of(&st.cells[i]), (4 + i) * 10);
		}
		study_outcome_release(&st);
		free(dir);
	}
}
END_TEST

START_TEST(running_again_skips_what_is_stored)
{
	char *dir = tmpdir_path("study");
	struct study_outcome st;

	run_study(dir, 2, &st);
	study_outcome_release(&st);
	run_study(dir, 2, &st);
	ck_assert_uint_eq(st.stats.ran, 0);
	ck_assert_uint_eq(st.stats.skipped, 7);
	ck_assert_uint_eq(summary_of(&st.cells[6]), 100);
	study_outcome_release(&st);
	free(dir);
}
END_TEST

START_TEST(a_failed_cell_is_stored_and_resuming_runs_it_alone)
{
	char *dir = tmpdir_path("study"), *failed_dir = tmpdir_path("study/seed-6");
	struct study_outcome st;

	setenv("AIRTIME_STUDY_FAIL_CELLS", "2", 1);
	run_study(dir, 2, &st);
	unsetenv("AIRTIME_STUDY_FAIL_CELLS");
	ck_assert_uint_eq(st.stats.ran, 7);
	ck_assert_uint_eq(st.stats.failed, 1);
	ck_assert(!st.cells[2].done);
	ck_assert_str_eq(st.cells[2].error,
			 "injected failure of cell 2 (AIRTIME_STUDY_FAIL_CELLS)");
	ck_assert(st.cells[3].done);
	ck_assert_int_ne(access(failed_dir, F_OK), 0);
	study_outcome_release(&st);
	run_study(dir, 2, &st);
	ck_assert_uint_eq(st.stats.ran, 1);
	ck_assert_uint_eq(st.stats.skipped, 6);
	ck_assert_uint_eq(st.stats.failed, 0);
	ck_assert_uint_eq(summary_of(&st.cells[2]), 60);
	study_outcome_release(&st);
	free(failed_dir);
	free(dir);
}
END_TEST

/* A worker killed after committing seed-5 but before the driver stored
 * it: the directory is there, the journal does not know it; the cell
 * runs again from an empty place. */
START_TEST(an_unstored_cell_directory_is_emptied_first)
{
	char *dir = tmpdir_path("study"), *stale = tmpdir_path("study/seed-5");
	struct study_outcome st;
	struct error err;
	struct study_manifest m = manifest("[world]\n");
	struct studydir *sd;

	ck_assert_int_eq(studydir_open(&sd, dir, &m, &err), 0);
	studydir_close(sd);
	ck_assert_int_eq(mkdir(stale, 0777), 0);
	run_study(dir, 1, &st);
	ck_assert_uint_eq(st.stats.failed, 0);
	ck_assert(st.cells[1].done);
	study_outcome_release(&st);
	free(stale);
	free(dir);
}
END_TEST

START_TEST(a_bad_cell_stops_the_study_before_anything_exists)
{
	struct study_manifest m = manifest("[world]\nbad\n");
	struct study_options o = { .out = NULL, .reports_base = tmpdir, .jobs = 2 };
	struct study_outcome st;
	struct error err;

	ck_assert_int_eq(study_execute(&fake_kind, &m, &o, &st, &err), ERR_INPUT);
	ck_assert_str_eq(err.msg, "seed 4: the scenario is bad");
	ck_assert_ptr_null(st.sd);
	study_outcome_release(&st);
	ck_assert_int_eq(tmpdir_entries(tmpdir), 0);
}
END_TEST

START_TEST(another_study_in_the_directory_is_refused)
{
	char *dir = tmpdir_path("study");
	struct study_manifest m = manifest("[world]\nother = 1\n");
	struct study_options o = { .out = dir, .jobs = 1 };
	struct study_outcome st;
	struct error err;

	run_study(dir, 1, &st);
	study_outcome_release(&st);
	ck_assert_int_eq(study_execute(&fake_kind, &m, &o, &st, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "holds another study"));
	study_outcome_release(&st);
	free(dir);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, every_cell_once_in_cell_order);
	tcase_add_test(tc, running_again_skips_what_is_stored);
	tcase_add_test(tc, a_failed_cell_is_stored_and_resuming_runs_it_alone);
	tcase_add_test(tc, an_unstored_cell_directory_is_emptied_first);
	tcase_add_test(tc, a_bad_cell_stops_the_study_before_anything_exists);
	tcase_add_test(tc, another_study_in_the_directory_is_refused);
}

CHECK_MAIN("study", add_tests, 60)
