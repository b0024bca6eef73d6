#ifndef AIRTIME_REDISREPLAY_H
#define AIRTIME_REDISREPLAY_H
/*
 * `airtime redis-replay`: a finished run's point-in-time feature writes
 * (its online.log, read with online_log_scan) replayed into a real Redis
 * (engine/redisstore) in WALL-CLOCK time: the write stored at simulated
 * time w is due at (w - from) / speed wall seconds after the start.
 *
 * Open loop: each write is due at its own time whatever Redis did before.
 * The writes due by now are sent as one pipeline (SETRANGE per cell, at
 * most max_batch per pipeline) and acknowledged together; the replay then
 * sleeps until the next write is due.  Measured (host, nanoseconds):
 *   - pipeline: one flush, send to last reply;
 *   - lag: each write's acknowledgement behind its due time (latency from
 *     the intended time: a slow Redis shows as growing lag, not as a lower
 *     rate);
 *   - reflection: each write's acknowledgement behind its EVENT's time,
 *     both on the compressed wall clock: the reflection time Redis actually
 *     gave, beside the simulated reflection of the same writes (stored -
 *     event time, simulated us) divided by the speed.
 * Afterwards every entity written is read back (MGET, 1,000 keys each) and
 * compared with the last value the log stored for it: Redis must hold the
 * run's final values.  The keys are deleted when done.
 *
 * Host measurements only; library code: nothing printed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/hist.h"
#include "common/simtime.h"

struct redisreplay_options {
	const char *url;          /* redis://... */
	double speed;             /* simulated seconds per wall second (> 0) */
	simtime from;             /* window start (simulated) */
	double duration_s;        /* wall seconds; <= 0: to the end of the log */
	size_t max_batch;         /* writes per pipeline at most (default 10000) */
};

struct redisreplay_result {
	uint64_t writes, pipelines;
	double wall_s;            /* first due time to last acknowledgement */
	double intended_rate, achieved_rate;   /* writes per wall second */
	simtime from, to;         /* the simulated window replayed */
	struct hist pipeline_ns, lag_ns, reflection_ns;
	struct hist sim_reflection_us;         /* simulated, of the same writes */
	uint64_t cells_checked, cells_differing;
	char where[300];          /* host:port/db */
};

void redisreplay_options_defaults(struct redisreplay_options *o);

/* Replay RUN_DIR/online.log into o->url.  ERR_INPUT (bad URL or options,
 * no log), ERR_IO (Redis or file), ERR_CORRUPT (the log). */
int redisreplay_run(const char *run_dir, const struct redisreplay_options *o,
		    struct redisreplay_result *out, struct error *err);
void redisreplay_result_release(struct redisreplay_result *r);

#endif
