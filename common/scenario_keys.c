/*
 * The scenario keys: one row per key, the single source for the parser,
 * `airtime validate`, `airtime reference` and scenarios/README.md.
 *
 * Adding keys: append a block for your section(s) at the END of the table,
 * opened by a comment naming the module that reads them.  Keep a section's
 * rows together; the order of rows is the order of `airtime validate`
 * output and of the reference.  Bounds are in stored units (microseconds,
 * bytes, fractions, days since 1970-01-01); use SCENARIO_NO_MIN/NO_MAX for
 * an open side.  def = NULL makes a key required.  Then run `make reference
 * golden` and commit scenarios/README.md and tests/golden/ with the rows.
 */
#include "common/scenario.h"

#include "common/simtime.h"

/* 2^53 - 1: the largest integer a double bound represents exactly. */
#define INT_EXACT_MAX 9007199254740991.0
/* 1970-01-01 and 2100-01-01 as days since the epoch. */
#define DATE_MIN 0.0
#define DATE_MAX 47482.0

const struct scenario_key scenario_keys[] = {
	/* ---- [run]: the run as a whole (eval/run) ---- */
	{ "run", "seed", SCENARIO_INT, 0, INT_EXACT_MAX, "1", NULL,
	  "master seed; every random stream is derived from it and (purpose, entity)" },
	{ "run", "start_date", SCENARIO_DATE, DATE_MIN, DATE_MAX, "2022-05-02", NULL,
	  "calendar date of simulated time 0 (midnight UTC); the default is a Monday" },
	{ "run", "warmup_days", SCENARIO_INT, 1, 365, "7", NULL,
	  "days everyone gets the control ranker while history builds up and is logged for training" },
	{ "run", "experiment_days", SCENARIO_INT, 1, 365, "14", NULL,
	  "days of the A/B experiment after the warm-up" },
	{ "run", "description", SCENARIO_STRING, 0, 0, "", NULL,
	  "free text shown in the report header" },

	/* ---- [ab]: experiment design (eval/ab) ---- */
	{ "ab", "mode", SCENARIO_ENUM, 0, 0, "split", "split|twin|both",
	  "split: users are divided between arms by salted hash; twin: the same world is run "
	  "once per arm for everyone (common random numbers); both: run both designs" },
	{ "ab", "control", SCENARIO_ENUM, 0, 0, "heuristic",
	  "forest|heuristic|popularity|random|oracle",
	  "ranker of the control arm (and of everyone during the warm-up)" },
	{ "ab", "treatment", SCENARIO_ENUM, 0, 0, "forest",
	  "forest|heuristic|popularity|random|oracle", "ranker of the treatment arm" },
	{ "ab", "treatment_share", SCENARIO_PERCENT, 0.01, 0.99, "50%", NULL,
	  "share of users assigned to the treatment arm in split mode" },
	{ "ab", "salt", SCENARIO_STRING, 0, 0, "airtime-ab", NULL,
	  "salt of the assignment hash; change it to re-randomise who is in which arm" },
	{ "ab", "exploration", SCENARIO_PERCENT, 0, 1, "0%", NULL,
	  "share of home pages shown in random order (logged as such) for unbiased training data" },

	/* ---- [report]: outputs of a run (eval/report) ---- */
	{ "report", "plots", SCENARIO_BOOL, 0, 0, "true", NULL,
	  "draw plots with gnuplot (skipped with a warning when gnuplot is missing)" },
	{ "report", "formats", SCENARIO_ENUM, 0, 0, "html+md", "html+md|html|md",
	  "report files to write: report.html, report.md or both" },
};

const size_t scenario_key_count = sizeof(scenario_keys) / sizeof(scenario_keys[0]);
