#ifndef AIRTIME_OPERUN_H
#define AIRTIME_OPERUN_H
/*
 * `airtime ope RUN_DIR --target RANKER`: off-policy evaluation of a
 * finished run directory (eval/ope.h has the method).
 *
 *   1. the log: the impressions the run's first world stored ([logging]
 *      impressions) and the target's pages ([ope] targets); refused with
 *      the fix when the run logged none, the policy was deterministic (no
 *      propensity but 1), the ranker is unknown or was not scored;
 *   2. the estimates, with the run's [ope] estimators and reward unless
 *      given, into ope_estimates;
 *   3. the truth (none for a replayed trace: no behaviour model says what
 *      its users would have done with the target's pages): the run's own
 *      world of the target when it has one (a
 *      twin world of an arm ranking with it, or its [ope] truth world),
 *      else that world simulated now from the run's scenario and seed in a
 *      temporary directory (the simulation is deterministic: the same world
 *      the run would have had);
 *   4. replications: N more seeds, each simulating the logging world and
 *      the target's world, into ope_replications and ope_summary;
 *   5. the report rebuilt (its "Off-policy evaluation" section and plots).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "eval/ope.h"
#include "results/opestore.h"

struct operun_request {
	const char *dir;
	const char *target;
	const char *estimators;   /* NULL: the run's [ope] estimators */
	const char *reward;       /* NULL: the run's [ope] reward */
	size_t replications;
	uint64_t first_seed;      /* of the replications; used when has_first_seed */
	bool has_first_seed;      /* else the run's seed + 1 */
	bool truth;               /* measure the truth */
	bool report;              /* rebuild the report */
	const char *tmp_base;     /* temporary worlds (NULL: $TMPDIR or /tmp) */
	/* Told what is being simulated ("replication 3/40: logging world");
	 * may be NULL. */
	void (*progress)(void *ctx, const char *what);
	void *progress_ctx;
};

struct operun_result {
	int64_t run_id;
	struct policy_config policy;
	bool replay;              /* a replayed trace: no truth (no behaviour model) */
	bool truth_from_run;      /* the truth came from the run's own world */
	bool truth_simulated;
	struct ope_result res;
	size_t replications;
	uint64_t first_seed;
	struct opestore_summary summary[OPE_ESTIMATORS];
	char warning[512];        /* a report rebuilt with warnings; "" if none */
};

int operun_run_dir(const struct operun_request *req, struct operun_result *out,
		   struct error *err);

#endif
