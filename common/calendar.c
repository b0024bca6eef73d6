/*
 * The event calendar: an exact hierarchical timing wheel (a radix heap with
 * base 64) whose buckets are FIFO queues of 16-byte elements, kept in
 * chained fixed-size chunks, over a separate pool of payloads.
 *
 * Why this structure (issues 2 and 22 ask for >= 10 M schedule+pop pairs
 * per second with 1 M pending, and no slower than a binary heap at 10 k):
 * - Measured first on the project host: a 4-ary heap of 16-byte keys did
 *   3.0 M pairs/s at 1 M pending, and this wheel with doubly linked lists
 *   through the pool did 3.2: both are bound by serial cache misses (heap
 *   levels; list pointer chasing through a 48 MB pool).
 * - Time is split into 6-bit digits; level l has 64 buckets for digit l.
 *   An element sits at the level of the highest digit where its time
 *   differs from the wheel's reference `ref` (<= every pending time), in the
 *   bucket of its own digit there, so level-0 buckets are single
 *   microseconds.  Scheduling is clz + an append; popping takes the front
 *   of the first non-empty level-0 bucket (ctz on a 64-bit map).  When
 *   level 0 is empty, the first non-empty bucket of the lowest non-empty
 *   level is redistributed after moving `ref` to that bucket's start; its
 *   elements all land lower, so each moves at most once per level (an
 *   event 1 ms ahead lands on level 1 and drops to level 0 once).
 * - Sparse times (few elements a bucket: 10 k pending spread over hours)
 *   take two short cuts.  A bucket of at most SMALL_BUCKET elements moves
 *   `ref` to its least key, not its start, so that element lands on level
 *   0 and the others usually drop several levels at once.  A bucket holding
 *   a single element is not redistributed at all: that element is the
 *   earliest pending one and fires from where it is (`ref` moves to its
 *   key when it fires).  At 10 k pending with bimodal or log-uniform
 *   increments most pops go this way (1.6x and 1.2x faster than without).
 * - Elements {time, slot, version} are self-contained: redistribution
 *   streams through buckets and never touches the payload pool, so the
 *   only scattered access per event is the payload read when it fires,
 *   and that is prefetched while earlier callbacks run.  (Carrying the
 *   payload inside 40-byte elements instead was measured ~2x slower: three
 *   times the bytes per redistribution, and freeing the slot still writes
 *   the pool.)  The pool is cache-line aligned, so no payload straddles two
 *   lines: with calloc's 16-byte alignment half did, the prefetch fetched
 *   the wrong half, and at 1 M pending the exponential laws ran 1.4x
 *   slower.
 * - A bucket is a chain of 17-line chunks (67 elements) from one free list
 *   shared by all buckets.  Growing a bucket is taking a chunk, never a
 *   reallocation or a copy; a redistributed bucket hands each chunk back
 *   as soon as it is read, and the free list is LIFO, so the pushes it
 *   makes write into chunks that are still in cache; the next chunk of the
 *   bucket is prefetched while one is pushed (chunks are not adjacent).
 *   An emptied bucket keeps its first chunk, so a bucket that holds one
 *   element at a time keeps reusing the same line.  The odd chunk size
 *   spreads those first lines over all cache sets (1 KB chunks put them in
 *   4 of 64).  Before chunks, each bucket was an array that doubled and
 *   kept its peak capacity: at 1 M pending with exponential increments
 *   (mean 1 h) a fifth of the time went to page faults of arrays growing
 *   in buckets the wheel had not used yet, and the process grew to 340 MB
 *   after 30 M pairs; with chunks it stays at 55 MB (32 of them the pool).
 * - Ties fire in insertion order without sequence numbers: a schedule
 *   appends the newest element at a bucket's tail, and redistribution walks
 *   a bucket in order into buckets that are empty (every lower level is
 *   empty when a bucket is redistributed), so every bucket stays in
 *   insertion order, and equal times always share a bucket (placement
 *   depends only on the time and `ref`).  Reschedule appends a new element:
 *   a new insertion sequence, as the header promises.
 * - Cancel and reschedule are lazy: they bump the payload's version, which
 *   turns the old element into a tombstone that pops skip (and
 *   calendar_next_time looks past).  The slot is free (cancel) at once.
 *   Tombstones are swept from every bucket when they outnumber pending
 *   entries, so memory stays O(pending) amortised.
 * - Memory: payloads live in one pool indexed by slot, grown by doubling;
 *   freed slots are reused LIFO, so the slot a callback frees is the one
 *   its follow-up schedule takes.  Chunks come from slabs that double the
 *   chunk count when the free list runs dry.  Chunks in use number at most
 *   (pending + tombstones) / 67 + 2 per bucket, and neither pool shrinks,
 *   so memory is O(peak pending) and steady state allocates nothing.
 *
 * Figures (bench/bench_calendar.c, bench/RESULTS.md; Zen 4, M pairs per
 * CPU second): at 1 M pending 14-29 for the five increment laws (the
 * exponential ones were 8.7-10.3 before the aligned pool, the chunks and
 * the lone-element short cut); at 10 k pending 1.25x (log-uniform) to
 * 4.2x (uniform) a binary heap.
 *
 * `ref` never exceeds the clock once an operation returns, so any time a
 * caller may schedule (>= now) is >= ref: a bucket is redistributed only
 * when the clock is about to reach its start (its earliest element fires,
 * or run_until moves the clock to an `until` past the start).
 *
 * Handles are gen << 32 | (slot + 1).  A slot's generation is odd while it
 * is pending and bumped when it is scheduled and when it is freed, so a
 * handle to a fired or cancelled entry is refused even after the slot is
 * reused (until the 32-bit generation wraps: 2e9 reuses of that one slot).
 */
