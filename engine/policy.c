/* Logging policies with exact propensities; see policy.h. */
#include "engine/policy.h"

#include "common/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Weights below this are raised to it: a temperature small enough to
 * underflow exp() still gives every candidate a (tiny) chance, and the
 * probabilities stay those of the weights actually sampled from. */
#define WEIGHT_FLOOR 1e-300

static const char *const kind_names[] = { "deterministic", "plackett-luce", "epsilon" };

struct weighted {
	double w;
	uint32_t i;
};

struct policy {
	struct policy_config cfg;
	size_t cap, max_k;
	/* Plackett-Luce over the current page: weights by candidate index,
	 * and the candidates sorted by weight (heaviest first) with tail sums
	 * and an alias table over that order. */
	double *w;            /* by candidate */
	uint32_t *order;      /* sorted position -> candidate */
	uint32_t *rank_of;    /* candidate -> sorted position */
	double *ws;           /* weight by sorted position */
	double *tail;         /* tail[i] = sum of ws[i..n), n + 1 entries */
	double *alias_p;      /* alias table over sorted positions */
	uint32_t *alias_i;
	uint32_t *small, *large;
	struct weighted *sorting;
	double total;
	size_t n;
	/* The sample being drawn: removed[] stamps (== stamp: drawn). */
	uint32_t *stamp_of;
	uint32_t stamp;
	double removed_mass;
	size_t removed_max;   /* one past the largest removed sorted position */
	/* Epsilon: the greedy page and the tail. */
	uint32_t *greedy;
	uint8_t *in_page;     /* by candidate */
	uint32_t *tail_pool;
};

const char *policy_kind_name(enum policy_kind k)
{
	ASSERT((unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]));
	return kind_names[k];
}

struct policy *policy_new(const struct policy_config *cfg, size_t max_candidates, size_t max_k)
{
	struct policy *p = xcalloc(1, sizeof(*p));
	size_t n = max_candidates ? max_candidates : 1, k = max_k ? max_k : 1;

	p->cfg = *cfg;
	p->cap = n;
	p->max_k = k;
	p->w = xcalloc(n, sizeof(*p->w));
	p->order = xcalloc(n, sizeof(*p->order));
	p->rank_of = xcalloc(n, sizeof(*p->rank_of));
	p->ws = xcalloc(n, sizeof(*p->ws));
	p->tail = xcalloc(n + 1, sizeof(*p->tail));
	p->alias_p = xcalloc(n, sizeof(*p->alias_p));
	p->alias_i = xcalloc(n, sizeof(*p->alias_i));
	p->small = xcalloc(n, sizeof(*p->small));
	p->large = xcalloc(n, sizeof(*p->large));
	p->sorting = xcalloc(n, sizeof(*p->sorting));
	p->stamp_of = xcalloc(n, sizeof(*p->stamp_of));
	p->greedy = xcalloc(k, sizeof(*p->greedy));
	p->in_page = xcalloc(n, sizeof(*p->in_page));
	p->tail_pool = xcalloc(n, sizeof(*p->tail_pool));
	return p;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	free(p->w);
	free(p->order);
	free(p->rank_of);
	free(p->ws);
	free(p->tail);
	free(p->alias_p);
	free(p->alias_i);
	free(p->small);
	free(p->large);
	free(p->sorting);
	free(p->stamp_of);
	free(p->greedy);
	free(p->in_page);
	free(p->tail_pool);
	free(p);
}

const struct policy_config *policy_config(const struct policy *p)
{
	return &p->cfg;
}

/* a ranks above b: engine/rank's order (higher score, then lower id, NaN last). */
static bool better(double sa, uint32_t a, double sb, uint32_t b)
{
	if (isnan(sa))
		sa = -INFINITY;
	if (isnan(sb))
		sb = -INFINITY;
	return sa > sb || (sa == sb && a < b);
}

size_t policy_top_k(const double *scores, const uint32_t *ids, size_t n, size_t k,
		    uint32_t *out)
{
	size_t m = 0;

	for (size_t i = 0; i < n && k; i++) {
		size_t at;

		if (m == k && !better(scores[i], ids[i], scores[out[m - 1]], ids[out[m - 1]]))
			continue;
		at = m < k ? m : k - 1;
		while (at > 0 && better(scores[i], ids[i], scores[out[at - 1]], ids[out[at - 1]])) {
			out[at] = out[at - 1];
			at--;
		}
		out[at] = (uint32_t)i;
		if (m < k)
			m++;
	}
	return m;
}

