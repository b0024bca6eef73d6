/* Batch feature freshness at serving time; see freshness.h. */
#include "engine/freshness.h"

#include "common/xalloc.h"

#include <stdlib.h>

#define FRESHNESS_HIGHEST (400 * SIMTIME_DAY)

struct freshness {
	struct hist hist;
	struct series *series;
	uint64_t missing;
};

simtime freshness_age(simtime now, simtime data_end)
{
	if (data_end < 0)
		return -1;
	return now > data_end ? now - data_end : 0;
}

struct freshness *freshness_new(simtime start, simtime width, size_t n, struct error *err)
{
	struct freshness *f = xcalloc(1, sizeof(*f));

	if (hist_init(&f->hist, FRESHNESS_HIGHEST, 3, err)) {
		free(f);
		return NULL;
	}
	f->series = series_new("batch_freshness_us", start, width, n, FRESHNESS_HIGHEST, 3, err);
	if (!f->series) {
		hist_release(&f->hist);
		free(f);
		return NULL;
	}
	return f;
}

void freshness_free(struct freshness *f)
{
	if (!f)
		return;
	hist_release(&f->hist);
	series_free(f->series);
	free(f);
}

void freshness_record(struct freshness *f, simtime now, simtime data_end)
{
	simtime age = freshness_age(now, data_end);

	if (age < 0) {
		f->missing++;
		return;
	}
	hist_record(&f->hist, age);
	series_record(f->series, now, age);
}

const struct hist *freshness_hist(const struct freshness *f) { return &f->hist; }
const struct series *freshness_series(const struct freshness *f) { return f->series; }
uint64_t freshness_missing(const struct freshness *f) { return f->missing; }
