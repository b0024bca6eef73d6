/* Tests for common/hashtab: the ready-made u64 map and the macro core (an
 * entry table with deletion, an index table with keys stored elsewhere),
 * against a plain reference, with fixed seeds. */
#include "common/hashtab.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "tests/check_main.h"

/* ---- an entry table: key packed from two u32, value inline; a switch
 * sends every key to one home slot to test collisions ---- */

struct ent {
	uint32_t a, b;
	uint32_t value;
	uint8_t used;
};
HASHTAB_DECLARE(enttab, struct ent);

static bool all_collide;

static inline uint64_t enttab_hash(uint64_t key)
{
	return all_collide ? 12 : hashtab_mix64(key);
}
static inline bool enttab_used(const struct ent *e) { return e->used; }
static inline bool enttab_match(const struct enttab *t, const struct ent *e, uint64_t key)
{
	(void)t;
	return ((uint64_t)e->a << 32 | e->b) == key;
}
static inline uint64_t enttab_entry_hash(const struct enttab *t, const struct ent *e)
{
	(void)t;
	return enttab_hash((uint64_t)e->a << 32 | e->b);
}
HASHTAB_DEFINE(enttab, struct ent, uint64_t)

/* ---- an index table: slots hold row + 1, keys live in rows[] ---- */

HASHTAB_DECLARE(idxtab, uint32_t);

static inline uint64_t idxtab_hash(int64_t key) { return hashtab_mix64((uint64_t)key); }
static inline bool idxtab_used(const uint32_t *e) { return *e != 0; }
static inline bool idxtab_match(const struct idxtab *t, const uint32_t *e, int64_t key)
{
	return ((const int64_t *)t->ctx)[*e - 1] == key;
}
static inline uint64_t idxtab_entry_hash(const struct idxtab *t, const uint32_t *e)
{
	return idxtab_hash(((const int64_t *)t->ctx)[*e - 1]);
}
HASHTAB_DEFINE(idxtab, uint32_t, int64_t)

/* ---- reference: a linear scan of (key, value, live) ---- */

struct ref {
	uint64_t *key, *value;
	size_t n;
};

static long ref_find(const struct ref *r, uint64_t key)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->key[i] == key)
			return (long)i;
	return -1;
}

static void ref_put(struct ref *r, uint64_t key, uint64_t value)
{
	long i = ref_find(r, key);

	if (i < 0) {
		r->key[r->n] = key;
		r->value[r->n++] = value;
	} else {
		r->value[i] = value;
	}
}

static bool ref_remove(struct ref *r, uint64_t key)
{
	long i = ref_find(r, key);

	if (i < 0)
		return false;
	r->key[i] = r->key[r->n - 1];
	r->value[i] = r->value[--r->n];
	return true;
}

/* A key from a small pool (so that puts, hits and removes mix), with the
 * edge values among them. */
static uint64_t pick_key(struct rng *g, const uint64_t *pool, size_t npool)
{
	return pool[rng_below(g, npool)];
}

START_TEST(u64_empty_map)
{
	struct hashtab_u64 m;
	uint64_t k, v;
	size_t pos = 0;

	hashtab_u64_init(&m, 0);
	ck_assert_uint_eq(hashtab_u64_count(&m), 0);
	ck_assert(!hashtab_u64_get(&m, 0, &v));
	ck_assert(!hashtab_u64_get(&m, 42, &v));
	ck_assert(!hashtab_u64_get(&m, UINT64_MAX, NULL));
	ck_assert(!hashtab_u64_remove(&m, 0));
	ck_assert(!hashtab_u64_remove(&m, 5));
	ck_assert(!hashtab_u64_next(&m, &pos, &k, &v));
	hashtab_u64_release(&m);
}
END_TEST

