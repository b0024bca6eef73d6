#ifndef AIRTIME_VALIDITY_H
#define AIRTIME_VALIDITY_H
/*
 * Simulator validity: does the simulated population do what its scenario
 * says?  Observed marginals are tested against the configured ones, each
 * with a goodness-of-fit statistic and a pass/fail verdict.
 *
 * Observed data come from replaying the world, not from stored logs: the
 * simulation is deterministic, so scenario + overrides + seed (all kept in
 * the run directory) rebuild the same users, arrivals, shows and spikes
 * (common random numbers make them independent of the ranker).  Home pages
 * in the replay come from a uniform-random ranker over live shows (a fixed
 * stream per session), so position effects can be separated from
 * relevance: the behavioural checks describe the simulator, not the
 * pipeline's ranker.  Nothing is stored during runs for this.
 *
 * Checks (alpha = 0.001 for every test: with several checks per run and
 * very large samples, a smaller alpha keeps false alarms rare while
 * systematic errors of a few percent still fail):
 *   sessions_hourly     base sessions by UTC hour of day against the
 *                       integral of the rate function (chi-square, 24 df:
 *                       expected counts are absolute, the total is random)
 *   sessions_weekly     base sessions by weekday against the same
 *                       (chi-square, 7 df; skipped under 7 days)
 *   sessions_per_user   base sessions of each user against Poisson with
 *                       mean activity x the integral of the rate function
 *                       (dispersion chi-square, one df per user, two-sided)
 *                       -- the simulator has no app-session duration, so
 *                       this and listen_duration stand for "session length"
 *   replay_sessions     the replay's session count equals the run's (a
 *                       determinism check against results.db)
 *   first_tunein_position  position of a session's first home-page
 *                       tune-in against exam(i) p_i prod_{j<i}(1 - exam(j) p_j)
 *                       with p the true engagement probability at page time
 *                       (chi-square over positions + "none"; pbm only)
 *   listen_duration     listens against the configured lognormal
 *                       (median listen_median exp(gain affinity), sigma),
 *                       probability-integral transformed with randomised
 *                       values for listens cut at the show's end or at the
 *                       1 s floor (then uniform under the model), KS test
 *   spike_size.NAME     sessions drawn for the spike against
 *                       magnitude / (1 - branching), z with the variance of
 *                       a Poisson-immigrant Galton-Watson total,
 *                       magnitude / (1 - branching)^3
 *   declared_none       share of users declaring no interests (binomial z)
 *   declared_noise      declared topics that are not true interests against
 *                       the expectation of the declaration process given
 *                       each user's tastes (z)
 *
 * Results go into results.db table validity_checks through
 * results/checkstore, which also reads them back for the report.
 * Ownership: plain structs, nothing to free.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct scenario;

#define VALIDITY_MAX_CHECKS 32  /* CHECKSTORE_MAX: all of them can be stored */
#define VALIDITY_ALPHA 0.001

enum validity_verdict { VALIDITY_PASS, VALIDITY_FAIL, VALIDITY_SKIP };

struct validity_check {
	char name[64];
	char statistic[32];        /* "chi2(23)", "KS D", "z", "difference" */
	double value;              /* the statistic */
	double p;                  /* p-value, NaN for a distance or an exact check */
	double threshold;          /* alpha, or the largest accepted distance */
	enum validity_verdict verdict;
	char detail[256];          /* observed vs expected in words */
};

struct validity_report {
	struct validity_check checks[VALIDITY_MAX_CHECKS];
	size_t n, pass, fail, skipped;
	unsigned long long sessions;   /* replayed sessions (base + spikes) */
};

/* Replay the scenario's world and run every check (no run directory
 * needed; replay_sessions is skipped).  ERR_INPUT for a scenario
 * config_load refuses. */
int validity_check_scenario(const struct scenario *sc, struct validity_report *out,
			    struct error *err);

/* Load RUN_DIR/scenario.ini with RUN_DIR/overrides.txt, replay, check,
 * compare the session count with results.db and store the checks in
 * RUN_DIR/results.db (replacing earlier ones). */
int validity_run_dir(const char *dir, struct validity_report *out, struct error *err);

/* "pass", "fail", "skip". */
const char *validity_verdict_name(enum validity_verdict v);

#endif
