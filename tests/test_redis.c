/* engine/redisstore, the online store's Redis mirror ([stream] store =
 * redis) and serve/redisreplay, against a redis-server of the suite's own
 * on a free loopback port (tests/redisfix.h), stopped by pid. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hiredis.h>

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "engine/online.h"
#include "engine/redisstore.h"
#include "eval/run.h"
#include "serve/redisreplay.h"
#include "tests/check_main.h"
#include "tests/redisfix.h"
#include "tests/tmpdir.h"

/* Keys in the whole Redis (every test leaves none behind). */
static long long dbsize(void)
{
	struct timeval tv = { 2, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", redisfix.port, tv);
	redisReply *r;
	long long n;

	ck_assert(c && !c->err);
	r = redisCommand(c, "DBSIZE");
	ck_assert(r && r->type == REDIS_REPLY_INTEGER);
	n = r->integer;
	freeReplyObject(r);
	redisFree(c);
	return n;
}

START_TEST(urls_are_parsed_and_bad_ones_named)
{
	struct redisstore_url u;
	struct error e;

	ck_assert_int_eq(redisstore_parse_url("redis://127.0.0.1:6390/3", &u, &e), 0);
	ck_assert_str_eq(u.host, "127.0.0.1");
	ck_assert_int_eq(u.port, 6390);
	ck_assert_int_eq(u.db, 3);
	ck_assert_int_eq(redisstore_parse_url("redis://localhost", &u, &e), 0);
	ck_assert_int_eq(u.port, 6379);
	ck_assert_int_eq(u.db, 0);
	ck_assert_int_eq(redisstore_parse_url("redis://:s3cret@[::1]:7000/1", &u, &e), 0);
	ck_assert_str_eq(u.host, "::1");
	ck_assert_str_eq(u.password, "s3cret");
	ck_assert_int_eq(u.port, 7000);
	ck_assert_int_eq(redisstore_parse_url("http://127.0.0.1", &u, &e), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "bad Redis URL 'http://127.0.0.1'"));
	ck_assert_int_eq(redisstore_parse_url("redis://h:99999", &u, &e), ERR_INPUT);
	ck_assert_int_eq(redisstore_parse_url("redis://h/x", &u, &e), ERR_INPUT);
}
END_TEST

START_TEST(an_unreachable_redis_is_named)
{
	struct error e;
	/* Port 1 on loopback: nothing listens there. */
	struct redisstore *rs = redisstore_open("redis://127.0.0.1:1/0", "t", 500, &e);

	ck_assert_ptr_null(rs);
	ck_assert_int_eq(e.code, ERR_IO);
	ck_assert_msg(strstr(e.msg, "cannot connect to Redis at 127.0.0.1:1/0"), "%s", e.msg);
}
END_TEST

START_TEST(pipelined_writes_read_back_in_one_mget)
{
	struct error e;
	struct redisstore *rs = redisstore_open(redisfix.url, "t", 2000, &e);
	uint32_t ids[1000];
	float v[1000 * 4];
	simtime at[1000 * 4];

	ck_assert_msg(rs != NULL, "%s", e.msg);
	for (uint32_t i = 0; i < 1000; i += 2)
		redisstore_stage(rs, 0, i, 1, (float)i + 0.5f, 100 + i);
	redisstore_stage(rs, 0, 4, 3, -7.25f, 99);
	ck_assert_uint_eq(redisstore_pending(rs), 501);
	ck_assert_int_eq(redisstore_flush(rs, &e), 0);
	ck_assert_uint_eq(redisstore_pending(rs), 0);
	for (uint32_t i = 0; i < 1000; i++)
		ids[i] = i;
	ck_assert_int_eq(redisstore_read(rs, 0, ids, 1000, 4, v, at, &e), 0);
	ck_assert_uint_eq(redisstore_stats(rs)->reads, 1);   /* one round trip */
	for (uint32_t i = 0; i < 1000; i++) {
		ck_assert(isnan(v[i * 4]));
		if (i % 2 == 0) {
			ck_assert_float_eq(v[i * 4 + 1], (float)i + 0.5f);
			ck_assert_int_eq(at[i * 4 + 1], 100 + i);
		} else {
			ck_assert(isnan(v[i * 4 + 1]));
			ck_assert_int_eq(at[i * 4 + 1], INT64_MIN);
		}
	}
	/* A cell's write leaves the entity's other cells alone. */
	ck_assert_float_eq(v[4 * 4 + 3], -7.25f);
	ck_assert_float_eq(v[4 * 4 + 1], 4.5f);
	ck_assert(isnan(v[4 * 4 + 2]));
	/* Another table is another key. */
	ck_assert_int_eq(redisstore_read(rs, 1, ids, 3, 4, v, at, &e), 0);
	ck_assert(isnan(v[1]));
	ck_assert_int_eq(redisstore_count_keys(rs, &e), 500);
	ck_assert_uint_eq(hist_count(redisstore_read_ns(rs)), 2);
	ck_assert_uint_eq(hist_count(redisstore_write_ns(rs)), 1);
	redisstore_free(rs);
	ck_assert_int_eq(dbsize(), 0);   /* freed: its keys are gone */
}
END_TEST

