/* Tests for common/strbuf.c: the lifecycle, appends, growth, and the
 * always-terminated invariant. */
#include "common/strbuf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check_main.h"

/* buf[len] == '\0' and len < alloc (or the shared empty string). */
static void check_invariant(const struct strbuf *sb)
{
	ck_assert_ptr_nonnull(sb->buf);
	ck_assert_int_eq(sb->buf[sb->len], '\0');
	if (sb->alloc)
		ck_assert_uint_lt(sb->len, sb->alloc);
	else
		ck_assert_uint_eq(sb->len, 0);
}

START_TEST(empty_buffers_allocate_nothing)
{
	struct strbuf a = STRBUF_INIT, b;
	char *s;
	size_t len = 99;

	check_invariant(&a);
	ck_assert_str_eq(a.buf, "");
	ck_assert_uint_eq(a.alloc, 0);
	strbuf_init(&b, 0);
	check_invariant(&b);
	strbuf_reset(&a);           /* no write to the shared empty string */
	strbuf_setlen(&a, 0);
	strbuf_add(&a, "x", 0);
	check_invariant(&a);
	ck_assert_uint_eq(a.alloc, 0);
	s = strbuf_detach(&a, &len);   /* a fresh empty string, the caller's */
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(len, 0);
	free(s);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&b);            /* releasing twice is harmless */
	check_invariant(&b);
}
END_TEST

START_TEST(appends_and_formats)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "id");
	strbuf_addch(&sb, ',');
	strbuf_addf(&sb, "%d-%s", 42, "x");
	strbuf_add(&sb, "abc", 2);
	check_invariant(&sb);
	ck_assert_str_eq(sb.buf, "id,42-xab");
	ck_assert_uint_eq(sb.len, 9);
	strbuf_setlen(&sb, 2);
	ck_assert_str_eq(sb.buf, "id");
	strbuf_reset(&sb);
	ck_assert_str_eq(sb.buf, "");
	ck_assert_uint_gt(sb.alloc, 0);   /* reset keeps the storage */
	strbuf_addf(&sb, "%s", "");
	check_invariant(&sb);
	ck_assert_uint_eq(sb.len, 0);
	strbuf_release(&sb);
	ck_assert_uint_eq(sb.alloc, 0);
	check_invariant(&sb);
}
END_TEST

/* Growth past several doublings, by each kind of append, byte-exact
 * against a plain reference buffer; a formatted append exactly at, one
 * below and one above the room left. */
START_TEST(growth_is_exact)
{
	struct strbuf sb = STRBUF_INIT;
	char *want = calloc(1 << 22, 1);   /* room for alloc + 2 bytes below */
	size_t n = 0;

	for (int i = 0; n < (1 << 19); i++) {
		char piece[64];
		int k = snprintf(piece, sizeof(piece), "<%d:%x>", i, (unsigned)i * 2654435761u);

		switch (i % 3) {
		case 0: strbuf_addf(&sb, "<%d:%x>", i, (unsigned)i * 2654435761u); break;
		case 1: strbuf_addstr(&sb, piece); break;
		default:
			for (int j = 0; j < k; j++)
				strbuf_addch(&sb, piece[j]);
		}
		memcpy(want + n, piece, (size_t)k);
		n += (size_t)k;
		check_invariant(&sb);
	}
	ck_assert_uint_eq(sb.len, n);
	ck_assert(memcmp(sb.buf, want, n) == 0);
	for (size_t room = 0; room < 3; room++) {
		size_t left;

		strbuf_reset(&sb);
		left = sb.alloc - 1;   /* bytes that fit before the terminator */
		ck_assert_uint_lt(left + 2, 1 << 22);
		memset(want, 'y', left + 2);
		strbuf_addf(&sb, "%.*s", (int)(left - 1 + room), want);
		check_invariant(&sb);
		ck_assert_uint_eq(sb.len, left - 1 + room);
	}
	strbuf_release(&sb);
	free(want);
}
END_TEST

START_TEST(binary_bytes_and_detach)
{
	struct strbuf sb;
	char *s;
	size_t len;

	strbuf_init(&sb, 3);
	ck_assert_uint_ge(sb.alloc, 4);
	strbuf_add(&sb, "a\0b", 3);
	ck_assert_uint_eq(sb.len, 3);
	ck_assert(memcmp(sb.buf, "a\0b", 4) == 0);
	strbuf_grow(&sb, 1000);
	ck_assert_uint_ge(sb.alloc, sb.len + 1001);
	s = strbuf_detach(&sb, &len);
	ck_assert_uint_eq(len, 3);
	ck_assert(memcmp(s, "a\0b", 4) == 0);
	free(s);
	check_invariant(&sb);
	ck_assert_uint_eq(sb.alloc, 0);
	strbuf_addstr(&sb, "again");   /* usable after detach */
	ck_assert_str_eq(sb.buf, "again");
	strbuf_release(&sb);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, empty_buffers_allocate_nothing);
	tcase_add_test(tc, appends_and_formats);
	tcase_add_test(tc, growth_is_exact);
	tcase_add_test(tc, binary_bytes_and_detach);
}

CHECK_MAIN("strbuf", add_tests, 30)
