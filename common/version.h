#ifndef AIRTIME_VERSION_H
#define AIRTIME_VERSION_H
/*
 * Version and build provenance.  Defined in airtime_version.c, which make
 * compiles with the git revision of the tree (suffixed -dirty when the tree
 * has uncommitted changes).  Reports and results.db record both.
 */
extern const char airtime_version[];
extern const char airtime_git_rev[];
#endif
