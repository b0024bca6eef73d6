/* Candidate generation, feature assembly, scoring and top-K; see rank.h. */
#include "engine/rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/rng.h"
#include "common/xalloc.h"
#include "engine/workpool.h"

/* Host timings are recorded in nanoseconds up to 10 s, 3 digits. */
#define HOST_HIST_HIGHEST INT64_C(10000000000)
/* Rows per block when a page is scored on several threads: ~15 us of
 * forest work, small enough to share ~800 rows out evenly. */
#define SCORE_BLOCK 64

struct rank;

/* A page's rows as a scoring job reads them (workpool_fn's ctx): one per
 * row buffer, rewritten only while no helper is in its last job. */
struct score_job {
	struct rank *r;
	const float *rows;
	size_t stride;
};

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
	struct rank_model model;
	bool has_model;
	uint64_t seed;

	size_t nf;                   /* row width */
	size_t off_user, off_creator, off_topic, off_pair, off_ctx;
	char **names;                /* [nf] */

	/* model column map: model feature j = row column colmap[j] */
	size_t *colmap;
	bool model_identity;

	/* scratch, sized for max_candidates */
	uint32_t *cand;
	/* Per-candidate catalog facts, kept while the candidate list and the
	 * catalog (catalog_version) stay the same: most requests repeat the
	 * last one's list, and these are scattered reads of the catalog. */
	uint32_t *creators;
	uint16_t *topics;
	simtime *starts;
	uint8_t *live;
	uint32_t *meta_cand;         /* the list they were read for */
	size_t meta_n;
	uint64_t meta_version;
	bool meta_valid;
	float *rows;                 /* max x nf */
	float *block;                /* max x widest source block */
	float *user_row;             /* n_user */
	float *model_rows;           /* max x model nf, when not identity */
	double *scores;
	uint32_t *page;
	double *page_scores;

	/* Scoring on several threads (cfg.threads > 1 and a model).  rows
	 * and model_rows point at one of n_bufs buffers: a helper that was
	 * too late for its block may still read the last job's buffer (see
	 * workpool.h), so a request assembles into one no helper is in. */
	struct workpool *pool;
	size_t n_bufs, buf;
	float **rows_buf, **model_rows_buf;   /* [n_bufs] */
	uint32_t *buf_job;                    /* [n_bufs]: last job that read it */
	struct score_job *jobs;               /* [n_bufs] */
	double **helper_scores;               /* [threads]: max each; [0] unused */
	int **helper_rc;                      /* [threads]: per block */
	struct error *helper_err;             /* [threads] */
	int fail_rc;                          /* caller's first failure */
	size_t fail_at;
	struct error fail_err;

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
	if (model) {
		r->model = *model;
		r->has_model = true;
		r->colmap = xcalloc(model->n_features ? model->n_features : 1, sizeof(*r->colmap));
		r->model_identity = model->n_features == r->nf;
		for (size_t j = 0; j < model->n_features; j++) {
			const char *want = model->feature_name(model->ctx, j);
			size_t c;

			for (c = 0; c < r->nf; c++)
				if (!strcmp(r->names[c], want))
					break;
			if (c == r->nf) {
				error_set(err, ERR_INPUT,
					  "rank: model feature '%s' is not in the ranker's feature layout",
					  want);
				rank_free(r);
				return NULL;
			}
			r->colmap[j] = c;
			if (c != j)
				r->model_identity = false;
		}
		if (cfg->threads > 1 &&
		    !(r->pool = workpool_new(cfg->threads, (max + SCORE_BLOCK - 1) / SCORE_BLOCK,
					     err))) {
			rank_free(r);
			return NULL;
		}
	}

	widest = max_size(RANK_PIT_COUNT, max_size(src->n_creator,
						   max_size(src->n_topic, src->n_pair)));
	r->cand = xcalloc(max, sizeof(*r->cand));
	r->creators = xcalloc(max, sizeof(*r->creators));
	r->topics = xcalloc(max, sizeof(*r->topics));
	r->starts = xcalloc(max, sizeof(*r->starts));
	r->live = xcalloc(max, sizeof(*r->live));
	r->meta_cand = xcalloc(max, sizeof(*r->meta_cand));
	/* Each helper is in at most one job, so threads + 1 buffers always
	 * leave one free. */
	r->n_bufs = r->pool ? cfg->threads + 1 : 1;
	r->rows_buf = xcalloc(r->n_bufs, sizeof(*r->rows_buf));
	r->model_rows_buf = xcalloc(r->n_bufs, sizeof(*r->model_rows_buf));
	r->buf_job = xcalloc(r->n_bufs, sizeof(*r->buf_job));
	r->jobs = xcalloc(r->n_bufs, sizeof(*r->jobs));
	for (size_t b = 0; b < r->n_bufs; b++) {
		r->rows_buf[b] = xcalloc(max * r->nf, sizeof(float));
		if (model && !r->model_identity)
			r->model_rows_buf[b] = xcalloc(max * (model->n_features ? model->n_features
									 : 1), sizeof(float));
		r->jobs[b].r = r;
	}
	r->rows = r->rows_buf[0];
	r->model_rows = r->model_rows_buf[0];
	if (r->pool) {
		r->helper_scores = xcalloc(cfg->threads, sizeof(*r->helper_scores));
		r->helper_rc = xcalloc(cfg->threads, sizeof(*r->helper_rc));
		r->helper_err = xcalloc(cfg->threads, sizeof(*r->helper_err));
		for (unsigned t = 1; t < cfg->threads; t++) {
			r->helper_scores[t] = xcalloc(max, sizeof(double));
			r->helper_rc[t] = xcalloc((max + SCORE_BLOCK - 1) / SCORE_BLOCK, sizeof(int));
		}
	}
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
	/* Joins the helpers first: a late one may still read a buffer. */
	workpool_free(r->pool);
	for (size_t b = 0; b < r->n_bufs; b++) {
		free(r->rows_buf[b]);
		free(r->model_rows_buf[b]);
	}
	free(r->rows_buf);
	free(r->model_rows_buf);
	free(r->buf_job);
	free(r->jobs);
	if (r->helper_scores)
		for (unsigned t = 1; t < r->cfg.threads; t++) {
			free(r->helper_scores[t]);
			free(r->helper_rc[t]);
		}
	free(r->helper_scores);
	free(r->helper_rc);
	free(r->helper_err);
	free(r->colmap);
	free(r->cand);
	free(r->creators);
	free(r->topics);
	free(r->starts);
	free(r->live);
	free(r->meta_cand);
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
		ctx[RANK_CTX_IS_LIVE] = r->live[i] ? 1.0f : 0.0f;
		ctx[RANK_CTX_MINUTES_TO_START] =
			(float)((double)(r->starts[i] - req->now) / SIMTIME_MIN);
		ctx[RANK_CTX_DECLARED_MATCH] = match ? 1.0f : 0.0f;
		ctx[RANK_CTX_DECLARED_COUNT] = (float)n_decl;
	}
	return 0;
}

