#!/usr/bin/python3
"""ferry/train-xgboost and ferry/evaluate through `ferry pipeline builtin`, checked against
scikit-learn and Python XGBoost (Debian's python3-sklearn 1.2 and python3-xgboost 1.7):

- the metrics of ferry/evaluate equal sklearn.metrics on the same predictions (|diff| < 1e-6):
  binary (breast cancer: auc, log_loss, accuracy, f1, precision, recall), multiclass (iris:
  accuracy, log_loss, macro f1) and regression (diabetes: rmse, mae, r2);
- the trained model predicts what xgboost.train with the same parameters predicts (early stopping
  on the validation split included);
- training twice gives byte-identical bundles; evaluating against a registry reference that does
  not resolve yet proceeds without a baseline; bad `with` values fail with a clear message."""
import csv
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import Failures, parse_args, tempdir  # noqa: E402

import numpy as np  # noqa: E402
import xgboost as xgb  # noqa: E402
from sklearn import datasets, metrics  # noqa: E402

TOL_METRIC = 1e-6
TOL_PRED = 1e-5


class Env:
    def __init__(self, ferry, tmp):
        self.ferry = ferry
        self.tmp = tmp
        self.env = dict(os.environ)
        self.env["FERRY_HOME"] = os.path.join(tmp, "home")
        self.env.pop("FERRY_REGISTRY", None)
        self.registry = "sqlite://" + os.path.join(tmp, "home", "registry.db")

    def path(self, name):
        return os.path.join(self.tmp, name)

    def builtin(self, uses, with_, outputs):
        os.makedirs(self.path(outputs), exist_ok=True)
        wfile = self.path(outputs + ".with.json")
        with open(wfile, "w") as f:
            json.dump(with_, f)
        return subprocess.run([self.ferry, "pipeline", "builtin", uses, "--with-json", wfile,
                               "--outputs", self.path(outputs), "--registry", self.registry],
                              env=self.env, cwd=self.tmp, capture_output=True, text=True,
                              timeout=600)

    def predict(self, bundle, data, out):
        r = subprocess.run([self.ferry, "predict", "--bundle", self.path(bundle), "--input",
                            self.path(data), "--output", self.path(out)], env=self.env,
                           cwd=self.tmp, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise AssertionError(f"ferry predict: {r.stderr}")
        with open(self.path(out)) as f:
            rows = list(csv.reader(f))
        return rows[0], np.array([[float(v) for v in row] for row in rows[1:]], dtype=np.float64)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()


def write_split(env, prefix, X, y, names):
    """Rows i % 5 == 0 -> test, == 1 -> validation, else train; an id column first."""
    parts = {"train": [], "validation": [], "test": []}
    for i in range(len(y)):
        part = "test" if i % 5 == 0 else ("validation" if i % 5 == 1 else "train")
        parts[part].append(i)
    for part, rows in parts.items():
        with open(env.path(f"{prefix}_{part}.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", *names, "target"])
            for i in rows:
                w.writerow([f"row{i}", *[repr(float(v)) for v in X[i]], repr(y[i])])
    return {part: (X[rows].astype(np.float32), [y[i] for i in rows]) for part, rows in parts.items()}


def close(f, what, a, b, tol):
    ok = a is not None and b is not None and abs(a - b) < tol
    f.check(ok, f"{what}: ferry {a} vs reference {b} (tol {tol})")


def python_xgb(params, data, rounds, early):
    dtrain = xgb.DMatrix(data["train"][0], label=data["train"][1], missing=np.nan)
    dval = xgb.DMatrix(data["validation"][0], label=data["validation"][1], missing=np.nan)
    bst = xgb.train(params, dtrain, num_boost_round=rounds,
                    evals=[(dtrain, "train"), (dval, "validation")],
                    early_stopping_rounds=early, verbose_eval=False)
    best = bst.best_iteration if early else rounds - 1
    pred = bst.predict(xgb.DMatrix(data["test"][0], missing=np.nan),
                       iteration_range=(0, best + 1))
    return best, pred.astype(np.float64)


def check_binary(f, env):
    ds = datasets.load_breast_cancer()
    y = ds.target.astype(int).tolist()
    data = write_split(env, "bc", ds.data, y, list(ds.feature_names))
    with_ = {"data": "bc_train.csv", "validation": "bc_validation.csv", "label": "target",
             "name": "bc", "exclude": ["id"], "rounds": "200", "max_depth": "3", "eta": "0.2",
             "early_stopping_rounds": "5", "subsample": "0.8", "colsample_bytree": "0.7",
             "seed": "3", "min_child_weight": "2", "lambda": "1.5", "alpha": "0.1"}
    r = env.builtin("ferry/train-xgboost", with_, "bc_train_out")
    if not f.check(r.returncode == 0, f"train binary: {r.stderr}"):
        return
    trained = json.loads(env.read("bc_train_out/metrics"))
    f.check(set(trained) == {"train", "validation", "best_iteration", "rounds"},
            f"metrics keys: {sorted(trained)}")

    # Determinism: the same step again gives the same bytes.
    r2 = env.builtin("ferry/train-xgboost", with_, "bc_train_again")
    f.check(r2.returncode == 0 and env.read("bc_train_out/bundle") ==
            env.read("bc_train_again/bundle"), "a second training gives a byte-identical bundle")

    r = env.builtin("ferry/evaluate", {"model": "bc_train_out/bundle", "data": "bc_test.csv",
                                       "label": "target", "key": "id",
                                       "against": "bc@champion", "min": {"auc": "0.9"},
                                       "max_drop": {"auc": "0.01"}}, "bc_eval")
    if not f.check(r.returncode == 0, f"evaluate binary: {r.stderr}"):
        return
    ev = json.loads(env.read("bc_eval/evaluation"))
    f.check(ev["format"] == "ferry.evaluation/v1" and ev["task"] == "binary_classification",
            f"evaluation header: {ev}")
    f.check(ev["baseline"] is None and "bc@champion does not resolve" in ev["note"],
            f"no baseline on the first run: {ev['note']}")
    f.check(ev["blessed"] is True and [c["rule"] for c in ev["checks"]] == ["min"],
            f"blessed with the min check only: {ev['checks']}")
    f.check(ev["data"]["rows"] == len(data["test"][1]), "rows")

    header, pred = env.predict("bc_train_out/bundle", "bc_test.csv", "bc_pred.csv")
    p = pred[:, header.index("probability")] if "probability" in header else pred[:, -1]
    yt = np.array(data["test"][1])
    m = ev["candidate"]["metrics"]
    close(f, "auc", m["auc"], metrics.roc_auc_score(yt, p), TOL_METRIC)
    close(f, "log_loss", m["log_loss"], metrics.log_loss(yt, p), TOL_METRIC)
    hard = (p >= 0.5).astype(int)
    close(f, "accuracy", m["accuracy"], metrics.accuracy_score(yt, hard), TOL_METRIC)
    close(f, "f1", m["f1"], metrics.f1_score(yt, hard), TOL_METRIC)
    close(f, "precision", m["precision"], metrics.precision_score(yt, hard), TOL_METRIC)
    close(f, "recall", m["recall"], metrics.recall_score(yt, hard), TOL_METRIC)

    params = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.2, "subsample": 0.8,
              "colsample_bytree": 0.7, "seed": 3, "min_child_weight": 2, "lambda": 1.5,
              "alpha": 0.1, "nthread": 1}
    best, ref = python_xgb(params, data, 200, 5)
    f.check(trained["best_iteration"] == best,
            f"best iteration: ferry {trained['best_iteration']} vs xgboost {best}")
    diff = float(np.max(np.abs(ref - p)))
    print(f"binary: best iteration {best}, max |ferry - xgboost| = {diff:.3g}")
    f.check(diff < TOL_PRED, f"binary predictions differ from python xgboost by {diff}")


