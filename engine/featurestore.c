/* Feature store on SQLite; see featurestore.h. */
#include "engine/featurestore.h"

#include "common/xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

struct fs_group {
	char *name;
	int version;
	size_t k;
	char **features;
	simtime ttl;
	char *t_off, *t_on;       /* quoted table names */
	sqlite3_stmt *ins_off, *ups_on, *get_on;
};

struct featurestore {
	sqlite3 *db;
	char *path;
	struct fs_group *groups;
	size_t n_groups, cap_groups;
	int depth;               /* open transaction levels */
};

/* ---- small SQLite helpers (private until common/db lands) ---- */

static int db_fail(sqlite3 *db, struct error *err, const char *what)
{
	return error_set(err, ERR_DB, "%s: %s", what, sqlite3_errmsg(db));
}

static int db_exec(sqlite3 *db, const char *sql, struct error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		error_set(err, ERR_DB, "sqlite: %s (in: %.200s)", msg ? msg : "error", sql);
		sqlite3_free(msg);
		return ERR_DB;
	}
	return 0;
}

static int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct error *err)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
		error_set(err, ERR_DB, "sqlite: cannot prepare '%.200s': %s", sql, sqlite3_errmsg(db));
		*st = NULL;
		return ERR_DB;
	}
	return 0;
}

/* ---- open / groups ---- */

struct featurestore *featurestore_open(const char *path, struct error *err)
{
	struct featurestore *fs = xcalloc(1, sizeof(*fs));

	if (sqlite3_open_v2(path, &fs->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		error_set(err, ERR_DB, "cannot open feature store '%s': %s", path,
			  fs->db ? sqlite3_errmsg(fs->db) : "out of memory");
		goto out_free;
	}
	fs->path = xstrdup(path);
	/* WAL + synchronous=NORMAL: a crash may lose the last transactions but
	 * never corrupts; the run can be replayed from its scenario */
	if (db_exec(fs->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			    "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;", err) ||
	    db_exec(fs->db,
		    "CREATE TABLE IF NOT EXISTS fs_group(name TEXT NOT NULL, version INTEGER NOT NULL,"
		    " features TEXT NOT NULL, ttl_us INTEGER NOT NULL, PRIMARY KEY(name, version))",
		    err)) {
		error_prefix(err, "feature store '%s': ", path);
		goto out_free;
	}
	return fs;
out_free:
	featurestore_free(fs);
	return NULL;
}

static void group_release(struct fs_group *g)
{
	sqlite3_finalize(g->ins_off);
	sqlite3_finalize(g->ups_on);
	sqlite3_finalize(g->get_on);
	for (size_t i = 0; i < g->k; i++)
		free(g->features[i]);
	free(g->features);
	free(g->name);
	free(g->t_off);
	free(g->t_on);
}

void featurestore_free(struct featurestore *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n_groups; i++)
		group_release(&fs->groups[i]);
	free(fs->groups);
	sqlite3_close(fs->db);
	free(fs->path);
	free(fs);
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 48)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* "a,b,c" */
static char *join_names(const char *const *names, size_t k)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; i < k; i++)
		len += strlen(names[i]) + 1;
	s = p = xmalloc(len);
	for (size_t i = 0; i < k; i++) {
		size_t l = strlen(names[i]);

		memcpy(p, names[i], l);
		p += l;
		if (i + 1 < k)
			*p++ = ',';
	}
	*p = '\0';
	return s;
}

/* Append printf output to a growing string. */
static void sb_add(char **s, const char *fmt, const char *arg)
{
	char *part = xasprintf(fmt, arg), *joined = xasprintf("%s%s", *s, part);

	free(part);
	free(*s);
	*s = joined;
}

