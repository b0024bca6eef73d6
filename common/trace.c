/* Trace files (binary and CSV); see trace.h. */
#include "common/trace.h"

#include "common/csv.h"
#include "common/idmap.h"
#include "common/units.h"
#include "common/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/file.h>
#include <unistd.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "AIRTRACE"
#define VERSION 1u
#define ENDIAN_MARK 0x01020304u
#define HEADER_SIZE 64
#define CHUNK 4096   /* records per buffered read */

static const char *const source_names[] = {"none", "home", "notification", "promo", "trace"};
#define N_SOURCES (sizeof(source_names) / sizeof(source_names[0]))

static const char *const columns[] = {
	"id", "emit_time_us", "type", "user", "show", "creator",
	"session", "topic", "position", "source", "value",
};
#define N_COLUMNS (sizeof(columns) / sizeof(columns[0]))

struct trace_writer {
	enum trace_format fmt;
	FILE *f;
	char *path, *tmp;
	uint64_t count, hash;
	struct error first;   /* first failure seen by trace_writer_emit */
	bool failed;
};

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ULL;
	return h;
}

#define FNV_INIT 1469598103934665603ULL

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void make_header(unsigned char *h, uint64_t count, uint64_t hash)
{
	memset(h, 0, HEADER_SIZE);
	memcpy(h, MAGIC, 8);
	put32(h + 8, VERSION);
	put32(h + 12, ENDIAN_MARK);
	put32(h + 16, (uint32_t)sizeof(struct event));
	put64(h + 24, count);
	put64(h + 32, hash);
}

struct trace_writer *trace_writer_open(const char *path, enum trace_format fmt,
				       struct error *err)
{
	struct trace_writer *tw = xcalloc(1, sizeof(*tw));

	tw->fmt = fmt;
	tw->path = xstrdup(path);
	tw->tmp = xasprintf("%s.tmp", path);
	tw->hash = FNV_INIT;
	/* PATH.tmp is locked while written: a live export's is refused, a
	 * dead one's (a kill leaves it) is taken over and replaced. */
	{
		int fd = open(tw->tmp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
			close(fd);
			error_set(err, ERR_INPUT, "trace '%s' is being written by another process "
				  "(its '%s' is locked)", path, tw->tmp);
			free(tw->path);
			free(tw->tmp);
			free(tw);
			return NULL;
		}
		if (fd >= 0 && ftruncate(fd, 0) == 0)
			tw->f = fdopen(fd, "wb");
		else if (fd >= 0)
			close(fd);
	}
	if (!tw->f) {
		error_set(err, ERR_IO, "cannot write trace '%s': %s", tw->tmp, strerror(errno));
		free(tw->path);
		free(tw->tmp);
		free(tw);
		return NULL;
	}
	if (fmt == TRACE_BINARY) {
		unsigned char h[HEADER_SIZE];

		make_header(h, 0, 0);
		if (fwrite(h, 1, sizeof(h), tw->f) != sizeof(h)) {
			error_set(err, ERR_IO, "cannot write trace '%s': %s", tw->tmp, strerror(errno));
			trace_writer_abort(tw);
			return NULL;
		}
	} else if (fprintf(tw->f, "%s\n", TRACE_CSV_HEADER) < 0) {
		error_set(err, ERR_IO, "cannot write trace '%s': %s", tw->tmp, strerror(errno));
		trace_writer_abort(tw);
		return NULL;
	}
	return tw;
}

static int put_opt(char *buf, size_t size, uint64_t v, uint64_t none)
{
	return v == none ? snprintf(buf, size, ",") : snprintf(buf, size, ",%" PRIu64, v);
}

