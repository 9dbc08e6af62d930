#!/usr/bin/env bash
# Runs the registry benchmark on SQLite (disk and tmpfs) and on a throw-away
# PostgreSQL 15 (tests/registry_it/pg_server.sh: loopback, fsync=off), pinned
# to one core. Usage: bench/registry/run.sh BUILD_DIR [VERSIONS]
# (SMALL_REGISTERS: how many small bundles go through the full Registry::Register; default 1000)
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
bench="$1/bench/registry/ferry_registry_bench"
n="${2:-10000}"
work=$(mktemp -d /var/tmp/ferry-regbench-XXXXXX)
shm=$(mktemp -d /dev/shm/ferry-regbench-XXXXXX)
trap '"$src/tests/registry_it/pg_server.sh" stop "$work/pg" >/dev/null; rm -rf "$work" "$shm"' EXIT
/usr/bin/python3 "$src/bench/registry/make_small_model.py" "$work/small.json"
small=(--small-model "$work/small.json" --small-registers "${SMALL_REGISTERS:-1000}")
echo "== sqlite on disk ($work)"
taskset -c 1 "$bench" --uri "sqlite://$work/d/registry.db" --home "$work/d" --source "$src" --versions "$n" "${small[@]}"
echo "== sqlite on tmpfs ($shm)"
taskset -c 1 "$bench" --uri "sqlite://$shm/registry.db" --home "$shm" --source "$src" --versions "$n" "${small[@]}"
echo "== postgresql 15 on loopback (fsync=off), artifacts on disk"
"$src/tests/registry_it/pg_server.sh" start "$work/pg" >/dev/null
taskset -c 1 "$bench" --uri "$(cat "$work/pg/uri")" --home "$work/p" --source "$src" --versions "$n" "${small[@]}"
