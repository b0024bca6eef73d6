/* A simulated world's measurements into results.db; see worldstore.h. */
#include "results/worldstore.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/hist.h"
#include "common/series.h"
#include "common/xalloc.h"
#include "results/results.h"
#include "stats/exposure.h"
#include "stats/metrics.h"

static int put_metric(struct results *r, int64_t id, enum schema_id name, double v,
		      enum results_kind kind, struct error *err)
{
	ASSERT(schema_rows[name].kind == SCHEMA_KIND_METRIC && !schema_is_pattern(name));
	return results_put_metric(r, id, schema_name(name), NULL, v, schema_unit(name), kind, err);
}

static int put_info_num(struct results *r, int64_t id, enum schema_id name, long long v,
			struct error *err)
{
	char buf[32];

	ASSERT(schema_rows[name].kind == SCHEMA_KIND_INFO && !schema_is_pattern(name));
	snprintf(buf, sizeof(buf), "%lld", v);
	return results_put_info(r, id, schema_name(name), buf, err);
}

static int put_series(struct results *r, int64_t id, enum schema_id name,
		      const struct series *s, struct error *err)
{
	ASSERT(schema_rows[name].kind == SCHEMA_KIND_SERIES);
	return results_put_series_as(r, id, schema_name(name), s, schema_unit(name), err);
}

static int put_hist(struct results *r, int64_t id, enum schema_id name, const struct hist *h,
		    struct error *err)
{
	ASSERT(schema_rows[name].kind == SCHEMA_KIND_HIST);
	return results_put_hist(r, id, schema_name(name), h, schema_unit(name), err);
}

static int put_named_hist(struct results *r, int64_t id, enum schema_id name, const char *part,
			  const struct hist *h, struct error *err)
{
	char *key = schema_key(name, part);
	int rc;

	ASSERT(schema_rows[name].kind == SCHEMA_KIND_HIST);
	rc = results_put_hist(r, id, key, h, schema_unit(name), err);
	free(key);
	return rc;
}

static int put_ranker(struct results *r, int64_t id, const struct worldstore_ranker *k,
		      struct error *err)
{
	int rc = 0;

	if (k->score_ns)
		rc = put_named_hist(r, id, SCHEMA_HIST_HOST_RANKER, k->name, k->score_ns, err);
	if (rc == 0 && k->fit_ns)
		rc = put_named_hist(r, id, SCHEMA_HIST_HOST_FIT, k->name, k->fit_ns, err);
	return rc;
}

static int put_counters(struct results *r, int64_t id, const struct worldstore *w,
			struct error *err)
{
	int rc = 0;

	for (size_t i = 0; i < w->n_counters && rc == 0; i++)
		rc = put_metric(r, id, w->counters[i].id, w->counters[i].value, RESULTS_SIM, err);
	if (rc == 0)
		rc = put_metric(r, id, SCHEMA_METRIC_TRAINING_WALL, w->train_wall_s, RESULTS_HOST,
				err);
	if (rc == 0 && w->history)
		rc = results_put_timing(r, id, schema_name(SCHEMA_TIMING_HISTORY), w->history_wall_s,
					err);
	return rc;
}

/* [stream] store = redis: host metrics and histograms of the real Redis. */
static int put_redis(struct results *r, int64_t id, const struct worldstore_redis *x,
		     struct error *err)
{
	const struct {
		enum schema_id name;
		double v;
	} m[] = {
		{ SCHEMA_METRIC_REDIS_READS, (double)x->reads },
		{ SCHEMA_METRIC_REDIS_READ_KEYS, (double)x->read_keys },
		{ SCHEMA_METRIC_REDIS_WRITES, (double)x->writes },
		{ SCHEMA_METRIC_REDIS_FLUSHES, (double)x->flushes },
		{ SCHEMA_METRIC_REDIS_CELLS_COMPARED, (double)x->cells_compared },
		{ SCHEMA_METRIC_REDIS_MISMATCHES, (double)x->mismatches },
	};
	int rc = 0;

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]) && rc == 0; i++)
		rc = put_metric(r, id, m[i].name, m[i].v, RESULTS_HOST, err);
	if (rc == 0)
		rc = put_hist(r, id, SCHEMA_HIST_HOST_REDIS_READ, x->read_ns, err);
	if (rc == 0)
		rc = put_hist(r, id, SCHEMA_HIST_HOST_REDIS_WRITE, x->write_ns, err);
	return rc;
}

static int put_facts(struct results *r, int64_t id, const struct worldstore *w,
		     struct error *err)
{
	int rc = 0;

