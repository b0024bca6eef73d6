/* Tests for sim/behaviour.c, the ground truth of engagement.  Random
 * tests use fixed seeds and bounds from theory (binomial, CLT), never from
 * observed output.
 *
 * Driven directly (a world, a calendar and fixed pages): the position
 * curves, the independent page walk under the PBM and the cascade, likes,
 * follows and notifications after listens, reminders for upcoming shows,
 * notified followers tuning in, promotions, lognormal listen lengths, the
 * truth formula term by term, bad configurations.
 *
 * Through sim/ (moved here from test_sim.c): click-through by slot under
 * both position models, the daily listening budget.
 *
 * The multinomial-logit session model (choice_model = mnl; this suite was
 * test_choice.c): the pick follows the position-weighted logit, scrolling
 * happens only past screens without a live show, continuations carry the
 * planned listening time over show ends, engage_delay scales likes with
 * listen length, and the keys' rules name where they were set. */
#include "sim/behaviour.h"

#include "common/calendar.h"
#include "common/rng.h"
#include "common/scenario.h"
#include "sim/emitter.h"
#include "sim/sim.h"
#include "sim/world.h"
#include "config/config.h"
#include "tests/defaults.h"
#include "tests/check_main.h"
#include "tests/eventlog.h"
#include "tests/scenfile.h"
#include "tests/simrun.h"

#include <check.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENTS 600000

/* ---- the model driven directly: a world, a calendar, fixed pages ---- */

/* A world whose shows last `show_len` (no spread), every creator hosting
 * daily; the behaviour model over it with the caller's config; sessions
 * are opened by hand on a fixed page (ranker: bench_page). */
struct bench {
	struct world *w;
	struct calendar *cal;
	struct eventlog log;
	struct emitter em;
	struct behaviour_config cfg;
	struct behaviour *b;
	uint32_t page[16];
	size_t n_page;
	struct sim_ranker r;
};

static size_t bench_page(void *ctx, uint32_t user, uint32_t session, simtime now,
			 uint32_t *out, size_t k)
{
	struct bench *h = ctx;
	size_t n = h->n_page < k ? h->n_page : k;

	(void)user, (void)session, (void)now;
	memcpy(out, h->page, n * sizeof(*out));
	return n;
}

/* Constant truth r for every (user, show): all weights 0, bias logit r;
 * listens of exactly listen_median (no spread, no affinity gain); no
 * notifications unless a test turns them on. */
static void const_truth(struct behaviour_config *c, double r)
{
	*c = test_defaults()->sim.behaviour;
	c->bias = log(r / (1 - r));
	c->w_topic = c->w_affinity = c->w_quality = 0;
	c->w_popularity = c->w_social = c->w_follow = 0;
	c->listen_sigma = 0;
	c->listen_affinity_gain = 0;
	c->follower_notice = 0;
	c->notify_rate = 0;
	c->remind_rate = 0;
	/* the base model: no returns, notification tune-ins outside sessions */
	c->return_rate = 0;
	c->notify_sessions = false;
}

static void bench_world(struct bench *h, uint32_t users, simtime show_len)
{
	struct world_config wc;
	struct error err;

	memset(h, 0, sizeof(*h));
	wc = test_defaults()->sim.world;
	wc.n_users = users;
	wc.n_creators = 60;
	wc.shows_per_week = 7;
	wc.show_median = show_len;
	wc.show_sigma = 0;
	h->w = world_new(&wc, 21, 4 * SIMTIME_DAY, &err);
	ck_assert_msg(h->w != NULL, "%s", err.msg);
	h->cal = calendar_new(0, 4096);
	h->log.ev = calloc(MAX_EVENTS, sizeof(struct event));
	h->log.cap = MAX_EVENTS;
	h->em.fn = eventlog_record;
	h->em.ctx = &h->log;
	const_truth(&h->cfg, 0.3);
}

static void bench_start(struct bench *h, uint64_t seed)
{
	struct error err;

	h->b = behaviour_new(&h->cfg, seed, h->w, h->cal, &h->em, &err);
	ck_assert_msg(h->b != NULL, "%s", err.msg);
	h->r.ctx = h;
	h->r.page = bench_page;
	behaviour_set_ranker(h->b, &h->r);
}

static void bench_free(struct bench *h)
{
	behaviour_free(h->b);
	calendar_free(h->cal);
	world_free(h->w);
	free(h->log.ev);
}

/* The page: up to n shows in `status` at t, each of another creator, in
 * id order (so a (user, creator) pair is met once per session). */
