/* Tests for eval/replay.c: a recorded trace replayed on a calendar in
 * emit-time order (ties by id), app_open events asking for a page after
 * their event, events at or after the end held back and counted, entity
 * counts from the ids, and traces that are refused whole. */
#include "eval/replay.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/calendar.h"
#include "common/trace.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

static struct event ev(uint64_t id, simtime t, int type, uint32_t user, uint32_t show,
		       uint32_t creator, uint32_t session)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.id = id;
	e.emit_time = t;
	e.type = (uint8_t)type;
	e.user = user;
	e.show = show;
	e.creator = creator;
	e.session = session;
	e.topic = show == EVENT_NONE ? UINT16_MAX : 1;
	e.position = UINT16_MAX;
	e.source = EVENT_SOURCE_NONE;
	return e;
}

static char *write_trace(const struct event *evs, size_t n, enum trace_format fmt)
{
	char *path = tmpdir_path(fmt == TRACE_CSV ? "t.csv" : "t.bin");
	struct error err;
	struct trace_writer *tw = trace_writer_open(path, fmt, &err);

	ck_assert_msg(tw != NULL, "%s", err.msg);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(trace_writer_add(tw, &evs[i], &err), 0);
	ck_assert_msg(trace_writer_close(tw, &err) == 0, "%s", err.msg);
	return path;
}

/* What the world saw: every event (id, time) and every page request. */
struct seen {
	struct calendar *cal;
	char log[64][48];
	size_t n;
};

static void on_emit(void *ctx, const struct event *e)
{
	struct seen *s = ctx;

	ck_assert(calendar_now(s->cal) == e->emit_time);
	ck_assert_uint_lt(s->n, 64);
	snprintf(s->log[s->n++], sizeof(s->log[0]), "ev %llu at %lld",
		 (unsigned long long)e->id, (long long)e->emit_time);
}

static void on_session(void *ctx, uint32_t user, uint32_t session, simtime now)
{
	struct seen *s = ctx;

	ck_assert_uint_lt(s->n, 64);
	snprintf(s->log[s->n++], sizeof(s->log[0]), "page u%u s%u at %lld", user, session,
		 (long long)now);
}

/* Written in id order with times out of order (a binary trace may be; a
 * CSV trace must be in order); replayed by (time, id), a page after each
 * app_open (with a user), nothing at or after the end. */
static void replays_in_time_order(enum trace_format fmt)
{
	const struct event evs[] = {
		ev(1, 300, EVENT_LIKE, 2, 7, 3, 1),
		ev(2, 100, EVENT_APP_OPEN, 2, EVENT_NONE, EVENT_NONE, 1),
		ev(3, 500, EVENT_APP_OPEN, 4, EVENT_NONE, EVENT_NONE, 2),   /* at the end */
		ev(4, 100, EVENT_SHOW_LIVE, EVENT_NONE, 7, 3, EVENT_NONE),
		ev(5, 200, EVENT_IMPRESSION, 2, 7, 3, 1),
		ev(6, 200, EVENT_APP_OPEN, 0, EVENT_NONE, EVENT_NONE, 0),
	};
	static const char *const want[] = {
		"ev 2 at 100", "page u2 s1 at 100", "ev 4 at 100", "ev 5 at 200",
		"ev 6 at 200", "page u0 s0 at 200", "ev 1 at 300",
	};
	char *path = write_trace(evs, sizeof(evs) / sizeof(evs[0]), fmt);
	struct error err;
	struct replay *r = replay_open(path, NULL, &err);
	struct seen s = { .cal = calendar_new(0, 16) };

	ck_assert_msg(r != NULL, "%s", err.msg);
	ck_assert_uint_eq(replay_events(r), 6);
	ck_assert_uint_eq(replay_users(r), 5);
	ck_assert_uint_eq(replay_shows(r), 8);
	ck_assert_uint_eq(replay_creators(r), 4);
	ck_assert_uint_eq(replay_beyond(r, 500), 1);
	ck_assert_uint_eq(replay_beyond(r, 0), 6);
	replay_start(r, s.cal, 500, on_emit, on_session, &s);
	calendar_run_until(s.cal, 1000);
	ck_assert_uint_eq(s.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < s.n; i++)
		ck_assert_str_eq(s.log[i], want[i]);
	replay_free(r);
	calendar_free(s.cal);
	free(path);
}

START_TEST(binary_trace_replays_in_time_order)
{
	replays_in_time_order(TRACE_BINARY);
}
END_TEST

/* Without a session callback only events flow; a trace without shows or
 * creators still sizes the engine's tables at 1. */
START_TEST(events_only_and_minimum_sizes)
{
	const struct event evs[] = { ev(1, 10, EVENT_APP_OPEN, 0, EVENT_NONE, EVENT_NONE, 0) };
	char *path = write_trace(evs, 1, TRACE_BINARY);
	struct error err;
	struct replay *r = replay_open(path, NULL, &err);
	struct seen s = { .cal = calendar_new(0, 4) };

	ck_assert_msg(r != NULL, "%s", err.msg);
	ck_assert_uint_eq(replay_users(r), 1);
	ck_assert_uint_eq(replay_shows(r), 1);
	ck_assert_uint_eq(replay_creators(r), 1);
	replay_start(r, s.cal, 100, on_emit, NULL, &s);
	calendar_run_until(s.cal, 100);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_str_eq(s.log[0], "ev 1 at 10");
	replay_free(r);
	replay_free(NULL);
	calendar_free(s.cal);
	free(path);
}
END_TEST

START_TEST(bad_traces_are_refused_whole)
{
	const struct event neg[] = { ev(1, 10, EVENT_APP_OPEN, 0, EVENT_NONE, EVENT_NONE, 0),
				     ev(2, -5, EVENT_APP_OPEN, 1, EVENT_NONE, EVENT_NONE, 1) };
	char *path = write_trace(neg, 0, TRACE_BINARY), *csv;
	struct error err;
	FILE *f;

	ck_assert_ptr_null(replay_open(path, NULL, &err));                 /* no events */
	ck_assert_ptr_nonnull(strstr(err.msg, "holds no events"));
	free(path);
	path = write_trace(neg, 2, TRACE_BINARY);
	ck_assert_ptr_null(replay_open(path, NULL, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "negative emit time"));
	free(path);
	csv = tmpdir_path("bad.csv");
	f = fopen(csv, "w");
	ck_assert_ptr_nonnull(f);
	fputs(TRACE_CSV_HEADER "\n1,0,app_open,3,,,0,,,none,0\n2,x,like,3,1,1,,1,,none,0\n"
	      "3,5,nope,3,1,1,,1,,none,0\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_null(replay_open(csv, NULL, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "2 of 3 rows malformed, nothing replayed"));
	ck_assert_ptr_nonnull(strstr(err.msg, "bad.csv:3"));
	free(csv);
	csv = tmpdir_path("missing.csv");
	ck_assert_ptr_null(replay_open(csv, NULL, &err));
	free(csv);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, binary_trace_replays_in_time_order);
	tcase_add_test(tc, events_only_and_minimum_sizes);
	tcase_add_test(tc, bad_traces_are_refused_whole);
}

CHECK_MAIN("replay", add_tests, 30)
