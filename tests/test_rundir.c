/* Tests for results/rundir.c: atomic commit, abort leaves nothing, deterministic
 * ids with collision suffixes, refusal of a non-empty --out, unwritable parents. */
#include "results/rundir.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/scenario.h"
#include "config/config.h"
#include "common/xalloc.h"

#include "tests/check_main.h"
#include "tests/tmpdir.h"

static bool is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static struct rundir_spec spec_in(const char *base)
{
	return (struct rundir_spec){
		.base = base, .name = "spike", .scenario_text = "[world]\nusers = 10\n",
		.overrides = "", .seed = 42,
	};
}

START_TEST(commit_moves_whole_tree_into_place)
{
	char *base = xasprintf("%s/reports", tmpdir), *expect, *file;
	struct rundir_spec spec = spec_in(base);
	struct rundir *rd;
	struct error err;

	ck_assert_int_eq(rundir_begin(&rd, &spec, &err), 0);
	/* Until commit only a hidden temporary exists. */
	ck_assert_int_eq(tmpdir_entries(base), 1);
	ck_assert_ptr_nonnull(strstr(rundir_path(rd), "/.spike-"));
	ck_assert_int_eq(rundir_write_file(rd, "scenario.ini", spec.scenario_text,
					   strlen(spec.scenario_text), &err), 0);
	ck_assert_int_eq(rundir_mkdir(rd, "plots", &err), 0);
	ck_assert_int_eq(rundir_write_file(rd, "plots/a.svg", "<svg/>", 6, &err), 0);
	ck_assert_int_eq(rundir_commit(rd, &err), 0);

	expect = xasprintf("%s/spike-%s", base, rundir_id(rd));
	ck_assert_str_eq(rundir_path(rd), expect);
	ck_assert_int_eq(tmpdir_entries(base), 1);  /* the temporary is gone */
	file = rundir_file(rd, "plots/a.svg");
	ck_assert_int_eq(access(file, R_OK), 0);
	ck_assert_int_eq(tmpdir_entries(expect), 2);
	rundir_free(rd);
	ck_assert(is_dir(expect));           /* free after commit keeps it */
	free(file);
	free(expect);
	free(base);
}
END_TEST

START_TEST(free_without_commit_leaves_nothing)
{
	char *base = xasprintf("%s/reports", tmpdir);
	struct rundir_spec spec = spec_in(base);
	struct rundir *rd;
	struct error err;

	ck_assert_int_eq(rundir_begin(&rd, &spec, &err), 0);
	ck_assert_int_eq(rundir_mkdir(rd, "plots/", &err), 0);
	ck_assert_int_eq(rundir_mkdir(rd, "lake", &err), 0);
	ck_assert_int_eq(rundir_mkdir(rd, "lake/day=1", &err), 0);
	ck_assert_int_eq(rundir_write_file(rd, "lake/day=1/p0", "x", 1, &err), 0);
	ck_assert_int_eq(rundir_write_file(rd, "results.db", "y", 1, &err), 0);
	rundir_free(rd);
	ck_assert_int_eq(tmpdir_entries(base), 0);
	rundir_free(NULL);
	free(base);
}
END_TEST

START_TEST(id_is_deterministic_and_collisions_get_suffixes)
{
	char *base = xasprintf("%s/r", tmpdir), *second;
	struct rundir_spec spec = spec_in(base);
	char id1[9], id2[9], id3[9], id4[9];
	struct rundir *a, *b;
	struct error err;

	rundir_make_id("abc", "", 1, id1);
	rundir_make_id("abc", "", 1, id2);
	ck_assert_str_eq(id1, id2);
	rundir_make_id("abc", "", 2, id3);
	ck_assert_str_ne(id1, id3);
	rundir_make_id("ab", "c", 1, id4); /* field boundaries count */
	ck_assert_str_ne(id1, id4);
	ck_assert_int_eq(strlen(id1), 8);

	ck_assert_int_eq(rundir_begin(&a, &spec, &err), 0);
	ck_assert_int_eq(rundir_begin(&b, &spec, &err), 0);
	ck_assert_str_eq(rundir_id(a), rundir_id(b));
	ck_assert_int_eq(rundir_commit(a, &err), 0);
	ck_assert_int_eq(rundir_commit(b, &err), 0);
	second = xasprintf("%s-2", rundir_path(a));
	ck_assert_str_eq(rundir_path(b), second);
	ck_assert_int_eq(tmpdir_entries(base), 2);
	rundir_free(a);
	rundir_free(b);
	free(second);
	free(base);
}
END_TEST

