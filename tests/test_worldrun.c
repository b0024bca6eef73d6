/* Tests for eval/worldrun.c: one world wired end to end on a tiny
 * scenario.  Every event the sim emits reaches the per-user metrics, the
 * streaming path (through the PIT features into the online store) and the
 * batch path (the lake), exactly once; the same scenario gives the same
 * world; the policies put users in arms as documented while the exogenous
 * world stays the same; bad scenarios are refused before anything is
 * built.  (test_run.c covers the run around the worlds: the run directory,
 * the analysis, results.db.) */
#include "eval/worldrun.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/scenario.h"
#include "common/trace.h"
#include "common/xalloc.h"
#include "engine/endpoint.h"
#include "engine/lake.h"
#include "engine/online.h"
#include "engine/pit.h"
#include "engine/stream.h"
#include "stats/metrics.h"
#include "config/config.h"
#include "tests/check_main.h"
#include "tests/scenfile.h"
#include "tests/tmpdir.h"

/* 300 users for 1 + 1 days, a 10-tree forest, every session's impressions
 * logged for training. */
static const char *const tiny[] = {
	"world.users=300",        "world.creators=50",      "run.warmup_days=1",
	"run.experiment_days=1",  "model.trees=10",         "model.sample_sessions=100%",
	"spike.promo.start=30h",  "spike.promo.magnitude=100",
};
#define TINY_N (sizeof(tiny) / sizeof(tiny[0]))

static struct scenario *tiny_scenario(void)
{
	struct error err;
	struct scenario *sc = scenario_load(&config_schema, "scenarios/default.ini", tiny, TINY_N, &err);

	ck_assert_msg(sc != NULL, "%s", err.msg);
	return sc;
}

/* A world in TMPDIR/name, executed; with `trace` every event also goes to
 * that file. */
static struct worldrun *world_run(const struct scenario *sc, int policy,
				  const char *name, const char *trace)
{
	char *dir = tmpdir_path(name);
	struct trace_writer *tw = NULL;
	struct worldrun_io io = { 0 };
	struct config *cfg;
	struct error err;
	struct worldrun *w;

	ck_assert_int_eq(mkdir(dir, 0755), 0);
	if (trace) {
		tw = trace_writer_open(trace, TRACE_BINARY, &err);
		ck_assert_msg(tw != NULL, "%s", err.msg);
		io.trace_out = tw;
	}
	cfg = xcalloc(1, sizeof(*cfg));
	ck_assert_msg(config_load(cfg, sc, &err) == 0, "%s", err.msg);
	w = worldrun_new(cfg, sc, policy, name, dir, NULL, &io, &err);
	free(cfg);
	ck_assert_msg(w != NULL, "%s", err.msg);
	ck_assert_msg(worldrun_execute(w, &err) == 0, "%s", err.msg);
	if (tw)
		ck_assert_msg(trace_writer_close(tw, &err) == 0, "%s", err.msg);
	free(dir);
	return w;
}

/* What the trace says: every event, fed to a fresh metrics object, and
 * counted per show. */
struct replayed {
	struct metrics *m;
	uint64_t events;
	uint32_t *likes, *tune_ins;     /* per show */
	size_t n_shows;
};

static int replay_event(void *ctx, const struct event *ev)
{
	struct replayed *r = ctx;

	r->events++;
	metrics_record(r->m, ev);
	if (ev->show != EVENT_NONE && ev->show < r->n_shows) {
		r->likes[ev->show] += ev->type == EVENT_LIKE;
		r->tune_ins[ev->show] += ev->type == EVENT_LISTEN_START;
	}
	return 0;
}

static int count_block(void *ctx, const struct event *evs, size_t n, struct error *err)
{
	(void)evs, (void)err;
	*(uint64_t *)ctx += n;
	return 0;
}

/* A PIT count in the online store: never written (missing) when zero. */
static void expect_count(float stored, uint32_t want)
{
	if (want == 0)
		ck_assert(isnan(stored) || stored == 0);
	else
		ck_assert_float_eq(stored, (float)want);
}

