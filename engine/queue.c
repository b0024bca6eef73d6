/* SQS-standard-like queue over simulated time; see queue.h. */
#include "engine/queue.h"

#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/xalloc.h"

#define NIL UINT32_MAX

enum msg_state { MS_FREE = 0, MS_DELAYED, MS_VISIBLE, MS_INFLIGHT };

/* A delayed message in the heap: visible from due; seq (send order) breaks
 * ties. */
struct hent {
	simtime due;
	uint64_t seq;
	uint32_t m;
};

struct queue {
	struct queue_config cfg;
	uint32_t cap;

	/* Struct of arrays over the pool. */
	struct event *ev;
	simtime *sent;         /* when accepted */
	simtime *due;          /* delayed: visible-at; in flight: timeout */
	uint32_t *receipt;     /* latest receive's receipt (0 = never received) */
	uint32_t *rc;          /* receive count */
	uint32_t *prev, *next; /* ready or in-flight list; next = free list */
	uint32_t *sprev, *snext; /* send order (oldest first), for retention */
	uint32_t *hpos;        /* position in the delay heap */
	uint8_t *state, *reason;

	uint32_t free_head;
	uint32_t ready_head, ready_tail, n_ready;
	uint32_t fl_head, fl_tail, n_inflight;  /* ordered by due: constant timeout */
	uint32_t old_head, old_tail, n_held;
	struct hent *heap;     /* delayed messages, min (due, seq) */
	uint32_t n_heap;
	uint64_t next_seq;
	uint32_t next_receipt;
	simtime last_now;

	struct queue_dead *dead;  /* ring of the most recent dead letters */
	size_t dead_start, dead_n;

	queue_outcome_fn outcome_fn;
	void *outcome_ctx;
	struct rng rng;
	struct queue_stats st;
};

void queue_config_init(struct queue_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 1;
}

const char *queue_reason_name(int reason)
{
	switch (reason) {
	case QUEUE_REASON_NONE: return "none";
	case QUEUE_REASON_BATCH_FAILED: return "batch_failed";
	case QUEUE_REASON_STORE_UNAVAILABLE: return "store_unavailable";
	default: return "unknown";
	}
}

struct queue *queue_new(const struct queue_config *cfg, struct error *err)
{
	struct queue *q;
	uint32_t n = cfg->max_messages;

	if (n == 0 || n >= NIL)
		return error_set(err, ERR_INPUT, "queue: max_messages %u out of range", n), NULL;
	if (cfg->visibility_timeout <= 0 || cfg->retention <= 0 || cfg->receive_wait <= 0)
		return error_set(err, ERR_INPUT,
				 "queue: visibility timeout, retention and receive wait must be positive"), NULL;
	if (!(cfg->duplicate_rate >= 0.0 && cfg->duplicate_rate < 1.0))
		return error_set(err, ERR_INPUT, "queue: duplicate_rate %g not in [0, 1)",
				 cfg->duplicate_rate), NULL;
	q = xcalloc(1, sizeof(*q));
	q->cfg = *cfg;
	q->cap = n;
	q->ev = xcalloc(n, sizeof(*q->ev));
	q->sent = xcalloc(n, sizeof(*q->sent));
	q->due = xcalloc(n, sizeof(*q->due));
	q->receipt = xcalloc(n, sizeof(*q->receipt));
	q->rc = xcalloc(n, sizeof(*q->rc));
	q->prev = xcalloc(n, sizeof(*q->prev));
	q->next = xcalloc(n, sizeof(*q->next));
	q->sprev = xcalloc(n, sizeof(*q->sprev));
	q->snext = xcalloc(n, sizeof(*q->snext));
	q->hpos = xcalloc(n, sizeof(*q->hpos));
	q->state = xcalloc(n, sizeof(*q->state));
	q->reason = xcalloc(n, sizeof(*q->reason));
	q->heap = xcalloc(n, sizeof(*q->heap));
	q->dead = xcalloc(cfg->dlq_capacity ? cfg->dlq_capacity : 1, sizeof(*q->dead));
	for (uint32_t i = 0; i < n; i++)
		q->next[i] = i + 1 < n ? i + 1 : NIL;
	q->free_head = 0;
	q->ready_head = q->ready_tail = NIL;
	q->fl_head = q->fl_tail = NIL;
	q->old_head = q->old_tail = NIL;
	q->last_now = INT64_MIN;
	rng_init(&q->rng, cfg->seed, RNG_ENGINE_QUEUE, 0, 0);
	return q;
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	free(q->ev); free(q->sent); free(q->due); free(q->receipt);
	free(q->rc); free(q->prev); free(q->next); free(q->sprev); free(q->snext);
	free(q->hpos); free(q->state); free(q->reason); free(q->heap); free(q->dead);
	free(q);
}

