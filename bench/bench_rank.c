/* Benchmarks for engine/rank and engine/endpoint (host wall-clock time):
 *   - one home-page request: candidate generation, feature assembly from
 *     in-memory sources and scoring of 1,000 candidates with a 100-tree
 *     forest (max depth 12), top-20;
 *   - the same requests with the same forest's scores coming through a
 *     dlopen'd scorer plugin (build/bench/libforest_lib.so: airtime's forest
 *     code behind include/airtime/scorer.h), runs interleaved with the
 *     built-in's: what the plugin interface costs;
 *   - the endpoint queueing model: simulated requests per host second.
 * Markdown lines; medians over repetitions; nothing asserted. */
#include "bench/bench.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>

#include "common/calendar.h"
#include "common/rng.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "engine/catalog.h"
#include "engine/endpoint.h"
#include "engine/forest_train.h"
#include "engine/profile.h"
#include "engine/rank.h"
#include "engine/rank_forest.h"
#include "engine/scorer.h"

#define NB 4   /* batch features per block */
#define NSHOWS 1000
#define NCREATORS 400
#define NUSERS 1000


/* Every default, from the key table. */
static const struct config *bench_defaults(void)
{
	static struct config cfg;
	static bool loaded;

	if (!loaded) {
		config_defaults(&cfg);
		loaded = true;
	}
	return &cfg;
}
/* In-memory stores: per-show and per-creator tables, pair features from a
 * hash (the cost of one lookup each). */
struct store {
	float pit[NSHOWS][RANK_PIT_COUNT];
	float creator[NCREATORS][NB];
	float user[NUSERS][NB];
};

static float hashed(uint64_t a, uint64_t b, uint64_t c)
{
	return (float)(rng_hash4(a, b, c, 0) >> 40) / (float)(1 << 24);
}

static int src_pit(void *ctx, const uint32_t *shows, size_t n, simtime now, float *out,
		   struct error *err)
{
	const struct store *s = ctx;

	(void)now, (void)err;
	for (size_t i = 0; i < n; i++)
		memcpy(out + i * RANK_PIT_COUNT, s->pit[shows[i]], sizeof(s->pit[0]));
	return 0;
}

static int src_user(void *ctx, uint32_t user, simtime now, float *out, struct error *err)
{
	const struct store *s = ctx;

	(void)now, (void)err;
	memcpy(out, s->user[user], sizeof(s->user[0]));
	return 0;
}

static int src_creator(void *ctx, const uint32_t *creators, size_t n, simtime now, float *out,
		       struct error *err)
{
	const struct store *s = ctx;

	(void)now, (void)err;
	for (size_t i = 0; i < n; i++)
		memcpy(out + i * NB, s->creator[creators[i]], sizeof(s->creator[0]));
	return 0;
}

static int src_topic(void *ctx, uint32_t user, const uint16_t *topics, size_t n, simtime now,
		     float *out, struct error *err)
{
	(void)ctx, (void)now, (void)err;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < NB; j++)
			out[i * NB + j] = hashed(user, topics[i], j);
	return 0;
}

static int src_pair(void *ctx, uint32_t user, const uint32_t *creators, size_t n, simtime now,
		    float *out, struct error *err)
{
	(void)ctx, (void)now, (void)err;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < NB; j++)
			out[i * NB + j] = hashed(user, creators[i] + 1000000, j);
	return 0;
}