static int group_prepare(struct featurestore *fs, struct fs_group *g, struct error *err)
{
	char *cols = xstrdup(""), *qs = xstrdup(""), *sets = xstrdup(""), *sql;
	int rc;

	for (size_t i = 0; i < g->k; i++) {
		sb_add(&cols, ", \"%s\" REAL", g->features[i]);
		sb_add(&qs, ", ?", "");
	}
	sql = xasprintf("CREATE TABLE IF NOT EXISTS %s(entity INTEGER NOT NULL, event_time INTEGER NOT NULL,"
			" write_time INTEGER NOT NULL, is_deleted INTEGER NOT NULL%s);"
			"CREATE TABLE IF NOT EXISTS %s(entity INTEGER PRIMARY KEY, event_time INTEGER NOT NULL,"
			" write_time INTEGER NOT NULL, is_deleted INTEGER NOT NULL%s);",
			g->t_off, cols, g->t_on, cols);
	rc = db_exec(fs->db, sql, err);
	free(sql);
	free(cols);
	if (rc)
		goto out;
	cols = xstrdup("");
	for (size_t i = 0; i < g->k; i++) {
		char *a = xasprintf(", \"%s\"", g->features[i]);
		char *b = xasprintf(", \"%s\" = excluded.\"%s\"", g->features[i], g->features[i]);

		sb_add(&cols, "%s", a);
		sb_add(&sets, "%s", b);
		free(a);
		free(b);
	}
	sql = xasprintf("INSERT INTO %s(entity, event_time, write_time, is_deleted%s) VALUES(?, ?, ?, ?%s)",
			g->t_off, cols, qs);
	rc = db_prepare(fs->db, sql, &g->ins_off, err);
	free(sql);
	if (rc)
		goto out_cols;
	sql = xasprintf("INSERT INTO %s(entity, event_time, write_time, is_deleted%s) VALUES(?, ?, ?, ?%s)"
			" ON CONFLICT(entity) DO UPDATE SET event_time = excluded.event_time,"
			" write_time = excluded.write_time, is_deleted = excluded.is_deleted%s"
			" WHERE excluded.event_time > event_time",
			g->t_on, cols, qs, sets);
	rc = db_prepare(fs->db, sql, &g->ups_on, err);
	free(sql);
	if (rc)
		goto out_cols;
	sql = xasprintf("SELECT event_time, is_deleted%s FROM %s WHERE entity = ?", cols, g->t_on);
	rc = db_prepare(fs->db, sql, &g->get_on, err);
	free(sql);
out_cols:
	free(cols);
out:
	free(qs);
	free(sets);
	return rc;
}

int featurestore_define(struct featurestore *fs, const char *name, int version,
			const char *const *features, size_t k, simtime ttl, struct error *err)
{
	sqlite3_stmt *st = NULL;
	char *list = NULL;
	struct fs_group g = { 0 };
	int rc = 0;

	if (!valid_name(name) || version < 0 || k == 0 || k > FEATURESTORE_MAX_FEATURES || ttl < 0)
		return error_set(err, ERR_INPUT,
				 "bad feature group '%s' v%d: name [a-z0-9_]{1,48}, version >= 0, 1..%d features, ttl >= 0",
				 name, version, FEATURESTORE_MAX_FEATURES);
	for (size_t i = 0; i < k; i++) {
		if (!valid_name(features[i]))
			return error_set(err, ERR_INPUT, "bad feature name '%s' in group '%s'",
					 features[i], name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(features[i], features[j]))
				return error_set(err, ERR_INPUT, "duplicate feature '%s' in group '%s'",
						 features[i], name);
	}
	for (size_t i = 0; i < fs->n_groups; i++)
		if (!strcmp(fs->groups[i].name, name) && fs->groups[i].version == version)
			return error_set(err, ERR_INPUT, "feature group '%s' v%d defined twice", name,
					 version);
	list = join_names(features, k);
	if ((rc = db_prepare(fs->db, "SELECT features, ttl_us FROM fs_group WHERE name = ? AND version = ?",
			     &st, err)))
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *have = (const char *)sqlite3_column_text(st, 0);

		if (strcmp(have, list) || sqlite3_column_int64(st, 1) != ttl) {
			rc = error_set(err, ERR_INPUT,
				       "feature group '%s' v%d exists with another schema (features '%s', ttl %lld us); bump the version",
				       name, version, have, (long long)sqlite3_column_int64(st, 1));
			goto out_st;
		}
	} else if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		st = NULL;
		if ((rc = db_prepare(fs->db, "INSERT INTO fs_group(name, version, features, ttl_us) VALUES(?, ?, ?, ?)",
				     &st, err)))
			goto out;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, version);
		sqlite3_bind_text(st, 3, list, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, ttl);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = db_fail(fs->db, err, "cannot register feature group");
			goto out_st;
		}
	} else {
		rc = db_fail(fs->db, err, "cannot read fs_group");
		goto out_st;
	}
	g.name = xstrdup(name);
	g.version = version;
	g.k = k;
	g.ttl = ttl;
	g.features = xcalloc(k, sizeof(char *));
	for (size_t i = 0; i < k; i++)
		g.features[i] = xstrdup(features[i]);
	g.t_off = xasprintf("\"%s_v%d_offline\"", name, version);
	g.t_on = xasprintf("\"%s_v%d_online\"", name, version);
	if ((rc = group_prepare(fs, &g, err))) {
		group_release(&g);
		goto out_st;
	}
	XGROW(fs->groups, fs->n_groups + 1, fs->cap_groups);
	fs->groups[fs->n_groups] = g;
	rc = (int)fs->n_groups++;
