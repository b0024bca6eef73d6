/* The logged bandit feedback of a world; see banditlog.h. */
#include "eval/banditlog.h"

#include "common/rng.h"
#include "common/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NO_ROUND UINT32_MAX

struct banditlog {
	struct bandit_table t;
	uint64_t threshold, salt;
	uint32_t *latest;          /* by session: its latest round, or NO_ROUND */
	size_t sess_cap;
};

struct banditlog *banditlog_new(size_t stride, const char *const *names, const uint32_t *kinds,
				size_t n_targets, const char *const *target_names,
				const struct policy_config *policy, size_t max_rows,
				double sample_share, uint64_t seed)
{
	struct banditlog *l = xcalloc(1, sizeof(*l));

	bandit_table_init(&l->t, stride, names, kinds, n_targets, target_names, policy, max_rows);
	l->salt = rng_hash4(seed, RNG_BANDIT_LOG, 0, 0);
	l->threshold = sample_share >= 1 ? UINT64_MAX
					 : (uint64_t)(sample_share * 18446744073709551616.0);
	return l;
}

void banditlog_free(struct banditlog *l)
{
	if (!l)
		return;
	bandit_table_release(&l->t);
	free(l->latest);
	free(l);
}

bool banditlog_sampled(const struct banditlog *l, uint32_t session)
{
	return l->threshold && (l->threshold == UINT64_MAX ||
				rng_hash4(l->salt, session, 0, 0) < l->threshold);
}

long banditlog_round(struct banditlog *l, const struct bandit_round *r)
{
	long i = bandit_table_add_round(&l->t, r);

	if (r->session >= l->sess_cap) {
		size_t old = l->sess_cap, cap = old ? old : 4096;

		while (cap <= r->session)
			cap *= 2;
		l->latest = xreallocarray(l->latest, cap, sizeof(*l->latest));
		for (size_t s = old; s < cap; s++)
			l->latest[s] = NO_ROUND;
		l->sess_cap = cap;
	}
	/* a page beyond max_rows ends the attribution to the one before */
	l->latest[r->session] = i < 0 ? NO_ROUND : (uint32_t)i;
	return i;
}

/* The slot of the session's latest page showing `show`, at `position`
 * when given (UINT16_MAX: any position); -1 if none. */
static long find_slot(const struct banditlog *l, const struct event *ev, bool by_position)
{
	const struct bandit_round *b;
	uint32_t i;

	if (ev->session == EVENT_NONE || ev->session >= l->sess_cap ||
	    (i = l->latest[ev->session]) == NO_ROUND)
		return -1;
	b = &l->t.rounds[i];
	if (b->user != ev->user)
		return -1;
	if (by_position) {
		if (ev->position >= b->n_slots || l->t.show[b->first + ev->position] != ev->show)
			return -1;
		return (long)(b->first + ev->position);
	}
	for (size_t j = 0; j < b->n_slots; j++)
		if (l->t.show[b->first + j] == ev->show)
			return (long)(b->first + j);
	return -1;
}

void banditlog_event(struct banditlog *l, const struct event *ev)
{
	long at;

	switch (ev->type) {
	case EVENT_LISTEN_START:
		if (ev->source == EVENT_SOURCE_HOME && (at = find_slot(l, ev, true)) >= 0)
			l->t.tune_in[at] = 1;
		break;
	case EVENT_LISTEN_END:
		if (ev->source == EVENT_SOURCE_HOME && (at = find_slot(l, ev, true)) >= 0)
			l->t.listen_us[at] += ev->value;
		break;
	case EVENT_LIKE:
		if ((at = find_slot(l, ev, false)) >= 0)
			l->t.like[at] = 1;
		break;
	case EVENT_FOLLOW:
		if ((at = find_slot(l, ev, false)) >= 0)
			l->t.follow[at] = 1;
		break;
	case EVENT_NOTIFY_ENABLE:
		if ((at = find_slot(l, ev, false)) >= 0)
			l->t.notify[at] = 1;
		break;
	default:
		break;
	}
}

struct bandit_table *banditlog_table(struct banditlog *l)
{
	return &l->t;
}
