"""Score with an airtime forest model file, in numpy, bit for bit.

    [ranker.py_forest]
    kind = exec
    command = /usr/bin/python3 examples/rankers/forest_echo.py
    option.model = reports/default-1234abcd/model.forest   ; required

The model file is the one `airtime forest train` writes and a run keeps as
RUN_DIR/model.forest (format: docs/ranker-plugins.md, "The forest model
file").  Scores are the same bits as airtime's own forest (engine/forest.c):
a row goes left at a node when x <= threshold compared in float32, or when
x is NaN and the node sends missing values left; leaf values (float32) are
added in float64 in tree order, then divided by the number of trees.  The
model's columns are found among the schema's features by name.
"""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "python"))

import numpy as np  # noqa: E402

import airtime  # noqa: E402

LEAF, MISSING_LEFT = 1, 2
NODE = np.dtype([("threshold", "<f4"), ("left", "<u4"), ("feature", "<u2"),
                 ("flags", "<u2"), ("value", "<f4")])


def fnv1a64(data):
    """FNV-1a 64 of bytes (the model file's checksum)."""
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


class Forest:
    """An airtime forest model file, version 1."""

    def __init__(self, path):
        with open(path, "rb") as f:
            data = f.read()
        if data[:8] != b"ATFOREST" or struct.unpack_from("<I", data, 8)[0] != 1:
            raise ValueError(f"{path!r} is not an airtime forest model of version 1")
        (stored,) = struct.unpack_from("<Q", data, len(data) - 8)
        if fnv1a64(data[:-8]) != stored:
            raise ValueError(f"model {path!r} fails its checksum")
        pos = 12 + 11 * 4 + 8                       # magic, version, training parameters
        n_features, n_trees, n_nodes = struct.unpack_from("<IIQ", data, pos)
        pos += 16 + 8                               # ... and the out-of-bag score
        self.names = []
        for _ in range(n_features):
            (length,) = struct.unpack_from("<I", data, pos)
            self.names.append(data[pos + 4:pos + 4 + length].decode("utf-8"))
            pos += 4 + length
        pos += 8 * n_features                       # importance
        sizes = np.frombuffer(data, "<u4", n_trees, pos)
        pos += 4 * n_trees
        nodes = np.frombuffer(data, NODE, n_nodes, pos)
        self.trees = []
        start = 0
        for size in sizes:
            self.trees.append(nodes[start:start + int(size)])
            start += int(size)
        if start != n_nodes:
            raise ValueError(f"model {path!r}: tree sizes do not add up")

    def predict(self, X):
        """Scores of the rows of X (n x n_features float32, the model's column order)."""
        n = len(X)
        rows = np.arange(n)
        total = np.zeros(n, dtype=np.float64)
        for tree in self.trees:
            thr, left, feat = tree["threshold"], tree["left"], tree["feature"]
            flags = tree["flags"]
            idx = np.zeros(n, dtype=np.int64)
            while True:
                at_leaf = (flags[idx] & LEAF) != 0
                if at_leaf.all():
                    break
                x = X[rows, feat[idx]]
                go_left = (x <= thr[idx]) | (np.isnan(x) & ((flags[idx] & MISSING_LEFT) != 0))
                step = left[idx].astype(np.int64) + (~go_left).astype(np.int64)
                idx = np.where(at_leaf, idx, step)
            total += tree["value"][idx].astype(np.float64)
        return total / float(len(self.trees))


class ForestEcho(airtime.Ranker):
    name = "forest_echo 1"

    def setup(self, schema):
        options = dict(schema.options)
        path = options.pop("model", None)
        if options:
            raise ValueError(f"unknown option(s) {', '.join(options)}; known: model")
        if not path:
            raise ValueError("option.model = PATH (an airtime forest model) is required")
        self.forest = Forest(path)
        names = schema.feature_names
        missing = [f for f in self.forest.names if f not in names]
        if missing:
            raise ValueError(f"model features not in the page's features: {', '.join(missing)}")
        self.columns = np.array([names.index(f) for f in self.forest.names], dtype=np.int64)

    def score(self, X, context):
        return self.forest.predict(np.ascontiguousarray(X[:, self.columns], dtype=np.float32))


if __name__ == "__main__":
    airtime.serve(ForestEcho())
