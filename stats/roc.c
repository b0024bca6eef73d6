/* ROC curve points; see roc.h. */
#include "stats/roc.h"

#include "common/xalloc.h"

#include <math.h>
#include <stdlib.h>

struct scored {
	double score, label;
	size_t index;
};

/* Descending score; ties by index so the order is deterministic. */
static int by_score_desc(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

size_t roc_curve(const double *score, const double *label, size_t n, size_t max_points,
		 double *fpr, double *tpr)
{
	struct scored *s = xcalloc(n ? n : 1, sizeof(*s));
	double pos = 0, neg = 0, tp = 0, fp = 0;
	size_t m = 0, out = 0, distinct = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(score[i])) {
			s[m] = (struct scored){ score[i], label[i], i };
			pos += label[i] > 0.5;
			neg += label[i] <= 0.5;
			m++;
		}
	if (pos == 0 || neg == 0 || max_points < 2) {
		free(s);
		return 0;
	}
	qsort(s, m, sizeof(*s), by_score_desc);
	for (size_t i = 0; i < m; i++)
		distinct += i + 1 == m || s[i].score != s[i + 1].score;
	fpr[out] = 0;
	tpr[out++] = 0;
	{
		/* Keep every k-th threshold so at most max_points - 2 interior
		 * points remain. */
		size_t step = distinct / (max_points - 2) + 1, seen = 0;

		for (size_t i = 0; i < m; i++) {
			tp += s[i].label > 0.5;
			fp += s[i].label <= 0.5;
			if (i + 1 < m && s[i].score == s[i + 1].score)
				continue;
			seen++;
			if (i + 1 < m && seen % step != 0)
				continue;
			if (out < max_points) {
				fpr[out] = fp / neg;
				tpr[out++] = tp / pos;
			}
		}
	}
	if (fpr[out - 1] != 1.0 || tpr[out - 1] != 1.0) {
		if (out == max_points)
			out--;
		fpr[out] = 1.0;
		tpr[out++] = 1.0;
	}
	free(s);
	return out;
}
