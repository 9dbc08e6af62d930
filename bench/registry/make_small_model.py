#!/usr/bin/env python3
"""Writes a small XGBoost model (10 trees of depth 3 on 8 features, binary:logistic)
for the registry benchmark's small bundles. Usage: make_small_model.py OUT.json"""
import sys

import numpy as np
import xgboost as xgb

rng = np.random.default_rng(7)
x = rng.normal(size=(2000, 8)).astype(np.float32)
y = (x[:, 0] + 0.5 * x[:, 1] - x[:, 2] > 0).astype(np.float32)
booster = xgb.train({"objective": "binary:logistic", "max_depth": 3, "nthread": 1},
                    xgb.DMatrix(x, label=y), num_boost_round=10)
booster.save_model(sys.argv[1])
