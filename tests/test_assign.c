/* Tests for eval/assign.c. */
#include "eval/assign.h"

#include "common/rng.h"
#include "tests/check_main.h"

#include <math.h>

/* Two arms with a treatment share p. */
static size_t arm2(uint64_t salt, uint32_t u, double p)
{
	const double shares[2] = { 1 - p, p };

	return assign_arm(salt, u, shares, 2);
}

START_TEST(assignment_is_stable_and_salted)
{
	uint64_t a = assign_salt_hash("exp-1"), b = assign_salt_hash("exp-2");
	int same = 0;

	ck_assert_uint_ne(a, b);
	for (uint32_t u = 0; u < 10000; u++) {
		ck_assert_uint_eq(arm2(a, u, 0.5), arm2(a, u, 0.5));
		same += arm2(a, u, 0.5) == arm2(b, u, 0.5);
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
			treated += arm2(s, (uint32_t)u, p) == 1;
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
		if (arm2(s, u, 0.2) == 1)
			ck_assert_uint_eq(arm2(s, u, 0.5), 1);
}
END_TEST

/* Two arms are the rule of the 2-arm experiments before A/B/n, user for
 * user: treatment when the hash's uniform is below the treatment share. */
START_TEST(two_arms_hash_as_before)
{
	uint64_t s = assign_salt_hash("airtime-ab");
	const double ps[] = { 0.5, 0.3, 0.01, 0.99 };

	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++)
		for (uint32_t u = 0; u < 50000; u++) {
			uint64_t h = rng_hash4(s, 0x61622d74657374ULL, u, 0);
			double x = (double)(h >> 11) * 0x1.0p-53;

			ck_assert_uint_eq(arm2(s, u, ps[k]), x < ps[k] ? 1u : 0u);
		}
}
END_TEST

/* n arms: each arm's count ~ Binomial(n, share_i), within 5 sd, and the
 * chi-square of all counts (n_arms - 1 df) far from its tail. */
START_TEST(n_arms_get_their_shares)
{
	static const double designs[][4] = {
		{ 0.5, 0.25, 0.25, 0 },
		{ 1.0 / 3, 1.0 / 3, 1.0 / 3, 0 },
		{ 0.1, 0.2, 0.3, 0.4 },
	};
	static const size_t arms[] = { 3, 3, 4 };
	uint64_t s = assign_salt_hash("abn");
	const int n = 120000;

	for (size_t d = 0; d < 3; d++) {
		size_t count[4] = { 0 };
		double chi2 = 0;

		for (int u = 0; u < n; u++) {
			size_t a = assign_arm(s, (uint32_t)u, designs[d], arms[d]);

			ck_assert_uint_lt(a, arms[d]);
			count[a]++;
		}
		for (size_t a = 0; a < arms[d]; a++) {
			double p = designs[d][a], e = n * p;

			ck_assert_double_le(fabs((double)count[a] - e), 5 * sqrt(e * (1 - p)));
			chi2 += ((double)count[a] - e) * ((double)count[a] - e) / e;
		}
		/* P(chi2_3 > 30) < 2e-6 */
		ck_assert_double_lt(chi2, 30);
	}
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, assignment_is_stable_and_salted);
	tcase_add_test(tc, treatment_share_is_respected);
	tcase_add_test(tc, share_is_monotone);
	tcase_add_test(tc, two_arms_hash_as_before);
	tcase_add_test(tc, n_arms_get_their_shares);
}

CHECK_MAIN("assign", add_tests, 30)
