#ifndef AIRTIME_PROFILE_H
#define AIRTIME_PROFILE_H
/*
 * Users' declared profile topics, as the production backend knows them
 * (the interests a user ticked at sign-up).  The engine never sees a user's
 * true tastes; eval/ hands in the declared view the simulator drew.
 *
 * Layout: one compressed row per user (CSR): offsets[n_users + 1] into a
 * flat topic array, topics kept in the order declared (most preferred
 * first).  Users are dense ids 0..n_users-1; a user with no row declared
 * nothing.  Rows are added once per user, in any order, before the first
 * query; queries are read-only and allocate nothing.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct profile;

/* An empty table for users 0..n_users-1. */
struct profile *profile_new(uint32_t n_users);
void profile_free(struct profile *p);

/* Declare `n` topics for `user` (copied).  ERR_INPUT for an unknown user, a
 * user declared twice, a repeated topic or the topic UINT16_MAX. */
int profile_set(struct profile *p, uint32_t user, const uint16_t *topics, size_t n,
		struct error *err);

/* Number of users the table covers. */
uint32_t profile_user_count(const struct profile *p);
/* The user's declared topics (borrowed, in declared order); returns their
 * number, 0 for an unknown user or one who declared none. */
size_t profile_topics(const struct profile *p, uint32_t user, const uint16_t **topics);
/* Whether `topic` is among the user's declared topics. */
bool profile_has_topic(const struct profile *p, uint32_t user, uint16_t topic);

#endif
