/* Tests for results/studydir.c: the manifest's text round-trips and is
 * refused when edited; a study directory is created, resumed only by the
 * same study (the refusal names the line that differs), never taken over
 * from something else; a second driver is refused while the lock is held;
 * the journal stores cells durably, replaces a retried cell, lists them
 * in cell order, and counts them without the lock; what a killed process
 * left (hidden temporaries) is removed on resume; files are published
 * whole. */
#include "results/studydir.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

static char *sets[] = { "world.users=300", "ab.mode=both" };
static char *grid[] = { "model.trees=4,6" };

static struct study_manifest replication(void)
{
	return (struct study_manifest){
		.kind = "replicate",
		.scenario_name = "scenarios/default.ini",
		.scenario_text = "[world]\nusers = 20000\n",
		.sets = sets,
		.n_sets = 2,
		.seed_first = 3,
		.seed_last = 9,
	};
}

START_TEST(manifest_round_trips)
{
	struct study_manifest m = replication(), back, sweep = m;
	struct error err;
	size_t len, len2;
	char *text = study_manifest_format(&m, &len), *again;

	ck_assert_str_eq(text, "airtime study 1\nkind replicate\nscenario scenarios/default.ini\n"
			       "seeds 3-9\nset world.users=300\nset ab.mode=both\n"
			       "scenario-text 22\n[world]\nusers = 20000\n");
	ck_assert_int_eq(study_manifest_parse(&back, text, len, "study.txt", &err), 0);
	again = study_manifest_format(&back, &len2);
	ck_assert_uint_eq(len, len2);
	ck_assert_int_eq(memcmp(text, again, len), 0);
	ck_assert(back.seed_first == 3 && back.seed_last == 9);
	study_manifest_release(&back);
	free(again);
	free(text);
	sweep.kind = "sweep";
	sweep.grid = grid;
	sweep.n_grid = 1;
	text = study_manifest_format(&sweep, &len);
	ck_assert_ptr_null(strstr(text, "seeds"));
	ck_assert_ptr_nonnull(strstr(text, "grid model.trees=4,6\n"));
	ck_assert_int_eq(study_manifest_parse(&back, text, len, "study.txt", &err), 0);
	ck_assert_uint_eq(back.n_grid, 1);
	study_manifest_release(&back);
	free(text);
}
END_TEST

START_TEST(edited_manifests_are_refused)
{
	static const char *const bad[] = {
		"not a manifest\n",
		"airtime study 1\nkind replicate\nscenario x\nscenario-text 0\n",   /* no seeds */
		"airtime study 1\nkind sweep\nscenario x\nseeds 1-2\nscenario-text 0\n",
		"airtime study 1\nkind replicate\nscenario x\nseeds 5-2\nscenario-text 0\n",
		"airtime study 1\nkind replicate\nscenario x\nseeds 1-2\nscenario-text 9\nab",
		"airtime study 1\nkind other\nscenario x\nscenario-text 0\n",
		"airtime study 1\nkind sweep\nscenario x\nbogus 1\nscenario-text 0\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct study_manifest m;
		struct error err;

		ck_assert_msg(study_manifest_parse(&m, bad[i], strlen(bad[i]), "DIR/study.txt",
						   &err) == ERR_CORRUPT, "case %zu", i);
		ck_assert_ptr_nonnull(strstr(err.msg, "DIR/study.txt"));
	}
}
END_TEST

START_TEST(open_creates_then_resumes_the_same_study)
{
	struct study_manifest m = replication(), back;
	struct studydir *sd;
	struct error err;
	char *dir = tmpdir_path("a/b/study"), *path;

	ck_assert_msg(studydir_open(&sd, dir, &m, &err) == 0, "%s", err.msg);
	ck_assert(!studydir_resumed(sd));
	path = studydir_file(sd, "scenario.ini");
	ck_assert_int_eq(access(path, F_OK), 0);
	free(path);
	studydir_close(sd);
	ck_assert_int_eq(study_manifest_read(dir, &back, &err), 0);
	ck_assert_str_eq(back.kind, "replicate");
	ck_assert_str_eq(back.scenario_text, m.scenario_text);
	study_manifest_release(&back);
	ck_assert_msg(studydir_open(&sd, dir, &m, &err) == 0, "%s", err.msg);
	ck_assert(studydir_resumed(sd));
	studydir_close(sd);
	free(dir);
}
END_TEST

START_TEST(another_study_or_anything_else_is_refused)
{
	struct study_manifest m = replication(), other = m;
	struct studydir *sd;
	struct error err;
	char *dir = tmpdir_path("study"), *full = tmpdir_path("full"), *file;
	FILE *f;

	ck_assert_int_eq(studydir_open(&sd, dir, &m, &err), 0);
	studydir_close(sd);
	other.seed_last = 12;
	ck_assert_int_eq(studydir_open(&sd, dir, &other, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "holds another study ('seeds 3-12' here, "
					      "'seeds 3-9' in the directory)"));
	ck_assert_ptr_nonnull(strstr(err.msg, "--resume"));
	/* a directory with something else in it is never taken over */
	ck_assert_int_eq(mkdir(full, 0777), 0);
	file = xasprintf("%s/notes.txt", full);
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(studydir_open(&sd, full, &m, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "holds no study"));
	ck_assert_int_eq(tmpdir_entries(full), 1);
	ck_assert_int_eq(study_manifest_read(full, &other, &err), ERR_INPUT);
	free(file);
	free(full);
	free(dir);
}
END_TEST

