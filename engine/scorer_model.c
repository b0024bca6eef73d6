/* A scorer over a row model (the forest); see scorer_model.h. */
#include "engine/scorer_model.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "engine/forest.h"
#include "engine/rank.h"
#include "engine/rank_forest.h"
#include "engine/workpool.h"

/* Rows per block when a page is scored on several threads: ~15 us of
 * forest work, small enough to share ~800 rows out evenly. */
#define SCORE_BLOCK 64

struct model_scorer;

/* A page's rows as a scoring job reads them (workpool_fn's ctx): one per
 * row buffer, rewritten only while no helper is in its last job. */
struct score_job {
	struct model_scorer *m;
	const float *rows;
	size_t stride;
};

struct model_scorer {
	struct rank_model model;
	struct forest *owned;         /* kind = forest: the loaded model */
	size_t nf;                    /* row width of the layout */
	size_t *colmap;               /* model feature j = row column colmap[j] */
	bool identity;
	size_t max;
	unsigned threads;

	/* Scoring on several threads: the page's rows are copied into one
	 * of n_bufs buffers no late helper reads (see workpool.h). */
	struct workpool *pool;
	size_t n_bufs, buf;
	float **bufs;                 /* [n_bufs]: max x model width */
	uint32_t *buf_job;            /* [n_bufs]: last job that read it */
	struct score_job *jobs;       /* [n_bufs] */
	double *scores;               /* the caller's, during a call */
	double **helper_scores;       /* [threads]: max each; [0] unused */
	int **helper_rc;              /* [threads]: per block */
	struct error *helper_err;     /* [threads] */
	int fail_rc;                  /* caller's first failure */
	size_t fail_at;
	struct error fail_err;
	float *gather;                /* one thread, not identity: max x model width */
};

static void model_destroy(void *self)
{
	struct model_scorer *m = self;

	if (!m)
		return;
	/* Joins the helpers first: a late one may still read a buffer. */
	workpool_free(m->pool);
	for (size_t b = 0; b < m->n_bufs; b++)
		free(m->bufs[b]);
	free(m->bufs);
	free(m->buf_job);
	free(m->jobs);
	if (m->helper_scores)
		for (unsigned t = 1; t < m->threads; t++) {
			free(m->helper_scores[t]);
			free(m->helper_rc[t]);
		}
	free(m->helper_scores);
	free(m->helper_rc);
	free(m->helper_err);
	free(m->gather);
	free(m->colmap);
	forest_free(m->owned);
	free(m);
}

/* One block of a page's rows (workpool_fn).  The caller (slot 0) scores
 * into m->scores and keeps the failure on the lowest row; a helper writes
 * only its own arrays, read back by collect_block(). */
static void score_block(void *ctx, unsigned slot, size_t begin, size_t end)
{
	const struct score_job *job = ctx;
	struct model_scorer *m = job->m;
	const float *rows = job->rows + begin * job->stride;
	int rc;

	if (slot) {
		m->helper_rc[slot][begin / SCORE_BLOCK] =
			m->model.predict(m->model.ctx, rows, end - begin, job->stride,
					 m->helper_scores[slot] + begin, &m->helper_err[slot]);
		return;
	}
	rc = m->model.predict(m->model.ctx, rows, end - begin, job->stride, m->scores + begin,
			      &m->fail_err);
	if (rc < 0 && begin < m->fail_at) {
		m->fail_rc = rc;
		m->fail_at = begin;
	}
}

/* A block a helper scored in time: its scores, or, if it failed, the block
 * again on this thread, so the error is this thread's (workpool_fn). */
static void collect_block(void *ctx, unsigned slot, size_t begin, size_t end)
{
	const struct score_job *job = ctx;
	struct model_scorer *m = job->m;

	if (m->helper_rc[slot][begin / SCORE_BLOCK] < 0)
		score_block(ctx, 0, begin, end);
	else
		memcpy(m->scores + begin, m->helper_scores[slot] + begin,
		       (end - begin) * sizeof(*m->scores));
}

/* Copy the page's rows, in the model's column order, into dst (n x width). */
static void copy_rows(const struct model_scorer *m, const float *rows, size_t n, size_t stride,
		      float *dst)
{
	size_t w = m->model.n_features;

	if (m->identity && stride == w) {
		memcpy(dst, rows, n * w * sizeof(*dst));
		return;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < w; j++)
			dst[i * w + j] = rows[i * stride + m->colmap[j]];
}

/* Score rows on the pool's threads.  Each row's score depends on that row
 * only (the rank_model contract), so the scores are the same bits as on one
 * thread.  A failure is reported as the one on the lowest failing block,
 * always from this thread, so which thread met it first does not matter. */
static int score_parallel(struct model_scorer *m, const float *rows, size_t n, size_t stride,
			  double *scores, struct error *err)
{
	struct score_job *job;
	size_t w = m->model.n_features;

	while (workpool_busy(m->pool, m->buf_job[m->buf]))
		m->buf = (m->buf + 1) % m->n_bufs;
	copy_rows(m, rows, n, stride, m->bufs[m->buf]);
	job = &m->jobs[m->buf];
	job->rows = m->bufs[m->buf];
	job->stride = w;
	m->scores = scores;
	m->fail_rc = 0;
	m->fail_at = SIZE_MAX;
	m->buf_job[m->buf] = workpool_run(m->pool, n, SCORE_BLOCK, score_block, collect_block, job);
	if (m->fail_at == SIZE_MAX)
		return 0;
	*err = m->fail_err;
	return m->fail_rc;
}

