/* A table without score() (tests/test_scorer_plugin.c). */
#include "airtime/scorer.h"

static void *create(const struct airtime_schema *s, char *err, size_t n)
{
	(void)s, (void)err, (void)n;
	return (void *)1;
}

static const struct airtime_scorer table = {
	.api_version = AIRTIME_SCORER_API_VERSION, .struct_size = sizeof(struct airtime_scorer),
	.name = "noscore", .create = create,
};

AIRTIME_SCORER_DEFINE(table)
