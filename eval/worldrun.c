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
#include "engine/policy.h"
#include "engine/profile.h"
#include "engine/rank.h"
#include "engine/scorer.h"
#include "engine/stream.h"
#include "engine/workers.h"
#include "engine/workflow.h"
#include "eval/assign.h"
#include "eval/banditlog.h"
#include "eval/history.h"
#include "eval/implog.h"
#include "stats/exposure.h"
#include "stats/metrics.h"
#include "eval/replay.h"
#include "stats/roc.h"
#include "eval/skew.h"
#include "results/banditstore.h"
#include "results/results.h"
#include "results/schema.h"
#include "results/worldstore.h"
#include "engine/serving.h"
#include "sim/behaviour.h"
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
/* Slots of a recorded page (a replayed trace) kept for the bandit log. */
#define RECORDED_MAX 100
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
	struct history_stats history;
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
	struct exposure *exposure;       /* NULL in replay: no world to ask */
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
	uint64_t return_sessions, notify_sessions;   /* endogenous ([retention]) */
	bool label_reminders;                        /* [model] label_reminders */
	double train_wall_s, last_oob_auc;
	simtime train_from, train_to;
	size_t train_rows;
	uint64_t train_positives;

	/* Model evaluation on out-of-bag predictions of the last training. */
	double roc_fpr[ROC_POINTS], roc_tpr[ROC_POINTS];
	char *ckpt_dir;           /* worldrun_io.checkpoint_dir (owned copy), or NULL */
	uint32_t world_index;
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

	/* [logging]: the control ranker's logging policy (NULL: deterministic)
	 * and the logged bandit feedback (NULL: off); [ope] targets scored on
	 * every logged page of the control ranker in the experiment. */
	struct policy *logpol;
	double exploration_share;
	struct banditlog *bandit;
	size_t n_targets;
	unsigned target[CONFIG_OPE_TARGETS_MAX];
	bool closed_form;                /* model_p: pbm, independent taps, no budget */
	double *exam;                    /* k + 1: examination by slot */
	uint32_t *idx, *tidx, *greedy;   /* k + 1: candidate indexes of a page */
	double *cond, *marg;             /* k + 1 */
	double *tscores;                 /* max_candidates */
	bool pack;                       /* impressions written to the trace carry propensities */
	struct worldrun_arm_serving arm_serving[CONFIG_AB_ARMS_MAX];
	uint32_t drawn_session;          /* the last page drawn by the logging policy */
	size_t drawn_n;

	/* A replayed trace: the last request (its candidates, rows and scores
	 * in the ranker's scratch until the next request), the targets' pages
	 * on it, and the recorded page's impressions as they arrive (a round
	 * of the bandit log once complete). */
	struct {
		bool valid;
		struct rank_request req;
		uint32_t session;
		int arm;
		const uint32_t *candidates;
		const float *rows;
		const double *scores;
		size_t n, stride;
		uint32_t *tshow;             /* n_targets x (k + 1) */
		const float **trow;
		size_t tn;
	} rq;
	struct {
		size_t n;
		uint32_t session, user;
		simtime time;
		uint32_t show[RECORDED_MAX];
		int64_t value[RECORDED_MAX];
	} rec;
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

static void recorded_impression(struct worldrun *w, const struct event *ev);
static void recorded_page_end(struct worldrun *w);

static void on_event(void *ctx, const struct event *ev)
{
	struct worldrun *w = ctx;
	struct error err;

	w->events++;
	if (w->trace_out) {
		if (w->pack && ev->type == EVENT_IMPRESSION && ev->session == w->drawn_session &&
		    ev->position < w->drawn_n && w->page[ev->position] == ev->show) {
			/* the logging policy's propensities go with the trace */
			struct event copy = *ev;

			copy.value = event_pack_propensities(w->cond[ev->position],
							     w->marg[ev->position]);
			trace_writer_emit(w->trace_out, &copy);
		} else {
			trace_writer_emit(w->trace_out, ev);
		}
	}
	metrics_record(w->metrics, ev);
	if (w->replay && w->rec.n && !(ev->type == EVENT_IMPRESSION &&
				       ev->session == w->rec.session &&
				       ev->emit_time == w->rec.time))
		recorded_page_end(w);
	if (w->bandit)
		banditlog_event(w->bandit, ev);
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
		if (ev->session >= EVENT_SESSION_RETURN_BASE &&
		    ev->session < EVENT_SESSION_HISTORY_BASE) {
			w->notify_sessions += ev->source == EVENT_SOURCE_NOTIFICATION;
			w->return_sessions += ev->source != EVENT_SOURCE_NOTIFICATION;
		}
		w->new_user_sessions += ev->user >= w->base_users;
		break;
	case EVENT_IMPRESSION:
		if (w->replay) {
			recorded_impression(w, ev);
			break;
		}
		if (w->last.logging && ev->session == w->last.session && ev->user == w->last.user &&
		    ev->position < w->last.n && w->page[ev->position] == ev->show)
			implog_row(w->log, ev->user, ev->session, ev->emit_time, ev->show,
				   w->row_ptrs[ev->position], ev->position, w->last.explored);
		break;
	case EVENT_LISTEN_START:
		if (ev->source == EVENT_SOURCE_HOME && ev->session != EVENT_NONE)
			implog_click(w->log, ev->session, ev->show);
		break;
	case EVENT_NOTIFY_ENABLE:
		/* a reminder from a slot (an upcoming show of the session's page;
		 * the show of a follow's enable was tuned in to and is a positive
		 * already) */
		if (w->label_reminders && ev->session != EVENT_NONE)
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

/* The candidate index of each shown show (the page is a subset of the
 * candidates, in its order). */
static void page_indexes(const struct rank_result *res, const uint32_t *page, size_t n,
			 uint32_t *idx)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;

		while (j < res->n_candidates && res->candidates[j] != page[i])
			j++;
		ASSERT(j < res->n_candidates);
		idx[i] = (uint32_t)j;
	}
}

