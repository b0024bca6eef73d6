/* A run's feature writes replayed into Redis in wall-clock time; see
 * redisreplay.h. */
#include "serve/redisreplay.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"
#include "engine/online.h"
#include "engine/redisstore.h"

#define HIGHEST_NS (INT64_C(3600) * 1000000000)

void redisreplay_options_defaults(struct redisreplay_options *o)
{
	memset(o, 0, sizeof(*o));
	o->speed = 1440;
	o->max_batch = 10000;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000), (long)(t % 1000000000) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* A staged write: when it was due and when its event happened (wall ns
 * since the start). */
struct pending {
	int64_t due, event;
};

/* The last value the log stored per cell (for the read-back check). */
struct last {
	float *value;             /* NaN: never written */
	size_t n_entities, nf;
	uint8_t *touched;         /* entity written in the window */
};

struct replay {
	const struct redisreplay_options *o;
	struct redisreplay_result *res;
	struct redisstore *rs;
	struct pending *p;
	size_t np;
	int64_t t0;
	struct last last[ONLINE_MAX_TABLES];
	size_t n_tables;
	int64_t last_ack;
	struct error *err;
};

static int flush(struct replay *R)
{
	int64_t ack;
	int rc;

	if (R->np == 0)
		return 0;
	if ((rc = redisstore_flush(R->rs, R->err)) < 0)
		return rc;
	ack = mono_ns() - R->t0;
	R->last_ack = ack;
	R->res->pipelines++;
	for (size_t i = 0; i < R->np; i++) {
		int64_t lag = ack - R->p[i].due, refl = ack - R->p[i].event;

		hist_record(&R->res->lag_ns, lag > 0 ? lag : 0);
		hist_record(&R->res->reflection_ns, refl > 0 ? refl : 0);
	}
	R->np = 0;
	return 0;
}

static int64_t wall_of(const struct replay *R, simtime t)
{
	return (int64_t)llround((double)(t - R->o->from) * 1e3 / R->o->speed);
}

static int on_record(void *ctx, const struct online_record *r)
{
	struct replay *R = ctx;
	int64_t due = wall_of(R, r->write_time), now = mono_ns() - R->t0;
	struct last *l;
	int rc;

	if (due > now) {
		if ((rc = flush(R)) < 0)
			return rc;
		sleep_until(R->t0 + due);
	}
	redisstore_stage(R->rs, r->table, r->entity, r->feature, r->value, r->write_time);
	R->p[R->np++] = (struct pending){ due, wall_of(R, r->event_time) };
	R->res->writes++;
	hist_record(&R->res->sim_reflection_us, r->write_time - r->event_time > 0
							? r->write_time - r->event_time : 0);
	l = &R->last[r->table];
	if ((size_t)r->table < R->n_tables && r->entity < l->n_entities) {
		l->value[(size_t)r->entity * l->nf + (size_t)r->feature] = r->value;
		l->touched[r->entity] = 1;
	}
	if (R->np >= R->o->max_batch)
		return flush(R);
	return 0;
}

/* Read every written entity back and compare with the log's last values. */
static int check_back(struct replay *R)
{
	uint32_t *ids = xcalloc(1000, sizeof(*ids));
	float *v = NULL;
	simtime *at = NULL;
	int rc = 0;

	for (size_t t = 0; t < R->n_tables && rc == 0; t++) {
		struct last *l = &R->last[t];
		size_t k = 0;

		v = xreallocarray(v, 1000 * l->nf, sizeof(*v));
		at = xreallocarray(at, 1000 * l->nf, sizeof(*at));
		for (size_t e = 0; e <= l->n_entities && rc == 0; e++) {
			if (e < l->n_entities && l->touched[e])
				ids[k++] = (uint32_t)e;
			if (k == 0 || (k < 1000 && e < l->n_entities))
				continue;
			rc = redisstore_read(R->rs, (int)t, ids, k, (int)l->nf, v, at, R->err);
			for (size_t i = 0; rc == 0 && i < k * l->nf; i++) {
				float want = l->value[(size_t)ids[i / l->nf] * l->nf + i % l->nf];

				R->res->cells_checked++;
				if (!((isnan(want) && isnan(v[i])) || memcmp(&want, &v[i], 4) == 0))
					R->res->cells_differing++;
			}
			k = 0;
		}
	}
	free(ids);
	free(v);
	free(at);
	return rc;
}

