#!/usr/bin/python3
"""Writes the batch-scoring benchmark inputs: a CSV of ROWS rows x 30 numeric features plus an
`id` column, and a 100-tree binary:logistic XGBoost model trained on part of it
(python3-xgboost). Usage: make_data.py OUT_DIR [ROWS]"""
import os
import sys

import numpy as np
import xgboost as xgb


def main():
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    features = [f"f{i:02d}" for i in range(30)]
    w = rng.normal(size=30)
    # Train on 50k rows drawn like the data.
    xt = rng.normal(size=(50_000, 30)).astype(np.float32)
    yt = (xt @ w + rng.normal(scale=2.0, size=len(xt)) > 0).astype(np.int32)
    d = xgb.DMatrix(xt, label=yt, feature_names=features)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 6, "eta": 0.3,
                         "tree_method": "hist", "nthread": 2}, d, num_boost_round=100)
    booster.save_model(os.path.join(out, "model.json"))
    path = os.path.join(out, "data.csv")
    with open(path, "w") as f:
        f.write("id," + ",".join(features) + "\n")
        block = 100_000
        for start in range(0, rows, block):
            n = min(block, rows - start)
            x = rng.normal(size=(n, 30))
            ids = np.arange(start, start + n)
            # Values as a user's export would hold them: 6 significant digits.
            text = "\n".join(f"r{i}," + ",".join(f"{v:.6g}" for v in row) for i, row in zip(ids, x))
            f.write(text + "\n")
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB, {rows} rows) and model.json")


if __name__ == "__main__":
    main()
