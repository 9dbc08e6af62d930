#!/usr/bin/env bash
# Batch-scoring benchmark (docs/BENCHMARKS.md, "ferry batch"): in one run, on the same 2,000,000 x
# 30 CSV and 100-tree model, end to end (read -> score -> write):
#   ferry batch on 1 thread (pinned to CPU 1) and 2 threads (CPUs 0-1),
#   the pandas peer (chunked read_csv + inplace_predict + to_csv) on 1 core and on 2,
#   and the raw ceiling: XGBoost's C API on rows already in memory, 1 and 2 threads,
#   plus Ferry's CSV parser alone on one core (MB/s).
# Usage: [REPS=3] bench/batch/run.sh BUILD_DIR [WORK_DIR] [ROWS]   (BUILD_DIR: a Release build)
# Each measurement runs REPS times, the six interleaved, and the summary reports medians: the
# VM's speed drifts by up to 1.6x within minutes, which a single run cannot tell from a change.
set -euo pipefail
BUILD=$(realpath "$1")
WORK=${2:-/tmp/ferry-batch-bench}
ROWS=${3:-2000000}
REPS=${REPS:-3}  # repetitions of the whole set, interleaved; the summary takes medians
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
  for ((rep = 1; rep <= REPS; rep++)); do
    ferry_run 1 1
    ferry_run 2 0-1
    raw_run 1 1
    raw_run 2 0-1
    pandas_run 1 1
    pandas_run 2 0-1
  done
} | tee "$WORK/results.jsonl"
$PY - "$WORK/results.jsonl" "$ROWS" "$MB" <<'PYEOF'
import json, statistics, sys
res = [json.loads(l) for l in open(sys.argv[1])]
rows, mb = int(sys.argv[2]), int(sys.argv[3]) / 1e6


def median(system, threads, value):
    return statistics.median(value(r) for r in res if r["system"] == system and
                             (r.get("threads") or r["result"]["threads"]) == threads)


ferry = {t: median("ferry", t, lambda r: rows / r["seconds"]) for t in (1, 2)}
rss = {t: max(r["peak_rss_kb"] / 1024 for r in res if r["system"] == "ferry" and r["threads"] == t)
       for t in (1, 2)}
raw = {t: median("raw", t, lambda r: r["result"]["raw_rows_per_s"]) for t in (1, 2)}
parse = [r["result"]["parse_mb_per_s_1core"] for r in res if r["system"] == "raw"]
pandas = {t: median("pandas", t, lambda r: r["result"]["rows_per_s"]) for t in (1, 2)}
reps = sum(1 for r in res if r["system"] == "ferry" and r["threads"] == 1)
print(f"medians of {reps} interleaved repetitions (peak RSS: the largest)")
for t in (1, 2):
    print(f"threads {t}: ferry {ferry[t]:,.0f} rows/s ({mb * ferry[t] / rows:.0f} MB/s, peak RSS "
          f"{rss[t]:.0f} MiB) | pandas {pandas[t]:,.0f} rows/s -> {ferry[t] / pandas[t]:.1f}x | "
          f"raw in-memory {raw[t]:,.0f} rows/s -> ferry at {100 * ferry[t] / raw[t]:.0f}%")
print(f"ferry CSV parse alone: {statistics.median(parse):.0f} MB/s on one core (median)")
PYEOF
