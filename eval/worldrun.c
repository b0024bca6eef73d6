/* One simulated world wired to the pipeline; see worldrun.h. */
#include "eval/worldrun.h"

#include "common/calendar.h"
#include "common/event.h"
#include "common/hist.h"
#include "common/rng.h"
#include "common/scenario.h"
#include "common/series.h"
#include "common/trace.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "engine/batchjob.h"
#include "engine/bus.h"
#include "engine/catalog.h"
#include "engine/endpoint.h"
#include "engine/forest.h"
#include "engine/freshness.h"
#include "engine/forest_score.h"
#include "engine/forest_train.h"
#include "engine/online.h"
#include "engine/redisstore.h"
#include "engine/pit.h"
#include "engine/profile.h"
#include "engine/rank.h"
#include "engine/scorer.h"
#include "engine/stream.h"
#include "engine/workflow.h"
#include "eval/assign.h"
#include "eval/implog.h"
#include "stats/metrics.h"
#include "eval/replay.h"
#include "stats/roc.h"
#include "eval/skew.h"
#include "results/results.h"
#include "results/schema.h"
#include "results/worldstore.h"
#include "engine/serving.h"
#include "sim/sim.h"
#include "sim/world.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Listens under way at the horizon end within this; the stream drains too. */
#define DRAIN_TIME (2 * SIMTIME_HOUR)
/* Points kept of the model's ROC curve. */
#define ROC_POINTS 200

/* A workflow state change, kept until the world is stored. */
struct stored_transition {
	struct results_transition t;
	char *message;
};

struct worldrun {
	char *name, *dir;
	int policy;                      /* WORLDRUN_SPLIT or an arm */
	struct worldrun_progress_fn progress;
	uint64_t seed;
	simtime warmup_end, horizon, end;

	/* [ab]: the arms, control first */
	size_t n_arms;
	enum rank_scorer scorer[CONFIG_AB_ARMS_MAX];
	double share[CONFIG_AB_ARMS_MAX];
	const char *label[CONFIG_AB_ARMS_MAX];   /* into labels */
	char labels[CONFIG_AB_ARMS_MAX][SCENARIO_NAME_MAX + 1];
	double exploration;
	/* The scenario's rankers ([ranker.NAME], by index) this world uses;
	 * NULL for the others. */
	struct scorer *rankers[SCORER_RANKERS_MAX];
	char *ranker_names[SCORER_RANKERS_MAX];
	size_t n_rankers;
	uint64_t salt;

	/* [model] */
	struct forest_params fp;
	int threads;
	simtime retrain_every;
	/* "[model] sample_sessions = 10% (t.ini:12)", for the message when too
	 * few impressions were logged to train on */
	char sample_text[SCENARIO_WHERE_MAX + 64];

	struct calendar *cal;
	struct sim_params sp;
	struct sim *sim;                 /* the synthetic population, or */
	struct replay *replay;           /* a recorded trace (borrowed) */
	struct trace_writer *trace_out;  /* every event also goes here (borrowed) */
	uint32_t n_users, n_shows, n_creators;
	uint64_t sessions_seen;
	struct catalog *cat;
	struct profile *prof;
	struct stream_config stc;
	struct stream *stream;
	struct batchjob_config bjc;
	struct batchjob *batch;
	struct freshness *fresh;
	uint32_t *declared_user;         /* (user, topic) pairs handed to the batch job */
	uint16_t *declared_topic;
	size_t n_declared;
	struct stored_transition *transitions;
	size_t n_transitions, cap_transitions;
	struct rank_config rc;
	struct serving *serving;
	struct endpoint_config ec;
	struct endpoint *ep;
	struct forest *model;
	struct metrics *metrics;
	struct implog *log;
	struct series *sessions, *exposures[CONFIG_AB_ARMS_MAX];

	bool experiment;
	int error_code;                  /* first failure inside a callback */
	struct error error;
	uint64_t events, requests, rank_errors, published_rejected;
	uint64_t candidates, scored_forest, page_slots;
	uint64_t explored_pages, trainings;
	uint32_t base_users;             /* users at or above are cold-start arrivals */
	uint64_t spike_sessions, new_user_sessions, new_user_pages;
	double train_wall_s, last_oob_auc;
	simtime train_from, train_to;
	size_t train_rows;
	uint64_t train_positives;

	/* Model evaluation on out-of-bag predictions of the last training. */
	double roc_fpr[ROC_POINTS], roc_tpr[ROC_POINTS];
	size_t roc_n;
	struct forest_score_bin calib[10];
	double oob_logloss;
	/* Training/serving skew, accumulated over trainings. */
	struct skew_report skew;
	size_t joined_rows;

