/*
 * Tests for config/: the key table (config_keys.c) and the loader
 * (config.c).
 *
 * Every key reaches its field: for each row, a distinct valid value set by
 * an override changes exactly that row's bytes of struct config and no
 * other, and reads back as written.  Every row fills a field (no orphan
 * key), no module keeps a default of its own (config_init leaves every key
 * field zero), the defaults survive the loader's checks, enums follow
 * their C enums, and the generated files (the golden `airtime validate
 * scenarios/default.ini` output, the README reference) are in sync.
 */
#include "config/config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"
#include "common/xalloc.h"
#include "engine/online.h"
#include "engine/workflow.h"
#include "tests/check_main.h"

/* The one [spike.NAME] and [ranker.NAME] instance the scenarios below
 * hold, so that the repeated sections' rows have a field to reach (the
 * ranker's kind has no default; its option.KEY lines round-trip). */
#define BASE "[spike.t]\n[ranker.t]\nkind = forest\nmodel = m.forest\noption.a = 1\noption.b.c = x y\n"
#define SPIKE0 offsetof(struct config, sim.spikes)
#define RANKER0 offsetof(struct config, rankers)

static bool is_spike(const struct scenario_key *k)
{
	return !strcmp(k->section, "spike.*");
}

static bool is_ranker(const struct scenario_key *k)
{
	return !strcmp(k->section, "ranker.*");
}

/* Offset of the row's field in struct config (spikes: in spikes[0],
 * rankers: in rankers[0]). */
static size_t field_at(const struct scenario_key *k)
{
	return (is_spike(k) ? SPIKE0 : is_ranker(k) ? RANKER0 : 0) + k->offset;
}

static int64_t get_int(const struct config *c, const struct scenario_key *k)
{
	const char *p = (const char *)c + field_at(k);

	switch (k->field) {
	case SCENARIO_FIELD_I32: { int32_t v; memcpy(&v, p, sizeof(v)); return v; }
	case SCENARIO_FIELD_U32: { uint32_t v; memcpy(&v, p, sizeof(v)); return v; }
	case SCENARIO_FIELD_I64: { int64_t v; memcpy(&v, p, sizeof(v)); return v; }
	case SCENARIO_FIELD_U64: { uint64_t v; memcpy(&v, p, sizeof(v)); return (int64_t)v; }
	default: ck_abort_msg("[%s] %s is not an integer field", k->section, k->name);
	}
	return 0;
}

static double get_double(const struct config *c, const struct scenario_key *k)
{
	double v;

	ck_assert_int_eq(k->field, SCENARIO_FIELD_DOUBLE);
	memcpy(&v, (const char *)c + field_at(k), sizeof(v));
	return v;
}

/* Plain choices of "a|b|c" (not a final "ranker.*": the names of a
 * repeated section's instances). */
static size_t n_choices(const char *choices)
{
	size_t n = 1;

	for (const char *p = choices; *p; p++)
		n += *p == '|';
	return n - (strchr(choices, '*') != NULL);
}

/* Choice i of "a|b|c" into buf. */
static const char *choice(const char *choices, size_t i, char *buf, size_t n)
{
	const char *p = choices;

	while (i--)
		p = strchr(p, '|') + 1;
	snprintf(buf, n, "%.*s", (int)strcspn(p, "|"), p);
	return buf;
}

/* A real other than v inside [min, max]. */
static double other_real(double v, double min, double max)
{
	double cand[] = { v + 0.5, v - 0.5, (v + max) / 2, (v + min) / 2, v * 2, v / 2 };

	for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]); i++)
		if (isfinite(cand[i]) && cand[i] >= min && cand[i] <= max && cand[i] != v)
			return cand[i];
	ck_abort_msg("no other value in [%g, %g]", min, max);
	return v;
}

/* An integer other than v inside [min, max], a step away. */
static int64_t other_int(int64_t v, int64_t step, double min, double max)
{
	if ((double)(v + step) <= max)
		return v + step;
	ck_assert_msg((double)(v - step) >= min, "no other value in [%g, %g]", min, max);
	return v - step;
}

