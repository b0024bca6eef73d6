/* Online feature store with an append-only log; see online.h. */
#include "engine/online.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/rng.h"
#include "common/xalloc.h"

#define LOG_MAGIC "AIRTONL1"
#define LOG_VERSION 1u

/* One log record, 40 bytes, little-endian host layout. */
struct rec {
	uint32_t entity;
	uint16_t table, feature;
	float value;
	uint32_t seq;
	int64_t event_time;
	int64_t write_time;
	uint32_t zero;
	uint32_t check;        /* over the first 36 bytes */
};
_Static_assert(sizeof(struct rec) == 40, "log record layout");

struct table {
	uint32_t n_entities;
	uint16_t nf;
	float *value;          /* [entity * nf + f], NaN = never written */
	simtime *etime;        /* INT64_MIN = never written */
	uint32_t *seq;
	simtime *wtime;
};

struct online {
	struct online_config cfg;
	char *log_path;
	int fd;                /* -1 without a log */
	struct rec *buf;
	size_t buf_n;
	uint64_t since_sync;
	struct table t[ONLINE_MAX_TABLES];
	size_t n_tables;
	simtime out_t1[ONLINE_MAX_OUTAGES], out_t2[ONLINE_MAX_OUTAGES];
	size_t n_out;
	struct online_stats st;
	struct online_mirror mirror;   /* .ctx NULL: none */
	bool mirror_off;               /* a mirror call failed */
	float *m_value;                /* mirror read scratch, m_cap cells */
	simtime *m_stored;
	size_t m_cap;
	uint64_t file_records;         /* data records in the log file (staged ones too) */
	uint64_t live;                 /* cells holding a value */
	simtime last_write;            /* latest write time stored */
	unsigned char header[8 + 4 + 4 + ONLINE_MAX_TABLES * 8 + 4];
	size_t hsize;
};

/* Special records (a table id no store has, a valid checksum): the seal
 * that ends a complete log (entity, seq: the data record count, low and
 * high half; event_time: the last write time, or a snapshot's time) and
 * the marker a compacted log starts with (event_time: when the history
 * before it was collapsed). */
#define SEAL_TABLE 0xFFFFu
#define COMPACT_TABLE 0xFFFEu

void online_config_init(struct online_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_path = NULL;
	cfg->buffer_records = 4096;
}

int online_fsync_from_name(const char *name)
{
	if (!strcmp(name, "always"))
		return ONLINE_FSYNC_ALWAYS;
	if (!strcmp(name, "every"))
		return ONLINE_FSYNC_EVERY_N;
	if (!strcmp(name, "never"))
		return ONLINE_FSYNC_NEVER;
	return -1;
}

static uint32_t rec_check(const struct rec *r)
{
	uint64_t w[5];

	memcpy(w, r, 36 - 4);
	w[4] = 0;
	memcpy(&w[4], (const char *)r + 32, 4);
	return (uint32_t)rng_hash4(w[0], w[1], w[2], w[3] ^ (w[4] << 17) ^ 0x0411e);
}

/* Store into memory by the event-time rule; returns 0 or ONLINE_STALE. */
static int apply(struct online *o, struct table *t, size_t cell, float value, simtime et,
		 uint32_t seq, simtime now)
{
	if (et < t->etime[cell] || (et == t->etime[cell] && seq <= t->seq[cell]))
		return ONLINE_STALE;
	if (t->etime[cell] == INT64_MIN)
		o->live++;
	if (now > o->last_write)
		o->last_write = now;
	t->value[cell] = value;
	t->etime[cell] = et;
	t->seq[cell] = seq;
	t->wtime[cell] = now;
	return 0;
}

static bool rec_valid(const struct rec *r)
{
	return r->check == rec_check(r) && r->zero == 0;
}

static bool rec_special(const struct rec *r, uint16_t table)
{
	return r->table == table && rec_valid(r);
}

static void make_special(struct rec *r, uint16_t table, uint64_t count, simtime t)
{
	memset(r, 0, sizeof(*r));
	r->table = table;
	r->entity = (uint32_t)count;
	r->seq = (uint32_t)(count >> 32);
	r->event_time = t;
	r->write_time = INT64_MAX;
	r->check = rec_check(r);
}

