#!/usr/bin/python3
"""Expected continued-evaluation metrics from Debian's scikit-learn, for
tests/monitor/performance_sklearn_test.cc. Usage: performance_sklearn.py DIR
Reads DIR/binary.csv (score,label), DIR/multiclass.csv (p0..pk-1,label) and
DIR/regression.csv (prediction,label); prints "<task>.<metric> <value>" lines."""
import sys

import numpy as np
from sklearn.metrics import (accuracy_score, log_loss, mean_absolute_error,
                             mean_squared_error, roc_auc_score)


def load(path):
    return np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)


def main():
    d = sys.argv[1]
    out = []
    b = load(f"{d}/binary.csv")
    p, y = b[:, 0], b[:, 1].astype(int)
    out.append(("binary.accuracy", accuracy_score(y, (p > 0.5).astype(int))))
    out.append(("binary.auc", roc_auc_score(y, p)))
    out.append(("binary.log_loss", log_loss(y, p, labels=[0, 1])))

    m = load(f"{d}/multiclass.csv")
    probs, y = m[:, :-1], m[:, -1].astype(int)
    k = probs.shape[1]
    out.append(("multiclass.accuracy", accuracy_score(y, probs.argmax(axis=1))))
    out.append(("multiclass.log_loss", log_loss(y, probs, labels=list(range(k)))))

    r = load(f"{d}/regression.csv")
    pred, y = r[:, 0], r[:, 1]
    out.append(("regression.rmse", mean_squared_error(y, pred, squared=False)))
    out.append(("regression.mae", mean_absolute_error(y, pred)))
    for name, value in out:
        print(name, repr(float(value)))


if __name__ == "__main__":
    main()
