/* The online store's values in a real Redis; see redisstore.h. */
#include "engine/redisstore.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis.h>

#include "common/xalloc.h"

/* Histogram range of a host round trip: a minute. */
#define RT_HIGHEST (INT64_C(60) * 1000000000)

struct redisstore {
	redisContext *c;
	char where[300];
	char prefix[200];          /* "PREFIX:NONCE:" */
	size_t prefix_len;
	size_t pending;
	bool failed;
	char errmsg[1024];
	struct hist write_ns, read_ns;
	struct redisstore_stats st;
	/* Read scratch (grown, then reused: no allocation per read). */
	char *keys;                /* n keys, each up to KEY_MAX chars */
	const char **argv;
	size_t *argvlen;
	size_t cap;
};

#define KEY_MAX 240

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- URL ---- */

static int bad_url(struct error *err, const char *url, const char *why)
{
	return error_set(err, ERR_INPUT, "bad Redis URL '%s': %s (expected "
			 "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB])", url, why);
}

static bool parse_int(const char *s, size_t n, long lo, long hi, int *out)
{
	char buf[16], *end;
	long v;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return false;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

int redisstore_parse_url(const char *url, struct redisstore_url *u, struct error *err)
{
	const char *p = url, *at, *slash, *host_end, *colon = NULL;
	size_t hl;

	memset(u, 0, sizeof(*u));
	u->port = 6379;
	if (strncmp(p, "redis://", 8) != 0)
		return bad_url(err, url, "it must start with redis://");
	p += 8;
	slash = strchr(p, '/');
	at = memchr(p, '@', slash ? (size_t)(slash - p) : strlen(p));
	if (at) {
		const char *c = memchr(p, ':', (size_t)(at - p));
		size_t ul = c ? (size_t)(c - p) : 0, pl = c ? (size_t)(at - c - 1) : (size_t)(at - p);
		const char *pw = c ? c + 1 : p;

		if (ul >= sizeof(u->user) || pl >= sizeof(u->password))
			return bad_url(err, url, "user or password too long");
		memcpy(u->user, p, ul);
		memcpy(u->password, pw, pl);
		p = at + 1;
	}
	host_end = slash ? slash : p + strlen(p);
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(host_end - p));

		if (!rb)
			return bad_url(err, url, "unclosed '[' in the host");
		hl = (size_t)(rb - p - 1);
		if (hl == 0 || hl >= sizeof(u->host))
			return bad_url(err, url, "bad host");
		memcpy(u->host, p + 1, hl);
		if (rb + 1 < host_end) {
			if (rb[1] != ':')
				return bad_url(err, url, "junk after the host");
			colon = rb + 1;
		}
	} else {
		colon = memchr(p, ':', (size_t)(host_end - p));
		hl = (size_t)((colon ? colon : host_end) - p);
		if (hl == 0 || hl >= sizeof(u->host))
			return bad_url(err, url, "missing or too long host");
		memcpy(u->host, p, hl);
	}
	if (colon && !parse_int(colon + 1, (size_t)(host_end - colon - 1), 1, 65535, &u->port))
		return bad_url(err, url, "the port must be 1..65535");
	if (slash && slash[1] && !parse_int(slash + 1, strlen(slash + 1), 0, 1000000, &u->db))
		return bad_url(err, url, "the database must be a number");
	return 0;
}

/* ---- errors ---- */

static int fail(struct redisstore *rs, struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct redisstore *rs, struct error *err, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rs->st.errors++;
	if (!rs->failed) {
		rs->failed = true;
		snprintf(rs->errmsg, sizeof(rs->errmsg), "Redis at %.100s: %.800s", rs->where, msg);
	}
	return error_set(err, ERR_IO, "%s", rs->errmsg);
}

static int refuse(struct redisstore *rs, struct error *err)
{
	rs->st.errors++;
	return error_set(err, ERR_IO, "%s", rs->errmsg);
}

static const char *ctx_error(const redisContext *c)
{
	return c->err ? c->errstr : "unexpected reply";
}

