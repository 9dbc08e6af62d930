#!/usr/bin/python3
"""Schedules and triggers through the real binary: `ferry scheduler` (first sight records
without running, a due slot starts once, a restart or a second scheduler never starts the
same slot again, a long outage runs only the latest slot within --starting-deadline), and
`ferry serve --pipeline` (GET /api/v1/pipelines, POST /api/v1/pipelines/{name}/runs with
params, 404/400 errors, the bearer token, --scheduler). Runs on SQLite, and the scheduler
cases also on PostgreSQL when the test server fixture is up."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "registry_it"))
from regit import Failures, Ferry, fresh_store_uri, pg_admin_uri, tempdir  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import parse_args  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "serve_it"))
from serve_helpers import Server, request, wait_until  # noqa: E402

PIPELINE = """apiVersion: ferry/v1
kind: Pipeline
name: nightly
params: {{day: monday, out: {out}}}
schedule: "*/5 * * * *"
steps:
  - {{name: a, cache: false, run: "echo ${{{{ params.day }}}} >> ${{{{ params.out }}}}"}}
"""


class Env:
    def __init__(self, ferry, tmp, kind):
        self.ferry = ferry
        self.tmp = tmp
        self.env = dict(os.environ)
        self.env["FERRY_HOME"] = os.path.join(tmp, "home")
        self.env["FERRY_REGISTRY"] = fresh_store_uri(kind, self.env["FERRY_HOME"])
        self.out = os.path.join(tmp, "ran.txt")
        self.file = os.path.join(tmp, "nightly.yaml")
        with open(self.file, "w") as f:
            f.write(PIPELINE.format(out=self.out))

    def run(self, *args):
        return subprocess.run([self.ferry.binary, *map(str, args)], env=self.env, cwd=self.tmp,
                              capture_output=True, text=True, timeout=120)

    def once(self, at, *extra):
        return self.run("scheduler", "--pipeline", self.file, "--once", "--at", at, *extra)

    def ran(self):
        if not os.path.exists(self.out):
            return []
        with open(self.out) as f:
            return f.read().split()

    def state(self, run_id):
        r = self.run("pipeline", "show", run_id, "--json")
        return json.loads(r.stdout)["state"] if r.returncode == 0 else ""

    def finished(self, run_id):
        return wait_until(lambda: self.state(run_id) in ("succeeded", "failed"), 30)


def started_ids(stdout):
    return [line.split("started run ")[1].split()[0] for line in stdout.splitlines()
            if "started run " in line]


def check_scheduler(env, fails, kind):
    r = env.once("2026-11-27T16:01:00Z")
    fails.check(r.returncode == 0 and "scheduled '*/5 * * * *' (UTC)" in r.stdout and
                not started_ids(r.stdout), f"{kind}: first sight records only: {r}")
    r = env.once("2026-11-27T16:05:30Z")
    ids = started_ids(r.stdout)
    fails.check(r.returncode == 0 and len(ids) == 1 and
                "for 2026-11-27T16:05:00Z" in r.stdout, f"{kind}: a due slot starts: {r}")
    if ids:
        fails.check(env.finished(ids[0]) and env.state(ids[0]) == "succeeded",
                    f"{kind}: the scheduled run succeeds")
        fails.check(env.ran() == ["monday"], f"{kind}: it ran with the defaults: {env.ran()}")
    r = env.once("2026-11-27T16:06:00Z")
    fails.check(r.returncode == 0 and not started_ids(r.stdout),
                f"{kind}: a restart does not start the slot again: {r.stdout}")
    # Two schedulers at the same moment: one run in all.
    procs = [subprocess.Popen([env.ferry.binary, "scheduler", "--pipeline", env.file, "--once",
                               "--at", "2026-11-27T16:10:10Z"], env=env.env, cwd=env.tmp,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    both = [i for out, _ in outs for i in started_ids(out)]
    fails.check(len(both) == 1 and all(p.returncode == 0 for p in procs),
                f"{kind}: two schedulers start one run: {outs}")
    # An outage past the deadline: nothing runs, the misses are reported.
    r = env.once("2026-11-27T18:03:00Z", "--starting-deadline", "60")
    fails.check(r.returncode == 0 and not started_ids(r.stdout) and
                "22 scheduled time(s) missed before 2026-11-27T18:00:00Z" in r.stdout,
                f"{kind}: outage past the deadline: {r.stdout}")
    r = env.once("2026-11-27T18:06:00Z")
    fails.check(len(started_ids(r.stdout)) == 1, f"{kind}: the next slot runs: {r.stdout}")
    for i in both + started_ids(r.stdout):
        env.finished(i)
    r = env.run("scheduler", "--pipeline", env.file, "--at", "2026-11-27T18:06:00Z")
    fails.check(r.returncode == 1 and "--at needs --once" in r.stderr, f"--at alone: {r.stderr}")
    r = env.run("scheduler", "--pipeline", env.file, "--once", "--at", "yesterday")
    fails.check(r.returncode == 1 and "expected YYYY-MM-DDTHH:MM:SSZ" in r.stderr,
                f"bad --at: {r.stderr}")


def check_trigger(env, fails):
    os.environ.update({"FERRY_HOME": env.env["FERRY_HOME"],
                       "FERRY_REGISTRY": env.env["FERRY_REGISTRY"]})
    before = len(env.ran())
    server = Server(env.ferry.binary, "--pipeline", env.file)
    try:
        conn = server.connection()
        status, body, _ = request(conn, "GET", "/api/v1/pipelines")
        fails.check(status == 200 and body["pipelines"][0]["name"] == "nightly" and
                    body["pipelines"][0]["params"]["day"] == "monday",
                    f"trigger: list: {status} {body}")
        status, body, _ = request(conn, "POST", "/api/v1/pipelines/nightly/runs",
                                  {"params": {"day": "tuesday"}})
        fails.check(status == 201 and body["pipeline"] == "nightly" and
                    body["params"]["day"] == "tuesday", f"trigger: start: {status} {body}")
        if status == 201:
            fails.check(env.finished(body["run_id"]) and env.ran()[before:] == ["tuesday"],
                        f"trigger: the run used the params: {env.ran()}")
        status, body, _ = request(conn, "POST", "/api/v1/pipelines/nope/runs", {})
        fails.check(status == 404 and "no pipeline named 'nope'" in body["error"],
                    f"trigger: unknown pipeline: {status} {body}")
        status, body, _ = request(conn, "POST", "/api/v1/pipelines/nightly/runs",
                                  {"params": {"colour": "red"}})
        fails.check(status == 400 and "unknown param 'colour'" in body["error"],
                    f"trigger: unknown param: {status} {body}")
        status, body, _ = request(conn, "POST", "/api/v1/pipelines/nightly/runs", [1])
        fails.check(status == 400, f"trigger: a body that is not an object: {status} {body}")
        status, body, _ = request(conn, "GET", "/v2/health/ready")
        fails.check(status == 200, f"a server with only pipelines is ready: {status} {body}")
    finally:
        server.stop()
    server = Server(env.ferry.binary, "--pipeline", env.file, "--token", "s3cret", "--scheduler")
    try:
        conn = server.connection()
        status, body, _ = request(conn, "POST", "/api/v1/pipelines/nightly/runs", {})
        fails.check(status == 401, f"trigger: a token is needed when configured: {status} {body}")
        status, body, _ = request(conn, "POST", "/api/v1/pipelines/nightly/runs", {},
                                  {"Authorization": "Bearer s3cret"})
        fails.check(status == 201, f"trigger: with the token: {status} {body}")
        if status == 201:
            env.finished(body["run_id"])
    finally:
        code, err = server.stop()
    fails.check(code == 0, f"serve --scheduler stops cleanly: {code} {err}")
    r = env.run("serve", "--scheduler", "--port", "0")
    fails.check(r.returncode == 1 and "nothing to serve" in r.stderr,
                f"--scheduler alone: {r.stderr}")


def main():
    args = parse_args()
    ferry = Ferry(args.ferry)
    fails = Failures()
    kinds = ["sqlite"] + (["postgres"] if pg_admin_uri() else [])
    for kind in kinds:
        with tempdir() as tmp:
            env = Env(ferry, tmp, kind)
            check_scheduler(env, fails, kind)
            if kind == "sqlite":
                check_trigger(env, fails)
    fails.exit()


if __name__ == "__main__":
    main()
