/* Data lake partitions and manifest; see lake.h. */
#include "engine/lake.h"

#include "common/units.h"
#include "common/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char lake_magic[8] = { 'A', 'I', 'R', 'T', 'L', 'A', 'K', 'E' };

struct lake_part {
	char *path;          /* relative to lk->dir */
	simtime hour;
	uint64_t count;
	simtime min_emit, max_emit;
	uint64_t checksum;
};

struct lake {
	char *dir;
	char *manifest;
	int64_t epoch_day;
	struct lake_part *parts;
	size_t n_parts, cap_parts;
	/* next part number per hour: parts of one hour are contiguous in the
	 * manifest (the firehose delivers hours in order), so the last hour
	 * written and its counter are enough */
	simtime last_hour;
	uint32_t last_hour_next;
	unsigned char *buf;  /* read/write buffer, reused */
	size_t buf_cap;
};

/* ---- XXH64 (Yann Collet's xxHash, 64-bit variant) ---- */

static const uint64_t P1 = 11400714785074694791ULL, P2 = 14029467366897019727ULL,
		      P3 = 1609587929392839161ULL, P4 = 9650029242287828579ULL,
		      P5 = 2870177450012600261ULL;

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t rd64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint32_t rd32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t xround(uint64_t acc, uint64_t in)
{
	acc += in * P2;
	acc = rotl64(acc, 31);
	return acc * P1;
}
static inline uint64_t xmerge(uint64_t acc, uint64_t v)
{
	acc ^= xround(0, v);
	return acc * P1 + P4;
}

uint64_t lake_xxh64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data, *end = p + len;
	uint64_t h;

	if (len >= 32) {
		const unsigned char *limit = end - 32;
		uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;

		do {
			v1 = xround(v1, rd64(p));
			v2 = xround(v2, rd64(p + 8));
			v3 = xround(v3, rd64(p + 16));
			v4 = xround(v4, rd64(p + 24));
			p += 32;
		} while (p <= limit);
		h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
		h = xmerge(h, v1);
		h = xmerge(h, v2);
		h = xmerge(h, v3);
		h = xmerge(h, v4);
	} else {
		h = seed + P5;
	}
	h += (uint64_t)len;
	while (p + 8 <= end) {
		h ^= xround(0, rd64(p));
		h = rotl64(h, 27) * P1 + P4;
		p += 8;
	}
	if (p + 4 <= end) {
		h ^= (uint64_t)rd32(p) * P1;
		h = rotl64(h, 23) * P2 + P3;
		p += 4;
	}
	while (p < end) {
		h ^= (*p) * P5;
		h = rotl64(h, 11) * P1;
		p++;
	}
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

/* ---- dates ---- */

void lake_format_date(int64_t day, char *buf, size_t len)
{
	int64_t y;
	unsigned m, d;

	units_civil_from_days(day, &y, &m, &d);
	snprintf(buf, len, "%04" PRId64 "-%02u-%02u", y, m, d);
}

/* ---- helpers ---- */

