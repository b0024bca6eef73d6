#ifndef AIRTIME_HASHTAB_H
#define AIRTIME_HASHTAB_H
/*
 * Open-addressing hash tables for integer keys on hot paths: one
 * implementation of probing, growth and deletion, instantiated per entry
 * type (Redis dict, Lua ltable: plain arrays, no allocation per insert).
 *
 * Shape.  An array of entries whose size is a power of two (at least 16),
 * linear probing from the home slot hash(key) & (size - 1), load at most
 * 1/2: an insert that would pass it first doubles the array and rehashes
 * (the only allocation; amortised O(1), never per insert).  Deletion
 * shifts the following entries back (no tombstones, so probes stay short
 * under churn).  No entry straddles two cache lines (entries of 4, 8 or
 * 16 bytes at malloc's alignment, larger ones in line-aligned storage:
 * hashtab_alloc), and an entry keeps its key and value side by side: one
 * miss per probe.
 *
 * Iteration order is the slot order: a function of the hash and of the
 * history of inserts and deletes, the same for the same sequence of calls
 * but otherwise unspecified.  Results must never depend on it: sort what
 * you iterate (by key) before it reaches any output.
 *
 * Entry pointers are valid until the next insert (which may grow the
 * array) or delete (which moves entries).  Tables are not thread-safe;
 * concurrent readers of a table nobody writes are fine.
 *
 * Two ways in:
 *
 * 1. struct hashtab_u64: a ready-made map from any uint64_t key (0 and
 *    UINT64_MAX included) to a uint64_t value, out of line (hashtab.c).
 *
 * 2. HASHTAB_DECLARE(name, entry_t) then HASHTAB_DEFINE(name, entry_t,
 *    key_t): a typed table of the caller's entries, every function static
 *    inline.  Between the two, the includer defines four hooks:
 *
 *      static inline uint64_t name_hash(key_t key);
 *          the key's hash; home slot = hash & (size - 1), so the low bits
 *          must be mixed (hashtab_mix64), unless the caller wants
 *          neighbouring keys in neighbouring slots on purpose;
 *      static inline bool name_used(const entry_t *e);
 *          false for an all-zero entry (empty slots are zero bytes);
 *      static inline bool name_match(const struct name *t, const entry_t *e, key_t key);
 *          whether used entry e holds key;
 *      static inline uint64_t name_entry_hash(const struct name *t, const entry_t *e);
 *          name_hash() of the key e holds (for growth and deletion).
 *
 *    The hooks get the table, whose `ctx` (the caller's, untouched by the
 *    table) lets an index table keep only row numbers in its slots and
 *    compare keys stored elsewhere.  The generated functions:
 *
 *      void name_init(t, slots)         empty table of at least `slots` slots
 *      void name_release(t)             frees the array (t may be re-inited)
 *      void name_reset(t)               empties it, keeps the array
 *      void name_reserve(t, n)          room for n entries without growth
 *      size_t name_count(t)             entries held
 *      size_t name_slots(t)             size of the array
 *      entry_t *name_home(t, key)       key's home slot (to prefetch)
 *      entry_t *name_probe(t, key)      the entry holding key, or the empty
 *                                       slot where it would go (name_used
 *                                       tells which)
 *      entry_t *name_find(t, key)       the entry holding key, or NULL
 *      entry_t *name_claim(t, e, key)   take e (name_probe's empty answer,
 *                                       nothing inserted since) for key:
 *                                       grows first when needed; returns
 *                                       the zeroed entry, which the caller
 *                                       fills (key, and whatever makes it
 *                                       used) before the next table call
 *      entry_t *name_get(t, key, &new)  find, or probe and claim
 *      void name_remove(t, e)           delete entry e (a used slot)
 *      entry_t *name_next(t, e)         iteration: the used entry after e
 *                                       (NULL: the first), NULL at the end
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* Smallest table, in slots. */
#define HASHTAB_MIN_SLOTS 16

/* 2^64 / golden ratio: Fibonacci hashing's multiplier. */
#define HASHTAB_GOLDEN UINT64_C(0x9E3779B97F4A7C15)

/* A full-avalanche mixer of 64-bit integers (splitmix64's finalizer):
 * every input bit changes each output bit with probability about 1/2, so
 * the low bits are good slot numbers for any key pattern. */
