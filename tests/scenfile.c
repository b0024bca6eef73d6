/* Scenario files on disk for message tests; see scenfile.h. */
#include "tests/scenfile.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "config/config.h"

struct scenario *scenfile_load(struct scenfile *f, const char *text, const char *const *sets,
			       size_t n_sets)
{
	struct error err;
	FILE *out;

	snprintf(f->dir, sizeof(f->dir), "/tmp/airtime-scenfile-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/bad.ini", f->dir);
	out = fopen(f->path, "w");
	ck_assert_ptr_nonnull(out);
	ck_assert_int_ge(fputs(text, out), 0);
	ck_assert_int_eq(fclose(out), 0);
	error_clear(&err);
	f->sc = scenario_load(&config_schema, f->path, sets, n_sets, &err);
	ck_assert_msg(f->sc != NULL, "%s", err.msg);
	return f->sc;
}

void scenfile_release(struct scenfile *f)
{
	scenario_free(f->sc);
	f->sc = NULL;
	ck_assert_int_eq(unlink(f->path), 0);
	ck_assert_int_eq(rmdir(f->dir), 0);
}

void scenfile_expect(const struct scenfile *f, const char *msg, int line, const char *key)
{
	char where[128];

	snprintf(where, sizeof(where), "%s:%d: ", f->path, line);
	ck_assert_msg(!strncmp(msg, where, strlen(where)), "'%s' does not start with '%s'", msg,
		      where);
	ck_assert_msg(strstr(msg, key) != NULL, "'%s' does not name '%s'", msg, key);
}
