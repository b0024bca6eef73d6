/* Tests for sim/world.c: named topics, stable per-entity draws, declared
 * interests at the configured rates, show schedules, bad parameters. */
#include "sim/world.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/scenario.h"
#include "config/config.h"
#include "tests/defaults.h"
#include "tests/scenfile.h"

static struct world *small_world(uint32_t users, uint64_t seed)
{
	struct world_config c;
	struct error err;
	struct world *w;

	c = test_defaults()->sim.world;
	c.n_users = users;
	c.n_creators = 200;
	w = world_new(&c, seed, 7 * SIMTIME_DAY, &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	return w;
}

START_TEST(topics_are_named_and_distinct)
{
	struct world *w = small_world(10, 1);

	ck_assert_uint_ge(world_n_topics(w), 14);
	for (uint32_t a = 0; a < WORLD_MAX_TOPICS; a++)
		for (uint32_t b = a + 1; b < WORLD_MAX_TOPICS; b++)
			ck_assert_str_ne(world_topic_table_name(a), world_topic_table_name(b));
	ck_assert_str_eq(world_topic_name(w, 0), "pop");
	ck_assert_ptr_null(world_topic_name(w, world_n_topics(w)));
	world_free(w);
}
END_TEST

/* Adding users (in the config or afterwards) never changes existing ones. */
START_TEST(adding_users_keeps_existing_users)
{
	struct world *a = small_world(100, 7), *b = small_world(300, 7);
	uint32_t nt = world_n_topics(a);

	world_add_users(a, 50);
	ck_assert_uint_eq(world_n_users(a), 150);
	ck_assert_uint_eq(world_n_base_users(a), 100);
	for (uint32_t u = 0; u < 150; u++) {
		ck_assert(memcmp(world_user_tastes(a, u), world_user_tastes(b, u), nt * sizeof(float)) == 0);
		ck_assert_uint_eq(world_user_declared(a, u), world_user_declared(b, u));
		ck_assert(world_user_activity(a, u) == world_user_activity(b, u));
		ck_assert_int_eq(world_user_utc_offset_min(a, u), world_user_utc_offset_min(b, u));
	}
	/* Same creators, same shows. */
	ck_assert_uint_eq(world_n_shows(a), world_n_shows(b));
	for (uint32_t s = 0; s < world_n_shows(a); s++)
		ck_assert(world_show_start(a, s) == world_show_start(b, s));
	world_free(a);
	world_free(b);
}
END_TEST

/* Tastes are distributions; activity has mean 1.  The mean of n = 20000
 * lognormal(sigma 0.8) activities has sd sqrt(e^0.64 - 1) / sqrt(n) =
 * 0.0067; 5 sd = 0.034. */
START_TEST(tastes_sum_to_one_and_activity_mean_is_one)
{
	struct world *w = small_world(20000, 3);
	double act = 0;

	for (uint32_t u = 0; u < world_n_users(w); u++) {
		const float *t = world_user_tastes(w, u);
		double sum = 0;

		for (uint32_t k = 0; k < world_n_topics(w); k++) {
			ck_assert(t[k] >= 0);
			sum += t[k];
		}
		ck_assert_double_eq_tol(sum, 1.0, 1e-4);
		act += world_user_activity(w, u);
	}
	ck_assert_double_eq_tol(act / world_n_users(w), 1.0, 0.034);
	world_free(w);
}
END_TEST

/* Declared interests: with declared_topics = 1 each declaring user lists
 * exactly one topic, rare (taste < 1/topics) with probability q exactly
 * (both pools are non-empty for any non-uniform taste vector).
 * None-count ~ Bin(n, p): n = 20000, p = 0.3, sd 64.8, 5 sd = 324.
 * Rare-count ~ Bin(m, q), m ~ 14000, q = 0.2, sd ~ 47.3; 5 sd ~ 240. */
START_TEST(declared_interests_agree_with_tastes_at_configured_rate)
{
	struct world_config c;
	struct error err;
	struct world *w;
	uint32_t none = 0, declaring = 0, rare = 0, n = 20000;
	double p = 0.3, q = 0.2;

	c = test_defaults()->sim.world;
	c.n_users = n;
	c.n_creators = 10;
	c.declare_none_rate = p;
	c.declare_noise_rate = q;
	c.declared_topics = 1;
	w = world_new(&c, 11, SIMTIME_DAY, &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	for (uint32_t u = 0; u < n; u++) {
		uint32_t d = world_user_declared(w, u);
		const float *t = world_user_tastes(w, u);

		if (d == 0) {
			none++;
			continue;
		}
		ck_assert_int_eq(__builtin_popcount(d), 1);
		declaring++;
		rare += t[__builtin_ctz(d)] < 1.0f / world_n_topics(w);
	}
	ck_assert_double_eq_tol(none, n * p, 5 * sqrt(n * p * (1 - p)));
	ck_assert_double_eq_tol(rare, declaring * q, 5 * sqrt(declaring * q * (1 - q)));
	world_free(w);
}
END_TEST

START_TEST(shows_are_sorted_and_have_a_status)
{
	struct world *w = small_world(10, 5);

	ck_assert_uint_gt(world_n_shows(w), 200);
	for (uint32_t s = 0; s < world_n_shows(w); s++) {
		simtime a = world_show_announce(w, s), st = world_show_start(w, s), e = world_show_end(w, s);

		ck_assert(st >= 0 && st < world_horizon(w));
		ck_assert(a <= st && e > st);
		if (s)
			ck_assert(world_show_start(w, s - 1) <= st);
		ck_assert_int_eq(world_show_status(w, s, st), WORLD_SHOW_LIVE);
		ck_assert_int_eq(world_show_status(w, s, e), WORLD_SHOW_ENDED);
		if (st > a)
			ck_assert_int_eq(world_show_status(w, s, st - 1), WORLD_SHOW_UPCOMING);
		ck_assert_uint_lt(world_show_topic(w, s), world_n_topics(w));
	}
	ck_assert_uint_eq(world_show_first_starting_at(w, 0), 0);
	ck_assert_uint_eq(world_show_first_starting_at(w, world_horizon(w)), world_n_shows(w));
	/* Ranks are by popularity. */
	for (uint32_t r = 1; r < world_n_creators(w); r++)
		ck_assert(world_creator_popularity(w, world_creator_by_rank(w, r - 1)) >=
			  world_creator_popularity(w, world_creator_by_rank(w, r)));
	world_free(w);
}
END_TEST

START_TEST(bad_parameters_are_refused)
{
	struct world_config c;
	struct error err;

	c = test_defaults()->sim.world;
	c.n_topics = 30;
	ck_assert_ptr_null(world_new(&c, 1, SIMTIME_DAY, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "topics"));
	c = test_defaults()->sim.world;
	ck_assert_int_eq(world_config_parse_zones(&c, "-5:0.5,x:1", &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "zone 2"));
	ck_assert_int_eq(world_config_parse_zones(&c, "-5:0.5,3", &err), ERR_INPUT);
	ck_assert_int_eq(world_config_parse_zones(&c, "5.5:1,-3:2", &err), 0);
	ck_assert_int_eq(c.zone_offset_min[0], 330);
	ck_assert_uint_eq(c.n_zones, 2);
}
END_TEST

/* Problems found by world_config_check (through config_load) name the
 * file, the line and the key; an override names its --set argument. */
START_TEST(load_errors_name_file_line_and_key)
{
	static const char *const set_bad[] = { "world.zones=abc" };
	struct config c;
	struct scenfile f;
	struct error err;

	scenfile_load(&f, "[world]\n; a comment\nzones = -5:0.5,x:1\n", NULL, 0);
	ck_assert_int_eq(config_load(&c, f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 3, "bad value '-5:0.5,x:1' for [world] zones: zone 2");
	scenfile_release(&f);

	scenfile_load(&f, "[world]\nusers = 10\nzones = -5:0,3:0\n", NULL, 0);
	ck_assert_int_eq(config_load(&c, f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 3, "[world] zones: weights must not all be zero");
	scenfile_release(&f);

	scenfile_load(&f, "[world]\ntopics = 4\n\ndeclared_topics = 5\n", NULL, 0);
	ck_assert_int_eq(config_load(&c, f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 4, "[world] declared_topics: must be at most [world] topics = 4");
	ck_assert_ptr_nonnull(strstr(err.msg, "bad.ini:2)"));
	scenfile_release(&f);

	scenfile_load(&f, "[world]\nzones = 1:1\n", set_bad, 1);
	ck_assert_int_eq(config_load(&c, f.sc, &err), ERR_INPUT);
	ck_assert_str_eq(err.msg, "--set world.zones=abc: bad value 'abc' for [world] zones: "
				  "zone 1 is not OFFSET_HOURS:WEIGHT with an offset in -12..14");
	scenfile_release(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("world");
	TCase *tc = tcase_create("world");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, topics_are_named_and_distinct);
	tcase_add_test(tc, adding_users_keeps_existing_users);
	tcase_add_test(tc, tastes_sum_to_one_and_activity_mean_is_one);
	tcase_add_test(tc, declared_interests_agree_with_tastes_at_configured_rate);
	tcase_add_test(tc, shows_are_sorted_and_have_a_status);
	tcase_add_test(tc, bad_parameters_are_refused);
	tcase_add_test(tc, load_errors_name_file_line_and_key);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