static void bench_pick(struct bench *h, enum world_show_status status, simtime t, size_t n)
{
	h->n_page = 0;
	for (uint32_t s = 0; s < world_n_shows(h->w) && h->n_page < n; s++) {
		bool dup = false;

		if (world_show_status(h->w, s, t) != status)
			continue;
		if (status == WORLD_SHOW_LIVE && world_show_end(h->w, s) <= t + SIMTIME_HOUR)
			continue;
		for (size_t i = 0; i < h->n_page; i++)
			dup |= world_show_creator(h->w, h->page[i]) == world_show_creator(h->w, s);
		if (!dup)
			h->page[h->n_page++] = s;
	}
	ck_assert_uint_eq(h->n_page, n);
}

/* Sessions 0..n-1 at t, session i by user i (so every session is a
 * user's first), then everything they planned, run to its end. */
static void bench_sessions(struct bench *h, uint32_t n, simtime t, uint32_t promoted)
{
	for (uint32_t i = 0; i < n; i++)
		behaviour_session(h->b, i, i, t, promoted);
	calendar_run_until(h->cal, 5 * SIMTIME_DAY);
	ck_assert_uint_eq(behaviour_pending_listens(h->b), 0);
}

static size_t slot_of(const struct bench *h, uint32_t show)
{
	for (size_t i = 0; i < h->n_page; i++)
		if (h->page[i] == show)
			return i;
	ck_abort_msg("show %u is not on the page", show);
	return 0;
}

/* |observed - n q| within 5 binomial standard deviations. */
static void expect_binomial(const char *what, double observed, double n, double q)
{
	double sd = sqrt(n * q * (1 - q));

	ck_assert_msg(fabs(observed - n * q) <= 5 * sd + 1e-9, "%s: %g, expected %g (sd %g)", what,
		      observed, n * q, sd);
}

/* The position curves exactly as documented. */
START_TEST(examination_curves)
{
	struct behaviour_config c;

	c = test_defaults()->sim.behaviour;
	c.exam_power = 0.8;
	for (uint32_t i = 0; i < 20; i++)
		ck_assert_double_eq_tol(behaviour_examination(&c, i), pow(i + 1.0, -0.8), 1e-15);
	c.model = BEHAVIOUR_CASCADE;
	c.cascade_continue = 0.85;
	ck_assert_double_eq(behaviour_examination(&c, 0), 1);
	for (uint32_t i = 1; i < 20; i++)
		ck_assert_double_eq_tol(behaviour_examination(&c, i), pow(0.85, i), 1e-15);
}
END_TEST

/* PBM, independent choice, constant truth r = 0.3, exam_power 1: over
 * N = 10,000 sessions on one page of 5 live shows, slot i is tapped with
 * probability r / (i+1) (binomial, 5 sd), slots 0 and 1 together with
 * r^2 / 2 (independence), and each session's listens follow each other:
 * the j-th starts think_time after the (j-1)-th ended (after the page for
 * the first), in slot order. */
START_TEST(pbm_page_walk_taps_slots_independently)
{
	struct bench h;
	const uint32_t n = 10000;
	const simtime t = 2 * SIMTIME_DAY;
	double taps[5] = { 0 }, both = 0;
	uint32_t *j = calloc(n, sizeof(*j)), *mask = calloc(n, sizeof(*mask));
	size_t impressions = 0;
	simtime len;

	bench_world(&h, n, 30 * SIMTIME_DAY);
	h.cfg.exam_power = 1;
	len = h.cfg.listen_median;
	bench_start(&h, 3);
	bench_pick(&h, WORLD_SHOW_LIVE, t, 5);
	bench_sessions(&h, n, t, EVENT_NONE);
	for (size_t i = 0; i < h.log.n; i++) {
		const struct event *e = &h.log.ev[i];
		uint32_t u = e->user;

		impressions += e->type == EVENT_IMPRESSION;
		if (e->type != EVENT_LISTEN_START)
			continue;
		ck_assert_int_eq(e->source, EVENT_SOURCE_HOME);
		ck_assert_uint_eq(e->position, slot_of(&h, e->show));
		ck_assert_uint_eq(e->session, u);
		/* in slot order, each think_time after the one before ended */
		ck_assert_uint_lt(mask[u], 1u << e->position);
		ck_assert(e->emit_time == t + h.cfg.think_time + (simtime)j[u] * (len + h.cfg.think_time));
		taps[e->position]++;
		mask[u] |= 1u << e->position;
		j[u]++;
	}
	for (uint32_t u = 0; u < n; u++)
		both += (mask[u] & 3) == 3;
	ck_assert_uint_eq(impressions, 5 * (size_t)n);
	for (int k = 0; k < 5; k++)
		expect_binomial("taps of a slot", taps[k], n, 0.3 / (k + 1));
	expect_binomial("sessions tapping slots 0 and 1", both, n, 0.3 * 0.3 / 2);
	free(j);
	free(mask);
	bench_free(&h);
}
END_TEST

