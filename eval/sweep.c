/* Parameter sweeps over a grid of scenario keys; see sweep.h. */
#include "eval/sweep.h"

#include "common/scenario.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "render/plot.h"
#include "results/results.h"
#include "results/rundir.h"
#include "results/schema.h"
#include "results/sweepstore.h"

#include <math.h>
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
	}
	free(r->cells);
	r->cells = NULL;
	r->n_cells = 0;
}

static const char *scenario_base_name(const char *path, char *buf, size_t cap)
{
	const char *base = strrchr(path, '/');
	char *dot;

	snprintf(buf, cap, "%s-sweep", base ? base + 1 : path);
	dot = strstr(buf, ".ini-sweep");
	if (dot)
		memmove(dot, dot + 4, strlen(dot + 4) + 1);
	for (char *q = buf; *q; q++)
		if (*q == '/' || *q == ' ')
			*q = '_';
	return buf;
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

/* The sweep's results.db, through results/sweepstore. */
static int write_db(const struct sweep_spec *spec, const struct sweep_result *res,
		    const size_t *index, const char *path, struct error *err)
{
	struct sweepstore_axis axes[SWEEP_MAX_AXES];
	struct sweepstore_cell *cells = xcalloc(res->n_cells + 1, sizeof(*cells));
	int rc;

	for (size_t a = 0; a < spec->n_axes; a++)
		axes[a] = (struct sweepstore_axis){ spec->axes[a].key,
						    (const char *const *)spec->axes[a].values,
						    spec->axes[a].n };
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
			.value = &index[i * spec->n_axes],
		};
	}
	rc = sweepstore_write(path, axes, spec->n_axes, cells, res->n_cells, err);
	free(cells);
	return rc;
}