START_TEST(events_flow_to_metrics_stream_and_batch)
{
	struct scenario *sc = tiny_scenario();
	char *trace = tmpdir_path("events.bin"), *dir = tmpdir_path("split");
	struct worldrun *w = world_run(sc, WORLDRUN_SPLIT, "split", trace);
	const struct metrics *m = worldrun_metrics(w);
	const struct stream_counts *st = stream_counts(worldrun_stream(w));
	/* read-only use; the accessor takes the stream as its owner does */
	struct online *on = stream_online((struct stream *)worldrun_stream(w));
	struct replayed r = { 0 };
	struct trace_report rep;
	struct lake *lk;
	struct error err;
	uint64_t lake_events = 0, likes = 0;
	double treated = 0, share = 0.5, n;   /* default.ini: treatment_share = 50% */

	/* the trace holds every event the world counted */
	r.n_shows = 100000;
	r.likes = xcalloc(r.n_shows, sizeof(uint32_t));
	r.tune_ins = xcalloc(r.n_shows, sizeof(uint32_t));
	r.m = metrics_new(metrics_users(m), metrics_days(m), 2, worldrun_experiment_start(w));
	metrics_set_horizon(r.m, 2 * SIMTIME_DAY);   /* 1 + 1 days, as the run's */
	for (uint32_t u = 0; u < metrics_users(m); u++)   /* arms are set before any event */
		metrics_set_arm(r.m, u, metrics_arm(m, u));
	ck_assert_msg(trace_read(trace, replay_event, &r, &rep, &err) == 0, "%s", err.msg);
	ck_assert_uint_gt(r.events, 10000);
	ck_assert_uint_eq(r.events, worldrun_events(w));
	ck_assert(worldrun_experiment_start(w) == SIMTIME_DAY);

	/* metrics: exactly what the events say, user by user */
	for (uint32_t u = 0; u < metrics_users(m); u++) {
		for (int id = 0; id < METRIC_FROM_EVENTS; id++)
			for (int p = 0; p < METRICS_PERIODS; p++)
				ck_assert_msg(metrics_value(m, u, id, p) == metrics_value(r.m, u, id, p),
					      "user %u %s period %d", u, metrics_name(id), p);
		treated += metrics_arm(m, u);
	}
	for (size_t d = 0; d < metrics_days(m); d++)
		for (int a = 0; a < 2; a++)
			for (int id = 0; id < METRIC_FROM_EVENTS; id++)
				ck_assert(metrics_daily(m, d, a, id) == metrics_daily(r.m, d, a, id));

	/* split: users in the treatment arm ~ Binomial(users, share), 5 sd */
	n = (double)metrics_users(m);
	ck_assert_msg(fabs(treated - n * share) <= 5 * sqrt(n * share * (1 - share)),
		      "%g of %g users treated", treated, n);

	/* stream: everything published and settled, nothing lost; the PIT
	 * counts in the online store equal the events' counts per show */
	ck_assert_uint_eq(st->published, worldrun_events(w));
	ck_assert_uint_eq(stream_unsettled(worldrun_stream(w)), 0);
	ck_assert_uint_eq(st->dead_unapplied, 0);
	ck_assert_uint_eq(st->expired_unapplied, 0);
	for (uint32_t s = 0; s < r.n_shows; s++) {
		if (!r.likes[s] && !r.tune_ins[s])
			continue;
		expect_count(online_get(on, PIT_TABLE_SHOW, s, PIT_LIKES, SIMTIME_NEVER - 1),
			     r.likes[s]);
		expect_count(online_get(on, PIT_TABLE_SHOW, s, PIT_LISTENS, SIMTIME_NEVER - 1),
			     r.tune_ins[s]);
		likes += r.likes[s];
	}
	ck_assert_uint_gt(likes, 0);

	/* batch: the lake holds every event (and, before time 0, the history
	 * phase's: tests/test_history.c) */
	lk = lake_open(dir, 0, &err);
	ck_assert_msg(lk != NULL, "%s", err.msg);
	ck_assert_int_eq(lake_scan(lk, 0, INT64_MAX, count_block, &lake_events, NULL, &err), 0);
	ck_assert_uint_eq(lake_events, worldrun_events(w));
	ck_assert_uint_gt(lake_partition_count(lk), 1);
	lake_free(lk);

	/* serving: pages were asked for and answered; a model was trained */
	ck_assert_uint_gt(endpoint_stats(worldrun_endpoint(w))->submitted,
			  (uint64_t)metrics_users(m));
	ck_assert(endpoint_availability(worldrun_endpoint(w)) > 0);
	ck_assert_ptr_nonnull(worldrun_model(w));
	ck_assert_str_eq(worldrun_name(w), "split");

	metrics_free(r.m);
	free(r.likes);
	free(r.tune_ins);
	worldrun_free(w);
	scenario_free(sc);
	free(trace);
	free(dir);
}
END_TEST

/* The same scenario twice gives the same world: every metric of every
 * user, the stream's counters and the endpoint's. */
