/* Fixtures of the scorer suites; see scorerfix.h. */
#include "tests/scorerfix.h"

#include <check.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"

void scorerfix_config(struct scorer_config *cfg, const char *name, enum scorer_kind kind,
		      const char *target, const char *mode)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	cfg->kind = kind;
	snprintf(kind == SCORER_PLUGIN ? cfg->path : kind == SCORER_EXEC ? cfg->command : cfg->model,
		 SCENARIO_TEXT_MAX, "%s", target);
	cfg->timeout = 2 * SIMTIME_S;
	cfg->fit_timeout = 10 * SIMTIME_S;
	cfg->cost_per_candidate = 2;
	if (mode) {
		snprintf(cfg->options[0].key, sizeof(cfg->options[0].key), "mode");
		snprintf(cfg->options[0].value, sizeof(cfg->options[0].value), "%s", mode);
		cfg->n_options = 1;
	}
}

static const struct airtime_feature features[] = {
	{ "pit_likes", AIRTIME_FEATURE_PIT },
	{ "user.x", AIRTIME_FEATURE_USER },
	{ "ctx_is_live", AIRTIME_FEATURE_CONTEXT },
};

void scorerfix_env(struct scorer_env *env, const char *dir)
{
	memset(env, 0, sizeof(*env));
	env->features = features;
	env->n_features = 3;
	env->n_topics = 10;
	env->n_users = 100;
	env->seed = 1;
	env->world = 0;
	env->threads = 1;
	env->max_candidates = 16;
	env->stderr_dir = dir;
}

const struct airtime_page *scorerfix_page(simtime now)
{
	static uint16_t declared[2] = { 3, 1 };
	static struct airtime_context ctx;
	static struct airtime_candidate cand[5];
	static float rows[5 * 3];
	static struct airtime_page page;

	ctx = (struct airtime_context){ 7, 2, declared, now, 42 };
	for (uint32_t i = 0; i < 5; i++) {
		cand[i] = (struct airtime_candidate){ .show = 10 + i, .creator = 20 + i,
						      .topic = (uint16_t)i, .live = i < 2,
						      .start_us = now + (simtime)i * SIMTIME_MIN };
		rows[3 * i] = (float)i;
		rows[3 * i + 1] = 0.5f;
		rows[3 * i + 2] = i < 2 ? 1.0f : 0.0f;
	}
	page = (struct airtime_page){ &ctx, 5, 3, cand, rows };
	return &page;
}

int scorerfix_run(const char *ini, const char *const *sets, size_t n_sets, const char *out,
		  struct run_summary *sum, struct error *err)
{
	static const char *const tiny[] = {
		"world.users=300",     "world.creators=60",        "run.warmup_days=1",
		"run.experiment_days=1", "model.trees=10",         "model.sample_sessions=100%",
		"report.plots=false",  "endpoint.service=constant",
	};
	const size_t n_tiny = sizeof(tiny) / sizeof(tiny[0]);
	const char *all[32];
	FILE *f = fopen("scenarios/default.ini", "rb");
	char *text = NULL, *full;
	size_t len = 0, cap = 0, got, n = 0;
	struct scenario *sc;
	struct run_options o = { .out = out };
	int rc;

	ck_assert_ptr_nonnull(f);
	do {
		XGROW(text, len + 4097, cap);
		got = fread(text + len, 1, 4096, f);
		len += got;
	} while (got);
	text[len] = '\0';
	fclose(f);
	full = xasprintf("%s\n%s", text, ini ? ini : "");
	free(text);
	ck_assert_uint_le(n_tiny + n_sets, 32);
	for (size_t i = 0; i < n_tiny; i++)
		all[n++] = tiny[i];
	for (size_t i = 0; i < n_sets; i++)
		all[n++] = sets[i];
	sc = scenario_parse(&config_schema, full, "tiny.ini", all, n, err);
	free(full);
	if (!sc)
		return err->code;
	rc = run_execute(sc, &o, sum, err);
	scenario_free(sc);
	return rc;
}

static void dump_query(sqlite3 *db, const char *sql, char **buf, size_t *len, size_t *cap)
{
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const char *v = (const char *)sqlite3_column_text(st, c);
			size_t l = v ? strlen(v) : 4;

			XGROW(*buf, *len + l + 2, *cap);
			memcpy(*buf + *len, v ? v : "NULL", l);
			*len += l;
			(*buf)[(*len)++] = c + 1 < sqlite3_column_count(st) ? '|' : '\n';
		}
	}
	(*buf)[*len] = '\0';
	sqlite3_finalize(st);
}

char *scorerfix_dump(const char *dir)
{
	static const char *const q[] = {
		/* the arm's ranker is named as written: the rankers differ by name only */
		"select run_id, mode, arm, n_t, n_c, srm_chi2, srm_p, srm_flagged, alpha from ab_summary order by 1, 2, 3",
		"select * from ab_rows order by 1, 2, 3",
		"select * from slo_rows where host_measured = 0 order by 1, 2",
		"select * from metrics where kind <> 'host' and name not like 'training.%' and "
		"name not like 'model.%' and name not like 'skew.%' and "
		"name <> 'rank.forest_rows_scored' order by 1, 2, 3",
		"select * from run_info where key not like 'training.%' and key not like 'spike.%' "
		"order by 1, 2",
		"select * from series_info order by 1, 2",
		"select * from series order by 1, 2, 3",
		"select * from hist_summary where name not like 'host%' order by 1, 2",
		"select * from histograms where name not like 'host%' order by 1, 2, 3",
		"select * from workflow_transitions order by 1, 2, 3, 4, 5",
	};
	char *path = xasprintf("%s/results.db", dir), *buf = NULL;
	size_t len = 0, cap = 0;
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	XGROW(buf, 1, cap);
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		dump_query(db, q[i], &buf, &len, &cap);
	sqlite3_close(db);
	free(path);
	return buf;
}

bool scorerfix_has_children(void)
{
	errno = 0;
	return !(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
}