START_TEST(explicit_out_new_or_empty_ok_nonempty_refused)
{
	char *out = xasprintf("%s/deep/er/out/", tmpdir), *keep;
	struct rundir_spec spec = spec_in(NULL);
	struct rundir *rd;
	struct error err;

	spec.out = out;
	ck_assert_int_eq(rundir_begin(&rd, &spec, &err), 0);
	ck_assert_int_eq(rundir_write_file(rd, "seed", "42\n", 3, &err), 0);
	ck_assert_int_eq(rundir_commit(rd, &err), 0);
	rundir_free(rd);
	keep = xasprintf("%s/deep/er/out/seed", tmpdir);
	ck_assert_int_eq(access(keep, R_OK), 0);

	/* Now it is non-empty: refused, untouched, no temporary left. */
	ck_assert_int_eq(rundir_begin(&rd, &spec, &err), ERR_INPUT);
	ck_assert_ptr_null(rd);
	ck_assert_ptr_nonnull(strstr(err.msg, "not empty"));
	ck_assert_ptr_nonnull(strstr(err.msg, out));
	ck_assert_int_eq(access(keep, R_OK), 0);
	free(keep);
	keep = xasprintf("%s/deep/er", tmpdir);
	ck_assert_int_eq(tmpdir_entries(keep), 1);

	/* An existing empty directory is taken. */
	free(out);
	out = xasprintf("%s/empty", tmpdir);
	ck_assert_int_eq(mkdir(out, 0777), 0);
	spec.out = out;
	ck_assert_int_eq(rundir_begin(&rd, &spec, &err), 0);
	ck_assert_int_eq(rundir_write_file(rd, "f", "1", 1, &err), 0);
	ck_assert_int_eq(rundir_commit(rd, &err), 0);
	ck_assert_str_eq(rundir_path(rd), out);
	ck_assert_int_eq(tmpdir_entries(out), 1);
	rundir_free(rd);
	free(keep);
	free(out);
}
END_TEST

