#ifndef AIRTIME_TESTS_TMPDIR_H
#define AIRTIME_TESTS_TMPDIR_H
/* The temporary directory of a test: tmpdir_setup makes a fresh mkdtemp
 * directory under /tmp into `tmpdir`, tmpdir_teardown removes it with all
 * it holds.  Register them as a checked fixture (around every test) or an
 * unchecked one (once for the suite), or call them from a suite's own
 * setup and teardown. */

extern char tmpdir[64];

/* Make the directory (aborts the test on failure). */
void tmpdir_setup(void);
/* Remove it and everything in it (aborts the test on failure). */
void tmpdir_teardown(void);
/* "TMPDIR/name", a new string the caller frees. */
char *tmpdir_path(const char *name);
/* Number of entries in directory `path` (hidden ones included). */
int tmpdir_entries(const char *path);

#endif
