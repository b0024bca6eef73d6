/* Comparison of stored runs; see compare.h. */
#include "render/compare.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_cdf.h>

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "render/doc.h"
#include "render/fmt.h"
#include "render/plot.h"
#include "render/report.h"
#include "results/results.h"
#include "results/runview.h"
#include "results/schema.h"
#include "stats/decision.h"

/* A resolved scenario as (section.key, value) pairs in dump order. */
struct kv {
	size_t n, cap;
	char **key, **value;
};

struct run {
	const char *dir;
	char label[16];          /* R1, R2, ... */
	char what[200];          /* what sets it apart: "model.trees=20, ..." (keys that differ) */
	struct decision_spec spec;   /* its [ab] primary and guardrails */
	bool has_spec;
	struct results *r;
	struct runview v;
	struct kv keys;
};

struct cmp {
	struct run runs[COMPARE_MAX_RUNS];
	size_t n;
	const char *out;
	char *plots_dir;
	bool plots;
	char warn[1024];
	struct doc *d;
};

/* ---- scenario keys ------------------------------------------------------- */

static void kv_add(struct kv *kv, const char *key, const char *value)
{
	if (kv->n == kv->cap) {
		kv->cap = kv->cap ? 2 * kv->cap : 64;
		kv->key = xreallocarray(kv->key, kv->cap, sizeof(char *));
		kv->value = xreallocarray(kv->value, kv->cap, sizeof(char *));
	}
	kv->key[kv->n] = xstrdup(key);
	kv->value[kv->n] = xstrdup(value);
	kv->n++;
}

static const char *kv_get(const struct kv *kv, const char *key)
{
	for (size_t i = 0; i < kv->n; i++)
		if (!strcmp(kv->key[i], key))
			return kv->value[i];
	return NULL;
}

static void kv_release(struct kv *kv)
{
	for (size_t i = 0; i < kv->n; i++) {
		free(kv->key[i]);
		free(kv->value[i]);
	}
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* INI text (a resolved dump) into section.key = value pairs; a key set
 * twice keeps the last value, as the parser does. */
static void kv_parse(struct kv *kv, const char *text)
{
	char *copy = xstrdup(text), *line = copy, section[128] = "";

	while (line && *line) {
		char *nl = strchr(line, '\n'), *s, *eq;

		if (nl)
			*nl = '\0';
		s = trim(line);
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (end)
				snprintf(section, sizeof(section), "%.*s", (int)(end - s - 1), s + 1);
		} else if (*s && *s != ';' && *s != '#' && (eq = strchr(s, '='))) {
			char *key, *value, *full;
			bool found = false;

			*eq = '\0';
			key = trim(s);
			value = trim(eq + 1);
			full = xasprintf("%s.%s", section, key);
			for (size_t i = 0; i < kv->n; i++) {
				if (!strcmp(kv->key[i], full)) {
					free(kv->value[i]);
					kv->value[i] = xstrdup(value);
					found = true;
				}
			}
			if (!found)
				kv_add(kv, full, value);
			free(full);
		}
		line = nl ? nl + 1 : NULL;
	}
	free(copy);
}

/* The run's scenario fully resolved; a scenario this build can no longer
 * parse is compared as written (with a warning). */
static int load_keys(struct cmp *c, struct run *run, struct error *err)
{
	struct scenario *sc;
	struct error e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	error_clear(&e);
	sc = runview_scenario(&run->v, &e);
	if (!sc) {
		fmt_append(c->warn, sizeof(c->warn), "%s: stored scenario does not parse with "
			   "this build (%s); keys compared as written", run->dir, e.msg);
		kv_parse(&run->keys, run->v.scenario_text);
		return 0;
	}
	{
		struct config *cfg = xmalloc(sizeof(*cfg));
		struct error de;

		config_fill(cfg, sc);
		run->has_spec = decision_spec_parse(&run->spec, cfg->ab.primary, cfg->ab.guardrails,
						    false, &de) == 0;
		free(cfg);
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		scenario_free(sc);
		return error_set(err, ERR_IO, "cannot buffer the scenario of '%s': %s", run->dir,
				 strerror(errno));
	}
	rc = scenario_dump(sc, f, err);
	if (fclose(f) != 0 && rc == 0)
		rc = error_set(err, ERR_IO, "cannot buffer the scenario of '%s'", run->dir);
	if (rc == 0)
		kv_parse(&run->keys, buf);
	free(buf);
	scenario_free(sc);
	return rc;
}

/* Each run's "what": the keys whose values differ from the other runs'
 * (from R1's for the others, from R2's for R1), at most three, so labels
 * show what a run is rather than a scenario name they all share. */
