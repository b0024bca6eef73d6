/* Tests for sim/sim.c and sim/behaviour.c: event ids and order, common
 * random numbers across rankers, position bias by slot, truth bounds. */
#include "sim/sim.h"

#include "common/calendar.h"
#include "tests/eventlog.h"
#include "common/scenario.h"
#include "config/config.h"
#include "tests/defaults.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check_main.h"

#define MAX_EVENTS 400000


/* Rankers: the first k shows live at `now` in id order, or in reverse. */
struct live_ranker {
	const struct sim *sim;
	bool reverse;
};

static size_t live_page(void *ctx, uint32_t user, uint32_t session, simtime now,
			uint32_t *out, size_t k)
{
	struct live_ranker *r = ctx;
	const struct world *w = sim_world(r->sim);
	uint32_t ns = world_n_shows(w);
	size_t n = 0;

	(void)user;
	(void)session;
	for (uint32_t i = 0; i < ns && n < k; i++) {
		uint32_t s = r->reverse ? ns - 1 - i : i;

		if (world_show_status(w, s, now) == WORLD_SHOW_LIVE ||
		    (r->reverse && world_show_status(w, s, now) == WORLD_SHOW_UPCOMING))
			out[n++] = s;
	}
	return n;
}

static void small_params(struct sim_params *p)
{
	*p = test_defaults()->sim;
	p->seed = 5;
	p->horizon = 2 * SIMTIME_DAY;
	p->world.n_users = 2000;
	p->world.n_creators = 100;
	p->spikes[0] = test_default_spike("s");
	p->spikes[0].magnitude = 300;
	p->spikes[0].start = 20 * SIMTIME_HOUR;
	p->n_spikes = 1;
}

static void run(const struct sim_params *p, bool reverse, struct eventlog *l)
{
	struct calendar *cal = calendar_new(0, 1024);
	struct live_ranker lr = {NULL, reverse};
	struct sim_ranker r = {&lr, live_page};
	struct error err;
	struct sim *s = sim_new(p, cal, eventlog_record, l, &err);

	ck_assert_msg(s != NULL, "%s", err.msg);
	lr.sim = s;
	sim_set_ranker(s, &r);
	calendar_run_until(cal, p->horizon + SIMTIME_DAY);
	ck_assert_uint_eq(sim_events(s), l->n);
	sim_free(s);
	calendar_free(cal);
}

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

	small_params(&p);
	run(&p, false, &l);
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

	small_params(&p);
	run(&p, false, &a);
	run(&p, true, &b);
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

/* Constant relevance r (all weights 0, bias logit r): under the PBM the
 * tune-in rate of slot i is r (i+1)^-power; under the cascade it is
 * r ((1-r) c)^i.  Each slot's rate is a binomial proportion over ~10,000
 * impressions: sd <= sqrt(0.25/10000) = 0.005; we allow 0.025 (5 sd). */
static void check_ctr(enum behaviour_position_model model)
{
	struct sim_params p;
	struct eventlog l = EVENTLOG(MAX_EVENTS);
	double r = 0.3, imp[5] = {0}, tun[5] = {0};

	p = test_defaults()->sim;
	p.seed = 8;
	p.horizon = 3 * SIMTIME_DAY;
	p.world.n_users = 1500;
	p.world.n_creators = 40;
	p.world.shows_per_week = 7;
	p.world.show_median = 30 * SIMTIME_DAY;
	p.world.show_sigma = 0;
	p.behaviour.page_size = 5;
	p.behaviour.model = model;
	p.behaviour.exam_power = 1.0;
	p.behaviour.cascade_continue = 0.8;
	p.behaviour.bias = log(r / (1 - r));
	p.behaviour.w_topic = p.behaviour.w_affinity = p.behaviour.w_quality = 0;
	p.behaviour.w_popularity = p.behaviour.w_social = p.behaviour.w_follow = 0;
	p.behaviour.listen_affinity_gain = 0;
	run(&p, false, &l);
	for (size_t i = 0; i < l.n; i++) {
		const struct event *e = &l.ev[i];

		if (e->type == EVENT_IMPRESSION)
			imp[e->position]++;
		if (e->type == EVENT_LISTEN_START && e->source == EVENT_SOURCE_HOME)
			tun[e->position]++;
	}
	for (int k = 0; k < 5; k++) {
		double want = model == BEHAVIOUR_PBM ? r / (k + 1) : r * pow((1 - r) * 0.8, k);

		ck_assert_double_gt(imp[k], 8000);
		ck_assert_msg(fabs(tun[k] / imp[k] - want) < 0.025, "slot %d: %g vs %g", k,
			      tun[k] / imp[k], want);
	}
	free(l.ev);
}