/* flock is per open file: a second open, even in this process, waits its
 * turn like another process would. */
START_TEST(a_second_driver_is_refused)
{
	struct study_manifest m = replication();
	struct studydir *sd, *sd2;
	struct error err;
	char *dir = tmpdir_path("study"), want[64];

	ck_assert_int_eq(studydir_open(&sd, dir, &m, &err), 0);
	ck_assert_int_eq(studydir_open(&sd2, dir, &m, &err), ERR_INPUT);
	snprintf(want, sizeof(want), "(pid and host: %ld ", (long)getpid());
	ck_assert_ptr_nonnull(strstr(err.msg, "is being run by another process"));
	ck_assert_ptr_nonnull(strstr(err.msg, want));
	studydir_close(sd);
	ck_assert_int_eq(studydir_open(&sd2, dir, &m, &err), 0);
	studydir_close(sd2);
	free(dir);
}
END_TEST

struct listed {
	size_t cells[8], n;
	char errors[8][64];
	int done[8];
};

static int list_cell(void *ctx, const struct studydir_cell *c)
{
	struct listed *l = ctx;

	l->cells[l->n] = c->cell;
	l->done[l->n] = c->done;
	snprintf(l->errors[l->n], sizeof(l->errors[0]), "%s", c->error);
	if (c->done)
		ck_assert(c->len == 3 && !memcmp(c->summary, "abc", 3));
	l->n++;
	return 0;
}

START_TEST(the_journal_stores_replaces_and_lists_in_order)
{
	struct study_manifest m = replication();
	struct studydir *sd;
	struct error err;
	struct studydir_attempt a = { "job 1", "host", 42, 1.5, 0.001 };
	struct listed l = { .n = 0 };
	char *dir = tmpdir_path("study");
	size_t done, failed;

	ck_assert_int_eq(studydir_open(&sd, dir, &m, &err), 0);
	ck_assert_int_eq(studydir_store(sd, &(struct studydir_cell){ 5, "seed-8", true, "", "abc", 3 },
					&a, &err), 0);
	ck_assert_int_eq(studydir_store(sd, &(struct studydir_cell){ 1, "seed-4", false, "boom",
								      NULL, 0 }, &a, &err), 0);
	ck_assert_int_eq(studydir_count(dir, &done, &failed, &err), 0);
	ck_assert(done == 1 && failed == 1);
	/* the retried cell replaces its failure */
	ck_assert_int_eq(studydir_store(sd, &(struct studydir_cell){ 1, "seed-4", true, "", "abc", 3 },
					&a, &err), 0);
	ck_assert_int_eq(studydir_each_cell(sd, list_cell, &l, &err), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert(l.cells[0] == 1 && l.cells[1] == 5 && l.done[0] && l.done[1]);
	studydir_close(sd);
	ck_assert_int_eq(studydir_count(dir, &done, &failed, &err), 0);
	ck_assert(done == 2 && failed == 0);
	ck_assert_int_eq(studydir_count(tmpdir, &done, &failed, &err), ERR_IO);
	free(dir);
}
END_TEST

START_TEST(resume_removes_what_a_killed_process_left)
{
	struct study_manifest m = replication();
	struct studydir *sd;
	struct error err;
	char *dir = tmpdir_path("study"), *tmp, *keep, *path;

	ck_assert_int_eq(studydir_open(&sd, dir, &m, &err), 0);
	studydir_close(sd);
	tmp = xasprintf("%s/.seed-4.tmp-AbCdEf", dir);
	ck_assert_int_eq(mkdir(tmp, 0777), 0);
	path = xasprintf("%s/.results.db.tmp", dir);
	fclose(fopen(path, "w"));
	keep = xasprintf("%s/seed-3", dir);
	ck_assert_int_eq(mkdir(keep, 0777), 0);
	ck_assert_int_eq(studydir_open(&sd, dir, &m, &err), 0);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_int_eq(access(keep, F_OK), 0);
	ck_assert_int_eq(studydir_remove(sd, "seed-3", &err), 0);
	ck_assert_int_ne(access(keep, F_OK), 0);
	ck_assert_int_eq(studydir_write_file(sd, "out.csv", "a,b\n", 4, &err), 0);
	studydir_close(sd);
	free(path);
	path = xasprintf("%s/out.csv", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	free(path);
	free(keep);
	free(tmp);
	free(dir);
}
END_TEST

START_TEST(default_paths_name_the_study)
{
	struct study_manifest m = replication();
	char *a = studydir_default_path("reports", &m), *b = studydir_default_path("reports", &m);

	ck_assert_str_eq(a, b);
	ck_assert(!strncmp(a, "reports/default-replicate-", 26) && strlen(a) == 26 + 8);
	m.seed_last = 10;
	free(b);
	b = studydir_default_path("reports", &m);
	ck_assert_str_ne(a, b);
	free(a);
	free(b);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, manifest_round_trips);
	tcase_add_test(tc, edited_manifests_are_refused);
	tcase_add_test(tc, open_creates_then_resumes_the_same_study);
	tcase_add_test(tc, another_study_or_anything_else_is_refused);
	tcase_add_test(tc, a_second_driver_is_refused);
	tcase_add_test(tc, the_journal_stores_replaces_and_lists_in_order);
	tcase_add_test(tc, resume_removes_what_a_killed_process_left);
	tcase_add_test(tc, default_paths_name_the_study);
}

CHECK_MAIN("studydir", add_tests, 30)
