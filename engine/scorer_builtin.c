/* Heuristic, popularity, random and oracle scorers; see scorer_builtin.h. */
#include "engine/scorer_builtin.h"

#include <math.h>
#include <stdlib.h>

#include "common/rng.h"
#include "common/xalloc.h"

/* Declared topics first, then earliest scheduled start.  Start offsets are
 * whole microseconds clamped to +-2^49 (17 years), so bonus - offset stays
 * an exact integer below 2^52 and the two tiers never mix: the match bonus
 * 2^51 exceeds twice any offset. */
static int heuristic_score(void *self, const struct airtime_page *page, double *scores,
			   struct scorer_cost *cost, struct error *err)
{
	const struct airtime_context *c = page->context;

	(void)self, (void)cost, (void)err;
	for (uint32_t i = 0; i < page->n; i++) {
		const struct airtime_candidate *cd = &page->candidates[i];
		simtime off = cd->start_us - c->now_us;
		bool match = false;

		for (uint32_t t = 0; t < c->n_declared; t++)
			if (c->declared_topics[t] == cd->topic)
				match = true;
		if (off > (INT64_C(1) << 49))
			off = INT64_C(1) << 49;
		if (off < -(INT64_C(1) << 49))
			off = -(INT64_C(1) << 49);
		scores[i] = (match ? 2251799813685248.0 : 0.0) - (double)off;
	}
	return 0;
}

static const struct scorer_ops heuristic_ops = {
	.kind = "heuristic",
	.score = heuristic_score,
};

struct scorer *scorer_heuristic_new(void)
{
	return scorer_wrap("heuristic", &heuristic_ops, NULL, 0);
}

struct popularity {
	size_t live, listens;
};

static double zero_if_nan(float x)
{
	return isnan(x) ? 0.0 : (double)x;
}

/* Live listeners now; listens so far break near-ties (scaled below one). */
static int popularity_score(void *self, const struct airtime_page *page, double *scores,
			    struct scorer_cost *cost, struct error *err)
{
	const struct popularity *p = self;

	(void)cost, (void)err;
	for (uint32_t i = 0; i < page->n; i++) {
		const float *row = page->features + (size_t)i * page->stride;
		double listens = zero_if_nan(row[p->listens]);

		scores[i] = zero_if_nan(row[p->live]) + listens / (listens + 1.0);
	}
	return 0;
}

static const struct scorer_ops popularity_ops = {
	.kind = "popularity",
	.needs_features = true,
	.score = popularity_score,
	.destroy = free,
};

struct scorer *scorer_popularity_new(size_t col_live, size_t col_listens)
{
	struct popularity *p = xcalloc(1, sizeof(*p));

	p->live = col_live;
	p->listens = col_listens;
	return scorer_wrap("popularity", &popularity_ops, p, 0);
}

static int random_score(void *self, const struct airtime_page *page, double *scores,
			struct scorer_cost *cost, struct error *err)
{
	const uint64_t *seed = self;
	struct rng g;

	(void)cost, (void)err;
	rng_init(&g, *seed, RNG_RANKER, page->context->request_id, 0);
	for (uint32_t i = 0; i < page->n; i++)
		scores[i] = rng_uniform(&g);
	return 0;
}

static const struct scorer_ops random_ops = {
	.kind = "random",
	.score = random_score,
	.destroy = free,
};

struct scorer *scorer_random_new(uint64_t seed)
{
	uint64_t *s = xcalloc(1, sizeof(*s));

	*s = seed;
	return scorer_wrap("random", &random_ops, s, 0);
}

struct oracle {
	scorer_truth_fn truth;
	void *ctx;
	uint32_t *shows;   /* max */
	size_t max;
};

static int oracle_score(void *self, const struct airtime_page *page, double *scores,
			struct scorer_cost *cost, struct error *err)
{
	struct oracle *o = self;

	(void)cost;
	ASSERT(page->n <= o->max);
	for (uint32_t i = 0; i < page->n; i++)
		o->shows[i] = page->candidates[i].show;
	return o->truth(o->ctx, page->context->user, o->shows, page->n, page->context->now_us,
			scores, err);
}

static void oracle_destroy(void *self)
{
	struct oracle *o = self;

	free(o->shows);
	free(o);
}

static const struct scorer_ops oracle_ops = {
	.kind = "oracle",
	.score = oracle_score,
	.destroy = oracle_destroy,
};

struct scorer *scorer_oracle_new(scorer_truth_fn truth, void *ctx, size_t max_rows)
{
	struct oracle *o = xcalloc(1, sizeof(*o));

	o->truth = truth;
	o->ctx = ctx;
	o->max = max_rows;
	o->shows = xcalloc(max_rows ? max_rows : 1, sizeof(*o->shows));
	return scorer_wrap("oracle", &oracle_ops, o, 0);
}