int trace_csv_row(const struct event *ev, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%" PRIu64 ",%" PRId64 ",%s", ev->id, ev->emit_time,
			 event_type_name(ev->type));
	const uint64_t vals[] = {ev->user, ev->show, ev->creator, ev->session, ev->topic, ev->position};
	const uint64_t nones[] = {EVENT_NONE, EVENT_NONE, EVENT_NONE, EVENT_NONE, UINT16_MAX, UINT16_MAX};

	for (size_t i = 0; i < 6; i++)
		n += put_opt(buf + ((size_t)n < size ? (size_t)n : size),
			     (size_t)n < size ? size - (size_t)n : 0, vals[i], nones[i]);
	n += snprintf(buf + ((size_t)n < size ? (size_t)n : size),
		      (size_t)n < size ? size - (size_t)n : 0, ",%s,%" PRId64,
		      ev->source < N_SOURCES ? source_names[ev->source] : "none", ev->value);
	return n;
}

int trace_writer_add(struct trace_writer *tw, const struct event *ev, struct error *err)
{
	if (tw->fmt == TRACE_BINARY) {
		if (fwrite(ev, sizeof(*ev), 1, tw->f) != 1)
			return error_set(err, ERR_IO, "cannot write trace '%s': %s", tw->tmp,
					 strerror(errno));
		tw->hash = fnv1a(tw->hash, ev, sizeof(*ev));
	} else {
		char row[512];

		trace_csv_row(ev, row, sizeof(row));
		if (fprintf(tw->f, "%s\n", row) < 0)
			return error_set(err, ERR_IO, "cannot write trace '%s': %s", tw->tmp,
					 strerror(errno));
	}
	tw->count++;
	return 0;
}

void trace_writer_emit(void *ctx, const struct event *ev)
{
	struct trace_writer *tw = ctx;

	if (tw->failed)
		return;
	if (trace_writer_add(tw, ev, &tw->first) != 0)
		tw->failed = true;
}

uint64_t trace_writer_count(const struct trace_writer *tw)
{
	return tw->count;
}

void trace_writer_abort(struct trace_writer *tw)
{
	if (!tw)
		return;
	if (tw->f)
		fclose(tw->f);
	remove(tw->tmp);
	free(tw->path);
	free(tw->tmp);
	free(tw);
}

int trace_writer_close(struct trace_writer *tw, struct error *err)
{
	int rc = 0;

	if (tw->failed) {
		rc = error_set(err, tw->first.code, "%s", tw->first.msg);
		goto out_abort;
	}
	if (tw->fmt == TRACE_BINARY) {
		unsigned char h[HEADER_SIZE];

		make_header(h, tw->count, tw->hash);
		if (fseek(tw->f, 0, SEEK_SET) != 0 || fwrite(h, 1, sizeof(h), tw->f) != sizeof(h)) {
			rc = error_set(err, ERR_IO, "cannot write trace '%s': %s", tw->tmp, strerror(errno));
			goto out_abort;
		}
	}
	if (fclose(tw->f) != 0) {
		tw->f = NULL;
		rc = error_set(err, ERR_IO, "cannot write trace '%s': %s", tw->tmp, strerror(errno));
		goto out_abort;
	}
	tw->f = NULL;
	if (rename(tw->tmp, tw->path) != 0) {
		rc = error_set(err, ERR_IO, "cannot rename '%s' to '%s': %s", tw->tmp, tw->path,
			       strerror(errno));
		goto out_abort;
	}
	free(tw->path);
	free(tw->tmp);
	free(tw);
	return 0;

out_abort:
	trace_writer_abort(tw);
	return rc;
}

/* ---- reading ---- */

static void report_problem(struct trace_report *rep, const char *path, uint64_t row,
			   const char *column, const char *what)
{
	if (rep->n_messages < TRACE_MAX_MESSAGES)
		snprintf(rep->messages[rep->n_messages++], sizeof(rep->messages[0]),
			 "%s:%" PRIu64 ": column '%s': %s", path, row, column, what);
}

static int check_fields(const struct event *ev, const char **why);
static int check_order(const struct event *ev, uint64_t last_id, simtime last_time,
		       const char **why);

/* The record count a binary trace of `size` bytes has room for. */
static uint64_t binary_room(uint64_t size)
{
	return size < HEADER_SIZE ? 0 : (size - HEADER_SIZE) / sizeof(struct event);
}

/* A binary trace: the header checked field by field (ERR_INPUT naming the
 * file and the field, so a bad header is exit 2), the count against the
 * file's size without overflow, then a first pass over the records
 * (checksum, and the field and order checks CSV rows get: bad records are
 * counted and named by record number) and, only when all of that passed,
 * a second pass handing them on. */
