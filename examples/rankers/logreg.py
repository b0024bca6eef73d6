"""Logistic regression in numpy, fit by a fixed number of Newton steps.

    [ranker.py_logreg]
    kind = exec
    command = /usr/bin/python3 examples/rankers/logreg.py
    option.l2 = 0.01          ; L2 penalty on the standardised weights (default 0.01)
    option.newton_steps = 8   ; full-batch Newton steps per fit (default 8)

Missing features (NaN) are imputed with their training means; features are
standardised with the training means and standard deviations.  The score is
the predicted probability of a tune-in.  Before the first fit every
candidate scores 0 (ties rank the lower show id first).  Deterministic: the
same rows always give the same weights.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "python"))

import numpy as np  # noqa: E402

import airtime  # noqa: E402


def sigmoid(z):
    """1 / (1 + exp(-z)), without overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class LogReg(airtime.Ranker):
    name = "logreg 1"

    def setup(self, schema):
        options = dict(schema.options)
        self.l2 = float(options.pop("l2", "0.01"))
        self.steps = int(options.pop("newton_steps", "8"))
        if options:
            raise ValueError(f"unknown option(s) {', '.join(options)}; known: l2, newton_steps")
        if self.l2 < 0 or self.steps < 1:
            raise ValueError("l2 must be >= 0 and newton_steps >= 1")
        self.mean = self.weights = self.bias = None

    def fit(self, X, y, **_):
        n, d = X.shape
        if n == 0:
            return
        missing = np.isnan(X)
        present = n - missing.sum(axis=0)
        mean = np.where(missing, 0.0, X).sum(axis=0, dtype=np.float64) / np.maximum(present, 1)
        X = np.where(missing, mean, X)
        std = X.std(axis=0)
        std[std == 0] = 1.0
        Z = np.empty((n, d + 1))
        Z[:, 0] = 1.0
        Z[:, 1:] = (X - mean) / std
        y = y.astype(np.float64)
        penalty = np.full(d + 1, self.l2)
        penalty[0] = 1e-9  # the intercept is not shrunk; this keeps the Hessian invertible
        w = np.zeros(d + 1)
        for _ in range(self.steps):
            p = sigmoid(Z @ w)
            gradient = Z.T @ (p - y) / n + penalty * w
            hessian = (Z.T * (p * (1.0 - p))) @ Z / n + np.diag(penalty)
            w -= np.linalg.solve(hessian, gradient)
        # Fold the standardisation into the weights: score = sigmoid(x @ weights + bias).
        self.mean = mean
        self.weights = w[1:] / std
        self.bias = w[0] - mean @ self.weights

    def score(self, X, context):
        if self.weights is None:
            return np.zeros(len(X))
        X = np.where(np.isnan(X), self.mean, X)
        return sigmoid(X @ self.weights + self.bias)


if __name__ == "__main__":
    airtime.serve(LogReg())
