/* A test's own redis-server on a free loopback port; see redisfix.h. */
#include "tests/redisfix.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis.h>

struct redisfix redisfix;

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	ck_assert_int_ge(fd, 0);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool answers(int port)
{
	struct timeval tv = { 0, 200000 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	redisReply *r;
	bool ok = false;

	if (c && !c->err) {
		redisSetTimeout(c, tv);
		r = redisCommand(c, "PING");
		ok = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
		if (r)
			freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return ok;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool have_redis_server(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		struct stat sb;

		snprintf(buf, sizeof(buf), "%.*s/redis-server", (int)n, p);
		if (stat(buf, &sb) == 0 && (sb.st_mode & S_IXUSR))
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

void redisfix_start(struct redisfix *r)
{
	ck_assert_msg(have_redis_server(), "redis-server not found: install the Debian package "
		      "redis-server (.ci/deps installs it)");
	for (int attempt = 0; attempt < 5; attempt++) {
		char port[16];
		int status;
		pid_t pid;

		r->port = free_port();
		snprintf(port, sizeof(port), "%d", r->port);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR);

			if (null >= 0) {
				dup2(null, 0);
				dup2(null, 1);
				dup2(null, 2);
			}
			execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1",
			       "--save", "", "--appendonly", "no", "--daemonize", "no",
			       (char *)NULL);
			_exit(127);
		}
		for (int k = 0; k < 250; k++) {   /* 5 s */
			if (waitpid(pid, &status, WNOHANG) == pid) {
				pid = -1;   /* exited: the port was taken, or it cannot start */
				break;
			}
			if (answers(r->port)) {
				r->pid = pid;
				snprintf(r->url, sizeof(r->url), "redis://127.0.0.1:%d/0", r->port);
				return;
			}
			nap_ms(20);
		}
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
	}
	ck_abort_msg("redis-server did not start on a free loopback port (5 attempts)");
}

void redisfix_stop(struct redisfix *r)
{
	int status;

	if (r->pid <= 0)
		return;
	kill(r->pid, SIGTERM);
	for (int k = 0; k < 150; k++) {   /* 3 s */
		if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
			r->pid = 0;
			return;
		}
		nap_ms(20);
	}
	kill(r->pid, SIGKILL);
	waitpid(r->pid, &status, 0);
	r->pid = 0;
}

void redisfix_setup(void)
{
	redisfix_start(&redisfix);
}

void redisfix_teardown(void)
{
	redisfix_stop(&redisfix);
}
