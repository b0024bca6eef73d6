/* Tests for eval/implog.c: the session sample by hash (the same whatever
 * the arm, at the configured share within binomial bounds), pages logged
 * slot by slot with their feature rows, clicks labelling the latest page of
 * a session once, the row cap counted as dropped. */
#include "eval/implog.h"

#include <check.h>
#include <math.h>
#include <string.h>

#include "tests/check_main.h"

/* 100,000 sessions at share 0.1: the count is Binomial(1e5, 0.1) if the
 * hash is uniform, sd 94.9; we allow 5 sd.  The sample depends only on
 * (salt, session): two logs with one salt agree; another salt differs. */
START_TEST(sample_share_and_stability)
{
	struct implog *a = implog_new(2, 10, 0.1, 77), *b = implog_new(5, 1, 0.1, 77);
	struct implog *c = implog_new(2, 10, 0.1, 78);
	struct implog *all = implog_new(1, 1, 1.0, 1), *none = implog_new(1, 1, 0.0, 1);
	size_t n = 0, differ = 0;

	for (uint32_t s = 0; s < 100000; s++) {
		bool in = implog_sampled(a, s);

		n += in;
		ck_assert(in == implog_sampled(b, s));
		differ += in != implog_sampled(c, s);
		ck_assert(implog_sampled(all, s));
		ck_assert(!implog_sampled(none, s));
	}
	ck_assert_msg(fabs((double)n - 10000) < 5 * 94.9, "%zu sampled", n);
	ck_assert_uint_gt(differ, 1000);
	implog_free(a);
	implog_free(b);
	implog_free(c);
	implog_free(all);
	implog_free(none);
	implog_free(NULL);
}
END_TEST

START_TEST(pages_are_logged_with_their_rows)
{
	struct implog *l = implog_new(3, 100, 1.0, 1);
	const float r0[] = { 1, 2, 3 }, r1[] = { 4, 5, 6 }, r2[] = { 7, 8, 9 };
	const float *rows[] = { r0, r1, r2 };
	const uint32_t shows[] = { 30, 10, 20 };

	ck_assert(implog_first_time(l) == SIMTIME_NEVER);
	implog_page(l, 4, 0, 1000, shows, rows, 3, false);
	implog_begin_page(l, 1);
	implog_row(l, 5, 1, 2000, 10, r2, 7, true);     /* a slot of a later screen */
	ck_assert_uint_eq(implog_rows(l), 4);
	ck_assert_uint_eq(implog_stride(l), 3);
	ck_assert(memcmp(implog_features(l), (const float[]){ 1, 2, 3, 4, 5, 6, 7, 8, 9, 7, 8, 9 },
			 12 * sizeof(float)) == 0);
	ck_assert_uint_eq(implog_shows(l)[0], 30);
	ck_assert_uint_eq(implog_users(l)[3], 5);
	ck_assert_uint_eq(implog_positions(l)[1], 1);
	ck_assert_uint_eq(implog_positions(l)[3], 7);
	ck_assert(implog_times(l)[3] == 2000);
	ck_assert(implog_first_time(l) == 1000);
	ck_assert(implog_last_time(l) == 2000);
	for (size_t i = 0; i < 4; i++)
		ck_assert_double_eq(implog_labels(l)[i], 0);
	implog_features_mut(l)[0] = 42;
	ck_assert_double_eq(implog_features(l)[0], 42);
	implog_free(l);
}
END_TEST

/* A click labels the matching slot of the session's latest page, once;
 * clicks of unknown sessions or shows not on the page change nothing. */
START_TEST(clicks_label_the_latest_page_once)
{
	struct implog *l = implog_new(1, 100, 1.0, 1);
	const float r[] = { 0 };
	const float *rows[] = { r, r };
	const uint32_t first[] = { 1, 2 }, second[] = { 2, 3 };

	implog_page(l, 0, 5, 10, first, rows, 2, false);
	implog_page(l, 0, 5, 20, second, rows, 2, false);   /* a continuation's page */
	implog_click(l, 5, 2);
	ck_assert_double_eq(implog_labels(l)[1], 0);         /* the first page's show 2 */
	ck_assert_double_eq(implog_labels(l)[2], 1);
	implog_click(l, 5, 2);                               /* once */
	implog_click(l, 5, 1);                               /* not on the latest page */
	implog_click(l, 9, 2);                               /* a session never logged */
	implog_click(l, 1000000, 2);
	ck_assert_uint_eq(implog_positives(l), 1);
	for (size_t i = 0; i < 4; i++)
		ck_assert_double_eq(implog_labels(l)[i], i == 2);
	implog_free(l);
}
END_TEST

START_TEST(rows_beyond_the_cap_are_counted_as_dropped)
{
	struct implog *l = implog_new(1, 3, 1.0, 1);
	const float r[] = { 0 };
	const float *rows[] = { r, r };
	const uint32_t shows[] = { 1, 2 };

	implog_page(l, 0, 0, 10, shows, rows, 2, false);
	implog_page(l, 0, 1, 20, shows, rows, 2, false);
	implog_page(l, 0, 2, 30, shows, rows, 2, false);
	ck_assert_uint_eq(implog_rows(l), 3);
	ck_assert_uint_eq(implog_dropped(l), 3);
	implog_click(l, 1, 1);
	implog_click(l, 1, 2);                               /* its row was dropped */
	ck_assert_uint_eq(implog_positives(l), 1);
	implog_free(l);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, sample_share_and_stability);
	tcase_add_test(tc, pages_are_logged_with_their_rows);
	tcase_add_test(tc, clicks_label_the_latest_page_once);
	tcase_add_test(tc, rows_beyond_the_cap_are_counted_as_dropped);
}

CHECK_MAIN("implog", add_tests, 30)