/* Declared topics first, then earliest scheduled start.  Start offsets are
 * whole microseconds clamped to +-2^49 (17 years), so bonus - offset stays
 * an exact integer below 2^52 and the two tiers never mix: the match bonus
 * 2^51 exceeds twice any offset. */
static void score_heuristic(struct rank *r, const struct rank_request *req, size_t n)
{
	const uint16_t *decl;
	size_t n_decl = r->prof ? profile_topics(r->prof, req->user, &decl) : 0;

	for (size_t i = 0; i < n; i++) {
		simtime off = r->starts[i] - req->now;
		bool match = false;

		for (size_t t = 0; t < n_decl; t++)
			if (decl[t] == r->topics[i])
				match = true;
		if (off > (INT64_C(1) << 49))
			off = INT64_C(1) << 49;
		if (off < -(INT64_C(1) << 49))
			off = -(INT64_C(1) << 49);
		r->scores[i] = (match ? 2251799813685248.0 : 0.0) - (double)off;
	}
}

static double zero_if_nan(float x)
{
	return isnan(x) ? 0.0 : (double)x;
}

/* Live listeners now; listens so far break near-ties (scaled below one). */
static void score_popularity(struct rank *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const float *row = r->rows + i * r->nf;
		double listens = zero_if_nan(row[RANK_PIT_LISTENS]);

		r->scores[i] = zero_if_nan(row[RANK_PIT_LIVE_LISTENERS]) +
			       listens / (listens + 1.0);
	}
}

static void score_random(struct rank *r, const struct rank_request *req, size_t n)
{
	struct rng g;

	rng_init(&g, r->seed, RNG_RANKER, req->request_id, 0);
	for (size_t i = 0; i < n; i++)
		r->scores[i] = rng_uniform(&g);
}

/* One block of a page's rows (workpool_fn).  The caller (slot 0) scores
 * into r->scores and keeps the failure on the lowest row; a helper writes
 * only its own arrays, read back by collect_block(). */
static void score_block(void *ctx, unsigned slot, size_t begin, size_t end)
{
	const struct score_job *job = ctx;
	struct rank *r = job->r;
	const float *rows = job->rows + begin * job->stride;
	int rc;

	if (slot) {
		r->helper_rc[slot][begin / SCORE_BLOCK] =
			r->model.predict(r->model.ctx, rows, end - begin, job->stride,
					 r->helper_scores[slot] + begin, &r->helper_err[slot]);
		return;
	}
	rc = r->model.predict(r->model.ctx, rows, end - begin, job->stride, r->scores + begin,
			      &r->fail_err);
	if (rc < 0 && begin < r->fail_at) {
		r->fail_rc = rc;
		r->fail_at = begin;
	}
}

/* A block a helper scored in time: its scores, or, if it failed, the block
 * again on this thread, so the error is this thread's (workpool_fn). */
