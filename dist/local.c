/* Local worker processes over pipes; see dist.h.
 *
 * The wire, both ways a u64 length then that many bytes: the master sends
 * a task index (a pack of one u64), a worker answers with its result (see
 * dist_msg.h).  A closed task pipe tells a worker to exit. */
#define _GNU_SOURCE /* prctl's PR_SET_PDEATHSIG */
#include "dist/dist.h"
#include "dist/dist_msg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/xalloc.h"

struct worker {
	pid_t pid;
	int to_fd, from_fd;      /* tasks out, results in; -1 when closed */
	bool busy;
	size_t task;
	double handed_at;
	int id;                  /* 1..jobs, for the log */
};

double dist_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

unsigned dist_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

/* ---- plain I/O ------------------------------------------------------------ */

/* Read exactly len bytes: 1 when done, 0 at end of file before any byte
 * was read or in the middle (the writer died), -1 with errno. */
static int read_all(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t r = read(fd, p, len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 0;
		p += r;
		len -= (size_t)r;
	}
	return 1;
}

static int send_frame(int fd, const void *data, size_t len)
{
	unsigned char head[8];
	int e;

	for (int i = 0; i < 8; i++)
		head[i] = (unsigned char)((uint64_t)len >> (8 * i));
	if ((e = fdio_write_all(fd, head, sizeof(head))) != 0)
		return e;
	return len ? fdio_write_all(fd, data, len) : 0;
}

/* A frame into a new buffer: 1, 0 at end of file, -1 on error. */
static int recv_frame(int fd, unsigned char **data, size_t *len)
{
	unsigned char head[8];
	uint64_t n = 0;
	int r;

	*data = NULL;
	*len = 0;
	if ((r = read_all(fd, head, sizeof(head))) <= 0)
		return r;
	for (int i = 0; i < 8; i++)
		n |= (uint64_t)head[i] << (8 * i);
	if (n > ((uint64_t)1 << 32)) {
		errno = EPROTO;
		return -1;
	}
	*data = xmalloc((size_t)n + 1);
	if ((r = read_all(fd, *data, (size_t)n)) <= 0) {
		free(*data);
		*data = NULL;
		return r;
	}
	*len = (size_t)n;
	return 1;
}

/* ---- the worker process --------------------------------------------------- */

/* Close every descriptor but the standard streams and the two pipes: the
 * master's database handles and the study's lock must stay the master's. */
static void close_inherited(int keep_a, int keep_b)
{
	int fds[1024];
	size_t n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) && n < sizeof(fds) / sizeof(fds[0])) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd <= 2 || fd == keep_a || fd == keep_b ||
		    fd == dirfd(d))
			continue;
		fds[n++] = (int)fd;
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

