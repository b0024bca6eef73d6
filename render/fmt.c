/* Number formatting for reports; see fmt.h. */
#include "render/fmt.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "common/error.h"

static const char *na(char *buf, size_t n)
{
	snprintf(buf, n, "n/a");
	return buf;
}

static const char *num(char *buf, size_t n, double v, const char *flag)
{
	double a = fabs(v);

	if (!isfinite(v))
		return na(buf, n);
	if (v == 0)
		snprintf(buf, n, "0");
	else if (a >= 1e6 || a < 1e-4)
		snprintf(buf, n, *flag ? "%+.3g" : "%.3g", v);
	else if (a >= 1000)
		snprintf(buf, n, *flag ? "%+.0f" : "%.0f", v);
	else
		snprintf(buf, n, *flag ? "%+.4g" : "%.4g", v);
	return buf;
}

const char *fmt_num(char *buf, size_t n, double v)
{
	return num(buf, n, v, "");
}

const char *fmt_signed(char *buf, size_t n, double v)
{
	return num(buf, n, v, "+");
}

const char *fmt_pct(char *buf, size_t n, double v)
{
	double pc = 100 * v;

	if (!isfinite(v))
		return na(buf, n);
	snprintf(buf, n, fabs(pc) < 0.1 && pc != 0 ? "%+.3f %%" : fabs(pc) < 10 ? "%+.2f %%"
		 : "%+.1f %%", pc);
	return buf;
}

const char *fmt_ci(char *buf, size_t n, double lo, double hi)
{
	char a[32], b[32];

	if (!isfinite(lo) || !isfinite(hi))
		return na(buf, n);
	snprintf(buf, n, "[%s, %s]", fmt_signed(a, sizeof(a), lo), fmt_signed(b, sizeof(b), hi));
	return buf;
}

const char *fmt_pct_ci(char *buf, size_t n, double lo, double hi)
{
	char a[32], b[32];

	if (!isfinite(lo) || !isfinite(hi))
		return na(buf, n);
	snprintf(buf, n, "[%s, %s]", fmt_pct(a, sizeof(a), lo), fmt_pct(b, sizeof(b), hi));
	return buf;
}

const char *fmt_p(char *buf, size_t n, double p)
{
	if (!isfinite(p))
		return na(buf, n);
	if (p < 0.001)
		snprintf(buf, n, "< 0.001");
	else
		snprintf(buf, n, "%.3f", p);
	return buf;
}

const char *fmt_simtime(char *buf, size_t n, double us)
{
	long long s, day;

	if (!isfinite(us))
		return na(buf, n);
	s = (long long)floor(us / 1e6);
	day = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	s -= day * 86400;
	snprintf(buf, n, "day %lld %02lld:%02lld:%02lld", day, s / 3600, s / 60 % 60, s % 60);
	return buf;
}

int fmt_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
		return ERR_INPUT;
	*out = v;
	return 0;
}

const char *fmt_append(char *buf, size_t n, const char *fmt, ...)
{
	size_t used = strnlen(buf, n);
	va_list ap;

	/* A full list stays as it is: no separator without a message after it. */
	if (used + (used ? 3 : 1) >= n)
		return buf;
	if (used) {
		memcpy(buf + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, n - used, fmt, ap);
	va_end(ap);
	return buf;
}