out_st:
	sqlite3_finalize(st);
out:
	free(list);
	return rc;
}

int featurestore_group(struct featurestore *fs, const char *name, int version,
		       struct error *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	for (size_t i = 0; i < fs->n_groups; i++)
		if (!strcmp(fs->groups[i].name, name) && fs->groups[i].version == version)
			return (int)i;
	if ((rc = db_prepare(fs->db, "SELECT features, ttl_us FROM fs_group WHERE name = ? AND version = ?",
			     &st, err)))
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = error_set(err, ERR_NOTFOUND, "no feature group '%s' v%d in '%s'", name, version,
			       fs->path);
	} else {
		char *list = xstrdup((const char *)sqlite3_column_text(st, 0));
		simtime ttl = sqlite3_column_int64(st, 1);
		const char *names[FEATURESTORE_MAX_FEATURES];
		size_t k = 0;

		for (char *p = list; p && k < FEATURESTORE_MAX_FEATURES;) {
			char *c = strchr(p, ',');

			names[k++] = p;
			if (c)
				*c++ = '\0';
			p = c;
		}
		sqlite3_finalize(st);
		st = NULL;
		/* registered already: define re-opens it without a schema change */
		rc = featurestore_define(fs, name, version, names, k, ttl, err);
		free(list);
	}
	sqlite3_finalize(st);
	return rc;
}

static struct fs_group *grp(const struct featurestore *fs, int group)
{
	ASSERT(group >= 0 && (size_t)group < fs->n_groups);
	return &fs->groups[group];
}

size_t featurestore_width(const struct featurestore *fs, int group) { return grp(fs, group)->k; }
const char *featurestore_feature(const struct featurestore *fs, int group, size_t i)
{
	ASSERT(i < grp(fs, group)->k);
	return grp(fs, group)->features[i];
}
simtime featurestore_ttl(const struct featurestore *fs, int group) { return grp(fs, group)->ttl; }
size_t featurestore_group_count(const struct featurestore *fs) { return fs->n_groups; }
const char *featurestore_group_name(const struct featurestore *fs, int group)
{
	return grp(fs, group)->name;
}
int featurestore_group_version(const struct featurestore *fs, int group)
{
	return grp(fs, group)->version;
}

/* ---- writes ---- */

int featurestore_begin(struct featurestore *fs, struct error *err)
{
	int rc = db_exec(fs->db, fs->depth ? "SAVEPOINT fs_nested" : "BEGIN IMMEDIATE", err);

	if (!rc)
		fs->depth++;
	return rc;
}

int featurestore_commit(struct featurestore *fs, struct error *err)
{
	int rc;

	ASSERT(fs->depth > 0);
	rc = db_exec(fs->db, fs->depth > 1 ? "RELEASE fs_nested" : "COMMIT", err);
	if (!rc)
		fs->depth--;
	return rc;
}

void featurestore_rollback(struct featurestore *fs)
{
	ASSERT(fs->depth > 0);
	if (fs->depth > 1)
		sqlite3_exec(fs->db, "ROLLBACK TO fs_nested; RELEASE fs_nested", NULL, NULL, NULL);
	else
		sqlite3_exec(fs->db, "ROLLBACK", NULL, NULL, NULL);
	fs->depth--;
}

static int bind_row(sqlite3_stmt *st, int64_t entity, simtime et, simtime wt, int deleted,
		    const double *v, size_t k)
{
	sqlite3_bind_int64(st, 1, entity);
	sqlite3_bind_int64(st, 2, et);
	sqlite3_bind_int64(st, 3, wt);
	sqlite3_bind_int(st, 4, deleted);
	for (size_t j = 0; j < k; j++) {
		if (!v || isnan(v[j]))
			sqlite3_bind_null(st, 5 + (int)j);
		else
			sqlite3_bind_double(st, 5 + (int)j, v[j]);
	}
	return sqlite3_step(st);
}

