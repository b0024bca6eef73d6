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
};

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
	t->value[cell] = value;
	t->etime[cell] = et;
	t->seq[cell] = seq;
	t->wtime[cell] = now;
	(void)o;
	return 0;
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
		if (r.check != rec_check(&r) || r.zero != 0 || r.table >= o->n_tables ||
		    r.entity >= o->t[r.table].n_entities || r.feature >= o->t[r.table].nf)
			break;
		good++;
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
	return 0;
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
};

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
		if (r->check != rec_check(r) || r->zero != 0 || r->table >= l->nt ||
		    r->entity >= l->tables[r->table].n_entities ||
		    r->feature >= l->tables[r->table].n_features) {
			l->end = true;   /* a torn tail */
			l->n = l->i = 0;
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
