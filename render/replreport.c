/* The report of a replication; see replreport.h. */
#include "render/replreport.h"

#include <errno.h>
#include <math.h>
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
#include "results/replstore.h"

/* The metrics drawn as forest plots and tabulated per seed. */
static const char *const primary[] = { "engagement_actions", "listening_minutes" };
#define N_PRIMARY (sizeof(primary) / sizeof(primary[0]))
#define MAX_FIGS 8

struct fig {
	char base[96];
	char caption[256];
};

struct ctx {
	const char *dir;
	struct replstore_data d;
	bool plots;
	char *plots_dir;
	char warn[1024];
	struct fig figs[MAX_FIGS];
	size_t nfigs;
};

/* The distinct modes of the summary, in order (at most 2). */
static size_t modes_of(const struct replstore_data *d, const char *modes[2])
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_summary; i++) {
		bool seen = false;

		for (size_t k = 0; k < n; k++)
			seen = seen || !strcmp(modes[k], d->summary[i].mode);
		if (!seen && n < 2)
			modes[n++] = d->summary[i].mode;
	}
	return n;
}

static const struct replstore_summary *summary_of(const struct replstore_data *d,
						  const char *mode, const char *metric)
{
	for (size_t i = 0; i < d->n_summary; i++)
		if (!strcmp(d->summary[i].mode, mode) && !strcmp(d->summary[i].metric, metric))
			return &d->summary[i];
	return NULL;
}

static const struct replstore_seed *row_of(const struct replstore_data *d, uint64_t seed,
					   const char *mode, const char *metric)
{
	for (size_t i = 0; i < d->n_seeds; i++)
		if (d->seeds[i].seed == seed && !strcmp(d->seeds[i].mode, mode) &&
		    !strcmp(d->seeds[i].metric, metric))
			return &d->seeds[i];
	return NULL;
}

/* "k/n (share %) [lo %, hi %]" */
static const char *share_text(char *buf, size_t cap, size_t k, size_t n, double lo, double hi)
{
	if (n == 0)
		snprintf(buf, cap, "n/a");
	else
		snprintf(buf, cap, "%zu/%zu (%.0f %%) [%.0f %%, %.0f %%]", k, n,
			 100.0 * (double)k / (double)n, 100 * lo, 100 * hi);
	return buf;
}

/* ---- plots ------------------------------------------------------------------- */

static int render(struct ctx *c, struct plot *p, const char *base, const char *caption,
		  struct error *err)
{
	struct error pe;
	char *path;
	int rc;

	if (!c->plots || c->nfigs >= MAX_FIGS) {
		plot_free(p);
		return 0;
	}
	path = xasprintf("%s/%s", c->plots_dir, base);
	error_clear(&pe);
	rc = plot_render(p, path, PLOT_PNG | PLOT_SVG, &pe);
	free(path);
	plot_free(p);
	if (rc == ERR_UNAVAILABLE) {
		c->plots = false;
		fmt_append(c->warn, sizeof(c->warn), "%s", pe.msg);
		return 0;
	}
	if (rc < 0) {
		if (rc == ERR_IO) {
			*err = pe;
			return rc;
		}
		fmt_append(c->warn, sizeof(c->warn), "plot '%s' failed: %s", base, pe.msg);
		return 0;
	}
	snprintf(c->figs[c->nfigs].base, sizeof(c->figs[0].base), "%s", base);
	snprintf(c->figs[c->nfigs].caption, sizeof(c->figs[0].caption), "%s", caption);
	c->nfigs++;
	return 0;
}

/* One row per seed (lift and interval, in %), the mean over seeds with its
 * t interval last, each seed's truth as a cross. */
static int plot_forest_of(struct ctx *c, const char *mode, const char *metric,
			  struct error *err)
{
	const struct replstore_data *d = &c->d;
	const struct replstore_summary *s = summary_of(d, mode, metric);
	size_t n = 0, cap = d->n_cells + 1, nt = 0;
	const char **labels = xcalloc(cap, sizeof(*labels));
	double *est = xcalloc(cap, sizeof(double)), *lo = xcalloc(cap, sizeof(double));
	double *hi = xcalloc(cap, sizeof(double)), *tx = xcalloc(cap, sizeof(double));
	double *ty = xcalloc(cap, sizeof(double));
	char **owned = xcalloc(cap, sizeof(*owned));
	char base[96], caption[256], *title;
	struct plot *p;
	int rc;