def check_multiclass(f, env):
    ds = datasets.load_iris()
    y = ds.target.astype(int).tolist()
    names = [n.replace(" (cm)", "").replace(" ", "_") for n in ds.feature_names]
    data = write_split(env, "iris", ds.data, y, names)
    r = env.builtin("ferry/train-xgboost",
                    {"data": "iris_train.csv", "label": "target", "name": "iris",
                     "exclude": "id", "objective": "multi:softprob", "rounds": "30",
                     "max_depth": "2"}, "iris_train_out")
    if not f.check(r.returncode == 0, f"train multiclass: {r.stderr}"):
        return
    r = env.builtin("ferry/evaluate", {"model": "iris_train_out/bundle", "data": "iris_test.csv",
                                       "label": "target"}, "iris_eval")
    if not f.check(r.returncode == 0, f"evaluate multiclass: {r.stderr}"):
        return
    ev = json.loads(env.read("iris_eval/evaluation"))
    _, pred = env.predict("iris_train_out/bundle", "iris_test.csv", "iris_pred.csv")
    probs = pred[:, -3:]
    yt = np.array(data["test"][1])
    m = ev["candidate"]["metrics"]
    close(f, "multiclass accuracy", m["accuracy"],
          metrics.accuracy_score(yt, probs.argmax(axis=1)), TOL_METRIC)
    close(f, "multiclass log_loss", m["log_loss"], metrics.log_loss(yt, probs, labels=[0, 1, 2]),
          TOL_METRIC)
    close(f, "macro_f1", m["macro_f1"],
          metrics.f1_score(yt, probs.argmax(axis=1), average="macro"), TOL_METRIC)
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 2, "nthread": 1,
              "seed": 0}
    _, ref = python_xgb(params, data, 30, None)
    diff = float(np.max(np.abs(ref.reshape(-1, 3) - probs)))
    print(f"multiclass: max |ferry - xgboost| = {diff:.3g}")
    f.check(diff < TOL_PRED, f"multiclass predictions differ from python xgboost by {diff}")


