/* Tests for stats/exposure.c: the diversity and quality metrics against
 * values computed by hand (and with numpy) on a tiny page set. */
#include "stats/exposure.h"

#include "common/xalloc.h"
#include "tests/check_main.h"

#include <math.h>
#include <string.h>

/* Six shows of five creators over four topics:
 *   show     0  1  2  3  4  5
 *   creator  0  0  1  2  3  3   (creator 4 hosts nothing shown)
 *   topic    0  1  0  2  1  1   (topic 3 never shown)
 *   hq       1  0  0  1  0  1 */
static const uint32_t creator[6] = { 0, 0, 1, 2, 3, 3 };
static const uint16_t topic[6] = { 0, 1, 0, 2, 1, 1 };
static const uint8_t hq[6] = { 1, 0, 0, 1, 0, 1 };

static struct exposure *tiny(void)
{
	return exposure_new(2, 6, creator, topic, hq, 5, 4);
}

START_TEST(page_parts_by_hand)
{
	struct exposure *e = tiny();
	struct exposure_page pg;
	const uint32_t a[3] = { 0, 1, 2 }, b[3] = { 3, 4, 5 }, one[1] = { 0 };
	const uint32_t all_one_topic[4] = { 1, 4, 5, 4 };

	/* topics 0, 1, 0: 3 pairs, (0, 2) share a topic: 2 distinct; 1 hq */
	exposure_page(e, 0, 0, a, 3, true, &pg);
	ck_assert_uint_eq(pg.slots, 3);
	ck_assert_uint_eq(pg.pairs, 3);
	ck_assert_uint_eq(pg.distinct_pairs, 2);
	ck_assert_uint_eq(pg.high_quality, 1);
	/* topics 2, 1, 1: 2 distinct pairs; shows 3 and 5 hq */
	exposure_page(e, 0, 1, b, 3, true, &pg);
	ck_assert_uint_eq(pg.distinct_pairs, 2);
	ck_assert_uint_eq(pg.high_quality, 2);
	/* one slot: no pair */
	exposure_page(e, 0, 2, one, 1, true, &pg);
	ck_assert_uint_eq(pg.pairs, 0);
	ck_assert_uint_eq(pg.distinct_pairs, 0);
	/* one topic throughout (a show twice too): 6 pairs, none distinct */
	exposure_page(e, 1, 3, all_one_topic, 4, false, &pg);
	ck_assert_uint_eq(pg.pairs, 6);
	ck_assert_uint_eq(pg.distinct_pairs, 0);
	/* the page's topic scratch is cleared: the same page again agrees */
	exposure_page(e, 1, 3, all_one_topic, 4, false, &pg);
	ck_assert_uint_eq(pg.distinct_pairs, 0);
	exposure_page(e, 0, 0, a, 3, false, &pg);
	ck_assert_uint_eq(pg.distinct_pairs, 2);
	exposure_free(e);
}
END_TEST

START_TEST(aggregates_by_hand)
{
	struct exposure *e = tiny();
	struct exposure_page pg;
	const uint32_t a[3] = { 0, 1, 2 }, b[3] = { 3, 4, 5 }, one[1] = { 0 }, c[3] = { 2, 3, 4 };
	const uint32_t warm[2] = { 5, 5 };

	exposure_page(e, 0, 0, a, 3, true, &pg);
	exposure_page(e, 0, 1, b, 3, true, &pg);
	exposure_page(e, 0, 2, one, 1, true, &pg);
	exposure_page(e, 1, 3, c, 3, true, &pg);
	exposure_page(e, 1, 4, warm, 2, false, &pg);   /* warm-up: not counted */
	/* arm 0: creator slots [3, 1, 1, 2, 0], topic slots [3, 3, 1, 0] */
	ck_assert_uint_eq(exposure_slots(e, 0), 7);
	ck_assert_double_eq_tol(exposure_value(e, 0, EXPOSURE_TOPIC_COVERAGE), 0.75, 1e-15);
	ck_assert_double_eq_tol(exposure_value(e, 0, EXPOSURE_CREATOR_COVERAGE), 0.8, 1e-15);
	/* numpy: abs(x[:,None]-x[None,:]).sum() / (2 n^2 mean) = 0.4 */
	ck_assert_double_eq_tol(exposure_value(e, 0, EXPOSURE_CREATOR_GINI), 0.4, 1e-15);
	ck_assert_double_eq_tol(exposure_intra_list_diversity(e, 0), 4.0 / 6.0, 1e-15);
	ck_assert_double_eq_tol(exposure_high_quality_share(e, 0), 4.0 / 7.0, 1e-15);
	/* arm 1, the counted page only: creators [0, 1, 1, 1, 0], topics 0, 2, 1 */
	ck_assert_uint_eq(exposure_slots(e, 1), 3);
	ck_assert_double_eq_tol(exposure_value(e, 1, EXPOSURE_TOPIC_COVERAGE), 0.75, 1e-15);
	ck_assert_double_eq_tol(exposure_value(e, 1, EXPOSURE_CREATOR_COVERAGE), 0.6, 1e-15);
	ck_assert_double_eq_tol(exposure_value(e, 1, EXPOSURE_CREATOR_GINI), 0.4, 1e-15);
	ck_assert_double_eq_tol(exposure_intra_list_diversity(e, 1), 1.0, 1e-15);
	ck_assert_double_eq_tol(exposure_high_quality_share(e, 1), 1.0 / 3.0, 1e-15);
	exposure_free(e);
}
END_TEST

