/* The external-ranker protocol's frames, airtime's side; see scorer_wire.h. */
#include "engine/scorer_wire.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* Bulk arrays go out with one memcpy on a little-endian host. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WIRE_LE 1
#else
#define WIRE_LE 0
#endif

void wire_buf_release(struct wire_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static unsigned char *room(struct wire_buf *b, size_t n)
{
	unsigned char *p;

	XGROW(b->p, b->n + n, b->cap);
	p = b->p + b->n;
	b->n += n;
	return p;
}

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void u8(struct wire_buf *b, uint8_t v) { *room(b, 1) = v; }
static void u16(struct wire_buf *b, uint16_t v) { put_le(room(b, 2), v, 2); }
static void u32(struct wire_buf *b, uint32_t v) { put_le(room(b, 4), v, 4); }
static void u64(struct wire_buf *b, uint64_t v) { put_le(room(b, 8), v, 8); }

static void f32(struct wire_buf *b, float v)
{
	uint32_t u;

	memcpy(&u, &v, 4);
	u32(b, u);
}

static void f64(struct wire_buf *b, double v)
{
	uint64_t u;

	memcpy(&u, &v, 8);
	u64(b, u);
}

static void string(struct wire_buf *b, const char *s)
{
	size_t n = strlen(s);

	u32(b, (uint32_t)n);
	memcpy(room(b, n), s, n);
}

/* n floats from src into the frame, little-endian. */
static void f32s(struct wire_buf *b, const float *src, size_t n)
{
	if (n == 0)
		return;   /* src may be NULL: an empty training set */
	if (WIRE_LE) {
		memcpy(room(b, 4 * n), src, 4 * n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		f32(b, src[i]);
}

/* Start a frame of `type` in b: the header, its length patched by end(). */
static void begin(struct wire_buf *b, uint32_t type, uint32_t seq)
{
	b->n = 0;
	memcpy(room(b, 4), "ATRP", 4);
	u16(b, WIRE_VERSION);
	u16(b, (uint16_t)type);
	u32(b, 0);
	u32(b, seq);
}

static void end(struct wire_buf *b)
{
	ASSERT(b->n - WIRE_HEADER <= WIRE_MAX_PAYLOAD);
	put_le(b->p + 8, b->n - WIRE_HEADER, 4);
}

void wire_hello(struct wire_buf *b, uint32_t seq, const struct airtime_schema *s)
{
	begin(b, WIRE_HELLO, seq);
	u32(b, AIRTIME_SCORER_API_VERSION);
	u32(b, s->n_features);
	for (uint32_t i = 0; i < s->n_features; i++) {
		string(b, s->features[i].name);
		u32(b, s->features[i].kind);
	}
	u32(b, s->n_topics);
	u32(b, s->n_users);
	string(b, s->ranker);
	u32(b, s->n_options);
	for (uint32_t i = 0; i < s->n_options; i++) {
		string(b, s->option_keys[i]);
		string(b, s->option_values[i]);
	}
	u64(b, s->seed);
	u32(b, s->world);
	end(b);
}

int wire_fit(struct wire_buf *b, uint32_t seq, const struct airtime_training_set *t,
	     struct error *err)
{
	uint64_t row = 8 + 4 * (uint64_t)t->n_features + 4 + 4 + 4 + 2 +
		       (t->propensities ? 8 : 0);
	uint64_t size = 16 + t->n * row;

	if (size > WIRE_MAX_PAYLOAD)
		return error_set(err, ERR_INPUT,
				 "the training set of %llu rows x %u features is a FIT of %llu bytes, beyond the protocol's 1 GiB frame (at most %llu rows): lower [model] max_rows",
				 (unsigned long long)t->n, t->n_features, (unsigned long long)size,
				 (unsigned long long)((WIRE_MAX_PAYLOAD - 16) / row));
	begin(b, WIRE_FIT, seq);
	u64(b, t->n);
	u32(b, t->n_features);
	u32(b, t->propensities ? 1 : 0);
	for (uint64_t i = 0; i < t->n; i++)
		u64(b, (uint64_t)t->times_us[i]);
	for (uint64_t i = 0; t->propensities && i < t->n; i++)
		f64(b, t->propensities[i]);
	if (t->stride == t->n_features)
		f32s(b, t->features, (size_t)t->n * t->n_features);
	else
		for (uint64_t i = 0; i < t->n; i++)
			f32s(b, t->features + i * t->stride, t->n_features);
	f32s(b, t->labels, (size_t)t->n);
	for (uint64_t i = 0; i < t->n; i++)
		u32(b, t->users[i]);
	for (uint64_t i = 0; i < t->n; i++)
		u32(b, t->shows[i]);
	for (uint64_t i = 0; i < t->n; i++)
		u16(b, t->positions[i]);
	end(b);
	return 0;
}

void wire_score(struct wire_buf *b, uint32_t seq, const struct airtime_page *page,
		uint32_t nf)
{
	const struct airtime_context *c = page->context;
	const struct airtime_candidate *cd = page->candidates;
	uint32_t n = page->n;
	unsigned char *p;

	begin(b, WIRE_SCORE, seq);
	u32(b, 1);   /* n_pages */
	u32(b, c->user);
	u32(b, c->n_declared);
	u64(b, (uint64_t)c->now_us);
	u64(b, c->request_id);
	u32(b, n);
	u32(b, nf);
	/* The candidates' columns, gathered from their structs. */
	p = room(b, (size_t)n * 8);
	for (uint32_t i = 0; i < n; i++)
		put_le(p + 8 * (size_t)i, (uint64_t)cd[i].start_us, 8);
	p = room(b, (size_t)n * 4);
	for (uint32_t i = 0; i < n; i++)
		put_le(p + 4 * (size_t)i, cd[i].show, 4);
	p = room(b, (size_t)n * 4);
	for (uint32_t i = 0; i < n; i++)
		put_le(p + 4 * (size_t)i, cd[i].creator, 4);
	if (page->stride == nf)
		f32s(b, page->features, (size_t)n * nf);
	else
		for (uint32_t i = 0; i < n; i++)
			f32s(b, page->features + (size_t)i * page->stride, nf);
	for (uint32_t i = 0; i < c->n_declared; i++)
		u16(b, c->declared_topics[i]);
	p = room(b, (size_t)n * 2);
	for (uint32_t i = 0; i < n; i++)
		put_le(p + 2 * (size_t)i, cd[i].topic, 2);
	for (uint32_t i = 0; i < n; i++)
		u8(b, cd[i].live);
	end(b);
}

void wire_bye(struct wire_buf *b, uint32_t seq)
{
	begin(b, WIRE_BYE, seq);
	end(b);
}

const char *wire_type_name(uint32_t type, char *buf, size_t n)
{
	switch (type) {
	case WIRE_HELLO: return "HELLO";
	case WIRE_FIT: return "FIT";
	case WIRE_SCORE: return "SCORE";
	case WIRE_BYE: return "BYE";
	case WIRE_READY: return "READY";
	case WIRE_FITTED: return "FITTED";
	case WIRE_SCORES: return "SCORES";
	case WIRE_BYE_REPLY: return "BYE";
	case WIRE_ERROR: return "ERROR";
	default: break;
	}
	snprintf(buf, n, "type %u", type);
	return buf;
}

/* bytes as text for a message: printable ASCII as is, the rest escaped. */
static void quote(const unsigned char *p, size_t len, char *out, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\'' && p[i] != '\\')
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", p[i]);
	}
	out[o] = '\0';
}

int wire_parse_header(const unsigned char h[WIRE_HEADER], struct wire_header *out,
		      struct error *err)
{
	uint32_t version;

	if (memcmp(h, "ATRP", 4)) {
		char q[96];

		quote(h, WIRE_HEADER, q, sizeof(q));
		return error_set(err, ERR_RUN,
				 "bad magic: the ranker wrote '%s' to its standard output, which is the protocol's alone (a stray print?)",
				 q);
	}
	version = (uint32_t)get_le(h + 4, 2);
	out->type = (uint32_t)get_le(h + 6, 2);
	out->length = (uint32_t)get_le(h + 8, 4);
	out->seq = (uint32_t)get_le(h + 12, 4);
	if (version != WIRE_VERSION)
		return error_set(err, ERR_RUN,
				 "the ranker speaks protocol version %u; airtime speaks version %d",
				 version, WIRE_VERSION);
	if (out->length > WIRE_MAX_PAYLOAD)
		return error_set(err, ERR_RUN, "a reply of %u bytes, beyond the 1 GiB frame limit",
				 out->length);
	return 0;
}

/* The ERROR payload's message, one line, cut to WIRE_ERROR_MAX bytes. */
static int error_message(const unsigned char *p, size_t len, char *buf, size_t n)
{
	uint32_t sl;
	size_t take, o = 0;

	if (len < 4 || (sl = (uint32_t)get_le(p, 4)) != len - 4)
		return -1;
	take = sl < WIRE_ERROR_MAX ? sl : WIRE_ERROR_MAX;
	for (size_t i = 0; i < take && o + 1 < n; i++)
		buf[o++] = p[4 + i] == '\n' || p[4 + i] == '\r' || p[4 + i] == '\t' ? ' '
										    : (char)p[4 + i];
	buf[o] = '\0';
	return 0;
}

int wire_check_reply(const struct wire_header *h, const unsigned char *p, uint32_t want,
		     uint32_t seq, struct error *err)
{
	char a[32], b[32], msg[WIRE_ERROR_MAX + 1];

	if (h->type == WIRE_ERROR) {
		if (error_message(p, h->length, msg, sizeof(msg)) < 0)
			return error_set(err, ERR_RUN, "the ranker replied ERROR with a malformed message");
		return error_set(err, ERR_RUN, "the ranker replied ERROR: %s", msg);
	}
	if (h->type != want)
		return error_set(err, ERR_RUN, "the ranker replied %s (%u) to a request for %s (%u)",
				 wire_type_name(h->type, a, sizeof(a)), h->type,
				 wire_type_name(want, b, sizeof(b)), want);
	if (h->seq != seq)
		return error_set(err, ERR_RUN,
				 "the ranker replied %s with sequence number %u to request %u",
				 wire_type_name(h->type, a, sizeof(a)), h->seq, seq);
	return 0;
}

int wire_ready(const unsigned char *p, size_t len, uint32_t *api_version, char **name,
	       struct error *err)
{
	uint32_t sl;

	if (len < 8 || (sl = (uint32_t)get_le(p + 4, 4)) != len - 8)
		return error_set(err, ERR_RUN,
				 "a READY of %zu bytes: expected api_version (u32) and a name (u32 length, bytes) exactly",
				 len);
	*api_version = (uint32_t)get_le(p, 4);
	if (name) {
		*name = xcalloc(sl + 1, 1);
		memcpy(*name, p + 8, sl);
	}
	return 0;
}

int wire_scores(const unsigned char *p, size_t len, uint32_t n, double *out, struct error *err)
{
	uint32_t pages, got;

	if (len < 8)
		return error_set(err, ERR_RUN, "a SCORES of %zu bytes: too short for a page", len);
	pages = (uint32_t)get_le(p, 4);
	got = (uint32_t)get_le(p + 4, 4);
	if (pages != 1)
		return error_set(err, ERR_RUN, "SCORES for %u pages; the request had 1", pages);
	if (got != n)
		return error_set(err, ERR_RUN, "wrong number of scores: %u for %u candidates", got, n);
	if (len != 8 + 8 * (size_t)n)
		return error_set(err, ERR_RUN,
				 "a SCORES of %zu bytes; %u scores take exactly %zu", len, n,
				 8 + 8 * (size_t)n);
	if (WIRE_LE) {
		memcpy(out, p + 8, 8 * (size_t)n);
	} else {
		for (uint32_t i = 0; i < n; i++) {
			uint64_t u = get_le(p + 8 + 8 * (size_t)i, 8);

			memcpy(&out[i], &u, 8);
		}
	}
	return 0;
}

int wire_empty(const unsigned char *p, size_t len, uint32_t type, struct error *err)
{
	char a[32];

	(void)p;
	if (len)
		return error_set(err, ERR_RUN, "a %s with a payload of %zu bytes; it must be empty",
				 wire_type_name(type, a, sizeof(a)), len);
	return 0;
}