static int mkdir_p(const char *path, struct error *err)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST) {
				rc = error_set(err, ERR_IO, "cannot create directory '%s': %s", p,
					       strerror(errno));
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void buf_reserve(struct lake *lk, size_t n)
{
	if (n > lk->buf_cap) {
		free(lk->buf);
		lk->buf_cap = n + n / 4;
		lk->buf = xmalloc(lk->buf_cap);
	}
}

static void part_push(struct lake *lk, const struct lake_part *p)
{
	XGROW(lk->parts, lk->n_parts + 1, lk->cap_parts);
	lk->parts[lk->n_parts++] = *p;
	if (p->hour != lk->last_hour) {
		lk->last_hour = p->hour;
		lk->last_hour_next = 0;
	}
	lk->last_hour_next++;
}

static int parse_i64(const char *s, int base, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, base);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

static int manifest_read(struct lake *lk, struct error *err)
{
	FILE *f = fopen(lk->manifest, "r");
	char line[1024];
	int lineno = 0, rc = 0;

	if (!f) {
		if (errno == ENOENT)
			return 0;
		return error_set(err, ERR_IO, "cannot open lake manifest '%s': %s", lk->manifest,
				 strerror(errno));
	}
	while (fgets(line, sizeof(line), f)) {
		char *field[6], *save = line;
		size_t len = strlen(line);
		int64_t v[5];
		int nf = 0;

		lineno++;
		if (len == 0 || line[len - 1] != '\n') {
			rc = error_set(err, ERR_CORRUPT, "%s:%d: truncated manifest line",
				       lk->manifest, lineno);
			break;
		}
		line[len - 1] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (char *t = save; nf < 6; nf++) {
			field[nf] = t;
			t = strchr(t, '\t');
			if (!t) {
				nf++;
				break;
			}
			*t++ = '\0';
		}
		if (nf != 6 || parse_i64(field[1], 10, &v[0]) || parse_i64(field[2], 10, &v[1]) ||
		    parse_i64(field[3], 10, &v[2]) || parse_i64(field[4], 10, &v[3]) ||
		    strlen(field[5]) != 16) {
			rc = error_set(err, ERR_CORRUPT,
				       "%s:%d: malformed manifest line (expected path, hour, count, min, max, checksum)",
				       lk->manifest, lineno);
			break;
		}
		{
			char *end;
			struct lake_part p;

			errno = 0;
			p.checksum = strtoull(field[5], &end, 16);
			if (errno || *end) {
				rc = error_set(err, ERR_CORRUPT, "%s:%d: bad checksum '%s'",
					       lk->manifest, lineno, field[5]);
				break;
			}
			p.path = xstrdup(field[0]);
			p.hour = v[0];
			p.count = (uint64_t)v[1];
			p.min_emit = v[2];
			p.max_emit = v[3];
			part_push(lk, &p);
		}
	}
	if (!rc && ferror(f))
		rc = error_set(err, ERR_IO, "cannot read lake manifest '%s'", lk->manifest);
	fclose(f);
	return rc;
}

struct lake *lake_open(const char *run_dir, int64_t epoch_day, struct error *err)
{
	struct lake *lk = xcalloc(1, sizeof(*lk));

	lk->dir = xasprintf("%s/lake", run_dir);
	lk->manifest = xasprintf("%s/manifest.tsv", lk->dir);
	lk->epoch_day = epoch_day;
	lk->last_hour = INT64_MIN;
	if (mkdir_p(lk->dir, err) || manifest_read(lk, err)) {
		lake_free(lk);
		return NULL;
	}
	return lk;
}

void lake_free(struct lake *lk)
{
	if (!lk)
		return;
	for (size_t i = 0; i < lk->n_parts; i++)
		free(lk->parts[i].path);
	free(lk->parts);
	free(lk->buf);
	free(lk->dir);
	free(lk->manifest);
	free(lk);
}

size_t lake_partition_count(const struct lake *lk) { return lk->n_parts; }
const char *lake_partition_path(const struct lake *lk, size_t i)
{
	ASSERT(i < lk->n_parts);
	return lk->parts[i].path;
}
const char *lake_dir(const struct lake *lk) { return lk->dir; }

/* ---- writing ---- */

static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }

int lake_write(struct lake *lk, simtime hour, const struct event *evs, size_t n,
	       struct error *err)
{
	char date[16], *rel = NULL, *dir = NULL, *path = NULL, *tmp = NULL, *line = NULL;
	size_t size = LAKE_HEADER_SIZE + n * sizeof(struct event) + LAKE_TRAILER_SIZE;
	struct lake_part p;
	simtime mn = SIMTIME_NEVER, mx = INT64_MIN, day;
	uint32_t part_no;
	int hod;
	int fd, rc = 0;
	uint64_t h;

	ASSERT(n > 0 && hour % SIMTIME_HOUR == 0);
	ASSERT(lk->n_parts == 0 || hour >= lk->last_hour);
	/* floor division: the history phase writes hours before time 0 */
	day = hour >= 0 ? hour / SIMTIME_DAY : -((-hour + SIMTIME_DAY - 1) / SIMTIME_DAY);
	hod = (int)((hour - day * SIMTIME_DAY) / SIMTIME_HOUR);
	part_no = hour == lk->last_hour ? lk->last_hour_next : 0;
	lake_format_date(lk->epoch_day + day, date, sizeof(date));
	rel = xasprintf("day=%s/hour=%02d/part-%05" PRIu32 ".evl", date, hod, part_no);
	dir = xasprintf("%s/day=%s/hour=%02d", lk->dir, date, hod);
	path = xasprintf("%s/%s", lk->dir, rel);
	tmp = xasprintf("%s.tmp", path);
	if ((rc = mkdir_p(dir, err)))
		goto out;

