#ifndef AIRTIME_TESTS_TINYRUN_H
#define AIRTIME_TESTS_TINYRUN_H
/* A tiny finished run directory for serving tests: scenarios/default.ini
 * shrunk with --set-style overrides (500 users, 100 creators, 1 + 1 days,
 * a 10-tree forest), made by run_execute under `parent`.  Returns the run
 * directory (caller frees) or NULL with err filled. */
#include "common/error.h"

char *tinyrun_make(const char *parent, struct error *err);

#endif
