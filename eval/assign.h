#ifndef AIRTIME_ASSIGN_H
#define AIRTIME_ASSIGN_H
/*
 * A/B/n assignment by salted hash: a user's arm depends only on (salt, user
 * id, the arms' shares), never on arrival order, the seed of the world or
 * the rankers, so a user keeps their arm across runs, re-runs and scenario
 * variants, and every arm's share is exact in expectation.
 *
 * Each user gets one uniform u in [0, 1) from the hash.  Treatment arm i
 * (1 .. n-1) takes u in [s1 + ... + s(i-1), s1 + ... + si); the control
 * (arm 0) takes the rest, so its share is 1 - (s1 + ... + s(n-1)).  With
 * two arms that is "treatment when u < treatment share", the rule of the
 * 2-arm experiments before A/B/n: the same users land in the same arms.
 */
#include <stddef.h>
#include <stdint.h>

/* The control's arm index. */
#define ASSIGN_CONTROL 0

/* Hash of a salt string (FNV-1a 64), computed once per run. */
uint64_t assign_salt_hash(const char *salt);

/* Arm (0 .. n_arms-1) of `user`; shares[i] is arm i's expected share, in
 * [0, 1] (shares[0], the control's, is not read: it is the remainder). */
size_t assign_arm(uint64_t salt_hash, uint32_t user, const double *shares, size_t n_arms);

#endif
