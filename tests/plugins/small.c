/* A function table smaller than version 1's (tests/test_scorer_plugin.c). */
#include "airtime/scorer.h"

static const struct airtime_scorer table = {
	.api_version = AIRTIME_SCORER_API_VERSION, .struct_size = 16, .name = "small",
};

AIRTIME_SCORER_DEFINE(table)
