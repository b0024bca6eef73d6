/* Error context and invariant failures; see error.h. */
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void error_clear(struct error *e)
{
	if (!e)
		return;
	e->code = ERR_OK;
	e->msg[0] = '\0';
}

int error_set(struct error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int error_prefix(struct error *e, const char *fmt, ...)
{
	char head[512], tail[sizeof(e->msg)];
	va_list ap;

	if (!e)
		return ERR_RUN;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(tail, e->msg, sizeof(tail));
	/* Truncation keeps the head, which names where the failure happened;
	 * testing the result tells gcc the cut is intended (-Wformat-truncation). */
	if (snprintf(e->msg, sizeof(e->msg), "%s%s", head, tail) >= (int)sizeof(e->msg))
		e->msg[sizeof(e->msg) - 1] = '\0';
	return e->code;
}

const char *error_code_name(int code)
{
	switch (code) {
	case ERR_OK: return "ok";
	case ERR_INPUT: return "input";
	case ERR_IO: return "io";
	case ERR_DB: return "db";
	case ERR_CORRUPT: return "corrupt";
	case ERR_UNAVAILABLE: return "unavailable";
	case ERR_FULL: return "full";
	case ERR_NOTFOUND: return "notfound";
	case ERR_RUN: return "run";
	case ERR_INTERRUPTED: return "interrupted";
	}
	return "unknown";
}

void error_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	/* The one place library code writes to stderr: the process is about to die. */
	fprintf(stderr, "BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
