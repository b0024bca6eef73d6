/* Numeric CSV reader; see csv.h. */
#include "common/csv.h"

#include "common/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct csv {
	size_t n_rows, n_cols;
	char **names;
	double *data;   /* n_rows x n_cols, row-major */
};

/* Cursor over the text, with the field just read. */
struct lexer {
	const char *p, *end;
	const char *name;
	size_t line;        /* line number of the cursor, from 1 */
	char *field;        /* unquoted, unescaped, trimmed text */
	size_t len, cap;
};

static void field_put(struct lexer *lx, char ch)
{
	XGROW(lx->field, lx->len + 2, lx->cap);
	lx->field[lx->len++] = ch;
	lx->field[lx->len] = '\0';
}

/* Read one field.  *eol is set when the field ended its record (newline or
 * end of input).  Returns 0 or ERR_INPUT (unterminated quote). */
static int next_field(struct lexer *lx, int *eol, struct error *err)
{
	size_t start_line = lx->line;

	lx->len = 0;
	XGROW(lx->field, 1, lx->cap);
	lx->field[0] = '\0';
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
		lx->p++;
	if (lx->p < lx->end && *lx->p == '"') {
		lx->p++;
		for (;;) {
			if (lx->p >= lx->end)
				return error_set(err, ERR_INPUT,
						 "%s:%zu: unterminated quoted field", lx->name,
						 start_line);
			if (*lx->p == '"') {
				if (lx->p + 1 < lx->end && lx->p[1] == '"') {
					field_put(lx, '"');
					lx->p += 2;
					continue;
				}
				lx->p++;
				break;
			}
			if (*lx->p == '\n')
				lx->line++;
			field_put(lx, *lx->p++);
		}
		while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r'))
			lx->p++;
		if (lx->p < lx->end && *lx->p != ',' && *lx->p != '\n')
			return error_set(err, ERR_INPUT,
					 "%s:%zu: unexpected text after a quoted field", lx->name,
					 lx->line);
	} else {
		while (lx->p < lx->end && *lx->p != ',' && *lx->p != '\n')
			field_put(lx, *lx->p++);
		while (lx->len > 0 && (lx->field[lx->len - 1] == ' ' ||
				       lx->field[lx->len - 1] == '\t' ||
				       lx->field[lx->len - 1] == '\r'))
			lx->field[--lx->len] = '\0';
	}
	if (lx->p >= lx->end) {
		*eol = 1;
	} else if (*lx->p == '\n') {
		*eol = 1;
		lx->p++;
		lx->line++;
	} else {
		*eol = 0;
		lx->p++;    /* the comma */
	}
	return 0;
}

/* Skip blank lines (only spaces, tabs, CR). */
static void skip_blank_lines(struct lexer *lx)
{
	for (;;) {
		const char *q = lx->p;

		while (q < lx->end && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q < lx->end && *q == '\n') {
			lx->p = q + 1;
			lx->line++;
			continue;
		}
		if (q >= lx->end)
			lx->p = q;
		return;
	}
}

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

struct csv *csv_parse(const char *text, size_t len, const char *name, struct error *err)
{
	struct lexer lx = { .p = text, .end = text + len, .name = name, .line = 1 };
	struct csv *c = xcalloc(1, sizeof(*c));
	size_t cap_names = 0, cap_data = 0, n_vals = 0;
	int eol = 0;

	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		lx.p += 3;
	skip_blank_lines(&lx);
	if (lx.p >= lx.end) {
		error_set(err, ERR_INPUT, "%s: empty file (expected a header row)", name);
		goto out_fail;
	}
	while (!eol) {
		if (next_field(&lx, &eol, err) < 0)
			goto out_fail;
		if (!lx.len) {
			error_set(err, ERR_INPUT, "%s:%zu: column %zu has an empty name", name,
				  lx.line - (size_t)eol, c->n_cols + 1);
			goto out_fail;
		}
		XGROW(c->names, c->n_cols + 1, cap_names);
		c->names[c->n_cols++] = xstrdup(lx.field);
	}
	for (size_t j = 0; j < c->n_cols; j++)
		for (size_t k = 0; k < j; k++)
			if (!strcmp(c->names[j], c->names[k])) {
				error_set(err, ERR_INPUT, "%s:1: duplicate column name '%s'", name,
					  c->names[j]);
				goto out_fail;
			}
	for (;;) {
		size_t row_line, col = 0;

		skip_blank_lines(&lx);
		if (lx.p >= lx.end)
			break;
		row_line = lx.line;
		XGROW(c->data, n_vals + c->n_cols, cap_data);
		eol = 0;
		while (!eol) {
			double v;

			if (next_field(&lx, &eol, err) < 0)
				goto out_fail;
			if (col >= c->n_cols) {
				error_set(err, ERR_INPUT,
					  "%s:%zu: row %zu has more than the %zu columns of the header",
					  name, row_line, c->n_rows + 1, c->n_cols);
				goto out_fail;
			}
			if (parse_number(lx.field, &v) < 0) {
				error_set(err, ERR_INPUT,
					  "%s:%zu: row %zu, column %zu ('%s'): cannot parse '%s' as a number",
					  name, row_line, c->n_rows + 1, col + 1, c->names[col],
					  lx.field);
				goto out_fail;
			}
			c->data[n_vals + col++] = v;
		}
		if (col != c->n_cols) {
			error_set(err, ERR_INPUT,
				  "%s:%zu: row %zu has %zu fields, the header has %zu columns", name,
				  row_line, c->n_rows + 1, col, c->n_cols);
			goto out_fail;
		}
		n_vals += c->n_cols;
		c->n_rows++;
	}
	free(lx.field);
	return c;

out_fail:
	free(lx.field);
	csv_free(c);
	return NULL;
}

struct csv *csv_load(const char *path, struct error *err)
{
	FILE *fp = fopen(path, "rb");
	char *text = NULL;
	size_t n = 0, cap = 0, got;
	struct csv *c;

	if (!fp) {
		error_set(err, ERR_IO, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	do {
		XGROW(text, n + 65536, cap);
		got = fread(text + n, 1, cap - n, fp);
		n += got;
	} while (got > 0);
	if (ferror(fp)) {
		error_set(err, ERR_IO, "cannot read '%s'", path);
		fclose(fp);
		free(text);
		return NULL;
	}
	fclose(fp);
	c = csv_parse(text, n, path, err);
	free(text);
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
