/* Per-user metric accumulators; see metrics.h. */
#include "stats/metrics.h"

#include "common/error.h"
#include "common/xalloc.h"

#include <stdlib.h>

struct metrics {
	size_t users, days, arms;
	simtime experiment_start, horizon;
	simtime *first, *last;   /* [user * PERIODS + period]: sessions, or SIMTIME_NEVER */
	/* values[(user * PERIODS + period) * METRIC_COUNT + id]: one user's
	 * metrics are adjacent, so recording an event touches one cache line. */
	double *values;
	uint8_t *arm;
	double *daily;  /* daily[(day * arms + arm) * METRIC_COUNT + id] */
};

static const char *const names[METRIC_COUNT] = {
	[METRIC_ENGAGEMENT] = "engagement_actions",
	[METRIC_LIKES] = "likes",
	[METRIC_FOLLOWS] = "follows",
	[METRIC_NOTIFY] = "notify_enables",
	[METRIC_LISTEN_MIN] = "listening_minutes",
	[METRIC_TUNE_INS] = "tune_ins",
	[METRIC_SESSIONS] = "sessions",
	[METRIC_IMPRESSIONS] = "home_impressions",
	[METRIC_HOME_CLICKS] = "home_clicks",
	[METRIC_RETURN_HOURS] = "return_hours_total",
	[METRIC_RETURNS] = "returns",
	[METRIC_D1_ELIGIBLE] = "day1_eligible",
	[METRIC_D1_RETAINED] = "day1_retained",
	[METRIC_D7_ELIGIBLE] = "day7_eligible",
	[METRIC_D7_RETAINED] = "day7_retained",
	[METRIC_SLOTS] = "served_slots",
	[METRIC_HQ_SLOTS] = "high_quality_slots",
	[METRIC_PAIRS] = "slot_pairs",
	[METRIC_DISTINCT_PAIRS] = "distinct_topic_pairs",
};

static const char *const units[METRIC_COUNT] = {
	[METRIC_ENGAGEMENT] = "actions", [METRIC_LIKES] = "likes",
	[METRIC_FOLLOWS] = "follows", [METRIC_NOTIFY] = "enables",
	[METRIC_LISTEN_MIN] = "minutes", [METRIC_TUNE_INS] = "tune-ins",
	[METRIC_SESSIONS] = "sessions", [METRIC_IMPRESSIONS] = "slots",
	[METRIC_HOME_CLICKS] = "clicks", [METRIC_SLOTS] = "slots",
	[METRIC_HQ_SLOTS] = "slots", [METRIC_PAIRS] = "pairs",
	[METRIC_DISTINCT_PAIRS] = "pairs",
	[METRIC_RETURN_HOURS] = "hours", [METRIC_RETURNS] = "sessions",
	[METRIC_D1_ELIGIBLE] = "users", [METRIC_D1_RETAINED] = "users",
	[METRIC_D7_ELIGIBLE] = "users", [METRIC_D7_RETAINED] = "users",
};

struct metrics *metrics_new(size_t users, size_t days, size_t arms, simtime experiment_start)
{
	struct metrics *m = xcalloc(1, sizeof(*m));

	ASSERT(arms >= 1 && arms <= METRICS_ARMS_MAX);
	m->arms = arms;
	m->users = users;
	m->days = days ? days : 1;
	m->experiment_start = experiment_start;
	m->values = xcalloc(users * METRICS_PERIODS * METRIC_COUNT, sizeof(*m->values));
	m->arm = xcalloc(users ? users : 1, sizeof(*m->arm));
	m->daily = xcalloc(m->days * arms * METRIC_COUNT, sizeof(*m->daily));
	m->horizon = SIMTIME_NEVER;
	m->first = xcalloc(users ? users * METRICS_PERIODS : 1, sizeof(*m->first));
	m->last = xcalloc(users ? users * METRICS_PERIODS : 1, sizeof(*m->last));
	for (size_t i = 0; i < users * METRICS_PERIODS; i++)
		m->first[i] = m->last[i] = SIMTIME_NEVER;
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	free(m->values);
	free(m->arm);
	free(m->daily);
	free(m->first);
	free(m->last);
	free(m);
}

void metrics_set_arm(struct metrics *m, uint32_t user, int arm)
{
	ASSERT(user < m->users && arm >= 0 && (size_t)arm < m->arms);
	m->arm[user] = (uint8_t)arm;
}

void metrics_set_horizon(struct metrics *m, simtime horizon)
{
	m->horizon = horizon;
}

int metrics_arm(const struct metrics *m, uint32_t user)
{
	ASSERT(user < m->users);
	return m->arm[user];
}

static void add(struct metrics *m, uint32_t user, simtime t, enum metrics_id id, double v)
{
	int period = t >= m->experiment_start ? METRICS_EXPERIMENT : METRICS_WARMUP;
	size_t day = t < 0 ? 0 : (size_t)(t / SIMTIME_DAY);

	m->values[((size_t)user * METRICS_PERIODS + (size_t)period) * METRIC_COUNT + id] += v;
	if (day >= m->days)
		day = m->days - 1;
	m->daily[(day * m->arms + m->arm[user]) * METRIC_COUNT + id] += v;
}

