#!/usr/bin/python3
"""Serving benchmarks of `ferry serve` (docs/BENCHMARKS.md). Benchmarks, not
tests: they print figures and never assert.

  http      Ferry vs nginx returning a fixed response of the same size (the
            HTTP floor) vs FastAPI + uvicorn around python3-xgboost, same v2
            body (one row, 30 features), XGBoost 100 trees depth 6.
  batching  Ferry with dynamic batching off (max_batch_size 1) vs on, 1000 trees.
  monitoring  Ferry with monitoring off (--no-monitoring) vs drift-only
            (--no-prediction-log: drift windows + feedback keys) vs on (also the
            prediction log at 100% sampling), 100 trees, one keyed row per
            request. http and batching run with --no-monitoring.

Every server is pinned to CPU 1 (taskset), wrk -t1 to CPU 0. Repetitions are
interleaved across servers so that drift hits each alike; medians reported.

  /usr/bin/python3 bench/serve/serve_bench.py http --ferry build/http-release/src/ferry
  /usr/bin/python3 bench/serve/serve_bench.py batching --ferry build/http-release/src/ferry
  /usr/bin/python3 bench/serve/serve_bench.py monitoring --ferry build/release/src/ferry
"""
import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body, timeout=5):
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read()


def wait_ready(url, body, seconds=60):
    end = time.time() + seconds
    while time.time() < end:
        try:
            return post(url, body)
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"not ready: {url}")


def make_bundle(ferry, work, trees):
    folder = os.path.join(work, f"trees{trees}")
    bundle = os.path.join(folder, "bundle")
    if not os.path.isdir(bundle):
        os.makedirs(folder, exist_ok=True)
        model = os.path.join(folder, "model.json")
        subprocess.run([PY, os.path.join(HERE, "make_model.py"), "--trees", str(trees), "--out", model],
                       check=True)
        subprocess.run([ferry, "bundle", "create", "--model", model, "--name", "bc", "-o", bundle],
                       check=True, stdout=subprocess.DEVNULL)
    return bundle, os.path.join(folder, "model.json")


def body_file(work):
    with open(os.path.join(SOURCE, "examples/breast-cancer/data.csv")) as f:
        next(f)
        row = [float(v) for v in next(f).strip().split(",")[1:31]]
    body = json.dumps({"inputs": [{"name": "features", "shape": [1, 30], "datatype": "FP32",
                                   "data": row}]}, separators=(",", ":"))
    path = os.path.join(work, "body.json")
    with open(path, "w") as f:
        f.write(body)
    return path, body.encode()


class Proc:
    def __init__(self, argv, env=None):
        self.p = subprocess.Popen(["taskset", "-c", "1", *argv], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, env=env)

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def start_ferry(ferry, bundle, config=None, extra=("--no-monitoring",)):
    argv = [ferry, "serve", "--model", f"bc={bundle}", "--port", "0", "--io-threads", "1", *extra]
    if config:
        argv += ["--config", config]
    proc = Proc(argv)
    line = proc.p.stdout.readline()
    m = re.search(r":(\d+)$", line.strip())
    if not m:
        raise SystemExit(f"ferry serve did not start: {line!r}")
    return proc, f"http://127.0.0.1:{m.group(1)}/v2/models/bc/infer"