	for (size_t i = 0; i < n; i++) {
		if (evs[i].emit_time < mn)
			mn = evs[i].emit_time;
		if (evs[i].emit_time > mx)
			mx = evs[i].emit_time;
	}
	buf_reserve(lk, size);
	memcpy(lk->buf, lake_magic, 8);
	put32(lk->buf + 8, LAKE_FORMAT_VERSION);
	put32(lk->buf + 12, (uint32_t)sizeof(struct event));
	put64(lk->buf + 16, (uint64_t)n);
	put64(lk->buf + 24, (uint64_t)mn);
	put64(lk->buf + 32, (uint64_t)mx);
	put64(lk->buf + 40, 0);
	memcpy(lk->buf + LAKE_HEADER_SIZE, evs, n * sizeof(struct event));
	h = lake_xxh64(lk->buf, size - LAKE_TRAILER_SIZE, 0);
	put64(lk->buf + size - LAKE_TRAILER_SIZE, h);

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0) {
		rc = error_set(err, ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, lk->buf, size) != 0) {
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		goto out_tmp;
	}
	if (close(fd) != 0) {
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		goto out_tmp;
	}
	if (rename(tmp, path) != 0) {
		rc = error_set(err, ERR_IO, "cannot rename '%s' into place: %s", tmp,
			       strerror(errno));
		goto out_tmp;
	}

	line = xasprintf("%s\t%" PRId64 "\t%zu\t%" PRId64 "\t%" PRId64 "\t%016" PRIx64 "\n", rel,
			 hour, n, mn, mx, h);
	fd = open(lk->manifest, O_WRONLY | O_CREAT | O_APPEND, 0666);
	if (fd < 0 || write_all(fd, line, strlen(line)) != 0) {
		rc = error_set(err, ERR_IO, "cannot append to lake manifest '%s': %s",
			       lk->manifest, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(path); /* not in the manifest: not part of the lake */
		goto out;
	}
	close(fd);
	p.path = rel;
	rel = NULL;
	p.hour = hour;
	p.count = n;
	p.min_emit = mn;
	p.max_emit = mx;
	p.checksum = h;
	part_push(lk, &p);
	goto out;
out_tmp:
	unlink(tmp);
out:
	free(line);
	free(tmp);
	free(path);
	free(dir);
	free(rel);
	return rc;
}

/* ---- reading ---- */

/* Read and verify `path` into *buf (grown as needed); on success *n records
 * start at *buf + LAKE_HEADER_SIZE. */
