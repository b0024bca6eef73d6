#ifndef AIRTIME_BANDITSTORE_H
#define AIRTIME_BANDITSTORE_H
/*
 * The logged bandit feedback of a world, in memory and in results.db: every
 * page shown to a sample of sessions ("a round"), slot by slot, with the
 * feature row the ranker scored, the logging policy's propensities and
 * what the user did; the pages of the off-policy targets on the same
 * requests; and the per-user metrics.  docs/results-schema.md documents the
 * tables (impressions, ope_target_slots, feature_columns, users).
 *
 * struct bandit_table is plain data, growable, written by eval/banditlog
 * while a world runs and read back by banditstore_get for `airtime ope`.
 * Slots of round r are rows first .. first + n_slots - 1; a round whose
 * targets were scored has, for target t, the target page's slot j at
 * target slot tfirst + t * n_slots + j.
 *
 * Feature rows are stored as a BLOB of float32 (little-endian, NaN =
 * missing) in the column `features`; feature_columns names them in order.
 * CSV export (banditstore_export_csv) spreads them into columns.
 *
 * Ownership: the table owns its arrays (bandit_table_release); strings
 * passed in are copied.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "config/config.h"

struct metrics;
struct results;

/* One logged page. */
struct bandit_round {
	uint32_t session, user;
	int64_t time_us;          /* simulated time of the request */
	uint32_t n_candidates;
	uint16_t n_slots;
	uint8_t arm;              /* the user's arm in this world (0: control) */
	uint8_t phase;            /* 0 warm-up, 1 experiment */
	uint8_t logging;          /* 1: served by the logging policy (the control ranker) */
	uint8_t has_targets;      /* the targets' pages were logged too */
	uint64_t first;           /* first slot row */
	uint64_t tfirst;          /* first target slot, when has_targets */
};

struct bandit_table {
	/* Layout: the feature columns and the targets. */
	size_t stride;
	char **feature_names;           /* stride */
	uint32_t *feature_kinds;        /* stride: enum airtime_feature_kind */
	size_t n_targets;
	char target_names[CONFIG_OPE_TARGETS_MAX][SCENARIO_NAME_MAX + 1];
	/* The logging policy, as configured, and the arms' labels. */
	struct policy_config policy;
	size_t n_arms;
	char arm_labels[CONFIG_AB_ARMS_MAX][SCENARIO_NAME_MAX + 1];

	size_t n_rounds, cap_rounds;
	struct bandit_round *rounds;

	/* Slot rows. */
	size_t n_rows, cap_rows, max_rows;
	uint32_t *row_round;
	uint16_t *position;
	uint32_t *show, *creator;
	uint16_t *topic;
	uint8_t *live;
	double *score;                  /* the logging scorer's score of the show */
	double *p_cond;                 /* P(show at this slot | the slots above) */
	double *p_marg;                 /* P(show at this slot) */
	double *model_p;                /* closed-form P(tune-in from the slot); NaN if unknown */
	float *features;                /* n_rows x stride */
	uint8_t *tune_in, *like, *follow, *notify;
	int64_t *listen_us;
	uint64_t dropped;               /* slots not kept: max_rows reached */

	/* Target slots. */
	size_t n_tslots, cap_tslots;
	uint32_t *tshow;
	double *tmodel_p;               /* closed-form P(tune-in) of the target's show there */
	float *tfeatures;               /* n_tslots x stride */
};

/* An empty table of rows of `stride` features named names[] (copied, kinds
 * may be NULL), with n_targets targets named target_names[], keeping at
 * most max_rows slot rows. */
void bandit_table_init(struct bandit_table *t, size_t stride, const char *const *names,
		       const uint32_t *kinds, size_t n_targets, const char *const *target_names,
		       const struct policy_config *policy, size_t max_rows);
/* The arms' labels (arm index -> "control", "treatment", ...; copied). */
void bandit_table_set_arms(struct bandit_table *t, const char *const *labels, size_t n);
void bandit_table_release(struct bandit_table *t);

/* Start a round of n_slots slots (r's first/tfirst are set here): the
 * round's index, or -1 when its slots would exceed max_rows (counted as
 * dropped).  The slot rows are zeroed; fill them through the arrays. */
long bandit_table_add_round(struct bandit_table *t, const struct bandit_round *r);
/* Reserve the targets' slots of round i (n_targets x n_slots, zeroed). */
void bandit_table_add_targets(struct bandit_table *t, size_t i);

/* Store the table under run_id: impressions, ope_target_slots (when
 * targets), feature_columns, the policy as run facts and the counts as
 * metrics. */
int banditstore_put(struct results *r, int64_t run_id, const struct bandit_table *t,
		    struct error *err);
/* Read a run's table back (an empty table, n_rounds 0, when the run logged
 * none: see banditstore_has). */
int banditstore_get(struct results *r, int64_t run_id, struct bandit_table *out,
		    struct error *err);
/* Whether the run stored logged impressions. */
int banditstore_has(struct results *r, int64_t run_id, bool *has, struct error *err);

/* The per-user metrics of a world: one row per user and period. */
int banditstore_put_users(struct results *r, int64_t run_id, const struct metrics *m,
			  const char *const *arm_labels, struct error *err);

/* The tables banditstore_export_csv writes. */
enum banditstore_table { BANDITSTORE_IMPRESSIONS, BANDITSTORE_USERS, BANDITSTORE_TARGETS };

/* "impressions", "users", "ope_target_slots" and back (-1). */
const char *banditstore_table_name(enum banditstore_table t);
int banditstore_table_from_name(const char *name);

/* Write one table of a run as CSV (a header row, features spread into
 * columns x_NAME) to path, through path.tmp and a rename.  *rows gets the
 * rows written.  ERR_NOTFOUND when the run stored no such rows. */
int banditstore_export_csv(struct results *r, int64_t run_id, enum banditstore_table table,
			   const char *path, uint64_t *rows, struct error *err);

#endif
