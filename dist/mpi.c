/* The dist/ work queue over MPI; see mpi.h.
 *
 * Messages (tags below), all MPI_BYTE: SETUP rank 0 -> each rank (a pack
 * of i64 code and the setup bytes); READY worker -> rank 0 (empty, once);
 * TASK rank 0 -> worker (a pack of one u64); RESULT worker -> rank 0 (a
 * dist_msg); STOP rank 0 -> worker (empty).  A worker is always either
 * waiting for rank 0 or running one task, so rank 0 knows who is idle
 * from who last spoke. */
#include "dist/mpi.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "common/xalloc.h"
#include "dist/dist_msg.h"

enum { TAG_SETUP = 1, TAG_READY, TAG_TASK, TAG_RESULT, TAG_STOP };

/* The longest nap between two looks at the queue: the latency a message
 * can wait for. */
#define NAP_MAX_NS 1000000L
#define NAP_MIN_NS 20000L

static bool initialised;

bool dist_mpi_launched(void)
{
	const char *s = getenv("OMPI_COMM_WORLD_SIZE");

	return s && *s;
}

int dist_mpi_init(int *rank, int *size, struct error *err)
{
	int provided = 0;

	if (!initialised) {
		if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
			return error_set(err, ERR_RUN, "MPI_Init_thread failed");
		initialised = true;
	}
	MPI_Comm_rank(MPI_COMM_WORLD, rank);
	MPI_Comm_size(MPI_COMM_WORLD, size);
	return 0;
}

void dist_mpi_finalize(void)
{
	if (initialised)
		MPI_Finalize();
	initialised = false;
}

static void nap(long *ns)
{
	struct timespec ts = { 0, *ns };

	nanosleep(&ts, NULL);
	*ns = *ns * 2 > NAP_MAX_NS ? NAP_MAX_NS : *ns * 2;
}

/* Wait without spinning for a message from `source` with `tag` (either
 * may be a wildcard). */
static void wait_probe(int source, int tag, MPI_Status *st)
{
	long ns = NAP_MIN_NS;
	int flag = 0;

	for (;;) {
		MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, st);
		if (flag)
			return;
		nap(&ns);
	}
}

static int send_bytes(const void *data, size_t len, int dest, int tag, struct error *err)
{
	if (len > INT_MAX)
		return error_set(err, ERR_RUN, "an MPI message of %zu bytes is too large", len);
	MPI_Send(len ? data : NULL, (int)len, MPI_BYTE, dest, tag, MPI_COMM_WORLD);
	return 0;
}

/* Receive the message probed in st into a new buffer. */
static unsigned char *recv_probed(const MPI_Status *st, size_t *len)
{
	MPI_Status got;
	int count = 0;
	unsigned char *buf;

	MPI_Get_count(st, MPI_BYTE, &count);
	buf = xmalloc((size_t)(count > 0 ? count : 0) + 1);
	MPI_Recv(buf, count, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD, &got);
	*len = (size_t)(count > 0 ? count : 0);
	return buf;
}

static void host_name(char *buf, size_t cap)
{
	if (gethostname(buf, cap) != 0)
		snprintf(buf, cap, "unknown");
	buf[cap - 1] = '\0';
}

/* ---- setup ----------------------------------------------------------------- */

void dist_mpi_send_setup(int code, const void *data, size_t len)
{
	struct pack p;
	int size;
	struct error err;

	MPI_Comm_size(MPI_COMM_WORLD, &size);
	pack_init(&p);
	pack_i64(&p, code);
	pack_bytes(&p, code < 0 ? NULL : data, code < 0 ? 0 : len);
	for (int r = 1; r < size; r++)
		if (send_bytes(p.data, p.len, r, TAG_SETUP, &err) < 0)
			BUG("%s", err.msg);
	pack_release(&p);
}

int dist_mpi_recv_setup(int *code, struct pack *out, struct error *err)
{
	MPI_Status st;
	size_t len;
	unsigned char *buf;
	struct unpack u;
	const void *data;
	size_t n;
	int64_t c;
	int rc;

	wait_probe(0, TAG_SETUP, &st);
	buf = recv_probed(&st, &len);
	unpack_init(&u, buf, len, "rank 0's setup message");
	if ((rc = unpack_i64(&u, &c, err)) == 0 && (rc = unpack_bytes(&u, &data, &n, err)) == 0 &&
	    (rc = unpack_end(&u, err)) == 0) {
		*code = (int)c;
		pack_raw(out, data, n);
	}
	free(buf);
	return rc;
}

