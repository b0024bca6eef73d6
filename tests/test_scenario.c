/*
 * Tests for common/scenario.c: values of every type, defaults, repeated
 * sections, overrides, every error path with its exact message and line,
 * the dump round trip, filling a struct, and the schema's own checks.
 *
 * The tests use their own schema (a key table over struct tcfg) so they
 * cover every type and a repeated section whatever the real table holds;
 * the real table (config/config_keys.c) has tests/test_config.c.
 */
#include "common/scenario.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"

/* What the test schema fills. */
struct tspike {
	char name[SCENARIO_NAME_MAX + 1];
	double magnitude;
	int64_t at;
	uint32_t creator;
};

#define TSPIKES 3

struct tcfg {
	int64_t users;
	double ratio;
	bool verbose;
	char label[SCENARIO_TEXT_MAX];
	double rate;
	int64_t burst;
	int64_t visibility_timeout;
	int64_t buffer;
	double share;
	uint32_t mode;            /* index of split|twin|both */
	int64_t at;
	int64_t from;
	struct tspike spikes[TSPIKES];
	size_t n_spikes;
	uint32_t untouched;       /* no row names it */
};

#define S 1000000.0
#define T(m) SCENARIO_FIELD(struct tcfg, m)
#define SP(m) SCENARIO_FIELD(struct tspike, m)
static const struct scenario_key keys[] = {
	{ "world", "users", SCENARIO_INT, 1, 10000000, "20000", NULL, "population", T(users) },
	{ "world", "ratio", SCENARIO_REAL, 0, 1, "0.85", NULL, "a ratio | with a bar", T(ratio) },
	{ "world", "verbose", SCENARIO_BOOL, 0, 0, "false", NULL, "a flag", T(verbose) },
	{ "world", "label", SCENARIO_STRING, 0, 0, "plain", NULL, "free text", T(label) },
	{ "traffic", "rate", SCENARIO_REAL, 0, SCENARIO_NO_MAX, "1.5", NULL, "sessions per hour",
	  T(rate) },
	{ "traffic", "burst", SCENARIO_INT, SCENARIO_NO_MIN, 5, "0", NULL, "burst", T(burst) },
	{ "stream", "visibility_timeout", SCENARIO_DURATION, 1 * S, 12 * 3600 * S, "30s", NULL,
	  "visibility timeout", T(visibility_timeout) },
	{ "stream", "buffer", SCENARIO_SIZE, 1024, 1073741824.0, "5MiB", NULL, "buffer", T(buffer) },
	{ "stream", "share", SCENARIO_PERCENT, 0, 1, "50%", NULL, "share", T(share) },
	{ "stream", "mode", SCENARIO_ENUM, 0, 0, "split", "split|twin|both", "design", T(mode) },
	{ "batch", "at", SCENARIO_TIMEOFDAY, 0, 86399 * S, "22:00", NULL, "daily job", T(at) },
	{ "batch", "from", SCENARIO_DATE, 0, 47482, "2022-05-02", NULL, "first day", T(from) },
	{ "spike.*", "magnitude", SCENARIO_REAL, 1, 100, "5", NULL, "how big", SP(magnitude) },
	{ "spike.*", "at", SCENARIO_DURATION, 0, SCENARIO_NO_MAX, "0s", NULL, "when", SP(at) },
	{ "spike.*", "creator", SCENARIO_INT, 0, 1000000, NULL, NULL, "whose show", SP(creator) },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct scenario_repeat repeats[] = {
	{ .section = "spike.*", .array = offsetof(struct tcfg, spikes),
	  .stride = sizeof(struct tspike), .max = TSPIKES, .count = offsetof(struct tcfg, n_spikes),
	  .name = offsetof(struct tspike, name), .name_size = sizeof(((struct tspike *)0)->name) },
};

static const struct scenario_schema schema = { keys, NKEYS, repeats, 1, sizeof(struct tcfg) };

struct need {
	int64_t id, other;
};

static const struct scenario_key need_keys[] = {
	{ "need", "id", SCENARIO_INT, 0, 10, NULL, NULL, "required",
	  SCENARIO_FIELD(struct need, id) },
	{ "need", "other", SCENARIO_INT, 0, 10, "1", NULL, "optional",
	  SCENARIO_FIELD(struct need, other) },
};

static const struct scenario_schema need_schema = { need_keys, 2, NULL, 0, sizeof(struct need) };

static struct scenario *parse(const char *text, const char *const *ov, size_t n,
			      struct error *e)
{
	error_clear(e);
	return scenario_parse(&schema, text, "t.ini", ov, n, e);
}

/* Every value of sc in a struct tcfg (zeroed first). */
static struct tcfg fill(const struct scenario *sc)
{
	struct tcfg c;

	memset(&c, 0, sizeof(c));
	scenario_fill(sc, &c);
	return c;
}

/* Parse text expected to fail; the whole message must equal `want`. */
static void expect_errors(const char *text, const char *const *ov, size_t n, const char *want)
{
	struct error e;
	struct scenario *sc = parse(text, ov, n, &e);

	ck_assert_ptr_null(sc);
	ck_assert_int_eq(e.code, ERR_INPUT);
	ck_assert_str_eq(e.msg, want);
}

static char *dump_to_string(const struct scenario *sc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct error e;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(scenario_dump(sc, f, &e), 0);
	fclose(f);
	return buf;
}

START_TEST(empty_file_gives_defaults)
{
	struct error e;
	struct scenario *sc = parse("", NULL, 0, &e);
	struct tcfg c;

	ck_assert_ptr_nonnull(sc);
	c = fill(sc);
	ck_assert_int_eq(c.users, 20000);
	ck_assert(c.ratio == 0.85);
	ck_assert(!c.verbose);
	ck_assert_str_eq(c.label, "plain");
	ck_assert_int_eq(c.visibility_timeout, 30 * SIMTIME_S);
	ck_assert_int_eq(c.buffer, 5 << 20);
	ck_assert(c.share == 0.5);
	ck_assert_uint_eq(c.mode, 0);
	ck_assert_int_eq(c.at, 22 * SIMTIME_HOUR);
	ck_assert_int_eq(c.from, 19114);
	ck_assert_uint_eq(c.n_spikes, 0);
	ck_assert(!scenario_is_set(sc, "world", "users"));
	ck_assert_uint_eq(scenario_instance_count(sc, "spike"), 0);
	ck_assert_str_eq(scenario_name(sc), "t.ini");
	ck_assert_str_eq(scenario_text(sc), "");
	scenario_free(sc);
	scenario_free(NULL);
}
END_TEST

START_TEST(values_of_every_type)
{
	const char *text =
		"; a comment\n"
		"# another\n"
		"[world]\n"
		"users = 1_000_000\n"
		"ratio = 0.25 ; inline comment\n"
		"verbose = yes\n"
		"label = two words\n"
		"\n"
		"[stream]\n"
		"visibility_timeout = 1.5h\n"
		"buffer = 64KiB\n"
		"share = 12.5%\n"
		"mode = twin\n"
		"[batch]\n"
		"at = 06:30:15\n"
		"from = 2024-02-29\n"
		"[traffic]\n"
		"burst = -7\n";
	struct error e;
	struct scenario *sc = parse(text, NULL, 0, &e);
	struct tcfg c;

	ck_assert_msg(sc != NULL, "%s", e.msg);
	c = fill(sc);
	ck_assert_int_eq(c.users, 1000000);
	ck_assert(c.ratio == 0.25);
	ck_assert(c.verbose);
	ck_assert_str_eq(c.label, "two words");
	ck_assert_int_eq(c.visibility_timeout, 90 * SIMTIME_MIN);
	ck_assert_int_eq(c.buffer, 65536);
	ck_assert(c.share == 0.125);
	ck_assert_uint_eq(c.mode, 1);   /* twin */
	ck_assert_int_eq(c.at, (6 * 3600 + 30 * 60 + 15) * SIMTIME_S);
	ck_assert_int_eq(c.from, 19782);
	ck_assert_int_eq(c.burst, -7);
	ck_assert(scenario_is_set(sc, "world", "users"));
	ck_assert(!scenario_is_set(sc, "traffic", "rate"));
	ck_assert_str_eq(scenario_text(sc), text);
	scenario_free(sc);
}
END_TEST

START_TEST(unknown_key_suggests_the_closest)
{
	expect_errors("[traffic]\nrte = 3\n", NULL, 0,
		      "t.ini:2: unknown key 'rte' in [traffic] (did you mean 'rate'?)");
	expect_errors("[stream]\nvisibilty_timeout = 3s\n", NULL, 0,
		      "t.ini:2: unknown key 'visibilty_timeout' in [stream] "
		      "(did you mean 'visibility_timeout'?)");
	/* transposition counts once */
	expect_errors("[world]\nuesrs = 3\n", NULL, 0,
		      "t.ini:2: unknown key 'uesrs' in [world] (did you mean 'users'?)");
	expect_errors("[world]\nzebra = 3\n", NULL, 0, "t.ini:2: unknown key 'zebra' in [world]");
	/* keys of another section are not offered */
	expect_errors("[world]\nburst = 3\n", NULL, 0, "t.ini:2: unknown key 'burst' in [world]");
	expect_errors("[world]\nab = 3\n", NULL, 0, "t.ini:2: unknown key 'ab' in [world]");
}
END_TEST

START_TEST(unknown_section_suggests_the_closest)
{
	expect_errors("[trafic]\nrate = 3\nfoo = 1\n", NULL, 0,
		      "t.ini:1: unknown section [trafic] (did you mean [traffic]?)");
	expect_errors("[spkie.a]\n", NULL, 0,
		      "t.ini:1: unknown section [spkie.a] (did you mean [spike.a]?)");
	expect_errors("[nothing]\n", NULL, 0, "t.ini:1: unknown section [nothing]");
	expect_errors("[spike]\n", NULL, 0,
		      "t.ini:1: section [spike] needs an instance name, as in [spike.NAME]");
	expect_errors("[world.x]\n", NULL, 0,
		      "t.ini:1: section [world.x] takes no instance name: write [world]");
	expect_errors("[wo rld]\n", NULL, 0,
		      "t.ini:1: bad section name [wo rld]: expected letters, digits, '_' or '-'");
}
END_TEST

START_TEST(bad_value_of_each_type_names_the_form)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
		{ "[world]\nusers = 1e6",
		  "t.ini:2: bad value '1e6' for [world] users: expected an integer (e.g. 20000 or 20_000)" },
		{ "[world]\nratio = half",
		  "t.ini:2: bad value 'half' for [world] ratio: expected a number (e.g. 0.85 or 1e-3)" },
		{ "[world]\nverbose = maybe",
		  "t.ini:2: bad value 'maybe' for [world] verbose: expected true or false (also yes/no, on/off, 1/0)" },
		{ "[stream]\nvisibility_timeout = 30",
		  "t.ini:2: bad value '30' for [stream] visibility_timeout: expected a duration with a unit (e.g. 250ms, 30s, 5min, 2h, 3d)" },
		{ "[stream]\nvisibility_timeout = 30sec",
		  "t.ini:2: bad value '30sec' for [stream] visibility_timeout: unknown unit 'sec'; expected a duration with a unit (e.g. 250ms, 30s, 5min, 2h, 3d)" },
		{ "[stream]\nbuffer = 1024",
		  "t.ini:2: bad value '1024' for [stream] buffer: expected a size with a unit (e.g. 512B, 64KiB, 5MiB, 1GiB)" },
		{ "[stream]\nshare = 0.5",
		  "t.ini:2: bad value '0.5' for [stream] share: expected a percentage (e.g. 50% or 12.5%)" },
		{ "[stream]\nmode = tw1n",
		  "t.ini:2: bad value 'tw1n' for [stream] mode: expected one of split, twin, both (did you mean 'twin'?)" },
		{ "[stream]\nmode = zzzz",
		  "t.ini:2: bad value 'zzzz' for [stream] mode: expected one of split, twin, both" },
		{ "[batch]\nat = 10pm",
		  "t.ini:2: bad value '10pm' for [batch] at: expected a time of day HH:MM or HH:MM:SS (e.g. 22:00)" },
		{ "[batch]\nat = 25:00",
		  "t.ini:2: bad value '25:00' for [batch] at: no such time of day; expected a time of day HH:MM or HH:MM:SS (e.g. 22:00)" },
		{ "[batch]\nfrom = 2022-02-30",
		  "t.ini:2: bad value '2022-02-30' for [batch] from: day 30 does not exist in 2022-02; expected a date YYYY-MM-DD (e.g. 2022-05-02)" },
		{ "[world]\nusers =",
		  "t.ini:2: bad value '' for [world] users: expected an integer (e.g. 20000 or 20_000)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_errors(cases[i].line, NULL, 0, cases[i].want);
}
END_TEST

START_TEST(out_of_range_states_bounds_in_the_key_unit)
{
	expect_errors("[stream]\nvisibility_timeout = 13h\n", NULL, 0,
		      "t.ini:2: value '13h' out of range for [stream] visibility_timeout: "
		      "must be between 1s and 12h");
	expect_errors("[stream]\nbuffer = 2GiB\n", NULL, 0,
		      "t.ini:2: value '2GiB' out of range for [stream] buffer: "
		      "must be between 1KiB and 1GiB");
	expect_errors("[stream]\nshare = 150%\n", NULL, 0,
		      "t.ini:2: value '150%' out of range for [stream] share: "
		      "must be between 0% and 100%");
	expect_errors("[world]\nusers = 0\n", NULL, 0,
		      "t.ini:2: value '0' out of range for [world] users: "
		      "must be between 1 and 10000000");
	expect_errors("[traffic]\nrate = -1\n", NULL, 0,
		      "t.ini:2: value '-1' out of range for [traffic] rate: must be at least 0");
	expect_errors("[traffic]\nburst = 6\n", NULL, 0,
		      "t.ini:2: value '6' out of range for [traffic] burst: must be at most 5");
	/* bounds are inclusive */
	expect_errors("[batch]\nat = 23:59:59\nfrom = 2100-01-02\n", NULL, 0,
		      "t.ini:3: value '2100-01-02' out of range for [batch] from: "
		      "must be between 1970-01-01 and 2100-01-01");
}
END_TEST

START_TEST(missing_required_key_names_the_section)
{
	struct error e;
	struct scenario *sc;

	sc = scenario_parse(&need_schema, "[need]\nother = 2\n", "n.ini", NULL, 0, &e);
	ck_assert_ptr_null(sc);
	ck_assert_str_eq(e.msg, "n.ini: missing required key 'id' in [need]");
	sc = scenario_parse(&need_schema, "", "n.ini", NULL, 0, &e);
	ck_assert_ptr_null(sc);
	ck_assert_str_eq(e.msg, "n.ini: missing required key 'id' in [need]");
	/* an override can supply it */
	{
		const char *ov[] = { "need.id=3" };
		struct need n = { 0, 0 };

		sc = scenario_parse(&need_schema, "", "n.ini", ov, 1, &e);
		ck_assert_ptr_nonnull(sc);
		scenario_fill(sc, &n);
		ck_assert_int_eq(n.id, 3);
		ck_assert_int_eq(n.other, 1);
		scenario_free(sc);
	}
	/* per instance, at the instance's header line */
	expect_errors("[spike.a]\ncreator = 1\n\n[spike.b]\nmagnitude = 2\n", NULL, 0,
		      "t.ini:4: missing required key 'creator' in [spike.b]");
}
END_TEST

START_TEST(duplicates_are_errors)
{
	expect_errors("[world]\nusers = 1\nusers = 2\n", NULL, 0,
		      "t.ini:3: duplicate key 'users' in [world] (first set at line 2)");
	/* a bad first value still makes the second a duplicate */
	expect_errors("[world]\nusers = x\nusers = 2\n", NULL, 0,
		      "t.ini:2: bad value 'x' for [world] users: expected an integer (e.g. 20000 or 20_000)\n"
		      "t.ini:3: duplicate key 'users' in [world] (first set at line 2)");
	expect_errors("[world]\nusers = 1\n[traffic]\n[world]\nratio = 0.5\n", NULL, 0,
		      "t.ini:4: duplicate section [world] (first at line 1)");
	expect_errors("[spike.a]\ncreator = 1\n[spike.a]\ncreator = 2\n", NULL, 0,
		      "t.ini:3: duplicate section [spike.a] (first at line 1)");
}
END_TEST

START_TEST(syntax_errors_are_all_reported)
{
	expect_errors("users = 3\n", NULL, 0,
		      "t.ini:1: key 'users' outside any section: put it under a [section] header");
	expect_errors("[world]\nusers 3\n[traffic\nrate = 2\n= 4\n[world] extra\n[]\n", NULL, 0,
		      "t.ini:2: expected 'key = value', a [section] header or a comment\n"
		      "t.ini:3: missing ']' in section header\n"
		      "t.ini:5: missing key name before '='\n"
		      "t.ini:6: unexpected text after section header [world]\n"
		      "t.ini:7: empty section name '[]'");
}
END_TEST

START_TEST(long_line_is_reported_not_cut)
{
	char text[600];
	char want[200];
	int n;

	/* line 2 is 250 characters: too long; lines after it keep their numbers */
	n = snprintf(text, sizeof(text), "[world]\nlabel = ");
	memset(text + n, 'x', 242);
	n += 242;
	snprintf(text + n, sizeof(text) - (size_t)n, "\nusers = bad\nratio = 0.5\n");
	snprintf(want, sizeof(want),
		 "t.ini:2: line too long (250 characters, at most %d)\n"
		 "t.ini:3: bad value 'bad' for [world] users: expected an integer (e.g. 20000 or 20_000)",
		 SCENARIO_MAX_LINE);
	expect_errors(text, NULL, 0, want);
}
END_TEST

START_TEST(longest_line_is_accepted)
{
	char text[400];
	struct error e;
	struct scenario *sc;
	int n = snprintf(text, sizeof(text), "[world]\nlabel = ");

	memset(text + n, 'y', SCENARIO_MAX_LINE - 8);
	text[n + SCENARIO_MAX_LINE - 8] = '\0';
	sc = parse(text, NULL, 0, &e);
	ck_assert_msg(sc != NULL, "%s", e.msg);
	ck_assert_uint_eq(strlen(fill(sc).label), SCENARIO_MAX_LINE - 8);
	scenario_free(sc);
}
END_TEST

/* The acceptance test of the error report: several problems of different
 * kinds, each on its own line with its own line number, in file order,
 * then overrides, then missing keys. */
START_TEST(all_errors_reported_together_with_lines)
{
	const char *text =
		"[world]\n"                    /* 1 */
		"users = lots\n"               /* 2 */
		"ratio = 0.5\n"                /* 3 */
		"\n"                           /* 4 */
		"[traffic]\n"                  /* 5 */
		"rte = 3\n"                    /* 6 */
		"[stream]\n"                   /* 7 */
		"visibility_timeout = 30\n"    /* 8 */
		"[spike.promo1]\n"             /* 9 */
		"magnitude = 500\n";           /* 10 */
	const char *ov[] = { "world.users=abc", "stream.mode=twin" };

	expect_errors(text, ov, 2,
		      "t.ini:2: bad value 'lots' for [world] users: expected an integer (e.g. 20000 or 20_000)\n"
		      "t.ini:6: unknown key 'rte' in [traffic] (did you mean 'rate'?)\n"
		      "t.ini:8: bad value '30' for [stream] visibility_timeout: expected a duration with a unit (e.g. 250ms, 30s, 5min, 2h, 3d)\n"
		      "t.ini:10: value '500' out of range for [spike.promo1] magnitude: must be between 1 and 100\n"
		      "--set world.users=abc: bad value 'abc' for [world] users: expected an integer (e.g. 20000 or 20_000)\n"
		      "t.ini:9: missing required key 'creator' in [spike.promo1]");
}
END_TEST

START_TEST(too_many_errors_end_with_a_count)
{
	char text[4000];
	size_t n = 0;
	struct error e;
	struct scenario *sc;

	n += (size_t)snprintf(text + n, sizeof(text) - n, "[world]\n");
	for (int i = 0; i < 60; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "nokey%d = 1\n", i);
	sc = parse(text, NULL, 0, &e);
	ck_assert_ptr_null(sc);
	ck_assert_uint_lt(strlen(e.msg), sizeof(e.msg));
	ck_assert_ptr_nonnull(strstr(e.msg, "t.ini:2: unknown key 'nokey0' in [world]\n"));
	ck_assert_ptr_nonnull(strstr(e.msg, "more problems)"));
	/* every line but the count is a whole message */
	for (char *p = e.msg; *p;) {
		char *nl = strchr(p, '\n');

		if (!nl) {
			ck_assert_msg(p[0] == '(', "last line '%s'", p);
			break;
		}
		ck_assert(!strncmp(p, "t.ini:", 6));
		p = nl + 1;
	}
}
END_TEST

START_TEST(line_endings_bom_indent_and_comments)
{
	const char *text =
		"\xEF\xBB\xBF[world]\r\n"
		"  users = 7\r\n"          /* indented: a key, not a continuation */
		"\tratio = 0.5 ; half\r\n"
		"label = a;b\r\n"          /* ';' without space before is text */
		"[stream]\r\n"
		"mode = twn\r\n";
	expect_errors(text, NULL, 0,
		      "t.ini:6: bad value 'twn' for [stream] mode: expected one of split, twin, both (did you mean 'twin'?)");
	{
		struct error e;
		struct scenario *sc = parse("\xEF\xBB\xBF[world]\r\n  users = 7\r\n\tratio = 0.5 ; half\r\nlabel = a;b\r\n",
					    NULL, 0, &e);

		ck_assert_msg(sc != NULL, "%s", e.msg);
		ck_assert_int_eq(fill(sc).users, 7);
		ck_assert(fill(sc).ratio == 0.5);
		ck_assert_str_eq(fill(sc).label, "a;b");
		scenario_free(sc);
	}
}
END_TEST

START_TEST(instances_in_file_order)
{
	const char *text =
		"[spike.zeta]\ncreator = 3\nmagnitude = 2.5\n"
		"[world]\nusers = 5\n"
		"[spike.alpha-1]\ncreator = 9\nat = 2h\n";
	struct error e;
	struct scenario *sc = parse(text, NULL, 0, &e);
	struct tcfg c;

	ck_assert_msg(sc != NULL, "%s", e.msg);
	c = fill(sc);
	ck_assert_uint_eq(scenario_instance_count(sc, "spike"), 2);
	ck_assert_str_eq(scenario_instance_name(sc, "spike", 0), "zeta");
	ck_assert_str_eq(scenario_instance_name(sc, "spike", 1), "alpha-1");
	ck_assert_uint_eq(c.n_spikes, 2);
	ck_assert_str_eq(c.spikes[0].name, "zeta");
	ck_assert_str_eq(c.spikes[1].name, "alpha-1");
	ck_assert_uint_eq(c.spikes[0].creator, 3);
	ck_assert(c.spikes[0].magnitude == 2.5);
	ck_assert_int_eq(c.spikes[0].at, 0);
	ck_assert(!scenario_inst_is_set(sc, "spike", 0, "at"));
	ck_assert_uint_eq(c.spikes[1].creator, 9);
	ck_assert(c.spikes[1].magnitude == 5);
	ck_assert_int_eq(c.spikes[1].at, 2 * SIMTIME_HOUR);
	ck_assert(scenario_inst_is_set(sc, "spike", 1, "at"));
	ck_assert_uint_eq(scenario_instance_count(sc, "world"), 0);
	scenario_free(sc);

	expect_errors("[spike.a.b]\n", NULL, 0,
		      "t.ini:1: bad instance name 'a.b' in [spike.a.b]: expected 1 to 48 letters, digits, '_' or '-'");
	expect_errors("[spike.]\n", NULL, 0,
		      "t.ini:1: bad instance name '' in [spike.]: expected 1 to 48 letters, digits, '_' or '-'");
}
END_TEST

START_TEST(overrides_use_the_same_parser)
{
	const char *ov[] = { "world.users=42", "stream.visibility_timeout = 2min",
			     "spike.b.magnitude=9", "world.users=43", "world.label=x y" };
	struct error e;
	struct scenario *sc = parse("[world]\nusers = 5\n[spike.b]\ncreator = 1\n", ov, 5, &e);

	ck_assert_msg(sc != NULL, "%s", e.msg);
	ck_assert_int_eq(fill(sc).users, 43); /* the last one wins */
	ck_assert_int_eq(fill(sc).visibility_timeout, 2 * SIMTIME_MIN);
	ck_assert(scenario_is_set(sc, "stream", "visibility_timeout"));
	ck_assert(fill(sc).spikes[0].magnitude == 9);
	ck_assert_str_eq(fill(sc).label, "x y");
	ck_assert_uint_eq(scenario_override_count(sc), 5);
	ck_assert_str_eq(scenario_override(sc, 1), "stream.visibility_timeout = 2min");
	scenario_free(sc);
}
END_TEST

START_TEST(bad_overrides_name_the_argument)
{
	const char *ov[] = { "world.users=abc", "world.usr=3", "users=3", "noequals",
			     "trafic.rate=1", "spike.c.magnitude=2", "world.label=a ;b",
			     "stream.share=200%" };

	expect_errors("[spike.b]\ncreator = 1\n", ov, 8,
		      "--set world.users=abc: bad value 'abc' for [world] users: expected an integer (e.g. 20000 or 20_000)\n"
		      "--set world.usr=3: unknown key 'usr' in [world] (did you mean 'users'?)\n"
		      "--set users=3: expected section.key=value\n"
		      "--set noequals: expected section.key=value\n"
		      "--set trafic.rate=1: unknown section [trafic] (did you mean [traffic]?)\n"
		      "--set spike.c.magnitude=2: no section [spike.c] in t.ini\n"
		      "--set world.label=a ;b: value contains ' ;', which starts a comment in a scenario file\n"
		      "--set stream.share=200%: value '200%' out of range for [stream] share: must be between 0% and 100%");
}
END_TEST

/* Where each value came from, in the form the parser's messages start
 * with: the file line, the --set argument as given (the last source wins,
 * also over the file), or the default. */
START_TEST(where_names_line_override_or_default)
{
	const char *ov[] = { "world.ratio = 0.5", "spike.b.magnitude=9", "world.ratio=0.25" };
	struct error e;
	struct scenario *sc = parse("; a comment\n[world]\nusers = 5\nratio = 0.1\n\n"
				    "[spike.b]\ncreator = 1\n", ov, 3, &e);
	char buf[SCENARIO_WHERE_MAX], tiny[8];

	ck_assert_msg(sc != NULL, "%s", e.msg);
	ck_assert_str_eq(scenario_where(sc, "world", "users", buf, sizeof(buf)), "t.ini:3");
	ck_assert_str_eq(scenario_where(sc, "world", "ratio", buf, sizeof(buf)),
			 "--set world.ratio=0.25");
	ck_assert_str_eq(scenario_where(sc, "world", "label", buf, sizeof(buf)), "t.ini (default)");
	ck_assert_str_eq(scenario_inst_where(sc, "spike", 0, NULL, buf, sizeof(buf)), "t.ini:6");
	ck_assert_str_eq(scenario_inst_where(sc, "spike", 0, "creator", buf, sizeof(buf)),
			 "t.ini:7");
	ck_assert_str_eq(scenario_inst_where(sc, "spike", 0, "magnitude", buf, sizeof(buf)),
			 "--set spike.b.magnitude=9");
	ck_assert_str_eq(scenario_inst_where(sc, "spike", 0, "at", buf, sizeof(buf)),
			 "t.ini (default)");
	/* a short buffer is cut, never overrun */
	ck_assert_str_eq(scenario_where(sc, "world", "users", tiny, sizeof(tiny)), "t.ini:3");
	ck_assert_str_eq(scenario_where(sc, "world", "label", tiny, sizeof(tiny)), "t.ini (");
	/* values in canonical units */
	ck_assert_str_eq(scenario_format(sc, "stream", "visibility_timeout", buf, sizeof(buf)),
			 "30s");
	ck_assert_str_eq(scenario_format(sc, "stream", "share", buf, sizeof(buf)), "50%");
	ck_assert_str_eq(scenario_inst_format(sc, "spike", 0, "magnitude", buf, sizeof(buf)), "9");
	scenario_free(sc);
}
END_TEST

/* A broken rule between two keys reads like the parser's out-of-range
 * message, led by the key the user wrote. */
START_TEST(order_error_leads_with_the_written_key)
{
	const char *ov[] = { "traffic.burst=-2" };
	struct error e;
	struct scenario *sc = parse("[world]\nusers = 7\n[traffic]\nrate = 9\n", ov, 1, &e);

	ck_assert_msg(sc != NULL, "%s", e.msg);
	/* both written: the first key leads */
	ck_assert_int_eq(scenario_order_error(&e, sc, "world", "users", "at most", "traffic", "rate"),
			 ERR_INPUT);
	ck_assert_int_eq(e.code, ERR_INPUT);
	ck_assert_str_eq(e.msg, "t.ini:2: value '7' out of range for [world] users: must be at "
				"most [traffic] rate = 9 (t.ini:4)");
	/* the first is a default: the written one leads, the relation turns */
	ck_assert_int_eq(scenario_order_error(&e, sc, "world", "ratio", "below", "traffic", "burst"),
			 ERR_INPUT);
	ck_assert_str_eq(e.msg, "--set traffic.burst=-2: value '-2' out of range for [traffic] "
				"burst: must be above [world] ratio = 0.85 (t.ini (default))");
	/* both defaults: the first leads */
	ck_assert_int_eq(scenario_order_error(&e, sc, "stream", "share", "at least", "world",
					      "ratio"), ERR_INPUT);
	ck_assert_str_eq(e.msg, "t.ini (default): value '50%' out of range for [stream] share: "
				"must be at least [world] ratio = 0.85 (t.ini (default))");
	scenario_free(sc);
}
END_TEST

START_TEST(unreadable_files)
{
	struct error e;
	struct scenario *sc;
	char dir[] = "/tmp/airtime-scenario-XXXXXX", path[64];

	sc = scenario_load(&schema, "/nonexistent/x.ini", NULL, 0, &e);
	ck_assert_ptr_null(sc);
	ck_assert_int_eq(e.code, ERR_IO);
	ck_assert_str_eq(e.msg, "cannot open scenario '/nonexistent/x.ini': No such file or directory");

	ck_assert_ptr_nonnull(mkdtemp(dir));
	sc = scenario_load(&schema, dir, NULL, 0, &e);
	ck_assert_ptr_null(sc);
	ck_assert_int_eq(e.code, ERR_IO);
	ck_assert_ptr_nonnull(strstr(e.msg, "cannot read scenario"));

	/* a file with a NUL byte is rejected with its line */
	snprintf(path, sizeof(path), "%s/nul.ini", dir);
	{
		FILE *f = fopen(path, "wb");

		ck_assert_ptr_nonnull(f);
		fwrite("[run]\nseed = 1\0\n", 1, 16, f);
		fclose(f);
	}
	sc = scenario_load(&schema, path, NULL, 0, &e);
	ck_assert_ptr_null(sc);
	ck_assert_int_eq(e.code, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "nul.ini:2: line contains a NUL byte"));
	ck_assert_int_eq(unlink(path), 0);

	/* and a good file loads, keeping its text and name */
	snprintf(path, sizeof(path), "%s/ok.ini", dir);
	{
		FILE *f = fopen(path, "wb");

		ck_assert_ptr_nonnull(f);
		fputs("[world]\nusers = 99\n", f);
		fclose(f);
	}
	sc = scenario_load(&schema, path, NULL, 0, &e);
	ck_assert_msg(sc != NULL, "%s", e.msg);
	ck_assert_int_eq(fill(sc).users, 99);
	ck_assert_str_eq(scenario_text(sc), "[world]\nusers = 99\n");
	ck_assert_str_eq(scenario_name(sc), path);
	scenario_free(sc);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* dump(parse(dump(x))) == dump(x), and the values agree. */
START_TEST(dump_round_trips)
{
	const char *text =
		"[world]\nusers = 12_345\nratio = 0.1\nverbose = on\nlabel = with = sign; and #\n"
		"[stream]\nvisibility_timeout = 2.5s\nbuffer = 1.5KiB\nshare = 33.3%\n"
		"[batch]\nat = 7:05\nfrom = 1999-12-31\n"
		"[spike.b]\ncreator = 2\nat = 90min\n[spike.a]\ncreator = 1\nmagnitude = 1e1\n";
	const char *ov[] = { "traffic.rate=0.3", "spike.a.at=36h" };
	struct error e;
	struct scenario *sc = parse(text, ov, 2, &e), *again;
	char *d1, *d2;

	ck_assert_msg(sc != NULL, "%s", e.msg);
	d1 = dump_to_string(sc);
	ck_assert_ptr_nonnull(strstr(d1, "; --set traffic.rate=0.3\n"));
	ck_assert_ptr_nonnull(strstr(d1, "\n[spike.b]\nmagnitude = 5\nat = 90min\ncreator = 2\n"));
	ck_assert_ptr_nonnull(strstr(d1, "visibility_timeout = 2500ms\nbuffer = 1536B\nshare = 33.3%\n"));
	ck_assert_ptr_nonnull(strstr(d1, "at = 07:05\nfrom = 1999-12-31\n"));
	ck_assert_ptr_nonnull(strstr(d1, "label = with = sign; and #\n"));
	again = parse(d1, NULL, 0, &e);
	ck_assert_msg(again != NULL, "%s\n%s", e.msg, d1);
	d2 = dump_to_string(again);
	/* only the header line names the source */
	ck_assert_str_eq(strchr(d1, '\n') + strlen("; --set traffic.rate=0.3\n; --set spike.a.at=36h\n") + 1,
			 strchr(d2, '\n') + 1);
	{
		/* every filled byte agrees */
		struct tcfg a = fill(again), b = fill(sc);

		ck_assert(!memcmp(&a, &b, sizeof(a)));
		ck_assert(a.ratio == 0.1);
		ck_assert(a.rate == 0.3);
		ck_assert_str_eq(a.spikes[0].name, "b");
		ck_assert_int_eq(a.spikes[1].at, 36 * SIMTIME_HOUR);
	}
	free(d1);
	free(d2);
	scenario_free(again);
	scenario_free(sc);
}
END_TEST

/* scenario_fill writes each value into its field, repeated sections into
 * their array with count and names, and leaves every other byte alone. */
START_TEST(fill_writes_named_fields_only)
{
	struct error e;
	struct scenario *sc = parse("[spike.a]\ncreator = 1\n[spike.b]\ncreator = 2\n", NULL, 0,
				    &e);
	struct tcfg c;

	ck_assert_msg(sc != NULL, "%s", e.msg);
	memset(&c, 0xA5, sizeof(c));
	scenario_fill(sc, &c);
	ck_assert_uint_eq(c.untouched, 0xA5A5A5A5u);
	ck_assert_uint_eq(c.n_spikes, 2);
	ck_assert_str_eq(c.spikes[1].name, "b");
	/* the element not written keeps its bytes */
	ck_assert_uint_eq(c.spikes[2].creator, 0xA5A5A5A5u);
	/* names and strings are NUL-padded to their array's end */
	ck_assert_int_eq(c.spikes[1].name[SCENARIO_NAME_MAX], 0);
	ck_assert_int_eq(c.label[SCENARIO_TEXT_MAX - 1], 0);
	ck_assert(scenario_schema(sc) == &schema);
	scenario_free(sc);
}
END_TEST

/* A repeated section holds at most its array's elements: one more is an
 * error at its header. */
START_TEST(too_many_instances_is_an_error)
{
	expect_errors("[spike.a]\ncreator = 1\n[spike.b]\ncreator = 1\n[spike.c]\ncreator = 1\n"
		      "[spike.d]\ncreator = 1\n", NULL, 0,
		      "t.ini:7: too many [spike.NAME] sections: at most 3");
	{
		const char *ov[] = { "spike.d.creator=1" };

		expect_errors("[spike.a]\ncreator = 1\n", ov, 1,
			      "--set spike.d.creator=1: no section [spike.d] in t.ini");
	}
}
END_TEST

/* The schema's own rules, each with the message naming the row. */
static void expect_schema(const struct scenario_key *k, size_t n, const char *want)
{
	struct scenario_schema sch = { k, n, repeats, 1, sizeof(struct tcfg) };
	struct error e;

	error_clear(&e);
	ck_assert_int_eq(scenario_schema_check(&sch, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, want);
}

START_TEST(schema_rows_must_fill_a_field_of_their_type)
{
	struct error e;
	/* a row without a field: what a forgotten T() gives */
	const struct scenario_key no_field[] = {
		{ "world", "users", SCENARIO_INT, 1, 10, "1", NULL, "doc", 0, 0, SCENARIO_FIELD_NONE },
		{ "spike.*", "at", SCENARIO_DURATION, 0, 10, "0s", NULL, "when", SP(at) },
	};
	const struct scenario_key real_in_int[] = {
		{ "world", "ratio", SCENARIO_REAL, 0, 1, "0.5", NULL, "doc", T(users) },
		{ "spike.*", "at", SCENARIO_DURATION, 0, 10, "0s", NULL, "when", SP(at) },
	};
	const struct scenario_key too_wide[] = {
		{ "world", "mode", SCENARIO_INT, 0, 1e10, "1", NULL, "doc", T(mode) },
		{ "spike.*", "at", SCENARIO_DURATION, 0, 10, "0s", NULL, "when", SP(at) },
	};
	const struct scenario_key negative_unsigned[] = {
		{ "world", "mode", SCENARIO_INT, -1, 1, "1", NULL, "doc", T(mode) },
		{ "spike.*", "at", SCENARIO_DURATION, 0, 10, "0s", NULL, "when", SP(at) },
	};
	const struct scenario_key short_text[] = {
		{ "world", "name", SCENARIO_STRING, 0, 0, "x", NULL, "doc", T(spikes[0].name) },
		{ "spike.*", "at", SCENARIO_DURATION, 0, 10, "0s", NULL, "when", SP(at) },
	};
	const struct scenario_key twice[] = {
		{ "world", "users", SCENARIO_INT, 1, 10, "1", NULL, "doc", T(users) },
		{ "world", "people", SCENARIO_INT, 1, 10, "1", NULL, "doc", T(users) },
		{ "spike.*", "at", SCENARIO_DURATION, 0, 10, "0s", NULL, "when", SP(at) },
	};
	const struct scenario_key into_array[] = {
		{ "world", "x", SCENARIO_DURATION, 0, 10, "0s", NULL, "doc", T(spikes[1].at) },
		{ "spike.*", "at", SCENARIO_DURATION, 0, 10, "0s", NULL, "when", SP(at) },
	};
	const struct scenario_key split[] = {
		{ "world", "users", SCENARIO_INT, 1, 10, "1", NULL, "doc", T(users) },
		{ "batch", "at", SCENARIO_TIMEOFDAY, 0, 10, "0:00", NULL, "doc", T(at) },
		{ "world", "ratio", SCENARIO_REAL, 0, 1, "0.5", NULL, "doc", T(ratio) },
		{ "spike.*", "at", SCENARIO_DURATION, 0, 10, "0s", NULL, "when", SP(at) },
	};
	const struct scenario_key no_repeat[] = {
		{ "ranker.*", "k", SCENARIO_INT, 1, 10, "1", NULL, "doc", SP(creator) },
		{ "spike.*", "at", SCENARIO_DURATION, 0, 10, "0s", NULL, "when", SP(at) },
	};

	ck_assert_int_eq(scenario_schema_check(&schema, &e), 0);
	ck_assert_int_eq(scenario_schema_check(&need_schema, &e), 0);
	expect_schema(no_field, 2, "[world] users fills no field");
	expect_schema(real_in_int, 2,
		      "[world] ratio (real) fills a 64-bit integer: a real needs a double");
	expect_schema(too_wide, 2, "[world] mode (integer) fills a 32-bit unsigned integer: "
				   "its bounds do not fit the field's type");
	expect_schema(negative_unsigned, 2, "[world] mode (integer) fills a 32-bit unsigned "
					    "integer: its bounds do not fit the field's type");
	expect_schema(short_text, 2, "[world] name (string) fills a char array: its char array "
				     "is shorter than SCENARIO_TEXT_MAX");
	expect_schema(twice, 3, "[world] users and [world] people fill the same bytes");
	expect_schema(into_array, 2, "[world] x fills part of [spike.*]'s array or count");
	expect_schema(split, 4, "[world] rows are not together");
	expect_schema(no_repeat, 2, "[ranker.*] k: no repeat for [ranker.*]");
}
END_TEST

/* Parsing with a bad schema is a programming error: it aborts. */
START_TEST(parsing_with_a_row_without_a_field_is_a_bug)
{
	static const struct scenario_key bad[] = {
		{ "world", "users", SCENARIO_INT, 1, 10, "1", NULL, "doc", 0, 0, SCENARIO_FIELD_NONE },
	};
	static const struct scenario_schema sch = { bad, 1, NULL, 0, sizeof(struct tcfg) };
	struct error e;

	(void)scenario_parse(&sch, "", "t.ini", NULL, 0, &e); /* aborts */
}
END_TEST

static Suite *scenario_suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc = tcase_create("scenario");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, empty_file_gives_defaults);
	tcase_add_test(tc, values_of_every_type);
	tcase_add_test(tc, unknown_key_suggests_the_closest);
	tcase_add_test(tc, unknown_section_suggests_the_closest);
	tcase_add_test(tc, bad_value_of_each_type_names_the_form);
	tcase_add_test(tc, out_of_range_states_bounds_in_the_key_unit);
	tcase_add_test(tc, missing_required_key_names_the_section);
	tcase_add_test(tc, duplicates_are_errors);
	tcase_add_test(tc, syntax_errors_are_all_reported);
	tcase_add_test(tc, long_line_is_reported_not_cut);
	tcase_add_test(tc, longest_line_is_accepted);
	tcase_add_test(tc, all_errors_reported_together_with_lines);
	tcase_add_test(tc, too_many_errors_end_with_a_count);
	tcase_add_test(tc, line_endings_bom_indent_and_comments);
	tcase_add_test(tc, instances_in_file_order);
	tcase_add_test(tc, overrides_use_the_same_parser);
	tcase_add_test(tc, bad_overrides_name_the_argument);
	tcase_add_test(tc, where_names_line_override_or_default);
	tcase_add_test(tc, order_error_leads_with_the_written_key);
	tcase_add_test(tc, unreadable_files);
	tcase_add_test(tc, dump_round_trips);
	tcase_add_test(tc, fill_writes_named_fields_only);
	tcase_add_test(tc, too_many_instances_is_an_error);
	tcase_add_test(tc, schema_rows_must_fill_a_field_of_their_type);
	tcase_add_test_raise_signal(tc, parsing_with_a_row_without_a_field_is_a_bug, SIGABRT);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(scenario_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
