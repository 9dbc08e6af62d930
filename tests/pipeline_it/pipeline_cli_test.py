#!/usr/bin/python3
"""`ferry pipeline …` through the real binary: validate, run (parallelism, retries, timeouts,
failure propagation, when, a failing built-in), Ctrl-C cancel, resume after SIGKILL of
the executor, the cache (hit, miss on changed contents, explain), and bad inputs. Runs on SQLite,
and the store-dependent cases also on PostgreSQL when the test server fixture is up."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "registry_it"))
from regit import Failures, Ferry, fresh_store_uri, pg_admin_uri, tempdir  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import parse_args  # noqa: E402

HEAD = "apiVersion: ferry/v1\nkind: Pipeline\nname: {name}\n"


class Env:
    def __init__(self, ferry, tmp, kind):
        self.ferry = ferry
        self.tmp = tmp
        self.kind = kind
        self.home = os.path.join(tmp, "home")
        self.env = dict(os.environ)
        self.env["FERRY_HOME"] = self.home
        self.env["FERRY_REGISTRY"] = fresh_store_uri(kind, self.home)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run(self, *args):
        return subprocess.run([self.ferry.binary, *map(str, args)], env=self.env, cwd=self.tmp,
                              capture_output=True, text=True, timeout=300)

    def start(self, *args):
        return subprocess.Popen([self.ferry.binary, *map(str, args)], env=self.env, cwd=self.tmp,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def show(self, run_id):
        r = self.run("pipeline", "show", run_id, "--json")
        if r.returncode != 0:
            raise AssertionError(f"show {run_id}: {r.stderr}")
        doc = json.loads(r.stdout)
        doc["by_name"] = {s["name"]: s for s in doc["steps"]}
        return doc

    def read(self, name):
        path = os.path.join(self.tmp, name)
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return f.read()


def run_id_of(stdout):
    first = stdout.splitlines()[0] if stdout else ""
    if not first.startswith("run "):
        raise AssertionError(f"no run id in: {stdout!r}")
    return first.split()[1].rstrip(":")


def wait_for(env, run_id, step, state, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if env.show(run_id)["by_name"][step]["state"] == state:
                return True
        except (AssertionError, KeyError, json.JSONDecodeError):
            pass
        time.sleep(0.05)
    return False


def live_members(pgid):
    """Processes of group `pgid` that are not zombies (an orphan's zombie may linger when
    nothing reaps it, e.g. in a container)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(pid))
    return out


def check_validate(env, fails):
    good = env.write("good.yaml", HEAD.format(name="good") + """params: {data: d.csv}
schedule: "*/5 * * * *"
steps:
  - {name: a, run: "cat ${{ params.data }} > ${{ outputs.o }}"}
  - {name: b, needs: [a], uses: ferry/evaluate, with: {model: "${{ steps.a.outputs.o }}", data: d.csv}}
""")
    r = env.run("pipeline", "validate", good)
    fails.check(r.returncode == 0 and "pipeline 'good' is valid: 2 steps, 1 param, schedule "
                "'*/5 * * * *'" in r.stdout, f"validate good: {r}")
    bad = env.write("bad.yaml", HEAD.format(name="bad") + """steps:
  - {name: a, needs: [b], run: "echo ${{ params.x }}"}
  - {name: b, needs: [a], run: "true", colour: red}
""")
    r = env.run("pipeline", "validate", bad)
    lines = r.stderr.splitlines()
    fails.check(r.returncode == 1 and lines == [
        f"{bad}:5:23: cycle in needs: a -> b -> a",
        f"{bad}:5:38: unknown param 'x' in ${{{{ params.x }}}}; the pipeline has no params",
        f"{bad}:6:40: unknown key 'colour' in step 'b'; expected one of: cache, env, image, name, "
        "needs, outputs, retries, run, timeout, uses, when, with",
        f"error: {bad}: 3 problems found"], f"validate bad: {r.stderr}")
    r = env.run("pipeline", "run", bad)
    fails.check(r.returncode == 1 and "is not a valid pipeline (3 problems); nothing ran" in
                r.stderr, f"run refuses an invalid file: {r.stderr}")
    r = env.run("pipeline", "validate", os.path.join(env.tmp, "missing.yaml"))
    fails.check(r.returncode == 1 and "error: cannot read pipeline file" in r.stderr,
                f"validate missing file: {r.stderr}")


def check_parallelism(env, fails):
    p = env.write("par.yaml", HEAD.format(name="par") + """steps:
  - {name: a, cache: false, run: "date +%s.%N > a.start; sleep 0.6; date +%s.%N > a.end"}
  - {name: b, cache: false, run: "date +%s.%N > b.start; sleep 0.6; date +%s.%N > b.end"}
""")

    def overlap():
        a0, a1 = float(env.read("a.start")), float(env.read("a.end"))
        b0, b1 = float(env.read("b.start")), float(env.read("b.end"))
        return a0 < b1 and b0 < a1

    r = env.run("pipeline", "run", p, "--parallelism", "2")
    fails.check(r.returncode == 0 and overlap(), f"parallelism 2 overlaps: {r}")
    r = env.run("pipeline", "run", p, "--parallelism", "1")
    fails.check(r.returncode == 0 and not overlap(), f"parallelism 1 does not: {r}")
    fails.check("step a: succeeded in" in r.stdout and r.stdout.splitlines()[-1].endswith(
        "succeeded: 2/2 steps done (0 cached)"), f"plain progress lines: {r.stdout}")