static int read_binary(FILE *f, const char *path, int (*fn)(void *, const struct event *),
		       void *ctx, struct trace_report *rep, struct error *err)
{
	unsigned char h[HEADER_SIZE];
	struct event *buf;
	uint64_t count, want, hash = FNV_INIT, seen = 0, last_id = 0;
	long size;
	int rc = 0;

	if (fread(h, 1, sizeof(h), f) != sizeof(h) || memcmp(h, MAGIC, 8) != 0)
		return error_set(err, ERR_INPUT, "'%s': not an airtime trace (bad header: field "
				 "'magic', or shorter than the %d-byte header)", path, HEADER_SIZE);
	if (get32(h + 8) != VERSION)
		return error_set(err, ERR_INPUT, "'%s': bad trace header: field 'version' is %u, "
				 "expected %u", path, get32(h + 8), VERSION);
	if (get32(h + 12) != ENDIAN_MARK)
		return error_set(err, ERR_INPUT, "'%s': bad trace header: field 'endian mark' is "
				 "0x%08x (a host with another byte order?)", path, get32(h + 12));
	if (get32(h + 16) != sizeof(struct event))
		return error_set(err, ERR_INPUT, "'%s': bad trace header: field 'record size' is "
				 "%u, expected %zu", path, get32(h + 16), sizeof(struct event));
	count = get64(h + 24);
	want = get64(h + 32);
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0)
		return error_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
	/* count * 48 may wrap (2^60 + n did): compare counts, not bytes. */
	if (count != binary_room((uint64_t)size) ||
	    (uint64_t)size != HEADER_SIZE + binary_room((uint64_t)size) * sizeof(struct event))
		return error_set(err, ERR_INPUT, "'%s': bad trace header: field 'record count' is "
				 "%" PRIu64 ", the file's %ld bytes hold %" PRIu64 " records%s", path,
				 count, size, binary_room((uint64_t)size),
				 (uint64_t)size == HEADER_SIZE + binary_room((uint64_t)size) *
				 sizeof(struct event) ? "" : " and a partial one");
	buf = xcalloc(CHUNK, sizeof(*buf));
	/* First pass: checksum and field checks; second: deliver.  Nothing is
	 * handed on from a file that fails either. */
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		if (fseek(f, HEADER_SIZE, SEEK_SET) != 0) {
			rc = error_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		for (seen = 0; seen < count && rc == 0;) {
			size_t n = count - seen < CHUNK ? (size_t)(count - seen) : CHUNK;

			if (fread(buf, sizeof(*buf), n, f) != n) {
				rc = error_set(err, ERR_IO, "cannot read '%s': short read", path);
				break;
			}
			for (size_t i = 0; i < n && rc == 0; i++) {
				if (pass == 0) {
					const char *why = NULL;
					int col;

					hash = fnv1a(hash, &buf[i], sizeof(buf[i]));
					rep->rows++;
					/* ids increase as in CSV; times may not (a binary
					 * trace may be written out of time order: the
					 * replay sorts it) */
					col = check_fields(&buf[i], &why);
					if (col < 0)
						col = check_order(&buf[i], last_id, INT64_MIN, &why);
					if (col >= 0) {
						rep->malformed++;
						if (rep->n_messages < TRACE_MAX_MESSAGES)
							snprintf(rep->messages[rep->n_messages++],
								 sizeof(rep->messages[0]),
								 "%s: record %" PRIu64 ": field '%s': %s",
								 path, seen + i + 1, columns[col], why);
						continue;
					}
					last_id = buf[i].id;
					continue;
				}
				rc = fn ? fn(ctx, &buf[i]) : 0;
				if (rc == 0)
					rep->accepted++;
			}
			seen += n;
		}
		if (pass == 0 && rc == 0 && hash != want)
			rc = error_set(err, ERR_CORRUPT, "'%s': checksum mismatch (file damaged)", path);
		else if (pass == 0 && rc == 0 && rep->malformed > 0)
			rc = error_set(err, ERR_INPUT, "%s: %" PRIu64 " malformed record%s of %" PRIu64
				       " (first: %s)", path, rep->malformed,
				       rep->malformed == 1 ? "" : "s", rep->rows, rep->messages[0]);
	}
	free(buf);
	return rc;
}