static _Noreturn void worker_main(const struct dist_job *job, int in_fd, int out_fd,
				  pid_t parent)
{
	struct pack msg;
	char host[256];

	/* Die with the master: a killed study leaves no worker running. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	close_inherited(in_fd, out_fd);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	pack_init(&msg);
	for (;;) {
		unsigned char *data;
		size_t len;
		struct unpack u;
		struct error err;
		uint64_t task;
		int r = recv_frame(in_fd, &data, &len);

		if (r <= 0)
			break;
		unpack_init(&u, data, len, "a task message");
		error_clear(&err);
		if (unpack_u64(&u, &task, &err) < 0 || unpack_end(&u, &err) < 0) {
			free(data);
			break;
		}
		free(data);
		pack_reset(&msg);
		dist_msg_run(job, (size_t)task, host, (long)getpid(), &msg);
		if (send_frame(out_fd, msg.data, msg.len) != 0)
			break;
	}
	pack_release(&msg);
	_exit(0);
}

/* ---- the master ------------------------------------------------------------ */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int start_worker(struct worker *w, const struct dist_job *job, int id, struct error *err)
{
	int to[2], from[2];
	pid_t pid, self = getpid();

	memset(w, 0, sizeof(*w));
	w->to_fd = w->from_fd = -1;
	w->id = id;
	if (pipe2(to, O_CLOEXEC) != 0)
		return error_set(err, ERR_IO, "cannot start a worker process: pipe: %s",
				 strerror(errno));
	if (pipe2(from, O_CLOEXEC) != 0) {
		int e = errno;

		close(to[0]);
		close(to[1]);
		return error_set(err, ERR_IO, "cannot start a worker process: pipe: %s",
				 strerror(e));
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		return error_set(err, ERR_IO, "cannot start a worker process: fork: %s",
				 strerror(e));
	}
	if (pid == 0) {
		close(to[1]);
		close(from[0]);
		worker_main(job, to[0], from[1], self);
	}
	close(to[0]);
	close(from[1]);
	w->pid = pid;
	w->to_fd = to[1];
	w->from_fd = from[0];
	return 0;
}

/* Ask a worker to exit (end of file on its task pipe) and reap it. */
static void stop_worker(struct worker *w)
{
	int status;

	close_fd(&w->to_fd);
	close_fd(&w->from_fd);
	if (w->pid > 0)
		while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
			;
	w->pid = 0;
	w->busy = false;
}

/* A worker that stopped answering: kill it if need be, reap it, and say
 * how it ended. */
static void bury_worker(struct worker *w, char *why, size_t cap)
{
	int status = 0;
	pid_t r;

	close_fd(&w->to_fd);
	close_fd(&w->from_fd);
	while ((r = waitpid(w->pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (r != w->pid)
		snprintf(why, cap, "worker process %ld vanished", (long)w->pid);
	else if (WIFSIGNALED(status))
		snprintf(why, cap, "worker process %ld was killed by signal %d (%s)",
			 (long)w->pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(why, cap, "worker process %ld exited with status %d without a result",
			 (long)w->pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	w->pid = 0;
	w->busy = false;
}

static int hand_out(struct worker *w, size_t task)
{
	struct pack p;
	int e;

	pack_init(&p);
	pack_u64(&p, task);
	w->task = task;
	w->busy = true;
	w->handed_at = dist_now();
	e = send_frame(w->to_fd, p.data, p.len);
	pack_release(&p);
	return e;
}

struct master {
	const struct dist_job *job;
	struct worker *w;
	size_t n_workers;
	size_t next;           /* next index into job->tasks */
	size_t finished;
	bool stopping;         /* `done` failed: hand out nothing more */
	struct error stop_err;
	int stop_rc;
};

/* Hand a finished task to `done` (unless the queue is stopping). */
static void deliver(struct master *m, const struct dist_result *r)
{
	struct error err;
	int rc;

	m->finished++;
	if (m->stopping)
		return;
	error_clear(&err);
	rc = m->job->done(m->job->done_ctx, r, &err);
	if (rc < 0) {
		m->stopping = true;
		m->stop_rc = rc;
		m->stop_err = err;
	}
}

/* The task `w` was running failed without a result (its worker died or
 * spoke garbage): report it as failed. */
static void deliver_lost(struct master *m, struct worker *w, const char *why)
{
	struct dist_result r = {
		.task = w->task, .rc = ERR_RUN, .error = why, .worker = w->id, .host = "",
		.pid = (long)w->pid,
	};
	char msg[600];

	snprintf(msg, sizeof(msg), "%s while running the task", why);
	r.error = msg;
	r.run_s = dist_now() - w->handed_at;
	deliver(m, &r);
}

/* Give an idle worker its next task, or stop it. */
static int feed(struct master *m, struct worker *w, struct error *err)
{
	while (!m->stopping && m->next < m->job->n_tasks) {
		int e = hand_out(w, m->job->tasks[m->next++]);
		char why[300];
		int rc;

		if (e == 0)
			return 0;
		/* It died between tasks: the task was never started; report it
		 * lost like any other, and start a fresh worker. */
		bury_worker(w, why, sizeof(why));
		deliver_lost(m, w, why);
		if ((rc = start_worker(w, m->job, w->id, err)) < 0)
			return rc;
	}
	stop_worker(w);
	return 0;
}

static int on_readable(struct master *m, struct worker *w, struct error *err)
{
	unsigned char *data;
	size_t len;
	int r = recv_frame(w->from_fd, &data, &len);
	struct dist_msg msg;
	struct error perr;
	char why[300];

	if (r <= 0) {
		bury_worker(w, why, sizeof(why));
		deliver_lost(m, w, why);
		if (m->stopping || m->next >= m->job->n_tasks)
			return 0;
		if ((r = start_worker(w, m->job, w->id, err)) < 0)
			return r;
		return feed(m, w, err);
	}
	error_clear(&perr);
	if (dist_msg_parse(&msg, data, len, &perr) < 0 || msg.result.task != w->task) {
		dist_msg_release(&msg);
		free(data);
		kill(w->pid, SIGKILL);
		bury_worker(w, why, sizeof(why));
		deliver_lost(m, w, perr.code ? perr.msg : "a worker answered for another task");
		if (m->stopping || m->next >= m->job->n_tasks)
			return 0;
		if ((r = start_worker(w, m->job, w->id, err)) < 0)
			return r;
		return feed(m, w, err);
	}
	msg.result.worker = w->id;
	msg.result.overhead_s = dist_now() - w->handed_at - msg.result.run_s;
	w->busy = false;
	deliver(m, &msg.result);
	dist_msg_release(&msg);
	free(data);
	return feed(m, w, err);
}

int dist_local_run(const struct dist_job *job, unsigned jobs, struct error *err)
{
	struct master m = { .job = job };
	struct pollfd *pf;
	size_t *slot;
	int rc = 0;

	if (jobs == 0)
		jobs = dist_default_jobs();
	if (job->n_tasks == 0)
		return 0;
	m.n_workers = jobs < job->n_tasks ? jobs : job->n_tasks;
	m.w = xcalloc(m.n_workers, sizeof(*m.w));
	pf = xcalloc(m.n_workers, sizeof(*pf));
	slot = xcalloc(m.n_workers, sizeof(*slot));
	for (size_t i = 0; i < m.n_workers; i++)
		m.w[i].to_fd = m.w[i].from_fd = -1;
	for (size_t i = 0; i < m.n_workers && rc == 0; i++)
		if ((rc = start_worker(&m.w[i], job, (int)i + 1, err)) == 0)
			rc = feed(&m, &m.w[i], err);
	while (rc == 0) {
		size_t n = 0;
		int r;

		for (size_t i = 0; i < m.n_workers; i++)
			if (m.w[i].busy) {
				pf[n] = (struct pollfd){ .fd = m.w[i].from_fd, .events = POLLIN };
				slot[n++] = i;
			}
		if (n == 0)
			break;
		r = poll(pf, n, -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = error_set(err, ERR_IO, "waiting for worker processes: %s",
				       strerror(errno));
			break;
		}
		for (size_t k = 0; k < n && rc == 0; k++)
			if (pf[k].revents & (POLLIN | POLLHUP | POLLERR))
				rc = on_readable(&m, &m.w[slot[k]], err);
	}
	/* On an error of our own, the workers still running are killed. */
	for (size_t i = 0; i < m.n_workers; i++) {
		if (m.w[i].pid > 0 && m.w[i].busy)
			kill(m.w[i].pid, SIGKILL);
		if (m.w[i].pid > 0)
			stop_worker(&m.w[i]);
	}
	free(slot);
	free(pf);
	free(m.w);
	if (rc == 0 && m.stopping) {
		*err = m.stop_err;
		rc = m.stop_rc;
	}
	return rc;
}
