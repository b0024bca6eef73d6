/* Studies of many cells on local processes or MPI ranks; see study.h. */
#include "eval/study.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "dist/dist.h"
#include "dist/mpi.h"

/* The cells' side: what runs a task, in whichever process gets it. */
struct runner {
	const struct study_kind *kind;
	void *ctx;
	const char *dir;          /* the study directory */
};

/* The driver's side. */
struct driver {
	struct runner run;
	struct studydir *sd;
	const struct study_options *o;
	char **names;             /* per cell */
	size_t n_cells, to_run, finished;
	bool mpi;
	double *transfer, *store; /* per finished cell of this session */
	size_t n_timed;
};

bool study_is_worker(void)
{
	const char *r = getenv("OMPI_COMM_WORLD_RANK");

	return dist_mpi_launched() && r && strcmp(r, "0") != 0;
}

/* AIRTIME_STUDY_FAIL_CELLS: a comma-separated list of cell indices. */
static bool injected(size_t cell)
{
	const char *s = getenv("AIRTIME_STUDY_FAIL_CELLS");

	while (s && *s) {
		char *end;
		unsigned long long v = strtoull(s, &end, 10);

		if (end == s)
			return false;
		if (v == cell)
			return true;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return false;
	}
	return false;
}

static int run_task(void *ctx, size_t task, struct pack *out, struct error *err)
{
	struct runner *r = ctx;
	char *name = r->kind->cell_name(r->ctx, task), *dir = xasprintf("%s/%s", r->dir, name);
	int rc;

	if (injected(task))
		rc = error_set(err, ERR_RUN, "injected failure of cell %zu (AIRTIME_STUDY_FAIL_CELLS)",
			       task);
	else
		rc = r->kind->run_cell(r->ctx, task, dir, out, err);
	free(dir);
	free(name);
	return rc;
}

static int on_done(void *ctx, const struct dist_result *r, struct error *err)
{
	struct driver *d = ctx;
	char worker[32];
	struct studydir_cell c = {
		.cell = r->task,
		.name = d->names[r->task],
		.done = r->rc == 0,
		.error = r->rc == 0 ? "" : r->error,
		.summary = r->data,
		.len = r->len,
	};
	struct studydir_attempt a = {
		.worker = worker, .host = r->host, .pid = r->pid, .run_s = r->run_s,
		.transfer_s = r->overhead_s,
	};
	double t0 = dist_now();
	int rc;

	ASSERT(r->task < d->n_cells);
	snprintf(worker, sizeof(worker), "%s %d", d->mpi ? "rank" : "job", r->worker);
	if ((rc = studydir_store(d->sd, &c, &a, err)) < 0)
		return rc;
	d->transfer[d->n_timed] = r->overhead_s;
	d->store[d->n_timed++] = dist_now() - t0;
	d->finished++;
	if (d->o->progress) {
		struct study_progress p = {
			.cell = r->task, .cells = d->n_cells, .name = d->names[r->task],
			.done = c.done, .error = c.error, .finished = d->finished,
			.to_run = d->to_run, .worker = worker, .host = r->host, .run_s = r->run_s,
		};

		d->o->progress(d->o->progress_ctx, &p);
	}
	return 0;
}

/* ---- reading the journal back ----------------------------------------------- */

struct collect {
	struct study_outcome *out;
	struct error *err;
};

static int collect_cell(void *ctx, const struct studydir_cell *c)
{
	struct collect *k = ctx;
	struct study_cell *sc;

	if (c->cell >= k->out->n_cells)
		return error_set(k->err, ERR_CORRUPT,
				 "the study's journal holds cell %zu of a study of %zu cells",
				 c->cell, k->out->n_cells);
	sc = &k->out->cells[c->cell];
	if (strcmp(sc->name, c->name))
		return error_set(k->err, ERR_CORRUPT,
				 "the study's journal names cell %zu '%s', not '%s'", c->cell,
				 c->name, sc->name);
	sc->done = c->done;
	free(sc->error);
	sc->error = xstrdup(c->error);
	free(sc->summary);
	sc->summary = xmalloc(c->len + 1);
	if (c->len)
		memcpy(sc->summary, c->summary, c->len);
	sc->len = c->len;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void median_max(double *v, size_t n, double *median, double *max)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			v[k++] = v[i];
	if (k == 0) {
		*median = *max = NAN;
		return;
	}
	qsort(v, k, sizeof(*v), cmp_double);
	*median = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
	*max = v[k - 1];
}

