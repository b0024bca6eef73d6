#ifndef AIRTIME_IMPLOG_H
#define AIRTIME_IMPLOG_H
/*
 * The impression log: the training data of the ranker.
 *
 * For a sample of home-page sessions (chosen by hash of the session id, so
 * the sample is the same in every arm and world), every slot shown is logged
 * with the feature row the ranker assembled for that show at serving time
 * (point-in-time correct by construction: it is what was readable then),
 * the slot position, whether the page order was an exploration shuffle, and
 * the time.  The label (the user tuned in from that slot) is set later when
 * the listen_start event of that session and show arrives.
 *
 * Memory is bounded by max_rows, reserved up front; impressions beyond it
 * are counted as dropped, never silently lost.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/simtime.h"

struct implog;

struct implog *implog_new(size_t stride, size_t max_rows, double sample_share, uint64_t salt);
void implog_free(struct implog *l);

/* Whether this session's impressions are logged. */
bool implog_sampled(const struct implog *l, uint32_t session);

/* Log one page: shows[i] at slot i with its feature row rows[i] (stride
 * floats each, borrowed); the same as implog_begin_page and one
 * implog_row per slot. */
void implog_page(struct implog *l, uint32_t user, uint32_t session, simtime now,
		 const uint32_t *shows, const float *const *rows, size_t k, bool explored);

/* Start a page of `session` whose shown slots follow as implog_row calls
 * (a page of several screens logs only the screens the user saw).  A
 * session may request several pages (continuations after a show ended);
 * clicks label the latest. */
void implog_begin_page(struct implog *l, uint32_t session);
/* Log one shown slot of the page begun last for `session`. */
void implog_row(struct implog *l, uint32_t user, uint32_t session, simtime now, uint32_t show,
		const float *row, uint16_t position, bool explored);

/* A tune-in from the home page: label the matching impression. */
void implog_click(struct implog *l, uint32_t session, uint32_t show);

size_t implog_rows(const struct implog *l);
size_t implog_stride(const struct implog *l);
uint64_t implog_dropped(const struct implog *l);
uint64_t implog_positives(const struct implog *l);
const float *implog_features(const struct implog *l);   /* rows x stride */
/* The same, writable: the training set is rewritten in place with
 * point-in-time joined values (eval/skew). */
float *implog_features_mut(struct implog *l);
const double *implog_labels(const struct implog *l);    /* rows */
const uint32_t *implog_users(const struct implog *l);
const uint32_t *implog_shows(const struct implog *l);
const simtime *implog_times(const struct implog *l);
const uint16_t *implog_positions(const struct implog *l);
simtime implog_first_time(const struct implog *l);      /* SIMTIME_NEVER when empty */
simtime implog_last_time(const struct implog *l);

#endif
