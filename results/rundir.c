/* Run directories built aside and renamed into place; see rundir.h. */
#define _GNU_SOURCE /* renameat2(RENAME_NOREPLACE) */
#include "results/rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"

struct rundir {
	char id[9];
	char *parent;    /* directory holding the temporary and the final one */
	char *stem;      /* final name without collision suffix: NAME-<id>, or --out's basename */
	bool explicit_out;
	char *tmp;       /* the temporary directory, NULL once committed */
	char *final;     /* set at commit */
};

/* FNV-1a over length-prefixed fields, so ("ab","c") and ("a","bc") differ. */
static uint64_t fnv_bytes(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t fnv_field(uint64_t h, const char *s)
{
	uint64_t len = s ? strlen(s) : 0;
	unsigned char lenbuf[8];

	for (int i = 0; i < 8; i++)
		lenbuf[i] = (unsigned char)(len >> (8 * i));
	h = fnv_bytes(h, lenbuf, sizeof(lenbuf));
	return fnv_bytes(h, s ? s : "", (size_t)len);
}

void rundir_make_id(const char *scenario_text, const char *overrides, uint64_t seed,
		    char buf[9])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned char seedbuf[8];

	h = fnv_field(h, scenario_text);
	h = fnv_field(h, overrides);
	for (int i = 0; i < 8; i++)
		seedbuf[i] = (unsigned char)(seed >> (8 * i));
	h = fnv_bytes(h, seedbuf, sizeof(seedbuf));
	/* Fold the high half in: FNV's low bits mix less well. */
	snprintf(buf, 9, "%08x", (unsigned)((h >> 32) ^ (h & 0xffffffffu)));
}

/* mkdir -p; ERR_IO naming the first directory that could not be made. */
static int make_parents(const char *path, struct error *err)
{
	char *p = xstrdup(path);
	struct stat sb;
	int rc = 0;

	for (char *s = p + 1;; s++) {
		bool end = *s == '\0';

		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			rc = error_set(err, ERR_IO, "cannot create directory '%s': %s", p,
				       strerror(errno));
			break;
		}
		if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			rc = error_set(err, ERR_IO, "cannot create directory '%s': %s", p,
				       "a file of that name exists");
			break;
		}
		if (end)
			break;
		*s = '/';
	}
	free(p);
	return rc;
}

/* Split a path into parent directory and last component, dropping
 * trailing slashes.  Both are new strings. */
static void split_path(const char *path, char **parent, char **last)
{
	char *p = xstrdup(path), *slash;
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	slash = strrchr(p, '/');
	if (!slash) {
		*parent = xstrdup(".");
		*last = p;
		return;
	}
	*last = xstrdup(slash + 1);
	if (slash == p)
		slash[1] = '\0';
	else
		*slash = '\0';
	*parent = p;
}

/* 1 when `path` is a directory with entries, 0 when empty or missing,
 * ERR_INPUT when it is something else. */
static int check_out_dir(const char *path, struct error *err)
{
	struct stat sb;
	struct dirent *de;
	DIR *d;
	int full = 0;

	if (lstat(path, &sb) != 0) {
		if (errno == ENOENT)
			return 0;
		return error_set(err, ERR_IO, "cannot use output directory '%s': %s", path,
				 strerror(errno));
	}
	if (!S_ISDIR(sb.st_mode))
		return error_set(err, ERR_INPUT,
				 "output directory '%s' exists and is not a directory", path);
	d = opendir(path);
	if (!d)
		return error_set(err, ERR_IO, "cannot read output directory '%s': %s", path,
				 strerror(errno));
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			full = 1;
			break;
		}
	closedir(d);
	return full;
}

static bool exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* The final path for collision number k (1 = no suffix). */
static char *candidate(const struct rundir *rd, int k)
{
	if (k == 1)
		return xasprintf("%s/%s", rd->parent, rd->stem);
	return xasprintf("%s/%s-%d", rd->parent, rd->stem, k);
}

