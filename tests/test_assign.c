/* Tests for eval/assign.c. */
#include "eval/assign.h"

#include "tests/check_main.h"

#include <math.h>

START_TEST(assignment_is_stable_and_salted)
{
	uint64_t a = assign_salt_hash("exp-1"), b = assign_salt_hash("exp-2");
	int same = 0;

	ck_assert_uint_ne(a, b);
	for (uint32_t u = 0; u < 10000; u++) {
		ck_assert_int_eq(assign_arm(a, u, 0.5), assign_arm(a, u, 0.5));
		same += assign_arm(a, u, 0.5) == assign_arm(b, u, 0.5);
	}
	/* Different salts are independent: agreement ~ Binomial(1e4, 0.5), sd 50. */
	ck_assert_int_lt(abs(same - 5000), 300);
}
END_TEST

/* Share: treated count ~ Binomial(n, p); bound at 5 sd. */
START_TEST(treatment_share_is_respected)
{
	const double shares[] = { 0.0, 0.1, 0.5, 0.9, 1.0 };
	uint64_t s = assign_salt_hash("share");
	const int n = 100000;

	for (size_t k = 0; k < sizeof(shares) / sizeof(shares[0]); k++) {
		int treated = 0;
		double p = shares[k], sd = sqrt(n * p * (1 - p));

		for (int u = 0; u < n; u++)
			treated += assign_arm(s, (uint32_t)u, p) == ASSIGN_TREATMENT;
		ck_assert_double_le(fabs(treated - n * p), 5 * sd + 1e-9);
	}
}
END_TEST

/* Raising the share only moves users from control to treatment (monotone),
 * so a ramp-up never flips a treated user back. */
START_TEST(share_is_monotone)
{
	uint64_t s = assign_salt_hash("ramp");

	for (uint32_t u = 0; u < 20000; u++)
		if (assign_arm(s, u, 0.2) == ASSIGN_TREATMENT)
			ck_assert_int_eq(assign_arm(s, u, 0.5), ASSIGN_TREATMENT);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, assignment_is_stable_and_salted);
	tcase_add_test(tc, treatment_share_is_respected);
	tcase_add_test(tc, share_is_monotone);
}

CHECK_MAIN("assign", add_tests, 30)
