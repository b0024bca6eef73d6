/* Serving-path glue between engine/rank and the stores; see serving.h. */
#include "engine/serving.h"

#include "common/xalloc.h"
#include "engine/batchjob.h"
#include "engine/catalog.h"
#include "engine/online.h"
#include "engine/pit.h"
#include "engine/rank_forest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct serving {
	struct serving_parts parts;
	struct rank_config rank_cfg;
	struct rank_sources src;
	struct rank *rank;
	const struct forest *model;
	struct rank_model rank_model;
	struct scorer *scorers[RANK_SCORERS_MAX];  /* the scenario's rankers, borrowed */
	/* Scratch for PIT reads, sized for max_candidates. */
	float *show_buf;      /* n x PIT_SHOW_FEATURES */
	float *creator_buf;   /* n x PIT_CREATOR_FEATURES */
	uint32_t *creators;
	struct online_stats online_counts;   /* concurrent mode */
	uint32_t *users;      /* the request's user, repeated: pair lookups */
	char **names;         /* prefixed batch feature names (owned) */
	const char **name_ptrs[4];
	size_t n_names, cap_names;
};

/* The store's own counters, unless other threads read it too. */
static int pit_read(struct serving *s, int table, const uint32_t *ids, size_t n, float *out,
		    simtime now)
{
	if (s->parts.concurrent)
		return online_read_counted(s->parts.online, table, ids, n, out, now,
					   &s->online_counts);
	return online_read(s->parts.online, table, ids, n, out, now);
}

/* Show features come from the PIT show table; the creator's live-follower
 * count from the creator table: the ranker sees one row of RANK_PIT_COUNT. */
static int show_pit(void *ctx, const uint32_t *shows, size_t n, simtime now, float *out,
		    struct error *err)
{
	struct serving *s = ctx;
	int rc;

	_Static_assert(RANK_PIT_COUNT == PIT_SHOW_FEATURES + PIT_CREATOR_FEATURES,
		       "rank's PIT block is the show table followed by the creator table");
	if (!s->parts.online) {
		for (size_t i = 0; i < n * RANK_PIT_COUNT; i++)
			out[i] = NAN;
		return 0;
	}
	rc = pit_read(s, PIT_TABLE_SHOW, shows, n, s->show_buf, now);
	if (rc < 0)
		return error_set(err, rc, "online store read of %zu shows failed", n);
	for (size_t i = 0; i < n; i++)
		s->creators[i] = catalog_creator(s->parts.catalog, shows[i]);
	rc = pit_read(s, PIT_TABLE_CREATOR, s->creators, n, s->creator_buf, now);
	if (rc < 0)
		return error_set(err, rc, "online store read of %zu creators failed", n);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < PIT_SHOW_FEATURES; j++)
			out[i * RANK_PIT_COUNT + j] = s->show_buf[i * PIT_SHOW_FEATURES + j];
		for (size_t j = 0; j < PIT_CREATOR_FEATURES; j++)
			out[i * RANK_PIT_COUNT + PIT_SHOW_FEATURES + j] =
				s->creator_buf[i * PIT_CREATOR_FEATURES + j];
	}
	return 0;
}

static int oracle(void *ctx, uint32_t user, const uint32_t *shows, size_t n, simtime now,
		  double *out, struct error *err)
{
	struct serving *s = ctx;

	if (!s->parts.truth)
		return error_set(err, ERR_INPUT, "the oracle scorer needs the simulator's truth, "
				 "which this serving context does not have");
	for (size_t i = 0; i < n; i++)
		out[i] = s->parts.truth(s->parts.truth_ctx, user, shows[i], now);
	return 0;
}

/* Batch feature blocks of the row, read from the batch job's in-memory
 * serving snapshots (never SQLite per request).  Missing entities read as
 * NaN, which is not an error: a new user simply has no history. */
static int user_batch(void *ctx, uint32_t user, simtime now, float *out, struct error *err)
{
	struct serving *s = ctx;

	(void)err;
	batchjob_user_features(s->parts.batch, &user, 1, now, out);
	return 0;
}

static int creator_batch(void *ctx, const uint32_t *creators, size_t n, simtime now, float *out,
			 struct error *err)
{
	struct serving *s = ctx;

	(void)err;
	batchjob_creator_features(s->parts.batch, creators, n, now, out);
	return 0;
}

static void repeat_user(struct serving *s, uint32_t user, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s->users[i] = user;
}

static int user_topic(void *ctx, uint32_t user, const uint16_t *topics, size_t n, simtime now,
		      float *out, struct error *err)
{
	struct serving *s = ctx;

	(void)err;
	repeat_user(s, user, n);
	batchjob_user_topic_features(s->parts.batch, s->users, topics, n, now, out);
	return 0;
}

