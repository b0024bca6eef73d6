#ifndef AIRTIME_ABTEST_H
#define AIRTIME_ABTEST_H
/*
 * The A/B/n analysis of one experiment: every treatment arm against the
 * control, per metric, with intervals, from per-user metrics
 * (stats/metrics.h).
 *
 * Split mode: users are the units; a user is analysed when they had at least
 * one session in the experiment period (sessions come from arrivals, which
 * the rankers cannot change, so this trigger is independent of the arm).
 * The sample-ratio-mismatch check comes first: a chi-square of the n arms'
 * sizes against their shares, n - 1 degrees of freedom; it flags the whole
 * analysis when p < 0.001.  For each treatment arm against the control,
 * every mean metric gets Welch + delta-method relative lift, and CUPED with
 * the same metric in the warm-up period as covariate; click-through (home
 * clicks / home impressions) is a ratio metric (delta method); the median
 * of per-user listening minutes gets a user-clustered bootstrap interval.
 *
 * Twin mode: the same users in one world per arm; each treatment world is
 * paired with the control world, and lifts come from per-user differences.
 *
 * The family: p-values are Holm-adjusted across arms x metrics within one
 * analysis (one mode): the mean metrics of abtest_family() (the confirmatory
 * metrics) of every treatment arm, (n - 1) x 7 hypotheses.  Click-through's
 * p is its raw p, and the median has none.  With two arms the family is the
 * 7 mean metrics of the one treatment arm, as before A/B/n.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "stats/metrics.h"
#include "stats/stats.h"

/* Most arms of an analysis, the control included. */
#define ABTEST_ARMS_MAX METRICS_ARMS_MAX

enum abtest_kind { ABTEST_MEAN, ABTEST_RATIO, ABTEST_MEDIAN };

struct abtest_row {
	char name[48];
	enum abtest_kind kind;
	bool estimable;           /* false: see `why` */
	char why[160];
	struct stats_lift lift;   /* raw (or paired in twin mode) */
	bool has_cuped;
	struct stats_cuped cuped;
	double p_adjusted;        /* Holm across the family (arms x mean metrics); raw p otherwise */
	double mde;               /* minimum detectable absolute effect (80 % power) */
	double mde_rel;           /* ... relative to the control mean */
};

/* One treatment arm against the control. */
struct abtest_arm {
	char name[48];            /* the arm's label ("treatment", "forest", ...) */
	char ranker[48];          /* its ranker's name ("forest"); "" when not known */
	uint64_t n_treatment, n_control;
	size_t n_rows;
	struct abtest_row rows[METRIC_COUNT + 2];
};

struct abtest {
	char mode[8];             /* "split" or "twin" */
	double srm_chi2, srm_p;   /* over all arms; twin: none needed (0, 1) */
	bool srm_flagged;         /* p < 0.001: the split is suspect */
	double alpha;
	size_t n_arms;            /* treatment arms (the control is not one) */
	struct abtest_arm arms[ABTEST_ARMS_MAX - 1];
};

/* The arms of an experiment as the analysis needs them (all borrowed):
 * n_arms with the control, which is arm 0. */
struct abtest_design {
	size_t n_arms;
	const char *const *names;   /* labels: names[0] the control's */
	const char *const *rankers; /* NULL: not known */
	const double *shares;       /* split: each arm's expected share (shares[0] unread) */
};

/* Analyse a split experiment: users of arm i are those metrics_arm() says;
 * `boot_reps` bootstrap resamples for the medians (the first treatment arm
 * seeded from seed, others from (seed, arm)).  Returns ERR_INPUT when an
 * arm has too few users to analyse at all. */
int abtest_split(const struct metrics *m, const struct abtest_design *d, double alpha,
		 size_t boot_reps, uint64_t seed, struct abtest *out, struct error *err);

/* Analyse twin worlds: worlds[i] is arm i's world (all hold the same users). */
int abtest_twin(const struct metrics *const *worlds, const struct abtest_design *d, double alpha,
		struct abtest *out, struct error *err);

/* The mean metrics of the Holm family, in report order (n entries). */
const enum metrics_id *abtest_family(size_t *n);

/* The treatment arm of that label, or NULL. */
const struct abtest_arm *abtest_arm_find(const struct abtest *a, const char *name);
/* An arm's row for a metric name, or NULL. */
const struct abtest_row *abtest_find(const struct abtest_arm *a, const char *name);

#endif
