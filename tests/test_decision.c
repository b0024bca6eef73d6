/* Tests for stats/decision.c: parsing [ab] primary and guardrails (bad
 * input named), and every rule of the verdict on hand-made analyses. */
#include "stats/decision.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/check_main.h"

/* An analysis of one treatment arm with rows of the given relative lifts
 * and intervals (in %); srm: the sample-ratio check failed. */
struct fake_row {
	const char *name;
	double rel, lo, hi;
};

static void fake(struct abtest *a, const struct fake_row *rows, size_t n, bool srm)
{
	memset(a, 0, sizeof(*a));
	a->alpha = 0.05;
	a->srm_flagged = srm;
	a->srm_p = srm ? 1e-6 : 0.5;
	a->n_arms = 1;
	snprintf(a->arms[0].name, sizeof(a->arms[0].name), "treatment");
	a->arms[0].n_rows = n;
	for (size_t i = 0; i < n; i++) {
		struct abtest_row *r = &a->arms[0].rows[i];

		snprintf(r->name, sizeof(r->name), "%s", rows[i].name);
		r->estimable = !isnan(rows[i].rel);
		r->lift.rel = rows[i].rel / 100;
		r->lift.rel_lo = rows[i].lo / 100;
		r->lift.rel_hi = rows[i].hi / 100;
	}
}

static void spec(struct decision_spec *s, const char *guardrails)
{
	struct error e;

	ck_assert_msg(decision_spec_parse(s, "engagement_actions", guardrails, true, &e) == 0, "%s",
		      e.msg);
}

START_TEST(specs_parse)
{
	struct decision_spec s;
	struct error e;

	ck_assert_int_eq(decision_spec_parse(&s, " likes ", " sessions:2% ,notify_enables: 5%,",
					     true, &e), 0);
	ck_assert_str_eq(s.primary, "likes");
	ck_assert_uint_eq(s.n_guardrails, 2);
	ck_assert_str_eq(s.guardrails[0].metric, "sessions");
	ck_assert_double_eq_tol(s.guardrails[0].max_loss, 0.02, 1e-12);
	ck_assert_str_eq(s.guardrails[1].metric, "notify_enables");
	ck_assert_double_eq_tol(s.guardrails[1].max_loss, 0.05, 1e-12);
	ck_assert_int_eq(decision_spec_parse(&s, "home_click_through", "", true, &e), 0);
	ck_assert_uint_eq(s.n_guardrails, 0);
	ck_assert(decision_metric_known("median_listening_minutes"));
	/* a stored run's report takes any name */
	ck_assert_int_eq(decision_spec_parse(&s, "retention_d7", "diversity:1%", false, &e), 0);
	ck_assert_int_eq(decision_spec_parse(&s, "retention_d7", "", true, &e), ERR_INPUT);
	ck_assert(!decision_metric_known("engagement"));
}
END_TEST

