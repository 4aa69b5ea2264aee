"""Trains small models with python-xgboost (the peer) for the xgboost-json, onnx and importance tests.

usage: /usr/bin/python3 make_models.py OUT_DIR DATASETS_DIR

Writes, per case NAME: NAME.json (Booster.save_model), NAME.x.f32 (test rows, float32 LE,
NaN = missing), NAME.pred.f64 (Booster.predict over the usable iterations, float64 LE) and
NAME.importance.json (get_score for every importance type); plus cases.json listing them.
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_diabetes

out_dir, data_dir = sys.argv[1], sys.argv[2]
rng = np.random.RandomState(42)
IMPORTANCE_TYPES = ["weight", "gain", "cover", "total_gain", "total_cover"]


def load_csv(name):
    data = np.loadtxt(os.path.join(data_dir, name), delimiter=",", dtype=np.float64)
    return data[:, 1:].astype(np.float32), data[:, 0]


def blank(x, fraction):
    x = x.copy()
    x[rng.rand(*x.shape) < fraction] = np.nan
    return x


def split(x, y, test_fraction=0.3):
    idx = rng.permutation(len(y))
    n_test = int(len(y) * test_fraction)
    return x[idx[n_test:]], y[idx[n_test:]], x[idx[:n_test]], y[idx[:n_test]]


def usable_range(booster):
    best = booster.attr("best_iteration")
    return (0, int(best) + 1) if best is not None else (0, 0)


def save_case(cases, name, booster, x_test, names=None):
    booster.save_model(os.path.join(out_dir, name + ".json"))
    dtest = xgb.DMatrix(x_test, missing=np.nan, feature_names=names)
    pred = booster.predict(dtest, iteration_range=usable_range(booster))
    x_test.astype("<f4").tofile(os.path.join(out_dir, name + ".x.f32"))
    np.asarray(pred, dtype="<f8").tofile(os.path.join(out_dir, name + ".pred.f64"))
    scores = {t: booster.get_score(importance_type=t) for t in IMPORTANCE_TYPES}
    with open(os.path.join(out_dir, name + ".importance.json"), "w") as f:
        json.dump(scores, f)
    cases.append({"name": name, "rows": int(x_test.shape[0]), "cols": int(x_test.shape[1]), "predShape": list(pred.shape)})


def train(params, x, y, rounds, valid=None, names=None):
    dtrain = xgb.DMatrix(x, label=y, missing=np.nan, feature_names=names)
    evals = [(xgb.DMatrix(valid[0], label=valid[1], missing=np.nan, feature_names=names), "valid")] if valid else []
    return xgb.train(params, dtrain, rounds, evals=evals, early_stopping_rounds=3 if valid else None, verbose_eval=False)


def main():
    cases = []
    base = {"max_depth": 4, "eta": 0.3, "seed": 0, "tree_method": "hist"}

    x, y = load_csv("breast_cancer.csv")
    x = blank(x, 0.05)
    xtr, ytr, xte, yte = split(x, y)
    b = train({**base, "objective": "binary:logistic"}, xtr, ytr, 60, valid=(xte, yte))
    save_case(cases, "binary_logistic", b, xte)
    names = ["feat_%d" % i for i in range(x.shape[1])]
    b = train({**base, "objective": "binary:logitraw", "base_score": 0.3}, xtr, ytr, 10, names=names)
    save_case(cases, "binary_logitraw_named", b, xte, names)
    b = train({**base, "objective": "reg:logistic", "base_score": 0.4}, xtr, ytr, 8)
    save_case(cases, "reg_logistic", b, xte)

    x, y = load_csv("wine.csv")
    x = blank(x, 0.05)
    xtr, ytr, xte, yte = split(x, y)
    b = train({**base, "objective": "multi:softprob", "num_class": 3}, xtr, ytr, 12)
    save_case(cases, "multi_softprob", b, xte)
    b = train({**base, "objective": "multi:softmax", "num_class": 3, "max_depth": 2}, xtr, ytr, 6)
    save_case(cases, "multi_softmax", b, xte)
    b = train({**base, "objective": "multi:softprob", "num_class": 3, "num_parallel_tree": 2, "subsample": 0.8}, xtr, ytr, 4)
    save_case(cases, "multi_parallel_tree", b, xte)

    d = load_diabetes()
    x = blank(d.data.astype(np.float32), 0.05)
    xtr, ytr, xte, yte = split(x, d.target)
    b = train({**base, "objective": "reg:squarederror"}, xtr, ytr, 25)
    save_case(cases, "reg_squarederror", b, xte)
    b = train({**base, "objective": "reg:absoluteerror"}, xtr, ytr, 10)
    save_case(cases, "reg_absoluteerror", b, xte)
    b = train({**base, "objective": "reg:squarederror", "tree_method": "exact", "gamma": 2000.0, "max_depth": 5}, xtr, ytr, 6)
    save_case(cases, "reg_pruned_exact", b, xte)
    counts = rng.poisson(np.exp(1.0 + 5.0 * np.nan_to_num(d.data[:, 2]) + 4.0 * np.nan_to_num(d.data[:, 8])))
    ctr, cte = counts[: len(ytr)], counts[len(ytr):]
    xtr2, xte2 = x[: len(ytr)], x[len(ytr):]
    b = train({**base, "objective": "count:poisson", "eta": 0.5}, xtr2, ctr, 20)
    save_case(cases, "count_poisson", b, xte2)

    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump(cases, f)


main()