void queue_set_outcome_fn(struct queue *q, queue_outcome_fn fn, void *ctx)
{
	q->outcome_fn = fn;
	q->outcome_ctx = ctx;
}

/* ---- intrusive lists ---- */

static void list_push(struct queue *q, uint32_t *head, uint32_t *tail, uint32_t m)
{
	q->prev[m] = *tail;
	q->next[m] = NIL;
	if (*tail != NIL)
		q->next[*tail] = m;
	else
		*head = m;
	*tail = m;
}

static void list_unlink(struct queue *q, uint32_t *head, uint32_t *tail, uint32_t m)
{
	if (q->prev[m] != NIL)
		q->next[q->prev[m]] = q->next[m];
	else
		*head = q->next[m];
	if (q->next[m] != NIL)
		q->prev[q->next[m]] = q->prev[m];
	else
		*tail = q->prev[m];
}

/* ---- delay heap ---- */

/* The heap holds its keys inline, so sifting compares adjacent memory
 * instead of chasing message indices into the pool (the heap is small, a
 * few hundred entries at 10,000 events/s and 30 ms latency, and hot in
 * cache; the pool is not).  (due, seq) is a total order (seq is unique), so
 * pops come out in exactly the order any correct priority queue gives. */

static inline bool hent_less(const struct hent *a, const struct hent *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

/* The same order as a 0/1 without branches (which child is smaller is a
 * coin flip: a branch on it mispredicts half the time). */
static inline uint32_t hent_lt(const struct hent *a, const struct hent *b)
{
	return (uint32_t)(a->due < b->due) |
	       ((uint32_t)(a->due == b->due) & (uint32_t)(a->seq < b->seq));
}

static inline void heap_set(struct queue *q, uint32_t i, const struct hent *e)
{
	q->heap[i] = *e;
	q->hpos[e->m] = i;
}

/* A 4-ary heap: half the depth of a binary one, and the four children of
 * a node are adjacent.  Sifting is a chain of dependent loads (each level's
 * address depends on the last comparison), so fewer levels is what counts;
 * the three comparisons picking the smallest child are independent. */
#define HEAP_D 4

static inline uint32_t heap_parent(uint32_t i) { return (i - 1) / HEAP_D; }

/* Index of the smallest of the four children starting at c (all exist). */
static inline uint32_t min4(const struct hent *h, uint32_t c)
{
	uint32_t a = c + hent_lt(&h[c + 1], &h[c]);
	uint32_t b = c + 2 + hent_lt(&h[c + 3], &h[c + 2]);

	return hent_lt(&h[b], &h[a]) ? b : a;
}

/* Index of the smallest of the children [c, n) (at least one exists). */
static uint32_t min_children(const struct hent *h, uint32_t c, uint32_t n)
{
	uint32_t best = c;

	if (c + HEAP_D <= n)
		return min4(h, c);
	for (uint32_t k = c + 1; k < n; k++)
		if (hent_lt(&h[k], &h[best]))
			best = k;
	return best;
}

static void heap_up(struct queue *q, uint32_t i, struct hent e)
{
	while (i > 0) {
		uint32_t p = heap_parent(i);
		if (!hent_less(&e, &q->heap[p]))
			break;
		heap_set(q, i, &q->heap[p]);
		i = p;
	}
	heap_set(q, i, &e);
}

static void heap_down(struct queue *q, uint32_t i, struct hent e)
{
	uint32_t n = q->n_heap;

	for (;;) {
		uint32_t c = HEAP_D * i + 1;
		if (c >= n)
			break;
		c = min_children(q->heap, c, n);
		if (!hent_less(&q->heap[c], &e))
			break;
		heap_set(q, i, &q->heap[c]);
		i = c;
	}
	heap_set(q, i, &e);
}

static void heap_push(struct queue *q, uint32_t m, simtime due, uint64_t seq)
{
	struct hent e = { .due = due, .seq = seq, .m = m };

	heap_up(q, q->n_heap++, e);
}

static void heap_remove(struct queue *q, uint32_t m)
{
	uint32_t i = q->hpos[m];
	struct hent last = q->heap[--q->n_heap];

	if (i == q->n_heap)
		return;
	if (i > 0 && hent_less(&last, &q->heap[heap_parent(i)]))
		heap_up(q, i, last);
	else
		heap_down(q, i, last);
}

/* Pop the minimum (bottom-up: the hole at the root walks down the smallest
 * children to a leaf, then the last element sifts up from there, usually
 * not far since it came from the bottom). */
static uint32_t heap_pop(struct queue *q)
{
	uint32_t m = q->heap[0].m, n = --q->n_heap, i = 0, c;
	struct hent last = q->heap[n];

	if (n == 0)
		return m;
	while ((c = HEAP_D * i + 1) + HEAP_D <= n) {
		c = min4(q->heap, c);
		heap_set(q, i, &q->heap[c]);
		i = c;
	}
	if (c < n) {            /* a last, partial family */
		c = min_children(q->heap, c, n);
		heap_set(q, i, &q->heap[c]);
		i = c;
	}
	heap_up(q, i, last);
	return m;
}

/* ---- message lifecycle ---- */

static void make_visible(struct queue *q, uint32_t m)
{
	q->state[m] = MS_VISIBLE;
	list_push(q, &q->ready_head, &q->ready_tail, m);
	q->n_ready++;
	if (q->n_ready > q->st.peak_depth)
		q->st.peak_depth = q->n_ready;
}

/* Take m out of whichever structure holds it. */
static void detach(struct queue *q, uint32_t m)
{
	switch (q->state[m]) {
	case MS_DELAYED:
		heap_remove(q, m);
		break;
	case MS_VISIBLE:
		list_unlink(q, &q->ready_head, &q->ready_tail, m);
		q->n_ready--;
		break;
	case MS_INFLIGHT:
		list_unlink(q, &q->fl_head, &q->fl_tail, m);
		q->n_inflight--;
		break;
	default:
		BUG("queue: detaching free message %u", m);
	}
}

static void release(struct queue *q, uint32_t m, enum queue_outcome out, simtime now)
{
	/* Send-order list */
	if (q->sprev[m] != NIL)
		q->snext[q->sprev[m]] = q->snext[m];
	else
		q->old_head = q->snext[m];
	if (q->snext[m] != NIL)
		q->sprev[q->snext[m]] = q->sprev[m];
	else
		q->old_tail = q->sprev[m];
	q->n_held--;
	q->state[m] = MS_FREE;
	if (q->outcome_fn)
		q->outcome_fn(q->outcome_ctx, &q->ev[m], out, (enum queue_reason)q->reason[m], now);
	q->next[m] = q->free_head;
	q->free_head = m;
}

static void dead_letter(struct queue *q, uint32_t m, simtime now)
{
	struct queue_dead *d;
	size_t cap = q->cfg.dlq_capacity;

	q->st.dead_lettered++;
	q->st.dead_by_reason[q->reason[m] < QUEUE_REASON_COUNT ? q->reason[m] : 0]++;
	if (cap > 0) {
		if (q->dead_n < cap) {
			d = &q->dead[(q->dead_start + q->dead_n) % cap];
			q->dead_n++;
		} else {
			d = &q->dead[q->dead_start];
			q->dead_start = (q->dead_start + 1) % cap;
		}
		d->event_id = q->ev[m].id;
		d->sent = q->sent[m];
		d->dead_at = now;
		d->receive_count = q->rc[m];
		d->reason = q->reason[m];
	}
	release(q, m, QUEUE_OUT_DEAD_LETTER, now);
}

void queue_advance(struct queue *q, simtime now)
{
	ASSERT(now >= q->last_now);
	/* Nothing can fall due at the instant already advanced to: sends,
	 * receives and delays all schedule strictly later (delay 0 is visible
	 * at once; the timeout and retention are positive).  Receive, delete
	 * and the driver's pump all advance, several times per instant. */
	if (now == q->last_now)
		return;
	q->last_now = now;
	/* Retention first: an expired message never becomes visible again. */
	while (q->old_head != NIL && q->sent[q->old_head] + q->cfg.retention <= now) {
		uint32_t m = q->old_head;
		detach(q, m);
		q->st.expired++;
		release(q, m, QUEUE_OUT_EXPIRED, now);
	}
	while (q->n_heap > 0 && q->heap[0].due <= now)
		make_visible(q, heap_pop(q));
	while (q->fl_head != NIL && q->due[q->fl_head] <= now) {
		uint32_t m = q->fl_head;
		list_unlink(q, &q->fl_head, &q->fl_tail, m);
		q->n_inflight--;
		q->st.visibility_expired++;
		if (q->cfg.max_receive_count > 0 && q->rc[m] >= q->cfg.max_receive_count)
			dead_letter(q, m, now);
		else
			make_visible(q, m);
	}
}

int queue_send(struct queue *q, const struct event *ev, simtime now, simtime delay)
{
	uint32_t m;
	uint64_t seq;

	ASSERT(delay >= 0);
	if (now > q->last_now)
		queue_advance(q, now);
	if (q->free_head == NIL) {
		q->st.rejected_full++;
		return ERR_FULL;
	}
	m = q->free_head;
	q->free_head = q->next[m];
	q->ev[m] = *ev;
	q->sent[m] = now;
	seq = q->next_seq++;
	q->receipt[m] = 0;
	q->rc[m] = 0;
	q->reason[m] = QUEUE_REASON_NONE;
	q->sprev[m] = q->old_tail;
	q->snext[m] = NIL;
	if (q->old_tail != NIL)
		q->snext[q->old_tail] = m;
	else
		q->old_head = m;
	q->old_tail = m;
	q->n_held++;
	q->st.sent++;
	if (delay == 0) {
		make_visible(q, m);
	} else {
		q->state[m] = MS_DELAYED;
		q->due[m] = now + delay;
		heap_push(q, m, now + delay, seq);
	}
	return 0;
}

static uint64_t make_handle(uint32_t m, uint32_t receipt)
{
	return ((uint64_t)receipt << 32) | m;
}

size_t queue_receive(struct queue *q, simtime now, size_t max, struct queue_msg *out)
{
	size_t n = 0;

	queue_advance(q, now);
	while (n < max && q->ready_head != NIL) {
		uint32_t m = q->ready_head;

		if (q->n_inflight >= q->cfg.inflight_limit) {
			q->st.overlimit_receives++;
			break;
		}
		list_unlink(q, &q->ready_head, &q->ready_tail, m);
		q->n_ready--;
		q->state[m] = MS_INFLIGHT;
		q->due[m] = now + q->cfg.visibility_timeout;
		list_push(q, &q->fl_head, &q->fl_tail, m);
		q->n_inflight++;
		if (q->n_inflight > q->st.peak_inflight)
			q->st.peak_inflight = q->n_inflight;
		if (++q->next_receipt == 0)
			q->next_receipt = 1;
		q->receipt[m] = q->next_receipt;
		q->rc[m]++;
		q->st.received++;
		if (q->rc[m] > 1)
			q->st.redelivered++;
		out[n].handle = make_handle(m, q->receipt[m]);
		out[n].sent = q->sent[m];
		out[n].receive_count = q->rc[m];
		out[n].ev = q->ev[m];
		n++;
	}
	return n;
}

/* The message a handle names if the handle is its latest receipt and it is
 * still in flight; NIL otherwise. */
static uint32_t handle_msg(const struct queue *q, uint64_t handle)
{
	uint32_t m = (uint32_t)handle, receipt = (uint32_t)(handle >> 32);

	if (m >= q->cap || q->state[m] != MS_INFLIGHT || q->receipt[m] != receipt)
		return NIL;
	return m;
}

int queue_delete(struct queue *q, uint64_t handle, simtime now)
{
	uint32_t m;

	queue_advance(q, now);
	m = handle_msg(q, handle);
	if (m == NIL) {
		q->st.stale_deletes++;
		return ERR_NOTFOUND;
	}
	if (q->cfg.duplicate_rate > 0 && rng_uniform(&q->rng) < q->cfg.duplicate_rate) {
		/* The caller sees success; the surviving replica stays in flight
		 * and comes back when its visibility timeout runs out. */
		q->st.delete_missed++;
		q->receipt[m] = 0;
		return 0;
	}
	list_unlink(q, &q->fl_head, &q->fl_tail, m);
	q->n_inflight--;
	q->st.deleted++;
	release(q, m, QUEUE_OUT_DELETED, now);
	return 0;
}

void queue_note_failure(struct queue *q, uint64_t handle, enum queue_reason reason)
{
	uint32_t m = handle_msg(q, handle);

	if (m != NIL)
		q->reason[m] = (uint8_t)reason;
}

void queue_empty_receives(struct queue *q, uint64_t n)
{
	q->st.empty_receives += n;
}

simtime queue_next_time(const struct queue *q)
{
	simtime t = SIMTIME_NEVER;

	if (q->n_heap > 0 && q->heap[0].due < t)
		t = q->heap[0].due;
	if (q->fl_head != NIL && q->due[q->fl_head] < t)
		t = q->due[q->fl_head];
	if (q->old_head != NIL && q->sent[q->old_head] + q->cfg.retention < t)
		t = q->sent[q->old_head] + q->cfg.retention;
	return t;
}

size_t queue_visible(const struct queue *q) { return q->n_ready; }
size_t queue_inflight(const struct queue *q) { return q->n_inflight; }
size_t queue_delayed(const struct queue *q) { return q->n_heap; }
size_t queue_size(const struct queue *q) { return q->n_held; }

simtime queue_oldest_age(const struct queue *q, simtime now)
{
	return q->old_head == NIL ? 0 : now - q->sent[q->old_head];
}

const struct queue_stats *queue_stats(const struct queue *q) { return &q->st; }
size_t queue_dead_count(const struct queue *q) { return q->dead_n; }

const struct queue_dead *queue_dead_get(const struct queue *q, size_t i)
{
	ASSERT(i < q->dead_n);
	return &q->dead[(q->dead_start + i) % q->cfg.dlq_capacity];
}
