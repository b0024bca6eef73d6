/* The daily job's state machine; see workflow.h. */
#include "engine/workflow.h"

#include "common/rng.h"
#include "common/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum phase { PHASE_IDLE, PHASE_ATTEMPT, PHASE_RETRY_WAIT };

struct workflow {
	struct workflow_config cfg;
	struct workflow_ops ops;
	void *ctx;
	int next_day;            /* day of the next trigger */
	/* the run in progress */
	enum phase phase;
	int day;
	simtime data_end;
	int step, attempt;       /* attempt: 1-based */
	simtime phase_end;       /* attempt end or retry time */
	bool attempt_fails;
	enum workflow_error_kind attempt_kind;
	struct error attempt_err;
	uint64_t successes, alarms;
	simtime last_data_end;
};

static const char *const step_names[WORKFLOW_STEP_COUNT] = { "collect", "compute", "persist" };

const char *workflow_step_name(int step)
{
	return step >= 0 && step < WORKFLOW_STEP_COUNT ? step_names[step] : "run";
}

enum workflow_error_kind workflow_error_kind_of(int code)
{
	switch (code) {
	case ERR_IO: return WORKFLOW_ERR_IO;
	case ERR_DB: return WORKFLOW_ERR_DB;
	case ERR_CORRUPT:
	case ERR_INPUT: return WORKFLOW_ERR_DATA;
	case ERR_UNAVAILABLE: return WORKFLOW_ERR_INJECTED;
	default: return WORKFLOW_ERR_OTHER;
	}
}

const char *workflow_error_kind_name(enum workflow_error_kind kind)
{
	switch (kind) {
	case WORKFLOW_ERR_INJECTED: return "injected";
	case WORKFLOW_ERR_IO: return "io";
	case WORKFLOW_ERR_DB: return "db";
	case WORKFLOW_ERR_DATA: return "data";
	default: return "other";
	}
}

struct workflow *workflow_new(const struct workflow_config *cfg,
			      const struct workflow_ops *ops, void *ctx, struct error *err)
{
	struct workflow *wf;

	if (cfg->run_at < 0 || cfg->run_at >= SIMTIME_DAY || cfg->first_day < 0 ||
	    cfg->cost.startup < 0 || !(cfg->cost.scan_rate > 0) || !(cfg->cost.compute_rate > 0) ||
	    !(cfg->cost.write_rate > 0)) {
		error_set(err, ERR_INPUT, "bad workflow config: run_at in [0, 24h), rates > 0");
		return NULL;
	}
	for (int s = 0; s < WORKFLOW_STEP_COUNT; s++) {
		const struct workflow_retry *r = &cfg->retry[s];

		if (r->interval < 0 || r->max_attempts < 0 || !(r->backoff >= 1.0) ||
		    r->max_delay < 0 || !(r->jitter >= 0 && r->jitter <= 1) ||
		    !(cfg->fail_prob[s] >= 0 && cfg->fail_prob[s] <= 1)) {
			error_set(err, ERR_INPUT,
				  "bad retry rule for step '%s': interval >= 0, max_attempts >= 0, backoff >= 1, jitter and failure probability in [0, 1]",
				  step_names[s]);
			return NULL;
		}
	}
	wf = xcalloc(1, sizeof(*wf));
	wf->cfg = *cfg;
	wf->ops = *ops;
	wf->ctx = ctx;
	wf->next_day = cfg->first_day;
	wf->phase = PHASE_IDLE;
	wf->last_data_end = -1;
	return wf;
}

void workflow_free(struct workflow *wf)
{
	free(wf);
}

simtime workflow_step_duration(const struct workflow_cost *cost, enum workflow_step step,
			       const struct workflow_work *work)
{
	double s;

	switch (step) {
	case WORKFLOW_COLLECT: s = (double)work->events / cost->scan_rate; break;
	case WORKFLOW_COMPUTE: s = (double)work->events / cost->compute_rate; break;
	default: s = (double)work->rows / cost->write_rate; break;
	}
	return cost->startup + simtime_from_s(s);
}

simtime workflow_retry_delay(const struct workflow *wf, enum workflow_step step, int day, int n)
{
	const struct workflow_retry *r = &wf->cfg.retry[step];
	double d = (double)r->interval * pow(r->backoff, n);

	if (r->max_delay > 0 && d > (double)r->max_delay)
		d = (double)r->max_delay;
	if (r->jitter > 0) {
		struct rng g;

		rng_init(&g, wf->cfg.seed, RNG_ENGINE_BATCH, (uint64_t)day,
			 (uint64_t)step * 1000 + (uint64_t)n);
		d *= 1.0 - r->jitter * rng_uniform(&g);
	}
	return (simtime)llround(d);
}

