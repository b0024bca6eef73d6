/* Event log of a test simulation; see eventlog.h. */
#include "tests/eventlog.h"

#include <check.h>

void eventlog_record(void *ctx, const struct event *ev)
{
	struct eventlog *l = ctx;

	ck_assert_uint_lt(l->n, l->cap);
	l->ev[l->n++] = *ev;
}