int rundir_begin(struct rundir **out, const struct rundir_spec *spec, struct error *err)
{
	struct rundir *rd;
	char *tmpl;
	int rc;

	*out = NULL;
	rd = xcalloc(1, sizeof(*rd));
	rundir_make_id(spec->scenario_text, spec->overrides, spec->seed, rd->id);
	if (spec->out) {
		if (!*spec->out) {
			rc = error_set(err, ERR_INPUT, "empty output directory name");
			goto out_free;
		}
		rc = check_out_dir(spec->out, err);
		if (rc < 0)
			goto out_free;
		if (rc > 0) {
			rc = error_set(err, ERR_INPUT,
				       "output directory '%s' exists and is not empty", spec->out);
			goto out_free;
		}
		split_path(spec->out, &rd->parent, &rd->stem);
		if (!strcmp(rd->stem, ".") || !strcmp(rd->stem, "..") || !strcmp(rd->stem, "/")) {
			rc = error_set(err, ERR_INPUT,
				       "output directory '%s' must name a new directory",
				       spec->out);
			goto out_free;
		}
		rd->explicit_out = true;
	} else {
		if (!spec->name || !*spec->name || strchr(spec->name, '/') ||
		    spec->name[0] == '.') {
			rc = error_set(err, ERR_INPUT, "bad run name '%s' (no '/', no leading '.')",
				       spec->name ? spec->name : "");
			goto out_free;
		}
		rd->parent = xstrdup(spec->base && *spec->base ? spec->base : ".");
		rd->stem = xasprintf("%s-%s", spec->name, rd->id);
	}
	rc = make_parents(rd->parent, err);
	if (rc < 0)
		goto out_free;
	tmpl = xasprintf("%s/.%s.tmp-XXXXXX", rd->parent, rd->stem);
	if (!mkdtemp(tmpl)) {
		rc = error_set(err, ERR_IO, "cannot create a run directory in '%s': %s",
			       rd->parent, strerror(errno));
		free(tmpl);
		goto out_free;
	}
	/* mkdtemp makes the directory private (0700); a published run is an
	 * ordinary directory, so give it the mode mkdir would under the umask. */
	{
		mode_t mask = umask(0);

		umask(mask);
		chmod(tmpl, 0777 & ~mask);
	}
	rd->tmp = tmpl;
	*out = rd;
	return 0;

out_free:
	rundir_free(rd);
	return rc;
}

/* Remove the entries of the open directory `dfd`, then nothing else. */
static int remove_entries(int dfd, const char *path, struct error *err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(dfd);
		return error_set(err, ERR_IO, "cannot read directory '%s': %s", path,
				 strerror(errno));
	}
	while (rc == 0 && (de = readdir(d))) {
		struct stat sb;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = error_set(err, ERR_IO, "cannot remove '%s/%s': %s", path,
				       de->d_name, strerror(errno));
			break;
		}
		if (S_ISDIR(sb.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			char *subpath = xasprintf("%s/%s", path, de->d_name);

			if (sub < 0)
				rc = error_set(err, ERR_IO, "cannot remove '%s': %s", subpath,
					       strerror(errno));
			else
				rc = remove_entries(sub, subpath, err);
			free(subpath);
			if (rc == 0 && unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) != 0)
				rc = error_set(err, ERR_IO, "cannot remove '%s/%s': %s", path,
					       de->d_name, strerror(errno));
		} else if (unlinkat(dirfd(d), de->d_name, 0) != 0) {
			rc = error_set(err, ERR_IO, "cannot remove '%s/%s': %s", path,
				       de->d_name, strerror(errno));
		}
	}
	closedir(d);
	return rc;
}

int rundir_remove_tree(const char *path, struct error *err)
{
	struct stat sb;
	int dfd, rc;

	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? 0
			: error_set(err, ERR_IO, "cannot remove '%s': %s", path, strerror(errno));
	if (!S_ISDIR(sb.st_mode)) {
		if (unlink(path) != 0)
			return error_set(err, ERR_IO, "cannot remove '%s': %s", path,
					 strerror(errno));
		return 0;
	}
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return error_set(err, ERR_IO, "cannot remove '%s': %s", path, strerror(errno));
	rc = remove_entries(dfd, path, err);
	if (rc == 0 && rmdir(path) != 0)
		rc = error_set(err, ERR_IO, "cannot remove '%s': %s", path, strerror(errno));
	return rc;
}

void rundir_free(struct rundir *rd)
{
	if (!rd)
		return;
	/* Best effort: a failed run's error is already being reported, and a
	 * leftover is hidden (.NAME.tmp-*), never a partial run directory. */
	if (rd->tmp)
		rundir_remove_tree(rd->tmp, NULL);
	free(rd->tmp);
	free(rd->final);
	free(rd->parent);
	free(rd->stem);
	free(rd);
}

const char *rundir_id(const struct rundir *rd)
{
	return rd->id;
}

const char *rundir_path(const struct rundir *rd)
{
	return rd->tmp ? rd->tmp : rd->final;
}

char *rundir_file(const struct rundir *rd, const char *rel)
{
	return xasprintf("%s/%s", rundir_path(rd), rel);
}

int rundir_mkdir(struct rundir *rd, const char *rel, struct error *err)
{
	char *path = rundir_file(rd, rel);
	int rc = 0;

	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		rc = error_set(err, ERR_IO, "cannot create directory '%s': %s", path,
			       strerror(errno));
	free(path);
	return rc;
}

int rundir_write_file(struct rundir *rd, const char *rel, const void *data, size_t len,
		      struct error *err)
{
	char *path = rundir_file(rd, rel);
	FILE *f;
	int rc = 0;

	f = fopen(path, "wb");
	if (!f) {
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	if (len && fwrite(data, 1, len, f) != len)
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	if (fclose(f) != 0 && rc == 0)
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	if (rc < 0)
		unlink(path);
out:
	free(path);
	return rc;
}

/* rename that never replaces an existing entry; EEXIST when taken. */
static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: check, then rename.  The
	 * window is harmless: rename onto a non-empty directory fails. */
	if (exists(to)) {
		errno = EEXIST;
		return -1;
	}
	return rename(from, to);
}