static uint64_t seal_count(const struct rec *r)
{
	return (uint64_t)r->seq << 32 | r->entity;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t k = write(fd, c, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static int flush_buf(struct online *o, struct error *err)
{
	size_t bytes = o->buf_n * sizeof(struct rec);

	if (o->buf_n == 0)
		return 0;
	if (write_all(o->fd, o->buf, bytes) < 0)
		return error_set(err, ERR_IO, "cannot append to store log '%s': %s", o->log_path,
				 strerror(errno));
	o->st.log_records += o->buf_n;
	o->st.log_bytes += bytes;
	o->since_sync += o->buf_n;
	o->buf_n = 0;
	return 0;
}

static size_t header_size(size_t n_tables)
{
	return 8 + 4 + 4 + n_tables * 8 + 4;
}

static void make_header(unsigned char *h, const struct online_table_spec *tables, size_t n)
{
	uint32_t v = LOG_VERSION, nt = (uint32_t)n, check;
	size_t off = 0;
	uint64_t acc = 0;

	memcpy(h, LOG_MAGIC, 8);
	off = 8;
	memcpy(h + off, &v, 4);
	off += 4;
	memcpy(h + off, &nt, 4);
	off += 4;
	for (size_t i = 0; i < n; i++) {
		uint32_t ne = tables[i].n_entities, nf = tables[i].n_features;
		memcpy(h + off, &ne, 4);
		memcpy(h + off + 4, &nf, 4);
		off += 8;
		acc = rng_hash4(acc, ne, nf, i);
	}
	check = (uint32_t)rng_hash4(acc, n, LOG_VERSION, 0x4ead);
	memcpy(h + off, &check, 4);
}

/* Replay the log; truncate a torn tail. */
static int recover(struct online *o, const unsigned char *want_header, size_t hsize,
		   struct error *err)
{
	struct stat sb;
	unsigned char *data = NULL;
	size_t size, nrec, good, i;
	int rc = 0;

	if (fstat(o->fd, &sb) < 0)
		return error_set(err, ERR_IO, "cannot stat store log '%s': %s", o->log_path,
				 strerror(errno));
	size = (size_t)sb.st_size;
	if (size == 0) {
		if (o->cfg.read_only)
			return 0;
		if (write_all(o->fd, want_header, hsize) < 0 || fsync(o->fd) < 0)
			return error_set(err, ERR_IO, "cannot write store log header '%s': %s",
					 o->log_path, strerror(errno));
		return 0;
	}
	if (size < hsize)
		return error_set(err, ERR_CORRUPT, "store log '%s' is shorter than its header",
				 o->log_path);
	data = xmalloc(size);
	for (size_t got = 0; got < size;) {
		ssize_t k = pread(o->fd, data + got, size - got, (off_t)got);
		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			rc = error_set(err, ERR_IO, "cannot read store log '%s': %s", o->log_path,
				       k < 0 ? strerror(errno) : "short read");
			goto out_data;
		}
		got += (size_t)k;
	}
	if (memcmp(data, LOG_MAGIC, 8) != 0) {
		rc = error_set(err, ERR_CORRUPT, "'%s' is not a store log (bad magic)", o->log_path);
		goto out_data;
	}
	if (memcmp(data, want_header, hsize) != 0) {
		rc = error_set(err, ERR_INPUT,
			       "store log '%s' was written for other tables or version", o->log_path);
		goto out_data;
	}
	nrec = (size - hsize) / sizeof(struct rec);
	good = 0;
	for (i = 0; i < nrec; i++) {
		struct rec r;
		memcpy(&r, data + hsize + i * sizeof(r), sizeof(r));
		if (rec_special(&r, COMPACT_TABLE) && i == 0) {
			good++;
			continue;
		}
		if (r.check != rec_check(&r) || r.zero != 0 || r.table >= o->n_tables ||
		    r.entity >= o->t[r.table].n_entities || r.feature >= o->t[r.table].nf)
			break;
		good++;
	}
	/* A seal ends a complete log: appending goes on after it is cut. */
	if (good < nrec && good + 1 == nrec && (size - hsize) % sizeof(struct rec) == 0) {
		struct rec r;
		memcpy(&r, data + hsize + good * sizeof(r), sizeof(r));
		if (rec_special(&r, SEAL_TABLE)) {
			o->st.unsealed++;
			nrec = good;
			size = hsize + good * sizeof(struct rec);
			if (!o->cfg.read_only && ftruncate(o->fd, (off_t)size) < 0) {
				rc = error_set(err, ERR_IO, "cannot reopen sealed store log '%s': %s",
					       o->log_path, strerror(errno));
				goto out_data;
			}
		}
	}
	/* Everything after the first bad record must be a torn tail: if any
	 * later record is valid, the damage is not from a crash. */
	for (i = good + 1; i < nrec; i++) {
		struct rec r;
		memcpy(&r, data + hsize + i * sizeof(r), sizeof(r));
		if (r.check == rec_check(&r) && r.zero == 0 && r.table < o->n_tables) {
			rc = error_set(err, ERR_CORRUPT,
				       "store log '%s': bad record %zu followed by valid ones",
				       o->log_path, good);
			goto out_data;
		}
	}
	for (i = 0; i < good; i++) {
		struct rec r;
		struct table *t;
		memcpy(&r, data + hsize + i * sizeof(r), sizeof(r));
		if (r.table == COMPACT_TABLE)
			continue;
		o->file_records++;
		t = &o->t[r.table];
		if (apply(o, t, (size_t)r.entity * t->nf + r.feature, r.value, r.event_time, r.seq,
			  r.write_time) != 0)
			o->st.recovered_stale++;
		o->st.recovered_records++;
	}
	if (hsize + good * sizeof(struct rec) < size) {
		size_t keep = hsize + good * sizeof(struct rec);
		o->st.torn_records += nrec - good + ((size - hsize) % sizeof(struct rec) ? 1 : 0);
		o->st.torn_bytes += size - keep;
		if (o->cfg.read_only)
			goto out_data;
		if (o->cfg.refuse_torn) {
			rc = error_set(err, ERR_CORRUPT, "store log '%s': damaged tail (%llu records, "
				       "%llu bytes after the last good record) refused",
				       o->log_path, (unsigned long long)o->st.torn_records,
				       (unsigned long long)o->st.torn_bytes);
			goto out_data;
		}
		if (ftruncate(o->fd, (off_t)keep) < 0 || fsync(o->fd) < 0) {
			rc = error_set(err, ERR_IO, "cannot truncate torn store log '%s': %s",
				       o->log_path, strerror(errno));
			goto out_data;
		}
	}
	if (lseek(o->fd, 0, SEEK_END) < 0)
		rc = error_set(err, ERR_IO, "cannot seek store log '%s': %s", o->log_path,
			       strerror(errno));
out_data:
	free(data);
	return rc;
}

struct online *online_new(const struct online_config *cfg, const struct online_table_spec *tables,
			  size_t n_tables, struct error *err)
{
	struct online *o;
	unsigned char header[8 + 4 + 4 + ONLINE_MAX_TABLES * 8 + 4];
	size_t hsize = header_size(n_tables);

	if (n_tables == 0 || n_tables > ONLINE_MAX_TABLES)
		return error_set(err, ERR_INPUT, "online store: %zu tables (1..%d)", n_tables,
				 ONLINE_MAX_TABLES), NULL;
	for (size_t i = 0; i < n_tables; i++)
		if (tables[i].n_entities == 0 || tables[i].n_features == 0)
			return error_set(err, ERR_INPUT, "online store: table %zu is empty", i), NULL;
	if (cfg->ttl < 0 || (cfg->fsync_policy == ONLINE_FSYNC_EVERY_N && cfg->fsync_every == 0) ||
	    cfg->buffer_records == 0)
		return error_set(err, ERR_INPUT, "online store: bad ttl, fsync_every or buffer size"),
		       NULL;
	o = xcalloc(1, sizeof(*o));
	o->cfg = *cfg;
	o->fd = -1;
	o->n_tables = n_tables;
	for (size_t i = 0; i < n_tables; i++) {
		struct table *t = &o->t[i];
		size_t cells = (size_t)tables[i].n_entities * tables[i].n_features;
		t->n_entities = tables[i].n_entities;
		t->nf = tables[i].n_features;
		t->value = xmalloc(cells * sizeof(*t->value));
		t->etime = xmalloc(cells * sizeof(*t->etime));
		t->seq = xcalloc(cells, sizeof(*t->seq));
		t->wtime = xcalloc(cells, sizeof(*t->wtime));
		for (size_t c = 0; c < cells; c++) {
			t->value[c] = NAN;
			t->etime[c] = INT64_MIN;
		}
	}
	if (cfg->log_path) {
		o->log_path = xstrdup(cfg->log_path);
		o->cfg.log_path = o->log_path;
		o->buf = xcalloc(cfg->buffer_records, sizeof(*o->buf));
		o->fd = cfg->read_only ? open(o->log_path, O_RDONLY | O_CLOEXEC)
				       : open(o->log_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (o->fd < 0) {
			error_set(err, ERR_IO, "cannot open store log '%s': %s", o->log_path,
				  strerror(errno));
			goto out_free;
		}
		make_header(header, tables, n_tables);
		memcpy(o->header, header, hsize);
		o->hsize = hsize;
		if (recover(o, header, hsize, err) != 0)
			goto out_free;
		if (cfg->read_only) {
			/* Nothing will ever be appended: let go of the file. */
			close(o->fd);
			o->fd = -1;
		}
	}
	return o;
out_free:
	online_free(o);
	return NULL;
}

void online_free(struct online *o)
{
	if (!o)
		return;
	if (o->fd >= 0) {
		flush_buf(o, NULL);
		close(o->fd);
	}
	for (size_t i = 0; i < o->n_tables; i++) {
		free(o->t[i].value);
		free(o->t[i].etime);
		free(o->t[i].seq);
		free(o->t[i].wtime);
	}
	free(o->buf);
	free(o->log_path);
	free(o->m_value);
	free(o->m_stored);
	free(o);
}

int online_add_outage(struct online *o, simtime t1, simtime t2, struct error *err)
{
	if (t2 <= t1)
		return error_set(err, ERR_INPUT, "store outage: end must be after start");
	if (o->n_out == ONLINE_MAX_OUTAGES)
		return error_set(err, ERR_INPUT, "store outage: at most %d windows",
				 ONLINE_MAX_OUTAGES);
	o->out_t1[o->n_out] = t1;
	o->out_t2[o->n_out] = t2;
	o->n_out++;
	return 0;
}

bool online_available(const struct online *o, simtime now)
{
	for (size_t i = 0; i < o->n_out; i++)
		if (now >= o->out_t1[i] && now < o->out_t2[i])
			return false;
	return true;
}

simtime online_available_at(const struct online *o, simtime now)
{
	simtime t = now;
	bool moved = true;

	/* Overlapping windows chain. */
	while (moved) {
		moved = false;
		for (size_t i = 0; i < o->n_out; i++)
			if (t >= o->out_t1[i] && t < o->out_t2[i]) {
				t = o->out_t2[i];
				moved = true;
			}
	}
	return t;
}

int online_write(struct online *o, int table, uint32_t entity, int feature, float value,
		 simtime event_time, uint32_t seq, simtime now, struct error *err)
{
	struct table *t;
	size_t cell;
	int rc;

	if (o->cfg.read_only)
		return error_set(err, ERR_INPUT, "online store '%s' is open read-only",
				 o->log_path ? o->log_path : "(memory)");
	o->st.writes++;
	if (o->n_out && !online_available(o, now)) {
		o->st.unavailable_writes++;
		return error_set(err, ERR_UNAVAILABLE, "online store unavailable");
	}
	if (table < 0 || (size_t)table >= o->n_tables || entity >= o->t[table].n_entities ||
	    feature < 0 || feature >= o->t[table].nf) {
		o->st.bad_writes++;
		return error_set(err, ERR_INPUT, "online store: no cell (%d, %u, %d)", table, entity,
				 feature);
	}
	t = &o->t[table];
	cell = (size_t)entity * t->nf + (size_t)feature;
	rc = apply(o, t, cell, value, event_time, seq, now);
	if (rc == ONLINE_STALE) {
		o->st.stale++;
		return ONLINE_STALE;
	}
	o->st.stored++;
	if (o->mirror.ctx && !o->mirror_off)
		o->mirror.stage(o->mirror.ctx, table, entity, feature, value, now);
	if (o->fd >= 0) {
		struct rec *r;
		if (o->buf_n == o->cfg.buffer_records && (rc = flush_buf(o, err)) != 0)
			return rc;
		r = &o->buf[o->buf_n++];
		r->entity = entity;
		r->table = (uint16_t)table;
		r->feature = (uint16_t)feature;
		r->value = value;
		r->seq = seq;
		r->event_time = event_time;
		r->write_time = now;
		r->zero = 0;
		r->check = rec_check(r);
		o->file_records++;
	}
	return 0;
}

void online_prefetch(const struct online *o, int table, uint32_t entity)
{
	const struct table *t;
	size_t c;

	if (table < 0 || (size_t)table >= o->n_tables || entity >= o->t[table].n_entities)
		return;
	t = &o->t[table];
	c = (size_t)entity * t->nf;
	__builtin_prefetch(&t->value[c], 1);
	__builtin_prefetch(&t->etime[c], 1);
	__builtin_prefetch(&t->seq[c], 1);
	__builtin_prefetch(&t->wtime[c], 1);
}

int online_commit(struct online *o, struct error *err)
{
	int rc;

	if (o->cfg.read_only)
		return error_set(err, ERR_INPUT, "online store '%s' is open read-only",
				 o->log_path ? o->log_path : "(memory)");
	o->st.commits++;
	if (o->mirror.ctx && !o->mirror_off && o->mirror.flush(o->mirror.ctx) < 0) {
		o->st.mirror_errors++;
		o->mirror_off = true;
	}
	if (o->fd < 0)
		return 0;
	if ((rc = flush_buf(o, err)) != 0)
		return rc;
	if (o->since_sync > 0 &&
	    (o->cfg.fsync_policy == ONLINE_FSYNC_ALWAYS ||
	     (o->cfg.fsync_policy == ONLINE_FSYNC_EVERY_N && o->since_sync >= o->cfg.fsync_every))) {
		if (fdatasync(o->fd) < 0)
			return error_set(err, ERR_IO, "cannot sync store log '%s': %s", o->log_path,
					 strerror(errno));
		o->st.fsyncs++;
		o->since_sync = 0;
	}
	if (o->cfg.compact_ratio > 0 && o->file_records >= ONLINE_COMPACT_MIN &&
	    (double)o->file_records > o->cfg.compact_ratio * (double)(o->live ? o->live : 1))
		return online_compact(o, err);
	return 0;
}

/* Cells in log order: by write time, then table, entity, feature. */
struct cellref {
	simtime wtime;
	uint16_t table, feature;
	uint32_t entity;
};

static int cellref_cmp(const void *a, const void *b)
{
	const struct cellref *x = a, *y = b;

	if (x->wtime != y->wtime)
		return x->wtime < y->wtime ? -1 : 1;
	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if (x->entity != y->entity)
		return x->entity < y->entity ? -1 : 1;
	return (x->feature > y->feature) - (x->feature < y->feature);
}

/* Write the store's live cells to `path` as a log: header, an optional
 * compaction marker (history collapsed at `marker`), one record per live
 * cell in write-time order, and, when `seal`, a seal carrying seal_time.
 * Written to PATH.tmp, fsynced, renamed. */
static int write_image(const struct online *o, const char *path, const unsigned char *header,
		       size_t hsize, bool marker, simtime marker_time, bool seal, simtime seal_time,
		       struct error *err)
{
	char *tmp = xasprintf("%s.tmp", path);
	struct cellref *cells = xmalloc((o->live ? o->live : 1) * sizeof(*cells));
	struct rec *buf = xmalloc(4096 * sizeof(*buf));
	size_t n = 0, nb = 0;
	int fd, rc = 0;

	for (size_t ti = 0; ti < o->n_tables; ti++) {
		const struct table *t = &o->t[ti];

		for (size_t c = 0; c < (size_t)t->n_entities * t->nf; c++)
			if (t->etime[c] != INT64_MIN) {
				ASSERT(n < o->live);
				cells[n++] = (struct cellref){ t->wtime[c], (uint16_t)ti,
							       (uint16_t)(c % t->nf),
							       (uint32_t)(c / t->nf) };
			}
	}
	qsort(cells, n, sizeof(*cells), cellref_cmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, header, hsize) < 0)
		goto io;
	if (marker)
		make_special(&buf[nb++], COMPACT_TABLE, 0, marker_time);
	for (size_t i = 0; i < n; i++) {
		const struct table *t = &o->t[cells[i].table];
		size_t c = (size_t)cells[i].entity * t->nf + cells[i].feature;
		struct rec *r = &buf[nb++];

		r->entity = cells[i].entity;
		r->table = cells[i].table;
		r->feature = cells[i].feature;
		r->value = t->value[c];
		r->seq = t->seq[c];
		r->event_time = t->etime[c];
		r->write_time = t->wtime[c];
		r->zero = 0;
		r->check = rec_check(r);
		if (nb == 4096) {
			if (write_all(fd, buf, nb * sizeof(*buf)) < 0)
				goto io;
			nb = 0;
		}
	}
	if (seal)
		make_special(&buf[nb++], SEAL_TABLE, n, seal_time);
	if (write_all(fd, buf, nb * sizeof(*buf)) < 0 || fsync(fd) < 0)
		goto io;
	if (close(fd) < 0) {
		fd = -1;
		goto io;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = error_set(err, ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path,
			       strerror(errno));
		goto out;
	}
	goto out;
io:
	rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(buf);
	free(cells);
	free(tmp);
	return rc;
}

int online_compact(struct online *o, struct error *err)
{
	int rc, fd;

	if (o->fd < 0 || o->cfg.read_only)
		return 0;
	if ((rc = flush_buf(o, err)) != 0)
		return rc;
	/* Everything up to now is in the file: rewrite it as one record per
	 * live cell behind a marker, then append to the new file.  A crash in
	 * between leaves the old log or the new one, both complete. */
	if ((rc = write_image(o, o->log_path, o->header, o->hsize, true, o->last_write, false, 0,
			      err)) < 0)
		return rc;
	fd = open(o->log_path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || lseek(fd, 0, SEEK_END) < 0) {
		if (fd >= 0)
			close(fd);
		return error_set(err, ERR_IO, "cannot reopen compacted store log '%s': %s",
				 o->log_path, strerror(errno));
	}
	close(o->fd);
	o->fd = fd;
	o->file_records = o->live;
	o->since_sync = 0;
	o->st.compactions++;
	return 0;
}

int online_seal(struct online *o, struct error *err)
{
	struct rec r;
	int rc;

	if (o->fd < 0 || o->cfg.read_only)
		return 0;
	if ((rc = flush_buf(o, err)) != 0)
		return rc;
	make_special(&r, SEAL_TABLE, o->file_records, o->last_write);
	if (write_all(o->fd, &r, sizeof(r)) < 0 || fdatasync(o->fd) < 0)
		return error_set(err, ERR_IO, "cannot seal store log '%s': %s", o->log_path,
				 strerror(errno));
	/* Sealed: nothing more may be appended (a reopen strips the seal). */
	close(o->fd);
	o->fd = -1;
	return 0;
}

static int snap_apply(void *ctx, const struct online_record *r)
{
	struct online *o = ctx;
	int rc = online_write(o, r->table, r->entity, r->feature, r->value, r->event_time, r->seq,
			      r->write_time, NULL);

	return rc == ONLINE_STALE ? 0 : rc;
}

int online_snapshot(const char *log_path, const char *snap_path, simtime at, simtime ttl,
		    struct error *err)
{
	struct online_table_spec tables[ONLINE_MAX_TABLES];
	unsigned char header[8 + 4 + 4 + ONLINE_MAX_TABLES * 8 + 4];
	struct online_config oc;
	struct online_log *l;
	struct online *o = NULL;
	size_t nt;
	int rc;

	if (!(l = online_log_open(log_path, tables, &nt, err)))
		return err->code;
	online_config_init(&oc);
	oc.ttl = ttl;
	if (!(o = online_new(&oc, tables, nt, err))) {
		rc = err->code;
		goto out;
	}
	if ((rc = online_log_next(l, at + 1, snap_apply, o, err)) != 0) {
		if (rc > 0)
			rc = error_set(err, ERR_CORRUPT, "store log '%s': a record does not fit",
				       log_path);
		goto out;
	}
	make_header(header, tables, nt);
	rc = write_image(o, snap_path, header, header_size(nt), false, 0, true, at, err);
out:
	online_free(o);
	online_log_close(l);
	return rc;
}

int online_read_counted(const struct online *o, int table, const uint32_t *entities, size_t n,
			float *out, simtime now, struct online_stats *counts)
{
	const struct table *t;
	size_t nf;

	if (o->n_out && !online_available(o, now)) {
		counts->unavailable_reads++;
		return ERR_UNAVAILABLE;
	}
	ASSERT(table >= 0 && (size_t)table < o->n_tables);
	t = &o->t[table];
	nf = t->nf;
	counts->reads++;
	counts->read_cells += n * nf;
	if (o->cfg.ttl == 0) {
		for (size_t i = 0; i < n; i++) {
			uint32_t e = entities[i];
			if (e < t->n_entities) {
				memcpy(out + i * nf, t->value + (size_t)e * nf, nf * sizeof(*out));
			} else {
				for (size_t f = 0; f < nf; f++)
					out[i * nf + f] = NAN;
			}
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t e = entities[i];
		for (size_t f = 0; f < nf; f++) {
			size_t c = (size_t)e * nf + f;
			if (e >= t->n_entities)
				out[i * nf + f] = NAN;
			else if (t->etime[c] != INT64_MIN && now - t->wtime[c] >= o->cfg.ttl) {
				out[i * nf + f] = NAN;
				counts->expired_cells++;
			} else
				out[i * nf + f] = t->value[c];
		}
	}
	return 0;
}

static bool same_cell(float a, float b)
{
	return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof(a)) == 0;
}

/* Read the cells again from the mirror and compare (see online.h). */
static void mirror_check(struct online *o, int table, const uint32_t *entities, size_t n,
			 const float *out, simtime now)
{
	size_t nf = o->t[table].nf, cells = n * nf;

	if (cells > o->m_cap) {
		o->m_cap = cells + cells / 2;
		o->m_value = xreallocarray(o->m_value, o->m_cap, sizeof(*o->m_value));
		o->m_stored = xreallocarray(o->m_stored, o->m_cap, sizeof(*o->m_stored));
	}
	if (o->mirror.read(o->mirror.ctx, table, entities, n, (int)nf, o->m_value, o->m_stored) <
	    0) {
		o->st.mirror_errors++;
		o->mirror_off = true;
		return;
	}
	o->st.mirror_reads++;
	o->st.mirror_cells += cells;
	for (size_t c = 0; c < cells; c++) {
		float v = o->m_value[c];

		/* The TTL rule of online_read_counted, on what the mirror holds. */
		if (o->cfg.ttl > 0 && o->m_stored[c] != INT64_MIN && now - o->m_stored[c] >= o->cfg.ttl)
			v = NAN;
		if (!same_cell(v, out[c]))
			o->st.mirror_mismatches++;
	}
}

int online_read(struct online *o, int table, const uint32_t *entities, size_t n, float *out,
		simtime now)
{
	int rc = online_read_counted(o, table, entities, n, out, now, &o->st);

	if (rc == 0 && o->mirror.ctx && !o->mirror_off)
		mirror_check(o, table, entities, n, out, now);
	return rc;
}

void online_set_mirror(struct online *o, const struct online_mirror *m)
{
	if (m)
		o->mirror = *m;
	else
		memset(&o->mirror, 0, sizeof(o->mirror));
	o->mirror_off = false;
}

float online_get(const struct online *o, int table, uint32_t entity, int feature, simtime now)
{
	const struct table *t;
	size_t c;

	if (table < 0 || (size_t)table >= o->n_tables)
		return NAN;
	t = &o->t[table];
	if (entity >= t->n_entities || feature < 0 || feature >= t->nf ||
	    !online_available(o, now))
		return NAN;
	c = (size_t)entity * t->nf + (size_t)feature;
	if (o->cfg.ttl > 0 && t->etime[c] != INT64_MIN && now - t->wtime[c] >= o->cfg.ttl)
		return NAN;
	return t->value[c];
}

simtime online_event_time(const struct online *o, int table, uint32_t entity, int feature)
{
	const struct table *t;

	if (table < 0 || (size_t)table >= o->n_tables)
		return INT64_MIN;
	t = &o->t[table];
	if (entity >= t->n_entities || feature < 0 || feature >= t->nf)
		return INT64_MIN;
	return t->etime[(size_t)entity * t->nf + (size_t)feature];
}

int online_feature_count(const struct online *o, int table)
{
	return (table >= 0 && (size_t)table < o->n_tables) ? o->t[table].nf : 0;
}

const struct online_stats *online_stats(const struct online *o) { return &o->st; }

struct online_log {
	FILE *f;
	char *path;
	struct online_table_spec tables[ONLINE_MAX_TABLES];
	size_t nt;
	struct rec buf[1024];
	size_t n, i;              /* records in buf, next one */
	bool end;                 /* end of file or torn tail */
	uint64_t handed;
	bool sealed;              /* ends with a seal whose count fits the file */
	simtime seal_time, compacted_at;
	uint64_t file_records;    /* data records the file holds (sealed) */
	uint64_t good, torn_records, torn_bytes; /* unsealed: its valid data records, the rest */
	bool marker;              /* starts with a compaction marker */
};

/* Whether l's file ends with a valid seal counting every record before
 * it; an unsealed log is scanned once for its valid prefix, so a damaged
 * tail is known (and counted) before anything is served. */
static int log_check_end(struct online_log *l, size_t hsize, struct error *err)
{
	struct stat sb;
	uint64_t nrec;
	struct rec r;

	if (fstat(fileno(l->f), &sb) < 0)
		return error_set(err, ERR_IO, "cannot stat store log '%s': %s", l->path,
				 strerror(errno));
	nrec = ((uint64_t)sb.st_size - hsize) / sizeof(struct rec);
	if (nrec > 0 && ((uint64_t)sb.st_size - hsize) % sizeof(struct rec) == 0 &&
	    pread(fileno(l->f), &r, sizeof(r), (off_t)(hsize + (nrec - 1) * sizeof(r))) ==
	    (ssize_t)sizeof(r) && rec_special(&r, SEAL_TABLE)) {
		uint64_t data = nrec - 1;
		struct rec first;

		/* a compacted log's marker is not a data record */
		if (data > 0 && pread(fileno(l->f), &first, sizeof(first), (off_t)hsize) ==
		    (ssize_t)sizeof(first) && rec_special(&first, COMPACT_TABLE))
			data--;
		if (seal_count(&r) == data) {
			l->sealed = true;
			l->seal_time = r.event_time;
			l->file_records = data;
			return 0;
		}
	}
	/* Unsealed: find the valid prefix, a chunk of records at a time. */
	for (uint64_t i = 0; i < nrec;) {
		size_t want = nrec - i < 1024 ? (size_t)(nrec - i) : 1024, got, j;
		ssize_t k = pread(fileno(l->f), l->buf, want * sizeof(r),
				  (off_t)(hsize + i * sizeof(r)));

		if (k <= 0)
			break;
		got = (size_t)k / sizeof(r);
		for (j = 0; j < got; j++, i++) {
			const struct rec *q = &l->buf[j];

			if (rec_special(q, COMPACT_TABLE) && i == 0)
				l->marker = true;
			else if (!rec_valid(q) || q->table >= l->nt ||
				 q->entity >= l->tables[q->table].n_entities ||
				 q->feature >= l->tables[q->table].n_features)
				break;
			l->good++;
		}
		if (j < got || got < want)
			break;
	}
	l->torn_bytes = (uint64_t)sb.st_size - hsize - l->good * sizeof(struct rec);
	l->torn_records = nrec - l->good + (l->torn_bytes % sizeof(struct rec) ? 1 : 0);
	if (l->marker)
		l->good--;
	return 0;
}

struct online_log *online_log_open(const char *path, struct online_table_spec *tables,
				   size_t *n_tables, struct error *err)
{
	unsigned char head[8 + 4 + 4 + ONLINE_MAX_TABLES * 8 + 4], want[sizeof(head)];
	struct online_log *l = xcalloc(1, sizeof(*l));
	uint32_t version, nt;

	*n_tables = 0;
	l->path = xstrdup(path);
	if (!(l->f = fopen(path, "rb"))) {
		error_set(err, ERR_IO, "cannot open store log '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (fread(head, 1, 16, l->f) != 16 || memcmp(head, LOG_MAGIC, 8) != 0) {
		error_set(err, ERR_CORRUPT, "'%s' is not a store log (bad magic)", path);
		goto fail;
	}
	memcpy(&version, head + 8, 4);
	memcpy(&nt, head + 12, 4);
	if (version != LOG_VERSION || nt == 0 || nt > ONLINE_MAX_TABLES ||
	    fread(head + 16, 1, header_size(nt) - 16, l->f) != header_size(nt) - 16) {
		error_set(err, ERR_CORRUPT, "store log '%s': bad header", path);
		goto fail;
	}
	for (uint32_t i = 0; i < nt; i++) {
		uint32_t ne, nf;

		memcpy(&ne, head + 16 + 8 * i, 4);
		memcpy(&nf, head + 20 + 8 * i, 4);
		l->tables[i] = (struct online_table_spec){ ne, (uint16_t)nf };
	}
	make_header(want, l->tables, nt);
	if (memcmp(want, head, header_size(nt)) != 0) {
		error_set(err, ERR_CORRUPT, "store log '%s': header checksum mismatch", path);
		goto fail;
	}
	l->nt = nt;
	if (log_check_end(l, header_size(nt), err) < 0)
		goto fail;
	memcpy(tables, l->tables, nt * sizeof(*tables));
	*n_tables = nt;
	return l;
fail:
	online_log_close(l);
	return NULL;
}

int online_log_next(struct online_log *l, simtime before,
		    int (*fn)(void *ctx, const struct online_record *r), void *ctx,
		    struct error *err)
{
	int rc;

	for (;;) {
		const struct rec *r;
		struct online_record o;

		if (l->i == l->n) {
			if (l->end)
				return 0;
			l->n = fread(l->buf, sizeof(l->buf[0]), sizeof(l->buf) / sizeof(l->buf[0]),
				     l->f);
			l->i = 0;
			if (l->n == 0) {
				l->end = true;
				if (ferror(l->f))
					return error_set(err, ERR_IO, "cannot read store log '%s': %s",
							 l->path, strerror(errno));
				return 0;
			}
		}
		r = &l->buf[l->i];
		if (rec_special(r, COMPACT_TABLE)) {
			l->compacted_at = r->event_time;
			l->i++;
			continue;
		}
		if (rec_special(r, SEAL_TABLE)) {
			l->end = true;
			l->n = l->i = 0;
			return 0;
		}
		if (r->check != rec_check(r) || r->zero != 0 || r->table >= l->nt ||
		    r->entity >= l->tables[r->table].n_entities ||
		    r->feature >= l->tables[r->table].n_features) {
			l->end = true;   /* a torn tail */
			l->n = l->i = 0;
			if (l->sealed)
				return error_set(err, ERR_CORRUPT, "store log '%s': record %llu fails "
						 "its checks in a sealed log (damage, not a crash)",
						 l->path, (unsigned long long)l->handed + 1);
			return 0;
		}
		if (r->write_time >= before)
			return 0;
		l->i++;
		o = (struct online_record){ r->table, r->entity, r->feature, r->value, r->seq,
					    r->event_time, r->write_time };
		l->handed++;
		if ((rc = fn(ctx, &o)) != 0)
			return rc;
	}
}

uint64_t online_log_records(const struct online_log *l)
{
	return l->handed;
}

bool online_log_sealed(const struct online_log *l, simtime *seal_time)
{
	if (seal_time)
		*seal_time = l->sealed ? l->seal_time : 0;
	return l->sealed;
}

void online_log_damage(const struct online_log *l, uint64_t *good, uint64_t *torn_records,
		       uint64_t *torn_bytes)
{
	*good = l->sealed ? l->file_records : l->good;
	*torn_records = l->sealed ? 0 : l->torn_records;
	*torn_bytes = l->sealed ? 0 : l->torn_bytes;
}

simtime online_log_compacted_at(const struct online_log *l)
{
	return l->compacted_at;
}

void online_log_close(struct online_log *l)
{
	if (!l)
		return;
	if (l->f)
		fclose(l->f);
	free(l->path);
	free(l);
}

struct scan_window {
	simtime from;
	int (*fn)(void *ctx, const struct online_record *r);
	void *ctx;
};

static int scan_one(void *ctx, const struct online_record *r)
{
	const struct scan_window *w = ctx;

	return r->write_time < w->from ? 0 : w->fn(w->ctx, r);
}

int online_log_scan(const char *path, simtime from, simtime to,
		    int (*fn)(void *ctx, const struct online_record *r), void *ctx,
		    struct online_table_spec *tables, size_t *n_tables, struct error *err)
{
	struct online_log *l = online_log_open(path, tables, n_tables, err);
	struct scan_window w = { from, fn, ctx };
	int rc;

	if (!l)
		return err->code;
	rc = online_log_next(l, to, scan_one, &w, err);
	online_log_close(l);
	return rc;
}