static int write_rows(struct featurestore *fs, int group, const int64_t *entities,
		      const simtime *event_times, simtime event_time, const double *values,
		      size_t n, simtime write_time, int deleted, struct error *err)
{
	struct fs_group *g = grp(fs, group);
	int rc;

	if ((rc = featurestore_begin(fs, err)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		simtime et = event_times ? event_times[i] : event_time;
		const double *v = values ? values + i * g->k : NULL;

		if (bind_row(g->ins_off, entities[i], et, write_time, deleted, v, g->k) != SQLITE_DONE) {
			rc = db_fail(fs->db, err, "cannot write feature history");
			sqlite3_reset(g->ins_off);
			goto out_rollback;
		}
		sqlite3_reset(g->ins_off);
		if (bind_row(g->ups_on, entities[i], et, write_time, deleted, v, g->k) != SQLITE_DONE) {
			rc = db_fail(fs->db, err, "cannot write online features");
			sqlite3_reset(g->ups_on);
			goto out_rollback;
		}
		sqlite3_reset(g->ups_on);
	}
	if ((rc = featurestore_commit(fs, err)))
		goto out_rollback;
	return 0;
out_rollback:
	featurestore_rollback(fs);
	return error_prefix(err, "feature group '%s' v%d: ", g->name, g->version);
}

int featurestore_write(struct featurestore *fs, int group, const int64_t *entities,
		       const simtime *event_times, simtime event_time, const double *values,
		       size_t n, simtime write_time, struct error *err)
{
	ASSERT(values);
	return write_rows(fs, group, entities, event_times, event_time, values, n, write_time, 0,
			  err);
}

int featurestore_delete(struct featurestore *fs, int group, const int64_t *entities,
			size_t n, simtime event_time, simtime write_time, struct error *err)
{
	return write_rows(fs, group, entities, NULL, event_time, NULL, n, write_time, 1, err);
}

static inline bool within_ttl(simtime ttl, simtime e, simtime t)
{
	return e <= t && (ttl == 0 || t - e <= ttl);
}

int featurestore_online_get(struct featurestore *fs, int group, int64_t entity, simtime now,
			    double *values, simtime *event_time, struct error *err)
{
	struct fs_group *g = grp(fs, group);
	sqlite3_stmt *st = g->get_on;
	int rc = 0, s;

	sqlite3_bind_int64(st, 1, entity);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		simtime e = sqlite3_column_int64(st, 0);

		if (sqlite3_column_int(st, 1) || !within_ttl(g->ttl, e, now)) {
			rc = error_set(err, ERR_NOTFOUND, "entity %" PRId64 " has no live row in '%s'",
				       entity, g->name);
		} else {
			for (size_t j = 0; j < g->k; j++)
				values[j] = sqlite3_column_type(st, 2 + (int)j) == SQLITE_NULL
						    ? NAN
						    : sqlite3_column_double(st, 2 + (int)j);
			if (event_time)
				*event_time = e;
		}
	} else if (s == SQLITE_DONE) {
		rc = error_set(err, ERR_NOTFOUND, "entity %" PRId64 " not in '%s'", entity, g->name);
	} else {
		rc = db_fail(fs->db, err, "cannot read online features");
	}
	sqlite3_reset(st);
	return rc;
}

int featurestore_count(struct featurestore *fs, int group, bool online, int64_t *count,
		       struct error *err)
{
	struct fs_group *g = grp(fs, group);
	char *sql = xasprintf("SELECT count(*) FROM %s", online ? g->t_on : g->t_off);
	sqlite3_stmt *st;
	int rc;

	rc = db_prepare(fs->db, sql, &st, err);
	free(sql);
	if (rc)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	else
		rc = db_fail(fs->db, err, "cannot count rows");
	sqlite3_finalize(st);
	return rc;
}

/* ---- PIT join ---- */

struct hkey {
	int64_t entity;
	simtime event_time, write_time;
	int64_t rowid;   /* bit 62: tombstone */
};

#define HKEY_DELETED ((int64_t)1 << 62)

struct qkey {
	int64_t entity;
	simtime t;
	size_t idx;
};

static int cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }

