/* A finished run directory opened for real-time serving; see servedir.h. */
#include "serve/servedir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/calendar.h"
#include "common/event.h"
#include "common/rng.h"
#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "engine/batchjob.h"
#include "engine/catalog.h"
#include "engine/forest.h"
#include "engine/online.h"
#include "engine/pit.h"
#include "engine/profile.h"
#include "engine/stream.h"
#include "results/rundir.h"
#include "engine/serving.h"
#include "sim/arrivals.h"
#include "sim/sim.h"
#include "sim/spikes.h"
#include "sim/world.h"

struct show_event {
	simtime t;
	uint32_t show;
	uint8_t type;     /* EVENT_SHOW_SCHEDULED < LIVE < END in time per show */
	uint8_t rank;     /* 0 scheduled, 1 live, 2 end */
};

struct servedir {
	char *dir, *model_path;
	struct scenario *sc;
	struct config *cfg;     /* loaded from sc */
	struct sim_params sp;
	struct calendar *cal;
	struct sim *sim;
	simtime at, horizon, warmup_end;
	uint64_t seed;
	struct catalog *cat;
	struct profile *prof;
	struct online *online;
	struct batchjob *batch;
	struct forest *model;
	struct rank_config rc;
	size_t candidates;
	/* Moving the serving time (servedir_advance): the show events of the
	 * whole run, the next one not applied yet; the store log, read up to
	 * the serving time. */
	struct show_event *ev;
	size_t n_ev, ev_next;
	uint64_t ev_id;
	struct online_log *log;
	char store_warning[512]; /* "" when the log was sealed */
};

const char *servedir_store_warning(const struct servedir *d)
{
	return d->store_warning[0] ? d->store_warning : NULL;
}

static int load_scenario(struct servedir *d, struct error *err)
{
	if (!(d->sc = rundir_load_scenario(d->dir, err)))
		return err->code;
	d->cfg = xmalloc(sizeof(*d->cfg));
	if (config_load(d->cfg, d->sc, err) < 0)
		return err->code;
	d->seed = d->cfg->run.seed;
	return 0;
}

/* The sim's events are never delivered: the world is only looked at. */
static void no_emit(void *ctx, const struct event *ev)
{
	(void)ctx;
	(void)ev;
}

static int cmp_show_event(const void *a, const void *b)
{
	const struct show_event *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->show < y->show ? -1 : x->show > y->show;
}

/* Apply the show events up to and including `to` to the catalog. */
static int catalog_to(struct servedir *d, simtime to, struct error *err)
{
	const struct world *w = sim_world(d->sim);
	int rc = 0;

	for (; d->ev_next < d->n_ev && d->ev[d->ev_next].t <= to && rc == 0; d->ev_next++) {
		const struct show_event *x = &d->ev[d->ev_next];
		struct event e;
		uint32_t s = x->show;

		memset(&e, 0, sizeof(e));
		e.id = ++d->ev_id;
		e.emit_time = x->t;
		e.type = x->type;
		e.show = s;
		e.creator = world_show_creator(w, s);
		e.topic = world_show_topic(w, s);
		e.user = EVENT_NONE;
		e.session = EVENT_NONE;
		if (x->type == EVENT_SHOW_SCHEDULED)
			e.value = world_show_start(w, s);
		else if (x->type == EVENT_SHOW_END)
			e.value = world_show_end(w, s) - world_show_start(w, s);
		rc = catalog_apply(d->cat, &e, err);
	}
	return rc;
}

/* The show events the simulator emitted before the horizon (sim.c
 * on_show, which generates none at or after it), in time order; the
 * catalog's state depends only on each show's own events, so the tie order
 * between shows does not matter, but it is fixed anyway.  Applied up to
 * the serving time; servedir_advance applies the rest as time moves. */
