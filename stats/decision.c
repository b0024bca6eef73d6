/* The ship decision: primary metric and guardrails; see decision.h. */
#include "stats/decision.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/units.h"
#include "stats/metrics.h"

/* Rows of the A/B table that are not per-user metrics of their own
 * (stats/abtest.c names them). */
static const char *const derived_rows[] = { "home_click_through", "median_listening_minutes" };

bool decision_metric_known(const char *name)
{
	for (int i = 0; i < METRIC_COUNT; i++)
		if (!strcmp(metrics_name((enum metrics_id)i), name))
			return true;
	for (size_t i = 0; i < sizeof(derived_rows) / sizeof(derived_rows[0]); i++)
		if (!strcmp(derived_rows[i], name))
			return true;
	return false;
}

/* Copy s[0..n) without surrounding blanks into out (size cap). */
static void trimmed(const char *s, size_t n, char *out, size_t cap)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

static int metric_name(const char *name, const char *what, bool known_only, struct error *err)
{
	if (!*name)
		return error_set(err, ERR_INPUT, "%s names no metric", what);
	if (known_only && !decision_metric_known(name))
		return error_set(err, ERR_INPUT, "unknown metric '%s' in %s (expected a row of the "
				 "A/B table: engagement_actions, likes, follows, notify_enables, "
				 "listening_minutes, tune_ins, sessions, home_click_through, ...)",
				 name, what);
	return 0;
}

static int parse_guardrail(struct decision_spec *s, const char *item, size_t n, bool known_only,
			   struct error *err)
{
	char text[128], loss[64];
	const char *colon = memchr(item, ':', n);
	struct decision_guardrail *g;
	int rc;

	trimmed(item, n, text, sizeof(text));
	if (!*text)
		return error_set(err, ERR_INPUT, "empty guardrail in the list");
	if (!colon)
		return error_set(err, ERR_INPUT, "guardrail '%s' needs its tolerated loss: "
				 "METRIC:LOSS, e.g. %s:2%%", text, text);
	if (s->n_guardrails == DECISION_GUARDRAILS_MAX)
		return error_set(err, ERR_INPUT, "more than %d guardrails", DECISION_GUARDRAILS_MAX);
	g = &s->guardrails[s->n_guardrails];
	trimmed(item, (size_t)(colon - item), g->metric, sizeof(g->metric));
	if ((rc = metric_name(g->metric, "the guardrails", known_only, err)) < 0)
		return rc;
	if (!strcmp(g->metric, s->primary))
		return error_set(err, ERR_INPUT, "'%s' is the primary metric and a guardrail",
				 g->metric);
	for (size_t i = 0; i < s->n_guardrails; i++)
		if (!strcmp(s->guardrails[i].metric, g->metric))
			return error_set(err, ERR_INPUT, "guardrail '%s' given twice", g->metric);
	trimmed(colon + 1, n - (size_t)(colon + 1 - item), loss, sizeof(loss));
	if (units_parse_percent(loss, &g->max_loss, err) < 0 || !(g->max_loss >= 0) ||
	    g->max_loss >= 1)
		return error_set(err, ERR_INPUT, "bad tolerated loss '%s' for guardrail '%s': "
				 "expected a percentage from 0%% to below 100%%, e.g. 2%%", loss,
				 g->metric);
	s->n_guardrails++;
	return 0;
}

