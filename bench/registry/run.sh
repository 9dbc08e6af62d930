#!/usr/bin/env bash
# Runs the registry benchmark on SQLite (disk and tmpfs) and on a throw-away
# PostgreSQL 15 (tests/registry_it/pg_server.sh: loopback, fsync=off), pinned
# to one core; then the full registration of small bundles by 1, 4 and 8 concurrent clients
# (threads sharing one Registry, as `ferry serve`'s upload handlers do) on every core.
# Usage: bench/registry/run.sh BUILD_DIR [VERSIONS]
# (SMALL_REGISTERS: how many small bundles go through the full Registry::Register; default 1000;
#  CLIENTS: the client counts of the concurrent runs; default "1 4 8"; CONCURRENT_REGISTERS:
#  how many small bundles each concurrent run registers; default VERSIONS)
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
echo "== sqlite on disk, full registration of small bundles by concurrent clients, all cores"
for k in ${CLIENTS:-1 4 8}; do
  "$bench" --uri "sqlite://$work/c$k/registry.db" --home "$work/c$k" --source "$src" --versions 10 \
    --full-registers 1 --lookups 100 --small-model "$work/small.json" \
    --small-registers "${CONCURRENT_REGISTERS:-$n}" --clients "$k" | grep "small bundles"
done
