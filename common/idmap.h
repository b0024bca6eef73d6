#ifndef AIRTIME_IDMAP_H
#define AIRTIME_IDMAP_H
/*
 * A map from external ids (any text: "u_8f3a", "9876543210") to dense ids
 * 0, 1, 2, ... in order of first appearance, for traces recorded elsewhere
 * (common/trace.c).  It remembers whether every id it saw was a plain
 * decimal integer, their largest value and how many distinct ids there
 * were, so that a reader can keep ids that are dense already.
 *
 * An index table of common/hashtab (slots hold dense ids; the strings are
 * copied into the map).
 * idmap_free(NULL) is a no-op.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idmap;

struct idmap *idmap_new(void);
void idmap_free(struct idmap *m);

/* The dense id of `text` (len bytes), added when new. */
uint32_t idmap_get(struct idmap *m, const char *text, size_t len);
/* Distinct ids so far. */
size_t idmap_count(const struct idmap *m);
/* The text of dense id i (NUL-terminated, borrowed). */
const char *idmap_text(const struct idmap *m, uint32_t i);
/* Whether every id was a decimal integer (up to 19 digits), and the
 * largest (0 when none). */
bool idmap_all_numeric(const struct idmap *m);
uint64_t idmap_max(const struct idmap *m);

#endif