#include "common/calendar.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/xalloc.h"

#define BITS 6
#define WIDTH (1u << BITS)                     /* buckets per level */
#define LEVELS ((64 + BITS - 1) / BITS)        /* 11: covers 64-bit times */
#define NBUCKETS (LEVELS * WIDTH)
#define NONE UINT32_MAX
#define SIGN ((uint64_t)1 << 63)
#define PREFETCH_AHEAD 8        /* elements, within a level-0 bucket */
#define PREFETCH_BATCH 512      /* elements dropping into level 0 at once */
#define SMALL_BUCKET 32         /* redistributed from their least key */
/* (Measured: 8, 16, 64 and 128 do as well, within noise.) */

struct elem {
	uint64_t key;           /* time with the sign bit flipped: unsigned order */
	uint32_t slot;
	uint32_t ver;           /* equals the payload's ver while current */
};

/* Buckets are FIFO chains of fixed-size chunks from one shared free list.
 * A chunk is 17 cache lines: an odd number, so the first lines of
 * neighbouring chunks (all a small bucket touches) spread over every cache
 * set instead of piling into the few sets of a power-of-two stride. */
#define CHUNK_ELEMS 67
#define SLAB_MIN 64             /* chunks in the first slab */

struct chunk {
	struct chunk *next;
	uint64_t pad_;
	struct elem e[CHUNK_ELEMS];
};
_Static_assert(sizeof(struct chunk) == 17 * 64, "a chunk is 17 cache lines");

struct bucket {
	struct chunk *head, *tail;  /* NULL when empty */
	uint32_t h, t;              /* head->e[h ..] to tail->e[.. t) are queued */
	uint32_t n;                 /* queued elements, tombstones included */
};

struct payload {
	calendar_fn fn;
	void *ctx;
	uint64_t arg;           /* next free slot while the slot is free */
	uint32_t gen;           /* odd while pending */
	uint32_t ver;
};

struct calendar {
	struct payload *ent;
	size_t ent_cap;
	uint32_t free_head;
	size_t live;                      /* pending entries */
	size_t tombs;                     /* stale elements still in buckets */
	uint64_t ref;                     /* <= every pending key and <= now */
	uint64_t map[LEVELS];             /* non-empty buckets per level */
	uint32_t levels;                  /* levels with a non-empty bucket */
	struct chunk *free_chunks;        /* LIFO: the last freed is cache-hot */
	struct chunk **slabs;             /* chunk memory, for calendar_free */
	size_t nslabs, slab_cap, nchunks;
	struct bucket b[NBUCKETS];
	simtime now;
	bool stop;
};

