#ifndef AIRTIME_BANDITLOG_H
#define AIRTIME_BANDITLOG_H
/*
 * The logged bandit feedback of one world, recorded while it runs
 * ([logging] impressions): every page requested by a sample of sessions
 * (by hash of the session id, the same sessions in every world) is a
 * round of a struct bandit_table (results/banditstore.h), slot by slot,
 * with what eval/worldrun fills in (show, feature row, scores,
 * propensities, the targets' pages); the outcomes arrive later as backend
 * events and are attributed here to the session's latest page:
 *   tune_in          a listen_start from the home page at the slot's position
 *   listen minutes   the listen_end of that listen (its duration)
 *   like, follow     after a listen of the slot's show in the session
 *   notify           a notification enable for the slot's show's creator in
 *                    the session (a reminder for an upcoming show, or after
 *                    a follow)
 * Events of a session without a logged page (a promotion listened to
 * before the page, a notification listen) are not attributed.
 *
 * Memory: the table grows to [logging] max_rows slots and counts the rest
 * as dropped; a session index grows with the session ids.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/event.h"
#include "results/banditstore.h"

struct banditlog;

/* A log of slots of `stride` features (names and kinds borrowed for the
 * call), n_targets targets, a share of sessions sampled by hash of (seed,
 * session), at most max_rows slots. */
struct banditlog *banditlog_new(size_t stride, const char *const *names, const uint32_t *kinds,
				size_t n_targets, const char *const *target_names,
				const struct policy_config *policy, size_t max_rows,
				double sample_share, uint64_t seed);
void banditlog_free(struct banditlog *l);

/* Whether this session's pages are logged. */
bool banditlog_sampled(const struct banditlog *l, uint32_t session);

/* Start a round (the session's latest page from now on): its index in the
 * table, or -1 when the table is full (counted as dropped). */
long banditlog_round(struct banditlog *l, const struct bandit_round *r);

/* Account one backend event (outcomes of the logged slots). */
void banditlog_event(struct banditlog *l, const struct event *ev);

/* The table, to fill a round's slots and to store or analyse it. */
struct bandit_table *banditlog_table(struct banditlog *l);

#endif