static int bench_request(int reps)
{
	enum { NTRAIN = 30000, REQS = 200 };
	struct store *st = xcalloc(1, sizeof(*st));
	struct catalog *cat = catalog_new(NSHOWS);
	struct profile *prof = profile_new(NUSERS);
	struct rank_sources src = {
		.ctx = st, .show_pit = src_pit, .user_batch = src_user,
		.creator_batch = src_creator, .user_topic = src_topic, .user_creator = src_pair,
		.n_user = NB, .n_creator = NB, .n_topic = NB, .n_pair = NB,
	};
	struct rank_config cfg;
	struct rank_model m;
	struct rank *r = NULL;
	struct forest *f = NULL;
	struct forest_params fp = forest_params_defaults();
	struct rng g;
	struct error err = { 0 };
	float *X = NULL;
	double *y = NULL, *per = xcalloc((size_t)reps, sizeof(double));
	double *per_plugin = xcalloc((size_t)reps, sizeof(double));
	double *cpu = xcalloc((size_t)reps, sizeof(double));
	double *cpu_plugin = xcalloc((size_t)reps, sizeof(double));
	struct scorer_config pcfg = { 0 };
	struct scorer_env env;
	struct airtime_feature *feats = NULL;
	struct scorer *plugin = NULL;
	char *model_path = NULL;
	uint32_t last_page[64];
	const char **names = NULL;
	size_t nf;
	int rc = 1;

	rng_init(&g, 1, RNG_TEST, 0, 0);
	for (uint32_t s = 0; s < NSHOWS; s++) {
		struct event ev = { .id = s + 1, .show = s, .creator = s % NCREATORS,
				    .topic = (uint16_t)(s % 50), .type = EVENT_SHOW_SCHEDULED,
				    .value = (simtime)(s % 500) * SIMTIME_MIN };

		catalog_apply(cat, &ev, &err);
		if (s < 500) {   /* half already live */
			ev.type = EVENT_SHOW_LIVE;
			catalog_apply(cat, &ev, &err);
		}
		for (int j = 0; j < RANK_PIT_COUNT; j++)
			st->pit[s][j] = (float)gsl_ran_poisson(rng_gsl(&g), 20);
	}
	for (int c = 0; c < NCREATORS; c++)
		for (int j = 0; j < NB; j++)
			st->creator[c][j] = (float)rng_uniform(&g);
	for (uint32_t u = 0; u < NUSERS; u++) {
		uint16_t t[3] = { (uint16_t)(u % 50), (uint16_t)((u * 7 + 1) % 50),
				  (uint16_t)((u * 13 + 2) % 50) };

		if (t[1] == t[0] || t[2] == t[0] || t[2] == t[1])
			t[1] = (uint16_t)((t[0] + 1) % 50), t[2] = (uint16_t)((t[0] + 2) % 50);
		profile_set(prof, u, t, 3, &err);
		for (int j = 0; j < NB; j++)
			st->user[u][j] = (float)rng_uniform(&g);
	}

	/* A ranker without a model tells the layout; train on random rows of it
	 * with a label depending on a few columns, so trees grow deep. */
	cfg = bench_defaults()->rank;
	cfg.horizon = 24 * SIMTIME_HOUR;
	r = rank_new(&cfg, cat, prof, &src, NULL, 1, &err);
	if (!r)
		goto out;
	nf = rank_n_features(r);
	names = xcalloc(nf, sizeof(*names));
	for (size_t j = 0; j < nf; j++)
		names[j] = rank_feature_name(r, j);
	X = xcalloc((size_t)NTRAIN * nf, sizeof(*X));
	y = xcalloc(NTRAIN, sizeof(*y));
	for (size_t i = 0; i < NTRAIN; i++) {
		double z = 0;

		for (size_t j = 0; j < nf; j++) {
			X[i * nf + j] = (float)rng_uniform(&g);
			z += (j % 3 ? 1.0 : -1.0) * X[i * nf + j] * X[i * nf + (j * 7) % nf];
		}
		y[i] = z + gsl_ran_gaussian(rng_gsl(&g), 0.5) > 0;
	}
	fp.n_trees = 100;
	fp.max_depth = 12;
	fp.seed = 3;
	f = forest_train(&fp, X, NTRAIN, nf, y, names, 2, NULL, &err);
	if (!f)
		goto out;
	rank_free(r);
	rank_forest_model(&m, f);
	r = rank_new(&cfg, cat, prof, &src, &m, 1, &err);
	if (!r)
		goto out;

	/* The same forest through a plugin, as scorer RANK_SCORER_COUNT. */
	model_path = xasprintf("/tmp/airtime-bench-rank-%ld.forest", (long)getpid());
	if (forest_save(f, model_path, &err) < 0)
		goto out;
	snprintf(pcfg.name, sizeof(pcfg.name), "forest_lib");
	pcfg.kind = SCORER_PLUGIN;
	snprintf(pcfg.path, sizeof(pcfg.path), "%s/bench/libforest_lib.so", BENCH_BUILD);
	snprintf(pcfg.options[0].key, sizeof(pcfg.options[0].key), "model");
	snprintf(pcfg.options[0].value, sizeof(pcfg.options[0].value), "%s", model_path);
	pcfg.n_options = 1;
	feats = xcalloc(nf, sizeof(*feats));
	for (size_t j = 0; j < nf; j++)
		feats[j] = (struct airtime_feature){ rank_feature_name(r, j), rank_feature_kind(r, j) };
	env = (struct scorer_env){ .features = feats, .n_features = (uint32_t)nf, .n_topics = 50,
				   .n_users = NUSERS, .seed = 1, .threads = 1,
				   .max_candidates = cfg.max_candidates };
	if (!(plugin = scorer_new_ranker(&pcfg, &env, &err)))
		goto out;
	rank_set_scorer(r, RANK_SCORER_COUNT, plugin);

	/* Built-in and plugin runs alternate, so load on a shared machine
	 * falls on both alike; the pages must be the same. */
	for (int k = 0; k < 2 * reps; k++) {
		enum rank_scorer which = k % 2 ? (enum rank_scorer)RANK_SCORER_COUNT : RANK_FOREST;
		double t0 = bench_wall(), c0 = bench_thread_cpu();

		for (int q = 0; q < REQS; q++) {
			struct rank_request rq = { .user = (uint32_t)(q * 37 % NUSERS),
						   .now = 0, .request_id = (uint64_t)q,
						   .scorer = which };
			struct rank_result res;

			if (rank_request(r, &rq, &res, &err))
				goto out;
			if (res.n_candidates != NSHOWS) {
				fprintf(stderr, "bench_rank: %zu candidates\n", res.n_candidates);
				goto out;
			}
			if (q == REQS - 1 && k < 2) {
				if (k == 0)
					memcpy(last_page, res.page, res.k * sizeof(*last_page));
				else if (memcmp(last_page, res.page, res.k * sizeof(*last_page))) {
					fprintf(stderr, "bench_rank: the plugin's page differs\n");
					goto out;
				}
			}
		}
		(k % 2 ? per_plugin : per)[k / 2] = (bench_wall() - t0) / REQS;
		(k % 2 ? cpu_plugin : cpu)[k / 2] = (bench_thread_cpu() - c0) / REQS;
	}
	printf("- rank request (forest): %d candidates, %zu features, %zu trees (max depth %u, "
	       "%llu node visits per row): median **%.3f ms** per request over %d runs of %d "
	       "requests, one core\n",
	       NSHOWS, nf, forest_n_trees(f), forest_max_depth(f),
	       (unsigned long long)m.nodes_per_row, bench_median(per, (size_t)reps) * 1e3, reps, REQS);
	printf("- of which (host histograms, all runs): feature assembly p50 %.3f ms, "
	       "scoring + top-20 p50 %.3f ms (forest inference target < 0.5 ms)\n",
	       (double)hist_quantile(rank_host_assembly_ns(r), 0.5) / 1e6,
	       (double)hist_quantile(rank_host_scoring_ns(r), 0.5) / 1e6);
	{
		double b = bench_median(per, (size_t)reps), p = bench_median(per_plugin, (size_t)reps);

		double cb = bench_median(cpu, (size_t)reps), cp = bench_median(cpu_plugin, (size_t)reps);

		printf("- the same requests, the forest's scores through a dlopen'd scorer plugin "
		       "(bench/plugin_forest.c, same pages; %d runs interleaved with the built-in's): "
		       "CPU time of the ranking thread per request, median of runs, %.3f ms "
		       "built-in, %.3f ms plugin: **%+.1f %%** (target within 5 %%); wall %.3f ms, "
		       "%+.1f %%\n",
		       reps, cb * 1e3, cp * 1e3, 100.0 * (cp - cb) / cb, p * 1e3,
		       100.0 * (p - b) / b);
	}
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "bench_rank: %s\n", err.msg);
	rank_free(r);
	scorer_free(plugin);
	if (model_path)
		unlink(model_path);
	free(model_path);
	free(feats);
	free(per_plugin);
	free(cpu);
	free(cpu_plugin);
	forest_free(f);
	catalog_free(cat);
	profile_free(prof);
	free(st), free(X), free(y), free(per), free(names);
	return rc;
}