/* The tables of the log, for the read-back check. */
static int probe(void *ctx, const struct online_record *r)
{
	(void)ctx;
	(void)r;
	return 1;
}

int redisreplay_run(const char *run_dir, const struct redisreplay_options *o,
		    struct redisreplay_result *res, struct error *err)
{
	struct online_table_spec tables[ONLINE_MAX_TABLES];
	char *path = xasprintf("%s/online.log", run_dir);
	struct replay R;
	size_t nt = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&R, 0, sizeof(R));
	if (!(o->speed > 0) || !isfinite(o->speed) || o->from < 0 || o->max_batch == 0) {
		rc = error_set(err, ERR_INPUT, "redis-replay: --speed must be positive and --from "
			       "not negative");
		goto out;
	}
	/* The header alone: the tables, and a bad log refused before Redis. */
	rc = online_log_scan(path, INT64_MIN, INT64_MAX, probe, NULL, tables, &nt, err);
	if (rc < 0)
		goto out;
	res->from = o->from;
	res->to = o->duration_s > 0 ? o->from + (simtime)llround(o->duration_s * o->speed * 1e6)
				    : INT64_MAX;
	if ((rc = hist_init(&res->pipeline_ns, INT64_C(60) * 1000000000, 3, err)) < 0 ||
	    (rc = hist_init(&res->lag_ns, HIGHEST_NS, 3, err)) < 0 ||
	    (rc = hist_init(&res->reflection_ns, HIGHEST_NS, 3, err)) < 0 ||
	    (rc = hist_init(&res->sim_reflection_us, INT64_C(30) * SIMTIME_DAY, 3, err)) < 0)
		goto out;
	if (!(R.rs = redisstore_open(o->url, "airtime-replay", 5000, err))) {
		rc = err->code;
		goto out;
	}
	snprintf(res->where, sizeof(res->where), "%s", redisstore_where(R.rs));
	R.o = o;
	R.res = res;
	R.err = err;
	R.p = xcalloc(o->max_batch, sizeof(*R.p));
	R.n_tables = nt;
	for (size_t t = 0; t < nt; t++) {
		size_t cells = (size_t)tables[t].n_entities * tables[t].n_features;

		R.last[t].n_entities = tables[t].n_entities;
		R.last[t].nf = tables[t].n_features;
		R.last[t].value = xmalloc(cells * sizeof(float));
		R.last[t].touched = xcalloc(tables[t].n_entities, 1);
		for (size_t c = 0; c < cells; c++)
			R.last[t].value[c] = NAN;
	}
	R.t0 = mono_ns();
	rc = online_log_scan(path, o->from, res->to, on_record, &R, tables, &nt, err);
	if (rc == 0)
		rc = flush(&R);
	if (rc < 0)
		goto out;
	res->wall_s = (double)R.last_ack / 1e9;
	if (res->writes) {
		double span = o->duration_s > 0 ? o->duration_s : res->wall_s;

		res->intended_rate = span > 0 ? (double)res->writes / span : NAN;
		res->achieved_rate = res->wall_s > 0 ? (double)res->writes / res->wall_s : NAN;
	}
	/* The pipelines' own round trips, as the store timed them. */
	if ((rc = hist_merge(&res->pipeline_ns, redisstore_write_ns(R.rs), err)) < 0)
		goto out;
	rc = check_back(&R);
out:
	redisstore_free(R.rs);
	for (size_t t = 0; t < R.n_tables; t++) {
		free(R.last[t].value);
		free(R.last[t].touched);
	}
	free(R.p);
	free(path);
	return rc;
}

void redisreplay_result_release(struct redisreplay_result *r)
{
	if (r->pipeline_ns.counts)
		hist_release(&r->pipeline_ns);
	if (r->lag_ns.counts)
		hist_release(&r->lag_ns);
	if (r->reflection_ns.counts)
		hist_release(&r->reflection_ns);
	if (r->sim_reflection_us.counts)
		hist_release(&r->sim_reflection_us);
}
