/* Tests for cli/cliopt.c, called directly (test_cli.c drives the binary):
 * flags, values (next argument or --name=value, whatever it looks like),
 * aliases, operands, bounded integers, durations, choices, and the exact
 * usage errors with their --help hint and exit code 2. */
#include "cli/cliopt.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check_main.h"

/* stderr of one parse, captured through a temporary file; the options
 * are reset before it. */
struct captured {
	int rc;
	char err[512];
};

struct opts {
	bool quiet, quiet_seen;
	const char *out, *scenario;
	uint64_t trees;
	uint32_t port;
	size_t rows;
	double rate;
	int64_t dur;
	int fmt;
};

static const char *const formats[] = { "binary", "csv", NULL };

static struct captured parse(struct opts *o, bool operands, int argc, const char **argv)
{
	struct cliopt t[] = {
		{ .name = "--quiet", .alias = "-q", .take = cliopt_flag, .target = &o->quiet,
		  .seen = &o->quiet_seen },
		CLIOPT_VALUE("--out", "-o", "a directory", cliopt_string, &o->out),
		CLIOPT_UINT("--trees", cliopt_uint, &o->trees, 1, 1000),
		CLIOPT_UINT("--port", cliopt_u32, &o->port, 0, 65535),
		CLIOPT_UINT("--rows", cliopt_size, &o->rows, 0, 10),
		CLIOPT_VALUE("--rate", NULL, "a rate", cliopt_positive, &o->rate),
		CLIOPT_VALUE("--for", NULL, "a duration", cliopt_duration, &o->dur),
		CLIOPT_CHOICE("--format", "a format", formats, "bad format '%s'", &o->fmt),
		CLIOPT_ONE_OPERAND("one scenario", "missing SCENARIO", &o->scenario),
		CLIOPT_END,
	};
	struct captured c = { 0 };
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	memset(o, 0, sizeof(*o));
	if (!operands)
		t[8] = (struct cliopt)CLIOPT_END;
	ck_assert_ptr_nonnull(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	dup2(fileno(tmp), STDERR_FILENO);
	c.rc = cliopt_parse("run", argc, (char **)argv, 0, t);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(c.err, 1, sizeof(c.err) - 1, tmp);
	c.err[n] = '\0';
	fclose(tmp);
	return c;
}

#define PARSE(o, operands, ...)                                                        \
	parse(o, operands, (int)(sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(char *)), \
	      (const char *[]){ __VA_ARGS__ })

START_TEST(options_values_and_operands)
{
	struct opts o = { 0 };
	struct captured c = PARSE(&o, true, "-q", "scen.ini", "--out", "-dir-", "--trees=250",
				  "--port", "8080", "--rows", "10", "--rate=2.5", "--for", "2min",
				  "--format", "csv");

	ck_assert_msg(c.rc == 0, "%s", c.err);
	ck_assert_str_eq(c.err, "");
	ck_assert(o.quiet && o.quiet_seen);
	ck_assert_str_eq(o.scenario, "scen.ini");
	ck_assert_str_eq(o.out, "-dir-");          /* the next argument, whatever it is */
	ck_assert_uint_eq(o.trees, 250);
	ck_assert_uint_eq(o.port, 8080);
	ck_assert_uint_eq(o.rows, 10);
	ck_assert_double_eq(o.rate, 2.5);
	ck_assert(o.dur == 120 * 1000000LL);
	ck_assert_int_eq(o.fmt, 1);
	c = PARSE(&o, true, "x.ini", "--for", "1.5", "-o", "d");
	ck_assert_int_eq(c.rc, 0);
	ck_assert(o.dur == 1500000);                /* plain seconds */
	ck_assert(!o.quiet_seen);
	ck_assert_str_eq(o.out, "d");
	c = PARSE(&o, true, "-");                      /* "-" is an operand (stdin) */
	ck_assert_int_eq(c.rc, 0);
	ck_assert_str_eq(o.scenario, "-");
}
END_TEST

static void expect_usage(struct captured c, const char *msg)
{
	char want[512];

	snprintf(want, sizeof(want), "airtime run: %s\nTry 'airtime run --help'.\n", msg);
	ck_assert_int_eq(c.rc, CLIOPT_USAGE);
	ck_assert_str_eq(c.err, want);
}

START_TEST(usage_errors_name_the_command_and_the_option)
{
	struct opts o = { 0 };

	expect_usage(PARSE(&o, true, "a.ini", "--nope"), "unknown option '--nope'");
	expect_usage(PARSE(&o, true, "a.ini", "--quiet=1"), "unknown option '--quiet=1'");
	expect_usage(PARSE(&o, true, "a.ini", "--out"), "option '--out' needs a directory");
	expect_usage(PARSE(&o, true, "a.ini", "b.ini"), "one scenario only; 'b.ini' is extra");
	expect_usage(PARSE(&o, true, "-q"), "missing SCENARIO");
	expect_usage(PARSE(&o, false, "a.ini"), "unexpected argument 'a.ini'");
}
END_TEST

START_TEST(numbers_durations_and_choices_are_checked)
{
	struct opts o = { 0 };

	expect_usage(PARSE(&o, true, "--trees", "0"),
		     "bad value '0' for --trees (expected an integer 1..1000)");
	expect_usage(PARSE(&o, true, "--trees", "1001"),
		     "bad value '1001' for --trees (expected an integer 1..1000)");
	expect_usage(PARSE(&o, true, "--trees=-5"),
		     "bad value '-5' for --trees (expected an integer 1..1000)");
	expect_usage(PARSE(&o, true, "--trees", " 5"),
		     "bad value ' 5' for --trees (expected an integer 1..1000)");
	expect_usage(PARSE(&o, true, "--trees", "5k"),
		     "bad value '5k' for --trees (expected an integer 1..1000)");
	expect_usage(PARSE(&o, true, "--port", "99999999999999999999999"),
		     "bad value '99999999999999999999999' for --port (expected an integer 0..65535)");
	expect_usage(PARSE(&o, true, "--rate", "0"),
		     "bad value '0' for --rate: expected a positive number");
	expect_usage(PARSE(&o, true, "--for", "soon"),
		     "bad value 'soon' for --for: expected a duration such as 30s, 2min or 211h");
	expect_usage(PARSE(&o, true, "--for", "-3"),
		     "bad value '-3' for --for: expected a duration such as 30s, 2min or 211h");
	expect_usage(PARSE(&o, true, "--format", "xml"), "bad format 'xml'");
	ck_assert_int_eq(PARSE(&o, true, "--trees", "7", "--format", "xml").rc, CLIOPT_USAGE);
	ck_assert_uint_eq(o.trees, 7);               /* options before the bad one were taken */
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, options_values_and_operands);
	tcase_add_test(tc, usage_errors_name_the_command_and_the_option);
	tcase_add_test(tc, numbers_durations_and_choices_are_checked);
}

CHECK_MAIN("cliopt", add_tests, 30)
