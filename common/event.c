/* Event type names; see event.h. */
#include "common/event.h"

#include <string.h>

static const char *const type_names[EVENT_TYPE_COUNT] = {
	[EVENT_APP_OPEN] = "app_open",
	[EVENT_IMPRESSION] = "impression",
	[EVENT_LISTEN_START] = "listen_start",
	[EVENT_LISTEN_END] = "listen_end",
	[EVENT_LIKE] = "like",
	[EVENT_FOLLOW] = "follow",
	[EVENT_NOTIFY_ENABLE] = "notify_enable",
	[EVENT_SHOW_SCHEDULED] = "show_scheduled",
	[EVENT_SHOW_LIVE] = "show_live",
	[EVENT_SHOW_END] = "show_end",
	[EVENT_PROMO_POST] = "promo_post",
};

const char *event_type_name(int type)
{
	if (type <= 0 || type >= EVENT_TYPE_COUNT)
		return "unknown";
	return type_names[type];
}

int event_type_from_name(const char *name)
{
	for (int t = 1; t < EVENT_TYPE_COUNT; t++)
		if (strcmp(type_names[t], name) == 0)
			return t;
	return -1;
}
