/* Allocation wrappers; see xalloc.h. */
#include "common/xalloc.h"

#include "common/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static _Noreturn void out_of_memory(size_t size)
{
	BUG("out of memory allocating %zu bytes", size);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		out_of_memory(size);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		out_of_memory(n * size);
	return p;
}

void *xcalloc_large(size_t n, size_t size)
{
	const uintptr_t huge = (uintptr_t)2 << 20;
	void *p;
	uintptr_t a, e;

	if (size && n > SIZE_MAX / size)
		BUG("allocation size overflow: %zu x %zu", n, size);
	p = xcalloc(n, size);
	/* calloc maps large blocks fresh (zero, untouched); advise the 2 MB
	 * aligned interior.  Failure (no THP support) changes nothing. */
	a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	e = ((uintptr_t)p + n * size) & ~(huge - 1);
#ifdef MADV_HUGEPAGE
	if (e > a)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#endif
	return p;
}

void *xcalloc_aligned(size_t n, size_t size)
{
	const size_t huge = (size_t)2 << 20;
	size_t bytes, align;
	void *p;

	if (size && n > (SIZE_MAX - huge) / size)
		BUG("allocation size overflow: %zu x %zu", n, size);
	bytes = n * size;
	if (bytes == 0)
		bytes = 1;
	align = bytes >= 2 * huge ? huge : 64;
	bytes = (bytes + align - 1) & ~(align - 1);  /* aligned_alloc wants a multiple */
	p = aligned_alloc(align, bytes);
	if (!p)
		out_of_memory(bytes);
#ifdef MADV_HUGEPAGE
	if (align == huge)
		(void)madvise(p, bytes, MADV_HUGEPAGE);  /* advice only: failure is harmless */
#endif
	memset(p, 0, bytes);
	return p;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	void *q;

	if (size && n > SIZE_MAX / size)
		BUG("allocation size overflow: %zu x %zu", n, size);
	q = realloc(p, n && size ? n * size : 1);
	if (!q)
		out_of_memory(n * size);
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap, ap2;
	int n;
	char *p;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		BUG("bad format '%s'", fmt);
	p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}
