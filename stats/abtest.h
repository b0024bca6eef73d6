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
 * Diversity and quality of exposure (stats/exposure.h): high-quality share
 * and intra-list diversity are per-user ratio metrics (delta method; paired
 * delta method in twin mode); topic coverage, creator coverage and the Gini
 * of exposure across creators are aggregates of an arm's served slots with a
 * user-clustered (grouped) bootstrap interval, added by abtest_add_exposure.
 *
 * One test per row: every row says which test it reports (`test`), and its
 * printed lift, interval and p all come from that test (abtest_tested): a
 * split mean metric with a usable warm-up covariate is tested with CUPED
 * (its CUPED interval is the row's interval; the raw Welch lift stays in
 * `lift` for reference), otherwise Welch; twin mean metrics are paired t;
 * ratio rows the delta method (paired in twin mode); the median and the
 * aggregates a bootstrap, which gives an interval and no p.
 *
 * The family: p-values are Holm-adjusted across arms x metrics within one
 * analysis (one mode): the mean metrics of abtest_family() and the
 * click-through ratio of every treatment arm, (n - 1) x 8 hypotheses
 * (`in_family`).  The rows outside it (the median, the exposure metrics)
 * are listed apart: secondary, each judged by its own unadjusted interval
 * (abtest_significant), p_adjusted NaN.
 *
 * The interference bias of [ab] mode = both (abtest_bias): split estimate
 * minus twin estimate per arm and metric, with a normal interval from the
 * per-user influence functions of both estimates (the same users are in
 * the split world and the twin worlds, so the two estimates are paired:
 * Var(bias) = Var(split) + Var(twin) - 2 Cov, the covariance from users
 * counted in both).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "stats/metrics.h"
#include "stats/stats.h"

/* Most arms of an analysis, the control included. */
#define ABTEST_ARMS_MAX METRICS_ARMS_MAX

/* Most rows of one arm's table. */
#define ABTEST_ROWS_MAX 20

enum abtest_kind { ABTEST_MEAN, ABTEST_RATIO, ABTEST_MEDIAN, ABTEST_AGGREGATE };

/* The test a row reports (its interval, p and significance). */
enum abtest_test {
	ABTEST_TEST_WELCH,        /* Welch t on raw per-user values */
	ABTEST_TEST_CUPED,        /* Welch t on CUPED-adjusted values */
	ABTEST_TEST_PAIRED,       /* paired t (twin) */
	ABTEST_TEST_DELTA,        /* delta method, ratio of sums (normal) */
	ABTEST_TEST_DELTA_PAIRED, /* delta method on paired users (twin) */
	ABTEST_TEST_BOOTSTRAP,    /* user-clustered percentile bootstrap (no p) */
	ABTEST_TEST_GROUPS,       /* bootstrap over groups of users (no p) */
	ABTEST_TESTS
};

struct abtest_row {
	char name[48];
	enum abtest_kind kind;
	enum abtest_test test;
	bool in_family;           /* inside the Holm family */
	bool estimable;           /* false: see `why` */
	char why[160];
	struct stats_lift lift;   /* raw (or paired in twin mode) */
	bool has_cuped;
	struct stats_cuped cuped;
	double p_adjusted;        /* Holm across the family; NaN outside it */
	double mde;               /* minimum detectable absolute effect (80 % power) */
	double mde_rel;           /* ... relative to the control mean */
};

/* One treatment arm against the control. */
struct abtest_arm {
	char name[48];            /* the arm's label ("treatment", "forest", ...) */
	char ranker[48];          /* its ranker's name ("forest"); "" when not known */
	uint64_t n_treatment, n_control;
	size_t n_rows;
	struct abtest_row rows[ABTEST_ROWS_MAX];
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

/* Add the exposure rows (topic and creator coverage, creator exposure
 * Gini) to every treatment arm of `a`, from the arms' accumulators:
 * worlds[i] holds arm i's slots in arm slot arms[i] (split: one object,
 * arms[i] = i; twin: one object per world, each in its arm's slot),
 * `reps` group resamples, arm k seeded from (seed, k). */
struct exposure;
void abtest_add_exposure(struct abtest *a, const struct exposure *const *worlds,
			 const int *arms, size_t reps, uint64_t seed);

/* The lift a row reports: the CUPED-adjusted one when its test is CUPED,
 * else `lift`. */
const struct stats_lift *abtest_tested(const struct abtest_row *r);
/* Significant: in the family, Holm-adjusted p < alpha; outside it, the
 * row's own interval excludes 0.  Either way a significant row's printed
 * interval (abtest_tested) excludes 0. */
bool abtest_significant(const struct abtest *a, const struct abtest_row *r);
/* "welch", "cuped", "paired", "delta", "paired delta", "bootstrap",
 * "group bootstrap"; and back (ABTEST_TESTS when unknown). */
const char *abtest_test_name(enum abtest_test t);
enum abtest_test abtest_test_parse(const char *name);

/* Interference bias of one metric for one treatment arm. */
struct abtest_bias_row {
	char name[48];
	bool estimable;
	char why[160];
	size_t n_split, n_twin;           /* users in each estimate */
	double split_diff, twin_diff;     /* the two estimates (raw / paired) */
	double bias, se, lo, hi;          /* split - twin, normal interval */
	double corr;                      /* correlation of the two estimates */
};

struct abtest_bias_arm {
	char name[48];
	size_t n_rows;
	struct abtest_bias_row rows[ABTEST_ROWS_MAX];
};

struct abtest_bias {
	double alpha;
	size_t n_arms;
	struct abtest_bias_arm arms[ABTEST_ARMS_MAX - 1];
};

/* The interference bias of every treatment arm for the family's metrics
 * (mean metrics and click-through): the split world's metrics against the
 * twin worlds' (twins[i] is arm i's world, all holding the split world's
 * users).  ERR_INPUT when the populations differ. */
int abtest_bias(const struct metrics *split, const struct metrics *const *twins,
		const struct abtest_design *d, double alpha, struct abtest_bias *out,
		struct error *err);
/* Whether a bias row's interval contains 0 (indistinguishable from none). */
bool abtest_bias_null(const struct abtest_bias_row *r);

/* The mean metrics of the Holm family, in report order (n entries). */
const enum metrics_id *abtest_family(size_t *n);

/* The treatment arm of that label, or NULL. */
const struct abtest_arm *abtest_arm_find(const struct abtest *a, const char *name);
/* An arm's row for a metric name, or NULL. */
const struct abtest_row *abtest_find(const struct abtest_arm *a, const char *name);

#endif