/* Parse an unsigned field; empty means `none` when allow_empty. */
static const char *parse_u(const char *s, uint64_t max, bool allow_empty, uint64_t none,
			   uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s == '\0') {
		if (!allow_empty)
			return "empty (a number is required)";
		*out = none;
		return NULL;
	}
	if (*s == '-' || *s == '+' || *s == ' ')
		return "not a non-negative integer";
	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || *end != '\0')
		return "not a non-negative integer";
	if (errno == ERANGE || v > max)
		return "out of range";
	*out = v;
	return NULL;
}

static const char *parse_i(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (*s == '\0' || *s == ' ')
		return "not an integer";
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0')
		return "not an integer";
	if (errno == ERANGE)
		return "out of range";
	*out = v;
	return NULL;
}

/* The field checks every event of a trace passes, binary or CSV (the CSV
 * syntax is parse_row's): id > 0, a non-negative time, a known type and
 * source, zero padding.  The ids of users, shows, creators and sessions
 * are any 32-bit value (EVENT_NONE: not applicable); how large a world
 * they imply is the replay's check (eval/replay.c).  Returns the failing
 * column and message, or -1. */
static int check_fields(const struct event *ev, const char **why)
{
	if (ev->id == 0) {
		*why = "id must be > 0";
		return 0;
	}
	if (ev->emit_time < 0) {
		*why = "negative emit time";
		return 1;
	}
	if (ev->type == 0 || ev->type >= EVENT_TYPE_COUNT) {
		*why = "unknown event type";
		return 2;
	}
	if (ev->source >= N_SOURCES) {
		*why = "unknown source (none|home|notification|promo|trace)";
		return 9;
	}
	if (ev->pad[0] || ev->pad[1]) {
		*why = "padding bytes are not zero";
		return 10;
	}
	return -1;
}

/* The order checks: ids strictly increasing, times never decreasing. */
static int check_order(const struct event *ev, uint64_t last_id, simtime last_time,
		       const char **why)
{
	if (ev->id <= last_id) {
		*why = "id not increasing";
		return 0;
	}
	if (ev->emit_time < last_time) {
		*why = "emit time goes backwards";
		return 1;
	}
	return -1;
}

/* How the CSV being read is laid out and mapped. */
struct csv_read {
	const struct trace_options *opts;   /* NULL: the plain format */
	struct trace_ids *ids;
	bool absolute;                      /* column 2 is emit_time */
	size_t columns;                     /* 11, or 13 with the propensities */
};

/* Digits s[0..n) as a number; false unless all are digits. */
static bool digits(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Fraction digits after a '.', as microseconds (extra digits truncated). */
static const char *fraction_us(const char *s, int64_t *us)
{
	int64_t v = 0, scale = 100000;

	*us = 0;
	if (*s != '.')
		return s;
	s++;
	if (*s < '0' || *s > '9')
		return NULL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v += (*s - '0') * scale;
		scale /= 10;
	}
	*us = v;
	return s;
}

/* An absolute time: ISO 8601 (date, 'T' or ' ', time, optional fraction,
 * 'Z' or an offset; no zone means UTC) or seconds since 1970; microseconds
 * since 1970-01-01 UTC. */
