/*
 * Scenario files; see scenario.h.
 *
 * Why libinih: it is small, packaged by Debian (libinih-dev), has no
 * dependencies, and its reader-callback entry point (ini_parse_stream) lets
 * us feed it one line at a time from memory.  That callback is where this
 * file does what inih does not: it counts lines so every handler call knows
 * its line number (Debian builds inih without INI_HANDLER_LINENO), sees
 * section headers (inih does not report empty sections), reports lines
 * longer than inih's fixed buffer instead of letting them be cut, and spots
 * lines inih rejects so that every syntax error is reported, not only the
 * first.  Values are typed here, by the schema the caller hands in, and
 * copied into the caller's struct by scenario_fill.
 */
#include "common/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "common/units.h"
#include "common/xalloc.h"

/* Scenario files are hand-written; anything this large is a mistake. */
#define SCENARIO_MAX_BYTES (4 << 20)
#define NAME_MAX_LEN SCENARIO_NAME_MAX

struct slot {
	union {
		int64_t i;
		double d;
		bool b;
		char *s;
	} v;
	bool set;     /* holds a valid value (given or defaulted) */
	bool given;   /* the value came from the file or an override */
	int line;     /* file line where the key was first written; 0 = not in the file */
	size_t override; /* 1 + index of the last --set that gave the value; 0 = none */
};

/* A free key of an instance (scenario_repeat's free_prefix). */
struct free_key {
	char *key;            /* without the prefix */
	char *value;
	int line;             /* file line; 0 = from an override */
	size_t override;      /* 1 + index of the last --set that gave the value; 0 = none */
};

struct instance {
	const char *pattern;  /* the table's "spike.*" (static storage) */
	char *name;           /* "promo1" */
	int line;             /* of the [spike.promo1] header */
	struct slot *slots;   /* indexed like the schema's keys */
	struct free_key *free;/* free keys, file order then new --set keys */
	size_t n_free, cap_free;
};

struct scenario {
	char *name;
	char *text;
	char **overrides;
	size_t n_overrides;
	const struct scenario_schema *schema;  /* borrowed */
	const struct scenario_key *keys;       /* schema->keys */
	size_t n_keys;
	struct slot *slots;   /* plain sections, indexed like keys[] */
	struct instance *inst;
	size_t n_inst, cap_inst;
};

enum line_kind { LINE_BLANK, LINE_SECTION, LINE_KEY };

struct loader {
	struct scenario *sc;
	const char *file;           /* name used in messages */
	const char *override;       /* the --set argument being applied, or NULL */
	size_t override_no;         /* 1 + its index in sc->overrides */
	/* reader */
	const char *p, *end;
	int line;
	enum line_kind kind;
	bool handled;               /* inih called the handler for this line */
	/* current section: the table's section string, NULL if none or bad */
	const char *tsec;
	struct instance *inst;
	bool in_bad_section;        /* keys under it are not reported again */
	const char **sections;      /* distinct table sections, table order */
	int *section_line;          /* where each plain section's header was */
	size_t n_sections;
	/* collected messages, one per line */
	char *msgs;
	size_t len, cap, count;
};

/* ---------------------------------------------------------------- errors */

