/* The ready-made uint64_t -> uint64_t map; the table itself is the macro
 * core in hashtab.h. */
#include "common/hashtab.h"

static inline uint64_t hashtab_u64_core_hash(uint64_t key) { return hashtab_mix64(key); }

/* Key 0 never sits in the array: a zero key marks an empty slot. */
static inline bool hashtab_u64_core_used(const struct hashtab_u64_entry *e) { return e->key != 0; }

static inline bool hashtab_u64_core_match(const struct hashtab_u64_core *t,
					  const struct hashtab_u64_entry *e, uint64_t key)
{
	(void)t;
	return e->key == key;
}

static inline uint64_t hashtab_u64_core_entry_hash(const struct hashtab_u64_core *t,
						   const struct hashtab_u64_entry *e)
{
	(void)t;
	return hashtab_mix64(e->key);
}

HASHTAB_DEFINE(hashtab_u64_core, struct hashtab_u64_entry, uint64_t)

void hashtab_u64_init(struct hashtab_u64 *m, size_t n)
{
	hashtab_u64_core_init(&m->core, 2 * n);
	m->core.ctx = NULL;
	m->has_zero = false;
	m->zero_value = 0;
}

void hashtab_u64_release(struct hashtab_u64 *m)
{
	hashtab_u64_core_release(&m->core);
	m->has_zero = false;
}

void hashtab_u64_reset(struct hashtab_u64 *m)
{
	hashtab_u64_core_reset(&m->core);
	m->has_zero = false;
}

size_t hashtab_u64_count(const struct hashtab_u64 *m)
{
	return hashtab_u64_core_count(&m->core) + m->has_zero;
}

bool hashtab_u64_put(struct hashtab_u64 *m, uint64_t key, uint64_t value)
{
	struct hashtab_u64_entry *e;
	bool fresh;

	if (key == 0) {
		fresh = !m->has_zero;
		m->has_zero = true;
		m->zero_value = value;
		return fresh;
	}
	e = hashtab_u64_core_get(&m->core, key, &fresh);
	e->key = key;
	e->value = value;
	return fresh;
}

bool hashtab_u64_get(const struct hashtab_u64 *m, uint64_t key, uint64_t *value)
{
	const struct hashtab_u64_entry *e;

	if (key == 0) {
		if (m->has_zero && value)
			*value = m->zero_value;
		return m->has_zero;
	}
	e = hashtab_u64_core_find(&m->core, key);
	if (e && value)
		*value = e->value;
	return e != NULL;
}

bool hashtab_u64_remove(struct hashtab_u64 *m, uint64_t key)
{
	struct hashtab_u64_entry *e;

	if (key == 0) {
		bool had = m->has_zero;

		m->has_zero = false;
		return had;
	}
	e = hashtab_u64_core_find(&m->core, key);
	if (!e)
		return false;
	hashtab_u64_core_remove(&m->core, e);
	return true;
}

/* *pos: 0 before key 0, then 1 + the slot after the last entry given. */
bool hashtab_u64_next(const struct hashtab_u64 *m, size_t *pos, uint64_t *key, uint64_t *value)
{
	const struct hashtab_u64_entry *e;

	if (*pos == 0) {
		*pos = 1;
		if (m->has_zero) {
			*key = 0;
			*value = m->zero_value;
			return true;
		}
	}
	e = hashtab_u64_core_next(&m->core, *pos > 1 ? &m->core.slot[*pos - 2] : NULL);
	if (!e)
		return false;
	*pos = (size_t)(e - m->core.slot) + 2;
	*key = e->key;
	*value = e->value;
	return true;
}
