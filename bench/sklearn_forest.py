#!/usr/bin/python3
"""Train scikit-learn's RandomForestClassifier on the CSV written by
bench_forest and print its median fit time and held-out AUC, for the side by
side comparison in bench/bench_forest.c.  Output line for the caller:

    RESULT time_median_s=<seconds> auc=<auc>

Skips (exit 0, a message, no RESULT line) when scikit-learn is missing.
Run with /usr/bin/python3 (Debian's python3-sklearn)."""
import argparse
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--label", default="label")
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--mtry", type=int, default=5)
    ap.add_argument("--max-depth", type=int, default=12)
    ap.add_argument("--min-leaf", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    try:
        import numpy as np
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.metrics import roc_auc_score
    except ImportError as e:
        print("- sklearn comparison skipped: %s (apt-get install python3-sklearn)" % e)
        return 0

    def load(path):
        with open(path) as f:
            header = f.readline().strip().split(",")
        data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
        j = header.index(a.label)
        return np.delete(data, j, axis=1), data[:, j].astype(int)

    X, y = load(a.train)
    Xt, yt = load(a.test)
    times, aucs = [], []
    for r in range(a.reps):
        clf = RandomForestClassifier(n_estimators=a.trees, max_features=a.mtry,
                                     max_depth=a.max_depth, min_samples_leaf=a.min_leaf,
                                     bootstrap=True, n_jobs=a.jobs, random_state=a.seed + r)
        t0 = time.perf_counter()
        clf.fit(X, y)
        times.append(time.perf_counter() - t0)
        aucs.append(roc_auc_score(yt, clf.predict_proba(Xt)[:, 1]))
    print("- sklearn %s: fit times %s s" % (
        __import__("sklearn").__version__, ", ".join("%.2f" % t for t in times)))
    print("RESULT time_median_s=%.6f auc=%.6f" % (statistics.median(times),
                                                   statistics.median(aucs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
