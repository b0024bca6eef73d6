/* Tests for common/xalloc.c: zeroed and zero-size allocations, strings,
 * growth by XGROW keeping contents, and an overflowing size aborting
 * rather than allocating too little. */
#include "common/xalloc.h"

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check_main.h"

START_TEST(allocations_are_usable_and_zeroed)
{
	unsigned char *p = xcalloc(1000, 4), *q = xcalloc_large(3 << 20, 1);
	void *z = xmalloc(0), *zc = xcalloc(0, 8);

	for (size_t i = 0; i < 4000; i++)
		ck_assert_uint_eq(p[i], 0);
	for (size_t i = 0; i < (3u << 20); i += 4093)
		ck_assert_uint_eq(q[i], 0);
	ck_assert_ptr_nonnull(z);               /* size 0 still gives a pointer */
	ck_assert_ptr_nonnull(zc);
	free(p);
	free(q);
	free(z);
	free(zc);
}
END_TEST

START_TEST(strings)
{
	char *s = xstrdup("airtime"), *f = xasprintf("%s-%03d", s, 7), *e = xasprintf("%s", "");

	ck_assert_str_eq(s, "airtime");
	ck_assert_str_eq(f, "airtime-007");
	ck_assert_str_eq(e, "");
	free(s);
	free(f);
	free(e);
}
END_TEST

/* XGROW doubles from 16 to at least n and keeps what was there. */
START_TEST(xgrow_keeps_contents)
{
	int *a = NULL;
	size_t cap = 0;

	XGROW(a, 1, cap);
	ck_assert_uint_eq(cap, 16);
	for (int i = 0; i < 16; i++)
		a[i] = i;
	XGROW(a, 16, cap);
	ck_assert_uint_eq(cap, 16);
	XGROW(a, 100, cap);
	ck_assert_uint_eq(cap, 128);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(a[i], i);
	a = xreallocarray(a, 0, sizeof(*a));     /* size 0: a valid pointer */
	ck_assert_ptr_nonnull(a);
	free(a);
}
END_TEST

START_TEST(an_overflowing_size_aborts)
{
	void *p = xreallocarray(NULL, SIZE_MAX / 2, 4);

	free(p);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, allocations_are_usable_and_zeroed);
	tcase_add_test(tc, strings);
	tcase_add_test(tc, xgrow_keeps_contents);
	tcase_add_test_raise_signal(tc, an_overflowing_size_aborts, SIGABRT);
}

CHECK_MAIN("xalloc", add_tests, 30)
