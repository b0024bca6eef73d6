/* Diversity and quality of exposure; see exposure.h. */
#include "stats/exposure.h"

#include "common/rng.h"
#include "common/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

struct exposure {
	size_t arms, n_shows, n_creators, n_topics;
	uint32_t *show_creator;
	uint16_t *show_topic;
	uint8_t *show_hq;
	/* creator[(arm * GROUPS + g) * n_creators + c], topic[... * n_topics + t]:
	 * served slots of the experiment period */
	uint32_t *creator, *topic;
	uint64_t *slots, *hq, *pairs, *distinct;  /* per arm, counted pages */
	uint32_t *page_topic;            /* n_topics: one page's slots per topic */
};

static const char *const names[EXPOSURE_AGGREGATES] = {
	[EXPOSURE_TOPIC_COVERAGE] = "topic_coverage",
	[EXPOSURE_CREATOR_COVERAGE] = "creator_coverage",
	[EXPOSURE_CREATOR_GINI] = "creator_exposure_gini",
};

struct exposure *exposure_new(size_t arms, size_t n_shows, const uint32_t *show_creator,
			      const uint16_t *show_topic, const uint8_t *show_hq,
			      size_t n_creators, size_t n_topics)
{
	struct exposure *e = xcalloc(1, sizeof(*e));

	ASSERT(arms >= 1 && n_creators >= 1 && n_topics >= 1);
	e->arms = arms;
	e->n_shows = n_shows;
	e->n_creators = n_creators;
	e->n_topics = n_topics;
	e->show_creator = xcalloc(n_shows ? n_shows : 1, sizeof(*e->show_creator));
	e->show_topic = xcalloc(n_shows ? n_shows : 1, sizeof(*e->show_topic));
	e->show_hq = xcalloc(n_shows ? n_shows : 1, sizeof(*e->show_hq));
	for (size_t s = 0; s < n_shows; s++) {
		ASSERT(show_creator[s] < n_creators && show_topic[s] < n_topics);
		e->show_creator[s] = show_creator[s];
		e->show_topic[s] = show_topic[s];
		e->show_hq[s] = show_hq[s] != 0;
	}
	e->creator = xcalloc(arms * EXPOSURE_GROUPS * n_creators, sizeof(*e->creator));
	e->topic = xcalloc(arms * EXPOSURE_GROUPS * n_topics, sizeof(*e->topic));
	e->slots = xcalloc(arms, sizeof(*e->slots));
	e->hq = xcalloc(arms, sizeof(*e->hq));
	e->pairs = xcalloc(arms, sizeof(*e->pairs));
	e->distinct = xcalloc(arms, sizeof(*e->distinct));
	e->page_topic = xcalloc(n_topics, sizeof(*e->page_topic));
	return e;
}

void exposure_free(struct exposure *e)
{
	if (!e)
		return;
	free(e->show_creator);
	free(e->show_topic);
	free(e->show_hq);
	free(e->creator);
	free(e->topic);
	free(e->slots);
	free(e->hq);
	free(e->pairs);
	free(e->distinct);
	free(e->page_topic);
	free(e);
}

void exposure_page(struct exposure *e, int arm, uint32_t user, const uint32_t *shows, size_t n,
		   bool count, struct exposure_page *out)
{
	size_t g = user % EXPOSURE_GROUPS;
	uint32_t same = 0;

	ASSERT(arm >= 0 && (size_t)arm < e->arms);
	memset(out, 0, sizeof(*out));
	out->slots = (uint32_t)n;
	out->pairs = n >= 2 ? (uint32_t)(n * (n - 1) / 2) : 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t s = shows[i];
		uint16_t t;

		ASSERT(s < e->n_shows);
		t = e->show_topic[s];
		/* slots of the same topic seen before pair with this one */
		same += e->page_topic[t]++;
		out->high_quality += e->show_hq[s];
		if (count) {
			e->creator[((size_t)arm * EXPOSURE_GROUPS + g) * e->n_creators +
				   e->show_creator[s]]++;
			e->topic[((size_t)arm * EXPOSURE_GROUPS + g) * e->n_topics + t]++;
		}
	}
	for (size_t i = 0; i < n; i++)
		e->page_topic[e->show_topic[shows[i]]] = 0;
	out->distinct_pairs = out->pairs - same;
	if (count) {
		e->slots[arm] += n;
		e->hq[arm] += out->high_quality;
		e->pairs[arm] += out->pairs;
		e->distinct[arm] += out->distinct_pairs;
	}
}

double exposure_high_quality_share(const struct exposure *e, int arm)
{
	ASSERT(arm >= 0 && (size_t)arm < e->arms);
	return e->slots[arm] ? (double)e->hq[arm] / (double)e->slots[arm] : NAN;
}

double exposure_intra_list_diversity(const struct exposure *e, int arm)
{
	ASSERT(arm >= 0 && (size_t)arm < e->arms);
	return e->pairs[arm] ? (double)e->distinct[arm] / (double)e->pairs[arm] : NAN;
}