START_TEST(pbm_click_through_follows_examination_curve)
{
	check_ctr(BEHAVIOUR_PBM);
}
END_TEST

START_TEST(cascade_click_through_follows_examination_curve)
{
	check_ctr(BEHAVIOUR_CASCADE);
}
END_TEST

START_TEST(truth_is_a_probability_and_zero_when_ended)
{
	struct sim_params p;
	struct calendar *cal = calendar_new(0, 64);
	struct error err;
	struct sim *s;
	const struct world *w;

	small_params(&p);
	s = sim_new(&p, cal, NULL, NULL, &err);
	ck_assert_ptr_nonnull(s);
	w = sim_world(s);
	ck_assert_uint_gt(world_n_users(w), world_n_base_users(w));   /* cold-start slots */
	for (uint32_t sh = 0; sh < world_n_shows(w); sh += 7) {
		double t = sim_truth(s, sh % world_n_users(w), sh, world_show_start(w, sh));

		ck_assert(t > 0 && t < 1);
		ck_assert(sim_truth(s, 0, sh, world_show_end(w, sh)) == 0);
	}
	sim_free(s);
	calendar_free(cal);
}
END_TEST

/* Runs p with every event logged; the sim is handed back (caller frees it
 * and the calendar) so its behaviour can be asked about budgets. */
static struct sim *run_keep(const struct sim_params *p, struct calendar *cal, struct eventlog *l)
{
	static struct live_ranker lr;
	static struct sim_ranker r = {&lr, live_page};
	struct error err;
	struct sim *s = sim_new(p, cal, eventlog_record, l, &err);

	ck_assert_msg(s != NULL, "%s", err.msg);
	lr.sim = s;
	lr.reverse = false;
	sim_set_ranker(s, &r);
	calendar_run_until(cal, p->horizon + SIMTIME_DAY);
	return s;
}

#define BUDGET_DAYS 8   /* local days -2 .. 5 cover a 2-day run plus its tail */

/* The daily listening budget: the listening planned per user and local day
 * (home and promotion listens on the day their session opened,
 * notification listens on the day their show went live) never exceeds the
 * user's budget for that day, and it binds: total listening falls. */
START_TEST(listening_per_user_day_never_exceeds_budget)
{
	struct sim_params p;
	struct eventlog l = EVENTLOG(MAX_EVENTS);
	struct eventlog u = EVENTLOG(MAX_EVENTS);
	struct calendar *cal = calendar_new(0, 1024);
	const struct behaviour *bh;
	const struct world *w;
	struct sim *s;
	simtime *session_at, *live_at, *used, total = 0, total_free = 0;
	size_t n_sessions = 0, cut = 0;

	small_params(&p);
	p.behaviour.listen_median = 40 * SIMTIME_MIN;
	p.behaviour.bias = -1;
	p.behaviour.listen_budget = 30 * SIMTIME_MIN;
	p.behaviour.listen_budget_sigma = 0.5;
	s = run_keep(&p, cal, &l);
	bh = sim_behaviour(s);
	w = sim_world(s);
	for (size_t i = 0; i < l.n; i++)
		if (l.ev[i].type == EVENT_APP_OPEN && l.ev[i].session + 1 > n_sessions)
			n_sessions = l.ev[i].session + 1;
	session_at = calloc(n_sessions, sizeof(simtime));
	live_at = calloc(world_n_shows(w), sizeof(simtime));
	used = calloc((size_t)world_n_users(w) * BUDGET_DAYS, sizeof(simtime));
	for (size_t i = 0; i < l.n; i++) {
		const struct event *e = &l.ev[i];
		simtime planned;
		int64_t day;

		if (e->type == EVENT_APP_OPEN)
			session_at[e->session] = e->emit_time;
		if (e->type == EVENT_SHOW_LIVE)
			live_at[e->show] = e->emit_time;
		if (e->type != EVENT_LISTEN_END)
			continue;
		planned = e->session != EVENT_NONE ? session_at[e->session] : live_at[e->show];
		day = behaviour_local_day(bh, e->user, planned);
		ck_assert(day >= -2 && day < BUDGET_DAYS - 2);
		used[(size_t)e->user * BUDGET_DAYS + (size_t)(day + 2)] += e->value;
		total += e->value;
	}
	for (uint32_t us = 0; us < world_n_users(w); us++)
		for (int d = 0; d < BUDGET_DAYS; d++) {
			simtime got = used[(size_t)us * BUDGET_DAYS + (size_t)d];
			simtime budget = behaviour_listen_budget(bh, us, d - 2);

			ck_assert_msg(got <= budget, "user %u day %d: %lld > %lld us", us, d - 2,
				      (long long)got, (long long)budget);
			if (got > 0 && got == budget)
				cut++;
		}
	ck_assert_uint_gt(cut, 100);
	sim_free(s);
	calendar_free(cal);

	/* The same world without a budget listens longer. */
	p.behaviour.listen_budget = 0;
	cal = calendar_new(0, 1024);
	s = run_keep(&p, cal, &u);
	for (size_t i = 0; i < u.n; i++)
		if (u.ev[i].type == EVENT_LISTEN_END)
			total_free += u.ev[i].value;
	ck_assert(total < total_free);
	sim_free(s);
	calendar_free(cal);
	free(session_at);
	free(live_at);
	free(used);
	free(l.ev);
	free(u.ev);
}
END_TEST