START_TEST(u64_keys_zero_and_max)
{
	struct hashtab_u64 m;
	uint64_t v = 0, k;
	size_t pos = 0, seen = 0;

	hashtab_u64_init(&m, 4);
	ck_assert(hashtab_u64_put(&m, 0, 10));
	ck_assert(hashtab_u64_put(&m, UINT64_MAX, 20));
	ck_assert(!hashtab_u64_put(&m, 0, 11));   /* an update */
	ck_assert_uint_eq(hashtab_u64_count(&m), 2);
	ck_assert(hashtab_u64_get(&m, 0, &v) && v == 11);
	ck_assert(hashtab_u64_get(&m, UINT64_MAX, &v) && v == 20);
	ck_assert(!hashtab_u64_get(&m, 1, &v));
	while (hashtab_u64_next(&m, &pos, &k, &v)) {
		ck_assert(k == 0 || k == UINT64_MAX);
		ck_assert_uint_eq(v, k ? 20 : 11);
		seen++;
	}
	ck_assert_uint_eq(seen, 2);
	ck_assert(hashtab_u64_remove(&m, 0));
	ck_assert(!hashtab_u64_get(&m, 0, NULL));
	ck_assert(hashtab_u64_get(&m, UINT64_MAX, NULL));
	ck_assert_uint_eq(hashtab_u64_count(&m), 1);
	hashtab_u64_reset(&m);
	ck_assert_uint_eq(hashtab_u64_count(&m), 0);
	ck_assert(!hashtab_u64_get(&m, UINT64_MAX, NULL));
	hashtab_u64_release(&m);
}
END_TEST

/* Growth from the smallest table: every key stays reachable, load stays
 * at most 1/2, and the table grows only by doubling. */
START_TEST(u64_growth_keeps_every_key)
{
	struct hashtab_u64 m;
	const size_t n = 100000;

	hashtab_u64_init(&m, 0);
	ck_assert_uint_eq((m.core.mask + 1), HASHTAB_MIN_SLOTS);
	for (size_t i = 0; i < n; i++) {
		if (!(hashtab_u64_put(&m, i * 7919, i)))
			ck_assert(hashtab_u64_put(&m, i * 7919, i));
		ck_assert(2 * m.core.n <= (m.core.mask + 1));
	}
	ck_assert_uint_eq(hashtab_u64_count(&m), n);
	ck_assert_uint_eq((m.core.mask + 1), 262144);
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		ck_assert(hashtab_u64_get(&m, i * 7919, &v));
		ck_assert_uint_eq(v, i);
		ck_assert(!hashtab_u64_get(&m, i * 7919 + 1, NULL));
	}
	hashtab_u64_release(&m);
}
END_TEST

/* Random puts, gets and removes against the reference; iteration yields
 * every key exactly once. */
START_TEST(u64_random_against_reference)
{
	static const uint64_t edges[] = { 0, 1, UINT64_MAX, UINT64_MAX - 1, (uint64_t)1 << 63 };
	enum { NPOOL = 3000, NOPS = 200000 };
	uint64_t *pool = calloc(NPOOL, sizeof(*pool));
	struct ref r = { calloc(NPOOL, 8), calloc(NPOOL, 8), 0 };
	struct hashtab_u64 m;
	struct rng g;
	uint64_t k, v;
	size_t pos = 0, seen = 0;
	bool *visited = calloc(NPOOL, sizeof(bool));

	rng_init(&g, 12345, RNG_TEST, 1, 0);
	for (size_t i = 0; i < NPOOL; i++)
		pool[i] = i < 5 ? edges[i] : rng_u64(&g) >> (rng_below(&g, 64));
	hashtab_u64_init(&m, 8);
	for (int op = 0; op < NOPS; op++) {
		uint64_t key = pick_key(&g, pool, NPOOL), val = rng_u64(&g), got;
		unsigned what = (unsigned)rng_below(&g, 10);

		if (what < 5) {
			bool fresh = ref_find(&r, key) < 0;

			if (!(hashtab_u64_put(&m, key, val) == fresh))
				ck_assert(hashtab_u64_put(&m, key, val) == fresh);
			ref_put(&r, key, val);
		} else if (what < 8) {
			long i = ref_find(&r, key);
			bool hit = hashtab_u64_get(&m, key, &got);

			if (!(hit == (i >= 0)))
				ck_assert(hit == (i >= 0));
			if (hit)
				if ((got) != (r.value[i]))
					ck_assert_uint_eq(got, r.value[i]);
		} else {
			if (!(hashtab_u64_remove(&m, key) == ref_remove(&r, key)))
				ck_assert(hashtab_u64_remove(&m, key) == ref_remove(&r, key));
		}
		ck_assert_uint_eq(hashtab_u64_count(&m), r.n);
	}
	while (hashtab_u64_next(&m, &pos, &k, &v)) {
		long i = ref_find(&r, k);

		ck_assert(i >= 0);
		ck_assert_uint_eq(v, r.value[i]);
		ck_assert(!visited[i]);   /* each key once */
		visited[i] = true;
		seen++;
	}
	ck_assert_uint_eq(seen, r.n);
	hashtab_u64_release(&m);
	free(pool);
	free(visited);
	free(r.key);
	free(r.value);
}
END_TEST

