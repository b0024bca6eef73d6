/* libFuzzer: HTTP request handling of `airtime serve` (libmicrohttpd and
 * serve/server.c's limits, routing, parameters, token), in process over
 * loopback: each input is sent as the bytes of one connection, the answer
 * read (bounded by a 2 s timeout).  The server serves a tiny run made once
 * (from scenarios/default.ini: run from the top of the tree) and kept in
 * AIRTIME_FUZZ_RUN (default build-fuzz/http-run). */
#include "fuzz/fuzz_mem.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "common/scenario.h"
#include "common/xalloc.h"
#include "config/config.h"
#include "eval/run.h"
#include "serve/servedir.h"
#include "serve/server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct server *srv;
static uint16_t port;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const sets[] = {
		"world.users=300", "world.creators=60", "run.warmup_days=1",
		"run.experiment_days=1", "model.trees=5", "model.sample_sessions=100%",
		"report.plots=false",
	};
	const char *dir = getenv("AIRTIME_FUZZ_RUN") ? getenv("AIRTIME_FUZZ_RUN")
						     : "build-fuzz/http-run";
	struct server_options o;
	struct error err = { 0 };
	struct servedir *d;
	struct stat st;

	(void)argc;
	(void)argv;
	if (stat(dir, &st) != 0) {
		struct run_options ro = { .out = dir };
		struct run_summary sum;
		struct scenario *sc = scenario_load(&config_schema, "scenarios/default.ini", sets,
						    sizeof(sets) / sizeof(sets[0]), &err);

		if (!sc || run_execute(sc, &ro, &sum, &err) < 0) {
			fprintf(stderr, "fuzz_http: making the run: %s\n", err.msg);
			abort();
		}
		scenario_free(sc);
	}
	if (!(d = servedir_open(dir, NULL, &err))) {
		fprintf(stderr, "fuzz_http: %s\n", err.msg);
		abort();
	}
	server_options_defaults(&o);
	o.port = 0;
	o.threads = 2;
	o.token = "fuzz-token";
	if (!(srv = server_start(d, &o, &err))) {
		fprintf(stderr, "fuzz_http: %s\n", err.msg);
		abort();
	}
	port = server_port(srv);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 2 };
	char buf[65536];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		for (size_t off = 0; off < size;) {
			ssize_t k = send(fd, data + off, size - off, MSG_NOSIGNAL);

			if (k <= 0)
				break;
			off += (size_t)k;
		}
		shutdown(fd, SHUT_WR);
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			;
	}
	close(fd);
	return 0;
}
