#!/usr/bin/python3
"""`ferry models …` / `ferry registry …` through the real binary on SQLite and PostgreSQL: the
happy path (register from folder and .tar.zst, aliases, tags, history, delete, gc) and a table of
bad inputs, each with its exit code and exact error message."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from regit import Failures, Ferry, env_for, fresh_store_uri, make_bundles, tempdir  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import parse_args  # noqa: E402


def run_case(ferry, fails, kind, bundles, archive):
    with tempdir() as tmp:
        home = os.path.join(tmp, "home")
        env = env_for(home, fresh_store_uri(kind, home))

        def f(*a):
            return subprocess.run([ferry.binary, *a], env=env, capture_output=True, text=True)

        r = f("models", "register", bundles[0])
        fails.check(r.returncode == 0 and r.stdout == "m:1\n", f"{kind}: register folder: {r}")
        r = f("models", "register", archive, "--reason", "from ci")
        fails.check(r.returncode == 0 and r.stdout == "m:2\n", f"{kind}: register .tar.zst: {r}")
        r = f("models", "register", bundles[0], "--name", "other", "--json")
        doc = json.loads(r.stdout) if r.returncode == 0 else {}
        fails.check(doc.get("reference") == "other:1" and doc.get("status") == "ready",
                    f"{kind}: register --name --json: {r.stdout} {r.stderr}")
        fails.check(f("models", "alias", "m@champion", "1").stdout == "m@champion -> m:1\n",
                    f"{kind}: alias set")
        fails.check(f("models", "alias", "m@champion", "m:2").returncode == 0,
                    f"{kind}: alias move")
        fails.check(json.loads(f("models", "show", "m@champion").stdout)["version"] == 2,
                    f"{kind}: show m@champion resolves the alias")
        fails.check("run" in json.loads(f("models", "show", "m:1").stdout)["lineage"],
                    f"{kind}: show m:1 has lineage")
        fails.check(f("models", "tag", "m", "team=growth").returncode == 0, f"{kind}: model tag")
        fails.check(f("models", "tag", "m:1", "stage=qa", "owner=x").returncode == 0,
                    f"{kind}: version tags")
        fails.check(f("models", "tag", "m:1", "--delete", "owner").returncode == 0,
                    f"{kind}: tag delete")
        v1 = json.loads(f("models", "show", "m:1").stdout)
        fails.check(v1["tags"] == {"stage": "qa"}, f"{kind}: version tags shown: {v1['tags']}")
        listing = json.loads(f("models", "list", "--json").stdout)
        fails.check([m["name"] for m in listing["models"]] == ["m", "other"] and
                    listing["models"][0]["tags"] == {"team": "growth"},
                    f"{kind}: list --json: {listing}")
        fails.check(f("models", "unalias", "m@champion").returncode == 0, f"{kind}: unalias")
        fails.check(f("models", "delete", "m:1").returncode == 0, f"{kind}: delete version")
        fails.check(f("models", "create", "empty", "--description", "d").returncode == 0,
                    f"{kind}: create")
        fails.check(f("models", "delete", "other", "--reason", "cleanup").returncode == 0,
                    f"{kind}: delete model")
        hist = json.loads(f("models", "history", "m", "--json").stdout)["history"]
        fails.check([e["action"] for e in hist] ==
                    ["create_model", "register", "register", "alias_set", "alias_set", "tag_set",
                     "tag_set", "tag_set", "tag_delete", "alias_delete", "delete_version"],
                    f"{kind}: history: {[e['action'] for e in hist]}")
        fails.check(hist[2]["reason"] == "from ci" and hist[2]["actor"] == "it",
                    f"{kind}: audit keeps actor and reason")
        # m:1 and other:1 (the same blob) are deleted; m:2's blob is still referenced.
        blob1 = v1["blob_sha256"]
        blob2 = json.loads(f("models", "show", "m:2").stdout)["blob_sha256"]
        r = f("registry", "gc", "--grace-seconds", "0", "--json")
        fails.check(r.returncode == 0 and json.loads(r.stdout)["removed_blobs"] == [blob1],
                    f"{kind}: gc removes only the unreferenced blob {blob1}: {r.stdout}")
        r = f("models", "materialize", "m:2")
        fails.check(r.returncode == 0 and blob1 != blob2,
                    f"{kind}: m:2 still materializes after gc: {r.stderr}")
        fails.check(f("registry", "check").returncode == 0, f"{kind}: check ok")
        fails.check(f("registry", "migrate").stdout.startswith("registry "),
                    f"{kind}: migrate reports the schema")

        bad = [
            (("models", "show", "nope"), "error: model 'nope' not found\n"),
            (("models", "show", "m:9"), "error: model version 'm:9' not found\n"),
            (("models", "show", "a/b"), "error: model reference 'a/b': model name must match "
                                        "[A-Za-z0-9][A-Za-z0-9._-]{0,127}\n"),
            (("models", "alias", "m@latest", "2"),
             "error: alias 'latest' is reserved (latest and v<digits> cannot be set)\n"),
            (("models", "alias", "m@v3", "2"),
             "error: alias 'v3' is reserved (latest and v<digits> cannot be set)\n"),
            (("models", "alias", "m", "2"), "error: expected name@alias, got 'm'\n"),
            (("models", "alias", "m@x", "other:1"),
             "error: alias target must be a version of m (7 or m:7), got 'other:1'\n"),
            (("models", "alias", "m@x", "2", "--force"), "error: --force needs a --reason\n"),
            (("models", "alias", "m@x", "1"), "error: model version 'm:1' not found\n"),
            (("models", "create", "empty"), "error: model 'empty' already exists\n"),
            (("models", "tag", "m:2", "bad"), "error: expected key=value, got 'bad'\n"),
            (("models", "unalias", "m@champion"), "error: alias 'm@champion' is not set\n"),
            (("models", "register", os.path.join(tmp, "missing")),
             f"error: {os.path.join(tmp, 'missing')} does not exist\n"),
            (("models", "list", "--registry", "mysql://x"),
             "error: registry URI 'mysql://x': expected sqlite:///path/registry.db or "
             "postgresql://…\n"),
        ]
        for argv, message in bad:
            r = f(*argv)
            fails.check(r.returncode == 1 and r.stderr == message,
                        f"{kind}: ferry {' '.join(argv)} -> 1 {message!r}, got {r.returncode} "
                        f"{r.stderr!r}")
        # Protected alias: refused without a passing evaluation, allowed with --force --reason.
        r = f("models", "alias", "m@champion", "2", "--protect")
        fails.check(r.returncode == 1 and "has no passing evaluation record" in r.stderr,
                    f"{kind}: protect needs an evaluation: {r.stderr}")
        r = f("models", "alias", "m@champion", "2", "--protect", "--force", "--reason", "first")
        fails.check(r.returncode == 0, f"{kind}: protect with force: {r.stderr}")
        r = f("models", "unalias", "m@champion")
        fails.check(r.returncode == 1 and r.stderr == "error: alias 'm@champion' is protected; "
                    "remove it with --force --reason\n", f"{kind}: protected unalias: {r.stderr}")
        r = f("models", "delete", "m:2")
        fails.check(r.returncode == 1 and r.stderr == "error: version m:2 is still the target "
                    "of alias(es) champion; move or remove them first\n",
                    f"{kind}: delete aliased version: {r.stderr}")


def main():
    args = parse_args()
    os.environ["FERRY_SOURCE"] = args.source
    ferry = Ferry(args.ferry)
    fails = Failures()
    with tempdir() as tmp:
        bundles = make_bundles(ferry, tmp, "m", 2)
        archive = bundles[1] + ".tar.zst"
        ferry.run("bundle", "pack", bundles[1], "-o", archive)
        for kind in ("sqlite", "postgres"):
            run_case(ferry, fails, kind, bundles, archive)
    fails.exit()


if __name__ == "__main__":
    main()
