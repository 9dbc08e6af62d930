"""Starts the real `ferry serve` for integration tests and talks v2 to it."""
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import ferry_testlib  # noqa: E402


def example_rows(source):
    """(keys, rows of 30 floats, labels) of the example data."""
    keys, rows, labels = [], [], []
    with open(os.path.join(source, "examples/breast-cancer/data.csv")) as f:
        next(f)
        for line in f:
            cells = line.strip().split(",")
            keys.append(cells[0])
            rows.append([float(c) for c in cells[1:31]])
            labels.append(int(cells[31]))
    return keys, rows, labels


def make_bundle(ferry, source, out):
    ferry_testlib.Ferry(ferry).run(
        "bundle", "create", "--model", os.path.join(source, "examples/breast-cancer/model.json"),
        "--name", "breast-cancer", "-o", out)
    return out


class Server:
    """`ferry serve ... --port 0`, stopped with SIGTERM."""

    def __init__(self, ferry, *args):
        # Prediction logs go to a folder of the test, not the working dir.
        if "--log-dir" not in args and "--no-prediction-log" not in args:
            self._logs = ferry_testlib.tempdir()
            args = (*args, "--log-dir", self._logs.name)
        self.proc = subprocess.Popen([ferry, "serve", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on http://([0-9.]+):(\d+)", line)
        if not m:
            err = self.proc.stderr.read()
            raise AssertionError(f"ferry serve did not start: {line!r} {err}")
        self.host, self.port = m.group(1), int(m.group(2))

    def connection(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def stop(self, timeout=30):
        """SIGTERM; returns (exit code, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None, self.proc.stderr.read()
        return self.proc.returncode, self.proc.stderr.read()


def request(conn, method, path, body=None, headers=None):
    """(status, parsed JSON or text, headers) over a kept-alive connection."""
    data = None if body is None else json.dumps(body).encode()
    h = {"Content-Type": "application/json"} if data is not None else {}
    h.update(headers or {})
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    raw = r.read().decode()
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = raw
    return r.status, parsed, dict(r.getheaders())


def infer_body(rows, keys=None, **extra):
    inputs = [{"name": "features", "shape": [len(rows), 30], "datatype": "FP32", "data": rows}]
    if keys is not None:
        inputs.insert(0, {"name": "keys", "shape": [len(keys)], "datatype": "BYTES", "data": keys})
    body = {"inputs": inputs}
    body.update(extra)
    return body


def wait_until(cond, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.1)
    return False
