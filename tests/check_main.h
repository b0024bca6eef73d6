#ifndef AIRTIME_TESTS_CHECK_MAIN_H
#define AIRTIME_TESTS_CHECK_MAIN_H
/* The main() of a Check test program.  CHECK_MAIN(name, add_tests,
 * timeout_s) makes a suite of one test case: add_tests(TCase *) registers
 * its tests and fixtures.  CHECK_MAIN_SUITE(make_suite) runs a suite built
 * by make_suite() (several test cases).  Exit status 0 when every test
 * passed.
 *
 * Long tests: CHECK_MAIN_LONG(name, add_tests, timeout_s, add_long,
 * long_timeout_s) adds a second test case, "long", tagged "long" (see
 * check_long_tcase), for the few tests too expensive for every `make
 * test`.  `make test` runs suites with CK_EXCLUDE_TAGS=long, `make
 * test-long` with CK_INCLUDE_TAGS=long (.ci/run-tests); run by hand, a
 * suite runs both. */
#include <check.h>
#include <stdlib.h>

/* Run the suite (takes it); EXIT_SUCCESS when nothing failed. */
static inline int check_main_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A test case named and tagged "long" (added to s). */
static inline TCase *check_long_tcase(Suite *s, int timeout_s)
{
	TCase *tc = tcase_create("long");

	tcase_set_tags(tc, "long");
	tcase_set_timeout(tc, timeout_s);
	suite_add_tcase(s, tc);
	return tc;
}

#define CHECK_MAIN_SUITE(make_suite)                                 \
	int main(void)                                               \
	{                                                            \
		return check_main_run(make_suite());                 \
	}

#define CHECK_MAIN(suite_name, add_fn, timeout_s)                    \
	int main(void)                                               \
	{                                                            \
		Suite *s = suite_create(suite_name);                 \
		TCase *tc = tcase_create(suite_name);                \
                                                                     \
		tcase_set_timeout(tc, timeout_s);                    \
		add_fn(tc);                                          \
		suite_add_tcase(s, tc);                              \
		return check_main_run(s);                            \
	}

#define CHECK_MAIN_LONG(suite_name, add_fn, timeout_s, add_long_fn, long_timeout_s) \
	int main(void)                                               \
	{                                                            \
		Suite *s = suite_create(suite_name);                 \
		TCase *tc = tcase_create(suite_name);                \
                                                                     \
		tcase_set_timeout(tc, timeout_s);                    \
		add_fn(tc);                                          \
		suite_add_tcase(s, tc);                              \
		add_long_fn(check_long_tcase(s, long_timeout_s));    \
		return check_main_run(s);                            \
	}
#endif
