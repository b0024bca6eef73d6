/* Replications over a range of seeds; see replicate.h. */
#include "eval/replicate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pack.h"
#include "common/scenario.h"
#include "common/version.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "eval/run.h"
#include "render/replreport.h"
#include "results/results.h"
#include "results/schema.h"
#include "results/studydir.h"
#include "stats/abtest.h"
#include "stats/replica.h"

/* ---- seeds ------------------------------------------------------------------- */

static int parse_u64(const char *s, const char *end, uint64_t *v)
{
	char *stop;
	unsigned long long x;

	if (s == end || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &stop, 10);
	if (errno || stop != end)
		return -1;
	*v = x;
	return 0;
}

int replicate_parse_seeds(const char *text, uint64_t *first, uint64_t *last, struct error *err)
{
	const char *dash = strchr(text, '-'), *end = text + strlen(text);

	if (dash ? parse_u64(text, dash, first) < 0 || parse_u64(dash + 1, end, last) < 0
		 : parse_u64(text, end, first) < 0)
		return error_set(err, ERR_INPUT, "bad seeds '%s': expected A-B (e.g. 1-20) or N",
				 text);
	if (!dash)
		*last = *first;
	if (*last < *first)
		return error_set(err, ERR_INPUT, "bad seeds '%s': the last seed is below the first",
				 text);
	if (*last - *first >= REPLICATE_MAX_SEEDS)
		return error_set(err, ERR_INPUT, "bad seeds '%s': at most %d seeds", text,
				 REPLICATE_MAX_SEEDS);
	return 0;
}

/* ---- the study's cells --------------------------------------------------------- */

/* What running seeds needs (struct study_kind's ctx). */
struct seeds {
	struct study_manifest m;          /* a copy */
	size_t n;
	/* Of the scenario with the sets (the seed changes none of these). */
	bool aa, plots;
	char mode[16], control[32], treatment[32];
};

/* Seed `seed`'s scenario: the text, the --set overrides, then run.seed. */
static struct scenario *load_seed(const struct seeds *s, uint64_t seed, struct error *err)
{
	const char **sets = xcalloc(s->m.n_sets + 1, sizeof(*sets));
	char *seed_set = xasprintf("run.seed=%llu", (unsigned long long)seed);
	struct scenario *sc;

	for (size_t k = 0; k < s->m.n_sets; k++)
		sets[k] = s->m.sets[k];
	sets[s->m.n_sets] = seed_set;
	sc = scenario_parse(&config_schema, s->m.scenario_text, s->m.scenario_name, sets,
			    s->m.n_sets + 1, err);
	if (sc && run_check(sc, err) < 0) {
		scenario_free(sc);
		sc = NULL;
	}
	if (!sc)
		error_prefix(err, "seed %llu: ", (unsigned long long)seed);
	free(seed_set);
	free(sets);
	return sc;
}

static void seeds_close(void *ctx)
{
	struct seeds *s = ctx;

	study_manifest_release(&s->m);
	free(s);
}

static int seeds_open(const struct study_manifest *m, bool check, void **ctx, size_t *n_cells,
		      struct error *err)
{
	struct seeds *s = xcalloc(1, sizeof(*s));
	struct scenario *sc;
	struct config *cfg;

