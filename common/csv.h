#ifndef AIRTIME_CSV_H
#define AIRTIME_CSV_H
/*
 * CSV: one reader of records, and a numeric table built on it.
 *
 * Records (struct csv_reader).  Reads a stream or a memory buffer one
 * record at a time, holding one record (never the whole input): fields
 * split at commas, records at newlines, lines counted from 1 so every
 * message can name one.  A UTF-8 byte-order mark at the start is skipped;
 * CRs before a line end are dropped.  Flags add the usual leniency:
 *   CSV_QUOTES      a field may be quoted ("...", with "" for a quote
 *                   inside, and commas or newlines inside);
 *   CSV_TRIM        spaces and tabs around fields are dropped;
 *   CSV_SKIP_BLANK  lines holding only spaces, tabs or CRs are skipped.
 * Without flags every comma splits and every line is a record (a blank
 * line is a record of one empty field): the strict form of line formats
 * such as traces (common/trace.h).  Fields may hold NUL bytes (len[] is
 * their length; field[] is NUL-terminated).  A quote error (unterminated,
 * or text after the closing quote) is ERR_INPUT naming the line; a read
 * error is ERR_IO; after either the reader only has to be freed.
 *
 * Numeric tables (struct csv): a header row of column names, then rows of
 * numbers, read with all three flags.  An empty field, NA, N/A, NaN or
 * null (any case) is a missing value and reads as NaN.  Any other
 * non-numeric field, or a row with the wrong number of fields, is an
 * ERR_INPUT naming the file, line, row, and column (number and name):
 *     data.csv:17: row 16, column 3 ('age'): cannot parse 'abc' as a number
 * Nothing is returned on error.
 *
 * Ownership: csv_load and csv_parse return a table the caller frees with
 * csv_free; returned names and rows are borrowed from the table.  A
 * reader borrows its stream, text and name (they must outlive it); a
 * record's fields are borrowed until the next csv_reader_next.
 */
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct csv;

/* Read and parse a whole file; NULL with ERR_IO or ERR_INPUT on failure. */
struct csv *csv_load(const char *path, struct error *err);
/* Parse CSV text held in memory; `name` labels error messages. */
struct csv *csv_parse(const char *text, size_t len, const char *name, struct error *err);
/* Free a table; NULL is a no-op. */
void csv_free(struct csv *c);

/* Number of data rows (the header is not a row). */
size_t csv_n_rows(const struct csv *c);
/* Number of columns. */
size_t csv_n_cols(const struct csv *c);
/* Name of column j. */
const char *csv_col_name(const struct csv *c, size_t j);
/* Index of the column called `name`, or -1. */
long csv_col_index(const struct csv *c, const char *name);
/* Value at row i, column j (NaN if missing). */
double csv_value(const struct csv *c, size_t i, size_t j);
/* Row i: csv_n_cols() values. */
const double *csv_row(const struct csv *c, size_t i);

/* ---- records ---- */

enum csv_flags {
	CSV_QUOTES = 1,
	CSV_TRIM = 2,
	CSV_SKIP_BLANK = 4,
};

/* One record: n fields (n >= 1), borrowed until the next read. */
struct csv_record {
	size_t n;
	const char *const *field;   /* NUL-terminated */
	const size_t *len;          /* bytes, NUL bytes included */
	size_t line;                /* the line the record starts on */
	bool nul;                   /* some field holds a NUL byte */
};

struct csv_reader;

/* A reader of stream f (read from its current position); `name` labels
 * messages. */
struct csv_reader *csv_reader_new(FILE *f, const char *name, unsigned flags);
/* A reader of len bytes of text in memory. */
struct csv_reader *csv_reader_new_mem(const char *text, size_t len, const char *name,
				      unsigned flags);
/* Free a reader (not its stream); NULL is a no-op. */
void csv_reader_free(struct csv_reader *r);
/* The next record into *rec: 1, or 0 at the end of input, or ERR_INPUT /
 * ERR_IO. */
int csv_reader_next(struct csv_reader *r, struct csv_record *rec, struct error *err);

#endif