	if (!s || s->s.n == 0) {
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < d->n_cells; i++) {
		const struct replstore_seed *r = row_of(d, d->cells[i].seed, mode, metric);

		if (!r || !r->estimable)
			continue;
		owned[n] = xasprintf("seed %llu", (unsigned long long)r->seed);
		labels[n] = owned[n];
		est[n] = 100 * r->rel;
		lo[n] = 100 * r->rel_lo;
		hi[n] = 100 * r->rel_hi;
		if (isfinite(r->truth)) {
			tx[nt] = 100 * r->truth;
			ty[nt++] = (double)n;
		}
		n++;
	}
	labels[n] = "mean over seeds";
	est[n] = 100 * s->s.mean;
	lo[n] = 100 * s->s.lo;
	hi[n] = 100 * s->s.hi;
	n++;
	title = xasprintf("%s (%s): per-seed lift and %.0f %% interval; last row: mean over %zu "
			  "seeds with its t interval", metric, mode, 100 * (1 - d->study.alpha),
			  s->s.n);
	p = plot_new(title);
	free(title);
	plot_set_labels(p, "relative lift (%)", NULL, NULL);
	plot_set_size(p, 900, (int)(160 + 22 * n));
	plot_forest(p, labels, est, lo, hi, n);
	if (nt)
		plot_add(p, d->study.aa ? "truth: 0 (A/A)" : "truth: the seed's twin lift",
			 PLOT_POINTS, tx, ty, nt);
	snprintf(base, sizeof(base), "forest-%s-%s", mode, metric);
	snprintf(caption, sizeof(caption), "%s, %s mode: each seed's lift and interval, the mean "
		 "over seeds with its t interval (last row)%s", metric, mode,
		 nt ? ", and each seed's truth (dot)" : "");
	rc = render(c, p, base, caption, err);
out:
	for (size_t i = 0; i < cap; i++)
		free(owned[i]);
	free(owned);
	free(labels);
	free(est);
	free(lo);
	free(hi);
	free(tx);
	free(ty);
	return rc;
}

/* ---- the document -------------------------------------------------------------- */

static void write_header(struct doc *d, const struct replstore_data *r)
{
	const struct replstore_study *s = &r->study;

	doc_item(d, "scenario: %s", s->scenario);
	doc_item(d, "seeds: %llu to %llu (%zu), %zu failed", (unsigned long long)s->seed_first,
		 (unsigned long long)s->seed_last, s->cells, s->failed);
	doc_item(d, "A/B: mode %s, control %s, treatment %s%s", s->ab_mode, s->control,
		 s->treatment, s->aa ? " (**A/A test**: the arms are the same ranker)" : "");
	doc_item(d, "truth for coverage: %s", s->truth);
	doc_item(d, "significance: alpha %g; a seed is significant when its Holm-adjusted p is "
		 "below alpha (the verdict of its own report)", s->alpha);
	doc_item(d, "airtime %s (git %s)", s->version, s->git_rev);
}

static void write_failures(struct doc *d, const struct replstore_data *r)
{
	if (r->study.failed == 0)
		return;
	doc_heading(d, 2, "Failed seeds");
	doc_warning(d, "%zu of %zu seeds failed and are left out of every figure below; "
		    "`airtime replicate --resume DIR` runs them again.", r->study.failed,
		    r->study.cells);
	for (size_t i = 0; i < r->n_cells; i++)
		if (!r->cells[i].done)
			doc_item(d, "seed %llu: %s", (unsigned long long)r->cells[i].seed,
				 r->cells[i].error);
}

/* The mean standard error of the seeds' own intervals of (mode, metric),
 * each (hi - lo) / (2 z): the within-world uncertainty one run reports. */
