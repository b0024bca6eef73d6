#ifndef AIRTIME_FMT_H
#define AIRTIME_FMT_H
/*
 * Numbers for people: the formatting shared by reports and comparisons, so
 * every table prints a value the same way.  Each writes into a caller's
 * buffer (always NUL-terminated, cut to fit) and returns it; NaN and
 * infinities print as "n/a".  Precision: four significant digits, with
 * scientific notation only for very large or very small magnitudes.
 */
#include <stddef.h>

/* 1234.5 -> "1234", 0.01234 -> "0.01234", 1.5e9 -> "1.5e+09". */
const char *fmt_num(char *buf, size_t n, double v);
/* The same with an explicit sign: "+0.25", "-3". */
const char *fmt_signed(char *buf, size_t n, double v);
/* A fraction as a signed percentage: 0.031 -> "+3.1 %". */
const char *fmt_pct(char *buf, size_t n, double v);
/* An interval: "[-0.12, +0.4]". */
const char *fmt_ci(char *buf, size_t n, double lo, double hi);
/* An interval of fractions as percentages: "[+1.0 %, +5.2 %]". */
const char *fmt_pct_ci(char *buf, size_t n, double lo, double hi);
/* A p-value: "< 0.001" or three decimals. */
const char *fmt_p(char *buf, size_t n, double p);
/* Simulated microseconds as "day D HH:MM:SS" (day 0 is the epoch's day). */
const char *fmt_simtime(char *buf, size_t n, double us);
/* Append a printf-style message to the "; "-separated list in buf (such as
 * a report's warnings). */
const char *fmt_append(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Parse a whole string as a finite double (strtod + end pointer + errno);
 * ERR_INPUT otherwise. */
int fmt_parse_double(const char *s, double *out);

#endif