/* ---- the driver ---------------------------------------------------------------- */

/* Bytes rank 0 sends every rank: the study directory and the manifest. */
static void setup_bytes(struct pack *p, const char *dir, const struct study_manifest *m)
{
	size_t len;
	char *text = study_manifest_format(m, &len);

	pack_str(p, dir);
	pack_bytes(p, text, len);
	free(text);
}

static int drive(const struct study_kind *kind, const struct study_manifest *m,
		 const struct study_options *o, bool mpi, struct study_outcome *out,
		 struct error *err)
{
	struct driver d = { .o = o, .mpi = mpi };
	struct collect k = { out, err };
	size_t *tasks = NULL, n_tasks = 0;
	char *dir = NULL, *abs = NULL;
	double t0 = dist_now();
	int rank = 0, size = 1, rc, setup_sent = 0;

	out->stats.mpi = mpi;
	if (mpi && (rc = dist_mpi_init(&rank, &size, err)) < 0)
		return rc;
	out->stats.ranks = mpi ? size : 0;
	if (strcmp(m->kind, kind->name)) {
		rc = error_set(err, ERR_INPUT, "the study is a %s, not a %s", m->kind, kind->name);
		goto out;
	}
	if ((rc = kind->open(m, true, &d.run.ctx, &d.n_cells, err)) < 0)
		goto out;
	d.run.kind = kind;
	dir = o->out ? xstrdup(o->out)
		     : studydir_default_path(o->reports_base ? o->reports_base : "reports", m);
	if ((rc = studydir_open(&d.sd, dir, m, err)) < 0)
		goto out;
	/* The other ranks may run elsewhere: give them the full path. */
	abs = realpath(dir, NULL);
	d.run.dir = abs ? abs : dir;
	snprintf(out->dir, sizeof(out->dir), "%s", dir);
	out->n_cells = d.n_cells;
	out->cells = xcalloc(d.n_cells + 1, sizeof(*out->cells));
	d.names = xcalloc(d.n_cells + 1, sizeof(*d.names));
	for (size_t i = 0; i < d.n_cells; i++) {
		d.names[i] = kind->cell_name(d.run.ctx, i);
		out->cells[i].name = xstrdup(d.names[i]);
		out->cells[i].error = xstrdup("");
	}
	if ((rc = studydir_each_cell(d.sd, collect_cell, &k, err)) < 0)
		goto out;
	tasks = xcalloc(d.n_cells + 1, sizeof(*tasks));
	for (size_t i = 0; i < d.n_cells; i++) {
		if (out->cells[i].done) {
			out->stats.skipped++;
			continue;
		}
		/* A run directory a killed worker committed, or a failed
		 * attempt's: the cell runs again from nothing. */
		if ((rc = studydir_remove(d.sd, d.names[i], err)) < 0)
			goto out;
		tasks[n_tasks++] = i;
	}
	d.to_run = n_tasks;
	d.transfer = xcalloc(n_tasks + 1, sizeof(double));
	d.store = xcalloc(n_tasks + 1, sizeof(double));
	{
		struct dist_job job = {
			.run = run_task, .run_ctx = &d.run, .done = on_done, .done_ctx = &d,
			.tasks = tasks, .n_tasks = n_tasks,
		};

		if (mpi) {
			struct pack p;

			pack_init(&p);
			setup_bytes(&p, d.run.dir, m);
			dist_mpi_send_setup(0, p.data, p.len);
			setup_sent = 1;
			pack_release(&p);
			rc = dist_mpi_master(&job, err);
		} else {
			out->stats.ranks = (int)(o->jobs ? o->jobs : dist_default_jobs());
			if ((size_t)out->stats.ranks > n_tasks)
				out->stats.ranks = (int)(n_tasks ? n_tasks : 1);
			rc = dist_local_run(&job, o->jobs, err);
		}
	}
	out->stats.ran = d.finished;
	median_max(d.transfer, d.n_timed, &out->stats.transfer_median_s,
		   &out->stats.transfer_max_s);
	median_max(d.store, d.n_timed, &out->stats.store_median_s, &out->stats.store_max_s);
	if (rc < 0)
		goto out;
	/* Every cell, old and new, as the journal holds it. */
	for (size_t i = 0; i < d.n_cells; i++)
		out->cells[i].done = false;
	if ((rc = studydir_each_cell(d.sd, collect_cell, &k, err)) < 0)
		goto out;
	for (size_t i = 0; i < d.n_cells; i++)
		out->stats.failed += !out->cells[i].done;
out:
	if (mpi) {
		if (!setup_sent)
			dist_mpi_send_setup(rc < 0 ? rc : ERR_RUN, NULL, 0);
		dist_mpi_finalize();
	}
	out->stats.wall_s = dist_now() - t0;
	if (d.names)
		for (size_t i = 0; i < d.n_cells; i++)
			free(d.names[i]);
	free(d.names);
	free(d.transfer);
	free(d.store);
	free(tasks);
	free(abs);
	free(dir);
	if (d.run.ctx)
		kind->close(d.run.ctx);
	out->sd = d.sd;
	return rc;
}

