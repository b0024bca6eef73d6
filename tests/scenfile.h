#ifndef AIRTIME_TESTS_SCENFILE_H
#define AIRTIME_TESTS_SCENFILE_H
/*
 * Scenario files on disk for tests of the messages a bad scenario gives:
 * each must name the file, the line and the key, as the parser does.
 *
 * scenfile_load writes `text` to a fresh mkdtemp directory under /tmp and
 * loads it with scenario_load (config_schema) and the overrides; the test
 * fails if it does not parse (the problems tested here are found after
 * parsing, by config_load).
 * scenfile_release frees the scenario and removes the file and directory.
 */
#include <stddef.h>

#include "common/scenario.h"

struct scenfile {
	char dir[64];
	char path[96];
	struct scenario *sc;
};

struct scenario *scenfile_load(struct scenfile *f, const char *text, const char *const *sets,
			       size_t n_sets);
void scenfile_release(struct scenfile *f);

/* Fail the test unless msg contains "PATH:LINE" of f and the key (as
 * "[section] key" or whatever the caller passes). */
void scenfile_expect(const struct scenfile *f, const char *msg, int line, const char *key);

#endif