/* The macro core with every key in one probe run (a constant hash):
 * deletion must shift the run back across the end of the array, and
 * every survivor must stay reachable. */
START_TEST(core_collisions_and_deletion)
{
	struct enttab t;
	enum { N = 8 };   /* fills a 16-slot table to its maximum load, 1/2 */
	bool fresh;

	all_collide = true;
	enttab_init(&t, 16);
	for (uint32_t i = 0; i < N; i++) {
		struct ent *e = enttab_get(&t, (uint64_t)i << 32 | (i + 100), &fresh);

		ck_assert(fresh);
		*e = (struct ent){ .a = i, .b = i + 100, .value = i * 3, .used = 1 };
	}
	ck_assert_uint_eq(enttab_slots(&t), 16);  /* at max load, not grown */
	ck_assert_uint_eq(enttab_count(&t), N);
	/* the run starts at 12 and wraps: slots 12..15, 0..3 */
	for (uint32_t i = 0; i < N; i += 2)
		enttab_remove(&t, enttab_find(&t, (uint64_t)i << 32 | (i + 100)));
	ck_assert_uint_eq(enttab_count(&t), N / 2);
	for (uint32_t i = 0; i < N; i++) {
		const struct ent *e = enttab_find(&t, (uint64_t)i << 32 | (i + 100));

		if (i % 2) {
			ck_assert_ptr_nonnull(e);
			if ((e->value) != (i * 3))
				ck_assert_uint_eq(e->value, i * 3);
		} else {
			ck_assert_ptr_null(e);
		}
	}
	/* survivors sit in consecutive slots from the home: no holes */
	for (size_t s = 12; s < 12 + N / 2; s++)
		if (!(t.slot[s].used))
			ck_assert(t.slot[s].used);
	/* one more insert passes the load: the table doubles */
	for (uint32_t i = 100; i < 105; i++)
		*enttab_get(&t, i, &fresh) = (struct ent){ .a = 0, .b = i, .used = 1 };
	ck_assert_uint_eq(enttab_slots(&t), 32);
	ck_assert_uint_eq(enttab_count(&t), N / 2 + 5);
	enttab_reset(&t);
	ck_assert_uint_eq(enttab_count(&t), 0);
	ck_assert_uint_eq(enttab_slots(&t), 32);
	ck_assert_ptr_null(enttab_next(&t, NULL));
	enttab_release(&t);
	all_collide = false;
}
END_TEST

/* Wrap-around deletion with a real hash: random inserts and removes on a
 * small table at high churn, against the reference. */
