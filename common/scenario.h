#ifndef AIRTIME_SCENARIO_H
#define AIRTIME_SCENARIO_H
/*
 * Scenario files: INI with typed keys and explicit units.
 *
 * One table (scenario_keys[], common/scenario_keys.c) lists every key:
 * section, name, type, bounds, default, accepted values, one-line doc.  The
 * parser, `airtime validate`, `--help` and scenarios/README.md are all
 * generated from it, so they cannot disagree.
 *
 * Values carry their unit: durations `250ms 30s 5min 2h 3d` (also `us`),
 * sizes `512B 64KiB 5MiB 1GiB`, percentages `50%` (stored as a fraction
 * 0.5), booleans `true/false/yes/no/on/off/1/0`, times of day `22:00`, dates
 * `2022-05-02`.  Repeated sections are written `[spike.NAME]` and declared
 * in the table with section "spike.*".
 *
 * Loading collects every error of the file (and of the --set overrides)
 * before failing, one line each, as `FILE:LINE: message` naming the key and
 * the accepted form, with a suggestion for a misspelled key.  Nothing runs
 * on a half-read scenario: on error no scenario is returned.  Rules the
 * table cannot state (one key against another, values a module parses
 * itself) are checked by the module's config loader, which starts its
 * message with scenario_where() so it reads like the parser's own.
 *
 * Lines are at most SCENARIO_MAX_LINE characters (libinih's fixed buffer);
 * a longer line is an error, never silently cut.  Comments start a line
 * with ';' or '#', or follow a value after whitespace and ';'.
 *
 * Ownership: a scenario owns copies of its text, name and overrides; strings
 * returned by accessors live as long as the scenario.
 *
 * Accessors take (section, key) as in the table and abort (BUG) when the
 * key is not in the table or has another type: that is a programming error,
 * not a user error.  Modules read their keys once, at set-up, into their own
 * config structs; never per event.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>

#include "common/error.h"
#include "common/simtime.h"

enum scenario_type {
	SCENARIO_INT,       /* integer, e.g. 20000 (also 20_000, 1e6 is not accepted) */
	SCENARIO_REAL,      /* real, e.g. 0.85 */
	SCENARIO_BOOL,      /* true/false */
	SCENARIO_DURATION,  /* simtime microseconds, unit required */
	SCENARIO_SIZE,      /* bytes, unit required */
	SCENARIO_PERCENT,   /* fraction, written with '%' */
	SCENARIO_ENUM,      /* one of `choices` ("split|twin|both") */
	SCENARIO_STRING,    /* free text (validated by the module that reads it) */
	SCENARIO_TIMEOFDAY, /* HH:MM[:SS] UTC, stored as simtime offset into the day */
	SCENARIO_DATE,      /* YYYY-MM-DD, stored as days since 1970-01-01 */
};

/* Bounds meaning "no limit on this side", for the table's min and max. */
#define SCENARIO_NO_MIN (-INFINITY)
#define SCENARIO_NO_MAX INFINITY

/* Longest line a scenario file may have (libinih's INI_MAX_LINE less the
 * room it keeps for '\r', '\n' and NUL). */
#define SCENARIO_MAX_LINE 197

struct scenario_key {
	const char *section;  /* "world", or "spike.*" for repeated sections */
	const char *name;
	enum scenario_type type;
	double min, max;      /* inclusive bounds in stored units (microseconds, bytes,
			       * fraction, days); SCENARIO_NO_MIN/MAX for none;
			       * ignored for bool/enum/string */
	const char *def;      /* default as written in a file; NULL = required */
	const char *choices;  /* SCENARIO_ENUM: "a|b|c" */
	const char *doc;      /* one line */
};

extern const struct scenario_key scenario_keys[];
extern const size_t scenario_key_count;

struct scenario;

/* Parse a file (read whole; scenario files are small), then apply overrides "section.key=value" (as --set gives
 * them).  Returns NULL and fills err (code ERR_INPUT, or ERR_IO for an
 * unreadable file) with all problems, one per line. */
struct scenario *scenario_load(const char *path, const char *const *overrides,
			       size_t n_overrides, struct error *err);
/* Same from text in memory; `name` is used in messages in place of a path. */
struct scenario *scenario_parse(const char *text, const char *name,
				const char *const *overrides, size_t n_overrides,
				struct error *err);
/* Same with another key table (tests, tools); `keys` is borrowed and must
 * outlive the scenario. */
struct scenario *scenario_parse_keys(const struct scenario_key *keys, size_t n_keys,
				     const char *text, const char *name,
				     const char *const *overrides, size_t n_overrides,
				     struct error *err);
void scenario_free(struct scenario *sc);

