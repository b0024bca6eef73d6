#ifndef AIRTIME_TESTS_DEFAULTS_H
#define AIRTIME_TESTS_DEFAULTS_H
/*
 * Every module's default config, for tests that build a module in code:
 * config_defaults (an empty scenario through config_load), so the defaults
 * are the key table's and nothing else's.  Loaded once per process; the
 * returned config is shared: copy the part you change.
 */
#include "config/config.h"

const struct config *test_defaults(void);
/* The defaults of one [spike.NAME] (a scenario holding only its header). */
struct spike_config test_default_spike(const char *name);

#endif
