"""Log metrics and params from a Stratus training script (standard library only).

Inside a Stratus script job this module is importable as is (the job's PYTHONPATH holds it), and
reads its endpoint and credentials from the job environment: ``STRATUS_API_URL``,
``STRATUS_JOB_TOKEN`` (a token that may only write this job's metrics and params, revoked when
the job ends) and ``TRAINING_JOB_NAME``. Outside a job (no such variables) every call is a no-op,
so the same script runs on a laptop.

    import stratus_run

    stratus_run.log_params({"optimizer": "adam", "layers": 3})
    for epoch in range(epochs):
        ...
        stratus_run.log_metric("validation:auc", auc, step=epoch)
    # buffered points are sent every few seconds, at exit, or on stratus_run.flush()

Metric points land in the same time series as the regex metric definitions of the job, and are
read with ``GET /api/v1/training-jobs/<job>/metrics``.
"""

import atexit
import datetime
import json
import math
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request

__all__ = ["log_metric", "log_metrics", "log_param", "log_params", "flush", "enabled"]

_NAME = re.compile(r"^[A-Za-z0-9_.:/-]{1,255}$")
_FLUSH_EVERY_S = 2.0
_FLUSH_AT_POINTS = 200
_BATCH = 1000

_lock = threading.Lock()
_pending = []
_last_flush = time.monotonic()
_warned = False


def _config():
    url = os.environ.get("STRATUS_API_URL")
    token = os.environ.get("STRATUS_JOB_TOKEN")
    job = os.environ.get("TRAINING_JOB_NAME")
    if not (url and token and job):
        return None
    return url.rstrip("/"), token, job


def enabled():
    """Whether this process runs in a Stratus job that can log (else every call is a no-op)."""
    return _config() is not None


def _check_name(kind, name):
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError("%s name %r: use letters, digits and _ . : / - (at most 255 characters)" % (kind, name))


def _post(path, body):
    url, token, job = _config()
    req = urllib.request.Request(
        "%s/api/v1/training-jobs/%s/%s" % (url, job, path),
        data=json.dumps(body, allow_nan=False).encode("utf-8"),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            res.read()
    except urllib.error.HTTPError as e:
        detail = e.read().decode("utf-8", "replace")[:500]
        raise RuntimeError("stratus_run: POST %s failed with HTTP %d: %s" % (path, e.code, detail)) from None


def _warn_once():
    global _warned
    if not _warned:
        _warned = True
        sys.stderr.write("stratus_run: not in a Stratus job (no STRATUS_API_URL/STRATUS_JOB_TOKEN); metrics and params are not recorded\n")


def log_metric(name, value, step=None):
    """Records one point of metric ``name``. ``step`` (an int >= 0) defaults to one past the metric's last step."""
    _check_name("metric", name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise ValueError("metric %r: value must be a finite number, got %r" % (name, value))
    if step is not None and (isinstance(step, bool) or not isinstance(step, int) or step < 0):
        raise ValueError("metric %r: step must be an int >= 0, got %r" % (name, step))
    if not enabled():
        return _warn_once()
    point = {"name": name, "value": float(value), "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")}
    if step is not None:
        point["step"] = step
    with _lock:
        _pending.append(point)
        due = len(_pending) >= _FLUSH_AT_POINTS or time.monotonic() - _last_flush >= _FLUSH_EVERY_S
    if due:
        flush()


def log_metrics(metrics, step=None):
    """Records several metrics at once: ``log_metrics({"loss": 0.3, "auc": 0.9}, step=epoch)``."""
    for name, value in metrics.items():
        log_metric(name, value, step)


def log_param(name, value):
    """Records one param of the run (beside its hyperparameters). Sent at once."""
    log_params({name: value})


def log_params(params):
    """Records params of the run: a dict of name to str, int, float or bool. Sent at once."""
    for name, value in params.items():
        _check_name("param", name)
        if not isinstance(value, (str, int, float, bool)):
            raise ValueError("param %r: value must be a str, int, float or bool, got %r" % (name, value))
    if not params:
        return
    if not enabled():
        return _warn_once()
    _post("params", {"params": {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in params.items()}})


def flush():
    """Sends the buffered metric points now."""
    global _last_flush
    with _lock:
        batch = _pending[:]
        del _pending[:]
        _last_flush = time.monotonic()
    for i in range(0, len(batch), _BATCH):
        _post("metrics", {"metrics": batch[i:i + _BATCH]})


def _flush_at_exit():
    try:
        flush()
    except Exception as e:  # the script's own outcome matters more than its last metrics
        sys.stderr.write("stratus_run: could not send the last metrics: %s\n" % e)


atexit.register(_flush_at_exit)
