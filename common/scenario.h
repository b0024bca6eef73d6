#ifndef AIRTIME_SCENARIO_H
#define AIRTIME_SCENARIO_H
/*
 * Scenario files: INI with typed keys and explicit units, read against a
 * schema the caller hands in.
 *
 * A schema (struct scenario_schema) is a table of keys and the struct they
 * fill: each row gives section, name, type, bounds, default, accepted
 * values, a one-line doc, and the field its value goes to (offsetof, size
 * and C type of a member, written with SCENARIO_FIELD).  The parser,
 * `airtime validate`, `--help` and scenarios/README.md are all generated
 * from that table, so they cannot disagree; scenario_fill copies every
 * value into its field, so no code reads a key by name.  This file knows no
 * key: the run's schema is config_schema (config/config_keys.c), the layer
 * that sees every module's config struct.  A row without a field, or with
 * a field of another type than its key, is refused (BUG) when the schema is
 * used; scenario_schema_check says why.
 *
 * Values carry their unit: durations `250ms 30s 5min 2h 3d` (also `us`),
 * sizes `512B 64KiB 5MiB 1GiB`, percentages `50%` (stored as a fraction
 * 0.5), booleans `true/false/yes/no/on/off/1/0`, times of day `22:00`, dates
 * `2022-05-02`.  Repeated sections are written `[spike.NAME]`, declared in
 * the table with section "spike.*" and in the schema's repeats, which say
 * where the array of element structs, its capacity and its count are.
 *
 * Loading collects every error of the file (and of the --set overrides)
 * before failing, one line each, as `FILE:LINE: message` naming the key and
 * the accepted form, with a suggestion for a misspelled key.  Nothing runs
 * on a half-read scenario: on error no scenario is returned.  Rules the
 * table cannot state (one key against another, values a module parses
 * itself) are checked after filling by the module's *_config_check, which
 * starts its message with scenario_where() so it reads like the parser's own.
 *
 * Lines are at most SCENARIO_MAX_LINE characters (libinih's fixed buffer);
 * a longer line is an error, never silently cut.  Comments start a line
 * with ';' or '#', or follow a value after whitespace and ';'.
 *
 * Ownership: a scenario owns copies of its text, name and overrides and
 * borrows its schema, which must outlive it; strings returned by accessors
 * live as long as the scenario.
 *
 * The accessors below take (section, key) as in the table, for messages
 * only (where a value came from, its canonical text), and abort (BUG) when
 * the key is not in the table: that is a programming error, not a user
 * error.  Values reach code through scenario_fill, once, at set-up.
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

/* Longest section, instance or key name. */
#define SCENARIO_NAME_MAX 48
/* Room for any string value with its NUL: a STRING key's field holds at
 * least this many chars. */
#define SCENARIO_TEXT_MAX (SCENARIO_MAX_LINE + 1)

/*
 * The C type of the field a key fills.  Integer-valued keys (integer,
 * duration, size, time of day, date) fill any integer kind whose range
 * holds the key's bounds; an enum fills its choice's index (0 for the
 * first) into a 32-bit integer or C enum whose values follow the choices;
 * real and percent fill a double; a bool a bool; a string a char array of
 * at least SCENARIO_TEXT_MAX.
 */
enum scenario_field {
	SCENARIO_FIELD_NONE = 0,  /* no field: refused, every key fills one */
	SCENARIO_FIELD_I32,       /* int32_t, int; C enums with negative values */
	SCENARIO_FIELD_U32,       /* uint32_t, unsigned; C enums */
	SCENARIO_FIELD_I64,       /* int64_t, simtime */
	SCENARIO_FIELD_U64,       /* uint64_t, size_t */
	SCENARIO_FIELD_DOUBLE,
	SCENARIO_FIELD_BOOL,
	SCENARIO_FIELD_TEXT,      /* char[N], N >= SCENARIO_TEXT_MAX */
};

/* The kind of an lvalue's type; any other type does not compile. */
#define SCENARIO_FIELD_OF(x) _Generic((x),					\
	int32_t: SCENARIO_FIELD_I32, uint32_t: SCENARIO_FIELD_U32,		\
	int64_t: SCENARIO_FIELD_I64, uint64_t: SCENARIO_FIELD_U64,		\
	double: SCENARIO_FIELD_DOUBLE, bool: SCENARIO_FIELD_BOOL,		\
	char *: SCENARIO_FIELD_TEXT)
/* A row's field: offset, size and kind of `member` of `type` (nested
 * members and constant indexes allowed: "sim.world.users", "retry[0].jitter"). */