/* ---- Plackett-Luce ---- */

/* Heaviest first, ties by candidate index: a total order, so the sort is
 * the same on every platform. */
static int by_weight(const void *a, const void *b)
{
	const struct weighted *x = a, *y = b;

	if (x->w != y->w)
		return x->w > y->w ? -1 : 1;
	return x->i < y->i ? -1 : (x->i > y->i);
}

/* Weights of the page's candidates, their order, tail sums and alias table. */
static void pl_prepare(struct policy *p, const double *scores, size_t n)
{
	double lo = INFINITY, sum = 0, sq = 0, mean, sd, zmax = -INFINITY;
	size_t finite = 0, ns, nl;

	ASSERT(n <= p->cap);
	p->n = n;
	for (size_t i = 0; i < n; i++)
		if (isfinite(scores[i])) {
			lo = scores[i] < lo ? scores[i] : lo;
			sum += scores[i];
			finite++;
		}
	mean = finite ? sum / (double)finite : 0;
	for (size_t i = 0; i < n; i++) {
		double s = isfinite(scores[i]) ? scores[i] : (finite ? lo : 0);

		p->w[i] = s;   /* the score, for now */
		sq += (s - mean) * (s - mean);
	}
	sd = n > 1 ? sqrt(sq / (double)n) : 0;
	if (!(sd > 0) || !isfinite(sd)) {
		for (size_t i = 0; i < n; i++)
			p->w[i] = 0;
		sd = 1;
		mean = 0;
	} else {
		for (size_t i = 0; i < n; i++)
			p->w[i] = (p->w[i] - mean) / sd;
	}
	for (size_t i = 0; i < n; i++)
		zmax = p->w[i] > zmax ? p->w[i] : zmax;
	for (size_t i = 0; i < n; i++) {
		double w = exp((p->w[i] - zmax) / p->cfg.temperature);

		p->w[i] = w < WEIGHT_FLOOR ? WEIGHT_FLOOR : w;
		p->sorting[i] = (struct weighted){ p->w[i], (uint32_t)i };
	}
	qsort(p->sorting, n, sizeof(*p->sorting), by_weight);
	for (size_t i = 0; i < n; i++)
		p->order[i] = p->sorting[i].i;
	for (size_t i = 0; i < n; i++) {
		p->ws[i] = p->w[p->order[i]];
		p->rank_of[p->order[i]] = (uint32_t)i;
	}
	p->tail[n] = 0;
	for (size_t i = n; i-- > 0;)
		p->tail[i] = p->tail[i + 1] + p->ws[i];
	p->total = p->tail[0];
	/* Vose's alias method over the sorted positions. */
	ns = nl = 0;
	for (size_t i = 0; i < n; i++) {
		p->alias_p[i] = p->ws[i] * (double)n / p->total;
		if (p->alias_p[i] < 1)
			p->small[ns++] = (uint32_t)i;
		else
			p->large[nl++] = (uint32_t)i;
	}
	while (ns && nl) {
		uint32_t s = p->small[--ns], l = p->large[--nl];

		p->alias_i[s] = l;
		p->alias_p[l] -= 1 - p->alias_p[s];
		if (p->alias_p[l] < 1)
			p->small[ns++] = l;
		else
			p->large[nl++] = l;
	}
	while (nl)
		p->alias_p[p->large[--nl]] = 1;
	while (ns)
		p->alias_p[p->small[--ns]] = 1;
}

/* A new sample: nothing drawn. */
static void sample_reset(struct policy *p)
{
	if (++p->stamp == 0) {
		memset(p->stamp_of, 0, p->cap * sizeof(*p->stamp_of));
		p->stamp = 1;
	}
	p->removed_mass = 0;
	p->removed_max = 0;
}

static bool removed(const struct policy *p, size_t pos)
{
	return p->stamp_of[pos] == p->stamp;
}

