"""Loads an XGBoost JSON model with python-xgboost and predicts over float32 rows.

usage: /usr/bin/python3 predict_json.py MODEL.json X.f32 COLS OUT.f64

Uses the iterations up to the model's best_iteration attribute when it has one.
"""
import sys

import numpy as np
import xgboost as xgb

model, x_path, cols, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
booster = xgb.Booster()
booster.load_model(model)
x = np.fromfile(x_path, dtype="<f4").reshape(-1, cols)
best = booster.attr("best_iteration")
iteration_range = (0, int(best) + 1) if best is not None else (0, 0)
dmatrix = xgb.DMatrix(x, missing=np.nan, feature_names=booster.feature_names)
pred = booster.predict(dmatrix, iteration_range=iteration_range)
np.asarray(pred, dtype="<f8").tofile(out)
