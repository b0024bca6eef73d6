#ifndef AIRTIME_TESTS_REPORT_FIXTURE_H
#define AIRTIME_TESTS_REPORT_FIXTURE_H
/* A synthetic run directory for report and compare tests: results.db with
 * rows in every table the report reads and every series it plots. */
#include <stdbool.h>
#include <stdint.h>

#include "common/hist.h"

struct fixture_opts {
	const char *scenario_text;  /* NULL: a minimal valid scenario */
	const char *name;           /* the run's name; NULL: "synthetic" */
	bool no_analysis;           /* no A/B tables, no SLO rows (a twin's later world) */
	const char *overrides;      /* "section.key=value" lines, or NULL */
	bool srm_flagged;
	bool both;                  /* add a "twin" analysis beside "split" ([ab] mode = both) */
	bool forest;                /* importance and model curves */
	double lift_scale;          /* scales every lift (1 = default) */
	bool validity;              /* validity_checks rows: 2 pass, 1 fail, 1 skip */
	int loadtests;              /* "loadtest" run rows after the run (0..4) */
	int arms;                   /* treatment arms: 0 or 1 the one "treatment"
				     * (ranker forest); 2 or 3: "forest",
				     * "popularity"(, "random"), arm i with i
				     * times the first's lifts */
};

/* The load-test fixture's latency histogram (ns): 1..10000 us, plus what
 * fixture_write_run stores about it, so tests can derive expected values. */
void fixture_loadtest_latency(struct hist *h);
#define FIXTURE_LT_RATE_INTENDED 500.0
#define FIXTURE_LT_RATE_ACHIEVED 498.5
#define FIXTURE_LT_LATE 12
#define FIXTURE_LT_DROPPED 3
#define FIXTURE_LT_SECONDS 20

/* Checked fixture of the report and compare tests: tests/tmpdir.h's
 * directory, and the default gnuplot (a test may point it elsewhere). */
void fixture_setup(void);
void fixture_teardown(void);

/* Write DIR/results.db (DIR must exist); aborts the test on failure. */
void fixture_write_run(const char *dir, const struct fixture_opts *o);

#endif