static int hkey_cmp(const void *pa, const void *pb)
{
	const struct hkey *a = pa, *b = pb;
	int c;

	if ((c = cmp_i64(a->entity, b->entity)))
		return c;
	if ((c = cmp_i64(a->event_time, b->event_time)))
		return c;
	if ((c = cmp_i64(a->write_time, b->write_time)))
		return c;
	return cmp_i64(a->rowid & ~HKEY_DELETED, b->rowid & ~HKEY_DELETED);
}

static int qkey_cmp(const void *pa, const void *pb)
{
	const struct qkey *a = pa, *b = pb;
	int c;

	if ((c = cmp_i64(a->entity, b->entity)))
		return c;
	if ((c = cmp_i64(a->t, b->t)))
		return c;
	return (a->idx > b->idx) - (a->idx < b->idx);
}

struct win {
	int64_t rowid;
	size_t idx;
};

static int win_cmp(const void *pa, const void *pb)
{
	const struct win *a = pa, *b = pb;

	return cmp_i64(a->rowid, b->rowid);
}

int featurestore_pit_join(struct featurestore *fs, int group, const int64_t *entity,
			  const simtime *t, size_t n, enum featurestore_pit_mode mode,
			  double *out, uint8_t *found, simtime *row_event_time,
			  struct error *err)
{
	struct fs_group *g = grp(fs, group);
	struct hkey *h = NULL;
	struct qkey *q = NULL;
	struct win *w = NULL;
	size_t nh = 0, cap_h = 0, nw = 0, hi = 0;
	sqlite3_stmt *st = NULL;
	char *sql = NULL, *cols;
	int rc = 0, s;

	for (size_t i = 0; i < n * g->k; i++)
		out[i] = NAN;
	if (found)
		memset(found, 0, n);
	if (row_event_time)
		for (size_t i = 0; i < n; i++)
			row_event_time[i] = -1;
	if (n == 0)
		return 0;

	/* 1. history keys, in table order */
	sql = xasprintf("SELECT rowid, entity, event_time, write_time, is_deleted FROM %s", g->t_off);
	if ((rc = db_prepare(fs->db, sql, &st, err)))
		goto out;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		XGROW(h, nh + 1, cap_h);
		h[nh].rowid = sqlite3_column_int64(st, 0);
		h[nh].entity = sqlite3_column_int64(st, 1);
		h[nh].event_time = sqlite3_column_int64(st, 2);
		h[nh].write_time = sqlite3_column_int64(st, 3);
		if (sqlite3_column_int(st, 4))
			h[nh].rowid |= HKEY_DELETED;
		nh++;
	}
	if (s != SQLITE_DONE) {
		rc = db_fail(fs->db, err, "cannot read feature history");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	qsort(h, nh, sizeof(*h), hkey_cmp);

	/* 2. queries sorted by (entity, t) */
	q = xmalloc(n * sizeof(*q));
	for (size_t i = 0; i < n; i++)
		q[i] = (struct qkey){ entity[i], t[i], i };
	qsort(q, n, sizeof(*q), qkey_cmp);

	/* 3. merge: per entity, a pointer walks history forward as query times
	 * grow (queries are sorted by (entity, t)): linear in n + history */
	w = xmalloc(n * sizeof(*w));
	for (size_t i = 0, p = 0; i < n; i++) {
		const struct hkey *best = NULL;

		if (i == 0 || q[i - 1].entity != q[i].entity) {
			while (hi < nh && h[hi].entity < q[i].entity)
				hi++;
			p = hi;  /* hi: the entity's first history row */
		}
		while (p < nh && h[p].entity == q[i].entity && h[p].event_time <= q[i].t)
			p++;
		/* rows [hi, p) have event_time <= t, ascending by (event_time,
		 * write_time, insertion): the last is the PIT row; as-known-at takes
		 * the last of them already written at t */
		for (size_t r = p; r > hi; r--)
			if (mode == FEATURESTORE_PIT || h[r - 1].write_time <= q[i].t) {
				best = &h[r - 1];
				break;
			}
		if (best && !(best->rowid & HKEY_DELETED) &&
		    within_ttl(g->ttl, best->event_time, q[i].t)) {
			w[nw].rowid = best->rowid;
			w[nw].idx = q[i].idx;
			nw++;
			if (row_event_time)
				row_event_time[q[i].idx] = best->event_time;
		}
	}

	/* 4. fetch winners' values in rowid order */
	qsort(w, nw, sizeof(*w), win_cmp);
	cols = xstrdup("");
	for (size_t j = 0; j < g->k; j++) {
		char *c = xasprintf("%s\"%s\"", j ? ", " : "", g->features[j]);

		sb_add(&cols, "%s", c);
		free(c);
	}
	free(sql);
	sql = xasprintf("SELECT %s FROM %s WHERE rowid = ?", cols, g->t_off);
	free(cols);
	if ((rc = db_prepare(fs->db, sql, &st, err)))
		goto out;
	for (size_t i = 0; i < nw; i++) {
		double *row = out + w[i].idx * g->k;

		if (i > 0 && w[i].rowid == w[i - 1].rowid) {
			memcpy(row, out + w[i - 1].idx * g->k, g->k * sizeof(double));
		} else {
			sqlite3_bind_int64(st, 1, w[i].rowid);
			if (sqlite3_step(st) != SQLITE_ROW) {
				rc = db_fail(fs->db, err, "cannot read feature history row");
				goto out;
			}
			for (size_t j = 0; j < g->k; j++)
				row[j] = sqlite3_column_type(st, (int)j) == SQLITE_NULL
						 ? NAN
						 : sqlite3_column_double(st, (int)j);
			sqlite3_reset(st);
		}
		if (found)
			found[w[i].idx] = 1;
	}
out:
	if (rc) {
		for (size_t i = 0; i < n * g->k; i++)
			out[i] = NAN;
		if (found)
			memset(found, 0, n);
		error_prefix(err, "PIT join on '%s' v%d: ", g->name, g->version);
	}
	sqlite3_finalize(st);
	free(sql);
	free(h);
	free(q);
	free(w);
	return rc;
}

