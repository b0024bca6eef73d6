/* Event type names; see event.h. */
#include "common/event.h"

#include <math.h>
#include <stdint.h>
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

static uint32_t float_bits(double v)
{
	float f = (float)v;
	uint32_t b;

	if (isnan(v) || v <= 0)
		return 0;
	memcpy(&b, &f, sizeof(b));
	return b;
}

static double bits_float(uint32_t b)
{
	float f;

	if (b == 0)
		return NAN;
	memcpy(&f, &b, sizeof(f));
	return (double)f;
}

int64_t event_pack_propensities(double cond, double marg)
{
	return (int64_t)((uint64_t)float_bits(marg) << 32 | float_bits(cond));
}

void event_propensities(int64_t value, double *cond, double *marg)
{
	uint64_t u = (uint64_t)value;

	*cond = bits_float((uint32_t)u);
	*marg = bits_float((uint32_t)(u >> 32));
}
