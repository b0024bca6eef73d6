#ifndef AIRTIME_ABTEST_H
#define AIRTIME_ABTEST_H
/*
 * The A/B analysis of one experiment: per-metric lifts with intervals, from
 * per-user metrics (stats/metrics.h).
 *
 * Split mode: users are the units; a user is analysed when they had at least
 * one session in the experiment period (sessions come from arrivals, which
 * the ranker cannot change, so this trigger is independent of the arm).
 * The sample-ratio-mismatch check comes first and flags the whole table when
 * p < 0.001.  Every mean metric gets Welch + delta-method relative lift, and
 * CUPED with the same metric in the warm-up period as covariate; click-
 * through (home clicks / home impressions) is a ratio metric (delta method);
 * the median of per-user listening minutes gets a user-clustered bootstrap
 * interval.  p-values are Holm-adjusted across the family of mean metrics.
 *
 * Twin mode: the same users in an all-control and an all-treatment world;
 * lifts come from paired per-user differences.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "stats/metrics.h"
#include "stats/stats.h"

enum abtest_kind { ABTEST_MEAN, ABTEST_RATIO, ABTEST_MEDIAN };

struct abtest_row {
	char name[48];
	enum abtest_kind kind;
	bool estimable;           /* false: see `why` */
	char why[160];
	struct stats_lift lift;   /* raw (or paired in twin mode) */
	bool has_cuped;
	struct stats_cuped cuped;
	double p_adjusted;        /* Holm across mean metrics; raw p otherwise */
	double mde;               /* minimum detectable absolute effect (80 % power) */
	double mde_rel;           /* ... relative to the control mean */
};

struct abtest {
	char mode[8];             /* "split" or "twin" */
	uint64_t n_treatment, n_control;
	double srm_chi2, srm_p;
	bool srm_flagged;         /* p < 0.001: the split is suspect */
	double alpha;
	size_t n_rows;
	struct abtest_row rows[METRIC_COUNT + 2];
};

/* Analyse a split experiment; `boot_reps` bootstrap resamples for the
 * median (seeded from seed).  Returns ERR_INPUT when there are too few
 * users to analyse at all. */
int abtest_split(const struct metrics *m, double treatment_share, double alpha,
		 size_t boot_reps, uint64_t seed, struct abtest *out, struct error *err);

/* Analyse twin worlds: `control` and `treatment` hold the same users. */
int abtest_twin(const struct metrics *control, const struct metrics *treatment, double alpha,
		struct abtest *out, struct error *err);

/* The row for a metric name, or NULL. */
const struct abtest_row *abtest_find(const struct abtest *a, const char *name);

#endif