/* Poisson arrivals into an M/M/c fleet at rho = 0.8. */
struct gen {
	struct calendar *cal;
	struct endpoint *ep;
	struct rng rng;
	uint64_t n, limit;
	double gap_us;          /* mean interarrival time */
};

static void arrive(void *ctx, uint64_t arg, simtime now)
{
	struct gen *g = ctx;

	(void)arg;
	if (g->n >= g->limit)
		return;
	endpoint_submit(g->ep, g->n++, NULL);
	calendar_schedule(g->cal, now + 1 + (simtime)gsl_ran_exponential(rng_gsl(&g->rng), g->gap_us),
			  arrive, g, 0);
}

/* Requests per host second (median of reps; CPU seconds of this thread in
 * *cpu_rate) through `instances` x `concurrency` servers, 20 ms mean
 * exponential service, arrivals at 80 % of capacity. */
static int endpoint_rate(int reps, uint32_t instances, uint32_t concurrency, double *wall_rate,
			 double *cpu_rate)
{
	enum { N = 1000000 };
	double *t = xcalloc((size_t)reps, sizeof(double)), *c = xcalloc((size_t)reps, sizeof(double));
	double servers = (double)instances * concurrency;
	struct endpoint_config cfg;
	struct error err = { 0 };

	cfg = bench_defaults()->endpoint;
	cfg.autoscale = false;
	cfg.min_instances = cfg.initial_instances = cfg.max_instances = instances;
	cfg.concurrency = concurrency;
	cfg.queue_capacity = 100000;
	cfg.timeout = 10 * SIMTIME_S;
	cfg.service = ENDPOINT_SERVICE_EXPONENTIAL;
	cfg.service_mean = 20 * SIMTIME_MS;   /* 50/s per server */
	for (int k = 0; k < reps; k++) {
		struct calendar *cal = calendar_new(0, 1024);
		/* load 0.8: servers x 50/s x 0.8 = servers x 40/s */
		struct gen g = { .cal = cal, .limit = N, .gap_us = 1e6 / (40.0 * servers) };
		double t0, c0;

		g.ep = endpoint_new(&cfg, cal, 0, 24 * SIMTIME_HOUR, 1, NULL, NULL, &err);
		if (!g.ep) {
			fprintf(stderr, "bench_rank: %s\n", err.msg);
			free(t), free(c);
			calendar_free(cal);
			return 1;
		}
		rng_init(&g.rng, 1, RNG_TEST, 0, 0);
		calendar_schedule(cal, 0, arrive, &g, 0);
		t0 = bench_wall();
		c0 = bench_thread_cpu();
		calendar_run_until(cal, 24 * SIMTIME_HOUR);
		c[k] = N / (bench_thread_cpu() - c0);
		t[k] = N / (bench_wall() - t0);
		endpoint_free(g.ep);
		calendar_free(cal);
	}
	*wall_rate = bench_median(t, (size_t)reps);
	*cpu_rate = bench_median(c, (size_t)reps);
	free(t), free(c);
	return 0;
}