/* A fake-free check of the mirror: an online store mirrored into Redis
 * through the same calls stream.c makes reads back what it holds. */
static void m_stage(void *ctx, int t, uint32_t e, int f, float v, simtime at)
{
	redisstore_stage(ctx, t, e, f, v, at);
}

static int m_flush(void *ctx)
{
	struct error e;

	return redisstore_flush(ctx, &e);
}

static int m_read(void *ctx, int t, const uint32_t *ids, size_t n, int nf, float *v, simtime *at)
{
	struct error e;

	return redisstore_read(ctx, t, ids, n, nf, v, at, &e);
}

START_TEST(a_mirrored_store_agrees_with_redis_ttl_included)
{
	struct online_table_spec tables[1] = { { 50, 3 } };
	struct online_config oc;
	struct error e;
	struct redisstore *rs = redisstore_open(redisfix.url, "m", 2000, &e);
	struct online *o;
	struct online_mirror m = { NULL, m_stage, m_flush, m_read };
	uint32_t ids[50];
	float out[150];

	ck_assert_msg(rs != NULL, "%s", e.msg);
	online_config_init(&oc);
	oc.ttl = 1000;
	o = online_new(&oc, tables, 1, &e);
	ck_assert_ptr_nonnull(o);
	m.ctx = rs;
	online_set_mirror(o, &m);
	for (uint32_t i = 0; i < 50; i++) {
		ids[i] = i;
		ck_assert_int_eq(online_write(o, 0, i, (int)(i % 3), (float)i, 10, 1, 100 + i, &e), 0);
	}
	/* An older write is stale: not stored, not mirrored. */
	ck_assert_int_eq(online_write(o, 0, 3, 0, 99.0f, 5, 1, 200, &e), ONLINE_STALE);
	ck_assert_int_eq(online_commit(o, &e), 0);
	ck_assert_int_eq(online_read(o, 0, ids, 50, out, 120), 0);
	/* At 1120 the first writes (stored before 120) have expired. */
	ck_assert_int_eq(online_read(o, 0, ids, 50, out, 1120), 0);
	ck_assert_uint_eq(online_stats(o)->mirror_reads, 2);
	ck_assert_uint_eq(online_stats(o)->mirror_cells, 300);
	ck_assert_uint_eq(online_stats(o)->mirror_mismatches, 0);
	ck_assert_uint_eq(online_stats(o)->mirror_errors, 0);
	/* Redis changed behind the store's back: counted. */
	redisstore_stage(rs, 0, 7, 1, 1234.0f, 150);
	ck_assert_int_eq(redisstore_flush(rs, &e), 0);
	ck_assert_int_eq(online_read(o, 0, ids, 50, out, 160), 0);
	ck_assert_uint_eq(online_stats(o)->mirror_mismatches, 1);
	online_free(o);
	redisstore_free(rs);
}
END_TEST

static const char *const tiny[] = {
	"world.users=400",       "world.creators=80",       "run.warmup_days=1",
	"run.experiment_days=1", "model.trees=8",           "model.sample_sessions=100%",
	"spike.promo.start=30h", "spike.promo.magnitude=200", "report.plots=false",
	NULL, NULL,
};

static char *run_tiny(const char *name, bool redis, struct run_summary *sum, int *rc,
		      struct error *e)
{
	const char *sets[11];
	size_t n = 9;
	char *url = xasprintf("stream.redis_url=%s", redisfix.url);
	char *out = tmpdir_path(name);
	struct run_options o = { .out = out };
	struct scenario *sc;

	memcpy(sets, tiny, sizeof(sets));
	if (redis) {
		sets[n++] = "stream.store=redis";
		sets[n++] = url;
	}
	sc = scenario_load(&config_schema, "scenarios/default.ini", sets, n, e);
	ck_assert_msg(sc != NULL, "%s", e->msg);
	*rc = run_execute(sc, &o, sum, e);
	scenario_free(sc);
	free(url);
	return out;
}

/* The simulated results of a run, as text (.ci/simdump), the runs table
 * left out: its overrides name the store. */
static char *simdump(const char *dir)
{
	char *txt = xasprintf("%s.dump", dir);
	char *cmd = xasprintf("sh .ci/simdump %s/results.db | awk '/^== /{skip=($0==\"== runs\")} "
			      "!skip' > %s", dir, txt);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	return txt;
}

