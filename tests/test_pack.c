/* Tests for common/pack.c: values come back bit for bit (NaN, -0 and
 * infinities included), strings and byte runs keep their lengths, and a
 * reader that runs out of bytes, meets a length longer than what is left,
 * or leaves bytes over fails with ERR_CORRUPT naming what it read. */
#include "common/pack.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check_main.h"

START_TEST(values_round_trip_bit_for_bit)
{
	struct pack p;
	struct unpack u;
	struct error err;
	const double d[] = { 0.1, -0.0, NAN, INFINITY, -INFINITY, 1e-310, 1.7976931348623157e308 };
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	int64_t i64;
	char *s;
	const void *b;
	size_t n;

	pack_init(&p);
	pack_u8(&p, 0xfe);
	pack_u32(&p, 0xdeadbeefu);
	pack_u64(&p, UINT64_MAX - 1);
	pack_i64(&p, INT64_MIN);
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		pack_f64(&p, d[i]);
	pack_str(&p, "seed-7");
	pack_str(&p, NULL);
	pack_bytes(&p, "a\0b", 3);
	pack_raw(&p, "xy", 2);
	ck_assert_uint_eq(p.len, 1 + 4 + 8 + 8 + 7 * 8 + (8 + 6) + 8 + (8 + 3) + 2);
	unpack_init(&u, p.data, p.len, "the test's pack");
	ck_assert_int_eq(unpack_u8(&u, &u8, &err), 0);
	ck_assert_uint_eq(u8, 0xfe);
	ck_assert_int_eq(unpack_u32(&u, &u32, &err), 0);
	ck_assert_uint_eq(u32, 0xdeadbeefu);
	ck_assert_int_eq(unpack_u64(&u, &u64, &err), 0);
	ck_assert(u64 == UINT64_MAX - 1);
	ck_assert_int_eq(unpack_i64(&u, &i64, &err), 0);
	ck_assert(i64 == INT64_MIN);
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		double v;

		ck_assert_int_eq(unpack_f64(&u, &v, &err), 0);
		ck_assert_int_eq(memcmp(&v, &d[i], sizeof(v)), 0);
	}
	ck_assert_int_eq(unpack_str(&u, &s, &err), 0);
	ck_assert_str_eq(s, "seed-7");
	free(s);
	ck_assert_int_eq(unpack_str(&u, &s, &err), 0);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_int_eq(unpack_bytes(&u, &b, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(memcmp(b, "a\0b", 3), 0);
	ck_assert_int_eq(unpack_end(&u, &err), ERR_CORRUPT);
	ck_assert_ptr_nonnull(strstr(err.msg, "2 bytes left over"));
	u.pos += 2;
	ck_assert_int_eq(unpack_end(&u, &err), 0);
	pack_release(&p);
}
END_TEST

/* Little-endian on the wire, whatever the host. */
START_TEST(integers_are_little_endian)
{
	struct pack p;
	static const unsigned char want[] = { 0x04, 0x03, 0x02, 0x01 };

	pack_init(&p);
	pack_u32(&p, 0x01020304u);
	ck_assert_int_eq(memcmp(p.data, want, 4), 0);
	pack_release(&p);
}
END_TEST

START_TEST(short_and_bad_input_is_corrupt)
{
	struct pack p;
	struct unpack u;
	struct error err;
	uint64_t v;
	char *s;
	const void *b;
	size_t n;

	pack_init(&p);
	pack_u32(&p, 7);
	unpack_init(&u, p.data, p.len, "cell 3's summary");
	ck_assert_int_eq(unpack_u64(&u, &v, &err), ERR_CORRUPT);
	ck_assert_ptr_nonnull(strstr(err.msg, "cell 3's summary is cut short"));
	/* a failed read consumes nothing */
	ck_assert_uint_eq(u.pos, 0);
	pack_reset(&p);
	pack_u64(&p, 1000); /* a length with 2 bytes behind it */
	pack_raw(&p, "ab", 2);
	unpack_init(&u, p.data, p.len, "a message");
	ck_assert_int_eq(unpack_bytes(&u, &b, &n, &err), ERR_CORRUPT);
	pack_reset(&p);
	pack_bytes(&p, "a\0b", 3);
	unpack_init(&u, p.data, p.len, "a message");
	ck_assert_int_eq(unpack_str(&u, &s, &err), ERR_CORRUPT);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err.msg, "NUL"));
	unpack_init(&u, NULL, 5, "nothing");
	ck_assert_int_eq(unpack_u8(&u, (uint8_t *)&v, &err), ERR_CORRUPT);
	pack_release(&p);
}
END_TEST

START_TEST(take_hands_the_bytes_over)
{
	struct pack p;
	size_t len;
	void *d;

	pack_init(&p);
	pack_str(&p, "x");
	d = pack_take(&p, &len);
	ck_assert_uint_eq(len, 9);
	ck_assert_ptr_null(p.data);
	ck_assert_uint_eq(p.len, 0);
	free(d);
	pack_release(&p); /* an empty pack: a no-op */
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, values_round_trip_bit_for_bit);
	tcase_add_test(tc, integers_are_little_endian);
	tcase_add_test(tc, short_and_bad_input_is_corrupt);
	tcase_add_test(tc, take_hands_the_bytes_over);
}

CHECK_MAIN("pack", add_tests, 10)
