/* Benchmarks for the scorers of your own (host wall-clock time):
 *   - the external-process round trip, airtime as the host
 *     (engine/scorer_exec.c): a page of 1,000 candidates x 30 features
 *     (float32) to examples/rankers/trivial.py and its 1,000 scores back,
 *     split into the scorer's own time (measured inside the child,
 *     AIRTIME_RANKER_TIMING) and the protocol's overhead beyond it;
 *   - encoding that page in C (engine/scorer_wire.c);
 *   - the same page through a dlopen'd plugin doing nothing
 *     (tests' misbehave plugin, mode ok): the plugin interface's own cost.
 * Markdown lines; medians over repetitions; nothing asserted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "engine/scorer.h"
#include "engine/scorer_wire.h"

#define N 1000
#define NF 30
#define WARMUP 200
#define PAGES 3000

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t median(int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	return v[n / 2];
}

static int64_t quantile(int64_t *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	return v[(size_t)(q * (double)(n - 1))];
}

struct bench_page {
	struct airtime_feature features[NF];
	char names[NF][16];
	struct airtime_candidate cand[N];
	float rows[N * NF];
	uint16_t declared[3];
	struct airtime_context ctx;
	struct airtime_page page;
};

static void make_page(struct bench_page *b)
{
	for (int j = 0; j < NF; j++) {
		snprintf(b->names[j], sizeof(b->names[j]), "f%d", j);
		b->features[j] = (struct airtime_feature){ b->names[j], AIRTIME_FEATURE_PIT };
	}
	for (int i = 0; i < N; i++) {
		b->cand[i] = (struct airtime_candidate){ .show = (uint32_t)i, .creator = (uint32_t)i / 3,
							 .topic = (uint16_t)(i % 50), .live = i % 2,
							 .start_us = (int64_t)i * 60000000 };
		for (int j = 0; j < NF; j++)
			b->rows[i * NF + j] = (float)((i * 31 + j * 17) % 1000) / 10.0f;
	}
	b->declared[0] = 3, b->declared[1] = 7, b->declared[2] = 11;
	b->ctx = (struct airtime_context){ 42, 3, b->declared, 7 * 86400000000LL, 0 };
	b->page = (struct airtime_page){ &b->ctx, N, NF, b->cand, b->rows };
}

/* The child's own score() median, from the timing line trivial.py's
 * package writes to its standard error at exit. */
static long long child_median(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	long long ns = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "score_median_ns=");

		if (p)
			ns = strtoll(p + strlen("score_median_ns="), NULL, 10);
	}
	fclose(f);
	return ns;
}

