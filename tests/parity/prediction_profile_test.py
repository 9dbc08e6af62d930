#!/usr/bin/python3
"""Parity: the prediction profile that `ferry bundle create --baseline` writes into baseline.json
("prediction") is the profile of python-xgboost's own predictions on the baseline CSV's rows:
count = rows, min/max/mean/std, numpy.quantile cut points (0.1 ... 1.0, equal neighbours
collapsed) and the bin counts on them - for a binary model (P(class 1), "probability") and a
regression model ("prediction"), with missing and non-numeric cells; a multiclass model gets
none. Rerunning gives the same bytes, and `ferry monitor drift` does not report the prediction
(a data file has none)."""
import csv
import json
import os
import sys

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import Failures, Ferry, parse_args, tempdir  # noqa: E402

TOL = 1e-6


def expected_profile(values):
    """The numeric profile of bundle/baseline.h, computed with numpy."""
    v = np.sort(values[np.isfinite(values)])
    cuts = []
    for q in np.quantile(v, [k / 10 for k in range(1, 11)]):
        if not cuts or q != cuts[-1]:
            cuts.append(float(q))
    idx = np.searchsorted(np.asarray(cuts[:-1]), v, side="left")
    return {"count": int(v.size), "missing": int(values.size - v.size), "min": float(v[0]),
            "max": float(v[-1]), "mean": float(np.mean(v)), "std": float(np.std(v)),
            "cut_points": cuts, "bin_counts": [int(c) for c in np.bincount(idx, minlength=len(cuts))]}


def close(a, b):
    return abs(a - b) <= TOL * max(1.0, abs(b))


def main():
    args = parse_args()
    ferry = Ferry(args.ferry)
    fails = Failures()
    rng = np.random.default_rng(7)
    cancer, diabetes, iris = load_breast_cancer(), load_diabetes(), load_iris()
    cases = [
        ("breast-cancer", cancer, {"objective": "binary:logistic", "max_depth": 4}, "probability"),
        ("diabetes", diabetes, {"objective": "reg:squarederror", "max_depth": 4}, "prediction"),
        ("iris", iris, {"objective": "multi:softprob", "num_class": 3, "max_depth": 3}, None),
    ]
    with tempdir() as tmp:
        for name, data, params, output in cases:
            names = [n.replace(" ", "_").replace("(", "").replace(")", "") for n in data.feature_names]
            x = data.data.astype(np.float64).copy()
            x[rng.random(x.shape) < 0.05] = np.nan
            y = data.target
            booster = xgb.train({**params, "eta": 0.3, "seed": 1, "nthread": 1},
                                xgb.DMatrix(x.astype(np.float32), label=y, feature_names=names),
                                num_boost_round=30)
            model = os.path.join(tmp, f"{name}.json")
            booster.save_model(model)

            # The CSV: an id column first, the features shuffled, the label last; missing cells
            # spelled "" or "NA", a few non-numbers ("n/a") that the model sees as missing.
            order = list(rng.permutation(len(names)))
            cells = [["" if np.isnan(v) else repr(float(v)) for v in row] for row in x]
            for i in range(0, x.shape[0], 17):
                j = int(rng.integers(0, len(names)))
                cells[i][j] = "n/a"
                x[i, j] = np.nan
            for i in range(5, x.shape[0], 23):
                j = int(rng.integers(0, len(names)))
                cells[i][j] = "NA"
                x[i, j] = np.nan
            train_csv = os.path.join(tmp, f"{name}.csv")
            with open(train_csv, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["id"] + [names[j] for j in order] + ["label"])
                for i in range(x.shape[0]):
                    w.writerow([f"r{i}"] + [cells[i][j] for j in order] + [y[i]])

            bundle = os.path.join(tmp, f"{name}-bundle")
            create = ["bundle", "create", "--model", model, "--name", name, "--baseline",
                      train_csv, "--label", "label"]
            ferry.run(*create, "-o", bundle)
            ferry.run(*create, "-o", bundle + "-again")
            with open(os.path.join(bundle, "baseline.json"), "rb") as f:
                raw = f.read()
            with open(os.path.join(bundle + "-again", "baseline.json"), "rb") as f:
                fails.check(f.read() == raw, f"{name}: baseline.json byte-identical on a rerun")
            verify = ferry.run("bundle", "verify", bundle, check=False)
            fails.check(verify.returncode == 0, f"{name}: bundle verify: {verify.stdout}{verify.stderr}")
            baseline = json.loads(raw)
            fails.check(list(baseline)[-1] == ("prediction" if output else "features"),
                        f"{name}: key order {list(baseline)}")
            if output is None:
                fails.check("prediction" not in baseline, f"{name}: multiclass has no prediction")
                continue
            got = baseline.get("prediction")
            if not fails.check(got is not None, f"{name}: a prediction profile"):
                continue
            preds = booster.inplace_predict(x.astype(np.float32)).astype(np.float32)
            want = expected_profile(preds.astype(np.float64))
            fails.check(got["output"] == output, f"{name}: output {got['output']}")
            fails.check(got["count"] == baseline["rows"] == x.shape[0] and got["missing"] == 0,
                        f"{name}: count {got['count']} missing {got['missing']} rows {baseline['rows']}")
            for k in ("min", "max", "mean", "std"):
                fails.check(close(got[k], want[k]), f"{name}: {k} ferry {got[k]} numpy {want[k]}")
            fails.check(len(got["cut_points"]) == len(want["cut_points"]) and
                        all(close(a, b) for a, b in zip(got["cut_points"], want["cut_points"])),
                        f"{name}: cut points ferry {got['cut_points']} numpy {want['cut_points']}")
            fails.check(got["bin_counts"] == want["bin_counts"],
                        f"{name}: bins ferry {got['bin_counts']} numpy {want['bin_counts']}")
            print(f"{name}: {got['count']} predictions, mean {got['mean']:.6g}, "
                  f"cut points {len(got['cut_points'])}")

            # Offline drift of the training CSV against itself: the features (and the label),
            # never the prediction, which a data file does not have.
            r = ferry.run("monitor", "drift", "--bundle", bundle, "--data", train_csv, "--json", "-")
            report = json.loads(r.stdout)
            fails.check([f["name"] for f in report["features"]] ==
                        [f["name"] for f in baseline["features"]] and report["absent"] == [],
                        f"{name}: drift features {[f['name'] for f in report['features']]}, "
                        f"absent {report['absent']}")
            table = ferry.run("monitor", "drift", "--bundle", bundle, "--data", train_csv).stdout
            fails.check("absent" not in table and "\nprediction " not in table,
                        f"{name}: drift table {table}")
    fails.exit()


if __name__ == "__main__":
    main()