/* Cascade, continue 0.8, r = 0.3: slots are read top down and the first
 * tapped live show ends the walk, so a session listens at most once and
 * slot i is tapped with probability r ((1 - r) 0.8)^i (binomial, 5 sd). */
START_TEST(cascade_walk_stops_at_the_first_tap)
{
	struct bench h;
	const uint32_t n = 10000;
	const simtime t = 2 * SIMTIME_DAY;
	double taps[5] = { 0 };
	uint32_t *listens;

	bench_world(&h, n, 30 * SIMTIME_DAY);
	h.cfg.model = BEHAVIOUR_CASCADE;
	h.cfg.cascade_continue = 0.8;
	bench_start(&h, 4);
	bench_pick(&h, WORLD_SHOW_LIVE, t, 5);
	bench_sessions(&h, n, t, EVENT_NONE);
	listens = calloc(n, sizeof(*listens));
	for (size_t i = 0; i < h.log.n; i++) {
		const struct event *e = &h.log.ev[i];

		if (e->type != EVENT_LISTEN_START)
			continue;
		ck_assert_uint_eq(++listens[e->session], 1);
		taps[e->position]++;
	}
	for (int k = 0; k < 5; k++)
		expect_binomial("taps of a slot", taps[k], n, 0.3 * pow(0.7 * 0.8, k));
	free(listens);
	bench_free(&h);
}
END_TEST

/* After a listen: a like with probability like_rate (engage_floor + p) =
 * 0.3 x 0.8, a follow with follow_rate (engage_floor + p) = 0.15 x 0.8
 * (each user meets each creator once here, so every follow is new), and a
 * new follower turns notifications on with notify_rate 0.4.  Each is
 * binomial over the listens (or follows); 5 sd.  Likes and follows come
 * right after their listen's end, notifications right after the follow. */
START_TEST(likes_follows_and_notifications_after_listens)
{
	struct bench h;
	const uint32_t n = 10000;
	const simtime t = 2 * SIMTIME_DAY;
	double listens = 0, likes = 0, follows = 0, notifies = 0;

	bench_world(&h, n, 30 * SIMTIME_DAY);
	h.cfg.notify_rate = 0.4;
	bench_start(&h, 5);
	bench_pick(&h, WORLD_SHOW_LIVE, t, 5);
	bench_sessions(&h, n, t, EVENT_NONE);
	for (size_t i = 0; i < h.log.n; i++) {
		const struct event *e = &h.log.ev[i], *prev = i ? &h.log.ev[i - 1] : NULL;

		switch (e->type) {
		case EVENT_LISTEN_END:
			listens++;
			ck_assert(e->value == h.cfg.listen_median);
			break;
		case EVENT_LIKE:
			likes++;
			ck_assert_int_eq(prev->type, EVENT_LISTEN_END);
			break;
		case EVENT_FOLLOW:
			follows++;
			ck_assert(prev->type == EVENT_LISTEN_END || prev->type == EVENT_LIKE);
			ck_assert(behaviour_follows(h.b, e->user, e->creator));
			break;
		case EVENT_NOTIFY_ENABLE:
			notifies++;
			ck_assert_int_eq(prev->type, EVENT_FOLLOW);
			ck_assert(behaviour_notifies(h.b, e->user, e->creator));
			break;
		default:
			continue;
		}
		if (prev && e->type != EVENT_LISTEN_END) {
			ck_assert_uint_eq(e->user, prev->user);
			ck_assert_uint_eq(e->show, prev->show);
			ck_assert(e->emit_time == prev->emit_time);
		}
	}
	ck_assert_double_gt(listens, 5000);
	expect_binomial("likes per listen", likes, listens, 0.3 * 0.8);
	expect_binomial("follows per listen", follows, listens, 0.15 * 0.8);
	expect_binomial("notifications per follow", notifies, follows, 0.4);
	bench_free(&h);
}
END_TEST

/* Upcoming shows on the page are not listened to: an examined, tapped
 * slot i turns on reminders with probability remind_rate, so with
 * exam_power 1 and r = 0.3 slot i does with (1 / (i+1)) 0.3 x 0.5. */
START_TEST(upcoming_slots_turn_on_reminders)
{
	struct bench h;
	const uint32_t n = 20000;
	const simtime t = 2 * SIMTIME_DAY;
	double on[5] = { 0 };

	bench_world(&h, n, 2 * SIMTIME_HOUR);
	h.cfg.exam_power = 1;
	h.cfg.remind_rate = 0.5;
	bench_start(&h, 6);
	bench_pick(&h, WORLD_SHOW_UPCOMING, t, 5);
	bench_sessions(&h, n, t, EVENT_NONE);
	for (size_t i = 0; i < h.log.n; i++) {
		const struct event *e = &h.log.ev[i];

		ck_assert(e->type == EVENT_IMPRESSION || e->type == EVENT_NOTIFY_ENABLE);
		if (e->type == EVENT_NOTIFY_ENABLE) {
			on[slot_of(&h, e->show)]++;
			ck_assert(behaviour_notifies(h.b, e->user, e->creator));
			ck_assert(!behaviour_follows(h.b, e->user, e->creator));
		}
	}
	for (int k = 0; k < 5; k++)
		expect_binomial("reminders of a slot", on[k], n, 0.3 * 0.5 / (k + 1));
	bench_free(&h);
}
END_TEST

