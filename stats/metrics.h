#ifndef AIRTIME_METRICS_H
#define AIRTIME_METRICS_H
/*
 * Per-user metrics, accumulated from the backend event stream.
 *
 * The user is the unit of randomisation, so every A/B metric is a per-user
 * value per period (warm-up, experiment): engagement actions (likes,
 * follows, notification enables, and their total), listening minutes,
 * tune-ins, sessions, home impressions and home clicks (tune-ins from a
 * home-page slot; click-through is the ratio metric clicks / impressions).
 * Served pages add slots, high-quality slots, slot pairs and distinct-topic
 * pairs (metrics_record_page), the per-user parts of the exposure ratio
 * metrics (high-quality share, intra-list diversity: stats/exposure.h).
 * Daily totals per arm feed the "daily engagement per arm" plot.
 *
 * Events are attributed to the period and day of their emit time.  Memory
 * is sized at creation (users, days); recording never allocates.  Users
 * beyond the initial population (cold-start users arriving through spikes)
 * must be covered by the `users` capacity given at creation.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/event.h"
#include "common/simtime.h"

enum metrics_id {
	METRIC_ENGAGEMENT,    /* likes + follows + notification enables */
	METRIC_LIKES,
	METRIC_FOLLOWS,
	METRIC_NOTIFY,
	METRIC_LISTEN_MIN,    /* listening minutes */
	METRIC_TUNE_INS,
	METRIC_SESSIONS,
	METRIC_IMPRESSIONS,   /* home-page slots shown */
	METRIC_HOME_CLICKS,   /* tune-ins from a home-page slot */
	/* retention, from the user's sessions in the period (t0 = the first):
	 * return time = RETURN_HOURS / RETURNS (a ratio metric); day-N
	 * retention = DN_RETAINED / DN_ELIGIBLE, eligible when the period
	 * holds [t0, t0 + (N + 1) days), retained with a session in
	 * [t0 + N days, t0 + (N + 1) days) */
	METRIC_RETURN_HOURS,  /* hours between consecutive sessions, summed */
	METRIC_RETURNS,       /* sessions after the first (gaps summed above) */
	METRIC_D1_ELIGIBLE,
	METRIC_D1_RETAINED,
	METRIC_D7_ELIGIBLE,
	METRIC_D7_RETAINED,
	/* from served pages (metrics_record_page, stats/exposure.h), not events */
	METRIC_SLOTS,         /* home-page slots served */
	METRIC_HQ_SLOTS,      /* of those, shows of high-quality creators */
	METRIC_PAIRS,         /* slot pairs of the served pages */
	METRIC_DISTINCT_PAIRS, /* of those, pairs of different topics */
	METRIC_COUNT
};

/* Ids below this come from backend events (metrics_record). */
#define METRIC_FROM_EVENTS METRIC_SLOTS

enum metrics_period { METRICS_WARMUP = 0, METRICS_EXPERIMENT = 1, METRICS_PERIODS = 2 };

struct metrics;

/* Most arms a metrics object tells apart. */
#define METRICS_ARMS_MAX 8

/* Accumulators for `users` users over `days` days from the epoch, in
 * `arms` arms (1 .. METRICS_ARMS_MAX); the experiment period starts at
 * `experiment_start`. */
struct metrics *metrics_new(size_t users, size_t days, size_t arms, simtime experiment_start);
void metrics_free(struct metrics *m);
/* The end of the experiment period (day-N eligibility); without it the
 * experiment period never ends. */
void metrics_set_horizon(struct metrics *m, simtime horizon);

/* Tell the arm of a user (0 control, 1 .. arms-1 the treatments); users
 * default to 0.  Set it before recording the user's events. */
void metrics_set_arm(struct metrics *m, uint32_t user, int arm);
int metrics_arm(const struct metrics *m, uint32_t user);

/* Account one backend event. */
void metrics_record(struct metrics *m, const struct event *ev);
/* Account one served page of `user` at time t (its parts from
 * exposure_page: slots, high-quality slots, pairs, distinct-topic pairs). */
void metrics_record_page(struct metrics *m, uint32_t user, simtime t, uint32_t slots,
			 uint32_t high_quality, uint32_t pairs, uint32_t distinct_pairs);

size_t metrics_users(const struct metrics *m);
size_t metrics_days(const struct metrics *m);
size_t metrics_arms(const struct metrics *m);
/* A user's value of a metric in a period. */
double metrics_value(const struct metrics *m, uint32_t user, enum metrics_id id,
		     enum metrics_period period);
/* Whether the user had at least one session in the period (exposure). */
int metrics_active(const struct metrics *m, uint32_t user, enum metrics_period period);
/* Total of a metric on a day for an arm. */
double metrics_daily(const struct metrics *m, size_t day, int arm, enum metrics_id id);
/* Name ("engagement_actions") and unit ("actions") of a metric. */
const char *metrics_name(enum metrics_id id);
const char *metrics_unit(enum metrics_id id);

#endif
