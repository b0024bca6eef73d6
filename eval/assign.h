#ifndef AIRTIME_ASSIGN_H
#define AIRTIME_ASSIGN_H
/*
 * A/B assignment by salted hash: a user's arm depends only on (salt, user
 * id), never on arrival order, the seed of the world or the ranker, so a
 * user keeps their arm across runs, re-runs and scenario variants, and the
 * treatment share is exact in expectation.
 */
#include <stdbool.h>
#include <stdint.h>

enum assign_arm { ASSIGN_CONTROL = 0, ASSIGN_TREATMENT = 1 };

/* Hash of a salt string (FNV-1a 64), computed once per run. */
uint64_t assign_salt_hash(const char *salt);

/* Arm of `user` for a treatment share in [0, 1]. */
enum assign_arm assign_arm(uint64_t salt_hash, uint32_t user, double treatment_share);

/* "control" / "treatment". */
const char *assign_arm_name(enum assign_arm arm);

#endif