/* The text of a valid value of key k other than its value in d. */
static void other_value(const struct config *d, const struct scenario_key *k, char *buf,
			size_t n)
{
	switch (k->type) {
	case SCENARIO_INT:
		units_format_int(other_int(get_int(d, k), 1, k->min, k->max), buf, n);
		break;
	case SCENARIO_DURATION:
		units_format_duration(other_int(get_int(d, k), 1, k->min, k->max), buf, n);
		break;
	case SCENARIO_SIZE:
		units_format_size(other_int(get_int(d, k), 1, k->min, k->max), buf, n);
		break;
	case SCENARIO_TIMEOFDAY:
		units_format_timeofday(other_int(get_int(d, k), SIMTIME_S, k->min, k->max), buf, n);
		break;
	case SCENARIO_DATE:
		units_format_date(other_int(get_int(d, k), 1, k->min, k->max), buf, n);
		break;
	case SCENARIO_REAL:
		units_format_real(other_real(get_double(d, k), k->min, k->max), buf, n);
		break;
	case SCENARIO_PERCENT:
		units_format_percent(other_real(get_double(d, k), k->min, k->max), buf, n);
		break;
	case SCENARIO_BOOL: {
		bool v;

		memcpy(&v, (const char *)d + field_at(k), sizeof(v));
		units_format_bool(!v, buf, n);
		break;
	}
	case SCENARIO_ENUM:
		choice(k->choices, ((size_t)get_int(d, k) + 1) % n_choices(k->choices), buf, n);
		break;
	case SCENARIO_STRING:
		snprintf(buf, n, "%s", strcmp((const char *)d + field_at(k), "x") ? "x" : "y");
		break;
	}
}

/* Every value of BASE and the overrides, filled into zeroed memory: only
 * the bytes a row names are written. */
static void fill(struct config *c, const char *const *ov, size_t n)
{
	struct error e;
	struct scenario *sc = scenario_parse(&config_schema, BASE, "t.ini", ov, n, &e);

	ck_assert_msg(sc != NULL, "%s", e.msg);
	memset(c, 0, sizeof(*c));
	scenario_fill(sc, c);
	scenario_free(sc);
}

