/* Tests for engine/rank.c and engine/rank_forest.c: feature assembly, the
 * scorers, top-K and the fallback, over tests/catfix.h's catalog
 * (engine/catalog.c and engine/profile.c: test_catalog.c, test_profile.c). */
#include "engine/catalog.h"
#include "engine/profile.h"
#include "engine/rank.h"
#include "engine/rank_forest.h"

#include "common/rng.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/scenario.h"
#include "tests/scenfile.h"
#include "tests/catfix.h"
#include "tests/check_main.h"
#include "tests/defaults.h"

#define NOW CATFIX_NOW   /* the time of tests/catfix.h's catalog */

/* ---- fake feature sources ---- */

struct fake {
	int fail_pit;         /* error code the PIT source returns, 0 = none */
	int calls;
	double oracle_value;  /* NaN: oracle = show id / 100 */
};

/* PIT feature j of show s = 100 s + j. */
static int fake_pit(void *ctx, const uint32_t *shows, size_t n, simtime now, float *out,
		    struct error *err)
{
	struct fake *f = ctx;

	(void)now;
	f->calls++;
	if (f->fail_pit)
		return error_set(err, f->fail_pit, "pit store down");
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < RANK_PIT_COUNT; j++)
			out[i * RANK_PIT_COUNT + j] = (float)(100 * shows[i] + j);
	return 0;
}

static int fake_user(void *ctx, uint32_t user, simtime now, float *out, struct error *err)
{
	(void)ctx, (void)now, (void)err;
	out[0] = (float)user;
	out[1] = -1.0f;
	return 0;
}

/* creator feature = creator id */
static int fake_creator(void *ctx, const uint32_t *creators, size_t n, simtime now, float *out,
			struct error *err)
{
	(void)ctx, (void)now, (void)err;
	for (size_t i = 0; i < n; i++)
		out[i] = (float)creators[i];
	return 0;
}

/* user x topic = 1000 user + topic */
static int fake_topic(void *ctx, uint32_t user, const uint16_t *topics, size_t n, simtime now,
		      float *out, struct error *err)
{
	(void)ctx, (void)now, (void)err;
	for (size_t i = 0; i < n; i++)
		out[i] = (float)(1000 * user + topics[i]);
	return 0;
}

static int fake_oracle(void *ctx, uint32_t user, const uint32_t *shows, size_t n, simtime now,
		       double *out, struct error *err)
{
	struct fake *f = ctx;

	(void)user, (void)now, (void)err;
	for (size_t i = 0; i < n; i++)
		out[i] = isnan(f->oracle_value) ? shows[i] / 100.0 : f->oracle_value;
	return 0;
}

static const char *const user_names[] = { "user_id", "user_minus_one" };

static struct rank_sources fake_sources(struct fake *f)
{
	struct rank_sources s = {
		.ctx = f, .show_pit = fake_pit, .user_batch = fake_user,
		.creator_batch = fake_creator, .user_topic = fake_topic, .user_creator = NULL,
		.n_user = 2, .n_creator = 1, .n_topic = 1, .n_pair = 1,
		.user_names = user_names, .oracle = fake_oracle,
	};
	return s;
}

/* A "model" reading two named columns: score = ctx_declared_match * 10 +
 * pit_likes / 1000, in its own column order (mapped by name). */
static const char *const model_cols[] = { "pit_likes", "ctx_declared_match" };

static const char *model_name(const void *ctx, size_t i)
{
	(void)ctx;
	return model_cols[i];
}

static int model_predict(const void *ctx, const float *rows, size_t n, size_t stride,
			 double *out, struct error *err)
{
	(void)ctx, (void)err;
	ck_assert_uint_eq(stride, 2);
	for (size_t i = 0; i < n; i++)
		out[i] = rows[i * stride + 1] * 10.0 + rows[i * stride] / 1000.0;
	return 0;
}

static const struct rank_model fake_model = {
	.ctx = NULL, .n_features = 2, .feature_name = model_name, .predict = model_predict,
	.n_trees = 3, .nodes_per_row = 30,
};

