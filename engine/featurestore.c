/* Feature store on SQLite; see featurestore.h. */
#include "engine/featurestore.h"

#include "common/db.h"
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
	/* a read-only store only reads groups that exist */
	rc = fs->ro ? 0 : db_exec(fs->db, sql, "creating feature group tables", err);
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
	rc = db_prepare(fs->db, &g->ins_off, sql, "preparing feature history writes", err);
	free(sql);
	if (rc)
		goto out_cols;
	/* the online upsert of a whole write, set-based from the history rows
	 * just appended (rowids ?1..?2, in insertion order); the WHERE on the
	 * SELECT is required by SQLite's grammar before ON CONFLICT */
	sql = xasprintf("INSERT INTO %s(entity, event_time, write_time, is_deleted%s)"
			" SELECT entity, event_time, write_time, is_deleted%s FROM %s"
			" WHERE rowid BETWEEN ?1 AND ?2 ORDER BY rowid"
			" ON CONFLICT(entity) DO UPDATE SET event_time = excluded.event_time,"
			" write_time = excluded.write_time, is_deleted = excluded.is_deleted%s"
			" WHERE excluded.event_time > event_time",
			g->t_on, cols, cols, g->t_off, sets);
	rc = db_prepare(fs->db, &g->ups_on, sql, "preparing online feature writes", err);
	free(sql);
	if (rc)
		goto out_cols;
	sql = xasprintf("SELECT event_time, is_deleted%s FROM %s WHERE entity = ?", cols, g->t_on);
	rc = db_prepare(fs->db, &g->get_on, sql, "preparing online feature reads", err);
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

	db_bind_int64(fs->db, st, 1, entity);
	s = db_step(fs->db, st, "reading online features", err);
	if (s == 1) {
		simtime e = sqlite3_column_int64(st, 0);

		if (sqlite3_column_int(st, 1) || !within_ttl(g->ttl, e, now)) {
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

/* Sort key of a signed entity as unsigned (order preserving). */
static inline uint64_t ekey(int64_t e) { return (uint64_t)e ^ ((uint64_t)1 << 63); }

/* Sorting n records of `size` bytes by (entity, then cmp): a stable LSD radix
 * sort on the entity (16-bit digits, constant digits skipped: entity ids
 * are dense, so most of the 4 passes are), then each run of one entity is
 * finished by insertion sort (short, nearly sorted runs: history rows are
 * appended day after day) or qsort (long runs).  Stability keeps the scan
 * order (rowid, query index) for ties.  `off` is the entity's offset. */
static void sort_by_entity(void *base, size_t n, size_t size, size_t off,
			   int (*cmp)(const void *, const void *))
{
	unsigned char *a = base, *src, *dst, *tmp;
	size_t *count;

	if (n < 2)
		return;
	tmp = xmalloc(n * size);
	count = xmalloc(65536 * sizeof(*count));
	src = a;
	dst = tmp;
	for (int shift = 0; shift < 64; shift += 16) {
		size_t sum = 0;
		int64_t e;

#define DIGIT(p) (memcpy(&e, (p) + off, sizeof(e)), (size_t)((ekey(e) >> shift) & 0xffff))
		memset(count, 0, 65536 * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[DIGIT(src + i * size)]++;
		if (count[DIGIT(src)] == n)
			continue;
		for (size_t d = 0; d < 65536; d++) {
			size_t c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			memcpy(dst + count[DIGIT(src + i * size)]++ * size, src + i * size, size);
#undef DIGIT
		unsigned char *x = src;

		src = dst;
		dst = x;
	}
	if (src != a)
		memcpy(a, src, n * size);
	/* runs of one entity */
	for (size_t lo = 0, hi; lo < n; lo = hi) {
		int64_t e0, e1;

		memcpy(&e0, a + lo * size + off, sizeof(e0));
		for (hi = lo + 1; hi < n; hi++) {
			memcpy(&e1, a + hi * size + off, sizeof(e1));
			if (e1 != e0)
				break;
		}
		if (hi - lo > 32) {
			qsort(a + lo * size, hi - lo, size, cmp);
			continue;
		}
		for (size_t i = lo + 1; i < hi; i++) {
			size_t j = i;

			memcpy(tmp, a + i * size, size);
			for (; j > lo && cmp(a + (j - 1) * size, tmp) > 0; j--)
				memcpy(a + j * size, a + (j - 1) * size, size);
			memcpy(a + j * size, tmp, size);
		}
	}
	free(count);
	free(tmp);
}

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
	if ((rc = db_prepare(fs->db, &st, sql, "reading feature history keys", err)))
		goto out;
	while ((s = db_step(fs->db, st, "reading feature history keys", err)) == 1) {
		XGROW(h, nh + 1, cap_h);
		h[nh].rowid = sqlite3_column_int64(st, 0);
		h[nh].entity = sqlite3_column_int64(st, 1);
		h[nh].event_time = sqlite3_column_int64(st, 2);
		h[nh].write_time = sqlite3_column_int64(st, 3);
		if (sqlite3_column_int(st, 4))
			h[nh].rowid |= HKEY_DELETED;
		nh++;
	}
	if (s < 0) {
		rc = s;
		goto out;
	}
	db_finalize(st);
	st = NULL;
	sort_by_entity(h, nh, sizeof(*h), offsetof(struct hkey, entity), hkey_cmp);

	/* 2. queries sorted by (entity, t) */
	q = xmalloc(n * sizeof(*q));
	for (size_t i = 0; i < n; i++)
		q[i] = (struct qkey){ entity[i], t[i], i };
	sort_by_entity(q, n, sizeof(*q), offsetof(struct qkey, entity), qkey_cmp);

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
	if ((rc = db_prepare(fs->db, &st, sql, "reading feature history rows", err)))
		goto out;
	for (size_t i = 0; i < nw; i++) {
		double *row = out + w[i].idx * g->k;

		if (i > 0 && w[i].rowid == w[i - 1].rowid) {
			memcpy(row, out + w[i - 1].idx * g->k, g->k * sizeof(double));
		} else {
			db_bind_int64(fs->db, st, 1, w[i].rowid);
			if ((s = db_step(fs->db, st, "reading a feature history row", err)) != 1) {
				if (s == 0)
					BUG("history row %lld vanished", (long long)w[i].rowid);
				rc = s;
				goto out;
			}
			for (size_t j = 0; j < g->k; j++)
				row[j] = db_column_double_or_nan(st, (int)j);
			db_reset(st);
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
	db_finalize(st);
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

	if ((rc = db_prepare(fs->db, &st, sql, "listing entities", err)))
		goto out;
	while ((s = db_step(fs->db, st, "listing entities", err)) == 1) {
		XGROW(ents, n + 1, cap);
		ents[n++] = sqlite3_column_int64(st, 0);
	}
	if (s < 0) {
		rc = s;
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
	db_finalize(st);
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
	/* Rows by the high half of the entity (rows are sorted by entity, so
	 * each high half is one run): open addressing, count 0 = empty. */
	struct snap_span *spans;
	uint64_t span_mask;
};

struct snap_span {
	uint32_t high, first, count;
};

static inline uint64_t slot_hash(int64_t e)
{
	uint64_t x = (uint64_t)e * 0x9E3779B97F4A7C15ULL;

	return x ^ (x >> 29);
}

static uint32_t entity_high(int64_t e)
{
	return (uint32_t)((uint64_t)e >> 32);
}

/* The span index: one entry per distinct high half (the query orders by
 * the INTEGER PRIMARY KEY, so the rows are strictly ascending). */
static void build_spans(struct featurestore_snapshot *snap)
{
	size_t runs = 0, nslots = 16;

	for (size_t i = 0; i < snap->n; i++) {
		ASSERT(i == 0 || snap->entity[i] > snap->entity[i - 1]);
		runs += i == 0 || entity_high(snap->entity[i]) != entity_high(snap->entity[i - 1]);
	}
	while (nslots < 2 * runs)
		nslots *= 2;
	snap->spans = xcalloc(nslots, sizeof(*snap->spans));
	snap->span_mask = nslots - 1;
	for (size_t i = 0; i < snap->n;) {
		uint32_t high = entity_high(snap->entity[i]);
		size_t j = i + 1;
		uint64_t s = slot_hash(high) & snap->span_mask;

		while (j < snap->n && entity_high(snap->entity[j]) == high)
			j++;
		while (snap->spans[s].count)
			s = (s + 1) & snap->span_mask;
		snap->spans[s] = (struct snap_span){ high, (uint32_t)i, (uint32_t)(j - i) };
		i = j;
	}
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
	if (db_prepare(fs->db, &st, sql, "reading online features", err))
		goto out_fail;
	while ((s = db_step(fs->db, st, "reading online features", err)) == 1) {
		size_t i = snap->n;

		XGROW(snap->entity, i + 1, cap);
		XGROW(snap->event_time, i + 1, cap_e);
		XGROW(snap->values, (i + 1) * g->k, cap_v);
		snap->entity[i] = sqlite3_column_int64(st, 0);
		snap->event_time[i] = sqlite3_column_int64(st, 1);
		if (snap->event_time[i] > snap->max_event_time)
			snap->max_event_time = snap->event_time[i];
		for (size_t j = 0; j < g->k; j++)
			snap->values[i * g->k + j] = db_column_double_or_nan(st, 2 + (int)j);
		snap->n++;
	}
	if (s < 0)
		goto out_fail;
	db_finalize(st);
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
	build_spans(snap);
	return snap;
out_fail:
	db_finalize(st);
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
	free(snap->spans);
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

void featurestore_snapshot_span(const struct featurestore_snapshot *snap, uint32_t high,
				struct featurestore_span *span)
{
	uint64_t s = slot_hash(high) & snap->span_mask;

	span->first = span->count = 0;
	span->filter = 0;
	while (snap->spans[s].count) {
		if (snap->spans[s].high == high) {
			span->first = snap->spans[s].first;
			span->count = snap->spans[s].count;
			for (size_t i = span->first; i < span->first + span->count; i++)
				span->filter |= UINT64_C(1)
						<< featurestore_span_bit((uint32_t)snap->entity[i]);
			return;
		}
		s = (s + 1) & snap->span_mask;
	}
}

const double *featurestore_snapshot_row_in(const struct featurestore_snapshot *snap,
					   const struct featurestore_span *span, int64_t entity,
					   simtime now)
{
	size_t lo = span->first, hi = span->first + span->count;

	/* First row >= entity in the span (ascending). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (snap->entity[mid] < entity)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == span->first + span->count || snap->entity[lo] != entity)
		return NULL;
	return within_ttl(snap->ttl, snap->event_time[lo], now) ? snap->values + lo * snap->k
								  : NULL;
}