START_TEST(same_scenario_gives_the_same_world)
{
	struct scenario *sc = tiny_scenario();
	struct worldrun *a = world_run(sc, WORLDRUN_SPLIT, "a", NULL);
	struct worldrun *b = world_run(sc, WORLDRUN_SPLIT, "b", NULL);
	const struct metrics *ma = worldrun_metrics(a), *mb = worldrun_metrics(b);
	const struct endpoint_stats *ea = endpoint_stats(worldrun_endpoint(a));
	const struct endpoint_stats *eb = endpoint_stats(worldrun_endpoint(b));

	ck_assert_uint_eq(worldrun_events(a), worldrun_events(b));
	ck_assert_uint_eq(metrics_users(ma), metrics_users(mb));
	for (uint32_t u = 0; u < metrics_users(ma); u++) {
		ck_assert_int_eq(metrics_arm(ma, u), metrics_arm(mb, u));
		for (int id = 0; id < METRIC_COUNT; id++)
			for (int p = 0; p < METRICS_PERIODS; p++)
				ck_assert(metrics_value(ma, u, id, p) == metrics_value(mb, u, id, p));
	}
	ck_assert(memcmp(stream_counts(worldrun_stream(a)), stream_counts(worldrun_stream(b)),
			 sizeof(struct stream_counts)) == 0);
	ck_assert_uint_eq(ea->submitted, eb->submitted);
	ck_assert(memcmp(ea->by_status, eb->by_status, sizeof(ea->by_status)) == 0);
	ck_assert(ea->wait_sum_us == eb->wait_sum_us);
	ck_assert_uint_eq(ea->peak_instances, eb->peak_instances);
	worldrun_free(a);
	worldrun_free(b);
	scenario_free(sc);
}
END_TEST

/* Twin worlds: everyone in one arm after the warm-up (before it, everyone
 * gets the control ranker either way); sessions are exogenous, so every
 * user opens the app the same number of times in both worlds (common
 * random numbers), while what they do on the pages differs. */
START_TEST(twin_policies_share_the_exogenous_world)
{
	/* [retention] off: returns and notification sessions answer the ranker */
	const char *sets[TINY_N + 2];
	struct scenario *sc;
	struct error err;

	for (size_t i = 0; i < TINY_N; i++)
		sets[i] = tiny[i];
	sets[TINY_N] = "retention.return_rate=0%";
	sets[TINY_N + 1] = "retention.notify_sessions=false";
	sc = scenario_load(&config_schema, "scenarios/default.ini", sets, TINY_N + 2, &err);
	ck_assert_msg(sc != NULL, "%s", err.msg);
	struct worldrun *c = world_run(sc, 0, "control", NULL)   /* arm 0: everyone control */;
	struct worldrun *t = world_run(sc, 1, "treatment", NULL);
	const struct metrics *mc = worldrun_metrics(c), *mt = worldrun_metrics(t);
	size_t differ = 0;

	ck_assert_uint_eq(metrics_users(mc), metrics_users(mt));
	for (uint32_t u = 0; u < metrics_users(mc); u++) {
		ck_assert_int_eq(metrics_arm(mc, u), 0);
		ck_assert_int_eq(metrics_arm(mt, u), 1);
		for (int p = 0; p < METRICS_PERIODS; p++)
			ck_assert(metrics_value(mc, u, METRIC_SESSIONS, p) ==
				  metrics_value(mt, u, METRIC_SESSIONS, p));
		/* the warm-up is the same world under the same ranker */
		ck_assert(metrics_value(mc, u, METRIC_LISTEN_MIN, METRICS_WARMUP) ==
			  metrics_value(mt, u, METRIC_LISTEN_MIN, METRICS_WARMUP));
		differ += metrics_value(mc, u, METRIC_HOME_CLICKS, METRICS_EXPERIMENT) !=
			  metrics_value(mt, u, METRIC_HOME_CLICKS, METRICS_EXPERIMENT);
	}
	ck_assert_uint_gt(differ, 0);
	worldrun_free(c);
	worldrun_free(t);
	scenario_free(sc);
}
END_TEST

/* worldrun_check reads what worldrun_new reads and refuses the same
 * problems, naming file, line and key, building nothing. */
START_TEST(check_refuses_bad_scenarios_by_line)
{
	struct scenfile f;
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct error err;

	/* The [ab] rules every run has are config_load's ... */
	scenfile_load(&f, "[run]\nwarmup_days = 1\n[ab]\ncontrol = forest\n", NULL, 0);
	ck_assert_int_eq(config_load(cfg, f.sc, &err), ERR_INPUT);
	scenfile_expect(&f, err.msg, 4, "bad value 'forest' for [ab] control");
	scenfile_release(&f);
	/* ... the ones that depend on how the run uses them, worldrun_check's. */
	scenfile_load(&f, "[ab]\ncontrol = oracle\n", NULL, 0);
	ck_assert_int_eq(config_load(cfg, f.sc, &err), 0);
	ck_assert_int_eq(worldrun_check(cfg, f.sc, false, &err), 0);
	ck_assert_int_eq(worldrun_check(cfg, f.sc, true, &err), ERR_INPUT);   /* a replay has no truth */
	scenfile_expect(&f, err.msg, 2, "[ab] control");
	scenfile_release(&f);
	free(cfg);
	ck_assert_int_eq(tmpdir_entries(tmpdir), 0);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, events_flow_to_metrics_stream_and_batch);
	tcase_add_test(tc, same_scenario_gives_the_same_world);
	tcase_add_test(tc, twin_policies_share_the_exogenous_world);
	tcase_add_test(tc, check_refuses_bad_scenarios_by_line);
}

CHECK_MAIN("worldrun", add_tests, 120)