/* The behaviour model's chance of a tune-in from slot j showing `show` to
 * user at `now` (examined, tapped, live): exact under the position-based
 * model with independent taps but for listens that a show's end cuts off
 * before they start.  NaN when the model has no such closed form. */
static double tune_in_chance(const struct worldrun *w, uint32_t user, uint32_t show, size_t j,
			     simtime now)
{
	if (!w->closed_form)
		return NAN;
	if (world_show_status(sim_world(w->sim), show, now) != WORLD_SHOW_LIVE)
		return 0;
	return w->exam[j] * sim_truth(w->sim, user, show, now);
}

/* The targets' pages of a logged request of the control ranker: each
 * target scores the same candidates (nothing read again) and its greedy
 * page is logged beside the shown one. */
static int log_targets(struct worldrun *w, const struct rank_request *req,
		       const struct rank_result *res, size_t n, long round, struct error *err)
{
	struct bandit_table *t = banditlog_table(w->bandit);
	const struct bandit_round *b;
	int rc;

	bandit_table_add_targets(t, (size_t)round);
	b = &t->rounds[round];
	for (size_t k = 0; k < w->n_targets; k++) {
		size_t m;

		if ((rc = serving_rescore(w->serving, req, w->target[k], w->tscores, NULL, err)) < 0)
			return error_prefix(err, "scoring the page with the off-policy target '%s': ",
					    t->target_names[k]);
		m = policy_top_k(w->tscores, res->candidates, res->n_candidates, n, w->tidx);
		ASSERT(m == n);
		for (size_t j = 0; j < n; j++) {
			size_t at = b->tfirst + k * n + j;
			uint32_t show = res->candidates[w->tidx[j]];

			t->tshow[at] = show;
			t->tmodel_p[at] = tune_in_chance(w, req->user, show, j, req->now);
			if (res->rows)
				memcpy(t->tfeatures + at * t->stride,
				       res->rows + (size_t)w->tidx[j] * res->stride,
				       t->stride * sizeof(float));
		}
	}
	return 0;
}

/* Log one page of a sampled session: its slots, their propensities under
 * the policy that drew them, their feature rows and the closed-form
 * tune-in chances; the targets' pages when the control ranker served it in
 * the experiment. */
static int log_page(struct worldrun *w, const struct rank_request *req,
		    const struct rank_result *res, int arm, uint32_t session, size_t n,
		    bool explored, struct error *err)
{
	struct bandit_table *t = banditlog_table(w->bandit);
	bool control = arm == ASSIGN_CONTROL;
	struct bandit_round b = {
		.session = session,
		.user = req->user,
		.time_us = req->now,
		.n_candidates = (uint32_t)res->n_candidates,
		.n_slots = (uint16_t)n,
		.arm = (uint8_t)arm,
		.phase = w->experiment,
		.logging = control,
	};
	long i;

	if (n == 0 || (i = banditlog_round(w->bandit, &b)) < 0)
		return 0;
	if (!(control && w->logpol)) {
		/* a greedy page, maybe shuffled for exploration */
		for (size_t j = 0; j < n; j++)
			w->cond[j] = w->marg[j] = 1;
		if (explored)
			policy_shuffle_propensities(w->exploration_share, w->greedy, w->page, n,
						    w->cond, w->marg);
	}
	for (size_t j = 0; j < n; j++) {
		size_t at = t->rounds[i].first + j;
		uint32_t show = w->page[j];

		t->show[at] = show;
		t->creator[at] = catalog_creator(w->cat, show);
		t->topic[at] = catalog_topic(w->cat, show);
		t->live[at] = catalog_state(w->cat, show) == CATALOG_LIVE;
		t->score[at] = res->scores[w->idx[j]];
		t->p_cond[at] = w->cond[j];
		t->p_marg[at] = w->marg[j];
		t->model_p[at] = tune_in_chance(w, req->user, show, j, req->now);
		if (res->rows)
			memcpy(t->features + at * t->stride,
			       res->rows + (size_t)w->idx[j] * res->stride, t->stride * sizeof(float));
		else
			for (size_t c = 0; c < t->stride; c++)
				t->features[at * t->stride + c] = NAN;
	}
	if (control && w->experiment && w->n_targets)
		return log_targets(w, req, res, n, i, err);
	return 0;
}

/* A replayed trace's request: kept (in the ranker's scratch) until the
 * recorded page's impressions have arrived; the targets' pages on it
 * when the control ranker served it in the experiment. */
static int replay_request(struct worldrun *w, const struct rank_request *req,
			  const struct rank_result *res, int arm, uint32_t session, bool bandit,
			  struct error *err)
{
	size_t kk = w->rc.k + 1;

