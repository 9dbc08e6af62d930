#!/usr/bin/python3
"""`ferry serve` with the model registry, through the real binary: serving `m@champion`,
following the alias to a new version while a client keeps posting (no failed request), a broken
version (corrupt blob) that never takes over, the registry REST API under /api/v1 with and
without a token, and the refusal to listen on a non-loopback address without a token. The
alias-following part runs on SQLite and PostgreSQL."""
import json
import os
import shutil
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from regit import Failures, Ferry, fresh_store_uri, make_bundles, tempdir  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import parse_args  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "serve_it"))
from serve_helpers import Server, example_rows, infer_body, request, wait_until  # noqa: E402


def shifted_model(source, folder):
    """The example model with another base_score: same signature, other predictions."""
    with open(os.path.join(source, "examples", "breast-cancer", "model.json")) as f:
        doc = json.load(f)
    doc["learner"]["learner_model_param"]["base_score"] = "2E-1"
    path = os.path.join(folder, "shifted.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def predict(conn, rows):
    status, body, _ = request(conn, "POST", "/v2/models/m/infer", infer_body(rows))
    if status != 200:
        return status, None, body
    return status, body["model_version"], body["outputs"][0]["data"]


class Client(threading.Thread):
    """Posts one-row infer requests until stopped; keeps every answer."""

    def __init__(self, server, row):
        super().__init__(daemon=True)
        self.server, self.row = server, row
        self.stop = threading.Event()
        self.answers = []  # (status, version, data)

    def run(self):
        conn = self.server.connection()
        while not self.stop.is_set():
            try:
                self.answers.append(predict(conn, [self.row]))
            except Exception as e:  # a dropped connection is a failed request too
                self.answers.append((0, None, repr(e)))
                conn = self.server.connection()


def metadata(conn):
    status, body, _ = request(conn, "GET", "/v2/models/m")
    return body if status == 200 else {}


def follow_case(ferry, fails, kind, bundles, tmp):
    home = os.path.join(tmp, kind + "-home")
    uri = fresh_store_uri(kind, home)
    os.environ.update(FERRY_HOME=home, FERRY_ACTOR="it")
    os.environ.pop("FERRY_REGISTRY", None)
    os.environ.pop("FERRY_TOKEN", None)

    def models(*a):
        return ferry.run("models", *a, "--registry", uri)

    models("register", bundles["v1"])
    models("alias", "m@champion", "1")
    config = os.path.join(tmp, "serve.yaml")
    with open(config, "w") as f:
        f.write("registry_poll_interval_ms: 100\n")
    _, rows, _ = example_rows(os.environ["FERRY_SOURCE"])
    server = Server(ferry.binary, "--registry", uri, "--model", "m@champion", "--config", config)
    stderr = ""
    try:
        conn = server.connection()
        status, version, p1 = predict(conn, rows[:5])
        fails.check(status == 200 and version == "1", f"{kind}: m@champion serves m:1: {status}")
        md = metadata(conn)
        fails.check(md.get("versions") == ["1"] and md.get("parameters") ==
                    {"registry_reference": "m@champion", "registry_version": "m:1"},
                    f"{kind}: metadata names the registry version: {md}")

        client = Client(server, rows[0])
        client.start()
        models("register", bundles["v2"])
        models("alias", "m@champion", "2")
        fails.check(wait_until(lambda: metadata(conn).get("parameters", {}).get(
            "registry_version") == "m:2", 30), f"{kind}: the server follows the alias to m:2")
        status, version, p2 = predict(conn, rows[:5])
        fails.check(status == 200 and version == "2" and p2 != p1,
                    f"{kind}: m:2 answers with its own predictions: {version} {p1} {p2}")
        fails.check(wait_until(lambda: any(a[1] == "2" for a in client.answers), 30),
                    f"{kind}: the client thread reaches m:2")

        # m:3's blob is corrupt: it cannot be materialized, m:2 keeps serving.
        models("register", bundles["v3"])
        shown = json.loads(models("show", "m:3", "--json").stdout)
        blob = shown["blob_sha256"]
        with open(os.path.join(home, "artifacts", "sha256", blob[:2], blob), "r+b") as f:
            f.write(b"not a zstd archive")
        models("alias", "m@champion", "3")

        def v3_failed():
            states = metadata(conn).get("version_states", [])
            return any(s["version"] == "3" and s["state"] == "FAILED" for s in states)
        fails.check(wait_until(v3_failed, 30), f"{kind}: m:3 is listed FAILED: {metadata(conn)}")
        status, version, p = predict(conn, rows[:5])
        fails.check(status == 200 and version == "2" and p == p2,
                    f"{kind}: m:2 keeps serving after m:3 failed: {status} {version}")
        reason = [s.get("reason", "") for s in metadata(conn).get("version_states", [])
                  if s["version"] == "3"]
        fails.check(reason and "corrupt" in reason[0], f"{kind}: the failure says why: {reason}")

        # Back to m:1 (a rollback to a lower version) is followed too.
        models("alias", "m@champion", "1")
        fails.check(wait_until(lambda: predict(conn, rows[:5])[1:] == ("1", p1), 30),
                    f"{kind}: rollback to m:1 is served")
        client.stop.set()
        client.join(30)
        bad = [a for a in client.answers if a[0] != 200]
        fails.check(not bad and len(client.answers) > 20,
                    f"{kind}: no failed request while the alias moved "
                    f"({len(client.answers)} requests, failures: {bad[:3]})")
        versions = {a[1] for a in client.answers}
        fails.check({"1", "2"} <= versions and "3" not in versions,
                    f"{kind}: the client saw m:1 and m:2, never m:3: {versions}")
    finally:
        code, stderr = server.stop()
    fails.check(code == 0, f"{kind}: ferry serve stops cleanly: {code} {stderr}")
    fails.check("m@champion moved to m:2: swapped in, replacing m:1" in stderr and
                "m@champion moved to m:3, which cannot be served" in stderr and
                "m:2 keeps serving" in stderr,
                f"{kind}: swaps and the failure are logged: {stderr}")
    return uri


def api_case(ferry, fails, uri):
    """REST API and the token rule (SQLite store of the follow case)."""
    server = Server(ferry.binary, "--registry", uri, "--model", "m:2", "--token", "s3cret")
    try:
        conn = server.connection()
        status, body, _ = request(conn, "GET", "/api/v1/models")
        fails.check(status == 200 and [m["name"] for m in body["models"]] == ["m"],
                    f"api: list models: {status} {body}")
        status, body, _ = request(conn, "GET", "/api/v1/models/m")
        fails.check(status == 200 and len(body.get("versions", [])) == 3,
                    f"api: get model: {status} {body}")
        status, body, _ = request(conn, "GET", "/api/v1/models/m/aliases/champion")
        fails.check(status == 200 and body.get("version") == 1, f"api: get alias: {body}")
        put = {"version": 2, "reason": "api test"}
        path = "/api/v1/models/m/aliases/challenger"
        status, body, _ = request(conn, "PUT", path, put)
        fails.check(status == 401 and "Bearer" in body.get("error", ""),
                    f"api: alias set without token -> 401: {status} {body}")
        status, body, _ = request(conn, "PUT", path, put, {"Authorization": "Bearer nope"})
        fails.check(status == 403, f"api: alias set with a wrong token -> 403: {status} {body}")
        status, body, _ = request(conn, "PUT", path, put, {"Authorization": "Bearer s3cret"})
        fails.check(status == 200 and body.get("version") == 2,
                    f"api: alias set with the token -> 200: {status} {body}")
        status, body, _ = request(conn, "DELETE", path, None, {"Authorization": "Bearer s3cret"})
        fails.check(status == 200, f"api: alias delete with the token: {status} {body}")
        status, body, _ = request(conn, "POST", "/v2/repository/index", {})
        fails.check(status == 401, f"api: /v2/repository needs the same token: {status}")
        status, body, _ = request(conn, "GET", "/api/v1/models/nope")
        fails.check(status == 404 and "nope" in body.get("error", ""),
                    f"api: unknown model -> 404: {status} {body}")
        md = metadata(conn)
        fails.check(md.get("parameters", {}).get("registry_reference") == "m:2",
                    f"api: a pinned version serves: {md}")
    finally:
        server.stop()

    # Loopback without a token: writes are open (the /v2/repository rule).
    server = Server(ferry.binary, "--registry", uri, "--model", "m:2")
    try:
        conn = server.connection()
        status, body, _ = request(conn, "PUT", "/api/v1/models/m/tags/team", {"value": "growth"})
        fails.check(status == 200, f"api: loopback, no token: tag set: {status} {body}")
    finally:
        server.stop()
    hist = json.loads(ferry.run("models", "history", "m", "--json", "--registry", uri).stdout)
    actions = [(e["action"], e["actor"]) for e in hist["history"]]
    fails.check(("alias_set", "api") in actions and ("tag_set", "api") in actions,
                f"api: writes are audited with actor 'api': {actions}")

    # A non-loopback address without a token is refused; FERRY_TOKEN is a token.
    r = subprocess.run([ferry.binary, "serve", "--host", "0.0.0.0", "--port", "0", "--registry",
                        uri, "--model", "m:2"], capture_output=True, text=True, timeout=60)
    fails.check(r.returncode == 1 and "refusing to listen on 0.0.0.0 without a token" in
                r.stderr, f"refusal on 0.0.0.0 without a token: {r.returncode} {r.stderr}")
    os.environ["FERRY_TOKEN"] = "from-env"
    try:
        server = Server(ferry.binary, "--host", "0.0.0.0", "--registry", uri, "--model", "m:2")
        conn = server.connection()
        status, _, _ = request(conn, "PUT", "/api/v1/models/m/tags/team", {"value": "x"},
                               {"Authorization": "Bearer from-env"})
        fails.check(status == 200, f"FERRY_TOKEN is the token: {status}")
        server.stop()
    except AssertionError as e:
        fails.check(False, f"ferry serve --host 0.0.0.0 with FERRY_TOKEN starts: {e}")
    finally:
        os.environ.pop("FERRY_TOKEN", None)

    # A reference that does not resolve stops the start with a clear error.
    r = subprocess.run([ferry.binary, "serve", "--port", "0", "--registry", uri, "--model",
                        "m@nope"], capture_output=True, text=True, timeout=60)
    fails.check(r.returncode == 1 and "--model m@nope" in r.stderr and "nope" in r.stderr,
                f"unresolvable reference: {r.returncode} {r.stderr}")
    r = subprocess.run([ferry.binary, "serve", "--port", "0", "--registry", uri, "--model",
                        "a/b"], capture_output=True, text=True, timeout=60)
    fails.check(r.returncode == 1 and r.stderr.startswith("error: --model expects NAME=BUNDLE_DIR "
                                                          "or a registry reference"),
                f"malformed --model: {r.returncode} {r.stderr}")


def main():
    args = parse_args()
    os.environ["FERRY_SOURCE"] = args.source
    ferry = Ferry(args.ferry)
    fails = Failures()
    with tempdir() as tmp:
        v1, v3 = make_bundles(ferry, tmp, "m", 2)
        v2 = os.path.join(tmp, "m-shifted")
        ferry.run("bundle", "create", "--model", shifted_model(args.source, tmp), "--name", "m",
                  "-o", v2)
        bundles = {"v1": v1, "v2": v2, "v3": v3}
        sqlite_uri = follow_case(ferry, fails, "sqlite", bundles, tmp)
        api_case(ferry, fails, sqlite_uri)
        follow_case(ferry, fails, "postgres", bundles, tmp)
        shutil.rmtree(os.path.join(tmp, "sqlite-home"), ignore_errors=True)
    fails.exit()


if __name__ == "__main__":
    main()