static void collect_block(void *ctx, unsigned slot, size_t begin, size_t end)
{
	const struct score_job *job = ctx;
	struct rank *r = job->r;

	if (r->helper_rc[slot][begin / SCORE_BLOCK] < 0)
		score_block(ctx, 0, begin, end);
	else
		memcpy(r->scores + begin, r->helper_scores[slot] + begin,
		       (end - begin) * sizeof(*r->scores));
}

/* Score rows on the pool's threads.  Each row's score depends on that row
 * only (the rank_model contract), so the scores are the same bits as on one
 * thread.  A failure is reported as the one on the lowest failing block,
 * always from this thread, so which thread met it first does not matter. */
static int score_parallel(struct rank *r, const float *rows, size_t n, size_t stride,
			  struct error *err)
{
	struct score_job *job = &r->jobs[r->buf];

	job->rows = rows;
	job->stride = stride;
	r->fail_rc = 0;
	r->fail_at = SIZE_MAX;
	r->buf_job[r->buf] = workpool_run(r->pool, n, SCORE_BLOCK, score_block, collect_block,
					  job);
	if (r->fail_at == SIZE_MAX)
		return 0;
	*err = r->fail_err;
	return r->fail_rc;
}

/* creators, topics, starts and live for cand[0..n), read from the catalog
 * unless they are still those of the same list in the same catalog. */
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
		r->starts[i] = catalog_start(r->cat, show);
		r->live[i] = catalog_state(r->cat, show) == CATALOG_LIVE;
	}
	memcpy(r->meta_cand, r->cand, n * sizeof(*r->cand));
	r->meta_n = n;
	r->meta_version = v;
	r->meta_valid = true;
}

/* Point rows (and model_rows) at a buffer no late helper is reading. */
static void pick_buffer(struct rank *r)
{
	if (!r->pool)
		return;
	while (workpool_busy(r->pool, r->buf_job[r->buf]))
		r->buf = (r->buf + 1) % r->n_bufs;
	r->rows = r->rows_buf[r->buf];
	r->model_rows = r->model_rows_buf[r->buf];
}

static int score_forest(struct rank *r, size_t n, struct rank_cost *cost, struct error *err)
{
	const float *rows = r->rows;
	size_t stride = r->nf;

	if (!r->model_identity) {
		size_t m = r->model.n_features;

		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < m; j++)
				r->model_rows[i * m + j] = r->rows[i * r->nf + r->colmap[j]];
		rows = r->model_rows;
		stride = m;
	}
	cost->trees = r->model.n_trees;
	cost->nodes_visited = (uint64_t)n * r->model.nodes_per_row;
	if (r->pool)
		return score_parallel(r, rows, n, stride, err);
	return r->model.predict(r->model.ctx, rows, n, stride, r->scores, err);
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
	enum rank_scorer scorer = req->scorer;
	bool needs_rows = scorer == RANK_FOREST || scorer == RANK_POPULARITY;
	bool rows_ok = false;
	int64_t t0 = 0, t1 = 0, t2 = 0;
	size_t n;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((unsigned)scorer >= RANK_SCORER_COUNT)
		return error_set(err, ERR_INPUT, "rank: unknown scorer %d", (int)scorer);
	if (scorer == RANK_FOREST && !r->has_model)
		return error_set(err, ERR_INPUT, "rank: scorer 'forest' asked for but no model loaded");
	if (scorer == RANK_ORACLE && !r->src.oracle)
		return error_set(err, ERR_INPUT, "rank: scorer 'oracle' asked for but no oracle wired");
	r->stats.requests[scorer]++;

	if (r->cfg.host_timing)
		t0 = host_ns();
	/* Helpers wake while the rows are assembled. */
	if (r->pool && scorer == RANK_FOREST)
		workpool_wake(r->pool);
	pick_buffer(r);
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
			r->stats.fallbacks[scorer]++;
			res->fell_back = true;
			scorer = RANK_HEURISTIC;
		}
	}
	if (r->cfg.host_timing)
		t1 = host_ns();

	switch (scorer) {
	case RANK_FOREST:
		if (n && (rc = score_forest(r, n, &res->cost, err)) < 0)
			return rc;
		break;
	case RANK_HEURISTIC:
		score_heuristic(r, req, n);
		break;
	case RANK_POPULARITY:
		score_popularity(r, n);
		break;
	case RANK_RANDOM:
		score_random(r, req, n);
		break;
	default: /* RANK_ORACLE */
		if (n && (rc = r->src.oracle(r->src.ctx, req->user, r->cand, n, req->now, r->scores,
					     err)) < 0)
			return rc;
		break;
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
	res->page = r->page;
	res->page_scores = r->page_scores;
	res->candidates = r->cand;
	res->n_candidates = n;
	res->rows = rows_ok ? r->rows : NULL;
	res->stride = r->nf;
	res->scorer_used = scorer;
	return 0;
}
