/* Tests for results/schema.c: every name of results.db is written by the
 * real writers, read by the reader its row names (or documented as written
 * only), documented in docs/results-schema.md, and nothing is written that
 * the list does not hold.
 *
 * The writers run for real, once for the suite, on tiny worlds: a run with
 * [ab] mode = both (split, control and treatment worlds) logging its
 * impressions with an off-policy target (and its truth world), exporting
 * its trace, a replay of that trace, the same run with [stream] store =
 * redis (a redis-server of the suite's own), validate-sim, airtime ope with
 * one replication, three load tests (constant and scenario shape in
 * process, one of an HTTP target: airtime's server on a loopback port), a
 * one-cell sweep and a one-seed replication (with their studies'
 * journals).  Every stored name of those
 * results.db files is collected; the tests compare the collection with the
 * list in both directions.  The readers are checked in their sources: a
 * row read by name must be referred to by its id (in code, not in a comment
 * or a string) in the file it names. */
#include "results/schema.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "eval/operun.h"
#include "eval/replicate.h"
#include "eval/run.h"
#include "eval/sweep.h"
#include "eval/validity.h"
#include "render/plot.h"
#include "results/results.h"
#include "serve/loadrun.h"
#include "serve/servedir.h"
#include "serve/server.h"
#include "tests/check_main.h"
#include "tests/redisfix.h"
#include "tests/tmpdir.h"

#define DOC_PATH "docs/results-schema.md"

/* A tiny world, as tests/tinyrun.c makes it, in all three worlds, with a
 * plugin of its own as the control (RANKER below) for the rankers' host
 * histograms. */
static const char *const tiny[] = {
	"world.users=500",       "world.creators=100",        "run.warmup_days=1",
	"run.experiment_days=1", "model.trees=10",            "model.sample_sessions=100%",
	"spike.promo.start=30h", "spike.promo.magnitude=200", "report.plots=false",
	"ab.mode=both",          "logging.impressions=true", "logging.policy=plackett-luce",
	"logging.marginal_samples=20", "ope.targets=popularity", "ope.reward_trees=5",
	"ab.control=own",
};
#define RANKER "\n[ranker.own]\nkind = plugin\npath = " TEST_BUILD \
	"/tests/plugins/libmisbehave.so\n"
#define N_TINY (sizeof(tiny) / sizeof(tiny[0]))

/* A name found in a results.db: its kind, text and stored unit. */
struct stored {
	enum schema_kind kind;
	char *name;
	char *unit;                /* series, histograms, metrics; "" else */
};

struct found {
	struct stored *s;
	size_t n, cap;
};

/* What the writers produced (filled once by the suite's fixture). */
static struct found written;

static void add(struct found *f, enum schema_kind kind, const char *name, const char *unit)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->s[i].kind == kind && !strcmp(f->s[i].name, name) &&
		    !strcmp(f->s[i].unit, unit))
			return;
	XGROW(f->s, f->n + 1, f->cap);
	f->s[f->n++] = (struct stored){ kind, xstrdup(name), xstrdup(unit) };
}

static void found_release(struct found *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->s[i].name);
		free(f->s[i].unit);
	}
	free(f->s);
	memset(f, 0, sizeof(*f));
}

/* ---- collecting what a results.db holds ---------------------------------- */

struct walk {
	struct found *f;
	struct results *r;
	int64_t id;
};

static int on_info(const char *key, const char *value, void *ctx)
{
	(void)value;
	add(((struct walk *)ctx)->f, SCHEMA_KIND_INFO, key, "");
	return 0;
}

static int on_metric(const struct results_metric *m, void *ctx)
{
	add(((struct walk *)ctx)->f, SCHEMA_KIND_METRIC, m->name, m->unit);
	return 0;
}

static int on_timing(const struct results_timing *t, void *ctx)
{
	add(((struct walk *)ctx)->f, SCHEMA_KIND_TIMING, t->phase, "s");
	return 0;
}

static int on_series(const char *name, void *ctx)
{
	struct walk *w = ctx;
	struct results_series s;
	struct error e;

	ck_assert_msg(results_get_series(w->r, w->id, name, &s, &e) == 0, "%s", e.msg);
	add(w->f, SCHEMA_KIND_SERIES, name, s.unit);
	results_series_release(&s);
	return 0;
}

