/* Tests for sim/spikes.c: cascade size, cold-start users, creator
 * selection and bad parameters. */
#include "sim/spikes.h"
#include "sim/world.h"

#include "common/event.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "tests/defaults.h"
#include "tests/scenfile.h"

static struct world *make_world(void)
{
	struct world_config c;
	struct error err;
	struct world *w;

	c = test_defaults()->sim.world;
	c.n_users = 1000;
	c.n_creators = 50;
	w = world_new(&c, 1, 4 * SIMTIME_DAY, &err);
	ck_assert_ptr_nonnull(w);
	return w;
}

/* Total sessions T: N ~ Poisson(m) immigrants, each the root of a
 * Galton-Watson tree with Poisson(b) offspring (total size Borel: mean
 * 1/(1-b), variance b/(1-b)^3).  E T = m/(1-b); Var T = m E[S^2] =
 * m/(1-b)^3.  m = 200, b = 0.5: mean 400, sd 40; the mean of R = 60
 * replications has sd 5.16, and we allow 4.5 sd = 23.2. */
START_TEST(expected_sessions_is_magnitude_over_one_minus_branching)
{
	struct world *w = make_world();
	struct spike_config c;
	struct error err;
	double m = 200, b = 0.5, sum = 0;
	enum { R = 60 };

	c = test_default_spike("x");
	c.magnitude = m;
	c.branching = b;
	for (int r = 0; r < R; r++) {
		struct spikes *sp = spikes_new(&c, 1, 100 + (uint64_t)r, w, &err);

		ck_assert_ptr_nonnull(sp);
		ck_assert_double_eq_tol(spikes_expected(sp, 0), 400, 1e-9);
		sum += (double)spikes_n_sessions(sp);
		spikes_free(sp);
	}
	ck_assert_double_eq_tol(sum / R, m / (1 - b), 4.5 * sqrt(m / pow(1 - b, 3) / R));
	world_free(w);
}
END_TEST

/* New users: ids follow the world's users, each used once; their share is
 * Bin(T, s): T ~ 4000, s = 0.25, sd ~ 27; 5 sd ~ 137. */
START_TEST(new_users_get_fresh_slots_at_configured_share)
{
	struct world *w = make_world();
	struct spike_config c[2];
	struct error err;
	struct spikes *sp;
	uint32_t first, n_new, seen = 0;
	size_t t;

	c[0] = test_default_spike("a");
	c[1] = test_default_spike("b");
	c[0].magnitude = 1500;
	c[1].magnitude = 1000;
	c[0].new_user_share = c[1].new_user_share = 0.25;
	c[1].start = c[0].start + 10 * SIMTIME_MIN;    /* overlapping */
	ck_assert_int_eq(spike_config_parse_creator(&c[1], "id:7", &err), 0);
	sp = spikes_new(c, 2, 9, w, &err);
	ck_assert_ptr_nonnull(sp);
	first = spikes_first_new_user(sp);
	n_new = spikes_new_users(sp);
	ck_assert_uint_eq(first, world_n_users(w));
	t = spikes_n_sessions(sp);
	ck_assert_uint_eq(t, spikes_sessions_of(sp, 0) + spikes_sessions_of(sp, 1));
	for (size_t j = 0; j < t; j++) {
		uint32_t u = spikes_session_user(sp, j);

		if (j)
			ck_assert(spikes_session_time(sp, j - 1) <= spikes_session_time(sp, j));
		ck_assert(spikes_session_time(sp, j) >= spikes_start(sp, spikes_session_spike(sp, j)));
		if (u >= first) {
			ck_assert_uint_lt(u, first + n_new);
			seen++;
		} else {
			ck_assert_uint_lt(u, world_n_base_users(w));
		}
	}
	ck_assert_uint_eq(seen, n_new);
	ck_assert_double_eq_tol(n_new, 0.25 * t, 5 * sqrt(t * 0.25 * 0.75));
	ck_assert_uint_eq(spikes_creator(sp, 0), world_creator_by_rank(w, 0));
	ck_assert_uint_eq(spikes_creator(sp, 1), 7);
	if (spikes_show(sp, 1) != EVENT_NONE) {
		ck_assert_uint_eq(world_show_creator(w, spikes_show(sp, 1)), 7);
		ck_assert(world_show_end(w, spikes_show(sp, 1)) > spikes_start(sp, 1));
	}
	spikes_free(sp);
	world_free(w);
}
END_TEST