struct setup {
	struct catalog *cat;
	struct profile *prof;
	struct fake fake;
	struct rank_sources src;
	struct rank *rank;
};

static void setup_make(struct setup *s, uint32_t k, uint64_t seed)
{
	struct rank_config cfg;
	struct error err;
	uint16_t topics_u0[] = { 3 };  /* user 0 declares topic 3 */

	cfg = test_defaults()->rank;
	cfg.k = k;
	s->cat = catfix_sample();
	s->prof = profile_new(2);
	ck_assert_int_eq(profile_set(s->prof, 0, topics_u0, 1, &err), 0);
	memset(&s->fake, 0, sizeof(s->fake));
	s->fake.oracle_value = NAN;
	s->src = fake_sources(&s->fake);
	s->rank = rank_new(&cfg, s->cat, s->prof, &s->src, &fake_model, seed, &err);
	ck_assert_msg(s->rank != NULL, "%s", err.msg);
}

static void setup_free(struct setup *s)
{
	rank_free(s->rank);
	profile_free(s->prof);
	catalog_free(s->cat);
}

static struct rank_request request(enum rank_scorer scorer, uint64_t id)
{
	struct rank_request q = { .user = 0, .now = NOW, .request_id = id, .scorer = scorer };
	return q;
}

/* Candidates at NOW: 3 (live, t2), 7 (live, t1), 6 (-10min, t3), 1 (+1h, t2),
 * 9 (+1h, t3), 2 (+5h, t1).  User 0 declared topic 3: shows 6 and 9 first
 * (6 starts earlier), then the rest by start: 7 (-40min), 3 (-10min), then
 * 1 (+1h), 2 (+5h). */
START_TEST(heuristic_declared_topics_first_then_start)
{
	struct setup s;
	struct rank_result res;
	struct rank_request q = request(RANK_HEURISTIC, 1);
	static const uint32_t want[] = { 6, 9, 7, 3, 1, 2 };
	struct error err;

	setup_make(&s, 10, 1);
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	ck_assert_uint_eq(res.k, 6);
	for (size_t i = 0; i < res.k; i++)
		ck_assert_uint_eq(res.page[i], want[i]);
	ck_assert_ptr_null(res.rows);        /* the heuristic reads no features */
	ck_assert_int_eq(s.fake.calls, 0);
	ck_assert_uint_eq(res.cost.features_read, 0);
	/* user 1 declared nothing: pure start order */
	q.user = 1;
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	ck_assert_uint_eq(res.page[0], 7);
	ck_assert_uint_eq(res.page[1], 3);
	ck_assert_uint_eq(res.page[2], 6);
	setup_free(&s);
}
END_TEST

