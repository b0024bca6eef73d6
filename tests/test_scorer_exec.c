/*
 * Tests for engine/scorer_exec.c and engine/scorer_wire.c: rankers in a
 * child process speaking docs/ranker-protocol.md.
 *
 * tests/rankers/misbehave.py breaks the protocol one way per option.mode:
 * each failure (a timeout, a child that exits or is killed, a wrong number
 * of scores, NaN, text instead of frames, a wrong sequence number, ERROR,
 * another API version, a bad exit after BYE) is an error naming the
 * ranker, the page's simulated time and what was wrong, with the child's
 * standard error kept outside the run directory; the child is killed and
 * reaped at once (no zombie: waitpid says it is gone).  A run whose
 * ranker fails leaves no run directory and no child.  The codec refuses
 * malformed replies from bytes alone.
 */
#include "engine/scorer_exec.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "engine/scorer_wire.h"
#include "tests/check_main.h"
#include "tests/scorerfix.h"
#include "tests/tmpdir.h"

#define MISBEHAVE SCORERFIX_PYTHON " tests/rankers/misbehave.py"
/* A page at day 1 19:02:13.500. */
#define PAGE_TIME (SIMTIME_DAY + 19 * SIMTIME_HOUR + 2 * SIMTIME_MIN + 13500 * SIMTIME_MS)

static void setup(void)
{
	tmpdir_setup();
	/* the copies of a failed ranker's standard error go here */
	setenv("TMPDIR", tmpdir, 1);
}

static struct scorer *start(const char *mode, struct error *err)
{
	struct scorer_config cfg;
	struct scorer_env env;

	scorerfix_config(&cfg, "bad", SCORER_EXEC, MISBEHAVE, mode);
	cfg.timeout = 400 * SIMTIME_MS;
	scorerfix_env(&env, tmpdir);
	return scorer_new_ranker(&cfg, &env, err);
}