START_TEST(out_that_is_a_file_is_refused)
{
	char *out = xasprintf("%s/file", tmpdir);
	struct rundir_spec spec = spec_in(NULL);
	FILE *f = fopen(out, "w");
	struct rundir *rd;
	struct error err;

	ck_assert_ptr_nonnull(f);
	fclose(f);
	spec.out = out;
	ck_assert_int_eq(rundir_begin(&rd, &spec, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a directory"));
	free(out);
}
END_TEST

START_TEST(unwritable_parent_is_io_error_naming_path)
{
	char *blocker = xasprintf("%s/blocker", tmpdir), *base;
	struct rundir_spec spec;
	FILE *f = fopen(blocker, "w");
	struct rundir *rd;
	struct error err;

	/* A regular file where a parent directory should be: fails for root too. */
	ck_assert_ptr_nonnull(f);
	fclose(f);
	base = xasprintf("%s/reports", blocker);
	spec = spec_in(base);
	ck_assert_int_eq(rundir_begin(&rd, &spec, &err), ERR_IO);
	ck_assert_ptr_null(rd);
	ck_assert_ptr_nonnull(strstr(err.msg, blocker));
	free(base);

	/* Permission bits stop everyone but root. */
	if (geteuid() != 0) {
		char *ro = xasprintf("%s/ro", tmpdir);

		ck_assert_int_eq(mkdir(ro, 0555), 0);
		spec = spec_in(ro);
		ck_assert_int_eq(rundir_begin(&rd, &spec, &err), ERR_IO);
		ck_assert_ptr_nonnull(strstr(err.msg, ro));
		chmod(ro, 0755);
		free(ro);
	}
	free(blocker);
}
END_TEST

START_TEST(bad_name_is_input_error)
{
	struct rundir_spec spec = spec_in(tmpdir);
	struct rundir *rd;
	struct error err;

	spec.name = "../escape";
	ck_assert_int_eq(rundir_begin(&rd, &spec, &err), ERR_INPUT);
	spec.name = ".hidden";
	ck_assert_int_eq(rundir_begin(&rd, &spec, &err), ERR_INPUT);
	spec.name = "";
	ck_assert_int_eq(rundir_begin(&rd, &spec, &err), ERR_INPUT);
	ck_assert_int_eq(tmpdir_entries(tmpdir), 0);
}
END_TEST

static void put(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

/* A run directory's scenario comes back with its overrides; a missing
 * file, a seed file that disagrees and a bad override line are errors
 * naming the file or the line. */
START_TEST(scenario_read_back_from_a_run_directory)
{
	char *dir = tmpdir_path("run");
	struct scenario *sc;
	struct config cfg;
	struct error err;

	ck_assert_int_eq(mkdir(dir, 0777), 0);
	put(dir, "scenario.ini", "[run]\nseed = 7\n[world]\nusers = 10\n");
	ck_assert_ptr_null(rundir_load_scenario(dir, &err));
	ck_assert_int_eq(err.code, ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "overrides.txt"));

	put(dir, "overrides.txt", "world.users=12\n\nrun.seed=9\n");
	put(dir, "seed", "9\n");
	sc = rundir_load_scenario(dir, &err);
	ck_assert_msg(sc != NULL, "%s", err.msg);
	ck_assert_int_eq(config_load(&cfg, sc, &err), 0);
	ck_assert_uint_eq(cfg.sim.world.n_users, 12);
	ck_assert_uint_eq(cfg.run.seed, 9);
	scenario_free(sc);

	put(dir, "seed", "7\n");   /* the file's seed, not the override's */
	ck_assert_ptr_null(rundir_load_scenario(dir, &err));
	ck_assert_int_eq(err.code, ERR_CORRUPT);
	ck_assert_ptr_nonnull(strstr(err.msg, "the run directory was edited"));

	put(dir, "overrides.txt", "world.users=ten\n");
	ck_assert_ptr_null(rundir_load_scenario(dir, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "world.users=ten") && strstr(err.msg, "[world] users"), "%s",
		      err.msg);
	free(dir);
}
END_TEST

/* Issue 18: a killed run left its hidden directory forever (15 MB a
 * kill; trace export's scratch directory in /tmp too).  The next scan of
 * the parent removes a dead run's (its lock free), names one with
 * checkpoints for --resume, and leaves a live run's (locked) and a
 * directory without a lock file (not ours to judge) alone. */
START_TEST(stale_directories_of_dead_runs_are_found)
{
	char *dead = tmpdir_path(".dead-1.tmp-AAAAAA"), *ckpt = tmpdir_path(".ck-1.tmp-BBBBBB");
	char *live = tmpdir_path(".live-1.tmp-CCCCCC"), *bare = tmpdir_path(".bare.tmp-DDDDDD");
	char *notes = NULL, *p;
	int fd, live_fd;

	ck_assert_int_eq(mkdir(dead, 0777), 0);
	ck_assert_int_eq(mkdir(ckpt, 0777), 0);
	ck_assert_int_eq(mkdir(live, 0777), 0);
	ck_assert_int_eq(mkdir(bare, 0777), 0);
	/* a dead run's lock: the file is there, nobody holds it */
	fd = rundir_lock(dead);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = rundir_lock(ckpt);
	ck_assert_int_ge(fd, 0);
	close(fd);
	p = xasprintf("%s/%s", ckpt, RUNDIR_CHECKPOINT);
	ck_assert_int_eq(mkdir(p, 0777), 0);
	free(p);
	live_fd = rundir_lock(live);
	ck_assert_int_ge(live_fd, 0);
	ck_assert_int_eq(rundir_stale_scan(tmpdir, &notes), 2);
	ck_assert(access(dead, F_OK) != 0);
	ck_assert(access(ckpt, F_OK) == 0 && access(live, F_OK) == 0 && access(bare, F_OK) == 0);
	ck_assert_msg(strstr(notes, "removed stale run directory") && strstr(notes, dead), "%s",
		      notes);
	ck_assert_msg(strstr(notes, "airtime run --resume") && strstr(notes, ckpt), "%s", notes);
	close(live_fd);
	free(notes);
	free(dead);
	free(ckpt);
	free(live);
	free(bare);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, commit_moves_whole_tree_into_place);
	tcase_add_test(tc, free_without_commit_leaves_nothing);
	tcase_add_test(tc, id_is_deterministic_and_collisions_get_suffixes);
	tcase_add_test(tc, explicit_out_new_or_empty_ok_nonempty_refused);
	tcase_add_test(tc, out_that_is_a_file_is_refused);
	tcase_add_test(tc, unwritable_parent_is_io_error_naming_path);
	tcase_add_test(tc, bad_name_is_input_error);
	tcase_add_test(tc, scenario_read_back_from_a_run_directory);
	tcase_add_test(tc, stale_directories_of_dead_runs_are_found);
}

CHECK_MAIN("rundir", add_tests, 30)
