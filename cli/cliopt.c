/* The command line's option parser; see cliopt.h. */
#include "cli/cliopt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/units.h"

int cliopt_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "airtime %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'airtime %s --help'.\n", cmd);
	return CLIOPT_USAGE;
}

/* The row named `a` (its first n characters), or NULL. */
static const struct cliopt *find(const struct cliopt *t, const char *a, size_t n)
{
	for (; t->take; t++)
		if (t->name && ((!strncmp(t->name, a, n) && !t->name[n]) ||
				(t->alias && !strncmp(t->alias, a, n) && !t->alias[n])))
			return t;
	return NULL;
}

static int take(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	if (o->seen)
		*o->seen = true;
	return o->take(cmd, o, opt, val);
}

int cliopt_parse(const char *cmd, int argc, char **argv, int first, const struct cliopt *t)
{
	for (int i = first; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		const struct cliopt *o;
		int rc;

		if (a[0] != '-' || !a[1]) {
			for (o = t; o->take && o->name; o++)
				;
			if (!o->take)
				return cliopt_usage_error(cmd, "unexpected argument '%s'", a);
			rc = take(cmd, o, NULL, a);
		} else if ((o = find(t, a, strlen(a)))) {
			if (o->needs && i + 1 >= argc)
				return cliopt_usage_error(cmd, "option '%s' needs %s", a, o->needs);
			rc = take(cmd, o, a, o->needs ? argv[++i] : NULL);
		} else if (a[1] == '-' && eq && (o = find(t, a, (size_t)(eq - a))) && o->needs) {
			char *opt = strndup(a, (size_t)(eq - a));

			rc = take(cmd, o, opt, eq + 1);
			free(opt);
		} else {
			return cliopt_usage_error(cmd, "unknown option '%s'", a);
		}
		if (rc)
			return rc;
	}
	for (; t->take; t++)
		if (!t->name && t->missing && !*(const char **)t->target)
			return cliopt_usage_error(cmd, "%s", t->missing);
	return 0;
}

int cliopt_flag(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	(void)cmd, (void)opt, (void)val;
	*(bool *)o->target = true;
	return 0;
}

int cliopt_string(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	(void)cmd, (void)opt;
	*(const char **)o->target = val;
	return 0;
}

int cliopt_operand(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	const char **slot = o->target;

	(void)opt;
	if (*slot)
		return cliopt_usage_error(cmd, "%s only; '%s' is extra", o->needs, val);
	*slot = val;
	return 0;
}

enum width { W64, W32, WSIZE };

/* An integer in [o->lo, o->hi] (no minus sign, no unit, nothing after it)
 * stored into a target of the given width. */
static int take_uint(const char *cmd, const struct cliopt *o, const char *opt, const char *s,
		     enum width w)
{
	char *end = NULL;
	unsigned long long v = 0;

	errno = 0;
	/* digits only: strtoull would also take spaces, '+' and a wrapped '-' */
	if (isdigit((unsigned char)*s))
		v = strtoull(s, &end, 10);
	if (!isdigit((unsigned char)*s) || errno || *end || v < o->lo || v > o->hi)
		return cliopt_usage_error(cmd, "bad value '%s' for %s (expected an integer %llu..%llu)",
					  s, opt, o->lo, o->hi);
	if (w == W64)
		*(uint64_t *)o->target = (uint64_t)v;
	else if (w == W32)
		*(uint32_t *)o->target = (uint32_t)v;
	else
		*(size_t *)o->target = (size_t)v;
	return 0;
}

int cliopt_uint(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	return take_uint(cmd, o, opt, val, W64);
}

int cliopt_u32(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	return take_uint(cmd, o, opt, val, W32);
}

int cliopt_size(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	return take_uint(cmd, o, opt, val, WSIZE);
}

int cliopt_positive(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	struct error e;
	double v;

	if (units_parse_real(val, &v, &e) < 0 || !(v > 0))
		return cliopt_usage_error(cmd, "bad value '%s' for %s: expected a positive number", val,
					  opt);
	*(double *)o->target = v;
	return 0;
}

int cliopt_duration(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	int64_t *us = o->target;
	struct error e;
	double sec;

	if (units_parse_duration(val, us, &e) == 0 && *us >= 0)
		return 0;
	if (units_parse_real(val, &sec, &e) == 0 && sec >= 0 && sec < 1e9) {
		*us = (int64_t)llround(sec * 1e6);
		return 0;
	}
	return cliopt_usage_error(cmd, "bad value '%s' for %s: expected a duration such as 30s, "
				  "2min or 211h", val, opt);
}

int cliopt_bytes(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	int64_t v;
	struct error e;

	if (!strcmp(val, "none")) {
		*(uint64_t *)o->target = UINT64_MAX;
		return 0;
	}
	if (units_parse_size(val, &v, &e) == 0 && v > 0) {
		*(uint64_t *)o->target = (uint64_t)v;
		return 0;
	}
	return cliopt_usage_error(cmd, "bad value '%s' for %s: expected a size such as 512MiB or "
				  "4GiB, or none", val, opt);
}

int cliopt_choice(const char *cmd, const struct cliopt *o, const char *opt, const char *val)
{
	(void)opt;
	for (int i = 0; o->choices[i]; i++)
		if (!strcmp(val, o->choices[i])) {
			*(int *)o->target = i;
			return 0;
		}
	return cliopt_usage_error(cmd, o->bad, val);
}