	w->rq.valid = true;
	w->rq.req = *req;
	w->rq.session = session;
	w->rq.arm = arm;
	w->rq.candidates = res->candidates;
	w->rq.rows = res->rows;
	w->rq.scores = res->scores;
	w->rq.n = res->n_candidates;
	w->rq.stride = res->stride;
	w->rq.tn = 0;
	if (!(bandit && w->experiment && arm == ASSIGN_CONTROL && w->n_targets && res->n_candidates))
		return 0;
	w->rq.tn = res->k;
	for (size_t t = 0; t < w->n_targets; t++) {
		int rc = serving_rescore(w->serving, req, w->target[t], w->tscores, NULL, err);

		if (rc < 0)
			return error_prefix(err, "scoring the page with the off-policy target '%s': ",
					    banditlog_table(w->bandit)->target_names[t]);
		policy_top_k(w->tscores, res->candidates, res->n_candidates, res->k, w->tidx);
		for (size_t j = 0; j < res->k; j++) {
			w->rq.tshow[t * kk + j] = res->candidates[w->tidx[j]];
			w->rq.trow[t * kk + j] = res->rows ? res->rows + (size_t)w->tidx[j] * res->stride
							   : NULL;
		}
	}
	return 0;
}

/* The feature row of `show` in the kept request, or NULL. */
static const float *request_row(const struct worldrun *w, uint32_t session, uint32_t show)
{
	if (!w->rq.valid || w->rq.session != session || !w->rq.rows)
		return NULL;
	for (size_t j = 0; j < w->rq.n; j++)
		if (w->rq.candidates[j] == show)
			return w->rq.rows + j * w->rq.stride;
	return NULL;
}

/* An impression of a replayed trace: a training row (the trace's page is
 * what the user saw), and a slot of the recorded page for the bandit log. */
static void recorded_impression(struct worldrun *w, const struct event *ev)
{
	const float *row = request_row(w, ev->session, ev->show);

	if (w->last.logging && ev->session == w->last.session && ev->user == w->last.user && row)
		implog_row(w->log, ev->user, ev->session, ev->emit_time, ev->show, row, ev->position,
			   false);
	if (!w->bandit || !banditlog_sampled(w->bandit, ev->session) || ev->user == EVENT_NONE)
		return;
	if (w->rec.n == 0) {
		w->rec.session = ev->session;
		w->rec.user = ev->user;
		w->rec.time = ev->emit_time;
	}
	if (w->rec.n < RECORDED_MAX && ev->show < w->n_shows) {
		w->rec.show[w->rec.n] = ev->show;
		w->rec.value[w->rec.n++] = ev->value;
	}
}

/* The recorded page is complete: a round of the bandit log, with the
 * trace's propensities (a page without them is not the logging policy's),
 * the feature rows our pipeline assembled for its shows, and the targets'
 * pages on the same request.  No behaviour model: model_p stays unknown. */
static void recorded_page_end(struct worldrun *w)
{
	struct bandit_table *t = banditlog_table(w->bandit);
	bool same = w->rq.valid && w->rq.session == w->rec.session;
	int arm = w->experiment ? arm_of(w, w->rec.user) : ASSIGN_CONTROL;
	struct bandit_round b = {
		.session = w->rec.session,
		.user = w->rec.user,
		.time_us = w->rec.time,
		.n_candidates = same ? (uint32_t)w->rq.n : 0,
		.n_slots = (uint16_t)w->rec.n,
		.arm = (uint8_t)arm,
		.phase = w->experiment,
		.logging = 1,
	};
	size_t kk = w->rc.k + 1;
	long i;

	for (size_t j = 0; j < w->rec.n; j++) {
		double c, m;

		event_propensities(w->rec.value[j], &c, &m);
		b.logging = b.logging && !isnan(c);
	}
	i = banditlog_round(w->bandit, &b);
	for (size_t j = 0; i >= 0 && j < w->rec.n; j++) {
		size_t at = t->rounds[i].first + j;
		const float *row = same ? request_row(w, w->rec.session, w->rec.show[j]) : NULL;
		uint32_t show = w->rec.show[j];

		t->show[at] = show;
		t->creator[at] = catalog_creator(w->cat, show);
		t->topic[at] = catalog_topic(w->cat, show);
		t->live[at] = catalog_state(w->cat, show) == CATALOG_LIVE;
		event_propensities(w->rec.value[j], &t->p_cond[at], &t->p_marg[at]);
		if (!b.logging)
			t->p_cond[at] = t->p_marg[at] = NAN;
		for (size_t c = 0; c < t->stride; c++)
			t->features[at * t->stride + c] = row ? row[c] : NAN;
	}
	if (i >= 0 && same && b.logging && w->rq.tn >= w->rec.n && w->rq.arm == ASSIGN_CONTROL &&
	    w->experiment && w->n_targets) {
		const struct bandit_round *rb;

		bandit_table_add_targets(t, (size_t)i);
		rb = &t->rounds[i];
		for (size_t k = 0; k < w->n_targets; k++)
			for (size_t j = 0; j < w->rec.n; j++) {
				size_t at = rb->tfirst + k * w->rec.n + j;
				const float *row = w->rq.trow[k * kk + j];

				t->tshow[at] = w->rq.tshow[k * kk + j];
				for (size_t c = 0; c < t->stride; c++)
					t->tfeatures[at * t->stride + c] = row ? row[c] : NAN;
			}
	}
	w->rec.n = 0;
}

