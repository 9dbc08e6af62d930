#!/usr/bin/python3
"""Parity of `ferry batch` with Debian's python3-xgboost on real data: the breast cancer data set
(python3-sklearn), 5% of cells blanked, repeated to 300,000 rows with unique keys, scored as CSV
(shuffled columns) and JSONL, plain, .gz and .zst, on 1 and 2 threads. Every row must come back in
input order with its key and a probability within 1e-6 of XGBoost's own inplace_predict."""
import csv
import gzip
import json
import os
import subprocess
import sys

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import Failures, Ferry, parse_args, tempdir  # noqa: E402

TOL = 1e-6
REPEAT = 528  # 569 rows x 528 = 300,432 rows


def main():
    args = parse_args()
    ferry = Ferry(args.ferry)
    fails = Failures()
    data = load_breast_cancer()
    names = [n.replace(" ", "_") for n in data.feature_names]
    rng = np.random.default_rng(5)
    x = data.data.copy()
    x[rng.random(x.shape) < 0.05] = np.nan
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 4, "nthread": 2},
                        xgb.DMatrix(data.data, label=data.target, feature_names=names), 50)

    with tempdir() as tmp:
        model = os.path.join(tmp, "model.json")
        booster.save_model(model)
        bundle = os.path.join(tmp, "bundle")
        ferry.run("bundle", "create", "--model", model, "--name", "bc", "-o", bundle)

        # The text each cell is written as; XGBoost scores the values read back from that text.
        text = [["" if np.isnan(v) else repr(float(v)) for v in row] for row in x]
        x_read = np.array([[np.nan if t == "" else float(t) for t in row] for row in text],
                          dtype=np.float32)
        base = booster.inplace_predict(x_read)
        n = len(text) * REPEAT
        expected = np.tile(base, REPEAT)
        keys = [f"k{r}-{i}" for r in range(REPEAT) for i in range(len(text))]

        order = list(rng.permutation(len(names)))
        csv_path = os.path.join(tmp, "rows.csv")
        with open(csv_path, "w", newline="") as f:
            f.write("row_id," + ",".join(names[j] for j in order) + ",label\n")
            lines = []
            for r in range(REPEAT):
                for i, row in enumerate(text):
                    lines.append(f"k{r}-{i}," + ",".join(row[j] for j in order) + ",0\n")
            f.write("".join(lines))
        jsonl_path = os.path.join(tmp, "rows.jsonl")
        with open(jsonl_path, "w") as f:
            recs = []
            for i, row in enumerate(x):
                vals = {nm: (None if np.isnan(v) else float(v)) for nm, v in zip(names, row)}
                recs.append(json.dumps(vals)[1:])
            f.write("".join(f'{{"row_id":"k{r}-{i}",{recs[i]}\n' for r in range(REPEAT)
                            for i in range(len(recs))))
        inputs = [csv_path, jsonl_path]
        for p in (csv_path, jsonl_path):
            with open(p, "rb") as src, gzip.open(p + ".gz", "wb", compresslevel=1) as dst:
                dst.write(src.read())
            subprocess.run(["zstd", "-q", "-f", p, "-o", p + ".zst"], check=True)
            inputs += [p + ".gz", p + ".zst"]

        for inp in inputs:
            for threads in (1, 2):
                fmt = "csv" if ".csv" in inp else "jsonl"
                out = os.path.join(tmp, f"out-{threads}.{fmt}")
                what = f"{os.path.basename(inp)} threads={threads}"
                r = ferry.run("batch", "--bundle", bundle, "--input", inp, "--output", out,
                              "--key-column", "row_id", "--threads", threads, check=False)
                if not fails.check(r.returncode == 0, f"{what}: exit {r.returncode}: {r.stderr}"):
                    continue
                fails.check(f"scored {n:,} rows, skipped 0" in r.stderr, f"{what}: summary {r.stderr}")
                got_keys, got = [], []
                if fmt == "csv":
                    with open(out, newline="") as f:
                        for row in csv.DictReader(f):
                            got_keys.append(row["row_id"])
                            got.append(float(row["probability"]))
                else:
                    with open(out) as f:
                        for line in f:
                            rec = json.loads(line)
                            got_keys.append(rec["row_id"])
                            got.append(rec["probability"])
                fails.check(got_keys == keys, f"{what}: keys in input order ({len(got_keys)} rows)")
                if len(got) == n:
                    diff = float(np.max(np.abs(np.array(got, dtype=np.float64) - expected)))
                    fails.check(diff <= TOL, f"{what}: max |diff| {diff} > {TOL}")
                else:
                    fails.check(False, f"{what}: {len(got)} predictions, expected {n}")
    fails.exit()


if __name__ == "__main__":
    main()
