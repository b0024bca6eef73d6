/* A shared object without the scorer entry point (tests/test_scorer_plugin.c). */
#include "airtime/scorer.h"

int not_a_scorer(void);
int not_a_scorer(void)
{
	return 1;
}
