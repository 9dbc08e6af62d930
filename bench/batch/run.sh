#!/usr/bin/env bash
# Batch-scoring benchmark (docs/BENCHMARKS.md, "ferry batch"): in one run, on the same 2,000,000 x
# 30 CSV and 100-tree model, end to end (read -> score -> write):
#   ferry batch on 1 thread (pinned to CPU 1) and 2 threads (CPUs 0-1),
#   the pandas peer (chunked read_csv + inplace_predict + to_csv) on 1 core and on 2,
#   and the raw ceiling: XGBoost's C API on rows already in memory, 1 and 2 threads,
#   plus Ferry's CSV parser alone on one core (MB/s).
# Usage: bench/batch/run.sh BUILD_DIR [WORK_DIR] [ROWS]   (BUILD_DIR: a Release build)
set -euo pipefail
BUILD=$(realpath "$1")
WORK=${2:-/tmp/ferry-batch-bench}
ROWS=${3:-2000000}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
FERRY=$BUILD/src/ferry
RAW=$BUILD/bench/ferry_raw_xgboost_bench
mkdir -p "$WORK"
if [[ ! -f $WORK/data.csv || ! -f $WORK/model.json ]]; then
  $PY "$HERE/make_data.py" "$WORK" "$ROWS"
fi
rm -rf "$WORK/bundle"
$FERRY bundle create --model "$WORK/model.json" --name bench -o "$WORK/bundle" >/dev/null
MB=$(stat -L -c %s "$WORK/data.csv")
echo "input: $(wc -l < "$WORK/data.csv") lines, $MB bytes; load: $(cut -d' ' -f1-3 /proc/loadavg)"

ferry_run() {  # threads cpus
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$WORK/rss" taskset -c "$2" "$FERRY" batch --bundle "$WORK/bundle" \
    --input "$WORK/data.csv" --output "$WORK/ferry-out.csv" --key-column id --threads "$1" -q
  end=$(date +%s.%N)
  echo "{\"system\":\"ferry\",\"threads\":$1,\"seconds\":$(printf %.6f "$(echo "$end - $start" | bc)")," \
       "\"peak_rss_kb\":$(cat "$WORK/rss")}"
}
pandas_run() {  # nthread cpus
  echo "{\"system\":\"pandas\",\"threads\":$1,\"result\":$(taskset -c "$2" $PY "$HERE/pandas_peer.py" \
    "$WORK/data.csv" "$WORK/model.json" "$WORK/pandas-out.csv" "$1")}"
}
raw_run() {  # threads cpus
  echo "{\"system\":\"raw\",\"result\":$(taskset -c "$2" "$RAW" "$WORK/model.json" "$WORK/data.csv" "$1")}"
}
{
  ferry_run 1 1
  ferry_run 2 0-1
  raw_run 1 1
  raw_run 2 0-1
  pandas_run 1 1
  pandas_run 2 0-1
} | tee "$WORK/results.jsonl"
$PY - "$WORK/results.jsonl" "$ROWS" "$MB" <<'PYEOF'
import json, sys
res = [json.loads(l) for l in open(sys.argv[1])]
rows, mb = int(sys.argv[2]), int(sys.argv[3]) / 1e6
ferry = {r["threads"]: rows / r["seconds"] for r in res if r["system"] == "ferry"}
rss = {r["threads"]: r["peak_rss_kb"] / 1024 for r in res if r["system"] == "ferry"}
raw = {r["result"]["threads"]: r["result"]["raw_rows_per_s"] for r in res if r["system"] == "raw"}
parse = [r["result"]["parse_mb_per_s_1core"] for r in res if r["system"] == "raw"]
pandas = {r["threads"]: r["result"]["rows_per_s"] for r in res if r["system"] == "pandas"}
for t in (1, 2):
    print(f"threads {t}: ferry {ferry[t]:,.0f} rows/s ({mb * ferry[t] / rows:.0f} MB/s, peak RSS "
          f"{rss[t]:.0f} MiB) | pandas {pandas[t]:,.0f} rows/s -> {ferry[t] / pandas[t]:.1f}x | "
          f"raw in-memory {raw[t]:,.0f} rows/s -> ferry at {100 * ferry[t] / raw[t]:.0f}%")
print(f"ferry CSV parse alone: {max(parse):.0f} MB/s on one core")
PYEOF