START_TEST(core_churn_against_reference)
{
	enum { NOPS = 300000, KEYS = 600 };
	struct ref r = { calloc(KEYS, 8), calloc(KEYS, 8), 0 };
	struct enttab t;
	struct rng g;

	rng_init(&g, 777, RNG_TEST, 2, 0);
	enttab_init(&t, 0);
	for (int op = 0; op < NOPS; op++) {
		uint64_t key = (uint64_t)rng_below(&g, 20) << 32 | rng_below(&g, KEYS / 20);
		struct ent *e = enttab_probe(&t, key);

		if (rng_below(&g, 2)) {
			if (!enttab_used(e)) {
				e = enttab_claim(&t, e, key);
				ck_assert(!e->used && !e->value);   /* zeroed */
				*e = (struct ent){ .a = (uint32_t)(key >> 32), .b = (uint32_t)key,
						   .used = 1 };
			}
			e->value = (uint32_t)op;
			ref_put(&r, key, (uint64_t)op);
		} else {
			if (!(enttab_used(e) == ref_remove(&r, key)))
				ck_assert(enttab_used(e) == ref_remove(&r, key));
			if (enttab_used(e))
				enttab_remove(&t, e);
		}
		ck_assert_uint_eq(enttab_count(&t), r.n);
	}
	for (size_t i = 0; i < r.n; i++) {
		const struct ent *e = enttab_find(&t, r.key[i]);

		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->value, r.value[i]);
	}
	{
		size_t seen = 0;

		for (const struct ent *e = enttab_next(&t, NULL); e; e = enttab_next(&t, e))
			seen++;
		ck_assert_uint_eq(seen, r.n);
	}
	enttab_release(&t);
	free(r.key);
	free(r.value);
}
END_TEST

/* An index table: the hooks read keys through ctx; reserve sizes it once. */
START_TEST(core_index_table_with_ctx)
{
	enum { N = 5000 };
	int64_t *rows = calloc(N, sizeof(*rows));
	struct idxtab t;
	size_t slots;

	for (size_t i = 0; i < N; i++)
		rows[i] = i % 2 ? -(int64_t)i * 1000003 : (int64_t)i << 40;
	rows[0] = INT64_MIN;
	rows[1] = INT64_MAX;
	idxtab_init(&t, 0);
	t.ctx = rows;
	idxtab_reserve(&t, N);
	slots = idxtab_slots(&t);
	ck_assert_uint_ge(slots, 2 * N);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t *e = idxtab_probe(&t, rows[i]);

		ck_assert(!idxtab_used(e));
		*idxtab_claim(&t, e, rows[i]) = i + 1;
	}
	ck_assert_uint_eq(idxtab_slots(&t), slots);  /* reserved: no growth */
	for (uint32_t i = 0; i < N; i++) {
		const uint32_t *e = idxtab_find(&t, rows[i]);

		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(*e, i + 1);
		ck_assert_ptr_eq(idxtab_home(&t, rows[i]), &t.slot[idxtab_hash(rows[i]) & t.mask]);
	}
	ck_assert_ptr_null(idxtab_find(&t, 12345));
	idxtab_release(&t);
	free(rows);
}
END_TEST

START_TEST(mixer_spreads_low_bits)
{
	/* sequential keys and keys differing only in high bits land in
	 * distinct slots of a 1024-slot table far more often than not */
	unsigned hit[1024] = { 0 }, used = 0;

	for (uint64_t i = 0; i < 512; i++) {
		unsigned s = (unsigned)(hashtab_mix64(i << 40) & 1023);

		used += hit[s]++ == 0;
	}
	ck_assert_uint_gt(used, 350);   /* ideal: 1024 (1 - e^-1/2) = 403 */
	ck_assert_uint_ne(hashtab_mix64(0) & 1023, hashtab_mix64((uint64_t)1 << 63) & 1023);
	ck_assert_uint_eq(hashtab_pow2(0), HASHTAB_MIN_SLOTS);
	ck_assert_uint_eq(hashtab_pow2(17), 32);
	ck_assert_uint_eq(hashtab_pow2(64), 64);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, u64_empty_map);
	tcase_add_test(tc, u64_keys_zero_and_max);
	tcase_add_test(tc, u64_growth_keeps_every_key);
	tcase_add_test(tc, u64_random_against_reference);
	tcase_add_test(tc, core_collisions_and_deletion);
	tcase_add_test(tc, core_churn_against_reference);
	tcase_add_test(tc, core_index_table_with_ctx);
	tcase_add_test(tc, mixer_spreads_low_bits);
}

CHECK_MAIN("hashtab", add_tests, 60)
