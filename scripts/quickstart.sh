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
