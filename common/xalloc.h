#ifndef AIRTIME_XALLOC_H
#define AIRTIME_XALLOC_H
/*
 * Allocation that cannot fail: on exhaustion the process aborts with a
 * message (STYLE.md 5, tier three).  Sizes are overflow-checked.
 * Hot paths do not call these per event; they size pools at start.
 */
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
/* xcalloc for a large table read at random places (hash tables, pools):
 * asks the kernel to back it with transparent huge pages where it can, so
 * first touches fault once per 2 MB instead of per 4 kB and lookups miss
 * the TLB less.  Only advice: contents and behaviour are those of xcalloc.
 * Released with free(). */
void *xcalloc_large(size_t n, size_t size);
/* xcalloc_large, aligned to a 64-byte cache line (to 2 MB, with the same
 * huge-page advice, from 4 MB up): for tables whose entries must not
 * straddle lines (hash tables of 16- or 32-byte slots, one-line records).
 * Released with free(). */
void *xcalloc_aligned(size_t n, size_t size);
char *xstrdup(const char *s);
/* printf into a new string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow array `a` (with capacity `cap`) so that index `n-1` is valid. */
#define XGROW(a, n, cap)                                              \
	do {                                                              \
		if ((size_t)(n) > (size_t)(cap)) {                            \
			size_t xg_c = (cap) ? (size_t)(cap) * 2 : 16;             \
			while (xg_c < (size_t)(n))                                \
				xg_c *= 2;                                            \
			(a) = xreallocarray((a), xg_c, sizeof(*(a)));             \
			(cap) = xg_c;                                             \
		}                                                             \
	} while (0)

#endif