/* The child is gone: not ours any more, not a zombie. */
static void expect_reaped(long pid)
{
	ck_assert_int_gt(pid, 0);
	errno = 0;
	ck_assert_int_eq(waitpid((pid_t)pid, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

/* The kept copy of the child's standard error named in msg exists. */
static void expect_kept_stderr(const char *msg)
{
	const char *at = strstr(msg, tmpdir);
	char path[256];
	size_t n = 0;
	struct stat st;

	ck_assert_msg(at != NULL, "%s", msg);
	while (at[n] && at[n] != ',' && at[n] != ' ' && n + 1 < sizeof(path))
		n++;
	memcpy(path, at, n);
	path[n] = '\0';
	ck_assert_msg(stat(path, &st) == 0, "%s: no file '%s'", msg, path);
}

static void expect_page_error(const char *mode, const char *want)
{
	struct scorer_cost cost = { 0 };
	struct error err;
	struct scorer *s = start(mode, &err);
	double scores[5];
	long pid;

	ck_assert_msg(s != NULL, "%s: %s", mode, err.msg);
	pid = scorer_exec_pid(s);
	ck_assert_int_lt(scorer_score(s, scorerfix_page(PAGE_TIME), scores, &cost, &err), 0);
	ck_assert_msg(strstr(err.msg, "ranker 'bad' failed at day 1 19:02:13.500 (a page of 5 "
				      "candidates for user 7): ") && strstr(err.msg, want),
		      "%s: %s", mode, err.msg);
	/* a NaN is found by airtime after the reply: the child is still fine */
	if (strcmp(mode, "nan")) {
		ck_assert_int_eq(scorer_exec_pid(s), 0);
		expect_reaped(pid);
		expect_kept_stderr(err.msg);
	}
	scorer_free(s);
	expect_reaped(pid);
}

START_TEST(nan_and_a_wrong_count)
{
	expect_page_error("nan", "score NaN for candidate 2 (show 12)");
	expect_page_error("count", "wrong number of scores: 4 for 5 candidates");
}
END_TEST

START_TEST(a_child_that_dies)
{
	expect_page_error("exit", "the ranker closed its output (the process exited with status 3)");
	/* /bin/sh reports a child killed by signal 9 as status 128 + 9 */
	expect_page_error("kill", "the ranker closed its output (the process ");
}
END_TEST

START_TEST(bad_frames)
{
	expect_page_error("garbage", "bad magic: the ranker wrote 'Hello from a str' to its "
				     "standard output");
	expect_page_error("seq", "the ranker replied SCORES with sequence number 9 to request 2");
	expect_page_error("error", "the ranker replied ERROR: model not ready (the process "
				   "exited with status 1)");
}
END_TEST

START_TEST(a_slow_ranker_times_out)
{
	expect_page_error("sleep", "no reply to SCORE within 0.4 s ([ranker.bad] timeout)");
}
END_TEST

START_TEST(start_and_end)
{
	struct error err;
	struct scorer *s;
	long pid;
	struct airtime_training_set t = { 0 };

	ck_assert_ptr_null(start("version", &err));
	ck_assert_msg(strstr(err.msg, "ranker 'bad' (command '" MISBEHAVE "') failed to start: "
				      "the ranker speaks scorer API version 2; airtime speaks "
				      "version 1"), "%s", err.msg);
	ck_assert_ptr_null(start("hello", &err));
	ck_assert_msg(strstr(err.msg, "failed to start: the ranker closed its output (the "
				      "process exited with status 2)"), "%s", err.msg);
	ck_assert(!scorerfix_has_children());

	/* an orderly end: BYE, exit 0, reaped */
	s = start("ok", &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	pid = scorer_exec_pid(s);
	ck_assert_int_eq(scorer_fit(s, &t, SIMTIME_DAY, &err), 0);
	ck_assert_int_eq(scorer_close(s, &err), 0);
	expect_reaped(pid);
	scorer_free(s);

	s = start("byestatus", &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_lt(scorer_close(s, &err), 0);
	ck_assert_msg(strstr(err.msg, "at the end of the world: the ranker exited with status 4 "
				      "after BYE"), "%s", err.msg);
	scorer_free(s);

	s = start("fit", &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_lt(scorer_fit(s, &t, SIMTIME_DAY, &err), 0);
	ck_assert_msg(strstr(err.msg, "ranker 'bad' failed to fit at day 1 00:00:00.000 (0 "
				      "training rows): the ranker replied ERROR: cannot fit: no "
				      "positives"), "%s", err.msg);
	scorer_free(s);

	/* freed while running (the run failed elsewhere): input closed, reaped */
	s = start("ok", &err);
	ck_assert_ptr_nonnull(s);
	pid = scorer_exec_pid(s);
	scorer_free(s);
	expect_reaped(pid);
	ck_assert(!scorerfix_has_children());
}
END_TEST

/* A run whose ranker fails mid-run: a clean failure naming the ranker and
 * the page's time, no run directory, no child left. */
START_TEST(a_failing_ranker_fails_the_run_cleanly)
{
	static const char *const sets[] = { "ab.treatment=bad" };
	char *out = tmpdir_path("run");
	struct run_summary sum;
	struct error err;
	struct stat st;

	ck_assert_int_lt(scorerfix_run("[ranker.bad]\nkind = exec\ncommand = " MISBEHAVE "\n"
				       "option.mode = nan\n", sets, 1, out, &sum, &err), 0);
	ck_assert_msg(strstr(err.msg, "world 'split': ranker 'bad' failed at day 1 ") &&
			      strstr(err.msg, "score NaN for candidate 2"), "%s", err.msg);
	ck_assert_int_ne(stat(out, &st), 0);
	ck_assert_int_eq(tmpdir_entries(tmpdir), 0);   /* nothing hidden either */
	ck_assert(!scorerfix_has_children());
	free(out);
}
END_TEST

/* Replies refused from their bytes. */
START_TEST(the_codec_refuses_malformed_replies)
{
	unsigned char h[WIRE_HEADER] = { 'A', 'T', 'R', 'P', 1, 0, 103, 0, 12, 0, 0, 0, 5, 0, 0, 0 };
	unsigned char scores[24] = { 1, 0, 0, 0, 2, 0, 0, 0 };
	unsigned char err_payload[4 + 9] = { 9, 0, 0, 0, 'b', 'a', 'd', '\n', 'i', 'n', 'p', 'u',
					     't' };
	struct wire_header wh;
	struct error err;
	double out[2];
	struct wire_buf b = { 0 };
	struct airtime_training_set big = { .n = UINT64_C(1) << 28, .n_features = 30 };

	ck_assert_int_eq(wire_parse_header(h, &wh, &err), 0);
	ck_assert_uint_eq(wh.type, WIRE_SCORES);
	ck_assert_uint_eq(wh.length, 12);
	ck_assert_uint_eq(wh.seq, 5);
	ck_assert_int_lt(wire_check_reply(&wh, scores, WIRE_SCORES, 6, &err), 0);
	ck_assert_int_lt(wire_check_reply(&wh, scores, WIRE_FITTED, 5, &err), 0);
	ck_assert_str_eq(err.msg, "the ranker replied SCORES (103) to a request for FITTED (102)");
	h[4] = 2;
	ck_assert_int_lt(wire_parse_header(h, &wh, &err), 0);
	ck_assert_str_eq(err.msg, "the ranker speaks protocol version 2; airtime speaks version 1");
	h[4] = 1;
	h[11] = 0x40;   /* 1 GiB + 12 */
	ck_assert_int_lt(wire_parse_header(h, &wh, &err), 0);
	ck_assert_int_lt(wire_scores(scores, 16, 2, out, &err), 0);   /* one 8-byte score short */
	ck_assert_int_lt(wire_scores(scores, 8 + 16 + 1, 2, out, &err), 0);
	ck_assert_int_eq(wire_scores(scores, 24, 2, out, &err), 0);
	ck_assert(out[0] == 0.0 && out[1] == 0.0);
	ck_assert_int_lt(wire_scores(scores, 24, 3, out, &err), 0);
	ck_assert_str_eq(err.msg, "wrong number of scores: 2 for 3 candidates");
	wh = (struct wire_header){ WIRE_ERROR, sizeof(err_payload), 5 };
	ck_assert_int_lt(wire_check_reply(&wh, err_payload, WIRE_SCORES, 5, &err), 0);
	ck_assert_str_eq(err.msg, "the ranker replied ERROR: bad input");
	ck_assert_int_lt(wire_empty(scores, 3, WIRE_FITTED, &err), 0);
	ck_assert_int_eq(wire_fit(&b, 1, &big, &err), ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "beyond the protocol's 1 GiB frame"), "%s", err.msg);
	wire_buf_release(&b);
}
END_TEST

/* A SCORE frame as the spec lays it out, byte for byte at the edges. */
START_TEST(the_codec_writes_the_spec_layout)
{
	const struct airtime_page *p = scorerfix_page(PAGE_TIME);
	struct wire_buf b = { 0 };
	uint32_t u;
	int64_t t;
	float x;
	size_t n = 5, nf = 3, at;

	wire_score(&b, 9, p, 3);
	ck_assert_uint_eq(b.n, 16 + 4 + 32 + n * (8 + 4 + 4 + 4 * nf + 2 + 1) + 2 * 2);
	ck_assert(!memcmp(b.p, "ATRP\1\0\3\0", 8));
	memcpy(&u, b.p + 12, 4);
	ck_assert_uint_eq(u, 9);
	memcpy(&t, b.p + 16 + 4 + 8, 8);
	ck_assert_int_eq(t, PAGE_TIME);
	at = 16 + 4 + 32 + n * 16;   /* after start_us, shows, creators: the features */
	memcpy(&x, b.p + at + 4 * (3 * 4 + 0), 4);
	ck_assert(x == 4.0f);
	ck_assert_uint_eq(b.p[b.n - 1], 0);   /* live of the last candidate */
	ck_assert_uint_eq(b.p[b.n - 5], 1);   /* live of the first */
	wire_buf_release(&b);
}
END_TEST

static void add(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, tmpdir_teardown);
	tcase_add_test(tc, nan_and_a_wrong_count);
	tcase_add_test(tc, a_child_that_dies);
	tcase_add_test(tc, bad_frames);
	tcase_add_test(tc, a_slow_ranker_times_out);
	tcase_add_test(tc, start_and_end);
	tcase_add_test(tc, a_failing_ranker_fails_the_run_cleanly);
	tcase_add_test(tc, the_codec_refuses_malformed_replies);
	tcase_add_test(tc, the_codec_writes_the_spec_layout);
}

CHECK_MAIN("scorer_exec", add, 120)
