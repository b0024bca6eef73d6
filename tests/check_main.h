#ifndef AIRTIME_TESTS_CHECK_MAIN_H
#define AIRTIME_TESTS_CHECK_MAIN_H
/* The main() of a Check test program.  CHECK_MAIN(name, add_tests,
 * timeout_s) makes a suite of one test case: add_tests(TCase *) registers
 * its tests and fixtures.  CHECK_MAIN_SUITE(make_suite) runs a suite built
 * by make_suite() (several test cases).  Exit status 0 when every test
 * passed. */
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
#endif
