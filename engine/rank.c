/* Candidate generation, feature assembly, scoring and top-K; see rank.h. */
#include "engine/rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"
#include "engine/scorer_builtin.h"
#include "engine/scorer_model.h"

/* Host timings are recorded in nanoseconds up to 10 s, 3 digits. */
#define HOST_HIST_HIGHEST INT64_C(10000000000)

static const char *const pit_names[RANK_PIT_COUNT] = {
	"pit_likes", "pit_listens", "pit_live_listeners", "pit_sessions_5min",
	"pit_likes_15min", "pit_tuneins_15min", "pit_creator_followers_live",
};

static const char *const ctx_names[RANK_CTX_COUNT] = {
	"ctx_is_live", "ctx_minutes_to_start", "ctx_declared_match", "ctx_declared_count",
};

static const char *const scorer_names[RANK_SCORER_COUNT] = {
	"forest", "heuristic", "popularity", "random", "oracle",
};

struct rank {
	struct rank_config cfg;
	const struct catalog *cat;
	const struct profile *prof;
	struct rank_sources src;
	uint64_t seed;

	size_t nf;                   /* row width */
	size_t off_user, off_creator, off_topic, off_pair, off_ctx;
	char **names;                /* [nf] */

	/* By id: airtime's own (owned), then the scenario's (borrowed). */
	struct scorer *scorers[RANK_SCORERS_MAX];

	/* scratch, sized for max_candidates */
	uint32_t *cand;
	/* Per-candidate catalog facts, kept while the candidate list and the
	 * catalog (catalog_version) stay the same: most requests repeat the
	 * last one's list, and these are scattered reads of the catalog.
	 * facts[] is the page's candidate list (struct airtime_candidate);
	 * creators[] and topics[] the same, as the sources read them. */
	struct airtime_candidate *facts;
	uint32_t *creators;
	uint16_t *topics;
	uint32_t *meta_cand;         /* the list they were read for */
	size_t meta_n;
	uint64_t meta_version;
	bool meta_valid;
	float *rows;                 /* max x nf */
	float *block;                /* max x widest source block */
	float *user_row;             /* n_user */
	double *scores;
	uint32_t *page;
	double *page_scores;
	size_t last_n;               /* candidates of the last request */
	bool last_rows;              /* its feature rows were assembled */

	struct rank_stats stats;
	struct hist host_assembly, host_scoring;
};

const char *rank_scorer_name(enum rank_scorer s)
{
	return (unsigned)s < RANK_SCORER_COUNT ? scorer_names[s] : "unknown";
}

int rank_scorer_from_name(const char *name)
{
	for (int i = 0; i < RANK_SCORER_COUNT; i++)
		if (!strcmp(name, scorer_names[i]))
			return i;
	return -1;
}

void rank_config_init(struct rank_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->threads = 1;
}

static int check_config(const struct rank_config *cfg, struct error *err)
{
	if (cfg->horizon < 0 || cfg->late_grace < 0)
		return error_set(err, ERR_INPUT, "rank: horizon and late_grace must be >= 0");
	if (cfg->max_candidates == 0 || cfg->max_candidates > 1000000)
		return error_set(err, ERR_INPUT, "rank: max_candidates %u out of range [1, 1000000]",
				 cfg->max_candidates);
	if (cfg->k == 0 || cfg->k > cfg->max_candidates)
		return error_set(err, ERR_INPUT, "rank: k %u out of range [1, max_candidates=%u]",
				 cfg->k, cfg->max_candidates);
	if (cfg->threads < 1 || cfg->threads > 64)
		return error_set(err, ERR_INPUT, "rank: threads %u out of range [1, 64]",
				 cfg->threads);
	return 0;
}

/* Names for a batch block: the source's, or prefix_i. */
static void name_block(char **names, size_t off, size_t n, const char *const *given,
		       const char *prefix)
{
	for (size_t i = 0; i < n; i++)
		names[off + i] = given ? xstrdup(given[i]) : xasprintf("%s_%zu", prefix, i);
}

static size_t max_size(size_t a, size_t b)
{
	return a > b ? a : b;
}

