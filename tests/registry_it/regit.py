"""Helpers for the registry integration tests: fresh stores of each kind, bundles, runs."""
import os
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import Failures, Ferry, tempdir  # noqa: E402,F401


def pg_admin_uri():
    path = os.environ.get("FERRY_PG_URI_FILE", "")
    if not path or not os.path.exists(path):
        return ""
    with open(path) as f:
        return f.read().strip()


def fresh_store_uri(kind, home):
    """A new, empty registry URI of `kind` ("sqlite" or "postgres")."""
    if kind == "sqlite":
        return "sqlite://" + os.path.join(home, "registry.db")
    admin = pg_admin_uri()
    if not admin:
        raise SystemExit("no PostgreSQL test server: set FERRY_PG_URI_FILE (ctest fixture "
                         "registry_pg does)")
    db = "ferry_it_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", admin, "-q", "-c", f"CREATE DATABASE {db}"], check=True)
    return admin[: admin.rfind("/") + 1] + db


def make_bundles(ferry, folder, name, count):
    """`count` real bundles of the example model with distinct digests (by description)."""
    src = os.environ["FERRY_SOURCE"]
    model = os.path.join(src, "examples", "breast-cancer", "model.json")
    out = []
    for i in range(count):
        d = os.path.join(folder, f"{name}-{i}")
        ferry.run("bundle", "create", "--model", model, "--name", name, "-o", d,
                  "--description", f"bundle {i}")
        out.append(d)
    return out


def env_for(home, uri):
    env = dict(os.environ)
    env["FERRY_HOME"] = home
    env["FERRY_REGISTRY"] = uri
    env["FERRY_ACTOR"] = "it"
    return env