START_TEST(gini_extremes)
{
	double x[4] = { 0, 0, 0, 8 }, eq[4] = { 2, 2, 2, 2 }, none[4] = { 0 }, s[4];

	ck_assert_double_eq_tol(exposure_gini(x, 4, s), 0.75, 1e-15);   /* (n - 1) / n */
	ck_assert_double_eq_tol(exposure_gini(eq, 4, s), 0, 1e-15);
	ck_assert_double_eq(exposure_gini(none, 4, s), 0);
	ck_assert_double_eq(x[3], 8);   /* input untouched */
}
END_TEST

/* 640 users in two arms of one world, arm 1 shown only creators 0..1,
 * arm 0 every creator: the grouped bootstrap interval of the coverage
 * difference holds the difference and excludes 0; identical arms give 0. */
START_TEST(compare_brackets_the_difference)
{
	enum { CREATORS = 10 };
	uint32_t cr[CREATORS];
	uint16_t tp[CREATORS];
	uint8_t q[CREATORS] = { 0 };
	struct exposure *e;
	struct exposure_page pg;
	struct exposure_diff d;
	struct error err;

	for (uint32_t i = 0; i < CREATORS; i++) {
		cr[i] = i;
		tp[i] = (uint16_t)(i % 3);
	}
	e = exposure_new(3, CREATORS, cr, tp, q, CREATORS, 3);
	for (uint32_t u = 0; u < 640; u++) {
		uint32_t page[2] = { u % CREATORS, (u + 1) % CREATORS }, narrow[2] = { 0, 1 };

		exposure_page(e, u % 2 ? 1 : 0, u, u % 2 ? narrow : page, 2, true, &pg);
		exposure_page(e, 2, u, page, 2, true, &pg);
	}
	ck_assert_int_eq(exposure_compare(e, 1, e, 0, EXPOSURE_CREATOR_COVERAGE, 200, 7, 0,
					  0.05, &d, &err), 0);
	ck_assert_double_eq_tol(d.t, 0.2, 1e-15);
	ck_assert_double_eq_tol(d.c, 1.0, 1e-15);
	ck_assert_double_eq_tol(d.diff, -0.8, 1e-15);
	ck_assert(d.diff_lo <= d.diff && d.diff <= d.diff_hi && d.diff_hi < 0);
	ck_assert_uint_eq(d.reps, 200);
	/* the same pages in both "worlds": paired resamples give exactly 0 */
	ck_assert_int_eq(exposure_compare(e, 2, e, 2, EXPOSURE_CREATOR_GINI, 200, 7, 0, 0.05, &d,
					  &err), 0);
	ck_assert_double_eq(d.diff, 0);
	ck_assert_double_eq(d.diff_lo, 0);
	ck_assert_double_eq(d.diff_hi, 0);
	/* same seed, same bits */
	{
		struct exposure_diff d2;

		ck_assert_int_eq(exposure_compare(e, 1, e, 0, EXPOSURE_CREATOR_GINI, 200, 7, 0, 0.05,
						  &d, &err), 0);
		ck_assert_int_eq(exposure_compare(e, 1, e, 0, EXPOSURE_CREATOR_GINI, 200, 7, 0, 0.05,
						  &d2, &err), 0);
		ck_assert(memcmp(&d, &d2, sizeof(d)) == 0);
	}
	exposure_free(e);
}
END_TEST

START_TEST(compare_refuses_bad_input)
{
	struct exposure *e = tiny();
	struct exposure_page pg;
	struct exposure_diff d;
	struct error err;
	const uint32_t a[2] = { 0, 3 };

	exposure_page(e, 0, 0, a, 2, true, &pg);
	ck_assert_int_eq(exposure_compare(e, 0, e, 0, EXPOSURE_TOPIC_COVERAGE, 10, 1, 0, 0.05, &d,
					  &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "at least 20 resamples"));
	/* arm 1 served nothing in the experiment period */
	ck_assert_int_eq(exposure_compare(e, 1, e, 0, EXPOSURE_TOPIC_COVERAGE, 50, 1, 0, 0.05, &d,
					  &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "no slot served"));
	ck_assert(isnan(exposure_high_quality_share(e, 1)));
	exposure_free(e);
}
END_TEST

START_TEST(hq_threshold_is_the_80th_percentile)
{
	/* scipy.stats.lognorm(s=0.5).ppf(0.8) = exp(0.5 * 0.841621) */
	ck_assert_double_eq_tol(exposure_hq_threshold(0.5), 1.5231957833792471, 1e-12);
	ck_assert_double_eq(exposure_hq_threshold(0), 1);
	ck_assert_str_eq(exposure_name(EXPOSURE_CREATOR_GINI), "creator_exposure_gini");
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, page_parts_by_hand);
	tcase_add_test(tc, aggregates_by_hand);
	tcase_add_test(tc, gini_extremes);
	tcase_add_test(tc, compare_brackets_the_difference);
	tcase_add_test(tc, compare_refuses_bad_input);
	tcase_add_test(tc, hq_threshold_is_the_80th_percentile);
}

CHECK_MAIN("exposure", add_tests, 60)