static int on_hist(const char *name, void *ctx)
{
	struct walk *w = ctx;
	struct results_hist_summary h;
	struct error e;

	ck_assert_msg(results_get_hist_summary(w->r, w->id, name, &h, &e) == 0, "%s", e.msg);
	add(w->f, SCHEMA_KIND_HIST, name, h.unit);
	return 0;
}

static int on_curve(const char *name, void *ctx)
{
	add(((struct walk *)ctx)->f, SCHEMA_KIND_CURVE, name, "");
	return 0;
}

static int on_mode(const char *mode, void *ctx)
{
	add(((struct walk *)ctx)->f, SCHEMA_KIND_AB_MODE, mode, "");
	return 0;
}

static int on_run(const struct results_run *run, void *ctx)
{
	struct walk *w = ctx;
	struct walk one = { w->f, w->r, run->run_id };
	struct error e;

	/* A scenario's worlds are "NAME#world"; any other name is special. */
	if (!strchr(run->name, '#'))
		add(w->f, SCHEMA_KIND_RUN, run->name, "");
	ck_assert_msg(results_each_info(w->r, run->run_id, on_info, &one, &e) == 0 &&
			      results_each_metric(w->r, run->run_id, on_metric, &one, &e) == 0 &&
			      results_each_timing(w->r, run->run_id, on_timing, &one, &e) == 0 &&
			      results_each_series_name(w->r, run->run_id, on_series, &one, &e) == 0 &&
			      results_each_hist_name(w->r, run->run_id, on_hist, &one, &e) == 0 &&
			      results_each_curve_name(w->r, run->run_id, on_curve, &one, &e) == 0 &&
			      results_each_abtest_mode(w->r, run->run_id, on_mode, &one, &e) == 0,
		      "%s", e.msg);
	return 0;
}

