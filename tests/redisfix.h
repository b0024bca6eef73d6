#ifndef AIRTIME_TESTS_REDISFIX_H
#define AIRTIME_TESTS_REDISFIX_H
/*
 * A redis-server of the test's own, on loopback: a free port is found by
 * binding a socket to 127.0.0.1:0 (redis has no --port 0), then
 * `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no` is
 * started and waited for until it answers PING (5 s at most); if it exits
 * (the port was taken meanwhile) another port is tried, 5 times.  Stopped
 * by its pid (SIGTERM, then SIGKILL after 3 s).  A missing redis-server
 * fails the test with the package to install (CI installs it: .ci/deps).
 */
#include <sys/types.h>

struct redisfix {
	pid_t pid;
	int port;
	char url[64];      /* redis://127.0.0.1:PORT/0 */
};

/* Start it (aborts the test on failure). */
void redisfix_start(struct redisfix *r);
/* Stop it; a stopped or never started one is a no-op. */
void redisfix_stop(struct redisfix *r);

/* The suite-wide one, as an unchecked Check fixture (with tmpdir). */
extern struct redisfix redisfix;
void redisfix_setup(void);
void redisfix_teardown(void);

#endif
