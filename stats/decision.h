#ifndef AIRTIME_DECISION_H
#define AIRTIME_DECISION_H
/*
 * The ship decision of an A/B experiment: one primary metric and a few
 * guardrails, each with the largest relative loss it tolerates, decided
 * per treatment arm from the analysis (stats/abtest).
 *
 * The spec comes from the scenario's [ab] primary and [ab] guardrails:
 *     primary = engagement_actions
 *     guardrails = sessions:2%, notify_enables:5%
 * (metric names as the A/B table prints them; "METRIC:LOSS" with LOSS a
 * percentage, the relative drop the metric may take; every metric is one
 * where more is better).  An empty guardrails list has none.
 *
 * Rules, on the 95 % intervals of the relative lifts, each from its row's
 * own test (abtest_tested: CUPED for the split's mean metrics, as the A/B
 * table prints them), not adjusted for multiplicity (the primary and the
 * guardrails are declared in advance):
 *   guardrail  harm     the whole interval lies below -LOSS
 *              held     the whole interval lies above -LOSS
 *              unclear  the interval holds -LOSS (cannot tell yet)
 *              missing  the analysis has no estimable row of that name
 *   verdict    inconclusive  the sample-ratio check failed (the split is
 *                            suspect: nothing below can be trusted)
 *              don't ship    a guardrail is harmed, or the primary went
 *                            down (interval wholly below 0)
 *              ship          the primary went up (interval wholly above 0)
 *                            and every guardrail held
 *              inconclusive  otherwise: the primary's interval holds 0, or
 *                            it went up but a guardrail is unclear or missing
 * with a one-line reason naming the metric that decided.
 */
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "stats/abtest.h"

#define DECISION_GUARDRAILS_MAX 8

struct decision_guardrail {
	char metric[48];
	double max_loss;          /* tolerated relative drop: 0.02 = 2 % */
};

struct decision_spec {
	char primary[48];
	size_t n_guardrails;
	struct decision_guardrail guardrails[DECISION_GUARDRAILS_MAX];
};

enum decision_verdict { DECISION_SHIP, DECISION_DONT_SHIP, DECISION_INCONCLUSIVE };
enum decision_state { DECISION_HELD, DECISION_HARM, DECISION_UNCLEAR, DECISION_MISSING };

/* One metric's place in a decision: its relative lift and interval (NaN
 * when missing) and, for a guardrail, its state. */
struct decision_metric {
	char metric[48];
	double max_loss;          /* guardrails only */
	enum decision_state state;
	double rel, rel_lo, rel_hi;
};

struct decision {
	enum decision_verdict verdict;
	char reason[512];         /* one line: why */
	struct decision_metric primary;   /* state: HELD up, HARM down, UNCLEAR, MISSING */
	size_t n_guardrails;
	struct decision_metric guardrails[DECISION_GUARDRAILS_MAX];
};

/* Parse [ab] primary and guardrails into s.  ERR_INPUT with a message
 * naming the bad part (the caller prefixes where it came from): with
 * known_only an unknown metric (decision_metric_known; a report of a stored
 * run takes any name and finds it missing if the analysis lacks it), a bad
 * or negative LOSS, a missing ':', too many guardrails, a guardrail named
 * twice or the primary as one. */
int decision_spec_parse(struct decision_spec *s, const char *primary, const char *guardrails,
			bool known_only, struct error *err);

/* Is `name` a metric the A/B analysis reports (a row of the A/B table)? */
bool decision_metric_known(const char *name);

/* Decide for treatment arm `arm` of analysis a (see the rules above). */
void decision_make(const struct decision_spec *s, const struct abtest *a, size_t arm,
		   struct decision *out);

/* "ship", "don't ship", "inconclusive"; "held", "harm", "unclear", "missing". */
const char *decision_verdict_name(enum decision_verdict v);
const char *decision_state_name(enum decision_state s);

#endif