static int model_score(void *self, const struct airtime_page *page, double *scores,
		       struct scorer_cost *cost, struct error *err)
{
	struct model_scorer *m = self;
	size_t n = page->n, stride = page->stride;

	ASSERT(n <= m->max && page->features && stride >= m->nf);
	cost->trees = m->model.n_trees;
	cost->nodes_visited = (uint64_t)n * m->model.nodes_per_row;
	/* A page of one block runs in the caller alone: no helper reads it. */
	if (m->pool && n > SCORE_BLOCK)
		return score_parallel(m, page->features, n, stride, scores, err);
	if (m->identity)
		return m->model.predict(m->model.ctx, page->features, n, stride, scores, err);
	copy_rows(m, page->features, n, stride, m->gather);
	return m->model.predict(m->model.ctx, m->gather, n, m->model.n_features, scores, err);
}

static void model_prepare(void *self)
{
	struct model_scorer *m = self;

	/* Helpers wake while the rows are assembled. */
	if (m->pool)
		workpool_wake(m->pool);
}

static const struct scorer_ops model_ops = {
	.kind = "forest",
	.needs_features = true,
	.score = model_score,
	.prepare = model_prepare,
	.destroy = model_destroy,
};

static struct model_scorer *model_make(const struct rank_model *model,
					const char *const *names, size_t n_features,
					unsigned threads, size_t max_rows, struct error *err)
{
	struct model_scorer *m = xcalloc(1, sizeof(*m));
	size_t w = model->n_features ? model->n_features : 1;

	if (threads < 1 || threads > 64) {
		error_set(err, ERR_INPUT, "rank: threads %u out of range [1, 64]", threads);
		goto fail;
	}
	m->model = *model;
	m->nf = n_features;
	m->max = max_rows;
	m->threads = threads;
	m->colmap = xcalloc(w, sizeof(*m->colmap));
	m->identity = model->n_features == n_features;
	for (size_t j = 0; j < model->n_features; j++) {
		const char *want = model->feature_name(model->ctx, j);
		size_t c;

		for (c = 0; c < n_features; c++)
			if (!strcmp(names[c], want))
				break;
		if (c == n_features) {
			error_set(err, ERR_INPUT,
				  "rank: model feature '%s' is not in the ranker's feature layout", want);
			goto fail;
		}
		m->colmap[j] = c;
		if (c != j)
			m->identity = false;
	}
	if (threads > 1) {
		if (!(m->pool = workpool_new(threads, (max_rows + SCORE_BLOCK - 1) / SCORE_BLOCK, err)))
			goto fail;
		/* Each helper is in at most one job, so threads + 1 buffers
		 * always leave one free. */
		m->n_bufs = threads + 1;
		m->bufs = xcalloc(m->n_bufs, sizeof(*m->bufs));
		m->buf_job = xcalloc(m->n_bufs, sizeof(*m->buf_job));
		m->jobs = xcalloc(m->n_bufs, sizeof(*m->jobs));
		for (size_t b = 0; b < m->n_bufs; b++) {
			m->bufs[b] = xcalloc(max_rows * w, sizeof(float));
			m->jobs[b].m = m;
		}
		m->helper_scores = xcalloc(threads, sizeof(*m->helper_scores));
		m->helper_rc = xcalloc(threads, sizeof(*m->helper_rc));
		m->helper_err = xcalloc(threads, sizeof(*m->helper_err));
		for (unsigned t = 1; t < threads; t++) {
			m->helper_scores[t] = xcalloc(max_rows, sizeof(double));
			m->helper_rc[t] = xcalloc((max_rows + SCORE_BLOCK - 1) / SCORE_BLOCK,
						  sizeof(int));
		}
	}
	if (!m->identity)
		m->gather = xcalloc(max_rows * w, sizeof(float));
	return m;
fail:
	model_destroy(m);
	return NULL;
}

struct scorer *scorer_model_new(const char *name, const struct rank_model *model,
				const char *const *names, size_t n_features, unsigned threads,
				size_t max_rows, struct error *err)
{
	struct model_scorer *m = model_make(model, names, n_features, threads, max_rows, err);

	return m ? scorer_wrap(name, &model_ops, m, 0) : NULL;
}

struct scorer *scorer_model_new_owned(const char *name, struct forest *f,
				      const char *const *names, size_t n_features,
				      unsigned threads, size_t max_rows, struct error *err)
{
	struct rank_model rm;
	struct model_scorer *m;

	rank_forest_model(&rm, f);
	if (!(m = model_make(&rm, names, n_features, threads, max_rows, err))) {
		forest_free(f);
		return NULL;
	}
	m->owned = f;   /* the model's ctx: freed with the scorer */
	return scorer_wrap(name, &model_ops, m, SCORER_TIMED);
}
