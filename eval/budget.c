/* A run's memory budget; see budget.h. */
#include "eval/budget.h"

#include "common/scenario.h"
#include "config/config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Calibrated constants (bytes); see budget.h and docs/engineers.md. */
#define BASE (54.0 * 1048576)         /* binary, SQLite, buffers, calendar, and the */
				      /* default dedup set and training log */
#define PER_USER 1810.0               /* profile, metrics, behaviour state */
#define PER_USER_DAY 1350.0           /* sessions, follows, logged rows growing with time */
#define PER_USER_HISTORY_DAY 550.0    /* a day of [run] history_days: the 60-day batch */
				      /* (measured 350 B at 20k users, 390 at 100k, 495 at */
				      /* 300k: a world of 1,000 creators gets denser) */
				      /* window's pair map and sorted pairs (one at a */
				      /* time), feature rows, serving snapshots */
#define PER_CREATOR 450.0             /* world, PIT and online tables, catalog */
#define PER_SHOW_WEEK 60.0            /* per show scheduled */
#define TWIN_WORLD 1.75               /* a further world, relative to the first */
#define LOG_FEATURES 48               /* features of a logged row, upper bound */
#define DEFAULT_DEDUP 1048576.0       /* stream.dedup_capacity's default */
#define DEFAULT_ROWS 400000.0         /* model.max_rows's default */
#define DEFAULT_MESSAGES 1000000.0    /* stream.max_messages's default */
#define DEFAULT_DLQ 10000.0           /* stream.dlq_records's default */
#define PER_MESSAGE 118.0             /* the queue's pool: event, times, links, heap entry */
#define PER_DLQ_RECORD 32.0           /* struct queue_dead */

struct part {
	double v;
	const char *keys;
};

static double pow2_at_least(double n)
{
	double p = 16;

	while (p < n)
		p *= 2;
	return p;
}

void run_budget_estimate(const struct config *cfg, const struct run_budget_replay *replay,
			 struct run_budget *b)
{
	double users = replay ? replay->users : (double)cfg->sim.world.n_users;
	double creators = replay ? replay->creators : (double)cfg->sim.world.n_creators;
	double days = (double)cfg->run.warmup_days + (double)cfg->run.experiment_days;
	/* a replay has no history phase (eval/history.h runs the synthetic
	 * population only) */
	double history = replay ? 0 : (double)cfg->run.history_days;
	double weeks = days / 7.0 + 1.0;
	double shows = replay ? replay->shows : creators * cfg->sim.world.shows_per_week * weeks;
	double dedup = (double)cfg->stream.pit.dedup_capacity;
	double implog = ((double)cfg->model.max_rows - DEFAULT_ROWS) * (4.0 * LOG_FEATURES + 35.0);
	double pool = ((double)cfg->stream.queue.max_messages - DEFAULT_MESSAGES) * PER_MESSAGE;
	double dlq = ((double)cfg->stream.queue.dlq_capacity - DEFAULT_DLQ) * PER_DLQ_RECORD;
	double worlds = 1, pop_user, pop_creator, dd;
	struct part part[3], up[4];
	size_t n_up = 0;