static char *csv_text(const struct sweep_spec *spec, const struct sweep_result *res,
		      const size_t *index, size_t *len)
{
	struct strbuf t = STRBUF_INIT;

	strbuf_addstr(&t, "cell");
	for (size_t a = 0; a < spec->n_axes; a++)
		strbuf_addf(&t, ",%s", spec->axes[a].key);
	strbuf_addf(&t, ",instance_hours,p99_ms,availability,meets_slo,cheapest,run_dir\n");
	for (size_t i = 0; i < res->n_cells; i++) {
		const struct sweep_cell *c = &res->cells[i];

		strbuf_addf(&t, "%zu", i);
		for (size_t a = 0; a < spec->n_axes; a++)
			strbuf_addf(&t, ",%s", spec->axes[a].values[index[i * spec->n_axes + a]]);
		strbuf_addf(&t, ",%.6f,%.3f,%.6f,%d,%d,%s\n", c->instance_hours, c->p99_ms,
			 c->availability, c->meets_slo, c->cheapest, c->dir);
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

/* The grid's cells: index[i * n_axes + a] is cell i's value on axis a
 * (first axis slowest). */
static size_t *grid_index(const struct sweep_spec *spec, size_t cells)
{
	size_t *index = xcalloc(cells * spec->n_axes + 1, sizeof(size_t));

	for (size_t i = 0; i < cells; i++) {
		size_t rest = i;

		for (size_t a = spec->n_axes; a-- > 0;) {
			index[i * spec->n_axes + a] = rest % spec->axes[a].n;
			rest /= spec->axes[a].n;
		}
	}
	return index;
}

/* Cell i's scenario: the file, the caller's --set overrides, then the
 * cell's (the grid wins).  *overrides gets the cell's "key=value ..." text
 * (caller frees).  NULL with err naming the cell on a bad scenario. */
static struct scenario *load_cell(const struct sweep_spec *spec, size_t i, const size_t *index,
				  char **overrides, struct error *err)
{
	size_t n = spec->n_sets, n_owned = 0;
	const char **sets = xcalloc(n + 1, sizeof(*sets));
	char **owned = NULL;
	struct strbuf ov = STRBUF_INIT;
	struct scenario *sc;

	for (size_t k = 0; k < spec->n_sets; k++)
		sets[k] = spec->sets[k];
	for (size_t a = 0; a < spec->n_axes; a++)
		strbuf_addf(&ov, "%s%s=%s", a ? " " : "", spec->axes[a].key,
			 spec->axes[a].values[index[i * spec->n_axes + a]]);
	for (size_t a = 0; a < spec->n_axes; a++) {
		/* "a.b+c.d=v" sets every linked key to v. */
		const char *val = spec->axes[a].values[index[i * spec->n_axes + a]];
		const char *k = spec->axes[a].key;

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
	*overrides = strbuf_detach(&ov, NULL);
	sc = scenario_load(&config_schema, spec->scenario, sets, n, err);
	/* The run's own checks too, so a bad cell stops the sweep before
	 * any cell runs. */
	if (!sc || run_check(sc, err) < 0) {
		error_prefix(err, "sweep cell %zu (%s): ", i, *overrides);
		scenario_free(sc);
		sc = NULL;
	}
	for (size_t a = 0; a < n_owned; a++)
		free(owned[a]);
	free(owned);
	free(sets);
	return sc;
}

static int run_cell(const struct sweep_spec *spec, struct rundir *rd, size_t i,
		    const size_t *index, struct sweep_cell *c, struct error *err)
{
	struct scenario *sc = NULL;
	struct run_options ro = { 0 };
	struct run_summary sum;
	char *rel = xasprintf("cell-%03zu", i), *dir = rundir_file(rd, rel);
	int rc;

	c->dir = xstrdup(rel);
	if (!(sc = load_cell(spec, i, index, &c->overrides, err))) {
		rc = err->code;
		goto out;
	}
	if (spec->progress)
		spec->progress(spec->progress_ctx, i, 0, c->overrides);
	ro.out = dir;
	ro.progress = spec->run_progress;
	ro.progress_ctx = spec->run_progress_ctx;
	if ((rc = run_execute(sc, &ro, &sum, err)) < 0) {
		error_prefix(err, "sweep cell %zu (%s): ", i, c->overrides);
		goto out;
	}
	rc = read_cell(c, dir, err);
out:
	scenario_free(sc);
	free(rel);
	free(dir);
	return rc;
}

int sweep_execute(const struct sweep_spec *spec, struct sweep_result *out, struct error *err)
{
	struct rundir *rd = NULL;
	struct scenario *probe = NULL;
	struct config *base_cfg = NULL;
	struct strbuf grid = STRBUF_INIT;
	size_t cells = 1, *index = NULL, csv_len = 0;
	char name[256], *path = NULL, *csv = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->cheapest = -1;
	if (spec->n_axes == 0 || spec->n_axes > SWEEP_MAX_AXES)
		return error_set(err, ERR_INPUT, "a sweep needs 1 to %d --grid axes, not %zu",
				 SWEEP_MAX_AXES, spec->n_axes);
	for (size_t a = 0; a < spec->n_axes; a++) {
		for (size_t b = 0; b < a; b++)
			if (!strcmp(spec->axes[a].key, spec->axes[b].key))
				return error_set(err, ERR_INPUT, "grid key '%s' given twice",
						 spec->axes[a].key);
		cells *= spec->axes[a].n;
		if (cells > SWEEP_MAX_CELLS)
			return error_set(err, ERR_INPUT, "the grid has more than %d cells",
					 SWEEP_MAX_CELLS);
	}
	/* The base scenario and every cell's must load and pass the run's
	 * checks before anything is created. */
	if (!(probe = scenario_load(&config_schema, spec->scenario, spec->sets, spec->n_sets, err)))
		return err->code;
	/* Its seed names the sweep's directory; the cells are what is checked. */
	base_cfg = xmalloc(sizeof(*base_cfg));
	config_fill(base_cfg, probe);
	index = grid_index(spec, cells);
	for (size_t i = 0; i < cells; i++) {
		char *ov = NULL;
		struct scenario *sc = load_cell(spec, i, index, &ov, err);

		free(ov);
		if (!sc) {
			rc = err->code;
			goto out;
		}
		scenario_free(sc);
	}
	for (size_t a = 0; a < spec->n_axes; a++) {
		strbuf_addf(&grid, "grid %s=", spec->axes[a].key);
		for (size_t i = 0; i < spec->axes[a].n; i++)
			strbuf_addf(&grid, "%s%s", i ? "," : "", spec->axes[a].values[i]);
		strbuf_addf(&grid, "\n");
	}
	for (size_t k = 0; k < spec->n_sets; k++)
		strbuf_addf(&grid, "%s\n", spec->sets[k]);
	rc = rundir_begin(&rd, &(struct rundir_spec){
				      .base = spec->reports_base ? spec->reports_base : "reports",
				      .name = scenario_base_name(spec->scenario, name, sizeof(name)),
				      .out = spec->out,
				      .scenario_text = scenario_text(probe),
				      .overrides = grid.buf,
				      .seed = base_cfg->run.seed,
			      }, err);
	if (rc < 0)
		goto out;
	if ((rc = rundir_write_file(rd, "scenario.ini", scenario_text(probe),
				    strlen(scenario_text(probe)), err)) < 0 ||
	    (rc = rundir_write_file(rd, "grid.txt", grid.buf, grid.len, err)) < 0)
		goto out;
	out->cells = xcalloc(cells, sizeof(*out->cells));
	for (size_t i = 0; i < cells; i++) {
		out->n_cells = i + 1;
		if ((rc = run_cell(spec, rd, i, index, &out->cells[i], err)) < 0)
			goto out;
	}
	for (size_t i = 0; i < cells; i++) {
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
	path = rundir_file(rd, "results.db");
	if ((rc = write_db(spec, out, index, path, err)) < 0)
		goto out;
	csv = csv_text(spec, out, index, &csv_len);
	if ((rc = rundir_write_file(rd, "sweep.csv", csv, csv_len, err)) < 0)
		goto out;
	if (spec->plots) {
		char *base = rundir_file(rd, "sweep");
		struct error perr;

		error_clear(&perr);
		if (draw(out, base, &perr) < 0)
			snprintf(out->warning, sizeof(out->warning), "sweep plot skipped: %.900s",
				 perr.msg);
		free(base);
	}
	if ((rc = rundir_commit(rd, err)) < 0)
		goto out;
	snprintf(out->dir, sizeof(out->dir), "%s", rundir_path(rd));
out:
	if (rc < 0)
		sweep_result_release(out);
	rundir_free(rd);
	scenario_free(probe);
	free(base_cfg);
	free(index);
	free(path);
	free(csv);
	strbuf_release(&grid);
	return rc;
}
