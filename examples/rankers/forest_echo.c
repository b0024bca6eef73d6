/*
 * forest_echo: a scorer plugin that scores with an airtime forest model
 * file, read and evaluated by its own code (it includes nothing of airtime
 * but the scorer API), giving the built-in forest's scores bit for bit.
 * The example of docs/ranker-plugins.md; the model file format is there too.
 *
 *     cc -std=c11 -O2 -shared -fPIC -I include -o build/examples/libforest_echo.so \
 *        examples/rankers/forest_echo.c
 *
 *     [ranker.c_forest]
 *     kind = plugin
 *     path = build/examples/libforest_echo.so
 *     option.model = reports/default-1234abcd/model.forest
 *
 * Bit for bit: a row goes left at a node when x <= threshold in float, or
 * when x is NaN and the node sends missing values left; the leaf values
 * (float) are summed in double in tree order and divided by the number of
 * trees, exactly as engine/forest.c does.  The model's columns are found
 * in the page by name, so a model trained on another column order works.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airtime/scorer.h"

struct node {
	float threshold;
	uint32_t left;
	uint16_t feature, flags;
	float value;
};

struct forest_echo {
	uint32_t n_trees, n_features;
	uint32_t *tree_off;     /* n_trees + 1 offsets into nodes */
	struct node *nodes;
	uint32_t *column;       /* model feature j is page column column[j] */
};

/* Little-endian reads from a bounds-checked cursor. */
struct cursor {
	const unsigned char *p;
	size_t n, at;
	int bad;
};

static const unsigned char *take(struct cursor *c, size_t n)
{
	const unsigned char *p = c->p + c->at;

	if (c->bad || n > c->n - c->at) {
		c->bad = 1;
		return NULL;
	}
	c->at += n;
	return p;
}

static uint64_t le(struct cursor *c, int bytes)
{
	const unsigned char *p = take(c, (size_t)bytes);
	uint64_t v = 0;

	for (int i = 0; p && i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static float f32(struct cursor *c)
{
	uint32_t u = (uint32_t)le(c, 4);
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

static void forest_echo_free(struct forest_echo *m)
{
	if (!m)
		return;
	free(m->tree_off);
	free(m->nodes);
	free(m->column);
	free(m);
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, got;

	*n = 0;
	if (!f)
		return NULL;
	do {
		if (*n + 65536 > cap) {
			unsigned char *b = realloc(buf, cap = 2 * cap + 65536);

			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		got = fread(buf + *n, 1, cap - *n, f);
		*n += got;
	} while (got);
	fclose(f);
	return buf;
}

/* Read the model file (format: docs/ranker-plugins.md) and map its
 * columns onto the schema's by name. */
static struct forest_echo *load(const char *path, const struct airtime_schema *s, char *err,
				size_t err_size)
{
	size_t size;
	unsigned char *buf = slurp(path, &size);
	struct cursor c = { buf, size, 0, 0 };
	struct forest_echo *m = calloc(1, sizeof(*m));
	uint64_t n_nodes, sum = 0, h = 0xcbf29ce484222325ULL;

	if (!buf || !m) {
		snprintf(err, err_size, "cannot read model '%s'", path);
		goto fail;
	}
	for (size_t i = 0; i + 8 < size; i++) {   /* FNV-1a 64 of all but the checksum */
		h ^= buf[i];
		h *= 0x100000001b3ULL;
	}
	if (size < 20 || memcmp(take(&c, 8), "ATFOREST", 8) || le(&c, 4) != 1) {
		snprintf(err, err_size, "'%s' is not an airtime forest model of version 1", path);
		goto fail;
	}
	take(&c, 11 * 4 + 8);   /* training parameters */
	m->n_features = (uint32_t)le(&c, 4);
	m->n_trees = (uint32_t)le(&c, 4);
	n_nodes = le(&c, 8);
	take(&c, 8);            /* out-of-bag score */
	if (c.bad || !m->n_trees || n_nodes > size / 16) {
		snprintf(err, err_size, "model '%s' is truncated", path);
		goto fail;
	}
	m->column = calloc(m->n_features ? m->n_features : 1, sizeof(*m->column));
	m->tree_off = calloc(m->n_trees + 1, sizeof(*m->tree_off));
	m->nodes = calloc(n_nodes ? n_nodes : 1, sizeof(*m->nodes));
	if (!m->column || !m->tree_off || !m->nodes) {
		snprintf(err, err_size, "out of memory reading '%s'", path);
		goto fail;
	}
	for (uint32_t j = 0; j < m->n_features; j++) {
		uint32_t len = (uint32_t)le(&c, 4), k;
		const unsigned char *name = take(&c, len);

		for (k = 0; name && k < s->n_features; k++)
			if (strlen(s->features[k].name) == len && !memcmp(s->features[k].name, name, len))
				break;
		if (!name || k == s->n_features) {
			snprintf(err, err_size, "model feature %.*s is not in the page's features",
				 name ? (int)len : 1, name ? (const char *)name : "?");
			goto fail;
		}
		m->column[j] = k;
	}
	take(&c, 8 * (size_t)m->n_features);   /* importance */
	for (uint32_t t = 0; t < m->n_trees; t++) {
		m->tree_off[t] = (uint32_t)sum;
		sum += le(&c, 4);
	}
	m->tree_off[m->n_trees] = (uint32_t)sum;
	if (c.bad || sum != n_nodes) {
		snprintf(err, err_size, "model '%s': tree sizes do not add up", path);
		goto fail;
	}
	for (uint64_t i = 0; i < n_nodes; i++) {
		struct node *nd = &m->nodes[i];

		nd->threshold = f32(&c);
		nd->left = (uint32_t)le(&c, 4);
		nd->feature = (uint16_t)le(&c, 2);
		nd->flags = (uint16_t)le(&c, 2);
		nd->value = f32(&c);
	}
	if (c.bad || le(&c, 8) != h || c.at != size) {
		snprintf(err, err_size, "model '%s' fails its checksum", path);
		goto fail;
	}
	/* every walk stays inside its tree */
	for (uint32_t t = 0; t < m->n_trees; t++)
		for (uint32_t i = m->tree_off[t]; i < m->tree_off[t + 1]; i++) {
			const struct node *nd = &m->nodes[i];
			uint32_t tree_n = m->tree_off[t + 1] - m->tree_off[t];

			if (!(nd->flags & 1) &&
			    (nd->feature >= m->n_features || nd->left + 1 >= tree_n ||
			     nd->left <= i - m->tree_off[t])) {
				snprintf(err, err_size, "model '%s': a bad node in tree %u", path, t);
				goto fail;
			}
		}
	free(buf);
	return m;
fail:
	free(buf);
	forest_echo_free(m);
	return NULL;
}

static void *create(const struct airtime_schema *s, char *err, size_t err_size)
{
	const char *model = NULL;

	for (uint32_t i = 0; i < s->n_options; i++) {
		if (!strcmp(s->option_keys[i], "model")) {
			model = s->option_values[i];
		} else {
			snprintf(err, err_size, "unknown option '%s' (known: model)",
				 s->option_keys[i]);
			return NULL;
		}
	}
	if (!model) {
		snprintf(err, err_size, "option.model = PATH (an airtime forest model) is required");
		return NULL;
	}
	return load(model, s, err, err_size);
}

static int score(void *self, const struct airtime_page *page, double *scores, char *err,
		 size_t err_size)
{
	const struct forest_echo *m = self;

	(void)err, (void)err_size;
	for (uint32_t r = 0; r < page->n; r++) {
		const float *row = page->features + (size_t)r * page->stride;
		double sum = 0;

		for (uint32_t t = 0; t < m->n_trees; t++) {
			const struct node *tree = m->nodes + m->tree_off[t];
			uint32_t i = 0;

			while (!(tree[i].flags & 1)) {   /* 1: a leaf */
				float x = row[m->column[tree[i].feature]];
				int left = x <= tree[i].threshold || (isnan(x) && (tree[i].flags & 2));

				i = tree[i].left + (uint32_t)!left;
			}
			sum += tree[i].value;
		}
		scores[r] = sum / (double)m->n_trees;
	}
	return 0;
}

static void destroy(void *self)
{
	forest_echo_free(self);
}

static const struct airtime_scorer table = {
	.api_version = AIRTIME_SCORER_API_VERSION,
	.struct_size = sizeof(struct airtime_scorer),
	.name = "forest_echo 1",
	.create = create,
	.score = score,
	.destroy = destroy,
};

AIRTIME_SCORER_DEFINE(table)
