#ifndef AIRTIME_SIMTIME_H
#define AIRTIME_SIMTIME_H
/*
 * Simulated time: int64 microseconds since the scenario epoch, which is
 * midnight UTC of the scenario's start date ([run] start_date).  All sim,
 * engine and eval code uses this type; wall-clock time never enters results.
 */
#include <stdint.h>

typedef int64_t simtime;

#define SIMTIME_US   ((simtime)1)
#define SIMTIME_MS   ((simtime)1000)
#define SIMTIME_S    ((simtime)1000000)
#define SIMTIME_MIN  (60 * SIMTIME_S)
#define SIMTIME_HOUR (60 * SIMTIME_MIN)
#define SIMTIME_DAY  (24 * SIMTIME_HOUR)
#define SIMTIME_NEVER INT64_MAX

static inline double simtime_to_s(simtime t) { return (double)t / 1e6; }
static inline double simtime_to_ms(simtime t) { return (double)t / 1e3; }
static inline simtime simtime_from_s(double s) { return (simtime)(s * 1e6 + (s >= 0 ? 0.5 : -0.5)); }

#endif
