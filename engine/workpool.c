/*
 * Helper threads claiming blocks of a loop; see workpool.h.
 *
 * Protocol.  The job's description (fn, ctx, n, block) and its number are
 * written under the mutex; a helper copies them under the same mutex and
 * announces the job in holding[slot] before it claims anything.  Blocks are
 * claimed by compare-and-swap on one 64-bit word holding the job number
 * (high half) and the next block (low half): a helper still holding an old
 * job's description fails to claim and goes back to wait, so it never runs
 * an old function over a new job's blocks.  A helper that finishes a block
 * stores (job << 8 | slot) in done[block] with release order; the caller
 * collects it with acquire order, or, past the takeover deadline, runs the
 * block itself and ignores the helper's result.  holding[slot] goes back
 * to 0 (release) when the helper is out of the job: workpool_busy().
 *
 * Why holding covers every read of a job's inputs: a helper reads inputs
 * only inside fn, after a successful claim, which follows its holding store
 * in the (sequentially consistent) order of those operations; the caller
 * finishes a job only after a failed claim that saw that successful one,
 * so a later workpool_busy() load sees the job number or a later value.
 * A helper that claims nothing reads nothing.
 */
#include "engine/workpool.h"

#include "common/xalloc.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

struct helper {
	struct workpool *pool;
	unsigned slot;
};

struct workpool {
	unsigned threads;
	unsigned started;            /* helpers running */
	size_t max_blocks;
	pthread_t *tid;
	struct helper *helpers;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	workpool_fn fn;
	void *ctx;
	size_t n, block;
	uint32_t job;
	uint32_t nudges;             /* workpool_wake() calls that found a sleeper */
	unsigned sleepers;
	bool stop;

	_Atomic uint32_t posted;     /* == job, for polling without the mutex */
	_Atomic unsigned asleep;     /* == sleepers, for workpool_wake() */
	_Atomic uint64_t claim;      /* job << 32 | next block */
	_Atomic uint64_t *done;      /* [max_blocks]: job << 8 | slot of the helper that ran it */
	_Atomic uint32_t *holding;   /* [threads]: the job helper i is in, 0 none */
	uint32_t *mine;              /* [max_blocks]: caller only: job it ran the block in */
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The next unclaimed block of `job`, or -1 when none is left (or the job
 * is no longer the current one). */
static int64_t claim_block(struct workpool *p, uint32_t job, size_t n_blocks)
{
	uint64_t c = atomic_load(&p->claim);

	for (;;) {
		if ((uint32_t)(c >> 32) != job || (uint32_t)c >= n_blocks)
			return -1;
		if (atomic_compare_exchange_weak(&p->claim, &c, c + 1))
			return (int64_t)(uint32_t)c;
	}
}

static void block_range(size_t n, size_t block, int64_t b, size_t *begin, size_t *end)
{
	*begin = (size_t)b * block;
	*end = n - *begin < block ? n : *begin + block;
}

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	struct workpool *p = h->pool;
	uint32_t seen = 0, seen_nudges = 0;
	int64_t spin_us = WORKPOOL_SPIN_US;

	for (;;) {
		int64_t deadline = mono_ns() + spin_us * 1000;
		workpool_fn fn;
		void *ctx;
		size_t n, block, n_blocks, begin, end;
		int64_t b;

		/* Poll a while: the next job usually follows soon.  Yielding
		 * rather than spinning in place: a helper that shares a core
		 * with the caller (the host is busy) must not keep it from
		 * running the very work the helper waits for. */
		for (unsigned i = 1; atomic_load_explicit(&p->posted, memory_order_acquire) == seen;
		     i++) {
			sched_yield();
			if (i % 8 == 0 && mono_ns() > deadline)
				break;
		}
		pthread_mutex_lock(&p->mu);
		while (p->job == seen && !p->stop && p->nudges == seen_nudges) {
			atomic_store(&p->asleep, ++p->sleepers);
			pthread_cond_wait(&p->cv, &p->mu);
			atomic_store(&p->asleep, --p->sleepers);
		}
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		seen_nudges = p->nudges;
		if (p->job == seen) {
			/* Woken ahead of a job: poll for it a while. */
			pthread_mutex_unlock(&p->mu);
			spin_us = WORKPOOL_WAKE_SPIN_US;
			continue;
		}
		spin_us = WORKPOOL_SPIN_US;
		seen = p->job;
		fn = p->fn;
		ctx = p->ctx;
		n = p->n;
		block = p->block;
		atomic_store(&p->holding[h->slot], seen);
		pthread_mutex_unlock(&p->mu);

		n_blocks = (n + block - 1) / block;
		while ((b = claim_block(p, seen, n_blocks)) >= 0) {
			block_range(n, block, b, &begin, &end);
			fn(ctx, h->slot, begin, end);
			atomic_store_explicit(&p->done[b], (uint64_t)seen << 8 | h->slot,
					      memory_order_release);
		}
		atomic_store(&p->holding[h->slot], 0);
	}
}

