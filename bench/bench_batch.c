/* Benchmarks of the batch path: lake scan + aggregation of the 21 features
 * (events/s), feature store writes (rows/s), PIT join of 1 M queries against
 * 10 M history rows (s).  Wall-clock figures of this host, not simulated
 * results.  Usage: bench_batch [events_M [history_M [queries_M [parts]]]]
 * (defaults 10, 10, 1, "swp": s = scan, w = writes, p = PIT join).  Each
 * figure is given per second of this thread's CPU time (robust on a shared
 * host: time spent waiting for a core is not counted) and per wall second. */
#include "bench/bench.h"
#include "common/rng.h"
#include "config/config.h"
#include "engine/batch.h"
#include "engine/featurestore.h"
#include "engine/pitjoin.h"
#include "engine/lake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REPS 5

static void die(const struct error *err)
{
	fprintf(stderr, "bench_batch: %s\n", err->msg);
	exit(1);
}

/* Sessions of synthetic users over 60 days: app_open, 4 impressions, a
 * listen start/end, sometimes a like, follow or notification enable. */
static void gen_lake(struct lake *lk, size_t n_events)
{
	enum { USERS = 200000, CREATORS = 5000, SHOWS = 50000, TOPICS = 30 };
	size_t block = 100000, n = 0;
	struct event *evs = calloc(block + 16, sizeof(*evs));
	struct rng r;
	struct error err;
	simtime span = 60 * SIMTIME_DAY, t;
	uint32_t session = 0;
	uint64_t id = 1;

	rng_init(&r, 1, RNG_TEST, 0, 0);
	while (n < n_events) {
		size_t k = 0;
		simtime hour;

		t = (simtime)((double)n / (double)n_events * (double)span);
		hour = t - t % SIMTIME_HOUR;
		while (k < block) {
			uint32_t u = (uint32_t)rng_below(&r, USERS), sh = (uint32_t)rng_below(&r, SHOWS);
			uint32_t c = sh % CREATORS;
			uint16_t tp = (uint16_t)(sh % TOPICS);
			struct event base;

			memset(&base, 0, sizeof(base));
			base.user = u;
			base.session = session++;
			base.show = sh;
			base.creator = c;
			base.topic = tp;
			base.position = UINT16_MAX;
#define PUSH(ty, dt, val) do { evs[k] = base; evs[k].id = id++; evs[k].type = (ty); \
		evs[k].emit_time = t + (dt); evs[k].value = (val); k++; } while (0)
			PUSH(EVENT_APP_OPEN, 0, 0);
			for (int i = 0; i < 4; i++)
				PUSH(EVENT_IMPRESSION, 1000, 0);
			PUSH(EVENT_LISTEN_START, 2000, 0);
			PUSH(EVENT_LISTEN_END, 600 * SIMTIME_S, 600 * SIMTIME_S);
			if (rng_below(&r, 4) == 0)
				PUSH(EVENT_LIKE, 300 * SIMTIME_S, 0);
			if (rng_below(&r, 10) == 0)
				PUSH(EVENT_FOLLOW, 310 * SIMTIME_S, 0);
			if (rng_below(&r, 20) == 0)
				PUSH(EVENT_NOTIFY_ENABLE, 320 * SIMTIME_S, 0);
			if (rng_below(&r, 100) == 0)
				PUSH(EVENT_SHOW_LIVE, 0, 0);
		}
		if (lake_write(lk, hour, evs, k, &err))
			die(&err);
		n += k;
	}
	free(evs);
}

static void bench_scan(const char *dir, size_t n_events)
{
	struct error err;
	struct lake *lk = lake_open(dir, 19114, &err);
	struct batch_config cfg;
	struct batch *b;
	double rate[REPS], crate[REPS];
	uint64_t events = 0;

	if (!lk)
		die(&err);
	gen_lake(lk, n_events);
	{
		static struct config all;

		config_defaults(&all);
		cfg = all.batch.batch;
	}
	b = batch_new(&cfg, &err);
	for (int rep = 0; rep < REPS; rep++) {
		struct lake_scan_stats st;
		double t0 = bench_wall(), c0 = bench_thread_cpu();

		batch_begin(b, 60 * SIMTIME_DAY);
		if (lake_scan(lk, 0, 60 * SIMTIME_DAY, batch_add, b, &st, &err))
			die(&err);
		batch_finish(b, NULL);
		rate[rep] = (double)st.events / (bench_wall() - t0);
		crate[rep] = (double)st.events / (bench_thread_cpu() - c0);
		events = st.events;
	}
	printf("- lake scan + aggregation of 21 features (%.1f M events, 60 d, page cache warm): "
	       "**%.1f M events per CPU s**, %.1f M events per wall s (median of %d; "
	       "target >= 20 M events/s on one core)\n",
	       (double)events / 1e6, bench_median(crate, REPS) / 1e6, bench_median(rate, REPS) / 1e6, REPS);
	batch_free(b);
	lake_free(lk);
}

static const char *const feats8[] = { "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7" };

