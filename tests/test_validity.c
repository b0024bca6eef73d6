/* Tests for eval/validity.c: the simulator passes its own checks on a fixed
 * seed, a misconfigured expectation fails, results land in results.db. */
#include "eval/validity.h"

#include "common/scenario.h"
#include "config/config.h"
#include "results/checkstore.h"
#include "results/results.h"
#include "eval/run.h"
#include "results/rundir.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static struct scenario *load(const char *const *sets, size_t n)
{
	struct error err;
	struct scenario *sc = scenario_load(&config_schema, "scenarios/default.ini", sets, n, &err);

	if (!sc)
		ck_abort_msg("%s", err.msg);
	return sc;
}

static const struct validity_check *find(const struct validity_report *rep, const char *name)
{
	for (size_t i = 0; i < rep->n; i++)
		if (!strcmp(rep->checks[i].name, name))
			return &rep->checks[i];
	ck_abort_msg("no check '%s'", name);
	return NULL;
}

/* Run the checks on sc; every one must pass. */
static void check_all_pass(const struct scenario *sc, struct validity_report *rep)
{
	struct error err;

	ck_assert_msg(validity_check_scenario(sc, rep, &err) == 0, "%s", err.msg);
	for (size_t i = 0; i < rep->n; i++)
		ck_assert_msg(rep->checks[i].verdict == VALIDITY_PASS, "%s: %s (p %g): %s",
			      rep->checks[i].name, validity_verdict_name(rep->checks[i].verdict),
			      rep->checks[i].p, rep->checks[i].detail);
}

/* A week (so the weekly profile is tested) of 1,500 users with the default
 * spike: every check at alpha = 0.001 passes on this seed.  With eight
 * independent tests the chance that a correct simulator fails one on a
 * random seed is below 1 %; the seed is fixed, so the test is exact. */
START_TEST(default_world_passes_every_check)
{
	static const char *const sets[] = {
		"world.users=1500", "run.warmup_days=4", "run.experiment_days=3",
		"spike.promo.start=100h", "spike.promo.magnitude=3000", "run.seed=5",
	};
	struct scenario *sc = load(sets, 6);
	struct validity_report rep;

	check_all_pass(sc, &rep);
	ck_assert_uint_eq(rep.fail, 0);
	ck_assert_uint_eq(rep.skipped, 0);
	ck_assert_uint_ge(rep.n, 8);
	ck_assert_ptr_nonnull(find(&rep, "sessions_weekly"));
	scenario_free(sc);
}
END_TEST

/* An mnl world passes too: the expected first pick per slot is the
 * position-weighted logit.  (The replay's pages hold only live shows, so
 * nobody scrolls, and it leaves continuations out: the scroll and
 * continue keys are set only to show they do not disturb the checks.) */
START_TEST(mnl_world_passes_every_check)
{
	static const char *const sets[] = {
		"world.users=1500", "run.warmup_days=4", "run.experiment_days=3",
		"spike.promo.start=100h", "spike.promo.magnitude=3000", "run.seed=5",
		"behaviour.choice_model=mnl", "behaviour.no_choice_mass=0.05",
		"behaviour.scroll_screens=3", "behaviour.continue_rate=100%", "rank.k=30",
	};
	struct scenario *sc = load(sets, 11);
	struct validity_report rep;

	check_all_pass(sc, &rep);
	ck_assert_uint_eq(find(&rep, "first_tunein_position")->verdict, VALIDITY_PASS);
	scenario_free(sc);
}
END_TEST

/* Under seven days the weekly profile cannot be tested; cascade pages have
 * no examination curve independent of relevance: both are skipped, not
 * passed. */
START_TEST(untestable_checks_are_skipped)
{
	static const char *const sets[] = {
		"world.users=300", "run.warmup_days=1", "run.experiment_days=1",
		"behaviour.position_model=cascade", "spike.promo.start=30h",
		"spike.promo.magnitude=100",
	};
	struct scenario *sc = load(sets, 6);
	struct validity_report rep;
	struct error err;

	ck_assert_int_eq(validity_check_scenario(sc, &rep, &err), 0);
	ck_assert_int_eq(find(&rep, "sessions_weekly")->verdict, VALIDITY_SKIP);
	ck_assert_int_eq(find(&rep, "first_tunein_position")->verdict, VALIDITY_SKIP);
	scenario_free(sc);
}
END_TEST

