/* Tests for common/error.c: the error context (set, prefix, clear, a NULL
 * context), messages cut to the buffer keeping their head, code names, and
 * the always-on invariant failure naming file and line, then aborting. */
#include "common/error.h"

#include <check.h>
#include <signal.h>
#include <string.h>

#include "tests/check_main.h"

START_TEST(set_prefix_and_clear)
{
	struct error e;

	ck_assert_int_eq(error_set(&e, ERR_INPUT, "unknown key '%s'", "rte"), ERR_INPUT);
	ck_assert_int_eq(e.code, ERR_INPUT);
	ck_assert_str_eq(e.msg, "unknown key 'rte'");
	ck_assert_int_eq(error_prefix(&e, "%s:%d: ", "a.ini", 14), ERR_INPUT);
	ck_assert_str_eq(e.msg, "a.ini:14: unknown key 'rte'");
	error_clear(&e);
	ck_assert_int_eq(e.code, ERR_OK);
	ck_assert_str_eq(e.msg, "");
	/* without a context the code still comes back */
	ck_assert_int_eq(error_set(NULL, ERR_IO, "x"), ERR_IO);
	ck_assert_int_eq(error_prefix(NULL, "x"), ERR_RUN);
	error_clear(NULL);
}
END_TEST

/* A message longer than the buffer is cut, terminated; a prefix that makes
 * it too long keeps its head (where the failure happened) and loses the
 * end of the message; a prefix is itself at most 511 characters. */
START_TEST(long_messages_are_cut_keeping_the_head)
{
	struct error e;
	char big[2 * sizeof(e.msg)];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	error_set(&e, ERR_DB, "%s", big);
	ck_assert_uint_eq(strlen(e.msg), sizeof(e.msg) - 1);
	error_prefix(&e, "where: ");
	ck_assert_uint_eq(strlen(e.msg), sizeof(e.msg) - 1);
	ck_assert(!strncmp(e.msg, "where: xxx", 10));
	ck_assert_int_eq(e.code, ERR_DB);
	error_set(&e, ERR_DB, "tail");
	error_prefix(&e, "%s", big);
	ck_assert_uint_eq(strlen(e.msg), 511 + 4);
	ck_assert_str_eq(e.msg + 511, "tail");
}
END_TEST

START_TEST(codes_have_names)
{
	static const int codes[] = { ERR_OK, ERR_INPUT, ERR_IO, ERR_DB, ERR_CORRUPT,
				     ERR_UNAVAILABLE, ERR_FULL, ERR_NOTFOUND, ERR_RUN,
				     ERR_INTERRUPTED };
	static const char *const names[] = { "ok", "input", "io", "db", "corrupt",
					     "unavailable", "full", "notfound", "run",
					     "interrupted" };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		ck_assert_str_eq(error_code_name(codes[i]), names[i]);
		ck_assert_int_le(codes[i], 0);
	}
	ck_assert_str_eq(error_code_name(12345), "unknown");
}
END_TEST

/* A broken invariant aborts (SIGABRT), whatever the build. */
START_TEST(a_broken_invariant_aborts)
{
	int one = 1;

	ASSERT(one == 2);
}
END_TEST

START_TEST(bug_aborts)
{
	BUG("unreachable state %d", 7);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, set_prefix_and_clear);
	tcase_add_test(tc, long_messages_are_cut_keeping_the_head);
	tcase_add_test(tc, codes_have_names);
	tcase_add_test_raise_signal(tc, a_broken_invariant_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, bug_aborts, SIGABRT);
}

CHECK_MAIN("error", add_tests, 30)