START_TEST(features_assembled_in_documented_columns)
{
	struct setup s;
	struct rank_result res;
	struct rank_request q = request(RANK_HEURISTIC, 1);
	size_t nf, live_col, mins_col, match_col;
	struct error err;

	setup_make(&s, 3, 1);
	nf = rank_n_features(s.rank);
	ck_assert_uint_eq(nf, RANK_PIT_COUNT + 2 + 1 + 1 + 1 + RANK_CTX_COUNT);
	ck_assert_str_eq(rank_feature_name(s.rank, 0), "pit_likes");
	ck_assert_str_eq(rank_feature_name(s.rank, RANK_PIT_COUNT), "user_id");
	ck_assert_str_eq(rank_feature_name(s.rank, RANK_PIT_COUNT + 2), "creator_0");
	ck_assert_str_eq(rank_feature_name(s.rank, RANK_PIT_COUNT + 4), "user_creator_0");
	live_col = nf - RANK_CTX_COUNT + RANK_CTX_IS_LIVE;
	mins_col = nf - RANK_CTX_COUNT + RANK_CTX_MINUTES_TO_START;
	match_col = nf - RANK_CTX_COUNT + RANK_CTX_DECLARED_MATCH;
	ck_assert_str_eq(rank_feature_name(s.rank, match_col), "ctx_declared_match");

	q.want_rows = true;
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	ck_assert_ptr_nonnull(res.rows);
	ck_assert_uint_eq(res.stride, nf);
	ck_assert_uint_eq(res.n_candidates, 6);
	for (size_t i = 0; i < res.n_candidates; i++) {
		const float *row = res.rows + i * nf;
		uint32_t show = res.candidates[i];

		ck_assert(row[RANK_PIT_LIVE_LISTENERS] == (float)(100 * show + 2));
		ck_assert(row[RANK_PIT_COUNT] == 0.0f);            /* user id */
		ck_assert(row[RANK_PIT_COUNT + 1] == -1.0f);
		ck_assert(row[RANK_PIT_COUNT + 2] == (float)(10 * show)); /* creator id */
		ck_assert(row[RANK_PIT_COUNT + 3] ==
			  (float)catalog_topic(s.cat, show));       /* 1000*0 + topic */
		ck_assert(isnan(row[RANK_PIT_COUNT + 4]));          /* no pair source */
		ck_assert(row[live_col] == (catalog_state(s.cat, show) == CATALOG_LIVE));
		ck_assert(row[match_col] == (catalog_topic(s.cat, show) == 3));
	}
	ck_assert(res.rows[0 * nf + mins_col] == -10.0f);  /* show 3 started 10 min ago */
	/* PIT 7 x 6, user 2, creator 6, topic 6 */
	ck_assert_uint_eq(res.cost.features_read, 7 * 6 + 2 + 6 + 6);
	ck_assert_uint_eq(res.cost.source_calls, 4);
	ck_assert_uint_eq(res.cost.candidates, 6);
	setup_free(&s);
}
END_TEST

/* The fake model gives declared-topic shows 10 + likes; the top is show 9
 * (likes 900), then 6; cost counts trees and nodes. */
START_TEST(forest_scorer_maps_model_columns_by_name)
{
	struct setup s;
	struct rank_result res;
	struct rank_request q = request(RANK_FOREST, 1);
	struct error err;

	setup_make(&s, 3, 1);
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	ck_assert(!res.fell_back);
	ck_assert_uint_eq(res.page[0], 9);
	ck_assert_uint_eq(res.page[1], 6);
	ck_assert_uint_eq(res.page[2], 7);   /* then most likes: 7 > 3 > 2 > 1 */
	ck_assert_double_eq_tol(res.page_scores[0], 10.9, 1e-9);
	ck_assert_uint_eq(res.cost.trees, 3);
	ck_assert_uint_eq(res.cost.nodes_visited, 6 * 30);
	setup_free(&s);
}
END_TEST

static const char *table_name(const void *ctx, size_t i)
{
	return ((const char *const *)ctx)[i];
}