static size_t on_page(void *ctx, uint32_t user, uint32_t session, simtime now,
		      uint32_t *shows_out, size_t k)
{
	struct worldrun *w = ctx;
	int arm = w->experiment ? arm_of(w, user) : ASSIGN_CONTROL;
	bool logging = (!w->experiment || w->retrain_every > 0) && implog_sampled(w->log, session);
	bool bandit = w->bandit && banditlog_sampled(w->bandit, session);
	bool drawn = w->logpol && arm == ASSIGN_CONTROL;
	struct rank_request req = {
		.user = user,
		.now = now,
		.request_id = w->requests++,
		.scorer = w->scorer[arm],
		.want_rows = logging || bandit,
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
	if (drawn && n > 0) {
		/* The logging policy draws the page from the control ranker's
		 * scores, from streams of its own keyed by (session, time): the
		 * same draws in every world, and none at all when deterministic. */
		struct rng draw, mc;

		rng_init(&draw, w->seed, RNG_LOGGING, session, (uint64_t)now);
		rng_init(&mc, w->seed, RNG_LOGGING_MC, session, (uint64_t)now);
		n = policy_draw(w->logpol, res.scores, res.candidates, res.n_candidates, n, &draw,
				&mc, w->idx, w->cond, bandit || w->pack ? w->marg : NULL);
		for (size_t i = 0; i < n; i++)
			w->page[i] = res.candidates[w->idx[i]];
		w->drawn_session = session;
		w->drawn_n = n;
	} else {
		w->drawn_n = 0;
		memcpy(w->page, res.page, n * sizeof(*w->page));
		if (res.rows || bandit)
			page_indexes(&res, w->page, n, w->idx);
	}
	for (size_t i = 0; i < n && res.rows; i++)
		w->row_ptrs[i] = res.rows + (size_t)w->idx[i] * res.stride;
	if (bandit)
		memcpy(w->greedy, w->page, n * sizeof(*w->page));
	explored = explore(w, session, w->page, w->row_ptrs, n);
	w->explored_pages += explored;
	if (w->exposure) {
		struct exposure_page pg;

		exposure_page(w->exposure, arm, user, w->page, n, w->experiment, &pg);
		metrics_record_page(w->metrics, user, now, pg.slots, pg.high_quality, pg.pairs,
				    pg.distinct_pairs);
	}
	if (w->replay) {
		/* The trace's own page follows as impressions: what the user saw,
		 * logged for training and the bandit log against this request. */
		if (replay_request(w, &req, &res, arm, session, bandit, &err) < 0) {
			fail_in_callback(w, &err);
			return 0;
		}
		w->last.logging = logging && res.rows;
		if (w->last.logging)
			implog_begin_page(w->log, session);
		w->last.user = user;
		w->last.session = session;
		w->last.explored = false;
	} else if (bandit) {
		if (explored)
			page_indexes(&res, w->page, n, w->idx);
		if (log_page(w, &req, &res, arm, session, n, explored, &err) < 0) {
			fail_in_callback(w, &err);
			return 0;
		}
	}
	if (w->replay) {
		/* logged from the trace's impressions (recorded_impression) */
	} else if (logging && res.rows) {
		implog_begin_page(w->log, session);
		w->last.logging = true;
		w->last.explored = explored;
		w->last.user = user;
		w->last.session = session;
		w->last.n = n;
	}
	endpoint_submit(w->ep, req.request_id, &res.cost);
	{
		struct worldrun_arm_serving *as = &w->arm_serving[arm];

		as->requests++;
		as->candidates += res.n_candidates;
		as->nodes += (double)res.cost.nodes_visited;
		as->scorer_ns += (double)res.cost.scorer_ns;
		as->fallbacks += res.fell_back;
	}
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

/* ---- checkpoints of a training (worldrun_io.checkpoint_dir) ---- */

#define CKPT_MAGIC 0x41544b5054524e31ULL   /* "ATKPTRN1" */

/* What a training computed besides the model (the model is its own file). */
struct ckpt_outputs {
	uint64_t magic;
	uint64_t size;
	double last_oob_auc, oob_logloss, train_wall_s;
	uint64_t roc_n;
	double roc_fpr[ROC_POINTS], roc_tpr[ROC_POINTS];
	struct forest_score_bin calib[10];
	uint64_t check;   /* FNV-1a of every byte before it */
};

static uint64_t ckpt_check(const struct ckpt_outputs *c)
{
	const unsigned char *p = (const unsigned char *)c;
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < offsetof(struct ckpt_outputs, check); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static char *ckpt_path(const struct worldrun *w, const char *what)
{
	return xasprintf("%s/world%u-training%zu.%s", w->ckpt_dir, w->world_index,
			 (size_t)w->trainings, what);
}

/* The checkpointed model of this training and its outputs: 1 when loaded,
 * 0 when there is none (or a damaged one: trained again), < 0 on error. */
static int ckpt_load(struct worldrun *w, struct forest **f, struct error *err)
{
	char *mp = ckpt_path(w, "forest"), *op = ckpt_path(w, "outputs");
	struct ckpt_outputs c;
	struct error e;
	FILE *fp;
	int rc = 0;

	*f = NULL;
	if (!(fp = fopen(op, "rb")))
		goto out;
	if (fread(&c, sizeof(c), 1, fp) != 1 || c.magic != CKPT_MAGIC || c.size != sizeof(c) ||
	    c.check != ckpt_check(&c) || c.roc_n > ROC_POINTS) {
		fclose(fp);
		goto out;
	}
	fclose(fp);
	if (!(*f = forest_load(mp, &e)))
		goto out;
	w->last_oob_auc = c.last_oob_auc;
	w->oob_logloss = c.oob_logloss;
	w->train_wall_s += c.train_wall_s;
	w->roc_n = (size_t)c.roc_n;
	memcpy(w->roc_fpr, c.roc_fpr, sizeof(w->roc_fpr));
	memcpy(w->roc_tpr, c.roc_tpr, sizeof(w->roc_tpr));
	memcpy(w->calib, c.calib, sizeof(w->calib));
	rc = 1;
out:
	(void)err;
	free(mp);
	free(op);
	return rc;
}

/* Keep this training's model and outputs, and say which phase the run
 * reached (written through temporary names, so a kill leaves the last
 * complete checkpoint). */
static int ckpt_save(struct worldrun *w, const struct forest *f, double wall_s, simtime now,
		     struct error *err)
{
	char *mp = ckpt_path(w, "forest"), *op = ckpt_path(w, "outputs");
	char *tmp = xasprintf("%s.tmp", op), *phase = xasprintf("%s/phase", w->ckpt_dir);
	char *ptmp = xasprintf("%s.tmp", phase);
	struct ckpt_outputs c;
	FILE *fp;
	int rc;

	memset(&c, 0, sizeof(c));
	c.magic = CKPT_MAGIC;
	c.size = sizeof(c);
	c.last_oob_auc = w->last_oob_auc;
	c.oob_logloss = w->oob_logloss;
	c.train_wall_s = wall_s;
	c.roc_n = w->roc_n;
	memcpy(c.roc_fpr, w->roc_fpr, sizeof(c.roc_fpr));
	memcpy(c.roc_tpr, w->roc_tpr, sizeof(c.roc_tpr));
	memcpy(c.calib, w->calib, sizeof(c.calib));
	c.check = ckpt_check(&c);
	if ((rc = forest_save(f, mp, err)) < 0)
		goto out;
	if (!(fp = fopen(tmp, "wb")) || fwrite(&c, sizeof(c), 1, fp) != 1 || fclose(fp) != 0 ||
	    rename(tmp, op) != 0) {
		rc = error_set(err, ERR_IO, "cannot write checkpoint '%s': %s", op, strerror(errno));
		goto out;
	}
	if (!(fp = fopen(ptmp, "w")) ||
	    fprintf(fp, "world %u (%s): training %zu done at %.3f h (%s)\n", w->world_index,
		    w->name, (size_t)w->trainings, (double)now / SIMTIME_HOUR,
		    w->experiment ? "a retrain" : "the end of the warm-up") < 0 ||
	    fclose(fp) != 0 || rename(ptmp, phase) != 0)
		rc = error_set(err, ERR_IO, "cannot write checkpoint '%s': %s", phase,
			       strerror(errno));
out:
	free(mp);
	free(op);
	free(tmp);
	free(phase);
	free(ptmp);
	return rc;
}

/* Train the forest on every impression logged so far (joined already). */
static int train_forest(struct worldrun *w, simtime now, struct error *err)
{
	size_t n, stride = implog_stride(w->log);
	const char **names = xcalloc(stride ? stride : 1, sizeof(*names));
	struct forest_train_report rep = { 0 };
	struct forest *f;
	char *path;
	double t0 = wall_now();
	int rc;

	n = implog_rows(w->log);
	if ((n < 100 || implog_positives(w->log) == 0) && w->replay) {
		free(names);
		return error_set(err, ERR_INPUT,
				 "cannot train the forest on the replayed trace: %zu impressions of "
				 "logged sessions with %llu tune-ins from the home page in its warm-up "
				 "(the trace needs impression events with positions and listen_start "
				 "events from the home page, with sessions; or raise %s)",
				 n, (unsigned long long)implog_positives(w->log), w->sample_text);
	}
	if (n < 100 || implog_positives(w->log) == 0) {
		free(names);
		return error_set(err, ERR_INPUT,
				 "cannot train the forest: %zu logged impressions with %llu tune-ins "
				 "(raise %s or the population)",
				 n, (unsigned long long)implog_positives(w->log), w->sample_text);
	}
	if (w->ckpt_dir && (rc = ckpt_load(w, &f, err)) != 0) {
		free(names);
		if (rc < 0)
			return rc;
		goto trained;
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
	if (w->ckpt_dir && (rc = ckpt_save(w, f, wall_now() - t0, now, err)) < 0) {
		forest_free(f);
		return rc;
	}
trained:
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
	/* A replayed trace's kept request lived in the old ranker's scratch,
	 * which the new model freed: a recorded page still open across the
	 * training is logged without its feature rows (as one whose request
	 * was never seen), never from freed memory. */
	w->rq.valid = false;
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
	if (needs_model(w) && (rc = train_forest(w, now, err)) < 0)
		return rc;
	return fit_rankers(w, now, err);
}

static bool needs_model(const struct worldrun *w)
{
	for (size_t i = 0; i < w->n_arms; i++)
		if (w->scorer[i] == RANK_FOREST)
			return true;
	for (size_t i = 0; i < w->n_targets; i++)
		if (w->target[i] == RANK_FOREST)
			return true;
	return false;
}

/* Anything to train at the end of the warm-up and at retrains. */
static bool needs_training(const struct worldrun *w)
{
	return needs_model(w) || fits(w);
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

	if (!replay)
		return 0;
	if (cfg->ab.arm[0].scorer == RANK_ORACLE) {
		if (cfg->ab.by_arms)
			return error_set(err, ERR_INPUT,
					 "%s: bad value '%s' for [ab] arms: the control (the first arm) is 'oracle', but a replayed trace has no simulator truth to rank by; put heuristic, popularity or random first",
					 scenario_where(sc, "ab", "arms", at, sizeof(at)), cfg->ab.arms);
		return error_set(err, ERR_INPUT,
				 "%s: bad value 'oracle' for [ab] control: a replayed trace has no simulator truth to rank by; expected heuristic, popularity or random",
				 scenario_where(sc, "ab", "control", at, sizeof(at)));
	}
	for (size_t i = 1; i < cfg->ab.n_arms; i++)
		if (cfg->ab.arm[i].scorer == RANK_ORACLE)
			return error_set(err, ERR_INPUT,
					 "%s: the arm 'oracle' cannot rank a replayed trace: it has no simulator truth",
					 cfg->ab.by_arms ? scenario_where(sc, "ab", "arms", at, sizeof(at))
							 : scenario_where(sc, "ab", "treatment", at, sizeof(at)));
	for (size_t i = 0; i < cfg->ope.n_targets; i++)
		if (cfg->ope.target[i] == RANK_ORACLE)
			return error_set(err, ERR_INPUT,
					 "%s: the target 'oracle' cannot rank a replayed trace: it has no simulator truth",
					 scenario_where(sc, "ope", "targets", at, sizeof(at)));
	if (cfg->ope.n_targets && cfg->ope.truth && scenario_is_set(sc, "ope", "truth"))
		return error_set(err, ERR_INPUT,
				 "%s: [ope] truth cannot be measured on a replayed trace: no behaviour model says what users would have done with another page; set truth = false",
				 scenario_where(sc, "ope", "truth", at, sizeof(at)));
	return 0;
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
	/* [ope] targets are scored only on logged pages */
	w->n_targets = cfg->logging.impressions ? cfg->ope.n_targets : 0;
	for (size_t i = 0; i < w->n_targets; i++)
		w->target[i] = cfg->ope.target[i];
}

/* [logging]: the control ranker's logging policy and the bandit log. */
static void start_logging(struct worldrun *w, const struct config *cfg)
{
	const struct rank *rk = serving_rank(w->serving);
	const struct behaviour_config *bc = &cfg->sim.behaviour;
	size_t nf = rank_n_features(rk), k = w->rc.k + 1;
	const char **names, *tnames[CONFIG_OPE_TARGETS_MAX];
	uint32_t *kinds;

	if (cfg->logging.policy.kind != POLICY_DETERMINISTIC)
		w->logpol = policy_new(&cfg->logging.policy, w->rc.max_candidates, k);
	w->exploration_share = cfg->ab.exploration;
	if (!cfg->logging.impressions)
		return;
	names = xcalloc(nf ? nf : 1, sizeof(*names));
	kinds = xcalloc(nf ? nf : 1, sizeof(*kinds));
	for (size_t i = 0; i < nf; i++) {
		names[i] = rank_feature_name(rk, i);
		kinds[i] = rank_feature_kind(rk, i);
	}
	for (size_t i = 0; i < w->n_targets; i++)
		tnames[i] = config_scorer_name(cfg, w->target[i]);
	w->bandit = banditlog_new(nf, names, kinds, w->n_targets, tnames, &cfg->logging.policy,
				  cfg->logging.max_rows, cfg->logging.sample_sessions, w->seed);
	bandit_table_set_arms(banditlog_table(w->bandit), w->label, w->n_arms);
	free(names);
	free(kinds);
	w->closed_form = w->sim && bc->model == BEHAVIOUR_PBM &&
			 bc->choice == BEHAVIOUR_INDEPENDENT && bc->listen_budget == 0;
	w->exam = xcalloc(k, sizeof(*w->exam));
	for (size_t j = 0; j < k; j++)
		w->exam[j] = behaviour_examination(bc, (uint32_t)j);
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
	w->label_reminders = cfg->model.label_reminders;
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
/* The exposure accumulators: each show's creator, topic and whether its
 * creator is of high quality (stats/exposure.h). */
static struct exposure *new_exposure(const struct worldrun *w, const struct world *wd)
{
	uint32_t ns = world_n_shows(wd), nc = world_n_creators(wd);
	uint32_t *creator = xcalloc(ns ? ns : 1, sizeof(*creator));
	uint16_t *topic = xcalloc(ns ? ns : 1, sizeof(*topic));
	uint8_t *hq = xcalloc(ns ? ns : 1, sizeof(*hq));
	double threshold = exposure_hq_threshold(w->sp.world.quality_sigma);
	struct exposure *e;

	for (uint32_t s = 0; s < ns; s++) {
		creator[s] = world_show_creator(wd, s);
		topic[s] = world_show_topic(wd, s);
		hq[s] = world_creator_quality(wd, creator[s]) > threshold;
	}
	e = exposure_new(w->n_arms, ns, creator, topic, hq, nc, world_n_topics(wd));
	free(creator);
	free(topic);
	free(hq);
	return e;
}

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
	/* the arms, then the off-policy targets (scored where the control
	 * ranks: the split world and the control's twin) */
	for (size_t a = 0; a < w->n_arms + w->n_targets && rc == 0; a++) {
		bool target = a >= w->n_arms;
		unsigned id = target ? w->target[a - w->n_arms] : (unsigned)w->scorer[a];
		size_t arm = target ? 0 : a;
		int i = config_ranker_of(cfg, id);
		struct scorer_env env;

		if (i < 0 || w->rankers[i] ||
		    (arm > 0 && w->policy != WORLDRUN_SPLIT && (size_t)w->policy != arm) ||
		    (target && w->policy != WORLDRUN_SPLIT && w->policy != ASSIGN_CONTROL))
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
		serving_set_scorer(w->serving, id, w->rankers[i]);
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
		w->ckpt_dir = io->checkpoint_dir ? xstrdup(io->checkpoint_dir) : NULL;
		w->world_index = io->world;
	}
	if (w->replay) {
		/* No behaviour model: each arm ranks its users' requests (the
		 * pages served change nothing the trace says users did); a forest
		 * trains on the trace's own impressions and tune-ins of the
		 * warm-up; check_replay refused the oracle.  w->sp stays zero: no
		 * spikes. */
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
	/* The days before the warm-up, into the lake and the feature store. */
	if (w->sim && (rc = history_fill(cfg, w->sim, w->n_shows, w->batch, &w->history,
					 err)) < 0)
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
	metrics_set_horizon(w->metrics, w->horizon);
	for (uint32_t u = 0; u < w->n_users; u++)
		metrics_set_arm(w->metrics, u, arm_of(w, u));
	if (wd)
		w->exposure = new_exposure(w, wd);
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
	w->idx = xcalloc(w->rc.k + 1, sizeof(*w->idx));
	w->tidx = xcalloc(w->rc.k + 1, sizeof(*w->tidx));
	w->greedy = xcalloc(w->rc.k + 1, sizeof(*w->greedy));
	w->cond = xcalloc(w->rc.k + 1, sizeof(*w->cond));
	w->marg = xcalloc(w->rc.k + 1, sizeof(*w->marg));
	w->tscores = xcalloc(w->rc.max_candidates + 1, sizeof(*w->tscores));
	w->rq.tshow = xcalloc((w->rc.k + 1) * CONFIG_OPE_TARGETS_MAX, sizeof(*w->rq.tshow));
	w->rq.trow = xcalloc((w->rc.k + 1) * CONFIG_OPE_TARGETS_MAX, sizeof(*w->rq.trow));
	start_logging(w, cfg);
	w->pack = w->trace_out && w->logpol;
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
	exposure_free(w->exposure);
	implog_free(w->log);
	series_free(w->sessions);
	for (size_t i = 0; i < w->n_arms; i++)
		series_free(w->exposures[i]);
	free(w->page);
	free(w->idx);
	free(w->tidx);
	free(w->greedy);
	free(w->cond);
	free(w->marg);
	free(w->tscores);
	free(w->rq.tshow);
	free(w->rq.trow);
	free(w->exam);
	policy_free(w->logpol);
	banditlog_free(w->bandit);
	free(w->replay_page);
	free(w->row_ptrs);
	free(w->name);
	free(w->dir);
	free(w->ckpt_dir);
	free(w);
}

/* The store log is complete: seal it, and write the snapshot a server
 * restarts from (the state at the horizon, one record per live cell).
 * Host-side storage only: nothing simulated reads either. */
static int seal_store(struct worldrun *w, struct error *err)
{
	char *log = xasprintf("%s/online.log", w->dir), *snap = xasprintf("%s/online.snap", w->dir);
	int rc = online_seal(stream_online(w->stream), err);

	if (rc == 0)
		rc = online_snapshot(log, snap, w->horizon, w->stc.online.ttl, err);
	free(log);
	free(snap);
	return rc < 0 ? error_prefix(err, "world '%s': store log: ", w->name) : 0;
}

int worldrun_execute(struct worldrun *w, struct error *err)
{
	const struct error *be;

	calendar_run_until(w->cal, w->end);
	if (w->replay && w->rec.n)
		recorded_page_end(w);
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
	return seal_store(w, err);
}

/* The stream's conservation (stream.h): where every published event
 * ended, the identity's terms in order, then the copies of applied events
 * (counted apart, never twice) and the identity's remainder, 0 when every
 * event is accounted for. */
static int store_conservation(struct worldrun *w, struct results *r, int64_t id,
			      struct error *err)
{
	const struct stream_counts *c = stream_counts(w->stream);
	uint64_t inflight = stream_unsettled(w->stream);
	int64_t sum = (int64_t)(c->filtered + c->rejected + c->applied + c->ignored +
				c->dead_unapplied + c->expired_unapplied + inflight);
	const struct results_conservation rows[] = {
		{ "published", (int64_t)c->published, "" },
		{ "filtered", (int64_t)c->filtered, "" },
		{ "rejected", (int64_t)c->rejected, "" },
		{ "applied", (int64_t)c->applied, "" },
		{ "ignored", (int64_t)c->ignored, "" },
		{ "dead_lettered", (int64_t)c->dead_unapplied, "" },
		{ "expired", (int64_t)c->expired_unapplied, "" },
		{ "in_flight", (int64_t)inflight, "" },
		{ "unaccounted", (int64_t)c->published - sum, "" },
		{ "duplicate_copies", (int64_t)c->duplicates, "" },
		{ "dead_lettered_copies", (int64_t)c->dead_duplicate, "" },
		{ "expired_copies", (int64_t)c->expired_duplicate, "" },
		{ "reapplied_beyond_dedup",
		  (int64_t)pit_stats(stream_pit(w->stream))->dedup_evicted_live, "" },
	};

	return results_put_conservation(r, id, rows, sizeof(rows) / sizeof(rows[0]), err);
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
		{ SCHEMA_METRIC_SESSIONS_RETURNS, (double)w->return_sessions },
		{ SCHEMA_METRIC_SESSIONS_NOTIFY, (double)w->notify_sessions },
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
		{ SCHEMA_METRIC_STREAM_COLD_STARTS,
		  (double)workers_stats(stream_workers(w->stream))->cold_starts },
		{ SCHEMA_METRIC_STREAM_WARM_STARTS,
		  (double)workers_stats(stream_workers(w->stream))->warm_starts },
		{ SCHEMA_METRIC_STREAM_THROTTLES, (double)sc->throttles },
		{ SCHEMA_METRIC_STREAM_THROTTLED, (double)sc->throttled_us / (double)SIMTIME_S },
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
		{ SCHEMA_METRIC_HISTORY_SESSIONS, (double)w->history.sessions },
		{ SCHEMA_METRIC_HISTORY_EVENTS, (double)w->history.events },
		{ SCHEMA_METRIC_HISTORY_FOLLOWS, (double)w->history.follows },
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
	char ids[512];
	double cx[10], cy[10], cn[10];
	size_t bins = 0;
	struct worldstore ws = {
		.counters = counters,
		.n_counters = sizeof(counters) / sizeof(counters[0]),
		.train_wall_s = w->train_wall_s,
		.history = w->history.sessions > 0,
		.history_wall_s = w->history.wall_s,
		.world = w->name,
		.experiment_start = w->warmup_end,
		.spikes = spikes,
		.n_spikes = w->sp.n_spikes,
		.replay = w->replay != NULL,
		.events_after_horizon = w->replay ? replay_beyond(w->replay, w->horizon) : 0,
		.trace_ids = w->replay && replay_ids(w->replay) ? ids : NULL,
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
		.exposure = w->exposure,
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

	if (w->replay && replay_ids(w->replay))
		trace_ids_describe(replay_ids(w->replay), ids, sizeof(ids));
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
	if (rc == 0)
		rc = store_conservation(w, r, id, err);
	/* A replayed trace's A/B is on the serving side: per arm. */
	for (size_t a = 0; rc == 0 && w->replay && a < w->n_arms; a++) {
		const struct worldrun_arm_serving *as = &w->arm_serving[a];
		double q = as->requests ? (double)as->requests : NAN;
		const struct {
			enum schema_id id;
			double v;
		} m[] = {
			{ SCHEMA_METRIC_SERVING_REQUESTS, (double)as->requests },
			{ SCHEMA_METRIC_SERVING_CANDIDATES, (double)as->candidates / q },
			{ SCHEMA_METRIC_SERVING_NODES, as->nodes / q },
			{ SCHEMA_METRIC_SERVING_SCORER_US, as->scorer_ns / q / 1e3 },
			{ SCHEMA_METRIC_SERVING_FALLBACKS, (double)as->fallbacks },
		};

		for (size_t k = 0; rc == 0 && k < sizeof(m) / sizeof(m[0]); k++)
			rc = results_put_metric(r, id, schema_name(m[k].id), w->label[a], m[k].v,
						schema_unit(m[k].id), RESULTS_SIM, err);
	}
	if (rc == 0 && w->bandit)
		rc = banditstore_put(r, id, banditlog_table(w->bandit), err);
	if (rc == 0 && w->bandit)
		rc = banditstore_put_users(r, id, w->metrics, w->label, err);
	free(spikes);
	free(tr);
	return rc;
}

const char *worldrun_name(const struct worldrun *w) { return w->name; }
const struct metrics *worldrun_metrics(const struct worldrun *w) { return w->metrics; }
const struct exposure *worldrun_exposure(const struct worldrun *w) { return w->exposure; }
const struct endpoint *worldrun_endpoint(const struct worldrun *w) { return w->ep; }
const struct stream *worldrun_stream(const struct worldrun *w) { return w->stream; }
const struct serving *worldrun_serving(const struct worldrun *w) { return w->serving; }
const struct forest *worldrun_model(const struct worldrun *w) { return w->model; }
const struct implog *worldrun_implog(const struct worldrun *w) { return w->log; }
const struct worldrun_arm_serving *worldrun_arm_serving(const struct worldrun *w, size_t arm)
{
	return arm < w->n_arms ? &w->arm_serving[arm] : NULL;
}

bool worldrun_replayed(const struct worldrun *w) { return w->replay != NULL; }

const struct bandit_table *worldrun_bandit(const struct worldrun *w)
{
	return w->bandit ? banditlog_table(w->bandit) : NULL;
}
uint64_t worldrun_events(const struct worldrun *w) { return w->events; }
simtime worldrun_experiment_start(const struct worldrun *w) { return w->warmup_end; }
simtime worldrun_end(const struct worldrun *w) { return w->end; }