/* A budget that never binds (24 h, no spread: nobody plans a day of
 * listening in this world) gives exactly the event stream of no budget, so
 * the mechanism adds no draws to the other streams and budget 0 is the
 * model without it.  Budgets are positive, lognormal around the median. */
START_TEST(budget_that_never_binds_changes_nothing)
{
	struct sim_params p;
	struct eventlog a = EVENTLOG(MAX_EVENTS);
	struct eventlog b = EVENTLOG(MAX_EVENTS);
	struct calendar *cal = calendar_new(0, 1024);
	struct sim *s;
	struct error err;
	size_t above = 0;

	small_params(&p);
	s = run_keep(&p, cal, &a);
	ck_assert_uint_eq(behaviour_listen_budget(sim_behaviour(s), 0, 0), 0);
	sim_free(s);
	calendar_free(cal);
	p.behaviour.listen_budget = SIMTIME_DAY;
	p.behaviour.listen_budget_sigma = 0;
	cal = calendar_new(0, 1024);
	s = run_keep(&p, cal, &b);
	ck_assert_uint_eq(a.n, b.n);
	ck_assert(memcmp(a.ev, b.ev, a.n * sizeof(struct event)) == 0);
	sim_free(s);
	calendar_free(cal);

	/* Median: about half of 2,000 budgets above it (binomial sd 22). */
	p.behaviour.listen_budget = 60 * SIMTIME_MIN;
	p.behaviour.listen_budget_sigma = 0.5;
	cal = calendar_new(0, 64);
	s = sim_new(&p, cal, NULL, NULL, &err);
	ck_assert_ptr_nonnull(s);
	for (uint32_t us = 0; us < 2000; us++) {
		simtime bu = behaviour_listen_budget(sim_behaviour(s), us, 1);

		ck_assert(bu > 0);
		ck_assert(bu == behaviour_listen_budget(sim_behaviour(s), us, 1));
		above += bu > 60 * SIMTIME_MIN;
	}
	ck_assert_uint_gt(above, 1000 - 5 * 23);
	ck_assert_uint_lt(above, 1000 + 5 * 23);
	sim_free(s);
	calendar_free(cal);

	/* Bad input: a negative spread is refused, naming the key. */
	p.behaviour.listen_budget_sigma = -1;
	cal = calendar_new(0, 64);
	ck_assert_ptr_null(sim_new(&p, cal, NULL, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "listen_budget_sigma"));
	calendar_free(cal);
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
	tcase_add_test(tc, pbm_click_through_follows_examination_curve);
	tcase_add_test(tc, cascade_click_through_follows_examination_curve);
	tcase_add_test(tc, truth_is_a_probability_and_zero_when_ended);
	tcase_add_test(tc, params_load_from_scenario);
	tcase_add_test(tc, listening_per_user_day_never_exceeds_budget);
	tcase_add_test(tc, budget_that_never_binds_changes_nothing);
}

CHECK_MAIN("sim", add_tests, 120)
