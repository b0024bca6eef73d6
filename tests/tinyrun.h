#ifndef AIRTIME_TESTS_TINYRUN_H
#define AIRTIME_TESTS_TINYRUN_H
/* A tiny finished run directory for serving tests: scenarios/default.ini
 * shrunk with --set-style overrides (500 users, 100 creators, 1 + 1 days,
 * a 10-tree forest), made by run_execute under `parent`.  Returns the run
 * directory (caller frees) or NULL with err filled. */
#include "common/error.h"

char *tinyrun_make(const char *parent, struct error *err);

/* The same as an unchecked Check fixture (made once, in the parent process,
 * for the whole suite): tinyrun_setup makes tests/tmpdir.h's directory and
 * a tiny run in it, tinyrun_dir; tinyrun_teardown removes both. */
extern char *tinyrun_dir;
void tinyrun_setup(void);
void tinyrun_teardown(void);

#endif
