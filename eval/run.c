/* The run lifecycle; see run.h. */
#include "eval/run.h"

#include "common/hist.h"
#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "engine/endpoint.h"
#include "engine/forest.h"
#include "engine/rank.h"
#include "engine/redisstore.h"
#include "engine/stream.h"
#include "stats/abtest.h"
#include "stats/decision.h"
#include "stats/exposure.h"
#include "common/trace.h"
#include "eval/budget.h"
#include "eval/replay.h"
#include "render/report.h"
#include "results/results.h"
#include "results/rundir.h"
#include "results/schema.h"
#include "engine/serving.h"
#include "stats/slo.h"
#include "eval/assign.h"
#include "eval/ope.h"
#include "eval/worldrun.h"
#include "results/banditstore.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Resamples of every bootstrap interval (the median, the exposure
 * aggregates), chosen by measurement (bench/bench_bootstrap.c, figures in
 * bench/RESULTS.md): the smallest of 200 .. 8,000 whose interval ends move
 * by at most 5 % of a standard error across bootstrap seeds, at 600 and at
 * 10,000 users per arm (400, the old count, moved them by 10-15 %). */
#define BOOTSTRAP_REPS 4000
#define ALPHA 0.05

struct world_slot {
	const char *name;
	int policy;                   /* WORLDRUN_SPLIT, or the arm everyone gets */
	struct worldrun *w;
	int64_t run_id;
	/* An off-policy target's world ([ope] truth): its own config (the
	 * control, then the target), its name, and the target's index. */
	struct config *cfg;
	char *own_name;
	int target;                   /* -1 for the experiment's worlds */
};

_Static_assert(RUN_TREATMENT_ARMS_MAX == CONFIG_AB_ARMS_MAX - 1, "one summary per arm");

struct run {
	const struct scenario *sc;
	struct config *cfg;
	const struct run_options *opt;
	struct rundir *rd;
	struct results *res;
	/* split, then one per arm, then one per off-policy target */
	struct world_slot worlds[CONFIG_AB_ARMS_MAX + 1 + CONFIG_OPE_TARGETS_MAX];
	int n_worlds;
	char *ckpt;               /* the run's checkpoint directory */
	const char *name;         /* the scenario's short name (runs.name) */
	int current;
	char *overrides;
	uint64_t seed;
	struct replay *replay;
	struct trace_writer *trace_out;
	bool training;                /* between a training's start and end */
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *join_overrides(const struct scenario *sc)
{
	size_t n = scenario_override_count(sc), len = 1;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(scenario_override(sc, i)) + 1;
	s = xcalloc(len, 1);
	len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(scenario_override(sc, i));

		memcpy(s + len, scenario_override(sc, i), k);
		s[len + k] = '\n';
		len += k + 1;
	}
	return s;
}

