/* A plugin built for another major version of the API (tests/test_scorer_plugin.c). */
#include "airtime/scorer.h"

static void *create(const struct airtime_schema *s, char *err, size_t n)
{
	(void)s, (void)err, (void)n;
	return (void *)1;
}

static int score(void *self, const struct airtime_page *p, double *out, char *err, size_t n)
{
	(void)self, (void)p, (void)out, (void)err, (void)n;
	return 0;
}

static const struct airtime_scorer table = {
	.api_version = 2, .struct_size = sizeof(struct airtime_scorer), .name = "v2",
	.create = create, .score = score,
};

AIRTIME_SCORER_DEFINE(table)