int featurestore_export_csv(struct featurestore *fs, int group, simtime at,
			    enum featurestore_pit_mode mode, FILE *out, struct error *err)
{
	struct fs_group *g = grp(fs, group);
	int64_t *ents = NULL;
	simtime *ts = NULL, *ets = NULL;
	double *vals = NULL;
	uint8_t *found = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	char *sql = xasprintf("SELECT DISTINCT entity FROM %s ORDER BY entity", g->t_off);
	int rc, s;

	if ((rc = db_prepare(fs->db, sql, &st, err)))
		goto out;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		XGROW(ents, n + 1, cap);
		ents[n++] = sqlite3_column_int64(st, 0);
	}
	if (s != SQLITE_DONE) {
		rc = db_fail(fs->db, err, "cannot list entities");
		goto out;
	}
	ts = xcalloc(n + 1, sizeof(*ts));
	ets = xcalloc(n + 1, sizeof(*ets));
	vals = xcalloc((n + 1) * g->k, sizeof(*vals));
	found = xcalloc(n + 1, 1);
	for (size_t i = 0; i < n; i++)
		ts[i] = at;
	if ((rc = featurestore_pit_join(fs, group, ents, ts, n, mode, vals, found, ets, err)))
		goto out;
	fprintf(out, "entity,event_time");
	for (size_t j = 0; j < g->k; j++)
		fprintf(out, ",%s", g->features[j]);
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%" PRId64 ",", ents[i]);
		if (found[i])
			fprintf(out, "%" PRId64, ets[i]);
		for (size_t j = 0; j < g->k; j++) {
			double v = vals[i * g->k + j];

			if (isnan(v))
				fputc(',', out);
			else
				fprintf(out, ",%.17g", v);
		}
		fputc('\n', out);
	}
	if (ferror(out))
		rc = error_set(err, ERR_IO, "cannot write CSV export of '%s'", g->name);
out:
	sqlite3_finalize(st);
	free(sql);
	free(ents);
	free(ts);
	free(ets);
	free(vals);
	free(found);
	return rc;
}

/* ---- serving snapshot ---- */

struct featurestore_snapshot {
	size_t n, k;
	simtime ttl, max_event_time;
	int64_t *entity;
	simtime *event_time;
	double *values;          /* n x k */
	uint32_t *slots;         /* open addressing, index + 1, 0 = empty */
	uint64_t mask;
};

static inline uint64_t slot_hash(int64_t e)
{
	uint64_t x = (uint64_t)e * 0x9E3779B97F4A7C15ULL;

	return x ^ (x >> 29);
}

struct featurestore_snapshot *featurestore_snapshot(struct featurestore *fs, int group,
						    struct error *err)
{
	struct fs_group *g = grp(fs, group);
	struct featurestore_snapshot *snap = xcalloc(1, sizeof(*snap));
	size_t cap = 0, cap_e = 0, cap_v = 0, nslots = 16;
	sqlite3_stmt *st = NULL;
	char *cols = xstrdup(""), *sql;
	int s;