/* Run one command and check its reply type; the reply is freed. */
static int command(struct redisstore *rs, int argc, const char **argv, const size_t *len,
		   int want, struct error *err)
{
	redisReply *r = redisCommandArgv(rs->c, argc, argv, len);
	int rc = 0;

	if (!r)
		return fail(rs, err, "%s failed: %s", argv[0], ctx_error(rs->c));
	if (r->type == REDIS_REPLY_ERROR)
		rc = fail(rs, err, "%s: %s", argv[0], r->str);
	else if (want >= 0 && r->type != want)
		rc = fail(rs, err, "%s: unexpected reply type %d", argv[0], r->type);
	freeReplyObject(r);
	return rc;
}

/* ---- open / free ---- */

struct redisstore *redisstore_open(const char *url, const char *prefix, int timeout_ms,
				   struct error *err)
{
	struct redisstore_url u;
	struct redisstore *rs;
	struct timeval tv;
	struct timespec ts;

	if (redisstore_parse_url(url, &u, err) < 0)
		return NULL;
	if (timeout_ms <= 0)
		timeout_ms = 5000;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	rs = xcalloc(1, sizeof(*rs));
	snprintf(rs->where, sizeof(rs->where), "%s%s%s:%d/%d", strchr(u.host, ':') ? "[" : "",
		 u.host, strchr(u.host, ':') ? "]" : "", u.port, u.db);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(rs->prefix, sizeof(rs->prefix), "%.150s:%lx%lx:", prefix && *prefix ? prefix : "airtime",
		 (unsigned long)getpid(), (unsigned long)(ts.tv_nsec ^ ts.tv_sec));
	rs->prefix_len = strlen(rs->prefix);
	if (hist_init(&rs->write_ns, RT_HIGHEST, 3, err) < 0 ||
	    hist_init(&rs->read_ns, RT_HIGHEST, 3, err) < 0)
		goto fail;
	rs->c = redisConnectWithTimeout(u.host, u.port, tv);
	if (!rs->c || rs->c->err) {
		error_set(err, ERR_IO, "cannot connect to Redis at %s: %s (is redis-server running "
			  "there? see [stream] redis_url)", rs->where,
			  rs->c ? rs->c->errstr : "out of memory");
		goto fail;
	}
	redisSetTimeout(rs->c, tv);
	redisEnableKeepAlive(rs->c);
	if (u.password[0]) {
		const char *argv[3] = { "AUTH", u.user[0] ? u.user : u.password, u.password };
		size_t len[3] = { 4, strlen(argv[1]), strlen(u.password) };

		if (command(rs, u.user[0] ? 3 : 2, argv, len, -1, err) < 0)
			goto fail;
	}
	if (u.db) {
		char db[16];
		const char *argv[2] = { "SELECT", db };
		size_t len[2] = { 6, 0 };

		snprintf(db, sizeof(db), "%d", u.db);
		len[1] = strlen(db);
		if (command(rs, 2, argv, len, -1, err) < 0)
			goto fail;
	}
	{
		const char *argv[1] = { "PING" };
		size_t len[1] = { 4 };

		if (command(rs, 1, argv, len, -1, err) < 0)
			goto fail;
	}
	return rs;
fail:
	/* Nothing was written: no keys to delete. */
	if (rs->c)
		redisFree(rs->c);
	rs->c = NULL;
	redisstore_free(rs);
	return NULL;
}

void redisstore_free(struct redisstore *rs)
{
	if (!rs)
		return;
	if (rs->c) {
		if (!rs->failed) {
			struct error e;

			if (rs->pending)
				redisstore_flush(rs, &e);
			redisstore_clear(rs, &e);
		}
		redisFree(rs->c);
	}
	if (rs->write_ns.counts)
		hist_release(&rs->write_ns);
	if (rs->read_ns.counts)
		hist_release(&rs->read_ns);
	free(rs->keys);
	free(rs->argv);
	free(rs->argvlen);
	free(rs);
}

/* ---- writes ---- */

static size_t make_key(const struct redisstore *rs, char *out, int table, uint32_t entity)
{
	int k = snprintf(out, KEY_MAX, "%s%d:%u", rs->prefix, table, entity);

	return (size_t)k;
}