static void sample_remove(struct policy *p, size_t pos)
{
	p->stamp_of[pos] = p->stamp;
	p->removed_mass += p->ws[pos];
	if (pos + 1 > p->removed_max)
		p->removed_max = pos + 1;
}

/* The weight not yet drawn.  W minus the drawn weight is exact enough while
 * the drawn weight is at most half of W; beyond, the remaining weights are
 * summed (no cancellation: the drawn ones are the heavy ones then). */
static double remaining(const struct policy *p)
{
	double r;

	if (p->removed_mass <= 0.5 * p->total)
		return p->total - p->removed_mass;
	r = p->tail[p->removed_max];
	for (size_t i = 0; i < p->removed_max; i++)
		if (!removed(p, i))
			r += p->ws[i];
	return r;
}

/* One slot: a sorted position not drawn yet, with probability ws / remaining. */
static size_t pl_draw_one(struct policy *p, struct rng *r, double rest)
{
	size_t n = p->n, last = n;

	if (p->removed_mass <= 0.5 * p->total) {
		/* rejection from the alias table: at most 2 tries expected */
		for (;;) {
			size_t i = (size_t)rng_below(r, n);

			if (rng_uniform(r) >= p->alias_p[i])
				i = p->alias_i[i];
			if (!removed(p, i))
				return i;
		}
	}
	{
		double x = rng_uniform(r) * rest, acc = 0;

		for (size_t i = 0; i < n; i++) {
			if (removed(p, i))
				continue;
			acc += p->ws[i];
			last = i;
			if (acc > x)
				return i;
		}
	}
	ASSERT(last < n);
	return last;   /* rounding: the last one left */
}

/* Monte Carlo marginal of sorted position a at slot j > 0, by importance
 * sampling: S prefixes of length j drawn from the policy without a (q),
 * each weighted by P(prefix) / q(prefix) = prod_i (R_i - w_a) / R_i, times
 * a's chance after it, w_a / R_j (R_i: the weight left before slot i,
 * a's included).  Unbiased and never 0, even for a show the policy nearly
 * always puts above slot j. */
static double pl_marginal(struct policy *p, size_t a, size_t j, struct rng *mc, uint32_t s_count)
{
	double wa = p->ws[a], acc = 0;

	for (uint32_t s = 0; s < s_count; s++) {
		double ratio = 1;

		sample_reset(p);
		sample_remove(p, a);
		for (size_t i = 0; i < j; i++) {
			double without = remaining(p);   /* R_i - w_a */

			ratio *= without / (without + wa);
			sample_remove(p, pl_draw_one(p, mc, without));
		}
		acc += ratio * wa / (remaining(p) + wa);
	}
	return fmin(1, acc / (double)s_count);
}

/* Marginals of the given page (sorted positions pos[0..k)): slot 1 exact,
 * the others pl_marginal's. */
static void pl_marginals(struct policy *p, const uint32_t *pos, size_t k, struct rng *mc,
			 double *marg)
{
	uint32_t s_count = p->cfg.marginal_samples ? p->cfg.marginal_samples : 1;

	if (!marg || k == 0)
		return;
	marg[0] = p->ws[pos[0]] / p->total;
	for (size_t j = 1; j < k; j++)
		marg[j] = pl_marginal(p, pos[j], j, mc, s_count);
}

/* Exact conditionals of the page pos[0..k) (sorted positions). */
static void pl_conditionals(struct policy *p, const uint32_t *pos, size_t k, double *cond)
{
	sample_reset(p);
	for (size_t j = 0; j < k; j++) {
		if (cond)
			cond[j] = removed(p, pos[j]) ? 0 : fmin(1, p->ws[pos[j]] / remaining(p));
		if (!removed(p, pos[j]))
			sample_remove(p, pos[j]);
	}
}

/* ---- epsilon-greedy swaps ---- */

/* P(Binomial(m, eps) < t): the tail still has a show for slot m (0-based). */
static double below(size_t m, double eps, size_t t)
{
	double pmf, cdf = 0;

	if (t > m)
		return 1;
	if (eps >= 1)
		return 0;   /* m >= t attempts, all succeeded */
	/* sum_{i < t} C(m, i) eps^i (1 - eps)^(m - i), by the pmf's recurrence */
	pmf = pow(1 - eps, (double)m);
	for (size_t i = 0; i < t; i++) {
		cdf += pmf;
		pmf *= (double)(m - i) / (double)(i + 1) * eps / (1 - eps);
	}
	return cdf > 1 ? 1 : cdf;
}

