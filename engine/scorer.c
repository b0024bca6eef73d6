/* Every scorer behind one table of operations; see scorer.h. */
#include "engine/scorer.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/rng.h"
#include "common/xalloc.h"
#include "engine/forest.h"
#include "engine/rank.h"
#include "engine/rank_forest.h"
#include "engine/scorer_exec.h"
#include "engine/scorer_model.h"
#include "engine/scorer_plugin.h"

/* Host timings in ns up to 10 min (a fit may be long), 3 digits. */
#define HOST_HIST_HIGHEST (INT64_C(600) * 1000000000)

struct scorer {
	char *name;
	const struct scorer_ops *ops;
	void *self;
	unsigned flags;
	bool timed;
	struct hist host, host_fit;
};

static int64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct scorer *scorer_wrap(const char *name, const struct scorer_ops *ops, void *self,
			   unsigned flags)
{
	struct scorer *s = xcalloc(1, sizeof(*s));
	struct error err;

	ASSERT(ops && ops->score);
	s->name = xstrdup(name);
	s->ops = ops;
	s->self = self;
	s->flags = flags;
	if (flags & SCORER_TIMED) {
		if (hist_init(&s->host, HOST_HIST_HIGHEST, 3, &err) < 0 ||
		    hist_init(&s->host_fit, HOST_HIST_HIGHEST, 3, &err) < 0)
			BUG("scorer host histogram: %s", err.msg);
		s->timed = true;
	}
	return s;
}

void scorer_free(struct scorer *s)
{
	if (!s)
		return;
	if (s->ops->destroy)
		s->ops->destroy(s->self);
	if (s->timed) {
		hist_release(&s->host);
		hist_release(&s->host_fit);
	}
	free(s->name);
	free(s);
}

void *scorer_self(const struct scorer *s, const struct scorer_ops *ops)
{
	return s && s->ops == ops ? s->self : NULL;
}

const char *scorer_name(const struct scorer *s)
{
	return s->name;
}

const char *scorer_kind_name(const struct scorer *s)
{
	return s->ops->kind;
}

bool scorer_needs_features(const struct scorer *s)
{
	return s->ops->needs_features;
}

bool scorer_has_fit(const struct scorer *s)
{
	return s->ops->fit != NULL;
}

const struct hist *scorer_host_ns(const struct scorer *s)
{
	return s->timed ? &s->host : NULL;
}

const struct hist *scorer_host_fit_ns(const struct scorer *s)
{
	return s->timed ? &s->host_fit : NULL;
}

void scorer_prepare(struct scorer *s)
{
	if (s->ops->prepare)
		s->ops->prepare(s->self);
}

char *scorer_format_time(simtime t, char *buf, size_t n)
{
	simtime day = t / SIMTIME_DAY, in = t % SIMTIME_DAY;

	if (in < 0) {
		day--;
		in += SIMTIME_DAY;
	}
	snprintf(buf, n, "day %" PRId64 " %02d:%02d:%02d.%03d", day, (int)(in / SIMTIME_HOUR),
		 (int)(in / SIMTIME_MIN % 60), (int)(in / SIMTIME_S % 60),
		 (int)(in / SIMTIME_MS % 1000));
	return buf;
}

/* "ranker 'NAME' failed at day ... (what): " before the scorer's message. */
static int page_error(struct scorer *s, const struct airtime_page *page, struct error *err)
{
	char when[64];

	if (!err->code)
		err->code = ERR_RUN;
	scorer_format_time(page->context->now_us, when, sizeof(when));
	return error_prefix(err, "ranker '%s' failed at %s (a page of %u candidates for user %u): ",
			    s->name, when, page->n, page->context->user);
}

int scorer_score(struct scorer *s, const struct airtime_page *page, double *scores,
		 struct scorer_cost *cost, struct error *err)
{
	int64_t t0 = s->timed ? host_ns() : 0;
	int rc;

	ASSERT(page->n > 0);
	error_clear(err);
	rc = s->ops->score(s->self, page, scores, cost, err);
	if (s->timed) {
		int64_t dt = host_ns() - t0;

		hist_record(&s->host, dt > 0 ? dt : 0);
	}
	if (rc < 0)
		return page_error(s, page, err);
	if (s->flags & SCORER_CHECKED)
		for (uint32_t i = 0; i < page->n; i++)
			if (!isfinite(scores[i])) {
				error_set(err, ERR_RUN, "score %s for candidate %u (show %u); every score must be finite",
					  isnan(scores[i]) ? "NaN" : scores[i] > 0 ? "+inf" : "-inf",
					  i, page->candidates[i].show);
				return page_error(s, page, err);
			}
	return 0;
}