	(void)check; /* the seed changes nothing a check looks at: one load checks all */
	study_manifest_copy(&s->m, m);
	if (m->seed_last < m->seed_first || m->seed_last - m->seed_first >= REPLICATE_MAX_SEEDS) {
		seeds_close(s);
		return error_set(err, ERR_INPUT, "bad seeds %llu-%llu",
				 (unsigned long long)m->seed_first, (unsigned long long)m->seed_last);
	}
	s->n = (size_t)(m->seed_last - m->seed_first) + 1;
	if (!(sc = load_seed(s, m->seed_first, err))) {
		seeds_close(s);
		return err->code;
	}
	cfg = xmalloc(sizeof(*cfg));
	config_fill(cfg, sc);
	/* A/A: the two arms rank alike (the 2-arm form allows control =
	 * treatment; arms must differ).  load_seed checked the scenario. */
	if (config_ab_arms(cfg, sc, err) < 0) {
		free(cfg);
		scenario_free(sc);
		seeds_close(s);
		return err->code;
	}
	s->aa = cfg->ab.n_arms == 2 && cfg->ab.arm[0].scorer == cfg->ab.arm[1].scorer;
	s->plots = cfg->report.plots;
	scenario_format(sc, "ab", "mode", s->mode, sizeof(s->mode));
	scenario_format(sc, "ab", "control", s->control, sizeof(s->control));
	scenario_format(sc, "ab", "treatment", s->treatment, sizeof(s->treatment));
	free(cfg);
	scenario_free(sc);
	*ctx = s;
	*n_cells = s->n;
	return 0;
}

static char *seeds_name(void *ctx, size_t cell)
{
	const struct seeds *s = ctx;

	return xasprintf("seed-%llu", (unsigned long long)(s->m.seed_first + cell));
}

struct first_run {
	int64_t id;
	bool found;
};

static int take_first(const struct results_run *run, void *ctx)
{
	struct first_run *f = ctx;

	if (!f->found) {
		f->id = run->run_id;
		f->found = true;
	}
	return 0;
}

/* The analyses of a finished seed, from its results.db: per mode (split,
 * twin) and treatment arm, the arm sizes and every metric's lift.  With
 * one treatment arm the analysis is named by its mode ("split"); with
 * several, by mode and arm label ("split/forest"), so a split arm's twin
 * counterpart is found by the same suffix.  The summary is
 *   u64 events, u8 srm flagged, u32 analyses, then per analysis: str name,
 *   u64 n_t, u64 n_c, u32 rows, then per row: str metric, str kind, u8
 *   estimable, f64 rel, rel_lo, rel_hi, p, p_adjusted: the lift, interval
 *   and p of the row's own test (abtest_tested). */
static int pack_seed(const char *dir, uint64_t events, struct pack *out, struct error *err)
{
	static const enum schema_id modes[] = { SCHEMA_AB_SPLIT, SCHEMA_AB_TWIN };
	char *path = xasprintf("%s/results.db", dir);
	struct results *r = results_open_readonly(path, err);
	struct first_run f = { 0, false };
	struct abtest *a = xcalloc(1, sizeof(*a));
	struct pack body;
	uint32_t n_modes = 0;
	bool srm = false;
	int rc;

	free(path);
	pack_init(&body);
	if (!r) {
		free(a);
		return err->code;
	}
	if ((rc = results_each_run(r, take_first, &f, err)) < 0)
		goto out;
	if (!f.found) {
		rc = error_set(err, ERR_CORRUPT, "'%s' holds no run", dir);
		goto out;
	}
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		rc = results_get_abtest(r, f.id, schema_name(modes[k]), a, err);
		if (rc == ERR_NOTFOUND)
			continue;
		if (rc < 0)
			goto out;
		srm = srm || (modes[k] == SCHEMA_AB_SPLIT && a->srm_flagged);
		for (size_t m = 0; m < a->n_arms; m++) {
			const struct abtest_arm *arm = &a->arms[m];
			char *name = a->n_arms == 1 ? xstrdup(schema_name(modes[k]))
				     : xasprintf("%s/%s", schema_name(modes[k]), arm->name);

			n_modes++;
			pack_str(&body, name);
			free(name);
			pack_u64(&body, arm->n_treatment);
			pack_u64(&body, arm->n_control);
			pack_u32(&body, (uint32_t)arm->n_rows);
			for (size_t i = 0; i < arm->n_rows; i++) {
				const struct abtest_row *row = &arm->rows[i];
				/* the row's own test: CUPED for split mean metrics */
				const struct stats_lift *l = abtest_tested(row);
				static const char *const kinds[] = { "mean", "ratio", "median",
								     "aggregate" };

				_Static_assert(sizeof(kinds) / sizeof(kinds[0]) == ABTEST_AGGREGATE + 1,
					       "one name per kind");
				pack_str(&body, row->name);
				pack_str(&body, kinds[row->kind]);
				pack_u8(&body, row->estimable);
				pack_f64(&body, row->estimable ? l->rel : NAN);
				pack_f64(&body, row->estimable ? l->rel_lo : NAN);
				pack_f64(&body, row->estimable ? l->rel_hi : NAN);
				pack_f64(&body, row->estimable ? l->p : NAN);
				pack_f64(&body, row->estimable ? row->p_adjusted : NAN);
			}
		}
	}
	rc = 0;
	pack_u64(out, events);
	pack_u8(out, srm);
	pack_u32(out, n_modes);
	pack_raw(out, body.data, body.len);