static size_t eps_prepare(struct policy *p, const double *scores, const uint32_t *ids, size_t n,
			  size_t k)
{
	size_t kk = policy_top_k(scores, ids, n, k, p->greedy), t = 0;

	memset(p->in_page, 0, n * sizeof(*p->in_page));
	for (size_t j = 0; j < kk; j++)
		p->in_page[p->greedy[j]] = 1;
	for (size_t i = 0; i < n; i++)
		if (!p->in_page[i])
			p->tail_pool[t++] = (uint32_t)i;
	p->n = n;
	return kk;
}

static void eps_probabilities(const struct policy *p, const uint32_t *page, size_t kk,
			      double *cond, double *marg)
{
	double e = p->cfg.epsilon;
	size_t t = p->n - kk, m = 0;

	for (size_t j = 0; j < kk; j++) {
		bool greedy = page[j] == p->greedy[j];
		bool tail = !p->in_page[page[j]];
		double q = e * below(j, e, t);

		if (cond)
			cond[j] = greedy ? (m < t ? 1 - e : 1) : (tail && m < t ? e / (double)(t - m) : 0);
		if (marg)
			marg[j] = greedy ? 1 - q : (tail && t ? q / (double)t : 0);
		m += !greedy;
	}
}

/* ---- the policy ---- */

size_t policy_draw(struct policy *p, const double *scores, const uint32_t *ids, size_t n,
		   size_t k, struct rng *draw, struct rng *mc, uint32_t *out, double *cond,
		   double *marg)
{
	size_t kk = k < n ? k : n;

	ASSERT(kk <= p->max_k && n <= p->cap);
	switch (p->cfg.kind) {
	case POLICY_DETERMINISTIC:
		kk = policy_top_k(scores, ids, n, k, out);
		for (size_t j = 0; j < kk; j++) {
			if (cond)
				cond[j] = 1;
			if (marg)
				marg[j] = 1;
		}
		return kk;
	case POLICY_PLACKETT_LUCE: {
		uint32_t *pos = p->greedy;   /* scratch: sorted positions of the page */

		pl_prepare(p, scores, n);
		sample_reset(p);
		for (size_t j = 0; j < kk; j++) {
			size_t i = pl_draw_one(p, draw, remaining(p));

			pos[j] = (uint32_t)i;
			sample_remove(p, i);
		}
		pl_conditionals(p, pos, kk, cond);
		pl_marginals(p, pos, kk, mc, marg);
		for (size_t j = 0; j < kk; j++)
			out[j] = p->order[pos[j]];
		return kk;
	}
	case POLICY_EPSILON: {
		size_t t, m = 0;

		kk = eps_prepare(p, scores, ids, n, k);
		t = n - kk;
		for (size_t j = 0; j < kk; j++) {
			double u = rng_uniform(draw);

			if (u < p->cfg.epsilon && m < t) {
				size_t r = m + (size_t)rng_below(draw, t - m);
				uint32_t c = p->tail_pool[r];

				p->tail_pool[r] = p->tail_pool[m];
				p->tail_pool[m++] = c;
				out[j] = c;
			} else {
				out[j] = p->greedy[j];
			}
		}
		eps_probabilities(p, out, kk, cond, marg);
		return kk;
	}
	}
	BUG("unknown logging policy %d", (int)p->cfg.kind);
}