static int user_creator(void *ctx, uint32_t user, const uint32_t *creators, size_t n,
			simtime now, float *out, struct error *err)
{
	struct serving *s = ctx;

	(void)err;
	repeat_user(s, user, n);
	batchjob_user_creator_features(s->parts.batch, s->users, creators, n, now, out);
	return 0;
}

/* Batch names are per group ("likes" exists for users and creators alike,
 * and as a point-in-time show feature): the row names carry the group. */
static const char *const *prefixed_names(struct serving *s, int group, const char *prefix,
					 size_t *k)
{
	const char *const *names = batchjob_feature_names(s->parts.batch, group, k);

	s->name_ptrs[group] = xcalloc(*k ? *k : 1, sizeof(char *));
	for (size_t i = 0; i < *k; i++) {
		XGROW(s->names, s->n_names + 1, s->cap_names);
		s->names[s->n_names] = xasprintf("%s.%s", prefix, names[i]);
		s->name_ptrs[group][i] = s->names[s->n_names++];
	}
	return s->name_ptrs[group];
}

static void set_batch_sources(struct serving *s)
{
	if (!s->parts.batch)
		return;
	s->src.user_batch = user_batch;
	s->src.creator_batch = creator_batch;
	s->src.user_topic = user_topic;
	s->src.user_creator = user_creator;
	s->src.user_names = prefixed_names(s, BATCH_USER, "user", &s->src.n_user);
	s->src.creator_names = prefixed_names(s, BATCH_CREATOR, "creator", &s->src.n_creator);
	s->src.topic_names = prefixed_names(s, BATCH_USER_TOPIC, "user_topic", &s->src.n_topic);
	s->src.pair_names = prefixed_names(s, BATCH_USER_CREATOR, "user_creator",
					   &s->src.n_pair);
}

static int rebuild_rank(struct serving *s, struct error *err)
{
	struct rank *r;

	r = rank_new(&s->rank_cfg, s->parts.catalog, s->parts.profile, &s->src,
		     s->model ? &s->rank_model : NULL, s->parts.seed, err);
	if (!r)
		return err->code;
	for (unsigned id = RANK_SCORER_COUNT; id < RANK_SCORERS_MAX; id++)
		if (s->scorers[id])
			rank_set_scorer(r, id, s->scorers[id]);
	rank_free(s->rank);
	s->rank = r;
	return 0;
}

void serving_set_scorer(struct serving *s, unsigned id, struct scorer *sc)
{
	ASSERT(id >= RANK_SCORER_COUNT && id < RANK_SCORERS_MAX);
	s->scorers[id] = sc;
	rank_set_scorer(s->rank, id, sc);
}

struct serving *serving_new(const struct serving_parts *parts, struct error *err)
{
	struct serving *s = xcalloc(1, sizeof(*s));
	size_t cap;

	s->parts = *parts;
	s->rank_cfg = *parts->rank;
	cap = s->rank_cfg.max_candidates ? s->rank_cfg.max_candidates : 1;
	s->show_buf = xcalloc(cap * PIT_SHOW_FEATURES, sizeof(float));
	s->creator_buf = xcalloc(cap * PIT_CREATOR_FEATURES, sizeof(float));
	s->creators = xcalloc(cap, sizeof(uint32_t));
	s->users = xcalloc(cap, sizeof(uint32_t));
	s->src.ctx = s;
	s->src.show_pit = show_pit;
	s->src.oracle = oracle;
	set_batch_sources(s);
	if (rebuild_rank(s, err) < 0) {
		serving_free(s);
		return NULL;
	}
	return s;
}

void serving_free(struct serving *s)
{
	if (!s)
		return;
	rank_free(s->rank);
	free(s->show_buf);
	free(s->creator_buf);
	free(s->creators);
	free(s->users);
	for (size_t i = 0; i < s->n_names; i++)
		free(s->names[i]);
	free(s->names);
	for (int g = 0; g < 4; g++)
		free(s->name_ptrs[g]);
	free(s);
}

int serving_set_model(struct serving *s, const struct forest *model, struct error *err)
{
	const struct forest *old = s->model;

	s->model = model;
	if (model)
		rank_forest_model(&s->rank_model, model);
	if (rebuild_rank(s, err) < 0) {
		s->model = old;
		if (old)
			rank_forest_model(&s->rank_model, old);
		return err->code;
	}
	return 0;
}

const struct forest *serving_model(const struct serving *s)
{
	return s->model;
}

int serving_request(struct serving *s, const struct rank_request *req, struct rank_result *res,
		    struct error *err)
{
	return rank_request(s->rank, req, res, err);
}

int serving_rescore(struct serving *s, const struct rank_request *req, unsigned id,
		    double *scores, bool *fell_back, struct error *err)
{
	return rank_rescore(s->rank, req, id, scores, fell_back, err);
}

const struct online_stats *serving_online_counts(const struct serving *s)
{
	return &s->online_counts;
}

const struct rank *serving_rank(const struct serving *s)
{
	return s->rank;
}