out:
	pack_release(&body);
	results_close(r);
	free(a);
	return rc;
}

static int seeds_run(void *ctx, size_t cell, const char *dir, struct pack *summary,
		     struct error *err)
{
	struct seeds *s = ctx;
	uint64_t seed = s->m.seed_first + cell;
	struct scenario *sc = load_seed(s, seed, err);
	struct run_options ro = { .out = dir };
	struct run_summary sum;
	int rc;

	if (!sc)
		return err->code;
	if ((rc = run_execute(sc, &ro, &sum, err)) < 0)
		error_prefix(err, "seed %llu: ", (unsigned long long)seed);
	else
		rc = pack_seed(dir, sum.events, summary, err);
	scenario_free(sc);
	return rc;
}

static const struct study_kind replicate_kind = {
	.name = "replicate",
	.open = seeds_open,
	.close = seeds_close,
	.cell_name = seeds_name,
	.run_cell = seeds_run,
};

/* ---- the study's results -------------------------------------------------------- */

/* The decoded summaries: every row of every done seed, in seed order. */
struct rows {
	struct replstore_cell *cells;
	struct replstore_seed *seeds;
	size_t n_seeds, cap;
	struct replstore_summary *summary;
	size_t n_summary;
	char **owned;               /* strings the rows point to */
	size_t n_owned, cap_owned;
};

static const char *own(struct rows *w, char *s)
{
	XGROW(w->owned, w->n_owned + 1, w->cap_owned);
	w->owned[w->n_owned++] = s;
	return s;
}

static void rows_release(struct rows *w, size_t n_cells)
{
	(void)n_cells;
	for (size_t i = 0; i < w->n_owned; i++)
		free(w->owned[i]);
	free(w->owned);
	free(w->cells);
	free(w->seeds);
	free(w->summary);
	memset(w, 0, sizeof(*w));
}

static int decode_seed(struct rows *w, const struct study_cell *c, uint64_t seed, size_t cell,
		       struct error *err)
{
	struct unpack u;
	char what[64];
	uint64_t events;
	uint8_t srm;
	uint32_t n_modes;
	int rc;

