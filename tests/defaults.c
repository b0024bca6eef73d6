/* Default configs for tests; see defaults.h. */
#include "tests/defaults.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

const struct config *test_defaults(void)
{
	static struct config cfg;
	static bool loaded;

	if (!loaded) {
		config_defaults(&cfg);
		loaded = true;
	}
	return &cfg;
}

struct spike_config test_default_spike(const char *name)
{
	struct config *cfg = malloc(sizeof(*cfg));
	struct spike_config out;
	struct scenario *sc;
	struct error err;
	char text[128];

	if (!cfg)
		abort();
	snprintf(text, sizeof(text), "[spike.%s]\n", name);
	sc = scenario_parse(&config_schema, text, "defaults", NULL, 0, &err);
	if (!sc || config_load(cfg, sc, &err) < 0 || cfg->sim.n_spikes != 1)
		BUG("default spike '%s': %s", name, err.msg);
	out = cfg->sim.spikes[0];
	scenario_free(sc);
	free(cfg);
	return out;
}