static const char *parse_absolute(const char *s, int64_t *unix_us)
{
	int64_t y, mo, d, h, mi, sec, frac, off = 0;
	const char *p;

	if (strlen(s) >= 10 && s[4] == '-' && s[7] == '-') {
		if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
		    mo < 1 || mo > 12 || d < 1 || d > 31)
			return "not an ISO 8601 date and time (e.g. 2022-05-02T20:15:03Z)";
		p = s + 10;
		h = mi = sec = frac = 0;
		if (*p == 'T' || *p == ' ') {
			if (strlen(p) < 9 || p[3] != ':' || p[6] != ':' || !digits(p + 1, 2, &h) ||
			    !digits(p + 4, 2, &mi) || !digits(p + 7, 2, &sec) || h > 23 || mi > 59 ||
			    sec > 60)
				return "not an ISO 8601 date and time (e.g. 2022-05-02T20:15:03Z)";
			if (!(p = fraction_us(p + 9, &frac)))
				return "bad fraction of a second";
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int64_t oh, om;
			int sign = *p == '-' ? -1 : 1;

			if (strlen(p) == 6 && p[3] == ':' && digits(p + 1, 2, &oh) && digits(p + 4, 2, &om))
				p += 6;
			else if (strlen(p) == 5 && digits(p + 1, 2, &oh) && digits(p + 3, 2, &om))
				p += 5;
			else
				return "bad UTC offset (expected Z, +HH:MM or -HH:MM)";
			off = sign * (oh * 3600 + om * 60) * 1000000LL;
		}
		if (*p)
			return "not an ISO 8601 date and time (e.g. 2022-05-02T20:15:03Z)";
		*unix_us = units_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400000000LL +
			   ((h * 60 + mi) * 60 + sec) * 1000000LL + frac - off;
		return NULL;
	}
	p = s;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p == s || p - s > 12 || !digits(s, (size_t)(p - s), &sec))
		return "not an absolute time: ISO 8601 (2022-05-02T20:15:03Z) or seconds since 1970";
	if (!(p = fraction_us(p, &frac)) || *p)
		return "not an absolute time: ISO 8601 (2022-05-02T20:15:03Z) or seconds since 1970";
	*unix_us = sec * 1000000LL + frac;
	return NULL;
}

/* A propensity column: empty, or a probability in (0, 1]. */
static const char *parse_prob(const char *s, double *out)
{
	char *end;
	double v;

	*out = NAN;
	if (*s == '\0')
		return NULL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno == ERANGE || !(v > 0 && v <= 1))
		return "not a probability in (0, 1]";
	*out = v;
	return NULL;
}

/* An id column read through the trace's map (text allowed). */
static void map_id(struct csv_read *c, enum trace_id_kind k, const char *s, uint32_t none,
		   uint32_t *out)
{
	if (*s == '\0') {
		*out = none;
		return;
	}
	if (!c->ids->map[k])
		c->ids->map[k] = idmap_new();
	*out = idmap_get(c->ids->map[k], s, strlen(s));
}

/* Validate one CSV row; returns the failing column index and message, or
 * -1. */
static int parse_row(const struct csv_record *rec, struct event *ev, const char **why,
		     struct csv_read *c)
{
	const char *const *f = rec->field;
	uint64_t u;
	int64_t i;
	int t;
	static char msg[64];

