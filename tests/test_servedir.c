/* serve/servedir: a finished run directory opened for real-time serving. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "engine/catalog.h"
#include "engine/forest.h"
#include "results/rundir.h"
#include "serve/servedir.h"
#include "engine/serving.h"
#include "tests/tinyrun.h"

#include "tests/check_main.h"
#include "tests/tmpdir.h"

START_TEST(opens_a_run_and_ranks_with_its_forest)
{
	struct error err = { 0 };
	struct servedir *d = servedir_open(tinyrun_dir, NULL, &err);
	struct serving *s;
	struct servedir_page p;

	ck_assert_msg(d != NULL, "%s", err.msg);
	/* 500 base users plus the spike's cold-start users (20 % of 200 / (1 - 0.5)
	 * expected sessions at most): the population is at least the base. */
	ck_assert_uint_ge(servedir_users(d), 500);
	ck_assert_int_eq(servedir_time(d), 2 * SIMTIME_DAY);
	ck_assert_ptr_nonnull(servedir_model(d));
	ck_assert_uint_eq(forest_n_trees(servedir_model(d)), 10);
	ck_assert_uint_gt(servedir_online_records(d), 0);
	ck_assert_uint_gt(servedir_candidates(d), 0);
	s = servedir_serving_new(d, 0, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(servedir_request(d, s, 3, RANK_FOREST, 1, &p, &err), 0);
	ck_assert(!p.cold_start);
	ck_assert_int_eq(p.res.scorer_used, RANK_FOREST);
	ck_assert(!p.res.fell_back);
	ck_assert_uint_eq(p.res.n_candidates, servedir_candidates(d));
	ck_assert_uint_le(p.res.k, 20);
	ck_assert_uint_gt(p.res.k, 0);
	/* The batch features of features.db are in the rows: some candidate
	 * has a creator-history value (the run's last daily job wrote them). */
	ck_assert_ptr_nonnull(p.res.rows);
	ck_assert_uint_gt(p.res.stride, RANK_PIT_COUNT + RANK_CTX_COUNT);
	{
		const struct rank *rk = serving_rank(s);
		bool any = false;

		for (size_t c = 0; c < p.res.stride; c++)
			if (!strncmp(rank_feature_name(rk, c), "creator.", 8))
				for (size_t i = 0; i < p.res.n_candidates; i++)
					any |= !isnan(p.res.rows[i * p.res.stride + c]);
		ck_assert(any);
	}
	serving_free(s);
	servedir_free(d);
}
END_TEST

/* The catalog is the world's schedule as of the serving time: a live
 * candidate started at or before T and had not ended; an upcoming one
 * starts after T within the horizon (or is at most late_grace overdue). */
START_TEST(catalog_is_the_schedule_at_the_serving_time)
{
	struct servedir_options o = { .at_set = true, .at = 36 * SIMTIME_HOUR };
	struct error err = { 0 };
	struct servedir *d = servedir_open(tinyrun_dir, &o, &err);
	const struct catalog *c;
	uint32_t cand[1000];
	size_t n;

	ck_assert_msg(d != NULL, "%s", err.msg);
	c = servedir_catalog(d);
	n = catalog_candidates(c, o.at, 6 * SIMTIME_HOUR, 30 * SIMTIME_MIN, cand, 1000);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(n, servedir_candidates(d));
	for (size_t i = 0; i < n; i++) {
		simtime start = catalog_start(c, cand[i]);

		if (catalog_state(c, cand[i]) == CATALOG_LIVE)
			ck_assert_int_le(start, o.at);
		else
			ck_assert(start > o.at - 30 * SIMTIME_MIN && start <= o.at + 6 * SIMTIME_HOUR);
	}
	servedir_free(d);
}
END_TEST