static void put_cell(unsigned char *cell, float value, simtime stored_at)
{
	uint32_t v, magic = REDISSTORE_CELL_MAGIC;
	uint64_t t = (uint64_t)stored_at;

	memcpy(&v, &value, 4);
	for (int i = 0; i < 4; i++) {
		cell[i] = (unsigned char)(v >> (8 * i));
		cell[4 + i] = (unsigned char)(magic >> (8 * i));
	}
	for (int i = 0; i < 8; i++)
		cell[8 + i] = (unsigned char)(t >> (8 * i));
}

/* 1 when the cell holds a value (value, stored_at filled). */
static int get_cell(const unsigned char *cell, float *value, simtime *stored_at)
{
	uint32_t v = 0, magic = 0;
	uint64_t t = 0;

	for (int i = 0; i < 4; i++) {
		v |= (uint32_t)cell[i] << (8 * i);
		magic |= (uint32_t)cell[4 + i] << (8 * i);
	}
	if (magic != REDISSTORE_CELL_MAGIC)
		return 0;
	for (int i = 0; i < 8; i++)
		t |= (uint64_t)cell[8 + i] << (8 * i);
	memcpy(value, &v, 4);
	*stored_at = (simtime)t;
	return 1;
}

void redisstore_stage(struct redisstore *rs, int table, uint32_t entity, int feature,
		      float value, simtime stored_at)
{
	char key[KEY_MAX], off[24];
	unsigned char cell[REDISSTORE_CELL];
	const char *argv[4] = { "SETRANGE", key, off, (const char *)cell };
	size_t len[4] = { 8, 0, 0, REDISSTORE_CELL };

	if (rs->failed)
		return;
	len[1] = make_key(rs, key, table, entity);
	len[2] = (size_t)snprintf(off, sizeof(off), "%d", feature * REDISSTORE_CELL);
	put_cell(cell, value, stored_at);
	if (redisAppendCommandArgv(rs->c, 4, argv, len) != REDIS_OK) {
		fail(rs, NULL, "staging SETRANGE failed: %s", ctx_error(rs->c));
		return;
	}
	rs->pending++;
	rs->st.staged++;
}

size_t redisstore_pending(const struct redisstore *rs)
{
	return rs->pending;
}

