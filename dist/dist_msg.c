/* The result message of dist/; see dist_msg.h. */
#include "dist/dist_msg.h"

#include <stdlib.h>
#include <string.h>

void dist_msg_run(const struct dist_job *job, size_t task, const char *host, long pid,
		  struct pack *out)
{
	struct pack data;
	struct error err;
	double t0 = dist_now(), run_s;
	int rc;

	pack_init(&data);
	error_clear(&err);
	rc = job->run(job->run_ctx, task, &data, &err);
	run_s = dist_now() - t0;
	if (rc < 0 && err.code == 0)
		err.code = rc;
	pack_u64(out, task);
	pack_i64(out, rc < 0 ? rc : 0);
	pack_str(out, rc < 0 ? err.msg : "");
	pack_str(out, host);
	pack_i64(out, pid);
	pack_f64(out, run_s);
	pack_bytes(out, rc < 0 ? NULL : data.data, rc < 0 ? 0 : data.len);
	pack_release(&data);
}

int dist_msg_parse(struct dist_msg *m, const void *data, size_t len, struct error *err)
{
	struct unpack u;
	uint64_t task;
	int64_t rc, pid;
	int r;

	memset(m, 0, sizeof(*m));
	unpack_init(&u, data, len, "a worker's result message");
	if ((r = unpack_u64(&u, &task, err)) < 0 || (r = unpack_i64(&u, &rc, err)) < 0 ||
	    (r = unpack_str(&u, &m->error, err)) < 0 || (r = unpack_str(&u, &m->host, err)) < 0 ||
	    (r = unpack_i64(&u, &pid, err)) < 0 ||
	    (r = unpack_f64(&u, &m->result.run_s, err)) < 0 ||
	    (r = unpack_bytes(&u, &m->result.data, &m->result.len, err)) < 0 ||
	    (r = unpack_end(&u, err)) < 0) {
		dist_msg_release(m);
		return r;
	}
	if (rc > 0 || rc < -1000) {
		dist_msg_release(m);
		return error_set(err, ERR_CORRUPT, "a worker's result message has status %lld",
				 (long long)rc);
	}
	m->result.task = (size_t)task;
	m->result.rc = (int)rc;
	m->result.error = m->error;
	m->result.host = m->host;
	m->result.pid = (long)pid;
	return 0;
}

void dist_msg_release(struct dist_msg *m)
{
	free(m->error);
	free(m->host);
	memset(m, 0, sizeof(*m));
}
