/* Scorer plugins loaded with dlopen; see scorer_plugin.h. */
#include "engine/scorer_plugin.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* A score the plugin did not write: a NaN with a payload of our own. */
#define UNWRITTEN UINT64_C(0x7ff8a1e7a1e7a1e7)

struct plugin {
	void *dl;
	const struct airtime_scorer *t;
	void *self;
	uint64_t ns_per_candidate;
	char msg[1024];
};

/* The plugin's message, or what to say when it left none. */
static const char *plugin_msg(struct plugin *p, const char *call, int rc)
{
	p->msg[sizeof(p->msg) - 1] = '\0';
	for (char *c = p->msg; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	if (!p->msg[0])
		snprintf(p->msg, sizeof(p->msg), "%s() returned %d without a message", call, rc);
	return p->msg;
}

/* dlopen a path as written: a bare file name is in the working directory. */
static void *open_path(const char *path)
{
	char *p = strchr(path, '/') ? xstrdup(path) : xasprintf("./%s", path);
	void *dl = dlopen(p, RTLD_NOW | RTLD_LOCAL);

	free(p);
	return dl;
}

/* Load and check the table (not create). */
static int load(const struct scorer_config *cfg, void **dl_out,
		const struct airtime_scorer **t_out, struct error *err)
{
	const struct airtime_scorer *(*entry)(void);
	const struct airtime_scorer *t;
	size_t v1 = offsetof(struct airtime_scorer, destroy) + sizeof(t->destroy);
	void *dl, *sym;

	if (!cfg->path[0])
		return error_set(err, ERR_INPUT, "ranker '%s': kind = plugin needs a path", cfg->name);
	dlerror();
	if (!(dl = open_path(cfg->path))) {
		const char *why = dlerror();

		return error_set(err, ERR_INPUT, "ranker '%s': cannot load plugin '%s': %s", cfg->name,
				 cfg->path, why ? why : "unknown error");
	}
	sym = dlsym(dl, AIRTIME_SCORER_ENTRY);
	if (!sym) {
		dlclose(dl);
		return error_set(err, ERR_INPUT,
				 "ranker '%s': plugin '%s' has no symbol '%s' (define it with AIRTIME_SCORER_DEFINE of include/airtime/scorer.h)",
				 cfg->name, cfg->path, AIRTIME_SCORER_ENTRY);
	}
	memcpy(&entry, &sym, sizeof(entry));   /* POSIX: a data pointer to a function pointer */
	t = entry();
	if (!t) {
		dlclose(dl);
		return error_set(err, ERR_INPUT, "ranker '%s': plugin '%s': %s() returned NULL",
				 cfg->name, cfg->path, AIRTIME_SCORER_ENTRY);
	}
	if (t->api_version != AIRTIME_SCORER_API_VERSION) {
		uint32_t v = t->api_version;

		dlclose(dl);
		return error_set(err, ERR_INPUT,
				 "ranker '%s': plugin '%s' is built for scorer API version %u; this airtime speaks version %d",
				 cfg->name, cfg->path, v, AIRTIME_SCORER_API_VERSION);
	}
	if (t->struct_size < v1) {
		uint32_t sz = t->struct_size;

		dlclose(dl);
		return error_set(err, ERR_INPUT,
				 "ranker '%s': plugin '%s' has a function table of %u bytes (struct_size); version %d's has %zu",
				 cfg->name, cfg->path, sz, AIRTIME_SCORER_API_VERSION, v1);
	}
	if (!t->create || !t->score) {
		const char *what = !t->create ? "create" : "score";

		dlclose(dl);
		return error_set(err, ERR_INPUT, "ranker '%s': plugin '%s' has no %s() in its table",
				 cfg->name, cfg->path, what);
	}
	*dl_out = dl;
	*t_out = t;
	return 0;
}

int scorer_plugin_check(const struct scorer_config *cfg, struct error *err)
{
	const struct airtime_scorer *t;
	void *dl;
	int rc = load(cfg, &dl, &t, err);

	if (rc == 0)
		dlclose(dl);
	return rc;
}

static int plugin_fit(void *self, const struct airtime_training_set *set, simtime now,
		      struct error *err)
{
	struct plugin *p = self;
	int rc;

	(void)now;
	p->msg[0] = '\0';
	rc = p->t->fit(p->self, set, p->msg, sizeof(p->msg));
	if (rc)
		return error_set(err, ERR_RUN, "fit(): %s", plugin_msg(p, "fit", rc));
	return 0;
}

static int plugin_score(void *self, const struct airtime_page *page, double *scores,
			struct scorer_cost *cost, struct error *err)
{
	struct plugin *p = self;
	uint64_t bits;
	int rc;

	for (uint32_t i = 0; i < page->n; i++)
		memcpy(&scores[i], &(uint64_t){ UNWRITTEN }, sizeof(double));
	p->msg[0] = '\0';
	rc = p->t->score(p->self, page, scores, p->msg, sizeof(p->msg));
	if (rc)
		return error_set(err, ERR_RUN, "score(): %s", plugin_msg(p, "score", rc));
	for (uint32_t i = 0; i < page->n; i++) {
		memcpy(&bits, &scores[i], sizeof(bits));
		if (bits == UNWRITTEN)
			return error_set(err, ERR_RUN,
					 "score() wrote no score for candidate %u (show %u); it must write all %u",
					 i, page->candidates[i].show, page->n);
	}
	cost->service_ns = p->ns_per_candidate * page->n;
	return 0;
}

static void plugin_destroy(void *self)
{
	struct plugin *p = self;

	if (!p)
		return;
	if (p->self && p->t->destroy)
		p->t->destroy(p->self);
	if (p->dl)
		dlclose(p->dl);
	free(p);
}

static const struct scorer_ops plugin_ops = {
	.kind = "plugin",
	.needs_features = true,
	.fit = plugin_fit,
	.score = plugin_score,
	.destroy = plugin_destroy,
};

static const struct scorer_ops plugin_ops_nofit = {
	.kind = "plugin",
	.needs_features = true,
	.score = plugin_score,
	.destroy = plugin_destroy,
};

struct scorer *scorer_plugin_new(const struct scorer_config *cfg,
				 const struct airtime_schema *schema, struct error *err)
{
	struct plugin *p = xcalloc(1, sizeof(*p));

	if (load(cfg, &p->dl, &p->t, err) < 0) {
		free(p);
		return NULL;
	}
	p->ns_per_candidate = (uint64_t)cfg->cost_per_candidate * 1000;
	p->self = p->t->create(schema, p->msg, sizeof(p->msg));
	if (!p->self) {
		error_set(err, ERR_INPUT, "ranker '%s': create() of plugin '%s' failed: %s", cfg->name,
			  cfg->path, plugin_msg(p, "create", 0));
		plugin_destroy(p);
		return NULL;
	}
	return scorer_wrap(cfg->name, p->t->fit ? &plugin_ops : &plugin_ops_nofit, p,
			   SCORER_CHECKED | SCORER_TIMED);
}
