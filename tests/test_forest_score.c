/* Tests for engine/forest_score.c against values worked out by hand: AUC
 * as the Mann-Whitney statistic with ties at half, log loss with clipping,
 * the Brier score, R^2, masks, calibration bins, and NaN where a metric is
 * undefined. */
#include "engine/forest_score.h"

#include <check.h>
#include <math.h>

#include "tests/check_main.h"

/* AUC = P(score of a positive > score of a negative) + P(tie) / 2.
 * Positives 0.9, 0.4, 0.4; negatives 0.4, 0.1: of the 6 pairs, (0.9, *)
 * wins 2, each 0.4 positive beats 0.1 (2) and ties 0.4 (2 halves): 5/6. */
START_TEST(auc_counts_ties_as_half)
{
	const double s[] = { 0.9, 0.4, 0.4, 0.4, 0.1 }, y[] = { 1, 1, 1, 0, 0 };
	const double sorted[] = { 0.1, 0.2, 0.3, 0.4 }, up[] = { 0, 0, 1, 1 }, down[] = { 1, 1, 0, 0 };
	const double same[] = { 0.5, 0.5, 0.5, 0.5 };
	const unsigned char mask[] = { 1, 0, 0, 1, 1 };

	ck_assert_double_eq_tol(forest_score_auc(s, y, NULL, 5), 5.0 / 6, 1e-15);
	ck_assert_double_eq(forest_score_auc(sorted, up, NULL, 4), 1);
	ck_assert_double_eq(forest_score_auc(sorted, down, NULL, 4), 0);
	ck_assert_double_eq(forest_score_auc(same, up, NULL, 4), 0.5);
	/* masked: positive 0.9 against negatives 0.4 and 0.1 */
	ck_assert_double_eq(forest_score_auc(s, y, mask, 5), 1);
	ck_assert(isnan(forest_score_auc(s, up + 2, NULL, 2)));   /* one class only */
	ck_assert(isnan(forest_score_auc(s, y, NULL, 0)));
}
END_TEST

START_TEST(log_loss_brier_and_r2)
{
	const double p[] = { 0.8, 0.4, 0, 1 }, y[] = { 1, 0, 0, 0 };
	const double reg_y[] = { 1, 2, 3, 4 }, reg_p[] = { 1, 2, 3, 5 };
	const unsigned char mask[] = { 1, 1, 1, 0 };
	double want;

	/* -(log 0.8 + log 0.6 + log(1 - q0) + log(1 - q1)) / 4, the certain
	 * predictions clipped to q0 = 1e-15 and q1 = 1 - 1e-15 */
	want = -(log(0.8) + log(0.6) + log(1 - 1e-15) + log(1 - (1 - 1e-15))) / 4;
	ck_assert_double_eq_tol(forest_score_logloss(p, y, 4), want, 1e-12);
	ck_assert(isnan(forest_score_logloss(p, y, 0)));
	/* (0.04 + 0.16 + 0 + 1) / 4 */
	ck_assert_double_eq_tol(forest_score_mse(p, y, NULL, 4), 0.3, 1e-15);
	ck_assert_double_eq_tol(forest_score_mse(p, y, mask, 4), 0.2 / 3, 1e-15);
	/* one error of 1 over variance 5 (sum of squares about 2.5) */
	ck_assert_double_eq_tol(forest_score_r2(reg_p, reg_y, NULL, 4), 1 - 1.0 / 5, 1e-15);
	ck_assert_double_eq(forest_score_r2(reg_p, reg_y, mask, 4), 1);
	ck_assert(isnan(forest_score_r2(reg_p, y + 2, NULL, 2)));  /* constant labels */
}
END_TEST

/* Ten equal bins, the last closed; empty bins hold NaN means. */
START_TEST(calibration_by_decile)
{
	const double p[] = { 0.05, 0.1, 0.15, 0.95, 1.0, -0.2 }, y[] = { 0, 1, 0, 1, 1, 0 };
	struct forest_score_bin b[10];

	forest_score_calibration(p, y, 6, b);
	ck_assert_double_eq(b[0].lo, 0);
	ck_assert_double_eq(b[9].hi, 1);
	ck_assert_uint_eq(b[0].n, 2);                  /* 0.05 and -0.2 (clamped) */
	ck_assert_double_eq_tol(b[0].mean_pred, (0.05 - 0.2) / 2, 1e-15);
	ck_assert_uint_eq(b[1].n, 2);                  /* 0.1 and 0.15 */
	ck_assert_double_eq(b[1].mean_label, 0.5);
	ck_assert_uint_eq(b[9].n, 2);                  /* 0.95 and 1.0 */
	ck_assert_double_eq(b[9].mean_label, 1);
	ck_assert_uint_eq(b[5].n, 0);
	ck_assert(isnan(b[5].mean_pred) && isnan(b[5].mean_label));
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, auc_counts_ties_as_half);
	tcase_add_test(tc, log_loss_brier_and_r2);
	tcase_add_test(tc, calibration_by_decile);
}

CHECK_MAIN("forest_score", add_tests, 30)