	if (rec->nul) {
		*why = "NUL byte in row";
		return 0;
	}
	if (rec->n > c->columns) {
		snprintf(msg, sizeof(msg), "too many columns (expected %zu)", c->columns);
		*why = msg;
		return (int)c->columns - 1;
	}
	if (rec->n < c->columns) {
		snprintf(msg, sizeof(msg), "missing (expected %zu columns)", c->columns);
		*why = msg;
		return (int)rec->n;
	}
	memset(ev, 0, sizeof(*ev));
	if ((*why = parse_u(f[0], UINT64_MAX, false, 0, &u)) != NULL)
		return 0;
	if (u == 0) {
		*why = "id must be > 0";
		return 0;
	}
	ev->id = u;
	if (c->absolute) {
		int64_t us;

		if ((*why = parse_absolute(f[1], &us)) != NULL)
			return 1;
		i = us - c->opts->epoch_day * 86400000000LL;
		if (i < 0) {
			*why = "before the scenario's start date (midnight UTC of [run] start_date)";
			return 1;
		}
	} else {
		if ((*why = parse_i(f[1], &i)) != NULL)
			return 1;
		if (i < 0) {
			*why = "negative time";
			return 1;
		}
	}
	ev->emit_time = i;
	if ((t = event_type_from_name(f[2])) < 0) {
		*why = "unknown event type";
		return 2;
	}
	ev->type = (uint8_t)t;
	if (c->ids) {
		uint32_t topic;

		map_id(c, TRACE_ID_USER, f[3], EVENT_NONE, &ev->user);
		map_id(c, TRACE_ID_SHOW, f[4], EVENT_NONE, &ev->show);
		map_id(c, TRACE_ID_CREATOR, f[5], EVENT_NONE, &ev->creator);
		map_id(c, TRACE_ID_SESSION, f[6], EVENT_NONE, &ev->session);
		map_id(c, TRACE_ID_TOPIC, f[7], UINT16_MAX, &topic);
		if (topic != UINT16_MAX && topic >= UINT16_MAX - 1) {
			*why = "more than 65534 distinct topics";
			return 7;
		}
		ev->topic = (uint16_t)topic;
	} else {
		for (int col = 3; col <= 6; col++) {
			if ((*why = parse_u(f[col], EVENT_NONE - 1, true, EVENT_NONE, &u)) != NULL)
				return col;
			if (col == 3) ev->user = (uint32_t)u;
			if (col == 4) ev->show = (uint32_t)u;
			if (col == 5) ev->creator = (uint32_t)u;
			if (col == 6) ev->session = (uint32_t)u;
		}
		if ((*why = parse_u(f[7], UINT16_MAX - 1, true, UINT16_MAX, &u)) != NULL)
			return 7;
		ev->topic = (uint16_t)u;
	}
	if ((*why = parse_u(f[8], UINT16_MAX - 1, true, UINT16_MAX, &u)) != NULL)
		return 8;
	ev->position = (uint16_t)u;
	*why = "unknown source (none|home|notification|promo|trace)";
	for (size_t s = 0; s < N_SOURCES; s++)
		if (strcmp(f[9], source_names[s]) == 0) {
			ev->source = (uint8_t)s;
			*why = NULL;
		}
	if (*why)
		return 9;
	if ((*why = parse_i(f[10], &i)) != NULL)
		return 10;
	ev->value = i;
	if (c->columns == 13) {
		double pc, pm;

		if ((*why = parse_prob(f[11], &pc)) != NULL)
			return 11;
		if ((*why = parse_prob(f[12], &pm)) != NULL)
			return 12;
		if (!isnan(pc) || !isnan(pm)) {
			if (ev->type != EVENT_IMPRESSION) {
				*why = "propensities on an event that is not an impression";
				return 11;
			}
			if (isnan(pc)) {
				*why = "a marginal propensity without the conditional one";
				return 11;
			}
			ev->value = event_pack_propensities(pc, pm);
		}
	}
	return check_fields(ev, why);
}

/* The header: the plain one, or with emit_time (absolute times, with
 * options) and/or the two propensity columns. */
static int parse_header(const struct csv_record *rec, struct csv_read *c, const char *path,
			struct error *err)
{
	static const char *const extra = ",propensity,propensity_marginal";
	const char *base_rel = TRACE_CSV_HEADER;
	char abs_header[sizeof(TRACE_CSV_HEADER)], want[256], line[256];
	size_t len = 0, el = strlen(extra);

	line[0] = '\0';
	for (size_t i = 0; i < rec->n && !rec->nul && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s", i ? "," : "",
					rec->field[i]);
	if (len >= sizeof(line))
		len = 0;   /* longer than any header: a bad one */

	snprintf(abs_header, sizeof(abs_header), "%s", "id,emit_time,type,user,show,creator,"
		 "session,topic,position,source,value");
	c->columns = 11;
	c->absolute = false;
	if (len > el && !strcmp(line + len - el, extra)) {
		c->columns = 13;
		len -= el;
	}
	if (len == strlen(base_rel) && !strncmp(line, base_rel, len))
		return 0;
	if (len == strlen(abs_header) && !strncmp(line, abs_header, len)) {
		if (!c->opts)
			return error_set(err, ERR_INPUT, "%s:1: absolute times (column emit_time) need "
					 "the scenario's start date: replay the trace with airtime run "
					 "SCENARIO --trace", path);
		c->absolute = true;
		return 0;
	}
	snprintf(want, sizeof(want), "%s", TRACE_CSV_HEADER);
	return error_set(err, ERR_INPUT, "%s:1: bad header (expected '%s', with emit_time for "
			 "absolute times, optionally followed by '%s')", path, want, extra + 1);
}