static int bench_exec(struct bench_page *b, const char *dir)
{
	struct scorer_config cfg = { 0 };
	struct scorer_env env = { 0 };
	struct scorer *s;
	struct error err;
	double *scores = xcalloc(N, sizeof(double));
	int64_t *rt = xcalloc(PAGES, sizeof(int64_t));
	char *stderr_path;
	long long own;

	snprintf(cfg.name, sizeof(cfg.name), "trivial");
	cfg.kind = SCORER_EXEC;
	snprintf(cfg.command, sizeof(cfg.command),
		 "/usr/bin/python3 examples/rankers/trivial.py");
	cfg.timeout = cfg.fit_timeout = 60 * 1000000LL;
	env = (struct scorer_env){ .features = b->features, .n_features = NF, .n_topics = 50,
				   .n_users = 1000, .seed = 1, .threads = 1, .max_candidates = N,
				   .stderr_dir = dir };
	setenv("AIRTIME_RANKER_TIMING", "1", 1);
	s = scorer_new_ranker(&cfg, &env, &err);
	unsetenv("AIRTIME_RANKER_TIMING");
	if (!s) {
		fprintf(stderr, "bench_scorer: %s\n", err.msg);
		return 1;
	}
	for (int k = 0; k < WARMUP + PAGES; k++) {
		struct scorer_cost cost = { 0 };
		int64_t t0 = now_ns();

		b->ctx.request_id = (uint64_t)k;
		if (scorer_score(s, &b->page, scores, &cost, &err) < 0) {
			fprintf(stderr, "bench_scorer: %s\n", err.msg);
			scorer_free(s);
			return 1;
		}
		if (k >= WARMUP)
			rt[k - WARMUP] = now_ns() - t0;
	}
	if (scorer_close(s, &err) < 0) {
		fprintf(stderr, "bench_scorer: %s\n", err.msg);
		scorer_free(s);
		return 1;
	}
	scorer_free(s);
	stderr_path = xasprintf("%s/trivial.stderr", dir);
	own = child_median(stderr_path);
	unlink(stderr_path);
	free(stderr_path);
	{
		int64_t med = median(rt, PAGES), p90 = quantile(rt, PAGES, 0.9);

		printf("- external-process round trip, airtime (C) to examples/rankers/trivial.py: a "
		       "page of %d candidates x %d features (%zu-byte SCORE frame), %d pages after "
		       "%d of warm-up: median **%.1f us** (p90 %.1f us) per page, of which the "
		       "ranker's own score() %.1f us (median, measured in the child): protocol "
		       "overhead **%.1f us** (target < 150 us)\n",
		       N, NF, (size_t)(16 + 4 + 32 + N * (19 + 4 * NF) + 6), PAGES, WARMUP,
		       (double)med / 1e3, (double)p90 / 1e3, own >= 0 ? (double)own / 1e3 : -1.0,
		       own >= 0 ? (double)(med - own) / 1e3 : -1.0);
	}
	free(scores);
	free(rt);
	return 0;
}

static void bench_encode(struct bench_page *b)
{
	struct wire_buf w = { 0 };
	int64_t t[101];

	for (int k = 0; k < 101; k++) {
		int64_t t0 = now_ns();

		for (int i = 0; i < 100; i++)
			wire_score(&w, (uint32_t)i, &b->page, NF);
		t[k] = (now_ns() - t0) / 100;
	}
	printf("- encoding that SCORE frame in C (engine/scorer_wire.c): median %.1f us\n",
	       (double)median(t, 101) / 1e3);
	wire_buf_release(&w);
}

static int bench_plugin(struct bench_page *b)
{
	struct scorer_config cfg = { 0 };
	struct scorer_env env;
	struct scorer *s;
	struct error err;
	double *scores = xcalloc(N, sizeof(double));
	int64_t t[101];

	snprintf(cfg.name, sizeof(cfg.name), "noop");
	cfg.kind = SCORER_PLUGIN;
	snprintf(cfg.path, sizeof(cfg.path), "%s/tests/plugins/libmisbehave.so", BENCH_BUILD);
	env = (struct scorer_env){ .features = b->features, .n_features = NF, .n_topics = 50,
				   .n_users = 1000, .seed = 1, .threads = 1, .max_candidates = N };
	if (!(s = scorer_new_ranker(&cfg, &env, &err))) {
		printf("- plugin call: skipped (%s; `make test` builds the test plugins)\n", err.msg);
		free(scores);
		return 0;
	}
	for (int k = 0; k < 101; k++) {
		struct scorer_cost cost = { 0 };
		int64_t t0 = now_ns();

		for (int i = 0; i < 100; i++)
			if (scorer_score(s, &b->page, scores, &cost, &err) < 0)
				break;
		t[k] = (now_ns() - t0) / 100;
	}
	printf("- the same page through a dlopen'd plugin writing %d constant-time scores "
	       "(the call, the unwritten/finite checks, host timing): median %.1f us\n", N,
	       (double)median(t, 101) / 1e3);
	scorer_free(s);
	free(scores);
	return 0;
}

int main(void)
{
	struct bench_page *b = xcalloc(1, sizeof(*b));
	char dir[] = "/tmp/airtime-bench-scorer-XXXXXX";
	int rc;

	if (!mkdtemp(dir)) {
		perror("bench_scorer: mkdtemp");
		return 1;
	}
	make_page(b);
	rc = bench_exec(b, dir);
	bench_encode(b);
	if (rc == 0)
		rc = bench_plugin(b);
	rmdir(dir);
	free(b);
	return rc;
}