static void report(struct workflow *wf, simtime t, int step, const char *from, const char *to,
		   const char *kind, const char *msg, simtime delay, bool alarm)
{
	struct workflow_transition tr = {
		.time = t, .day = wf->day, .step = step,
		.attempt = step >= 0 ? wf->attempt : 0,
		.from = from, .to = to, .error_kind = kind, .message = msg,
		.delay = delay, .alarm = alarm,
	};

	if (wf->ops.transition)
		wf->ops.transition(wf->ctx, &tr);
}

static bool injected(const struct workflow *wf)
{
	const struct workflow_config *c = &wf->cfg;
	struct rng g;

	if ((int)wf->step == (int)c->fail_step && c->fail_day_from >= 0 &&
	    wf->day >= c->fail_day_from && wf->day <= c->fail_day_to)
		return true;
	if (c->fail_prob[wf->step] <= 0)
		return false;
	/* its own stream per (day, step, attempt): failures do not depend on
	 * how many draws the jitter made */
	rng_init(&g, c->seed, RNG_ENGINE_BATCH, (uint64_t)wf->day,
		 1000000 + (uint64_t)wf->step * 1000 + (uint64_t)wf->attempt);
	return rng_uniform(&g) < c->fail_prob[wf->step];
}

static void attempt_start(struct workflow *wf, simtime now, const char *from)
{
	struct workflow_work work = { 0, 0 };
	int rc;

	report(wf, now, wf->step, from, "running", NULL, NULL, 0, false);
	wf->phase = PHASE_ATTEMPT;
	error_clear(&wf->attempt_err);
	rc = wf->ops.begin(wf->ctx, (enum workflow_step)wf->step, wf->day, wf->data_end, now,
			   &work, &wf->attempt_err);
	if (rc) {
		wf->attempt_fails = true;
		wf->attempt_kind = workflow_error_kind_of(rc);
		wf->phase_end = now + wf->cfg.cost.startup;
		return;
	}
	wf->phase_end = now + workflow_step_duration(&wf->cfg.cost, (enum workflow_step)wf->step, &work);
	wf->attempt_fails = injected(wf);
	if (wf->attempt_fails) {
		wf->attempt_kind = WORKFLOW_ERR_INJECTED;
		error_set(&wf->attempt_err, ERR_UNAVAILABLE, "injected failure of step '%s' on day %d",
			  step_names[wf->step], wf->day);
	}
}

static void attempt_end(struct workflow *wf, simtime now)
{
	const struct workflow_retry *r = &wf->cfg.retry[wf->step];
	const char *kind;

	if (!wf->attempt_fails) {
		int rc = wf->ops.finish ? wf->ops.finish(wf->ctx, (enum workflow_step)wf->step, wf->day,
							wf->data_end, now, &wf->attempt_err)
					: 0;

		if (rc) {
			wf->attempt_fails = true;
			wf->attempt_kind = workflow_error_kind_of(rc);
		}
	}
	if (!wf->attempt_fails) {
		report(wf, now, wf->step, "running", "succeeded", NULL, NULL, 0, false);
		if (wf->step + 1 < WORKFLOW_STEP_COUNT) {
			wf->step++;
			wf->attempt = 1;
			attempt_start(wf, now, "pending");
			return;
		}
		wf->phase = PHASE_IDLE;
		wf->successes++;
		wf->last_data_end = wf->data_end;
		report(wf, now, -1, "running", "succeeded", NULL, NULL, 0, false);
		return;
	}
	kind = workflow_error_kind_name(wf->attempt_kind);
	report(wf, now, wf->step, "running", "failed", kind, wf->attempt_err.msg, 0, false);
	if ((wf->attempt_kind & r->errors) && wf->attempt - 1 < r->max_attempts) {
		simtime d = workflow_retry_delay(wf, (enum workflow_step)wf->step, wf->day,
						 wf->attempt - 1);

		report(wf, now, wf->step, "failed", "retry_wait", kind, NULL, d, false);
		wf->phase = PHASE_RETRY_WAIT;
		wf->phase_end = now + d;
		return;
	}
	/* the catch: nothing persisted, yesterday's features stay, alarm */
	report(wf, now, wf->step, "failed", "caught", kind, wf->attempt_err.msg, 0, true);
	report(wf, now, -1, "running", "caught", kind, wf->attempt_err.msg, 0, true);
	wf->phase = PHASE_IDLE;
	wf->alarms++;
}

