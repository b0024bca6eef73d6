/* Reading 1,000 shows' point-in-time features: the embedded store
 * (engine/online, one batched read in memory) against a real Redis on
 * loopback (engine/redisstore, one MGET round trip), side by side in one
 * run; and writing a batch of feature updates as one pipeline.
 *
 * Starts its own redis-server on a free loopback port (a socket bound to
 * port 0 tells which; --save '' --appendonly no) and stops it by pid; says
 * "skipped" when redis-server is not installed.  Host wall-clock figures,
 * nothing simulated.  Prints Markdown. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/rng.h"
#include "engine/online.h"
#include "engine/pit.h"
#include "engine/redisstore.h"

enum { NSHOWS = 20000, N = 1000, READS = 2000, WRITES = 200 };

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static double q(int64_t *v, size_t n, double p)
{
	size_t r = (size_t)ceil(p * (double)n);

	qsort(v, n, sizeof(*v), cmp_i64);
	return (double)v[(r ? r : 1) - 1] / 1e3;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* redis-server on a free port; its pid, or -1. */
static pid_t start_redis(char *url, size_t n)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		int port = free_port(), status;
		char p[16];
		pid_t pid;

		if (port < 0)
			return -1;
		snprintf(p, sizeof(p), "%d", port);
		if ((pid = fork()) < 0)
			return -1;
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR);

			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1",
			       "--save", "", "--appendonly", "no", (char *)NULL);
			_exit(127);
		}
		snprintf(url, n, "redis://127.0.0.1:%d/0", port);
		for (int k = 0; k < 250; k++) {
			struct timespec ts = { 0, 20000000 };
			struct redisstore *rs;
			struct error e;

			if (waitpid(pid, &status, WNOHANG) == pid) {
				if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
					return -1;   /* not installed */
				break;           /* the port was taken: another one */
			}
			if ((rs = redisstore_open(url, "probe", 200, &e))) {
				redisstore_free(rs);
				return pid;
			}
			nanosleep(&ts, NULL);
		}
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	return -1;
}

int main(void)
{
	struct online_table_spec tables[1] = { { NSHOWS, PIT_SHOW_FEATURES } };
	static int64_t emb[READS], red[READS], wr[WRITES];
	static float out[N * PIT_SHOW_FEATURES], val[N * PIT_SHOW_FEATURES];
	static simtime at[N * PIT_SHOW_FEATURES];
	static uint32_t ids[N];
	struct online_config oc;
	struct redisstore *rs;
	struct online *o;
	struct error e;
	struct rng r;
	char url[64];
	pid_t pid;
	int status;

	printf("Reading the point-in-time features (%d floats each) of %d shows out of %d: the\n"
	       "embedded store (one batched read in memory) against a real Redis on loopback (one\n"
	       "MGET of %d keys: one round trip), %d reads each; then %d pipelines of %d cell\n"
	       "writes (SETRANGE).  Microseconds, host wall clock.\n\n", PIT_SHOW_FEATURES, N,
	       NSHOWS, N, READS, WRITES, N);
	pid = start_redis(url, sizeof(url));
	if (pid < 0) {
		printf("- skipped: redis-server is not installed (apt-get install redis-server) or "
		       "did not start\n");
		return 0;
	}
	online_config_init(&oc);
	if (!(o = online_new(&oc, tables, 1, &e)) ||
	    !(rs = redisstore_open(url, "bench", 5000, &e))) {
		printf("- failed: %s\n", e.msg);
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		return 1;
	}
	rng_init(&r, 7, RNG_TEST, 0, 0);
	for (uint32_t s = 0; s < NSHOWS; s++)
		for (int f = 0; f < PIT_SHOW_FEATURES; f++) {
			float v = (float)rng_below(&r, 1000);

			online_write(o, 0, s, f, v, 1, 0, 1, NULL);
			redisstore_stage(rs, 0, s, f, v, 1);
		}
	if (redisstore_flush(rs, &e) < 0) {
		printf("- failed: %s\n", e.msg);
		goto out;
	}
	for (int k = 0; k < READS; k++) {
		int64_t t0, t1, t2;

		for (int i = 0; i < N; i++)
			ids[i] = (uint32_t)rng_below(&r, NSHOWS);
		t0 = now_ns();
		online_read(o, 0, ids, N, out, 2);
		t1 = now_ns();
		if (redisstore_read(rs, 0, ids, N, PIT_SHOW_FEATURES, val, at, &e) < 0) {
			printf("- failed: %s\n", e.msg);
			goto out;
		}
		t2 = now_ns();
		emb[k] = t1 - t0;
		red[k] = t2 - t1;
		if (memcmp(out, val, sizeof(out)) != 0) {
			printf("- failed: Redis returned other values than the embedded store\n");
			goto out;
		}
	}
	for (int k = 0; k < WRITES; k++) {
		int64_t t0;

		for (int i = 0; i < N; i++)
			redisstore_stage(rs, 0, (uint32_t)rng_below(&r, NSHOWS), i % PIT_SHOW_FEATURES,
					 (float)i, 2);
		t0 = now_ns();
		if (redisstore_flush(rs, &e) < 0) {
			printf("- failed: %s\n", e.msg);
			goto out;
		}
		wr[k] = now_ns() - t0;
	}
	printf("| read of %d shows | median (us) | p99 (us) | max (us) |\n|---|---:|---:|---:|\n",
	       N);
	printf("| embedded store (engine/online) | %.1f | %.1f | %.1f |\n", q(emb, READS, 0.5),
	       q(emb, READS, 0.99), q(emb, READS, 1));
	printf("| Redis on loopback (one MGET) | %.1f | %.1f | %.1f |\n", q(red, READS, 0.5),
	       q(red, READS, 0.99), q(red, READS, 1));
	printf("| Redis pipeline of %d writes | %.1f | %.1f | %.1f |\n", N, q(wr, WRITES, 0.5),
	       q(wr, WRITES, 0.99), q(wr, WRITES, 1));
	printf("\nEvery Redis read returned the embedded store's values, bit for bit.  Target "
	       "([slo] feature_read, store_read): < 20 ms for 1,000 shows.\n");
out:
	redisstore_free(rs);
	online_free(o);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return 0;
}