START_TEST(bad_spikes_are_refused)
{
	struct world *w = make_world();
	struct spike_config c;
	struct error err;

	c = test_default_spike("bad");
	ck_assert_int_eq(spike_config_parse_creator(&c, "top:0", &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "[spike.bad]"));
	ck_assert_int_eq(spike_config_parse_creator(&c, "id:x", &err), ERR_INPUT);
	ck_assert_int_eq(spike_config_parse_creator(&c, "anyone", &err), ERR_INPUT);
	ck_assert_int_eq(spike_config_parse_creator(&c, "random", &err), 0);
	c.branching = 1.0;
	ck_assert_ptr_null(spikes_new(&c, 1, 1, w, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "branching"));
	c = test_default_spike("bad");
	ck_assert_int_eq(spike_config_parse_creator(&c, "id:50", &err), 0);
	ck_assert_ptr_null(spikes_new(&c, 1, 1, w, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "creator"));
	world_free(w);
}
END_TEST

/* spikes_config_check (through config_load) names the file, line and key
 * of a bad spike, checks it against [world], and gives each spike its
 * header's location for the errors found only while drawing. */
static void expect_spike_error(const char *text, int line, const char *what)
{
	struct config c;
	struct scenfile f;
	struct error err;

	scenfile_load(&f, text, NULL, 0);
	ck_assert_int_eq(config_load(&c, f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, line, what);
	scenfile_release(&f);
}

START_TEST(load_errors_name_file_line_and_key)
{
	struct config cfg;
	const struct spike_config *c = cfg.sim.spikes;
	struct scenfile f;
	struct error err;
	char want[160];

	expect_spike_error("[spike.p]\nstart = 1h\ncreator = top:0\n", 3,
			   "bad value 'top:0' for [spike.p] creator: expected id:N");
	expect_spike_error("[world]\ncreators = 10\n[spike.a]\n[spike.p]\ncreator = id:10\n", 5,
			   "value 'id:10' out of range for [spike.p] creator: must be id:0 to id:9, "
			   "as [world] creators = 10");
	expect_spike_error("[world]\ncreators = 10\n[spike.p]\ncreator = top:11\n", 4,
			   "must be top:1 to top:10");
	expect_spike_error("[world]\nusers = 0\n[spike.p]\nnew_users = 50%\n", 4,
			   "value '50%' out of range for [spike.p] new_users: must be 100% when "
			   "[world] users = 0");
	/* new_users left at its default: the written [world] users leads */
	expect_spike_error("[world]\nusers = 0\n[spike.p]\n", 2,
			   "value '0' out of range for [world] users: must be at least 1 while "
			   "[spike.p] new_users = 20%");
	expect_spike_error("[spike.p]\nmagnitude = 1e7\nbranching = 0.9\n", 2,
			   "[spike.p] magnitude: the expected cascade");

	scenfile_load(&f, "[world]\nusers = 5\n\n[spike.p]\ncreator = random\n", NULL, 0);
	ck_assert_int_eq(config_load(&cfg, f.sc, &err), 0);
	ck_assert_uint_eq(cfg.sim.n_spikes, 1);
	snprintf(want, sizeof(want), "%s:4", f.path);
	ck_assert_str_eq(c[0].where, want);
	scenfile_release(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spikes");
	TCase *tc = tcase_create("spikes");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, expected_sessions_is_magnitude_over_one_minus_branching);
	tcase_add_test(tc, new_users_get_fresh_slots_at_configured_share);
	tcase_add_test(tc, bad_spikes_are_refused);
	tcase_add_test(tc, load_errors_name_file_line_and_key);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