struct rank *rank_new(const struct rank_config *cfg, const struct catalog *cat,
		      const struct profile *prof, const struct rank_sources *src,
		      const struct rank_model *model, uint64_t seed, struct error *err)
{
	struct rank *r;
	size_t max, widest;

	if (check_config(cfg, err))
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->cfg = *cfg;
	r->cat = cat;
	r->prof = prof;
	r->src = *src;
	r->seed = seed;
	r->off_user = RANK_PIT_COUNT;
	r->off_creator = r->off_user + src->n_user;
	r->off_topic = r->off_creator + src->n_creator;
	r->off_pair = r->off_topic + src->n_topic;
	r->off_ctx = r->off_pair + src->n_pair;
	r->nf = r->off_ctx + RANK_CTX_COUNT;
	r->names = xcalloc(r->nf, sizeof(*r->names));
	for (size_t i = 0; i < RANK_PIT_COUNT; i++)
		r->names[i] = xstrdup(pit_names[i]);
	name_block(r->names, r->off_user, src->n_user, src->user_names, "user");
	name_block(r->names, r->off_creator, src->n_creator, src->creator_names, "creator");
	name_block(r->names, r->off_topic, src->n_topic, src->topic_names, "user_topic");
	name_block(r->names, r->off_pair, src->n_pair, src->pair_names, "user_creator");
	for (size_t i = 0; i < RANK_CTX_COUNT; i++)
		r->names[r->off_ctx + i] = xstrdup(ctx_names[i]);

	max = cfg->max_candidates;
	if (model &&
	    !(r->scorers[RANK_FOREST] = scorer_model_new("forest", model,
							 (const char *const *)r->names, r->nf,
							 cfg->threads, max, err))) {
		rank_free(r);
		return NULL;
	}
	r->scorers[RANK_HEURISTIC] = scorer_heuristic_new();
	r->scorers[RANK_POPULARITY] = scorer_popularity_new(RANK_PIT_LIVE_LISTENERS,
							    RANK_PIT_LISTENS);
	r->scorers[RANK_RANDOM] = scorer_random_new(seed);
	if (src->oracle)
		r->scorers[RANK_ORACLE] = scorer_oracle_new(src->oracle, src->ctx, max);

	widest = max_size(RANK_PIT_COUNT, max_size(src->n_creator,
						   max_size(src->n_topic, src->n_pair)));
	r->cand = xcalloc(max, sizeof(*r->cand));
	r->facts = xcalloc(max, sizeof(*r->facts));
	r->creators = xcalloc(max, sizeof(*r->creators));
	r->topics = xcalloc(max, sizeof(*r->topics));
	r->meta_cand = xcalloc(max, sizeof(*r->meta_cand));
	r->rows = xcalloc(max * r->nf, sizeof(float));
	r->block = xcalloc(max * widest, sizeof(*r->block));
	r->user_row = xcalloc(src->n_user ? src->n_user : 1, sizeof(*r->user_row));
	r->scores = xcalloc(max, sizeof(*r->scores));
	r->page = xcalloc(cfg->k, sizeof(*r->page));
	r->page_scores = xcalloc(cfg->k, sizeof(*r->page_scores));
	if (hist_init(&r->host_assembly, HOST_HIST_HIGHEST, 3, err) ||
	    hist_init(&r->host_scoring, HOST_HIST_HIGHEST, 3, err)) {
		rank_free(r);
		return NULL;
	}
	return r;
}

void rank_free(struct rank *r)
{
	if (!r)
		return;
	if (r->names)
		for (size_t i = 0; i < r->nf; i++)
			free(r->names[i]);
	free(r->names);
	for (int i = 0; i < RANK_SCORER_COUNT; i++)
		scorer_free(r->scorers[i]);
	free(r->cand);
	free(r->facts);
	free(r->creators);
	free(r->topics);
	free(r->meta_cand);
	free(r->rows);
	free(r->block);
	free(r->user_row);
	free(r->scores);
	free(r->page);
	free(r->page_scores);
	if (r->host_assembly.counts)
		hist_release(&r->host_assembly);
	if (r->host_scoring.counts)
		hist_release(&r->host_scoring);
	free(r);
}

size_t rank_n_features(const struct rank *r)
{
	return r->nf;
}

const char *rank_feature_name(const struct rank *r, size_t i)
{
	ASSERT(i < r->nf);
	return r->names[i];
}

