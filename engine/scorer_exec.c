/* A ranker in a child process; see scorer_exec.h. */
#define _GNU_SOURCE /* pipe2, F_SETPIPE_SZ, posix_spawn_file_actions_addclosefrom_np */
#include "engine/scorer_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "engine/scorer_wire.h"


#define PIPE_SIZE (1 << 20)
#define NS_PER_S INT64_C(1000000000)
/* BYE's reply, and the exit after it. */
#define BYE_TIMEOUT (5 * NS_PER_S)
/* A child whose output closed: time to exit before it is killed. */
#define EXIT_GRACE (2 * NS_PER_S)
/* Lines and bytes of the child's standard error quoted in a message. */
#define TAIL_LINES 4
#define TAIL_BYTES 480

struct exec {
	char *name, *command;
	char *label;                  /* READY's name */
	pid_t pid;                    /* 0 once reaped */
	int status;                   /* its wait status, once reaped */
	int to_child, from_child;     /* our pipe ends; -1 when closed */
	char *stderr_path;
	uint32_t seq, n_features;
	int64_t timeout_ns, fit_timeout_ns;
	uint64_t ns_per_candidate;
	struct wire_buf out;          /* the request being sent */
	unsigned char *in;            /* the reply being read */
	size_t in_cap;
};

static int64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* write(2) that cannot raise SIGPIPE: the signal is blocked in this
 * thread for the call, and one it raised is taken off the pending set. */
static ssize_t write_nosigpipe(int fd, const void *p, size_t n)
{
	sigset_t pipe_set, old, pending;
	struct timespec zero = { 0, 0 };
	bool was_pending;
	ssize_t w;
	int e;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	w = write(fd, p, n);
	e = errno;
	if (w < 0 && e == EPIPE && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return w;
}

/* Reap the child if it has exited, waiting at most wait_ns. */
static bool reaped(struct exec *x, int64_t wait_ns)
{
	int64_t until = host_ns() + wait_ns;

	for (;;) {
		pid_t r = waitpid(x->pid, &x->status, WNOHANG);

		if (r == x->pid || (r < 0 && errno == ECHILD)) {
			x->pid = 0;
			return true;
		}
		if (host_ns() >= until)
			return false;
		nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
	}
}

/* Stop the child: input closed first (a well-behaved ranker exits on it),
 * then SIGTERM and SIGKILL to its process group; reaped in any case. */
static void stop(struct exec *x, int64_t grace_ns)
{
	close_fd(&x->to_child);
	if (!x->pid)
		goto out;
	if (grace_ns > 0 && reaped(x, grace_ns))
		goto out;
	if (grace_ns > 0) {
		kill(-x->pid, SIGTERM);
		if (reaped(x, NS_PER_S))
			goto out;
	}
	kill(-x->pid, SIGKILL);
	while (waitpid(x->pid, &x->status, 0) < 0 && errno == EINTR)
		;
	x->pid = 0;
out:
	close_fd(&x->from_child);
}

/* "exited with status 1", "was killed by signal 11 (Segmentation fault)". */
static void describe_status(int status, char *buf, size_t n)
{
	if (WIFEXITED(status))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, n, "ended with wait status %d", status);
}

/* Copy the child's standard error out of the run directory (a failed run
 * removes it) into TMPDIR; the copy's path, or NULL. */
static char *keep_stderr(const struct exec *x)
{
	const char *tmp = getenv("TMPDIR");
	char *path = xasprintf("%s/airtime-%s-XXXXXX.stderr", tmp && *tmp ? tmp : "/tmp",
			       x->name);
	int in = open(x->stderr_path, O_RDONLY | O_CLOEXEC), out = -1;
	char buf[65536];
	ssize_t r;
	bool ok = in >= 0;

	if (ok)
		ok = (out = mkstemps(path, 7)) >= 0;
	while (ok && (r = read(in, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			ok = errno == EINTR;
			continue;
		}
		for (ssize_t off = 0; ok && off < r;) {
			ssize_t w = write(out, buf + off, (size_t)(r - off));

			if (w < 0)
				ok = errno == EINTR;
			else
				off += w;
		}
	}
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0)
		ok = false;
	if (!ok) {
		if (out >= 0)
			unlink(path);
		free(path);
		return NULL;
	}
	return path;
}