def start_nginx(work, response):
    prefix = os.path.join(work, "nginx")
    os.makedirs(os.path.join(prefix, "body"), exist_ok=True)
    port = free_port()
    with open(os.path.join(SOURCE, "bench/peers/nginx.conf.in")) as f:
        conf = f.read()
    conf = conf.replace("@PREFIX@", prefix).replace("@PORT@", str(port)).replace(
        "@BODY@", response.decode())
    path = os.path.join(prefix, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return Proc(["nginx", "-c", path, "-p", prefix]), f"http://127.0.0.1:{port}/v2/models/bc/infer"


def start_fastapi(model):
    port = free_port()
    env = dict(os.environ, FERRY_BENCH_MODEL=model)
    proc = Proc([PY, "-m", "uvicorn", "fastapi_app:app", "--app-dir",
                 os.path.join(SOURCE, "bench/peers"), "--host", "127.0.0.1", "--port", str(port),
                 "--no-access-log", "--log-level", "warning"], env=env)
    return proc, f"http://127.0.0.1:{port}/v2/models/bc/infer"


def wrk(url, conns, seconds, body_path):
    env = dict(os.environ, BODY_FILE=body_path)
    r = subprocess.run(["taskset", "-c", "0", "wrk", "-t1", f"-c{conns}", f"-d{seconds}s",
                        "--timeout", "5s", "-s", os.path.join(HERE, "post.lua"), url],
                       capture_output=True, text=True, env=env)
    m = re.search(r"RESULT req_s=([\d.]+) p50_us=(\d+) p99_us=(\d+) errors=(\d+) non2xx=(\d+)",
                  r.stdout)
    if not m:
        raise SystemExit(f"wrk failed: {r.stdout} {r.stderr}")
    return {"req_s": float(m.group(1)), "p50": int(m.group(2)), "p99": int(m.group(3)),
            "errors": int(m.group(4)) + int(m.group(5))}


def summarize(runs):
    med = lambda k: statistics.median(r[k] for r in runs)  # noqa: E731
    return {"req_s": med("req_s"), "p50": med("p50"), "p99": med("p99"),
            "min": min(r["req_s"] for r in runs), "max": max(r["req_s"] for r in runs),
            "errors": sum(r["errors"] for r in runs)}


def print_table(results):
    print(f"{'server':<16} {'conns':>5} {'req/s':>10} {'(min-max)':>19} {'p50 us':>8} {'p99 us':>8} {'errors':>6}")
    for (name, c), s in results.items():
        print(f"{name:<16} {c:>5} {s['req_s']:>10.0f} {s['min']:>9.0f}-{s['max']:<9.0f} "
              f"{s['p50']:>8.0f} {s['p99']:>8.0f} {s['errors']:>6}")


def run_http(a):
    bundle, model = make_bundle(a.ferry, a.work, 100)
    path, body = body_file(a.work)
    ferry, ferry_url = start_ferry(a.ferry, bundle)
    response = wait_ready(ferry_url, body)
    nginx, nginx_url = start_nginx(a.work, response)
    fastapi, fastapi_url = start_fastapi(model)
    try:
        wait_ready(nginx_url, body)
        wait_ready(fastapi_url, body)
        servers = [("ferry", ferry_url), ("nginx", nginx_url), ("fastapi", fastapi_url)]
        for _, url in servers:
            wrk(url, 8, 2, path)  # warm-up
        runs = {}
        for rep in range(a.reps):
            for c in a.conns:
                for name, url in servers:
                    runs.setdefault((name, c), []).append(wrk(url, c, a.duration, path))
                    print(f"rep {rep} {name} c={c}: {runs[(name, c)][-1]}", file=sys.stderr)
    finally:
        for p in (ferry, nginx, fastapi):
            p.stop()
    results = {k: summarize(v) for k, v in runs.items()}
    print(f"response body ({len(response)} bytes): {response.decode()}")
    print_table(results)
    for c in a.conns:
        f, n, p = results[("ferry", c)], results[("nginx", c)], results[("fastapi", c)]
        print(f"c={c}: ferry/nginx req/s {f['req_s'] / n['req_s']:.2f}, "
              f"ferry/fastapi req/s {f['req_s'] / p['req_s']:.1f}, "
              f"ferry/nginx p50 {f['p50'] / n['p50']:.2f}, ferry/nginx p99 {f['p99'] / n['p99']:.2f}")


def measure(a, runs, rep, name, started, body, path):
    """One repetition of one mode on a started server (proc, url): warm-up, then wrk at each
    connection count, appended to runs[(name, conns)]; the server is stopped."""
    proc, url = started
    try:
        wait_ready(url, body)
        wrk(url, 8, 2, path)  # warm-up
        for c in a.conns:
            runs.setdefault((name, c), []).append(wrk(url, c, a.duration, path))
            print(f"rep {rep} {name} c={c}: {runs[(name, c)][-1]}", file=sys.stderr)
    finally:
        proc.stop()


def run_batching(a):
    bundle, _ = make_bundle(a.ferry, a.work, 1000)
    path, body = body_file(a.work)
    configs = {"off": "defaults:\n  max_batch_size: 1\n",
               "on": "defaults:\n  max_batch_size: 64\n  max_queue_delay_us: 0\n"}
    for extra in a.delays:
        configs[f"on+{extra}us"] = f"defaults:\n  max_batch_size: 64\n  max_queue_delay_us: {extra}\n"
    runs = {}
    for rep in range(a.reps):
        for name, text in configs.items():
            config = os.path.join(a.work, f"batching-{name.replace('+', '_')}.yaml")
            with open(config, "w") as f:
                f.write(text)
            measure(a, runs, rep, name, start_ferry(a.ferry, bundle, config), body, path)
    results = {k: summarize(v) for k, v in runs.items()}
    print_table(results)
    for name in configs:
        if name == "off":
            continue
        for c in a.conns:
            on, off = results[(name, c)], results[("off", c)]
            print(f"batching {name} vs off, c={c}: req/s x{on['req_s'] / off['req_s']:.2f}, "
                  f"p50 {on['p50'] - off['p50']:+.0f} us, p99 {on['p99']:.0f} vs {off['p99']:.0f} us")


def run_monitoring(a):
    """Same server, same load: monitoring off (--no-monitoring) against on
    (prediction log at 100% sampling + drift windows + feedback keys)."""
    bundle, _ = make_bundle(a.ferry, a.work, 100)
    monitored = os.path.join(a.work, "trees100", "bundle-baseline")
    if not os.path.isdir(monitored):
        train = os.path.join(a.work, "train.csv")
        with open(os.path.join(SOURCE, "examples/breast-cancer/data.csv")) as f, open(train, "w") as out:
            for line in f:
                out.write(line.split(",", 1)[1])
        subprocess.run([a.ferry, "bundle", "create", "--model",
                        os.path.join(a.work, "trees100", "model.json"), "--name", "bc",
                        "--baseline", train, "--label", "target", "-o", monitored],
                       check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(SOURCE, "examples/breast-cancer/data.csv")) as f:
        next(f)
        row = [float(v) for v in next(f).strip().split(",")[1:31]]
    body = json.dumps({"parameters": {"key": "k1"}, "inputs": [
        {"name": "features", "shape": [1, 30], "datatype": "FP32", "data": row}]},
        separators=(",", ":"))
    path = os.path.join(a.work, "body-keyed.json")
    with open(path, "w") as f:
        f.write(body)
    logs = os.path.join(a.work, "logs")
    modes = {"off": ["--no-monitoring"], "drift-only": ["--no-prediction-log"],
             "on": ["--log-dir", logs]}
    runs = {}
    for rep in range(a.reps):
        for name, extra in modes.items():
            shutil.rmtree(logs, ignore_errors=True)
            measure(a, runs, rep, name, start_ferry(a.ferry, monitored, None, extra),
                    body.encode(), path)
    results = {k: summarize(v) for k, v in runs.items()}
    print_table(results)
    for name in ("drift-only", "on"):
        for c in a.conns:
            on, off = results[(name, c)], results[("off", c)]
            # The VM's speed drifts over minutes: the ratio within each repetition (modes run
            # back to back) is steadier than the ratio of the medians.
            pairs = sorted(x["req_s"] / y["req_s"] for x, y in zip(runs[(name, c)], runs[("off", c)]))
            print(f"monitoring {name} vs off, c={c}: req/s x{on['req_s'] / off['req_s']:.3f} "
                  f"({100 * (1 - on['req_s'] / off['req_s']):+.1f}% lower), "
                  f"p50 {on['p50']:.0f} vs {off['p50']:.0f} us, "
                  f"p99 {on['p99']:.0f} vs {off['p99']:.0f} us; per-repetition ratio median "
                  f"x{statistics.median(pairs):.3f} (range {pairs[0]:.3f}-{pairs[-1]:.3f})")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["http", "batching", "monitoring"])
    p.add_argument("--ferry", default=os.path.join(SOURCE, "build/release/src/ferry"))
    p.add_argument("--work", default="/tmp/ferry-serve-bench")
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--conns", default=None, help="comma-separated connection counts")
    p.add_argument("--delays", default="200", help="batching: max_queue_delay_us values to try")
    a = p.parse_args()
    a.conns = [int(c) for c in (a.conns or ("1,64" if a.mode == "batching" else "1,32")).split(",")]
    a.delays = [int(d) for d in a.delays.split(",") if d]
    os.makedirs(a.work, exist_ok=True)
    subprocess.run(["lscpu"], stdout=subprocess.PIPE)
    print(f"cpu: {[l for l in subprocess.run(['lscpu'], capture_output=True, text=True).stdout.splitlines() if 'Model name' in l]}")
    print(f"load before: {open('/proc/loadavg').read().strip()}")
    {"http": run_http, "batching": run_batching, "monitoring": run_monitoring}[a.mode](a)
    print(f"load after: {open('/proc/loadavg').read().strip()}")


if __name__ == "__main__":
    main()