def check_failures(env, fails):
    p = env.write("fail.yaml", HEAD.format(name="fail") + """params: {mode: quick}
steps:
  - name: flaky
    retries: 2
    run: echo x >> tries; test $(wc -l < tries) -ge 3
  - {name: broken, run: "echo oops >&2; exit 4"}
  - {name: after, needs: broken, run: "true"}
  - {name: slow, timeout: 1s, run: "sleep 30"}
  - {name: other, run: "true"}
  - {name: never, when: "${{ params.mode }} == 'full'", run: "touch never-ran"}
  - {name: split, uses: ferry/split, with: {data: no-such.csv, key: id}}
""")
    start = time.time()
    r = env.run("pipeline", "run", p, "--retry-backoff-ms", "50")
    took = time.time() - start
    fails.check(r.returncode == 1 and "error: pipeline run" in r.stderr,
                f"a failing run exits 1: {r}")
    fails.check(took < 15, f"the timed-out step did not hold the run: {took:.1f}s")
    doc = env.show(run_id_of(r.stdout))
    s = doc["by_name"]
    fails.check(doc["state"] == "failed", f"run state: {doc['state']}")
    fails.check(s["flaky"]["state"] == "succeeded" and s["flaky"]["attempts"] == 3,
                f"retries: {s['flaky']}")
    fails.check(s["broken"]["state"] == "failed" and s["broken"]["exit_code"] == 4 and
                s["broken"]["message"] == "exit code 4", f"failed step: {s['broken']}")
    stderr_log = os.path.join(doc["folder"], "steps", "broken", "stderr.log")
    fails.check(open(stderr_log).read() == "oops\n", "the step's stderr is in its log")
    fails.check(s["after"]["state"] == "skipped" and
                s["after"]["message"] == "not run: needed step 'broken' failed",
                f"dependent skipped: {s['after']}")
    fails.check(s["slow"]["state"] == "failed" and s["slow"]["message"] == "timed out after 1.0s",
                f"timeout: {s['slow']}")
    fails.check(s["other"]["state"] == "succeeded", "independent steps finish")
    fails.check(s["never"]["state"] == "skipped" and not os.path.exists(
        os.path.join(env.tmp, "never-ran")), f"when false: {s['never']}")
    fails.check(s["split"]["state"] == "failed" and "no-such.csv" in s["split"]["message"],
                f"a failing built-in says why: {s['split']}")
    r = env.run("pipeline", "run", p, "--param", "mode=full", "--param", "colour=red")
    fails.check(r.returncode == 1 and r.stderr == "error: --param colour: unknown param "
                "'colour'; the pipeline has: mode\n", f"unknown --param: {r.stderr}")
    r = env.run("pipeline", "run", p, "--param", "oops")
    fails.check(r.returncode == 1 and r.stderr == "error: --param 'oops': expected NAME=VALUE\n",
                f"malformed --param: {r.stderr}")


def check_cancel(env, fails):
    p = env.write("cancel.yaml", HEAD.format(name="cancel") + """steps:
  - {name: slow, run: "echo $$ > slow.pid; sleep 60"}
  - {name: later, needs: slow, run: "true"}
""")
    proc = env.start("pipeline", "run", p)
    run_id = run_id_of(proc.stdout.readline())
    fails.check(wait_for(env, run_id, "slow", "running"), "cancel: the slow step started")
    deadline = time.time() + 10
    while not env.read("slow.pid").strip() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    fails.check(proc.returncode == 130, f"Ctrl-C exits 130: {proc.returncode}")
    doc = env.show(run_id)
    fails.check(doc["state"] == "cancelled" and doc["by_name"]["slow"]["state"] == "cancelled" and
                doc["by_name"]["later"]["state"] == "cancelled", f"cancelled states: {doc}")
    pgid = int(env.read("slow.pid"))
    deadline = time.time() + 5
    while live_members(pgid) and time.time() < deadline:
        time.sleep(0.05)
    fails.check(not live_members(pgid), f"cancel killed the step's process group: "
                f"{live_members(pgid)}")