static int bench_endpoint(int reps)
{
	static const struct { uint32_t inst, conc; const char *what; } fleets[] = {
		{ 2, 4, "M/M/8: 2 instances x concurrency 4" },
		{ 1, 1000, "M/M/1000: 1 instance x concurrency 1000" },
		{ 1000, 1, "M/M/1000: 1000 instances x concurrency 1" },
		{ 100000, 1, "M/M/100000: 100000 instances x concurrency 1" },
	};

	printf("- endpoint simulation, 1,000,000 requests, Poisson arrivals at rho 0.8, "
	       "exponential service (mean 20 ms), one core, median of %d runs:\n", reps);
	for (size_t i = 0; i < sizeof(fleets) / sizeof(fleets[0]); i++) {
		double wall, cpu;

		if (endpoint_rate(reps, fleets[i].inst, fleets[i].conc, &wall, &cpu))
			return 1;
		printf("  - %s: **%.2f M requests per CPU s** (%.2f M per wall s)\n",
		       fleets[i].what, cpu / 1e6, wall / 1e6);
	}
	printf("  (starting a request finds the instance in O(log instances): issue 22 asks "
	       "that 1000 x 1 not be far behind 1 x 1000)\n");
	return 0;
}

int main(void)
{
	int reps = 7;

	if (bench_request(15) || bench_endpoint(reps))
		return 1;
	return 0;
}
