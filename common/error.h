#ifndef AIRTIME_ERROR_H
#define AIRTIME_ERROR_H
/*
 * One status type and one error context for the whole library.
 *
 * Fallible functions return 0 on success or a negative ERR_* code, and fill
 * the caller's `struct error` with a one-line message in git's style:
 * lowercase, the failure first, the subject in quotes, where it happened:
 *     scenarios/promo-spike.ini:14: unknown key 'rte' in [traffic] (did you mean 'rate'?)
 * Library code never prints and never exits; the command line maps codes to
 * exit statuses (cli_exit_for, cli/cli.c: ERR_INPUT -> 2, everything else -> 1;
 * ERR_INTERRUPTED -> 128 + the signal, 130 or 143).
 *
 * Three failure tiers (STYLE.md 5): bad input is a status; a broken invariant
 * is ASSERT()/BUG(), always on, naming file:line; out of memory aborts in the
 * xmalloc family (common/xalloc.h).
 */
#include <stddef.h>

enum {
	ERR_OK = 0,
	ERR_INPUT = -1,       /* bad scenario, argument, CSV, trace: the user's to fix */
	ERR_IO = -2,          /* a file or directory could not be read or written */
	ERR_DB = -3,          /* SQLite said no */
	ERR_CORRUPT = -4,     /* a file we wrote earlier fails its checks */
	ERR_UNAVAILABLE = -5, /* a simulated dependency is down (fault injection) */
	ERR_FULL = -6,        /* a bounded buffer is full: backpressure */
	ERR_NOTFOUND = -7,    /* a looked-up entity does not exist */
	ERR_RUN = -8,         /* a run failed for another reason */
	ERR_INTERRUPTED = -9, /* stopped on request (a signal the CLI caught) */
};

struct error {
	int code;
	char msg[1024];
};

/* Reset to "no error". */
void error_clear(struct error *e);

/* Set code and message; returns code so `return error_set(...)` reads well.
 * e may be NULL (the message is then dropped). */
int error_set(struct error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend context ("loading 'x': ") to the current message; returns e->code. */
int error_prefix(struct error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Short name of a code ("input", "io", ...). */
const char *error_code_name(int code);

/* Broken invariants: print file:line and abort.  Always on, even with NDEBUG. */
_Noreturn void error_bug(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define BUG(...) error_bug(__FILE__, __LINE__, __VA_ARGS__)
#define ASSERT(cond) \
	((cond) ? (void)0 : error_bug(__FILE__, __LINE__, "assertion failed: %s", #cond))

#endif
