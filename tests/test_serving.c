/* Tests for engine/serving.c: the serving path over real stores: PIT show
 * and creator features read from the online store into the ranker's row,
 * popularity and oracle scorers fed through it, a store outage falling
 * back to the heuristic, concurrent mode counting reads in the serving,
 * and no model or no truth refused per request. */
#include "engine/serving.h"

#include <check.h>
#include <math.h>
#include <string.h>

#include "engine/catalog.h"
#include "engine/online.h"
#include "engine/pit.h"
#include "engine/profile.h"
#include "tests/catfix.h"
#include "tests/defaults.h"
#include "tests/check_main.h"

#define NOW CATFIX_NOW

struct fixture {
	struct catalog *cat;
	struct profile *prof;
	struct online *online;
	struct rank_config rc;
};

/* Live listeners of show s: 10 s for the live shows 3 and 7 (so 7 leads
 * popularity); creator 30 has 5 followers listening. */
static void fixture_make(struct fixture *f)
{
	const struct online_table_spec tables[PIT_TABLES] = {
		[PIT_TABLE_SHOW] = { 16, PIT_SHOW_FEATURES },
		[PIT_TABLE_CREATOR] = { 100, PIT_CREATOR_FEATURES },
	};
	struct online_config oc;
	struct error err;
	uint16_t declared[] = { 3 };

	f->cat = catfix_sample();
	f->prof = profile_new(2);
	ck_assert_int_eq(profile_set(f->prof, 0, declared, 1, &err), 0);
	oc = test_defaults()->stream.online;
	f->online = online_new(&oc, tables, PIT_TABLES, &err);
	ck_assert_msg(f->online != NULL, "%s", err.msg);
	ck_assert_int_eq(online_write(f->online, PIT_TABLE_SHOW, 3, PIT_LIVE_LISTENERS, 30,
				      NOW - 1, 1, NOW - 1, &err), 0);
	ck_assert_int_eq(online_write(f->online, PIT_TABLE_SHOW, 7, PIT_LIVE_LISTENERS, 70,
				      NOW - 1, 2, NOW - 1, &err), 0);
	ck_assert_int_eq(online_write(f->online, PIT_TABLE_SHOW, 7, PIT_LIKES, 4,
				      NOW - 1, 3, NOW - 1, &err), 0);
	ck_assert_int_eq(online_write(f->online, PIT_TABLE_CREATOR, 30, PIT_LIVE_FOLLOWERS, 5,
				      NOW - 1, 4, NOW - 1, &err), 0);
	ck_assert_int_eq(online_commit(f->online, &err), 0);
	f->rc = test_defaults()->rank;
	f->rc.k = 4;
	f->rc.host_timing = false;
}

static void fixture_free(struct fixture *f)
{
	online_free(f->online);
	profile_free(f->prof);
	catalog_free(f->cat);
}

static struct serving *serving_of(struct fixture *f, struct online *online,
				  serving_truth_fn truth, bool concurrent)
{
	struct serving_parts parts = {
		.rank = &f->rc, .catalog = f->cat, .profile = f->prof, .online = online,
		.batch = NULL, .truth = truth, .truth_ctx = NULL, .seed = 1,
		.concurrent = concurrent,
	};
	struct error err;
	struct serving *s = serving_new(&parts, &err);

	ck_assert_msg(s != NULL, "%s", err.msg);
	return s;
}

static struct rank_request req(enum rank_scorer scorer)
{
	struct rank_request q = { .user = 0, .now = NOW, .request_id = 1, .scorer = scorer,
				  .want_rows = true };
	return q;
}

/* The row of a show: PIT show columns, then the creator's live followers. */
static const float *row_of(const struct rank_result *res, uint32_t show)
{
	for (size_t i = 0; i < res->n_candidates; i++)
		if (res->candidates[i] == show)
			return res->rows + i * res->stride;
	ck_abort_msg("show %u is not a candidate", show);
	return NULL;
}

START_TEST(pit_features_come_from_the_online_store)
{
	struct fixture f;
	struct serving *s;
	struct rank_result res;
	struct error err;
	struct rank_request q = req(RANK_POPULARITY);
	const float *r7, *r3, *r1;

	fixture_make(&f);
	s = serving_of(&f, f.online, NULL, false);
	ck_assert_uint_eq(rank_n_features(serving_rank(s)), RANK_PIT_COUNT + RANK_CTX_COUNT);
	ck_assert_int_eq(serving_request(s, &q, &res, &err), 0);
	ck_assert_uint_eq(res.n_candidates, 6);
	ck_assert_uint_eq(res.stride, RANK_PIT_COUNT + RANK_CTX_COUNT);
	r7 = row_of(&res, 7);
	r3 = row_of(&res, 3);
	r1 = row_of(&res, 1);
	ck_assert_float_eq(r7[RANK_PIT_LIVE_LISTENERS], 70);
	ck_assert_float_eq(r7[RANK_PIT_LIKES], 4);
	ck_assert_float_eq(r3[RANK_PIT_LIVE_LISTENERS], 30);
	ck_assert_float_eq(r3[RANK_PIT_CREATOR_FOLLOWERS_LIVE], 5);
	ck_assert(isnan(r7[RANK_PIT_CREATOR_FOLLOWERS_LIVE]));   /* creator 70: nothing */
	ck_assert(isnan(r1[RANK_PIT_LIVE_LISTENERS]));
	ck_assert_float_eq(r7[RANK_PIT_COUNT + RANK_CTX_IS_LIVE], 1);
	ck_assert_float_eq(r1[RANK_PIT_COUNT + RANK_CTX_IS_LIVE], 0);
	/* popularity: live listeners first */
	ck_assert_uint_eq(res.page[0], 7);
	ck_assert_uint_eq(res.page[1], 3);
	ck_assert(!res.fell_back);
	ck_assert_uint_gt(online_stats(f.online)->reads, 0);
	serving_free(s);
	fixture_free(&f);
}
END_TEST

