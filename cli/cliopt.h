#ifndef AIRTIME_CLIOPT_H
#define AIRTIME_CLIOPT_H
/*
 * cliopt: the one option parser of the airtime command line.  A command
 * describes its arguments as a table of rows (name, alias, whether a value
 * follows, a handler and its target); cliopt_parse walks argv once, hands
 * every option and every operand to its row's handler, and prints the usage
 * errors all commands share, each followed by "Try 'airtime CMD --help'.":
 *   airtime CMD: unknown option 'X'
 *   airtime CMD: option 'X' needs <what>          (a value option last)
 *   airtime CMD: one scenario only; 'X' is extra  (an operand too many)
 *   airtime CMD: unexpected argument 'X'          (a command without operands)
 *   airtime CMD: missing SCENARIO                  (a required operand absent)
 * A value option takes the next argument whatever it looks like, or is
 * written --name=value.
 *
 * It prints to stderr, so only the command line (cli/, airtime.c) may use
 * it; the layers below never print.  Tables and targets are borrowed; values stored by
 * cliopt_string point into argv.  Fallible functions return 0, or
 * CLIOPT_USAGE (airtime's exit code for bad usage) after printing.
 */
#include <stdbool.h>

#define CLIOPT_USAGE 2

struct cliopt;

/* A row's handler: store val (NULL for a flag) given as `opt` (the name or
 * alias used; NULL for an operand).  0, or CLIOPT_USAGE after printing. */
typedef int cliopt_take_fn(const char *cmd, const struct cliopt *o, const char *opt,
			   const char *val);

struct cliopt {
	const char *name;          /* "--out"; NULL: the operand row */
	const char *alias;         /* "-o", or NULL */
	/* A value option: what the missing-value error says it needs ("a
	 * directory").  NULL: a flag.  The operand row: what one operand is,
	 * for cliopt_operand's error ("one scenario"). */
	const char *needs;
	cliopt_take_fn *take;      /* NULL ends the table */
	void *target;
	unsigned long long lo, hi; /* bounds for cliopt_uint and cliopt_u32 */
	bool *seen;                /* set true when given, or NULL */
	const char *const *choices; /* cliopt_choice: the accepted words, NULL-terminated */
	const char *bad;           /* cliopt_choice: the error for another word ('%s': it) */
	/* The operand row of cliopt_operand: the error when none was given
	 * ("missing SCENARIO"), or NULL when it may be left out. */
	const char *missing;
};

/* Rows, for tables that read as lists. */
#define CLIOPT_FLAG(name_, alias_, target_) \
	{ .name = name_, .alias = alias_, .take = cliopt_flag, .target = target_ }
#define CLIOPT_VALUE(name_, alias_, needs_, take_, target_) \
	{ .name = name_, .alias = alias_, .needs = needs_, .take = take_, .target = target_ }
#define CLIOPT_UINT(name_, take_, target_, lo_, hi_) \
	{ .name = name_, .needs = "a value", .take = take_, .target = target_, .lo = lo_, .hi = hi_ }
#define CLIOPT_CHOICE(name_, needs_, choices_, bad_, target_) \
	{ .name = name_, .needs = needs_, .take = cliopt_choice, .target = target_, \
	  .choices = choices_, .bad = bad_ }
#define CLIOPT_OPERAND(what_, take_, target_) \
	{ .needs = what_, .take = take_, .target = target_ }
#define CLIOPT_ONE_OPERAND(what_, missing_, target_) \
	{ .needs = what_, .take = cliopt_operand, .target = target_, .missing = missing_ }
#define CLIOPT_END { .take = NULL }

/* Parse argv[first..argc) against the table. */
int cliopt_parse(const char *cmd, int argc, char **argv, int first, const struct cliopt *table);

/* Print "airtime CMD: <message>" and the --help hint; returns CLIOPT_USAGE. */
int cliopt_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Stock handlers, by target type. */
cliopt_take_fn cliopt_flag;     /* bool: true */
cliopt_take_fn cliopt_string;   /* const char *: the value (borrowed from argv) */
cliopt_take_fn cliopt_operand;  /* const char *: the first operand; a second is an error */
cliopt_take_fn cliopt_uint;     /* uint64_t: an integer in [lo, hi] */
cliopt_take_fn cliopt_u32;      /* uint32_t: an integer in [lo, hi] (hi <= UINT32_MAX) */
cliopt_take_fn cliopt_size;     /* size_t: an integer in [lo, hi] (hi <= SIZE_MAX) */
cliopt_take_fn cliopt_positive; /* double: a number > 0 */
cliopt_take_fn cliopt_duration; /* int64_t microseconds: 30s, 2min, 211h, or plain seconds */
cliopt_take_fn cliopt_choice;   /* int: the index of the value in o->choices */
cliopt_take_fn cliopt_bytes;    /* uint64_t bytes: 512MiB, 4GiB; "none": UINT64_MAX */

#endif
