#!/usr/bin/env bash
# End to end: the quickstart's flow with the real binary on the bundled example —
# create a bundle with a baseline, verify, pack, score the packed bundle, and
# check one prediction per input row with the key echoed.
set -euo pipefail
FERRY="$1"
SRC="$2"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

"$FERRY" bundle create --model "$SRC/examples/breast-cancer/model.json" --name breast-cancer \
  --baseline "$SRC/examples/breast-cancer/data.csv" --label target -o "$TMP/bc"
"$FERRY" bundle verify "$TMP/bc"
"$FERRY" bundle pack "$TMP/bc" -o "$TMP/bc.tar.zst"
"$FERRY" predict --bundle "$TMP/bc.tar.zst" --input "$SRC/examples/breast-cancer/data.csv" \
  --key-column id --keep target -o "$TMP/pred.csv"

rows_in=$(($(wc -l < "$SRC/examples/breast-cancer/data.csv") - 1))
rows_out=$(($(wc -l < "$TMP/pred.csv") - 1))
[[ "$(head -n1 "$TMP/pred.csv")" == "id,target,probability" ]] || { echo "bad header"; exit 1; }
[[ "$rows_in" == "$rows_out" ]] || { echo "rows: $rows_in in, $rows_out out"; exit 1; }
# Keys in input order.
diff <(cut -d, -f1 "$SRC/examples/breast-cancer/data.csv" | tail -n +2) \
     <(cut -d, -f1 "$TMP/pred.csv" | tail -n +2)
# The model is good on its training data: accuracy above 0.95 at a 0.5 threshold.
awk -F, 'NR>1 { p = ($3 > 0.5) ? 1 : 0; ok += (p == $2) } END { acc = ok / (NR-1); print "accuracy", acc; exit !(acc > 0.95) }' "$TMP/pred.csv"
echo "e2e quickstart ok"