/* The last lines of the child's standard error, indented, into buf. */
static void stderr_tail(const struct exec *x, char *buf, size_t n)
{
	char raw[TAIL_BYTES + 1];
	int fd = open(x->stderr_path, O_RDONLY | O_CLOEXEC);
	off_t size;
	ssize_t got = 0;
	size_t o = 0, start;
	int lines = 0;

	buf[0] = '\0';
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > 0) {
		off_t from = size > TAIL_BYTES ? size - TAIL_BYTES : 0;

		got = pread(fd, raw, (size_t)(size - from), from);
	}
	close(fd);
	if (got <= 0)
		return;
	while (got > 0 && (raw[got - 1] == '\n' || raw[got - 1] == '\r'))
		got--;
	raw[got] = '\0';
	/* back up TAIL_LINES line starts */
	start = (size_t)got;
	while (start > 0 && lines < TAIL_LINES) {
		start--;
		if (raw[start] == '\n' && ++lines == TAIL_LINES) {
			start++;
			break;
		}
	}
	for (size_t i = start; raw[i] && o + 8 < n; i++) {
		if (i == start || raw[i - 1] == '\n')
			o += (size_t)snprintf(buf + o, n - o, "\n    | ");
		if (raw[i] != '\n' && raw[i] != '\r')
			buf[o++] = (unsigned char)raw[i] < 0x20 ? ' ' : raw[i];
	}
	buf[o] = '\0';
}

/* After a failure: stop and reap the child now, and add its exit, where
 * its standard error is kept and the error's last lines to err. */
static int fail(struct exec *x, struct error *err, bool died)
{
	char status[96] = "", tail[TAIL_BYTES + 64], *kept;
	struct error e = *err;

	stop(x, died ? EXIT_GRACE : 0);
	if (died)
		describe_status(x->status, status, sizeof(status));
	kept = keep_stderr(x);
	stderr_tail(x, tail, sizeof(tail));
	error_set(err, e.code ? e.code : ERR_RUN, "%s%s%s%s; its standard error: %s%s%s", e.msg,
		  died ? " (the process " : "", status, died ? ")" : "",
		  kept ? kept : x->stderr_path, tail[0] ? ", last lines:" : " (empty)", tail);
	free(kept);
	return err->code;
}

/* Send x->out (a request of type `type`) and read its reply, of type
 * `want`, into x->in (header into *h), all within timeout_ns of host time;
 * key names the [ranker.NAME] key that set the limit, or NULL. */
