#!/usr/bin/python3
"""Train an anchor random forest on the CSV written by bench_forest and
print one fit's wall and CPU seconds and its held-out AUC, for the side by
side comparison in bench/bench_forest.c (which calls this once per
repetition, interleaved with its own training).  Output line for the caller:

    RESULT wall_s=<seconds> cpu_s=<seconds> auc=<auc> version=<version>

Models:
  sklearn  scikit-learn RandomForestClassifier: bootstrap, max_features =
           mtry, max_depth (0 = unlimited), min_samples_leaf = min leaf.
  xgbrf    xgboost XGBRFClassifier, tree_method=hist: one round of
           n_estimators parallel trees, colsample_bynode = mtry / features,
           max_depth, xgboost's RF defaults otherwise (subsample 0.8,
           learning rate 1, reg_lambda 1e-5).

CPU seconds are this process's (every thread), over the fit alone; the CSV
load is not timed.  Skips (exit 0, a message, no RESULT line) when the
library is missing.  Run with /usr/bin/python3 (Debian's python3-sklearn,
python3-xgboost)."""
import argparse
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=("sklearn", "xgbrf"), default="sklearn")
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--label", default="label")
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--mtry", type=int, default=5)
    ap.add_argument("--max-depth", type=int, default=12, help="0 = unlimited")
    ap.add_argument("--min-leaf", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    try:
        import numpy as np
        from sklearn.metrics import roc_auc_score
        if a.model == "sklearn":
            import sklearn as lib
            from sklearn.ensemble import RandomForestClassifier
        else:
            import xgboost as lib
            from xgboost import XGBRFClassifier
    except ImportError as e:
        print("- %s comparison skipped: %s (apt-get install %s)" % (
            a.model, e, "python3-sklearn" if a.model == "sklearn" else "python3-xgboost"))
        return 0

    def load(path):
        try:
            import pandas as pd
            df = pd.read_csv(path, dtype=np.float32)
            y = df.pop(a.label).to_numpy().astype(int)
            return np.ascontiguousarray(df.to_numpy()), y
        except ImportError:
            with open(path) as f:
                header = f.readline().strip().split(",")
            data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
            j = header.index(a.label)
            return np.delete(data, j, axis=1), data[:, j].astype(int)

    X, y = load(a.train)
    Xt, yt = load(a.test)
    if a.model == "sklearn":
        clf = RandomForestClassifier(n_estimators=a.trees, max_features=a.mtry,
                                     max_depth=a.max_depth or None,
                                     min_samples_leaf=a.min_leaf, bootstrap=True,
                                     n_jobs=a.jobs, random_state=a.seed)
    else:
        clf = XGBRFClassifier(n_estimators=a.trees, max_depth=a.max_depth,
                              colsample_bynode=a.mtry / X.shape[1], tree_method="hist",
                              n_jobs=a.jobs, random_state=a.seed)
    c0, t0 = time.process_time(), time.perf_counter()
    clf.fit(X, y)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    auc = roc_auc_score(yt, clf.predict_proba(Xt)[:, 1])
    print("RESULT wall_s=%.6f cpu_s=%.6f auc=%.6f version=%s" % (wall, cpu, auc, lib.__version__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
