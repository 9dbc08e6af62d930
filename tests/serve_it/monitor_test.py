"""ferry serve's monitoring: drift windows on the API and /metrics, the
prediction log of every served row, feedback joined from the log, rolling
performance, and an alert whose webhook is called (issue 7)."""
import http.server
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import serve_helpers as sh  # noqa: E402
import ferry_testlib  # noqa: E402


def training_csv(source, path):
    """data.csv without its id column (features + target)."""
    with open(os.path.join(source, "examples/breast-cancer/data.csv")) as f, open(path, "w") as out:
        for line in f:
            out.write(line.split(",", 1)[1])
    return path


class Hooks(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hooks.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    args = ferry_testlib.parse_args()
    ferry = ferry_testlib.Ferry(args.ferry)
    fail = ferry_testlib.Failures()
    keys, rows, _labels = sh.example_rows(args.source)
    with ferry_testlib.tempdir() as tmp:
        bundle = os.path.join(tmp, "bundle")
        ferry.run("bundle", "create", "--model",
                  os.path.join(args.source, "examples/breast-cancer/model.json"), "--name",
                  "breast-cancer", "--baseline", training_csv(args.source, f"{tmp}/train.csv"),
                  "--label", "target", "-o", bundle)
        config = os.path.join(tmp, "serve.yaml")
        hooks = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
        threading.Thread(target=hooks.serve_forever, daemon=True).start()
        with open(config, "w") as f:
            # feedback_keys 0: every label is joined from the prediction log.
            f.write("monitoring:\n  window: 1s\n  segment_max_age: 1s\n  feedback_keys: 0\n"
                    "alerts:\n"
                    "  - name: drift-high\n    model: breast-cancer\n    metric: drift.psi\n"
                    "    threshold: 1.0\n    min_count: 50\n    actions:\n      - log\n"
                    f"      - webhook: {{url: 'http://127.0.0.1:{hooks.server_port}/hook'}}\n")
        logs = os.path.join(tmp, "logs")
        server = sh.Server(args.ferry, "--model", f"breast-cancer={bundle}", "--config", config,
                           "--log-dir", logs)
        try:
            conn = server.connection()
            # Traffic like the training data: no drift.
            for i in range(0, 200, 20):
                status, body, _ = sh.request(conn, "POST", "/v2/models/breast-cancer/infer",
                                             sh.infer_body(rows[i:i + 20], keys[i:i + 20]))
                fail.check(status == 200, f"infer {status} {body}")
            status, cur, _ = sh.request(conn, "GET",
                                        "/api/v1/models/breast-cancer/drift?window=current")
            fail.check(status == 200, f"drift current {status} {cur}")
            if status == 200:
                fail.check(cur["model"] == "breast-cancer" and cur["version"] == 1, f"{cur}")
                fail.check(cur["baseline"] is True and len(cur["features"]) == 30,
                           f"features {len(cur['features'])}")
                fail.check(cur["window"]["complete"] is False, f"{cur['window']}")
                # A window boundary may have passed since: at most 200 rows.
                fail.check(0 <= cur["rows"] <= 200, f"rows {cur['rows']}")

            # Wait for a window to close, then send shifted traffic only.
            time.sleep(1.2)
            shifted = [[v * 3 for v in r] for r in rows[:100]]
            for i in range(0, 100, 25):
                status, body, _ = sh.request(conn, "POST", "/v2/models/breast-cancer/infer",
                                             sh.infer_body(shifted[i:i + 25]))
                fail.check(status == 200, f"infer shifted {status} {body}")

            def shifted_window_closed():
                s, b, _ = sh.request(conn, "GET", "/api/v1/models/breast-cancer/drift?window=last")
                return s == 200 and b["rows"] == 100 and b["window"]["complete"]
            fail.check(sh.wait_until(shifted_window_closed, 5),
                       "a closed window with the 100 shifted rows")
            status, last, _ = sh.request(conn, "GET", "/api/v1/models/breast-cancer/drift")
            if status == 200 and last["rows"] == 100:
                fail.check(last["max_psi"] is not None and last["max_psi"] > 1.0,
                           f"shifted traffic drifts: max_psi {last['max_psi']}")
                radius = [f for f in last["features"] if f["name"] == "mean_radius"][0]
                fail.check(radius["count"] == 100 and radius["psi"] > 1.0, f"{radius}")
                fail.check(last["error_rate"] == 0 and last["latency_p99_ms"] > 0, f"{last}")
                # The prediction drifts too (the bundle's baseline profiles it).
                pred = last["prediction"]
                fail.check(pred is not None and pred["name"] == "prediction"
                           and pred["count"] == 100 and pred["psi"] > 0.1, f"prediction {pred}")
            status, span, _ = sh.request(conn, "GET",
                                         "/api/v1/models/breast-cancer/drift?window=1h")
            fail.check(status == 200 and span["rows"] == 300, f"1h span: {status} {span}")

            # /metrics carries the drift gauges of the closed window.
            status, metrics, _ = sh.request(conn, "GET", "/metrics")
            fail.check('ferry_drift_psi{model="breast-cancer",version="1",feature="mean_radius"}'
                       in metrics, "drift gauge on /metrics")
            fail.check('ferry_drift_psi{model="breast-cancer",version="1",feature="prediction"}'
                       in metrics, "prediction drift gauge on /metrics")
            fail.check("ferry_prediction_log_records_total" in metrics, "log counter on /metrics")
            # The real promtool accepts the exposition with the monitoring families (and NaNs).
            check = subprocess.run(["promtool", "check", "metrics"], input=metrics,
                                   capture_output=True, text=True)
            fail.check(check.returncode == 0, f"promtool: {check.stdout} {check.stderr}")

            # The alert fired on the shifted window and called the webhook.
            def fired():
                s, b, _ = sh.request(conn, "GET", "/api/v1/alerts")
                return s == 200 and b["alerts"][0]["state"] == "firing" and Hooks.received
            fail.check(sh.wait_until(fired, 10), "drift-high firing and its webhook called")
            status, alerts, _ = sh.request(conn, "GET", "/api/v1/alerts")
            if status == 200 and Hooks.received:
                events = [h["event"] for h in alerts["history"]]
                fail.check("firing" in events, f"history {events}")
                hook = Hooks.received[0]
                fail.check(hook["alert"] == "drift-high" and hook["model"] == "breast-cancer"
                           and hook["value"] > 1.0, f"webhook body {hook}")

            # Ground truth for the 200 keyed rows, joined from the log.
            labels = [{"key": keys[i], "label": y} for i, y in enumerate(_labels[:200])]
            status, body, _ = sh.request(conn, "POST", "/v2/models/breast-cancer/feedback", labels)
            fail.check(status == 200 and body["joined"] == 200 and body["unmatched"] == 0,
                       f"feedback {status} {body}")
            status, body, _ = sh.request(conn, "POST", "/v2/models/breast-cancer/feedback",
                                         {"key": "no-such-key", "label": 1})
            fail.check(status == 200 and body["unmatched"] == 1
                       and body["unmatched_keys"] == ["no-such-key"], f"unmatched {body}")
            status, perf, _ = sh.request(conn, "GET",
                                         "/api/v1/models/breast-cancer/performance?window=1h")
            fail.check(status == 200 and perf["count"] == 200 and perf["unmatched"] == 1
                       and perf["task"] == "binary_classification", f"performance {perf}")
            if status == 200 and perf["count"] == 200:
                # The example model fits its data perfectly.
                fail.check(perf["accuracy"] == 1.0 and perf["auc"] == 1.0
                           and perf["rmse"] is None, f"metrics {perf}")
            for body, want in [({"key": keys[0], "label": "maybe"}, 400),
                               ({"label": 1}, 400), ("not json", 400), ([], 400),
                               ([{"key": "k", "label": 1}] * 100001, 413)]:
                status, reply, _ = sh.request(conn, "POST", "/v2/models/breast-cancer/feedback",
                                              body)
                fail.check(status == want and "error" in reply,
                           f"feedback {str(body)[:40]}: {status} {str(reply)[:200]}")
            status, reply, _ = sh.request(conn, "POST", "/v2/models/nope/feedback",
                                          {"key": "k", "label": 1})
            fail.check(status == 404, f"feedback for an unknown model: {status} {reply}")

            # Bad queries.
            for path, want in [("/api/v1/models/nope/drift", 404),
                               ("/api/v1/models/breast-cancer/drift?window=soon", 400),
                               ("/api/v1/models/breast-cancer/drift?version=x", 400),
                               ("/api/v1/models/breast-cancer/drift?version=9", 404)]:
                status, body, _ = sh.request(conn, "GET", path)
                fail.check(status == want and "error" in body, f"{path}: {status} {body}")
        finally:
            hooks.shutdown()
            code, err = server.stop()
            fail.check(code == 0, f"serve exit {code}: {err}")

        # Bad monitoring or alert configs are refused at start, naming the problem.
        for text, want in [
                ("monitoring:\n  window: soon\n", "monitoring.window"),
                ("monitoring:\n  sample_rate: 3\n", "monitoring.sample_rate"),
                ("alerts:\n  - name: a\n    model: breast-cancer\n    metric: drift.psi\n"
                 "    threshold: 1\n    actions:\n      - pipeline: {name: retrain}\n",
                 "no --pipeline file"),
                ("alerts:\n  - name: a\n    model: breast-cancer\n    metric: nonsense\n"
                 "    threshold: 1\n", "metric")]:
            bad = os.path.join(tmp, "bad.yaml")
            with open(bad, "w") as f:
                f.write(text)
            r = ferry.run("serve", "--model", f"breast-cancer={bundle}", "--config", bad,
                          "--port", "0", "--log-dir", logs, check=False)
            fail.check(r.returncode == 1 and want in r.stderr,
                       f"bad config {text!r}: exit {r.returncode} {r.stderr}")

        # Every served row is in the prediction log (300 rows, 200 keyed).
        model_logs = os.path.join(logs, "breast-cancer")
        fail.check(os.path.isdir(model_logs), "log folder of the model")
        segments = [f for f in os.listdir(model_logs)] if os.path.isdir(model_logs) else []
        fail.check(any(f.endswith(".seg") for f in segments),
                   f"a rotated segment after 1s: {segments}")
        # Read back as JSON: every row with its key, 30 named inputs and the probability.
        r = ferry.run("logs", "export", "--model", "breast-cancer", "--log-dir", logs,
                      "--format", "jsonl", check=False)
        records = [json.loads(line) for line in r.stdout.splitlines()] if r.returncode == 0 else []
        fail.check(len(records) == 300, f"{len(records)} logged rows, {r.stderr}")
        fail.check(sorted(x["key"] for x in records if x["key"]) == sorted(keys[:200]),
                   "the keys of the keyed rows")
        fail.check(all(x["model"] == "breast-cancer" and x["version"] == 1 and
                       len(x["inputs"]) == 30 and "probability" in x["outputs"] for x in records),
                   f"record shape: {records[:1]}")
    fail.exit()


if __name__ == "__main__":
    main()
