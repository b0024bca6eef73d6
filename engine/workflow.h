#ifndef AIRTIME_WORKFLOW_H
#define AIRTIME_WORKFLOW_H
/*
 * The daily batch job as a small state machine, in the manner of a managed
 * workflow service: a schedule triggers a run every day at `run_at` (UTC);
 * a run executes the steps collect -> compute -> persist in order; each
 * step attempt takes a simulated duration from a cost model of its work;
 * a failed attempt is retried per the step's retry rule, and when retries
 * are exhausted (or the error is not retryable) the catch ends the run:
 * nothing is persisted (yesterday's features stay online) and an alarm is
 * raised.
 *
 * Retry rule (per step): an attempt failing with an error kind in `errors`
 * is retried after interval * backoff^n (n = 0 for the first retry), capped
 * at max_delay when > 0, then scaled by (1 - jitter * U) with U uniform in
 * [0, 1) from the stream (seed, RNG_ENGINE_BATCH, day, step * 1000 +
 * retry); jitter = 0 gives exact delays, jitter = 1 "full jitter".  At
 * most max_attempts retries follow the first attempt.
 *
 * The real work runs through the owner's ops: begin() at an attempt's start
 * does the work and reports its size (the duration is the cost model of
 * that size); finish() at the attempt's end commits it (persist writes the
 * feature store then, with write_time = that instant).  Injected failures
 * ([batch] fail_collect/compute/persist, fail_days) make an attempt fail at its end without
 * calling finish.  Every state change is reported through ops.transition.
 *
 * Passive: the owner calls workflow_advance(now) at workflow_next_time().
 * A trigger that fires while the previous run is still going is skipped
 * (reported as a transition).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/scenario.h"
#include "common/simtime.h"

struct workflow;

/* Values are the indexes of [batch] fail_step's choices
 * ("collect|compute|persist"): keep both in the same order. */
enum workflow_step {
	WORKFLOW_COLLECT,
	WORKFLOW_COMPUTE,
	WORKFLOW_PERSIST,
	WORKFLOW_STEP_COUNT
};

/* Error kinds (bit flags for retry rules). */
enum workflow_error_kind {
	WORKFLOW_ERR_INJECTED = 1,   /* a fault injected by the scenario */
	WORKFLOW_ERR_IO = 2,         /* ERR_IO: lake files, disks */
	WORKFLOW_ERR_DB = 4,         /* ERR_DB: the feature store */
	WORKFLOW_ERR_DATA = 8,       /* ERR_CORRUPT / ERR_INPUT: bad data, not transient */
	WORKFLOW_ERR_OTHER = 16,
	WORKFLOW_ERR_ALL = 31,
};

struct workflow_retry {
	unsigned errors;        /* kinds retried (WORKFLOW_ERR_* mask) */
	simtime interval;       /* delay before the first retry */
	int max_attempts;       /* retries after the first attempt (0 = none) */
	double backoff;         /* delay multiplier per retry (>= 1) */
	simtime max_delay;      /* cap on a delay; 0 = none */
	double jitter;          /* 0..1, see above */
};

struct workflow_cost {
	simtime startup;        /* fixed cost of every attempt */
	double scan_rate;       /* collect: events per second */
	double compute_rate;    /* compute: events per second */
	double write_rate;      /* persist: rows per second */
};

/*
 * From [batch], by config_load (config/config.h, which also holds the
 * defaults): run_at, cost (cost_*), fail_prob (fail_collect, fail_compute,
 * fail_persist), fail_step, and one retry rule for every step: the keys
 * retry_* fill the collect step's and workflow_config_check copies it to
 * the others, with errors parsed from retry_errors; fail_day_from/to come
 * from fail_days; seed from [run] seed.
 */
struct workflow_config {
	simtime run_at;                 /* time of day of the trigger */
	int first_day;                  /* first day (since simtime 0) with a run */
	struct workflow_retry retry[WORKFLOW_STEP_COUNT];
	struct workflow_cost cost;
	double fail_prob[WORKFLOW_STEP_COUNT];  /* per-attempt injected failure */
	int fail_day_from, fail_day_to;  /* every attempt of fail_step fails on these days (-1: none) */
	enum workflow_step fail_step;
	uint64_t seed;                   /* master seed (jitter, injected failures) */
	char retry_errors[SCENARIO_TEXT_MAX]; /* [batch] retry_errors as written */
	char fail_days[SCENARIO_TEXT_MAX];    /* [batch] fail_days as written: "", "N", "N..M" */
};

/* Work measured by a step's begin(). */
struct workflow_work {
	uint64_t events;        /* events scanned or aggregated */
	uint64_t rows;          /* feature rows produced or written */
};

/* One state change.  step = -1 for run-level changes.  States: "idle",
 * "pending", "running", "retry_wait", "succeeded", "failed", "caught",
 * "skipped".  Strings are static. */
struct workflow_transition {
	simtime time;
	int day;
	int step;
	int attempt;            /* 1-based; 0 for run-level changes */
	const char *from, *to;
	const char *error_kind; /* "injected", "io", ... or NULL */
	const char *message;    /* error message or NULL (borrowed) */
	simtime delay;          /* retry_wait: the delay chosen */
	bool alarm;             /* the catch raised an alarm */
};

struct workflow_ops {
	/* Do the step's work for `day` (window end `data_end`); fill *work. */
	int (*begin)(void *ctx, enum workflow_step step, int day, simtime data_end,
		     simtime now, struct workflow_work *work, struct error *err);
	/* The attempt succeeded at `now`: commit (may fail, then the attempt fails). */
	int (*finish)(void *ctx, enum workflow_step step, int day, simtime data_end,
		      simtime now, struct error *err);
	/* Report a transition (the lead records it in results.db). */
	void (*transition)(void *ctx, const struct workflow_transition *tr);
};

/* After loading from sc: parse retry_errors into retry[0].errors and copy
 * retry[0] to every step, parse fail_days; ERR_INPUT naming file, line and
 * key on a bad retry_errors or fail_days. */
int workflow_config_check(struct workflow_config *cfg, const struct scenario *sc,
			  struct error *err);

struct workflow *workflow_new(const struct workflow_config *cfg,
			      const struct workflow_ops *ops, void *ctx, struct error *err);
void workflow_free(struct workflow *wf);

/* When the workflow next needs advancing (a trigger, an attempt's end or a
 * retry), never SIMTIME_NEVER. */
simtime workflow_next_time(const struct workflow *wf);
/* Process everything due at or before now. */
void workflow_advance(struct workflow *wf, simtime now);

/* The delay before retry n (0-based) of `step`, jitter drawn for `day`. */
simtime workflow_retry_delay(const struct workflow *wf, enum workflow_step step, int day, int n);
/* Duration of an attempt of `step` doing `work` under the cost model. */
simtime workflow_step_duration(const struct workflow_cost *cost, enum workflow_step step,
			       const struct workflow_work *work);

/* Runs that succeeded, runs caught (alarms), and the data_end of the last
 * success (-1 when none). */
uint64_t workflow_successes(const struct workflow *wf);
uint64_t workflow_alarms(const struct workflow *wf);
simtime workflow_last_success_data_end(const struct workflow *wf);
/* Whether a run is in progress. */
bool workflow_running(const struct workflow *wf);

/* "collect", "compute", "persist". */
const char *workflow_step_name(int step);
/* Kind of an ERR_* code; and its name. */
enum workflow_error_kind workflow_error_kind_of(int code);
const char *workflow_error_kind_name(enum workflow_error_kind kind);

#endif