static int build_catalog(struct servedir *d, struct error *err)
{
	const struct world *w = sim_world(d->sim);
	uint32_t ns = world_n_shows(w);

	d->ev = xcalloc((size_t)ns * 3 + 1, sizeof(*d->ev));
	for (uint32_t s = 0; s < ns; s++) {
		simtime t[3] = { world_show_announce(w, s), world_show_start(w, s),
				 world_show_end(w, s) };
		static const uint8_t types[3] = { EVENT_SHOW_SCHEDULED, EVENT_SHOW_LIVE,
						  EVENT_SHOW_END };

		for (int k = 0; k < 3; k++)
			if (t[k] < d->horizon)
				d->ev[d->n_ev++] = (struct show_event){ t[k], s, types[k], (uint8_t)k };
	}
	qsort(d->ev, d->n_ev, sizeof(*d->ev), cmp_show_event);
	d->cat = catalog_new(ns);
	return catalog_to(d, d->at, err);
}

/* Declared topics, as eval/worldrun builds them. */
static int build_profile(struct servedir *d, struct error *err)
{
	const struct world *w = sim_world(d->sim);
	uint32_t users = world_n_users(w), topics = world_n_topics(w);
	uint16_t list[32];

	d->prof = profile_new(users);
	for (uint32_t u = 0; u < users; u++) {
		uint32_t mask = world_user_declared(w, u);
		size_t n = 0;

		for (uint32_t t = 0; t < topics && t < 32; t++)
			if (mask & (1u << t))
				list[n++] = (uint16_t)t;
		if (profile_set(d->prof, u, list, n, err) < 0)
			return err->code;
	}
	return 0;
}

/* A store record of the log into the serving store. */
static int apply_record(void *ctx, const struct online_record *r)
{
	struct servedir *d = ctx;
	int rc = online_write(d->online, r->table, r->entity, r->feature, r->value, r->event_time,
			      r->seq, r->write_time, NULL);

	return rc == ONLINE_STALE ? 0 : rc;
}

/* The end-of-run snapshot (online.snap, one record per live cell at the
 * horizon) when it is sealed and serves the serving time: a restart reads
 * it instead of every write of the log.  NULL (no error) when it does not
 * apply. */
static struct online_log *open_snapshot(struct servedir *d, struct online_table_spec *got,
					size_t *n)
{
	char *path = xasprintf("%s/online.snap", d->dir);
	struct online_log *l = NULL;
	struct error e;
	simtime at;

	if (access(path, F_OK) == 0 && (l = online_log_open(path, got, n, &e)) &&
	    !(online_log_sealed(l, &at) && at == d->at)) {
		online_log_close(l);
		l = NULL;
	}
	free(path);
	return l;
}

/* What an unsealed log lost: a warning, or with strict_store an error. */
static int check_log_end(struct servedir *d, struct online_log *l, const char *path, bool strict,
			 bool snapshot, struct error *err)
{
	uint64_t good, torn, bytes;

	if (online_log_sealed(l, NULL))
		return 0;
	online_log_damage(l, &good, &torn, &bytes);
	snprintf(d->store_warning, sizeof(d->store_warning),
		 "store log '%s' is not sealed (cut by a crash or damaged): %llu valid records, "
		 "%llu damaged records (%llu bytes) after them ignored%s", path,
		 (unsigned long long)good, (unsigned long long)torn, (unsigned long long)bytes,
		 snapshot ? "; serving the sealed snapshot online.snap" : "; serving the valid ones");
	if (strict)
		return error_set(err, ERR_CORRUPT, "%s (refused: --strict-store)", d->store_warning);
	return 0;
}

/* The online store as of the serving time: an in-memory store (the run's
 * [stream] store_ttl) fed from online.log, which is only ever read, with
 * every record stored at or before the serving time; servedir_advance
 * feeds the later ones.  At the horizon, the run's sealed snapshot
 * (online.snap) replaces the log: the same cells, one record each. */