static inline uint64_t to_key(simtime t) { return (uint64_t)t ^ SIGN; }
static inline simtime from_key(uint64_t k) { return (simtime)(k ^ SIGN); }

/* The bucket of `key` relative to `ref` (key >= ref). */
static inline uint32_t place(uint64_t key, uint64_t ref)
{
	unsigned level = (unsigned)(63 - __builtin_clzll((key ^ ref) | 1)) / BITS;

	return level * WIDTH + (uint32_t)((key >> (level * BITS)) & (WIDTH - 1));
}

static void pool_grow(struct calendar *cal)
{
	size_t old = cal->ent_cap, cap = old ? old * 2 : 64;
	struct payload *ent;

	ASSERT(cap <= (size_t)NONE);
	/* Line-aligned, so no 32-byte payload straddles two cache lines (from
	 * calloc's 16-byte alignment, half of them did, and the prefetch of a
	 * payload's first line missed the version that pops check: at 1 M
	 * pending, aligning made the exponential laws 1.4x faster).  From 4 MB up
	 * on huge pages: pops read payloads at random, and a 1 M pool is 32 MB. */
	ent = xcalloc_aligned(cap, sizeof(*ent));
	if (old)
		memcpy(ent, cal->ent, old * sizeof(*ent));
	free(cal->ent);
	cal->ent = ent;
	/* Chain the new slots so the lowest index is handed out first. */
	for (size_t i = cap; i-- > old;) {
		cal->ent[i].arg = cal->free_head;
		cal->free_head = (uint32_t)i;
	}
	cal->ent_cap = cap;
}

static inline bool elem_live(const struct calendar *cal, const struct elem *e)
{
	return cal->ent[e->slot].ver == e->ver;
}

static inline void mark_nonempty(struct calendar *cal, uint32_t b)
{
	cal->map[b / WIDTH] |= (uint64_t)1 << (b % WIDTH);
	cal->levels |= 1u << (b / WIDTH);
}

static void slab_add(struct calendar *cal)
{
	size_t k = cal->nchunks > SLAB_MIN ? cal->nchunks : SLAB_MIN;
	struct chunk *c = xcalloc_aligned(k, sizeof(*c));

	XGROW(cal->slabs, cal->nslabs + 1, cal->slab_cap);
	cal->slabs[cal->nslabs++] = c;
	cal->nchunks += k;
	for (size_t i = k; i-- > 0;) {
		c[i].next = cal->free_chunks;
		cal->free_chunks = &c[i];
	}
}

static inline struct chunk *chunk_get(struct calendar *cal)
{
	struct chunk *c;

	if (!cal->free_chunks)
		slab_add(cal);
	c = cal->free_chunks;
	cal->free_chunks = c->next;
	c->next = NULL;
	return c;
}

static inline void chunk_put(struct calendar *cal, struct chunk *c)
{
	c->next = cal->free_chunks;
	cal->free_chunks = c;
}

/* Empty a bucket and clear its bit, leaving its chunks alone: it keeps its
 * first chunk (so a bucket that fills and drains one element at a time
 * reuses the same cache lines), whose link the caller resets. */
static inline void clear_bucket(struct calendar *cal, uint32_t b)
{
	struct bucket *bk = &cal->b[b];

	if (bk->head) {
		bk->tail = bk->head;
		bk->t = 0;
	}
	bk->h = 0;
	bk->n = 0;
	cal->map[b / WIDTH] &= ~((uint64_t)1 << (b % WIDTH));
	if (!cal->map[b / WIDTH])
		cal->levels &= ~(1u << (b / WIDTH));
}

/* Forget a bucket's contents: its chunks but the first go back to the
 * free list. */
static inline void mark_empty(struct calendar *cal, uint32_t b)
{
	struct bucket *bk = &cal->b[b];

	if (bk->head) {
		for (struct chunk *c = bk->head->next, *next; c; c = next) {
			next = c->next;
			chunk_put(cal, c);
		}
		bk->head->next = NULL;
	}
	clear_bucket(cal, b);
}

