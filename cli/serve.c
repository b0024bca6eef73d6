/*
 * `airtime serve`: home pages of a run directory over HTTP.
 */
#include "cli/cli.h"
#include "common/simtime.h"
#include "engine/rank.h"
#include "serve/servedir.h"
#include "serve/server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmd_serve(int argc, char **argv)
{
	struct server_options o;
	struct servedir_options so = { 0 };
	struct servedir *d = NULL;
	struct server *srv = NULL;
	const char *path = NULL, *token_file = NULL;
	char token[512];
	uint64_t port;
	struct error e;
	sigset_t set;
	int code, sig, clock = -1;
	static const char *const clocks[] = { "fixed", "wall", NULL };   /* enum order */
	const struct cliopt table[] = {
		CLIOPT_CHOICE("--clock", "a value", clocks, "bad --clock '%s' (fixed or wall)",
			      &clock),
		CLIOPT_VALUE("--speed", NULL, "a value", cliopt_positive, &o.speed),
		CLIOPT_UINT("--port", cliopt_uint, &port, 0, 65535),
		CLIOPT_VALUE("--bind", NULL, "a value", cliopt_string, &o.bind),
		CLIOPT_UINT("--threads", cliopt_size, &o.threads, 1, 256),
		{ .name = "--at", .needs = "a value", .take = cliopt_duration, .target = &so.at,
		  .seen = &so.at_set },
		CLIOPT_FLAG("--strict-store", NULL, &so.strict_store),
		CLIOPT_VALUE("--token-file", NULL, "a value", cliopt_string, &token_file),
		CLIOPT_UINT("--queue", cliopt_size, &o.queue, 1, 1000000),
		CLIOPT_UINT("--max-connections", cliopt_size, &o.max_connections, 1, 1000000),
		CLIOPT_ONE_OPERAND("one run directory", "missing RUN_DIR", &path),
		CLIOPT_END,
	};

	server_options_defaults(&o);
	port = o.port;
	if ((code = cliopt_parse("serve", argc, argv, 1, table)))
		return code;
	o.port = (uint16_t)port;
	if (token_file) {
		FILE *f = fopen(token_file, "r");
		size_t n;

		if (!f) {
			fprintf(stderr, "airtime: cannot read token file '%s': %s\n", token_file,
				strerror(errno));
			return EXIT_USAGE;
		}
		n = fread(token, 1, sizeof(token) - 1, f);
		fclose(f);
		token[n] = '\0';
		while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r' ||
				 token[n - 1] == ' ' || token[n - 1] == '\t'))
			token[--n] = '\0';
		if (n == 0 || strpbrk(token, "\r\n")) {
			fprintf(stderr, "airtime: token file '%s': expected one non-empty line\n",
				token_file);
			return EXIT_USAGE;
		}
		o.token = token;
	}
	if (clock >= 0)
		o.clock = (enum server_clock)clock;
	/* A moving clock starts at the experiment's start unless --at says. */
	if (o.clock == SERVER_CLOCK_WALL && !so.at_set) {
		struct servedir *probe;

		error_clear(&e);
		if (!(probe = servedir_open(path, &so, &e)))
			return cli_fail(&e);
		so.at = servedir_experiment_start(probe);
		so.at_set = true;
		servedir_free(probe);
	}
	error_clear(&e);
	if (!(d = servedir_open(path, &so, &e)))
		return cli_fail(&e);
	if (servedir_store_warning(d))
		fprintf(stderr, "airtime: warning: %s\n", servedir_store_warning(d));
	/* Signals are taken by sigwait below, not by the server's threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (!(srv = server_start(d, &o, &e))) {
		code = cli_fail(&e);
		goto out;
	}
	printf("serving %s on http://%s%s%s:%u/ (%u users, %zu candidates, %s, %zu threads)\n"
	       "  GET /v1/recommendations?user=ID&k=K   /healthz   /metrics   (Ctrl-C stops)\n",
	       path, strchr(o.bind, ':') ? "[" : "", o.bind, strchr(o.bind, ':') ? "]" : "",
	       (unsigned)server_port(srv), servedir_users(d), servedir_candidates(d),
	       servedir_model(d) ? "forest model" : "no model: heuristic", o.threads);
	if (o.clock == SERVER_CLOCK_WALL)
		printf("  serving time: from %.3f h, %g simulated s per wall s, until the horizon "
		       "%.3f h\n", (double)servedir_time(d) / SIMTIME_HOUR, o.speed,
		       (double)servedir_horizon(d) / SIMTIME_HOUR);
	else
		printf("  serving time: fixed at %.3f h\n", (double)servedir_time(d) / SIMTIME_HOUR);
	fflush(stdout);
	sigwait(&set, &sig);
	printf("stopping (%s) after %llu requests\n", sig == SIGINT ? "interrupt" : "terminate",
	       (unsigned long long)server_requests(srv));
	code = EXIT_OK;
out:
	server_stop(srv);
	servedir_free(d);
	return code;
}

const struct cli_command cli_serve = {
	"serve", "serve RUN_DIR [--port P] [--bind ADDR] [--threads N] [--at TIME]\n"
	"         [--clock fixed|wall] [--speed X] [--token-file FILE] [--queue N]\n"
	"         [--max-connections N] [--strict-store]",
	"Serve home pages of a run directory over HTTP (libmicrohttpd) until interrupted:\n"
	"  GET /v1/recommendations?user=ID[&k=K][&scorer=NAME]   JSON page\n"
	"  GET /healthz                                           JSON status\n"
	"  GET /metrics                                           Prometheus text format\n"
	"Binds 127.0.0.1:8080 by default (--port 0 picks a free port, printed).  Bad\n"
	"parameters get 400 with a JSON error; users beyond the population get the\n"
	"cold-start page (heuristic, no declared topics).  Connections are kept alive.\n\n"
	"Limits: a URI over 8 KiB or with over 64 parameters gets 414, oversized headers\n"
	"431; connections idle 10 s are closed (--max-connections, default 8192); a page\n"
	"request finding --queue requests waiting (default 4 per thread) gets 503 with\n"
	"Retry-After.  --token-file FILE requires 'Authorization: Bearer TOKEN' (all but\n"
	"/healthz) and is required to --bind beyond loopback.  online.log: an unsealed or\n"
	"damaged log is served with a warning naming what was skipped; --strict-store\n"
	"refuses it.\n\n"
	"Serving time: pages are ranked as of a simulated time T: the catalog's live and\n"
	"upcoming shows at T and the point-in-time features stored at or before T (the\n"
	"run's online.log, replayed up to T).\n"
	"  --clock fixed    T stays at --at (default: the end of the experiment)\n"
	"  --clock wall     T starts at --at (default: the start of the experiment) and\n"
	"                   advances --speed simulated seconds per wall second (default 1),\n"
	"                   in 50 ms steps, until the end of the run, where it stays; the\n"
	"                   catalog and the features advance with it\n"
	"/healthz and every page give T (serving_time_us); /metrics has\n"
	"airtime_serving_time_seconds.",
	cmd_serve,
};