static int exchange(struct exec *x, uint32_t type, uint32_t want, int64_t timeout_ns,
		    const char *key, struct wire_header *h, struct error *err)
{
	int64_t deadline = host_ns() + timeout_ns;
	size_t sent = 0, got = 0, need = WIRE_HEADER;
	bool header = false;
	char a[32];

	if (x->to_child < 0 || x->from_child < 0)
		return error_set(err, ERR_RUN, "the ranker process is not running");
	while (got < need) {
		struct pollfd fds[2];
		nfds_t nf = 0, rd;
		int64_t left = deadline - host_ns();
		int r;

		if (left <= 0) {
			char t[48];

			snprintf(t, sizeof(t), "%.3g s", (double)timeout_ns / NS_PER_S);
			if (key)
				error_set(err, ERR_RUN, "no reply to %s within %s ([ranker.%s] %s)",
					  wire_type_name(type, a, sizeof(a)), t, x->name, key);
			else
				error_set(err, ERR_RUN, "no reply to %s within %s",
					  wire_type_name(type, a, sizeof(a)), t);
			return fail(x, err, false);
		}
		if (sent < x->out.n)
			fds[nf++] = (struct pollfd){ x->to_child, POLLOUT, 0 };
		rd = nf;
		fds[nf++] = (struct pollfd){ x->from_child, POLLIN, 0 };
		r = poll(fds, nf, (int)(left / 1000000 + 1 < INT_MAX ? left / 1000000 + 1 : INT_MAX));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			error_set(err, ERR_RUN, "poll: %s", strerror(errno));
			return fail(x, err, false);
		}
		if (rd == 1 && fds[0].revents) {
			ssize_t w = write_nosigpipe(x->to_child, x->out.p + sent, x->out.n - sent);

			if (w < 0 && errno != EAGAIN && errno != EINTR) {
				error_set(err, ERR_RUN, "the ranker stopped reading its input (%s)",
					  strerror(errno));
				return fail(x, err, true);
			}
			if (w > 0)
				sent += (size_t)w;
		}
		if (fds[rd].revents) {
			ssize_t n;

			XGROW(x->in, need, x->in_cap);
			n = read(x->from_child, x->in + got, need - got);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n < 0) {
				error_set(err, ERR_RUN, "reading the ranker's output: %s", strerror(errno));
				return fail(x, err, false);
			}
			if (n == 0) {
				error_set(err, ERR_RUN, "the ranker closed its output%s",
					  got ? " in the middle of a reply" : "");
				return fail(x, err, true);
			}
			got += (size_t)n;
			if (!header && got >= WIRE_HEADER) {
				if (wire_parse_header(x->in, h, err) < 0)
					return fail(x, err, false);
				header = true;
				need = WIRE_HEADER + h->length;
			}
		}
	}
	if (sent < x->out.n && h->type != WIRE_ERROR) {
		error_set(err, ERR_RUN, "the ranker replied %s before reading the whole request",
			  wire_type_name(h->type, a, sizeof(a)));
		return fail(x, err, false);
	}
	if (wire_check_reply(h, x->in + WIRE_HEADER, want, x->seq, err) < 0)
		/* a ranker exits after ERROR: its status is worth quoting */
		return fail(x, err, h->type == WIRE_ERROR);
	return 0;
}

/* The payload of the reply just read. */
static const unsigned char *payload(const struct exec *x)
{
	return x->in + WIRE_HEADER;
}

static int exec_fit(void *self, const struct airtime_training_set *set, simtime now,
		    struct error *err)
{
	struct exec *x = self;
	struct wire_header h;

	(void)now;
	if (wire_fit(&x->out, ++x->seq, set, err) < 0)
		return err->code;
	if (exchange(x, WIRE_FIT, WIRE_FITTED, x->fit_timeout_ns, "fit_timeout", &h, err) < 0)
		return err->code;
	if (wire_empty(payload(x), h.length, h.type, err) < 0)
		return fail(x, err, false);
	return 0;
}

static int exec_score(void *self, const struct airtime_page *page, double *scores,
		      struct scorer_cost *cost, struct error *err)
{
	struct exec *x = self;
	struct wire_header h;

	wire_score(&x->out, ++x->seq, page, x->n_features);
	if (exchange(x, WIRE_SCORE, WIRE_SCORES, x->timeout_ns, "timeout", &h, err) < 0)
		return err->code;
	if (wire_scores(payload(x), h.length, page->n, scores, err) < 0)
		return fail(x, err, false);
	cost->service_ns = x->ns_per_candidate * page->n;
	return 0;
}

static int exec_close(void *self, struct error *err)
{
	struct exec *x = self;
	struct wire_header h;
	char status[96];

	wire_bye(&x->out, ++x->seq);
	if (exchange(x, WIRE_BYE, WIRE_BYE_REPLY, BYE_TIMEOUT, NULL, &h, err) < 0)
		return err->code;
	if (wire_empty(payload(x), h.length, h.type, err) < 0)
		return fail(x, err, false);
	close_fd(&x->to_child);
	if (!reaped(x, BYE_TIMEOUT)) {
		error_set(err, ERR_RUN, "the ranker did not exit within 5 s of BYE");
		return fail(x, err, false);
	}
	close_fd(&x->from_child);
	if (!WIFEXITED(x->status) || WEXITSTATUS(x->status) != 0) {
		describe_status(x->status, status, sizeof(status));
		error_set(err, ERR_RUN, "the ranker %s after BYE; it must exit with status 0", status);
		return fail(x, err, false);
	}
	return 0;
}