uint32_t rank_feature_kind(const struct rank *r, size_t i)
{
	ASSERT(i < r->nf);
	if (i < r->off_user)
		return AIRTIME_FEATURE_PIT;
	if (i < r->off_creator)
		return AIRTIME_FEATURE_USER;
	if (i < r->off_topic)
		return AIRTIME_FEATURE_CREATOR;
	if (i < r->off_pair)
		return AIRTIME_FEATURE_USER_TOPIC;
	if (i < r->off_ctx)
		return AIRTIME_FEATURE_USER_CREATOR;
	return AIRTIME_FEATURE_CONTEXT;
}

void rank_set_scorer(struct rank *r, unsigned id, struct scorer *s)
{
	ASSERT(id >= RANK_SCORER_COUNT && id < RANK_SCORERS_MAX);
	r->scorers[id] = s;
}

struct scorer *rank_scorer(const struct rank *r, unsigned id)
{
	return id < RANK_SCORERS_MAX ? r->scorers[id] : NULL;
}

const struct rank_stats *rank_stats(const struct rank *r)
{
	return &r->stats;
}

const struct hist *rank_host_assembly_ns(const struct rank *r)
{
	return &r->host_assembly;
}

const struct hist *rank_host_scoring_ns(const struct rank *r)
{
	return &r->host_scoring;
}

/* Host time, never simulated time. */
static int64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Copy a block of width w (n rows) into the row columns [off, off + w).
 * Plain loops, not memcpy: blocks are 1 to 7 floats wide, where a library
 * call per row costs more than the copy. */
static void scatter(struct rank *r, size_t n, size_t off, size_t w)
{
	float *dst = r->rows + off;
	const float *src = r->block;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < w; j++)
			dst[i * r->nf + j] = src[i * w + j];
}

static void fill_nan(struct rank *r, size_t n, size_t off, size_t w)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < w; j++)
			r->rows[i * r->nf + off + j] = NAN;
}

/* A source call's status: 0 read, 1 unavailable (err cleared), <0 error. */
static int source_status(int rc, struct error *err)
{
	if (rc == 0)
		return 0;
	if (rc == ERR_UNAVAILABLE) {
		error_clear(err);
		return 1;
	}
	return rc;
}

/* Fill rows[0..n) for the request.  Returns 0 when every source answered,
 * 1 when one was unavailable (rows incomplete), <0 on error. */
static int assemble(struct rank *r, const struct rank_request *req, size_t n,
		    struct rank_cost *cost, struct error *err)
{
	const struct rank_sources *s = &r->src;
	const uint16_t *decl;
	size_t n_decl = r->prof ? profile_topics(r->prof, req->user, &decl) : 0;
	int rc;

	if (s->show_pit) {
		cost->source_calls++;
		rc = source_status(s->show_pit(s->ctx, r->cand, n, req->now, r->block, err), err);
		if (rc)
			return rc;
		scatter(r, n, 0, RANK_PIT_COUNT);
		cost->features_read += (uint64_t)n * RANK_PIT_COUNT;
	} else {
		fill_nan(r, n, 0, RANK_PIT_COUNT);
	}
	if (s->user_batch && s->n_user) {
		cost->source_calls++;
		rc = source_status(s->user_batch(s->ctx, req->user, req->now, r->user_row, err), err);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < s->n_user; j++)
				r->rows[i * r->nf + r->off_user + j] = r->user_row[j];
		cost->features_read += s->n_user;
	} else {
		fill_nan(r, n, r->off_user, s->n_user);
	}
	if (s->creator_batch && s->n_creator) {
		cost->source_calls++;
		rc = source_status(s->creator_batch(s->ctx, r->creators, n, req->now, r->block, err),
				   err);
		if (rc)
			return rc;
		scatter(r, n, r->off_creator, s->n_creator);
		cost->features_read += (uint64_t)n * s->n_creator;
	} else {
		fill_nan(r, n, r->off_creator, s->n_creator);
	}
	if (s->user_topic && s->n_topic) {
		cost->source_calls++;
		rc = source_status(s->user_topic(s->ctx, req->user, r->topics, n, req->now, r->block,
						 err), err);
		if (rc)
			return rc;
		scatter(r, n, r->off_topic, s->n_topic);
		cost->features_read += (uint64_t)n * s->n_topic;
	} else {
		fill_nan(r, n, r->off_topic, s->n_topic);
	}
	if (s->user_creator && s->n_pair) {
		cost->source_calls++;
		rc = source_status(s->user_creator(s->ctx, req->user, r->creators, n, req->now,
						   r->block, err), err);
		if (rc)
			return rc;
		scatter(r, n, r->off_pair, s->n_pair);
		cost->features_read += (uint64_t)n * s->n_pair;
	} else {
		fill_nan(r, n, r->off_pair, s->n_pair);
	}
	for (size_t i = 0; i < n; i++) {
		float *ctx = r->rows + i * r->nf + r->off_ctx;
		bool match = false;

		for (size_t t = 0; t < n_decl; t++)
			if (decl[t] == r->topics[i])
				match = true;
		ctx[RANK_CTX_IS_LIVE] = r->facts[i].live ? 1.0f : 0.0f;
		ctx[RANK_CTX_MINUTES_TO_START] =
			(float)((double)(r->facts[i].start_us - req->now) / SIMTIME_MIN);
		ctx[RANK_CTX_DECLARED_MATCH] = match ? 1.0f : 0.0f;
		ctx[RANK_CTX_DECLARED_COUNT] = (float)n_decl;
	}
	return 0;
}

