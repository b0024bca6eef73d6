#ifndef AIRTIME_SCORER_BUILTIN_H
#define AIRTIME_SCORER_BUILTIN_H
/*
 * airtime's own scorers that need no model, behind engine/scorer.h (the
 * forest is engine/scorer_model.h).  Higher ranks first; engine/rank breaks
 * ties by ascending show id, so a page is a pure function of the scores.
 *   heuristic   the pre-ML baseline: shows in one of the user's declared
 *               topics first, then by scheduled start, earliest first (live
 *               shows started earlier, so they lead); reads no features
 *   popularity  live listeners now, then listens so far (two feature
 *               columns, given by index)
 *   random      uniform, from a stream of its own per request:
 *               (seed, RNG_RANKER, request id)
 *   oracle      the simulator's true engagement probability, through a
 *               callback the public interface does not show: the upper
 *               bound, for simulated worlds only
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/simtime.h"
#include "engine/scorer.h"

/* The simulator's truth: out[i] for shows[i] (engine/rank's oracle source). */
typedef int (*scorer_truth_fn)(void *ctx, uint32_t user, const uint32_t *shows, size_t n,
			       simtime now, double *out, struct error *err);

struct scorer *scorer_heuristic_new(void);
/* Scores live listeners (row column col_live) plus listens (col_listens)
 * / (listens + 1); NaN reads as 0. */
struct scorer *scorer_popularity_new(size_t col_live, size_t col_listens);
struct scorer *scorer_random_new(uint64_t seed);
/* truth and ctx are borrowed; pages of at most max_rows. */
struct scorer *scorer_oracle_new(scorer_truth_fn truth, void *ctx, size_t max_rows);

#endif