/* Scenario name: the file name without directory and extension. */
static char *scenario_short_name(const struct scenario *sc)
{
	const char *path = scenario_name(sc), *base = strrchr(path, '/');
	char *name = xstrdup(base ? base + 1 : path), *dot = strrchr(name, '.');

	if (dot && dot != name)
		*dot = '\0';
	for (char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			*p = '_';
	return name;
}

static void announce(struct run *r, enum run_phase phase, bool started, bool done,
		     const char *world, simtime now, simtime end, uint64_t ev)
{
	struct run_progress p = { phase, started, done, world, r->current + 1, r->n_worlds,
				  now, end, ev };

	if (r->opt->progress)
		r->opt->progress(r->opt->progress_ctx, &p);
}

/* worldrun's callback: hourly simulation steps, and a training's start
 * (training true) and end (false again, the simulation resumes). */
static void world_progress(void *ctx, const char *world, bool training, simtime now,
			   simtime end, uint64_t ev)
{
	struct run *r = ctx;

	if (training) {
		r->training = true;
		announce(r, RUN_PHASE_TRAINING, true, false, world, now, end, ev);
		return;
	}
	if (r->training) {
		r->training = false;
		announce(r, RUN_PHASE_TRAINING, false, true, world, now, end, ev);
	}
	announce(r, RUN_PHASE_SIMULATION, now == 0, false, world, now, end, ev);
}

/* The user asked the run to stop (run_options.stop). */
static int stopped(const struct run *r, const char *where, struct error *err)
{
	if (r->opt->stop && *r->opt->stop)
		return error_set(err, ERR_INTERRUPTED, "interrupted %s", where);
	return 0;
}

/* The twin world in which everyone gets scorer s, or NULL. */
static const struct world_slot *twin_of(const struct run *r, enum rank_scorer s)
{
	for (int i = 0; i < r->n_worlds; i++) {
		const struct world_slot *w = &r->worlds[i];

		if (w->target < 0 && w->policy != WORLDRUN_SPLIT &&
		    r->cfg->ab.arm[w->policy].scorer == s)
			return w;
	}
	return NULL;
}

/* [ope] truth: a world per target that no twin world already runs: the
 * control for the warm-up, then the target for everyone; nothing scored
 * beside it. */
static void plan_target_worlds(struct run *r)
{
	const struct config_ope *o = &r->cfg->ope;

	if (!o->truth)
		return;
	for (size_t t = 0; t < o->n_targets; t++) {
		struct world_slot *ws;
		struct config *c;
		const char *name;

		if (twin_of(r, o->target[t]))
			continue;
		name = config_scorer_name(r->cfg, o->target[t]);
		c = xmalloc(sizeof(*c));
		*c = *r->cfg;
		c->ab.n_arms = 2;
		c->ab.arm[1] = c->ab.arm[0];
		c->ab.arm[1].scorer = o->target[t];
		snprintf(c->ab.arm[1].name, sizeof(c->ab.arm[1].name), "%s", name);
		snprintf(c->ab.arm[1].label, sizeof(c->ab.arm[1].label), "%s", name);
		c->ope.n_targets = 0;
		{
			char *own = xasprintf("ope-%s", name);

			ws = &r->worlds[r->n_worlds++];
			*ws = (struct world_slot){ .name = own, .policy = 1, .cfg = c,
						   .own_name = own, .target = (int)t };
		}
	}
}

static void plan_worlds(struct run *r)
{
	enum config_ab_mode mode = r->cfg->ab.mode;

	r->n_worlds = 0;
	if (r->replay) {
		/* The same trace under each design: split divides its users
		 * between the arms, twin replays it once per arm. */
		if (mode == CONFIG_AB_SPLIT || mode == CONFIG_AB_BOTH)
			r->worlds[r->n_worlds++] = (struct world_slot){ .name = "replay",
									.policy = WORLDRUN_SPLIT,
									.target = -1 };
		if (mode == CONFIG_AB_TWIN || mode == CONFIG_AB_BOTH)
			for (size_t a = 0; a < r->cfg->ab.n_arms; a++) {
				char *own = xasprintf("replay-%s", r->cfg->ab.arm[a].label);

				r->worlds[r->n_worlds++] = (struct world_slot){
					.name = own, .policy = (int)a, .own_name = own, .target = -1 };
			}
		return;
	}
	if (mode == CONFIG_AB_SPLIT || mode == CONFIG_AB_BOTH)
		r->worlds[r->n_worlds++] = (struct world_slot){ .name = "split",
								.policy = WORLDRUN_SPLIT,
								.target = -1 };
	/* A twin world per arm, named after it: "control", "treatment", or
	 * with more arms the treatments' rankers. */
	if (mode == CONFIG_AB_TWIN || mode == CONFIG_AB_BOTH)
		for (size_t a = 0; a < r->cfg->ab.n_arms; a++)
			r->worlds[r->n_worlds++] = (struct world_slot){
				.name = r->cfg->ab.arm[a].label, .policy = (int)a, .target = -1 };
	plan_target_worlds(r);
}

/* The first world keeps its stores at the top of the run directory (the
 * layout DESIGN.md documents); further worlds get a subdirectory each. */
static char *world_dir(struct run *r, int i, struct error *err)
{
	char *rel;

	if (i == 0)
		return xstrdup(rundir_path(r->rd));
	rel = xasprintf("world-%s", r->worlds[i].name);
	if (rundir_mkdir(r->rd, rel, err) < 0) {
		free(rel);
		return NULL;
	}
	{
		char *dir = rundir_file(r->rd, rel);

		free(rel);
		return dir;
	}
}

static int begin_world_run(struct run *r, int i, struct error *err)
{
	char *name = xstrdup(r->name), *full = xasprintf("%s#%s", name, r->worlds[i].name);
	struct results_run run = {
		.run_key = rundir_id(r->rd),
		.name = full,
		.scenario_text = scenario_text(r->sc),
		.overrides = r->overrides,
		.seed = r->seed,
	};
	int rc = results_begin_run(r->res, &run, &r->worlds[i].run_id, err);

	free(full);
	free(name);
	return rc;
}

static int simulate(struct run *r, struct error *err)
{
	struct worldrun_progress_fn prog = { world_progress, r, r->opt->stop };
	int rc = 0;

	for (int i = 0; i < r->n_worlds && rc == 0; i++) {
		struct world_slot *ws = &r->worlds[i];
		double t0 = wall_now();
		char *dir = world_dir(r, i, err);

		if (!dir)
			return err->code;
		r->current = i;
		struct worldrun_io io = { r->replay, i == 0 ? r->trace_out : NULL, (uint32_t)i,
					  r->ckpt };

		ws->w = worldrun_new(ws->cfg ? ws->cfg : r->cfg, r->sc, ws->policy, ws->name, dir,
				     &prog, &io, err);
		free(dir);
		if (!ws->w)
			return err->code;
		if ((rc = begin_world_run(r, i, err)) < 0 ||
		    (rc = worldrun_execute(ws->w, err)) < 0)
			break;
		announce(r, RUN_PHASE_SIMULATION, false, true, ws->name, worldrun_end(ws->w),
			 worldrun_end(ws->w), worldrun_events(ws->w));
		rc = results_put_timing(r->res, ws->run_id, schema_name(SCHEMA_TIMING_SIMULATION),
					wall_now() - t0, err);
		if (rc == 0)
			rc = worldrun_store(ws->w, r->res, ws->run_id, err);
	}
	return rc;
}

static const struct world_slot *find_world(const struct run *r, int p)
{
	for (int i = 0; i < r->n_worlds; i++)
		if (r->worlds[i].policy == p && r->worlds[i].target < 0)
			return &r->worlds[i];
	return NULL;
}

static void note_lifts(struct run_summary *out, const struct abtest *a,
		       const struct decision_spec *spec)
{
	out->srm_flagged = a->srm_flagged;
	out->n_arms = a->n_arms;
	for (size_t i = 0; i < a->n_arms; i++) {
		struct run_arm_summary *s = &out->arms[i];
		const struct abtest_row *e = abtest_find(&a->arms[i], "engagement_actions");
		const struct abtest_row *l = abtest_find(&a->arms[i], "listening_minutes");

		struct decision dec;

		snprintf(s->name, sizeof(s->name), "%s", a->arms[i].name);
		snprintf(s->ranker, sizeof(s->ranker), "%s", a->arms[i].ranker);
		decision_make(spec, a, i, &dec);
		snprintf(s->decision, sizeof(s->decision), "%s: %s",
			 decision_verdict_name(dec.verdict), dec.reason);
		s->engagement_rel = s->engagement_lo = s->engagement_hi = NAN;
		s->listening_rel = s->listening_lo = s->listening_hi = NAN;
		/* the headline is each row's own test (CUPED in a split) */
		if (e && e->estimable) {
			s->engagement_rel = abtest_tested(e)->rel;
			s->engagement_lo = abtest_tested(e)->rel_lo;
			s->engagement_hi = abtest_tested(e)->rel_hi;
		}
		if (l && l->estimable) {
			s->listening_rel = abtest_tested(l)->rel;
			s->listening_lo = abtest_tested(l)->rel_lo;
			s->listening_hi = abtest_tested(l)->rel_hi;
		}
	}
	if (a->n_arms) {
		out->engagement_rel = out->arms[0].engagement_rel;
		out->engagement_lo = out->arms[0].engagement_lo;
		out->engagement_hi = out->arms[0].engagement_hi;
		out->listening_rel = out->arms[0].listening_rel;
		out->listening_lo = out->arms[0].listening_lo;
		out->listening_hi = out->arms[0].listening_hi;
	}
}

/* A/B/n analyses: split from the split world, twin from the arms' worlds. */
/* A replayed trace: what each arm's requests cost, per world. */
static void note_serving(struct run *r, struct run_summary *out)
{
	out->replay = true;
	for (int i = 0; i < r->n_worlds; i++)
		for (size_t a = 0; a < r->cfg->ab.n_arms; a++) {
			const struct worldrun_arm_serving *s = worldrun_arm_serving(r->worlds[i].w, a);
			struct run_serving *o;

			if (!s || !s->requests || out->n_serving == RUN_SERVING_MAX)
				continue;
			o = &out->serving[out->n_serving++];
			snprintf(o->world, sizeof(o->world), "%s", r->worlds[i].name);
			snprintf(o->arm, sizeof(o->arm), "%s", r->cfg->ab.arm[a].label);
			snprintf(o->ranker, sizeof(o->ranker), "%s", r->cfg->ab.arm[a].name);
			o->s = *s;
		}
}

static int analyse(struct run *r, struct run_summary *out, struct error *err)
{
	const struct config_ab *ab = &r->cfg->ab;
	const struct world_slot *split = find_world(r, WORLDRUN_SPLIT);
	const struct metrics *twins[CONFIG_AB_ARMS_MAX];
	const struct exposure *ex[CONFIG_AB_ARMS_MAX];
	int ex_arm[CONFIG_AB_ARMS_MAX];
	bool exposed = true;
	const char *names[CONFIG_AB_ARMS_MAX], *rankers[CONFIG_AB_ARMS_MAX];
	double shares[CONFIG_AB_ARMS_MAX];
	struct abtest_design d = { ab->n_arms, names, rankers, shares };
	int64_t primary = r->worlds[0].run_id;
	bool twin = true;
	struct decision_spec spec;
	struct abtest *a;
	int rc = 0;

	if (r->replay) {
		/* The trace's outcomes are what its users did with the recorded
		 * pages, the same whichever arm served them: only the serving
		 * side compares (and off-policy estimates from its propensities). */
		note_serving(r, out);
		return 0;
	}
	if ((rc = decision_spec_parse(&spec, ab->primary, ab->guardrails, true, err)) < 0)
		return rc;    /* run_check has refused it already */
	for (size_t i = 0; i < ab->n_arms; i++) {
		const struct world_slot *w = find_world(r, (int)i);

		names[i] = ab->arm[i].label;
		rankers[i] = ab->arm[i].name;
		shares[i] = ab->arm[i].share;
		twins[i] = w ? worldrun_metrics(w->w) : NULL;
		twin = twin && w;
		ex_arm[i] = (int)i;
	}
	a = xcalloc(1, sizeof(*a));
	if (split) {
		rc = abtest_split(worldrun_metrics(split->w), &d, ALPHA, BOOTSTRAP_REPS, r->seed, a,
				  err);
		for (size_t i = 0; i < ab->n_arms; i++)
			exposed = exposed && (ex[i] = worldrun_exposure(split->w)) != NULL;
		if (rc == 0 && exposed)
			abtest_add_exposure(a, ex, ex_arm, BOOTSTRAP_REPS, r->seed);
		if (rc == 0)
			rc = results_put_abtest(r->res, primary, schema_name(SCHEMA_AB_SPLIT), a, err);
		if (rc == 0)
			note_lifts(out, a, &spec);
	}
	if (rc == 0 && twin) {
		rc = abtest_twin(twins, &d, ALPHA, a, err);
		exposed = true;
		for (size_t i = 0; i < ab->n_arms; i++)
			exposed = exposed &&
				  (ex[i] = worldrun_exposure(find_world(r, (int)i)->w)) != NULL;
		if (rc == 0 && exposed)
			abtest_add_exposure(a, ex, ex_arm, BOOTSTRAP_REPS, r->seed);
		if (rc == 0)
			rc = results_put_abtest(r->res, primary, schema_name(SCHEMA_AB_TWIN), a, err);
		if (rc == 0 && !split)
			note_lifts(out, a, &spec);
	}
	if (rc == 0 && twin && split) {
		/* [ab] mode = both: the split estimate against the twin one */
		struct abtest_bias *b = xcalloc(1, sizeof(*b));

		rc = abtest_bias(worldrun_metrics(split->w), twins, &d, ALPHA, b, err);
		if (rc == 0)
			rc = results_put_bias(r->res, primary, b, err);
		free(b);
	}
	free(a);
	return rc;
}

/* A quantile row of h against a [slo] time; a target of 0 drops it. */
static void slo_quantile(struct slo_table *t, const char *name, const struct hist *h, double q,
			 simtime target)
{
	if (target > 0)
		slo_add_quantile(t, name, h, q, target, false);
}

static void slo_max(struct slo_table *t, const char *name, const struct hist *h, simtime target)
{
	if (target > 0)
		slo_add_max(t, name, h, target, false);
}

/* A host time histogram in ns: its p99 against a [slo] time. */
static void slo_host_p99(struct slo_table *t, const char *name, const struct hist *ns,
			 simtime target)
{
	if (target > 0)
		slo_add_time(t, name, (double)hist_quantile(ns, 0.99) / 1e3, target, hist_count(ns),
			     true);
}

/* One world's SLO table, targets from [slo]: end-to-end latency,
 * availability, reflection time (simulated); feature assembly, scoring and
 * with [stream] store = redis the Redis read (host-measured). */
static void world_slos(const struct config_slo *o, struct worldrun *w, struct slo_table *t)
{
	const struct endpoint *ep = worldrun_endpoint(w);
	const struct endpoint_stats *es = endpoint_stats(ep);
	const struct stream *st = worldrun_stream(w);
	const struct rank *rk = serving_rank(worldrun_serving(w));
	const struct redisstore *rs = stream_redis(st);

	slo_init(t);
	slo_quantile(t, "end-to-end latency p50", endpoint_latency(ep), 0.50, o->latency_p50);
	slo_quantile(t, "end-to-end latency p95", endpoint_latency(ep), 0.95, o->latency_p95);
	slo_quantile(t, "end-to-end latency p99", endpoint_latency(ep), 0.99, o->latency_p99);
	slo_quantile(t, "end-to-end latency p99.9", endpoint_latency(ep), 0.999, o->latency_p999);
	slo_max(t, "end-to-end latency max", endpoint_latency(ep), o->latency_max);
	slo_add_availability(t, "availability", es->by_status[ENDPOINT_OK], es->submitted,
			     o->availability);
	slo_quantile(t, "reflection time p50", stream_reflection(st), 0.50, o->reflection_p50);
	slo_quantile(t, "reflection time p99", stream_reflection(st), 0.99, o->reflection_p99);
	slo_max(t, "reflection time max", stream_reflection(st), o->reflection_max);
	if (o->data_loss >= 0) {
		const struct stream_counts *c = stream_counts(st);
		uint64_t lost = c->dead_unapplied + c->expired_unapplied;

		slo_add_at_most(t, "data loss (feature events dead-lettered or expired)",
				(double)lost, (double)o->data_loss, "events");
		snprintf(t->rows[t->n - 1].observed, sizeof(t->rows[t->n - 1].observed),
			 "%llu events", (unsigned long long)lost);
		snprintf(t->rows[t->n - 1].target, sizeof(t->rows[t->n - 1].target),
			 "<= %lld events", (long long)o->data_loss);
		snprintf(t->rows[t->n - 1].note, sizeof(t->rows[t->n - 1].note),
			 "%llu dead-lettered, %llu expired of %llu published",
			 (unsigned long long)c->dead_unapplied,
			 (unsigned long long)c->expired_unapplied, (unsigned long long)c->published);
	}
	/* Host time of feature assembly and of scoring per request
	 * (histograms in ns), against the read budget stated for
	 * feature_read_shows shows. */
	slo_host_p99(t, "host feature assembly p99", rank_host_assembly_ns(rk), o->feature_read);
	if (o->feature_read > 0 && t->rows[t->n - 1].verdict != SLO_NO_DATA)
		snprintf(t->rows[t->n - 1].note, sizeof(t->rows[t->n - 1].note),
			 "%llu pages; host wall-clock; target stated for %u shows a page",
			 (unsigned long long)hist_count(rank_host_assembly_ns(rk)),
			 o->feature_read_shows);
	slo_host_p99(t, "host scoring p99", rank_host_scoring_ns(rk), o->host_scoring);
	if (rs) {
		slo_host_p99(t, "host Redis read p99 (one round trip)", redisstore_read_ns(rs),
			     o->store_read);
		if (t->n && o->store_read > 0)
			snprintf(t->rows[t->n - 1].note, sizeof(t->rows[t->n - 1].note),
				 "%llu reads; host wall-clock; target stated for %u shows",
				 (unsigned long long)hist_count(redisstore_read_ns(rs)),
				 o->feature_read_shows);
	}
}

/* SLOs per world (world_slos); the failing rows are kept for the exit
 * code and the lines the CLI prints. */
static int check_slos(struct run *r, struct run_summary *out, struct error *err)
{
	int rc = 0;

	out->slo_pass = out->slo_fail = 0;
	slo_init(&out->slo_failed);
	for (int i = 0; i < r->n_worlds && rc == 0; i++) {
		struct slo_table t;
		size_t pass, fail;

		world_slos(&r->cfg->slo, r->worlds[i].w, &t);
		slo_counts(&t, &pass, &fail);
		out->slo_pass += pass;
		out->slo_fail += fail;
		/* The report reads the first run's table: with several worlds,
		 * every world's rows go there, named after their world. */
		if (r->n_worlds > 1)
			for (size_t k = 0; k < t.n; k++) {
				char name[sizeof(t.rows[k].name)];

				snprintf(name, sizeof(name), "%s: %.60s", r->worlds[i].name,
					 t.rows[k].name);
				memcpy(t.rows[k].name, name, sizeof(name));
			}
		for (size_t k = 0; k < t.n; k++)
			if (t.rows[k].verdict == SLO_FAIL &&
			    out->slo_failed.n < sizeof(out->slo_failed.rows) / sizeof(t.rows[0]))
				out->slo_failed.rows[out->slo_failed.n++] = t.rows[k];
		rc = results_put_slo(r->res, r->worlds[0].run_id, &t, err);
	}
	return rc;
}

static int store_model(struct run *r, struct error *err)
{
	const struct forest *f = worldrun_model(r->worlds[0].w);
	size_t n;
	const char **names;
	double *imp;
	int rc;

	if (!f)
		return 0;
	n = forest_n_features(f);
	names = xcalloc(n, sizeof(*names));
	imp = xcalloc(n, sizeof(*imp));
	for (size_t i = 0; i < n; i++) {
		names[i] = forest_feature_name(f, i);
		imp[i] = forest_importance(f, i);
	}
	rc = results_put_importance(r->res, r->worlds[0].run_id, names, imp, NULL, n, err);
	free(names);
	free(imp);
	return rc;
}

static int write_inputs(struct run *r, struct error *err)
{
	const char *text = scenario_text(r->sc);
	char seed[32];
	int rc;

	snprintf(seed, sizeof(seed), "%llu\n", (unsigned long long)r->seed);
	if ((rc = rundir_write_file(r->rd, "scenario.ini", text, strlen(text), err)) < 0 ||
	    (rc = rundir_write_file(r->rd, "overrides.txt", r->overrides, strlen(r->overrides),
				    err)) < 0 ||
	    (rc = rundir_write_file(r->rd, "seed", seed, strlen(seed), err)) < 0)
		return rc;
	return 0;
}

/* The report is built from the closed results.db; its host time is added
 * afterwards so the report itself never depends on it. */
static int record_report_time(struct run *r, const char *db_path, double seconds,
			      struct error *err)
{
	struct results *res = results_open(db_path, err);
	int rc;

	if (!res)
		return err->code;
	rc = results_put_timing(res, r->worlds[0].run_id, schema_name(SCHEMA_TIMING_REPORT), seconds,
				err);
	results_close(res);
	return rc;
}

static void free_worlds(struct run *r)
{
	for (int i = 0; i < r->n_worlds; i++) {
		worldrun_free(r->worlds[i].w);
		r->worlds[i].w = NULL;
	}
}

/* [ab] primary and guardrails name rows of the analysis (stats/ knows
 * them, config/ cannot), checked here with the key's place. */
static int check_decision(const struct config *cfg, const struct scenario *sc,
			  struct error *err)
{
	struct decision_spec spec;
	char at[SCENARIO_WHERE_MAX];
	struct error e;

	error_clear(&e);
	if (decision_spec_parse(&spec, cfg->ab.primary, "", true, &e) < 0)
		return error_set(err, ERR_INPUT, "%s: [ab] primary: %s",
				 scenario_where(sc, "ab", "primary", at, sizeof(at)), e.msg);
	if (decision_spec_parse(&spec, cfg->ab.primary, cfg->ab.guardrails, true, &e) < 0)
		return error_set(err, ERR_INPUT, "%s: [ab] guardrails: %s",
				 scenario_where(sc, "ab", "guardrails", at, sizeof(at)), e.msg);
	return 0;
}

static void free_plans(struct run *r)
{
	for (int i = 0; i < r->n_worlds; i++) {
		free(r->worlds[i].cfg);
		free(r->worlds[i].own_name);
		r->worlds[i].cfg = NULL;
		r->worlds[i].own_name = NULL;
	}
}

/* [ope] targets: every target estimated from the first world's log, and
 * scored against its world's truth ([ope] truth): the twin world of an arm
 * that ranks with it, or the target's own world. */
static int analyse_ope(struct run *r, struct run_summary *out, struct error *err)
{
	const struct config_ope *o = &r->cfg->ope;
	const struct bandit_table *log = r->worlds[0].w ? worldrun_bandit(r->worlds[0].w) : NULL;
	struct ope_options opt;
	struct ope_population pop;
	int rc;

	if (!o->n_targets || !log)
		return 0;
	if ((rc = ope_options_from_config(r->cfg, r->sc, &opt, err)) < 0)
		return rc;
	ope_population_init(&pop, r->cfg, r->worlds[0].policy);
	for (size_t t = 0; t < o->n_targets; t++) {
		const struct world_slot *tw = twin_of(r, o->target[t]);
		struct ope_result res;

		for (int i = 0; !tw && i < r->n_worlds; i++)
			if (r->worlds[i].target == (int)t)
				tw = &r->worlds[i];
		if (r->replay)
			tw = NULL;   /* no behaviour model: no truth */
		if ((rc = ope_evaluate(log, t, &opt, &res, err)) < 0)
			return error_prefix(err, "off-policy evaluation of '%s': ",
					    log->target_names[t]);
		if (tw && o->truth)
			ope_truth(worldrun_bandit(tw->w), &pop, opt.reward, &res);
		if ((rc = ope_store(r->res, r->worlds[0].run_id, &res, err)) < 0)
			return rc;
		if (out->n_ope < RUN_OPE_MAX)
			out->ope[out->n_ope++] = res;
	}
	return 0;
}

/* [logging] csv: the first world's tables beside results.db. */
static int export_csv(struct run *r, struct error *err)
{
	static const enum banditstore_table tables[] = { BANDITSTORE_IMPRESSIONS,
							 BANDITSTORE_USERS, BANDITSTORE_TARGETS };
	int rc = 0;

	if (!r->cfg->logging.csv || !r->cfg->logging.impressions)
		return 0;
	for (size_t i = 0; i < 3 && rc == 0; i++) {
		char *rel = xasprintf("%s.csv", banditstore_table_name(tables[i])), *path;
		uint64_t rows;

		if (tables[i] == BANDITSTORE_TARGETS && !r->cfg->ope.n_targets) {
			free(rel);
			continue;
		}
		path = rundir_file(r->rd, rel);
		rc = banditstore_export_csv(r->res, r->worlds[0].run_id, tables[i], path, &rows, err);
		if (rc == ERR_NOTFOUND)
			rc = 0;   /* nothing logged: no file */
		free(path);
		free(rel);
	}
	return rc;
}

/* config_load, then the rules of this run (replay or not). */
static int check(struct config *cfg, const struct scenario *sc, bool replay, struct error *err)
{
	int rc;

	if ((rc = config_load(cfg, sc, err)) < 0 || (rc = check_decision(cfg, sc, err)) < 0)
		return rc;
	if (!replay && (rc = run_budget_rules(cfg, sc, err)) < 0)
		return rc;
	return worldrun_check(cfg, sc, replay, err);
}

int run_estimate(const struct scenario *sc, struct run_budget *b, struct error *err)
{
	struct config *cfg = xmalloc(sizeof(*cfg));
	int rc = check(cfg, sc, false, err);

	if (rc == 0)
		run_budget_estimate(cfg, NULL, b);
	free(cfg);
	return rc;
}

int run_check(const struct scenario *sc, struct error *err)
{
	struct config *cfg = xmalloc(sizeof(*cfg));
	int rc = check(cfg, sc, false, err);

	free(cfg);
	return rc;
}

/* The run's name (runs.name) is the scenario file's: kept beside the
 * checkpoints, as a resumed run reads its scenario from the directory. */
static int checkpoint_name(struct run *r, char **name, bool resume, struct error *err)
{
	char *path = xasprintf("%s/name", r->ckpt), buf[256];
	FILE *f;
	int rc = 0;

	if (resume) {
		if ((f = fopen(path, "r")) && fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = '\0';
			free(*name);
			*name = xstrdup(buf);
		}
		if (f)
			fclose(f);
	} else if (!(f = fopen(path, "w")) || fprintf(f, "%s\n", *name) < 0 || fclose(f) != 0) {
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	}
	free(path);
	return rc;
}

int run_execute(const struct scenario *sc, const struct run_options *opt,
		struct run_summary *out, struct error *err)
{
	struct run r = { .sc = sc, .opt = opt, .cfg = xmalloc(sizeof(*r.cfg)) };
	char *name = scenario_short_name(sc), *db_path = NULL;
	double t0 = wall_now();
	int rc;

	memset(out, 0, sizeof(*out));
	out->engagement_rel = out->listening_rel = NAN;
	r.overrides = join_overrides(sc);
	/* Inputs first: a scenario its modules refuse, or a bad trace, must
	 * not leave a run directory behind.  A trace's absolute times count
	 * from the scenario's start date; its text or sparse ids are mapped. */
	if ((rc = config_load(r.cfg, sc, err)) < 0)
		goto out;
	if (opt->trace_in) {
		struct trace_options to = { .map_ids = true, .epoch_day = r.cfg->run.start_date };

		if (!(r.replay = replay_open(opt->trace_in, &to, err))) {
			rc = err->code;
			goto out;
		}
	}
	if ((rc = worldrun_check(r.cfg, sc, r.replay != NULL, err)) < 0)
		goto out;
	/* The memory budget, before anything big is allocated. */
	{
		struct run_budget b;
		struct run_budget_replay rs;
		uint64_t limit = opt->max_memory ? opt->max_memory : run_budget_available();

		if (r.replay)
			rs = (struct run_budget_replay){ replay_users(r.replay), replay_shows(r.replay),
							 replay_creators(r.replay) };
		run_budget_estimate(r.cfg, r.replay ? &rs : NULL, &b);
		if (limit != UINT64_MAX && (rc = run_budget_check(&b, limit, err)) < 0) {
			if (r.replay)
				error_prefix(err, "trace '%s' (the world is sized by its largest ids; "
					     "renumber them densely from 0): ", opt->trace_in);
			goto out;
		}
	}
	r.seed = r.cfg->run.seed;
	plan_worlds(&r);
	{
		const struct rundir_spec spec = {
			.base = opt->reports_base ? opt->reports_base : "reports",
			.name = name,
			.out = opt->out,
			.scenario_text = scenario_text(sc),
			.overrides = r.overrides,
			.seed = r.seed,
		};

		rc = opt->resume ? rundir_resume(&r.rd, opt->resume, &spec, err)
				 : rundir_begin(&r.rd, &spec, err);
	}
	if (rc < 0) {
		/* Where the run goes is the user's choice: an unwritable place is
		 * bad input (exit 2), like a bad scenario. */
		if (rc == ERR_IO)
			rc = err->code = ERR_INPUT;
		goto out;
	}
	if (rundir_notes(r.rd))
		snprintf(out->notes, sizeof(out->notes), "%s", rundir_notes(r.rd));
	if ((rc = write_inputs(&r, err)) < 0)
		goto out;
	r.ckpt = rundir_file(r.rd, RUNDIR_CHECKPOINT);
	if (mkdir(r.ckpt, 0777) != 0 && errno != EEXIST) {
		rc = error_set(err, ERR_IO, "cannot create '%s': %s", r.ckpt, strerror(errno));
		goto out;
	}
	if ((rc = checkpoint_name(&r, &name, opt->resume != NULL, err)) < 0)
		goto out;
	r.name = name;
	if (r.replay && replay_ids(r.replay)) {
		/* the mapping of a trace recorded elsewhere, beside its results */
		const struct trace_ids *ids = replay_ids(r.replay);
		bool any = false;
		char *path;

		for (int k = 0; k < TRACE_ID_KINDS; k++)
			any = any || ids->mapped[k];
		if (any) {
			path = rundir_file(r.rd, "trace-ids.csv");
			rc = trace_ids_write_csv(ids, path, err);
			free(path);
			if (rc < 0)
				goto out;
		}
	}
	if (opt->trace_out &&
	    !(r.trace_out = trace_writer_open(opt->trace_out,
					      opt->trace_out_csv ? TRACE_CSV : TRACE_BINARY, err))) {
		rc = err->code;
		goto out;
	}
	db_path = rundir_file(r.rd, "results.db");
	if (!(r.res = results_open(db_path, err))) {
		rc = err->code;
		goto out;
	}
	if ((rc = simulate(&r, err)) < 0 || (rc = stopped(&r, "after the simulation", err)) < 0)
		goto out;
	if ((rc = analyse(&r, out, err)) < 0 || (rc = analyse_ope(&r, out, err)) < 0 ||
	    (rc = check_slos(&r, out, err)) < 0 || (rc = store_model(&r, err)) < 0 ||
	    (rc = export_csv(&r, err)) < 0)
		goto out;
	for (int i = 0; i < r.n_worlds; i++) {
		out->events += worldrun_events(r.worlds[i].w);
		rc = results_finish_run(r.res, r.worlds[i].run_id, RESULTS_OK, wall_now() - t0, err);
		if (rc < 0)
			goto out;
	}
	free_worlds(&r);
	results_close(r.res);
	r.res = NULL;
	if (r.trace_out) {
		rc = trace_writer_close(r.trace_out, err);
		r.trace_out = NULL;
		if (rc < 0)
			goto out;
	}
	if ((rc = stopped(&r, "before the report", err)) < 0)
		goto out;
	if (!opt->no_report) {
		struct error rerr;
		double t1 = wall_now();

		error_clear(&rerr);
		announce(&r, RUN_PHASE_REPORT, true, false, "", 0, 0, out->events);
		rc = report_build(rundir_path(r.rd), &rerr);
		announce(&r, RUN_PHASE_REPORT, false, true, "", 0, 0, out->events);
		if (rc < 0) {
			*err = rerr;
			error_prefix(err, "writing the report: ");
			goto out;
		}
		if (rc == REPORT_WARNINGS)
			snprintf(out->warning, sizeof(out->warning), "%s", rerr.msg);
		rc = record_report_time(&r, db_path, wall_now() - t1, err);
		if (rc < 0)
			goto out;
	}
	if ((rc = stopped(&r, "after the report", err)) < 0 ||
	    (rc = rundir_commit(r.rd, err)) < 0)
		goto out;
	snprintf(out->dir, sizeof(out->dir), "%s", rundir_path(r.rd));
out:
	free_worlds(&r);
	free_plans(&r);
	results_close(r.res);
	trace_writer_abort(r.trace_out);
	replay_free(r.replay);
	rundir_free(r.rd);
	free(r.ckpt);
	free(db_path);
	free(r.overrides);
	free(r.cfg);
	free(name);
	return rc;
}