static inline uint64_t hashtab_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xBF58476D1CE4E5B9);
	x ^= x >> 27;
	x *= UINT64_C(0x94D049BB133111EB);
	return x ^ (x >> 31);
}

/* A hash of a two-word key (e.g. a packed pair and a time). */
static inline uint64_t hashtab_mix2(uint64_t a, uint64_t b)
{
	return hashtab_mix64(a * HASHTAB_GOLDEN ^ b);
}

/* The smallest power of two >= n, at least HASHTAB_MIN_SLOTS. */
static inline size_t hashtab_pow2(size_t n)
{
	size_t p = HASHTAB_MIN_SLOTS;

	while (p < n)
		p *= 2;
	return p;
}

/* Whether the entry at slot j, whose home is k, may move back into the
 * hole at slot i (i before j in probe order): its home is not in (i, j]. */
static inline bool hashtab_may_fill(size_t i, size_t j, size_t k)
{
	return j > i ? (k <= i || k > j) : (k <= i && k > j);
}

/* A zeroed slot array.  Entries of up to 16 bytes never straddle a cache
 * line at malloc's 16-byte alignment; larger ones get line-aligned
 * storage.  Both are huge-page advised when large (common/xalloc.h). */
static inline void *hashtab_alloc(size_t slots, size_t entry_size)
{
	return entry_size <= 16 && 64 % entry_size == 0 ? xcalloc_large(slots, entry_size)
							 : xcalloc_aligned(slots, entry_size);
}

#define HASHTAB_DECLARE(name, entry_t)                                                   \
	struct name {                                                                    \
		entry_t *slot;                                                           \
		size_t mask;       /* slots - 1 */                                       \
		size_t n;          /* entries held */                                    \
		const void *ctx;   /* the caller's, for its hooks */                     \
	}