/* The tail chunk is full (or the bucket has none): append a fresh one. */
static void bucket_extend(struct calendar *cal, uint32_t b)
{
	struct bucket *bk = &cal->b[b];
	struct chunk *c = chunk_get(cal);

	if (bk->tail)
		bk->tail->next = c;
	else
		bk->head = c;
	bk->tail = c;
	bk->t = 0;
}

static inline void push(struct calendar *cal, uint64_t key, uint32_t slot, uint32_t ver)
{
	uint32_t b = place(key, cal->ref);
	struct bucket *bk = &cal->b[b];

	if (bk->t == CHUNK_ELEMS)
		bucket_extend(cal, b);
	bk->tail->e[bk->t++] = (struct elem){ .key = key, .slot = slot, .ver = ver };
	if (bk->n++ == 0)
		mark_nonempty(cal, b);
}

/* Drop the front element of a non-empty bucket. */
static inline void bucket_pop(struct calendar *cal, uint32_t b)
{
	struct bucket *bk = &cal->b[b];

	bk->h++;
	if (--bk->n == 0) {
		mark_empty(cal, b);
	} else if (bk->h == CHUNK_ELEMS) {
		struct chunk *c = bk->head;

		bk->head = c->next;
		bk->h = 0;
		chunk_put(cal, c);
	}
}

/* The end of chunk c's queued elements in bucket bk. */
static inline uint32_t chunk_end(const struct bucket *bk, const struct chunk *c)
{
	return c == bk->tail ? bk->t : CHUNK_ELEMS;
}

/* Drop tombstones at the front of level 0, so that the first queued
 * element of level 0, if any, is the earliest pending callback.  Done just
 * before a pop, which reads that payload anyway. */
static void purge_front(struct calendar *cal)
{
	while (cal->levels & 1u) {
		uint32_t b = (uint32_t)__builtin_ctzll(cal->map[0]);
		struct bucket *bk = &cal->b[b];

		do {
			if (elem_live(cal, &bk->head->e[bk->h]))
				return;
			cal->tombs--;
			bucket_pop(cal, b);  /* clears the bit when it empties */
		} while (bk->n);
	}
}

/* Drop every tombstone, keeping each bucket's order.  O(elements), run when
 * tombstones outnumber pending entries, so amortised O(1) per cancel. */
static void sweep(struct calendar *cal)
{
	for (uint32_t b = 0; b < NBUCKETS; b++) {
		struct bucket *bk = &cal->b[b];
		struct chunk *w, *rest;
		uint32_t wi = 0, n = 0;

		if (!bk->n)
			continue;
		/* Compact in place: the write position trails the read one. */
		w = bk->head;
		for (struct chunk *c = bk->head; c; c = c->next)
			for (uint32_t i = c == bk->head ? bk->h : 0; i < chunk_end(bk, c); i++) {
				if (!elem_live(cal, &c->e[i]))
					continue;
				if (wi == CHUNK_ELEMS) {
					w = w->next;
					wi = 0;
				}
				w->e[wi++] = c->e[i];
				n++;
			}
		if (n == 0) {
			mark_empty(cal, b);
			continue;
		}
		rest = w->next;
		w->next = NULL;
		while (rest) {
			struct chunk *next = rest->next;

			chunk_put(cal, rest);
			rest = next;
		}
		bk->h = 0;
		bk->tail = w;
		bk->t = wi;
		bk->n = n;
	}
	cal->tombs = 0;
}

/* Nothing pending: forget tombstones and bring `ref` back to the clock. */
static void clear_all(struct calendar *cal)
{
	for (uint32_t b = 0; b < NBUCKETS; b++)
		if (cal->b[b].n)
			mark_empty(cal, b);
	cal->tombs = 0;
	cal->ref = to_key(cal->now);
}

