/* Values with units as text; see units.h. */
#include "common/units.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit {
	const char *name;
	int64_t scale;
};

/* Largest first: the formatter picks the first that divides exactly. */
static const struct unit duration_units[] = {
	{ "d", 86400000000LL }, { "h", 3600000000LL }, { "min", 60000000LL },
	{ "s", 1000000LL }, { "ms", 1000LL }, { "us", 1LL },
};

/* Binary multiples are listed before decimal ones so a value that is both
 * (0 bytes aside) is written the binary way; B comes last for the same reason. */
static const struct unit size_units[] = {
	{ "TiB", 1099511627776LL }, { "GiB", 1073741824LL }, { "MiB", 1048576LL },
	{ "KiB", 1024LL }, { "TB", 1000000000000LL }, { "GB", 1000000000LL },
	{ "MB", 1000000LL }, { "kB", 1000LL }, { "KB", 1000LL }, { "B", 1LL },
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A syntax mismatch: the caller explains the expected form. */
static int not_the_form(struct error *err)
{
	return error_set(err, ERR_INPUT, "%s", "");
}

/*
 * Copy s into buf dropping '_' digit separators, which are only accepted
 * between two digits ("20_000"), so "_1", "1_" and "1__0" stay errors.
 */
static int strip_separators(const char *s, char *buf, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '_') {
			if (i == 0 || !isdigit((unsigned char)s[i - 1]) ||
			    !isdigit((unsigned char)s[i + 1]))
				return -1;
			continue;
		}
		if (j + 1 >= n)
			return -1;
		buf[j++] = s[i];
	}
	buf[j] = '\0';
	return 0;
}

int units_parse_int(const char *s, int64_t *out, struct error *err)
{
	char buf[64], *end;
	const char *p;
	long long v;

	if (strip_separators(s, buf, sizeof(buf)) < 0)
		return not_the_form(err);
	p = buf;
	if (*p == '+' || *p == '-')
		p++;
	if (!*p)
		return not_the_form(err);
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return not_the_form(err);
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno == ERANGE)
		return error_set(err, ERR_INPUT, "too large for a 64-bit integer");
	if (*end)
		return not_the_form(err);
	*out = v;
	return 0;
}

int units_parse_real(const char *s, double *out, struct error *err)
{
	char buf[64], *end;
	bool digit = false;
	double v;

	if (strip_separators(s, buf, sizeof(buf)) < 0 || !buf[0])
		return not_the_form(err);
	/* strtod alone would also take "inf", "nan" and hex floats. */
	for (const char *p = buf; *p; p++) {
		if (isdigit((unsigned char)*p))
			digit = true;
		else if (!strchr(".eE+-", *p))
			return not_the_form(err);
	}
	if (!digit)
		return not_the_form(err);
	errno = 0;
	v = strtod(buf, &end);
	if (*end || end == buf)
		return not_the_form(err);
	if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
		return error_set(err, ERR_INPUT, "too large");
	if (!isfinite(v))
		return not_the_form(err);
	*out = v;
	return 0;
}

int units_parse_bool(const char *s, bool *out, struct error *err)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < N_ELEMS(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return not_the_form(err);
}

/*
 * A decimal with an optional fraction, scaled by an integer unit, exactly:
 * durations and sizes must be whole microseconds or bytes, and doing it in
 * integers keeps "0.1s" from becoming 99999us through binary rounding.
 */
