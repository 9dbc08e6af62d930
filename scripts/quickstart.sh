#!/usr/bin/env bash
# Builds Ferry and runs its main job on the embedded default: make a bundle
# from the example model (with a baseline profile of its training data),
# verify and pack it, and score the example data with it.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ferry-ccache}"
cmake --preset release >/dev/null
cmake --build --preset release --target ferry

FERRY=build/release/src/ferry
HOME_DIR="${FERRY_HOME:-./ferry-data}"
OUT="$HOME_DIR/quickstart"
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== ferry bundle create"
$FERRY bundle create --model examples/breast-cancer/model.json --name breast-cancer \
  --baseline examples/breast-cancer/data.csv --label target \
  --description "XGBoost, 100 trees, Breast Cancer Wisconsin (Diagnostic)" \
  -o "$OUT/breast-cancer"
echo "== ferry bundle verify"
$FERRY bundle verify "$OUT/breast-cancer"
echo "== ferry bundle pack"
$FERRY bundle pack "$OUT/breast-cancer" -o "$OUT/breast-cancer.tar.zst"
echo "== ferry bundle inspect"
$FERRY bundle inspect "$OUT/breast-cancer.tar.zst"
echo "== ferry predict"
$FERRY predict --bundle "$OUT/breast-cancer.tar.zst" --input examples/breast-cancer/data.csv \
  --key-column id --keep target -o "$OUT/predictions.csv"
head -n 6 "$OUT/predictions.csv"
echo "predictions for every row: $OUT/predictions.csv"

echo "== ferry serve (v2 REST; --port 0 picks a free port, 8080 by default)"
echo "\$ $FERRY serve --model breast-cancer=$OUT/breast-cancer --port 0 &"
$FERRY serve --model "breast-cancer=$OUT/breast-cancer" --port 0 >"$OUT/serve.out" 2>"$OUT/serve.err" &
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
