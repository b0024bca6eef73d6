/* A study directory: manifest, lock, journal; see studydir.h. */
#include "results/studydir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/db.h"
#include "common/xalloc.h"
#include "results/rundir.h"
#include "results/schema.h"

#define MANIFEST_HEAD "airtime study 1\n"

/* The journal, cells.db (see studydir.h); one schema step per version. */
static const char journal_v1[] =
	"CREATE TABLE study_cells ("
	" cell INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('done', 'failed')),"
	" error TEXT NOT NULL, summary BLOB NOT NULL);"
	"CREATE TABLE study_attempts ("
	" attempt INTEGER PRIMARY KEY, cell INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('done', 'failed')),"
	" worker TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,"
	" run_seconds REAL, transfer_seconds REAL, stored_utc TEXT NOT NULL);";
static const char *const journal_steps[] = { journal_v1 };
static const struct db_schema journal_schema = {
	.kind = "study journal",
	.version = RESULTS_JOURNAL_SCHEMA_VERSION,
	.steps = journal_steps,
};

_Static_assert(sizeof(journal_steps) / sizeof(journal_steps[0]) ==
		       RESULTS_JOURNAL_SCHEMA_VERSION, "one schema step per version");

struct studydir {
	char *path;
	int lock_fd;
	bool resumed;
	struct db *journal;
};

/* ---- the manifest ----------------------------------------------------------- */

void study_manifest_release(struct study_manifest *m)
{
	for (size_t i = 0; i < m->n_sets; i++)
		free(m->sets[i]);
	for (size_t i = 0; i < m->n_grid; i++)
		free(m->grid[i]);
	free(m->sets);
	free(m->grid);
	free(m->kind);
	free(m->scenario_name);
	free(m->scenario_text);
	memset(m, 0, sizeof(*m));
}

static char **copy_list(char *const *src, size_t n)
{
	char **out = xcalloc(n + 1, sizeof(*out));

	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(src[i]);
	return out;
}

void study_manifest_copy(struct study_manifest *dst, const struct study_manifest *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->kind = xstrdup(src->kind ? src->kind : "");
	dst->scenario_name = xstrdup(src->scenario_name ? src->scenario_name : "");
	dst->scenario_text = xstrdup(src->scenario_text ? src->scenario_text : "");
	dst->sets = copy_list(src->sets, src->n_sets);
	dst->n_sets = src->n_sets;
	dst->grid = copy_list(src->grid, src->n_grid);
	dst->n_grid = src->n_grid;
	dst->seed_first = src->seed_first;
	dst->seed_last = src->seed_last;
}

/* A growing text (manifest). */
struct text {
	char *s;
	size_t len, cap;
};

