/*
 * A scorer plugin that scores with airtime's own forest code (engine/forest.c
 * and engine/forest_fast.c compiled into the shared object): the same
 * scores, the same speed, so that bench_rank's "forest through a plugin"
 * figure is what the plugin interface costs (dlopen'd call, the page, the
 * unwritten/finite checks, host timing) and nothing else.  A benchmark
 * device: a real plugin includes include/airtime/scorer.h alone.
 *
 * option.model = PATH: an airtime forest model whose features are the
 * page's columns (mapped by name).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airtime/scorer.h"
#include "common/xalloc.h"
#include "engine/forest.h"

struct self {
	struct forest *f;
	size_t nf;
	size_t *col;        /* model feature j = page column col[j] */
	int identity;
	float *rows;        /* gathered rows when not identity */
	size_t cap;
};

static void *create(const struct airtime_schema *s, char *err, size_t n)
{
	struct self *me = xcalloc(1, sizeof(*me));
	struct error e;
	const char *model = NULL;

	for (uint32_t i = 0; i < s->n_options; i++)
		if (!strcmp(s->option_keys[i], "model"))
			model = s->option_values[i];
	if (!model || !(me->f = forest_load(model, &e))) {
		snprintf(err, n, "%s", model ? e.msg : "option.model is required");
		free(me);
		return NULL;
	}
	me->nf = forest_n_features(me->f);
	me->col = xcalloc(me->nf, sizeof(*me->col));
	me->identity = me->nf == s->n_features;
	for (size_t j = 0; j < me->nf; j++) {
		uint32_t k;

		for (k = 0; k < s->n_features; k++)
			if (!strcmp(s->features[k].name, forest_feature_name(me->f, j)))
				break;
		if (k == s->n_features) {
			snprintf(err, n, "model feature %s is not a column", forest_feature_name(me->f, j));
			return NULL;
		}
		me->col[j] = k;
		me->identity &= k == j;
	}
	return me;
}

static int score(void *self, const struct airtime_page *p, double *out, char *err, size_t n)
{
	struct self *me = self;

	(void)err, (void)n;
	if (me->identity)
		return forest_predict_batch(me->f, p->features, p->n, p->stride, out) ? 1 : 0;
	if (p->n * me->nf > me->cap) {
		free(me->rows);
		me->rows = xcalloc(me->cap = p->n * me->nf, sizeof(float));
	}
	for (uint32_t i = 0; i < p->n; i++)
		for (size_t j = 0; j < me->nf; j++)
			me->rows[i * me->nf + j] = p->features[(size_t)i * p->stride + me->col[j]];
	return forest_predict_batch(me->f, me->rows, p->n, me->nf, out) ? 1 : 0;
}

static void destroy(void *self)
{
	struct self *me = self;

	forest_free(me->f);
	free(me->col);
	free(me->rows);
	free(me);
}

static const struct airtime_scorer table = {
	.api_version = AIRTIME_SCORER_API_VERSION, .struct_size = sizeof(struct airtime_scorer),
	.name = "forest (airtime's code)", .create = create, .score = score, .destroy = destroy,
};

AIRTIME_SCORER_DEFINE(table)