/* A creator goes live: followers with notifications on tune in with
 * probability min(1, notify_boost p) = 0.75, other followers with
 * follower_notice x 0.75 = 0.15, after an Exp(notify_delay) delay.
 * Followers are made first: one-slot pages (examined surely) of one show,
 * r = 0.5, every listener follows (follow_rate (0.5 + 0.5) = 1), half of
 * them turn notifications on.  The count is a sum of two binomials (5 sd);
 * the mean delay of n tune-ins is within 5 sd = 5 notify_delay / sqrt(n). */
START_TEST(followers_tune_in_when_the_creator_goes_live)
{
	struct bench h;
	const uint32_t n = 8000;
	uint32_t s1 = EVENT_NONE, s2 = EVENT_NONE, c;
	simtime t1, t2;
	double notified = 0, followers = 0, tuned = 0, delay = 0, want, var;

	bench_world(&h, n, 2 * SIMTIME_HOUR);
	const_truth(&h.cfg, 0.5);
	h.cfg.follow_rate = 1;
	h.cfg.notify_rate = 0.5;
	h.cfg.follower_notice = 0.2;
	h.cfg.notify_boost = 1.5;
	h.cfg.listen_median = 10 * SIMTIME_MIN;
	bench_start(&h, 7);
	/* a show on day 1 and the same creator's next show */
	for (uint32_t s = 0; s < world_n_shows(h.w) && s2 == EVENT_NONE; s++) {
		if (s1 == EVENT_NONE && world_show_start(h.w, s) >= SIMTIME_DAY)
			s1 = s;
		else if (s1 != EVENT_NONE && world_show_creator(h.w, s) == world_show_creator(h.w, s1))
			s2 = s;
	}
	ck_assert_uint_ne(s2, EVENT_NONE);
	c = world_show_creator(h.w, s1);
	t1 = world_show_start(h.w, s1) + SIMTIME_MIN;
	t2 = world_show_start(h.w, s2);
	ck_assert(t2 > t1 + SIMTIME_HOUR);
	h.page[0] = s1;
	h.n_page = 1;
	for (uint32_t i = 0; i < n; i++)
		behaviour_session(h.b, i, i, t1, EVENT_NONE);
	calendar_run_until(h.cal, t2 - 1);
	for (uint32_t u = 0; u < n; u++) {
		followers += behaviour_follows(h.b, u, c);
		notified += behaviour_notifies(h.b, u, c);
	}
	expect_binomial("followers", followers, n, 0.5);
	behaviour_show_live(h.b, s2, t2);
	calendar_run_until(h.cal, 5 * SIMTIME_DAY);
	for (size_t i = 0; i < h.log.n; i++) {
		const struct event *e = &h.log.ev[i];

		if (e->type != EVENT_LISTEN_START || e->source != EVENT_SOURCE_NOTIFICATION)
			continue;
		ck_assert_uint_eq(e->show, s2);
		ck_assert(behaviour_follows(h.b, e->user, c));
		ck_assert_uint_eq(e->session, EVENT_NONE);
		tuned++;
		delay += (double)(e->emit_time - t2);
	}
	want = 0.75 * notified + 0.15 * (followers - notified);
	var = 0.75 * 0.25 * notified + 0.15 * 0.85 * (followers - notified);
	ck_assert_msg(fabs(tuned - want) <= 5 * sqrt(var), "%g tune-ins, expected %g", tuned, want);
	delay /= tuned;
	ck_assert_msg(fabs(delay - (double)h.cfg.notify_delay) <=
			      5 * (double)h.cfg.notify_delay / sqrt(tuned),
		      "mean delay %g us", delay);
	bench_free(&h);
}
END_TEST

/* A spike session goes to the promoted show first: if it is live, a
 * listen with probability promo_tune_in (source promo, no slot) and no
 * home page; otherwise the page as usual.  If it is upcoming, reminders
 * with probability promo_tune_in, then the page. */