int dist_mpi_sum_u64(uint64_t *v, size_t n, struct error *err)
{
	if (n > INT_MAX)
		return error_set(err, ERR_RUN, "an exchange of %zu counters is too large", n);
	MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
	return 0;
}

/* ---- rank 0's own thread --------------------------------------------------- */

struct local {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct dist_job *job;
	char host[256];
	bool has_task, finished, quit, busy;
	size_t task;
	double handed_at;
	struct pack msg;
};

static void *local_main(void *arg)
{
	struct local *l = arg;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		size_t task;

		while (!l->has_task && !l->quit)
			pthread_cond_wait(&l->cv, &l->mu);
		if (l->quit)
			break;
		task = l->task;
		l->has_task = false;
		pthread_mutex_unlock(&l->mu);
		{
			struct pack msg;

			pack_init(&msg);
			dist_msg_run(l->job, task, l->host, (long)getpid(), &msg);
			pthread_mutex_lock(&l->mu);
			pack_release(&l->msg);
			l->msg = msg;
		}
		l->finished = true;
		pthread_cond_broadcast(&l->cv);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* ---- the master ------------------------------------------------------------ */

struct master {
	const struct dist_job *job;
	int size;
	struct local local;
	bool *stopped;          /* per rank: told to stop */
	int n_stopped;
	double *handed_at;      /* per rank */
	size_t *task_of;        /* per rank */
	size_t next;
	bool stopping;
	int stop_rc;
	struct error stop_err;
};

static void deliver(struct master *m, struct dist_result *r)
{
	struct error err;
	int rc;

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

static bool more(const struct master *m)
{
	return !m->stopping && m->next < m->job->n_tasks;
}

/* Rank `r` is idle: its next task, or stop. */
static void feed(struct master *m, int r)
{
	struct error err;

	if (more(m)) {
		struct pack p;

		pack_init(&p);
		m->task_of[r] = m->job->tasks[m->next++];
		pack_u64(&p, m->task_of[r]);
		m->handed_at[r] = dist_now();
		if (send_bytes(p.data, p.len, r, TAG_TASK, &err) < 0)
			BUG("%s", err.msg);
		pack_release(&p);
		return;
	}
	if (!m->stopped[r]) {
		MPI_Send(NULL, 0, MPI_BYTE, r, TAG_STOP, MPI_COMM_WORLD);
		m->stopped[r] = true;
		m->n_stopped++;
	}
}

static void on_result(struct master *m, int r, const unsigned char *buf, size_t len)
{
	struct dist_msg msg;
	struct error perr;

	error_clear(&perr);
	if (dist_msg_parse(&msg, buf, len, &perr) < 0 || msg.result.task != m->task_of[r]) {
		/* A rank that speaks garbage is a bug of ours: the job is
		 * aborted, and the study resumes from its journal. */
		BUG("rank %d sent a bad result message: %s", r,
		    perr.code ? perr.msg : "another task than it was given");
	}
	msg.result.worker = r;
	msg.result.overhead_s = dist_now() - m->handed_at[r] - msg.result.run_s;
	deliver(m, &msg.result);
	dist_msg_release(&msg);
}

/* Collect rank 0's own finished task, then give its thread the next one.
 * Returns whether anything happened. */
static bool tend_local(struct master *m)
{
	struct local *l = &m->local;
	bool did = false;

	pthread_mutex_lock(&l->mu);
	if (l->finished) {
		struct pack msg = l->msg;
		struct dist_msg parsed;
		struct error perr;

		pack_init(&l->msg);
		l->finished = false;
		l->busy = false;
		pthread_mutex_unlock(&l->mu);
		error_clear(&perr);
		if (dist_msg_parse(&parsed, msg.data, msg.len, &perr) < 0)
			BUG("rank 0's own result: %s", perr.msg);
		parsed.result.worker = 0;
		parsed.result.overhead_s = dist_now() - l->handed_at - parsed.result.run_s;
		deliver(m, &parsed.result);
		dist_msg_release(&parsed);
		pack_release(&msg);
		pthread_mutex_lock(&l->mu);
		did = true;
	}
	if (!l->busy && more(m)) {
		l->task = m->job->tasks[m->next++];
		l->handed_at = dist_now();
		l->has_task = true;
		l->busy = true;
		pthread_cond_broadcast(&l->cv);
		did = true;
	}
	pthread_mutex_unlock(&l->mu);
	return did;
}

/* Handle every message waiting; returns whether there was any. */
static bool tend_ranks(struct master *m)
{
	bool did = false;

	for (;;) {
		MPI_Status st;
		int flag = 0;
		size_t len;
		unsigned char *buf;

		MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
		if (!flag)
			return did;
		did = true;
		buf = recv_probed(&st, &len);
		if (st.MPI_TAG == TAG_RESULT)
			on_result(m, st.MPI_SOURCE, buf, len);
		if (st.MPI_TAG == TAG_RESULT || st.MPI_TAG == TAG_READY)
			feed(m, st.MPI_SOURCE);
		free(buf);
	}
}

int dist_mpi_master(const struct dist_job *job, struct error *err)
{
	struct master m = { .job = job };
	struct local *l = &m.local;
	long ns = NAP_MIN_NS;
	int rc;

	MPI_Comm_size(MPI_COMM_WORLD, &m.size);
	m.stopped = xcalloc((size_t)m.size, sizeof(*m.stopped));
	m.handed_at = xcalloc((size_t)m.size, sizeof(*m.handed_at));
	m.task_of = xcalloc((size_t)m.size, sizeof(*m.task_of));
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->job = job;
	host_name(l->host, sizeof(l->host));
	pack_init(&l->msg);
	if ((rc = pthread_create(&l->th, NULL, local_main, l)) != 0) {
		error_set(err, ERR_RUN, "cannot start rank 0's task thread: %s", strerror(rc));
		rc = ERR_RUN;
		/* The other ranks still wait for their stop. */
		m.stopping = true;
		while (m.n_stopped < m.size - 1)
			if (!tend_ranks(&m))
				nap(&ns);
		goto out;
	}
	for (;;) {
		bool did = tend_local(&m);
		bool idle;

		did = tend_ranks(&m) || did;
		pthread_mutex_lock(&l->mu);
		idle = !l->busy && !l->finished;
		if (idle && !more(&m) && m.n_stopped == m.size - 1) {
			pthread_mutex_unlock(&l->mu);
			break;
		}
		if (did) {
			ns = NAP_MIN_NS;
		} else {
			/* Sleep until rank 0's own task ends or the nap is over. */
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += ns;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			if (!l->finished)
				pthread_cond_timedwait(&l->cv, &l->mu, &until);
			ns = ns * 2 > NAP_MAX_NS ? NAP_MAX_NS : ns * 2;
		}
		pthread_mutex_unlock(&l->mu);
	}
	pthread_mutex_lock(&l->mu);
	l->quit = true;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->th, NULL);
	rc = 0;
	if (m.stopping) {
		*err = m.stop_err;
		rc = m.stop_rc;
	}
out:
	pack_release(&l->msg);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(m.stopped);
	free(m.handed_at);
	free(m.task_of);
	return rc;
}

int dist_mpi_worker(const struct dist_job *job, struct error *err)
{
	char host[256];
	struct pack msg;
	int rc = 0;

	host_name(host, sizeof(host));
	pack_init(&msg);
	MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_READY, MPI_COMM_WORLD);
	for (;;) {
		MPI_Status st;
		size_t len;
		unsigned char *buf;
		struct unpack u;
		uint64_t task;

		wait_probe(0, MPI_ANY_TAG, &st);
		buf = recv_probed(&st, &len);
		if (st.MPI_TAG == TAG_STOP) {
			free(buf);
			break;
		}
		if (st.MPI_TAG != TAG_TASK) {
			free(buf);
			continue;
		}
		unpack_init(&u, buf, len, "a task message");
		if (unpack_u64(&u, &task, err) < 0 || unpack_end(&u, err) < 0)
			BUG("rank 0 sent a bad task message: %s", err->msg);
		free(buf);
		pack_reset(&msg);
		dist_msg_run(job, (size_t)task, host, (long)getpid(), &msg);
		if ((rc = send_bytes(msg.data, msg.len, 0, TAG_RESULT, err)) < 0)
			break;
	}
	pack_release(&msg);
	return rc;
}