START_TEST(model_with_unknown_feature_refused)
{
	static const char *const bad_cols[] = { "pit_likes", "no_such_feature" };
	struct rank_model m = fake_model;
	struct rank_config cfg;
	struct catalog *c = catalog_new(0);
	struct fake f = { 0 };
	struct rank_sources src = fake_sources(&f);
	struct error err;

	m.ctx = bad_cols;
	m.feature_name = table_name;
	cfg = test_defaults()->rank;
	ck_assert_ptr_null(rank_new(&cfg, c, NULL, &src, &m, 1, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "'no_such_feature'"));
	cfg.k = 0;
	ck_assert_ptr_null(rank_new(&cfg, c, NULL, &src, NULL, 1, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	catalog_free(c);
}
END_TEST

/* Equal scores: the page is ordered by show id, whatever the candidate
 * order; the oracle returns the same value for every show. */
START_TEST(top_k_ties_broken_by_show_id)
{
	struct setup s;
	struct rank_result res;
	struct rank_request q = request(RANK_ORACLE, 1);
	static const uint32_t want[] = { 1, 2, 3, 6 };
	struct error err;

	setup_make(&s, 4, 1);
	s.fake.oracle_value = 0.5;
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	ck_assert_uint_eq(res.k, 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(res.page[i], want[i]);
	/* distinct scores: highest first (oracle = id / 100) */
	s.fake.oracle_value = NAN;
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	ck_assert_uint_eq(res.page[0], 9);
	ck_assert_uint_eq(res.page[1], 7);
	ck_assert_uint_eq(res.page[3], 3);
	setup_free(&s);
}
END_TEST

START_TEST(unavailable_source_falls_back_to_heuristic_and_counts)
{
	struct setup s;
	struct rank_result res;
	struct rank_request q = request(RANK_FOREST, 1);
	static const uint32_t want[] = { 6, 9, 7 };
	struct error err;

	setup_make(&s, 3, 1);
	s.fake.fail_pit = ERR_UNAVAILABLE;
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	ck_assert(res.fell_back);
	ck_assert_int_eq(res.scorer_used, RANK_HEURISTIC);
	for (size_t i = 0; i < 3; i++)
		ck_assert_uint_eq(res.page[i], want[i]);
	ck_assert_uint_eq(rank_stats(s.rank)->fallbacks[RANK_FOREST], 1);
	q.scorer = RANK_POPULARITY;
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	ck_assert_uint_eq(rank_stats(s.rank)->fallbacks[RANK_POPULARITY], 1);
	/* a scorer that reads no features is not affected */
	q.scorer = RANK_RANDOM;
	q.want_rows = true;
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	ck_assert(!res.fell_back);
	ck_assert_ptr_null(res.rows);
	ck_assert_uint_eq(rank_stats(s.rank)->fallbacks[RANK_RANDOM], 0);
	/* an error other than "unavailable" is the caller's */
	s.fake.fail_pit = ERR_IO;
	q.scorer = RANK_FOREST;
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), ERR_IO);
	ck_assert_str_eq(err.msg, "pit store down");
	ck_assert_uint_eq(rank_stats(s.rank)->requests[RANK_FOREST], 2);
	ck_assert_uint_eq(rank_stats(s.rank)->fallbacks[RANK_FOREST], 1);
	setup_free(&s);
}
END_TEST

START_TEST(popularity_orders_by_live_listeners)
{
	struct setup s;
	struct rank_result res;
	struct rank_request q = request(RANK_POPULARITY, 1);
	struct error err;

	setup_make(&s, 2, 1);
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	ck_assert_uint_eq(res.page[0], 9);   /* live listeners = 100 id + 2 */
	ck_assert_uint_eq(res.page[1], 7);
	setup_free(&s);
}
END_TEST

static void random_page(uint64_t seed, uint64_t request_id, uint32_t *page)
{
	struct setup s;
	struct rank_result res;
	struct rank_request q = request(RANK_RANDOM, request_id);
	struct error err;

	setup_make(&s, 6, seed);
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	ck_assert_uint_eq(res.k, 6);
	memcpy(page, res.page, 6 * sizeof(*page));
	setup_free(&s);
}

/* Same (seed, request id) -> same page, on a fresh ranker and after other
 * requests; another request id or seed -> another permutation (fixed seeds:
 * with 720 orders a collision would be a 1/720 accident, checked once). */
START_TEST(random_scorer_reproducible_per_seed_and_request)
{
	uint32_t a[6], b[6], c[6], d[6];
	struct setup s;
	struct rank_result res;
	struct rank_request q = request(RANK_RANDOM, 5);
	struct error err;

	random_page(11, 5, a);
	random_page(11, 5, b);
	ck_assert_mem_eq(a, b, sizeof(a));
	random_page(11, 6, c);
	random_page(12, 5, d);
	ck_assert(memcmp(a, c, sizeof(a)) != 0);
	ck_assert(memcmp(a, d, sizeof(a)) != 0);
	setup_make(&s, 6, 11);
	q.request_id = 99;
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	q.request_id = 5;
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	ck_assert_mem_eq(res.page, a, sizeof(a));
	setup_free(&s);
}
END_TEST

START_TEST(scorers_without_their_input_refused)
{
	struct rank_config cfg;
	struct catalog *c = catfix_sample();
	struct fake f = { 0 };
	struct rank_sources src = fake_sources(&f);
	struct rank *r;
	struct rank_result res;
	struct rank_request q = request(RANK_FOREST, 1);
	struct error err;

	cfg = test_defaults()->rank;
	src.oracle = NULL;
	r = rank_new(&cfg, c, NULL, &src, NULL, 1, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(rank_request(r, &q, &res, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "'forest'"));
	q.scorer = RANK_ORACLE;
	ck_assert_int_eq(rank_request(r, &q, &res, &err), ERR_INPUT);
	q.scorer = RANK_HEURISTIC;
	ck_assert_int_eq(rank_request(r, &q, &res, &err), 0);
	ck_assert_uint_eq(hist_count(rank_host_scoring_ns(r)), 1);
	ck_assert_str_eq(rank_scorer_name(RANK_POPULARITY), "popularity");
	ck_assert_int_eq(rank_scorer_from_name("oracle"), RANK_ORACLE);
	ck_assert_int_eq(rank_scorer_from_name("nope"), -1);
	rank_free(r);
	rank_free(NULL);
	catalog_free(c);
}
END_TEST

/* A real forest (engine/forest) of two one-split trees on a feature of
 * the ranker's layout: declared-topic shows score 0.9, others 0.1 (tree 1),
 * plus 0.0/0.2 by is_live (tree 2); mean over trees.  Shows 6 and 9 match:
 * 6 (not live) 0.45, 9 0.45 -> tie -> by id: 6, 9; then live 3, 7 (0.15),
 * then 1, 2 (0.05). */
START_TEST(forest_model_through_adapter)
{
	static const char *const names[] = { "ctx_is_live", "ctx_declared_match" };
	const float inf = INFINITY;
	struct forest_node nodes[] = {
		{ .threshold = 0.5f, .left = 1, .feature = 1, .flags = 0, .value = 0.5f },
		{ .threshold = inf, .left = 1, .feature = 0,
		  .flags = FOREST_LEAF | FOREST_MISSING_LEFT, .value = 0.1f },
		{ .threshold = inf, .left = 2, .feature = 0,
		  .flags = FOREST_LEAF | FOREST_MISSING_LEFT, .value = 0.9f },
		{ .threshold = 0.5f, .left = 1, .feature = 0, .flags = 0, .value = 0.1f },
		{ .threshold = inf, .left = 1, .feature = 0,
		  .flags = FOREST_LEAF | FOREST_MISSING_LEFT, .value = 0.0f },
		{ .threshold = inf, .left = 2, .feature = 0,
		  .flags = FOREST_LEAF | FOREST_MISSING_LEFT, .value = 0.2f },
	};
	const uint32_t sizes[] = { 3, 3 };
	struct forest_params fp = forest_params_defaults();
	struct forest *f;
	struct rank_model m;
	struct rank_config cfg;
	struct catalog *c = catfix_sample();
	struct profile *p = profile_new(1);
	uint16_t t3 = 3;
	struct fake fk = { 0 };
	struct rank_sources src = fake_sources(&fk);
	struct rank *r;
	struct rank_result res;
	struct rank_request q = request(RANK_FOREST, 1);
	static const uint32_t want[] = { 6, 9, 3, 7, 1, 2 };
	struct error err;

	fp.n_trees = 2;
	f = forest_assemble(&fp, 2, names, 2, sizes, nodes, NULL, NAN, &err);
	ck_assert_msg(f != NULL, "%s", err.msg);
	ck_assert_int_eq(profile_set(p, 0, &t3, 1, &err), 0);
	rank_forest_model(&m, f);
	ck_assert_uint_eq(m.n_trees, 2);
	ck_assert_uint_eq(m.nodes_per_row, 2);
	cfg = test_defaults()->rank;
	cfg.k = 6;
	r = rank_new(&cfg, c, p, &src, &m, 1, &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	ck_assert_int_eq(rank_request(r, &q, &res, &err), 0);
	for (size_t i = 0; i < 6; i++)
		ck_assert_uint_eq(res.page[i], want[i]);
	ck_assert_double_eq_tol(res.page_scores[0], 0.45, 1e-6);
	ck_assert_double_eq_tol(res.page_scores[2], 0.15, 1e-6);
	ck_assert_uint_eq(res.cost.nodes_visited, 6 * 2);
	rank_free(r);
	forest_free(f);
	profile_free(p);
	catalog_free(c);
}
END_TEST


/* The ranker keeps the candidates' catalog facts while the candidate list
 * and catalog_version stay the same: a re-announcement that moves show 2
 * from +5h to +5h30 keeps the list (2 is still last) but must move its
 * minutes-to-start feature. */
START_TEST(candidate_facts_follow_catalog_changes)
{
	struct setup s;
	struct rank_result res;
	struct rank_request q = request(RANK_HEURISTIC, 1);
	size_t mins_col;
	uint64_t v;
	struct error err;

	setup_make(&s, 6, 1);
	mins_col = rank_n_features(s.rank) - RANK_CTX_COUNT + RANK_CTX_MINUTES_TO_START;
	q.want_rows = true;
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	ck_assert_uint_eq(res.candidates[res.n_candidates - 1], 2);
	ck_assert(res.rows[(res.n_candidates - 1) * res.stride + mins_col] == 300.0f);
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);   /* same list: kept */
	ck_assert(res.rows[(res.n_candidates - 1) * res.stride + mins_col] == 300.0f);
	v = catalog_version(s.cat);
	catfix_schedule(s.cat, 2, 20, 1, NOW + 5 * SIMTIME_HOUR + 30 * SIMTIME_MIN);
	ck_assert_uint_eq(catalog_version(s.cat), v + 1);
	ck_assert_int_eq(rank_request(s.rank, &q, &res, &err), 0);
	ck_assert_uint_eq(res.candidates[res.n_candidates - 1], 2);
	ck_assert(res.rows[(res.n_candidates - 1) * res.stride + mins_col] == 330.0f);
	setup_free(&s);
}
END_TEST

/* ---- scoring a page on several threads ---- */

/* Feature values in [0, 1) from a hash of (what, entity), NaN for about
 * one in five: like the real sources, many missing values. */
static float hashed(uint64_t what, uint64_t a, uint64_t b)
{
	uint64_t h = rng_hash4(99, RNG_TEST, what, a << 20 ^ b);

	return h % 5 == 0 ? NAN : (float)((double)(h >> 11) / 9007199254740992.0);
}

static int hash_pit(void *ctx, const uint32_t *shows, size_t n, simtime now, float *out,
		    struct error *err)
{
	(void)ctx, (void)err;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < RANK_PIT_COUNT; j++)
			out[i * RANK_PIT_COUNT + j] = hashed(j, shows[i], (uint64_t)now);
	return 0;
}

static int hash_user(void *ctx, uint32_t user, simtime now, float *out, struct error *err)
{
	(void)ctx, (void)now, (void)err;
	out[0] = hashed(10, user, 0);
	out[1] = hashed(11, user, 0);
	return 0;
}

static int hash_creator(void *ctx, const uint32_t *creators, size_t n, simtime now, float *out,
			struct error *err)
{
	(void)ctx, (void)now, (void)err;
	for (size_t i = 0; i < n; i++)
		out[i] = hashed(12, creators[i], 0);
	return 0;
}

static int hash_topic(void *ctx, uint32_t user, const uint16_t *topics, size_t n, simtime now,
		      float *out, struct error *err)
{
	(void)ctx, (void)now, (void)err;
	for (size_t i = 0; i < n; i++)
		out[i] = hashed(13, user, topics[i]);
	return 0;
}

static int hash_pair(void *ctx, uint32_t user, const uint32_t *creators, size_t n, simtime now,
		     float *out, struct error *err)
{
	(void)ctx, (void)now, (void)err;
	for (size_t i = 0; i < n; i++)
		out[i] = hashed(14, user, creators[i]);
	return 0;
}

/* Random tree below node i (as in test_forest.c): splits on features
 * [0, nf) at thresholds in [0, 1), random missing direction. */
static void grow_tree(struct forest_node *nd, uint32_t *n, uint32_t i, unsigned depth,
		      size_t nf, struct rng *r)
{
	if (depth == 8 || rng_uniform(r) < 0.1) {
		nd[i] = (struct forest_node){ .threshold = INFINITY, .left = i,
					      .flags = FOREST_LEAF | FOREST_MISSING_LEFT,
					      .value = (float)rng_uniform(r) };
		return;
	}
	nd[i] = (struct forest_node){ .threshold = (float)rng_uniform(r), .left = *n,
				      .feature = (uint16_t)rng_below(r, nf),
				      .flags = rng_below(r, 2) ? FOREST_MISSING_LEFT : 0 };
	*n += 2;
	grow_tree(nd, n, nd[i].left, depth + 1, nf, r);
	grow_tree(nd, n, nd[i].left + 1, depth + 1, nf, r);
}

/* A forest of 37 random trees over the named features. */
static struct forest *random_forest(const char *const *names, size_t nf, uint64_t seed)
{
	enum { TREES = 37, CAP = 1024 };
	struct forest_node *nodes = calloc(TREES * CAP, sizeof(*nodes));
	uint32_t sizes[TREES];
	struct forest_params fp = forest_params_defaults();
	struct forest *f;
	struct error err;
	size_t total = 0;

	for (size_t t = 0; t < TREES; t++) {
		struct rng r;
		uint32_t n = 1;

		rng_init(&r, seed, RNG_TEST, t, 0);
		grow_tree(nodes + total, &n, 0, 0, nf, &r);
		sizes[t] = n;
		total += n;
	}
	fp.n_trees = TREES;
	f = forest_assemble(&fp, nf, names, TREES, sizes, nodes, NULL, NAN, &err);
	ck_assert_msg(f != NULL, "%s", err.msg);
	free(nodes);
	return f;
}

/* 900 candidates (live and upcoming), a random forest over the whole row
 * layout and one over a reordered subset (so rows are copied into the
 * model's order): on 2 and 3 threads every request's full ranking (k =
 * every candidate) has the same shows and the same score bits as on one,
 * whether or not the pool's helpers are awake for a given page. */
START_TEST(threads_score_the_same_bits)
{
	enum { SHOWS = 900, REQUESTS = 60 };
	struct catalog *c = catalog_new(SHOWS);
	struct profile *p = profile_new(8);
	struct rank_sources src = {
		.show_pit = hash_pit, .user_batch = hash_user, .creator_batch = hash_creator,
		.user_topic = hash_topic, .user_creator = hash_pair,
		.n_user = 2, .n_creator = 1, .n_topic = 1, .n_pair = 1,
	};
	struct rank_config cfg;
	struct rank *plain;
	const char *names[32], *subset[32];
	size_t nf, n_sub = 0;
	struct forest *models[2];
	uint32_t *want_page = calloc((size_t)REQUESTS * SHOWS, sizeof(uint32_t));
	double *want_score = calloc((size_t)REQUESTS * SHOWS, sizeof(double));
	uint16_t t2 = 2;
	struct error err;

	for (uint32_t s = 1; s <= SHOWS; s++) {
		simtime start = NOW - 20 * SIMTIME_MIN + (simtime)s * 20 * SIMTIME_S;

		catfix_schedule(c, s, s % 97, (uint16_t)(s % 5), start);
		if (start <= NOW && s % 3 == 0)
			catfix_apply(c, EVENT_SHOW_LIVE, s, s % 97, (uint16_t)(s % 5), start, 0);
	}
	ck_assert_int_eq(profile_set(p, 3, &t2, 1, &err), 0);
	cfg = test_defaults()->rank;
	cfg.k = cfg.max_candidates;
	plain = rank_new(&cfg, c, p, &src, NULL, 1, &err);
	ck_assert_msg(plain != NULL, "%s", err.msg);
	nf = rank_n_features(plain);
	ck_assert_uint_le(nf, 32);
	for (size_t i = 0; i < nf; i++) {
		names[i] = rank_feature_name(plain, i);
		if (i % 3 != 1)
			subset[n_sub++] = rank_feature_name(plain, nf - 1 - i);
	}
	models[0] = random_forest(names, nf, 5);
	models[1] = random_forest(subset, n_sub, 6);
	for (int m = 0; m < 2; m++) {
		struct rank_model rm;

		rank_forest_model(&rm, models[m]);
		for (uint32_t threads = 1; threads <= 3; threads++) {
			struct rank *r;

			cfg.threads = threads;
			r = rank_new(&cfg, c, p, &src, &rm, 1, &err);
			ck_assert_msg(r != NULL, "%s", err.msg);
			for (int q = 0; q < REQUESTS; q++) {
				struct rank_request rq = {
					.user = (uint32_t)(q % 8), .now = NOW + q * SIMTIME_MIN,
					.request_id = (uint64_t)q, .scorer = RANK_FOREST,
					.want_rows = true,
				};
				struct rank_result res;
				uint32_t *page = want_page + (size_t)q * SHOWS;
				double *score = want_score + (size_t)q * SHOWS;

				ck_assert_int_eq(rank_request(r, &rq, &res, &err), 0);
				ck_assert_uint_gt(res.n_candidates, 600);
				ck_assert_uint_eq(res.k, res.n_candidates);
				ck_assert_ptr_nonnull(res.rows);
				if (threads == 1) {
					memcpy(page, res.page, res.k * sizeof(*page));
					memcpy(score, res.page_scores, res.k * sizeof(*score));
					continue;
				}
				ck_assert_msg(memcmp(page, res.page, res.k * sizeof(*page)) == 0 &&
					      memcmp(score, res.page_scores,
						     res.k * sizeof(*score)) == 0,
					      "model %d, %u threads, request %d: pages differ", m,
					      threads, q);
			}
			rank_free(r);
		}
	}
	forest_free(models[0]);
	forest_free(models[1]);
	rank_free(plain);
	free(want_page);
	free(want_score);
	profile_free(p);
	catalog_free(c);
}
END_TEST


/* k above max_candidates names file, line and both keys; a --set override
 * is named by its argument. */
START_TEST(load_error_names_file_line_and_key)
{
	static const char *const set_k[] = { "rank.k=60" };
	struct config cfg;
	struct scenfile f;
	struct error err;
	char other[160], want[320];

	scenfile_load(&f, "[rank]\nmax_candidates = 50\nk = 60\n", NULL, 0);
	ck_assert_int_eq(config_load(&cfg, f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 3, "value '60' out of range for [rank] k: must be at most "
				       "[rank] max_candidates = 50");
	snprintf(other, sizeof(other), "(%s:2)", f.path);
	ck_assert_ptr_nonnull(strstr(err.msg, other));
	scenfile_release(&f);

	scenfile_load(&f, "[rank]\nmax_candidates = 50\n", set_k, 1);
	ck_assert_int_eq(config_load(&cfg, f.sc, &err), ERR_INPUT);
	snprintf(want, sizeof(want), "--set rank.k=60: value '60' out of range for [rank] k: "
		 "must be at most [rank] max_candidates = 50 (%s:2)", f.path);
	ck_assert_str_eq(err.msg, want);
	scenfile_release(&f);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, heuristic_declared_topics_first_then_start);
	tcase_add_test(tc, features_assembled_in_documented_columns);
	tcase_add_test(tc, forest_scorer_maps_model_columns_by_name);
	tcase_add_test(tc, forest_model_through_adapter);
	tcase_add_test(tc, threads_score_the_same_bits);
	tcase_add_test(tc, candidate_facts_follow_catalog_changes);
	tcase_add_test(tc, model_with_unknown_feature_refused);
	tcase_add_test(tc, top_k_ties_broken_by_show_id);
	tcase_add_test(tc, unavailable_source_falls_back_to_heuristic_and_counts);
	tcase_add_test(tc, popularity_orders_by_live_listeners);
	tcase_add_test(tc, random_scorer_reproducible_per_seed_and_request);
	tcase_add_test(tc, scorers_without_their_input_refused);
	tcase_add_test(tc, load_error_names_file_line_and_key);
}

CHECK_MAIN("rank", add_tests, 20)
