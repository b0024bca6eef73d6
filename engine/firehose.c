/* Buffered delivery stream; see firehose.h. */
#include "engine/firehose.h"

#include "common/xalloc.h"

#include <stdlib.h>
#include <string.h>

struct batchbuf {
	struct event *evs;
	size_t n;
	simtime oldest_arrival, flushed_at, due;
	uint64_t seq;
	struct batchbuf *next;
};

struct firehose {
	struct firehose_config cfg;
	firehose_sink_fn sink;
	void *ctx;
	size_t cap;              /* events per buffer */
	struct batchbuf *cur;    /* being filled */
	struct batchbuf *head, *tail; /* in flight, flush order */
	struct batchbuf *free_list;
	size_t in_flight;
	uint64_t next_seq, objects, events;
};

static struct batchbuf *buf_get(struct firehose *fh)
{
	struct batchbuf *b = fh->free_list;

	if (b) {
		fh->free_list = b->next;
	} else {
		b = xcalloc(1, sizeof(*b));
		b->evs = xmalloc(fh->cap * sizeof(struct event));
	}
	b->n = 0;
	b->next = NULL;
	return b;
}

struct firehose *firehose_new(const struct firehose_config *cfg, firehose_sink_fn sink,
			      void *ctx, struct error *err)
{
	struct firehose *fh;

	if (cfg->max_bytes < (int64_t)sizeof(struct event) || cfg->interval <= 0 ||
	    cfg->delay < 0) {
		error_set(err, ERR_INPUT,
			  "bad firehose config: size %lld B (>= %zu), interval %lld us (> 0), delay %lld us (>= 0)",
			  (long long)cfg->max_bytes, sizeof(struct event), (long long)cfg->interval,
			  (long long)cfg->delay);
		return NULL;
	}
	fh = xcalloc(1, sizeof(*fh));
	fh->cfg = *cfg;
	fh->sink = sink;
	fh->ctx = ctx;
	fh->cap = (size_t)((cfg->max_bytes + (int64_t)sizeof(struct event) - 1) /
			   (int64_t)sizeof(struct event));
	fh->cur = buf_get(fh);
	return fh;
}

static void buf_list_free(struct batchbuf *b)
{
	while (b) {
		struct batchbuf *next = b->next;

		free(b->evs);
		free(b);
		b = next;
	}
}

void firehose_free(struct firehose *fh)
{
	if (!fh)
		return;
	buf_list_free(fh->cur);
	buf_list_free(fh->head);
	buf_list_free(fh->free_list);
	free(fh);
}

static void flush(struct firehose *fh, simtime at)
{
	struct batchbuf *b = fh->cur;

	if (b->n == 0)
		return;
	b->flushed_at = at;
	b->due = at + fh->cfg.delay;
	b->seq = fh->next_seq++;
	if (fh->tail)
		fh->tail->next = b;
	else
		fh->head = b;
	fh->tail = b;
	fh->in_flight++;
	fh->cur = buf_get(fh);
}

void firehose_accept(struct firehose *fh, const struct event *ev, simtime now)
{
	struct batchbuf *b = fh->cur;

	/* an interval flush the owner has not yet run is due before this arrival */
	if (b->n && now >= b->oldest_arrival + fh->cfg.interval) {
		flush(fh, b->oldest_arrival + fh->cfg.interval);
		b = fh->cur;
	}
	if (b->n == 0)
		b->oldest_arrival = now;
	b->evs[b->n++] = *ev;
	if ((int64_t)(b->n * sizeof(struct event)) >= fh->cfg.max_bytes)
		flush(fh, now);
}

simtime firehose_next_time(const struct firehose *fh)
{
	simtime t = SIMTIME_NEVER;

	if (fh->cur->n)
		t = fh->cur->oldest_arrival + fh->cfg.interval;
	if (fh->head && fh->head->due < t)
		t = fh->head->due;
	return t;
}

static int deliver_head(struct firehose *fh, simtime now, struct error *err)
{
	struct batchbuf *b = fh->head;
	struct firehose_object obj = {
		.seq = b->seq,
		.hour = b->oldest_arrival - b->oldest_arrival % SIMTIME_HOUR,
		.oldest_arrival = b->oldest_arrival,
		.flushed_at = b->flushed_at,
		.delivered_at = now,
		.evs = b->evs,
		.n = b->n,
	};
	int rc = fh->sink(fh->ctx, &obj, err);

	if (rc)
		return rc;
	fh->head = b->next;
	if (!fh->head)
		fh->tail = NULL;
	fh->in_flight--;
	fh->objects++;
	fh->events += b->n;
	b->next = fh->free_list;
	fh->free_list = b;
	return 0;
}

int firehose_advance(struct firehose *fh, simtime now, struct error *err)
{
	int rc;

	if (fh->cur->n && now >= fh->cur->oldest_arrival + fh->cfg.interval)
		flush(fh, fh->cur->oldest_arrival + fh->cfg.interval);
	while (fh->head && fh->head->due <= now)
		if ((rc = deliver_head(fh, fh->head->due, err)))
			return rc;
	return 0;
}

int firehose_drain(struct firehose *fh, simtime now, struct error *err)
{
	int rc;

	if ((rc = firehose_advance(fh, now, err)))
		return rc;
	flush(fh, now);
	while (fh->head)
		if ((rc = deliver_head(fh, now, err)))
			return rc;
	return 0;
}

size_t firehose_buffered(const struct firehose *fh) { return fh->cur->n; }
size_t firehose_in_flight(const struct firehose *fh) { return fh->in_flight; }
uint64_t firehose_delivered_objects(const struct firehose *fh) { return fh->objects; }
uint64_t firehose_delivered_events(const struct firehose *fh) { return fh->events; }