static simtime trigger_time(const struct workflow *wf)
{
	return (simtime)wf->next_day * SIMTIME_DAY + wf->cfg.run_at;
}

simtime workflow_next_time(const struct workflow *wf)
{
	simtime t = trigger_time(wf);

	if (wf->phase != PHASE_IDLE && wf->phase_end < t)
		t = wf->phase_end;
	return t;
}

void workflow_advance(struct workflow *wf, simtime now)
{
	for (;;) {
		simtime trig = trigger_time(wf);

		/* a step ending at the trigger instant completes first */
		if (wf->phase != PHASE_IDLE && wf->phase_end <= now && wf->phase_end <= trig) {
			simtime t = wf->phase_end;

			if (wf->phase == PHASE_ATTEMPT) {
				attempt_end(wf, t);
			} else {
				wf->attempt++;
				attempt_start(wf, t, "retry_wait");
			}
			continue;
		}
		if (trig > now)
			break;
		if (wf->phase != PHASE_IDLE) {
			int day = wf->day;

			wf->day = wf->next_day;
			report(wf, trig, -1, "idle", "skipped", NULL, "previous run still in progress", 0, false);
			wf->day = day;
			wf->next_day++;
			continue;
		}
		wf->day = wf->next_day++;
		wf->data_end = trig;
		wf->step = WORKFLOW_COLLECT;
		wf->attempt = 1;
		report(wf, trig, -1, "idle", "running", NULL, NULL, 0, false);
		attempt_start(wf, trig, "pending");
	}
}

uint64_t workflow_successes(const struct workflow *wf) { return wf->successes; }
uint64_t workflow_alarms(const struct workflow *wf) { return wf->alarms; }
simtime workflow_last_success_data_end(const struct workflow *wf) { return wf->last_data_end; }
bool workflow_running(const struct workflow *wf) { return wf->phase != PHASE_IDLE; }

static int parse_errors(const char *s, unsigned *mask)
{
	static const struct { const char *name; unsigned bits; } kinds[] = {
		{ "injected", WORKFLOW_ERR_INJECTED }, { "io", WORKFLOW_ERR_IO },
		{ "db", WORKFLOW_ERR_DB }, { "data", WORKFLOW_ERR_DATA },
		{ "other", WORKFLOW_ERR_OTHER }, { "all", WORKFLOW_ERR_ALL }, { "none", 0 },
	};

	*mask = 0;
	while (*s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s), i;

		while (len && *s == ' ') {
			s++;
			len--;
		}
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strlen(kinds[i].name) == len && !strncmp(s, kinds[i].name, len))
				break;
		if (i == sizeof(kinds) / sizeof(kinds[0]))
			return -1;
		*mask |= kinds[i].bits;
		if (!comma)
			break;
		s = comma + 1;
	}
	return 0;
}

/* "" -> none; "N" -> N..N; "N..M" with 0 <= N <= M. */
static int parse_days(const char *s, int *from, int *to)
{
	char *end;
	long a, b;

	*from = *to = -1;
	if (!*s)
		return 0;
	errno = 0;
	a = strtol(s, &end, 10);
	if (errno || end == s || a < 0 || a > 100000)
		return -1;
	if (!*end) {
		*from = *to = (int)a;
		return 0;
	}
	if (strncmp(end, "..", 2) != 0)
		return -1;
	s = end + 2;
	b = strtol(s, &end, 10);
	if (errno || end == s || *end || b < a || b > 100000)
		return -1;
	*from = (int)a;
	*to = (int)b;
	return 0;
}

int workflow_config_check(struct workflow_config *cfg, const struct scenario *sc,
			  struct error *err)
{
	char at[SCENARIO_WHERE_MAX];

	if (parse_errors(cfg->retry_errors, &cfg->retry[0].errors))
		return error_set(err, ERR_INPUT,
				 "%s: bad value '%s' for [batch] retry_errors: expected a comma list of injected, io, db, data, other, or all, or none",
				 scenario_where(sc, "batch", "retry_errors", at, sizeof(at)),
				 cfg->retry_errors);
	for (int i = 1; i < WORKFLOW_STEP_COUNT; i++)
		cfg->retry[i] = cfg->retry[0];
	if (parse_days(cfg->fail_days, &cfg->fail_day_from, &cfg->fail_day_to))
		return error_set(err, ERR_INPUT,
				 "%s: bad value '%s' for [batch] fail_days: expected N or N..M with 0 <= N <= M <= 100000, or empty",
				 scenario_where(sc, "batch", "fail_days", at, sizeof(at)), cfg->fail_days);
	return 0;
}
