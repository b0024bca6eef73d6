#ifndef AIRTIME_EVENT_H
#define AIRTIME_EVENT_H
/*
 * The backend event schema: the only thing sim/ and engine/ share.
 *
 * sim/ emits one `struct event` per user action or show transition; eval/
 * hands each to the engine's bus, the lake stores them, traces serialise
 * them.  Every event has a unique id (monotonic per run, assigned at emit)
 * and an emit time.  Fields that do not apply hold EVENT_NONE.
 *
 * The struct is plain data, 48 bytes, no pointers: it is copied into queues,
 * lake partitions and trace files as is (little-endian hosts only; the lake
 * and trace formats record this in their headers).
 */
#include <stdint.h>

#include "common/simtime.h"

#define EVENT_NONE UINT32_MAX

enum event_type {
	EVENT_APP_OPEN = 1,    /* user opened the app: a session starts (session) */
	EVENT_IMPRESSION,      /* show shown on the home page at `position` (0-based); value =
				* the logging policy's propensities when logged
				* (event_pack_propensities), else 0 */
	EVENT_LISTEN_START,    /* user tuned in to a live show; source in `source` */
	EVENT_LISTEN_END,      /* user stopped listening; value = duration (us) */
	EVENT_LIKE,            /* user liked the show */
	EVENT_FOLLOW,          /* user followed the show's creator */
	EVENT_NOTIFY_ENABLE,   /* user enabled notifications for the creator's shows */
	EVENT_SHOW_SCHEDULED,  /* a show was announced; value = scheduled start (simtime) */
	EVENT_SHOW_LIVE,       /* a show went live */
	EVENT_SHOW_END,        /* a show ended; value = actual duration (us) */
	EVENT_PROMO_POST,      /* a creator posted a promotion; value = extra sessions expected */
	EVENT_TYPE_COUNT
};

/* Where a tune-in came from (event.source). */
enum event_source {
	EVENT_SOURCE_NONE = 0,
	EVENT_SOURCE_HOME = 1,        /* a home-page slot */
	EVENT_SOURCE_NOTIFICATION = 2,/* a "creator is live" notification */
	EVENT_SOURCE_PROMO = 3,       /* a promotional post / share */
	EVENT_SOURCE_TRACE = 4,       /* replayed from an external trace */
};

struct event {
	uint64_t id;          /* unique within a run, > 0 */
	simtime emit_time;    /* when the backend emitted it */
	int64_t value;        /* type-specific, see enum event_type */
	uint32_t user;        /* EVENT_NONE for show events */
	uint32_t show;        /* EVENT_NONE for app_open */
	uint32_t creator;     /* creator of `show`, or EVENT_NONE */
	uint32_t session;     /* app session id, or EVENT_NONE */
	uint16_t topic;       /* topic of `show`, or UINT16_MAX */
	uint16_t position;    /* impression slot, or UINT16_MAX */
	uint8_t type;         /* enum event_type */
	uint8_t source;       /* enum event_source */
	uint8_t pad[2];
};

_Static_assert(sizeof(struct event) == 48, "struct event is part of file formats");

/* An impression's logged propensities packed into its value: the
 * conditional P(show at the slot | the slots above) in the low 32 bits and
 * the marginal P(show at the slot) in the high 32, each a float32; 0 when
 * none was logged (a deterministic page).  A NaN marginal is stored as 0
 * (unknown). */
int64_t event_pack_propensities(double cond, double marg);
/* The propensities of an impression's value: NaN when none (0 bits). */
void event_propensities(int64_t value, double *cond, double *marg);

/* Lowercase name of a type ("listen_start"); "unknown" when out of range. */
const char *event_type_name(int type);
/* Type for a name, or -1. */
int event_type_from_name(const char *name);

#endif