	snprintf(what, sizeof(what), "seed %llu's summary", (unsigned long long)seed);
	unpack_init(&u, c->summary, c->len, what);
	if ((rc = unpack_u64(&u, &events, err)) < 0 || (rc = unpack_u8(&u, &srm, err)) < 0 ||
	    (rc = unpack_u32(&u, &n_modes, err)) < 0)
		return rc;
	w->cells[cell].events = events;
	w->cells[cell].srm_flagged = srm;
	for (uint32_t k = 0; k < n_modes; k++) {
		char *mode;
		uint64_t n_t, n_c;
		uint32_t n_rows;

		if ((rc = unpack_str(&u, &mode, err)) < 0)
			return rc;
		own(w, mode);
		if ((rc = unpack_u64(&u, &n_t, err)) < 0 || (rc = unpack_u64(&u, &n_c, err)) < 0 ||
		    (rc = unpack_u32(&u, &n_rows, err)) < 0)
			return rc;
		for (uint32_t i = 0; i < n_rows; i++) {
			struct replstore_seed *r;
			char *metric, *kind;
			uint8_t est;

			XGROW(w->seeds, w->n_seeds + 1, w->cap);
			r = &w->seeds[w->n_seeds];
			memset(r, 0, sizeof(*r));
			if ((rc = unpack_str(&u, &metric, err)) < 0)
				return rc;
			own(w, metric);
			if ((rc = unpack_str(&u, &kind, err)) < 0)
				return rc;
			own(w, kind);
			if ((rc = unpack_u8(&u, &est, err)) < 0 ||
			    (rc = unpack_f64(&u, &r->rel, err)) < 0 ||
			    (rc = unpack_f64(&u, &r->rel_lo, err)) < 0 ||
			    (rc = unpack_f64(&u, &r->rel_hi, err)) < 0 ||
			    (rc = unpack_f64(&u, &r->p, err)) < 0 ||
			    (rc = unpack_f64(&u, &r->p_adjusted, err)) < 0)
				return rc;
			r->seed = seed;
			r->mode = mode;
			r->metric = metric;
			r->kind = kind;
			r->estimable = est;
			r->n_t = n_t;
			r->n_c = n_c;
			r->truth = NAN;
			r->covered = -1;
			w->n_seeds++;
		}
	}
	return unpack_end(&u, err);
}

/* The row of (seed, mode, metric), or NULL.  Rows are in seed order:
 * a binary search finds the seed's first row. */
static const struct replstore_seed *find_row(const struct rows *w, uint64_t seed,
					     const char *mode, const char *metric)
{
	size_t a = 0, b = w->n_seeds;

	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (w->seeds[mid].seed < seed)
			a = mid + 1;
		else
			b = mid;
	}
	for (size_t i = a; i < w->n_seeds && w->seeds[i].seed == seed; i++)
		if (!strcmp(w->seeds[i].mode, mode) && !strcmp(w->seeds[i].metric, metric))
			return &w->seeds[i];
	return NULL;
}

/* Truth, significance and coverage of every row; then one summary row
 * per (mode, metric), in the order they first appear. */
