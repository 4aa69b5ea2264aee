"""Serves SageMaker inference-toolkit handlers (inference.py) over SageMaker's hosting contract.

Stratus runs this file as a `python` model's replica. Dependency-free (standard library; numpy
is used when installed). Environment:
  SAGEMAKER_BIND_TO_PORT       port to listen on (default 8080), on 127.0.0.1
  SM_MODEL_DIR                 the extracted model artifact, passed to model_fn
  SAGEMAKER_SUBMIT_DIRECTORY   folder holding the handler module (put first on sys.path)
  SAGEMAKER_PROGRAM            the handler module file (default inference.py)
  SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT  response type when Accept is absent or */* (default application/json)

The module defines model_fn(model_dir) and optionally input_fn(body, content_type),
predict_fn(data, model), output_fn(prediction, accept), or transform_fn(model, body,
content_type, accept) in place of the last three. The defaults follow the toolkit's:
input_fn decodes application/json, text/csv and application/x-npy (to numpy arrays when numpy
is installed); predict_fn calls model.predict(data), or model(data); output_fn encodes
application/json, text/csv and application/x-npy.
"""
import importlib.util
import io
import json
import os
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import numpy as np
except ImportError:  # the defaults then work on lists
    np = None


class HandlerError(Exception):
    """An error with the HTTP status it is answered with."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _media(value):
    return (value or "").split(";")[0].strip().lower()


def default_input_fn(body, content_type):
    media = _media(content_type) or "application/json"
    if media == "application/json":
        data = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
        return np.array(data) if np is not None else data
    if media == "text/csv":
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        rows = [[float(v) for v in line.split(",")] for line in text.splitlines() if line.strip()]
        return np.array(rows) if np is not None else rows
    if media == "application/x-npy" and np is not None:
        return np.load(io.BytesIO(body), allow_pickle=False)
    raise HandlerError(415, "content type %r is not supported; use application/json, text/csv or application/x-npy" % media)


def default_predict_fn(data, model):
    if hasattr(model, "predict"):
        return model.predict(data)
    if callable(model):
        return model(data)
    raise HandlerError(500, "the model has no predict method and is not callable; define predict_fn in the handler module")


def _plain(value):
    if np is not None:
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, np.generic):
            return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def default_output_fn(prediction, accept):
    media = _media(accept)
    if media == "application/json":
        return json.dumps(_plain(prediction)), media
    if media == "text/csv":
        rows = _plain(prediction)
        if not isinstance(rows, list):
            rows = [rows]
        lines = [",".join(str(v) for v in (r if isinstance(r, list) else [r])) for r in rows]
        return "\n".join(lines) + "\n", media
    if media == "application/x-npy" and np is not None:
        buf = io.BytesIO()
        np.save(buf, np.asarray(prediction), allow_pickle=False)
        return buf.getvalue(), media
    raise HandlerError(406, "cannot answer %r; use application/json, text/csv or application/x-npy" % media)


def load_handlers():
    code_dir = os.environ.get("SAGEMAKER_SUBMIT_DIRECTORY") or os.getcwd()
    program = os.environ.get("SAGEMAKER_PROGRAM") or "inference.py"
    sys.path.insert(0, code_dir)
    path = os.path.join(code_dir, program)
    name = os.path.splitext(os.path.basename(program))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    if not hasattr(module, "model_fn"):
        raise SystemExit("%s defines no model_fn(model_dir); it must load and return the model" % program)
    return module


class Server:
    def __init__(self, module, model):
        self.model = model
        self.transform_fn = getattr(module, "transform_fn", None)
        self.input_fn = getattr(module, "input_fn", default_input_fn)
        self.predict_fn = getattr(module, "predict_fn", default_predict_fn)
        self.output_fn = getattr(module, "output_fn", default_output_fn)
        self.default_accept = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or "application/json"

    def invoke(self, body, content_type, accept):
        media = _media(accept)
        if media in ("", "*/*", "*"):
            accept = self.default_accept
        if self.transform_fn is not None:
            result = self.transform_fn(self.model, body, content_type, accept)
        else:
            data = self.input_fn(body, content_type)
            prediction = self.predict_fn(data, self.model)
            result = self.output_fn(prediction, accept)
        if isinstance(result, tuple):
            out, out_type = result[0], result[1]
        else:
            out, out_type = result, accept
        if isinstance(out, str):
            out = out.encode("utf-8")
        return out, out_type


def make_handler(server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, status, body=b"", content_type="text/plain; charset=utf-8"):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/ping":
                self._send(200)
            else:
                self._send(404, b"not found")

        def do_POST(self):
            if self.path != "/invocations":
                self._send(404, b"not found")
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            try:
                out, out_type = server.invoke(body, self.headers.get("Content-Type"), self.headers.get("Accept"))
            except HandlerError as e:
                self._send(e.status, str(e).encode("utf-8"))
                return
            except Exception as e:  # the handler failed: 500 with the error; traceback to the log
                traceback.print_exc()
                self._send(500, ("%s: %s" % (type(e).__name__, e)).encode("utf-8"))
                return
            self._send(200, out, out_type)

        def log_message(self, format, *args):
            pass

    return Handler


def exit_with_parent():
    """Ends this server when the process that started it is gone (no orphans after a crash)."""
    parent = os.getppid()
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


def main():
    port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT") or 8080)
    module = load_handlers()
    model = module.model_fn(os.environ.get("SM_MODEL_DIR") or "/opt/ml/model")
    httpd = ThreadingHTTPServer(("127.0.0.1", port), make_handler(Server(module, model)))
    httpd.daemon_threads = True
    threading.Thread(target=exit_with_parent, daemon=True).start()
    print("stratus_serve: serving %s on port %d" % (os.environ.get("SAGEMAKER_PROGRAM") or "inference.py", port), flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