#define SCENARIO_FIELD(type, member)						\
	offsetof(type, member), sizeof(((type *)0)->member),			\
	SCENARIO_FIELD_OF(((type *)0)->member)

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
	/* The field the value fills (SCENARIO_FIELD): in the schema's struct,
	 * or for a repeated section in one element of its array. */
	size_t offset, size;
	enum scenario_field field;
};

/* One free key of a repeated section (`option.KEY = VALUE`): KEY without
 * the prefix and VALUE as written. */
struct scenario_option {
	char key[SCENARIO_NAME_MAX + 1];
	char value[SCENARIO_TEXT_MAX];
};

/*
 * A repeated section: its instances, in file order, fill elements 0, 1, ...
 * of an array of element structs inside the schema's struct; the count
 * goes to a size_t and each instance's NAME to a char array of the element
 * (at least SCENARIO_NAME_MAX + 1).  More than `max` instances is an error
 * at the header that is one too many.
 *
 * Free keys: with free_prefix set ("option."), a key of the section that
 * starts with it and is not in the table ("option.l2 = 0.01") is kept as
 * written, KEY without the prefix, and filled into an array of struct
 * scenario_option of the element (options, at most options_max, the count
 * in the element's size_t n_options), in file order.  A --set of a KEY the
 * file has replaces its value in place; a new KEY is appended.  KEYs are 1
 * to SCENARIO_NAME_MAX letters, digits, '_', '-' or '.', unique.
 *
 * An enum key may take an instance's NAME as a value: its choices end with
 * the repeated section ("forest|heuristic|ranker.*"), and NAME fills the
 * index (number of plain choices) + (instance index).
 */
struct scenario_repeat {
	const char *section;  /* the rows' section: "spike.*" */
	size_t array;         /* offset of element 0 in the schema's struct */
	size_t stride;        /* sizeof one element */
	size_t max;           /* elements the array holds */
	size_t count;         /* offset of the size_t count */
	size_t name, name_size; /* offset and size of the element's name */
	const char *free_prefix;  /* "option.", or NULL: no free keys */
	const char *free_doc;     /* one line for the reference */
	size_t options;           /* offset of the struct scenario_option array */
	size_t options_max;       /* its elements */
	size_t n_options;         /* offset of the size_t count */
};

/* A key table and the struct it fills (size bytes). */
struct scenario_schema {
	const struct scenario_key *keys;
	size_t n_keys;
	const struct scenario_repeat *repeats;
	size_t n_repeats;
	size_t size;
};

struct scenario;

/* 0, or ERR_INPUT naming the first bad row: a row without a field, a
 * field of another type than its key or outside its struct, two rows
 * filling the same bytes, a section's rows not together, a repeated
 * section without its repeat.  Parsing with a bad schema is a BUG. */
int scenario_schema_check(const struct scenario_schema *schema, struct error *err);

/* Parse a file (read whole; scenario files are small) against `schema`
 * (borrowed; must outlive the scenario), then apply overrides
 * "section.key=value" (as --set gives them).  Returns NULL and fills err
 * (code ERR_INPUT, or ERR_IO for an unreadable file) with all problems,
 * one per line. */
struct scenario *scenario_load(const struct scenario_schema *schema, const char *path,
			       const char *const *overrides, size_t n_overrides,
			       struct error *err);
/* Same from text in memory; `name` is used in messages in place of a path. */
struct scenario *scenario_parse(const struct scenario_schema *schema, const char *text,
				const char *name, const char *const *overrides,
				size_t n_overrides, struct error *err);
void scenario_free(struct scenario *sc);

/* Write every key's value into its field of `out` (schema->size bytes),
 * and each repeated section's instances, count and names; bytes no row
 * names are left as they were. */
void scenario_fill(const struct scenario *sc, void *out);
/* The schema the scenario was read against. */
const struct scenario_schema *scenario_schema(const struct scenario *sc);

/* The exact text the scenario was read from (for run directories). */
const char *scenario_text(const struct scenario *sc);
/* The overrides applied, in order ("section.key=value"). */
size_t scenario_override_count(const struct scenario *sc);
const char *scenario_override(const struct scenario *sc, size_t i);
/* Name given at load (path). */
const char *scenario_name(const struct scenario *sc);

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
 * file order, the order scenario_fill writes them in.  The accessors mirror
 * the plain ones with an instance index. */
size_t scenario_instance_count(const struct scenario *sc, const char *prefix);
const char *scenario_instance_name(const struct scenario *sc, const char *prefix, size_t i);
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
/* Write the Markdown reference of every key of a schema (scenarios/README.md's
 * table). */
int scenario_reference_markdown(const struct scenario_schema *schema, FILE *out,
				struct error *err);

#endif