START_TEST(unknown_user_gets_a_cold_start_page)
{
	struct error err = { 0 };
	struct servedir *d = servedir_open(tinyrun_dir, NULL, &err);
	struct serving *s = servedir_serving_new(d, 0, &err);
	struct servedir_page p;

	ck_assert_int_eq(servedir_request(d, s, 4000000000u, RANK_FOREST, 7, &p, &err), 0);
	ck_assert(p.cold_start);
	ck_assert_int_eq(p.asked, RANK_FOREST);
	ck_assert_int_eq(p.res.scorer_used, RANK_HEURISTIC);
	ck_assert_uint_eq(p.res.k, servedir_candidates(d) < 20 ? servedir_candidates(d) : 20);
	ck_assert_int_eq(servedir_request(d, s, servedir_users(d), RANK_RANDOM, 8, &p, &err), 0);
	ck_assert(p.cold_start);
	serving_free(s);
	servedir_free(d);
}
END_TEST

START_TEST(missing_model_file_makes_the_forest_unavailable_naming_the_path)
{
	char *model = xasprintf("%s/model.forest", tinyrun_dir);
	char *aside = xasprintf("%s.aside", tinyrun_dir);
	struct error err = { 0 };
	struct servedir *d;
	struct serving *s;
	struct servedir_page p;

	ck_assert_int_eq(rename(model, aside), 0);
	d = servedir_open(tinyrun_dir, NULL, &err);
	ck_assert_int_eq(rename(aside, model), 0);
	ck_assert_msg(d != NULL, "%s", err.msg);
	ck_assert_ptr_null(servedir_model(d));
	s = servedir_serving_new(d, 0, &err);
	ck_assert_int_eq(servedir_request(d, s, 1, RANK_FOREST, 1, &p, &err), ERR_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(err.msg, model));
	/* The other scorers still serve. */
	ck_assert_int_eq(servedir_request(d, s, 1, RANK_HEURISTIC, 1, &p, &err), 0);
	serving_free(s);
	servedir_free(d);
	free(model);
	free(aside);
}
END_TEST

