#!/usr/bin/env bash
# Builds Ferry and runs its main job on the embedded default (SQLite registry
# and files under $FERRY_HOME, default ./ferry-data): the example retraining
# pipeline validates the data, splits it, trains an XGBoost model, evaluates
# it against the registry's champion, registers and promotes it; a rerun is
# fully cached; the champion is batch-scored and served over v2 REST.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ferry-ccache}"
cmake --preset release >/dev/null
cmake --build --preset release --target ferry

FERRY=build/release/src/ferry
export FERRY_HOME="${FERRY_HOME:-./ferry-data}"
OUT="$FERRY_HOME/quickstart"
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== ferry pipeline run examples/breast-cancer/pipeline.yaml"
$FERRY pipeline run examples/breast-cancer/pipeline.yaml
echo "== the same pipeline again: every step is cached"
$FERRY pipeline run examples/breast-cancer/pipeline.yaml
echo "== ferry models show breast-cancer@champion (version, lineage, metrics)"
$FERRY models show breast-cancer@champion
echo "== ferry batch --model breast-cancer@champion"
$FERRY batch --model breast-cancer@champion --input examples/breast-cancer/data.csv \
  --key-column id --keep target --output "$OUT/predictions.csv"
head -n 6 "$OUT/predictions.csv"
echo "predictions for every row: $OUT/predictions.csv"

echo "== ferry serve (v2 REST; --port 0 picks a free port, 8080 by default)"
echo "\$ $FERRY serve --model breast-cancer@champion --port 0 &"
$FERRY serve --model breast-cancer@champion --port 0 >"$OUT/serve.out" 2>"$OUT/serve.err" &
SERVE_PID=$!
trap 'kill -TERM $SERVE_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening "$OUT/serve.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^ferry serve: listening on //p' "$OUT/serve.out")
[[ -n "$URL" ]] || { cat "$OUT/serve.err"; exit 1; }
ROW=$(sed -n 2p examples/breast-cancer/data.csv | cut -d, -f2-31)
BODY='{"id":"p0000","parameters":{"key":"p0000"},"inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":['"$ROW"']}]}'
echo "\$ curl -s $URL/v2/models/breast-cancer/infer -H 'Content-Type: application/json' -d '$BODY'"
curl -sS "$URL/v2/models/breast-cancer/infer" -H 'Content-Type: application/json' -d "$BODY"
echo
echo "\$ curl -s $URL/v2/models/breast-cancer"
curl -sS "$URL/v2/models/breast-cancer"
echo
kill -TERM $SERVE_PID
wait $SERVE_PID
trap - EXIT
echo "ferry serve stopped (SIGTERM: graceful, exit 0); see docs/serving.md"