static void set_whats(struct cmp *c)
{
	for (size_t r = 0; r < c->n; r++) {
		const struct kv *me = &c->runs[r].keys, *ref = &c->runs[r == 0 ? 1 : 0].keys;
		size_t shown = 0, more = 0, len = 0;
		char *w = c->runs[r].what;

		w[0] = '\0';
		for (size_t i = 0; i < me->n; i++) {
			const char *v = kv_get(ref, me->key[i]);

			if (v && !strcmp(v, me->value[i]))
				continue;
			if (shown == 3) {
				more++;
				continue;
			}
			len += (size_t)snprintf(w + len, len < sizeof(c->runs[r].what) ?
						sizeof(c->runs[r].what) - len : 0, "%s%s=%s",
						shown ? ", " : "", me->key[i], me->value[i]);
			shown++;
		}
		if (more && len < sizeof(c->runs[r].what))
			snprintf(w + len, sizeof(c->runs[r].what) - len, " (+%zu more)", more);
		if (!shown)
			snprintf(w, sizeof(c->runs[r].what), "same scenario");
	}
}

/* "R2 (default#split: model.trees=20)" */
static void run_title(const struct cmp *c, size_t r, char *buf, size_t n)
{
	snprintf(buf, n, "%s (%s: %s)", c->runs[r].label, c->runs[r].v.name, c->runs[r].what);
}

static void write_keys(struct cmp *c)
{
	const char *head[COMPARE_MAX_RUNS + 1];
	const char *cells[COMPARE_MAX_RUNS + 1];
	char align[COMPARE_MAX_RUNS + 2];
	struct kv all = { 0 };
	size_t rows = 0;

	/* The union of keys, in order of first appearance over the runs. */
	for (size_t r = 0; r < c->n; r++)
		for (size_t i = 0; i < c->runs[r].keys.n; i++)
			if (!kv_get(&all, c->runs[r].keys.key[i]))
				kv_add(&all, c->runs[r].keys.key[i], "");
	head[0] = "key";
	align[0] = 'l';
	for (size_t r = 0; r < c->n; r++) {
		head[r + 1] = c->runs[r].label;
		align[r + 1] = 'l';
	}
	align[c->n + 1] = '\0';
	doc_heading(c->d, 2, "Scenario keys that differ");
	for (size_t i = 0; i < all.n; i++) {
		const char *first = kv_get(&c->runs[0].keys, all.key[i]);
		bool differs = false;

		for (size_t r = 1; r < c->n; r++) {
			const char *v = kv_get(&c->runs[r].keys, all.key[i]);

			if ((v == NULL) != (first == NULL) || (v && strcmp(v, first)))
				differs = true;
		}
		if (!differs)
			continue;
		if (rows++ == 0)
			doc_table(c->d, c->n + 1, align, head);
		cells[0] = all.key[i];
		for (size_t r = 0; r < c->n; r++) {
			const char *v = kv_get(&c->runs[r].keys, all.key[i]);

			cells[r + 1] = v ? v : "(absent)";
		}
		doc_row(c->d, cells);
	}
	if (rows)
		doc_table_end(c->d);
	else
		doc_para(c->d, "None: every run resolves to the same scenario.");
	kv_release(&all);
}

/* ---- side-by-side tables --------------------------------------------------- */

static void write_runs(struct cmp *c)
{
	static const char *const head[] = { "run", "directory", "run id", "scenario",
					    "what differs", "seed", "git revision", "host",
					    "run date", "wall time (host)" };
	char id[48], seed[32], wall[32];
	const char *cells[10];

	doc_heading(c->d, 2, "Runs");
	doc_table(c->d, 10, "llrllrllll", head);
	for (size_t r = 0; r < c->n; r++) {
		const struct runview *v = &c->runs[r].v;

		snprintf(id, sizeof(id), "%lld%s", (long long)v->run_id,
			 v->analysis_pick ? " (analysis run)" : "");
		snprintf(seed, sizeof(seed), "%llu", (unsigned long long)v->seed);
		if (isfinite(v->wall_seconds))
			snprintf(wall, sizeof(wall), "%.1f s", v->wall_seconds);
		else
			snprintf(wall, sizeof(wall), "n/a");
		cells[0] = c->runs[r].label;
		cells[1] = c->runs[r].dir;
		cells[2] = id;
		cells[3] = v->name;
		cells[4] = c->runs[r].what;
		cells[5] = seed;
		cells[6] = v->git_rev;
		cells[7] = v->host;
		cells[8] = v->started_utc;
		cells[9] = wall;
		doc_row(c->d, cells);
	}
	doc_table_end(c->d);
	for (size_t r = 0; r < c->n; r++) {
		const struct runview *v = &c->runs[r].v;

		if (v->analysis_pick)
			doc_para(c->d, "%s: the results.db of '%s' holds %zu runs (%s); without "
				 "--run, compare took run %lld, the only one holding the "
				 "experiment's analysis (A/B tables or SLO rows, load tests aside). "
				 "Give --run ID after the directory to select another.",
				 c->runs[r].label, c->runs[r].dir, v->file_runs, v->file_list,
				 (long long)v->run_id);
	}
	doc_para(c->d, "Differences are each run minus the baseline %s.", c->runs[0].label);
}

