#ifndef AIRTIME_TESTS_CHECK_MAIN_H
#define AIRTIME_TESTS_CHECK_MAIN_H
/* A main() for a one-suite Check test program: CHECK_MAIN(name, add_tests)
 * where add_tests(TCase *) registers the suite's tests. */
#include <check.h>
#include <stdlib.h>

#define CHECK_MAIN(suite_name, add_fn, timeout_s)                    \
	int main(void)                                               \
	{                                                            \
		Suite *s = suite_create(suite_name);                 \
		TCase *tc = tcase_create(suite_name);                \
		SRunner *sr;                                         \
		int failed;                                          \
		tcase_set_timeout(tc, timeout_s);                    \
		add_fn(tc);                                          \
		suite_add_tcase(s, tc);                              \
		sr = srunner_create(s);                              \
		srunner_run_all(sr, CK_NORMAL);                      \
		failed = srunner_ntests_failed(sr);                  \
		srunner_free(sr);                                    \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;         \
	}
#endif
