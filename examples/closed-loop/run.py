#!/usr/bin/python3
"""The closed MLOps loop, end to end, on one machine (README.md here).

Trains and promotes breast-cancer@champion, serves it with monitoring and
alerts, replays traffic that drifts, sends ground truth as feedback, and
watches: the drift alert fires, starts the retraining pipeline, the new
version is evaluated, registered and promoted, ferry serve swaps to it
without failing a request, and the alert clears. No manual step.

  /usr/bin/python3 examples/closed-loop/run.py [--ferry build/release/src/ferry]

With --check it exits non-zero when a step of the story does not happen in
time (the e2e test runs it so).
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
SHIFT = 1.35  # every feature reads 35% higher: a recalibrated instrument


def say(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


class Story:
    def __init__(self, check):
        self.check_mode = check
        self.failed = []

    def expect(self, ok, what):
        if not ok:
            self.failed.append(what)
            say(f"NOT AS EXPECTED: {what}")
        return ok


def make_data(work):
    os.makedirs(os.path.join(work, "data"), exist_ok=True)
    src = os.path.join(SOURCE, "examples/breast-cancer/data.csv")
    shutil.copy(src, os.path.join(work, "data/original.csv"))
    rows = []
    with open(src) as f, open(os.path.join(work, "data/shifted.csv"), "w") as out:
        out.write(next(f))
        for line in f:
            cells = line.strip().split(",")
            feats = [float(c) * SHIFT for c in cells[1:31]]
            out.write(",".join([f"s{cells[0]}"] + [f"{v:.6g}" for v in feats] + [cells[31]]) + "\n")
    for name in ("original", "shifted"):
        with open(os.path.join(work, f"data/{name}.csv")) as f:
            next(f)
            for line in f:
                cells = line.strip().split(",")
                rows.append((name, [float(c) for c in cells[1:31]], int(cells[31])))
    return {name: [(x, y) for n, x, y in rows if n == name] for name in ("original", "shifted")}


class Client:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=30)

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                raw = r.read().decode()
                try:
                    return r.status, json.loads(raw)
                except ValueError:
                    return r.status, raw
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if attempt == 1:
                    raise
        return None, None


class Traffic(threading.Thread):
    """Sends keyed rows of the current phase, then their labels as feedback."""

    def __init__(self, host, port, data):
        super().__init__(daemon=True)
        self.client = Client(host, port)
        self.data = data
        self.phase = "original"
        self.stop = threading.Event()
        self.sent = self.failed = 0
        self.failures = []
        self.versions = set()

    def run(self):
        n = 0
        while not self.stop.is_set():
            rows = self.data[self.phase]
            batch = [rows[(n * 10 + i) % len(rows)] for i in range(10)]
            keys = [f"{self.phase[0]}{n}-{i}" for i in range(10)]
            body = {"inputs": [
                {"name": "keys", "shape": [10], "datatype": "BYTES", "data": keys},
                {"name": "features", "shape": [10, 30], "datatype": "FP32",
                 "data": [x for x, _ in batch]}]}
            status, reply = self.client.call("POST", "/v2/models/breast-cancer/infer", body)
            self.sent += 1
            if status != 200:
                self.failed += 1
                self.failures.append((status, reply))
            else:
                self.versions.add(reply.get("model_version"))
                labels = [{"key": k, "label": y} for k, (_, y) in zip(keys, batch)]
                self.client.call("POST", "/v2/models/breast-cancer/feedback", labels)
            n += 1
            time.sleep(0.02)


def wait_for(what, cond, seconds):
    end = time.time() + seconds
    while time.time() < end:
        value = cond()
        if value:
            return value
        time.sleep(0.25)
    return None


def alert(client, name):
    status, body = client.call("GET", "/api/v1/alerts")
    if status != 200:
        return None, []
    rule = [a for a in body["alerts"] if a["name"] == name]
    return (rule[0] if rule else None), [h for h in body["history"] if h["alert"] == name]


def champion(ferry, work, env):
    """'breast-cancer:N (validation AUC x)' of the registry's champion."""
    r = subprocess.run([ferry, "models", "show", "breast-cancer@champion"], cwd=work, env=env,
                       capture_output=True, text=True)
    try:
        shown = json.loads(r.stdout)
        auc = shown.get("metrics", {}).get("validation", {}).get("auc")
        return f"{shown['reference']} (validation AUC {auc:.3f})"
    except (ValueError, KeyError, TypeError):
        return f"unknown ({r.stderr.strip()})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", default=os.path.join(SOURCE, "build/release/src/ferry"))
    ap.add_argument("--workdir", help="where to keep everything (default: a temporary folder)")
    ap.add_argument("--check", action="store_true", help="exit 1 when the story goes wrong")
    ap.add_argument("--timeout", type=float, default=300, help="seconds the retraining may take")
    args = ap.parse_args()
    ferry = os.path.abspath(args.ferry)
    story = Story(args.check)
    tmp = None
    work = args.workdir
    if not work:
        tmp = tempfile.TemporaryDirectory(prefix="ferry-closed-loop-")
        work = tmp.name
    os.makedirs(work, exist_ok=True)
    for f in ("pipeline.yaml", "serve.yaml"):
        shutil.copy(os.path.join(HERE, f), os.path.join(work, f))
    env = dict(os.environ, FERRY_HOME=os.path.join(work, "ferry-home"))
    env.pop("FERRY_REGISTRY", None)
    data = make_data(work)

    say("1. train, evaluate, register and promote breast-cancer@champion on the original data")
    r = subprocess.run([ferry, "pipeline", "run", "pipeline.yaml"], cwd=work, env=env,
                       capture_output=True, text=True)
    if not story.expect(r.returncode == 0, f"bootstrap pipeline: {r.stderr[-2000:]}"):
        sys.exit(1)
    say("   champion: " + champion(ferry, work, env))

    say("2. ferry serve --model breast-cancer@champion --pipeline pipeline.yaml --config serve.yaml")
    serve = subprocess.Popen(
        [ferry, "serve", "--model", "breast-cancer@champion", "--pipeline", "pipeline.yaml",
         "--config", "serve.yaml", "--port", "0"],
        cwd=work, env=env, stdout=subprocess.PIPE, stderr=open(os.path.join(work, "serve.log"), "w"),
        text=True)
    m = re.search(r"listening on http://([0-9.]+):(\d+)", serve.stdout.readline())
    if not story.expect(m is not None, "ferry serve started"):
        serve.kill()
        sys.exit(1)
    host, port = m.group(1), int(m.group(2))
    client = Client(host, port)
    traffic = Traffic(host, port, data)
    try:
        traffic.start()
        say("3. traffic like the training data, with ground truth sent back as feedback")
        time.sleep(5)
        _, drift = client.call("GET", "/api/v1/models/breast-cancer/drift?window=last")
        _, perf = client.call("GET", "/api/v1/models/breast-cancer/performance?window=last")
        say(f"   version {drift['version']}: max PSI {drift['max_psi']:.3f} "
            f"({drift['max_psi_feature']}), accuracy {perf['accuracy']}")
        story.expect(drift["max_psi"] is not None and drift["max_psi"] < 0.5, "no drift at first")
        story.expect(perf["accuracy"] is not None and perf["accuracy"] >= 0.9,
                     f"accurate at first: {perf}")
        rule, _ = alert(client, "input-drift")
        story.expect(rule is not None and rule["state"] == "ok", f"alert ok at first: {rule}")

        say(f"4. the world changes: every feature now reads {SHIFT}x")
        traffic.phase = "shifted"
        fired = wait_for("firing", lambda: [h for h in alert(client, "input-drift")[1]
                                            if h["event"] == "firing"], 60)
        story.expect(fired, "the drift alert fires")
        if fired:
            f = fired[0]
            say(f"   alert input-drift firing: PSI of {f['feature']} = {f['value']:.2f}")
            def pipeline_action():
                firings = [h for h in alert(client, "input-drift")[1] if h["event"] == "firing"]
                if not firings:
                    return None
                return [a for a in firings[0]["actions"]
                        if a["type"] == "pipeline" and a["ok"] is not None]
            run = wait_for("run", pipeline_action, 30)
            story.expect(run and run[0]["ok"], f"the alert starts the retraining: {run}")
            if run:
                say(f"   retraining pipeline started: run {run[0]['detail']}")
        _, perf = client.call("GET", "/api/v1/models/breast-cancer/performance?window=last")
        say(f"   accuracy on the drifted traffic: {perf['accuracy']}")
        acc = wait_for("accuracy", lambda: [h for h in alert(client, "accuracy-drop")[1]
                                            if h["event"] == "firing"], 30)
        story.expect(acc, "the accuracy alert fires too")

        say("5. waiting for the pipeline: evaluate → register → promote → ferry serve swaps")

        def new_version():
            newer = [v for v in traffic.versions if v and v != "1"]
            return newer[0] if newer else None
        v2 = wait_for("swap", new_version, args.timeout)
        story.expect(v2, "ferry serve swaps to the retrained version")
        if v2:
            say(f"   serving breast-cancer version {v2} now")
            shown = champion(ferry, work, env)
            say(f"   champion: {shown}")
            story.expect(shown.startswith(f"breast-cancer:{v2} "), "champion moved to the new version")
        resolved = wait_for("resolved", lambda: [h for h in alert(client, "input-drift")[1]
                                                 if h["event"] == "resolved"], 60)
        story.expect(resolved, "the drift alert clears on the new version")
        if resolved:
            _, drift = client.call("GET", "/api/v1/models/breast-cancer/drift?window=last")
            say(f"6. alert input-drift resolved: version {drift['version']} max PSI "
                f"{drift['max_psi']:.3f}")
        _, perf = client.call("GET", "/api/v1/models/breast-cancer/performance?window=last")
        say(f"   accuracy of version {perf['version']}: {perf['accuracy']}")
    finally:
        traffic.stop.set()
        traffic.join(timeout=30)
        serve.send_signal(signal.SIGTERM)
        try:
            code = serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serve.kill()
            code = None
    say(f"7. {traffic.sent} requests, {traffic.failed} failed; versions that answered: "
        f"{sorted(v for v in traffic.versions if v)}")
    story.expect(traffic.failed == 0, f"no request failed: {traffic.failures[:3]}")
    story.expect(code == 0, f"ferry serve stopped cleanly: {code}")
    if story.failed:
        say(f"{len(story.failed)} step(s) of the story did not happen; see {work}/serve.log")
        if tmp is not None and not args.check:
            tmp.cleanup()
        sys.exit(1 if args.check else 0)
    say("the loop closed: drift noticed, model retrained, evaluated, promoted and swapped in")


if __name__ == "__main__":
    main()
