#ifndef AIRTIME_UNITS_H
#define AIRTIME_UNITS_H
/*
 * Values with units, as text: parsing and canonical formatting of the
 * scalar forms scenario files and the command line accept.
 *
 *   integer     20000, -3, 20_000 ('_' only between digits; no 1e6, no 0x)
 *   real        0.85, 1e-3, 1_000.5
 *   duration    a number and a unit, unit required: us ms s min h d
 *               (1.5h is fine; the result must be a whole number of
 *               microseconds).  Stored as simtime microseconds.
 *   size        a number and a unit, unit required: B, binary KiB MiB GiB
 *               TiB (1024-based), or decimal kB KB MB GB TB (1000-based, as
 *               SI and IEC 80000-13 define them).  Stored as bytes.
 *   percent     a number and '%': 50%, 12.5%.  Stored as a fraction (0.5).
 *   bool        true false yes no on off 1 0 (any case)
 *   time of day HH:MM or HH:MM:SS, 00:00 to 23:59:59.  Stored as
 *               microseconds since midnight.
 *   date        YYYY-MM-DD (proleptic Gregorian).  Stored as days since
 *               1970-01-01.
 *
 * Parsers return 0, or ERR_INPUT and an err->msg that is empty when the
 * text is simply not of the form (callers then say which form they expect)
 * or names the specific problem ("too large", "month 13 does not exist").
 * Formatters write the canonical text (the largest unit that represents the
 * value exactly), which the parsers read back to the identical value; they
 * always NUL-terminate and truncate to `n` bytes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Longest text a units_format_* function writes, NUL included. */
#define UNITS_FORMAT_MAX 48

int units_parse_int(const char *s, int64_t *out, struct error *err);
int units_parse_real(const char *s, double *out, struct error *err);
int units_parse_bool(const char *s, bool *out, struct error *err);
int units_parse_duration(const char *s, int64_t *out_us, struct error *err);
int units_parse_size(const char *s, int64_t *out_bytes, struct error *err);
/* Percent text ("12.5%") to a fraction (0.125). */
int units_parse_percent(const char *s, double *out_fraction, struct error *err);
int units_parse_timeofday(const char *s, int64_t *out_us, struct error *err);
int units_parse_date(const char *s, int64_t *out_days, struct error *err);

/* Canonical text of each kind; returns buf. */
char *units_format_int(int64_t v, char *buf, size_t n);
/* Shortest decimal that reads back as exactly v. */
char *units_format_real(double v, char *buf, size_t n);
char *units_format_bool(bool v, char *buf, size_t n);
/* Largest of d h min s ms us dividing v exactly ("90min" stays "90min"). */
char *units_format_duration(int64_t us, char *buf, size_t n);
/* Largest of TiB GiB MiB KiB exact, else TB GB MB kB exact, else B. */
char *units_format_size(int64_t bytes, char *buf, size_t n);
/* Shortest "x%" that reads back as exactly the fraction. */
char *units_format_percent(double fraction, char *buf, size_t n);
/* HH:MM, or HH:MM:SS when seconds are not zero (sub-seconds are dropped). */
char *units_format_timeofday(int64_t us, char *buf, size_t n);
char *units_format_date(int64_t days, char *buf, size_t n);

/* Days since 1970-01-01 of a civil date, and back (no validation). */
int64_t units_days_from_civil(int64_t y, unsigned m, unsigned d);
void units_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