	const float **row_ptrs;          /* k entries */
	uint32_t *page;                  /* k entries */
	/* The last page, while its impressions arrive: a sampled page is
	 * logged slot by slot as the user sees it (its rows stay valid until
	 * the next request, and a page's impressions come before any other
	 * request), so screens not scrolled to are not logged as negatives. */
	struct {
		bool logging, explored;
		uint32_t user, session;
		size_t n;
	} last;
	uint32_t *replay_page;
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Record the first error raised inside a calendar callback and stop. */
static void fail_in_callback(struct worldrun *w, const struct error *e)
{
	if (w->error_code)
		return;
	w->error_code = e->code ? e->code : ERR_RUN;
	w->error = *e;
	calendar_stop(w->cal);
}

static int arm_of(const struct worldrun *w, uint32_t user)
{
	if (w->policy != WORLDRUN_SPLIT)
		return w->policy;
	return (int)assign_arm(w->salt, user, w->share, w->n_arms);
}

static double truth(void *ctx, uint32_t user, uint32_t show, simtime now)
{
	return sim_truth(ctx, user, show, now);
}

static void on_event(void *ctx, const struct event *ev)
{
	struct worldrun *w = ctx;
	struct error err;

	w->events++;
	if (w->trace_out)
		trace_writer_emit(w->trace_out, ev);
	metrics_record(w->metrics, ev);
	switch (ev->type) {
	case EVENT_SHOW_SCHEDULED:
	case EVENT_SHOW_LIVE:
	case EVENT_SHOW_END:
		if (catalog_apply(w->cat, ev, &err) < 0)
			fail_in_callback(w, &err);
		break;
	case EVENT_APP_OPEN:
		w->sessions_seen++;
		series_count(w->sessions, ev->emit_time, 1);
		w->spike_sessions += ev->source == EVENT_SOURCE_PROMO;
		w->new_user_sessions += ev->user >= w->base_users;
		break;
	case EVENT_IMPRESSION:
		if (w->last.logging && ev->session == w->last.session && ev->user == w->last.user &&
		    ev->position < w->last.n && w->page[ev->position] == ev->show)
			implog_row(w->log, ev->user, ev->session, ev->emit_time, ev->show,
				   w->row_ptrs[ev->position], ev->position, w->last.explored);
		break;
	case EVENT_LISTEN_START:
		if (ev->source == EVENT_SOURCE_HOME && ev->session != EVENT_NONE)
			implog_click(w->log, ev->session, ev->show);
		break;
	default:
		break;
	}
	/* Backpressure is counted by the stream; the backend drops nothing
	 * silently because the count is reported. */
	if (stream_publish(w->stream, ev) == ERR_FULL)
		w->published_rejected++;
}

/* Exploration: a fixed share of pages is shuffled uniformly, from a stream
 * keyed by the session, so the same sessions explore in every world. */
static bool explore(struct worldrun *w, uint32_t session, uint32_t *page, const float **rows,
		    size_t k)
{
	struct rng r;

	if (w->exploration <= 0 || k < 2)
		return false;
	rng_init(&r, w->seed, RNG_EXPLORATION, session, 0);
	if (rng_uniform(&r) >= w->exploration)
		return false;
	for (size_t i = k - 1; i > 0; i--) {
		size_t j = (size_t)rng_below(&r, i + 1);
		uint32_t t = page[i];
		const float *tr = rows[i];

		page[i] = page[j];
		page[j] = t;
		rows[i] = rows[j];
		rows[j] = tr;
	}
	return true;
}

static size_t on_page(void *ctx, uint32_t user, uint32_t session, simtime now,
		      uint32_t *shows_out, size_t k)
{
	struct worldrun *w = ctx;
	int arm = w->experiment ? arm_of(w, user) : ASSIGN_CONTROL;
	bool logging = (!w->experiment || w->retrain_every > 0) && implog_sampled(w->log, session);
	struct rank_request req = {
		.user = user,
		.now = now,
		.request_id = w->requests++,
		.scorer = w->scorer[arm],
		.want_rows = logging,
	};
	struct rank_result res;
	struct error err;
	size_t n;
	bool explored;

	w->last.logging = false;   /* whatever happens, the last page is over */
	if (serving_request(w->serving, &req, &res, &err) < 0) {
		/* A failing ranker is a failed run, not an empty page: every
		 * expected unavailability is already a counted fallback. */
		w->rank_errors++;
		fail_in_callback(w, &err);
		return 0;
	}
	n = res.k < k ? res.k : k;
	w->new_user_pages += user >= w->base_users && n > 0;
	w->candidates += res.n_candidates;
	w->page_slots += n;
	if (res.scorer_used == RANK_FOREST)
		w->scored_forest += res.n_candidates;
	memcpy(w->page, res.page, n * sizeof(*w->page));
	for (size_t i = 0; i < n && res.rows; i++) {
		size_t j = 0;

		while (j < res.n_candidates && res.candidates[j] != w->page[i])
			j++;
		ASSERT(j < res.n_candidates);
		w->row_ptrs[i] = res.rows + j * res.stride;
	}
	explored = explore(w, session, w->page, w->row_ptrs, n);
	w->explored_pages += explored;
	if (logging && res.rows && w->replay) {
		/* a replayed trace shows no page: log every slot */
		implog_page(w->log, user, session, now, w->page, w->row_ptrs, n, explored);
	} else if (logging && res.rows) {
		implog_begin_page(w->log, session);
		w->last.logging = true;
		w->last.explored = explored;
		w->last.user = user;
		w->last.session = session;
		w->last.n = n;
	}
	endpoint_submit(w->ep, req.request_id, &res.cost);
	/* Freshness of the batch features this page was ranked with. */
	if (batchjob_data_end(w->batch) >= 0)
		freshness_record(w->fresh, now, batchjob_data_end(w->batch));
	series_count(w->exposures[arm], now, 1);
	memcpy(shows_out, w->page, n * sizeof(*shows_out));
	return n;
}

static void on_transition(void *ctx, const struct workflow_transition *tr)
{
	struct worldrun *w = ctx;
	struct stored_transition *st;

	XGROW(w->transitions, w->n_transitions + 1, w->cap_transitions);
	st = &w->transitions[w->n_transitions++];
	st->message = tr->message ? xstrdup(tr->message) : NULL;
	st->t = (struct results_transition){
		.job_day = tr->day,
		.step = workflow_step_name(tr->step),
		.from_state = tr->from,
		.to_state = tr->to,
		.at = tr->time,
		.attempt = tr->attempt,
		.error_kind = tr->error_kind,
		.message = st->message,
	};
}

static void on_served(void *ctx, const struct endpoint_outcome *o, simtime now)
{
	(void)ctx;
	(void)o;
	(void)now;
	/* The endpoint keeps its own histograms, series and counts. */
}

static const char *const *feature_names(const struct worldrun *w, const char **buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = rank_feature_name(serving_rank(w->serving), i);
	return buf;
}

/* ROC and calibration of the out-of-bag predictions: an honest view of
 * the model on rows each tree did not see. */
static void evaluate_oob(struct worldrun *w, const struct forest_train_report *rep, size_t n)
{
	const double *y = implog_labels(w->log);
	double *p, *lab;
	size_t m = 0;

	w->roc_n = rep->oob_pred ? roc_curve(rep->oob_pred, y, n, ROC_POINTS, w->roc_fpr,
					     w->roc_tpr) : 0;
	memset(w->calib, 0, sizeof(w->calib));
	w->oob_logloss = rep->oob_loss;
	if (!rep->oob_pred)
		return;
	p = xcalloc(n, sizeof(*p));
	lab = xcalloc(n, sizeof(*lab));
	for (size_t i = 0; i < n; i++)
		if (!isnan(rep->oob_pred[i])) {
			p[m] = rep->oob_pred[i];
			lab[m++] = y[i];
		}
	forest_score_calibration(p, lab, m, w->calib);
	free(p);
	free(lab);
}

/* Point-in-time correct batch columns for the rows logged since the last
 * training, and the skew between them and what serving saw. */
static int join_training_set(struct worldrun *w, struct error *err)
{
	size_t off[SKEW_GROUPS], k[SKEW_GROUPS], at = RANK_PIT_COUNT;
	struct skew_report rep;
	int rc;

	for (int g = 0; g < SKEW_GROUPS; g++) {
		batchjob_feature_names(w->batch, (enum batch_table_id)g, &k[g]);
		off[g] = at;
		at += k[g];
	}
	rc = skew_join(w->log, w->joined_rows, w->batch, w->cat, off, &rep, err);
	if (rc < 0)
		return rc;
	w->joined_rows = implog_rows(w->log);
	for (int g = 0; g < SKEW_GROUPS; g++) {
		w->skew.group[g] = rep.group[g];
		w->skew.cells[g] += rep.cells[g];
		w->skew.mismatched[g] += rep.mismatched[g];
		w->skew.found[g] += rep.found[g];
		w->skew.abs_diff_sum[g] += rep.abs_diff_sum[g];
	}
	return 0;
}

/* Train the forest on every impression logged so far (joined already). */
static int train_forest(struct worldrun *w, struct error *err)
{
	size_t n, stride = implog_stride(w->log);
	const char **names = xcalloc(stride ? stride : 1, sizeof(*names));
	struct forest_train_report rep = { 0 };
	struct forest *f;
	char *path;
	double t0 = wall_now();
	int rc;

	n = implog_rows(w->log);
	if (n < 100 || implog_positives(w->log) == 0) {
		free(names);
		return error_set(err, ERR_INPUT,
				 "cannot train the forest: %zu logged impressions with %llu tune-ins "
				 "(raise %s or the population)",
				 n, (unsigned long long)implog_positives(w->log), w->sample_text);
	}
	f = forest_train(&w->fp, implog_features(w->log), n, stride, implog_labels(w->log),
			 feature_names(w, names, stride), w->threads, &rep, err);
	free(names);
	if (!f) {
		forest_train_report_release(&rep);
		return error_prefix(err, "training the forest: ");
	}
	w->train_wall_s += wall_now() - t0;
	w->last_oob_auc = rep.oob_score;
	evaluate_oob(w, &rep, n);
	forest_train_report_release(&rep);
	w->train_rows = n;
	w->train_positives = implog_positives(w->log);
	w->train_from = implog_first_time(w->log);
	w->train_to = implog_last_time(w->log);
	w->trainings++;
	path = xasprintf("%s/model.forest", w->dir);
	rc = forest_save(f, path, err);
	free(path);
	if (rc < 0) {
		forest_free(f);
		return rc;
	}
	if ((rc = serving_set_model(w->serving, f, err)) < 0) {
		forest_free(f);
		return rc;
	}
	forest_free(w->model);
	w->model = f;
	return 0;
}

static bool needs_model(const struct worldrun *w);

/* Whether a ranker of this world learns from the training rows. */
static bool fits(const struct worldrun *w)
{
	for (size_t i = 0; i < w->n_rankers; i++)
		if (w->rankers[i] && scorer_has_fit(w->rankers[i]))
			return true;
	return false;
}

/* The scenario's rankers learn from exactly the rows the forest trains
 * on: the impression log after the as-known-at join. */
static int fit_rankers(struct worldrun *w, simtime now, struct error *err)
{
	size_t n = implog_rows(w->log), stride = implog_stride(w->log);
	const double *y = implog_labels(w->log);
	float *labels = xcalloc(n ? n : 1, sizeof(*labels));
	struct airtime_training_set set = {
		.n = n,
		.n_features = (uint32_t)stride,
		.stride = (uint32_t)stride,
		.features = implog_features(w->log),
		.labels = labels,
		.positions = implog_positions(w->log),
		.propensities = NULL,   /* no stochastic logging policy yet */
		.users = implog_users(w->log),
		.shows = implog_shows(w->log),
		.times_us = implog_times(w->log),
	};
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		labels[i] = (float)y[i];
	for (size_t i = 0; i < w->n_rankers && rc == 0; i++)
		if (w->rankers[i])
			rc = scorer_fit(w->rankers[i], &set, now, err);
	free(labels);
	return rc;
}

/* The end of the warm-up or a retrain: join the logged rows as known at
 * the time, train the forest when an arm uses it, fit the rankers that
 * learn. */
static int train(struct worldrun *w, simtime now, struct error *err)
{
	int rc;

	if ((rc = join_training_set(w, err)) < 0)
		return rc;
	if (needs_model(w) && (rc = train_forest(w, err)) < 0)
		return rc;
	return fit_rankers(w, now, err);
}

static bool needs_model(const struct worldrun *w)
{
	for (size_t i = 0; i < w->n_arms; i++)
		if (w->scorer[i] == RANK_FOREST)
			return !w->replay;
	return false;
}

/* Anything to train at the end of the warm-up and at retrains. */
static bool needs_training(const struct worldrun *w)
{
	return needs_model(w) || (!w->replay && fits(w));
}

/* An interruption asked for (progress.stop): the world stops here with
 * ERR_INTERRUPTED, unwinding through the ordinary error path. */
static bool stop_requested(struct worldrun *w)
{
	struct error e;

	if (!w->progress.stop || !*w->progress.stop)
		return false;
	error_set(&e, ERR_INTERRUPTED, "interrupted at simulated day %.2f",
		  simtime_to_s(calendar_now(w->cal)) / 86400.0);
	fail_in_callback(w, &e);
	return true;
}

/* train(), announced to the progress callback (a training can take
 * seconds of a run's wall time), and checked for an interruption after. */
static int train_reporting(struct worldrun *w, simtime now, struct error *err)
{
	int rc;

	if (w->progress.fn)
		w->progress.fn(w->progress.ctx, w->name, true, now, w->end, w->events);
	rc = train(w, now, err);
	if (w->progress.fn)
		w->progress.fn(w->progress.ctx, w->name, false, now, w->end, w->events);
	if (rc == 0 && w->progress.stop && *w->progress.stop)
		rc = error_set(err, ERR_INTERRUPTED, "interrupted after training at simulated "
			       "day %.2f", simtime_to_s(now) / 86400.0);
	return rc;
}

static void on_retrain(void *ctx, uint64_t arg, simtime now)
{
	struct worldrun *w = ctx;
	struct error err;

	(void)arg;
	if (train_reporting(w, now, &err) < 0) {
		fail_in_callback(w, &err);
		return;
	}
	if (w->retrain_every > 0 && now + w->retrain_every < w->horizon)
		calendar_schedule(w->cal, now + w->retrain_every, on_retrain, w, 0);
}

static void on_warmup_end(void *ctx, uint64_t arg, simtime now)
{
	struct worldrun *w = ctx;
	struct error err;

	(void)arg;
	if (needs_training(w) && train_reporting(w, now, &err) < 0) {
		fail_in_callback(w, &err);
		return;
	}
	w->experiment = true;
	if (needs_training(w) && w->retrain_every > 0 && now + w->retrain_every < w->horizon)
		calendar_schedule(w->cal, now + w->retrain_every, on_retrain, w, 0);
}

static void on_progress(void *ctx, uint64_t arg, simtime now)
{
	struct worldrun *w = ctx;

	(void)arg;
	if (stop_requested(w))
		return;
	if (w->progress.fn)
		w->progress.fn(w->progress.ctx, w->name, false, now, w->end, w->events);
	if (now + SIMTIME_HOUR < w->end)
		calendar_schedule(w->cal, now + SIMTIME_HOUR, on_progress, w, 0);
}

/* A replayed trace has no simulator truth to rank by. */
static int check_replay(const struct config *cfg, const struct scenario *sc, bool replay,
			struct error *err)
{
	char at[SCENARIO_WHERE_MAX];

