#ifndef AIRTIME_BATCH_H
#define AIRTIME_BATCH_H
/*
 * The 21 daily history features, aggregated from lake events over a window
 * [end - window, end) of emit times (docs/batch-features.md has the exact
 * definitions).  Four tables:
 *   BATCH_USER          entity = user                  8 features
 *   BATCH_CREATOR       entity = creator               6 features
 *   BATCH_USER_TOPIC    entity = user << 32 | topic    3 features
 *   BATCH_USER_CREATOR  entity = user << 32 | creator  4 features (sparse:
 *                       only pairs with an interaction in the window)
 *
 * Use: batch_begin(end) -> batch_add(block) for each lake block (the
 * signature of lake_block_fn) -> batch_finish(declared) -> read tables.
 * Events outside the window are ignored, so any superset can be fed.
 *
 * Memory: per-user and per-creator arrays indexed by id (ids are dense,
 * assigned by the world), and open-addressing hash tables for pairs; all
 * grow by doubling; batch_begin resets contents, not capacity, and the
 * daily job frees them all with batch_trim once its tables are stored
 * (holding a 60-day window's pairs between jobs would double the peak).  Results
 * are deterministic: rows are sorted by entity id.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/event.h"
#include "common/simtime.h"

struct batch;
struct scenario;

enum batch_table_id {
	BATCH_USER,
	BATCH_CREATOR,
	BATCH_USER_TOPIC,
	BATCH_USER_CREATOR,
	BATCH_TABLE_COUNT
};

#define BATCH_FEATURE_COUNT 21
#define BATCH_MAX_WINDOW_DAYS 64

/* Filled from [batch] window and feature_ttl by config_load
 * (config/config.h, which also holds the defaults). */
struct batch_config {
	simtime window;         /* whole days, <= 64d */
	simtime feature_ttl;    /* TTL of the feature groups */
};

/* A computed table: n rows, entity ids ascending, values n x k row-major. */
struct batch_table {
	const char *name;       /* feature group name, e.g. "user_history" */
	size_t k;
	const char *const *features;
	size_t n;
	const int64_t *entity;
	const double *values;
};

/* Declared interests (the caller's input table: the engine does not know
 * the simulator): pairs (user, topic). */
struct batch_declared {
	const uint32_t *user;
	const uint16_t *topic;
	size_t n;
};

/* After loading from sc: ERR_INPUT naming file, line and key when window
 * is not whole days. */
int batch_config_check(const struct batch_config *cfg, const struct scenario *sc,
		       struct error *err);

struct batch *batch_new(const struct batch_config *cfg, struct error *err);
void batch_free(struct batch *b);

/* Start a computation for the window [end - window, end). */
void batch_begin(struct batch *b, simtime end);
/* Aggregate a block of events (ignores events outside the window).  Has the
 * lake_block_fn signature, with ctx = the batch. */
int batch_add(void *batch, const struct event *evs, size_t n, struct error *err);
/* Build the four tables; declared may be NULL. */
void batch_finish(struct batch *b, const struct batch_declared *declared);

/* Free the working memory (state, scratch and tables: as much as the
 * window's pairs, the largest part of a daily job) once the tables have
 * been used; they read empty until the next finish, and the next begin
 * allocates again. */
void batch_trim(struct batch *b);

/* The table `id` of the last finish (valid until the next begin or trim). */
const struct batch_table *batch_table(const struct batch *b, enum batch_table_id id);
/* Events aggregated (inside the window) since begin. */
uint64_t batch_events(const struct batch *b);
/* Window of the current computation. */
simtime batch_window_start(const struct batch *b);
simtime batch_window_end(const struct batch *b);

#endif
