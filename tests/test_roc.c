/* Tests for stats/roc.c. */
#include "stats/roc.h"

#include "tests/check_main.h"

#include <math.h>

START_TEST(perfect_and_inverted_scorers)
{
	double score[4] = { 0.9, 0.8, 0.2, 0.1 }, label[4] = { 1, 1, 0, 0 };
	double fpr[10], tpr[10];
	size_t n = roc_curve(score, label, 4, 10, fpr, tpr);

	/* (0,0), (0,0.5), (0,1), (0.5,1), (1,1) */
	ck_assert_uint_eq(n, 5);
	ck_assert_double_eq(fpr[2], 0);
	ck_assert_double_eq(tpr[2], 1);
	ck_assert_double_eq(fpr[n - 1], 1);
	ck_assert_double_eq(tpr[n - 1], 1);
	label[0] = label[1] = 0;
	label[2] = label[3] = 1;
	n = roc_curve(score, label, 4, 10, fpr, tpr);
	ck_assert_double_eq(tpr[2], 0);
	ck_assert_double_eq(fpr[2], 1);
}
END_TEST

START_TEST(ties_nan_and_thinning)
{
	enum { N = 1000 };
	static double score[N], label[N], fpr[20], tpr[20];
	size_t n;

	for (int i = 0; i < N; i++) {
		score[i] = i % 7 == 0 ? NAN : (double)(i % 100);
		label[i] = (i % 3) == 0;
	}
	n = roc_curve(score, label, N, 20, fpr, tpr);
	ck_assert_uint_le(n, 20);
	ck_assert_uint_ge(n, 10);
	for (size_t i = 1; i < n; i++) {
		ck_assert(fpr[i] >= fpr[i - 1]);
		ck_assert(tpr[i] >= tpr[i - 1]);
	}
	ck_assert_double_eq(fpr[n - 1], 1);
	label[0] = 1;
	for (int i = 0; i < N; i++)
		label[i] = 1;
	ck_assert_uint_eq(roc_curve(score, label, N, 20, fpr, tpr), 0);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, perfect_and_inverted_scorers);
	tcase_add_test(tc, ties_nan_and_thinning);
}

CHECK_MAIN("roc", add_tests, 30)
