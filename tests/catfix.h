#ifndef AIRTIME_TESTS_CATFIX_H
#define AIRTIME_TESTS_CATFIX_H
/* A small engine/catalog.h catalog for the catalog and ranking tests,
 * built from show events as the backend would send them.  Each call fails
 * the test when the catalog refuses the event. */
#include <stdint.h>

#include "common/simtime.h"
#include "engine/catalog.h"

#define CATFIX_NOW (10 * SIMTIME_HOUR)

/* Apply one show event (ids count up across calls). */
void catfix_apply(struct catalog *c, int type, uint32_t show, uint32_t creator, uint16_t topic,
		  simtime emit, int64_t value);
/* EVENT_SHOW_SCHEDULED of `show` starting at `start`, emitted at 0. */
void catfix_schedule(struct catalog *c, uint32_t show, uint32_t creator, uint16_t topic,
		     simtime start);

/* A catalog around CATFIX_NOW (caller frees):
 *   show 7  live (started NOW-40min), topic 1, creator 70
 *   show 3  live (started NOW-10min), topic 2, creator 30
 *   show 5  ended
 *   show 1  announced, starts NOW+1h,   topic 2, creator 10
 *   show 2  announced, starts NOW+5h,   topic 1, creator 20
 *   show 4  announced, starts NOW+7h    (beyond a 6h horizon)
 *   show 6  announced, starts NOW-10min (overdue, within 30min grace), topic 3
 *   show 8  announced, starts NOW-2h    (overdue beyond grace)
 *   show 9  announced, starts NOW+1h    (same start as show 1), topic 3, creator 90 */
struct catalog *catfix_sample(void);

#endif
