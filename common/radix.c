/* Stable LSD radix sorts; see radix.h. */
#include "common/radix.h"

#include "common/error.h"
#include "common/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define INSERTION_MAX 32
#define SMALL_MAX 65536    /* below: 8-bit digits (a 2 KB histogram) */

void radix_init(struct radix *r)
{
	memset(r, 0, sizeof(*r));
}

void radix_release(struct radix *r)
{
	free(r->tmp);
	free(r->count);
	radix_init(r);
}

static void *tmp_reserve(struct radix *r, size_t bytes)
{
	if (bytes > r->tmp_cap) {
		free(r->tmp);
		r->tmp_cap = bytes + bytes / 2;
		r->tmp = xmalloc(r->tmp_cap);
	}
	return r->tmp;
}

void *radix_scratch(struct radix *r, size_t bytes)
{
	return tmp_reserve(r, bytes ? bytes : 1);
}

/* The key of the record at p, as an unsigned number in sort order. */
static inline uint64_t key_at(const unsigned char *p, size_t off, uint64_t flip)
{
	uint64_t k;

	memcpy(&k, p + off, sizeof(k));
	return k ^ flip;
}

/*
 * The sort, instantiated per record size so that the copies are fixed-size
 * moves (a bare key is a record of 8 bytes at offset 0).  One pass per
 * digit: count, skip when one bucket holds everything, prefix sums,
 * scatter; src and dst swap, and an odd number of passes copies back.
 */
#define RADIX_DEFINE(fname, SIZE)                                                         \
	static void fname(unsigned char *a, size_t n, size_t size, size_t off, uint64_t flip, \
			  struct radix *r)                                                \
	{                                                                                 \
		const size_t sz = (SIZE) ? (SIZE) : size;                                 \
		unsigned char *src = a, *dst;                                             \
		size_t small[256], *count;                                                \
		unsigned bits;                                                            \
                                                                                          \
		if (n <= INSERTION_MAX) {                                                 \
			unsigned char x[256], *hold = x;                                  \
                                                                                          \
			if (sz > sizeof(x))                                               \
				hold = tmp_reserve(r, sz);                                \
			for (size_t i = 1; i < n; i++) {                                  \
				uint64_t k = key_at(a + i * sz, off, flip);               \
				size_t j = i;                                             \
                                                                                          \
				if (key_at(a + (i - 1) * sz, off, flip) <= k)             \
					continue;                                         \
				memcpy(hold, a + i * sz, sz);                             \
				for (; j > 0 && key_at(a + (j - 1) * sz, off, flip) > k; j--) \
					memcpy(a + j * sz, a + (j - 1) * sz, sz);         \
				memcpy(a + j * sz, hold, sz);                             \
			}                                                                 \
			return;                                                           \
		}                                                                         \
		dst = tmp_reserve(r, n * sz);                                             \
		if (n < SMALL_MAX) {                                                      \
			bits = 8;                                                         \
			count = small;                                                    \
		} else {                                                                  \
			bits = 16;                                                        \
			if (!r->count)                                                    \
				r->count = xmalloc(((size_t)1 << 16) * sizeof(*r->count)); \
			count = r->count;                                                 \
		}                                                                         \
		const size_t radix = (size_t)1 << bits, dmask = radix - 1;                \
                                                                                          \
		for (unsigned shift = 0; shift < 64; shift += bits) {                     \
			size_t sum = 0;                                                   \
                                                                                          \
			memset(count, 0, radix * sizeof(*count));                         \
			for (size_t i = 0; i < n; i++)                                    \
				count[(key_at(src + i * sz, off, flip) >> shift) & dmask]++; \
			if (count[(key_at(src, off, flip) >> shift) & dmask] == n)        \
				continue;                                                 \
			for (size_t d = 0; d < radix; d++) {                              \
				size_t c = count[d];                                      \
                                                                                          \
				count[d] = sum;                                           \
				sum += c;                                                 \
			}                                                                 \
			for (size_t i = 0; i < n; i++) {                                  \
				size_t d = (key_at(src + i * sz, off, flip) >> shift) & dmask; \
                                                                                          \
				memcpy(dst + count[d]++ * sz, src + i * sz, sz);          \
			}                                                                 \
			unsigned char *x = src;                                           \
                                                                                          \
			src = dst;                                                        \
			dst = x;                                                          \
		}                                                                         \
		if (src != a)                                                             \
			memcpy(a, src, n * sz);                                           \
	}

RADIX_DEFINE(sort8, 8)
RADIX_DEFINE(sort16, 16)
RADIX_DEFINE(sort24, 24)
RADIX_DEFINE(sort32, 32)
RADIX_DEFINE(sort_any, 0)

static void sort(void *a, size_t n, size_t size, size_t off, uint64_t flip, struct radix *r)
{
	struct radix local;

	if (n < 2)
		return;
	if (!r) {
		radix_init(&local);
		r = &local;
	}
	switch (size) {
	case 8: sort8(a, n, size, off, flip, r); break;
	case 16: sort16(a, n, size, off, flip, r); break;
	case 24: sort24(a, n, size, off, flip, r); break;
	case 32: sort32(a, n, size, off, flip, r); break;
	default: sort_any(a, n, size, off, flip, r); break;
	}
	if (r == &local)
		radix_release(&local);
}

void radix_sort_u64(uint64_t *a, size_t n, struct radix *r)
{
	sort(a, n, sizeof(*a), 0, 0, r);
}

void radix_sort_records(void *a, size_t n, size_t size, size_t key_off, enum radix_key kind,
			struct radix *r)
{
	ASSERT(size >= sizeof(uint64_t) && key_off <= size - sizeof(uint64_t));
	sort(a, n, size, key_off, kind == RADIX_I64 ? UINT64_C(1) << 63 : 0, r);
}
