#!/usr/bin/python3
"""8 processes register versions of the same model at once (and move an alias while doing so),
on SQLite and on PostgreSQL: every version number is unique, none is lost, the alias points at
an existing version, and `ferry registry check` is clean."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from regit import Failures, Ferry, env_for, fresh_store_uri, make_bundles, tempdir  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import parse_args  # noqa: E402

PROCS = 8
EACH = 3


def run_case(ferry, fails, kind, bundles):
    with tempdir() as tmp:
        home = os.path.join(tmp, "home")
        uri = fresh_store_uri(kind, home)
        env = env_for(home, uri)
        # Each worker registers EACH versions, then points challenger at its last one.
        script = ("set -e; for b in \"$@\"; do ref=$(\"$FERRY\" models register \"$b\"); "
                  "echo \"$ref\"; done; \"$FERRY\" models alias m@challenger \"$ref\" >/dev/null")
        procs = []
        for p in range(PROCS):
            args = bundles[p * EACH:(p + 1) * EACH]
            procs.append(subprocess.Popen(["bash", "-c", script, "worker", *args],
                                          env={**env, "FERRY": ferry.binary},
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True))
        refs = []
        for p in procs:
            out, err = p.communicate(timeout=600)
            fails.check(p.returncode == 0, f"{kind}: worker exited {p.returncode}: {err}")
            refs += out.split()
        numbers = sorted(int(r.split(":")[1]) for r in refs)
        fails.check(numbers == list(range(1, PROCS * EACH + 1)),
                    f"{kind}: version numbers are unique and gap-free: {numbers}")
        shown = json.loads(subprocess.run([ferry.binary, "models", "show", "m", "--json"],
                                          env=env, capture_output=True, text=True).stdout)
        stored = sorted(v["version"] for v in shown["versions"])
        fails.check(stored == numbers, f"{kind}: every printed version is stored: {stored}")
        digests = {v["version"]: v["digest"] for v in shown["versions"]}
        fails.check(len(set(digests.values())) == PROCS * EACH,
                    f"{kind}: each version kept its own bundle digest")
        aliases = {a["alias"]: a["version"] for a in shown["model"]["aliases"]}
        fails.check(aliases.get("challenger") in numbers,
                    f"{kind}: challenger points to a stored version: {aliases}")
        history = json.loads(subprocess.run([ferry.binary, "models", "history", "m", "--json"],
                                            env=env, capture_output=True, text=True).stdout)
        actions = [e["action"] for e in history["history"]]
        fails.check(actions.count("register") == PROCS * EACH and
                    actions.count("alias_set") == PROCS and actions.count("create_model") == 1,
                    f"{kind}: audit log has every register and alias move once")
        last_alias = [e for e in history["history"] if e["action"] == "alias_set"][-1]
        fails.check(last_alias["version"] == aliases.get("challenger"),
                    f"{kind}: the last audited alias move is the alias's current target")
        check = subprocess.run([ferry.binary, "registry", "check", "--json"], env=env,
                               capture_output=True, text=True)
        fails.check(check.returncode == 0 and json.loads(check.stdout)["ok"],
                    f"{kind}: registry check is clean: {check.stdout} {check.stderr}")


def main():
    args = parse_args()
    os.environ["FERRY_SOURCE"] = args.source
    ferry = Ferry(args.ferry)
    fails = Failures()
    with tempdir() as tmp:
        bundles = make_bundles(ferry, tmp, "m", PROCS * EACH)
        for kind in ("sqlite", "postgres"):
            run_case(ferry, fails, kind, bundles)
    fails.exit()


if __name__ == "__main__":
    main()
