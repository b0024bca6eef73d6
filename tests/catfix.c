/* The catalog of the catalog and ranking tests; see catfix.h. */
#include "tests/catfix.h"

#include <check.h>

#include "common/event.h"

#define NOW CATFIX_NOW

void catfix_apply(struct catalog *c, int type, uint32_t show, uint32_t creator, uint16_t topic,
		  simtime emit, int64_t value)
{
	static uint64_t next_id = 1;
	struct event ev = { .id = next_id++, .emit_time = emit, .value = value,
			    .user = EVENT_NONE, .show = show, .creator = creator,
			    .session = EVENT_NONE, .topic = topic, .position = UINT16_MAX,
			    .type = (uint8_t)type };
	struct error err;

	ck_assert_msg(catalog_apply(c, &ev, &err) == 0, "%s", err.msg);
}

void catfix_schedule(struct catalog *c, uint32_t show, uint32_t creator, uint16_t topic,
		     simtime start)
{
	catfix_apply(c, EVENT_SHOW_SCHEDULED, show, creator, topic, 0, start);
}

struct catalog *catfix_sample(void)
{
	struct catalog *c = catalog_new(4);

	catfix_schedule(c, 7, 70, 1, NOW - 40 * SIMTIME_MIN);
	catfix_apply(c, EVENT_SHOW_LIVE, 7, 70, 1, NOW - 40 * SIMTIME_MIN, 0);
	catfix_schedule(c, 3, 30, 2, NOW - 10 * SIMTIME_MIN);
	catfix_apply(c, EVENT_SHOW_LIVE, 3, 30, 2, NOW - 10 * SIMTIME_MIN, 0);
	catfix_schedule(c, 5, 50, 1, NOW - 3 * SIMTIME_HOUR);
	catfix_apply(c, EVENT_SHOW_LIVE, 5, 50, 1, NOW - 3 * SIMTIME_HOUR, 0);
	catfix_apply(c, EVENT_SHOW_END, 5, 50, 1, NOW - SIMTIME_HOUR, 2 * SIMTIME_HOUR);
	catfix_schedule(c, 9, 90, 3, NOW + SIMTIME_HOUR);
	catfix_schedule(c, 1, 10, 2, NOW + SIMTIME_HOUR);
	catfix_schedule(c, 2, 20, 1, NOW + 5 * SIMTIME_HOUR);
	catfix_schedule(c, 4, 40, 2, NOW + 7 * SIMTIME_HOUR);
	catfix_schedule(c, 6, 60, 3, NOW - 10 * SIMTIME_MIN);
	catfix_schedule(c, 8, 80, 2, NOW - 2 * SIMTIME_HOUR);
	return c;
}
