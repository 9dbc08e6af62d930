#!/usr/bin/python3
"""A registering process killed with SIGKILL at random points, at least 50 times, on SQLite and on
PostgreSQL. Afterwards `ferry registry check` finds no version pointing to a missing or corrupt
blob and no half-written blob in the blob tree; every stored version materializes; the store keeps
working (a new register, gc of the leftovers)."""
import json
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from regit import Failures, Ferry, env_for, fresh_store_uri, make_bundles, tempdir  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import parse_args  # noqa: E402

KILLS = {"sqlite": 50, "postgres": 50}


def run_case(ferry, fails, kind, bundles, rng):
    with tempdir() as tmp:
        home = os.path.join(tmp, "home")
        uri = fresh_store_uri(kind, home)
        env = {**env_for(home, uri), "TMPDIR": tmp}
        # How long one register takes here, to spread the kills over its whole run.
        t0 = time.monotonic()
        ferry_ok = subprocess.run([ferry.binary, "models", "register", bundles[0]], env=env,
                                  capture_output=True, text=True)
        duration = time.monotonic() - t0
        fails.check(ferry_ok.returncode == 0, f"{kind}: first register works: {ferry_ok.stderr}")
        kills = 0
        completed = 1
        attempts = 0
        while kills < KILLS[kind] and attempts < 4 * KILLS[kind]:
            attempts += 1
            bundle = bundles[attempts % len(bundles)]
            p = subprocess.Popen([ferry.binary, "models", "register", bundle], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(rng.uniform(0, duration * 1.1))
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                kills += 1
            out, err = p.communicate()
            if p.returncode == 0:
                completed += 1
            elif p.returncode != -signal.SIGKILL:
                fails.check(False, f"{kind}: register failed without being killed: {err}")
        fails.check(kills >= KILLS[kind], f"{kind}: {kills} kills (wanted {KILLS[kind]})")
        print(f"{kind}: {kills} kills, {completed} completed registers, "
              f"register takes {duration:.2f} s")

        check = subprocess.run([ferry.binary, "registry", "check", "--json"], env=env,
                               capture_output=True, text=True)
        report = json.loads(check.stdout) if check.stdout else {}
        fails.check(check.returncode == 0 and report.get("ok") is True,
                    f"{kind}: check after the kills is clean: {check.stdout} {check.stderr}")
        shown = json.loads(subprocess.run([ferry.binary, "models", "show", "m", "--json"],
                                          env=env, capture_output=True, text=True).stdout)
        # A kill after the number was reserved leaves that version `registering` (listed by
        # check, never resolvable); every other one is ready.
        versions = [v["version"] for v in shown["versions"] if v["status"] == "ready"]
        interrupted = [v["version"] for v in shown["versions"] if v["status"] == "registering"]
        fails.check(len(versions) >= completed,
                    f"{kind}: every completed register is stored ({len(versions)} >= {completed})")
        for v in shown["versions"]:
            fails.check(v["status"] in ("ready", "registering"),
                        f"{kind}: m:{v['version']} is ready or registering, not {v['status']}")
        fails.check(len(report.get("registering", [])) == len(interrupted),
                    f"{kind}: check lists the interrupted registrations: {report}")
        for v in interrupted[:3]:
            r = subprocess.run([ferry.binary, "models", "materialize", f"m:{v}"], env=env,
                               capture_output=True, text=True)
            fails.check(r.returncode != 0 and "registering" in r.stderr,
                        f"{kind}: interrupted m:{v} is refused: {r.stderr}")
        for v in versions[-3:]:
            r = subprocess.run([ferry.binary, "models", "materialize", f"m:{v}"], env=env,
                               capture_output=True, text=True)
            fails.check(r.returncode == 0, f"{kind}: m:{v} materializes: {r.stderr}")
        # The store keeps working, and gc clears what the killed writers left.
        r = subprocess.run([ferry.binary, "models", "register", bundles[-1]], env=env,
                           capture_output=True, text=True)
        fails.check(r.returncode == 0, f"{kind}: register after the kills works: {r.stderr}")
        r = subprocess.run([ferry.binary, "registry", "gc", "--grace-seconds", "0", "--json"],
                           env=env, capture_output=True, text=True)
        fails.check(r.returncode == 0, f"{kind}: gc works: {r.stderr}")
        check = subprocess.run([ferry.binary, "registry", "check", "--json"], env=env,
                               capture_output=True, text=True)
        report = json.loads(check.stdout) if check.stdout else {}
        fails.check(check.returncode == 0 and report.get("temp_files") == 0 and
                    report.get("unreferenced_blobs") == 0 and report.get("registering") == [],
                    f"{kind}: after gc no leftovers, still clean: {check.stdout}")
        shown = json.loads(subprocess.run([ferry.binary, "models", "show", "m", "--json"],
                                          env=env, capture_output=True, text=True).stdout)
        failed = [v["version"] for v in shown["versions"] if v["status"] == "failed"]
        fails.check(failed == interrupted,
                    f"{kind}: gc marked the interrupted registrations failed: {failed}")
        left = [n for n in os.listdir(tmp) if n.startswith("ferry-bundle-")]
        fails.check(not left, f"{kind}: killed registers of archives leave nothing outside "
                    f"FERRY_HOME: {left}")


def main():
    args = parse_args()
    os.environ["FERRY_SOURCE"] = args.source
    ferry = Ferry(args.ferry)
    fails = Failures()
    rng = random.Random(int(os.environ.get("FERRY_TEST_SEED", "4")))
    with tempdir() as tmp:
        bundles = make_bundles(ferry, tmp, "m", 4)
        # Both inputs forms: folders and packed archives.
        for b in list(bundles[:2]):
            ferry.run("bundle", "pack", b, "-o", b + ".tar.zst")
            bundles.append(b + ".tar.zst")
        for kind in ("sqlite", "postgres"):
            run_case(ferry, fails, kind, bundles, rng)
    fails.exit()


if __name__ == "__main__":
    main()
