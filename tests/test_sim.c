/* Tests for sim/sim.c: event ids and order, common random numbers across
 * rankers, the scenario keys (sim/behaviour.c: test_behaviour.c). */
#include "sim/sim.h"

#include "common/calendar.h"
#include "tests/simrun.h"
#include "common/scenario.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "tests/check_main.h"

#define MAX_EVENTS 400000

static bool exogenous(const struct event *e)
{
	return e->type == EVENT_APP_OPEN || e->type == EVENT_SHOW_SCHEDULED ||
	       e->type == EVENT_SHOW_LIVE || e->type == EVENT_SHOW_END || e->type == EVENT_PROMO_POST;
}

START_TEST(ids_increase_and_times_never_decrease)
{
	struct sim_params p;
	struct eventlog l = EVENTLOG(MAX_EVENTS);
	uint64_t types[EVENT_TYPE_COUNT] = {0};

	simrun_small_params(&p);
	simrun_log(&p, false, &l);
	ck_assert_uint_gt(l.n, 10000);
	for (size_t i = 0; i < l.n; i++) {
		ck_assert_uint_eq(l.ev[i].id, i + 1);
		if (i)
			ck_assert(l.ev[i].emit_time >= l.ev[i - 1].emit_time);
		types[l.ev[i].type]++;
	}
	for (int t = EVENT_APP_OPEN; t < EVENT_TYPE_COUNT; t++)
		ck_assert_msg(types[t] > 0, "no %s events", event_type_name(t));
	ck_assert_uint_eq(types[EVENT_LISTEN_START], types[EVENT_LISTEN_END]);
	free(l.ev);
}
END_TEST

/* Common random numbers: another ranker changes what users do on the page,
 * never the sessions, show events or promotions. */
START_TEST(rankers_do_not_move_exogenous_events)
{
	struct sim_params p;
	struct eventlog a = EVENTLOG(MAX_EVENTS);
	struct eventlog b = EVENTLOG(MAX_EVENTS);
	size_t i = 0, j = 0, listens_a = 0, listens_b = 0;

	simrun_small_params(&p);
	simrun_log(&p, false, &a);
	simrun_log(&p, true, &b);
	for (;;) {
		while (i < a.n && !exogenous(&a.ev[i]))
			listens_a += a.ev[i++].type == EVENT_LISTEN_START;
		while (j < b.n && !exogenous(&b.ev[j]))
			listens_b += b.ev[j++].type == EVENT_LISTEN_START;
		if (i == a.n || j == b.n)
			break;
		ck_assert_int_eq(a.ev[i].type, b.ev[j].type);
		ck_assert(a.ev[i].emit_time == b.ev[j].emit_time);
		ck_assert_uint_eq(a.ev[i].user, b.ev[j].user);
		ck_assert_uint_eq(a.ev[i].show, b.ev[j].show);
		ck_assert_uint_eq(a.ev[i].session, b.ev[j].session);
		ck_assert(a.ev[i].value == b.ev[j].value);
		i++;
		j++;
	}
	ck_assert_uint_eq(i, a.n);
	ck_assert_uint_eq(j, b.n);
	ck_assert_uint_ne(listens_a, listens_b);   /* the arms did differ */
	free(a.ev);
	free(b.ev);
}
END_TEST

/* The scenario keys load into the module configs; bad values are refused. */
START_TEST(params_load_from_scenario)
{
	static const char text[] =
		"[run]\nseed = 9\nwarmup_days = 1\nexperiment_days = 2\n"
		"[world]\nusers = 500\nzones = -5:1\n"
		"[traffic]\npeak_hour = 18\n"
		"[behaviour]\nposition_model = cascade\nlisten_budget = 90min\n"
		"[spike.launch]\ncreator = top:2\nstart = 30h\nbranching = 0.25\n"
		"[spike.late]\ncreator = random\n";
	struct config cfg;
	struct error err;
	struct scenario *sc = scenario_parse(&config_schema, text, "t.ini", NULL, 0, &err);

	ck_assert_msg(sc != NULL, "%s", err.msg);
	ck_assert_int_eq(config_load(&cfg, sc, &err), 0);
	ck_assert_uint_eq(cfg.sim.seed, 9);
	ck_assert(cfg.sim.horizon == 3 * SIMTIME_DAY);
	ck_assert_uint_eq(cfg.sim.world.n_users, 500);
	ck_assert_uint_eq(cfg.sim.world.n_zones, 1);
	ck_assert_double_eq(cfg.sim.traffic.peak_hour, 18);
	ck_assert_int_eq(cfg.sim.behaviour.model, BEHAVIOUR_CASCADE);
	ck_assert(cfg.sim.behaviour.listen_budget == 90 * SIMTIME_MIN);
	ck_assert_double_eq(cfg.sim.behaviour.listen_budget_sigma, 0.5);
	ck_assert_double_eq(cfg.sim.behaviour.engage_floor, 0.5);
	ck_assert_uint_eq(cfg.sim.n_spikes, 2);
	ck_assert_str_eq(cfg.sim.spikes[0].name, "launch");
	ck_assert_int_eq(cfg.sim.spikes[0].target, SPIKE_CREATOR_TOP);
	ck_assert_uint_eq(cfg.sim.spikes[0].target_arg, 2);
	ck_assert(cfg.sim.spikes[0].start == 30 * SIMTIME_HOUR);
	ck_assert_double_eq(cfg.sim.spikes[0].branching, 0.25);
	ck_assert_int_eq(cfg.sim.spikes[1].target, SPIKE_CREATOR_RANDOM);
	scenario_free(sc);

	sc = scenario_parse(&config_schema, "[spike.x]\ncreator = best\n", "bad.ini", NULL, 0, &err);
	ck_assert_ptr_nonnull(sc);
	ck_assert_int_eq(config_load(&cfg, sc, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "best"));
	scenario_free(sc);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, ids_increase_and_times_never_decrease);
	tcase_add_test(tc, rankers_do_not_move_exogenous_events);
	tcase_add_test(tc, params_load_from_scenario);
}

CHECK_MAIN("sim", add_tests, 120)
