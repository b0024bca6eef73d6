/* CSV records and numeric tables; see csv.h. */
#include "common/csv.h"

#include "common/hashtab.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct csv {
	size_t n_rows, n_cols;
	char **names;
	double *data;   /* n_rows x n_cols, row-major */
};

/* ---- the record reader ---- */

#define CHUNK 65536

struct csv_reader {
	FILE *f;                /* NULL: reading memory */
	const char *p, *end;    /* input not consumed yet */
	char *chunk;            /* the stream's read buffer */
	const char *name;
	unsigned flags;
	size_t line;            /* line of the cursor, from 1 */
	bool started;
	struct strbuf text;     /* the record's fields, each NUL-terminated */
	size_t n, cap;          /* fields, and room in the arrays below */
	bool nul;               /* a NUL byte in the record */
	size_t *off, *len;
	const char **field;
};

static struct csv_reader *reader_new(FILE *f, const char *text, size_t len, const char *name,
				     unsigned flags)
{
	struct csv_reader *r = xcalloc(1, sizeof(*r));

	r->f = f;
	if (f) {
		r->chunk = xmalloc(CHUNK);
		r->p = r->end = r->chunk;
	} else {
		r->p = text;
		r->end = text + len;
	}
	r->name = name;
	r->flags = flags;
	r->line = 1;
	strbuf_init(&r->text, 0);
	return r;
}

struct csv_reader *csv_reader_new(FILE *f, const char *name, unsigned flags)
{
	return reader_new(f, NULL, 0, name, flags);
}

struct csv_reader *csv_reader_new_mem(const char *text, size_t len, const char *name,
				      unsigned flags)
{
	return reader_new(NULL, text, len, name, flags);
}

void csv_reader_free(struct csv_reader *r)
{
	if (!r)
		return;
	free(r->chunk);
	strbuf_release(&r->text);
	free(r->off);
	free(r->len);
	free(r->field);
	free(r);
}

/* Make input available; false at the end of input (or on a read error,
 * which the stream's error flag tells). */
static inline bool fill(struct csv_reader *r)
{
	size_t got;

	if (r->p < r->end)
		return true;
	if (!r->f)
		return false;
	got = fread(r->chunk, 1, CHUNK, r->f);
	r->p = r->chunk;
	r->end = r->chunk + got;
	return got > 0;
}

static int read_failed(struct csv_reader *r, struct error *err)
{
	return error_set(err, ERR_IO, "cannot read '%s': %s", r->name, strerror(errno));
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static __attribute__((noinline)) void fields_grow(struct csv_reader *r)
{
	r->cap = r->cap ? 2 * r->cap : 16;
	r->off = xreallocarray(r->off, r->cap, sizeof(*r->off));
	r->len = xreallocarray(r->len, r->cap, sizeof(*r->len));
	r->field = xreallocarray(r->field, r->cap, sizeof(*r->field));
}

static inline void fields_reserve(struct csv_reader *r)
{
	if (r->n == r->cap)
		fields_grow(r);
}

/* End the field that started at text offset `start` (at the end of the
 * text). */
static void field_push(struct csv_reader *r, size_t start)
{
	fields_reserve(r);
	r->off[r->n] = start;
	r->len[r->n++] = r->text.len - start;
	r->nul |= memchr(r->text.buf + start, '\0', r->text.len - start) != NULL;
	strbuf_addch(&r->text, '\0');
}

/* ---- the fast path: a record that is one line with no quote in it ---- */

/* The field text[start, end) of the line in the text, terminated in place
 * (over its comma, or the terminator). */
static inline void span_push(struct csv_reader *r, size_t start, size_t end)
{
	char *s = r->text.buf;

	if (r->flags & CSV_TRIM) {
		while (start < end && is_blank(s[start]))
			start++;
		while (end > start && (is_blank(s[end - 1]) || s[end - 1] == '\r'))
			end--;
	}
	fields_reserve(r);
	s[end] = '\0';
	r->off[r->n] = start;
	r->len[r->n++] = end - start;
}

/* Split the line in the text at its commas (CRs before its end dropped);
 * false when CSV_SKIP_BLANK skips it. */
static bool split_line(struct csv_reader *r)
{
	size_t len = r->text.len, start = 0;
	const char *s = r->text.buf;

	while (len > 0 && s[len - 1] == '\r')
		len--;
	if (r->flags & CSV_SKIP_BLANK) {
		size_t i = 0;

		while (i < len && (is_blank(s[i]) || s[i] == '\r'))
			i++;
		if (i == len)
			return false;
	}
	/* one pass for commas and NULs (fields are short: a byte loop beats
	 * a memchr call per field) */
	r->nul = false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ',') {
			span_push(r, start, i);
			start = i + 1;
		} else if (s[i] == '\0') {
			r->nul = true;
		}
	}
	span_push(r, start, len);
	return true;
}

