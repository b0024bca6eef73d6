/*
 * cell_rate: the minimal scorer plugin of docs/ranker-plugins.md.  From the
 * training rows it learns how often a shown slot was tuned into, per cell
 * of (live now or not) x (in one of the user's declared topics or not),
 * smoothed towards the overall rate, and scores each candidate by its
 * cell's rate.  Before the first fit every cell has the same rate, so the
 * page comes in show id order.
 *
 *     cc -std=c11 -O2 -shared -fPIC -I include -o build/examples/libcell_rate.so \
 *        examples/rankers/cell_rate.c
 *
 *     [ranker.cells]
 *     kind = plugin
 *     path = build/examples/libcell_rate.so
 *     option.prior = 50       ; pseudo-impressions at the overall rate (default 50)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airtime/scorer.h"

struct cell_rate {
	uint32_t live_col, match_col;    /* feature columns, found by name */
	double prior;
	double rate[4];                  /* cell = 2 x live + declared match */
};

static int column(const struct airtime_schema *s, const char *name, uint32_t *out, char *err,
		  size_t err_size)
{
	for (uint32_t i = 0; i < s->n_features; i++)
		if (!strcmp(s->features[i].name, name)) {
			*out = i;
			return 0;
		}
	snprintf(err, err_size, "no feature '%s' in the schema", name);
	return -1;
}

static void *create(const struct airtime_schema *s, char *err, size_t err_size)
{
	struct cell_rate *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	c->prior = 50;
	for (uint32_t i = 0; i < s->n_options; i++) {
		char *end;

		if (strcmp(s->option_keys[i], "prior") ||
		    (c->prior = strtod(s->option_values[i], &end)) < 0 || *end ||
		    end == s->option_values[i]) {
			snprintf(err, err_size, "bad option '%s = %s' (known: prior, a number >= 0)",
				 s->option_keys[i], s->option_values[i]);
			free(c);
			return NULL;
		}
	}
	if (column(s, "ctx_is_live", &c->live_col, err, err_size) < 0 ||
	    column(s, "ctx_declared_match", &c->match_col, err, err_size) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

static int cell(const struct cell_rate *c, const float *row)
{
	return 2 * (row[c->live_col] == 1.0f) + (row[c->match_col] == 1.0f);
}

/* Replace what was learnt: each fit gets the whole training window. */
static int fit(void *self, const struct airtime_training_set *set, char *err, size_t err_size)
{
	struct cell_rate *c = self;
	double shown[4] = { 0 }, tuned[4] = { 0 }, all_shown = 0, all_tuned = 0, overall;

	(void)err, (void)err_size;
	for (uint64_t r = 0; r < set->n; r++) {
		int k = cell(c, set->features + r * set->stride);

		shown[k] += 1;
		tuned[k] += set->labels[r];
		all_shown += 1;
		all_tuned += set->labels[r];
	}
	overall = all_shown > 0 ? all_tuned / all_shown : 0;
	for (int k = 0; k < 4; k++)
		c->rate[k] = (tuned[k] + c->prior * overall) / (shown[k] + c->prior + 1e-12);
	return 0;
}

static int score(void *self, const struct airtime_page *page, double *scores, char *err,
		 size_t err_size)
{
	const struct cell_rate *c = self;

	(void)err, (void)err_size;
	for (uint32_t i = 0; i < page->n; i++)
		scores[i] = c->rate[cell(c, page->features + (size_t)i * page->stride)];
	return 0;
}

static void destroy(void *self)
{
	free(self);
}

static const struct airtime_scorer table = {
	.api_version = AIRTIME_SCORER_API_VERSION,
	.struct_size = sizeof(struct airtime_scorer),
	.name = "cell_rate 1",
	.create = create,
	.fit = fit,
	.score = score,
	.destroy = destroy,
};

AIRTIME_SCORER_DEFINE(table)