static int scale_decimal(const char *num, int64_t scale, const char *what,
			 int64_t *out, struct error *err)
{
	char buf[64];
	const char *p;
	bool neg = false;
	int64_t ip = 0, frac = 0, pow10 = 1, v, f;
	int ndig = 0, nfrac = 0;

	if (strip_separators(num, buf, sizeof(buf)) < 0)
		return not_the_form(err);
	p = buf;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	for (; isdigit((unsigned char)*p); p++, ndig++)
		if (__builtin_mul_overflow(ip, 10, &ip) ||
		    __builtin_add_overflow(ip, *p - '0', &ip))
			return error_set(err, ERR_INPUT, "too large");
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, nfrac++) {
			if (nfrac >= 18)
				return error_set(err, ERR_INPUT, "too many decimals");
			frac = frac * 10 + (*p - '0');
			pow10 *= 10;
		}
		if (!nfrac)
			return not_the_form(err);
	}
	if (*p || (!ndig && !nfrac))
		return not_the_form(err);
	if (__builtin_mul_overflow(ip, scale, &v))
		return error_set(err, ERR_INPUT, "too large");
	/* frac < 10^18 and scale < 2^41: use 128 bits for the product. */
	{
		__int128 fs = (__int128)frac * scale;

		if (fs % pow10)
			return error_set(err, ERR_INPUT, "not a whole number of %s", what);
		f = (int64_t)(fs / pow10);
	}
	if (__builtin_add_overflow(v, f, &v))
		return error_set(err, ERR_INPUT, "too large");
	*out = neg ? -v : v;
	return 0;
}

/* Split "12.5min" into number and unit, and scale by the unit's factor. */
static int parse_with_unit(const char *s, const struct unit *units, size_t n_units,
			   const char *what, int64_t *out, struct error *err)
{
	char num[64];
	const char *u = s;
	size_t len;

	while (*u && (isdigit((unsigned char)*u) || strchr("+-._", *u)))
		u++;
	len = (size_t)(u - s);
	if (!len || len >= sizeof(num) || !*u)
		return not_the_form(err);
	memcpy(num, s, len);
	num[len] = '\0';
	for (size_t i = 0; i < n_units; i++)
		if (!strcmp(u, units[i].name))
			return scale_decimal(num, units[i].scale, what, out, err);
	for (const char *p = u; *p; p++)
		if (!isalpha((unsigned char)*p))
			return not_the_form(err);
	return error_set(err, ERR_INPUT, "unknown unit '%s'", u);
}

int units_parse_duration(const char *s, int64_t *out_us, struct error *err)
{
	return parse_with_unit(s, duration_units, N_ELEMS(duration_units),
			       "microseconds", out_us, err);
}

int units_parse_size(const char *s, int64_t *out_bytes, struct error *err)
{
	return parse_with_unit(s, size_units, N_ELEMS(size_units), "bytes",
			       out_bytes, err);
}

int units_parse_percent(const char *s, double *out_fraction, struct error *err)
{
	char num[64];
	size_t len = strlen(s);
	double v;
	int rc;

	if (len < 2 || s[len - 1] != '%' || len >= sizeof(num))
		return not_the_form(err);
	memcpy(num, s, len - 1);
	num[len - 1] = '\0';
	rc = units_parse_real(num, &v, err);
	if (rc)
		return rc;
	*out_fraction = v / 100.0;
	return 0;
}

