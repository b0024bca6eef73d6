/* Tests for common/radix.c: ascending and stable for every size class and
 * digit path, against qsort on (key, input position), with fixed seeds. */
#include "common/radix.h"

#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "tests/check_main.h"

/* Sizes across the paths: insertion (<= 32), 8-bit digits (< 65,536),
 * 16-bit digits. */
static const size_t sizes[] = { 0, 1, 2, 3, 31, 32, 33, 1000, 65535, 65536, 150000 };

/* Keys with few distinct values (many ties, to test stability), or dense
 * (constant high digits, skipped passes), or full 64-bit. */
static uint64_t draw_key(struct rng *g, int kind)
{
	switch (kind) {
	case 0: return rng_below(g, 50);
	case 1: return (uint64_t)rng_below(g, 3) << 60 | rng_below(g, 1000);
	case 2: return rng_u64(g);
	default: {
		static const uint64_t edge[] = { 0, 1, UINT64_MAX, (uint64_t)1 << 63,
						 ((uint64_t)1 << 63) - 1 };
		return edge[rng_below(g, 5)];
	}
	}
}

struct ref {
	uint64_t key;   /* in sort order (signed keys already flipped) */
	uint64_t pos;
};

static int ref_cmp(const void *pa, const void *pb)
{
	const struct ref *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return (a->pos > b->pos) - (a->pos < b->pos);
}

START_TEST(u64_keys_sorted_like_qsort)
{
	struct radix r;
	struct rng g;

	radix_init(&r);
	rng_init(&g, 99, RNG_TEST, 0, 0);
	for (size_t si = 0; si < sizeof(sizes) / sizeof(*sizes); si++)
		for (int kind = 0; kind < 4; kind++) {
			size_t n = sizes[si];
			uint64_t *a = calloc(n + 1, sizeof(*a));
			struct ref *want = calloc(n + 1, sizeof(*want));

			for (size_t i = 0; i < n; i++) {
				a[i] = draw_key(&g, kind);
				want[i] = (struct ref){ a[i], i };
			}
			qsort(want, n, sizeof(*want), ref_cmp);
			/* with scratch, and without (NULL: per call) */
			radix_sort_u64(a, n, (si + (size_t)kind) % 2 ? &r : NULL);
			for (size_t i = 0; i < n; i++)
				if ((a[i]) != (want[i].key))
					ck_assert_uint_eq(a[i], want[i].key);
			free(a);
			free(want);
		}
	radix_release(&r);
}
END_TEST

/* Records of several sizes (the fixed-size paths and the generic one),
 * key at an unaligned offset, payload = input position: the output is the
 * stable order exactly. */
START_TEST(records_are_stable_for_every_size)
{
	static const size_t rec_sizes[] = { 8, 16, 24, 32, 12, 40, 300 };
	struct radix r;
	struct rng g;

	radix_init(&r);
	rng_init(&g, 2024, RNG_TEST, 1, 0);
	for (size_t zi = 0; zi < sizeof(rec_sizes) / sizeof(*rec_sizes); zi++)
		for (size_t si = 0; si < sizeof(sizes) / sizeof(*sizes); si++) {
			size_t size = rec_sizes[zi], n = sizes[si];
			size_t off = size == 8 ? 0 : size == 12 ? 3 : size == 16 ? 8 : size - 11;
			int kind = (int)((zi + si) % 4);
			unsigned char *a = calloc(n + 1, size);
			struct ref *want = calloc(n + 1, sizeof(*want));

			if (n > 20000 && size > 40)
				n = 20000;   /* keep the test short */
			for (size_t i = 0; i < n; i++) {
				uint64_t k = draw_key(&g, kind), pos = i;
				unsigned char *p = a + i * size;

				memset(p, (int)(i & 0xff), size);
				memcpy(p + off, &k, 8);
				if (size >= 16)   /* the position, before the key */
					memcpy(p, &pos, 8);
				want[i] = (struct ref){ k, i };
			}
			qsort(want, n, sizeof(*want), ref_cmp);
			radix_sort_records(a, n, size, off, RADIX_U64, &r);
			for (size_t i = 0; i < n; i++) {
				uint64_t k, pos;
				const unsigned char *p = a + i * size;

				memcpy(&k, p + off, 8);
				if ((k) != (want[i].key))
					ck_assert_uint_eq(k, want[i].key);
				if (size >= 16) {
					memcpy(&pos, p, 8);
					if ((pos) != (want[i].pos))
						ck_assert_uint_eq(pos, want[i].pos);
				}
			}
			free(a);
			free(want);
		}
	radix_release(&r);
}
END_TEST

struct srec {
	int64_t key;
	uint64_t pos;
};

START_TEST(signed_keys_in_signed_order)
{
	enum { N = 70000 };
	struct srec *a = calloc(N, sizeof(*a));
	struct rng g;

	rng_init(&g, 5, RNG_TEST, 2, 0);
	for (size_t i = 0; i < N; i++) {
		int64_t k = (int64_t)rng_below(&g, 2000) - 1000;

		if (i % 97 == 0)
			k = i % 2 ? INT64_MIN : INT64_MAX;
		a[i] = (struct srec){ k, i };
	}
	radix_sort_records(a, N, sizeof(*a), offsetof(struct srec, key), RADIX_I64, NULL);
	for (size_t i = 1; i < N; i++) {
		if (!(a[i - 1].key <= a[i].key))
			ck_assert(a[i - 1].key <= a[i].key);
		if (a[i - 1].key == a[i].key)
			if ((a[i - 1].pos) >= (a[i].pos))
				ck_assert_uint_lt(a[i - 1].pos, a[i].pos);
	}
	ck_assert(a[0].key == INT64_MIN && a[N - 1].key == INT64_MAX);
	free(a);
}
END_TEST

START_TEST(already_sorted_and_reversed)
{
	enum { N = 100000 };
	uint64_t *a = calloc(N, sizeof(*a));

	for (size_t i = 0; i < N; i++)
		a[i] = N - i;
	radix_sort_u64(a, N, NULL);
	for (size_t i = 0; i < N; i++)
		if ((a[i]) != (i + 1))
			ck_assert_uint_eq(a[i], i + 1);
	radix_sort_u64(a, N, NULL);
	for (size_t i = 0; i < N; i++)
		if ((a[i]) != (i + 1))
			ck_assert_uint_eq(a[i], i + 1);
	free(a);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, u64_keys_sorted_like_qsort);
	tcase_add_test(tc, records_are_stable_for_every_size);
	tcase_add_test(tc, signed_keys_in_signed_order);
	tcase_add_test(tc, already_sorted_and_reversed);
}

CHECK_MAIN("radix", add_tests, 120)