static void add(struct text *t, const char *s, size_t n)
{
	XGROW(t->s, t->len + n + 1, t->cap);
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void add_line(struct text *t, const char *key, const char *value)
{
	add(t, key, strlen(key));
	add(t, " ", 1);
	add(t, value, strlen(value));
	add(t, "\n", 1);
}

char *study_manifest_format(const struct study_manifest *m, size_t *len)
{
	struct text t = { 0 };
	char num[64];
	size_t tl = strlen(m->scenario_text);

	add(&t, MANIFEST_HEAD, strlen(MANIFEST_HEAD));
	add_line(&t, "kind", m->kind);
	add_line(&t, "scenario", m->scenario_name);
	if (!strcmp(m->kind, "replicate")) {
		snprintf(num, sizeof(num), "%llu-%llu", (unsigned long long)m->seed_first,
			 (unsigned long long)m->seed_last);
		add_line(&t, "seeds", num);
	}
	for (size_t i = 0; i < m->n_grid; i++)
		add_line(&t, "grid", m->grid[i]);
	for (size_t i = 0; i < m->n_sets; i++)
		add_line(&t, "set", m->sets[i]);
	snprintf(num, sizeof(num), "%zu", tl);
	add_line(&t, "scenario-text", num);
	add(&t, m->scenario_text, tl);
	*len = t.len;
	return t.s;
}

static void push(char ***list, size_t *n, const char *s, size_t len)
{
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[*n] = xcalloc(len + 1, 1);
	memcpy((*list)[(*n)++], s, len);
}

static char *dup_n(const char *s, size_t n)
{
	char *d = xcalloc(n + 1, 1);

	memcpy(d, s, n);
	return d;
}

static int parse_seeds(const char *v, struct study_manifest *m)
{
	char *end;
	unsigned long long a, b;

	errno = 0;
	a = strtoull(v, &end, 10);
	if (errno || end == v || *end != '-')
		return -1;
	v = end + 1;
	b = strtoull(v, &end, 10);
	if (errno || end == v || *end || b < a)
		return -1;
	m->seed_first = a;
	m->seed_last = b;
	return 0;
}

int study_manifest_parse(struct study_manifest *m, const char *text, size_t len,
			 const char *what, struct error *err)
{
	size_t pos, head = strlen(MANIFEST_HEAD);
	bool seeds = false;

	memset(m, 0, sizeof(*m));
	if (len < head || memcmp(text, MANIFEST_HEAD, head))
		return error_set(err, ERR_CORRUPT, "'%s' is not an airtime study manifest", what);
	for (pos = head; pos < len;) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		const char *sp;
		size_t n = nl ? (size_t)(nl - line) : len - pos, klen;
		char *value;

		if (!nl)
			goto bad;
		sp = memchr(line, ' ', n);
		if (!sp)
			goto bad;
		klen = (size_t)(sp - line);
		value = dup_n(sp + 1, n - klen - 1);
		pos += n + 1;
		if (klen == 4 && !memcmp(line, "kind", 4) && !m->kind) {
			m->kind = value;
		} else if (klen == 8 && !memcmp(line, "scenario", 8) && !m->scenario_name) {
			m->scenario_name = value;
		} else if (klen == 5 && !memcmp(line, "seeds", 5) && !seeds) {
			seeds = true;
			if (parse_seeds(value, m) < 0) {
				free(value);
				goto bad;
			}
			free(value);
		} else if (klen == 4 && !memcmp(line, "grid", 4)) {
			push(&m->grid, &m->n_grid, value, strlen(value));
			free(value);
		} else if (klen == 3 && !memcmp(line, "set", 3)) {
			push(&m->sets, &m->n_sets, value, strlen(value));
			free(value);
		} else if (klen == 13 && !memcmp(line, "scenario-text", 13)) {
			char *end;
			unsigned long long tl;

			errno = 0;
			tl = strtoull(value, &end, 10);
			if (errno || end == value || *end || tl != len - pos) {
				free(value);
				goto bad;
			}
			free(value);
			m->scenario_text = dup_n(text + pos, (size_t)tl);
			pos = len;
		} else {
			free(value);
			goto bad;
		}
	}
	if (!m->kind || !m->scenario_name || !m->scenario_text ||
	    (strcmp(m->kind, "sweep") && strcmp(m->kind, "replicate")) ||
	    seeds != !strcmp(m->kind, "replicate"))
		goto bad;
	return 0;
bad:
	study_manifest_release(m);
	return error_set(err, ERR_CORRUPT, "'%s' is not an airtime study manifest (edited?)",
			 what);
}