int decision_spec_parse(struct decision_spec *s, const char *primary, const char *guardrails,
			bool known_only, struct error *err)
{
	const char *p = guardrails;
	int rc;

	memset(s, 0, sizeof(*s));
	trimmed(primary, strlen(primary), s->primary, sizeof(s->primary));
	if ((rc = metric_name(s->primary, "the primary metric", known_only, err)) < 0)
		return rc;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char probe[8];

		trimmed(p, n, probe, sizeof(probe));
		if (*probe || comma)
			if ((rc = parse_guardrail(s, p, n, known_only, err)) < 0)
				return rc;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static void take(struct decision_metric *d, const struct abtest_arm *arm, const char *name)
{
	const struct abtest_row *r = abtest_find(arm, name);
	const struct stats_lift *l = r ? abtest_tested(r) : NULL;

	snprintf(d->metric, sizeof(d->metric), "%s", name);
	d->rel = d->rel_lo = d->rel_hi = NAN;
	d->state = DECISION_MISSING;
	if (!r || !r->estimable || !isfinite(l->rel_lo) || !isfinite(l->rel_hi))
		return;
	d->rel = l->rel;
	d->rel_lo = l->rel_lo;
	d->rel_hi = l->rel_hi;
	d->state = DECISION_UNCLEAR;
}

/* "-18.8 % [-20.8, -16.8]" */
static void lift_text(const struct decision_metric *m, char *buf, size_t n)
{
	snprintf(buf, n, "%+.1f %% [%+.1f, %+.1f]", 100 * m->rel, 100 * m->rel_lo,
		 100 * m->rel_hi);
}

void decision_make(const struct decision_spec *s, const struct abtest *a, size_t arm,
		   struct decision *out)
{
	const struct abtest_arm *ar = &a->arms[arm];
	const struct decision_metric *harm = NULL, *unclear = NULL;
	struct decision_metric *p = &out->primary;
	char lift[64];

	memset(out, 0, sizeof(*out));
	take(p, ar, s->primary);
	if (p->state != DECISION_MISSING)
		p->state = p->rel_lo > 0 ? DECISION_HELD : p->rel_hi < 0 ? DECISION_HARM
									  : DECISION_UNCLEAR;
	out->n_guardrails = s->n_guardrails;
	for (size_t i = 0; i < s->n_guardrails; i++) {
		struct decision_metric *g = &out->guardrails[i];

		take(g, ar, s->guardrails[i].metric);
		g->max_loss = s->guardrails[i].max_loss;
		if (g->state == DECISION_MISSING) {
			if (!unclear)
				unclear = g;
			continue;
		}
		g->state = g->rel_hi < -g->max_loss ? DECISION_HARM :
			   g->rel_lo > -g->max_loss ? DECISION_HELD : DECISION_UNCLEAR;
		if (g->state == DECISION_HARM && !harm)
			harm = g;
		/* A missing guardrail was noted first; else the first unclear. */
		if (g->state == DECISION_UNCLEAR && !unclear)
			unclear = g;
	}
	out->verdict = DECISION_INCONCLUSIVE;
	if (a->srm_flagged) {
		snprintf(out->reason, sizeof(out->reason), "the sample-ratio check failed "
			 "(p = %.2g): the assignment is suspect, so no lift can be trusted",
			 a->srm_p);
		return;
	}
	if (harm) {
		out->verdict = DECISION_DONT_SHIP;
		lift_text(harm, lift, sizeof(lift));
		snprintf(out->reason, sizeof(out->reason), "guardrail %s is harmed: %s, worse than "
			 "the %.4g %% loss it tolerates", harm->metric, lift, 100 * harm->max_loss);
		return;
	}
	if (p->state == DECISION_MISSING) {
		snprintf(out->reason, sizeof(out->reason), "the primary metric %s has no estimable "
			 "lift", p->metric);
		return;
	}
	lift_text(p, lift, sizeof(lift));
	if (p->state == DECISION_HARM) {
		out->verdict = DECISION_DONT_SHIP;
		snprintf(out->reason, sizeof(out->reason), "the primary metric %s went down: %s",
			 p->metric, lift);
		return;
	}
	if (p->state == DECISION_UNCLEAR) {
		snprintf(out->reason, sizeof(out->reason), "the primary metric %s moved %s, an "
			 "interval that holds 0: no detectable effect", p->metric, lift);
		return;
	}
	if (unclear) {
		char gl[64];

		if (unclear->state == DECISION_MISSING) {
			snprintf(out->reason, sizeof(out->reason), "%s is up %s, but guardrail %s "
				 "has no estimable lift", p->metric, lift, unclear->metric);
			return;
		}
		lift_text(unclear, gl, sizeof(gl));
		snprintf(out->reason, sizeof(out->reason), "%s is up %s, but guardrail %s (%s) "
			 "cannot yet rule out a loss beyond the %.4g %% it tolerates", p->metric,
			 lift, unclear->metric, gl, 100 * unclear->max_loss);
		return;
	}
	out->verdict = DECISION_SHIP;
	snprintf(out->reason, sizeof(out->reason), "%s is up %s and %s", p->metric, lift,
		 s->n_guardrails ? "every guardrail held" : "no guardrail is declared");
}

const char *decision_verdict_name(enum decision_verdict v)
{
	switch (v) {
	case DECISION_SHIP: return "ship";
	case DECISION_DONT_SHIP: return "don't ship";
	case DECISION_INCONCLUSIVE: return "inconclusive";
	}
	return "?";
}

const char *decision_state_name(enum decision_state s)
{
	switch (s) {
	case DECISION_HELD: return "held";
	case DECISION_HARM: return "harm";
	case DECISION_UNCLEAR: return "unclear";
	case DECISION_MISSING: return "missing";
	}
	return "?";
}