	if (w->trained) {
		rc = put_info_num(r, id, SCHEMA_INFO_TRAINING_FROM, (long long)w->train_from, err);
		if (rc == 0)
			rc = put_info_num(r, id, SCHEMA_INFO_TRAINING_TO, (long long)w->train_to,
					  err);
		if (rc == 0)
			rc = put_info_num(r, id, SCHEMA_INFO_TRAINING_ROWS, (long long)w->train_rows,
					  err);
	}
	if (rc == 0)
		rc = put_info_num(r, id, SCHEMA_INFO_EXPERIMENT_START, (long long)w->experiment_start,
				  err);
	for (size_t i = 0; i < w->n_spikes && rc == 0; i++) {
		char *key = schema_key(SCHEMA_INFO_SPIKE_START, w->spikes[i].name);
		char buf[32];

		snprintf(buf, sizeof(buf), "%lld", (long long)w->spikes[i].start);
		rc = results_put_info(r, id, key, buf, err);
		free(key);
	}
	if (rc == 0)
		rc = results_put_info(r, id, schema_name(SCHEMA_INFO_WORLD), w->world, err);
	if (rc == 0 && w->replay)
		rc = put_info_num(r, id, SCHEMA_INFO_TRACE_AFTER_HORIZON,
				  (long long)w->events_after_horizon, err);
	if (rc == 0 && w->replay && w->trace_ids)
		rc = results_put_info(r, id, schema_name(SCHEMA_INFO_TRACE_IDS), w->trace_ids, err);
	return rc;
}

static int put_model(struct results *r, int64_t id, const struct worldstore *w,
		     struct error *err)
{
	int rc;

	if (!w->trained)
		return 0;
	if (w->roc_n && (rc = results_put_curve(r, id, schema_name(SCHEMA_CURVE_ROC), w->roc_fpr,
						 w->roc_tpr, NULL, w->roc_n, err)) < 0)
		return rc;
	if (w->calib_bins &&
	    (rc = results_put_curve(r, id, schema_name(SCHEMA_CURVE_CALIBRATION), w->calib_x,
				    w->calib_y, w->calib_n, w->calib_bins, err)) < 0)
		return rc;
	return put_metric(r, id, SCHEMA_METRIC_MODEL_OOB_LOGLOSS, w->oob_logloss, RESULTS_SIM, err);
}

static int put_transitions(struct results *r, int64_t id, const struct worldstore *w,
			   struct error *err)
{
	int rc = 0;

	for (size_t i = 0; i < w->n_transitions && rc == 0; i++)
		rc = results_put_transition(r, id, &w->transitions[i], err);
	return rc;
}

/* One skew metric of a group: SCHEMA_METRIC_SKEW_* with the group's name. */
static int put_skew_metric(struct results *r, int64_t id, enum schema_id name,
			   const char *group, double v, struct error *err)
{
	char *key = schema_key(name, group);
	int rc = results_put_metric(r, id, key, NULL, v, schema_unit(name), RESULTS_SIM, err);

	free(key);
	return rc;
}

static int put_skew(struct results *r, int64_t id, const struct worldstore *w,
		    struct error *err)
{
	int rc = 0;

	if (!w->trained)
		return 0;
	for (size_t g = 0; g < w->n_skew && rc == 0; g++) {
		const struct worldstore_skew *s = &w->skew[g];
		double cells = (double)s->cells;

		rc = put_skew_metric(r, id, SCHEMA_METRIC_SKEW_CELLS, s->group, cells, err);
		if (rc == 0)
			rc = put_skew_metric(r, id, SCHEMA_METRIC_SKEW_MISMATCH, s->group,
					     s->cells ? (double)s->mismatched / cells : NAN, err);
		if (rc == 0)
			rc = put_skew_metric(r, id, SCHEMA_METRIC_SKEW_FOUND, s->group,
					     s->cells ? (double)s->found / cells : NAN, err);
	}
	return rc;
}

/* A per-arm series: SCHEMA_SERIES_* with the arm's label. */
static int put_arm_series(struct results *r, int64_t id, enum schema_id name, const char *arm,
			  const struct series *s, struct error *err)
{
	char *key = schema_key(name, arm);
	int rc;

	ASSERT(schema_rows[name].kind == SCHEMA_KIND_SERIES);
	rc = results_put_series_as(r, id, key, s, schema_unit(name), err);
	free(key);
	return rc;
}

/* Daily engagement per arm as series of day-wide buckets. */
static int put_daily(struct results *r, int64_t id, const struct worldstore *w,
		     struct error *err)
{
	size_t days = metrics_days(w->metrics);
	int rc = 0;

	ASSERT(metrics_arms(w->metrics) >= w->n_arms);
	for (size_t arm = 0; arm < w->n_arms && rc == 0; arm++) {
		struct series *s = series_new(w->arm_labels[arm], 0, SIMTIME_DAY, days, 0, 0, err);

		if (!s)
			return err->code;
		for (size_t d = 0; d < days; d++) {
			double v = metrics_daily(w->metrics, d, (int)arm, METRIC_ENGAGEMENT);

			series_gauge(s, (simtime)d * SIMTIME_DAY, (int64_t)llround(v));
			series_count(s, (simtime)d * SIMTIME_DAY, (uint64_t)llround(v));
		}
		rc = put_arm_series(r, id, SCHEMA_SERIES_ENGAGEMENT, w->arm_labels[arm], s, err);
		series_free(s);
	}
	return rc;
}