	if (!replay || cfg->ab.arm[0].scorer != RANK_ORACLE)
		return 0;
	if (cfg->ab.by_arms)
		return error_set(err, ERR_INPUT,
				 "%s: bad value '%s' for [ab] arms: the control (the first arm) is 'oracle', but a replayed trace has no simulator truth to rank by; put heuristic, popularity or random first",
				 scenario_where(sc, "ab", "arms", at, sizeof(at)), cfg->ab.arms);
	return error_set(err, ERR_INPUT,
			 "%s: bad value 'oracle' for [ab] control: a replayed trace has no simulator truth to rank by; expected heuristic, popularity or random",
			 scenario_where(sc, "ab", "control", at, sizeof(at)));
}

/* [ab]: the arms' rankers and the split.  The control also ranks
 * everyone during the warm-up, before any model is trained (config_load
 * refused a forest control). */
static void load_ab(struct worldrun *w, const struct config *cfg)
{
	ASSERT(cfg->ab.n_arms >= 2 && cfg->ab.n_arms <= CONFIG_AB_ARMS_MAX);
	ASSERT(w->policy == WORLDRUN_SPLIT || (size_t)w->policy < cfg->ab.n_arms);
	w->n_arms = cfg->ab.n_arms;
	for (size_t i = 0; i < w->n_arms; i++) {
		w->scorer[i] = cfg->ab.arm[i].scorer;
		w->share[i] = cfg->ab.arm[i].share;
		snprintf(w->labels[i], sizeof(w->labels[i]), "%s", cfg->ab.arm[i].label);
		w->label[i] = w->labels[i];
	}
	w->exploration = cfg->ab.exploration;
	w->salt = assign_salt_hash(cfg->ab.salt);
}

/* [model]; mtry is checked against the ranker's features once they are
 * known (check_mtry). */
static void load_model(struct worldrun *w, const struct config *cfg, const struct scenario *sc)
{
	char at[SCENARIO_WHERE_MAX], v[64];

	w->fp = cfg->model.forest;
	w->fp.seed = rng_hash4(w->seed, RNG_FOREST, 0, 0);
	w->threads = (int)cfg->model.threads;
	w->retrain_every = cfg->model.retrain_every;
	snprintf(w->sample_text, sizeof(w->sample_text), "[model] sample_sessions = %s (%s)",
		 scenario_format(sc, "model", "sample_sessions", v, sizeof(v)),
		 scenario_where(sc, "model", "sample_sessions", at, sizeof(at)));
}

static int check_mtry(const struct worldrun *w, const struct scenario *sc, size_t n_features,
		      struct error *err)
{
	char at[SCENARIO_WHERE_MAX];