static int read_verified(const char *path, unsigned char **buf, size_t *cap, size_t *n,
			 uint64_t *bytes, struct error *err)
{
	struct stat stbuf;
	uint64_t count, h, stored;
	uint32_t version, recsize;
	size_t want, got = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return error_set(err, ERR_IO, "cannot open lake partition '%s': %s", path,
				 strerror(errno));
	if (fstat(fd, &stbuf) != 0) {
		rc = error_set(err, ERR_IO, "cannot stat '%s': %s", path, strerror(errno));
		goto out_fd;
	}
	if ((uint64_t)stbuf.st_size < LAKE_HEADER_SIZE + LAKE_TRAILER_SIZE) {
		rc = error_set(err, ERR_CORRUPT,
			       "truncated lake partition '%s': %lld bytes, shorter than header and trailer",
			       path, (long long)stbuf.st_size);
		goto out_fd;
	}
	if ((size_t)stbuf.st_size > *cap) {
		free(*buf);
		*cap = (size_t)stbuf.st_size + (size_t)stbuf.st_size / 4;
		*buf = xmalloc(*cap);
	}
	want = (size_t)stbuf.st_size;
	while (got < want) {
		ssize_t r = read(fd, *buf + got, want - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = error_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
			goto out_fd;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (memcmp(*buf, lake_magic, 8) != 0) {
		rc = error_set(err, ERR_CORRUPT, "corrupt lake partition '%s': bad magic", path);
		goto out_fd;
	}
	memcpy(&version, *buf + 8, 4);
	memcpy(&recsize, *buf + 12, 4);
	memcpy(&count, *buf + 16, 8);
	if (version != LAKE_FORMAT_VERSION || recsize != sizeof(struct event)) {
		rc = error_set(err, ERR_CORRUPT,
			       "lake partition '%s' has format version %u, record size %u (expected %d, %zu)",
			       path, version, recsize, LAKE_FORMAT_VERSION, sizeof(struct event));
		goto out_fd;
	}
	if (count > (UINT64_MAX - LAKE_HEADER_SIZE - LAKE_TRAILER_SIZE) / sizeof(struct event) ||
	    got < LAKE_HEADER_SIZE + count * sizeof(struct event) + LAKE_TRAILER_SIZE) {
		rc = error_set(err, ERR_CORRUPT,
			       "truncated lake partition '%s': %zu bytes, header promises %" PRIu64
			       " records (%" PRIu64 " bytes)",
			       path, got, count,
			       (uint64_t)(LAKE_HEADER_SIZE + count * sizeof(struct event) + LAKE_TRAILER_SIZE));
		goto out_fd;
	}
	if (got != LAKE_HEADER_SIZE + count * sizeof(struct event) + LAKE_TRAILER_SIZE) {
		rc = error_set(err, ERR_CORRUPT,
			       "corrupt lake partition '%s': %zu trailing bytes after the checksum",
			       path, got - (size_t)(LAKE_HEADER_SIZE + count * sizeof(struct event) + LAKE_TRAILER_SIZE));
		goto out_fd;
	}
	h = lake_xxh64(*buf, got - LAKE_TRAILER_SIZE, 0);
	memcpy(&stored, *buf + got - LAKE_TRAILER_SIZE, 8);
	if (h != stored) {
		rc = error_set(err, ERR_CORRUPT,
			       "corrupt lake partition '%s': checksum %016" PRIx64 ", expected %016" PRIx64,
			       path, h, stored);
		goto out_fd;
	}
	*n = (size_t)count;
	if (bytes)
		*bytes += got;
out_fd:
	close(fd);
	return rc;
}

int lake_read_file(const char *path, struct event **evs, size_t *n, struct error *err)
{
	unsigned char *buf = NULL;
	size_t cap = 0;
	int rc;

	*evs = NULL;
	*n = 0;
	rc = read_verified(path, &buf, &cap, n, NULL, err);
	if (!rc) {
		*evs = xcalloc(*n ? *n : 1, sizeof(struct event));
		memcpy(*evs, buf + LAKE_HEADER_SIZE, *n * sizeof(struct event));
	}
	free(buf);
	return rc;
}

int lake_scan(struct lake *lk, simtime from, simtime to, lake_block_fn fn, void *ctx,
	      struct lake_scan_stats *st, struct error *err)
{
	struct lake_scan_stats local;
	char *path = NULL;
	size_t path_cap = 0, dirlen = strlen(lk->dir);
	int rc = 0;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < lk->n_parts && !rc; i++) {
		const struct lake_part *p = &lk->parts[i];
		struct event *evs;
		size_t n, len;

		if (p->max_emit < from || p->min_emit >= to) {
			st->pruned++;
			continue;
		}
		len = dirlen + 1 + strlen(p->path) + 1;
		if (len > path_cap) {
			free(path);
			path_cap = len + 64;
			path = xmalloc(path_cap);
		}
		memcpy(path, lk->dir, dirlen);
		path[dirlen] = '/';
		memcpy(path + dirlen + 1, p->path, len - dirlen - 1);
		if ((rc = read_verified(path, &lk->buf, &lk->buf_cap, &n, &st->bytes, err)))
			break;
		if (n != p->count) {
			rc = error_set(err, ERR_CORRUPT,
				       "corrupt lake partition '%s': %zu records, manifest says %" PRIu64,
				       path, n, p->count);
			break;
		}
		st->partitions++;
		st->events += n;
		evs = (struct event *)(void *)(lk->buf + LAKE_HEADER_SIZE);
		if (p->min_emit < from || p->max_emit >= to) {
			/* a boundary partition: keep only the range, in place */
			size_t k = 0;

			for (size_t j = 0; j < n; j++)
				if (evs[j].emit_time >= from && evs[j].emit_time < to)
					evs[k++] = evs[j];
			n = k;
		}
		if (n) {
			st->delivered += n;
			rc = fn(ctx, evs, n, err);
		}
	}
	free(path);
	return rc;
}
