#!/usr/bin/python3
"""The batch-scoring code users write without Ferry: pandas reads the CSV in chunks, XGBoost's
inplace_predict scores each chunk, to_csv appends id + probability. Prints rows/s as JSON.
Usage: pandas_peer.py DATA.csv MODEL.json OUT.csv NTHREAD"""
import json
import sys
import time

import pandas as pd
import xgboost as xgb


def main():
    data, model, out, nthread = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    booster = xgb.Booster(model_file=model)
    booster.set_param({"nthread": nthread})
    features = booster.feature_names
    start = time.perf_counter()
    rows = 0
    with open(out, "w") as f:
        first = True
        for chunk in pd.read_csv(data, chunksize=100_000):
            p = booster.inplace_predict(chunk[features].to_numpy(dtype="float32"))
            pd.DataFrame({"id": chunk["id"], "probability": p}).to_csv(f, header=first, index=False)
            first = False
            rows += len(chunk)
    seconds = time.perf_counter() - start
    print(json.dumps({"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}))


if __name__ == "__main__":
    main()