static bool same_file(const char *a, const char *b)
{
	char *cmd = xasprintf("cmp -s %s %s", a, b);
	bool same = system(cmd) == 0;

	free(cmd);
	return same;
}

START_TEST(store_redis_gives_the_embedded_stores_bits)
{
	struct run_summary s1, s2;
	struct error e;
	int rc;
	char *a = run_tiny("embedded", false, &s1, &rc, &e), *b, *da, *db;

	ck_assert_msg(rc == 0, "%s", e.msg);
	b = run_tiny("redis", true, &s2, &rc, &e);
	ck_assert_msg(rc == 0, "%s", e.msg);
	da = simdump(a);
	db = simdump(b);
	ck_assert_msg(same_file(da, db), "simulated results differ: diff %s %s", da, db);
	ck_assert_int_eq(dbsize(), 0);
	/* The Redis host measurements are stored, and every value agreed. */
	{
		char *cmd = xasprintf("test \"$(sqlite3 %s/results.db \"select count(*) from "
				      "hist_summary where name in ('host_redis_read_ns', "
				      "'host_redis_write_ns') and count > 0\")\" = 2 && "
				      "test \"$(sqlite3 %s/results.db \"select value from metrics "
				      "where name = 'redis.mismatches'\")\" = 0.0", b, b);

		ck_assert_int_eq(system(cmd), 0);
		free(cmd);
	}
	free(a);
	free(b);
	free(da);
	free(db);
}
END_TEST

START_TEST(an_unreachable_redis_fails_the_run_and_leaves_nothing)
{
	const char *sets[11];
	struct run_summary sum;
	struct error e;
	char *out = tmpdir_path("unreachable");
	struct run_options o = { .out = out };
	struct scenario *sc;
	struct stat sb;

	memcpy(sets, tiny, sizeof(sets));
	sets[9] = "stream.store=redis";
	sets[10] = "stream.redis_url=redis://127.0.0.1:1/0";
	sc = scenario_load(&config_schema, "scenarios/default.ini", sets, 11, &e);
	ck_assert_ptr_nonnull(sc);
	ck_assert_int_lt(run_execute(sc, &o, &sum, &e), 0);
	ck_assert_msg(strstr(e.msg, "[stream] store = redis: cannot connect to Redis at "
				    "127.0.0.1:1/0"), "%s", e.msg);
	ck_assert_int_ne(stat(out, &sb), 0);
	scenario_free(sc);
	free(out);
}
END_TEST

START_TEST(replay_writes_the_runs_values_in_wall_time)
{
	struct run_summary sum;
	struct redisreplay_options o;
	struct redisreplay_result r;
	struct error e;
	int rc;
	char *dir = run_tiny("replayed", false, &sum, &rc, &e);

	ck_assert_msg(rc == 0, "%s", e.msg);
	redisreplay_options_defaults(&o);
	o.url = redisfix.url;
	o.speed = 86400 * 4;      /* a simulated day in a quarter of a wall second */
	o.duration_s = 0.5;       /* the whole two days */
	o.max_batch = 64;
	ck_assert_msg(redisreplay_run(dir, &o, &r, &e) == 0, "%s", e.msg);
	ck_assert_uint_gt(r.writes, 100);
	ck_assert_uint_ge(r.pipelines, r.writes / 64);
	ck_assert_uint_eq(hist_count(&r.lag_ns), r.writes);
	ck_assert_uint_eq(hist_count(&r.reflection_ns), r.writes);
	ck_assert_uint_eq(hist_count(&r.sim_reflection_us), r.writes);
	ck_assert_uint_gt(r.cells_checked, 0);
	ck_assert_uint_eq(r.cells_differing, 0);
	ck_assert_int_eq(dbsize(), 0);
	redisreplay_result_release(&r);
	/* No log: named. */
	ck_assert_int_lt(redisreplay_run(tmpdir, &o, &r, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "online.log"));
	redisreplay_result_release(&r);
	free(dir);
}
END_TEST

static void setup(void)
{
	tmpdir_setup();
	redisfix_setup();
}

static void teardown(void)
{
	redisfix_teardown();
	tmpdir_teardown();
}

static void add_tests(TCase *tc)
{
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, urls_are_parsed_and_bad_ones_named);
	tcase_add_test(tc, an_unreachable_redis_is_named);
	tcase_add_test(tc, pipelined_writes_read_back_in_one_mget);
	tcase_add_test(tc, a_mirrored_store_agrees_with_redis_ttl_included);
	tcase_add_test(tc, store_redis_gives_the_embedded_stores_bits);
	tcase_add_test(tc, an_unreachable_redis_fails_the_run_and_leaves_nothing);
	tcase_add_test(tc, replay_writes_the_runs_values_in_wall_time);
}

CHECK_MAIN("redis", add_tests, 240)