/* The candidates' facts (creator, topic, start, live) for cand[0..n),
 * read from the catalog unless they are still those of the same list in
 * the same catalog. */
static void candidate_facts(struct rank *r, size_t n)
{
	uint64_t v = catalog_version(r->cat);

	if (r->meta_valid && v == r->meta_version && n == r->meta_n &&
	    memcmp(r->cand, r->meta_cand, n * sizeof(*r->cand)) == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		uint32_t show = r->cand[i];

		r->creators[i] = catalog_creator(r->cat, show);
		r->topics[i] = catalog_topic(r->cat, show);
		r->facts[i] = (struct airtime_candidate){
			.show = show,
			.creator = r->creators[i],
			.topic = r->topics[i],
			.live = catalog_state(r->cat, show) == CATALOG_LIVE,
			.start_us = catalog_start(r->cat, show),
		};
	}
	memcpy(r->meta_cand, r->cand, n * sizeof(*r->cand));
	r->meta_n = n;
	r->meta_version = v;
	r->meta_valid = true;
}

/* a ranks above b: higher score, then lower show id; NaN ranks last. */
static bool better(double sa, uint32_t a, double sb, uint32_t b)
{
	if (isnan(sa))
		sa = -INFINITY;
	if (isnan(sb))
		sb = -INFINITY;
	return sa > sb || (sa == sb && a < b);
}

/* Insertion into a sorted page of at most K: O(n K), K is small. */
static size_t top_k(struct rank *r, size_t n)
{
	size_t k = 0, cap = r->cfg.k;

	for (size_t i = 0; i < n; i++) {
		double s = r->scores[i];
		uint32_t id = r->cand[i];
		size_t at;

		if (k == cap && !better(s, id, r->page_scores[k - 1], r->page[k - 1]))
			continue;
		at = k < cap ? k : cap - 1;
		while (at > 0 && better(s, id, r->page_scores[at - 1], r->page[at - 1])) {
			r->page[at] = r->page[at - 1];
			r->page_scores[at] = r->page_scores[at - 1];
			at--;
		}
		r->page[at] = id;
		r->page_scores[at] = s;
		if (k < cap)
			k++;
	}
	return k;
}

int rank_request(struct rank *r, const struct rank_request *req, struct rank_result *res,
		 struct error *err)
{
	unsigned id = (unsigned)req->scorer;
	struct scorer *s;
	bool needs_rows, rows_ok = false;
	int64_t t0 = 0, t1 = 0, t2 = 0;
	size_t n;
	int rc;

