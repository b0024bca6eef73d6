/* Feature store on SQLite; see featurestore.h. */
#include "engine/featurestore.h"

#include "common/db.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
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
	struct db *db;
	bool ro;
	char *path;
	struct fs_group *groups;
	size_t n_groups, cap_groups;
	int depth;               /* open transaction levels */
};

/* ---- open / groups ---- */

/* The store's own schema; the per-group tables are created by define. */
static const char *const fs_schema_steps[] = {
	"CREATE TABLE fs_group(name TEXT NOT NULL, version INTEGER NOT NULL,"
	" features TEXT NOT NULL, ttl_us INTEGER NOT NULL, PRIMARY KEY(name, version));"
	"CREATE TABLE fs_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
};
static const struct db_schema fs_schema = { "feature store", 1, fs_schema_steps };

static struct featurestore *open_mode(const char *path, enum db_mode mode, struct error *err)
{
	struct featurestore *fs = xcalloc(1, sizeof(*fs));

	fs->path = xstrdup(path);
	fs->ro = mode == DB_READONLY;
	/* journal mode and synchronous come from common/db (DELETE, OFF): see
	 * featurestore.h */
	if (db_open(&fs->db, path, mode, err) ||
	    db_exec(fs->db, "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536;",
		    "setting the cache size", err) ||
	    db_schema_apply(fs->db, &fs_schema, err)) {
		error_prefix(err, "feature store '%s': ", path);
		featurestore_free(fs);
		return NULL;
	}
	return fs;
}

struct featurestore *featurestore_open(const char *path, struct error *err)
{
	return open_mode(path, DB_CREATE, err);
}

struct featurestore *featurestore_open_readonly(const char *path, struct error *err)
{
	return open_mode(path, DB_READONLY, err);
}

static void group_release(struct fs_group *g)
{
	db_finalize(g->ins_off);
	db_finalize(g->ups_on);
	db_finalize(g->get_on);
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
	db_close(fs->db);
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
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < k; i++) {
		if (i)
			strbuf_addch(&sb, ',');
		strbuf_addstr(&sb, names[i]);
	}
	return strbuf_detach(&sb, NULL);
}