/* Headers: first column, then one per run, then a difference per later run. */
static size_t side_head(const struct cmp *c, const char *first, char (*buf)[32],
			const char **head, char *align)
{
	size_t k = 0;

	head[k] = first;
	align[k++] = 'l';
	for (size_t r = 0; r < c->n; r++) {
		head[k] = c->runs[r].label;
		align[k++] = 'r';
	}
	for (size_t r = 1; r < c->n; r++) {
		snprintf(buf[r], sizeof(buf[0]), "%s - %s", c->runs[r].label, c->runs[0].label);
		head[k] = buf[r];
		align[k++] = 'r';
	}
	align[k] = '\0';
	return k;
}

struct mode_list {
	size_t n;
	char modes[8][24];
};

static int mode_cb(const char *mode, void *ctx)
{
	struct mode_list *m = ctx;

	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->modes[i], mode))
			return 0;
	if (m->n < 8)
		snprintf(m->modes[m->n++], sizeof(m->modes[0]), "%s", mode);
	return 0;
}

/* The treatment arms' labels of every run's analyses in one mode, in order
 * of first appearance (R1's first). */
struct arm_list {
	size_t n;
	char names[COMPARE_MAX_RUNS * (ABTEST_ARMS_MAX - 1)][48];
};

static void arm_list_add(struct arm_list *l, const struct abtest *a)
{
	for (size_t k = 0; k < a->n_arms; k++) {
		size_t i = 0;

		while (i < l->n && strcmp(l->names[i], a->arms[k].name))
			i++;
		if (i == l->n && l->n < sizeof(l->names) / sizeof(l->names[0]))
			snprintf(l->names[l->n++], sizeof(l->names[0]), "%s", a->arms[k].name);
	}
}

/* The plots directory and the gnuplot check, once; c->plots false (with a
 * warning) when gnuplot cannot run. */
static int ensure_plots(struct cmp *c, struct error *err)
{
	struct error pe;

	if (!c->plots || c->plots_dir)
		return 0;
	error_clear(&pe);
	if (plot_check(&pe) < 0) {
		c->plots = false;
		fmt_append(c->warn, sizeof(c->warn), "%s", pe.msg);
		return 0;
	}
	c->plots_dir = xasprintf("%s/plots", c->out);
	if (mkdir(c->plots_dir, 0777) != 0 && errno != EEXIST)
		return error_set(err, ERR_IO, "cannot create '%s': %s", c->plots_dir,
				 strerror(errno));
	return 0;
}

/* Draw plot p as plots/BASE and add it to the document; a gnuplot failure
 * is a warning. */
static int draw(struct cmp *c, struct plot *p, const char *base, const char *caption,
		struct error *err)
{
	struct error pe;
	char *path = xasprintf("%s/%s", c->plots_dir, base);
	int rc;

	error_clear(&pe);
	rc = plot_render(p, path, PLOT_PNG | PLOT_SVG, &pe);
	plot_free(p);
	free(path);
	if (rc == ERR_UNAVAILABLE) {
		c->plots = false;
		fmt_append(c->warn, sizeof(c->warn), "%s", pe.msg);
		return 0;
	}
	if (rc < 0) {
		fmt_append(c->warn, sizeof(c->warn), "plot '%s' failed: %s", base, pe.msg);
		return 0;
	}
	path = xasprintf("plots/%s.png", base);
	rc = doc_image(c->d, path, caption, err);
	free(path);
	return rc;
}

