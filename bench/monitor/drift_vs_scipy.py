#!/usr/bin/python3
"""`ferry monitor drift` on ROWS x 30 numeric features against a NumPy/SciPy script computing the
same statistics on the same bins (issue 7): reading the CSV (numpy.loadtxt, and pandas.read_csv
as the faster reader a user would pick), binning on the baseline's cut points, PSI, binned KS and
Jensen-Shannon (scipy). Checks that both give the same numbers, then reports the times.

Usage: /usr/bin/python3 bench/monitor/drift_vs_scipy.py --ferry build/release/src/ferry [--rows N]
       [--threads N] [--reps K]
Ferry runs with one thread and with --threads (default: all cores); the ratios use the latter.
Every timing is the median of --reps runs (default 5), the runs of the three tools interleaved,
so that a slow moment of the VM does not decide a ratio.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from scipy.spatial.distance import jensenshannon

FEATURES = 30
EPS = 1e-4


def write_csv(path, x):
    header = ",".join(f"f{i}" for i in range(x.shape[1]))
    np.savetxt(path, x, delimiter=",", header=header, comments="", fmt="%.6g")


def scipy_drift(x, baseline):
    out = {}
    for j, f in enumerate(baseline["features"]):
        col = x[:, j]
        vals = col[np.isfinite(col)]
        cuts = np.asarray(f["cut_points"])
        counts = np.bincount(np.searchsorted(cuts[:-1], vals, side="left"), minlength=len(cuts))
        e = np.asarray(f["bin_counts"], float) / f["count"]
        a = counts / len(vals)
        ee, aa = np.where(e > 0, e, EPS), np.where(a > 0, a, EPS)
        out[f["name"]] = {"psi": float(np.sum((aa - ee) * np.log(aa / ee))),
                          "ks": float(np.max(np.abs(np.cumsum(a) - np.cumsum(e)))),
                          "js": float(jensenshannon(e, a))}
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ferry", required=True)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="threads for `ferry monitor drift` (default: all cores)")
    p.add_argument("--reps", type=int, default=5, help="runs per timing (the median is reported)")
    args = p.parse_args()
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory(prefix="ferry-driftbench-", dir="/var/tmp") as tmp:
        train = rng.normal(0, 1, (20_000, FEATURES))
        label = (train[:, 0] > 0).astype(int)
        write_csv(os.path.join(tmp, "train.csv"),
                  np.column_stack([train, label]))
        # The header of train.csv names the label f30.
        booster = xgb.train({"objective": "binary:logistic", "max_depth": 2, "nthread": 1},
                            xgb.DMatrix(train, label=label,
                                        feature_names=[f"f{i}" for i in range(FEATURES)]), 3)
        booster.save_model(os.path.join(tmp, "model.json"))
        subprocess.run([args.ferry, "bundle", "create", "--model", os.path.join(tmp, "model.json"),
                        "--name", "m", "-o", os.path.join(tmp, "bundle"), "--baseline",
                        os.path.join(tmp, "train.csv"), "--label", f"f{FEATURES}"], check=True,
                       stdout=subprocess.DEVNULL)
        live = rng.normal(0.3, 1.2, (args.rows, FEATURES))
        data = os.path.join(tmp, "live.csv")
        write_csv(data, live)
        size_mb = os.path.getsize(data) / 1e6
        with open(os.path.join(tmp, "bundle", "baseline.json")) as f:
            baseline = json.load(f)
        baseline["features"] = [f for f in baseline["features"] if f["name"] != f"f{FEATURES}"]

        def run_ferry(threads):
            start = time.perf_counter()
            r = subprocess.run([args.ferry, "monitor", "drift", "--bundle",
                                os.path.join(tmp, "bundle"), "--data", data, "--json", "-",
                                "--threads", str(threads)], check=True, capture_output=True,
                               text=True)
            return time.perf_counter() - start, r.stdout

        def run_numpy():
            start = time.perf_counter()
            x = np.loadtxt(data, delimiter=",", skiprows=1)
            result = scipy_drift(x, baseline)
            return time.perf_counter() - start, result

        def run_pandas():
            start = time.perf_counter()
            x2 = pd.read_csv(data).to_numpy(dtype=float)
            result = scipy_drift(x2, baseline)
            return time.perf_counter() - start, result

        times = {"ferry1": [], "ferry": [], "numpy": [], "pandas": []}
        for _ in range(args.reps):
            t, out1 = run_ferry(1)
            times["ferry1"].append(t)
            t, out = run_ferry(args.threads)
            times["ferry"].append(t)
            t, want = run_numpy()
            times["numpy"].append(t)
            t, want2 = run_pandas()
            times["pandas"].append(t)
        assert json.loads(out1)["features"] == json.loads(out)["features"], "thread counts disagree"
        got = {f["name"]: f for f in json.loads(out)["features"]}
        t_ferry1, t_ferry, t_numpy, t_pandas = (statistics.median(times[k])
                                                for k in ("ferry1", "ferry", "numpy", "pandas"))
        worst = max(abs(got[n][k] - want[n][k]) for n in want for k in ("psi", "ks", "js"))
        worst2 = max(abs(want2[n][k] - want[n][k]) for n in want for k in ("psi", "ks", "js"))
        print(f"{args.rows} rows x {FEATURES} features, {size_mb:.0f} MB CSV; medians of "
              f"{args.reps} interleaved runs")
        for k, v in times.items():
            print(f"  {k:7s} runs: " + " ".join(f"{t:.3f}" for t in v))
        print(f"  same numbers: max |ferry - scipy| = {worst:.2e} (pandas reader: {worst2:.2e})")
        print(f"  ferry monitor drift, 1 thread:    {t_ferry1:7.3f} s")
        print(f"  ferry monitor drift, {args.threads} threads:  {t_ferry:7.3f} s")
        print(f"  numpy.loadtxt + numpy/scipy:      {t_numpy:7.2f} s  (ferry {t_numpy / t_ferry:.1f}x faster)")
        print(f"  pandas.read_csv + numpy/scipy:    {t_pandas:7.2f} s  (ferry {t_pandas / t_ferry:.1f}x faster)")


if __name__ == "__main__":
    main()