static int open_online(struct servedir *d, bool strict, struct error *err)
{
	const struct world *w = sim_world(d->sim);
	struct online_config oc = d->cfg->stream.online;
	struct online_table_spec tables[PIT_TABLES], got[ONLINE_MAX_TABLES];
	char *path = xasprintf("%s/online.log", d->dir);
	size_t n = 0;
	int rc = 0;

	oc.log_path = NULL;
	oc.read_only = false;
	tables[PIT_TABLE_SHOW] = (struct online_table_spec){ world_n_shows(w), PIT_SHOW_FEATURES };
	tables[PIT_TABLE_CREATOR] =
		(struct online_table_spec){ world_n_creators(w), PIT_CREATOR_FEATURES };
	if ((d->log = open_snapshot(d, got, &n)) == NULL) {
		if (!(d->log = online_log_open(path, got, &n, err))) {
			rc = err->code;
			goto out;
		}
		if ((rc = check_log_end(d, d->log, path, strict, false, err)) < 0)
			goto out;
	} else {
		/* Served from the snapshot; the log is still checked (its seal:
		 * one record read), so a damaged log is never passed over. */
		struct online_table_spec lt[ONLINE_MAX_TABLES];
		size_t ln;
		struct online_log *l = online_log_open(path, lt, &ln, err);

		if (!l) {
			rc = err->code;
			goto out;
		}
		rc = check_log_end(d, l, path, strict, true, err);
		online_log_close(l);
		if (rc < 0)
			goto out;
	}
	if (n != PIT_TABLES || got[0].n_entities != tables[0].n_entities ||
	    got[0].n_features != tables[0].n_features || got[1].n_entities != tables[1].n_entities ||
	    got[1].n_features != tables[1].n_features) {
		rc = error_set(err, ERR_INPUT, "store log '%s' was written for other tables than "
			       "this run's world", path);
		goto out;
	}
	if (!(d->online = online_new(&oc, tables, PIT_TABLES, err))) {
		rc = err->code;
		goto out;
	}
	rc = online_log_next(d->log, d->at + 1, apply_record, d, err);
	if (rc > 0 || (rc < 0 && rc != err->code))
		rc = error_set(err, ERR_CORRUPT, "store log '%s': a record does not fit the store",
			       path);
	if (rc == 0 && online_log_compacted_at(d->log) > d->at)
		rc = error_set(err, ERR_INPUT, "store log '%s' was compacted at %.3f h: serving "
			       "before that needs the write history ([stream] store_compact_ratio "
			       "= 0)", path, (double)online_log_compacted_at(d->log) / SIMTIME_HOUR);
out:
	free(path);
	return rc;
}

static int open_batch(struct servedir *d, struct error *err)
{
	if (!(d->batch = batchjob_open_serving(&d->cfg->batch, d->dir, err)))
		return err->code;
	return 0;
}

static int load_model(struct servedir *d, struct error *err)
{
	struct stat sb;

	d->model_path = xasprintf("%s/model.forest", d->dir);
	if (stat(d->model_path, &sb) < 0) {
		if (errno == ENOENT)
			return 0;   /* a run without a forest arm saves none */
		return error_set(err, ERR_IO, "cannot stat '%s': %s", d->model_path,
				 strerror(errno));
	}
	if (!(d->model = forest_load(d->model_path, err)))
		return err->code;
	return 0;
}

struct servedir *servedir_open(const char *dir, const struct servedir_options *opt,
			       struct error *err)
{
	struct servedir *d = xcalloc(1, sizeof(*d));
	struct stat sb;
	uint32_t *cand;

	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		error_set(err, ERR_INPUT, "'%s' is not a run directory (%s)", dir,
			  errno ? strerror(errno) : "not a directory");
		goto fail;
	}
	d->dir = xstrdup(dir);
	if (load_scenario(d, err) < 0)
		goto fail;
	d->warmup_end = d->cfg->run.warmup_days * SIMTIME_DAY;
	d->horizon = d->warmup_end + d->cfg->run.experiment_days * SIMTIME_DAY;
	d->at = opt && opt->at_set ? opt->at : d->horizon;
	if (d->at < 0) {
		error_set(err, ERR_INPUT, "serving time %lld us is before the scenario epoch",
			  (long long)d->at);
		goto fail;
	}
	d->sp = d->cfg->sim;
	d->cal = calendar_new(0, 64);
	if (!(d->sim = sim_new(&d->sp, d->cal, no_emit, NULL, err)))
		goto fail;
	/* Scoring threads are the run's ([model] scoring_threads); a server
	 * scores each request on the thread that serves it. */
	d->rc = d->cfg->rank;
	if (build_catalog(d, err) < 0 ||
	    build_profile(d, err) < 0 || open_online(d, opt && opt->strict_store, err) < 0 ||
	    open_batch(d, err) < 0 ||
	    load_model(d, err) < 0)
		goto fail;
	cand = xcalloc(d->rc.max_candidates, sizeof(*cand));
	d->candidates = catalog_candidates(d->cat, d->at, d->rc.horizon, d->rc.late_grace, cand,
					   d->rc.max_candidates);
	free(cand);
	return d;