static void summarise(struct rows *w, const struct seeds *s, double alpha)
{
	const char *split = schema_name(SCHEMA_AB_SPLIT), *twin = schema_name(SCHEMA_AB_TWIN);
	double *est = xcalloc(w->n_seeds + 1, sizeof(double));
	double *lo = xcalloc(w->n_seeds + 1, sizeof(double));
	double *hi = xcalloc(w->n_seeds + 1, sizeof(double));
	double *p = xcalloc(w->n_seeds + 1, sizeof(double));
	double *pa = xcalloc(w->n_seeds + 1, sizeof(double));
	double *truth = xcalloc(w->n_seeds + 1, sizeof(double));

	for (size_t i = 0; i < w->n_seeds; i++) {
		struct replstore_seed *r = &w->seeds[i];

		r->significant = r->estimable && r->p_adjusted < alpha;
		if (s->aa) {
			r->truth = 0;
		} else if (!strncmp(r->mode, split, strlen(split)) &&
			   (r->mode[strlen(split)] == '\0' || r->mode[strlen(split)] == '/')) {
			/* the same arm's twin analysis: "split/forest" -> "twin/forest" */
			char *tw = xasprintf("%s%s", twin, r->mode + strlen(split));
			const struct replstore_seed *t = find_row(w, r->seed, tw, r->metric);

			free(tw);
			if (t && t->estimable)
				r->truth = t->rel;
		}
		if (r->estimable && isfinite(r->truth) && isfinite(r->rel_lo) && isfinite(r->rel_hi))
			r->covered = r->rel_lo <= r->truth && r->truth <= r->rel_hi;
	}
	w->summary = xcalloc(w->n_seeds + 1, sizeof(*w->summary));
	for (size_t i = 0; i < w->n_seeds; i++) {
		const struct replstore_seed *r = &w->seeds[i];
		struct replstore_summary *out;
		size_t n = 0;
		bool seen = false;

		for (size_t k = 0; k < w->n_summary && !seen; k++)
			seen = !strcmp(w->summary[k].mode, r->mode) &&
			       !strcmp(w->summary[k].metric, r->metric);
		if (seen)
			continue;
		for (size_t j = i; j < w->n_seeds; j++) {
			const struct replstore_seed *q = &w->seeds[j];

			if (strcmp(q->mode, r->mode) || strcmp(q->metric, r->metric))
				continue;
			est[n] = q->estimable ? q->rel : NAN;
			lo[n] = q->rel_lo;
			hi[n] = q->rel_hi;
			p[n] = q->p;
			pa[n] = q->p_adjusted;
			truth[n++] = q->truth;
		}
		out = &w->summary[w->n_summary++];
		out->mode = r->mode;
		out->metric = r->metric;
		replica_summarize(est, lo, hi, p, pa, truth, n, alpha, &out->s);
		out->share_significant = out->s.n ? (double)out->s.significant / (double)out->s.n : NAN;
		out->share_rejected = out->s.n ? (double)out->s.rejected_raw / (double)out->s.n : NAN;
		replica_wilson(out->s.rejected_raw, out->s.n, alpha, &out->rejected_lo,
			       &out->rejected_hi);
		out->coverage = out->s.with_truth
					? (double)out->s.covered / (double)out->s.with_truth : NAN;
		replica_wilson(out->s.covered, out->s.with_truth, alpha, &out->coverage_lo,
			       &out->coverage_hi);
	}
	free(est);
	free(lo);
	free(hi);
	free(p);
	free(pa);
	free(truth);
}

static const char *truth_text(const struct seeds *s)
{
	if (s->aa)
		return "0: treatment and control rank with the same ranker (A/A), so the true "
		       "lift is zero";
	if (!strcmp(s->mode, "both"))
		return "for the split intervals of a seed, the twin lift of the same seed: the "
		       "all-treatment world against the all-control world, same users and random "
		       "numbers";
	return "none: set [ab] mode = both (the twin lift as each seed's truth), or treatment = "
	       "control for an A/A test";
}

static char *joined_sets(const struct study_manifest *m)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < m->n_sets; i++)
		len += strlen(m->sets[i]) + 1;
	s = xcalloc(len, 1);
	for (size_t i = 0, at = 0; i < m->n_sets; i++) {
		size_t k = strlen(m->sets[i]);

		memcpy(s + at, m->sets[i], k);
		s[at + k] = '\n';
		at += k + 1;
	}
	return s;
}

/* results.db from the stored summaries, aside then renamed into place. */
static int write_results(struct studydir *sd, const struct seeds *s,
			 const struct study_outcome *st, struct error *err)
{
	struct rows w = { 0 };
	char *tmp = NULL, *sets = joined_sets(&s->m);
	size_t failed = 0;
	int rc = 0;

	w.cells = xcalloc(st->n_cells + 1, sizeof(*w.cells));
	for (size_t i = 0; i < st->n_cells && rc == 0; i++) {
		const struct study_cell *c = &st->cells[i];
		uint64_t seed = s->m.seed_first + i;

		w.cells[i] = (struct replstore_cell){
			.cell = i, .seed = seed, .run_dir = c->name, .done = c->done,
			.error = c->done ? "" : c->error,
		};
		if (c->done)
			rc = decode_seed(&w, c, seed, i, err);
		else
			failed++;
	}
	if (rc == 0) {
		struct replstore_study study = {
			.scenario = s->m.scenario_name,
			.scenario_text = s->m.scenario_text,
			.overrides = sets,
			.seed_first = s->m.seed_first,
			.seed_last = s->m.seed_last,
			.cells = st->n_cells,
			.failed = failed,
			.ab_mode = s->mode,
			.control = s->control,
			.treatment = s->treatment,
			.aa = s->aa,
			.alpha = 0.05,
			.truth = truth_text(s),
			.git_rev = airtime_git_rev,
			.version = airtime_version,
		};

		summarise(&w, s, study.alpha);
		tmp = studydir_temp(sd, "results.db");
		rc = replstore_write(tmp, &study, w.cells, st->n_cells, w.seeds, w.n_seeds,
				     w.summary, w.n_summary, err);
		if (rc == 0)
			rc = studydir_publish(sd, "results.db", err);
	}
	rows_release(&w, st->n_cells);
	free(tmp);
	free(sets);
	return rc;
}

