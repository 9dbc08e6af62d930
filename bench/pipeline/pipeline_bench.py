#!/usr/bin/python3
"""Pipeline scheduling overhead (issue 6): a 50-step no-op DAG (`run: true`, each step needing
the previous one) run by `ferry pipeline run` on the embedded default (SQLite under a fresh
FERRY_HOME), beside the same 50 commands run as plain sequential shell commands, and a fully
cached rerun. Reports medians over --reps runs.

Usage: /usr/bin/python3 bench/pipeline/pipeline_bench.py --ferry build/release/src/ferry
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

STEPS = 50


def pipeline_text(cache):
    lines = ["apiVersion: ferry/v1", "kind: Pipeline", "name: noop50", "steps:"]
    for i in range(STEPS):
        needs = f", needs: [s{i - 1:02d}]" if i > 0 else ""
        # Distinct steps (env) so that no step can hit another's cache entry.
        lines.append(f"  - {{name: s{i:02d}{needs}, run: \"true\", env: {{STEP: \"{i}\"}}, "
                     f"cache: {'true' if cache else 'false'}}}")
    return "\n".join(lines) + "\n"


def timed(cmd, env, cwd):
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ferry", required=True)
    p.add_argument("--reps", type=int, default=5)
    args = p.parse_args()
    ferry = os.path.abspath(args.ferry)
    uncached, cached, shell = [], [], []
    for _ in range(args.reps):
        with tempfile.TemporaryDirectory(prefix="ferry-pipebench-") as tmp:
            env = dict(os.environ, FERRY_HOME=os.path.join(tmp, "home"))
            env.pop("FERRY_REGISTRY", None)
            for name, cache in (("nocache.yaml", False), ("cache.yaml", True)):
                with open(os.path.join(tmp, name), "w") as f:
                    f.write(pipeline_text(cache))
            # Create the database first so that no run pays for the migrations.
            subprocess.run([ferry, "pipeline", "runs"], env=env, cwd=tmp, check=True,
                           stdout=subprocess.DEVNULL)
            run = [ferry, "pipeline", "run", "--parallelism", "1"]
            uncached.append(timed(run + ["nocache.yaml"], env, tmp))
            timed(run + ["cache.yaml"], env, tmp)  # fills the cache
            cached.append(timed(run + ["cache.yaml"], env, tmp))
            script = "\n".join(["sh -c true"] * STEPS) + "\n"
            start = time.perf_counter()
            subprocess.run(["sh", "-c", script], check=True)
            shell.append(time.perf_counter() - start)
    u, c, s = (statistics.median(x) for x in (uncached, cached, shell))
    print(f"50-step no-op chain, parallelism 1, median of {args.reps}")
    print(f"  ferry pipeline run (no cache):   {u * 1000:8.1f} ms  "
          f"({u / STEPS * 1000:.2f} ms per step)")
    print(f"  plain sequential shell:          {s * 1000:8.1f} ms  "
          f"({s / STEPS * 1000:.2f} ms per step)")
    print(f"  scheduling overhead per step:    {(u - s) / STEPS * 1000:8.2f} ms  (goal < 5 ms)")
    print(f"  fully cached rerun:              {c * 1000:8.1f} ms  (goal < 100 ms)")
    print(f"  ferry / shell:                   {u / s:8.2f}x")


if __name__ == "__main__":
    main()