static double within_se(const struct replstore_data *r, const char *mode, const char *metric,
			double alpha)
{
	double sum = 0, z = gsl_cdf_ugaussian_Pinv(1 - alpha / 2);
	size_t n = 0;

	for (size_t i = 0; i < r->n_seeds; i++) {
		const struct replstore_seed *x = &r->seeds[i];

		if (!x->estimable || strcmp(x->mode, mode) || strcmp(x->metric, metric) ||
		    !isfinite(x->rel_lo) || !isfinite(x->rel_hi))
			continue;
		sum += (x->rel_hi - x->rel_lo) / (2 * z);
		n++;
	}
	return n ? sum / (double)n : NAN;
}

static void write_summary(struct doc *d, const struct replstore_data *r, const char *mode)
{
	static const char *const head[] = {
		"metric", "seeds", "mean lift", "t interval (across worlds)", "sd",
		"seed SE (within world)", "sd / seed SE", "significant (Holm)",
		"raw p < alpha [Wilson]", "coverage [Wilson]",
	};
	char mean[32], ci[64], sd[32], sig[64], rej[96], cov[96], wse[32], ratio[32];

	doc_heading(d, 3, "%s mode", mode);
	if (!strncmp(mode, "twin", 4))
		doc_para(d, "Each seed's twin interval is conditional on its drawn world (same "
			 "users and arrivals in every arm's world); the t interval over seeds is "
			 "the across-world interval. sd / seed SE well above 1 says the seeds' "
			 "own intervals understate how much the lift varies from world to world.");
	doc_table(d, 10, "lrrrrrrrrr", head);
	for (size_t i = 0; i < r->n_summary; i++) {
		const struct replstore_summary *s = &r->summary[i];
		const char *cells[10];
		double w;

		if (strcmp(s->mode, mode))
			continue;
		w = within_se(r, s->mode, s->metric, r->study.alpha);
		if (isfinite(w))
			snprintf(wse, sizeof(wse), "%s %%", fmt_num(ratio, sizeof(ratio), 100 * w));
		else
			snprintf(wse, sizeof(wse), "n/a");
		if (isfinite(w) && w > 0 && isfinite(s->s.sd))
			fmt_num(ratio, sizeof(ratio), s->s.sd / w);
		else
			snprintf(ratio, sizeof(ratio), "n/a");
		fmt_pct(mean, sizeof(mean), s->s.mean);
		fmt_pct_ci(ci, sizeof(ci), s->s.lo, s->s.hi);
		if (isnan(s->s.sd))
			snprintf(sd, sizeof(sd), "n/a");
		else
			snprintf(sd, sizeof(sd), "%s %%", fmt_num(ci, sizeof(ci), 100 * s->s.sd));
		fmt_pct_ci(ci, sizeof(ci), s->s.lo, s->s.hi);
		if (s->s.n)
			snprintf(sig, sizeof(sig), "%zu/%zu (%.0f %%)", s->s.significant, s->s.n,
				 100 * s->share_significant);
		else
			snprintf(sig, sizeof(sig), "n/a");
		share_text(rej, sizeof(rej), s->s.rejected_raw, s->s.n, s->rejected_lo,
			   s->rejected_hi);
		share_text(cov, sizeof(cov), s->s.covered, s->s.with_truth, s->coverage_lo,
			   s->coverage_hi);
		cells[0] = s->metric;
		{
			char seeds[16];

			snprintf(seeds, sizeof(seeds), "%zu", s->s.n);
			cells[1] = seeds;
			cells[2] = mean;
			cells[3] = ci;
			cells[4] = sd;
			cells[5] = wse;
			cells[6] = ratio;
			cells[7] = sig;
			cells[8] = rej;
			cells[9] = cov;
			doc_row(d, cells);
		}
	}
	doc_table_end(d);
}