/* The lifts of one arm, every run's interval side by side per metric. */
static int plot_lift_runs(struct cmp *c, const struct abtest_arm *const *arm,
			  const struct abtest_arm *base, double alpha, const char *mode,
			  const char *name, struct error *err)
{
	const char *labels[METRIC_COUNT + 8];
	double est[METRIC_COUNT + 8], lo[METRIC_COUNT + 8], hi[METRIC_COUNT + 8];
	char fbase[96], caption[300], title[320];
	size_t n = 0;
	struct plot *p;
	int rc = ensure_plots(c, err);

	if (rc < 0 || !c->plots)
		return rc;
	for (size_t i = 0; i < base->n_rows && n < METRIC_COUNT + 8; i++)
		if (base->rows[i].estimable && isfinite(abtest_tested(&base->rows[i])->rel_lo))
			labels[n++] = base->rows[i].name;
	if (n == 0)
		return 0;
	p = plot_new("Relative lifts per run");
	plot_set_labels(p, "relative lift (%)", NULL, NULL);
	plot_set_size(p, 900, 140 + (int)n * (16 * (int)c->n + 12));
	for (size_t r = 0; r < c->n; r++) {
		for (size_t i = 0; i < n; i++) {
			const struct abtest_row *row = arm[r] ? abtest_find(arm[r], labels[i]) : NULL;
			const struct stats_lift *l = row ? abtest_tested(row) : NULL;
			bool ok = row && row->estimable && isfinite(l->rel_lo) && isfinite(l->rel_hi);

			est[i] = ok ? 100 * l->rel : NAN;
			lo[i] = ok ? 100 * l->rel_lo : NAN;
			hi[i] = ok ? 100 * l->rel_hi : NAN;
		}
		run_title(c, r, title, sizeof(title));
		plot_forest_series(p, title, labels, est, lo, hi, n, r, c->n);
	}
	snprintf(fbase, sizeof(fbase), "lifts-%s-%s", mode, name);
	for (char *q = fbase; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-'))
			*q = '_';
	snprintf(caption, sizeof(caption), "Relative lift of each metric (%s, arm %s) in every "
		 "run, with %.0f %% intervals (one colour per run); 0 = no effect.", mode, name,
		 100 * (1 - alpha));
	return draw(c, p, fbase, caption, err);
}

/* The standard error of a relative lift from its symmetric interval. */
static double rel_se(const struct abtest_row *r, double alpha)
{
	const struct stats_lift *l = abtest_tested(r);

	return (l->rel_hi - l->rel_lo) / (2 * gsl_cdf_ugaussian_Pinv(1 - alpha / 2));
}

/* "+1.20 pp [-0.30, +2.70]": lift of b minus lift of a (each row's own
 * test, abtest_tested), independent runs. */
static void lift_diff(char *buf, size_t n, const struct abtest_row *a, const struct abtest_row *b,
		      double alpha)
{
	double d = 100 * (abtest_tested(b)->rel - abtest_tested(a)->rel);
	double se = 100 * sqrt(pow(rel_se(a, alpha), 2) + pow(rel_se(b, alpha), 2));
	double z = gsl_cdf_ugaussian_Pinv(1 - alpha / 2);

	if (isfinite(se))
		snprintf(buf, n, "%+.2f pp [%+.2f, %+.2f]", d, d - z * se, d + z * se);
	else
		snprintf(buf, n, "%+.2f pp", d);
}

/* One table: the arm `name` of every run that has it, metric by metric,
 * with differences against R1's arm of that name. */
static int write_ab_arm(struct cmp *c, const struct abtest *ab, const bool *have,
			const char *mode, const char *name, bool several, struct error *err)
{
	const char *head[2 * COMPARE_MAX_RUNS], *cells[2 * COMPARE_MAX_RUNS];
	char hb[COMPARE_MAX_RUNS][32], align[2 * COMPARE_MAX_RUNS + 1];
	char cb[2 * COMPARE_MAX_RUNS][200];
	const struct abtest_arm *arm[COMPARE_MAX_RUNS], *base = NULL;
	const struct abtest *base_ab = NULL;
	size_t ncol = side_head(c, "metric", hb, head, align);

	for (size_t r = 0; r < c->n; r++) {
		arm[r] = have[r] ? abtest_arm_find(&ab[r], name) : NULL;
		if (arm[r] && !base) {
			base = arm[r];
			base_ab = &ab[r];
		}
	}
	if (!base)
		return 0;
	if (several)
		doc_heading(c->d, 2, "A/B relative lifts (%s, arm %s)", mode, name);
	else
		doc_heading(c->d, 2, "A/B relative lifts (%s)", mode);
	doc_para(c->d, "Relative lift [%.0f %% interval] of each row's own test (CUPED for "
		 "split mean metrics) per run%s; significant in bold (in the Holm family: "
		 "adjusted p < alpha; outside it: the interval excludes 0). Differences of "
		 "lifts are in percentage points (pp) with a %.0f %% interval%s, the runs taken "
		 "as independent: SE = sqrt(SE1^2 + SE2^2), each SE from its run's interval. "
		 "Runs with the same seed share their users and arrivals (common random "
		 "numbers), which makes this interval conservative; a paired interval would "
		 "need the per-user metrics, which results.db does not keep.",
		 100 * (1 - base_ab->alpha), several ? ", arm against its run's control" : "",
		 100 * (1 - base_ab->alpha),
		 several ? ", between arms of the same name" : "");
	doc_table(c->d, ncol, align, head);
	for (size_t i = 0; i < base->n_rows; i++) {
		const char *metric = base->rows[i].name;
		const struct abtest_row *r0 = arm[0] ? abtest_find(arm[0], metric) : NULL;
		size_t k = 0;

		cells[k++] = metric;
		for (size_t r = 0; r < c->n; r++, k++) {
			const struct abtest_row *row = arm[r] ? abtest_find(arm[r], metric) : NULL;
			char v[48], ci[96];
			bool sig;

			cells[k] = cb[k];
			if (!row || !row->estimable) {
				snprintf(cb[k], sizeof(cb[k]), "%s", row ? "not estimable" : "-");
				continue;
			}
			/* the row's own test: its interval, its significance */
			sig = abtest_significant(&ab[r], row);
			fmt_pct(v, sizeof(v), abtest_tested(row)->rel);
			fmt_pct_ci(ci, sizeof(ci), abtest_tested(row)->rel_lo,
				   abtest_tested(row)->rel_hi);
			snprintf(cb[k], sizeof(cb[k]), "%s%s %s%s", sig ? "**" : "", v, ci,
				 sig ? "**" : "");
		}
		for (size_t r = 1; r < c->n; r++, k++) {
			const struct abtest_row *row = arm[r] ? abtest_find(arm[r], metric) : NULL;

			cells[k] = cb[k];
			if (!row || !r0 || !row->estimable || !r0->estimable)
				snprintf(cb[k], sizeof(cb[k]), "-");
			else
				lift_diff(cb[k], sizeof(cb[k]), r0, row, ab[r].alpha);
		}
		doc_row(c->d, cells);
	}
	/* Each run's own decision on its [ab] primary and guardrails. */
	{
		size_t k = 0;

		cells[k++] = "decision (each run's [ab] primary, guardrails)";
		for (size_t r = 0; r < c->n; r++, k++) {
			const struct abtest_arm *a = arm[r];
			struct decision d;
			size_t idx = 0;

			cells[k] = cb[k];
			if (!a || !c->runs[r].has_spec) {
				snprintf(cb[k], sizeof(cb[k]), "-");
				continue;
			}
			while (idx < ab[r].n_arms && &ab[r].arms[idx] != a)
				idx++;
			decision_make(&c->runs[r].spec, &ab[r], idx, &d);
			snprintf(cb[k], sizeof(cb[k]), "%s%s%s (%s)",
				 d.verdict == DECISION_DONT_SHIP ? "**" : "",
				 decision_verdict_name(d.verdict),
				 d.verdict == DECISION_DONT_SHIP ? "**" : "", c->runs[r].spec.primary);
		}
		for (size_t r = 1; r < c->n; r++, k++) {
			cells[k] = cb[k];
			snprintf(cb[k], sizeof(cb[k]), "-");
		}
		doc_row(c->d, cells);
	}
	doc_table_end(c->d);
	return plot_lift_runs(c, arm, base, base_ab->alpha, mode, name, err);
}

/* Per mode, per treatment arm (matched by label across runs: "treatment"
 * in 2-arm runs, the ranker's name with more arms). */
static int write_ab(struct cmp *c, struct error *err)
{
	struct mode_list ml = { 0 };
	struct abtest *ab = xcalloc(c->n, sizeof(*ab));
	struct arm_list *arms = xcalloc(1, sizeof(*arms));
	bool *have = xcalloc(c->n, sizeof(bool));
	int rc = 0;

	for (size_t r = 0; rc == 0 && r < c->n; r++)
		rc = results_each_abtest_mode(c->runs[r].r, c->runs[r].v.run_id, mode_cb, &ml, err);
	for (size_t m = 0; rc == 0 && m < ml.n; m++) {
		arms->n = 0;
		for (size_t r = 0; rc == 0 && r < c->n; r++) {
			rc = results_get_abtest(c->runs[r].r, c->runs[r].v.run_id, ml.modes[m],
						&ab[r], err);
			have[r] = rc == 0;
			if (rc == ERR_NOTFOUND) {
				error_clear(err);
				rc = 0;
			}
			if (have[r])
				arm_list_add(arms, &ab[r]);
		}
		for (size_t k = 0; rc == 0 && k < arms->n; k++)
			rc = write_ab_arm(c, ab, have, ml.modes[m], arms->names[k], arms->n > 1,
					  err);
	}
	free(ab);
	free(arms);
	free(have);
	return rc;
}

/* The difference of two SLO rows' values in the row's unit: percentage
 * points for availability (a share), else a time ("+1.20 ms"). */
static void slo_diff(char *buf, size_t n, const struct slo_row *a, const struct slo_row *b)
{
	double d = b->value - a->value;
	char t[32];

	if (strstr(a->name, "availability")) {
		snprintf(buf, n, "%+.3f pp", 100 * d);
		return;
	}
	slo_format_us(t, sizeof(t), fabs(d));
	snprintf(buf, n, "%s%s", d < 0 ? "-" : "+", t);
}

static int write_slo(struct cmp *c, struct error *err)
{
	struct slo_table *t = xcalloc(c->n, sizeof(*t));
	const char *head[2 * COMPARE_MAX_RUNS], *cells[2 * COMPARE_MAX_RUNS];
	char hb[COMPARE_MAX_RUNS][32], align[2 * COMPARE_MAX_RUNS + 1];
	char cb[2 * COMPARE_MAX_RUNS][200];
	int rc = 0;

	for (size_t r = 0; rc == 0 && r < c->n; r++)
		rc = results_get_slo(c->runs[r].r, c->runs[r].v.run_id, &t[r], err);
	if (rc == 0 && t[0].n > 0) {
		size_t ncol = side_head(c, "objective", hb, head, align);

		doc_heading(c->d, 2, "Service-level objectives");
		doc_para(c->d, "Observed value and verdict per run (failures in bold); "
			 "differences of the measured values in their unit (percentage points, pp, "
			 "for availability).");
		doc_table(c->d, ncol, align, head);
		for (size_t i = 0; i < t[0].n; i++) {
			const struct slo_row *s0 = &t[0].rows[i];
			const struct slo_row *rows[COMPARE_MAX_RUNS];
			size_t k = 0;

			for (size_t r = 0; r < c->n; r++) {
				rows[r] = NULL;
				for (size_t j = 0; j < t[r].n; j++)
					if (!strcmp(t[r].rows[j].name, s0->name))
						rows[r] = &t[r].rows[j];
			}
			cells[k++] = s0->name;
			for (size_t r = 0; r < c->n; r++, k++) {
				const struct slo_row *s = rows[r];
				bool fail = s && s->verdict == SLO_FAIL;

				cells[k] = cb[k];
				if (!s)
					snprintf(cb[k], sizeof(cb[k]), "-");
				else
					snprintf(cb[k], sizeof(cb[k]), "%s%s (%s)%s", fail ? "**" : "",
						 s->observed, s->verdict == SLO_PASS ? "pass" :
						 fail ? "FAIL" : "no data", fail ? "**" : "");
			}
			for (size_t r = 1; r < c->n; r++, k++) {
				const struct slo_row *s = rows[r];

				cells[k] = cb[k];
				if (!s || s->verdict == SLO_NO_DATA || s0->verdict == SLO_NO_DATA)
					snprintf(cb[k], sizeof(cb[k]), "-");
				else
					slo_diff(cb[k], sizeof(cb[k]), s0, s);
			}
			doc_row(c->d, cells);
		}
		doc_table_end(c->d);
	}
	free(t);
	return rc;
}

static int metric_name_cb(const struct results_metric *m, void *ctx)
{
	struct kv *kv = ctx;
	char *key = xasprintf("%s\x1f%s", m->name, m->arm);
	char *unit = xasprintf("%s%s", *m->unit ? m->unit : "unitless",
			       m->kind == RESULTS_HOST ? ", host" : "");

	if (!kv_get(kv, key))
		kv_add(kv, key, unit);
	free(unit);
	free(key);
	return 0;
}

static int write_metrics(struct cmp *c, struct error *err)
{
	struct kv names = { 0 };
	const char *head[2 * COMPARE_MAX_RUNS + 1], *cells[2 * COMPARE_MAX_RUNS + 1];
	char hb[COMPARE_MAX_RUNS][32], align[2 * COMPARE_MAX_RUNS + 2];
	char cb[2 * COMPARE_MAX_RUNS + 1][64], label[160];
	int rc = 0;

	for (size_t r = 0; rc == 0 && r < c->n; r++)
		rc = results_each_metric(c->runs[r].r, c->runs[r].v.run_id, metric_name_cb, &names,
					 err);
	if (rc == 0 && names.n > 0) {
		size_t ncol = side_head(c, "metric (arm) [unit]", hb, head, align);

		doc_heading(c->d, 2, "Counters and metrics");
		doc_para(c->d, "Values per run; differences with the change relative to the "
			 "baseline; every row names its unit. Host measurements are marked host.");
		doc_table(c->d, ncol, align, head);
		for (size_t i = 0; rc == 0 && i < names.n; i++) {
			char *sep = strchr(names.key[i], '\x1f');
			double v[COMPARE_MAX_RUNS];
			size_t k = 0;

			*sep = '\0';
			snprintf(label, sizeof(label), "%s (%s) [%s]", names.key[i], sep + 1,
				 names.value[i]);
			cells[k++] = label;
			for (size_t r = 0; r < c->n; r++, k++) {
				rc = results_get_metric(c->runs[r].r, c->runs[r].v.run_id,
							names.key[i], sep + 1, &v[r], err);
				if (rc == ERR_NOTFOUND) {
					error_clear(err);
					rc = 0;
					v[r] = NAN;
				}
				if (rc < 0)
					break;
				cells[k] = fmt_num(cb[k], sizeof(cb[k]), v[r]);
			}
			*sep = '\x1f';
			if (rc < 0)
				break;
			for (size_t r = 1; r < c->n; r++, k++) {
				char d[32], p[32];

				fmt_signed(d, sizeof(d), v[r] - v[0]);
				if (isfinite(v[r] - v[0]) && v[0] != 0)
					snprintf(cb[k], sizeof(cb[k]), "%s (%s)", d,
						 fmt_pct(p, sizeof(p), (v[r] - v[0]) / fabs(v[0])));
				else
					snprintf(cb[k], sizeof(cb[k]), "%s", d);
				cells[k] = cb[k];
			}
			doc_row(c->d, cells);
		}
		doc_table_end(c->d);
	}
	kv_release(&names);
	return rc;
}

/* ---- overlaid plots --------------------------------------------------------- */

enum pick { PICK_RATE, PICK_P99, PICK_MAX };

struct overlay {
	enum schema_id series;
	const char *base, *title, *ylabel, *caption;
	enum pick pick;
	double scale;
	double hline;            /* NaN: none; 0: the first run's [slo] objective */
	const char *hlabel;
};

static const struct overlay overlays[] = {
	{ SCHEMA_SERIES_SESSIONS, "sessions", "Sessions per minute", "sessions / min",
	  "Sessions started per minute, per run.", PICK_RATE, 1, NAN, NULL },
	{ SCHEMA_SERIES_LATENCY, "latency-p99", "Endpoint latency p99", "milliseconds",
	  "Endpoint latency p99 per bucket, per run, with the first run's p99 objective.",
	  PICK_P99, 1e3, 0, "SLO p99" },
	{ SCHEMA_SERIES_REFLECTION, "reflection-p99", "Reflection time p99", "seconds",
	  "Reflection time p99 per bucket, per run, with the first run's p99 objective.",
	  PICK_P99, 1e6, 0, "SLO p99" },
	{ SCHEMA_SERIES_QUEUE_DEPTH, "queue-depth", "Queue depth", "messages (max per bucket)",
	  "PIT queue depth (maximum per bucket), per run.", PICK_MAX, 1, NAN, NULL },
};

static double pick(const struct results_series *s, size_t i, enum pick p, double scale)
{
	switch (p) {
	case PICK_RATE:
		return s->count[i] / ((double)s->width / 60e6);
	case PICK_P99:
		return (s->has_hist ? s->p99[i] : s->max[i]) / scale;
	case PICK_MAX:
		return s->max[i] / scale;
	}
	return NAN;
}

/* The first run's [slo] p99 objective for an overlay (none when its
 * scenario does not parse or the key is 0). */
static void objective(struct cmp *c, const struct overlay *o, struct plot *p)
{
	struct config *cfg;
	struct scenario *sc;
	struct error e;
	simtime us;
	char v[32], label[96];

	error_clear(&e);
	if (!(sc = runview_scenario(&c->runs[0].v, &e)))
		return;
	cfg = xmalloc(sizeof(*cfg));
	config_fill(cfg, sc);
	us = o->series == SCHEMA_SERIES_LATENCY ? cfg->slo.latency_p99 : cfg->slo.reflection_p99;
	if (us > 0) {
		slo_format_us(v, sizeof(v), (double)us);
		snprintf(label, sizeof(label), "%s %s", o->hlabel, v);
		plot_hline(p, (double)us / o->scale, label);
	}
	free(cfg);
	scenario_free(sc);
}

static int plot_overlay(struct cmp *c, const struct overlay *o, struct error *err)
{
	struct plot *p = NULL;
	struct runview_axis ax = { 0 };
	size_t drawn = 0;
	int rc = 0;

	for (size_t r = 0; r < c->n; r++) {
		struct results_series s;
		double *x, *y;

		rc = results_get_series(c->runs[r].r, c->runs[r].v.run_id, schema_name(o->series), &s,
					err);
		if (rc == ERR_NOTFOUND) {
			error_clear(err);
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
		if (!p) {
			runview_axis_for(&ax, &s);
			p = plot_new(o->title);
			plot_set_labels(p, ax.label, o->ylabel, NULL);
		}
		x = runview_axis_x(&ax, &s);
		y = xcalloc(s.n ? s.n : 1, sizeof(double));
		for (size_t i = 0; i < s.n; i++)
			y[i] = pick(&s, i, o->pick, o->scale);
		{
			char t[320];

			run_title(c, r, t, sizeof(t));
			plot_add(p, t, PLOT_LINES, x, y, s.n);
		}
		free(x);
		free(y);
		results_series_release(&s);
		drawn++;
	}
	if (rc < 0 || drawn < 1) {
		plot_free(p);
		return rc;
	}
	if (o->hline == 0)
		objective(c, o, p);
	else if (isfinite(o->hline))
		plot_hline(p, o->hline, o->hlabel);
	return draw(c, p, o->base, o->caption, err);
}

static int write_plots(struct cmp *c, struct error *err)
{
	int rc = ensure_plots(c, err);

	if (rc < 0 || !c->plots)
		return rc;
	doc_heading(c->d, 2, "Time series");
	for (size_t i = 0; rc == 0 && c->plots && i < sizeof(overlays) / sizeof(overlays[0]); i++)
		rc = plot_overlay(c, &overlays[i], err);
	return rc;
}

/* mkdir -p */
static int make_dirs(const char *path, struct error *err)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *s = p + 1; ; s++) {
		bool end = *s == '\0';

		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			rc = error_set(err, ERR_IO, "cannot create '%s': %s", p, strerror(errno));
			break;
		}
		if (end)
			break;
		*s = '/';
	}
	free(p);
	return rc;
}