/* Append the rest of the line (to a newline or the end of input) to the
 * text and consume it. */
static void take_line(struct csv_reader *r)
{
	while (fill(r)) {
		const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
		const char *stop = nl ? nl : r->end;

		strbuf_add(&r->text, r->p, (size_t)(stop - r->p));
		r->p = stop;
		if (nl) {
			r->p++;
			r->line++;
			return;
		}
	}
}

/* A quoted field, the cursor on its opening quote.  Sets *term to the
 * byte that ended it (',' or '\n') or -1 at the end of input. */
static int quoted_field(struct csv_reader *r, int *term, struct error *err)
{
	size_t start_line = r->line;

	r->p++;
	for (;;) {
		char c;

		if (!fill(r)) {
			if (r->f && ferror(r->f))
				return read_failed(r, err);
			return error_set(err, ERR_INPUT, "%s:%zu: unterminated quoted field", r->name,
					 start_line);
		}
		c = *r->p++;
		if (c == '"') {
			if (fill(r) && *r->p == '"') {
				strbuf_addch(&r->text, '"');
				r->p++;
				continue;
			}
			break;
		}
		if (c == '\n')
			r->line++;
		strbuf_addch(&r->text, c);
	}
	while (fill(r) && (is_blank(*r->p) || *r->p == '\r'))
		r->p++;
	if (!fill(r)) {
		*term = -1;
	} else if (*r->p == ',' || *r->p == '\n') {
		*term = *r->p++;
	} else {
		return error_set(err, ERR_INPUT, "%s:%zu: unexpected text after a quoted field",
				 r->name, r->line);
	}
	return 0;
}

/* An unquoted field: up to the next comma or newline. */
static void plain_field(struct csv_reader *r, size_t start, int *term)
{
	size_t len;

	*term = -1;
	while (fill(r)) {
		const char *q = r->p;

		while (q < r->end && *q != ',' && *q != '\n')
			q++;
		strbuf_add(&r->text, r->p, (size_t)(q - r->p));
		r->p = q;
		if (q < r->end) {
			*term = *r->p++;
			break;
		}
	}
	len = r->text.len;
	if (r->flags & CSV_TRIM) {
		while (len > start && (is_blank(r->text.buf[len - 1]) || r->text.buf[len - 1] == '\r'))
			len--;
	} else if (*term != ',') {
		while (len > start && r->text.buf[len - 1] == '\r')
			len--;   /* CRLF line ends */
	}
	strbuf_setlen(&r->text, len);
}

/* Skip blank lines before a record; false at the end of input.  Without
 * CSV_TRIM the blanks of a line that is not blank stay in the text (the
 * start of its first field). */
static bool skip_blank_lines(struct csv_reader *r)
{
	for (;;) {
		strbuf_reset(&r->text);
		while (fill(r) && (is_blank(*r->p) || *r->p == '\r'))
			strbuf_addch(&r->text, *r->p++);
		if (!fill(r))
			return false;
		if (*r->p != '\n')
			break;
		r->p++;
		r->line++;
	}
	if (r->flags & CSV_TRIM)
		strbuf_reset(&r->text);
	return true;
}

/* A record, by the fast path when it is one line without quotes: 1, 0 at
 * the end of input, or 2 when the general lexer must read it. */