void workpool_free(struct workpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->started; i++)
		pthread_join(p->tid[i], NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->tid);
	free(p->helpers);
	free(p->done);
	free(p->holding);
	free(p->mine);
	free(p);
}

struct workpool *workpool_new(unsigned threads, size_t max_blocks, struct error *err)
{
	struct workpool *p;

	if (threads < 1 || threads > 64) {
		error_set(err, ERR_INPUT, "workpool: %u threads out of range [1, 64]", threads);
		return NULL;
	}
	if (max_blocks == 0 || max_blocks >= UINT32_MAX) {
		error_set(err, ERR_INPUT, "workpool: %zu blocks per job out of range", max_blocks);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->threads = threads;
	p->max_blocks = max_blocks;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	atomic_init(&p->posted, 0);
	atomic_init(&p->asleep, 0);
	atomic_init(&p->claim, 0);
	p->done = xcalloc(max_blocks, sizeof(*p->done));
	for (size_t b = 0; b < max_blocks; b++)
		atomic_init(&p->done[b], 0);
	p->holding = xcalloc(threads, sizeof(*p->holding));
	for (unsigned i = 0; i < threads; i++)
		atomic_init(&p->holding[i], 0);
	p->mine = xcalloc(max_blocks, sizeof(*p->mine));
	p->tid = xcalloc(threads, sizeof(*p->tid));
	p->helpers = xcalloc(threads, sizeof(*p->helpers));
	for (unsigned i = 0; i + 1 < threads; i++) {
		int rc;

		p->helpers[i] = (struct helper){ p, i + 1 };
		rc = pthread_create(&p->tid[i], NULL, helper_main, &p->helpers[i]);
		if (rc != 0) {
			error_set(err, ERR_RUN, "workpool: cannot start helper thread %u of %u "
				  "(error %d)", i + 1, threads - 1, rc);
			workpool_free(p);
			return NULL;
		}
		p->started++;
	}
	return p;
}

unsigned workpool_threads(const struct workpool *p)
{
	return p->threads;
}

void workpool_wake(struct workpool *p)
{
	if (!atomic_load(&p->asleep))
		return;
	pthread_mutex_lock(&p->mu);
	if (p->sleepers) {
		p->nudges++;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
}

bool workpool_busy(const struct workpool *p, uint32_t job)
{
	if (job == 0)
		return false;
	for (unsigned i = 1; i < p->threads; i++)
		if (atomic_load((_Atomic uint32_t *)&p->holding[i]) == job)
			return true;
	return false;
}

uint32_t workpool_run(struct workpool *p, size_t n, size_t block, workpool_fn fn,
		      workpool_fn collect, void *ctx)
{
	size_t n_blocks, begin, end;
	int64_t b, deadline = 0;
	uint32_t job;

	ASSERT(block > 0);
	n_blocks = (n + block - 1) / block;
	if (p->threads == 1 || n_blocks <= 1) {
		if (n)
			fn(ctx, 0, 0, n);
		return 0;
	}
	ASSERT(n_blocks <= p->max_blocks);
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->ctx = ctx;
	p->n = n;
	p->block = block;
	if (++p->job == 0)           /* 0 means "no job" */
		p->job = 1;
	job = p->job;
	atomic_store(&p->claim, (uint64_t)job << 32);
	atomic_store_explicit(&p->posted, job, memory_order_release);
	if (p->sleepers)
		pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);

	while ((b = claim_block(p, job, n_blocks)) >= 0) {
		block_range(n, block, b, &begin, &end);
		fn(ctx, 0, begin, end);
		p->mine[b] = job;
	}
	/* The rest were claimed by helpers: collect each, or run it here if
	 * its helper is late (descheduled, most likely). */
	for (b = 0; b < (int64_t)n_blocks; b++) {
		if (p->mine[b] == job)
			continue;
		block_range(n, block, b, &begin, &end);
		for (unsigned i = 1;; i++) {
			uint64_t d = atomic_load_explicit(&p->done[b], memory_order_acquire);

			if ((uint32_t)(d >> 8) == job) {
				collect(ctx, (unsigned)(d & 0xff), begin, end);
				break;
			}
			if (i % 64 == 0) {
				int64_t now = mono_ns();

				if (!deadline)
					deadline = now + (int64_t)WORKPOOL_TAKEOVER_US * 1000;
				else if (now > deadline) {
					fn(ctx, 0, begin, end);
					break;
				}
			}
			CPU_RELAX();
		}
	}
	return job;
}