START_TEST(missing_files_are_errors_naming_them)
{
	char *empty = xasprintf("%s/empty", tmpdir);
	struct error err = { 0 };

	ck_assert_int_eq(mkdir(empty, 0700), 0);
	ck_assert_ptr_null(servedir_open(empty, NULL, &err));
	ck_assert_int_eq(err.code, ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "scenario.ini"));
	rmdir(empty);
	ck_assert_ptr_null(servedir_open("/nonexistent/run", NULL, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/run"));
	free(empty);
}
END_TEST

START_TEST(the_online_log_is_only_read)
{
	char *log = xasprintf("%s/online.log", tinyrun_dir);
	struct stat before, after;
	struct error err = { 0 };
	struct servedir *d;

	ck_assert_int_eq(stat(log, &before), 0);
	d = servedir_open(tinyrun_dir, NULL, &err);
	ck_assert_ptr_nonnull(d);
	servedir_free(d);
	ck_assert_int_eq(stat(log, &after), 0);
	ck_assert_int_eq(before.st_size, after.st_size);
	ck_assert_int_eq(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	ck_assert_int_eq(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	free(log);
}
END_TEST

/* A copy of the tiny run directory, to damage. */
static char *copy_run(const char *name)
{
	char *dst = xasprintf("%s/%s", tmpdir, name), *cmd;

	cmd = xasprintf("cp -r '%s' '%s'", tinyrun_dir, dst);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	return dst;
}

/* Issue 18: online.log truncated to 0 bytes, 100 bytes or half was served
 * silently (/healthz ok, other pages).  A run seals its log; a cut or
 * damaged one is served with a warning naming what was skipped, or
 * refused with strict_store; 0 bytes is no store log at all.  Serving at
 * the horizon reads the sealed snapshot (online.snap), never the damage,
 * and still checks the log. */
START_TEST(a_truncated_online_log_is_never_served_silently)
{
	struct servedir_options so = { 0 }, strict = { .strict_store = true };
	struct error err = { 0 };
	struct servedir *d;
	struct stat st;
	char *run = copy_run("cut"), *log = xasprintf("%s/online.log", run);
	const char *const cuts[] = { "100", "half", "minus40" };

	d = servedir_open(run, &strict, &err);
	ck_assert_msg(d != NULL, "%s", err.msg);
	ck_assert_ptr_null(servedir_store_warning(d));
	servedir_free(d);
	ck_assert_int_eq(stat(log, &st), 0);
	for (size_t c = 0; c < 3; c++) {
		char *copy = copy_run("cutc");
		char *l = xasprintf("%s/online.log", copy), *cmd;
		off_t at = c == 0 ? 100 : c == 1 ? st.st_size / 2 : st.st_size - 40;

		ck_assert_int_eq(truncate(l, at), 0);
		for (int snap = 0; snap < 2; snap++) {
			/* serving at the horizon (the snapshot) and before it (the log) */
			so.at_set = snap == 0;
			so.at = 30 * SIMTIME_HOUR;
			strict.at_set = so.at_set;
			strict.at = so.at;
			d = servedir_open(copy, &so, &err);
			ck_assert_msg(d != NULL, "cut %s: %s", cuts[c], err.msg);
			ck_assert_msg(servedir_store_warning(d) &&
				      strstr(servedir_store_warning(d), "not sealed"), "cut %s", cuts[c]);
			servedir_free(d);
			ck_assert_ptr_null(servedir_open(copy, &strict, &err));
			ck_assert_int_eq(err.code, ERR_CORRUPT);
			ck_assert_msg(strstr(err.msg, "strict-store"), "%s", err.msg);
		}
		cmd = xasprintf("rm -rf '%s'", copy);
		ck_assert_int_eq(system(cmd), 0);
		free(cmd);
		free(l);
		free(copy);
	}
	ck_assert_int_eq(truncate(log, 0), 0);
	ck_assert_ptr_null(servedir_open(run, &so, &err));
	ck_assert_msg(strstr(err.msg, "online.log"), "%s", err.msg);
	free(log);
	free(run);
}
END_TEST

/* The snapshot a restart reads gives the pages the log gives. */
START_TEST(the_snapshot_serves_what_the_log_serves)
{
	char *run = copy_run("nosnap"), *snap = xasprintf("%s/online.snap", run);
	struct error err = { 0 };
	struct servedir *a, *b;
	struct serving *sa, *sb;
	struct servedir_page pa, pb;

	ck_assert_int_eq(unlink(snap), 0);
	a = servedir_open(tinyrun_dir, NULL, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	b = servedir_open(run, NULL, &err);
	ck_assert_msg(b != NULL, "%s", err.msg);
	ck_assert_uint_lt(servedir_online_records(a), servedir_online_records(b));
	sa = servedir_serving_new(a, 0, &err);
	sb = servedir_serving_new(b, 0, &err);
	for (uint32_t u = 0; u < 50; u++) {
		ck_assert_int_eq(servedir_request(a, sa, u, RANK_FOREST, u, &pa, &err), 0);
		ck_assert_int_eq(servedir_request(b, sb, u, RANK_FOREST, u, &pb, &err), 0);
		ck_assert_uint_eq(pa.res.k, pb.res.k);
		ck_assert(memcmp(pa.res.page, pb.res.page, pa.res.k * sizeof(uint32_t)) == 0);
		ck_assert(memcmp(pa.res.page_scores, pb.res.page_scores, pa.res.k * sizeof(double)) == 0);
	}
	serving_free(sa);
	serving_free(sb);
	servedir_free(a);
	servedir_free(b);
	free(snap);
	free(run);
}
END_TEST

/* Threads with a serving each over the shared stores give the pages one
 * thread gives (the read path shares no mutable state). */
struct par {
	const struct servedir *d;
	uint32_t first;
	uint32_t pages[64][20];
	size_t k[64];
};

static void *par_main(void *arg)
{
	struct par *p = arg;
	struct error err;
	struct serving *s = servedir_serving_new(p->d, 0, &err);
	struct servedir_page pg;

	for (int rep = 0; rep < 20; rep++)
		for (uint32_t u = 0; u < 64; u++) {
			ck_assert_int_eq(servedir_request(p->d, s, p->first + u, RANK_FOREST, u, &pg,
							  &err), 0);
			p->k[u] = pg.res.k;
			memcpy(p->pages[u], pg.res.page, pg.res.k * sizeof(uint32_t));
		}
	serving_free(s);
	return NULL;
}

START_TEST(threads_share_the_stores_and_agree)
{
	struct error err = { 0 };
	struct servedir *d = servedir_open(tinyrun_dir, NULL, &err);
	static struct par ref, a, b;
	pthread_t ta, tb;

	ref.d = a.d = b.d = d;
	par_main(&ref);
	ck_assert_int_eq(pthread_create(&ta, NULL, par_main, &a), 0);
	ck_assert_int_eq(pthread_create(&tb, NULL, par_main, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ck_assert_mem_eq(ref.k, a.k, sizeof(ref.k));
	ck_assert_mem_eq(ref.k, b.k, sizeof(ref.k));
	for (int u = 0; u < 64; u++) {
		ck_assert_mem_eq(ref.pages[u], a.pages[u], ref.k[u] * sizeof(uint32_t));
		ck_assert_mem_eq(ref.pages[u], b.pages[u], ref.k[u] * sizeof(uint32_t));
	}
	servedir_free(d);
}
END_TEST

/* Moving the serving time forward applies the catalog's show events and
 * the log's feature writes up to it, as opening at that time would. */
START_TEST(advancing_equals_opening_later)
{
	struct servedir_options early = { .at_set = true, .at = 26 * SIMTIME_HOUR };
	struct servedir_options late = { .at_set = true, .at = 40 * SIMTIME_HOUR };
	struct error err = { 0 };
	struct servedir *a = servedir_open(tinyrun_dir, &early, &err);
	struct servedir *b = servedir_open(tinyrun_dir, &late, &err);
	struct serving *sa, *sb;
	struct servedir_page pa, pb;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_lt(servedir_online_records(a), servedir_online_records(b));
	ck_assert_int_eq(servedir_advance(a, 40 * SIMTIME_HOUR, &err), 0);
	ck_assert_int_eq(servedir_time(a), servedir_time(b));
	ck_assert_uint_eq(servedir_online_records(a), servedir_online_records(b));
	ck_assert_uint_eq(servedir_candidates(a), servedir_candidates(b));
	sa = servedir_serving_new(a, 0, &err);
	sb = servedir_serving_new(b, 0, &err);
	for (uint32_t u = 0; u < 50; u++) {
		ck_assert_int_eq(servedir_request(a, sa, u, RANK_POPULARITY, u, &pa, &err), 0);
		ck_assert_int_eq(servedir_request(b, sb, u, RANK_POPULARITY, u, &pb, &err), 0);
		ck_assert_uint_eq(pa.res.k, pb.res.k);
		ck_assert_mem_eq(pa.res.page, pb.res.page, pa.res.k * sizeof(uint32_t));
	}
	ck_assert_int_eq(servedir_advance(a, 30 * SIMTIME_HOUR, &err), ERR_INPUT);
	serving_free(sa);
	serving_free(sb);
	servedir_free(a);
	servedir_free(b);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, advancing_equals_opening_later);
	tcase_add_unchecked_fixture(tc, tinyrun_setup, tinyrun_teardown);
	tcase_add_test(tc, opens_a_run_and_ranks_with_its_forest);
	tcase_add_test(tc, catalog_is_the_schedule_at_the_serving_time);
	tcase_add_test(tc, unknown_user_gets_a_cold_start_page);
	tcase_add_test(tc, missing_model_file_makes_the_forest_unavailable_naming_the_path);
	tcase_add_test(tc, missing_files_are_errors_naming_them);
	tcase_add_test(tc, the_online_log_is_only_read);
	tcase_add_test(tc, threads_share_the_stores_and_agree);
	tcase_add_test(tc, a_truncated_online_log_is_never_served_silently);
	tcase_add_test(tc, the_snapshot_serves_what_the_log_serves);
}

CHECK_MAIN("servedir", add_tests, 120)