static int fast_record(struct csv_reader *r, struct csv_record *rec)
{
	for (;;) {
		r->n = 0;
		strbuf_reset(&r->text);
		if (!fill(r))
			return 0;
		if (r->flags & CSV_QUOTES) {
			/* the whole line in the buffer, and no quote in it */
			const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));

			if (!nl || memchr(r->p, '"', (size_t)(nl - r->p)))
				return 2;
		}
		rec->line = r->line;
		take_line(r);
		if (split_line(r))
			return 1;
	}
}

int csv_reader_next(struct csv_reader *r, struct csv_record *rec, struct error *err)
{
	int term = ',', rc;

	if (!r->started) {
		r->started = true;
		if (fill(r) && r->end - r->p >= 3 && !memcmp(r->p, "\xEF\xBB\xBF", 3))
			r->p += 3;
	}
	rc = fast_record(r, rec);
	if (r->f && ferror(r->f))
		return read_failed(r, err);
	if (rc < 2)
		goto out;
	r->n = 0;
	r->nul = false;
	strbuf_reset(&r->text);
	if (r->flags & CSV_SKIP_BLANK ? !skip_blank_lines(r) : !fill(r))
		return r->f && ferror(r->f) ? read_failed(r, err) : 0;
	rec->line = r->line;
	while (term == ',') {
		size_t start = r->n ? r->text.len : 0;

		if (r->flags & CSV_TRIM)
			while (fill(r) && is_blank(*r->p))
				r->p++;
		if ((r->flags & CSV_QUOTES) && r->text.len == start && fill(r) && *r->p == '"') {
			if ((rc = quoted_field(r, &term, err)) < 0)
				return rc;
		} else {
			plain_field(r, start, &term);
		}
		field_push(r, start);
	}
	if (term == '\n')
		r->line++;
	else if (r->f && ferror(r->f))
		return read_failed(r, err);
	rc = 1;
out:
	if (rc == 0)
		return 0;
	for (size_t i = 0; i < r->n; i++)
		r->field[i] = r->text.buf + r->off[i];
	rec->n = r->n;
	rec->nul = r->nul;
	rec->field = r->field;
	rec->len = r->len;
	return 1;
}

/* ---- numeric tables ---- */

static int is_missing(const char *s)
{
	return !*s || !strcasecmp(s, "na") || !strcasecmp(s, "n/a") || !strcasecmp(s, "nan") ||
	       !strcasecmp(s, "null");
}

