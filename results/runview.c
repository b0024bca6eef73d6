/* A stored run, read back; see runview.h. */
#include "results/runview.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/xalloc.h"
#include "config/config.h"
#include "results/schema.h"
#include "stats/slo.h"

/* Copy a run's row into *v (empty: not yet copied). */
static void take_run(struct runview *v, const struct results_run *r)
{
	v->run_id = r->run_id;
	v->run_key = xstrdup(r->run_key);
	v->name = xstrdup(r->name);
	v->scenario_text = xstrdup(r->scenario_text);
	v->overrides = xstrdup(r->overrides);
	v->git_rev = xstrdup(r->git_rev);
	v->version = xstrdup(r->version);
	v->host = xstrdup(r->host);
	v->started_utc = xstrdup(r->started_utc);
	v->seed = r->seed;
	v->wall_seconds = r->wall_seconds;
	v->status = r->status;
}

struct pick {
	int64_t want;              /* RUNVIEW_FIRST, RUNVIEW_ANALYSIS or a run id */
	struct runview *v;
	size_t n, cap;             /* runs seen */
	struct seen {
		int64_t id;
		bool loadtest;
	} *seen;                   /* in recording order */
	char *list;                /* "1 'a', 2 'b'", for the error of an ambiguous or bad id */
};

static int pick_run(const struct results_run *r, void *ctx)
{
	struct pick *p = ctx;
	char *list = xasprintf("%s%s%lld '%s'", p->list ? p->list : "", p->list ? ", " : "",
			       (long long)r->run_id, r->name);

	free(p->list);
	p->list = list;
	XGROW(p->seen, p->n + 1, p->cap);
	p->seen[p->n].id = r->run_id;
	p->seen[p->n].loadtest = !strcmp(r->name, schema_name(SCHEMA_RUN_LOADTEST));
	p->n++;
	if (!p->v->name && (p->want <= 0 || r->run_id == p->want))
		take_run(p->v, r);
	return p->want == RUNVIEW_FIRST;
}

static void pick_release(struct pick *p)
{
	free(p->seen);
	free(p->list);
}

static int first_mode(const char *mode, void *ctx)
{
	(void)mode;
	*(bool *)ctx = true;
	return 1;
}

/* Does run `id` hold A/B tables or SLO rows?  Either counts: a replayed
 * run (every user on the control ranker) has SLO rows but no A/B tables. */
static int holds_analysis(struct results *r, int64_t id, bool *yes, struct error *err)
{
	struct slo_table *t;
	int rc;

	*yes = false;
	rc = results_each_abtest_mode(r, id, first_mode, yes, err);
	if (rc < 0 || *yes)
		return rc < 0 ? rc : 0;
	t = xmalloc(sizeof(*t));
	rc = results_get_slo(r, id, t, err);
	*yes = rc == 0 && t->n > 0;
	free(t);
	return rc < 0 ? rc : 0;
}

/* Among p's runs, those holding the experiment's analysis: how many
 * (*holding) and, when exactly one, which (*id). */
static int find_analysis(struct results *r, const struct pick *p, int64_t *id, size_t *holding,
			 struct error *err)
{
	*id = 0;
	*holding = 0;
	for (size_t i = 0; i < p->n; i++) {
		bool yes;
		int rc;

		if (p->seen[i].loadtest)
			continue; /* its SLO rows are its own, not the experiment's */
		if ((rc = holds_analysis(r, p->seen[i].id, &yes, err)) < 0)
			return rc;
		if (yes && (*holding)++ == 0)
			*id = p->seen[i].id;
	}
	if (*holding != 1)
		*id = 0;
	return 0;
}

/* Of a file of several runs, the one holding the analysis, into *run. */
static int pick_analysis(struct results *r, const char *path, struct pick *p,
			 struct runview *run, struct error *err)
{
	struct pick again = { 0 };
	size_t holding;
	int64_t id;
	int rc;