/* The tables of the database at `path` that hold at least one row. */
static void collect_tables(struct found *f, const char *path, enum schema_kind kind)
{
	struct db *db;
	sqlite3_stmt *st;
	struct error e;
	char *names[64];
	size_t n = 0;

	ck_assert_msg(db_open(&db, path, DB_READONLY, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(db_prepare(db, &st, "SELECT name FROM sqlite_master WHERE type = "
				    "'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
				    "listing tables", &e), 0);
	while (db_step(db, st, "listing tables", &e) == 1) {
		ck_assert_uint_lt(n, 64);
		names[n++] = xstrdup(db_column_text(st, 0));
	}
	db_finalize(st);
	for (size_t i = 0; i < n; i++) {
		char *sql = xasprintf("SELECT count(*) FROM \"%s\"", names[i]);

		ck_assert_int_eq(db_prepare(db, &st, sql, "counting rows", &e), 0);
		ck_assert_int_eq(db_step(db, st, "counting rows", &e), 1);
		/* An empty table is listed (it exists) but not written. */
		add(f, kind, names[i], sqlite3_column_int64(st, 0) > 0 ? "rows" : "");
		db_finalize(st);
		free(sql);
		free(names[i]);
	}
	db_close(db);
}

/* Every name stored in RUN_DIR/results.db. */
static void collect_run(struct found *f, const char *dir)
{
	char *path = xasprintf("%s/results.db", dir);
	struct walk w = { f, NULL, 0 };
	struct error e;

	w.r = results_open_readonly(path, &e);
	ck_assert_msg(w.r != NULL, "%s", e.msg);
	ck_assert_msg(results_each_run(w.r, on_run, &w, &e) == 0, "%s", e.msg);
	results_close(w.r);
	collect_tables(f, path, SCHEMA_KIND_TABLE);
	free(path);
}

/* ---- running the writers ---------------------------------------------------- */

static char *run_tiny(const char *name, const char *trace_in, const char *trace_out,
		      const char *redis_url)
{
	char *out = tmpdir_path(name);
	struct run_options o = { .out = out, .trace_in = trace_in, .trace_out = trace_out };
	struct run_summary sum;
	struct error e;
	FILE *f = fopen("scenarios/default.ini", "rb");
	char text[16384];
	const char *sets[N_TINY + 2];
	char *url = redis_url ? xasprintf("stream.redis_url=%s", redis_url) : NULL;
	size_t len, n = N_TINY;
	struct scenario *sc;

	ck_assert_ptr_nonnull(f);
	len = fread(text, 1, sizeof(text) - sizeof(RANKER), f);
	fclose(f);
	ck_assert_uint_lt(len, sizeof(text) - sizeof(RANKER));
	memcpy(text + len, RANKER, sizeof(RANKER));
	memcpy(sets, tiny, sizeof(tiny));
	if (url) {
		sets[n++] = "stream.store=redis";
		sets[n++] = url;
	}
	sc = scenario_parse(&config_schema, text, "scenarios/default.ini", sets, n, &e);
	free(url);

	ck_assert_msg(sc != NULL, "%s", e.msg);
	ck_assert_msg(run_execute(sc, &o, &sum, &e) == 0, "%s: %s", name, e.msg);
	scenario_free(sc);
	return out;
}

static void load_test(const char *dir, enum loadrun_shape shape)
{
	struct servedir *d;
	struct loadrun_options o;
	struct loadrun_summary sum;
	struct error e;

	ck_assert_msg((d = servedir_open(dir, NULL, &e)) != NULL, "%s", e.msg);
	loadrun_options_defaults(&o);
	o.rate = 200;
	o.duration_s = 0.25;
	o.threads = 1;
	o.shape = shape;
	ck_assert_msg(loadrun_execute(d, &o, &sum, &e) == 0, "%s", e.msg);
	loadrun_summary_release(&sum);
	servedir_free(d);
}

/* A load test of an HTTP target: airtime's own server over the run. */
static void http_load_test(const char *dir)
{
	struct servedir *d, *sd;
	struct server_options so;
	struct server *srv;
	struct loadrun_options o;
	struct loadrun_summary sum;
	struct error e;
	char url[200];

	ck_assert_msg((d = servedir_open(dir, NULL, &e)) != NULL, "%s", e.msg);
	ck_assert_msg((sd = servedir_open(dir, NULL, &e)) != NULL, "%s", e.msg);
	server_options_defaults(&so);
	so.port = 0;
	ck_assert_msg((srv = server_start(sd, &so, &e)) != NULL, "%s", e.msg);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/recommendations?user={user}",
		 (unsigned)server_port(srv));
	loadrun_options_defaults(&o);
	o.target = url;
	o.rate = 200;
	o.duration_s = 0.25;
	ck_assert_msg(loadrun_execute(d, &o, &sum, &e) == 0, "%s", e.msg);
	loadrun_summary_release(&sum);
	server_stop(srv);
	servedir_free(sd);
	servedir_free(d);
}

static void sweep_tiny(struct found *f)
{
	struct sweep_spec spec = { 0 };
	struct sweep_result res;
	struct error e;
	char *out = tmpdir_path("sweep"), *path;

	spec.scenario = "scenarios/default.ini";
	spec.sets = tiny;
	spec.n_sets = N_TINY - 1;   /* not ab.control: the sweep's file has no [ranker.own] */
	ck_assert_int_eq(sweep_axis_parse(&spec.axes[0], "endpoint.min_instances+"
					  "endpoint.initial_instances=1", &e), 0);
	spec.n_axes = 1;
	spec.out = out;
	spec.jobs = 1;
	ck_assert_msg(sweep_execute(&spec, &res, &e) == 0, "%s", e.msg);
	path = xasprintf("%s/results.db", res.dir);
	collect_tables(f, path, SCHEMA_KIND_SWEEP_TABLE);
	free(path);
	path = xasprintf("%s/cells.db", res.dir);
	collect_tables(f, path, SCHEMA_KIND_JOURNAL_TABLE);
	free(path);
	sweep_result_release(&res);
	sweep_axis_release(&spec.axes[0]);
	free(out);
}

static void replicate_tiny(struct found *f)
{
	struct replicate_spec spec = { 0 };
	struct replicate_result res;
	struct error e;
	char *out = tmpdir_path("replicate"), *path;

	spec.scenario = "scenarios/default.ini";
	spec.sets = tiny;
	spec.n_sets = N_TINY - 1;   /* not ab.control: the file has no [ranker.own] */
	spec.seed_first = spec.seed_last = 3;
	spec.out = out;
	spec.jobs = 1;
	ck_assert_msg(replicate_execute(&spec, &res, &e) == 0, "%s", e.msg);
	path = xasprintf("%s/results.db", res.dir);
	collect_tables(f, path, SCHEMA_KIND_REPLICATE_TABLE);
	free(path);
	path = xasprintf("%s/cells.db", res.dir);
	collect_tables(f, path, SCHEMA_KIND_JOURNAL_TABLE);
	free(path);
	replicate_result_release(&res);
	free(out);
}

static void write_everything(void)
{
	char *trace, *run, *replay, *redis;
	struct validity_report rep;
	struct error e;

	tmpdir_setup();
	redisfix_start(&redisfix);
	plot_set_program("/nonexistent/airtime-no-gnuplot");
	trace = tmpdir_path("events.trace");
	run = run_tiny("run", NULL, trace, NULL);
	replay = run_tiny("replay", trace, NULL, NULL);
	redis = run_tiny("redis", NULL, NULL, redisfix.url);
	redisfix_stop(&redisfix);
	ck_assert_msg(validity_run_dir(run, &rep, &e) == 0, "%s", e.msg);
	{
		struct operun_request req = { .dir = run, .target = "popularity", .truth = true,
					      .replications = 1, .tmp_base = tmpdir };
		struct operun_result *out = xcalloc(1, sizeof(*out));

		ck_assert_msg(operun_run_dir(&req, out, &e) == 0, "%s", e.msg);
		free(out);
	}
	load_test(run, LOADRUN_CONSTANT);
	load_test(run, LOADRUN_SCENARIO);
	http_load_test(run);
	collect_run(&written, run);
	collect_run(&written, replay);
	collect_run(&written, redis);
	sweep_tiny(&written);
	replicate_tiny(&written);
	free(trace);
	free(run);
	free(replay);
	free(redis);
}

static void forget_everything(void)
{
	redisfix_stop(&redisfix);
	found_release(&written);
	plot_set_program(NULL);
	tmpdir_teardown();
}

/* ---- the checks, as functions a test can also feed with strays ------------ */

/* The kinds that name tables of some database. */
static bool is_table_kind(enum schema_kind kind)
{
	return kind == SCHEMA_KIND_TABLE || kind == SCHEMA_KIND_SWEEP_TABLE ||
	       kind == SCHEMA_KIND_REPLICATE_TABLE || kind == SCHEMA_KIND_JOURNAL_TABLE;
}

/* Does f hold a written name of row `row` (kind and name; tables: with
 * rows)?  *unit_ok says whether every such name was stored with the row's
 * unit (series, histograms, metrics). */
static bool is_written(const struct found *f, enum schema_id id, bool *unit_ok)
{
	const struct schema_row *row = &schema_rows[id];
	bool seen = false;

	*unit_ok = true;
	for (size_t i = 0; i < f->n; i++) {
		const struct stored *s = &f->s[i];

		if (s->kind != row->kind || !schema_match(id, s->name, NULL, 0))
			continue;
		if (is_table_kind(row->kind)) {
			seen = seen || !strcmp(s->unit, "rows");
			continue;
		}
		seen = true;
		if ((row->kind == SCHEMA_KIND_SERIES || row->kind == SCHEMA_KIND_HIST ||
		     row->kind == SCHEMA_KIND_METRIC) && strcmp(s->unit, row->unit))
			*unit_ok = false;
	}
	return seen;
}

/* How many names of f the list does not hold; the first one into what. */
static size_t unlisted(const struct found *f, char *what, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		if (schema_find(f->s[i].kind, f->s[i].name) == SCHEMA_NONE && n++ == 0)
			snprintf(what, cap, "%s '%s'", schema_kind_name(f->s[i].kind), f->s[i].name);
	return n;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *text;
	long len;

	ck_assert_msg(fp != NULL, "cannot open '%s'", path);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	ck_assert_int_ge(len, 0);
	rewind(fp);
	text = xcalloc((size_t)len + 1, 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	return text;
}

/* C source with comments, string and character literals blanked out. */
static char *code_only(const char *src)
{
	char *out = xstrdup(src), *o = out;
	const char *p = src;

	while (*p) {
		if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");

			end = end ? end + 2 : p + strlen(p);
			while (p < end)
				*o++ = *p++ == '\n' ? '\n' : ' ';
		} else if (p[0] == '/' && p[1] == '/') {
			while (*p && *p != '\n')
				p++, *o++ = ' ';
		} else if (*p == '"' || *p == '\'') {
			char q = *p;

			*o++ = ' ';
			p++;
			while (*p && *p != q) {
				if (*p == '\\' && p[1])
					p++, *o++ = ' ';
				p++, *o++ = ' ';
			}
			if (*p)
				p++, *o++ = ' ';
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Does `word` occur in `text` as a whole identifier? */
static bool has_word(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
		if ((p == text || !ident_char(p[-1])) && !ident_char(p[n]))
			return true;
	return false;
}

/* Does the C file at `path` use identifier `ident` in code? */
static bool uses(const char *path, const char *ident)
{
	char *src = slurp(path), *code = code_only(src);
	bool yes = has_word(code, ident);

	free(code);
	free(src);
	return yes;
}

/* Does the file's SQL read table `table` (FROM or JOIN it)? */
static bool reads_table(const char *path, const char *table)
{
	char *src = slurp(path), *from = xasprintf("FROM %s", table);
	char *join = xasprintf("JOIN %s", table);
	bool yes = has_word(src, from) || has_word(src, join);

	free(join);
	free(from);
	free(src);
	return yes;
}

/* The listing reader of a kind: the function that shows its whole table. */
static const char *lister(enum schema_kind kind)
{
	switch (kind) {
	case SCHEMA_KIND_METRIC:
		return "results_each_metric";
	case SCHEMA_KIND_INFO:
		return "results_each_info";
	case SCHEMA_KIND_TIMING:
		return "results_each_timing";
	default:
		return NULL;
	}
}

/* Is the row read?  NULL when it is, else why not (static text). */
static const char *unread(const struct schema_row *row)
{
	const char *fn;

	switch (row->use) {
	case SCHEMA_BYNAME:
		if (is_table_kind(row->kind))
			return reads_table(row->reader, row->name) ? NULL
				: "its reader's SQL never reads the table";
		return uses(row->reader, row->ident) ? NULL : "its reader never uses the id";
	case SCHEMA_LISTED:
		fn = lister(row->kind);
		if (!fn)
			return "only metrics, run facts and timings can be read as a listing";
		return uses(row->reader, fn) ? NULL : "its reader never lists that table";
	case SCHEMA_WRITEONLY:
		return NULL;   /* the reason and the documentation are checked elsewhere */
	}
	return "unknown use";
}

/* ---- tests ------------------------------------------------------------------ */

/* The list itself: non-empty, every kind present, names unique per kind,
 * ids spelled after their kind, readers that exist, reasons for the
 * written-only rows. */
START_TEST(the_list_is_well_formed)
{
	size_t per_kind[SCHEMA_KIND_COUNT] = { 0 };

	ck_assert_int_gt(SCHEMA_END - SCHEMA_FIRST, 50);
	for (int i = SCHEMA_FIRST; i < SCHEMA_END; i++) {
		const struct schema_row *r = &schema_rows[i];
		const char *star = strchr(r->name, '*');

		ck_assert_msg(r->kind < SCHEMA_KIND_COUNT, "%s", r->ident);
		per_kind[r->kind]++;
		ck_assert_msg(!strncmp(r->ident, "SCHEMA_", 7), "%s", r->ident);
		ck_assert_msg(*r->name && !strpbrk(r->name, "?[]'\" "), "%s: name '%s'", r->ident,
			      r->name);
		ck_assert_msg(!star || !strchr(star + 1, '*'), "%s: one '*' at most", r->ident);
		ck_assert_msg(*r->meaning, "%s: no meaning", r->ident);
		ck_assert_msg(r->kind == SCHEMA_KIND_SERIES || r->kind == SCHEMA_KIND_HIST ||
				      r->kind == SCHEMA_KIND_METRIC || r->kind == SCHEMA_KIND_TIMING ||
				      !*r->unit, "%s: a unit on a %s", r->ident,
			      schema_kind_name(r->kind));
		if (r->use == SCHEMA_WRITEONLY) {
			ck_assert_msg(!strncmp(r->reader, "for ", 4),
				      "%s: a written-only row says why ('for ...'), not '%s'",
				      r->ident, r->reader);
		} else {
			FILE *fp = fopen(r->reader, "r");

			ck_assert_msg(fp != NULL, "%s: reader '%s' does not exist", r->ident,
				      r->reader);
			fclose(fp);
		}
		for (int j = SCHEMA_FIRST; j < i; j++) {
			ck_assert_msg(strcmp(schema_rows[j].ident, r->ident), "%s twice", r->ident);
			ck_assert_msg(schema_rows[j].kind != r->kind ||
					      strcmp(schema_rows[j].name, r->name),
				      "%s '%s' twice", schema_kind_name(r->kind), r->name);
		}
		ck_assert_int_eq(schema_find(r->kind, r->name), i);
	}
	for (int k = 0; k < SCHEMA_KIND_COUNT; k++)
		ck_assert_msg(per_kind[k] > 0, "no %s in the list", schema_kind_name(k));
}
END_TEST

START_TEST(patterns_build_and_match_names)
{
	char part[16];
	char *key = schema_key(SCHEMA_INFO_SPIKE_START, "promo");

	ck_assert_str_eq(key, "spike.promo.start_us");
	ck_assert(schema_match(SCHEMA_INFO_SPIKE_START, key, part, sizeof(part)));
	ck_assert_str_eq(part, "promo");
	free(key);
	ck_assert(!schema_match(SCHEMA_INFO_SPIKE_START, "spike..start_us", part, sizeof(part)));
	ck_assert(!schema_match(SCHEMA_INFO_SPIKE_START, "spike.promo.start", NULL, 0));
	ck_assert(schema_match(SCHEMA_SERIES_SESSIONS, "sessions", part, sizeof(part)));
	ck_assert_str_eq(part, "");
	ck_assert(!schema_match(SCHEMA_SERIES_SESSIONS, "sessions2", NULL, 0));
	ck_assert_int_eq(schema_find(SCHEMA_KIND_METRIC, "skew.user.cells"),
			 SCHEMA_METRIC_SKEW_CELLS);
	ck_assert_int_eq(schema_find(SCHEMA_KIND_SERIES, "skew.user.cells"), SCHEMA_NONE);
	/* The same text under two kinds is two rows. */
	ck_assert_int_eq(schema_find(SCHEMA_KIND_SERIES, "endpoint_latency_us"),
			 SCHEMA_SERIES_LATENCY);
	ck_assert_int_eq(schema_find(SCHEMA_KIND_HIST, "endpoint_latency_us"),
			 SCHEMA_HIST_LATENCY);
}
END_TEST

/* Written: the writers' output holds every row, with the row's unit. */
START_TEST(every_name_is_written)
{
	char missing[4096] = "";

	ck_assert_uint_gt(written.n, 100);
	for (int i = SCHEMA_FIRST; i < SCHEMA_END; i++) {
		const struct schema_row *r = &schema_rows[i];
		bool unit_ok;

		if (!is_written(&written, (enum schema_id)i, &unit_ok))
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 " %s ('%s')", r->ident, r->name);
		else
			ck_assert_msg(unit_ok, "%s '%s' stored with another unit than '%s'",
				      schema_kind_name(r->kind), r->name, r->unit);
	}
	ck_assert_msg(!*missing, "listed but never written:%s", missing);
}
END_TEST

/* And nothing else is: every stored name has its row. */
START_TEST(nothing_unlisted_is_written)
{
	char what[256] = "";
	size_t n = unlisted(&written, what, sizeof(what));

	ck_assert_msg(n == 0, "%zu stored names are not in results/schema.h, e.g. %s", n, what);
}
END_TEST

/* Read: a row read by name is used by its reader, a listed one is shown
 * by a listing reader. */
START_TEST(every_name_is_read)
{
	for (int i = SCHEMA_FIRST; i < SCHEMA_END; i++) {
		const struct schema_row *r = &schema_rows[i];
		const char *why = unread(r);

		ck_assert_msg(!why, "%s '%s' is written but not read: %s (%s)",
			      schema_kind_name(r->kind), r->name, why, r->reader);
	}
}
END_TEST

/* Documented: docs/results-schema.md names every row as `name`. */
START_TEST(every_name_is_documented)
{
	char *doc = slurp(DOC_PATH);

	for (int i = SCHEMA_FIRST; i < SCHEMA_END; i++) {
		char *quoted = xasprintf("`%s`", schema_rows[i].name);

		ck_assert_msg(strstr(doc, quoted) != NULL, "%s does not mention %s (%s)", DOC_PATH,
			      quoted, schema_rows[i].ident);
		free(quoted);
	}
	free(doc);
}
END_TEST

/* The checks above cannot pass vacuously: each one catches a stray. */
START_TEST(the_checks_catch_strays)
{
	static const struct schema_row ghost_series = {
		"SCHEMA_SERIES_GHOST", "ghost_series", SCHEMA_KIND_SERIES, "", SCHEMA_BYNAME,
		"render/report.c", "never read"
	};
	static const struct schema_row ghost_table = {
		"SCHEMA_TABLE_GHOST", "ghost_table", SCHEMA_KIND_TABLE, "", SCHEMA_BYNAME,
		"results/results.c", "no such table"
	};
	static const struct schema_row ghost_listed = {
		"SCHEMA_CURVE_GHOST", "ghost", SCHEMA_KIND_CURVE, "", SCHEMA_LISTED,
		"render/report.c", "curves are not listed"
	};
	struct found strays = { 0 };
	char what[256] = "", *src_path = tmpdir_path("probe.c");
	FILE *fp;
	bool unit_ok;

	/* written: a row is found only under its kind and name */
	ck_assert(is_written(&written, SCHEMA_SERIES_SESSIONS, &unit_ok) && unit_ok);
	add(&strays, SCHEMA_KIND_METRIC, "queue_depth", "messages");
	add(&strays, SCHEMA_KIND_SERIES, "queue_depth_", "messages");
	ck_assert(!is_written(&strays, SCHEMA_SERIES_QUEUE_DEPTH, &unit_ok));
	/* a unit other than the row's is caught */
	add(&strays, SCHEMA_KIND_SERIES, "sessions", "minutes");
	ck_assert(is_written(&strays, SCHEMA_SERIES_SESSIONS, &unit_ok));
	ck_assert(!unit_ok);
	/* an empty table exists but is not written */
	add(&strays, SCHEMA_KIND_TABLE, "importance", "");
	ck_assert(!is_written(&strays, SCHEMA_TABLE_IMPORTANCE, &unit_ok));
	found_release(&strays);
	/* unlisted: a name outside the list is counted, listed ones are not */
	add(&strays, SCHEMA_KIND_METRIC, "ghost.metric", "");
	add(&strays, SCHEMA_KIND_INFO, "spike.promo.start_us", "");
	add(&strays, SCHEMA_KIND_SERIES, "freshness_age_us", "us");
	ck_assert_uint_eq(unlisted(&strays, what, sizeof(what)), 1);
	ck_assert_str_eq(what, "metric 'ghost.metric'");
	found_release(&strays);
	/* read: an id no reader uses, a table no SQL reads, a kind that has no
	 * listing reader */
	ck_assert_ptr_nonnull(unread(&ghost_series));
	ck_assert_ptr_nonnull(unread(&ghost_table));
	ck_assert_ptr_nonnull(unread(&ghost_listed));
	/* an id in a comment or a string does not count as a use */
	fp = fopen(src_path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("/* SCHEMA_A */ // SCHEMA_B\nconst char *s = \"SCHEMA_C \\\" SCHEMA_D\";\n"
	      "int x = SCHEMA_E + SCHEMA_EE;\n", fp);
	fclose(fp);
	ck_assert(!uses(src_path, "SCHEMA_A") && !uses(src_path, "SCHEMA_B"));
	ck_assert(!uses(src_path, "SCHEMA_C") && !uses(src_path, "SCHEMA_D"));
	ck_assert(uses(src_path, "SCHEMA_E") && uses(src_path, "SCHEMA_EE"));
	ck_assert(!uses(src_path, "SCHEMA_"));
	free(src_path);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_unchecked_fixture(tc, write_everything, forget_everything);
	tcase_add_test(tc, the_list_is_well_formed);
	tcase_add_test(tc, patterns_build_and_match_names);
	tcase_add_test(tc, every_name_is_written);
	tcase_add_test(tc, nothing_unlisted_is_written);
	tcase_add_test(tc, every_name_is_read);
	tcase_add_test(tc, every_name_is_documented);
	tcase_add_test(tc, the_checks_catch_strays);
}

CHECK_MAIN("schema", add_tests, 120)
