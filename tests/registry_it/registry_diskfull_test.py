#!/usr/bin/python3
"""Disk full: FERRY_HOME on a small tmpfs (needs root to mount; skipped otherwise, exit 77).
Registering until the disk is full gives a clear error naming the cause, never a crash; every
version committed before stays stored and intact, and after space is freed the registry works
again."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from regit import Failures, Ferry, env_for, make_bundles, tempdir  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import parse_args  # noqa: E402


def main():
    args = parse_args()
    os.environ["FERRY_SOURCE"] = args.source
    ferry = Ferry(args.ferry)
    fails = Failures()
    with tempdir() as tmp:
        mnt = os.path.join(tmp, "small")
        os.makedirs(mnt)
        m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", mnt],
                           capture_output=True, text=True)
        if m.returncode != 0:
            print(f"SKIP: cannot mount a tmpfs here ({m.stderr.strip()})")
            sys.exit(77)
        try:
            bundles = make_bundles(ferry, tmp, "m", 30)
            home = os.path.join(mnt, "home")
            env = {**env_for(home, "sqlite://" + os.path.join(home, "registry.db")),
                   "TMPDIR": tmp}
            stored = []
            error = None
            for b in bundles:
                r = subprocess.run([ferry.binary, "models", "register", b], env=env,
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    error = r
                    break
                stored.append(r.stdout.strip())
            fails.check(error is not None, f"the disk filled up ({len(stored)} stored)")
            fails.check(len(stored) >= 1, "some versions fit before the disk filled up")
            if error is not None:
                fails.check(error.returncode == 1, f"exit code 1, got {error.returncode}")
                fails.check("disk full" in error.stderr or "No space left" in error.stderr,
                            f"the error names the cause: {error.stderr!r}")
                fails.check("AddressSanitizer" not in error.stderr and
                            "runtime error" not in error.stderr, "no crash")
            shown = subprocess.run([ferry.binary, "models", "show", "m", "--json"], env=env,
                                   capture_output=True, text=True)
            if fails.check(shown.returncode == 0, f"show works on a full disk: {shown.stderr}"):
                listed = json.loads(shown.stdout)["versions"]
                versions = [f"m:{v['version']}" for v in listed if v["status"] == "ready"]
                fails.check(versions == stored, f"committed versions kept: {versions} {stored}")
                # The registration the full disk stopped is failed (or, if even that could not
                # be written, still registering), never ready.
                others = [v for v in listed if v["status"] != "ready"]
                fails.check(len(others) <= 1 and all(v["status"] in ("failed", "registering")
                                                     for v in others),
                            f"the stopped registration is failed or registering: {others}")
            check = subprocess.run([ferry.binary, "registry", "check", "--json"], env=env,
                                   capture_output=True, text=True)
            fails.check(check.returncode == 0, f"check is clean on a full disk: {check.stdout}")
            # Free space: gc clears temporaries; grow the tmpfs; the registry works again.
            subprocess.run(["mount", "-o", "remount,size=4m", mnt], check=True)
            r = subprocess.run([ferry.binary, "registry", "gc", "--grace-seconds", "0"], env=env,
                               capture_output=True, text=True)
            fails.check(r.returncode == 0, f"gc works: {r.stderr}")
            r = subprocess.run([ferry.binary, "models", "register", bundles[-1]], env=env,
                               capture_output=True, text=True)
            # Numbers are never reused: after the stopped registration's (if it got one).
            expected = (f"m:{len(stored) + 1}", f"m:{len(stored) + 2}")
            fails.check(r.returncode == 0 and r.stdout.strip() in expected,
                        f"register works again with space: {r.stdout} {r.stderr}")
            for ref in stored[:1] + stored[-1:]:
                r = subprocess.run([ferry.binary, "models", "materialize", ref],
                                   env={**env, "FERRY_HOME": os.path.join(tmp, "home2")},
                                   capture_output=True, text=True)
                # Materializing needs the blobs of FERRY_HOME; a different home has none.
                fails.check(r.returncode == 1 and "missing" in r.stderr,
                            f"a blob missing from another home is reported: {r.stderr}")
                r = subprocess.run([ferry.binary, "models", "materialize", ref], env=env,
                                   capture_output=True, text=True)
                fails.check(r.returncode == 0, f"{ref} materializes: {r.stderr}")
        finally:
            subprocess.run(["umount", mnt])
    fails.exit()


if __name__ == "__main__":
    main()