static void exec_destroy(void *self)
{
	struct exec *x = self;

	if (!x)
		return;
	/* input closed without BYE: the run failed elsewhere */
	stop(x, EXIT_GRACE);
	wire_buf_release(&x->out);
	free(x->in);
	free(x->name);
	free(x->command);
	free(x->label);
	free(x->stderr_path);
	free(x);
}

static const struct scorer_ops exec_ops = {
	.kind = "exec",
	.needs_features = true,
	.fit = exec_fit,
	.score = exec_score,
	.close = exec_close,
	.destroy = exec_destroy,
};

/* Start /bin/sh -c command with our pipes and the stderr file. */
static int spawn(struct exec *x, struct error *err)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errfd = -1, rc = 0;
	char *argv[] = { "sh", "-c", x->command, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		rc = error_set(err, ERR_RUN, "cannot make a pipe: %s", strerror(errno));
		goto out;
	}
	errfd = open(x->stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (errfd < 0) {
		rc = error_set(err, ERR_IO, "cannot create '%s': %s", x->stderr_path, strerror(errno));
		goto out;
	}
	/* best effort: a whole page in one write */
	fcntl(in[1], F_SETPIPE_SZ, PIPE_SIZE);
	fcntl(out[0], F_SETPIPE_SZ, PIPE_SIZE);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGCHLD);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
				      POSIX_SPAWN_SETPGROUP);
	errno = posix_spawn(&x->pid, "/bin/sh", &fa, &at, argv, environ);
	if (errno) {
		x->pid = 0;
		rc = error_set(err, ERR_RUN, "cannot start /bin/sh: %s", strerror(errno));
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc == 0) {
		x->to_child = in[1];
		x->from_child = out[0];
		in[1] = out[0] = -1;
		fcntl(x->to_child, F_SETFL, fcntl(x->to_child, F_GETFL) | O_NONBLOCK);
		fcntl(x->from_child, F_SETFL, fcntl(x->from_child, F_GETFL) | O_NONBLOCK);
	}
out:
	for (int i = 0; i < 2; i++) {
		close_fd(&in[i]);
		close_fd(&out[i]);
	}
	close_fd(&errfd);
	return rc;
}

struct scorer *scorer_exec_new(const struct scorer_config *cfg,
			       const struct airtime_schema *schema, const char *stderr_dir,
			       struct error *err)
{
	struct exec *x = xcalloc(1, sizeof(*x));
	struct wire_header h;
	uint32_t api;

	x->name = xstrdup(cfg->name);
	x->command = xstrdup(cfg->command);
	x->to_child = x->from_child = -1;
	x->stderr_path = xasprintf("%s/%s.stderr", stderr_dir ? stderr_dir : ".", cfg->name);
	x->n_features = schema->n_features;
	x->timeout_ns = cfg->timeout * 1000;
	x->fit_timeout_ns = cfg->fit_timeout * 1000;
	x->ns_per_candidate = (uint64_t)cfg->cost_per_candidate * 1000;
	if (!cfg->command[0]) {
		error_set(err, ERR_INPUT, "kind = exec needs a command");
		goto fail;
	}
	if (spawn(x, err) < 0)
		goto fail;
	wire_hello(&x->out, ++x->seq, schema);
	if (exchange(x, WIRE_HELLO, WIRE_READY, x->fit_timeout_ns, "fit_timeout", &h, err) < 0)
		goto fail;
	if (wire_ready(payload(x), h.length, &api, &x->label, err) < 0) {
		fail(x, err, false);
		goto fail;
	}
	if (api != AIRTIME_SCORER_API_VERSION) {
		error_set(err, ERR_RUN, "the ranker speaks scorer API version %u; airtime speaks version %d",
			  api, AIRTIME_SCORER_API_VERSION);
		fail(x, err, false);
		goto fail;
	}
	return scorer_wrap(cfg->name, &exec_ops, x, SCORER_CHECKED | SCORER_TIMED);
fail:
	error_prefix(err, "ranker '%s' (command '%s') failed to start: ", cfg->name, cfg->command);
	exec_destroy(x);
	return NULL;
}

long scorer_exec_pid(const struct scorer *s)
{
	const struct exec *x = scorer_self(s, &exec_ops);

	return x ? (long)x->pid : 0;
}