static int make_manifest(const struct replicate_spec *spec, struct study_manifest *m,
			 struct error *err)
{
	struct scenario *probe;

	memset(m, 0, sizeof(m[0]));
	if (spec->seed_last < spec->seed_first ||
	    spec->seed_last - spec->seed_first >= REPLICATE_MAX_SEEDS)
		return error_set(err, ERR_INPUT, "bad seeds %llu-%llu: at most %d, first to last",
				 (unsigned long long)spec->seed_first,
				 (unsigned long long)spec->seed_last, REPLICATE_MAX_SEEDS);
	if (!(probe = scenario_load(&config_schema, spec->scenario, spec->sets, spec->n_sets, err)))
		return err->code;
	{
		struct study_manifest view = {
			.kind = "replicate",
			.scenario_name = (char *)spec->scenario,
			.scenario_text = (char *)scenario_text(probe),
			.sets = (char **)spec->sets,
			.n_sets = spec->n_sets,
			.seed_first = spec->seed_first,
			.seed_last = spec->seed_last,
		};

		study_manifest_copy(m, &view);
	}
	scenario_free(probe);
	return 0;
}

int replicate_execute(const struct replicate_spec *spec, struct replicate_result *out,
		      struct error *err)
{
	struct study_options o = {
		.out = spec->resume ? spec->resume : spec->out,
		.reports_base = spec->reports_base,
		.jobs = spec->jobs,
		.progress = spec->progress,
		.progress_ctx = spec->progress_ctx,
	};
	struct study_manifest m;
	struct study_outcome st;
	struct seeds *s = NULL;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&m, 0, sizeof(m));
	if (study_is_worker()) {
		rc = study_execute(&replicate_kind, NULL, &o, &st, err);
		out->worker = true;
		out->worker_code = st.worker_code;
		study_outcome_release(&st);
		return rc;
	}
	rc = spec->resume ? study_manifest_read(spec->resume, &m, err)
			  : make_manifest(spec, &m, err);
	if (rc < 0) {
		study_manifest_release(&m);
		return study_abort(rc);
	}
	rc = study_execute(&replicate_kind, &m, &o, &st, err);
	out->stats = st.stats;
	if (rc < 0)
		goto out;
	snprintf(out->dir, sizeof(out->dir), "%s", st.dir);
	if ((rc = seeds_open(&m, false, (void **)&s, &n, err)) < 0 ||
	    (rc = write_results(st.sd, s, &st, err)) < 0)
		goto out;
	{
		struct error rerr;
		int r;

		error_clear(&rerr);
		r = replreport_build(st.dir, s->plots, &rerr);
		if (r < 0) {
			*err = rerr;
			rc = error_prefix(err, "writing the replication's report: ");
			goto out;
		}
		if (r > 0)
			snprintf(out->warning, sizeof(out->warning), "%s", rerr.msg);
	}
	{
		char *db = studydir_file(st.sd, "results.db");

		rc = replstore_read(db, &out->data, err);
		free(db);
	}
out:
	if (s)
		seeds_close(s);
	study_outcome_release(&st);
	study_manifest_release(&m);
	return rc;
}

void replicate_result_release(struct replicate_result *r)
{
	replstore_data_release(&r->data);
}