static int read_csv(FILE *f, const char *path, int (*fn)(void *, const struct event *),
		    void *ctx, struct trace_report *rep, struct csv_read *c, struct error *err)
{
	static const char *const extra_names[] = { "propensity", "propensity_marginal" };
	struct csv_reader *r = csv_reader_new(f, path, 0);
	struct csv_record rec;
	uint64_t last_id = 0;
	simtime last_time = 0;
	int rc = 0, s;

	if ((s = csv_reader_next(r, &rec, err)) <= 0) {
		if (s == 0)
			rc = error_set(err, ERR_INPUT, "%s:1: empty file (expected the header '%s')",
				       path, TRACE_CSV_HEADER);
		else
			rc = s;
		csv_reader_free(r);
		return rc;
	}
	if ((rc = parse_header(&rec, c, path, err)) < 0) {
		csv_reader_free(r);
		return rc;
	}
	if (c->ids)
		c->ids->absolute_times = c->absolute;
	while ((s = csv_reader_next(r, &rec, err)) == 1) {
		struct event ev;
		const char *why = NULL;
		int col;

		rep->rows++;
		col = parse_row(&rec, &ev, &why, c);
		if (col < 0)
			col = check_order(&ev, last_id, last_time, &why);
		if (col >= 0) {
			rep->malformed++;
			report_problem(rep, path, rec.line,
				       col == 1 && c->absolute ? "emit_time"
				       : col >= (int)N_COLUMNS ? extra_names[col - (int)N_COLUMNS]
							       : columns[col], why);
			continue;
		}
		last_id = ev.id;
		last_time = ev.emit_time;
		if (fn && (rc = fn(ctx, &ev)) != 0)
			break;
		rep->accepted++;
	}
	if (rc == 0 && s < 0)
		rc = s;
	csv_reader_free(r);
	if (rc == 0 && rep->malformed > 0)
		rc = error_set(err, ERR_INPUT, "%s: %" PRIu64 " malformed row%s of %" PRIu64
			       " (first: %s)", path, rep->malformed, rep->malformed == 1 ? "" : "s",
			       rep->rows, rep->messages[0]);
	return rc;
}

int trace_read(const char *path, int (*fn)(void *ctx, const struct event *ev), void *ctx,
	       struct trace_report *rep, struct error *err)
{
	return trace_read_ext(path, NULL, fn, ctx, rep, NULL, err);
}

int trace_read_ext(const char *path, const struct trace_options *opts,
		   int (*fn)(void *ctx, const struct event *ev), void *ctx,
		   struct trace_report *rep, struct trace_ids *ids, struct error *err)
{
	struct csv_read c = { opts, opts && opts->map_ids ? ids : NULL, false, N_COLUMNS };
	struct trace_report local;
	char magic[8];
	FILE *f;
	int rc;

	if (!rep)
		rep = &local;
	memset(rep, 0, sizeof(*rep));
	f = fopen(path, "rb");
	if (!f)
		return error_set(err, ERR_IO, "cannot open trace '%s': %s", path, strerror(errno));
	if (fread(magic, 1, 8, f) == 8 && memcmp(magic, MAGIC, 8) == 0) {
		rep->format = TRACE_BINARY;
		rewind(f);
		rc = read_binary(f, path, fn, ctx, rep, err);
	} else {
		rep->format = TRACE_CSV;
		rewind(f);
		rc = read_csv(f, path, fn, ctx, rep, &c, err);
	}
	fclose(f);
	return rc;
}

/* ---- ids of traces recorded elsewhere ---- */

static const char *const kind_names[TRACE_ID_KINDS] = {
	"user", "show", "creator", "session", "topic",
};

const char *trace_id_kind_name(enum trace_id_kind k)
{
	ASSERT((unsigned)k < TRACE_ID_KINDS);
	return kind_names[k];
}

