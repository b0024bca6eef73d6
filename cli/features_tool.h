#ifndef AIRTIME_FEATURES_TOOL_H
#define AIRTIME_FEATURES_TOOL_H
/*
 * `airtime features export`: a point-in-time-correct CSV of a run's feature
 * store (RUN_DIR/features.db, written by engine/batchjob) as a library
 * function.  Nothing is printed elsewhere and nothing exits.
 *
 * Output: for each exported group, the CSV of pitjoin_export_csv()
 * (header "entity,event_time,<features>", one row per entity ever written,
 * empty fields when missing at TIME).  Without a group every group is
 * exported, each preceded by a line "# group NAME vVERSION" and separated by
 * an empty line.  A file output is written to FILE.tmp and renamed into
 * place, so a failed export leaves no partial FILE.
 */
#include "common/error.h"
#include "common/simtime.h"

#include <stdbool.h>
#include <stdio.h>

struct features_export_opts {
	const char *run_dir;
	const char *at;           /* TIME text, see features_tool_parse_time */
	const char *group;        /* NULL: every group; else the highest version of NAME */
	bool as_known_at;         /* also require write_time <= TIME */
	const char *out;          /* output file, or NULL for `stdout_` */
};

/*
 * TIME: a duration since the run's epoch, one or more number+unit terms
 * ("9d12h", "36h", "90min", "0s"), or an ISO date-time in UTC:
 * "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" (a space for the T and a final Z are
 * accepted), turned into simulated time with epoch_day (days since
 * 1970-01-01 of simtime 0; < INT64_MIN + 1 means unknown: ISO refused).
 * ERR_INPUT naming the text on a bad one.
 */
int features_tool_parse_time(const char *text, int64_t epoch_day, simtime *at,
			     struct error *err);

/* Export per opts to opts->out or `stdout_`.  ERR_INPUT for a bad TIME, an
 * unknown group or a missing RUN_DIR/features.db (naming the path). */
int features_tool_export(const struct features_export_opts *opts, FILE *stdout_,
			 struct error *err);

#endif