START_TEST(bad_specs_are_named)
{
	static const struct {
		const char *primary, *guardrails, *msg;
	} cases[] = {
		{ "", "", "the primary metric names no metric" },
		{ "clicks", "", "unknown metric 'clicks' in the primary metric" },
		{ "likes", "sessions", "guardrail 'sessions' needs its tolerated loss" },
		{ "likes", "sessions:2%, bogus:1%", "unknown metric 'bogus' in the guardrails" },
		{ "likes", "sessions:two", "bad tolerated loss 'two' for guardrail 'sessions'" },
		{ "likes", "sessions:-2%", "bad tolerated loss '-2%' for guardrail 'sessions'" },
		{ "likes", "sessions:100%", "bad tolerated loss '100%' for guardrail 'sessions'" },
		{ "likes", "sessions:1%,,follows:1%", "empty guardrail in the list" },
		{ "likes", "likes:1%", "'likes' is the primary metric and a guardrail" },
		{ "likes", "sessions:1%, sessions:2%", "guardrail 'sessions' given twice" },
		{ "likes", ":1%", "the guardrails names no metric" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct decision_spec s;
		struct error e;

		error_clear(&e);
		ck_assert_int_eq(decision_spec_parse(&s, cases[i].primary, cases[i].guardrails, true,
						     &e),
				 ERR_INPUT);
		ck_assert_msg(!strncmp(e.msg, cases[i].msg, strlen(cases[i].msg)),
			      "case %zu: '%s' does not start with '%s'", i, e.msg, cases[i].msg);
	}
}
END_TEST

/* The default run's shape: primary up, notify_enables down beyond its
 * tolerance: don't ship, naming the guardrail. */
START_TEST(a_harmed_guardrail_means_dont_ship)
{
	static const struct fake_row rows[] = {
		{ "engagement_actions", 19.5, 16.0, 22.9 },
		{ "notify_enables", -18.8, -20.8, -16.8 },
		{ "sessions", -2.1, -4.9, 0.6 },
	};
	struct decision_spec s;
	struct abtest a;
	struct decision d;

	spec(&s, "sessions:2%, notify_enables:5%");
	fake(&a, rows, 3, false);
	decision_make(&s, &a, 0, &d);
	ck_assert_int_eq(d.verdict, DECISION_DONT_SHIP);
	ck_assert_str_eq(d.reason, "guardrail notify_enables is harmed: -18.8 % [-20.8, -16.8], "
			 "worse than the 5 % loss it tolerates");
	ck_assert_int_eq(d.primary.state, DECISION_HELD);
	ck_assert_int_eq(d.guardrails[0].state, DECISION_UNCLEAR);
	ck_assert_int_eq(d.guardrails[1].state, DECISION_HARM);
	ck_assert_str_eq(decision_verdict_name(d.verdict), "don't ship");
}
END_TEST

START_TEST(ship_needs_the_primary_up_and_every_guardrail_held)
{
	static const struct fake_row up[] = {
		{ "engagement_actions", 5, 1, 9 },
		{ "sessions", -0.5, -1.5, 0.5 },
	};
	static const struct fake_row unclear[] = {
		{ "engagement_actions", 5, 1, 9 },
		{ "sessions", -0.5, -2.5, 1.5 },
	};
	struct decision_spec s;
	struct abtest a;
	struct decision d;

	spec(&s, "sessions:2%");
	fake(&a, up, 2, false);
	decision_make(&s, &a, 0, &d);
	ck_assert_int_eq(d.verdict, DECISION_SHIP);
	ck_assert_str_eq(d.reason, "engagement_actions is up +5.0 % [+1.0, +9.0] and every "
			 "guardrail held");
	fake(&a, unclear, 2, false);
	decision_make(&s, &a, 0, &d);
	ck_assert_int_eq(d.verdict, DECISION_INCONCLUSIVE);
	ck_assert_str_eq(d.reason, "engagement_actions is up +5.0 % [+1.0, +9.0], but guardrail "
			 "sessions (-0.5 % [-2.5, +1.5]) cannot yet rule out a loss beyond the 2 % "
			 "it tolerates");
	/* a guardrail the analysis does not hold */
	fake(&a, up, 1, false);
	decision_make(&s, &a, 0, &d);
	ck_assert_int_eq(d.verdict, DECISION_INCONCLUSIVE);
	ck_assert_int_eq(d.guardrails[0].state, DECISION_MISSING);
	ck_assert_ptr_nonnull(strstr(d.reason, "guardrail sessions has no estimable lift"));
	/* no guardrails at all */
	spec(&s, "");
	decision_make(&s, &a, 0, &d);
	ck_assert_int_eq(d.verdict, DECISION_SHIP);
	ck_assert_ptr_nonnull(strstr(d.reason, "no guardrail is declared"));
}
END_TEST

START_TEST(primary_down_flat_or_missing)
{
	static const struct fake_row down[] = { { "engagement_actions", -4, -7, -1 } };
	static const struct fake_row flat[] = { { "engagement_actions", 1, -2, 4 } };
	static const struct fake_row none[] = { { "engagement_actions", NAN, NAN, NAN } };
	struct decision_spec s;
	struct abtest a;
	struct decision d;

	spec(&s, "");
	fake(&a, down, 1, false);
	decision_make(&s, &a, 0, &d);
	ck_assert_int_eq(d.verdict, DECISION_DONT_SHIP);
	ck_assert_str_eq(d.reason, "the primary metric engagement_actions went down: -4.0 % "
			 "[-7.0, -1.0]");
	fake(&a, flat, 1, false);
	decision_make(&s, &a, 0, &d);
	ck_assert_int_eq(d.verdict, DECISION_INCONCLUSIVE);
	ck_assert_ptr_nonnull(strstr(d.reason, "an interval that holds 0"));
	fake(&a, none, 1, false);
	decision_make(&s, &a, 0, &d);
	ck_assert_int_eq(d.verdict, DECISION_INCONCLUSIVE);
	ck_assert_ptr_nonnull(strstr(d.reason, "has no estimable lift"));
}
END_TEST

/* A failed sample-ratio check overrides everything, even a clear win. */
START_TEST(a_sample_ratio_mismatch_is_inconclusive)
{
	static const struct fake_row up[] = { { "engagement_actions", 5, 1, 9 } };
	struct decision_spec s;
	struct abtest a;
	struct decision d;

	spec(&s, "");
	fake(&a, up, 1, true);
	decision_make(&s, &a, 0, &d);
	ck_assert_int_eq(d.verdict, DECISION_INCONCLUSIVE);
	ck_assert_ptr_nonnull(strstr(d.reason, "the sample-ratio check failed"));
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, specs_parse);
	tcase_add_test(tc, bad_specs_are_named);
	tcase_add_test(tc, a_harmed_guardrail_means_dont_ship);
	tcase_add_test(tc, ship_needs_the_primary_up_and_every_guardrail_held);
	tcase_add_test(tc, primary_down_flat_or_missing);
	tcase_add_test(tc, a_sample_ratio_mismatch_is_inconclusive);
}

CHECK_MAIN("decision", add_tests, 30)