/* The exposure of each arm's served pages (experiment period). */
static int put_exposure(struct results *r, int64_t id, const struct worldstore *w,
			struct error *err)
{
	int rc = 0;

	for (size_t arm = 0; w->exposure && arm < w->n_arms && rc == 0; arm++) {
		const struct exposure *e = w->exposure;
		const struct {
			enum schema_id name;
			double v;
		} m[] = {
			{ SCHEMA_METRIC_EXPOSURE_TOPIC_COVERAGE,
			  exposure_value(e, (int)arm, EXPOSURE_TOPIC_COVERAGE) },
			{ SCHEMA_METRIC_EXPOSURE_CREATOR_COVERAGE,
			  exposure_value(e, (int)arm, EXPOSURE_CREATOR_COVERAGE) },
			{ SCHEMA_METRIC_EXPOSURE_CREATOR_GINI,
			  exposure_value(e, (int)arm, EXPOSURE_CREATOR_GINI) },
			{ SCHEMA_METRIC_EXPOSURE_HIGH_QUALITY,
			  exposure_high_quality_share(e, (int)arm) },
			{ SCHEMA_METRIC_EXPOSURE_DIVERSITY,
			  exposure_intra_list_diversity(e, (int)arm) },
			{ SCHEMA_METRIC_EXPOSURE_SLOTS, (double)exposure_slots(e, (int)arm) },
		};

		/* an arm nobody was served in this world (a twin world) stores nothing */
		if (exposure_slots(e, (int)arm) == 0)
			continue;
		for (size_t i = 0; i < sizeof(m) / sizeof(m[0]) && rc == 0; i++)
			rc = results_put_metric(r, id, schema_name(m[i].name), w->arm_labels[arm],
						m[i].v, schema_unit(m[i].name), RESULTS_SIM, err);
	}
	return rc;
}

int worldstore_put(struct results *r, int64_t run_id, const struct worldstore *w,
		   struct error *err)
{
	/* Per-minute series after the daily ones, in this order: sessions,
	 * each arm's exposures, then these. */
	const struct {
		enum schema_id name;
		const struct series *s;
	} minute[] = {
		{ SCHEMA_SERIES_REFLECTION, w->reflection },
		{ SCHEMA_SERIES_QUEUE_DEPTH, w->queue_depth },
		{ SCHEMA_SERIES_QUEUE_INFLIGHT, w->queue_inflight },
		{ SCHEMA_SERIES_QUEUE_OLDEST, w->queue_oldest },
		{ SCHEMA_SERIES_WORKERS, w->workers },
		{ SCHEMA_SERIES_LATENCY, w->latency },
		{ SCHEMA_SERIES_REQUESTS, w->requests },
		{ SCHEMA_SERIES_ERRORS, w->errors },
		{ SCHEMA_SERIES_INSTANCES, w->instances },
	};
	const struct {
		enum schema_id name;
		const struct hist *h;
	} whole[] = {
		{ SCHEMA_HIST_LATENCY, w->latency_hist },
		{ SCHEMA_HIST_REFLECTION, w->reflection_hist },
		{ SCHEMA_HIST_HOST_ASSEMBLY, w->host_assembly },
		{ SCHEMA_HIST_HOST_SCORING, w->host_scoring },
	};
	int rc;

	/* the exposure right after the counters: the same metric rows (seq)
	 * whatever the ranker's model stores after them */
	if ((rc = put_counters(r, run_id, w, err)) < 0 ||
	    (rc = put_exposure(r, run_id, w, err)) < 0 || (rc = put_facts(r, run_id, w, err)) < 0 ||
	    (rc = put_model(r, run_id, w, err)) < 0 ||
	    (rc = put_transitions(r, run_id, w, err)) < 0 ||
	    (rc = put_skew(r, run_id, w, err)) < 0 ||
	    (rc = put_series(r, run_id, SCHEMA_SERIES_FRESHNESS, w->freshness, err)) < 0 ||
	    (rc = put_hist(r, run_id, SCHEMA_HIST_FRESHNESS, w->freshness_hist, err)) < 0 ||
	    (rc = put_daily(r, run_id, w, err)) < 0 ||
	    (rc = put_series(r, run_id, SCHEMA_SERIES_SESSIONS, w->sessions, err)) < 0)
		return rc;
	for (size_t i = 0; i < w->n_arms; i++)
		if ((rc = put_arm_series(r, run_id, SCHEMA_SERIES_EXPOSURES, w->arm_labels[i],
					 w->exposures[i], err)) < 0)
			return rc;
	for (size_t i = 0; i < sizeof(minute) / sizeof(minute[0]); i++)
		if ((rc = put_series(r, run_id, minute[i].name, minute[i].s, err)) < 0)
			return rc;
	for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		if ((rc = put_hist(r, run_id, whole[i].name, whole[i].h, err)) < 0)
			return rc;
	for (size_t i = 0; i < w->n_rankers; i++)
		if ((rc = put_ranker(r, run_id, &w->rankers[i], err)) < 0)
			return rc;
	return w->redis ? put_redis(r, run_id, w->redis, err) : 0;
}