/* An element became stale: tidy up so the invariants hold on return. */
static void after_stale(struct calendar *cal)
{
	cal->tombs++;
	if (cal->live == 0)
		clear_all(cal);
	else if (cal->tombs > 2 * cal->live + 1024)
		sweep(cal);
}

/* Prefetch the payloads of the queued elements head->e[h] .. tail->e[t). */
static inline void prefetch_bucket(const struct calendar *cal, const struct chunk *head,
				   uint32_t h, const struct chunk *tail, uint32_t t)
{
	for (const struct chunk *c = head;; c = c->next) {
		uint32_t end = c == tail ? t : CHUNK_ELEMS;

		for (uint32_t i = c == head ? h : 0; i < end; i++)
			__builtin_prefetch(&cal->ent[c->e[i].slot]);
		if (c == tail)
			break;
	}
}

/* Prefetch the payloads of the next non-empty bucket after `digit` on
 * `level`, if it is small: they fire soon. */
static inline void prefetch_next(const struct calendar *cal, uint32_t level, uint32_t digit)
{
	uint64_t rest = digit + 1 < WIDTH ? cal->map[level] >> (digit + 1) : 0;

	if (rest) {
		const struct bucket *nb =
			&cal->b[level * WIDTH + digit + 1 + (uint32_t)__builtin_ctzll(rest)];

		if (nb->n <= PREFETCH_BATCH)
			prefetch_bucket(cal, nb->head, nb->h, nb->tail, nb->t);
	}
}

/* Find the bucket whose front is the earliest pending element (a level-0
 * bucket, or a higher bucket holding just that element), without letting
 * `ref` pass `limit`.  NONE when nothing is pending at or before limit (as
 * far as can be told without moving ref past it). */
static uint32_t settle(struct calendar *cal, uint64_t limit)
{
	for (;;) {
		uint32_t b, level, digit, h, t, n;
		uint64_t start;
		struct bucket *bk;
		struct chunk *head, *tail;

		purge_front(cal);
		if (cal->levels & 1u)
			return (uint32_t)__builtin_ctzll(cal->map[0]);
		if (!cal->levels)
			return NONE;
		level = (uint32_t)__builtin_ctz(cal->levels);
		digit = (uint32_t)__builtin_ctzll(cal->map[level]);
		b = level * WIDTH + digit;
		/* The bucket's first possible key: ref's higher digits, its digit. */
		start = 0;
		if (level + 1 < LEVELS)
			start = cal->ref >> ((level + 1) * BITS) << ((level + 1) * BITS);
		start |= (uint64_t)digit << (level * BITS);
		if (start > limit)
			return NONE;
		bk = &cal->b[b];
		/* A lone element is the earliest pending: it fires from where it
		 * is (ref may move to its key, see below), no redistribution.
		 * Sparse times make this the common case. */
		if (bk->n == 1) {
			const struct elem *e = &bk->head->e[bk->h];

			if (e->key > limit)
				return NONE;
			if (elem_live(cal, e)) {
				prefetch_next(cal, level, digit);
				return b;
			}
			cal->tombs--;
			mark_empty(cal, b);
			continue;
		}
		/* Detach the bucket, then redistribute: every element lands on a
		 * lower level, so never back into this bucket. */
		head = bk->head;
		tail = bk->tail;
		h = bk->h;
		t = bk->t;
		n = bk->n;
		clear_bucket(cal, b);   /* keeps its first chunk, read below */
		/* ref may move anywhere in [start, the bucket's least key]: the
		 * digits above this level stay, so every element elsewhere stays
		 * placed right.  A small bucket moves it to its least key (not
		 * past limit), which lands that element on level 0 at once: with
		 * sparse times (few elements a bucket) an element then drops
		 * about one level per redistribution instead of one a digit. */
		if (n <= SMALL_BUCKET) {
			uint64_t least = UINT64_MAX;

			for (const struct chunk *c = head;; c = c->next) {
				uint32_t end = c == tail ? t : CHUNK_ELEMS;

				for (uint32_t i = c == head ? h : 0; i < end; i++)
					least = c->e[i].key < least ? c->e[i].key : least;
				if (c == tail)
					break;
			}
			start = least < limit ? least : limit;
		}
		cal->ref = start;
		/* Sparse times: a small bucket's elements fire over the next few
		 * pops, each reading its payload at a random place in the pool.
		 * Start fetching them now, and those of the next bucket of this
		 * level, which fire right after: the misses overlap the pushes
		 * and pops in between instead of stalling each pop.  (Dense
		 * buckets are covered by the look-ahead in step_until.) */
		if (n <= PREFETCH_BATCH)
			prefetch_bucket(cal, head, h, tail, t);
		prefetch_next(cal, level, digit);
		/* Each further chunk goes back to the free list once read, so
		 * the pushes reuse it while it is in cache. */
		for (struct chunk *c = head, *next;; c = next) {
			uint32_t end = c == tail ? t : CHUNK_ELEMS;

			next = c->next;
			/* Chunks are not adjacent: fetch the next one while this
			 * one is pushed (a chunk is 17 lines, 67 pushes). */
			if (c != tail)
				for (uint32_t l = 0; l < sizeof(*c); l += 64)
					__builtin_prefetch((const char *)next + l);
			for (uint32_t i = c == head ? h : 0; i < end; i++)
				push(cal, c->e[i].key, c->e[i].slot, c->e[i].ver);
			if (c == head)
				c->next = NULL;
			else
				chunk_put(cal, c);
			if (c == tail)
				break;
		}
	}
}

