/* A test's temporary directory; see tmpdir.h. */
#include "tests/tmpdir.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "results/rundir.h"

char tmpdir[64];

void tmpdir_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/airtime-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

void tmpdir_teardown(void)
{
	ck_assert_int_eq(rundir_remove_tree(tmpdir, NULL), 0);
}

char *tmpdir_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

int tmpdir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}