/* Without a store every PIT column is missing; the heuristic still works. */
START_TEST(no_store_means_missing_pit_features)
{
	struct fixture f;
	struct serving *s;
	struct rank_result res;
	struct error err;
	struct rank_request q = req(RANK_HEURISTIC);

	fixture_make(&f);
	s = serving_of(&f, NULL, NULL, false);
	ck_assert_int_eq(serving_request(s, &q, &res, &err), 0);
	for (size_t i = 0; i < res.n_candidates; i++)
		for (size_t j = 0; j < RANK_PIT_COUNT; j++)
			ck_assert(isnan(res.rows[i * res.stride + j]));
	/* user 0 declared topic 3: shows 6 and 9 first */
	ck_assert_uint_eq(res.page[0], 6);
	ck_assert_uint_eq(res.page[1], 9);
	serving_free(s);
	fixture_free(&f);
}
END_TEST

/* The oracle scores with the truth callback: show s scores s / 100. */
static double truth(void *ctx, uint32_t user, uint32_t show, simtime now)
{
	(void)ctx, (void)user, (void)now;
	return show / 100.0;
}

START_TEST(oracle_scores_with_the_truth_or_is_refused)
{
	struct fixture f;
	struct serving *s;
	struct rank_result res;
	struct error err;
	struct rank_request q = req(RANK_ORACLE);
	static const uint32_t want[] = { 9, 7, 6, 3 };

	fixture_make(&f);
	s = serving_of(&f, f.online, truth, false);
	ck_assert_int_eq(serving_request(s, &q, &res, &err), 0);
	ck_assert_uint_eq(res.k, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_uint_eq(res.page[i], want[i]);
		ck_assert_double_eq(res.page_scores[i], want[i] / 100.0);
	}
	serving_free(s);
	s = serving_of(&f, f.online, NULL, false);
	ck_assert_int_eq(serving_request(s, &q, &res, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "truth"));
	/* no model: the forest scorer is refused per request */
	ck_assert_ptr_null(serving_model(s));
	ck_assert_int_eq(serving_set_model(s, NULL, &err), 0);
	q.scorer = RANK_FOREST;
	ck_assert_int_eq(serving_request(s, &q, &res, &err), ERR_INPUT);
	serving_free(s);
	serving_free(NULL);
	fixture_free(&f);
}
END_TEST

/* A store outage makes the request fall back to the heuristic, counted. */
START_TEST(an_outage_falls_back_to_the_heuristic)
{
	struct fixture f;
	struct serving *s;
	struct rank_result res;
	struct error err;
	struct rank_request q = req(RANK_POPULARITY);

	fixture_make(&f);
	ck_assert_int_eq(online_add_outage(f.online, NOW - SIMTIME_MIN, NOW + SIMTIME_MIN, &err), 0);
	s = serving_of(&f, f.online, NULL, false);
	ck_assert_int_eq(serving_request(s, &q, &res, &err), 0);
	ck_assert(res.fell_back);
	ck_assert_int_eq(res.scorer_used, RANK_HEURISTIC);
	ck_assert_uint_eq(res.page[0], 6);
	ck_assert_uint_eq(rank_stats(serving_rank(s))->fallbacks[RANK_POPULARITY], 1);
	serving_free(s);
	fixture_free(&f);
}
END_TEST

/* Concurrent mode: the same rows, with the reads counted in the serving
 * and none in the shared store. */
START_TEST(concurrent_mode_counts_reads_in_the_serving)
{
	struct fixture f;
	struct serving *a, *b;
	struct rank_result ra, rb;
	struct error err;
	struct rank_request q = req(RANK_POPULARITY);
	uint64_t store_reads;
	float rows_a[128];
	size_t n;

	fixture_make(&f);
	a = serving_of(&f, f.online, NULL, false);
	b = serving_of(&f, f.online, NULL, true);
	ck_assert_int_eq(serving_request(a, &q, &ra, &err), 0);
	n = ra.n_candidates * ra.stride;
	ck_assert_uint_le(n, 128);
	memcpy(rows_a, ra.rows, n * sizeof(float));
	store_reads = online_stats(f.online)->reads;
	ck_assert_uint_eq(serving_online_counts(a)->reads, 0);
	ck_assert_int_eq(serving_request(b, &q, &rb, &err), 0);
	ck_assert_uint_eq(online_stats(f.online)->reads, store_reads);
	ck_assert_uint_eq(serving_online_counts(b)->reads, store_reads);
	ck_assert_uint_eq(rb.n_candidates * rb.stride, n);
	for (size_t i = 0; i < n; i++)
		ck_assert(memcmp(&rows_a[i], &rb.rows[i], sizeof(float)) == 0);
	serving_free(a);
	serving_free(b);
	fixture_free(&f);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, pit_features_come_from_the_online_store);
	tcase_add_test(tc, no_store_means_missing_pit_features);
	tcase_add_test(tc, oracle_scores_with_the_truth_or_is_refused);
	tcase_add_test(tc, an_outage_falls_back_to_the_heuristic);
	tcase_add_test(tc, concurrent_mode_counts_reads_in_the_serving);
}

CHECK_MAIN("serving", add_tests, 30)