static int group_prepare(struct featurestore *fs, struct fs_group *g, struct error *err)
{
	struct strbuf cols = STRBUF_INIT, qs = STRBUF_INIT, sets = STRBUF_INIT;
	char *sql;
	int rc;

	for (size_t i = 0; i < g->k; i++) {
		strbuf_addf(&cols, ", \"%s\" REAL", g->features[i]);
		strbuf_addstr(&qs, ", ?");
	}
	sql = xasprintf("CREATE TABLE IF NOT EXISTS %s(entity INTEGER NOT NULL, event_time INTEGER NOT NULL,"
			" write_time INTEGER NOT NULL, is_deleted INTEGER NOT NULL%s);"
			"CREATE TABLE IF NOT EXISTS %s(entity INTEGER PRIMARY KEY, event_time INTEGER NOT NULL,"
			" write_time INTEGER NOT NULL, is_deleted INTEGER NOT NULL%s);",
			g->t_off, cols.buf, g->t_on, cols.buf);
	/* a read-only store only reads groups that exist */
	rc = fs->ro ? 0 : db_exec(fs->db, sql, "creating feature group tables", err);
	free(sql);
	if (rc)
		goto out;
	strbuf_reset(&cols);
	for (size_t i = 0; i < g->k; i++) {
		strbuf_addf(&cols, ", \"%s\"", g->features[i]);
		strbuf_addf(&sets, ", \"%s\" = excluded.\"%s\"", g->features[i], g->features[i]);
	}
	sql = xasprintf("INSERT INTO %s(entity, event_time, write_time, is_deleted%s) VALUES(?, ?, ?, ?%s)",
			g->t_off, cols.buf, qs.buf);
	rc = db_prepare(fs->db, &g->ins_off, sql, "preparing feature history writes", err);
	free(sql);
	if (rc)
		goto out;
	/* the online upsert of a whole write, set-based from the history rows
	 * just appended (rowids ?1..?2, in insertion order); the WHERE on the
	 * SELECT is required by SQLite's grammar before ON CONFLICT */
	sql = xasprintf("INSERT INTO %s(entity, event_time, write_time, is_deleted%s)"
			" SELECT entity, event_time, write_time, is_deleted%s FROM %s"
			" WHERE rowid BETWEEN ?1 AND ?2 ORDER BY rowid"
			" ON CONFLICT(entity) DO UPDATE SET event_time = excluded.event_time,"
			" write_time = excluded.write_time, is_deleted = excluded.is_deleted%s"
			" WHERE excluded.event_time > event_time",
			g->t_on, cols.buf, cols.buf, g->t_off, sets.buf);
	rc = db_prepare(fs->db, &g->ups_on, sql, "preparing online feature writes", err);
	free(sql);
	if (rc)
		goto out;
	sql = xasprintf("SELECT event_time, is_deleted%s FROM %s WHERE entity = ?", cols.buf, g->t_on);
	rc = db_prepare(fs->db, &g->get_on, sql, "preparing online feature reads", err);
	free(sql);
out:
	strbuf_release(&cols);
	strbuf_release(&qs);
	strbuf_release(&sets);
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
	if ((rc = db_prepare(fs->db, &st, "SELECT features, ttl_us FROM fs_group WHERE name = ? AND version = ?",
			     "looking up a feature group", err)))
		goto out;
	db_bind_text(fs->db, st, 1, name);
	db_bind_int64(fs->db, st, 2, version);
	rc = db_step(fs->db, st, "looking up a feature group", err);
	if (rc == 1) {
		const char *have = db_column_text(st, 0);

		if (strcmp(have, list) || sqlite3_column_int64(st, 1) != ttl) {
			rc = error_set(err, ERR_INPUT,
				       "feature group '%s' v%d exists with another schema (features '%s', ttl %lld us); bump the version",
				       name, version, have, (long long)sqlite3_column_int64(st, 1));
			goto out_st;
		}
	} else if (rc == 0 && fs->ro) {
		rc = error_set(err, ERR_NOTFOUND, "no feature group '%s' v%d in '%s'", name, version,
			       fs->path);
		goto out_st;
	} else if (rc == 0) {
		db_finalize(st);
		st = NULL;
		if ((rc = db_prepare(fs->db, &st, "INSERT INTO fs_group(name, version, features, ttl_us) VALUES(?, ?, ?, ?)",
				     "registering a feature group", err)))
			goto out;
		db_bind_text(fs->db, st, 1, name);
		db_bind_int64(fs->db, st, 2, version);
		db_bind_text(fs->db, st, 3, list);
		db_bind_int64(fs->db, st, 4, ttl);
		if ((rc = db_step_done(fs->db, st, "registering a feature group", err)))
			goto out_st;
	} else {
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
	db_finalize(st);
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
	if ((rc = db_prepare(fs->db, &st, "SELECT features, ttl_us FROM fs_group WHERE name = ? AND version = ?",
			     "looking up a feature group", err)))
		return rc;
	db_bind_text(fs->db, st, 1, name);
	db_bind_int64(fs->db, st, 2, version);
	rc = db_step(fs->db, st, "looking up a feature group", err);
	if (rc == 0) {
		rc = error_set(err, ERR_NOTFOUND, "no feature group '%s' v%d in '%s'", name, version,
			       fs->path);
	} else if (rc == 1) {
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
		db_finalize(st);
		st = NULL;
		/* registered already: define re-opens it without a schema change */
		rc = featurestore_define(fs, name, version, names, k, ttl, err);
		free(list);
	}
	db_finalize(st);
	return rc;
}

int featurestore_open_all(struct featurestore *fs, struct error *err)
{
	const char *sql = "SELECT name, version FROM fs_group ORDER BY name, version";
	sqlite3_stmt *st = NULL;
	char **names = NULL;
	int *versions = NULL, rc, s;
	size_t n = 0, cap = 0, cap_v = 0;

	if ((rc = db_prepare(fs->db, &st, sql, "listing feature groups", err)))
		return rc;
	while ((s = db_step(fs->db, st, "listing feature groups", err)) == 1) {
		XGROW(names, n + 1, cap);
		XGROW(versions, n + 1, cap_v);
		names[n] = xstrdup(db_column_text(st, 0));
		versions[n++] = sqlite3_column_int(st, 1);
	}
	db_finalize(st);
	rc = s < 0 ? s : 0;
	for (size_t i = 0; i < n && !rc; i++)
		if ((s = featurestore_group(fs, names[i], versions[i], err)) < 0)
			rc = s;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(versions);
	return rc;
}

int featurestore_set_meta(struct featurestore *fs, const char *key, const char *value,
			  struct error *err)
{
	const char *sql = "INSERT INTO fs_meta(key, value) VALUES(?, ?)"
			  " ON CONFLICT(key) DO UPDATE SET value = excluded.value";
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = db_prepare(fs->db, &st, sql, "writing store metadata", err)))
		return rc;
	db_bind_text(fs->db, st, 1, key);
	db_bind_text(fs->db, st, 2, value);
	rc = db_step_done(fs->db, st, "writing store metadata", err);
	db_finalize(st);
	return rc;
}

