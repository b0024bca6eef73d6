#ifndef AIRTIME_SCORER_EXEC_H
#define AIRTIME_SCORER_EXEC_H
/*
 * A [ranker.NAME] with kind = exec: a child process speaking the
 * external-ranker protocol (docs/ranker-protocol.md; frames in
 * engine/scorer_wire.h) over its standard input and output.
 *
 * The command runs with /bin/sh -c in the working directory, in a process
 * group of its own, with a default signal mask and dispositions, no other
 * descriptor of airtime's, its standard error written to
 * STDERR_DIR/NAME.stderr, and 1 MiB pipe buffers where the system allows
 * (a page of 1,000 x 30 features is 140 KB).  HELLO is sent at creation;
 * then one FIT per fit, one SCORE per page; BYE at scorer_close.
 *
 * Waits are bounded by host time (poll(2)): `fit_timeout` for READY and
 * FITTED, `timeout` for SCORES, 5 s for BYE.  Nothing of host time reaches
 * a simulated result.  Writes are SIGPIPE-safe (the signal is blocked for
 * the call and a pending one consumed), so a child that died is an error,
 * never airtime's death.
 *
 * Any failure (a timeout, the child exiting or closing its output, a bad
 * frame, ERROR, a wrong number of scores) stops the child at once (SIGKILL
 * to its group) and reaps it, copies its standard error to a file outside
 * the run directory (which a failed run removes), and says what was wrong
 * with the exit status or signal, the copy's path and its last lines.
 * scorer_free of a child still running closes its input (the protocol's
 * "input closed without BYE"), then SIGTERM, then SIGKILL, and reaps it.
 */
#include "common/error.h"
#include "engine/scorer.h"

/* Start cfg->command and greet it with schema (READY within fit_timeout). */
struct scorer *scorer_exec_new(const struct scorer_config *cfg,
			       const struct airtime_schema *schema, const char *stderr_dir,
			       struct error *err);

/* The process id of an exec scorer's child, 0 once reaped (for tests). */
long scorer_exec_pid(const struct scorer *s);

#endif