	for (size_t j = 0; j < g->k; j++) {
		char *c = xasprintf(", \"%s\"", g->features[j]);

		sb_add(&cols, "%s", c);
		free(c);
	}
	sql = xasprintf("SELECT entity, event_time%s FROM %s WHERE is_deleted = 0 ORDER BY entity",
			cols, g->t_on);
	free(cols);
	snap->k = g->k;
	snap->ttl = g->ttl;
	snap->max_event_time = -1;
	if (db_prepare(fs->db, sql, &st, err))
		goto out_fail;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		size_t i = snap->n;

		XGROW(snap->entity, i + 1, cap);
		XGROW(snap->event_time, i + 1, cap_e);
		XGROW(snap->values, (i + 1) * g->k, cap_v);
		snap->entity[i] = sqlite3_column_int64(st, 0);
		snap->event_time[i] = sqlite3_column_int64(st, 1);
		if (snap->event_time[i] > snap->max_event_time)
			snap->max_event_time = snap->event_time[i];
		for (size_t j = 0; j < g->k; j++)
			snap->values[i * g->k + j] = sqlite3_column_type(st, 2 + (int)j) == SQLITE_NULL
							     ? NAN
							     : sqlite3_column_double(st, 2 + (int)j);
		snap->n++;
	}
	if (s != SQLITE_DONE) {
		db_fail(fs->db, err, "cannot read online features");
		goto out_fail;
	}
	sqlite3_finalize(st);
	free(sql);
	ASSERT(snap->n < UINT32_MAX);
	while (nslots < 2 * snap->n)
		nslots *= 2;
	snap->slots = xcalloc(nslots, sizeof(uint32_t));
	snap->mask = nslots - 1;
	for (size_t i = 0; i < snap->n; i++) {
		uint64_t s2 = slot_hash(snap->entity[i]) & snap->mask;

		while (snap->slots[s2])
			s2 = (s2 + 1) & snap->mask;
		snap->slots[s2] = (uint32_t)i + 1;
	}
	return snap;
out_fail:
	sqlite3_finalize(st);
	free(sql);
	featurestore_snapshot_free(snap);
	error_prefix(err, "snapshot of '%s' v%d: ", g->name, g->version);
	return NULL;
}

void featurestore_snapshot_free(struct featurestore_snapshot *snap)
{
	if (!snap)
		return;
	free(snap->entity);
	free(snap->event_time);
	free(snap->values);
	free(snap->slots);
	free(snap);
}

size_t featurestore_snapshot_size(const struct featurestore_snapshot *snap) { return snap->n; }
simtime featurestore_snapshot_event_time(const struct featurestore_snapshot *snap)
{
	return snap->max_event_time;
}

const double *featurestore_snapshot_row(const struct featurestore_snapshot *snap,
					int64_t entity, simtime now)
{
	uint64_t s = slot_hash(entity) & snap->mask;
	uint32_t idx;

	while ((idx = snap->slots[s])) {
		if (snap->entity[idx - 1] == entity)
			return within_ttl(snap->ttl, snap->event_time[idx - 1], now)
				       ? snap->values + (size_t)(idx - 1) * snap->k
				       : NULL;
		s = (s + 1) & snap->mask;
	}
	return NULL;
}

size_t featurestore_snapshot_get(const struct featurestore_snapshot *snap,
				 const int64_t *entities, size_t n, simtime now, double *out,
				 uint8_t *found)
{
	size_t hits = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t s = slot_hash(entities[i]) & snap->mask;
		double *row = out + i * snap->k;
		uint32_t idx = 0;

		while (snap->slots[s]) {
			if (snap->entity[snap->slots[s] - 1] == entities[i]) {
				idx = snap->slots[s];
				break;
			}
			s = (s + 1) & snap->mask;
		}
		if (idx && within_ttl(snap->ttl, snap->event_time[idx - 1], now)) {
			memcpy(row, snap->values + (idx - 1) * snap->k, snap->k * sizeof(double));
			hits++;
			if (found)
				found[i] = 1;
		} else {
			for (size_t j = 0; j < snap->k; j++)
				row[j] = NAN;
			if (found)
				found[i] = 0;
		}
	}
	return hits;
}