START_TEST(promotions_come_before_the_page)
{
	struct bench h;
	const uint32_t n = 10000;
	const simtime t = 2 * SIMTIME_DAY;
	double promo = 0, pages[2] = { 0 }, reminders = 0;
	uint32_t live, upcoming;

	bench_world(&h, 2 * n, 30 * SIMTIME_DAY);
	h.cfg.promo_tune_in = 0.6;
	bench_start(&h, 8);
	bench_pick(&h, WORLD_SHOW_UPCOMING, t, 1);
	upcoming = h.page[0];
	bench_pick(&h, WORLD_SHOW_LIVE, t, 3);
	live = h.page[2];
	h.n_page = 2;                            /* the page: two other live shows */
	/* users 0..n-1 come for the live show, n..2n-1 for the upcoming one */
	for (uint32_t i = 0; i < 2 * n; i++)
		behaviour_session(h.b, i, i, t, i < n ? live : upcoming);
	calendar_run_until(h.cal, 5 * SIMTIME_DAY);
	for (size_t i = 0; i < h.log.n; i++) {
		const struct event *e = &h.log.ev[i];

		if (e->type == EVENT_LISTEN_START && e->source == EVENT_SOURCE_PROMO) {
			promo++;
			ck_assert_uint_lt(e->user, n);
			ck_assert_uint_eq(e->show, live);
			ck_assert_uint_eq(e->position, UINT16_MAX);
			ck_assert(e->emit_time == t + h.cfg.think_time);
		}
		if (e->type == EVENT_NOTIFY_ENABLE && e->show == upcoming) {
			ck_assert_uint_ge(e->user, n);
			reminders++;
		}
		if (e->type == EVENT_IMPRESSION && e->position == 0)
			pages[e->user >= n]++;
	}
	expect_binomial("promotion tune-ins", promo, n, 0.6);
	ck_assert_double_eq(pages[0], n - promo);  /* a promotion listen shows no page */
	expect_binomial("promotion reminders", reminders, n, 0.6);
	ck_assert_double_eq(pages[1], n);          /* a reminder still shows the page */
	bench_free(&h);
}
END_TEST

/* Listen lengths are lognormal: log(length / listen_median) -
 * listen_affinity_gain x affinity is N(0, listen_sigma^2) (the shows last
 * 30 days, so no listen is cut).  Over n listens its mean is within 5 sd
 * (sigma / sqrt(n)) of 0 and its variance within 5 sd (sigma^2
 * sqrt(2 / (n - 1))) of sigma^2. */
START_TEST(listen_lengths_are_lognormal)
{
	struct bench h;
	const uint32_t n = 10000;
	const simtime t = 2 * SIMTIME_DAY;
	const double sigma = 0.8, gain = 0.5;
	double sum = 0, sq = 0, k = 0, mean, var;

	bench_world(&h, n, 30 * SIMTIME_DAY);
	h.cfg.listen_sigma = sigma;
	h.cfg.listen_affinity_gain = gain;
	bench_start(&h, 9);
	bench_pick(&h, WORLD_SHOW_LIVE, t, 5);
	bench_sessions(&h, n, t, EVENT_NONE);
	for (size_t i = 0; i < h.log.n; i++) {
		const struct event *e = &h.log.ev[i];
		double z;

		if (e->type != EVENT_LISTEN_END)
			continue;
		z = log((double)e->value / (double)h.cfg.listen_median) -
		    gain * world_affinity(h.w, e->user, e->creator);
		sum += z;
		sq += z * z;
		k++;
	}
	ck_assert_double_gt(k, 5000);
	mean = sum / k;
	var = (sq - k * mean * mean) / (k - 1);
	ck_assert_msg(fabs(mean) <= 5 * sigma / sqrt(k), "mean %g", mean);
	ck_assert_msg(fabs(var - sigma * sigma) <= 5 * sigma * sigma * sqrt(2 / (k - 1)),
		      "variance %g", var);
	bench_free(&h);
}
END_TEST

/* The truth is the documented logistic, term by term, recomputed here
 * from the world: 0 for shows not yet announced or over; the social term
 * counts the listeners right now, the follow term a follow. */
static double truth_by_hand(const struct bench *h, uint32_t u, uint32_t s, simtime t,
			    uint32_t listeners, bool follows)
{
	const struct behaviour_config *c = &h->cfg;
	enum world_show_status st = world_show_status(h->w, s, t);
	uint32_t cr = world_show_creator(h->w, s);
	double taste = world_user_tastes(h->w, u)[world_show_topic(h->w, s)], z;

	if (st != WORLD_SHOW_LIVE && st != WORLD_SHOW_UPCOMING)
		return 0;
	z = c->bias + c->w_topic * log(world_n_topics(h->w) * (taste < 1e-6 ? 1e-6 : taste)) +
	    c->w_affinity * world_affinity(h->w, u, cr) +
	    c->w_quality * log(world_creator_quality(h->w, cr)) +
	    c->w_popularity * (log(world_creator_popularity(h->w, cr)) -
			       world_config(h->w)->zipf_exponent);
	if (st == WORLD_SHOW_LIVE)
		z += c->w_social * log1p(listeners);
	if (follows)
		z += c->w_follow;
	return 1 / (1 + exp(-z));
}