static void write_per_seed(struct doc *d, const struct replstore_data *r, const char *metric,
			   const char *modes[2], size_t n_modes)
{
	const char *head[8];
	char hbuf[2][3][64];
	size_t nc = 1;

	head[0] = "seed";
	for (size_t k = 0; k < n_modes; k++) {
		snprintf(hbuf[k][0], sizeof(hbuf[k][0]), "%s lift", modes[k]);
		snprintf(hbuf[k][1], sizeof(hbuf[k][1]), "%s interval", modes[k]);
		snprintf(hbuf[k][2], sizeof(hbuf[k][2]), "%s p (Holm)", modes[k]);
		for (int j = 0; j < 3; j++)
			head[nc++] = hbuf[k][j];
	}
	head[nc++] = "truth covered";
	doc_heading(d, 3, "%s", metric);
	{
		char align[9] = "l";

		memset(align + 1, 'r', nc - 1);
		align[nc] = '\0';
		doc_table(d, nc, align, head);
	}
	for (size_t i = 0; i < r->n_cells; i++) {
		char cbuf[8][64];
		const char *cells[8];
		size_t n = 0;
		int covered = -1;

		if (!r->cells[i].done)
			continue;
		snprintf(cbuf[n], sizeof(cbuf[n]), "%llu", (unsigned long long)r->cells[i].seed);
		cells[n] = cbuf[n];
		n++;
		for (size_t k = 0; k < n_modes; k++) {
			const struct replstore_seed *s = row_of(r, r->cells[i].seed, modes[k], metric);
			bool ok = s && s->estimable;

			if (ok && s->significant)
				snprintf(cbuf[n], sizeof(cbuf[n]), "**%s**",
					 fmt_pct(cbuf[7], sizeof(cbuf[7]), s->rel));
			else
				fmt_pct(cbuf[n], sizeof(cbuf[n]), ok ? s->rel : NAN);
			cells[n] = cbuf[n];
			n++;
			fmt_pct_ci(cbuf[n], sizeof(cbuf[n]), ok ? s->rel_lo : NAN, ok ? s->rel_hi : NAN);
			cells[n] = cbuf[n];
			n++;
			fmt_p(cbuf[n], sizeof(cbuf[n]), ok ? s->p_adjusted : NAN);
			cells[n] = cbuf[n];
			n++;
			if (s && s->covered >= 0)
				covered = s->covered;
		}
		cells[n++] = covered < 0 ? "n/a" : covered ? "yes" : "**no**";
		doc_row(d, cells);
	}
	doc_table_end(d);
}

static int write_doc(struct ctx *c, struct error *err)
{
	const struct replstore_data *r = &c->d;
	const char *modes[2];
	size_t n_modes = modes_of(r, modes);
	char *title = xasprintf("Replication of %s over seeds %llu-%llu", r->study.scenario,
				(unsigned long long)r->study.seed_first,
				(unsigned long long)r->study.seed_last);
	struct doc *d = doc_open(c->dir, "report", DOC_MD | DOC_HTML, title, err);
	int rc = 0;

	if (!d) {
		free(title);
		return err->code;
	}
	doc_heading(d, 1, "airtime replication: %s", title + strlen("Replication of "));
	free(title);
	write_header(d, r);
	if (c->warn[0])
		doc_warning(d, "%s", c->warn);
	write_failures(d, r);
	doc_heading(d, 2, "Across seeds");
	doc_para(d, "Mean lift: the mean of the seeds' relative lifts, with a Student t interval "
		 "over seeds (the seed-to-seed spread of one run's estimate). Significant: the "
		 "share of seeds whose own analysis calls the metric significant. Raw p < alpha: "
		 "the share of seeds rejecting at level alpha without the Holm correction; in an "
		 "A/A test this is the false-positive rate, expected near alpha. Coverage: the "
		 "share of seeds whose interval holds the truth (expected near %.0f %%). Shares "
		 "carry %.0f %% Wilson intervals.", 100 * (1 - r->study.alpha),
		 100 * (1 - r->study.alpha));
	for (size_t k = 0; k < n_modes; k++)
		write_summary(d, r, modes[k]);
	if (c->nfigs) {
		doc_heading(d, 2, "Forest plots");
		for (size_t i = 0; i < c->nfigs && rc == 0; i++) {
			char *rel = xasprintf("plots/%s.png", c->figs[i].base);

			rc = doc_image(d, rel, c->figs[i].caption, err);
			free(rel);
		}
		if (rc < 0) {
			doc_free(d);
			return rc;
		}
	}
	doc_heading(d, 2, "Per seed");
	doc_para(d, "Lifts in **bold** are significant (Holm-adjusted p below alpha). Truth "
		 "covered: whether the split interval holds the seed's truth (%s).", r->study.truth);
	for (size_t m = 0; m < N_PRIMARY; m++)
		write_per_seed(d, r, primary[m], modes, n_modes);
	doc_heading(d, 2, "Scenario");
	doc_pre(d, r->study.scenario_text);
	if (*r->study.overrides) {
		doc_para(d, "Overrides (--set), before each seed's run.seed:");
		doc_pre(d, r->study.overrides);
	}
	return doc_close(d, err);
}

