#ifndef AIRTIME_EXPOSURE_H
#define AIRTIME_EXPOSURE_H
/*
 * Diversity and quality of exposure: what the home pages served showed,
 * per arm, accumulated during the run into arrays sized at creation
 * (recording a page allocates nothing).
 *
 * A served slot is one show on a home page the ranker returned (the page
 * after exploration's shuffle, every slot, scrolled to or not: the ranker's
 * decision, not the user's scrolling).  Definitions, all over the
 * experiment period's served slots of one arm:
 *
 *  - intra-list diversity of a page with n >= 2 slots: the share of its
 *    n (n - 1) / 2 slot pairs whose shows have different topics (1 = every
 *    show on its own topic, 0 = one topic).  Per user it is a ratio metric
 *    (distinct-topic pairs / pairs over the user's pages), so an arm's value
 *    is the pair-weighted mean over its pages; pages of one slot add nothing;
 *  - high-quality share: served slots whose show's creator has quality above
 *    the caller's threshold / served slots (per user, a ratio metric);
 *  - topic coverage: topics with at least one served slot / topics;
 *  - creator coverage: creators with at least one served slot / creators;
 *  - creator exposure Gini: the Gini coefficient of served slots across
 *    all creators of the world (those never shown count as 0):
 *    G = sum_i sum_j |x_i - x_j| / (2 N^2 mean x), 0 = equal exposure,
 *    (N - 1) / N = one creator has every slot.
 *
 * The three aggregates are not per-user metrics: their intervals come
 * from a user-clustered bootstrap over EXPOSURE_GROUPS groups of users
 * (user id mod groups: users are independent draws, so this is a random
 * partition): counts are kept per (arm, group), a resample draws groups
 * with replacement and sums their counts.  The same groups are drawn for
 * both arms, which pairs twin worlds (same users) and, in a split world,
 * resamples whole clusters of users holding both arms.
 *
 * The object borrows nothing after exposure_new (show tables are copied).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* High quality: a creator whose quality (lognormal, median 1, sigma
 * [world] quality_sigma) lies above this quantile of its distribution,
 * i.e. quality > exp(z_0.8 * sigma) = exp(0.8416 sigma): the top fifth of
 * the quality the world draws (in expectation; none when sigma = 0). */
#define EXPOSURE_HQ_QUANTILE 0.8

/* The quality threshold of EXPOSURE_HQ_QUANTILE for a lognormal sigma. */
double exposure_hq_threshold(double quality_sigma);

/* Groups of users of the clustered bootstrap. */
#define EXPOSURE_GROUPS 64

enum exposure_aggregate {
	EXPOSURE_TOPIC_COVERAGE,
	EXPOSURE_CREATOR_COVERAGE,
	EXPOSURE_CREATOR_GINI,
	EXPOSURE_AGGREGATES
};

/* What one page adds to its user's ratio metrics. */
struct exposure_page {
	uint32_t slots, high_quality;     /* served slots; of those, high quality */
	uint32_t pairs, distinct_pairs;   /* slot pairs; of those, different topics */
};

/* An aggregate of one arm against another, with a bootstrap interval. */
struct exposure_diff {
	double t, c;                      /* the arms' values */
	double diff, diff_lo, diff_hi;    /* t - c, percentile interval */
	double rel, rel_lo, rel_hi;       /* t / c - 1, percentile interval (NaN when c = 0) */
	size_t reps;
};

struct exposure;

/* Accumulators for `arms` arms over n_shows shows; show s has creator
 * show_creator[s] (< n_creators), topic show_topic[s] (< n_topics) and is
 * high quality when show_hq[s] != 0 (arrays copied). */
struct exposure *exposure_new(size_t arms, size_t n_shows, const uint32_t *show_creator,
			      const uint16_t *show_topic, const uint8_t *show_hq,
			      size_t n_creators, size_t n_topics);
void exposure_free(struct exposure *e);

/* One served page of user `user` in arm `arm`: fills *out with what it adds
 * to the user's ratio metrics and, when `count` (the experiment period),
 * adds its slots to the arm's aggregates.  No allocation. */
void exposure_page(struct exposure *e, int arm, uint32_t user, const uint32_t *shows, size_t n,
		   bool count, struct exposure_page *out);

/* An arm's aggregate over every group (no resampling). */
double exposure_value(const struct exposure *e, int arm, enum exposure_aggregate a);
/* Served slots counted for an arm's aggregates. */
uint64_t exposure_slots(const struct exposure *e, int arm);
/* An arm's high-quality share and intra-list diversity over its counted
 * pages (NaN without a slot, resp. a pair). */
double exposure_high_quality_share(const struct exposure *e, int arm);
double exposure_intra_list_diversity(const struct exposure *e, int arm);

/* Aggregate `a` of arm_t of et against arm_c of ec (et == ec in a split
 * world; twin worlds hold the same users), `reps` resamples of the groups
 * from the stream (seed, RNG_STATS, stream_id), two-sided level 1 - alpha.
 * ERR_INPUT when either arm has no counted slot or reps < 20. */
int exposure_compare(const struct exposure *et, int arm_t, const struct exposure *ec, int arm_c,
		     enum exposure_aggregate a, size_t reps, uint64_t seed, uint64_t stream_id,
		     double alpha, struct exposure_diff *out, struct error *err);

/* The Gini coefficient of n non-negative values (0 when they sum to 0);
 * `scratch` holds n values and is overwritten. */
double exposure_gini(const double *x, size_t n, double *scratch);

/* "topic_coverage", "creator_coverage", "creator_exposure_gini". */
const char *exposure_name(enum exposure_aggregate a);

#endif