	if (w->fp.mtry <= n_features)
		return 0;
	return error_set(err, ERR_INPUT,
			 "%s: value '%u' out of range for [model] mtry: must be at most %zu, the ranker's features (0 = their square root)",
			 scenario_where(sc, "model", "mtry", at, sizeof(at)), w->fp.mtry, n_features);
}

/* Declared interests as (user, topic) pairs: the batch job's input for the
 * "declared interest" user x topic feature. */
static int build_declared(struct worldrun *w, const struct world *wd)
{
	uint32_t users, topics;
	size_t n = 0, cap = 0;

	if (!wd)
		return 0; /* a replayed trace carries no profiles */
	users = world_n_users(wd);
	topics = world_n_topics(wd);

	for (uint32_t u = 0; u < users; u++) {
		uint32_t mask = world_user_declared(wd, u);

		for (uint32_t t = 0; t < topics && t < 32; t++)
			if (mask & (1u << t)) {
				size_t c2 = cap;

				XGROW(w->declared_user, n + 1, c2);
				XGROW(w->declared_topic, n + 1, cap);
				w->declared_user[n] = u;
				w->declared_topic[n++] = (uint16_t)t;
			}
	}
	w->n_declared = n;
	return 0;
}

static int build_profile(struct worldrun *w, const struct world *wd, struct error *err)
{
	uint32_t users, topics;
	uint16_t list[32];

	if (!wd) {
		/* A replayed trace carries no declared interests. */
		w->prof = profile_new(w->n_users);
		return 0;
	}
	users = world_n_users(wd);
	topics = world_n_topics(wd);
	w->prof = profile_new(users);
	for (uint32_t u = 0; u < users; u++) {
		uint32_t mask = world_user_declared(wd, u);
		size_t n = 0;

		for (uint32_t t = 0; t < topics && t < 32; t++)
			if (mask & (1u << t))
				list[n++] = (uint16_t)t;
		if (profile_set(w->prof, u, list, n, err) < 0)
			return err->code;
	}
	return 0;
}

/* Replay: every app_open asks for a page, whose answer nobody acts on. */
static void replay_session(void *ctx, uint32_t user, uint32_t session, simtime now)
{
	struct worldrun *w = ctx;

	on_page(w, user, session, now, w->replay_page, w->rc.k);
}

/* Start the scenario's rankers the arms of this world use (the control
 * ranks the warm-up everywhere; another arm only where someone gets it: the
 * split world, or the twin world of that arm),
 * each attached to the serving path under its scorer id.  A process
 * ranker's standard error goes to DIR/rankers/NAME.stderr. */
static int start_rankers(struct worldrun *w, const struct config *cfg, const struct world *wd,
			 uint32_t world, struct error *err)
{
	const struct rank *rk = serving_rank(w->serving);
	size_t nf = rank_n_features(rk);
	struct airtime_feature *features = NULL;
	char *stderr_dir = NULL;
	int rc = 0;

	w->n_rankers = cfg->n_rankers;
	for (size_t arm = 0; arm < w->n_arms && rc == 0; arm++) {
		int i = config_ranker_of(cfg, w->scorer[arm]);
		struct scorer_env env;

		if (i < 0 || w->rankers[i] ||
		    (arm > 0 && w->policy != WORLDRUN_SPLIT && (size_t)w->policy != arm))
			continue;
		if (!features) {
			features = xcalloc(nf, sizeof(*features));
			for (size_t j = 0; j < nf; j++)
				features[j] = (struct airtime_feature){ rank_feature_name(rk, j),
									rank_feature_kind(rk, j) };
			stderr_dir = xasprintf("%s/rankers", w->dir);
			if (mkdir(stderr_dir, 0777) < 0 && errno != EEXIST) {
				rc = error_set(err, ERR_IO, "cannot create '%s': %s", stderr_dir,
					       strerror(errno));
				break;
			}
		}
		env = (struct scorer_env){
			.features = features,
			.n_features = (uint32_t)nf,
			.n_topics = wd ? world_n_topics(wd) : UINT16_MAX + 1u,
			.n_users = w->n_users,
			.seed = w->seed,
			.world = world,
			.threads = w->rc.threads,
			.max_candidates = w->rc.max_candidates,
			.stderr_dir = stderr_dir,
		};
		w->ranker_names[i] = xstrdup(cfg->rankers[i].name);
		if (!(w->rankers[i] = scorer_new_ranker(&cfg->rankers[i], &env, err))) {
			rc = err->code;
			break;
		}
		serving_set_scorer(w->serving, w->scorer[arm], w->rankers[i]);
	}
	free(features);
	free(stderr_dir);
	return rc;
}

struct worldrun *worldrun_new(const struct config *cfg, const struct scenario *sc,
			      int policy, const char *name, const char *dir,
			      const struct worldrun_progress_fn *progress,
			      const struct worldrun_io *io, struct error *err)
{
	struct worldrun *w = xcalloc(1, sizeof(*w));
	const struct world *wd;
	struct serving_parts parts;
	char *log_path = NULL;
	size_t days;
	int rc;

	w->name = xstrdup(name);
	w->dir = xstrdup(dir);
	w->policy = policy;
	if (progress)
		w->progress = *progress;
	w->seed = cfg->run.seed;
	w->warmup_end = cfg->run.warmup_days * SIMTIME_DAY;
	w->horizon = w->warmup_end + cfg->run.experiment_days * SIMTIME_DAY;
	w->end = w->horizon + DRAIN_TIME;
	if ((rc = check_replay(cfg, sc, io && io->replay, err)) < 0)
		goto fail;
	load_ab(w, cfg);
	load_model(w, cfg, sc);

	w->cal = calendar_new(0, 1 << 16);
	if (io) {
		w->replay = io->replay;
		w->trace_out = io->trace_out;
	}
	if (w->replay) {
		/* No behaviour model: every arm ranks with the control scorer and
		 * no model is trained (there is no warm-up of ours to learn from);
		 * config_load and check_replay refused a control that needs either.
		 * w->sp stays zero: no spikes. */
		for (size_t i = 1; i < w->n_arms; i++)
			w->scorer[i] = w->scorer[0];
		wd = NULL;
		w->n_users = replay_users(w->replay);
		w->n_shows = replay_shows(w->replay);
		w->n_creators = replay_creators(w->replay);
		w->base_users = w->n_users;
	} else {
		w->sp = cfg->sim;
		if (!(w->sim = sim_new(&w->sp, w->cal, on_event, w, err)))
			goto fail;
		wd = sim_world(w->sim);
		w->n_users = world_n_users(wd);
		w->base_users = world_n_base_users(wd);
		w->n_shows = world_n_shows(wd);
		w->n_creators = world_n_creators(wd);
	}
	w->cat = catalog_new(w->n_shows);
	if ((rc = build_profile(w, wd, err)) < 0)
		goto fail;

	w->stc = cfg->stream;
	w->stc.pit.n_shows = w->n_shows;
	w->stc.pit.n_creators = w->n_creators;
	log_path = xasprintf("%s/online.log", dir);
	w->stc.online.log_path = log_path;
	w->stc.seed = rng_hash4(w->seed, RNG_ENGINE_QUEUE, 0, 0);
	w->stc.start = 0;
	w->stc.length = w->end;
	snprintf(w->stc.redis_prefix, sizeof(w->stc.redis_prefix), "airtime:%.40s", w->name);
	if (!(w->stream = stream_new(&w->stc, w->cal, err)))
		goto fail;

	w->bjc = cfg->batch;
	if ((rc = build_declared(w, wd)) < 0)
		goto fail;
	if (!(w->batch = batchjob_new(&w->bjc, dir, w->cal,
				      &(struct batch_declared){ w->declared_user,
								w->declared_topic,
								w->n_declared },
				      on_transition, w, err)))
		goto fail;
	/* The firehose is the bus's second subscription, beside the PIT queue. */
	if ((rc = bus_subscribe(stream_bus(w->stream), w->stc.topic, 0, w->stc.pit_latency,
				batchjob_deliver, w->batch, err)) < 0)
		goto fail;
	if (!(w->fresh = freshness_new(0, SIMTIME_MIN, (size_t)(w->end / SIMTIME_MIN) + 1, err)))
		goto fail;

	w->rc = cfg->rank;
	w->rc.threads = cfg->model.scoring_threads;
	memset(&parts, 0, sizeof(parts));
	parts.rank = &w->rc;
	parts.catalog = w->cat;
	parts.profile = w->prof;
	parts.online = stream_online(w->stream);
	parts.batch = w->batch;
	parts.truth = w->sim ? truth : NULL;
	parts.truth_ctx = w->sim;
	parts.seed = rng_hash4(w->seed, RNG_RANKER, 0, 0);
	if (!(w->serving = serving_new(&parts, err)))
		goto fail;
	if ((rc = check_mtry(w, sc, rank_n_features(serving_rank(w->serving)), err)) < 0)
		goto fail;
	if ((rc = start_rankers(w, cfg, wd, io ? io->world : 0, err)) < 0)
		goto fail;

	w->ec = cfg->endpoint;
	if (!(w->ep = endpoint_new(&w->ec, w->cal, 0, w->end,
				   rng_hash4(w->seed, RNG_ENGINE_ENDPOINT, 0, 0), on_served, w, err)))
		goto fail;

	days = (size_t)(w->end / SIMTIME_DAY) + 1;
	w->metrics = metrics_new(w->n_users, days, w->n_arms, w->warmup_end);
	for (uint32_t u = 0; u < w->n_users; u++)
		metrics_set_arm(w->metrics, u, arm_of(w, u));
	w->log = implog_new(rank_n_features(serving_rank(w->serving)),
			    (size_t)cfg->model.max_rows, cfg->model.sample_sessions,
			    rng_hash4(w->seed, RNG_EXPLORATION, 1, 0));
	/* Labels only: results/worldstore stores them under their schema names. */
	if (!(w->sessions = series_new("sessions started", 0, SIMTIME_MIN,
				       (size_t)(w->end / SIMTIME_MIN) + 1, 0, 0, err)))
		goto fail;
	for (size_t i = 0; i < w->n_arms; i++)
		if (!(w->exposures[i] = series_new(w->label[i], 0, SIMTIME_MIN,
						   (size_t)(w->end / SIMTIME_MIN) + 1, 0, 0, err)))
			goto fail;
	w->page = xcalloc(w->rc.k + 1, sizeof(*w->page));
	w->row_ptrs = xcalloc(w->rc.k + 1, sizeof(*w->row_ptrs));
	w->replay_page = xcalloc(w->rc.k + 1, sizeof(*w->replay_page));
	if (w->sim)
		sim_set_ranker(w->sim, &(struct sim_ranker){ .ctx = w, .page = on_page });
	else
		replay_start(w->replay, w->cal, w->horizon, on_event, replay_session, w);
	calendar_schedule(w->cal, w->warmup_end, on_warmup_end, w, 0);
	calendar_schedule(w->cal, 0, on_progress, w, 0);
	free(log_path);
	w->stc.online.log_path = NULL;
	return w;
fail:
	free(log_path);
	w->stc.online.log_path = NULL;
	worldrun_free(w);
	return NULL;
}

/* What can be checked of the scenario's rankers without starting them: a
 * plugin loads and speaks this API version, a model file loads. */
static int check_rankers(const struct config *cfg, const struct scenario *sc, struct error *err)
{
	static const char *const key[] = { "model", "path", "command" };
	char at[SCENARIO_WHERE_MAX];

	for (size_t i = 0; i < cfg->n_rankers; i++) {
		const struct scorer_config *r = &cfg->rankers[i];

		if (r->kind <= SCORER_EXEC && scorer_check_ranker(r, err) < 0) {
			/* a file the scenario names is the user's to fix */
			err->code = ERR_INPUT;
			return error_prefix(err, "%s: ",
					    scenario_inst_where(sc, "ranker", i, key[r->kind], at,
								sizeof(at)));
		}
	}
	return 0;
}

int worldrun_check(const struct config *cfg, const struct scenario *sc, bool replay,
		   struct error *err)
{
	int rc = check_replay(cfg, sc, replay, err);

