/* External ids to dense ids; see idmap.h. */
#include "common/idmap.h"

#include "common/error.h"
#include "common/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY UINT32_MAX

struct idmap {
	uint32_t *slots;          /* cap entries: a dense id, or EMPTY */
	size_t cap;
	char **text;              /* by dense id */
	uint64_t *hash;           /* by dense id */
	size_t n, cap_ids;
	bool numeric;
	uint64_t max;
};

static uint64_t hash_text(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

struct idmap *idmap_new(void)
{
	struct idmap *m = xcalloc(1, sizeof(*m));

	m->cap = 1024;
	m->slots = xmalloc(m->cap * sizeof(*m->slots));
	memset(m->slots, 0xff, m->cap * sizeof(*m->slots));
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
	free(m->hash);
	free(m->slots);
	free(m);
}

static void rehash(struct idmap *m)
{
	size_t cap = m->cap * 2;
	uint32_t *slots = xmalloc(cap * sizeof(*slots));

	memset(slots, 0xff, cap * sizeof(*slots));
	for (size_t i = 0; i < m->n; i++) {
		size_t at = (size_t)m->hash[i] & (cap - 1);

		while (slots[at] != EMPTY)
			at = (at + 1) & (cap - 1);
		slots[at] = (uint32_t)i;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
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
	uint64_t h = hash_text(text, len), v;
	size_t at = (size_t)h & (m->cap - 1);
	uint32_t id;

	while ((id = m->slots[at]) != EMPTY) {
		if (m->hash[id] == h && strlen(m->text[id]) == len && !memcmp(m->text[id], text, len))
			return id;
		at = (at + 1) & (m->cap - 1);
	}
	ASSERT(m->n < UINT32_MAX - 1);
	XGROW(m->hash, m->n + 1, m->cap_ids);
	m->text = xreallocarray(m->text, m->cap_ids, sizeof(*m->text));
	id = (uint32_t)m->n++;
	m->hash[id] = h;
	m->text[id] = xmalloc(len + 1);
	memcpy(m->text[id], text, len);
	m->text[id][len] = '\0';
	m->slots[at] = id;
	if (decimal(text, len, &v)) {
		if (v > m->max)
			m->max = v;
	} else {
		m->numeric = false;
	}
	if (2 * m->n > m->cap)
		rehash(m);
	return id;
}

size_t idmap_count(const struct idmap *m) { return m->n; }
const char *idmap_text(const struct idmap *m, uint32_t i) { ASSERT(i < m->n); return m->text[i]; }
bool idmap_all_numeric(const struct idmap *m) { return m->numeric; }
uint64_t idmap_max(const struct idmap *m) { return m->max; }
