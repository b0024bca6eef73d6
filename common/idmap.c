/* External ids to dense ids; see idmap.h. */
#include "common/idmap.h"

#include "common/error.h"
#include "common/hashtab.h"
#include "common/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* The text of an id being looked up. */
struct idkey {
	const char *s;
	size_t len;
	uint64_t hash;
};

/* An index table: a slot holds a dense id + 1 (0: empty); ctx is the map,
 * whose arrays hold the texts and their hashes. */
HASHTAB_DECLARE(idtab, uint32_t);

struct idmap {
	struct idtab tab;
	char **text;              /* by dense id */
	size_t *len;              /* by dense id */
	uint64_t *hash;           /* by dense id */
	size_t n, cap_ids;
	bool numeric;
	uint64_t max;
};

static inline uint64_t idtab_hash(struct idkey k) { return k.hash; }
static inline bool idtab_used(const uint32_t *e) { return *e != 0; }
static inline bool idtab_match(const struct idtab *t, const uint32_t *e, struct idkey k)
{
	const struct idmap *m = t->ctx;
	uint32_t id = *e - 1;

	return m->hash[id] == k.hash && m->len[id] == k.len && !memcmp(m->text[id], k.s, k.len);
}
static inline uint64_t idtab_entry_hash(const struct idtab *t, const uint32_t *e)
{
	return ((const struct idmap *)t->ctx)->hash[*e - 1];
}
HASHTAB_DEFINE(idtab, uint32_t, struct idkey)

/* FNV-1a, then mixed: the table takes its low bits. */
static uint64_t hash_text(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return hashtab_mix64(h);
}

struct idmap *idmap_new(void)
{
	struct idmap *m = xcalloc(1, sizeof(*m));

	idtab_init(&m->tab, 1024);
	m->tab.ctx = m;
	m->numeric = true;
	return m;
}

void idmap_free(struct idmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->text[i]);
	free(m->text);
	free(m->len);
	free(m->hash);
	idtab_release(&m->tab);
	free(m);
}

/* A decimal integer (up to 19 digits)? */
static bool decimal(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > 19)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return true;
}

uint32_t idmap_get(struct idmap *m, const char *text, size_t len)
{
	struct idkey k = { text, len, hash_text(text, len) };
	uint32_t *e = idtab_probe(&m->tab, k), id;
	uint64_t v;

	if (idtab_used(e))
		return *e - 1;
	ASSERT(m->n < UINT32_MAX - 1);
	if (m->n == m->cap_ids) {   /* the three arrays by dense id grow together */
		size_t cap = m->cap_ids;

		XGROW(m->hash, m->n + 1, cap);
		m->text = xreallocarray(m->text, cap, sizeof(*m->text));
		m->len = xreallocarray(m->len, cap, sizeof(*m->len));
		m->cap_ids = cap;
	}
	id = (uint32_t)m->n++;
	m->hash[id] = k.hash;
	m->len[id] = len;
	m->text[id] = xmalloc(len + 1);
	memcpy(m->text[id], text, len);
	m->text[id][len] = '\0';
	*idtab_claim(&m->tab, e, k) = id + 1;
	if (decimal(text, len, &v)) {
		if (v > m->max)
			m->max = v;
	} else {
		m->numeric = false;
	}
	return id;
}

size_t idmap_count(const struct idmap *m) { return m->n; }
const char *idmap_text(const struct idmap *m, uint32_t i) { ASSERT(i < m->n); return m->text[i]; }
bool idmap_all_numeric(const struct idmap *m) { return m->numeric; }
uint64_t idmap_max(const struct idmap *m) { return m->max; }
