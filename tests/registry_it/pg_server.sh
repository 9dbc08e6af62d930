#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL 15 server on 127.0.0.1 for the
# registry tests (CTest fixture). The server's URI is written to STATE/uri.
#   pg_server.sh start STATE_DIR
#   pg_server.sh stop STATE_DIR
# Runs as root (CI) by using the postgres user through su, or as a normal
# user directly. The data folder lives under /tmp (the postgres user must be
# able to write it).
set -euo pipefail
cmd="$1"
state="$2"
bin=/usr/lib/postgresql/15/bin

as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$1"; else bash -c "$1"; fi
}

case "$cmd" in
  start)
    if [ -f "$state/datadir" ]; then "$0" stop "$state" || true; fi
    mkdir -p "$state"
    run=$(mktemp -d /tmp/ferry-pg-XXXXXX)
    chmod 755 "$run"
    if [ "$(id -u)" = 0 ]; then chown postgres "$run"; fi
    as_pg "$bin/initdb -D $run/data -U postgres --auth=trust -E UTF8 --no-sync >$run/initdb.log 2>&1"
    echo "$run" > "$state/datadir"
    port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_pg "$bin/pg_ctl -D $run/data -l $run/server.log -w -t 60 \
      -o '-p $port -k $run -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100' start" >/dev/null
    echo "postgresql://postgres@127.0.0.1:$port/postgres" > "$state/uri"
    echo "PostgreSQL ready at $(cat "$state/uri") (data in $run)"
    ;;
  stop)
    if [ ! -f "$state/datadir" ]; then echo "no server recorded in $state"; exit 0; fi
    run=$(cat "$state/datadir")
    as_pg "$bin/pg_ctl -D $run/data -m fast -w stop" >/dev/null 2>&1 || true
    rm -rf "$run" "$state/datadir" "$state/uri"
    echo "PostgreSQL stopped"
    ;;
  *)
    echo "usage: $0 start|stop STATE_DIR" >&2
    exit 2
    ;;
esac
