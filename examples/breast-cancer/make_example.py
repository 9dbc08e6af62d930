#!/usr/bin/python3
"""Regenerates the breast-cancer example: data.csv and model.json.

Data: the Breast Cancer Wisconsin (Diagnostic) data set (W. N. Street, W. H. Wolberg,
O. L. Mangasarian, UCI Machine Learning Repository), as shipped by Debian's
python3-sklearn (sklearn.datasets.load_breast_cancer). Label `target`: 1 = benign.

Model: a 100-tree XGBoost binary:logistic model trained on all rows with Debian's
python3-xgboost. Run with Debian's Python: /usr/bin/python3 make_example.py
"""
import os

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer

here = os.path.dirname(os.path.abspath(__file__))
data = load_breast_cancer()
names = [n.replace(" ", "_") for n in data.feature_names]

with open(os.path.join(here, "data.csv"), "w") as f:
    f.write(",".join(["id"] + names + ["target"]) + "\n")
    for i, (row, y) in enumerate(zip(data.data, data.target)):
        f.write(",".join([f"p{i:04d}"] + [repr(float(v)) for v in row] + [str(int(y))]) + "\n")

dtrain = xgb.DMatrix(data.data.astype(np.float32), label=data.target, feature_names=names)
params = {"objective": "binary:logistic", "max_depth": 4, "eta": 0.1, "seed": 7,
          "tree_method": "hist", "nthread": 1}
booster = xgb.train(params, dtrain, num_boost_round=100)
booster.save_model(os.path.join(here, "model.json"))
print("wrote data.csv and model.json")