int redisstore_flush(struct redisstore *rs, struct error *err)
{
	int64_t t0;
	int rc = 0;

	if (rs->failed)
		return refuse(rs, err);
	if (rs->pending == 0)
		return 0;
	t0 = now_ns();
	/* The first reply waits for the whole buffer to go out. */
	while (rs->pending > 0) {
		redisReply *r = NULL;

		if (redisGetReply(rs->c, (void **)&r) != REDIS_OK || !r)
			return fail(rs, err, "pipeline of SETRANGE failed: %s", ctx_error(rs->c));
		rs->pending--;
		if (r->type != REDIS_REPLY_INTEGER && rc == 0)
			rc = fail(rs, err, "SETRANGE: %s",
				  r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		freeReplyObject(r);
	}
	if (rc == 0) {
		int64_t dt = now_ns() - t0;

		hist_record(&rs->write_ns, dt > 0 ? dt : 0);
		rs->st.flushes++;
	}
	return rc;
}

/* ---- reads ---- */

static void grow(struct redisstore *rs, size_t n)
{
	if (n <= rs->cap)
		return;
	rs->cap = n + n / 2 + 16;
	rs->keys = xreallocarray(rs->keys, rs->cap, KEY_MAX);
	rs->argv = xreallocarray(rs->argv, rs->cap + 1, sizeof(*rs->argv));
	rs->argvlen = xreallocarray(rs->argvlen, rs->cap + 1, sizeof(*rs->argvlen));
}

int redisstore_read(struct redisstore *rs, int table, const uint32_t *entities, size_t n,
		    int nf, float *values, simtime *stored_at, struct error *err)
{
	redisReply *r;
	int64_t t0, dt;
	int rc = 0;

	for (size_t i = 0; i < n * (size_t)nf; i++) {
		values[i] = NAN;
		stored_at[i] = INT64_MIN;
	}
	if (rs->failed)
		return refuse(rs, err);
	if (n == 0)
		return 0;
	if (rs->pending && (rc = redisstore_flush(rs, err)) < 0)
		return rc;
	grow(rs, n);
	rs->argv[0] = "MGET";
	rs->argvlen[0] = 4;
	for (size_t i = 0; i < n; i++) {
		char *k = rs->keys + i * KEY_MAX;

		rs->argvlen[i + 1] = make_key(rs, k, table, entities[i]);
		rs->argv[i + 1] = k;
	}
	t0 = now_ns();
	r = redisCommandArgv(rs->c, (int)n + 1, rs->argv, rs->argvlen);
	dt = now_ns() - t0;
	if (!r)
		return fail(rs, err, "MGET of %zu keys failed: %s", n, ctx_error(rs->c));
	if (r->type != REDIS_REPLY_ARRAY || r->elements != n) {
		rc = fail(rs, err, "MGET of %zu keys: %s", n,
			  r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		goto out;
	}
	hist_record(&rs->read_ns, dt > 0 ? dt : 0);
	rs->st.reads++;
	rs->st.read_keys += n;
	for (size_t i = 0; i < n; i++) {
		const redisReply *e = r->element[i];

		if (e->type != REDIS_REPLY_STRING)
			continue;   /* nil: never written */
		rs->st.read_bytes += e->len;
		for (int f = 0; f < nf && (size_t)(f + 1) * REDISSTORE_CELL <= e->len; f++)
			get_cell((const unsigned char *)e->str + (size_t)f * REDISSTORE_CELL,
				 &values[i * (size_t)nf + (size_t)f],
				 &stored_at[i * (size_t)nf + (size_t)f]);
	}
out:
	freeReplyObject(r);
	return rc;
}

/* ---- keys ---- */

/* SCAN this store's keys; with del, delete each batch.  Keys seen. */
static int64_t scan_keys(struct redisstore *rs, bool del, struct error *err)
{
	char cursor[32] = "0", match[KEY_MAX + 2];
	int64_t seen = 0;

	if (rs->failed)
		return refuse(rs, err);
	if (rs->pending && redisstore_flush(rs, err) < 0)
		return err->code;
	snprintf(match, sizeof(match), "%s*", rs->prefix);
	do {
		const char *argv[6] = { "SCAN", cursor, "MATCH", match, "COUNT", "1000" };
		size_t len[6] = { 4, strlen(cursor), 5, strlen(match), 5, 4 };
		redisReply *r = redisCommandArgv(rs->c, 6, argv, len);
		const redisReply *keys;

		if (!r)
			return fail(rs, err, "SCAN failed: %s", ctx_error(rs->c));
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return fail(rs, err, "SCAN: unexpected reply");
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		keys = r->element[1];
		seen += (int64_t)keys->elements;
		if (del && keys->elements) {
			const char **av = xcalloc(keys->elements + 1, sizeof(*av));
			size_t *al = xcalloc(keys->elements + 1, sizeof(*al));
			int rc;

			av[0] = "DEL";
			al[0] = 3;
			for (size_t i = 0; i < keys->elements; i++) {
				av[i + 1] = keys->element[i]->str;
				al[i + 1] = keys->element[i]->len;
			}
			rc = command(rs, (int)keys->elements + 1, av, al, REDIS_REPLY_INTEGER, err);
			free(av);
			free(al);
			if (rc < 0) {
				freeReplyObject(r);
				return rc;
			}
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return seen;
}

int redisstore_clear(struct redisstore *rs, struct error *err)
{
	int64_t n = scan_keys(rs, true, err);

	return n < 0 ? (int)n : 0;
}

int64_t redisstore_count_keys(struct redisstore *rs, struct error *err)
{
	return scan_keys(rs, false, err);
}

const struct hist *redisstore_write_ns(const struct redisstore *rs) { return &rs->write_ns; }
const struct hist *redisstore_read_ns(const struct redisstore *rs) { return &rs->read_ns; }
const struct redisstore_stats *redisstore_stats(const struct redisstore *rs) { return &rs->st; }
const char *redisstore_error(const struct redisstore *rs) { return rs->errmsg; }
bool redisstore_failed(const struct redisstore *rs) { return rs->failed; }
const char *redisstore_where(const struct redisstore *rs) { return rs->where; }
