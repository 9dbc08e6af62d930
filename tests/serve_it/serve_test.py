"""`ferry serve` end to end: the real binary on the example bundle, a v2
client over keep-alive, predictions equal to python3-xgboost's, keyed
predictions, concurrent clients, promtool on /metrics, SIGTERM with a
request in flight, and start-up errors."""
import os
import subprocess
import threading

import serve_helpers as sh
import ferry_testlib

import numpy as np
import xgboost as xgb


def main():
    args = ferry_testlib.parse_args()
    f = ferry_testlib.Failures()
    with ferry_testlib.tempdir() as tmp:
        bundle = sh.make_bundle(args.ferry, args.source, os.path.join(tmp, "bc"))
        keys, rows, _ = sh.example_rows(args.source)
        booster = xgb.Booster(model_file=os.path.join(args.source, "examples/breast-cancer/model.json"))
        expected = booster.predict(xgb.DMatrix(np.array(rows, dtype=np.float32)), validate_features=False)

        server = sh.Server(args.ferry, "--model", f"breast-cancer={bundle}")
        try:
            conn = server.connection()
            status, body, _ = sh.request(conn, "GET", "/v2/health/ready")
            f.check(status == 200 and body == {"ready": True}, f"ready: {status} {body}")
            sock = conn.sock

            # Every row, one request each, on one kept-alive connection.
            worst = 0.0
            for i, row in enumerate(rows):
                status, body, _ = sh.request(conn, "POST", "/v2/models/breast-cancer/infer",
                                             sh.infer_body([row], id=str(i)))
                if not f.check(status == 200, f"row {i}: {status} {body}"):
                    break
                f.check(body["id"] == str(i), f"row {i}: id {body.get('id')}")
                worst = max(worst, abs(body["outputs"][0]["data"][0] - float(expected[i])))
            f.check(conn.sock is sock, "the connection was kept alive")
            f.check(worst < 1e-6, f"max |ferry - xgboost| = {worst}")

            # All rows in one request, keyed per row, nested data.
            status, body, _ = sh.request(conn, "POST", "/v2/models/breast-cancer/infer",
                                         sh.infer_body(rows[:64], keys=keys[:64],
                                                       parameters={"key": "batch-1"}))
            f.check(status == 200, f"64 rows: {status}")
            if status == 200:
                f.check(body["parameters"] == {"key": "batch-1"}, f"key: {body.get('parameters')}")
                out = {o["name"]: o for o in body["outputs"]}
                f.check(out["keys"]["data"] == keys[:64], "row keys echoed in order")
                got = np.array(out["probability"]["data"])
                f.check(np.max(np.abs(got - expected[:64])) < 1e-6, "64-row predictions match")

            # Concurrent clients, each on its own keep-alive connection.
            errors = []

            def client(k):
                c = server.connection()
                for j in range(50):
                    i = (k * 50 + j) % len(rows)
                    s, b, _ = sh.request(c, "POST", "/v2/models/breast-cancer/infer",
                                         sh.infer_body([rows[i]]))
                    if s != 200 or abs(b["outputs"][0]["data"][0] - float(expected[i])) > 1e-6:
                        errors.append((k, j, s, b))
            threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            f.check(not errors, f"concurrent clients: {errors[:3]}")

            # A bad request gets a clear 4xx and the server keeps serving.
            status, body, _ = sh.request(conn, "POST", "/v2/models/breast-cancer/infer",
                                         {"inputs": [{"name": "features", "shape": [1, 30],
                                                      "datatype": "FP32", "data": [1, 2]}]})
            f.check(status == 400 and body == {"error": "input 'features': shape [1, 30] needs 30 values, but 'data' holds 2"},
                    f"bad shape: {status} {body}")
            status, _, _ = sh.request(conn, "GET", "/v2/health/live")
            f.check(status == 200, "still live after a bad request")

            # /metrics passes the real promtool.
            status, text, headers = sh.request(conn, "GET", "/metrics")
            f.check(status == 200 and headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
                    f"metrics: {status} {headers}")
            check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                                   text=True)
            f.check(check.returncode == 0, f"promtool check metrics: {check.returncode} {check.stdout} {check.stderr}")
            f.check(f'ferry_http_infer_requests_total{{model="breast-cancer",version="1",outcome="ok"}} {len(rows) + 1 + 400}' in text,
                    "infer counter counts every successful request")
            f.check('ferry_http_infer_requests_total{model="breast-cancer",version="",outcome="invalid_argument"} 1' in text,
                    "infer counter counts the refused request")
            f.check("ferry_http_infer_duration_seconds_bucket{" in text, "total-time histogram present")
        finally:
            code, err = server.stop()
        f.check(code == 0, f"exit code after SIGTERM: {code}, stderr: {err}")

        # A slow batcher (each request waits 0.8 s for company) and a queue of one:
        # shedding (429 + Retry-After), deadlines (504), and SIGTERM while a
        # request is queued (still answered, exit 0).
        config = os.path.join(tmp, "slow.yaml")
        with open(config, "w") as fh:
            fh.write("defaults:\n  max_batch_size: 64\n  max_queue_delay_us: 800000\n"
                     "  max_queue_size: 1\n")
        server = sh.Server(args.ferry, "--model", f"breast-cancer={bundle}", "--config", config)
        results = {}

        def queued_client(name):
            c = server.connection()
            results[name] = sh.request(c, "POST", "/v2/models/breast-cancer/infer",
                                       sh.infer_body([rows[0]]))

        first = threading.Thread(target=queued_client, args=("first",))
        first.start()
        sh.wait_until(lambda: False, 0.2)
        conn = server.connection()
        status, body, headers = sh.request(conn, "POST", "/v2/models/breast-cancer/infer",
                                           sh.infer_body([rows[1]]))
        f.check(status == 429 and headers.get("Retry-After") == "1" and "error" in body,
                f"full queue sheds at once: {status} {body} {headers}")
        first.join(timeout=30)
        f.check(results.get("first", (None,))[0] == 200, f"queued request answered: {results.get('first')}")
        status, body, _ = sh.request(conn, "POST", "/v2/models/breast-cancer/infer",
                                     sh.infer_body([rows[1]], parameters={"timeout_us": 1}))
        f.check(status == 504 and "error" in body, f"deadline passed: {status} {body}")

        last = threading.Thread(target=queued_client, args=("last",))
        last.start()
        sh.wait_until(lambda: False, 0.3)
        code, err = server.stop()
        last.join(timeout=30)
        f.check(results.get("last", (None,))[0] == 200,
                f"in-flight request answered during shutdown: {results.get('last')}")
        f.check(code == 0, f"graceful exit code {code}: {err}")

        # Start-up errors: a clear message and exit 1.
        r = subprocess.run([args.ferry, "serve", "--port", "0", "--model", f"bc={tmp}/missing"],
                           capture_output=True, text=True, timeout=60)
        f.check(r.returncode == 1 and r.stderr.startswith("error: "), f"missing bundle: {r.returncode} {r.stderr}")
        r = subprocess.run([args.ferry, "serve", "--port", "0"], capture_output=True, text=True, timeout=60)
        f.check(r.returncode == 1 and "nothing to serve" in r.stderr, f"no model: {r.returncode} {r.stderr}")
    f.exit()


if __name__ == "__main__":
    main()
