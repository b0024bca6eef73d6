/* Point-in-time join of the training set and skew measurement; see skew.h. */
#include "eval/skew.h"

#include "common/xalloc.h"
#include "engine/batch.h"
#include "engine/batchjob.h"
#include "engine/catalog.h"
#include "engine/featurestore.h"
#include "engine/pitjoin.h"
#include "eval/implog.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const group_names[SKEW_GROUPS] = { "user", "creator", "user_topic",
						      "user_creator" };

/* The feature-store entity of group g for row i: pairs are keyed
 * first << 32 | second, as the batch job writes them. */
static int64_t entity_of(int g, uint32_t user, uint32_t creator, uint16_t topic)
{
	switch (g) {
	case BATCH_USER:
		return user;
	case BATCH_CREATOR:
		return creator;
	case BATCH_USER_TOPIC:
		return (int64_t)((uint64_t)user << 32 | topic);
	default:
		return (int64_t)((uint64_t)user << 32 | creator);
	}
}

/* Serving and offline agree when both are missing or both hold the same
 * float (the snapshot stores floats; the store doubles of the same values). */
static void compare_cell(struct skew_report *rep, int g, float served, double joined,
			 uint8_t found)
{
	float j = found ? (float)joined : NAN;

	rep->cells[g]++;
	rep->found[g] += found;
	if (isnan(served) && isnan(j))
		return;
	if (isnan(served) || isnan(j) || served != j)
		rep->mismatched[g]++;
	if (!isnan(served) && !isnan(j))
		rep->abs_diff_sum[g] += fabs((double)served - (double)j);
}

int skew_join(struct implog *log, size_t first_row, struct batchjob *bj,
	      const struct catalog *cat, const size_t offset[SKEW_GROUPS],
	      struct skew_report *rep, struct error *err)
{
	size_t all = implog_rows(log), stride = implog_stride(log);
	size_t n = first_row < all ? all - first_row : 0;
	float *rows = implog_features_mut(log) + first_row * stride;
	const uint32_t *users = implog_users(log) + first_row;
	const uint32_t *shows = implog_shows(log) + first_row;
	int64_t *entity = xcalloc(n ? n : 1, sizeof(*entity));
	simtime *t = xcalloc(n ? n : 1, sizeof(*t));
	uint8_t *found = xcalloc(n ? n : 1, sizeof(*found));
	double *out = NULL;
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	memcpy(t, implog_times(log) + first_row, n * sizeof(*t));
	for (int g = 0; g < SKEW_GROUPS && rc == 0; g++) {
		size_t k;

		rep->group[g] = group_names[g];
		batchjob_feature_names(bj, (enum batch_table_id)g, &k);
		if (k == 0 || n == 0)
			continue;
		ASSERT(offset[g] + k <= stride);
		for (size_t i = 0; i < n; i++)
			entity[i] = entity_of(g, users[i], catalog_creator(cat, shows[i]),
					      catalog_topic(cat, shows[i]));
		out = xreallocarray(out, n * k, sizeof(*out));
		rc = pitjoin_run(batchjob_featurestore(bj),
					   batchjob_group(bj, (enum batch_table_id)g), entity, t, n,
					   PITJOIN_AS_KNOWN_AT, out, found, NULL, err);
		if (rc < 0) {
			error_prefix(err, "point-in-time join of the %s features: ", group_names[g]);
			break;
		}
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < k; j++) {
				float *cell = &rows[i * stride + offset[g] + j];

				compare_cell(rep, g, *cell, out[i * k + j], found[i]);
				*cell = found[i] ? (float)out[i * k + j] : NAN;
			}
	}
	free(out);
	free(found);
	free(t);
	free(entity);
	return rc;
}
