/*
 * A plugin that records what fit() receives (tests/test_scorer_plugin.c):
 * one line per fit appended to option.out, "ROWS FEATURES CHECKSUM
 * POSITIVES PROPENSITIES": the checksum an FNV-1a 64 over each row in
 * order, its n_features floats, position (u16), user (u32), show (u32) and
 * time (i64) as bytes of this host; the labels' sum; whether propensities
 * came.  Scores: -(index).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airtime/scorer.h"

struct self {
	char out[256];
};

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void *create(const struct airtime_schema *s, char *err, size_t n)
{
	struct self *me = calloc(1, sizeof(*me));

	for (uint32_t i = 0; i < s->n_options; i++)
		if (!strcmp(s->option_keys[i], "out"))
			snprintf(me->out, sizeof(me->out), "%s", s->option_values[i]);
	if (!me->out[0]) {
		snprintf(err, n, "option.out is required");
		free(me);
		return NULL;
	}
	return me;
}

static int fit(void *self, const struct airtime_training_set *t, char *err, size_t n)
{
	struct self *me = self;
	uint64_t h = 0xcbf29ce484222325ULL;
	double positives = 0;
	FILE *f;

	for (uint64_t r = 0; r < t->n; r++) {
		h = mix(h, t->features + r * t->stride, t->n_features * sizeof(float));
		h = mix(h, &t->positions[r], sizeof(uint16_t));
		h = mix(h, &t->users[r], sizeof(uint32_t));
		h = mix(h, &t->shows[r], sizeof(uint32_t));
		h = mix(h, &t->times_us[r], sizeof(int64_t));
		positives += t->labels[r];
	}
	if (!(f = fopen(me->out, "a"))) {
		snprintf(err, n, "cannot open %s", me->out);
		return 1;
	}
	fprintf(f, "%llu %u %016llx %.0f %d\n", (unsigned long long)t->n, t->n_features,
		(unsigned long long)h, positives, t->propensities != NULL);
	fclose(f);
	return 0;
}

static int score(void *self, const struct airtime_page *p, double *out, char *err, size_t n)
{
	(void)self, (void)err, (void)n;
	for (uint32_t i = 0; i < p->n; i++)
		out[i] = -(double)i;
	return 0;
}

static void destroy(void *self)
{
	free(self);
}

static const struct airtime_scorer table = {
	.api_version = AIRTIME_SCORER_API_VERSION, .struct_size = sizeof(struct airtime_scorer),
	.name = "fitcheck", .create = create, .fit = fit, .score = score, .destroy = destroy,
};

AIRTIME_SCORER_DEFINE(table)
