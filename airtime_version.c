/* The version and the git revision the binary was built from (set by make). */
#include "common/version.h"

#ifndef AIRTIME_GIT_REV
#define AIRTIME_GIT_REV "unknown"
#endif

const char airtime_version[] = "0.1.0";
const char airtime_git_rev[] = AIRTIME_GIT_REV;