/* An MPI rank other than 0: the setup, then cells until told to stop. */
static int work(const struct study_kind *kind, struct study_outcome *out, struct error *err)
{
	struct runner run = { .kind = kind };
	struct study_manifest m;
	struct pack setup;
	struct unpack u;
	char *dir = NULL;
	const void *text;
	size_t len;
	int rank, size, code = 0, rc;
	size_t n_cells;

	out->worker = true;
	out->stats.mpi = true;
	memset(&m, 0, sizeof(m));
	pack_init(&setup);
	if ((rc = dist_mpi_init(&rank, &size, err)) < 0)
		return rc;
	out->stats.ranks = size;
	if ((rc = dist_mpi_recv_setup(&code, &setup, err)) < 0)
		goto out;
	if (code < 0) {
		/* Rank 0 failed before the study began, and says so itself. */
		out->worker_code = code;
		goto out;
	}
	unpack_init(&u, setup.data, setup.len, "rank 0's setup");
	if ((rc = unpack_str(&u, &dir, err)) < 0 || (rc = unpack_bytes(&u, &text, &len, err)) < 0 ||
	    (rc = study_manifest_parse(&m, text, len, "rank 0's manifest", err)) < 0 ||
	    (rc = kind->open(&m, false, &run.ctx, &n_cells, err)) < 0)
		BUG("rank %d cannot read rank 0's setup: %s", rank, err->msg);
	run.dir = dir;
	{
		struct dist_job job = { .run = run_task, .run_ctx = &run };

		rc = dist_mpi_worker(&job, err);
	}
	kind->close(run.ctx);
out:
	dist_mpi_finalize();
	study_manifest_release(&m);
	pack_release(&setup);
	free(dir);
	return rc;
}

int study_execute(const struct study_kind *kind, const struct study_manifest *m,
		  const struct study_options *o, struct study_outcome *out, struct error *err)
{
	memset(out, 0, sizeof(*out));
	if (study_is_worker())
		return work(kind, out, err);
	ASSERT(m != NULL);
	return drive(kind, m, o, dist_mpi_launched(), out, err);
}

int study_abort(int rc)
{
	struct error err;
	int rank, size;

	if (!dist_mpi_launched() || study_is_worker())
		return rc;
	if (dist_mpi_init(&rank, &size, &err) == 0) {
		dist_mpi_send_setup(rc < 0 ? rc : ERR_RUN, NULL, 0);
		dist_mpi_finalize();
	}
	return rc;
}

void study_outcome_release(struct study_outcome *o)
{
	for (size_t i = 0; i < o->n_cells; i++) {
		free(o->cells[i].name);
		free(o->cells[i].error);
		free(o->cells[i].summary);
	}
	free(o->cells);
	studydir_close(o->sd);
	memset(o, 0, sizeof(*o));
}
