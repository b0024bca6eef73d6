/*
 * bench_sim: throughput of the exogenous event sources (arrivals, spikes,
 * show schedules; no ranking) and the cost of building a large world.
 *   build/bench/bench_sim            (make bench)
 * Prints Markdown: figure, units, median of 5 repetitions, target.
 */
#include "bench/bench.h"
#include "common/calendar.h"
#include "config/config.h"
#include "sim/sim.h"
#include "sim/world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define REPS 5

static void count_event(void *ctx, const struct event *ev)
{
	(void)ev;
	++*(uint64_t *)ctx;
}

/* Exogenous events per second: 20,000 users x 7 days, one spike, no ranker. */
static int bench_events(void)
{
	double rate[REPS];
	uint64_t events = 0;

	for (int r = 0; r < REPS; r++) {
		static struct config cfg;
		struct sim_params p;
		struct calendar *cal = calendar_new(0, 1024);
		struct error err;
		struct scenario *sc;
		struct sim *s;
		double t0, t1;

		sc = scenario_parse(&config_schema,
				    "[traffic]\nsessions_per_day = 20\n[spike.bench]\nmagnitude = 50000\n",
				    "bench", NULL, 0, &err);
		if (!sc || config_load(&cfg, sc, &err) < 0) {
			fprintf(stderr, "bench_sim: %s\n", err.msg);
			return 1;
		}
		scenario_free(sc);
		p = cfg.sim;
		p.horizon = 7 * SIMTIME_DAY;
		events = 0;
		s = sim_new(&p, cal, count_event, &events, &err);
		if (!s) {
			fprintf(stderr, "bench_sim: %s\n", err.msg);
			return 1;
		}
		t0 = bench_wall();
		calendar_run_until(cal, p.horizon);
		t1 = bench_wall();
		rate[r] = (double)events / (t1 - t0);
		sim_free(s);
		calendar_free(cal);
	}
	printf("- exogenous events (arrivals + spike + show schedules, no ranking; 20,000 users, "
	       "20 sessions/day, 7 days, %llu events): **%.2f million events/s** (median of %d; "
	       "target >= 5 million/s on one core)\n",
	       (unsigned long long)events, bench_median(rate, REPS) / 1e6, REPS);
	return 0;
}

/* World of 1e6 users and 20,000 creators: build time and peak memory. */
static int bench_world(void)
{
	double secs[REPS];
	size_t bytes = 0;
	struct rusage ru;

	for (int r = 0; r < REPS; r++) {
		struct world_config c;
		struct error err;
		struct world *w;
		double t0;

		static struct config cfg;

		config_defaults(&cfg);
		c = cfg.sim.world;
		c.n_users = 1000000;
		c.n_creators = 20000;
		t0 = bench_wall();
		w = world_new(&c, 1 + (uint64_t)r, 28 * SIMTIME_DAY, &err);
		secs[r] = bench_wall() - t0;
		if (!w) {
			fprintf(stderr, "bench_sim: %s\n", err.msg);
			return 1;
		}
		bytes = world_memory(w);
		world_free(w);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("- world build, 1,000,000 users + 20,000 creators, 28 days of shows: **%.3f s** "
	       "(median of %d; target < 3 s)\n", bench_median(secs, REPS), REPS);
	printf("- world memory: **%.1f MiB** arrays; process peak RSS (ru_maxrss) **%.1f MiB** "
	       "(target < 1024 MiB)\n", bytes / 1048576.0, ru.ru_maxrss / 1024.0);
	return 0;
}

int main(void)
{
	if (bench_events() != 0 || bench_world() != 0)
		return 1;
	return 0;
}
