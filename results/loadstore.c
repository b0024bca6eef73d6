/* A load test into results.db; see loadstore.h. */
#include "results/loadstore.h"

#include <math.h>
#include <stdio.h>

#include "results/results.h"
#include "results/schema.h"

static int put_metric(struct results *r, int64_t id, enum schema_id name, double v,
		      struct error *err)
{
	ASSERT(schema_rows[name].kind == SCHEMA_KIND_METRIC);
	return results_put_metric(r, id, schema_name(name), NULL, v, schema_unit(name),
				  RESULTS_HOST, err);
}

static int put_info(struct results *r, int64_t id, enum schema_id name, const char *value,
		    struct error *err)
{
	ASSERT(schema_rows[name].kind == SCHEMA_KIND_INFO);
	return results_put_info(r, id, schema_name(name), value, err);
}

static int put_info_num(struct results *r, int64_t id, enum schema_id name, double v,
			struct error *err)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%g", v);
	return put_info(r, id, name, buf, err);
}

static int put_rows(struct results *r, int64_t id, const struct loadstore *l,
		    struct error *err)
{
	const struct {
		enum schema_id name;
		double v;
	} m[] = {
		{ SCHEMA_METRIC_LT_REQUESTS, (double)l->requests },
		{ SCHEMA_METRIC_LT_COMPLETED, (double)l->completed },
		{ SCHEMA_METRIC_LT_ERRORS, (double)l->errors },
		{ SCHEMA_METRIC_LT_DROPPED, (double)l->dropped },
		{ SCHEMA_METRIC_LT_LATE, (double)l->late },
		{ SCHEMA_METRIC_LT_RATE_INTENDED, l->rate_intended },
		{ SCHEMA_METRIC_LT_RATE_ACHIEVED, l->rate_achieved },
		{ SCHEMA_METRIC_LT_RATE_PEAK, l->rate_peak },
		{ SCHEMA_METRIC_LT_THREADS, (double)l->threads },
		{ SCHEMA_METRIC_LT_CANDIDATES, (double)l->candidates },
		{ SCHEMA_METRIC_LT_TREES, (double)l->trees },
		{ SCHEMA_METRIC_LT_LATENCY_P99, (double)l->latency_p99_ns / 1e3 },
	};
	const struct {
		enum schema_id name;
		double v;
	} http[] = {
		{ SCHEMA_METRIC_LT_ERR_CONNECT, (double)l->err_connect },
		{ SCHEMA_METRIC_LT_ERR_TIMEOUT, (double)l->err_timeout },
		{ SCHEMA_METRIC_LT_ERR_4XX, (double)l->err_4xx },
		{ SCHEMA_METRIC_LT_ERR_5XX, (double)l->err_5xx },
		{ SCHEMA_METRIC_LT_ERR_BODY, (double)l->err_body },
		{ SCHEMA_METRIC_LT_ERR_OTHER, (double)l->err_other },
		{ SCHEMA_METRIC_LT_CONNECTIONS, (double)l->connections },
		{ SCHEMA_METRIC_LT_OPENED, (double)l->opened },
		{ SCHEMA_METRIC_LT_QUEUED, (double)l->queued },
	};
	const struct {
		enum schema_id name;
		const struct hist *h;
	} hists[] = {
		{ SCHEMA_HIST_LT_LATENCY, l->latency },
		{ SCHEMA_HIST_LT_SERVICE, l->service },
		{ SCHEMA_HIST_LT_DELAY, l->delay },
		{ SCHEMA_HIST_LT_READ, l->read },
		{ SCHEMA_HIST_LT_SCORING, l->scoring },
	};
	const struct {
		enum schema_id name;
		const struct series *s;
	} series[] = {
		{ SCHEMA_SERIES_LT_INTENDED, l->intended },
		{ SCHEMA_SERIES_LT_ACHIEVED, l->achieved },
		{ SCHEMA_SERIES_LT_LATENCY, l->latency_us },
		{ SCHEMA_SERIES_LT_ERRORS, l->failed },
	};
	char buf[32];
	int rc = 0;

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]) && rc == 0; i++)
		rc = put_metric(r, id, m[i].name, m[i].v, err);
	for (size_t i = 0; l->target && i < sizeof(http) / sizeof(http[0]) && rc == 0; i++)
		rc = put_metric(r, id, http[i].name, http[i].v, err);
	if (rc == 0 && l->target)
		rc = put_info(r, id, SCHEMA_INFO_LT_TARGET, l->target, err);
	if (rc == 0 && l->target)
		rc = put_info(r, id, SCHEMA_INFO_LT_METHOD, l->method ? l->method : "GET", err);
	if (rc == 0 && l->from_set) {
		snprintf(buf, sizeof(buf), "%lld", (long long)l->from);
		rc = put_info(r, id, SCHEMA_INFO_LT_FROM, buf, err);
	}
	if (rc == 0)
		rc = put_info(r, id, SCHEMA_INFO_LT_SHAPE, l->shape, err);
	if (rc == 0 && !isnan(l->compress))
		rc = put_info_num(r, id, SCHEMA_INFO_LT_COMPRESS, l->compress, err);
	if (rc == 0)
		rc = put_info(r, id, SCHEMA_INFO_LT_SCORER, l->scorer, err);
	snprintf(buf, sizeof(buf), "%lld", (long long)l->serving_time);
	if (rc == 0)
		rc = put_info(r, id, SCHEMA_INFO_LT_SERVING_TIME, buf, err);
	if (rc == 0)
		rc = put_info_num(r, id, SCHEMA_INFO_LT_DURATION, l->duration_s, err);
	if (rc == 0)
		rc = put_info(r, id, SCHEMA_INFO_LT_SERIES_TIME,
			      "wall-clock seconds since the start of the test (host)", err);
	for (size_t i = 0; i < sizeof(hists) / sizeof(hists[0]) && rc == 0; i++)
		if (hists[i].h)
			rc = results_put_hist(r, id, schema_name(hists[i].name), hists[i].h,
				      schema_unit(hists[i].name), err);
	for (size_t i = 0; i < sizeof(series) / sizeof(series[0]) && rc == 0; i++)
		if (series[i].s)
			rc = results_put_series_as(r, id, schema_name(series[i].name), series[i].s,
					   schema_unit(series[i].name), err);
	if (rc == 0)
		rc = results_put_slo(r, id, l->slo, err);
	return rc;
}

int loadstore_put(struct results *r, const struct loadstore *l, int64_t *run_id,
		  struct error *err)
{
	struct results_run run = {
		.run_key = "",
		.name = schema_name(SCHEMA_RUN_LOADTEST),
		.scenario_text = l->scenario_text,
		.overrides = l->overrides,
		.seed = l->seed,
	};
	int rc;

	if ((rc = results_begin_run(r, &run, run_id, err)) < 0 ||
	    (rc = results_begin(r, err)) < 0)
		return rc;
	rc = put_rows(r, *run_id, l, err);
	if (rc == 0)
		rc = results_commit(r, err);
	else
		results_rollback(r);
	if (rc == 0)
		rc = results_finish_run(r, *run_id, RESULTS_OK, l->wall_s, err);
	return rc;
}