int compare_build(const struct compare_run *runs, size_t n, const char *out_dir,
		  struct error *err)
{
	struct cmp *c;
	int rc = 0;

	if (n < 2)
		return error_set(err, ERR_INPUT, "compare needs at least two run directories");
	if (n > COMPARE_MAX_RUNS)
		return error_set(err, ERR_INPUT, "compare takes at most %d run directories, not %zu",
				 COMPARE_MAX_RUNS, n);
	c = xcalloc(1, sizeof(*c));
	c->out = out_dir;
	c->plots = true;
	for (size_t r = 0; r < n; r++) {
		struct run *run = &c->runs[r];

		run->dir = runs[r].dir;
		snprintf(run->label, sizeof(run->label), "R%zu", r + 1);
		run->r = runview_open_run(run->dir, runs[r].run_id > 0 ? runs[r].run_id :
					  RUNVIEW_ANALYSIS, &run->v, err);
		if (!run->r) {
			rc = err->code;
			goto out;
		}
		c->n++;
		rc = load_keys(c, run, err);
		if (rc < 0)
			goto out;
	}
	set_whats(c);
	rc = make_dirs(out_dir, err);
	if (rc < 0)
		goto out;
	c->d = doc_open(out_dir, "compare", DOC_MD | DOC_HTML, "airtime comparison", err);
	if (!c->d) {
		rc = err->code;
		goto out;
	}
	doc_heading(c->d, 1, "airtime comparison of %zu runs", n);
	write_runs(c);
	write_keys(c);
	rc = write_ab(c, err);
	if (rc == 0)
		rc = write_slo(c, err);
	if (rc == 0)
		rc = write_metrics(c, err);
	if (rc == 0)
		rc = write_plots(c, err);
	if (rc == 0 && c->warn[0])
		doc_warning(c->d, "%s", c->warn);
	if (rc < 0) {
		doc_free(c->d);
		goto out;
	}
	rc = doc_close(c->d, err);
	if (rc == 0 && c->warn[0]) {
		error_set(err, ERR_OK, "comparison written with warnings: %s", c->warn);
		rc = REPORT_WARNINGS;
	}
out:
	for (size_t r = 0; r < c->n; r++) {
		results_close(c->runs[r].r);
		runview_release(&c->runs[r].v);
		kv_release(&c->runs[r].keys);
	}
	free(c->plots_dir);
	free(c);
	return rc;
}