/* The exact text the scenario was read from (for run directories). */
const char *scenario_text(const struct scenario *sc);
/* The overrides applied, in order ("section.key=value"). */
size_t scenario_override_count(const struct scenario *sc);
const char *scenario_override(const struct scenario *sc, size_t i);
/* Name given at load (path). */
const char *scenario_name(const struct scenario *sc);

/* Typed accessors for plain sections. */
int64_t scenario_int(const struct scenario *sc, const char *section, const char *key);
double scenario_real(const struct scenario *sc, const char *section, const char *key);
bool scenario_bool(const struct scenario *sc, const char *section, const char *key);
simtime scenario_duration(const struct scenario *sc, const char *section, const char *key);
int64_t scenario_size(const struct scenario *sc, const char *section, const char *key);
double scenario_percent(const struct scenario *sc, const char *section, const char *key);
const char *scenario_enum(const struct scenario *sc, const char *section, const char *key);
const char *scenario_string(const struct scenario *sc, const char *section, const char *key);
simtime scenario_timeofday(const struct scenario *sc, const char *section, const char *key);
int64_t scenario_date(const struct scenario *sc, const char *section, const char *key);
/* Whether the key was written in the file or an override (not defaulted). */
bool scenario_is_set(const struct scenario *sc, const char *section, const char *key);
/*
 * Where the key's value came from, in the form the parser's own messages
 * start with, so checks made after loading (cross-key rules, values a
 * module parses itself) report `WHERE: message` like the parser does:
 * "PATH:LINE" for a key written in the file, "--set ARG" (the argument as
 * given) when an override set it last, "PATH (default)" for a default.
 * Writes at most n bytes into buf (cut if longer) and returns buf.
 */
const char *scenario_where(const struct scenario *sc, const char *section, const char *key,
			   char *buf, size_t n);
/* A buffer size that holds any location short of a pathological path. */
#define SCENARIO_WHERE_MAX 320
/* The key's value in canonical units, as scenario_dump writes it ("50ms",
 * "20%"), for messages; into buf (n bytes), returns buf. */
const char *scenario_format(const struct scenario *sc, const char *section, const char *key,
			    char *buf, size_t n);
/*
 * Report that [section] key is not `rel` ("at most", "below", "at least",
 * "above") [other_section] other_key, as the parser reports a bound:
 *   t.ini:4: value '30' out of range for [rank] k: must be at most
 *   [rank] max_candidates = 20 (t.ini:3)
 * Led by the key the user wrote when the other is a default (the rule is
 * then stated from its side, with the converse relation).  The caller has
 * found the rule broken; returns ERR_INPUT.
 */
int scenario_order_error(struct error *err, const struct scenario *sc, const char *section,
			 const char *key, const char *rel, const char *other_section,
			 const char *other_key);

/* Repeated sections: prefix "spike" matches [spike.NAME]; instances are in
 * file order.  Accessors mirror the plain ones with an instance index. */
size_t scenario_instance_count(const struct scenario *sc, const char *prefix);
const char *scenario_instance_name(const struct scenario *sc, const char *prefix, size_t i);
int64_t scenario_inst_int(const struct scenario *sc, const char *prefix, size_t i, const char *key);
double scenario_inst_real(const struct scenario *sc, const char *prefix, size_t i, const char *key);
bool scenario_inst_bool(const struct scenario *sc, const char *prefix, size_t i, const char *key);
simtime scenario_inst_duration(const struct scenario *sc, const char *prefix, size_t i, const char *key);
double scenario_inst_percent(const struct scenario *sc, const char *prefix, size_t i, const char *key);
const char *scenario_inst_string(const struct scenario *sc, const char *prefix, size_t i, const char *key);
const char *scenario_inst_enum(const struct scenario *sc, const char *prefix, size_t i, const char *key);
int64_t scenario_inst_size(const struct scenario *sc, const char *prefix, size_t i, const char *key);
simtime scenario_inst_timeofday(const struct scenario *sc, const char *prefix, size_t i, const char *key);
int64_t scenario_inst_date(const struct scenario *sc, const char *prefix, size_t i, const char *key);
bool scenario_inst_is_set(const struct scenario *sc, const char *prefix, size_t i, const char *key);
/* scenario_where for instance i; key NULL gives its [prefix.NAME] header,
 * always "PATH:LINE" (instances are only made in the file). */
const char *scenario_inst_where(const struct scenario *sc, const char *prefix, size_t i,
				const char *key, char *buf, size_t n);
/* scenario_format for instance i. */
const char *scenario_inst_format(const struct scenario *sc, const char *prefix, size_t i,
				 const char *key, char *buf, size_t n);

/* Write the fully resolved scenario (every key, defaults included, in table
 * order, values in canonical units) as a valid INI file. */
int scenario_dump(const struct scenario *sc, FILE *out, struct error *err);
/* Write the Markdown reference of every key (scenarios/README.md's table). */
int scenario_reference_markdown(FILE *out, struct error *err);

#endif