/* A session of user u at t (times never decrease): return time and
 * day-N retention of the period. */
static void record_return(struct metrics *m, uint32_t u, simtime t)
{
	int period = t >= m->experiment_start ? METRICS_EXPERIMENT : METRICS_WARMUP;
	simtime end = period == METRICS_EXPERIMENT ? m->horizon : m->experiment_start;
	size_t i = (size_t)u * METRICS_PERIODS + (size_t)period;
	double *v = &m->values[i * METRIC_COUNT];
	simtime t0 = m->first[i];

	if (t0 == SIMTIME_NEVER) {
		m->first[i] = m->last[i] = t;
		v[METRIC_D1_ELIGIBLE] = t <= end - 2 * SIMTIME_DAY;
		v[METRIC_D7_ELIGIBLE] = t <= end - 8 * SIMTIME_DAY;
		return;
	}
	add(m, u, t, METRIC_RETURN_HOURS, (double)(t - m->last[i]) / (double)SIMTIME_HOUR);
	add(m, u, t, METRIC_RETURNS, 1);
	m->last[i] = t;
	if (v[METRIC_D1_ELIGIBLE] > 0 && t >= t0 + SIMTIME_DAY && t < t0 + 2 * SIMTIME_DAY)
		v[METRIC_D1_RETAINED] = 1;
	if (v[METRIC_D7_ELIGIBLE] > 0 && t >= t0 + 7 * SIMTIME_DAY && t < t0 + 8 * SIMTIME_DAY)
		v[METRIC_D7_RETAINED] = 1;
}

void metrics_record(struct metrics *m, const struct event *ev)
{
	uint32_t u = ev->user;
	simtime t = ev->emit_time;

	if (u == EVENT_NONE)
		return;
	ASSERT(u < m->users);
	switch (ev->type) {
	case EVENT_APP_OPEN:
		add(m, u, t, METRIC_SESSIONS, 1);
		record_return(m, u, t);
		break;
	case EVENT_IMPRESSION:
		add(m, u, t, METRIC_IMPRESSIONS, 1);
		break;
	case EVENT_LISTEN_START:
		add(m, u, t, METRIC_TUNE_INS, 1);
		if (ev->source == EVENT_SOURCE_HOME)
			add(m, u, t, METRIC_HOME_CLICKS, 1);
		break;
	case EVENT_LISTEN_END:
		add(m, u, t, METRIC_LISTEN_MIN, (double)ev->value / (double)SIMTIME_MIN);
		break;
	case EVENT_LIKE:
		add(m, u, t, METRIC_LIKES, 1);
		add(m, u, t, METRIC_ENGAGEMENT, 1);
		break;
	case EVENT_FOLLOW:
		add(m, u, t, METRIC_FOLLOWS, 1);
		add(m, u, t, METRIC_ENGAGEMENT, 1);
		break;
	case EVENT_NOTIFY_ENABLE:
		add(m, u, t, METRIC_NOTIFY, 1);
		add(m, u, t, METRIC_ENGAGEMENT, 1);
		break;
	default:
		break;
	}
}

void metrics_record_page(struct metrics *m, uint32_t user, simtime t, uint32_t slots,
			 uint32_t high_quality, uint32_t pairs, uint32_t distinct_pairs)
{
	ASSERT(user < m->users);
	add(m, user, t, METRIC_SLOTS, slots);
	add(m, user, t, METRIC_HQ_SLOTS, high_quality);
	add(m, user, t, METRIC_PAIRS, pairs);
	add(m, user, t, METRIC_DISTINCT_PAIRS, distinct_pairs);
}

size_t metrics_users(const struct metrics *m)
{
	return m->users;
}

size_t metrics_days(const struct metrics *m)
{
	return m->days;
}

size_t metrics_arms(const struct metrics *m)
{
	return m->arms;
}

double metrics_value(const struct metrics *m, uint32_t user, enum metrics_id id,
		     enum metrics_period period)
{
	ASSERT(user < m->users && id < METRIC_COUNT && period < METRICS_PERIODS);
	return m->values[((size_t)user * METRICS_PERIODS + (size_t)period) * METRIC_COUNT + id];
}

int metrics_active(const struct metrics *m, uint32_t user, enum metrics_period period)
{
	return metrics_value(m, user, METRIC_SESSIONS, period) > 0;
}

double metrics_daily(const struct metrics *m, size_t day, int arm, enum metrics_id id)
{
	ASSERT(day < m->days && arm >= 0 && (size_t)arm < m->arms && id < METRIC_COUNT);
	return m->daily[(day * m->arms + (size_t)arm) * METRIC_COUNT + id];
}

const char *metrics_name(enum metrics_id id)
{
	return id < METRIC_COUNT ? names[id] : "unknown";
}

const char *metrics_unit(enum metrics_id id)
{
	return id < METRIC_COUNT ? units[id] : "";
}