/* A whole small file; NULL with errno when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (!f)
		return NULL;
	do {
		XGROW(buf, n + 4096 + 1, cap);
		got = fread(buf + n, 1, 4096, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		int e = errno;

		fclose(f);
		free(buf);
		errno = e;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

int study_manifest_read(const char *dir, struct study_manifest *m, struct error *err)
{
	char *path = xasprintf("%s/%s", dir, STUDY_MANIFEST), *text;
	size_t len;
	int rc;

	memset(m, 0, sizeof(*m));
	text = slurp(path, &len);
	if (!text) {
		rc = errno == ENOENT
			? error_set(err, ERR_INPUT, "'%s' holds no study (no %s)", dir,
				    STUDY_MANIFEST)
			: error_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
		free(path);
		return rc;
	}
	rc = study_manifest_parse(m, text, len, path, err);
	free(text);
	free(path);
	return rc;
}

char *studydir_default_path(const char *base, const struct study_manifest *m)
{
	const char *slash = strrchr(m->scenario_name, '/');
	char *name = xstrdup(slash ? slash + 1 : m->scenario_name), *dot = strrchr(name, '.');
	char *text, *out, id[9];
	size_t len;

	if (dot && dot != name)
		*dot = '\0';
	for (char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			*p = '_';
	text = study_manifest_format(m, &len);
	rundir_make_id(text, m->kind, 0, id);
	out = xasprintf("%s/%s-%s-%s", base && *base ? base : ".", name, m->kind, id);
	free(text);
	free(name);
	return out;
}

/* ---- opening -------------------------------------------------------------- */

/* mkdir -p. */
static int make_dirs(const char *path, struct error *err)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *s = p + 1;; s++) {
		bool end = *s == '\0';

		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (*p && mkdir(p, 0777) != 0 && errno != EEXIST) {
			rc = error_set(err, ERR_INPUT, "cannot create directory '%s': %s", p,
				       strerror(errno));
			break;
		}
		if (end)
			break;
		*s = '/';
	}
	free(p);
	return rc;
}

/* What DIR holds, into *kind. */
enum holds { HOLDS_NOTHING, HOLDS_EMPTY, HOLDS_STUDY, HOLDS_OTHER };

static int inspect(const char *dir, enum holds *kind, struct error *err)
{
	struct stat sb;
	DIR *d;
	struct dirent *de;

	*kind = HOLDS_EMPTY;
	if (lstat(dir, &sb) != 0) {
		if (errno == ENOENT) {
			*kind = HOLDS_NOTHING;
			return 0;
		}
		return error_set(err, ERR_IO, "cannot use study directory '%s': %s", dir,
				 strerror(errno));
	}
	if (!S_ISDIR(sb.st_mode))
		return error_set(err, ERR_INPUT, "study directory '%s' exists and is not a directory",
				 dir);
	if (!(d = opendir(dir)))
		return error_set(err, ERR_IO, "cannot read study directory '%s': %s", dir,
				 strerror(errno));
	while ((de = readdir(d))) {
		/* the lock alone: a study killed before its manifest was written */
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, STUDY_LOCK))
			continue;
		if (!strcmp(de->d_name, STUDY_MANIFEST)) {
			*kind = HOLDS_STUDY;
			break;
		}
		*kind = HOLDS_OTHER;
	}
	closedir(d);
	return 0;
}

/* Hidden temporaries a killed process left: ".X.tmp-*" and ".X.tmp". */
static int clean_temporaries(struct studydir *sd, struct error *err)
{
	DIR *d = opendir(sd->path);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return error_set(err, ERR_IO, "cannot read study directory '%s': %s", sd->path,
				 strerror(errno));
	while (rc == 0 && (de = readdir(d))) {
		const char *t;
		char *path;

		if (de->d_name[0] != '.' || !(t = strstr(de->d_name, ".tmp")) ||
		    (t[4] != '\0' && t[4] != '-'))
			continue;
		path = xasprintf("%s/%s", sd->path, de->d_name);
		rc = rundir_remove_tree(path, err);
		free(path);
	}
	closedir(d);
	return rc;
}

