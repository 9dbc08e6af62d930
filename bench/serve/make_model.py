#!/usr/bin/python3
"""Trains the serving benchmark's model: XGBoost binary:logistic, depth 6, on
the breast cancer data (Debian's python3-sklearn), N trees; writes model.json.
Run with Debian's Python: /usr/bin/python3 make_model.py --trees 100 --out DIR/model.json"""
import argparse

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer

p = argparse.ArgumentParser()
p.add_argument("--trees", type=int, default=100)
p.add_argument("--depth", type=int, default=6)
p.add_argument("--out", required=True)
a = p.parse_args()
data = load_breast_cancer()
names = [n.replace(" ", "_") for n in data.feature_names]
dtrain = xgb.DMatrix(data.data.astype(np.float32), label=data.target, feature_names=names)
params = {"objective": "binary:logistic", "max_depth": a.depth, "eta": 0.05, "seed": 7,
          "tree_method": "hist", "nthread": 1}
xgb.train(params, dtrain, num_boost_round=a.trees).save_model(a.out)
