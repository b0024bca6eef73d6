/* The history phase before a run; see history.h. */
#include "eval/history.h"

#include "common/calendar.h"
#include "common/event.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "engine/batchjob.h"
#include "sim/sim.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct sink {
	struct batchjob *bj;
	uint32_t show_offset;
	simtime hour;                 /* hour being buffered */
	struct event *buf;
	size_t n, cap;
	uint64_t written;
	int rc;
	struct error err;
	struct calendar *cal;
};

static int flush(struct sink *k)
{
	if (k->n && !k->rc) {
		k->rc = batchjob_history_write(k->bj, k->hour, k->buf, k->n, &k->err);
		k->written += k->n;
	}
	k->n = 0;
	return k->rc;
}

static simtime floor_hour(simtime t)
{
	return t >= 0 ? t - t % SIMTIME_HOUR : -((-t + SIMTIME_HOUR - 1) / SIMTIME_HOUR) * SIMTIME_HOUR;
}

/* The event types a batch feature reads (docs/batch-features.md). */
static bool kept(int type)
{
	switch (type) {
	case EVENT_APP_OPEN:
	case EVENT_LISTEN_START:
	case EVENT_LISTEN_END:
	case EVENT_LIKE:
	case EVENT_FOLLOW:
	case EVENT_NOTIFY_ENABLE:
	case EVENT_SHOW_LIVE:
		return true;
	default:
		return false;
	}
}

static void on_event(void *ctx, const struct event *ev)
{
	struct sink *k = ctx;
	simtime h;

	if (k->rc || !kept(ev->type) || ev->emit_time >= 0)
		return;
	h = floor_hour(ev->emit_time);
	if (h != k->hour) {
		/* emit times never decrease, so an hour is complete when the
		 * next one starts */
		if (flush(k)) {
			calendar_stop(k->cal);
			return;
		}
		k->hour = h;
	}
	XGROW(k->buf, k->n + 1, k->cap);
	k->buf[k->n] = *ev;
	if (ev->show != EVENT_NONE)
		k->buf[k->n].show += k->show_offset;
	k->n++;
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int history_fill(const struct config *cfg, struct sim *run_sim, uint32_t n_run_shows,
		 struct batchjob *bj, struct history_stats *st, struct error *err)
{
	simtime start = -(simtime)cfg->run.history_days * SIMTIME_DAY;
	struct sink k = { .bj = bj, .show_offset = n_run_shows, .hour = INT64_MIN };
	double t0 = wall_now();
	struct sim *hs;
	int rc;

	*st = (struct history_stats){ 0 };
	if (cfg->run.history_days <= 0)
		return 0;
	k.cal = calendar_new(start, 1 << 16);
	if (!(hs = sim_new_history(&cfg->sim, start, k.cal, on_event, &k, err))) {
		rc = error_prefix(err, "history phase: ");
		goto out;
	}
	/* listens under way at time 0 are cut: their ends are not written */
	calendar_run_until(k.cal, 0);
	if ((rc = flush(&k)) != 0) {
		*err = k.err;
		rc = error_prefix(err, "history phase: ");
		goto out;
	}
	sim_import_history(run_sim, hs);
	st->sessions = sim_sessions(hs);
	st->follows = sim_follow_entries(hs);
	st->events = k.written;
	/* the daily job of day -1, so the run starts with its features */
	if ((rc = batchjob_history_job(bj, -SIMTIME_DAY + cfg->batch.workflow.run_at, err)) != 0)
		goto out;
	st->wall_s = wall_now() - t0;
out:
	sim_free(hs);
	calendar_free(k.cal);
	free(k.buf);
	return rc;
}