void trace_ids_finish(struct trace_ids *ids)
{
	for (int k = 0; k < TRACE_ID_KINDS; k++) {
		struct idmap *m = ids->map[k];
		size_t n = m ? idmap_count(m) : 0;
		uint64_t limit = k == TRACE_ID_TOPIC ? UINT16_MAX - 1 : UINT32_MAX - 1;
		bool keep;

		free(ids->final[k]);
		ids->final[k] = NULL;
		ids->mapped[k] = false;
		if (!m)
			continue;
		keep = idmap_all_numeric(m) && idmap_max(m) < limit &&
		       idmap_max(m) + 1 <= 2 * (uint64_t)n + 1024;
		ids->mapped[k] = !keep;
		ids->final[k] = xcalloc(n ? n : 1, sizeof(uint32_t));
		for (size_t i = 0; i < n; i++)
			ids->final[k][i] = keep ? (uint32_t)strtoul(idmap_text(m, (uint32_t)i), NULL, 10)
						: (uint32_t)i;
	}
}

uint32_t trace_ids_final(const struct trace_ids *ids, enum trace_id_kind k, uint32_t provisional)
{
	uint32_t none = k == TRACE_ID_TOPIC ? UINT16_MAX : EVENT_NONE;

	if (provisional == none || !ids->final[k])
		return provisional;
	return ids->final[k][provisional];
}

void trace_ids_apply(const struct trace_ids *ids, struct event *ev)
{
	ev->user = trace_ids_final(ids, TRACE_ID_USER, ev->user);
	ev->show = trace_ids_final(ids, TRACE_ID_SHOW, ev->show);
	ev->creator = trace_ids_final(ids, TRACE_ID_CREATOR, ev->creator);
	ev->session = trace_ids_final(ids, TRACE_ID_SESSION, ev->session);
	ev->topic = (uint16_t)trace_ids_final(ids, TRACE_ID_TOPIC, ev->topic);
}

void trace_ids_describe(const struct trace_ids *ids, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int k = 0; k < TRACE_ID_KINDS && len < n; k++) {
		const struct idmap *m = ids->map[k];

		if (!m)
			continue;
		len += (size_t)snprintf(buf + len, n - len, "%s%ss %s (%zu)", len ? ", " : "",
					kind_names[k],
					!ids->mapped[k] ? "kept" :
					idmap_all_numeric(m) ? "mapped from sparse integers" :
					"mapped from text", idmap_count(m));
	}
	if (len == 0)
		len = (size_t)snprintf(buf, n, "ids as written");
	if (len < n)
		snprintf(buf + len, n - len, "%s%s", len ? "; " : "",
			 ids->absolute_times ? "absolute times" : "times in microseconds since the start");
}

int trace_ids_write_csv(const struct trace_ids *ids, const char *path, struct error *err)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int rc = 0;

	if (!f) {
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	fprintf(f, "kind,original,id\n");
	for (int k = 0; k < TRACE_ID_KINDS; k++) {
		const struct idmap *m = ids->map[k];

		if (!m || !ids->mapped[k])
			continue;
		for (size_t i = 0; i < idmap_count(m); i++) {
			const char *t = idmap_text(m, (uint32_t)i);

			if (strpbrk(t, "\",\n")) {
				fprintf(f, "%s,\"", kind_names[k]);
				for (; *t; t++)
					fprintf(f, *t == '"' ? "\"\"" : "%c", *t);
				fprintf(f, "\",%u\n", ids->final[k][i]);
			} else {
				fprintf(f, "%s,%s,%u\n", kind_names[k], t, ids->final[k][i]);
			}
		}
	}
	if (ferror(f) | fclose(f))
		rc = error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
	else if (rename(tmp, path) < 0)
		rc = error_set(err, ERR_IO, "cannot rename '%s': %s", tmp, strerror(errno));
	if (rc < 0)
		remove(tmp);
	free(tmp);
	return rc;
}

void trace_ids_release(struct trace_ids *ids)
{
	for (int k = 0; k < TRACE_ID_KINDS; k++) {
		idmap_free(ids->map[k]);
		free(ids->final[k]);
	}
	memset(ids, 0, sizeof(*ids));
}