def check_resume(env, fails):
    p = env.write("resume.yaml", HEAD.format(name="resume") + """steps:
  - {name: a, run: "echo a >> count-a; echo > ${{ outputs.o }}"}
  - {name: b, needs: a, run: "echo b >> count-b; sleep 3; echo > ${{ outputs.o }}"}
  - {name: c, needs: b, run: "echo c >> count-c"}
""")
    proc = env.start("pipeline", "run", p)
    run_id = run_id_of(proc.stdout.readline())
    fails.check(wait_for(env, run_id, "b", "running"), "resume: b started")
    proc.kill()
    proc.wait()
    doc = env.show(run_id)
    fails.check(doc["state"] == "running" and doc["by_name"]["a"]["state"] == "succeeded",
                f"after SIGKILL the run is left running: {doc['state']}")
    r = env.run("pipeline", "resume", run_id)
    fails.check(r.returncode == 0, f"resume: {r}")
    doc = env.show(run_id)
    fails.check(doc["state"] == "succeeded", f"resumed run succeeded: {doc['state']}")
    fails.check(env.read("count-a") == "a\n", f"a did not run again: {env.read('count-a')!r}")
    fails.check(env.read("count-b") == "b\nb\n", f"b ran again: {env.read('count-b')!r}")
    fails.check(env.read("count-c") == "c\n", f"c ran once: {env.read('count-c')!r}")
    r = env.run("pipeline", "resume", run_id)
    fails.check(r.returncode == 1 and r.stderr == f"error: pipeline run {run_id} is succeeded; "
                "only a run whose executor died while running can be resumed\n",
                f"resume a finished run: {r.stderr}")


def check_cache(env, fails):
    env.write("data.csv", "x\n1\n2\n")
    env.write("score.sh", "wc -l < \"$1\" > \"$2\"\n")
    p = env.write("cache.yaml", HEAD.format(name="cache") + """params: {data: data.csv}
steps:
  - {name: count, run: "sh score.sh ${{ params.data }} ${{ outputs.n }}"}
  - {name: report, needs: count, run: "cat ${{ steps.count.outputs.n }} > ${{ outputs.r }}"}
  - {name: static, run: "echo fixed > ${{ outputs.s }}"}
""")
    first = env.run("pipeline", "run", p)
    second = env.run("pipeline", "run", p)
    fails.check(first.returncode == 0 and second.returncode == 0, f"cache runs: {second}")
    id1, id2 = run_id_of(first.stdout), run_id_of(second.stdout)
    doc = env.show(id2)
    fails.check(all(s["cached"] for s in doc["steps"]), f"second run fully cached: {doc}")
    fails.check(second.stdout.splitlines()[-1].endswith("3/3 steps done (3 cached)"),
                f"summary: {second.stdout}")
    out = os.path.join(doc["folder"], "steps", "report", "outputs", "r")
    fails.check(open(out).read().strip() == "3", "cached outputs were copied into the run")
    r = env.run("pipeline", "explain", id2, "count")
    fails.check(r.returncode == 0 and r.stdout.startswith(
        f"count: hit: reused the outputs of run {id1}"), f"explain hit: {r.stdout}")
    # Same contents under another name: still a hit.
    env.write("copy.csv", "x\n1\n2\n")
    r = env.run("pipeline", "run", p, "--param", "data=copy.csv")
    fails.check(env.show(run_id_of(r.stdout))["by_name"]["count"]["cached"],
                "a renamed identical input hits")
    env.write("data.csv", "x\n1\n2\n3\n")
    third = env.run("pipeline", "run", p)
    id3 = run_id_of(third.stdout)
    s = env.show(id3)["by_name"]
    fails.check(not s["count"]["cached"] and not s["report"]["cached"] and s["static"]["cached"],
                f"a changed row reruns exactly its dependents: {s}")
    r = env.run("pipeline", "explain", id3, "count")
    fails.check(r.returncode == 0 and "miss" in r.stdout.splitlines()[0] and
                "- input params.data changed: sha256 " in r.stdout and "data.csv)" in r.stdout,
                f"explain miss names the input: {r.stdout}")
    r = env.run("pipeline", "explain", id3, "report")
    fails.check("- input needs:count/n changed" in r.stdout and
                "- input steps.count.outputs.n changed" in r.stdout,
                f"explain names the upstream output: {r.stdout}")
    r = env.run("pipeline", "explain", id3, "nope")
    fails.check(r.returncode == 1 and r.stderr == f"error: pipeline run {id3} has no step "
                "'nope'; its steps: count, report, static\n", f"explain unknown step: {r.stderr}")
    r = env.run("pipeline", "runs", "--json")
    ids = [x["id"] for x in json.loads(r.stdout)["runs"]]
    fails.check(ids[:2] == [id3, run_id_of(second.stdout)] or id3 in ids,
                f"runs lists the runs: {ids}")
    r = env.run("pipeline", "show", "nope")
    fails.check(r.returncode == 1 and r.stderr == "error: no pipeline run 'nope'\n",
                f"show unknown run: {r.stderr}")


def main():
    args = parse_args()
    os.environ["FERRY_SOURCE"] = args.source
    ferry = Ferry(args.ferry)
    fails = Failures()
    kinds = ["sqlite"] + (["postgres"] if pg_admin_uri() else [])
    for kind in kinds:
        with tempdir() as tmp:
            env = Env(ferry, tmp, kind)
            if kind == "sqlite":
                check_validate(env, fails)
                check_parallelism(env, fails)
                check_failures(env, fails)
                check_cancel(env, fails)
            check_resume(env, fails)
            check_cache(env, fails)
    fails.exit()


if __name__ == "__main__":
    main()
