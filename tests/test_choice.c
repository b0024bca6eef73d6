/* Tests for the multinomial-logit session model of sim/behaviour.c
 * (choice_model = mnl): the pick follows the position-weighted logit,
 * scrolling happens only past screens without a live show, continuations
 * carry the planned listening time over show ends, engage_delay scales
 * likes with listen length, and the keys' rules name where they were set. */
#include "sim/sim.h"

#include "common/calendar.h"
#include "tests/eventlog.h"
#include "common/scenario.h"
#include "config/config.h"
#include "tests/check_main.h"
#include "tests/defaults.h"
#include "tests/scenfile.h"

#include <check.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENTS 600000


/* Ranker: live shows in id order, or upcoming shows first (then live). */
struct test_ranker {
	const struct sim *sim;
	bool upcoming_first;
};

static size_t test_page(void *ctx, uint32_t user, uint32_t session, simtime now, uint32_t *out,
			size_t k)
{
	struct test_ranker *r = ctx;
	const struct world *w = sim_world(r->sim);
	uint32_t ns = world_n_shows(w);
	size_t n = 0;

	(void)user;
	(void)session;
	for (int pass = r->upcoming_first ? 0 : 1; pass < 2; pass++)
		for (uint32_t s = 0; s < ns && n < k; s++)
			if (world_show_status(w, s, now) ==
			    (pass == 0 ? WORLD_SHOW_UPCOMING : WORLD_SHOW_LIVE))
				out[n++] = s;
	return n;
}

/* Constant relevance r everywhere (all weights 0), mnl choice. */
static void mnl_params(struct sim_params *p, double r)
{
	*p = test_defaults()->sim;
	p->seed = 11;
	p->horizon = 3 * SIMTIME_DAY;
	p->world.n_users = 1500;
	p->world.n_creators = 40;
	p->behaviour.choice = BEHAVIOUR_MNL;
	p->behaviour.bias = log(r / (1 - r));
	p->behaviour.w_topic = p->behaviour.w_affinity = p->behaviour.w_quality = 0;
	p->behaviour.w_popularity = p->behaviour.w_social = p->behaviour.w_follow = 0;
	p->behaviour.listen_affinity_gain = 0;
	p->behaviour.follower_notice = 0;
	p->behaviour.notify_rate = 0;
	p->behaviour.remind_rate = 0;
}

/* One simulated run with every event logged. */
struct trial {
	struct eventlog l;
	struct calendar *cal;
	struct test_ranker tr;
	struct sim_ranker sr;
	struct sim *s;
	const struct world *w;
};

static void trial_run(struct trial *t, const struct sim_params *p, bool upcoming_first)
{
	struct error err;

	t->l.ev = calloc(MAX_EVENTS, sizeof(struct event));
	t->l.n = 0;
	t->l.cap = MAX_EVENTS;
	t->cal = calendar_new(0, 1024);
	t->s = sim_new(p, t->cal, eventlog_record, &t->l, &err);
	ck_assert_msg(t->s != NULL, "%s", err.msg);
	t->w = sim_world(t->s);
	t->tr.sim = t->s;
	t->tr.upcoming_first = upcoming_first;
	t->sr.ctx = &t->tr;
	t->sr.page = test_page;
	sim_set_ranker(t->s, &t->sr);
	calendar_run_until(t->cal, p->horizon + SIMTIME_DAY);
}

static void trial_free(struct trial *t)
{
	sim_free(t->s);
	calendar_free(t->cal);
	free(t->l.ev);
}

/* Sessions with a page have ids; sort key (user, session). */
static uint64_t key_of(const struct event *e)
{
	return (uint64_t)e->user << 32 | e->session;
}

/* Home listens (starts and ends) grouped by session, in time order within
 * one (the log's order breaks ties: starts before ends of the same time). */
struct ref {
	uint64_t key;
	size_t at;
};