	if (!replay && cfg->ab.mode != CONFIG_AB_SPLIT)
		worlds = (double)cfg->ab.n_arms + (cfg->ab.mode == CONFIG_AB_BOTH ? 1 : 0);
	pop_user = users * (PER_USER + PER_USER_DAY * days + PER_USER_HISTORY_DAY * history);
	pop_creator = creators * PER_CREATOR + shows * PER_SHOW_WEEK;
	memset(b, 0, sizeof(*b));
	b->worlds = worlds;
	b->population = (pop_user + pop_creator) * (1 + (worlds - 1) * TWIN_WORLD);
	/* dedup: the set (pow2 >= 2 x capacity, 8 bytes a slot) and its ring
	 * (16 bytes an id), and the training log: allocated in full, per
	 * world; what the defaults take is in the calibrated base, what more
	 * a scenario asks is counted whole (a long run fills them). */
	/* The queue's message pool (stream.max_messages) and dead-letter ring
	 * (stream.dlq_records) are allocated in full too. */
	dd = 8 * pow2_at_least(2 * dedup) + 16 * dedup -
	     (8 * pow2_at_least(2 * DEFAULT_DEDUP) + 16 * DEFAULT_DEDUP);
	up[n_up++] = (struct part){ dd > 0 ? dd : 0, "stream.dedup_capacity" };
	up[n_up++] = (struct part){ implog > 0 ? implog : 0, "model.max_rows" };
	up[n_up++] = (struct part){ pool > 0 ? pool : 0, "stream.max_messages" };
	up[n_up++] = (struct part){ dlq > 0 ? dlq : 0, "stream.dlq_records" };
	b->upfront = 0;
	for (size_t i = 0; i < n_up; i++)
		b->upfront += up[i].v;
	b->upfront *= worlds;
	b->bytes = BASE + b->population + b->upfront;
	/* the up-front keys that take anything, largest first */
	for (size_t i = 0; i < n_up; i++)
		for (size_t j = i + 1; j < n_up; j++)
			if (up[j].v > up[i].v) {
				struct part t = up[i];
				up[i] = up[j];
				up[j] = t;
			}
	{
		size_t k = 0;

		b->upfront_keys[0] = '\0';
		for (size_t i = 0; i < n_up && up[i].v > 0; i++)
			k += (size_t)snprintf(b->upfront_keys + k, k < sizeof(b->upfront_keys) ?
					      sizeof(b->upfront_keys) - k : 0, "%s%s",
					      i ? ", " : "", up[i].keys);
		if (!b->upfront_keys[0])
			snprintf(b->upfront_keys, sizeof(b->upfront_keys), "%s",
				 "stream.dedup_capacity, model.max_rows");
	}
	part[0] = (struct part){ pop_user * (1 + (worlds - 1) * TWIN_WORLD),
				     replay ? "the trace's largest user id" :
				     history * PER_USER_HISTORY_DAY > days * PER_USER_DAY ?
				     "world.users, run.history_days, run.warmup_days, run.experiment_days" :
				     "world.users, run.warmup_days, run.experiment_days" };
	part[1] = (struct part){ pop_creator * (1 + (worlds - 1) * TWIN_WORLD),
				     replay ? "the trace's largest show and creator ids" :
				     "world.creators, world.shows_per_week" };
	part[2] = (struct part){ b->upfront, b->upfront_keys };
	/* largest first */
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (part[j].v > part[i].v) {
				struct part t = part[i];
				part[i] = part[j];
				part[j] = t;
			}
	snprintf(b->drivers, sizeof(b->drivers), "%s%s", part[0].keys,
		 worlds > 1 ? "; ab.mode (one world per arm)" : "");
}

uint64_t run_budget_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

void run_budget_format(double bytes, char *buf, size_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	int u = 0;

	while (bytes >= 1024 && u < 5) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}

int run_budget_check(const struct run_budget *b, uint64_t max_bytes, struct error *err)
{
	char est[32], lim[32];

	if (max_bytes == 0 || b->bytes <= (double)max_bytes)
		return 0;
	run_budget_format(b->bytes, est, sizeof(est));
	run_budget_format((double)max_bytes, lim, sizeof(lim));
	return error_set(err, ERR_INPUT, "estimated peak memory %s is above the limit %s "
			 "(--max-memory; default: the machine's available memory), driven by %s: "
			 "reduce them", est, lim, b->drivers);
}

int run_budget_rules(const struct config *cfg, const struct scenario *sc, struct error *err)
{
	uint64_t users = cfg->sim.world.n_users, creators = cfg->sim.world.n_creators;
	uint64_t most = users * BUDGET_CREATORS_PER_USER;
	char at[SCENARIO_WHERE_MAX];

	if (most < BUDGET_CREATORS_FLOOR)
		most = BUDGET_CREATORS_FLOOR;
	if (creators > most)
		return error_set(err, ERR_INPUT, "%s: world.creators = %" PRIu64 " for %" PRIu64
				 " users: at most %" PRIu64 " (%d per user, or %d): a world of "
				 "more shows than listeners only costs time",
				 scenario_where(sc, "world", "creators", at, sizeof(at)), creators,
				 users, most, BUDGET_CREATORS_PER_USER, BUDGET_CREATORS_FLOOR);
	return 0;
}