def check_regression(f, env):
    ds = datasets.load_diabetes()
    y = [float(v) for v in ds.target]
    data = write_split(env, "db", ds.data, y, list(ds.feature_names))
    r = env.builtin("ferry/train-xgboost",
                    {"data": "db_train.csv", "validation": "db_validation.csv",
                     "label": "target", "name": "db", "features": ds.feature_names[:6],
                     "objective": "reg:squarederror", "rounds": "40", "eta": "0.1"},
                    "db_train_out")
    if not f.check(r.returncode == 0, f"train regression: {r.stderr}"):
        return
    r = env.builtin("ferry/evaluate", {"model": "db_train_out/bundle", "data": "db_test.csv",
                                       "label": "target", "min": {"rmse": "1000"}}, "db_eval")
    if not f.check(r.returncode == 0, f"evaluate regression: {r.stderr}"):
        return
    ev = json.loads(env.read("db_eval/evaluation"))
    _, pred = env.predict("db_train_out/bundle", "db_test.csv", "db_pred.csv")
    p = pred[:, -1]
    yt = np.array(data["test"][1], dtype=np.float64)
    m = ev["candidate"]["metrics"]
    close(f, "rmse", m["rmse"], math.sqrt(metrics.mean_squared_error(yt, p)), TOL_METRIC)
    close(f, "mae", m["mae"], metrics.mean_absolute_error(yt, p), TOL_METRIC)
    close(f, "r2", m["r2"], metrics.r2_score(yt, p), TOL_METRIC)
    f.check(ev["blessed"] is True, "rmse below 1000 is blessed")
    six = {k: (v[0][:, :6], v[1]) for k, v in data.items()}
    params = {"objective": "reg:squarederror", "eta": 0.1, "nthread": 1, "seed": 0}
    _, ref = python_xgb(params, six, 40, None)
    diff = float(np.max(np.abs(ref - p) / np.maximum(1.0, np.abs(ref))))
    print(f"regression: max relative |ferry - xgboost| = {diff:.3g}")
    f.check(diff < TOL_PRED, f"regression predictions differ from python xgboost by {diff}")


def check_errors(f, env):
    r = env.builtin("ferry/train-xgboost", {"data": "bc_train.csv", "label": "target",
                                            "name": "bc", "rounds": "ten"}, "bad1")
    f.check(r.returncode != 0 and "ferry/train-xgboost: with.rounds: expected an integer" in
            r.stderr, f"bad rounds: {r.stderr}")
    r = env.builtin("ferry/train-xgboost", {"data": "bc_train.csv", "label": "target",
                                            "name": "bc"}, "bad2")
    f.check(r.returncode != 0 and "bc_train.csv:2: column 'id': 'row2' is not a number" in r.stderr,
            f"a text column as a feature: {r.stderr}")
    r = env.builtin("ferry/evaluate", {"model": "bc_train_out/bundle", "data": "bc_test.csv",
                                       "label": "target", "min": {"r2": "0.5"}}, "bad3")
    f.check(r.returncode != 0 and "unknown metric 'r2' for binary_classification; available: "
            "accuracy, auc, f1, log_loss, precision, recall" in r.stderr,
            f"unknown metric: {r.stderr}")
    r = env.builtin("ferry/evaluate", {"model": "bc_train_out/bundle", "data": "bc_test.csv",
                                       "label": "target", "against": "bc@"}, "bad4")
    f.check(r.returncode != 0 and "ferry/evaluate: with.against: " in r.stderr,
            f"malformed reference: {r.stderr}")


def main():
    args = parse_args()
    f = Failures()
    with tempdir() as tmp:
        env = Env(args.ferry, tmp)
        check_binary(f, env)
        check_multiclass(f, env)
        check_regression(f, env)
        check_errors(f, env)
    f.exit()


if __name__ == "__main__":
    main()