	if ((rc = find_analysis(r, p, &id, &holding, err)) < 0)
		return rc;
	if (holding == 0)
		return error_set(err, ERR_INPUT, "'%s' holds %zu runs (%s) and none of them holds "
				 "an experiment's analysis: select one with --run ID", path, p->n,
				 p->list);
	if (holding > 1)
		return error_set(err, ERR_INPUT, "'%s' holds %zu runs (%s) and %zu of them hold an "
				 "experiment's analysis: select one with --run ID", path, p->n,
				 p->list, holding);
	if (run->run_id == id)
		return 0;
	runview_release(run);
	again.want = id;
	again.v = run;
	rc = results_each_run(r, pick_run, &again, err);
	pick_release(&again);
	if (rc == 0 && !run->name)
		rc = error_set(err, ERR_CORRUPT, "'%s': run %lld vanished while reading", path,
			       (long long)id);
	return rc < 0 ? rc : 0;
}

struct results *runview_open_run(const char *run_dir, int64_t run_id, struct runview *run,
				 struct error *err)
{
	char *path = xasprintf("%s/results.db", run_dir);
	struct pick p = { .want = run_id, .v = run };
	struct results *r = NULL;
	struct stat st;
	int rc;

	memset(run, 0, sizeof(*run));
	if (stat(path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			error_set(err, ERR_INPUT, "'%s' is not a run directory: '%s' not found",
				  run_dir, path);
		else
			error_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	r = results_open_readonly(path, err);
	if (!r) {
		error_prefix(err, "reading '%s': ", path);
		goto out;
	}
	rc = results_each_run(r, pick_run, &p, err);
	if (rc < 0)
		goto out_close;
	if (p.n == 0) {
		error_set(err, ERR_CORRUPT, "'%s' records no run", path);
		goto out_close;
	}
	if (run_id == RUNVIEW_ANALYSIS && p.n > 1) {
		if (pick_analysis(r, path, &p, run, err) < 0)
			goto out_close;
		run->analysis_pick = true;
	}
	if (!run->name) {
		error_set(err, ERR_INPUT, "'%s' has no run %lld (its runs: %s)", path,
			  (long long)run_id, p.list);
		goto out_close;
	}
	run->file_runs = p.n;
	run->file_list = p.list;
	p.list = NULL;
	pick_release(&p);
	free(path);
	return r;

out_close:
	results_close(r);
	r = NULL;
	runview_release(run);
out:
	pick_release(&p);
	free(path);
	return r;
}

struct results *runview_open(const char *run_dir, struct runview *run, struct error *err)
{
	return runview_open_run(run_dir, RUNVIEW_FIRST, run, err);
}

void runview_release(struct runview *run)
{
	if (!run)
		return;
	free(run->run_key);
	free(run->name);
	free(run->scenario_text);
	free(run->overrides);
	free(run->git_rev);
	free(run->version);
	free(run->host);
	free(run->started_utc);
	free(run->file_list);
	memset(run, 0, sizeof(*run));
}

struct scenario *runview_scenario(const struct runview *run, struct error *err)
{
	char *copy = xstrdup(run->overrides ? run->overrides : "");
	const char **sets = NULL;
	size_t n = 0, cap = 0;
	struct scenario *sc;
	char *line = copy;

	/* Overrides are stored one per line. */
	while (*line) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (*line) {
			XGROW(sets, n + 1, cap);
			sets[n++] = line;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	sc = scenario_parse(&config_schema, run->scenario_text, run->name, sets, n, err);
	free(sets);
	free(copy);
	return sc;
}

void runview_axis_for(struct runview_axis *ax, const struct results_series *s)
{
	double span = s ? (double)s->n * (double)s->width / 1e6 : 0;

	if (span > 3 * 86400.0) {
		ax->div = 86400;
		ax->label = "simulated time (days)";
	} else if (span > 3 * 3600.0) {
		ax->div = 3600;
		ax->label = "simulated time (hours)";
	} else {
		ax->div = 60;
		ax->label = "simulated time (minutes)";
	}
}

double *runview_axis_x(const struct runview_axis *ax, const struct results_series *s)
{
	double *x = xcalloc(s->n ? s->n : 1, sizeof(double));

	for (size_t i = 0; i < s->n; i++)
		x[i] = s->start_s[i] / ax->div;
	return x;
}