static int take_lock(struct studydir *sd, struct error *err)
{
	char *path = studydir_file(sd, STUDY_LOCK), holder[512] = "", host[256], line[400];
	ssize_t n;
	int rc = 0;

	sd->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (sd->lock_fd < 0) {
		rc = error_set(err, ERR_IO, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	if (flock(sd->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		n = pread(sd->lock_fd, holder, sizeof(holder) - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		close(sd->lock_fd);
		sd->lock_fd = -1;
		rc = e == EWOULDBLOCK
			? error_set(err, ERR_INPUT, "study '%s' is being run by another process "
				    "(pid and host: %s)", sd->path, *holder ? holder : "unknown")
			: error_set(err, ERR_IO, "cannot lock '%s': %s", path, strerror(e));
		goto out;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(line, sizeof(line), "%ld %s\n", (long)getpid(), host);
	if (ftruncate(sd->lock_fd, 0) != 0 ||
	    pwrite(sd->lock_fd, line, strlen(line), 0) != (ssize_t)strlen(line))
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
out:
	free(path);
	return rc;
}

/* fsync a file or directory by path; best effort for directories. */
static int sync_path(const char *path, bool dir, struct error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));

	if (fd < 0)
		return dir ? 0 : error_set(err, ERR_IO, "cannot sync '%s': %s", path,
					   strerror(errno));
	if (fsync(fd) != 0 && !dir) {
		int e = errno;

		close(fd);
		return error_set(err, ERR_IO, "cannot sync '%s': %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

/* The first line where two manifests differ, for the refusal. */
static void first_difference(const char *a, const char *b, char *out, size_t cap)
{
	while (*a && *a == *b) {
		const char *na = strchr(a, '\n'), *nb = strchr(b, '\n');

		if (!na || !nb || na - a != nb - b || memcmp(a, b, (size_t)(na - a)))
			break;
		a = na + 1;
		b = nb + 1;
	}
	snprintf(out, cap, "'%.*s' here, '%.*s' in the directory", (int)strcspn(b, "\n"), b,
		 (int)strcspn(a, "\n"), a);
}

int studydir_open(struct studydir **out, const char *dir, const struct study_manifest *m,
		  struct error *err)
{
	struct studydir *sd = xcalloc(1, sizeof(*sd));
	char *want = NULL, *have = NULL, *path = NULL;
	size_t want_len, have_len;
	enum holds kind;
	int rc;

	*out = NULL;
	sd->lock_fd = -1;
	sd->path = xstrdup(dir);
	for (size_t i = 0; i <= m->n_sets + m->n_grid; i++) {
		const char *s = i < m->n_sets ? m->sets[i]
			: i < m->n_sets + m->n_grid ? m->grid[i - m->n_sets] : m->scenario_name;

		if (strchr(s, '\n')) {
			rc = error_set(err, ERR_INPUT, "a study's settings cannot hold a newline");
			goto fail;
		}
	}
	if (!*dir) {
		rc = error_set(err, ERR_INPUT, "empty study directory name");
		goto fail;
	}
	want = study_manifest_format(m, &want_len);
	/* Refuse what is not ours before touching it. */
	if ((rc = inspect(dir, &kind, err)) < 0)
		goto fail;
	if (kind == HOLDS_OTHER) {
		rc = error_set(err, ERR_INPUT,
			       "output directory '%s' exists, is not empty and holds no study", dir);
		goto fail;
	}
	if (kind == HOLDS_NOTHING && (rc = make_dirs(dir, err)) < 0)
		goto fail;
	if ((rc = take_lock(sd, err)) < 0)
		goto fail;
	/* Under the lock, look again: another process may have begun it. */
	if ((rc = inspect(dir, &kind, err)) < 0)
		goto fail;
	path = studydir_file(sd, STUDY_MANIFEST);
	if (kind == HOLDS_STUDY) {
		if (!(have = slurp(path, &have_len))) {
			rc = error_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
			goto fail;
		}
		if (have_len != want_len || memcmp(have, want, want_len)) {
			char diff[600];
			struct study_manifest other;
			struct error perr;

			if (study_manifest_parse(&other, have, have_len, path, &perr) < 0) {
				rc = error_set(err, ERR_INPUT, "%s", perr.msg);
				goto fail;
			}
			study_manifest_release(&other);
			first_difference(have, want, diff, sizeof(diff));
			rc = error_set(err, ERR_INPUT,
				       "'%s' holds another study (%s); resume it with --resume '%s' "
				       "or choose another --out", dir, diff, dir);
			goto fail;
		}
		sd->resumed = true;
		if ((rc = clean_temporaries(sd, err)) < 0)
			goto fail;
	} else if (kind == HOLDS_OTHER) {
		rc = error_set(err, ERR_INPUT,
			       "output directory '%s' exists, is not empty and holds no study", dir);
		goto fail;
	}
	{
		char *jpath = studydir_file(sd, STUDY_JOURNAL);

		rc = db_open(&sd->journal, jpath, DB_CREATE, err);
		free(jpath);
		if (rc < 0 || (rc = db_set_durable(sd->journal, true, err)) < 0 ||
		    (rc = db_schema_apply(sd->journal, &journal_schema, err)) < 0)
			goto fail;
	}
	if ((rc = studydir_write_file(sd, "scenario.ini", m->scenario_text,
				      strlen(m->scenario_text), err)) < 0)
		goto fail;
	/* The manifest last: a directory holding one is a study. */
	if (!sd->resumed && (rc = studydir_write_file(sd, STUDY_MANIFEST, want, want_len, err)) < 0)
		goto fail;
	free(want);
	free(have);
	free(path);
	*out = sd;
	return 0;
fail:
	free(want);
	free(have);
	free(path);
	studydir_close(sd);
	return rc;
}

void studydir_close(struct studydir *sd)
{
	if (!sd)
		return;
	db_close(sd->journal);
	if (sd->lock_fd >= 0)
		close(sd->lock_fd); /* releases the flock */
	free(sd->path);
	free(sd);
}

const char *studydir_path(const struct studydir *sd)
{
	return sd->path;
}

bool studydir_resumed(const struct studydir *sd)
{
	return sd->resumed;
}

char *studydir_file(const struct studydir *sd, const char *rel)
{
	return xasprintf("%s/%s", sd->path, rel);
}

/* ---- the journal -------------------------------------------------------------- */

static void utc_now(char *buf, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int studydir_store(struct studydir *sd, const struct studydir_cell *c,
		   const struct studydir_attempt *a, struct error *err)
{
	sqlite3_stmt *cell = NULL, *att = NULL;
	const char *status = c->done ? "done" : "failed";
	char when[32];
	int rc;

	utc_now(when, sizeof(when));
	if ((rc = db_begin(sd->journal, err)) < 0)
		return rc;
	if ((rc = db_prepare(sd->journal, &cell,
			     "INSERT OR REPLACE INTO study_cells VALUES (?,?,?,?,?)",
			     "storing a cell", err)) < 0 ||
	    (rc = db_prepare(sd->journal, &att,
			     "INSERT INTO study_attempts (cell, status, worker, host, pid, "
			     "run_seconds, transfer_seconds, stored_utc) VALUES (?,?,?,?,?,?,?,?)",
			     "storing an attempt", err)) < 0)
		goto rollback;
	db_bind_int64(sd->journal, cell, 1, (int64_t)c->cell);
	db_bind_text(sd->journal, cell, 2, c->name);
	db_bind_text(sd->journal, cell, 3, status);
	db_bind_text(sd->journal, cell, 4, c->done ? "" : c->error);
	db_bind_blob(sd->journal, cell, 5, c->done ? c->summary : NULL, c->done ? c->len : 0);
	if ((rc = db_step_done(sd->journal, cell, "storing a cell", err)) < 0)
		goto rollback;
	db_bind_int64(sd->journal, att, 1, (int64_t)c->cell);
	db_bind_text(sd->journal, att, 2, status);
	db_bind_text(sd->journal, att, 3, a->worker);
	db_bind_text(sd->journal, att, 4, a->host);
	db_bind_int64(sd->journal, att, 5, a->pid);
	db_bind_double_or_null(sd->journal, att, 6, a->run_s);
	db_bind_double_or_null(sd->journal, att, 7, a->transfer_s);
	db_bind_text(sd->journal, att, 8, when);
	if ((rc = db_step_done(sd->journal, att, "storing an attempt", err)) < 0)
		goto rollback;
	db_finalize(cell);
	db_finalize(att);
	return db_commit(sd->journal, err);
rollback:
	db_finalize(cell);
	db_finalize(att);
	db_rollback(sd->journal);
	return rc;
}

static int each_cell(struct db *db, int (*fn)(void *ctx, const struct studydir_cell *c),
		     void *ctx, struct error *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_prepare(db, &st, "SELECT cell, name, status, error, summary FROM study_cells "
			     "ORDER BY cell", "reading the stored cells", err)) < 0)
		return rc;
	while ((rc = db_step(db, st, "reading the stored cells", err)) == 1) {
		struct studydir_cell c = {
			.cell = (size_t)sqlite3_column_int64(st, 0),
			.name = db_column_text(st, 1),
			.done = !strcmp(db_column_text(st, 2), "done"),
			.error = db_column_text(st, 3),
			.summary = sqlite3_column_blob(st, 4),
			.len = (size_t)sqlite3_column_bytes(st, 4),
		};

		if ((rc = fn(ctx, &c)) < 0)
			break;
	}
	db_finalize(st);
	return rc < 0 ? rc : 0;
}

int studydir_each_cell(struct studydir *sd,
		       int (*fn)(void *ctx, const struct studydir_cell *c), void *ctx,
		       struct error *err)
{
	return each_cell(sd->journal, fn, ctx, err);
}

struct counts {
	size_t done, failed;
};

static int count_one(void *ctx, const struct studydir_cell *c)
{
	struct counts *k = ctx;

	if (c->done)
		k->done++;
	else
		k->failed++;
	return 0;
}

int studydir_count(const char *dir, size_t *done, size_t *failed, struct error *err)
{
	char *path = xasprintf("%s/%s", dir, STUDY_JOURNAL);
	struct counts k = { 0, 0 };
	struct db *db;
	int rc;

	*done = *failed = 0;
	rc = db_open(&db, path, DB_READONLY, err);
	free(path);
	if (rc < 0)
		return rc;
	if ((rc = db_schema_apply(db, &journal_schema, err)) == 0 &&
	    (rc = each_cell(db, count_one, &k, err)) == 0) {
		*done = k.done;
		*failed = k.failed;
	}
	db_close(db);
	return rc;
}

/* ---- files ---------------------------------------------------------------------- */

int studydir_remove(struct studydir *sd, const char *rel, struct error *err)
{
	char *path = studydir_file(sd, rel);
	int rc = rundir_remove_tree(path, err);

	free(path);
	return rc;
}

char *studydir_temp(struct studydir *sd, const char *rel)
{
	char *tmp = xasprintf("%s/.%s.tmp", sd->path, rel);

	rundir_remove_tree(tmp, NULL);
	return tmp;
}

int studydir_publish(struct studydir *sd, const char *rel, struct error *err)
{
	char *tmp = xasprintf("%s/.%s.tmp", sd->path, rel), *final = studydir_file(sd, rel);
	int rc;

	if ((rc = sync_path(tmp, false, err)) == 0) {
		if (rename(tmp, final) != 0)
			rc = error_set(err, ERR_IO, "cannot rename '%s' to '%s': %s", tmp, final,
				       strerror(errno));
		else
			sync_path(sd->path, true, err);
	}
	free(tmp);
	free(final);
	return rc;
}

int studydir_write_file(struct studydir *sd, const char *rel, const void *data, size_t len,
			struct error *err)
{
	char *tmp = studydir_temp(sd, rel);
	FILE *f = fopen(tmp, "wb");
	int rc = 0;

	if (!f) {
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (len && fwrite(data, 1, len, f) != len)
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
	if (fclose(f) != 0 && rc == 0)
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
	if (rc == 0)
		rc = studydir_publish(sd, rel, err);
	if (rc < 0)
		unlink(tmp);
out:
	free(tmp);
	return rc;
}