/* The override that sets key k to text. */
static void override(const struct scenario_key *k, const char *text, char *buf, size_t n)
{
	if (is_spike(k))
		snprintf(buf, n, "spike.t.%s=%s", k->name, text);
	else if (is_ranker(k))
		snprintf(buf, n, "ranker.t.%s=%s", k->name, text);
	else
		snprintf(buf, n, "%s.%s=%s", k->section, k->name, text);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f)
		return NULL;
	do {
		XGROW(buf, len + 4097, cap);
		got = fread(buf + len, 1, 4096, f);
		len += got;
	} while (got);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* The table is well formed (scenario_schema_check: each row fills a field
 * of a type that holds its values, inside struct config, no two rows the
 * same bytes, a section's rows together) and every row has a field. */
START_TEST(every_row_fills_a_field)
{
	const struct scenario_schema *s = &config_schema;
	struct error e;

	ck_assert_msg(scenario_schema_check(s, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(s->size, sizeof(struct config));
	ck_assert_uint_gt(s->n_keys, 100);
	for (size_t i = 0; i < s->n_keys; i++) {
		const struct scenario_key *k = &s->keys[i];

		ck_assert_msg(k->field != SCENARIO_FIELD_NONE && k->size > 0,
			      "[%s] %s fills no field", k->section, k->name);
		ck_assert_msg(k->doc && *k->doc, "[%s] %s has no doc", k->section, k->name);
		ck_assert_msg(strlen(k->name) <= SCENARIO_NAME_MAX && !strchr(k->name, '.'),
			      "[%s] %s", k->section, k->name);
		/* a ranker's kind: no ranker without one */
		ck_assert_msg(k->def != NULL || (is_ranker(k) && !strcmp(k->name, "kind")),
			      "[%s] %s: the run's keys all have a default", k->section, k->name);
		if (k->type != SCENARIO_ENUM && k->type != SCENARIO_STRING &&
		    k->type != SCENARIO_BOOL)
			ck_assert_msg(k->min <= k->max, "[%s] %s: min > max", k->section, k->name);
	}
}
END_TEST

/* For each row, a distinct value set by an override changes that row's
 * field, and no other byte of struct config. */
START_TEST(every_key_reaches_its_field_and_only_it)
{
	struct config *d = xmalloc(sizeof(*d)), *c = xmalloc(sizeof(*c));
	const unsigned char *a = (const unsigned char *)d, *b = (const unsigned char *)c;

	fill(d, NULL, 0);
	for (size_t i = 0; i < config_schema.n_keys; i++) {
		const struct scenario_key *k = &config_schema.keys[i];
		size_t at = field_at(k);
		char text[SCENARIO_TEXT_MAX], ov[2 * SCENARIO_TEXT_MAX];
		const char *set[1] = { ov };
		bool differs = false;

		other_value(d, k, text, sizeof(text));
		override(k, text, ov, sizeof(ov));
		fill(c, set, 1);
		/* Byte by byte, but asserting only on a difference: Check marks
		 * every assertion that passes, which over a struct of tens of KiB
		 * per key would dominate the test. */
		for (size_t j = 0; j < sizeof(*c); j++) {
			if (j >= at && j < at + k->size) {
				differs |= a[j] != b[j];
				continue;
			}
			if (a[j] != b[j])
				ck_abort_msg("--set %s changed byte %zu, outside [%s] %s's field "
					     "(bytes %zu..%zu)", ov, j, k->section, k->name, at,
					     at + k->size - 1);
		}
		ck_assert_msg(differs, "--set %s left [%s] %s's field as it was", ov, k->section,
			      k->name);
		/* and the field holds what was written */
		switch (k->type) {
		case SCENARIO_REAL:
		case SCENARIO_PERCENT: {
			double want = strtod(text, NULL) / (k->type == SCENARIO_PERCENT ? 100 : 1);

			ck_assert_msg(fabs(get_double(c, k) - want) <= 1e-12 * fabs(want), "%s", ov);
			break;
		}
		case SCENARIO_STRING:
			ck_assert_str_eq((const char *)c + at, text);
			break;
		case SCENARIO_ENUM: {
			char buf[64];

			ck_assert_str_eq(choice(k->choices, (size_t)get_int(c, k), buf, sizeof(buf)),
					 text);
			break;
		}
		case SCENARIO_BOOL:
			break;
		default: {
			char buf[UNITS_FORMAT_MAX];
			int64_t v = get_int(c, k);

			if (k->type == SCENARIO_INT)
				units_format_int(v, buf, sizeof(buf));
			else if (k->type == SCENARIO_DURATION)
				units_format_duration(v, buf, sizeof(buf));
			else if (k->type == SCENARIO_SIZE)
				units_format_size(v, buf, sizeof(buf));
			else if (k->type == SCENARIO_TIMEOFDAY)
				units_format_timeofday(v, buf, sizeof(buf));
			else
				units_format_date(v, buf, sizeof(buf));
			ck_assert_str_eq(buf, text);
		}
		}
	}
	free(d);
	free(c);
}
END_TEST

/* The defaults are the table's alone: config_init (the modules' *_init)
 * leaves every key's field zero, and config_defaults, checks and all,
 * holds exactly the table's defaults in every key's field. */
START_TEST(defaults_come_from_the_table_only)
{
	struct config *init = xmalloc(sizeof(*init)), *def = xmalloc(sizeof(*def));
	struct config *table = xmalloc(sizeof(*table));
	const unsigned char *z = (const unsigned char *)init;

	config_init(init);
	config_defaults(def);
	fill(table, NULL, 0);
	for (size_t i = 0; i < config_schema.n_keys; i++) {
		const struct scenario_key *k = &config_schema.keys[i];

		if (is_spike(k) || is_ranker(k))
			continue;   /* no spike nor ranker in the defaults */
		for (size_t j = k->offset; j < k->offset + k->size; j++)
			ck_assert_msg(z[j] == 0, "config_init sets [%s] %s: its default belongs in "
				      "the key table", k->section, k->name);
		ck_assert_msg(!memcmp((const char *)def + k->offset, (const char *)table + k->offset,
				      k->size),
			      "[%s] %s: config_defaults differs from the table's default",
			      k->section, k->name);
	}
	ck_assert_uint_eq(def->sim.n_spikes, 0);
	ck_assert_uint_eq(def->n_rankers, 0);
	free(init);
	free(def);
	free(table);
}
END_TEST

/* The resolved defaults (what `airtime validate` prints) read back to the
 * same values. */
START_TEST(defaults_round_trip_through_the_dump)
{
	struct config *a = xmalloc(sizeof(*a)), *b = xmalloc(sizeof(*b));
	struct scenario *sc, *again;
	struct error e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	sc = scenario_parse(&config_schema, BASE, "t.ini", NULL, 0, &e);
	ck_assert_msg(sc != NULL, "%s", e.msg);
	ck_assert_int_eq(scenario_dump(sc, f, &e), 0);
	fclose(f);
	again = scenario_parse(&config_schema, buf, "dump.ini", NULL, 0, &e);
	ck_assert_msg(again != NULL, "%s\n%s", e.msg, buf);
	ck_assert_int_eq(config_load(a, sc, &e), 0);
	ck_assert_int_eq(config_load(b, again, &e), 0);
	/* all but the spike's header location ("t.ini:1" vs "dump.ini:N") */
	memset(a->sim.spikes[0].where, 0, sizeof(a->sim.spikes[0].where));
	memset(b->sim.spikes[0].where, 0, sizeof(b->sim.spikes[0].where));
	ck_assert(!memcmp(a, b, sizeof(*a)));
	scenario_free(again);
	scenario_free(sc);
	free(buf);
	free(a);
	free(b);
}
END_TEST

/* An enum key fills its choice's index; the C enums follow the choices. */
START_TEST(enums_follow_their_choices)
{
	static const struct {
		const char *set;
		size_t at;
		int want;
	} cases[] = {
		{ "ab.mode=twin", offsetof(struct config, ab.mode), CONFIG_AB_TWIN },
		{ "ab.mode=both", offsetof(struct config, ab.mode), CONFIG_AB_BOTH },
		{ "ab.treatment=oracle", offsetof(struct config, ab.treatment), RANK_ORACLE },
		{ "ab.control=popularity", offsetof(struct config, ab.control), RANK_POPULARITY },
		{ "report.formats=md", offsetof(struct config, report.formats), CONFIG_FORMATS_MD },
		{ "report.formats=html", offsetof(struct config, report.formats), CONFIG_FORMATS_HTML },
		{ "behaviour.position_model=cascade", offsetof(struct config, sim.behaviour.model),
		  BEHAVIOUR_CASCADE },
		{ "behaviour.choice_model=mnl", offsetof(struct config, sim.behaviour.choice),
		  BEHAVIOUR_MNL },
		{ "endpoint.service=lognormal", offsetof(struct config, endpoint.service),
		  ENDPOINT_SERVICE_LOGNORMAL },
		{ "batch.fail_step=persist", offsetof(struct config, batch.workflow.fail_step),
		  WORKFLOW_PERSIST },
		{ "stream.store_fsync=never", offsetof(struct config, stream.online.fsync_policy),
		  ONLINE_FSYNC_NEVER },
		{ "model.criterion=entropy", offsetof(struct config, model.forest.criterion),
		  FOREST_ENTROPY },
	};
	struct config *c = xmalloc(sizeof(*c));
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *set[1] = { cases[i].set };
		int v;

		fill(c, set, 1);
		memcpy(&v, (const char *)c + cases[i].at, sizeof(v));
		ck_assert_msg(v == cases[i].want, "%s gives %d", cases[i].set, v);
	}
	/* where a module names its values, the names are the choices */
	for (size_t i = 0; i < config_schema.n_keys; i++) {
		const struct scenario_key *k = &config_schema.keys[i];

		if (k->type != SCENARIO_ENUM)
			continue;
		for (size_t j = 0; j < n_choices(k->choices); j++) {
			choice(k->choices, j, buf, sizeof(buf));
			if (!strcmp(k->section, "ab") && strcmp(k->name, "mode"))
				ck_assert_str_eq(rank_scorer_name((enum rank_scorer)j), buf);
			if (!strcmp(k->name, "kind"))
				ck_assert_str_eq(scorer_kind_label((enum scorer_kind)j), buf);
			if (!strcmp(k->name, "service"))
				ck_assert_str_eq(endpoint_service_name((enum endpoint_service)j), buf);
			if (!strcmp(k->name, "fail_step"))
				ck_assert_str_eq(workflow_step_name((int)j), buf);
			if (!strcmp(k->name, "store_fsync"))
				ck_assert_int_eq(online_fsync_from_name(buf), (int)j);
		}
	}
	free(c);
}
END_TEST

/* One key several modules read reaches each of them. */
START_TEST(shared_keys_reach_every_module)
{
	struct config *c = xmalloc(sizeof(*c));
	struct scenario *sc;
	struct error e;

	sc = scenario_parse(&config_schema,
			    "[run]\nseed = 9\nstart_date = 2023-01-10\nwarmup_days = 2\n"
			    "experiment_days = 3\n[stream]\nretention = 1d\n",
			    "t.ini", NULL, 0, &e);
	ck_assert_msg(sc != NULL, "%s", e.msg);
	ck_assert_int_eq(config_load(c, sc, &e), 0);
	ck_assert_uint_eq(c->sim.seed, 9);
	ck_assert_uint_eq(c->batch.workflow.seed, 9);
	ck_assert_int_eq(c->sim.horizon, 5 * SIMTIME_DAY);
	ck_assert_int_eq(c->batch.epoch_day, 19367);
	ck_assert_int_eq(c->sim.traffic.epoch_weekday, 1);   /* a Tuesday */
	/* and the derived fields */
	ck_assert_int_eq(c->stream.pit.dedup_horizon, SIMTIME_DAY + SIMTIME_HOUR);
	ck_assert_uint_gt(c->sim.world.n_zones, 1);
	for (int s = 1; s < WORKFLOW_STEP_COUNT; s++)
		ck_assert(!memcmp(&c->batch.workflow.retry[s], &c->batch.workflow.retry[0],
				  sizeof(c->batch.workflow.retry[0])));
	ck_assert_int_eq(c->batch.workflow.fail_day_from, -1);
	scenario_free(sc);
	free(c);
}
END_TEST

/* The [ab] and [model] rules the loader owns, and the order of the
 * checks: the first broken rule in config_load's order is reported. */
START_TEST(loader_rules_and_their_order)
{
	struct config *c = xmalloc(sizeof(*c));
	struct scenario *sc;
	struct error e;

	sc = scenario_parse(&config_schema, "[ab]\ncontrol = forest\n[rank]\nmax_candidates = 5\n",
			    "t.ini", NULL, 0, &e);
	ck_assert_msg(sc != NULL, "%s", e.msg);
	ck_assert_int_eq(config_load(c, sc, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "t.ini:2: bad value 'forest' for [ab] control: the control also "
				"ranks the warm-up, before any model is trained; expected heuristic, "
				"popularity, random, oracle or a [ranker.NAME] of the scenario");
	scenario_free(sc);
	sc = scenario_parse(&config_schema, "[model]\nmax_leaves = 1\n", "t.ini", NULL, 0, &e);
	ck_assert_msg(sc != NULL, "%s", e.msg);
	ck_assert_int_eq(config_load(c, sc, &e), ERR_INPUT);
	ck_assert_str_eq(e.msg, "t.ini:2: value '1' out of range for [model] max_leaves: must be 0 "
				"(unlimited) or at least 2");
	scenario_free(sc);
	/* an exploring split would shuffle the truth world's target pages too */
	sc = scenario_parse(&config_schema, "[ab]\nexploration = 5%\n[logging]\nimpressions = true\n"
			    "[ope]\ntargets = popularity\n", "t.ini", NULL, 0, &e);
	ck_assert_msg(sc != NULL, "%s", e.msg);
	ck_assert_int_eq(config_load(c, sc, &e), ERR_INPUT);
	ck_assert_msg(strstr(e.msg, "t.ini:6: [ope] truth cannot be combined with [ab] exploration "
				    "(t.ini:2)"), "%s", e.msg);
	scenario_free(sc);
	free(c);
}
END_TEST

/* config_load of `text` ("t.ini"): 0, or the message (into msg). */
static int load_text(struct config *c, const char *text, const char *const *sets, size_t n,
		     char *msg, size_t cap)
{
	struct error e;
	struct scenario *sc = scenario_parse(&config_schema, text, "t.ini", sets, n, &e);
	int rc;

	ck_assert_msg(sc != NULL, "%s", e.msg);
	rc = config_load(c, sc, &e);
	snprintf(msg, cap, "%s", rc < 0 ? e.msg : "");
	scenario_free(sc);
	return rc;
}

/* [ab] arms and shares: both forms give n_arms and arm[]; two arms by
 * either form are the same arms, shares and labels. */
START_TEST(ab_arms_from_either_form)
{
	struct config *a = xmalloc(sizeof(*a)), *b = xmalloc(sizeof(*b));
	struct scenario *sc, *again;
	struct error e;
	char msg[1024], *dump = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(load_text(a, "[ab]\narms = heuristic, forest, popularity\n"
				   "shares = 50%, 30%, 20%\n", NULL, 0, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(a->ab.n_arms, 3);
	ck_assert_int_eq(a->ab.arm[0].scorer, RANK_HEURISTIC);
	ck_assert_int_eq(a->ab.arm[2].scorer, RANK_POPULARITY);
	ck_assert_double_eq(a->ab.arm[1].share, 0.3);
	ck_assert_double_eq(a->ab.arm[2].share, 0.2);
	ck_assert_str_eq(a->ab.arm[0].label, "control");
	ck_assert_str_eq(a->ab.arm[1].label, "forest");
	ck_assert_str_eq(a->ab.arm[2].name, "popularity");
	ck_assert_str_eq(a->ab.arm[2].label, "popularity");
	/* equal shares without the key; blanks around items do not matter */
	ck_assert_int_eq(load_text(a, "[ab]\narms =  random ,oracle,heuristic\n", NULL, 0, msg,
				   sizeof(msg)), 0);
	ck_assert_uint_eq(a->ab.n_arms, 3);
	ck_assert_int_eq(a->ab.arm[0].scorer, RANK_RANDOM);
	for (size_t i = 0; i < 3; i++)
		ck_assert_double_eq(a->ab.arm[i].share, 1.0 / 3);
	/* two arms: "control" and "treatment", whichever form */
	ck_assert_int_eq(load_text(a, "[ab]\ncontrol = popularity\ntreatment = oracle\n"
				   "treatment_share = 30%\n", NULL, 0, msg, sizeof(msg)), 0);
	ck_assert_int_eq(load_text(b, "[ab]\narms = popularity, oracle\nshares = 70%, 30%\n",
				   NULL, 0, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(b->ab.n_arms, 2);
	ck_assert(!memcmp(&a->ab.arm, &b->ab.arm, sizeof(a->ab.arm)));
	ck_assert_str_eq(b->ab.arm[1].label, "treatment");
	ck_assert_double_eq(b->ab.arm[1].share, 0.3);
	/* the defaults are two arms, heuristic and forest, 50/50; empty
	 * arms and shares are the defaults */
	config_defaults(a);
	ck_assert_uint_eq(a->ab.n_arms, 2);
	ck_assert_int_eq(a->ab.arm[1].scorer, RANK_FOREST);
	ck_assert_double_eq(a->ab.arm[1].share, 0.5);
	ck_assert_int_eq(load_text(b, "[ab]\narms =\nshares =\n", NULL, 0, msg, sizeof(msg)), 0);
	ck_assert(!memcmp(&a->ab.arm, &b->ab.arm, sizeof(a->ab.arm)));
	/* a resolved A/B/n scenario (airtime validate writes every key, the
	 * 2-arm ones at their defaults) reads back to the same arms */
	sc = scenario_parse(&config_schema, "[ab]\narms = heuristic, forest, popularity\n"
			    "shares = 50%, 30%, 20%\n", "t.ini", NULL, 0, &e);
	ck_assert_msg(sc != NULL, "%s", e.msg);
	f = open_memstream(&dump, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(scenario_dump(sc, f, &e), 0);
	fclose(f);
	again = scenario_parse(&config_schema, dump, "dump.ini", NULL, 0, &e);
	ck_assert_msg(again != NULL, "%s", e.msg);
	ck_assert_int_eq(config_load(a, sc, &e), 0);
	ck_assert_msg(config_load(b, again, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(b->ab.n_arms, 3);
	ck_assert(!memcmp(&a->ab.arm, &b->ab.arm, sizeof(a->ab.arm)));
	scenario_free(again);
	scenario_free(sc);
	free(dump);
	free(a);
	free(b);
}
END_TEST

/* Bad arms or shares: one clear FILE:LINE message each. */
START_TEST(ab_bad_arms_and_shares)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "[ab]\narms = heuristic, xgboost\n",
		  "t.ini:2: bad value 'heuristic, xgboost' for [ab] arms: unknown ranker 'xgboost': "
		  "expected one of forest, heuristic, popularity, random, oracle" },
		{ "[ab]\narms = heuristic, forest, forest\n",
		  "t.ini:2: bad value 'heuristic, forest, forest' for [ab] arms: ranker 'forest' is "
		  "both arm 2 and arm 3: each arm needs a ranker of its own" },
		{ "[ab]\narms = heuristic\n",
		  "t.ini:2: bad value 'heuristic' for [ab] arms: 1 arm: an experiment needs at least "
		  "2, the control first" },
		{ "[ab]\narms = heuristic, forest,\n",
		  "t.ini:2: bad value 'heuristic, forest,' for [ab] arms: arm 3 has no name: "
		  "expected rankers separated by commas, the control first" },
		{ "[ab]\narms = forest, heuristic\n",
		  "t.ini:2: bad value 'forest, heuristic' for [ab] arms: the control (the first arm) "
		  "also ranks the warm-up, before any model is trained; put heuristic, popularity, "
		  "random, oracle or a [ranker.NAME] of the scenario first" },
		{ "[ab]\narms = heuristic, forest, popularity\nshares = 50%, 25%, 20%\n",
		  "t.ini:3: bad value '50%, 25%, 20%' for [ab] shares: the shares sum to 95%, not "
		  "100%" },
		{ "[ab]\narms = heuristic, forest, popularity\nshares = 50%, 50%\n",
		  "t.ini:3: bad value '50%, 50%' for [ab] shares: 2 shares for 3 arms ([ab] arms, "
		  "t.ini:2): give one per arm" },
		{ "[ab]\narms = heuristic, forest\nshares = 50, 50\n",
		  "t.ini:3: bad value '50, 50' for [ab] shares: share 1 ('50') is not a percentage: "
		  "expected one per arm, e.g. 50%, 25%, 25%" },
		{ "[ab]\narms = heuristic, forest\nshares = 100%, 0%\n",
		  "t.ini:3: value '100%, 0%' out of range for [ab] shares: share 1 ('100%') must be "
		  "between 1% and 99%" },
		{ "[ab]\nshares = 50%, 50%\n",
		  "t.ini:2: [ab] shares needs [ab] arms: with control and treatment, write "
		  "treatment_share" },
		{ "[ab]\ncontrol = popularity\narms = heuristic, forest\ntreatment_share = 20%\n",
		  "t.ini:3: [ab] arms and [ab] control (t.ini:2), treatment_share (t.ini:4) both "
		  "given: write an experiment either as arms (and shares) or as control, treatment "
		  "and treatment_share" },
	};
	static const char *const set[] = { "ab.treatment=oracle" };
	struct config *c = xmalloc(sizeof(*c));
	char msg[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(load_text(c, cases[i].text, NULL, 0, msg, sizeof(msg)) == ERR_INPUT,
			      "%s loads", cases[i].text);
		ck_assert_str_eq(msg, cases[i].msg);
	}
	/* an override of the other form is named as such */
	ck_assert_int_eq(load_text(c, "[ab]\narms = heuristic, forest\n", set, 1, msg,
				   sizeof(msg)), ERR_INPUT);
	ck_assert_str_eq(msg, "t.ini:2: [ab] arms and [ab] treatment (--set ab.treatment=oracle) "
			      "both given: write an experiment either as arms (and shares) or as "
			      "control, treatment and treatment_share");
	free(c);
}
END_TEST

/* tests/golden/validate-default.txt is what `airtime validate
 * scenarios/default.ini` prints: scenario_dump, then one comment line with
 * the run's estimated peak memory (eval/budget.c, tested in test_budget). */
START_TEST(golden_validate_default)
{
	struct error e;
	struct scenario *sc = scenario_load(&config_schema, "scenarios/default.ini", NULL, 0, &e);
	char *want = slurp("tests/golden/validate-default.txt"), *got = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&got, &len);

	ck_assert_msg(sc != NULL, "%s", e.msg);
	ck_assert_msg(want != NULL, "cannot read tests/golden/validate-default.txt: run 'make golden'");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(scenario_dump(sc, f, &e), 0);
	fclose(f);
	ck_assert_msg(!strncmp(got, want, len) && !strncmp(want + len, "; estimated peak memory: ", 25) &&
		      strchr(want + len, '\n') && !strchr(want + len, '\n')[1],
		      "airtime validate scenarios/default.ini differs from "
		      "tests/golden/validate-default.txt; if the change is intended, run "
		      "'make golden' and commit the file.  Got:\n%.600s", got);
	free(got);
	free(want);
	scenario_free(sc);
}
END_TEST

START_TEST(readme_reference_in_sync)
{
	static const char begin[] = "<!-- BEGIN KEY REFERENCE -->\n", end[] = "<!-- END KEY REFERENCE -->";
	char *readme = slurp("scenarios/README.md"), *ref = NULL, *b, *en;
	size_t len = 0;
	FILE *f = open_memstream(&ref, &len);
	struct error e;

	ck_assert_ptr_nonnull(readme);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(scenario_reference_markdown(&config_schema, f, &e), 0);
	fclose(f);
	b = strstr(readme, begin);
	ck_assert_msg(b != NULL, "scenarios/README.md has no '%s' line", "<!-- BEGIN KEY REFERENCE -->");
	b += strlen(begin);
	en = strstr(b, end);
	ck_assert_msg(en != NULL, "scenarios/README.md has no '%s' line", end);
	*en = '\0';
	ck_assert_msg(!strcmp(b, ref),
		      "the key reference in scenarios/README.md is stale: run 'make reference' "
		      "and commit scenarios/README.md");
	free(ref);
	free(readme);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, every_row_fills_a_field);
	tcase_add_test(tc, every_key_reaches_its_field_and_only_it);
	tcase_add_test(tc, defaults_come_from_the_table_only);
	tcase_add_test(tc, defaults_round_trip_through_the_dump);
	tcase_add_test(tc, enums_follow_their_choices);
	tcase_add_test(tc, shared_keys_reach_every_module);
	tcase_add_test(tc, loader_rules_and_their_order);
	tcase_add_test(tc, ab_arms_from_either_form);
	tcase_add_test(tc, ab_bad_arms_and_shares);
	tcase_add_test(tc, golden_validate_default);
	tcase_add_test(tc, readme_reference_in_sync);
}

CHECK_MAIN("config", add_tests, 60)
