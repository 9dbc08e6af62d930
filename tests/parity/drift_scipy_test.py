#!/usr/bin/python3
"""Parity: `ferry monitor drift` agrees with a straightforward NumPy/SciPy computation on the
same data and the baseline's bins: PSI, binned Kolmogorov-Smirnov, Jensen-Shannon distance
(scipy.spatial.distance.jensenshannon), chi-square and missing rates, for numeric features
(shifted and scaled, with missing values and values past the training range). The
categorical formulas are checked by the unit tests (tests/monitor/drift_test.cc): a model's
features, which the baseline profiles, are numbers."""
import json
import os
import sys

import numpy as np
import xgboost as xgb
from scipy.spatial.distance import jensenshannon

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import Failures, Ferry, parse_args, tempdir  # noqa: E402

EPS = 1e-4


def write_csv(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")


def numeric_bins(values, cut_points):
    """Bin i: cut[i-1] < v <= cut[i]; bin 0 open below, the last bin open above."""
    idx = np.searchsorted(np.asarray(cut_points[:-1]), values, side="left")
    return np.bincount(idx, minlength=len(cut_points))


def psi(e, a):
    e = np.where(e > 0, e, EPS)
    a = np.where(a > 0, a, EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def main():
    args = parse_args()
    ferry = Ferry(args.ferry)
    fails = Failures()
    rng = np.random.default_rng(11)
    with tempdir() as tmp:
        n = 5000
        train = {"a": rng.normal(0, 1, n), "b": rng.exponential(2.0, n), "c": rng.integers(0, 5, n)}
        cities = rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2])
        label = (train["a"] + rng.normal(0, 1, n) > 0).astype(int)
        rows = [[f"{train['a'][i]!r}", f"{train['b'][i]!r}", str(train["c"][i]), cities[i],
                 str(label[i])] for i in range(n)]
        rows[3][0] = ""  # a missing value in the baseline
        write_csv(os.path.join(tmp, "train.csv"), ["a", "b", "c", "city", "y"], rows)
        x = np.column_stack([train["a"], train["b"], train["c"]]).astype(np.float32)
        booster = xgb.train({"objective": "binary:logistic", "max_depth": 2, "nthread": 1},
                            xgb.DMatrix(x, label=label, feature_names=["a", "b", "c"]), 5)
        model = os.path.join(tmp, "model.json")
        booster.save_model(model)
        ferry.run("bundle", "create", "--model", model, "--name", "m", "-o",
                  os.path.join(tmp, "bundle"), "--baseline", os.path.join(tmp, "train.csv"),
                  "--label", "y")
        m = 3000
        live = {"a": rng.normal(0.7, 1.3, m), "b": rng.exponential(3.5, m),
                "c": rng.integers(0, 7, m)}
        live_city = rng.choice(["north", "south", "west", ""], m, p=[0.3, 0.3, 0.3, 0.1])
        live_rows = [[f"{live['a'][i]!r}", f"{live['b'][i]!r}", str(live["c"][i]), live_city[i]]
                     for i in range(m)]
        for i in range(0, m, 37):
            live_rows[i][1] = "NA"
        write_csv(os.path.join(tmp, "live.csv"), ["a", "b", "c", "city"], live_rows)
        r = ferry.run("monitor", "drift", "--bundle", os.path.join(tmp, "bundle"), "--data",
                      os.path.join(tmp, "live.csv"), "--json", "-")
        got = {f["name"]: f for f in json.loads(r.stdout)["features"]}
        with open(os.path.join(tmp, "bundle", "baseline.json")) as f:
            base = {f["name"]: f for f in json.load(f)["features"]}

        for name in ("a", "b", "c"):
            b = base[name]
            col = [row["abc".index(name)] for row in live_rows]
            vals = np.array([float(v) for v in col if v not in ("", "NA")])
            missing = sum(1 for v in col if v in ("", "NA"))
            e = np.asarray(b["bin_counts"], float) / b["count"]
            a = numeric_bins(vals, b["cut_points"]) / len(vals)
            want = {"psi": psi(e, a), "ks": float(np.max(np.abs(np.cumsum(a) - np.cumsum(e)))),
                    "js": float(jensenshannon(e, a)), "missing_rate": missing / m,
                    "expected_missing_rate": b["missing"] / (b["count"] + b["missing"])}
            for k, v in want.items():
                fails.check(abs(got[name][k] - v) < 1e-9,
                            f"{name}.{k}: ferry {got[name][k]} scipy {v}")
            fails.check(got[name]["count"] == len(vals), f"{name}: count")
        fails.check(set(got) == {"a", "b", "c"} and json.loads(r.stdout)["absent"] == ["y"],
                    f"features, and the label absent from live data: {sorted(got)}")
        fails.check(got["a"]["psi"] > 0.1 and got["b"]["psi"] > 0.1, "the shift is seen")

        # Short decimals take the AVX-512 path where the CPU has it; FERRY_CSV_SIMD=off forces the
        # portable one (as on CPUs without AVX-512): the same counts either way.
        short_rows = [[f"{float(row[0]):.6g}", row[1] if row[1] == "NA" else f"{float(row[1]):.6g}",
                       row[2], row[3]] for row in live_rows]
        write_csv(os.path.join(tmp, "live6.csv"), ["a", "b", "c", "city"], short_rows)
        runs = []
        for simd in ("auto", "off"):
            os.environ["FERRY_CSV_SIMD"] = simd
            try:
                runs.append(json.loads(ferry.run(
                    "monitor", "drift", "--bundle", os.path.join(tmp, "bundle"), "--data",
                    os.path.join(tmp, "live6.csv"), "--json", "-").stdout)["features"])
            finally:
                del os.environ["FERRY_CSV_SIMD"]
        fails.check(runs[0] == runs[1], f"FERRY_CSV_SIMD=off counts the same: {runs}")

        r = ferry.run("monitor", "drift", "--bundle", os.path.join(tmp, "bundle"), "--data",
                      os.path.join(tmp, "live.csv"), "--json", os.path.join(tmp, "d.json"))
        fails.check("mean" not in r.stdout and r.stdout.splitlines()[1].startswith("FEATURE") and
                    os.path.exists(os.path.join(tmp, "d.json")), f"table + json file: {r.stdout}")
        write_csv(os.path.join(tmp, "other.csv"), ["x"], [["1"]])
        r = ferry.run("monitor", "drift", "--bundle", os.path.join(tmp, "bundle"), "--data",
                      os.path.join(tmp, "other.csv"), check=False)
        fails.check(r.returncode == 1 and "none of the baseline's features" in r.stderr,
                    f"no common column: {r.stderr}")
        ferry.run("bundle", "create", "--model", model, "--name", "m", "-o",
                  os.path.join(tmp, "plain"))
        r = ferry.run("monitor", "drift", "--bundle", os.path.join(tmp, "plain"), "--data",
                      os.path.join(tmp, "live.csv"), check=False)
        fails.check(r.returncode == 1 and "the bundle has no baseline" in r.stderr,
                    f"no baseline: {r.stderr}")
    fails.exit()


if __name__ == "__main__":
    main()
