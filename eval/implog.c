/* Impression log for training; see implog.h. */
#include "eval/implog.h"

#include "common/error.h"
#include "common/event.h"
#include "common/rng.h"
#include "common/xalloc.h"

#include <stdlib.h>
#include <string.h>

struct implog {
	size_t stride, max_rows, n;
	uint64_t threshold;  /* sampled when hash < threshold */
	uint64_t salt, dropped, positives;
	float *features;
	double *labels;
	uint32_t *users, *shows, *sessions;
	simtime *times;
	uint16_t *positions;
	uint8_t *explored;
	/* session -> first row and row count, for labelling clicks; session ids
	 * are two dense ranges (exogenous from 0, endogenous from
	 * EVENT_SESSION_RETURN_BASE: common/event.h), interleaved by slot(), so
	 * a growable array works. */
	uint32_t *sess_first, *sess_count;
	size_t sess_cap;
};

struct implog *implog_new(size_t stride, size_t max_rows, double sample_share, uint64_t salt)
{
	struct implog *l = xcalloc(1, sizeof(*l));

	l->stride = stride;
	l->max_rows = max_rows;
	l->salt = salt;
	l->threshold = sample_share >= 1.0 ? UINT64_MAX
					   : (uint64_t)(sample_share * 18446744073709551616.0);
	l->features = xcalloc(max_rows * (stride ? stride : 1), sizeof(float));
	l->labels = xcalloc(max_rows, sizeof(double));
	l->users = xcalloc(max_rows, sizeof(uint32_t));
	l->shows = xcalloc(max_rows, sizeof(uint32_t));
	l->sessions = xcalloc(max_rows, sizeof(uint32_t));
	l->times = xcalloc(max_rows, sizeof(simtime));
	l->positions = xcalloc(max_rows, sizeof(uint16_t));
	l->explored = xcalloc(max_rows, sizeof(uint8_t));
	return l;
}

void implog_free(struct implog *l)
{
	if (!l)
		return;
	free(l->features);
	free(l->labels);
	free(l->users);
	free(l->shows);
	free(l->sessions);
	free(l->times);
	free(l->positions);
	free(l->explored);
	free(l->sess_first);
	free(l->sess_count);
	free(l);
}

static size_t slot(uint32_t session)
{
	ASSERT(session < EVENT_SESSION_HISTORY_BASE);
	return (size_t)event_session_slot(session);
}

bool implog_sampled(const struct implog *l, uint32_t session)
{
	return l->threshold && rng_hash4(l->salt, 0x696d706c6f67ULL, session, 0) < l->threshold;
}

void implog_begin_page(struct implog *l, uint32_t session)
{
	size_t s = slot(session);

	if (s >= l->sess_cap) {
		size_t old = l->sess_cap, cap = old;

		XGROW(l->sess_first, s + 1, cap);
		cap = old;
		XGROW(l->sess_count, s + 1, cap);
		memset(l->sess_count + old, 0, (cap - old) * sizeof(*l->sess_count));
		l->sess_cap = cap;
	}
	l->sess_first[s] = (uint32_t)l->n;
	l->sess_count[s] = 0;
}

void implog_row(struct implog *l, uint32_t user, uint32_t session, simtime now, uint32_t show,
		const float *row, uint16_t position, bool explored)
{
	size_t r = l->n, s = slot(session);

	ASSERT(s < l->sess_cap && l->sess_first[s] + l->sess_count[s] == r);
	if (r >= l->max_rows) {
		l->dropped++;
		return;
	}
	memcpy(l->features + r * l->stride, row, l->stride * sizeof(float));
	l->labels[r] = 0;
	l->users[r] = user;
	l->shows[r] = show;
	l->sessions[r] = session;
	l->times[r] = now;
	l->positions[r] = position;
	l->explored[r] = explored;
	l->n++;
	l->sess_count[s]++;
}

void implog_page(struct implog *l, uint32_t user, uint32_t session, simtime now,
		 const uint32_t *shows, const float *const *rows, size_t k, bool explored)
{
	implog_begin_page(l, session);
	for (size_t i = 0; i < k; i++)
		implog_row(l, user, session, now, shows[i], rows[i], (uint16_t)i, explored);
}

void implog_click(struct implog *l, uint32_t session, uint32_t show)
{
	size_t s = slot(session);
	uint32_t first, count;

	if (s >= l->sess_cap)
		return;
	first = l->sess_first[s];
	count = l->sess_count[s];
	for (uint32_t r = first; r < first + count; r++)
		if (l->shows[r] == show && l->labels[r] == 0) {
			l->labels[r] = 1;
			l->positives++;
			return;
		}
}

size_t implog_rows(const struct implog *l) { return l->n; }
size_t implog_stride(const struct implog *l) { return l->stride; }
uint64_t implog_dropped(const struct implog *l) { return l->dropped; }
uint64_t implog_positives(const struct implog *l) { return l->positives; }
const float *implog_features(const struct implog *l) { return l->features; }
float *implog_features_mut(struct implog *l) { return l->features; }
const double *implog_labels(const struct implog *l) { return l->labels; }
const uint32_t *implog_users(const struct implog *l) { return l->users; }
const uint32_t *implog_shows(const struct implog *l) { return l->shows; }
const simtime *implog_times(const struct implog *l) { return l->times; }
const uint16_t *implog_positions(const struct implog *l) { return l->positions; }

simtime implog_first_time(const struct implog *l)
{
	return l->n ? l->times[0] : SIMTIME_NEVER;
}

simtime implog_last_time(const struct implog *l)
{
	return l->n ? l->times[l->n - 1] : SIMTIME_NEVER;
}