uint64_t exposure_slots(const struct exposure *e, int arm)
{
	ASSERT(arm >= 0 && (size_t)arm < e->arms);
	return e->slots[arm];
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double exposure_gini(const double *x, size_t n, double *scratch)
{
	double sum = 0, weighted = 0;

	if (n == 0)
		return 0;
	memcpy(scratch, x, n * sizeof(*scratch));
	qsort(scratch, n, sizeof(*scratch), by_value);
	/* Sorted ascending: G = 2 sum_i i x_(i) / (n sum x) - (n + 1) / n, i from 1. */
	for (size_t i = 0; i < n; i++) {
		sum += scratch[i];
		weighted += (double)(i + 1) * scratch[i];
	}
	if (sum <= 0)
		return 0;
	return 2.0 * weighted / ((double)n * sum) - ((double)n + 1.0) / (double)n;
}

/* The aggregate over groups weighted by w[g] (resample multiplicities);
 * buf holds n_creators values. */
static double aggregate(const struct exposure *e, int arm, enum exposure_aggregate a,
			const uint32_t *w, double *buf, double *scratch)
{
	size_t n = a == EXPOSURE_TOPIC_COVERAGE ? e->n_topics : e->n_creators;
	const uint32_t *base = a == EXPOSURE_TOPIC_COVERAGE
		? e->topic + (size_t)arm * EXPOSURE_GROUPS * e->n_topics
		: e->creator + (size_t)arm * EXPOSURE_GROUPS * e->n_creators;
	size_t covered = 0;

	memset(buf, 0, n * sizeof(*buf));
	for (size_t g = 0; g < EXPOSURE_GROUPS; g++) {
		if (!w[g])
			continue;
		for (size_t i = 0; i < n; i++)
			buf[i] += (double)w[g] * (double)base[g * n + i];
	}
	if (a == EXPOSURE_CREATOR_GINI)
		return exposure_gini(buf, n, scratch);
	for (size_t i = 0; i < n; i++)
		covered += buf[i] > 0;
	return (double)covered / (double)n;
}

static double value_with(const struct exposure *e, int arm, enum exposure_aggregate a,
			 const uint32_t *w)
{
	double *buf = xcalloc(e->n_creators + e->n_topics, sizeof(*buf));
	double *scratch = xcalloc(e->n_creators + e->n_topics, sizeof(*scratch));
	double v = aggregate(e, arm, a, w, buf, scratch);

	free(buf);
	free(scratch);
	return v;
}

double exposure_value(const struct exposure *e, int arm, enum exposure_aggregate a)
{
	uint32_t w[EXPOSURE_GROUPS];

	ASSERT(arm >= 0 && (size_t)arm < e->arms && a < EXPOSURE_AGGREGATES);
	for (size_t g = 0; g < EXPOSURE_GROUPS; g++)
		w[g] = 1;
	return value_with(e, arm, a, w);
}

/* The q-quantile of sorted v[0..n-1], type 7 (numpy's default). */
static double quantile_sorted(const double *v, size_t n, double q)
{
	return gsl_stats_quantile_from_sorted_data(v, 1, n, q);
}

int exposure_compare(const struct exposure *et, int arm_t, const struct exposure *ec, int arm_c,
		     enum exposure_aggregate a, size_t reps, uint64_t seed, uint64_t stream_id,
		     double alpha, struct exposure_diff *out, struct error *err)
{
	size_t nbuf = (et->n_creators > ec->n_creators ? et->n_creators : ec->n_creators) +
		      (et->n_topics > ec->n_topics ? et->n_topics : ec->n_topics);
	double *buf, *scratch, *d, *r;
	uint32_t w[EXPOSURE_GROUPS];
	size_t nr = 0;
	struct rng g;

	ASSERT(a < EXPOSURE_AGGREGATES);
	memset(out, 0, sizeof(*out));
	out->reps = reps;
	if (reps < 20)
		return error_set(err, ERR_INPUT, "exposure bootstrap needs at least 20 resamples "
				 "(got %zu)", reps);
	if (exposure_slots(et, arm_t) == 0 || exposure_slots(ec, arm_c) == 0)
		return error_set(err, ERR_INPUT, "no slot served in the experiment period "
				 "(treatment %llu, control %llu)",
				 (unsigned long long)exposure_slots(et, arm_t),
				 (unsigned long long)exposure_slots(ec, arm_c));
	out->t = exposure_value(et, arm_t, a);
	out->c = exposure_value(ec, arm_c, a);
	out->diff = out->t - out->c;
	out->rel = out->c != 0 ? out->t / out->c - 1 : NAN;
	buf = xcalloc(nbuf, sizeof(*buf));
	scratch = xcalloc(nbuf, sizeof(*scratch));
	d = xcalloc(reps, sizeof(*d));
	r = xcalloc(reps, sizeof(*r));
	rng_init(&g, seed, RNG_STATS, stream_id, 0);
	for (size_t k = 0; k < reps; k++) {
		double vt, vc;

		memset(w, 0, sizeof(w));
		for (size_t i = 0; i < EXPOSURE_GROUPS; i++)
			w[rng_below(&g, EXPOSURE_GROUPS)]++;
		vt = aggregate(et, arm_t, a, w, buf, scratch);
		vc = aggregate(ec, arm_c, a, w, buf, scratch);
		d[k] = vt - vc;
		if (vc != 0)
			r[nr++] = vt / vc - 1;
	}
	gsl_sort(d, 1, reps);
	out->diff_lo = quantile_sorted(d, reps, alpha / 2);
	out->diff_hi = quantile_sorted(d, reps, 1 - alpha / 2);
	if (nr == reps && out->c != 0) {
		gsl_sort(r, 1, nr);
		out->rel_lo = quantile_sorted(r, nr, alpha / 2);
		out->rel_hi = quantile_sorted(r, nr, 1 - alpha / 2);
	} else {
		out->rel = out->rel_lo = out->rel_hi = NAN;
	}
	free(buf);
	free(scratch);
	free(d);
	free(r);
	return 0;
}

double exposure_hq_threshold(double quality_sigma)
{
	return exp(gsl_cdf_ugaussian_Pinv(EXPOSURE_HQ_QUANTILE) * quality_sigma);
}

const char *exposure_name(enum exposure_aggregate a)
{
	return a < EXPOSURE_AGGREGATES ? names[a] : "unknown";
}