/* Exactly `n` digits at s, as a number; -1 if not digits. */
static int fixed_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int units_parse_timeofday(const char *s, int64_t *out_us, struct error *err)
{
	int h, m, sec = 0, hl;
	size_t len = strlen(s);

	hl = len >= 2 && s[1] == ':' ? 1 : 2;
	if (len != (size_t)hl + 3 && len != (size_t)hl + 6)
		return not_the_form(err);
	h = fixed_digits(s, hl);
	if (h < 0 || s[hl] != ':' || (m = fixed_digits(s + hl + 1, 2)) < 0)
		return not_the_form(err);
	if (len == (size_t)hl + 6 &&
	    (s[hl + 3] != ':' || (sec = fixed_digits(s + hl + 4, 2)) < 0))
		return not_the_form(err);
	if (h > 23 || m > 59 || sec > 59)
		return error_set(err, ERR_INPUT, "no such time of day");
	*out_us = ((int64_t)h * 3600 + m * 60 + sec) * 1000000LL;
	return 0;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t units_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void units_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int units_parse_date(const char *s, int64_t *out_days, struct error *err)
{
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return not_the_form(err);
	y = fixed_digits(s, 4);
	m = fixed_digits(s + 5, 2);
	d = fixed_digits(s + 8, 2);
	if (y < 0 || m < 0 || d < 0)
		return not_the_form(err);
	if (m < 1 || m > 12)
		return error_set(err, ERR_INPUT, "month %d does not exist", m);
	if (d < 1 || (unsigned)d > days_in_month(y, (unsigned)m))
		return error_set(err, ERR_INPUT, "day %d does not exist in %04d-%02d", d, y, m);
	*out_days = units_days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

char *units_format_int(int64_t v, char *buf, size_t n)
{
	snprintf(buf, n, "%" PRId64, v);
	return buf;
}

/*
 * Shortest text that reads back as exactly v, as a plain decimal where that
 * stays short ("0.85", "20000", not "8.5e-01"), else in exponent form.
 * `suffix` is appended ("%") and `div` is what the reader divides by.
 */
static char *format_shortest(double v, double div, const char *suffix, char *buf, size_t n)
{
	double a = fabs(v);

	if (v == 0 || (a >= 1e-6 && a < 1e15)) {
		for (int d = 0; d <= 17; d++) {
			snprintf(buf, n, "%.*f%s", d, v, suffix);
			if (strtod(buf, NULL) / div == v / div)
				return buf;
		}
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g%s", prec, v, suffix);
		if (strtod(buf, NULL) / div == v / div)
			break;
	}
	return buf;
}

char *units_format_real(double v, char *buf, size_t n)
{
	return format_shortest(v, 1.0, "", buf, n);
}

char *units_format_bool(bool v, char *buf, size_t n)
{
	snprintf(buf, n, "%s", v ? "true" : "false");
	return buf;
}

static char *format_with_unit(int64_t v, const struct unit *units, size_t n_units,
			      char *buf, size_t n)
{
	size_t i = 0;

	/* Zero divides by anything; write it in the smallest, most literal unit. */
	if (v != 0)
		while (i + 1 < n_units && v % units[i].scale)
			i++;
	else
		i = n_units - 1;
	snprintf(buf, n, "%" PRId64 "%s", v / units[i].scale, units[i].name);
	return buf;
}

char *units_format_duration(int64_t us, char *buf, size_t n)
{
	/* "0s" reads better than "0us" and is just as exact. */
	if (us == 0) {
		snprintf(buf, n, "0s");
		return buf;
	}
	return format_with_unit(us, duration_units, N_ELEMS(duration_units), buf, n);
}

char *units_format_size(int64_t bytes, char *buf, size_t n)
{
	return format_with_unit(bytes, size_units, N_ELEMS(size_units), buf, n);
}

char *units_format_percent(double fraction, char *buf, size_t n)
{
	double p = fraction * 100.0;

	/* The parser computes x / 100; the x that gives back the fraction may be
	 * an ulp or two off the product, so try it and its neighbours. */
	for (int step = 0; step < 5; step++) {
		double cand = p;

		for (int k = 0; k < (step + 1) / 2; k++)
			cand = nextafter(cand, step % 2 ? INFINITY : -INFINITY);
		format_shortest(cand, 100.0, "%", buf, n);
		if (strtod(buf, NULL) / 100.0 == fraction)
			return buf;
	}
	snprintf(buf, n, "%.17g%%", p);
	return buf;
}

char *units_format_timeofday(int64_t us, char *buf, size_t n)
{
	int64_t s = us / 1000000LL;

	if (s % 60)
		snprintf(buf, n, "%02d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60),
			 (int)(s % 60));
	else
		snprintf(buf, n, "%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60));
	return buf;
}

char *units_format_date(int64_t days, char *buf, size_t n)
{
	int64_t y;
	unsigned m, d;

	units_civil_from_days(days, &y, &m, &d);
	snprintf(buf, n, "%04" PRId64 "-%02u-%02u", y, m, d);
	return buf;
}