	return rc < 0 ? rc : check_rankers(cfg, sc, err);
}

void worldrun_free(struct worldrun *w)
{
	if (!w)
		return;
	/* Objects holding calendar entries go with the calendar. */
	sim_free(w->sim);
	endpoint_free(w->ep);
	serving_free(w->serving);
	for (size_t i = 0; i < w->n_rankers; i++) {
		scorer_free(w->rankers[i]);   /* a process is stopped and reaped */
		free(w->ranker_names[i]);
	}
	batchjob_free(w->batch);
	stream_free(w->stream);
	freshness_free(w->fresh);
	free(w->declared_user);
	free(w->declared_topic);
	for (size_t i = 0; i < w->n_transitions; i++)
		free(w->transitions[i].message);
	free(w->transitions);
	calendar_free(w->cal);
	forest_free(w->model);
	catalog_free(w->cat);
	profile_free(w->prof);
	metrics_free(w->metrics);
	implog_free(w->log);
	series_free(w->sessions);
	for (size_t i = 0; i < w->n_arms; i++)
		series_free(w->exposures[i]);
	free(w->page);
	free(w->replay_page);
	free(w->row_ptrs);
	free(w->name);
	free(w->dir);
	free(w);
}

int worldrun_execute(struct worldrun *w, struct error *err)
{
	const struct error *be;

	calendar_run_until(w->cal, w->end);
	if (!w->error_code && (be = batchjob_error(w->batch)) != NULL)
		fail_in_callback(w, be);
	if (w->error_code) {
		*err = w->error;
		return error_prefix(err, "world '%s': ", w->name);
	}
	endpoint_flush(w->ep, w->end);
	if (batchjob_drain(w->batch, err) < 0)
		return error_prefix(err, "world '%s': draining the firehose: ", w->name);
	for (size_t i = 0; i < w->n_rankers; i++)
		if (w->rankers[i] && scorer_close(w->rankers[i], err) < 0)
			return error_prefix(err, "world '%s': ", w->name);
	/* Nothing simulated depends on Redis; a failed or differing mirror
	 * still fails the run, as store = redis promised it. */
	if (stream_redis_check(w->stream, err) < 0)
		return error_prefix(err, "world '%s': ", w->name);
	return 0;
}

/* What this world measured, wired to the stored names (results/worldstore
 * writes them). */
int worldrun_store(struct worldrun *w, struct results *r, int64_t id, struct error *err)
{
	const struct stream_counts *sc = stream_counts(w->stream);
	const struct endpoint_stats *es = endpoint_stats(w->ep);
	const struct rank *rk = serving_rank(w->serving);
	const struct rank_stats *rs = rank_stats(rk);
	const struct worldstore_counter counters[] = {
		{ SCHEMA_METRIC_EVENTS, (double)w->events },
		{ SCHEMA_METRIC_SESSIONS, (double)w->sessions_seen },
		{ SCHEMA_METRIC_SESSIONS_SPIKE, (double)w->spike_sessions },
		{ SCHEMA_METRIC_SESSIONS_NEW_USERS, (double)w->new_user_sessions },
		{ SCHEMA_METRIC_PAGES_NEW_USERS, (double)w->new_user_pages },
		{ SCHEMA_METRIC_REQUESTS, (double)w->requests },
		{ SCHEMA_METRIC_RANK_CANDIDATES,
		  w->requests ? (double)w->candidates / (double)w->requests : NAN },
		{ SCHEMA_METRIC_RANK_SLOTS,
		  w->requests ? (double)w->page_slots / (double)w->requests : NAN },
		{ SCHEMA_METRIC_RANK_FOREST_ROWS, (double)w->scored_forest },
		{ SCHEMA_METRIC_EXPLORED_PAGES, (double)w->explored_pages },
		{ SCHEMA_METRIC_STREAM_PUBLISHED, (double)sc->published },
		{ SCHEMA_METRIC_STREAM_FILTERED, (double)sc->filtered },
		{ SCHEMA_METRIC_STREAM_REJECTED, (double)sc->rejected },
		{ SCHEMA_METRIC_STREAM_APPLIED, (double)sc->applied },
		{ SCHEMA_METRIC_STREAM_DUPLICATES, (double)sc->duplicates },
		{ SCHEMA_METRIC_STREAM_DEAD, (double)sc->dead_unapplied },
		{ SCHEMA_METRIC_STREAM_EXPIRED, (double)sc->expired_unapplied },
		{ SCHEMA_METRIC_STREAM_UNSETTLED, (double)stream_unsettled(w->stream) },
		{ SCHEMA_METRIC_STREAM_BATCHES, (double)sc->batches },
		{ SCHEMA_METRIC_STREAM_DEDUP_EVICTED,
		  (double)pit_stats(stream_pit(w->stream))->dedup_evicted_live },
		{ SCHEMA_METRIC_STREAM_BATCH_FAILURES, (double)sc->batch_failures },
		{ SCHEMA_METRIC_STREAM_STORE_RETRIES, (double)sc->store_retries },
		{ SCHEMA_METRIC_ENDPOINT_SUBMITTED, (double)es->submitted },
		{ SCHEMA_METRIC_ENDPOINT_OK, (double)es->by_status[ENDPOINT_OK] },
		{ SCHEMA_METRIC_ENDPOINT_TIMEOUT, (double)es->by_status[ENDPOINT_TIMEOUT] },
		{ SCHEMA_METRIC_ENDPOINT_REJECTED, (double)es->by_status[ENDPOINT_REJECTED] },
		{ SCHEMA_METRIC_ENDPOINT_NO_CAPACITY, (double)es->by_status[ENDPOINT_NO_CAPACITY] },
		{ SCHEMA_METRIC_ENDPOINT_AVAILABILITY, endpoint_availability(w->ep) },
		{ SCHEMA_METRIC_ENDPOINT_SCALE_OUTS, (double)es->scale_outs },
		{ SCHEMA_METRIC_ENDPOINT_SCALE_INS, (double)es->scale_ins },
		{ SCHEMA_METRIC_ENDPOINT_PEAK_INSTANCES, (double)es->peak_instances },
		{ SCHEMA_METRIC_ENDPOINT_INSTANCE_HOURS, es->instance_hours },
		{ SCHEMA_METRIC_RANK_FALLBACKS,
		  (double)rs->fallbacks[RANK_FOREST] + rs->fallbacks[RANK_POPULARITY] },
		{ SCHEMA_METRIC_BATCH_ACCEPTED, (double)batchjob_accepted(w->batch) },
		{ SCHEMA_METRIC_BATCH_LAKE_EVENTS, (double)batchjob_lake_events(w->batch) },
		{ SCHEMA_METRIC_BATCH_PARTITIONS, (double)batchjob_partitions(w->batch) },
		{ SCHEMA_METRIC_BATCH_SUCCESSES, (double)batchjob_successes(w->batch) },
		{ SCHEMA_METRIC_BATCH_ALARMS, (double)batchjob_alarms(w->batch) },
		{ SCHEMA_METRIC_BATCH_FRESHNESS_MISSING, (double)freshness_missing(w->fresh) },
		{ SCHEMA_METRIC_TRAINING_ROWS, (double)w->train_rows },
		{ SCHEMA_METRIC_TRAINING_POSITIVES, (double)w->train_positives },
		{ SCHEMA_METRIC_TRAINING_DROPPED, (double)implog_dropped(w->log) },
		{ SCHEMA_METRIC_TRAINING_RUNS, (double)w->trainings },
		{ SCHEMA_METRIC_MODEL_OOB_AUC, w->trainings ? w->last_oob_auc : NAN },
	};
	const struct redisstore *redis = stream_redis(w->stream);
	struct worldstore_redis wr = { 0 };
	struct worldstore_spike *spikes = xcalloc(w->sp.n_spikes + 1, sizeof(*spikes));
	struct worldstore_skew skew[SKEW_GROUPS];
	struct results_transition *tr = xcalloc(w->n_transitions + 1, sizeof(*tr));
	struct worldstore_ranker rankers[SCORER_RANKERS_MAX];
	size_t n_rankers = 0;
	double cx[10], cy[10], cn[10];
	size_t bins = 0;
	struct worldstore ws = {
		.counters = counters,
		.n_counters = sizeof(counters) / sizeof(counters[0]),
		.train_wall_s = w->train_wall_s,
		.world = w->name,
		.experiment_start = w->warmup_end,
		.spikes = spikes,
		.n_spikes = w->sp.n_spikes,
		.replay = w->replay != NULL,
		.events_after_horizon = w->replay ? replay_beyond(w->replay, w->horizon) : 0,
		.trained = w->trainings > 0,
		.train_from = w->train_from,
		.train_to = w->train_to,
		.train_rows = w->train_rows,
		.roc_fpr = w->roc_fpr,
		.roc_tpr = w->roc_tpr,
		.roc_n = w->roc_n,
		.calib_x = cx,
		.calib_y = cy,
		.calib_n = cn,
		.oob_logloss = w->oob_logloss,
		.skew = skew,
		.n_skew = SKEW_GROUPS,
		.transitions = tr,
		.n_transitions = w->n_transitions,
		.metrics = w->metrics,
		.sessions = w->sessions,
		.n_arms = w->n_arms,
		.arm_labels = w->label,
		.exposures = (const struct series *const *)w->exposures,
		.freshness = freshness_series(w->fresh),
		.reflection = stream_reflection_series(w->stream),
		.queue_depth = stream_depth_series(w->stream),
		.queue_inflight = stream_inflight_series(w->stream),
		.queue_oldest = stream_oldest_series(w->stream),
		.workers = stream_concurrency_series(w->stream),
		.latency = endpoint_series_latency(w->ep),
		.requests = endpoint_series_requests(w->ep),
		.errors = endpoint_series_errors(w->ep),
		.instances = endpoint_series_instances(w->ep),
		.freshness_hist = freshness_hist(w->fresh),
		.latency_hist = endpoint_latency(w->ep),
		.reflection_hist = stream_reflection(w->stream),
		.host_assembly = rank_host_assembly_ns(rk),
		.host_scoring = rank_host_scoring_ns(rk),
		.rankers = rankers,
		.redis = redis ? &wr : NULL,
	};
	int rc;

	for (size_t i = 0; i < w->n_rankers; i++)
		if (w->rankers[i])
			rankers[n_rankers++] = (struct worldstore_ranker){
				w->ranker_names[i], scorer_host_ns(w->rankers[i]),
				scorer_has_fit(w->rankers[i]) ? scorer_host_fit_ns(w->rankers[i])
							      : NULL };
	ws.n_rankers = n_rankers;
	if (redis) {
		const struct redisstore_stats *rst = redisstore_stats(redis);
		const struct online_stats *ost = online_stats(stream_online(w->stream));

		wr = (struct worldstore_redis){ redisstore_read_ns(redis), redisstore_write_ns(redis),
						rst->reads, rst->read_keys, rst->staged,
						rst->flushes, ost->mirror_cells,
						ost->mirror_mismatches };
	}
	for (size_t i = 0; i < w->sp.n_spikes; i++)
		spikes[i] = (struct worldstore_spike){ w->sp.spikes[i].name, w->sp.spikes[i].start };
	for (int g = 0; g < SKEW_GROUPS; g++)
		skew[g] = (struct worldstore_skew){ w->skew.group[g], w->skew.cells[g],
						    w->skew.mismatched[g], w->skew.found[g] };
	for (size_t i = 0; i < w->n_transitions; i++)
		tr[i] = w->transitions[i].t;
	for (int b = 0; b < 10; b++)
		if (w->calib[b].n) {
			cx[bins] = w->calib[b].mean_pred;
			cy[bins] = w->calib[b].mean_label;
			cn[bins++] = (double)w->calib[b].n;
		}
	ws.calib_bins = bins;
	rc = worldstore_put(r, id, &ws, err);
	free(spikes);
	free(tr);
	return rc;
}

const char *worldrun_name(const struct worldrun *w) { return w->name; }
const struct metrics *worldrun_metrics(const struct worldrun *w) { return w->metrics; }
const struct endpoint *worldrun_endpoint(const struct worldrun *w) { return w->ep; }
const struct stream *worldrun_stream(const struct worldrun *w) { return w->stream; }
const struct serving *worldrun_serving(const struct worldrun *w) { return w->serving; }
const struct forest *worldrun_model(const struct worldrun *w) { return w->model; }
const struct implog *worldrun_implog(const struct worldrun *w) { return w->log; }
uint64_t worldrun_events(const struct worldrun *w) { return w->events; }
simtime worldrun_experiment_start(const struct worldrun *w) { return w->warmup_end; }
simtime worldrun_end(const struct worldrun *w) { return w->end; }
