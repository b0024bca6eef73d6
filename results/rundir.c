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
#include <sys/file.h>
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
	int lock_fd;     /* RUNDIR_LOCK in tmp, flock'ed while we own it; -1 */
	char *notes;     /* stale directories found by rundir_begin; NULL: none */
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

/* Take the lock of temporary directory `dir` (creating its lock file when
 * `create`): the fd, or -1 when another live process holds it or it
 * cannot be opened.  The lock dies with its process, whatever kills it.
 * A new lock file is made under another name, locked, then renamed into
 * place (the lock is the inode's and survives the rename): a scan never
 * sees RUNDIR_LOCK unlocked between its creation and its flock, which
 * would have it take a starting run for a dead one (concurrent runs in one
 * parent: a sweep's cells). */
static int take_lock(const char *dir, bool create, bool claim)
{
	char *path = xasprintf("%s/%s", dir, RUNDIR_LOCK);
	char *fresh = create ? xasprintf("%s/%s.new", dir, RUNDIR_LOCK) : NULL;
	int fd = open(create ? fresh : path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0 && create && rename(fresh, path) != 0) {
		close(fd);
		unlink(fresh);
		fd = -1;
	}
	free(path);
	free(fresh);
	if (fd < 0)
		return -1;
	if (claim && ftruncate(fd, 0) == 0) {
		char pid[32];
		int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

		if (write(fd, pid, (size_t)n) != n) {
			/* the pid is informational; the lock is what counts */
		}
	}
	return fd;
}

/* The pid a lock file names (0 when unreadable). */
static long lock_pid(const char *dir)
{
	char *path = xasprintf("%s/%s", dir, RUNDIR_LOCK), buf[32];
	FILE *f = fopen(path, "r");
	long pid = 0;

	free(path);
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			pid = strtol(buf, NULL, 10);
		fclose(f);
	}
	return pid;
}

static bool is_temp_name(const char *name)
{
	return name[0] == '.' && strstr(name, ".tmp-") != NULL;
}

int rundir_stale_scan(const char *parent, char **notes)
{
	DIR *d = opendir(parent);
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *path, *ckpt, *line;
		struct stat sb;
		int fd;
		long pid;

		if (!is_temp_name(de->d_name))
			continue;
		path = xasprintf("%s/%s", parent, de->d_name);
		ckpt = xasprintf("%s/%s", path, RUNDIR_CHECKPOINT);
		pid = lock_pid(path);
		if (lstat(path, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
		    (fd = take_lock(path, false, false)) < 0) {
			/* a live run's (locked), or none of ours: left alone */
			free(ckpt);
			free(path);
			continue;
		}
		if (stat(ckpt, &sb) == 0)
			line = xasprintf("%s%sstale run directory '%s' of a dead run (pid %ld) has a "
					 "checkpoint: resume it with airtime run --resume %s",
					 *notes ? *notes : "", *notes ? "\n" : "", path, pid, path);
		else if (rundir_remove_tree(path, NULL) == 0)
			line = xasprintf("%s%sremoved stale run directory '%s' of a dead run (pid %ld)",
					 *notes ? *notes : "", *notes ? "\n" : "", path, pid);
		else
			line = xasprintf("%s%scannot remove stale run directory '%s'", *notes ? *notes
					 : "", *notes ? "\n" : "", path);
		close(fd);
		free(*notes);
		*notes = line;
		found++;
		free(ckpt);
		free(path);
	}
	closedir(d);
	return found;
}

int rundir_lock(const char *dir)
{
	return take_lock(dir, true, true);
}

const char *rundir_notes(const struct rundir *rd)
{
	return rd->notes;
}

/* The parent and stem of a temporary directory's path
 * (PARENT/.STEM.tmp-XXXXXX). */
static int split_temp(const char *path, char **parent, char **stem)
{
	char *last, *dot;

	split_path(path, parent, &last);
	dot = strstr(last, ".tmp-");
	if (last[0] != '.' || !dot || dot == last + 1) {
		free(last);
		free(*parent);
		*parent = NULL;
		return -1;
	}
	*stem = xasprintf("%.*s", (int)(dot - last - 1), last + 1);
	free(last);
	return 0;
}

int rundir_resume(struct rundir **out, const char *tmp, const struct rundir_spec *spec,
		  struct error *err)
{
	static const char *const keep[] = { RUNDIR_LOCK, RUNDIR_CHECKPOINT, "scenario.ini",
					    "overrides.txt", "seed" };
	struct rundir *rd = xcalloc(1, sizeof(*rd));
	struct dirent *de;
	DIR *d;
	int rc = 0;

	*out = NULL;
	rd->lock_fd = -1;
	rundir_make_id(spec->scenario_text, spec->overrides, spec->seed, rd->id);
	if (split_temp(tmp, &rd->parent, &rd->stem) < 0) {
		rc = error_set(err, ERR_INPUT, "'%s' is not the temporary directory of a run "
			       "(.NAME.tmp-XXXXXX)", tmp);
		goto out_free;
	}
	rd->explicit_out = !strstr(rd->stem, rd->id);
	if ((rd->lock_fd = take_lock(tmp, false, true)) < 0) {
		rc = error_set(err, ERR_INPUT, "cannot resume '%s': its run is still alive (pid "
			       "%ld holds its lock) or it has no lock file", tmp, lock_pid(tmp));
		goto out_free;
	}
	rd->tmp = xstrdup(tmp);
	/* Everything the killed run wrote but its inputs and checkpoints goes:
	 * the run is replayed from its start into the same directory. */
	if (!(d = opendir(tmp))) {
		rc = error_set(err, ERR_IO, "cannot read '%s': %s", tmp, strerror(errno));
		goto out_free;
	}
	while ((de = readdir(d)) && rc == 0) {
		bool kept = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
		char *p;

		for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			kept |= !strcmp(de->d_name, keep[i]);
		if (kept)
			continue;
		p = xasprintf("%s/%s", tmp, de->d_name);
		rc = rundir_remove_tree(p, err);
		free(p);
	}
	closedir(d);
	if (rc < 0)
		goto out_free;
	*out = rd;
	return 0;
out_free:
	rundir_free(rd);
	return rc;
}

int rundir_begin(struct rundir **out, const struct rundir_spec *spec, struct error *err)
{
	struct rundir *rd;
	char *tmpl;
	int rc;

	*out = NULL;
	rd = xcalloc(1, sizeof(*rd));
	rd->lock_fd = -1;
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
	rundir_stale_scan(rd->parent, &rd->notes);
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
	if ((rd->lock_fd = take_lock(tmpl, true, true)) < 0) {
		rc = error_set(err, ERR_IO, "cannot lock '%s/%s': %s", tmpl, RUNDIR_LOCK,
			       strerror(errno));
		goto out_free;
	}
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
	if (rd->lock_fd >= 0)
		close(rd->lock_fd);
	free(rd->tmp);
	free(rd->notes);
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
	/* Checkpoints and the lock are the temporary directory's, not the
	 * run's: gone before the rename (the lock fd stays held until free). */
	{
		char *p = rundir_file(rd, RUNDIR_CHECKPOINT);

		if ((rc = rundir_remove_tree(p, err)) < 0) {
			free(p);
			return rc;
		}
		free(p);
		p = rundir_file(rd, RUNDIR_LOCK);
		unlink(p);
		free(p);
	}
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