fail:
	error_prefix(err, "serving run directory '%s': ", dir);
	servedir_free(d);
	return NULL;
}

void servedir_free(struct servedir *d)
{
	if (!d)
		return;
	sim_free(d->sim);
	calendar_free(d->cal);
	catalog_free(d->cat);
	profile_free(d->prof);
	online_free(d->online);
	online_log_close(d->log);
	free(d->ev);
	batchjob_free(d->batch);
	forest_free(d->model);
	scenario_free(d->sc);
	free(d->cfg);
	free(d->model_path);
	free(d->dir);
	free(d);
}

struct serving *servedir_serving_new(const struct servedir *d, uint64_t stream,
				     struct error *err)
{
	struct serving_parts parts;
	struct serving *s;

	memset(&parts, 0, sizeof(parts));
	parts.rank = &d->rc;
	parts.catalog = d->cat;
	parts.profile = d->prof;
	parts.online = d->online;
	parts.batch = d->batch;
	parts.truth = NULL;
	parts.seed = rng_hash4(d->seed, RNG_RANKER, stream, 1);
	parts.concurrent = true;
	if (!(s = serving_new(&parts, err)))
		return NULL;
	if (d->model && serving_set_model(s, d->model, err) < 0) {
		serving_free(s);
		return NULL;
	}
	return s;
}

int servedir_request(const struct servedir *d, struct serving *s, uint32_t user,
		     enum rank_scorer scorer, uint64_t request_id, struct servedir_page *out,
		     struct error *err)
{
	struct rank_request req = {
		.user = user,
		.now = d->at,
		.request_id = request_id,
		.scorer = scorer,
	};

	out->asked = scorer;
	out->cold_start = user >= profile_user_count(d->prof);
	if (scorer == RANK_FOREST && !d->model)
		return error_set(err, ERR_UNAVAILABLE,
				 "the forest scorer is unavailable: the run saved no model ('%s' "
				 "is missing)", d->model_path);
	/* An unknown user has no history and no declared topics: the
	 * pre-ML baseline is the only ranking that does not pretend. */
	if (out->cold_start)
		req.scorer = RANK_HEURISTIC;
	return serving_request(s, &req, &out->res, err);
}

const char *servedir_path(const struct servedir *d) { return d->dir; }
simtime servedir_time(const struct servedir *d) { return d->at; }
simtime servedir_horizon(const struct servedir *d) { return d->horizon; }
simtime servedir_experiment_start(const struct servedir *d) { return d->warmup_end; }
uint32_t servedir_users(const struct servedir *d) { return profile_user_count(d->prof); }
size_t servedir_candidates(const struct servedir *d) { return d->candidates; }
const struct forest *servedir_model(const struct servedir *d) { return d->model; }
const char *servedir_model_path(const struct servedir *d) { return d->model_path; }
const struct catalog *servedir_catalog(const struct servedir *d) { return d->cat; }
const struct rank_config *servedir_rank_config(const struct servedir *d) { return &d->rc; }
const struct scenario *servedir_scenario(const struct servedir *d) { return d->sc; }
const struct config *servedir_config(const struct servedir *d) { return d->cfg; }

uint64_t servedir_online_records(const struct servedir *d)
{
	return online_log_records(d->log);
}