static int by_key_then_order(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

static struct ref *home_listens(const struct eventlog *l, size_t *n)
{
	struct ref *r = calloc(l->n + 1, sizeof(*r));

	*n = 0;
	for (size_t i = 0; i < l->n; i++)
		if ((l->ev[i].type == EVENT_LISTEN_START || l->ev[i].type == EVENT_LISTEN_END) &&
		    l->ev[i].source == EVENT_SOURCE_HOME)
			r[(*n)++] = (struct ref){key_of(&l->ev[i]), i};
	qsort(r, *n, sizeof(*r), by_key_then_order);
	return r;
}

/* Shows last 30 days, the ranker returns up to 5 live shows.  On a page of
 * n live slots, slot i is picked with probability (o/(i+1)) / (m + o H_n),
 * o = r/(1-r), H_n = 1 + 1/2 + ... + 1/n (exam_power 1), and nothing with
 * m / (m + o H_n).  Expected counts are summed page by page (early pages
 * hold fewer shows) and compared with a chi-square over the 5 slots and
 * "no pick" (df 5; each page is one multinomial draw): on this fixed seed
 * it must not reject at 0.001.  And a page leads to one listen at most. */
START_TEST(pick_follows_position_weighted_logit)
{
	struct sim_params p;
	struct trial t;
	double r = 0.2, o = r / (1 - r), m = 0.5, pages = 0;
	double obs[6] = {0}, expd[6] = {0}, x2 = 0;
	struct ref *refs;
	size_t n_refs;

	mnl_params(&p, r);
	p.world.shows_per_week = 7;
	p.world.show_median = 30 * SIMTIME_DAY;
	p.world.show_sigma = 0;
	p.behaviour.page_size = 5;
	p.behaviour.exam_power = 1.0;
	p.behaviour.no_choice_mass = m;
	trial_run(&t, &p, false);
	for (size_t i = 0; i < t.l.n;) {
		const struct event *e = &t.l.ev[i];
		size_t n = 0;
		double h = 0;

		if (e->type != EVENT_IMPRESSION) {
			if (e->type == EVENT_LISTEN_START && e->source == EVENT_SOURCE_HOME) {
				ck_assert_uint_lt(e->position, 5);
				obs[e->position]++;
			}
			i++;
			continue;
		}
		/* a page: its impressions are consecutive events, slots 0..n-1 */
		while (i + n < t.l.n && t.l.ev[i + n].type == EVENT_IMPRESSION &&
		       t.l.ev[i + n].position == n && key_of(&t.l.ev[i + n]) == key_of(e))
			n++;
		for (size_t k = 0; k < n; k++)
			h += 1.0 / (double)(k + 1);
		for (size_t k = 0; k < n; k++)
			expd[k] += (o / (double)(k + 1)) / (m + o * h);
		expd[5] += m / (m + o * h);
		pages++;
		i += n;
	}
	ck_assert_double_gt(pages, 10000);
	obs[5] = pages - (obs[0] + obs[1] + obs[2] + obs[3] + obs[4]);
	for (int k = 0; k < 6; k++)
		x2 += (obs[k] - expd[k]) * (obs[k] - expd[k]) / expd[k];
	ck_assert_msg(gsl_cdf_chisq_Q(x2, 5) > 0.001, "chi2 %g: slot 0 %g/%g, slot 4 %g/%g, none %g/%g",
		      x2, obs[0], expd[0], obs[4], expd[4], obs[5], expd[5]);
	refs = home_listens(&t.l, &n_refs);
	for (size_t i = 1; i < n_refs; i++)   /* one listen (start, end) per session */
		ck_assert(refs[i].key != refs[i - 1].key ||
			  t.l.ev[refs[i].at].type == EVENT_LISTEN_END);
	free(refs);
	trial_free(&t);
}
END_TEST

/* Upcoming shows ranked first: a user scrolls to screen s > 0 only when
 * every screen before it held no live show (one that is still on when the
 * user would tune in), impressions keep their absolute slots, and some
 * listens come from deeper screens. */
START_TEST(scrolls_only_past_screens_without_live_shows)
{
	struct sim_params p;
	struct trial t;
	size_t deep_listens = 0, deep_pages = 0;

	mnl_params(&p, 0.3);
	p.horizon = 2 * SIMTIME_DAY;
	p.world.n_users = 600;
	p.behaviour.page_size = 4;
	p.behaviour.scroll_screens = 5;
	p.behaviour.no_choice_mass = 0.01;
	trial_run(&t, &p, true);
	for (size_t i = 0; i < t.l.n; i++) {
		const struct event *e = &t.l.ev[i];

		if (e->type == EVENT_LISTEN_START && e->source == EVENT_SOURCE_HOME)
			deep_listens += e->position >= 4;
		if (e->type != EVENT_IMPRESSION || e->position % 4 != 0 || e->position == 0)
			continue;
		/* the first slot of screen s > 0: the 4 s slots before it, same
		 * page, are the events just before it, none live */
		deep_pages++;
		ck_assert_uint_ge(i, e->position);
		for (size_t j = i - e->position; j < i; j++) {
			const struct event *b = &t.l.ev[j];

			ck_assert_int_eq(b->type, EVENT_IMPRESSION);
			ck_assert(key_of(b) == key_of(e));
			ck_assert_uint_eq(b->position, e->position - (i - j));
			ck_assert(world_show_status(t.w, b->show, e->emit_time) != WORLD_SHOW_LIVE ||
				  world_show_end(t.w, b->show) <= e->emit_time + p.behaviour.think_time);
		}
	}
	ck_assert_uint_gt(deep_pages, 100);
	ck_assert_uint_gt(deep_listens, 50);
	trial_free(&t);
}
END_TEST

/* Shows of 20 minutes and planned listens of exactly 2 hours (sigma 0):
 * without continuations a session holds one home listen of at most 20
 * minutes; with continue_rate 100 % the listens of a session follow each
 * other (each starts think_time after a page requested some time after
 * the previous one ended with its show) and add up to the planned 2 hours unless the
 * chain ran out of live shows or of carry (under 1 minute left). */
static void chain_lengths(double continue_rate, size_t *sessions, size_t *full, size_t *multi)
{
	struct sim_params p;
	struct trial t;
	simtime want = 2 * SIMTIME_HOUR;
	struct ref *refs;
	size_t n_refs;

	mnl_params(&p, 0.3);
	p.horizon = 2 * SIMTIME_DAY;
	p.world.n_users = 400;
	p.world.n_creators = 1000;
	p.world.shows_per_week = 7;
	p.world.creator_hour_sd = 24;     /* live shows around the clock */
	p.world.show_median = 20 * SIMTIME_MIN;
	p.world.show_sigma = 0;
	p.behaviour.listen_median = want;
	p.behaviour.listen_sigma = 0;
	p.behaviour.no_choice_mass = 0.001;
	p.behaviour.continue_rate = continue_rate;
	trial_run(&t, &p, false);
	*sessions = *full = *multi = 0;
	refs = home_listens(&t.l, &n_refs);
	for (size_t g = 0; g < n_refs;) {
		simtime total = 0, last_end = -1;
		size_t hops = 0, h = g;
		bool late = t.l.ev[refs[g].at].emit_time > p.horizon - 4 * SIMTIME_HOUR;

		for (; h < n_refs && refs[h].key == refs[g].key; h++) {
			const struct event *x = &t.l.ev[refs[h].at];

			if (x->type == EVENT_LISTEN_START) {
				if (last_end >= 0)   /* back after a delay, then think_time */
					ck_assert(x->emit_time >= last_end + p.behaviour.think_time);
				hops++;
			} else {
				ck_assert(x->emit_time <= world_show_end(t.w, x->show));
				total += x->value;
				last_end = x->emit_time;
			}
		}
		g = h;
		if (late)   /* its chain may run past the end of the run */
			continue;
		ck_assert(total <= want);
		(*sessions)++;
		*full += total > want - SIMTIME_MIN;
		*multi += hops >= 6;   /* 2 h takes six 20-minute shows at least */
	}
	free(refs);
	trial_free(&t);
}

START_TEST(continuations_carry_planned_listening_over_show_ends)
{
	size_t sessions, full, multi;

	chain_lengths(0, &sessions, &full, &multi);
	ck_assert_uint_gt(sessions, 500);
	ck_assert_uint_eq(full, 0);          /* a show of 20 min cannot hold 2 h */
	ck_assert_uint_eq(multi, 0);
	chain_lengths(1, &sessions, &full, &multi);
	ck_assert_uint_gt(sessions, 500);
	/* a complete chain took at least six shows: none listened past its end */
	ck_assert_uint_ge(multi, full);
	ck_assert_msg(full >= 0.9 * (double)sessions, "%zu of %zu chains complete", full, sessions);
}
END_TEST

/* engage_delay D: a listen of length L is liked with probability
 * like_rate (engage_floor + r) (1 - exp(-L/D)).  The observed count of
 * likes against the sum of those probabilities over all listens: the
 * variance is at most the sum of q(1-q); we allow 5 sd.  Without the
 * delay, the same listens earn clearly more likes. */
static void likes_vs_expected(simtime delay, double *observed, double *expected, double *sd)
{
	struct sim_params p;
	struct trial t;
	double r = 0.3, var = 0;

	mnl_params(&p, r);
	p.world.n_users = 4000;
	p.world.n_creators = 400;
	p.world.show_median = 30 * SIMTIME_MIN;
	p.behaviour.listen_median = 10 * SIMTIME_MIN;
	p.behaviour.like_rate = 0.5;
	p.behaviour.engage_floor = 0.5;
	p.behaviour.engage_delay = delay;
	trial_run(&t, &p, false);
	*observed = *expected = 0;
	for (size_t i = 0; i < t.l.n; i++) {
		const struct event *e = &t.l.ev[i];

		if (e->type == EVENT_LIKE)
			(*observed)++;
		if (e->type == EVENT_LISTEN_END) {
			double q = 0.5 * (0.5 + r) *
				   (delay > 0 ? -expm1(-(double)e->value / (double)delay) : 1);

			*expected += q;
			var += q * (1 - q);
		}
	}
	*sd = sqrt(var);
	trial_free(&t);
}

START_TEST(engage_delay_scales_likes_with_listen_length)
{
	double obs, exp_likes, sd, obs0, exp0, sd0;

	likes_vs_expected(15 * SIMTIME_MIN, &obs, &exp_likes, &sd);
	ck_assert_double_gt(exp_likes, 1000);
	ck_assert_msg(fabs(obs - exp_likes) < 5 * sd, "%g likes, expected %g (sd %g)", obs, exp_likes,
		      sd);
	likes_vs_expected(0, &obs0, &exp0, &sd0);
	ck_assert_msg(fabs(obs0 - exp0) < 5 * sd0, "%g likes, expected %g (sd %g)", obs0, exp0, sd0);
	ck_assert_double_gt(obs0, obs + 10 * sd);
}
END_TEST

/* The rules between the keys name where each value came from. */
START_TEST(rules_name_file_line_and_key)
{
	static const char needs_mnl[] = "[behaviour]\npage_size = 10\ncontinue_rate = 50%\n";
	static const char too_deep[] = "[behaviour]\nchoice_model = mnl\npage_size = 30\n"
				       "scroll_screens = 4\n";
	/* 3 screens of 10 slots: [rank] k must hold them (config_load's page rule) */
	static const char fine[] = "[behaviour]\nchoice_model = mnl\nno_choice_mass = 0.01\n"
				   "scroll_screens = 3\ncontinue_rate = 90%\nengage_delay = 20min\n"
				   "[rank]\nk = 30\n";
	struct scenfile f;
	struct config cfg;
	const struct sim_params *p = &cfg.sim;
	struct error err;

	ck_assert_int_eq(config_load(&cfg, scenfile_load(&f, needs_mnl, NULL, 0), &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 3, "[behaviour] continue_rate");
	ck_assert_ptr_nonnull(strstr(err.msg, "choice_model = mnl"));
	scenfile_release(&f);

	ck_assert_int_eq(config_load(&cfg, scenfile_load(&f, too_deep, NULL, 0), &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 4, "[behaviour] scroll_screens");
	ck_assert_ptr_nonnull(strstr(err.msg, "page_size = 30"));
	scenfile_release(&f);

	ck_assert_int_eq(config_load(&cfg, scenfile_load(&f, fine, NULL, 0), &err), 0);
	ck_assert_int_eq(p->behaviour.choice, BEHAVIOUR_MNL);
	ck_assert_double_eq(p->behaviour.no_choice_mass, 0.01);
	ck_assert_uint_eq(p->behaviour.scroll_screens, 3);
	ck_assert_double_eq(p->behaviour.continue_rate, 0.9);
	ck_assert(p->behaviour.engage_delay == 20 * SIMTIME_MIN);
	scenfile_release(&f);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, pick_follows_position_weighted_logit);
	tcase_add_test(tc, scrolls_only_past_screens_without_live_shows);
	tcase_add_test(tc, continuations_carry_planned_listening_over_show_ends);
	tcase_add_test(tc, engage_delay_scales_likes_with_listen_length);
	tcase_add_test(tc, rules_name_file_line_and_key);
}

CHECK_MAIN("choice", add_tests, 120)
