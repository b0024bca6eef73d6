#ifndef AIRTIME_STRBUF_H
#define AIRTIME_STRBUF_H
/*
 * A growable string (git's strbuf): text or bytes built by appending.
 *
 * Invariants: buf is never NULL and buf[len] == '\0' at all times, so buf
 * can be handed to anything expecting a C string (a buffer may also hold
 * NUL bytes: len is the truth).  alloc is the allocated size, 0 while buf
 * points at a shared empty string that must not be written (STRBUF_INIT
 * and strbuf_init(sb, 0) allocate nothing).  Growth doubles, so n appends
 * cost O(n) amortised.  Out of memory aborts (common/xalloc.h).
 *
 * Lifecycle (storage the caller owns): STRBUF_INIT or strbuf_init, then
 * appends, strbuf_reset to empty it and keep the allocation, strbuf_release
 * to free it (the buffer is then empty and reusable), or strbuf_detach to
 * take the string (the caller frees it).
 */
#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

/* The shared empty string of unallocated buffers; never written. */
extern char strbuf_slopbuf[];
#define STRBUF_INIT { 0, 0, strbuf_slopbuf }

/* An empty buffer with room for `hint` bytes (0: allocates nothing). */
void strbuf_init(struct strbuf *sb, size_t hint);
/* Free the storage; sb is left empty (as strbuf_init(sb, 0)). */
void strbuf_release(struct strbuf *sb);
/* Empty the buffer, keeping its storage. */
void strbuf_reset(struct strbuf *sb);
/* The string (NUL-terminated, the caller frees it) and its length (len may
 * be NULL); sb is left empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* Make room for `extra` more bytes beyond len (plus the terminator). */
void strbuf_grow(struct strbuf *sb, size_t extra);
/* Set the length to len <= sb->len (truncate) and terminate. */
void strbuf_setlen(struct strbuf *sb, size_t len);

/* Append len bytes. */
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
/* Append a C string. */
void strbuf_addstr(struct strbuf *sb, const char *s);
/* Append one byte. */
static inline void strbuf_addch(struct strbuf *sb, int c)
{
	if (sb->len + 1 >= sb->alloc)
		strbuf_grow(sb, 1);
	sb->buf[sb->len++] = (char)c;
	sb->buf[sb->len] = '\0';
}
/* Append printf output. */
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append vprintf output. */
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif
