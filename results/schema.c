/* Every name of results.db, as data; see schema.h. */
#include "results/schema.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/xalloc.h"

const struct schema_row schema_rows[SCHEMA_END] = {
	[SCHEMA_NONE] = { "SCHEMA_NONE", "", SCHEMA_KIND_COUNT, "", SCHEMA_WRITEONLY, "", "" },
#define SCHEMA_TABLE_ROW(id, name, kind, unit, use, reader, meaning) \
	[id] = { #id, name, SCHEMA_KIND_##kind, unit, SCHEMA_##use, reader, meaning },
	SCHEMA_LIST(SCHEMA_TABLE_ROW)
#undef SCHEMA_TABLE_ROW
};

static const struct schema_row *row(enum schema_id id)
{
	ASSERT(id > SCHEMA_NONE && id < SCHEMA_END);
	return &schema_rows[id];
}

const char *schema_name(enum schema_id id)
{
	return row(id)->name;
}

const char *schema_unit(enum schema_id id)
{
	return row(id)->unit;
}

bool schema_is_pattern(enum schema_id id)
{
	return strchr(row(id)->name, '*') != NULL;
}

char *schema_key(enum schema_id id, const char *part)
{
	const char *name = row(id)->name, *star = strchr(name, '*');

	if (!star)
		return xstrdup(name);
	return xasprintf("%.*s%s%s", (int)(star - name), name, part, star + 1);
}

bool schema_match(enum schema_id id, const char *name, char *part, size_t cap)
{
	const char *pat = row(id)->name, *star = strchr(pat, '*');
	size_t lp, ls, ln = strlen(name);

	if (!star) {
		if (strcmp(pat, name))
			return false;
		if (part && cap)
			part[0] = '\0';
		return true;
	}
	lp = (size_t)(star - pat);
	ls = strlen(star + 1);
	if (ln <= lp + ls || strncmp(name, pat, lp) || strcmp(name + ln - ls, star + 1))
		return false;
	if (part && cap)
		snprintf(part, cap, "%.*s", (int)(ln - lp - ls), name + lp);
	return true;
}

enum schema_id schema_find(enum schema_kind kind, const char *name)
{
	for (int i = SCHEMA_FIRST; i < SCHEMA_END; i++)
		if (schema_rows[i].kind == kind && schema_match((enum schema_id)i, name, NULL, 0))
			return (enum schema_id)i;
	return SCHEMA_NONE;
}

const char *schema_kind_name(enum schema_kind kind)
{
	static const char *const names[SCHEMA_KIND_COUNT] = {
		[SCHEMA_KIND_TABLE] = "table",
		[SCHEMA_KIND_SWEEP_TABLE] = "sweep table",
		[SCHEMA_KIND_REPLICATE_TABLE] = "replicate table",
		[SCHEMA_KIND_JOURNAL_TABLE] = "journal table",
		[SCHEMA_KIND_RUN] = "run",
		[SCHEMA_KIND_INFO] = "info",
		[SCHEMA_KIND_METRIC] = "metric",
		[SCHEMA_KIND_TIMING] = "timing",
		[SCHEMA_KIND_SERIES] = "series",
		[SCHEMA_KIND_HIST] = "histogram",
		[SCHEMA_KIND_CURVE] = "curve",
		[SCHEMA_KIND_AB_MODE] = "A/B mode",
	};

	ASSERT((unsigned)kind < SCHEMA_KIND_COUNT);
	return names[kind];
}
