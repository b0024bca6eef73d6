#ifndef AIRTIME_TESTS_EVENTLOG_H
#define AIRTIME_TESTS_EVENTLOG_H
/*
 * Every event a test simulation emits, in emission order, for tests that
 * look at the stream as a whole.  The buffer is allocated once (EVENTLOG)
 * and freed by the test (free(l.ev)); eventlog_record is the emit callback
 * and fails the test when the buffer is full.
 */
#include <stddef.h>
#include <stdlib.h>

#include "common/event.h"

struct eventlog {
	struct event *ev;
	size_t n, cap;
};

#define EVENTLOG(capacity) { calloc((capacity), sizeof(struct event)), 0, (capacity) }

/* The emit callback: ctx is the struct eventlog. */
void eventlog_record(void *ctx, const struct event *ev);

#endif