int featurestore_get_meta(struct featurestore *fs, const char *key, char **value,
			  struct error *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*value = NULL;
	if ((rc = db_prepare(fs->db, &st, "SELECT value FROM fs_meta WHERE key = ?",
			     "reading store metadata", err)))
		return rc;
	db_bind_text(fs->db, st, 1, key);
	rc = db_step(fs->db, st, "reading store metadata", err);
	if (rc == 1) {
		*value = xstrdup(db_column_text(st, 0));
		rc = 0;
	} else if (rc == 0) {
		rc = error_set(err, ERR_NOTFOUND, "no '%s' in the metadata of feature store '%s'",
			       key, fs->path);
	}
	db_finalize(st);
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

struct db *featurestore_db(const struct featurestore *fs) { return fs->db; }

const char *featurestore_table(const struct featurestore *fs, int group, bool online)
{
	return online ? grp(fs, group)->t_on : grp(fs, group)->t_off;
}

/* ---- writes ---- */

int featurestore_begin(struct featurestore *fs, struct error *err)
{
	return db_begin(fs->db, err);
}

int featurestore_commit(struct featurestore *fs, struct error *err)
{
	return db_commit(fs->db, err);
}

void featurestore_rollback(struct featurestore *fs)
{
	db_rollback(fs->db);
}

static int write_rows(struct featurestore *fs, int group, const int64_t *entities,
		      const simtime *event_times, simtime event_time, const double *values,
		      size_t n, simtime write_time, int deleted, struct error *err)
{
	struct fs_group *g = grp(fs, group);
	sqlite3 *h = db_handle(fs->db);
	sqlite3_stmt *st = g->ins_off;
	int64_t first = 0, last = 0;
	int rc;

	if (n == 0)
		return 0;
	if ((rc = featurestore_begin(fs, err)))
		goto out;
	/* history: one prepared insert per row, every parameter rebound (so no
	 * clear_bindings); binding ints and doubles cannot fail */
	for (size_t i = 0; i < n; i++) {
		const double *v = values ? values + i * g->k : NULL;

		sqlite3_bind_int64(st, 1, entities[i]);
		sqlite3_bind_int64(st, 2, event_times ? event_times[i] : event_time);
		sqlite3_bind_int64(st, 3, write_time);
		sqlite3_bind_int(st, 4, deleted);
		for (size_t j = 0; j < g->k; j++) {
			if (!v || isnan(v[j]))
				sqlite3_bind_null(st, 5 + (int)j);
			else
				sqlite3_bind_double(st, 5 + (int)j, v[j]);
		}
		if ((rc = db_step(fs->db, st, "writing feature history", err)))
			goto out_rollback;
		last = sqlite3_last_insert_rowid(h);
		if (i == 0)
			first = last;
	}
	/* appends in one transaction take consecutive rowids */
	ASSERT(last - first + 1 == (int64_t)n);
	/* online: one set-based upsert of the rows just appended */
	db_bind_int64(fs->db, g->ups_on, 1, first);
	db_bind_int64(fs->db, g->ups_on, 2, last);
	if ((rc = db_step_done(fs->db, g->ups_on, "writing online features", err)))
		goto out_rollback;
	if ((rc = featurestore_commit(fs, err)))
		goto out; /* a failed commit has rolled its level back */
	return 0;
out_rollback:
	featurestore_rollback(fs);
out:
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

int featurestore_online_get(struct featurestore *fs, int group, int64_t entity, simtime now,
			    double *values, simtime *event_time, struct error *err)
{
	struct fs_group *g = grp(fs, group);
	sqlite3_stmt *st = g->get_on;
	int rc = 0, s;

	db_bind_int64(fs->db, st, 1, entity);
	s = db_step(fs->db, st, "reading online features", err);
	if (s == 1) {
		simtime e = sqlite3_column_int64(st, 0);

		if (sqlite3_column_int(st, 1) || !featurestore_within_ttl(g->ttl, e, now)) {
			rc = error_set(err, ERR_NOTFOUND, "entity %" PRId64 " has no live row in '%s'",
				       entity, g->name);
		} else {
			for (size_t j = 0; j < g->k; j++)
				values[j] = db_column_double_or_nan(st, 2 + (int)j);
			if (event_time)
				*event_time = e;
		}
	} else if (s == 0) {
		rc = error_set(err, ERR_NOTFOUND, "entity %" PRId64 " not in '%s'", entity, g->name);
	} else {
		rc = s;
	}
	db_reset(st);
	return rc;
}

int featurestore_count(struct featurestore *fs, int group, bool online, int64_t *count,
		       struct error *err)
{
	struct fs_group *g = grp(fs, group);
	char *sql = xasprintf("SELECT count(*) FROM %s", online ? g->t_on : g->t_off);
	sqlite3_stmt *st;
	int rc;

	rc = db_prepare(fs->db, &st, sql, "counting feature rows", err);
	free(sql);
	if (rc)
		return rc;
	rc = db_step(fs->db, st, "counting feature rows", err);
	if (rc == 1) {
		*count = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (rc == 0) {
		BUG("count(*) returned no row");
	}
	db_finalize(st);
	return rc;
}
