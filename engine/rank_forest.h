#ifndef AIRTIME_RANK_FOREST_H
#define AIRTIME_RANK_FOREST_H
/*
 * The random forest (engine/forest) as the ranker's model: a struct
 * rank_model whose predict() is forest_predict_batch() and whose feature
 * names are the model's, mapped onto the ranker's layout by name at
 * rank_new().  The forest is borrowed and must outlive the ranker.
 *
 * Cost: the forest's batch inference walks every row exactly depth(tree)
 * steps per tree (lock-step, see forest.h), so nodes visited per row is
 * the sum of the trees' depths, computed once here.
 */
#include "engine/forest.h"
#include "engine/rank.h"

/* Fill *m to score with forest f. */
void rank_forest_model(struct rank_model *m, const struct forest *f);

#endif