/* The spike statistic is standardised by the Galton-Watson variance: with
 * magnitude 20,000 and branching 0.5 the expected total is 40,000 and the
 * sd sqrt(20,000 / 0.5^3) = 400, so the drawn total lies within 3.3 sd
 * (p > 0.001); a size 10 % off (4,000 = 10 sd) would fail. */
START_TEST(spike_size_statistic_is_standardised)
{
	static const char *const sets[] = {
		"world.users=300", "run.warmup_days=1", "run.experiment_days=1",
		"spike.promo.start=30h", "spike.promo.magnitude=20000",
		"spike.promo.branching=0.5",
	};
	struct scenario *sc = load(sets, 6);
	struct validity_report rep;
	struct error err;
	const struct validity_check *c;

	ck_assert_int_eq(validity_check_scenario(sc, &rep, &err), 0);
	c = find(&rep, "spike_size.promo");
	ck_assert(fabs(c->value) < 3.3);
	ck_assert_ptr_nonnull(strstr(c->detail, "= 40000, sd 400"));
	scenario_free(sc);
}
END_TEST

/* validate-sim on a run directory: replays exactly (same session count as
 * the run) and stores one row per check, replacing earlier ones. */
START_TEST(run_directory_checks_are_stored)
{
	static const char *const sets[] = {
		"world.users=400", "world.creators=60", "run.warmup_days=1",
		"run.experiment_days=1", "model.trees=10", "spike.promo.start=30h",
		"spike.promo.magnitude=200",
	};
	struct scenario *sc = load(sets, 7);
	struct run_options o = { 0 };
	struct run_summary sum;
	struct validity_report rep;
	struct error err;
	char out[128], db[256];

	snprintf(out, sizeof(out), "%s/run", tmpdir);
	o.out = out;
	ck_assert_int_eq(run_execute(sc, &o, &sum, &err), 0);
	scenario_free(sc);
	ck_assert_int_eq(validity_run_dir(out, &rep, &err), 0);
	ck_assert_int_eq(find(&rep, "replay_sessions")->verdict, VALIDITY_PASS);
	ck_assert_int_eq(validity_run_dir(out, &rep, &err), 0);
	snprintf(db, sizeof(db), "%s/results.db", out);
	/* checkstore (the report's reader) gives the stored checks back: one
	 * row per check, the second validation having replaced the first. */
	{
		struct results *res = results_open_readonly(db, &err);
		struct checkstore back;

		ck_assert_ptr_nonnull(res);
		ck_assert_int_eq(checkstore_get(res, 1, &back, &err), 0);
		ck_assert_uint_eq(back.n, rep.n);
		ck_assert_uint_eq(back.pass, rep.pass);
		ck_assert_uint_eq(back.fail, rep.fail);
		ck_assert_uint_eq(back.skipped, rep.skipped);
		for (size_t i = 0; i < rep.n; i++) {
			ck_assert_str_eq(back.checks[i].name, rep.checks[i].name);
			ck_assert_str_eq(back.checks[i].detail, rep.checks[i].detail);
			ck_assert_str_eq(checkstore_verdict_name(back.checks[i].verdict),
					 validity_verdict_name(rep.checks[i].verdict));
			ck_assert(isnan(rep.checks[i].p) ? isnan(back.checks[i].p)
							 : back.checks[i].p == rep.checks[i].p);
		}
		ck_assert_int_eq(checkstore_get(res, 99, &back, &err), 0);
		ck_assert_uint_eq(back.n, 0);
		results_close(res);
	}
}
END_TEST

START_TEST(not_a_run_directory_is_an_error)
{
	struct validity_report rep;
	struct error err;

	ck_assert_int_eq(validity_run_dir(tmpdir, &rep, &err), ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "is not a run directory"));
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, default_world_passes_every_check);
	tcase_add_test(tc, mnl_world_passes_every_check);
	tcase_add_test(tc, untestable_checks_are_skipped);
	tcase_add_test(tc, spike_size_statistic_is_standardised);
	tcase_add_test(tc, run_directory_checks_are_stored);
	tcase_add_test(tc, not_a_run_directory_is_an_error);
}

CHECK_MAIN("validity", add_tests, 120)
