"""The simplest ranker: one feature column as the score (NaN counts as 0).

    [ranker.trivial]
    kind = exec
    command = /usr/bin/python3 examples/rankers/trivial.py
    option.column = pit_likes     ; a feature name or a 0-based index (default 0)

Used by python/bench_protocol.py to measure the protocol's overhead.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "python"))

import numpy as np  # noqa: E402

import airtime  # noqa: E402


class Trivial(airtime.Ranker):
    name = "trivial 1"

    def setup(self, schema):
        column = schema.options.get("column", "0")
        names = schema.feature_names
        self.column = names.index(column) if column in names else int(column)
        if not 0 <= self.column < schema.n_features:
            raise ValueError(f"option column = {column}: there are {schema.n_features} features")

    def score(self, X, context):
        return np.nan_to_num(X[:, self.column], nan=0.0)


if __name__ == "__main__":
    airtime.serve(Trivial())
