/*
 * `airtime redis-replay`: a run's feature writes replayed into a real Redis
 * at wall-clock speed.
 */
#include "cli/cli.h"
#include "common/simtime.h"
#include "serve/redisreplay.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int take_duration_s(const char *cmd, const struct cliopt *o, const char *opt,
			   const char *val)
{
	int64_t us;
	const struct cliopt as_us = { .target = &us };
	int rc = cliopt_duration(cmd, &as_us, opt, val);

	if (rc)
		return rc;
	if (us <= 0)
		return cliopt_usage_error(cmd, "--duration must be positive, not '%s'", val);
	*(double *)o->target = (double)us / 1e6;
	return 0;
}

static void print_ms(const char *label, const struct hist *h, double div)
{
	printf("%-40s n %-9llu p50 %9.3f  p90 %9.3f  p99 %9.3f  p99.9 %9.3f  max %9.3f\n", label,
	       (unsigned long long)hist_count(h), (double)hist_quantile(h, 0.5) / div,
	       (double)hist_quantile(h, 0.9) / div, (double)hist_quantile(h, 0.99) / div,
	       (double)hist_quantile(h, 0.999) / div, (double)hist_max(h) / div);
}

static int cmd_redis_replay(int argc, char **argv)
{
	struct redisreplay_options o;
	struct redisreplay_result r;
	const char *path = NULL;
	bool from_set = false;
	struct error e;
	int code;
	const struct cliopt table[] = {
		CLIOPT_VALUE("--redis", NULL, "a URL", cliopt_string, &o.url),
		CLIOPT_VALUE("--speed", NULL, "a value", cliopt_positive, &o.speed),
		{ .name = "--from", .needs = "a value", .take = cliopt_duration, .target = &o.from,
		  .seen = &from_set },
		CLIOPT_VALUE("--duration", NULL, "a value", take_duration_s, &o.duration_s),
		CLIOPT_UINT("--batch", cliopt_size, &o.max_batch, 1, 1000000),
		CLIOPT_ONE_OPERAND("one run directory", "missing RUN_DIR", &path),
		CLIOPT_END,
	};

	redisreplay_options_defaults(&o);
	o.url = "redis://127.0.0.1:6379/0";
	if ((code = cliopt_parse("redis-replay", argc, argv, 1, table)))
		return code;
	if (!cli_is_directory(path))
		return cliopt_usage_error("redis-replay", "'%s' is not a run directory", path);
	error_clear(&e);
	if (redisreplay_run(path, &o, &r, &e) < 0) {
		redisreplay_result_release(&r);
		return cli_fail(&e);
	}
	printf("replayed %s/online.log into Redis at %s (wall clock, this host)\n", path, r.where);
	if (r.to == INT64_MAX)
		printf("window: simulated %.3f h to the end of the log, speed %g (simulated s per "
		       "wall s)\n", (double)r.from / SIMTIME_HOUR, o.speed);
	else
		printf("window: simulated %.3f h to %.3f h, speed %g (simulated s per wall s)\n",
		       (double)r.from / SIMTIME_HOUR, (double)r.to / SIMTIME_HOUR, o.speed);
	printf("writes: %llu in %llu pipelines over %.3f s; intended %.1f/s, achieved %.1f/s\n",
	       (unsigned long long)r.writes, (unsigned long long)r.pipelines, r.wall_s,
	       r.intended_rate, r.achieved_rate);
	printf("\n%-40s (milliseconds)\n", "host measurements");
	print_ms("pipeline round trip", &r.pipeline_ns, 1e6);
	print_ms("write acknowledged behind its due time", &r.lag_ns, 1e6);
	print_ms("reflection Redis gave (wall)", &r.reflection_ns, 1e6);
	printf("%-40s (seconds, = wall x speed)\n", "... in simulated time");
	print_ms("reflection Redis gave x speed", &r.reflection_ns, 1e9 / o.speed);
	printf("\n%-40s (seconds, simulated)\n", "the run's own reflection of these writes");
	print_ms("store - event time, simulated", &r.sim_reflection_us, 1e6);
	printf("%-40s (ms, = simulated / speed)\n", "... on the replay's wall clock");
	print_ms("store - event time / speed", &r.sim_reflection_us, 1e3 * o.speed);
	printf("\nread back: %llu feature values compared with the log's last values, %llu "
	       "differ\n", (unsigned long long)r.cells_checked,
	       (unsigned long long)r.cells_differing);
	code = r.cells_differing ? EXIT_RUN : EXIT_OK;
	if (r.cells_differing)
		fprintf(stderr, "airtime: Redis at %s holds %llu values other than the run's\n",
			r.where, (unsigned long long)r.cells_differing);
	redisreplay_result_release(&r);
	return code;
}

const struct cli_command cli_redis_replay = {
	"redis-replay",
	"redis-replay RUN_DIR [--redis URL] [--speed X] [--from TIME] [--duration D] [--batch N]",
	"Replay a finished run's point-in-time feature writes (RUN_DIR/online.log) into a\n"
	"real Redis in WALL-CLOCK time: the write stored at simulated time w is due\n"
	"(w - from) / X wall seconds after the start.  Writes due together go as one\n"
	"pipeline (SETRANGE per feature cell, at most --batch of them).  Reports the write\n"
	"throughput, each pipeline's round trip, each write's acknowledgement behind its\n"
	"due time (open loop: a slow Redis shows as growing lag), and the reflection time\n"
	"Redis actually gave (event time to acknowledgement, on the compressed clock)\n"
	"beside the run's simulated reflection of the same writes.  Then every entity is\n"
	"read back and compared with the run's last values; the keys are deleted.\n\n"
	"  --redis URL      redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] (default\n"
	"                   redis://127.0.0.1:6379/0)\n"
	"  --speed X        simulated seconds per wall second (default 1440: a day a minute)\n"
	"  --from TIME      simulated start of the window (default 0)\n"
	"  --duration D     wall-clock length (default: to the end of the log)\n"
	"  --batch N        writes per pipeline at most (default 10000)\n\n"
	"Exit status 1 when Redis cannot be reached or holds other values than the run.",
	cmd_redis_replay,
};
