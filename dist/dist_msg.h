#ifndef AIRTIME_DIST_MSG_H
#define AIRTIME_DIST_MSG_H
/*
 * The result message of dist/: what a worker sends back for one task,
 * whichever transport carries it (pipes in dist/local.c, MPI in
 * dist/mpi.c).  Packed (common/pack.h): u64 task, i64 rc, string error,
 * string host, i64 pid, f64 run seconds, bytes output.
 *
 * Internal to dist/.  Ownership: a parsed message owns its strings
 * (dist_msg_release); its output bytes point into the buffer parsed.
 */
#include <stddef.h>

#include "common/error.h"
#include "common/pack.h"
#include "dist/dist.h"

struct dist_msg {
	struct dist_result result;   /* error and host point into the owned copies */
	char *error, *host;
};

/* Run `task` through job->run (timing it) and pack its result message
 * into `out` (appended). */
void dist_msg_run(const struct dist_job *job, size_t task, const char *host, long pid,
		  struct pack *out);
/* Parse a result message; ERR_CORRUPT when it is not one.  The output
 * bytes borrow `data`. */
int dist_msg_parse(struct dist_msg *m, const void *data, size_t len, struct error *err);
void dist_msg_release(struct dist_msg *m);

#endif
