#!/usr/bin/python3
"""Parity: models trained with Debian's python3-xgboost on real data (Debian's python3-sklearn
data sets) give the same predictions through `ferry predict` as through XGBoost itself,
within 1e-6, for CSV and JSONL input, JSON and UBJ model files, with missing values,
shuffled column order and compressed input."""
import csv
import gzip
import json
import os
import sys

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import Failures, Ferry, parse_args, tempdir  # noqa: E402

# Ferry writes the shortest decimal that reads back as the same float32, so
# read back as float32 the values should be identical; 1e-6 (relative to the
# value's magnitude for regression outputs beyond 1) is the contract.
TOL = 1e-6


def with_missing(x, rng):
    """Blanks about 5% of the cells (XGBoost's default missing value is NaN)."""
    x = x.copy()
    mask = rng.random(x.shape) < 0.05
    x[mask] = np.nan
    return x


def write_csv(path, names, x, ids, order):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["row_id"] + [names[j] for j in order])
        for i in range(x.shape[0]):
            w.writerow([ids[i]] + ["" if np.isnan(x[i, j]) else repr(float(x[i, j])) for j in order])


def write_jsonl(path, names, x, ids, by_name):
    with open(path, "w") as f:
        for i in range(x.shape[0]):
            vals = [None if np.isnan(v) else float(v) for v in x[i]]
            if by_name:
                rec = {"row_id": ids[i], **dict(zip(names, vals))}
            else:
                rec = {"row_id": ids[i], "features": vals}
            f.write(json.dumps(rec) + "\n")


def read_predictions(path, fmt, output_name, width):
    keys, values = [], []
    if fmt == "csv":
        with open(path, newline="") as f:
            r = csv.DictReader(f)
            for row in r:
                keys.append(row["row_id"])
                if width == 1:
                    values.append([float(row[output_name])])
                else:
                    values.append([float(row[f"{output_name}_{k}"]) for k in range(width)])
    else:
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                keys.append(rec["row_id"])
                v = rec[output_name]
                values.append(v if isinstance(v, list) else [v])
    return keys, np.array(values, dtype=np.float32)


def main():
    args = parse_args()
    ferry = Ferry(args.ferry)
    fails = Failures()
    rng = np.random.default_rng(42)

    cancer, iris, diabetes = load_breast_cancer(), load_iris(), load_diabetes()
    cases = [
        # name, data, params, names stored in the model?, how ferry learns the names
        ("breast-cancer", cancer, {"objective": "binary:logistic", "max_depth": 6}, True, "model"),
        ("iris", iris, {"objective": "multi:softprob", "num_class": 3, "max_depth": 4}, False, "csv"),
        ("diabetes", diabetes, {"objective": "reg:squarederror", "max_depth": 6}, False, "flag"),
    ]
    with tempdir() as tmp:
        for name, data, params, names_in_model, names_from in cases:
            names = [n.replace(" ", "_") for n in data.feature_names]
            x = with_missing(data.data.astype(np.float64), rng)
            y = data.target
            dtrain = xgb.DMatrix(x.astype(np.float32), label=y,
                                 feature_names=names if names_in_model else None)
            booster = xgb.train({**params, "eta": 0.3, "seed": 1, "nthread": 1}, dtrain,
                                num_boost_round=50)
            expected = booster.inplace_predict(x.astype(np.float32))
            expected = expected.reshape(x.shape[0], -1).astype(np.float32)
            ids = [f"{name}-{i}" for i in range(x.shape[0])]
            order = list(rng.permutation(len(names)))  # any column order

            data_csv = os.path.join(tmp, f"{name}.csv")
            write_csv(data_csv, names, x, ids, order)
            with open(data_csv, "rb") as src, gzip.open(data_csv + ".gz", "wb") as dst:
                dst.write(src.read())
            write_jsonl(os.path.join(tmp, f"{name}-named.jsonl"), names, x, ids, True)
            write_jsonl(os.path.join(tmp, f"{name}-array.jsonl"), names, x, ids, False)

            for ext in ("json", "ubj"):
                model_file = os.path.join(tmp, f"{name}.{ext}")
                booster.save_model(model_file)
                bundle = os.path.join(tmp, f"{name}-{ext}-bundle")
                create = ["bundle", "create", "--model", model_file, "--name", name, "-o", bundle]
                if names_from == "csv":
                    # Header of a CSV with only the feature columns.
                    hdr = os.path.join(tmp, f"{name}-train.csv")
                    with open(hdr, "w", newline="") as f:
                        w = csv.writer(f)
                        w.writerow(names + ["label"])
                        for i in range(x.shape[0]):
                            w.writerow(["" if np.isnan(v) else repr(float(v)) for v in x[i]] + [y[i]])
                    create += ["--baseline", hdr, "--label", "label"]
                elif names_from == "flag":
                    create += ["--features", ",".join(names)]
                ferry.run(*create)
                inspect = json.loads(ferry.run("bundle", "inspect", bundle, "--json").stdout)
                fails.check(inspect["signature"]["inputs"][0]["features"] == names,
                            f"{name}/{ext}: signature feature names {inspect['signature']['inputs'][0].get('features')}")
                out_sig = inspect["signature"]["outputs"][0]
                width = out_sig["shape"][1] if len(out_sig["shape"]) > 1 else 1

                inputs = [(data_csv, "csv"), (data_csv + ".gz", "csv"),
                          (os.path.join(tmp, f"{name}-named.jsonl"), "jsonl"),
                          (os.path.join(tmp, f"{name}-array.jsonl"), "jsonl")]
                for path, fmt in inputs:
                    out = os.path.join(tmp, f"out-{name}-{ext}-{os.path.basename(path)}.{fmt}")
                    ferry.run("predict", "--bundle", bundle, "--input", path, "--key-column",
                              "row_id", "-o", out)
                    keys, got = read_predictions(out, fmt, out_sig["name"], width)
                    what = f"{name}/{ext}/{os.path.basename(path)}"
                    fails.check(keys == ids, f"{what}: keys echoed in input order")
                    if fails.check(got.shape == expected.shape, f"{what}: shape {got.shape} vs {expected.shape}"):
                        g, e = got.astype(np.float64), expected.astype(np.float64)
                        diff = float(np.max(np.abs(g - e) / np.maximum(1.0, np.abs(e))))
                        fails.check(diff <= TOL, f"{what}: max |ferry - xgboost| = {diff}")
                        identical = int(np.sum(got == expected))
                        print(f"{what}: {x.shape[0]} rows, max |diff| = {diff:.3g}, "
                              f"{identical}/{got.size} values bit-identical")
    fails.exit()


if __name__ == "__main__":
    main()