int scorer_fit(struct scorer *s, const struct airtime_training_set *set, simtime now,
	       struct error *err)
{
	int64_t t0;
	char when[64];
	int rc;

	if (!s->ops->fit)
		return 0;
	t0 = s->timed ? host_ns() : 0;
	error_clear(err);
	rc = s->ops->fit(s->self, set, now, err);
	if (s->timed) {
		int64_t dt = host_ns() - t0;

		hist_record(&s->host_fit, dt > 0 ? dt : 0);
	}
	if (rc >= 0)
		return 0;
	if (!err->code)
		err->code = ERR_RUN;
	scorer_format_time(now, when, sizeof(when));
	return error_prefix(err, "ranker '%s' failed to fit at %s (%" PRIu64 " training rows): ",
			    s->name, when, set->n);
}

int scorer_close(struct scorer *s, struct error *err)
{
	int rc;

	if (!s->ops->close)
		return 0;
	error_clear(err);
	rc = s->ops->close(s->self, err);
	if (rc >= 0)
		return 0;
	if (!err->code)
		err->code = ERR_RUN;
	return error_prefix(err, "ranker '%s' failed at the end of the world: ", s->name);
}

const char *scorer_kind_label(enum scorer_kind k)
{
	switch (k) {
	case SCORER_FOREST: return "forest";
	case SCORER_PLUGIN: return "plugin";
	case SCORER_EXEC: return "exec";
	case SCORER_BUILTIN: return "built-in";
	}
	return "?";
}

uint64_t scorer_ranker_seed(uint64_t run_seed, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return rng_hash4(run_seed, RNG_RANKER, h, 1);
}

/* ---- kind = forest: a model file trained elsewhere ---- */

static int check_model(const struct scorer_config *cfg, struct forest **out, struct error *err)
{
	struct forest *f = forest_load(cfg->model, err);

	if (!f)
		return error_prefix(err, "ranker '%s': ", cfg->name);
	if (forest_params(f)->task != FOREST_CLASSIFY) {
		forest_free(f);
		return error_set(err, ERR_INPUT,
				 "ranker '%s': model '%s' is a regression forest; a ranker needs a classifier's probabilities",
				 cfg->name, cfg->model);
	}
	*out = f;
	return 0;
}

static struct scorer *forest_ranker(const struct scorer_config *cfg, const struct scorer_env *env,
				    struct error *err)
{
	struct forest *f;
	const char **names;
	struct scorer *s;

	if (check_model(cfg, &f, err) < 0)
		return NULL;
	names = xcalloc(env->n_features ? env->n_features : 1, sizeof(*names));
	for (uint32_t i = 0; i < env->n_features; i++)
		names[i] = env->features[i].name;
	s = scorer_model_new_owned(cfg->name, f, names, env->n_features, env->threads,
				   env->max_candidates, err);
	free(names);
	if (!s) {
		error_prefix(err, "ranker '%s': model '%s': ", cfg->name, cfg->model);
		return NULL;
	}
	return s;
}

struct scorer *scorer_new_ranker(const struct scorer_config *cfg, const struct scorer_env *env,
				 struct error *err)
{
	struct airtime_schema schema = {
		.n_features = env->n_features,
		.features = env->features,
		.n_topics = env->n_topics,
		.n_users = env->n_users,
		.ranker = cfg->name,
		.n_options = (uint32_t)cfg->n_options,
		.seed = scorer_ranker_seed(env->seed, cfg->name),
		.world = env->world,
	};
	const char *keys[SCORER_OPTIONS_MAX + 1], *values[SCORER_OPTIONS_MAX + 1];

	ASSERT(cfg->n_options <= SCORER_OPTIONS_MAX);
	for (size_t i = 0; i < cfg->n_options; i++) {
		keys[i] = cfg->options[i].key;
		values[i] = cfg->options[i].value;
	}
	schema.option_keys = keys;
	schema.option_values = values;
	switch (cfg->kind) {
	case SCORER_FOREST:
		return forest_ranker(cfg, env, err);
	case SCORER_PLUGIN:
		return scorer_plugin_new(cfg, &schema, err);
	case SCORER_EXEC:
		return scorer_exec_new(cfg, &schema, env->stderr_dir, err);
	case SCORER_BUILTIN:
		break;
	}
	error_set(err, ERR_INPUT, "ranker '%s': unknown kind %d", cfg->name, (int)cfg->kind);
	return NULL;
}

int scorer_check_ranker(const struct scorer_config *cfg, struct error *err)
{
	struct forest *f;

	switch (cfg->kind) {
	case SCORER_FOREST:
		if (check_model(cfg, &f, err) < 0)
			return err->code;
		forest_free(f);
		return 0;
	case SCORER_PLUGIN:
		return scorer_plugin_check(cfg, err);
	default:
		return 0;
	}
}