/* Write `rows` rows in batches of `batch` per transaction; returns seconds. */
static double fill(struct featurestore *fs, int g, size_t rows, size_t entities, size_t batch,
		   double *cpu)
{
	int64_t *ent = malloc(batch * sizeof(*ent));
	simtime *et = malloc(batch * sizeof(*et));
	double *v = malloc(batch * 8 * sizeof(*v)), t0 = bench_wall(), c0 = bench_thread_cpu();
	struct error err;
	size_t done = 0;

	while (done < rows) {
		size_t n = rows - done < batch ? rows - done : batch;

		for (size_t i = 0; i < n; i++) {
			size_t k = done + i;

			ent[i] = (int64_t)(k % entities);
			et[i] = (simtime)(k / entities) * SIMTIME_DAY + 22 * SIMTIME_HOUR;
			for (int j = 0; j < 8; j++)
				v[i * 8 + j] = (double)(k + (size_t)j);
		}
		if (featurestore_write(fs, g, ent, et, 0, v, n, et[0] + SIMTIME_HOUR, &err))
			die(&err);
		done += n;
	}
	free(ent);
	free(et);
	free(v);
	*cpu = bench_thread_cpu() - c0;
	return bench_wall() - t0;
}

static void rm_db(const char *path)
{
	char buf[600];

	unlink(path);
	snprintf(buf, sizeof(buf), "%s-wal", path);
	unlink(buf);
	snprintf(buf, sizeof(buf), "%s-shm", path);
	unlink(buf);
}

static void bench_writes(const char *dir)
{
	enum { ROWS = 500000 };
	double rate[REPS], crate[REPS], cpu;
	char path[512];
	struct error err;

	snprintf(path, sizeof(path), "%s/w.db", dir);
	for (int rep = 0; rep < REPS; rep++) {
		struct featurestore *fs = featurestore_open(path, &err);
		int g;

		if (!fs || (g = featurestore_define(fs, "user_history", 1, feats8, 8, 0, &err)) < 0)
			die(&err);
		/* 100,000 users, 5 daily versions, one transaction per 100,000 rows */
		rate[rep] = ROWS / fill(fs, g, ROWS, 100000, 100000, &cpu);
		crate[rep] = ROWS / cpu;
		featurestore_free(fs);
		rm_db(path);
	}
	printf("- feature store writes (8 features, offline + online upsert, file DB): "
	       "**%.0f rows per CPU s**, %.0f rows per wall s (median of %d; target >= 500,000 rows/s)\n",
	       bench_median(crate, REPS), bench_median(rate, REPS), REPS);
}

static void bench_pit(const char *dir, size_t hist_rows, size_t queries)
{
	size_t entities = hist_rows / 10;  /* 10 daily versions per entity */
	double secs[REPS], csecs[REPS], load, cpu;
	char path[512];
	struct error err;
	struct featurestore *fs;
	int64_t *qe = malloc(queries * sizeof(*qe));
	simtime *qt = malloc(queries * sizeof(*qt));
	double *out = malloc(queries * 8 * sizeof(*out));
	uint8_t *found = malloc(queries);
	struct rng r;
	int g;

	snprintf(path, sizeof(path), "%s/p.db", dir);
	fs = featurestore_open(path, &err);
	if (!fs || (g = featurestore_define(fs, "user_history", 1, feats8, 8, 0, &err)) < 0)
		die(&err);
	load = fill(fs, g, hist_rows, entities, 500000, &cpu);
	rng_init(&r, 2, RNG_TEST, 0, 0);
	for (size_t i = 0; i < queries; i++) {
		qe[i] = (int64_t)rng_below(&r, entities + entities / 10); /* ~9 % unknown */
		qt[i] = (simtime)rng_below(&r, 11 * (uint64_t)SIMTIME_DAY);
	}
	for (int rep = 0; rep < REPS; rep++) {
		double t0 = bench_wall(), c0 = bench_thread_cpu();

		if (pitjoin_run(fs, g, qe, qt, queries, rep % 2 ? PITJOIN_AS_KNOWN_AT
									  : PITJOIN_PIT,
					  out, found, NULL, &err))
			die(&err);
		secs[rep] = bench_wall() - t0;
		csecs[rep] = bench_thread_cpu() - c0;
	}
	printf("- PIT join of %.1f M (entity, time) queries against %.1f M history rows: "
	       "**%.2f CPU s**, %.2f wall s (median of %d, PIT and as-known-at alternating; "
	       "target < 10 s); loading the history took %.1f wall s (%.0f rows per CPU s)\n",
	       (double)queries / 1e6, (double)hist_rows / 1e6, bench_median(csecs, REPS),
	       bench_median(secs, REPS), REPS, load, (double)hist_rows / cpu);
	featurestore_free(fs);
	rm_db(path);
	free(qe);
	free(qt);
	free(out);
	free(found);
}

int main(int argc, char **argv)
{
	double ev = argc > 1 ? strtod(argv[1], NULL) : 10, hi = argc > 2 ? strtod(argv[2], NULL) : 10,
	       q = argc > 3 ? strtod(argv[3], NULL) : 1;
	const char *parts = argc > 4 ? argv[4] : "swp";
	char dir[] = "/tmp/airtime-bench-batch-XXXXXX", cmd[128];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (strchr(parts, 's'))
		bench_scan(dir, (size_t)(ev * 1e6));
	if (strchr(parts, 'w'))
		bench_writes(dir);
	if (strchr(parts, 'p'))
		bench_pit(dir, (size_t)(hi * 1e6), (size_t)(q * 1e6));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) != 0;
}