int servedir_advance(struct servedir *d, simtime to, struct error *err)
{
	uint32_t *cand;
	int rc;

	if (to < d->at)
		return error_set(err, ERR_INPUT, "serving time moves forward only (%lld us, now "
				 "%lld us)", (long long)to, (long long)d->at);
	if ((rc = catalog_to(d, to, err)) < 0)
		return rc;
	rc = online_log_next(d->log, to + 1, apply_record, d, err);
	if (rc != 0)
		return rc < 0 ? rc : error_set(err, ERR_CORRUPT, "store log: a record does not fit "
					       "the store");
	d->at = to;
	cand = xcalloc(d->rc.max_candidates, sizeof(*cand));
	d->candidates = catalog_candidates(d->cat, d->at, d->rc.horizon, d->rc.late_grace, cand,
					   d->rc.max_candidates);
	free(cand);
	return 0;
}

int servedir_traffic(const struct servedir *d, simtime from, simtime width, size_t n,
		     double *out, struct error *err)
{
	const struct spikes *sp = sim_spikes(d->sim);
	struct arrivals *a;
	simtime to;

	if (width <= 0 || from < 0)
		return error_set(err, ERR_INPUT, "traffic shape: bad window (from %lld, width %lld)",
				 (long long)from, (long long)width);
	for (size_t i = 0; i < n; i++)
		out[i] = 0;
	to = from + width * (simtime)n;
	if (to > d->horizon)
		to = d->horizon;
	if (!(a = arrivals_new(&d->sp.traffic, d->sp.seed, sim_world(d->sim), err)))
		return err->code;
	for (int64_t day = from / SIMTIME_DAY; day * SIMTIME_DAY < to; day++) {
		size_t m = arrivals_generate_day(a, day);

		for (size_t i = 0; i < m; i++) {
			simtime t = arrivals_time(a, i);

			if (t >= from && t < to)
				out[(t - from) / width] += 1;
		}
	}
	arrivals_free(a);
	for (size_t j = 0; j < spikes_n_sessions(sp); j++) {
		simtime t = spikes_session_time(sp, j);

		if (t >= from && t < to)
			out[(t - from) / width] += 1;
	}
	return 0;
}

struct session {
	simtime t;
	uint32_t user;
};

static int cmp_session(const void *a, const void *b)
{
	const struct session *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->user < y->user ? -1 : x->user > y->user;
}

int servedir_sessions(const struct servedir *d, simtime from, simtime to, simtime **times,
		      uint32_t **users, size_t *n, struct error *err)
{
	const struct spikes *sp = sim_spikes(d->sim);
	struct session *ss = NULL;
	struct arrivals *a;
	size_t k = 0, cap = 0;

	*times = NULL;
	*users = NULL;
	*n = 0;
	if (from < 0 || to < from)
		return error_set(err, ERR_INPUT, "sessions: bad window [%lld, %lld)",
				 (long long)from, (long long)to);
	if (to > d->horizon)
		to = d->horizon;
	if (!(a = arrivals_new(&d->sp.traffic, d->sp.seed, sim_world(d->sim), err)))
		return err->code;
	for (int64_t day = from / SIMTIME_DAY; day * SIMTIME_DAY < to; day++) {
		size_t m = arrivals_generate_day(a, day);

		for (size_t i = 0; i < m; i++) {
			simtime t = arrivals_time(a, i);

			if (t < from || t >= to)
				continue;
			XGROW(ss, k + 1, cap);
			ss[k++] = (struct session){ t, arrivals_user(a, i) };
		}
	}
	arrivals_free(a);
	for (size_t j = 0; j < spikes_n_sessions(sp); j++) {
		simtime t = spikes_session_time(sp, j);

		if (t < from || t >= to)
			continue;
		XGROW(ss, k + 1, cap);
		ss[k++] = (struct session){ t, spikes_session_user(sp, j) };
	}
	if (k)
		qsort(ss, k, sizeof(*ss), cmp_session);
	*times = xcalloc(k ? k : 1, sizeof(**times));
	*users = xcalloc(k ? k : 1, sizeof(**users));
	for (size_t i = 0; i < k; i++) {
		(*times)[i] = ss[i].t;
		(*users)[i] = ss[i].user;
	}
	*n = k;
	free(ss);
	return 0;
}
