#ifndef AIRTIME_REPLREPORT_H
#define AIRTIME_REPLREPORT_H
/*
 * The report of a replication (airtime replicate): DIR/report.md and a
 * self-contained DIR/report.html, plus DIR/plots/ (PNG and SVG), built
 * from DIR/results.db alone (results/replstore), so it can be rebuilt at
 * any time (`airtime report DIR`).
 *
 * Content: what was replicated (scenario, seeds, arms, A/A or not, the
 * truth coverage is measured against); the seeds that failed, with their
 * errors; per A/B mode a table of every metric over the seeds (mean lift,
 * its t interval, the spread, the share of seeds significant, the share
 * with raw p < alpha: the false-positive rate of an A/A test, and the
 * coverage, with Wilson intervals); forest plots of the per-seed
 * intervals of the primary metrics (engagement actions, listening
 * minutes), the mean over seeds as the last row, each seed's truth as a
 * dot; a per-seed table of the primary metric; the scenario.
 *
 * The report holds no host measurement: the same results.db gives the
 * same report.md.  Without gnuplot (or with plots false) it is written
 * without pictures and says so: replreport_build then returns
 * REPORT_WARNINGS (render/report.h) with the warning in err->msg.
 */
#include <stdbool.h>

#include "common/error.h"

/* Build DIR/report.md, report.html and plots/ from DIR/results.db. */
int replreport_build(const char *dir, bool plots, struct error *err);
/* The same, plots or not as the stored scenario and overrides say
 * ([report] plots), for `airtime report DIR`. */
int replreport_rebuild(const char *dir, struct error *err);
/* Does DIR hold a replication (DIR/results.db is one)? */
bool replreport_is_replication(const char *dir);

#endif
