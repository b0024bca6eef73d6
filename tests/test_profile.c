/* Tests for engine/profile.c: declared topics per user in declared order,
 * rows added in any order, bad rows refused.  (The first test moved here
 * from test_rank.c.) */
#include "engine/profile.h"

#include <check.h>
#include <string.h>

#include "tests/check_main.h"

START_TEST(profile_refuses_bad_rows)
{
	struct profile *p = profile_new(3);
	uint16_t ok[] = { 4, 2 }, dup[] = { 1, 1 };
	const uint16_t *t;
	struct error err;

	ck_assert_int_eq(profile_set(p, 1, ok, 2, &err), 0);
	ck_assert_int_eq(profile_set(p, 1, ok, 2, &err), ERR_INPUT);
	ck_assert_int_eq(profile_set(p, 3, ok, 2, &err), ERR_INPUT);
	ck_assert_int_eq(profile_set(p, 2, dup, 2, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "twice"));
	ck_assert_uint_eq(profile_topics(p, 1, &t), 2);
	ck_assert_uint_eq(t[0], 4);
	ck_assert(profile_has_topic(p, 1, 2));
	ck_assert(!profile_has_topic(p, 0, 2));
	profile_free(p);
}
END_TEST

/* Rows may come in any user order; each keeps its declared order; users
 * without a row, and ids beyond the table, have none; the topic
 * UINT16_MAX (no topic) is refused. */
START_TEST(rows_in_any_order_keep_declared_order)
{
	struct profile *p = profile_new(5);
	uint16_t a[] = { 9, 1, 5 }, b[] = { 2 }, bad[] = { 3, UINT16_MAX };
	const uint16_t *t;
	struct error err;

	ck_assert_uint_eq(profile_user_count(p), 5);
	ck_assert_int_eq(profile_set(p, 4, a, 3, &err), 0);
	ck_assert_int_eq(profile_set(p, 0, b, 1, &err), 0);
	ck_assert_int_eq(profile_set(p, 2, a, 0, &err), 0);      /* declared nothing */
	ck_assert_int_eq(profile_set(p, 3, bad, 2, &err), ERR_INPUT);
	ck_assert_uint_eq(profile_topics(p, 4, &t), 3);
	ck_assert_uint_eq(t[0], 9);
	ck_assert_uint_eq(t[1], 1);
	ck_assert_uint_eq(t[2], 5);
	ck_assert_uint_eq(profile_topics(p, 0, &t), 1);
	ck_assert_uint_eq(t[0], 2);
	ck_assert_uint_eq(profile_topics(p, 2, &t), 0);
	ck_assert_uint_eq(profile_topics(p, 1, &t), 0);
	ck_assert_uint_eq(profile_topics(p, 3, &t), 0);           /* the refused row left nothing */
	ck_assert_uint_eq(profile_topics(p, 99, &t), 0);
	ck_assert(profile_has_topic(p, 4, 5));
	ck_assert(!profile_has_topic(p, 4, 2));
	ck_assert(!profile_has_topic(p, 99, 2));
	profile_free(p);
	profile_free(NULL);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, profile_refuses_bad_rows);
	tcase_add_test(tc, rows_in_any_order_keep_declared_order);
}

CHECK_MAIN("profile", add_tests, 30)