static void add_error(struct loader *ld, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add_error(struct loader *ld, int line, const char *fmt, ...)
{
	char body[768], where[320];
	size_t need;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (ld->override)
		snprintf(where, sizeof(where), "--set %s", ld->override);
	else if (line > 0)
		snprintf(where, sizeof(where), "%s:%d", ld->file, line);
	else
		snprintf(where, sizeof(where), "%s", ld->file);
	n = snprintf(NULL, 0, "%s: %s\n", where, body);
	ASSERT(n > 0);
	need = ld->len + (size_t)n + 1;
	XGROW(ld->msgs, need, ld->cap);
	snprintf(ld->msgs + ld->len, (size_t)n + 1, "%s: %s\n", where, body);
	ld->len += (size_t)n;
	ld->count++;
}

/* Copy the collected messages into err: as many whole lines as fit, then a
 * count of the rest, so a long list never ends in half a message. */
static int report_errors(struct loader *ld, struct error *err)
{
	const char *p = ld->msgs, *nl;
	size_t used = 0, shown = 0;
	char tail[64];

	if (!err)
		return ERR_INPUT;
	err->code = ERR_INPUT;
	err->msg[0] = '\0';
	while ((nl = strchr(p, '\n'))) {
		size_t l = (size_t)(nl - p);

		snprintf(tail, sizeof(tail), "\n(and %zu more problems)", ld->count - shown - 1);
		if (used + l + 1 + strlen(tail) >= sizeof(err->msg) && shown + 1 < ld->count)
			break;
		if (used + l + 1 >= sizeof(err->msg))
			break;
		if (used)
			err->msg[used++] = '\n';
		memcpy(err->msg + used, p, l);
		used += l;
		err->msg[used] = '\0';
		shown++;
		p = nl + 1;
	}
	if (shown < ld->count) {
		snprintf(tail, sizeof(tail), "%s(and %zu more problems)", used ? "\n" : "",
			 ld->count - shown);
		snprintf(err->msg + used, sizeof(err->msg) - used, "%s", tail);
	}
	return ERR_INPUT;
}

/* ----------------------------------------------------------- suggestions */

/* Optimal string alignment distance (Levenshtein plus transpositions):
 * "rte" -> "rate" is 1, "ueser" -> "users" is 2. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[NAME_MAX_LEN + 2][NAME_MAX_LEN + 2];

	if (la > NAME_MAX_LEN || lb > NAME_MAX_LEN)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* Keeps the closest candidate seen so far; ties go to the first (table order). */
struct suggest {
	const char *word;
	const char *best;
	size_t best_d;
};

static void suggest_offer(struct suggest *s, const char *cand)
{
	size_t d = edit_distance(s->word, cand);
	/* Half the word, at most 3 edits: "usr" finds "users", "abc" finds nothing. */
	size_t limit = (strlen(s->word) + 1) / 2;

	if (limit > 3)
		limit = 3;
	if (d <= limit && d < s->best_d) {
		s->best = cand;
		s->best_d = d;
	}
}

/* " (did you mean 'x'?)" or "". */
static const char *suggest_text(const struct suggest *s, const char *open, const char *close,
				char *buf, size_t n)
{
	if (!s->best)
		return "";
	snprintf(buf, n, " (did you mean %s%s%s?)", open, s->best, close);
	return buf;
}

/* ---------------------------------------------------------------- table */

static bool is_pattern(const char *section)
{
	size_t l = strlen(section);

	return l > 2 && !strcmp(section + l - 2, ".*");
}

/* Does table section `tsec` ("spike.*") have the prefix `prefix` ("spike")? */
static bool pattern_has_prefix(const char *tsec, const char *prefix)
{
	size_t l = strlen(prefix);

	return is_pattern(tsec) && strlen(tsec) == l + 2 && !strncmp(tsec, prefix, l);
}

static long find_key(const struct scenario *sc, const char *tsec, const char *name)
{
	for (size_t i = 0; i < sc->n_keys; i++)
		if (!strcmp(sc->keys[i].section, tsec) && !strcmp(sc->keys[i].name, name))
			return (long)i;
	return -1;
}

static const char *type_name(enum scenario_type t);
static bool valid_name(const char *s, size_t len);

/* The repeated section an enum's last choice names ("ranker.*" of
 * "forest|ranker.*"), or NULL. */
static const char *pattern_choice(const char *choices)
{
	const char *last = strrchr(choices, '|');

	last = last ? last + 1 : choices;
	return is_pattern(last) ? last : NULL;
}

static bool last_choice_is_pattern(const char *choices)
{
	const char *pc = pattern_choice(choices);

	return pc && strchr(choices, '*') == pc + strlen(pc) - 1 && pc != choices;
}

static const struct scenario_repeat *find_repeat(const struct scenario_schema *schema,
						 const char *tsec)
{
	for (size_t i = 0; i < schema->n_repeats; i++)
		if (!strcmp(schema->repeats[i].section, tsec))
			return &schema->repeats[i];
	BUG("no repeat for [%s] in the schema", tsec);
}

/* ---------------------------------------------------------------- schema */

static const char *field_name(enum scenario_field f)
{
	switch (f) {
	case SCENARIO_FIELD_NONE: return "no field";
	case SCENARIO_FIELD_I32: return "a 32-bit integer";
	case SCENARIO_FIELD_U32: return "a 32-bit unsigned integer";
	case SCENARIO_FIELD_I64: return "a 64-bit integer";
	case SCENARIO_FIELD_U64: return "a 64-bit unsigned integer";
	case SCENARIO_FIELD_DOUBLE: return "a double";
	case SCENARIO_FIELD_BOOL: return "a bool";
	case SCENARIO_FIELD_TEXT: return "a char array";
	}
	return "?";
}

static size_t field_size(enum scenario_field f)
{
	switch (f) {
	case SCENARIO_FIELD_I32:
	case SCENARIO_FIELD_U32:
		return 4;
	case SCENARIO_FIELD_I64:
	case SCENARIO_FIELD_U64:
		return 8;
	case SCENARIO_FIELD_DOUBLE:
		return sizeof(double);
	case SCENARIO_FIELD_BOOL:
		return sizeof(bool);
	default:
		return 0;
	}
}

/* Does every value of key k fit its field?  Integer kinds must hold the
 * key's bounds (values are parsed as int64 and checked against them). */
static const char *field_mismatch(const struct scenario_key *k)
{
	double lo = 0, hi = 0;

	switch (k->type) {
	case SCENARIO_REAL:
	case SCENARIO_PERCENT:
		return k->field == SCENARIO_FIELD_DOUBLE ? NULL : "a real needs a double";
	case SCENARIO_BOOL:
		return k->field == SCENARIO_FIELD_BOOL ? NULL : "a bool needs a bool";
	case SCENARIO_STRING:
		if (k->field != SCENARIO_FIELD_TEXT)
			return "a string needs a char array";
		return k->size >= SCENARIO_TEXT_MAX ? NULL
						    : "its char array is shorter than SCENARIO_TEXT_MAX";
	case SCENARIO_ENUM:
		if (!k->choices || !*k->choices)
			return "an enum needs choices";
		if (strchr(k->choices, '*') && !last_choice_is_pattern(k->choices))
			return "only its last choice may name a repeated section";
		return k->field == SCENARIO_FIELD_I32 || k->field == SCENARIO_FIELD_U32
			       ? NULL : "an enum needs a 32-bit integer or C enum";
	default:
		break;
	}
	switch (k->field) {
	case SCENARIO_FIELD_I32: lo = INT32_MIN, hi = INT32_MAX; break;
	case SCENARIO_FIELD_U32: lo = 0, hi = UINT32_MAX; break;
	case SCENARIO_FIELD_I64: return NULL;
	case SCENARIO_FIELD_U64: lo = 0, hi = INFINITY; break;
	default: return "an integer-valued key needs an integer field";
	}
	return k->min >= lo && k->max <= hi ? NULL : "its bounds do not fit the field's type";
}

/* Byte ranges [a, a + n) and [b, b + m) meet. */
static bool overlap(size_t a, size_t n, size_t b, size_t m)
{
	return a < b + m && b < a + n;
}

int scenario_schema_check(const struct scenario_schema *schema, struct error *err)
{
	const struct scenario_key *keys = schema->keys;

	for (size_t i = 0; i < schema->n_keys; i++) {
		const struct scenario_key *k = &keys[i];
		const struct scenario_repeat *r = NULL;
		size_t space = schema->size;
		const char *why;

		if (!k->section || !k->name || !k->doc)
			return error_set(err, ERR_INPUT, "row %zu: section, name or doc missing", i);
		if (k->field == SCENARIO_FIELD_NONE || !k->size)
			return error_set(err, ERR_INPUT, "[%s] %s fills no field", k->section,
					 k->name);
		if (k->field != SCENARIO_FIELD_TEXT && k->size != field_size(k->field))
			return error_set(err, ERR_INPUT, "[%s] %s: field of %zu bytes is not %s",
					 k->section, k->name, k->size, field_name(k->field));
		if ((why = field_mismatch(k)))
			return error_set(err, ERR_INPUT, "[%s] %s (%s) fills %s: %s", k->section,
					 k->name, type_name(k->type), field_name(k->field), why);
		if (k->type == SCENARIO_ENUM && pattern_choice(k->choices)) {
			bool found = false;

			for (size_t j = 0; j < schema->n_repeats; j++)
				found |= !strcmp(schema->repeats[j].section, pattern_choice(k->choices));
			if (!found)
				return error_set(err, ERR_INPUT, "[%s] %s: choice [%s] is no repeat",
						 k->section, k->name, pattern_choice(k->choices));
		}
		if (is_pattern(k->section)) {
			for (size_t j = 0; j < schema->n_repeats && !r; j++)
				if (!strcmp(schema->repeats[j].section, k->section))
					r = &schema->repeats[j];
			if (!r)
				return error_set(err, ERR_INPUT, "[%s] %s: no repeat for [%s]",
						 k->section, k->name, k->section);
			space = r->stride;
			if (overlap(k->offset, k->size, r->name, r->name_size))
				return error_set(err, ERR_INPUT, "[%s] %s fills the instance name",
						 k->section, k->name);
		} else {
			for (size_t j = 0; j < schema->n_repeats; j++) {
				const struct scenario_repeat *rj = &schema->repeats[j];

				if (overlap(k->offset, k->size, rj->array, rj->max * rj->stride) ||
				    overlap(k->offset, k->size, rj->count, sizeof(size_t)))
					return error_set(err, ERR_INPUT,
							 "[%s] %s fills part of [%s]'s array or count",
							 k->section, k->name, rj->section);
			}
		}
		if (k->offset > space || k->size > space - k->offset)
			return error_set(err, ERR_INPUT, "[%s] %s: field outside its struct",
					 k->section, k->name);
		for (size_t j = 0; j < i; j++) {
			const struct scenario_key *o = &keys[j];

			if (!strcmp(o->section, k->section) && !strcmp(o->name, k->name))
				return error_set(err, ERR_INPUT, "[%s] %s twice", k->section,
						 k->name);
			if (is_pattern(o->section) == is_pattern(k->section) &&
			    (!is_pattern(k->section) || !strcmp(o->section, k->section)) &&
			    overlap(o->offset, o->size, k->offset, k->size))
				return error_set(err, ERR_INPUT, "[%s] %s and [%s] %s fill the same bytes",
						 o->section, o->name, k->section, k->name);
			/* dump and reference group a section at its first row */
			if (j + 1 < i && !strcmp(o->section, k->section) &&
			    strcmp(keys[i - 1].section, k->section))
				return error_set(err, ERR_INPUT, "[%s] rows are not together",
						 k->section);
		}
	}
	for (size_t j = 0; j < schema->n_repeats; j++) {
		const struct scenario_repeat *r = &schema->repeats[j];
		bool has_rows = false;

		for (size_t i = 0; i < schema->n_keys && !has_rows; i++)
			has_rows = !strcmp(keys[i].section, r->section);
		if (!is_pattern(r->section) || !has_rows)
			return error_set(err, ERR_INPUT, "repeat [%s] has no rows of its own",
					 r->section);
		if (!r->max || !r->stride || r->max > (schema->size - r->array) / r->stride ||
		    r->count > schema->size - sizeof(size_t) ||
		    overlap(r->count, sizeof(size_t), r->array, r->max * r->stride))
			return error_set(err, ERR_INPUT, "repeat [%s]: array or count outside the struct",
					 r->section);
		if (r->name_size <= NAME_MAX_LEN || r->name > r->stride ||
		    r->name_size > r->stride - r->name)
			return error_set(err, ERR_INPUT, "repeat [%s]: name field too short or outside",
					 r->section);
		if (r->free_prefix &&
		    (!*r->free_prefix || r->free_prefix[strlen(r->free_prefix) - 1] != '.' ||
		     !r->free_doc || !r->options_max ||
		     r->options > r->stride ||
		     r->options_max > (r->stride - r->options) / sizeof(struct scenario_option) ||
		     r->n_options > r->stride - sizeof(size_t) ||
		     overlap(r->n_options, sizeof(size_t), r->options,
			     r->options_max * sizeof(struct scenario_option)) ||
		     overlap(r->options, r->options_max * sizeof(struct scenario_option), r->name,
			     r->name_size) ||
		     overlap(r->n_options, sizeof(size_t), r->name, r->name_size)))
			return error_set(err, ERR_INPUT,
					 "repeat [%s]: free keys: prefix, doc, array or count wrong",
					 r->section);
		if (r->free_prefix)
			for (size_t i = 0; i < schema->n_keys; i++)
				if (!strcmp(keys[i].section, r->section) &&
				    (overlap(keys[i].offset, keys[i].size, r->options,
					     r->options_max * sizeof(struct scenario_option)) ||
				     overlap(keys[i].offset, keys[i].size, r->n_options,
					     sizeof(size_t)) ||
				     !strncmp(keys[i].name, r->free_prefix, strlen(r->free_prefix))))
					return error_set(err, ERR_INPUT,
							 "[%s] %s: fills the free keys or has their prefix",
							 keys[i].section, keys[i].name);
		for (size_t i = 0; i < j; i++) {
			const struct scenario_repeat *o = &schema->repeats[i];

			if (overlap(o->array, o->max * o->stride, r->array, r->max * r->stride) ||
			    overlap(o->count, sizeof(size_t), r->count, sizeof(size_t)) ||
			    overlap(o->count, sizeof(size_t), r->array, r->max * r->stride) ||
			    overlap(r->count, sizeof(size_t), o->array, o->max * o->stride))
				return error_set(err, ERR_INPUT, "repeats [%s] and [%s] share bytes",
						 o->section, r->section);
		}
	}
	return 0;
}

static const char *type_name(enum scenario_type t)
{
	switch (t) {
	case SCENARIO_INT: return "integer";
	case SCENARIO_REAL: return "real";
	case SCENARIO_BOOL: return "bool";
	case SCENARIO_DURATION: return "duration";
	case SCENARIO_SIZE: return "size";
	case SCENARIO_PERCENT: return "percent";
	case SCENARIO_ENUM: return "enum";
	case SCENARIO_STRING: return "string";
	case SCENARIO_TIMEOFDAY: return "time of day";
	case SCENARIO_DATE: return "date";
	}
	return "?";
}

/* The accepted form, as messages and the reference state it. */
static const char *type_form(enum scenario_type t)
{
	switch (t) {
	case SCENARIO_INT: return "an integer (e.g. 20000 or 20_000)";
	case SCENARIO_REAL: return "a number (e.g. 0.85 or 1e-3)";
	case SCENARIO_BOOL: return "true or false (also yes/no, on/off, 1/0)";
	case SCENARIO_DURATION: return "a duration with a unit (e.g. 250ms, 30s, 5min, 2h, 3d)";
	case SCENARIO_SIZE: return "a size with a unit (e.g. 512B, 64KiB, 5MiB, 1GiB)";
	case SCENARIO_PERCENT: return "a percentage (e.g. 50% or 12.5%)";
	case SCENARIO_ENUM: return "one of the listed choices";
	case SCENARIO_STRING: return "text";
	case SCENARIO_TIMEOFDAY: return "a time of day HH:MM or HH:MM:SS (e.g. 22:00)";
	case SCENARIO_DATE: return "a date YYYY-MM-DD (e.g. 2022-05-02)";
	}
	return "?";
}

/* A stored value (or bound) in the key's unit. */
static void format_stored(enum scenario_type t, double v, char *buf, size_t n)
{
	switch (t) {
	case SCENARIO_DURATION:
		units_format_duration((int64_t)v, buf, n);
		break;
	case SCENARIO_SIZE:
		units_format_size((int64_t)v, buf, n);
		break;
	case SCENARIO_PERCENT:
		units_format_percent(v, buf, n);
		break;
	case SCENARIO_TIMEOFDAY:
		units_format_timeofday((int64_t)v, buf, n);
		break;
	case SCENARIO_DATE:
		units_format_date((int64_t)v, buf, n);
		break;
	case SCENARIO_INT:
		units_format_int((int64_t)v, buf, n);
		break;
	default:
		units_format_real(v, buf, n);
		break;
	}
}

static bool has_bounds(enum scenario_type t)
{
	return t != SCENARIO_BOOL && t != SCENARIO_ENUM && t != SCENARIO_STRING;
}

/* "between 1s and 12h", "at least 0", "at most 5", or "" for none. */
static void format_bounds(const struct scenario_key *k, char *buf, size_t n)
{
	char lo[UNITS_FORMAT_MAX], hi[UNITS_FORMAT_MAX];
	bool has_lo = isfinite(k->min), has_hi = isfinite(k->max);

	if (has_lo)
		format_stored(k->type, k->min, lo, sizeof(lo));
	if (has_hi)
		format_stored(k->type, k->max, hi, sizeof(hi));
	if (has_lo && has_hi)
		snprintf(buf, n, "between %s and %s", lo, hi);
	else if (has_lo)
		snprintf(buf, n, "at least %s", lo);
	else if (has_hi)
		snprintf(buf, n, "at most %s", hi);
	else
		buf[0] = '\0';
}

/* Choice `c` of "a|b|c" separated by `sep`, into buf. */
static void format_choices(const char *choices, const char *sep, const char *quote,
			   char *buf, size_t n)
{
	size_t used = 0;
	const char *p = choices;

	buf[0] = '\0';
	while (*p && used < n) {
		size_t l = strcspn(p, "|");
		/* a repeated section "ranker.*" stands for its instances' names */
		bool pat = l > 2 && p[l - 1] == '*' && p[l - 2] == '.';
		int w = pat ? snprintf(buf + used, n - used, "%sthe name of a %s[%.*s.NAME]%s section",
				       used ? sep : "", quote, (int)l - 2, p, quote)
			    : snprintf(buf + used, n - used, "%s%s%.*s%s", used ? sep : "", quote,
				       (int)l, p, quote);

		if (w < 0)
			break;
		used += (size_t)w;
		p += l;
		if (*p == '|')
			p++;
	}
}

/* ---------------------------------------------------------------- values */

static void slot_release(const struct scenario_key *k, struct slot *s)
{
	if (k->type == SCENARIO_STRING || k->type == SCENARIO_ENUM)
		free(s->v.s);
	s->v.s = NULL;
	s->set = false;
}

/*
 * Parse `text` as key k's type, check its bounds, and fill *out.  On a bad
 * value write the message (without location) into msg and return -1.
 * `where` names the key as "[section] key".
 */
static int parse_value(const struct scenario_key *k, const char *where, const char *text,
		       struct slot *out, char *msg, size_t n)
{
	struct error e;
	double cmp = 0;
	int rc = 0;

	error_clear(&e);
	switch (k->type) {
	case SCENARIO_INT:
		rc = units_parse_int(text, &out->v.i, &e);
		cmp = (double)out->v.i;
		break;
	case SCENARIO_REAL:
		rc = units_parse_real(text, &out->v.d, &e);
		cmp = out->v.d;
		break;
	case SCENARIO_BOOL:
		rc = units_parse_bool(text, &out->v.b, &e);
		break;
	case SCENARIO_DURATION:
		rc = units_parse_duration(text, &out->v.i, &e);
		cmp = (double)out->v.i;
		break;
	case SCENARIO_SIZE:
		rc = units_parse_size(text, &out->v.i, &e);
		cmp = (double)out->v.i;
		break;
	case SCENARIO_PERCENT:
		rc = units_parse_percent(text, &out->v.d, &e);
		cmp = out->v.d;
		break;
	case SCENARIO_TIMEOFDAY:
		rc = units_parse_timeofday(text, &out->v.i, &e);
		cmp = (double)out->v.i;
		break;
	case SCENARIO_DATE:
		rc = units_parse_date(text, &out->v.i, &e);
		cmp = (double)out->v.i;
		break;
	case SCENARIO_STRING:
		out->v.s = xstrdup(text);
		return 0;
	case SCENARIO_ENUM: {
		const char *p = k->choices;
		size_t tl = strlen(text);
		struct suggest sg = { text, NULL, SIZE_MAX };
		char list[512], cand[NAME_MAX_LEN + 1], sbuf[128];

		ASSERT(p);
		while (*p) {
			size_t l = strcspn(p, "|");

			if (p[l - 1] == '*') {
				p += l;
				continue;
			}
			if (l == tl && !strncmp(p, text, l)) {
				out->v.s = xstrdup(text);
				return 0;
			}
			if (l <= NAME_MAX_LEN) {
				memcpy(cand, p, l);
				cand[l] = '\0';
				suggest_offer(&sg, cand);
				/* suggest_offer keeps a pointer: keep the best in sbuf */
				if (sg.best == cand) {
					snprintf(sbuf, sizeof(sbuf), "%s", cand);
					sg.best = sbuf;
				}
			}
			p += l;
			if (*p == '|')
				p++;
		}
		if (pattern_choice(k->choices) && valid_name(text, strlen(text))) {
			/* an instance's name, perhaps of a section further down:
			 * check_instance_choices() looks once everything is read */
			out->v.s = xstrdup(text);
			return 0;
		}
		format_choices(k->choices, ", ", "", list, sizeof(list));
		{
			char hint[160];

			snprintf(msg, n, "bad value '%s' for %s: expected one of %s%s", text, where,
				 list, suggest_text(&sg, "'", "'", hint, sizeof(hint)));
		}
		return -1;
	}
	}
	if (rc) {
		snprintf(msg, n, "bad value '%s' for %s: %.200s%sexpected %s", text, where, e.msg,
			 e.msg[0] ? "; " : "", type_form(k->type));
		return -1;
	}
	if (has_bounds(k->type) && (cmp < k->min || cmp > k->max)) {
		char b[128];

		format_bounds(k, b, sizeof(b));
		snprintf(msg, n, "value '%s' out of range for %s: must be %s", text, where, b);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- sections */

static bool valid_name(const char *s, size_t len)
{
	if (!len || len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static struct instance *find_instance(struct scenario *sc, const char *pattern,
				      const char *name)
{
	for (size_t i = 0; i < sc->n_inst; i++)
		if (sc->inst[i].pattern == pattern && !strcmp(sc->inst[i].name, name))
			return &sc->inst[i];
	return NULL;
}

static size_t section_index(const struct loader *ld, const char *tsec)
{
	for (size_t i = 0; i < ld->n_sections; i++)
		if (ld->sections[i] == tsec)
			return i;
	BUG("section '%s' not in the table", tsec);
}

/* Suggest a section for `word`: plain names as written, patterns as
 * "spike.NAME" when the word has a dot, "spike" otherwise. */
static const char *suggest_section(const struct loader *ld, const char *word, char *buf,
				   size_t n)
{
	struct suggest sg = { word, NULL, SIZE_MAX };
	char cand[NAME_MAX_LEN + 8], best[NAME_MAX_LEN + 8] = "";
	const char *dot = strchr(word, '.');

	for (size_t i = 0; i < ld->n_sections; i++) {
		const char *s = ld->sections[i];

		if (is_pattern(s)) {
			if (dot)
				snprintf(cand, sizeof(cand), "%.*s%s", (int)(strlen(s) - 2), s, dot);
			else
				snprintf(cand, sizeof(cand), "%.*s", (int)(strlen(s) - 2), s);
		} else {
			snprintf(cand, sizeof(cand), "%s", s);
		}
		suggest_offer(&sg, cand);
		if (sg.best == cand) {
			snprintf(best, sizeof(best), "%s", cand);
			sg.best = best;
		}
	}
	return suggest_text(&sg, "[", "]", buf, n);
}

/*
 * Resolve a section name as written ("world", "spike.promo1") to the table
 * section and, for repeated sections, the instance.  Headers create
 * instances (create = line of the header); overrides only find them.
 * Returns 0, or -1 after reporting why.
 */
static int resolve_section(struct loader *ld, const char *name, int create, const char **tsec,
			   struct instance **inst)
{
	const char *dot = strchr(name, '.');
	char prefix[NAME_MAX_LEN + 1], hint[160];
	size_t pl = dot ? (size_t)(dot - name) : strlen(name);
	int line = create > 0 ? create : 0;

	*tsec = NULL;
	*inst = NULL;
	if (pl > NAME_MAX_LEN || !valid_name(name, pl)) {
		add_error(ld, line, "bad section name [%s]: expected letters, digits, '_' or '-'",
			  name);
		return -1;
	}
	memcpy(prefix, name, pl);
	prefix[pl] = '\0';
	for (size_t i = 0; i < ld->n_sections; i++) {
		const char *s = ld->sections[i];

		if (!dot && !strcmp(s, prefix)) {
			*tsec = s;
			return 0;
		}
		if (!dot && pattern_has_prefix(s, prefix)) {
			add_error(ld, line, "section [%s] needs an instance name, as in [%s.NAME]",
				  name, prefix);
			return -1;
		}
		if (dot && !strcmp(s, prefix)) {
			add_error(ld, line, "section [%s] takes no instance name: write [%s]", name,
				  prefix);
			return -1;
		}
		if (dot && pattern_has_prefix(s, prefix)) {
			if (!valid_name(dot + 1, strlen(dot + 1))) {
				add_error(ld, line,
					  "bad instance name '%s' in [%s]: expected 1 to %d letters, digits, '_' or '-'",
					  dot + 1, name, NAME_MAX_LEN);
				return -1;
			}
			*tsec = s;
			*inst = find_instance(ld->sc, s, dot + 1);
			if (*inst || !create) {
				if (!*inst)
					add_error(ld, line, "no section [%s] in %s", name, ld->file);
				return *inst ? 0 : -1;
			}
			{
				const struct scenario_repeat *r = find_repeat(ld->sc->schema, s);
				size_t have = 0;

				for (size_t j = 0; j < ld->sc->n_inst; j++)
					have += ld->sc->inst[j].pattern == s;
				if (have == r->max) {
					add_error(ld, line, "too many [%s.NAME] sections: at most %zu",
						  prefix, r->max);
					return -1;
				}
			}
			XGROW(ld->sc->inst, ld->sc->n_inst + 1, ld->sc->cap_inst);
			*inst = &ld->sc->inst[ld->sc->n_inst++];
			memset(*inst, 0, sizeof(**inst));
			(*inst)->pattern = s;
			(*inst)->name = xstrdup(dot + 1);
			(*inst)->line = create;
			(*inst)->slots = xcalloc(ld->sc->n_keys, sizeof(struct slot));
			return 0;
		}
	}
	add_error(ld, line, "unknown section [%s]%s", name,
		  suggest_section(ld, name, hint, sizeof(hint)));
	return -1;
}

/* A "[name]" line: check it, remember the section for the keys below it. */
static void section_header(struct loader *ld, const char *line)
{
	const char *p = line + 1, *close = NULL, *q;
	char name[2 * NAME_MAX_LEN + 8];
	size_t len;
	const char *tsec;
	struct instance *inst;

	ld->tsec = NULL;
	ld->inst = NULL;
	ld->in_bad_section = true;
	/* Same rule as inih: an inline comment is ';' after whitespace. */
	for (q = p; *q && *q != '\n'; q++) {
		if (*q == ']') {
			close = q;
			break;
		}
		if (*q == ';' && q > p && isspace((unsigned char)q[-1]))
			break;
	}
	if (!close) {
		add_error(ld, ld->line, "missing ']' in section header");
		return;
	}
	for (q = close + 1; *q == ' ' || *q == '\t'; q++)
		;
	if (*q && *q != '\n' && *q != ';' && *q != '#') {
		add_error(ld, ld->line, "unexpected text after section header [%.*s]",
			  (int)(close - p), p);
		return;
	}
	while (p < close && isspace((unsigned char)*p))
		p++;
	len = (size_t)(close - p);
	while (len && isspace((unsigned char)p[len - 1]))
		len--;
	if (!len) {
		add_error(ld, ld->line, "empty section name '[]'");
		return;
	}
	if (len >= sizeof(name)) {
		add_error(ld, ld->line, "section name too long (%zu characters, at most %d)", len,
			  2 * NAME_MAX_LEN + 1);
		return;
	}
	memcpy(name, p, len);
	name[len] = '\0';
	if (resolve_section(ld, name, ld->line, &tsec, &inst) < 0)
		return;
	if (inst) {
		if (inst->line != ld->line) {
			add_error(ld, ld->line, "duplicate section [%s] (first at line %d)", name,
				  inst->line);
			return;
		}
	} else {
		size_t si = section_index(ld, tsec);

		if (ld->section_line[si]) {
			add_error(ld, ld->line, "duplicate section [%s] (first at line %d)", name,
				  ld->section_line[si]);
			return;
		}
		ld->section_line[si] = ld->line;
	}
	ld->tsec = tsec;
	ld->inst = inst;
	ld->in_bad_section = false;
}

/* Display "[section]" for messages: the instance's own name if any. */
static void section_display(const char *tsec, const struct instance *inst, char *buf, size_t n)
{
	if (inst)
		snprintf(buf, n, "[%.*s.%s]", (int)(strlen(tsec) - 2), tsec, inst->name);
	else
		snprintf(buf, n, "[%s]", tsec);
}

/* The repeat of an instance's section when it takes free keys, else NULL. */
static const struct scenario_repeat *free_repeat(const struct scenario *sc, const char *tsec)
{
	const struct scenario_repeat *r = find_repeat(sc->schema, tsec);

	return r->free_prefix ? r : NULL;
}

/* A free key: letters, digits, '_', '-' and '.', not starting or ending
 * with a dot. */
static bool valid_free_key(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > NAME_MAX_LEN || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* PREFIX.KEY = value in an instance whose repeat takes free keys. */
static void apply_free(struct loader *ld, const struct scenario_repeat *r, struct instance *inst,
		       const char *sec, const char *name, const char *value, int line)
{
	const char *key = name + strlen(r->free_prefix);
	struct free_key *f = NULL;

	if (!valid_free_key(key)) {
		add_error(ld, line,
			  "bad key '%s' in %s: expected %s followed by 1 to %d letters, digits, '_', '-' or '.'",
			  name, sec, r->free_prefix, NAME_MAX_LEN);
		return;
	}
	if (strlen(value) >= SCENARIO_TEXT_MAX) {
		add_error(ld, line, "value of '%s' in %s too long (at most %d characters)", name,
			  sec, SCENARIO_TEXT_MAX - 1);
		return;
	}
	for (size_t i = 0; i < inst->n_free; i++)
		if (!strcmp(inst->free[i].key, key))
			f = &inst->free[i];
	if (f && line > 0) {
		add_error(ld, line, "duplicate key '%s' in %s (first set at line %d)", name, sec,
			  f->line);
		return;
	}
	if (!f) {
		if (inst->n_free == r->options_max) {
			add_error(ld, line, "too many %s keys in %s: at most %zu", r->free_prefix, sec,
				  r->options_max);
			return;
		}
		XGROW(inst->free, inst->n_free + 1, inst->cap_free);
		f = &inst->free[inst->n_free++];
		memset(f, 0, sizeof(*f));
		f->key = xstrdup(key);
		f->line = line;
	}
	free(f->value);
	f->value = xstrdup(value);
	f->override = line > 0 ? 0 : ld->override_no;
}

/* key = value in the current section (file) or from an override. */
static void apply_value(struct loader *ld, const char *tsec, struct instance *inst,
			const char *name, const char *value, int line)
{
	char sec[2 * NAME_MAX_LEN + 8], where[3 * NAME_MAX_LEN + 16], msg[768], hint[160];
	struct slot *slots = inst ? inst->slots : ld->sc->slots, tmp;
	const struct scenario *sc = ld->sc;
	long idx = find_key(sc, tsec, name);
	const struct scenario_key *k;
	const struct scenario_repeat *fr = inst ? free_repeat(sc, tsec) : NULL;

	section_display(tsec, inst, sec, sizeof(sec));
	if (idx < 0 && fr && !strncmp(name, fr->free_prefix, strlen(fr->free_prefix))) {
		apply_free(ld, fr, inst, sec, name, value, line);
		return;
	}
	if (idx < 0) {
		struct suggest sg = { name, NULL, SIZE_MAX };

		for (size_t i = 0; i < sc->n_keys; i++)
			if (!strcmp(sc->keys[i].section, tsec))
				suggest_offer(&sg, sc->keys[i].name);
		add_error(ld, line, "unknown key '%s' in %s%s", name, sec,
			  suggest_text(&sg, "'", "'", hint, sizeof(hint)));
		return;
	}
	k = &sc->keys[idx];
	if (line > 0) {
		if (slots[idx].line) {
			add_error(ld, line, "duplicate key '%s' in %s (first set at line %d)", name,
				  sec, slots[idx].line);
			return;
		}
		slots[idx].line = line;
	}
	snprintf(where, sizeof(where), "%s %s", sec, name);
	memset(&tmp, 0, sizeof(tmp));
	if (parse_value(k, where, value, &tmp, msg, sizeof(msg)) < 0) {
		add_error(ld, line, "%s", msg);
		return;
	}
	slot_release(k, &slots[idx]);
	slots[idx].v = tmp.v;
	slots[idx].set = true;
	slots[idx].given = true;
	/* The last source wins, so a later --set is where the value came from
	 * even when the file wrote the key too (line is kept for duplicates). */
	slots[idx].override = line > 0 ? 0 : ld->override_no;
}

/* ---------------------------------------------------------------- reading */

/* The line just handed to inih held something inih could not parse (it
 * calls no handler for it): say so now that the next line is asked for. */
static void finish_line(struct loader *ld)
{
	if (ld->kind == LINE_KEY && !ld->handled)
		add_error(ld, ld->line, "expected 'key = value', a [section] header or a comment");
	ld->kind = LINE_BLANK;
	ld->handled = false;
}

/*
 * inih's reader callback (fgets-like): hands over one line of the text.
 * Lines are left-trimmed, which also stops inih from taking an indented line
 * for the continuation of the previous value (a Python configparser habit
 * that would turn a stray indent into a confusing duplicate key).
 */
static char *reader(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	const char *s, *nl;
	size_t len;

	finish_line(ld);
	if (ld->p >= ld->end)
		return NULL;
	ASSERT(num >= SCENARIO_MAX_LINE + 3);
	s = ld->p;
	nl = memchr(s, '\n', (size_t)(ld->end - s));
	len = nl ? (size_t)(nl - s) : (size_t)(ld->end - s);
	ld->p = nl ? nl + 1 : ld->end;
	ld->line++;
	if (len && s[len - 1] == '\r')
		len--;
	if (ld->line == 1 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
		s += 3;
		len -= 3;
	}
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	str[0] = '\0';
	if (memchr(s, '\0', len)) {
		add_error(ld, ld->line, "line contains a NUL byte");
		return str;
	}
	if (len > SCENARIO_MAX_LINE) {
		add_error(ld, ld->line, "line too long (%zu characters, at most %d)", len,
			  SCENARIO_MAX_LINE);
		return str;
	}
	memcpy(str, s, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	if (!len || *s == ';' || *s == '#') {
		ld->kind = LINE_BLANK;
	} else if (*s == '[') {
		ld->kind = LINE_SECTION;
		section_header(ld, str);
	} else {
		ld->kind = LINE_KEY;
	}
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *ld = user;

	(void)section; /* ours, from section_header, is the one with validation */
	ld->handled = true;
	if (ld->kind != LINE_KEY)
		return 1;
	if (!*name) {
		add_error(ld, ld->line, "missing key name before '='");
		return 1;
	}
	if (ld->in_bad_section)
		return 1;
	if (!ld->tsec) {
		add_error(ld, ld->line, "key '%s' outside any section: put it under a [section] header",
			  name);
		return 1;
	}
	apply_value(ld, ld->tsec, ld->inst, name, value, ld->line);
	return 1;
}

/* In "ranker.NAME.option.KEY", the dot before "option." when [ranker.NAME]
 * takes free keys with that prefix, else NULL. */
static char *free_key_dot(const struct loader *ld, char *lhs)
{
	char *d1 = strchr(lhs, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	const struct scenario_schema *schema = ld->sc->schema;

	if (!d2)
		return NULL;
	for (size_t i = 0; i < schema->n_repeats; i++) {
		const struct scenario_repeat *r = &schema->repeats[i];

		if (r->free_prefix && strlen(r->section) == (size_t)(d1 - lhs) + 2 &&
		    !strncmp(r->section, lhs, (size_t)(d1 - lhs)) &&
		    !strncmp(d2 + 1, r->free_prefix, strlen(r->free_prefix)))
			return d2;
	}
	return NULL;
}

/* "section.key=value" as --set gives it. */
static void apply_override(struct loader *ld, const char *arg)
{
	const char *eq = strchr(arg, '='), *dot, *value;
	char lhs[3 * NAME_MAX_LEN + 16], *key;
	const char *tsec;
	struct instance *inst;
	size_t ll;

	ld->override = arg;
	if (!eq) {
		add_error(ld, 0, "expected section.key=value");
		goto out;
	}
	ll = (size_t)(eq - arg);
	while (ll && isspace((unsigned char)arg[ll - 1]))
		ll--;
	if (ll >= sizeof(lhs)) {
		add_error(ld, 0, "name too long before '='");
		goto out;
	}
	memcpy(lhs, arg, ll);
	lhs[ll] = '\0';
	dot = free_key_dot(ld, lhs);
	if (!dot)
		dot = strrchr(lhs, '.');
	if (!dot || dot == lhs || !dot[1]) {
		add_error(ld, 0, "expected section.key=value");
		goto out;
	}
	key = lhs + (dot - lhs);
	*key++ = '\0';
	value = eq + 1;
	while (isspace((unsigned char)*value))
		value++;
	{
		char v[1024];
		size_t vl = strlen(value);

		while (vl && isspace((unsigned char)value[vl - 1]))
			vl--;
		if (vl >= sizeof(v) || strlen(key) + 3 + vl > SCENARIO_MAX_LINE) {
			add_error(ld, 0, "value too long (a scenario line has at most %d characters)",
				  SCENARIO_MAX_LINE);
			goto out;
		}
		memcpy(v, value, vl);
		v[vl] = '\0';
		/* Keep what a file could say: a resolved scenario must re-read
		 * to the same values. */
		if (strpbrk(v, "\r\n")) {
			add_error(ld, 0, "value contains a line break");
			goto out;
		}
		for (size_t i = 1; i < vl; i++) {
			if (v[i] == ';' && isspace((unsigned char)v[i - 1])) {
				add_error(ld, 0, "value contains ' ;', which starts a comment in a scenario file");
				goto out;
			}
		}
		if (resolve_section(ld, lhs, 0, &tsec, &inst) < 0)
			goto out;
		apply_value(ld, tsec, inst, key, v, 0);
	}
out:
	ld->override = NULL;
}

/* Is `text` one of the plain choices of "a|b|ranker.*"? */
static bool plain_choice(const char *choices, const char *text)
{
	size_t tl = strlen(text);

	for (const char *p = choices; *p;) {
		size_t l = strcspn(p, "|");

		if (l == tl && !strncmp(p, text, l) && p[l - 1] != '*')
			return true;
		p += l;
		if (*p == '|')
			p++;
	}
	return false;
}

/* An enum value naming an instance of the repeat its choices end with:
 * known only once every section is read. */
static void check_instance_choice(struct loader *ld, const struct scenario_key *k,
				  const struct instance *owner, const struct slot *s)
{
	const struct scenario *sc = ld->sc;
	const char *pc = pattern_choice(k->choices);
	char sec[2 * NAME_MAX_LEN + 8], list[512], names[512] = "", hint[160];
	char cand[NAME_MAX_LEN + 1], best[NAME_MAX_LEN + 1];
	struct suggest sg = { s->v.s, NULL, SIZE_MAX };
	size_t used = 0, n = 0;

	if (!s->set || plain_choice(k->choices, s->v.s))
		return;
	for (size_t i = 0; i < sc->n_inst; i++) {
		if (strcmp(sc->inst[i].pattern, pc))
			continue;
		if (!strcmp(sc->inst[i].name, s->v.s))
			return;
		if (used < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 n ? ", " : "", sc->inst[i].name);
		n++;
		suggest_offer(&sg, sc->inst[i].name);
	}
	for (const char *p = k->choices; *p;) {
		size_t l = strcspn(p, "|");

		if (l <= NAME_MAX_LEN && p[l - 1] != '*') {
			memcpy(cand, p, l);
			cand[l] = '\0';
			suggest_offer(&sg, cand);
			if (sg.best == cand) { /* suggest_offer keeps a pointer */
				memcpy(best, cand, l + 1);
				sg.best = best;
			}
		}
		p += l;
		if (*p == '|')
			p++;
	}
	section_display(k->section, owner, sec, sizeof(sec));
	format_choices(k->choices, ", ", "", list, sizeof(list));
	if (s->override)
		ld->override = sc->overrides[s->override - 1];
	add_error(ld, s->line, "bad value '%s' for %s %s: expected one of %s (this scenario has %s%s)%s",
		  s->v.s, sec, k->name, list, n ? "" : "none", names,
		  suggest_text(&sg, "'", "'", hint, sizeof(hint)));
	ld->override = NULL;
}

static void check_instance_choices(struct loader *ld)
{
	const struct scenario *sc = ld->sc;

	for (size_t i = 0; i < sc->n_keys; i++) {
		const struct scenario_key *k = &sc->keys[i];

		if (k->type != SCENARIO_ENUM || !pattern_choice(k->choices))
			continue;
		if (!is_pattern(k->section)) {
			check_instance_choice(ld, k, NULL, &sc->slots[i]);
			continue;
		}
		for (size_t j = 0; j < sc->n_inst; j++)
			if (!strcmp(sc->inst[j].pattern, k->section))
				check_instance_choice(ld, k, &sc->inst[j], &sc->inst[j].slots[i]);
	}
}

/* Defaults for every unset key; required keys that are missing. */
static void fill_defaults(struct loader *ld, const char *tsec, struct instance *inst)
{
	struct slot *slots = inst ? inst->slots : ld->sc->slots;
	char sec[2 * NAME_MAX_LEN + 8], msg[768];

	section_display(tsec, inst, sec, sizeof(sec));
	for (size_t i = 0; i < ld->sc->n_keys; i++) {
		const struct scenario_key *k = &ld->sc->keys[i];

		if (strcmp(k->section, tsec) || slots[i].set)
			continue;
		if (slots[i].line)
			continue; /* written with a bad value: already reported */
		if (!k->def) {
			add_error(ld, inst ? inst->line : 0, "missing required key '%s' in %s", k->name,
				  sec);
			continue;
		}
		if (parse_value(k, sec, k->def, &slots[i], msg, sizeof(msg)) < 0)
			BUG("default of [%s] %s does not parse: %s", k->section, k->name, msg);
		slots[i].set = true;
	}
}

static void scenario_release_slots(const struct scenario *sc, struct slot *slots)
{
	if (!slots)
		return;
	for (size_t i = 0; i < sc->n_keys; i++)
		slot_release(&sc->keys[i], &slots[i]);
	free(slots);
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	scenario_release_slots(sc, sc->slots);
	for (size_t i = 0; i < sc->n_inst; i++) {
		scenario_release_slots(sc, sc->inst[i].slots);
		free(sc->inst[i].name);
		for (size_t j = 0; j < sc->inst[i].n_free; j++) {
			free(sc->inst[i].free[j].key);
			free(sc->inst[i].free[j].value);
		}
		free(sc->inst[i].free);
	}
	free(sc->inst);
	for (size_t i = 0; i < sc->n_overrides; i++)
		free(sc->overrides[i]);
	free(sc->overrides);
	free(sc->text);
	free(sc->name);
	free(sc);
}

struct scenario *scenario_parse(const struct scenario_schema *schema, const char *text,
				const char *name, const char *const *overrides,
				size_t n_overrides, struct error *err)
{
	const struct scenario_key *keys = schema->keys;
	size_t n_keys = schema->n_keys;
	struct scenario *sc = xcalloc(1, sizeof(*sc));
	struct loader ld;
	int rc;

	{
		struct error e;

		if (scenario_schema_check(schema, &e) < 0)
			BUG("bad scenario schema: %s", e.msg);
	}
	memset(&ld, 0, sizeof(ld));
	sc->schema = schema;
	sc->keys = keys;
	sc->n_keys = n_keys;
	sc->name = xstrdup(name);
	sc->text = xstrdup(text);
	sc->slots = xcalloc(n_keys ? n_keys : 1, sizeof(struct slot));
	sc->n_overrides = n_overrides;
	sc->overrides = xcalloc(n_overrides ? n_overrides : 1, sizeof(char *));
	for (size_t i = 0; i < n_overrides; i++)
		sc->overrides[i] = xstrdup(overrides[i]);

	ld.sc = sc;
	ld.file = sc->name;
	ld.p = sc->text;
	ld.end = sc->text + strlen(sc->text);
	ld.in_bad_section = false;
	ld.sections = xcalloc(n_keys + 1, sizeof(*ld.sections));
	ld.section_line = xcalloc(n_keys + 1, sizeof(*ld.section_line));
	for (size_t i = 0; i < n_keys; i++) {
		size_t j = 0;

		while (j < ld.n_sections && strcmp(ld.sections[j], keys[i].section))
			j++;
		if (j == ld.n_sections)
			ld.sections[ld.n_sections++] = keys[i].section;
	}
	/* Sections are compared by pointer after this: use the first row's. */
	rc = ini_parse_stream(reader, &ld, handler, &ld);
	finish_line(&ld);
	if (rc == -2)
		BUG("libinih ran out of memory");
	if (rc > 0 && !ld.count)
		add_error(&ld, rc, "syntax error");
	for (size_t i = 0; i < n_overrides; i++) {
		ld.override_no = i + 1;
		apply_override(&ld, overrides[i]);
	}
	for (size_t i = 0; i < ld.n_sections; i++)
		if (!is_pattern(ld.sections[i]))
			fill_defaults(&ld, ld.sections[i], NULL);
	for (size_t i = 0; i < sc->n_inst; i++)
		fill_defaults(&ld, sc->inst[i].pattern, &sc->inst[i]);
	check_instance_choices(&ld);

	free(ld.sections);
	free(ld.section_line);
	if (ld.count) {
		report_errors(&ld, err);
		free(ld.msgs);
		scenario_free(sc);
		return NULL;
	}
	free(ld.msgs);
	return sc;
}

struct scenario *scenario_load(const struct scenario_schema *schema, const char *path,
			       const char *const *overrides, size_t n_overrides,
			       struct error *err)
{
	struct scenario *sc = NULL;
	char *text = NULL;
	size_t len = 0, cap = 0, got;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		error_set(err, ERR_IO, "cannot open scenario '%s': %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		XGROW(text, len + 4096 + 1, cap);
		got = fread(text + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
		if (len > SCENARIO_MAX_BYTES) {
			error_set(err, ERR_INPUT, "%s: scenario too large (more than %d bytes)", path,
				  SCENARIO_MAX_BYTES);
			goto out_file;
		}
	}
	if (ferror(f)) {
		error_set(err, ERR_IO, "cannot read scenario '%s': %s", path, strerror(errno));
		goto out_file;
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		/* scenario_parse works on C strings; find the line for the message. */
		int line = 1;

		for (size_t i = 0; text[i]; i++)
			line += text[i] == '\n';
		error_set(err, ERR_INPUT, "%s:%d: line contains a NUL byte", path, line);
		goto out_file;
	}
	sc = scenario_parse(schema, text, path, overrides, n_overrides, err);
out_file:
	fclose(f);
out:
	free(text);
	return sc;
}

const char *scenario_text(const struct scenario *sc)
{
	return sc->text;
}

size_t scenario_override_count(const struct scenario *sc)
{
	return sc->n_overrides;
}

const char *scenario_override(const struct scenario *sc, size_t i)
{
	ASSERT(i < sc->n_overrides);
	return sc->overrides[i];
}

const char *scenario_name(const struct scenario *sc)
{
	return sc->name;
}

/* ---------------------------------------------------------------- accessors */

bool scenario_is_set(const struct scenario *sc, const char *section, const char *key)
{
	long idx = find_key(sc, section, key);

	if (idx < 0 || is_pattern(section))
		BUG("no plain key [%s] %s in the schema", section, key);
	return sc->slots[idx].given;
}

/* The shared body of scenario_where and scenario_inst_where. */
static const char *slot_where(const struct scenario *sc, const struct slot *s, char *buf,
			      size_t n)
{
	ASSERT(n > 0);
	if (s->override)
		snprintf(buf, n, "--set %s", sc->overrides[s->override - 1]);
	else if (s->line > 0)
		snprintf(buf, n, "%s:%d", sc->name, s->line);
	else
		snprintf(buf, n, "%s (default)", sc->name);
	return buf;
}

const char *scenario_where(const struct scenario *sc, const char *section, const char *key,
			   char *buf, size_t n)
{
	long idx = find_key(sc, section, key);

	if (idx < 0 || is_pattern(section))
		BUG("no plain key [%s] %s in the schema", section, key);
	return slot_where(sc, &sc->slots[idx], buf, n);
}

size_t scenario_instance_count(const struct scenario *sc, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; i < sc->n_inst; i++)
		n += pattern_has_prefix(sc->inst[i].pattern, prefix);
	return n;
}

static const struct instance *nth_instance(const struct scenario *sc, const char *prefix,
					   size_t i)
{
	for (size_t j = 0; j < sc->n_inst; j++)
		if (pattern_has_prefix(sc->inst[j].pattern, prefix) && i-- == 0)
			return &sc->inst[j];
	BUG("no instance %zu of [%s.*]", i, prefix);
}

const char *scenario_instance_name(const struct scenario *sc, const char *prefix, size_t i)
{
	return nth_instance(sc, prefix, i)->name;
}

bool scenario_inst_is_set(const struct scenario *sc, const char *prefix, size_t i,
			  const char *key)
{
	const struct instance *in = nth_instance(sc, prefix, i);
	long idx = find_key(sc, in->pattern, key);

	if (idx < 0)
		BUG("no key [%s] %s in the schema", in->pattern, key);
	return in->slots[idx].given;
}

const char *scenario_inst_where(const struct scenario *sc, const char *prefix, size_t i,
				const char *key, char *buf, size_t n)
{
	const struct instance *in = nth_instance(sc, prefix, i);
	long idx;

	ASSERT(n > 0);
	if (!key) {
		/* Instances are only made by headers in the file. */
		snprintf(buf, n, "%s:%d", sc->name, in->line);
		return buf;
	}
	idx = find_key(sc, in->pattern, key);
	if (idx < 0)
		BUG("no key [%s] %s in the schema", in->pattern, key);
	return slot_where(sc, &in->slots[idx], buf, n);
}

/* ---------------------------------------------------------------- filling */

/* Index of `text` among "a|b|c" (parse_value accepted it); a name of an
 * instance of the repeat "a|b|ranker.*" ends with: 2 + its index among
 * that repeat's instances (check_instance_choices made sure it is one). */
static int64_t choice_index(const struct scenario *sc, const char *choices, const char *text)
{
	size_t tl = strlen(text);
	int64_t i = 0;
	const char *pc = pattern_choice(choices);

	for (const char *p = choices; *p; i++) {
		size_t l = strcspn(p, "|");

		if (l == tl && !strncmp(p, text, l) && p[l - 1] != '*')
			return i;
		p += l;
		if (*p == '|')
			p++;
	}
	if (pc) {
		int64_t j = i - 1;

		for (size_t k = 0; k < sc->n_inst; k++) {
			if (strcmp(sc->inst[k].pattern, pc))
				continue;
			if (!strcmp(sc->inst[k].name, text))
				return j;
			j++;
		}
	}
	BUG("'%s' is not one of '%s'", text, choices);
}

/* One value into its field at base + k->offset (scenario_schema_check
 * made sure the field's type holds every value the key accepts). */
static void store(const struct scenario *sc, const struct scenario_key *k, const struct slot *s,
		  char *base)
{
	char *p = base + k->offset;
	int64_t v;

	ASSERT(s->set);
	switch (k->type) {
	case SCENARIO_REAL:
	case SCENARIO_PERCENT:
		memcpy(p, &s->v.d, sizeof(double));
		return;
	case SCENARIO_BOOL:
		memcpy(p, &s->v.b, sizeof(bool));
		return;
	case SCENARIO_STRING:
		ASSERT(strlen(s->v.s) < k->size);
		memset(p, 0, k->size);
		memcpy(p, s->v.s, strlen(s->v.s));
		return;
	case SCENARIO_ENUM:
		v = choice_index(sc, k->choices, s->v.s);
		break;
	default:
		v = s->v.i;
		break;
	}
	switch (k->field) {
	case SCENARIO_FIELD_I32: {
		int32_t x = (int32_t)v;

		ASSERT(x == v);
		memcpy(p, &x, sizeof(x));
		return;
	}
	case SCENARIO_FIELD_U32: {
		uint32_t x = (uint32_t)v;

		ASSERT(v >= 0 && x == (uint64_t)v);
		memcpy(p, &x, sizeof(x));
		return;
	}
	case SCENARIO_FIELD_I64:
		memcpy(p, &v, sizeof(v));
		return;
	case SCENARIO_FIELD_U64: {
		uint64_t x = (uint64_t)v;

		ASSERT(v >= 0);
		memcpy(p, &x, sizeof(x));
		return;
	}
	default:
		BUG("[%s] %s: %s for an integer value", k->section, k->name, field_name(k->field));
	}
}

void scenario_fill(const struct scenario *sc, void *out)
{
	const struct scenario_schema *schema = sc->schema;
	char *base = out;

	for (size_t i = 0; i < sc->n_keys; i++)
		if (!is_pattern(sc->keys[i].section))
			store(sc, &sc->keys[i], &sc->slots[i], base);
	for (size_t r = 0; r < schema->n_repeats; r++) {
		const struct scenario_repeat *rep = &schema->repeats[r];
		size_t n = 0;

		for (size_t j = 0; j < sc->n_inst; j++) {
			const struct instance *in = &sc->inst[j];
			char *elem = base + rep->array + n * rep->stride;

			if (strcmp(in->pattern, rep->section))
				continue;
			ASSERT(n < rep->max);
			memset(elem + rep->name, 0, rep->name_size);
			memcpy(elem + rep->name, in->name, strlen(in->name));
			for (size_t i = 0; i < sc->n_keys; i++)
				if (!strcmp(sc->keys[i].section, in->pattern))
					store(sc, &sc->keys[i], &in->slots[i], elem);
			if (rep->free_prefix) {
				struct scenario_option o;

				ASSERT(in->n_free <= rep->options_max);
				for (size_t i = 0; i < in->n_free; i++) {
					memset(&o, 0, sizeof(o));
					memcpy(o.key, in->free[i].key, strlen(in->free[i].key));
					memcpy(o.value, in->free[i].value, strlen(in->free[i].value));
					memcpy(elem + rep->options + i * sizeof(o), &o, sizeof(o));
				}
				memcpy(elem + rep->n_options, &in->n_free, sizeof(size_t));
			}
			n++;
		}
		memcpy(base + rep->count, &n, sizeof(n));
	}
}

const struct scenario_schema *scenario_schema(const struct scenario *sc)
{
	return sc->schema;
}

/* ---------------------------------------------------------------- output */

static void format_slot(const struct scenario_key *k, const struct slot *s, char *buf, size_t n)
{
	switch (k->type) {
	case SCENARIO_INT:
		units_format_int(s->v.i, buf, n);
		break;
	case SCENARIO_REAL:
		units_format_real(s->v.d, buf, n);
		break;
	case SCENARIO_BOOL:
		units_format_bool(s->v.b, buf, n);
		break;
	case SCENARIO_DURATION:
		units_format_duration(s->v.i, buf, n);
		break;
	case SCENARIO_SIZE:
		units_format_size(s->v.i, buf, n);
		break;
	case SCENARIO_PERCENT:
		units_format_percent(s->v.d, buf, n);
		break;
	case SCENARIO_TIMEOFDAY:
		units_format_timeofday(s->v.i, buf, n);
		break;
	case SCENARIO_DATE:
		units_format_date(s->v.i, buf, n);
		break;
	case SCENARIO_ENUM:
	case SCENARIO_STRING:
		snprintf(buf, n, "%s", s->v.s);
		break;
	}
}

const char *scenario_format(const struct scenario *sc, const char *section, const char *key,
			    char *buf, size_t n)
{
	long idx = find_key(sc, section, key);

	if (idx < 0 || is_pattern(section))
		BUG("no plain key [%s] %s in the schema", section, key);
	ASSERT(n > 0 && sc->slots[idx].set);
	format_slot(&sc->keys[idx], &sc->slots[idx], buf, n);
	return buf;
}

int scenario_order_error(struct error *err, const struct scenario *sc, const char *section,
			 const char *key, const char *rel, const char *other_section,
			 const char *other_key)
{
	static const char *const converse[][2] = {
		{ "at most", "at least" }, { "below", "above" },
		{ "at least", "at most" }, { "above", "below" },
	};
	const char *back = NULL;
	char at[SCENARIO_WHERE_MAX], at2[SCENARIO_WHERE_MAX], v[SCENARIO_MAX_LINE + 1],
		v2[SCENARIO_MAX_LINE + 1];

	for (size_t i = 0; i < sizeof(converse) / sizeof(converse[0]); i++)
		if (!strcmp(rel, converse[i][0]))
			back = converse[i][1];
	if (!back)
		BUG("scenario_order_error: unknown relation '%s'", rel);
	/* Lead with a key the user wrote: a default is rarely what to change. */
	if (!scenario_is_set(sc, section, key) && scenario_is_set(sc, other_section, other_key)) {
		const char *t;

		t = section, section = other_section, other_section = t;
		t = key, key = other_key, other_key = t;
		rel = back;
	}
	return error_set(err, ERR_INPUT, "%s: value '%s' out of range for [%s] %s: must be %s [%s] %s = %s (%s)",
			 scenario_where(sc, section, key, at, sizeof(at)),
			 scenario_format(sc, section, key, v, sizeof(v)), section, key, rel,
			 other_section, other_key,
			 scenario_format(sc, other_section, other_key, v2, sizeof(v2)),
			 scenario_where(sc, other_section, other_key, at2, sizeof(at2)));
}

const char *scenario_inst_format(const struct scenario *sc, const char *prefix, size_t i,
				 const char *key, char *buf, size_t n)
{
	const struct instance *in = nth_instance(sc, prefix, i);
	long idx = find_key(sc, in->pattern, key);

	if (idx < 0)
		BUG("no key [%s] %s in the schema", in->pattern, key);
	ASSERT(n > 0 && in->slots[idx].set);
	format_slot(&sc->keys[idx], &in->slots[idx], buf, n);
	return buf;
}

static void dump_section(const struct scenario *sc, FILE *out, const char *header,
			 const char *tsec, const struct slot *slots, const struct instance *inst)
{
	const struct scenario_repeat *fr = inst ? free_repeat(sc, tsec) : NULL;

	char val[SCENARIO_MAX_LINE + 1];

	fprintf(out, "\n[%s]\n", header);
	for (size_t i = 0; i < sc->n_keys; i++) {
		const struct scenario_key *k = &sc->keys[i];

		if (strcmp(k->section, tsec))
			continue;
		ASSERT(slots[i].set);
		format_slot(k, &slots[i], val, sizeof(val));
		fprintf(out, "%s = %s\n", k->name, val);
	}
	for (size_t i = 0; fr && i < inst->n_free; i++)
		fprintf(out, "%s%s = %s\n", fr->free_prefix, inst->free[i].key, inst->free[i].value);
}

int scenario_dump(const struct scenario *sc, FILE *out, struct error *err)
{
	fprintf(out, "; scenario '%s' resolved: every key, defaults included\n", sc->name);
	for (size_t i = 0; i < sc->n_overrides; i++)
		fprintf(out, "; --set %s\n", sc->overrides[i]);
	/* Sections in table order, each once, at its first row. */
	for (size_t r = 0; r < sc->n_keys; r++) {
		const char *tsec = sc->keys[r].section;
		bool seen = false;

		for (size_t j = 0; j < r && !seen; j++)
			seen = !strcmp(sc->keys[j].section, tsec);
		if (seen)
			continue;
		if (!is_pattern(tsec)) {
			dump_section(sc, out, tsec, tsec, sc->slots, NULL);
			continue;
		}
		for (size_t i = 0; i < sc->n_inst; i++) {
			char header[2 * NAME_MAX_LEN + 8];

			if (strcmp(sc->inst[i].pattern, tsec))
				continue;
			snprintf(header, sizeof(header), "%.*s.%s", (int)(strlen(tsec) - 2), tsec,
				 sc->inst[i].name);
			dump_section(sc, out, header, tsec, sc->inst[i].slots, &sc->inst[i]);
		}
	}
	if (fflush(out) || ferror(out))
		return error_set(err, ERR_IO, "cannot write resolved scenario: %s", strerror(errno));
	return 0;
}

/* Markdown table cells may not hold '|'. */
static void md_cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', out);
		fputc(*s, out);
	}
}

int scenario_reference_markdown(const struct scenario_schema *schema, FILE *out,
				struct error *err)
{
	const struct scenario_key *keys = schema->keys;
	size_t n_keys = schema->n_keys;

	fputs("Values carry their unit. Durations: `us`, `ms`, `s`, `min`, `h`, `d` "
	      "(`250ms`, `1.5h`). Sizes: `B`, `KiB`, `MiB`, `GiB`, `TiB` (1024-based) or "
	      "`kB`, `MB`, `GB`, `TB` (1000-based). Percentages: `50%`. Booleans: "
	      "`true`/`false` (also `yes`/`no`, `on`/`off`, `1`/`0`). Times of day: "
	      "`HH:MM[:SS]` UTC. Dates: `YYYY-MM-DD`. Integers may use `_` between digits "
	      "(`20_000`). Sections written `[spike.NAME]` may be repeated with different "
	      "names. Override any key with `--set section.key=value` "
	      "(`--set spike.NAME.key=value`, `--set ranker.NAME.option.KEY=value`).\n",
	      out);
	for (size_t r = 0; r < n_keys; r++) {
		const char *tsec = keys[r].section;
		bool seen = false;

		for (size_t j = 0; j < r && !seen; j++)
			seen = !strcmp(keys[j].section, tsec);
		if (seen)
			continue;
		if (is_pattern(tsec))
			fprintf(out, "\n### [%.*s.NAME] (repeatable)\n\n", (int)(strlen(tsec) - 2),
				tsec);
		else
			fprintf(out, "\n### [%s]\n\n", tsec);
		fputs("| key | type | default | accepted | description |\n"
		      "| --- | --- | --- | --- | --- |\n",
		      out);
		for (size_t i = r; i < n_keys; i++) {
			const struct scenario_key *k = &keys[i];
			char acc[512];

			if (strcmp(k->section, tsec))
				continue;
			if (k->type == SCENARIO_ENUM)
				format_choices(k->choices, ", ", "`", acc, sizeof(acc));
			else if (k->type == SCENARIO_BOOL || k->type == SCENARIO_STRING)
				snprintf(acc, sizeof(acc), "%s", "");
			else
				format_bounds(k, acc, sizeof(acc));
			fprintf(out, "| `%s` | %s | ", k->name, type_name(k->type));
			if (!k->def)
				fputs("**required**", out);
			else if (!*k->def)
				fputs("(empty)", out);
			else {
				fputc('`', out);
				md_cell(out, k->def);
				fputc('`', out);
			}
			fputs(" | ", out);
			md_cell(out, acc[0] ? acc : "any");
			fputs(" | ", out);
			md_cell(out, k->doc);
			fputs(" |\n", out);
		}
		for (size_t j = 0; is_pattern(tsec) && j < schema->n_repeats; j++) {
			const struct scenario_repeat *rp = &schema->repeats[j];

			if (strcmp(rp->section, tsec) || !rp->free_prefix)
				continue;
			fprintf(out, "| `%sKEY` | string | (none) | any (up to %zu keys) | ",
				rp->free_prefix, rp->options_max);
			md_cell(out, rp->free_doc);
			fputs(" |\n", out);
		}
	}
	if (fflush(out) || ferror(out))
		return error_set(err, ERR_IO, "cannot write key reference: %s", strerror(errno));
	return 0;
}
