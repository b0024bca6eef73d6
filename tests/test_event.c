/* Tests for common/event.c and the event record of common/event.h: every
 * type has a name that reads back to it, unknown ones are named so, and
 * the record keeps the size the file formats rely on. */
#include "common/event.h"

#include <check.h>
#include <stddef.h>
#include <string.h>

#include "tests/check_main.h"

START_TEST(type_names_round_trip)
{
	for (int t = 1; t < EVENT_TYPE_COUNT; t++) {
		const char *n = event_type_name(t);

		ck_assert_str_ne(n, "unknown");
		ck_assert_int_eq(event_type_from_name(n), t);
		for (int u = 1; u < t; u++)
			ck_assert_str_ne(n, event_type_name(u));
	}
	ck_assert_str_eq(event_type_name(EVENT_LISTEN_END), "listen_end");
	ck_assert_str_eq(event_type_name(0), "unknown");
	ck_assert_str_eq(event_type_name(EVENT_TYPE_COUNT), "unknown");
	ck_assert_str_eq(event_type_name(-1), "unknown");
	ck_assert_int_eq(event_type_from_name("listen"), -1);
	ck_assert_int_eq(event_type_from_name(""), -1);
}
END_TEST

START_TEST(record_layout_is_fixed)
{
	ck_assert_uint_eq(sizeof(struct event), 48);
	ck_assert_uint_eq(offsetof(struct event, id), 0);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, type_names_round_trip);
	tcase_add_test(tc, record_layout_is_fixed);
}

CHECK_MAIN("event", add_tests, 30)
