/* libFuzzer: the scenario parser and every module's checks (config_load),
 * the memory budget's estimate and rules, and the resolved dump.  Rankers
 * are not started or loaded (no dlopen, no child process). */
#include "fuzz/fuzz_mem.h"

#include <string.h>

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "eval/budget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	struct error err = { 0 };
	struct scenario *sc;

	memcpy(text, data, size);
	text[size] = '\0';
	sc = scenario_parse(&config_schema, text, "fuzz.ini", NULL, 0, &err);
	if (sc) {
		struct config *cfg = xmalloc(sizeof(*cfg));
		FILE *null = fopen("/dev/null", "w");

		if (config_load(cfg, sc, &err) == 0) {
			struct run_budget b;

			run_budget_estimate(cfg, NULL, &b);
			run_budget_rules(cfg, sc, &err);
		}
		if (null) {
			scenario_dump(sc, null, &err);
			fclose(null);
		}
		free(cfg);
		scenario_free(sc);
	}
	free(text);
	return 0;
}