START_TEST(truth_is_the_documented_logistic)
{
	struct bench h;
	struct rng r;
	size_t zeros = 0, positive = 0;
	const simtime t = 2 * SIMTIME_DAY;
	uint32_t live;

	bench_world(&h, 2000, 3 * SIMTIME_HOUR);
	h.cfg = test_defaults()->sim.behaviour;
	h.cfg.follow_rate = 1 / (h.cfg.engage_floor + 1e-9);   /* every listener follows */
	bench_start(&h, 10);
	rng_init(&r, 10, RNG_TEST, 0, 0);
	for (int i = 0; i < 2000; i++) {
		uint32_t u = (uint32_t)rng_below(&r, 2000);
		uint32_t s = (uint32_t)rng_below(&r, world_n_shows(h.w));
		simtime at = (simtime)rng_below(&r, 4 * SIMTIME_DAY);
		double p = behaviour_truth(h.b, u, s, at);

		ck_assert_double_eq_tol(p, truth_by_hand(&h, u, s, at, 0, false), 1e-12);
		ck_assert(p >= 0 && p < 1);
		zeros += p == 0;
		positive += p > 0;
	}
	ck_assert_uint_gt(zeros, 100);
	ck_assert_uint_gt(positive, 100);
	/* listeners of a show raise everyone's truth for it while they listen */
	bench_pick(&h, WORLD_SHOW_LIVE, t, 1);
	live = h.page[0];
	for (uint32_t i = 0; i < 1000; i++)
		behaviour_session(h.b, i, i, t, EVENT_NONE);
	calendar_run_until(h.cal, t + h.cfg.think_time + 1);
	ck_assert_uint_gt(behaviour_listeners(h.b, live), 5);
	ck_assert_double_eq_tol(behaviour_truth(h.b, 1999, live, t + h.cfg.think_time),
				truth_by_hand(&h, 1999, live, t + h.cfg.think_time,
					      behaviour_listeners(h.b, live), false), 1e-12);
	/* and a follow raises the follower's */
	calendar_run_until(h.cal, 5 * SIMTIME_DAY);
	ck_assert_uint_eq(behaviour_listeners(h.b, live), 0);
	for (uint32_t u = 0; u < 1000; u++) {
		bool f = behaviour_follows(h.b, u, world_show_creator(h.w, live));

		ck_assert_double_eq_tol(behaviour_truth(h.b, u, live, t),
					truth_by_hand(&h, u, live, t, 0, f), 1e-12);
	}
	bench_free(&h);
}
END_TEST

