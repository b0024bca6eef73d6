#ifndef AIRTIME_RADIX_H
#define AIRTIME_RADIX_H
/*
 * Stable LSD radix sorts on 64-bit keys: bare keys, or records of any size
 * carrying their key at a fixed offset (key and payload move together).
 *
 * Ascending, stable (equal keys keep their input order), so the output is
 * the only stable order of the input: the same input always gives the same
 * bytes, whatever the digit width or path taken inside.  Digits are 16
 * bits (8 for fewer than 65,536 items, insertion sort below 32); a pass
 * whose digit is the same for every item is skipped, so dense or packed
 * keys (ids, user << 32 | x) cost one or two passes, not four.
 *
 * Scratch: a struct radix holds the buffer and counters between sorts, so
 * a caller that sorts every day allocates nothing once warmed up
 * (radix_init / radix_release; storage the caller owns).  Passing NULL
 * instead allocates scratch for that call only.
 */
#include <stddef.h>
#include <stdint.h>

struct radix {
	void *tmp;             /* a copy of the input, bytes */
	size_t tmp_cap;
	size_t *count;         /* 65,536 digit counters, allocated on first use */
};

/* How a record's key is read. */
enum radix_key {
	RADIX_U64,             /* uint64_t, unsigned order */
	RADIX_I64,             /* int64_t, signed order */
};

/* Empty scratch. */
void radix_init(struct radix *r);
/* Free the scratch (then init again to reuse). */
void radix_release(struct radix *r);

/* The scratch buffer, at least `bytes` long, lent to the caller between
 * sorts (the next sort overwrites it; the pointer is valid until then):
 * a caller that compacts its data before sorting needs no second buffer.
 * Never sort the scratch itself. */
void *radix_scratch(struct radix *r, size_t bytes);

/* Sort n keys ascending. */
void radix_sort_u64(uint64_t *a, size_t n, struct radix *r);

/* Sort n records of `size` bytes by the key at byte offset key_off (need
 * not be aligned), ascending and stable; records move whole. */
void radix_sort_records(void *a, size_t n, size_t size, size_t key_off, enum radix_key kind,
			struct radix *r);

#endif
