#ifndef AIRTIME_CSV_H
#define AIRTIME_CSV_H
/*
 * A numeric CSV table: a header row of column names, then rows of numbers.
 *
 * Fields are separated by commas; a field may be quoted ("...", with ""
 * for a quote inside, and commas or newlines inside).  Surrounding spaces
 * are ignored.  An empty field, NA, N/A, NaN or null (any case) is a missing
 * value and reads as NaN.  Blank lines are skipped; CRLF line ends and a
 * UTF-8 byte-order mark are accepted.  Any other non-numeric field, or a row
 * with the wrong number of fields, is an ERR_INPUT naming the file, line,
 * row, and column (number and name):
 *     data.csv:17: row 16, column 3 ('age'): cannot parse 'abc' as a number
 * Nothing is returned on error.
 *
 * Ownership: csv_load returns a table the caller frees with csv_free;
 * returned names and rows are borrowed from the table.
 */
#include "common/error.h"

#include <stddef.h>

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

#endif
