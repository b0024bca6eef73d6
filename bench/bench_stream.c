/* Benchmarks of the streaming path (wall-clock speed of the real code on
 * this host; never part of simulated results):
 *  1. events per second through bus -> queue -> workers -> pit -> online
 *     store in simulated time, on one core (target >= 3 million/s);
 *  2. batched read of the PIT features of 1,000 shows (target median < 20 us).
 * Prints Markdown lines: figure, units, median of 5 repetitions, target.
 * The host is shared, so the streaming figure is given twice: per second of
 * wall-clock time and per second of this process's CPU time (the latter is
 * what one core achieves when the benchmark is not descheduled). */
#include "bench/bench.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/calendar.h"
#include "common/rng.h"
#include "config/config.h"
#include "engine/stream.h"

enum { NSHOWS = 20000, NCREATORS = 2000, NEVENTS = 1000000, REPS = 5 };

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

/* 10,000 events per simulated second: listen start/end pairs, likes and
 * follows over random users and shows, in emit-time order. */
static struct event *make_events(size_t n)
{
	struct event *evs = calloc(n, sizeof(*evs));
	struct rng r;
	size_t i = 0;

	if (!evs)
		abort();
	rng_init(&r, 1, RNG_TEST, 0, 0);
	while (i < n) {
		simtime t = (simtime)i * 100;
		uint32_t show = (uint32_t)rng_below(&r, NSHOWS), user = (uint32_t)rng_below(&r, 1u << 20);
		struct event e = { .id = i + 1, .emit_time = t, .user = user, .show = show,
				   .creator = show % NCREATORS, .session = EVENT_NONE,
				   .topic = UINT16_MAX, .position = UINT16_MAX };
		switch (rng_below(&r, 4)) {
		case 0: e.type = EVENT_LIKE; break;
		case 1: e.type = EVENT_FOLLOW; break;
		default: e.type = EVENT_LISTEN_START; break;
		}
		evs[i++] = e;
		if (e.type == EVENT_LISTEN_START && i < n) {
			/* its end, emitted right after with the duration since start */
			struct event end = e;
			end.id = i + 1;
			end.type = EVENT_LISTEN_END;
			end.emit_time = (simtime)i * 100;
			end.value = end.emit_time - e.emit_time;
			evs[i++] = end;
		}
	}
	return evs;
}

static void config(struct stream_config *cfg)
{
	static struct config all;

	config_defaults(&all);
	*cfg = all.stream;
	cfg->pit.n_shows = NSHOWS;
	cfg->pit.n_creators = NCREATORS;
	cfg->pit.dedup_capacity = 1u << 21;
	cfg->queue.max_messages = 1u << 20;
	cfg->length = 2 * SIMTIME_MIN + (simtime)NEVENTS * 100;
}

/* Wall-clock seconds of one run; *cpu_s gets its CPU seconds. */
static double run_stream(const struct event *evs, size_t n, uint64_t *applied, double *cpu_s)
{
	struct stream_config cfg;
	struct error err;
	struct calendar *cal = calendar_new(0, 4096);
	struct stream *s;
	double t0, t1, c0, c1;

	config(&cfg);
	s = stream_new(&cfg, cal, &err);
	if (!s) {
		fprintf(stderr, "bench_stream: %s\n", err.msg);
		exit(1);
	}
	c0 = cpu();
	t0 = wall();
	for (size_t i = 0; i < n; i++) {
		calendar_run_until(cal, evs[i].emit_time);
		stream_publish(s, &evs[i]);
	}
	calendar_run_until(cal, evs[n - 1].emit_time + SIMTIME_MIN);
	t1 = wall();
	c1 = cpu();
	*cpu_s = c1 - c0;
	*applied = stream_counts(s)->applied;
	stream_free(s);
	calendar_free(cal);
	return t1 - t0;
}

static double batched_read_us(void)
{
	enum { READS = 20000, N = 1000 };
	struct online_config cfg;
	struct online_table_spec t[1] = { { NSHOWS, PIT_SHOW_FEATURES } };
	struct error err;
	struct online *o;
	static uint32_t ids[N];
	static float out[N * PIT_SHOW_FEATURES];
	static double lat[READS];
	struct rng r;
	double sink = 0;
	static struct config all;

	config_defaults(&all);
	cfg = all.stream.online;
	o = online_new(&cfg, t, 1, &err);
	if (!o)
		abort();
	rng_init(&r, 2, RNG_TEST, 0, 0);
	for (uint32_t s = 0; s < NSHOWS; s++)
		for (int f = 0; f < PIT_SHOW_FEATURES; f++)
			online_write(o, 0, s, f, (float)(s + f), 1, 0, 1, NULL);
	for (int k = 0; k < READS; k++) {
		double t0;
		for (int i = 0; i < N; i++)
			ids[i] = (uint32_t)rng_below(&r, NSHOWS);
		t0 = wall();
		online_read(o, 0, ids, N, out, 2);
		lat[k] = (wall() - t0) * 1e6;
		sink += out[k % (N * PIT_SHOW_FEATURES)];
	}
	online_free(o);
	if (sink < 0)
		puts("");
	return bench_median(lat, READS);
}

int main(void)
{
	struct event *evs = make_events(NEVENTS);
	double rate[REPS], crate[REPS], rd[REPS];
	uint64_t applied = 0;

	for (int k = 0; k < REPS; k++) {
		double c;
		rate[k] = (double)NEVENTS / run_stream(evs, NEVENTS, &applied, &c) / 1e6;
		crate[k] = (double)NEVENTS / c / 1e6;
	}
	for (int k = 0; k < REPS; k++)
		rd[k] = batched_read_us();
	printf("- streaming path (bus -> queue -> workers -> pit -> online, memory store), "
	       "%d events (%llu applied), one core: **%.2f million events/s** "
	       "(median of %d; target >= 3)\n",
	       NEVENTS, (unsigned long long)applied, bench_median(rate, REPS), REPS);
	printf("- streaming path, per CPU second of the process (host is shared): "
	       "**%.2f million events/s** (median of %d; target >= 3)\n",
	       bench_median(crate, REPS), REPS);
	printf("- batched read of %d shows x %d PIT features: **%.2f us** median per read "
	       "(median of %d runs of 20,000 reads; target < 20 us)\n",
	       1000, PIT_SHOW_FEATURES, bench_median(rd, REPS), REPS);
	free(evs);
	return 0;
}