#define HASHTAB_DEFINE(name, entry_t, key_t)                                             \
	static inline void name##_init(struct name *t, size_t slots)                     \
	{                                                                                \
		size_t sz = hashtab_pow2(slots);                                         \
                                                                                         \
		t->slot = hashtab_alloc(sz, sizeof(entry_t));                            \
		t->mask = sz - 1;                                                        \
		t->n = 0;                                                                \
	}                                                                                \
                                                                                         \
	static inline void name##_release(struct name *t)                                \
	{                                                                                \
		free(t->slot);                                                           \
		t->slot = NULL;                                                          \
		t->mask = 0;                                                             \
		t->n = 0;                                                                \
	}                                                                                \
                                                                                         \
	static inline void name##_reset(struct name *t)                                  \
	{                                                                                \
		memset(t->slot, 0, (t->mask + 1) * sizeof(entry_t));                     \
		t->n = 0;                                                                \
	}                                                                                \
                                                                                         \
	static inline size_t name##_count(const struct name *t) { return t->n; }         \
	static inline size_t name##_slots(const struct name *t) { return t->mask + 1; }  \
                                                                                         \
	static inline entry_t *name##_home(const struct name *t, key_t key)              \
	{                                                                                \
		return &t->slot[(size_t)name##_hash(key) & t->mask];                     \
	}                                                                                \
                                                                                         \
	static inline entry_t *name##_probe(const struct name *t, key_t key)             \
	{                                                                                \
		size_t i = (size_t)name##_hash(key) & t->mask;                           \
                                                                                         \
		for (;;) {                                                               \
			entry_t *e = &t->slot[i];                                        \
                                                                                         \
			if (!name##_used(e) || name##_match(t, e, key))                  \
				return e;                                                \
			i = (i + 1) & t->mask;                                           \
		}                                                                        \
	}                                                                                \
                                                                                         \
	static inline entry_t *name##_find(const struct name *t, key_t key)              \
	{                                                                                \
		entry_t *e = name##_probe(t, key);                                       \
                                                                                         \
		return name##_used(e) ? e : NULL;                                        \
	}                                                                                \
                                                                                         \
	/* Rebuild into `slots` slots (a power of two holding every entry). */           \
	static __attribute__((noinline, unused)) void name##_rehash(struct name *t, \
									    size_t slots)      \
	{                                                                                \
		entry_t *old = t->slot;                                                  \
		size_t n_old = t->mask + 1;                                              \
                                                                                         \
		t->slot = hashtab_alloc(slots, sizeof(entry_t));                         \
		t->mask = slots - 1;                                                     \
		for (size_t k = 0; k < n_old; k++) {                                     \
			size_t i;                                                        \
                                                                                         \
			if (!name##_used(&old[k]))                                       \
				continue;                                                \
			i = (size_t)name##_entry_hash(t, &old[k]) & t->mask;             \
			while (name##_used(&t->slot[i]))                                 \
				i = (i + 1) & t->mask;                                   \
			t->slot[i] = old[k];                                             \
		}                                                                        \
		free(old);                                                               \
	}                                                                                \
                                                                                         \
	static inline void name##_reserve(struct name *t, size_t n)                      \
	{                                                                                \
		if (2 * n > t->mask + 1)                                                 \
			name##_rehash(t, hashtab_pow2(2 * n));                           \
	}                                                                                \
                                                                                         \
	static inline entry_t *name##_claim(struct name *t, entry_t *e, key_t key)       \
	{                                                                                \
		if (2 * (t->n + 1) > t->mask + 1) {                                      \
			name##_rehash(t, 2 * (t->mask + 1));                             \
			e = name##_probe(t, key);                                        \
		}                                                                        \
		t->n++;                                                                  \
		return e;                                                                \
	}                                                                                \
                                                                                         \
	static inline entry_t *name##_get(struct name *t, key_t key, bool *fresh)        \
	{                                                                                \
		entry_t *e = name##_probe(t, key);                                       \
                                                                                         \
		*fresh = !name##_used(e);                                                \
		return *fresh ? name##_claim(t, e, key) : e;                             \
	}                                                                                \
                                                                                         \
	static inline void name##_remove(struct name *t, entry_t *e)                     \
	{                                                                                \
		size_t i = (size_t)(e - t->slot), j = i;                                 \
                                                                                         \
		for (;;) {                                                               \
			const entry_t *f;                                                \
                                                                                         \
			j = (j + 1) & t->mask;                                           \
			f = &t->slot[j];                                                 \
			if (!name##_used(f))                                             \
				break;                                                   \
			if (hashtab_may_fill(i, j,                                       \
					     (size_t)name##_entry_hash(t, f) & t->mask)) { \
				t->slot[i] = *f;                                         \
				i = j;                                                   \
			}                                                                \
		}                                                                        \
		memset(&t->slot[i], 0, sizeof(entry_t));                                 \
		t->n--;                                                                  \
	}                                                                                \
                                                                                         \
	static inline entry_t *name##_next(const struct name *t, const entry_t *e)       \
	{                                                                                \
		size_t i = e ? (size_t)(e - t->slot) + 1 : 0;                            \
                                                                                         \
		for (; i <= t->mask; i++)                                                \
			if (name##_used(&t->slot[i]))                                    \
				return &t->slot[i];                                      \
		return NULL;                                                             \
	}

/* ---- the ready-made map: uint64_t -> uint64_t ---- */

/* Key 0 lives beside the array (an all-zero slot is empty), so every key
 * is allowed.  Fields are private. */
struct hashtab_u64_entry {
	uint64_t key, value;
};
HASHTAB_DECLARE(hashtab_u64_core, struct hashtab_u64_entry);
struct hashtab_u64 {
	struct hashtab_u64_core core;
	bool has_zero;
	uint64_t zero_value;
};

/* An empty map with room for `n` keys before it grows. */
void hashtab_u64_init(struct hashtab_u64 *m, size_t n);
/* Free the map's storage (then init again to reuse). */
void hashtab_u64_release(struct hashtab_u64 *m);
/* Remove every key, keep the storage. */
void hashtab_u64_reset(struct hashtab_u64 *m);
/* Keys held. */
size_t hashtab_u64_count(const struct hashtab_u64 *m);
/* Set key's value; true when the key was new. */
bool hashtab_u64_put(struct hashtab_u64 *m, uint64_t key, uint64_t value);
/* Whether key is held; its value into *value (may be NULL). */
bool hashtab_u64_get(const struct hashtab_u64 *m, uint64_t key, uint64_t *value);
/* Remove key; false when it was not held. */
bool hashtab_u64_remove(struct hashtab_u64 *m, uint64_t key);
/* Iteration (unspecified order, see above): start with *pos = 0; each call
 * gives the next key and value and returns true, false at the end.  The
 * map must not change during an iteration. */
bool hashtab_u64_next(const struct hashtab_u64 *m, size_t *pos, uint64_t *key, uint64_t *value);

#endif
