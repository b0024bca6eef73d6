#ifndef AIRTIME_FRESHNESS_H
#define AIRTIME_FRESHNESS_H
/*
 * Freshness of the batch features at serving time: the age of what a
 * request sees, now - data_end, where data_end is the end of the data window
 * the served batch features summarise (fsindex_event_time(),
 * or workflow_last_success_data_end()).  A day whose job failed leaves
 * yesterday's features online, so its requests see ages a day older.
 *
 * The lead calls freshness_record() per request; ages go into a histogram
 * (whole run) and a per-interval series (age over time).  Requests served
 * before any batch run succeeded are counted as `missing`, not recorded.
 * Recording allocates nothing.
 */
#include <stdint.h>

#include "common/error.h"
#include "common/hist.h"
#include "common/series.h"
#include "common/simtime.h"

struct freshness;

/* Age of batch features at `now` given their data_end; -1 when none. */
simtime freshness_age(simtime now, simtime data_end);

/* A recorder for [start, start + n * width), ages up to 400 days at 3
 * significant digits. */
struct freshness *freshness_new(simtime start, simtime width, size_t n, struct error *err);
void freshness_free(struct freshness *f);

/* Record the age seen by one request at `now` (data_end < 0: missing). */
void freshness_record(struct freshness *f, simtime now, simtime data_end);

const struct hist *freshness_hist(const struct freshness *f);
const struct series *freshness_series(const struct freshness *f);
uint64_t freshness_missing(const struct freshness *f);

#endif