static int parse_number(const char *s, double *out)
{
	char *end;
	double v;

	if (is_missing(s)) {
		*out = NAN;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	while (end != s && (*end == ' ' || *end == '\t'))
		end++;   /* a quoted field may keep spaces around its number */
	if (end == s || *end != '\0')
		return -1;
	if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
		return -1;
	*out = v;
	return 0;
}

void csv_free(struct csv *c)
{
	if (!c)
		return;
	if (c->names)
		for (size_t j = 0; j < c->n_cols; j++)
			free(c->names[j]);
	free(c->names);
	free(c->data);
	free(c);
}

/* The header's names by content: a slot holds a column index + 1, ctx is
 * the names array; duplicate detection is one probe per column. */
HASHTAB_DECLARE(nametab, uint32_t);

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static inline uint64_t nametab_hash(const char *key) { return hashtab_mix64(name_hash(key)); }
static inline bool nametab_used(const uint32_t *e) { return *e != 0; }
static inline bool nametab_match(const struct nametab *t, const uint32_t *e, const char *key)
{
	return strcmp(((char *const *)t->ctx)[*e - 1], key) == 0;
}
static inline uint64_t nametab_entry_hash(const struct nametab *t, const uint32_t *e)
{
	return nametab_hash(((char *const *)t->ctx)[*e - 1]);
}
HASHTAB_DEFINE(nametab, uint32_t, const char *)

/* The first name held twice, or NULL: linear in the header's size. */
static const char *first_duplicate(char *const *names, size_t n)
{
	struct nametab t;
	const char *dup = NULL;

	ASSERT(n < UINT32_MAX);
	nametab_init(&t, 2 * n);
	t.ctx = names;
	for (size_t j = 0; j < n && !dup; j++) {
		uint32_t *e = nametab_probe(&t, names[j]);

		if (nametab_used(e))
			dup = names[j];
		else
			*nametab_claim(&t, e, names[j]) = (uint32_t)j + 1;
	}
	nametab_release(&t);
	return dup;
}

/* The table of a reader's records. */
static struct csv *table_read(struct csv_reader *r, const char *name, struct error *err)
{
	struct csv *c = xcalloc(1, sizeof(*c));
	struct csv_record rec;
	size_t cap_names = 0, cap_data = 0, n_vals = 0;
	int s;

	if ((s = csv_reader_next(r, &rec, err)) <= 0) {
		if (s == 0)
			error_set(err, ERR_INPUT, "%s: empty file (expected a header row)", name);
		goto out_fail;
	}
	for (size_t j = 0; j < rec.n; j++) {
		if (!rec.len[j]) {
			error_set(err, ERR_INPUT, "%s:%zu: column %zu has an empty name", name, rec.line,
				  j + 1);
			goto out_fail;
		}
		XGROW(c->names, c->n_cols + 1, cap_names);
		c->names[c->n_cols++] = xstrdup(rec.field[j]);
	}
	{
		const char *dup = first_duplicate(c->names, c->n_cols);

		if (dup) {
			error_set(err, ERR_INPUT, "%s:1: duplicate column name '%s'", name, dup);
			goto out_fail;
		}
	}
	while ((s = csv_reader_next(r, &rec, err)) == 1) {
		XGROW(c->data, n_vals + c->n_cols, cap_data);
		for (size_t col = 0; col < rec.n; col++) {
			double v;

			if (col >= c->n_cols) {
				error_set(err, ERR_INPUT,
					  "%s:%zu: row %zu has more than the %zu columns of the header",
					  name, rec.line, c->n_rows + 1, c->n_cols);
				goto out_fail;
			}
			if ((rec.nul && strlen(rec.field[col]) != rec.len[col]) ||
			    parse_number(rec.field[col], &v) < 0) {
				error_set(err, ERR_INPUT,
					  "%s:%zu: row %zu, column %zu ('%s'): cannot parse '%s' as a number",
					  name, rec.line, c->n_rows + 1, col + 1, c->names[col],
					  rec.field[col]);
				goto out_fail;
			}
			c->data[n_vals + col] = v;
		}
		if (rec.n != c->n_cols) {
			error_set(err, ERR_INPUT,
				  "%s:%zu: row %zu has %zu fields, the header has %zu columns", name,
				  rec.line, c->n_rows + 1, rec.n, c->n_cols);
			goto out_fail;
		}
		n_vals += c->n_cols;
		c->n_rows++;
	}
	if (s < 0)
		goto out_fail;
	return c;

out_fail:
	csv_free(c);
	return NULL;
}

#define TABLE_FLAGS (CSV_QUOTES | CSV_TRIM | CSV_SKIP_BLANK)

struct csv *csv_parse(const char *text, size_t len, const char *name, struct error *err)
{
	struct csv_reader *r = csv_reader_new_mem(text, len, name, TABLE_FLAGS);
	struct csv *c = table_read(r, name, err);

	csv_reader_free(r);
	return c;
}

struct csv *csv_load(const char *path, struct error *err)
{
	FILE *fp = fopen(path, "rb");
	struct csv_reader *r;
	struct csv *c;

	if (!fp) {
		error_set(err, ERR_IO, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	r = csv_reader_new(fp, path, TABLE_FLAGS);
	c = table_read(r, path, err);
	csv_reader_free(r);
	fclose(fp);
	return c;
}

size_t csv_n_rows(const struct csv *c) { return c->n_rows; }
size_t csv_n_cols(const struct csv *c) { return c->n_cols; }

const char *csv_col_name(const struct csv *c, size_t j)
{
	ASSERT(j < c->n_cols);
	return c->names[j];
}

long csv_col_index(const struct csv *c, const char *name)
{
	for (size_t j = 0; j < c->n_cols; j++)
		if (!strcmp(c->names[j], name))
			return (long)j;
	return -1;
}

double csv_value(const struct csv *c, size_t i, size_t j)
{
	ASSERT(i < c->n_rows && j < c->n_cols);
	return c->data[i * c->n_cols + j];
}

const double *csv_row(const struct csv *c, size_t i)
{
	ASSERT(i < c->n_rows);
	return c->data + i * c->n_cols;
}