START_TEST(bad_configurations_are_refused)
{
	struct bench h;
	struct error err;

	bench_world(&h, 100, SIMTIME_HOUR);
	h.cfg.page_size = 0;
	ck_assert_ptr_null(behaviour_new(&h.cfg, 1, h.w, h.cal, &h.em, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "page_size"));
	h.cfg.page_size = 101;
	ck_assert_ptr_null(behaviour_new(&h.cfg, 1, h.w, h.cal, &h.em, &err));
	h.cfg.page_size = 30;
	h.cfg.scroll_screens = 4;
	ck_assert_ptr_null(behaviour_new(&h.cfg, 1, h.w, h.cal, &h.em, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "scroll_screens"));
	h.cfg.scroll_screens = 1;
	h.cfg.listen_median = 0;
	ck_assert_ptr_null(behaviour_new(&h.cfg, 1, h.w, h.cal, &h.em, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "listen_median"));
	h.cfg.listen_median = SIMTIME_MIN;
	h.cfg.listen_budget = -1;
	ck_assert_ptr_null(behaviour_new(&h.cfg, 1, h.w, h.cal, &h.em, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "listen_budget"));
	h.cfg.listen_budget = 0;
	/* without a ranker a session shows no page */
	h.b = behaviour_new(&h.cfg, 1, h.w, h.cal, &h.em, &err);
	ck_assert_ptr_nonnull(h.b);
	behaviour_set_ranker(h.b, NULL);
	behaviour_session(h.b, 0, 0, SIMTIME_DAY, EVENT_NONE);
	ck_assert_uint_eq(h.log.n, 0);
	bench_free(&h);
	behaviour_free(NULL);
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
	simrun_log(&p, false, &l);
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

	simrun_small_params(&p);
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

	simrun_small_params(&p);
	p.behaviour.listen_median = 40 * SIMTIME_MIN;
	p.behaviour.bias = -1;
	p.behaviour.listen_budget = 30 * SIMTIME_MIN;
	p.behaviour.listen_budget_sigma = 0.5;
	s = simrun_keep(&p, cal, &l);
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
	s = simrun_keep(&p, cal, &u);
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

	simrun_small_params(&p);
	s = simrun_keep(&p, cal, &a);
	ck_assert_uint_eq(behaviour_listen_budget(sim_behaviour(s), 0, 0), 0);
	sim_free(s);
	calendar_free(cal);
	p.behaviour.listen_budget = SIMTIME_DAY;
	p.behaviour.listen_budget_sigma = 0;
	cal = calendar_new(0, 1024);
	s = simrun_keep(&p, cal, &b);
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

/* ---- choice_model = mnl ---- */

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
	static const char fine[] = "[behaviour]\nchoice_model = mnl\nno_choice_mass = 0.01\n"
				   "scroll_screens = 3\ncontinue_rate = 90%\nengage_delay = 20min\n"
				   "[rank]\nk = 30\n";  /* 3 screens of 10 slots: [rank] k must hold them */
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

/* [retention]: a finished session brings its user back with probability
 * return_rate (1 - exp(-q)), q = minutes / return_minutes (follows off:
 * follow_rate 0; no reminders), after an exponential delay of mean
 * return_delay / (1 + q).  Listens of exactly listen_median = return_minutes
 * on shows that never end: q = the session's listens.  One exogenous
 * session per user: its first return is the user's first endogenous
 * app_open.  Count within 5 sd of the sum of the probabilities; sessions
 * without a listen bring nobody back; delay x (1 + q) / return_delay has
 * mean 1 (Exp(1): 5 sd = 5 / sqrt(k)); a return is ranked (impressions in
 * its session). */
START_TEST(returns_follow_the_quality_of_the_last_session)
{
	enum { N = 3000 };
	struct bench h;
	const simtime t = 2 * SIMTIME_DAY;
	static double q[N];
	static simtime end[N], back[N];
	double want = 0, var = 0, got = 0, x = 0;
	size_t k = 0, ranked = 0, returns = 0;

	bench_world(&h, N, 30 * SIMTIME_DAY);
	h.cfg.follow_rate = 0;
	h.cfg.return_rate = 0.6;
	h.cfg.return_minutes = h.cfg.listen_median;
	h.cfg.return_delay = 6 * SIMTIME_HOUR;
	bench_start(&h, 9);
	bench_pick(&h, WORLD_SHOW_LIVE, t, 5);
	for (uint32_t i = 0; i < N; i++) {
		end[i] = t;
		back[i] = SIMTIME_NEVER;
		behaviour_session(h.b, i, i, t, EVENT_NONE);
	}
	calendar_run_until(h.cal, 20 * SIMTIME_DAY);
	for (size_t i = 0; i < h.log.n; i++) {
		const struct event *e = &h.log.ev[i];

		if (e->user >= N)
			continue;
		if (e->session == e->user && e->type == EVENT_LISTEN_END) {
			q[e->user] += (double)e->value / (double)h.cfg.return_minutes;
			end[e->user] = e->emit_time;
		}
		if (e->type == EVENT_APP_OPEN) {
			ck_assert_uint_ge(e->session, EVENT_SESSION_RETURN_BASE);
			ck_assert_uint_lt(e->session, EVENT_SESSION_HISTORY_BASE);
			ck_assert_uint_eq(e->source, EVENT_SOURCE_NONE);
			returns++;
			if (back[e->user] == SIMTIME_NEVER)
				back[e->user] = e->emit_time;
		}
		if (e->type == EVENT_IMPRESSION && e->session >= EVENT_SESSION_RETURN_BASE)
			ranked++;
	}
	for (uint32_t i = 0; i < N; i++) {
		double p = 0.6 * -expm1(-q[i]);

		want += p;
		var += p * (1 - p);
		if (back[i] == SIMTIME_NEVER)
			continue;
		ck_assert_msg(q[i] > 0, "user %u came back after a session without a listen", i);
		got++;
		ck_assert(back[i] >= end[i]);
		x += (double)(back[i] - end[i]) * (1 + q[i]) / (double)h.cfg.return_delay;
		k++;
	}
	ck_assert_double_gt(got, 300);
	ck_assert_msg(fabs(got - want) <= 5 * sqrt(var), "%g returns, expected %g", got, want);
	ck_assert_msg(fabs(x / (double)k - 1) <= 5 / sqrt((double)k), "mean scaled delay %g",
		      x / (double)k);
	ck_assert_uint_eq(behaviour_returns(h.b), returns);
	/* every return asked for the (fixed, 5-show) page */
	ck_assert_uint_eq(ranked, 5 * returns);
	bench_free(&h);
}
END_TEST

/* notify_sessions: a follower tuning in from a notification opens the
 * app: an app_open (source notification, an endogenous session id), the
 * listen in that session, then at its end a home page in the same
 * session.  return_rate 0: no other endogenous session. */
START_TEST(notifications_open_ranked_sessions)
{
	struct bench h;
	const uint32_t n = 3000;
	uint32_t s1 = EVENT_NONE, s2 = EVENT_NONE;
	size_t opens = 0, listens = 0, pages = 0;
	simtime t1, t2;

	bench_world(&h, n, 2 * SIMTIME_HOUR);
	const_truth(&h.cfg, 0.5);
	h.cfg.follow_rate = 1;
	h.cfg.notify_rate = 1;
	h.cfg.notify_boost = 1.5;
	h.cfg.notify_sessions = true;
	bench_start(&h, 7);
	for (uint32_t s = 0; s < world_n_shows(h.w) && s2 == EVENT_NONE; s++) {
		if (s1 == EVENT_NONE && world_show_start(h.w, s) >= SIMTIME_DAY)
			s1 = s;
		else if (s1 != EVENT_NONE && world_show_creator(h.w, s) == world_show_creator(h.w, s1))
			s2 = s;
	}
	ck_assert_uint_ne(s2, EVENT_NONE);
	t1 = world_show_start(h.w, s1) + SIMTIME_MIN;
	t2 = world_show_start(h.w, s2);
	h.page[0] = s1;
	h.n_page = 1;
	for (uint32_t i = 0; i < n; i++)
		behaviour_session(h.b, i, i, t1, EVENT_NONE);
	calendar_run_until(h.cal, t2 - 1);
	h.page[0] = s2;
	behaviour_show_live(h.b, s2, t2);
	calendar_run_until(h.cal, 5 * SIMTIME_DAY);
	for (size_t i = 0; i < h.log.n; i++) {
		const struct event *e = &h.log.ev[i];

		if (e->type == EVENT_APP_OPEN) {
			ck_assert_uint_eq(e->source, EVENT_SOURCE_NOTIFICATION);
			ck_assert_uint_ge(e->session, EVENT_SESSION_RETURN_BASE);
			/* the next event of the user is the listen, in this session */
			for (size_t j = i + 1; j < h.log.n; j++) {
				if (h.log.ev[j].user != e->user)
					continue;
				ck_assert_int_eq(h.log.ev[j].type, EVENT_LISTEN_START);
				ck_assert_uint_eq(h.log.ev[j].session, e->session);
				ck_assert_uint_eq(h.log.ev[j].show, s2);
				break;
			}
			opens++;
		} else if (e->type == EVENT_LISTEN_START && e->source == EVENT_SOURCE_NOTIFICATION) {
			ck_assert_uint_ge(e->session, EVENT_SESSION_RETURN_BASE);
			listens++;
		} else if (e->type == EVENT_IMPRESSION && e->session >= EVENT_SESSION_RETURN_BASE) {
			pages++;
		}
	}
	ck_assert_uint_gt(opens, n / 4);
	ck_assert_uint_eq(listens, opens);
	/* a page after each listen (those cut by the day's end aside: none) */
	ck_assert_uint_eq(pages, opens);
	ck_assert_uint_eq(behaviour_notify_sessions(h.b), opens);
	ck_assert_uint_eq(behaviour_returns(h.b), 0);
	bench_free(&h);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, examination_curves);
	tcase_add_test(tc, pbm_page_walk_taps_slots_independently);
	tcase_add_test(tc, cascade_walk_stops_at_the_first_tap);
	tcase_add_test(tc, likes_follows_and_notifications_after_listens);
	tcase_add_test(tc, upcoming_slots_turn_on_reminders);
	tcase_add_test(tc, followers_tune_in_when_the_creator_goes_live);
	tcase_add_test(tc, promotions_come_before_the_page);
	tcase_add_test(tc, listen_lengths_are_lognormal);
	tcase_add_test(tc, truth_is_the_documented_logistic);
	tcase_add_test(tc, bad_configurations_are_refused);
	tcase_add_test(tc, pbm_click_through_follows_examination_curve);
	tcase_add_test(tc, cascade_click_through_follows_examination_curve);
	tcase_add_test(tc, truth_is_a_probability_and_zero_when_ended);
	tcase_add_test(tc, listening_per_user_day_never_exceeds_budget);
	tcase_add_test(tc, budget_that_never_binds_changes_nothing);
	tcase_add_test(tc, pick_follows_position_weighted_logit);
	tcase_add_test(tc, scrolls_only_past_screens_without_live_shows);
	tcase_add_test(tc, continuations_carry_planned_listening_over_show_ends);
	tcase_add_test(tc, engage_delay_scales_likes_with_listen_length);
	tcase_add_test(tc, rules_name_file_line_and_key);
	tcase_add_test(tc, returns_follow_the_quality_of_the_last_session);
	tcase_add_test(tc, notifications_open_ranked_sessions);
}

CHECK_MAIN("behaviour", add_tests, 120)
