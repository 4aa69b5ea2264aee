"""Reference metrics from scikit-learn for Stratus's evaluation tests.

Reads a JSON list of cases on stdin, writes a JSON list of results on stdout. Each case:
  {"task": "binary", "labels": [...], "scores": [...], "threshold": t, "sweep": [...]}
  {"task": "multiclass", "labels": [...], "predicted": [...], "probabilities": [[...], ...] | null, "classCount": K}
  {"task": "regression", "labels": [...], "predictions": [...]}
Predictions are given, never recomputed: the test checks the metric functions, not the model.
"""
import json
import sys
import warnings

import numpy as np
from sklearn import metrics as m

warnings.simplefilter("ignore")


def binary(c):
    y = np.asarray(c["labels"], dtype=float) > 0.5
    s = np.asarray(c["scores"], dtype=float)
    t = c["threshold"]

    def at(th):
        p = s >= th
        tn, fp, fn, tp = m.confusion_matrix(y, p, labels=[False, True]).ravel()
        return {
            "threshold": th,
            "accuracy": m.accuracy_score(y, p),
            "precision": m.precision_score(y, p, zero_division=0),
            "recall": m.recall_score(y, p, zero_division=0),
            "f1": m.f1_score(y, p, zero_division=0),
            "specificity": m.recall_score(~y, ~p, zero_division=0),
            "confusionMatrix": {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)},
        }

    out = at(t)
    fpr, tpr, thr = m.roc_curve(y, s)
    prec, rec, pthr = m.precision_recall_curve(y, s)
    out.update({
        "count": int(len(y)),
        "rocAuc": m.roc_auc_score(y, s),
        "prAuc": m.average_precision_score(y, s),
        "rocCurve": {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr[1:].tolist()},
        "prCurve": {"precision": prec.tolist(), "recall": rec.tolist(), "thresholds": pthr.tolist()},
        "thresholdSweep": [{k: v for k, v in at(th).items() if k != "confusionMatrix"} for th in c["sweep"]],
    })
    if s.min() >= 0 and s.max() <= 1:
        out["logLoss"] = m.log_loss(y, s)
    return out


def multiclass(c):
    y = np.asarray(c["labels"]).astype(int)
    p = np.asarray(c["predicted"]).astype(int)
    labels = m._classification.unique_labels(y, p).tolist()
    out = {"count": int(len(y)), "accuracy": m.accuracy_score(y, p), "labels": labels,
           "confusionMatrix": m.confusion_matrix(y, p, labels=labels).tolist()}
    for avg in ("macro", "micro", "weighted"):
        pr, rc, f1, _ = m.precision_recall_fscore_support(y, p, average=avg, zero_division=0)
        out[avg] = {"precision": pr, "recall": rc, "f1": f1}
    pr, rc, f1, sup = m.precision_recall_fscore_support(y, p, labels=labels, average=None, zero_division=0)
    out["perClass"] = [{"label": l, "precision": a, "recall": b, "f1": d, "support": int(e)} for l, a, b, d, e in zip(labels, pr, rc, f1, sup)]
    if c.get("probabilities") is not None:
        out["logLoss"] = m.log_loss(y, np.asarray(c["probabilities"], dtype=float), labels=list(range(c["classCount"])))
    return out


def regression(c):
    y = np.asarray(c["labels"], dtype=float)
    p = np.asarray(c["predictions"], dtype=float)
    q = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1]
    return {
        "count": int(len(y)),
        "mse": m.mean_squared_error(y, p),
        "rmse": float(np.sqrt(m.mean_squared_error(y, p))),
        "mae": m.mean_absolute_error(y, p),
        "mape": m.mean_absolute_percentage_error(y, p),
        "r2": m.r2_score(y, p),
        "residualQuantiles": [{"q": x, "value": float(np.quantile(y - p, x))} for x in q],
    }


def main():
    cases = json.load(sys.stdin)
    tasks = {"binary": binary, "multiclass": multiclass, "regression": regression}
    out = [tasks[c["task"]](c) for c in cases]
    json.dump(out, sys.stdout, default=float)


if __name__ == "__main__":
    main()