struct calendar *calendar_new(simtime start, size_t capacity_hint)
{
	struct calendar *cal = xcalloc(1, sizeof(*cal));

	cal->now = start;
	cal->ref = to_key(start);
	cal->free_head = NONE;
	for (uint32_t b = 0; b < NBUCKETS; b++)
		cal->b[b].t = CHUNK_ELEMS;
	while (cal->ent_cap < capacity_hint || cal->ent_cap == 0)
		pool_grow(cal);
	return cal;
}

void calendar_free(struct calendar *cal)
{
	if (!cal)
		return;
	for (size_t i = 0; i < cal->nslabs; i++)
		free(cal->slabs[i]);
	free(cal->slabs);
	free(cal->ent);
	free(cal);
}

simtime calendar_now(const struct calendar *cal)
{
	return cal->now;
}

calendar_handle calendar_schedule(struct calendar *cal, simtime at, calendar_fn fn,
				  void *ctx, uint64_t arg)
{
	struct payload *p;
	uint32_t slot;

	if (at < cal->now)
		BUG("calendar: scheduling at %lld before now %lld", (long long)at,
		    (long long)cal->now);
	ASSERT(fn != NULL);
	if (cal->free_head == NONE)
		pool_grow(cal);
	slot = cal->free_head;
	p = &cal->ent[slot];
	cal->free_head = (uint32_t)p->arg;
	p->fn = fn;
	p->ctx = ctx;
	p->arg = arg;
	p->gen++;
	p->ver++;
	cal->live++;
	push(cal, to_key(at), slot, p->ver);
	return (uint64_t)p->gen << 32 | ((uint64_t)slot + 1);
}

/* The slot a handle names if it is still pending, else NONE. */
static uint32_t handle_slot(const struct calendar *cal, calendar_handle h)
{
	uint64_t s = h & 0xffffffffu;
	uint32_t gen = (uint32_t)(h >> 32);

	if (s == 0 || s > cal->ent_cap || !(gen & 1u) || cal->ent[s - 1].gen != gen)
		return NONE;
	return (uint32_t)(s - 1);
}

/* Free a slot whose element is gone or stale, invalidating its handles. */
static inline void slot_release(struct calendar *cal, uint32_t slot)
{
	struct payload *p = &cal->ent[slot];

	p->gen++;
	p->ver++;
	p->arg = cal->free_head;
	cal->free_head = slot;
	cal->live--;
}

bool calendar_cancel(struct calendar *cal, calendar_handle h)
{
	uint32_t slot = handle_slot(cal, h);

	if (slot == NONE)
		return false;
	slot_release(cal, slot);
	after_stale(cal);
	return true;
}

