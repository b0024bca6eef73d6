"""Gradient-boosted trees: scikit-learn's HistGradientBoostingClassifier.

    [ranker.py_gbm]
    kind = exec
    command = /usr/bin/python3 examples/rankers/gbm.py
    fit_timeout = 30min
    option.max_iter = 200        ; boosting rounds (default 200)
    option.learning_rate = 0.1   ; (default 0.1)
    option.max_leaf_nodes = 31   ; (default 31)

Needs Debian's python3-sklearn.  Missing features (NaN) are handled by the
trees themselves.  random_state comes from the HELLO seed and early stopping
is off, so the same rows always give the same model.  Before the first fit,
or when the training labels are all equal, every candidate gets the same
score (ties rank the lower show id first).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "python"))

# One OpenMP thread unless the environment says otherwise: a page is a few
# hundred rows, and on a shared 2-core machine the thread pool cost more
# than it saved (a tiny run: fit 8.6 s -> 0.25 s, page p99 364 ms -> 6 ms).
# The model is the same for any number of threads.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402

import airtime  # noqa: E402

DEFAULTS = {"max_iter": 200, "learning_rate": 0.1, "max_leaf_nodes": 31}


class GBM(airtime.Ranker):
    name = "gbm 1"

    def setup(self, schema):
        unknown = set(schema.options) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(DEFAULTS)}")
        self.params = {key: type(default)(schema.options.get(key, default))
                       for key, default in DEFAULTS.items()}
        self.model = None
        self.constant = 0.0

    def fit(self, X, y, **_):
        if len(np.unique(y)) < 2:
            self.model = None
            self.constant = float(y[0]) if len(y) else 0.0
            return
        self.model = HistGradientBoostingClassifier(
            early_stopping=False, random_state=self.schema.seed % 2**32, **self.params)
        self.model.fit(X, y)

    def score(self, X, context):
        if self.model is None:
            return np.full(len(X), self.constant)
        return self.model.predict_proba(X)[:, 1]


if __name__ == "__main__":
    airtime.serve(GBM())