	memset(res, 0, sizeof(*res));
	r->last_n = 0;
	r->last_rows = false;
	if (id >= RANK_SCORERS_MAX)
		return error_set(err, ERR_INPUT, "rank: unknown scorer %d", (int)req->scorer);
	if (!(s = r->scorers[id])) {
		if (id == RANK_FOREST)
			return error_set(err, ERR_INPUT,
					 "rank: scorer 'forest' asked for but no model loaded");
		if (id == RANK_ORACLE)
			return error_set(err, ERR_INPUT,
					 "rank: scorer 'oracle' asked for but no oracle wired");
		return error_set(err, ERR_INPUT, "rank: no scorer attached as scorer %u", id);
	}
	needs_rows = scorer_needs_features(s);
	r->stats.requests[id]++;

	if (r->cfg.host_timing)
		t0 = host_ns();
	scorer_prepare(s);
	n = catalog_candidates(r->cat, req->now, r->cfg.horizon, r->cfg.late_grace, r->cand,
			       r->cfg.max_candidates);
	candidate_facts(r, n);
	res->cost.candidates = (uint32_t)n;
	res->cost.scored = (uint32_t)n;
	if (n && (needs_rows || req->want_rows)) {
		rc = assemble(r, req, n, &res->cost, err);
		if (rc < 0)
			return rc;
		rows_ok = rc == 0;
		if (!rows_ok && needs_rows) {
			r->stats.fallbacks[id]++;
			res->fell_back = true;
			id = RANK_HEURISTIC;
			s = r->scorers[id];
		}
	}
	if (r->cfg.host_timing)
		t1 = host_ns();

	if (n) {
		const uint16_t *decl = NULL;
		struct airtime_context ctx = {
			.user = req->user,
			.n_declared = r->prof ? (uint32_t)profile_topics(r->prof, req->user, &decl) : 0,
			.now_us = req->now,
			.request_id = req->request_id,
		};
		struct airtime_page page = {
			.context = &ctx,
			.n = (uint32_t)n,
			.stride = (uint32_t)r->nf,
			.candidates = r->facts,
			.features = rows_ok ? r->rows : NULL,
		};
		struct scorer_cost sc = { 0 };

		ctx.declared_topics = decl;
		if ((rc = scorer_score(s, &page, r->scores, &sc, err)) < 0)
			return rc;
		res->cost.trees = sc.trees;
		res->cost.nodes_visited = sc.nodes_visited;
		res->cost.scorer_ns = sc.service_ns;
	}
	res->k = top_k(r, n);
	if (r->cfg.host_timing) {
		t2 = host_ns();
		if (n && (needs_rows || req->want_rows))
			hist_record(&r->host_assembly, t1 - t0 > 0 ? t1 - t0 : 0);
		hist_record(&r->host_scoring, t2 - t1 > 0 ? t2 - t1 : 0);
	}
	if (!n)
		r->stats.empty_pages++;
	r->last_n = n;
	r->last_rows = rows_ok;
	res->scores = r->scores;
	res->page = r->page;
	res->page_scores = r->page_scores;
	res->candidates = r->cand;
	res->n_candidates = n;
	res->rows = rows_ok ? r->rows : NULL;
	res->stride = r->nf;
	res->scorer_used = (enum rank_scorer)id;
	return 0;
}

int rank_rescore(struct rank *r, const struct rank_request *req, unsigned id, double *scores,
		 bool *fell_back, struct error *err)
{
	const uint16_t *decl = NULL;
	struct airtime_context ctx = {
		.user = req->user,
		.now_us = req->now,
		.request_id = req->request_id,
	};
	struct airtime_page page = {
		.context = &ctx,
		.n = (uint32_t)r->last_n,
		.stride = (uint32_t)r->nf,
		.candidates = r->facts,
		.features = r->last_rows ? r->rows : NULL,
	};
	struct scorer_cost sc = { 0 };
	struct scorer *s;

	if (fell_back)
		*fell_back = false;
	if (id >= RANK_SCORERS_MAX || !(s = r->scorers[id]))
		return error_set(err, ERR_INPUT, "rank: no scorer %u to score the page again with", id);
	if (!r->last_n)
		return 0;
	if (scorer_needs_features(s) && !r->last_rows) {
		s = r->scorers[RANK_HEURISTIC];
		if (fell_back)
			*fell_back = true;
	}
	ctx.n_declared = r->prof ? (uint32_t)profile_topics(r->prof, req->user, &decl) : 0;
	ctx.declared_topics = decl;
	scorer_prepare(s);
	return scorer_score(s, &page, scores, &sc, err);
}
