/* Parameter sweeps over a grid of scenario keys; see sweep.h. */
#include "eval/sweep.h"

#include "common/pack.h"
#include "common/scenario.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "render/plot.h"
#include "results/results.h"
#include "results/schema.h"
#include "results/studydir.h"
#include "results/sweepstore.h"
#include "stats/decision.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sweep_axis_release(struct sweep_axis *ax)
{
	for (size_t i = 0; i < ax->n; i++)
		free(ax->values[i]);
	free(ax->values);
	free(ax->key);
	memset(ax, 0, sizeof(*ax));
}

int sweep_axis_parse(struct sweep_axis *ax, const char *text, struct error *err)
{
	const char *eq = strchr(text, '='), *dot = strchr(text, '.'), *p;
	size_t cap = 0;

	memset(ax, 0, sizeof(*ax));
	if (!eq || !dot || dot > eq || dot == text || eq == dot + 1 || !eq[1])
		return error_set(err, ERR_INPUT,
				 "bad grid '%s': expected section.key=value1,value2,...", text);
	ax->key = xcalloc((size_t)(eq - text) + 1, 1);
	memcpy(ax->key, text, (size_t)(eq - text));
	for (p = eq + 1;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == 0) {
			sweep_axis_release(ax);
			return error_set(err, ERR_INPUT, "bad grid '%s': empty value", text);
		}
		XGROW(ax->values, ax->n + 1, cap);
		ax->values[ax->n] = xcalloc(len + 1, 1);
		memcpy(ax->values[ax->n++], p, len);
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

void sweep_result_release(struct sweep_result *r)
{
	for (size_t i = 0; i < r->n_cells; i++) {
		free(r->cells[i].overrides);
		free(r->cells[i].dir);
		free(r->cells[i].error);
		free(r->cells[i].quality);
	}
	free(r->cells);
	r->cells = NULL;
	r->n_cells = 0;
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

/* Cost and service level of a cell's first world. */
static int read_cell(struct sweep_cell *c, const char *dir, struct error *err)
{
	char *path = xasprintf("%s/results.db", dir);
	struct results *r = results_open_readonly(path, err);
	struct first_run f = { 0, false };
	struct results_hist_summary hs;
	int rc;

	free(path);
	if (!r)
		return err->code;
	if ((rc = results_each_run(r, take_first, &f, err)) < 0)
		goto out;
	if (!f.found) {
		rc = error_set(err, ERR_CORRUPT, "sweep cell '%s': results.db holds no run", dir);
		goto out;
	}
	if ((rc = results_get_metric(r, f.id, schema_name(SCHEMA_METRIC_ENDPOINT_INSTANCE_HOURS),
				     NULL, &c->instance_hours, err)) < 0 ||
	    (rc = results_get_metric(r, f.id, schema_name(SCHEMA_METRIC_ENDPOINT_AVAILABILITY),
				     NULL, &c->availability, err)) < 0 ||
	    (rc = results_get_hist_summary(r, f.id, schema_name(SCHEMA_HIST_LATENCY), &hs,
					   err)) < 0)
		goto out;
	c->p99_ms = (double)hs.p99 / 1000.0;
	c->meets_slo = (double)hs.p99 < SWEEP_SLO_P99_US && c->availability >= SWEEP_SLO_AVAILABILITY;
out:
	results_close(r);
	return rc;
}

/* A cell's quality: the decision of its first treatment arm (split
 * analysis, else twin) on the cell's [ab] primary and guardrails. */
static int cell_quality(const struct scenario *s, const char *dir, struct sweep_cell *c,
			struct error *err)
{
	char *path = xasprintf("%s/results.db", dir);
	struct results *r = results_open_readonly(path, err);
	struct config *cfg = xmalloc(sizeof(*cfg));
	struct abtest *ab = xcalloc(1, sizeof(*ab));
	struct first_run f = { 0, false };
	struct decision_spec spec;
	struct decision d;
	struct strbuf q = STRBUF_INIT;
	int rc;

	free(path);
	c->primary_rel = c->primary_lo = c->primary_hi = NAN;
	c->verdict = -1;
	if (!r) {
		rc = err->code;
		goto out;
	}
	config_fill(cfg, s);
	if ((rc = results_each_run(r, take_first, &f, err)) < 0 ||
	    (rc = decision_spec_parse(&spec, cfg->ab.primary, cfg->ab.guardrails, false, err)) < 0)
		goto out;
	rc = results_get_abtest(r, f.id, schema_name(SCHEMA_AB_SPLIT), ab, err);
	if (rc == ERR_NOTFOUND) {
		error_clear(err);
		rc = results_get_abtest(r, f.id, schema_name(SCHEMA_AB_TWIN), ab, err);
	}
	if (rc == ERR_NOTFOUND || (rc == 0 && ab->n_arms == 0)) {
		error_clear(err);
		c->quality = xstrdup("no A/B analysis");
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	decision_make(&spec, ab, 0, &d);
	c->primary_rel = d.primary.rel;
	c->primary_lo = d.primary.rel_lo;
	c->primary_hi = d.primary.rel_hi;
	c->verdict = (int)d.verdict;
	if (d.primary.state == DECISION_MISSING)
		strbuf_addf(&q, "%s not estimable", d.primary.metric);
	else
		strbuf_addf(&q, "%s %+.1f %% [%+.1f, %+.1f]", d.primary.metric, 100 * d.primary.rel,
			    100 * d.primary.rel_lo, 100 * d.primary.rel_hi);
	for (size_t i = 0; i < d.n_guardrails; i++)
		strbuf_addf(&q, "%s%s %s", i ? ", " : "; ", d.guardrails[i].metric,
			    d.guardrails[i].state == DECISION_HARM ? "HARM" :
			    decision_state_name(d.guardrails[i].state));
	strbuf_addf(&q, "; %s", decision_verdict_name(d.verdict));
	c->quality = strbuf_detach(&q, NULL);
out:
	free(ab);
	free(cfg);
	results_close(r);
	return rc;
}

/* ---- the study's cells ------------------------------------------------------ */

/* What running cells needs (struct study_kind's ctx). */
struct sweep_cells {
	struct study_manifest m;        /* a copy */
	struct sweep_axis axes[SWEEP_MAX_AXES];
	size_t n_axes, cells, *index;
};

/* Axes from the manifest's grid lines: 1 to 4, no key twice, at most 256
 * cells. */
static int parse_grid(struct sweep_axis *axes, size_t *n_axes, char *const *grid, size_t n,
		      size_t *cells, struct error *err)
{
	int rc;

	*n_axes = 0;
	*cells = 1;
	if (n == 0 || n > SWEEP_MAX_AXES)
		return error_set(err, ERR_INPUT, "a sweep needs 1 to %d --grid axes, not %zu",
				 SWEEP_MAX_AXES, n);
	for (size_t a = 0; a < n; a++) {
		if ((rc = sweep_axis_parse(&axes[a], grid[a], err)) < 0)
			return rc;
		*n_axes = a + 1;
		for (size_t b = 0; b < a; b++)
			if (!strcmp(axes[a].key, axes[b].key))
				return error_set(err, ERR_INPUT, "grid key '%s' given twice",
						 axes[a].key);
		*cells *= axes[a].n;
		if (*cells > SWEEP_MAX_CELLS)
			return error_set(err, ERR_INPUT, "the grid has more than %d cells",
					 SWEEP_MAX_CELLS);
	}
	return 0;
}

static size_t *grid_index_of(const struct sweep_axis *axes, size_t n_axes, size_t cells)
{
	size_t *index = xcalloc(cells * n_axes + 1, sizeof(size_t));

	for (size_t i = 0; i < cells; i++) {
		size_t rest = i;

		for (size_t a = n_axes; a-- > 0;) {
			index[i * n_axes + a] = rest % axes[a].n;
			rest /= axes[a].n;
		}
	}
	return index;
}

/* "a.b=1 c.d=2": cell i's overrides as the results show them. */
static char *cell_overrides(const struct sweep_cells *sc, size_t i)
{
	struct strbuf ov = STRBUF_INIT;

	for (size_t a = 0; a < sc->n_axes; a++)
		strbuf_addf(&ov, "%s%s=%s", a ? " " : "", sc->axes[a].key,
			 sc->axes[a].values[sc->index[i * sc->n_axes + a]]);
	return strbuf_detach(&ov, NULL);
}

/* Cell i's scenario: the text, the --set overrides, then the cell's (the
 * grid wins), read under the scenario's own name so messages and run
 * names are those of the file.  NULL with err naming the cell. */
static struct scenario *load_cell(const struct sweep_cells *sc, size_t i, struct error *err)
{
	size_t n = sc->m.n_sets, n_owned = 0;
	const char **sets = xcalloc(n + 1, sizeof(*sets));
	char **owned = NULL, *overrides = cell_overrides(sc, i);
	struct scenario *s;

	for (size_t k = 0; k < sc->m.n_sets; k++)
		sets[k] = sc->m.sets[k];
	for (size_t a = 0; a < sc->n_axes; a++) {
		/* "a.b+c.d=v" sets every linked key to v. */
		const char *val = sc->axes[a].values[sc->index[i * sc->n_axes + a]];
		const char *k = sc->axes[a].key;

		for (;;) {
			const char *plus = strchr(k, '+');
			size_t len = plus ? (size_t)(plus - k) : strlen(k);

			sets = xreallocarray(sets, n + 1, sizeof(*sets));
			owned = xreallocarray(owned, n_owned + 1, sizeof(*owned));
			owned[n_owned] = xasprintf("%.*s=%s", (int)len, k, val);
			sets[n++] = owned[n_owned++];
			if (!plus)
				break;
			k = plus + 1;
		}
	}
	s = scenario_parse(&config_schema, sc->m.scenario_text, sc->m.scenario_name, sets, n, err);
	/* The run's own checks too, so a bad cell stops the sweep before
	 * any cell runs. */
	if (!s || run_check(s, err) < 0) {
		error_prefix(err, "sweep cell %zu (%s): ", i, overrides);
		scenario_free(s);
		s = NULL;
	}
	for (size_t a = 0; a < n_owned; a++)
		free(owned[a]);
	free(owned);
	free(sets);
	free(overrides);
	return s;
}

static void cells_close(void *ctx)
{
	struct sweep_cells *sc = ctx;

	for (size_t a = 0; a < sc->n_axes; a++)
		sweep_axis_release(&sc->axes[a]);
	study_manifest_release(&sc->m);
	free(sc->index);
	free(sc);
}

static int cells_open(const struct study_manifest *m, bool check, void **ctx, size_t *n_cells,
		      struct error *err)
{
	struct sweep_cells *sc = xcalloc(1, sizeof(*sc));
	int rc;

	study_manifest_copy(&sc->m, m);
	if ((rc = parse_grid(sc->axes, &sc->n_axes, sc->m.grid, sc->m.n_grid, &sc->cells,
			     err)) < 0) {
		cells_close(sc);
		return rc;
	}
	sc->index = grid_index_of(sc->axes, sc->n_axes, sc->cells);
	for (size_t i = 0; check && i < sc->cells; i++) {
		struct scenario *s = load_cell(sc, i, err);

		if (!s) {
			cells_close(sc);
			return err->code;
		}
		scenario_free(s);
	}
	*ctx = sc;
	*n_cells = sc->cells;
	return 0;
}

static char *cells_name(void *ctx, size_t cell)
{
	(void)ctx;
	return xasprintf("cell-%03zu", cell);
}

/* A cell's summary: instance-hours, p99 (ms), availability. */
static int cells_run(void *ctx, size_t cell, const char *dir, struct pack *summary,
		     struct error *err)
{
	struct sweep_cells *sc = ctx;
	struct scenario *s = load_cell(sc, cell, err);
	struct run_options ro = { .out = dir };
	struct run_summary sum;
	struct sweep_cell c = { 0 };
	int rc;

	if (!s)
		return err->code;
	if ((rc = run_execute(s, &ro, &sum, err)) < 0) {
		char *ov = cell_overrides(sc, cell);

		error_prefix(err, "sweep cell %zu (%s): ", cell, ov);
		free(ov);
	} else if ((rc = read_cell(&c, dir, err)) == 0 &&
		   (rc = cell_quality(s, dir, &c, err)) == 0) {
		pack_f64(summary, c.instance_hours);
		pack_f64(summary, c.p99_ms);
		pack_f64(summary, c.availability);
		pack_f64(summary, c.primary_rel);
		pack_f64(summary, c.primary_lo);
		pack_f64(summary, c.primary_hi);
		pack_i64(summary, c.verdict);
		pack_str(summary, c.quality);
	}
	free(c.quality);
	scenario_free(s);
	return rc;
}

static const struct study_kind sweep_kind = {
	.name = "sweep",
	.open = cells_open,
	.close = cells_close,
	.cell_name = cells_name,
	.run_cell = cells_run,
};

/* ---- the sweep's results ------------------------------------------------------- */

/* The sweep's results.db, through results/sweepstore, written aside and
 * renamed into place. */
static int write_db(struct studydir *sd, const struct sweep_cells *sc,
		    const struct sweep_result *res, struct error *err)
{
	struct sweepstore_axis axes[SWEEP_MAX_AXES];
	struct sweepstore_cell *cells = xcalloc(res->n_cells + 1, sizeof(*cells));
	char *tmp = studydir_temp(sd, "results.db");
	int rc;

	for (size_t a = 0; a < sc->n_axes; a++)
		axes[a] = (struct sweepstore_axis){ sc->axes[a].key,
						    (const char *const *)sc->axes[a].values,
						    sc->axes[a].n };
	for (size_t i = 0; i < res->n_cells; i++) {
		const struct sweep_cell *c = &res->cells[i];

		cells[i] = (struct sweepstore_cell){
			.overrides = c->overrides,
			.dir = c->dir,
			.instance_hours = c->instance_hours,
			.p99_ms = c->p99_ms,
			.availability = c->availability,
			.meets_slo = c->meets_slo,
			.cheapest = c->cheapest,
			.error = c->error,
			.value = &sc->index[i * sc->n_axes],
		};
	}
	rc = sweepstore_write(tmp, axes, sc->n_axes, cells, res->n_cells, err);
	if (rc == 0)
		rc = studydir_publish(sd, "results.db", err);
	free(cells);
	free(tmp);
	return rc;
}

static char *csv_text(const struct sweep_cells *sc, const struct sweep_result *res, size_t *len)
{
	struct strbuf t = STRBUF_INIT;

	strbuf_addf(&t, "cell");
	for (size_t a = 0; a < sc->n_axes; a++)
		strbuf_addf(&t, ",%s", sc->axes[a].key);
	strbuf_addf(&t, ",instance_hours,p99_ms,availability,meets_slo,cheapest,run_dir,error,"
		    "primary_rel,primary_lo,primary_hi,quality,same_as\n");
	for (size_t i = 0; i < res->n_cells; i++) {
		const struct sweep_cell *c = &res->cells[i];

		strbuf_addf(&t, "%zu", i);
		for (size_t a = 0; a < sc->n_axes; a++)
			strbuf_addf(&t, ",%s", sc->axes[a].values[sc->index[i * sc->n_axes + a]]);
		if (c->error) {
			/* a failed cell: no figures, its error quoted */
			strbuf_addf(&t, ",,,,0,0,%s,\"", c->dir);
			for (const char *p = c->error; *p; p++) {
				if (*p == '"')
					strbuf_addch(&t, '"');
				strbuf_addch(&t, *p);
			}
			strbuf_addf(&t, "\",,,,,\n");
			continue;
		}
		strbuf_addf(&t, ",%.6f,%.3f,%.6f,%d,%d,%s,,", c->instance_hours, c->p99_ms,
			 c->availability, c->meets_slo, c->cheapest, c->dir);
		if (isfinite(c->primary_rel))
			strbuf_addf(&t, "%.6f,%.6f,%.6f,", c->primary_rel, c->primary_lo,
				    c->primary_hi);
		else
			strbuf_addf(&t, ",,,");
		strbuf_addf(&t, "\"%s\",", c->quality ? c->quality : "");
		if (c->same_as >= 0)
			strbuf_addf(&t, "%ld", c->same_as);
		strbuf_addf(&t, "\n");
	}
	return strbuf_detach(&t, len);
}

/* Cost against p99: cells meeting the SLO, cells missing it, the cheapest
 * policy that meets it, and the 200 ms line. */
static int draw(const struct sweep_result *res, const char *base, struct error *err)
{
	size_t n = res->n_cells, nm = 0, nx = 0;
	double *xm = xcalloc(n, sizeof(double)), *ym = xcalloc(n, sizeof(double));
	double *xx = xcalloc(n, sizeof(double)), *yx = xcalloc(n, sizeof(double));
	char *title;
	struct plot *p;
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct sweep_cell *c = &res->cells[i];

		if (c->error)
			continue;
		if (c->meets_slo) {
			xm[nm] = c->instance_hours;
			ym[nm++] = c->p99_ms;
		} else {
			xx[nx] = c->instance_hours;
			yx[nx++] = c->p99_ms;
		}
	}
	/* The policy itself is in sweep.csv; a title of key=value pairs would
	 * not fit the image. */
	title = res->cheapest >= 0
			? xasprintf("cost vs p99: cheapest policy meeting the SLO is cell %ld "
				    "(%.1f instance-hours, p99 %.0f ms)",
				    res->cheapest, res->cells[res->cheapest].instance_hours,
				    res->cells[res->cheapest].p99_ms)
			: xasprintf("cost vs p99: no policy meets p99 < 200 ms and availability >= 99.8 %%");
	p = plot_new(title);
	plot_set_labels(p, "cost (instance-hours)", "p99 latency (ms)", NULL);
	plot_set_log(p, false, true);
	if (nm)
		plot_add(p, "meets the SLO", PLOT_POINTS, xm, ym, nm);
	if (nx)
		plot_add(p, "misses the SLO (p99 or availability)", PLOT_POINTS, xx, yx, nx);
	if (res->cheapest >= 0) {
		double x = res->cells[res->cheapest].instance_hours;
		double y = res->cells[res->cheapest].p99_ms;

		plot_add(p, "cheapest meeting the SLO", PLOT_POINTS, &x, &y, 1);
	}
	plot_hline(p, SWEEP_SLO_P99_US / 1000.0, "p99 SLO 200 ms");
	rc = plot_render(p, base, PLOT_PNG | PLOT_SVG, err);
	plot_free(p);
	free(title);
	free(xm);
	free(ym);
	free(xx);
	free(yx);
	return rc;
}

/* Cost against the primary metric's lift: cells meeting the SLO with
 * their intervals, cells missing it apart, and the Pareto front of the
 * cells meeting it (no other such cell is as cheap with at least the
 * lift). */
static int draw_pareto(const struct sweep_result *res, const char *base, struct error *err)
{
	size_t n = res->n_cells, nm = 0, nx = 0, nf = 0, same = 0;
	double *xm = xcalloc(n + 1, sizeof(double)), *ym = xcalloc(n + 1, sizeof(double));
	double *lo = xcalloc(n + 1, sizeof(double)), *hi = xcalloc(n + 1, sizeof(double));
	double *xx = xcalloc(n + 1, sizeof(double)), *yx = xcalloc(n + 1, sizeof(double));
	double *xf = xcalloc(n + 1, sizeof(double)), *yf = xcalloc(n + 1, sizeof(double));
	char *title;
	struct plot *p;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		const struct sweep_cell *c = &res->cells[i];

		if (c->error || !isfinite(c->primary_rel))
			continue;
		same += c->same_as >= 0;
		if (c->meets_slo) {
			xm[nm] = c->instance_hours;
			ym[nm] = 100 * c->primary_rel;
			lo[nm] = 100 * c->primary_lo;
			hi[nm++] = 100 * c->primary_hi;
		} else {
			xx[nx] = c->instance_hours;
			yx[nx++] = 100 * c->primary_rel;
		}
	}
	if (nm + nx == 0)
		goto out;
	/* The front, in order of cost: each point lifts more than every
	 * cheaper one. */
	for (size_t k = 0; k < nm; k++) {
		size_t best = nm;

		for (size_t i = 0; i < nm; i++) {
			bool taken = false;

			for (size_t j = 0; j < nf; j++)
				taken |= xf[j] == xm[i] && yf[j] == ym[i];
			if (taken || (nf && (xm[i] < xf[nf - 1] || ym[i] <= yf[nf - 1])))
				continue;
			if (best == nm || xm[i] < xm[best] || (xm[i] == xm[best] && ym[i] > ym[best]))
				best = i;
		}
		if (best == nm)
			break;
		xf[nf] = xm[best];
		yf[nf++] = ym[best];
	}
	title = xasprintf("cost vs the primary metric's lift (%zu cells%s)", nm + nx,
			  same ? ", some identical: see sweep.csv" : "");
	p = plot_new(title);
	free(title);
	plot_set_labels(p, "cost (instance-hours)", "primary metric: relative lift (%), 95 % interval",
			NULL);
	if (nm)
		plot_add_errorbars(p, "meets the SLO", xm, ym, lo, hi, nm);
	if (nx)
		plot_add(p, "misses the SLO (p99 or availability)", PLOT_POINTS, xx, yx, nx);
	if (nf)
		plot_add(p, "Pareto front (least cost for the lift, SLO met)", PLOT_LINESPOINTS, xf,
			 yf, nf);
	plot_hline(p, 0, "no effect");
	rc = plot_render(p, base, PLOT_PNG | PLOT_SVG, err);
	plot_free(p);
out:
	free(xm);
	free(ym);
	free(lo);
	free(hi);
	free(xx);
	free(yx);
	free(xf);
	free(yf);
	return rc;
}

/* Decode the stored summaries, in cell order. */
static int fill_cells(const struct sweep_cells *sc, const struct study_outcome *st,
		      struct sweep_result *out, struct error *err)
{
	out->cells = xcalloc(st->n_cells + 1, sizeof(*out->cells));
	out->n_cells = st->n_cells;
	for (size_t i = 0; i < st->n_cells; i++) {
		const struct study_cell *c = &st->cells[i];
		struct sweep_cell *sw = &out->cells[i];
		struct unpack u;
		char what[64];
		int64_t verdict;
		int rc;

		sw->overrides = cell_overrides(sc, i);
		sw->dir = xstrdup(c->name);
		sw->instance_hours = sw->p99_ms = sw->availability = NAN;
		sw->primary_rel = sw->primary_lo = sw->primary_hi = NAN;
		sw->verdict = -1;
		sw->same_as = -1;
		if (!c->done) {
			sw->error = xstrdup(c->error);
			out->failed++;
			continue;
		}
		snprintf(what, sizeof(what), "sweep cell %zu's summary", i);
		unpack_init(&u, c->summary, c->len, what);
		if ((rc = unpack_f64(&u, &sw->instance_hours, err)) < 0 ||
		    (rc = unpack_f64(&u, &sw->p99_ms, err)) < 0 ||
		    (rc = unpack_f64(&u, &sw->availability, err)) < 0 ||
		    (rc = unpack_f64(&u, &sw->primary_rel, err)) < 0 ||
		    (rc = unpack_f64(&u, &sw->primary_lo, err)) < 0 ||
		    (rc = unpack_f64(&u, &sw->primary_hi, err)) < 0 ||
		    (rc = unpack_i64(&u, &verdict, err)) < 0 ||
		    (rc = unpack_str(&u, &sw->quality, err)) < 0 ||
		    (rc = unpack_end(&u, err)) < 0)
			return rc;
		sw->verdict = (int)verdict;
		/* Cells whose figures are all equal overlap in the plots. */
		for (size_t j = 0; j < i && sw->same_as < 0; j++) {
			const struct sweep_cell *o = &out->cells[j];

			if (!o->error && o->instance_hours == sw->instance_hours &&
			    o->p99_ms == sw->p99_ms && o->availability == sw->availability &&
			    (o->primary_rel == sw->primary_rel ||
			     (isnan(o->primary_rel) && isnan(sw->primary_rel))))
				sw->same_as = (long)j;
		}
		sw->meets_slo = sw->p99_ms < SWEEP_SLO_P99_US / 1000.0 &&
				sw->availability >= SWEEP_SLO_AVAILABILITY;
	}
	for (size_t i = 0; i < out->n_cells; i++) {
		const struct sweep_cell *c = &out->cells[i];

		/* Cheapest meeting the SLO; ties by lower p99, then grid order. */
		if (c->meets_slo &&
		    (out->cheapest < 0 || c->instance_hours < out->cells[out->cheapest].instance_hours ||
		     (c->instance_hours == out->cells[out->cheapest].instance_hours &&
		      c->p99_ms < out->cells[out->cheapest].p99_ms)))
			out->cheapest = (long)i;
	}
	if (out->cheapest >= 0)
		out->cells[out->cheapest].cheapest = true;
	return 0;
}

/* The manifest of a new sweep from the spec: the scenario file read and
 * checked, the axes as grid lines. */
static int make_manifest(const struct sweep_spec *spec, struct study_manifest *m,
			 struct error *err)
{
	struct sweep_axis check[SWEEP_MAX_AXES];
	char *grid[SWEEP_MAX_AXES];
	struct scenario *probe;
	size_t n_axes = 0, cells;
	int rc;

	memset(m, 0, sizeof(*m));
	if (spec->n_axes == 0 || spec->n_axes > SWEEP_MAX_AXES)
		return error_set(err, ERR_INPUT, "a sweep needs 1 to %d --grid axes, not %zu",
				 SWEEP_MAX_AXES, spec->n_axes);
	for (size_t a = 0; a < spec->n_axes; a++) {
		struct strbuf t = STRBUF_INIT;

		strbuf_addf(&t, "%s=", spec->axes[a].key);
		for (size_t i = 0; i < spec->axes[a].n; i++)
			strbuf_addf(&t, "%s%s", i ? "," : "", spec->axes[a].values[i]);
		grid[a] = strbuf_detach(&t, NULL);
	}
	rc = parse_grid(check, &n_axes, grid, spec->n_axes, &cells, err);
	for (size_t a = 0; a < n_axes; a++)
		sweep_axis_release(&check[a]);
	if (rc < 0)
		goto out;
	if (!(probe = scenario_load(&config_schema, spec->scenario, spec->sets, spec->n_sets, err))) {
		rc = err->code;
		goto out;
	}
	{
		struct study_manifest view = {
			.kind = "sweep",
			.scenario_name = (char *)spec->scenario,
			.scenario_text = (char *)scenario_text(probe),
			.sets = (char **)spec->sets,
			.n_sets = spec->n_sets,
			.grid = grid,
			.n_grid = spec->n_axes,
		};

		study_manifest_copy(m, &view);
	}
	scenario_free(probe);
out:
	for (size_t a = 0; a < spec->n_axes; a++)
		free(grid[a]);
	return rc;
}

int sweep_execute(const struct sweep_spec *spec, struct sweep_result *out, struct error *err)
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
	struct sweep_cells *sc = NULL;
	size_t n_cells, csv_len = 0;
	char *csv = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->cheapest = -1;
	memset(&m, 0, sizeof(m));
	if (study_is_worker()) {
		rc = study_execute(&sweep_kind, NULL, &o, &st, err);
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
	rc = study_execute(&sweep_kind, &m, &o, &st, err);
	out->stats = st.stats;
	if (rc < 0)
		goto out;
	snprintf(out->dir, sizeof(out->dir), "%s", st.dir);
	if ((rc = cells_open(&m, false, (void **)&sc, &n_cells, err)) < 0 ||
	    (rc = fill_cells(sc, &st, out, err)) < 0 || (rc = write_db(st.sd, sc, out, err)) < 0)
		goto out;
	csv = csv_text(sc, out, &csv_len);
	if ((rc = studydir_write_file(st.sd, "sweep.csv", csv, csv_len, err)) < 0)
		goto out;
	if (spec->plots) {
		char *base = studydir_file(st.sd, "sweep");
		struct error perr;

		error_clear(&perr);
		if (draw(out, base, &perr) < 0)
			snprintf(out->warning, sizeof(out->warning), "sweep plot skipped: %.900s",
				 perr.msg);
		free(base);
		base = studydir_file(st.sd, "sweep-pareto");
		error_clear(&perr);
		if (!out->warning[0] && draw_pareto(out, base, &perr) < 0)
			snprintf(out->warning, sizeof(out->warning), "sweep Pareto plot skipped: "
				 "%.900s", perr.msg);
		free(base);
	}
out:
	if (rc < 0)
		sweep_result_release(out);
	if (sc)
		cells_close(sc);
	study_outcome_release(&st);
	study_manifest_release(&m);
	free(csv);
	return rc;
}