/* fsync every file and directory under the open directory `dfd` (closed
 * here), so that what the rename publishes is on disk: the databases inside
 * run with synchronous=OFF (common/db.h) and rely on this. */
static int sync_tree(int dfd, const char *path, struct error *err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(dfd);
		return error_set(err, ERR_IO, "cannot read directory '%s': %s", path,
				 strerror(errno));
	}
	while (rc == 0 && (de = readdir(d))) {
		struct stat sb;
		char *sub;
		int fd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !(S_ISDIR(sb.st_mode) || S_ISREG(sb.st_mode)))
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		fd = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(sb.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0)
			rc = error_set(err, ERR_IO, "cannot sync '%s': %s", sub, strerror(errno));
		else if (S_ISDIR(sb.st_mode))
			rc = sync_tree(fd, sub, err);
		else {
			if (fsync(fd) != 0)
				rc = error_set(err, ERR_IO, "cannot sync '%s': %s", sub,
					       strerror(errno));
			close(fd);
		}
		free(sub);
	}
	if (rc == 0 && fsync(dirfd(d)) != 0)
		rc = error_set(err, ERR_IO, "cannot sync '%s': %s", path, strerror(errno));
	closedir(d);
	return rc;
}

/* Make the rename durable: fsync the parent directory. */
static void sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int rundir_commit(struct rundir *rd, struct error *err)
{
	char *to;

	int rc, dfd;

	ASSERT(rd->tmp);
	dfd = open(rd->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return error_set(err, ERR_IO, "cannot sync '%s': %s", rd->tmp, strerror(errno));
	rc = sync_tree(dfd, rd->tmp, err);
	if (rc < 0)
		return rc;
	if (rd->explicit_out) {
		to = candidate(rd, 1);
		/* Plain rename: it may replace --out when that is an empty
		 * directory (checked at begin), and fails if it filled up. */
		if (rename(rd->tmp, to) != 0) {
			int e = errno;

			rc = error_set(err, e == ENOTEMPTY || e == EEXIST ? ERR_INPUT : ERR_IO,
				       "cannot move the run into '%s': %s", to,
				       e == ENOTEMPTY || e == EEXIST
				       ? "it exists and is not empty" : strerror(e));
			free(to);
			return rc;
		}
	} else {
		for (int k = 1;; k++) {
			to = candidate(rd, k);
			if (rename_noreplace(rd->tmp, to) == 0)
				break;
			if ((errno != EEXIST && errno != ENOTEMPTY) || k >= 10000) {
				rc = error_set(err, ERR_IO, "cannot move the run into '%s': %s",
					       to, strerror(errno));
				free(to);
				return rc;
			}
			free(to);
		}
	}
	sync_dir(rd->parent);
	free(rd->tmp);
	rd->tmp = NULL;
	rd->final = to;
	return 0;
}

/* ---- reading a committed run directory back ---- */

/* A whole small file into a new NUL-terminated string. */
static char *read_text(const char *path, struct error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f)
		return error_set(err, ERR_IO, "cannot open '%s': %s", path, strerror(errno)), NULL;
	do {
		XGROW(buf, len + 4096 + 1, cap);
		got = fread(buf + len, 1, 4096, f);
		len += got;
	} while (got > 0);
	if (ferror(f)) {
		error_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* One "section.key=value" a line, empty lines skipped; the lines point
 * into text. */
static size_t split_lines(char *text, const char ***out)
{
	size_t n = 0, cap = 0;

	*out = NULL;
	for (char *p = text; *p;) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		if (*p) {
			XGROW(*out, n + 1, cap);
			(*out)[n++] = p;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}

struct scenario *rundir_load_scenario(const char *dir, struct error *err)
{
	char *ini_path = xasprintf("%s/scenario.ini", dir);
	char *ovr_path = xasprintf("%s/overrides.txt", dir);
	char *seed_path = xasprintf("%s/seed", dir);
	char *ini = NULL, *ovr = NULL, *seed_text = NULL, *end;
	const char **lines = NULL;
	struct scenario *sc = NULL;
	struct config *cfg = NULL;
	unsigned long long seed;
	size_t n;

	if (!(ini = read_text(ini_path, err)) || !(ovr = read_text(ovr_path, err)) ||
	    !(seed_text = read_text(seed_path, err)))
		goto out;
	n = split_lines(ovr, &lines);
	if (!(sc = scenario_parse(&config_schema, ini, ini_path, lines, n, err)))
		goto out;
	cfg = xmalloc(sizeof(*cfg));
	config_fill(cfg, sc);
	errno = 0;
	seed = strtoull(seed_text, &end, 10);
	if (errno || end == seed_text || (*end && *end != '\n') || seed != cfg->run.seed) {
		error_set(err, ERR_CORRUPT, "'%s' does not match the scenario's seed %lld: "
			  "the run directory was edited", seed_path, (long long)cfg->run.seed);
		scenario_free(sc);
		sc = NULL;
	}
out:
	free(cfg);
	free(lines);
	free(ini);
	free(ovr);
	free(seed_text);
	free(ini_path);
	free(ovr_path);
	free(seed_path);
	return sc;
}
