#!/usr/bin/env bash
# End to end: the example retraining pipeline (examples/breast-cancer/pipeline.yaml) with the
# real binary on the embedded default — validate → split → train → evaluate against the
# champion → register → promote; a second run is fully cached; changing one data row reruns
# exactly the steps whose inputs changed; the champion carries its lineage and serves.
set -euo pipefail
FERRY="$1"
SRC="$2"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export FERRY_HOME="$TMP/home"
unset FERRY_REGISTRY
cd "$SRC"  # the pipeline names its files relative to the repository
PIPELINE=examples/breast-cancer/pipeline.yaml

run_id() { sed -n 's/^run \([^:]*\): pipeline.*/\1/p' "$1" | head -n1; }
states() { "$FERRY" pipeline show "$1" --json | /usr/bin/python3 -c \
  'import json,sys; print(" ".join(s["name"]+"="+s["state"] for s in json.load(sys.stdin)["steps"]))'; }

"$FERRY" pipeline run "$PIPELINE" > "$TMP/run1.out"
RUN1=$(run_id "$TMP/run1.out")
[[ "$(states "$RUN1")" == "validate=succeeded split=succeeded train=succeeded evaluate=succeeded register=succeeded promote=succeeded" ]] \
  || { echo "run 1: $(states "$RUN1")"; exit 1; }

"$FERRY" models show breast-cancer@champion > "$TMP/champion.json"
DATA_SHA=$(sha256sum examples/breast-cancer/data.csv | cut -d' ' -f1)
/usr/bin/python3 - "$TMP/champion.json" "$RUN1" "$DATA_SHA" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
lin = v["lineage"]
assert v["version"] == 1, v
assert lin["pipeline"] == "breast-cancer-retrain", lin
assert lin["run"] == sys.argv[2], lin
assert lin["data"] == "sha256:" + sys.argv[3], lin
metrics = v["metrics"] if isinstance(v["metrics"], dict) else json.loads(v["metrics"])
print("champion breast-cancer:1, lineage", lin)
PY

"$FERRY" pipeline run "$PIPELINE" > "$TMP/run2.out"
RUN2=$(run_id "$TMP/run2.out")
[[ "$(states "$RUN2")" == "validate=cached split=cached train=cached evaluate=cached register=cached promote=cached" ]] \
  || { echo "run 2 is not fully cached: $(states "$RUN2")"; exit 1; }

# One row of the test split changed: the trained model stays cached, and which other steps
# rerun follows from which step inputs changed.
TEST_SPLIT="$FERRY_HOME/runs/$RUN1/steps/split/outputs/test"
/usr/bin/python3 - examples/breast-cancer/data.csv "$TMP/data2.csv" "$TEST_SPLIT" <<'PY'
import sys
test_ids = {line.split(",")[0] for line in open(sys.argv[3]).read().splitlines()[1:]}
lines = open(sys.argv[1]).read().splitlines()
row = next(i for i in range(1, len(lines)) if lines[i].split(",")[0] in test_ids)
cells = lines[row].split(",")
cells[1] = str(float(cells[1]) + 0.5)
lines[row] = ",".join(cells)
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
"$FERRY" pipeline run "$PIPELINE" --param data="$TMP/data2.csv" > "$TMP/run3.out"
RUN3=$(run_id "$TMP/run3.out")
"$FERRY" pipeline show "$RUN2" --json > "$TMP/show2.json"
"$FERRY" pipeline show "$RUN3" --json > "$TMP/show3.json"
/usr/bin/python3 - "$TMP/show2.json" "$TMP/show3.json" <<'PY'
import json, sys
before = {s["name"]: s for s in json.load(open(sys.argv[1]))["steps"]}
after = {s["name"]: s for s in json.load(open(sys.argv[2]))["steps"]}
def out(steps, step, name):
    return {o["name"]: o["sha256"] for o in steps[step]["outputs"]}[name]
def changed(step, name):
    return out(before, step, name) != out(after, step, name)
expect = {
    "validate": True,  # its data changed
    "split": True,
    "train": changed("split", "train") or changed("split", "validation"),
    "evaluate": changed("train", "bundle") or changed("split", "test"),
    "register": True,  # it records the data's digest
    "promote": changed("register", "reference") or changed("evaluate", "evaluation"),
}
for step, rerun in expect.items():
    state = after[step]["state"]
    want = "succeeded" if rerun else "cached"
    assert state == want, f"{step}: {state}, expected {want} ({expect})"
assert changed("split", "test") and not changed("split", "train"), "the row is in the test split"
assert after["train"]["state"] == "cached" and after["evaluate"]["state"] == "succeeded"
print("reruns after one changed row:", {k: v for k, v in expect.items()})
PY

# The champion serves.
"$FERRY" batch --model breast-cancer@champion --input examples/breast-cancer/data.csv \
  --key-column id --keep target --output "$TMP/pred.csv"
awk -F, 'NR>1 { p = ($3 > 0.5) ? 1 : 0; ok += (p == $2) } END { acc = ok / (NR-1); print "accuracy", acc; exit !(acc > 0.95) }' "$TMP/pred.csv"
echo "e2e pipeline example ok"