int replreport_build(const char *dir, bool plots, struct error *err)
{
	struct ctx c = { .dir = dir, .plots = plots };
	char *db = xasprintf("%s/results.db", dir);
	int rc = replstore_read(db, &c.d, err);

	free(db);
	if (rc < 0)
		return rc;
	if (!plots)
		fmt_append(c.warn, sizeof(c.warn), "plots are off ([report] plots = false)");
	if (c.plots) {
		struct error pe;

		c.plots_dir = xasprintf("%s/plots", dir);
		if (mkdir(c.plots_dir, 0777) != 0 && errno != EEXIST) {
			rc = error_set(err, ERR_IO, "cannot create '%s': %s", c.plots_dir,
				       strerror(errno));
			goto out;
		}
		error_clear(&pe);
		if (plot_check(&pe) < 0) {
			c.plots = false;
			fmt_append(c.warn, sizeof(c.warn), "%s", pe.msg);
		}
	}
	if (c.plots) {
		const char *modes[2];
		size_t n_modes = modes_of(&c.d, modes);

		for (size_t k = 0; k < n_modes && rc == 0; k++)
			for (size_t m = 0; m < N_PRIMARY && rc == 0; m++)
				rc = plot_forest_of(&c, modes[k], primary[m], err);
		if (rc < 0)
			goto out;
	}
	rc = write_doc(&c, err);
	if (rc == 0 && c.warn[0] && plots) {
		error_set(err, ERR_OK, "report written with warnings: %s", c.warn);
		rc = REPORT_WARNINGS;
	}
out:
	free(c.plots_dir);
	replstore_data_release(&c.d);
	return rc;
}

bool replreport_is_replication(const char *dir)
{
	char *db = xasprintf("%s/results.db", dir);
	bool yes = replstore_is(db);

	free(db);
	return yes;
}

/* The stored --set lines, one per line, into a list pointing into text. */
static size_t split_sets(char *text, const char ***out)
{
	size_t n = 0;

	*out = xcalloc(strlen(text) + 1, sizeof(**out));
	for (char *p = text; *p;) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		if (*p)
			(*out)[n++] = p;
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}

int replreport_rebuild(const char *dir, struct error *err)
{
	char *db = xasprintf("%s/results.db", dir), *sets_text;
	struct replstore_data d;
	struct scenario *sc;
	const char **sets;
	bool plots = true;
	size_t n;
	int rc = replstore_read(db, &d, err);

	free(db);
	if (rc < 0)
		return rc;
	sets_text = xstrdup(d.study.overrides);
	n = split_sets(sets_text, &sets);
	sc = scenario_parse(&config_schema, d.study.scenario_text, d.study.scenario, sets, n, err);
	if (sc) {
		struct config *cfg = xmalloc(sizeof(*cfg));

		config_fill(cfg, sc);
		plots = cfg->report.plots;
		free(cfg);
		scenario_free(sc);
		rc = replreport_build(dir, plots, err);
	} else {
		rc = error_prefix(err, "the replication's stored scenario: ");
	}
	free(sets);
	free(sets_text);
	replstore_data_release(&d);
	return rc;
}
