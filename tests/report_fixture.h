#ifndef AIRTIME_TESTS_REPORT_FIXTURE_H
#define AIRTIME_TESTS_REPORT_FIXTURE_H
/* A synthetic run directory for report and compare tests: results.db with
 * rows in every table the report reads and every series it plots. */
#include <stdbool.h>
#include <stdint.h>

struct fixture_opts {
	const char *scenario_text;  /* NULL: a minimal valid scenario */
	const char *overrides;      /* "section.key=value" lines, or NULL */
	bool srm_flagged;
	bool both;                  /* add a "both-twin" analysis beside "both-split" */
	bool forest;                /* importance and model curves */
	double lift_scale;          /* scales every lift (1 = default) */
};

/* Write DIR/results.db (DIR must exist); aborts the test on failure. */
void fixture_write_run(const char *dir, const struct fixture_opts *o);
/* A mkdtemp directory under /tmp; caller frees the string and removes it. */
char *fixture_tmpdir(const char *tag);

#endif
