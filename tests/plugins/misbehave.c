/*
 * A plugin that fails on purpose (tests/test_scorer_plugin.c); option.mode:
 *   ok            score = -(index)
 *   create        create() fails with a message
 *   nan           score 2 is NaN
 *   unwritten     the last score is not written
 *   error         score() fails with a message
 *   silent        score() fails without one
 *   crash         score() dereferences NULL (kills the process)
 *   fit           fit() fails
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airtime/scorer.h"

struct self {
	char mode[32];
};

static void *create(const struct airtime_schema *s, char *err, size_t n)
{
	struct self *me = calloc(1, sizeof(*me));

	snprintf(me->mode, sizeof(me->mode), "ok");
	for (uint32_t i = 0; i < s->n_options; i++)
		if (!strcmp(s->option_keys[i], "mode"))
			snprintf(me->mode, sizeof(me->mode), "%s", s->option_values[i]);
	if (!strcmp(me->mode, "create")) {
		snprintf(err, n, "refused: no model for world %u", s->world);
		free(me);
		return NULL;
	}
	return me;
}

static int fit(void *self, const struct airtime_training_set *t, char *err, size_t n)
{
	struct self *me = self;

	if (!strcmp(me->mode, "fit")) {
		snprintf(err, n, "cannot fit %llu rows", (unsigned long long)t->n);
		return 1;
	}
	return 0;
}

static int score(void *self, const struct airtime_page *p, double *out, char *err, size_t n)
{
	struct self *me = self;
	uint32_t k = p->n;

	if (!strcmp(me->mode, "error")) {
		snprintf(err, n, "model not ready");
		return 1;
	}
	if (!strcmp(me->mode, "silent"))
		return 7;
	if (!strcmp(me->mode, "crash")) {
		volatile int *nowhere = NULL;

		return *nowhere;
	}
	if (!strcmp(me->mode, "unwritten"))
		k--;
	for (uint32_t i = 0; i < k; i++)
		out[i] = -(double)i;
	if (!strcmp(me->mode, "nan") && p->n > 2)
		out[2] = NAN;
	return 0;
}

static void destroy(void *self)
{
	free(self);
}

static const struct airtime_scorer table = {
	.api_version = AIRTIME_SCORER_API_VERSION, .struct_size = sizeof(struct airtime_scorer),
	.name = "misbehave", .create = create, .fit = fit, .score = score, .destroy = destroy,
};

AIRTIME_SCORER_DEFINE(table)
