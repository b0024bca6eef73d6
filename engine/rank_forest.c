/* The forest behind the rank_model interface; see rank_forest.h. */
#include "engine/rank_forest.h"

#include <stdlib.h>

#include "common/xalloc.h"

static const char *name(const void *ctx, size_t i)
{
	return forest_feature_name(ctx, i);
}

static int predict(const void *ctx, const float *rows, size_t n, size_t stride, double *out,
		   struct error *err)
{
	if (forest_predict_batch(ctx, rows, n, stride, out))
		return error_set(err, ERR_INPUT, "rank: row stride %zu below the forest's %zu features",
				 stride, forest_n_features(ctx));
	return 0;
}

/* Depth of one tree (steps from the root to its deepest leaf), by an
 * explicit-stack walk: no assumption on the order nodes are stored in. */
static unsigned tree_depth(const struct forest_node *nodes, size_t n)
{
	uint32_t *stack = xcalloc(n ? n : 1, sizeof(*stack));
	unsigned *depth = xcalloc(n ? n : 1, sizeof(*depth));
	size_t top = 0;
	unsigned deepest = 0;

	if (n)
		stack[top++] = 0;
	while (top) {
		uint32_t i = stack[--top];

		if (depth[i] > deepest)
			deepest = depth[i];
		if (nodes[i].flags & FOREST_LEAF)
			continue;
		ASSERT(nodes[i].left + 1 < n && top + 2 <= n);
		depth[nodes[i].left] = depth[nodes[i].left + 1] = depth[i] + 1;
		stack[top++] = nodes[i].left;
		stack[top++] = nodes[i].left + 1;
	}
	free(stack);
	free(depth);
	return deepest;
}

void rank_forest_model(struct rank_model *m, const struct forest *f)
{
	uint64_t steps = 0;

	for (size_t t = 0; t < forest_n_trees(f); t++) {
		size_t n;
		const struct forest_node *nodes = forest_tree(f, t, &n);

		steps += tree_depth(nodes, n);
	}
	m->ctx = f;
	m->n_features = forest_n_features(f);
	m->feature_name = name;
	m->predict = predict;
	m->n_trees = (uint32_t)forest_n_trees(f);
	m->nodes_per_row = steps;
}