bool calendar_reschedule(struct calendar *cal, calendar_handle h, simtime at)
{
	uint32_t slot = handle_slot(cal, h);

	if (slot == NONE)
		return false;
	if (at < cal->now)
		BUG("calendar: rescheduling at %lld before now %lld", (long long)at,
		    (long long)cal->now);
	cal->ent[slot].ver++;
	push(cal, to_key(at), slot, cal->ent[slot].ver);
	after_stale(cal);
	return true;
}

size_t calendar_pending(const struct calendar *cal)
{
	return cal->live;
}

simtime calendar_next_time(const struct calendar *cal)
{
	/* Buckets order by level, then digit.  Level 0 buckets are single
	 * times, so their first live element answers; usually the very first
	 * element is live (tombstones are dropped lazily, by pops).  Above,
	 * the earliest live key of the first bucket holding one. */
	for (uint64_t m = cal->map[0]; m; m &= m - 1) {
		const struct bucket *bk = &cal->b[__builtin_ctzll(m)];

		for (const struct chunk *c = bk->head; c; c = c->next)
			for (uint32_t i = c == bk->head ? bk->h : 0; i < chunk_end(bk, c); i++)
				if (elem_live(cal, &c->e[i]))
					return from_key(c->e[i].key);
	}
	for (uint32_t level = 1; level < LEVELS; level++) {
		for (uint64_t m = cal->map[level]; m; m &= m - 1) {
			const struct bucket *bk =
				&cal->b[level * WIDTH + (uint32_t)__builtin_ctzll(m)];
			uint64_t best = UINT64_MAX;

			for (const struct chunk *c = bk->head; c; c = c->next)
				for (uint32_t i = c == bk->head ? bk->h : 0; i < chunk_end(bk, c); i++)
					if (elem_live(cal, &c->e[i]) && c->e[i].key < best)
						best = c->e[i].key;
			if (best != UINT64_MAX)
				return from_key(best);
		}
	}
	return SIMTIME_NEVER;
}

/* Pop and run the earliest callback if it is at or before `limit`. */
static bool step_until(struct calendar *cal, uint64_t limit)
{
	struct bucket *bk;
	struct payload *p;
	struct elem e;
	uint32_t b;
	calendar_fn fn;
	void *ctx;
	uint64_t arg;

	b = settle(cal, limit);
	if (b == NONE)
		return false;
	bk = &cal->b[b];
	e = bk->head->e[bk->h];
	if (e.key > limit)
		return false;
	bucket_pop(cal, b);
	/* Start fetching upcoming payloads while this callback runs: the one
	 * scattered read per pop.  Within a dense bucket, look a few ahead. */
	if (bk->n > PREFETCH_AHEAD && bk->h + PREFETCH_AHEAD < CHUNK_ELEMS)
		__builtin_prefetch(&cal->ent[bk->head->e[bk->h + PREFETCH_AHEAD].slot]);
	if (cal->levels & 1u) {
		const struct bucket *nb = &cal->b[__builtin_ctzll(cal->map[0])];

		__builtin_prefetch(&cal->ent[nb->head->e[nb->h].slot]);
	}
	p = &cal->ent[e.slot];
	fn = p->fn;
	ctx = p->ctx;
	arg = p->arg;
	/* Free before the call: the callback cannot cancel what is running,
	 * and its own follow-up schedule reuses this (hot) slot. */
	slot_release(cal, e.slot);
	cal->ref = e.key;
	cal->now = from_key(e.key);
	if (cal->live == 0 && cal->tombs)
		clear_all(cal);
	fn(ctx, arg, cal->now);
	return true;
}

bool calendar_step(struct calendar *cal)
{
	return step_until(cal, UINT64_MAX);
}

uint64_t calendar_run_until(struct calendar *cal, simtime until)
{
	uint64_t ran = 0;

	if (until < cal->now)
		return 0;
	while (!cal->stop && step_until(cal, to_key(until)))
		ran++;
	if (cal->stop)
		cal->stop = false;
	else
		cal->now = until;
	return ran;
}

void calendar_stop(struct calendar *cal)
{
	cal->stop = true;
}
