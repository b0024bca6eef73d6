/* A null HTTP target for measuring the load generator itself: libmicrohttpd
 * answering every request with the same small JSON page from memory, no
 * work at all.  `nullserver [PORT]` (0 or none: a free port) prints
 * "listening on http://127.0.0.1:PORT/" and serves on loopback until
 * SIGTERM or SIGINT.  Used by bench/run-all.sh. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

static const char page[] = "{\"user\":0,\"k\":1,\"shows\":[{\"show\":1,\"score\":0.5}]}\n";
static struct MHD_Response *resp;

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *data,
			       size_t *size, void **con_cls)
{
	(void)cls, (void)url, (void)method, (void)version, (void)data;
	/* Answer once the request is complete: the connection stays open. */
	if (!*con_cls) {
		*con_cls = c;
		return MHD_YES;
	}
	*size = 0;
	return MHD_queue_response(c, 200, resp);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	sigset_t set;
	int sig;

	a.sin_port = htons(argc > 1 ? (uint16_t)strtoul(argv[1], NULL, 10) : 0);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	resp = MHD_create_response_from_buffer(strlen(page), (void *)page, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
			     MHD_USE_TURBO, 0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &a,
			     MHD_OPTION_THREAD_POOL_SIZE, 2u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "nullserver: cannot listen\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("listening on http://127.0.0.1:%u/\n", info ? (unsigned)info->port : 0u);
	fflush(stdout);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	MHD_destroy_response(resp);
	return 0;
}