void policy_propensities(struct policy *p, const double *scores, const uint32_t *ids,
			 size_t n, const uint32_t *page, size_t k, struct rng *mc, double *cond,
			 double *marg)
{
	ASSERT(k <= p->max_k && k <= n && n <= p->cap);
	switch (p->cfg.kind) {
	case POLICY_DETERMINISTIC: {
		size_t kk = policy_top_k(scores, ids, n, k, p->greedy);

		for (size_t j = 0; j < k; j++) {
			double v = j < kk && page[j] == p->greedy[j] ? 1 : 0;

			/* a prefix off the greedy page has probability 0 */
			if (j > 0 && cond && cond[j - 1] == 0)
				v = 0;
			if (cond)
				cond[j] = v;
			if (marg)
				marg[j] = j < kk && page[j] == p->greedy[j] ? 1 : 0;
		}
		return;
	}
	case POLICY_PLACKETT_LUCE: {
		uint32_t *pos = p->greedy;

		pl_prepare(p, scores, n);
		for (size_t j = 0; j < k; j++)
			pos[j] = p->rank_of[page[j]];
		pl_conditionals(p, pos, k, cond);
		pl_marginals(p, pos, k, mc, marg);
		return;
	}
	case POLICY_EPSILON:
		eps_prepare(p, scores, ids, n, k);
		eps_probabilities(p, page, k, cond, marg);
		return;
	}
	BUG("unknown logging policy %d", (int)p->cfg.kind);
}

void policy_slot_distribution(struct policy *p, const double *scores, const uint32_t *ids,
			      size_t n, size_t k, const uint32_t *page, size_t j,
			      struct rng *mc, double *cond_all, double *marg_all)
{
	ASSERT(j < k && k <= n && n <= p->cap && k <= p->max_k);
	switch (p->cfg.kind) {
	case POLICY_DETERMINISTIC: {
		size_t kk = policy_top_k(scores, ids, n, k, p->greedy);

		(void)kk;
		for (size_t c = 0; c < n; c++)
			cond_all[c] = marg_all[c] = c == p->greedy[j] ? 1 : 0;
		return;
	}
	case POLICY_PLACKETT_LUCE: {
		uint32_t s_count = p->cfg.marginal_samples ? p->cfg.marginal_samples : 1;
		double rest;

		pl_prepare(p, scores, n);
		sample_reset(p);
		for (size_t i = 0; i < j; i++)
			sample_remove(p, p->rank_of[page[i]]);
		rest = remaining(p);
		for (size_t c = 0; c < n; c++) {
			size_t pos = p->rank_of[c];

			cond_all[c] = removed(p, pos) ? 0 : fmin(1, p->ws[pos] / rest);
			marg_all[c] = 0;
		}
		for (size_t c = 0; c < n; c++)
			marg_all[c] = j == 0 ? p->w[c] / p->total
					     : pl_marginal(p, p->rank_of[c], j, mc, s_count);
		return;
	}
	case POLICY_EPSILON: {
		size_t kk = eps_prepare(p, scores, ids, n, k), t = n - kk, m = 0;
		double e = p->cfg.epsilon, q = e * below(j, e, t);

		for (size_t i = 0; i < j; i++)
			m += page[i] != p->greedy[i];
		for (size_t c = 0; c < n; c++) {
			bool used = false;

			for (size_t i = 0; i < j; i++)
				used = used || page[i] == c;
			if (c == p->greedy[j]) {
				cond_all[c] = m < t ? 1 - e : 1;
				marg_all[c] = 1 - q;
			} else if (!p->in_page[c]) {
				cond_all[c] = !used && m < t ? e / (double)(t - m) : 0;
				marg_all[c] = q / (double)t;
			} else {
				cond_all[c] = marg_all[c] = 0;
			}
		}
		return;
	}
	}
	BUG("unknown logging policy %d", (int)p->cfg.kind);
}

void policy_shuffle_propensities(double share, const uint32_t *greedy, const uint32_t *page,
				 size_t k, double *cond, double *marg)
{
	/* P(prefix of length j) = (1 - share) [prefix greedy] + share (k - j)! / k! */
	double shuffled = 1, before = 1;   /* the share's factor for j - 1 and j slots */
	bool same = true, same_before = true;

	for (size_t j = 0; j < k; j++) {
		double p_before, p_now;

		same_before = same;
		same = same && page[j] == greedy[j];
		before = shuffled;
		shuffled *= 1.0 / (double)(k - j);
		p_before = (1 - share) * same_before + share * before;
		p_now = (1 - share) * same + share * shuffled;
		if (cond)
			cond[j] = p_before > 0 ? p_now / p_before : 0;
		if (marg)
			marg[j] = (1 - share) * (page[j] == greedy[j]) + share / (double)k;
	}
}
